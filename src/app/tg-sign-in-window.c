/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgSignInWindow: which server, which user, and why the last attempt failed.
 *
 * Signing in reuses the application's session when the chosen server is the
 * one it already talks to, and otherwise builds a new one (starting the
 * built-in server, or refusing an insecure URL). The window does not decide
 * what comes next: it emits TgSignInWindow::signed-in with the session, and
 * the application shows what follows. The password goes from the entry to the
 * token manager and nowhere else: it is never shown back, logged, or kept in
 * GSettings.
 */
#define G_LOG_DOMAIN "tg-sign-in-window"

#include "config.h"

#include <glib/gi18n.h>

#include <tokengate.h>

#include "tg-accessible.h"
#include "tg-client-secret.h"
#include "tg-provider-form.h"
#include "tg-sign-in-window.h"

/* The server row's items, and the server-mode key's values. */
enum {
  SERVER_BUILTIN,
  SERVER_CUSTOM,
  SERVER_PROVIDER,
};

struct _TgSignInWindow
{
  AdwApplicationWindow  parent_instance;

  AdwComboRow          *server_row;
  AdwEntryRow          *url_row;
  AdwComboRow          *protocol_row;
  AdwEntryRow          *user_row;
  AdwEntryRow          *password_row;
  GtkWidget            *message_box;
  GtkLabel             *message_label;
  GtkRevealer          *error_revealer;
  GtkLabel             *error_label;
  GtkLabel             *error_detail_label;
  GtkWidget            *sign_in_button;
  GtkSpinner           *spinner;
  GtkLabel             *button_label;
  TgProviderForm       *provider_form;
  GtkWidget            *account_group;
  GtkWidget            *browser_button;
  GtkWidget            *waiting_box;
  GtkSpinner           *waiting_spinner;

  GCancellable         *cancellable;  /* cancelled when the window goes */
  /* owned, nullable: the session of the last attempt. Kept when it fails, so
   * that the next attempt at the same server reuses it instead of starting
   * another built-in server. */
  TgSession            *session;
  /* owned, nullable: the browser sign-in under way, and what cancels it
   * alone (the Cancel button) */
  TgBrowserSignIn      *browser_sign_in;
  GCancellable         *browser_cancellable;
  gboolean              busy;
  gboolean              focused_once;  /* the first focus is given */
};

G_DEFINE_FINAL_TYPE (TgSignInWindow, tg_sign_in_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  SIGNED_IN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static TgApplication *
get_application (TgSignInWindow *self)
{
  return TG_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

/* ------------------------------------------------------------------------- */
/* What the person sees                                                      */

static void
set_busy (TgSignInWindow *self,
          gboolean        busy)
{
  GtkWidget *rows[] = {
    GTK_WIDGET (self->server_row), GTK_WIDGET (self->url_row), GTK_WIDGET (self->protocol_row),
    GTK_WIDGET (self->user_row), GTK_WIDGET (self->password_row), GTK_WIDGET (self->provider_form),
  };

  self->busy = busy;
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    gtk_widget_set_sensitive (rows[i], !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-in", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-in-browser", !busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_label_set_text_with_mnemonic (self->button_label, busy ? _("Signing In…") : _("Sign _In"));
}

static guint
get_server_mode (TgSignInWindow *self)
{
  return adw_combo_row_get_selected (self->server_row);
}

/* While the browser has the person: "Waiting for the browser… Cancel" in
 * place of the buttons, Cancel being the one way on. */
static void
set_waiting (TgSignInWindow *self,
             gboolean        waiting)
{
  gboolean provider = get_server_mode (self) == SERVER_PROVIDER;

  gtk_widget_set_visible (self->waiting_box, waiting);
  gtk_spinner_set_spinning (self->waiting_spinner, waiting);
  /* Cancel takes the focus before the form goes insensitive: a focused
   * entry made insensitive loses its focus without being told (GTK 4.8). */
  if (waiting)
    gtk_widget_grab_focus (gtk_widget_get_last_child (self->waiting_box));
  set_busy (self, waiting);
  gtk_widget_set_visible (self->sign_in_button, !waiting && !provider);
  gtk_widget_set_visible (self->browser_button, !waiting && get_server_mode (self) != SERVER_CUSTOM);
  /* The focus was on Cancel, which is gone: back to where one starts again
   * (an error then moves it to the row to fix). */
  if (!waiting)
    gtk_widget_grab_focus (self->browser_button);
}

static void
clear_error (TgSignInWindow *self)
{
  /* Hidden, not only folded: a folded revealer still takes the box's
   * spacing. */
  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->error_revealer), FALSE);
  gtk_widget_remove_css_class (GTK_WIDGET (self->url_row), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->user_row), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->password_row), "error");
}

