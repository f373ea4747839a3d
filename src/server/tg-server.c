/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgServer: the demo authorization server as an embeddable object.
 *
 * This file holds its lifecycle (start on the caller's main context or on a thread
 * of its own, stop), the routing that every request passes through (body size
 * limit, 404), and the small reply/parse helpers the other parts share. The API
 * itself lives in tg-server-auth.c and the demo controls in tg-server-demo.c.
 */
#define G_LOG_DOMAIN "tg-server"

#include "config.h"

#include <string.h>

#include "tg-crypto.h"
#include "tg-json-check.h"
#include "tg-password.h"
#include "tg-server-private.h"

G_DEFINE_FINAL_TYPE (TgServer, tg_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_DATABASE,
  PROP_ACCESS_TTL,
  PROP_REFRESH_TTL,
  PROP_REUSE_GRACE,
  PROP_TLS_CERTIFICATE,
  PROP_DEMO_CONTROLS,
  PROP_ALLOW_REMOTE,
  PROP_PASSWORD_ITERATIONS,
  PROP_LATENCY_MS,
  PROP_JITTER_MS,
  PROP_BASE_URI,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* JSON nested deeper than this is refused before json-glib sees it: its parser
 * recurses, and 64 KiB of '[' would otherwise be a stack overflow. */
#define MAX_JSON_DEPTH 32

gint64
_tg_server_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

void
_tg_server_reply_json (SoupServerMessage *msg,
                       guint              status,
                       JsonNode          *node)
{
  gsize len = 0;
  char *text = json_to_string (node, FALSE);

  len = strlen (text);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

/**
 * _tg_server_reply_error:
 *
 * Answers with an RFC 6749 §5.2 style JSON error, which is also what every other
 * endpoint uses for bad input: a client can always read `error` and
 * `error_description`.
 */
void
_tg_server_reply_error (SoupServerMessage *msg,
                        guint              status,
                        const char        *error,
                        const char        *description)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, error);
  if (description != NULL)
    {
      json_builder_set_member_name (builder, "error_description");
      json_builder_add_string_value (builder, description);
    }
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);

  _tg_server_reply_json (msg, status, node);
}

/**
 * _tg_server_reply_bad_body:
 * @error: from _tg_server_read_json_object() or _tg_server_read_form()
 *
 * Answers a body that could not be read: 413 when too large, 415 for the wrong
 * content type, 400 otherwise — always with `invalid_request`.
 */
void
_tg_server_reply_bad_body (SoupServerMessage *msg,
                           const GError      *error)
{
  guint status = SOUP_STATUS_BAD_REQUEST;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    status = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    status = SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE;

  _tg_server_reply_error (msg, status, "invalid_request", error->message);
}

/**
 * _tg_server_reply_empty:
 *
 * Answers 200 with an empty JSON object: what an action that has nothing to
 * report says when it worked.
 */
void
_tg_server_reply_empty (SoupServerMessage *msg)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "{}", 2);
}

/**
 * _tg_server_check_method:
 * @msg: the request
 * @first_method: a method the endpoint answers, then more, then %NULL
 *
 * Lets through a request whose method is one of those given, or HEAD where GET
 * is (RFC 9110 §9.3.2: HEAD is GET without the body, which libsoup leaves out by
 * itself). Anything else is answered 405 with the Allow header RFC 9110 §15.5.6
 * asks for.
 *
 * Returns: %TRUE if the handler should go on
 */
gboolean
_tg_server_check_method (SoupServerMessage *msg,
                         const char        *first_method,
                         ...)
{
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(GString) allow = NULL;
  va_list args;

  va_start (args, first_method);
  for (const char *m = first_method; m != NULL; m = va_arg (args, const char *))
    {
      if (strcmp (method, m) == 0 ||
          (strcmp (m, SOUP_METHOD_GET) == 0 && strcmp (method, SOUP_METHOD_HEAD) == 0))
        {
          va_end (args);
          return TRUE;
        }
    }
  va_end (args);

  allow = g_string_new (NULL);
  va_start (args, first_method);
  for (const char *m = first_method; m != NULL; m = va_arg (args, const char *))
    g_string_append_printf (allow, "%s%s%s", allow->len > 0 ? ", " : "", m,
                            strcmp (m, SOUP_METHOD_GET) == 0 ? ", HEAD" : "");
  va_end (args);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow->str);
  _tg_server_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "invalid_request",
                          "method not allowed on this endpoint");
  return FALSE;
}

