/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgServer: the demo authorization server as an embeddable object.
 *
 * This file holds its lifecycle (start on the caller's main context or on a thread
 * of its own, stop), its storage and users, and the hook points through which
 * the demo module watches and bends the API. Routing is in tg-server-routing.c,
 * reading and answering requests in tg-server-message.c, the API itself in
 * tg-server-auth.c, tg-server-authorize.c (with tg-server-clients.c,
 * tg-server-page.c and tg-server-metadata.c) and tg-server-resources.c, and the
 * demo controls in tg-server-demo.c.
 */
#define G_LOG_DOMAIN "tg-server"

#include "config.h"

#include <string.h>

#include "tg-crypto.h"
#include "tg-password.h"
#include "tg-server-private.h"

G_DEFINE_FINAL_TYPE (TgServer, tg_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_DATABASE,
  PROP_ACCESS_TTL,
  PROP_REFRESH_TTL,
  PROP_REUSE_GRACE,
  PROP_TLS_CERTIFICATE,
  PROP_DEMO_CONTROLS,
  PROP_ALLOW_REMOTE,
  PROP_PASSWORD_ITERATIONS,
  PROP_LATENCY_MS,
  PROP_JITTER_MS,
  PROP_CODE_LIFETIME,
  PROP_ISSUER,
  PROP_CLIENT_SECRET,
  PROP_BASE_URI,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

gint64
_tg_server_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/**
 * _tg_server_set_epoch:
 *
 * Signs access tokens as @epoch (their `kid`) from now on, and accepts no
 * others: the verifier of the previous epoch, and all it remembered, go.
 */
void
_tg_server_set_epoch (TgServer *self,
                      gint64    epoch)
{
  g_free (self->key_id);
  self->key_id = g_strdup_printf ("%" G_GINT64_FORMAT, epoch);
  g_clear_pointer (&self->verifier, tg_jwt_verifier_free);
  self->verifier = tg_jwt_verifier_new (self->key, self->key_id, TG_SERVER_ISSUER, TG_SERVER_AUDIENCE);
}

/* ------------------------------------------------------------------------- */
/* Hook points                                                               */

/**
 * _tg_server_set_hooks:
 * @hooks: (nullable): static hooks, or %NULL for none
 * @data: passed to every hook; freed with @destroy when the server stops or
 *   other hooks are set
 *
 * Plugs @hooks into the API for as long as the server runs.
 */
void
_tg_server_set_hooks (TgServer            *self,
                      const TgServerHooks *hooks,
                      gpointer             data,
                      GDestroyNotify       destroy)
{
  if (self->hooks_destroy != NULL)
    self->hooks_destroy (self->hooks_data);

  self->hooks = hooks;
  self->hooks_data = data;
  self->hooks_destroy = destroy;
}

/* Set on a refresh whose answer the hooks chose to withhold. */
#define WITHHOLD_KEY "tg-withhold-answer"

/**
 * _tg_server_may_refresh:
 *
 * Asks the hooks whether the refresh in @msg is to be processed. When not,
 * they answered it (or dropped the connection) already.
 *
 * Returns: %TRUE if the caller processes the refresh
 */
gboolean
_tg_server_may_refresh (TgServer          *self,
                        SoupServerMessage *msg)
{
  TgServerRefreshFate fate = TG_SERVER_REFRESH_PROCEED;

  if (self->hooks != NULL)
    fate = self->hooks->before_refresh (self->hooks_data, msg);
  if (fate == TG_SERVER_REFRESH_WITHHOLD)
    g_object_set_data (G_OBJECT (msg), WITHHOLD_KEY, GINT_TO_POINTER (TRUE));

  return fate != TG_SERVER_REFRESH_ANSWERED;
}

/**
 * _tg_server_exchanged:
 * @exchange: what the answer set on @msg says
 *
 * Reports an exchange of the API whose answer is set, and lets the hooks hold
 * that answer back (latency, a held refresh) or withhold it (see
 * _tg_server_may_refresh()).
 */
void
_tg_server_exchanged (TgServer          *self,
                      SoupServerMessage *msg,
                      TgServerExchange   exchange)
{
  if (self->hooks == NULL)
    return;

  self->hooks->exchanged (self->hooks_data, msg, exchange);
  if (g_object_get_data (G_OBJECT (msg), WITHHOLD_KEY) != NULL)
    {
      self->hooks->withhold_answer (self->hooks_data, msg);
      return;
    }

  /* Only these two are answered inside their handler: a sign-in's message is
   * paused already (for its password check) and unpaused by the caller, and a
   * failure is no answer worth slowing down. */
  if (exchange != TG_SERVER_EXCHANGE_REFRESH && exchange != TG_SERVER_EXCHANGE_RESOURCE)
    return;
  self->hooks->delay_answer (self->hooks_data, msg, exchange);
}

/* ------------------------------------------------------------------------- */
/* Lifecycle                                                                 */

static gboolean
resolve_listen_address (TgServer      *self,
                        GInetAddress **out_address,
                        GError       **error)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_strcmp0 (self->host, "localhost") == 0)
    address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    address = g_inet_address_new_from_string (self->host);

  if (address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", self->host);
      return FALSE;
    }

  if (!g_inet_address_get_is_loopback (address) && !self->allow_remote)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "refusing to listen on %s, which is not a loopback address "
                   "(the demo server has demo controls and a demo user; "
                   "pass --allow-remote if you really mean it)", self->host);
      return FALSE;
    }

  *out_address = g_steal_pointer (&address);
  return TRUE;
}

