/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include "tg-queued-token-store-private.h"

G_BEGIN_DECLS

#define TG_TYPE_FILE_TOKEN_STORE (tg_file_token_store_get_type ())
G_DECLARE_FINAL_TYPE (TgFileTokenStore, tg_file_token_store, TG, FILE_TOKEN_STORE, TgQueuedTokenStore)

TgTokenStore *tg_file_token_store_new (const char *directory);

G_END_DECLS
