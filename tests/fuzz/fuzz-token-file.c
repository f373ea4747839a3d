/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The stored session: TgFileTokenStore reads its file (at most 64 KiB) and
 * hands the bytes to _tg_token_store_parse(), the same parser the libsecret
 * store uses for its item. A file can be truncated, tampered with or left by
 * another version. Whatever parses must serialize and parse back the same.
 */
#include "config.h"

#include <gio/gio.h>

#include "fuzz-common.h"
#include "tg-token-store-private.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTokens) tokens = NULL;
  g_autoptr(TgTokens) again = NULL;
  g_autofree char *document = NULL;
  gsize length = 0;

  fuzz_init ();
  tokens = _tg_token_store_parse ((const char *) data, size, &error);
  if (tokens == NULL)
    {
      g_assert (error != NULL);
      return 0;
    }

  g_assert_no_error (error);
  document = _tg_token_store_serialize (tokens, &length);
  again = _tg_token_store_parse (document, length, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tg_tokens_get_access_token (again), ==, tg_tokens_get_access_token (tokens));
  g_assert_cmpstr (tg_tokens_get_refresh_token (again), ==, tg_tokens_get_refresh_token (tokens));
  g_assert_cmpint (tg_tokens_get_expires_at (again), ==, tg_tokens_get_expires_at (tokens));
  return 0;
}