static gboolean
validate_user (const char  *name,
               const char  *password,
               GError     **error)
{
  glong n_chars = g_utf8_validate (name, -1, NULL) ? g_utf8_strlen (name, -1) : -1;

  if (n_chars < 1 || n_chars > 64)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "a user name is 1 to 64 characters of UTF-8 text");
      return FALSE;
    }
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (!g_unichar_isprint (g_utf8_get_char (p)))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "a user name cannot contain control characters");
          return FALSE;
        }
    }
  if (*password == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "the password is empty");
      return FALSE;
    }

  return TRUE;
}

static gboolean
add_user_to (TgServerDb  *db,
             const char  *name,
             const char  *password,
             guint        iterations,
             GError     **error)
{
  g_autofree char *hash = NULL;

  if (!validate_user (name, password, error))
    return FALSE;

  hash = tg_password_hash (password, iterations);
  return tg_server_db_add_user (db, name, hash, NULL, error);
}

static gboolean
open_storage (TgServer  *self,
              GError   **error)
{
  gint64 n_users = 0;
  gint64 epoch = 1;

  if (self->database_path != NULL)
    {
      g_autofree char *key_path = g_strconcat (self->database_path, ".key", NULL);

      self->db = tg_server_db_open (self->database_path, error);
      if (self->db == NULL)
        return FALSE;
      self->key = tg_crypto_load_or_create_key (key_path, error);
      if (self->key == NULL)
        return FALSE;
    }
  else
    {
      guint8 key[TG_CRYPTO_TOKEN_BYTES];

      self->db = tg_server_db_open (":memory:", error);
      if (self->db == NULL)
        return FALSE;
      tg_crypto_random_bytes (key, sizeof key);
      self->key = g_bytes_new (key, sizeof key);
      memset (key, 0, sizeof key);
    }

  if (!tg_server_db_get_meta (self->db, "access-epoch", 1, &epoch, error))
    return FALSE;
  _tg_server_set_epoch (self, epoch);

  self->revoked_families = tg_server_db_list_revoked_families (self->db, error);
  if (self->revoked_families == NULL)
    return FALSE;

  if (!tg_server_db_count_users (self->db, &n_users, error))
    return FALSE;
  if (n_users == 0 &&
      !add_user_to (self->db, TG_SERVER_DEMO_USER, TG_SERVER_DEMO_PASSWORD,
                    self->password_iterations, error))
    return FALSE;

  return TRUE;
}

