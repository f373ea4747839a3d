/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgTransport: how the client core's HTTP exchanges leave the process, and the
 * request bodies that can be sent again.
 */
#define G_LOG_DOMAIN "tg-transport"

#include "config.h"

#include <string.h>

#include "tg-transport-private.h"

G_DEFINE_INTERFACE (TgTransport, tg_transport, G_TYPE_OBJECT)

static void
tg_transport_default_init (TgTransportInterface *iface)
{
}

/**
 * tg_http_reply_new:
 * @status: the HTTP status
 * @headers: (nullable): the response headers; a reference is taken
 * @body: (nullable): the response body; a reference is taken
 *
 * Returns: (transfer full): a new reply
 */
TgHttpReply *
tg_http_reply_new (guint               status,
                   SoupMessageHeaders *headers,
                   GBytes             *body)
{
  TgHttpReply *reply = g_new0 (TgHttpReply, 1);

  reply->status = status;
  reply->headers = headers != NULL ? soup_message_headers_ref (headers)
                                   : soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  reply->body = body != NULL ? g_bytes_ref (body) : g_bytes_new (NULL, 0);
  return reply;
}

void
tg_http_reply_free (TgHttpReply *reply)
{
  g_clear_pointer (&reply->headers, soup_message_headers_unref);
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_free (reply);
}

/**
 * tg_http_reply_get_retry_after_ms:
 * @reply: an answer
 * @now: the wall-clock time it arrived, in µs since the epoch
 *
 * How long the server asks to wait before trying again (RFC 9110 §10.2.3):
 * `Retry-After` is delay-seconds or an HTTP-date, the latter in the server's
 * clock — read against its own `Date` header when it sent one, so that a
 * local clock that is off does not matter.
 *
 * Returns: the delay in milliseconds (0 for a date in the past), or -1 when
 *   there is no `Retry-After` or it cannot be read
 */
gint64
tg_http_reply_get_retry_after_ms (const TgHttpReply *reply,
                                  gint64             now)
{
  const char *header;
  const char *date;
  g_autofree char *value = NULL;
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) server_now = NULL;
  guint64 seconds;

  g_return_val_if_fail (reply != NULL, -1);

  header = soup_message_headers_get_one (reply->headers, "Retry-After");
  if (header == NULL)
    return -1;

  /* A day is far past any refresh deadline: larger is as good as never. */
  value = g_strstrip (g_strdup (header));
  if (g_ascii_string_to_unsigned (value, 10, 0, 86400, &seconds, NULL))
    return (gint64) seconds * 1000;
  /* All digits but too large: not a date either. */
  if (*value != '\0' && strspn (value, "0123456789") == strlen (value))
    return 86400 * 1000;

  when = soup_date_time_new_from_http_string (value);
  if (when == NULL)
    return -1;

  date = soup_message_headers_get_one (reply->headers, "Date");
  server_now = date != NULL ? soup_date_time_new_from_http_string (date) : NULL;
  if (server_now != NULL)
    return CLAMP (g_date_time_difference (when, server_now) / 1000, 0, (gint64) 86400 * 1000);
  return CLAMP (g_date_time_to_unix (when) * 1000 - now / 1000, 0, (gint64) 86400 * 1000);
}

/**
 * tg_transport_send_async:
 * @msg: the request; its body, if any, set with tg_message_set_request_body()
 * @io_priority: the I/O priority
 * @cancellable: (nullable): cancels this exchange
 *
 * Sends @msg and reads the whole answer.
 */
void
tg_transport_send_async (TgTransport         *self,
                         SoupMessage         *msg,
                         int                  io_priority,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (TG_IS_TRANSPORT (self));
  g_return_if_fail (SOUP_IS_MESSAGE (msg));

  TG_TRANSPORT_GET_IFACE (self)->send_async (self, msg, io_priority, cancellable, callback, user_data);
}

/**
 * tg_transport_send_finish:
 *
 * Returns: (transfer full) (nullable): the answer, whatever its status, or
 *   %NULL with @error set when there was no complete answer
 */
TgHttpReply *
tg_transport_send_finish (TgTransport   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (TG_IS_TRANSPORT (self), NULL);

  return TG_TRANSPORT_GET_IFACE (self)->send_finish (self, result, error);
}

/**
 * tg_transport_abort:
 *
 * Cancels every exchange in flight: each finishes with %G_IO_ERROR_CANCELLED.
 */
void
tg_transport_abort (TgTransport *self)
{
  g_return_if_fail (TG_IS_TRANSPORT (self));

  TG_TRANSPORT_GET_IFACE (self)->abort (self);
}

/* ------------------------------------------------------------------------- */
/* Request bodies that can be sent again                                     */

typedef struct {
  GBytes *bytes;         /* owned */
  char   *content_type;  /* owned, nullable */
} RequestBody;

static void
request_body_free (gpointer data)
{
  RequestBody *body = data;

  g_bytes_unref (body->bytes);
  g_free (body->content_type);
  g_free (body);
}

static GQuark
request_body_quark (void)
{
  return g_quark_from_static_string ("tg-request-body");
}

/* libsoup 3 sends the body from a stream and closes it when done, so a
 * message sent a second time would fail ("Source stream is already closed"):
 * its body "needs to be set again". Doing that just before every send makes
 * the message re-sendable, byte for byte, by whoever holds it (rule 9). */
static void
on_message_starting (SoupMessage *msg,
                     gpointer     user_data)
{
  RequestBody *body = g_object_get_qdata (G_OBJECT (msg), request_body_quark ());

  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, body->content_type, body->bytes);
}

/**
 * tg_message_set_request_body:
 * @msg: a request that has no body yet
 * @content_type: (nullable): the body's media type
 * @body: the body; a reference is kept with @msg
 *
 * Gives @msg a body that goes out again, the same bytes, every time @msg is
 * sent, and that a transport can read back with tg_message_get_request_body().
 */
void
tg_message_set_request_body (SoupMessage *msg,
                             const char  *content_type,
                             GBytes      *bytes)
{
  RequestBody *body;

  g_return_if_fail (SOUP_IS_MESSAGE (msg));
  g_return_if_fail (bytes != NULL);
  g_return_if_fail (g_object_get_qdata (G_OBJECT (msg), request_body_quark ()) == NULL);

  body = g_new0 (RequestBody, 1);
  body->bytes = g_bytes_ref (bytes);
  body->content_type = g_strdup (content_type);
  g_object_set_qdata_full (G_OBJECT (msg), request_body_quark (), body, request_body_free);

  soup_message_set_request_body_from_bytes (msg, content_type, bytes);
  g_signal_connect (msg, "starting", G_CALLBACK (on_message_starting), NULL);
}

/**
 * tg_message_get_request_body:
 *
 * Returns: (transfer none) (nullable): the body set with
 *   tg_message_set_request_body()
 */
GBytes *
tg_message_get_request_body (SoupMessage *msg)
{
  RequestBody *body;

  g_return_val_if_fail (SOUP_IS_MESSAGE (msg), NULL);

  body = g_object_get_qdata (G_OBJECT (msg), request_body_quark ());
  return body != NULL ? body->bytes : NULL;
}
