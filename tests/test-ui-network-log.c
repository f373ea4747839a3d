/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The network log's rows (TgNetworkLogRow) and the columns they share
 * (TgNetworkLogColumns): what a row shows for a record as it finishes and
 * for a burst's header, that a row lets go of a record it no longer shows,
 * that the status cell (and only it) has a tooltip once there is an answer,
 * that the titles stay over their cells, that a narrow row keeps the
 * essential columns and a right-to-left one mirrors them, and that the
 * shared PangoContext is made anew when the view's font or direction
 * changes and only then; and the home window after a burst, each row in
 * its outcome's colour, light and dark, with screenshots to look at.
 */
#include "config.h"

#include <adwaita.h>

#include "tg-burst-rows.h"
#include "tg-home-window.h"
#include "tg-network-log-row.h"
#include "tg-network-view.h"
#include "tg-request-log-private.h"
#include "tg-session.h"
#include "tg-test-ui.h"
#include "tg-test-util.h"

/* ------------------------------------------------------------------------- */
/* What a row shows                                                          */

static void
assert_texts (TgNetworkLogRow    *row,
              const char * const  expected[TG_NETWORK_LOG_N_COLUMNS])
{
  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    g_assert_cmpstr (tg_network_log_row_get_text (row, i), ==, expected[i]);
}

static void
test_row_record (void)
{
  g_autoptr(TgNetworkLogColumns) columns = tg_network_log_columns_new ();
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  TgNetworkLogRow *row = TG_NETWORK_LOG_ROW (g_object_ref_sink (tg_network_log_row_new (columns, FALSE)));
  TgRequestRecord *record, *refresh, *other;
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "Connection refused");
  const char *duration;

  record = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, tg_request_log_next_request_id (log),
                                 1, "GET", "/api/resources/2", 3);
  tg_network_log_row_set_item (row, record, tg_request_record_get_start_time (record) - 12000);
  {
    const char * const under_way[] = { "+12 ms", "GET", "/api/resources/2", "…", "request", "3", "1", "…" };

    assert_texts (row, under_way);
  }
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "dim-label"));

  /* The row follows its record as it finishes. */
  tg_request_log_end (log, record, 401, NULL);
  g_assert_cmpstr (tg_network_log_row_get_text (row, TG_NETWORK_LOG_COLUMN_STATUS), ==, "401");
  duration = tg_network_log_row_get_text (row, TG_NETWORK_LOG_COLUMN_DURATION);
  g_assert_true (g_str_has_suffix (duration, " ms"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "warning"));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (row), "dim-label"));

  /* A refresh in the accent colour; the retry says so. */
  refresh = tg_request_log_begin (log, TG_REQUEST_KIND_REFRESH, tg_request_log_next_request_id (log),
                                  1, "POST", "/authorization/refresh", 3);
  tg_request_log_end (log, refresh, 200, NULL);
  tg_network_log_row_set_item (row, refresh, tg_request_record_get_start_time (refresh));
  g_assert_cmpstr (tg_network_log_row_get_text (row, TG_NETWORK_LOG_COLUMN_KIND), ==, "refresh");
  g_assert_cmpstr (tg_network_log_row_get_text (row, TG_NETWORK_LOG_COLUMN_TIME), ==, "+0 ms");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "accent"));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (row), "warning"));

  /* No HTTP answer at all. */
  other = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, 1, 2, "GET", "/api/resources/2", 4);
  tg_network_log_row_set_item (row, other, tg_request_record_get_start_time (other));
  g_assert_cmpstr (tg_network_log_row_get_text (row, TG_NETWORK_LOG_COLUMN_KIND), ==, "retry");
  tg_request_log_end (log, other, 0, error);
  g_assert_cmpstr (tg_network_log_row_get_text (row, TG_NETWORK_LOG_COLUMN_STATUS), ==, "error");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "error"));

  /* A row lets go of the record it no longer shows. */
  other = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, tg_request_log_next_request_id (log),
                                1, "GET", "/api/resources/3", 4);
  tg_network_log_row_set_item (row, other, 0);
  g_assert_cmpuint (g_signal_handler_find (other, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, row), !=, 0);
  tg_network_log_row_set_item (row, NULL, 0);
  g_assert_cmpuint (g_signal_handler_find (other, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, row), ==, 0);
  g_assert_null (tg_network_log_row_get_item (row));
  {
    const char * const empty[TG_NETWORK_LOG_N_COLUMNS] = { NULL, };

    assert_texts (row, empty);
  }
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (row), "error"));
  tg_request_log_end (log, other, 200, NULL);

  /* And goes without leaving a handler on one it still shows. */
  other = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, tg_request_log_next_request_id (log),
                                1, "GET", "/api/resources/4", 4);
  tg_network_log_row_set_item (row, other, 0);
  g_assert_finalize_object (row);
  tg_request_log_end (log, other, 200, NULL);
}

