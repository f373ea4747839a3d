/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include <glib.h>

#include "tg-version-macros.h"

G_BEGIN_DECLS

#define TG_AUTH_ERROR (tg_auth_error_quark ())

/**
 * TgAuthError:
 * @TG_AUTH_ERROR_SESSION_EXPIRED: the session is over (refresh rejected with
 *   `invalid_grant`, a retried request rejected again, or signed out): sign in again
 * @TG_AUTH_ERROR_REFRESH_FAILED: the refresh did not happen (network error, 5xx,
 *   timeout, unparseable answer); the session is kept and a later request may try again
 * @TG_AUTH_ERROR_PROTOCOL: the server's answer could not be understood
 * @TG_AUTH_ERROR_INSECURE: a token would have gone over plain HTTP to a host that
 *   is not loopback
 * @TG_AUTH_ERROR_BAD_CREDENTIALS: sign-in refused: wrong user name or password
 * @TG_AUTH_ERROR_SERVER: the server answered an HTTP error that is not about
 *   credentials (for example 500 during sign-in)
 * @TG_AUTH_ERROR_SIGNED_OUT: there is no session to use
 * @TG_AUTH_ERROR_NOT_A_PROVIDER: discovery found no usable OpenID Connect or
 *   OAuth 2.0 provider metadata at the issuer
 * @TG_AUTH_ERROR_AUTHORIZATION_FAILED: a browser sign-in ended without a
 *   usable authorization: the provider answered an error (such as
 *   `access_denied`), the answer did not belong to this sign-in (`state`,
 *   `iss`), or the authorization code was refused
 */
typedef enum {
  TG_AUTH_ERROR_SESSION_EXPIRED,
  TG_AUTH_ERROR_REFRESH_FAILED,
  TG_AUTH_ERROR_PROTOCOL,
  TG_AUTH_ERROR_INSECURE,
  TG_AUTH_ERROR_BAD_CREDENTIALS,
  TG_AUTH_ERROR_SERVER,
  TG_AUTH_ERROR_SIGNED_OUT,
  TG_AUTH_ERROR_NOT_A_PROVIDER,
  TG_AUTH_ERROR_AUTHORIZATION_FAILED,
} TgAuthError;

TG_AVAILABLE_IN_ALL
GQuark tg_auth_error_quark (void);

G_END_DECLS
