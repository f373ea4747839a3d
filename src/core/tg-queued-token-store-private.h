/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include "tg-token-store.h"

G_BEGIN_DECLS

typedef enum {
  TG_STORE_OP_LOAD,
  TG_STORE_OP_SAVE,
  TG_STORE_OP_CLEAR,
} TgStoreOpKind;

/* One load, save or clear, as it was asked for: the task data of its GTask. */
typedef struct {
  TgStoreOpKind  kind;
  char          *account;  /* owned */
  TgTokens      *tokens;   /* owned, nullable: what a save writes */
} TgStoreOp;

#define TG_TYPE_QUEUED_TOKEN_STORE (tg_queued_token_store_get_type ())
G_DECLARE_DERIVABLE_TYPE (TgQueuedTokenStore, tg_queued_token_store, TG, QUEUED_TOKEN_STORE, GObject)

/**
 * TgQueuedTokenStoreClass:
 * @run: starts @op, whose turn has come. The store returns @task (a
 *   %TRUE/%FALSE for a save or clear, a #TgTokens or %NULL for a load, or an
 *   error) when the operation is over, from any thread; the next operation
 *   starts once @task's callback has run.
 *
 * The base of the core's token stores: it implements #TgTokenStore's
 * load, save and clear by queueing them, so that a store's operations take
 * effect one at a time in the order they were started.
 */
struct _TgQueuedTokenStoreClass
{
  GObjectClass parent_class;

  void (*run) (TgQueuedTokenStore *self,
               GTask              *task,
               TgStoreOp          *op);
};

G_END_DECLS
