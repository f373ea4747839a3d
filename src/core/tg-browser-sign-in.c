/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgBrowserSignIn: Authorization Code + PKCE through the system browser, as
 * RFC 8252 has native apps do it.
 *
 * A run, in order: listen on the loopback redirect URI (§7.3: the IP
 * literal, not `localhost`, which may resolve elsewhere or to IPv6 only);
 * make a fresh PKCE verifier (RFC 7636 §4.1, 32 random bytes), `state` and,
 * for OpenID Connect, `nonce`; open the authorization URI in the default
 * browser (g_app_info_launch_default_for_uri_async(), which goes through the
 * OpenURI portal in a Flatpak sandbox); wait for the one request to the
 * redirect path; check it belongs to this run (`state`, compared in constant
 * time; RFC 9207 `iss` when the provider sends it); exchange the code at the
 * token endpoint through the token manager, which installs the session as it
 * does a password sign-in's; answer the browser with a small page that says
 * how it ended; close the listener.
 *
 * The listener answers only that one request: any other path is 404; a
 * request to the redirect path without this run's `state`, naming a
 * parameter twice, or sent to another host name than the loopback address
 * (DNS rebinding) gets 400 and the run waits on; after the answer it is
 * gone, at the latest when the code exchange's deadline passes. A run also ends, closing it, on cancel and
 * after #TgBrowserSignIn:timeout.
 *
 * No ID token is read: nothing from one is shown, so none needs verifying.
 */
#define G_LOG_DOMAIN "tg-browser-sign-in"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "tg-auth-error.h"
#include "tg-auth-protocol-private.h"
#include "tg-base64url.h"
#include "tg-browser-sign-in.h"
#include "tg-token-manager-private.h"

#define DEFAULT_TIMEOUT       300   /* seconds: RFC 8252 leaves it to us */
#define DEFAULT_PATH          "/callback"
#define VERIFIER_BYTES        32    /* RFC 7636 §7.1: 256 bits */
#define STATE_BYTES           16
/* An `error_description` is the provider's text: shown, but not all of it. */
#define MAX_DESCRIPTION       200
/* The least time the code exchange gets, whatever is left of the timeout
 * (and no more than the timeout itself). */
#define MIN_EXCHANGE_TIMEOUT  30    /* seconds */

struct _TgBrowserSignIn
{
  GObject            parent_instance;

  TgTokenManager    *manager;            /* owned */
  TgProvider        *provider;           /* owned */
  char              *host;               /* "127.0.0.1" or "::1" */
  guint16            port;               /* 0: ephemeral */
  char              *path;
  char              *redirect_uri;       /* as set, or as listened on */
  char              *authority;          /* nullable: "127.0.0.1:PORT" or
                                            "[::1]:PORT" once listening */
  guint              timeout;            /* seconds */
  gboolean           open_browser;
  char              *authorization_uri;  /* nullable: until a run listens */
  gboolean           refresh_token_issued;

  /* The run under way. */
  GTask             *task;               /* owned, nullable */
  SoupServer        *server;             /* owned, nullable */
  GSource           *deadline;           /* owned, nullable */
  gint64             deadline_at;        /* monotonic time, µs */
  GCancellable      *exchange;           /* owned, nullable: the code
                                            exchange's own, cancelled when
                                            the run ends */
  GSource           *cancel_watch;       /* owned, nullable */
  char              *verifier;           /* owned, nullable; wiped */
  char              *state;              /* owned, nullable */
  gboolean           answered;           /* the redirect has come */
  SoupServerMessage *page;               /* owned, nullable, paused: the
                                            browser waiting for how it ended */
};

G_DEFINE_FINAL_TYPE (TgBrowserSignIn, tg_browser_sign_in, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MANAGER,
  PROP_PROVIDER,
  PROP_REDIRECT_URI,
  PROP_TIMEOUT,
  PROP_OPEN_BROWSER,
  PROP_AUTHORIZATION_URI,
  PROP_REFRESH_TOKEN_ISSUED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------------- */
/* Randomness and PKCE                                                       */

/* @n_bytes from the kernel's CSPRNG, base64url-encoded. GLib's g_random_*()
 * is not meant for secrets. */
static char *
random_text (gsize n_bytes)
{
  guint8 bytes[VERIFIER_BYTES];
  gsize done = 0;
  char *text;

  g_assert (n_bytes <= sizeof bytes);
  while (done < n_bytes)
    {
      ssize_t n = getrandom (bytes + done, n_bytes - done, 0);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          g_error ("getrandom() failed: %s; refusing to go on without a CSPRNG", g_strerror (errno));
        }
      done += (gsize) n;
    }

  text = tg_base64url_encode (bytes, n_bytes);
  explicit_bzero (bytes, sizeof bytes);
  return text;
}

/* RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))). */
static char *
s256_challenge (const char *verifier)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;

  g_checksum_update (checksum, (const guchar *) verifier, -1);
  g_checksum_get_digest (checksum, digest, &len);
  return tg_base64url_encode (digest, len);
}

/* Whether @a and @b are equal, in a time that does not depend on where they
 * differ: `state` is what keeps a forged redirect out (RFC 6749 §10.12). */
static gboolean
equal_in_constant_time (const char *a,
                        const char *b)
{
  gsize len_a = strlen (a);
  gsize len_b = strlen (b);
  guchar diff = len_a != len_b;

  for (gsize i = 0; i < len_a; i++)
    diff |= (guchar) a[i] ^ (guchar) b[i % MAX (len_b, 1)];
  return diff == 0;
}

static gboolean
scope_has (const char *scope,
           const char *value)
{
  g_auto(GStrv) values = NULL;

  if (scope == NULL)
    return FALSE;
  values = g_strsplit (scope, " ", -1);
  return g_strv_contains ((const char * const *) values, value);
}

/* ------------------------------------------------------------------------- */
/* The authorization request                                                 */

static void
append_param (GString    *uri,
              const char *name,
              const char *value)
{
  g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);

  g_string_append_printf (uri, "%c%s=%s", strchr (uri->str, '?') != NULL ? '&' : '?', name, escaped);
}

/* RFC 6749 §4.1.1 with PKCE (RFC 7636 §4.3), `nonce` for OpenID Connect
 * (Core §3.1.2.1) and `prompt=consent`, without which OpenID Connect
 * providers issue no offline refresh token (Core §11). */
static char *
build_authorization_uri (TgBrowserSignIn *self,
                         const char      *nonce)
{
  TgAuthProtocol *protocol = tg_token_manager_get_protocol (self->manager);
  const char *scope = tg_auth_protocol_get_scope (protocol);
  g_autofree char *challenge = s256_challenge (self->verifier);
  GString *uri = g_string_new (tg_provider_get_authorization_endpoint (self->provider));

  append_param (uri, "response_type", "code");
  append_param (uri, "client_id", tg_auth_protocol_get_client_id (protocol));
  append_param (uri, "redirect_uri", self->redirect_uri);
  if (scope != NULL)
    append_param (uri, "scope", scope);
  append_param (uri, "state", self->state);
  append_param (uri, "code_challenge", challenge);
  append_param (uri, "code_challenge_method", "S256");
  if (nonce != NULL)
    append_param (uri, "nonce", nonce);
  if (scope_has (scope, "offline_access"))
    append_param (uri, "prompt", "consent");

  return g_string_free (uri, FALSE);
}

/* ------------------------------------------------------------------------- */
/* The page the browser is left with                                         */

static void
answer_page (SoupServerMessage *msg,
             guint              status,
             const char        *heading,
             const char        *detail)
{
  g_autofree char *heading_html = g_markup_escape_text (heading, -1);
  g_autofree char *detail_html = g_markup_escape_text (detail != NULL ? detail : "", -1);
  /* Translators: the language of this translation as an HTML lang attribute
   * (a BCP 47 tag: "de", "uk", "pt-BR"…) */
  g_autofree char *lang_html = g_markup_escape_text (C_("HTML lang", "en"), -1);
  char *html;

  html = g_strdup_printf ("<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                          "<meta name=\"viewport\" content=\"width=device-width\">\n"
                          "<title>Tokengate</title>\n"
                          "<style>body{font-family:sans-serif;max-width:40em;margin:4em auto;padding:0 1em}</style>\n"
                          "</head>\n<body>\n<h1>%s</h1>\n<p>%s</p>\n</body>\n</html>\n",
                          lang_html, heading_html, detail_html);
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-store");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Referrer-Policy", "no-referrer");
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE, html, strlen (html));
}

/* ------------------------------------------------------------------------- */
/* Ending a run                                                              */

static gboolean
disconnect_server (gpointer data)
{
  soup_server_disconnect (SOUP_SERVER (data));
  return G_SOURCE_REMOVE;
}

/* Not from inside the message's own signal: disconnecting finalizes the
 * connection that is emitting it. */
static void
page_sent (SoupServerMessage *msg,
           gpointer           user_data)
{
  g_autoptr(GSource) idle = g_idle_source_new ();

  g_source_set_callback (idle, disconnect_server, user_data, g_object_unref);
  g_source_set_name (idle, "[tokengate] browser sign-in listener close");
  g_source_attach (idle, g_main_context_get_thread_default ());
}

