/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The picture of the posts' network tab, drawn: a waterfall of the records of
 * the last burst on one time axis.
 *
 *   refresh          ·········[=== refresh ===]·····················
 *   /api/resources/1 [401]┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄[200]
 *   /api/resources/2  [401]┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄[200]
 *   /api/resources/3   [401]┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄[200]
 *
 * One lane per logical request (its first attempt, the wait for the refresh
 * as a dashed line, its retry), and one lane on top for the refresh, whose
 * span is also shaded across every lane: what the requests waited on.
 *
 * Lanes are kept up to date incrementally as the log grows; drawing is done
 * at most once per frame, only for the lanes in view (the widget scrolls
 * itself, as a GtkScrollable, so that the time axis stays put and 1,000 lanes
 * cost what 20 do), and continues every frame while records are in flight so
 * that pending bars and waits grow as a person watches.
 *
 * This file puts the records in lanes and on the time axis; the drawing is
 * in tg-timeline-drawing.c.
 */
#define G_LOG_DOMAIN "tg-timeline"

#include "config.h"

#include <glib/gi18n.h>

#include "tg-accessible.h"
#include "tg-timeline-private.h"

#define MAX_NATURAL_LANES 16
#define MIN_SPAN_USEC  (10 * 1000)   /* an axis never spans less than 10 ms */
#define ANIMATION_INTERVAL_USEC (1000000 / 30)

G_DEFINE_FINAL_TYPE_WITH_CODE (TgTimeline, tg_timeline, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SCROLLABLE, NULL))

enum {
  PROP_0,
  PROP_LOG,
  PROP_N_LANES,
  N_PROPS,

  /* GtkScrollable */
  PROP_HADJUSTMENT = N_PROPS,
  PROP_VADJUSTMENT,
  PROP_HSCROLL_POLICY,
  PROP_VSCROLL_POLICY,
};

static GParamSpec *properties[N_PROPS];

static void queue_redraw (TgTimeline *self);
static void configure_adjustments (TgTimeline *self);
static guint natural_lanes (TgTimeline *self);

/* ------------------------------------------------------------------------ */
/* Lanes                                                                    */

static void
lane_free (Lane *lane)
{
  g_clear_pointer (&lane->label, g_free);
  g_clear_pointer (&lane->records, g_ptr_array_unref);
  g_free (lane);
}

static Lane *
lane_new (LaneKind    kind,
          guint       request_id,
          const char *label)
{
  Lane *lane = g_new0 (Lane, 1);

  lane->kind = kind;
  lane->request_id = request_id;
  lane->label = g_strdup (label);
  lane->records = g_ptr_array_new_with_free_func (g_object_unref);

  return lane;
}

static void
reset_lanes (TgTimeline *self)
{
  tg_pending_records_clear (self->pending);
  g_hash_table_remove_all (self->lane_by_request);
  g_ptr_array_set_size (self->lanes, 0);
  /* The refresh lane is always there, first: an empty one says "no refresh"
   * as plainly as a full one says "one". */
  g_ptr_array_add (self->lanes, lane_new (LANE_REFRESH, 0, C_("timeline lane", "refresh")));
  self->scanned = self->burst_position;
  self->resize_pending = TRUE;
}

static void
add_record (TgTimeline      *self,
            TgRequestRecord *record)
{
  Lane *lane = NULL;

  switch (tg_request_record_get_kind (record))
    {
    case TG_REQUEST_KIND_REFRESH:
      lane = g_ptr_array_index (self->lanes, 0);
      break;

    case TG_REQUEST_KIND_RESOURCE:
      {
        guint id = tg_request_record_get_request_id (record);

        lane = g_hash_table_lookup (self->lane_by_request, GUINT_TO_POINTER (id));
        if (lane == NULL)
          {
            lane = lane_new (LANE_REQUEST, id, tg_request_record_get_path (record));
            g_ptr_array_add (self->lanes, lane);
            g_hash_table_insert (self->lane_by_request, GUINT_TO_POINTER (id), lane);
            self->resize_pending = TRUE;
          }
      }
      break;

    case TG_REQUEST_KIND_SIGN_IN:
    case TG_REQUEST_KIND_REVOKE:
    default:
      lane = lane_new (LANE_OTHER, 0,
                       tg_request_record_get_kind (record) == TG_REQUEST_KIND_SIGN_IN
                         ? C_("timeline lane", "sign-in")
                         : C_("timeline lane", "revoke"));
      g_ptr_array_add (self->lanes, lane);
      self->resize_pending = TRUE;
      break;
    }

  g_ptr_array_add (lane->records, g_object_ref (record));

  /* Its bar grows until it ends. */
  tg_pending_records_add (self->pending, record);
}