static gboolean
body_too_large (SoupServerMessage *msg)
{
  return g_object_get_data (G_OBJECT (msg), "tg-body-too-large") != NULL;
}

static GBytes *
read_body (SoupServerMessage  *msg,
           const char         *expected_type,
           GError            **error)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *content_type = soup_message_headers_get_content_type (headers, NULL);
  g_autoptr(GBytes) body = NULL;

  if (body_too_large (msg))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   "the request body is larger than %d KiB", TG_SERVER_MAX_BODY / 1024);
      return NULL;
    }
  if (content_type == NULL || g_ascii_strcasecmp (content_type, expected_type) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "expected Content-Type: %s", expected_type);
      return NULL;
    }

  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  if (g_bytes_get_size (body) == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the request body is empty");
      return NULL;
    }

  return g_steal_pointer (&body);
}

/**
 * _tg_server_parse_json_object:
 * @data: a request body, not necessarily NUL-terminated
 * @len: its length in bytes
 * @error: return location for a #GError (%G_IO_ERROR_INVALID_DATA)
 *
 * What _tg_server_read_json_object() does once it has the body: a function of
 * its own so that the fuzz target (tests/fuzz/fuzz-json-body.c) runs exactly
 * what the server runs on bytes from the network.
 *
 * Returns: (transfer full): the object
 */
JsonObject *
_tg_server_parse_json_object (const char  *data,
                              gsize        len,
                              GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  /* Before json-glib sees it: the nesting, "\u0000" and several values in a
   * row are what it cannot be trusted with (tg-json-check.c). */
  if (!tg_json_check_text (data, len, MAX_JSON_DEPTH, TG_JSON_CHECK_REFUSE_NUL, error))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!g_utf8_validate (data, len, NULL) ||
      !json_parser_load_from_data (parser, data, len, &local_error))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the request body is not valid JSON");
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the request body must be a JSON object");
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

/**
 * _tg_server_read_json_object:
 *
 * Reads the request body as a JSON object. Errors: %G_IO_ERROR_MESSAGE_TOO_LARGE
 * (answer 413), %G_IO_ERROR_NOT_SUPPORTED (wrong content type, 415),
 * %G_IO_ERROR_INVALID_DATA (400).
 *
 * Returns: (transfer full): the object
 */
JsonObject *
_tg_server_read_json_object (SoupServerMessage  *msg,
                             GError            **error)
{
  g_autoptr(GBytes) body = NULL;
  gconstpointer data;
  gsize len;

  body = read_body (msg, "application/json", error);
  if (body == NULL)
    return NULL;

  data = g_bytes_get_data (body, &len);
  return _tg_server_parse_json_object (data, len, error);
}

static char *
form_unescape (const char  *text,
               gsize        len,
               GError     **error)
{
  g_autofree char *plus_as_space = g_strndup (text, len);
  g_autoptr(GBytes) bytes = NULL;
  gconstpointer data;
  gsize size;

  /* application/x-www-form-urlencoded spells a space "+" (WHATWG URL §5.1). */
  g_strdelimit (plus_as_space, "+", ' ');
  bytes = g_uri_unescape_bytes (plus_as_space, -1, NULL, NULL);
  if (bytes == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the form body has a malformed %-escape");
      return NULL;
    }

  data = g_bytes_get_data (bytes, &size);
  if (memchr (data, '\0', size) != NULL || !g_utf8_validate (data, size, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "form values must be UTF-8 text without NUL characters");
      return NULL;
    }

  return g_strndup (data, size);
}

/**
 * _tg_server_parse_form:
 * @data: a request body, not necessarily NUL-terminated
 * @len: its length in bytes
 * @error: return location for a #GError (%G_IO_ERROR_INVALID_DATA)
 *
 * What _tg_server_read_form() does once it has the body: a function of its
 * own so that the fuzz target (tests/fuzz/fuzz-form-body.c) runs exactly what
 * the server runs on bytes from the network.
 *
 * Returns: (transfer full): name → value
 */
