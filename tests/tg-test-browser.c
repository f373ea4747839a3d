/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The person at the browser for the browser sign-in tests (see
 * tg-test-browser.h).
 */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "tg-test-browser.h"
#include "tg-test-server.h"

struct _TgTestBrowser {
  GThread             *thread;
  char                *authorization_uri;
  TgTestBrowserScript  script;
  TgTestBrowserResult *result;   /* set by the thread */
  gboolean             done;     /* atomic */
};

void
tg_test_browser_result_free (TgTestBrowserResult *result)
{
  g_free (result->text);
  g_free (result->redirect);
  g_free (result);
}

/* A request as a browser sends it, without following redirects. */
static GBytes *
send (SoupSession  *session,
      SoupMessage  *msg,
      GError      **error)
{
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  return soup_session_send_and_read (session, msg, NULL, error);
}

/* The value of query parameter @name in @uri, or NULL. */
char *
tg_test_browser_query_value (const char *uri,
                             const char *name)
{
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_autoptr(GHashTable) params = NULL;

  g_assert_nonnull (parsed);
  if (g_uri_get_query (parsed) == NULL)
    return NULL;
  params = g_uri_parse_params (g_uri_get_query (parsed), -1, "&", G_URI_PARAMS_NONE, NULL);
  g_assert_nonnull (params);
  return g_strdup (g_hash_table_lookup (params, name));
}

/* The sign-in address `tokengate-cli login` writes on a line of its own to
 * @err, its standard error; what it read goes to @err_so_far. */
char *
tg_test_browser_read_address (GDataInputStream *err,
                              GString          *err_so_far)
{
  while (TRUE)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error);

      g_assert_no_error (error);
      if (line == NULL)
        g_error ("tokengate-cli wrote no sign-in address: %s", err_so_far->str);
      g_string_append_printf (err_so_far, "%s\n", line);
      if (g_str_has_prefix (line, "http"))
        return g_steal_pointer (&line);
    }
}

static TgTestBrowserResult *
get (SoupSession *session,
     const char  *uri)
{
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, uri);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  TgTestBrowserResult *result = g_new0 (TgTestBrowserResult, 1);

  g_assert_nonnull (msg);
  result->redirect = g_strdup (uri);
  body = send (session, msg, &error);
  if (body == NULL)
    return result;
  result->status = soup_message_get_status (msg);
  result->text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return result;
}

static void
got (GObject      *source,
     GAsyncResult *result,
     gpointer      user_data)
{
  GBytes **body = user_data;
  g_autoptr(GError) error = NULL;

  *body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (*body == NULL)
    *body = g_bytes_new (NULL, 0);  /* could not connect: status stays 0 */
}

/* One GET on a session of its own, run on the caller's main context (which
 * may be the one the listener runs on). */
TgTestBrowserResult *
tg_test_browser_get (const char *uri)
{
  return tg_test_browser_get_with_host (uri, NULL);
}

/* As tg_test_browser_get(), with the Host header @host (nullable: as @uri
 * says), as a page on a host name rebound to this address sends it. */
TgTestBrowserResult *
tg_test_browser_get_with_host (const char *uri,
                               const char *host)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, uri);
  g_autoptr(GBytes) body = NULL;
  TgTestBrowserResult *result = g_new0 (TgTestBrowserResult, 1);
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_assert_nonnull (msg);
  if (host != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Host", host);
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, got, &body);
  while (body == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (500);
    }
  result->redirect = g_strdup (uri);
  result->status = soup_message_get_status (msg);
  result->text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return result;
}

static gpointer
browse (gpointer data)
{
  TgTestBrowser *browser = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) page = NULL;
  g_autoptr(SoupMessage) post = NULL;
  g_autoptr(GBytes) html = NULL;
  g_autoptr(GBytes) posted = NULL;
  g_autoptr(GBytes) form_body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *request_id = NULL;
  g_autofree char *csrf_token = NULL;
  g_autofree char *cookie = NULL;
  g_autofree char *form = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *location = NULL;
  const char *set_cookie;

  g_main_context_push_thread_default (context);
  session = soup_session_new ();

  uri = browser->script.edit_authorization != NULL
          ? browser->script.edit_authorization (browser->authorization_uri)
          : g_strdup (browser->authorization_uri);
  page = soup_message_new (SOUP_METHOD_GET, uri);
  html = send (session, page, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (page), ==, 200);
  text = g_strndup (g_bytes_get_data (html, NULL), g_bytes_get_size (html));
  request_id = tg_test_html_hidden_value (text, "request_id");
  csrf_token = tg_test_html_hidden_value (text, "csrf_token");
  set_cookie = soup_message_headers_get_one (soup_message_get_response_headers (page), "Set-Cookie");
  g_assert_nonnull (set_cookie);
  cookie = g_strndup (set_cookie, strcspn (set_cookie, ";"));

  form = g_strdup_printf ("request_id=%s&csrf_token=%s&username=demo&password=demo&action=%s",
                          request_id, csrf_token, browser->script.action);
  form_body = g_bytes_new (form, strlen (form));
  post = soup_message_new_from_uri (SOUP_METHOD_POST, soup_message_get_uri (page));
  soup_message_set_request_body_from_bytes (post, "application/x-www-form-urlencoded", form_body);
  soup_message_headers_replace (soup_message_get_request_headers (post), "Cookie", cookie);
  posted = send (session, post, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (post), ==, 303);
  location = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (post), "Location"));
  g_assert_nonnull (location);
  if (browser->script.edit_redirect != NULL)
    {
      char *edited = browser->script.edit_redirect (location);

      g_free (location);
      location = edited;
    }

  browser->result = get (session, location);
  g_main_context_pop_thread_default (context);
  g_atomic_int_set (&browser->done, TRUE);
  return NULL;
}

TgTestBrowser *
tg_test_browser_start (const char                *authorization_uri,
                       const TgTestBrowserScript *script)
{
  TgTestBrowser *browser = g_new0 (TgTestBrowser, 1);

  browser->authorization_uri = g_strdup (authorization_uri);
  browser->script = *script;
  browser->thread = g_thread_new ("test-browser", browse, browser);
  return browser;
}

/* Runs the caller's main context until the browser is done; its result. */
TgTestBrowserResult *
tg_test_browser_finish (TgTestBrowser *browser)
{
  TgTestBrowserResult *result;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!g_atomic_int_get (&browser->done))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (500);
    }
  g_thread_join (browser->thread);
  result = browser->result;
  g_free (browser->authorization_uri);
  g_free (browser);
  return result;
}
