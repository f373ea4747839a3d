/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The network view's table: one column per field of a request record, one
 * GtkInscription per cell, coloured by the record's outcome.
 *
 * Cells are made once per visible row (GtkSignalListItemFactory::setup) and
 * rebound as the user scrolls; a bound cell follows only its own record's
 * notify::finished, and lets go of it on unbind — no handler per record for
 * rows nobody sees.
 */
#define G_LOG_DOMAIN "tg-network-view"

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "tg-burst-rows.h"
#include "tg-network-view-private.h"

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
  /* "+12345 ms": a slow burst's times have five digits. */
  [COLUMN_TIME]       = { N_("Time"),       9, 10, 1.0f, FALSE, TRUE  },
  [COLUMN_METHOD]     = { N_("Method"),     4,  5, 0.0f, FALSE, FALSE },
  /* Narrow enough for a phone with the time, method and status beside it. */
  [COLUMN_PATH]       = { N_("Path"),      11, 24, 0.0f, TRUE,  FALSE },
  [COLUMN_STATUS]     = { N_("Status"),     3,  4, 1.0f, FALSE, TRUE  },
  [COLUMN_KIND]       = { N_("Kind"),       7,  7, 0.0f, FALSE, FALSE },
  /* Translators: the access-token generation a request went out with */
  [COLUMN_GENERATION] = { N_("Gen."),       2,  3, 1.0f, FALSE, TRUE  },
  /* Translators: 1 for a first send, 2 for the retry */
  [COLUMN_ATTEMPT]    = { N_("Try"),        2,  3, 1.0f, FALSE, TRUE  },
  [COLUMN_DURATION]   = { N_("Duration"),   9, 10, 1.0f, FALSE, TRUE  },
};

/* What a factory's handlers need: which view, which column. The view owns
 * the column view, so the pointer back cannot dangle. */
typedef struct {
  TgNetworkView *self;
  Column         column;
} CellContext;

static GQuark cell_context_quark;
static GQuark cell_item_quark;
static GQuark row_class_quark;

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

/**
 * _tg_network_view_format_ms:
 * @usec: a duration
 *
 * Returns: (transfer full): it in milliseconds, e.g. "3.2 ms" or "120 ms"
 */
char *
_tg_network_view_format_ms (gint64 usec)
{
  double ms = usec / 1000.0;

  if (ms < 10.0)
    /* Translators: a duration in milliseconds, e.g. "3.2 ms" */
    return g_strdup_printf (_("%.1f ms"), ms);
  /* Translators: a duration in milliseconds, e.g. "120 ms" */
  return g_strdup_printf (_("%.0f ms"), ms);
}

/* What a screen reader says for a row: the row as one sentence ("GET
 * /api/resources/2, 401, attempt 1, generation 1, 4.7 ms") rather than
 * eight unnamed cells. */
static char *
describe_record (TgRequestRecord *record)
{
  guint status = tg_request_record_get_status (record);
  g_autofree char *outcome = NULL;
  g_autofree char *duration = NULL;

  if (!tg_request_record_is_finished (record))
    /* Translators: the outcome of an exchange still under way, read by a screen reader */
    outcome = g_strdup (_("waiting for the answer"));
  else if (status == 0)
    outcome = g_strdup (C_("status", "error"));
  else
    outcome = g_strdup_printf ("%u", status);

  if (!tg_request_record_is_finished (record))
    /* Translators: a network log row read as a sentence: method, path, outcome, kind, attempt, generation */
    return g_strdup_printf (_("%s %s, %s, %s, attempt %u, generation %u"),
                            tg_request_record_get_method (record), tg_request_record_get_path (record),
                            outcome, kind_text (record), tg_request_record_get_attempt (record),
                            tg_request_record_get_generation (record));

  duration = _tg_network_view_format_ms (tg_request_record_get_end_time (record)
                                         - tg_request_record_get_start_time (record));
  /* Translators: a network log row read as a sentence: method, path, status, kind, attempt, generation, duration */
  return g_strdup_printf (_("%s %s, %s, %s, attempt %u, generation %u, %s"),
                          tg_request_record_get_method (record), tg_request_record_get_path (record),
                          outcome, kind_text (record), tg_request_record_get_attempt (record),
                          tg_request_record_get_generation (record), duration);
}

