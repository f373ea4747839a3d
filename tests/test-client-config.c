/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgClientConfig, and the library's one place each for the summary line,
 * the "unreachable" test and the reading of a server's error body.
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "tg-auth-error.h"
#include "tg-client-config.h"
#include "tg-errors.h"
#include "tg-request-summary.h"
#include "tg-test-server.h"
#include "tg-test-util.h"

/* ------------------------------------------------------------------------- */
/* Setting up                                                                */

static void
test_defaults (void)
{
  g_autoptr(TgClientConfig) config = tg_client_config_new ();

  g_assert_null (tg_client_config_get_server_uri (config));
  g_assert_cmpint (tg_client_config_get_protocol_kind (config), ==, TG_AUTH_PROTOCOL_SEED);
  g_assert_null (tg_client_config_get_token_endpoint (config));
  g_assert_null (tg_client_config_get_revocation_endpoint (config));
  g_assert_null (tg_client_config_dup_account (config));
  g_assert_null (tg_client_config_get_store (config));
  g_assert_false (tg_client_config_get_use_default_store (config));
  g_assert_cmpint (tg_client_config_get_retry_policy (config), ==, TG_RETRY_POLICY_ALL);
  g_assert_true (tg_client_config_get_proactive (config));
}

static void
test_server_uri (void)
{
  static const struct {
    const char *text;
    const char *expected;
  } good[] = {
    { "http://127.0.0.1:8080", "http://127.0.0.1:8080" },
    { "http://127.0.0.1:8080/", "http://127.0.0.1:8080" },
    { "  https://example.org//  ", "https://example.org" },
    { "https://example.org/api/", "https://example.org/api" },
    { "http://localhost:1", "http://localhost:1" },
    { "http://[::1]:8080", "http://[::1]:8080" },
  };
  static const struct {
    const char *text;
    GQuark    (*domain) (void);
    int         code;
    const char *message_part;
  } bad[] = {
    { "", g_io_error_quark, G_IO_ERROR_INVALID_ARGUMENT, "not a URL" },
    { "not a url", g_io_error_quark, G_IO_ERROR_INVALID_ARGUMENT, "not a URL" },
    { "example.org", g_io_error_quark, G_IO_ERROR_INVALID_ARGUMENT, "not a URL" },
    { "ftp://127.0.0.1/", g_io_error_quark, G_IO_ERROR_INVALID_ARGUMENT, "ftp" },
    { "https://", g_io_error_quark, G_IO_ERROR_INVALID_ARGUMENT, NULL },
    { "http://example.com", tg_auth_error_quark, TG_AUTH_ERROR_INSECURE, "unencrypted" },
    { "http://10.1.2.3:8080/", tg_auth_error_quark, TG_AUTH_ERROR_INSECURE, "unencrypted" },
    { "https://u:Hunter2@example.com", g_io_error_quark, G_IO_ERROR_INVALID_ARGUMENT, "user name or password" },
    { "https://Hunter2@example.com", g_io_error_quark, G_IO_ERROR_INVALID_ARGUMENT, "user name or password" },
    { "http://127.0.0.1:1/?q=1", g_io_error_quark, G_IO_ERROR_INVALID_ARGUMENT, "query" },
    { "http://127.0.0.1:1/#top", g_io_error_quark, G_IO_ERROR_INVALID_ARGUMENT, "fragment" },
  };
  g_autoptr(TgClientConfig) config = tg_client_config_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (tg_client_config_set_server_uri (config, good[i].text, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (tg_client_config_get_server_uri (config), ==, good[i].expected);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (tg_client_config_set_server_uri (config, bad[i].text, &error));
      g_assert_error (error, bad[i].domain (), bad[i].code);
      if (bad[i].message_part != NULL && strstr (error->message, bad[i].message_part) == NULL)
        g_error ("“%s”: “%s” is not in “%s”", bad[i].text, bad[i].message_part, error->message);
      /* The URI is never repeated: it may hold a password. */
      g_assert_null (strstr (error->message, "Hunter2"));
      /* A refused URI leaves the one set before. */
      g_assert_cmpstr (tg_client_config_get_server_uri (config), ==, good[G_N_ELEMENTS (good) - 1].expected);
    }
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  (*(guint *) user_data)++;
}

/* The one place SERVER/oauth2/token and SERVER/oauth2/revoke are built. */
static void
test_endpoints (void)
{
  g_autoptr(TgClientConfig) config = tg_client_config_new ();
  g_autoptr(GError) error = NULL;
  guint token_notifies = 0;

  g_signal_connect (config, "notify::token-endpoint", G_CALLBACK (count_notify), &token_notifies);

  g_assert_true (tg_client_config_set_server_uri (config, "https://example.org/api/", NULL));
  /* The seed API has no OAuth 2.0 endpoints. */
  g_assert_null (tg_client_config_get_token_endpoint (config));
  g_assert_null (tg_client_config_get_revocation_endpoint (config));

  tg_client_config_set_protocol_kind (config, TG_AUTH_PROTOCOL_OAUTH2);
  g_assert_cmpstr (tg_client_config_get_token_endpoint (config), ==, "https://example.org/api/oauth2/token");
  g_assert_cmpstr (tg_client_config_get_revocation_endpoint (config), ==, "https://example.org/api/oauth2/revoke");
  g_assert_cmpuint (token_notifies, ==, 2);

  /* Unchanged: no notification. */
  g_assert_true (tg_client_config_set_server_uri (config, "https://example.org/api", NULL));
  g_assert_cmpuint (token_notifies, ==, 2);

  /* A token endpoint of its own: no revocation endpoint is guessed. */
  g_assert_true (tg_client_config_set_token_endpoint (config, "https://auth.example.net/token/", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (tg_client_config_get_token_endpoint (config), ==, "https://auth.example.net/token");
  g_assert_null (tg_client_config_get_revocation_endpoint (config));
  g_assert_true (tg_client_config_set_revocation_endpoint (config, "https://auth.example.net/revoke", &error));
  g_assert_cmpstr (tg_client_config_get_revocation_endpoint (config), ==, "https://auth.example.net/revoke");

  /* Checked like the server. */
  g_assert_false (tg_client_config_set_token_endpoint (config, "http://auth.example.net/token", &error));
  g_assert_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE);
  g_clear_error (&error);
  g_assert_false (tg_client_config_set_revocation_endpoint (config, "nope", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpstr (tg_client_config_get_token_endpoint (config), ==, "https://auth.example.net/token");

  /* NULL goes back to the defaults. */
  g_assert_true (tg_client_config_set_token_endpoint (config, NULL, NULL));
  g_assert_true (tg_client_config_set_revocation_endpoint (config, NULL, NULL));
  g_assert_cmpstr (tg_client_config_get_token_endpoint (config), ==, "https://example.org/api/oauth2/token");
  g_assert_cmpstr (tg_client_config_get_revocation_endpoint (config), ==, "https://example.org/api/oauth2/revoke");
}

static void
test_account (void)
{
  g_autoptr(TgClientConfig) config = tg_client_config_new ();
  g_autofree char *seed = NULL;
  g_autofree char *oauth2 = NULL;
  g_autofree char *explicit = NULL;
  g_autofree char *back = NULL;
  g_autofree char *property = NULL;

  g_assert_true (tg_client_config_set_server_uri (config, "https://example.org/", NULL));
  seed = tg_client_config_dup_account (config);
  g_assert_cmpstr (seed, ==, "https://example.org seed");
  tg_client_config_set_protocol_kind (config, TG_AUTH_PROTOCOL_OAUTH2);
  oauth2 = tg_client_config_dup_account (config);
  g_assert_cmpstr (oauth2, ==, "https://example.org oauth2");

  tg_client_config_set_account (config, "built-in");
  explicit = tg_client_config_dup_account (config);
  g_assert_cmpstr (explicit, ==, "built-in");
  g_object_get (config, "account", &property, NULL);
  g_assert_cmpstr (property, ==, "built-in");

  tg_client_config_set_account (config, "");
  back = tg_client_config_dup_account (config);
  g_assert_cmpstr (back, ==, "https://example.org oauth2");
}

/* ------------------------------------------------------------------------- */
/* Building a client                                                         */

typedef struct {
  gboolean     done;
  TgApiClient *client;
  GError      *error;
} Built;

static void
built (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  Built *built = user_data;

  built->client = tg_client_config_build_finish (TG_CLIENT_CONFIG (source), result, &built->error);
  built->done = TRUE;
}

static TgApiClient *
build (TgClientConfig  *config,
       GCancellable    *cancellable,
       GError         **error)
{
  Built result = { 0 };

  tg_client_config_build_async (config, cancellable, built, &result);
  tg_test_wait (&result.done, 30);
  if (result.error != NULL)
    g_propagate_error (error, result.error);
  return result.client;
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  gboolean *done = user_data;

  *done = TRUE;
}

static void
sign_in (TgTokenManager *manager)
{
  gboolean done = FALSE;

  tg_token_manager_sign_in_async (manager, TG_SERVER_DEMO_USER, TG_SERVER_DEMO_PASSWORD, NULL, done_cb, &done);
  tg_test_wait (&done, 30);
  g_assert_cmpint (tg_token_manager_get_state (manager), ==, TG_TOKEN_STATE_VALID);
}

static void
keep_result (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static guint
get_status (TgApiClient *client,
            const char  *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgApiResponse) response = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  tg_api_client_get_async (client, path, NULL, keep_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  response = tg_api_client_get_finish (client, result, &error);
  g_assert_no_error (error);
  return response->status;
}

static void
test_build_seed (void)
{
  TgTestServer *server = tg_test_server_new (NULL);
  g_autoptr(TgClientConfig) config = tg_client_config_new ();
  g_autoptr(TgApiClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token_uri = NULL;
  TgTokenManager *manager;
  TgRetryPolicy policy;
  gboolean proactive;

  g_assert_true (tg_client_config_set_server_uri (config, tg_test_server_uri (server), NULL));
  tg_client_config_set_retry_policy (config, TG_RETRY_POLICY_CANARY);
  tg_client_config_set_proactive (config, FALSE);

  client = build (config, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (TG_IS_API_CLIENT (client));

  manager = tg_api_client_get_manager (client);
  g_assert_cmpint (tg_auth_protocol_get_kind (tg_token_manager_get_protocol (manager)), ==, TG_AUTH_PROTOCOL_SEED);
  token_uri = g_strconcat (tg_test_server_uri (server), "/authorization/token", NULL);
  g_assert_cmpstr (tg_auth_protocol_get_token_uri (tg_token_manager_get_protocol (manager)), ==, token_uri);
  g_object_get (manager, "retry-policy", &policy, "proactive", &proactive, NULL);
  g_assert_cmpint (policy, ==, TG_RETRY_POLICY_CANARY);
  g_assert_false (proactive);
  g_assert_cmpint (tg_token_manager_get_state (manager), ==, TG_TOKEN_STATE_SIGNED_OUT);

  sign_in (manager);
  g_assert_cmpuint (get_status (client, "/api/resources/1"), ==, 200);

  g_clear_object (&client);
  tg_test_server_free (server);
}

static void
test_build_oauth2 (void)
{
  TgTestServer *server = tg_test_server_new (NULL);
  g_autoptr(TgClientConfig) config = tg_client_config_new ();
  g_autoptr(TgApiClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token_uri = NULL;
  TgTokenManager *manager;
  GListModel *log;
  gboolean done = FALSE;
  gboolean revoked = FALSE;

  g_assert_true (tg_client_config_set_server_uri (config, tg_test_server_uri (server), NULL));
  tg_client_config_set_protocol_kind (config, TG_AUTH_PROTOCOL_OAUTH2);
  tg_client_config_set_client_id (config, "tokengate");

  client = build (config, NULL, &error);
  g_assert_no_error (error);
  manager = tg_api_client_get_manager (client);
  g_assert_cmpint (tg_auth_protocol_get_kind (tg_token_manager_get_protocol (manager)), ==, TG_AUTH_PROTOCOL_OAUTH2);
  token_uri = g_strconcat (tg_test_server_uri (server), "/oauth2/token", NULL);
  g_assert_cmpstr (tg_auth_protocol_get_token_uri (tg_token_manager_get_protocol (manager)), ==, token_uri);

  sign_in (manager);
  g_assert_cmpuint (get_status (client, "/api/resources/2"), ==, 200);

  /* Signing out revokes at the derived SERVER/oauth2/revoke. */
  tg_token_manager_sign_out_async (manager, NULL, done_cb, &done);
  tg_test_wait (&done, 30);
  log = G_LIST_MODEL (tg_token_manager_get_request_log (manager));
  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(TgRequestRecord) record = g_list_model_get_item (log, i);

      if (tg_request_record_get_kind (record) == TG_REQUEST_KIND_REVOKE)
        revoked = tg_request_record_get_status (record) == 200;
    }
  g_assert_true (revoked);

  g_clear_object (&client);
  tg_test_server_free (server);
}

/* The default store: in the tests' isolated directories, with no Secret
 * Service on the bus, a private file. */
static void
test_build_default_store (void)
{
  g_autoptr(TgClientConfig) config = tg_client_config_new ();
  g_autoptr(TgApiClient) client = NULL;
  g_autoptr(TgTokenStore) store = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (tg_client_config_set_server_uri (config, "http://127.0.0.1:1", NULL));
  tg_client_config_set_use_default_store (config, TRUE);
  client = build (config, NULL, &error);
  g_assert_no_error (error);
  g_object_get (tg_api_client_get_manager (client), "store", &store, NULL);
  g_assert_true (TG_IS_TOKEN_STORE (store));
}

static void
test_build_errors (void)
{
  g_autoptr(TgClientConfig) config = tg_client_config_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  /* No server yet. */
  g_assert_null (build (config, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A kind that is no TgAuthProtocolKind. */
  g_assert_true (tg_client_config_set_server_uri (config, "http://127.0.0.1:1", NULL));
  tg_client_config_set_protocol_kind (config, (TgAuthProtocolKind) 42);
  g_assert_null (build (config, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "42"));
  g_clear_error (&error);

  /* A client secret needs a client ID; it never shows in the error. */
  tg_client_config_set_protocol_kind (config, TG_AUTH_PROTOCOL_OAUTH2);
  tg_client_config_set_client_secret (config, "s3cr3t-Value");
  g_assert_null (build (config, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (strstr (error->message, "s3cr3t-Value"));
  g_clear_error (&error);

  /* Cancelled, with and without the default store to look up. */
  tg_client_config_set_client_id (config, "tokengate");
  g_cancellable_cancel (cancellable);
  g_assert_null (build (config, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  tg_client_config_set_use_default_store (config, TRUE);
  g_assert_null (build (config, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ------------------------------------------------------------------------- */
/* The summary line                                                          */

static void
test_summary_line (void)
{
  static const struct {
    TgRequestSummary summary;
    guint            in_flight;
    gboolean         session_ended;
    const char      *expected;
  } cases[] = {
    { { .requests = 3 }, 3, FALSE, "Sending…" },
    { { .requests = 3, .succeeded = 3, .http_messages = 3 }, 0, FALSE, "no 401s, all OK" },
    { { .requests = 1, .http_messages = 1 }, 1, FALSE, "no 401s, 1 in flight" },
    { { .requests = 3, .succeeded = 3, .http_messages = 4, .refreshes = 1 }, 0, FALSE,
      "no 401s, 1 refresh before sending, all OK" },
    { { .requests = 3, .succeeded = 3, .http_messages = 5, .refreshes = 2 }, 0, FALSE,
      "no 401s, 2 refreshes before sending, all OK" },
    { { .requests = 3, .succeeded = 3, .http_messages = 7, .resource_401 = 3, .refreshes = 1, .retries = 3 },
      0, FALSE, "3 × 401 → 1 refresh → 3 retried, all OK" },
    { { .requests = 3, .succeeded = 2, .failed = 1, .http_messages = 6, .resource_401 = 3, .refreshes = 1,
        .retries = 2 }, 0, FALSE, "3 × 401 → 1 refresh → 2 retried, 1 failed" },
    { { .requests = 3, .succeeded = 1, .http_messages = 6, .resource_401 = 3, .refreshes = 1, .retries = 2 },
      1, FALSE, "3 × 401 → 1 refresh → 2 retried, 1 in flight" },
    { { .requests = 3, .failed = 3, .http_messages = 4, .resource_401 = 3, .refreshes = 1 }, 0, TRUE,
      "3 × 401 → 1 refresh → session ended" },
    { { .requests = 3, .failed = 3, .http_messages = 7, .resource_401 = 3, .refreshes = 1, .retries = 3 },
      0, TRUE, "3 × 401 → 1 refresh → 3 retried, session ended" },
    { { .requests = 1440, .failed = 1440, .http_messages = 1440, .resource_401 = 1440 }, 0, FALSE,
      "1440 × 401 → 0 refreshes → 0 retried, 1440 failed" },
    { { .requests = 2, .failed = 2, .http_messages = 2 }, 0, FALSE, "no 401s, 2 failed" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *line = tg_request_summary_describe (&cases[i].summary, cases[i].in_flight,
                                                           cases[i].session_ended);

      g_assert_cmpstr (line, ==, cases[i].expected);
    }
}

/* ------------------------------------------------------------------------- */
/* Unreachable                                                               */

static void
assert_unreachable (GQuark     domain,
                    const int *codes,
                    gsize      n_codes,
                    gboolean   expected)
{
  for (gsize i = 0; i < n_codes; i++)
    {
      g_autoptr(GError) error = g_error_new_literal (domain, codes[i], "x");

      if (tg_error_is_unreachable (error) != expected)
        g_error ("%s %d: unreachable should be %d", g_quark_to_string (domain), codes[i], expected);
    }
}

static void
test_unreachable (void)
{
  static const int io_unreachable[] = {
    G_IO_ERROR_CONNECTION_REFUSED, G_IO_ERROR_HOST_NOT_FOUND, G_IO_ERROR_HOST_UNREACHABLE,
    G_IO_ERROR_NETWORK_UNREACHABLE, G_IO_ERROR_TIMED_OUT, G_IO_ERROR_CONNECTION_CLOSED,
    G_IO_ERROR_NOT_CONNECTED, G_IO_ERROR_PROXY_FAILED, G_IO_ERROR_PROXY_NOT_ALLOWED,
  };
  static const int io_reached[] = {
    G_IO_ERROR_FAILED, G_IO_ERROR_CANCELLED, G_IO_ERROR_NOT_FOUND, G_IO_ERROR_INVALID_ARGUMENT,
    G_IO_ERROR_PERMISSION_DENIED, G_IO_ERROR_INVALID_DATA, G_IO_ERROR_NOT_SUPPORTED,
    G_IO_ERROR_PROXY_AUTH_FAILED, G_IO_ERROR_MESSAGE_TOO_LARGE,
  };
  static const int resolver[] = {
    G_RESOLVER_ERROR_NOT_FOUND, G_RESOLVER_ERROR_TEMPORARY_FAILURE, G_RESOLVER_ERROR_INTERNAL,
  };
  static const int tls[] = {
    G_TLS_ERROR_UNAVAILABLE, G_TLS_ERROR_MISC, G_TLS_ERROR_BAD_CERTIFICATE, G_TLS_ERROR_NOT_TLS,
    G_TLS_ERROR_HANDSHAKE, G_TLS_ERROR_CERTIFICATE_REQUIRED, G_TLS_ERROR_EOF,
  };
  static const int auth[] = {
    TG_AUTH_ERROR_BAD_CREDENTIALS, TG_AUTH_ERROR_SESSION_EXPIRED, TG_AUTH_ERROR_REFRESH_FAILED,
    TG_AUTH_ERROR_PROTOCOL, TG_AUTH_ERROR_SERVER, TG_AUTH_ERROR_INSECURE,
  };
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) refused = NULL;

  assert_unreachable (G_IO_ERROR, io_unreachable, G_N_ELEMENTS (io_unreachable), TRUE);
  assert_unreachable (G_IO_ERROR, io_reached, G_N_ELEMENTS (io_reached), FALSE);
  assert_unreachable (G_RESOLVER_ERROR, resolver, G_N_ELEMENTS (resolver), TRUE);
  /* A secure connection that cannot be set up: nothing reached the server
   * (callers that explain TLS apart check the domain first). */
  assert_unreachable (G_TLS_ERROR, tls, G_N_ELEMENTS (tls), TRUE);
  /* An answer, however bad, was reached. */
  assert_unreachable (TG_AUTH_ERROR, auth, G_N_ELEMENTS (auth), FALSE);
  {
    g_autoptr(GError) error = g_error_new_literal (SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_PARSING, "x");
    g_assert_false (tg_error_is_unreachable (error));
  }

  /* And a real one: a port nobody listens on. */
  connection = g_socket_client_connect_to_host (socket_client, "127.0.0.1", tg_test_closed_port (), NULL, &refused);
  g_assert_null (connection);
  g_assert_error (refused, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_true (tg_error_is_unreachable (refused));
}

/* ------------------------------------------------------------------------- */
/* The server's error body                                                   */

static void
assert_describes (const char *body,
                  gssize      length,
                  const char *expected)
{
  g_autoptr(GBytes) bytes = g_bytes_new (body, length >= 0 ? (gsize) length : strlen (body));
  g_autofree char *description = tg_error_body_describe (bytes);

  g_assert_cmpstr (description, ==, expected);
}

static void
test_error_body (void)
{
  g_autoptr(GString) long_description = g_string_new ("{\"error_description\":\"");
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GString) huge = g_string_new ("{\"error\":\"big\",\"pad\":\"");

  g_assert_null (tg_error_body_describe (NULL));

  /* What a server should send. */
  assert_describes ("{\"error\":\"invalid_grant\",\"error_description\":\"The refresh token has expired\"}", -1,
                    "The refresh token has expired");
  assert_describes ("{\"error\":\"invalid_grant\"}", -1, "invalid_grant");
  assert_describes ("{\"error\":\"invalid_grant\",\"error_description\":\"\"}", -1, "invalid_grant");
  assert_describes ("{\"error\":\"invalid_grant\",\"error_description\":null}", -1, "invalid_grant");
  assert_describes ("{\"error\":\"x\",\"error_description\":\"  spread\\n\\tover   lines  \"}", -1,
                    "spread over lines");

  /* Made fit to show: no terminal escapes, no bidi overrides, valid UTF-8. */
  assert_describes ("{\"error_description\":\"red\\u001b[31m here\"}", -1, "red[31m here");
  assert_describes ("{\"error_description\":\"abc\\u202edef\"}", -1, "abcdef");
  assert_describes ("{\"error_description\":\"caf\xc3\xa9\"}", -1, "café");

  /* At most 200 characters. */
  for (guint i = 0; i < 300; i++)
    g_string_append (long_description, "é");
  g_string_append (long_description, "\"}");
  {
    g_autoptr(GBytes) bytes = g_bytes_new (long_description->str, long_description->len);
    g_autofree char *description = tg_error_body_describe (bytes);

    g_assert_cmpint (g_utf8_strlen (description, -1), ==, 200);
    g_assert_true (g_str_has_suffix (description, "é…"));
  }

  /* Garbage gives nothing. */
  assert_describes ("", -1, NULL);
  assert_describes ("not json", -1, NULL);
  assert_describes ("<html><body>502 Bad Gateway</body></html>", -1, NULL);
  assert_describes ("[\"error\", \"x\"]", -1, NULL);
  assert_describes ("\"error\"", -1, NULL);
  assert_describes ("{}", -1, NULL);
  assert_describes ("{\"error\":5,\"error_description\":[\"x\"]}", -1, NULL);
  assert_describes ("{\"error\":{\"error\":\"nested\"}}", -1, NULL);
  assert_describes ("{\"error\":\"x\"", -1, NULL);
  assert_describes ("{\"error\":\"a\"}{\"error\":\"b\"}", -1, NULL);
  assert_describes ("{\"error\":\"a\\u0000b\"}", -1, NULL);
  assert_describes ("{\"error\":\"a\0b\"}", 14, NULL);
  assert_describes ("\xff\xfe{", -1, NULL);
  assert_describes ("{\"error\":\"   \"}", -1, NULL);

  for (guint i = 0; i < 10000; i++)
    g_string_append_c (deep, '[');
  assert_describes (deep->str, -1, NULL);

  while (huge->len < 128 * 1024)
    g_string_append (huge, "xxxxxxxxxxxxxxxx");
  g_string_append (huge, "\"}");
  assert_describes (huge->str, -1, NULL);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_setenv ("LANGUAGE", "C", TRUE);
  tg_test_init (&argc, &argv);

  g_test_add_func ("/client-config/defaults", test_defaults);
  g_test_add_func ("/client-config/server-uri", test_server_uri);
  g_test_add_func ("/client-config/endpoints", test_endpoints);
  g_test_add_func ("/client-config/account", test_account);
  g_test_add_func ("/client-config/build/seed", test_build_seed);
  g_test_add_func ("/client-config/build/oauth2", test_build_oauth2);
  g_test_add_func ("/client-config/build/default-store", test_build_default_store);
  g_test_add_func ("/client-config/build/errors", test_build_errors);
  g_test_add_func ("/request-summary/describe", test_summary_line);
  g_test_add_func ("/errors/unreachable", test_unreachable);
  g_test_add_func ("/errors/body", test_error_body);

  return g_test_run ();
}
