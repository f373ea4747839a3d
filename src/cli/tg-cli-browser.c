/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `login` with --issuer: the library's TgBrowserSignIn, with the sign-in
 * address on a line of its own on standard error — so that a person can
 * open it by hand when no browser opens (`--no-browser`, SSH), and a script
 * or test can read it.
 */
#define G_LOG_DOMAIN "tokengate-cli"

#include "config.h"

#include <stdio.h>

#include "tg-cli.h"

static void
address_known (TgBrowserSignIn *sign_in,
               GParamSpec      *pspec,
               gpointer         user_data)
{
  const TgCliOptions *options = user_data;

  fprintf (stderr, "%s the address below to sign in; waiting for the browser to come back to %s\n",
           options->no_browser ? "Open" : "Opening your web browser. If it does not open, open",
           tg_browser_sign_in_get_redirect_uri (sign_in));
  /* The address alone on its line: what scripts and the tests read. */
  fprintf (stderr, "%s\n", tg_browser_sign_in_get_authorization_uri (sign_in));
  fflush (stderr);
}

static void
signed_in (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TgBrowserSignIn *sign_in = TG_BROWSER_SIGN_IN (source);
  g_autoptr(GError) error = NULL;

  if (!tg_browser_sign_in_run_finish (sign_in, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        g_task_return_error (task, tg_cli_error_new (TG_CLI_EXIT_FAILED, "browser sign-in: %s", error->message));
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
        g_task_return_error (task, tg_cli_error_new (TG_CLI_EXIT_FAILED, "%s; sign in with --user NAME "
                                                     "--password-stdin instead", error->message));
      else
        g_task_return_error (task, tg_cli_error_about (error, NULL, "browser sign-in failed"));
      return;
    }

  /* Not a failure, but the demo cannot show a refresh with this session. */
  if (!tg_browser_sign_in_get_refresh_token_issued (sign_in))
    g_message ("The provider issued no refresh token: the session ends when its access token expires. "
               "Ask for offline_access in --scope, or allow refresh tokens for the client at the provider.");
  g_task_return_boolean (task, TRUE);
}

/* Signs @client's manager in through the browser, at the provider
 * discovered for @options. */
void
tg_cli_browser_sign_in_async (TgApiClient          *client,
                              const TgCliOptions   *options,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  TgProvider *provider = tg_client_config_get_provider (options->config);
  g_autoptr(TgBrowserSignIn) sign_in = NULL;
  g_autoptr(GError) error = NULL;

  g_task_set_source_tag (task, tg_cli_browser_sign_in_async);
  g_assert (provider != NULL);

  sign_in = tg_browser_sign_in_new (tg_api_client_get_manager (client), provider);
  if (options->redirect_uri != NULL &&
      !tg_browser_sign_in_set_redirect_uri (sign_in, options->redirect_uri, &error))
    {
      g_task_return_error (task, tg_cli_error_new (TG_CLI_EXIT_USAGE, "--redirect-uri: %s", error->message));
      return;
    }
  tg_browser_sign_in_set_open_browser (sign_in, !options->no_browser);
  g_signal_connect (sign_in, "notify::authorization-uri", G_CALLBACK (address_known), (gpointer) options);
  tg_browser_sign_in_run_async (sign_in, cancellable, signed_in, g_steal_pointer (&task));
}

gboolean
tg_cli_browser_sign_in_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
