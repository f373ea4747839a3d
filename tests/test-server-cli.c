/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tokengate-server as a program: its command line, its one line of output,
 * signals, --add-user, and that a kill -9 in the middle of a refresh load loses
 * no committed token.
 */
#define _GNU_SOURCE  /* posix_openpt() and friends */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include "tg-secret-file.h"
#include "tg-test-server.h"
#include "tg-test-util.h"

typedef struct {
  GSubprocess *process;
  char        *base_uri;
  char        *issuer;     /* nullable: said only when not the base URI */
} Running;

static const char *
server_binary (void)
{
  const char *path = g_getenv ("TOKENGATE_SERVER");

  g_assert_nonnull (path);
  return path;
}

/* @launcher: (nullable): for an environment or a child setup of its own */
static GSubprocess *
spawn_server_with (GSubprocessLauncher *launcher,
                   GSubprocessFlags     flags,
                   const char * const  *args)
{
  g_autoptr(GSubprocessLauncher) own_launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  if (launcher == NULL)
    launcher = own_launcher = g_subprocess_launcher_new (flags);
  else
    g_subprocess_launcher_set_flags (launcher, flags);

  g_ptr_array_add (argv, (char *) server_binary ());
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

static GSubprocess *
spawn_server (GSubprocessFlags    flags,
              const char * const *args)
{
  return spawn_server_with (NULL, flags, args);
}

/* Starts the server and reads its output: the issuer, when it is not the
 * address listened on, then the address. */
static Running
start_server_with (GSubprocessLauncher *launcher,
                   const char * const  *args)
{
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  Running running = { 0 };

  running.process = spawn_server_with (launcher, G_SUBPROCESS_FLAGS_STDOUT_PIPE, args);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (running.process));
  /* Tests read on from the pipe afterwards: keep it open. */
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (out), FALSE);
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  if (g_str_has_prefix (line, "issuer "))
    {
      running.issuer = g_strdup (line + strlen ("issuer "));
      g_free (line);
      line = g_data_input_stream_read_line (out, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (line);
    }
  g_assert_true (g_str_has_prefix (line, "listening on http"));
  running.base_uri = g_strdup (line + strlen ("listening on "));

  return running;
}

static Running
start_server (const char * const *args)
{
  return start_server_with (NULL, args);
}

static int
stop_server (Running *running,
             int      signum)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (running->process, signum);
  g_subprocess_wait (running->process, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&running->base_uri, g_free);
  g_clear_pointer (&running->issuer, g_free);

  if (g_subprocess_get_if_signaled (running->process))
    {
      int term = g_subprocess_get_term_sig (running->process);

      g_clear_object (&running->process);
      return -term;
    }
  {
    int status = g_subprocess_get_exit_status (running->process);

    g_clear_object (&running->process);
    return status;
  }
}

static guint
http_status (const char *base_uri,
             const char *method,
             const char *path,
             const char *json_body,
             char      **out_body)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *uri = g_strconcat (base_uri, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  if (json_body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  if (out_body != NULL)
    *out_body = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  return soup_message_get_status (msg);
}

static void
test_listen_and_terminate (void)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "server.db", NULL);
  const char *args[] = { "--listen", "127.0.0.1:0", "--database", db,
                         "--password-iterations", "1000", NULL };
  int signals[] = { SIGTERM, SIGINT };

  for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
    {
      Running running = start_server (args);
      g_autoptr(GRegex) line = g_regex_new ("^http://127\\.0\\.0\\.1:[0-9]+$", 0, 0, NULL);
      g_autoptr(GInputStream) out = NULL;
      char rest[256];
      gssize n;

      g_assert_true (g_regex_match (line, running.base_uri, 0, NULL));
      g_assert_cmpuint (http_status (running.base_uri, "GET", "/api/resources", NULL, NULL), ==, 401);

      out = g_object_ref (g_subprocess_get_stdout_pipe (running.process));
      g_assert_cmpint (stop_server (&running, signals[i]), ==, 0);

      /* Exactly one line on stdout, nothing after it. */
      n = g_input_stream_read (out, rest, sizeof rest, NULL, NULL);
      g_assert_cmpint (n, ==, 0);
    }

  /* The key file is kept beside the database, private. */
  {
    g_autofree char *key = g_strconcat (db, ".key", NULL);
    GStatBuf st;

    g_assert_cmpint (g_stat (key, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }

  tg_test_rm_rf (dir);
}

/* POST /oauth2/token with @authorization and an unknown refresh token: 400
 * invalid_grant once the client is accepted, 401 before. */
static guint
token_status (const char *base_uri,
              const char *authorization)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *uri = g_strconcat (base_uri, "/oauth2/token", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, uri);
  g_autoptr(GBytes) form = g_bytes_new_static ("grant_type=refresh_token&refresh_token=x", 40);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", form);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", authorization);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  return soup_message_get_status (msg);
}