/* Closes the listener: now, or once the browser has its page. */
static void
close_listener (TgBrowserSignIn *self)
{
  g_autoptr(SoupServer) server = g_steal_pointer (&self->server);

  if (server == NULL)
    return;
  /* Whatever else comes in meanwhile gets libsoup's 404: @self may be gone
   * by then. */
  soup_server_remove_handler (server, NULL);
  if (self->page != NULL)
    {
      g_autoptr(SoupServerMessage) page = g_steal_pointer (&self->page);

      /* The handler owns the server until the page is out. */
      g_signal_connect (page, "finished", G_CALLBACK (page_sent), g_steal_pointer (&server));
      soup_server_message_unpause (page);
      return;
    }
  soup_server_disconnect (server);
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
run_clear (TgBrowserSignIn *self)
{
  clear_source (&self->deadline);
  clear_source (&self->cancel_watch);
  if (self->exchange != NULL)
    g_cancellable_cancel (self->exchange);
  g_clear_object (&self->exchange);
  close_listener (self);
  if (self->verifier != NULL)
    explicit_bzero (self->verifier, strlen (self->verifier));
  g_clear_pointer (&self->verifier, g_free);
  g_clear_pointer (&self->state, g_free);
}

/* Ends the run with @error (owned), or with success for %NULL. The browser,
 * if it is waiting, is told how it ended. */
static void
run_complete (TgBrowserSignIn *self,
              GError          *error)
{
  g_autoptr(GTask) task = NULL;

  if (self->task == NULL)
    {
      g_clear_error (&error);
      return;
    }

  if (self->page != NULL)
    {
      if (error == NULL)
        answer_page (self->page, SOUP_STATUS_OK, _("Signed in"),
                     _("Signed in — you can close this tab and go back to Tokengate."));
      else
        answer_page (self->page, SOUP_STATUS_OK, _("Tokengate could not sign you in"), error->message);
    }
  /* The task first: cancelling the code exchange in run_clear() may call
   * code_exchanged() back at once, and it must find the run over. */
  task = g_steal_pointer (&self->task);
  run_clear (self);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static gboolean
deadline_passed (gpointer user_data)
{
  TgBrowserSignIn *self = user_data;

  g_clear_pointer (&self->deadline, g_source_unref);
  if (self->exchange != NULL)
    {
      run_complete (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                               _("The provider did not answer in time")));
      return G_SOURCE_REMOVE;
    }
  run_complete (self, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                   g_dngettext (GETTEXT_PACKAGE,
                                                "Nobody signed in within %u second",
                                                "Nobody signed in within %u seconds", self->timeout),
                                   self->timeout));
  return G_SOURCE_REMOVE;
}

/* A GSource rather than GCancellable::cancelled: that may be emitted on
 * another thread, and a run is ended on its own. */
static gboolean
cancelled (GCancellable *cancellable,
           gpointer      user_data)
{
  TgBrowserSignIn *self = user_data;

  g_clear_pointer (&self->cancel_watch, g_source_unref);
  run_complete (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The sign-in was cancelled")));
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------- */
/* The redirect                                                              */

/* @user_data is the run's own task: a run that ended meanwhile (cancelled,
 * timed out) may have been followed by another, which this answer must not
 * end. */
static void
code_exchanged (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) run = user_data;
  TgBrowserSignIn *self = g_task_get_source_object (run);
  GError *error = NULL;
  gboolean ok = tg_token_manager_sign_in_with_code_finish (TG_TOKEN_MANAGER (source), result, &error);

  if (run != self->task)
    {
      g_clear_error (&error);
      return;
    }
  if (!ok)
    {
      run_complete (self, error);
      return;
    }

  self->refresh_token_issued = tg_token_manager_has_refresh_token (self->manager);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REFRESH_TOKEN_ISSUED]);
  run_complete (self, NULL);
}

/* A short, printable excerpt of what the provider said, for a message. */
static char *
printable_excerpt (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0' && out->len < MAX_DESCRIPTION; p++)
    g_string_append_c (out, g_ascii_isprint (*p) ? *p : '?');
  return g_string_free (out, FALSE);
}

/* RFC 6749 §4.1.2.1: the provider's error, in words. */
static GError *
provider_error (const char *code,
                const char *description)
{
  g_autofree char *shown_code = printable_excerpt (code);
  g_autofree char *shown_description = description != NULL ? printable_excerpt (description) : NULL;
  g_autofree char *what = NULL;

  if (shown_description != NULL)
    what = g_strdup_printf ("%s: %s", shown_code, shown_description);
  else
    what = g_strdup (shown_code);

  if (strcmp (code, "access_denied") == 0)
    /* Translators: %s is the provider's error code and description. */
    return g_error_new (TG_AUTH_ERROR, TG_AUTH_ERROR_AUTHORIZATION_FAILED,
                        _("The sign-in was refused or cancelled at the provider (%s)"), what);
  /* Translators: %s is the provider's error code and description. */
  return g_error_new (TG_AUTH_ERROR, TG_AUTH_ERROR_AUTHORIZATION_FAILED,
                      _("The provider could not sign you in (%s)"), what);
}

