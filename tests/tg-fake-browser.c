/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tg-fake-browser URI: the default web browser of test-ui-app's browser
 * sign-in tests, launched by GIO from a .desktop handler for
 * x-scheme-handler/http in the test's own XDG directories.
 *
 * It appends URI to $TG_FAKE_BROWSER_LOG (so the test knows it was opened
 * and where), then, as $TG_FAKE_BROWSER_ACTION says:
 *   "sign-in"  waits until the file $TG_FAKE_BROWSER_GO exists (so that the
 *              test can look at the window while it waits), then signs in
 *              as demo/demo on the built-in server's page and follows the
 *              redirect back to the app (tg-test-browser.c);
 *   "cancel"   the same, but presses Cancel on that page (access_denied);
 *   "none"     does nothing more: a browser the person walked away from.
 */
#include "config.h"

#include <stdio.h>

#include "tg-test-browser.h"

/* Longer than any test waits: a browser left behind still goes away. */
#define GO_WAIT_SECONDS 120

static gboolean
append_line (const char *path,
             const char *line)
{
  FILE *log = fopen (path, "a");
  gboolean ok;

  if (log == NULL)
    return FALSE;
  ok = fprintf (log, "%s\n", line) > 0;
  return fclose (log) == 0 && ok;
}

int
main (int   argc,
      char *argv[])
{
  const char *action = g_getenv ("TG_FAKE_BROWSER_ACTION");
  const char *log = g_getenv ("TG_FAKE_BROWSER_LOG");
  const char *go = g_getenv ("TG_FAKE_BROWSER_GO");
  TgTestBrowserScript script = { .action = "sign-in" };
  g_autoptr(TgTestBrowserResult) result = NULL;

  if (argc != 2 || log == NULL || !append_line (log, argv[1]))
    {
      g_printerr ("tg-fake-browser: usage: TG_FAKE_BROWSER_LOG=FILE tg-fake-browser URI\n");
      return 2;
    }
  if (g_strcmp0 (action, "none") == 0)
    return 0;
  if (g_strcmp0 (action, "cancel") == 0)
    script.action = "cancel";

  for (guint i = 0; go != NULL && !g_file_test (go, G_FILE_TEST_EXISTS); i++)
    {
      if (i >= GO_WAIT_SECONDS * 20)
        return 1;
      g_usleep (G_USEC_PER_SEC / 20);
    }

  result = tg_test_browser_finish (tg_test_browser_start (argv[1], &script));
  /* Any page will do (after a refusal, the app's is an error page): the
   * app was there to answer. */
  if (result->status == 0)
    {
      g_printerr ("tg-fake-browser: nothing answered at the app's redirect\n");
      return 1;
    }
  return 0;
}
