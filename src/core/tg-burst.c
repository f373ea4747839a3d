/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgBurst: N requests fired at once through a TgApiClient, and what they add
 * up to — the posts' network tab ("3 × 401 → 1 refresh → 3 × 200") as
 * numbers. The CLI's `burst` command and the benchmarks run it.
 *
 * The numbers come from the token manager's request log (every exchange,
 * refreshes and retries included) from the position it had when the burst
 * began, so the sign-in and whatever broke the session are not counted.
 */
#define G_LOG_DOMAIN "tg-burst"

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "tg-burst.h"
#include "tg-request-log-private.h"

G_DEFINE_BOXED_TYPE (TgBurstResult, tg_burst_result, tg_burst_result_copy, tg_burst_result_free)

/* ------------------------------------------------------------------------- */
/* Results                                                                   */

G_DEFINE_BOXED_TYPE (TgBurstOutcome, tg_burst_outcome, tg_burst_outcome_copy, tg_burst_outcome_free)

static void
outcome_clear (TgBurstOutcome *outcome)
{
  g_clear_pointer (&outcome->path, g_free);
  g_clear_pointer (&outcome->error_message, g_free);
}

/* Copies @from's strings, so that @to owns its own. */
static void
outcome_copy_into (TgBurstOutcome       *to,
                   const TgBurstOutcome *from)
{
  *to = *from;
  to->path = g_strdup (from->path);
  to->error_message = g_strdup (from->error_message);
}

/**
 * tg_burst_outcome_copy:
 * @outcome: a #TgBurstOutcome
 *
 * Returns: (transfer full): a deep copy of @outcome; free it with
 *   tg_burst_outcome_free()
 */
TgBurstOutcome *
tg_burst_outcome_copy (const TgBurstOutcome *outcome)
{
  TgBurstOutcome *copy;

  g_return_val_if_fail (outcome != NULL, NULL);

  copy = g_new0 (TgBurstOutcome, 1);
  outcome_copy_into (copy, outcome);
  return copy;
}

/**
 * tg_burst_outcome_free:
 * @outcome: (nullable): a #TgBurstOutcome from tg_burst_outcome_copy()
 *
 * Frees @outcome and its strings.
 */
void
tg_burst_outcome_free (TgBurstOutcome *outcome)
{
  if (outcome == NULL)
    return;

  outcome_clear (outcome);
  g_free (outcome);
}

/**
 * tg_burst_result_copy:
 * @result: a #TgBurstResult
 *
 * Returns: (transfer full): a deep copy of @result
 */
TgBurstResult *
tg_burst_result_copy (const TgBurstResult *result)
{
  TgBurstResult *copy;

  g_return_val_if_fail (result != NULL, NULL);

  copy = g_new0 (TgBurstResult, 1);
  *copy = *result;
  copy->outcomes = g_new0 (TgBurstOutcome, MAX (result->n_outcomes, 1));
  for (guint i = 0; i < result->n_outcomes; i++)
    outcome_copy_into (&copy->outcomes[i], &result->outcomes[i]);
  return copy;
}

/**
 * tg_burst_result_get_outcome:
 * @result: a #TgBurstResult
 * @index: a request's index, below #TgBurstResult.n_outcomes
 *
 * What became of one request: the way to the outcomes for languages that
 * cannot read the #TgBurstResult.outcomes array.
 *
 * Returns: (transfer none): the outcome of request @index, owned by @result
 */
const TgBurstOutcome *
tg_burst_result_get_outcome (const TgBurstResult *result,
                             guint                index)
{
  g_return_val_if_fail (result != NULL, NULL);
  g_return_val_if_fail (index < result->n_outcomes, NULL);

  return &result->outcomes[index];
}

/**
 * tg_burst_result_free:
 * @result: (nullable): a #TgBurstResult
 *
 * Frees @result and its outcomes.
 */
void
tg_burst_result_free (TgBurstResult *result)
{
  if (result == NULL)
    return;

  for (guint i = 0; i < result->n_outcomes; i++)
    outcome_clear (&result->outcomes[i]);
  g_free (result->outcomes);
  g_free (result);
}

/* ------------------------------------------------------------------------- */
/* Paths                                                                     */