static void
clear_running_state (TgServer *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->delayed != NULL)
    {
      g_autoptr(GHashTable) delayed = g_steal_pointer (&self->delayed);
      GHashTableIter iter;
      gpointer source;

      g_hash_table_iter_init (&iter, delayed);
      while (g_hash_table_iter_next (&iter, &source, NULL))
        g_source_destroy (source);
    }
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_clear_pointer (&self->base_uri, g_free);
  g_clear_pointer (&self->issuer, g_free);
  g_clear_pointer (&self->issuer_host, g_free);
  g_clear_object (&self->db);
  g_clear_pointer (&self->key, g_bytes_unref);
  g_clear_pointer (&self->key_id, g_free);
  g_clear_pointer (&self->verifier, tg_jwt_verifier_free);
  g_clear_pointer (&self->revoked_families, g_hash_table_unref);
  g_clear_pointer (&self->dummy_password_hash, g_free);
  g_clear_pointer (&self->authorize, _tg_server_authorize_free);
  _tg_server_set_hooks (self, NULL, NULL, NULL);
  g_clear_pointer (&self->context, g_main_context_unref);
}

static gboolean
listen_on (TgServer                *self,
           GSocketAddress          *address,
           SoupServerListenOptions  options,
           GError                 **error)
{
  g_autoptr(GSocket) listener = NULL;

  listener = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                           G_SOCKET_PROTOCOL_TCP, error);
  if (listener == NULL)
    return FALSE;

  /* soup_server_listen() would leave GLib's backlog of 10: a burst of parallel
   * clients — the very thing this server is for — then sees refused or reset
   * connections. Make our own socket with room for a burst. */
  g_socket_set_listen_backlog (listener, 1024);
  if (!g_socket_bind (listener, address, TRUE, error) ||
      !g_socket_listen (listener, error))
    return FALSE;

  return soup_server_listen_socket (self->soup, listener, options, error);
}

/**
 * tg_server_start:
 * @self: a #TgServer
 * @error: return location for a #GError
 *
 * Opens the database, creates the `demo` user if there are no users, and starts
 * listening. The server runs on the thread-default main context of the caller.
 * With #TgServer:port 0 a free port is picked; read it back with
 * tg_server_get_base_uri().
 *
 * Returns: %TRUE if the server is listening
 */
gboolean
tg_server_start (TgServer  *self,
                 GError   **error)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GUri) uri = NULL;
  GSList *uris;
  SoupServerListenOptions options = 0;

  g_return_val_if_fail (TG_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->soup == NULL, FALSE);

  if (!resolve_listen_address (self, &address, error))
    return FALSE;

  self->context = g_main_context_ref_thread_default ();
  self->loopback_only = g_inet_address_get_is_loopback (address);
  self->cancellable = g_cancellable_new ();
  self->delayed = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) g_source_unref, NULL);
  self->authorize = _tg_server_authorize_new ();
  self->live = (TgServerSettings) {
    .access_ttl = self->access_ttl,
    .reuse_grace = self->reuse_grace,
  };

  if (!open_storage (self, error) || !_tg_server_auth_prepare (self, error))
    {
      clear_running_state (self);
      return FALSE;
    }

  /* No Server header: it told every client our version (RFC 9110 §10.2.4
   * advises against needless detail there), nothing reads it, and libsoup
   * formats it into every answer (~1,800 instructions of each request). */
  self->soup = g_object_new (SOUP_TYPE_SERVER,
                             "tls-certificate", self->tls_certificate,
                             NULL);
  _tg_server_route (self, NULL, FALSE, NULL, NULL);  /* 404 */
  _tg_server_auth_register (self);
  _tg_server_authorize_register (self);
  _tg_server_metadata_register (self);
  _tg_server_resources_register (self);
  _tg_server_demo_attach (self);

  if (self->tls_certificate != NULL)
    options |= SOUP_SERVER_LISTEN_HTTPS;
  socket_address = g_inet_socket_address_new (address, self->port);
  if (!listen_on (self, socket_address, options, error))
    {
      clear_running_state (self);
      return FALSE;
    }

  uris = soup_server_get_uris (self->soup);
  g_assert (uris != NULL);
  uri = g_uri_ref (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  /* soup_server_get_uris() spells IPv6 hosts without brackets' trailing slash
   * conventions we want; build "scheme://host:port" ourselves. */
  {
    const char *host = g_uri_get_host (uri);
    gboolean ipv6 = strchr (host, ':') != NULL;

    self->base_uri = g_strdup_printf ("%s://%s%s%s:%d", g_uri_get_scheme (uri),
                                      ipv6 ? "[" : "", host, ipv6 ? "]" : "",
                                      g_uri_get_port (uri));
  }
  if (!_tg_server_set_issuer (self, address, error))
    {
      clear_running_state (self);
      return FALSE;
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URI]);

  g_debug ("listening on %s", self->base_uri);
  return TRUE;
}

