/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of TgServerDb share: tg-server-db.c (the connection, the
 * schema and its statements, transactions, settings), tg-server-db-users.c and
 * tg-server-db-sessions.c (families and their refresh tokens).
 */
#pragma once

#include <sqlite3.h>

#include "tg-server-db.h"

G_BEGIN_DECLS

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

/* A cached statement borrowed for one use. Like GMutexLocker, g_autoptr() does
 * not free it but resets it at the end of the scope, so that no return path
 * leaves it mid-step (holding a read snapshot open) or holding bound values. */
typedef sqlite3_stmt _TgStmtLease;

void          _tg_stmt_lease_return    (_TgStmtLease  *stmt);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (_TgStmtLease, _tg_stmt_lease_return)

/* Rolls back at the end of its scope unless committed: every early return of a
 * writing function undoes what that function had done so far. */
typedef struct {
  TgServerDb *self;  /* unowned; NULL when no transaction is open */
} _TgTransaction;

#define _TG_TRANSACTION_INIT { NULL }

void          _tg_transaction_clear    (_TgTransaction *txn);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (_TgTransaction, _tg_transaction_clear)

gboolean      _tg_transaction_begin    (_TgTransaction  *txn,
                                        TgServerDb      *self,
                                        const char      *what,
                                        GError         **error);
gboolean      _tg_transaction_commit   (_TgTransaction  *txn,
                                        const char      *what,
                                        GError         **error);

_TgStmtLease *_tg_server_db_stmt       (TgServerDb      *self,
                                        Stmt             which);
_TgStmtLease *_tg_server_db_query      (TgServerDb      *self,
                                        Stmt             which,
                                        const char      *key,
                                        gboolean        *out_row,
                                        const char      *what,
                                        GError         **error);
gboolean      _tg_server_db_fail       (TgServerDb      *self,
                                        const char      *what,
                                        GError         **error);
gboolean      _tg_server_db_step_done  (TgServerDb      *self,
                                        sqlite3_stmt    *stmt,
                                        const char      *what,
                                        GError         **error);
gboolean      _tg_server_db_step_row   (TgServerDb      *self,
                                        sqlite3_stmt    *stmt,
                                        gboolean        *out_row,
                                        const char      *what,
                                        GError         **error);

G_END_DECLS
