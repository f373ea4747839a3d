/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The network tab of the posts, for the request log: a GtkColumnView with one
 * row per HTTP exchange, coloured by outcome, and a one-line summary of the
 * last burst ("3 × 401 → 1 refresh → 3 retried, all OK").
 *
 * It has to stay smooth at 10,000 rows while a burst is still writing to the
 * log, so:
 * - the view recycles its rows: cells are made once per visible row
 *   (GtkSignalListItemFactory::setup) and rebound as the user scrolls;
 * - a bound cell follows only its own record's notify::finished, and lets go
 *   of it on unbind — no handler per record for rows nobody sees;
 * - the view does not show the log itself but a GtkSliceListModel of it
 *   (from the first record, `size` long) that grows once per frame, by at
 *   most MAX_ROWS_PER_FRAME: GTK 4.8's list item manager does work
 *   proportional to the model on every items-changed (1,000 records
 *   appended one by one cost 1,000 times that; a batch, once), and a jump to
 *   the newest row rebinds every row it keeps around the new position (up to
 *   200): a cap on the batch keeps each frame short while a burst of
 *   thousands scrolls by. Appends past the end of the slice cost nothing;
 * - the summary, the count and the scroll to the newest row are recomputed at
 *   most once per frame (a tick callback), however many records finish in it.
 */
#define G_LOG_DOMAIN "tg-network-view"

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "tg-network-view.h"

/* Rows the view takes in per frame while it catches up with the log. */
#define MAX_ROWS_PER_FRAME 32

typedef enum {
  COLUMN_TIME,
  COLUMN_METHOD,
  COLUMN_PATH,
  COLUMN_STATUS,
  COLUMN_KIND,
  COLUMN_GENERATION,
  COLUMN_ATTEMPT,
  COLUMN_DURATION,
  N_COLUMNS
} Column;

/* The columns are a table rather than eight near-identical blocks of XML:
 * every cell is the same GtkInscription, only its width and text differ. The
 * character counts keep column widths steady while rows are recycled — the
 * view measures only the rows it shows. */
static const struct {
  const char *title;
  guint       min_chars;
  guint       nat_chars;
  float       xalign;
  gboolean    expand;
  gboolean    numeric;
} column_info[N_COLUMNS] = {
  /* Translators: column titles of the network log; keep them short */
  [COLUMN_TIME]       = { N_("Time"),       8,  9, 1.0f, FALSE, TRUE  },
  [COLUMN_METHOD]     = { N_("Method"),     4,  5, 0.0f, FALSE, FALSE },
  [COLUMN_PATH]       = { N_("Path"),      14, 24, 0.0f, TRUE,  FALSE },
  [COLUMN_STATUS]     = { N_("Status"),     3,  4, 1.0f, FALSE, TRUE  },
  [COLUMN_KIND]       = { N_("Kind"),       7,  7, 0.0f, FALSE, FALSE },
  /* Translators: the access-token generation a request went out with */
  [COLUMN_GENERATION] = { N_("Gen."),       2,  3, 1.0f, FALSE, TRUE  },
  /* Translators: 1 for a first send, 2 for the retry */
  [COLUMN_ATTEMPT]    = { N_("Try"),        2,  3, 1.0f, FALSE, TRUE  },
  [COLUMN_DURATION]   = { N_("Duration"),   8,  9, 1.0f, FALSE, TRUE  },
};

/* What a factory's handlers need: which view, which column. */
typedef struct {
  TgNetworkView *self;
  Column         column;
} CellContext;

typedef struct {
  guint  position;    /* first record of the burst */
  gint64 time;        /* when it was marked, monotonic µs */
} BurstMark;

struct _TgNetworkView
{
  GtkWidget           parent_instance;

  TgRequestLog       *log;            /* owned, nullable */
  GtkSliceListModel  *rows;           /* owned, nullable: the part of the log shown */
  GSignalGroup       *log_signals;    /* owned */
  GtkSingleSelection *selection;      /* owned */
  CellContext         contexts[N_COLUMNS];

  /* Bursts, oldest first, so that every row's time is relative to the start
   * of its own burst, not only the rows of the last one. */
  GArray             *marks;          /* of BurstMark */
  gboolean            has_burst;

  /* Unfinished records of the last burst → the summary must change when they
   * end. Owned refs; the handler is disconnected when they finish. */
  GHashTable         *pending;

