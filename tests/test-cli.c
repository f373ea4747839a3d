/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tokengate-cli as a program: `burst` against its embedded server (every way
 * of breaking the session, both policies, 100 requests with jitter, the
 * table and the JSON), login/get/logout against a tokengate-server process
 * with the file token store, both protocols, and bad command lines, each of
 * which must end with one line on stderr and nothing on stdout. No password
 * ever shows up in any output.
 *
 * The children run without a session bus (DBUS_SESSION_BUS_ADDRESS and
 * DISPLAY unset, XDG directories isolated), so the default token store is the
 * private file under $XDG_STATE_HOME/tokengate of this test case.
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>

#include "tg-server.h"
#include "tg-test-util.h"

/* TgBurst's path substitution and TgDemoControls are unit-tested here when
 * the test is built with the client core (tests/meson.build:
 * tokengate_core_dep in test-cli's dependencies); otherwise only through the
 * command line. */
#if defined(__has_include)
# if __has_include("tg-burst.h")
#  define HAVE_CORE 1
#  include "tg-auth-error.h"
#  include "tg-burst.h"
#  include "tg-demo-controls.h"
# endif
#endif

/* Not "demo": the user name must not be mistaken for a leaked password. */
#define USER     "alice"
#define PASSWORD "Corr3ct-Horse-Battery-Staple"