typedef struct {
  TgServer *self;
  GMutex    mutex;
  GCond     cond;
  gboolean  finished;
  gboolean  ok;
  GError   *error;
} ThreadStart;

static gpointer
server_thread (gpointer user_data)
{
  ThreadStart *start = user_data;
  TgServer *self = start->self;
  gboolean ok;

  g_main_context_push_thread_default (self->thread_context);

  ok = tg_server_start (self, &start->error);

  g_mutex_lock (&start->mutex);
  start->ok = ok;
  start->finished = TRUE;
  g_cond_signal (&start->cond);
  g_mutex_unlock (&start->mutex);
  /* `start` belongs to the caller and is gone from here on. */

  if (ok)
    {
      g_main_loop_run (self->thread_loop);
      clear_running_state (self);
    }

  /* A password check still running in a worker thread returns to this context:
   * wait for it, then let what is left (libsoup's closing connections) run
   * before the context goes away. */
  while (self->pending_work > 0)
    g_main_context_iteration (self->thread_context, TRUE);
  while (g_main_context_iteration (self->thread_context, FALSE))
    ;

  g_main_context_pop_thread_default (self->thread_context);
  return NULL;
}

/**
 * tg_server_start_in_thread:
 * @self: a #TgServer
 * @error: return location for a #GError
 *
 * Like tg_server_start(), but the server gets a thread and a #GMainContext of its
 * own, so that an application or a test can embed it without the server's work
 * competing with its own main loop. Returns once the server listens (or failed).
 * Stop it with tg_server_stop() from the thread that started it.
 *
 * Returns: %TRUE if the server is listening
 */
gboolean
tg_server_start_in_thread (TgServer  *self,
                           GError   **error)
{
  ThreadStart start = { .self = self };

  g_return_val_if_fail (TG_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->thread == NULL && self->soup == NULL, FALSE);

  g_mutex_init (&start.mutex);
  g_cond_init (&start.cond);

  self->thread_context = g_main_context_new ();
  self->thread_loop = g_main_loop_new (self->thread_context, FALSE);
  self->thread = g_thread_new ("tg-server", server_thread, &start);

  g_mutex_lock (&start.mutex);
  while (!start.finished)
    g_cond_wait (&start.cond, &start.mutex);
  g_mutex_unlock (&start.mutex);

  g_mutex_clear (&start.mutex);
  g_cond_clear (&start.cond);

  if (!start.ok)
    {
      g_thread_join (g_steal_pointer (&self->thread));
      g_clear_pointer (&self->thread_loop, g_main_loop_unref);
      g_clear_pointer (&self->thread_context, g_main_context_unref);
      g_propagate_error (error, start.error);
      return FALSE;
    }

  return TRUE;
}

static gboolean
quit_thread_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/**
 * tg_server_stop:
 * @self: a #TgServer
 *
 * Stops listening, closes every connection and the database. Safe to call when
 * the server is not running. Call it from the thread that started the server.
 *
 * A password check still running in a worker thread is waited for (on the main
 * context the server ran on), so that nothing of the server is left behind.
 */
