/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * _tg_server_parse_basic(): the Authorization header a client authenticates
 * with at /oauth2/token and /oauth2/revoke (RFC 6749 §2.3.1), read before
 * any client or secret is looked at. The input's first line is the header's
 * value as libsoup hands it over. What it accepts must be UTF-8 without NUL,
 * the client ID not empty, and must read back the same once encoded again
 * the way a client does.
 */
#include "config.h"

#include <gio/gio.h>

#include "fuzz-common.h"
#include "tg-server-private.h"

/* What a client sends (RFC 6749 §2.3.1, Appendix B): each form-urlencoded,
 * joined by a colon, in Base64. */
static char *
encode_basic (const char *client_id,
              const char *secret)
{
  g_autofree char *id_escaped = g_uri_escape_string (client_id, NULL, FALSE);
  g_autofree char *secret_escaped = g_uri_escape_string (secret, NULL, FALSE);
  g_autofree char *joined = g_strconcat (id_escaped, ":", secret_escaped, NULL);
  g_autofree char *encoded = g_base64_encode ((const guchar *) joined, strlen (joined));

  return g_strconcat ("Basic ", encoded, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *header = NULL;
  g_autofree char *client_id = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *again = NULL;
  g_autofree char *client_id_again = NULL;
  g_autofree char *secret_again = NULL;

  fuzz_init ();
  header = fuzz_take_line (&data, &size);
  if (!_tg_server_parse_basic (header, &client_id, &secret))
    {
      g_assert (client_id == NULL && secret == NULL);
      return 0;
    }

  g_assert (client_id != NULL && client_id[0] != '\0' && secret != NULL);
  g_assert (g_utf8_validate (client_id, -1, NULL));
  g_assert (g_utf8_validate (secret, -1, NULL));

  again = encode_basic (client_id, secret);
  g_assert (_tg_server_parse_basic (again, &client_id_again, &secret_again));
  g_assert_cmpstr (client_id_again, ==, client_id);
  g_assert_cmpstr (secret_again, ==, secret);
  return 0;
}
