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
 */
#define G_LOG_DOMAIN "tg-timeline"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "tg-timeline.h"

#define LANE_HEIGHT    22
#define BAR_HEIGHT     14
#define HEADER_HEIGHT  44   /* legend and axis labels, fixed above the lanes */
#define FOOTER_PADDING 6
#define MAX_NATURAL_LANES 16
#define MIN_SPAN_USEC  (10 * 1000)   /* an axis never spans less than 10 ms */
#define ANIMATION_INTERVAL_USEC (1000000 / 30)
/* Less than this between the burst and a first send is the main loop, not a
 * wait worth drawing. */
#define GATE_WAIT_MIN_USEC (3 * 1000)

typedef enum {
  LANE_REFRESH,
  LANE_REQUEST,
  LANE_OTHER,
} LaneKind;

typedef struct {
  LaneKind   kind;
  guint      request_id;
  char      *label;     /* owned */
  GPtrArray *records;   /* owned; of owned TgRequestRecord, in log order */
} Lane;

struct _TgTimeline
{
  GtkWidget      parent_instance;

  TgRequestLog  *log;              /* owned, nullable */
  GSignalGroup  *log_signals;      /* owned */

  guint          burst_position;   /* first record shown */
  gint64         burst_time;       /* monotonic µs of the mark; 0 without one */
  guint          scanned;          /* records of the log already put in lanes */

  GPtrArray     *lanes;            /* owned; of Lane; [0] is the refresh lane */
  GHashTable    *lane_by_request;  /* request id → Lane (borrowed) */
  GHashTable    *pending;          /* unfinished records shown: owned refs */

  GtkAdjustment *hadjustment;      /* owned, nullable */
  GtkAdjustment *vadjustment;      /* owned, nullable */
  guint          hscroll_policy : 1;
  guint          vscroll_policy : 1;

  guint          tick_id;
  gint64         last_frame_draw;
  gboolean       draw_pending;
  gboolean       resize_pending;
};

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
on_pending_record_finished (TgRequestRecord *record,
                            GParamSpec      *pspec,
                            TgTimeline      *self)
{
  g_signal_handlers_disconnect_by_func (record, on_pending_record_finished, self);
  g_hash_table_remove (self->pending, record);
  queue_redraw (self);
}

static void
unwatch_all (TgTimeline *self)
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

static void
reset_lanes (TgTimeline *self)
{
  unwatch_all (self);
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

  if (!tg_request_record_is_finished (record))
    {
      g_hash_table_add (self->pending, g_object_ref (record));
      g_signal_connect (record, "notify::finished", G_CALLBACK (on_pending_record_finished), self);
    }
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

/* What a screen reader says about the picture: the counts it is drawn from. */
static void
update_description (TgTimeline *self)
{
  Lane *refresh_lane = g_ptr_array_index (self->lanes, 0);
  g_autofree char *requests = NULL;
  g_autofree char *text = NULL;
  guint n_requests = g_hash_table_size (self->lane_by_request);

  requests = g_strdup_printf (ngettext ("%u request", "%u requests", n_requests), n_requests);
  /* Translators: e.g. "3 requests and 1 refresh on a time axis" */
  text = g_strdup_printf (ngettext ("%s and %u refresh on a time axis",
                                    "%s and %u refreshes on a time axis",
                                    refresh_lane->records->len),
                          requests, refresh_lane->records->len);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text,
                                  -1);
}

