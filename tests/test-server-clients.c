/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HTTP Basic client credentials (tg-server-clients.c), as the token and
 * revocation endpoints read them from the Authorization header: what is
 * accepted and what is refused, before any client or secret is looked at.
 * End to end (401 invalid_client and its challenge) in test-server-oauth2.c;
 * fuzzed in tests/fuzz/fuzz-basic-credentials.c.
 */
#include "config.h"

#include <string.h>

#include "tg-server-private.h"
#include "tg-test-util.h"

#if defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define TG_TEST_ASAN 1
# endif
#endif
#if defined(__SANITIZE_ADDRESS__)
# define TG_TEST_ASAN 1
#endif

/* What memory goes back to the allocator holding: this test's free() looks
 * through every block freed while a text is watched. glibc only (its
 * __libc_free() is the real one); AddressSanitizer brings a free() of its own. */
#if defined(__GLIBC__) && !defined(TG_TEST_ASAN)
# define TG_TEST_WATCH_FREE 1
# include <malloc.h>

extern void __libc_free (void *block);

static const char *watched;
static int n_freed_with_watched;

void
free (void *block)
{
  const char *watched_now = watched;

  if (block != NULL && watched_now != NULL)
    {
      gsize size = malloc_usable_size (block);
      gsize len = strlen (watched_now);

      for (gsize i = 0; i + len <= size; i++)
        if (memcmp ((const char *) block + i, watched_now, len) == 0)
          {
            g_atomic_int_inc (&n_freed_with_watched);
            break;
          }
    }
  __libc_free (block);
}
#endif

/* "Basic " and the Base64 of @length bytes of @credentials. */
static char *
basic (const char *credentials,
       gsize       length)
{
  g_autofree char *encoded = g_base64_encode ((const guchar *) credentials, length);

  return g_strconcat ("Basic ", encoded, NULL);
}

