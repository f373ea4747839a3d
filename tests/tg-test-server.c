/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The demo server on its own thread, on 127.0.0.1 and a free port, with its
 * database in a temporary directory — and a synchronous HTTP client for the
 * test thread (the server answers from its own thread, so blocking here is fine).
 */
#include "config.h"

#include <string.h>

#include "tg-base64url.h"
#include "tg-test-server.h"
#include "tg-test-util.h"

TgTestServer *
tg_test_server_new (const char *first_property,
                    ...)
{
  TgTestServer *fixture = g_new0 (TgTestServer, 1);
  g_autoptr(GError) error = NULL;
  va_list args;

  fixture->dir = tg_test_make_tmpdir ();
  fixture->database = g_build_filename (fixture->dir, "server.db", NULL);

  va_start (args, first_property);
  fixture->server = TG_SERVER (g_object_new_valist (TG_TYPE_SERVER, first_property, args));
  va_end (args);

  g_object_set (fixture->server,
                "database", fixture->database,
                "password-iterations", TG_TEST_PASSWORD_ITERATIONS,
                NULL);
  tg_server_start_in_thread (fixture->server, &error);
  g_assert_no_error (error);

  fixture->session = soup_session_new_with_options ("timeout", 30,
                                                    "max-conns", 64,
                                                    "max-conns-per-host", 64,
                                                    NULL);
  return fixture;
}

/* Stops the server and starts it again on the same database (and a new port). */
void
tg_test_server_restart (TgTestServer *fixture)
{
  g_autoptr(GError) error = NULL;

  tg_server_stop (fixture->server);
  tg_server_start_in_thread (fixture->server, &error);
  g_assert_no_error (error);
  soup_session_abort (fixture->session);
}

void
tg_test_server_free (TgTestServer *fixture)
{
  soup_session_abort (fixture->session);
  g_assert_finalize_object (fixture->session);
  tg_server_stop (fixture->server);
  g_assert_finalize_object (fixture->server);
  tg_test_rm_rf (fixture->dir);
  g_free (fixture->database);
  g_free (fixture->dir);
  g_free (fixture);
}

const char *
tg_test_server_uri (TgTestServer *fixture)
{
  return tg_server_get_base_uri (fixture->server);
}

/**
 * tg_test_request_bytes:
 * @data: (nullable): the request body, @len bytes (it may hold NULs); %NULL for
 *   none
 *
 * Sends one request and waits for the answer.
 */
TgTestReply *
tg_test_request_bytes (TgTestServer *fixture,
                       const char   *method,
                       const char   *path,
                       const char   *content_type,
                       const char   *data,
                       gsize         len,
                       const char   *authorization)
{
  g_autofree char *uri = g_strconcat (tg_test_server_uri (fixture), path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);

  g_assert_nonnull (msg);
  if (data != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (data, len);

      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }
  if (authorization != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
                                  "Authorization", authorization);

  return tg_test_send (fixture, msg);
}

/**
 * tg_test_send:
 *
 * Sends @msg as it is and waits for the answer.
 */
TgTestReply *
tg_test_send (TgTestServer *fixture,
              SoupMessage  *msg)
{
  g_autoptr(GError) error = NULL;
  TgTestReply *reply = g_new0 (TgTestReply, 1);

  reply->body = soup_session_send_and_read (fixture->session, msg, NULL, &error);
  g_assert_no_error (error);
  reply->status = soup_message_get_status (msg);
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  reply->text = g_strndup (g_bytes_get_data (reply->body, NULL), g_bytes_get_size (reply->body));

  return reply;
}

TgTestReply *
tg_test_request (TgTestServer *fixture,
                 const char   *method,
                 const char   *path,
                 const char   *content_type,
                 const char   *body,
                 const char   *authorization)
{
  return tg_test_request_bytes (fixture, method, path, content_type,
                                body, body != NULL ? strlen (body) : 0, authorization);
}

static void
request_chunked_done (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  TgTestReply *reply = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;

  reply->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
  reply->status = soup_message_get_status (msg);
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
}

/**
 * tg_test_request_chunked:
 *
 * Like tg_test_request_bytes(), but the body goes out as a stream of unknown
 * length, that is chunked: no Content-Length for the server to refuse up front,
 * so it has to count.
 */
TgTestReply *
tg_test_request_chunked (TgTestServer *fixture,
                         const char   *method,
                         const char   *path,
                         const char   *content_type,
                         const char   *data,
                         gsize         len)
{
  g_autofree char *uri = g_strconcat (tg_test_server_uri (fixture), path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GInputStream) stream = NULL;
  TgTestReply *reply = g_new0 (TgTestReply, 1);

  stream = g_memory_input_stream_new_from_data (g_memdup2 (data, len), len, g_free);
  soup_message_set_request_body (msg, content_type, stream, -1);
  soup_session_send_and_read_async (fixture->session, msg, G_PRIORITY_DEFAULT, NULL,
                                    request_chunked_done, reply);
  while (reply->body == NULL)
    g_main_context_iteration (NULL, TRUE);

  reply->text = g_strndup (g_bytes_get_data (reply->body, NULL), g_bytes_get_size (reply->body));
  return reply;
}

