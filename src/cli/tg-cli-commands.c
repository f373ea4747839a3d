/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * login, logout and get: the commands that keep the session between runs in
 * the default token store (the Secret Service, or a private file). `get
 * --embedded` is the exception: the server ends with this process, so there
 * is nothing to keep and it signs in afresh.
 *
 * Each command is one GTask; its steps are the callbacks below, in order.
 */
#define G_LOG_DOMAIN "tokengate-cli"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tg-cli.h"

typedef struct {
  const TgCliOptions *options;       /* not owned: outlives the command */
  char               *password;      /* owned, nullable; wiped */
  TgTokenStore       *store;         /* owned, nullable */
  TgApiClient        *client;        /* owned, once built */
  void              (*next) (GTask *task);  /* what follows the client */
  guint               log_position;  /* logout: where its exchanges begin */
  GError             *failure;       /* owned, nullable: get, while the
                                        ended session is forgotten */
} Command;

static void
command_free (Command *command)
{
  g_clear_pointer (&command->password, tg_cli_wipe_free);
  g_clear_object (&command->client);
  g_clear_object (&command->store);
  g_clear_error (&command->failure);
  g_free (command);
}

static GTask *
command_new (const TgCliOptions  *options,
             char                *password,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data,
             gpointer             source_tag)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Command *command = g_new0 (Command, 1);

  g_task_set_source_tag (task, source_tag);
  command->options = options;
  command->password = password;
  g_task_set_task_data (task, command, (GDestroyNotify) command_free);
  return task;
}

static const char *
server_of (Command *command)
{
  return tg_client_config_get_server_uri (command->options->config);
}

static TgTokenManager *
manager_of (Command *command)
{
  return tg_api_client_get_manager (command->client);
}

/* ------------------------------------------------------------------------- */
/* The first steps: the store, the client                                    */

static void
client_ready (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Command *command = g_task_get_task_data (task);
  GError *error = NULL;

  command->client = tg_cli_client_build_finish (result, &error);
  if (command->client == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  command->next (g_steal_pointer (&task));
}

static void
store_ready (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Command *command = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GError) error = NULL;

  command->store = tg_token_store_new_default_finish (result, &error);
  if (command->store == NULL)
    {
      g_task_return_error (task, tg_cli_error_about (error, NULL, "no token store"));
      return;
    }
  tg_cli_client_build_async (command->options, command->store, cancellable,
                             client_ready, g_steal_pointer (&task));
}

/* The default store, then the client, then @next. */
static void
start_with_store (GTask  *task,
                  void  (*next) (GTask *task))
{
  Command *command = g_task_get_task_data (task);

  command->next = next;
  tg_token_store_new_default_async (g_task_get_cancellable (task), store_ready, task);
}

/* A client that keeps nothing, then @next. */
static void
start_in_memory (GTask  *task,
                 void  (*next) (GTask *task))
{
  Command *command = g_task_get_task_data (task);

  command->next = next;
  tg_cli_client_build_async (command->options, NULL, g_task_get_cancellable (task), client_ready, task);
}

/* A tg_token_manager_restore_async() result: TRUE with *@out_restored set
 * when the command goes on, FALSE when @task has failed. */
static gboolean
restore_finish (GTask        *task,
                GObject      *source,
                GAsyncResult *result,
                gboolean     *out_restored)
{
  g_autoptr(GError) error = NULL;

  *out_restored = tg_token_manager_restore_finish (TG_TOKEN_MANAGER (source), result, &error);
  if (error == NULL)
    return TRUE;
  g_task_return_error (task, tg_cli_error_about (error, NULL, "cannot read the kept session"));
  return FALSE;
}

/* ------------------------------------------------------------------------- */
/* login                                                                     */

/* A browser sign-in says who signed in: the provider's userinfo answer
 * (the person typed no user name here). Not knowing it is no failure. */
static void
login_named (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Command *command = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = tg_user_info_fetch_name_finish (result, &error);

  if (name == NULL)
    g_message ("Cannot tell who signed in: %s", error->message);
  tg_cli_flush_notes ();
  if (name != NULL)
    tg_cli_out ("Signed in as %s at %s.\n", name, server_of (command));
  else
    tg_cli_out ("Signed in at %s.\n", server_of (command));
  g_task_return_int (task, TG_CLI_EXIT_OK);
}

