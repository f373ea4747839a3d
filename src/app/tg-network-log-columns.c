/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The network log's columns, shared by its rows and its row of column
 * titles (TgNetworkLogRow): what each column is, how wide it is, and the one
 * PangoContext the rows lay out their text with.
 *
 * Every row drawing its cells from one context and one table of widths is
 * what makes a row cheap: GTK 4.8's GtkColumnView built each row from a row
 * widget, eight cell widgets and eight GtkInscriptions, each with its own
 * CSS node and PangoContext — about 200 rows, thousands of widgets, in the
 * first frames of a burst (ui-stall: 17–30 ms of CPU a frame). Computing
 * the widths in one place also keeps the titles over their cells without a
 * column view to line them up.
 */
#define G_LOG_DOMAIN "tg-network-view"

#include "config.h"

#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "tg-network-log-columns.h"

struct _TgNetworkLogColumns
{
  GObject       parent_instance;

  PangoContext *context;        /* owned, nullable until the first update */
  int           char_width;     /* Pango units: the widest of a digit and an average character */
  int           line_height;    /* pixels */
  int           title_widths[TG_NETWORK_LOG_N_COLUMNS];
  int           row_width;      /* the last a row of the list was given */

  /* Every row has the same width: the boxes of the last one asked for are
   * kept for the next. */
  gboolean            boxes_valid;
  int                 boxes_width;
  GtkTextDirection    boxes_direction;
  TgNetworkLogCellBox boxes[TG_NETWORK_LOG_N_COLUMNS];
};

G_DEFINE_FINAL_TYPE (TgNetworkLogColumns, tg_network_log_columns, G_TYPE_OBJECT)