  char               *summary;        /* owned */
  guint               tick_id;
  guint               rows_idle_id;   /* catching up while unmapped */
  gboolean            rows_pending;
  gboolean            summary_dirty;
  gboolean            scroll_pending;
  gboolean            stick_to_end;   /* follow new rows until the user scrolls up */
  double              last_value;

  /* template children */
  GtkColumnView      *column_view;
  GtkScrolledWindow  *scroller;
  GtkLabel           *summary_label;
  GtkLabel           *detail_label;
  GtkWidget          *clear_button;
};

G_DEFINE_FINAL_TYPE (TgNetworkView, tg_network_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_LOG,
  PROP_SUMMARY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GQuark cell_context_quark;
static GQuark cell_item_quark;
static GQuark cell_class_quark;

static void queue_update (TgNetworkView *self);

/* ------------------------------------------------------------------------ */
/* Cells                                                                    */

static gboolean
status_is_success (guint status)
{
  return status >= 200 && status < 400;
}

/* The style class for a record's row: libadwaita's semantic colours, so that
 * the dark style gets its own shades. */
static const char *
outcome_class (TgRequestRecord *record)
{
  guint status;

  if (!tg_request_record_is_finished (record))
    return "dim-label";

  status = tg_request_record_get_status (record);

  if (tg_request_record_get_error_message (record) != NULL && status == 0)
    return "error";

  if (tg_request_record_get_kind (record) == TG_REQUEST_KIND_REFRESH)
    return status_is_success (status) ? "accent" : "error";

  if (status_is_success (status))
    return "success";
  if (status == 401)
    return "warning";
  return "error";
}

static const char *
kind_text (TgRequestRecord *record)
{
  switch (tg_request_record_get_kind (record))
    {
    case TG_REQUEST_KIND_SIGN_IN:
      return C_("request kind", "sign-in");
    case TG_REQUEST_KIND_REFRESH:
      return C_("request kind", "refresh");
    case TG_REQUEST_KIND_REVOKE:
      return C_("request kind", "revoke");
    case TG_REQUEST_KIND_RESOURCE:
    default:
      /* A second attempt of the same request is the retry after a refresh. */
      return tg_request_record_get_attempt (record) >= 2
        ? C_("request kind", "retry")
        : C_("request kind", "request");
    }
}

static char *
format_ms (gint64 usec)
{
  double ms = usec / 1000.0;

  if (ms < 10.0)
    /* Translators: a duration in milliseconds, e.g. "3.2 ms" */
    return g_strdup_printf (_("%.1f ms"), ms);
  /* Translators: a duration in milliseconds, e.g. "120 ms" */
  return g_strdup_printf (_("%.0f ms"), ms);
}

/* Where the burst that @position belongs to began: the last mark at or
 * before it, or the first record of the log for what came before any burst
 * (the sign-in and the first fetch). */
static gint64
time_origin (TgNetworkView *self,
             guint          position)
{
  g_autoptr(TgRequestRecord) first = NULL;
  guint lo = 0, hi = self->marks->len;

  /* Binary search for the last mark whose position is <= @position. */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (self->marks, BurstMark, mid).position <= position)
        lo = mid + 1;
      else
        hi = mid;
    }

  if (lo > 0)
    return g_array_index (self->marks, BurstMark, lo - 1).time;

  if (self->log != NULL)
    first = g_list_model_get_item (G_LIST_MODEL (self->log), 0);

  return first != NULL ? tg_request_record_get_start_time (first) : 0;
}