static void
test_row_burst_header (void)
{
  g_autoptr(TgNetworkLogColumns) columns = tg_network_log_columns_new ();
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr(TgBurstRows) bursts = tg_burst_rows_new ();
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  TgNetworkLogRow *row = TG_NETWORK_LOG_ROW (g_object_ref_sink (tg_network_log_row_new (columns, FALSE)));
  g_autoptr(GObject) header = NULL;
  TgRequestRecord *record;

  tg_burst_rows_set_model (bursts, G_LIST_MODEL (store));
  tg_burst_rows_add_burst (bursts, 0, g_get_monotonic_time ());
  tg_burst_rows_add_burst (bursts, 0, g_get_monotonic_time ());
  header = g_list_model_get_item (G_LIST_MODEL (bursts), 0);
  g_assert_true (TG_IS_BURST_HEADER (header));

  /* Its name in the Path column, nothing elsewhere, as a heading. */
  tg_network_log_row_set_item (row, header, 0);
  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    g_assert_cmpstr (tg_network_log_row_get_text (row, i), ==,
                     i == TG_NETWORK_LOG_COLUMN_PATH ? "Burst 1" : NULL);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "heading"));

  /* Recycled for a record: a record's row again. */
  record = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, tg_request_log_next_request_id (log),
                                 1, "GET", "/api/resources/1", 1);
  tg_request_log_end (log, record, 200, NULL);
  tg_network_log_row_set_item (row, record, 0);
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (row), "heading"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "success"));
  g_assert_cmpstr (tg_network_log_row_get_text (row, TG_NETWORK_LOG_COLUMN_STATUS), ==, "200");

  g_assert_finalize_object (row);
  tg_burst_rows_set_model (bursts, NULL);
}

/* The status cell explains itself in a tooltip, once there is something
 * to say; the other cells do not. */
static gboolean
query_tooltip (GtkWidget *row,
               int        x,
               gboolean   keyboard)
{
  g_autoptr(GtkTooltip) tooltip = g_object_new (GTK_TYPE_TOOLTIP, NULL);
  gboolean shown = FALSE;

  g_signal_emit_by_name (row, "query-tooltip", x, 1, keyboard, tooltip, &shown);
  return shown;
}

