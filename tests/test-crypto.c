/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server's primitives (tg-crypto) and password hashes (tg-password).
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tg-crypto.h"
#include "tg-password.h"
#include "tg-test-util.h"

/* Small on purpose: the default takes most of a second per hash. */
#define TEST_ITERATIONS 1000

#define BASE64URL_ALPHABET \
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

static void
test_random_bytes (void)
{
  guint8 a[64] = { 0 };
  guint8 b[64] = { 0 };
  g_autofree guint8 *big = g_malloc0 (1024 * 1024);
  gsize zeros = 0;

  tg_crypto_random_bytes (a, sizeof a);
  tg_crypto_random_bytes (b, sizeof b);
  g_assert_false (memcmp (a, b, sizeof a) == 0);

  /* More than one getrandom() call may be needed for this. */
  tg_crypto_random_bytes (big, 1024 * 1024);
  for (gsize i = 0; i < 1024 * 1024; i++)
    zeros += big[i] == 0;
  /* Expect ~4096; a buffer the loop left unfilled would be mostly zeros. */
  g_assert_cmpuint (zeros, <, 8192);

  tg_crypto_random_bytes (NULL, 0);
}

static void
test_random_token (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 1000; i++)
    {
      char *token = tg_crypto_random_token ();

      g_assert_cmpuint (strlen (token), ==, 43);
      g_assert_cmpuint (strspn (token, BASE64URL_ALPHABET), ==, 43);
      g_assert_true (g_hash_table_add (seen, token));
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 1000);
}

static void
test_equal (void)
{
  guint8 a[32];
  guint8 b[32];

  tg_crypto_random_bytes (a, sizeof a);
  memcpy (b, a, sizeof a);
  g_assert_true (tg_crypto_equal (a, b, sizeof a));
  g_assert_true (tg_crypto_equal (a, a, sizeof a));

  b[0] ^= 0x01;
  g_assert_false (tg_crypto_equal (a, b, sizeof a));
  b[0] ^= 0x01;
  b[31] ^= 0x80;
  g_assert_false (tg_crypto_equal (a, b, sizeof a));
  /* Only the first @len bytes count. */
  g_assert_true (tg_crypto_equal (a, b, 31));

  g_assert_true (tg_crypto_equal (NULL, NULL, 0));
  g_assert_true (tg_crypto_equal ("abc", "xyz", 0));
}

