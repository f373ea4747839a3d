/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The steps every command of tokengate-cli begins with: the client, built
 * by the library's TgClientConfig, and the sign-in.
 */
#define G_LOG_DOMAIN "tokengate-cli"

#include "config.h"

#include "tg-cli.h"

static void
client_built (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  TgApiClient *client;

  client = tg_client_config_build_finish (TG_CLIENT_CONFIG (source), result, &error);
  if (client == NULL)
    g_task_return_error (task, tg_cli_error_about (error, NULL, NULL));
  else
    g_task_return_pointer (task, client, g_object_unref);
}

static void
build (GTask *task)
{
  const TgCliOptions *options = g_task_get_task_data (task);

  tg_client_config_build_async (options->config, g_task_get_cancellable (task), client_built, task);
}

static void
provider_discovered (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  const TgCliOptions *options = g_task_get_task_data (task);
  g_autoptr(TgProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  provider = tg_provider_discover_finish (result, &error);
  if (provider == NULL || !tg_client_config_set_provider (options->config, provider, &error))
    {
      g_task_return_error (task, tg_cli_error_about (error, options->issuer, "--issuer"));
      return;
    }
  build (g_steal_pointer (&task));
}

/* The client for @options: its session kept in @store under the server and
 * user, or (@store %NULL) in memory only. With --issuer, the provider is
 * discovered first. */
void
tg_cli_client_build_async (const TgCliOptions   *options,
                           TgTokenStore         *store,
                           GCancellable         *cancellable,
                           GAsyncReadyCallback   callback,
                           gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char *account = tg_cli_options_dup_account (options);

  g_task_set_source_tag (task, tg_cli_client_build_async);
  g_task_set_task_data (task, (gpointer) options, NULL);
  tg_client_config_set_account (options->config, account);
  tg_client_config_set_store (options->config, store);
  if (options->issuer != NULL && tg_client_config_get_provider (options->config) == NULL)
    tg_provider_discover_async (options->issuer, cancellable, provider_discovered, g_steal_pointer (&task));
  else
    build (g_steal_pointer (&task));
}

TgApiClient *
tg_cli_client_build_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------- */

typedef struct {
  char *user;
  char *server;
} SignIn;

static void
sign_in_free (SignIn *sign_in)
{
  g_free (sign_in->user);
  g_free (sign_in->server);
  g_free (sign_in);
}

static void
signed_in (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);
  TgTokenManager *manager = TG_TOKEN_MANAGER (source);
  g_autoptr(GError) error = NULL;

  if (tg_token_manager_sign_in_finish (manager, result, &error))
    g_task_return_boolean (task, TRUE);
  else if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_BAD_CREDENTIALS))
    g_task_return_error (task, tg_cli_error_new (TG_CLI_EXIT_FAILED, "sign-in refused for %s at %s: %s",
                                                 sign_in->user, sign_in->server, error->message));
  else
    g_task_return_error (task, tg_cli_error_about (error,
                                                   tg_auth_protocol_get_token_uri (tg_token_manager_get_protocol (manager)),
                                                   "sign-in failed"));
}

/* Signs @client's manager in as the user of @options with @password, which
 * is wiped as soon as the sign-in holds its own copy. */
void
tg_cli_sign_in_async (TgApiClient          *client,
                      const TgCliOptions   *options,
                      char                 *password,
                      GCancellable         *cancellable,
                      GAsyncReadyCallback   callback,
                      gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  SignIn *sign_in = g_new0 (SignIn, 1);

  g_task_set_source_tag (task, tg_cli_sign_in_async);
  sign_in->user = g_strdup (options->user);
  sign_in->server = g_strdup (tg_client_config_get_server_uri (options->config));
  g_task_set_task_data (task, sign_in, (GDestroyNotify) sign_in_free);

  tg_token_manager_sign_in_async (tg_api_client_get_manager (client), options->user, password,
                                  cancellable, signed_in, g_steal_pointer (&task));
  tg_cli_wipe_free (password);
}

gboolean
tg_cli_sign_in_finish (GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
