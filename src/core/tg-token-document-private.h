/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include "tg-tokens.h"

G_BEGIN_DECLS

/* The largest stored document either store reads: a pair is a few KiB. */
#define TG_TOKEN_DOCUMENT_MAX_SIZE (64 * 1024)

char     *_tg_token_document_serialize (TgTokens    *tokens,
                                        gsize       *length);
TgTokens *_tg_token_document_parse     (const char  *data,
                                        gsize        length,
                                        GError     **error);

G_END_DECLS
