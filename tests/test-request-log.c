/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgRequestLog: the GListModel contract a GtkColumnView relies on, the records'
 * notifications, and the summary the CLI and the benchmarks print — checked
 * against hand-built sequences with exact numbers.
 */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "tg-enums.h"
#include "tg-request-log-private.h"
#include "tg-test-util.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct {
  guint position;
  guint removed;
  guint added;
} Change;

typedef struct {
  GArray *changes;  /* of Change */
  guint   n_items_notifies;
} ModelWatch;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  ModelWatch *watch)
{
  Change change = { position, removed, added };

  /* The model must already be in its new state when it says so: a list view
   * reads the added rows from inside this handler. */
  if (added > 0)
    {
      g_autoptr(TgRequestRecord) record = g_list_model_get_item (model, position + added - 1);

      g_assert_nonnull (record);
      g_assert_cmpuint (position + added, <=, g_list_model_get_n_items (model));
    }
  g_array_append_val (watch->changes, change);
}

static void
on_n_items_notify (GObject    *object,
                   GParamSpec *pspec,
                   ModelWatch *watch)
{
  watch->n_items_notifies++;
}

static void
model_watch_init (ModelWatch   *watch,
                  TgRequestLog *log)
{
  watch->changes = g_array_new (FALSE, TRUE, sizeof (Change));
  watch->n_items_notifies = 0;
  g_signal_connect (log, "items-changed", G_CALLBACK (on_items_changed), watch);
  g_signal_connect (log, "notify::n-items", G_CALLBACK (on_n_items_notify), watch);
}

static void
model_watch_clear (ModelWatch   *watch,
                   TgRequestLog *log)
{
  g_signal_handlers_disconnect_by_data (log, watch);
  g_clear_pointer (&watch->changes, g_array_unref);
}

static void
assert_change (ModelWatch *watch,
               guint       index,
               guint       position,
               guint       removed,
               guint       added)
{
  Change *change;

  g_assert_cmpuint (index, <, watch->changes->len);
  change = &g_array_index (watch->changes, Change, index);
  g_assert_cmpuint (change->position, ==, position);
  g_assert_cmpuint (change->removed, ==, removed);
  g_assert_cmpuint (change->added, ==, added);
}

/* Counts notify emissions per property name. */
static void
on_record_notify (GObject    *object,
                  GParamSpec *pspec,
                  GHashTable *counts)
{
  const char *name = g_param_spec_get_name (pspec);
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, name));

  /* Every field is set before the first notification, so whichever one a
   * widget listens to, the record it reads is complete. */
  g_assert_true (tg_request_record_is_finished (TG_REQUEST_RECORD (object)));
  g_assert_cmpint (tg_request_record_get_end_time (TG_REQUEST_RECORD (object)), >, 0);

  g_hash_table_insert (counts, (gpointer) name, GUINT_TO_POINTER (count + 1));
}

static guint
notify_count (GHashTable *counts,
              const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (counts, name));
}

static void
unref_counts (gpointer  data,
              GClosure *closure)
{
  g_hash_table_unref (data);
}

static GHashTable *
watch_record (TgRequestRecord *record)
{
  GHashTable *counts = g_hash_table_new (g_str_hash, g_str_equal);

  g_signal_connect_data (record, "notify", G_CALLBACK (on_record_notify),
                         g_hash_table_ref (counts), unref_counts, 0);
  return counts;
}

/* The story the app exists to show: three requests leave with generation
 * @generation, all get 401, one refresh replaces that generation, and the
 * three are retried with the new one. The last retry answers @last_retry_status. */
typedef struct {
  TgRequestRecord *first;        /* the first record of the burst */
  TgRequestRecord *first_401;    /* the first 401 to arrive */
  TgRequestRecord *last_retry;   /* the retry that ended last */
} Burst;

static void
run_burst (TgRequestLog *log,
           guint         generation,
           guint         last_retry_status,
           Burst        *burst)
{
  TgRequestRecord *attempts[3];
  TgRequestRecord *retries[3];
  TgRequestRecord *refresh;
  guint ids[3];

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/items/%u", i);

      ids[i] = tg_request_log_next_request_id (log);
      attempts[i] = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, ids[i], 1,
                                          "GET", path, generation);
    }
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    tg_request_log_end (log, attempts[i], 401, NULL);

  refresh = tg_request_log_begin (log, TG_REQUEST_KIND_REFRESH,
                                  tg_request_log_next_request_id (log), 1,
                                  "POST", "/authorization/refresh", generation);
  tg_request_log_end (log, refresh, 200, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/items/%u", i);

      retries[i] = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, ids[i], 2,
                                         "GET", path, generation + 1);
    }
  tg_request_log_end (log, retries[0], 200, NULL);
  tg_request_log_end (log, retries[1], 200, NULL);
  tg_request_log_end (log, retries[2], last_retry_status, NULL);

  burst->first = attempts[0];
  burst->first_401 = attempts[0];
  burst->last_retry = retries[2];
}

