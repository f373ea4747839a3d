/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgTokenStore: where a session's token pair outlives the process. Two
 * implementations share the stored document defined here: the Secret Service
 * (TgSecretTokenStore) first, a private 0600 file (TgFileTokenStore) when no
 * Secret Service can be reached.
 */
#define G_LOG_DOMAIN "tg-token-store"

#include "config.h"

#include <json-glib/json-glib.h>
#include <libsecret/secret.h>

#include "tg-file-token-store-private.h"
#include "tg-json-check.h"
#include "tg-secret-token-store-private.h"
#include "tg-token-store-private.h"

/* The version of the stored document; a document with any other version is
 * treated as unreadable (signed out), never guessed at. */
#define DOCUMENT_VERSION 1

G_DEFINE_INTERFACE (TgTokenStore, tg_token_store, G_TYPE_OBJECT)

/* The default _finish vfuncs, for a store whose operations return a GTask from
 * the store, tagged with the public function that started it. */

static TgTokens *
tg_token_store_real_load_finish (TgTokenStore  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_token_store_load_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
tg_token_store_real_save_finish (TgTokenStore  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_token_store_save_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
tg_token_store_real_clear_finish (TgTokenStore  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_token_store_clear_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
tg_token_store_default_init (TgTokenStoreInterface *iface)
{
  iface->load_finish = tg_token_store_real_load_finish;
  iface->save_finish = tg_token_store_real_save_finish;
  iface->clear_finish = tg_token_store_real_clear_finish;
}

/**
 * tg_token_store_load_async:
 * @self: a #TgTokenStore
 * @account: the session's name
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the pair has been read
 * @user_data: data for @callback
 *
 * Reads the pair saved for @account. Operations on one store take effect in
 * the order they were started, so a load started after a save sees that save.
 */
void
tg_token_store_load_async (TgTokenStore        *self,
                           const char          *account,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (TG_IS_TOKEN_STORE (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  TG_TOKEN_STORE_GET_IFACE (self)->load_async (self, account, cancellable, callback, user_data);
}

/**
 * tg_token_store_load_finish:
 * @self: a #TgTokenStore
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Nothing stored and a stored pair that cannot be read both mean "signed out":
 * %NULL without an error (the second with a warning). An error means the store
 * itself could not be asked, or the operation was cancelled.
 *
 * Returns: (transfer full) (nullable): the saved pair, or %NULL
 */
TgTokens *
tg_token_store_load_finish (TgTokenStore  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (TG_IS_TOKEN_STORE (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return TG_TOKEN_STORE_GET_IFACE (self)->load_finish (self, result, error);
}

/**
 * tg_token_store_save_async:
 * @self: a #TgTokenStore
 * @account: the session's name
 * @tokens: the pair to keep
 * @cancellable: (nullable): a #GCancellable; a save that has not started yet
 *   when it is cancelled does not happen
 * @callback: (nullable): called when the pair is stored
 * @user_data: data for @callback
 *
 * Replaces the pair saved for @account: afterwards the store holds either the
 * old pair or the new one, never a mix.
 */
void
tg_token_store_save_async (TgTokenStore        *self,
                           const char          *account,
                           TgTokens            *tokens,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (TG_IS_TOKEN_STORE (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (tokens != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  TG_TOKEN_STORE_GET_IFACE (self)->save_async (self, account, tokens, cancellable, callback, user_data);
}

/**
 * tg_token_store_save_finish:
 * @self: a #TgTokenStore
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the pair is stored
 */
gboolean
tg_token_store_save_finish (TgTokenStore  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (TG_IS_TOKEN_STORE (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return TG_TOKEN_STORE_GET_IFACE (self)->save_finish (self, result, error);
}

/**
 * tg_token_store_clear_async:
 * @self: a #TgTokenStore
 * @account: the session's name
 * @cancellable: (nullable): a #GCancellable
 * @callback: (nullable): called when the pair is gone
 * @user_data: data for @callback
 *
 * Removes the pair saved for @account. Nothing saved is not an error.
 */
void
tg_token_store_clear_async (TgTokenStore        *self,
                            const char          *account,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (TG_IS_TOKEN_STORE (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  TG_TOKEN_STORE_GET_IFACE (self)->clear_async (self, account, cancellable, callback, user_data);
}

/**
 * tg_token_store_clear_finish:
 * @self: a #TgTokenStore
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE if nothing is stored for the account any more
 */
gboolean
tg_token_store_clear_finish (TgTokenStore  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (TG_IS_TOKEN_STORE (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return TG_TOKEN_STORE_GET_IFACE (self)->clear_finish (self, result, error);
}

/* ------------------------------------------------------------------------- */
/* The default store                                                         */

static void
return_file_store (GTask       *task,
                   const char  *why)
{
  static gint told = FALSE;
  g_autofree char *directory = g_build_filename (g_get_user_state_dir (), "tokengate", NULL);

  /* Once per process: every window asks for a store, the person needs to read
   * this only once. */
  if (g_atomic_int_compare_and_exchange (&told, FALSE, TRUE))
    g_message ("The Secret Service is not available (%s); tokens will be kept in a private file in %s",
               why, directory);

  g_task_return_pointer (task, tg_file_token_store_new (directory), g_object_unref);
}

static void
default_collection_ready (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SecretCollection) collection = NULL;
  g_autoptr(GError) error = NULL;

  collection = secret_collection_for_alias_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else if (error != NULL)
    return_file_store (task, error->message);
  /* Storing into an absent or locked default collection asks for a password
   * prompt, which a headless session cannot show: the first sign-in would
   * fail or hang instead. */
  else if (collection == NULL)
    return_file_store (task, "it has no default collection");
  else if (secret_collection_get_locked (collection))
    return_file_store (task, "its default collection is locked");
  else
    g_task_return_pointer (task, tg_secret_token_store_new (), g_object_unref);
}

/* Inside a sandbox the first libsecret call of a process asks the secret
 * portal for the app's master secret. libsecret 0.20 (Debian 12) listens for
 * the portal's Response signal only once RetrieveSecret has returned, so an
 * answer that comes at once can be missed, and then that call never completes
 * (seen in about one start in ten here; the race of xdg-desktop-portal#116).
 * So each attempt gets a deadline, and a late one is abandoned for a fresh
 * attempt, which libsecret makes with a fresh RetrieveSecret. After the last
 * attempt, the file store: a start that hangs on its keyring is worse than
 * one that keeps its tokens in a private file. Once an attempt has succeeded,
 * libsecret keeps the secret for the process and asks the portal no more.
 *
 * An attempt is never cancelled, not even when the caller cancels: libsecret
 * 0.20's handler for a cancelled portal call disconnects itself from inside
 * the cancellation, which deadlocks the process. The caller's cancellation
 * abandons the attempt instead. */
#define PORTAL_ATTEMPTS 3
static guint portal_attempt_ms = 5000;

typedef struct {
  gint          ref_count;
  /* The default-store task while this attempt may still answer it: taken by
   * whichever of the answer, the deadline and the caller's cancellation comes
   * first. */
  GTask        *task;
  TgTokenStore *store;
  guint         number;     /* from 1 */
  GSource      *deadline;
  GSource      *cancelled;  /* nullable: only with a cancellable */
} PortalAttempt;

static void start_portal_attempt (GTask *task,
                                  guint  number);

static PortalAttempt *
portal_attempt_ref (PortalAttempt *attempt)
{
  g_atomic_int_inc (&attempt->ref_count);
  return attempt;
}

static void
portal_attempt_unref (gpointer data)
{
  PortalAttempt *attempt = data;

  if (!g_atomic_int_dec_and_test (&attempt->ref_count))
    return;
  g_assert (attempt->deadline == NULL && attempt->cancelled == NULL);
  g_clear_object (&attempt->task);
  g_clear_object (&attempt->store);
  g_free (attempt);
}

/* Takes the task from @attempt, which will answer nothing more. */
static GTask *
portal_attempt_settle (PortalAttempt *attempt)
{
  GSource *deadline = g_steal_pointer (&attempt->deadline);
  GSource *cancelled = g_steal_pointer (&attempt->cancelled);

  /* Destroying a source drops its reference on the attempt; the caller holds
   * one of its own. */
  if (deadline != NULL)
    {
      g_source_destroy (deadline);
      g_source_unref (deadline);
    }
  if (cancelled != NULL)
    {
      g_source_destroy (cancelled);
      g_source_unref (cancelled);
    }
  return g_steal_pointer (&attempt->task);
}

static gboolean
portal_attempt_late (gpointer user_data)
{
  PortalAttempt *attempt = portal_attempt_ref (user_data);
  GTask *task = portal_attempt_settle (attempt);
  guint number = attempt->number;

  portal_attempt_unref (attempt);
  if (number < PORTAL_ATTEMPTS)
    {
      start_portal_attempt (task, number + 1);
    }
  else
    {
      return_file_store (task, "the secret portal did not answer");
      g_object_unref (task);
    }
  return G_SOURCE_REMOVE;
}

static gboolean
portal_attempt_cancelled (GCancellable *cancellable,
                          gpointer      user_data)
{
  PortalAttempt *attempt = portal_attempt_ref (user_data);
  g_autoptr(GTask) task = portal_attempt_settle (attempt);

  portal_attempt_unref (attempt);
  g_task_return_error_if_cancelled (task);
  return G_SOURCE_REMOVE;
}

static void
portal_attempt_ready (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  PortalAttempt *attempt = user_data;
  g_autoptr(GTask) task = portal_attempt_settle (attempt);
  g_autoptr(TgTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  tokens = tg_token_store_load_finish (TG_TOKEN_STORE (source), result, &error);
  /* Without a task, the attempt was abandoned: a later one, the file store or
   * the caller's cancellation has answered. */
  if (task != NULL && error != NULL)
    return_file_store (task, error->message);
  else if (task != NULL)
    g_task_return_pointer (task, g_object_ref (attempt->store), g_object_unref);
  portal_attempt_unref (attempt);
}

static void
start_portal_attempt (GTask *task,
                      guint  number)
{
  PortalAttempt *attempt = g_new0 (PortalAttempt, 1);
  GCancellable *cancellable = g_task_get_cancellable (task);

  attempt->ref_count = 1;
  attempt->task = task;
  attempt->store = tg_secret_token_store_new ();
  attempt->number = number;

  attempt->deadline = g_timeout_source_new (portal_attempt_ms);
  g_source_set_callback (attempt->deadline, portal_attempt_late,
                         portal_attempt_ref (attempt), portal_attempt_unref);
  g_source_attach (attempt->deadline, g_task_get_context (task));

  if (cancellable != NULL)
    {
      attempt->cancelled = g_cancellable_source_new (cancellable);
      g_source_set_callback (attempt->cancelled, G_SOURCE_FUNC (portal_attempt_cancelled),
                             portal_attempt_ref (attempt), portal_attempt_unref);
      g_source_attach (attempt->cancelled, g_task_get_context (task));
    }

  /* A lookup through the very store we would return is the honest probe of
   * the portal path (nothing is ever stored under this name). */
  tg_token_store_load_async (attempt->store, "dev.tokengate.Tokengate.probe",
                             NULL, portal_attempt_ready, attempt);
}

/* For tests: how long one attempt may take. */
void
_tg_token_store_set_portal_attempt_ms (guint ms)
{
  portal_attempt_ms = ms;
}

static gboolean
in_sandbox (void)
{
  /* The test libsecret itself makes to pick its portal-backed keyring. */
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS) || g_getenv ("SNAP_NAME") != NULL;
}

static void
secret_service_ready (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  /* Read before the task is handed on: the order in which a call's arguments
   * are evaluated is unspecified. */
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(SecretService) service = NULL;
  g_autoptr(GError) error = NULL;

  service = secret_service_get_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
    }
  else if (service == NULL && in_sandbox ())
    {
      /* A sandbox usually may not talk to the Secret Service, but libsecret's
       * password calls go through the secret portal there instead. */
      start_portal_attempt (g_steal_pointer (&task), 1);
    }
  else if (service == NULL)
    {
      return_file_store (task, error != NULL ? error->message : "unknown error");
    }
  else
    {
      secret_collection_for_alias (service, SECRET_COLLECTION_DEFAULT,
                                   SECRET_COLLECTION_NONE, cancellable,
                                   default_collection_ready, g_steal_pointer (&task));
    }
}

/**
 * tg_token_store_new_default_async:
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the store
 * @user_data: data for @callback
 *
 * Picks the store for this session: a #TgSecretTokenStore when the Secret
 * Service can be reached and its default collection exists and is unlocked
 * (inside Flatpak: when libsecret's portal-backed keyring answers), otherwise
 * a #TgFileTokenStore in `$XDG_STATE_HOME/tokengate` (inside Flatpak, the
 * app's own directory). The fallback is announced once per process.
 */
void
tg_token_store_new_default_async (GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_token_store_new_default_async);

  secret_service_get (SECRET_SERVICE_OPEN_SESSION | SECRET_SERVICE_LOAD_COLLECTIONS,
                      cancellable, secret_service_ready, g_steal_pointer (&task));
}

/**
 * tg_token_store_new_default_finish:
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Fails only when cancelled: an unreachable Secret Service gives a file store.
 *
 * Returns: (transfer full): the store, or %NULL with @error set
 */
TgTokenStore *
tg_token_store_new_default_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_token_store_new_default_async, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------- */
/* The stored document                                                       */

/*
 * _tg_token_store_serialize:
 * @tokens: the pair
 * @length: (out): the document's length in bytes
 *
 * `{"version":1,"accessToken":…,"refreshToken":…|null,"expiresAt":µs}`.
 * The caller wipes the result before freeing it: it holds the tokens.
 *
 * Returns: (transfer full): the document, NUL-terminated
 */
char *
_tg_token_store_serialize (TgTokens *tokens,
                           gsize    *length)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  const char *refresh_token = tg_tokens_get_refresh_token (tokens);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, DOCUMENT_VERSION);
  json_builder_set_member_name (builder, "accessToken");
  json_builder_add_string_value (builder, tg_tokens_get_access_token (tokens));
  json_builder_set_member_name (builder, "refreshToken");
  if (refresh_token != NULL)
    json_builder_add_string_value (builder, refresh_token);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "expiresAt");
  json_builder_add_int_value (builder, tg_tokens_get_expires_at (tokens));
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  return json_generator_to_data (generator, length);
}

/* A member that may be absent or null; anything else must have @type. */
static gboolean
optional_member (JsonObject  *object,
                 const char  *name,
                 GType        type,
                 JsonNode   **out_node)
{
  JsonNode *node = json_object_get_member (object, name);

  *out_node = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return FALSE;

  *out_node = node;
  return TRUE;
}

static gpointer
fail (GError     **error,
      const char  *why)
{
  /* A fixed text on purpose: json-glib's own messages quote the document,
   * and the document holds the tokens. */
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, why);
  return NULL;
}

/*
 * _tg_token_store_parse:
 * @data: a stored document, not necessarily NUL-terminated
 * @length: its length in bytes
 * @error: return location for a #GError whose message never quotes @data
 *
 * Accepts exactly what _tg_token_store_serialize() writes (version 1, a
 * non-empty access token, an optional refresh token, a non-negative expiry),
 * and nothing else: a store that has been tampered with or truncated means
 * signed out.
 *
 * Returns: (transfer full) (nullable): the pair, or %NULL with @error set
 */
TgTokens *
_tg_token_store_parse (const char  *data,
                       gsize        length,
                       GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;
  JsonObject *object;
  JsonNode *node;
  JsonNode *refresh_node;
  JsonNode *expires_node;
  const char *access_token;
  gint64 expires_at = 0;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length > _TG_TOKEN_STORE_MAX_DOCUMENT_SIZE)
    return fail (error, "larger than 64 KiB");
  if (length == 0)
    return fail (error, "empty");
  /* Also refuses embedded NUL bytes, which would cut the strings short. */
  if (!g_utf8_validate (data, (gssize) length, NULL))
    return fail (error, "not UTF-8");

  /* Our document is one flat object; json-glib would leak on several values
   * in a row and recurse on deep nesting (tg-json-check.c). */
  if (!tg_json_check_text (data, length, 16, TG_JSON_CHECK_NONE, NULL))
    return fail (error, "not valid JSON");
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) length, NULL))
    return fail (error, "not valid JSON");

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fail (error, "not a JSON object");
  object = json_node_get_object (root);

  node = json_object_get_member (object, "version");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) != DOCUMENT_VERSION)
    return fail (error, "not version 1");

  node = json_object_get_member (object, "accessToken");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return fail (error, "no access token");
  access_token = json_node_get_string (node);
  if (access_token == NULL || *access_token == '\0')
    return fail (error, "no access token");

  if (!optional_member (object, "refreshToken", G_TYPE_STRING, &refresh_node))
    return fail (error, "the refresh token is not a string");

  if (!optional_member (object, "expiresAt", G_TYPE_INT64, &expires_node))
    return fail (error, "the expiry is not an integer");
  if (expires_node != NULL)
    expires_at = json_node_get_int (expires_node);
  if (expires_at < 0)
    return fail (error, "the expiry is negative");

  return tg_tokens_new (access_token,
                        refresh_node != NULL ? json_node_get_string (refresh_node) : NULL,
                        expires_at);
}