static void
login_verified (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Command *command = g_task_get_task_data (task);
  TgProvider *provider = tg_client_config_get_provider (command->options->config);
  const char *endpoint;
  g_autoptr(TgTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *session = tg_cli_options_describe_session (command->options);

  tokens = tg_token_store_load_finish (TG_TOKEN_STORE (source), result, &error);
  if (tokens == NULL)
    {
      g_task_return_error (task, tg_cli_error_new (TG_CLI_EXIT_FAILED,
                                                   "signed in, but the session could not be kept: %s",
                                                   error != NULL ? error->message
                                                                 : "the token store did not keep it"));
      return;
    }

  endpoint = provider != NULL ? tg_provider_get_userinfo_endpoint (provider) : NULL;
  if (endpoint != NULL && command->options->user == NULL)
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      tg_user_info_fetch_name_async (manager_of (command), endpoint, cancellable,
                                     login_named, g_steal_pointer (&task));
      return;
    }

  tg_cli_flush_notes ();
  tg_cli_out ("Signed in %s.\n", session);
  g_task_return_int (task, TG_CLI_EXIT_OK);
}

static void
login_signed_in (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Command *command = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autofree char *account = NULL;
  GError *error = NULL;

  if (!(tg_cli_options_uses_browser (command->options) ? tg_cli_browser_sign_in_finish (result, &error)
                                                       : tg_cli_sign_in_finish (result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  /* The manager only warns when the store fails: read the session back, so
   * that "signed in" means "kept". */
  account = tg_cli_options_dup_account (command->options);
  tg_token_store_load_async (command->store, account, cancellable, login_verified, g_steal_pointer (&task));
}

static void
login_sign_in (GTask *task)
{
  Command *command = g_task_get_task_data (task);

  if (tg_cli_options_uses_browser (command->options))
    {
      tg_cli_browser_sign_in_async (command->client, command->options, g_task_get_cancellable (task),
                                    login_signed_in, task);
      return;
    }
  tg_cli_sign_in_async (command->client, command->options, g_steal_pointer (&command->password),
                        g_task_get_cancellable (task), login_signed_in, task);
}

void
tg_cli_login_async (const TgCliOptions  *options,
                    char                *password,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  start_with_store (command_new (options, password, cancellable, callback, user_data, tg_cli_login_async),
                    login_sign_in);
}

/* ------------------------------------------------------------------------- */
/* logout                                                                    */

static const char *
revocation_outcome (Command *command)
{
  GListModel *log = G_LIST_MODEL (tg_token_manager_get_request_log (manager_of (command)));

  for (guint i = command->log_position; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(TgRequestRecord) record = g_list_model_get_item (log, i);

      if (tg_request_record_get_kind (record) != TG_REQUEST_KIND_REVOKE)
        continue;
      if (tg_request_record_get_error_message (record) == NULL &&
          SOUP_STATUS_IS_SUCCESSFUL (tg_request_record_get_status (record)))
        return "the session is revoked at the server";
      return "the server could not be told to revoke the session";
    }

  return tg_client_config_get_protocol_kind (command->options->config) == TG_AUTH_PROTOCOL_SEED
           ? "the seed API cannot revoke sessions: it ends when its refresh token expires"
           : "no revocation endpoint is known for this server";
}

static void
logout_signed_out (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Command *command = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *session = tg_cli_options_describe_session (command->options);

  if (!tg_token_manager_sign_out_finish (TG_TOKEN_MANAGER (source), result, &error))
    {
      g_task_return_error (task, tg_cli_error_about (error, NULL, "signing out failed"));
      return;
    }

  /* "Signed out demo at SERVER", or "Signed out at SERVER". */
  tg_cli_out ("Signed out %s; %s.\n", session + (command->options->user != NULL ? strlen ("as ") : 0),
              revocation_outcome (command));
  g_task_return_int (task, TG_CLI_EXIT_OK);
}

static void
logout_restored (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Command *command = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  gboolean restored;

  if (!restore_finish (task, source, result, &restored))
    return;
  if (!restored)
    {
      g_autofree char *session = tg_cli_options_describe_session (command->options);

      tg_cli_out ("Not signed in %s: nothing to do.\n", session);
      g_task_return_int (task, TG_CLI_EXIT_OK);
      return;
    }

  command->log_position =
    g_list_model_get_n_items (G_LIST_MODEL (tg_token_manager_get_request_log (manager_of (command))));
  tg_token_manager_sign_out_async (manager_of (command), cancellable, logout_signed_out,
                                   g_steal_pointer (&task));
}

static void
logout_restore (GTask *task)
{
  Command *command = g_task_get_task_data (task);

  tg_token_manager_restore_async (manager_of (command), g_task_get_cancellable (task), logout_restored, task);
}

void
tg_cli_logout_async (const TgCliOptions  *options,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  start_with_store (command_new (options, NULL, cancellable, callback, user_data, tg_cli_logout_async),
                    logout_restore);
}

/* ------------------------------------------------------------------------- */
/* get                                                                       */

static void
get_forgotten (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Command *command = g_task_get_task_data (task);

  /* A failure to forget says so in the store's own warning. */
  tg_token_store_clear_finish (TG_TOKEN_STORE (source), result, NULL);
  g_task_return_error (task, g_steal_pointer (&command->failure));
}

/* The session has ended: the manager forgets it too, but in the background;
 * make sure it is gone before this process is, then fail with @failure. */
static void
get_forget_session (GTask  *task,
                    GError *failure)
{
  Command *command = g_task_get_task_data (task);
  g_autofree char *account = NULL;

  if (command->store == NULL)
    {
      g_task_return_error (task, failure);
      g_object_unref (task);
      return;
    }

  /* Not cancellable: once the session has ended, an interrupt must not
   * leave it behind in the store. */
  command->failure = failure;
  account = tg_cli_options_dup_account (command->options);
  tg_token_store_clear_async (command->store, account, NULL, get_forgotten, task);
}

static void
get_answered (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Command *command = g_task_get_task_data (task);
  const char *path = command->options->get_path;
  g_autoptr(TgApiResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  gsize size = 0;
  const char *data;

  response = tg_api_client_get_finish (TG_API_CLIENT (source), result, &error);
  if (response == NULL)
    {
      if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED))
        get_forget_session (g_steal_pointer (&task),
                            tg_cli_error_new (TG_CLI_EXIT_FAILED, "%s; run " TG_CLI_PROGRAM " login",
                                              error->message));
      else if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED))
        g_task_return_error (task, tg_cli_error_new (TG_CLI_EXIT_FAILED, "%s (the session is kept; try again)",
                                                     error->message));
      else
        g_task_return_error (task, tg_cli_error_about (error, server_of (command), "GET failed"));
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (response->status))
    {
      g_autofree char *description = tg_error_body_describe (response->body);

      g_task_return_error (task, tg_cli_error_new (TG_CLI_EXIT_FAILED, "GET %s: HTTP %u %s%s%s", path,
                                                   response->status, soup_status_get_phrase (response->status),
                                                   description != NULL ? ": " : "",
                                                   description != NULL ? description : ""));
      return;
    }

  data = g_bytes_get_data (response->body, &size);
  if ((size > 0 && fwrite (data, 1, size, stdout) != size) || fflush (stdout) != 0)
    {
      g_task_return_error (task, tg_cli_error_new (TG_CLI_EXIT_FAILED, "cannot write to standard output: %s",
                                                   g_strerror (errno)));
      return;
    }
  g_task_return_int (task, TG_CLI_EXIT_OK);
}