/* --client-secret-file: the confidential client, by HTTP Basic, with the
 * first line of the file as its secret. */
static void
test_client_secret_file (void)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "server.db", NULL);
  g_autofree char *secret_file = g_build_filename (dir, "client-secret", NULL);
  const char *args[] = { "--listen", "127.0.0.1:0", "--database", db, "--password-iterations", "1000",
                         "--client-secret-file", secret_file, NULL };
  g_autofree char *good = g_base64_encode ((const guchar *) TG_SERVER_CONFIDENTIAL_CLIENT_ID ":file-secret",
                                           strlen (TG_SERVER_CONFIDENTIAL_CLIENT_ID ":file-secret"));
  g_autofree char *good_header = g_strconcat ("Basic ", good, NULL);
  g_autofree char *bad = g_base64_encode ((const guchar *) TG_SERVER_CONFIDENTIAL_CLIENT_ID ":file-secret\n",
                                          strlen (TG_SERVER_CONFIDENTIAL_CLIENT_ID ":file-secret\n"));
  g_autofree char *bad_header = g_strconcat ("Basic ", bad, NULL);
  g_autoptr(GError) error = NULL;
  Running running;

  g_file_set_contents_full (secret_file, "file-secret\nsecond line\n", -1, G_FILE_SET_CONTENTS_NONE,
                            0600, &error);
  g_assert_no_error (error);
  running = start_server (args);
  g_assert_cmpuint (token_status (running.base_uri, good_header), ==, 400);
  g_assert_cmpuint (token_status (running.base_uri, bad_header), ==, 401);
  g_assert_cmpint (stop_server (&running, SIGTERM), ==, 0);
  tg_test_rm_rf (dir);
}

typedef struct {
  const char *name;
  const char *args[8];
  const char *stderr_says;
} BadCommandLine;

