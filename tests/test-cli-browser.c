/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tokengate-cli with --issuer: `login --no-browser` writes the sign-in
 * address to stderr and waits; this test reads it and plays the browser
 * (tg-test-browser.c) against the demo server running in this process, and
 * the CLI's loopback listener gets the code. Then get, burst (which must use
 * the kept session) and logout, each a process of its own; a refused
 * sign-in; and the command lines --issuer refuses.
 */
#include "config.h"

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "tg-test-browser.h"
#include "tg-test-server.h"
#include "tg-test-util.h"


static GPtrArray *
cli_argv (const char *issuer,
          va_list     args)
{
  GPtrArray *argv = g_ptr_array_new ();
  const char *arg;

  g_ptr_array_add (argv, (char *) tg_test_binary ("TOKENGATE_CLI"));
  if (issuer != NULL)
    {
      g_ptr_array_add (argv, (char *) "--issuer");
      g_ptr_array_add (argv, (char *) issuer);
      g_ptr_array_add (argv, (char *) "--client-id");
      g_ptr_array_add (argv, (char *) TG_SERVER_NATIVE_CLIENT_ID);
      g_ptr_array_add (argv, (char *) "--scope");
      g_ptr_array_add (argv, (char *) "api offline_access");
    }
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* tokengate-cli with --issuer @issuer (and its client) and @args. */
static GSubprocess *
spawn_va (const char *issuer,
          va_list     args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = cli_argv (issuer, args);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  launcher = tg_test_child_launcher (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                     G_SUBPROCESS_FLAGS_STDERR_PIPE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

static GSubprocess *
spawn (const char *issuer,
       ...) G_GNUC_NULL_TERMINATED;

static GSubprocess *
spawn (const char *issuer,
       ...)
{
  GSubprocess *process;
  va_list args;

  va_start (args, issuer);
  process = spawn_va (issuer, args);
  va_end (args);
  return process;
}

static TgTestRun *
run_cli (const char *issuer,
         ...) G_GNUC_NULL_TERMINATED;

static TgTestRun *
run_cli (const char *issuer,
         ...)
{
  g_autoptr(GSubprocess) process = NULL;
  va_list args;

  va_start (args, issuer);
  process = spawn_va (issuer, args);
  va_end (args);
  return tg_test_run_wait (process, NULL, NULL);
}

/* Waits for @process, whose stderr @err was read up to @err_so_far. */
static TgTestRun *
wait_with_stderr (GSubprocess      *process,
                  GDataInputStream *err,
                  GString          *err_so_far)
{
  g_autoptr(GError) error = NULL;
  /* What is left of stderr: the stream has buffered some of it. */
  g_autofree char *rest = g_data_input_stream_read_upto (err, "", 1, NULL, NULL, &error);

  g_assert_no_error (error);
  if (rest != NULL)
    g_string_append (err_so_far, rest);
  return tg_test_run_wait (process, NULL, err_so_far->str);
}

/* @process runs `login --no-browser`: reads its stderr up to the sign-in
 * address, lets the browser do as @script says, and waits for the CLI. */
static TgTestRun *
finish_login_with_browser (GSubprocess               *process,
                           const char                *issuer,
                           const TgTestBrowserScript *script)
{
  g_autoptr(GDataInputStream) err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (process));
  g_autoptr(GString) err_so_far = g_string_new (NULL);
  g_autoptr(TgTestBrowserResult) page = NULL;
  g_autofree char *address = NULL;

  address = tg_test_browser_read_address (err, err_so_far);
  g_assert_true (g_str_has_prefix (address, issuer));

  page = tg_test_browser_finish (tg_test_browser_start (address, script));
  g_assert_cmpuint (page->status, ==, 200);
  return wait_with_stderr (process, err, err_so_far);
}

static TgTestRun *
login_with_browser (const char                *issuer,
                    const TgTestBrowserScript *script)
{
  g_autoptr(GSubprocess) process = spawn (issuer, "login", "--no-browser", NULL);

  return finish_login_with_browser (process, issuer, script);
}

static const TgTestBrowserScript sign_in_script = { "sign-in", NULL, NULL };
static const TgTestBrowserScript cancel_script = { "cancel", NULL, NULL };

static void
test_session (void)
{
  g_autoptr(TgTestServer) server = tg_test_server_new (NULL);
  const char *issuer = tg_test_server_uri (server);
  g_autoptr(TgTestRun) login = NULL;
  g_autoptr(TgTestRun) get = NULL;
  g_autoptr(TgTestRun) burst = NULL;
  g_autoptr(TgTestRun) logout = NULL;
  g_autoptr(TgTestRun) get_after = NULL;
  g_autofree char *signed_in = g_strdup_printf ("Signed in as demo at %s.\n", issuer);

  login = login_with_browser (issuer, &sign_in_script);
  g_assert_cmpint (login->status, ==, 0);
  g_assert_cmpstr (login->out, ==, signed_in);
  g_assert_nonnull (strstr (login->err, "waiting for the browser to come back to http://127.0.0.1:"));

  get = run_cli (issuer, "get", "/api/resources/3", NULL);
  g_assert_cmpint (get->status, ==, 0);
  g_assert_cmpstr (get->out, ==, "protected resources, username: demo, id: 3");

  /* No one at a browser: burst takes the kept session, and says so. */
  burst = run_cli (issuer, "burst", "--requests", "3", "--json", NULL);
  g_assert_cmpint (burst->status, ==, 0);
  g_assert_nonnull (strstr (burst->err, "using the session kept by"));

  logout = run_cli (issuer, "logout", NULL);
  g_assert_cmpint (logout->status, ==, 0);
  g_assert_true (g_str_has_prefix (logout->out, "Signed out at "));
  g_assert_nonnull (strstr (logout->out, "revoked at the server"));

  get_after = run_cli (issuer, "get", "/api/resources/3", NULL);
  g_assert_cmpint (get_after->status, ==, 1);
  g_assert_nonnull (strstr (get_after->err, "not signed in at"));
}

#define CLIENT_SECRET "tg-cli-test-secret"

/* A 0600 file holding @contents, in @server's directory. */
static char *
write_secret_file (TgTestServer *server,
                   const char   *contents)
{
  char *path = g_build_filename (server->dir, "client-secret", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error);
  g_assert_no_error (error);
  return path;
}

/* `login --no-browser` as the confidential client, the browser signing in. */
static TgTestRun *
confidential_login (const char *issuer,
                    const char *secret_file)
{
  g_autoptr(GSubprocess) process = spawn (NULL, "--issuer", issuer,
                                          "--client-id", TG_SERVER_CONFIDENTIAL_CLIENT_ID,
                                          "--client-secret-file", secret_file,
                                          "--scope", "api offline_access",
                                          "login", "--no-browser", NULL);

  return finish_login_with_browser (process, issuer, &sign_in_script);
}

/* A confidential client: the secret from --client-secret-file goes to the
 * token endpoint by HTTP Basic, for the code and for the revocation. */
static void
test_confidential_client (void)
{
  g_autoptr(TgTestServer) server = tg_test_server_new ("client-secret", CLIENT_SECRET, NULL);
  const char *issuer = tg_test_server_uri (server);
  g_autofree char *secret_file = write_secret_file (server, CLIENT_SECRET "\n");
  g_autofree char *signed_in = g_strdup_printf ("Signed in as demo at %s.\n", issuer);
  g_autoptr(TgTestRun) login = confidential_login (issuer, secret_file);
  g_autoptr(TgTestRun) get = NULL;
  g_autoptr(TgTestRun) logout = NULL;

  g_assert_cmpint (login->status, ==, 0);
  g_assert_cmpstr (login->out, ==, signed_in);
  g_assert_null (strstr (login->err, CLIENT_SECRET));

  get = run_cli (NULL, "--issuer", issuer, "--client-id", TG_SERVER_CONFIDENTIAL_CLIENT_ID,
                 "--client-secret-file", secret_file, "get", "/api/resources/3", NULL);
  g_assert_cmpint (get->status, ==, 0);
  g_assert_cmpstr (get->out, ==, "protected resources, username: demo, id: 3");

  logout = run_cli (NULL, "--issuer", issuer, "--client-id", TG_SERVER_CONFIDENTIAL_CLIENT_ID,
                    "--client-secret-file", secret_file, "logout", NULL);
  g_assert_cmpint (logout->status, ==, 0);
  g_assert_nonnull (strstr (logout->out, "revoked at the server"));
}

/* The wrong secret: the sign-in fails with the provider's invalid_client,
 * and the secret is not repeated. */
static void
test_confidential_wrong_secret (void)
{
  g_autoptr(TgTestServer) server = tg_test_server_new ("client-secret", CLIENT_SECRET, NULL);
  const char *issuer = tg_test_server_uri (server);
  g_autofree char *secret_file = write_secret_file (server, "wrong-" CLIENT_SECRET);
  g_autoptr(TgTestRun) login = confidential_login (issuer, secret_file);

  g_assert_cmpint (login->status, ==, 1);
  g_assert_cmpstr (login->out, ==, "");
  g_assert_nonnull (strstr (login->err, "invalid_client"));
  g_assert_null (strstr (login->err, CLIENT_SECRET));
}

static void
test_refused (void)
{
  g_autoptr(TgTestServer) server = tg_test_server_new (NULL);
  g_autoptr(TgTestRun) login = login_with_browser (tg_test_server_uri (server), &cancel_script);

  g_assert_cmpint (login->status, ==, 1);
  g_assert_cmpstr (login->out, ==, "");
  g_assert_nonnull (strstr (login->err, "access_denied"));
}

static void
test_bad_command_lines (void)
{
  g_autofree char *closed = g_strdup_printf ("http://127.0.0.1:%u", tg_test_closed_port ());
  struct {
    const char *args[6];
    int         status;
    const char *says;
  } cases[] = {
    { { "--issuer", "https://id.example", "login", NULL }, 2, "--client-id" },
    { { "--server", "http://127.0.0.1:1", "login", "--no-browser", NULL }, 2, "needs --issuer" },
    { { "--server", "http://127.0.0.1:1", "--redirect-uri", "http://127.0.0.1/cb", "login", NULL },
      2, "needs --issuer" },
    { { "--embedded", "--issuer", "http://127.0.0.1:1", "--client-id", "a", "burst" }, 2, "exclude" },
    { { "--issuer", "http://id.example", "--client-id", "a", "login", NULL }, 2, "unencrypted" },
    { { "--issuer", closed, "--client-id", "a", "login", NULL }, 1, "cannot reach" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GSubprocessLauncher) launcher = tg_test_child_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
      g_autoptr(GPtrArray) argv = g_ptr_array_new ();
      g_autoptr(GSubprocess) process = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_ptr_array_add (argv, (char *) tg_test_binary ("TOKENGATE_CLI"));
      for (gsize j = 0; j < G_N_ELEMENTS (cases[i].args) && cases[i].args[j] != NULL; j++)
        g_ptr_array_add (argv, (char *) cases[i].args[j]);
      g_ptr_array_add (argv, NULL);
      process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
      g_assert_no_error (error);
      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, err);
      g_assert_cmpint (g_subprocess_get_exit_status (process), ==, cases[i].status);
      g_assert_cmpstr (out, ==, "");
      g_assert_nonnull (strstr (err, cases[i].says));
    }
}

/* --redirect-uri is checked before anything is sent. */
static void
test_bad_redirect_uri (void)
{
  g_autoptr(TgTestServer) server = tg_test_server_new (NULL);
  g_autoptr(TgTestRun) login = run_cli (tg_test_server_uri (server), "--redirect-uri", "http://localhost/callback",
                                  "login", "--no-browser", NULL);

  g_assert_cmpint (login->status, ==, 2);
  g_assert_nonnull (strstr (login->err, "--redirect-uri"));
}

static void
serve_metadata (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  const char *issuer = user_data;
  g_autofree char *document = NULL;

  if (strcmp (path, "/.well-known/openid-configuration") != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  document = g_strdup_printf ("{\"issuer\":\"%s\",\"token_endpoint\":\"%s/token\"}", issuer, issuer);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, document, strlen (document));
}

/* A provider without an authorization endpoint: login says what to do. */
static void
test_no_browser_sign_in (void)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GSList) uris = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTestRun) login = NULL;
  g_autofree char *issuer = NULL;

  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  issuer = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  soup_server_add_handler (server, NULL, serve_metadata, issuer, NULL);

  login = run_cli (issuer, "login", "--no-browser", NULL);
  g_assert_cmpint (login->status, ==, 1);
  g_assert_nonnull (strstr (login->err, "no sign-in through the browser"));
  g_assert_nonnull (strstr (login->err, "--password-stdin"));
  soup_server_disconnect (server);
}

