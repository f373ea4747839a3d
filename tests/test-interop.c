/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The browser sign-in against real software that is not ours:
 *
 * - the demo server's login page in a real browser, headless chromium
 *   driven over its DevTools protocol (tg-test-chromium.c): the form filled
 *   and sent, the loopback redirect landing, the session working;
 * - a real third-party OpenID provider, panva's oidc-provider, installed from
 *   the npm registry into ~/.cache/tokengate: discovery, the same browser
 *   through its login and consent pages, a refresh forced by a broken access
 *   token (its userinfo endpoint standing in for the API), and revocation at
 *   sign-out.
 *
 * Each is skipped, saying why, when its software cannot be installed here.
 */
#include "config.h"

#include <string.h>

#include "tg-browser-sign-in.h"
#include "tg-client-config.h"
#include "tg-provider-private.h"
#include "tg-test-chromium.h"
#include "tg-test-server.h"
#include "tg-test-util.h"
#include "tg-token-manager-private.h"

/* Where the npm packages are kept between runs; found before the test
 * cases get their own throwaway directories. */
static char *npm_cache_dir;

typedef struct {
  TgProvider      *provider;
  TgApiClient     *client;
  TgBrowserSignIn *sign_in;
  TgTestChromium  *chromium;
  gboolean         done;
  gboolean         ok;
  GError          *error;
} Fixture;

static gboolean
is_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

static void
discovered (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  TgProvider **provider = user_data;
  g_autoptr(GError) error = NULL;

  *provider = tg_provider_discover_finish (result, &error);
  g_assert_no_error (error);
}

static void
built (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  TgApiClient **client = user_data;
  g_autoptr(GError) error = NULL;

  *client = tg_client_config_build_finish (TG_CLIENT_CONFIG (source), result, &error);
  g_assert_no_error (error);
}

/* Discovers @issuer and builds a client for it; FALSE (the test skipped)
 * when chromium cannot run. */
static gboolean
fixture_init (Fixture    *fixture,
              const char *issuer,
              const char *client_id,
              const char *scope)
{
  g_autoptr(TgClientConfig) config = tg_client_config_new ();
  g_autoptr(GError) error = NULL;

  fixture->chromium = tg_test_chromium_start (&error);
  if (fixture->chromium == NULL)
    {
      g_test_skip (error->message);
      return FALSE;
    }

  tg_provider_discover_async (issuer, NULL, discovered, &fixture->provider);
  g_assert_true (tg_test_wait_until (is_set, &fixture->provider, 30));
  g_assert_cmpstr (tg_provider_get_issuer (fixture->provider), ==, issuer);

  g_assert_true (tg_client_config_set_provider (config, fixture->provider, &error));
  g_assert_no_error (error);
  tg_client_config_set_client_id (config, client_id);
  tg_client_config_set_scope (config, scope);
  tg_client_config_build_async (config, NULL, built, &fixture->client);
  g_assert_true (tg_test_wait_until (is_set, &fixture->client, 30));

  fixture->sign_in = tg_browser_sign_in_new (tg_api_client_get_manager (fixture->client), fixture->provider);
  tg_browser_sign_in_set_open_browser (fixture->sign_in, FALSE);
  return TRUE;
}