static void
scan_new_records (TgTimeline *self)
{
  GListModel *model = G_LIST_MODEL (self->log);
  guint n_items = g_list_model_get_n_items (model);

  for (; self->scanned < n_items; self->scanned++)
    {
      g_autoptr(TgRequestRecord) record = g_list_model_get_item (model, self->scanned);

      add_record (self, record);
    }
}

static void
on_log_items_changed (TgTimeline *self,
                      guint       position,
                      guint       removed,
                      guint       added,
                      GListModel *model)
{
  if (removed > 0)
    {
      /* Only tg_request_log_clear() removes records: start over, empty. */
      self->burst_position = 0;
      self->burst_time = 0;
      reset_lanes (self);
    }

  scan_new_records (self);
  queue_redraw (self);
}

/* ------------------------------------------------------------------------ */
/* Redrawing, at most once per frame                                        */

/* Lanes told in words: enough for a burst a person reads through; the
 * network log has the rest, row by row. */
#define MAX_DESCRIBED_LANES 20

/* One lane in words: "/api/resources/1: 401 at +2 ms (4 ms), 200 at +31 ms
 * (3 ms)" — what the bars and the wait between them show. */
static void
describe_lane (GString *text,
               Lane    *lane,
               gint64   origin)
{
  g_string_append_printf (text, "%s:", lane->label);
  for (guint i = 0; i < lane->records->len; i++)
    {
      TgRequestRecord *record = g_ptr_array_index (lane->records, i);
      gint64 start = tg_request_record_get_start_time (record);
      gint64 end = tg_request_record_get_end_time (record);
      guint status = tg_request_record_get_status (record);
      g_autofree char *outcome = status != 0 ? g_strdup_printf ("%u", status) : g_strdup (C_("status", "error"));

      /* Translators: one attempt of a request in the timeline's description, e.g. "401 at +2 ms (4 ms)" */
      g_string_append_printf (text, _(" %s at +%.0f ms (%.0f ms)"), outcome,
                              MAX (start - origin, 0) / 1000.0, MAX (end - start, 0) / 1000.0);
      if (i + 1 < lane->records->len)
        g_string_append_c (text, ',');
    }
  g_string_append (text, ". ");
}

/* What a screen reader says about the picture (issue 10, §2.6): the counts
 * it is drawn from and, once the burst is over, each lane's attempts with
 * their times — the facts of the bars, without a mouse. */
static void
update_description (TgTimeline *self)
{
  Lane *refresh_lane = g_ptr_array_index (self->lanes, 0);
  g_autofree char *requests = NULL;
  g_autofree char *counts = NULL;
  g_autoptr(GString) text = NULL;
  guint n_requests = g_hash_table_size (self->lane_by_request);
  gint64 origin = self->burst_time;

  requests = g_strdup_printf (ngettext ("%u request", "%u requests", n_requests), n_requests);
  /* Translators: e.g. "3 requests and 1 refresh on a time axis" */
  counts = g_strdup_printf (ngettext ("%s and %u refresh on a time axis",
                                      "%s and %u refreshes on a time axis",
                                      refresh_lane->records->len),
                            requests, refresh_lane->records->len);
  text = g_string_new (counts);
  g_string_append (text, ". ");

  if (tg_pending_records_get_size (self->pending) == 0)
    {
      Scale scale;

      if (origin == 0)
        {
          /* Before any burst the axis starts at the first record. */
          _tg_timeline_compute_scale (self, 1, &scale);
          origin = scale.t0;
        }
      for (guint i = 0; i < self->lanes->len && i < MAX_DESCRIBED_LANES + 1; i++)
        {
          Lane *lane = g_ptr_array_index (self->lanes, i);

          if (lane->records->len > 0)
            describe_lane (text, lane, origin);
        }
      if (self->lanes->len > MAX_DESCRIBED_LANES + 1)
        /* Translators: after the first lanes told in words; the network log lists every exchange */
        g_string_append_printf (text, _("%u more in the network log."),
                                self->lanes->len - MAX_DESCRIBED_LANES - 1);
    }

  tg_accessible_describe (GTK_WIDGET (self), text->str);
}

