/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tg_json_check_text(): what may go on to json-glib 1.6. Every refused case
 * here is one json-glib would leak on, overflow its stack on, misread, or
 * accept although it is not JSON (RFC 8259).
 */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "tg-json-check.h"
#include "tg-test-util.h"

typedef struct {
  const char *text;
  gboolean    ok;
} Case;

static void
check (const Case       *cases,
       gsize             n_cases,
       TgJsonCheckFlags  flags)
{
  for (gsize i = 0; i < n_cases; i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok = tg_json_check_text (cases[i].text, strlen (cases[i].text), 4, flags, &error);

      if (ok != cases[i].ok)
        g_error ("“%s”: expected %s", cases[i].text, cases[i].ok ? "accepted" : "refused");
      if (!ok)
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      else
        g_assert_no_error (error);
    }
}

static void
test_shape (void)
{
  static const Case cases[] = {
    { "{\"a\":[1,-2.5e3,true,false,null,{\"b\":\"c\"}]}", TRUE },
    { " \t\r\n[ ] \n", TRUE },
    { "{\"a\":1", TRUE },               /* incomplete: json-glib says so */
    { "[[[[]]]]", TRUE },               /* 4 deep: the limit */
    { "[[[[[]]]]]", FALSE },
    { "{\"a\":1} {\"b\":2}", FALSE },   /* two values: json-glib leaks one */
    { "[1] [2]", FALSE },
    { "{}x", FALSE },
    { "\"a\"", FALSE },                 /* a bare scalar */
    { "1 [2]", FALSE },
    { "", TRUE },
    { "{\"a\":'\"'}", FALSE },          /* single-quoted string */
    { "{\"a\":1 /* \" */}", FALSE },    /* comment */
    { "{\"a\":1 # x\n}", FALSE },
    { "{\"a\":NaN}", FALSE },
    { "{\"[[[[[[\":\"]]]]]]]}\"}", TRUE },  /* brackets in strings do not count */
  };

  check (cases, G_N_ELEMENTS (cases), TG_JSON_CHECK_NONE);
}

static void
test_escapes (void)
{
  static const Case cases[] = {
    { "[\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00\"]", TRUE },
    { "[\"\\u0000\"]", TRUE },           /* allowed unless asked to refuse */
    { "[\"\\\\u0000\"]", TRUE },         /* an escaped backslash, then text */
    { "[\"\\q\"]", FALSE },
    { "[\"\\u12\"]", FALSE },
    { "[\"\\u12g4\"]", FALSE },
    { "[\"\\ud83d\\u0041\"]", FALSE },   /* json-glib leaks on this one */
    { "[\"\\ud83d\"]", FALSE },
    { "[\"\\udc00\"]", FALSE },
    { "[\"\\", FALSE },
  };
  static const Case nul_cases[] = {
    { "[\"demo\\u0000x\"]", FALSE },
    { "{\"a\":'\"',\"b\":\"\\u0000\"}", FALSE },
    { "[\"\\\\u0000\"]", TRUE },
  };

  check (cases, G_N_ELEMENTS (cases), TG_JSON_CHECK_NONE);
  check (nul_cases, G_N_ELEMENTS (nul_cases), TG_JSON_CHECK_REFUSE_NUL);
}

int
main (int    argc,
      char **argv)
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/common/json-check/shape", test_shape);
  g_test_add_func ("/common/json-check/escapes", test_escapes);

  return g_test_run ();
}