/* Idempotent: a test clears its fixture before stopping the provider. */
static void
fixture_clear (Fixture *fixture)
{
  g_clear_pointer (&fixture->chromium, tg_test_chromium_free);
  if (fixture->sign_in != NULL)
    g_assert_finalize_object (g_steal_pointer (&fixture->sign_in));
  if (fixture->client != NULL)
    g_assert_finalize_object (g_steal_pointer (&fixture->client));
  if (fixture->provider != NULL)
    g_assert_finalize_object (g_steal_pointer (&fixture->provider));
  g_clear_error (&fixture->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Fixture, fixture_clear)

static void
ran (GObject      *source,
     GAsyncResult *result,
     gpointer      user_data)
{
  Fixture *fixture = user_data;

  fixture->ok = tg_browser_sign_in_run_finish (TG_BROWSER_SIGN_IN (source), result, &fixture->error);
  fixture->done = TRUE;
}

/* A form on one of the provider's pages, and how to fill it in. */
typedef struct {
  const char *fields_json;
  const char *button_selector;
  const char *screenshot;   /* nullable */
} Page;

/* Starts the sign-in and has chromium open its authorization URI and fill
 * in @pages in turn; returns once the client has the tokens and the browser
 * shows the page the loopback redirect answered with. */
static void
sign_in (Fixture    *fixture,
         const Page *pages,
         guint       n_pages)
{
  g_autofree char *landed = NULL;
  g_autofree char *text = NULL;
  guint loads;

  tg_browser_sign_in_run_async (fixture->sign_in, NULL, ran, fixture);
  loads = tg_test_chromium_n_loads (fixture->chromium);
  tg_test_chromium_navigate (fixture->chromium, tg_browser_sign_in_get_authorization_uri (fixture->sign_in));
  for (guint i = 0; i < n_pages; i++)
    {
      g_assert_true (tg_test_chromium_wait_load (fixture->chromium, loads, NULL));
      g_assert_false (fixture->done);
      if (pages[i].screenshot != NULL)
        tg_test_chromium_screenshot (fixture->chromium, pages[i].screenshot);
      loads = tg_test_chromium_n_loads (fixture->chromium);
      tg_test_chromium_fill_form (fixture->chromium, pages[i].fields_json, pages[i].button_selector);
    }
  tg_test_wait (&fixture->done, 30);
  g_assert_no_error (fixture->error);
  g_assert_true (fixture->ok);
  g_assert_cmpint (tg_token_manager_get_state (tg_api_client_get_manager (fixture->client)), ==,
                   TG_TOKEN_STATE_VALID);

  g_assert_true (tg_test_chromium_wait_load (fixture->chromium, loads, NULL));
  landed = tg_test_chromium_evaluate (fixture->chromium, "location.origin + location.pathname");
  g_assert_cmpstr (landed, ==, tg_browser_sign_in_get_redirect_uri (fixture->sign_in));
  text = tg_test_chromium_evaluate (fixture->chromium, "document.body.innerText");
  g_assert_nonnull (strstr (text, "Signed in — you can close this tab and go back to Tokengate."));
}

static void
got (GObject      *source,
     GAsyncResult *result,
     gpointer      user_data)
{
  TgApiResponse **response = user_data;
  g_autoptr(GError) error = NULL;

  *response = tg_api_client_get_finish (TG_API_CLIENT (source), result, &error);
  g_assert_no_error (error);
}

static TgApiResponse *
get (Fixture    *fixture,
     const char *path)
{
  TgApiResponse *response = NULL;

  tg_api_client_get_async (fixture->client, path, NULL, got, &response);
  g_assert_true (tg_test_wait_until (is_set, &response, 30));
  return response;
}

static void
signed_out (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  gboolean *done = user_data;

  g_assert_true (tg_token_manager_sign_out_finish (TG_TOKEN_MANAGER (source), result, NULL));
  *done = TRUE;
}

/* The statuses of the requests of @kind in the manager's log, in order,
 * as "200 200". */
static char *
logged (Fixture       *fixture,
        TgRequestKind  kind)
{
  GListModel *log = G_LIST_MODEL (tg_token_manager_get_request_log (tg_api_client_get_manager (fixture->client)));
  g_autoptr(GString) statuses = g_string_new ("");

  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(TgRequestRecord) record = g_list_model_get_item (log, i);

      if (tg_request_record_get_kind (record) == kind)
        g_string_append_printf (statuses, "%s%u", statuses->len > 0 ? " " : "",
                                tg_request_record_get_status (record));
    }
  return g_string_free (g_steal_pointer (&statuses), FALSE);
}

static void
sign_out (Fixture *fixture)
{
  gboolean done = FALSE;
  g_autofree char *revocations = NULL;

  tg_token_manager_sign_out_async (tg_api_client_get_manager (fixture->client), NULL, signed_out, &done);
  tg_test_wait (&done, 30);
  revocations = logged (fixture, TG_REQUEST_KIND_REVOKE);
  g_assert_cmpstr (revocations, ==, "200");
}

/* The demo server's own login page, in chromium. */
static void
test_chromium_demo (void)
{
  g_auto(Fixture) fixture = { 0 };
  TgTestServer *server = tg_test_server_new (NULL);
  const Page login = { "{\"username\": \"demo\", \"password\": \"demo\"}",
                       "button[value=\"sign-in\"]", "interop-chromium-login" };
  g_autoptr(TgApiResponse) resource = NULL;

  if (fixture_init (&fixture, tg_test_server_uri (server), TG_SERVER_NATIVE_CLIENT_ID, "api offline_access"))
    {
      sign_in (&fixture, &login, 1);
      tg_test_chromium_screenshot (fixture.chromium, "interop-chromium-signed-in");
      resource = get (&fixture, "/api/resources/1");
      g_assert_cmpuint (resource->status, ==, 200);
      sign_out (&fixture);
    }
  fixture_clear (&fixture);
  tg_test_server_free (server);
}