/**
 * tg_test_request_bad:
 *
 * Sends @bad to @path and checks that it is refused as it says, and that
 * nothing in it made its way into the answer's headers.
 *
 * Returns: (transfer full): the answer, for more checks
 */
TgTestReply *
tg_test_request_bad (TgTestServer           *fixture,
                     const char             *path,
                     const TgTestBadRequest *bad)
{
  TgTestReply *reply;
  gsize length = bad->length;

  g_test_message ("bad request: %s %s: %s", bad->method, path, bad->name);
  if (bad->body != NULL && length == 0)
    length = strlen (bad->body);
  reply = tg_test_request_bytes (fixture, bad->method, path, bad->content_type,
                                 bad->body, length, NULL);
  tg_test_assert_json_error (reply, bad->status, bad->error);
  /* Some bad requests try header injection: it must never become a header. */
  g_assert_null (soup_message_headers_get_one (reply->headers, "X-Injected"));

  return reply;
}

/**
 * tg_test_raw_connect:
 *
 * A plain TCP connection to the server, for requests libsoup would not send as
 * they are (odd Host headers, two Authorization headers) or bodies too large to
 * hold in memory. Reads and writes time out after 30 s, so a hang fails.
 */
GIOStream *
tg_test_raw_connect (TgTestServer *fixture)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GUri) uri = g_uri_parse (tg_test_server_uri (fixture), G_URI_FLAGS_NONE, NULL);
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  g_socket_client_set_timeout (client, 30);
  connection = g_socket_client_connect_to_host (client, g_uri_get_host (uri), g_uri_get_port (uri),
                                                NULL, &error);
  g_assert_no_error (error);
  return G_IO_STREAM (connection);
}

/**
 * tg_test_raw_read_reply:
 *
 * Reads an answer up to the end of the connection (send `Connection: close`).
 */
TgTestReply *
tg_test_raw_read_reply (GIOStream *stream)
{
  GInputStream *in = g_io_stream_get_input_stream (stream);
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  TgTestReply *reply = g_new0 (TgTestReply, 1);
  const char *end_of_headers;
  guint8 buffer[4096];
  gssize n;

  while ((n = g_input_stream_read (in, buffer, sizeof buffer, NULL, &error)) > 0)
    g_byte_array_append (data, buffer, n);
  /* A server that closes after answering may reset the connection when our
   * request had more in it than it read: what came before still counts. */
  if (error != NULL && data->len == 0)
    g_assert_no_error (error);
  g_byte_array_append (data, (const guint8 *) "", 1);

  end_of_headers = strstr ((const char *) data->data, "\r\n\r\n");
  g_assert_nonnull (end_of_headers);
  reply->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_assert_true (soup_headers_parse_response ((const char *) data->data,
                                              end_of_headers + 2 - (const char *) data->data,
                                              reply->headers, NULL, &reply->status, NULL));
  reply->text = g_strdup (end_of_headers + 4);
  reply->body = g_bytes_new (reply->text, strlen (reply->text));

  return reply;
}

/**
 * tg_test_raw_request:
 * @request: the whole request as it goes on the wire, which should say
 *   `Connection: close`
 */
TgTestReply *
tg_test_raw_request (TgTestServer *fixture,
                     const char   *request)
{
  g_autoptr(GIOStream) stream = tg_test_raw_connect (fixture);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (stream), request, strlen (request),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  return tg_test_raw_read_reply (stream);
}

JsonObject *
tg_test_reply_json (TgTestReply *reply)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const char *type = soup_message_headers_get_content_type (reply->headers, NULL);
  JsonNode *root;

  g_assert_cmpstr (type, ==, "application/json");
  json_parser_load_from_data (parser, reply->text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  return json_object_ref (json_node_get_object (root));
}

/* The `error` member of a JSON error answer (every bad input gets one). */
const char *
tg_test_reply_error (TgTestReply *reply)
{
  g_autoptr(JsonObject) object = tg_test_reply_json (reply);
  const char *error = json_object_get_string_member (object, "error");

  g_assert_nonnull (error);
  /* Interned: outlives the parsed object, and tests compare it with ==. */
  return g_intern_string (error);
}

void
tg_test_assert_json_error (TgTestReply *reply,
                           guint        status,
                           const char  *error)
{
  g_assert_cmpuint (reply->status, ==, status);
  g_assert_cmpstr (tg_test_reply_error (reply), ==, error);
}

void
tg_test_reply_free (TgTestReply *reply)
{
  g_clear_pointer (&reply->headers, soup_message_headers_unref);
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_free (reply->text);
  g_free (reply);
}

