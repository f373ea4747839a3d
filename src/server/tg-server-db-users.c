/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgServerDb's users: added with a password hash (made by the caller), looked
 * up by name.
 */
#define G_LOG_DOMAIN "tg-server-db"

#include "config.h"

#include "tg-server-db-private.h"

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

  stmt = _tg_server_db_query (self, STMT_COUNT_USERS, NULL, &row, "count the users in", error);
  if (stmt == NULL)
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

  stmt = _tg_server_db_query (self, STMT_FIRST_USER_HASH, NULL, &row, "look up a user in", error);
  if (stmt == NULL)
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

  stmt = _tg_server_db_query (self, STMT_FIND_USER, name, &row, "look up a user in", error);
  if (stmt == NULL)
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