static void
test_row_tooltip (void)
{
  g_autoptr(TgNetworkLogColumns) columns = tg_network_log_columns_new ();
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *row = tg_network_log_row_new (columns, FALSE);
  TgRequestRecord *record;
  TgNetworkLogCellBox status, path;

  gtk_window_set_default_size (GTK_WINDOW (window), 900, 40);
  gtk_window_set_child (GTK_WINDOW (window), row);
  gtk_window_present (GTK_WINDOW (window));
  record = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, tg_request_log_next_request_id (log),
                                 1, "GET", "/api/resources/1", 1);
  tg_network_log_row_set_item (TG_NETWORK_LOG_ROW (row), record, 0);
  tg_test_ui_wait_for_frame (row);
  g_assert_true (gtk_widget_get_has_tooltip (row));
  g_assert_true (tg_network_log_row_get_cell_box (TG_NETWORK_LOG_ROW (row), TG_NETWORK_LOG_COLUMN_STATUS, &status));
  g_assert_true (tg_network_log_row_get_cell_box (TG_NETWORK_LOG_ROW (row), TG_NETWORK_LOG_COLUMN_PATH, &path));

  /* Under way: nothing to say yet. */
  g_assert_false (query_tooltip (row, status.x + 1, FALSE));

  /* "Unauthorized" over the status, nowhere else; from the keyboard, for
   * the row. */
  tg_request_log_end (log, record, 401, NULL);
  g_assert_true (query_tooltip (row, status.x + 1, FALSE));
  g_assert_true (query_tooltip (row, status.x + status.width - 1, FALSE));
  g_assert_false (query_tooltip (row, path.x + 1, FALSE));
  g_assert_true (query_tooltip (row, path.x + 1, TRUE));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* ------------------------------------------------------------------------- */
/* Where the cells go                                                        */

static void
assert_boxes_tile (const TgNetworkLogCellBox *boxes,
                   int                        width,
                   gboolean                   rtl)
{
  int x = 0;

  /* Side by side from the start edge, nothing between, the row filled. */
  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    {
      if (!boxes[i].visible)
        continue;
      g_assert_cmpint (boxes[i].width, >, 2 * TG_NETWORK_LOG_CELL_PADDING);
      g_assert_cmpint (rtl ? width - boxes[i].x - boxes[i].width : boxes[i].x, ==, x);
      x += boxes[i].width;
    }
  g_assert_cmpint (x, ==, width);
}

static void
test_columns_allocate (void)
{
  g_autoptr(TgNetworkLogColumns) columns = tg_network_log_columns_new ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *row = tg_network_log_row_new (columns, FALSE);
  TgNetworkLogCellBox wide[TG_NETWORK_LOG_N_COLUMNS], narrow[TG_NETWORK_LOG_N_COLUMNS];
  TgNetworkLogCellBox rtl[TG_NETWORK_LOG_N_COLUMNS];
  int minimum, natural;

  gtk_window_set_child (GTK_WINDOW (window), row);
  gtk_window_present (GTK_WINDOW (window));
  tg_test_ui_wait_for_frame (row);
  g_assert_nonnull (tg_network_log_columns_get_context (columns));

  tg_network_log_columns_measure (columns, &minimum, &natural);
  g_assert_cmpint (minimum, >, 0);
  g_assert_cmpint (natural, >, minimum);

  /* Room for everything: every column, the path takes what is left over. */
  tg_network_log_columns_allocate (columns, natural + 200, GTK_TEXT_DIR_LTR, wide);
  assert_boxes_tile (wide, natural + 200, FALSE);
  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    g_assert_true (wide[i].visible);
  g_assert_cmpint (wide[TG_NETWORK_LOG_COLUMN_PATH].width, >, wide[TG_NETWORK_LOG_COLUMN_DURATION].width + 200);

  /* A phone: only the time, method, path and status, still tiled. */
  tg_network_log_columns_allocate (columns, minimum + 10, GTK_TEXT_DIR_LTR, narrow);
  assert_boxes_tile (narrow, minimum + 10, FALSE);
  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    g_assert_cmpint (narrow[i].visible, ==,
                     i == TG_NETWORK_LOG_COLUMN_TIME || i == TG_NETWORK_LOG_COLUMN_METHOD ||
                     i == TG_NETWORK_LOG_COLUMN_PATH || i == TG_NETWORK_LOG_COLUMN_STATUS);

  /* Right to left: the same widths, the first column at the right edge. */
  tg_network_log_columns_allocate (columns, natural + 200, GTK_TEXT_DIR_RTL, rtl);
  assert_boxes_tile (rtl, natural + 200, TRUE);
  for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
    g_assert_cmpint (rtl[i].width, ==, wide[i].width);
  g_assert_cmpint (rtl[TG_NETWORK_LOG_COLUMN_TIME].x + rtl[TG_NETWORK_LOG_COLUMN_TIME].width, ==, natural + 200);

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
view_shows_rows (gpointer view)
{
  GtkWidget *list = tg_test_ui_find_descendant (view, GTK_TYPE_LIST_VIEW);
  GtkWidget *row = tg_test_ui_find_descendant (list, TG_TYPE_NETWORK_LOG_ROW);

  return row != NULL && gtk_widget_get_width (row) > 0;
}

/* A window with a network view of @log, which has one record, shown. */
static GtkWidget *
present_view_with_a_row (TgRequestLog *log)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = tg_network_view_new ();

  tg_test_ui_use_system_mime ();
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 400);
  gtk_window_set_child (GTK_WINDOW (window), view);
  tg_network_view_set_log (TG_NETWORK_VIEW (view), log);
  gtk_window_present (GTK_WINDOW (window));
  tg_request_log_end (log, tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE,
                                                 tg_request_log_next_request_id (log), 1,
                                                 "GET", "/api/resources/1", 1),
                      200, NULL);
  tg_test_ui_wait_until (view_shows_rows, view, "a row");
  return window;
}

