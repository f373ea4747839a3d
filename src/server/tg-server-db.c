/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The authorization server's state in one SQLite file: users, sign-in "families"
 * and the refresh tokens that rotate within them. Tokens are stored by their
 * SHA-256 only; the caller hashes, so a stolen file yields no usable token.
 *
 * This file holds the connection (opening, the schema and its version, the
 * prepared statements), the helpers every query uses, and the server's small
 * settings (meta). Users are in tg-server-db-users.c, families and refresh
 * tokens in tg-server-db-sessions.c.
 */
#define G_LOG_DOMAIN "tg-server-db"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "tg-server-db-private.h"

/* PRAGMA user_version once every step of migrations[] has run. A file with a
 * larger number was written by a newer Tokengate; we refuse it rather than
 * guess at its meaning. */
#define SCHEMA_VERSION (1 + (gint64) G_N_ELEMENTS (migrations))

/* How long SQLite waits for another connection's write lock (the CLI adding a
 * user while the server runs) before giving up with SQLITE_BUSY. */
#define BUSY_TIMEOUT_MS 5000

/* SQLite's own name for a private, in-memory database; the server uses it when
 * it is given no file. */
#define MEMORY_PATH ":memory:"

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
  ") STRICT, WITHOUT ROWID;";

/* The steps from version 1 (schema_sql) to SCHEMA_VERSION: migrations[i] takes
 * a file from version i + 1 to i + 2. A new file is created at version 1 and
 * then goes through every step too, so that a new file and a migrated one
 * cannot differ. Steps are only ever appended. */
static const char * const migrations[] = {
  /* 2: the client a family was issued to (RFC 6749 §6, RFC 7009 §2.1), as it
   * named itself (a public client) or authenticated (a confidential one);
   * NULL when the request named no client (the seed API, a password grant
   * without client_id). Families from version 1 get NULL too: the requests
   * that started them were not recorded, and NULL is what Tokengate's own
   * app and CLI sent for the password sign-in then. So such a session keeps
   * working for them and is refused to every client that names itself — a
   * session from version 1's browser sign-in (tokengate-native) must sign in
   * again once. */
  "ALTER TABLE families ADD COLUMN client_id TEXT CHECK (client_id <> '');",
};

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
  [STMT_ADD_FAMILY] =
    "INSERT INTO families (user_id, created_at, client_id) VALUES (?1, ?2, ?3)",
  [STMT_ADD_TOKEN] =
    "INSERT INTO refresh_tokens (hash, family_id, issued_at, expires_at)"
    " VALUES (?1, ?2, ?3, ?4)",
  [STMT_LOOKUP_TOKEN] =
    "SELECT t.family_id, t.expires_at, t.consumed_at, t.successor_hash,"
    "       f.revoked_at, f.user_id, u.name, f.client_id"
    "  FROM refresh_tokens AS t"
    "  JOIN families AS f ON f.id = t.family_id"
    "  JOIN users AS u ON u.id = f.user_id"
    " WHERE t.hash = ?1",
  [STMT_CONSUME_TOKEN] =
    "UPDATE refresh_tokens SET consumed_at = ?2, successor_hash = ?3"
    " WHERE hash = ?1 AND consumed_at IS NULL",
  /* "IS", not "=": NULL (no client named) matches only NULL. */
  [STMT_FAMILY_OF_TOKEN] =
    "SELECT t.family_id"
    "  FROM refresh_tokens AS t"
    "  JOIN families AS f ON f.id = t.family_id"
    " WHERE t.hash = ?1 AND f.client_id IS ?2",
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

void
_tg_stmt_lease_return (_TgStmtLease *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

_TgStmtLease *
_tg_server_db_stmt (TgServerDb *self,
                    Stmt        which)
{
  g_assert (self->stmts[which] != NULL);
  return self->stmts[which];
}

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

void
_tg_transaction_clear (_TgTransaction *txn)
{
  if (txn->self != NULL)
    _tg_server_db_rollback (txn->self);
  txn->self = NULL;
}

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
gboolean
_tg_server_db_fail (TgServerDb  *self,
                    const char  *what,
                    GError     **error)
{
  int rc = sqlite3_extended_errcode (self->db);

  g_set_error (error, TG_SERVER_DB_ERROR, _tg_server_db_error_code (rc),
               "Could not %s “%s”: %s", what, self->path, sqlite3_errmsg (self->db));
  return FALSE;
}

gboolean
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
gboolean
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

gboolean
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

gboolean
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

/**
 * _tg_server_db_query:
 * @key: (nullable): bound to `?1`, or %NULL for a statement without parameters
 * @out_row: (out): whether the statement yielded a row
 *
 * Borrows the cached statement @which, binds @key and steps it once: the
 * lookups by one text key all start so.
 *
 * Returns: (nullable): the statement, to read the row's columns from; %NULL
 *   with @error set on failure
 */
_TgStmtLease *
_tg_server_db_query (TgServerDb  *self,
                     Stmt         which,
                     const char  *key,
                     gboolean    *out_row,
                     const char  *what,
                     GError     **error)
{
  g_autoptr(_TgStmtLease) stmt = _tg_server_db_stmt (self, which);

  if (key != NULL && sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT) != SQLITE_OK)
    {
      _tg_server_db_fail (self, what, error);
      return NULL;
    }
  if (!_tg_server_db_step_row (self, stmt, out_row, what, error))
    return NULL;

  return g_steal_pointer (&stmt);
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
                   "Tokengate only knows versions up to %" G_GINT64_FORMAT "; refusing to use it",
                   self->path, version, SCHEMA_VERSION);
      return FALSE;
    }

  if (version == 0)
    {
      if (sqlite3_exec (self->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
        return _tg_server_db_fail (self, "create the tables in", error);
      version = 1;
    }

  /* All steps in the one transaction: a file is migrated completely or not
   * at all, and another process never sees it half-way. */
  for (; version < SCHEMA_VERSION; version++)
    {
      g_autofree char *set_version =
        g_strdup_printf ("PRAGMA user_version = %" G_GINT64_FORMAT, version + 1);

      if (sqlite3_exec (self->db, migrations[version - 1], NULL, NULL, NULL) != SQLITE_OK ||
          sqlite3_exec (self->db, set_version, NULL, NULL, NULL) != SQLITE_OK)
        return _tg_server_db_fail (self, "migrate the tables in", error);
    }

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

  stmt = _tg_server_db_query (self, STMT_GET_META, key, &row, "read a setting from", error);
  if (stmt == NULL)
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
