/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgAuthProtocol against the real demo server (both wire formats, end to end)
 * and against a canned SoupServer on the test's own main context that answers
 * whatever odd thing a real server might: empty and HTML error bodies, bare
 * 401s, lower-case token types, numbers as strings, skewed clocks. Every error
 * message that comes out is searched for the secrets that went in.
 */
#include "config.h"

#include <dlfcn.h>
#include <locale.h>
#include <string.h>

#include "tg-auth-error.h"
#include "tg-auth-protocol-private.h"
#include "tg-base64url.h"
#include "tg-test-server.h"
#include "tg-test-util.h"

#define JSON_TYPE "application/json"
#define FORM_TYPE "application/x-www-form-urlencoded"

/* Distinctive values, so that finding one in an error message means a leak. */
#define USER          "ann o'neil&co"
#define PASSWORD      "Pa\"ss\\wo rd&=+%\xc3\xa9\n-7f3a91"
#define OLD_REFRESH   "rt-old-3c9e1d77b2"
#define NEW_REFRESH   "rt-new-8d41f0e2aa"
#define ACCESS        "at-canned-5be0c1a9"
#define CLIENT_ID     "my client:1/é"
#define CLIENT_SECRET "s3cr%t &:=+\"x"

#define WAIT_SECONDS 30

#define REDACTED_MARK "[redacted]"

/* ------------------------------------------------------------------------- */
/* Helpers                                                                   */

typedef struct {
  GBytes   *body;
  GError   *error;
  gboolean  done;
} SendResult;

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  SendResult *send = user_data;

  send->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &send->error);
  send->done = TRUE;
}

/* Asynchronous, so that it works with a server on this thread's main context
 * as well as with the demo server on its own thread. */
static GBytes *
send_message (SoupSession *session,
              SoupMessage *msg)
{
  SendResult send = { 0 };

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, &send);
  tg_test_wait (&send.done, WAIT_SECONDS);
  g_assert_no_error (send.error);

  return send.body;
}

/* An error of the expected kind whose message carries no secret and nothing
 * that could mess up a terminal or a label. */
static void
assert_clean_error (const GError *error,
                    GQuark        domain,
                    gint          code,
                    const char   *extra_secret)
{
  const char *secrets[] = {
    PASSWORD, OLD_REFRESH, NEW_REFRESH, ACCESS, CLIENT_SECRET, extra_secret,
  };

  g_assert_error (error, domain, code);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (secrets); i++)
    if (secrets[i] != NULL)
      g_assert_null (strstr (error->message, secrets[i]));
  for (const char *p = error->message; *p != '\0'; p++)
    g_assert_false (g_ascii_iscntrl (*p));
}

static void
assert_expires_near (TgTokens *tokens,
                     gint64    expected_from_now_seconds)
{
  gint64 expected = g_get_real_time () + expected_from_now_seconds * G_USEC_PER_SEC;
  gint64 actual = tg_tokens_get_expires_at (tokens);

  /* The Date header has a resolution of one second; allow for that and for
   * a slow machine. */
  g_assert_cmpint (actual, >, 0);
  g_assert_cmpint (ABS (actual - expected), <=, 3 * G_USEC_PER_SEC);
}

static char *
make_jwt (const char *payload_json)
{
  const char *header = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}";
  const guint8 signature[] = { 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04 };
  g_autofree char *h = tg_base64url_encode ((const guint8 *) header, strlen (header));
  g_autofree char *p = tg_base64url_encode ((const guint8 *) payload_json, strlen (payload_json));
  g_autofree char *s = tg_base64url_encode (signature, sizeof signature);

  return g_strconcat (h, ".", p, ".", s, NULL);
}

static char *
make_jwt_expiring (gint64 exp)
{
  g_autofree char *payload = g_strdup_printf ("{\"sub\":\"42\",\"exp\":%" G_GINT64_FORMAT ","
                                              "\"iat\":1}", exp);

  return make_jwt (payload);
}

static char *
http_date (gint64 unix_seconds)
{
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (unix_seconds);

  return soup_date_time_to_string (date, SOUP_DATE_HTTP);
}

/* ------------------------------------------------------------------------- */
/* The canned server                                                         */

typedef struct {
  SoupServer         *server;
  SoupSession        *session;
  char               *base_uri;

  /* the answer */
  guint               status;
  char               *content_type;     /* nullable */
  char               *body;             /* nullable */
  char               *date;             /* nullable: replaces the Date header */
  gboolean            drop_date;
  char               *location;         /* nullable */

  /* the last request */
  guint               n_requests;
  char               *method;
  char               *path;
  SoupMessageHeaders *request_headers;
  GBytes             *request_body;
  GPtrArray          *request_bodies;   /* of GBytes, every request in order */
} Canned;

static void
canned_handler (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  Canned *canned = user_data;
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);

  canned->n_requests++;
  g_clear_pointer (&canned->method, g_free);
  g_clear_pointer (&canned->path, g_free);
  g_clear_pointer (&canned->request_headers, soup_message_headers_unref);
  g_clear_pointer (&canned->request_body, g_bytes_unref);
  canned->method = g_strdup (soup_server_message_get_method (msg));
  canned->path = g_strdup (path);
  canned->request_headers = soup_message_headers_ref (soup_server_message_get_request_headers (msg));
  canned->request_body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_ptr_array_add (canned->request_bodies, g_bytes_ref (canned->request_body));

  soup_server_message_set_status (msg, canned->status, NULL);
  if (canned->body != NULL && canned->content_type != NULL)
    soup_server_message_set_response (msg, canned->content_type, SOUP_MEMORY_COPY,
                                      canned->body, strlen (canned->body));
  else if (canned->body != NULL)
    /* A body with no Content-Type at all. */
    soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_COPY,
                              canned->body, strlen (canned->body));
  if (canned->date != NULL)
    soup_message_headers_replace (response_headers, "Date", canned->date);
  if (canned->drop_date)
    soup_message_headers_remove (response_headers, "Date");
  if (canned->location != NULL)
    soup_message_headers_replace (response_headers, "Location", canned->location);
}

static void
canned_setup (Canned        *canned,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  canned->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (canned->server, NULL, canned_handler, canned, NULL);
  soup_server_listen_local (canned->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (canned->server);
  g_assert_nonnull (uris);
  canned->base_uri = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  canned->session = soup_session_new ();
  canned->request_bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  canned->status = SOUP_STATUS_OK;
}

static void
canned_teardown (Canned        *canned,
                 gconstpointer  data)
{
  soup_session_abort (canned->session);
  g_assert_finalize_object (canned->session);
  soup_server_disconnect (canned->server);
  g_assert_finalize_object (canned->server);

  g_free (canned->base_uri);
  g_free (canned->content_type);
  g_free (canned->body);
  g_free (canned->date);
  g_free (canned->location);
  g_free (canned->method);
  g_free (canned->path);
  g_clear_pointer (&canned->request_headers, soup_message_headers_unref);
  g_clear_pointer (&canned->request_body, g_bytes_unref);
  g_ptr_array_unref (canned->request_bodies);
}

static void
canned_answer (Canned     *canned,
               guint       status,
               const char *content_type,
               const char *body)
{
  canned->status = status;
  g_free (canned->content_type);
  canned->content_type = g_strdup (content_type);
  g_free (canned->body);
  canned->body = g_strdup (body);
}

static TgAuthProtocol *
canned_protocol (Canned             *canned,
                 TgAuthProtocolKind  kind)
{
  g_autoptr(GError) error = NULL;
  TgAuthProtocol *protocol;

  if (kind == TG_AUTH_PROTOCOL_SEED)
    {
      protocol = tg_auth_protocol_new_seed (canned->base_uri, &error);
    }
  else
    {
      g_autofree char *token = g_strconcat (canned->base_uri, "/oauth2/token", NULL);

      protocol = tg_auth_protocol_new_oauth2 (token, NULL, NULL, NULL, NULL, &error);
    }
  g_assert_no_error (error);

  return protocol;
}

/* Sends a sign-in (or a refresh of OLD_REFRESH) and parses what came back. */
static TgTokens *
canned_exchange (Canned          *canned,
                 TgAuthProtocol  *protocol,
                 TgAuthOperation  operation,
                 const char      *previous_refresh_token,
                 GError         **error)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;

  if (operation == TG_AUTH_OPERATION_SIGN_IN)
    msg = tg_auth_protocol_new_sign_in_message (protocol, USER, PASSWORD);
  else
    msg = tg_auth_protocol_new_refresh_message (protocol, OLD_REFRESH);

  body = send_message (canned->session, msg);
  return tg_auth_protocol_parse_answer (protocol, operation, msg, body,
                                        previous_refresh_token, error);
}

static const char *
request_header (Canned     *canned,
                const char *name)
{
  return soup_message_headers_get_one (canned->request_headers, name);
}

static char *
request_text (Canned *canned)
{
  return g_strndup (g_bytes_get_data (canned->request_body, NULL),
                    g_bytes_get_size (canned->request_body));
}

static GHashTable *
request_form (Canned *canned)
{
  g_autofree char *text = request_text (canned);

  g_assert_cmpstr (soup_message_headers_get_content_type (canned->request_headers, NULL),
                   ==, FORM_TYPE);
  return soup_form_decode (text);
}

static JsonObject *
request_json (Canned *canned)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  g_assert_cmpstr (soup_message_headers_get_content_type (canned->request_headers, NULL),
                   ==, JSON_TYPE);
  json_parser_load_from_data (parser, g_bytes_get_data (canned->request_body, NULL),
                              (gssize) g_bytes_get_size (canned->request_body), &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  return json_object_ref (json_node_get_object (root));
}

/* ------------------------------------------------------------------------- */
/* Value types                                                               */

static void
test_tokens (void)
{
  g_autoptr(TgTokens) tokens = tg_tokens_new (ACCESS, OLD_REFRESH, 1234);
  g_autoptr(TgTokens) broken = NULL;
  g_autoptr(TgTokens) bare = NULL;
  TgTokens *copy;

  g_assert_cmpstr (tg_tokens_get_access_token (tokens), ==, ACCESS);
  g_assert_cmpstr (tg_tokens_get_refresh_token (tokens), ==, OLD_REFRESH);
  g_assert_cmpint (tg_tokens_get_expires_at (tokens), ==, 1234);

  /* Boxed copy is a reference to the same immutable pair. */
  g_assert_true (G_TYPE_IS_BOXED (TG_TYPE_TOKENS));
  copy = g_boxed_copy (TG_TYPE_TOKENS, tokens);
  g_assert_true (copy == tokens);
  g_boxed_free (TG_TYPE_TOKENS, copy);

  broken = tg_tokens_with_access_token (tokens, "broken");
  g_assert_true (broken != tokens);
  g_assert_cmpstr (tg_tokens_get_access_token (broken), ==, "broken");
  g_assert_cmpstr (tg_tokens_get_refresh_token (broken), ==, OLD_REFRESH);
  g_assert_cmpint (tg_tokens_get_expires_at (broken), ==, 1234);
  g_assert_cmpstr (tg_tokens_get_access_token (tokens), ==, ACCESS);

  bare = tg_tokens_new (ACCESS, "", 0);
  g_assert_null (tg_tokens_get_refresh_token (bare));
  g_assert_cmpint (tg_tokens_get_expires_at (bare), ==, 0);
}

static void
test_error_quark (void)
{
  g_assert_cmpstr (g_quark_to_string (TG_AUTH_ERROR), ==, "tg-auth-error-quark");
  g_assert_true (TG_AUTH_ERROR == tg_auth_error_quark ());
}

/* ------------------------------------------------------------------------- */
/* Constructors and the plain-http rule                                      */

