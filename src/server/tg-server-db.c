/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The authorization server's state in one SQLite file: users, sign-in "families"
 * and the refresh tokens that rotate within them. Tokens are stored by their
 * SHA-256 only; the caller hashes, so a stolen file yields no usable token.
 */
#define G_LOG_DOMAIN "tg-server-db"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "tg-server-db.h"

/* PRAGMA user_version of the tables below. A file with a larger number was
 * written by a newer Tokengate; we refuse it rather than guess at its meaning. */
#define SCHEMA_VERSION 1

/* How long SQLite waits for another connection's write lock (the CLI adding a
 * user while the server runs) before giving up with SQLITE_BUSY. */
#define BUSY_TIMEOUT_MS 5000

/* SQLite's own name for a private, in-memory database; the server uses it when
 * it is given no file. */
#define MEMORY_PATH ":memory:"

#define REVOKE_REASON_REUSE   "reuse"
#define REVOKE_REASON_REVOKED "revoked"
#define REVOKE_REASON_ALL     "revoked-all"

/* STRICT, so that binding a string where a number belongs is an error instead
 * of a silently stored string. Families use AUTOINCREMENT because their ids go
 * into access tokens and the revocation list: an id must never come back for a
 * new family while an old token naming it may still be around.
 * refresh_tokens.successor_hash points at a row of the same table, so rotation
 * inserts the successor before it records it. No CREATE ... IF NOT EXISTS: a
 * file at version 0 that already has such tables belongs to someone else. */
static const char schema_sql[] =
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
  "PRAGMA user_version = " G_STRINGIFY (SCHEMA_VERSION) ";";

typedef enum {
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ADD_USER,
  STMT_COUNT_USERS,
  STMT_FIND_USER,
  STMT_FIRST_USER_HASH,
  STMT_ADD_FAMILY,
  STMT_ADD_TOKEN,
  STMT_LOOKUP_TOKEN,
  STMT_CONSUME_TOKEN,
  STMT_FAMILY_OF_TOKEN,
  STMT_REVOKE_FAMILY,
  STMT_REVOKE_ALL,
  STMT_LIST_REVOKED,
  STMT_GET_META,
  STMT_SET_META,
  N_STMTS
} Stmt;

static const char * const stmt_sql[N_STMTS] = {
  /* IMMEDIATE takes the write lock up front: a rotation reads the token and then
   * writes, and no other connection may consume the same token in between. */
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ADD_USER] =
    "INSERT INTO users (name, password_hash, created_at) VALUES (?1, ?2, ?3)",
  [STMT_COUNT_USERS] = "SELECT count(*) FROM users",
  [STMT_FIND_USER] = "SELECT id, password_hash FROM users WHERE name = ?1",
  [STMT_FIRST_USER_HASH] = "SELECT password_hash FROM users ORDER BY id LIMIT 1",
  [STMT_ADD_FAMILY] = "INSERT INTO families (user_id, created_at) VALUES (?1, ?2)",
  [STMT_ADD_TOKEN] =
    "INSERT INTO refresh_tokens (hash, family_id, issued_at, expires_at)"
    " VALUES (?1, ?2, ?3, ?4)",
  [STMT_LOOKUP_TOKEN] =
    "SELECT t.family_id, t.expires_at, t.consumed_at, t.successor_hash,"
    "       f.revoked_at, f.user_id, u.name"
    "  FROM refresh_tokens AS t"
    "  JOIN families AS f ON f.id = t.family_id"
    "  JOIN users AS u ON u.id = f.user_id"
    " WHERE t.hash = ?1",
  [STMT_CONSUME_TOKEN] =
    "UPDATE refresh_tokens SET consumed_at = ?2, successor_hash = ?3"
    " WHERE hash = ?1 AND consumed_at IS NULL",
  [STMT_FAMILY_OF_TOKEN] = "SELECT family_id FROM refresh_tokens WHERE hash = ?1",
  /* "AND revoked_at IS NULL": the first revocation's time and reason stay. */
  [STMT_REVOKE_FAMILY] =
    "UPDATE families SET revoked_at = ?2, revoke_reason = ?3"
    " WHERE id = ?1 AND revoked_at IS NULL",
  [STMT_REVOKE_ALL] =
    "UPDATE families SET revoked_at = ?1, revoke_reason = ?2 WHERE revoked_at IS NULL",
  [STMT_LIST_REVOKED] = "SELECT id FROM families WHERE revoked_at IS NOT NULL",
  [STMT_GET_META] = "SELECT value FROM meta WHERE key = ?1",
  [STMT_SET_META] =
    "INSERT INTO meta (key, value) VALUES (?1, ?2)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
};

/**
 * TgServerDb:
 *
 * The server's persistent state. Every call that changes something runs as one
 * SQLite transaction, committed before the call returns, so a process killed at
 * any moment leaves either all of a change or none of it.
 *
 * A #TgServerDb is not thread-safe: use it from one thread (the server's main
 * thread). Several processes may open the same file; SQLite's locking and the
 * busy timeout serialise their writes.
 */
struct _TgServerDb
{
  GObject       parent_instance;

