/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgSession: one server, and everything the windows need to talk to it.
 *
 * Building one is a short chain of asynchronous steps: start the built-in demo
 * server when no server is configured, let the library's TgClientConfig build
 * the client (protocol, default token store, token manager), bind the
 * manager's tuning to GSettings, and probe once whether the server has the
 * demo controls. No GTK here.
 */
#define G_LOG_DOMAIN "tg-session"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>

#include "tg-builtin-server.h"
#include "tg-session.h"

/* The OAuth 2.0 client this app registers as. */
#define OAUTH2_CLIENT_ID "tokengate"

/* The built-in server's access tokens live this long: short, so that a person
 * giving the demo sees a natural expiry too, not only the forced ones. */
#define BUILTIN_ACCESS_TTL 30

/* The port of the built-in server changes with every launch, so its session
 * cannot be named after its URI. */
#define BUILTIN_ACCOUNT "built-in"
#define BUILTIN_BROWSER_ACCOUNT "built-in browser"

/* What the built-in server's browser sign-in asks for: its API, and a
 * refresh token (RFC 8252 native clients get one with offline_access). */
#define BUILTIN_SCOPE "api offline_access"

/* How long the demo-controls probe may take; it only decides whether some
 * buttons are shown, so it must never hold up the start for long. */
#define PROBE_TIMEOUT_SECONDS 5

struct _TgSession
{
  GObject             parent_instance;

  TgServer           *server;         /* owned, nullable: the built-in one,
                                         until shut down */
  gboolean            builtin;
  TgClientConfig     *config;         /* owned: server URI and protocol */
  TgTokenManager     *manager;
  TgApiClient        *client;
  TgDemoControls     *demo_controls;  /* owned, nullable */
  TgProvider         *provider;       /* owned, nullable: signs in through
                                         the browser when set */
  char               *path_format;    /* the burst's request path */
};

G_DEFINE_FINAL_TYPE (TgSession, tg_session, G_TYPE_OBJECT)

static void
tg_session_dispose (GObject *object)
{
  TgSession *self = TG_SESSION (object);

  tg_session_shutdown (self);
  g_clear_object (&self->client);
  g_clear_object (&self->manager);
  g_clear_object (&self->demo_controls);
  g_clear_object (&self->config);
  g_clear_object (&self->provider);

  G_OBJECT_CLASS (tg_session_parent_class)->dispose (object);
}

static void
tg_session_finalize (GObject *object)
{
  TgSession *self = TG_SESSION (object);

  g_free (self->path_format);

  G_OBJECT_CLASS (tg_session_parent_class)->finalize (object);
}

static void
tg_session_class_init (TgSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tg_session_dispose;
  object_class->finalize = tg_session_finalize;
}

static void
tg_session_init (TgSession *self)
{
  self->config = tg_client_config_new ();
  self->path_format = g_strdup (TG_SESSION_DEFAULT_PATH_FORMAT);
}

/* ------------------------------------------------------------------------- */
/* The built-in server                                                       */

static TgServer *
start_builtin_server (const char  *database,
                      GError     **error)
{
  TgBuiltinServerSettings settings = {
    .database = database,
    .access_ttl = BUILTIN_ACCESS_TTL,
  };

  return tg_builtin_server_start (&settings, error);
}

/*
 * Runs in a worker: opening the database and, on the very first start, hashing
 * the demo user's password (PBKDF2) take long enough to freeze the window.
 *
 * The database is a file under the user's data directory rather than memory:
 * the token store keeps the session across a relaunch, and an in-memory server
 * would have forgotten it (its signing key and refresh tokens) by then, so the
 * relaunched app would open the home window only to be signed out on the first
 * refresh. With the file, relaunching really continues the session.
 */