/* ------------------------------------------------------------------------ */
/* The model                                                                */
/* ------------------------------------------------------------------------ */

static void
test_model (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  GListModel *model = G_LIST_MODEL (log);
  ModelWatch watch;
  TgRequestRecord *records[3];
  guint n_items = 0;

  model_watch_init (&watch, log);

  g_assert_true (g_type_is_a (TG_TYPE_REQUEST_LOG, G_TYPE_LIST_MODEL));
  g_assert_true (g_list_model_get_item_type (model) == TG_TYPE_REQUEST_RECORD);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_assert_null (g_list_model_get_item (model, 0));

  for (guint i = 0; i < G_N_ELEMENTS (records); i++)
    {
      records[i] = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE,
                                         tg_request_log_next_request_id (log), 1,
                                         "GET", "/api/items", 1);
      g_assert_nonnull (records[i]);
      assert_change (&watch, i, i, 0, 1);
    }
  g_assert_cmpuint (watch.changes->len, ==, 3);
  g_assert_cmpuint (watch.n_items_notifies, ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  g_object_get (log, "n-items", &n_items, NULL);
  g_assert_cmpuint (n_items, ==, 3);

  for (guint i = 0; i < G_N_ELEMENTS (records); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);

      /* get_item hands out a new reference to the very record begin() made. */
      g_assert_true (item == (GObject *) records[i]);
      g_assert_true (TG_IS_REQUEST_RECORD (item));
    }
  g_assert_null (g_list_model_get_item (model, 3));
  g_assert_null (g_list_model_get_item (model, G_MAXUINT));

  /* Ending a record changes no row count: the record notifies on its own. */
  tg_request_log_end (log, records[1], 200, NULL);
  tg_request_log_end (log, records[0], 404, NULL);
  g_assert_cmpuint (watch.changes->len, ==, 3);
  g_assert_cmpuint (watch.n_items_notifies, ==, 3);

  tg_request_log_clear (log);
  g_assert_cmpuint (watch.changes->len, ==, 4);
  assert_change (&watch, 3, 0, 3, 0);
  g_assert_cmpuint (watch.n_items_notifies, ==, 4);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_assert_null (g_list_model_get_item (model, 0));

  /* Clearing an empty log says nothing. */
  tg_request_log_clear (log);
  g_assert_cmpuint (watch.changes->len, ==, 4);
  g_assert_cmpuint (watch.n_items_notifies, ==, 4);

  /* Positions start again at 0 after a clear. */
  tg_request_log_begin (log, TG_REQUEST_KIND_SIGN_IN,
                        tg_request_log_next_request_id (log), 1,
                        "POST", "/authorization/token", 0);
  assert_change (&watch, 4, 0, 0, 1);

  model_watch_clear (&watch, log);
  g_assert_finalize_object (g_steal_pointer (&log));
}

/* ------------------------------------------------------------------------ */
/* Records                                                                  */
/* ------------------------------------------------------------------------ */

