/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include <gio/gio.h>

#include "tg-tokens.h"
#include "tg-version-macros.h"

G_BEGIN_DECLS

/**
 * TgTokenStore:
 *
 * Where a session's token pair outlives the process.
 *
 * tg_token_store_new_default_async() gives the store an application should
 * use: the Secret Service (or, inside Flatpak, the secret portal) and a
 * private file when neither is there. Give the store to tg_token_manager_new(),
 * or %NULL to keep the session in memory only.
 *
 * An implementation runs one store's operations in the order they were
 * started, and keeps the pair whole: a save leaves the old pair or the new
 * one, never a mix.
 */
#define TG_TYPE_TOKEN_STORE (tg_token_store_get_type ())
TG_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (TgTokenStore, tg_token_store, TG, TOKEN_STORE, GObject)

/**
 * TgTokenStoreInterface:
 * @load_async: reads the pair saved for an account
 * @save_async: replaces it (atomically: the old pair or the new, never half)
 * @clear_async: removes it
 *
 * Where a session's tokens outlive the process. An account is any string that
 * names one session, e.g. the server URI and the user name.
 *
 * The default _finish vfuncs take a #GTask whose source object is the store
 * and whose source tag is the public function that started the operation
 * (e.g. tg_token_store_load_async()); a store that returns anything else sets
 * its own.
 */
struct _TgTokenStoreInterface
{
  GTypeInterface parent_iface;

  void       (*load_async)   (TgTokenStore         *self,
                              const char           *account,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data);
  TgTokens * (*load_finish)  (TgTokenStore         *self,
                              GAsyncResult         *result,
                              GError              **error);
  void       (*save_async)   (TgTokenStore         *self,
                              const char           *account,
                              TgTokens             *tokens,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data);
  gboolean   (*save_finish)  (TgTokenStore         *self,
                              GAsyncResult         *result,
                              GError              **error);
  void       (*clear_async)  (TgTokenStore         *self,
                              const char           *account,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data);
  gboolean   (*clear_finish) (TgTokenStore         *self,
                              GAsyncResult         *result,
                              GError              **error);
};

TG_AVAILABLE_IN_ALL
void       tg_token_store_load_async    (TgTokenStore         *self,
                                         const char           *account,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
TG_AVAILABLE_IN_ALL
TgTokens  *tg_token_store_load_finish   (TgTokenStore         *self,
                                         GAsyncResult         *result,
                                         GError              **error);
TG_AVAILABLE_IN_ALL
void       tg_token_store_save_async    (TgTokenStore         *self,
                                         const char           *account,
                                         TgTokens             *tokens,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
TG_AVAILABLE_IN_ALL
gboolean   tg_token_store_save_finish   (TgTokenStore         *self,
                                         GAsyncResult         *result,
                                         GError              **error);
TG_AVAILABLE_IN_ALL
void       tg_token_store_clear_async   (TgTokenStore         *self,
                                         const char           *account,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
TG_AVAILABLE_IN_ALL
gboolean   tg_token_store_clear_finish  (TgTokenStore         *self,
                                         GAsyncResult         *result,
                                         GError              **error);

TG_AVAILABLE_IN_ALL
void          tg_token_store_new_default_async  (GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
TG_AVAILABLE_IN_ALL
TgTokenStore *tg_token_store_new_default_finish (GAsyncResult         *result,
                                                 GError              **error);

G_END_DECLS