GHashTable *
_tg_server_parse_form (const char  *data,
                       gsize        len,
                       GError     **error)
{
  g_autoptr(GHashTable) form = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) pairs = NULL;

  if (memchr (data, '\0', len) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the form body contains a NUL byte");
      return NULL;
    }
  text = g_strndup (data, len);
  form = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  pairs = g_strsplit (text, "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      const char *pair = pairs[i];
      const char *equals = strchr (pair, '=');
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (*pair == '\0')
        continue;
      name = form_unescape (pair, equals != NULL ? (gsize) (equals - pair) : strlen (pair), error);
      if (name == NULL)
        return NULL;
      value = form_unescape (equals != NULL ? equals + 1 : "", equals != NULL ? strlen (equals + 1) : 0, error);
      if (value == NULL)
        return NULL;
      if (g_hash_table_contains (form, name))
        {
          g_autofree char *printable = g_strescape (name, NULL);

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "the parameter “%.40s” is repeated", printable);
          return NULL;
        }
      g_hash_table_insert (form, g_steal_pointer (&name), g_steal_pointer (&value));
    }

  return g_steal_pointer (&form);
}

/**
 * _tg_server_read_form:
 *
 * Reads an `application/x-www-form-urlencoded` body (RFC 6749 §4.3.2, §6), with
 * the same errors as _tg_server_read_json_object(). Stricter than
 * soup_form_decode(): a parameter given twice is an error (RFC 6749 §3.2, "MUST
 * NOT be included more than once"), and so is a value that decodes to a NUL or
 * to something that is not UTF-8.
 *
 * Returns: (transfer full): name → value
 */
GHashTable *
_tg_server_read_form (SoupServerMessage  *msg,
                      GError            **error)
{
  g_autoptr(GBytes) body = NULL;
  gconstpointer data;
  gsize len;

  body = read_body (msg, "application/x-www-form-urlencoded", error);
  if (body == NULL)
    return NULL;

  data = g_bytes_get_data (body, &len);
  return _tg_server_parse_form (data, len, error);
}

gboolean
_tg_server_is_loopback_peer (SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);

  return G_IS_INET_SOCKET_ADDRESS (address) &&
         g_inet_address_get_is_loopback (
           g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
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
 */
void
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
  if (seen > TG_SERVER_MAX_BODY && !body_too_large (msg))
    {
      g_object_set_data (G_OBJECT (msg), "tg-body-too-large", GINT_TO_POINTER (TRUE));
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      soup_message_body_truncate (soup_server_message_get_request_body (msg));
    }
}

/* A browser sends the host name it resolved as Host. On a loopback server, a name
 * other than localhost means a page whose name was made to resolve to 127.0.0.1
 * (DNS rebinding): that page could then read our answers and drive the demo
 * controls. IP literals and localhost are what every legitimate client uses. */
static gboolean
host_header_acceptable (const char *host)
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

  return g_ascii_strcasecmp (name, "localhost") == 0 || g_hostname_is_ip_address (name);
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
      !host_header_acceptable (soup_message_headers_get_one (headers, "Host")))
    {
      soup_message_body_set_accumulate (body, FALSE);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      _tg_server_reply_error (msg, SOUP_STATUS_MISDIRECTED_REQUEST, "invalid_request",
                              "this server answers to localhost and IP addresses only");
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
default_handler (SoupServer        *soup,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  _tg_server_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "no such endpoint");
}

typedef struct {
  TgServer           *self;
  char               *path;      /* owned, nullable: every path */
  gboolean            subpaths;
  SoupServerCallback  callback;
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
  if (route->path != NULL && !route->subpaths && strcmp (path, route->path) != 0)
    {
      default_handler (soup, msg, path, query, route->self);
      return;
    }

  route->callback (soup, msg, path, query, route->self);
}

/**
 * _tg_server_route:
 * @path: (nullable): the endpoint; %NULL for every path no other route takes
 * @subpaths: whether @callback also answers the paths below @path (and sorts
 *   them out itself); otherwise those are 404
 *
 * Routes @path to @callback. Every route gets the early handler too: libsoup
 * calls the early handler of the most specific route only, so one registered for
 * "/" would never see "/oauth2/token".
 */
