/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One row of the network log, drawn by itself: a record's eight fields, a
 * burst's header, or the column titles above the list.
 *
 * A row is one widget with no children. It keeps a PangoLayout per cell,
 * made when first drawn from the context that every row shares
 * (TgNetworkLogColumns), and puts each cell where the shared table of
 * widths says; a new record in a recycled row is eight strings compared and
 * a redraw, not eight widgets re-measured. What still comes from CSS: the
 * outcome's colour (libadwaita's .success, .warning, .error, .accent and
 * .dim-label on the row), the padding, and the fonts of the column titles
 * and of a burst's header (which lay out with the row's own context, since
 * they are few).
 *
 * GTK 4.8 cannot give a widget accessible children of its own: the list
 * item the row is in is named by the whole row as a sentence, every field in
 * column order, and the row itself is not presented.
 */
#define G_LOG_DOMAIN "tg-network-view"

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <math.h>

#include "tg-burst-rows.h"
#include "tg-network-log-row.h"

struct _TgNetworkLogRow
{
  GtkWidget            parent_instance;

  TgNetworkLogColumns *columns;      /* owned */
  gboolean             titles;       /* the column titles, not a row of the log */
  GtkWidget           *align_to;     /* weak, nullable: what the titles are over */

  GObject             *item;         /* owned, nullable: a TgRequestRecord or a TgBurstHeader */
  gint64               time_origin;  /* the start of the record's burst, monotonic µs */
  const char          *outcome;      /* static: the CSS class shown, nullable */

  char                *texts[TG_NETWORK_LOG_N_COLUMNS];    /* owned, nullable */
  /* Made when first drawn; with the row's own context for the titles and a
   * burst's header, with the shared one for a record. */
  PangoLayout         *layouts[TG_NETWORK_LOG_N_COLUMNS];  /* owned, nullable */
  gboolean             own_font;     /* which of the two the layouts are from */
};

