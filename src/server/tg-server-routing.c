/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What every request passes through before and after its endpoint's handler:
 * the early checks (Host on a loopback server, the body size limit), the
 * routing to exact paths, and answers held back on a timer.
 */
#define G_LOG_DOMAIN "tg-server"

#include "config.h"

#include <string.h>

#include "tg-server-private.h"

/* Set on a message whose body passed TG_SERVER_MAX_BODY while it came in. */
#define BODY_TOO_LARGE_KEY "tg-body-too-large"

/**
 * _tg_server_body_too_large:
 *
 * Whether @msg's chunked body grew past %TG_SERVER_MAX_BODY: libsoup kept
 * none of it, and the handler answers 413 when it reads the body.
 */
gboolean
_tg_server_body_too_large (SoupServerMessage *msg)
{
  return g_object_get_data (G_OBJECT (msg), BODY_TOO_LARGE_KEY) != NULL;
}

/* An answer held back on a timer (demo latency, jitter, a hanging refresh). The
 * server keeps every one in self->delayed, so that stopping can drop them: a
 * timer that fired after the stop would unpause a message whose connection is
 * gone. */
typedef struct {
  TgServer          *self;             /* unowned: the set in it owns the source */
  SoupServerMessage *msg;              /* owned */
  GSource           *source;           /* unowned: it owns us */
  GSource           *watch;            /* owned, nullable: the client's socket */
  GSourceFunc        then;
  gpointer           data;
  GDestroyNotify     destroy;
} Delayed;

static void
delayed_free (gpointer user_data)
{
  Delayed *delayed = user_data;

  /* NULL while clear_running_state() empties the set. */
  if (delayed->self->delayed != NULL)
    g_hash_table_remove (delayed->self->delayed, delayed->source);
  if (delayed->watch != NULL)
    {
      g_source_destroy (delayed->watch);
      g_source_unref (delayed->watch);
    }
  if (delayed->destroy != NULL)
    delayed->destroy (delayed->data);
  g_object_unref (delayed->msg);
  g_free (delayed);
}

static gboolean
delayed_fire (gpointer user_data)
{
  Delayed *delayed = user_data;

  if (delayed->then != NULL)
    delayed->then (delayed->data);
  soup_server_message_unpause (delayed->msg);

  return G_SOURCE_REMOVE;
}

/* libsoup 3.2 does not read from a connection while its message is paused, so
 * it would not see a client that gave up (a timeout during a long hang) until
 * the timer came due: the connection, and whatever the client retried with,
 * would pile up meanwhile. Look for the end of the stream ourselves, and answer
 * at once when it comes: libsoup then finds the connection closed and lets go
 * of it. */
static gboolean
delayed_on_socket_event (GSocket      *socket,
                         GIOCondition  condition,
                         gpointer      user_data)
{
  Delayed *delayed = user_data;
  g_autoptr(GError) error = NULL;
  char byte;
  GInputVector vector = { &byte, 1 };
  gint flags = G_SOCKET_MSG_PEEK;
  gssize n;

  n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, &error);
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (n > 0)
    return G_SOURCE_REMOVE;  /* still there, and sent more: that waits for libsoup */

  delayed_fire (delayed);
  g_source_destroy (delayed->source);  /* frees @delayed */
  return G_SOURCE_REMOVE;
}

/**
 * _tg_server_delay_then:
 *
 * Pauses @msg, and after @delay_ms on the server's own main context calls
 * @then (if any; it may set the answer) and unpauses it. The demo latency, jitter and
 * hanging refreshes all go through here. Stopping the server drops the delayed
 * answer (and @data, with @destroy); the client closing the connection makes it
 * go out at once.
 *
 * Returns: (transfer none): the timer, which the server owns: valid until
 *   @destroy is called. g_source_set_ready_time() on it answers early.
 */