/* Starts the CLI with @args, its stdin, stdout and stderr piped. */
static GSubprocess *
spawn_cli_argv (const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_ptr_array_add (argv, (char *) tg_test_binary ("TOKENGATE_CLI"));
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = tg_test_child_launcher (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                     G_SUBPROCESS_FLAGS_STDERR_PIPE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

/* Runs the CLI with @args, @input on its stdin (none if %NULL). */
static TgTestRun *
run_cli_argv (const char         *input,
              const char * const *args)
{
  g_autoptr(GSubprocess) process = spawn_cli_argv (args);

  return tg_test_run_wait (process, input, NULL);
}

static TgTestRun *
run_cli (const char *input,
         ...) G_GNUC_NULL_TERMINATED;

static TgTestRun *
run_cli (const char *input,
         ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  va_start (ap, input);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  return run_cli_argv (input, (const char * const *) args->pdata);
}

/* An error: exactly one line on stderr, "tokengate-cli: …", nothing on stdout. */
static void
assert_one_error_line (TgTestRun *run)
{
  g_assert_cmpint (run->status, !=, 0);
  g_assert_cmpstr (run->out, ==, "");
  g_assert_true (g_str_has_prefix (run->err, "tokengate-cli: "));
  g_assert_true (g_str_has_suffix (run->err, "\n"));
  g_assert_true (strchr (run->err, '\n') == run->err + strlen (run->err) - 1);
}

static void
assert_no_password (TgTestRun        *run,
                    const char *password)
{
  g_assert_null (strstr (run->out, password));
  g_assert_null (strstr (run->err, password));
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

static gint64
member (JsonObject *object,
        const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_int_member (object, name);
}

/* The object `burst … --json` printed; asserts the exit status. */
static JsonObject *
burst_json_of (TgTestRun *run,
               int        expected_status)
{
  JsonObject *object;

  g_assert_cmpint (run->status, ==, expected_status);
  /* ONE JSON object: one line. */
  g_assert_true (g_str_has_suffix (run->out, "}\n"));
  g_assert_true (strchr (run->out, '\n') == run->out + strlen (run->out) - 1);
  g_assert_cmpstr (run->err, ==, "");
  object = parse_object (run->out);

  g_assert_cmpint (member (object, "requests"), ==,
                   member (object, "succeeded") + member (object, "failed"));
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (object, "outcomes")), ==,
                   member (object, "requests"));
  return object;
}

/* Runs `burst … --json` and returns its object; asserts the exit status. */
static JsonObject *
burst_json (const char * const *args,
            int                 expected_status)
{
  g_autoptr(TgTestRun) run = run_cli_argv (NULL, args);

  return burst_json_of (run, expected_status);
}

/* 3 × 401 → 1 refresh → 3 × 200: 7 HTTP messages, the sign-in not counted. */
static void
assert_three_recovered (JsonObject *object)
{
  JsonArray *outcomes = json_object_get_array_member (object, "outcomes");

  g_assert_cmpint (member (object, "requests"), ==, 3);
  g_assert_cmpint (member (object, "succeeded"), ==, 3);
  g_assert_cmpint (member (object, "failed"), ==, 0);
  g_assert_cmpint (member (object, "refreshes"), ==, 1);
  g_assert_cmpint (member (object, "resource_401"), ==, 3);
  g_assert_cmpint (member (object, "retries"), ==, 3);
  g_assert_cmpint (member (object, "http_messages"), ==, 7);
  g_assert_cmpint (member (object, "stale_sends"), ==, 0);
  g_assert_cmpint (member (object, "sign_outs"), ==, 0);
  g_assert_cmpint (member (object, "wall_ms"), >=, 0);
  g_assert_cmpint (member (object, "recovery_us"), >, 0);
  g_assert_cmpint (member (object, "recovery_us"), <=, member (object, "wall_us"));

  for (guint i = 0; i < 3; i++)
    {
      JsonObject *outcome = json_array_get_object_element (outcomes, i);
      g_autofree char *path = g_strdup_printf ("/api/resources/%u", i);

      g_assert_cmpstr (json_object_get_string_member (outcome, "path"), ==, path);
      g_assert_cmpint (member (outcome, "first_status"), ==, 401);
      g_assert_cmpint (member (outcome, "status"), ==, 200);
      g_assert_cmpint (member (outcome, "attempts"), ==, 2);
      g_assert_true (json_object_get_null_member (outcome, "error"));
    }
}

/* ------------------------------------------------------------------------- */
/* burst against the embedded server                                         */

static void
test_burst_break_access (void)
{
  const char *args[] = { "--embedded", "burst", "--requests", "3", "--break", "access", "--json", NULL };
  g_autoptr(JsonObject) object = burst_json (args, 0);

  assert_three_recovered (object);
  g_assert_cmpstr (json_object_get_string_member (object, "break"), ==, "access");
  g_assert_cmpstr (json_object_get_string_member (object, "policy"), ==, "all");
}

static void
test_burst_break_expire (void)
{
  const char *args[] = { "--embedded", "burst", "--requests", "3", "--break", "expire", "--json", NULL };
  g_autoptr(JsonObject) object = burst_json (args, 0);

  assert_three_recovered (object);
  g_assert_cmpstr (json_object_get_string_member (object, "break"), ==, "expire");
}

/* The session is revoked: the one refresh is refused, every request fails,
 * the manager signs out once, and the exit status says so — on purpose. */
static void
test_burst_break_revoke (void)
{
  const char *args[] = { "--embedded", "burst", "--requests", "3", "--break", "revoke", "--json", NULL };
  g_autoptr(JsonObject) object = burst_json (args, 1);
  JsonArray *outcomes = json_object_get_array_member (object, "outcomes");

  g_assert_cmpint (member (object, "requests"), ==, 3);
  g_assert_cmpint (member (object, "succeeded"), ==, 0);
  g_assert_cmpint (member (object, "failed"), ==, 3);
  g_assert_cmpint (member (object, "sign_outs"), ==, 1);
  g_assert_cmpint (member (object, "refreshes"), ==, 1);
  g_assert_cmpint (member (object, "resource_401"), ==, 3);
  g_assert_cmpint (member (object, "retries"), ==, 0);
  g_assert_cmpint (member (object, "http_messages"), ==, 4);
  g_assert_cmpint (member (object, "recovery_ms"), ==, 0);

  for (guint i = 0; i < 3; i++)
    {
      JsonObject *outcome = json_array_get_object_element (outcomes, i);

      g_assert_cmpint (member (outcome, "attempts"), ==, 1);
      g_assert_cmpint (member (outcome, "first_status"), ==, 401);
      g_assert_nonnull (strstr (json_object_get_string_member (outcome, "error"), "session"));
    }
}

/* Proactive (the default): the token is refreshed at the gate before it is
 * sent, so no request sees a 401: N + 1 messages. */
static void
test_burst_break_natural (void)
{
  const char *args[] = { "--embedded", "--access-ttl", "2", "burst", "--break", "natural", "--json", NULL };
  g_autoptr(JsonObject) object = burst_json (args, 0);

  g_assert_cmpint (member (object, "requests"), ==, 3);
  g_assert_cmpint (member (object, "succeeded"), ==, 3);
  g_assert_cmpint (member (object, "resource_401"), ==, 0);
  g_assert_cmpint (member (object, "refreshes"), ==, 1);
  g_assert_cmpint (member (object, "http_messages"), ==, 4);
  g_assert_cmpint (member (object, "retries"), ==, 0);
  g_assert_cmpint (member (object, "sign_outs"), ==, 0);
  g_assert_true (json_object_get_boolean_member (object, "proactive"));
}

static void
test_burst_canary (void)
{
  const char *args[] = { "--embedded", "burst", "--policy", "canary", "--json", NULL };
  g_autoptr(JsonObject) object = burst_json (args, 0);

  assert_three_recovered (object);
  g_assert_cmpstr (json_object_get_string_member (object, "policy"), ==, "canary");
}

/* With jitter, late 401s arrive after the refresh: still one refresh. */
static void
test_burst_jitter_100 (void)
{
  const char *args[] = { "--embedded", "--jitter-ms", "30", "burst", "--requests", "100", "--json", NULL };
  g_autoptr(JsonObject) object = burst_json (args, 0);

  g_assert_cmpint (member (object, "requests"), ==, 100);
  g_assert_cmpint (member (object, "succeeded"), ==, 100);
  g_assert_cmpint (member (object, "failed"), ==, 0);
  g_assert_cmpint (member (object, "refreshes"), ==, 1);
  g_assert_cmpint (member (object, "sign_outs"), ==, 0);
  g_assert_cmpint (member (object, "stale_sends"), ==, 0);
  g_assert_cmpint (member (object, "resource_401"), >=, 1);
  g_assert_cmpint (member (object, "retries"), ==, member (object, "resource_401"));
  g_assert_cmpint (member (object, "http_messages"), ==, 100 + member (object, "resource_401") + 1);
}

static void
test_burst_oauth2 (void)
{
  const char *args[] = { "--embedded", "--protocol", "oauth2", "burst", "--json", NULL };
  g_autoptr(JsonObject) object = burst_json (args, 0);

  assert_three_recovered (object);
  g_assert_cmpstr (json_object_get_string_member (object, "protocol"), ==, "oauth2");
}

/* The human summary: the posts' network tab. */
static void
test_burst_table (void)
{
  g_autoptr(TgTestRun) run = run_cli (NULL, "--embedded", "burst", NULL);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpstr (run->err, ==, "");
  g_assert_nonnull (strstr (run->out, "#1 GET /api/resources/0 → 401, retried → 200 (2 attempts)\n"));
  g_assert_nonnull (strstr (run->out, "#3 GET /api/resources/2 → 401, retried → 200 (2 attempts)\n"));
  g_assert_null (strstr (run->out, "#4 "));
  g_assert_nonnull (strstr (run->out, "3 × 401 → 1 refresh → 3 retried, all OK\n"));
  g_assert_nonnull (strstr (run->out, "7 HTTP messages"));
  g_assert_nonnull (strstr (run->out, "wall time "));
  g_assert_nonnull (strstr (run->out, "recovery "));
}

static void
test_burst_table_revoke (void)
{
  g_autoptr(TgTestRun) run = run_cli (NULL, "--embedded", "burst", "--break", "revoke", NULL);

  g_assert_cmpint (run->status, ==, 1);
  g_assert_cmpstr (run->err, ==, "");
  /* The summary line is the library's, as the app shows it. */
  g_assert_nonnull (strstr (run->out, "3 × 401 → 1 refresh → session ended\n"));
}

/* --path: %u is the index, percent-encoded bytes pass through. */
static void
test_burst_path (void)
{
  const char *args[] = { "--embedded", "burst", "--requests", "2", "--path", "/api/resources/item-%u",
                         "--json", NULL };
  const char *encoded[] = { "--embedded", "burst", "--requests", "2", "--path", "/api/resources/a%2Db-%u",
                            "--json", NULL };
  g_autoptr(JsonObject) object = burst_json (args, 0);
  g_autoptr(JsonObject) encoded_object = burst_json (encoded, 0);
  JsonArray *outcomes = json_object_get_array_member (object, "outcomes");
  JsonArray *encoded_outcomes = json_object_get_array_member (encoded_object, "outcomes");

  g_assert_cmpint (member (object, "succeeded"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (outcomes, 1), "path"),
                   ==, "/api/resources/item-1");
  g_assert_cmpint (member (encoded_object, "succeeded"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (encoded_outcomes, 0), "path"),
                   ==, "/api/resources/a%2Db-0");
}

/* get with --embedded signs in afresh (demo/demo) and keeps nothing. */
static void
test_get_embedded (void)
{
  const char *protocols[] = { "seed", "oauth2" };

  for (gsize i = 0; i < G_N_ELEMENTS (protocols); i++)
    {
      g_autoptr(TgTestRun) run = run_cli (NULL, "--embedded", "--protocol", protocols[i],
                                    "get", "/api/resources/5", NULL);
      g_autoptr(TgTestRun) missing = run_cli (NULL, "--embedded", "--protocol", protocols[i],
                                        "get", "/no/such/endpoint", NULL);

      g_assert_cmpint (run->status, ==, 0);
      g_assert_cmpstr (run->out, ==, "protected resources, username: demo, id: 5");
      g_assert_cmpstr (run->err, ==, "");

      assert_one_error_line (missing);
      g_assert_cmpint (missing->status, ==, 1);
      g_assert_nonnull (strstr (missing->err, "GET /no/such/endpoint: HTTP 404"));
    }
}

/* ------------------------------------------------------------------------- */
/* A tokengate-server process: login, get, logout                            */

typedef struct {
  char        *dir;
  char        *database;
  GSubprocess *process;
  char        *base_uri;
} Server;

static void
server_add_user (Server     *server,
                 const char *name,
                 const char *password)
{
  g_autoptr(GSubprocessLauncher) launcher = tg_test_child_launcher (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                          G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *input = g_strconcat (password, "\n", NULL);

  process = g_subprocess_launcher_spawn (launcher, &error, tg_test_binary ("TOKENGATE_SERVER"),
                                         "--database", server->database,
                                         "--password-iterations", "1000",
                                         "--add-user", name, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));
}

/* @secret_file (nullable): registers the confidential client. */
static Server *
server_start_with_secret (gboolean    demo_controls,
                          const char *secret_file)
{
  g_autoptr(GSubprocessLauncher) launcher = tg_test_child_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  Server *server = g_new0 (Server, 1);

  server->dir = tg_test_make_tmpdir ();
  server->database = g_build_filename (server->dir, "server.db", NULL);
  server_add_user (server, USER, PASSWORD);

  g_ptr_array_add (argv, (char *) tg_test_binary ("TOKENGATE_SERVER"));
  g_ptr_array_add (argv, (char *) "--listen");
  g_ptr_array_add (argv, (char *) "127.0.0.1:0");
  g_ptr_array_add (argv, (char *) "--database");
  g_ptr_array_add (argv, server->database);
  g_ptr_array_add (argv, (char *) "--password-iterations");
  g_ptr_array_add (argv, (char *) "1000");
  if (!demo_controls)
    g_ptr_array_add (argv, (char *) "--no-demo-controls");
  if (secret_file != NULL)
    {
      g_ptr_array_add (argv, (char *) "--client-secret-file");
      g_ptr_array_add (argv, (char *) secret_file);
    }
  g_ptr_array_add (argv, NULL);
  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "listening on http://127.0.0.1:"));
  server->base_uri = g_strdup (line + strlen ("listening on "));

  return server;
}