void
tg_server_stop (TgServer *self)
{
  g_autoptr(GMainContext) context = NULL;

  g_return_if_fail (TG_IS_SERVER (self));

  if (self->thread != NULL)
    {
      g_main_context_invoke (self->thread_context, quit_thread_loop, self->thread_loop);
      g_thread_join (g_steal_pointer (&self->thread));
      g_clear_pointer (&self->thread_loop, g_main_loop_unref);
      g_clear_pointer (&self->thread_context, g_main_context_unref);
      return;
    }

  context = self->context != NULL ? g_main_context_ref (self->context) : NULL;
  clear_running_state (self);
  /* Its callback runs on @context and only counts itself off once cancelled. */
  while (self->pending_work > 0)
    g_main_context_iteration (context, TRUE);
}

gboolean
tg_server_is_running (TgServer *self)
{
  g_return_val_if_fail (TG_IS_SERVER (self), FALSE);

  return self->base_uri != NULL;
}

/**
 * tg_server_get_issuer:
 * @self: a #TgServer
 *
 * Returns: (nullable): the URL the server tells clients to use (its RFC 8414
 *   issuer) while running: #TgServer:issuer, or else the base URI
 */
const char *
tg_server_get_issuer (TgServer *self)
{
  g_return_val_if_fail (TG_IS_SERVER (self), NULL);

  return self->issuer;
}

/**
 * tg_server_get_base_uri:
 * @self: a #TgServer
 *
 * Returns: (nullable): `http://HOST:PORT` (or `https://…`) while running
 */
const char *
tg_server_get_base_uri (TgServer *self)
{
  g_return_val_if_fail (TG_IS_SERVER (self), NULL);

  return self->base_uri;
}

typedef struct {
  TgServer   *self;
  const char *name;
  const char *hash;
  GMutex      mutex;
  GCond       cond;
  gboolean    done;
  gboolean    ok;
  GError     *error;
} AddOnServerThread;

static gboolean
add_on_server_thread (gpointer user_data)
{
  AddOnServerThread *add = user_data;
  GError *error = NULL;
  gboolean ok;

  ok = tg_server_db_add_user (add->self->db, add->name, add->hash, NULL, &error);

  g_mutex_lock (&add->mutex);
  add->ok = ok;
  add->error = error;
  add->done = TRUE;
  g_cond_signal (&add->cond);
  g_mutex_unlock (&add->mutex);

  return G_SOURCE_REMOVE;
}

/* An in-memory database exists only in the server's own connection, which
 * belongs to the server's thread: the insert has to happen there. */
static gboolean
add_in_server_thread (TgServer    *self,
                      const char  *name,
                      const char  *hash,
                      GError     **error)
{
  AddOnServerThread add = { .self = self, .name = name, .hash = hash };

  g_mutex_init (&add.mutex);
  g_cond_init (&add.cond);

  g_main_context_invoke (self->thread_context, add_on_server_thread, &add);
  g_mutex_lock (&add.mutex);
  while (!add.done)
    g_cond_wait (&add.cond, &add.mutex);
  g_mutex_unlock (&add.mutex);

  g_mutex_clear (&add.mutex);
  g_cond_clear (&add.cond);

  if (!add.ok)
    g_propagate_error (error, add.error);
  return add.ok;
}

/**
 * tg_server_add_user:
 * @self: a #TgServer, running or not
 * @name: the user name (1 to 64 printable characters)
 * @password: the password (at least one character)
 * @error: return location for a #GError
 *
 * Stores a new user with a salted PBKDF2 hash of @password, in the running
 * server's database or, when it is not running, in #TgServer:database. Blocks
 * for the key derivation: call it at start-up, never from a request; and, like
 * tg_server_stop(), from the thread that started the server.
 *
 * Returns: %TRUE if the user was added
 */