void
_tg_server_route (TgServer           *self,
                  const char         *path,
                  gboolean            subpaths,
                  SoupServerCallback  callback)
{
  Route *route = g_new0 (Route, 1);

  route->self = self;
  route->path = g_strdup (path);
  route->subpaths = subpaths;
  route->callback = callback;

  soup_server_add_early_handler (self->soup, path, early_handler, self, NULL);
  soup_server_add_handler (self->soup, path, route_dispatch, route, route_free);
}

static gboolean
resolve_listen_address (TgServer      *self,
                        GInetAddress **out_address,
                        GError       **error)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_strcmp0 (self->host, "localhost") == 0)
    address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    address = g_inet_address_new_from_string (self->host);

  if (address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", self->host);
      return FALSE;
    }

  if (!g_inet_address_get_is_loopback (address) && !self->allow_remote)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "refusing to listen on %s, which is not a loopback address "
                   "(the demo server has demo controls and a demo user; "
                   "pass --allow-remote if you really mean it)", self->host);
      return FALSE;
    }

  *out_address = g_steal_pointer (&address);
  return TRUE;
}

static gboolean
validate_user (const char  *name,
               const char  *password,
               GError     **error)
{
  glong n_chars = g_utf8_validate (name, -1, NULL) ? g_utf8_strlen (name, -1) : -1;

  if (n_chars < 1 || n_chars > 64)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "a user name is 1 to 64 characters of UTF-8 text");
      return FALSE;
    }
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (!g_unichar_isprint (g_utf8_get_char (p)))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "a user name cannot contain control characters");
          return FALSE;
        }
    }
  if (*password == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "the password is empty");
      return FALSE;
    }

  return TRUE;
}

static gboolean
add_user_to (TgServerDb  *db,
             const char  *name,
             const char  *password,
             guint        iterations,
             GError     **error)
{
  g_autofree char *hash = NULL;

  if (!validate_user (name, password, error))
    return FALSE;

  hash = tg_password_hash (password, iterations);
  return tg_server_db_add_user (db, name, hash, NULL, error);
}

static gboolean
open_storage (TgServer  *self,
              GError   **error)
{
  gint64 n_users = 0;
  gint64 epoch = 1;

  if (self->database_path != NULL)
    {
      g_autofree char *key_path = g_strconcat (self->database_path, ".key", NULL);

      self->db = tg_server_db_open (self->database_path, error);
      if (self->db == NULL)
        return FALSE;
      self->key = tg_crypto_load_or_create_key (key_path, error);
      if (self->key == NULL)
        return FALSE;
    }
  else
    {
      guint8 key[TG_CRYPTO_TOKEN_BYTES];

      self->db = tg_server_db_open (":memory:", error);
      if (self->db == NULL)
        return FALSE;
      tg_crypto_random_bytes (key, sizeof key);
      self->key = g_bytes_new (key, sizeof key);
      memset (key, 0, sizeof key);
    }

  if (!tg_server_db_get_meta (self->db, "access-epoch", 1, &epoch, error))
    return FALSE;
  self->key_id = g_strdup_printf ("%" G_GINT64_FORMAT, epoch);

  self->revoked_families = tg_server_db_list_revoked_families (self->db, error);
  if (self->revoked_families == NULL)
    return FALSE;

  if (!tg_server_db_count_users (self->db, &n_users, error))
    return FALSE;
  if (n_users == 0 &&
      !add_user_to (self->db, TG_SERVER_DEMO_USER, TG_SERVER_DEMO_PASSWORD,
                    self->password_iterations, error))
    return FALSE;

  return TRUE;
}

static void
clear_running_state (TgServer *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->delayed != NULL)
    {
      g_autoptr(GHashTable) delayed = g_steal_pointer (&self->delayed);
      GHashTableIter iter;
      gpointer source;

      g_hash_table_iter_init (&iter, delayed);
      while (g_hash_table_iter_next (&iter, &source, NULL))
        g_source_destroy (source);
    }
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_clear_pointer (&self->base_uri, g_free);
  g_clear_object (&self->db);
  g_clear_pointer (&self->key, g_bytes_unref);
  g_clear_pointer (&self->key_id, g_free);
  g_clear_pointer (&self->revoked_families, g_hash_table_unref);
  g_clear_pointer (&self->dummy_password_hash, g_free);
  g_clear_pointer (&self->stats.resources_by_status, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
}

