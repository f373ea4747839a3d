/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * base64url is what every token is made of; its decoder is the first thing hostile
 * input meets, so it must refuse anything that is not exactly base64url.
 */
#include "config.h"

#include <string.h>

#include "tg-base64url.h"
#include "tg-test-util.h"

typedef struct {
  const char *plain;
  gsize plain_len;
  const char *encoded;
} Vector;

/* RFC 4648 §10, plus inputs that hit the two characters base64url changes
 * (standard "+/8=", "----" is "++++" and "____" is "////"). */
static const Vector vectors[] = {
  { "", 0, "" },
  { "f", 1, "Zg" },
  { "fo", 2, "Zm8" },
  { "foo", 3, "Zm9v" },
  { "foob", 4, "Zm9vYg" },
  { "fooba", 5, "Zm9vYmE" },
  { "foobar", 6, "Zm9vYmFy" },
  { "\xfb\xff", 2, "-_8" },
  { "\xfb\xef\xbe", 3, "----" },
  { "\xff\xff\xff", 3, "____" },
  { "\x00\x00\x00\x00", 4, "AAAAAA" },
};

static void
assert_decodes_to (const char *text,
                   gssize      text_len,
                   const char *expected,
                   gsize       expected_len)
{
  g_autofree guint8 *decoded = NULL;
  gsize len = 12345;

  decoded = tg_base64url_decode (text, text_len, &len);
  g_assert_nonnull (decoded);
  g_assert_cmpmem (decoded, len, expected, expected_len);
  /* Promised: nul-terminated one past the end. */
  g_assert_cmpint (decoded[len], ==, 0);
}

static void
assert_rejected (const char *text,
                 gssize      text_len)
{
  g_autofree guint8 *decoded = NULL;
  gsize len = 12345;

  decoded = tg_base64url_decode (text, text_len, &len);
  if (decoded != NULL)
    g_error ("“%s” should have been rejected", text);
  g_assert_cmpuint (len, ==, 0);
}

static void
test_vectors_encode (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autofree char *encoded = tg_base64url_encode ((const guint8 *) vectors[i].plain,
                                                      vectors[i].plain_len);

      g_assert_cmpstr (encoded, ==, vectors[i].encoded);
    }
}

static void
test_vectors_decode (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++)
    assert_decodes_to (vectors[i].encoded, -1, vectors[i].plain, vectors[i].plain_len);
}

static void
test_empty (void)
{
  g_autofree char *encoded = tg_base64url_encode (NULL, 0);

  g_assert_cmpstr (encoded, ==, "");
  assert_decodes_to ("", -1, "", 0);
  assert_decodes_to ("Zm9v", 0, "", 0);
}

static void
test_padding (void)
{
  /* Padding is optional, but when it is there it must be exactly right. */
  assert_decodes_to ("Zg==", -1, "f", 1);
  assert_decodes_to ("Zm8=", -1, "fo", 2);
  assert_decodes_to ("Zm9vYg==", -1, "foob", 4);
  assert_decodes_to ("Zm9vYmE=", -1, "fooba", 5);

  assert_rejected ("Zg=", -1);
  assert_rejected ("Zg===", -1);
  assert_rejected ("Zm8==", -1);
  assert_rejected ("Zm9v=", -1);
  assert_rejected ("Zm9v==", -1);
  assert_rejected ("=", -1);
  assert_rejected ("==", -1);
  assert_rejected ("Zg==Zg", -1);
  assert_rejected ("Z=g", -1);
}

static void
test_rejects_foreign_characters (void)
{
  /* The standard alphabet's two characters. */
  assert_rejected ("+/8", -1);
  assert_rejected ("Zm9v+mFy", -1);
  assert_rejected ("Zm9v/mFy", -1);
  /* Whitespace anywhere, which g_base64_decode() would skip. */
  assert_rejected ("Zm9v YmFy", -1);
  assert_rejected (" Zm9vYmFy", -1);
  assert_rejected ("Zm9vYmFy ", -1);
  assert_rejected ("Zm9vYmFy\n", -1);
  assert_rejected ("Zm9v\tYmFy", -1);
  /* Other punctuation, non-ASCII, and a NUL inside an explicit length. */
  assert_rejected ("Zm9v.mFy", -1);
  assert_rejected ("Zm9v*mFy", -1);
  assert_rejected ("Zm9v\xc3\xa9mF", -1);
  assert_rejected ("Zm9v\0mFy", 8);
}

static void
test_rejects_impossible_lengths (void)
{
  /* One character carries only 6 bits: never a whole byte. */
  assert_rejected ("Z", -1);
  assert_rejected ("Zm9vY", -1);
  assert_rejected ("Zm9vYmFyZ", -1);
  assert_rejected ("Z===", -1);
}

static void
test_rejects_non_canonical (void)
{
  /* "Zh" and "Zm9=" decode to the same bytes as "Zg" and "Zm8" under a lax
   * decoder; a token must have only one spelling. */
  assert_rejected ("Zh", -1);
  assert_rejected ("Z_", -1);
  assert_rejected ("Zm9", -1);
  assert_rejected ("Zm-", -1);
  assert_decodes_to ("Zg", -1, "f", 1);
  assert_decodes_to ("Zm8", -1, "fo", 2);
}

static void
test_explicit_length (void)
{
  assert_decodes_to ("Zm9vYmFy", 4, "foo", 3);
  assert_decodes_to ("Zm9vYmFy.garbage", 8, "foobar", 6);
  assert_rejected ("Zm9vYmFy", 5);
}

static void
test_round_trip (void)
{
  guint8 data[300];

  for (gsize i = 0; i < sizeof data; i++)
    data[i] = (guint8) g_test_rand_int_range (0, 256);

  for (gsize len = 0; len <= sizeof data; len++)
    {
      g_autofree char *encoded = tg_base64url_encode (data, len);
      g_autofree guint8 *decoded = NULL;
      gsize decoded_len;

      g_assert_cmpuint (strlen (encoded), ==, (len * 4 + 2) / 3);
      g_assert_cmpuint (strspn (encoded, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "abcdefghijklmnopqrstuvwxyz0123456789-_"),
                        ==, strlen (encoded));

      decoded = tg_base64url_decode (encoded, -1, &decoded_len);
      g_assert_nonnull (decoded);
      g_assert_cmpmem (decoded, decoded_len, data, len);
    }
}

int
main (int    argc,
      char **argv)
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/base64url/rfc4648-vectors/encode", test_vectors_encode);
  g_test_add_func ("/base64url/rfc4648-vectors/decode", test_vectors_decode);
  g_test_add_func ("/base64url/empty", test_empty);
  g_test_add_func ("/base64url/padding", test_padding);
  g_test_add_func ("/base64url/rejects/foreign-characters", test_rejects_foreign_characters);
  g_test_add_func ("/base64url/rejects/impossible-lengths", test_rejects_impossible_lengths);
  g_test_add_func ("/base64url/rejects/non-canonical", test_rejects_non_canonical);
  g_test_add_func ("/base64url/explicit-length", test_explicit_length);
  g_test_add_func ("/base64url/round-trip", test_round_trip);

  return g_test_run ();
}
