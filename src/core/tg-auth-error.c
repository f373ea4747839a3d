/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tg-auth-error"

#include "config.h"

#include "tg-auth-error.h"

/**
 * tg_auth_error_quark:
 *
 * The error domain of the token manager and the API client: what went wrong
 * with a session, as opposed to the transport errors libsoup and GIO report.
 *
 * Returns: the #GError domain of #TgAuthError
 */
G_DEFINE_QUARK (tg-auth-error-quark, tg_auth_error)
