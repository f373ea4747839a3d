/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The timeline, drawn with GtkSnapshot: a legend and a time axis fixed on
 * top, then one lane per request — its attempts as bars coloured by outcome,
 * the waits between them dashed — under the shade of the refresh they
 * waited for. Only the lanes in view are drawn.
 */
#define G_LOG_DOMAIN "tg-timeline"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "tg-timeline-private.h"

typedef struct {
  GdkRGBA fg;
  GdkRGBA dim;        /* lane stripes, grid */
  GdkRGBA success;
  GdkRGBA unauthorized;
  GdkRGBA error;
  GdkRGBA accent;
  GdkRGBA pending;
} Palette;

/* WCAG 2.1 relative luminance of an sRGB colour (§1.4.3). */
static double
relative_luminance (const GdkRGBA *color)
{
  const float channels[] = { color->red, color->green, color->blue };
  const double weights[] = { 0.2126, 0.7152, 0.0722 };
  double luminance = 0.0;

  for (guint i = 0; i < G_N_ELEMENTS (channels); i++)
    {
      double c = channels[i];

      c = c <= 0.04045 ? c / 12.92 : pow ((c + 0.055) / 1.055, 2.4);
      luminance += weights[i] * c;
    }
  return luminance;
}

/**
 * _tg_timeline_contrast_ratio:
 *
 * Returns: the WCAG contrast ratio of two opaque colours, 1 to 21
 */
double
_tg_timeline_contrast_ratio (const GdkRGBA *a,
                             const GdkRGBA *b)
{
  double la = relative_luminance (a), lb = relative_luminance (b);

  return (MAX (la, lb) + 0.05) / (MIN (la, lb) + 0.05);
}

/**
 * _tg_timeline_text_on_bar:
 * @bar: a bar's colour
 * @text: (out caller-allocates): the colour of the text written on it
 *
 * White or black, whichever stands out more from @bar: white on the 401
 * orange (#e66100) is 3.1:1, below WCAG's 4.5:1 for text; black is 6.7:1.
 */
void
_tg_timeline_text_on_bar (const GdkRGBA *bar,
                          GdkRGBA       *text)
{
  static const GdkRGBA white = { 1, 1, 1, 1 }, black = { 0, 0, 0, 1 };

  *text = _tg_timeline_contrast_ratio (bar, &white) >= _tg_timeline_contrast_ratio (bar, &black) ? white : black;
}

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
      float tick_x = _tg_timeline_time_to_x (scale, scale->t0 + (gint64) (ms * 1000.0));
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
  gboolean still_waiting = tg_pending_records_get_size (self->pending) > 0;
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
      float x0 = _tg_timeline_time_to_x (scale, tg_request_record_get_start_time (record));
      float x1 = _tg_timeline_time_to_x (scale, _tg_timeline_record_end (record, scale->now));
      float bar_width = MAX (x1 - x0, 3.0f);
      guint status = tg_request_record_get_status (record);
      GdkRGBA on_bar;

      /* Before the first attempt: the time it spent at the gate, when it
       * was asked for with the burst but held back — known only with a
       * burst: before one, the axis starts at the first record of the log
       * (a failed sign-in, say) and the gap to a request is the person's
       * time, not a wait. After a 401: the wait for the refresh, up to the
       * retry. */
      if (i == 0 && lane->kind == LANE_REQUEST && self->burst_time != 0 &&
          x0 - scale->bars_x > 6.0f &&
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
          _tg_timeline_text_on_bar (record_color (palette, record), &on_bar);
          if (text_width + 6 <= bar_width)
            append_text (snapshot, layout, &on_bar,
                         x0 + (bar_width - text_width) / 2.0f, centre - text_height / 2.0f);
        }
      else if (lane->kind == LANE_REFRESH)
        {
          pango_layout_set_text (layout, C_("timeline bar", "refresh"), -1);
          pango_layout_get_pixel_size (layout, &text_width, &text_height);
          _tg_timeline_text_on_bar (record_color (palette, record), &on_bar);
          if (text_width + 6 <= bar_width)
            append_text (snapshot, layout, &on_bar,
                         x0 + (bar_width - text_width) / 2.0f, centre - text_height / 2.0f);
        }

      previous_end = x0 + bar_width;

      /* A 401 with no retry yet, while the burst is still going: it is
       * waiting for the refresh right now. */
      if (i == lane->records->len - 1 && finished && status == 401 && still_waiting)
        append_dashes (snapshot, &palette->fg, previous_end + 2.0f,
                       _tg_timeline_time_to_x (scale, scale->now), centre);
    }
}

/**
 * _tg_timeline_snapshot:
 *
 * The timeline's GtkWidgetClass.snapshot: the legend and the axis on top,
 * then the lanes in view.
 */
void
_tg_timeline_snapshot (GtkWidget   *widget,
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
  _tg_timeline_compute_scale (self, width, &scale);
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
                   _tg_timeline_time_to_x (&scale, scale.t0 + (gint64) (ms * 1000.0)), HEADER_HEIGHT,
                   1.0f, height - HEADER_HEIGHT);

    for (guint i = 0; i < refresh_lane->records->len; i++)
      {
        TgRequestRecord *record = g_ptr_array_index (refresh_lane->records, i);
        float x0 = _tg_timeline_time_to_x (&scale, tg_request_record_get_start_time (record));
        float x1 = _tg_timeline_time_to_x (&scale, _tg_timeline_record_end (record, scale.now));

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