  char         *path;             /* owned */
  sqlite3      *db;               /* owned; NULL until initialized */
  sqlite3_stmt *stmts[N_STMTS];   /* owned; all prepared once initialized */
};

static void tg_server_db_initable_iface_init (GInitableIface *iface);

G_DEFINE_TYPE_WITH_CODE (TgServerDb, tg_server_db, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                tg_server_db_initable_iface_init))

G_DEFINE_QUARK (tg-server-db-error-quark, tg_server_db_error)

enum {
  PROP_0,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A one-off statement, finalized at the end of its scope. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* A cached statement borrowed for one use. Like GMutexLocker, g_autoptr() does
 * not free it but resets it at the end of the scope, so that no return path
 * leaves it mid-step (holding a read snapshot open) or holding bound values. */
typedef sqlite3_stmt _TgStmtLease;

static void
_tg_stmt_lease_return (_TgStmtLease *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (_TgStmtLease, _tg_stmt_lease_return)

static _TgStmtLease *
_tg_server_db_stmt (TgServerDb *self,
                    Stmt        which)
{
  g_assert (self->stmts[which] != NULL);
  return self->stmts[which];
}

/* Rolls back at the end of its scope unless committed: every early return of a
 * writing function undoes what that function had done so far. */
typedef struct {
  TgServerDb *self;  /* unowned; NULL when no transaction is open */
} _TgTransaction;

#define _TG_TRANSACTION_INIT { NULL }

static void
_tg_server_db_rollback (TgServerDb *self)
{
  /* After some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) SQLite has
   * already rolled back by itself, and a ROLLBACK now would only fail. */
  if (sqlite3_get_autocommit (self->db))
    return;

  /* Not a cached statement: this must also work while the schema is being set
   * up, before the cache exists, and it is the rare path. */
  if (sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
    g_warning ("Could not roll back a transaction in “%s”: %s",
               self->path, sqlite3_errmsg (self->db));
}

static void
_tg_transaction_clear (_TgTransaction *txn)
{
  if (txn->self != NULL)
    _tg_server_db_rollback (txn->self);
  txn->self = NULL;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (_TgTransaction, _tg_transaction_clear)

static TgServerDbError
_tg_server_db_error_code (int extended_rc)
{
  switch (extended_rc)
    {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return TG_SERVER_DB_ERROR_EXISTS;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return TG_SERVER_DB_ERROR_NOT_FOUND;
    default:
      return TG_SERVER_DB_ERROR_FAILED;
    }
}

/* Sets @error from the connection's last error. @what completes "Could not …",
 * e.g. "add a user to". Always returns %FALSE, for `return _tg_server_db_fail …`. */
static gboolean
_tg_server_db_fail (TgServerDb  *self,
                    const char  *what,
                    GError     **error)
{
  int rc = sqlite3_extended_errcode (self->db);

  g_set_error (error, TG_SERVER_DB_ERROR, _tg_server_db_error_code (rc),
               "Could not %s “%s”: %s", what, self->path, sqlite3_errmsg (self->db));
  return FALSE;
}

static gboolean
_tg_server_db_step_done (TgServerDb    *self,
                         sqlite3_stmt  *stmt,
                         const char    *what,
                         GError       **error)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return _tg_server_db_fail (self, what, error);
  return TRUE;
}

/* Steps @stmt once: *@out_row says whether it yielded a row. */
static gboolean
_tg_server_db_step_row (TgServerDb    *self,
                        sqlite3_stmt  *stmt,
                        gboolean      *out_row,
                        const char    *what,
                        GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return _tg_server_db_fail (self, what, error);
  *out_row = rc == SQLITE_ROW;
  return TRUE;
}

static gboolean
_tg_transaction_begin (_TgTransaction  *txn,
                       TgServerDb      *self,
                       const char      *what,
                       GError         **error)
{
  g_autoptr(_TgStmtLease) stmt = _tg_server_db_stmt (self, STMT_BEGIN);

  g_assert (txn->self == NULL);

  if (!_tg_server_db_step_done (self, stmt, what, error))
    return FALSE;
  txn->self = self;
  return TRUE;
}

static gboolean
_tg_transaction_commit (_TgTransaction  *txn,
                        const char      *what,
                        GError         **error)
{
  g_autoptr(_TgStmtLease) stmt = NULL;

  g_assert (txn->self != NULL);

  /* On failure (SQLITE_BUSY, say) the transaction may still be open; txn stays
   * set, and its cleanup rolls back. */
  stmt = _tg_server_db_stmt (txn->self, STMT_COMMIT);
  if (!_tg_server_db_step_done (txn->self, stmt, what, error))
    return FALSE;
  txn->self = NULL;
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Opening                                                                   */

static gboolean
_tg_server_db_prepare_file (TgServerDb  *self,
                            GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  int fd;

  /* Password hashes live here; nobody but the server's user needs to list or
   * read them. An existing directory keeps the mode it has. */
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_FAILED,
                   "Could not create the directory “%s” for the database: %s",
                   dir, g_strerror (saved_errno));
      return FALSE;
    }

  /* Create the file ourselves so that it is 0600 from its first moment. SQLite
   * would create it 0644, and it gives the -wal and -shm files the mode of the
   * database file, so this covers those too. */
  fd = g_open (self->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_FAILED,
                   "Could not open database “%s”: %s", self->path, g_strerror (saved_errno));
      return FALSE;
    }
  g_close (fd, NULL);

  return TRUE;
}

/* Prepares and steps a one-off statement that must yield a row (a PRAGMA). */
static sqlite3_stmt *
_tg_server_db_query_row (TgServerDb  *self,
                         const char  *sql,
                         const char  *what,
                         GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_ROW)
    {
      _tg_server_db_fail (self, what, error);
      return NULL;
    }