static gboolean
listen_on (TgServer                *self,
           GSocketAddress          *address,
           SoupServerListenOptions  options,
           GError                 **error)
{
  g_autoptr(GSocket) listener = NULL;

  listener = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                           G_SOCKET_PROTOCOL_TCP, error);
  if (listener == NULL)
    return FALSE;

  /* soup_server_listen() would leave GLib's backlog of 10: a burst of parallel
   * clients — the very thing this server is for — then sees refused or reset
   * connections. Make our own socket with room for a burst. */
  g_socket_set_listen_backlog (listener, 1024);
  if (!g_socket_bind (listener, address, TRUE, error) ||
      !g_socket_listen (listener, error))
    return FALSE;

  return soup_server_listen_socket (self->soup, listener, options, error);
}

/**
 * tg_server_start:
 * @self: a #TgServer
 * @error: return location for a #GError
 *
 * Opens the database, creates the `demo` user if there are no users, and starts
 * listening. The server runs on the thread-default main context of the caller.
 * With #TgServer:port 0 a free port is picked; read it back with
 * tg_server_get_base_uri().
 *
 * Returns: %TRUE if the server is listening
 */
gboolean
tg_server_start (TgServer  *self,
                 GError   **error)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GUri) uri = NULL;
  GSList *uris;
  SoupServerListenOptions options = 0;

  g_return_val_if_fail (TG_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->soup == NULL, FALSE);

  if (!resolve_listen_address (self, &address, error))
    return FALSE;

  self->context = g_main_context_ref_thread_default ();
  self->loopback_only = g_inet_address_get_is_loopback (address);
  self->cancellable = g_cancellable_new ();
  self->delayed = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) g_source_unref, NULL);
  memset (&self->stats, 0, sizeof self->stats);
  self->stats.resources_by_status = g_hash_table_new (NULL, NULL);
  self->live = (TgServerSettings) {
    .access_ttl = self->access_ttl,
    .reuse_grace = self->reuse_grace,
    .latency_ms = self->latency_ms,
    .jitter_ms = self->jitter_ms,
  };

  if (!open_storage (self, error) || !_tg_server_auth_prepare (self, error))
    {
      clear_running_state (self);
      return FALSE;
    }

  self->soup = g_object_new (SOUP_TYPE_SERVER,
                             "server-header", "tokengate-server/" PACKAGE_VERSION " ",
                             "tls-certificate", self->tls_certificate,
                             NULL);
  _tg_server_route (self, NULL, FALSE, default_handler);
  _tg_server_auth_register (self);
  if (self->demo_controls)
    _tg_server_demo_register (self);

  if (self->tls_certificate != NULL)
    options |= SOUP_SERVER_LISTEN_HTTPS;
  socket_address = g_inet_socket_address_new (address, self->port);
  if (!listen_on (self, socket_address, options, error))
    {
      clear_running_state (self);
      return FALSE;
    }

  uris = soup_server_get_uris (self->soup);
  g_assert (uris != NULL);
  uri = g_uri_ref (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  /* soup_server_get_uris() spells IPv6 hosts without brackets' trailing slash
   * conventions we want; build "scheme://host:port" ourselves. */
  {
    const char *host = g_uri_get_host (uri);
    gboolean ipv6 = strchr (host, ':') != NULL;

    self->base_uri = g_strdup_printf ("%s://%s%s%s:%d", g_uri_get_scheme (uri),
                                      ipv6 ? "[" : "", host, ipv6 ? "]" : "",
                                      g_uri_get_port (uri));
  }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URI]);

  g_debug ("listening on %s", self->base_uri);
  return TRUE;
}

typedef struct {
  TgServer *self;
  GMutex    mutex;
  GCond     cond;
  gboolean  finished;
  gboolean  ok;
  GError   *error;
} ThreadStart;