/* A provider whose userinfo endpoint fails as @userinfo_status and
 * @userinfo_body say; the rest is just enough for a browser sign-in. */
typedef struct {
  char         *issuer;
  guint         userinfo_status;
  const char   *userinfo_body;
  /* The provider runs on a thread of its own: the test blocks on the CLI's
   * stderr meanwhile. */
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  GMutex        lock;
  GCond         ready;
} BrokenUserInfo;

static void
serve_broken_userinfo (SoupServer        *server,
                       SoupServerMessage *msg,
                       const char        *path,
                       GHashTable        *query,
                       gpointer           user_data)
{
  BrokenUserInfo *provider = user_data;
  g_autofree char *document = NULL;
  guint status = SOUP_STATUS_OK;
  const char *body;

  if (strcmp (path, "/.well-known/openid-configuration") == 0)
    body = document = g_strdup_printf ("{\"issuer\":\"%s\",\"authorization_endpoint\":\"%s/authorize\","
                                       "\"token_endpoint\":\"%s/token\",\"userinfo_endpoint\":\"%s/userinfo\","
                                       "\"code_challenge_methods_supported\":[\"S256\"]}",
                                       provider->issuer, provider->issuer, provider->issuer, provider->issuer);
  else if (strcmp (path, "/token") == 0)
    body = "{\"access_token\":\"an-access-token\",\"token_type\":\"Bearer\",\"expires_in\":60,"
           "\"refresh_token\":\"a-refresh-token\"}";
  else if (strcmp (path, "/userinfo") == 0)
    {
      status = provider->userinfo_status;
      body = provider->userinfo_body;
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
}

static gpointer
run_broken_userinfo (gpointer data)
{
  BrokenUserInfo *provider = data;
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GSList) uris = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (provider->context);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  soup_server_add_handler (server, NULL, serve_broken_userinfo, provider, NULL);
  uris = soup_server_get_uris (server);

  g_mutex_lock (&provider->lock);
  provider->issuer = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_cond_signal (&provider->ready);
  g_mutex_unlock (&provider->lock);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  g_main_loop_run (provider->loop);
  soup_server_disconnect (server);
  g_main_context_pop_thread_default (provider->context);
  return NULL;
}