static Server *
server_start (gboolean demo_controls)
{
  return server_start_with_secret (demo_controls, NULL);
}

static void
server_stop (Server *server)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait (server->process, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&server->process);
  tg_test_rm_rf (server->dir);
  g_free (server->dir);
  g_free (server->database);
  g_free (server->base_uri);
  g_free (server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Server, server_stop)

/* A demo control, by hand: this test does not link libsoup. @body
 * (nullable) is JSON. Returns the JSON object of the answer, which must be
 * 200. */
static JsonObject *
server_demo_with_body (Server     *server,
                       const char *method,
                       const char *path,
                       const char *body)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) answer = g_byte_array_new ();
  g_autofree char *request = g_strdup_printf ("%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                                              "%sContent-Length: %zu\r\n\r\n%s", method, path,
                                              body != NULL ? "Content-Type: application/json\r\n" : "",
                                              body != NULL ? strlen (body) : 0, body != NULL ? body : "");
  const char *answer_body;
  guint8 buffer[4096];
  gssize n;

  connection = g_socket_client_connect_to_uri (client, server->base_uri, 80, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             request, strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                   buffer, sizeof buffer, NULL, &error)) > 0)
    g_byte_array_append (answer, buffer, (guint) n);
  g_assert_no_error (error);
  g_byte_array_append (answer, (const guint8 *) "", 1);

  g_assert_true (g_str_has_prefix ((const char *) answer->data, "HTTP/1.0 200") ||
                 g_str_has_prefix ((const char *) answer->data, "HTTP/1.1 200"));
  answer_body = strstr ((const char *) answer->data, "\r\n\r\n");
  g_assert_nonnull (answer_body);
  return parse_object (answer_body + 4);
}

static JsonObject *
server_demo (Server     *server,
             const char *method,
             const char *path)
{
  return server_demo_with_body (server, method, path, NULL);
}

/* The number @path has in /demo/stats ("refreshes/ok": a member of a member). */
static gint64
server_stat (Server     *server,
             const char *path)
{
  g_autoptr(JsonObject) stats = server_demo (server, "GET", "/demo/stats");
  g_auto(GStrv) names = g_strsplit (path, "/", 2);

  if (names[1] != NULL)
    return member (json_object_get_object_member (stats, names[0]), names[1]);
  return member (stats, names[0]);
}

/* Without proactive refresh it waits until the server rejects the token,
 * and then it is the posts' picture again.
 *
 * Against a server of the test's own, whose access tokens last 1 s until the
 * CLI has signed in and 60 s from then on. A 1 s token is not good for 1 s:
 * `exp` has whole seconds, so one issued at 12.999 is refused from 13.000 on.
 * Were the refreshed token that short, on a loaded machine the three retries
 * could come after it had expired too (6 × 401, then a sign-out: this test
 * failed so, 2 runs in 40 under three busy loops). The CLI waits 2.5 s after
 * signing in, time enough to change the lifetime; the test checks that it
 * did so before the refresh, so it never passes by luck. */