gboolean
tg_server_add_user (TgServer    *self,
                    const char  *name,
                    const char  *password,
                    GError     **error)
{
  g_autoptr(TgServerDb) db = NULL;
  g_autofree char *hash = NULL;

  g_return_val_if_fail (TG_IS_SERVER (self), FALSE);
  g_return_val_if_fail (name != NULL && password != NULL, FALSE);
  g_return_val_if_fail (self->thread != NULL || self->db != NULL || self->database_path != NULL, FALSE);

  if (self->thread == NULL && self->db != NULL)
    /* Running on the caller's own main context: its connection is ours to use. */
    return add_user_to (self->db, name, password, self->password_iterations, error);

  if (self->thread != NULL && self->database_path == NULL)
    {
      if (!validate_user (name, password, error))
        return FALSE;
      hash = tg_password_hash (password, self->password_iterations);
      return add_in_server_thread (self, name, hash, error);
    }

  /* Not running, or running on a thread of its own: self->db is not ours to
   * touch, so a connection of our own; SQLite's busy timeout orders our write
   * with the server's. */
  if ((db = tg_server_db_open (self->database_path, error)) == NULL)
    return FALSE;
  return add_user_to (db, name, password, self->password_iterations, error);
}

static void
tg_server_dispose (GObject *object)
{
  TgServer *self = TG_SERVER (object);

  tg_server_stop (self);

  G_OBJECT_CLASS (tg_server_parent_class)->dispose (object);
}

static void
tg_server_finalize (GObject *object)
{
  TgServer *self = TG_SERVER (object);

  g_free (self->host);
  g_free (self->database_path);
  g_free (self->issuer_uri);
  if (self->client_secret != NULL)
    explicit_bzero (self->client_secret, strlen (self->client_secret));
  g_free (self->client_secret);
  g_clear_object (&self->tls_certificate);

  G_OBJECT_CLASS (tg_server_parent_class)->finalize (object);
}

