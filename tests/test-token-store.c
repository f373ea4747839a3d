/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Both token stores against the real thing: TgFileTokenStore in a temporary
 * directory, TgSecretTokenStore against the gnome-keyring-daemon that
 * tests/keyring-session starts on a private bus. The same behaviour is asked
 * of both (round trip, overwrite, clear, absent, independent accounts, call
 * order, cancellation); then what is particular to each: file modes and
 * damaged files, the keyring item's schema, label and collection, a damaged
 * item; and which store tg_token_store_new_default_async() picks.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsecret/secret.h>

#include "tg-file-token-store-private.h"
#include "tg-secret-token-store-private.h"
#include "tg-test-util.h"
#include "tg-token-document-private.h"

#define WAIT_SECONDS 30

#define FILE_DOMAIN "tg-file-token-store"
#define SECRET_DOMAIN "tg-secret-token-store"
#define UNREADABLE "*ignoring an unreadable stored session*"

/* Values no log line may ever contain. */
#define SENTINEL_ACCESS "tok-access-SENTINEL-7f3a"
#define SENTINEL_REFRESH "tok-refresh-SENTINEL-91c2"

/* A copy, not the store's own: the schema is a contract with items written by
 * other versions, so a rename in the store must fail these tests. */
static const SecretSchema test_schema = {
  "dev.tokengate.Tokengate.Tokens",
  SECRET_SCHEMA_NONE,
  {
    { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

typedef enum {
  KIND_FILE,
  KIND_SECRET,
} StoreKind;

typedef struct {
  StoreKind     kind;
  char         *tmpdir;     /* owned */
  char         *directory;  /* owned: tmpdir/tokens, not created beforehand */
  TgTokenStore *store;      /* owned */
  char         *prefix;     /* owned: makes account names unique in the keyring */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  static guint counter;

  f->kind = GPOINTER_TO_INT (user_data);
  f->tmpdir = tg_test_make_tmpdir ();
  f->directory = g_build_filename (f->tmpdir, "tokens", NULL);
  f->prefix = g_strdup_printf ("https://server.test%s/%u/%08x/", g_test_get_path (),
                               ++counter, g_random_int ());
  if (f->kind == KIND_FILE)
    f->store = tg_file_token_store_new (f->directory);
  else
    f->store = tg_secret_token_store_new ();
  g_assert_true (TG_IS_TOKEN_STORE (f->store));
}

static gboolean
is_null (gpointer user_data)
{
  /* Atomic: the store may be finalized in a worker thread. */
  return g_atomic_pointer_get ((gpointer *) user_data) == NULL;
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  gpointer weak = f->store;

  /* The last reference may be a finished task's, dropped from an idle in the
   * main context (or a worker thread): wait for it instead of assuming. */
  g_object_add_weak_pointer (G_OBJECT (f->store), &weak);
  g_clear_object (&f->store);
  if (!tg_test_wait_until (is_null, &weak, 5))
    g_error ("the store was not finalized: a reference leaked");

  tg_test_rm_rf (f->tmpdir);
  g_clear_pointer (&f->tmpdir, g_free);
  g_clear_pointer (&f->directory, g_free);
  g_clear_pointer (&f->prefix, g_free);
}

static char *
account_name (Fixture    *f,
              const char *user)
{
  return g_strconcat (f->prefix, user, NULL);
}

/* ------------------------------------------------------------------------- */
/* Waiting for one operation                                                 */

static void
got_result (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

static gboolean
result_arrived (gpointer user_data)
{
  return *(GAsyncResult **) user_data != NULL;
}

static GAsyncResult *
wait_result (GAsyncResult **result)
{
  if (!tg_test_wait_until (result_arrived, result, WAIT_SECONDS))
    g_error ("a token-store operation did not complete in %d s", WAIT_SECONDS);
  return *result;
}

static TgTokens *
load_sync (TgTokenStore  *store,
           const char    *account,
           GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tg_token_store_load_async (store, account, NULL, got_result, &result);
  return tg_token_store_load_finish (store, wait_result (&result), error);
}

static gboolean
save_sync (TgTokenStore  *store,
           const char    *account,
           TgTokens      *tokens,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tg_token_store_save_async (store, account, tokens, cancellable, got_result, &result);
  return tg_token_store_save_finish (store, wait_result (&result), error);
}

static gboolean
clear_sync (TgTokenStore  *store,
            const char    *account,
            GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  tg_token_store_clear_async (store, account, NULL, got_result, &result);
  return tg_token_store_clear_finish (store, wait_result (&result), error);
}

static void
save_ok (TgTokenStore *store,
         const char   *account,
         TgTokens     *tokens)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (save_sync (store, account, tokens, NULL, &error));
  g_assert_no_error (error);
}

static void
assert_tokens (TgTokens   *tokens,
               const char *access_token,
               const char *refresh_token,
               gint64      expires_at)
{
  g_assert_nonnull (tokens);
  g_assert_cmpstr (tg_tokens_get_access_token (tokens), ==, access_token);
  g_assert_cmpstr (tg_tokens_get_refresh_token (tokens), ==, refresh_token);
  g_assert_cmpint (tg_tokens_get_expires_at (tokens), ==, expires_at);
}

static void
assert_loads (TgTokenStore *store,
              const char   *account,
              const char   *access_token,
              const char   *refresh_token,
              gint64        expires_at)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTokens) tokens = load_sync (store, account, &error);

  g_assert_no_error (error);
  assert_tokens (tokens, access_token, refresh_token, expires_at);
}

static void
assert_signed_out (TgTokenStore *store,
                   const char   *account)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTokens) tokens = load_sync (store, account, &error);

  g_assert_no_error (error);
  g_assert_null (tokens);
}