  return g_steal_pointer (&stmt);
}

static gboolean
_tg_server_db_connect (TgServerDb  *self,
                       GError     **error)
{
  gboolean in_memory = g_str_equal (self->path, MEMORY_PATH);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  const char *expected_mode = in_memory ? "memory" : "wal";
  const char *mode;
  int rc;

  if (!in_memory && !_tg_server_db_prepare_file (self, error))
    return FALSE;

  rc = sqlite3_open_v2 (self->path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (self->db == NULL)
    {
      g_set_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_FAILED,
                   "Could not open database “%s”: %s", self->path, sqlite3_errstr (rc));
      return FALSE;
    }
  if (rc != SQLITE_OK)
    return _tg_server_db_fail (self, "open database", error);

  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  /* The file is data, not code: no writable_schema tricks, and no SQL functions
   * with side effects run from views or triggers a crafted file might hold. */
  sqlite3_db_config (self->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
  sqlite3_db_config (self->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);

  /* The first statement to read the file: a file of garbage fails here, with
   * SQLite's "file is not a database". */
  stmt = _tg_server_db_query_row (self, "PRAGMA journal_mode = WAL", "open database", error);
  if (stmt == NULL)
    return FALSE;
  mode = (const char *) sqlite3_column_text (stmt, 0);
  if (mode == NULL || g_ascii_strcasecmp (mode, expected_mode) != 0)
    {
      g_set_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_FAILED,
                   "Could not switch database “%s” to write-ahead logging (journal mode is “%s”)",
                   self->path, mode != NULL ? mode : "unknown");
      return FALSE;
    }

  /* In WAL mode, NORMAL syncs only at checkpoints: a commit may be lost to a
   * power cut, but never to the process dying (kill -9), since the commit is in
   * the WAL file (the kernel's page cache) when sqlite3_step() returns. That is
   * the durability we promise, at a fraction of FULL's fsyncs. */
  if (sqlite3_exec (self->db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                    NULL, NULL, NULL) != SQLITE_OK)
    return _tg_server_db_fail (self, "configure database", error);

  return TRUE;
}

