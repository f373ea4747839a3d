/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include "tg-token-store.h"

G_BEGIN_DECLS

/* Private to the core's two stores: the stored JSON document they share. */
#define _TG_TOKEN_STORE_MAX_DOCUMENT_SIZE (64 * 1024)
char     *_tg_token_store_serialize (TgTokens    *tokens,
                                     gsize       *length);
TgTokens *_tg_token_store_parse     (const char  *data,
                                     gsize        length,
                                     GError     **error);

/* Private to the tests: how long one attempt to reach the secret portal may take. */
void      _tg_token_store_set_portal_attempt_ms (guint ms);

G_END_DECLS
