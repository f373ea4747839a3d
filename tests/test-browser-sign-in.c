/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgBrowserSignIn against the demo server, with libsoup playing the browser
 * (tg-test-browser.c): the whole flow through discovery, the loopback
 * redirect and the code exchange into the token manager; and every way it
 * must fail — a PKCE mismatch, a wrong `state` or `iss`, a code used before,
 * the person saying no, a timeout, a cancel — each of which must also close
 * the listener.
 */
#include "config.h"

#include <string.h>

#include "tg-auth-error.h"
#include "tg-auth-protocol-private.h"
#include "tg-browser-sign-in.h"
#include "tg-provider-private.h"
#include "tg-test-browser.h"
#include "tg-test-core.h"
#include "tg-test-server.h"
#include "tg-test-sign-in.h"
#include "tg-test-util.h"
#include "tg-token-manager-private.h"

typedef struct {
  TgTestServer    *server;
  TgProvider      *provider;
  TgApiClient     *client;
  TgBrowserSignIn *sign_in;
} Fixture;

#define CLIENT_SECRET "tg-test-confidential-secret"

static void
fixture_init_client (Fixture    *fixture,
                     const char *scope,
                     const char *client_secret)
{
  fixture->server = tg_test_server_new ("client-secret", CLIENT_SECRET, NULL);
  fixture->provider = tg_test_discover (tg_test_server_uri (fixture->server));
  if (client_secret != NULL)
    fixture->client = tg_test_confidential_client_for (fixture->provider, TG_SERVER_CONFIDENTIAL_CLIENT_ID,
                                                       client_secret, scope);
  else
    fixture->client = tg_test_client_for (fixture->provider, TG_SERVER_NATIVE_CLIENT_ID, scope);
  fixture->sign_in = tg_browser_sign_in_new (tg_api_client_get_manager (fixture->client), fixture->provider);
  tg_browser_sign_in_set_open_browser (fixture->sign_in, FALSE);
}

static void
fixture_init (Fixture    *fixture,
              const char *scope)
{
  fixture_init_client (fixture, scope, NULL);
}

static void
fixture_clear (Fixture *fixture)
{
  g_assert_finalize_object (fixture->sign_in);
  g_assert_finalize_object (fixture->client);
  g_assert_finalize_object (fixture->provider);
  tg_test_server_free (fixture->server);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Fixture, fixture_clear)

typedef struct {
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Outcome;

static void
ran (GObject      *source,
     GAsyncResult *result,
     gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->ok = tg_browser_sign_in_run_finish (TG_BROWSER_SIGN_IN (source), result, &outcome->error);
  outcome->done = TRUE;
}

/* Runs a sign-in with the browser doing as @script says; returns the page
 * the browser was left with, and the outcome in @outcome. */
static TgTestBrowserResult *
run_with_browser (Fixture                   *fixture,
                  const TgTestBrowserScript *script,
                  GCancellable              *cancellable,
                  Outcome                   *outcome)
{
  TgTestBrowserResult *page;

  tg_browser_sign_in_run_async (fixture->sign_in, cancellable, ran, outcome);
  g_assert_nonnull (tg_browser_sign_in_get_authorization_uri (fixture->sign_in));
  page = tg_test_browser_finish (tg_test_browser_start (tg_browser_sign_in_get_authorization_uri (fixture->sign_in),
                                                       script));
  tg_test_wait (&outcome->done, 30);
  return page;
}

/* The listener is gone: nothing answers at the redirect URI any more. It
 * closes once the browser has its page, which the browser may have read
 * a moment before the server has seen it go out: until then, it is 404. */
static void
assert_listener_closed (Fixture *fixture)
{
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(TgTestBrowserResult) again = tg_test_browser_get (tg_browser_sign_in_get_redirect_uri (fixture->sign_in));

      if (again->status == 0)
        return;
      g_assert_cmpuint (again->status, ==, 404);
      tg_test_iterate_for (20);
    }
  g_error ("the listener at %s is still open", tg_browser_sign_in_get_redirect_uri (fixture->sign_in));
}

static void
assert_failed (Fixture    *fixture,
               Outcome    *outcome,
               GQuark      domain,
               int         code)
{
  g_assert_false (outcome->ok);
  g_assert_error (outcome->error, domain, code);
  g_assert_cmpint (tg_token_manager_get_state (tg_api_client_get_manager (fixture->client)), ==,
                   TG_TOKEN_STATE_SIGNED_OUT);
  assert_listener_closed (fixture);
  g_clear_error (&outcome->error);
}

static const TgTestBrowserScript sign_in_script = { "sign-in", NULL, NULL };

static void
got_failure (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GError **error = user_data;
  g_autoptr(TgApiResponse) response = tg_api_client_get_finish (TG_API_CLIENT (source), result, error);

  g_assert_null (response);
}

static guint
get_resource (Fixture *fixture)
{
  g_autoptr(TgApiResponse) response = tg_test_client_get (fixture->client, "/api/resources/1");

  return response->status;
}