G_DEFINE_FINAL_TYPE (TgNetworkLogRow, tg_network_log_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_COLUMNS,
  PROP_TITLES,
  PROP_ALIGN_TO,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* "tnum": digits of one width, so that numbers line up (libadwaita's
 * .numeric). One list for every numeric cell. */
static PangoAttrList *numeric_attributes;

/* ------------------------------------------------------------------------ */
/* What a record shows                                                      */

/**
 * tg_network_log_format_ms:
 * @usec: a duration
 *
 * Returns: (transfer full): it in milliseconds, e.g. "3.2 ms" or "120 ms"
 */
char *
tg_network_log_format_ms (gint64 usec)
{
  double ms = usec / 1000.0;

  if (ms < 10.0)
    /* Translators: a duration in milliseconds, e.g. "3.2 ms" */
    return g_strdup_printf (_("%.1f ms"), ms);
  /* Translators: a duration in milliseconds, e.g. "120 ms" */
  return g_strdup_printf (_("%.0f ms"), ms);
}

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
cell_text (TgRequestRecord    *record,
           TgNetworkLogColumn  column,
           gint64              time_origin)
{
  gboolean finished = tg_request_record_is_finished (record);

  switch (column)
    {
    case TG_NETWORK_LOG_COLUMN_TIME:
      /* Translators: a start time after the start of the burst, e.g. "+12 ms" */
      return g_strdup_printf (_("+%.0f ms"),
                              MAX (tg_request_record_get_start_time (record) - time_origin, 0) / 1000.0);
    case TG_NETWORK_LOG_COLUMN_METHOD:
      return g_strdup (tg_request_record_get_method (record));
    case TG_NETWORK_LOG_COLUMN_PATH:
      return g_strdup (tg_request_record_get_path (record));
    case TG_NETWORK_LOG_COLUMN_STATUS:
      if (!finished)
        return g_strdup ("…");
      if (tg_request_record_get_status (record) == 0)
        /* Translators: in the Status column, for an exchange without an HTTP answer */
        return g_strdup (C_("status", "error"));
      return g_strdup_printf ("%u", tg_request_record_get_status (record));
    case TG_NETWORK_LOG_COLUMN_KIND:
      return g_strdup (kind_text (record));
    case TG_NETWORK_LOG_COLUMN_GENERATION:
      return g_strdup_printf ("%u", tg_request_record_get_generation (record));
    case TG_NETWORK_LOG_COLUMN_ATTEMPT:
      return g_strdup_printf ("%u", tg_request_record_get_attempt (record));
    case TG_NETWORK_LOG_COLUMN_DURATION:
      if (!finished)
        return g_strdup ("…");
      return tg_network_log_format_ms (tg_request_record_get_end_time (record)
                                       - tg_request_record_get_start_time (record));
    case TG_NETWORK_LOG_N_COLUMNS:
    default:
      g_assert_not_reached ();
    }
}

/* What a screen reader says for a record's row: every field, in the order
 * of the columns, as one sentence ("+12 ms, GET /api/resources/2, 401,
 * request, generation 1, attempt 1, 4.7 ms"). */
static char *
describe_record (TgNetworkLogRow *self,
                 TgRequestRecord *record)
{
  const char *time = self->texts[TG_NETWORK_LOG_COLUMN_TIME];

  if (!tg_request_record_is_finished (record))
    /* Translators: a network log row read as a sentence, in the order of its columns: start time, method, path, kind, generation, attempt */
    return g_strdup_printf (_("%s, %s %s, waiting for the answer, %s, generation %u, attempt %u"),
                            time, tg_request_record_get_method (record), tg_request_record_get_path (record),
                            kind_text (record), tg_request_record_get_generation (record),
                            tg_request_record_get_attempt (record));

  /* Translators: a network log row read as a sentence, in the order of its columns: start time, method, path, status, kind, generation, attempt, duration */
  return g_strdup_printf (_("%s, %s %s, %s, %s, generation %u, attempt %u, %s"),
                          time, tg_request_record_get_method (record), tg_request_record_get_path (record),
                          self->texts[TG_NETWORK_LOG_COLUMN_STATUS], kind_text (record),
                          tg_request_record_get_generation (record), tg_request_record_get_attempt (record),
                          self->texts[TG_NETWORK_LOG_COLUMN_DURATION]);
}

/* ------------------------------------------------------------------------ */
/* Cells                                                                    */

static void
clear_layouts (TgNetworkLogRow *self)
{
  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    g_clear_object (&self->layouts[i]);
}

static gboolean
wants_own_font (TgNetworkLogRow *self)
{
  return self->titles || TG_IS_BURST_HEADER (self->item);
}

static PangoLayout *
ensure_layout (TgNetworkLogRow    *self,
               TgNetworkLogColumn  column)
{
  PangoLayout *layout = self->layouts[column];

  if (layout != NULL)
    return layout;

  if (self->own_font)
    layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), NULL);
  else
    layout = pango_layout_new (tg_network_log_columns_get_context (self->columns));

  if (!self->titles && tg_network_log_columns_is_numeric (column))
    pango_layout_set_attributes (layout, numeric_attributes);
  pango_layout_set_ellipsize (layout, self->titles ? PANGO_ELLIPSIZE_END
                                                   : tg_network_log_columns_get_ellipsize (column));
  pango_layout_set_single_paragraph_mode (layout, TRUE);
  pango_layout_set_text (layout, self->texts[column] != NULL ? self->texts[column] : "", -1);

  self->layouts[column] = layout;
  return layout;
}

/* Returns whether the text changed. */
static gboolean
take_text (TgNetworkLogRow    *self,
           TgNetworkLogColumn  column,
           char               *text)
{
  if (g_strcmp0 (text, self->texts[column]) == 0)
    {
      g_free (text);
      return FALSE;
    }

  g_free (self->texts[column]);
  self->texts[column] = text;
  if (self->layouts[column] != NULL)
    pango_layout_set_text (self->layouts[column], text != NULL ? text : "", -1);
  return TRUE;
}

/* The list item the row is in: what the keyboard focuses and a screen
 * reader reads. */