static void
test_constructors_reject (void)
{
  const struct {
    const char *uri;
    GQuark      domain;
    gint        code;
  } cases[] = {
    { "ftp://example.org/", G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT },
    { "file:///etc/passwd", G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT },
    { "garbage", G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT },
    { "", G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT },
    { "http://", G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT },
    { "http://exa mple.org/", G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT },
    { "http://example.org", TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE },
    { "HTTP://example.org/token", TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE },
    { "http://128.0.0.1", TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE },
    { "http://10.0.0.1:8080", TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE },
    { "http://[::2]:8080", TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE },
    { "http://127.0.0.1.example.org", TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE },
    { "http://localhost.example.org", TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE },
    { "http://ann:hunter2@example.org", TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) seed_error = NULL;
      g_autoptr(GError) oauth2_error = NULL;
      g_autoptr(GError) revocation_error = NULL;
      g_autoptr(TgAuthProtocol) seed = NULL;
      g_autoptr(TgAuthProtocol) oauth2 = NULL;
      g_autoptr(TgAuthProtocol) revocation = NULL;

      g_test_message ("%s", cases[i].uri);
      seed = tg_auth_protocol_new_seed (cases[i].uri, &seed_error);
      g_assert_null (seed);
      g_assert_error (seed_error, cases[i].domain, cases[i].code);
      g_assert_null (strstr (seed_error->message, "hunter2"));

      oauth2 = tg_auth_protocol_new_oauth2 (cases[i].uri, NULL, NULL, NULL, NULL, &oauth2_error);
      g_assert_null (oauth2);
      g_assert_error (oauth2_error, cases[i].domain, cases[i].code);

      /* The revocation endpoint gets the refresh token: the same rule. */
      revocation = tg_auth_protocol_new_oauth2 ("https://example.org/token", cases[i].uri,
                                                NULL, NULL, NULL, &revocation_error);
      if (*cases[i].uri == '\0')
        {
          /* "" means "no revocation endpoint". */
          g_assert_no_error (revocation_error);
          g_assert_nonnull (revocation);
        }
      else
        {
          g_assert_null (revocation);
          g_assert_error (revocation_error, cases[i].domain, cases[i].code);
        }
    }
}

static void
test_constructors_client_secret_needs_id (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgAuthProtocol) protocol = NULL;

  protocol = tg_auth_protocol_new_oauth2 ("https://example.org/token", NULL, NULL,
                                          CLIENT_SECRET, NULL, &error);
  g_assert_null (protocol);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (strstr (error->message, CLIENT_SECRET));
}

static void
test_constructors_accept (void)
{
  const struct {
    const char *base;
    const char *token_uri;
  } seed_cases[] = {
    { "http://127.0.0.1:1", "http://127.0.0.1:1/authorization/token" },
    { "http://127.0.0.1:1/", "http://127.0.0.1:1/authorization/token" },
    { "http://127.45.6.7:8080", "http://127.45.6.7:8080/authorization/token" },
    { "http://localhost", "http://localhost/authorization/token" },
    { "http://LocalHost:8080", "http://LocalHost:8080/authorization/token" },
    { "http://[::1]:8080", "http://[::1]:8080/authorization/token" },
    { "https://example.org", "https://example.org/authorization/token" },
    { "https://example.org/api", "https://example.org/api/authorization/token" },
    { "https://example.org/api/", "https://example.org/api/authorization/token" },
    { "https://example.org/a%20b/#frag", "https://example.org/a%20b/authorization/token" },
  };
  const char *oauth2_cases[] = {
    "http://127.0.0.1:1/oauth2/token",
    "http://localhost/token",
    "http://[::1]/token",
    "https://example.org/oauth2/token",
    "https://example.org/token?tenant=a",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (seed_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TgAuthProtocol) protocol = NULL;
      g_autofree char *token_uri = NULL;
      TgAuthProtocolKind kind;

      protocol = tg_auth_protocol_new_seed (seed_cases[i].base, &error);
      g_assert_no_error (error);
      g_assert_cmpint (tg_auth_protocol_get_kind (protocol), ==, TG_AUTH_PROTOCOL_SEED);
      g_assert_cmpstr (tg_auth_protocol_get_token_uri (protocol), ==, seed_cases[i].token_uri);

      g_object_get (protocol, "kind", &kind, "token-uri", &token_uri, NULL);
      g_assert_cmpint (kind, ==, TG_AUTH_PROTOCOL_SEED);
      g_assert_cmpstr (token_uri, ==, seed_cases[i].token_uri);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (oauth2_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TgAuthProtocol) protocol = NULL;

      protocol = tg_auth_protocol_new_oauth2 (oauth2_cases[i], oauth2_cases[i], CLIENT_ID,
                                              NULL, "read write", &error);
      g_assert_no_error (error);
      g_assert_cmpint (tg_auth_protocol_get_kind (protocol), ==, TG_AUTH_PROTOCOL_OAUTH2);
      g_assert_cmpstr (tg_auth_protocol_get_token_uri (protocol), ==, oauth2_cases[i]);
      g_assert_finalize_object (g_steal_pointer (&protocol));
    }
}

static void
test_uri_is_safe (void)
{
  const struct {
    const char *uri;
    gboolean    safe;
    GQuark      domain;
    gint        code;
  } cases[] = {
    { "https://example.org/api/resources", TRUE, 0, 0 },
    { "http://127.0.0.1:8080/api/resources", TRUE, 0, 0 },
    { "http://127.255.255.254/", TRUE, 0, 0 },
    { "http://localhost:1/", TRUE, 0, 0 },
    { "http://[::1]:1/", TRUE, 0, 0 },
    { "http://example.org/api/resources", FALSE, TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE },
    { "http://192.168.1.10/", FALSE, TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE },
    { "http://[::ffff:7f00:1]/", FALSE, TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE },
    { "ws://127.0.0.1/", FALSE, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT },
    { "ftp://example.org/", FALSE, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GUri) uri = g_uri_parse (cases[i].uri, G_URI_FLAGS_NONE, NULL);
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", cases[i].uri);
      g_assert_nonnull (uri);
      g_assert_cmpint (tg_uri_is_safe_for_tokens (uri, &error), ==, cases[i].safe);
      if (cases[i].safe)
        g_assert_no_error (error);
      else
        g_assert_error (error, cases[i].domain, cases[i].code);
    }
}

/* ------------------------------------------------------------------------- */
/* End to end with the demo server                                           */

typedef struct {
  TgTestServer   *fixture;
  TgAuthProtocol *protocol;
} Demo;

static TgTokens *
demo_sign_in (Demo        *demo,
              const char  *user,
              const char  *password,
              GError     **error)
{
  g_autoptr(SoupMessage) msg = tg_auth_protocol_new_sign_in_message (demo->protocol, user, password);
  g_autoptr(GBytes) body = send_message (demo->fixture->session, msg);

  return tg_auth_protocol_parse_answer (demo->protocol, TG_AUTH_OPERATION_SIGN_IN, msg, body,
                                        NULL, error);
}

static TgTokens *
demo_refresh (Demo        *demo,
              const char  *refresh_token,
              GError     **error)
{
  g_autoptr(SoupMessage) msg = tg_auth_protocol_new_refresh_message (demo->protocol, refresh_token);
  g_autoptr(GBytes) body = send_message (demo->fixture->session, msg);

  return tg_auth_protocol_parse_answer (demo->protocol, TG_AUTH_OPERATION_REFRESH, msg, body,
                                        refresh_token, error);
}

static void
run_demo (TgAuthProtocolKind kind)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autoptr(TgAuthProtocol) protocol = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTokens) first = NULL;
  g_autoptr(TgTokens) second = NULL;
  g_autoptr(TgTokens) third = NULL;
  g_autoptr(TgTokens) none = NULL;
  Demo demo;

  if (kind == TG_AUTH_PROTOCOL_SEED)
    {
      protocol = tg_auth_protocol_new_seed (tg_test_server_uri (fixture), &error);
    }
  else
    {
      g_autofree char *token = g_strconcat (tg_test_server_uri (fixture), "/oauth2/token", NULL);
      g_autofree char *revoke = g_strconcat (tg_test_server_uri (fixture), "/oauth2/revoke", NULL);

      protocol = tg_auth_protocol_new_oauth2 (token, revoke, "tokengate-test", NULL, "resources",
                                              &error);
    }
  g_assert_no_error (error);
  demo.fixture = fixture;
  demo.protocol = protocol;

  /* A user whose name and password need escaping in JSON and in a form. */
  tg_server_add_user (fixture->server, USER, PASSWORD, &error);
  g_assert_no_error (error);

  first = demo_sign_in (&demo, USER, PASSWORD, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tg_tokens_get_refresh_token (first));
  g_assert_cmpuint (tg_test_get_resource (fixture, tg_tokens_get_access_token (first)), ==, 200);
  /* The demo server's access tokens live 60 s; expires_in and the JWT agree. */
  assert_expires_near (first, 60);

  /* The demo user works too. */
  none = demo_sign_in (&demo, TG_SERVER_DEMO_USER, TG_SERVER_DEMO_PASSWORD, &error);
  g_assert_no_error (error);
  g_clear_pointer (&none, tg_tokens_unref);

  /* A wrong password is the person's mistake, not the server's. */
  none = demo_sign_in (&demo, USER, "Wr0ng-PassW0rd-xyzzy", &error);
  g_assert_null (none);
  assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_BAD_CREDENTIALS, "Wr0ng-PassW0rd-xyzzy");
  g_clear_error (&error);

  /* The server rotates: a new refresh token, a new working access token. */
  second = demo_refresh (&demo, tg_tokens_get_refresh_token (first), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tg_tokens_get_refresh_token (second), !=, tg_tokens_get_refresh_token (first));
  g_assert_cmpstr (tg_tokens_get_access_token (second), !=, tg_tokens_get_access_token (first));
  g_assert_cmpuint (tg_test_get_resource (fixture, tg_tokens_get_access_token (second)), ==, 200);
  assert_expires_near (second, 60);

  /* The used-up refresh token again: the server calls it invalid_grant (and
   * revokes the whole session, as reuse detection should). */
  none = demo_refresh (&demo, tg_tokens_get_refresh_token (first), &error);
  g_assert_null (none);
  assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED,
                      tg_tokens_get_refresh_token (first));
  g_clear_error (&error);

  none = demo_refresh (&demo, tg_tokens_get_refresh_token (second), &error);
  g_assert_null (none);
  assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED,
                      tg_tokens_get_refresh_token (second));
  g_clear_error (&error);

  /* A token the server never issued. */
  none = demo_refresh (&demo, "rt-never-issued-0b7e5c", &error);
  g_assert_null (none);
  assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED, "rt-never-issued-0b7e5c");
  g_clear_error (&error);

  /* A fresh session, refreshed twice in a row. */
  g_clear_pointer (&first, tg_tokens_unref);
  g_clear_pointer (&second, tg_tokens_unref);
  first = demo_sign_in (&demo, USER, PASSWORD, &error);
  g_assert_no_error (error);
  second = demo_refresh (&demo, tg_tokens_get_refresh_token (first), &error);
  g_assert_no_error (error);
  third = demo_refresh (&demo, tg_tokens_get_refresh_token (second), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tg_test_get_resource (fixture, tg_tokens_get_access_token (third)), ==, 200);

  if (kind == TG_AUTH_PROTOCOL_SEED)
    {
      g_assert_null (tg_auth_protocol_new_revoke_message (protocol, tg_tokens_get_refresh_token (third)));
    }
  else
    {
      g_autoptr(SoupMessage) revoke = NULL;
      g_autoptr(GBytes) body = NULL;

      revoke = tg_auth_protocol_new_revoke_message (protocol, tg_tokens_get_refresh_token (third));
      g_assert_nonnull (revoke);
      body = send_message (fixture->session, revoke);
      g_assert_cmpuint (soup_message_get_status (revoke), ==, 200);

      /* Revoking the refresh token ends the session: its access token too. */
      g_assert_cmpuint (tg_test_get_resource (fixture, tg_tokens_get_access_token (third)), ==, 401);
      none = demo_refresh (&demo, tg_tokens_get_refresh_token (third), &error);
      g_assert_null (none);
      assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED,
                          tg_tokens_get_refresh_token (third));
      g_clear_error (&error);
    }

  g_clear_pointer (&fixture, tg_test_server_free);
  g_assert_finalize_object (g_steal_pointer (&protocol));
}

static void
test_demo_seed (void)
{
  run_demo (TG_AUTH_PROTOCOL_SEED);
}

static void
test_demo_oauth2 (void)
{
  run_demo (TG_AUTH_PROTOCOL_OAUTH2);
}

/* ------------------------------------------------------------------------- */
/* What goes on the wire                                                     */

