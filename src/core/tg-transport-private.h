/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include <libsoup/soup.h>

G_BEGIN_DECLS

/**
 * TgHttpReply:
 * @status: the HTTP status
 * @headers: the response headers
 * @body: the response body, empty rather than %NULL
 *
 * A complete HTTP answer, as a transport hands it back.
 */
typedef struct {
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
} TgHttpReply;

TgHttpReply *tg_http_reply_new  (guint               status,
                                 SoupMessageHeaders *headers,
                                 GBytes             *body);
void         tg_http_reply_free (TgHttpReply        *reply);
gint64       tg_http_reply_get_retry_after_ms (const TgHttpReply *reply,
                                               gint64             now);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgHttpReply, tg_http_reply_free)

#define TG_TYPE_TRANSPORT (tg_transport_get_type ())
G_DECLARE_INTERFACE (TgTransport, tg_transport, TG, TRANSPORT, GObject)

/**
 * TgTransportInterface:
 * @send_async: sends @msg (its body is what tg_message_set_request_body() set)
 *   and reads the whole answer
 * @send_finish: the answer, or the transport error (%G_IO_ERROR_CANCELLED if
 *   the send was cancelled)
 * @abort: cancels everything in flight
 *
 * How the client core's HTTP exchanges leave the process. #TgSoupTransport is
 * the one applications use; the simulation in `tests/sim/` answers in-process
 * from a scripted server under a virtual clock.
 */
struct _TgTransportInterface
{
  GTypeInterface g_iface;

  void          (*send_async)  (TgTransport          *self,
                                SoupMessage          *msg,
                                int                   io_priority,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
  TgHttpReply * (*send_finish) (TgTransport          *self,
                                GAsyncResult         *result,
                                GError              **error);
  void          (*abort)       (TgTransport          *self);
};

void         tg_transport_send_async  (TgTransport          *self,
                                       SoupMessage          *msg,
                                       int                   io_priority,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
TgHttpReply *tg_transport_send_finish (TgTransport          *self,
                                       GAsyncResult         *result,
                                       GError              **error);
void         tg_transport_abort       (TgTransport          *self);

void         tg_message_set_request_body (SoupMessage *msg,
                                          const char  *content_type,
                                          GBytes      *body);
GBytes      *tg_message_get_request_body (SoupMessage *msg);

G_END_DECLS
