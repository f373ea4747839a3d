/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include <libsoup/soup.h>

#include "tg-auth-protocol.h"
#include "tg-tokens.h"
#include "tg-transport-private.h"

G_BEGIN_DECLS

/**
 * TgAuthOperation:
 *
 * Which exchange an answer belongs to: errors are classified differently (a
 * rejected sign-in is bad credentials, a rejected refresh ends the session,
 * a rejected authorization code is a failed browser sign-in).
 */
typedef enum {
  TG_AUTH_OPERATION_SIGN_IN,
  TG_AUTH_OPERATION_REFRESH,
  TG_AUTH_OPERATION_EXCHANGE_CODE,
} TgAuthOperation;

SoupMessage        *tg_auth_protocol_new_sign_in_message (TgAuthProtocol *self,
                                                          const char     *user_name,
                                                          const char     *password);
SoupMessage        *tg_auth_protocol_new_refresh_message (TgAuthProtocol *self,
                                                          const char     *refresh_token);
SoupMessage        *tg_auth_protocol_new_revoke_message  (TgAuthProtocol *self,
                                                          const char     *refresh_token);
SoupMessage        *tg_auth_protocol_new_code_message    (TgAuthProtocol *self,
                                                          const char     *code,
                                                          const char     *redirect_uri,
                                                          const char     *code_verifier);
const char         *tg_auth_protocol_get_client_id       (TgAuthProtocol *self);
const char         *tg_auth_protocol_get_scope           (TgAuthProtocol *self);

TgTokens           *tg_auth_protocol_parse_reply       (TgAuthProtocol    *self,
                                                        TgAuthOperation    operation,
                                                        SoupMessage       *request,
                                                        const TgHttpReply *reply,
                                                        const char        *previous_refresh_token,
                                                        gint64             now,
                                                        GError           **error);
char               *tg_auth_protocol_read_refresh_token (TgAuthProtocol    *self,
                                                         const TgHttpReply *reply);
TgTokens           *tg_auth_protocol_parse_answer      (TgAuthProtocol  *self,
                                                        TgAuthOperation  operation,
                                                        SoupMessage     *msg,
                                                        GBytes          *body,
                                                        const char      *previous_refresh_token,
                                                        GError         **error);

gboolean            tg_uri_is_safe_for_tokens          (GUri            *uri,
                                                        GError         **error);

G_END_DECLS
