/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgQueuedTokenStore: the operation queue both of the core's token stores
 * use. One store's operations run one at a time, in the order they were
 * started: the token manager saves without waiting (e.g. the demo's "replace
 * the access token") and clears on sign-out, and a save that overtook a later
 * clear would bring a dead session back at the next start. Each libsecret
 * call is a few D-Bus round trips and each file write an fsync(), so without
 * the queue that overtaking is not rare.
 *
 * The queue lives in the thread-default main context of the caller, like any
 * GTask's callbacks: a store is used from one thread. The subclass only runs
 * the operation at the head (TgQueuedTokenStoreClass.run), in its own way —
 * D-Bus calls for the Secret Service, a worker thread for the file.
 */
#define G_LOG_DOMAIN "tg-token-store"

#include "config.h"

#include "tg-queued-token-store-private.h"

typedef struct
{
  /* Operations in the order they were started, each an owned GTask; the head
   * is the one running. */
  GQueue pending;
} TgQueuedTokenStorePrivate;

static void tg_queued_token_store_iface_init (TgTokenStoreInterface *iface);

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (TgQueuedTokenStore, tg_queued_token_store, G_TYPE_OBJECT,
                                  G_ADD_PRIVATE (TgQueuedTokenStore)
                                  G_IMPLEMENT_INTERFACE (TG_TYPE_TOKEN_STORE,
                                                         tg_queued_token_store_iface_init))

static void start_head (TgQueuedTokenStore *self);

static void
op_free (TgStoreOp *op)
{
  g_free (op->account);
  g_clear_pointer (&op->tokens, tg_tokens_unref);
  g_free (op);
}

/* GTask:completed is notified right after the task's callback has run, in
 * its main context: the head is over, the next one may go. */
static void
head_completed (GTask      *task,
                GParamSpec *pspec,
                gpointer    user_data)
{
  TgQueuedTokenStore *self = user_data;
  TgQueuedTokenStorePrivate *priv = tg_queued_token_store_get_instance_private (self);
  GTask *head = g_queue_pop_head (&priv->pending);

  g_assert (head == task);
  g_signal_handlers_disconnect_by_func (head, head_completed, self);

  /* The task holds the store: keep it for the next start. */
  g_object_ref (self);
  g_object_unref (head);
  start_head (self);
  g_object_unref (self);
}

/* Starts the operation at the head of the queue, if there is one. */
static void
start_head (TgQueuedTokenStore *self)
{
  TgQueuedTokenStorePrivate *priv = tg_queued_token_store_get_instance_private (self);
  GTask *task;

  /* An operation cancelled while it waited for its turn never happens. */
  while ((task = g_queue_peek_head (&priv->pending)) != NULL &&
         g_task_return_error_if_cancelled (task))
    g_object_unref (g_queue_pop_head (&priv->pending));

  if (task == NULL)
    return;

  g_signal_connect (task, "notify::completed", G_CALLBACK (head_completed), self);
  TG_QUEUED_TOKEN_STORE_GET_CLASS (self)->run (self, task, g_task_get_task_data (task));
}

static void
enqueue (TgQueuedTokenStore  *self,
         TgStoreOpKind        kind,
         gpointer             source_tag,
         const char          *account,
         TgTokens            *tokens,
         GCancellable        *cancellable,
         GAsyncReadyCallback  callback,
         gpointer             user_data)
{
  TgQueuedTokenStorePrivate *priv = tg_queued_token_store_get_instance_private (self);
  g_autoptr(GTask) task = NULL;
  TgStoreOp *op;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  op = g_new0 (TgStoreOp, 1);
  op->kind = kind;
  op->account = g_strdup (account);
  op->tokens = tokens != NULL ? tg_tokens_ref (tokens) : NULL;
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);

  g_queue_push_tail (&priv->pending, g_steal_pointer (&task));
  if (g_queue_get_length (&priv->pending) == 1)
    start_head (self);
}

static void
tg_queued_token_store_load_async (TgTokenStore        *store,
                                  const char          *account,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  enqueue (TG_QUEUED_TOKEN_STORE (store), TG_STORE_OP_LOAD, tg_token_store_load_async,
           account, NULL, cancellable, callback, user_data);
}

static void
tg_queued_token_store_save_async (TgTokenStore        *store,
                                  const char          *account,
                                  TgTokens            *tokens,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  enqueue (TG_QUEUED_TOKEN_STORE (store), TG_STORE_OP_SAVE, tg_token_store_save_async,
           account, tokens, cancellable, callback, user_data);
}

static void
tg_queued_token_store_clear_async (TgTokenStore        *store,
                                   const char          *account,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  enqueue (TG_QUEUED_TOKEN_STORE (store), TG_STORE_OP_CLEAR, tg_token_store_clear_async,
           account, NULL, cancellable, callback, user_data);
}

static void
tg_queued_token_store_iface_init (TgTokenStoreInterface *iface)
{
  /* The default _finish vfuncs fit: every task comes from enqueue(). */
  iface->load_async = tg_queued_token_store_load_async;
  iface->save_async = tg_queued_token_store_save_async;
  iface->clear_async = tg_queued_token_store_clear_async;
}

static void
tg_queued_token_store_finalize (GObject *object)
{
  TgQueuedTokenStore *self = TG_QUEUED_TOKEN_STORE (object);
  TgQueuedTokenStorePrivate *priv = tg_queued_token_store_get_instance_private (self);

  /* Every pending task holds a reference to the store. */
  g_assert (g_queue_is_empty (&priv->pending));

  G_OBJECT_CLASS (tg_queued_token_store_parent_class)->finalize (object);
}

static void
tg_queued_token_store_class_init (TgQueuedTokenStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tg_queued_token_store_finalize;
}

static void
tg_queued_token_store_init (TgQueuedTokenStore *self)
{
  TgQueuedTokenStorePrivate *priv = tg_queued_token_store_get_instance_private (self);

  g_queue_init (&priv->pending);
}