static void
update_cell (GtkInscription  *cell,
             TgRequestRecord *record,
             gboolean         everything)
{
  CellContext *context = g_object_get_qdata (G_OBJECT (cell), cell_context_quark);
  GtkListItem *item = g_object_get_qdata (G_OBJECT (cell), cell_item_quark);
  gboolean finished = tg_request_record_is_finished (record);
  g_autofree char *owned = NULL;
  const char *text = NULL;
  const char *classes[3] = { NULL, };
  const char *outcome;
  guint n_classes = 0;

  switch (context->column)
    {
    case COLUMN_TIME:
      if (everything)
        {
          gint64 origin = time_origin (context->self, gtk_list_item_get_position (item));
          gint64 offset = tg_request_record_get_start_time (record) - origin;

          /* Translators: a start time after the start of the burst, e.g. "+12 ms" */
          text = owned = g_strdup_printf (_("+%.0f ms"), MAX (offset, 0) / 1000.0);
        }
      break;

    case COLUMN_METHOD:
      if (everything)
        text = tg_request_record_get_method (record);
      break;

    case COLUMN_PATH:
      if (everything)
        text = tg_request_record_get_path (record);
      break;

    case COLUMN_STATUS:
      {
        guint status = tg_request_record_get_status (record);

        /* The tooltip (the error, or the status phrase) is asked for when
         * shown, in on_status_query_tooltip(): setting it here, for every row
         * as records finish, costs an X server round trip per call on X11 and
         * stalled big bursts. */
        if (!finished)
          text = "…";
        else if (status == 0)
          /* Translators: in the Status column, for an exchange without an HTTP answer */
          text = C_("status", "error");
        else
          text = owned = g_strdup_printf ("%u", status);
      }
      break;

    case COLUMN_KIND:
      if (everything)
        text = kind_text (record);
      break;

    case COLUMN_GENERATION:
      if (everything)
        text = owned = g_strdup_printf ("%u", tg_request_record_get_generation (record));
      break;

    case COLUMN_ATTEMPT:
      if (everything)
        text = owned = g_strdup_printf ("%u", tg_request_record_get_attempt (record));
      break;

    case COLUMN_DURATION:
      if (finished)
        text = owned = format_ms (tg_request_record_get_end_time (record)
                                  - tg_request_record_get_start_time (record));
      else
        text = "…";
      break;

    case N_COLUMNS:
    default:
      g_assert_not_reached ();
    }

  /* A recycled cell often shows the same thing again ("GET", "200",
   * "success"): skip what did not change. Above all the style class — a
   * class change restyles the cell, and after a jump to the newest row a
   * whole screen of cells is rebound in one frame. */
  if (text != NULL && g_strcmp0 (text, gtk_inscription_get_text (cell)) != 0)
    gtk_inscription_set_text (cell, text);

  outcome = outcome_class (record);
  if (g_object_get_qdata (G_OBJECT (cell), cell_class_quark) != outcome)
    {
      if (column_info[context->column].numeric)
        classes[n_classes++] = "numeric";
      classes[n_classes++] = outcome;
      gtk_widget_set_css_classes (GTK_WIDGET (cell), classes);
      /* The classes are static strings: their addresses tell them apart. */
      g_object_set_qdata (G_OBJECT (cell), cell_class_quark, (gpointer) outcome);
    }
}

static void
on_cell_record_finished (TgRequestRecord *record,
                         GParamSpec      *pspec,
                         GtkInscription  *cell)
{
  update_cell (cell, record, FALSE);
}