static void
show_error_text (TgSignInWindow *self,
                 const char     *text,
                 const char     *detail,
                 gpointer        culprit)
{
  gtk_label_set_text (self->error_label, text);
  gtk_label_set_text (self->error_detail_label, detail != NULL ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_detail_label), detail != NULL && *detail != '\0');
  gtk_widget_set_visible (GTK_WIDGET (self->error_revealer), TRUE);
  gtk_revealer_set_reveal_child (self->error_revealer, TRUE);

  /* Mark the row to fix and put the cursor there. */
  if (culprit != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (culprit), "error");
      gtk_widget_grab_focus (GTK_WIDGET (culprit));
    }
}

/**
 * tg_sign_in_window_show_error:
 * @error: why signing in (or building the session) failed
 *
 * Shows under the form, in a sentence, which of the usual things went wrong
 * — wrong credentials, no server there, a TLS failure, an insecure URL, an
 * answer the app cannot understand — with the technical detail below it.
 */
void
tg_sign_in_window_show_error (TgSignInWindow *self,
                              const GError   *error)
{
  const char *text;
  gpointer culprit = NULL;

  g_return_if_fail (TG_IS_SIGN_IN_WINDOW (self));
  g_return_if_fail (error != NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_NOT_A_PROVIDER))
    {
      text = _("No OpenID provider was found at this issuer URL. Check the URL: it is the "
               "issuer, such as https://keycloak.example.org/realms/demo.");
      culprit = self->url_row;
    }
  else if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_AUTHORIZATION_FAILED))
    {
      text = _("The provider did not sign you in: the sign-in was refused or cancelled in the browser.");
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      text = _("No answer came in time: the browser did not come back, or the provider did not answer. "
               "Try again.");
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    {
      text = _("This server cannot sign you in through the browser.");
      culprit = self->url_row;
    }
  else if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_BAD_CREDENTIALS))
    {
      text = _("Wrong user name or password.");
      culprit = self->password_row;
    }
  else if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE))
    {
      text = _("This URL is not secure: your password would travel unencrypted. Use https:// "
               "(plain http:// is allowed only on this computer, such as http://127.0.0.1).");
      culprit = self->url_row;
    }
  else if (error->domain == G_TLS_ERROR)
    {
      text = _("The server’s secure connection cannot be trusted (TLS failure). "
               "Check the URL, or the server’s certificate.");
      culprit = self->url_row;
    }
  else if (tg_error_is_unreachable (error))
    {
      text = _("The server cannot be reached. Check the URL and your network connection.");
      culprit = self->url_row;
    }
  else if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL) ||
           error->domain == SOUP_SESSION_ERROR)
    {
      text = _("The server’s answer cannot be understood. Is this the right URL and protocol?");
      culprit = self->url_row;
    }
  else if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SERVER))
    {
      text = _("The server could not sign you in because of an error on its side.");
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    {
      text = _("This is not a server URL: use http:// or https:// followed by a host name.");
      culprit = self->url_row;
    }
  else
    {
      text = _("Signing in failed.");
    }

  /* The URL to blame is the provider's in that mode; the built-in server
   * has none. */
  if (culprit == self->url_row && get_server_mode (self) == SERVER_PROVIDER)
    culprit = tg_provider_form_get_issuer_row (self->provider_form);
  else if (culprit == self->url_row && get_server_mode (self) == SERVER_BUILTIN)
    culprit = NULL;

  /* The core's messages never hold a password or a token. */
  show_error_text (self, text, error->message, culprit);
}