static gboolean
on_tick (GtkWidget     *widget,
         GdkFrameClock *frame_clock,
         gpointer       user_data)
{
  TgTimeline *self = TG_TIMELINE (widget);
  gint64 now = gdk_frame_clock_get_frame_time (frame_clock);
  gboolean animating = tg_pending_records_get_size (self->pending) > 0;

  if (self->resize_pending)
    {
      self->resize_pending = FALSE;
      /* Past MAX_NATURAL_LANES the height asked for stays the same and only
       * what there is to scroll grows: a resize would re-measure the whole
       * window (and on X11 ask the X server for the work area) every frame
       * of a burst, for nothing. */
      if (natural_lanes (self) != self->measured_lanes)
        gtk_widget_queue_resize (widget);
      else
        configure_adjustments (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_LANES]);
    }

  /* New data is drawn in the next frame; in-flight bars merely grow, and
   * 30 frames a second is plenty for that. */
  if (self->draw_pending)
    update_description (self);

  if (self->draw_pending || (animating && now - self->last_frame_draw >= ANIMATION_INTERVAL_USEC))
    {
      self->draw_pending = FALSE;
      self->last_frame_draw = now;
      gtk_widget_queue_draw (widget);
    }

  if (animating)
    return G_SOURCE_CONTINUE;

  self->tick_id = 0;
  return G_SOURCE_REMOVE;
}

static void
queue_redraw (TgTimeline *self)
{
  self->draw_pending = TRUE;

  if (self->tick_id == 0 && gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), on_tick, NULL, NULL);
}

/* ------------------------------------------------------------------------ */
/* Geometry                                                                 */

float
_tg_timeline_time_to_x (const Scale *scale,
                        gint64       t)
{
  return scale->bars_x + (float) ((double) (t - scale->t0) / (double) (scale->t1 - scale->t0)
                                  * scale->bars_width);
}

gint64
_tg_timeline_record_end (TgRequestRecord *record,
                         gint64           now)
{
  return tg_request_record_is_finished (record) ? tg_request_record_get_end_time (record) : now;
}

/**
 * _tg_timeline_compute_scale:
 * @width: the widget's width
 * @scale: (out caller-allocates): where time and lane labels go
 *
 * Fits the time of every record shown, from the burst mark on, to @width.
 */
void
_tg_timeline_compute_scale (TgTimeline *self,
                            int         width,
                            Scale      *scale)
{
  gint64 t0 = G_MAXINT64, t1 = 0;

  scale->now = g_get_monotonic_time ();

  for (guint i = 0; i < self->lanes->len; i++)
    {
      Lane *lane = g_ptr_array_index (self->lanes, i);

      for (guint j = 0; j < lane->records->len; j++)
        {
          TgRequestRecord *record = g_ptr_array_index (lane->records, j);

          t0 = MIN (t0, tg_request_record_get_start_time (record));
          t1 = MAX (t1, _tg_timeline_record_end (record, scale->now));
        }
    }

  /* The axis starts when the burst was asked for, so that time spent before
   * the first send (waiting at the gate) shows. */
  if (self->burst_time != 0)
    t0 = MIN (t0, self->burst_time);
  if (t0 == G_MAXINT64)
    t0 = t1 = scale->now;

  /* A little room after the last bar for its status label. */
  t1 = MAX (t1, t0 + MIN_SPAN_USEC);
  t1 += (t1 - t0) / 20;

  scale->t0 = t0;
  scale->t1 = t1;
  scale->gutter = CLAMP (width * 0.22f, 72.0f, 200.0f);
  scale->bars_x = scale->gutter + 8.0f;
  scale->bars_width = MAX (1.0f, width - scale->bars_x - 12.0f);
}

static int
content_height (TgTimeline *self)
{
  return (int) self->lanes->len * LANE_HEIGHT + FOOTER_PADDING;
}

/* ------------------------------------------------------------------------ */
/* Size and scrolling                                                       */

/* The lanes the natural height has room for. */
static guint
natural_lanes (TgTimeline *self)
{
  return CLAMP (self->lanes->len, 4, MAX_NATURAL_LANES);
}