static void
test_messages_seed (Canned        *canned,
                    gconstpointer  data)
{
  g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, TG_AUTH_PROTOCOL_SEED);
  g_autoptr(SoupMessage) sign_in = NULL;
  g_autoptr(SoupMessage) refresh = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) object = NULL;

  sign_in = tg_auth_protocol_new_sign_in_message (protocol, USER, PASSWORD);
  body = send_message (canned->session, sign_in);
  g_assert_cmpstr (canned->method, ==, "POST");
  g_assert_cmpstr (canned->path, ==, "/authorization/token");
  g_assert_cmpstr (request_header (canned, "Accept"), ==, JSON_TYPE);
  g_assert_null (request_header (canned, "Authorization"));
  object = request_json (canned);
  g_assert_cmpuint (json_object_get_size (object), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (object, "userName"), ==, USER);
  g_assert_cmpstr (json_object_get_string_member (object, "password"), ==, PASSWORD);
  g_clear_pointer (&object, json_object_unref);
  g_clear_pointer (&body, g_bytes_unref);

  refresh = tg_auth_protocol_new_refresh_message (protocol, OLD_REFRESH);
  body = send_message (canned->session, refresh);
  g_assert_cmpstr (canned->method, ==, "POST");
  g_assert_cmpstr (canned->path, ==, "/authorization/refresh");
  g_assert_cmpstr (request_header (canned, "Accept"), ==, JSON_TYPE);
  object = request_json (canned);
  g_assert_cmpuint (json_object_get_size (object), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (object, "refreshToken"), ==, OLD_REFRESH);

  /* The seed API has no revocation. */
  g_assert_null (tg_auth_protocol_new_revoke_message (protocol, OLD_REFRESH));
}

/* JSON carries only Unicode: a password that is not UTF-8 still makes a valid
 * request (which the server will turn down), not a broken one. */
static void
test_messages_seed_not_utf8 (Canned        *canned,
                             gconstpointer  data)
{
  g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, TG_AUTH_PROTOCOL_SEED);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) object = NULL;

  msg = tg_auth_protocol_new_sign_in_message (protocol, "caf\xe9", "pa\xffss\xc3");
  body = send_message (canned->session, msg);
  object = request_json (canned);
  g_assert_cmpstr (json_object_get_string_member (object, "userName"), ==, "caf\xef\xbf\xbd");
  g_assert_cmpstr (json_object_get_string_member (object, "password"), ==,
                   "pa\xef\xbf\xbdss\xef\xbf\xbd");
}

/* RFC 6749 §2.3.1: Basic credentials of the form-encoded ID and secret. */
static void
assert_basic_client_auth (Canned *canned)
{
  const char *authorization = request_header (canned, "Authorization");
  g_autofree guchar *decoded = NULL;
  g_autofree char *credentials = NULL;
  g_autofree char *as_form = NULL;
  g_autoptr(GHashTable) form = NULL;
  g_auto(GStrv) parts = NULL;
  gsize len;

  g_assert_nonnull (authorization);
  g_assert_true (g_str_has_prefix (authorization, "Basic "));
  decoded = g_base64_decode (authorization + 6, &len);
  credentials = g_strndup ((const char *) decoded, len);
  parts = g_strsplit (credentials, ":", -1);
  /* Both halves are encoded, so the colon inside the ID cannot split them. */
  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  as_form = g_strdup_printf ("id=%s&secret=%s", parts[0], parts[1]);
  form = soup_form_decode (as_form);
  g_assert_cmpstr (g_hash_table_lookup (form, "id"), ==, CLIENT_ID);
  g_assert_cmpstr (g_hash_table_lookup (form, "secret"), ==, CLIENT_SECRET);
}

static void
test_messages_oauth2_client_secret (Canned        *canned,
                                    gconstpointer  data)
{
  g_autofree char *token_uri = g_strconcat (canned->base_uri, "/oauth2/token", NULL);
  g_autofree char *revoke_uri = g_strconcat (canned->base_uri, "/oauth2/revoke", NULL);
  g_autoptr(TgAuthProtocol) protocol = NULL;
  g_autoptr(SoupMessage) sign_in = NULL;
  g_autoptr(SoupMessage) refresh = NULL;
  g_autoptr(SoupMessage) revoke = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GHashTable) form = NULL;
  g_autoptr(GError) error = NULL;

  protocol = tg_auth_protocol_new_oauth2 (token_uri, revoke_uri, CLIENT_ID, CLIENT_SECRET,
                                          "read write", &error);
  g_assert_no_error (error);

  sign_in = tg_auth_protocol_new_sign_in_message (protocol, USER, PASSWORD);
  body = send_message (canned->session, sign_in);
  g_assert_cmpstr (canned->method, ==, "POST");
  g_assert_cmpstr (canned->path, ==, "/oauth2/token");
  g_assert_cmpstr (request_header (canned, "Accept"), ==, JSON_TYPE);
  assert_basic_client_auth (canned);
  form = request_form (canned);
  g_assert_cmpuint (g_hash_table_size (form), ==, 4);
  g_assert_cmpstr (g_hash_table_lookup (form, "grant_type"), ==, "password");
  g_assert_cmpstr (g_hash_table_lookup (form, "username"), ==, USER);
  g_assert_cmpstr (g_hash_table_lookup (form, "password"), ==, PASSWORD);
  g_assert_cmpstr (g_hash_table_lookup (form, "scope"), ==, "read write");
  g_clear_pointer (&form, g_hash_table_unref);
  g_clear_pointer (&body, g_bytes_unref);

  refresh = tg_auth_protocol_new_refresh_message (protocol, OLD_REFRESH);
  body = send_message (canned->session, refresh);
  g_assert_cmpstr (canned->path, ==, "/oauth2/token");
  assert_basic_client_auth (canned);
  form = request_form (canned);
  /* No scope on a refresh: RFC 6749 §6 (see refresh-without-scope). */
  g_assert_cmpuint (g_hash_table_size (form), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (form, "grant_type"), ==, "refresh_token");
  g_assert_cmpstr (g_hash_table_lookup (form, "refresh_token"), ==, OLD_REFRESH);
  g_clear_pointer (&form, g_hash_table_unref);
  g_clear_pointer (&body, g_bytes_unref);

  revoke = tg_auth_protocol_new_revoke_message (protocol, OLD_REFRESH);
  g_assert_nonnull (revoke);
  body = send_message (canned->session, revoke);
  g_assert_cmpstr (canned->method, ==, "POST");
  g_assert_cmpstr (canned->path, ==, "/oauth2/revoke");
  assert_basic_client_auth (canned);
  form = request_form (canned);
  g_assert_cmpuint (g_hash_table_size (form), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (form, "token"), ==, OLD_REFRESH);
  g_assert_cmpstr (g_hash_table_lookup (form, "token_type_hint"), ==, "refresh_token");
}

static void
test_messages_oauth2_client_id (Canned        *canned,
                                gconstpointer  data)
{
  g_autofree char *token_uri = g_strconcat (canned->base_uri, "/oauth2/token", NULL);
  g_autofree char *revoke_uri = g_strconcat (canned->base_uri, "/oauth2/revoke", NULL);
  g_autoptr(TgAuthProtocol) protocol = NULL;
  g_autoptr(SoupMessage) sign_in = NULL;
  g_autoptr(SoupMessage) refresh = NULL;
  g_autoptr(SoupMessage) revoke = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GHashTable) form = NULL;
  g_autoptr(GError) error = NULL;

  protocol = tg_auth_protocol_new_oauth2 (token_uri, revoke_uri, CLIENT_ID, NULL, NULL, &error);
  g_assert_no_error (error);

  sign_in = tg_auth_protocol_new_sign_in_message (protocol, USER, PASSWORD);
  body = send_message (canned->session, sign_in);
  g_assert_null (request_header (canned, "Authorization"));
  form = request_form (canned);
  g_assert_cmpuint (g_hash_table_size (form), ==, 4);
  g_assert_cmpstr (g_hash_table_lookup (form, "client_id"), ==, CLIENT_ID);
  g_assert_cmpstr (g_hash_table_lookup (form, "password"), ==, PASSWORD);
  g_assert_false (g_hash_table_contains (form, "scope"));
  g_clear_pointer (&form, g_hash_table_unref);
  g_clear_pointer (&body, g_bytes_unref);

  refresh = tg_auth_protocol_new_refresh_message (protocol, OLD_REFRESH);
  body = send_message (canned->session, refresh);
  g_assert_null (request_header (canned, "Authorization"));
  form = request_form (canned);
  g_assert_cmpuint (g_hash_table_size (form), ==, 3);
  g_assert_cmpstr (g_hash_table_lookup (form, "client_id"), ==, CLIENT_ID);
  g_assert_cmpstr (g_hash_table_lookup (form, "refresh_token"), ==, OLD_REFRESH);
  g_clear_pointer (&form, g_hash_table_unref);
  g_clear_pointer (&body, g_bytes_unref);

  revoke = tg_auth_protocol_new_revoke_message (protocol, OLD_REFRESH);
  body = send_message (canned->session, revoke);
  g_assert_null (request_header (canned, "Authorization"));
  form = request_form (canned);
  g_assert_cmpuint (g_hash_table_size (form), ==, 3);
  g_assert_cmpstr (g_hash_table_lookup (form, "client_id"), ==, CLIENT_ID);
  g_assert_cmpstr (g_hash_table_lookup (form, "token"), ==, OLD_REFRESH);
}

static void
test_messages_oauth2_no_client (Canned        *canned,
                                gconstpointer  data)
{
  g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, TG_AUTH_PROTOCOL_OAUTH2);
  g_autoptr(SoupMessage) sign_in = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GHashTable) form = NULL;

  sign_in = tg_auth_protocol_new_sign_in_message (protocol, USER, PASSWORD);
  body = send_message (canned->session, sign_in);
  g_assert_null (request_header (canned, "Authorization"));
  form = request_form (canned);
  g_assert_cmpuint (g_hash_table_size (form), ==, 3);
  g_assert_false (g_hash_table_contains (form, "client_id"));

  /* No revocation endpoint, no revocation message. */
  g_assert_null (tg_auth_protocol_new_revoke_message (protocol, OLD_REFRESH));
}

/* The token manager requeues a message once: the same bytes must go out. */
static void
test_messages_resend (Canned        *canned,
                      gconstpointer  data)
{
  for (TgAuthProtocolKind kind = TG_AUTH_PROTOCOL_SEED; kind <= TG_AUTH_PROTOCOL_OAUTH2; kind++)
    {
      g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, kind);
      g_autoptr(SoupMessage) msg = tg_auth_protocol_new_refresh_message (protocol, OLD_REFRESH);
      g_autoptr(GBytes) first = NULL;
      g_autoptr(GBytes) second = NULL;
      guint before = canned->request_bodies->len;

      canned_answer (canned, 401, NULL, NULL);
      first = send_message (canned->session, msg);
      second = send_message (canned->session, msg);
      g_assert_cmpuint (canned->request_bodies->len, ==, before + 2);
      g_assert_cmpuint (g_bytes_get_size (canned->request_bodies->pdata[before]), >, 0);
      g_assert_true (g_bytes_equal (canned->request_bodies->pdata[before],
                                    canned->request_bodies->pdata[before + 1]));
    }
}

/* A token endpoint that redirects is answered, not followed: libsoup would
 * re-send a POST body on 307/308 to wherever Location points. */
static void
test_messages_no_redirect (Canned        *canned,
                           gconstpointer  data)
{
  for (TgAuthProtocolKind kind = TG_AUTH_PROTOCOL_SEED; kind <= TG_AUTH_PROTOCOL_OAUTH2; kind++)
    {
      g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, kind);
      g_autoptr(TgTokens) tokens = NULL;
      g_autoptr(GError) error = NULL;
      guint before = canned->n_requests;

      g_free (canned->location);
      canned->location = g_strconcat (canned->base_uri, "/elsewhere", NULL);
      canned_answer (canned, 307, NULL, NULL);

      tokens = canned_exchange (canned, protocol, TG_AUTH_OPERATION_SIGN_IN, NULL, &error);
      g_assert_null (tokens);
      assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SERVER, NULL);
      g_assert_nonnull (strstr (error->message, "307"));
      g_assert_cmpuint (canned->n_requests, ==, before + 1);
      g_clear_error (&error);

      canned_answer (canned, 308, NULL, NULL);
      tokens = canned_exchange (canned, protocol, TG_AUTH_OPERATION_REFRESH, OLD_REFRESH, &error);
      g_assert_null (tokens);
      assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED, NULL);
      g_assert_cmpuint (canned->n_requests, ==, before + 2);
    }
}

/* ------------------------------------------------------------------------- */
/* How errors are classified                                                 */

typedef struct {
  TgAuthOperation  operation;
  guint            status;
  const char      *content_type;
  const char      *body;
  gint             code;
} ErrorCase;

#define SIGN_IN TG_AUTH_OPERATION_SIGN_IN
#define REFRESH TG_AUTH_OPERATION_REFRESH
#define HTML    "text/html; charset=utf-8"
#define HTML_PAGE "<!DOCTYPE html><html><head><title>Error</title></head>" \
                  "<body><h1>Something went wrong</h1></body></html>"
