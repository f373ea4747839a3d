/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tg_jwt_verify(), as the server runs it on the token of every
 * `Authorization: Bearer` header, and tg_base64url_decode() under it.
 *
 * Two modes, by the first byte:
 *   even: the rest is the token, exactly as it came in the header;
 *   odd:  the rest is "HEADER-JSON\nPAYLOAD-JSON", which the target encodes and
 *         signs with the server's key. A random token's signature never
 *         matches, so only this mode gets past it to the claims: the code that
 *         reads them runs only for tokens the server itself signed, but a
 *         claim set it has never issued must still not break it.
 * Whatever verifies must survive a round trip through tg_jwt_encode(), and the
 * server's TgJwtVerifier must agree with tg_jwt_verify() on every input.
 */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "tg-base64url.h"
#include "tg-jwt.h"

#define KID "1"
#define ISS "urn:tokengate:demo-server"
#define AUD "urn:tokengate:api"
/* 2026-01-01: within the corpus tokens' nbf..exp. */
#define NOW G_GINT64_CONSTANT (1767225600)

static const guint8 key_bytes[32] = "fuzz-key-not-a-secret-0123456789";

static char *
sign (GBytes     *key,
      const char *header,
      gsize       header_len,
      const char *payload,
      gsize       payload_len)
{
  g_autofree char *header64 = tg_base64url_encode ((const guint8 *) header, header_len);
  g_autofree char *payload64 = tg_base64url_encode ((const guint8 *) payload, payload_len);
  g_autofree char *input = g_strconcat (header64, ".", payload64, NULL);
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, g_bytes_get_data (key, NULL),
                                      g_bytes_get_size (key));
  g_autofree char *signature64 = NULL;
  guint8 mac[32];
  gsize mac_len = sizeof mac;

  g_hmac_update (hmac, (const guchar *) input, -1);
  g_hmac_get_digest (hmac, mac, &mac_len);
  signature64 = tg_base64url_encode (mac, mac_len);

  return g_strconcat (input, ".", signature64, NULL);
}

/* The server's verifier lives as long as the process, as it does here: it has
 * seen every input before this one, and must still say what tg_jwt_verify()
 * says, whether or not it had seen @token. */
static void
assert_verifier_agrees (GBytes            *key,
                        const char        *token,
                        const TgJwtClaims *claims,
                        const GError      *error)
{
  static TgJwtVerifier *verifier;

  if (verifier == NULL)
    verifier = tg_jwt_verifier_new (key, KID, ISS, AUD);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GError) verifier_error = NULL;
      const TgJwtClaims *verified = tg_jwt_verifier_verify (verifier, NOW, token, &verifier_error);

      if (claims == NULL)
        {
          g_assert (verified == NULL);
          g_assert_error (verifier_error, error->domain, error->code);
          g_assert_cmpstr (verifier_error->message, ==, error->message);
          continue;
        }
      g_assert_no_error (verifier_error);
      g_assert_cmpstr (verified->sub, ==, claims->sub);
      g_assert_cmpstr (verified->name, ==, claims->name);
      g_assert_cmpstr (verified->jti, ==, claims->jti);
      g_assert_cmpint (verified->sid, ==, claims->sid);
      g_assert_cmpint (verified->iat, ==, claims->iat);
      g_assert_cmpint (verified->nbf, ==, claims->nbf);
      g_assert_cmpint (verified->exp, ==, claims->exp);
    }
}

static void
verify (GBytes     *key,
        const char *token)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgJwtClaims) claims = NULL;
  g_autoptr(TgJwtClaims) again = NULL;
  g_autofree char *reencoded = NULL;

  claims = tg_jwt_verify (key, KID, ISS, AUD, NOW, token, &error);
  assert_verifier_agrees (key, token, claims, error);
  if (claims == NULL)
    {
      g_assert (error != NULL && error->domain == TG_JWT_ERROR);
      return;
    }
  g_assert_no_error (error);
  g_assert (claims->sub != NULL && claims->sub[0] != '\0');
  g_assert (claims->nbf <= NOW && NOW < claims->exp);

  /* tg_jwt_encode() takes UTF-8 only; json-glib lets other bytes through,
   * and the server only ever re-encodes claims it made itself. */
  if (!g_utf8_validate (claims->sub, -1, NULL) ||
      (claims->name != NULL && !g_utf8_validate (claims->name, -1, NULL)) ||
      (claims->jti != NULL && !g_utf8_validate (claims->jti, -1, NULL)))
    return;

  reencoded = tg_jwt_encode (key, KID, claims);
  again = tg_jwt_verify (key, KID, ISS, AUD, NOW, reencoded, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->sub, ==, claims->sub);
  g_assert_cmpstr (again->name, ==, claims->name);
  if (claims->jti != NULL)  /* else tg_jwt_encode() made up one */
    g_assert_cmpstr (again->jti, ==, claims->jti);
  g_assert_cmpint (again->sid, ==, claims->sid);
  g_assert_cmpint (again->exp, ==, claims->exp);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) key = NULL;

  fuzz_init ();
  if (size < 1)
    return 0;

  key = g_bytes_new_static (key_bytes, sizeof key_bytes);

  if ((data[0] & 1) == 0)
    {
      /* The header value is a C string: it ends at a NUL. */
      g_autofree char *token = g_strndup ((const char *) data + 1, size - 1);

      verify (key, token);
    }
  else
    {
      const char *text = (const char *) data + 1;
      gsize len = size - 1;
      const char *newline = memchr (text, '\n', len);
      g_autofree char *token = NULL;

      if (newline == NULL)
        return 0;
      token = sign (key, text, (gsize) (newline - text), newline + 1,
                    len - (gsize) (newline + 1 - text));
      verify (key, token);
    }

  return 0;
}
