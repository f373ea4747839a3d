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
 *   sign-out; then the same with tokengate-cli's `login --no-browser`,
 *   `get` and `logout`.
 *
 * Each is skipped, saying why, when its software cannot be installed here.
 */
#include "config.h"

#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "tg-browser-sign-in.h"
#include "tg-test-browser.h"
#include "tg-test-chromium.h"
#include "tg-test-server.h"
#include "tg-test-sign-in.h"
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

/* Discovers @issuer and builds a client for it; FALSE (the test skipped)
 * when chromium cannot run. */
static gboolean
fixture_init (Fixture    *fixture,
              const char *issuer,
              const char *client_id,
              const char *scope)
{
  g_autoptr(GError) error = NULL;

  fixture->chromium = tg_test_chromium_start (&error);
  if (fixture->chromium == NULL)
    {
      g_test_skip (error->message);
      return FALSE;
    }
  fixture->provider = tg_test_discover (issuer);
  fixture->client = tg_test_client_for (fixture->provider, client_id, scope);
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

/* Has chromium open @uri and fill in @pages in turn, as a person would;
 * returns once it shows the page the loopback redirect answered with, and
 * the address (without the query) that page came from. */
static char *
browse (TgTestChromium *chromium,
        const char     *uri,
        const Page     *pages,
        guint           n_pages)
{
  g_autofree char *text = NULL;
  guint loads = tg_test_chromium_n_loads (chromium);

  tg_test_chromium_navigate (chromium, uri);
  for (guint i = 0; i < n_pages; i++)
    {
      tg_test_chromium_wait_load (chromium, loads);
      if (pages[i].screenshot != NULL)
        tg_test_chromium_screenshot (chromium, pages[i].screenshot);
      loads = tg_test_chromium_n_loads (chromium);
      tg_test_chromium_fill_form (chromium, pages[i].fields_json, pages[i].button_selector);
    }
  tg_test_chromium_wait_load (chromium, loads);
  /* A page that sends the browser on by itself (the demo server's answer to
   * a client on [::1]) is not the last: wait for where it leads. */
  for (;;)
    {
      g_autofree char *refresh = NULL;

      loads = tg_test_chromium_n_loads (chromium);
      refresh = tg_test_chromium_evaluate (chromium,
                                           "String (document.querySelector ('meta[http-equiv=refresh]') !== null)");
      if (strcmp (refresh, "true") != 0)
        break;
      tg_test_chromium_wait_load (chromium, loads);
    }
  text = tg_test_chromium_evaluate (chromium, "document.body.innerText");
  g_assert_nonnull (strstr (text, "Signed in — you can close this tab and go back to Tokengate."));
  return tg_test_chromium_evaluate (chromium, "location.origin + location.pathname");
}

/* Runs the core's sign-in with chromium at the browser (see browse()). */
static void
sign_in (Fixture    *fixture,
         const Page *pages,
         guint       n_pages)
{
  g_autofree char *landed = NULL;

  tg_browser_sign_in_run_async (fixture->sign_in, NULL, ran, fixture);
  landed = browse (fixture->chromium, tg_browser_sign_in_get_authorization_uri (fixture->sign_in),
                   pages, n_pages);
  g_assert_cmpstr (landed, ==, tg_browser_sign_in_get_redirect_uri (fixture->sign_in));
  tg_test_wait (&fixture->done, 30);
  g_assert_no_error (fixture->error);
  g_assert_true (fixture->ok);
  g_assert_cmpint (tg_token_manager_get_state (tg_api_client_get_manager (fixture->client)), ==,
                   TG_TOKEN_STATE_VALID);
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
  g_autofree char *revocations = NULL;

  tg_test_sign_out (tg_api_client_get_manager (fixture->client));
  revocations = logged (fixture, TG_REQUEST_KIND_REVOKE);
  g_assert_cmpstr (revocations, ==, "200");
}

/* The demo server's own login page, in chromium, with the client listening
 * on @data: a redirect URI, or NULL for the default (127.0.0.1). On [::1],
 * the form's CSP cannot name the client's origin: the sign-in must get
 * through all the same. */
static void
test_chromium_demo (gconstpointer data)
{
  const char *redirect_uri = data;
  g_auto(Fixture) fixture = { 0 };
  TgTestServer *server = tg_test_server_new (NULL);
  const Page login = { "{\"username\": \"demo\", \"password\": \"demo\"}",
                       "button[value=\"sign-in\"]", redirect_uri == NULL ? "interop-chromium-login" : NULL };
  g_autoptr(TgApiResponse) resource = NULL;
  g_autoptr(GError) error = NULL;

  if (fixture_init (&fixture, tg_test_server_uri (server), TG_SERVER_NATIVE_CLIENT_ID, "api offline_access"))
    {
      if (redirect_uri != NULL)
        {
          tg_browser_sign_in_set_redirect_uri (fixture.sign_in, redirect_uri, &error);
          g_assert_no_error (error);
        }
      sign_in (&fixture, &login, 1);
      if (redirect_uri == NULL)
        tg_test_chromium_screenshot (fixture.chromium, "interop-chromium-signed-in");
      resource = tg_test_client_get (fixture.client, "/api/resources/1");
      g_assert_cmpuint (resource->status, ==, 200);
      sign_out (&fixture);
    }
  fixture_clear (&fixture);
  tg_test_server_free (server);
}

/* oidc-provider's development login page takes any name and password; its
 * consent page grants what was asked, offline_access included. */
static const Page oidc_provider_pages[] = {
  { "{\"login\": \"alice\", \"password\": \"wonderland\"}", "button[type=\"submit\"]",
    "interop-oidc-provider-login" },
  { "{}", "button[type=\"submit\"]", "interop-oidc-provider-consent" },
};

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
  g_autoptr(TgApiResponse) before = NULL;
  g_autofree char *refreshes = NULL;
  g_autofree char *userinfo_path = NULL;

  if (provider == NULL)
    return;
  if (fixture_init (&fixture, issuer, "tokengate", "openid offline_access"))
    {
      g_assert_true (tg_provider_get_sends_issuer_in_response (fixture.provider));
      sign_in (&fixture, oidc_provider_pages, G_N_ELEMENTS (oidc_provider_pages));
      g_assert_true (tg_browser_sign_in_get_refresh_token_issued (fixture.sign_in));

      /* Its userinfo endpoint is a protected resource like any API. */
      g_assert_true (g_str_has_prefix (tg_provider_get_userinfo_endpoint (fixture.provider), issuer));
      userinfo_path = g_strdup (tg_provider_get_userinfo_endpoint (fixture.provider) + strlen (issuer));
      before = tg_test_client_get (fixture.client, userinfo_path);
      g_assert_cmpuint (before->status, ==, 200);
      g_assert_nonnull (g_strstr_len (g_bytes_get_data (before->body, NULL), g_bytes_get_size (before->body),
                                      "\"sub\":\"alice\""));

      /* An access token it no longer accepts: one 401, one refresh, and the
       * request again. It rotates refresh tokens and takes a used one for
       * theft, revoking the grant: the second refresh works only if the
       * client kept the new one. */
      for (guint i = 0; i < 2; i++)
        {
          g_autoptr(TgApiResponse) after = NULL;

          tg_token_manager_replace_access_token (tg_api_client_get_manager (fixture.client), "broken");
          after = tg_test_client_get (fixture.client, userinfo_path);
          g_assert_cmpuint (after->status, ==, 200);
          g_assert_cmpuint (after->attempts, ==, 2);
        }
      refreshes = logged (&fixture, TG_REQUEST_KIND_REFRESH);
      g_assert_cmpstr (refreshes, ==, "200 200");

      sign_out (&fixture);
    }
  fixture_clear (&fixture);
  stop_oidc_provider (g_steal_pointer (&provider));
}