static void
tg_server_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  TgServer *self = TG_SERVER (object);

  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_DATABASE:
      g_value_set_string (value, self->database_path);
      break;
    case PROP_ACCESS_TTL:
      g_value_set_int64 (value, self->access_ttl);
      break;
    case PROP_REFRESH_TTL:
      g_value_set_int64 (value, self->refresh_ttl);
      break;
    case PROP_REUSE_GRACE:
      g_value_set_int64 (value, self->reuse_grace);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, self->tls_certificate);
      break;
    case PROP_DEMO_CONTROLS:
      g_value_set_boolean (value, self->demo_controls);
      break;
    case PROP_ALLOW_REMOTE:
      g_value_set_boolean (value, self->allow_remote);
      break;
    case PROP_PASSWORD_ITERATIONS:
      g_value_set_uint (value, self->password_iterations);
      break;
    case PROP_LATENCY_MS:
      g_value_set_uint (value, self->latency_ms);
      break;
    case PROP_JITTER_MS:
      g_value_set_uint (value, self->jitter_ms);
      break;
    case PROP_CODE_LIFETIME:
      g_value_set_int64 (value, self->code_lifetime);
      break;
    case PROP_ISSUER:
      g_value_set_string (value, self->issuer_uri);
      break;
    case PROP_BASE_URI:
      g_value_set_string (value, self->base_uri);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_server_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  TgServer *self = TG_SERVER (object);

  /* Configuration is read when the server starts; changing it afterwards would
   * leave the running server and its properties disagreeing. */
  if (self->soup != NULL)
    {
      g_critical ("TgServer:%s cannot change while the server runs", pspec->name);
      return;
    }

  switch (prop_id)
    {
    case PROP_HOST:
      g_free (self->host);
      self->host = g_value_dup_string (value);
      break;
    case PROP_PORT:
      self->port = g_value_get_uint (value);
      break;
    case PROP_DATABASE:
      g_free (self->database_path);
      self->database_path = g_value_dup_string (value);
      break;
    case PROP_ACCESS_TTL:
      self->access_ttl = g_value_get_int64 (value);
      break;
    case PROP_REFRESH_TTL:
      self->refresh_ttl = g_value_get_int64 (value);
      break;
    case PROP_REUSE_GRACE:
      self->reuse_grace = g_value_get_int64 (value);
      break;
    case PROP_TLS_CERTIFICATE:
      g_set_object (&self->tls_certificate, g_value_get_object (value));
      break;
    case PROP_DEMO_CONTROLS:
      self->demo_controls = g_value_get_boolean (value);
      break;
    case PROP_ALLOW_REMOTE:
      self->allow_remote = g_value_get_boolean (value);
      break;
    case PROP_PASSWORD_ITERATIONS:
      self->password_iterations = g_value_get_uint (value);
      break;
    case PROP_LATENCY_MS:
      self->latency_ms = g_value_get_uint (value);
      break;
    case PROP_JITTER_MS:
      self->jitter_ms = g_value_get_uint (value);
      break;
    case PROP_CODE_LIFETIME:
      self->code_lifetime = g_value_get_int64 (value);
      break;
    case PROP_ISSUER:
      g_free (self->issuer_uri);
      self->issuer_uri = g_value_dup_string (value);
      break;
    case PROP_CLIENT_SECRET:
      g_assert (self->client_secret == NULL);
      self->client_secret = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_server_class_init (TgServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS;

  object_class->dispose = tg_server_dispose;
  object_class->finalize = tg_server_finalize;
  object_class->get_property = tg_server_get_property;
  object_class->set_property = tg_server_set_property;

  properties[PROP_HOST] =
    g_param_spec_string ("host", NULL, NULL, "127.0.0.1", flags);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0, flags);
  properties[PROP_DATABASE] =
    g_param_spec_string ("database", NULL, NULL, NULL, flags);
  properties[PROP_ACCESS_TTL] =
    g_param_spec_int64 ("access-ttl", NULL, NULL, 1, G_MAXINT32, 60, flags);
  properties[PROP_REFRESH_TTL] =
    g_param_spec_int64 ("refresh-ttl", NULL, NULL, 1, G_MAXINT32, 30 * 24 * 3600, flags);
  properties[PROP_REUSE_GRACE] =
    g_param_spec_int64 ("reuse-grace", NULL, NULL, 0, 3600, 0, flags);
  properties[PROP_TLS_CERTIFICATE] =
    g_param_spec_object ("tls-certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE, flags);
  properties[PROP_DEMO_CONTROLS] =
    g_param_spec_boolean ("demo-controls", NULL, NULL, TRUE, flags);
  properties[PROP_ALLOW_REMOTE] =
    g_param_spec_boolean ("allow-remote", NULL, NULL, FALSE, flags);
  properties[PROP_PASSWORD_ITERATIONS] =
    g_param_spec_uint ("password-iterations", NULL, NULL, 1, 10000000,
                       TG_PASSWORD_DEFAULT_ITERATIONS, flags);
  properties[PROP_LATENCY_MS] =
    g_param_spec_uint ("latency-ms", NULL, NULL, 0, 60000, 0, flags);
  properties[PROP_JITTER_MS] =
    g_param_spec_uint ("jitter-ms", NULL, NULL, 0, 60000, 0, flags);
  /* Seconds an authorization code of the browser sign-in can be redeemed in:
   * short, since the client redeems it at once (RFC 6749 §4.1.2). Tests set
   * 0 to see a code expire. */
  properties[PROP_CODE_LIFETIME] =
    g_param_spec_int64 ("code-lifetime", NULL, NULL, 0, 600, 60, flags);
  /* The URL clients reach the server at, when it is not the address it
   * listens on (tg-server-metadata.c says when that is, and why). */
  properties[PROP_ISSUER] =
    g_param_spec_string ("issuer", NULL, NULL, NULL, flags);
  /* The secret of TG_SERVER_CONFIDENTIAL_CLIENT_ID, which is registered only
   * with one. Write-only: nothing reads a secret back out of the server. */
  properties[PROP_CLIENT_SECRET] =
    g_param_spec_string ("client-secret", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BASE_URI] =
    g_param_spec_string ("base-uri", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tg_server_init (TgServer *self)
{
}

/**
 * tg_server_new:
 *
 * Returns: (transfer full): a server with default settings: 127.0.0.1, a free
 *   port, an in-memory database, demo controls on
 */
TgServer *
tg_server_new (void)
{
  return g_object_new (TG_TYPE_SERVER, NULL);
}
