/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tg-queued-token-store-private.h"

G_BEGIN_DECLS

#define TG_TYPE_FILE_TOKEN_STORE (tg_file_token_store_get_type ())
G_DECLARE_FINAL_TYPE (TgFileTokenStore, tg_file_token_store, TG, FILE_TOKEN_STORE, TgQueuedTokenStore)

TgTokenStore *tg_file_token_store_new (const char *directory);

G_END_DECLS