static const BadCommandLine bad_command_lines[] = {
  { "remote address", { "--listen", "0.0.0.0:0", NULL }, "--allow-remote" },
  { "every address, no issuer", { "--listen", "0.0.0.0:0", "--allow-remote", NULL }, "--issuer" },
  { "issuer with a path", { "--listen", "127.0.0.1:0", "--issuer", "http://tokengate.lan:7000/x", NULL },
    "the issuer must be" },
  { "not an address", { "--listen", "nope", NULL }, "HOST:PORT" },
  { "port too large", { "--listen", "127.0.0.1:99999", NULL }, "HOST:PORT" },
  { "no host", { "--listen", ":80", NULL }, "HOST:PORT" },
  { "host name", { "--listen", "example.org:0", NULL }, "not an IP address" },
  { "unbalanced bracket", { "--listen", "[::1:0", NULL }, "brackets" },
  { "zero ttl", { "--access-ttl", "0", NULL }, "--access-ttl" },
  { "negative ttl", { "--refresh-ttl", "-5", NULL }, "--refresh-ttl" },
  { "ttl not a number", { "--access-ttl", "abc", NULL }, "access-ttl" },
  { "grace too long", { "--reuse-grace", "5000", NULL }, "--reuse-grace" },
  { "certificate without key", { "--tls-certificate", "cert.pem", NULL }, "--tls-key" },
  { "missing certificate", { "--tls-certificate", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem", NULL }, "TLS certificate" },
  { "stray argument", { "serve", NULL }, "unexpected argument" },
  { "unknown option", { "--bogus", NULL }, "bogus" },
  { "unusable database", { "--database", "/proc/tokengate/server.db", NULL }, "cannot start" },
  { "missing client secret file", { "--client-secret-file", "/nonexistent/secret", NULL },
    "cannot read the client secret" },
  { "client secret file not a file", { "--client-secret-file", "/dev/null", NULL }, "not a regular file" },
};

/* Runs the server with @bad's arguments (and @db unless they name one), which
 * it must refuse with one line on stderr that says @bad->stderr_says; returns
 * that line. */
static char *
assert_refused (const BadCommandLine *bad,
                const char           *db)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gboolean has_database = FALSE;

  g_test_message ("bad command line: %s", bad->name);
  for (gsize j = 0; bad->args[j] != NULL; j++)
    {
      has_database |= strcmp (bad->args[j], "--database") == 0;
      g_ptr_array_add (args, (char *) bad->args[j]);
    }
  if (!has_database)
    {
      g_ptr_array_add (args, "--database");
      g_ptr_array_add (args, (char *) db);
    }
  g_ptr_array_add (args, "--password-iterations");
  g_ptr_array_add (args, "1000");
  g_ptr_array_add (args, NULL);

  process = spawn_server (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                          (const char * const *) args->pdata);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);

  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), !=, 0);
  g_assert_cmpstr (out, ==, "");
  g_assert_true (g_str_has_prefix (err, "tokengate-server: "));
  g_assert_nonnull (strstr (err, bad->stderr_says));
  /* One clear line, not a wall of text. */
  g_assert_cmpint (strchr (err, '\n') - err, ==, (gssize) strlen (err) - 1);
  return g_steal_pointer (&err);
}

static void
test_bad_command_lines (void)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "server.db", NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (bad_command_lines); i++)
    g_free (assert_refused (&bad_command_lines[i], db));

  tg_test_rm_rf (dir);
}

/* The client secret file is read by tokengate-cli's rules (tg-secret-file.c):
 * a private regular file, not too large, without a NUL byte; and what is
 * said names the file, never the secret. */
static void
test_client_secret_file_rules (void)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "server.db", NULL);
  g_autofree char *huge = g_strnfill (TG_SECRET_FILE_MAX_SIZE + 1, 'x');
  static const char with_nul[] = "the-secret\0more\n";
  const struct {
    const char *name;
    const char *contents;
    gssize      length;
    guint       mode;
    const char *says;
  } files[] = {
    { "open to others", "the-secret\n", -1, 0644, "chmod 600" },
    { "writable by the group", "the-secret\n", -1, 0620, "open to other users" },
    { "empty", "", -1, 0600, "no secret on its first line" },
    { "only blanks", "  \t\nthe-secret\n", -1, 0600, "no secret on its first line" },
    { "a NUL byte", with_nul, sizeof with_nul - 1, 0600, "NUL byte" },
    { "too large", huge, -1, 0600, "larger than" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, "client-secret", NULL);
      g_autofree char *err = NULL;
      g_autoptr(GError) error = NULL;
      BadCommandLine bad = { files[i].name, { "--client-secret-file", path, NULL }, files[i].says };

      g_file_set_contents_full (path, files[i].contents, files[i].length,
                                G_FILE_SET_CONTENTS_NONE, 0600, &error);
      g_assert_no_error (error);
      /* Past the umask. */
      g_assert_cmpint (g_chmod (path, files[i].mode), ==, 0);
      err = assert_refused (&bad, db);
      g_assert_nonnull (strstr (err, path));
      g_assert_null (strstr (err, "the-secret"));
      g_assert_cmpint (g_unlink (path), ==, 0);
    }

  /* Not a regular file: a directory, a device. */
  {
    BadCommandLine directory = { "a directory", { "--client-secret-file", dir, NULL }, "not a regular file" };
    BadCommandLine device = { "a device", { "--client-secret-file", "/dev/zero", NULL }, "not a regular file" };

    g_free (assert_refused (&directory, db));
    g_free (assert_refused (&device, db));
  }

  tg_test_rm_rf (dir);
}

