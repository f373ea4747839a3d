/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tg-queued-token-store-private.h"

G_BEGIN_DECLS

#define TG_TYPE_SECRET_TOKEN_STORE (tg_secret_token_store_get_type ())
G_DECLARE_FINAL_TYPE (TgSecretTokenStore, tg_secret_token_store, TG, SECRET_TOKEN_STORE, TgQueuedTokenStore)

TgTokenStore *tg_secret_token_store_new (void);

G_END_DECLS
