/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A person at a web browser, signing in at the demo server's authorization
 * page. It runs on a thread of its own with a blocking SoupSession, so that
 * the test's main context stays free to run the client's loopback listener.
 *
 * The steps, as a browser takes them: GET the authorization URI, read the
 * form's hidden fields and cookie, POST the form with @action ("sign-in" as
 * demo/demo, or "cancel"), and GET the Location the server redirects to —
 * the client's loopback redirect. The hooks let a test meddle on the way. */
typedef struct {
  const char *action;                              /* "sign-in" or "cancel" */
  char      *(*edit_authorization) (const char *uri);  /* nullable */
  char      *(*edit_redirect)      (const char *uri);  /* nullable */
} TgTestBrowserScript;

typedef struct _TgTestBrowser TgTestBrowser;

typedef struct {
  guint  status;       /* of the loopback redirect; 0 if it could not connect */
  char  *text;         /* its page */
  char  *redirect;     /* the Location followed (as edited) */
} TgTestBrowserResult;

TgTestBrowser       *tg_test_browser_start  (const char                *authorization_uri,
                                             const TgTestBrowserScript *script);
TgTestBrowserResult *tg_test_browser_finish (TgTestBrowser             *browser);
void                 tg_test_browser_result_free (TgTestBrowserResult  *result);
TgTestBrowserResult *tg_test_browser_get    (const char                *uri);
TgTestBrowserResult *tg_test_browser_get_with_host (const char         *uri,
                                                    const char         *host);
char                *tg_test_browser_query_value (const char           *uri,
                                                  const char           *name);
char                *tg_test_browser_read_address (GDataInputStream    *err,
                                                   GString             *err_so_far);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgTestBrowserResult, tg_test_browser_result_free)

G_END_DECLS
