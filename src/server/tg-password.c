/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Password hashes: PBKDF2-HMAC-SHA256 (RFC 8018 §5.2), stored as
 *
 *   pbkdf2-sha256$ITERATIONS$SALT$DK
 *
 * with SALT and DK in base64url without padding. The iteration count travels with
 * each hash, so the default can be raised later without invalidating old ones.
 */
#define G_LOG_DOMAIN "tg-password"

#include "config.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "tg-base64url.h"
#include "tg-crypto.h"
#include "tg-password.h"

#define SCHEME "pbkdf2-sha256"
#define SALT_BYTES 16
#define DK_BYTES 32

/* What tg_password_verify() accepts from a stored hash. The upper bound on the
 * iterations keeps a corrupted or hostile row from pinning a CPU for minutes. */
#define MIN_SALT_BYTES 8
#define MAX_SALT_BYTES 64
#define MAX_ITERATIONS 10000000
#define MAX_ITERATIONS_DIGITS 8

static gboolean
derive (const char   *password,
        const guint8 *salt,
        gsize         salt_len,
        guint         iterations,
        guint8        dk[DK_BYTES])
{
  gnutls_datum_t key = { (unsigned char *) password, (unsigned int) strlen (password) };
  gnutls_datum_t salt_datum = { (unsigned char *) salt, (unsigned int) salt_len };
  int ret;

  ret = gnutls_pbkdf2 (GNUTLS_MAC_SHA256, &key, &salt_datum, iterations, dk, DK_BYTES);
  if (ret < 0)
    {
      g_warning ("gnutls_pbkdf2() failed: %s", gnutls_strerror (ret));
      return FALSE;
    }
  return TRUE;
}

/**
 * tg_password_hash:
 * @password: the password, UTF-8
 * @iterations: PBKDF2 iteration count, from 1 to 10,000,000; normally
 *   %TG_PASSWORD_DEFAULT_ITERATIONS
 *
 * Hashes @password with a fresh random 16-byte salt.
 *
 * Returns: (transfer full): the encoded hash, `pbkdf2-sha256$ITERATIONS$SALT$DK`,
 *   for tg_password_verify()
 */
char *
tg_password_hash (const char *password,
                  guint       iterations)
{
  guint8 salt[SALT_BYTES];
  guint8 dk[DK_BYTES];
  g_autofree char *salt_text = NULL;
  g_autofree char *dk_text = NULL;

  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (iterations >= 1 && iterations <= MAX_ITERATIONS, NULL);

  tg_crypto_random_bytes (salt, sizeof salt);
  /* GnuTLS only fails here for arguments we never pass (an unknown MAC, a zero
   * count); storing no hash at all would be worse than stopping. */
  if (!derive (password, salt, sizeof salt, iterations, dk))
    g_error ("Could not hash a password");

  salt_text = tg_base64url_encode (salt, sizeof salt);
  dk_text = tg_base64url_encode (dk, sizeof dk);
  gnutls_memset (dk, 0, sizeof dk);

  return g_strdup_printf (SCHEME "$%u$%s$%s", iterations, salt_text, dk_text);
}

/* Only the canonical spelling of a number from 1 to MAX_ITERATIONS: ASCII digits,
 * no sign, no space, no leading zero. */
static gboolean
parse_iterations (const char *text,
                  guint      *out)
{
  gsize len = strlen (text);
  guint value = 0;

  if (len == 0 || len > MAX_ITERATIONS_DIGITS || text[0] == '0')
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        return FALSE;
      value = value * 10 + (guint) (text[i] - '0');
    }

  /* Zero is excluded above already, but nettle aborts on it, so be explicit. */
  if (value < 1 || value > MAX_ITERATIONS)
    return FALSE;

  *out = value;
  return TRUE;
}

/* Our encoder never pads, so neither may what we read back. */
static guint8 *
decode_field (const char *text,
              gsize      *out_len)
{
  if (strchr (text, '=') != NULL)
    return NULL;
  return tg_base64url_decode (text, -1, out_len);
}

/**
 * tg_password_verify:
 * @password: (nullable): the password someone typed
 * @encoded: (nullable): a hash from tg_password_hash()
 *
 * Checks @password against @encoded. @encoded is parsed strictly, since it comes
 * from storage we do not fully control: anything that is not exactly a hash as
 * tg_password_hash() writes them (with 1 to 10,000,000 iterations, an 8- to
 * 64-byte salt and a 32-byte key) is simply a mismatch. The derived keys are
 * compared in constant time.
 *
 * Returns: %TRUE if @password matches
 */
gboolean
tg_password_verify (const char *password,
                    const char *encoded)
{
  g_auto(GStrv) fields = NULL;
  g_autofree guint8 *salt = NULL;
  g_autofree guint8 *expected = NULL;
  guint8 dk[DK_BYTES];
  gsize salt_len;
  gsize expected_len;
  guint iterations;
  gboolean equal;

  /* Both come from outside (a request, a database row): no assertions. */
  if (password == NULL || encoded == NULL)
    return FALSE;

  /* Five at most, so that a fifth field is seen rather than glued to the fourth. */
  fields = g_strsplit (encoded, "$", 5);
  if (g_strv_length (fields) != 4 || strcmp (fields[0], SCHEME) != 0)
    return FALSE;

  if (!parse_iterations (fields[1], &iterations))
    return FALSE;

  salt = decode_field (fields[2], &salt_len);
  if (salt == NULL || salt_len < MIN_SALT_BYTES || salt_len > MAX_SALT_BYTES)
    return FALSE;

  expected = decode_field (fields[3], &expected_len);
  if (expected == NULL || expected_len != DK_BYTES)
    return FALSE;

  if (!derive (password, salt, salt_len, iterations, dk))
    return FALSE;

  equal = tg_crypto_equal (dk, expected, DK_BYTES);
  gnutls_memset (dk, 0, sizeof dk);

  return equal;
}

/**
 * tg_password_get_iterations:
 * @encoded: (nullable): a hash from tg_password_hash()
 *
 * Returns: the PBKDF2 iteration count @encoded was made with, which is what
 *   checking a password against it costs; 0 if @encoded is no such hash
 */
guint
tg_password_get_iterations (const char *encoded)
{
  g_auto(GStrv) fields = NULL;
  guint iterations = 0;

  if (encoded == NULL)
    return 0;

  fields = g_strsplit (encoded, "$", 5);
  if (g_strv_length (fields) != 4 || strcmp (fields[0], SCHEME) != 0 ||
      !parse_iterations (fields[1], &iterations))
    return 0;

  return iterations;
}