static gboolean
on_status_query_tooltip (GtkWidget  *cell,
                         int         x,
                         int         y,
                         gboolean    keyboard,
                         GtkTooltip *tooltip,
                         gpointer    user_data)
{
  GtkListItem *item = g_object_get_qdata (G_OBJECT (cell), cell_item_quark);
  TgRequestRecord *record = item != NULL ? gtk_list_item_get_item (item) : NULL;
  const char *text;
  guint status;

  if (record == NULL)
    return FALSE;

  status = tg_request_record_get_status (record);
  text = tg_request_record_get_error_message (record);
  if (text == NULL && tg_request_record_is_finished (record) && status != 0)
    text = soup_status_get_phrase (status);
  if (text == NULL)
    return FALSE;

  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
cell_setup (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            CellContext              *context)
{
  GtkWidget *cell = gtk_inscription_new (NULL);

  gtk_inscription_set_min_chars (GTK_INSCRIPTION (cell), column_info[context->column].min_chars);
  gtk_inscription_set_nat_chars (GTK_INSCRIPTION (cell), column_info[context->column].nat_chars);
  gtk_inscription_set_xalign (GTK_INSCRIPTION (cell), column_info[context->column].xalign);
  gtk_inscription_set_text_overflow (GTK_INSCRIPTION (cell),
                                     context->column == COLUMN_PATH
                                       ? GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_MIDDLE
                                       : GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
  g_object_set_qdata (G_OBJECT (cell), cell_context_quark, context);
  /* The item owns the cell, so a plain pointer back cannot dangle. */
  g_object_set_qdata (G_OBJECT (cell), cell_item_quark, item);
  if (context->column == COLUMN_STATUS)
    {
      gtk_widget_set_has_tooltip (GTK_WIDGET (cell), TRUE);
      g_signal_connect (cell, "query-tooltip", G_CALLBACK (on_status_query_tooltip), NULL);
    }

  gtk_list_item_set_child (item, cell);
}

static void
cell_bind (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           CellContext              *context)
{
  GtkWidget *cell = gtk_list_item_get_child (item);
  TgRequestRecord *record = gtk_list_item_get_item (item);

  update_cell (GTK_INSCRIPTION (cell), record, TRUE);

  if (!tg_request_record_is_finished (record))
    g_signal_connect_object (record, "notify::finished",
                             G_CALLBACK (on_cell_record_finished), cell, 0);
}

static void
cell_unbind (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             CellContext              *context)
{
  GtkWidget *cell = gtk_list_item_get_child (item);
  TgRequestRecord *record = gtk_list_item_get_item (item);

  if (record != NULL)
    g_signal_handlers_disconnect_by_func (record, on_cell_record_finished, cell);
}

static void
add_columns (TgNetworkView *self)
{
  for (guint i = 0; i < N_COLUMNS; i++)
    {
      g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) column = NULL;

      self->contexts[i].self = self;
      self->contexts[i].column = i;

      g_signal_connect (factory, "setup", G_CALLBACK (cell_setup), &self->contexts[i]);
      g_signal_connect (factory, "bind", G_CALLBACK (cell_bind), &self->contexts[i]);
      g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind), &self->contexts[i]);

      column = gtk_column_view_column_new (_(column_info[i].title), g_steal_pointer (&factory));
      gtk_column_view_column_set_expand (column, column_info[i].expand);
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_append_column (self->column_view, column);
    }
}

/* ------------------------------------------------------------------------ */
/* Summary                                                                  */

static guint
burst_start (TgNetworkView *self)
{
  if (self->marks->len == 0)
    return 0;
  return g_array_index (self->marks, BurstMark, self->marks->len - 1).position;
}

