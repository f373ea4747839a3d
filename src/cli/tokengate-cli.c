/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tokengate-cli: the client core without a window.
 *
 *   tokengate-cli [--server URL | --embedded] [--protocol seed|oauth2] …  COMMAND
 *
 * `login`, `get PATH` and `logout` keep the session between runs in the
 * default token store (the Secret Service, or a private file); `burst` signs
 * in afresh every time, in memory only, breaks the session on purpose and
 * fires N requests at once — the posts' "3 × 401 → 1 refresh → 3 × 200" from
 * a terminal, as a table or as JSON.
 *
 * Exit status: 0 success; 1 a runtime failure (for burst: a request that did
 * not succeed — `--break revoke` always ends that way, on purpose); 2 a usage
 * error; 130 interrupted. Every error is one line on stderr; stdout carries
 * only what was asked for.
 *
 * The files by job: tg-cli-options.c (the command line), tg-cli-secrets.c
 * (password, client secret), tg-cli-client.c (the client, the sign-in),
 * tg-cli-commands.c (login, logout, get), tg-cli-burst.c, tg-cli-report.c
 * (burst's table and JSON), tg-cli-output.c (the terminal). This one runs a
 * command's GTask to its end.
 */
#define G_LOG_DOMAIN "tokengate-cli"

#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tg-builtin-server.h"
#include "tg-cli.h"

typedef struct {
  gboolean      done;
  int           status;
  GError       *error;        /* owned, nullable: why the command failed */
  GCancellable *cancellable;  /* owned */
} Run;

static gboolean
on_quit_signal (gpointer user_data)
{
  Run *run = user_data;

  /* What is under way ends with G_IO_ERROR_CANCELLED: "interrupted". */
  g_cancellable_cancel (run->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
command_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;

  run->status = tg_cli_command_finish (result, &run->error);
  run->done = TRUE;
}

static void
start_command (const TgCliOptions *options,
               TgCliSecrets       *secrets,
               Run                *run)
{
  char *password = g_steal_pointer (&secrets->password);

  switch (options->command)
    {
    case TG_CLI_COMMAND_LOGIN:
      tg_cli_login_async (options, password, run->cancellable, command_done, run);
      break;
    case TG_CLI_COMMAND_LOGOUT:
      tg_cli_logout_async (options, run->cancellable, command_done, run);
      break;
    case TG_CLI_COMMAND_GET:
      tg_cli_get_async (options, password, run->cancellable, command_done, run);
      break;
    case TG_CLI_COMMAND_BURST:
      tg_cli_burst_async (options, password, run->cancellable, command_done, run);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* The one line an error is shown as, and the exit status it means. The core
 * keeps secrets out of its messages, however a server echoes them; this is
 * the last line of defence for the ones we still hold. */
static int
print_failure (const GError       *error,
               const TgCliSecrets *secrets)
{
  const char *held[] = { secrets->client_secret, secrets->password };
  g_autoptr(GString) shown = g_string_new (error->message);

  for (gsize i = 0; i < G_N_ELEMENTS (held); i++)
    if (held[i] != NULL && *held[i] != '\0')
      g_string_replace (shown, held[i], "[redacted]", 0);
  tg_cli_print_error_line (shown->str);

  return error->domain == TG_CLI_ERROR ? error->code : TG_CLI_EXIT_FAILED;
}

static gboolean
start_embedded_server (TgCliOptions  *options,
                       TgServer     **out_server,
                       GError       **error)
{
  TgBuiltinServerSettings settings = {
    .database = NULL,
    .access_ttl = options->access_ttl,
    .latency_ms = options->latency_ms,
    .jitter_ms = options->jitter_ms,
  };
  g_autoptr(TgServer) server = tg_builtin_server_start (&settings, error);

  if (server == NULL)
    {
      g_prefix_error (error, "cannot start the embedded server: ");
      return FALSE;
    }
  if (!tg_client_config_set_server_uri (options->config, tg_server_get_base_uri (server), error))
    {
      tg_server_stop (server);
      return FALSE;
    }
  *out_server = g_steal_pointer (&server);
  return TRUE;
}

static int
run_command (TgCliOptions *options,
             TgCliSecrets *secrets)
{
  Run run = { .cancellable = g_cancellable_new () };
  guint sigint_source = g_unix_signal_add (SIGINT, on_quit_signal, &run);
  guint sigterm_source = g_unix_signal_add (SIGTERM, on_quit_signal, &run);
  int status;

  start_command (options, secrets, &run);
  while (!run.done)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (sigint_source);
  g_source_remove (sigterm_source);

  status = run.error != NULL ? print_failure (run.error, secrets) : run.status;
  g_clear_error (&run.error);
  g_clear_object (&run.cancellable);
  return status;
}

static int
run (int   argc,
     char *argv[])
{
  g_auto(TgCliOptions) options = { 0 };
  g_auto(TgCliSecrets) secrets = { 0 };
  g_autoptr(TgServer) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *help = NULL;
  int status;

  if (!tg_cli_options_parse (&options, argc, argv, &help, &error))
    {
      tg_cli_print_error_line (error->message);
      return TG_CLI_EXIT_USAGE;
    }
  if (help != NULL)
    {
      fputs (help, stdout);
      return fflush (stdout) == 0 ? TG_CLI_EXIT_OK : TG_CLI_EXIT_FAILED;
    }

  /* The Secret Service fallback note matters when a session is kept. */
  tg_cli_install_log_writer (options.command == TG_CLI_COMMAND_LOGIN);

  if (!tg_cli_secrets_read (&secrets, &options, &error))
    return print_failure (error, &secrets);
  tg_client_config_set_client_secret (options.config, secrets.client_secret);

  if (options.embedded && !start_embedded_server (&options, &server, &error))
    return print_failure (error, &secrets);

  status = run_command (&options, &secrets);

  /* Let what the command's objects cancelled on their way out finish before
   * the server they talk to goes. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (server != NULL)
    tg_server_stop (server);

  return status;
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  g_set_prgname (TG_CLI_PROGRAM);

  return run (argc, argv);
}
