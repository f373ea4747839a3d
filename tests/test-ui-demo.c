/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Issue 10 in the widgets: the burst header rows of the network view, the
 * contrast of every status colour in the light and dark styles (computed
 * from the stylesheets' values, not judged by eye), and the home window at
 * phone size (360 × 640), light and dark, with screenshots to look at.
 */
#include "config.h"

#include <adwaita.h>
#include <math.h>

#include "tg-burst-rows.h"
#include "tg-home-window.h"
#include "tg-session.h"
#include "tg-test-ui.h"
#include "tg-test-util.h"
#include "tg-timeline-private.h"

/* WCAG 2.1 §1.4.3, for text of normal size. */
#define MIN_TEXT_CONTRAST 4.5

/* ------------------------------------------------------------------------- */
/* TgBurstRows                                                               */

typedef struct {
  guint position, removed, added;
} Change;

static void
on_rows_changed (GListModel *model,
                 guint       position,
                 guint       removed,
                 guint       added,
                 Change     *change)
{
  change->position = position;
  change->removed = removed;
  change->added = added;
}

static void
append_items (GListStore *store,
              guint       n)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  /* At once, as one items-changed: as the paced model hands on a batch. */
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (items, g_object_new (G_TYPE_OBJECT, NULL));
  g_list_store_splice (store, g_list_model_get_n_items (G_LIST_MODEL (store)), 0, items->pdata, n);
}

static void
assert_row (TgBurstRows *rows,
            guint        row,
            int          burst,    /* the header's number, or 0 for an item… */
            guint        position) /* …at this position of the model */
{
  g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (rows), row);
  guint found = G_MAXUINT;

  g_assert_nonnull (item);
  if (burst > 0)
    {
      g_assert_true (TG_IS_BURST_HEADER (item));
      g_assert_cmpuint (tg_burst_header_get_number (TG_BURST_HEADER (item)), ==, burst);
      g_assert_false (tg_burst_rows_to_model_position (rows, row, &found));
    }
  else
    {
      g_assert_false (TG_IS_BURST_HEADER (item));
      g_assert_true (tg_burst_rows_to_model_position (rows, row, &found));
      g_assert_cmpuint (found, ==, position);
    }
}

static void
test_burst_rows (void)
{
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr(TgBurstRows) rows = tg_burst_rows_new ();
  Change change = { 0, };

  g_signal_connect (rows, "items-changed", G_CALLBACK (on_rows_changed), &change);
  tg_burst_rows_set_model (rows, G_LIST_MODEL (store));

  /* The sign-in and the first fetch: no burst yet. */
  append_items (store, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (rows)), ==, 2);
  g_assert_null (tg_burst_rows_get_burst_at (rows, 1));

  /* A burst marked at the end shows its header at once… */
  tg_burst_rows_add_burst (rows, 2, 1000);
  g_assert_cmpuint (change.position, ==, 2);
  g_assert_cmpuint (change.added, ==, 1);
  append_items (store, 3);
  g_assert_cmpuint (change.position, ==, 3);
  g_assert_cmpuint (change.added, ==, 3);

  /* …a burst marked beyond what the model has (the view lags behind the
   * log) shows it once the model gets there; a second mark at the same
   * place changes only the time. */
  tg_burst_rows_add_burst (rows, 7, 2000);
  tg_burst_rows_add_burst (rows, 7, 3000);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (rows)), ==, 6);
  append_items (store, 3);
  g_assert_cmpuint (change.position, ==, 6);
  g_assert_cmpuint (change.added, ==, 4);

  /* item item | B1 item item item | item item | B2 item */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (rows)), ==, 10);
  assert_row (rows, 0, 0, 0);
  assert_row (rows, 1, 0, 1);
  assert_row (rows, 2, 1, 0);
  assert_row (rows, 3, 0, 2);
  assert_row (rows, 5, 0, 4);
  assert_row (rows, 7, 0, 6);
  assert_row (rows, 8, 2, 0);
  assert_row (rows, 9, 0, 7);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (rows), 10));
  g_assert_cmpint (tg_burst_header_get_time (tg_burst_rows_get_burst_at (rows, 6)), ==, 1000);
  g_assert_cmpint (tg_burst_header_get_time (tg_burst_rows_get_burst_at (rows, 7)), ==, 3000);
  g_assert_cmpuint (tg_burst_rows_get_last_start (rows), ==, 7);

  /* Cleared with the log. */
  g_list_store_remove_all (store);
  tg_burst_rows_clear_bursts (rows);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (rows)), ==, 0);
  g_assert_cmpuint (tg_burst_rows_get_n_bursts (rows), ==, 0);

  g_signal_handlers_disconnect_by_func (rows, on_rows_changed, &change);
  tg_burst_rows_set_model (rows, NULL);
  g_assert_finalize_object (g_steal_pointer (&rows));
}