/* "3 × 401 → 1 refresh → 3 retried, all OK" and its variants. */
static char *
describe_burst (const TgRequestSummary *summary,
                guint                   pending,
                gboolean                session_ended)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (summary->http_messages == 0)
    return g_strdup (_("Sending…"));

  if (summary->resource_401 == 0)
    {
      /* Translators: the burst got no 401 answer */
      g_string_append (text, _("no 401s"));
      if (summary->refreshes > 0)
        /* Translators: a refresh that happened without a 401, because the
         * token was about to expire; follows "no 401s" */
        g_string_append_printf (text, ngettext (", %u refresh before sending",
                                                ", %u refreshes before sending",
                                                summary->refreshes),
                                summary->refreshes);
    }
  else
    {
      /* Translators: "3 × 401" — three answers with status 401 */
      g_string_append_printf (text, _("%u × 401"), summary->resource_401);
      /* Translators: "3 × 401 → 1 refresh" */
      g_string_append_printf (text, ngettext (" → %u refresh", " → %u refreshes",
                                              summary->refreshes),
                              summary->refreshes);
      if (summary->retries > 0 || !session_ended)
        /* Translators: "3 × 401 → 1 refresh → 3 retried" */
        g_string_append_printf (text, _(" → %u retried"), summary->retries);
    }

  if (session_ended)
    {
      if (summary->resource_401 > 0 && summary->retries == 0)
        /* Translators: the end of "3 × 401 → 1 refresh → session ended" */
        g_string_append (text, _(" → session ended"));
      else
        /* Translators: the end of "3 × 401 → 1 refresh → 3 retried, session ended" */
        g_string_append (text, _(", session ended"));
    }
  else if (pending > 0)
    /* Translators: the end of "3 × 401 → 1 refresh → 2 retried, 1 in flight" */
    g_string_append_printf (text, _(", %u in flight"), pending);
  else if (summary->requests > 0 && summary->failed == 0)
    /* Translators: the end of "3 × 401 → 1 refresh → 3 retried, all OK" */
    g_string_append (text, _(", all OK"));
  else if (summary->failed > 0)
    /* Translators: the end of "3 × 401 → 1 refresh → 2 retried, 1 failed" */
    g_string_append_printf (text, _(", %u failed"), summary->failed);

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
update_summary (TgNetworkView *self)
{
  g_autofree char *summary = NULL;
  g_autofree char *detail = NULL;
  guint n_items = self->log != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->log)) : 0;

  self->summary_dirty = FALSE;

  if (!self->has_burst || self->log == NULL)
    {
      summary = g_strdup (_("No burst yet"));
      detail = g_strdup_printf (ngettext ("%u exchange in the log", "%u exchanges in the log", n_items),
                                n_items);
    }
  else
    {
      TgRequestSummary numbers;
      gboolean session_ended = FALSE;
      guint from = burst_start (self);

      tg_request_log_summarize (self->log, from, &numbers);

      /* The log has no notion of a session; what ends one is on the wire: a
       * refresh rejected with 400/401 (invalid_grant), or a retry that gets
       * 401 again (the DESIGN's rule 6). */
      for (guint i = from; i < n_items && !session_ended; i++)
        {
          g_autoptr(TgRequestRecord) record = g_list_model_get_item (G_LIST_MODEL (self->log), i);
          guint status = tg_request_record_get_status (record);

          if (!tg_request_record_is_finished (record))
            continue;

          if (tg_request_record_get_kind (record) == TG_REQUEST_KIND_REFRESH)
            session_ended = status == 400 || status == 401;
          else if (tg_request_record_get_kind (record) == TG_REQUEST_KIND_RESOURCE)
            session_ended = status == 401 && tg_request_record_get_attempt (record) >= 2;
        }

      summary = describe_burst (&numbers, g_hash_table_size (self->pending), session_ended);

      if (numbers.last_end > numbers.first_start && g_hash_table_size (self->pending) == 0)
        {
          g_autofree char *span = format_ms (numbers.last_end - numbers.first_start);

          /* Translators: "3 requests, 7 HTTP exchanges in 52 ms" */
          detail = g_strdup_printf (ngettext ("%u request, %u HTTP exchanges in %s",
                                              "%u requests, %u HTTP exchanges in %s",
                                              numbers.requests),
                                    numbers.requests, numbers.http_messages, span);
        }
      else
        detail = g_strdup_printf (ngettext ("%u request, %u HTTP exchanges so far",
                                            "%u requests, %u HTTP exchanges so far",
                                            numbers.requests),
                                  numbers.requests, numbers.http_messages);
    }

  gtk_label_set_text (self->detail_label, detail);

  if (g_strcmp0 (summary, self->summary) != 0)
    {
      g_free (self->summary);
      self->summary = g_steal_pointer (&summary);
      gtk_label_set_text (self->summary_label, self->summary);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUMMARY]);
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "network-view.clear", n_items > 0);
}

static void
on_pending_record_finished (TgRequestRecord *record,
                            GParamSpec      *pspec,
                            TgNetworkView   *self)
{
  g_signal_handlers_disconnect_by_func (record, on_pending_record_finished, self);
  g_hash_table_remove (self->pending, record);
  self->summary_dirty = TRUE;
  queue_update (self);
}

static void
watch_record (TgNetworkView   *self,
              TgRequestRecord *record)
{
  if (tg_request_record_is_finished (record) || g_hash_table_contains (self->pending, record))
    return;

  g_hash_table_add (self->pending, g_object_ref (record));
  g_signal_connect (record, "notify::finished", G_CALLBACK (on_pending_record_finished), self);
}

static void
unwatch_all (TgNetworkView *self)
{
  GHashTableIter iter;
  gpointer record;

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &record, NULL))
    {
      g_signal_handlers_disconnect_by_func (record, on_pending_record_finished, self);
      g_hash_table_iter_remove (&iter);
    }
}

/* ------------------------------------------------------------------------ */
/* Following the newest row                                                 */

static void
scroll_to_end (TgNetworkView *self)
{
  guint n_items;

  self->scroll_pending = FALSE;

  if (!self->stick_to_end || self->log == NULL)
    return;

  /* The rows the view has, which the log may be ahead of until the batch is
   * out. */
  n_items = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  if (n_items == 0)
    return;

  /* GTK 4.8 has no gtk_column_view_scroll_to(); its list view child has the
   * "list.scroll-to-item" action, which anchors the view on the item rather
   * than guessing a pixel offset from estimated row heights. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->column_view));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LIST_VIEW (child))
        {
          gtk_widget_activate_action (child, "list.scroll-to-item", "u", n_items - 1);
          break;
        }
    }
}

static void
on_vadjustment_value_changed (TgNetworkView *self,
                              GtkAdjustment *adjustment)
{
  double value = gtk_adjustment_get_value (adjustment);
  double end = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

  /* Appending rows and scrolling to them only ever moves the view down;
   * moving up is the user's doing, and then the newest row stops being
   * followed until they come back to the end. */
  if (value >= end - 2.0)
    self->stick_to_end = TRUE;
  else if (value < self->last_value - 0.5)
    self->stick_to_end = FALSE;

  self->last_value = value;
}