#define GRANT_ERROR "{\"error\":\"invalid_grant\",\"error_description\":\"no such grant\"}"

static const ErrorCase error_cases[] = {
  /* Empty bodies: the status is all there is. */
  { SIGN_IN, 400, NULL, NULL, TG_AUTH_ERROR_SERVER },
  { SIGN_IN, 401, NULL, NULL, TG_AUTH_ERROR_BAD_CREDENTIALS },
  { SIGN_IN, 403, NULL, NULL, TG_AUTH_ERROR_BAD_CREDENTIALS },
  { SIGN_IN, 404, NULL, NULL, TG_AUTH_ERROR_SERVER },
  { SIGN_IN, 429, NULL, NULL, TG_AUTH_ERROR_SERVER },
  { SIGN_IN, 500, NULL, NULL, TG_AUTH_ERROR_SERVER },
  { SIGN_IN, 503, NULL, NULL, TG_AUTH_ERROR_SERVER },
  { REFRESH, 400, NULL, NULL, TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 401, NULL, NULL, TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 403, NULL, NULL, TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 404, NULL, NULL, TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 429, NULL, NULL, TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 500, NULL, NULL, TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 503, NULL, NULL, TG_AUTH_ERROR_REFRESH_FAILED },

  /* A proxy's or a framework's HTML page. */
  { SIGN_IN, 401, HTML, HTML_PAGE, TG_AUTH_ERROR_BAD_CREDENTIALS },
  { SIGN_IN, 403, HTML, HTML_PAGE, TG_AUTH_ERROR_BAD_CREDENTIALS },
  { SIGN_IN, 400, HTML, HTML_PAGE, TG_AUTH_ERROR_SERVER },
  { SIGN_IN, 502, HTML, HTML_PAGE, TG_AUTH_ERROR_SERVER },
  { REFRESH, 401, HTML, HTML_PAGE, TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 403, HTML, HTML_PAGE, TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 400, HTML, HTML_PAGE, TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 502, HTML, HTML_PAGE, TG_AUTH_ERROR_REFRESH_FAILED },

  /* RFC 6749 §5.2 errors. */
  { SIGN_IN, 400, JSON_TYPE, GRANT_ERROR, TG_AUTH_ERROR_BAD_CREDENTIALS },
  { SIGN_IN, 401, JSON_TYPE, GRANT_ERROR, TG_AUTH_ERROR_BAD_CREDENTIALS },
  { SIGN_IN, 403, JSON_TYPE, GRANT_ERROR, TG_AUTH_ERROR_BAD_CREDENTIALS },
  { SIGN_IN, 400, JSON_TYPE, "{\"error\":\"invalid_request\"}", TG_AUTH_ERROR_SERVER },
  { SIGN_IN, 401, JSON_TYPE, "{\"error\":\"invalid_client\"}", TG_AUTH_ERROR_SERVER },
  { SIGN_IN, 400, JSON_TYPE, "{\"error\":\"unsupported_grant_type\"}", TG_AUTH_ERROR_SERVER },
  { SIGN_IN, 400, JSON_TYPE, "{\"error\":\"invalid_scope\"}", TG_AUTH_ERROR_SERVER },
  { SIGN_IN, 500, JSON_TYPE, "{\"error\":\"server_error\"}", TG_AUTH_ERROR_SERVER },
  { SIGN_IN, 500, JSON_TYPE, GRANT_ERROR, TG_AUTH_ERROR_SERVER },
  { REFRESH, 400, JSON_TYPE, GRANT_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED },
  { REFRESH, 401, JSON_TYPE, GRANT_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED },
  /* DESIGN rule 6: invalid_grant signs out with 400 or 401 only. */
  { REFRESH, 403, JSON_TYPE, GRANT_ERROR, TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 400, JSON_TYPE, "{\"error\":\"invalid_request\"}", TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 401, JSON_TYPE, "{\"error\":\"invalid_client\"}", TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 400, JSON_TYPE, "{\"error\":\"unauthorized_client\"}", TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 403, JSON_TYPE, "{\"error\":\"access_denied\"}", TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 429, JSON_TYPE, "{\"error\":\"slow_down\"}", TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 500, JSON_TYPE, "{\"error\":\"server_error\"}", TG_AUTH_ERROR_REFRESH_FAILED },
  /* invalid_grant from a 5xx is a server in trouble, not a verdict. */
  { REFRESH, 500, JSON_TYPE, GRANT_ERROR, TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 503, JSON_TYPE, GRANT_ERROR, TG_AUTH_ERROR_REFRESH_FAILED },

  /* JSON read whatever the Content-Type says. */
  { REFRESH, 400, "text/plain", GRANT_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED },
  { REFRESH, 400, NULL, GRANT_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED },
  { SIGN_IN, 400, HTML, GRANT_ERROR, TG_AUTH_ERROR_BAD_CREDENTIALS },

  /* Not an RFC 6749 error object: as good as no error code. */
  { REFRESH, 401, JSON_TYPE, "{\"error\":{\"code\":401}}", TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 401, JSON_TYPE, "[\"invalid_grant\"]", TG_AUTH_ERROR_REFRESH_FAILED },
  { REFRESH, 400, JSON_TYPE, "{\"message\":\"invalid_grant\"}", TG_AUTH_ERROR_REFRESH_FAILED },
  { SIGN_IN, 403, JSON_TYPE, "{\"message\":\"Forbidden\"}", TG_AUTH_ERROR_BAD_CREDENTIALS },
  { REFRESH, 401, JSON_TYPE, "{\"error\":\"invalid_gr", TG_AUTH_ERROR_REFRESH_FAILED },
};

static void
test_error_classification (Canned        *canned,
                           gconstpointer  data)
{
  for (TgAuthProtocolKind kind = TG_AUTH_PROTOCOL_SEED; kind <= TG_AUTH_PROTOCOL_OAUTH2; kind++)
    {
      g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, kind);

      for (gsize i = 0; i < G_N_ELEMENTS (error_cases); i++)
        {
          const ErrorCase *c = &error_cases[i];
          g_autoptr(TgTokens) tokens = NULL;
          g_autoptr(GError) error = NULL;
          g_autofree char *status = g_strdup_printf ("HTTP %u", c->status);

          g_test_message ("%s: %s %u %s", kind == TG_AUTH_PROTOCOL_SEED ? "seed" : "oauth2",
                          c->operation == SIGN_IN ? "sign-in" : "refresh", c->status,
                          c->body != NULL ? c->body : "(empty)");
          canned_answer (canned, c->status, c->content_type, c->body);
          tokens = canned_exchange (canned, protocol, c->operation,
                                    c->operation == REFRESH ? OLD_REFRESH : NULL, &error);
          g_assert_null (tokens);
          assert_clean_error (error, TG_AUTH_ERROR, c->code, NULL);
          /* Every message says what the server answered. */
          g_assert_nonnull (strstr (error->message, status));
          /* A server's HTML does not end up in a message. */
          g_assert_null (strstr (error->message, "<"));
        }
    }
}

static void
test_error_details (Canned        *canned,
                    gconstpointer  data)
{
  g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, TG_AUTH_PROTOCOL_OAUTH2);
  g_autoptr(TgTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  canned_answer (canned, 400, JSON_TYPE,
                 "{\"error\":\"invalid_request\",\"error_description\":\"grant_type is missing\","
                 "\"error_uri\":\"https://example.org/e\"}");
  tokens = canned_exchange (canned, protocol, SIGN_IN, NULL, &error);
  assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SERVER, NULL);
  g_assert_nonnull (strstr (error->message, "HTTP 400 Bad Request"));
  g_assert_nonnull (strstr (error->message, "invalid_request"));
  g_assert_nonnull (strstr (error->message, "grant_type is missing"));
  g_clear_error (&error);

  canned_answer (canned, 400, JSON_TYPE,
                 "{\"error\":\"invalid_grant\",\"error_description\":\"refresh token expired\"}");
  tokens = canned_exchange (canned, protocol, REFRESH, OLD_REFRESH, &error);
  assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED, NULL);
  g_assert_nonnull (strstr (error->message, "invalid_grant"));
  g_assert_nonnull (strstr (error->message, "refresh token expired"));
  g_clear_error (&error);

  canned_answer (canned, 503, NULL, NULL);
  tokens = canned_exchange (canned, protocol, REFRESH, OLD_REFRESH, &error);
  assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED, NULL);
  g_assert_nonnull (strstr (error->message, "HTTP 503 Service Unavailable"));
}

/* The description may be shown to a person: no terminal escapes, no bidi
 * tricks, no novel, and no token the server chose to echo. */
static void
test_error_description_sanitised (Canned        *canned,
                                  gconstpointer  data)
{
  g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, TG_AUTH_PROTOCOL_OAUTH2);
  g_autoptr(TgTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  const char *description;

  g_string_append (body, "{\"error\":\"invalid_request\",\"error_description\":\"");
  g_string_append (body, "bad token " OLD_REFRESH " \\u001b[31mred\\u001b[0m\\nnew line\\ttab"
                         " \\u202egnp.exe\\u0007 ");
  for (int i = 0; i < 1000; i++)
    g_string_append_c (body, 'x');
  g_string_append (body, "\"}");

  canned_answer (canned, 400, JSON_TYPE, body->str);
  tokens = canned_exchange (canned, protocol, REFRESH, OLD_REFRESH, &error);
  assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED, NULL);
  g_test_message ("%s", error->message);

  g_assert_nonnull (strstr (error->message, "[redacted]"));
  g_assert_null (strstr (error->message, "\xe2\x80\xae"));  /* U+202E */
  g_assert_nonnull (strstr (error->message, "[31mred[0m new line tab gnp.exe"));

  description = strstr (error->message, "bad token");
  g_assert_nonnull (description);
  g_assert_cmpint (g_utf8_strlen (description, -1), <=, 200);
  g_assert_true (g_str_has_suffix (error->message, "…"));
}

/* ------------------------------------------------------------------------- */
/* How successful answers are read                                           */

static TgTokens *
answer_and_parse (Canned          *canned,
                  TgAuthProtocol  *protocol,
                  TgAuthOperation  operation,
                  const char      *body,
                  GError         **error)
{
  canned_answer (canned, 200, JSON_TYPE, body);
  return canned_exchange (canned, protocol, operation,
                          operation == REFRESH ? OLD_REFRESH : NULL, error);
}

static void
test_answer_token_type (Canned        *canned,
                        gconstpointer  data)
{
  g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, TG_AUTH_PROTOCOL_OAUTH2);
  const char *accepted[] = { "Bearer", "bearer", "BEARER", "bEaReR" };
  const char *rejected[] = {
    "{\"access_token\":\"" ACCESS "\",\"token_type\":\"mac\"}",
    "{\"access_token\":\"" ACCESS "\",\"token_type\":\"DPoP\"}",
    "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer \"}",
    "{\"access_token\":\"" ACCESS "\",\"token_type\":\"\"}",
    "{\"access_token\":\"" ACCESS "\",\"token_type\":1}",
    /* A missing token_type is accepted: see token-type-missing. */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"access_token\":\"%s\",\"token_type\":\"%s\"}",
                                               ACCESS, accepted[i]);
      g_autoptr(TgTokens) tokens = NULL;
      g_autoptr(GError) error = NULL;

      tokens = answer_and_parse (canned, protocol, SIGN_IN, body, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (tg_tokens_get_access_token (tokens), ==, ACCESS);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (rejected); i++)
    {
      g_autoptr(TgTokens) tokens = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", rejected[i]);
      tokens = answer_and_parse (canned, protocol, REFRESH, rejected[i], &error);
      g_assert_null (tokens);
      assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL, NULL);
    }
}

