/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The token pair as an immutable, atomically reference-counted box: the token
 * manager hands the same pair to the store, the API client and the UI from
 * several threads' callbacks, and nobody may change it under another's feet.
 */
#define G_LOG_DOMAIN "tg-tokens"

#include "config.h"

#include <string.h>

#include "tg-tokens.h"

struct _TgTokens {
  char   *access_token;   /* owned, wiped */
  char   *refresh_token;  /* owned, nullable, wiped */
  gint64  expires_at;     /* g_get_real_time() µs; 0 when unknown */
};

G_DEFINE_BOXED_TYPE (TgTokens, tg_tokens, tg_tokens_ref, tg_tokens_unref)

static void
wipe_string (char *text)
{
  /* explicit_bzero(), not memset(): the compiler may drop a store to memory
   * that is freed right after. */
  if (text != NULL)
    explicit_bzero (text, strlen (text));
  g_free (text);
}

static void
tg_tokens_clear (TgTokens *tokens)
{
  wipe_string (tokens->access_token);
  wipe_string (tokens->refresh_token);
}

/**
 * tg_tokens_new:
 * @access_token: the access token; not empty
 * @refresh_token: (nullable): the refresh token, or %NULL (or "") if the server
 *   issued none
 * @expires_at: when @access_token expires, in g_get_real_time() microseconds,
 *   or 0 when unknown
 *
 * Returns: (transfer full): a new token pair
 */
TgTokens *
tg_tokens_new (const char *access_token,
               const char *refresh_token,
               gint64      expires_at)
{
  TgTokens *tokens;

  g_return_val_if_fail (access_token != NULL && *access_token != '\0', NULL);
  g_return_val_if_fail (expires_at >= 0, NULL);

  tokens = g_atomic_rc_box_new0 (TgTokens);
  tokens->access_token = g_strdup (access_token);
  /* One spelling of "no refresh token", so that callers test for NULL only. */
  tokens->refresh_token = refresh_token != NULL && *refresh_token != '\0'
                            ? g_strdup (refresh_token) : NULL;
  tokens->expires_at = expires_at;

  return tokens;
}

/**
 * tg_tokens_ref:
 * @tokens: a #TgTokens
 *
 * Returns: (transfer full): @tokens
 */
TgTokens *
tg_tokens_ref (TgTokens *tokens)
{
  g_return_val_if_fail (tokens != NULL, NULL);

  return g_atomic_rc_box_acquire (tokens);
}

/**
 * tg_tokens_unref:
 * @tokens: (transfer full): a #TgTokens
 *
 * Drops a reference; the last one wipes the token strings before freeing them.
 */
void
tg_tokens_unref (TgTokens *tokens)
{
  g_return_if_fail (tokens != NULL);

  g_atomic_rc_box_release_full (tokens, (GDestroyNotify) tg_tokens_clear);
}

/**
 * tg_tokens_get_access_token:
 * @tokens: a #TgTokens
 *
 * Returns: (transfer none): the access token, valid as long as @tokens is
 */
const char *
tg_tokens_get_access_token (TgTokens *tokens)
{
  g_return_val_if_fail (tokens != NULL, NULL);

  return tokens->access_token;
}

/**
 * tg_tokens_get_refresh_token:
 * @tokens: a #TgTokens
 *
 * Returns: (transfer none) (nullable): the refresh token, or %NULL if there is none
 */
const char *
tg_tokens_get_refresh_token (TgTokens *tokens)
{
  g_return_val_if_fail (tokens != NULL, NULL);

  return tokens->refresh_token;
}

/**
 * tg_tokens_get_expires_at:
 * @tokens: a #TgTokens
 *
 * Returns: when the access token expires, in local g_get_real_time()
 *   microseconds (corrected for the server's clock skew), or 0 when unknown
 */
gint64
tg_tokens_get_expires_at (TgTokens *tokens)
{
  g_return_val_if_fail (tokens != NULL, 0);

  return tokens->expires_at;
}

/**
 * tg_tokens_with_access_token:
 * @tokens: a #TgTokens
 * @access_token: the access token to put in its place; not empty
 *
 * A copy of @tokens with another access token and the same refresh token and
 * expiry (the demo's "break the token" replaces only the access token).
 *
 * Returns: (transfer full): a new token pair
 */
TgTokens *
tg_tokens_with_access_token (TgTokens   *tokens,
                             const char *access_token)
{
  g_return_val_if_fail (tokens != NULL, NULL);
  g_return_val_if_fail (access_token != NULL && *access_token != '\0', NULL);

  return tg_tokens_new (access_token, tokens->refresh_token, tokens->expires_at);
}
