/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The home window's widgets, one at a time: the result rows, the network view
 * (its summary line, and 10,000 rows without building 10,000 rows), the token
 * panel (which must never show a whole token), the timeline (drawn, and saved
 * as a picture), and the home window itself against a real session on the
 * built-in server.
 *
 * The request logs here are filled by hand with tg_request_log_begin/end,
 * with real pauses between them: a record's times are the monotonic clock's,
 * and the timeline should have something to draw.
 *
 * Screenshots go to $TG_SCREENSHOT_DIR (meson: build/screenshots).
 */
#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "tg-file-token-store-private.h"
#include "tg-home-window.h"
#include "tg-network-log-row.h"
#include "tg-network-view.h"
#include "tg-paced-list-model.h"
#include "tg-pending-records.h"
#include "tg-request-log-private.h"
#include "tg-result-item.h"
#include "tg-result-row.h"
#include "tg-session.h"
#include "tg-test-ui.h"
#include "tg-test-util.h"
#include "tg-timeline.h"
#include "tg-token-panel.h"
#include "tg-burst-rows.h"


/* A JWT-shaped access token long enough to be shortened the usual way. */
#define LONG_TOKEN \
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJkZW1vIiwiZXhwIjoxOTAwMDAwMDAwfQ." \
  "c2lnbmF0dXJlLW9mLXRoZS10ZXN0LXRva2VuLXRoYXQtbXVzdC1uZXZlci1iZS1zaG93bi13aG9sZQ"

/* ------------------------------------------------------------------------- */
/* Helpers                                                                   */

static guint
count_descendants (GtkWidget *widget,
                   GType      type)
{
  guint count = G_TYPE_CHECK_INSTANCE_TYPE (widget, type) ? 1 : 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    count += count_descendants (child, type);

  return count;
}

/* Every text a label, an inscription or a tooltip of @widget's tree shows. */
static void
collect_texts (GtkWidget *widget,
               GPtrArray *texts)
{
  const char *tooltip = gtk_widget_get_tooltip_text (widget);

  if (GTK_IS_LABEL (widget))
    g_ptr_array_add (texts, g_strdup (gtk_label_get_text (GTK_LABEL (widget))));
  else if (GTK_IS_INSCRIPTION (widget) && gtk_inscription_get_text (GTK_INSCRIPTION (widget)) != NULL)
    g_ptr_array_add (texts, g_strdup (gtk_inscription_get_text (GTK_INSCRIPTION (widget))));
  if (tooltip != NULL)
    g_ptr_array_add (texts, g_strdup (tooltip));

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_texts (child, texts);
}

static gboolean
texts_contain (GPtrArray  *texts,
               const char *needle)
{
  for (guint i = 0; i < texts->len; i++)
    if (strstr (g_ptr_array_index (texts, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

/* ------------------------------------------------------------------------- */
/* Hand-built logs                                                           */

/* The post's picture: 3 requests with a broken token get 401, one refresh,
 * the 3 retried with the new token get 200. Real pauses, so that the records'
 * monotonic times spread out as on the wire. */
static void
fill_demo_burst (TgRequestLog *log)
{
  TgRequestRecord *first[3], *retry[3], *refresh;
  guint ids[3];

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/resources/%u", i + 1);

      ids[i] = tg_request_log_next_request_id (log);
      first[i] = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, ids[i], 1, "GET", path, 1);
      tg_test_iterate_for (2);
    }

  tg_test_iterate_for (12);
  tg_request_log_end (log, first[0], 401, NULL);
  refresh = tg_request_log_begin (log, TG_REQUEST_KIND_REFRESH, tg_request_log_next_request_id (log),
                                  1, "POST", "/authorization/refresh", 1);
  tg_test_iterate_for (3);
  tg_request_log_end (log, first[1], 401, NULL);
  tg_test_iterate_for (3);
  tg_request_log_end (log, first[2], 401, NULL);
  tg_test_iterate_for (35);
  tg_request_log_end (log, refresh, 200, NULL);

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/resources/%u", i + 1);

      retry[i] = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, ids[i], 2, "GET", path, 2);
    }
  for (guint i = 0; i < 3; i++)
    {
      tg_test_iterate_for (6 + 3 * i);
      tg_request_log_end (log, retry[i], 200, NULL);
    }
}

/* ------------------------------------------------------------------------- */
/* TgResultItem                                                              */

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static void
test_result_item (void)
{
  TgResultItem *item = tg_result_item_new (2);
  TgResultItem *failed = tg_result_item_new (3);
  guint finished_notifies = 0;

  g_signal_connect (item, "notify::finished", G_CALLBACK (count_notify), &finished_notifies);

  g_assert_cmpuint (tg_result_item_get_index (item), ==, 2);
  g_assert_false (tg_result_item_get_finished (item));
  g_assert_false (tg_result_item_get_failed (item));
  g_assert_null (tg_result_item_get_text (item));

  tg_result_item_set_response (item, 200, 2, "protected resources, username: demo, id: 2");
  g_assert_true (tg_result_item_get_finished (item));
  g_assert_false (tg_result_item_get_failed (item));
  g_assert_cmpuint (tg_result_item_get_status (item), ==, 200);
  g_assert_cmpuint (tg_result_item_get_attempts (item), ==, 2);
  g_assert_cmpstr (tg_result_item_get_text (item), ==, "protected resources, username: demo, id: 2");
  g_assert_cmpuint (finished_notifies, ==, 1);

  tg_result_item_set_error (failed, "The session has expired");
  g_assert_true (tg_result_item_get_finished (failed));
  g_assert_true (tg_result_item_get_failed (failed));
  g_assert_cmpuint (tg_result_item_get_status (failed), ==, 0);
  g_assert_cmpstr (tg_result_item_get_text (failed), ==, "The session has expired");

  g_assert_finalize_object (item);
  g_assert_finalize_object (failed);
}

/* ------------------------------------------------------------------------- */
/* TgResultRow                                                               */