static void
test_https (void)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "server.db", NULL);
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autoptr(GError) error = NULL;
  Running running;

  tg_test_make_tls_files (dir, &cert, &key, &error);
  g_assert_no_error (error);

  {
    const char *args[] = { "--listen", "127.0.0.1:0", "--database", db, "--tls-certificate", cert,
                           "--tls-key", key, "--password-iterations", "1000", NULL };

    running = start_server (args);
  }
  g_assert_true (g_str_has_prefix (running.base_uri, "https://127.0.0.1:"));
  g_assert_cmpint (stop_server (&running, SIGTERM), ==, 0);

  tg_test_rm_rf (dir);
}

static int
run_add_user (const char *db,
              const char *name,
              const char *stdin_text,
              char      **out_err)
{
  const char *args[] = { server_binary (), "--database", db, "--add-user", name,
                         "--password-iterations", "1000", NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  process = g_subprocess_newv (args, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                     G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, stdin_text, NULL, &out, out_err, &error);
  g_assert_no_error (error);
  /* The password never shows up in what the program prints. */
  if (*stdin_text != '\0')
    g_assert_null (strstr (out, stdin_text));

  return g_subprocess_get_exit_status (process);
}

static void
test_add_user (void)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "server.db", NULL);
  const char *args[] = { "--listen", "127.0.0.1:0", "--database", db,
                         "--password-iterations", "1000", NULL };
  g_autofree char *err = NULL;
  g_autofree char *body = NULL;
  Running running;

  g_assert_cmpint (run_add_user (db, "ada", "correct horse\n", &err), ==, 0);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_add_user (db, "ada", "again\n", &err), !=, 0);
  g_assert_true (g_str_has_prefix (err, "tokengate-server: cannot add the user"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_add_user (db, "eve", "", &err), !=, 0);
  g_assert_nonnull (strstr (err, "standard input"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_add_user (db, "eve", "\n", &err), !=, 0);
  g_assert_nonnull (strstr (err, "empty"));
  g_clear_pointer (&err, g_free);

  running = start_server (args);
  g_assert_cmpuint (http_status (running.base_uri, "POST", "/authorization/token",
                                 "{\"userName\":\"ada\",\"password\":\"correct horse\"}", NULL), ==, 200);
  /* There were users already, so no demo user was made. */
  g_assert_cmpuint (http_status (running.base_uri, "POST", "/authorization/token",
                                 "{\"userName\":\"demo\",\"password\":\"demo\"}", &body), ==, 401);
  g_assert_nonnull (strstr (body, "invalid_grant"));
  g_assert_cmpint (stop_server (&running, SIGTERM), ==, 0);

  tg_test_rm_rf (dir);
}

/* ------------------------------------------------------------------------- */
/* kill -9 during a refresh load                                             */

#define N_CHAINS 8

typedef struct {
  SoupSession *session;
  char        *uri;
  char        *refresh_token;  /* the newest one this client was handed */
  guint        n_rotations;
  gboolean     in_flight;
  gboolean     go_idle;        /* stop after the next answer */
  gboolean     in_flight_at_kill;
} Chain;

static void chain_step (Chain *chain);

static void
chain_step_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Chain *chain = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  chain->in_flight = FALSE;
  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL || soup_message_get_status (msg) != 200)
    return;  /* the server died under us: what we hold is what we were handed last */

  json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  g_assert_no_error (error);
  g_free (chain->refresh_token);
  chain->refresh_token = g_strdup (json_object_get_string_member (
    json_node_get_object (json_parser_get_root (parser)), "refreshToken"));
  chain->n_rotations++;

  if (!chain->go_idle)
    chain_step (chain);
}

