/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The WWW-Authenticate parser (RFC 9110 §11.6.1) and the one decision the API
 * client takes from it: does refreshing the access token stand a chance of
 * turning this 401 into a success (RFC 6750 §3.1)?
 */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "tg-challenge-private.h"
#include "tg-test-util.h"

/* ------------------------------------------------------------------------ */
/* The decision                                                             */
/* ------------------------------------------------------------------------ */

typedef struct {
  const char *header;  /* nullable: no WWW-Authenticate at all */
  gboolean    can_help;
} Case;

static void
check_cases (const Case *cases,
             gsize       n_cases)
{
  for (gsize i = 0; i < n_cases; i++)
    {
      gboolean got = tg_challenge_bearer_refresh_can_help (cases[i].header);

      if (got != cases[i].can_help)
        g_error ("“%s”: expected %s, got %s", cases[i].header ? cases[i].header : "(none)",
                 cases[i].can_help ? "TRUE" : "FALSE", got ? "TRUE" : "FALSE");
    }
}

/* Finding 6: libsoup joins two WWW-Authenticate fields with ", ", so a Bearer
 * challenge without parameters is followed by a comma, not a space or the end;
 * and the word "Bearer" inside another scheme's quoted parameter is not a
 * Bearer challenge. The hand-written scan got both wrong. */