static GtkWidget *
find_label_with_text (GtkWidget  *widget,
                      const char *text)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return widget;
  /* The result row shows its changing text in inscriptions. */
  if (GTK_IS_INSCRIPTION (widget) && g_strcmp0 (gtk_inscription_get_text (GTK_INSCRIPTION (widget)), text) == 0)
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label_with_text (child, text);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static void
test_result_row (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *row = g_object_ref_sink (tg_result_row_new ());
  TgResultItem *item = tg_result_item_new (2);
  TgResultItem *other;
  GtkWidget *status, *retried;

  tg_test_ui_use_system_mime ();

  tg_result_row_set_item (TG_RESULT_ROW (row), item);
  g_assert_true (tg_result_row_get_item (TG_RESULT_ROW (row)) == item);
  g_assert_nonnull (find_label_with_text (row, "Response 2"));
  g_assert_nonnull (find_label_with_text (row, "Waiting…"));
  retried = find_label_with_text (row, "retried");
  g_assert_nonnull (retried);
  g_assert_false (gtk_widget_get_visible (retried));

  /* The answer arrives while the row is off screen (unmapped, as the list
   * keeps most of its rows): what is read follows it, the colour waits. */
  tg_result_item_set_response (item, 200, 2, "protected resources, username: demo, id: 2");
  status = find_label_with_text (row, "200");
  g_assert_nonnull (status);
  g_assert_false (gtk_widget_has_css_class (status, "success"));
  g_assert_true (gtk_widget_get_visible (retried));
  g_assert_nonnull (find_label_with_text (row, "protected resources, username: demo, id: 2"));

  /* Shown: coloured before its first frame. */
  gtk_window_set_child (GTK_WINDOW (window), row);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (gtk_widget_get_mapped (row));
  g_assert_true (gtk_widget_has_css_class (status, "success"));
  tg_test_ui_wait_for_frame (row);

  /* Recycled for a 401 that was never retried: the old item is let go, and
   * a mapped row takes the new colour at once. */
  other = tg_result_item_new (3);
  tg_result_item_set_response (other, 401, 1, "");
  tg_result_row_set_item (TG_RESULT_ROW (row), other);
  g_assert_finalize_object (item);
  item = other;
  g_assert_true (gtk_widget_has_css_class (find_label_with_text (row, "401"), "warning"));
  g_assert_false (gtk_widget_has_css_class (status, "success"));
  g_assert_false (gtk_widget_get_visible (retried));

  /* Waiting again (a new burst reuses the item): dimmed, not coloured. */
  tg_result_item_restart (item);
  g_assert_true (gtk_widget_has_css_class (status, "dim-label"));
  g_assert_false (gtk_widget_has_css_class (status, "warning"));

  /* Given back to the pool, it lets go of the item. */
  gtk_window_destroy (GTK_WINDOW (window));
  tg_result_row_set_item (TG_RESULT_ROW (row), NULL);
  g_assert_finalize_object (item);
  g_assert_finalize_object (row);
}

/* ------------------------------------------------------------------------- */
/* TgPacedListModel                                                          */

typedef struct {
  guint emissions;
  guint most_added;
  guint this_frame;     /* added since our last tick */
  guint most_in_frame;
} Changes;

static void
on_paced_items_changed (GListModel *model,
                        guint       position,
                        guint       removed,
                        guint       added,
                        Changes    *changes)
{
  changes->emissions++;
  changes->most_added = MAX (changes->most_added, added);
  changes->this_frame += added;
  changes->most_in_frame = MAX (changes->most_in_frame, changes->this_frame);
}

/* Once per frame, like the model's own tick: between two of ours, the model
 * had one frame. */
static gboolean
on_changes_tick (GtkWidget     *widget,
                 GdkFrameClock *clock,
                 gpointer       user_data)
{
  Changes *changes = user_data;

  changes->this_frame = 0;
  return G_SOURCE_CONTINUE;
}

static void
append_results (GListStore *store,
                guint       count)
{
  for (guint i = 0; i < count; i++)
    {
      g_autoptr(TgResultItem) item = tg_result_item_new (i + 1);

      g_list_store_append (store, item);
    }
}

static gboolean
paced_has_150 (gpointer model)
{
  return g_list_model_get_n_items (model) == 150;
}

static gboolean
paced_has_200 (gpointer model)
{
  return g_list_model_get_n_items (model) == 200;
}

static void
test_paced_list_model (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *widget = gtk_label_new ("rows");
  GListStore *store = g_list_store_new (TG_TYPE_RESULT_ITEM);
  TgPacedListModel *paced;
  Changes changes = { 0, 0 };
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  tg_test_ui_use_system_mime ();
  gtk_window_set_child (GTK_WINDOW (window), widget);
  paced = tg_paced_list_model_new (widget, 8, 32);
  g_signal_connect (paced, "items-changed", G_CALLBACK (on_paced_items_changed), &changes);

  /* What the list holds already is shown at once. */
  append_results (store, 50);
  tg_paced_list_model_set_model (paced, G_LIST_MODEL (store));
  g_assert_true (tg_paced_list_model_get_model (paced) == G_LIST_MODEL (store));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (paced)), ==, 50);
  g_assert_cmpuint (changes.emissions, ==, 1);

  /* Nothing mapped, no frames: what is added one by one arrives in one
   * batch, after the code that added it. */
  append_results (store, 100);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (paced)), ==, 50);
  tg_test_ui_wait_until (paced_has_150, paced, "the unmapped catch-up");
  g_assert_cmpuint (changes.emissions, ==, 2);

  /* Mapped: a new list from the start is shown again from nothing, in
   * batches of 8, at most 32 per 1/60 s (a late frame takes up to two
   * frames' worth). */
  gtk_window_present (GTK_WINDOW (window));
  tg_test_ui_wait_for_frame (widget);
  gtk_widget_add_tick_callback (widget, on_changes_tick, &changes, NULL);
  changes.most_added = 0;
  changes.this_frame = 0;
  changes.most_in_frame = 0;
  for (guint i = 0; i < 200; i++)
    g_ptr_array_add (items, tg_result_item_new (i + 1));
  g_list_store_splice (store, 0, 150, items->pdata, items->len);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (paced)), ==, 0);
  tg_test_ui_wait_until (paced_has_200, paced, "the paced catch-up");
  g_assert_cmpuint (changes.most_added, <=, 8);
  g_assert_cmpuint (changes.most_in_frame, <=, 2 * 32);

  /* The widget goes first: the model lets go of it and catches up in an
   * idle again. */
  gtk_window_destroy (GTK_WINDOW (window));
  g_list_store_remove_all (store);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (paced)), ==, 0);
  append_results (store, 150);
  tg_test_ui_wait_until (paced_has_150, paced, "the catch-up without a widget");

  g_assert_finalize_object (paced);
  g_assert_finalize_object (store);
}