/* ------------------------------------------------------------------------- */
/* What both stores must do                                                  */

static void
test_round_trip (Fixture       *f,
                 gconstpointer  user_data)
{
  g_autofree char *account = account_name (f, "alice");
  g_autofree char *bare = account_name (f, "bare");
  g_autofree char *odd = account_name (f, "odd \"name\" é/../\n");
  /* Microseconds past 2^53: a double would round it. */
  const gint64 expires_at = G_GINT64_CONSTANT (9007199254740993);
  g_autoptr(TgTokens) tokens = tg_tokens_new ("access-1", "refresh-1", expires_at);
  g_autoptr(TgTokens) bare_tokens = tg_tokens_new ("access-only", NULL, 0);
  g_autoptr(TgTokens) odd_tokens = tg_tokens_new ("a\"b\\c\nd\té€😀", "r/\u00e9\"}", 1);

  save_ok (f->store, account, tokens);
  assert_loads (f->store, account, "access-1", "refresh-1", expires_at);

  /* No refresh token and no known expiry stay that way. */
  save_ok (f->store, bare, bare_tokens);
  assert_loads (f->store, bare, "access-only", NULL, 0);

  /* JSON's special characters, in the tokens and in the account. */
  save_ok (f->store, odd, odd_tokens);
  assert_loads (f->store, odd, "a\"b\\c\nd\té€😀", "r/\u00e9\"}", 1);
}

static void
test_overwrite (Fixture       *f,
                gconstpointer  user_data)
{
  g_autofree char *account = account_name (f, "alice");
  g_autoptr(TgTokens) first = tg_tokens_new ("access-1", "refresh-1", 1000);
  g_autoptr(TgTokens) second = tg_tokens_new ("access-2", NULL, 2000);

  save_ok (f->store, account, first);
  save_ok (f->store, account, second);
  assert_loads (f->store, account, "access-2", NULL, 2000);
}

static void
test_clear (Fixture       *f,
            gconstpointer  user_data)
{
  g_autofree char *account = account_name (f, "alice");
  g_autoptr(TgTokens) tokens = tg_tokens_new ("access-1", "refresh-1", 1000);
  g_autoptr(GError) error = NULL;

  save_ok (f->store, account, tokens);
  g_assert_true (clear_sync (f->store, account, &error));
  g_assert_no_error (error);
  assert_signed_out (f->store, account);

  /* Clearing what is not there is not an error. */
  g_assert_true (clear_sync (f->store, account, &error));
  g_assert_no_error (error);

  /* And a cleared account can be saved again. */
  save_ok (f->store, account, tokens);
  assert_loads (f->store, account, "access-1", "refresh-1", 1000);
}

static void
test_absent (Fixture       *f,
             gconstpointer  user_data)
{
  g_autofree char *account = account_name (f, "nobody");

  /* The file store's directory does not even exist yet. */
  assert_signed_out (f->store, account);
}

static void
test_two_accounts (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *alice = account_name (f, "alice");
  g_autofree char *bob = account_name (f, "bob");
  g_autoptr(TgTokens) alice_tokens = tg_tokens_new ("access-alice", "refresh-alice", 1);
  g_autoptr(TgTokens) bob_tokens = tg_tokens_new ("access-bob", "refresh-bob", 2);
  g_autoptr(TgTokens) alice_again = tg_tokens_new ("access-alice-2", "refresh-alice-2", 3);
  g_autoptr(GError) error = NULL;

  save_ok (f->store, alice, alice_tokens);
  save_ok (f->store, bob, bob_tokens);
  assert_loads (f->store, alice, "access-alice", "refresh-alice", 1);
  assert_loads (f->store, bob, "access-bob", "refresh-bob", 2);

  save_ok (f->store, alice, alice_again);
  assert_loads (f->store, bob, "access-bob", "refresh-bob", 2);

  g_assert_true (clear_sync (f->store, alice, &error));
  g_assert_no_error (error);
  assert_signed_out (f->store, alice);
  assert_loads (f->store, bob, "access-bob", "refresh-bob", 2);
}

/* Many operations started at once, without waiting: they must take effect, and
 * complete, in the order they were started. The token manager saves without
 * waiting and clears on sign-out; a store that let a save overtake a clear
 * would bring a dead session back at the next start. */

#define N_SAVES 24

typedef enum {
  CALL_LOAD,
  CALL_SAVE,
  CALL_CLEAR,
} CallKind;

typedef struct {
  guint     order[N_SAVES + 5];      /* indexes, in completion order */
  guint     n_done;
  TgTokens *loaded[N_SAVES + 5];     /* owned, nullable: what each load returned */
} OrderState;

typedef struct {
  OrderState *state;
  guint       index;
  CallKind    kind;
} OrderCall;