static gboolean
_tg_server_db_ensure_schema (TgServerDb  *self,
                             GError     **error)
{
  g_auto(_TgTransaction) txn = _TG_TRANSACTION_INIT;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 version;

  /* Read and create under one write lock, so that two processes opening a new
   * file at the same moment do not both create the tables. */
  if (sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return _tg_server_db_fail (self, "open database", error);
  txn.self = self;

  stmt = _tg_server_db_query_row (self, "PRAGMA user_version", "read the schema version of", error);
  if (stmt == NULL)
    return FALSE;
  version = sqlite3_column_int64 (stmt, 0);
  g_clear_pointer (&stmt, sqlite3_finalize);

  if (version < 0 || version > SCHEMA_VERSION)
    {
      g_set_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_FAILED,
                   "Database “%s” has schema version %" G_GINT64_FORMAT ", but this "
                   "Tokengate only knows versions up to %d; refusing to use it",
                   self->path, version, SCHEMA_VERSION);
      return FALSE;
    }

  /* Later schema versions migrate here, one step per version. */
  if (version == 0 &&
      sqlite3_exec (self->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
    return _tg_server_db_fail (self, "create the tables in", error);

  if (sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    return _tg_server_db_fail (self, "create the tables in", error);
  txn.self = NULL;

  return TRUE;
}

static gboolean
_tg_server_db_prepare_statements (TgServerDb  *self,
                                  GError     **error)
{
  /* All of them now, not on first use: a file whose tables do not match
   * (tampered with, or half-migrated) fails here, at startup, and not in the
   * middle of a refresh. */
  for (guint i = 0; i < N_STMTS; i++)
    {
      g_assert (self->stmts[i] == NULL);
      if (sqlite3_prepare_v3 (self->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                              &self->stmts[i], NULL) != SQLITE_OK)
        return _tg_server_db_fail (self, "prepare statements for", error);
    }

  return TRUE;
}

static gboolean
tg_server_db_initable_init (GInitable     *initable,
                            GCancellable  *cancellable,
                            GError       **error)
{
  TgServerDb *self = TG_SERVER_DB (initable);

  /* Only tg_server_db_open() initializes, exactly once. */
  g_return_val_if_fail (self->db == NULL, FALSE);

  if (self->path == NULL || self->path[0] == '\0')
    {
      g_set_error_literal (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_FAILED,
                           "No database path given");
      return FALSE;
    }

  return _tg_server_db_connect (self, error) &&
         _tg_server_db_ensure_schema (self, error) &&
         _tg_server_db_prepare_statements (self, error);
}

static void
tg_server_db_initable_iface_init (GInitableIface *iface)
{
  iface->init = tg_server_db_initable_init;
}

static void
tg_server_db_finalize (GObject *object)
{
  TgServerDb *self = TG_SERVER_DB (object);

  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&self->stmts[i], sqlite3_finalize);

  /* The last connection to close also checkpoints and removes the -wal file. */
  if (self->db != NULL && sqlite3_close (self->db) != SQLITE_OK)
    g_warning ("Could not close database “%s”: %s", self->path, sqlite3_errmsg (self->db));
  self->db = NULL;

  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (tg_server_db_parent_class)->finalize (object);
}

static void
tg_server_db_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  TgServerDb *self = TG_SERVER_DB (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_server_db_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  TgServerDb *self = TG_SERVER_DB (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_assert (self->path == NULL);
      self->path = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_server_db_class_init (TgServerDbClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tg_server_db_finalize;
  object_class->get_property = tg_server_db_get_property;
  object_class->set_property = tg_server_db_set_property;

  /**
   * TgServerDb:path:
   *
   * The database file, or `:memory:` for a private database that lives only as
   * long as the object.
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tg_server_db_init (TgServerDb *self)
{
}

/**
 * tg_server_db_open:
 * @path: the database file, or `:memory:`
 * @error: return location for a #GError
 *
 * Opens the database at @path, creating it (and its parent directories, mode
 * 0700) if needed. A new file is created with mode 0600 and put into
 * write-ahead-log mode; a file whose schema is newer than this code, or that is
 * not an SQLite database at all, is refused with %TG_SERVER_DB_ERROR_FAILED.
 *
 * Returns: (transfer full) (nullable): the database, or %NULL with @error set
 */
TgServerDb *
tg_server_db_open (const char  *path,
                   GError     **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (TG_TYPE_SERVER_DB, NULL, error, "path", path, NULL);
}

/* ------------------------------------------------------------------------- */
/* Users                                                                     */

/**
 * tg_server_db_add_user:
 * @self: a #TgServerDb
 * @name: the user's name, unique (compared byte for byte)
 * @password_hash: the encoded password hash, stored as given
 * @out_user_id: (out) (optional): the new user's id
 * @error: return location for a #GError
 *
 * Adds a user. A name that is taken fails with %TG_SERVER_DB_ERROR_EXISTS.
 *
 * Returns: %TRUE on success
 */
gboolean
tg_server_db_add_user (TgServerDb  *self,
                       const char  *name,
                       const char  *password_hash,
                       gint64      *out_user_id,
                       GError     **error)
{
  g_auto(_TgTransaction) txn = _TG_TRANSACTION_INIT;
  g_autoptr(_TgStmtLease) stmt = NULL;
  gint64 user_id;

  g_return_val_if_fail (TG_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (password_hash != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_tg_transaction_begin (&txn, self, "add a user to", error))
    return FALSE;

  stmt = _tg_server_db_stmt (self, STMT_ADD_USER);
  if (sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 2, password_hash, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 3, g_get_real_time () / G_USEC_PER_SEC) != SQLITE_OK)
    return _tg_server_db_fail (self, "add a user to", error);

  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      if (sqlite3_extended_errcode (self->db) == SQLITE_CONSTRAINT_UNIQUE)
        {
          g_set_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_EXISTS,
                       "A user named “%s” already exists", name);
          return FALSE;
        }
      return _tg_server_db_fail (self, "add a user to", error);
    }
  user_id = sqlite3_last_insert_rowid (self->db);

  if (!_tg_transaction_commit (&txn, "add a user to", error))
    return FALSE;

  if (out_user_id != NULL)
    *out_user_id = user_id;
  return TRUE;
}

/**
 * tg_server_db_count_users:
 * @self: a #TgServerDb
 * @out_count: (out): the number of users
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
tg_server_db_count_users (TgServerDb  *self,
                          gint64      *out_count,
                          GError     **error)
{
  g_autoptr(_TgStmtLease) stmt = NULL;
  gboolean row = FALSE;

  g_return_val_if_fail (TG_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (out_count != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  stmt = _tg_server_db_stmt (self, STMT_COUNT_USERS);
  if (!_tg_server_db_step_row (self, stmt, &row, "count the users in", error))
    return FALSE;
  g_assert (row);

  *out_count = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

/**
 * tg_server_db_first_password_hash:
 * @self: a #TgServerDb
 * @out_password_hash: (out) (transfer full) (nullable): the password hash of the
 *   user added first, or %NULL when there are no users
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
tg_server_db_first_password_hash (TgServerDb  *self,
                                  char       **out_password_hash,
                                  GError     **error)
{
  g_autoptr(_TgStmtLease) stmt = NULL;
  gboolean row = FALSE;

  g_return_val_if_fail (TG_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (out_password_hash != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  stmt = _tg_server_db_stmt (self, STMT_FIRST_USER_HASH);
  if (!_tg_server_db_step_row (self, stmt, &row, "look up a user in", error))
    return FALSE;

  *out_password_hash = row ? g_strdup ((const char *) sqlite3_column_text (stmt, 0)) : NULL;
  return TRUE;
}

/**
 * tg_server_db_find_user:
 * @self: a #TgServerDb
 * @name: the user's name
 * @out_user_id: (out) (optional): the user's id
 * @out_password_hash: (out) (optional) (transfer full): the stored password hash
 * @error: return location for a #GError
 *
 * Looks a user up by name; an unknown name fails with
 * %TG_SERVER_DB_ERROR_NOT_FOUND.
 *
 * Returns: %TRUE if the user exists
 */
gboolean
tg_server_db_find_user (TgServerDb  *self,
                        const char  *name,
                        gint64      *out_user_id,
                        char       **out_password_hash,
                        GError     **error)
{
  g_autoptr(_TgStmtLease) stmt = NULL;
  gboolean row = FALSE;

  g_return_val_if_fail (TG_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  stmt = _tg_server_db_stmt (self, STMT_FIND_USER);
  if (sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT) != SQLITE_OK)
    return _tg_server_db_fail (self, "look up a user in", error);
  if (!_tg_server_db_step_row (self, stmt, &row, "look up a user in", error))
    return FALSE;

  if (!row)
    {
      g_set_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_NOT_FOUND,
                   "No user named “%s”", name);
      return FALSE;
    }

  if (out_user_id != NULL)
    *out_user_id = sqlite3_column_int64 (stmt, 0);
  if (out_password_hash != NULL)
    *out_password_hash = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Families and refresh tokens                                               */

static gboolean
_tg_server_db_insert_token (TgServerDb  *self,
                            const char  *hash,
                            gint64       family_id,
                            gint64       issued_at,
                            gint64       expires_at,
                            GError     **error)
{
  g_autoptr(_TgStmtLease) stmt = _tg_server_db_stmt (self, STMT_ADD_TOKEN);

  if (sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, family_id) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 3, issued_at) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 4, expires_at) != SQLITE_OK)
    return _tg_server_db_fail (self, "store a refresh token in", error);

  return _tg_server_db_step_done (self, stmt, "store a refresh token in", error);
}

