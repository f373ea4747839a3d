/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tokengate-server: the demo authorization server as a program. Everything it
 * does is TgServer's; this file only turns the command line into properties.
 */
#define G_LOG_DOMAIN "tokengate-server"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "tg-password.h"
#include "tg-secret-file.h"
#include "tg-server.h"

#define DEFAULT_LISTEN "127.0.0.1:7000"
#define MAX_PASSWORD_BYTES 1024

typedef struct {
  char     *listen;
  char     *issuer;
  char     *database;
  gint64    access_ttl;
  gint64    refresh_ttl;
  gint64    reuse_grace;
  char     *tls_certificate;
  char     *tls_key;
  gboolean  no_demo_controls;
  gboolean  allow_remote;
  char     *add_user;
  gint64    password_iterations;
  char     *client_secret_file;
} Options;

static void
options_clear (Options *options)
{
  g_free (options->listen);
  g_free (options->issuer);
  g_free (options->database);
  g_free (options->tls_certificate);
  g_free (options->tls_key);
  g_free (options->add_user);
  g_free (options->client_secret_file);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

/* "HOST:PORT", "[IPV6]:PORT" */
static gboolean
parse_listen (const char  *listen,
              char       **out_host,
              guint       *out_port,
              GError     **error)
{
  const char *colon = strrchr (listen, ':');
  g_autofree char *host = NULL;
  guint64 port = 0;

  if (colon == NULL || colon == listen ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--listen expects HOST:PORT (port 0 to 65535), not “%s”", listen);
      return FALSE;
    }

  host = g_strndup (listen, colon - listen);
  if (host[0] == '[')
    {
      gsize len = strlen (host);

      if (len < 3 || host[len - 1] != ']')
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--listen: unbalanced brackets in “%s”", listen);
          return FALSE;
        }
      host[len - 1] = '\0';
      memmove (host, host + 1, len - 1);
    }

  *out_host = g_steal_pointer (&host);
  *out_port = (guint) port;
  return TRUE;
}

/* Whether @value fits the TgServer property that the option --@property
 * sets: the ranges are the server's, stated once, in its class. */
static gboolean
check_range (const char  *property,
             gint64       value,
             GError     **error)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (TG_TYPE_SERVER);
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), property);
  gint64 min, max;

  if (G_IS_PARAM_SPEC_INT64 (pspec))
    {
      min = G_PARAM_SPEC_INT64 (pspec)->minimum;
      max = G_PARAM_SPEC_INT64 (pspec)->maximum;
    }
  else
    {
      min = G_PARAM_SPEC_UINT (pspec)->minimum;
      max = G_PARAM_SPEC_UINT (pspec)->maximum;
    }

  if (value < min || value > max)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--%s must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT,
                   property, min, max);
      return FALSE;
    }
  return TRUE;
}

/* A person typing a password at a terminal should not see it on the screen (nor
 * leave it in the scrollback). ECHONL still echoes the newline. Returns whether
 * @saved holds settings to restore. */
static gboolean
terminal_echo_off (const char     *user,
                   struct termios *saved)
{
  struct termios quiet;

  if (!isatty (STDIN_FILENO) || tcgetattr (STDIN_FILENO, saved) != 0)
    return FALSE;

  g_printerr ("Password for %s: ", user);
  quiet = *saved;
  quiet.c_lflag &= ~(tcflag_t) ECHO;
  quiet.c_lflag |= ECHONL;
  /* TCSAFLUSH: what was typed before the prompt is not taken as the password. */
  return tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
}