static void
set_message (TgSignInWindow *self,
             const char     *message)
{
  gboolean shown = message != NULL && *message != '\0';

  gtk_label_set_text (self->message_label, message != NULL ? message : "");
  gtk_widget_set_visible (self->message_box, shown);

  /* The box is an alert that keeps the message in the tree for review, but
   * Orca 43 does not speak a GTK 4.8 alert box when it appears (GTK only
   * emits children-changed for it). What Orca does speak is the focused
   * widget's description when the window opens, so the Sign In button,
   * which has the focus then, carries the message. */
  if (shown)
    {
      g_autofree char *description = NULL;

      /* Translators: read with the Sign In button after a session ended; %s is the server's reason */
      description = g_strdup_printf (_("Your session has ended. Sign in again to go on. %s"), message);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->sign_in_button),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
    }
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self->sign_in_button), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

/* The built-in server's demo user is filled in; a custom server gets the
 * last user name that signed in there, and never a password. */
static void
apply_server_choice (TgSignInWindow *self)
{
  guint mode = get_server_mode (self);
  gboolean custom = mode == SERVER_CUSTOM;
  gboolean provider = mode == SERVER_PROVIDER;
  GSettings *settings = tg_application_get_settings (get_application (self));
  g_autofree char *last_user = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->url_row), custom);
  gtk_widget_set_visible (GTK_WIDGET (self->protocol_row), custom);
  gtk_widget_set_visible (GTK_WIDGET (self->provider_form), provider);
  gtk_widget_set_visible (self->account_group, !provider);
  /* A provider has no password form: the browser is the way in, and
   * Enter takes it. */
  gtk_widget_set_visible (self->sign_in_button, !provider);
  gtk_widget_set_visible (self->browser_button, !custom);
  if (provider)
    gtk_widget_add_css_class (self->browser_button, "suggested-action");
  else
    gtk_widget_remove_css_class (self->browser_button, "suggested-action");
  gtk_window_set_default_widget (GTK_WINDOW (self), provider ? self->browser_button : self->sign_in_button);

  if (custom)
    {
      last_user = g_settings_get_string (settings, "last-user");
      gtk_editable_set_text (GTK_EDITABLE (self->user_row), last_user);
      gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
    }
  else
    {
      gtk_editable_set_text (GTK_EDITABLE (self->user_row), "demo");
      gtk_editable_set_text (GTK_EDITABLE (self->password_row), "demo");
    }
}

