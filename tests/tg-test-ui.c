/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the UI tests (and tests/bench/ui-stall.c) share: the private session bus
 * and the display they run on, waiting in the main loop with a deadline,
 * screenshots, finding widgets, and the home window's states they wait for.
 * Apart from tg-test-util.c, which the tests without a display use too.
 */
#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "tg-home-window.h"
#include "tg-result-item.h"
#include "tg-session.h"
#include "tg-test-ui.h"
#include "tg-test-util.h"

/* ------------------------------------------------------------------------- */
/* The bus and the display                                                   */

static GTestDBus *test_bus;
static char **system_data_dirs;
static char **system_mime_dirs;

/**
 * tg_test_ui_keep_system_data:
 *
 * Remembers the system's data directories. Call it before tg_test_init() (or
 * whatever isolates the XDG directories): the tests' own data directories are
 * empty, with no MIME database (gdk-pixbuf could not tell an SVG icon from
 * anything else) and no icon theme, and neither is the user's data, so
 * tg_test_ui_init_display() and tg_test_ui_use_system_mime() point GTK at
 * the system's.
 */
void
tg_test_ui_keep_system_data (void)
{
  g_autoptr(GPtrArray) mime_dirs = g_ptr_array_new ();

  g_assert_null (system_data_dirs);
  system_data_dirs = g_strdupv ((char **) g_get_system_data_dirs ());
  for (guint i = 0; system_data_dirs[i] != NULL; i++)
    g_ptr_array_add (mime_dirs, g_build_filename (system_data_dirs[i], "mime", NULL));
  g_ptr_array_add (mime_dirs, NULL);
  system_mime_dirs = (char **) g_ptr_array_free (g_steal_pointer (&mime_dirs), FALSE);
}

/**
 * tg_test_ui_use_system_mime:
 *
 * Points GIO's MIME database at the system's again: each test case gets
 * empty XDG directories anew.
 */
void
tg_test_ui_use_system_mime (void)
{
  g_assert_nonnull (system_mime_dirs);
  g_content_type_set_mime_dirs ((const char * const *) system_mime_dirs);
}

/**
 * tg_test_ui_init_display:
 *
 * Brings up a private session bus with nothing on it (GTestDBus), then GTK
 * and libadwaita on the X server in $DISPLAY, with the system's icon theme
 * and MIME database (see tg_test_ui_keep_system_data()). The bus comes first:
 * GTK and libadwaita connect to the session bus once and keep that
 * connection, and everything in the process must see the private one — the
 * token store then finds no Secret Service and keeps its tokens in a file
 * under the test's own directories, never in the developer's keyring. A
 * g_test_subprocess() inherits its parent's bus.
 *
 * Returns: %FALSE if there is no display (the bus is down again then)
 */
gboolean
tg_test_ui_init_display (void)
{
  g_autofree char *display = g_strdup (g_getenv ("DISPLAY"));
  g_autoptr(GPtrArray) icon_dirs = g_ptr_array_new_with_free_func (g_free);

  g_assert_nonnull (system_data_dirs);
  if (!g_test_subprocess ())
    {
      test_bus = g_test_dbus_new (G_TEST_DBUS_NONE);
      g_test_dbus_up (test_bus);
      /* up() unsets DISPLAY (against D-Bus autolaunch); the X server is ours. */
      if (display != NULL)
        g_setenv ("DISPLAY", display, TRUE);
    }

  if (!gtk_init_check ())
    {
      tg_test_ui_shutdown ();
      return FALSE;
    }
  adw_init ();

  for (guint i = 0; system_data_dirs[i] != NULL; i++)
    g_ptr_array_add (icon_dirs, g_build_filename (system_data_dirs[i], "icons", NULL));
  g_ptr_array_add (icon_dirs, NULL);
  gtk_icon_theme_set_search_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                  (const char * const *) icon_dirs->pdata);
  tg_test_ui_use_system_mime ();
  return TRUE;
}

/**
 * tg_test_ui_shutdown:
 *
 * Stops the private bus, at the end of main().
 */
void
tg_test_ui_shutdown (void)
{
  /* Not g_test_dbus_down(), nor the unref that would call it: GTK and
   * libadwaita keep the process's bus connection until it exits, and down()
   * waits for it to go. Stop the daemon without making that connection's
   * closing end the process. */
  if (test_bus != NULL)
    {
      g_autoptr(GDBusConnection) connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);

      if (connection != NULL)
        g_dbus_connection_set_exit_on_close (connection, FALSE);
      g_test_dbus_stop (test_bus);
    }
  g_clear_pointer (&system_data_dirs, g_strfreev);
  g_clear_pointer (&system_mime_dirs, g_strfreev);
}

