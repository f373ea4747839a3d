/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgApplication: the command line, the app actions, and which window is up.
 *
 * Exactly one of the sign-in window and the home window is the "current"
 * window, and only this file decides which: the sign-in window says when it
 * is done (TgSignInWindow::signed-in), the token manager when the session has
 * ended. At start the app builds the session for the configured server,
 * restores the stored tokens, and shows the home window if there were any,
 * the sign-in window otherwise. When the token manager says the session has
 * expired, the home window gives way to the sign-in window, which says why.
 */
#define G_LOG_DOMAIN "tg-application"

#include "config.h"

#include <glib/gi18n.h>

#include "tg-accessible.h"
#include "tg-application.h"
#include "tg-client-secret.h"
#include "tg-home-window.h"
#include "tg-preferences-window.h"
#include "tg-resources.h"
#include "tg-sign-in-window.h"

struct _TgApplication
{
  AdwApplication      parent_instance;

  GSettings          *settings;
  TgSession          *session;            /* owned, nullable */
  GtkWindow          *current;            /* weak: the sign-in or home window */
  GCancellable       *cancellable;        /* the app's own work; cancelled at shutdown */

  /* From the command line; they win over GSettings for this run only. */
  char               *server_override;    /* owned, nullable */
  gboolean            has_protocol_override;
  TgAuthProtocolKind  protocol_override;

  gboolean            starting;
  gboolean            signing_out;
};

G_DEFINE_FINAL_TYPE (TgApplication, tg_application, ADW_TYPE_APPLICATION)

enum {
  SERVER_MODE_BUILTIN,
  SERVER_MODE_CUSTOM,
  SERVER_MODE_PROVIDER,
};

static void update_actions (TgApplication *self);

/* ------------------------------------------------------------------------- */
/* Windows                                                                   */

/* GTK 4.8's shortcuts window has icon-only buttons without names: the
 * search button and the search bar's close button. The window is made from
 * gtk/help-overlay.ui when the application window is added to the
 * application. */
static void
name_help_overlay (GtkWindow *window)
{
  GtkShortcutsWindow *overlay = NULL;
  GtkWidget *search_bar;
  GtkWidget *titlebar;

  if (GTK_IS_APPLICATION_WINDOW (window))
    overlay = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window));
  if (overlay == NULL)
    return;

  /* In the header bar: the pages of a section have toggle buttons too. */
  titlebar = gtk_window_get_titlebar (GTK_WINDOW (overlay));
  if (titlebar != NULL)
    tg_accessible_name_descendant (titlebar, GTK_TYPE_TOGGLE_BUTTON, _("Search shortcuts"));
  search_bar = tg_accessible_find_descendant (GTK_WIDGET (overlay), GTK_TYPE_SEARCH_BAR);
  if (search_bar != NULL)
    tg_accessible_name_descendant (search_bar, GTK_TYPE_BUTTON, _("Close the search"));
}

static void
set_current_window (TgApplication *self,
                    GtkWindow     *window)
{
  GtkWindow *old = self->current;

  /* Present the new window before the old one goes, so that the application
   * never has zero windows in between (it would quit). */
  g_set_weak_pointer (&self->current, window);
  name_help_overlay (window);
  gtk_window_present (window);
  if (old != NULL && old != window)
    gtk_window_destroy (old);

  update_actions (self);
}

static void set_session (TgApplication *self,
                         TgSession     *session);

static void
show_home (TgApplication *self)
{
  g_assert (self->session != NULL);

  set_current_window (self, GTK_WINDOW (tg_home_window_new (self, self->session)));
}

static void
on_signed_in (TgSignInWindow *window,
              TgSession      *session,
              TgApplication  *self)
{
  set_session (self, session);
  show_home (self);
}

static TgSignInWindow *
show_sign_in (TgApplication *self,
              const char    *reason)
{
  TgSignInWindow *window = tg_sign_in_window_new (self, reason);

  g_signal_connect_object (window, "signed-in", G_CALLBACK (on_signed_in), self, 0);
  set_current_window (self, GTK_WINDOW (window));
  return window;
}