/* ------------------------------------------------------------------------- */
/* TgPendingRecords                                                          */

static void
on_record_finished (TgPendingRecords *pending,
                    TgRequestRecord  *record,
                    guint            *count)
{
  g_assert_true (tg_request_record_is_finished (record));
  (*count)++;
}

static void
test_pending_records (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  TgPendingRecords *pending = tg_pending_records_new ();
  TgRequestRecord *first, *second, *done;
  guint finished = 0;

  first = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, tg_request_log_next_request_id (log),
                                1, "GET", "/api/resources/1", 1);
  second = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, tg_request_log_next_request_id (log),
                                 1, "GET", "/api/resources/2", 1);
  done = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, tg_request_log_next_request_id (log),
                               1, "GET", "/api/resources/3", 1);
  tg_request_log_end (log, done, 200, NULL);

  /* Twice the same record, or one that has ended already, count once or
   * not at all. */
  tg_pending_records_add (pending, first);
  tg_pending_records_add (pending, first);
  tg_pending_records_add (pending, second);
  tg_pending_records_add (pending, done);
  g_assert_cmpuint (tg_pending_records_get_size (pending), ==, 2);

  g_signal_connect (pending, "record-finished", G_CALLBACK (on_record_finished), &finished);
  tg_request_log_end (log, first, 401, NULL);
  g_assert_cmpuint (finished, ==, 1);
  g_assert_cmpuint (tg_pending_records_get_size (pending), ==, 1);

  /* A new burst: the stragglers of the last one are no news. */
  tg_pending_records_clear (pending);
  g_assert_cmpuint (tg_pending_records_get_size (pending), ==, 0);
  tg_request_log_end (log, second, 200, NULL);
  g_assert_cmpuint (finished, ==, 1);

  g_assert_finalize_object (pending);
}

/* ------------------------------------------------------------------------- */
/* TgNetworkView                                                             */

static gboolean
view_has_one_row (gpointer view)
{
  GtkListView *list_view = GTK_LIST_VIEW (tg_test_ui_find_descendant (view, GTK_TYPE_LIST_VIEW));

  return g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (list_view))) == 1;
}

static void
test_network_view_summary (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  TgNetworkView *view = TG_NETWORK_VIEW (g_object_ref_sink (tg_network_view_new ()));
  TgRequestRecord *records[3], *refresh;
  guint ids[3];

  tg_test_ui_use_system_mime ();

  tg_network_view_set_log (view, log);
  g_assert_cmpstr (tg_network_view_get_summary (view), ==, "No burst yet");

  /* Before any burst: the sign-in, which the summary of a burst ignores. */
  tg_request_log_end (log, tg_request_log_begin (log, TG_REQUEST_KIND_SIGN_IN,
                                                 tg_request_log_next_request_id (log), 1,
                                                 "POST", "/authorization/token", 0),
                      200, NULL);

  tg_network_view_mark_burst (view);
  g_assert_cmpstr (tg_network_view_get_summary (view), ==, "Sending…");
  fill_demo_burst (log);
  g_assert_cmpstr (tg_network_view_get_summary (view), ==, "3 × 401 → 1 refresh → 3 retried, all OK");

  /* No 401s at all. */
  tg_network_view_mark_burst (view);
  for (guint i = 0; i < 3; i++)
    {
      TgRequestRecord *record = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE,
                                                      tg_request_log_next_request_id (log),
                                                      1, "GET", "/api/resources/1", 2);

      /* While in flight the line says so. */
      if (i == 0)
        g_assert_cmpstr (tg_network_view_get_summary (view), ==, "no 401s, 1 in flight");
      tg_request_log_end (log, record, 200, NULL);
    }
  g_assert_cmpstr (tg_network_view_get_summary (view), ==, "no 401s, all OK");

  /* One of three never retried (its retry failed before leaving). */
  tg_network_view_mark_burst (view);
  for (guint i = 0; i < 3; i++)
    {
      ids[i] = tg_request_log_next_request_id (log);
      records[i] = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, ids[i], 1, "GET", "/api/resources/1", 2);
    }
  for (guint i = 0; i < 3; i++)
    tg_request_log_end (log, records[i], 401, NULL);
  refresh = tg_request_log_begin (log, TG_REQUEST_KIND_REFRESH, tg_request_log_next_request_id (log),
                                  1, "POST", "/authorization/refresh", 2);
  tg_request_log_end (log, refresh, 200, NULL);
  for (guint i = 0; i < 2; i++)
    tg_request_log_end (log, tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, ids[i], 2,
                                                   "GET", "/api/resources/1", 3),
                        200, NULL);
  g_assert_cmpstr (tg_network_view_get_summary (view), ==, "3 × 401 → 1 refresh → 2 retried, 1 failed");

  /* The refresh refused: the session is over. */
  tg_network_view_mark_burst (view);
  for (guint i = 0; i < 3; i++)
    records[i] = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, tg_request_log_next_request_id (log),
                                       1, "GET", "/api/resources/1", 3);
  for (guint i = 0; i < 3; i++)
    tg_request_log_end (log, records[i], 401, NULL);
  refresh = tg_request_log_begin (log, TG_REQUEST_KIND_REFRESH, tg_request_log_next_request_id (log),
                                  1, "POST", "/authorization/refresh", 3);
  tg_request_log_end (log, refresh, 400, NULL);
  g_assert_cmpstr (tg_network_view_get_summary (view), ==, "3 × 401 → 1 refresh → session ended");

  /* Clear empties the view and forgets the bursts. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "network-view.clear", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 0);
  g_assert_cmpstr (tg_network_view_get_summary (view), ==, "No burst yet");

  /* After a clear the rows start again from the first record. */
  tg_request_log_end (log, tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE,
                                                 tg_request_log_next_request_id (log), 1,
                                                 "GET", "/api/resources", 3),
                      200, NULL);
  tg_test_ui_wait_until (view_has_one_row, view, "the row after the clear");

  tg_network_view_set_log (view, NULL);
  g_assert_finalize_object (view);
}

static GtkLabel *
find_label (GtkWidget  *widget,
            const char *text)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return GTK_LABEL (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *label = find_label (child, text);

      if (label != NULL)
        return label;
    }
  return NULL;
}

