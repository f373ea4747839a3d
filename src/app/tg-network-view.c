/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The network tab of the posts, for the request log: a list with one row
 * per HTTP exchange (TgNetworkLogRow, under a row of column titles),
 * coloured by outcome, and a one-line summary of the last burst ("3 × 401 →
 * 1 refresh → 3 retried, all OK").
 *
 * It has to stay smooth at 10,000 rows while a burst is still writing to the
 * log, so:
 * - a row is one widget that draws its eight cells itself, from layouts of
 *   one shared PangoContext (tg-network-log-row.c); the list recycles rows,
 *   and a row follows only the record it shows;
 * - the view does not show the log itself but a TgPacedListModel of it,
 *   which hands the view new records ROWS_BATCH at a time, at most
 *   MAX_ROWS_PER_FRAME per frame: 1,000 records appended one by one
 *   would cost the view 1,000 items-changed, and a jump to the newest row rebinds
 *   every row it keeps around the new position (up to 200);
 * - the view follows the newest row once per batch, and the summary and the
 *   count are recomputed in a tick callback, at most ten times a second
 *   while records are in flight (at once when the last one ends), however
 *   many records finish meanwhile.
 */
#define G_LOG_DOMAIN "tg-network-view"

#include "config.h"

#include <glib/gi18n.h>

#include "tg-accessible.h"
#include "tg-burst-rows.h"
#include "tg-network-log-row.h"
#include "tg-network-view.h"
#include "tg-paced-list-model.h"
#include "tg-pending-records.h"

/* Rows the view takes in at a time while it catches up with the log, and at
 * most per frame: following the newest row, every row taken in is a row
 * bound, so the cap is what a frame may cost. 16 a frame keeps up with a
 * burst of 1,000 answered in a second at 60 frames a second. */
#define ROWS_BATCH 8
#define MAX_ROWS_PER_FRAME 16

/* While records are in flight the counts change every frame, and each change
 * re-measures the two labels above the table (shaping their text again, in
 * every frame of a burst): they are brought up to date at
 * most this often until the last record ends, which shows at once. Ten times
 * a second is still faster than a person reads them. */
#define SUMMARY_INTERVAL_USEC (G_USEC_PER_SEC / 10)

struct _TgNetworkView
{
  GtkWidget           parent_instance;

  TgRequestLog       *log;            /* owned, nullable */
  TgPacedListModel   *rows;           /* owned: the log, a batch per frame */
  /* The rows with a header before each burst, oldest first, so that every
   * row's time is relative to the start of its own burst, not only the rows
   * of the last one. */
  TgBurstRows        *burst_rows;     /* owned */
  GSignalGroup       *log_signals;    /* owned */
  GtkSingleSelection *selection;      /* owned */

  /* Unfinished records of the last burst: the summary changes when they end. */
  TgPendingRecords   *pending;        /* owned */

  char               *summary;        /* owned */
  gint64              summary_time;   /* frame time of the last update while in flight */
  guint               tick_id;
  gboolean            summary_dirty;
  gboolean            scroll_pending;
  gboolean            stick_to_end;   /* follow new rows until the user scrolls up */
  double              last_value;
  TgNetworkLogColumns *columns;       /* owned: shared by the titles and the rows */

  /* template children */
  GtkListView        *list_view;
  TgNetworkLogRow    *titles_row;
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

static void queue_update (TgNetworkView *self);

/* ------------------------------------------------------------------------ */
/* Times                                                                    */

/* Returns: where the burst that the record belongs to began (monotonic µs),
 *   or the first record of the log for what came before any burst (the
 *   sign-in and the first fetch), for the record in @row */
static gint64
get_time_origin (TgNetworkView *self,
                 guint          row)
{
  g_autoptr(TgRequestRecord) first = NULL;
  TgBurstHeader *header = NULL;
  guint position;

  if (tg_burst_rows_to_model_position (self->burst_rows, row, &position))
    header = tg_burst_rows_get_burst_at (self->burst_rows, position);
  if (header != NULL)
    return tg_burst_header_get_time (header);

  if (self->log != NULL)
    first = g_list_model_get_item (G_LIST_MODEL (self->log), 0);

  return first != NULL ? tg_request_record_get_start_time (first) : 0;
}

/* ------------------------------------------------------------------------ */
/* Summary                                                                  */

static guint
burst_start (TgNetworkView *self)
{
  return tg_burst_rows_get_last_start (self->burst_rows);
}

static gboolean
has_burst (TgNetworkView *self)
{
  return tg_burst_rows_get_n_bursts (self->burst_rows) > 0;
}

static void
update_summary (TgNetworkView *self)
{
  g_autofree char *summary = NULL;
  g_autofree char *detail = NULL;
  guint n_items = self->log != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->log)) : 0;

  self->summary_dirty = FALSE;

  if (!has_burst (self) || self->log == NULL)
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

      summary = tg_request_summary_describe (&numbers, tg_pending_records_get_size (self->pending), session_ended);

      if (numbers.last_end > numbers.first_start && tg_pending_records_get_size (self->pending) == 0)
        {
          g_autofree char *span = tg_network_log_format_ms (numbers.last_end - numbers.first_start);

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

/* Beside the controls, the summary and the line under it do not wrap: a
 * wrapped label's height depends on its width, and AdwLeaflet and the boxes
 * measure it at many widths whenever its text changes (on Send and up to ten
 * times a second in a burst), each a new layout of the text: 42 layouts, 12
 * of the 77 million instructions of the frame after Send (ui-stall
 * --callgrind-send). One line is measured once per text. When the view is too
 * narrow for a line it ends in an ellipsis, and the whole text is in its
 * tooltip; a screen reader reads the whole text in any case (the label's
 * accessible name).
 *
 * On its own page of a folded window (a phone), where the outcome at the end
 * of the summary ("all OK", "2 failed") would be cut off and a touch screen
 * shows no tooltip, they wrap: tg_network_view_set_summary_wraps(). */
void
tg_network_view_set_summary_wraps (TgNetworkView *self,
                                   gboolean       wraps)
{
  GtkLabel *labels[] = { self->summary_label, self->detail_label };

  g_return_if_fail (TG_IS_NETWORK_VIEW (self));

  for (gsize i = 0; i < G_N_ELEMENTS (labels); i++)
    {
      gtk_label_set_wrap (labels[i], wraps);
      gtk_label_set_ellipsize (labels[i], wraps ? PANGO_ELLIPSIZE_NONE : PANGO_ELLIPSIZE_END);
    }
}

static gboolean
on_label_query_tooltip (GtkLabel   *label,
                        int         x,
                        int         y,
                        gboolean    keyboard_mode,
                        GtkTooltip *tooltip,
                        gpointer    user_data)
{
  if (!pango_layout_is_ellipsized (gtk_label_get_layout (label)))
    return FALSE;
  gtk_tooltip_set_text (tooltip, gtk_label_get_text (label));
  return TRUE;
}

static void
on_pending_record_finished (TgNetworkView *self)
{
  self->summary_dirty = TRUE;
  queue_update (self);
}

/* ------------------------------------------------------------------------ */
/* Following the newest row                                                 */

static void
scroll_to_end (TgNetworkView *self)
{
  GtkAdjustment *adjustment;

  self->scroll_pending = FALSE;

  if (!self->stick_to_end || self->log == NULL)
    return;

  /* The end of the scrollable range, not the "list.scroll-to-item" action
   * (GTK 4.8 has no gtk_list_view_scroll_to()): the action made the new
   * item the list's anchor in every frame of a burst, about a third of the
   * main thread's time over one (ui-stall: 1,080–1,300 ms of CPU against
   * 590–1,070 ms, and the median longest stall 26–33 ms against 15–18 ms;
   * README, Performance). Where the rows' estimated heights leave the view
   * short of the last row, on_vadjustment_changed() moves it the rest of the
   * way once the list knows. */
  adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  gtk_adjustment_set_value (adjustment,
                            gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment));
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

/* The end scrolled to was reckoned from the rows' estimated heights and may
 * be a row short of the bottom edge; once the new size is known, finish the
 * job. */
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

static gboolean
on_tick (GtkWidget     *widget,
         GdkFrameClock *frame_clock,
         gpointer       user_data)
{
  TgNetworkView *self = TG_NETWORK_VIEW (widget);
  gint64 now = gdk_frame_clock_get_frame_time (frame_clock);
  gboolean wait = FALSE;

  if (self->summary_dirty)
    {
      if (tg_pending_records_get_size (self->pending) > 0 &&
          now - self->summary_time < SUMMARY_INTERVAL_USEC)
        wait = TRUE;
      else
        {
          update_summary (self);
          self->summary_time = now;
        }
    }
  if (self->scroll_pending)
    scroll_to_end (self);

  /* Not yet: looked at again next frame. */
  if (wait)
    return G_SOURCE_CONTINUE;

  self->tick_id = 0;
  return G_SOURCE_REMOVE;
}

/* Unmapped, there are no frames: the summary waits for map, or for
 * tg_network_view_get_summary(). */
static void
queue_update (TgNetworkView *self)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (self)) && self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), on_tick, NULL, NULL);
}