static void
test_sha256 (void)
{
  g_autofree char *abc = tg_crypto_sha256_hex ("abc", -1);
  g_autofree char *prefix = tg_crypto_sha256_hex ("abcdef", 3);
  g_autofree char *empty = tg_crypto_sha256_hex ("", -1);
  g_autofree char *nul = tg_crypto_sha256_hex ("\0", 1);

  /* FIPS 180-2 appendix B.1, and the hash of nothing. */
  g_assert_cmpstr (abc, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  g_assert_cmpstr (prefix, ==, abc);
  g_assert_cmpstr (empty, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  g_assert_cmpstr (nul, ==, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

static guint
file_mode (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

static void
test_key_create_and_reload (void)
{
  g_autofree char *tmp = tg_test_make_tmpdir ();
  g_autofree char *dir = g_build_filename (tmp, "state", "tokengate", NULL);
  g_autofree char *path = g_build_filename (dir, "jwt.key", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  key = tg_crypto_load_or_create_key (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (key);
  g_assert_cmpuint (g_bytes_get_size (key), ==, TG_CRYPTO_TOKEN_BYTES);

  g_assert_cmpuint (file_mode (path), ==, 0600);
  g_assert_cmpuint (file_mode (dir), ==, 0700);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpmem (contents, len, g_bytes_get_data (key, NULL), g_bytes_get_size (key));

  again = tg_crypto_load_or_create_key (path, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (key, again));

  tg_test_rm_rf (tmp);
}

static void
test_key_two_are_different (void)
{
  g_autofree char *tmp = tg_test_make_tmpdir ();
  g_autofree char *path1 = g_build_filename (tmp, "one.key", NULL);
  g_autofree char *path2 = g_build_filename (tmp, "two.key", NULL);
  g_autoptr(GBytes) key1 = tg_crypto_load_or_create_key (path1, NULL);
  g_autoptr(GBytes) key2 = tg_crypto_load_or_create_key (path2, NULL);

  g_assert_nonnull (key1);
  g_assert_nonnull (key2);
  g_assert_false (g_bytes_equal (key1, key2));

  tg_test_rm_rf (tmp);
}

static void
test_key_wrong_size (void)
{
  /* Looks like something that must never be echoed back in an error. */
  static const char secret[] = "hunter2-SECRET-CONTENT-that-is-too-long-for-a-key";
  static const gsize sizes[] = { 0, 1, 31, 33, sizeof secret - 1 };
  g_autofree char *tmp = tg_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (tmp, "jwt.key", NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) key = NULL;
      g_autofree char *contents = NULL;
      gsize len;

      g_assert_true (g_file_set_contents_full (path, secret, (gssize) sizes[i],
                                               G_FILE_SET_CONTENTS_NONE, 0600, NULL));

      key = tg_crypto_load_or_create_key (path, &error);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_null (key);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, "jwt.key"));
      g_assert_null (strstr (error->message, "hunter2"));
      g_assert_null (strstr (error->message, "SECRET"));

      /* A bad key is reported, never silently replaced. */
      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      g_assert_cmpmem (contents, len, secret, sizes[i]);
    }

  tg_test_rm_rf (tmp);
}

static void
test_key_not_a_file (void)
{
  g_autofree char *tmp = tg_test_make_tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = NULL;

  key = tg_crypto_load_or_create_key (tmp, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (key);

  tg_test_rm_rf (tmp);
}

static void
test_key_parent_is_a_file (void)
{
  g_autofree char *tmp = tg_test_make_tmpdir ();
  g_autofree char *file = g_build_filename (tmp, "file", NULL);
  g_autofree char *path = g_build_filename (file, "jwt.key", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = NULL;

  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  key = tg_crypto_load_or_create_key (path, &error);
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR);
  g_assert_null (key);

  tg_test_rm_rf (tmp);
}

static void
test_key_mode_tightened (void)
{
  g_autofree char *tmp = tg_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (tmp, "jwt.key", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = NULL;
  guint8 bytes[TG_CRYPTO_TOKEN_BYTES];

  tg_crypto_random_bytes (bytes, sizeof bytes);
  g_assert_true (g_file_set_contents (path, (const char *) bytes, sizeof bytes, NULL));
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);

  g_test_expect_message ("tg-crypto", G_LOG_LEVEL_WARNING, "*accessible to other users*");
  key = tg_crypto_load_or_create_key (path, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (key, NULL), g_bytes_get_size (key), bytes, sizeof bytes);
  g_assert_cmpuint (file_mode (path), ==, 0600);

  /* Group access alone is enough to be tightened. */
  g_clear_pointer (&key, g_bytes_unref);
  g_assert_cmpint (g_chmod (path, 0640), ==, 0);
  g_test_expect_message ("tg-crypto", G_LOG_LEVEL_WARNING, "*accessible to other users*");
  key = tg_crypto_load_or_create_key (path, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (path), ==, 0600);

  /* Already private: left alone, no warning (a warning here would be fatal). */
  g_clear_pointer (&key, g_bytes_unref);
  g_assert_cmpint (g_chmod (path, 0400), ==, 0);
  key = tg_crypto_load_or_create_key (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (path), ==, 0400);

  tg_test_rm_rf (tmp);
}

/* ---- passwords ---- */

static void
test_password_right_and_wrong (void)
{
  g_autofree char *hash = tg_password_hash ("correct horse battery staple", TEST_ITERATIONS);

  g_assert_nonnull (hash);
  g_assert_true (g_str_has_prefix (hash, "pbkdf2-sha256$1000$"));
  g_assert_true (tg_password_verify ("correct horse battery staple", hash));
  g_assert_false (tg_password_verify ("correct horse battery stapl", hash));
  g_assert_false (tg_password_verify ("correct horse battery staple ", hash));
  g_assert_false (tg_password_verify ("Correct horse battery staple", hash));
  g_assert_false (tg_password_verify ("", hash));
  g_assert_false (tg_password_verify (NULL, hash));
  g_assert_false (tg_password_verify ("correct horse battery staple", NULL));
}

static void
test_password_empty_and_unicode (void)
{
  g_autofree char *empty = tg_password_hash ("", TEST_ITERATIONS);
  g_autofree char *unicode = tg_password_hash ("pässwörd 🔑", TEST_ITERATIONS);

  g_assert_true (tg_password_verify ("", empty));
  g_assert_false (tg_password_verify (" ", empty));
  g_assert_true (tg_password_verify ("pässwörd 🔑", unicode));
  g_assert_false (tg_password_verify ("passwword 🔑", unicode));
}

static void
test_password_salted (void)
{
  g_autofree char *a = tg_password_hash ("secret", TEST_ITERATIONS);
  g_autofree char *b = tg_password_hash ("secret", TEST_ITERATIONS);
  g_auto(GStrv) fa = g_strsplit (a, "$", -1);
  g_auto(GStrv) fb = g_strsplit (b, "$", -1);

  g_assert_cmpstr (a, !=, b);
  g_assert_cmpuint (g_strv_length (fa), ==, 4);
  g_assert_cmpuint (g_strv_length (fb), ==, 4);
  g_assert_cmpstr (fa[2], !=, fb[2]);
  g_assert_cmpstr (fa[3], !=, fb[3]);
  /* 16-byte salt and 32-byte key, unpadded. */
  g_assert_cmpuint (strlen (fa[2]), ==, 22);
  g_assert_cmpuint (strlen (fa[3]), ==, 43);
  g_assert_cmpuint (strspn (fa[2], BASE64URL_ALPHABET), ==, 22);
  g_assert_cmpuint (strspn (fa[3], BASE64URL_ALPHABET), ==, 43);

  g_assert_true (tg_password_verify ("secret", a));
  g_assert_true (tg_password_verify ("secret", b));
}

static void
test_password_iterations_from_hash (void)
{
  g_autofree char *hash = tg_password_hash ("secret", 1234);
  g_auto(GStrv) fields = g_strsplit (hash, "$", -1);
  g_autofree char *other = NULL;

  g_assert_cmpstr (fields[0], ==, "pbkdf2-sha256");
  g_assert_cmpstr (fields[1], ==, "1234");
  g_assert_true (tg_password_verify ("secret", hash));

  /* Same salt and key with another count must not verify: the count is read
   * from the hash, not assumed. */
  other = g_strjoin ("$", fields[0], "1235", fields[2], fields[3], NULL);
  g_assert_false (tg_password_verify ("secret", other));
}

static void
test_password_known_answer (void)
{
  /* PBKDF2-HMAC-SHA256 ("passwordPASSWORDpassword",
   * "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096), the usual RFC 6070-style
   * vector, first 32 bytes: 348c89db…dd53e1. Ties our format to the standard. */
  static const char *encoded =
    "pbkdf2-sha256$4096$c2FsdFNBTFRzYWx0U0FMVHNhbHRTQUxUc2FsdFNBTFRzYWx0"
    "$NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU-E";

  g_assert_true (tg_password_verify ("passwordPASSWORDpassword", encoded));
  g_assert_false (tg_password_verify ("passwordPASSWORDpassworD", encoded));
}

static void
test_password_malformed (void)
{
  /* A valid hash of "" to build broken ones from. */
  static const char *valid =
    "pbkdf2-sha256$1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s";
  static const char *malformed[] = {
    "",
    "$",
    "$$$",
    "pbkdf2-sha256",
    "pbkdf2-sha256$1000",
    "pbkdf2-sha256$1000$c2FsdHNhbHQ",
    "pbkdf2-sha256$1000$c2FsdHNhbHQ$",
    "pbkdf2-sha256$1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s$",
    "pbkdf2-sha256$1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s$x",
    "$pbkdf2-sha256$1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    /* scheme */
    "pbkdf2-sha512$1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "PBKDF2-SHA256$1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2_sha256$1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    " pbkdf2-sha256$1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "$1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    /* iterations */
    "pbkdf2-sha256$$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$0$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$01000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$-1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$+1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$ 1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$1000 $c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$1e3$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$0x3e8$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$1000.0$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$10000001$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$4294968296$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$99999999999999999999$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    /* salt: missing, too short (4 and 7 bytes), padded, not base64url */
    "pbkdf2-sha256$1000$$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$1000$c2FsdA$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$1000$c2FsdHNhbA$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$1000$c2FsdHNhbHQ=$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$1000$c2Fsd+NhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$1000$c2Fsd HNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    "pbkdf2-sha256$1000$c2FsdHNhbHR$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s",
    /* derived key: missing, short, long, padded, not base64url */
    "pbkdf2-sha256$1000$c2FsdHNhbHQ$",
    "pbkdf2-sha256$1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_8",
    "pbkdf2-sha256$1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9sAA",
    "pbkdf2-sha256$1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s=",
    "pbkdf2-sha256$1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH+atPymuPv/9s",
    "pbkdf2-sha256$1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9t",
    "pbkdf2-sha256$1000$c2FsdHNhbHQ$PgZh7gahAL7ZcynQb3HBarjKdqFLfcH-atPymuPv_9s\n",
  };

  /* The base the broken ones are made from must itself be fine, or this test
   * would pass for the wrong reason. */
  g_assert_true (tg_password_verify ("", valid));

  for (gsize i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_test_message ("%s", malformed[i]);
      g_assert_false (tg_password_verify ("", malformed[i]));
    }
}

static void
test_password_bounds (void)
{
  /* Each is a correct hash of "pw" (made with Python's hashlib), so only the
   * bounds decide. Salt: 8 and 64 bytes are the limits, 7 and 65 are out. */
  static const char *salt7 =
    "pbkdf2-sha256$1000$QUJDREVGRw$4awqjJEz7gk5FOYH8fWV3JVIn5iAwTDXEbr-9Z2xjiE";
  static const char *salt8 =
    "pbkdf2-sha256$1000$QUJDREVGR0g$cbS5ehvT02I4oHbFZC0Jl4e8Q5QvHOoavEad367Rj-I";
  static const char *salt64 =
    "pbkdf2-sha256$1000$QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpBQkNERUZHSElKS0xNTk9QUVJTVF"
    "VWV1hZWkFCQ0RFRkdISUpLTA$zkc9mMX8bqHL6CUePS84M2Q8uPWXPwI0TJZMHPUssHM";
  static const char *salt65 =
    "pbkdf2-sha256$1000$QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpBQkNERUZHSElKS0xNTk9QUVJTVF"
    "VWV1hZWkFCQ0RFRkdISUpLTE0$JRIWmXvwkiIBdWuTtL9fdryP8emb6aetaKbMA-8XerI";
  /* One iteration over the limit: refused, and without spending seconds on it. */
  static const char *too_many =
    "pbkdf2-sha256$10000001$c2FsdHNhbHQ$srhyvL-8-lKKXBGHigEEVBDziPMQhImxOPUaSRabsMA";

  g_assert_false (tg_password_verify ("pw", too_many));
  g_assert_false (tg_password_verify ("pw", salt7));
  g_assert_true (tg_password_verify ("pw", salt8));
  g_assert_true (tg_password_verify ("pw", salt64));
  g_assert_false (tg_password_verify ("pw", salt65));
}

int
main (int    argc,
      char **argv)
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/crypto/random-bytes", test_random_bytes);
  g_test_add_func ("/crypto/random-token", test_random_token);
  g_test_add_func ("/crypto/equal", test_equal);
  g_test_add_func ("/crypto/sha256", test_sha256);
  g_test_add_func ("/crypto/key/create-and-reload", test_key_create_and_reload);
  g_test_add_func ("/crypto/key/two-are-different", test_key_two_are_different);
  g_test_add_func ("/crypto/key/wrong-size", test_key_wrong_size);
  g_test_add_func ("/crypto/key/not-a-file", test_key_not_a_file);
  g_test_add_func ("/crypto/key/parent-is-a-file", test_key_parent_is_a_file);
  g_test_add_func ("/crypto/key/mode-tightened", test_key_mode_tightened);

  g_test_add_func ("/password/right-and-wrong", test_password_right_and_wrong);
  g_test_add_func ("/password/empty-and-unicode", test_password_empty_and_unicode);
  g_test_add_func ("/password/salted", test_password_salted);
  g_test_add_func ("/password/iterations-from-hash", test_password_iterations_from_hash);
  g_test_add_func ("/password/known-answer", test_password_known_answer);
  g_test_add_func ("/password/malformed", test_password_malformed);
  g_test_add_func ("/password/bounds", test_password_bounds);

  return g_test_run ();
}