/* Whether an answer that carries our `state` can be used; @error says why
 * not. */
static gboolean
check_response (TgBrowserSignIn  *self,
                GHashTable       *params,
                GError          **error)
{
  const char *iss = g_hash_table_lookup (params, "iss");
  /* RFC 9207 §2.4: a provider that says it sends `iss` must send its own;
   * one that does not advertise it, if it sends one, must send its own too. */
  if (iss == NULL && tg_provider_get_sends_issuer_in_response (self->provider))
    {
      g_set_error_literal (error, TG_AUTH_ERROR, TG_AUTH_ERROR_AUTHORIZATION_FAILED,
                           _("The browser came back with an answer that does not name its issuer "
                             "(no “iss”), though the provider says it always does"));
      return FALSE;
    }
  if (iss != NULL && strcmp (iss, tg_provider_get_issuer (self->provider)) != 0)
    {
      g_set_error_literal (error, TG_AUTH_ERROR, TG_AUTH_ERROR_AUTHORIZATION_FAILED,
                           _("The browser came back with an answer from another issuer (“iss”)"));
      return FALSE;
    }
  if (g_hash_table_lookup (params, "error") != NULL)
    {
      g_propagate_error (error, provider_error (g_hash_table_lookup (params, "error"),
                                                g_hash_table_lookup (params, "error_description")));
      return FALSE;
    }
  if (g_hash_table_lookup (params, "code") == NULL || *(char *) g_hash_table_lookup (params, "code") == '\0')
    {
      g_set_error_literal (error, TG_AUTH_ERROR, TG_AUTH_ERROR_AUTHORIZATION_FAILED,
                           _("The browser came back without a sign-in code"));
      return FALSE;
    }
  return TRUE;
}

/* The redirect's query as RFC 6749 reads it: form-encoded (Appendix B: `+`
 * is a space), no parameter twice (§3.1). %NULL when it is not. */
static GHashTable *
parse_response (const char *query)
{
  g_autoptr(GHashTable) params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GError) error = NULL;
  GUriParamsIter iter;
  char *name;
  char *value;

  g_uri_params_iter_init (&iter, query, -1, "&", G_URI_PARAMS_WWW_FORM);
  while (g_uri_params_iter_next (&iter, &name, &value, &error))
    {
      if (g_hash_table_contains (params, name))
        {
          g_free (name);
          g_free (value);
          return NULL;
        }
      g_hash_table_insert (params, name, value);
    }
  if (error != NULL)
    return NULL;
  return g_steal_pointer (&params);
}

/* Whether @msg was sent to the address we listen on, by name: a page that
 * rebinds its own host name to 127.0.0.1 (DNS rebinding) sends its own. */
static gboolean
sent_to_us (TgBrowserSignIn   *self,
            SoupServerMessage *msg)
{
  const char *host = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Host");

  return host != NULL && self->authority != NULL && strcmp (host, self->authority) == 0;
}

/* A request to the redirect path that is not this run's answer: a forged
 * one from another program or page, or an old tab. It does not end the run:
 * whoever can reach the port could otherwise end every sign-in. */
static void
answer_not_ours (SoupServerMessage *msg)
{
  answer_page (msg, SOUP_STATUS_BAD_REQUEST, _("Not a sign-in Tokengate is waiting for"),
               _("This answer does not belong to the sign-in under way. If you are signing in, "
                 "start again from Tokengate."));
}

static void
arm_deadline (TgBrowserSignIn *self,
              guint            seconds)
{
  clear_source (&self->deadline);
  self->deadline_at = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  self->deadline = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (self->deadline, deadline_passed, self, NULL);
  g_source_set_name (self->deadline, "[tokengate] browser sign-in deadline");
  g_source_attach (self->deadline, g_task_get_context (self->task));
}

/* The code exchange gets what is left of the timeout, but at least
 * MIN_EXCHANGE_TIMEOUT (or the whole timeout, if that is shorter): the
 * token manager sets no deadline of its own on a sign-in. */
static guint
exchange_timeout (TgBrowserSignIn *self)
{
  gint64 left = (self->deadline_at - g_get_monotonic_time ()) / G_USEC_PER_SEC;

  return MAX ((guint) CLAMP (left, 0, G_MAXUINT), MIN (MIN_EXCHANGE_TIMEOUT, self->timeout));
}