static void
test_regression_finding_6 (void)
{
  static const Case cases[] = {
    { "Bearer, Basic realm=\"x\"", TRUE },
    { "Basic realm=\"x\", Bearer error=\"invalid_token\"", TRUE },
    { "Basic realm=\"a Bearer x\"", FALSE },
    { "Basic realm=\"Bearer x\"", FALSE },
    { "Basic realm=\"x, Bearer\"", FALSE },
    { "Basic realm=\"x\", Bearer error=\"insufficient_scope\"", FALSE },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_decision (void)
{
  static const Case cases[] = {
    /* No challenge at all: a server that predates RFC 6750 §3; every 401 on a
     * bearer request means the token was refused. */
    { NULL, TRUE },
    { "Bearer", TRUE },
    { "bearer", TRUE },
    { "BEARER realm=\"tokengate\"", TRUE },
    { "Bearer realm=\"tokengate\", error=\"invalid_token\", error_description=\"expired\"", TRUE },
    { "Bearer error=invalid_token", TRUE },
    { "Bearer ERROR=\"invalid_token\"", TRUE },
    { "Bearer error=\"INVALID_TOKEN\"", TRUE },
    { "Bearer error=\"insufficient_scope\", scope=\"admin\"", FALSE },
    { "Bearer error=\"invalid_request\"", FALSE },
    { "Bearer realm=\"x\", error=\"insufficient_scope\", Basic realm=\"y\"", FALSE },
    /* Only other schemes: a new bearer token is not what this server wants. */
    { "Basic realm=\"x\"", FALSE },
    { "Negotiate", FALSE },
    { "Negotiate YIIB9wYGKwYBBQUCoIIB6zCCAeegDTALBgkqhkiG9xIBAgKiggHU==", FALSE },
    { "Basic realm=\"x\", Digest realm=\"y\", nonce=\"abc\"", FALSE },
    /* A scheme whose name merely starts with Bearer. */
    { "BearerX realm=\"x\"", FALSE },
    { "XBearer", FALSE },
    /* Several Bearer challenges: any that names another error says the
     * token itself is fine. */
    { "Bearer realm=\"a\", Bearer error=\"insufficient_scope\"", FALSE },
    { "Bearer realm=\"a\", Bearer realm=\"b\"", TRUE },
    /* Empty list elements (RFC 9110 §5.6.1). */
    { ", , Bearer ,, realm=\"x\" ,", TRUE },
    { "Basic realm=\"x\",,, Bearer", TRUE },
    { "", FALSE },
    { " , ", FALSE },
    /* Unparseable: read as "no usable challenge", like a missing header. */
    { "Bearer realm=\"x", TRUE },
    { "Bearer error=\"insufficient_scope\", \"oops\"", TRUE },
    { "Basic realm=\"x\" junk\"", TRUE },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

/* ------------------------------------------------------------------------ */
/* The parser                                                               */
/* ------------------------------------------------------------------------ */

static const TgChallenge *
nth (GPtrArray *list,
     guint      i)
{
  g_assert_cmpuint (i, <, list->len);
  return g_ptr_array_index (list, i);
}

static void
test_parse_params (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  const TgChallenge *c;

  list = tg_challenge_parse_list ("Newauth realm=\"apps\", type=1,\r\n"
                                  "  title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"", &error);
  /* CR LF is not allowed inside a field value once it has been unfolded. */
  g_assert_null (list);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* The example of RFC 9110 §11.6.1, as one line. */
  list = tg_challenge_parse_list ("Newauth realm=\"apps\", type=1, "
                                  "title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"", &error);
  g_assert_no_error (error);
  g_assert_nonnull (list);
  g_assert_cmpuint (list->len, ==, 2);

  c = nth (list, 0);
  g_assert_cmpstr (c->scheme, ==, "Newauth");
  g_assert_null (c->token68);
  g_assert_cmpuint (g_strv_length (c->params), ==, 6);
  g_assert_cmpstr (tg_challenge_get_param (c, "realm"), ==, "apps");
  g_assert_cmpstr (tg_challenge_get_param (c, "TYPE"), ==, "1");
  g_assert_cmpstr (tg_challenge_get_param (c, "title"), ==, "Login to \"apps\"");
  g_assert_null (tg_challenge_get_param (c, "missing"));

  c = nth (list, 1);
  g_assert_cmpstr (c->scheme, ==, "Basic");
  g_assert_cmpstr (tg_challenge_get_param (c, "realm"), ==, "simple");
}

static void
test_parse_token68 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  const TgChallenge *c;

  list = tg_challenge_parse_list ("Negotiate a+b/c~d.e_f-9==, Bearer, Other abc=,Last", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 4);

  c = nth (list, 0);
  g_assert_cmpstr (c->scheme, ==, "Negotiate");
  g_assert_cmpstr (c->token68, ==, "a+b/c~d.e_f-9==");
  g_assert_cmpuint (g_strv_length (c->params), ==, 0);

  c = nth (list, 1);
  g_assert_cmpstr (c->scheme, ==, "Bearer");
  g_assert_null (c->token68);
  g_assert_cmpuint (g_strv_length (c->params), ==, 0);

  /* "abc=" followed by a comma has no value: it is a token68 ending in "=". */
  c = nth (list, 2);
  g_assert_cmpstr (c->token68, ==, "abc=");

  c = nth (list, 3);
  g_assert_cmpstr (c->scheme, ==, "Last");
}

static void
test_parse_whitespace (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  const TgChallenge *c;

  /* BWS around "=" and OWS around commas, spaces and tabs alike. */
  list = tg_challenge_parse_list ("  Bearer   realm =\t\"x\" ,\terror= invalid_token\t, ", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  c = nth (list, 0);
  g_assert_cmpstr (tg_challenge_get_param (c, "realm"), ==, "x");
  g_assert_cmpstr (tg_challenge_get_param (c, "error"), ==, "invalid_token");
}

static void
test_parse_quoting (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  const TgChallenge *c;

  /* Commas, "=", quotes and backslashes inside a quoted-string are data; a
   * quoted-pair stands for its second character (RFC 9110 §5.6.4). */
  list = tg_challenge_parse_list ("Basic realm=\"a, Bearer error=\\\"x\\\", b=c \\\\ \\q\", "
                                  "Bearer error=\"invalid_token\", error_description=\"\"", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  c = nth (list, 0);
  g_assert_cmpstr (c->scheme, ==, "Basic");
  g_assert_cmpstr (tg_challenge_get_param (c, "realm"), ==, "a, Bearer error=\"x\", b=c \\ q");
  c = nth (list, 1);
  g_assert_cmpstr (tg_challenge_get_param (c, "error"), ==, "invalid_token");
  g_assert_cmpstr (tg_challenge_get_param (c, "error_description"), ==, "");

  /* obs-text (bytes ≥ 0x80) is allowed in a quoted-string and kept as is. */
  g_clear_pointer (&list, g_ptr_array_unref);
  list = tg_challenge_parse_list ("Bearer realm=\"caf\xc3\xa9\"", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tg_challenge_get_param (nth (list, 0), "realm"), ==, "caf\xc3\xa9");
}

static void
test_parse_garbage (void)
{
  static const char * const garbage[] = {
    "Bearer realm=\"x",              /* unterminated quoted-string */
    "Bearer realm=\"x\\",            /* ends inside a quoted-pair */
    "Bearer realm=\"a\x01\"",        /* a control character */
    "Bearer realm=\"a\\\x7f\"",      /* quoted-pair of DEL */
    "Bearer\"x\"",                   /* no space after the scheme */
    "Bearer realm=, error=\"x\"",   /* no value: a token68 "realm=", then no scheme */
    "Bearer realm=\"x\"\"y\"",       /* two values */
    "Bearer realm=\"x\" extra",      /* a token after a value */
    "Bearer realm=\"x\", realm=\"y\"", /* a parameter twice (§11.2) */
    "Bearer realm=\"x\", REALM=y",   /* … names are case-insensitive */
    "Negotiate abc== def",           /* something after a token68 */
    "Negotiate abc=x=",              /* "=" inside a token68 */
    "=x",                            /* no scheme */
    "\"Bearer\"",
    "Bearer realm=\"x\", \"y\"",
    "Bearer, =",
    "Bé",
    "Bearer\x7f",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) list = tg_challenge_parse_list (garbage[i], &error);

      if (list != NULL)
        g_error ("“%s” should not parse", garbage[i]);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

static void
test_parse_empty (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;

  list = tg_challenge_parse_list ("", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);

  list = tg_challenge_parse_list (" ,\t, ", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
}

/* Work and memory stay linear: a long run of parameters, of commas, or of
 * backslashes parses (or fails) at once; anything over the size cap fails. */
static void
test_parse_bounded (void)
{
  g_autoptr(GString) big = g_string_new ("Bearer ");
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *commas = NULL;
  g_autofree char *huge = NULL;

  for (guint i = 0; i < 2000; i++)
    g_string_append_printf (big, "%sp%u=\"\\\\v\"", i > 0 ? ", " : "", i);
  list = tg_challenge_parse_list (big->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (nth (list, 0)->params), ==, 4000);
  g_assert_cmpstr (tg_challenge_get_param (nth (list, 0), "p1999"), ==, "\\v");
  g_clear_pointer (&list, g_ptr_array_unref);

  commas = g_strnfill (60000, ',');
  list = tg_challenge_parse_list (commas, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);

  huge = g_strnfill (1024 * 1024, 'B');
  list = tg_challenge_parse_list (huge, &error);
  g_assert_null (list);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

int
main (int    argc,
      char **argv)
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/core/challenge/regression/finding-6", test_regression_finding_6);
  g_test_add_func ("/core/challenge/bearer-refresh-can-help", test_decision);
  g_test_add_func ("/core/challenge/parse/params", test_parse_params);
  g_test_add_func ("/core/challenge/parse/token68", test_parse_token68);
  g_test_add_func ("/core/challenge/parse/whitespace", test_parse_whitespace);
  g_test_add_func ("/core/challenge/parse/quoting", test_parse_quoting);
  g_test_add_func ("/core/challenge/parse/garbage", test_parse_garbage);
  g_test_add_func ("/core/challenge/parse/empty", test_parse_empty);
  g_test_add_func ("/core/challenge/parse/bounded", test_parse_bounded);

  return g_test_run ();
}