/* The list view anchors on the item scrolled to but may leave it a row short
 * of the bottom edge; once the new size is known, finish the job. */
static void
on_vadjustment_changed (TgNetworkView *self,
                        GtkAdjustment *adjustment)
{
  double end = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

  if (self->stick_to_end && gtk_adjustment_get_value (adjustment) < end - 0.5)
    gtk_adjustment_set_value (adjustment, end);
}

/* ------------------------------------------------------------------------ */
/* Once per frame                                                           */

/* Lets the view see up to @max more records of the log; returns whether it
 * is still behind. */
static gboolean
flush_rows (TgNetworkView *self,
            guint          max)
{
  guint n_items, size;

  if (self->rows == NULL)
    return self->rows_pending = FALSE;

  n_items = g_list_model_get_n_items (G_LIST_MODEL (self->log));
  size = gtk_slice_list_model_get_size (self->rows);
  if (size < n_items)
    gtk_slice_list_model_set_size (self->rows, size + MIN (n_items - size, max));

  self->rows_pending = gtk_slice_list_model_get_size (self->rows) < n_items;
  return self->rows_pending;
}

static gboolean
on_tick (GtkWidget     *widget,
         GdkFrameClock *frame_clock,
         gpointer       user_data)
{
  TgNetworkView *self = TG_NETWORK_VIEW (widget);

  if (self->rows_pending)
    flush_rows (self, MAX_ROWS_PER_FRAME);
  if (self->summary_dirty)
    update_summary (self);
  if (self->scroll_pending)
    scroll_to_end (self);

  /* Still behind the log: more in the next frame. */
  if (self->rows_pending)
    {
      self->scroll_pending = TRUE;
      return G_SOURCE_CONTINUE;
    }

  self->tick_id = 0;
  return G_SOURCE_REMOVE;
}

static gboolean
on_rows_idle (gpointer user_data)
{
  TgNetworkView *self = user_data;

  /* Nobody sees the rows: one batch, no cap. */
  self->rows_idle_id = 0;
  flush_rows (self, G_MAXUINT);
  return G_SOURCE_REMOVE;
}

static void
queue_update (TgNetworkView *self)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      if (self->tick_id == 0)
        self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), on_tick, NULL, NULL);
      return;
    }

  /* Unmapped, there are no frames; the model must still catch up (for
   * whoever reads it: tests, accessibility), once the HTTP callbacks adding
   * records are done. The summary waits for map, or for
   * tg_network_view_get_summary(). */
  if (self->rows_pending && self->rows_idle_id == 0)
    {
      self->rows_idle_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE + 15, on_rows_idle, self, NULL);
      g_source_set_name_by_id (self->rows_idle_id, "[tokengate] network view rows");
    }
}

static void
on_log_items_changed (TgNetworkView *self,
                      guint          position,
                      guint          removed,
                      guint          added,
                      GListModel    *model)
{
  if (removed > 0)
    {
      /* The log only ever shrinks by being cleared: forget the bursts, and
       * shrink the slice too, or the next records would fall inside it and
       * reach the view one by one. */
      if (self->rows != NULL)
        gtk_slice_list_model_set_size (self->rows, g_list_model_get_n_items (model));
      g_array_set_size (self->marks, 0);
      self->has_burst = FALSE;
      self->stick_to_end = TRUE;
      self->last_value = 0;
      unwatch_all (self);
    }

  if (self->has_burst)
    {
      guint from = MAX (position, burst_start (self));

      for (guint i = from; i < position + added; i++)
        {
          g_autoptr(TgRequestRecord) record = g_list_model_get_item (model, i);

          watch_record (self, record);
        }
    }

  self->summary_dirty = TRUE;
  if (added > 0)
    {
      self->rows_pending = TRUE;
      self->scroll_pending = TRUE;
    }
  queue_update (self);
}