static void
handle_request (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  TgBrowserSignIn *self = user_data;
  g_autoptr(GHashTable) params = NULL;
  GError *error = NULL;
  const char *query_text;
  const char *state;

  if (self->task == NULL || self->answered || strcmp (path, self->path) != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET");
      return;
    }

  /* Only an answer with our `state`, read unambiguously, sent to our own
   * address, is this run's; anything else is refused and the run waits on. */
  query_text = g_uri_get_query (soup_server_message_get_uri (msg));
  params = parse_response (query_text != NULL ? query_text : "");
  state = params != NULL ? g_hash_table_lookup (params, "state") : NULL;
  if (!sent_to_us (self, msg) || state == NULL || !equal_in_constant_time (state, self->state))
    {
      answer_not_ours (msg);
      return;
    }

  /* The one answer: whatever else it says, the run ends with it. */
  self->answered = TRUE;
  self->page = g_object_ref (msg);
  soup_server_message_pause (msg);
  if (!check_response (self, params, &error))
    {
      run_complete (self, error);
      return;
    }

  /* Nothing new gets in while the code is exchanged (every other request
   * is 404 now), and the deadline still holds: the listener and the
   * browser's page do not wait for a provider that never answers. */
  arm_deadline (self, exchange_timeout (self));
  self->exchange = g_cancellable_new ();
  tg_token_manager_sign_in_with_code_async (self->manager, g_hash_table_lookup (params, "code"),
                                            self->redirect_uri, self->verifier, self->exchange,
                                            code_exchanged, g_object_ref (self->task));
}

/* ------------------------------------------------------------------------- */
/* Starting a run                                                            */

static void
browser_launched (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Not the end of the sign-in: the address is still there to be opened by
   * hand (#TgBrowserSignIn:authorization-uri). */
  if (!g_app_info_launch_default_for_uri_finish (result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not open a web browser (%s); open the sign-in address by hand", error->message);
}

static gboolean
listen (TgBrowserSignIn  *self,
        GError          **error)
{
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string (self->host, self->port);
  g_autoptr(GSList) uris = NULL;
  g_autoptr(GUri) redirect = NULL;

  self->server = soup_server_new ("server-header", NULL, NULL);
  soup_server_add_handler (self->server, NULL, handle_request, self, NULL);
  if (!soup_server_listen (self->server, address, 0, error))
    {
      g_prefix_error (error, _("Cannot wait for the browser on this computer: "));
      g_clear_object (&self->server);
      return FALSE;
    }

  uris = soup_server_get_uris (self->server);
  g_assert (uris != NULL);
  g_free (self->authority);
  /* As a browser sends it in Host (RFC 9110 §7.2): the default port left out. */
  if (g_uri_get_port (uris->data) == 80)
    self->authority = strchr (self->host, ':') != NULL ? g_strdup_printf ("[%s]", self->host)
                                                      : g_strdup (self->host);
  else if (strchr (self->host, ':') != NULL)
    self->authority = g_strdup_printf ("[%s]:%d", self->host, g_uri_get_port (uris->data));
  else
    self->authority = g_strdup_printf ("%s:%d", self->host, g_uri_get_port (uris->data));
  redirect = g_uri_build (G_URI_FLAGS_NONE, "http", NULL, self->host, g_uri_get_port (uris->data),
                          self->path, NULL, NULL);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  g_free (self->redirect_uri);
  self->redirect_uri = g_uri_to_string (redirect);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REDIRECT_URI]);
  return TRUE;
}

/**
 * tg_browser_sign_in_run_async:
 * @self: a #TgBrowserSignIn that is not running
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when signed in, or not
 * @user_data: (closure): data for @callback
 *
 * Signs in through the browser. #TgBrowserSignIn:authorization-uri is set
 * (and notified) as soon as the listener is up, before the browser opens.
 */
void
tg_browser_sign_in_run_async (TgBrowserSignIn     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *nonce = NULL;
  TgAuthProtocol *protocol;
  GError *error = NULL;

  g_return_if_fail (TG_IS_BROWSER_SIGN_IN (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  g_return_if_fail (self->task == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_browser_sign_in_run_async);

  protocol = tg_token_manager_get_protocol (self->manager);
  if (tg_provider_get_authorization_endpoint (self->provider) == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("This provider has no sign-in through the browser (no authorization endpoint)"));
      return;
    }
  if (tg_auth_protocol_get_kind (protocol) != TG_AUTH_PROTOCOL_OAUTH2 ||
      tg_auth_protocol_get_client_id (protocol) == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Signing in through the browser needs OAuth 2.0 with a client ID"));
      return;
    }
  /* The code goes to the token endpoint the manager knows: it must be the
   * one of the provider the browser signs in at, or the code (and with it
   * the session) would go to another server (the mix-up attack, RFC 9700
   * §4.4). */
  if (g_strcmp0 (tg_auth_protocol_get_token_uri (protocol), tg_provider_get_token_endpoint (self->provider)) != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The token endpoint to sign in at is not the provider’s (%s)"),
                               tg_provider_get_token_endpoint (self->provider));
      return;
    }
  if (!listen (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  self->task = g_steal_pointer (&task);
  self->answered = FALSE;
  self->refresh_token_issued = FALSE;
  self->verifier = random_text (VERIFIER_BYTES);
  self->state = random_text (STATE_BYTES);
  /* No ID token is read, but a provider may insist on a nonce with openid. */
  if (scope_has (tg_auth_protocol_get_scope (protocol), "openid"))
    nonce = random_text (STATE_BYTES);

  g_free (self->authorization_uri);
  self->authorization_uri = build_authorization_uri (self, nonce);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTHORIZATION_URI]);
  /* A notify handler may have cancelled the run already. */
  if (self->task == NULL)
    return;

  arm_deadline (self, self->timeout);
  if (cancellable != NULL)
    {
      self->cancel_watch = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->cancel_watch, G_SOURCE_FUNC (cancelled), self, NULL);
      g_source_set_name (self->cancel_watch, "[tokengate] browser sign-in cancel");
      g_source_attach (self->cancel_watch, g_task_get_context (self->task));
    }

  if (self->open_browser)
    g_app_info_launch_default_for_uri_async (self->authorization_uri, NULL, cancellable,
                                             browser_launched, NULL);
}