/* Whether @widget would show a tooltip now. */
static gboolean
query_tooltip (GtkWidget *widget)
{
  GtkTooltip *tooltip = g_object_new (GTK_TYPE_TOOLTIP, NULL);
  gboolean shown = FALSE;

  g_signal_emit_by_name (widget, "query-tooltip", 1, 1, FALSE, tooltip, &shown);
  g_object_unref (tooltip);
  return shown;
}

static void
allocate_width (GtkWidget *widget,
                int        width)
{
  int height;

  gtk_widget_measure (widget, GTK_ORIENTATION_VERTICAL, width, &height, NULL, NULL, NULL);
  gtk_widget_allocate (widget, width, MAX (height, 400), -1, NULL);
}

/* The summary is one line (measured once per text, not at every width it
 * is asked about): in a narrow view it ends in an ellipsis, and then its
 * tooltip has the whole text; in a wide one it has no tooltip. */
static void
test_network_view_summary_line (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  TgNetworkView *view = TG_NETWORK_VIEW (g_object_ref_sink (tg_network_view_new ()));
  GtkWidget *window = gtk_window_new ();
  const char *text = "3 × 401 → 1 refresh → 3 retried, all OK";
  GtkLabel *label;
  int minimum, natural, for_height_minimum, for_height_natural;

  tg_test_ui_use_system_mime ();
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  tg_network_view_set_log (view, log);
  tg_network_view_mark_burst (view);
  fill_demo_burst (log);
  g_assert_cmpstr (tg_network_view_get_summary (view), ==, text);
  label = find_label (GTK_WIDGET (view), text);
  g_assert_nonnull (label);
  g_assert_false (gtk_label_get_wrap (label));
  g_assert_cmpint (gtk_widget_get_request_mode (GTK_WIDGET (label)), ==, GTK_SIZE_REQUEST_CONSTANT_SIZE);

  gtk_widget_measure (GTK_WIDGET (view), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, &natural, NULL, NULL);
  gtk_widget_measure (GTK_WIDGET (view), GTK_ORIENTATION_HORIZONTAL, 300,
                      &for_height_minimum, &for_height_natural, NULL, NULL);
  g_assert_cmpint (for_height_minimum, ==, minimum);

  allocate_width (GTK_WIDGET (view), minimum);
  g_assert_true (pango_layout_is_ellipsized (gtk_label_get_layout (label)));
  g_assert_true (query_tooltip (GTK_WIDGET (label)));

  allocate_width (GTK_WIDGET (view), MAX (natural, 1200));
  g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (label)));
  g_assert_false (query_tooltip (GTK_WIDGET (label)));

  /* On a phone's page of its own the outcome at the end must show: the
   * summary wraps, nothing is cut, and a line that fits needs no tooltip. */
  tg_network_view_set_summary_wraps (view, TRUE);
  g_assert_true (gtk_label_get_wrap (label));
  allocate_width (GTK_WIDGET (view), minimum);
  g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (label)));
  g_assert_cmpint (pango_layout_get_line_count (gtk_label_get_layout (label)), >, 1);
  g_assert_false (query_tooltip (GTK_WIDGET (label)));

  /* And back beside the controls: one line again. */
  tg_network_view_set_summary_wraps (view, FALSE);
  allocate_width (GTK_WIDGET (view), minimum);
  g_assert_false (gtk_label_get_wrap (label));
  g_assert_true (pango_layout_is_ellipsized (gtk_label_get_layout (label)));

  gtk_window_destroy (GTK_WINDOW (window));
  tg_network_view_set_log (view, NULL);
  g_assert_finalize_object (view);
}

static void
test_network_view_lifecycle (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  TgNetworkView *view = TG_NETWORK_VIEW (g_object_ref_sink (tg_network_view_new ()));
  TgRequestRecord *pending;

  tg_test_ui_use_system_mime ();

  tg_network_view_set_log (view, log);
  tg_network_view_mark_burst (view);
  fill_demo_burst (log);
  /* A record still in flight when the view goes: it must let go of it. */
  pending = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE, tg_request_log_next_request_id (log),
                                  1, "GET", "/api/resources/9", 2);

  g_assert_finalize_object (view);

  /* Finishing it afterwards touches nothing that is gone. */
  tg_request_log_end (log, pending, 200, NULL);
}

static gboolean
adjustment_at_end (gpointer data)
{
  GtkAdjustment *adjustment = data;

  return gtk_adjustment_get_upper (adjustment) > gtk_adjustment_get_page_size (adjustment) &&
         gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment)
           >= gtk_adjustment_get_upper (adjustment) - 1.0;
}

static gint64 longest_frame;

static void
on_before_paint (GdkFrameClock *clock,
                 gint64        *frame_start)
{
  *frame_start = g_get_monotonic_time ();
}

static void
on_after_paint_measure (GdkFrameClock *clock,
                        gint64        *frame_start)
{
  if (*frame_start != 0)
    longest_frame = MAX (longest_frame, g_get_monotonic_time () - *frame_start);
}

static gboolean
model_has_10000 (gpointer model)
{
  /* And the header row of the burst. */
  return g_list_model_get_n_items (model) == 10001;
}