/* ------------------------------------------------------------------------ */

static void
clear_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  TgNetworkView *self = TG_NETWORK_VIEW (widget);

  if (self->log != NULL)
    tg_request_log_clear (self->log);
}

static void
tg_network_view_map (GtkWidget *widget)
{
  TgNetworkView *self = TG_NETWORK_VIEW (widget);

  GTK_WIDGET_CLASS (tg_network_view_parent_class)->map (widget);

  g_clear_handle_id (&self->rows_idle_id, g_source_remove);
  if (self->summary_dirty || self->scroll_pending || self->rows_pending)
    queue_update (self);
}

static void
tg_network_view_unmap (GtkWidget *widget)
{
  TgNetworkView *self = TG_NETWORK_VIEW (widget);

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (widget, self->tick_id);
      self->tick_id = 0;
    }

  GTK_WIDGET_CLASS (tg_network_view_parent_class)->unmap (widget);

  /* Finish catching up without frames. */
  queue_update (self);
}

static void
tg_network_view_dispose (GObject *object)
{
  TgNetworkView *self = TG_NETWORK_VIEW (object);

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
  g_clear_handle_id (&self->rows_idle_id, g_source_remove);

  if (self->pending != NULL)
    unwatch_all (self);

  /* Drop the model before the template: unbinding the rows disconnects their
   * cells from the records while the cells are still alive. */
  if (self->column_view != NULL)
    gtk_column_view_set_model (self->column_view, NULL);

  if (self->log_signals != NULL)
    g_signal_group_set_target (self->log_signals, NULL);
  g_clear_object (&self->log_signals);
  g_clear_object (&self->selection);
  g_clear_object (&self->rows);
  g_clear_object (&self->log);

  gtk_widget_dispose_template (GTK_WIDGET (self), TG_TYPE_NETWORK_VIEW);
  /* The template's root box is our child: ours to unparent. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));
       child != NULL;
       child = gtk_widget_get_first_child (GTK_WIDGET (self)))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (tg_network_view_parent_class)->dispose (object);
}

static void
tg_network_view_finalize (GObject *object)
{
  TgNetworkView *self = TG_NETWORK_VIEW (object);

  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->marks, g_array_unref);
  g_clear_pointer (&self->summary, g_free);

  G_OBJECT_CLASS (tg_network_view_parent_class)->finalize (object);
}

static void
tg_network_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  TgNetworkView *self = TG_NETWORK_VIEW (object);

  switch (prop_id)
    {
    case PROP_LOG:
      g_value_set_object (value, self->log);
      break;
    case PROP_SUMMARY:
      g_value_set_string (value, tg_network_view_get_summary (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_network_view_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  TgNetworkView *self = TG_NETWORK_VIEW (object);

  switch (prop_id)
    {
    case PROP_LOG:
      tg_network_view_set_log (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_network_view_class_init (TgNetworkViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tg_network_view_dispose;
  object_class->finalize = tg_network_view_finalize;
  object_class->get_property = tg_network_view_get_property;
  object_class->set_property = tg_network_view_set_property;

  widget_class->map = tg_network_view_map;
  widget_class->unmap = tg_network_view_unmap;

  /**
   * TgNetworkView:log:
   *
   * The request log shown, or %NULL.
   */
  properties[PROP_LOG] =
    g_param_spec_object ("log", NULL, NULL, TG_TYPE_REQUEST_LOG,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * TgNetworkView:summary:
   *
   * One line about the last burst, e.g. "3 × 401 → 1 refresh → 3 retried,
   * all OK". Notified at most once per frame.
   */
  properties[PROP_SUMMARY] =
    g_param_spec_string ("summary", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "network-view.clear", NULL, clear_action);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/tokengate/Tokengate/tg-network-view.ui");
  gtk_widget_class_bind_template_child (widget_class, TgNetworkView, column_view);
  gtk_widget_class_bind_template_child (widget_class, TgNetworkView, scroller);
  gtk_widget_class_bind_template_child (widget_class, TgNetworkView, summary_label);
  gtk_widget_class_bind_template_child (widget_class, TgNetworkView, detail_label);
  gtk_widget_class_bind_template_child (widget_class, TgNetworkView, clear_button);

  gtk_widget_class_set_css_name (widget_class, "networkview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);

  cell_context_quark = g_quark_from_static_string ("tg-network-view-cell-context");
  cell_item_quark = g_quark_from_static_string ("tg-network-view-cell-item");
  cell_class_quark = g_quark_from_static_string ("tg-network-view-cell-class");
}

static void
tg_network_view_init (TgNetworkView *self)
{
  GtkAdjustment *vadjustment;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->marks = g_array_new (FALSE, FALSE, sizeof (BurstMark));
  self->pending = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->stick_to_end = TRUE;
  self->summary_dirty = TRUE;

  add_columns (self);

  /* Single selection without autoselect: arrow keys move through the rows
   * and a screen reader follows, but nothing is selected until asked. */
  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));

  self->log_signals = g_signal_group_new (TG_TYPE_REQUEST_LOG);
  g_signal_group_connect_swapped (self->log_signals, "items-changed",
                                  G_CALLBACK (on_log_items_changed), self);

  vadjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  g_signal_connect_object (vadjustment, "value-changed",
                           G_CALLBACK (on_vadjustment_value_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (vadjustment, "changed",
                           G_CALLBACK (on_vadjustment_changed), self, G_CONNECT_SWAPPED);

  update_summary (self);
}

/**
 * tg_network_view_new:
 *
 * Returns: (transfer floating): a network view showing no log yet
 */
GtkWidget *
tg_network_view_new (void)
{
  return g_object_new (TG_TYPE_NETWORK_VIEW, NULL);
}

/**
 * tg_network_view_set_log:
 * @self: a #TgNetworkView
 * @log: (nullable): the request log to show
 *
 * Shows @log, following its changes. Burst marks belong to the log shown and
 * are forgotten.
 */
void
tg_network_view_set_log (TgNetworkView *self,
                         TgRequestLog  *log)
{
  g_return_if_fail (TG_IS_NETWORK_VIEW (self));
  g_return_if_fail (log == NULL || TG_IS_REQUEST_LOG (log));

  if (!g_set_object (&self->log, log))
    return;

  unwatch_all (self);
  g_array_set_size (self->marks, 0);
  self->has_burst = FALSE;
  self->stick_to_end = TRUE;

  g_clear_object (&self->rows);
  if (log != NULL)
    self->rows = gtk_slice_list_model_new (g_object_ref (G_LIST_MODEL (log)), 0,
                                           g_list_model_get_n_items (G_LIST_MODEL (log)));
  self->rows_pending = FALSE;
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->rows));

  /* After the slice: on a clear, the slice must pass the removal on before
   * on_log_items_changed() shrinks it. */
  g_signal_group_set_target (self->log_signals, log);

  self->summary_dirty = TRUE;
  self->scroll_pending = TRUE;
  update_summary (self);
  queue_update (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG]);
}

