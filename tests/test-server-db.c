/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgServerDb against real files in a temporary directory: the schema and file
 * modes, users, refresh-token rotation and reuse detection (RFC 9700 §4.14.2),
 * revocation, persistence, and that a process killed mid-rotation loses nothing
 * it had been told was committed.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "tg-server-db.h"
#include "tg-test-util.h"

/* Fixed clock values: the database never reads the clock for tokens, so the
 * tests decide exactly where "now" is relative to grace and expiry. */
#define T0 1700000000
#define TTL 3600

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3, sqlite3_close)

typedef struct {
  char       *tmpdir;  /* owned */
  char       *path;    /* owned: tmpdir/server.db */
  TgServerDb *db;      /* owned, nullable */
} Fixture;

static void
fixture_setup_empty (Fixture       *f,
                     gconstpointer  user_data)
{
  f->tmpdir = tg_test_make_tmpdir ();
  f->path = g_build_filename (f->tmpdir, "server.db", NULL);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture_setup_empty (f, user_data);
  f->db = tg_server_db_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->db);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  if (f->db != NULL)
    g_assert_finalize_object (g_steal_pointer (&f->db));
  tg_test_rm_rf (f->tmpdir);
  g_clear_pointer (&f->path, g_free);
  g_clear_pointer (&f->tmpdir, g_free);
}

static void
reopen (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  if (f->db != NULL)
    g_assert_finalize_object (g_steal_pointer (&f->db));
  f->db = tg_server_db_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->db);
}