static void
test_network_view_10000 (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = tg_network_view_new ();
  GtkListView *list_view;
  GtkScrolledWindow *scroller;
  GtkAdjustment *vadjustment;
  GListModel *model;
  GdkFrameClock *clock;
  gulong before_id, after_id;
  gint64 start, frame_start = 0, longest_append = 0;
  guint rows;

  tg_test_ui_use_system_mime ();

  gtk_window_set_default_size (GTK_WINDOW (window), 900, 600);
  gtk_window_set_child (GTK_WINDOW (window), view);
  tg_network_view_set_log (TG_NETWORK_VIEW (view), log);
  gtk_window_present (GTK_WINDOW (window));
  tg_test_ui_wait_for_frame (view);

  tg_network_view_mark_burst (TG_NETWORK_VIEW (view));

  /* 10,000 exchanges arriving while the window is up, in chunks of 500 with
   * a frame drawn between chunks — the way a burst of 1,000 requests with
   * their retries fills the log. What is measured is the work of a frame
   * (from before-paint to after-paint): a view that built a widget per
   * record, or rebound every row on every record, would take seconds. */
  clock = gtk_widget_get_frame_clock (view);
  before_id = g_signal_connect (clock, "before-paint", G_CALLBACK (on_before_paint), &frame_start);
  after_id = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint_measure), &frame_start);
  for (guint chunk = 0; chunk < 20; chunk++)
    {
      start = g_get_monotonic_time ();
      for (guint i = 0; i < 500; i++)
        {
          g_autofree char *path = g_strdup_printf ("/api/resources/%u", chunk * 500 + i + 1);
          TgRequestRecord *record = tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE,
                                                          tg_request_log_next_request_id (log),
                                                          1, "GET", path, 1);

          tg_request_log_end (log, record, i % 7 == 0 ? 401 : 200, NULL);
        }
      longest_append = MAX (longest_append, g_get_monotonic_time () - start);
      tg_test_ui_wait_for_frame (view);
    }

  /* The view takes rows in at a bounded pace per frame; it catches up. */
  list_view = GTK_LIST_VIEW (tg_test_ui_find_descendant (view, GTK_TYPE_LIST_VIEW));
  g_assert_nonnull (list_view);
  model = G_LIST_MODEL (gtk_list_view_get_model (list_view));
  tg_test_ui_wait_until (model_has_10000, model, "the view to show the 10,000 records");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 10001);
  {
    g_autoptr(GObject) header = g_list_model_get_item (model, 0);
    g_autoptr(GObject) first = g_list_model_get_item (model, 1);

    g_assert_true (TG_IS_BURST_HEADER (header));
    g_assert_true (TG_IS_REQUEST_RECORD (first));
  }
  g_signal_handler_disconnect (clock, before_id);
  g_signal_handler_disconnect (clock, after_id);

  g_test_message ("Appending 500 records: at most %.1f ms; longest frame: %.1f ms",
                  longest_append / 1000.0, longest_frame / 1000.0);
  /* Generous, for slow CI machines and sanitizers (a first frame under
   * AddressSanitizer takes ~2 s): what they catch is work per record in the
   * view, which at 10,000 records takes far longer. The widget count below
   * is the sharp test. */
  g_assert_cmpint (longest_append, <, G_USEC_PER_SEC);
  g_assert_cmpint (longest_frame, <, 10 * G_USEC_PER_SEC);

  /* Recycled rows: rows for what is on screen (and a few around it), not
   * 10,000; and each is one widget, with no cell widgets inside. */
  rows = count_descendants (GTK_WIDGET (list_view), TG_TYPE_NETWORK_LOG_ROW);
  g_test_message ("%u rows for 10,000 records", rows);
  g_assert_cmpuint (rows, >, 0);
  g_assert_cmpuint (rows, <, 500);
  g_assert_cmpuint (count_descendants (GTK_WIDGET (list_view), GTK_TYPE_WIDGET), <, 3 * 500);

  /* Newest row in view. */
  scroller = GTK_SCROLLED_WINDOW (tg_test_ui_find_descendant (view, GTK_TYPE_SCROLLED_WINDOW));
  vadjustment = gtk_scrolled_window_get_vadjustment (scroller);
  tg_test_ui_wait_until (adjustment_at_end, vadjustment, "the view to follow the newest row");

  /* Scrolled up by the user, it stays where they put it. */
  gtk_adjustment_set_value (vadjustment, 0);
  for (guint i = 0; i < 10; i++)
    tg_request_log_end (log, tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE,
                                                   tg_request_log_next_request_id (log),
                                                   1, "GET", "/api/resources/late", 1),
                        200, NULL);
  tg_test_ui_wait_for_frame (view);
  tg_test_ui_wait_for_frame (view);
  g_assert_cmpfloat (gtk_adjustment_get_value (vadjustment), <, 100.0);

  /* 72 of every 500 got 401 and were never retried. */
  g_assert_cmpstr (tg_network_view_get_summary (TG_NETWORK_VIEW (view)), ==,
                   "1440 × 401 → 0 refreshes → 0 retried, 1440 failed");

  tg_test_ui_save_screenshot (view, "network-view-10000.png");

  gtk_window_destroy (GTK_WINDOW (window));
}