static void
test_record_properties (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  g_autoptr(GHashTable) counts = NULL;
  g_autofree char *method = NULL;
  g_autofree char *path = NULL;
  g_autofree char *error_message = NULL;
  TgRequestRecord *record;
  guint request_id, attempt, status, generation;
  TgRequestKind kind;
  gint64 start_time, end_time, before;
  gboolean finished;

  before = g_get_monotonic_time ();
  record = g_object_ref (tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 7, 2,
                                               "PUT", "/api/items/7", 4));

  g_assert_cmpuint (tg_request_record_get_request_id (record), ==, 7);
  g_assert_cmpuint (tg_request_record_get_attempt (record), ==, 2);
  g_assert_cmpint (tg_request_record_get_kind (record), ==, TG_REQUEST_KIND_RESOURCE);
  g_assert_cmpstr (tg_request_record_get_method (record), ==, "PUT");
  g_assert_cmpstr (tg_request_record_get_path (record), ==, "/api/items/7");
  g_assert_cmpuint (tg_request_record_get_status (record), ==, 0);
  g_assert_cmpuint (tg_request_record_get_generation (record), ==, 4);
  g_assert_cmpint (tg_request_record_get_start_time (record), >=, before);
  g_assert_cmpint (tg_request_record_get_start_time (record), <=, g_get_monotonic_time ());
  g_assert_cmpint (tg_request_record_get_end_time (record), ==, 0);
  g_assert_false (tg_request_record_is_finished (record));
  g_assert_null (tg_request_record_get_error_message (record));

  /* The same through GObject properties, which is what a column view binds. */
  g_object_get (record,
                "request-id", &request_id,
                "attempt", &attempt,
                "kind", &kind,
                "method", &method,
                "path", &path,
                "status", &status,
                "generation", &generation,
                "start-time", &start_time,
                "end-time", &end_time,
                "finished", &finished,
                "error-message", &error_message,
                NULL);
  g_assert_cmpuint (request_id, ==, 7);
  g_assert_cmpuint (attempt, ==, 2);
  g_assert_cmpint (kind, ==, TG_REQUEST_KIND_RESOURCE);
  g_assert_cmpstr (method, ==, "PUT");
  g_assert_cmpstr (path, ==, "/api/items/7");
  g_assert_cmpuint (status, ==, 0);
  g_assert_cmpuint (generation, ==, 4);
  g_assert_cmpint (start_time, ==, tg_request_record_get_start_time (record));
  g_assert_cmpint (end_time, ==, 0);
  g_assert_false (finished);
  g_assert_null (error_message);

  /* Read-only: nobody but the log may change what was on the wire. */
  {
    const char *names[] = { "request-id", "attempt", "kind", "method", "path", "status",
                            "generation", "start-time", "end-time", "finished",
                            "error-message" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (record), names[i]);

        g_assert_nonnull (pspec);
        g_assert_false (pspec->flags & G_PARAM_WRITABLE);
        g_assert_true (pspec->flags & G_PARAM_EXPLICIT_NOTIFY);
      }
    g_assert_true (G_PARAM_SPEC_VALUE_TYPE (g_object_class_find_property (G_OBJECT_GET_CLASS (record),
                                                                         "kind")) == TG_TYPE_REQUEST_KIND);
  }

  counts = watch_record (record);
  tg_request_log_end (log, record, 201, NULL);

  /* Each changed property once; error-message stayed NULL, so no notify. */
  g_assert_cmpuint (notify_count (counts, "status"), ==, 1);
  g_assert_cmpuint (notify_count (counts, "end-time"), ==, 1);
  g_assert_cmpuint (notify_count (counts, "finished"), ==, 1);
  g_assert_cmpuint (notify_count (counts, "error-message"), ==, 0);
  g_assert_cmpuint (g_hash_table_size (counts), ==, 3);

  g_assert_cmpuint (tg_request_record_get_status (record), ==, 201);
  g_assert_true (tg_request_record_is_finished (record));
  g_assert_cmpint (tg_request_record_get_end_time (record), >=,
                   tg_request_record_get_start_time (record));
  g_assert_null (tg_request_record_get_error_message (record));

  /* The log goes first; the record we kept a reference to outlives it. */
  g_assert_finalize_object (g_steal_pointer (&log));
  g_assert_finalize_object (record);
}

static void
test_record_error (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  g_autoptr(GHashTable) counts = NULL;
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                                                 "Connection refused");
  TgRequestRecord *record;

  record = g_object_ref (tg_request_log_begin (log, TG_REQUEST_KIND_REVOKE,
                                               tg_request_log_next_request_id (log), 1,
                                               "POST", "/authorization/revoke", 3));
  counts = watch_record (record);

  /* A transport error: no status, so status (still 0) is not notified. */
  tg_request_log_end (log, record, 0, error);
  g_assert_cmpuint (notify_count (counts, "status"), ==, 0);
  g_assert_cmpuint (notify_count (counts, "end-time"), ==, 1);
  g_assert_cmpuint (notify_count (counts, "finished"), ==, 1);
  g_assert_cmpuint (notify_count (counts, "error-message"), ==, 1);
  g_assert_cmpuint (g_hash_table_size (counts), ==, 3);

  g_assert_cmpuint (tg_request_record_get_status (record), ==, 0);
  g_assert_cmpstr (tg_request_record_get_error_message (record), ==, "Connection refused");
  g_assert_cmpint (tg_request_record_get_kind (record), ==, TG_REQUEST_KIND_REVOKE);

  g_assert_finalize_object (g_steal_pointer (&log));
  g_assert_finalize_object (record);
}

/* An exchange still in flight when the user clears the log can still be
 * ended through the reference its owner kept; the model stays quiet. */
static void
test_end_after_clear (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  g_autoptr(GHashTable) counts = NULL;
  ModelWatch watch;
  TgRequestRecord *record;

  record = g_object_ref (tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE,
                                               tg_request_log_next_request_id (log), 1,
                                               "GET", "/api/slow", 1));
  model_watch_init (&watch, log);
  counts = watch_record (record);

  tg_request_log_clear (log);
  assert_change (&watch, 0, 0, 1, 0);

  tg_request_log_end (log, record, 200, NULL);
  g_assert_cmpuint (watch.changes->len, ==, 1);
  g_assert_cmpuint (notify_count (counts, "finished"), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 0);

  model_watch_clear (&watch, log);
  g_assert_finalize_object (g_steal_pointer (&log));
  g_assert_finalize_object (record);
}