static void
test_answer_expires_in (Canned        *canned,
                        gconstpointer  data)
{
  g_autoptr(TgAuthProtocol) seed = canned_protocol (canned, TG_AUTH_PROTOCOL_SEED);
  g_autoptr(TgAuthProtocol) oauth2 = canned_protocol (canned, TG_AUTH_PROTOCOL_OAUTH2);
  const struct {
    TgAuthProtocol *protocol;
    const char     *body;
    gint64          expires_in;  /* 0: unknown */
  } cases[] = {
    { oauth2, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\",\"expires_in\":3600}", 3600 },
    { oauth2, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\",\"expires_in\":\"3600\"}", 3600 },
    { oauth2, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\",\"expires_in\":3600.0}", 3600 },
    { oauth2, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\",\"expires_in\":null}", 0 },
    { oauth2, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\",\"expires_in\":0}", 0 },
    { oauth2, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\"}", 0 },
    { seed, "{\"authorizationToken\":\"" ACCESS "\",\"expiresIn\":120}", 120 },
    { seed, "{\"authorizationToken\":\"" ACCESS "\",\"expiresIn\":\"120\"}", 120 },
    { seed, "{\"authorizationToken\":\"" ACCESS "\"}", 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TgTokens) tokens = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", cases[i].body);
      tokens = answer_and_parse (canned, cases[i].protocol, SIGN_IN, cases[i].body, &error);
      g_assert_no_error (error);
      if (cases[i].expires_in == 0)
        g_assert_cmpint (tg_tokens_get_expires_at (tokens), ==, 0);
      else
        assert_expires_near (tokens, cases[i].expires_in);
    }
}

static void
test_answer_refresh_token (Canned        *canned,
                           gconstpointer  data)
{
  g_autoptr(TgAuthProtocol) seed = canned_protocol (canned, TG_AUTH_PROTOCOL_SEED);
  g_autoptr(TgAuthProtocol) oauth2 = canned_protocol (canned, TG_AUTH_PROTOCOL_OAUTH2);
  const struct {
    TgAuthProtocol  *protocol;
    TgAuthOperation  operation;
    const char      *body;
    const char      *refresh_token;
  } cases[] = {
    /* RFC 6749 §6: no refresh_token in the answer, keep the one we have. */
    { oauth2, REFRESH, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\"}", OLD_REFRESH },
    { oauth2, REFRESH, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\","
                       "\"refresh_token\":null}", OLD_REFRESH },
    { oauth2, REFRESH, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\","
                       "\"refresh_token\":\"\"}", OLD_REFRESH },
    { oauth2, REFRESH, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\","
                       "\"refresh_token\":\"" NEW_REFRESH "\"}", NEW_REFRESH },
    { oauth2, SIGN_IN, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\"}", NULL },
    { seed, REFRESH, "{\"authorizationToken\":\"" ACCESS "\"}", OLD_REFRESH },
    { seed, REFRESH, "{\"authorizationToken\":\"" ACCESS "\",\"refreshToken\":\"" NEW_REFRESH "\"}",
      NEW_REFRESH },
    { seed, SIGN_IN, "{\"authorizationToken\":\"" ACCESS "\"}", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TgTokens) tokens = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", cases[i].body);
      tokens = answer_and_parse (canned, cases[i].protocol, cases[i].operation, cases[i].body, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (tg_tokens_get_access_token (tokens), ==, ACCESS);
      g_assert_cmpstr (tg_tokens_get_refresh_token (tokens), ==, cases[i].refresh_token);
    }
}

static void
test_answer_unknown_fields (Canned        *canned,
                            gconstpointer  data)
{
  g_autoptr(TgAuthProtocol) seed = canned_protocol (canned, TG_AUTH_PROTOCOL_SEED);
  g_autoptr(TgAuthProtocol) oauth2 = canned_protocol (canned, TG_AUTH_PROTOCOL_OAUTH2);
  g_autoptr(TgTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  tokens = answer_and_parse (canned, oauth2, REFRESH,
                             "{\"id_token\":\"a.b.c\",\"access_token\":\"" ACCESS "\","
                             "\"scope\":\"read write\",\"token_type\":\"Bearer\","
                             "\"expires_in\":60,\"refresh_token\":\"" NEW_REFRESH "\","
                             "\"refresh_expires_in\":1800,\"not-before-policy\":0,"
                             "\"nested\":{\"a\":[1,2,{\"b\":null}]},\"flag\":true}",
                             &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tg_tokens_get_access_token (tokens), ==, ACCESS);
  g_assert_cmpstr (tg_tokens_get_refresh_token (tokens), ==, NEW_REFRESH);
  assert_expires_near (tokens, 60);
  g_clear_pointer (&tokens, tg_tokens_unref);

  /* The seed server's own answer has a userId, and text/html is no obstacle. */
  canned_answer (canned, 200, "text/html",
                 "{\"userId\":\"7\",\"authorizationToken\":\"" ACCESS "\","
                 "\"refreshToken\":\"" NEW_REFRESH "\",\"expiresIn\":60,\"extra\":[]}");
  tokens = canned_exchange (canned, seed, SIGN_IN, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tg_tokens_get_access_token (tokens), ==, ACCESS);
  g_assert_cmpstr (tg_tokens_get_refresh_token (tokens), ==, NEW_REFRESH);
  assert_expires_near (tokens, 60);
}

static void
test_answer_malformed (Canned        *canned,
                       gconstpointer  data)
{
  const struct {
    TgAuthProtocolKind  kind;
    guint               status;
    const char         *content_type;
    const char         *body;
  } cases[] = {
    { TG_AUTH_PROTOCOL_OAUTH2, 200, "text/html", "<html><body>Welcome! " ACCESS "</body></html>" },
    { TG_AUTH_PROTOCOL_OAUTH2, 200, JSON_TYPE, "[\"" ACCESS "\",\"Bearer\"]" },
    { TG_AUTH_PROTOCOL_OAUTH2, 200, JSON_TYPE, "\"" ACCESS "\"" },
    { TG_AUTH_PROTOCOL_OAUTH2, 200, JSON_TYPE, "{}" },
    { TG_AUTH_PROTOCOL_OAUTH2, 200, NULL, NULL },
    { TG_AUTH_PROTOCOL_OAUTH2, 204, NULL, NULL },
    { TG_AUTH_PROTOCOL_OAUTH2, 200, JSON_TYPE, "{\"access_token\":\"" ACCESS "\"," },
    { TG_AUTH_PROTOCOL_OAUTH2, 200, JSON_TYPE, "{\"access_token\":\"\",\"token_type\":\"Bearer\"}" },
    { TG_AUTH_PROTOCOL_OAUTH2, 200, JSON_TYPE, "{\"access_token\":42,\"token_type\":\"Bearer\"}" },
    { TG_AUTH_PROTOCOL_OAUTH2, 200, JSON_TYPE, "{\"access_token\":[\"" ACCESS "\"],\"token_type\":\"Bearer\"}" },
    { TG_AUTH_PROTOCOL_OAUTH2, 200, JSON_TYPE, "{\"access_token\":\"" ACCESS "\\r\\nX-Evil: 1\","
                                               "\"token_type\":\"Bearer\"}" },
    { TG_AUTH_PROTOCOL_OAUTH2, 200, JSON_TYPE, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\","
                                               "\"refresh_token\":7}" },
    { TG_AUTH_PROTOCOL_OAUTH2, 200, JSON_TYPE, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\","
                                               "\"expires_in\":\"soon\"}" },
    { TG_AUTH_PROTOCOL_OAUTH2, 200, JSON_TYPE, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\","
                                               "\"expires_in\":{\"s\":1}}" },
    { TG_AUTH_PROTOCOL_OAUTH2, 200, JSON_TYPE, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\","
                                               "\"expires_in\":true}" },
    /* A seed answer at an OAuth 2.0 endpoint, and the other way round. */
    { TG_AUTH_PROTOCOL_OAUTH2, 200, JSON_TYPE, "{\"authorizationToken\":\"" ACCESS "\"}" },
    { TG_AUTH_PROTOCOL_SEED, 200, JSON_TYPE, "{\"access_token\":\"" ACCESS "\",\"token_type\":\"Bearer\"}" },
    { TG_AUTH_PROTOCOL_SEED, 200, "text/plain", ACCESS },
    { TG_AUTH_PROTOCOL_SEED, 200, JSON_TYPE, "[]" },
    { TG_AUTH_PROTOCOL_SEED, 200, JSON_TYPE, "{\"authorizationToken\":\"\"}" },
    { TG_AUTH_PROTOCOL_SEED, 200, JSON_TYPE, "{\"authorizationToken\":null}" },
    { TG_AUTH_PROTOCOL_SEED, 200, JSON_TYPE, "{\"authorizationToken\":true}" },
    { TG_AUTH_PROTOCOL_SEED, 200, JSON_TYPE, "{\"authorizationToken\":\"" ACCESS "\","
                                             "\"refreshToken\":[\"" NEW_REFRESH "\"]}" },
    { TG_AUTH_PROTOCOL_SEED, 200, JSON_TYPE, "{\"authorizationToken\":\"" ACCESS "\",\"expiresIn\":\"1h\"}" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, cases[i].kind);

      for (TgAuthOperation operation = SIGN_IN; operation <= REFRESH; operation++)
        {
          g_autoptr(TgTokens) tokens = NULL;
          g_autoptr(GError) error = NULL;

          g_test_message ("%u %s", cases[i].status, cases[i].body != NULL ? cases[i].body : "(empty)");
          canned_answer (canned, cases[i].status, cases[i].content_type, cases[i].body);
          tokens = canned_exchange (canned, protocol, operation,
                                    operation == REFRESH ? OLD_REFRESH : NULL, &error);
          g_assert_null (tokens);
          assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL, NULL);
        }
    }
}

/* ------------------------------------------------------------------------- */
/* Expiry, JWTs and clock skew                                               */

static TgTokens *
answer_jwt (Canned      *canned,
            const char  *access_token,
            const char  *extra_members,
            GError     **error)
{
  g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, TG_AUTH_PROTOCOL_OAUTH2);
  g_autofree char *body = g_strdup_printf ("{\"access_token\":\"%s\",\"token_type\":\"Bearer\"%s}",
                                           access_token, extra_members);

  return answer_and_parse (canned, protocol, REFRESH, body, error);
}

/* The server's clock is an hour ahead (or behind) of ours: its exp must be
 * read in its time, and the expiry stored in ours. */
static void
test_expiry_jwt_skew (Canned        *canned,
                      gconstpointer  data)
{
  const gint64 offsets[] = { 3600, -3600, 0 };

  for (gsize i = 0; i < G_N_ELEMENTS (offsets); i++)
    {
      gint64 server_now = g_get_real_time () / G_USEC_PER_SEC + offsets[i];
      g_autofree char *jwt = make_jwt_expiring (server_now + 600);
      g_autoptr(TgTokens) tokens = NULL;
      g_autoptr(GError) error = NULL;

      g_free (canned->date);
      canned->date = http_date (server_now);
      tokens = answer_jwt (canned, jwt, "", &error);
      g_assert_no_error (error);
      assert_expires_near (tokens, 600);
    }
}

static void
test_expiry_jwt_without_date (Canned        *canned,
                              gconstpointer  data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *jwt = make_jwt_expiring (now + 300);
  g_autoptr(TgTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  /* No Date header: no correction. */
  canned->drop_date = TRUE;
  {
    g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, TG_AUTH_PROTOCOL_OAUTH2);
    g_autoptr(SoupMessage) msg = tg_auth_protocol_new_refresh_message (protocol, OLD_REFRESH);
    g_autofree char *answer = g_strdup_printf ("{\"access_token\":\"%s\",\"token_type\":\"Bearer\"}",
                                               jwt);
    g_autoptr(GBytes) body = NULL;

    canned_answer (canned, 200, JSON_TYPE, answer);
    body = send_message (canned->session, msg);
    g_assert_null (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Date"));
    tokens = tg_auth_protocol_parse_answer (protocol, REFRESH, msg, body, OLD_REFRESH, &error);
    g_assert_no_error (error);
    assert_expires_near (tokens, 300);
    g_clear_pointer (&tokens, tg_tokens_unref);
  }

  /* A Date header that does not parse: no correction either. */
  canned->drop_date = FALSE;
  canned->date = g_strdup ("yesterday at noon");
  tokens = answer_jwt (canned, jwt, "", &error);
  g_assert_no_error (error);
  assert_expires_near (tokens, 300);

  /* Nor one that is years off: the server's clock is broken, not ours
   * (every token would look expired, or never due). */
  {
    const char *absurd[] = { "Sun, 06 Nov 0401 08:49:37 GMT", "Fri, 31 Dec 9998 23:59:59 GMT" };

    for (gsize i = 0; i < G_N_ELEMENTS (absurd); i++)
      {
        g_clear_pointer (&tokens, tg_tokens_unref);
        g_free (canned->date);
        canned->date = g_strdup (absurd[i]);
        tokens = answer_jwt (canned, jwt, "", &error);
        g_assert_no_error (error);
        assert_expires_near (tokens, 300);
      }
  }
}

static void
test_expiry_earliest_wins (Canned        *canned,
                           gconstpointer  data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GError) error = NULL;

  {
    g_autofree char *jwt = make_jwt_expiring (now + 1000);
    g_autoptr(TgTokens) tokens = answer_jwt (canned, jwt, ",\"expires_in\":100", &error);

    g_assert_no_error (error);
    assert_expires_near (tokens, 100);
  }
  {
    g_autofree char *jwt = make_jwt_expiring (now + 100);
    g_autoptr(TgTokens) tokens = answer_jwt (canned, jwt, ",\"expires_in\":1000", &error);

    g_assert_no_error (error);
    assert_expires_near (tokens, 100);
  }
  {
    /* With the skew applied first: the server is 2000 s ahead, its exp says
     * 500 s from its now, expires_in says 1000. */
    g_autofree char *jwt = make_jwt_expiring (now + 2000 + 500);
    g_autoptr(TgTokens) tokens = NULL;

    canned->date = http_date (now + 2000);
    tokens = answer_jwt (canned, jwt, ",\"expires_in\":1000", &error);
    g_assert_no_error (error);
    assert_expires_near (tokens, 500);
  }
}