/* The row marked as the one to fix stops being marked once it is edited. */
static void
on_row_changed (GtkEditable *row)
{
  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

static void
on_server_changed (TgSignInWindow *self)
{
  clear_error (self);
  apply_server_choice (self);
}

static void
client_secret_found (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(TgSignInWindow) self = user_data;
  char *secret = tg_client_secret_lookup_finish (result);

  /* Nothing found leaves alone what the person may have typed meanwhile. */
  if (secret != NULL && !g_cancellable_is_cancelled (self->cancellable))
    tg_provider_form_set_secret (self->provider_form, secret);
  tg_client_secret_free (secret);
}

/* The remembered client's secret, from the keyring. */
static void
load_client_secret (TgSignInWindow *self,
                    GSettings      *settings)
{
  g_autofree char *issuer = g_settings_get_string (settings, "provider-issuer");
  g_autofree char *client_id = g_settings_get_string (settings, "provider-client-id");

  if (*issuer != '\0' && *client_id != '\0')
    tg_client_secret_lookup_async (issuer, client_id, self->cancellable, client_secret_found, g_object_ref (self));
}

/* The form starts at the server the application is using, else at the one
 * it was asked for (a --server that could not be used stays visible, so the
 * person sees what to fix). */
static void
load_server_choice (TgSignInWindow *self)
{
  TgApplication *app = get_application (self);
  TgSession *session = tg_application_get_session (app);
  GSettings *settings = tg_application_get_settings (app);
  g_autofree char *uri = NULL;
  TgAuthProtocolKind protocol;
  gboolean custom;
  guint mode;

  if (session != NULL)
    {
      custom = !tg_session_is_builtin (session);
      uri = custom ? g_strdup (tg_session_get_server_uri (session)) : NULL;
      protocol = tg_session_get_protocol_kind (session);
      mode = !custom ? SERVER_BUILTIN : tg_session_get_provider (session) != NULL ? SERVER_PROVIDER : SERVER_CUSTOM;
    }
  else
    {
      uri = tg_application_dup_server_uri (app);
      custom = uri != NULL;
      protocol = tg_application_get_protocol (app);
      mode = custom ? SERVER_CUSTOM
             : g_settings_get_enum (settings, "server-mode") == SERVER_PROVIDER ? SERVER_PROVIDER
             : SERVER_BUILTIN;
    }
  if (mode == SERVER_PROVIDER)
    g_clear_pointer (&uri, g_free);
  /* With the demo server chosen, the URL row still remembers the last one. */
  if (uri == NULL)
    uri = g_settings_get_string (settings, "server-url");

  g_signal_handlers_block_by_func (self->server_row, on_server_changed, self);
  adw_combo_row_set_selected (self->server_row, mode);
  g_signal_handlers_unblock_by_func (self->server_row, on_server_changed, self);

  tg_provider_form_load (self->provider_form, settings);
  load_client_secret (self, settings);

  gtk_editable_set_text (GTK_EDITABLE (self->url_row), uri);
  adw_combo_row_set_selected (self->protocol_row, protocol == TG_AUTH_PROTOCOL_OAUTH2 ? 1 : 0);
  apply_server_choice (self);
}

/* ------------------------------------------------------------------------- */
/* Signing in                                                                */

static void
remember_choice (TgSignInWindow *self)
{
  GSettings *settings = tg_application_get_settings (get_application (self));
  guint mode = get_server_mode (self);
  gboolean custom = mode == SERVER_CUSTOM;

  g_settings_set_enum (settings, "server-mode", mode);
  /* Which way the built-in server was signed in to decides how a relaunch
   * rebuilds its session. */
  if (mode == SERVER_BUILTIN)
    g_settings_set_boolean (settings, "builtin-browser", tg_session_get_provider (self->session) != NULL);
  if (mode == SERVER_PROVIDER)
    {
      TgSessionProviderOptions options;

      tg_provider_form_save (self->provider_form, settings);
      tg_provider_form_get_options (self->provider_form, &options);
      /* Nobody waits: the session is already signed in, and a failure is
       * logged by the module itself. */
      tg_client_secret_save_async (options.issuer, options.client_id, options.client_secret,
                                   NULL, NULL, NULL);
    }
  if (custom)
    {
      g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->url_row))));

      g_settings_set_string (settings, "server-url", url);
      g_settings_set_enum (settings, "protocol", adw_combo_row_get_selected (self->protocol_row));
      g_settings_set_string (settings, "last-user", gtk_editable_get_text (GTK_EDITABLE (self->user_row)));
    }
}

/* The attempt is over: the form is back, with @error (nullable) saying why
 * it failed. */
static void
end_attempt (TgSignInWindow *self,
                const GError   *error)
{
  if (self->browser_cancellable != NULL)
    {
      g_clear_object (&self->browser_sign_in);
      g_clear_object (&self->browser_cancellable);
      set_waiting (self, FALSE);
    }
  else
    set_busy (self, FALSE);
  if (error != NULL)
    tg_sign_in_window_show_error (self, error);
}

static void
signed_in (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TgSignInWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = tg_token_manager_sign_in_finish (TG_TOKEN_MANAGER (source), result, &error);

  /* The window is gone, and so are its widgets. */
  if (g_cancellable_is_cancelled (self->cancellable))
    return;

  if (!ok)
    {
      end_attempt (self, error);
      return;
    }

  remember_choice (self);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  g_signal_emit (self, signals[SIGNED_IN], 0, self->session);
}

/* Signs in to self->session with what the form says. */
static void
sign_in (TgSignInWindow *self)
{
  g_autofree char *user = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->user_row))));

  tg_token_manager_sign_in_async (tg_session_get_manager (self->session), user,
                                  gtk_editable_get_text (GTK_EDITABLE (self->password_row)),
                                  self->cancellable, signed_in, g_object_ref (self));
}

static void run_browser_sign_in (TgSignInWindow *self);