static void
get_send (GTask *task)
{
  Command *command = g_task_get_task_data (task);

  tg_api_client_get_async (command->client, command->options->get_path, g_task_get_cancellable (task),
                           get_answered, task);
}

static void
get_signed_in (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!tg_cli_sign_in_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  get_send (g_steal_pointer (&task));
}

static void
get_sign_in (GTask *task)
{
  Command *command = g_task_get_task_data (task);

  tg_cli_sign_in_async (command->client, command->options, g_steal_pointer (&command->password),
                        g_task_get_cancellable (task), get_signed_in, task);
}

static void
get_restored (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Command *command = g_task_get_task_data (task);
  gboolean restored;

  if (!restore_finish (task, source, result, &restored))
    return;
  if (!restored)
    {
      g_autofree char *session = tg_cli_options_describe_session (command->options);

      g_task_return_error (task, tg_cli_error_new (TG_CLI_EXIT_FAILED, "not signed in %s; run "
                                                   TG_CLI_PROGRAM " login", session));
      return;
    }
  get_send (g_steal_pointer (&task));
}

static void
get_restore (GTask *task)
{
  Command *command = g_task_get_task_data (task);

  tg_token_manager_restore_async (manager_of (command), g_task_get_cancellable (task), get_restored, task);
}

void
tg_cli_get_async (const TgCliOptions  *options,
                  char                *password,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  GTask *task = command_new (options, password, cancellable, callback, user_data, tg_cli_get_async);

  if (options->embedded)
    start_in_memory (task, get_sign_in);
  else
    start_with_store (task, get_restore);
}

/* ------------------------------------------------------------------------- */

/* The end of any command: its exit status, or -1 with @error set to a
 * TG_CLI_ERROR whose code is the exit status. */
int
tg_cli_command_finish (GAsyncResult  *result,
                       GError       **error)
{
  GError *local_error = NULL;
  int status;

  g_return_val_if_fail (g_task_is_valid (result, NULL), -1);

  status = (int) g_task_propagate_int (G_TASK (result), &local_error);
  /* A task returns G_IO_ERROR_CANCELLED by itself once its cancellable is:
   * that is an interrupt, whatever step it came to. */
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_error (&local_error);
      local_error = tg_cli_error_new (TG_CLI_EXIT_INTERRUPTED, "interrupted");
    }
  if (local_error != NULL)
    g_propagate_error (error, local_error);
  return status;
}