GSource *
_tg_server_delay_then (TgServer          *self,
                       SoupServerMessage *msg,
                       guint              delay_ms,
                       GSourceFunc        then,
                       gpointer           data,
                       GDestroyNotify     destroy)
{
  GSource *source = g_timeout_source_new (delay_ms);
  Delayed *delayed = g_new0 (Delayed, 1);

  delayed->self = self;
  delayed->msg = g_object_ref (msg);
  delayed->source = source;
  delayed->then = then;
  delayed->data = data;
  delayed->destroy = destroy;

  soup_server_message_pause (msg);
  g_source_set_callback (source, delayed_fire, delayed, delayed_free);
  g_source_set_name (source, "[tg-server] delayed answer");
  g_hash_table_add (self->delayed, source);  /* takes the reference */
  g_source_attach (source, self->context);

  if (soup_server_message_get_socket (msg) != NULL)
    {
      delayed->watch = g_socket_create_source (soup_server_message_get_socket (msg),
                                               G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (delayed->watch, G_SOURCE_FUNC (delayed_on_socket_event), delayed, NULL);
      g_source_set_name (delayed->watch, "[tg-server] delayed answer's client");
      g_source_attach (delayed->watch, self->context);
    }

  return source;
}

static void
on_got_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  gsize seen = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), "tg-body-seen"));

  seen += g_bytes_get_size (chunk);
  g_object_set_data (G_OBJECT (msg), "tg-body-seen", GSIZE_TO_POINTER (seen));

  /* Stop keeping the body once it is too big, and let the handler answer 413. */
  if (seen > TG_SERVER_MAX_BODY && !_tg_server_body_too_large (msg))
    {
      g_object_set_data (G_OBJECT (msg), BODY_TOO_LARGE_KEY, GINT_TO_POINTER (TRUE));
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      soup_message_body_truncate (soup_server_message_get_request_body (msg));
    }
}

/* Whether @name and @port (nullable: none; digits only) of a Host header are
 * the issuer's host and port: its name compared as DNS compares names, the
 * port as a number, none (or an empty one, RFC 3986 §3.2.3) being the
 * issuer scheme's default. */
static gboolean
is_issuer_host (TgServer   *self,
                const char *name,
                const char *port)
{
  int number;

  if (self->issuer_host == NULL || g_ascii_strcasecmp (name, self->issuer_host) != 0)
    return FALSE;
  if (port != NULL && *port != '\0')
    number = (int) g_ascii_strtoull (port, NULL, 10);
  else
    number = g_ascii_strncasecmp (self->issuer, "https:", 6) == 0 ? 443 : 80;
  return number == self->issuer_port;
}

/* A browser sends the host name it resolved as Host. On a loopback server, a name
 * other than localhost means a page whose name was made to resolve to 127.0.0.1
 * (DNS rebinding): that page could then read our answers and drive the demo
 * controls. IP literals and localhost are what every legitimate client uses;
 * and so is the issuer's host and port, which a reverse proxy in front of the
 * server passes on (`--issuer https://id.example` with the server on
 * loopback). That one name is the operator's: a rebinding page cannot send it,
 * since the browser sends the page's own name. */
static gboolean
host_header_acceptable (TgServer   *self,
                        const char *host)
{
  g_autofree char *name = NULL;
  const char *port = NULL;

  /* Only HTTP/1.0 gets here without one (libsoup refuses HTTP/1.1 without
   * Host), and no browser speaks that. */
  if (host == NULL)
    return TRUE;

  if (host[0] == '[')
    {
      const char *close = strchr (host, ']');

      if (close == NULL || (close[1] != '\0' && close[1] != ':'))
        return FALSE;
      name = g_strndup (host + 1, close - host - 1);
      port = close[1] == ':' ? close + 2 : NULL;
      if (strchr (name, ':') == NULL)
        return FALSE;  /* brackets are for IPv6 only */
    }
  else
    {
      const char *colon = strchr (host, ':');

      if (colon != NULL && strchr (colon + 1, ':') != NULL)
        return FALSE;  /* an IPv6 literal without brackets is no Host */
      name = colon != NULL ? g_strndup (host, colon - host) : g_strdup (host);
      port = colon != NULL ? colon + 1 : NULL;
    }

  if (port != NULL)
    {
      gsize len = strlen (port);

      if (len > 5)
        return FALSE;
      for (gsize i = 0; i < len; i++)
        if (!g_ascii_isdigit (port[i]))
          return FALSE;
    }

  return g_ascii_strcasecmp (name, "localhost") == 0 || g_hostname_is_ip_address (name) ||
         is_issuer_host (self, name, port);
}