/**
 * tg_application_get_current_window:
 *
 * Returns: (transfer none) (nullable): the sign-in or the home window
 */
GtkWindow *
tg_application_get_current_window (TgApplication *self)
{
  g_return_val_if_fail (TG_IS_APPLICATION (self), NULL);

  return self->current;
}

/* ------------------------------------------------------------------------- */
/* The session                                                               */

typedef struct {
  TgApplication *self;
  char          *reason;
} Expiry;

static gboolean
show_expiry (gpointer user_data)
{
  Expiry *expiry = user_data;

  /* Only the home window gives way: if the person is already at the sign-in
   * window (a late answer of a closed home window), nothing changes. */
  if (TG_IS_HOME_WINDOW (expiry->self->current))
    show_sign_in (expiry->self, expiry->reason);

  g_object_unref (expiry->self);
  g_free (expiry->reason);
  g_free (expiry);
  return G_SOURCE_REMOVE;
}

static void
on_session_expired (TgTokenManager *manager,
                    const char     *reason,
                    TgApplication  *self)
{
  Expiry *expiry = g_new0 (Expiry, 1);

  g_info ("Session expired: %s", reason);

  /* From an idle: the signal comes from inside the manager's refresh, whose
   * waiters are the home window's own requests; the window is not destroyed
   * under their feet. */
  expiry->self = g_object_ref (self);
  expiry->reason = g_strdup (reason != NULL && *reason != '\0' ? reason : _("The server ended the session."));
  g_idle_add (show_expiry, expiry);
}

/* Makes @session (nullable) the one the windows use, shutting the previous
 * one down (its built-in server stops). */
static void
set_session (TgApplication *self,
             TgSession     *session)
{
  g_autoptr(TgSession) old = NULL;

  if (self->session == session)
    return;

  old = g_steal_pointer (&self->session);
  if (old != NULL)
    {
      g_signal_handlers_disconnect_by_func (tg_session_get_manager (old), on_session_expired, self);
      tg_session_shutdown (old);
    }

  if (session != NULL)
    {
      self->session = g_object_ref (session);
      g_signal_connect_object (tg_session_get_manager (session), "session-expired",
                               G_CALLBACK (on_session_expired), self, 0);
    }
}

/**
 * tg_application_get_session:
 *
 * Returns: (transfer none) (nullable): the session in use
 */
TgSession *
tg_application_get_session (TgApplication *self)
{
  g_return_val_if_fail (TG_IS_APPLICATION (self), NULL);

  return self->session;
}

GSettings *
tg_application_get_settings (TgApplication *self)
{
  g_return_val_if_fail (TG_IS_APPLICATION (self), NULL);

  return self->settings;
}

/**
 * tg_application_dup_server_uri:
 *
 * The server this run was asked to use: `--server`, else the GSettings
 * choice.
 *
 * Returns: (transfer full) (nullable): its URI, or %NULL for the built-in
 *   demo server
 */
char *
tg_application_dup_server_uri (TgApplication *self)
{
  g_autofree char *url = NULL;

  g_return_val_if_fail (TG_IS_APPLICATION (self), NULL);

  if (self->server_override != NULL)
    return g_strdup (self->server_override);
  if (g_settings_get_enum (self->settings, "server-mode") != SERVER_MODE_CUSTOM)
    return NULL;

  /* "custom" with no URL yet: nothing to sign in to but the demo server. */
  url = g_strstrip (g_settings_get_string (self->settings, "server-url"));
  return *url != '\0' ? g_steal_pointer (&url) : NULL;
}

/**
 * tg_application_get_protocol:
 *
 * Returns: the protocol this run was asked to use: `--protocol`, else the
 *   GSettings choice
 */