static void
chain_step (Chain *chain)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", chain->uri);
  g_autofree char *body = g_strdup_printf ("{\"refreshToken\":\"%s\"}", chain->refresh_token);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  chain->in_flight = TRUE;
  soup_session_send_and_read_async (chain->session, msg, G_PRIORITY_DEFAULT, NULL,
                                    chain_step_done, chain);
}

static char *
sign_in_for_refresh_token (const char *base_uri)
{
  g_autofree char *body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (http_status (base_uri, "POST", "/authorization/token",
                                 "{\"userName\":\"demo\",\"password\":\"demo\"}", &body), ==, 200);
  json_parser_load_from_data (parser, body, -1, &error);
  g_assert_no_error (error);
  return g_strdup (json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)),
                                                  "refreshToken"));
}

static gboolean
enough_rotations (gpointer user_data)
{
  Chain *chains = user_data;
  guint total = 0;

  for (guint i = 0; i < N_CHAINS; i++)
    total += chains[i].n_rotations;
  return total >= 400;
}

static gboolean
idle_chains_idle (gpointer user_data)
{
  Chain *chains = user_data;

  for (guint i = 0; i < N_CHAINS; i++)
    if (chains[i].go_idle && chains[i].in_flight)
      return FALSE;
  return TRUE;
}

static gboolean
all_stopped (gpointer user_data)
{
  Chain *chains = user_data;

  for (guint i = 0; i < N_CHAINS; i++)
    if (chains[i].in_flight)
      return FALSE;
  return TRUE;
}

/* Refresh chains (each client refreshing its newest token as fast as it can)
 * against a server killed with SIGKILL, then restarted on the same database:
 * every refresh token a client received in a 200 must still refresh.
 *
 * With a grace window that holds for every chain, whichever side of the commit
 * the kill fell on: a token whose rotation committed but whose answer was lost
 * still yields its successor. Without one (@grace "0"), a chain whose request
 * was in flight at the kill may have lost its session (the rotation committed,
 * the answer died, and presenting the old token again is a reuse): those are
 * counted, not asserted on. The others must all refresh; half of the chains go
 * idle before the kill so that there always are some. */
static void
kill_during_refresh_load (const char *grace)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "server.db", NULL);
  const char *args[] = { "--listen", "127.0.0.1:0", "--database", db, "--reuse-grace", grace,
                         "--password-iterations", "1000", NULL };
  gboolean with_grace = strcmp (grace, "0") != 0;
  Chain chains[N_CHAINS] = { { 0 } };
  Running running = start_server (args);
  g_autofree char *refresh_uri = g_strconcat (running.base_uri, "/authorization/refresh", NULL);
  guint n_asserted = 0;
  guint n_in_flight_ok = 0;
  guint n_in_flight_lost = 0;

  for (guint i = 0; i < N_CHAINS; i++)
    {
      chains[i].session = soup_session_new ();
      chains[i].uri = g_strdup (refresh_uri);
      chains[i].refresh_token = sign_in_for_refresh_token (running.base_uri);
      chain_step (&chains[i]);
    }

  g_assert_true (tg_test_wait_until (enough_rotations, chains, 60));
  if (!with_grace)
    {
      for (guint i = 0; i < N_CHAINS; i += 2)
        chains[i].go_idle = TRUE;
      g_assert_true (tg_test_wait_until (idle_chains_idle, chains, 60));
    }

  /* No callback runs between this and the kill: what is in flight now is in
   * flight at the kill. */
  for (guint i = 0; i < N_CHAINS; i++)
    chains[i].in_flight_at_kill = chains[i].in_flight;
  g_assert_cmpint (stop_server (&running, SIGKILL), ==, -SIGKILL);
  g_assert_true (tg_test_wait_until (all_stopped, chains, 60));

  running = start_server (args);
  for (guint i = 0; i < N_CHAINS; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"refreshToken\":\"%s\"}", chains[i].refresh_token);
      guint status = http_status (running.base_uri, "POST", "/authorization/refresh", body, NULL);

      g_test_message ("chain %u rotated %u times before the kill, %s at the kill; now %u", i,
                      chains[i].n_rotations, chains[i].in_flight_at_kill ? "in flight" : "idle", status);
      if (with_grace || !chains[i].in_flight_at_kill)
        {
          g_assert_cmpuint (status, ==, 200);
          n_asserted++;
        }
      else
        {
          g_assert_true (status == 200 || status == 401);
          if (status == 200)
            n_in_flight_ok++;
          else
            n_in_flight_lost++;
        }
    }
  g_test_message ("%u chains asserted; in flight at the kill: %u kept, %u lost their session",
                  n_asserted, n_in_flight_ok, n_in_flight_lost);
  g_assert_cmpuint (n_asserted, >=, N_CHAINS / 2);

  /* And the user is still there. */
  g_assert_cmpuint (http_status (running.base_uri, "POST", "/authorization/token",
                                 "{\"userName\":\"demo\",\"password\":\"demo\"}", NULL), ==, 200);
  g_assert_cmpint (stop_server (&running, SIGTERM), ==, 0);

  for (guint i = 0; i < N_CHAINS; i++)
    {
      g_object_unref (chains[i].session);
      g_free (chains[i].uri);
      g_free (chains[i].refresh_token);
    }
  tg_test_rm_rf (dir);
}