static void
test_burst_break_natural_no_proactive (void)
{
  const char *args[] = { "--server", NULL, "--user", USER, "--password-stdin",
                         "burst", "--break", "natural", "--no-proactive", "--json", NULL };
  g_autoptr(Server) server = server_start (TRUE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(JsonObject) settings = NULL;
  g_autoptr(TgTestRun) run = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  settings = server_demo_with_body (server, "PUT", "/demo/settings", "{\"accessTtl\":1}");
  g_clear_pointer (&settings, json_object_unref);

  args[1] = server->base_uri;
  process = spawn_cli_argv (args);
  g_output_stream_write_all (g_subprocess_get_stdin_pipe (process), PASSWORD "\n", strlen (PASSWORD "\n"),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  /* Until it has signed in, or has ended (then its output says why). */
  while (server_stat (server, "signIns") == 0 && g_subprocess_get_identifier (process) != NULL &&
         g_get_monotonic_time () < deadline)
    g_usleep (10 * G_TIME_SPAN_MILLISECOND);
  settings = server_demo_with_body (server, "PUT", "/demo/settings", "{\"accessTtl\":60}");
  g_assert_cmpint (server_stat (server, "refreshes/ok"), ==, 0);

  run = tg_test_run_wait (process, NULL, NULL);
  object = burst_json_of (run, 0);
  assert_three_recovered (object);
  g_assert_false (json_object_get_boolean_member (object, "proactive"));
  g_assert_cmpint (member (object, "waited_ms"), >=, 1000);
  g_assert_cmpint (server_stat (server, "signIns"), ==, 1);
  g_assert_cmpint (server_stat (server, "refreshes/ok"), ==, 1);
  assert_no_password (run, PASSWORD);
}

/* Asserts that the private file store holds exactly one session, readable
 * by its owner only, without the password in it. */
static void
assert_file_store (guint expected_files)
{
  g_autofree char *directory = g_build_filename (g_get_user_state_dir (), "tokengate", NULL);
  g_autoptr(GDir) dir = g_dir_open (directory, 0, NULL);
  const char *name;
  guint n_files = 0;

  if (dir == NULL)
    {
      g_assert_cmpuint (expected_files, ==, 0);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (directory, name, NULL);
      g_autofree char *contents = NULL;
      struct stat st;

      g_assert_cmpint (g_stat (path, &st), ==, 0);
      if (!S_ISREG (st.st_mode) || !g_str_has_suffix (name, ".json"))
        continue;
      g_assert_cmpint (st.st_mode & 077, ==, 0);
      g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
      g_assert_null (strstr (contents, PASSWORD));
      n_files++;
    }
  g_assert_cmpuint (n_files, ==, expected_files);
}

static void
run_session (const char *protocol)
{
  g_autoptr(Server) server = server_start (TRUE);
  const char *uri = server->base_uri;
  g_autoptr(TgTestRun) login = NULL;
  g_autoptr(TgTestRun) get = NULL;
  g_autoptr(TgTestRun) get_again = NULL;
  g_autoptr(TgTestRun) logout = NULL;
  g_autoptr(TgTestRun) get_after = NULL;
  g_autoptr(JsonObject) stats = NULL;
  TgTestRun *runs[5];

  login = run_cli (PASSWORD "\n", "--server", uri, "--protocol", protocol, "--user", USER,
                   "--password-stdin", "login", NULL);
  g_assert_cmpint (login->status, ==, 0);
  g_assert_true (g_str_has_prefix (login->out, "Signed in as " USER " at "));
  /* The fallback to the file is announced: a note, not an error. */
  g_assert_true (login->err[0] == '\0' || g_str_has_prefix (login->err, "tokengate-cli: note: "));
  assert_file_store (1);

  get = run_cli (NULL, "--server", uri, "--protocol", protocol, "--user", USER, "get", "/api/resources/7", NULL);
  g_assert_cmpint (get->status, ==, 0);
  g_assert_cmpstr (get->out, ==, "protected resources, username: " USER ", id: 7");
  g_assert_cmpstr (get->err, ==, "");

  /* The access token dies at the server: the next get refreshes, and the
   * rotated refresh token is kept for the one after. */
  g_clear_pointer (&stats, json_object_unref);
  stats = server_demo (server, "POST", "/demo/expire-access-tokens");
  for (guint i = 0; i < 2; i++)
    {
      g_clear_pointer (&get_again, tg_test_run_free);
      get_again = run_cli (NULL, "--server", uri, "--protocol", protocol, "--user", USER,
                           "get", "/api/resources/8?x=1", NULL);
      g_assert_cmpint (get_again->status, ==, 0);
      g_assert_cmpstr (get_again->err, ==, "");
      g_assert_true (g_str_has_prefix (get_again->out, "protected resources, username: " USER ", id: 8"));
    }
  g_clear_pointer (&stats, json_object_unref);
  stats = server_demo (server, "GET", "/demo/stats");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (stats, "refreshes"), "ok"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (stats, "refreshes"), "rejected"), ==, 0);
  g_clear_pointer (&stats, json_object_unref);

  logout = run_cli (NULL, "--server", uri, "--protocol", protocol, "--user", USER, "logout", NULL);
  g_assert_cmpint (logout->status, ==, 0);
  g_assert_true (g_str_has_prefix (logout->out, "Signed out " USER " at "));
  g_assert_cmpstr (logout->err, ==, "");
  assert_file_store (0);

  /* OAuth 2.0 revokes at the server (RFC 7009); the seed API cannot. */
  stats = server_demo (server, "GET", "/demo/stats");
  if (strcmp (protocol, "oauth2") == 0)
    {
      g_assert_nonnull (strstr (logout->out, "revoked at the server"));
      g_assert_cmpint (member (stats, "revocations"), ==, 1);
    }
  else
    g_assert_cmpint (member (stats, "revocations"), ==, 0);

  get_after = run_cli (NULL, "--server", uri, "--protocol", protocol, "--user", USER, "get", "/api/resources/7", NULL);
  assert_one_error_line (get_after);
  g_assert_cmpint (get_after->status, ==, 1);
  g_assert_nonnull (strstr (get_after->err, "not signed in"));
  g_assert_nonnull (strstr (get_after->err, "tokengate-cli login"));

  runs[0] = login;
  runs[1] = get;
  runs[2] = get_again;
  runs[3] = logout;
  runs[4] = get_after;
  for (gsize i = 0; i < G_N_ELEMENTS (runs); i++)
    assert_no_password (runs[i], PASSWORD);
}

static void
test_session_seed (void)
{
  run_session ("seed");
}

static void
test_session_oauth2 (void)
{
  run_session ("oauth2");
}

/* The server revokes the session: get says so in one line, and the kept
 * session is gone. */