enum {
  CHANGED,
  ROW_WIDTH_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The character counts keep the widths steady while rows are recycled and
 * records finish: a column is as wide for "…" as for "12345 ms". */
static const struct {
  const char *title;
  guint       min_chars;
  guint       nat_chars;
  float       xalign;
  gboolean    numeric;
  gboolean    essential;  /* kept in a window too narrow for every column */
} column_info[TG_NETWORK_LOG_N_COLUMNS] = {
  /* Translators: column titles of the network log; keep them short */
  /* "+12345 ms": a slow burst's times have five digits. */
  [TG_NETWORK_LOG_COLUMN_TIME]       = { N_("Time"),       9, 10, 1.0f, TRUE,  TRUE  },
  [TG_NETWORK_LOG_COLUMN_METHOD]     = { N_("Method"),     4,  5, 0.0f, FALSE, TRUE  },
  /* Narrow enough for a phone with the time, method and status beside it. */
  [TG_NETWORK_LOG_COLUMN_PATH]       = { N_("Path"),      11, 24, 0.0f, FALSE, TRUE  },
  [TG_NETWORK_LOG_COLUMN_STATUS]     = { N_("Status"),     3,  4, 1.0f, TRUE,  TRUE  },
  [TG_NETWORK_LOG_COLUMN_KIND]       = { N_("Kind"),       7,  7, 0.0f, FALSE, FALSE },
  /* Translators: the access-token generation a request went out with */
  [TG_NETWORK_LOG_COLUMN_GENERATION] = { N_("Gen."),       2,  3, 1.0f, TRUE,  FALSE },
  /* Translators: 1 for a first send, 2 for the retry */
  [TG_NETWORK_LOG_COLUMN_ATTEMPT]    = { N_("Try"),        2,  3, 1.0f, TRUE,  FALSE },
  [TG_NETWORK_LOG_COLUMN_DURATION]   = { N_("Duration"),   9, 10, 1.0f, TRUE,  FALSE },
};

/* The column that takes the room left over. */
#define EXPANDING_COLUMN TG_NETWORK_LOG_COLUMN_PATH

const char *
tg_network_log_columns_get_title (TgNetworkLogColumn column)
{
  g_return_val_if_fail (column < TG_NETWORK_LOG_N_COLUMNS, NULL);

  return _(column_info[column].title);
}

/**
 * tg_network_log_columns_get_xalign:
 *
 * Returns: where a cell's text sits in its cell, 0 at the start and 1 at
 *   the end (numbers line up at their end), for left-to-right text
 */
float
tg_network_log_columns_get_xalign (TgNetworkLogColumn column)
{
  g_return_val_if_fail (column < TG_NETWORK_LOG_N_COLUMNS, 0.0f);

  return column_info[column].xalign;
}

gboolean
tg_network_log_columns_is_numeric (TgNetworkLogColumn column)
{
  g_return_val_if_fail (column < TG_NETWORK_LOG_N_COLUMNS, FALSE);

  return column_info[column].numeric;
}

PangoEllipsizeMode
tg_network_log_columns_get_ellipsize (TgNetworkLogColumn column)
{
  /* A path cut at its start keeps what tells the rows apart, the end
   * ("…/resources/12"); cut in the middle it loses the number's context. */
  return column == TG_NETWORK_LOG_COLUMN_PATH ? PANGO_ELLIPSIZE_START : PANGO_ELLIPSIZE_END;
}

static void
tg_network_log_columns_finalize (GObject *object)
{
  TgNetworkLogColumns *self = TG_NETWORK_LOG_COLUMNS (object);

  g_clear_object (&self->context);

  G_OBJECT_CLASS (tg_network_log_columns_parent_class)->finalize (object);
}

static void
tg_network_log_columns_class_init (TgNetworkLogColumnsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tg_network_log_columns_finalize;

  /**
   * TgNetworkLogColumns::changed:
   *
   * The context or the widths changed: every row lays out its text again.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * TgNetworkLogColumns::row-width-changed:
   *
   * The rows of the list were given another width: the titles are put
   * over them again.
   */
  signals[ROW_WIDTH_CHANGED] =
    g_signal_new ("row-width-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
tg_network_log_columns_init (TgNetworkLogColumns *self)
{
}

/**
 * tg_network_log_columns_new:
 *
 * Returns: (transfer full): columns without a context yet
 */
TgNetworkLogColumns *
tg_network_log_columns_new (void)
{
  return g_object_new (TG_TYPE_NETWORK_LOG_COLUMNS, NULL);
}

static void
changed (TgNetworkLogColumns *self)
{
  self->boxes_valid = FALSE;
  g_signal_emit (self, signals[CHANGED], 0);
}

static gboolean
same_font_options (PangoContext *a,
                   PangoContext *b)
{
  const cairo_font_options_t *oa = pango_cairo_context_get_font_options (a);
  const cairo_font_options_t *ob = pango_cairo_context_get_font_options (b);

  if (oa == NULL || ob == NULL)
    return oa == ob;
  return cairo_font_options_equal (oa, ob);
}

static gboolean
same_context (PangoContext *a,
              PangoContext *b)
{
  return pango_font_description_equal (pango_context_get_font_description (a),
                                       pango_context_get_font_description (b)) &&
         pango_context_get_base_dir (a) == pango_context_get_base_dir (b) &&
         pango_context_get_language (a) == pango_context_get_language (b) &&
         pango_context_get_font_map (a) == pango_context_get_font_map (b) &&
         same_font_options (a, b);
}

/**
 * tg_network_log_columns_update_context:
 * @self: the columns
 * @widget: the widget whose font, font options and direction the rows use
 *
 * Makes the rows' context anew if @widget's font, font options or text
 * direction are no longer what it was made with: call it when they may have
 * changed (its CSS, the system's font settings, its direction, its scale).
 * Nothing happens, and nothing is laid out again, when they did not.
 */
void
tg_network_log_columns_update_context (TgNetworkLogColumns *self,
                                       GtkWidget           *widget)
{
  PangoContext *context;
  PangoFontMetrics *metrics;

  g_return_if_fail (TG_IS_NETWORK_LOG_COLUMNS (self));
  g_return_if_fail (GTK_IS_WIDGET (widget));

  context = gtk_widget_create_pango_context (widget);
  if (self->context != NULL && same_context (self->context, context))
    {
      g_object_unref (context);
      return;
    }

  g_clear_object (&self->context);
  self->context = context;

  metrics = pango_context_get_metrics (self->context, NULL, NULL);
  self->char_width = MAX (pango_font_metrics_get_approximate_char_width (metrics),
                          pango_font_metrics_get_approximate_digit_width (metrics));
  self->line_height = PANGO_PIXELS_CEIL (pango_font_metrics_get_height (metrics));
  pango_font_metrics_unref (metrics);

  changed (self);
}

/**
 * tg_network_log_columns_get_context:
 *
 * Returns: (transfer none) (nullable): the context every row lays out its
 *   text with, %NULL before tg_network_log_columns_update_context()
 */
PangoContext *
tg_network_log_columns_get_context (TgNetworkLogColumns *self)
{
  g_return_val_if_fail (TG_IS_NETWORK_LOG_COLUMNS (self), NULL);

  return self->context;
}

/**
 * tg_network_log_columns_get_line_height:
 *
 * Returns: the height of a line of the context's font, in pixels
 */
int
tg_network_log_columns_get_line_height (TgNetworkLogColumns *self)
{
  g_return_val_if_fail (TG_IS_NETWORK_LOG_COLUMNS (self), 0);

  return self->line_height;
}

/**
 * tg_network_log_columns_set_title_width:
 * @width: how wide @column's title is, in pixels, without padding
 *
 * A column is at least as wide as its title, so that every title shows
 * whole whenever the whole table fits (titles are drawn in their own
 * font, by the row of titles, which tells).
 */
void
tg_network_log_columns_set_title_width (TgNetworkLogColumns *self,
                                        TgNetworkLogColumn   column,
                                        int                  width)
{
  g_return_if_fail (TG_IS_NETWORK_LOG_COLUMNS (self));
  g_return_if_fail (column < TG_NETWORK_LOG_N_COLUMNS);

  if (self->title_widths[column] == width)
    return;

  self->title_widths[column] = width;
  changed (self);
}

/**
 * tg_network_log_columns_note_row_width:
 * @width: the width a row of the list was just given
 *
 * The rows can be narrower than the titles above them, by the width of a
 * scroll bar that is not drawn over them ("always show scroll bars"): the
 * titles are told when that changes, to redraw over the rows.
 */
void
tg_network_log_columns_note_row_width (TgNetworkLogColumns *self,
                                       int                  width)
{
  g_return_if_fail (TG_IS_NETWORK_LOG_COLUMNS (self));

  if (self->row_width == width)
    return;

  self->row_width = width;
  g_signal_emit (self, signals[ROW_WIDTH_CHANGED], 0);
}

static int
chars_width (TgNetworkLogColumns *self,
             guint                chars)
{
  return PANGO_PIXELS_CEIL ((int) chars * self->char_width);
}

static int
column_minimum (TgNetworkLogColumns *self,
                TgNetworkLogColumn   column)
{
  return MAX (chars_width (self, column_info[column].min_chars), self->title_widths[column])
         + 2 * TG_NETWORK_LOG_CELL_PADDING;
}

static int
column_natural (TgNetworkLogColumns *self,
                TgNetworkLogColumn   column)
{
  return MAX (chars_width (self, column_info[column].nat_chars), self->title_widths[column])
         + 2 * TG_NETWORK_LOG_CELL_PADDING;
}

/* Whether every column fits at @width: if not, only the essential ones are
 * shown, so that the time, method, path and status fit on a phone without
 * scrolling sideways. A row's sentence for a screen reader keeps every field. */
static gboolean
is_narrow (TgNetworkLogColumns *self,
           int                  width)
{
  int all = 0;

  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    all += column_minimum (self, i);

  return width < all;
}

/**
 * tg_network_log_columns_measure:
 * @minimum: (out): the width of the essential columns at their narrowest
 * @natural: (out): the width of every column as wide as it likes
 */
void
tg_network_log_columns_measure (TgNetworkLogColumns *self,
                                int                 *minimum,
                                int                 *natural)
{
  g_return_if_fail (TG_IS_NETWORK_LOG_COLUMNS (self));

  *minimum = *natural = 0;
  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    {
      if (column_info[i].essential)
        *minimum += column_minimum (self, i);
      *natural += column_natural (self, i);
    }
}

static void
compute_boxes (TgNetworkLogColumns *self,
               int                  width,
               GtkTextDirection     direction,
               TgNetworkLogCellBox  boxes[TG_NETWORK_LOG_N_COLUMNS])
{
  gboolean narrow = is_narrow (self, width);
  int sum_min = 0, sum_gap = 0, extra, given = 0, x = 0;

  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    {
      boxes[i].visible = column_info[i].essential || !narrow;
      boxes[i].width = 0;
      if (!boxes[i].visible)
        continue;
      sum_min += column_minimum (self, i);
      sum_gap += column_natural (self, i) - column_minimum (self, i);
    }

  /* Each column from its narrowest towards its natural width, all by the
   * same share of the room there is; what is left after that goes to the
   * path, which is the one that gains from it. */
  extra = MAX (width - sum_min, 0);
  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    {
      int gap;

      if (!boxes[i].visible)
        continue;
      gap = column_natural (self, i) - column_minimum (self, i);
      if (extra < sum_gap)
        gap = (int) ((gint64) gap * extra / sum_gap);
      boxes[i].width = column_minimum (self, i) + gap;
      given += gap;
    }
  boxes[EXPANDING_COLUMN].width += extra - given;

  /* Right to left, the first column is at the right. */
  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    {
      boxes[i].x = direction == GTK_TEXT_DIR_RTL ? width - x - boxes[i].width : x;
      x += boxes[i].width;
    }
}

/**
 * tg_network_log_columns_allocate:
 * @width: the width of a row
 * @direction: the row's text direction
 * @boxes: (out caller-allocates): where each cell goes, and whether it is
 *   shown
 *
 * Lays the columns out across a row. Every row, the titles' included, gets
 * the same boxes for the same width.
 */
void
tg_network_log_columns_allocate (TgNetworkLogColumns *self,
                                 int                  width,
                                 GtkTextDirection     direction,
                                 TgNetworkLogCellBox  boxes[TG_NETWORK_LOG_N_COLUMNS])
{
  g_return_if_fail (TG_IS_NETWORK_LOG_COLUMNS (self));

  if (!self->boxes_valid || self->boxes_width != width || self->boxes_direction != direction)
    {
      compute_boxes (self, width, direction, self->boxes);
      self->boxes_valid = TRUE;
      self->boxes_width = width;
      self->boxes_direction = direction;
    }

  memcpy (boxes, self->boxes, sizeof self->boxes);
}
