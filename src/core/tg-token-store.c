/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgTokenStore: where a session's token pair outlives the process. This file
 * is the interface alone: its public wrappers and the default _finish vfuncs.
 * The implementations (TgSecretTokenStore, TgFileTokenStore) share their
 * operation queue (tg-queued-token-store.c) and their stored document
 * (tg-token-document.c); which one a session gets is decided in
 * tg-default-token-store.c.
 */
#define G_LOG_DOMAIN "tg-token-store"

#include "config.h"

#include "tg-token-store.h"


G_DEFINE_INTERFACE (TgTokenStore, tg_token_store, G_TYPE_OBJECT)

/* What every public _async and _finish checks of its caller's arguments. */

static gboolean
async_args_valid (TgTokenStore *self,
                  const char   *account,
                  GCancellable *cancellable)
{
  return TG_IS_TOKEN_STORE (self) &&
         account != NULL &&
         (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
}

static gboolean
finish_args_valid (TgTokenStore  *self,
                   GAsyncResult  *result,
                   GError       **error)
{
  return TG_IS_TOKEN_STORE (self) &&
         G_IS_ASYNC_RESULT (result) &&
         (error == NULL || *error == NULL);
}

/* The default _finish vfuncs, for a store whose operations return a GTask from
 * the store, tagged with the public function that started it. */

static gboolean
is_own_task (TgTokenStore *self,
             GAsyncResult *result,
             gpointer      source_tag)
{
  return g_task_is_valid (result, self) && g_task_get_source_tag (G_TASK (result)) == source_tag;
}

static TgTokens *
tg_token_store_real_load_finish (TgTokenStore  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (is_own_task (self, result, tg_token_store_load_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
tg_token_store_real_save_finish (TgTokenStore  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (is_own_task (self, result, tg_token_store_save_async), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
tg_token_store_real_clear_finish (TgTokenStore  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (is_own_task (self, result, tg_token_store_clear_async), FALSE);

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
 * @callback: (scope async): called when the pair has been read
 * @user_data: (closure): data for @callback
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
  g_return_if_fail (async_args_valid (self, account, cancellable));

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
  g_return_val_if_fail (finish_args_valid (self, result, error), NULL);

  return TG_TOKEN_STORE_GET_IFACE (self)->load_finish (self, result, error);
}

/**
 * tg_token_store_save_async:
 * @self: a #TgTokenStore
 * @account: the session's name
 * @tokens: the pair to keep
 * @cancellable: (nullable): a #GCancellable; a save that has not started yet
 *   when it is cancelled does not happen
 * @callback: (nullable) (scope async): called when the pair is stored
 * @user_data: (closure): data for @callback
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
  g_return_if_fail (async_args_valid (self, account, cancellable));
  g_return_if_fail (tokens != NULL);

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
  g_return_val_if_fail (finish_args_valid (self, result, error), FALSE);

  return TG_TOKEN_STORE_GET_IFACE (self)->save_finish (self, result, error);
}

/**
 * tg_token_store_clear_async:
 * @self: a #TgTokenStore
 * @account: the session's name
 * @cancellable: (nullable): a #GCancellable
 * @callback: (nullable) (scope async): called when the pair is gone
 * @user_data: (closure): data for @callback
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
  g_return_if_fail (async_args_valid (self, account, cancellable));

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
  g_return_val_if_fail (finish_args_valid (self, result, error), FALSE);

  return TG_TOKEN_STORE_GET_IFACE (self)->clear_finish (self, result, error);
}