static void
session_ready (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TgSignInWindow) self = user_data;
  g_autoptr(TgSession) session = NULL;
  g_autoptr(GError) error = NULL;

  session = tg_session_new_finish (result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;

  if (session == NULL)
    {
      end_attempt (self, error);
      return;
    }

  g_set_object (&self->session, session);
  /* The browser's Cancel may have come while the session was built. */
  if (self->browser_cancellable != NULL && g_cancellable_is_cancelled (self->browser_cancellable))
    end_attempt (self, NULL);
  else if (self->browser_cancellable != NULL)
    run_browser_sign_in (self);
  else
    sign_in (self);
}

/* The session to sign in to, if one for @server_uri and @protocol is already
 * there: the last attempt's, else the application's. */
static TgSession *
find_session (TgSignInWindow     *self,
              const char         *server_uri,
              TgAuthProtocolKind  protocol)
{
  TgSession *session = tg_application_get_session (get_application (self));

  if (self->session != NULL && tg_session_matches (self->session, server_uri, protocol))
    return self->session;
  if (session != NULL && tg_session_matches (session, server_uri, protocol))
    return session;
  return NULL;
}

static void
sign_in_activated (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  TgSignInWindow *self = TG_SIGN_IN_WINDOW (widget);
  TgApplication *app = get_application (self);
  TgSession *session;
  gboolean custom = adw_combo_row_get_selected (self->server_row) == SERVER_CUSTOM;
  TgAuthProtocolKind protocol = adw_combo_row_get_selected (self->protocol_row) == 1
                                ? TG_AUTH_PROTOCOL_OAUTH2 : TG_AUTH_PROTOCOL_SEED;
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->url_row))));
  g_autofree char *user = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->user_row))));
  const char *server_uri = custom ? url : NULL;

  if (self->busy)
    return;
  clear_error (self);

  if (custom && *url == '\0')
    {
      show_error_text (self, _("Enter the server’s URL."), NULL, self->url_row);
      return;
    }
  if (*user == '\0')
    {
      show_error_text (self, _("Enter your user name."), NULL, self->user_row);
      return;
    }
  if (*gtk_editable_get_text (GTK_EDITABLE (self->password_row)) == '\0')
    {
      show_error_text (self, _("Enter your password."), NULL, self->password_row);
      return;
    }

  set_busy (self, TRUE);
  session = find_session (self, server_uri, protocol);
  if (session != NULL)
    {
      g_set_object (&self->session, session);
      sign_in (self);
    }
  else
    tg_session_new_async (server_uri, protocol, tg_application_get_settings (app),
                          self->cancellable, session_ready, g_object_ref (self));
}

/* ------------------------------------------------------------------------- */
/* Signing in through the browser                                            */

static void
browser_signed_in (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TgSignInWindow) self = user_data;
  TgBrowserSignIn *sign_in = TG_BROWSER_SIGN_IN (source);
  g_autoptr(GError) error = NULL;

  if (!tg_browser_sign_in_run_finish (sign_in, result, &error))
    {
      if (!g_cancellable_is_cancelled (self->cancellable))
        end_attempt (self, error);
      return;
    }
  if (g_cancellable_is_cancelled (self->cancellable))
    return;

  end_attempt (self, NULL);
  /* The demo is about the refresh: a session that cannot be refreshed
   * cannot show it, so the person learns why here rather than at the
   * first expiry, and the session is let go (revoked) rather than kept
   * for a relaunch. */
  if (!tg_browser_sign_in_get_refresh_token_issued (sign_in))
    {
      tg_token_manager_sign_out_async (tg_session_get_manager (self->session), NULL, NULL, NULL);
      show_error_text (self, _("The provider issued no refresh token, so the session ends when its "
                               "access token expires and no refresh can be shown."),
                       _("Add offline_access to the scopes, or allow refresh tokens for this client at "
                         "the provider, and sign in again."),
                       NULL);
      return;
    }
  remember_choice (self);
  g_signal_emit (self, signals[SIGNED_IN], 0, self->session);
}

static void
run_browser_sign_in (TgSignInWindow *self)
{
  self->browser_sign_in = tg_browser_sign_in_new (tg_session_get_manager (self->session),
                                                  tg_session_get_provider (self->session));
  tg_browser_sign_in_run_async (self->browser_sign_in, self->browser_cancellable,
                                browser_signed_in, g_object_ref (self));
}