static void
test_kill_during_refresh_load (void)
{
  kill_during_refresh_load ("3600");
}

static void
test_kill_during_refresh_load_no_grace (void)
{
  kill_during_refresh_load ("0");
}

/* ------------------------------------------------------------------------- */
/* Options                                                                   */

static void
test_no_demo_controls (void)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "server.db", NULL);
  const char *args[] = { "--listen", "127.0.0.1:0", "--database", db, "--no-demo-controls",
                         "--password-iterations", "1000", NULL };
  Running running = start_server (args);
  g_autofree char *body = NULL;

  g_assert_cmpuint (http_status (running.base_uri, "GET", "/demo/stats", NULL, &body), ==, 404);
  g_assert_nonnull (strstr (body, "not_found"));
  g_assert_cmpuint (http_status (running.base_uri, "POST", "/demo/expire-access-tokens", NULL, NULL), ==, 404);
  g_assert_cmpuint (http_status (running.base_uri, "PUT", "/demo/settings", "{\"latencyMs\":1}", NULL), ==, 404);
  /* The API itself is there. */
  g_assert_cmpuint (http_status (running.base_uri, "POST", "/authorization/token",
                                 "{\"userName\":\"demo\",\"password\":\"demo\"}", NULL), ==, 200);
  g_assert_cmpint (stop_server (&running, SIGTERM), ==, 0);

  tg_test_rm_rf (dir);
}

/* One request over a plain connection to 127.0.0.1:@port; returns the status. */
static guint
raw_status (guint       port,
            const char *request)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  char buffer[256] = { 0 };
  g_autofree char *status_text = NULL;
  guint64 status = 0;

  g_socket_client_set_timeout (client, 30);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             request, strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                           buffer, sizeof buffer - 1, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (buffer, "HTTP/1.1 "));
  status_text = g_strndup (buffer + 9, 3);
  g_assert_true (g_ascii_string_to_unsigned (status_text, 10, 100, 599, &status, NULL));

  return (guint) status;
}