static gpointer
server_thread (gpointer user_data)
{
  ThreadStart *start = user_data;
  TgServer *self = start->self;
  gboolean ok;

  g_main_context_push_thread_default (self->thread_context);

  ok = tg_server_start (self, &start->error);

  g_mutex_lock (&start->mutex);
  start->ok = ok;
  start->finished = TRUE;
  g_cond_signal (&start->cond);
  g_mutex_unlock (&start->mutex);
  /* `start` belongs to the caller and is gone from here on. */

  if (ok)
    {
      g_main_loop_run (self->thread_loop);
      clear_running_state (self);
    }

  /* A password check still running in a worker thread returns to this context:
   * wait for it, then let what is left (libsoup's closing connections) run
   * before the context goes away. */
  while (self->pending_work > 0)
    g_main_context_iteration (self->thread_context, TRUE);
  while (g_main_context_iteration (self->thread_context, FALSE))
    ;

  g_main_context_pop_thread_default (self->thread_context);
  return NULL;
}

/**
 * tg_server_start_in_thread:
 * @self: a #TgServer
 * @error: return location for a #GError
 *
 * Like tg_server_start(), but the server gets a thread and a #GMainContext of its
 * own, so that an application or a test can embed it without the server's work
 * competing with its own main loop. Returns once the server listens (or failed).
 * Stop it with tg_server_stop() from the thread that started it.
 *
 * Returns: %TRUE if the server is listening
 */
gboolean
tg_server_start_in_thread (TgServer  *self,
                           GError   **error)
{
  ThreadStart start = { .self = self };

  g_return_val_if_fail (TG_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->thread == NULL && self->soup == NULL, FALSE);

  g_mutex_init (&start.mutex);
  g_cond_init (&start.cond);

  self->thread_context = g_main_context_new ();
  self->thread_loop = g_main_loop_new (self->thread_context, FALSE);
  self->thread = g_thread_new ("tg-server", server_thread, &start);

  g_mutex_lock (&start.mutex);
  while (!start.finished)
    g_cond_wait (&start.cond, &start.mutex);
  g_mutex_unlock (&start.mutex);

  g_mutex_clear (&start.mutex);
  g_cond_clear (&start.cond);

  if (!start.ok)
    {
      g_thread_join (g_steal_pointer (&self->thread));
      g_clear_pointer (&self->thread_loop, g_main_loop_unref);
      g_clear_pointer (&self->thread_context, g_main_context_unref);
      g_propagate_error (error, start.error);
      return FALSE;
    }

  return TRUE;
}

static gboolean
quit_thread_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/**
 * tg_server_stop:
 * @self: a #TgServer
 *
 * Stops listening, closes every connection and the database. Safe to call when
 * the server is not running. Call it from the thread that started the server.
 *
 * A password check still running in a worker thread is waited for (on the main
 * context the server ran on), so that nothing of the server is left behind.
 */
void
tg_server_stop (TgServer *self)
{
  g_autoptr(GMainContext) context = NULL;

  g_return_if_fail (TG_IS_SERVER (self));

  if (self->thread != NULL)
    {
      g_main_context_invoke (self->thread_context, quit_thread_loop, self->thread_loop);
      g_thread_join (g_steal_pointer (&self->thread));
      g_clear_pointer (&self->thread_loop, g_main_loop_unref);
      g_clear_pointer (&self->thread_context, g_main_context_unref);
      return;
    }

  context = self->context != NULL ? g_main_context_ref (self->context) : NULL;
  clear_running_state (self);
  /* Its callback runs on @context and only counts itself off once cancelled. */
  while (self->pending_work > 0)
    g_main_context_iteration (context, TRUE);
}

gboolean
tg_server_is_running (TgServer *self)
{
  g_return_val_if_fail (TG_IS_SERVER (self), FALSE);

  return self->base_uri != NULL;
}

/**
 * tg_server_get_base_uri:
 * @self: a #TgServer
 *
 * Returns: (nullable): `http://HOST:PORT` (or `https://…`) while running
 */
const char *
tg_server_get_base_uri (TgServer *self)
{
  g_return_val_if_fail (TG_IS_SERVER (self), NULL);

  return self->base_uri;
}

typedef struct {
  TgServer   *self;
  const char *name;
  const char *hash;
  GMutex      mutex;
  GCond       cond;
  gboolean    done;
  gboolean    ok;
  GError     *error;
} AddOnServerThread;