static void
test_session_revoked (void)
{
  g_autoptr(Server) server = server_start (TRUE);
  g_autoptr(TgTestRun) login = NULL;
  g_autoptr(TgTestRun) get = NULL;
  g_autoptr(TgTestRun) get_after = NULL;
  g_autoptr(JsonObject) revoked = NULL;

  login = run_cli (PASSWORD "\n", "--server", server->base_uri, "--user", USER, "--password-stdin", "login", NULL);
  g_assert_cmpint (login->status, ==, 0);
  assert_file_store (1);

  revoked = server_demo (server, "POST", "/demo/revoke-refresh-tokens");
  get = run_cli (NULL, "--server", server->base_uri, "--user", USER, "get", "/api/resources/1", NULL);
  assert_one_error_line (get);
  g_assert_cmpint (get->status, ==, 1);
  g_assert_nonnull (strstr (get->err, "session has ended"));
  g_assert_nonnull (strstr (get->err, "run tokengate-cli login"));
  assert_file_store (0);

  get_after = run_cli (NULL, "--server", server->base_uri, "--user", USER, "get", "/api/resources/1", NULL);
  assert_one_error_line (get_after);
  g_assert_nonnull (strstr (get_after->err, "not signed in"));
}

static void
test_wrong_password (void)
{
  g_autoptr(Server) server = server_start (TRUE);
  g_autoptr(TgTestRun) run = run_cli ("Not-The-Password-42\n", "--server", server->base_uri, "--user", USER,
                                "--password-stdin", "login", NULL);

  assert_one_error_line (run);
  g_assert_cmpint (run->status, ==, 1);
  g_assert_nonnull (strstr (run->err, "sign-in refused"));
  assert_no_password (run, "Not-The-Password-42");
  assert_file_store (0);
}

/* burst against a real server needs no keyring and leaves nothing behind. */
static void
test_burst_server (void)
{
  g_autoptr(Server) server = server_start (TRUE);
  g_autoptr(TgTestRun) run = run_cli (PASSWORD "\n", "--server", server->base_uri, "--user", USER,
                                "--password-stdin", "burst", "--break", "expire", "--json", NULL);
  g_autoptr(JsonObject) object = NULL;

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpstr (run->err, ==, "");
  object = parse_object (run->out);
  assert_three_recovered (object);
  assert_no_password (run, PASSWORD);
  assert_file_store (0);
}

static void
test_no_demo_controls (void)
{
  g_autoptr(Server) server = server_start (FALSE);
  const char *breaks[] = { "expire", "revoke" };

  for (gsize i = 0; i < G_N_ELEMENTS (breaks); i++)
    {
      g_autoptr(TgTestRun) run = run_cli (PASSWORD "\n", "--server", server->base_uri, "--user", USER,
                                    "--password-stdin", "burst", "--break", breaks[i], "--json", NULL);

      assert_one_error_line (run);
      g_assert_cmpint (run->status, ==, 1);
      g_assert_nonnull (strstr (run->err, "this server has no demo controls"));
    }
}

/* ------------------------------------------------------------------------- */
/* Errors                                                                    */

static void
test_unreachable (void)
{
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u", tg_test_closed_port ());
  const char *commands[] = { "login", "burst" };

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autoptr(TgTestRun) run = run_cli (PASSWORD "\n", "--server", uri, "--user", USER, "--password-stdin",
                                    commands[i], NULL);
      g_autofree char *expected = g_strdup_printf ("tokengate-cli: cannot reach %s", uri);

      assert_one_error_line (run);
      g_assert_cmpint (run->status, ==, 1);
      g_assert_true (g_str_has_prefix (run->err, expected));
      g_assert_nonnull (strstr (run->err, "refused"));
      assert_no_password (run, PASSWORD);
    }
}

/* No server is needed to know that nothing is kept. */
static void
test_get_without_login (void)
{
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u", tg_test_closed_port ());
  g_autoptr(TgTestRun) run = run_cli (NULL, "--server", uri, "--user", USER, "get", "/api/resources/1", NULL);
  g_autofree char *expected = g_strdup_printf ("tokengate-cli: not signed in as " USER " at %s; "
                                               "run tokengate-cli login\n", uri);

  assert_one_error_line (run);
  g_assert_cmpint (run->status, ==, 1);
  g_assert_cmpstr (run->err, ==, expected);
}

static void
test_client_secret_file (void)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "secret", NULL);
  const char *secret = "s3cr3t-of-the-client";
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, "s3cr3t-of-the-client  \nsecond line\n", -1, &error);
  g_assert_no_error (error);

  /* Readable by others: refused before anything is sent. */
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  {
    g_autoptr(TgTestRun) run = run_cli (NULL, "--embedded", "--protocol", "oauth2", "--client-id", "cli",
                                  "--client-secret-file", path, "burst", NULL);

    assert_one_error_line (run);
    g_assert_cmpint (run->status, ==, 1);
    g_assert_nonnull (strstr (run->err, "chmod 600"));
    assert_no_password (run, secret);
  }

  /* The server reads the same file: its confidential client, by HTTP Basic
   * (the sign-in and every refresh). */
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
  {
    g_autoptr(Server) server = server_start_with_secret (TRUE, path);
    g_autoptr(TgTestRun) run = run_cli (PASSWORD "\n", "--server", server->base_uri, "--protocol", "oauth2",
                                        "--client-id", TG_SERVER_CONFIDENTIAL_CLIENT_ID,
                                        "--client-secret-file", path, "--user", USER, "--password-stdin",
                                        "--scope", "read", "burst", "--json", NULL);
    g_autoptr(JsonObject) object = NULL;

    g_assert_cmpint (run->status, ==, 0);
    object = parse_object (run->out);
    assert_three_recovered (object);
    assert_no_password (run, secret);
  }

  tg_test_rm_rf (dir);
}

/* A password from stdin that is missing or empty. */
static void
test_password_stdin_empty (void)
{
  const char *inputs[] = { "", "\n" };

  for (gsize i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr(TgTestRun) run = run_cli (inputs[i], "--embedded", "--password-stdin", "burst", NULL);

      assert_one_error_line (run);
      g_assert_cmpint (run->status, ==, 1);
      g_assert_nonnull (strstr (run->err, "--password-stdin"));
    }
}

/* --embedded with another password than demo's: refused, not leaked. */
static void
test_embedded_wrong_password (void)
{
  g_autoptr(TgTestRun) run = run_cli (PASSWORD "\n", "--embedded", "--password-stdin", "burst", NULL);

  assert_one_error_line (run);
  g_assert_cmpint (run->status, ==, 1);
  g_assert_nonnull (strstr (run->err, "sign-in refused for demo"));
  assert_no_password (run, PASSWORD);
}

