/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgSoupTransport: a TgTransport that is a SoupSession.
 */
#define G_LOG_DOMAIN "tg-soup-transport"

#include "config.h"

#include "tg-soup-transport-private.h"

struct _TgSoupTransport
{
  GObject      parent_instance;

  SoupSession *session;  /* owned */
};

static void tg_soup_transport_iface_init (TgTransportInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TgSoupTransport, tg_soup_transport, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TG_TYPE_TRANSPORT, tg_soup_transport_iface_init))

static void
sent (GObject      *source,
      GAsyncResult *result,
      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task,
                         tg_http_reply_new (soup_message_get_status (msg),
                                            soup_message_get_response_headers (msg), body),
                         (GDestroyNotify) tg_http_reply_free);
}

static void
tg_soup_transport_send_async (TgTransport         *transport,
                              SoupMessage         *msg,
                              int                  io_priority,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  TgSoupTransport *self = TG_SOUP_TRANSPORT (transport);
  g_autoptr(GTask) task = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_soup_transport_send_async);
  /* libsoup answers on its own terms: a cancel is its G_IO_ERROR_CANCELLED. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, g_object_ref (msg), g_object_unref);

  soup_session_send_and_read_async (self->session, msg, io_priority, cancellable,
                                    sent, g_steal_pointer (&task));
}

static TgHttpReply *
tg_soup_transport_send_finish (TgTransport   *transport,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, transport), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
tg_soup_transport_abort (TgTransport *transport)
{
  soup_session_abort (TG_SOUP_TRANSPORT (transport)->session);
}

static void
tg_soup_transport_iface_init (TgTransportInterface *iface)
{
  iface->send_async = tg_soup_transport_send_async;
  iface->send_finish = tg_soup_transport_send_finish;
  iface->abort = tg_soup_transport_abort;
}

static void
tg_soup_transport_finalize (GObject *object)
{
  TgSoupTransport *self = TG_SOUP_TRANSPORT (object);

  g_clear_object (&self->session);

  G_OBJECT_CLASS (tg_soup_transport_parent_class)->finalize (object);
}

static void
tg_soup_transport_class_init (TgSoupTransportClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tg_soup_transport_finalize;
}

static void
tg_soup_transport_init (TgSoupTransport *self)
{
}

/**
 * tg_soup_transport_new:
 * @session: the session to send through
 *
 * Returns: (transfer full): a transport
 */
TgTransport *
tg_soup_transport_new (SoupSession *session)
{
  TgSoupTransport *self;

  g_return_val_if_fail (SOUP_IS_SESSION (session), NULL);

  self = g_object_new (TG_TYPE_SOUP_TRANSPORT, NULL);
  self->session = g_object_ref (session);
  return TG_TRANSPORT (self);
}

/**
 * tg_soup_transport_get_session:
 *
 * Returns: (transfer none): the session
 */
SoupSession *
tg_soup_transport_get_session (TgSoupTransport *self)
{
  g_return_val_if_fail (TG_IS_SOUP_TRANSPORT (self), NULL);
  return self->session;
}
