/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * _tg_provider_parse(): the metadata document discovery reads from whatever
 * answers at an issuer's well-known URI. Whatever it accepts must be usable
 * as it says: the issuer asked for, and a token endpoint.
 */
#include "config.h"

#include <gio/gio.h>

#include "fuzz-common.h"
#include "tg-auth-error.h"
#include "tg-provider-private.h"

#define ISSUER "https://id.example"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgProvider) provider = NULL;

  fuzz_init ();
  provider = _tg_provider_parse (ISSUER, (const char *) data, size, &error);
  if (provider == NULL)
    {
      g_assert (error != NULL && error->domain == TG_AUTH_ERROR);
      return 0;
    }

  g_assert_no_error (error);
  g_assert (g_str_has_prefix (tg_provider_get_issuer (provider), ISSUER));
  g_assert (tg_provider_get_token_endpoint (provider) != NULL);
  return 0;
}