static void
ordered_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  OrderCall *call = user_data;
  OrderState *state = call->state;
  TgTokenStore *store = TG_TOKEN_STORE (source);
  g_autoptr(GError) error = NULL;

  switch (call->kind)
    {
    case CALL_LOAD:
      state->loaded[call->index] = tg_token_store_load_finish (store, result, &error);
      break;
    case CALL_SAVE:
      g_assert_true (tg_token_store_save_finish (store, result, &error));
      break;
    case CALL_CLEAR:
      g_assert_true (tg_token_store_clear_finish (store, result, &error));
      break;
    default:
      g_assert_not_reached ();
    }
  g_assert_no_error (error);

  g_assert_cmpuint (state->n_done, <, G_N_ELEMENTS (state->order));
  state->order[state->n_done++] = call->index;
}

static gboolean
all_done (gpointer user_data)
{
  OrderCall *calls = user_data;

  return calls[0].state->n_done == G_N_ELEMENTS (calls[0].state->order);
}

static void
test_in_order (Fixture       *f,
               gconstpointer  user_data)
{
  g_autofree char *account = account_name (f, "alice");
  OrderState state = { { 0 }, 0, { NULL } };
  OrderCall calls[G_N_ELEMENTS (state.order)];
  guint index = 0;
  guint mid_load = 0, cleared_load = 0, final_load = 0;
  g_autoptr(TgTokens) final = tg_tokens_new ("access-final", "refresh-final", 99);

  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    calls[i] = (OrderCall) { &state, i, CALL_SAVE };

  for (guint i = 0; i < N_SAVES; i++)
    {
      g_autofree char *access_token = g_strdup_printf ("access-%u", i);
      g_autoptr(TgTokens) tokens = tg_tokens_new (access_token, "refresh", i + 1);

      tg_token_store_save_async (f->store, account, tokens, NULL, ordered_done, &calls[index++]);

      /* Halfway, a load must see the save just before it. */
      if (i == N_SAVES / 2)
        {
          mid_load = index;
          calls[index].kind = CALL_LOAD;
          tg_token_store_load_async (f->store, account, NULL, ordered_done, &calls[index++]);
        }
    }

  calls[index].kind = CALL_CLEAR;
  tg_token_store_clear_async (f->store, account, NULL, ordered_done, &calls[index++]);
  cleared_load = index;
  calls[index].kind = CALL_LOAD;
  tg_token_store_load_async (f->store, account, NULL, ordered_done, &calls[index++]);
  tg_token_store_save_async (f->store, account, final, NULL, ordered_done, &calls[index++]);
  final_load = index;
  calls[index].kind = CALL_LOAD;
  tg_token_store_load_async (f->store, account, NULL, ordered_done, &calls[index++]);
  g_assert_cmpuint (index, ==, G_N_ELEMENTS (calls));

  if (!tg_test_wait_until (all_done, calls, WAIT_SECONDS))
    g_error ("only %u of %u operations completed", state.n_done, index);

  for (guint i = 0; i < index; i++)
    g_assert_cmpuint (state.order[i], ==, i);

  assert_tokens (state.loaded[mid_load], "access-12", "refresh", 13);
  g_assert_null (state.loaded[cleared_load]);
  assert_tokens (state.loaded[final_load], "access-final", "refresh-final", 99);
  assert_loads (f->store, account, "access-final", "refresh-final", 99);

  for (guint i = 0; i < index; i++)
    g_clear_pointer (&state.loaded[i], tg_tokens_unref);
}

