/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include <glib-object.h>

#include "tg-version-macros.h"

G_BEGIN_DECLS

#define TG_TYPE_TOKENS (tg_tokens_get_type ())

/**
 * TgTokens:
 *
 * An immutable, reference-counted token pair: the access token, the refresh
 * token (may be %NULL when the server issued none), and when the access token
 * expires in *local* real time (g_get_real_time() microseconds, already
 * corrected for the server's clock skew; 0 when unknown). The strings are wiped
 * from memory when the last reference goes.
 */
typedef struct _TgTokens TgTokens;

TG_AVAILABLE_IN_ALL
GType        tg_tokens_get_type          (void) G_GNUC_CONST;
TG_AVAILABLE_IN_ALL
TgTokens    *tg_tokens_new               (const char *access_token,
                                          const char *refresh_token,
                                          gint64      expires_at);
TG_AVAILABLE_IN_ALL
TgTokens    *tg_tokens_ref               (TgTokens   *tokens);
TG_AVAILABLE_IN_ALL
void         tg_tokens_unref             (TgTokens   *tokens);
TG_AVAILABLE_IN_ALL
const char  *tg_tokens_get_access_token  (TgTokens   *tokens);
TG_AVAILABLE_IN_ALL
const char  *tg_tokens_get_refresh_token (TgTokens   *tokens);
TG_AVAILABLE_IN_ALL
gint64       tg_tokens_get_expires_at    (TgTokens   *tokens);
TG_AVAILABLE_IN_ALL
TgTokens    *tg_tokens_with_access_token (TgTokens   *tokens,
                                          const char *access_token);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgTokens, tg_tokens_unref)

G_END_DECLS