static void
test_expiry_unknown (Canned        *canned,
                     gconstpointer  data)
{
  g_autofree char *no_exp = make_jwt ("{\"sub\":\"42\"}");
  g_autofree char *string_exp = make_jwt ("{\"exp\":\"1700000000\"}");
  g_autofree char *array_payload = make_jwt ("[1,2,3]");
  g_autofree char *fractional_exp = NULL;
  const char *not_jwts[] = {
    ACCESS,
    "a.b.c",
    "abc.def",
    "e30.e30.e30.e30",
    ".eyJleHAiOjF9.",
    "e30.not base64!.sig",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (not_jwts); i++)
    {
      g_autoptr(TgTokens) tokens = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", not_jwts[i]);
      /* Spaces and '!' are still VSCHARs: a valid (opaque) token. */
      tokens = answer_jwt (canned, not_jwts[i], "", &error);
      g_assert_no_error (error);
      g_assert_cmpint (tg_tokens_get_expires_at (tokens), ==, 0);
    }

  {
    const char *jwts[] = { no_exp, string_exp, array_payload };

    for (gsize i = 0; i < G_N_ELEMENTS (jwts); i++)
      {
        g_autoptr(TgTokens) tokens = NULL;
        g_autoptr(GError) error = NULL;

        tokens = answer_jwt (canned, jwts[i], "", &error);
        g_assert_no_error (error);
        g_assert_cmpint (tg_tokens_get_expires_at (tokens), ==, 0);
      }
  }

  {
    /* RFC 7519 §2: a NumericDate may have a fraction. */
    gint64 now = g_get_real_time () / G_USEC_PER_SEC;
    g_autofree char *payload = g_strdup_printf ("{\"exp\":%" G_GINT64_FORMAT ".75}", now + 90);
    g_autoptr(TgTokens) tokens = NULL;
    g_autoptr(GError) error = NULL;

    fractional_exp = make_jwt (payload);
    tokens = answer_jwt (canned, fractional_exp, "", &error);
    g_assert_no_error (error);
    assert_expires_near (tokens, 90);
  }
}

/* ------------------------------------------------------------------------- */
/* Review findings of issue 8                                                */

/* Finding 5: RFC 6749 §5.2 answers invalid_client with 401, and an
 * authenticating proxy answers a bare 401 too; neither says anything about
 * the refresh token, so neither may end the session (DESIGN rule 6). */
static void
test_error_refresh_keeps_session (Canned        *canned,
                                  gconstpointer  data)
{
  const struct {
    guint        status;
    const char  *content_type;
    const char  *body;
    gint         code;
    const char  *says;  /* nullable: a part the message must have */
  } cases[] = {
    { 401, NULL, NULL, TG_AUTH_ERROR_REFRESH_FAILED, NULL },
    { 401, HTML, HTML_PAGE, TG_AUTH_ERROR_REFRESH_FAILED, NULL },
    { 401, JSON_TYPE, "{\"message\":\"Unauthorized\"}", TG_AUTH_ERROR_REFRESH_FAILED, NULL },
    { 401, JSON_TYPE, "{\"error\":\"invalid_client\"}", TG_AUTH_ERROR_REFRESH_FAILED,
      "client credentials were refused" },
    { 400, JSON_TYPE, "{\"error\":\"invalid_client\"}", TG_AUTH_ERROR_REFRESH_FAILED,
      "client credentials were refused" },
    { 403, JSON_TYPE, GRANT_ERROR, TG_AUTH_ERROR_REFRESH_FAILED, NULL },
    { 400, JSON_TYPE, GRANT_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED, NULL },
    { 401, JSON_TYPE, GRANT_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED, NULL },
  };

  for (TgAuthProtocolKind kind = TG_AUTH_PROTOCOL_SEED; kind <= TG_AUTH_PROTOCOL_OAUTH2; kind++)
    {
      g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, kind);

      for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
        {
          g_autoptr(TgTokens) tokens = NULL;
          g_autoptr(GError) error = NULL;

          g_test_message ("%u %s", cases[i].status, cases[i].body != NULL ? cases[i].body : "(empty)");
          canned_answer (canned, cases[i].status, cases[i].content_type, cases[i].body);
          tokens = canned_exchange (canned, protocol, REFRESH, OLD_REFRESH, &error);
          g_assert_null (tokens);
          assert_clean_error (error, TG_AUTH_ERROR, cases[i].code, NULL);
          if (cases[i].says != NULL)
            g_assert_nonnull (strstr (error->message, cases[i].says));
        }
    }

  /* A sign-in that the server turns down for the client's credentials is not
   * the person's wrong password either. */
  {
    g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, TG_AUTH_PROTOCOL_OAUTH2);
    g_autoptr(TgTokens) tokens = NULL;
    g_autoptr(GError) error = NULL;

    canned_answer (canned, 401, JSON_TYPE, "{\"error\":\"invalid_client\"}");
    tokens = canned_exchange (canned, protocol, SIGN_IN, NULL, &error);
    assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SERVER, NULL);
    g_assert_nonnull (strstr (error->message, "client credentials were refused"));
  }
}

/* Every way a server might echo @secret into its error text: as it is, as
 * the form body had it, percent-encoded with %20 or lower-case hex, and
 * JSON-escaped (a server that quotes the raw JSON request). */
static GPtrArray *
echo_forms (const char *secret)
{
  GPtrArray *forms = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *form = soup_form_encode ("x", secret, NULL);
  g_autofree char *percent = g_uri_escape_string (secret, NULL, FALSE);
  g_autoptr(GString) lower = g_string_new (percent);
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), secret);
  g_autofree char *json_text = json_to_string (node, FALSE);

  for (gsize i = 0; i + 2 < lower->len; i++)
    if (lower->str[i] == '%')
      {
        lower->str[i + 1] = g_ascii_tolower (lower->str[i + 1]);
        lower->str[i + 2] = g_ascii_tolower (lower->str[i + 2]);
      }
  /* json_to_string() writes the quotes too; the echo is what is between. */
  g_string_append_len (json, json_text + 1, (gssize) strlen (json_text) - 2);

  g_ptr_array_add (forms, g_strdup (secret));
  g_ptr_array_add (forms, g_strdup (form + 2));
  g_ptr_array_add (forms, g_strdup (percent));
  g_ptr_array_add (forms, g_string_free (g_steal_pointer (&lower), FALSE));
  g_ptr_array_add (forms, g_string_free (g_steal_pointer (&json), FALSE));
  return forms;
}

/* A JSON string literal that decodes to @text. */
static char *
json_quote (const char *text)
{
  g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), text);

  return json_to_string (node, FALSE);
}

static void
assert_no_echo (const char *message,
                const char *secret)
{
  g_autoptr(GPtrArray) forms = echo_forms (secret);

  for (guint i = 0; i < forms->len; i++)
    g_assert_null (strstr (message, forms->pdata[i]));
}

/* Finding 8: a server that echoes the request must not get the password, the
 * refresh token or the client secret into an error message, in any of the
 * encodings it might echo them in. */
static void
test_error_secrets_redacted (Canned        *canned,
                             gconstpointer  data)
{
  g_autofree char *token_uri = g_strconcat (canned->base_uri, "/oauth2/token", NULL);
  g_autoptr(TgAuthProtocol) oauth2 = NULL;
  g_autoptr(TgAuthProtocol) seed = canned_protocol (canned, TG_AUTH_PROTOCOL_SEED);
  g_autoptr(GError) error = NULL;
  /* Which requests carry which: a sign-in the password, a refresh the refresh
   * token, an OAuth 2.0 request the client secret. */
  const char *secrets[] = { PASSWORD, OLD_REFRESH, CLIENT_SECRET };

  oauth2 = tg_auth_protocol_new_oauth2 (token_uri, NULL, CLIENT_ID, CLIENT_SECRET, NULL, &error);
  g_assert_no_error (error);

  for (gsize s = 0; s < G_N_ELEMENTS (secrets); s++)
    {
      g_autoptr(GPtrArray) forms = echo_forms (secrets[s]);

      for (guint f = 0; f < forms->len; f++)
        for (TgAuthOperation operation = SIGN_IN; operation <= REFRESH; operation++)
          {
            TgAuthProtocol *protocols[] = { oauth2, seed };

            for (gsize p = 0; p < G_N_ELEMENTS (protocols); p++)
              {
                g_autofree char *quoted = json_quote (forms->pdata[f]);
                g_autofree char *echo = g_strdup_printf ("user " USER " sent %s.", (char *) forms->pdata[f]);
                g_autofree char *quoted_echo = json_quote (echo);
                g_autofree char *body = g_strdup_printf ("{\"error\":%s,\"error_description\":%s}",
                                                         quoted, quoted_echo);
                g_autoptr(TgTokens) tokens = NULL;
                g_autoptr(GError) local_error = NULL;

                /* The seed API has no client secret to echo. */
                if (protocols[p] == seed && s == 2)
                  continue;
                /* A sign-in carries no refresh token, a refresh no password. */
                if ((operation == SIGN_IN && s == 1) || (operation == REFRESH && s == 0))
                  continue;

                g_test_message ("secret %zu, form %u, %s", s, f,
                                operation == SIGN_IN ? "sign-in" : "refresh");
                canned_answer (canned, 400, JSON_TYPE, body);
                tokens = canned_exchange (canned, protocols[p], operation,
                                          operation == REFRESH ? OLD_REFRESH : NULL, &local_error);
                g_assert_null (tokens);
                g_assert_nonnull (local_error);
                assert_no_echo (local_error->message, secrets[s]);
                /* The user name is no secret, and helps. */
                g_assert_nonnull (strstr (local_error->message, "user " USER " sent"));
              }
          }
    }

  /* Characters that the message leaves out (a zero-width space, a control
   * character) must not hide an echo from the redaction. */
  {
    const char *hidden[] = {
      "rt-old-\\u200b3c9e1d77b2", "rt-old-\\u00073c9e1d77b2", "rt-old-\\u202e3c9e1d77b2",
    };

    for (gsize i = 0; i < G_N_ELEMENTS (hidden); i++)
      {
        g_autoptr(TgTokens) tokens = NULL;
        g_autofree char *body = g_strdup_printf ("{\"error\":\"invalid_request\","
                                                 "\"error_description\":\"bad %s\"}", hidden[i]);

        canned_answer (canned, 400, JSON_TYPE, body);
        tokens = canned_exchange (canned, oauth2, REFRESH, OLD_REFRESH, &error);
        assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED, NULL);
        g_clear_error (&error);
      }
  }

  /* A server that echoes the request's headers echoes the client secret in
   * the Basic credentials. */
  {
    g_autoptr(TgTokens) tokens = NULL;
    g_autofree char *authorization = NULL;
    g_autofree char *body = NULL;

    canned_answer (canned, 400, JSON_TYPE, "{}");
    tokens = canned_exchange (canned, oauth2, SIGN_IN, NULL, &error);
    g_clear_error (&error);
    authorization = g_strdup (request_header (canned, "Authorization"));
    g_assert_true (g_str_has_prefix (authorization, "Basic "));
    body = g_strdup_printf ("{\"error\":\"invalid_request\",\"error_description\":"
                            "\"headers: Authorization: %s\"}", authorization);
    canned_answer (canned, 400, JSON_TYPE, body);
    tokens = canned_exchange (canned, oauth2, REFRESH, OLD_REFRESH, &error);
    assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED, NULL);
    g_assert_null (strstr (error->message, authorization + strlen ("Basic ")));
    g_assert_nonnull (strstr (error->message, "Authorization: Basic " REDACTED_MARK));
    g_clear_error (&error);
  }

  /* A 2xx answer that cannot be used is described without its tokens. */
  {
    g_autoptr(TgTokens) tokens = NULL;

    canned_answer (canned, 200, JSON_TYPE,
                   "{\"access_token\":\"" ACCESS "\",\"refresh_token\":\"" NEW_REFRESH "\","
                   "\"token_type\":\"mac " ACCESS " " NEW_REFRESH "\"}");
    tokens = canned_exchange (canned, oauth2, REFRESH, OLD_REFRESH, &error);
    assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL, NULL);
    g_assert_nonnull (strstr (error->message, "mac"));
  }
}