/* ------------------------------------------------------------------------- */
/* Waiting                                                                   */

/**
 * tg_test_ui_wait_until:
 * @what: what is waited for, for the failure message
 *
 * Iterates the main context until @predicate holds, failing the test if that
 * takes longer than %TG_TEST_UI_WAIT_SECONDS.
 */
void
tg_test_ui_wait_until (TgTestUiPredicate  predicate,
                       gpointer           data,
                       const char        *what)
{
  gint64 deadline = g_get_monotonic_time () + TG_TEST_UI_WAIT_SECONDS * G_USEC_PER_SEC;

  while (!predicate (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Waited %d s for %s", TG_TEST_UI_WAIT_SECONDS, what);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

static void
on_after_paint (GdkFrameClock *clock,
                gpointer       user_data)
{
  (*(guint *) user_data)++;
}

static gboolean
is_mapped (gpointer widget)
{
  return gtk_widget_get_mapped (widget);
}

static gboolean
counter_positive (gpointer counter)
{
  return *(guint *) counter > 0;
}

/**
 * tg_test_ui_wait_for_frame:
 *
 * Waits until @widget is mapped, laid out and painted at least once from now on.
 */
void
tg_test_ui_wait_for_frame (GtkWidget *widget)
{
  GdkFrameClock *clock;
  guint frames = 0;
  gulong handler;

  tg_test_ui_wait_until (is_mapped, widget, "the widget to be mapped");
  clock = gtk_widget_get_frame_clock (widget);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &frames);
  gtk_widget_queue_draw (widget);
  tg_test_ui_wait_until (counter_positive, &frames, "a frame to be drawn");
  g_signal_handler_disconnect (clock, handler);
}

/* ------------------------------------------------------------------------- */
/* Screenshots and widgets                                                   */

/**
 * tg_test_ui_save_screenshot:
 * @widget: a widget in a shown window, or the window
 * @name: the file name, ending in `.png`
 *
 * Renders @widget as it is on screen once it has drawn a frame, and saves it
 * to $TG_SCREENSHOT_DIR/@name. Without that variable it is rendered all the
 * same (a rendering failure still fails the test), just not saved.
 */
void
tg_test_ui_save_screenshot (GtkWidget  *widget,
                            const char *name)
{
  const char *dir = g_getenv ("TG_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GtkSnapshot *snapshot;
  GskRenderer *renderer;
  GdkRGBA background = { 0.98f, 0.98f, 0.98f, 1.0f };
  int width, height;

  tg_test_ui_wait_for_frame (widget);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  /* A widget alone may paint no background of its own: put the window's
   * colour under it, so that the picture reads in any viewer, in either
   * style. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_lookup_color (gtk_widget_get_style_context (GTK_WIDGET (gtk_widget_get_root (widget))),
                                  "window_bg_color", &background);
  G_GNUC_END_IGNORE_DEPRECATIONS

  snapshot = gtk_snapshot_new ();
  gtk_snapshot_append_color (snapshot, &background, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (GTK_IS_NATIVE (widget))
    {
      /* A window draws itself (its frame and background, then its children
       * from what they last rendered), without a parent to ask. */
      GTK_WIDGET_GET_CLASS (widget)->snapshot (widget, snapshot);
    }
  else
    {
      paintable = gtk_widget_paintable_new (widget);
      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
    }
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);

  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_nonnull (texture);

  if (dir == NULL)
    {
      g_test_message ("TG_SCREENSHOT_DIR is not set: %s rendered, not saved", name);
      return;
    }

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  path = g_build_filename (dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Saved %s (%d × %d)", path, width, height);
}

/* The first widget of @widget's tree (itself included, depth first) that
 * @matches. */
static GtkWidget *
find_first (GtkWidget *widget,
            gboolean (*matches) (GtkWidget *widget, gconstpointer data),
            gconstpointer data)
{
  if (matches (widget, data))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_first (child, matches, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_of_type (GtkWidget     *widget,
            gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

static gboolean
has_action (GtkWidget     *widget,
            gconstpointer  action_name)
{
  return GTK_IS_ACTIONABLE (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0;
}

/**
 * tg_test_ui_find_descendant:
 *
 * Returns: (nullable) (transfer none): the first widget of type @type in
 *   @widget's tree, @widget included
 */
GtkWidget *
tg_test_ui_find_descendant (GtkWidget *widget,
                            GType      type)
{
  return find_first (widget, is_of_type, GSIZE_TO_POINTER (type));
}

/**
 * tg_test_ui_find_actionable:
 *
 * Returns: (nullable) (transfer none): the first #GtkActionable in @widget's
 *   tree that activates @action_name (a button, a menu item), @widget included
 */
GtkWidget *
tg_test_ui_find_actionable (GtkWidget  *widget,
                            const char *action_name)
{
  return find_first (widget, has_action, action_name);
}

/* ------------------------------------------------------------------------- */
/* The home window's states                                                  */

/* A #TgTestUiPredicate: the home window shows the demo user's resource. */
gboolean
tg_test_ui_resource_loaded (gpointer home_window)
{
  return strstr (tg_home_window_get_resource_text (home_window), TG_TEST_UI_RESOURCE_TEXT) != NULL;
}

/* A #TgTestUiPredicate: the home window has results, and all are finished. */
gboolean
tg_test_ui_results_finished (gpointer home_window)
{
  GListModel *results = tg_home_window_get_results (home_window);
  guint n = g_list_model_get_n_items (results);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TgResultItem) item = g_list_model_get_item (results, i);

      if (!tg_result_item_get_finished (item))
        return FALSE;
    }
  return n > 0;
}

static void
on_session_step_done (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
session_step_ready (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

/**
 * tg_test_ui_new_signed_in_session:
 *
 * Starts a session on the built-in server and signs the demo user in.
 *
 * Returns: (transfer full): the session, signed in
 */
TgSession *
tg_test_ui_new_signed_in_session (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TgSession) session = NULL;
  TgTokenManager *manager;

  tg_session_new_async (NULL, TG_AUTH_PROTOCOL_SEED, NULL, NULL, on_session_step_done, &result);
  tg_test_ui_wait_until (session_step_ready, &result, "the built-in server");
  session = tg_session_new_finish (result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  manager = tg_session_get_manager (session);
  tg_token_manager_sign_in_async (manager, "demo", "demo", NULL, on_session_step_done, &result);
  tg_test_ui_wait_until (session_step_ready, &result, "the sign-in");
  g_assert_true (tg_token_manager_sign_in_finish (manager, result, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&session);
}

/**
 * tg_test_ui_present_home_after_burst:
 * @session: a signed-in session
 * @width: the window's default width, or -1 for its own
 * @height: the window's default height, or -1 for its own
 *
 * Shows the home window of @session, and breaks its access token and sends
 * 3 requests, as the post's picture does: 3 × 401 → 1 refresh → 3 retried.
 *
 * Returns: (transfer full) (type TgHomeWindow): the window, once the burst's
 *   results are in and it has drawn them
 */
GtkWidget *
tg_test_ui_present_home_after_burst (TgSession *session,
                                     int        width,
                                     int        height)
{
  TgHomeWindow *home = g_object_ref_sink (tg_home_window_new (NULL, session));

  gtk_window_set_default_size (GTK_WINDOW (home), width, height);
  gtk_window_present (GTK_WINDOW (home));
  tg_test_ui_wait_until (tg_test_ui_resource_loaded, home, "the resource");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (home), "win.break-access", NULL));
  tg_home_window_send_requests (home, 3);
  tg_test_ui_wait_until (tg_test_ui_results_finished, home, "the 3 results");
  tg_test_iterate_for (300);
  return GTK_WIDGET (home);
}

/* ------------------------------------------------------------------------- */
/* The app's stylesheets                                                     */

/**
 * tg_test_ui_named_color:
 * @name: a named colour of the stylesheets, e.g. "success_color"
 *
 * Returns: its value where @widget is
 */
GdkRGBA
tg_test_ui_named_color (GtkWidget  *widget,
                        const char *name)
{
  GdkRGBA color;

  /* Deprecated after GTK 4.8, which this app targets; the only public way
   * to read a named colour of the stylesheet. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  g_assert_true (gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), name, &color));
  G_GNUC_END_IGNORE_DEPRECATIONS
  return color;
}

/**
 * tg_test_ui_add_app_style:
 * @name: "style.css" or "style-dark.css"
 *
 * Loads one of the app's stylesheets for the whole display, as
 * AdwApplication does from the resource base path (a test has no
 * AdwApplication).
 *
 * Returns: (transfer full): the provider, for tg_test_ui_remove_app_style()
 */
GtkCssProvider *
tg_test_ui_add_app_style (const char *name)
{
  GtkCssProvider *css = gtk_css_provider_new ();
  g_autofree char *path = g_strconcat ("/dev/tokengate/Tokengate/", name, NULL);

  gtk_css_provider_load_from_resource (css, path);
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  return css;
}

/**
 * tg_test_ui_remove_app_style:
 * @css: (transfer full): what tg_test_ui_add_app_style() returned
 */
void
tg_test_ui_remove_app_style (GtkCssProvider *css)
{
  gtk_style_context_remove_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css));
  g_object_unref (css);
}
