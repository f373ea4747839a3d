/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The request log: one TgRequestRecord per HTTP exchange the client makes, kept
 * in order as a GListModel so that a GtkColumnView can show it live, and summed
 * up for the CLI and the benchmarks ("3 × 401 → 1 refresh → 3 retried, all OK").
 *
 * Token values never enter it: a record has no field that could hold one.
 */
#define G_LOG_DOMAIN "tg-request-log"

#include "config.h"

#include "tg-enums.h"
#include "tg-request-log-private.h"

/* ------------------------------------------------------------------------ */
/* TgRequestRecord                                                          */
/* ------------------------------------------------------------------------ */

/**
 * TgRequestRecord:
 *
 * One HTTP exchange: a sign-in, one attempt of a resource request, a refresh or
 * a revocation. Its properties are read-only; the #TgRequestLog that made it
 * fills them in, and notifies #TgRequestRecord:status,
 * #TgRequestRecord:end-time, #TgRequestRecord:finished and
 * #TgRequestRecord:error-message (each only if it changed) when the exchange
 * ends, so that widgets bound to them update by themselves.
 *
 * Times are g_get_monotonic_time() microseconds.
 */
struct _TgRequestRecord
{
  GObject        parent_instance;

  guint          request_id;
  guint          attempt;
  TgRequestKind  kind;
  const char    *method;         /* interned: a handful of distinct values */
  char          *path;           /* owned */
  guint          status;         /* 0 until finished, and on transport errors */
  guint          generation;
  gint64         start_time;
  gint64         end_time;       /* 0 until finished */
  char          *error_message;  /* owned, nullable */
  gboolean       finished;
};

G_DEFINE_FINAL_TYPE (TgRequestRecord, tg_request_record, G_TYPE_OBJECT)

enum {
  RECORD_PROP_0,
  RECORD_PROP_REQUEST_ID,
  RECORD_PROP_ATTEMPT,
  RECORD_PROP_KIND,
  RECORD_PROP_METHOD,
  RECORD_PROP_PATH,
  RECORD_PROP_STATUS,
  RECORD_PROP_GENERATION,
  RECORD_PROP_START_TIME,
  RECORD_PROP_END_TIME,
  RECORD_PROP_FINISHED,
  RECORD_PROP_ERROR_MESSAGE,
  RECORD_N_PROPS
};

static GParamSpec *record_properties[RECORD_N_PROPS];

static void
tg_request_record_finalize (GObject *object)
{
  TgRequestRecord *self = TG_REQUEST_RECORD (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->error_message, g_free);

  G_OBJECT_CLASS (tg_request_record_parent_class)->finalize (object);
}