static void
test_flow (void)
{
  g_auto(Fixture) fixture = { 0 };
  g_autoptr(TgTestBrowserResult) page = NULL;
  TgTokenManager *manager;
  GListModel *log;
  Outcome outcome = { 0 };
  const char *uri;
  g_autofree char *redirect = NULL;
  g_autofree char *method = NULL;
  g_autofree char *prompt = NULL;
  g_autofree char *challenge = NULL;
  gboolean revoked = FALSE;

  fixture_init (&fixture, "api offline_access");
  manager = tg_api_client_get_manager (fixture.client);
  page = run_with_browser (&fixture, &sign_in_script, NULL, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_true (outcome.ok);
  g_assert_cmpuint (page->status, ==, 200);
  g_assert_nonnull (strstr (page->text, "Signed in — you can close this tab and go back to Tokengate."));
  g_assert_cmpint (tg_token_manager_get_state (manager), ==, TG_TOKEN_STATE_VALID);
  g_assert_true (tg_browser_sign_in_get_refresh_token_issued (fixture.sign_in));
  assert_listener_closed (&fixture);

  /* What went to the provider. */
  uri = tg_browser_sign_in_get_authorization_uri (fixture.sign_in);
  g_assert_true (g_str_has_prefix (uri, tg_provider_get_authorization_endpoint (fixture.provider)));
  redirect = tg_test_browser_query_value (uri, "redirect_uri");
  g_assert_cmpstr (redirect, ==, tg_browser_sign_in_get_redirect_uri (fixture.sign_in));
  g_assert_true (g_str_has_prefix (redirect, "http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (redirect, "/callback"));
  method = tg_test_browser_query_value (uri, "code_challenge_method");
  g_assert_cmpstr (method, ==, "S256");
  challenge = tg_test_browser_query_value (uri, "code_challenge");
  g_assert_cmpuint (strlen (challenge), ==, 43);
  /* offline_access: consent, or OpenID Connect providers issue no refresh
   * token. */
  prompt = tg_test_browser_query_value (uri, "prompt");
  g_assert_cmpstr (prompt, ==, "consent");
  g_assert_null (tg_test_browser_query_value (uri, "nonce"));

  /* The session works, and signing out revokes it at the discovered
   * endpoint (RFC 7009). */
  g_assert_cmpuint (get_resource (&fixture), ==, 200);
  tg_test_sign_out (manager);
  log = G_LIST_MODEL (tg_token_manager_get_request_log (manager));
  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(TgRequestRecord) record = g_list_model_get_item (log, i);

      if (tg_request_record_get_kind (record) == TG_REQUEST_KIND_REVOKE)
        {
          g_assert_cmpuint (tg_request_record_get_status (record), ==, 200);
          revoked = TRUE;
        }
    }
  g_assert_true (revoked);
}

/* The status of the last request of @kind in @manager's log; 0 if none. */
static guint
last_status_of (TgTokenManager *manager,
                TgRequestKind   kind)
{
  GListModel *log = G_LIST_MODEL (tg_token_manager_get_request_log (manager));
  guint status = 0;

  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(TgRequestRecord) record = g_list_model_get_item (log, i);

      if (tg_request_record_get_kind (record) == kind)
        status = tg_request_record_get_status (record);
    }
  return status;
}

/* A confidential client: its ID and secret go by HTTP Basic, and no
 * client_id in the body (RFC 6749 §2.3.1) — for the code, the refresh and
 * the revocation alike. */
static void
test_confidential_client_at_server (void)
{
  g_auto(Fixture) fixture = { 0 };
  g_autoptr(TgTestBrowserResult) page = NULL;
  TgTokenManager *manager;
  Outcome outcome = { 0 };
  g_autofree char *client_id = NULL;

  fixture_init_client (&fixture, "api offline_access", CLIENT_SECRET);
  manager = tg_api_client_get_manager (fixture.client);
  page = run_with_browser (&fixture, &sign_in_script, NULL, &outcome);

  g_assert_no_error (outcome.error);
  g_assert_true (outcome.ok);
  g_assert_cmpint (tg_token_manager_get_state (manager), ==, TG_TOKEN_STATE_VALID);
  client_id = tg_test_browser_query_value (tg_browser_sign_in_get_authorization_uri (fixture.sign_in),
                                           "client_id");
  g_assert_cmpstr (client_id, ==, TG_SERVER_CONFIDENTIAL_CLIENT_ID);
  g_assert_cmpuint (get_resource (&fixture), ==, 200);

  /* Every access token dies: the next request refreshes, with Basic too. */
  tg_test_server_post_demo (fixture.server, "/demo/expire-access-tokens", NULL);
  g_assert_cmpuint (get_resource (&fixture), ==, 200);
  g_assert_cmpuint (last_status_of (manager, TG_REQUEST_KIND_REFRESH), ==, 200);

  tg_test_sign_out (manager);
  g_assert_cmpuint (last_status_of (manager, TG_REQUEST_KIND_REVOKE), ==, 200);
}

/* A wrong secret: the provider says invalid_client, and the sign-in fails
 * with it after the browser part went well. */
static void
test_confidential_wrong_secret (void)
{
  g_auto(Fixture) fixture = { 0 };
  g_autoptr(TgTestBrowserResult) page = NULL;
  Outcome outcome = { 0 };

  fixture_init_client (&fixture, "api offline_access", "not-" CLIENT_SECRET);
  page = run_with_browser (&fixture, &sign_in_script, NULL, &outcome);
  g_assert_nonnull (outcome.error);
  g_assert_nonnull (strstr (outcome.error->message, "invalid_client"));
  g_assert_null (strstr (outcome.error->message, CLIENT_SECRET));
  assert_failed (&fixture, &outcome, TG_AUTH_ERROR, outcome.error->code);
}

/* Without offline_access no consent is forced; with openid comes a nonce. */
static void
test_openid_nonce (void)
{
  g_auto(Fixture) fixture = { 0 };
  g_autoptr(TgTestBrowserResult) page = NULL;
  Outcome outcome = { 0 };
  g_autofree char *nonce = NULL;
  g_autofree char *scope = NULL;
  const char *uri;

  fixture_init (&fixture, "openid api");
  page = run_with_browser (&fixture, &sign_in_script, NULL, &outcome);
  g_assert_no_error (outcome.error);

  uri = tg_browser_sign_in_get_authorization_uri (fixture.sign_in);
  nonce = tg_test_browser_query_value (uri, "nonce");
  g_assert_nonnull (nonce);
  g_assert_cmpuint (strlen (nonce), >=, 22);
  g_assert_null (tg_test_browser_query_value (uri, "prompt"));
  scope = tg_test_browser_query_value (uri, "scope");
  g_assert_cmpstr (scope, ==, "openid api");
}

/* A URI with parameter @name's value replaced by @value. */
static char *
replace_param (const char *uri,
               const char *name,
               const char *value)
{
  g_autofree char *pattern = g_strdup_printf ("([?&]%s=)[^&]*", name);
  g_autoptr(GRegex) regex = g_regex_new (pattern, 0, 0, NULL);
  g_autofree char *replacement = g_strdup_printf ("\\g<1>%s", value);

  return g_regex_replace (regex, uri, -1, 0, replacement, 0, NULL);
}

/* Someone else's challenge: the code is bound to it, not to our verifier. */
static char *
tamper_challenge (const char *uri)
{
  return replace_param (uri, "code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static void
test_pkce_mismatch (void)
{
  g_auto(Fixture) fixture = { 0 };
  g_autoptr(TgTestBrowserResult) page = NULL;
  const TgTestBrowserScript script = { "sign-in", tamper_challenge, NULL };
  Outcome outcome = { 0 };

  fixture_init (&fixture, "api offline_access");
  page = run_with_browser (&fixture, &script, NULL, &outcome);
  g_assert_nonnull (strstr (page->text, "could not sign you in"));
  g_assert_nonnull (strstr (outcome.error->message, "invalid_grant"));
  assert_failed (&fixture, &outcome, TG_AUTH_ERROR, TG_AUTH_ERROR_AUTHORIZATION_FAILED);
}

static char *
tamper_iss (const char *uri)
{
  return replace_param (uri, "iss", "https%3A%2F%2Fevil.example");
}

/* The provider advertises RFC 9207: an answer without `iss` is refused. */
static char *
drop_iss (const char *uri)
{
  g_autoptr(GRegex) regex = g_regex_new ("&iss=[^&]*", 0, 0, NULL);
  char *dropped = g_regex_replace (regex, uri, -1, 0, "", 0, NULL);

  g_assert_null (strstr (dropped, "iss="));
  return dropped;
}

static void
test_wrong_answer (gconstpointer data)
{
  char *(*tamper) (const char *) = (char *(*) (const char *)) data;
  g_auto(Fixture) fixture = { 0 };
  g_autoptr(TgTestBrowserResult) page = NULL;
  const TgTestBrowserScript script = { "sign-in", NULL, tamper };
  Outcome outcome = { 0 };

  fixture_init (&fixture, "api offline_access");
  page = run_with_browser (&fixture, &script, NULL, &outcome);
  g_assert_cmpuint (page->status, ==, 200);
  g_assert_nonnull (strstr (page->text, "Tokengate could not sign you in"));
  g_test_message ("%s", outcome.error->message);
  g_assert_nonnull (strstr (outcome.error->message, "“iss”"));
  assert_failed (&fixture, &outcome, TG_AUTH_ERROR, TG_AUTH_ERROR_AUTHORIZATION_FAILED);
}

/* What comes to the redirect path without this run's `state`, with a
 * parameter twice (RFC 6749 §3.1), or addressed to another host name (DNS
 * rebinding) is refused with 400 and does not end the run: any program on
 * this computer, or a page, could send it. The browser's answer still
 * signs in afterwards. */
static void
test_forged_answers (void)
{
  g_auto(Fixture) fixture = { 0 };
  g_autoptr(TgTestBrowserResult) page = NULL;
  g_autoptr(TgTestBrowserResult) rebound = NULL;
  g_autofree char *state = NULL;
  g_autofree char *ours = NULL;
  g_autofree char *rebound_host = NULL;
  g_autoptr(GUri) parsed = NULL;
  Outcome outcome = { 0 };
  const char *redirect;
  const char *forged[] = {
    "?code=a&state=forged",
    "?code=a",
    "?code=a&state=STATE&state=STATE",
    "?code=a&code=b&state=STATE",
    "?error=access_denied&error=x&state=STATE",
    "?code=a&iss=x&iss=y&state=STATE",
  };

  fixture_init (&fixture, "api offline_access");
  tg_browser_sign_in_run_async (fixture.sign_in, NULL, ran, &outcome);
  redirect = tg_browser_sign_in_get_redirect_uri (fixture.sign_in);
  state = tg_test_browser_query_value (tg_browser_sign_in_get_authorization_uri (fixture.sign_in), "state");
  for (gsize i = 0; i < G_N_ELEMENTS (forged); i++)
    {
      g_autoptr(GString) uri = g_string_new (redirect);
      g_autoptr(TgTestBrowserResult) answer = NULL;

      g_string_append (uri, forged[i]);
      g_string_replace (uri, "STATE", state, 0);
      answer = tg_test_browser_get (uri->str);

      g_test_message ("%s", forged[i]);
      g_assert_cmpuint (answer->status, ==, 400);
      g_assert_nonnull (strstr (answer->text, "Not a sign-in Tokengate is waiting for"));
      g_assert_false (outcome.done);
    }

  /* The right state, but sent to a name rebound to this address. */
  ours = g_strdup_printf ("%s?code=a&state=%s", redirect, state);
  parsed = g_uri_parse (redirect, G_URI_FLAGS_NONE, NULL);
  rebound_host = g_strdup_printf ("evil.example:%d", g_uri_get_port (parsed));
  rebound = tg_test_browser_get_with_host (ours, rebound_host);
  g_assert_cmpuint (rebound->status, ==, 400);
  g_assert_false (outcome.done);

  page = tg_test_browser_finish (tg_test_browser_start (tg_browser_sign_in_get_authorization_uri (fixture.sign_in),
                                                       &sign_in_script));
  tg_test_wait (&outcome.done, 30);
  g_assert_no_error (outcome.error);
  g_assert_cmpuint (page->status, ==, 200);
  g_assert_cmpint (tg_token_manager_get_state (tg_api_client_get_manager (fixture.client)), ==,
                   TG_TOKEN_STATE_VALID);
}

/* The answer is form-encoded (RFC 6749 Appendix B): `+` is a space. */
static void
test_form_encoded_answer (void)
{
  g_auto(Fixture) fixture = { 0 };
  g_autoptr(TgTestBrowserResult) page = NULL;
  g_autofree char *state = NULL;
  g_autofree char *iss = NULL;
  g_autofree char *uri = NULL;
  Outcome outcome = { 0 };

  fixture_init (&fixture, "api");
  tg_browser_sign_in_run_async (fixture.sign_in, NULL, ran, &outcome);
  state = tg_test_browser_query_value (tg_browser_sign_in_get_authorization_uri (fixture.sign_in), "state");
  iss = g_uri_escape_string (tg_provider_get_issuer (fixture.provider), NULL, FALSE);
  uri = g_strdup_printf ("%s?error=access_denied&error_description=Not+now%%21&state=%s&iss=%s",
                         tg_browser_sign_in_get_redirect_uri (fixture.sign_in), state, iss);
  page = tg_test_browser_get (uri);
  tg_test_wait (&outcome.done, 30);
  g_assert_cmpuint (page->status, ==, 200);
  g_test_message ("%s", outcome.error->message);
  g_assert_nonnull (strstr (outcome.error->message, "access_denied: Not now!"));
  assert_failed (&fixture, &outcome, TG_AUTH_ERROR, TG_AUTH_ERROR_AUTHORIZATION_FAILED);
}

static void
test_access_denied (void)
{
  g_auto(Fixture) fixture = { 0 };
  g_autoptr(TgTestBrowserResult) page = NULL;
  const TgTestBrowserScript script = { "cancel", NULL, NULL };
  Outcome outcome = { 0 };

  fixture_init (&fixture, "api offline_access");
  page = run_with_browser (&fixture, &script, NULL, &outcome);
  g_assert_nonnull (strstr (outcome.error->message, "refused or cancelled"));
  g_assert_nonnull (strstr (outcome.error->message, "access_denied"));
  g_assert_nonnull (strstr (page->text, "access_denied"));
  assert_failed (&fixture, &outcome, TG_AUTH_ERROR, TG_AUTH_ERROR_AUTHORIZATION_FAILED);
}

/* The code the browser carried, kept by the hook below. */
static char *stolen_code;

static char *
steal_code (const char *uri)
{
  g_free (stolen_code);
  stolen_code = tg_test_browser_query_value (uri, "code");
  return g_strdup (uri);
}

/* A code used a second time (RFC 6749 §4.1.2): the provider revokes what it
 * issued from it, and the client's next refresh ends the session. */
static void
test_replayed_code (void)
{
  g_auto(Fixture) fixture = { 0 };
  g_autoptr(TgTestBrowserResult) page = NULL;
  g_autoptr(TgTestReply) replay = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *form = NULL;
  const TgTestBrowserScript script = { "sign-in", NULL, steal_code };
  TgTokenManager *manager;
  Outcome outcome = { 0 };

  fixture_init (&fixture, "api offline_access");
  manager = tg_api_client_get_manager (fixture.client);
  page = run_with_browser (&fixture, &script, NULL, &outcome);
  g_assert_no_error (outcome.error);
  g_assert_nonnull (stolen_code);

  form = g_strdup_printf ("grant_type=authorization_code&code=%s&redirect_uri=%s&client_id=%s"
                          "&code_verifier=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                          stolen_code, tg_browser_sign_in_get_redirect_uri (fixture.sign_in),
                          TG_SERVER_NATIVE_CLIENT_ID);
  replay = tg_test_request (fixture.server, "POST", "/oauth2/token", "application/x-www-form-urlencoded",
                            form, NULL);
  tg_test_assert_json_error (replay, 400, "invalid_grant");
  g_clear_pointer (&stolen_code, g_free);

  /* The next refresh finds the session revoked. */
  tg_token_manager_replace_access_token (manager, "sdf");
  tg_api_client_get_async (fixture.client, "/api/resources/1", NULL, got_failure, &error);
  g_assert_true (tg_test_wait_until (tg_test_is_set, &error, 30));
  g_assert_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED);
  g_assert_cmpint (tg_token_manager_get_state (manager), ==, TG_TOKEN_STATE_SIGNED_OUT);
}

static void
test_timeout (void)
{
  g_auto(Fixture) fixture = { 0 };
  Outcome outcome = { 0 };

  fixture_init (&fixture, "api");
  tg_browser_sign_in_set_timeout (fixture.sign_in, 1);
  tg_browser_sign_in_run_async (fixture.sign_in, NULL, ran, &outcome);
  tg_test_wait (&outcome.done, 30);
  assert_failed (&fixture, &outcome, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

static void
test_cancel (void)
{
  g_auto(Fixture) fixture = { 0 };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Outcome outcome = { 0 };

  fixture_init (&fixture, "api");
  tg_browser_sign_in_run_async (fixture.sign_in, cancellable, ran, &outcome);
  tg_test_iterate_for (50);
  g_assert_false (outcome.done);
  g_cancellable_cancel (cancellable);
  tg_test_wait (&outcome.done, 30);
  assert_failed (&fixture, &outcome, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Anything but the redirect path gets 404, and does not end the run. */
static void
test_other_paths (void)
{
  g_auto(Fixture) fixture = { 0 };
  g_autoptr(TgTestBrowserResult) page = NULL;
  g_autoptr(TgTestBrowserResult) other = NULL;
  g_autoptr(TgTestBrowserResult) favicon = NULL;
  g_autofree char *base = NULL;
  g_autofree char *other_uri = NULL;
  g_autofree char *favicon_uri = NULL;
  Outcome outcome = { 0 };
  const char *redirect;

  fixture_init (&fixture, "api offline_access");
  tg_browser_sign_in_run_async (fixture.sign_in, NULL, ran, &outcome);
  redirect = tg_browser_sign_in_get_redirect_uri (fixture.sign_in);
  base = g_strndup (redirect, strlen (redirect) - strlen ("/callback"));
  other_uri = g_strconcat (base, "/callback/x?code=a&state=b", NULL);
  favicon_uri = g_strconcat (base, "/favicon.ico", NULL);
  other = tg_test_browser_get (other_uri);
  favicon = tg_test_browser_get (favicon_uri);
  g_assert_cmpuint (other->status, ==, 404);
  g_assert_cmpuint (favicon->status, ==, 404);
  g_assert_false (outcome.done);

  page = tg_test_browser_finish (tg_test_browser_start (tg_browser_sign_in_get_authorization_uri (fixture.sign_in),
                                                       &sign_in_script));
  tg_test_wait (&outcome.done, 30);
  g_assert_no_error (outcome.error);
  g_assert_cmpuint (page->status, ==, 200);
}

static void
test_redirect_uri (void)
{
  g_auto(Fixture) fixture = { 0 };
  const char *refused[] = {
    "http://localhost/callback",
    "https://127.0.0.1/callback",
    "http://192.168.1.1/callback",
    "http://127.0.0.1",
    "http://127.0.0.1/",
    "http://127.0.0.1/callback?x=1",
    "http://127.0.0.1/callback#x",
    "not a uri",
  };

  fixture_init (&fixture, "api");
  g_assert_cmpstr (tg_browser_sign_in_get_redirect_uri (fixture.sign_in), ==, "http://127.0.0.1/callback");
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (tg_browser_sign_in_set_redirect_uri (fixture.sign_in, refused[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
  g_assert_cmpstr (tg_browser_sign_in_get_redirect_uri (fixture.sign_in), ==, "http://127.0.0.1/callback");
  g_assert_true (tg_browser_sign_in_set_redirect_uri (fixture.sign_in, "http://[::1]/done", NULL));
  g_assert_true (tg_browser_sign_in_set_redirect_uri (fixture.sign_in, "http://127.0.0.1:0/oauth/back", NULL));
}

/* A provider that has no authorization endpoint cannot sign in this way. */
static void
test_no_authorization_endpoint (void)
{
  static const char document[] = "{\"issuer\":\"https://id.example\",\"token_endpoint\":\"https://id.example/token\"}";
  g_autoptr(TgProvider) provider = _tg_provider_parse ("https://id.example", document, strlen (document), NULL);
  g_autoptr(TgAuthProtocol) protocol = tg_auth_protocol_new_oauth2 ("https://id.example/token", NULL, "app",
                                                                    NULL, NULL, NULL);
  g_autoptr(TgTokenManager) manager = tg_token_manager_new (protocol, NULL, "test");
  g_autoptr(TgBrowserSignIn) sign_in = tg_browser_sign_in_new (manager, provider);
  Outcome outcome = { 0 };

  g_assert_nonnull (provider);
  tg_browser_sign_in_run_async (sign_in, NULL, ran, &outcome);
  tg_test_wait (&outcome.done, 10);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&outcome.error);
}

/* A scripted provider on this thread: its authorization endpoint sends the
 * browser straight back with a code, its token endpoint checks the request
 * and answers a pair without a refresh token. */
typedef struct {
  SoupServer *server;
  char       *issuer;
  char       *challenge;    /* from the authorization request */
  char       *redirect_uri;
  GHashTable *token_form;   /* the last token request's */
  char       *authorization;  /* its Authorization header */
  gboolean    hold_tokens;  /* leave token requests unanswered */
} Scripted;

static void
scripted_authorize (SoupServerMessage *msg,
                    GHashTable        *query)
{
  g_autofree char *location = NULL;
  g_autofree char *state = NULL;

  state = g_uri_escape_string (g_hash_table_lookup (query, "state"), NULL, FALSE);
  location = g_strdup_printf ("%s?code=the-code&state=%s", (char *) g_hash_table_lookup (query, "redirect_uri"),
                              state);
  soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, location);
}

static void
scripted_handler (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  Scripted *scripted = user_data;
  static const char answer[] = "{\"access_token\":\"an-access-token\",\"token_type\":\"Bearer\","
                               "\"expires_in\":60}";

  if (strcmp (path, "/authorize") == 0)
    {
      g_assert_nonnull (query);
      g_free (scripted->challenge);
      scripted->challenge = g_strdup (g_hash_table_lookup (query, "code_challenge"));
      g_free (scripted->redirect_uri);
      scripted->redirect_uri = g_strdup (g_hash_table_lookup (query, "redirect_uri"));
      scripted_authorize (msg, query);
      return;
    }
  if (strcmp (path, "/token") == 0)
    {
      SoupMessageBody *body = soup_server_message_get_request_body (msg);
      g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
      g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

      g_clear_pointer (&scripted->token_form, g_hash_table_unref);
      scripted->token_form = soup_form_decode (text);
      g_free (scripted->authorization);
      scripted->authorization = g_strdup (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                                        "Authorization"));
      if (scripted->hold_tokens)
        {
          soup_server_message_pause (msg);
          return;
        }
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, answer, strlen (answer));
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static void
scripted_init (Scripted *scripted)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;

  scripted->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (scripted->server, NULL, scripted_handler, scripted, NULL);
  g_assert_true (soup_server_listen_local (scripted->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (scripted->server);
  scripted->issuer = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
}

static void
scripted_clear (Scripted *scripted)
{
  soup_server_disconnect (scripted->server);
  g_clear_object (&scripted->server);
  g_free (scripted->issuer);
  g_free (scripted->challenge);
  g_free (scripted->redirect_uri);
  g_clear_pointer (&scripted->token_form, g_hash_table_unref);
  g_free (scripted->authorization);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Scripted, scripted_clear)

/* A browser sign-in at the scripted provider, not running yet. */
static TgBrowserSignIn *
scripted_sign_in_new (Scripted   *scripted,
                      const char *client_secret)
{
  g_autofree char *document = g_strdup_printf ("{\"issuer\":\"%s\",\"authorization_endpoint\":\"%s/authorize\","
                                               "\"token_endpoint\":\"%s/token\"}",
                                               scripted->issuer, scripted->issuer, scripted->issuer);
  g_autofree char *token_endpoint = g_strconcat (scripted->issuer, "/token", NULL);
  g_autoptr(TgProvider) provider = _tg_provider_parse (scripted->issuer, document, strlen (document), NULL);
  g_autoptr(TgAuthProtocol) protocol = tg_auth_protocol_new_oauth2 (token_endpoint, NULL, "the-client",
                                                                    client_secret, "api", NULL);
  g_autoptr(TgTokenManager) manager = tg_token_manager_new (protocol, NULL, "test");
  TgBrowserSignIn *sign_in = NULL;

  g_assert_nonnull (provider);
  sign_in = tg_browser_sign_in_new (manager, provider);
  tg_browser_sign_in_set_open_browser (sign_in, FALSE);
  return sign_in;
}

/* The browser at the scripted provider's authorization endpoint for the
 * run under way; returns where it is sent back to, with a code. */
static char *
scripted_browse (Scripted        *scripted,
                 TgBrowserSignIn *sign_in)
{
  g_autoptr(TgTestBrowserResult) authorize = NULL;
  g_autofree char *state = NULL;
  g_autofree char *escaped = NULL;

  authorize = tg_test_browser_get (tg_browser_sign_in_get_authorization_uri (sign_in));
  g_assert_cmpuint (authorize->status, ==, 302);
  g_assert_nonnull (scripted->redirect_uri);
  state = tg_test_browser_query_value (tg_browser_sign_in_get_authorization_uri (sign_in), "state");
  escaped = g_uri_escape_string (state, NULL, FALSE);
  return g_strdup_printf ("%s?code=the-code&state=%s", scripted->redirect_uri, escaped);
}

/* Signs in at the scripted provider, the browser following its redirect by
 * hand; returns the outcome. */
static void
sign_in_scripted (Scripted   *scripted,
                  const char *client_secret,
                  Outcome    *outcome,
                  gboolean   *out_refresh_token)
{
  g_autoptr(TgBrowserSignIn) sign_in = scripted_sign_in_new (scripted, client_secret);
  g_autoptr(TgTestBrowserResult) back = NULL;
  g_autofree char *back_uri = NULL;

  tg_browser_sign_in_run_async (sign_in, NULL, ran, outcome);
  back_uri = scripted_browse (scripted, sign_in);
  back = tg_test_browser_get (back_uri);
  tg_test_wait (&outcome->done, 30);
  g_assert_cmpuint (back->status, ==, 200);
  *out_refresh_token = tg_browser_sign_in_get_refresh_token_issued (sign_in);
}

/* A public client names itself and proves the code with its verifier; no
 * refresh token in the answer is said, not hidden. */
static void
test_public_client_without_refresh_token (void)
{
  g_auto(Scripted) scripted = { 0 };
  Outcome outcome = { 0 };
  gboolean refresh_token = TRUE;
  g_autofree char *challenge = NULL;

  scripted_init (&scripted);
  sign_in_scripted (&scripted, NULL, &outcome, &refresh_token);
  g_assert_no_error (outcome.error);
  g_assert_true (outcome.ok);
  g_assert_false (refresh_token);

  g_assert_cmpstr (g_hash_table_lookup (scripted.token_form, "grant_type"), ==, "authorization_code");
  g_assert_cmpstr (g_hash_table_lookup (scripted.token_form, "code"), ==, "the-code");
  g_assert_cmpstr (g_hash_table_lookup (scripted.token_form, "client_id"), ==, "the-client");
  g_assert_cmpstr (g_hash_table_lookup (scripted.token_form, "redirect_uri"), ==, scripted.redirect_uri);
  g_assert_null (scripted.authorization);
  /* RFC 7636 §4.6: the verifier hashes to the challenge that was sent. */
  g_assert_cmpuint (strlen (g_hash_table_lookup (scripted.token_form, "code_verifier")), ==, 43);
  challenge = tg_test_pkce_challenge (g_hash_table_lookup (scripted.token_form, "code_verifier"));
  g_assert_cmpstr (challenge, ==, scripted.challenge);
}

/* A confidential client authenticates with its secret instead. */
static void
test_confidential_client (void)
{
  g_auto(Scripted) scripted = { 0 };
  Outcome outcome = { 0 };
  gboolean refresh_token = TRUE;

  scripted_init (&scripted);
  sign_in_scripted (&scripted, "s3cret", &outcome, &refresh_token);
  g_assert_no_error (outcome.error);
  g_assert_null (g_hash_table_lookup (scripted.token_form, "client_id"));
  g_assert_nonnull (scripted.authorization);
  g_assert_true (g_str_has_prefix (scripted.authorization, "Basic "));
  g_assert_nonnull (g_hash_table_lookup (scripted.token_form, "code_verifier"));
}

/* A provider that never answers the code: the run still ends at its
 * deadline, and the listener and the browser's page with it. */
static void
test_exchange_deadline (void)
{
  g_auto(Scripted) scripted = { 0 };
  g_autoptr(TgBrowserSignIn) sign_in = NULL;
  g_autoptr(TgTestBrowserResult) back = NULL;
  g_autofree char *back_uri = NULL;
  Outcome outcome = { 0 };

  scripted_init (&scripted);
  scripted.hold_tokens = TRUE;
  sign_in = scripted_sign_in_new (&scripted, NULL);
  tg_browser_sign_in_set_timeout (sign_in, 2);
  tg_browser_sign_in_run_async (sign_in, NULL, ran, &outcome);
  back_uri = scripted_browse (&scripted, sign_in);
  back = tg_test_browser_get (back_uri);
  tg_test_wait (&outcome.done, 30);

  g_assert_nonnull (scripted.token_form);
  g_assert_cmpuint (back->status, ==, 200);
  g_assert_nonnull (strstr (back->text, "Tokengate could not sign you in"));
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (outcome.error->message, "did not answer in time"));
  g_clear_error (&outcome.error);
}

typedef struct {
  TgBrowserSignIn *sign_in;
  GCancellable    *second_cancellable;
  Outcome          first;
  Outcome          second;
} Rerun;

/* The first run's end starts the second at once, as a "try again" would. */
static void
ran_then_rerun (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Rerun *rerun = user_data;

  ran (source, result, &rerun->first);
  tg_browser_sign_in_run_async (rerun->sign_in, rerun->second_cancellable, ran, &rerun->second);
}

static gboolean
cancel_later (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

/* A run cancelled while its code is exchanged: the exchange's late result
 * belongs to it, and must not end the run that followed. */
static void
test_late_exchange_of_cancelled_run (void)
{
  g_auto(Scripted) scripted = { 0 };
  g_autoptr(GCancellable) first_cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) second_cancellable = g_cancellable_new ();
  g_autoptr(TgTestBrowserResult) back = NULL;
  g_autofree char *back_uri = NULL;
  Rerun rerun = { 0 };

  scripted_init (&scripted);
  scripted.hold_tokens = TRUE;
  rerun.sign_in = scripted_sign_in_new (&scripted, NULL);
  rerun.second_cancellable = second_cancellable;
  tg_browser_sign_in_run_async (rerun.sign_in, first_cancellable, ran_then_rerun, &rerun);
  back_uri = scripted_browse (&scripted, rerun.sign_in);
  g_timeout_add (300, cancel_later, first_cancellable);
  back = tg_test_browser_get (back_uri);
  tg_test_wait (&rerun.first.done, 30);
  g_assert_nonnull (scripted.token_form);
  g_assert_error (rerun.first.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&rerun.first.error);

  tg_test_iterate_for (300);
  g_assert_false (rerun.second.done);

  g_cancellable_cancel (second_cancellable);
  tg_test_wait (&rerun.second.done, 30);
  g_assert_error (rerun.second.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&rerun.second.error);
  g_assert_finalize_object (rerun.sign_in);
}

/* The code goes only to the provider's own token endpoint (mix-up). */
static void
test_token_endpoint_mismatch (void)
{
  static const char document[] = "{\"issuer\":\"https://id.example\",\"token_endpoint\":\"https://id.example/token\","
                                 "\"authorization_endpoint\":\"https://id.example/authorize\"}";
  g_autoptr(TgProvider) provider = _tg_provider_parse ("https://id.example", document, strlen (document), NULL);
  g_autoptr(TgAuthProtocol) protocol = tg_auth_protocol_new_oauth2 ("https://attacker.example/token", NULL, "app",
                                                                    NULL, NULL, NULL);
  g_autoptr(TgTokenManager) manager = tg_token_manager_new (protocol, NULL, "test");
  g_autoptr(TgBrowserSignIn) sign_in = tg_browser_sign_in_new (manager, provider);
  Outcome outcome = { 0 };

  g_assert_nonnull (provider);
  tg_browser_sign_in_set_open_browser (sign_in, FALSE);
  tg_browser_sign_in_run_async (sign_in, NULL, ran, &outcome);
  tg_test_wait (&outcome.done, 10);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (tg_browser_sign_in_get_authorization_uri (sign_in));
  g_clear_error (&outcome.error);
}

int
main (int    argc,
      char **argv)
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/browser-sign-in/flow", test_flow);
  g_test_add_func ("/browser-sign-in/openid-nonce", test_openid_nonce);
  g_test_add_func ("/browser-sign-in/confidential-client/at-server", test_confidential_client_at_server);
  g_test_add_func ("/browser-sign-in/confidential-client/wrong-secret", test_confidential_wrong_secret);
  g_test_add_func ("/browser-sign-in/pkce-mismatch", test_pkce_mismatch);
  g_test_add_func ("/browser-sign-in/forged-answers", test_forged_answers);
  g_test_add_func ("/browser-sign-in/form-encoded-answer", test_form_encoded_answer);
  g_test_add_data_func ("/browser-sign-in/wrong-iss", (gconstpointer) tamper_iss, test_wrong_answer);
  g_test_add_data_func ("/browser-sign-in/no-iss", (gconstpointer) drop_iss, test_wrong_answer);
  g_test_add_func ("/browser-sign-in/access-denied", test_access_denied);
  g_test_add_func ("/browser-sign-in/replayed-code", test_replayed_code);
  g_test_add_func ("/browser-sign-in/timeout", test_timeout);
  g_test_add_func ("/browser-sign-in/cancel", test_cancel);
  g_test_add_func ("/browser-sign-in/other-paths", test_other_paths);
  g_test_add_func ("/browser-sign-in/redirect-uri", test_redirect_uri);
  g_test_add_func ("/browser-sign-in/no-authorization-endpoint", test_no_authorization_endpoint);
  g_test_add_func ("/browser-sign-in/public-client-without-refresh-token", test_public_client_without_refresh_token);
  g_test_add_func ("/browser-sign-in/confidential-client", test_confidential_client);
  g_test_add_func ("/browser-sign-in/exchange-deadline", test_exchange_deadline);
  g_test_add_func ("/browser-sign-in/late-exchange-of-cancelled-run", test_late_exchange_of_cancelled_run);
  g_test_add_func ("/browser-sign-in/token-endpoint-mismatch", test_token_endpoint_mismatch);

  return g_test_run ();
}