/* The titles over their cells, at a wide width and right to left, in the
 * real view. */
static void
test_titles_over_cells (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  GtkWidget *window = present_view_with_a_row (log);
  GtkWidget *view = gtk_window_get_child (GTK_WINDOW (window));
  GtkWidget *list, *row, *titles = NULL;
  TgNetworkLogCellBox title_box, cell_box;

  list = tg_test_ui_find_descendant (view, GTK_TYPE_LIST_VIEW);
  row = tg_test_ui_find_descendant (list, TG_TYPE_NETWORK_LOG_ROW);
  titles = tg_test_ui_find_descendant (view, TG_TYPE_NETWORK_LOG_ROW);
  g_assert_true (titles != row);
  g_assert_cmpstr (tg_network_log_row_get_text (TG_NETWORK_LOG_ROW (titles), TG_NETWORK_LOG_COLUMN_TIME), ==, "Time");

  /* Left to right and right to left; with scroll bars drawn over the rows,
   * and beside them ("always show scroll bars"), which makes the rows
   * narrower than the titles. */
  for (int pass = 0; pass < 4; pass++)
    {
      static const char *names[] = {
        "network-log-ltr.png", "network-log-rtl.png",
        "network-log-ltr-scroll-bar.png", "network-log-rtl-scroll-bar.png",
      };
      gboolean beside = pass >= 2;
      double x0 = 0, y0 = 0, x1 = 0, y1 = 0;

      gtk_widget_set_default_direction (pass % 2 == 1 ? GTK_TEXT_DIR_RTL : GTK_TEXT_DIR_LTR);
      tg_test_ui_wait_for_frame (view);
      tg_test_ui_wait_for_frame (view);

      g_assert_true (gtk_widget_translate_coordinates (titles, view, 0, 0, &x0, &y0));
      g_assert_true (gtk_widget_translate_coordinates (row, view, 0, 0, &x1, &y1));
      if (beside)
        g_assert_cmpint (gtk_widget_get_width (row), <, gtk_widget_get_width (titles));
      else
        g_assert_cmpint (gtk_widget_get_width (row), ==, gtk_widget_get_width (titles));

      /* Same place on the screen for every column's title and cells. */
      for (guint i = 0; i < TG_NETWORK_LOG_N_COLUMNS; i++)
        {
          g_assert_true (tg_network_log_row_get_cell_box (TG_NETWORK_LOG_ROW (titles), i, &title_box));
          g_assert_true (tg_network_log_row_get_cell_box (TG_NETWORK_LOG_ROW (row), i, &cell_box));
          g_assert_cmpfloat (x0 + title_box.x, ==, x1 + cell_box.x);
          g_assert_cmpint (title_box.width, ==, cell_box.width);
          if (pass % 2 == 1 && i == TG_NETWORK_LOG_COLUMN_TIME)
            g_assert_cmpint (cell_box.x + cell_box.width, ==, gtk_widget_get_width (row));
        }
      tg_test_ui_save_screenshot (view, names[pass]);

      if (pass == 1)
        {
          /* Enough rows for a scroll bar, and the scroll bar beside them. */
          for (guint i = 0; i < 60; i++)
            tg_request_log_end (log, tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE,
                                                           tg_request_log_next_request_id (log), 1,
                                                           "GET", "/api/resources/1", 1),
                                200, NULL);
          gtk_scrolled_window_set_overlay_scrolling (GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (list, GTK_TYPE_SCROLLED_WINDOW)),
                                                     FALSE);
        }
    }

  gtk_widget_set_default_direction (GTK_TEXT_DIR_LTR);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* ------------------------------------------------------------------------- */