static void
tg_timeline_measure (GtkWidget      *widget,
                     GtkOrientation  orientation,
                     int             for_size,
                     int            *minimum,
                     int            *natural,
                     int            *minimum_baseline,
                     int            *natural_baseline)
{
  TgTimeline *self = TG_TIMELINE (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 240;
      *natural = 720;
    }
  else
    {
      /* Natural: every lane up to a cap, beyond which the window scrolls
       * (the widget is its own GtkScrollable, so the minimum stays small). */
      self->measured_lanes = natural_lanes (self);
      *minimum = HEADER_HEIGHT + 2 * LANE_HEIGHT + FOOTER_PADDING;
      *natural = HEADER_HEIGHT + self->measured_lanes * LANE_HEIGHT + FOOTER_PADDING;
    }
}

static void
configure_adjustments (TgTimeline *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));
  double page = MAX (0, height - HEADER_HEIGHT);
  double upper = MAX (page, content_height (self));

  if (self->vadjustment != NULL)
    gtk_adjustment_configure (self->vadjustment,
                              CLAMP (gtk_adjustment_get_value (self->vadjustment), 0, upper - page),
                              0, upper, LANE_HEIGHT, page * 0.9, page);

  /* Time is fitted to the width; nothing to scroll sideways. */
  if (self->hadjustment != NULL)
    gtk_adjustment_configure (self->hadjustment, 0, 0, width, width * 0.1, width * 0.9, width);
}

static void
tg_timeline_size_allocate (GtkWidget *widget,
                           int        width,
                           int        height,
                           int        baseline)
{
  configure_adjustments (TG_TIMELINE (widget));
}

static void
on_adjustment_value_changed (TgTimeline *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
set_adjustment (TgTimeline     *self,
                GtkAdjustment **slot,
                GtkAdjustment  *adjustment)
{
  if (*slot == adjustment && adjustment != NULL)
    return;

  if (*slot != NULL)
    g_signal_handlers_disconnect_by_func (*slot, on_adjustment_value_changed, self);

  if (adjustment == NULL)
    adjustment = gtk_adjustment_new (0, 0, 0, 0, 0, 0);

  g_set_object (slot, adjustment);
  g_signal_connect_swapped (adjustment, "value-changed",
                            G_CALLBACK (on_adjustment_value_changed), self);
  configure_adjustments (self);
}

/* ------------------------------------------------------------------------ */
/* Tooltip and accessibility                                                */

static gboolean
tg_timeline_query_tooltip (GtkWidget  *widget,
                           int         x,
                           int         y,
                           gboolean    keyboard_mode,
                           GtkTooltip *tooltip)
{
  TgTimeline *self = TG_TIMELINE (widget);
  g_autoptr(GString) text = NULL;
  double offset = self->vadjustment != NULL ? gtk_adjustment_get_value (self->vadjustment) : 0.0;
  gint64 origin;
  Scale scale;
  Lane *lane;
  int index;

  if (y < HEADER_HEIGHT)
    return FALSE;

  index = (int) ((y - HEADER_HEIGHT + offset) / LANE_HEIGHT);
  if (index < 0 || (guint) index >= self->lanes->len)
    return FALSE;

  lane = g_ptr_array_index (self->lanes, index);
  _tg_timeline_compute_scale (self, gtk_widget_get_width (widget), &scale);
  origin = scale.t0;

  text = g_string_new (NULL);
  {
    g_autofree char *title = g_markup_printf_escaped ("<b>%s</b>", lane->label);

    g_string_append (text, title);
  }
  if (lane->records->len == 0)
    g_string_append_printf (text, "\n%s", _("No refresh in this burst"));

  for (guint i = 0; i < lane->records->len; i++)
    {
      TgRequestRecord *record = g_ptr_array_index (lane->records, i);
      gint64 start = tg_request_record_get_start_time (record);
      g_autofree char *line = NULL;
      g_autofree char *escaped = NULL;

      if (!tg_request_record_is_finished (record))
        /* Translators: a line of the timeline's tooltip, e.g.
         * "attempt 2 (generation 3): sent at +40 ms, in flight" */
        line = g_strdup_printf (_("attempt %u (generation %u): sent at +%.0f ms, in flight"),
                                tg_request_record_get_attempt (record),
                                tg_request_record_get_generation (record),
                                (start - origin) / 1000.0);
      else
        /* Translators: a line of the timeline's tooltip, e.g.
         * "attempt 1 (generation 2): sent at +3 ms, 401 after 12 ms" */
        line = g_strdup_printf (_("attempt %u (generation %u): sent at +%.0f ms, %u after %.0f ms"),
                                tg_request_record_get_attempt (record),
                                tg_request_record_get_generation (record),
                                (start - origin) / 1000.0,
                                tg_request_record_get_status (record),
                                (tg_request_record_get_end_time (record) - start) / 1000.0);

      escaped = g_markup_escape_text (line, -1);
      g_string_append_c (text, '\n');
      g_string_append (text, escaped);
    }

  gtk_tooltip_set_markup (tooltip, text->str);
  return TRUE;
}

/* ------------------------------------------------------------------------ */

static void
tg_timeline_map (GtkWidget *widget)
{
  TgTimeline *self = TG_TIMELINE (widget);

  GTK_WIDGET_CLASS (tg_timeline_parent_class)->map (widget);
  queue_redraw (self);
}

static void
tg_timeline_unmap (GtkWidget *widget)
{
  TgTimeline *self = TG_TIMELINE (widget);

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (widget, self->tick_id);
      self->tick_id = 0;
    }

  GTK_WIDGET_CLASS (tg_timeline_parent_class)->unmap (widget);
}

