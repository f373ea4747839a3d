/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the UI tests share: waiting in the main loop with a deadline, and the
 * home window's states they wait for. Apart from tg-test-util.c, which the
 * tests without a display use too.
 */
#include "config.h"

#include <string.h>

#include "tg-home-window.h"
#include "tg-result-item.h"
#include "tg-test-ui.h"

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