static void
test_allow_remote (void)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "server.db", NULL);
  const char *args[] = { "--listen", "0.0.0.0:0", "--allow-remote", "--issuer", "http://tokengate.lan:7000",
                         "--database", db, "--password-iterations", "1000", NULL };
  Running running = start_server (args);
  g_autoptr(GRegex) line = g_regex_new ("^http://0\\.0\\.0\\.0:([0-9]+)$", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *port_text = NULL;
  g_autofree char *loopback_uri = NULL;
  guint64 port = 0;

  /* It names the URL clients are told (no client can use 0.0.0.0), then
   * the address it listens on. */
  g_assert_cmpstr (running.issuer, ==, "http://tokengate.lan:7000");
  g_assert_true (g_regex_match (line, running.base_uri, 0, &match));
  port_text = g_match_info_fetch (match, 1);
  g_assert_true (g_ascii_string_to_unsigned (port_text, 10, 1, 65535, &port, NULL));

  /* The test talks to it over loopback only. */
  loopback_uri = g_strdup_printf ("http://127.0.0.1:%u", (guint) port);
  g_assert_cmpuint (http_status (loopback_uri, "GET", "/api/resources", NULL, NULL), ==, 401);
  g_assert_cmpuint (http_status (loopback_uri, "POST", "/authorization/token",
                                 "{\"userName\":\"demo\",\"password\":\"demo\"}", NULL), ==, 200);
  /* A server meant for the network answers to its names: no Host check there. */
  g_assert_cmpuint (raw_status ((guint) port, "GET /api/resources HTTP/1.1\r\nHost: tokengate.lan:7000\r\n"
                                              "Connection: close\r\n\r\n"), ==, 401);
  g_assert_cmpint (stop_server (&running, SIGTERM), ==, 0);

  tg_test_rm_rf (dir);
}

static void
test_default_database (void)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "tokengate", "server.db", NULL);
  g_autofree char *key = g_build_filename (dir, "tokengate", "server.db.key", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  const char *args[] = { "--listen", "127.0.0.1:0", "--password-iterations", "1000", NULL };
  Running running;

  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", dir, TRUE);
  running = start_server_with (launcher, args);
  g_assert_cmpuint (http_status (running.base_uri, "POST", "/authorization/token",
                                 "{\"userName\":\"demo\",\"password\":\"demo\"}", NULL), ==, 200);
  g_assert_cmpint (stop_server (&running, SIGTERM), ==, 0);

  g_assert_true (g_file_test (db, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (key, G_FILE_TEST_IS_REGULAR));

  tg_test_rm_rf (dir);
}

/* ------------------------------------------------------------------------- */
/* Many connections with a low limit on open files                           */

#define LOW_FILE_LIMIT 64
#define N_CONNECTIONS  150

static void
lower_file_limit (gpointer user_data)
{
  struct rlimit limit;

  /* In the child before exec: async-signal-safe calls only. */
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0)
    {
      limit.rlim_cur = LOW_FILE_LIMIT;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

/* A soft limit of 64 open files (the hard limit untouched) and 150 clients at
 * once: the server must raise its own limit, for libsoup 3.2 stops accepting
 * for good after one accept() fails with EMFILE. */
static void
test_many_connections_low_file_limit (void)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "server.db", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  const char *args[] = { "--listen", "127.0.0.1:0", "--database", db,
                         "--password-iterations", "1000", NULL };
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GPtrArray) connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GUri) uri = NULL;
  struct rlimit limit;
  Running running;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &limit), ==, 0);
  if (limit.rlim_max < 2 * N_CONNECTIONS)
    {
      g_test_skip ("the hard limit on open files is too low for this test");
      return;
    }

  g_subprocess_launcher_set_child_setup (launcher, lower_file_limit, NULL, NULL);
  running = start_server_with (launcher, args);
  uri = g_uri_parse (running.base_uri, G_URI_FLAGS_NONE, NULL);
  g_socket_client_set_timeout (client, 10);

  /* All of them open at once, each with a request answered on it. */
  for (guint i = 0; i < N_CONNECTIONS; i++)
    {
      const char *request = "GET /api/resources HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
      g_autoptr(GError) error = NULL;
      GSocketConnection *connection;
      char buffer[64] = { 0 };

      connection = g_socket_client_connect_to_host (client, "127.0.0.1", g_uri_get_port (uri), NULL, &error);
      g_assert_no_error (error);
      g_ptr_array_add (connections, connection);
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                 request, strlen (request), NULL, NULL, &error);
      g_assert_no_error (error);
      g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                           buffer, sizeof buffer - 1, NULL, &error);
      if (error != NULL)
        g_error ("connection %u got no answer: %s", i, error->message);
      g_assert_true (g_str_has_prefix (buffer, "HTTP/1.1 401"));
    }

  g_ptr_array_set_size (connections, 0);
  g_assert_cmpint (stop_server (&running, SIGTERM), ==, 0);
  tg_test_rm_rf (dir);
}