static void
start_builtin_server_thread (GTask        *task,
                             gpointer      source_object,
                             gpointer      task_data,
                             GCancellable *cancellable)
{
  g_autofree char *directory = g_build_filename (g_get_user_data_dir (), "tokengate", NULL);
  g_autofree char *database = g_build_filename (directory, "builtin.db", NULL);
  g_autoptr(GError) error = NULL;
  TgServer *server = NULL;

  if (g_mkdir_with_parents (directory, 0700) == 0)
    {
      server = start_builtin_server (database, &error);
    }
  else
    {
      int saved_errno = errno;

      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create %s: %s", directory, g_strerror (saved_errno));
    }

  if (server == NULL)
    {
      /* A demo must still start: a server that forgets its sessions at exit
       * is better than none. */
      g_warning ("The built-in server cannot keep its data in %s (%s); "
                 "its sessions will not survive a restart", database, error->message);
      g_clear_error (&error);
      server = start_builtin_server (NULL, &error);
    }

  if (server == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, server, g_object_unref);
}

/* ------------------------------------------------------------------------- */
/* Building a session                                                        */

typedef struct {
  TgSession *session;   /* owned: disposing it stops a started server */
  GSettings *settings;  /* owned, nullable */
  SoupSession *probe;   /* owned, nullable */
  char *issuer;         /* owned, nullable: the provider to discover, when
                           it is not the built-in server */
  char *api_uri;        /* owned, nullable: the API, when not the issuer */
  gboolean discover;    /* sign in through the browser: find the provider */
} Build;

static void
build_free (Build *build)
{
  g_clear_object (&build->session);
  g_clear_object (&build->settings);
  g_clear_object (&build->probe);
  g_free (build->issuer);
  g_free (build->api_uri);
  g_free (build);
}

static void
bind_settings (TgTokenManager *manager,
               GSettings      *settings)
{
  /* Settings to manager only: the manager never writes the user's choices.
   * The retry-policy key's nicks ("all", "canary") are those of
   * TgRetryPolicy's GEnumValues, which is what GSettings maps enums by. */
  GSettingsBindFlags flags = G_SETTINGS_BIND_GET | G_SETTINGS_BIND_NO_SENSITIVITY;

  g_settings_bind (settings, "retry-policy", manager, "retry-policy", flags);
  g_settings_bind (settings, "proactive-refresh", manager, "proactive", flags);
  g_settings_bind (settings, "expiry-skew", manager, "expiry-skew", flags);
  g_settings_bind (settings, "request-timeout", manager, "refresh-timeout", flags);
}

static void
probe_ready (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Build *build = g_task_get_task_data (task);
  TgSession *session = build->session;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (g_task_return_error_if_cancelled (task))
    return;

  /* Anything but a JSON object from a 200 means "no demo controls here":
   * a real OAuth server answers 404, an unreachable one not at all. Neither
   * is an error of the session, whose sign-in will say what is wrong. */
  if (body != NULL &&
      soup_message_get_status (msg) == SOUP_STATUS_OK &&
      json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                  (gssize) g_bytes_get_size (body), NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      session->demo_controls = tg_demo_controls_new (tg_session_get_server_uri (session), &error);
      if (session->demo_controls == NULL)
        g_debug ("No demo controls: %s", error->message);
    }
  else
    {
      g_debug ("The server at %s has no demo controls", tg_session_get_server_uri (session));
    }

  g_task_return_pointer (task, g_object_ref (session), g_object_unref);
}

static void
probe_demo_controls (GTask *task)
{
  Build *build = g_task_get_task_data (task);
  g_autofree char *uri = g_strconcat (tg_session_get_server_uri (build->session), "/demo/settings", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, uri);

  if (msg == NULL)
    {
      g_task_return_pointer (task, g_object_ref (build->session), g_object_unref);
      g_object_unref (task);
      return;
    }

  build->probe = soup_session_new_with_options ("timeout", PROBE_TIMEOUT_SECONDS, NULL);
  soup_session_send_and_read_async (build->probe, msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), probe_ready, task);
}