/* ------------------------------------------------------------------------- */
/* TgTokenPanel                                                              */

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
result_ready (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static TgTokenManager *
new_manager_with_tokens (const char *access_token,
                         gint64      expires_at)
{
  g_autofree char *directory = g_build_filename (g_get_user_state_dir (), "tokens", NULL);
  g_autoptr(TgTokenStore) store = tg_file_token_store_new (directory);
  g_autoptr(TgAuthProtocol) protocol = NULL;
  g_autoptr(TgTokens) tokens = tg_tokens_new (access_token, "refresh-token-of-the-test", expires_at);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TgTokenManager *manager;

  /* Port 9 on loopback: nothing listens, so a sign-out's revocation fails at
   * once without leaving the machine. */
  protocol = tg_auth_protocol_new_seed ("http://127.0.0.1:9", &error);
  g_assert_no_error (error);

  tg_token_store_save_async (store, "test", tokens, NULL, on_done, &result);
  tg_test_ui_wait_until (result_ready, &result, "the tokens to be saved");
  g_assert_true (tg_token_store_save_finish (store, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  manager = tg_token_manager_new (protocol, store, "test");
  tg_token_manager_restore_async (manager, NULL, on_done, &result);
  tg_test_ui_wait_until (result_ready, &result, "the tokens to be restored");
  g_assert_true (tg_token_manager_restore_finish (manager, result, &error));
  g_assert_no_error (error);

  return manager;
}

static void
assert_token_never_whole (GtkWidget  *panel,
                          const char *token)
{
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);

  collect_texts (panel, texts);
  g_assert_cmpuint (texts->len, >, 0);
  for (guint i = 0; i < texts->len; i++)
    g_assert_null (strstr (g_ptr_array_index (texts, i), token));
}

static void
test_token_panel (void)
{
  g_autoptr(TgTokenManager) manager = NULL;
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GAsyncResult) result = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *panel = g_object_ref_sink (tg_token_panel_new ());
  g_autofree char *shortened = g_strdup_printf ("%.8s…%s", LONG_TOKEN, LONG_TOKEN + strlen (LONG_TOKEN) - 4);
  gboolean signed_out;

  tg_test_ui_use_system_mime ();

  manager = new_manager_with_tokens (LONG_TOKEN, g_get_real_time () + 300 * G_USEC_PER_SEC);
  tg_token_panel_set_manager (TG_TOKEN_PANEL (panel), manager);

  /* First 8 … last 4, and never the whole. */
  collect_texts (panel, texts);
  g_assert_true (texts_contain (texts, shortened));
  g_assert_true (texts_contain (texts, "Idle"));
  g_assert_true (texts_contain (texts, "in 4 min") || texts_contain (texts, "in 5 min"));
  assert_token_never_whole (panel, LONG_TOKEN);

  /* The post's broken token: three characters, no secret, shown whole
   * (issue 10, §1.4); its expiry is not known (§1.1). */
  tg_token_manager_replace_access_token (manager, "sdf");
  g_ptr_array_set_size (texts, 0);
  collect_texts (panel, texts);
  g_assert_true (texts_contain (texts, "sdf"));
  g_assert_true (texts_contain (texts, "Unknown"));
  assert_token_never_whole (panel, LONG_TOKEN);

  /* The countdown moves while the panel is on screen. */
  gtk_window_set_child (GTK_WINDOW (window), panel);
  gtk_window_present (GTK_WINDOW (window));
  tg_test_ui_wait_for_frame (panel);
  tg_test_iterate_for (1100);
  assert_token_never_whole (panel, LONG_TOKEN);

  /* Signed out under it: no crash, and nothing left to show. */
  tg_token_manager_sign_out_async (manager, NULL, on_done, &result);
  tg_test_ui_wait_until (result_ready, &result, "the sign-out");
  signed_out = tg_token_manager_sign_out_finish (manager, result, NULL);
  g_test_message ("sign-out finished: %s", signed_out ? "yes" : "with an error");
  g_ptr_array_set_size (texts, 0);
  collect_texts (panel, texts);
  g_assert_true (texts_contain (texts, "Signed out"));
  g_assert_true (texts_contain (texts, "None"));

  tg_test_ui_save_screenshot (panel, "token-panel.png");

  gtk_window_destroy (GTK_WINDOW (window));
  tg_token_panel_set_manager (TG_TOKEN_PANEL (panel), NULL);
  g_assert_finalize_object (panel);
}

/* ------------------------------------------------------------------------- */
/* TgTimeline                                                                */

static void
test_timeline_lifecycle (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  TgTimeline *timeline = TG_TIMELINE (g_object_ref_sink (tg_timeline_new ()));
  TgRequestRecord *pending;

  tg_test_ui_use_system_mime ();

  /* The refresh lane is there from the start. */
  g_assert_cmpuint (tg_timeline_get_n_lanes (timeline), ==, 1);

  tg_timeline_set_log (timeline, log);
  tg_request_log_end (log, tg_request_log_begin (log, TG_REQUEST_KIND_SIGN_IN,
                                                 tg_request_log_next_request_id (log), 1,
                                                 "POST", "/authorization/token", 0),
                      200, NULL);
  g_assert_cmpuint (tg_timeline_get_n_lanes (timeline), ==, 2);

  tg_timeline_mark_burst (timeline);
  g_assert_cmpuint (tg_timeline_get_n_lanes (timeline), ==, 1);
  fill_demo_burst (log);
  /* refresh + one lane per logical request: retries share their lane. */
  g_assert_cmpuint (tg_timeline_get_n_lanes (timeline), ==, 4);

  /* Ours as well as the log's: it outlives the clear below, as an exchange
   * still in flight does. */
  pending = g_object_ref (tg_request_log_begin (log, TG_REQUEST_KIND_RESOURCE,
                                                tg_request_log_next_request_id (log),
                                                1, "GET", "/api/resources/9", 2));
  g_assert_cmpuint (tg_timeline_get_n_lanes (timeline), ==, 5);

  tg_request_log_clear (log);
  g_assert_cmpuint (tg_timeline_get_n_lanes (timeline), ==, 1);

  g_assert_finalize_object (timeline);
  tg_request_log_end (log, pending, 200, NULL);
  g_assert_finalize_object (pending);
}

static void
test_timeline_snapshot (void)
{
  g_autoptr(TgRequestLog) log = tg_request_log_new ();
  AdwStyleManager *style = adw_style_manager_get_default ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *timeline = tg_timeline_new ();
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  graphene_rect_t bounds;
  int natural;

  tg_test_ui_use_system_mime ();

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), timeline);
  gtk_window_set_child (GTK_WINDOW (window), scroller);
  gtk_window_set_default_size (GTK_WINDOW (window), 760, -1);
  tg_timeline_set_log (TG_TIMELINE (timeline), log);

  gtk_window_present (GTK_WINDOW (window));
  tg_test_ui_wait_for_frame (timeline);

  /* The burst arrives while the timeline is on screen, and it follows. */
  tg_timeline_mark_burst (TG_TIMELINE (timeline));
  fill_demo_burst (log);
  tg_test_ui_wait_for_frame (timeline);
  g_assert_cmpuint (tg_timeline_get_n_lanes (TG_TIMELINE (timeline)), ==, 4);

  /* Natural height: a header and ~22 px per lane, capped. */
  gtk_widget_measure (timeline, GTK_ORIENTATION_VERTICAL, -1, NULL, &natural, NULL, NULL);
  g_assert_cmpint (natural, >=, 4 * 20);
  g_assert_cmpint (natural, <=, 600);

  /* The snapshot vfunc makes a real picture: bars, labels, an axis. */
  snapshot = gtk_snapshot_new ();
  GTK_WIDGET_GET_CLASS (timeline)->snapshot (timeline, snapshot);
  node = gtk_snapshot_to_node (snapshot);
  g_assert_nonnull (node);
  gsk_render_node_get_bounds (node, &bounds);
  g_assert_cmpfloat (bounds.size.width, >, 100);
  g_assert_cmpfloat (bounds.size.height, >, 50);

  tg_test_ui_save_screenshot (timeline, "timeline-widget.png");

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  tg_test_ui_save_screenshot (timeline, "timeline-widget-dark.png");
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);

  /* Narrow, as on a phone. */
  gtk_window_set_default_size (GTK_WINDOW (window), 360, -1);
  tg_test_iterate_for (50);
  tg_test_ui_save_screenshot (timeline, "timeline-widget-narrow.png");

  gtk_window_destroy (GTK_WINDOW (window));
}

/* ------------------------------------------------------------------------- */
/* TgHomeWindow, against a real session on the built-in server               */

