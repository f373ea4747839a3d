/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The secrets tokengate-cli reads: the password (standard input, the
 * terminal with echo off, or the demo's own) and the OAuth 2.0 client
 * secret (a file only its owner can read). Every copy is wiped when freed.
 */
#define G_LOG_DOMAIN "tokengate-cli"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tg-builtin-server.h"
#include "tg-cli.h"
#include "tg-secret-file.h"

/* The terminal, while a password is typed with echo off. */
static struct termios saved_termios;
static volatile sig_atomic_t termios_saved;

void
tg_cli_wipe_free (char *secret)
{
  if (secret != NULL)
    explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

/* The first line of a file only its owner can read, trimmed. */
static char *
read_client_secret (const char  *path,
                    GError     **error)
{
  g_autofree char *shown = tg_cli_printable (path);

  return tg_secret_file_read (path, shown, error);
}

static char *
read_line (FILE     *stream,
           gboolean *out_eof)
{
  char *line = NULL;
  size_t capacity = 0;
  ssize_t length;
  char *copy;

  length = getline (&line, &capacity, stream);
  *out_eof = length < 0;
  if (length < 0)
    {
      free (line);
      return NULL;
    }
  while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
    line[--length] = '\0';

  copy = g_strdup (line);
  explicit_bzero (line, capacity);
  free (line);
  return copy;
}

static void
restore_terminal_and_die (int signum)
{
  /* Only async-signal-safe calls: put echo back, then die of the signal. */
  if (termios_saved)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved_termios);
  signal (signum, SIG_DFL);
  raise (signum);
}

static char *
prompt_password (const TgCliOptions  *options,
                 GError             **error)
{
  const char *server = tg_client_config_get_server_uri (options->config);
  struct termios quiet;
  struct sigaction action = { 0 }, old_int, old_term;
  gboolean eof = FALSE;
  char *password;

  if (tcgetattr (STDIN_FILENO, &saved_termios) != 0)
    {
      int errsv = errno;

      g_set_error (error, TG_CLI_ERROR, TG_CLI_EXIT_FAILED,
                   "cannot turn off the terminal's echo: %s", g_strerror (errsv));
      return NULL;
    }

  /* Ctrl-C at the prompt must not leave the terminal without echo. */
  action.sa_handler = restore_terminal_and_die;
  sigemptyset (&action.sa_mask);
  termios_saved = TRUE;
  sigaction (SIGINT, &action, &old_int);
  sigaction (SIGTERM, &action, &old_term);

  quiet = saved_termios;
  quiet.c_lflag &= ~(tcflag_t) ECHO;
  quiet.c_lflag |= ECHONL;
  fprintf (stderr, "Password for %s at %s: ", options->user,
           server != NULL ? server : "the embedded server");
  fflush (stderr);
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);

  password = read_line (stdin, &eof);

  tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved_termios);
  termios_saved = FALSE;
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGTERM, &old_term, NULL);

  if (password == NULL)
    {
      fputc ('\n', stderr);
      g_set_error_literal (error, TG_CLI_ERROR, TG_CLI_EXIT_FAILED, "no password given");
    }
  return password;
}

static gboolean
needs_password (const TgCliOptions *options)
{
  /* Signing in through the browser, the provider asks for the password. */
  if (tg_cli_options_uses_browser (options))
    return FALSE;
  return options->command == TG_CLI_COMMAND_LOGIN || options->command == TG_CLI_COMMAND_BURST ||
         (options->command == TG_CLI_COMMAND_GET && options->embedded);
}

static char *
read_password (const TgCliOptions  *options,
               GError             **error)
{
  if (options->password_stdin)
    {
      gboolean eof = FALSE;
      char *password = read_line (stdin, &eof);

      if (password == NULL || *password == '\0')
        {
          g_free (password);
          g_set_error_literal (error, TG_CLI_ERROR, TG_CLI_EXIT_FAILED,
                               eof ? "--password-stdin: standard input has no password"
                                   : "--password-stdin: the password on standard input is empty");
          return NULL;
        }
      return password;
    }

  if (options->embedded && strcmp (options->user, TG_SERVER_DEMO_USER) == 0)
    return g_strdup (TG_SERVER_DEMO_PASSWORD);

  if (!isatty (STDIN_FILENO))
    {
      g_set_error_literal (error, TG_CLI_ERROR, TG_CLI_EXIT_USAGE, "no password: use --password-stdin");
      return NULL;
    }

  return prompt_password (options, error);
}

/* Reads what @options needs; fails with a TG_CLI_ERROR whose code is the
 * exit status. */
gboolean
tg_cli_secrets_read (TgCliSecrets        *secrets,
                     const TgCliOptions  *options,
                     GError             **error)
{
  if (options->client_secret_file != NULL)
    {
      secrets->client_secret = read_client_secret (options->client_secret_file, error);
      if (secrets->client_secret == NULL)
        return FALSE;
    }

  if (!needs_password (options))
    return TRUE;

  secrets->password = read_password (options, error);
  return secrets->password != NULL;
}

void
tg_cli_secrets_clear (TgCliSecrets *secrets)
{
  g_clear_pointer (&secrets->password, tg_cli_wipe_free);
  g_clear_pointer (&secrets->client_secret, tg_cli_wipe_free);
}