/**
 * tg_browser_sign_in_run_finish:
 * @self: a #TgBrowserSignIn
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes tg_browser_sign_in_run_async(). On success the token manager
 * holds the new session; see #TgBrowserSignIn:refresh-token-issued for
 * whether it can be refreshed.
 *
 * Fails with %TG_AUTH_ERROR_AUTHORIZATION_FAILED when the provider answered
 * an error (`access_denied` when the person said no), when the answer
 * names another issuer (RFC 9207), or when the code is refused;
 * %G_IO_ERROR_TIMED_OUT after #TgBrowserSignIn:timeout, and when the
 * provider does not answer the code in time;
 * %G_IO_ERROR_CANCELLED; %G_IO_ERROR_NOT_SUPPORTED for a provider without
 * an authorization endpoint; %G_IO_ERROR_INVALID_ARGUMENT without an OAuth
 * 2.0 client ID, or when the token manager's token endpoint is not the
 * provider's; and as tg_token_manager_sign_in_async() does for the
 * token endpoint's other errors.
 *
 * Returns: %TRUE if signed in
 */
gboolean
tg_browser_sign_in_run_finish (TgBrowserSignIn  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (TG_IS_BROWSER_SIGN_IN (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_browser_sign_in_run_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------- */
/* Settings                                                                  */

/**
 * tg_browser_sign_in_get_redirect_uri:
 * @self: a #TgBrowserSignIn
 *
 * Returns: (transfer none): the redirect URI: as set, or, once a run
 *   listens, with the port it listens on
 */
const char *
tg_browser_sign_in_get_redirect_uri (TgBrowserSignIn *self)
{
  g_return_val_if_fail (TG_IS_BROWSER_SIGN_IN (self), NULL);
  return self->redirect_uri;
}

/**
 * tg_browser_sign_in_set_redirect_uri:
 * @self: a #TgBrowserSignIn that is not running
 * @redirect_uri: (nullable): `http://127.0.0.1[:PORT]/PATH` (or `[::1]`), as
 *   registered at the provider; without a port, an ephemeral one. %NULL for
 *   `http://127.0.0.1/callback`
 * @error: return location for a #GError
 *
 * Sets where the browser comes back to. RFC 8252 §7.3: plain http to a
 * loopback IP literal; `localhost` is refused (§8.3).
 *
 * Returns: %TRUE if set; %FALSE with %G_IO_ERROR_INVALID_ARGUMENT, leaving
 *   @self unchanged
 */
gboolean
tg_browser_sign_in_set_redirect_uri (TgBrowserSignIn  *self,
                                     const char       *redirect_uri,
                                     GError          **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *host;
  const char *path;
  int port;

  g_return_val_if_fail (TG_IS_BROWSER_SIGN_IN (self), FALSE);
  g_return_val_if_fail (self->task == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (redirect_uri == NULL)
    redirect_uri = "http://127.0.0.1" DEFAULT_PATH;
  uri = g_uri_parse (redirect_uri, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0 ||
      g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The redirect URI must be http://127.0.0.1:PORT/PATH, without a query"));
      return FALSE;
    }
  host = g_uri_get_host (uri);
  if (g_strcmp0 (host, "127.0.0.1") != 0 && g_strcmp0 (host, "::1") != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The redirect URI must name the loopback address 127.0.0.1 (or [::1]), "
                             "not a host name"));
      return FALSE;
    }
  path = g_uri_get_path (uri);
  if (path[0] != '/' || path[1] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The redirect URI needs a path, such as /callback"));
      return FALSE;
    }
  port = g_uri_get_port (uri);

  g_free (self->host);
  self->host = g_strdup (host);
  self->port = port > 0 ? (guint16) port : 0;
  g_free (self->path);
  self->path = g_strdup (path);
  g_free (self->redirect_uri);
  self->redirect_uri = g_uri_to_string (uri);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REDIRECT_URI]);
  return TRUE;
}