TgAuthProtocolKind
tg_application_get_protocol (TgApplication *self)
{
  g_return_val_if_fail (TG_IS_APPLICATION (self), TG_AUTH_PROTOCOL_SEED);

  if (self->has_protocol_override)
    return self->protocol_override;
  return g_settings_get_enum (self->settings, "protocol") == 1 ? TG_AUTH_PROTOCOL_OAUTH2
                                                               : TG_AUTH_PROTOCOL_SEED;
}

/* ------------------------------------------------------------------------- */
/* Start-up: session, then the stored tokens, then a window                  */

static void
finish_start (TgApplication *self)
{
  self->starting = FALSE;
  g_application_release (G_APPLICATION (self));
}

static void
restored (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(TgApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean signed_in;

  /* An unreadable store is "signed out" (the core has said why); only a
   * cancellation, at shutdown, means "show nothing". */
  signed_in = tg_token_manager_restore_finish (TG_TOKEN_MANAGER (source), result, &error);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (signed_in)
        show_home (self);
      else
        show_sign_in (self, NULL);
    }
  finish_start (self);
}

static void
session_ready (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TgApplication) self = user_data;
  g_autoptr(TgSession) session = NULL;
  g_autoptr(GError) error = NULL;

  session = tg_session_new_finish (result, &error);
  if (session == NULL)
    {
      /* An insecure or malformed URL, or a demo server that cannot start:
       * the sign-in window shows why and lets the person pick another. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        tg_sign_in_window_show_error (show_sign_in (self, NULL), error);
      finish_start (self);
      return;
    }

  set_session (self, session);
  tg_token_manager_restore_async (tg_session_get_manager (session), self->cancellable,
                                  restored, g_object_ref (self));
}

/* The remembered provider's session, @secret (nullable) being its client's
 * secret from the keyring; or, with no provider remembered, the built-in
 * server's browser session. */
static void
start_provider_session (TgApplication *self,
                        const char    *secret)
{
  g_autofree char *issuer = g_settings_get_string (self->settings, "provider-issuer");
  g_autofree char *client_id = g_settings_get_string (self->settings, "provider-client-id");
  g_autofree char *scope = g_settings_get_string (self->settings, "provider-scope");
  g_autofree char *api_uri = g_settings_get_string (self->settings, "api-url");
  g_autofree char *path_format = g_settings_get_string (self->settings, "api-path");
  gboolean provider = g_settings_get_enum (self->settings, "server-mode") == SERVER_MODE_PROVIDER &&
                      *issuer != '\0' && *client_id != '\0';
  TgSessionProviderOptions options = {
    .issuer = provider ? issuer : NULL,
    .client_id = client_id,
    .client_secret = secret,
    .scope = *scope != '\0' ? scope : NULL,
    .api_uri = *api_uri != '\0' ? api_uri : NULL,
    .path_format = *path_format != '\0' ? path_format : NULL,
  };

  tg_session_new_for_provider_async (&options, self->settings, self->cancellable,
                                     session_ready, g_object_ref (self));
}

static void
client_secret_found (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(TgApplication) self = user_data;
  char *secret = tg_client_secret_lookup_finish (result);

  /* Without the keyring, a confidential client's refresh fails and the
   * sign-in window says so; a public client needs no secret. */
  start_provider_session (self, secret);
  tg_client_secret_free (secret);
}

static void
start (TgApplication *self)
{
  g_autofree char *server_uri = tg_application_dup_server_uri (self);
  guint mode = g_settings_get_enum (self->settings, "server-mode");

  /* Held until a window is up: an application without windows quits. */
  self->starting = TRUE;
  g_application_hold (G_APPLICATION (self));

  /* --server and --protocol ask for the password form's session. */
  if (server_uri == NULL && !self->has_protocol_override && mode == SERVER_MODE_PROVIDER)
    {
      g_autofree char *issuer = g_settings_get_string (self->settings, "provider-issuer");
      g_autofree char *client_id = g_settings_get_string (self->settings, "provider-client-id");

      tg_client_secret_lookup_async (issuer, client_id, self->cancellable,
                                     client_secret_found, g_object_ref (self));
    }
  else if (server_uri == NULL && !self->has_protocol_override &&
           g_settings_get_boolean (self->settings, "builtin-browser"))
    start_provider_session (self, NULL);
  else
    tg_session_new_async (server_uri, tg_application_get_protocol (self), self->settings,
                          self->cancellable, session_ready, g_object_ref (self));
}

/* ------------------------------------------------------------------------- */
/* Actions                                                                   */

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  TgApplication *self = user_data;
  GList *windows;

  /* Destroying every window lets the application end on its own, and each
   * window's dispose cancels its work. */
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (self))) != NULL)
    gtk_window_destroy (windows->data);
  g_application_quit (G_APPLICATION (self));
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  TgApplication *self = user_data;
  TgPreferencesWindow *window = tg_preferences_window_new (self->current, self->settings);

  gtk_window_set_destroy_with_parent (GTK_WINDOW (window), TRUE);
  gtk_window_present (GTK_WINDOW (window));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  TgApplication *self = user_data;
  static const char *developers[] = { "The Tokengate developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", self->current,
                        "destroy-with-parent", TRUE,
                        "modal", TRUE,
                        "application-name", _("Tokengate"),
                        "application-icon", APP_ID,
                        "version", PACKAGE_VERSION,
                        "developer-name", _("The Tokengate developers"),
                        "developers", developers,
                        "comments", _("Many requests, an expired token, and exactly one refresh: "
                                      "a demonstration of how an app should renew its access."),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
signed_out (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TgApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  /* The local tokens are gone either way; a revocation the server did not
   * take is worth a line in the log, not an error dialog. */
  if (!tg_token_manager_sign_out_finish (TG_TOKEN_MANAGER (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Signing out: %s", error->message);

  self->signing_out = FALSE;
  /* Unless the person closed the window meanwhile (or the app is quitting). */
  if (self->current != NULL && !g_cancellable_is_cancelled (self->cancellable))
    show_sign_in (self, NULL);
  update_actions (self);
  g_application_release (G_APPLICATION (self));
}

static void
sign_out_activated (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  TgApplication *self = user_data;

  if (self->session == NULL || self->signing_out)
    return;

  /* The home window stays until the revocation is done: signing in again
   * before it finished would race with it clearing the store. Held, so that
   * closing the window meanwhile does not leave the tokens stored. */
  self->signing_out = TRUE;
  update_actions (self);
  g_application_hold (G_APPLICATION (self));
  tg_token_manager_sign_out_async (tg_session_get_manager (self->session), self->cancellable,
                                   signed_out, g_object_ref (self));
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_activated },
  { .name = "preferences", .activate = preferences_activated },
  { .name = "about", .activate = about_activated },
  { .name = "sign-out", .activate = sign_out_activated },
};

static void
update_actions (TgApplication *self)
{
  GAction *sign_out = g_action_map_lookup_action (G_ACTION_MAP (self), "sign-out");

  if (sign_out != NULL)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (sign_out),
                                 TG_IS_HOME_WINDOW (self->current) && !self->signing_out);
}

/* ------------------------------------------------------------------------- */
/* GApplication                                                              */

static const GOptionEntry option_entries[] = {
  { "server", 's', G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, NULL,
    N_("Sign in to the server at URL instead of the built-in demo server"), N_("URL") },
  { "protocol", 'p', G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, NULL,
    N_("How to sign in: “seed” (the demo’s JSON API) or “oauth2”"), N_("PROTOCOL") },
  { "version", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
    N_("Show the version and exit"), NULL },
  { NULL }
};

static gboolean
is_server_url (const char *text)
{
  g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  const char *scheme;
  const char *host;

  if (uri == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  return (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0) &&
         host != NULL && *host != '\0';
}

static int
tg_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  TgApplication *self = TG_APPLICATION (app);
  const char *server = NULL;
  const char *protocol = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("tokengate %s\n", PACKAGE_VERSION);
      return 0;
    }

  /* Wrong values end here, in the process that was started, with one line a
   * person can act on. Whether the URL is safe for a password (https, or
   * http on loopback) is for the sign-in window to say. */
  if (g_variant_dict_lookup (options, "protocol", "&s", &protocol))
    {
      if (g_strcmp0 (protocol, "seed") == 0)
        self->protocol_override = TG_AUTH_PROTOCOL_SEED;
      else if (g_strcmp0 (protocol, "oauth2") == 0)
        self->protocol_override = TG_AUTH_PROTOCOL_OAUTH2;
      else
        {
          g_printerr (_("tokengate: unknown protocol “%s”: use “seed” or “oauth2”\n"), protocol);
          return 2;
        }
      self->has_protocol_override = TRUE;
    }

  if (g_variant_dict_lookup (options, "server", "&s", &server))
    {
      if (!is_server_url (server))
        {
          g_printerr (_("tokengate: “%s” is not a server URL: use http:// or https:// and a host name\n"),
                      server);
          return 2;
        }
      g_free (self->server_override);
      self->server_override = g_strdup (server);
    }

  return -1;
}

static void
tg_application_activate (GApplication *app)
{
  TgApplication *self = TG_APPLICATION (app);

  /* A second launch lands here too (in this, the first, process): raise the
   * window that is up rather than starting over. */
  if (self->current != NULL)
    gtk_window_present (self->current);
  else if (!self->starting)
    start (self);
}

static void
tg_application_startup (GApplication *app)
{
  TgApplication *self = TG_APPLICATION (app);
  static const char *quit_accels[] = { "<Primary>q", NULL };
  static const char *preferences_accels[] = { "<Primary>comma", NULL };
  static const char *send_accels[] = { "<Primary>Return", "<Primary>KP_Enter", NULL };

  G_APPLICATION_CLASS (tg_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.send", send_accels);
  update_actions (self);

  gtk_window_set_default_icon_name (APP_ID);
}

static void
tg_application_shutdown (GApplication *app)
{
  TgApplication *self = TG_APPLICATION (app);

  g_cancellable_cancel (self->cancellable);
  set_session (self, NULL);

  G_APPLICATION_CLASS (tg_application_parent_class)->shutdown (app);
}

static void
tg_application_dispose (GObject *object)
{
  TgApplication *self = TG_APPLICATION (object);

  g_cancellable_cancel (self->cancellable);
  set_session (self, NULL);
  g_clear_weak_pointer (&self->current);

  G_OBJECT_CLASS (tg_application_parent_class)->dispose (object);
}

static void
tg_application_finalize (GObject *object)
{
  TgApplication *self = TG_APPLICATION (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_free (self->server_override);

  G_OBJECT_CLASS (tg_application_parent_class)->finalize (object);
}

static void
tg_application_class_init (TgApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = tg_application_dispose;
  object_class->finalize = tg_application_finalize;

  app_class->handle_local_options = tg_application_handle_local_options;
  app_class->activate = tg_application_activate;
  app_class->startup = tg_application_startup;
  app_class->shutdown = tg_application_shutdown;

  /* The templates, style.css and the shortcuts window are in a GResource
   * compiled into the same static library as this file. Nothing else names
   * it, so without this reference the linker would drop it — and with it the
   * constructor that registers it. */
  if (tg_get_resource () == NULL)
    g_error ("The application's resources are missing");
}

static void
tg_application_init (TgApplication *self)
{
  self->settings = g_settings_new (APP_ID);
  self->cancellable = g_cancellable_new ();

  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Sign in, break the access token, send many "
                                              "requests, and watch exactly one refresh."));
}

/**
 * tg_application_new:
 *
 * Returns: (transfer full): the application, single instance: a second launch
 *   raises the first one's window
 */
TgApplication *
tg_application_new (void)
{
  return g_object_new (TG_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/dev/tokengate/Tokengate",
                       NULL);
}