static gboolean
_tg_server_db_revoke_family (TgServerDb  *self,
                             gint64       family_id,
                             gint64       now,
                             const char  *reason,
                             GError     **error)
{
  g_autoptr(_TgStmtLease) stmt = _tg_server_db_stmt (self, STMT_REVOKE_FAMILY);

  if (sqlite3_bind_int64 (stmt, 1, family_id) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, now) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 3, reason, -1, SQLITE_STATIC) != SQLITE_OK)
    return _tg_server_db_fail (self, "revoke a family in", error);

  return _tg_server_db_step_done (self, stmt, "revoke a family in", error);
}

/**
 * tg_server_db_start_family:
 * @self: a #TgServerDb
 * @user_id: who signed in
 * @token_hash: SHA-256 (hex) of the family's first refresh token
 * @now: the current time, in seconds since the epoch
 * @expires_at: when that token expires
 * @out_family_id: (out) (optional): the new family's id
 * @error: return location for a #GError
 *
 * Records a sign-in: a new family and its first refresh token, together or not
 * at all. An unknown @user_id fails with %TG_SERVER_DB_ERROR_NOT_FOUND, a
 * @token_hash that is already stored with %TG_SERVER_DB_ERROR_EXISTS.
 *
 * Returns: %TRUE on success
 */
gboolean
tg_server_db_start_family (TgServerDb  *self,
                           gint64       user_id,
                           const char  *token_hash,
                           gint64       now,
                           gint64       expires_at,
                           gint64      *out_family_id,
                           GError     **error)
{
  g_auto(_TgTransaction) txn = _TG_TRANSACTION_INIT;
  g_autoptr(_TgStmtLease) stmt = NULL;
  gint64 family_id;

  g_return_val_if_fail (TG_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_tg_transaction_begin (&txn, self, "start a family in", error))
    return FALSE;

  stmt = _tg_server_db_stmt (self, STMT_ADD_FAMILY);
  if (sqlite3_bind_int64 (stmt, 1, user_id) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, now) != SQLITE_OK)
    return _tg_server_db_fail (self, "start a family in", error);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      if (sqlite3_extended_errcode (self->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
        {
          g_set_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_NOT_FOUND,
                       "No user with id %" G_GINT64_FORMAT, user_id);
          return FALSE;
        }
      return _tg_server_db_fail (self, "start a family in", error);
    }
  family_id = sqlite3_last_insert_rowid (self->db);

  if (!_tg_server_db_insert_token (self, token_hash, family_id, now, expires_at, error) ||
      !_tg_transaction_commit (&txn, "start a family in", error))
    return FALSE;

  if (out_family_id != NULL)
    *out_family_id = family_id;
  return TRUE;
}

/* What the database knows about one presented refresh token. */
typedef struct {
  gint64    family_id;
  gint64    user_id;
  char     *user_name;       /* owned */
  gint64    expires_at;
  gboolean  consumed;
  gint64    consumed_at;
  char     *successor_hash;  /* owned, nullable: set once consumed */
  gboolean  revoked;
} _TgTokenState;