static void
tg_timeline_dispose (GObject *object)
{
  TgTimeline *self = TG_TIMELINE (object);

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }

  if (self->pending != NULL)
    tg_pending_records_clear (self->pending);
  if (self->log_signals != NULL)
    g_signal_group_set_target (self->log_signals, NULL);
  g_clear_object (&self->log_signals);
  g_clear_object (&self->pending);
  g_clear_object (&self->log);

  if (self->hadjustment != NULL)
    g_signal_handlers_disconnect_by_func (self->hadjustment, on_adjustment_value_changed, self);
  if (self->vadjustment != NULL)
    g_signal_handlers_disconnect_by_func (self->vadjustment, on_adjustment_value_changed, self);
  g_clear_object (&self->hadjustment);
  g_clear_object (&self->vadjustment);

  G_OBJECT_CLASS (tg_timeline_parent_class)->dispose (object);
}

static void
tg_timeline_finalize (GObject *object)
{
  TgTimeline *self = TG_TIMELINE (object);

  g_clear_pointer (&self->lane_by_request, g_hash_table_unref);
  g_clear_pointer (&self->lanes, g_ptr_array_unref);

  G_OBJECT_CLASS (tg_timeline_parent_class)->finalize (object);
}

static void
tg_timeline_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  TgTimeline *self = TG_TIMELINE (object);

  switch (prop_id)
    {
    case PROP_LOG:
      g_value_set_object (value, self->log);
      break;
    case PROP_N_LANES:
      g_value_set_uint (value, self->lanes->len);
      break;
    case PROP_HADJUSTMENT:
      g_value_set_object (value, self->hadjustment);
      break;
    case PROP_VADJUSTMENT:
      g_value_set_object (value, self->vadjustment);
      break;
    case PROP_HSCROLL_POLICY:
      g_value_set_enum (value, self->hscroll_policy);
      break;
    case PROP_VSCROLL_POLICY:
      g_value_set_enum (value, self->vscroll_policy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_timeline_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  TgTimeline *self = TG_TIMELINE (object);

  switch (prop_id)
    {
    case PROP_LOG:
      tg_timeline_set_log (self, g_value_get_object (value));
      break;
    case PROP_HADJUSTMENT:
      set_adjustment (self, &self->hadjustment, g_value_get_object (value));
      break;
    case PROP_VADJUSTMENT:
      set_adjustment (self, &self->vadjustment, g_value_get_object (value));
      break;
    case PROP_HSCROLL_POLICY:
      if (self->hscroll_policy != (guint) g_value_get_enum (value))
        {
          self->hscroll_policy = g_value_get_enum (value);
          gtk_widget_queue_resize (GTK_WIDGET (self));
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_VSCROLL_POLICY:
      if (self->vscroll_policy != (guint) g_value_get_enum (value))
        {
          self->vscroll_policy = g_value_get_enum (value);
          gtk_widget_queue_resize (GTK_WIDGET (self));
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_timeline_class_init (TgTimelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tg_timeline_dispose;
  object_class->finalize = tg_timeline_finalize;
  object_class->get_property = tg_timeline_get_property;
  object_class->set_property = tg_timeline_set_property;

  widget_class->snapshot = _tg_timeline_snapshot;
  widget_class->measure = tg_timeline_measure;
  widget_class->size_allocate = tg_timeline_size_allocate;
  widget_class->query_tooltip = tg_timeline_query_tooltip;
  widget_class->map = tg_timeline_map;
  widget_class->unmap = tg_timeline_unmap;

  /**
   * TgTimeline:log:
   *
   * The request log drawn, or %NULL.
   */
  properties[PROP_LOG] =
    g_param_spec_object ("log", NULL, NULL, TG_TYPE_REQUEST_LOG,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * TgTimeline:n-lanes:
   *
   * How many lanes are drawn: the refresh lane and one per request.
   */
  properties[PROP_N_LANES] =
    g_param_spec_uint ("n-lanes", NULL, NULL, 0, G_MAXUINT, 1,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_object_class_override_property (object_class, PROP_HADJUSTMENT, "hadjustment");
  g_object_class_override_property (object_class, PROP_VADJUSTMENT, "vadjustment");
  g_object_class_override_property (object_class, PROP_HSCROLL_POLICY, "hscroll-policy");
  g_object_class_override_property (object_class, PROP_VSCROLL_POLICY, "vscroll-policy");

  gtk_widget_class_set_css_name (widget_class, "timeline");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
tg_timeline_init (TgTimeline *self)
{
  self->lanes = g_ptr_array_new_with_free_func ((GDestroyNotify) lane_free);
  self->lane_by_request = g_hash_table_new (NULL, NULL);
  self->pending = tg_pending_records_new ();
  g_signal_connect_object (self->pending, "record-finished",
                           G_CALLBACK (queue_redraw), self, G_CONNECT_SWAPPED);
  reset_lanes (self);

  self->log_signals = g_signal_group_new (TG_TYPE_REQUEST_LOG);
  g_signal_group_connect_swapped (self->log_signals, "items-changed",
                                  G_CALLBACK (on_log_items_changed), self);

  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  /* A Tab stop, so that a keyboard and a screen reader reach its
   * description (update_description()). */
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Timeline of the last burst"), -1);
  tg_accessible_describe (GTK_WIDGET (self),
                          _("Each request’s attempts on a time axis: the 401s, the one token refresh they waited for, and the retries"));
}

/**
 * tg_timeline_new:
 *
 * Returns: (transfer floating): a timeline showing no log yet
 */
GtkWidget *
tg_timeline_new (void)
{
  return g_object_new (TG_TYPE_TIMELINE, NULL);
}

/**
 * tg_timeline_set_log:
 * @self: a #TgTimeline
 * @log: (nullable): the request log to draw
 *
 * Draws @log's records, from its start until the first tg_timeline_mark_burst().
 */
void
tg_timeline_set_log (TgTimeline   *self,
                     TgRequestLog *log)
{
  g_return_if_fail (TG_IS_TIMELINE (self));
  g_return_if_fail (log == NULL || TG_IS_REQUEST_LOG (log));

  if (!g_set_object (&self->log, log))
    return;

  g_signal_group_set_target (self->log_signals, log);

  self->burst_position = 0;
  self->burst_time = 0;
  reset_lanes (self);
  if (log != NULL)
    scan_new_records (self);
  queue_redraw (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG]);
}

/**
 * tg_timeline_mark_burst:
 * @self: a #TgTimeline
 *
 * Starts a new picture: from now on the timeline shows the records added
 * after this call, on an axis that starts now.
 */
void
tg_timeline_mark_burst (TgTimeline *self)
{
  g_return_if_fail (TG_IS_TIMELINE (self));

  self->burst_position = self->log != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->log)) : 0;
  self->burst_time = g_get_monotonic_time ();
  reset_lanes (self);

  if (self->vadjustment != NULL)
    gtk_adjustment_set_value (self->vadjustment, 0);

  queue_redraw (self);
}

/**
 * tg_timeline_get_n_lanes:
 * @self: a #TgTimeline
 *
 * Returns: the number of lanes: one for the refresh, one per logical
 *   request, one per sign-in or revocation
 */
guint
tg_timeline_get_n_lanes (TgTimeline *self)
{
  g_return_val_if_fail (TG_IS_TIMELINE (self), 0);

  return self->lanes->len;
}
