/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include "tg-auth-protocol-private.h"
#include "tg-auth-secrets-private.h"

G_BEGIN_DECLS

TgTokens *_tg_auth_answer_parse              (TgAuthProtocolKind   kind,
                                              TgAuthOperation      operation,
                                              const TgHttpReply   *reply,
                                              const char          *previous_refresh_token,
                                              TgAuthSecrets       *secrets,
                                              gint64               now,
                                              GError             **error);
char     *_tg_auth_answer_read_refresh_token (TgAuthProtocolKind   kind,
                                              const TgHttpReply   *reply);

G_END_DECLS