static void
tg_request_record_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TgRequestRecord *self = TG_REQUEST_RECORD (object);

  switch (prop_id)
    {
    case RECORD_PROP_REQUEST_ID:
      g_value_set_uint (value, self->request_id);
      break;
    case RECORD_PROP_ATTEMPT:
      g_value_set_uint (value, self->attempt);
      break;
    case RECORD_PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case RECORD_PROP_METHOD:
      g_value_set_static_string (value, self->method);
      break;
    case RECORD_PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case RECORD_PROP_STATUS:
      g_value_set_uint (value, self->status);
      break;
    case RECORD_PROP_GENERATION:
      g_value_set_uint (value, self->generation);
      break;
    case RECORD_PROP_START_TIME:
      g_value_set_int64 (value, self->start_time);
      break;
    case RECORD_PROP_END_TIME:
      g_value_set_int64 (value, self->end_time);
      break;
    case RECORD_PROP_FINISHED:
      g_value_set_boolean (value, self->finished);
      break;
    case RECORD_PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error_message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_request_record_class_init (TgRequestRecordClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  /* Read-only to everyone: only the log writes a record, through the private
   * helpers below, so what the UI shows is what was on the wire. */
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = tg_request_record_finalize;
  object_class->get_property = tg_request_record_get_property;

  /**
   * TgRequestRecord:request-id:
   *
   * The logical request this exchange belongs to; a retry shares its id.
   */
  record_properties[RECORD_PROP_REQUEST_ID] =
    g_param_spec_uint ("request-id", NULL, NULL, 0, G_MAXUINT, 0, flags);

  /**
   * TgRequestRecord:attempt:
   *
   * 1 for the first send, 2 for the retry after a refresh.
   */
  record_properties[RECORD_PROP_ATTEMPT] =
    g_param_spec_uint ("attempt", NULL, NULL, 0, G_MAXUINT, 0, flags);

  /**
   * TgRequestRecord:kind:
   *
   * What sort of exchange this is.
   */
  record_properties[RECORD_PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL,
                       TG_TYPE_REQUEST_KIND, TG_REQUEST_KIND_RESOURCE, flags);

  /**
   * TgRequestRecord:method:
   *
   * The HTTP method.
   */
  record_properties[RECORD_PROP_METHOD] =
    g_param_spec_string ("method", NULL, NULL, NULL, flags);

  /**
   * TgRequestRecord:path:
   *
   * The request path as the caller gave it.
   */
  record_properties[RECORD_PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL, flags);

  /**
   * TgRequestRecord:status:
   *
   * The HTTP status; 0 until the exchange ends, and after a transport error.
   */
  record_properties[RECORD_PROP_STATUS] =
    g_param_spec_uint ("status", NULL, NULL, 0, G_MAXUINT, 0, flags);

  /**
   * TgRequestRecord:generation:
   *
   * The generation of the access token the request was sent with; for a
   * refresh, the generation it replaces.
   */
  record_properties[RECORD_PROP_GENERATION] =
    g_param_spec_uint ("generation", NULL, NULL, 0, G_MAXUINT, 0, flags);

  /**
   * TgRequestRecord:start-time:
   *
   * When the exchange began, in monotonic microseconds.
   */
  record_properties[RECORD_PROP_START_TIME] =
    g_param_spec_int64 ("start-time", NULL, NULL, 0, G_MAXINT64, 0, flags);

  /**
   * TgRequestRecord:end-time:
   *
   * When the exchange ended, in monotonic microseconds; 0 until then.
   */
  record_properties[RECORD_PROP_END_TIME] =
    g_param_spec_int64 ("end-time", NULL, NULL, 0, G_MAXINT64, 0, flags);

  /**
   * TgRequestRecord:finished:
   *
   * Whether the exchange has ended, with an answer or with an error.
   */
  record_properties[RECORD_PROP_FINISHED] =
    g_param_spec_boolean ("finished", NULL, NULL, FALSE, flags);

  /**
   * TgRequestRecord:error-message:
   *
   * Why the exchange failed without (or despite) an HTTP answer, or %NULL.
   */
  record_properties[RECORD_PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, RECORD_N_PROPS, record_properties);
}

static void
tg_request_record_init (TgRequestRecord *self)
{
}

/* Marks @self as ended. Every field is set before any notify is emitted (the
 * notify queue is frozen), so a handler watching one property already sees the
 * others in their final state — a row never shows "finished" with status 0. */
static void
_tg_request_record_finish (TgRequestRecord *self,
                           guint            status,
                           const char      *error_message,
                           gint64           end_time)
{
  GObject *object = G_OBJECT (self);
  gboolean status_changed = self->status != status;
  gboolean end_time_changed = self->end_time != end_time;
  gboolean error_changed = g_strcmp0 (self->error_message, error_message) != 0;

  g_assert (!self->finished);

  /* Every field first, then the notifications: whichever a listener gets, it
   * reads the finished record whole. The same guarantee as freezing the
   * notifications, without the queue that costs every request a thousand
   * instructions (tests/bench/cost-per-request) when nobody listens. */
  self->status = status;
  self->end_time = end_time;
  if (error_changed)
    {
      g_free (self->error_message);
      self->error_message = g_strdup (error_message);
    }
  self->finished = TRUE;

  if (status_changed)
    g_object_notify_by_pspec (object, record_properties[RECORD_PROP_STATUS]);
  if (end_time_changed)
    g_object_notify_by_pspec (object, record_properties[RECORD_PROP_END_TIME]);
  if (error_changed)
    g_object_notify_by_pspec (object, record_properties[RECORD_PROP_ERROR_MESSAGE]);
  g_object_notify_by_pspec (object, record_properties[RECORD_PROP_FINISHED]);
}

/**
 * tg_request_record_get_request_id:
 * @self: a #TgRequestRecord
 *
 * Returns: the id of the logical request; attempts of one request share it
 */
guint
tg_request_record_get_request_id (TgRequestRecord *self)
{
  g_return_val_if_fail (TG_IS_REQUEST_RECORD (self), 0);

  return self->request_id;
}

/**
 * tg_request_record_get_attempt:
 * @self: a #TgRequestRecord
 *
 * Returns: 1 for a first send, 2 for a retry
 */
guint
tg_request_record_get_attempt (TgRequestRecord *self)
{
  g_return_val_if_fail (TG_IS_REQUEST_RECORD (self), 0);

  return self->attempt;
}

/**
 * tg_request_record_get_kind:
 * @self: a #TgRequestRecord
 *
 * Returns: what sort of exchange this is
 */
TgRequestKind
tg_request_record_get_kind (TgRequestRecord *self)
{
  g_return_val_if_fail (TG_IS_REQUEST_RECORD (self), TG_REQUEST_KIND_RESOURCE);

  return self->kind;
}

/**
 * tg_request_record_get_method:
 * @self: a #TgRequestRecord
 *
 * Returns: (transfer none): the HTTP method
 */
const char *
tg_request_record_get_method (TgRequestRecord *self)
{
  g_return_val_if_fail (TG_IS_REQUEST_RECORD (self), NULL);

  return self->method;
}

/**
 * tg_request_record_get_path:
 * @self: a #TgRequestRecord
 *
 * Returns: (transfer none): the request path
 */
const char *
tg_request_record_get_path (TgRequestRecord *self)
{
  g_return_val_if_fail (TG_IS_REQUEST_RECORD (self), NULL);

  return self->path;
}

/**
 * tg_request_record_get_status:
 * @self: a #TgRequestRecord
 *
 * Returns: the HTTP status, or 0 before the end and after a transport error
 */
guint
tg_request_record_get_status (TgRequestRecord *self)
{
  g_return_val_if_fail (TG_IS_REQUEST_RECORD (self), 0);

  return self->status;
}

/**
 * tg_request_record_get_generation:
 * @self: a #TgRequestRecord
 *
 * Returns: the access-token generation the request went out with (for a
 *   refresh: the generation it replaces)
 */
guint
tg_request_record_get_generation (TgRequestRecord *self)
{
  g_return_val_if_fail (TG_IS_REQUEST_RECORD (self), 0);

  return self->generation;
}

/**
 * tg_request_record_get_start_time:
 * @self: a #TgRequestRecord
 *
 * Returns: when the exchange began, in monotonic microseconds
 */
gint64
tg_request_record_get_start_time (TgRequestRecord *self)
{
  g_return_val_if_fail (TG_IS_REQUEST_RECORD (self), 0);

  return self->start_time;
}

/**
 * tg_request_record_get_end_time:
 * @self: a #TgRequestRecord
 *
 * Returns: when the exchange ended, in monotonic microseconds, or 0
 */
gint64
tg_request_record_get_end_time (TgRequestRecord *self)
{
  g_return_val_if_fail (TG_IS_REQUEST_RECORD (self), 0);

  return self->end_time;
}

/**
 * tg_request_record_is_finished:
 * @self: a #TgRequestRecord
 *
 * Returns: whether the exchange has ended
 */
gboolean
tg_request_record_is_finished (TgRequestRecord *self)
{
  g_return_val_if_fail (TG_IS_REQUEST_RECORD (self), FALSE);

  return self->finished;
}

/**
 * tg_request_record_get_error_message:
 * @self: a #TgRequestRecord
 *
 * Returns: (transfer none) (nullable): why the exchange failed, or %NULL
 */
const char *
tg_request_record_get_error_message (TgRequestRecord *self)
{
  g_return_val_if_fail (TG_IS_REQUEST_RECORD (self), NULL);

  return self->error_message;
}

/* ------------------------------------------------------------------------ */
/* TgRequestLog                                                             */
/* ------------------------------------------------------------------------ */

/**
 * TgRequestLog:
 *
 * Every HTTP exchange the client makes, in the order the exchanges began, as a
 * #GListModel of #TgRequestRecord.
 *
 * tg_request_log_begin() appends a record (emitting #GListModel::items-changed);
 * tg_request_log_end() completes it, and the record notifies its own properties
 * — the model does not emit items-changed for that, which keeps a live list
 * view from rebuilding rows on every answer.
 *
 * A log is not thread-safe: create it, add to it, read it and clear it from one
 * thread (the one whose main context the client core runs on). GListModel
 * consumers such as GtkColumnView expect exactly that.
 */
struct _TgRequestLog
{
  GObject    parent_instance;

  GPtrArray *records;          /* owned; of owned TgRequestRecord, in begin order */
  guint      last_request_id;  /* survives clear(), so ids are never reused */
};

static void tg_request_log_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TgRequestLog, tg_request_log, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      tg_request_log_list_model_init))