static void
_tg_token_state_clear (_TgTokenState *state)
{
  g_clear_pointer (&state->user_name, g_free);
  g_clear_pointer (&state->successor_hash, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (_TgTokenState, _tg_token_state_clear)

static gboolean
_tg_server_db_lookup_token (TgServerDb     *self,
                            const char     *hash,
                            gboolean       *out_found,
                            _TgTokenState  *state,
                            GError        **error)
{
  g_autoptr(_TgStmtLease) stmt = _tg_server_db_stmt (self, STMT_LOOKUP_TOKEN);

  if (sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT) != SQLITE_OK)
    return _tg_server_db_fail (self, "look up a refresh token in", error);
  if (!_tg_server_db_step_row (self, stmt, out_found, "look up a refresh token in", error))
    return FALSE;
  if (!*out_found)
    return TRUE;

  state->family_id = sqlite3_column_int64 (stmt, 0);
  state->expires_at = sqlite3_column_int64 (stmt, 1);
  state->consumed = sqlite3_column_type (stmt, 2) != SQLITE_NULL;
  state->consumed_at = sqlite3_column_int64 (stmt, 2);
  state->successor_hash = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
  state->revoked = sqlite3_column_type (stmt, 4) != SQLITE_NULL;
  state->user_id = sqlite3_column_int64 (stmt, 5);
  state->user_name = g_strdup ((const char *) sqlite3_column_text (stmt, 6));
  return TRUE;
}

/* The body of tg_server_db_rotate(), inside its transaction. */
static gboolean
_tg_server_db_rotate_locked (TgServerDb        *self,
                             const char        *presented_hash,
                             const char        *successor_hash,
                             gint64             now,
                             gint64             successor_expires_at,
                             gint64             reuse_grace,
                             TgRefreshGrant    *grant,
                             TgRefreshOutcome  *out_outcome,
                             GError           **error)
{
  g_auto(_TgTokenState) state = { 0 };
  g_autoptr(_TgStmtLease) stmt = NULL;
  gboolean found = FALSE;

  if (!_tg_server_db_lookup_token (self, presented_hash, &found, &state, error))
    return FALSE;
  if (!found)
    {
      *out_outcome = TG_REFRESH_UNKNOWN;
      return TRUE;
    }

  /* Every outcome past this point names the user and family, for the log. */
  grant->user_id = state.user_id;
  grant->user_name = g_steal_pointer (&state.user_name);
  grant->family_id = state.family_id;

  if (state.revoked)
    {
      *out_outcome = TG_REFRESH_REVOKED;
      return TRUE;
    }

  if (state.consumed)
    {
      /* A client whose response was lost retries with the same token; within
       * the grace window it gets the pair it should have received — but only
       * while that successor is unused. Once someone has moved on with it, the
       * old token coming back is a stolen copy, not a lost answer, and must not
       * lead (T0 → T1 → T2) to the live end of the chain. */
      if (reuse_grace > 0 && now - state.consumed_at <= reuse_grace)
        {
          g_auto(_TgTokenState) successor = { 0 };
          gboolean successor_found = FALSE;

          if (!_tg_server_db_lookup_token (self, state.successor_hash, &successor_found,
                                           &successor, error))
            return FALSE;
          if (successor_found && !successor.consumed)
            {
              grant->successor_hash = g_steal_pointer (&state.successor_hash);
              grant->rotated_at = state.consumed_at;
              *out_outcome = TG_REFRESH_REPLAYED_IN_GRACE;
              return TRUE;
            }
        }

      /* RFC 9700 §4.14.2: a refresh token used twice means that either the
       * client or an attacker holds a stolen copy, and we cannot tell which,
       * so the whole family goes. */
      if (!_tg_server_db_revoke_family (self, state.family_id, now, REVOKE_REASON_REUSE, error))
        return FALSE;
      *out_outcome = TG_REFRESH_REUSE_DETECTED;
      return TRUE;
    }

  if (state.expires_at <= now)
    {
      *out_outcome = TG_REFRESH_EXPIRED;
      return TRUE;
    }

  /* The successor first: presented.successor_hash refers to its row. */
  if (!_tg_server_db_insert_token (self, successor_hash, state.family_id, now,
                                   successor_expires_at, error))
    return FALSE;

  stmt = _tg_server_db_stmt (self, STMT_CONSUME_TOKEN);
  if (sqlite3_bind_text (stmt, 1, presented_hash, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, now) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 3, successor_hash, -1, SQLITE_TRANSIENT) != SQLITE_OK)
    return _tg_server_db_fail (self, "consume a refresh token in", error);
  if (!_tg_server_db_step_done (self, stmt, "consume a refresh token in", error))
    return FALSE;

  /* BEGIN IMMEDIATE should make this impossible; if it ever happens, two
   * requests consumed one token, and neither may get a successor. */
  if (sqlite3_changes (self->db) != 1)
    {
      g_set_error (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_FAILED,
                   "Could not consume a refresh token in “%s”: it was consumed concurrently",
                   self->path);
      return FALSE;
    }

  grant->rotated_at = now;
  *out_outcome = TG_REFRESH_ROTATED;
  return TRUE;
}