typedef struct {
  TgSession    *session;
  TgHomeWindow *window;
} HomeFixture;

static void
home_setup (HomeFixture   *fixture,
            gconstpointer  data)
{
  tg_test_ui_use_system_mime ();

  fixture->session = tg_test_ui_new_signed_in_session ();
  /* Counted exactly below: no proactive refresh on a slow machine. */
  g_object_set (tg_session_get_manager (fixture->session), "proactive", FALSE, NULL);
}

static void
home_teardown (HomeFixture   *fixture,
               gconstpointer  data)
{
  if (fixture->window != NULL)
    {
      gtk_window_destroy (GTK_WINDOW (fixture->window));
      tg_test_assert_finalize_soon (g_steal_pointer (&fixture->window));
    }

  tg_session_shutdown (fixture->session);
  tg_test_assert_finalize_soon (g_steal_pointer (&fixture->session));
}

static gint64
read_server_setting (TgDemoControls *controls,
                     const char     *name)
{
  TgDemoSettings unchanged = TG_DEMO_SETTINGS_INIT;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) settings = NULL;
  g_autoptr(GError) error = NULL;

  tg_demo_controls_set_settings_async (controls, &unchanged, NULL, on_done, &result);
  tg_test_ui_wait_until (result_ready, &result, "the demo server's settings");
  settings = tg_demo_controls_set_settings_finish (controls, result, &error);
  g_assert_no_error (error);
  return json_object_get_int_member (settings, name);
}

typedef struct {
  TgDemoControls *controls;
  gint64          latency;
  gint64          refresh_latency;
} LatencyCheck;

static gboolean
server_latencies_are (gpointer data)
{
  LatencyCheck *check = data;

  return read_server_setting (check->controls, "latencyMs") == check->latency &&
         read_server_setting (check->controls, "refreshLatencyMs") == check->refresh_latency;
}

static void
collect_scales (GtkWidget *widget,
                GPtrArray *scales)
{
  if (GTK_IS_SCALE (widget))
    g_ptr_array_add (scales, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_scales (child, scales);
}

/* The demo controls' two sliders, in the order they are shown: the server's
 * latency, then the refresh's. */
static void
set_latencies_and_check (HomeFixture *fixture,
                         guint        latency,
                         guint        refresh_latency)
{
  g_autoptr(GPtrArray) scales = g_ptr_array_new ();
  LatencyCheck check = { tg_session_get_demo_controls (fixture->session), latency, refresh_latency };

  collect_scales (GTK_WIDGET (fixture->window), scales);
  g_assert_cmpuint (scales->len, ==, 2);
  for (guint i = 0; i < scales->len; i++)
    g_assert_true (gtk_widget_get_visible (g_ptr_array_index (scales, i)));
  gtk_range_set_value (g_ptr_array_index (scales, 0), latency);
  gtk_range_set_value (g_ptr_array_index (scales, 1), refresh_latency);
  tg_test_ui_wait_until (server_latencies_are, &check, "the server latencies to change");
}

static void
test_home_window (HomeFixture   *fixture,
                  gconstpointer  data)
{
  TgTokenManager *manager = tg_session_get_manager (fixture->session);
  GListModel *results;
  g_autoptr(GAsyncResult) result = NULL;
  TgTimeline *timeline;
  GtkWidget *leaflet;

  fixture->window = g_object_ref_sink (tg_home_window_new (NULL, fixture->session));
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1280, 800);
  gtk_window_present (GTK_WINDOW (fixture->window));

  /* The post's home page. */
  g_assert_cmpstr (tg_home_window_get_resource_text (fixture->window), ==, "");
  tg_test_ui_wait_until (tg_test_ui_resource_loaded, fixture->window, "the prefetched resource");
  g_assert_cmpstr (tg_home_window_get_resource_text (fixture->window), ==,
                   "Home page: " TG_TEST_UI_RESOURCE_TEXT);

  /* Break the token, Send: 3 × 401 → 1 refresh → 3 × 200. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.break-access", NULL));
  tg_home_window_send_requests (fixture->window, 3);
  tg_test_ui_wait_until (tg_test_ui_results_finished, fixture->window, "the 3 results");

  results = tg_home_window_get_results (fixture->window);
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(TgResultItem) item = g_list_model_get_item (results, i);

      g_assert_cmpuint (tg_result_item_get_index (item), ==, i + 1);
      g_assert_cmpuint (tg_result_item_get_status (item), ==, 200);
      g_assert_cmpuint (tg_result_item_get_attempts (item), ==, 2);
      g_assert_nonnull (strstr (tg_result_item_get_text (item), TG_TEST_UI_RESOURCE_TEXT));
    }
  g_assert_cmpstr (tg_home_window_get_summary (fixture->window), ==,
                   "3 × 401 → 1 refresh → 3 retried, all OK");

  timeline = TG_TIMELINE (tg_home_window_get_timeline (fixture->window));
  g_assert_cmpuint (tg_timeline_get_n_lanes (timeline), ==, 4);

  tg_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "home-window.png");
  tg_test_ui_save_screenshot (GTK_WIDGET (timeline), "home-window-timeline.png");

  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1920, 1080);
  tg_test_iterate_for (100);
  tg_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "home-window-wide.png");

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1280, 800);
  tg_test_iterate_for (100);
  tg_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "home-window-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* The latency sliders set the demo server's latencyMs and
   * refreshLatencyMs; with them the wait for the refresh is long enough to
   * see. */
  set_latencies_and_check (fixture, 60, 150);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.break-access", NULL));
  tg_home_window_send_requests (fixture->window, 3);
  tg_test_ui_wait_until (tg_test_ui_results_finished, fixture->window, "the 3 slow results");
  g_assert_cmpstr (tg_home_window_get_summary (fixture->window), ==,
                   "3 × 401 → 1 refresh → 3 retried, all OK");
  tg_test_ui_save_screenshot (GTK_WIDGET (timeline), "home-window-timeline-latency.png");
  set_latencies_and_check (fixture, 0, 0);

  /* A new burst replaces the rows. */
  tg_home_window_send_requests (fixture->window, 5);
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, 5);
  tg_test_ui_wait_until (tg_test_ui_results_finished, fixture->window, "the 5 results");
  g_assert_cmpstr (tg_home_window_get_summary (fixture->window), ==, "no 401s, all OK");

  /* At 360 px the window folds to one page at a time. */
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 360, 720);
  tg_test_iterate_for (100);
  tg_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "home-window-narrow.png");
  leaflet = tg_test_ui_find_descendant (GTK_WIDGET (fixture->window), ADW_TYPE_LEAFLET);
  g_assert_true (adw_leaflet_get_folded (ADW_LEAFLET (leaflet)));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (fixture->window)), <=, 360);
  adw_leaflet_set_visible_child_name (ADW_LEAFLET (leaflet), "network");
  tg_test_iterate_for (400);
  tg_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "home-window-narrow-network.png");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.clear-log", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tg_session_get_request_log (fixture->session))), ==, 0);

  /* Signed out under the window: it stays up, inert, until the application
   * closes it. */
  tg_token_manager_sign_out_async (manager, NULL, on_done, &result);
  tg_test_ui_wait_until (result_ready, &result, "the sign-out");
  g_assert_true (tg_token_manager_sign_out_finish (manager, result, NULL));
  g_assert_false (gtk_widget_is_sensitive (tg_test_ui_find_actionable (GTK_WIDGET (fixture->window), "win.send")));
  g_assert_false (gtk_widget_is_sensitive (tg_test_ui_find_actionable (GTK_WIDGET (fixture->window), "win.break-access")));
  tg_home_window_send_requests (fixture->window, 3);
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, 5);
  tg_test_iterate_for (50);
}