static void
test_cancelled (Fixture       *f,
                gconstpointer  user_data)
{
  g_autofree char *account = account_name (f, "alice");
  g_autoptr(TgTokens) first = tg_tokens_new ("access-1", "refresh-1", 1);
  g_autoptr(TgTokens) second = tg_tokens_new ("access-2", "refresh-2", 2);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  save_ok (f->store, account, first);

  /* A save cancelled before it started does not happen. */
  g_cancellable_cancel (cancellable);
  g_assert_false (save_sync (f->store, account, second, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  assert_loads (f->store, account, "access-1", "refresh-1", 1);
}

/* An operation cancelled while it waits behind others never happens, and
 * does not hold up the ones queued after it. */
static void
test_cancelled_in_queue (Fixture       *f,
                         gconstpointer  user_data)
{
  g_autofree char *account = account_name (f, "alice");
  g_autoptr(TgTokens) first = tg_tokens_new ("access-1", "refresh-1", 1);
  g_autoptr(TgTokens) second = tg_tokens_new ("access-2", "refresh-2", 2);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) first_result = NULL;
  g_autoptr(GAsyncResult) second_result = NULL;
  g_autoptr(GAsyncResult) load_result = NULL;
  g_autoptr(TgTokens) loaded = NULL;
  g_autoptr(GError) error = NULL;

  /* Started together: the second waits for the first, and is cancelled
   * while it waits. */
  tg_token_store_save_async (f->store, account, first, NULL, got_result, &first_result);
  tg_token_store_save_async (f->store, account, second, cancellable, got_result, &second_result);
  tg_token_store_load_async (f->store, account, NULL, got_result, &load_result);
  g_cancellable_cancel (cancellable);

  loaded = tg_token_store_load_finish (f->store, wait_result (&load_result), &error);
  g_assert_no_error (error);
  assert_tokens (loaded, "access-1", "refresh-1", 1);

  /* The load came after both saves, so both have answered by now. */
  g_assert_nonnull (first_result);
  g_assert_true (tg_token_store_save_finish (f->store, first_result, &error));
  g_assert_no_error (error);
  g_assert_nonnull (second_result);
  g_assert_false (tg_token_store_save_finish (f->store, second_result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ------------------------------------------------------------------------- */
/* The stored document                                                       */

static void
assert_document (const char *data,
                 gsize       length,
                 const char *access_token,
                 const char *refresh_token,
                 gint64      expires_at)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  g_assert_true (json_parser_load_from_data (parser, data, (gssize) length, &error));
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  object = json_node_get_object (json_parser_get_root (parser));

  g_assert_cmpuint (json_object_get_size (object), ==, 4);
  g_assert_cmpint (json_object_get_int_member (object, "version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (object, "accessToken"), ==, access_token);
  if (refresh_token != NULL)
    g_assert_cmpstr (json_object_get_string_member (object, "refreshToken"), ==, refresh_token);
  else
    g_assert_true (json_object_get_null_member (object, "refreshToken"));
  g_assert_cmpint (json_object_get_int_member (object, "expiresAt"), ==, expires_at);
}

/* ------------------------------------------------------------------------- */
/* TgFileTokenStore                                                          */

static char *
file_for (const char *directory,
          const char *account)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, account, -1);
  g_autofree char *name = g_strconcat (hash, ".json", NULL);

  return g_build_filename (directory, name, NULL);
}

static void
write_file (const char *path,
            const char *data,
            gssize      length,
            int         mode)
{
  g_autoptr(GError) error = NULL;

  /* CONSISTENT: a new file, so neither an older file's tail nor its mode
   * survives (GLib 2.74 writes in place without truncating otherwise). */
  g_assert_true (g_file_set_contents_full (path, data, length, G_FILE_SET_CONTENTS_CONSISTENT, mode, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

static guint
count_entries (const char *directory)
{
  g_autoptr(GDir) dir = g_dir_open (directory, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
test_file_permissions (Fixture       *f,
                       gconstpointer  user_data)
{
  g_autofree char *account = account_name (f, "alice");
  g_autofree char *path = file_for (f->directory, account);
  g_autoptr(TgTokens) first = tg_tokens_new ("access-1", "refresh-1", 1000);
  g_autoptr(TgTokens) second = tg_tokens_new ("access-2", NULL, 2000);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  struct stat st;
  mode_t old_umask;

  g_assert_false (g_file_test (f->directory, G_FILE_TEST_EXISTS));

  /* With no umask to hide behind: the modes must be asked for explicitly. */
  old_umask = umask (0);
  save_ok (f->store, account, first);

  g_assert_cmpint (g_stat (f->directory, &st), ==, 0);
  g_assert_true (S_ISDIR (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0700);

  g_assert_cmpint (g_lstat (path, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);

  /* One file, named after the account's hash (not the account), and no
   * temporary file left behind. */
  g_assert_cmpuint (count_entries (f->directory), ==, 1);

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  assert_document (contents, length, "access-1", "refresh-1", 1000);
  g_clear_pointer (&contents, g_free);

  /* Replacing keeps all of that. */
  save_ok (f->store, account, second);
  umask (old_umask);

  g_assert_cmpint (g_lstat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  g_assert_cmpuint (count_entries (f->directory), ==, 1);
  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  assert_document (contents, length, "access-2", NULL, 2000);
}

typedef struct {
  const char *name;
  const char *data;
  gssize      length;  /* -1: NUL-terminated */
} Damaged;

#define BINARY "\x00\x01\x02\x7f\xff\xfe garbage"
#define NUL_INSIDE "{\"version\":1,\"accessToken\":\"a\0b\"}"

/* Each holds the sentinels where it can, for the no-token-in-logs test. */
static const Damaged damaged_documents[] = {
  { "garbage", "this is not JSON " SENTINEL_ACCESS, -1 },
  { "binary", BINARY, sizeof BINARY - 1 },
  { "empty", "", 0 },
  { "whitespace", " \n\t ", -1 },
  { "truncated", "{\"version\":1,\"accessToken\":\"" SENTINEL_ACCESS "\",\"refreshTo", -1 },
  { "truncated-string", "{\"version\":1,\"accessToken\":\"" SENTINEL_ACCESS, -1 },
  { "array", "[\"" SENTINEL_ACCESS "\",\"" SENTINEL_REFRESH "\"]", -1 },
  { "null", "null", -1 },
  { "string", "\"" SENTINEL_ACCESS "\"", -1 },
  { "wrong-version", "{\"version\":2,\"accessToken\":\"" SENTINEL_ACCESS "\","
                     "\"refreshToken\":\"" SENTINEL_REFRESH "\",\"expiresAt\":1}", -1 },
  { "version-string", "{\"version\":\"1\",\"accessToken\":\"" SENTINEL_ACCESS "\"}", -1 },
  { "version-float", "{\"version\":1.0,\"accessToken\":\"" SENTINEL_ACCESS "\"}", -1 },
  { "no-version", "{\"accessToken\":\"" SENTINEL_ACCESS "\"}", -1 },
  { "empty-access-token", "{\"version\":1,\"accessToken\":\"\",\"refreshToken\":\"" SENTINEL_REFRESH "\"}", -1 },
  { "no-access-token", "{\"version\":1,\"refreshToken\":\"" SENTINEL_REFRESH "\"}", -1 },
  { "access-token-number", "{\"version\":1,\"accessToken\":42}", -1 },
  { "refresh-token-object", "{\"version\":1,\"accessToken\":\"" SENTINEL_ACCESS "\",\"refreshToken\":{}}", -1 },
  { "expiry-string", "{\"version\":1,\"accessToken\":\"" SENTINEL_ACCESS "\",\"expiresAt\":\"soon\"}", -1 },
  { "expiry-negative", "{\"version\":1,\"accessToken\":\"" SENTINEL_ACCESS "\",\"expiresAt\":-1}", -1 },
  { "invalid-utf8", "{\"version\":1,\"accessToken\":\"\xc3\x28" SENTINEL_ACCESS "\"}", -1 },
  { "nul-inside", NUL_INSIDE, sizeof NUL_INSIDE - 1 },
};

/* A valid document exactly @size bytes long (padded with spaces), whose access
 * token is "big". */
static char *
padded_document (gsize size)
{
  static const char head[] = "{\"version\":1,\"accessToken\":\"big\",\"refreshToken\":null,\"expiresAt\":0";
  GString *document = g_string_new (head);

  g_assert_cmpuint (size, >, sizeof head);
  while (document->len < size - 1)
    g_string_append_c (document, ' ');
  g_string_append_c (document, '}');
  g_assert_cmpuint (document->len, ==, size);
  return g_string_free (document, FALSE);
}

/* A valid document with a @size-byte access token. */
static char *
huge_document (gsize size)
{
  g_autofree char *token = g_strnfill (size, 'a');

  return g_strdup_printf ("{\"version\":1,\"accessToken\":\"%s\"}", token);
}

static void
expect_unreadable_file (TgTokenStore *store,
                        const char   *account)
{
  g_test_expect_message (FILE_DOMAIN, G_LOG_LEVEL_WARNING, UNREADABLE);
  assert_signed_out (store, account);
  g_test_assert_expected_messages ();
}

static void
test_file_damaged (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *account = account_name (f, "alice");
  g_autofree char *path = file_for (f->directory, account);
  g_autoptr(TgTokens) good = tg_tokens_new ("access-good", "refresh-good", 5);
  g_autofree char *huge = huge_document (1024 * 1024);
  g_autofree char *just_fits = padded_document (64 * 1024);
  g_autofree char *one_too_many = padded_document (64 * 1024 + 1);

  save_ok (f->store, account, good);

  for (guint i = 0; i < G_N_ELEMENTS (damaged_documents); i++)
    {
      const Damaged *d = &damaged_documents[i];

      g_test_message ("damaged document: %s", d->name);
      write_file (path, d->data, d->length, 0600);
      expect_unreadable_file (f->store, account);

      /* Signed out, not stuck: the next sign-in replaces the file. */
      save_ok (f->store, account, good);
      assert_loads (f->store, account, "access-good", "refresh-good", 5);
    }

  /* 1 MiB of an otherwise valid document is refused by its size. */
  g_test_message ("damaged document: 1 MiB");
  write_file (path, huge, -1, 0600);
  expect_unreadable_file (f->store, account);

  /* The limit is 64 KiB exactly. */
  write_file (path, just_fits, -1, 0600);
  assert_loads (f->store, account, "big", NULL, 0);
  write_file (path, one_too_many, -1, 0600);
  expect_unreadable_file (f->store, account);
}

static void
test_file_others_can_read (Fixture       *f,
                           gconstpointer  user_data)
{
  static const int modes[] = { 0640, 0604, 0620, 0602, 0644, 0666 };
  g_autofree char *account = account_name (f, "alice");
  g_autofree char *path = file_for (f->directory, account);
  g_autoptr(TgTokens) tokens = tg_tokens_new ("access-1", "refresh-1", 1);
  struct stat st;

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_test_message ("mode %04o", (unsigned) modes[i]);
      save_ok (f->store, account, tokens);
      g_assert_cmpint (g_chmod (path, modes[i]), ==, 0);

      g_test_expect_message (FILE_DOMAIN, G_LOG_LEVEL_WARNING, "*other users could read*");
      assert_signed_out (f->store, account);
      g_test_assert_expected_messages ();
    }

  /* Saving again makes a new 0600 file that is used. */
  save_ok (f->store, account, tokens);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  assert_loads (f->store, account, "access-1", "refresh-1", 1);
}

static void
test_file_not_regular (Fixture       *f,
                       gconstpointer  user_data)
{
  g_autofree char *account = account_name (f, "alice");
  g_autofree char *path = file_for (f->directory, account);
  g_autofree char *elsewhere = g_build_filename (f->tmpdir, "elsewhere.json", NULL);
  g_autoptr(TgTokens) tokens = tg_tokens_new ("access-1", "refresh-1", 1);
  g_autofree char *contents = NULL;
  struct stat st;

  g_assert_cmpint (g_mkdir (f->directory, 0700), ==, 0);

  /* A symlink, even to a valid 0600 document, is not followed. */
  write_file (elsewhere, "{\"version\":1,\"accessToken\":\"elsewhere\"}", -1, 0600);
  g_assert_cmpint (symlink (elsewhere, path), ==, 0);
  expect_unreadable_file (f->store, account);

  /* A save replaces the link, not what it points to. */
  save_ok (f->store, account, tokens);
  g_assert_cmpint (g_lstat (path, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_true (g_file_get_contents (elsewhere, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "{\"version\":1,\"accessToken\":\"elsewhere\"}");
  g_assert_cmpint (g_unlink (path), ==, 0);

  /* A FIFO must neither hang the load nor be read. */
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  expect_unreadable_file (f->store, account);
  g_assert_cmpint (g_unlink (path), ==, 0);

  /* Nor a directory. */
  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  expect_unreadable_file (f->store, account);
}

static void
assert_no_sentinel (const GError *error)
{
  g_assert_nonnull (error);
  g_assert_null (strstr (error->message, SENTINEL_ACCESS));
  g_assert_null (strstr (error->message, SENTINEL_REFRESH));
}

static void
test_file_unwritable (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autofree char *account = account_name (f, "alice");
  g_autofree char *blocker = g_build_filename (f->tmpdir, "blocker", NULL);
  g_autofree char *under_file = g_build_filename (blocker, "tokens", NULL);
  g_autofree char *path = file_for (f->directory, account);
  g_autoptr(TgTokenStore) blocked = NULL;
  g_autoptr(TgTokens) tokens = tg_tokens_new (SENTINEL_ACCESS, SENTINEL_REFRESH, 1);
  g_autoptr(GError) error = NULL;

  /* The directory cannot be created: a file is in the way. */
  write_file (blocker, "", 0, 0600);
  blocked = tg_file_token_store_new (under_file);
  g_assert_false (save_sync (blocked, account, tokens, NULL, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
  assert_no_sentinel (error);
  g_clear_error (&error);
  /* And nothing to load from there, with a word about why. */
  expect_unreadable_file (blocked, account);

  /* The file cannot be replaced: a directory is in the way. This works as
   * root too, unlike a read-only directory. */
  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  g_assert_false (save_sync (f->store, account, tokens, NULL, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR);
  assert_no_sentinel (error);
  g_clear_error (&error);

  g_assert_false (clear_sync (f->store, account, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_FILE_ERROR);
  g_clear_error (&error);
  g_assert_cmpint (g_rmdir (path), ==, 0);

  /* A read-only directory; root writes anyway, so only for other users. */
  if (geteuid () != 0)
    {
      g_assert_cmpint (g_chmod (f->directory, 0500), ==, 0);
      g_assert_false (save_sync (f->store, account, tokens, NULL, &error));
      g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_ACCES);
      assert_no_sentinel (error);
      g_clear_error (&error);
      g_assert_cmpint (g_chmod (f->directory, 0700), ==, 0);
    }
  else
    {
      g_test_message ("running as root: the read-only directory case cannot fail, not run");
    }

  /* And the store still works once the way is clear. */
  save_ok (f->store, account, tokens);
  assert_loads (f->store, account, SENTINEL_ACCESS, SENTINEL_REFRESH, 1);
}

/* ------------------------------------------------------------------------- */
/* TgSecretTokenStore                                                        */

static GList *
find_items (SecretService *service,
            const char    *account)
{
  g_autoptr(GHashTable) attributes = secret_attributes_build (&test_schema, "account", account, NULL);
  g_autoptr(GError) error = NULL;
  GList *items;

  items = secret_service_search_sync (service, &test_schema, attributes,
                                      SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS,
                                      NULL, &error);
  g_assert_no_error (error);
  return items;
}

static void
test_secret_item (Fixture       *f,
                  gconstpointer  user_data)
{
  g_autofree char *account = account_name (f, "alice");
  g_autofree char *label = g_strdup_printf ("Tokengate session (%s)", account);
  g_autoptr(TgTokens) first = tg_tokens_new ("access-1", "refresh-1", 1000);
  g_autoptr(TgTokens) second = tg_tokens_new ("access-2", "refresh-2", 2000);
  g_autoptr(SecretService) service = NULL;
  g_autoptr(SecretCollection) collection = NULL;
  g_autoptr(SecretValue) value = NULL;
  g_autofree char *collection_prefix = NULL;
  g_autofree char *item_label = NULL;
  g_autofree char *schema_name = NULL;
  g_autoptr(GError) error = NULL;
  GList *items;
  SecretItem *item;
  const char *data;
  gsize length = 0;

  save_ok (f->store, account, first);
  save_ok (f->store, account, second);

  service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION | SECRET_SERVICE_LOAD_COLLECTIONS,
                                     NULL, &error);
  g_assert_no_error (error);

  /* One item, replaced rather than duplicated. */
  items = find_items (service, account);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  item = items->data;

  item_label = secret_item_get_label (item);
  g_assert_cmpstr (item_label, ==, label);
  schema_name = secret_item_get_schema_name (item);
  g_assert_cmpstr (schema_name, ==, "dev.tokengate.Tokengate.Tokens");

  /* In the default collection. */
  collection = secret_collection_for_alias_sync (service, SECRET_COLLECTION_DEFAULT,
                                                 SECRET_COLLECTION_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (collection);
  collection_prefix = g_strconcat (g_dbus_proxy_get_object_path (G_DBUS_PROXY (collection)), "/", NULL);
  g_assert_true (g_str_has_prefix (g_dbus_proxy_get_object_path (G_DBUS_PROXY (item)), collection_prefix));

  /* The secret is the same JSON document as the file store's. (Its content
   * type cannot be checked here: gnome-keyring 42 answers "text/plain" for
   * every item, whatever it was given.) */
  value = secret_item_get_secret (item);
  g_assert_nonnull (value);
  data = secret_value_get (value, &length);
  assert_document (data, length, "access-2", "refresh-2", 2000);

  g_list_free_full (items, g_object_unref);
}

typedef struct {
  const char *name;
  const char *data;
  gssize      length;
} DamagedSecret;

#define BAD_UTF8 "{\"version\":1,\"accessToken\":\"\xff\xfe\"}"

static const DamagedSecret damaged_secrets[] = {
  { "garbage", "not JSON " SENTINEL_ACCESS, -1 },
  { "array", "[\"" SENTINEL_ACCESS "\"]", -1 },
  { "wrong-version", "{\"version\":2,\"accessToken\":\"" SENTINEL_ACCESS "\"}", -1 },
  { "empty-access-token", "{\"version\":1,\"accessToken\":\"\",\"refreshToken\":\"" SENTINEL_REFRESH "\"}", -1 },
  { "truncated", "{\"version\":1,\"accessToken\":\"" SENTINEL_ACCESS, -1 },
  { "invalid-utf8", BAD_UTF8, sizeof BAD_UTF8 - 1 },
};

/* Writes @data as the account's secret behind the store's back. */
static void
store_raw_secret (const char *account,
                  const char *data,
                  gssize      length)
{
  g_autoptr(GError) error = NULL;

  if (length < 0)
    {
      g_assert_true (secret_password_store_sync (&test_schema, SECRET_COLLECTION_DEFAULT,
                                                 "damaged by a test", data, NULL, &error,
                                                 "account", account, NULL));
    }
  else
    {
      /* Not a password string (invalid UTF-8, say): as a binary value. */
      g_autoptr(SecretValue) value = secret_value_new (data, length, "application/octet-stream");

      g_assert_true (secret_password_store_binary_sync (&test_schema, SECRET_COLLECTION_DEFAULT,
                                                        "damaged by a test", value, NULL, &error,
                                                        "account", account, NULL));
    }
  g_assert_no_error (error);
}

static void
test_secret_damaged (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autofree char *account = account_name (f, "alice");
  g_autoptr(TgTokens) good = tg_tokens_new ("access-good", "refresh-good", 5);
  g_autofree char *huge = huge_document (100 * 1024);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (damaged_secrets); i++)
    {
      const DamagedSecret *d = &damaged_secrets[i];
      g_autofree char *left = NULL;

      g_test_message ("damaged secret: %s", d->name);
      store_raw_secret (account, d->data, d->length);

      g_test_expect_message (SECRET_DOMAIN, G_LOG_LEVEL_WARNING, UNREADABLE);
      assert_signed_out (f->store, account);
      g_test_assert_expected_messages ();

      /* clear removes it. */
      g_assert_true (clear_sync (f->store, account, &error));
      g_assert_no_error (error);
      left = secret_password_lookup_sync (&test_schema, NULL, &error, "account", account, NULL);
      g_assert_no_error (error);
      g_assert_null (left);
    }

  /* Over 64 KiB, even if otherwise valid. */
  g_test_message ("damaged secret: 100 KiB");
  store_raw_secret (account, huge, -1);
  g_test_expect_message (SECRET_DOMAIN, G_LOG_LEVEL_WARNING, UNREADABLE);
  assert_signed_out (f->store, account);
  g_test_assert_expected_messages ();

  /* A save replaces a damaged item. */
  store_raw_secret (account, "garbage", -1);
  save_ok (f->store, account, good);
  assert_loads (f->store, account, "access-good", "refresh-good", 5);
}

/* ------------------------------------------------------------------------- */
/* tg_token_store_new_default_async()                                        */

static TgTokenStore *
new_default_sync (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TgTokenStore *store;

  tg_token_store_new_default_async (NULL, got_result, &result);
  store = tg_token_store_new_default_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_true (TG_IS_TOKEN_STORE (store));
  return store;
}

static void
finalize_store (TgTokenStore *store)
{
  gpointer weak = store;

  g_object_add_weak_pointer (G_OBJECT (store), &weak);
  g_object_unref (store);
  if (!tg_test_wait_until (is_null, &weak, 5))
    g_error ("the store was not finalized: a reference leaked");
}

static void
round_trip_through (TgTokenStore *store)
{
  g_autoptr(TgTokens) tokens = tg_tokens_new ("access-default", "refresh-default", 7);
  g_autoptr(GError) error = NULL;

  save_ok (store, "https://server.test/default/alice", tokens);
  assert_loads (store, "https://server.test/default/alice", "access-default", "refresh-default", 7);
  g_assert_true (clear_sync (store, "https://server.test/default/alice", &error));
  g_assert_no_error (error);
}

static void
test_default_keyring (void)
{
  TgTokenStore *store = new_default_sync ();

  g_assert_true (TG_IS_SECRET_TOKEN_STORE (store));
  round_trip_through (store);
  finalize_store (store);
}

static void
test_default_no_bus (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *expected = NULL;

      /* Before anything in this process has connected to a bus. */
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/tokengate-test-bus", TRUE);
      expected = g_build_filename (g_get_user_state_dir (), "tokengate", NULL);

      for (guint i = 0; i < 2; i++)
        {
          TgTokenStore *store = new_default_sync ();
          g_autofree char *directory = NULL;

          g_assert_true (TG_IS_FILE_TOKEN_STORE (store));
          g_object_get (store, "directory", &directory, NULL);
          g_assert_cmpstr (directory, ==, expected);
          round_trip_through (store);
          finalize_store (store);
        }
      return;
    }

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* Said once, however often a store is asked for. */
  g_test_trap_assert_stderr ("*tokens will be kept in a private file*");
  g_test_trap_assert_stderr_unmatched ("*private file*private file*");
}

/* ------------------------------------------------------------------------- */
/* No token value in any log line                                            */

static void
test_no_token_in_logs (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *tmpdir = tg_test_make_tmpdir ();
      g_autofree char *directory = g_build_filename (tmpdir, "tokens", NULL);
      g_autoptr(TgTokenStore) file_store = tg_file_token_store_new (directory);
      g_autoptr(TgTokenStore) secret_store = tg_secret_token_store_new ();
      g_autoptr(TgTokens) tokens = tg_tokens_new (SENTINEL_ACCESS, SENTINEL_REFRESH, 1);
      g_autofree char *account = g_strdup_printf ("https://server.test/logs/%08x", g_random_int ());
      g_autofree char *path = file_for (directory, account);
      g_autoptr(GError) error = NULL;

      /* Let every warning through to stderr, where the parent looks. */
      g_log_set_always_fatal (G_LOG_FATAL_MASK);
      g_setenv ("G_MESSAGES_DEBUG", "tg-token-store tg-file-token-store tg-secret-token-store", TRUE);

      /* Every way a file can be refused, with the tokens in it. */
      save_ok (file_store, account, tokens);
      for (guint i = 0; i < G_N_ELEMENTS (damaged_documents); i++)
        {
          write_file (path, damaged_documents[i].data, damaged_documents[i].length, 0600);
          assert_signed_out (file_store, account);
        }
      save_ok (file_store, account, tokens);
      g_assert_cmpint (g_chmod (path, 0644), ==, 0);
      assert_signed_out (file_store, account);
      g_assert_cmpint (g_unlink (path), ==, 0);

      /* A failed save, whose error a caller would log. */
      g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
      g_assert_false (save_sync (file_store, account, tokens, NULL, &error));
      g_printerr ("save error: %s\n", error->message);
      g_clear_error (&error);

      /* The keyring: a good round trip and damaged items. */
      save_ok (secret_store, account, tokens);
      assert_loads (secret_store, account, SENTINEL_ACCESS, SENTINEL_REFRESH, 1);
      for (guint i = 0; i < G_N_ELEMENTS (damaged_secrets); i++)
        {
          store_raw_secret (account, damaged_secrets[i].data, damaged_secrets[i].length);
          assert_signed_out (secret_store, account);
        }
      g_assert_true (clear_sync (secret_store, account, &error));
      g_assert_no_error (error);

      tg_test_rm_rf (tmpdir);
      return;
    }

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* The warnings were there (so this test looked at something)… */
  g_test_trap_assert_stderr ("*" FILE_DOMAIN "*" UNREADABLE);
  g_test_trap_assert_stderr ("*other users could read*");
  g_test_trap_assert_stderr ("*" SECRET_DOMAIN "*" UNREADABLE);
  g_test_trap_assert_stderr ("*save error: *");
  /* …and none of them held a token. */
  g_test_trap_assert_stderr_unmatched ("*SENTINEL*");
  g_test_trap_assert_stdout_unmatched ("*SENTINEL*");
}

/* ------------------------------------------------------------------------- */

static void
add_for_both (const char *name,
              void      (*test) (Fixture *, gconstpointer))
{
  g_autofree char *file_path = g_strconcat ("/core/token-store/file/", name, NULL);
  g_autofree char *secret_path = g_strconcat ("/core/token-store/secret/", name, NULL);

  g_test_add (file_path, Fixture, GINT_TO_POINTER (KIND_FILE), fixture_setup, test, fixture_teardown);
  g_test_add (secret_path, Fixture, GINT_TO_POINTER (KIND_SECRET), fixture_setup, test, fixture_teardown);
}

#define add_file_test(name, test) \
  g_test_add ("/core/token-store/file/" name, Fixture, GINT_TO_POINTER (KIND_FILE), \
              fixture_setup, test, fixture_teardown)
#define add_secret_test(name, test) \
  g_test_add ("/core/token-store/secret/" name, Fixture, GINT_TO_POINTER (KIND_SECRET), \
              fixture_setup, test, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  tg_test_init (&argc, &argv);

  add_for_both ("round-trip", test_round_trip);
  add_for_both ("overwrite", test_overwrite);
  add_for_both ("clear", test_clear);
  add_for_both ("absent", test_absent);
  add_for_both ("two-accounts", test_two_accounts);
  add_for_both ("in-order", test_in_order);
  add_for_both ("cancelled", test_cancelled);
  add_for_both ("cancelled-in-queue", test_cancelled_in_queue);

  add_file_test ("permissions", test_file_permissions);
  add_file_test ("damaged", test_file_damaged);
  add_file_test ("others-can-read", test_file_others_can_read);
  add_file_test ("not-regular", test_file_not_regular);
  add_file_test ("unwritable", test_file_unwritable);

  add_secret_test ("item", test_secret_item);
  add_secret_test ("damaged", test_secret_damaged);

  g_test_add_func ("/core/token-store/default/keyring", test_default_keyring);
  g_test_add_func ("/core/token-store/default/no-bus", test_default_no_bus);
  g_test_add_func ("/core/token-store/no-token-in-logs", test_no_token_in_logs);

  return g_test_run ();
}