/* The shared context                                                        */

static void
test_shared_context (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
  GtkWidget *window = present_view_with_a_row (log);
  GtkWidget *view = gtk_window_get_child (GTK_WINDOW (window));
  TgNetworkLogColumns *columns;
  PangoContext *context;
  GtkWidget *row;
  int line_height, row_height;
  row = tg_test_ui_find_descendant (tg_test_ui_find_descendant (view, GTK_TYPE_LIST_VIEW), TG_TYPE_NETWORK_LOG_ROW);
  columns = tg_network_log_row_get_columns (TG_NETWORK_LOG_ROW (row));
  context = tg_network_log_columns_get_context (columns);
  line_height = tg_network_log_columns_get_line_height (columns);
  row_height = gtk_widget_get_height (row);
  g_assert_nonnull (context);
  g_assert_cmpint (line_height, >, 0);

  /* A change of style that leaves the font alone (the window losing the
   * focus, a class for the colour) keeps it: nothing is laid out again. */
  gtk_widget_add_css_class (view, "dim-label");
  gtk_widget_set_state_flags (window, GTK_STATE_FLAG_BACKDROP, FALSE);
  tg_test_ui_wait_for_frame (view);
  tg_test_ui_wait_for_frame (view);
  g_assert_true (tg_network_log_columns_get_context (columns) == context);

  /* A bigger font: a new context, taller rows. */
  gtk_css_provider_load_from_data (css, "networkview { font-size: 30px; }", -1);
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  tg_test_ui_wait_for_frame (view);
  tg_test_ui_wait_for_frame (view);
  g_assert_true (tg_network_log_columns_get_context (columns) != context);
  g_assert_cmpint (tg_network_log_columns_get_line_height (columns), >, line_height);
  g_assert_cmpint (gtk_widget_get_height (row), >, row_height);
  gtk_style_context_remove_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css));

  /* Right to left: a context for that direction. */
  gtk_widget_set_default_direction (GTK_TEXT_DIR_RTL);
  tg_test_ui_wait_for_frame (view);
  g_assert_cmpint (pango_context_get_base_dir (tg_network_log_columns_get_context (columns)), ==, PANGO_DIRECTION_RTL);
  gtk_widget_set_default_direction (GTK_TEXT_DIR_LTR);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* ------------------------------------------------------------------------- */
/* In the home window                                                        */