static void
sign_in_browser_activated (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  TgSignInWindow *self = TG_SIGN_IN_WINDOW (widget);
  GSettings *settings = tg_application_get_settings (get_application (self));
  gboolean provider = get_server_mode (self) == SERVER_PROVIDER;
  TgSessionProviderOptions options = { NULL, };

  if (self->busy || get_server_mode (self) == SERVER_CUSTOM)
    return;
  clear_error (self);

  if (provider)
    {
      const char *message = NULL;
      GtkWidget *culprit = tg_provider_form_check (self->provider_form, &message);

      if (culprit != NULL)
        {
          show_error_text (self, message, NULL, culprit);
          return;
        }
      tg_provider_form_get_options (self->provider_form, &options);
    }

  set_waiting (self, TRUE);
  /* Cancel stops this attempt; closing the window stops it too. */
  self->browser_cancellable = g_cancellable_new ();
  g_signal_connect_object (self->cancellable, "cancelled", G_CALLBACK (g_cancellable_cancel),
                           self->browser_cancellable, G_CONNECT_SWAPPED);

  /* The built-in server's browser session is kept for the next attempt; a
   * provider's is rebuilt, as the form may have changed. */
  if (!provider && self->session != NULL && tg_session_is_builtin (self->session) &&
      tg_session_get_provider (self->session) != NULL)
    run_browser_sign_in (self);
  else
    tg_session_new_for_provider_async (&options, settings, self->cancellable,
                                       session_ready, g_object_ref (self));
}

static void
cancel_browser_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  TgSignInWindow *self = TG_SIGN_IN_WINDOW (widget);

  /* The listener closes; the run finishes with G_IO_ERROR_CANCELLED,
   * which shows no error. */
  if (self->browser_cancellable != NULL)
    g_cancellable_cancel (self->browser_cancellable);
}

/* ------------------------------------------------------------------------- */
/* GObject                                                                   */

static void
tg_sign_in_window_dispose (GObject *object)
{
  TgSignInWindow *self = TG_SIGN_IN_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->browser_sign_in);
  g_clear_object (&self->browser_cancellable);
  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), TG_TYPE_SIGN_IN_WINDOW);

  G_OBJECT_CLASS (tg_sign_in_window_parent_class)->dispose (object);
}