/* Each bad command line: exit 2 (usage), one line on stderr, nothing on stdout. */
static void
test_bad_command_lines (void)
{
  static const struct {
    const char *args[10];
    const char *expected;  /* in the error line */
  } cases[] = {
    { { NULL }, "no command" },
    { { "--embedded", NULL }, "no command" },
    { { "--embedded", "frobnicate", NULL }, "unknown command" },
    { { "--embedded", "--", NULL }, "no command" },
    { { "burst", NULL }, "--server URL" },
    { { "--server", "http://127.0.0.1:1", "--embedded", "burst", NULL }, "--embedded" },
    { { "--server", "not a url", "--user", "x", "login", NULL }, "not a URL" },
    { { "--server", "ftp://127.0.0.1/", "--user", "x", "login", NULL }, "ftp" },
    { { "--server", "http://example.com", "--user", "x", "login", NULL }, "unencrypted" },
    { { "--server", "https://u:p@example.com", "--user", "x", "login", NULL }, "user name or password" },
    { { "--server", "http://127.0.0.1:1/?q=1", "--user", "x", "login", NULL }, "query" },
    { { "--embedded", "burst", "--requests", "0", NULL }, "--requests" },
    { { "--embedded", "burst", "--requests", "100001", NULL }, "--requests" },
    { { "--embedded", "burst", "--requests", "many", NULL }, "--requests" },
    { { "--embedded", "burst", "--requests", "-3", NULL }, "--requests" },
    { { "--embedded", "burst", "--requests", "", NULL }, "--requests" },
    { { "--embedded", "burst", "--break", "sideways", NULL }, "--break" },
    { { "--embedded", "burst", "--policy", "most", NULL }, "--policy" },
    { { "--embedded", "--protocol", "kerberos", "burst", NULL }, "--protocol" },
    { { "--embedded", "burst", "extra", NULL }, "unexpected argument" },
    { { "--embedded", "burst", "--frobnicate", NULL }, "frobnicate" },
    { { "--embedded", "--frobnicate", "burst", NULL }, "frobnicate" },
    { { "--embedded", "--json", "burst", NULL }, "json" },
    { { "--embedded", "get", NULL }, "PATH" },
    { { "--embedded", "get", "/a", "/b", NULL }, "unexpected argument" },
    { { "--embedded", "get", "api/resources", NULL }, "not a path" },
    { { "--embedded", "get", "//evil.example/x", NULL }, "not a path" },
    { { "--embedded", "get", "/a b", NULL }, "printable" },
    { { "--embedded", "burst", "--path", "/api/%s", NULL }, "--path" },
    { { "--embedded", "burst", "--path", "/api/%n%n%n", NULL }, "--path" },
    { { "--embedded", "burst", "--path", "/api/%", NULL }, "--path" },
    { { "--embedded", "burst", "--path", "api/%u", NULL }, "--path" },
    { { "--embedded", "burst", "--path", "//evil.example/%u", NULL }, "--path" },
    { { "--embedded", "login", NULL }, "--embedded" },
    { { "--embedded", "logout", NULL }, "--embedded" },
    { { "--embedded", "--client-id", "x", "burst", NULL }, "--protocol oauth2" },
    { { "--embedded", "--token-endpoint", "http://127.0.0.1:1/t", "burst", NULL }, "--protocol oauth2" },
    { { "--embedded", "--protocol", "oauth2", "--client-secret-file", "/nonexistent", "burst", NULL },
      "--client-id" },
    { { "--embedded", "--protocol", "oauth2", "--token-endpoint", "http://10.1.2.3/token", "burst", NULL },
      "unencrypted" },
    { { "--server", "http://127.0.0.1:1", "--latency-ms", "5", "--user", "x", "burst", NULL }, "--embedded" },
    { { "--embedded", "--latency-ms", "60001", "burst", NULL }, "--latency-ms" },
    { { "--embedded", "--jitter-ms", "x", "burst", NULL }, "--jitter-ms" },
    { { "--embedded", "--access-ttl", "0", "burst", NULL }, "--access-ttl" },
    { { "--server", "http://127.0.0.1:1", "login", NULL }, "--user" },
    { { "--embedded", "--user", "", "burst", NULL }, "--user" },
    { { "--server", "http://127.0.0.1:1", "--user", "x", "login", NULL }, "no password: use --password-stdin" },
    { { "--server", "http://127.0.0.1:1", "--user", "x", "--password-stdin", "get", "/x", NULL },
      "--password-stdin" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TgTestRun) run = run_cli_argv (NULL, cases[i].args);

      assert_one_error_line (run);
      g_assert_cmpint (run->status, ==, 2);
      if (strstr (run->err, cases[i].expected) == NULL)
        g_error ("case %" G_GSIZE_FORMAT ": “%s” is not in: %s", i, cases[i].expected, run->err);
    }
}

static void
test_help (void)
{
  g_autoptr(TgTestRun) run = run_cli (NULL, "--help", NULL);
  g_autoptr(TgTestRun) burst = run_cli (NULL, "--embedded", "burst", "--help", NULL);
  g_autoptr(TgTestRun) version = run_cli (NULL, "--version", NULL);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpstr (run->err, ==, "");
  g_assert_nonnull (strstr (run->out, "--server=URL"));
  g_assert_nonnull (strstr (run->out, "--embedded"));
  g_assert_nonnull (strstr (run->out, "get PATH"));
  g_assert_nonnull (strstr (run->out, "--break=HOW"));

  g_assert_cmpint (burst->status, ==, 0);
  g_assert_nonnull (strstr (burst->out, "burst [OPTION…]"));
  g_assert_nonnull (strstr (burst->out, "--requests=N"));

  g_assert_cmpint (version->status, ==, 0);
  g_assert_cmpstr (version->out, ==, "tokengate-cli " PACKAGE_VERSION "\n");
}

/* ------------------------------------------------------------------------- */
/* The path format, unit by unit                                             */

