/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "tg-tokens.h"
#include "tg-transport.h"

G_BEGIN_DECLS

/**
 * TgAuthProtocolKind:
 * @TG_AUTH_PROTOCOL_SEED: the seed posts' JSON API (`/authorization/token`,
 *   `/authorization/refresh`)
 * @TG_AUTH_PROTOCOL_OAUTH2: OAuth 2.0 (RFC 6749 password and refresh_token
 *   grants, form-encoded, at a token endpoint; RFC 7009 revocation)
 */
typedef enum {
  TG_AUTH_PROTOCOL_SEED,
  TG_AUTH_PROTOCOL_OAUTH2,
} TgAuthProtocolKind;

/**
 * TgAuthOperation:
 *
 * Which exchange an answer belongs to: errors are classified differently (a
 * rejected sign-in is bad credentials, a rejected refresh ends the session).
 */
typedef enum {
  TG_AUTH_OPERATION_SIGN_IN,
  TG_AUTH_OPERATION_REFRESH,
} TgAuthOperation;

#define TG_TYPE_AUTH_PROTOCOL (tg_auth_protocol_get_type ())
G_DECLARE_FINAL_TYPE (TgAuthProtocol, tg_auth_protocol, TG, AUTH_PROTOCOL, GObject)

TgAuthProtocol     *tg_auth_protocol_new_seed          (const char      *base_uri,
                                                        GError         **error);
TgAuthProtocol     *tg_auth_protocol_new_oauth2        (const char      *token_endpoint,
                                                        const char      *revocation_endpoint,
                                                        const char      *client_id,
                                                        const char      *client_secret,
                                                        const char      *scope,
                                                        GError         **error);
TgAuthProtocolKind  tg_auth_protocol_get_kind          (TgAuthProtocol  *self);
const char         *tg_auth_protocol_get_token_uri     (TgAuthProtocol  *self);

SoupMessage        *tg_auth_protocol_new_sign_in_message (TgAuthProtocol *self,
                                                          const char     *user_name,
                                                          const char     *password);
SoupMessage        *tg_auth_protocol_new_refresh_message (TgAuthProtocol *self,
                                                          const char     *refresh_token);
SoupMessage        *tg_auth_protocol_new_revoke_message  (TgAuthProtocol *self,
                                                          const char     *refresh_token);

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
