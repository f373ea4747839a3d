/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgTransport's small pieces: the replies transports hand back, what a reply's
 * Retry-After asks for (outside data: every garbage form gets -1, "cannot
 * tell"), and request bodies that can be read back and sent again.
 */
#include "config.h"

#include "tg-test-util.h"
#include "tg-transport-private.h"

static gint64
retry_after (const char *value,
             const char *date,
             gint64      now)
{
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autoptr(TgHttpReply) reply = NULL;

  if (value != NULL)
    soup_message_headers_append (headers, "Retry-After", value);
  if (date != NULL)
    soup_message_headers_append (headers, "Date", date);
  reply = tg_http_reply_new (429, headers, NULL);

  return tg_http_reply_get_retry_after_ms (reply, now);
}

static void
test_retry_after_seconds (void)
{
  g_assert_cmpint (retry_after ("120", NULL, 0), ==, 120000);
  g_assert_cmpint (retry_after ("  5 ", NULL, 0), ==, 5000);
  g_assert_cmpint (retry_after ("0", NULL, 0), ==, 0);
  /* Past a day is as good as never: the caller's deadline decides. */
  g_assert_cmpint (retry_after ("86401", NULL, 0), ==, 86400000);
  g_assert_cmpint (retry_after ("99999999999999999999999", NULL, 0), ==, 86400000);
}

static void
test_retry_after_date (void)
{
  GDateTime *base = g_date_time_new_utc (2026, 12, 4, 10, 0, 0);
  gint64 base_us = g_date_time_to_unix (base) * G_USEC_PER_SEC;

  /* Read against the server's own Date: our clock may be off by hours. */
  g_assert_cmpint (retry_after ("Fri, 04 Dec 2026 10:00:30 GMT", "Fri, 04 Dec 2026 10:00:00 GMT",
                                base_us + 3 * G_TIME_SPAN_HOUR), ==, 30000);
  /* Without one, against ours. */
  g_assert_cmpint (retry_after ("Fri, 04 Dec 2026 10:00:30 GMT", NULL, base_us), ==, 30000);
  /* In the past: now. */
  g_assert_cmpint (retry_after ("Fri, 04 Dec 2026 09:00:00 GMT", "Fri, 04 Dec 2026 10:00:00 GMT", 0), ==, 0);
  /* A Date that cannot be read falls back on our clock. */
  g_assert_cmpint (retry_after ("Fri, 04 Dec 2026 10:00:30 GMT", "yesterday", base_us), ==, 30000);
  /* Years ahead: clamped to a day. */
  g_assert_cmpint (retry_after ("Fri, 04 Dec 2099 10:00:30 GMT", NULL, base_us), ==, 86400000);

  g_date_time_unref (base);
}

static void
test_retry_after_garbage (void)
{
  static const char *garbage[] = {
    "", " ", "-1", "+5", "1.5", "5s", "0x10", "1e3", "abc", "5, 6",
    "Fri, 99 Foo 2026 10:00:00 GMT", "\x01\x02", "\xff\xfe", "Retry-After: 5",
  };

  g_assert_cmpint (retry_after (NULL, NULL, 0), ==, -1);
  for (gsize i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      g_test_message ("Retry-After: %s", garbage[i]);
      g_assert_cmpint (retry_after (garbage[i], NULL, 0), ==, -1);
    }
}

static void
test_reply_defaults (void)
{
  g_autoptr(TgHttpReply) reply = tg_http_reply_new (204, NULL, NULL);

  /* Never NULL: a transport's caller reads them without checking. */
  g_assert_nonnull (reply->headers);
  g_assert_nonnull (reply->body);
  g_assert_cmpuint (g_bytes_get_size (reply->body), ==, 0);
}

static void
test_request_body (void)
{
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, "http://127.0.0.1:1/x");
  g_autoptr(SoupMessage) bare = soup_message_new (SOUP_METHOD_GET, "http://127.0.0.1:1/x");
  g_autoptr(GBytes) body = g_bytes_new_static ("{\"a\":1}", 7);

  tg_message_set_request_body (msg, "application/json", body);
  g_assert_true (g_bytes_equal (tg_message_get_request_body (msg), body));
  g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_request_headers (msg), NULL),
                   ==, "application/json");
  g_assert_null (tg_message_get_request_body (bare));
}

int
main (int   argc,
      char *argv[])
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/core/transport/retry-after/seconds", test_retry_after_seconds);
  g_test_add_func ("/core/transport/retry-after/date", test_retry_after_date);
  g_test_add_func ("/core/transport/retry-after/garbage", test_retry_after_garbage);
  g_test_add_func ("/core/transport/reply-defaults", test_reply_defaults);
  g_test_add_func ("/core/transport/request-body", test_request_body);

  return g_test_run ();
}