static void
client_ready (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Build *build = g_task_get_task_data (task);
  TgSession *session = build->session;
  GError *error = NULL;

  session->client = tg_client_config_build_finish (TG_CLIENT_CONFIG (source), result, &error);
  if (session->client == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  session->manager = g_object_ref (tg_api_client_get_manager (session->client));
  if (build->settings != NULL)
    bind_settings (session->manager, build->settings);

  probe_demo_controls (g_steal_pointer (&task));
}

static void
build_client (GTask *task)
{
  Build *build = g_task_get_task_data (task);

  tg_client_config_build_async (build->session->config, g_task_get_cancellable (task), client_ready, task);
}

static void
provider_discovered (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Build *build = g_task_get_task_data (task);
  TgSession *session = build->session;
  GError *error = NULL;

  session->provider = tg_provider_discover_finish (result, &error);
  if (session->provider == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  /* The API first: without one, the provider makes its issuer the server. */
  if ((build->api_uri != NULL &&
       !tg_client_config_set_server_uri (session->config, build->api_uri, &error)) ||
      !tg_client_config_set_provider (session->config, session->provider, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  build_client (g_steal_pointer (&task));
}

/* The provider's metadata, then the client; or the client at once. */
static void
find_provider (GTask      *task,
               const char *issuer)
{
  Build *build = g_task_get_task_data (task);

  if (build->discover)
    tg_provider_discover_async (issuer, g_task_get_cancellable (task), provider_discovered, task);
  else
    build_client (task);
}

static void
builtin_server_ready (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GTask *server_task = G_TASK (result);
  Build *build = g_task_get_task_data (task);
  TgSession *session = build->session;
  GError *error = NULL;

  /* Taken even when cancelled: the session's dispose stops it. */
  session->server = g_task_propagate_pointer (server_task, &error);
  if (session->server == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  g_debug ("Built-in server at %s", tg_server_get_base_uri (session->server));
  if (build->discover)
    {
      find_provider (g_steal_pointer (&task), tg_server_get_base_uri (session->server));
      return;
    }
  if (!tg_client_config_set_server_uri (session->config, tg_server_get_base_uri (session->server), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  build_client (g_steal_pointer (&task));
}

/* The task that builds a new session, with its Build data. */
static GTask *
start_build (gboolean             builtin,
             GSettings           *settings,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Build *build = g_new0 (Build, 1);

  /* One tag for both constructors: tg_session_new_finish() ends either. */
  g_task_set_source_tag (task, tg_session_new_async);
  build->session = g_object_new (TG_TYPE_SESSION, NULL);
  build->session->builtin = builtin;
  build->settings = settings != NULL ? g_object_ref (settings) : NULL;
  g_task_set_task_data (task, build, (GDestroyNotify) build_free);
  tg_client_config_set_use_default_store (build->session->config, TRUE);
  return task;
}

static void
start_builtin (GTask *task)
{
  /* Without the cancellable: a server that started must come back here,
   * to be stopped if the build was cancelled meanwhile. */
  g_autoptr(GTask) server_task = g_task_new (NULL, NULL, builtin_server_ready, task);

  g_task_run_in_thread (server_task, start_builtin_server_thread);
}

/**
 * tg_session_new_async:
 * @server_uri: (nullable): the server, or %NULL for the built-in demo server
 * @protocol: how to sign in there
 * @settings: (nullable): the application's settings, bound to the token
 *   manager's tuning (retry policy, proactive refresh, skew, timeout)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the session is ready
 * @user_data: data for @callback
 *
 * Builds a session. A plain-http @server_uri to a host that is not loopback
 * fails here with %TG_AUTH_ERROR_INSECURE, before any password is typed; an
 * unreachable server does not fail (the stored session may still be shown,
 * and signing in will say what is wrong).
 */
void
tg_session_new_async (const char          *server_uri,
                      TgAuthProtocolKind   protocol,
                      GSettings           *settings,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  TgClientConfig *config;
  GError *error = NULL;

  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = start_build (server_uri == NULL, settings, cancellable, callback, user_data);
  config = ((Build *) g_task_get_task_data (task))->session->config;
  tg_client_config_set_protocol_kind (config, protocol);
  if (protocol == TG_AUTH_PROTOCOL_OAUTH2)
    tg_client_config_set_client_id (config, OAUTH2_CLIENT_ID);

  if (server_uri == NULL)
    {
      tg_client_config_set_account (config, BUILTIN_ACCOUNT);
      start_builtin (g_steal_pointer (&task));
      return;
    }

  /* Checked now, so that an insecure URL is refused before anything else. */
  if (!tg_client_config_set_server_uri (config, server_uri, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  build_client (g_steal_pointer (&task));
}

/**
 * tg_session_new_for_provider_async:
 * @options: the provider and client; only read during the call
 * @settings: (nullable): as for tg_session_new_async()
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the session is ready
 * @user_data: data for @callback
 *
 * Builds a session that signs in through the browser
 * (tg_session_get_provider()): discovers the provider at @options' issuer,
 * or at the built-in server (started for it) when the issuer is %NULL.
 * Discovery failing fails the build with the provider's error.
 */
void
tg_session_new_for_provider_async (const TgSessionProviderOptions *options,
                                   GSettings                      *settings,
                                   GCancellable                   *cancellable,
                                   GAsyncReadyCallback             callback,
                                   gpointer                        user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  gboolean builtin;
  Build *build;
  TgClientConfig *config;

  g_return_if_fail (options != NULL);
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  builtin = options->issuer == NULL;
  task = start_build (builtin, settings, cancellable, callback, user_data);
  build = g_task_get_task_data (task);
  build->discover = TRUE;
  build->api_uri = g_strdup (options->api_uri);
  config = build->session->config;
  tg_client_config_set_protocol_kind (config, TG_AUTH_PROTOCOL_OAUTH2);
  tg_client_config_set_client_id (config, builtin ? TG_SERVER_NATIVE_CLIENT_ID : options->client_id);
  tg_client_config_set_client_secret (config, options->client_secret);
  tg_client_config_set_scope (config, builtin ? BUILTIN_SCOPE : options->scope);

  if (options->path_format != NULL)
    {
      if (!tg_burst_check_path_format (options->path_format, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_free (build->session->path_format);
      build->session->path_format = g_strdup (options->path_format);
    }

  if (builtin)
    {
      /* Not the password session's account: the two sign in as different
       * clients, and a relaunch must restore the one it builds. */
      tg_client_config_set_account (config, BUILTIN_BROWSER_ACCOUNT);
      start_builtin (g_steal_pointer (&task));
      return;
    }

  g_return_if_fail (options->client_id != NULL);
  {
    /* The provider and the client together name the session: another
     * client at the same provider is another person's session. */
    g_autofree char *account = g_strdup_printf ("%s %s", options->issuer, options->client_id);

    tg_client_config_set_account (config, account);
  }
  find_provider (g_steal_pointer (&task), options->issuer);
}

/**
 * tg_session_new_finish:
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the session, or %NULL with @error set
 */
TgSession *
tg_session_new_finish (GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_session_new_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------- */
/* Accessors                                                                 */

gboolean
tg_session_is_builtin (TgSession *self)
{
  g_return_val_if_fail (TG_IS_SESSION (self), FALSE);

  return self->builtin;
}

/**
 * tg_session_get_server_uri:
 *
 * Returns: the server's base URI, without a trailing slash; for the built-in
 *   server, the address it listens on in this run
 */
const char *
tg_session_get_server_uri (TgSession *self)
{
  g_return_val_if_fail (TG_IS_SESSION (self), NULL);

  return tg_client_config_get_server_uri (self->config);
}

TgAuthProtocolKind
tg_session_get_protocol_kind (TgSession *self)
{
  g_return_val_if_fail (TG_IS_SESSION (self), TG_AUTH_PROTOCOL_SEED);

  return tg_client_config_get_protocol_kind (self->config);
}

/**
 * tg_session_matches:
 * @server_uri: (nullable): a server, or %NULL for the built-in one
 * @protocol: a protocol
 *
 * Whether this session is the one tg_session_new_async() would build for
 * @server_uri and @protocol, so that a window can reuse it.
 */
gboolean
tg_session_matches (TgSession          *self,
                    const char         *server_uri,
                    TgAuthProtocolKind  protocol)
{
  g_autoptr(TgClientConfig) other = NULL;

  g_return_val_if_fail (TG_IS_SESSION (self), FALSE);

  /* A browser session signs in as another client. */
  if (self->provider != NULL || tg_session_get_protocol_kind (self) != protocol)
    return FALSE;
  if (server_uri == NULL)
    return self->builtin;
  if (self->builtin)
    return FALSE;
  /* "https://example.org/" and "https://example.org" are the same server:
   * compared as the configuration spells them. */
  other = tg_client_config_new ();
  return tg_client_config_set_server_uri (other, server_uri, NULL) &&
         g_strcmp0 (tg_client_config_get_server_uri (other), tg_session_get_server_uri (self)) == 0;
}

TgTokenManager *
tg_session_get_manager (TgSession *self)
{
  g_return_val_if_fail (TG_IS_SESSION (self), NULL);

  return self->manager;
}

TgApiClient *
tg_session_get_client (TgSession *self)
{
  g_return_val_if_fail (TG_IS_SESSION (self), NULL);

  return self->client;
}

TgRequestLog *
tg_session_get_request_log (TgSession *self)
{
  g_return_val_if_fail (TG_IS_SESSION (self), NULL);

  return self->manager != NULL ? tg_token_manager_get_request_log (self->manager) : NULL;
}

/**
 * tg_session_get_demo_controls:
 *
 * Returns: (transfer none) (nullable): the demo server's controls, if the
 *   server answered `GET /demo/settings` when the session was built
 */
TgDemoControls *
tg_session_get_demo_controls (TgSession *self)
{
  g_return_val_if_fail (TG_IS_SESSION (self), NULL);

  return self->demo_controls;
}

/**
 * tg_session_get_provider:
 *
 * Returns: (transfer none) (nullable): the provider a browser sign-in goes
 *   to, for a session built by tg_session_new_for_provider_async()
 */
TgProvider *
tg_session_get_provider (TgSession *self)
{
  g_return_val_if_fail (TG_IS_SESSION (self), NULL);

  return self->provider;
}

/**
 * tg_session_format_request_path:
 * @index: the request's number in its burst, from 1
 *
 * Returns: (transfer full): the path the burst's request @index goes to on
 *   the API (tg_session_get_server_uri())
 */
char *
tg_session_format_request_path (TgSession *self,
                                guint      index)
{
  g_return_val_if_fail (TG_IS_SESSION (self), NULL);

  /* Checked when the session was built, so it cannot fail now. */
  return tg_burst_format_path (self->path_format, index, NULL);
}

/**
 * tg_session_describe:
 * @user_name: (nullable): who is signed in, if known
 *
 * Returns: (transfer full): where the burst goes, and who sends it, in a
 *   line for the window's subtitle
 */
char *
tg_session_describe (TgSession  *self,
                     const char *user_name)
{
  g_autofree char *api = NULL;

  g_return_val_if_fail (TG_IS_SESSION (self), NULL);

  if (self->builtin)
    /* Translators: the window subtitle when the app runs its own server */
    api = g_strdup_printf (_("Built-in demo server, %s"), tg_session_get_server_uri (self));
  else
    api = tg_api_client_join_uri (tg_session_get_server_uri (self), self->path_format);

  if (user_name == NULL)
    return g_steal_pointer (&api);
  /* Translators: the window subtitle; %s are the user's name and where the requests go */
  return g_strdup_printf (_("%s — %s"), user_name, api);
}

/**
 * tg_session_shutdown:
 *
 * Stops the built-in server, if this session runs one (joining its thread).
 * The stored tokens stay: a relaunch continues the session. Safe to call
 * more than once.
 */
void
tg_session_shutdown (TgSession *self)
{
  g_return_if_fail (TG_IS_SESSION (self));

  if (self->server != NULL)
    {
      tg_server_stop (self->server);
      g_clear_object (&self->server);
    }
}