/* ------------------------------------------------------------------------ */
/* Ids and misuse                                                           */
/* ------------------------------------------------------------------------ */

static void
test_request_ids (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  g_autoptr(TgRequestLog) other = tg_request_log_new ();

  g_assert_cmpuint (tg_request_log_next_request_id (log), ==, 1);
  g_assert_cmpuint (tg_request_log_next_request_id (log), ==, 2);
  g_assert_cmpuint (tg_request_log_next_request_id (log), ==, 3);

  tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 3, 1, "GET", "/api/items", 1);
  tg_request_log_clear (log);

  /* Ids keep counting after a clear, so an id never names two requests. */
  g_assert_cmpuint (tg_request_log_next_request_id (log), ==, 4);
  g_assert_cmpuint (tg_request_log_next_request_id (log), ==, 5);

  /* Each log counts on its own. */
  g_assert_cmpuint (tg_request_log_next_request_id (other), ==, 1);

  g_assert_finalize_object (g_steal_pointer (&log));
  g_assert_finalize_object (g_steal_pointer (&other));
}

static void
test_end_twice (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  g_autoptr(GHashTable) counts = NULL;
  TgRequestRecord *record;

  record = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 1, 1, "GET", "/api/items", 1);
  tg_request_log_end (log, record, 401, NULL);
  counts = watch_record (record);

  /* A record ends once; a second end is a bug in the caller and must not
   * rewrite what the first one recorded. */
  g_test_expect_message ("tg-request-log", G_LOG_LEVEL_CRITICAL,
                         "*tg_request_log_end*!record->finished*");
  tg_request_log_end (log, record, 200, NULL);
  g_test_assert_expected_messages ();

  g_assert_cmpuint (tg_request_record_get_status (record), ==, 401);
  g_assert_cmpuint (g_hash_table_size (counts), ==, 0);

  g_assert_finalize_object (g_steal_pointer (&log));
}

static void
test_begin_invalid (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  ModelWatch watch;

  model_watch_init (&watch, log);

  /* Attempts count from 1. */
  g_test_expect_message ("tg-request-log", G_LOG_LEVEL_CRITICAL, "*attempt >= 1*");
  g_assert_null (tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 1, 0,
                                       "GET", "/api/items", 1));
  g_test_assert_expected_messages ();

  g_test_expect_message ("tg-request-log", G_LOG_LEVEL_CRITICAL, "*path != NULL*");
  g_assert_null (tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 1, 1,
                                       "GET", NULL, 1));
  g_test_assert_expected_messages ();

  /* Nothing was appended. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 0);
  g_assert_cmpuint (watch.changes->len, ==, 0);

  model_watch_clear (&watch, log);
  g_assert_finalize_object (g_steal_pointer (&log));
}

/* ------------------------------------------------------------------------ */
/* Summaries                                                                */
/* ------------------------------------------------------------------------ */

static void
test_summary_empty (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  TgRequestSummary summary;

  memset (&summary, 0xff, sizeof summary);
  tg_request_log_summarize (log, 0, &summary);

  g_assert_cmpuint (summary.requests, ==, 0);
  g_assert_cmpuint (summary.succeeded, ==, 0);
  g_assert_cmpuint (summary.failed, ==, 0);
  g_assert_cmpuint (summary.http_messages, ==, 0);
  g_assert_cmpuint (summary.resource_401, ==, 0);
  g_assert_cmpuint (summary.refreshes, ==, 0);
  g_assert_cmpuint (summary.retries, ==, 0);
  g_assert_cmpuint (summary.stale_sends, ==, 0);
  g_assert_cmpint (summary.first_401_time, ==, 0);
  g_assert_cmpint (summary.last_retry_end, ==, 0);
  g_assert_cmpint (summary.first_start, ==, 0);
  g_assert_cmpint (summary.last_end, ==, 0);

  g_assert_finalize_object (g_steal_pointer (&log));
}