/* Finding 9a: RFC 6749 §6 — the scope of a refresh is optional and may not
 * exceed the original grant; left out, it means the same scope. Servers such
 * as Keycloak turn a changed scope down. */
static void
test_messages_refresh_without_scope (Canned        *canned,
                                     gconstpointer  data)
{
  g_autofree char *token_uri = g_strconcat (canned->base_uri, "/oauth2/token", NULL);
  g_autoptr(TgAuthProtocol) protocol = NULL;
  g_autoptr(SoupMessage) sign_in = NULL;
  g_autoptr(SoupMessage) refresh = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GHashTable) form = NULL;
  g_autoptr(GError) error = NULL;

  protocol = tg_auth_protocol_new_oauth2 (token_uri, NULL, CLIENT_ID, NULL, "read write", &error);
  g_assert_no_error (error);

  sign_in = tg_auth_protocol_new_sign_in_message (protocol, USER, PASSWORD);
  body = send_message (canned->session, sign_in);
  form = request_form (canned);
  g_assert_cmpstr (g_hash_table_lookup (form, "scope"), ==, "read write");
  g_clear_pointer (&form, g_hash_table_unref);
  g_clear_pointer (&body, g_bytes_unref);

  refresh = tg_auth_protocol_new_refresh_message (protocol, OLD_REFRESH);
  body = send_message (canned->session, refresh);
  form = request_form (canned);
  g_assert_false (g_hash_table_contains (form, "scope"));
  g_assert_cmpstr (g_hash_table_lookup (form, "grant_type"), ==, "refresh_token");
}

/* Finding 9b: RFC 6749 §5.1 says expires_in is a number of seconds; servers
 * in the wild send "3600", "3600.0" and 3600.0. Nonsense is refused. */
static void
test_answer_expires_in_lenient (Canned        *canned,
                                gconstpointer  data)
{
  g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, TG_AUTH_PROTOCOL_OAUTH2);
  const struct {
    const char *value;
    gint64      expires_in;  /* -1: refused; 0: unknown */
  } cases[] = {
    { "3600", 3600 },
    { "\"3600\"", 3600 },
    { "3600.0", 3600 },
    { "\"3600.0\"", 3600 },
    { "3.6e3", 3600 },
    { "\"0\"", 0 },
    { "-1", -1 },
    { "\"-1\"", -1 },
    { "-3600.0", -1 },
    { "\"NaN\"", -1 },
    { "\"nan\"", -1 },
    { "\"inf\"", -1 },
    { "\"Infinity\"", -1 },
    { "1e400", -1 },
    { "1e300", -1 },
    { "99999999999999999999999", -1 },
    { "\"99999999999999999999999\"", -1 },
    { "4000000000", -1 },
    { "\"0x10\"", -1 },
    { "\"\"", -1 },
    { "\"36 00\"", -1 },
    { "\"3600s\"", -1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"access_token\":\"" ACCESS "\","
                                               "\"token_type\":\"Bearer\",\"expires_in\":%s}",
                                               cases[i].value);
      g_autoptr(TgTokens) tokens = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("expires_in: %s", cases[i].value);
      tokens = answer_and_parse (canned, protocol, REFRESH, body, &error);
      if (cases[i].expires_in < 0)
        {
          g_assert_null (tokens);
          assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL, NULL);
          g_assert_nonnull (strstr (error->message, "expires_in"));
          continue;
        }
      g_assert_no_error (error);
      if (cases[i].expires_in == 0)
        g_assert_cmpint (tg_tokens_get_expires_at (tokens), ==, 0);
      else
        assert_expires_near (tokens, cases[i].expires_in);
    }
}

/* Finding 9b: token_type is REQUIRED (RFC 6749 §5.1), but some servers leave
 * it out; what they issue is a Bearer token. A type that is there must still
 * say Bearer. */
static void
test_answer_token_type_missing (Canned        *canned,
                                gconstpointer  data)
{
  g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, TG_AUTH_PROTOCOL_OAUTH2);
  const char *bodies[] = {
    "{\"access_token\":\"" ACCESS "\"}",
    "{\"access_token\":\"" ACCESS "\",\"token_type\":null}",
    "{\"access_token\":\"" ACCESS "\",\"refresh_token\":\"" NEW_REFRESH "\",\"expires_in\":60}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(TgTokens) tokens = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", bodies[i]);
      tokens = answer_and_parse (canned, protocol, REFRESH, bodies[i], &error);
      g_assert_no_error (error);
      g_assert_cmpstr (tg_tokens_get_access_token (tokens), ==, ACCESS);
    }
}

static char *
read_refresh_token (TgAuthProtocol *protocol,
                    guint           status,
                    const char     *body)
{
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autoptr(TgHttpReply) reply = tg_http_reply_new (status, headers, bytes);

  return tg_auth_protocol_read_refresh_token (protocol, reply);
}

/* Finding 9b: a 2xx refresh answer that cannot be used as a whole still
 * gives up its rotated refresh token (the old one is spent). */
static void
test_answer_read_refresh_token (Canned        *canned,
                                gconstpointer  data)
{
  g_autoptr(TgAuthProtocol) seed = canned_protocol (canned, TG_AUTH_PROTOCOL_SEED);
  g_autoptr(TgAuthProtocol) oauth2 = canned_protocol (canned, TG_AUTH_PROTOCOL_OAUTH2);
  g_autoptr(GString) deep = g_string_new ("{\"refresh_token\":\"" NEW_REFRESH "\",\"x\":");
  const struct {
    TgAuthProtocol *protocol;
    guint           status;
    const char     *body;
    const char     *expected;
  } cases[] = {
    { oauth2, 200, "{\"refresh_token\":\"" NEW_REFRESH "\",\"token_type\":\"mac\"}", NEW_REFRESH },
    { oauth2, 200, "{\"refresh_token\":\"" NEW_REFRESH "\",\"expires_in\":\"soon\"}", NEW_REFRESH },
    { oauth2, 200, "{\"refresh_token\":\"" NEW_REFRESH "\",\"access_token\":7}", NEW_REFRESH },
    { oauth2, 201, "{\"refresh_token\":\"" NEW_REFRESH "\"}", NEW_REFRESH },
    { oauth2, 200, "{\"refreshToken\":\"" NEW_REFRESH "\"}", NULL },
    { oauth2, 200, "{\"refresh_token\":\"\"}", NULL },
    { oauth2, 200, "{\"refresh_token\":null}", NULL },
    { oauth2, 200, "{\"refresh_token\":7}", NULL },
    { oauth2, 200, "{\"refresh_token\":\"rt\\nX-Evil: 1\"}", NULL },
    { oauth2, 200, "[\"" NEW_REFRESH "\"]", NULL },
    { oauth2, 200, "{\"refresh_token\":\"" NEW_REFRESH "\"", NULL },
    { oauth2, 200, "", NULL },
    { oauth2, 400, "{\"refresh_token\":\"" NEW_REFRESH "\"}", NULL },
    { oauth2, 302, "{\"refresh_token\":\"" NEW_REFRESH "\"}", NULL },
    { seed, 200, "{\"refreshToken\":\"" NEW_REFRESH "\",\"authorizationToken\":\"\"}", NEW_REFRESH },
    { seed, 200, "{\"refresh_token\":\"" NEW_REFRESH "\"}", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *token = NULL;

      g_test_message ("%u %s", cases[i].status, cases[i].body);
      token = read_refresh_token (cases[i].protocol, cases[i].status, cases[i].body);
      g_assert_cmpstr (token, ==, cases[i].expected);
    }

  /* Garbage does not crash it: nesting deep enough to blow the stack of a
   * recursive parser. */
  for (int i = 0; i < 200000; i++)
    g_string_append_c (deep, '[');
  {
    g_autofree char *token = read_refresh_token (oauth2, 200, deep->str);

    g_assert_null (token);
  }
}

/* Outside data that used to crash or confuse the parser: absurd nesting (a
 * recursive JSON parser runs out of stack), a huge body, a huge token, an
 * HTTP status that is not one. Each gets a clear error. */
static void
test_answer_garbage (Canned        *canned,
                     gconstpointer  data)
{
  g_autoptr(TgAuthProtocol) protocol = canned_protocol (canned, TG_AUTH_PROTOCOL_OAUTH2);
  g_autoptr(GString) deep_answer = g_string_new ("{\"access_token\":\"" ACCESS "\",\"x\":");
  g_autoptr(GString) deep_error = g_string_new ("{\"error\":\"invalid_grant\",\"x\":");
  g_autoptr(GString) deep_jwt_payload = g_string_new ("{\"exp\":1,\"x\":");
  g_autoptr(GString) long_token = g_string_new ("{\"access_token\":\"");
  g_autofree char *deep_jwt = NULL;
  g_autofree char *jwt_answer = NULL;

  for (int i = 0; i < 200000; i++)
    {
      g_string_append_c (deep_answer, '[');
      g_string_append_c (deep_error, '{');
      g_string_append (deep_error, "\"a\":");
    }
  /* Within the limit on a token's length. */
  for (int i = 0; i < 10000; i++)
    g_string_append_c (deep_jwt_payload, '[');
  for (int i = 0; i < 100000; i++)
    g_string_append_c (long_token, 'a');
  g_string_append (long_token, "\",\"token_type\":\"Bearer\"}");
  deep_jwt = make_jwt (deep_jwt_payload->str);
  jwt_answer = g_strdup_printf ("{\"access_token\":\"%s\",\"token_type\":\"Bearer\"}", deep_jwt);

  {
    g_autoptr(TgTokens) tokens = NULL;
    g_autoptr(GError) error = NULL;

    canned_answer (canned, 200, JSON_TYPE, deep_answer->str);
    tokens = canned_exchange (canned, protocol, REFRESH, OLD_REFRESH, &error);
    g_assert_null (tokens);
    assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL, NULL);
  }
  {
    g_autoptr(TgTokens) tokens = NULL;
    g_autoptr(GError) error = NULL;

    /* Too deep to read: as good as no error code, so not a verdict. */
    canned_answer (canned, 400, JSON_TYPE, deep_error->str);
    tokens = canned_exchange (canned, protocol, REFRESH, OLD_REFRESH, &error);
    g_assert_null (tokens);
    assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED, NULL);
  }
  {
    g_autoptr(TgTokens) tokens = NULL;
    g_autoptr(GError) error = NULL;

    /* A JWT is only a hint: an unreadable payload means "expiry unknown". */
    canned_answer (canned, 200, JSON_TYPE, jwt_answer);
    tokens = canned_exchange (canned, protocol, REFRESH, OLD_REFRESH, &error);
    g_assert_no_error (error);
    g_assert_cmpint (tg_tokens_get_expires_at (tokens), ==, 0);
  }
  {
    g_autoptr(TgTokens) tokens = NULL;
    g_autoptr(GError) error = NULL;

    /* json-glib ends a string at an escaped NUL: "ab\u0000cd" would be read
     * as the token "ab". */
    const char *nul_answers[] = {
      "{\"access_token\":\"" ACCESS "\\u0000x\",\"token_type\":\"Bearer\"}",
      "{\"access_token\":\"" ACCESS "\",\"refresh_token\":\"" NEW_REFRESH "\\u0000x\"}",
    };

    for (gsize i = 0; i < G_N_ELEMENTS (nul_answers); i++)
      {
        g_autofree char *token = NULL;

        canned_answer (canned, 200, JSON_TYPE, nul_answers[i]);
        tokens = canned_exchange (canned, protocol, REFRESH, OLD_REFRESH, &error);
        g_assert_null (tokens);
        assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL, NULL);
        g_clear_error (&error);
        token = read_refresh_token (protocol, 200, nul_answers[i]);
        g_assert_null (token);
      }
  }
  {
    g_autoptr(TgTokens) tokens = NULL;
    g_autoptr(GError) error = NULL;

    /* No server takes a 100 kB Authorization header: say so now, not as an
     * odd 431 on every request later. */
    canned_answer (canned, 200, JSON_TYPE, long_token->str);
    tokens = canned_exchange (canned, protocol, SIGN_IN, NULL, &error);
    g_assert_null (tokens);
    assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL, NULL);
    g_assert_nonnull (strstr (error->message, "too long"));
  }
}