/* ------------------------------------------------------------------------- */
/* Contrast                                                                  */

/* @top with its alpha over the opaque @bottom. */
static GdkRGBA
blend (GdkRGBA top,
       GdkRGBA bottom)
{
  GdkRGBA out = {
    top.red * top.alpha + bottom.red * (1 - top.alpha),
    top.green * top.alpha + bottom.green * (1 - top.alpha),
    top.blue * top.alpha + bottom.blue * (1 - top.alpha),
    1,
  };
  return out;
}

/* The alpha of `alpha(@NAME, A)` for @selector's background in the app's
 * style.css: the test reads the stylesheet rather than repeating it. */
static double
style_alpha (const char *selector,
             const char *color_name)
{
  g_autoptr(GBytes) css = g_resources_lookup_data ("/dev/tokengate/Tokengate/style.css", 0, NULL);
  g_autofree char *pattern = g_strdup_printf ("%s\\s*\\{[^}]*alpha\\(@%s,\\s*([0-9.]+)\\)", selector, color_name);
  g_autoptr(GRegex) regex = g_regex_new (pattern, G_REGEX_DOTALL, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *value = NULL;

  g_assert_nonnull (css);
  g_assert_true (g_regex_match (regex, g_bytes_get_data (css, NULL), 0, &match));
  value = g_match_info_fetch (match, 1);
  return g_ascii_strtod (value, NULL);
}

/* Every pair is checked and said before the test fails, so that one run
 * lists every colour to fix. */
static guint n_low_contrast;

static void
assert_contrast (const char    *what,
                 const GdkRGBA *text,
                 const GdkRGBA *background)
{
  double ratio = _tg_timeline_contrast_ratio (text, background);
  g_autofree char *t = gdk_rgba_to_string (text);
  g_autofree char *b = gdk_rgba_to_string (background);

  g_test_message ("%s: %s on %s, %.2f:1%s", what, t, b, ratio,
                  ratio < MIN_TEXT_CONTRAST ? " — TOO LOW" : "");
  if (ratio < MIN_TEXT_CONTRAST)
    n_low_contrast++;
}

static void
check_style (GtkWidget  *widget,
             const char *style)
{
  /* The status colours as the app uses them: text classes .success (2xx),
   * .warning (401), .error, .accent (the refresh) in the network view and
   * the result rows; bars in the timeline. */
  static const char *texts[] = { "success_color", "warning_color", "error_color", "accent_color" };
  static const char *bars[] = { "success_bg_color", "error_bg_color", "accent_bg_color" };
  GdkRGBA window_bg = tg_test_ui_named_color (widget, "window_bg_color");
  GdkRGBA backgrounds[] = {
    tg_test_ui_named_color (widget, "view_bg_color"),     /* the network log */
    window_bg,                                 /* the responses */
    blend (tg_test_ui_named_color (widget, "card_bg_color"), window_bg),
  };
  GdkRGBA error_box, orange, on_bar;

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    for (guint j = 0; j < G_N_ELEMENTS (backgrounds); j++)
      {
        g_autofree char *what = g_strdup_printf ("%s: %s text", style, texts[i]);
        GdkRGBA text = tg_test_ui_named_color (widget, texts[i]);

        assert_contrast (what, &text, &backgrounds[j]);
      }

  /* The sign-in error: .error text on style.css's tinted box. */
  error_box = tg_test_ui_named_color (widget, "error_bg_color");
  error_box.alpha = style_alpha ("\\.tg-message\\.tg-error", "error_bg_color");
  error_box = blend (error_box, window_bg);
  {
    GdkRGBA text = tg_test_ui_named_color (widget, "error_color");
    GdkRGBA fg = tg_test_ui_named_color (widget, "window_fg_color");

    assert_contrast ("sign-in error", &text, &error_box);
    assert_contrast ("sign-in error detail", &fg, &error_box);
  }

  /* The timeline's status on its bars, the 401 orange included. */
  for (guint i = 0; i < G_N_ELEMENTS (bars); i++)
    {
      GdkRGBA bar = tg_test_ui_named_color (widget, bars[i]);

      _tg_timeline_text_on_bar (&bar, &on_bar);
      assert_contrast (bars[i], &on_bar, &bar);
    }
  gdk_rgba_parse (&orange, "#e66100");
  _tg_timeline_text_on_bar (&orange, &on_bar);
  assert_contrast ("401 bar", &on_bar, &orange);
}

static void
test_contrast (void)
{
  AdwStyleManager *style = adw_style_manager_get_default ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *label = gtk_label_new ("200");
  GtkCssProvider *app_style = tg_test_ui_add_app_style ("style.css");
  GtkCssProvider *dark_style;

  gtk_window_set_child (GTK_WINDOW (window), label);
  gtk_window_present (GTK_WINDOW (window));
  tg_test_ui_wait_for_frame (label);

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_LIGHT);
  tg_test_iterate_for (50);
  check_style (label, "light");

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  dark_style = tg_test_ui_add_app_style ("style-dark.css");
  tg_test_iterate_for (50);
  check_style (label, "dark");

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
  tg_test_ui_remove_app_style (dark_style);
  tg_test_ui_remove_app_style (app_style);
  gtk_window_destroy (GTK_WINDOW (window));

  g_assert_cmpuint (n_low_contrast, ==, 0);
}

