/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What every Tokengate test binary shares: isolated directories, no proxy, memory
 * settings, and watchdogs so that a hang fails the test instead of stalling CI.
 */
#include "config.h"

#include <gio/gio.h>
#include <glib-object.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "tg-test-util.h"

/* The whole binary may run no longer than this; meson's own timeout is larger, so
 * the TAP output says what hung instead of meson just killing us. */
#define WATCHDOG_DEFAULT_SECONDS 240

/* Under AddressSanitizer: GLib keeps the strings g_set_user_dirs() replaces on
 * purpose (callers may still hold them), and G_TEST_OPTION_ISOLATE_DIRS calls it
 * for every test case. LeakSanitizer can only match that frame with the slow
 * unwinder: GLib is built without frame pointers. Both hooks are read by the
 * sanitizer runtime and ignored in a normal build. */
const char *__asan_default_options (void);
const char *__lsan_default_suppressions (void);

G_GNUC_UNUSED const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0:detect_leaks=1";
}

G_GNUC_UNUSED const char *
__lsan_default_suppressions (void)
{
  return "leak:g_set_user_dirs\n";
}

static void
on_watchdog (int signum)
{
  static const char msg[] = "Bail out! watchdog: test binary ran too long (hang?)\n";

  /* Only async-signal-safe calls here. */
  if (write (STDOUT_FILENO, msg, sizeof msg - 1) < 0)
    {
      /* nothing more we can do */
    }
  _exit (99);
}

/**
 * tg_test_init:
 *
 * g_test_init() with isolated XDG directories, the memory GSettings backend, no
 * proxy, and a process-wide watchdog (`TG_TEST_WATCHDOG` seconds, default 240).
 */
void
tg_test_init (int    *argc,
              char ***argv)
{
  const char *watchdog_env = g_getenv ("TG_TEST_WATCHDOG");
  guint watchdog = WATCHDOG_DEFAULT_SECONDS;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GIO_USE_VFS", "local", TRUE);
  g_setenv ("no_proxy", "*", TRUE);
  g_unsetenv ("http_proxy");
  g_unsetenv ("https_proxy");
  g_unsetenv ("HTTP_PROXY");
  g_unsetenv ("HTTPS_PROXY");
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

  g_test_init (argc, argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  if (watchdog_env != NULL)
    watchdog = (guint) g_ascii_strtoull (watchdog_env, NULL, 10);
  if (watchdog > 0)
    {
      signal (SIGALRM, on_watchdog);
      alarm (watchdog);
    }
}

/**
 * tg_test_wait:
 * @done: flag a callback sets
 * @timeout_seconds: how long to wait before failing the test
 *
 * Iterates the thread-default main context until *@done, failing the test (with
 * g_error) if that takes longer than @timeout_seconds.
 */
void
tg_test_wait (gboolean *done,
              guint     timeout_seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_seconds * G_USEC_PER_SEC;
  GMainContext *context = g_main_context_get_thread_default ();

  while (!*done)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("tg_test_wait: nothing happened for %u s (hang?)", timeout_seconds);
      /* Non-blocking with a short sleep, so that the deadline is checked even when
       * no source ever fires. */
      if (!g_main_context_iteration (context, FALSE))
        g_usleep (200);
    }
}

/**
 * tg_test_wait_until:
 *
 * Like tg_test_wait() with a predicate; returns %FALSE (without failing) on
 * timeout, for tests that want to assert "this never happens".
 */
gboolean
tg_test_wait_until (gboolean (*predicate) (gpointer user_data),
                    gpointer   user_data,
                    guint      timeout_seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_seconds * G_USEC_PER_SEC;
  GMainContext *context = g_main_context_get_thread_default ();

  while (!predicate (user_data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      if (!g_main_context_iteration (context, FALSE))
        g_usleep (200);
    }
  return TRUE;
}

/**
 * tg_test_iterate_for:
 * @ms: how long
 *
 * Iterates the thread-default main context for @ms milliseconds: for what
 * must have happened by then (an answer held back come due, a cancelled
 * request come back to nobody), or must still not have.
 */
void
tg_test_iterate_for (guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * G_TIME_SPAN_MILLISECOND;
  GMainContext *context = g_main_context_get_thread_default ();

  while (g_get_monotonic_time () < until)
    if (!g_main_context_iteration (context, FALSE))
      g_usleep (500);
}

char *
tg_test_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("tokengate-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
rm_rf (GFile *file)
{
  g_autoptr(GFileEnumerator) children = NULL;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (children != NULL)
    {
      GFileInfo *info;

      while ((info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
        {
          g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (info));

          rm_rf (child);
          g_object_unref (info);
        }
    }
  g_file_delete (file, NULL, NULL);
}

void
tg_test_rm_rf (const char *path)
{
  g_autoptr(GFile) file = NULL;

  if (path == NULL)
    return;
  file = g_file_new_for_path (path);
  rm_rf (file);
}

#define CHECK_GNUTLS(call) \
  G_STMT_START { \
    int _ret = (call); \
    if (_ret < 0) \
      { \
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", #call, gnutls_strerror (_ret)); \
        return FALSE; \
      } \
  } G_STMT_END

/**
 * tg_test_make_tls_files:
 * @dir: where to write `cert.pem` and `key.pem`
 *
 * Makes a fresh self-signed certificate for `localhost` / 127.0.0.1, so that the
 * HTTPS server and the client's TLS-error path can be tested without any file in
 * the repository holding a private key.
 */
gboolean
tg_test_make_tls_files (const char  *dir,
                        char       **out_cert_path,
                        char       **out_key_path,
                        GError     **error)
{
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t key_pem = { NULL, 0 };
  gnutls_datum_t crt_pem = { NULL, 0 };
  unsigned char serial[8] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
  static const unsigned char loopback[4] = { 127, 0, 0, 1 };
  time_t now = time (NULL);
  g_autofree char *cert_path = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key_path = g_build_filename (dir, "key.pem", NULL);
  gboolean ok;

  CHECK_GNUTLS (gnutls_x509_privkey_init (&key));
  CHECK_GNUTLS (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                              GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0));
  CHECK_GNUTLS (gnutls_x509_crt_init (&crt));
  CHECK_GNUTLS (gnutls_x509_crt_set_version (crt, 3));
  CHECK_GNUTLS (gnutls_x509_crt_set_serial (crt, serial, sizeof serial));
  CHECK_GNUTLS (gnutls_x509_crt_set_activation_time (crt, now - 3600));
  CHECK_GNUTLS (gnutls_x509_crt_set_expiration_time (crt, now + 24 * 3600));
  CHECK_GNUTLS (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, "localhost", 9));
  CHECK_GNUTLS (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, "localhost", 9, GNUTLS_FSAN_SET));
  CHECK_GNUTLS (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, loopback, 4, GNUTLS_FSAN_APPEND));
  CHECK_GNUTLS (gnutls_x509_crt_set_key (crt, key));
  CHECK_GNUTLS (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0));
  CHECK_GNUTLS (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &crt_pem));
  CHECK_GNUTLS (gnutls_x509_privkey_export2 (key, GNUTLS_X509_FMT_PEM, &key_pem));

  ok = g_file_set_contents (cert_path, (const char *) crt_pem.data, crt_pem.size, error) &&
       g_file_set_contents_full (key_path, (const char *) key_pem.data, key_pem.size,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);

  gnutls_free (crt_pem.data);
  gnutls_free (key_pem.data);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);

  if (ok)
    {
      if (out_cert_path != NULL)
        *out_cert_path = g_steal_pointer (&cert_path);
      if (out_key_path != NULL)
        *out_key_path = g_steal_pointer (&key_path);
    }
  return ok;
}