/* 3 × 401 → 1 refresh → 3 × 200. */
static void
test_summary_burst (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  TgRequestSummary summary;
  Burst burst;

  run_burst (log, 1, 200, &burst);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 7);

  tg_request_log_summarize (log, 0, &summary);
  g_assert_cmpuint (summary.requests, ==, 3);
  g_assert_cmpuint (summary.succeeded, ==, 3);
  g_assert_cmpuint (summary.failed, ==, 0);
  g_assert_cmpuint (summary.http_messages, ==, 7);
  g_assert_cmpuint (summary.resource_401, ==, 3);
  g_assert_cmpuint (summary.refreshes, ==, 1);
  g_assert_cmpuint (summary.retries, ==, 3);
  g_assert_cmpuint (summary.stale_sends, ==, 0);
  g_assert_cmpint (summary.first_401_time, ==, tg_request_record_get_end_time (burst.first_401));
  g_assert_cmpint (summary.last_retry_end, ==, tg_request_record_get_end_time (burst.last_retry));
  g_assert_cmpint (summary.first_start, ==, tg_request_record_get_start_time (burst.first));
  g_assert_cmpint (summary.last_end, ==, tg_request_record_get_end_time (burst.last_retry));
  g_assert_cmpint (summary.first_401_time, >, 0);
  g_assert_cmpint (summary.first_start, <=, summary.first_401_time);
  g_assert_cmpint (summary.first_401_time, <=, summary.last_retry_end);

  g_assert_finalize_object (g_steal_pointer (&log));
}

/* 3 × 401 → 1 refresh → 200, 200, 401: the rejected retry fails its request. */
static void
test_summary_retry_fails (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  TgRequestSummary summary;
  Burst burst;

  run_burst (log, 1, 401, &burst);

  tg_request_log_summarize (log, 0, &summary);
  g_assert_cmpuint (summary.requests, ==, 3);
  g_assert_cmpuint (summary.succeeded, ==, 2);
  g_assert_cmpuint (summary.failed, ==, 1);
  g_assert_cmpuint (summary.http_messages, ==, 7);
  g_assert_cmpuint (summary.resource_401, ==, 4);
  g_assert_cmpuint (summary.refreshes, ==, 1);
  g_assert_cmpuint (summary.retries, ==, 3);
  g_assert_cmpuint (summary.stale_sends, ==, 0);
  g_assert_cmpint (summary.first_401_time, ==, tg_request_record_get_end_time (burst.first_401));
  g_assert_cmpint (summary.last_retry_end, ==, tg_request_record_get_end_time (burst.last_retry));
  g_assert_cmpint (summary.last_end, ==, tg_request_record_get_end_time (burst.last_retry));

  g_assert_finalize_object (g_steal_pointer (&log));
}

/* How each way of ending counts: a request is judged by its highest attempt. */
static void
test_summary_outcomes (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Timed out");
  TgRequestSummary summary;
  TgRequestRecord *record;
  TgRequestRecord *sign_in;
  TgRequestRecord *retry;
  TgRequestRecord *unfinished;

  sign_in = tg_request_log_begin (log, TG_REQUEST_KIND_SIGN_IN, 1, 1,
                                  "POST", "/authorization/token", 0);
  tg_request_log_end (log, sign_in, 200, NULL);

  /* 302 succeeded */
  record = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 2, 1, "GET", "/a", 1);
  tg_request_log_end (log, record, 302, NULL);
  /* 404 failed */
  record = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 3, 1, "GET", "/b", 1);
  tg_request_log_end (log, record, 404, NULL);
  /* transport error failed */
  record = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 4, 1, "GET", "/c", 1);
  tg_request_log_end (log, record, 0, error);
  /* 200 with an error (say, an unreadable body) failed */
  record = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 5, 1, "GET", "/d", 1);
  tg_request_log_end (log, record, 200, error);
  /* attempt 1 succeeded but attempt 2 failed: failed (the last word counts) */
  record = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 6, 1, "GET", "/e", 1);
  tg_request_log_end (log, record, 401, NULL);
  retry = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 6, 2, "GET", "/e", 2);
  tg_request_log_end (log, retry, 503, NULL);
  /* 199 is not a success */
  record = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 7, 1, "GET", "/f", 1);
  tg_request_log_end (log, record, 199, NULL);
  /* 204 succeeded */
  record = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 8, 1, "GET", "/g", 1);
  tg_request_log_end (log, record, 204, NULL);
  /* still in flight: failed, and counts toward nothing timed */
  unfinished = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 9, 2, "GET", "/h", 2);

  tg_request_log_summarize (log, 0, &summary);
  g_assert_cmpuint (summary.requests, ==, 8);
  g_assert_cmpuint (summary.succeeded, ==, 2);
  g_assert_cmpuint (summary.failed, ==, 6);
  g_assert_cmpuint (summary.http_messages, ==, 10);
  g_assert_cmpuint (summary.resource_401, ==, 1);
  g_assert_cmpuint (summary.refreshes, ==, 0);
  g_assert_cmpuint (summary.retries, ==, 2);
  g_assert_cmpuint (summary.stale_sends, ==, 0);
  /* The unfinished retry has no end yet; the finished one is the last. */
  g_assert_cmpint (summary.last_retry_end, ==, tg_request_record_get_end_time (retry));
  g_assert_cmpint (summary.first_start, ==, tg_request_record_get_start_time (sign_in));
  g_assert_cmpint (summary.last_end, ==, tg_request_record_get_end_time (record));

  /* Once it answers, it counts. */
  tg_request_log_end (log, unfinished, 200, NULL);
  tg_request_log_summarize (log, 0, &summary);
  g_assert_cmpuint (summary.succeeded, ==, 3);
  g_assert_cmpuint (summary.failed, ==, 5);
  g_assert_cmpint (summary.last_retry_end, ==, tg_request_record_get_end_time (unfinished));
  g_assert_cmpint (summary.last_end, ==, tg_request_record_get_end_time (unfinished));

  g_assert_finalize_object (g_steal_pointer (&log));
}