enum {
  LOG_PROP_0,
  LOG_PROP_N_ITEMS,
  LOG_N_PROPS
};

static GParamSpec *log_properties[LOG_N_PROPS];

static GType
tg_request_log_get_item_type (GListModel *model)
{
  return TG_TYPE_REQUEST_RECORD;
}

static guint
tg_request_log_get_n_items (GListModel *model)
{
  TgRequestLog *self = TG_REQUEST_LOG (model);

  return self->records->len;
}

static gpointer
tg_request_log_get_item (GListModel *model,
                         guint       position)
{
  TgRequestLog *self = TG_REQUEST_LOG (model);

  if (position >= self->records->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->records, position));
}

static void
tg_request_log_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = tg_request_log_get_item_type;
  iface->get_n_items = tg_request_log_get_n_items;
  iface->get_item = tg_request_log_get_item;
}

static void
tg_request_log_finalize (GObject *object)
{
  TgRequestLog *self = TG_REQUEST_LOG (object);

  /* Records hold no reference back to the log, so there is no cycle to break
   * in dispose; callers that kept a record keep it alive on their own. */
  g_clear_pointer (&self->records, g_ptr_array_unref);

  G_OBJECT_CLASS (tg_request_log_parent_class)->finalize (object);
}

static void
tg_request_log_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TgRequestLog *self = TG_REQUEST_LOG (object);

  switch (prop_id)
    {
    case LOG_PROP_N_ITEMS:
      g_value_set_uint (value, self->records->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_request_log_class_init (TgRequestLogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tg_request_log_finalize;
  object_class->get_property = tg_request_log_get_property;

  /**
   * TgRequestLog:n-items:
   *
   * How many records the log holds, like #GListStore:n-items: something a
   * label ("42 requests") can bind to without listening to items-changed.
   */
  log_properties[LOG_PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, LOG_N_PROPS, log_properties);
}

static void
tg_request_log_init (TgRequestLog *self)
{
  self->records = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * tg_request_log_new:
 *
 * Returns: (transfer full): a new, empty log
 */
TgRequestLog *
tg_request_log_new (void)
{
  return g_object_new (TG_TYPE_REQUEST_LOG, NULL);
}

/**
 * tg_request_log_begin:
 * @self: a #TgRequestLog
 * @kind: what sort of exchange
 * @request_id: the logical request (from tg_request_log_next_request_id());
 *   attempts of one request share it
 * @attempt: 1 for a first send, 2 for its retry
 * @method: the HTTP method
 * @path: the request path. Leave out any query string that might carry a
 *   credential: the log is shown on screen and printed by the CLI.
 * @generation: the access-token generation the request goes out with; for a
 *   %TG_REQUEST_KIND_REFRESH, the generation being replaced
 *
 * Records that an exchange is starting now and appends it to the model.
 *
 * The record belongs to the log. Hold a reference of your own if it may
 * outlive the log's contents — tg_request_log_clear() can run while the
 * exchange is still in flight, and tg_request_log_end() must still be given a
 * live record.
 *
 * Returns: (transfer none): the new record, to pass to tg_request_log_end()
 */
TgRequestRecord *
tg_request_log_begin (TgRequestLog  *self,
                      TgRequestKind  kind,
                      guint          request_id,
                      guint          attempt,
                      const char    *method,
                      const char    *path,
                      guint          generation)
{
  TgRequestRecord *record;
  guint position;

  g_return_val_if_fail (TG_IS_REQUEST_LOG (self), NULL);
  g_return_val_if_fail ((guint) kind <= TG_REQUEST_KIND_REVOKE, NULL);
  g_return_val_if_fail (attempt >= 1, NULL);
  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  /* Filled in directly rather than through construct properties: nobody can
   * be listening yet, and a burst of 10,000 requests should not pay for
   * GValue marshalling of eight properties each. */
  record = g_object_new (TG_TYPE_REQUEST_RECORD, NULL);
  record->request_id = request_id;
  record->attempt = attempt;
  record->kind = kind;
  record->method = g_intern_string (method);
  record->path = g_strdup (path);
  record->generation = generation;
  record->start_time = g_get_monotonic_time ();

  position = self->records->len;
  g_ptr_array_add (self->records, record);

  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
  g_object_notify_by_pspec (G_OBJECT (self), log_properties[LOG_PROP_N_ITEMS]);

  return record;
}

/**
 * tg_request_log_end:
 * @self: a #TgRequestLog
 * @record: a record from tg_request_log_begin() on @self that has not ended
 * @status: the HTTP status, or 0 if there was no answer
 * @error: (nullable): why the exchange failed, if it did
 *
 * Records that an exchange ended now. @record notifies the properties that
 * changed; the model emits nothing, since no row was added or removed.
 *
 * A record ends once: ending it again is a programming error.
 */
void
tg_request_log_end (TgRequestLog    *self,
                    TgRequestRecord *record,
                    guint            status,
                    const GError    *error)
{
  g_return_if_fail (TG_IS_REQUEST_LOG (self));
  g_return_if_fail (TG_IS_REQUEST_RECORD (record));
  g_return_if_fail (!record->finished);

  _tg_request_record_finish (record, status,
                             error != NULL ? error->message : NULL,
                             g_get_monotonic_time ());
}

/**
 * tg_request_log_next_request_id:
 * @self: a #TgRequestLog
 *
 * Hands out ids for logical requests: 1, 2, 3… Clearing the log does not
 * restart the count, so an id seen before a clear never names a different
 * request after it.
 *
 * Returns: a fresh request id, never 0
 */
guint
tg_request_log_next_request_id (TgRequestLog *self)
{
  g_return_val_if_fail (TG_IS_REQUEST_LOG (self), 0);

  /* Keep 0 free to mean "no request", even after 2³² ids. */
  if (G_UNLIKELY (self->last_request_id == G_MAXUINT))
    self->last_request_id = 0;

  return ++self->last_request_id;
}

/**
 * tg_request_log_clear:
 * @self: a #TgRequestLog
 *
 * Removes every record. Exchanges still in flight can still be ended through
 * a reference their owner kept; they just no longer show in the model.
 */
void
tg_request_log_clear (TgRequestLog *self)
{
  g_autoptr(GPtrArray) old = NULL;
  guint n_removed;

  g_return_if_fail (TG_IS_REQUEST_LOG (self));

  n_removed = self->records->len;
  if (n_removed == 0)
    return;

  /* Swap the array out before telling anyone, so that handlers of
   * items-changed already see the empty model; the old records are released
   * after the signal, once views have let go of their rows. */
  old = g_steal_pointer (&self->records);
  self->records = g_ptr_array_new_with_free_func (g_object_unref);

  g_list_model_items_changed (G_LIST_MODEL (self), 0, n_removed, 0);
  g_object_notify_by_pspec (G_OBJECT (self), log_properties[LOG_PROP_N_ITEMS]);
}

static gboolean
status_is_success (guint status)
{
  return status >= 200 && status < 400;
}

G_DEFINE_BOXED_TYPE (TgRequestSummary, tg_request_summary,
                     tg_request_summary_copy, tg_request_summary_free)

/**
 * tg_request_summary_copy:
 * @summary: a #TgRequestSummary
 *
 * Returns: (transfer full): a copy of @summary; free it with
 *   tg_request_summary_free()
 */
TgRequestSummary *
tg_request_summary_copy (const TgRequestSummary *summary)
{
  g_return_val_if_fail (summary != NULL, NULL);

  return g_memdup2 (summary, sizeof *summary);
}

/**
 * tg_request_summary_free:
 * @summary: (nullable): a #TgRequestSummary from tg_request_summary_copy()
 *
 * Frees @summary.
 */
void
tg_request_summary_free (TgRequestSummary *summary)
{
  g_free (summary);
}

/**
 * tg_request_log_summarize:
 * @self: a #TgRequestLog
 * @from_position: the first position to count; earlier records are ignored,
 *   so a caller can note g_list_model_get_n_items() before a burst and sum up
 *   only that burst. A position at or past the end gives an empty summary.
 * @summary: (out caller-allocates): where to put the numbers
 *
 * Adds up the records from @from_position on:
 *
 * - a logical request is a distinct request id among resource records; it
 *   succeeded if its highest attempt ended 2xx/3xx without error, and failed
 *   otherwise (including when that attempt has not ended yet);
 * - a stale send is a resource record begun after a refresh of its own
 *   generation had begun (the refresh's generation is the one it replaces):
 *   the request left with a token that was already being replaced. A retry
 *   carries the new generation and is not stale. "After" is the log's order,
 *   which is start-time order with ties broken by which began first — two
 *   exchanges can start within the same microsecond.
 *
 * Runs in time linear in the number of records counted.
 */
void
tg_request_log_summarize (TgRequestLog     *self,
                          guint             from_position,
                          TgRequestSummary *summary)
{
  /* request id → the record of its highest attempt */
  g_autoptr(GHashTable) last_attempts = NULL;
  /* generations for which a refresh has begun so far, in log order */
  g_autoptr(GHashTable) refreshed_generations = NULL;
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (TG_IS_REQUEST_LOG (self));
  g_return_if_fail (summary != NULL);

  *summary = (TgRequestSummary) { 0 };

  last_attempts = g_hash_table_new (NULL, NULL);
  refreshed_generations = g_hash_table_new (NULL, NULL);

  /* One pass in begin order: a refresh seen earlier in the walk began before
   * every record that follows it, which is all the stale test needs. */
  for (guint i = from_position; i < self->records->len; i++)
    {
      TgRequestRecord *record = g_ptr_array_index (self->records, i);

      summary->http_messages++;

      if (summary->first_start == 0 || record->start_time < summary->first_start)
        summary->first_start = record->start_time;
      summary->last_end = MAX (summary->last_end, record->end_time);

      switch (record->kind)
        {
        case TG_REQUEST_KIND_REFRESH:
          /* A refresh retried after a transient failure is still one refresh. */
          if (record->attempt <= 1)
            summary->refreshes++;
          g_hash_table_add (refreshed_generations, GUINT_TO_POINTER (record->generation));
          break;

        case TG_REQUEST_KIND_RESOURCE:
          {
            TgRequestRecord *last = g_hash_table_lookup (last_attempts,
                                                         GUINT_TO_POINTER (record->request_id));

            /* On equal attempts the later record wins: it is what the caller
             * saw last. */
            if (last == NULL || record->attempt >= last->attempt)
              g_hash_table_insert (last_attempts,
                                   GUINT_TO_POINTER (record->request_id), record);

            if (record->finished && record->status == 401)
              {
                summary->resource_401++;
                if (summary->first_401_time == 0 || record->end_time < summary->first_401_time)
                  summary->first_401_time = record->end_time;
              }

            if (record->attempt >= 2)
              {
                summary->retries++;
                summary->last_retry_end = MAX (summary->last_retry_end, record->end_time);
              }

            if (g_hash_table_contains (refreshed_generations,
                                       GUINT_TO_POINTER (record->generation)))
              summary->stale_sends++;
          }
          break;

        case TG_REQUEST_KIND_SIGN_IN:
        case TG_REQUEST_KIND_REVOKE:
        default:
          break;
        }
    }

  summary->requests = g_hash_table_size (last_attempts);

  g_hash_table_iter_init (&iter, last_attempts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      TgRequestRecord *last = value;

      if (last->finished && last->error_message == NULL && status_is_success (last->status))
        summary->succeeded++;
      else
        summary->failed++;
    }
}