static void
test_path_format (void)
{
#ifdef HAVE_CORE
  static const struct {
    const char *format;
    guint       index;
    const char *expected;
  } good[] = {
    { "/api/resources/%u", 7, "/api/resources/7" },
    { "/api/resources/%u", 0, "/api/resources/0" },
    { "/a/%u/b/%u", 12, "/a/12/b/12" },
    { "/plain", 3, "/plain" },
    { "/", 3, "/" },
    { "/a%2Fb/%u", 1, "/a%2Fb/1" },
    { "/a%2fb%u", 1, "/a%2fb1" },
    { "/x?id=%u&y=1", 5, "/x?id=5&y=1" },
    { "/%u", G_MAXUINT, "/4294967295" },
  };
  static const char * const bad[] = {
    "", "%u", "api/%u", "//evil.example/%u", "/%s", "/%d", "/%n", "/%x", "/%lu", "/%%",
    "/%", "/%2", "/%2g", "/%u%", "/a b", "/a\tb", "/a\nb", "/\x7f", "/\xc3\xa9",
  };
  g_autoptr(GString) long_format = g_string_new ("/");

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = tg_burst_format_path (good[i].format, good[i].index, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (path, ==, good[i].expected);
      g_assert_true (tg_burst_check_path_format (good[i].format, NULL));
    }

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = tg_burst_format_path (bad[i], 1, &error);

      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_null (path);
      g_assert_false (tg_burst_check_path_format (bad[i], NULL));
    }

  /* Short enough for index 0, too long for the largest index: the check
   * looks at the longest. */
  while (long_format->len < TG_BURST_MAX_PATH_LENGTH - 3)
    g_string_append_c (long_format, 'a');
  g_string_append (long_format, "%u");
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *shortest = tg_burst_format_path (long_format->str, 0, NULL);

    g_assert_nonnull (shortest);
    g_assert_false (tg_burst_check_path_format (long_format->str, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  }
#else
  g_test_skip ("built without the client core; the CLI tests cover --path");
#endif
}

/* ------------------------------------------------------------------------- */
/* TgDemoControls against a tokengate-server process                        */

#ifdef HAVE_CORE
typedef struct {
  gboolean    done;
  gboolean    ok;
  JsonObject *object;
  GError     *error;
} Answer;

static void
answer_clear (Answer *answer)
{
  g_clear_pointer (&answer->object, json_object_unref);
  g_clear_error (&answer->error);
  answer->done = answer->ok = FALSE;
}

static void
object_answered (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Answer *answer = user_data;
  TgDemoControls *controls = TG_DEMO_CONTROLS (source);

  if (g_async_result_is_tagged (result, tg_demo_controls_get_stats_async))
    answer->object = tg_demo_controls_get_stats_finish (controls, result, &answer->error);
  else if (g_async_result_is_tagged (result, tg_demo_controls_arm_refresh_fault_async))
    answer->object = tg_demo_controls_arm_refresh_fault_finish (controls, result, &answer->error);
  else
    answer->object = tg_demo_controls_set_settings_finish (controls, result, &answer->error);
  answer->ok = answer->object != NULL;
  answer->done = TRUE;
}

static void
done_answered (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Answer *answer = user_data;
  TgDemoControls *controls = TG_DEMO_CONTROLS (source);

  if (g_async_result_is_tagged (result, tg_demo_controls_expire_access_tokens_async))
    answer->ok = tg_demo_controls_expire_access_tokens_finish (controls, result, &answer->error);
  else
    answer->ok = tg_demo_controls_revoke_sessions_finish (controls, result, &answer->error);
  answer->done = TRUE;
}