/* tokengate-cli registered at @issuer as the README says, running @args. */
static GSubprocess *
spawn_cli (const char *issuer,
           ...) G_GNUC_NULL_TERMINATED;

static GSubprocess *
spawn_cli (const char *issuer,
           ...)
{
  g_autoptr(GSubprocessLauncher) launcher = tg_test_child_launcher (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                   G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                   G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (char *) tg_test_binary ("TOKENGATE_CLI"));
  g_ptr_array_add (argv, (char *) "--issuer");
  g_ptr_array_add (argv, (char *) issuer);
  g_ptr_array_add (argv, (char *) "--client-id=tokengate");
  g_ptr_array_add (argv, (char *) "--scope=openid offline_access");
  va_start (args, issuer);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

/* The CLI's `login --no-browser` with chromium at the address it writes;
 * then `get` on the kept session, and `logout`, each a process of its own. */
static void
test_oidc_provider_cli (void)
{
  g_autofree char *issuer = NULL;
  g_autoptr(GSubprocess) provider = start_oidc_provider (&issuer);
  g_autoptr(TgTestChromium) chromium = NULL;
  g_autoptr(GSubprocess) login = NULL;
  g_autoptr(GSubprocess) get = NULL;
  g_autoptr(GSubprocess) logout = NULL;
  g_autoptr(GDataInputStream) err = NULL;
  g_autoptr(GString) err_so_far = g_string_new (NULL);
  g_autoptr(TgTestRun) logged_in = NULL;
  g_autoptr(TgTestRun) got_userinfo = NULL;
  g_autoptr(TgTestRun) logged_out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *authorization_endpoint = NULL;
  g_autofree char *landed = NULL;

  if (provider == NULL)
    return;
  chromium = tg_test_chromium_start (&error);
  if (chromium == NULL)
    {
      g_test_skip (error->message);
      stop_oidc_provider (g_steal_pointer (&provider));
      return;
    }

  login = spawn_cli (issuer, "login", "--no-browser", NULL);
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (login));
  address = tg_test_browser_read_address (err, err_so_far);
  authorization_endpoint = g_strconcat (issuer, "/auth?", NULL);
  g_assert_true (g_str_has_prefix (address, authorization_endpoint));

  landed = browse (chromium, address, oidc_provider_pages, G_N_ELEMENTS (oidc_provider_pages));
  g_assert_true (g_str_has_prefix (landed, "http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (landed, "/callback"));
  logged_in = tg_test_run_wait (login, NULL, err_so_far->str);
  g_assert_cmpint (logged_in->status, ==, 0);

  get = spawn_cli (issuer, "get", "/me", NULL);
  got_userinfo = tg_test_run_wait (get, NULL, NULL);
  g_assert_cmpint (got_userinfo->status, ==, 0);
  g_assert_nonnull (strstr (got_userinfo->out, "alice"));

  logout = spawn_cli (issuer, "logout", NULL);
  logged_out = tg_test_run_wait (logout, NULL, NULL);
  g_assert_cmpint (logged_out->status, ==, 0);

  stop_oidc_provider (g_steal_pointer (&provider));
}

int
main (int    argc,
      char **argv)
{
  const char *cache = g_getenv ("XDG_CACHE_HOME");
  const char *home = g_getenv ("HOME");
  struct passwd *user = home == NULL || *home == '\0' ? getpwuid (getuid ()) : NULL;

  /* Found before tg_test_init(), which gives each test case a throwaway
   * home. Not through g_get_home_dir(): tg_test_init() drops GLib's cached
   * copy without freeing it, which LeakSanitizer reports. */
  if (user != NULL)
    home = user->pw_dir;
  g_assert_nonnull (home);
  npm_cache_dir = cache != NULL && *cache != '\0'
                    ? g_build_filename (cache, "tokengate", "oidc-provider", NULL)
                    : g_build_filename (home, ".cache", "tokengate", "oidc-provider", NULL);
  g_setenv ("TG_REAL_HOME", home, TRUE);
  tg_test_init (&argc, &argv);
  g_test_add_data_func ("/interop/chromium/demo-server", NULL, test_chromium_demo);
  g_test_add_data_func ("/interop/chromium/demo-server-ipv6", "http://[::1]/callback", test_chromium_demo);
  g_test_add_func ("/interop/oidc-provider/flow", test_oidc_provider);
  g_test_add_func ("/interop/oidc-provider/cli", test_oidc_provider_cli);
  return g_test_run ();
}