static char *
read_password_from_stdin (const char  *user,
                          GError     **error)
{
  char buffer[MAX_PASSWORD_BYTES + 2];
  struct termios saved;
  gboolean restore;
  char *line;
  gsize len;

  restore = terminal_echo_off (user, &saved);
  line = fgets (buffer, sizeof buffer, stdin);
  if (restore)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);

  if (line == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "expected the password on standard input");
      return NULL;
    }

  len = strlen (buffer);
  if (len > 0 && buffer[len - 1] == '\n')
    buffer[--len] = '\0';
  else if (!feof (stdin))
    {
      explicit_bzero (buffer, sizeof buffer);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the password is longer than %d bytes", MAX_PASSWORD_BYTES);
      return NULL;
    }
  if (len > 0 && buffer[len - 1] == '\r')
    buffer[--len] = '\0';

  {
    char *password = g_strdup (buffer);

    explicit_bzero (buffer, sizeof buffer);
    return password;
  }
}

/* The soft limit on open files is often 1024, which a burst of parallel clients
 * (what this server is for) can reach. libsoup 3.2 stops accepting connections for
 * good after one accept() fails with EMFILE, so go up to the hard limit, which a
 * process may do on its own. The library leaves process limits alone: this is
 * the program's call. */
static void
raise_open_files_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
    return;

  limit.rlim_cur = limit.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
    g_debug ("could not raise the limit on open files: %s", g_strerror (errno));
}

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

/* The confidential client's secret, read by the same rules as
 * tokengate-cli --client-secret-file (so that one file serves both): the
 * first line, trimmed, of a file only its owner can read. Kept in a file, not
 * on the command line, where every user's `ps` would show it. */
static char *
read_client_secret (const char  *path,
                    GError     **error)
{
  g_autofree char *shown = g_filename_display_name (path);

  return tg_secret_file_read (path, shown, error);
}

static int
fail (const char *what,
      GError     *error)
{
  g_printerr ("tokengate-server: %s%s%s\n", what != NULL ? what : "",
              what != NULL ? ": " : "", error->message);
  return 1;
}