static void
test_demo_controls (void)
{
  g_autoptr(Server) server = server_start (TRUE);
  g_autoptr(TgDemoControls) controls = NULL;
  g_autoptr(GError) error = NULL;
  TgDemoSettings settings = TG_DEMO_SETTINGS_INIT;
  TgDemoSettings only_ttl = TG_DEMO_SETTINGS_INIT;
  TgDemoSettings too_slow = TG_DEMO_SETTINGS_INIT;
  TgDemoSettings grace = TG_DEMO_SETTINGS_INIT;
  JsonObject *fault;
  Answer answer = { 0 };

  controls = tg_demo_controls_new (server->base_uri, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tg_demo_controls_get_base_uri (controls), ==, server->base_uri);

  settings.latency_ms = 5;
  settings.jitter_ms = 0;
  settings.refresh_latency_ms = 7;
  settings.access_ttl = 30;
  tg_demo_controls_set_settings_async (controls, &settings, NULL, object_answered, &answer);
  tg_test_wait (&answer.done, 30);
  g_assert_no_error (answer.error);
  g_assert_cmpint (json_object_get_int_member (answer.object, "latencyMs"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (answer.object, "jitterMs"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (answer.object, "refreshLatencyMs"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (answer.object, "accessTtl"), ==, 30);
  answer_clear (&answer);

  /* Members left unset are left alone. */
  only_ttl.access_ttl = 45;
  tg_demo_controls_set_settings_async (controls, &only_ttl, NULL, object_answered, &answer);
  tg_test_wait (&answer.done, 30);
  g_assert_no_error (answer.error);
  g_assert_cmpint (json_object_get_int_member (answer.object, "accessTtl"), ==, 45);
  g_assert_cmpint (json_object_get_int_member (answer.object, "latencyMs"), ==, 5);
  answer_clear (&answer);

  /* The server's reason, as the error. */
  too_slow.latency_ms = 70000;
  tg_demo_controls_set_settings_async (controls, &too_slow, NULL, object_answered, &answer);
  tg_test_wait (&answer.done, 30);
  g_assert_error (answer.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (answer.error->message, "latencyMs must be between 0 and 60000"));
  answer_clear (&answer);

  /* The reuse-grace window, on and off. */
  grace.reuse_grace = 10;
  tg_demo_controls_set_settings_async (controls, &grace, NULL, object_answered, &answer);
  tg_test_wait (&answer.done, 30);
  g_assert_no_error (answer.error);
  g_assert_cmpint (json_object_get_int_member (answer.object, "reuseGrace"), ==, 10);
  g_assert_cmpint (json_object_get_int_member (answer.object, "accessTtl"), ==, 45);
  answer_clear (&answer);
  grace.reuse_grace = 0;
  tg_demo_controls_set_settings_async (controls, &grace, NULL, object_answered, &answer);
  tg_test_wait (&answer.done, 30);
  g_assert_no_error (answer.error);
  g_assert_cmpint (json_object_get_int_member (answer.object, "reuseGrace"), ==, 0);
  answer_clear (&answer);

  /* Refresh faults: armed, replaced, disarmed; a count the server refuses is
   * its reason. */
  tg_demo_controls_arm_refresh_fault_async (controls, TG_DEMO_REFRESH_FAULT_LOST_ANSWER, 2, NULL,
                                            object_answered, &answer);
  tg_test_wait (&answer.done, 30);
  g_assert_no_error (answer.error);
  fault = json_object_get_object_member (answer.object, "refreshFault");
  g_assert_nonnull (fault);
  g_assert_cmpstr (json_object_get_string_member (fault, "kind"), ==, "lost-answer");
  g_assert_cmpint (json_object_get_int_member (fault, "count"), ==, 2);
  answer_clear (&answer);

  tg_demo_controls_arm_refresh_fault_async (controls, TG_DEMO_REFRESH_FAULT_DROP, 1, NULL,
                                            object_answered, &answer);
  tg_test_wait (&answer.done, 30);
  g_assert_no_error (answer.error);
  fault = json_object_get_object_member (answer.object, "refreshFault");
  g_assert_cmpstr (json_object_get_string_member (fault, "kind"), ==, "drop");
  g_assert_cmpint (json_object_get_int_member (fault, "count"), ==, 1);
  answer_clear (&answer);

  tg_demo_controls_arm_refresh_fault_async (controls, TG_DEMO_REFRESH_FAULT_LOST_ANSWER, 2000000, NULL,
                                            object_answered, &answer);
  tg_test_wait (&answer.done, 30);
  g_assert_error (answer.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (answer.error->message, "count must be between 0 and 1000000"));
  answer_clear (&answer);

  tg_demo_controls_arm_refresh_fault_async (controls, TG_DEMO_REFRESH_FAULT_NONE, 0, NULL,
                                            object_answered, &answer);
  tg_test_wait (&answer.done, 30);
  g_assert_no_error (answer.error);
  g_assert_true (json_object_get_null_member (answer.object, "refreshFault"));
  answer_clear (&answer);

  tg_demo_controls_expire_access_tokens_async (controls, NULL, done_answered, &answer);
  tg_test_wait (&answer.done, 30);
  g_assert_no_error (answer.error);
  g_assert_true (answer.ok);
  answer_clear (&answer);

  tg_demo_controls_revoke_sessions_async (controls, NULL, done_answered, &answer);
  tg_test_wait (&answer.done, 30);
  g_assert_no_error (answer.error);
  g_assert_true (answer.ok);
  answer_clear (&answer);

  tg_demo_controls_get_stats_async (controls, NULL, object_answered, &answer);
  tg_test_wait (&answer.done, 30);
  g_assert_no_error (answer.error);
  g_assert_cmpint (json_object_get_int_member (answer.object, "revocations"), ==, 1);
  g_assert_true (json_object_has_member (answer.object, "signIns"));
  g_assert_cmpint (json_object_get_int_member (answer.object, "lostAnswers"), ==, 0);
  answer_clear (&answer);
}

static void
test_demo_controls_absent (void)
{
  g_autoptr(Server) server = server_start (FALSE);
  g_autoptr(TgDemoControls) controls = tg_demo_controls_new (server->base_uri, NULL);
  g_autofree char *unreachable_uri = g_strdup_printf ("http://127.0.0.1:%u", tg_test_closed_port ());
  g_autoptr(TgDemoControls) unreachable = tg_demo_controls_new (unreachable_uri, NULL);
  g_autoptr(GError) error = NULL;
  Answer answer = { 0 };

  tg_demo_controls_expire_access_tokens_async (controls, NULL, done_answered, &answer);
  tg_test_wait (&answer.done, 30);
  g_assert_false (answer.ok);
  g_assert_error (answer.error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_cmpstr (answer.error->message, ==, "this server has no demo controls");
  answer_clear (&answer);

  tg_demo_controls_get_stats_async (controls, NULL, object_answered, &answer);
  tg_test_wait (&answer.done, 30);
  g_assert_error (answer.error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  answer_clear (&answer);

  tg_demo_controls_revoke_sessions_async (unreachable, NULL, done_answered, &answer);
  tg_test_wait (&answer.done, 30);
  g_assert_error (answer.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  answer_clear (&answer);

  /* Plain http goes to loopback only. */
  g_assert_null (tg_demo_controls_new ("http://example.com", &error));
  g_assert_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE);
  g_clear_error (&error);
  g_assert_null (tg_demo_controls_new ("not a uri", &error));
  g_assert_nonnull (error);
}
#endif

int
main (int   argc,
      char *argv[])
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/cli/path-format", test_path_format);
#ifdef HAVE_CORE
  g_test_add_func ("/cli/demo-controls/server", test_demo_controls);
  g_test_add_func ("/cli/demo-controls/absent", test_demo_controls_absent);
#endif
  g_test_add_func ("/cli/burst/break-access", test_burst_break_access);
  g_test_add_func ("/cli/burst/break-expire", test_burst_break_expire);
  g_test_add_func ("/cli/burst/break-revoke", test_burst_break_revoke);
  g_test_add_func ("/cli/burst/break-natural", test_burst_break_natural);
  g_test_add_func ("/cli/burst/break-natural-no-proactive", test_burst_break_natural_no_proactive);
  g_test_add_func ("/cli/burst/canary", test_burst_canary);
  g_test_add_func ("/cli/burst/jitter-100", test_burst_jitter_100);
  g_test_add_func ("/cli/burst/oauth2", test_burst_oauth2);
  g_test_add_func ("/cli/burst/table", test_burst_table);
  g_test_add_func ("/cli/burst/table-revoke", test_burst_table_revoke);
  g_test_add_func ("/cli/burst/path", test_burst_path);
  g_test_add_func ("/cli/burst/server", test_burst_server);
  g_test_add_func ("/cli/get/embedded", test_get_embedded);
  g_test_add_func ("/cli/burst/no-demo-controls", test_no_demo_controls);
  g_test_add_func ("/cli/session/seed", test_session_seed);
  g_test_add_func ("/cli/session/oauth2", test_session_oauth2);
  g_test_add_func ("/cli/session/revoked", test_session_revoked);
  g_test_add_func ("/cli/session/wrong-password", test_wrong_password);
  g_test_add_func ("/cli/errors/get-without-login", test_get_without_login);
  g_test_add_func ("/cli/errors/unreachable", test_unreachable);
  g_test_add_func ("/cli/errors/client-secret-file", test_client_secret_file);
  g_test_add_func ("/cli/errors/password-stdin-empty", test_password_stdin_empty);
  g_test_add_func ("/cli/errors/embedded-wrong-password", test_embedded_wrong_password);
  g_test_add_func ("/cli/usage/bad-command-lines", test_bad_command_lines);
  g_test_add_func ("/cli/usage/help", test_help);

  return g_test_run ();
}