/* A batch of rows reached the view: the newest one is to be followed, in
 * the same frame. */
static void
on_rows_changed (TgNetworkView *self,
                 guint          position,
                 guint          removed,
                 guint          added,
                 GListModel    *rows)
{
  if (added == 0)
    return;

  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    scroll_to_end (self);
  else
    self->scroll_pending = TRUE;
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
      /* The log only ever shrinks by being cleared: forget the bursts. */
      tg_burst_rows_clear_bursts (self->burst_rows);
      self->stick_to_end = TRUE;
      self->last_value = 0;
      tg_pending_records_clear (self->pending);
    }

  if (has_burst (self))
    {
      guint from = MAX (position, burst_start (self));

      for (guint i = from; i < position + added; i++)
        {
          g_autoptr(TgRequestRecord) record = g_list_model_get_item (model, i);

          tg_pending_records_add (self->pending, record);
        }
    }

  self->summary_dirty = TRUE;
  queue_update (self);
}

/* ------------------------------------------------------------------------ */
/* Rows                                                                     */

static void
on_row_setup (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              TgNetworkView            *self)
{
  gtk_list_item_set_child (item, tg_network_log_row_new (self->columns, FALSE));
}

static void
on_row_bind (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             TgNetworkView            *self)
{
  gpointer row_item = gtk_list_item_get_item (item);
  gint64 origin = 0;

  if (TG_IS_REQUEST_RECORD (row_item))
    origin = get_time_origin (self, gtk_list_item_get_position (item));
  tg_network_log_row_set_item (TG_NETWORK_LOG_ROW (gtk_list_item_get_child (item)), row_item, origin);
}

