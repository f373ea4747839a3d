/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `tokengate-cli burst`: sign in afresh, in memory only (never the user's
 * keyring), break the session on purpose, and fire N requests at once — the
 * posts' "3 × 401 → 1 refresh → 3 × 200" from a terminal. With --issuer
 * (a browser sign-in), nobody is at a browser to sign in afresh: it uses
 * the session `login` kept instead, and keeps it refreshed.
 *
 * One GTask; its steps are the callbacks below, in order: client → signed
 * in → broken (at once, by the demo controls, or by waiting) → fired →
 * report.
 */
#define G_LOG_DOMAIN "tokengate-cli"

#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "tg-cli.h"

/* `--break natural` waits for the access token to expire, but not forever. */
#define MAX_NATURAL_WAIT_US ((gint64) 5 * 60 * G_USEC_PER_SEC)
/* Without proactive refresh the server must see the token expired: its `exp`
 * has whole seconds, and our estimate of its clock comes from a Date header
 * with whole seconds too. */
#define NATURAL_MARGIN_US   ((gint64) 1500 * G_TIME_SPAN_MILLISECOND)

typedef struct {
  const TgCliOptions *options;    /* not owned: outlives the command */
  char               *password;   /* owned, nullable; wiped */
  TgTokenStore       *store;      /* owned, nullable: the session kept by
                                     login, with --issuer */
  TgApiClient        *client;     /* owned, once built */
  TgDemoControls     *demo;       /* owned, nullable: --break expire|revoke */
  gint64              waited_us;  /* --break natural */
} Burst;

static void
burst_free (Burst *burst)
{
  g_clear_pointer (&burst->password, tg_cli_wipe_free);
  g_clear_object (&burst->demo);
  g_clear_object (&burst->client);
  g_clear_object (&burst->store);
  g_free (burst);
}

static const char *
server_of (Burst *burst)
{
  return tg_client_config_get_server_uri (burst->options->config);
}

static TgTokenManager *
manager_of (Burst *burst)
{
  return tg_api_client_get_manager (burst->client);
}