static void
broken_userinfo_start (BrokenUserInfo *provider)
{
  provider->context = g_main_context_new ();
  provider->loop = g_main_loop_new (provider->context, FALSE);
  g_mutex_init (&provider->lock);
  g_cond_init (&provider->ready);
  g_mutex_lock (&provider->lock);
  provider->thread = g_thread_new ("broken-userinfo", run_broken_userinfo, provider);
  while (provider->issuer == NULL)
    g_cond_wait (&provider->ready, &provider->lock);
  g_mutex_unlock (&provider->lock);
}

static void
broken_userinfo_stop (BrokenUserInfo *provider)
{
  g_main_loop_quit (provider->loop);
  g_thread_join (provider->thread);
  g_main_loop_unref (provider->loop);
  g_main_context_unref (provider->context);
  g_mutex_clear (&provider->lock);
  g_cond_clear (&provider->ready);
  g_free (provider->issuer);
}

/* When the user's name cannot be had, login still succeeds, says who it
 * cannot tell and why, and names the provider instead. */
static void
test_name_fallback (void)
{
  static const char huge_name[] = "{\"name\":\"%0*d\"}";
  g_autofree char *huge = g_strdup_printf (huge_name, 100 * 1024, 0);
  const struct {
    const char *name;
    guint       status;
    const char *body;
    const char *says;
  } cases[] = {
    { "500", 500, "{\"error\":\"server_error\"}", "answered HTTP 500" },
    { "not JSON", 200, "<html>garbage</html>", "not a JSON object" },
    { "no usable claim", 200, "{\"email\":\"demo@example.com\"}", "no name, preferred_username or sub" },
    { "huge", 200, huge, "larger than" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GSubprocess) process = NULL;
      g_autoptr(GDataInputStream) err = NULL;
      g_autoptr(GString) err_so_far = g_string_new (NULL);
      g_autoptr(TgTestBrowserResult) back = NULL;
      g_autoptr(TgTestRun) login = NULL;
      g_autofree char *address = NULL;
      g_autofree char *redirect = NULL;
      g_autofree char *state = NULL;
      g_autofree char *callback = NULL;
      g_autofree char *signed_in = NULL;
      BrokenUserInfo provider = { NULL, cases[i].status, cases[i].body };

      g_test_message ("userinfo: %s", cases[i].name);
      broken_userinfo_start (&provider);

      /* The browser part: the provider sends the browser straight back. */
      process = spawn (provider.issuer, "login", "--no-browser", NULL);
      err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (process));
      address = tg_test_browser_read_address (err, err_so_far);
      redirect = tg_test_browser_query_value (address, "redirect_uri");
      state = tg_test_browser_query_value (address, "state");
      callback = g_strdup_printf ("%s?code=a-code&state=%s", redirect, state);
      back = tg_test_browser_get (callback);
      g_assert_cmpuint (back->status, ==, 200);
      login = wait_with_stderr (process, err, err_so_far);

      signed_in = g_strdup_printf ("Signed in at %s.\n", provider.issuer);
      g_assert_cmpint (login->status, ==, 0);
      g_assert_cmpstr (login->out, ==, signed_in);
      g_assert_nonnull (strstr (login->err, "Cannot tell who signed in"));
      g_assert_nonnull (strstr (login->err, cases[i].says));
      g_assert_null (strstr (login->err, "an-access-token"));
      broken_userinfo_stop (&provider);
    }
}

int
main (int    argc,
      char **argv)
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/cli-browser/session", test_session);
  g_test_add_func ("/cli-browser/refused", test_refused);
  g_test_add_func ("/cli-browser/confidential-client", test_confidential_client);
  g_test_add_func ("/cli-browser/confidential-client/wrong-secret", test_confidential_wrong_secret);
  g_test_add_func ("/cli-browser/bad-command-lines", test_bad_command_lines);
  g_test_add_func ("/cli-browser/bad-redirect-uri", test_bad_redirect_uri);
  g_test_add_func ("/cli-browser/no-browser-sign-in", test_no_browser_sign_in);
  g_test_add_func ("/cli-browser/name-fallback", test_name_fallback);

  return g_test_run ();
}