/**
 * tg_test_assert_finalize_soon:
 * @object: (transfer full): an object the test holds the last reference to
 *
 * Like g_assert_finalize_object(), for objects whose cancelled async
 * operations still hold a reference until their callbacks run: iterates the
 * main context until the object is gone, and fails the test if it is not
 * within a few seconds (a leak or a reference cycle).
 */
void
tg_test_assert_finalize_soon (gpointer object)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gpointer weak = object;

  g_object_add_weak_pointer (G_OBJECT (object), &weak);
  g_object_unref (object);
  while (weak != NULL)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%s %p was not finalized: a reference leaked", G_OBJECT_TYPE_NAME (weak), weak);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (500);
    }
}

/**
 * tg_test_closed_port:
 *
 * A loopback port that was free a moment ago: bound, never listened on,
 * closed. Connecting to 127.0.0.1 on it is refused — a server that cannot be
 * reached, without a fixed port.
 *
 * Returns: the port
 */
guint16
tg_test_closed_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/**
 * tg_test_binary:
 *
 * The program meson names in @variable (TOKENGATE_CLI, TOKENGATE_SERVER).
 */
const char *
tg_test_binary (const char *variable)
{
  const char *path = g_getenv (variable);

  if (path == NULL)
    g_error ("%s is not set: run this test through meson", variable);
  return path;
}

#ifdef __linux__
static void
die_with_parent (gpointer user_data)
{
  /* A test that fails with g_error() must not leave a server running. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}
#endif

/**
 * tg_test_child_launcher:
 *
 * A launcher for the programs under test, with this test case's directories
 * and without a session bus or display.
 */
GSubprocessLauncher *
tg_test_child_launcher (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  /* G_TEST_OPTION_ISOLATE_DIRS gives this test case its own directories but
   * sets HOME=/dev/null in the environment: hand the children the same
   * directories, so that the file store lives in this test case's state
   * directory. */
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", g_get_user_state_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", g_get_user_runtime_dir (), TRUE);
  /* No Secret Service: the default store falls back to the file. */
  g_subprocess_launcher_unsetenv (launcher, "DBUS_SESSION_BUS_ADDRESS");
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
#ifdef __linux__
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
#endif
  return launcher;
}

void
tg_test_run_free (TgTestRun *run)
{
  g_free (run->out);
  g_free (run->err);
  g_free (run);
}

typedef struct {
  gboolean  done;
  char     *out;
  char     *err;
  GError   *error;
} Communicated;

static void
communicated (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Communicated *c = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &c->out, &c->err, &c->error);
  c->done = TRUE;
}

/**
 * tg_test_run_wait:
 *
 * Writes @input (nothing if %NULL) to @process's stdin and waits for it to
 * end, running this thread's main context meanwhile (a server or a browser
 * of the test's may have to answer it). @err_so_far, what the test has
 * already read of its stderr, goes before the rest. A crash, an abort or a
 * sanitizer report is never a pass.
 */
TgTestRun *
tg_test_run_wait (GSubprocess *process,
                  const char  *input,
                  const char  *err_so_far)
{
  Communicated c = { 0 };
  TgTestRun *run = g_new0 (TgTestRun, 1);

  g_subprocess_communicate_utf8_async (process, input != NULL ? input : "", NULL, communicated, &c);
  tg_test_wait (&c.done, 120);
  g_assert_no_error (c.error);
  run->out = c.out;
  run->err = g_strconcat (err_so_far != NULL ? err_so_far : "", c.err, NULL);
  g_free (c.err);
  g_test_message ("%s -> %d\nstdout: %s\nstderr: %s", g_subprocess_get_identifier (process),
                  g_subprocess_get_status (process), run->out, run->err);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  return run;
}
