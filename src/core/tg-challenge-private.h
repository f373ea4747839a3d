/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * TgChallenge:
 * @scheme: the auth-scheme as sent (compare it with g_ascii_strcasecmp())
 * @token68: (nullable): the token68 form of the credentials, if that is what
 *   the challenge carries
 * @params: the auth-params, unquoted: name, value, name, value, …, %NULL;
 *   never %NULL itself (an empty list when there are none)
 *
 * One challenge of a `WWW-Authenticate` (or `Proxy-Authenticate`) field,
 * RFC 9110 §11.6.1.
 */
typedef struct {
  char  *scheme;   /* owned */
  char  *token68;  /* owned, nullable */
  char **params;   /* owned */
} TgChallenge;

void        tg_challenge_free       (TgChallenge       *challenge);
const char *tg_challenge_get_param  (const TgChallenge *challenge,
                                     const char        *name);

GPtrArray  *tg_challenge_parse_list (const char        *header_value,
                                     GError           **error);

gboolean    tg_challenge_bearer_refresh_can_help (const char *header_value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgChallenge, tg_challenge_free)

G_END_DECLS