/**
 * tg_network_view_mark_burst:
 * @self: a #TgNetworkView
 *
 * Notes that a burst starts now: the records added from here on are the ones
 * the summary describes, and their times count from now.
 */
void
tg_network_view_mark_burst (TgNetworkView *self)
{
  BurstMark mark;

  g_return_if_fail (TG_IS_NETWORK_VIEW (self));

  mark.position = self->log != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->log)) : 0;
  mark.time = g_get_monotonic_time ();

  /* Two marks with nothing between them: the later one wins. */
  if (self->marks->len > 0 &&
      g_array_index (self->marks, BurstMark, self->marks->len - 1).position == mark.position)
    g_array_index (self->marks, BurstMark, self->marks->len - 1) = mark;
  else
    g_array_append_val (self->marks, mark);

  /* The previous burst's stragglers no longer change the summary. */
  unwatch_all (self);
  self->has_burst = TRUE;
  self->stick_to_end = TRUE;
  self->summary_dirty = TRUE;
  queue_update (self);
}

/**
 * tg_network_view_get_summary:
 * @self: a #TgNetworkView
 *
 * The line shown above the table, brought up to date first: the view itself
 * refreshes it once per frame, a caller gets the current one.
 *
 * Returns: (transfer none): e.g. "3 × 401 → 1 refresh → 3 retried, all OK"
 */
const char *
tg_network_view_get_summary (TgNetworkView *self)
{
  g_return_val_if_fail (TG_IS_NETWORK_VIEW (self), NULL);

  if (self->summary_dirty)
    update_summary (self);

  return self->summary;
}