static gboolean
on_tick (GtkWidget     *widget,
         GdkFrameClock *frame_clock,
         gpointer       user_data)
{
  TgTimeline *self = TG_TIMELINE (widget);
  gint64 now = gdk_frame_clock_get_frame_time (frame_clock);
  gboolean animating = g_hash_table_size (self->pending) > 0;

  if (self->resize_pending)
    {
      self->resize_pending = FALSE;
      gtk_widget_queue_resize (widget);
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

typedef struct {
  gint64 t0;          /* monotonic µs at x = bars_x */
  gint64 t1;          /* at x = bars_x + bars_width */
  gint64 now;
  float  gutter;      /* lane labels */
  float  bars_x;
  float  bars_width;
} Scale;

static float
time_to_x (const Scale *scale,
           gint64       t)
{
  return scale->bars_x + (float) ((double) (t - scale->t0) / (double) (scale->t1 - scale->t0)
                                  * scale->bars_width);
}

static gint64
record_end (TgRequestRecord *record,
            gint64           now)
{
  return tg_request_record_is_finished (record) ? tg_request_record_get_end_time (record) : now;
}

static void
compute_scale (TgTimeline *self,
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
          t1 = MAX (t1, record_end (record, scale->now));
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
/* Drawing                                                                  */

typedef struct {
  GdkRGBA fg;
  GdkRGBA dim;        /* lane stripes, grid */
  GdkRGBA success;
  GdkRGBA unauthorized;
  GdkRGBA error;
  GdkRGBA accent;
  GdkRGBA pending;
  GdkRGBA on_bar;
} Palette;

static void
lookup_color (GtkStyleContext *context,
              const char      *name,
              const char      *fallback,
              GdkRGBA         *color)
{
  /* libadwaita's named colours follow the light and dark styles; without
   * them (a bare GTK theme) the GNOME palette will do. */
  if (!gtk_style_context_lookup_color (context, name, color))
    gdk_rgba_parse (color, fallback);
}

static void
get_palette (TgTimeline *self,
             Palette    *palette)
{
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (self));

  gtk_style_context_get_color (context, &palette->fg);

  palette->dim = palette->fg;
  palette->dim.alpha *= 0.08f;
  palette->pending = palette->fg;
  palette->pending.alpha *= 0.35f;

  lookup_color (context, "success_bg_color", "#26a269", &palette->success);
  lookup_color (context, "error_bg_color", "#c01c28", &palette->error);
  lookup_color (context, "accent_bg_color", "#3584e4", &palette->accent);
  /* 401 is the posts' orange, the same in both styles: it is the one colour a
   * person looks for in the picture. */
  gdk_rgba_parse (&palette->unauthorized, "#e66100");
  gdk_rgba_parse (&palette->on_bar, "#ffffff");
}

static const GdkRGBA *
record_color (const Palette   *palette,
              TgRequestRecord *record)
{
  guint status = tg_request_record_get_status (record);

  if (!tg_request_record_is_finished (record))
    return &palette->pending;
  if (status == 0)
    return &palette->error;
  if (tg_request_record_get_kind (record) == TG_REQUEST_KIND_REFRESH)
    return status >= 200 && status < 400 ? &palette->accent : &palette->error;
  if (status == 401)
    return &palette->unauthorized;
  if (status >= 200 && status < 400)
    return &palette->success;
  return &palette->error;
}

static void
append_rect (GtkSnapshot   *snapshot,
             const GdkRGBA *color,
             float          x,
             float          y,
             float          width,
             float          height)
{
  graphene_rect_t rect = GRAPHENE_RECT_INIT (x, y, width, height);

  gtk_snapshot_append_color (snapshot, color, &rect);
}

static void
append_bar (GtkSnapshot   *snapshot,
            const GdkRGBA *color,
            float          x,
            float          y,
            float          width,
            float          height)
{
  GskRoundedRect rounded;
  float radius = MIN (3.0f, width / 2.0f);

  gsk_rounded_rect_init_from_rect (&rounded, &GRAPHENE_RECT_INIT (x, y, width, height), radius);
  gtk_snapshot_push_rounded_clip (snapshot, &rounded);
  append_rect (snapshot, color, x, y, width, height);
  gtk_snapshot_pop (snapshot);
}

/* The wait for the refresh: a dashed line, like a connector in a waterfall. */
static void
append_dashes (GtkSnapshot   *snapshot,
               const GdkRGBA *color,
               float          x0,
               float          x1,
               float          y)
{
  for (float x = x0; x < x1; x += 7.0f)
    append_rect (snapshot, color, x, y - 1.0f, MIN (4.0f, x1 - x), 2.0f);
}

static void
append_text (GtkSnapshot   *snapshot,
             PangoLayout   *layout,
             const GdkRGBA *color,
             float          x,
             float          y)
{
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

/* 1, 2 or 5 × 10ⁿ ms, so that ticks are at least @min_px apart. */
static double
nice_step_ms (double span_ms,
              float  width,
              float  min_px)
{
  double raw = span_ms / MAX (1.0, width / min_px);
  double magnitude = 0.001;

  while (magnitude * 10.0 <= raw)
    magnitude *= 10.0;

  if (raw <= magnitude)
    return magnitude;
  if (raw <= 2 * magnitude)
    return 2 * magnitude;
  if (raw <= 5 * magnitude)
    return 5 * magnitude;
  return 10 * magnitude;
}

static char *
format_tick (double ms,
             double step_ms)
{
  if (step_ms >= 1000.0)
    /* Translators: a time axis label in seconds, e.g. "1.5 s" */
    return g_strdup_printf (_("%.*f s"), step_ms >= 10000.0 ? 0 : 1, ms / 1000.0);
  /* Translators: a time axis label in milliseconds, e.g. "250 ms" */
  return g_strdup_printf (_("%.*f ms"), step_ms >= 1.0 ? 0 : 1, ms);
}

static void
snapshot_header (TgTimeline    *self,
                 GtkSnapshot   *snapshot,
                 PangoLayout   *layout,
                 const Palette *palette,
                 const Scale   *scale,
                 int            width)
{
  struct {
    const GdkRGBA *color;
    gboolean       dashed;
    const char    *text;
  } legend[] = {
    { &palette->unauthorized, FALSE, C_("timeline legend", "401") },
    { &palette->accent, FALSE, C_("timeline legend", "refresh") },
    { &palette->fg, TRUE, C_("timeline legend", "waiting") },
    { &palette->success, FALSE, C_("timeline legend", "2xx") },
    { &palette->error, FALSE, C_("timeline legend", "error") },
    { &palette->pending, FALSE, C_("timeline legend", "in flight") },
  };
  double span_ms = (scale->t1 - scale->t0) / 1000.0;
  double step_ms = nice_step_ms (span_ms, scale->bars_width, 80.0f);
  float x = 8.0f;
  int text_width, text_height;

  /* The legend, as far as it fits. */
  pango_layout_set_width (layout, -1);
  for (guint i = 0; i < G_N_ELEMENTS (legend); i++)
    {
      pango_layout_set_text (layout, legend[i].text, -1);
      pango_layout_get_pixel_size (layout, &text_width, &text_height);
      if (x + 14.0f + text_width > width - 4)
        break;

      if (legend[i].dashed)
        append_dashes (snapshot, legend[i].color, x, x + 12.0f, 11.0f);
      else
        append_bar (snapshot, legend[i].color, x, 5.0f, 12.0f, 12.0f);
      append_text (snapshot, layout, &palette->fg, x + 16.0f, 11.0f - text_height / 2.0f);
      x += 16.0f + text_width + 14.0f;
    }

  /* Tick labels: centred on their tick, "0 ms" at the origin. */
  for (double ms = 0.0; ms <= span_ms + step_ms / 2; ms += step_ms)
    {
      g_autofree char *label = format_tick (ms, step_ms);
      float tick_x = time_to_x (scale, scale->t0 + (gint64) (ms * 1000.0));
      float label_x;

      if (tick_x > scale->bars_x + scale->bars_width + 1.0f)
        break;

      pango_layout_set_text (layout, label, -1);
      pango_layout_get_pixel_size (layout, &text_width, &text_height);
      label_x = CLAMP (tick_x - text_width / 2.0f, scale->bars_x - 4.0f, width - text_width - 2.0f);
      append_text (snapshot, layout, &palette->fg, label_x, HEADER_HEIGHT - 6.0f - text_height);
      append_rect (snapshot, &palette->fg, tick_x, HEADER_HEIGHT - 5.0f, 1.0f, 4.0f);
    }

  append_rect (snapshot, &palette->dim, 0, HEADER_HEIGHT - 1.0f, width, 1.0f);
}

static void
snapshot_lane (TgTimeline    *self,
               GtkSnapshot   *snapshot,
               PangoLayout   *layout,
               const Palette *palette,
               const Scale   *scale,
               Lane          *lane,
               float          y)
{
  float centre = y + LANE_HEIGHT / 2.0f;
  float bar_y = centre - BAR_HEIGHT / 2.0f;
  gboolean still_waiting = g_hash_table_size (self->pending) > 0;
  int text_width, text_height;
  float previous_end = -1.0f;

  /* The label; when the path does not fit, its last segment ("…/12") is
   * what tells the lanes apart. */
  pango_layout_set_width (layout, (int) ((scale->gutter - 8.0f) * PANGO_SCALE));
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_START);
  pango_layout_set_text (layout, lane->label, -1);
  if (pango_layout_is_ellipsized (layout) && strrchr (lane->label, '/') != NULL)
    {
      g_autofree char *tail = g_strconcat ("…", strrchr (lane->label, '/'), NULL);

      pango_layout_set_text (layout, tail, -1);
    }
  pango_layout_get_pixel_size (layout, &text_width, &text_height);
  append_text (snapshot, layout,
               lane->kind == LANE_REFRESH ? &palette->accent : &palette->fg,
               scale->gutter - text_width, centre - text_height / 2.0f);
  pango_layout_set_width (layout, -1);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_NONE);

  if (lane->records->len == 0 && lane->kind == LANE_REFRESH)
    {
      pango_layout_set_text (layout, _("no refresh"), -1);
      pango_layout_get_pixel_size (layout, &text_width, &text_height);
      append_text (snapshot, layout, &palette->pending, scale->bars_x + 4.0f,
                   centre - text_height / 2.0f);
      return;
    }

  for (guint i = 0; i < lane->records->len; i++)
    {
      TgRequestRecord *record = g_ptr_array_index (lane->records, i);
      gboolean finished = tg_request_record_is_finished (record);
      float x0 = time_to_x (scale, tg_request_record_get_start_time (record));
      float x1 = time_to_x (scale, record_end (record, scale->now));
      float bar_width = MAX (x1 - x0, 3.0f);
      guint status = tg_request_record_get_status (record);

      /* Before the first attempt: the time it spent at the gate, when it
       * was asked for with the burst but held back. After a 401: the wait
       * for the refresh, up to the retry. */
      if (i == 0 && lane->kind == LANE_REQUEST && x0 - scale->bars_x > 6.0f &&
          tg_request_record_get_start_time (record) - scale->t0 >= GATE_WAIT_MIN_USEC)
        append_dashes (snapshot, &palette->pending, scale->bars_x, x0 - 2.0f, centre);
      else if (previous_end >= 0.0f && x0 - previous_end > 3.0f)
        append_dashes (snapshot, &palette->fg, previous_end + 2.0f, x0 - 2.0f, centre);

      append_bar (snapshot, record_color (palette, record), x0, bar_y, bar_width, BAR_HEIGHT);

      if (finished && lane->kind != LANE_REFRESH)
        {
          g_autofree char *text = status != 0 ? g_strdup_printf ("%u", status)
                                              : g_strdup (C_("status", "error"));

          pango_layout_set_text (layout, text, -1);
          pango_layout_get_pixel_size (layout, &text_width, &text_height);
          if (text_width + 6 <= bar_width)
            append_text (snapshot, layout, &palette->on_bar,
                         x0 + (bar_width - text_width) / 2.0f, centre - text_height / 2.0f);
        }
      else if (lane->kind == LANE_REFRESH)
        {
          pango_layout_set_text (layout, C_("timeline bar", "refresh"), -1);
          pango_layout_get_pixel_size (layout, &text_width, &text_height);
          if (text_width + 6 <= bar_width)
            append_text (snapshot, layout, &palette->on_bar,
                         x0 + (bar_width - text_width) / 2.0f, centre - text_height / 2.0f);
        }

      previous_end = x0 + bar_width;

      /* A 401 with no retry yet, while the burst is still going: it is
       * waiting for the refresh right now. */
      if (i == lane->records->len - 1 && finished && status == 401 && still_waiting)
        append_dashes (snapshot, &palette->fg, previous_end + 2.0f,
                       time_to_x (scale, scale->now), centre);
    }
}

static void
tg_timeline_snapshot (GtkWidget   *widget,
                      GtkSnapshot *snapshot)
{
  TgTimeline *self = TG_TIMELINE (widget);
  g_autoptr(PangoLayout) layout = NULL;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double offset = self->vadjustment != NULL ? gtk_adjustment_get_value (self->vadjustment) : 0.0;
  Palette palette;
  Scale scale;
  guint first, last;
  gboolean any_record = FALSE;

  if (width <= 0 || height <= 0)
    return;

  get_palette (self, &palette);
  compute_scale (self, width, &scale);
  layout = gtk_widget_create_pango_layout (widget, NULL);

  for (guint i = 0; i < self->lanes->len && !any_record; i++)
    any_record = ((Lane *) g_ptr_array_index (self->lanes, i))->records->len > 0;

  snapshot_header (self, snapshot, layout, &palette, &scale, width);

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, HEADER_HEIGHT, width, height - HEADER_HEIGHT));

  if (!any_record)
    {
      int text_width, text_height;

      pango_layout_set_text (layout, _("Send requests to see them on a time axis"), -1);
      pango_layout_set_width (layout, width * PANGO_SCALE);
      pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
      pango_layout_get_pixel_size (layout, &text_width, &text_height);
      append_text (snapshot, layout, &palette.pending, 0,
                   HEADER_HEIGHT + LANE_HEIGHT * 1.5f - text_height / 2.0f);
      pango_layout_set_width (layout, -1);
      pango_layout_set_alignment (layout, PANGO_ALIGN_LEFT);
    }

  /* Grid lines and the shade of the refresh, behind the lanes. */
  {
    double span_ms = (scale.t1 - scale.t0) / 1000.0;
    double step_ms = nice_step_ms (span_ms, scale.bars_width, 80.0f);
    Lane *refresh_lane = g_ptr_array_index (self->lanes, 0);
    GdkRGBA shade = palette.accent;

    shade.alpha = 0.12f;

    for (double ms = 0.0; ms <= span_ms; ms += step_ms)
      append_rect (snapshot, &palette.dim,
                   time_to_x (&scale, scale.t0 + (gint64) (ms * 1000.0)), HEADER_HEIGHT,
                   1.0f, height - HEADER_HEIGHT);

    for (guint i = 0; i < refresh_lane->records->len; i++)
      {
        TgRequestRecord *record = g_ptr_array_index (refresh_lane->records, i);
        float x0 = time_to_x (&scale, tg_request_record_get_start_time (record));
        float x1 = time_to_x (&scale, record_end (record, scale.now));

        append_rect (snapshot, &shade, x0, HEADER_HEIGHT, MAX (x1 - x0, 2.0f), height - HEADER_HEIGHT);
      }
  }

  if (any_record)
    {
      /* Only the lanes in view: with 1,000 lanes the rest would be drawn
       * just to be clipped away. */
      first = (guint) MAX (0.0, offset / LANE_HEIGHT);
      last = MIN (self->lanes->len,
                  (guint) ((offset + height - HEADER_HEIGHT) / LANE_HEIGHT) + 1);

      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (0, HEADER_HEIGHT - (float) offset));

      for (guint i = first; i < last; i++)
        {
          Lane *lane = g_ptr_array_index (self->lanes, i);

          if (i % 2 == 1)
            append_rect (snapshot, &palette.dim, 0, i * LANE_HEIGHT, width, LANE_HEIGHT);
          snapshot_lane (self, snapshot, layout, &palette, &scale, lane, i * LANE_HEIGHT);
        }

      gtk_snapshot_restore (snapshot);
    }

  gtk_snapshot_pop (snapshot);
}

/* ------------------------------------------------------------------------ */
/* Size and scrolling                                                       */

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
      guint lanes = MAX (self->lanes->len, 4);

      *minimum = HEADER_HEIGHT + 2 * LANE_HEIGHT + FOOTER_PADDING;
      *natural = HEADER_HEIGHT + MIN (lanes, MAX_NATURAL_LANES) * LANE_HEIGHT + FOOTER_PADDING;
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
  compute_scale (self, gtk_widget_get_width (widget), &scale);
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
    unwatch_all (self);
  if (self->log_signals != NULL)
    g_signal_group_set_target (self->log_signals, NULL);
  g_clear_object (&self->log_signals);
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
  g_clear_pointer (&self->pending, g_hash_table_unref);

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

  widget_class->snapshot = tg_timeline_snapshot;
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
  self->pending = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  reset_lanes (self);

  self->log_signals = g_signal_group_new (TG_TYPE_REQUEST_LOG);
  g_signal_group_connect_swapped (self->log_signals, "items-changed",
                                  G_CALLBACK (on_log_items_changed), self);

  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Timeline of the last burst"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("Each request’s attempts on a time axis: the 401s, the one token refresh they waited for, and the retries"),
                                  -1);
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