static void
on_row_unbind (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               TgNetworkView            *self)
{
  tg_network_log_row_set_item (TG_NETWORK_LOG_ROW (gtk_list_item_get_child (item)), NULL, 0);
}

/* The rows' shared context follows the view's font, font settings and
 * direction; it is made anew, and every row laid out again, only when one
 * of them really changed (not, say, when the window loses the focus). */
static void
update_context (TgNetworkView *self)
{
  if (self->columns != NULL)
    tg_network_log_columns_update_context (self->columns, GTK_WIDGET (self));
}

static void
tg_network_view_css_changed (GtkWidget         *widget,
                             GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (tg_network_view_parent_class)->css_changed (widget, change);
  update_context (TG_NETWORK_VIEW (widget));
}

static void
tg_network_view_direction_changed (GtkWidget        *widget,
                                   GtkTextDirection  previous)
{
  GTK_WIDGET_CLASS (tg_network_view_parent_class)->direction_changed (widget, previous);
  update_context (TG_NETWORK_VIEW (widget));
}

static void
tg_network_view_system_setting_changed (GtkWidget        *widget,
                                        GtkSystemSetting  setting)
{
  GTK_WIDGET_CLASS (tg_network_view_parent_class)->system_setting_changed (widget, setting);
  update_context (TG_NETWORK_VIEW (widget));
}

/* ------------------------------------------------------------------------ */

static void
clear_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  tg_network_view_clear_log (TG_NETWORK_VIEW (widget));
}