/* A stale send: a request that leaves with a token whose generation a refresh
 * is already replacing (or has replaced). */
static void
test_summary_stale (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  TgRequestSummary summary;
  TgRequestRecord *early, *refresh, *during, *after, *retry, *fresh, *other;

  /* Left before the refresh began: an honest 401, not stale. */
  early = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 1, 1, "GET", "/early", 1);
  refresh = tg_request_log_begin (log, TG_REQUEST_KIND_REFRESH, 2, 1,
                                  "POST", "/authorization/refresh", 1);
  /* Left with generation 1 while its refresh was in flight: stale. */
  during = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 3, 1, "GET", "/during", 1);
  tg_request_log_end (log, early, 401, NULL);
  tg_request_log_end (log, refresh, 200, NULL);
  /* Still generation 1 after the refresh was done: stale too. */
  after = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 4, 1, "GET", "/after", 1);
  /* The retry carries the new generation: not stale. */
  retry = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 1, 2, "GET", "/early", 2);
  /* A new request with the new token: not stale. */
  fresh = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 5, 1, "GET", "/fresh", 2);
  /* Generation 0 was never refreshed here: not stale. */
  other = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 6, 1, "GET", "/other", 0);

  tg_request_log_end (log, during, 401, NULL);
  tg_request_log_end (log, after, 401, NULL);
  tg_request_log_end (log, retry, 200, NULL);
  tg_request_log_end (log, fresh, 200, NULL);
  tg_request_log_end (log, other, 200, NULL);

  g_assert_cmpint (tg_request_record_get_start_time (during), >=,
                   tg_request_record_get_start_time (refresh));

  tg_request_log_summarize (log, 0, &summary);
  g_assert_cmpuint (summary.stale_sends, ==, 2);
  g_assert_cmpuint (summary.requests, ==, 5);
  g_assert_cmpuint (summary.succeeded, ==, 3);
  g_assert_cmpuint (summary.failed, ==, 2);
  g_assert_cmpuint (summary.resource_401, ==, 3);
  g_assert_cmpuint (summary.refreshes, ==, 1);
  g_assert_cmpuint (summary.retries, ==, 1);
  g_assert_cmpuint (summary.http_messages, ==, 7);
  g_assert_cmpint (summary.first_401_time, ==, tg_request_record_get_end_time (early));
  g_assert_cmpint (summary.last_retry_end, ==, tg_request_record_get_end_time (retry));

  /* A refresh of generation 2 after the fact makes nothing earlier stale. */
  tg_request_log_end (log,
                      tg_request_log_begin (log, TG_REQUEST_KIND_REFRESH, 7, 1,
                                            "POST", "/authorization/refresh", 2),
                      200, NULL);
  tg_request_log_summarize (log, 0, &summary);
  g_assert_cmpuint (summary.stale_sends, ==, 2);
  g_assert_cmpuint (summary.refreshes, ==, 2);

  g_assert_finalize_object (g_steal_pointer (&log));
}