/**
 * tg_browser_sign_in_get_timeout:
 * @self: a #TgBrowserSignIn
 *
 * Returns: how long a run waits for the browser, in seconds
 */
guint
tg_browser_sign_in_get_timeout (TgBrowserSignIn *self)
{
  g_return_val_if_fail (TG_IS_BROWSER_SIGN_IN (self), 0);
  return self->timeout;
}

/**
 * tg_browser_sign_in_set_timeout:
 * @self: a #TgBrowserSignIn
 * @seconds: how long a run waits for the browser (at least 1; default 300)
 *
 * Applies to the next run.
 */
void
tg_browser_sign_in_set_timeout (TgBrowserSignIn *self,
                                guint            seconds)
{
  g_return_if_fail (TG_IS_BROWSER_SIGN_IN (self));
  g_return_if_fail (seconds > 0);

  if (self->timeout == seconds)
    return;
  self->timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

/**
 * tg_browser_sign_in_get_open_browser:
 * @self: a #TgBrowserSignIn
 *
 * Returns: whether a run opens the default browser
 */
gboolean
tg_browser_sign_in_get_open_browser (TgBrowserSignIn *self)
{
  g_return_val_if_fail (TG_IS_BROWSER_SIGN_IN (self), FALSE);
  return self->open_browser;
}

/**
 * tg_browser_sign_in_set_open_browser:
 * @self: a #TgBrowserSignIn
 * @open_browser: %FALSE to only publish #TgBrowserSignIn:authorization-uri,
 *   for a person to open on any computer that can reach the listener
 *
 * Whether a run opens the default browser (the default) or leaves it to the
 * caller.
 */
void
tg_browser_sign_in_set_open_browser (TgBrowserSignIn *self,
                                     gboolean         open_browser)
{
  g_return_if_fail (TG_IS_BROWSER_SIGN_IN (self));

  open_browser = !!open_browser;
  if (self->open_browser == open_browser)
    return;
  self->open_browser = open_browser;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPEN_BROWSER]);
}

/**
 * tg_browser_sign_in_get_authorization_uri:
 * @self: a #TgBrowserSignIn
 *
 * Returns: (transfer none) (nullable): the provider's sign-in page for the
 *   current or last run, or %NULL before the first run listens
 */
const char *
tg_browser_sign_in_get_authorization_uri (TgBrowserSignIn *self)
{
  g_return_val_if_fail (TG_IS_BROWSER_SIGN_IN (self), NULL);
  return self->authorization_uri;
}

/**
 * tg_browser_sign_in_get_refresh_token_issued:
 * @self: a #TgBrowserSignIn
 *
 * Whether the last successful run brought a refresh token. Without one the
 * session ends when its access token expires, and the only way on is to
 * sign in again: ask for `offline_access`, or allow refresh tokens for the
 * client at the provider.
 *
 * Returns: %TRUE if the session can be refreshed
 */
gboolean
tg_browser_sign_in_get_refresh_token_issued (TgBrowserSignIn *self)
{
  g_return_val_if_fail (TG_IS_BROWSER_SIGN_IN (self), FALSE);
  return self->refresh_token_issued;
}

/* ------------------------------------------------------------------------- */
/* GObject                                                                   */

static void
tg_browser_sign_in_dispose (GObject *object)
{
  TgBrowserSignIn *self = TG_BROWSER_SIGN_IN (object);

  /* A running sign-in holds a reference through its task: only a finished
   * one gets here, with its listener closed. */
  g_assert (self->task == NULL);
  close_listener (self);
  g_clear_object (&self->manager);
  g_clear_object (&self->provider);

  G_OBJECT_CLASS (tg_browser_sign_in_parent_class)->dispose (object);
}