/**
 * tg_burst_format_path:
 * @path_format: a path on the server in which `%u` stands for the request's
 *   index (0, 1, 2…), e.g. `/api/resources/%u`
 * @index: the request's index
 * @error: return location for a #GError
 *
 * Substitutes @index for every `%u` of @path_format. The format is never given
 * to printf(): it comes from the command line. Besides `%u`, a `%` may only
 * begin a percent-encoded octet (`%2F`); every other byte must be printable
 * ASCII without spaces. The path must begin with a single `/` (it is a path on
 * the server, never another host), and be at most
 * %TG_BURST_MAX_PATH_LENGTH bytes long once substituted.
 *
 * Returns: (transfer full) (nullable): the path, or %NULL with
 *   %G_IO_ERROR_INVALID_ARGUMENT
 */
char *
tg_burst_format_path (const char  *path_format,
                      guint        index,
                      GError     **error)
{
  g_autoptr(GString) path = NULL;

  g_return_val_if_fail (path_format != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (path_format[0] != '/' || path_format[1] == '/')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("the path must begin with a single “/”"));
      return NULL;
    }

  path = g_string_new (NULL);
  for (const char *p = path_format; *p != '\0'; p++)
    {
      if (path->len > TG_BURST_MAX_PATH_LENGTH)
        break;

      if (*p != '%')
        {
          if (*p <= ' ' || *p >= 0x7f)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("the path may hold only printable ASCII without spaces "
                             "(byte %u is 0x%02x; percent-encode it)"),
                           (guint) (p - path_format) + 1, (guint) (guchar) *p);
              return NULL;
            }
          g_string_append_c (path, *p);
        }
      else if (p[1] == 'u')
        {
          g_string_append_printf (path, "%u", index);
          p++;
        }
      else if (g_ascii_isxdigit (p[1]) && g_ascii_isxdigit (p[2]))
        {
          g_string_append_len (path, p, 3);
          p += 2;
        }
      else
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("in the path, “%%” must begin %%u (the request index) or a "
                         "percent-encoded byte like %%2F (byte %u)"),
                       (guint) (p - path_format) + 1);
          return NULL;
        }
    }

  if (path->len > TG_BURST_MAX_PATH_LENGTH)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("the path is longer than %d bytes"), TG_BURST_MAX_PATH_LENGTH);
      return NULL;
    }

  return g_string_free (g_steal_pointer (&path), FALSE);
}

/**
 * tg_burst_check_path_format:
 * @path_format: a path format, as for tg_burst_format_path()
 * @error: return location for a #GError
 *
 * Checks @path_format before any request is sent, for every index (the
 * longest index is the one that may make the path too long).
 *
 * Returns: %TRUE if tg_burst_format_path() will accept it
 */
gboolean
tg_burst_check_path_format (const char  *path_format,
                            GError     **error)
{
  g_autofree char *longest = NULL;

  g_return_val_if_fail (path_format != NULL, FALSE);

  longest = tg_burst_format_path (path_format, G_MAXUINT, error);
  return longest != NULL;
}

/* ------------------------------------------------------------------------- */
/* The burst                                                                 */

typedef struct {
  TgApiClient     *client;          /* owned */
  TgTokenManager  *manager;         /* owned */
  TgRequestLog    *log;             /* owned: the manager's */
  guint            position;        /* the log's length when the burst began */
  guint            n;
  guint            n_done;
  gulong           expired_handler;
  guint            sign_outs;
  guint            joined_before;
  guint            stale_401s_before;
  gint64           start_time;      /* monotonic µs */
  gint64           end_time;        /* monotonic µs: the last request's end */
  TgBurstOutcome  *outcomes;        /* n of them */
  guint           *request_ids;     /* the request log's id of each request */
} Burst;

typedef struct {
  GTask *task;   /* owned */
  guint  index;
} Slot;

static void
burst_free (Burst *burst)
{
  if (burst->expired_handler != 0)
    g_signal_handler_disconnect (burst->manager, burst->expired_handler);
  for (guint i = 0; i < burst->n; i++)
    outcome_clear (&burst->outcomes[i]);
  g_free (burst->outcomes);
  g_free (burst->request_ids);
  g_clear_object (&burst->log);
  g_clear_object (&burst->manager);
  g_clear_object (&burst->client);
  g_free (burst);
}