static void
collect_rows (GtkWidget *widget,
              GPtrArray *rows)
{
  if (TG_IS_NETWORK_LOG_ROW (widget) && tg_network_log_row_get_item (TG_NETWORK_LOG_ROW (widget)) != NULL)
    g_ptr_array_add (rows, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_rows (child, rows);
}

static GdkRGBA
text_color (GtkWidget *widget)
{
  GdkRGBA color;

  /* Deprecated after GTK 4.8, which this app targets. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  G_GNUC_END_IGNORE_DEPRECATIONS
  return color;
}

/* Every row of the log in the colour of its outcome, the stylesheet's, in
 * the light and the dark style. */
static void
assert_outcome_colors (GtkWidget *view)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  guint n_401 = 0, n_200 = 0;

  collect_rows (view, rows);
  for (guint i = 0; i < rows->len; i++)
    {
      GtkWidget *row = rows->pdata[i];
      const char *status = tg_network_log_row_get_text (TG_NETWORK_LOG_ROW (row), TG_NETWORK_LOG_COLUMN_STATUS);
      const char *kind = tg_network_log_row_get_text (TG_NETWORK_LOG_ROW (row), TG_NETWORK_LOG_COLUMN_KIND);
      GdkRGBA shown = text_color (row), expected;

      if (g_strcmp0 (status, "401") == 0)
        {
          expected = tg_test_ui_named_color (row, "warning_color");
          n_401++;
        }
      else if (g_strcmp0 (status, "200") == 0 && g_strcmp0 (kind, "refresh") != 0)
        {
          expected = tg_test_ui_named_color (row, "success_color");
          n_200++;
        }
      else
        continue;
      g_assert_true (gdk_rgba_equal (&shown, &expected));
    }
  g_assert_cmpuint (n_401, ==, 3);
  g_assert_cmpuint (n_200, >=, 3);
}

static void
test_home_after_burst (void)
{
  g_autoptr(TgSession) session = tg_test_ui_new_signed_in_session ();
  AdwStyleManager *style = adw_style_manager_get_default ();
  GtkCssProvider *dark_style;
  TgHomeWindow *home;
  GtkWidget *view;

  home = TG_HOME_WINDOW (tg_test_ui_present_home_after_burst (session, -1, -1));
  view = tg_test_ui_find_descendant (GTK_WIDGET (home), TG_TYPE_NETWORK_VIEW);
  assert_outcome_colors (view);
  tg_test_ui_save_screenshot (GTK_WIDGET (home), "network-log-home.png");

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  dark_style = tg_test_ui_add_app_style ("style-dark.css");
  tg_test_iterate_for (300);
  assert_outcome_colors (view);
  tg_test_ui_save_screenshot (GTK_WIDGET (home), "network-log-home-dark.png");
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
  tg_test_ui_remove_app_style (dark_style);

  gtk_window_destroy (GTK_WINDOW (home));
  tg_test_assert_finalize_soon (home);
  tg_session_shutdown (session);
}

int
main (int   argc,
      char *argv[])
{
  GtkCssProvider *app_style;
  int status;

  tg_test_ui_keep_system_data ();
  tg_test_init (&argc, &argv);
  if (!tg_test_ui_init_display ())
    {
      g_print ("1..0 # SKIP no display (run under xvfb-run, as build-aux/check does)\n");
      return 0;
    }
  /* What AdwApplication loads from the resource base path: the rows' and
   * the titles' padding is the app's. */
  app_style = tg_test_ui_add_app_style ("style.css");

  g_test_add_func ("/ui/network-log/row/record", test_row_record);
  g_test_add_func ("/ui/network-log/row/burst-header", test_row_burst_header);
  g_test_add_func ("/ui/network-log/row/tooltip", test_row_tooltip);
  g_test_add_func ("/ui/network-log/columns/allocate", test_columns_allocate);
  g_test_add_func ("/ui/network-log/titles-over-cells", test_titles_over_cells);
  g_test_add_func ("/ui/network-log/shared-context", test_shared_context);
  g_test_add_func ("/ui/network-log/home-after-burst", test_home_after_burst);

  status = g_test_run ();

  tg_test_ui_remove_app_style (app_style);
  tg_test_ui_shutdown ();
  return status;
}