static void
tg_browser_sign_in_finalize (GObject *object)
{
  TgBrowserSignIn *self = TG_BROWSER_SIGN_IN (object);

  g_free (self->host);
  g_free (self->path);
  g_free (self->authority);
  g_free (self->redirect_uri);
  g_free (self->authorization_uri);

  G_OBJECT_CLASS (tg_browser_sign_in_parent_class)->finalize (object);
}

static void
tg_browser_sign_in_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  TgBrowserSignIn *self = TG_BROWSER_SIGN_IN (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      g_value_set_object (value, self->manager);
      break;
    case PROP_PROVIDER:
      g_value_set_object (value, self->provider);
      break;
    case PROP_REDIRECT_URI:
      g_value_set_string (value, self->redirect_uri);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_OPEN_BROWSER:
      g_value_set_boolean (value, self->open_browser);
      break;
    case PROP_AUTHORIZATION_URI:
      g_value_set_string (value, self->authorization_uri);
      break;
    case PROP_REFRESH_TOKEN_ISSUED:
      g_value_set_boolean (value, self->refresh_token_issued);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_browser_sign_in_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  TgBrowserSignIn *self = TG_BROWSER_SIGN_IN (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      self->manager = g_value_dup_object (value);
      break;
    case PROP_PROVIDER:
      self->provider = g_value_dup_object (value);
      break;
    case PROP_REDIRECT_URI:
      {
        g_autoptr(GError) error = NULL;

        if (!tg_browser_sign_in_set_redirect_uri (self, g_value_get_string (value), &error))
          g_critical ("%s", error->message);
      }
      break;
    case PROP_TIMEOUT:
      tg_browser_sign_in_set_timeout (self, g_value_get_uint (value));
      break;
    case PROP_OPEN_BROWSER:
      tg_browser_sign_in_set_open_browser (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_browser_sign_in_class_init (TgBrowserSignInClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tg_browser_sign_in_dispose;
  object_class->finalize = tg_browser_sign_in_finalize;
  object_class->get_property = tg_browser_sign_in_get_property;
  object_class->set_property = tg_browser_sign_in_set_property;

  /**
   * TgBrowserSignIn:manager:
   *
   * The token manager that gets the session; its protocol must be OAuth 2.0
   * with a client ID.
   */
  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL, TG_TYPE_TOKEN_MANAGER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * TgBrowserSignIn:provider:
   *
   * Where the browser signs in.
   */
  properties[PROP_PROVIDER] =
    g_param_spec_object ("provider", NULL, NULL, TG_TYPE_PROVIDER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * TgBrowserSignIn:redirect-uri:
   *
   * Where the browser comes back to; see
   * tg_browser_sign_in_set_redirect_uri().
   */
  properties[PROP_REDIRECT_URI] =
    g_param_spec_string ("redirect-uri", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * TgBrowserSignIn:timeout:
   *
   * How long a run waits for the browser, in seconds.
   */
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 1, G_MAXUINT, DEFAULT_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * TgBrowserSignIn:open-browser:
   *
   * Whether a run opens the default browser.
   */
  properties[PROP_OPEN_BROWSER] =
    g_param_spec_boolean ("open-browser", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * TgBrowserSignIn:authorization-uri:
   *
   * The provider's sign-in page for the current or last run.
   */
  properties[PROP_AUTHORIZATION_URI] =
    g_param_spec_string ("authorization-uri", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * TgBrowserSignIn:refresh-token-issued:
   *
   * Whether the last successful run brought a refresh token.
   */
  properties[PROP_REFRESH_TOKEN_ISSUED] =
    g_param_spec_boolean ("refresh-token-issued", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tg_browser_sign_in_init (TgBrowserSignIn *self)
{
  self->host = g_strdup ("127.0.0.1");
  self->path = g_strdup (DEFAULT_PATH);
  self->redirect_uri = g_strdup ("http://127.0.0.1" DEFAULT_PATH);
  self->timeout = DEFAULT_TIMEOUT;
  self->open_browser = TRUE;
}

/**
 * tg_browser_sign_in_new:
 * @manager: the token manager to sign in; OAuth 2.0 with a client ID, for
 *   example from tg_client_config_set_provider()
 * @provider: where to sign in
 *
 * Returns: (transfer full): a browser sign-in, not yet running
 */
TgBrowserSignIn *
tg_browser_sign_in_new (TgTokenManager *manager,
                        TgProvider     *provider)
{
  g_return_val_if_fail (TG_IS_TOKEN_MANAGER (manager), NULL);
  g_return_val_if_fail (TG_IS_PROVIDER (provider), NULL);

  return g_object_new (TG_TYPE_BROWSER_SIGN_IN, "manager", manager, "provider", provider, NULL);
}