static void
early_handler (SoupServer        *soup,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  TgServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  /* A status set here means the handler is never called. libsoup still reads
   * the request body (it has no way to skip it and keep the connection in
   * sync), so the refusals below also stop it from keeping what it reads, and
   * close the connection once answered. */
  if (self->loopback_only &&
      !host_header_acceptable (self, soup_message_headers_get_one (headers, "Host")))
    {
      g_autofree char *description =
        self->issuer_host != NULL
          ? g_strdup_printf ("this server answers to localhost, IP addresses and its issuer's "
                             "host and port (%s:%d) only", self->issuer_host, self->issuer_port)
          : g_strdup ("this server answers to localhost and IP addresses only");

      soup_message_body_set_accumulate (body, FALSE);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      _tg_server_reply_error (msg, SOUP_STATUS_MISDIRECTED_REQUEST, "invalid_request", description);
      return;
    }

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > TG_SERVER_MAX_BODY)
    {
      g_autofree char *description =
        g_strdup_printf ("the request body is larger than %d KiB", TG_SERVER_MAX_BODY / 1024);

      soup_message_body_set_accumulate (body, FALSE);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      _tg_server_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                              "invalid_request", description);
      return;
    }

  /* A chunked body has no length to check up front: count it as it comes. */
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED)
    g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), NULL);
}

static void
reply_not_found (SoupServerMessage *msg)
{
  _tg_server_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "no such endpoint");
}

typedef struct {
  TgServer        *self;
  char            *path;      /* owned, nullable: every path */
  gboolean         subpaths;
  TgServerHandler  handler;   /* nullable: answer 404 */
  gpointer         data;      /* unowned */
} Route;

static void
route_free (gpointer user_data)
{
  Route *route = user_data;

  g_free (route->path);
  g_free (route);
}

static void
route_dispatch (SoupServer        *soup,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  Route *route = user_data;

  /* libsoup hands a handler every path below its own as well: without this,
   * POST /authorization/token/anything would sign in. */
  if (route->handler == NULL ||
      (route->path != NULL && !route->subpaths && strcmp (path, route->path) != 0))
    {
      reply_not_found (msg);
      return;
    }

  route->handler (route->self, msg, path, route->data);
}

/**
 * _tg_server_route:
 * @path: (nullable): the endpoint; %NULL for every path no other route takes
 * @subpaths: whether @handler also answers the paths below @path (and sorts
 *   them out itself); otherwise those are 404
 * @handler: (nullable): what answers; %NULL answers 404
 * @data: (nullable): passed to @handler; must outlive the running server
 *
 * Routes @path to @handler. Every route gets the early handler too: libsoup
 * calls the early handler of the most specific route only, so one registered for
 * "/" would never see "/oauth2/token".
 */
void
_tg_server_route (TgServer        *self,
                  const char      *path,
                  gboolean         subpaths,
                  TgServerHandler  handler,
                  gpointer         data)
{
  Route *route = g_new0 (Route, 1);

  route->self = self;
  route->path = g_strdup (path);
  route->subpaths = subpaths;
  route->handler = handler;
  route->data = data;

  soup_server_add_early_handler (self->soup, path, early_handler, self, NULL);
  soup_server_add_handler (self->soup, path, route_dispatch, route, route_free);
}