/**
 * tg_server_db_rotate:
 * @self: a #TgServerDb
 * @presented_hash: SHA-256 (hex) of the refresh token the client presented
 * @successor_hash: SHA-256 (hex) of the token to issue in its place
 * @now: the current time, in seconds since the epoch
 * @successor_expires_at: when the successor expires
 * @reuse_grace: seconds after a token's consumption during which presenting it
 *   again returns the same successor instead of revoking the family; 0 for none
 * @out_grant: (out caller-allocates) (optional): zero-initialised; filled with
 *   the user and family for every outcome but %TG_REFRESH_UNKNOWN, and with the
 *   recorded successor's hash and the time of the rotation for
 *   %TG_REFRESH_REPLAYED_IN_GRACE (the time also for %TG_REFRESH_ROTATED). Clear it with
 *   tg_refresh_grant_clear().
 * @error: return location for a #GError
 *
 * Consumes a refresh token and records its successor, in one transaction. The
 * outcomes are checked in this order: unknown, family revoked, already consumed
 * (replay in grace while the successor is unused, or else reuse: the family is
 * revoked now), expired, rotated. Only
 * %TG_REFRESH_ROTATED stores @successor_hash.
 *
 * Returns: the outcome. On an SQLite error @error is set and the result is
 *   %TG_REFRESH_UNKNOWN, so check @error first.
 */
TgRefreshOutcome
tg_server_db_rotate (TgServerDb      *self,
                     const char      *presented_hash,
                     const char      *successor_hash,
                     gint64           now,
                     gint64           successor_expires_at,
                     gint64           reuse_grace,
                     TgRefreshGrant  *out_grant,
                     GError         **error)
{
  g_auto(_TgTransaction) txn = _TG_TRANSACTION_INIT;
  g_auto(TgRefreshGrant) grant = { 0 };
  TgRefreshOutcome outcome = TG_REFRESH_UNKNOWN;

  g_return_val_if_fail (TG_IS_SERVER_DB (self), TG_REFRESH_UNKNOWN);
  g_return_val_if_fail (presented_hash != NULL, TG_REFRESH_UNKNOWN);
  g_return_val_if_fail (successor_hash != NULL, TG_REFRESH_UNKNOWN);
  g_return_val_if_fail (error == NULL || *error == NULL, TG_REFRESH_UNKNOWN);

  /* Even the outcomes that change nothing run inside the transaction: what we
   * decide from must not change before the write that depends on it. */
  if (!_tg_transaction_begin (&txn, self, "rotate a refresh token in", error) ||
      !_tg_server_db_rotate_locked (self, presented_hash, successor_hash, now,
                                    successor_expires_at, reuse_grace, &grant, &outcome, error) ||
      !_tg_transaction_commit (&txn, "rotate a refresh token in", error))
    return TG_REFRESH_UNKNOWN;

  if (out_grant != NULL)
    {
      *out_grant = grant;
      grant = (TgRefreshGrant) { 0 };
    }
  return outcome;
}

/**
 * tg_server_db_revoke_family_of:
 * @self: a #TgServerDb
 * @token_hash: SHA-256 (hex) of any refresh token of the family, consumed or not
 * @now: the current time, in seconds since the epoch
 * @out_family_id: (out) (optional): the family's id
 * @error: return location for a #GError
 *
 * Revokes the family @token_hash belongs to (RFC 7009). An unknown hash fails
 * with %TG_SERVER_DB_ERROR_NOT_FOUND; a family that is revoked already stays
 * revoked as it was, and the call succeeds.
 *
 * Returns: %TRUE on success
 */
gboolean
tg_server_db_revoke_family_of (TgServerDb  *self,
                               const char  *token_hash,
                               gint64       now,
                               gint64      *out_family_id,
                               GError     **error)
{
  g_auto(_TgTransaction) txn = _TG_TRANSACTION_INIT;
  g_autoptr(_TgStmtLease) stmt = NULL;
  gboolean row = FALSE;
  gint64 family_id;

  g_return_val_if_fail (TG_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_tg_transaction_begin (&txn, self, "revoke a family in", error))
    return FALSE;

  stmt = _tg_server_db_stmt (self, STMT_FAMILY_OF_TOKEN);
  if (sqlite3_bind_text (stmt, 1, token_hash, -1, SQLITE_TRANSIENT) != SQLITE_OK)
    return _tg_server_db_fail (self, "revoke a family in", error);
  if (!_tg_server_db_step_row (self, stmt, &row, "revoke a family in", error))
    return FALSE;
  if (!row)
    {
      /* No hash in the message: it would only end up in a log. */
      g_set_error_literal (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_NOT_FOUND,
                           "No such refresh token");
      return FALSE;
    }
  family_id = sqlite3_column_int64 (stmt, 0);
  g_clear_pointer (&stmt, _tg_stmt_lease_return);

  if (!_tg_server_db_revoke_family (self, family_id, now, REVOKE_REASON_REVOKED, error) ||
      !_tg_transaction_commit (&txn, "revoke a family in", error))
    return FALSE;

  if (out_family_id != NULL)
    *out_family_id = family_id;
  return TRUE;
}