static gboolean
add_on_server_thread (gpointer user_data)
{
  AddOnServerThread *add = user_data;
  GError *error = NULL;
  gboolean ok;

  ok = tg_server_db_add_user (add->self->db, add->name, add->hash, NULL, &error);

  g_mutex_lock (&add->mutex);
  add->ok = ok;
  add->error = error;
  add->done = TRUE;
  g_cond_signal (&add->cond);
  g_mutex_unlock (&add->mutex);

  return G_SOURCE_REMOVE;
}

/* An in-memory database exists only in the server's own connection, which
 * belongs to the server's thread: the insert has to happen there. */
static gboolean
add_in_server_thread (TgServer    *self,
                      const char  *name,
                      const char  *hash,
                      GError     **error)
{
  AddOnServerThread add = { .self = self, .name = name, .hash = hash };

  g_mutex_init (&add.mutex);
  g_cond_init (&add.cond);

  g_main_context_invoke (self->thread_context, add_on_server_thread, &add);
  g_mutex_lock (&add.mutex);
  while (!add.done)
    g_cond_wait (&add.cond, &add.mutex);
  g_mutex_unlock (&add.mutex);

  g_mutex_clear (&add.mutex);
  g_cond_clear (&add.cond);

  if (!add.ok)
    g_propagate_error (error, add.error);
  return add.ok;
}

/**
 * tg_server_add_user:
 * @self: a #TgServer, running or not
 * @name: the user name (1 to 64 printable characters)
 * @password: the password (at least one character)
 * @error: return location for a #GError
 *
 * Stores a new user with a salted PBKDF2 hash of @password, in the running
 * server's database or, when it is not running, in #TgServer:database. Blocks
 * for the key derivation: call it at start-up, never from a request; and, like
 * tg_server_stop(), from the thread that started the server.
 *
 * Returns: %TRUE if the user was added
 */
gboolean
tg_server_add_user (TgServer    *self,
                    const char  *name,
                    const char  *password,
                    GError     **error)
{
  g_autoptr(TgServerDb) db = NULL;
  g_autofree char *hash = NULL;

  g_return_val_if_fail (TG_IS_SERVER (self), FALSE);
  g_return_val_if_fail (name != NULL && password != NULL, FALSE);
  g_return_val_if_fail (self->thread != NULL || self->db != NULL || self->database_path != NULL, FALSE);

  if (self->thread == NULL && self->db != NULL)
    /* Running on the caller's own main context: its connection is ours to use. */
    return add_user_to (self->db, name, password, self->password_iterations, error);

  if (self->thread != NULL && self->database_path == NULL)
    {
      if (!validate_user (name, password, error))
        return FALSE;
      hash = tg_password_hash (password, self->password_iterations);
      return add_in_server_thread (self, name, hash, error);
    }

  /* Not running, or running on a thread of its own: self->db is not ours to
   * touch, so a connection of our own; SQLite's busy timeout orders our write
   * with the server's. */
  if ((db = tg_server_db_open (self->database_path, error)) == NULL)
    return FALSE;
  return add_user_to (db, name, password, self->password_iterations, error);
}

static void
tg_server_dispose (GObject *object)
{
  TgServer *self = TG_SERVER (object);

  tg_server_stop (self);

  G_OBJECT_CLASS (tg_server_parent_class)->dispose (object);
}

static void
tg_server_finalize (GObject *object)
{
  TgServer *self = TG_SERVER (object);

  g_free (self->host);
  g_free (self->database_path);
  g_clear_object (&self->tls_certificate);

  G_OBJECT_CLASS (tg_server_parent_class)->finalize (object);
}

