/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgServerDb's sessions: a sign-in starts a family, whose refresh tokens
 * rotate one into the next (RFC 9700 §4.14.2), with reuse detection, a grace
 * window for a lost answer, and revocation.
 */
#define G_LOG_DOMAIN "tg-server-db"

#include "config.h"

#include "tg-server-db-private.h"

#define REVOKE_REASON_REUSE   "reuse"
#define REVOKE_REASON_REVOKED "revoked"
#define REVOKE_REASON_ALL     "revoked-all"
#define REVOKE_REASON_CODE    "code-reuse"

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
 * @client_id: (nullable): the client the family is issued to; %NULL when the
 *   request named none. Only this client may rotate and revoke the family's
 *   tokens.
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
                           const char  *client_id,
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
      sqlite3_bind_int64 (stmt, 2, now) != SQLITE_OK ||
      (client_id != NULL &&
       sqlite3_bind_text (stmt, 3, client_id, -1, SQLITE_TRANSIENT) != SQLITE_OK))
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
  char     *client_id;       /* owned, nullable: the family's client */
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
  g_clear_pointer (&state->client_id, g_free);
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
  g_autoptr(_TgStmtLease) stmt = _tg_server_db_query (self, STMT_LOOKUP_TOKEN, hash, out_found,
                                                      "look up a refresh token in", error);

  if (stmt == NULL)
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
  state->client_id = g_strdup ((const char *) sqlite3_column_text (stmt, 7));
  return TRUE;
}

/* The body of tg_server_db_rotate(), inside its transaction. */
static gboolean
_tg_server_db_rotate_locked (TgServerDb        *self,
                             const char        *presented_hash,
                             const char        *client_id,
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

  /* RFC 6749 §6: the token must have been issued to the client presenting it.
   * Checked before anything else, and changing nothing: another client must
   * not be able to get the pair of a replay, nor — by presenting a consumed
   * token — have the owner's family revoked as reused. */
  if (g_strcmp0 (state.client_id, client_id) != 0)
    {
      *out_outcome = TG_REFRESH_WRONG_CLIENT;
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
 * @client_id: (nullable): the client presenting it, as for
 *   tg_server_db_start_family()
 * @successor_hash: SHA-256 (hex) of the token to issue in its place
 * @now: the current time, in seconds since the epoch
 * @successor_expires_at: when the successor expires
 * @reuse_grace: seconds after a token's consumption during which presenting it
 *   again returns the same successor instead of revoking the family; 0 for none
 * @out_grant: (out caller-allocates) (optional): zero-initialised; filled with
 *   the user and family for every outcome but %TG_REFRESH_UNKNOWN and
 *   %TG_REFRESH_WRONG_CLIENT, and with the
 *   recorded successor's hash and the time of the rotation for
 *   %TG_REFRESH_REPLAYED_IN_GRACE (the time also for %TG_REFRESH_ROTATED). Clear it with
 *   tg_refresh_grant_clear().
 * @error: return location for a #GError
 *
 * Consumes a refresh token and records its successor, in one transaction. The
 * outcomes are checked in this order: unknown, issued to another client than
 * @client_id (nothing changes), family revoked, already consumed
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
                     const char      *client_id,
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
      !_tg_server_db_rotate_locked (self, presented_hash, client_id, successor_hash, now,
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
 * @client_id: (nullable): the client asking, as for tg_server_db_start_family()
 * @now: the current time, in seconds since the epoch
 * @out_family_id: (out) (optional): the family's id
 * @error: return location for a #GError
 *
 * Revokes the family @token_hash belongs to (RFC 7009). An unknown hash, and
 * one of a family issued to another client (RFC 7009 §2.1), fail alike with
 * %TG_SERVER_DB_ERROR_NOT_FOUND and change nothing; a family that is revoked already stays
 * revoked as it was, and the call succeeds.
 *
 * Returns: %TRUE on success
 */
gboolean
tg_server_db_revoke_family_of (TgServerDb  *self,
                               const char  *token_hash,
                               const char  *client_id,
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
  if (sqlite3_bind_text (stmt, 1, token_hash, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
      (client_id != NULL &&
       sqlite3_bind_text (stmt, 2, client_id, -1, SQLITE_TRANSIENT) != SQLITE_OK))
    return _tg_server_db_fail (self, "revoke a family in", error);
  if (!_tg_server_db_step_row (self, stmt, &row, "revoke a family in", error))
    return FALSE;
  if (!row)
    {
      /* No hash in the message: it would only end up in a log. Nor whether
       * the token exists for another client. */
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
 * tg_server_db_revoke_family:
 * @self: a #TgServerDb
 * @family_id: the family to revoke
 * @now: the current time, in seconds since the epoch
 * @error: return location for a #GError
 *
 * Revokes the family an authorization code started, because that code was
 * presented again (RFC 6749 §4.1.2). A family that is revoked already stays
 * revoked as it was; an unknown one is no error (there is nothing to revoke).
 *
 * Returns: %TRUE on success
 */
gboolean
tg_server_db_revoke_family (TgServerDb  *self,
                            gint64       family_id,
                            gint64       now,
                            GError     **error)
{
  g_auto(_TgTransaction) txn = _TG_TRANSACTION_INIT;

  g_return_val_if_fail (TG_IS_SERVER_DB (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return _tg_transaction_begin (&txn, self, "revoke a family in", error) &&
         _tg_server_db_revoke_family (self, family_id, now, REVOKE_REASON_CODE, error) &&
         _tg_transaction_commit (&txn, "revoke a family in", error);
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