/* tg_auth_protocol_parse_reply() takes the request it reads the answer to:
 * a sign-in's password is known only from there. A refresh may do without
 * (its secret is the refresh token in use); a sign-in may not. */
static void
test_parse_reply_request (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgAuthProtocol) protocol = tg_auth_protocol_new_seed ("http://127.0.0.1:9", &error);
  g_autoptr(SoupMessage) sign_in = NULL;
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autoptr(TgTokens) tokens = NULL;
  g_autofree char *quoted = json_quote ("you sent " PASSWORD);
  g_autofree char *text = g_strdup_printf ("{\"error\":\"invalid_grant\",\"error_description\":%s}",
                                           quoted);
  g_autoptr(GBytes) body = g_bytes_new (text, strlen (text));
  g_autoptr(TgHttpReply) reply = tg_http_reply_new (401, headers, body);
  const char *refresh_text = "{\"error\":\"invalid_grant\",\"error_description\":\"" OLD_REFRESH "\"}";
  g_autoptr(GBytes) refresh_body = g_bytes_new (refresh_text, strlen (refresh_text));
  g_autoptr(TgHttpReply) refresh_reply = tg_http_reply_new (401, headers, refresh_body);

  g_assert_no_error (error);
  sign_in = tg_auth_protocol_new_sign_in_message (protocol, USER, PASSWORD);

  tokens = tg_auth_protocol_parse_reply (protocol, SIGN_IN, sign_in, reply, NULL, 0, &error);
  g_assert_null (tokens);
  assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_BAD_CREDENTIALS, NULL);
  g_assert_nonnull (strstr (error->message, "you sent " REDACTED_MARK));
  g_clear_error (&error);

  tokens = tg_auth_protocol_parse_reply (protocol, REFRESH, NULL, refresh_reply, OLD_REFRESH, 0, &error);
  g_assert_null (tokens);
  assert_clean_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED, NULL);
  g_assert_nonnull (strstr (error->message, REDACTED_MARK));
  g_clear_error (&error);

  if (g_test_undefined ())
    {
      g_test_expect_message ("tg-auth-protocol", G_LOG_LEVEL_CRITICAL, "*request != NULL*");
      tokens = tg_auth_protocol_parse_reply (protocol, SIGN_IN, NULL, reply, NULL, 0, &error);
      g_test_assert_expected_messages ();
      g_assert_null (tokens);
      g_assert_no_error (error);
    }
}

/* Finding 10: every message is one whole translatable sentence. While
 * pseudo_translate is on, each msgid of ours comes back upper-cased between
 * ⟦ and ⟧, so a message shows what was translated as one piece: an English
 * noun spliced in stays lower-case, a translated noun spliced into a sentence
 * shows as a ⟦…⟧ inside the sentence, and an HTTP reason phrase from libsoup
 * stays English. */
static gboolean pseudo_translate;

static const char *
pseudo_translation (const char *msgid)
{
  g_autoptr(GString) out = g_string_new ("⟦");

  for (const char *p = msgid; *p != '\0'; p++)
    {
      if (*p == '%')
        {
          /* A conversion keeps its letters: %s, %u, %zu, %" G_GINT64_FORMAT. */
          g_string_append_c (out, *p++);
          while (*p != '\0' && strchr ("0123456789.-+ #'hlLqjzt", *p) != NULL)
            g_string_append_c (out, *p++);
          if (*p == '\0')
            break;
          g_string_append_c (out, *p);
          continue;
        }
      g_string_append_c (out, g_ascii_toupper (*p));
    }
  g_string_append (out, "⟧");

  return g_intern_string (out->str);
}

/* glib's g_dgettext() calls dgettext(), which an optimised libintl.h turns
 * into dcgettext(): the test program's definitions come first. */
#undef dcgettext
#undef dgettext
char *dcgettext (const char *domain, const char *msgid, int category);
char *dgettext (const char *domain, const char *msgid);

char *
dcgettext (const char *domain,
           const char *msgid,
           int         category)
{
  static char *(*real) (const char *, const char *, int);

  if (pseudo_translate && g_strcmp0 (domain, GETTEXT_PACKAGE) == 0 && *msgid != '\0')
    return (char *) pseudo_translation (msgid);
  if (real == NULL)
    real = (char *(*) (const char *, const char *, int)) dlsym (RTLD_NEXT, "dcgettext");
  return real (domain, msgid, category);
}

char *
dgettext (const char *domain,
          const char *msgid)
{
  return dcgettext (domain, msgid, LC_MESSAGES);
}

/* One ⟦sentence⟧: nothing untranslated but data (digits, “quoted” wire
 * names, the server's error codes), and nothing translated apart inside it except a status phrase or,
 * after ": ", the whole sentence of the error it wraps. */
static void
assert_whole_sentence (const char *message)
{
  g_autoptr(GString) rest = NULL;
  int depth = 0;

  g_test_message ("%s", message);
  g_assert_true (g_str_has_prefix (message, "⟦"));
  g_assert_true (g_str_has_suffix (message, "⟧"));

  rest = g_string_new (message);
  /* Quoted data may be anything. */
  for (char *open = strstr (rest->str, "“"); open != NULL; open = strstr (rest->str, "“"))
    {
      char *close = strstr (open, "”");

      g_assert_nonnull (close);
      g_string_erase (rest, open - rest->str, close + strlen ("”") - open);
    }

  /* So are the server's own error codes. */
  g_string_replace (rest, "invalid_grant", "", 0);
  g_string_replace (rest, "invalid_client", "", 0);

  for (const char *p = rest->str; *p != '\0'; p++)
    {
      g_assert_false (g_ascii_islower (*p));
      if (g_str_has_prefix (p, "⟦"))
        {
          if (depth == 1)
            {
              /* Only a whole wrapped error, or a status phrase after its number. */
              g_assert_true ((p - rest->str >= 2 && strncmp (p - 2, ": ", 2) == 0) ||
                             (p - rest->str >= 4 && g_ascii_isdigit (p[-2]) && p[-1] == ' '));
            }
          depth++;
        }
      else if (g_str_has_prefix (p, "⟧"))
        {
          depth--;
          g_assert_cmpint (depth, >=, 0);
          if (depth == 0)
            g_assert_cmpstr (p, ==, "⟧");
        }
    }
}

static void
test_error_whole_sentences (Canned        *canned,
                            gconstpointer  data)
{
  g_autofree char *token_uri = g_strconcat (canned->base_uri, "/oauth2/token", NULL);
  const struct {
    guint       status;
    const char *body;
  } answers[] = {
    { 503, NULL },
    { 409, NULL },
    { 401, NULL },
    { 400, "{\"error\":\"invalid_grant\"}" },
    { 401, "{\"error\":\"invalid_client\"}" },
    { 200, "[]" },
    { 200, "{\"token_type\":\"Bearer\"}" },
    { 200, "{\"access_token\":\"A\\n\",\"token_type\":\"Bearer\"}" },
    { 200, "{\"access_token\":\"A\",\"token_type\":\"mac\"}" },
    { 200, "{\"access_token\":\"A\",\"token_type\":\"Bearer\",\"refresh_token\":7}" },
    { 200, "{\"access_token\":\"A\",\"token_type\":\"Bearer\",\"expires_in\":\"x\"}" },
  };
  g_autoptr(TgAuthProtocol) protocol = NULL;
  g_autoptr(GError) error = NULL;

  pseudo_translate = TRUE;

  g_assert_null (tg_auth_protocol_new_seed ("no uri", &error));
  assert_whole_sentence (error->message);
  g_clear_error (&error);
  g_assert_null (tg_auth_protocol_new_oauth2 ("no uri", NULL, NULL, NULL, NULL, &error));
  assert_whole_sentence (error->message);
  g_clear_error (&error);
  g_assert_null (tg_auth_protocol_new_oauth2 (token_uri, "no uri", NULL, NULL, NULL, &error));
  assert_whole_sentence (error->message);
  g_clear_error (&error);
  g_assert_null (tg_auth_protocol_new_oauth2 (token_uri, "http://192.0.2.1/revoke", NULL, NULL,
                                              NULL, &error));
  assert_whole_sentence (error->message);
  g_clear_error (&error);

  protocol = canned_protocol (canned, TG_AUTH_PROTOCOL_OAUTH2);
  for (gsize i = 0; i < G_N_ELEMENTS (answers); i++)
    for (TgAuthOperation operation = SIGN_IN; operation <= REFRESH; operation++)
      {
        g_autoptr(TgTokens) tokens = NULL;

        canned_answer (canned, answers[i].status, JSON_TYPE, answers[i].body);
        tokens = canned_exchange (canned, protocol, operation,
                                  operation == REFRESH ? OLD_REFRESH : NULL, &error);
        g_assert_null (tokens);
        assert_whole_sentence (error->message);
        g_clear_error (&error);
      }

  pseudo_translate = FALSE;
}

/* ------------------------------------------------------------------------- */

int
main (int   argc,
      char *argv[])
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/core/auth-protocol/tokens", test_tokens);
  g_test_add_func ("/core/auth-protocol/error-quark", test_error_quark);
  g_test_add_func ("/core/auth-protocol/constructors/reject", test_constructors_reject);
  g_test_add_func ("/core/auth-protocol/constructors/client-secret-needs-id",
                   test_constructors_client_secret_needs_id);
  g_test_add_func ("/core/auth-protocol/constructors/accept", test_constructors_accept);
  g_test_add_func ("/core/auth-protocol/uri-is-safe", test_uri_is_safe);
  g_test_add_func ("/core/auth-protocol/demo/seed", test_demo_seed);
  g_test_add_func ("/core/auth-protocol/demo/oauth2", test_demo_oauth2);

#define ADD_CANNED(path, fn) \
  g_test_add ("/core/auth-protocol/" path, Canned, NULL, canned_setup, fn, canned_teardown)

  ADD_CANNED ("messages/seed", test_messages_seed);
  ADD_CANNED ("messages/seed/not-utf8", test_messages_seed_not_utf8);
  ADD_CANNED ("messages/oauth2/client-secret", test_messages_oauth2_client_secret);
  ADD_CANNED ("messages/oauth2/client-id", test_messages_oauth2_client_id);
  ADD_CANNED ("messages/oauth2/no-client", test_messages_oauth2_no_client);
  ADD_CANNED ("messages/resend", test_messages_resend);
  ADD_CANNED ("messages/no-redirect", test_messages_no_redirect);
  ADD_CANNED ("errors/classification", test_error_classification);
  ADD_CANNED ("errors/details", test_error_details);
  ADD_CANNED ("errors/description-sanitised", test_error_description_sanitised);
  ADD_CANNED ("answers/token-type", test_answer_token_type);
  ADD_CANNED ("answers/expires-in", test_answer_expires_in);
  ADD_CANNED ("answers/refresh-token", test_answer_refresh_token);
  ADD_CANNED ("answers/unknown-fields", test_answer_unknown_fields);
  ADD_CANNED ("answers/malformed", test_answer_malformed);
  ADD_CANNED ("expiry/jwt-skew", test_expiry_jwt_skew);
  ADD_CANNED ("expiry/jwt-without-date", test_expiry_jwt_without_date);
  ADD_CANNED ("expiry/earliest-wins", test_expiry_earliest_wins);
  ADD_CANNED ("expiry/unknown", test_expiry_unknown);
  g_test_add_func ("/core/auth-protocol/parse-reply/request", test_parse_reply_request);
  ADD_CANNED ("errors/refresh-keeps-session", test_error_refresh_keeps_session);
  ADD_CANNED ("errors/secrets-redacted", test_error_secrets_redacted);
  ADD_CANNED ("errors/whole-sentences", test_error_whole_sentences);
  ADD_CANNED ("messages/oauth2/refresh-without-scope", test_messages_refresh_without_scope);
  ADD_CANNED ("answers/expires-in-lenient", test_answer_expires_in_lenient);
  ADD_CANNED ("answers/token-type-missing", test_answer_token_type_missing);
  ADD_CANNED ("answers/read-refresh-token", test_answer_read_refresh_token);
  ADD_CANNED ("answers/garbage", test_answer_garbage);

#undef ADD_CANNED

  return g_test_run ();
}