static void
tg_server_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  TgServer *self = TG_SERVER (object);

  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_DATABASE:
      g_value_set_string (value, self->database_path);
      break;
    case PROP_ACCESS_TTL:
      g_value_set_int64 (value, self->access_ttl);
      break;
    case PROP_REFRESH_TTL:
      g_value_set_int64 (value, self->refresh_ttl);
      break;
    case PROP_REUSE_GRACE:
      g_value_set_int64 (value, self->reuse_grace);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, self->tls_certificate);
      break;
    case PROP_DEMO_CONTROLS:
      g_value_set_boolean (value, self->demo_controls);
      break;
    case PROP_ALLOW_REMOTE:
      g_value_set_boolean (value, self->allow_remote);
      break;
    case PROP_PASSWORD_ITERATIONS:
      g_value_set_uint (value, self->password_iterations);
      break;
    case PROP_LATENCY_MS:
      g_value_set_uint (value, self->latency_ms);
      break;
    case PROP_JITTER_MS:
      g_value_set_uint (value, self->jitter_ms);
      break;
    case PROP_BASE_URI:
      g_value_set_string (value, self->base_uri);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_server_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  TgServer *self = TG_SERVER (object);

  /* Configuration is read when the server starts; changing it afterwards would
   * leave the running server and its properties disagreeing. */
  if (self->soup != NULL)
    {
      g_critical ("TgServer:%s cannot change while the server runs", pspec->name);
      return;
    }

  switch (prop_id)
    {
    case PROP_HOST:
      g_free (self->host);
      self->host = g_value_dup_string (value);
      break;
    case PROP_PORT:
      self->port = g_value_get_uint (value);
      break;
    case PROP_DATABASE:
      g_free (self->database_path);
      self->database_path = g_value_dup_string (value);
      break;
    case PROP_ACCESS_TTL:
      self->access_ttl = g_value_get_int64 (value);
      break;
    case PROP_REFRESH_TTL:
      self->refresh_ttl = g_value_get_int64 (value);
      break;
    case PROP_REUSE_GRACE:
      self->reuse_grace = g_value_get_int64 (value);
      break;
    case PROP_TLS_CERTIFICATE:
      g_set_object (&self->tls_certificate, g_value_get_object (value));
      break;
    case PROP_DEMO_CONTROLS:
      self->demo_controls = g_value_get_boolean (value);
      break;
    case PROP_ALLOW_REMOTE:
      self->allow_remote = g_value_get_boolean (value);
      break;
    case PROP_PASSWORD_ITERATIONS:
      self->password_iterations = g_value_get_uint (value);
      break;
    case PROP_LATENCY_MS:
      self->latency_ms = g_value_get_uint (value);
      break;
    case PROP_JITTER_MS:
      self->jitter_ms = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_server_class_init (TgServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS;

  object_class->dispose = tg_server_dispose;
  object_class->finalize = tg_server_finalize;
  object_class->get_property = tg_server_get_property;
  object_class->set_property = tg_server_set_property;

  properties[PROP_HOST] =
    g_param_spec_string ("host", NULL, NULL, "127.0.0.1", flags);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0, flags);
  properties[PROP_DATABASE] =
    g_param_spec_string ("database", NULL, NULL, NULL, flags);
  properties[PROP_ACCESS_TTL] =
    g_param_spec_int64 ("access-ttl", NULL, NULL, 1, G_MAXINT32, 60, flags);
  properties[PROP_REFRESH_TTL] =
    g_param_spec_int64 ("refresh-ttl", NULL, NULL, 1, G_MAXINT32, 30 * 24 * 3600, flags);
  properties[PROP_REUSE_GRACE] =
    g_param_spec_int64 ("reuse-grace", NULL, NULL, 0, 3600, 0, flags);
  properties[PROP_TLS_CERTIFICATE] =
    g_param_spec_object ("tls-certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE, flags);
  properties[PROP_DEMO_CONTROLS] =
    g_param_spec_boolean ("demo-controls", NULL, NULL, TRUE, flags);
  properties[PROP_ALLOW_REMOTE] =
    g_param_spec_boolean ("allow-remote", NULL, NULL, FALSE, flags);
  properties[PROP_PASSWORD_ITERATIONS] =
    g_param_spec_uint ("password-iterations", NULL, NULL, 1, 10000000,
                       TG_PASSWORD_DEFAULT_ITERATIONS, flags);
  properties[PROP_LATENCY_MS] =
    g_param_spec_uint ("latency-ms", NULL, NULL, 0, 60000, 0, flags);
  properties[PROP_JITTER_MS] =
    g_param_spec_uint ("jitter-ms", NULL, NULL, 0, 60000, 0, flags);
  properties[PROP_BASE_URI] =
    g_param_spec_string ("base-uri", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tg_server_init (TgServer *self)
{
}

/**
 * tg_server_new:
 *
 * Returns: (transfer full): a server with default settings: 127.0.0.1, a free
 *   port, an in-memory database, demo controls on
 */
TgServer *
tg_server_new (void)
{
  return g_object_new (TG_TYPE_SERVER, NULL);
}