static void
label_list_item (TgNetworkLogRow *self,
                 const char      *label)
{
  GtkWidget *parent = gtk_widget_get_parent (GTK_WIDGET (self));

  if (parent != NULL && label != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (parent), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static char *
describe (TgNetworkLogRow *self)
{
  if (TG_IS_REQUEST_RECORD (self->item))
    return describe_record (self, TG_REQUEST_RECORD (self->item));
  if (TG_IS_BURST_HEADER (self->item))
    return g_strdup (self->texts[TG_NETWORK_LOG_COLUMN_PATH]);
  return NULL;
}

static void
set_outcome (TgNetworkLogRow *self,
             const char      *outcome)
{
  /* The classes are static strings: their addresses tell them apart. */
  if (self->outcome == outcome)
    return;
  if (self->outcome != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (self), self->outcome);
  if (outcome != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self), outcome);
  self->outcome = outcome;
}

static void
update_record (TgNetworkLogRow *self)
{
  TgRequestRecord *record = TG_REQUEST_RECORD (self->item);
  g_autofree char *sentence = NULL;
  gboolean changed = FALSE;

  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    changed |= take_text (self, i, cell_text (record, i, self->time_origin));

  set_outcome (self, outcome_class (record));
  sentence = describe_record (self, record);
  label_list_item (self, sentence);

  /* The widths do not depend on the text: a redraw, not a new layout. */
  if (changed)
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_record_finished (TgNetworkLogRow *self)
{
  update_record (self);
}

/* Where the cells go in the row. The titles go over the list they are
 * titles of, which may be narrower than they are: a scroll bar beside the
 * rows rather than over them takes its width from the rows, at the end
 * of a left-to-right row and at the start of a right-to-left one. */
static void
get_boxes (TgNetworkLogRow     *self,
           TgNetworkLogCellBox  boxes[TG_NETWORK_LOG_N_COLUMNS])
{
  GtkWidget *widget = GTK_WIDGET (self);
  int x = 0, width = gtk_widget_get_width (widget);
  graphene_rect_t bounds;

  if (self->align_to != NULL && gtk_widget_compute_bounds (self->align_to, widget, &bounds))
    {
      x = (int) roundf (bounds.origin.x);
      width = (int) roundf (bounds.size.width);
    }

  tg_network_log_columns_allocate (self->columns, width, gtk_widget_get_direction (widget), boxes);
  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    boxes[i].x += x;
}

/* ------------------------------------------------------------------------ */
/* GtkWidget                                                                */

static void
on_columns_changed (TgNetworkLogRow *self)
{
  /* A new shared context: the layouts made from the old one go. */
  if (!self->own_font)
    clear_layouts (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

/* The titles' widths in their own font: a column is never narrower than its
 * title while the whole table fits. */
static void
measure_titles (TgNetworkLogRow *self)
{
  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    {
      PangoLayout *layout = ensure_layout (self, i);
      int width;

      pango_layout_set_width (layout, -1);
      pango_layout_get_pixel_size (layout, &width, NULL);
      tg_network_log_columns_set_title_width (self->columns, i, width);
    }
}

static void
tg_network_log_row_css_changed (GtkWidget         *widget,
                                GtkCssStyleChange *change)
{
  TgNetworkLogRow *self = TG_NETWORK_LOG_ROW (widget);

  GTK_WIDGET_CLASS (tg_network_log_row_parent_class)->css_changed (widget, change);

  /* Only the rows with a font of their own follow their CSS font; a record's
   * outcome class changes its colour, which is read when drawn. */
  if (self->own_font)
    {
      clear_layouts (self);
      if (self->titles)
        measure_titles (self);
      gtk_widget_queue_resize (widget);
    }
}

static void
tg_network_log_row_root (GtkWidget *widget)
{
  TgNetworkLogRow *self = TG_NETWORK_LOG_ROW (widget);
  g_autofree char *label = NULL;

  GTK_WIDGET_CLASS (tg_network_log_row_parent_class)->root (widget);

  /* Columns no view has given a context yet (a row on its own). */
  if (tg_network_log_columns_get_context (self->columns) == NULL)
    tg_network_log_columns_update_context (self->columns, widget);

  /* Bound before it was put in its list item. */
  label = describe (self);
  label_list_item (self, label);
}

static void
tg_network_log_row_measure (GtkWidget      *widget,
                            GtkOrientation  orientation,
                            int             for_size,
                            int            *minimum,
                            int            *natural,
                            int            *minimum_baseline,
                            int            *natural_baseline)
{
  TgNetworkLogRow *self = TG_NETWORK_LOG_ROW (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      tg_network_log_columns_measure (self->columns, minimum, natural);
      return;
    }

  /* A record's row is a line of the shared font, whatever it shows: no text
   * is laid out to measure it. */
  *minimum = tg_network_log_columns_get_line_height (self->columns);
  if (self->own_font)
    for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
      if (self->texts[i] != NULL)
        {
          int height;

          pango_layout_get_pixel_size (ensure_layout (self, i), NULL, &height);
          *minimum = MAX (*minimum, height);
        }
  *natural = *minimum;
}

static void
tg_network_log_row_size_allocate (GtkWidget *widget,
                                  int        width,
                                  int        height,
                                  int        baseline)
{
  TgNetworkLogRow *self = TG_NETWORK_LOG_ROW (widget);

  if (!self->titles)
    tg_network_log_columns_note_row_width (self->columns, width);
}

static void
draw_cell (TgNetworkLogRow           *self,
           GtkSnapshot               *snapshot,
           TgNetworkLogColumn         column,
           const TgNetworkLogCellBox *box,
           const GdkRGBA             *color,
           gboolean                   rtl)
{
  PangoLayout *layout = ensure_layout (self, column);
  int avail = MAX (box->width - 2 * TG_NETWORK_LOG_CELL_PADDING, 0);
  int height = gtk_widget_get_height (GTK_WIDGET (self));
  float xalign = self->titles ? 0.0f : tg_network_log_columns_get_xalign (column);
  PangoRectangle logical;
  gboolean clip;
  float x, y;

  if (pango_layout_get_width (layout) != avail * PANGO_SCALE)
    pango_layout_set_width (layout, avail * PANGO_SCALE);
  pango_layout_get_pixel_extents (layout, NULL, &logical);

  if (rtl)
    xalign = 1.0f - xalign;
  x = box->x + TG_NETWORK_LOG_CELL_PADDING + floorf (xalign * (avail - logical.width)) - logical.x;
  y = floorf ((height - logical.height) / 2.0f) - logical.y;

  /* Shorter than even an ellipsis: kept inside its own cell. */
  clip = logical.width > avail;
  if (clip)
    gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (box->x, 0, box->width, height));
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
  if (clip)
    gtk_snapshot_pop (snapshot);
}

static void
tg_network_log_row_snapshot (GtkWidget   *widget,
                             GtkSnapshot *snapshot)
{
  TgNetworkLogRow *self = TG_NETWORK_LOG_ROW (widget);
  TgNetworkLogCellBox boxes[TG_NETWORK_LOG_N_COLUMNS];
  gboolean rtl = gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL;
  GdkRGBA color;

  if (tg_network_log_columns_get_context (self->columns) == NULL)
    return;

  get_boxes (self, boxes);
  /* The colour of the outcome class, or of the titles, from CSS. */
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);

  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    if (boxes[i].visible && self->texts[i] != NULL && self->texts[i][0] != '\0')
      draw_cell (self, snapshot, i, &boxes[i], &color, rtl);
}

/* The status cell explains itself: the error, or the status's phrase. It is
 * asked for when shown: setting a tooltip on every row as records finish
 * costs an X server round trip per call on X11 and stalled big bursts. */
static gboolean
tg_network_log_row_query_tooltip (GtkWidget  *widget,
                                  int         x,
                                  int         y,
                                  gboolean    keyboard,
                                  GtkTooltip *tooltip)
{
  TgNetworkLogRow *self = TG_NETWORK_LOG_ROW (widget);
  TgRequestRecord *record;
  TgNetworkLogCellBox box;
  const char *text;
  guint status;

  if (!TG_IS_REQUEST_RECORD (self->item))
    return FALSE;
  record = TG_REQUEST_RECORD (self->item);

  if (!keyboard &&
      (!tg_network_log_row_get_cell_box (self, TG_NETWORK_LOG_COLUMN_STATUS, &box) ||
       x < box.x || x >= box.x + box.width))
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

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */

static void
tg_network_log_row_constructed (GObject *object)
{
  TgNetworkLogRow *self = TG_NETWORK_LOG_ROW (object);

  G_OBJECT_CLASS (tg_network_log_row_parent_class)->constructed (object);

  g_assert (self->columns != NULL);
  g_signal_connect_object (self->columns, "changed", G_CALLBACK (on_columns_changed), self, G_CONNECT_SWAPPED);

  if (self->titles)
    {
      GString *titles = g_string_new (NULL);
      /* Translators: between two column titles a screen reader reads out */
      const char *separator = _(", ");

      for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
        {
          self->texts[i] = g_strdup (tg_network_log_columns_get_title (i));
          g_string_append_printf (titles, "%s%s", i > 0 ? separator : "", self->texts[i]);
        }
      self->own_font = TRUE;
      gtk_widget_add_css_class (GTK_WIDGET (self), "titles");
      g_signal_connect_object (self->columns, "row-width-changed", G_CALLBACK (gtk_widget_queue_draw),
                               self, G_CONNECT_SWAPPED);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Column titles"),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, titles->str,
                                      -1);
      g_string_free (titles, TRUE);
    }
  else
    gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
}

static void
tg_network_log_row_dispose (GObject *object)
{
  TgNetworkLogRow *self = TG_NETWORK_LOG_ROW (object);

  tg_network_log_row_set_item (self, NULL, 0);
  clear_layouts (self);
  g_clear_weak_pointer (&self->align_to);
  g_clear_object (&self->columns);

  G_OBJECT_CLASS (tg_network_log_row_parent_class)->dispose (object);
}

static void
tg_network_log_row_finalize (GObject *object)
{
  TgNetworkLogRow *self = TG_NETWORK_LOG_ROW (object);

  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    g_free (self->texts[i]);

  G_OBJECT_CLASS (tg_network_log_row_parent_class)->finalize (object);
}

static void
tg_network_log_row_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  TgNetworkLogRow *self = TG_NETWORK_LOG_ROW (object);

  switch (prop_id)
    {
    case PROP_COLUMNS:
      g_value_set_object (value, self->columns);
      break;
    case PROP_TITLES:
      g_value_set_boolean (value, self->titles);
      break;
    case PROP_ALIGN_TO:
      g_value_set_object (value, self->align_to);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_network_log_row_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  TgNetworkLogRow *self = TG_NETWORK_LOG_ROW (object);

  switch (prop_id)
    {
    case PROP_COLUMNS:
      self->columns = g_value_dup_object (value);
      break;
    case PROP_TITLES:
      self->titles = g_value_get_boolean (value);
      break;
    case PROP_ALIGN_TO:
      tg_network_log_row_set_align_to (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_network_log_row_class_init (TgNetworkLogRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = tg_network_log_row_constructed;
  object_class->dispose = tg_network_log_row_dispose;
  object_class->finalize = tg_network_log_row_finalize;
  object_class->get_property = tg_network_log_row_get_property;
  object_class->set_property = tg_network_log_row_set_property;

  widget_class->css_changed = tg_network_log_row_css_changed;
  widget_class->root = tg_network_log_row_root;
  widget_class->measure = tg_network_log_row_measure;
  widget_class->size_allocate = tg_network_log_row_size_allocate;
  widget_class->snapshot = tg_network_log_row_snapshot;
  widget_class->query_tooltip = tg_network_log_row_query_tooltip;

  /**
   * TgNetworkLogRow:columns:
   *
   * The columns the row shares with the others of its log.
   */
  properties[PROP_COLUMNS] =
    g_param_spec_object ("columns", NULL, NULL, TG_TYPE_NETWORK_LOG_COLUMNS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * TgNetworkLogRow:titles:
   *
   * Whether the row shows the column titles rather than an item of the log.
   */
  properties[PROP_TITLES] =
    g_param_spec_boolean ("titles", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * TgNetworkLogRow:align-to:
   *
   * For the titles: the list whose rows they are titles of, to stand over
   * them whatever else is beside the rows. %NULL: the titles' own width.
   */
  properties[PROP_ALIGN_TO] =
    g_param_spec_object ("align-to", NULL, NULL, GTK_TYPE_WIDGET,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "networklogrow");
  /* The list item around a row of the log says it all (see above); the
   * titles are made a group with a name in tg_network_log_row_new(). */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_NONE);

  numeric_attributes = pango_attr_list_new ();
  pango_attr_list_insert (numeric_attributes, pango_attr_font_features_new ("tnum=1"));
}

static void
tg_network_log_row_init (TgNetworkLogRow *self)
{
}

/**
 * tg_network_log_row_new:
 * @columns: the columns shared with the other rows of the log
 * @titles: %TRUE for the row of column titles, %FALSE for a row of the log
 *
 * Returns: (transfer floating): an empty row
 */
GtkWidget *
tg_network_log_row_new (TgNetworkLogColumns *columns,
                        gboolean             titles)
{
  g_return_val_if_fail (TG_IS_NETWORK_LOG_COLUMNS (columns), NULL);

  return g_object_new (TG_TYPE_NETWORK_LOG_ROW,
                       "columns", columns,
                       "titles", titles,
                       "accessible-role", titles ? GTK_ACCESSIBLE_ROLE_GROUP : GTK_ACCESSIBLE_ROLE_NONE,
                       NULL);
}

/**
 * tg_network_log_row_set_align_to:
 * @self: the row of titles
 * @list: (nullable): the list the titles stand over
 */
void
tg_network_log_row_set_align_to (TgNetworkLogRow *self,
                                 GtkWidget       *list)
{
  g_return_if_fail (TG_IS_NETWORK_LOG_ROW (self));
  g_return_if_fail (list == NULL || GTK_IS_WIDGET (list));

  if (!g_set_weak_pointer (&self->align_to, list))
    return;

  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ALIGN_TO]);
}

/**
 * tg_network_log_row_get_columns:
 *
 * Returns: (transfer none): the columns the row shares
 */
TgNetworkLogColumns *
tg_network_log_row_get_columns (TgNetworkLogRow *self)
{
  g_return_val_if_fail (TG_IS_NETWORK_LOG_ROW (self), NULL);

  return self->columns;
}

/**
 * tg_network_log_row_set_item:
 * @self: a row of the log (not the titles)
 * @item: (nullable) (type GObject): a #TgRequestRecord, a #TgBurstHeader,
 *   or %NULL for none
 * @time_origin: for a record, the start of its burst (monotonic µs), from
 *   which its time is counted
 *
 * Shows @item. A record still under way is followed until it finishes, and
 * let go of when the row shows something else: no handler per record for
 * rows nobody sees.
 */
void
tg_network_log_row_set_item (TgNetworkLogRow *self,
                             gpointer         item,
                             gint64           time_origin)
{
  gboolean own_font;

  g_return_if_fail (TG_IS_NETWORK_LOG_ROW (self));
  g_return_if_fail (item == NULL || TG_IS_REQUEST_RECORD (item) || TG_IS_BURST_HEADER (item));
  g_return_if_fail (!self->titles || item == NULL);

  if (self->item != NULL)
    g_signal_handlers_disconnect_by_func (self->item, on_record_finished, self);
  g_set_object (&self->item, item);
  self->time_origin = time_origin;

  /* Between a burst's header and a record the font changes, and the
   * height: layouts from the other context go. */
  own_font = wants_own_font (self);
  if (own_font != self->own_font)
    {
      clear_layouts (self);
      self->own_font = own_font;
      if (own_font)
        gtk_widget_add_css_class (GTK_WIDGET (self), "heading");
      else
        gtk_widget_remove_css_class (GTK_WIDGET (self), "heading");
      gtk_widget_queue_resize (GTK_WIDGET (self));
    }

  if (TG_IS_REQUEST_RECORD (item))
    {
      update_record (self);
      if (!tg_request_record_is_finished (item))
        g_signal_connect_object (item, "notify::finished", G_CALLBACK (on_record_finished),
                                 self, G_CONNECT_SWAPPED);
      return;
    }

  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    take_text (self, i, NULL);
  set_outcome (self, NULL);

  if (TG_IS_BURST_HEADER (item))
    {
      /* Translators: the header row of a burst in the network log, e.g. "Burst 2" */
      take_text (self, TG_NETWORK_LOG_COLUMN_PATH,
                 g_strdup_printf (_("Burst %u"), tg_burst_header_get_number (item)));
      label_list_item (self, self->texts[TG_NETWORK_LOG_COLUMN_PATH]);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/**
 * tg_network_log_row_get_item:
 *
 * Returns: (transfer none) (nullable) (type GObject): what the row shows
 */
gpointer
tg_network_log_row_get_item (TgNetworkLogRow *self)
{
  g_return_val_if_fail (TG_IS_NETWORK_LOG_ROW (self), NULL);

  return self->item;
}

/**
 * tg_network_log_row_get_text:
 *
 * Returns: (transfer none) (nullable): what @column's cell shows, %NULL
 *   for nothing
 */
const char *
tg_network_log_row_get_text (TgNetworkLogRow    *self,
                             TgNetworkLogColumn  column)
{
  g_return_val_if_fail (TG_IS_NETWORK_LOG_ROW (self), NULL);
  g_return_val_if_fail (column < TG_NETWORK_LOG_N_COLUMNS, NULL);

  return self->texts[column];
}

/**
 * tg_network_log_row_get_cell_box:
 * @box: (out caller-allocates): where @column's cell is in the row
 *
 * Returns: whether the cell is shown at the row's present width
 */
gboolean
tg_network_log_row_get_cell_box (TgNetworkLogRow     *self,
                                 TgNetworkLogColumn   column,
                                 TgNetworkLogCellBox *box)
{
  TgNetworkLogCellBox boxes[TG_NETWORK_LOG_N_COLUMNS];

  g_return_val_if_fail (TG_IS_NETWORK_LOG_ROW (self), FALSE);
  g_return_val_if_fail (column < TG_NETWORK_LOG_N_COLUMNS, FALSE);

  get_boxes (self, boxes);
  *box = boxes[column];
  return box->visible;
}