static void
burst_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Burst *burst = g_task_get_task_data (task);
  g_autoptr(TgBurstResult) outcome = NULL;
  g_autoptr(GError) error = NULL;

  outcome = tg_burst_run_finish (result, &error);
  if (outcome == NULL)
    {
      g_task_return_error (task, tg_cli_error_about (error, server_of (burst), "burst failed"));
      return;
    }

  if (burst->options->json)
    tg_cli_report_json (burst->options, outcome, burst->waited_us);
  else
    tg_cli_report_table (burst->options, outcome, burst->waited_us);
  if (!tg_cli_flush_stdout (&error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* --break revoke ends here with every request failed, as it should: the
   * exit status still says "not every request succeeded". */
  g_task_return_int (task, outcome->failed == 0 ? TG_CLI_EXIT_OK : TG_CLI_EXIT_FAILED);
}

static void
burst_fire (GTask *task)
{
  Burst *burst = g_task_get_task_data (task);

  tg_burst_run_async (burst->client, burst->options->requests, burst->options->path_format,
                      g_task_get_cancellable (task), burst_done, task);
}

/* ------------------------------------------------------------------------- */
/* --break natural                                                           */

/* Runs when the wait is over, or at once when the command is interrupted
 * (the cancellable is the timeout's child source). */
static gboolean
natural_expiry_reached (gpointer user_data)
{
  GTask *task = g_object_ref (user_data);

  if (g_task_return_error_if_cancelled (task))
    g_object_unref (task);
  else
    burst_fire (task);
  return G_SOURCE_REMOVE;
}

static void
burst_wait_for_expiry (GTask *task)
{
  Burst *burst = g_task_get_task_data (task);
  TgTokenManager *manager = manager_of (burst);
  gboolean proactive = tg_client_config_get_proactive (burst->options->config);
  gint64 expires_at = tg_token_manager_get_expires_at (manager);
  gint64 target, wait;
  g_autoptr(GSource) timeout = NULL;
  g_autoptr(GSource) cancelled = NULL;

  if (expires_at == 0)
    {
      g_task_return_error (task, tg_cli_error_new (TG_CLI_EXIT_FAILED,
                                                   "--break natural: the server did not say when the "
                                                   "access token expires, so there is nothing to wait for"));
      g_object_unref (task);
      return;
    }

  /* With proactive refresh the gate refreshes once the token is due;
   * without, the server must see it expired. */
  target = proactive
             ? tg_token_manager_get_refresh_due_at (manager) + 10 * G_TIME_SPAN_MILLISECOND
             : expires_at + NATURAL_MARGIN_US;
  wait = MAX (target - g_get_real_time (), 0);

  if (wait > MAX_NATURAL_WAIT_US)
    {
      g_task_return_error (task, tg_cli_error_new (TG_CLI_EXIT_FAILED,
                                                   "--break natural: the access token lasts another %"
                                                   G_GINT64_FORMAT " s, longer than the 5 minutes this waits%s",
                                                   wait / G_USEC_PER_SEC,
                                                   burst->options->embedded ? " (see --access-ttl)" : ""));
      g_object_unref (task);
      return;
    }

  burst->waited_us = wait;
  if (wait == 0)
    {
      burst_fire (task);
      return;
    }

  if (!burst->options->json && isatty (STDERR_FILENO))
    {
      fprintf (stderr, "Waiting %.1f s for the access token to expire…\n", (double) wait / G_USEC_PER_SEC);
      fflush (stderr);
    }

  timeout = g_timeout_source_new ((guint) ((wait + 999) / 1000));
  cancelled = g_cancellable_source_new (g_task_get_cancellable (task));
  g_source_set_dummy_callback (cancelled);
  g_source_add_child_source (timeout, cancelled);
  g_source_set_callback (timeout, natural_expiry_reached, task, g_object_unref);
  g_source_attach (timeout, g_task_get_context (task));
}

/* ------------------------------------------------------------------------- */
/* Breaking the session                                                      */

static void
burst_broken (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Burst *burst = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (burst->options->break_kind == TG_CLI_BREAK_EXPIRE)
    ok = tg_demo_controls_expire_access_tokens_finish (TG_DEMO_CONTROLS (source), result, &error);
  else
    ok = tg_demo_controls_revoke_sessions_finish (TG_DEMO_CONTROLS (source), result, &error);
  if (!ok)
    {
      g_autofree char *what = g_strdup_printf ("--break %s needs the demo server's controls",
                                               tg_cli_break_names[burst->options->break_kind]);

      g_task_return_error (task, tg_cli_error_about (error, server_of (burst), what));
      return;
    }
  burst_fire (g_steal_pointer (&task));
}

/* Signed in: break the session as --break says, then fire. */
static void
burst_break (GTask *task_in)
{
  g_autoptr(GTask) task = task_in;
  Burst *burst = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  switch (burst->options->break_kind)
    {
    case TG_CLI_BREAK_ACCESS:
      /* localStorage.setItem("token", "sdf") */
      tg_token_manager_replace_access_token (manager_of (burst), "sdf");
      burst_fire (g_steal_pointer (&task));
      break;

    case TG_CLI_BREAK_EXPIRE:
    case TG_CLI_BREAK_REVOKE:
      burst->demo = tg_demo_controls_new (server_of (burst), &error);
      if (burst->demo == NULL)
        {
          g_autoptr(GError) owned = error;

          g_task_return_error (task, tg_cli_error_about (owned, NULL, NULL));
          return;
        }
      if (burst->options->break_kind == TG_CLI_BREAK_EXPIRE)
        tg_demo_controls_expire_access_tokens_async (burst->demo, cancellable, burst_broken,
                                                     g_steal_pointer (&task));
      else
        tg_demo_controls_revoke_sessions_async (burst->demo, cancellable, burst_broken,
                                                g_steal_pointer (&task));
      break;

    case TG_CLI_BREAK_NATURAL:
      burst_wait_for_expiry (g_steal_pointer (&task));
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
burst_signed_in (GObject      *source,
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
  burst_break (g_steal_pointer (&task));
}

static void
burst_restored (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Burst *burst = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!tg_token_manager_restore_finish (TG_TOKEN_MANAGER (source), result, &error))
    {
      g_autofree char *session = tg_cli_options_describe_session (burst->options);

      if (error != NULL)
        g_task_return_error (task, tg_cli_error_about (error, NULL, "cannot read the kept session"));
      else
        g_task_return_error (task, tg_cli_error_new (TG_CLI_EXIT_FAILED, "not signed in %s; run "
                                                     TG_CLI_PROGRAM " login", session));
      return;
    }
  burst_break (g_steal_pointer (&task));
}

static void
burst_client_ready (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Burst *burst = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  burst->client = tg_cli_client_build_finish (result, &error);
  if (burst->client == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (burst->store != NULL)
    tg_token_manager_restore_async (manager_of (burst), cancellable, burst_restored, g_steal_pointer (&task));
  else
    tg_cli_sign_in_async (burst->client, burst->options, g_steal_pointer (&burst->password),
                          cancellable, burst_signed_in, g_steal_pointer (&task));
}

static void
burst_store_ready (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Burst *burst = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GError) error = NULL;

  burst->store = tg_token_store_new_default_finish (result, &error);
  if (burst->store == NULL)
    {
      g_task_return_error (task, tg_cli_error_about (error, NULL, "no token store"));
      return;
    }
  tg_cli_client_build_async (burst->options, burst->store, cancellable, burst_client_ready,
                             g_steal_pointer (&task));
}

void
tg_cli_burst_async (const TgCliOptions  *options,
                    char                *password,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Burst *burst = g_new0 (Burst, 1);

  g_task_set_source_tag (task, tg_cli_burst_async);
  burst->options = options;
  burst->password = password;
  g_task_set_task_data (task, burst, (GDestroyNotify) burst_free);

  /* A browser sign-in cannot be done afresh without a person at the
   * browser: use the session login kept (and keep its refreshed tokens). */
  if (tg_cli_options_uses_browser (options))
    {
      /* Said at once, not as a note: burst drops the store's notes. */
      fprintf (stderr, TG_CLI_PROGRAM ": note: burst: using the session kept by “" TG_CLI_PROGRAM
               " login” (browser sign-in) instead of signing in afresh\n");
      tg_token_store_new_default_async (cancellable, burst_store_ready, g_steal_pointer (&task));
      return;
    }

  /* Nothing kept: burst never touches the user's keyring. */
  tg_cli_client_build_async (options, NULL, cancellable, burst_client_ready, g_steal_pointer (&task));
}