static void
on_session_expired (TgTokenManager *manager,
                    const char     *reason,
                    Burst          *burst)
{
  burst->sign_outs++;
}

static guint
manager_counter (TgTokenManager *manager,
                 const char     *name)
{
  guint value = 0;

  g_object_get (manager, name, &value, NULL);
  return value;
}

/* What the log knows about one logical request. */
typedef struct {
  guint first_status;
  guint last_status;
  guint attempts;
  const char *path;  /* the record's */
} Trace;

static void
trace_requests (Burst      *burst,
                GHashTable *traces)
{
  GListModel *model = G_LIST_MODEL (burst->log);
  guint n_items = g_list_model_get_n_items (model);

  for (guint i = burst->position; i < n_items; i++)
    {
      g_autoptr(TgRequestRecord) record = g_list_model_get_item (model, i);
      gpointer key = GUINT_TO_POINTER (tg_request_record_get_request_id (record));
      guint attempt = tg_request_record_get_attempt (record);
      Trace *trace;

      if (tg_request_record_get_kind (record) != TG_REQUEST_KIND_RESOURCE)
        continue;

      trace = g_hash_table_lookup (traces, key);
      if (trace == NULL)
        {
          trace = g_new0 (Trace, 1);
          /* The log keeps its records: the path outlives this function's use. */
          trace->path = tg_request_record_get_path (record);
          g_hash_table_insert (traces, key, trace);
        }
      if (attempt == 1)
        trace->first_status = tg_request_record_get_status (record);
      if (attempt >= trace->attempts)
        {
          trace->attempts = attempt;
          trace->last_status = tg_request_record_get_status (record);
        }
    }
}

static void
burst_complete (GTask *task)
{
  Burst *burst = g_task_get_task_data (task);
  g_autoptr(GHashTable) traces = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  TgBurstResult *result = g_new0 (TgBurstResult, 1);
  const TgRequestSummary *summary = &result->summary;

  result->wall_us = burst->end_time - burst->start_time;

  g_signal_handler_disconnect (burst->manager, burst->expired_handler);
  burst->expired_handler = 0;

  tg_request_log_summarize (burst->log, burst->position, &result->summary);
  trace_requests (burst, traces);

  result->requests = burst->n;
  result->sign_outs = burst->sign_outs;
  result->refreshes_joined = manager_counter (burst->manager, "refreshes-joined") - burst->joined_before;
  result->stale_401s = manager_counter (burst->manager, "stale-401s") - burst->stale_401s_before;
  if (summary->first_401_time != 0 && summary->last_retry_end > summary->first_401_time)
    result->recovery_us = summary->last_retry_end - summary->first_401_time;

  for (guint i = 0; i < burst->n; i++)
    {
      TgBurstOutcome *outcome = &burst->outcomes[i];
      Trace *trace = g_hash_table_lookup (traces, GUINT_TO_POINTER (burst->request_ids[i]));

      /* A request that failed before its first exchange has no record; and
       * the id is only trusted when the record is for this very path. */
      if (trace != NULL && g_strcmp0 (trace->path, outcome->path) == 0)
        {
          outcome->first_status = trace->first_status;
          if (outcome->error_message != NULL)
            {
              outcome->attempts = trace->attempts;
              outcome->status = trace->last_status;
            }
        }
      else if (outcome->attempts == 1)
        outcome->first_status = outcome->status;

      if (outcome->error_message == NULL && SOUP_STATUS_IS_SUCCESSFUL (outcome->status))
        result->succeeded++;
      else
        result->failed++;
    }

  result->outcomes = g_steal_pointer (&burst->outcomes);
  result->n_outcomes = burst->n;
  burst->n = 0;

  g_task_return_pointer (task, result, (GDestroyNotify) tg_burst_result_free);
}

static gboolean
burst_complete_cb (gpointer user_data)
{
  burst_complete (user_data);
  return G_SOURCE_REMOVE;
}