static void
tg_network_view_map (GtkWidget *widget)
{
  TgNetworkView *self = TG_NETWORK_VIEW (widget);

  GTK_WIDGET_CLASS (tg_network_view_parent_class)->map (widget);

  if (self->summary_dirty || self->scroll_pending)
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

  if (self->pending != NULL)
    tg_pending_records_clear (self->pending);

  /* Drop the model before the template: unbinding the rows disconnects them
   * from the records while they are still alive. */
  if (self->list_view != NULL)
    gtk_list_view_set_model (self->list_view, NULL);

  if (self->log_signals != NULL)
    g_signal_group_set_target (self->log_signals, NULL);
  g_clear_object (&self->log_signals);
  g_clear_object (&self->selection);
  g_clear_object (&self->burst_rows);
  g_clear_object (&self->rows);
  g_clear_object (&self->pending);
  g_clear_object (&self->log);
  g_clear_object (&self->columns);

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
  widget_class->css_changed = tg_network_view_css_changed;
  widget_class->direction_changed = tg_network_view_direction_changed;
  widget_class->system_setting_changed = tg_network_view_system_setting_changed;

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
   * all OK". Notified at most ten times a second
   * while records are in flight.
   */
  properties[PROP_SUMMARY] =
    g_param_spec_string ("summary", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "network-view.clear", NULL, clear_action);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/tokengate/Tokengate/tg-network-view.ui");
  gtk_widget_class_bind_template_child (widget_class, TgNetworkView, list_view);
  gtk_widget_class_bind_template_child (widget_class, TgNetworkView, titles_row);
  gtk_widget_class_bind_template_child (widget_class, TgNetworkView, scroller);
  gtk_widget_class_bind_template_child (widget_class, TgNetworkView, summary_label);
  gtk_widget_class_bind_template_child (widget_class, TgNetworkView, detail_label);
  gtk_widget_class_bind_template_child (widget_class, TgNetworkView, clear_button);
  gtk_widget_class_bind_template_callback (widget_class, on_label_query_tooltip);
  gtk_widget_class_bind_template_callback (widget_class, on_row_setup);
  gtk_widget_class_bind_template_callback (widget_class, on_row_bind);
  gtk_widget_class_bind_template_callback (widget_class, on_row_unbind);

  gtk_widget_class_set_css_name (widget_class, "networkview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
tg_network_view_init (TgNetworkView *self)
{
  GtkAdjustment *vadjustment;

  g_type_ensure (TG_TYPE_NETWORK_LOG_COLUMNS);
  g_type_ensure (TG_TYPE_NETWORK_LOG_ROW);
  gtk_widget_init_template (GTK_WIDGET (self));
  self->columns = g_object_ref (tg_network_log_row_get_columns (self->titles_row));
  tg_network_log_columns_update_context (self->columns, GTK_WIDGET (self));
  g_signal_connect (self, "notify::scale-factor", G_CALLBACK (update_context), NULL);

  self->pending = tg_pending_records_new ();
  g_signal_connect_object (self->pending, "record-finished",
                           G_CALLBACK (on_pending_record_finished), self, G_CONNECT_SWAPPED);
  self->stick_to_end = TRUE;
  self->summary_dirty = TRUE;

  /* Single selection without autoselect: arrow keys move through the rows
   * and a screen reader follows, but nothing is selected until asked. */
  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  self->rows = tg_paced_list_model_new (GTK_WIDGET (self), ROWS_BATCH, MAX_ROWS_PER_FRAME);
  self->burst_rows = tg_burst_rows_new ();
  tg_burst_rows_set_model (self->burst_rows, G_LIST_MODEL (self->rows));
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->burst_rows));
  g_signal_connect_object (self->burst_rows, "items-changed",
                           G_CALLBACK (on_rows_changed), self, G_CONNECT_SWAPPED);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  tg_accessible_one_tab_stop (GTK_WIDGET (self->list_view));

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

  tg_pending_records_clear (self->pending);
  tg_burst_rows_clear_bursts (self->burst_rows);
  self->stick_to_end = TRUE;

  tg_paced_list_model_set_model (self->rows, G_LIST_MODEL (log));
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
  g_return_if_fail (TG_IS_NETWORK_VIEW (self));

  /* Two marks with nothing between them: the later one wins. */
  tg_burst_rows_add_burst (self->burst_rows,
                           self->log != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->log)) : 0,
                           g_get_monotonic_time ());

  /* The previous burst's stragglers no longer change the summary. */
  tg_pending_records_clear (self->pending);
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

/**
 * tg_network_view_clear_log:
 * @self: a #TgNetworkView
 *
 * What Clear does: empties the request log shown, if any.
 */
void
tg_network_view_clear_log (TgNetworkView *self)
{
  g_return_if_fail (TG_IS_NETWORK_VIEW (self));

  if (self->log != NULL)
    tg_request_log_clear (self->log);
}