/* summarize(from_position) sums up one burst and ignores what came before. */
static void
test_summary_from_position (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  TgRequestSummary summary;
  Burst first, second;
  guint mark, n_items;

  run_burst (log, 1, 200, &first);
  mark = g_list_model_get_n_items (G_LIST_MODEL (log));
  run_burst (log, 2, 500, &second);
  n_items = g_list_model_get_n_items (G_LIST_MODEL (log));
  g_assert_cmpuint (n_items, ==, 14);

  tg_request_log_summarize (log, mark, &summary);
  g_assert_cmpuint (summary.requests, ==, 3);
  g_assert_cmpuint (summary.succeeded, ==, 2);
  g_assert_cmpuint (summary.failed, ==, 1);
  g_assert_cmpuint (summary.http_messages, ==, 7);
  g_assert_cmpuint (summary.resource_401, ==, 3);
  g_assert_cmpuint (summary.refreshes, ==, 1);
  g_assert_cmpuint (summary.retries, ==, 3);
  g_assert_cmpuint (summary.stale_sends, ==, 0);
  g_assert_cmpint (summary.first_401_time, ==, tg_request_record_get_end_time (second.first_401));
  g_assert_cmpint (summary.last_retry_end, ==, tg_request_record_get_end_time (second.last_retry));
  g_assert_cmpint (summary.first_start, ==, tg_request_record_get_start_time (second.first));
  g_assert_cmpint (summary.last_end, ==, tg_request_record_get_end_time (second.last_retry));

  /* The whole log for comparison. */
  tg_request_log_summarize (log, 0, &summary);
  g_assert_cmpuint (summary.requests, ==, 6);
  g_assert_cmpuint (summary.succeeded, ==, 5);
  g_assert_cmpuint (summary.failed, ==, 1);
  g_assert_cmpuint (summary.http_messages, ==, 14);
  g_assert_cmpuint (summary.resource_401, ==, 6);
  g_assert_cmpuint (summary.refreshes, ==, 2);
  g_assert_cmpuint (summary.retries, ==, 6);
  g_assert_cmpint (summary.first_401_time, ==, tg_request_record_get_end_time (first.first_401));
  g_assert_cmpint (summary.first_start, ==, tg_request_record_get_start_time (first.first));

  /* Starting mid-request: the retries alone still make three requests, judged
   * by those retries. */
  tg_request_log_summarize (log, mark + 4, &summary);
  g_assert_cmpuint (summary.requests, ==, 3);
  g_assert_cmpuint (summary.http_messages, ==, 3);
  g_assert_cmpuint (summary.refreshes, ==, 0);
  g_assert_cmpuint (summary.retries, ==, 3);
  g_assert_cmpuint (summary.resource_401, ==, 0);
  g_assert_cmpint (summary.first_401_time, ==, 0);

  /* The range decides what is stale, too: a generation-1 request after the
   * mark is not stale when the refresh of generation 1 lies before it. */
  tg_request_log_end (log,
                      tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 99, 1,
                                            "GET", "/late", 1),
                      401, NULL);
  tg_request_log_summarize (log, 0, &summary);
  g_assert_cmpuint (summary.stale_sends, ==, 1);
  tg_request_log_summarize (log, mark, &summary);
  g_assert_cmpuint (summary.stale_sends, ==, 0);
  n_items = g_list_model_get_n_items (G_LIST_MODEL (log));

  /* At or past the end: nothing to count. */
  tg_request_log_summarize (log, n_items, &summary);
  g_assert_cmpuint (summary.http_messages, ==, 0);
  g_assert_cmpuint (summary.requests, ==, 0);
  g_assert_cmpint (summary.first_start, ==, 0);
  g_assert_cmpint (summary.last_end, ==, 0);
  tg_request_log_summarize (log, n_items + 100, &summary);
  g_assert_cmpuint (summary.http_messages, ==, 0);
  tg_request_log_summarize (log, G_MAXUINT, &summary);
  g_assert_cmpuint (summary.http_messages, ==, 0);

  g_assert_finalize_object (g_steal_pointer (&log));
}

/* 20,000 records, the size of a big benchmark burst, summed up exactly. */
#define N_FIRST    8000   /* first sends with generation 1; the odd ones get 401 */
#define N_STALE    2000   /* sent with generation 1 while its refresh runs: 401 */
#define N_FRESH    3998   /* sent afterwards with generation 2: 200 */
#define RETRY_FAIL_EVERY 1000  /* every 1000th retry is rejected again */