/* ------------------------------------------------------------------------- */
/* --add-user at a terminal                                                  */

static gboolean
echo_is_off (int fd)
{
  struct termios settings;

  return tcgetattr (fd, &settings) == 0 && (settings.c_lflag & ECHO) == 0;
}

/* A person typing the password must not see it: on a terminal, --add-user
 * turns echo off while it reads (and back on after). */
static void
test_add_user_terminal (void)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "server.db", NULL);
  const char *argv[] = { server_binary (), "--database", db, "--add-user", "ada",
                         "--password-iterations", "1000", NULL };
  const char *args[] = { "--listen", "127.0.0.1:0", "--database", db,
                         "--password-iterations", "1000", NULL };
  const char *password = "correct horse battery";
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) echoed = g_string_new (NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *line = NULL;
  gint64 deadline;
  int master;
  int slave;
  char buffer[256];
  gssize n;
  Running running;

  master = posix_openpt (O_RDWR | O_NOCTTY);
  g_assert_cmpint (master, >=, 0);
  g_assert_cmpint (grantpt (master), ==, 0);
  g_assert_cmpint (unlockpt (master), ==, 0);
  slave = open (ptsname (master), O_RDWR | O_NOCTTY);
  g_assert_cmpint (slave, >=, 0);
  g_assert_false (echo_is_off (master));

  g_subprocess_launcher_take_stdin_fd (launcher, slave);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);

  /* Type only once it listens without echo (the master shares the slave's
   * settings): what was typed before would be flushed away. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!echo_is_off (master))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("--add-user never turned the terminal's echo off");
      g_usleep (10 * 1000);
    }
  line = g_strconcat (password, "\n", NULL);
  g_assert_cmpint (write (master, line, strlen (line)), ==, (gssize) strlen (line));

  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_cmpstr (out, ==, "added user ada\n");
  g_assert_true (g_str_has_prefix (err, "Password for ada: "));
  g_assert_null (strstr (err, password));

  /* Nothing of the password came back on the terminal, and echo is on again. */
  g_assert_false (echo_is_off (master));
  g_unix_set_fd_nonblocking (master, TRUE, NULL);
  while ((n = read (master, buffer, sizeof buffer)) > 0)
    g_string_append_len (echoed, buffer, n);
  g_assert_null (strstr (echoed->str, password));
  close (master);

  /* And the password it read is the one typed. */
  running = start_server (args);
  g_assert_cmpuint (http_status (running.base_uri, "POST", "/authorization/token",
                                 "{\"userName\":\"ada\",\"password\":\"correct horse battery\"}", NULL), ==, 200);
  g_assert_cmpint (stop_server (&running, SIGTERM), ==, 0);

  tg_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/server/cli/listen-and-terminate", test_listen_and_terminate);
  g_test_add_func ("/server/cli/bad-command-lines", test_bad_command_lines);
  g_test_add_func ("/server/cli/client-secret-file", test_client_secret_file);
  g_test_add_func ("/server/cli/client-secret-file/rules", test_client_secret_file_rules);
  g_test_add_func ("/server/cli/https", test_https);
  g_test_add_func ("/server/cli/add-user", test_add_user);
  g_test_add_func ("/server/cli/add-user/terminal", test_add_user_terminal);
  g_test_add_func ("/server/cli/no-demo-controls", test_no_demo_controls);
  g_test_add_func ("/server/cli/allow-remote", test_allow_remote);
  g_test_add_func ("/server/cli/default-database", test_default_database);
  g_test_add_func ("/server/cli/many-connections-low-file-limit", test_many_connections_low_file_limit);
  g_test_add_func ("/server/cli/kill-during-refresh-load", test_kill_during_refresh_load);
  g_test_add_func ("/server/cli/kill-during-refresh-load/no-grace", test_kill_during_refresh_load_no_grace);

  return g_test_run ();
}
