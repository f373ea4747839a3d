/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include <gio/gio.h>

#include "tg-version-macros.h"

G_BEGIN_DECLS

/**
 * TgAuthProtocolKind:
 * @TG_AUTH_PROTOCOL_SEED: the seed posts' JSON API (`/authorization/token`,
 *   `/authorization/refresh`)
 * @TG_AUTH_PROTOCOL_OAUTH2: OAuth 2.0 (RFC 6749 password and refresh_token
 *   grants, form-encoded, at a token endpoint; RFC 7009 revocation)
 *
 * Which wire protocol a #TgAuthProtocol speaks.
 */
typedef enum {
  TG_AUTH_PROTOCOL_SEED,
  TG_AUTH_PROTOCOL_OAUTH2,
} TgAuthProtocolKind;

/**
 * TgAuthProtocol:
 *
 * How a sign-in and a refresh look on the wire, and how their answers are
 * read: the seed posts' JSON API (tg_auth_protocol_new_seed()) or OAuth 2.0
 * password and refresh-token grants (tg_auth_protocol_new_oauth2()).
 *
 * Pass one to tg_token_manager_new(). A protocol is immutable once made, so
 * one may serve several managers.
 *
 * Tokens are only ever sent over HTTPS, or over plain HTTP to this computer's
 * loopback address.
 */
#define TG_TYPE_AUTH_PROTOCOL (tg_auth_protocol_get_type ())
TG_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (TgAuthProtocol, tg_auth_protocol, TG, AUTH_PROTOCOL, GObject)

TG_AVAILABLE_IN_ALL
TgAuthProtocol     *tg_auth_protocol_new_seed          (const char      *base_uri,
                                                        GError         **error);
TG_AVAILABLE_IN_ALL
TgAuthProtocol     *tg_auth_protocol_new_oauth2        (const char      *token_endpoint,
                                                        const char      *revocation_endpoint,
                                                        const char      *client_id,
                                                        const char      *client_secret,
                                                        const char      *scope,
                                                        GError         **error);
TG_AVAILABLE_IN_ALL
TgAuthProtocolKind  tg_auth_protocol_get_kind          (TgAuthProtocol  *self);
TG_AVAILABLE_IN_ALL
const char         *tg_auth_protocol_get_token_uri     (TgAuthProtocol  *self);

G_END_DECLS