/**
 * tg_server_db_revoke_all_families:
 * @self: a #TgServerDb
 * @now: the current time, in seconds since the epoch
 * @error: return location for a #GError
 *
 * Revokes every family that is not revoked yet: everyone must sign in again.
 * Families started afterwards are not affected.
 *
 * Returns: %TRUE on success
 */
gboolean
tg_server_db_revoke_all_families (TgServerDb  *self,
                                  gint64       now,
                                  GError     **error)
{
  g_auto(_TgTransaction) txn = _TG_TRANSACTION_INIT;
  g_autoptr(_TgStmtLease) stmt = NULL;

  g_return_val_if_fail (TG_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_tg_transaction_begin (&txn, self, "revoke the families in", error))
    return FALSE;

  stmt = _tg_server_db_stmt (self, STMT_REVOKE_ALL);
  if (sqlite3_bind_int64 (stmt, 1, now) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 2, REVOKE_REASON_ALL, -1, SQLITE_STATIC) != SQLITE_OK)
    return _tg_server_db_fail (self, "revoke the families in", error);

  return _tg_server_db_step_done (self, stmt, "revoke the families in", error) &&
         _tg_transaction_commit (&txn, "revoke the families in", error);
}

/**
 * tg_server_db_list_revoked_families:
 * @self: a #TgServerDb
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): a set of the ids of all revoked families:
 *   keys are `gint64 *` (use g_int64_hash() and g_int64_equal() semantics),
 *   values are unused. %NULL with @error set on failure.
 */
GHashTable *
tg_server_db_list_revoked_families (TgServerDb  *self,
                                    GError     **error)
{
  g_autoptr(GHashTable) revoked = NULL;
  g_autoptr(_TgStmtLease) stmt = NULL;
  gboolean row = FALSE;

  g_return_val_if_fail (TG_IS_SERVER_DB (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  revoked = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  stmt = _tg_server_db_stmt (self, STMT_LIST_REVOKED);

  while (TRUE)
    {
      gint64 *id;

      if (!_tg_server_db_step_row (self, stmt, &row, "list the revoked families in", error))
        return NULL;
      if (!row)
        break;
      id = g_new (gint64, 1);
      *id = sqlite3_column_int64 (stmt, 0);
      g_hash_table_add (revoked, id);
    }

  return g_steal_pointer (&revoked);
}

/* ------------------------------------------------------------------------- */
/* Meta                                                                      */

/**
 * tg_server_db_get_meta:
 * @self: a #TgServerDb
 * @key: the setting's name
 * @default_value: what to return when @key was never set
 * @out_value: (out): the value
 * @error: return location for a #GError
 *
 * Reads a small integer setting of the server (such as the signing key's epoch).
 *
 * Returns: %TRUE on success, including when @key was never set
 */
gboolean
tg_server_db_get_meta (TgServerDb  *self,
                       const char  *key,
                       gint64       default_value,
                       gint64      *out_value,
                       GError     **error)
{
  g_autoptr(_TgStmtLease) stmt = NULL;
  gboolean row = FALSE;

  g_return_val_if_fail (TG_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (out_value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  stmt = _tg_server_db_stmt (self, STMT_GET_META);
  if (sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT) != SQLITE_OK)
    return _tg_server_db_fail (self, "read a setting from", error);
  if (!_tg_server_db_step_row (self, stmt, &row, "read a setting from", error))
    return FALSE;

  *out_value = row ? sqlite3_column_int64 (stmt, 0) : default_value;
  return TRUE;
}

/**
 * tg_server_db_set_meta:
 * @self: a #TgServerDb
 * @key: the setting's name
 * @value: its new value
 * @error: return location for a #GError
 *
 * Stores a small integer setting, replacing any earlier value.
 *
 * Returns: %TRUE on success
 */
gboolean
tg_server_db_set_meta (TgServerDb  *self,
                       const char  *key,
                       gint64       value,
                       GError     **error)
{
  g_auto(_TgTransaction) txn = _TG_TRANSACTION_INIT;
  g_autoptr(_TgStmtLease) stmt = NULL;

  g_return_val_if_fail (TG_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_tg_transaction_begin (&txn, self, "write a setting to", error))
    return FALSE;

  stmt = _tg_server_db_stmt (self, STMT_SET_META);
  if (sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, value) != SQLITE_OK)
    return _tg_server_db_fail (self, "write a setting to", error);

  return _tg_server_db_step_done (self, stmt, "write a setting to", error) &&
         _tg_transaction_commit (&txn, "write a setting to", error);
}

/**
 * tg_refresh_grant_clear:
 * @grant: a #TgRefreshGrant
 *
 * Frees the strings @grant holds and zeroes it, ready for reuse.
 */
void
tg_refresh_grant_clear (TgRefreshGrant *grant)
{
  g_return_if_fail (grant != NULL);

  g_free (grant->user_name);
  g_free (grant->successor_hash);
  *grant = (TgRefreshGrant) { 0 };
}