static void
test_accepted (void)
{
  const struct {
    const char *header;         /* NULL: "Basic " and the Base64 of credentials */
    const char *credentials;
    const char *client_id;
    const char *secret;
  } cases[] = {
    /* RFC 6749 §2.3.1: both form-urlencoded, so the secret's colon is %3A. */
    { NULL, "tokengate-confidential:tg+test+secret%3A%2B%26", "tokengate-confidential", "tg test secret:+&" },
    /* RFC 7617 §2: the ID ends at the first colon; the secret may hold more. */
    { NULL, "client:a:b", "client", "a:b" },
    { NULL, "client:", "client", "" },
    { NULL, "%C3%A9t%C3%A9:s%C3%A9cret", "\xc3\xa9t\xc3\xa9", "s\xc3\xa9""cret" },
    { NULL, "\xc3\xa9:\xc3\xa9", "\xc3\xa9", "\xc3\xa9" },
    /* The scheme in any case (RFC 7235 §2.1), more than one space after it. */
    { "bASIC Y2xpZW50OnNlY3JldA==", NULL, "client", "secret" },
    { "Basic    Y2xpZW50OnNlY3JldA==", NULL, "client", "secret" },
    { "Basic Y2xpZW50OnM=", NULL, "client", "s" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *built = cases[i].header == NULL
                                 ? basic (cases[i].credentials, strlen (cases[i].credentials)) : NULL;
      const char *header = cases[i].header != NULL ? cases[i].header : built;
      g_autofree char *client_id = NULL;
      g_autofree char *secret = NULL;

      g_test_message ("accepted: %s", header);
      g_assert_true (_tg_server_parse_basic (header, &client_id, &secret));
      g_assert_cmpstr (client_id, ==, cases[i].client_id);
      g_assert_cmpstr (secret, ==, cases[i].secret);
    }
}

static void
test_refused (void)
{
  static const char nul_in_secret[] = "client:sec\0ret";
  static const char nul_in_id[] = "cli\0ent:secret";
  const struct {
    const char *name;
    const char *header;         /* NULL: "Basic " and the Base64 of credentials */
    const char *credentials;
    gsize       length;         /* of credentials; 0: strlen */
  } cases[] = {
    { "another scheme", "Bearer Y2xpZW50OnNlY3JldA==", NULL, 0 },
    { "the scheme alone", "Basic", NULL, 0 },
    { "the scheme and a space", "Basic ", NULL, 0 },
    { "a tab after the scheme", "Basic\tY2xpZW50OnNlY3JldA==", NULL, 0 },
    { "no space after the scheme", "BasicY2xpZW50OnNlY3JldA==", NULL, 0 },
    { "not Base64", "Basic !!!not-base64!!!", NULL, 0 },
    { "Base64 without padding", "Basic Y2xpZW50OnM", NULL, 0 },
    { "Base64 with a space inside", "Basic YWJj ZA==", NULL, 0 },
    { "Base64 followed by a space", "Basic Y2xpZW50OnNlY3JldA== ", NULL, 0 },
    { "base64url", "Basic Y2xpZW50Oj8_Pj8_", NULL, 0 },
    { "padding only", "Basic ====", NULL, 0 },
    { "three padding characters", "Basic Y===", NULL, 0 },
    { "no colon", NULL, "client", 0 },
    { "no client ID", NULL, ":secret", 0 },
    { "a NUL in the secret", NULL, nul_in_secret, sizeof nul_in_secret - 1 },
    { "a NUL in the client ID", NULL, nul_in_id, sizeof nul_in_id - 1 },
    { "an escaped NUL", NULL, "client:sec%00ret", 0 },
    { "a malformed %-escape", NULL, "client:%zz", 0 },
    { "a cut %-escape", NULL, "client%4:secret", 0 },
    { "not UTF-8", NULL, "client:\xff", 0 },
    { "not UTF-8 once unescaped", NULL, "client%FF:secret", 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *built = NULL;
      const char *header = cases[i].header;
      char *client_id = (char *) "untouched";
      char *secret = (char *) "untouched";

      if (header == NULL)
        {
          gsize length = cases[i].length != 0 ? cases[i].length : strlen (cases[i].credentials);

          header = built = basic (cases[i].credentials, length);
        }
      g_test_message ("refused: %s", cases[i].name);
      g_assert_false (_tg_server_parse_basic (header, &client_id, &secret));
      g_assert_null (client_id);
      g_assert_null (secret);
    }
}

/* The secret is in the header, in Base64, where libsoup keeps it; every
 * copy of it in the clear that parsing makes is wiped before it is freed,
 * whether the credentials are taken or refused. */
static void
test_secret_wiped (void)
{
#ifdef TG_TEST_WATCH_FREE
  const char *credentials[] = {
    "client:wipe-me-s3cr3t+and%2Bmore",       /* taken */
    "client:wipe-me-s3cr3t%zz",               /* the secret's escape is malformed */
    "client%FF:wipe-me-s3cr3t",               /* the ID is not UTF-8 once unescaped */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (credentials); i++)
    {
      g_autofree char *header = basic (credentials[i], strlen (credentials[i]));
      char *client_id = NULL;
      char *secret = NULL;
      gboolean taken;

      g_test_message ("%s", credentials[i]);
      n_freed_with_watched = 0;
      watched = "wipe-me-s3cr3t";
      taken = _tg_server_parse_basic (header, &client_id, &secret);
      if (secret != NULL)
        explicit_bzero (secret, strlen (secret));
      g_free (secret);
      g_free (client_id);
      watched = NULL;

      g_assert_true (taken == (i == 0));
      g_assert_cmpint (g_atomic_int_get (&n_freed_with_watched), ==, 0);
    }
#else
  g_test_skip ("needs glibc's free() without AddressSanitizer");
#endif
}

int
main (int    argc,
      char **argv)
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/server/clients/basic/accepted", test_accepted);
  g_test_add_func ("/server/clients/basic/refused", test_refused);
  g_test_add_func ("/server/clients/basic/secret-wiped", test_secret_wiped);

  return g_test_run ();
}