/* What the server stores for a token: its SHA-256 in hex. */
static char *
hash_of (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

static gint64
add_user (Fixture    *f,
          const char *name)
{
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  g_assert_true (tg_server_db_add_user (f->db, name, "pbkdf2$1$salt$hash", &id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

/* A family issued to @client_id (NULL: a request that named no client). */
static gint64
start_family_for (Fixture    *f,
                  gint64      user_id,
                  const char *client_id,
                  const char *token_hash,
                  gint64      now)
{
  g_autoptr(GError) error = NULL;
  gint64 family_id = 0;

  g_assert_true (tg_server_db_start_family (f->db, user_id, client_id, token_hash, now, now + TTL,
                                            &family_id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (family_id, >, 0);
  return family_id;
}

static gint64
start_family (Fixture    *f,
              gint64      user_id,
              const char *token_hash,
              gint64      now)
{
  return start_family_for (f, user_id, NULL, token_hash, now);
}

/* tg_server_db_rotate() by @client_id, that must not fail at the SQLite level. */
static TgRefreshOutcome
rotate_as (Fixture        *f,
           const char     *client_id,
           const char     *presented_hash,
           const char     *successor_hash,
           gint64          now,
           gint64          grace,
           TgRefreshGrant *grant)
{
  g_autoptr(GError) error = NULL;
  TgRefreshOutcome outcome;

  outcome = tg_server_db_rotate (f->db, presented_hash, client_id, successor_hash, now, now + TTL,
                                 grace, grant, &error);
  g_assert_no_error (error);
  return outcome;
}

static TgRefreshOutcome
rotate (Fixture        *f,
        const char     *presented_hash,
        const char     *successor_hash,
        gint64          now,
        gint64          grace,
        TgRefreshGrant *grant)
{
  return rotate_as (f, NULL, presented_hash, successor_hash, now, grace, grant);
}

static GHashTable *
list_revoked (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  GHashTable *revoked = tg_server_db_list_revoked_families (f->db, &error);

  g_assert_no_error (error);
  g_assert_nonnull (revoked);
  return revoked;
}

static gboolean
is_revoked (Fixture *f,
            gint64   family_id)
{
  g_autoptr(GHashTable) revoked = list_revoked (f);

  return g_hash_table_contains (revoked, &family_id);
}

static void
assert_mode (const char *path,
             guint       expected)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, expected);
}

/* A second, raw connection for what the API does not expose. */
static sqlite3 *
raw_open (const char *path)
{
  sqlite3 *raw = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                   ==, SQLITE_OK);
  return raw;
}

static char *
raw_query_text (sqlite3    *raw,
                const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *text;

  g_assert_cmpint (sqlite3_prepare_v2 (raw, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return text;
}

/* ------------------------------------------------------------------------- */

static void
test_open_creates_private_wal_file (Fixture       *f,
                                    gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *nested_dir = g_build_filename (f->tmpdir, "state", "tokengate", NULL);
  g_autofree char *path = g_build_filename (nested_dir, "server.db", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_autofree char *mode = NULL;
  g_autofree char *version = NULL;
  g_autoptr(TgServerDb) db = NULL;
  sqlite3 *raw;

  db = tg_server_db_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (db);

  assert_mode (nested_dir, 0700);
  assert_mode (path, 0600);

  /* A write creates the WAL and its index; they must be as private. */
  g_assert_true (tg_server_db_set_meta (db, "k", 1, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
  assert_mode (wal, 0600);
  assert_mode (shm, 0600);

  /* WAL mode is persistent in the file, so a new connection reports it. */
  raw = raw_open (path);
  mode = raw_query_text (raw, "PRAGMA journal_mode");
  version = raw_query_text (raw, "PRAGMA user_version");
  sqlite3_close (raw);
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpstr (version, !=, "0");

  g_assert_finalize_object (g_steal_pointer (&db));
}

static void
test_open_memory (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgServerDb) db = tg_server_db_open (":memory:", &error);
  gint64 count = -1;

  /* The server runs on ":memory:" when given no file. */
  g_assert_no_error (error);
  g_assert_nonnull (db);
  g_assert_false (g_file_test (":memory:", G_FILE_TEST_EXISTS));
  g_assert_true (tg_server_db_add_user (db, "alice", "h", NULL, &error));
  g_assert_true (tg_server_db_count_users (db, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count, ==, 1);
  g_assert_finalize_object (g_steal_pointer (&db));
}

static void
test_users (Fixture       *f,
            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  gint64 alice, bob, id = 0, count = -1;

  g_assert_true (tg_server_db_count_users (f->db, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count, ==, 0);

  g_assert_true (tg_server_db_add_user (f->db, "alice", "hash-a", &alice, &error));
  g_assert_no_error (error);
  g_assert_true (tg_server_db_add_user (f->db, "bob", "hash-b", &bob, &error));
  g_assert_no_error (error);
  g_assert_cmpint (alice, >, 0);
  g_assert_cmpint (bob, >, 0);
  g_assert_cmpint (alice, !=, bob);

  g_assert_true (tg_server_db_find_user (f->db, "alice", &id, &hash, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, ==, alice);
  g_assert_cmpstr (hash, ==, "hash-a");
  g_clear_pointer (&hash, g_free);

  g_assert_true (tg_server_db_find_user (f->db, "bob", &id, &hash, &error));
  g_assert_cmpint (id, ==, bob);
  g_assert_cmpstr (hash, ==, "hash-b");
  g_clear_pointer (&hash, g_free);

  /* Both out parameters are optional. */
  g_assert_true (tg_server_db_find_user (f->db, "bob", NULL, NULL, &error));
  g_assert_no_error (error);

  /* Names compare byte for byte. */
  g_assert_false (tg_server_db_find_user (f->db, "Alice", &id, &hash, &error));
  g_assert_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_NOT_FOUND);
  g_assert_null (hash);
  g_clear_error (&error);

  g_assert_false (tg_server_db_find_user (f->db, "carol", NULL, NULL, &error));
  g_assert_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A duplicate is refused, and the original's hash is not overwritten. */
  id = 0;
  g_assert_false (tg_server_db_add_user (f->db, "alice", "hash-evil", &id, &error));
  g_assert_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "alice"));
  g_assert_cmpint (id, ==, 0);
  g_clear_error (&error);

  g_assert_true (tg_server_db_find_user (f->db, "alice", &id, &hash, &error));
  g_assert_cmpint (id, ==, alice);
  g_assert_cmpstr (hash, ==, "hash-a");

  g_assert_true (tg_server_db_count_users (f->db, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count, ==, 2);
}

static void
test_users_sql_metacharacters (Fixture       *f,
                               gconstpointer  user_data)
{
  static const char * const names[] = {
    "O'Brien",
    "'; DROP TABLE users; --",
    "Robert'); DROP TABLE users;--",
    "' OR '1'='1",
    "\"double\" \"quotes\"",
    "semi;colon",
    "back\\slash",
    "percent %s %n %%",
    "?1 :name @x $y",
    "ünïcødé ✓ 名前",
    "line\nbreak",
  };
  g_autoptr(GError) error = NULL;
  gint64 ids[G_N_ELEMENTS (names)];
  gint64 count = -1;

  /* Before it exists, the classic injection must not match anybody. */
  add_user (f, "victim");
  g_assert_false (tg_server_db_find_user (f->db, "' OR '1'='1", NULL, NULL, &error));
  g_assert_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *password_hash = g_strdup_printf ("h'%zu\"; --", i);

      g_assert_true (tg_server_db_add_user (f->db, names[i], password_hash, &ids[i], &error));
      g_assert_no_error (error);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *expected_hash = g_strdup_printf ("h'%zu\"; --", i);
      g_autofree char *hash = NULL;
      gint64 id = 0;

      g_assert_true (tg_server_db_find_user (f->db, names[i], &id, &hash, &error));
      g_assert_no_error (error);
      g_assert_cmpint (id, ==, ids[i]);
      g_assert_cmpstr (hash, ==, expected_hash);
    }

  g_assert_true (tg_server_db_count_users (f->db, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count, ==, 1 + G_N_ELEMENTS (names));

  /* Metadata keys are bound too. */
  g_assert_true (tg_server_db_set_meta (f->db, "'; DELETE FROM meta; --", 5, &error));
  g_assert_true (tg_server_db_set_meta (f->db, "other", 6, &error));
  g_assert_no_error (error);
  reopen (f);
  g_assert_true (tg_server_db_find_user (f->db, "'; DROP TABLE users; --", NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
test_rotation_chain (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autoptr(GPtrArray) hashes = g_ptr_array_new_with_free_func (g_free);
  gint64 alice, bob, family;
  gint64 now = T0;

  bob = add_user (f, "bob");
  alice = add_user (f, "alice");
  g_assert_cmpint (alice, !=, bob);

  g_ptr_array_add (hashes, hash_of ("token-0"));
  family = start_family (f, alice, hashes->pdata[0], now);

  for (guint i = 1; i <= 10; i++)
    {
      g_auto(TgRefreshGrant) grant = { 0 };
      g_autofree char *token = g_strdup_printf ("token-%u", i);
      char *successor = hash_of (token);

      g_ptr_array_add (hashes, successor);
      now += 60;
      g_assert_cmpint (rotate (f, hashes->pdata[i - 1], successor, now, 0, &grant),
                       ==, TG_REFRESH_ROTATED);
      g_assert_cmpint (grant.user_id, ==, alice);
      g_assert_cmpstr (grant.user_name, ==, "alice");
      g_assert_cmpint (grant.family_id, ==, family);
      g_assert_null (grant.successor_hash);
    }

  g_assert_false (is_revoked (f, family));

  /* A consumed token does not rotate again: with no grace, presenting it is
   * reuse, and the live end of the chain dies with the family. */
  {
    g_auto(TgRefreshGrant) grant = { 0 };
    g_autofree char *other = hash_of ("token-x");

    g_assert_cmpint (rotate (f, hashes->pdata[4], other, now + 1, 0, &grant),
                     ==, TG_REFRESH_REUSE_DETECTED);
    g_assert_cmpint (grant.family_id, ==, family);
    g_assert_null (grant.successor_hash);
    tg_refresh_grant_clear (&grant);

    g_assert_cmpint (rotate (f, hashes->pdata[10], other, now + 2, 0, &grant),
                     ==, TG_REFRESH_REVOKED);
    g_assert_cmpint (grant.family_id, ==, family);
    g_assert_true (is_revoked (f, family));

    /* Nothing was stored for the rejected successor. */
    tg_refresh_grant_clear (&grant);
    g_assert_cmpint (rotate (f, other, hashes->pdata[0], now + 3, 0, &grant),
                     ==, TG_REFRESH_UNKNOWN);
  }
}

/* Two families of one user: reuse in one must leave the other alone. */
static void
test_reuse_revokes_only_its_family (Fixture       *f,
                                    gconstpointer  user_data)
{
  g_autofree char *a0 = hash_of ("a0"), *a1 = hash_of ("a1"), *a2 = hash_of ("a2");
  g_autofree char *b0 = hash_of ("b0"), *b1 = hash_of ("b1");
  g_auto(TgRefreshGrant) grant = { 0 };
  gint64 alice = add_user (f, "alice");
  gint64 fa = start_family (f, alice, a0, T0);
  gint64 fb = start_family (f, alice, b0, T0);

  g_assert_cmpint (fa, !=, fb);
  g_assert_cmpint (rotate (f, a0, a1, T0 + 10, 0, &grant), ==, TG_REFRESH_ROTATED);
  tg_refresh_grant_clear (&grant);
  g_assert_cmpint (rotate (f, a0, a2, T0 + 20, 0, &grant), ==, TG_REFRESH_REUSE_DETECTED);
  g_assert_cmpint (grant.family_id, ==, fa);
  tg_refresh_grant_clear (&grant);

  g_assert_true (is_revoked (f, fa));
  g_assert_false (is_revoked (f, fb));
  g_assert_cmpint (rotate (f, b0, b1, T0 + 30, 0, &grant), ==, TG_REFRESH_ROTATED);
  g_assert_cmpint (grant.family_id, ==, fb);
}

static void
test_replay_in_grace (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autofree char *h0 = hash_of ("t0"), *h1 = hash_of ("t1");
  g_autofree char *retry = hash_of ("t1-retry"), *retry2 = hash_of ("t1-retry2");
  g_autofree char *h2 = hash_of ("t2");
  g_auto(TgRefreshGrant) grant = { 0 };
  gint64 alice = add_user (f, "alice");
  gint64 family = start_family (f, alice, h0, T0);

  g_assert_cmpint (rotate (f, h0, h1, T0 + 100, 30, &grant), ==, TG_REFRESH_ROTATED);
  g_assert_null (grant.successor_hash);
  tg_refresh_grant_clear (&grant);

  /* The response was lost; the client retries with the old token 10 s later. */
  g_assert_cmpint (rotate (f, h0, retry, T0 + 110, 30, &grant), ==, TG_REFRESH_REPLAYED_IN_GRACE);
  g_assert_cmpstr (grant.successor_hash, ==, h1);
  g_assert_cmpint (grant.user_id, ==, alice);
  g_assert_cmpstr (grant.user_name, ==, "alice");
  g_assert_cmpint (grant.family_id, ==, family);
  tg_refresh_grant_clear (&grant);
  g_assert_null (grant.user_name);
  g_assert_null (grant.successor_hash);
  g_assert_cmpint (grant.family_id, ==, 0);

  /* The edge of the window still counts: now - consumed_at == grace. */
  g_assert_cmpint (rotate (f, h0, retry2, T0 + 130, 30, &grant), ==, TG_REFRESH_REPLAYED_IN_GRACE);
  g_assert_cmpstr (grant.successor_hash, ==, h1);
  tg_refresh_grant_clear (&grant);

  g_assert_false (is_revoked (f, family));

  /* The replays stored nothing of their own ... */
  g_assert_cmpint (rotate (f, retry, h2, T0 + 131, 30, &grant), ==, TG_REFRESH_UNKNOWN);
  g_assert_cmpint (rotate (f, retry2, h2, T0 + 131, 30, &grant), ==, TG_REFRESH_UNKNOWN);
  g_assert_null (grant.user_name);

  /* ... and the recorded successor is still the live token. */
  g_assert_cmpint (rotate (f, h1, h2, T0 + 140, 30, &grant), ==, TG_REFRESH_ROTATED);
  g_assert_cmpint (grant.family_id, ==, family);
}

static void
test_replay_past_grace (Fixture       *f,
                        gconstpointer  user_data)
{
  g_autofree char *h0 = hash_of ("t0"), *h1 = hash_of ("t1"), *h2 = hash_of ("t2");
  g_autofree char *x = hash_of ("x");
  g_auto(TgRefreshGrant) grant = { 0 };
  g_autoptr(sqlite3) raw = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *sql = NULL;
  gint64 alice = add_user (f, "alice");
  gint64 family = start_family (f, alice, h0, T0);

  g_assert_cmpint (rotate (f, h0, h1, T0 + 100, 30, &grant), ==, TG_REFRESH_ROTATED);
  tg_refresh_grant_clear (&grant);

  /* One second past the window. */
  g_assert_cmpint (rotate (f, h0, x, T0 + 131, 30, &grant), ==, TG_REFRESH_REUSE_DETECTED);
  g_assert_cmpint (grant.family_id, ==, family);
  g_assert_null (grant.successor_hash);
  tg_refresh_grant_clear (&grant);
  g_assert_true (is_revoked (f, family));

  /* The live successor dies with its family, and so does a second replay. */
  g_assert_cmpint (rotate (f, h1, h2, T0 + 132, 30, &grant), ==, TG_REFRESH_REVOKED);
  tg_refresh_grant_clear (&grant);
  g_assert_cmpint (rotate (f, h0, x, T0 + 133, 30, &grant), ==, TG_REFRESH_REVOKED);
  tg_refresh_grant_clear (&grant);
  g_assert_cmpint (rotate (f, x, h2, T0 + 134, 30, &grant), ==, TG_REFRESH_UNKNOWN);

  /* The revocation says why and when. */
  raw = raw_open (f->path);
  sql = g_strdup_printf ("SELECT revoke_reason || '@' || revoked_at FROM families WHERE id = %"
                         G_GINT64_FORMAT, family);
  reason = raw_query_text (raw, sql);
  g_assert_cmpstr (reason, ==, "reuse@1700000131");
}

static void
test_replay_without_grace (Fixture       *f,
                           gconstpointer  user_data)
{
  g_autofree char *h0 = hash_of ("t0"), *h1 = hash_of ("t1"), *h2 = hash_of ("t2");
  g_autofree char *x = hash_of ("x");
  g_auto(TgRefreshGrant) grant = { 0 };
  gint64 alice = add_user (f, "alice");
  gint64 family = start_family (f, alice, h0, T0);

  g_assert_cmpint (rotate (f, h0, h1, T0 + 100, 0, &grant), ==, TG_REFRESH_ROTATED);
  tg_refresh_grant_clear (&grant);

  /* The same second: now - consumed_at == 0 <= grace, but grace 0 means none. */
  g_assert_cmpint (rotate (f, h0, x, T0 + 100, 0, &grant), ==, TG_REFRESH_REUSE_DETECTED);
  g_assert_cmpint (grant.family_id, ==, family);
  g_assert_null (grant.successor_hash);
  tg_refresh_grant_clear (&grant);

  g_assert_cmpint (rotate (f, h1, h2, T0 + 101, 0, &grant), ==, TG_REFRESH_REVOKED);
  g_assert_true (is_revoked (f, family));
}

static void
test_expired (Fixture       *f,
              gconstpointer  user_data)
{
  g_autofree char *h0 = hash_of ("t0"), *h1 = hash_of ("t1"), *h2 = hash_of ("t2");
  g_auto(TgRefreshGrant) grant = { 0 };
  gint64 alice = add_user (f, "alice");
  gint64 family = start_family (f, alice, h0, T0);  /* expires at T0 + TTL */

  g_assert_cmpint (rotate (f, h0, h1, T0 + TTL, 30, &grant), ==, TG_REFRESH_EXPIRED);
  g_assert_cmpint (grant.family_id, ==, family);
  tg_refresh_grant_clear (&grant);
  g_assert_cmpint (rotate (f, h0, h1, T0 + TTL + 1000, 30, &grant), ==, TG_REFRESH_EXPIRED);
  tg_refresh_grant_clear (&grant);

  /* Expiry neither consumed the token nor stored the successor nor revoked. */
  g_assert_cmpint (rotate (f, h1, h2, T0 + 1, 30, &grant), ==, TG_REFRESH_UNKNOWN);
  g_assert_false (is_revoked (f, family));
  g_assert_cmpint (rotate (f, h0, h1, T0 + TTL - 1, 30, &grant), ==, TG_REFRESH_ROTATED);
  tg_refresh_grant_clear (&grant);

  /* The successor's expiry is its own: now + TTL at rotation. */
  g_assert_cmpint (rotate (f, h1, h2, T0 + 2 * TTL - 1, 30, &grant), ==, TG_REFRESH_EXPIRED);
}

static void
test_unknown (Fixture       *f,
              gconstpointer  user_data)
{
  g_autofree char *h0 = hash_of ("t0"), *h1 = hash_of ("t1"), *nope = hash_of ("nope");
  g_auto(TgRefreshGrant) grant = { 0 };
  gint64 alice = add_user (f, "alice");

  start_family (f, alice, h0, T0);

  g_assert_cmpint (rotate (f, nope, h1, T0 + 1, 30, &grant), ==, TG_REFRESH_UNKNOWN);
  g_assert_cmpint (grant.user_id, ==, 0);
  g_assert_null (grant.user_name);
  g_assert_cmpint (grant.family_id, ==, 0);
  g_assert_null (grant.successor_hash);

  /* Not a prefix or pattern match either. */
  g_assert_cmpint (rotate (f, "%", h1, T0 + 1, 30, &grant), ==, TG_REFRESH_UNKNOWN);
  g_assert_cmpint (rotate (f, "", h1, T0 + 1, 30, &grant), ==, TG_REFRESH_UNKNOWN);

  /* The unknown successor was not stored; the real token still rotates. */
  g_assert_cmpint (rotate (f, h1, nope, T0 + 2, 30, &grant), ==, TG_REFRESH_UNKNOWN);
  g_assert_cmpint (rotate (f, h0, h1, T0 + 3, 30, &grant), ==, TG_REFRESH_ROTATED);
}

/* A failing step must roll back everything its call had done. */
static void
test_failure_rolls_back (Fixture       *f,
                         gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) revoked = NULL;
  g_autofree char *h0 = hash_of ("t0"), *h1 = hash_of ("t1"), *h2 = hash_of ("t2");
  g_autofree char *b0 = hash_of ("b0");
  g_auto(TgRefreshGrant) grant = { 0 };
  gint64 alice = add_user (f, "alice");
  gint64 family = start_family (f, alice, h0, T0);
  gint64 other = 0;
  TgRefreshOutcome outcome;

  /* A successor hash that already exists: the insert fails after the lookup. */
  g_assert_cmpint (rotate (f, h0, h1, T0 + 1, 0, &grant), ==, TG_REFRESH_ROTATED);
  tg_refresh_grant_clear (&grant);
  outcome = tg_server_db_rotate (f->db, h1, NULL, h0, T0 + 2, T0 + TTL, 0, &grant, &error);
  g_assert_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_EXISTS);
  g_assert_cmpint (outcome, ==, TG_REFRESH_UNKNOWN);
  g_assert_null (grant.user_name);
  g_clear_error (&error);
  /* h1 was not consumed, so this is a rotation and not a reuse. */
  g_assert_cmpint (rotate (f, h1, h2, T0 + 3, 0, &grant), ==, TG_REFRESH_ROTATED);
  tg_refresh_grant_clear (&grant);

  /* start_family with a taken token hash: the family row must go too. */
  g_assert_false (tg_server_db_start_family (f->db, alice, NULL, h2, T0, T0 + TTL, &other, &error));
  g_assert_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_EXISTS);
  g_assert_cmpint (other, ==, 0);
  g_clear_error (&error);

  /* An unknown user. */
  g_assert_false (tg_server_db_start_family (f->db, alice + 1000, NULL, b0, T0, T0 + TTL, &other, &error));
  g_assert_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Revoking everything counts the families: a leftover would show here. */
  g_assert_true (tg_server_db_revoke_all_families (f->db, T0 + 4, &error));
  g_assert_no_error (error);
  revoked = list_revoked (f);
  g_assert_cmpuint (g_hash_table_size (revoked), ==, 1);
  g_assert_true (g_hash_table_contains (revoked, &family));

  /* And b0 was not stored by the failed call. */
  g_assert_cmpint (rotate (f, b0, h1, T0 + 5, 0, &grant), ==, TG_REFRESH_UNKNOWN);
}

static void
test_revoke_family_of (Fixture       *f,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *a0 = hash_of ("a0"), *a1 = hash_of ("a1"), *a2 = hash_of ("a2");
  g_autofree char *b0 = hash_of ("b0"), *b1 = hash_of ("b1");
  g_autofree char *nope = hash_of ("nope");
  g_auto(TgRefreshGrant) grant = { 0 };
  gint64 alice = add_user (f, "alice");
  gint64 fa = start_family (f, alice, a0, T0);
  gint64 fb = start_family (f, alice, b0, T0);
  gint64 family_id = 0;

  g_assert_cmpint (rotate (f, a0, a1, T0 + 1, 0, &grant), ==, TG_REFRESH_ROTATED);
  tg_refresh_grant_clear (&grant);

  /* Any token of the family names it, the consumed one included. */
  g_assert_true (tg_server_db_revoke_family_of (f->db, a0, NULL, T0 + 2, &family_id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (family_id, ==, fa);
  g_assert_true (is_revoked (f, fa));
  g_assert_false (is_revoked (f, fb));

  g_assert_cmpint (rotate (f, a1, a2, T0 + 3, 0, &grant), ==, TG_REFRESH_REVOKED);
  tg_refresh_grant_clear (&grant);

  /* Again, on the revoked family: fine, and out_family_id is optional. */
  g_assert_true (tg_server_db_revoke_family_of (f->db, a1, NULL, T0 + 4, NULL, &error));
  g_assert_no_error (error);

  family_id = 0;
  g_assert_false (tg_server_db_revoke_family_of (f->db, nope, NULL, T0 + 5, &family_id, &error));
  g_assert_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_NOT_FOUND);
  g_assert_cmpint (family_id, ==, 0);
  g_clear_error (&error);

  g_assert_false (is_revoked (f, fb));
  g_assert_cmpint (rotate (f, b0, b1, T0 + 6, 0, &grant), ==, TG_REFRESH_ROTATED);
}

/* RFC 6749 §6: a refresh token works only for the client it was issued to;
 * any other client — including one that names none — changes nothing. */
static void
test_wrong_client (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *a0 = hash_of ("a0"), *a1 = hash_of ("a1"), *a2 = hash_of ("a2");
  g_autofree char *n0 = hash_of ("n0"), *n1 = hash_of ("n1");
  g_autofree char *x = hash_of ("x");
  g_auto(TgRefreshGrant) grant = { 0 };
  gint64 alice = add_user (f, "alice");
  gint64 fa = start_family_for (f, alice, "app-a", a0, T0);
  gint64 fn = start_family (f, alice, n0, T0);

  /* A live token: refused, and no user or family named to the caller. */
  g_assert_cmpint (rotate_as (f, "app-b", a0, x, T0 + 1, 0, &grant), ==, TG_REFRESH_WRONG_CLIENT);
  g_assert_null (grant.user_name);
  g_assert_cmpint (grant.family_id, ==, 0);
  g_assert_cmpint (rotate_as (f, NULL, a0, x, T0 + 1, 0, &grant), ==, TG_REFRESH_WRONG_CLIENT);
  g_assert_cmpint (rotate_as (f, "app-a", n0, x, T0 + 1, 0, &grant), ==, TG_REFRESH_WRONG_CLIENT);

  /* x was not stored, and the owner's token still rotates. */
  g_assert_cmpint (rotate_as (f, "app-a", x, a2, T0 + 2, 0, &grant), ==, TG_REFRESH_UNKNOWN);
  g_assert_cmpint (rotate_as (f, "app-a", a0, a1, T0 + 3, 60, &grant), ==, TG_REFRESH_ROTATED);
  g_assert_cmpint (grant.family_id, ==, fa);
  tg_refresh_grant_clear (&grant);

  /* A consumed token from another client: neither the pair of a replay in
   * grace, nor reuse detection revoking the owner's family. */
  g_assert_cmpint (rotate_as (f, "app-b", a0, a1, T0 + 4, 60, &grant), ==, TG_REFRESH_WRONG_CLIENT);
  g_assert_null (grant.successor_hash);
  g_assert_cmpint (rotate_as (f, "app-b", a0, a1, T0 + 1000, 0, &grant), ==, TG_REFRESH_WRONG_CLIENT);
  g_assert_false (is_revoked (f, fa));
  g_assert_cmpint (rotate_as (f, "app-a", a1, a2, T0 + 1001, 0, &grant), ==, TG_REFRESH_ROTATED);
  tg_refresh_grant_clear (&grant);

  /* A family of no client is refused to every named one, and works as before. */
  g_assert_cmpint (rotate (f, n0, n1, T0 + 1002, 0, &grant), ==, TG_REFRESH_ROTATED);
  g_assert_cmpint (grant.family_id, ==, fn);
}

/* RFC 7009 §2.1: another client's token is not revoked, and is reported
 * like an unknown one. */
static void
test_revoke_wrong_client (Fixture       *f,
                          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *a0 = hash_of ("a0"), *a1 = hash_of ("a1");
  g_auto(TgRefreshGrant) grant = { 0 };
  gint64 alice = add_user (f, "alice");
  gint64 fa = start_family_for (f, alice, "app-a", a0, T0);
  gint64 family_id = 0;

  g_assert_false (tg_server_db_revoke_family_of (f->db, a0, "app-b", T0 + 1, &family_id, &error));
  g_assert_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (tg_server_db_revoke_family_of (f->db, a0, NULL, T0 + 1, &family_id, &error));
  g_assert_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (family_id, ==, 0);
  g_assert_false (is_revoked (f, fa));
  g_assert_cmpint (rotate_as (f, "app-a", a0, a1, T0 + 2, 0, &grant), ==, TG_REFRESH_ROTATED);

  g_assert_true (tg_server_db_revoke_family_of (f->db, a0, "app-a", T0 + 3, &family_id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (family_id, ==, fa);
  g_assert_true (is_revoked (f, fa));
}

static void
test_revoke_all_and_list (Fixture       *f,
                          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) revoked = NULL;
  g_autofree char *a = hash_of ("a"), *b = hash_of ("b"), *c = hash_of ("c");
  g_autofree char *d = hash_of ("d"), *d1 = hash_of ("d1"), *x = hash_of ("x");
  g_auto(TgRefreshGrant) grant = { 0 };
  gint64 alice = add_user (f, "alice");
  gint64 bob = add_user (f, "bob");
  gint64 fa, fb, fc, fd;

  revoked = list_revoked (f);
  g_assert_cmpuint (g_hash_table_size (revoked), ==, 0);
  g_clear_pointer (&revoked, g_hash_table_unref);

  fa = start_family (f, alice, a, T0);
  fb = start_family (f, bob, b, T0);
  fc = start_family (f, alice, c, T0);

  g_assert_true (tg_server_db_revoke_family_of (f->db, b, NULL, T0 + 1, NULL, &error));
  g_assert_no_error (error);
  revoked = list_revoked (f);
  g_assert_cmpuint (g_hash_table_size (revoked), ==, 1);
  g_assert_true (g_hash_table_contains (revoked, &fb));
  g_clear_pointer (&revoked, g_hash_table_unref);

  g_assert_true (tg_server_db_revoke_all_families (f->db, T0 + 2, &error));
  g_assert_no_error (error);

  /* Afterwards new sign-ins work as usual. */
  fd = start_family (f, bob, d, T0 + 3);

  revoked = list_revoked (f);
  g_assert_cmpuint (g_hash_table_size (revoked), ==, 3);
  g_assert_true (g_hash_table_contains (revoked, &fa));
  g_assert_true (g_hash_table_contains (revoked, &fb));
  g_assert_true (g_hash_table_contains (revoked, &fc));
  g_assert_false (g_hash_table_contains (revoked, &fd));

  /* An earlier revocation keeps its own time and reason. */
  {
    g_autoptr(sqlite3) raw = raw_open (f->path);
    g_autofree char *sql = g_strdup_printf ("SELECT group_concat(id || ':' || revoke_reason || '@' || "
                                            "(revoked_at - %d), ' ') FROM (SELECT * FROM families "
                                            "WHERE revoked_at IS NOT NULL ORDER BY id)", T0);
    g_autofree char *expected = g_strdup_printf ("%" G_GINT64_FORMAT ":revoked-all@2 %"
                                                 G_GINT64_FORMAT ":revoked@1 %"
                                                 G_GINT64_FORMAT ":revoked-all@2", fa, fb, fc);
    g_autofree char *reasons = raw_query_text (raw, sql);

    g_assert_cmpstr (reasons, ==, expected);
  }

  g_assert_cmpint (rotate (f, a, x, T0 + 4, 0, &grant), ==, TG_REFRESH_REVOKED);
  tg_refresh_grant_clear (&grant);
  g_assert_cmpint (rotate (f, c, x, T0 + 4, 0, &grant), ==, TG_REFRESH_REVOKED);
  tg_refresh_grant_clear (&grant);
  g_assert_cmpint (rotate (f, d, d1, T0 + 4, 0, &grant), ==, TG_REFRESH_ROTATED);
  g_assert_cmpint (grant.family_id, ==, fd);
  g_assert_cmpint (grant.user_id, ==, bob);
}

static void
test_meta (Fixture       *f,
           gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  gint64 value = 0;

  g_assert_true (tg_server_db_get_meta (f->db, "access-epoch", 42, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, 42);

  g_assert_true (tg_server_db_set_meta (f->db, "access-epoch", 7, &error));
  g_assert_no_error (error);
  g_assert_true (tg_server_db_get_meta (f->db, "access-epoch", 42, &value, &error));
  g_assert_cmpint (value, ==, 7);

  g_assert_true (tg_server_db_set_meta (f->db, "access-epoch", 9, &error));
  g_assert_true (tg_server_db_get_meta (f->db, "access-epoch", 42, &value, &error));
  g_assert_cmpint (value, ==, 9);

  /* Other keys are separate, and the whole range survives. */
  g_assert_true (tg_server_db_get_meta (f->db, "access-epoch2", -1, &value, &error));
  g_assert_cmpint (value, ==, -1);
  g_assert_true (tg_server_db_set_meta (f->db, "big", G_MAXINT64, &error));
  g_assert_true (tg_server_db_set_meta (f->db, "small", G_MININT64, &error));
  g_assert_true (tg_server_db_get_meta (f->db, "big", 0, &value, &error));
  g_assert_cmpint (value, ==, G_MAXINT64);
  g_assert_true (tg_server_db_get_meta (f->db, "small", 0, &value, &error));
  g_assert_cmpint (value, ==, G_MININT64);
  g_assert_true (tg_server_db_get_meta (f->db, "access-epoch", 42, &value, &error));
  g_assert_cmpint (value, ==, 9);
  g_assert_no_error (error);
}

static void
test_reopen_persists (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) revoked = NULL;
  g_autofree char *a0 = hash_of ("a0"), *a1 = hash_of ("a1"), *a2 = hash_of ("a2");
  g_autofree char *b0 = hash_of ("b0"), *b1 = hash_of ("b1");
  g_autofree char *c0 = hash_of ("c0"), *c1 = hash_of ("c1"), *x = hash_of ("x");
  g_autofree char *hash = NULL;
  g_auto(TgRefreshGrant) grant = { 0 };
  gint64 alice = add_user (f, "alice");
  gint64 fa = start_family (f, alice, a0, T0);
  gint64 fb = start_family (f, alice, b0, T0);
  gint64 fc = start_family (f, alice, c0, T0);
  gint64 id = 0, value = 0, count = 0, fnew = 0;

  g_assert_cmpint (rotate (f, a0, a1, T0 + 10, 60, &grant), ==, TG_REFRESH_ROTATED);
  tg_refresh_grant_clear (&grant);
  g_assert_true (tg_server_db_revoke_family_of (f->db, b0, NULL, T0 + 10, NULL, &error));
  g_assert_true (tg_server_db_set_meta (f->db, "access-epoch", 3, &error));
  g_assert_no_error (error);

  reopen (f);

  g_assert_true (tg_server_db_count_users (f->db, &count, &error));
  g_assert_cmpint (count, ==, 1);
  g_assert_true (tg_server_db_find_user (f->db, "alice", &id, &hash, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, ==, alice);
  g_assert_cmpstr (hash, ==, "pbkdf2$1$salt$hash");
  g_assert_true (tg_server_db_get_meta (f->db, "access-epoch", 1, &value, &error));
  g_assert_cmpint (value, ==, 3);

  revoked = list_revoked (f);
  g_assert_cmpuint (g_hash_table_size (revoked), ==, 1);
  g_assert_true (g_hash_table_contains (revoked, &fb));

  /* The consumption and its timestamp survived: a replay is still in grace. */
  g_assert_cmpint (rotate (f, a0, x, T0 + 20, 60, &grant), ==, TG_REFRESH_REPLAYED_IN_GRACE);
  g_assert_cmpstr (grant.successor_hash, ==, a1);
  g_assert_cmpint (grant.family_id, ==, fa);
  tg_refresh_grant_clear (&grant);
  g_assert_cmpint (rotate (f, a1, a2, T0 + 30, 60, &grant), ==, TG_REFRESH_ROTATED);
  tg_refresh_grant_clear (&grant);
  g_assert_cmpint (rotate (f, b0, b1, T0 + 30, 60, &grant), ==, TG_REFRESH_REVOKED);
  tg_refresh_grant_clear (&grant);
  g_assert_cmpint (rotate (f, c0, c1, T0 + 30, 60, &grant), ==, TG_REFRESH_ROTATED);
  g_assert_cmpint (grant.family_id, ==, fc);

  /* Family ids keep growing across a reopen. */
  g_assert_true (tg_server_db_start_family (f->db, alice, NULL, x, T0 + 40, T0 + TTL, &fnew, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fnew, >, fc);
}

static void
test_garbage_file (Fixture       *f,
                   gconstpointer  user_data)
{
  static const gsize sizes[] = { 5, 100, 8192 };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TgServerDb) db = NULL;
      g_autofree char *garbage = g_malloc (sizes[i]);
      g_autofree char *after = NULL;
      gsize after_len = 0;

      for (gsize j = 0; j < sizes[i]; j++)
        garbage[j] = "This is not a database, just words. "[j % 36];
      g_assert_true (g_file_set_contents (f->path, garbage, sizes[i], &error));
      g_assert_no_error (error);

      db = tg_server_db_open (f->path, &error);
      g_assert_null (db);
      g_assert_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_FAILED);
      g_test_message ("%" G_GSIZE_FORMAT " bytes: %s", sizes[i], error->message);
      g_assert_nonnull (strstr (error->message, f->path));
      g_assert_nonnull (strstr (error->message, "not a database"));

      /* And the file was left as it was. */
      g_assert_true (g_file_get_contents (f->path, &after, &after_len, NULL));
      g_assert_cmpmem (after, after_len, garbage, sizes[i]);
    }
}

static void
test_newer_schema (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgServerDb) db = NULL;
  g_autofree char *tables = NULL;
  g_autofree char *version = NULL;
  sqlite3 *raw = raw_open (f->path);

  g_assert_cmpint (sqlite3_exec (raw, "CREATE TABLE future (x); PRAGMA user_version = 9999;",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);

  db = tg_server_db_open (f->path, &error);
  g_assert_null (db);
  g_assert_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, f->path));
  g_assert_nonnull (strstr (error->message, "9999"));

  /* Untouched: no tables of ours, the version as it was. */
  raw = raw_open (f->path);
  tables = raw_query_text (raw, "SELECT group_concat(name) FROM sqlite_master WHERE type = 'table'");
  version = raw_query_text (raw, "PRAGMA user_version");
  sqlite3_close (raw);
  g_assert_cmpstr (tables, ==, "future");
  g_assert_cmpstr (version, ==, "9999");
}

/* The tables as version 1 of the schema made them, before families recorded
 * their client: copied here, not taken from the code, so that the test keeps
 * meaning "a file made by that version" whatever the code becomes. */
static const char schema_v1_sql[] =
  "CREATE TABLE users ("
  "  id            INTEGER PRIMARY KEY,"
  "  name          TEXT    NOT NULL UNIQUE,"
  "  password_hash TEXT    NOT NULL,"
  "  created_at    INTEGER NOT NULL"
  ") STRICT;"
  "CREATE TABLE families ("
  "  id            INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  user_id       INTEGER NOT NULL REFERENCES users (id),"
  "  created_at    INTEGER NOT NULL,"
  "  revoked_at    INTEGER,"
  "  revoke_reason TEXT,"
  "  CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL))"
  ") STRICT;"
  "CREATE TABLE refresh_tokens ("
  "  hash           TEXT    NOT NULL PRIMARY KEY,"
  "  family_id      INTEGER NOT NULL REFERENCES families (id),"
  "  issued_at      INTEGER NOT NULL,"
  "  expires_at     INTEGER NOT NULL,"
  "  consumed_at    INTEGER,"
  "  successor_hash TEXT    REFERENCES refresh_tokens (hash),"
  "  CHECK ((consumed_at IS NULL) = (successor_hash IS NULL))"
  ") STRICT, WITHOUT ROWID;"
  "CREATE TABLE meta ("
  "  key   TEXT    NOT NULL PRIMARY KEY,"
  "  value INTEGER NOT NULL"
  ") STRICT, WITHOUT ROWID;"
  "PRAGMA user_version = 1;";

static void
test_migrate_version_1 (Fixture       *f,
                        gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fresh_path = g_build_filename (f->tmpdir, "fresh.db", NULL);
  g_autofree char *fresh_families = NULL, *fresh_version = NULL;
  g_autofree char *families = NULL, *version = NULL;
  g_autofree char *l0 = hash_of ("legacy0"), *l1 = hash_of ("legacy1"), *l2 = hash_of ("legacy2");
  g_autofree char *r0 = hash_of ("revoked0"), *x = hash_of ("x");
  g_autofree char *sql = NULL;
  g_autoptr(TgServerDb) fresh = NULL;
  g_auto(TgRefreshGrant) grant = { 0 };
  gint64 user_id = 0;
  g_autofree char *password_hash = NULL;
  sqlite3 *raw = raw_open (f->path);

  /* A file of version 1 with a user, a live session and a revoked one. */
  sql = g_strdup_printf ("%s"
                         "INSERT INTO users VALUES (1, 'demo', 'pbkdf2$1$salt$hash', %d);"
                         "INSERT INTO families (id, user_id, created_at) VALUES (1, 1, %d);"
                         "INSERT INTO families VALUES (2, 1, %d, %d, 'revoked');"
                         "INSERT INTO refresh_tokens VALUES ('%s', 1, %d, %d, NULL, NULL);"
                         "INSERT INTO refresh_tokens VALUES ('%s', 2, %d, %d, NULL, NULL);"
                         "INSERT INTO meta VALUES ('access-epoch', 7);",
                         schema_v1_sql, T0, T0, T0, T0 + 1,
                         l0, T0, T0 + TTL, r0, T0, T0 + TTL);
  g_assert_cmpint (sqlite3_exec (raw, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);

  f->db = tg_server_db_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->db);

  /* Migrated to what a new file has, column for column. */
  fresh = tg_server_db_open (fresh_path, &error);
  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&fresh));
  raw = raw_open (fresh_path);
  fresh_version = raw_query_text (raw, "PRAGMA user_version");
  fresh_families = raw_query_text (raw, "SELECT group_concat(name) FROM pragma_table_info('families')");
  sqlite3_close (raw);
  raw = raw_open (f->path);
  version = raw_query_text (raw, "PRAGMA user_version");
  families = raw_query_text (raw, "SELECT group_concat(name) FROM pragma_table_info('families')");
  sqlite3_close (raw);
  g_assert_cmpstr (version, ==, fresh_version);
  g_assert_cmpstr (families, ==, fresh_families);
  g_assert_nonnull (strstr (families, "client_id"));

  /* Everything kept. */
  g_assert_true (tg_server_db_find_user (f->db, "demo", &user_id, &password_hash, &error));
  g_assert_no_error (error);
  g_assert_cmpint (user_id, ==, 1);
  g_assert_true (is_revoked (f, 2));
  g_assert_false (is_revoked (f, 1));

  /* A session from before the migration belongs to no client: a client that
   * names itself cannot refresh it, one that names none (the app and CLI's
   * password sign-in) can, as it did. */
  g_assert_cmpint (rotate_as (f, "tokengate-native", l0, x, T0 + 1, 0, &grant), ==,
                   TG_REFRESH_WRONG_CLIENT);
  g_assert_cmpint (rotate (f, l0, l1, T0 + 2, 0, &grant), ==, TG_REFRESH_ROTATED);
  g_assert_cmpint (grant.family_id, ==, 1);
  g_assert_cmpstr (grant.user_name, ==, "demo");
  tg_refresh_grant_clear (&grant);
  g_assert_cmpint (rotate (f, r0, x, T0 + 2, 0, &grant), ==, TG_REFRESH_REVOKED);
  tg_refresh_grant_clear (&grant);

  /* New sessions record their client, and a second open migrates nothing. */
  start_family_for (f, user_id, "tokengate-native", x, T0 + 3);
  reopen (f);
  g_assert_cmpint (rotate (f, l1, l2, T0 + 4, 0, &grant), ==, TG_REFRESH_ROTATED);
  tg_refresh_grant_clear (&grant);
  g_assert_cmpint (rotate (f, x, l0, T0 + 4, 0, &grant), ==, TG_REFRESH_WRONG_CLIENT);
}

static void
test_foreign_file (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgServerDb) db = NULL;
  sqlite3 *raw = raw_open (f->path);

  /* Someone else's SQLite file at version 0 with a clashing table. */
  g_assert_cmpint (sqlite3_exec (raw, "CREATE TABLE users (login TEXT);", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (raw);

  db = tg_server_db_open (f->path, &error);
  g_assert_null (db);
  g_assert_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, f->path));
}

/* ------------------------------------------------------------------------- */
/* Durability against kill -9                                                */

#define DURABLE_BASE_TIME T0
#define HASH_LEN 64
#define RECORD_LEN (HASH_LEN + 1)

/* The child's tokens are a known sequence, so the parent can tell which hash
 * comes after the last one it heard about. */
static char *
durable_hash (guint i)
{
  g_autofree char *token = g_strdup_printf ("durable-%u", i);

  return hash_of (token);
}

G_GNUC_NORETURN static void
durable_child (const char *path,
               int         report_fd)
{
  g_autoptr(TgServerDb) db = NULL;
  g_autofree char *previous = durable_hash (0);

  /* No g_assert here: a failing child must not print TAP lines of its own. */
  db = tg_server_db_open (path, NULL);
  if (db == NULL)
    _exit (2);

  for (guint i = 1; i < 10000000; i++)
    {
      g_auto(TgRefreshGrant) grant = { 0 };
      char *successor = durable_hash (i);
      char record[RECORD_LEN];
      TgRefreshOutcome outcome;

      outcome = tg_server_db_rotate (db, previous, NULL, successor, DURABLE_BASE_TIME + i,
                                     DURABLE_BASE_TIME + 100000000, 0, &grant, NULL);
      if (outcome != TG_REFRESH_ROTATED)
        _exit (3);

      /* Reported only once the call returned, i.e. once it was committed. */
      memcpy (record, successor, HASH_LEN);
      record[HASH_LEN] = '\n';
      if (write (report_fd, record, RECORD_LEN) != RECORD_LEN)
        _exit (4);

      g_free (previous);
      previous = successor;
    }

  _exit (0);
}

/* Reads whole records until @min_records have come, or EOF when 0. Returns how
 * many arrived; the last one is copied to @last. */
static guint
read_records (int    fd,
              guint  min_records,
              char   last[RECORD_LEN])
{
  char buf[RECORD_LEN * 64];
  gsize filled = 0;
  guint n = 0;

  while (min_records == 0 || n < min_records)
    {
      gssize got = read (fd, buf + filled, sizeof buf - filled);

      if (got < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (got, >=, 0);
      if (got == 0)
        break;
      filled += got;

      while (filled >= RECORD_LEN)
        {
          memcpy (last, buf, RECORD_LEN);
          memmove (buf, buf + RECORD_LEN, filled - RECORD_LEN);
          filled -= RECORD_LEN;
          n++;
        }
    }

  /* Every write is one atomic record (< PIPE_BUF), so nothing is left over
   * once we stopped on a record boundary or at EOF. */
  g_assert_cmpuint (filled, ==, 0);
  return n;
}

static void
test_durable_after_kill (Fixture       *f,
                         gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = durable_hash (0);
  g_autofree char *last_expected = NULL;
  g_autofree char *after_last = NULL;
  g_autofree char *parent_successor = hash_of ("parent");
  g_auto(TgRefreshGrant) grant = { 0 };
  char last[RECORD_LEN] = { 0 };
  gint64 alice = add_user (f, "alice");
  gint64 family = start_family (f, alice, first, DURABLE_BASE_TIME);
  gint64 count = 0, now;
  guint min_reports, n, more;
  int fds[2];
  int status;
  pid_t pid;
  TgRefreshOutcome outcome;

  /* The child opens its own connection: SQLite connections must not cross a
   * fork(). */
  g_assert_finalize_object (g_steal_pointer (&f->db));

  g_assert_cmpint (pipe (fds), ==, 0);
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      close (fds[0]);
      durable_child (f->path, fds[1]);
    }
  close (fds[1]);

  /* A kill point that is no round number, different on every run (the seed is
   * in the TAP output): a store that commits in batches would lose the tail. */
  min_reports = g_test_rand_int_range (200, 400);
  n = read_records (fds[0], min_reports, last);
  g_assert_cmpuint (n, >=, min_reports);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);

  /* Whatever the child reported before it died. */
  more = read_records (fds[0], 0, last);
  close (fds[0]);
  n += more;
  g_test_message ("child reported %u rotations before SIGKILL", n);

  last_expected = durable_hash (n);
  g_assert_cmpmem (last, HASH_LEN, last_expected, HASH_LEN);
  after_last = durable_hash (n + 1);

  reopen (f);

  g_assert_true (tg_server_db_count_users (f->db, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count, ==, 1);
  g_assert_true (tg_server_db_find_user (f->db, "alice", NULL, NULL, &error));
  g_assert_no_error (error);

  /* The last hash the child reported is live. The child may have committed one
   * more rotation after its last report and before the kill; then that is the
   * live one, and it must be exactly the next in the sequence (a wide grace
   * turns presenting the reported one into a read of its successor). Nothing
   * here presents an older token: with its successor used, that would rightly
   * count as reuse and revoke the family. */
  now = DURABLE_BASE_TIME + n + 2;
  outcome = rotate (f, last_expected, parent_successor, now, G_MAXINT32, &grant);
  if (outcome == TG_REFRESH_REPLAYED_IN_GRACE)
    {
      g_test_message ("the child committed one rotation it did not report");
      g_assert_cmpstr (grant.successor_hash, ==, after_last);
      tg_refresh_grant_clear (&grant);
      outcome = rotate (f, after_last, parent_successor, now, 0, &grant);
    }
  g_assert_cmpint (outcome, ==, TG_REFRESH_ROTATED);
  g_assert_cmpint (grant.user_id, ==, alice);
  g_assert_cmpint (grant.family_id, ==, family);
  g_assert_false (is_revoked (f, family));
}

int
main (int   argc,
      char *argv[])
{
  tg_test_init (&argc, &argv);

#define ADD(name, fn) g_test_add ("/server-db/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
#define ADD_EMPTY(name, fn) \
  g_test_add ("/server-db/" name, Fixture, NULL, fixture_setup_empty, fn, fixture_teardown)

  ADD_EMPTY ("open/private-wal-file", test_open_creates_private_wal_file);
  g_test_add_func ("/server-db/open/memory", test_open_memory);
  ADD_EMPTY ("open/garbage-file", test_garbage_file);
  ADD_EMPTY ("open/newer-schema", test_newer_schema);
  ADD_EMPTY ("open/foreign-file", test_foreign_file);
  ADD_EMPTY ("open/migrate-version-1", test_migrate_version_1);
  ADD ("open/reopen-persists", test_reopen_persists);
  ADD ("users/basic", test_users);
  ADD ("users/sql-metacharacters", test_users_sql_metacharacters);
  ADD ("rotate/chain", test_rotation_chain);
  ADD ("rotate/reuse-revokes-only-its-family", test_reuse_revokes_only_its_family);
  ADD ("rotate/replay-in-grace", test_replay_in_grace);
  ADD ("rotate/replay-past-grace", test_replay_past_grace);
  ADD ("rotate/replay-without-grace", test_replay_without_grace);
  ADD ("rotate/expired", test_expired);
  ADD ("rotate/unknown", test_unknown);
  ADD ("rotate/wrong-client", test_wrong_client);
  ADD ("rotate/failure-rolls-back", test_failure_rolls_back);
  ADD ("revoke/family-of", test_revoke_family_of);
  ADD ("revoke/wrong-client", test_revoke_wrong_client);
  ADD ("revoke/all-and-list", test_revoke_all_and_list);
  ADD ("meta/get-set", test_meta);
  ADD ("durability/kill-9", test_durable_after_kill);

#undef ADD
#undef ADD_EMPTY

  return g_test_run ();
}