static void
test_summary_large (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  g_autoptr(GPtrArray) rejected = g_ptr_array_new ();  /* attempts answered 401 */
  g_autoptr(GTimer) timer = NULL;
  TgRequestSummary summary;
  TgRequestRecord *sign_in, *refresh, *first_401 = NULL, *last_retry = NULL, *last = NULL;
  guint retry_failures = 0;

  sign_in = tg_request_log_begin (log, TG_REQUEST_KIND_SIGN_IN,
                                  tg_request_log_next_request_id (log), 1,
                                  "POST", "/authorization/token", 0);
  tg_request_log_end (log, sign_in, 200, NULL);

  {
    g_autoptr(GPtrArray) in_flight = g_ptr_array_new ();

    for (guint i = 0; i < N_FIRST; i++)
      g_ptr_array_add (in_flight,
                       tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE,
                                             tg_request_log_next_request_id (log), 1,
                                             "GET", "/api/items", 1));
    for (guint i = 0; i < in_flight->len; i++)
      {
        TgRequestRecord *record = g_ptr_array_index (in_flight, i);

        tg_request_log_end (log, record, i % 2 ? 401 : 200, NULL);
        if (i % 2)
          {
            if (first_401 == NULL)
              first_401 = record;
            g_ptr_array_add (rejected, record);
          }
      }
  }

  refresh = tg_request_log_begin (log, TG_REQUEST_KIND_REFRESH,
                                  tg_request_log_next_request_id (log), 1,
                                  "POST", "/authorization/refresh", 1);
  for (guint i = 0; i < N_STALE; i++)
    {
      TgRequestRecord *record = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE,
                                                      tg_request_log_next_request_id (log), 1,
                                                      "GET", "/api/items", 1);

      tg_request_log_end (log, record, 401, NULL);
      g_ptr_array_add (rejected, record);
    }
  tg_request_log_end (log, refresh, 200, NULL);

  for (guint i = 0; i < rejected->len; i++)
    {
      TgRequestRecord *attempt = g_ptr_array_index (rejected, i);
      gboolean fail = (i + 1) % RETRY_FAIL_EVERY == 0;

      last_retry = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE,
                                         tg_request_record_get_request_id (attempt), 2,
                                         "GET", "/api/items", 2);
      tg_request_log_end (log, last_retry, fail ? 401 : 200, NULL);
      retry_failures += fail;
    }

  for (guint i = 0; i < N_FRESH; i++)
    {
      last = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE,
                                   tg_request_log_next_request_id (log), 1,
                                   "GET", "/api/items", 2);
      tg_request_log_end (log, last, 200, NULL);
    }

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 20000);
  g_assert_cmpuint (rejected->len, ==, N_FIRST / 2 + N_STALE);
  g_assert_cmpuint (retry_failures, ==, 6);

  timer = g_timer_new ();
  tg_request_log_summarize (log, 0, &summary);
  g_test_message ("summarized 20000 records in %.3f ms", g_timer_elapsed (timer, NULL) * 1000);

  g_assert_cmpuint (summary.requests, ==, N_FIRST + N_STALE + N_FRESH);
  g_assert_cmpuint (summary.succeeded, ==, N_FIRST + N_STALE + N_FRESH - retry_failures);
  g_assert_cmpuint (summary.failed, ==, retry_failures);
  g_assert_cmpuint (summary.http_messages, ==, 20000);
  g_assert_cmpuint (summary.resource_401, ==, N_FIRST / 2 + N_STALE + retry_failures);
  g_assert_cmpuint (summary.refreshes, ==, 1);
  g_assert_cmpuint (summary.retries, ==, N_FIRST / 2 + N_STALE);
  g_assert_cmpuint (summary.stale_sends, ==, N_STALE);
  g_assert_cmpint (summary.first_401_time, ==, tg_request_record_get_end_time (first_401));
  g_assert_cmpint (summary.last_retry_end, ==, tg_request_record_get_end_time (last_retry));
  g_assert_cmpint (summary.first_start, ==, tg_request_record_get_start_time (sign_in));
  g_assert_cmpint (summary.last_end, ==, tg_request_record_get_end_time (last));

  /* From the refresh on: the stale sends, the retries and the fresh ones. */
  tg_request_log_summarize (log, 1 + N_FIRST, &summary);
  g_assert_cmpuint (summary.http_messages, ==, 20000 - 1 - N_FIRST);
  g_assert_cmpuint (summary.refreshes, ==, 1);
  g_assert_cmpuint (summary.stale_sends, ==, N_STALE);
  /* The first sends' retries now stand alone, next to the stale and fresh ones. */
  g_assert_cmpuint (summary.requests, ==, N_FIRST / 2 + N_STALE + N_FRESH);
  g_assert_cmpuint (summary.failed, ==, retry_failures);

  g_assert_finalize_object (g_steal_pointer (&log));
}

int
main (int    argc,
      char **argv)
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/core/request-log/model", test_model);
  g_test_add_func ("/core/request-log/record/properties", test_record_properties);
  g_test_add_func ("/core/request-log/record/error", test_record_error);
  g_test_add_func ("/core/request-log/record/end-after-clear", test_end_after_clear);
  g_test_add_func ("/core/request-log/request-ids", test_request_ids);
  g_test_add_func ("/core/request-log/end-twice", test_end_twice);
  g_test_add_func ("/core/request-log/begin-invalid", test_begin_invalid);
  g_test_add_func ("/core/request-log/summary/empty", test_summary_empty);
  g_test_add_func ("/core/request-log/summary/burst", test_summary_burst);
  g_test_add_func ("/core/request-log/summary/retry-fails", test_summary_retry_fails);
  g_test_add_func ("/core/request-log/summary/outcomes", test_summary_outcomes);
  g_test_add_func ("/core/request-log/summary/stale", test_summary_stale);
  g_test_add_func ("/core/request-log/summary/from-position", test_summary_from_position);
  g_test_add_func ("/core/request-log/summary/large", test_summary_large);

  return g_test_run ();
}