typedef struct {
  gint64 last;
  gint64 longest;
} StallProbe;

static gboolean
on_stall_probe (gpointer user_data)
{
  StallProbe *probe = user_data;
  gint64 now = g_get_monotonic_time ();

  if (probe->last != 0)
    probe->longest = MAX (probe->longest, now - probe->last);
  probe->last = now;
  return G_SOURCE_CONTINUE;
}

/* 1,000 requests with a broken token, the window on screen: one refresh,
 * every request answered, and how long the main loop was ever kept from
 * running (the benchmark in tests/bench/ measures this properly; this only
 * reports it, and fails on a stall nobody could miss). */
static void
test_home_window_burst_1000 (HomeFixture   *fixture,
                             gconstpointer  data)
{
  TgTokenManager *manager = tg_session_get_manager (fixture->session);
  StallProbe probe = { 0, 0 };
  const char *summary;
  guint refreshes_before, refreshes_after;
  guint probe_id;
  gint64 start;

  fixture->window = g_object_ref_sink (tg_home_window_new (NULL, fixture->session));
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1280, 800);
  gtk_window_present (GTK_WINDOW (fixture->window));
  tg_test_ui_wait_until (tg_test_ui_resource_loaded, fixture->window, "the prefetched resource");
  tg_test_ui_wait_for_frame (GTK_WIDGET (fixture->window));

  g_object_get (manager, "refreshes-started", &refreshes_before, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.break-access", NULL));

  probe_id = g_timeout_add (1, on_stall_probe, &probe);
  start = g_get_monotonic_time ();
  tg_home_window_send_requests (fixture->window, 1000);
  g_test_message ("Sending 1,000 requests took %.1f ms", (g_get_monotonic_time () - start) / 1000.0);
  tg_test_ui_wait_until (tg_test_ui_results_finished, fixture->window, "the 1,000 results");
  /* And until the view has caught up and drawn it. */
  tg_test_iterate_for (500);
  g_source_remove (probe_id);

  g_object_get (manager, "refreshes-started", &refreshes_after, NULL);
  g_assert_cmpuint (refreshes_after - refreshes_before, ==, 1);

  summary = tg_home_window_get_summary (fixture->window);
  g_test_message ("1,000 requests in %.0f ms: %s; longest main-loop stall %.1f ms",
                  (g_get_monotonic_time () - start) / 1000.0, summary, probe.longest / 1000.0);
  g_assert_true (g_str_has_suffix (summary, "→ 1 refresh → 1000 retried, all OK") ||
                 g_str_has_suffix (summary, "all OK"));
  g_assert_nonnull (strstr (summary, "1 refresh"));
  g_assert_cmpint (probe.longest, <, 5 * G_USEC_PER_SEC);

  tg_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "home-window-1000.png");
}

/* The window goes while its requests are still on their way: nothing may
 * call back into it. */
static void
test_home_window_close_early (HomeFixture   *fixture,
                              gconstpointer  data)
{
  fixture->window = g_object_ref_sink (tg_home_window_new (NULL, fixture->session));
  gtk_window_present (GTK_WINDOW (fixture->window));
  tg_home_window_send_requests (fixture->window, 50);

  gtk_window_close (GTK_WINDOW (fixture->window));
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  tg_test_assert_finalize_soon (g_steal_pointer (&fixture->window));

  /* Let the cancelled requests come back to nobody. */
  tg_test_iterate_for (300);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  tg_test_ui_keep_system_data ();
  tg_test_init (&argc, &argv);
  if (!tg_test_ui_init_display ())
    {
      g_print ("1..0 # SKIP no display (run under xvfb-run, as build-aux/check does)\n");
      return 0;
    }

  g_test_add_func ("/ui/result-item", test_result_item);
  g_test_add_func ("/ui/result-row", test_result_row);
  g_test_add_func ("/ui/paced-list-model", test_paced_list_model);
  g_test_add_func ("/ui/pending-records", test_pending_records);
  g_test_add_func ("/ui/network-view/summary", test_network_view_summary);
  g_test_add_func ("/ui/network-view/lifecycle", test_network_view_lifecycle);
  g_test_add_func ("/ui/network-view/summary-line", test_network_view_summary_line);
  g_test_add_func ("/ui/network-view/10000-rows", test_network_view_10000);
  g_test_add_func ("/ui/token-panel/never-whole", test_token_panel);
  g_test_add_func ("/ui/timeline/lifecycle", test_timeline_lifecycle);
  g_test_add_func ("/ui/timeline/snapshot", test_timeline_snapshot);
  g_test_add ("/ui/home-window/burst", HomeFixture, NULL, home_setup, test_home_window, home_teardown);
  g_test_add ("/ui/home-window/burst-1000", HomeFixture, NULL, home_setup,
              test_home_window_burst_1000, home_teardown);
  g_test_add ("/ui/home-window/close-early", HomeFixture, NULL, home_setup,
              test_home_window_close_early, home_teardown);

  status = g_test_run ();

  tg_test_ui_shutdown ();
  return status;
}