int
main (int   argc,
      char *argv[])
{
  g_auto(Options) options = {
    .access_ttl = 60,
    .refresh_ttl = 30 * 24 * 3600,
    .reuse_grace = 0,
    .password_iterations = TG_PASSWORD_DEFAULT_ITERATIONS,
  };
  GOptionEntry entries[] = {
    { "listen", 0, 0, G_OPTION_ARG_STRING, &options.listen,
      "Address to listen on (default " DEFAULT_LISTEN "; port 0 picks a free one)", "HOST:PORT" },
    { "issuer", 0, 0, G_OPTION_ARG_STRING, &options.issuer,
      "The URL clients reach the server at, if not the --listen address "
      "(needed with 0.0.0.0 or [::])", "URL" },
    { "database", 0, 0, G_OPTION_ARG_FILENAME, &options.database,
      "SQLite database (default $XDG_DATA_HOME/tokengate/server.db)", "FILE" },
    { "access-ttl", 0, 0, G_OPTION_ARG_INT64, &options.access_ttl,
      "Lifetime of access tokens (default 60)", "SECONDS" },
    { "refresh-ttl", 0, 0, G_OPTION_ARG_INT64, &options.refresh_ttl,
      "Lifetime of refresh tokens (default 30 days)", "SECONDS" },
    { "reuse-grace", 0, 0, G_OPTION_ARG_INT64, &options.reuse_grace,
      "Window in which a used refresh token returns the same new pair (default 0)", "SECONDS" },
    { "tls-certificate", 0, 0, G_OPTION_ARG_FILENAME, &options.tls_certificate,
      "Serve HTTPS with this PEM certificate", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &options.tls_key,
      "PEM private key for --tls-certificate", "FILE" },
    { "no-demo-controls", 0, 0, G_OPTION_ARG_NONE, &options.no_demo_controls,
      "Turn off the /demo/ endpoints", NULL },
    { "allow-remote", 0, 0, G_OPTION_ARG_NONE, &options.allow_remote,
      "Allow listening on an address that is not loopback", NULL },
    { "add-user", 0, 0, G_OPTION_ARG_STRING, &options.add_user,
      "Add a user (password read from standard input) and exit", "NAME" },
    { "client-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &options.client_secret_file,
      "Also register the confidential client " TG_SERVER_CONFIDENTIAL_CLIENT_ID
      ", whose secret is the first line of FILE", "FILE" },
    { "password-iterations", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &options.password_iterations,
      "PBKDF2 iterations for new password hashes", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TgServer) server = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *host = NULL;
  char *client_secret = NULL;
  guint port = 0;

  setlocale (LC_ALL, "");
  /* For the browser sign-in's pages (tg-server-page.c). */
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  context = g_option_context_new ("— the Tokengate demo authorization server");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail (NULL, error);
  if (argc > 1)
    {
      g_printerr ("tokengate-server: unexpected argument “%s” (see --help)\n", argv[1]);
      return 1;
    }

  if (!parse_listen (options.listen != NULL ? options.listen : DEFAULT_LISTEN, &host, &port, &error) ||
      !check_range ("access-ttl", options.access_ttl, &error) ||
      !check_range ("refresh-ttl", options.refresh_ttl, &error) ||
      !check_range ("reuse-grace", options.reuse_grace, &error) ||
      !check_range ("password-iterations", options.password_iterations, &error))
    return fail (NULL, error);
  if ((options.tls_certificate == NULL) != (options.tls_key == NULL))
    {
      g_printerr ("tokengate-server: --tls-certificate and --tls-key go together\n");
      return 1;
    }

  if (options.database == NULL)
    options.database = g_build_filename (g_get_user_data_dir (), "tokengate", "server.db", NULL);

  if (options.tls_certificate != NULL)
    {
      certificate = g_tls_certificate_new_from_files (options.tls_certificate, options.tls_key, &error);
      if (certificate == NULL)
        return fail ("cannot load the TLS certificate", error);
    }

  if (options.client_secret_file != NULL &&
      (client_secret = read_client_secret (options.client_secret_file, &error)) == NULL)
    return fail ("cannot read the client secret", error);

  server = g_object_new (TG_TYPE_SERVER,
                         "host", host,
                         "port", port,
                         "database", options.database,
                         "access-ttl", options.access_ttl,
                         "refresh-ttl", options.refresh_ttl,
                         "reuse-grace", options.reuse_grace,
                         "tls-certificate", certificate,
                         "demo-controls", !options.no_demo_controls,
                         "allow-remote", options.allow_remote,
                         "issuer", options.issuer,
                         "password-iterations", (guint) options.password_iterations,
                         "client-secret", client_secret,
                         NULL);
  if (client_secret != NULL)
    explicit_bzero (client_secret, strlen (client_secret));
  g_free (client_secret);

  if (options.add_user != NULL)
    {
      g_autofree char *password = read_password_from_stdin (options.add_user, &error);
      gboolean ok;

      if (password == NULL)
        return fail (NULL, error);
      ok = tg_server_add_user (server, options.add_user, password, &error);
      explicit_bzero (password, strlen (password));
      if (!ok)
        return fail ("cannot add the user", error);
      g_print ("added user %s\n", options.add_user);
      return 0;
    }

  raise_open_files_limit ();

  /* Handle signals before announcing ourselves: whoever reads the line below
   * may stop us right away. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_quit_signal, loop);
  g_unix_signal_add (SIGTERM, on_quit_signal, loop);

  if (!tg_server_start (server, &error))
    return fail ("cannot start", error);

  /* The line scripts and tests wait for comes last, and is the only one
   * unless clients are told another URL than the socket's. */
  if (g_strcmp0 (tg_server_get_issuer (server), tg_server_get_base_uri (server)) != 0)
    g_print ("issuer %s\n", tg_server_get_issuer (server));
  g_print ("listening on %s\n", tg_server_get_base_uri (server));
  fflush (stdout);

  g_main_loop_run (loop);

  tg_server_stop (server);
  return 0;
}