/* oidc-provider on an ephemeral port, or NULL with the test skipped. */
static GSubprocess *
start_oidc_provider (char **out_issuer)
{
  g_autofree char *install = g_test_build_filename (G_TEST_DIST, "interop", "install-oidc-provider", NULL);
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "interop", "oidc-provider.mjs", NULL);
  g_autoptr(GSubprocessLauncher) launcher = tg_test_child_launcher (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                   G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                   G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) installer = NULL;
  g_autoptr(TgTestRun) installed = NULL;
  g_autoptr(GSubprocess) provider = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;

  /* npm keeps what it downloads in the real home, as a developer's would. */
  g_subprocess_launcher_setenv (launcher, "HOME", g_getenv ("TG_REAL_HOME"), TRUE);
  installer = g_subprocess_launcher_spawn (launcher, &error, install, npm_cache_dir, NULL);
  g_assert_no_error (error);
  installed = tg_test_run_wait (installer, NULL, NULL);
  if (installed->status != 0)
    {
      g_autofree char *why = g_strdup_printf ("no third-party OpenID provider: %s", g_strchomp (installed->err));

      g_test_skip (why);
      return NULL;
    }

  /* Its warnings about its development-only defaults are not the test's. */
  g_clear_object (&launcher);
  launcher = tg_test_child_launcher (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                     G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  provider = g_subprocess_launcher_spawn (launcher, &error, "node", script, npm_cache_dir, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (provider));
  *out_issuer = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*out_issuer);
  return g_steal_pointer (&provider);
}

static void
stop_oidc_provider (GSubprocess *provider)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_close (g_subprocess_get_stdin_pipe (provider), NULL, NULL);
  g_subprocess_wait_check (provider, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (provider);
}

static void
test_oidc_provider (void)
{
  g_auto(Fixture) fixture = { 0 };
  g_autofree char *issuer = NULL;
  g_autoptr(GSubprocess) provider = start_oidc_provider (&issuer);
  /* Its development login page takes any name and password; its consent
   * page grants what was asked, offline_access included. */
  const Page pages[] = {
    { "{\"login\": \"alice\", \"password\": \"wonderland\"}", "button[type=\"submit\"]", "interop-oidc-provider-login" },
    { "{}", "button[type=\"submit\"]", "interop-oidc-provider-consent" },
  };
  g_autoptr(TgApiResponse) before = NULL;
  g_autoptr(TgApiResponse) after = NULL;
  g_autofree char *refreshes = NULL;
  g_autofree char *userinfo_path = NULL;

  if (provider == NULL)
    return;
  if (fixture_init (&fixture, issuer, "tokengate", "openid offline_access"))
    {
      g_assert_true (tg_provider_get_sends_issuer_in_response (fixture.provider));
      sign_in (&fixture, pages, G_N_ELEMENTS (pages));
      g_assert_true (tg_browser_sign_in_get_refresh_token_issued (fixture.sign_in));

      /* Its userinfo endpoint is a protected resource like any API. */
      userinfo_path = g_strdup (tg_provider_get_userinfo_endpoint (fixture.provider) + strlen (issuer));
      before = get (&fixture, userinfo_path);
      g_assert_cmpuint (before->status, ==, 200);
      g_assert_nonnull (g_strstr_len (g_bytes_get_data (before->body, NULL), g_bytes_get_size (before->body),
                                      "\"sub\":\"alice\""));

      /* An access token it no longer accepts: one 401, one refresh (a new
       * refresh token, as it rotates them), and the request again. */
      tg_token_manager_replace_access_token (tg_api_client_get_manager (fixture.client), "broken");
      after = get (&fixture, userinfo_path);
      g_assert_cmpuint (after->status, ==, 200);
      g_assert_cmpuint (after->attempts, ==, 2);
      refreshes = logged (&fixture, TG_REQUEST_KIND_REFRESH);
      g_assert_cmpstr (refreshes, ==, "200");

      sign_out (&fixture);
    }
  fixture_clear (&fixture);
  stop_oidc_provider (g_steal_pointer (&provider));
}

int
main (int    argc,
      char **argv)
{
  const char *cache = g_getenv ("XDG_CACHE_HOME");

  /* Found before tg_test_init(), which gives each test case a throwaway
   * home. */
  npm_cache_dir = cache != NULL && *cache != '\0'
                    ? g_build_filename (cache, "tokengate", "oidc-provider", NULL)
                    : g_build_filename (g_get_home_dir (), ".cache", "tokengate", "oidc-provider", NULL);
  g_setenv ("TG_REAL_HOME", g_get_home_dir (), TRUE);
  tg_test_init (&argc, &argv);
  g_test_add_func ("/interop/chromium/demo-server", test_chromium_demo);
  g_test_add_func ("/interop/oidc-provider/flow", test_oidc_provider);
  return g_test_run ();
}