static void
tg_sign_in_window_finalize (GObject *object)
{
  TgSignInWindow *self = TG_SIGN_IN_WINDOW (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (tg_sign_in_window_parent_class)->finalize (object);
}

/* Enter signs in with what is filled in (the demo account, for the
 * built-in server); the person who wants to change it tabs back. Once
 * shown: a focus set before, GtkWindow may replace with the first control
 * when it is mapped. */
static void
tg_sign_in_window_map (GtkWidget *widget)
{
  TgSignInWindow *self = TG_SIGN_IN_WINDOW (widget);

  GTK_WIDGET_CLASS (tg_sign_in_window_parent_class)->map (widget);

  if (!self->focused_once)
    {
      self->focused_once = TRUE;
      gtk_widget_grab_focus (self->sign_in_button);
    }
}

static void
tg_sign_in_window_class_init (TgSignInWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tg_sign_in_window_dispose;
  object_class->finalize = tg_sign_in_window_finalize;

  widget_class->map = tg_sign_in_window_map;

  /**
   * TgSignInWindow::signed-in:
   * @self: the window
   * @session: the session, now signed in
   *
   * Signing in succeeded. What the window was for is done: the handler (the
   * application) makes @session the one in use and replaces the window.
   */
  signals[SIGNED_IN] =
    g_signal_new ("signed-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, TG_TYPE_SESSION);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/tokengate/Tokengate/tg-sign-in-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, url_row);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, protocol_row);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, user_row);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, password_row);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, message_box);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, message_label);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, error_detail_label);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, button_label);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, provider_form);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, account_group);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, browser_button);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, waiting_box);
  gtk_widget_class_bind_template_child (widget_class, TgSignInWindow, waiting_spinner);

  gtk_widget_class_install_action (widget_class, "win.sign-in", NULL, sign_in_activated);
  gtk_widget_class_install_action (widget_class, "win.sign-in-browser", NULL, sign_in_browser_activated);
  gtk_widget_class_install_action (widget_class, "win.cancel-browser", NULL, cancel_browser_activated);
}

static void
tg_sign_in_window_init (TgSignInWindow *self)
{
  g_type_ensure (TG_TYPE_PROVIDER_FORM);
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  g_signal_connect_swapped (self->server_row, "notify::selected", G_CALLBACK (on_server_changed), self);
  g_signal_connect (self->url_row, "changed", G_CALLBACK (on_row_changed), NULL);
  g_signal_connect (self->user_row, "changed", G_CALLBACK (on_row_changed), NULL);
  g_signal_connect (self->password_row, "changed", G_CALLBACK (on_row_changed), NULL);

  /* libadwaita 1.2 leaves the password row's show-text button (an icon)
   * without a name. */
  tg_accessible_name_descendant (GTK_WIDGET (self->password_row), GTK_TYPE_BUTTON, _("Show password"));
  /* Nor the list of a combo row's popover. */
  tg_accessible_name_descendant (GTK_WIDGET (self->server_row), GTK_TYPE_LIST_VIEW, _("Servers"));
  tg_accessible_name_descendant (GTK_WIDGET (self->protocol_row), GTK_TYPE_LIST_VIEW, _("Protocols"));
}

/**
 * tg_sign_in_window_new:
 * @application: the application
 * @reason: (nullable): why the person has to sign in again (the session
 *   expired), shown above the form
 *
 * Returns: (transfer none): a new sign-in window, owned by @application once
 *   presented
 */
TgSignInWindow *
tg_sign_in_window_new (TgApplication *application,
                       const char    *reason)
{
  TgSignInWindow *self;

  g_return_val_if_fail (TG_IS_APPLICATION (application), NULL);

  self = g_object_new (TG_TYPE_SIGN_IN_WINDOW, "application", application, NULL);
  load_server_choice (self);
  set_message (self, reason);

  return self;
}

GtkEditable *
tg_sign_in_window_get_user_entry (TgSignInWindow *self)
{
  g_return_val_if_fail (TG_IS_SIGN_IN_WINDOW (self), NULL);

  return GTK_EDITABLE (self->user_row);
}

GtkEditable *
tg_sign_in_window_get_password_entry (TgSignInWindow *self)
{
  g_return_val_if_fail (TG_IS_SIGN_IN_WINDOW (self), NULL);

  return GTK_EDITABLE (self->password_row);
}

GtkWidget *
tg_sign_in_window_get_sign_in_button (TgSignInWindow *self)
{
  g_return_val_if_fail (TG_IS_SIGN_IN_WINDOW (self), NULL);

  return self->sign_in_button;
}

/**
 * tg_sign_in_window_get_message:
 *
 * Returns: the reason shown above the form, or "" when there is none
 */
const char *
tg_sign_in_window_get_message (TgSignInWindow *self)
{
  g_return_val_if_fail (TG_IS_SIGN_IN_WINDOW (self), NULL);

  return gtk_label_get_text (self->message_label);
}

/**
 * tg_sign_in_window_get_error:
 *
 * Returns: the error sentence under the form, or "" when none is shown
 */
const char *
tg_sign_in_window_get_error (TgSignInWindow *self)
{
  g_return_val_if_fail (TG_IS_SIGN_IN_WINDOW (self), NULL);

  return gtk_revealer_get_reveal_child (self->error_revealer) ? gtk_label_get_text (self->error_label) : "";
}

/**
 * tg_sign_in_window_is_waiting_for_browser:
 *
 * Returns: whether a browser sign-in is under way (the window says
 *   "Waiting for the browser…")
 */
gboolean
tg_sign_in_window_is_waiting_for_browser (TgSignInWindow *self)
{
  g_return_val_if_fail (TG_IS_SIGN_IN_WINDOW (self), FALSE);

  return gtk_widget_get_visible (self->waiting_box);
}

/**
 * tg_sign_in_window_is_busy:
 *
 * Returns: whether a sign-in is under way
 */
gboolean
tg_sign_in_window_is_busy (TgSignInWindow *self)
{
  g_return_val_if_fail (TG_IS_SIGN_IN_WINDOW (self), FALSE);

  return self->busy;
}