static void
request_done (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  Slot *slot = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&slot->task);
  Burst *burst = g_task_get_task_data (task);
  TgBurstOutcome *outcome = &burst->outcomes[slot->index];
  g_autoptr(TgApiResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  response = tg_api_client_send_finish (TG_API_CLIENT (source), res, &error);
  if (response != NULL)
    {
      outcome->status = response->status;
      outcome->attempts = response->attempts;
      burst->request_ids[slot->index] = response->request_id;
    }
  else
    outcome->error_message = g_strdup (error->message);
  g_free (slot);

  if (++burst->n_done == burst->n)
    {
      g_autoptr(GSource) idle = g_idle_source_new ();

      burst->end_time = g_get_monotonic_time ();
      /* The requests of a session that ends fail before the manager emits
       * ::session-expired, in the same call: sum up one turn later, so that
       * the sign-out is counted. */
      g_source_set_priority (idle, G_PRIORITY_DEFAULT);
      g_source_set_callback (idle, burst_complete_cb, g_object_ref (task), g_object_unref);
      g_source_set_name (idle, "[tg-burst] complete");
      g_source_attach (idle, g_task_get_context (task));
    }
}

/**
 * tg_burst_run_async:
 * @client: the client to send through; its token manager should be signed in
 * @n: how many requests
 * @path_format: where to send them: a path in which `%u` stands for the
 *   request's index (see tg_burst_format_path()), e.g. `/api/resources/%u`
 * @cancellable: (nullable): cancels every request of the burst
 * @callback: (scope async): called when every request has ended
 * @user_data: data for @callback
 *
 * Sends @n GET requests at once (the API client lets at most its
 * `max-in-flight` of them out together; the others wait for a slot) and sums
 * up what happened. An invalid @path_format fails the burst before anything
 * is sent, with %G_IO_ERROR_INVALID_ARGUMENT.
 */
void
tg_burst_run_async (TgApiClient         *client,
                    guint                n,
                    const char          *path_format,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  Burst *burst;

  g_return_if_fail (TG_IS_API_CLIENT (client));
  g_return_if_fail (path_format != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_burst_run_async);

  /* Every path first: a bad format sends nothing at all. */
  paths = g_ptr_array_new_full (n, g_free);
  for (guint i = 0; i < n; i++)
    {
      char *path = tg_burst_format_path (path_format, i, &error);

      if (path == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_ptr_array_add (paths, path);
    }

  burst = g_new0 (Burst, 1);
  burst->client = g_object_ref (client);
  g_object_get (client, "manager", &burst->manager, NULL);
  burst->log = g_object_ref (tg_token_manager_get_request_log (burst->manager));
  burst->position = g_list_model_get_n_items (G_LIST_MODEL (burst->log));
  burst->n = n;
  burst->outcomes = g_new0 (TgBurstOutcome, MAX (n, 1));
  burst->request_ids = g_new0 (guint, MAX (n, 1));
  burst->joined_before = manager_counter (burst->manager, "refreshes-joined");
  burst->stale_401s_before = manager_counter (burst->manager, "stale-401s");
  burst->expired_handler = g_signal_connect (burst->manager, "session-expired",
                                             G_CALLBACK (on_session_expired), burst);
  g_task_set_task_data (task, burst, (GDestroyNotify) burst_free);

  burst->start_time = g_get_monotonic_time ();

  if (n == 0)
    {
      burst->end_time = burst->start_time;
      burst_complete (task);
      return;
    }

  for (guint i = 0; i < n; i++)
    {
      Slot *slot = g_new0 (Slot, 1);
      guint probe;

      slot->task = g_object_ref (task);
      slot->index = i;
      burst->outcomes[i].path = g_steal_pointer (&paths->pdata[i]);

      /* The API client reports a request's log id only with a response; for
       * one that fails, its records are found by the id it is given — the
       * next one, taken first thing in send_async(). request_done() and
       * burst_complete() check it against the response and the path. */
      probe = tg_request_log_next_request_id (burst->log);
      burst->request_ids[i] = probe == G_MAXUINT ? 1 : probe + 1;

      tg_api_client_send_async (client, SOUP_METHOD_GET, burst->outcomes[i].path, NULL, NULL,
                                cancellable, request_done, slot);
    }
}

/**
 * tg_burst_run_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * A request that fails does not fail the burst: see the outcomes. The burst
 * itself fails only for an invalid path format, or when it was cancelled
 * (%G_IO_ERROR_CANCELLED, once every request has ended).
 *
 * Returns: (transfer full) (nullable): the result; free it with
 *   tg_burst_result_free()
 */
TgBurstResult *
tg_burst_run_finish (GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_burst_run_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