/* The row widget a cell is in (GTK 4.8: row > cell > our child), whose
 * accessible name is the sentence of the whole row. */
static GtkWidget *
cell_row (GtkWidget *cell)
{
  GtkWidget *cell_widget = gtk_widget_get_parent (cell);

  return cell_widget != NULL ? gtk_widget_get_parent (cell_widget) : NULL;
}

static void
set_row_label (GtkWidget  *cell,
               const char *label)
{
  GtkWidget *row = cell_row (cell);

  if (row != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

/* The row's colour, for the outcome of its record (%NULL for a burst's
 * header): on the row rather than on each of its eight cells, which inherit
 * it (libadwaita's classes set the colour, or the opacity of "dim-label"),
 * so that a record that finishes restyles one widget, not eight, and the
 * cells keep the style they share with every other row. */
static void
set_row_outcome (GtkWidget  *cell,
                 const char *outcome)
{
  GtkWidget *row = cell_row (cell);
  const char *shown;

  if (row == NULL)
    return;

  /* The classes are static strings: their addresses tell them apart. */
  shown = g_object_get_qdata (G_OBJECT (row), row_class_quark);
  if (shown == outcome)
    return;
  if (shown != NULL)
    gtk_widget_remove_css_class (row, shown);
  if (outcome != NULL)
    gtk_widget_add_css_class (row, outcome);
  g_object_set_qdata (G_OBJECT (row), row_class_quark, (gpointer) outcome);
}

/* A burst's header row: its name in the Path column, nothing elsewhere. */
static void
update_header_cell (GtkInscription *cell,
                    TgBurstHeader  *header)
{
  CellContext *context = g_object_get_qdata (G_OBJECT (cell), cell_context_quark);
  g_autofree char *title = NULL;

  /* Translators: the header row of a burst in the network log, e.g. "Burst 2" */
  title = g_strdup_printf (_("Burst %u"), tg_burst_header_get_number (header));
  /* "", not NULL: GTK 4.8 measures an inscription's text for its accessible
   * text, and has a critical for NULL. */
  gtk_inscription_set_text (cell, context->column == COLUMN_PATH ? title : "");
  gtk_widget_add_css_class (GTK_WIDGET (cell), "heading");
  if (context->column == COLUMN_PATH)
    set_row_label (GTK_WIDGET (cell), title);
  if (context->column == COLUMN_STATUS)
    set_row_outcome (GTK_WIDGET (cell), NULL);
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

  switch (context->column)
    {
    case COLUMN_TIME:
      if (everything)
        {
          gint64 origin = _tg_network_view_get_time_origin (context->self, gtk_list_item_get_position (item));
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
        text = owned = _tg_network_view_format_ms (tg_request_record_get_end_time (record)
                                  - tg_request_record_get_start_time (record));
      else
        text = "…";
      break;

    case N_COLUMNS:
    default:
      g_assert_not_reached ();
    }

  /* A recycled cell often shows the same thing again ("GET", "200"): skip
   * what did not change. */
  if (text != NULL && g_strcmp0 (text, gtk_inscription_get_text (cell)) != 0)
    gtk_inscription_set_text (cell, text);
  /* It may have shown a burst's header; removing an absent class costs
   * nothing. */
  gtk_widget_remove_css_class (GTK_WIDGET (cell), "heading");

  /* The status cell changes on every row, and last: it names the row and
   * gives it its colour. */
  if (context->column == COLUMN_STATUS)
    {
      g_autofree char *sentence = describe_record (record);

      set_row_label (GTK_WIDGET (cell), sentence);
      set_row_outcome (GTK_WIDGET (cell), outcome_class (record));
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
  gpointer row_item = item != NULL ? gtk_list_item_get_item (item) : NULL;
  TgRequestRecord *record = TG_IS_REQUEST_RECORD (row_item) ? row_item : NULL;
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

/* A cell is bound before its row is built around it the first time: the
 * row's name and colour are set again once it is there. */
static void
on_cell_realize (GtkWidget *cell)
{
  GtkListItem *item = g_object_get_qdata (G_OBJECT (cell), cell_item_quark);
  gpointer row_item = item != NULL ? gtk_list_item_get_item (item) : NULL;
  g_autofree char *label = NULL;

  if (TG_IS_REQUEST_RECORD (row_item))
    {
      label = describe_record (row_item);
      set_row_outcome (cell, outcome_class (row_item));
    }
  else if (TG_IS_BURST_HEADER (row_item))
    {
      label = g_strdup_printf (_("Burst %u"), tg_burst_header_get_number (row_item));
      set_row_outcome (cell, NULL);
    }

  if (label != NULL)
    set_row_label (cell, label);
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
  if (column_info[context->column].numeric)
    gtk_widget_add_css_class (cell, "numeric");
  /* A path cut at its start keeps what tells the rows apart, the end
   * ("…/resources/12"); cut in the middle it loses the number's context. */
  gtk_inscription_set_text_overflow (GTK_INSCRIPTION (cell),
                                     context->column == COLUMN_PATH
                                       ? GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_START
                                       : GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
  g_object_set_qdata (G_OBJECT (cell), cell_context_quark, context);
  /* The item owns the cell, so a plain pointer back cannot dangle. */
  g_object_set_qdata (G_OBJECT (cell), cell_item_quark, item);
  if (context->column == COLUMN_STATUS)
    {
      g_signal_connect (cell, "realize", G_CALLBACK (on_cell_realize), NULL);
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
  gpointer row_item = gtk_list_item_get_item (item);
  TgRequestRecord *record;

  if (TG_IS_BURST_HEADER (row_item))
    {
      update_header_cell (GTK_INSCRIPTION (cell), row_item);
      return;
    }

  record = row_item;
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
  gpointer record = gtk_list_item_get_item (item);

  if (TG_IS_REQUEST_RECORD (record))
    g_signal_handlers_disconnect_by_func (record, on_cell_record_finished, cell);
}

/**
 * _tg_network_view_add_columns:
 * @self: the view whose records the cells show
 * @column_view: its column view
 *
 * Adds the columns of the table, one per field of a record.
 */
void
_tg_network_view_add_columns (TgNetworkView *self,
                              GtkColumnView *column_view)
{
  cell_context_quark = g_quark_from_static_string ("tg-network-view-cell-context");
  cell_item_quark = g_quark_from_static_string ("tg-network-view-cell-item");
  row_class_quark = g_quark_from_static_string ("tg-network-view-row-class");

  for (guint i = 0; i < N_COLUMNS; i++)
    {
      g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) column = NULL;
      CellContext *context = g_new0 (CellContext, 1);

      context->self = self;
      context->column = i;

      /* The context lives as long as the factory. */
      g_signal_connect_data (factory, "setup", G_CALLBACK (cell_setup), context,
                             (GClosureNotify) (void (*) (void)) g_free, 0);
      g_signal_connect (factory, "bind", G_CALLBACK (cell_bind), context);
      g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind), context);

      column = gtk_column_view_column_new (_(column_info[i].title), g_steal_pointer (&factory));
      gtk_column_view_column_set_expand (column, column_info[i].expand);
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_append_column (column_view, column);
    }
}

/**
 * _tg_network_view_set_narrow:
 * @column_view: the view's column view
 * @narrow: whether the table must make do with its status and path
 *
 * Hides (or shows again) the columns a phone-sized window can do without,
 * so that the time, method, path and status fit without scrolling
 * sideways. The row's sentence for a screen reader keeps every field.
 */
void
_tg_network_view_set_narrow (GtkColumnView *column_view,
                             gboolean       narrow)
{
  GListModel *columns = gtk_column_view_get_columns (column_view);

  for (guint i = 0; i < N_COLUMNS && i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      gboolean essential = i == COLUMN_TIME || i == COLUMN_METHOD || i == COLUMN_PATH || i == COLUMN_STATUS;

      gtk_column_view_column_set_visible (column, essential || !narrow);
    }
}