/* ------------------------------------------------------------------------- */
/* Phone size                                                                */

static gboolean
widget_is_visible (gpointer data)
{
  return gtk_widget_get_visible (GTK_WIDGET (data));
}

static gboolean
network_fits (gpointer data)
{
  GtkWidget *view = data;
  GtkScrolledWindow *scroller = GTK_SCROLLED_WINDOW (tg_test_ui_find_descendant (view, GTK_TYPE_SCROLLED_WINDOW));
  GtkAdjustment *h = gtk_scrolled_window_get_hadjustment (scroller);

  return gtk_adjustment_get_page_size (h) > 0 &&
         gtk_adjustment_get_upper (h) <= gtk_adjustment_get_page_size (h) + 1;
}

/* Whether any label on screen under @widget ends in an ellipsis. */
static gboolean
shows_cut_label (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
      pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (widget))))
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (shows_cut_label (child))
      return TRUE;

  return FALSE;
}

static void
test_phone_size (void)
{
  GtkCssProvider *app_style = tg_test_ui_add_app_style ("style.css");
  GtkCssProvider *dark_style;
  g_autoptr(TgSession) session = tg_test_ui_new_signed_in_session ();
  AdwStyleManager *style = adw_style_manager_get_default ();
  TgHomeWindow *home;
  GtkWidget *network_button, *view;

  home = TG_HOME_WINDOW (tg_test_ui_present_home_after_burst (session, 360, 640));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (home)), <=, 360);
  tg_test_ui_save_screenshot (GTK_WIDGET (home), "phone-controls.png");

  /* The network page: status and path without scrolling sideways. */
  network_button = tg_test_ui_find_descendant (GTK_WIDGET (home), GTK_TYPE_TOGGLE_BUTTON);
  /* The window switches to its narrow layout once it has been allocated at
   * this width: slow under the sanitizers, so wait for it. */
  tg_test_ui_wait_until (widget_is_visible, network_button, "the narrow layout's page switch");
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (network_button), TRUE);
  view = tg_test_ui_find_descendant (GTK_WIDGET (home), g_type_from_name ("TgNetworkView"));
  tg_test_ui_wait_until (network_fits, view, "the network log to fit the width");
  tg_test_iterate_for (300);
  tg_test_ui_save_screenshot (GTK_WIDGET (home), "phone-network.png");
  /* The summary's outcome ("all OK") is at its end: on a phone it wraps
   * rather than being cut (a touch screen shows no tooltip). */
  g_assert_false (shows_cut_label (view));

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  dark_style = tg_test_ui_add_app_style ("style-dark.css");
  tg_test_iterate_for (300);
  tg_test_ui_save_screenshot (GTK_WIDGET (home), "phone-network-dark.png");
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (network_button), FALSE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (home), "win.break-access", NULL));
  tg_test_iterate_for (500);
  tg_test_ui_save_screenshot (GTK_WIDGET (home), "phone-controls-dark.png");
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);

  gtk_window_destroy (GTK_WINDOW (home));
  tg_test_assert_finalize_soon (home);
  tg_session_shutdown (session);
  tg_test_ui_remove_app_style (dark_style);
  tg_test_ui_remove_app_style (app_style);
}

int
main (int   argc,
      char *argv[])
{
  tg_test_ui_keep_system_data ();
  tg_test_init (&argc, &argv);
  if (!tg_test_ui_init_display ())
    {
      g_print ("1..0 # SKIP no display (run under xvfb-run, as build-aux/check does)\n");
      return 0;
    }

  g_test_add_func ("/ui/demo/burst-rows", test_burst_rows);
  g_test_add_func ("/ui/demo/contrast", test_contrast);
  g_test_add_func ("/ui/demo/phone-size", test_phone_size);

  {
    int status = g_test_run ();

    tg_test_ui_shutdown ();
    return status;
  }
}