char *
tg_test_seed_sign_in (TgTestServer  *fixture,
                      const char    *user,
                      const char    *password,
                      char         **out_refresh_token)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *body = NULL;
  g_autoptr(TgTestReply) reply = NULL;
  g_autoptr(JsonObject) object = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "userName");
  json_builder_add_string_value (builder, user);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  body = json_to_string (node, FALSE);

  reply = tg_test_request (fixture, "POST", "/authorization/token", "application/json", body, NULL);
  g_assert_cmpuint (reply->status, ==, 200);
  object = tg_test_reply_json (reply);
  if (out_refresh_token != NULL)
    *out_refresh_token = g_strdup (json_object_get_string_member (object, "refreshToken"));

  return g_strdup (json_object_get_string_member (object, "authorizationToken"));
}

/* Returns the new access token, or NULL (with *out_status set) when refused. */
char *
tg_test_seed_refresh (TgTestServer  *fixture,
                      const char    *refresh_token,
                      guint         *out_status,
                      char         **out_refresh_token)
{
  g_autofree char *body = g_strdup_printf ("{\"refreshToken\":\"%s\"}", refresh_token);
  g_autoptr(TgTestReply) reply = NULL;
  g_autoptr(JsonObject) object = NULL;

  reply = tg_test_request (fixture, "POST", "/authorization/refresh", "application/json", body, NULL);
  if (out_status != NULL)
    *out_status = reply->status;
  if (reply->status != 200)
    {
      g_assert_cmpstr (tg_test_reply_error (reply), ==, "invalid_grant");
      return NULL;
    }

  object = tg_test_reply_json (reply);
  if (out_refresh_token != NULL)
    *out_refresh_token = g_strdup (json_object_get_string_member (object, "refreshToken"));
  return g_strdup (json_object_get_string_member (object, "authorizationToken"));
}

/* RFC 6749 §4.3: the password grant, as a form. */
TgTestReply *
tg_test_oauth2_password_grant (TgTestServer *fixture,
                               const char   *user,
                               const char   *password)
{
  g_autofree char *body = soup_form_encode ("grant_type", "password",
                                            "username", user,
                                            "password", password,
                                            NULL);

  return tg_test_request (fixture, "POST", "/oauth2/token", "application/x-www-form-urlencoded", body, NULL);
}

/* RFC 6749 §6: the refresh grant, as a form. */
TgTestReply *
tg_test_oauth2_refresh_grant (TgTestServer *fixture,
                              const char   *refresh_token)
{
  g_autofree char *body = soup_form_encode ("grant_type", "refresh_token",
                                            "refresh_token", refresh_token,
                                            NULL);

  return tg_test_request (fixture, "POST", "/oauth2/token", "application/x-www-form-urlencoded", body, NULL);
}

/* Checks an RFC 6749 §5.1 answer and returns its access token. */
char *
tg_test_read_token_answer (TgTestReply  *reply,
                           char        **out_refresh_token)
{
  g_autoptr(JsonObject) object = NULL;

  g_assert_cmpuint (reply->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (reply->headers, "Cache-Control"), ==, "no-store");
  g_assert_cmpstr (soup_message_headers_get_one (reply->headers, "Pragma"), ==, "no-cache");

  object = tg_test_reply_json (reply);
  g_assert_cmpstr (json_object_get_string_member (object, "token_type"), ==, "Bearer");
  g_assert_true (json_object_has_member (object, "expires_in"));
  g_assert_nonnull (json_object_get_string_member (object, "access_token"));
  g_assert_nonnull (json_object_get_string_member (object, "refresh_token"));

  if (out_refresh_token != NULL)
    *out_refresh_token = g_strdup (json_object_get_string_member (object, "refresh_token"));
  return g_strdup (json_object_get_string_member (object, "access_token"));
}

/* GET /api/resources with @access_token as the bearer token. */
TgTestReply *
tg_test_get_resource_reply (TgTestServer *fixture,
                            const char   *access_token)
{
  g_autofree char *authorization = g_strconcat ("Bearer ", access_token, NULL);

  return tg_test_request (fixture, "GET", "/api/resources", NULL, NULL, authorization);
}

guint
tg_test_get_resource (TgTestServer *fixture,
                      const char   *access_token)
{
  g_autoptr(TgTestReply) reply = tg_test_get_resource_reply (fixture, access_token);

  return reply->status;
}

/**
 * tg_test_pkce_challenge:
 *
 * RFC 7636 §4.2: BASE64URL(SHA256(@verifier)).
 */
char *
tg_test_pkce_challenge (const char *verifier)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;

  g_checksum_update (checksum, (const guchar *) verifier, -1);
  g_checksum_get_digest (checksum, digest, &len);
  return tg_base64url_encode (digest, len);
}

/**
 * tg_test_html_hidden_value:
 *
 * The value of the sign-in form's hidden field @name, which must be there.
 */
char *
tg_test_html_hidden_value (const char *html,
                           const char *name)
{
  g_autofree char *pattern = g_strdup_printf ("<input type=\"hidden\" name=\"%s\" value=\"([^\"]*)\">", name);
  g_autoptr(GRegex) regex = g_regex_new (pattern, 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;

  g_assert_true (g_regex_match (regex, html, 0, &match));
  return g_match_info_fetch (match, 1);
}
