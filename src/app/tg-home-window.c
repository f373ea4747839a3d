/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window of the demo, the post's home page grown up: the protected
 * resource fetched on open, "Send N requests" with one result row each, the
 * token as the manager holds it, the demo server's controls, and the network
 * log drawn as a table and as a waterfall.
 *
 * Everything it starts runs on one GCancellable that is cancelled when the
 * window closes; the session (and its token manager) outlives the window, so
 * callbacks never assume the window is still there unless the cancellable
 * says so.
 */
#define G_LOG_DOMAIN "tg-home-window"

#include "config.h"

#include <glib/gi18n.h>

#include "tg-home-window.h"
#include "tg-network-view.h"
#include "tg-result-item.h"
#include "tg-timeline.h"
#include "tg-token-panel.h"

/* The demo server's latency is applied after the slider rests this long: one
 * PUT per gesture instead of one per pixel dragged. */
#define LATENCY_DEBOUNCE_MS 300

/* The demo server's reuse-grace window while the switch is on: long enough
 * for a person to see the retry of a lost refresh answer recover, short as
 * RFC 9700 §4.14.2 would have a real one. */
#define REUSE_GRACE_SECONDS 10

/* How much of an answer a result row shows. */
#define MAX_BODY_CHARS 200

/* Result rows handed to the list view per frame: a burst of 1,000 would
 * otherwise make it build its 200 or so rows in one frame. */
#define MAX_RESULT_ROWS_PER_FRAME 32

struct _TgHomeWindow
{
  AdwApplicationWindow  parent_instance;

  TgSession            *session;        /* owned */
  GSettings            *settings;       /* owned, nullable */
  GCancellable         *cancellable;    /* owned; cancelled on close */
  GSignalGroup         *manager_signals; /* owned */
  GListStore           *results;        /* owned; of TgResultItem */
  GtkSliceListModel    *shown_results;  /* owned: the rows handed to the view so far */
  guint                 results_tick_id;
  char                 *resource_text;  /* owned: "" while loading */
  guint                 latency_timeout_id;
  guint                 fold_idle_id;
  gboolean              settings_known;  /* the server's settings are shown: changes go out */

  /* template children */
  AdwWindowTitle       *window_title;
  AdwToastOverlay      *toast_overlay;
  AdwLeaflet           *leaflet;
  GtkToggleButton      *network_button;
  GtkStack             *resource_stack;
  GtkSpinner           *resource_spinner;
  GtkLabel             *resource_label;
  GtkLabel             *resource_error_label;
  TgTokenPanel         *token_panel;
  GtkWidget            *expire_button;
  GtkWidget            *revoke_button;
  GtkWidget            *lose_answer_button;
  GtkWidget            *grace_list;
  GtkSwitch            *grace_switch;
  GtkWidget            *latency_box;
  GtkAdjustment        *latency_adjustment;
  GtkScale             *latency_scale;
  GtkAdjustment        *refresh_latency_adjustment;
  GtkScale             *refresh_latency_scale;
  GtkSpinButton        *count_spin;
  GtkButton            *send_button;
  GtkStack             *results_stack;
  GtkListView          *results_view;
  TgTimeline           *timeline;
  TgNetworkView        *network_view;
};

G_DEFINE_FINAL_TYPE (TgHomeWindow, tg_home_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SESSION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What an operation of the window needs to get back to it: the window only
 * while the cancellable is not cancelled — it is, before the window goes. */
typedef struct {
  TgHomeWindow *self;         /* unowned: valid while !cancelled */
  GCancellable *cancellable;  /* owned */
} WindowOp;

static WindowOp *
window_op_new (TgHomeWindow *self)
{
  WindowOp *op = g_new0 (WindowOp, 1);

  op->self = self;
  op->cancellable = g_object_ref (self->cancellable);
  return op;
}

static TgHomeWindow *
window_op_get_window (WindowOp *op)
{
  return g_cancellable_is_cancelled (op->cancellable) ? NULL : op->self;
}

static void
window_op_free (WindowOp *op)
{
  g_clear_object (&op->cancellable);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WindowOp, window_op_free)

static gboolean show_more_results (TgHomeWindow  *self);
static gboolean on_results_tick   (GtkWidget     *widget,
                                   GdkFrameClock *frame_clock,
                                   gpointer       user_data);

static void
show_toast (TgHomeWindow *self,
            const char   *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static TgTokenManager *
get_manager (TgHomeWindow *self)
{
  return self->session != NULL ? tg_session_get_manager (self->session) : NULL;
}

static gboolean
is_signed_in (TgHomeWindow *self)
{
  TgTokenManager *manager = get_manager (self);

  return manager != NULL && tg_token_manager_get_state (manager) != TG_TOKEN_STATE_SIGNED_OUT;
}

/* Bodies come from the network: show valid UTF-8 only, and not too much. */
static char *
body_to_text (GBytes *body)
{
  g_autofree char *text = NULL;
  const char *data;
  gsize size = 0;

  if (body == NULL)
    return g_strdup ("");

  data = g_bytes_get_data (body, &size);
  text = g_utf8_make_valid (data != NULL ? data : "", size);
  g_strstrip (text);

  if (g_utf8_strlen (text, -1) > MAX_BODY_CHARS)
    {
      g_autofree char *head = g_utf8_substring (text, 0, MAX_BODY_CHARS);

      return g_strconcat (head, "…", NULL);
    }

  return g_steal_pointer (&text);
}

/* ------------------------------------------------------------------------ */
/* The protected resource                                                   */

static void
set_resource_text (TgHomeWindow *self,
                   const char   *text)
{
  g_free (self->resource_text);
  self->resource_text = g_strdup (text);
}

static void
on_resource_ready (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(WindowOp) op = user_data;
  g_autoptr(TgApiResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  g_autofree char *text = NULL;
  TgHomeWindow *self;

  response = tg_api_client_get_finish (TG_API_CLIENT (source), result, &error);

  if ((self = window_op_get_window (op)) == NULL)
    return;

  gtk_spinner_stop (self->resource_spinner);

  if (response != NULL)
    body = body_to_text (response->body);

  if (response != NULL && response->status >= 200 && response->status < 300)
    {
      /* Translators: as on the post's page, "Home page: protected resources, username: demo" */
      text = g_strdup_printf (_("Home page: %s"), body);
      gtk_label_set_text (self->resource_label, text);
      gtk_stack_set_visible_child_name (self->resource_stack, "loaded");
    }
  else
    {
      if (error != NULL)
        /* Translators: the protected resource could not be fetched; %s says why */
        text = g_strdup_printf (_("Could not fetch the resource: %s"), error->message);
      else
        /* Translators: the server answered the resource request with an HTTP error */
        text = g_strdup_printf (_("The server answered %u %s"), response->status,
                                soup_status_get_phrase (response->status));
      gtk_label_set_text (self->resource_error_label, text);
      gtk_stack_set_visible_child_name (self->resource_stack, "error");
    }

  set_resource_text (self, text);
}

static void
fetch_resource (TgHomeWindow *self)
{
  if (self->session == NULL || !is_signed_in (self))
    return;

  set_resource_text (self, "");
  gtk_stack_set_visible_child_name (self->resource_stack, "loading");
  gtk_spinner_start (self->resource_spinner);

  tg_api_client_get_async (tg_session_get_client (self->session), "/api/resources",
                           self->cancellable, on_resource_ready, window_op_new (self));
}

/* ------------------------------------------------------------------------ */
/* Send requests                                                            */

static void
update_send_label (TgHomeWindow *self)
{
  guint count = (guint) gtk_spin_button_get_value_as_int (self->count_spin);
  g_autofree char *label = NULL;

  /* Translators: the button that fires the requests, as in the post */
  label = g_strdup_printf (ngettext ("_Send %u Request", "_Send %u Requests", count), count);
  gtk_button_set_label (self->send_button, label);
  gtk_button_set_use_underline (self->send_button, TRUE);
}

static void
on_count_changed (TgHomeWindow *self)
{
  update_send_label (self);
}

static void
on_request_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  /* Only the item: the window may be gone, and a row that was replaced by a
   * newer burst just stops being shown. */
  g_autoptr(TgResultItem) item = user_data;
  g_autoptr(TgApiResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  response = tg_api_client_get_finish (TG_API_CLIENT (source), result, &error);

  if (response == NULL)
    {
      tg_result_item_set_error (item, error->message);
      return;
    }

  text = body_to_text (response->body);
  tg_result_item_set_response (item, response->status, response->attempts, text);
}

/**
 * tg_home_window_send_requests:
 * @self: a #TgHomeWindow
 * @count: how many requests to fire at once, at least 1
 *
 * What Send does: marks a new burst in the network view and the timeline,
 * replaces the result rows with @count new ones, and sends
 * `GET /api/resources/1` … `/api/resources/@count` all at once.
 */
void
tg_home_window_send_requests (TgHomeWindow *self,
                              guint         count)
{
  g_autoptr(GPtrArray) items = NULL;
  TgApiClient *client;

  g_return_if_fail (TG_IS_HOME_WINDOW (self));
  g_return_if_fail (count >= 1);

  if (self->session == NULL || !is_signed_in (self))
    return;

  client = tg_session_get_client (self->session);

  tg_network_view_mark_burst (self->network_view);
  tg_timeline_mark_burst (self->timeline);

  /* One items-changed for the whole burst, not one per row; the view is
   * shown none of them yet, then a batch per frame. */
  items = g_ptr_array_new_full (count, g_object_unref);
  for (guint i = 1; i <= count; i++)
    g_ptr_array_add (items, tg_result_item_new (i));
  gtk_slice_list_model_set_size (self->shown_results, 0);
  g_list_store_splice (self->results, 0, g_list_model_get_n_items (G_LIST_MODEL (self->results)),
                       items->pdata, items->len);
  gtk_stack_set_visible_child_name (self->results_stack, "results");
  /* Paced only where frames are drawn; a hidden list takes them all, and
   * nobody is waiting on it. */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self->results_view)))
    gtk_slice_list_model_set_size (self->shown_results, count);
  else if (show_more_results (self) && self->results_tick_id == 0)
    self->results_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self->results_view),
                                                          on_results_tick, self, NULL);

  /* The requests of an earlier burst are left to finish: they are part of
   * what the log shows, and cancelling them would turn them into errors. */
  for (guint i = 0; i < items->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/resources/%u", i + 1);

      tg_api_client_get_async (client, path, self->cancellable, on_request_done,
                               g_object_ref (g_ptr_array_index (items, i)));
    }
}

/* ------------------------------------------------------------------------ */
/* Result rows                                                              */

static gboolean
show_more_results (TgHomeWindow *self)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->results));
  guint size = gtk_slice_list_model_get_size (self->shown_results);

  if (size < n_items)
    gtk_slice_list_model_set_size (self->shown_results,
                                   size + MIN (n_items - size, MAX_RESULT_ROWS_PER_FRAME));

  return gtk_slice_list_model_get_size (self->shown_results) < n_items;
}

static gboolean
on_results_tick (GtkWidget     *widget,
                 GdkFrameClock *frame_clock,
                 gpointer       user_data)
{
  TgHomeWindow *self = user_data;

  if (show_more_results (self))
    return G_SOURCE_CONTINUE;

  self->results_tick_id = 0;
  return G_SOURCE_REMOVE;
}

typedef struct {
  GtkLabel *title;
  GtkLabel *status;
  GtkLabel *retried;
  GtkLabel *text;
} ResultRow;

static void
result_row_free (ResultRow *row)
{
  g_free (row);
}

static void
update_result_row (GtkWidget    *box,
                   TgResultItem *item)
{
  ResultRow *row = g_object_get_data (G_OBJECT (box), "tg-result-row");
  g_autofree char *title = NULL;
  g_autofree char *status = NULL;
  const char *status_class;
  const char *text = tg_result_item_get_text (item);

  /* Translators: "Response 1", the post's "First resp" */
  title = g_strdup_printf (_("Response %u"), tg_result_item_get_index (item));
  gtk_label_set_text (row->title, title);

  if (!tg_result_item_get_finished (item))
    {
      gtk_label_set_text (row->status, "…");
      /* Translators: a request that has not been answered yet */
      gtk_label_set_text (row->text, _("Waiting…"));
      status_class = "dim-label";
    }
  else
    {
      if (tg_result_item_get_status (item) != 0)
        status = g_strdup_printf ("%u", tg_result_item_get_status (item));
      gtk_label_set_text (row->status, status != NULL ? status : C_("status", "error"));
      gtk_label_set_text (row->text, text != NULL ? text : "");

      if (!tg_result_item_get_failed (item))
        status_class = "success";
      else if (tg_result_item_get_status (item) == 401)
        status_class = "warning";
      else
        status_class = "error";
    }

  gtk_widget_set_css_classes (GTK_WIDGET (row->status),
                              (const char *[]) { "heading", "numeric", status_class, NULL });
  gtk_widget_set_visible (GTK_WIDGET (row->retried), tg_result_item_get_attempts (item) >= 2);
}

static void
on_result_item_finished (TgResultItem *item,
                         GParamSpec   *pspec,
                         GtkWidget    *box)
{
  update_result_row (box, item);
}

static GtkLabel *
new_label (float        xalign,
           const char  *first_class,
           const char  *second_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  if (first_class != NULL)
    gtk_widget_add_css_class (label, first_class);
  if (second_class != NULL)
    gtk_widget_add_css_class (label, second_class);
  return GTK_LABEL (label);
}

static void
result_setup (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  ResultRow *row = g_new0 (ResultRow, 1);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  /* Two lines, so that the body still has room at 360 px:
   *   Response 2            retried   200
   *   protected resources, username: demo, id: 2 */
  row->title = new_label (0.0f, NULL, NULL);
  gtk_widget_set_hexpand (GTK_WIDGET (row->title), TRUE);
  row->retried = new_label (1.0f, "caption", "accent");
  /* Translators: a badge on a result row: the request was sent again after a token refresh */
  gtk_label_set_text (row->retried, _("retried"));
  /* Hidden until a row is bound (update_result_row shows it): a tooltip set
   * on a visible widget makes GTK query the pointer — an X round trip per row. */
  gtk_widget_set_visible (GTK_WIDGET (row->retried), FALSE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (row->retried),
                               _("Answered 401 first, then sent again with the refreshed token"));
  row->status = new_label (1.0f, "heading", "numeric");
  gtk_label_set_width_chars (row->status, 4);
  row->text = new_label (0.0f, "dim-label", NULL);
  gtk_label_set_ellipsize (row->text, PANGO_ELLIPSIZE_END);

  gtk_box_append (GTK_BOX (line), GTK_WIDGET (row->title));
  gtk_box_append (GTK_BOX (line), GTK_WIDGET (row->retried));
  gtk_box_append (GTK_BOX (line), GTK_WIDGET (row->status));
  gtk_box_append (GTK_BOX (box), line);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->text));
  gtk_widget_set_margin_top (box, 4);
  gtk_widget_set_margin_bottom (box, 4);

  g_object_set_data_full (G_OBJECT (box), "tg-result-row", row, (GDestroyNotify) result_row_free);
  gtk_list_item_set_child (list_item, box);
}

static void
result_bind (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             gpointer                  user_data)
{
  GtkWidget *box = gtk_list_item_get_child (list_item);
  TgResultItem *item = gtk_list_item_get_item (list_item);

  update_result_row (box, item);
  g_signal_connect_object (item, "notify::finished", G_CALLBACK (on_result_item_finished), box, 0);
}

static void
result_unbind (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  GtkWidget *box = gtk_list_item_get_child (list_item);
  TgResultItem *item = gtk_list_item_get_item (list_item);

  if (item != NULL)
    g_signal_handlers_disconnect_by_func (item, on_result_item_finished, box);
}

/* ------------------------------------------------------------------------ */
/* Demo controls                                                            */

/* A demo control has answered: its action is usable again, and a toast says
 * how it went. */
static void
demo_control_answered (WindowOp   *op,
                       const char *action_name,
                       const char *toast)
{
  TgHomeWindow *self;

  if ((self = window_op_get_window (op)) == NULL)
    return;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), action_name, is_signed_in (self));
  show_toast (self, toast);
}

static void
on_expired (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(WindowOp) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!tg_demo_controls_expire_access_tokens_finish (TG_DEMO_CONTROLS (source), result, &error))
    text = g_strdup_printf (_("Could not expire the tokens: %s"), error->message);

  demo_control_answered (op, "win.expire-on-server",
                         text != NULL ? text : _("The server now rejects every access token issued so far"));
}

static void
on_revoked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(WindowOp) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!tg_demo_controls_revoke_sessions_finish (TG_DEMO_CONTROLS (source), result, &error))
    text = g_strdup_printf (_("Could not revoke the session: %s"), error->message);

  demo_control_answered (op, "win.revoke-on-server",
                         text != NULL ? text : _("Session revoked on the server: the next refresh will be refused"));
}

static void
on_lost_answer_armed (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(WindowOp) op = user_data;
  g_autoptr(JsonObject) settings = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  settings = tg_demo_controls_arm_refresh_fault_finish (TG_DEMO_CONTROLS (source), result, &error);
  if (settings == NULL)
    text = g_strdup_printf (_("Could not arm the fault: %s"), error->message);

  demo_control_answered (op, "win.lose-refresh-answer",
                         text != NULL ? text : _("The next refresh answer will be lost"));
}

static void
on_latency_read (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(WindowOp) op = user_data;
  g_autoptr(JsonObject) settings = NULL;
  g_autoptr(GError) error = NULL;
  TgHomeWindow *self;

  settings = tg_demo_controls_set_settings_finish (TG_DEMO_CONTROLS (source), result, &error);

  if ((self = window_op_get_window (op)) == NULL)
    return;

  if (settings == NULL)
    {
      /* The slider starts from 0 then; a change still goes out. */
      g_debug ("Could not read the demo server's settings: %s", error->message);
      self->settings_known = TRUE;
      return;
    }

  /* Set quietly: these are the server's values, not changes to send back. */
  self->settings_known = FALSE;
  if (json_object_has_member (settings, "latencyMs"))
    gtk_adjustment_set_value (self->latency_adjustment,
                              (double) json_object_get_int_member (settings, "latencyMs"));
  if (json_object_has_member (settings, "refreshLatencyMs"))
    gtk_adjustment_set_value (self->refresh_latency_adjustment,
                              (double) json_object_get_int_member (settings, "refreshLatencyMs"));
  if (json_object_has_member (settings, "reuseGrace"))
    gtk_switch_set_active (self->grace_switch, json_object_get_int_member (settings, "reuseGrace") > 0);
  self->settings_known = TRUE;
}

static void
on_latency_written (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(WindowOp) op = user_data;
  g_autoptr(JsonObject) settings = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  TgHomeWindow *self;

  settings = tg_demo_controls_set_settings_finish (TG_DEMO_CONTROLS (source), result, &error);

  if ((self = window_op_get_window (op)) == NULL || settings != NULL)
    return;

  text = g_strdup_printf (_("Could not change the server’s latency: %s"), error->message);
  show_toast (self, text);
}

static gboolean
apply_latency (gpointer user_data)
{
  TgHomeWindow *self = user_data;
  TgDemoControls *controls = tg_session_get_demo_controls (self->session);
  TgDemoSettings settings = TG_DEMO_SETTINGS_INIT;

  self->latency_timeout_id = 0;

  if (controls == NULL)
    return G_SOURCE_REMOVE;

  settings.latency_ms = (gint64) gtk_adjustment_get_value (self->latency_adjustment);
  settings.refresh_latency_ms = (gint64) gtk_adjustment_get_value (self->refresh_latency_adjustment);
  tg_demo_controls_set_settings_async (controls, &settings, self->cancellable,
                                       on_latency_written, window_op_new (self));
  return G_SOURCE_REMOVE;
}

static void
on_latency_changed (TgHomeWindow *self)
{
  if (!self->settings_known)
    return;

  g_clear_handle_id (&self->latency_timeout_id, g_source_remove);
  self->latency_timeout_id = g_timeout_add (LATENCY_DEBOUNCE_MS, apply_latency, self);
  g_source_set_name_by_id (self->latency_timeout_id, "[tokengate] apply server latency");
}

static void
on_grace_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(WindowOp) op = user_data;
  g_autoptr(JsonObject) settings = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  TgHomeWindow *self;

  settings = tg_demo_controls_set_settings_finish (TG_DEMO_CONTROLS (source), result, &error);

  if ((self = window_op_get_window (op)) == NULL)
    return;

  /* The switch says it already; only a failure is news. */
  if (settings != NULL)
    return;

  /* The switch shows what the server does: put it back, quietly. */
  self->settings_known = FALSE;
  gtk_switch_set_active (self->grace_switch, !gtk_switch_get_active (self->grace_switch));
  self->settings_known = TRUE;

  text = g_strdup_printf (_("Could not change the server’s reuse grace window: %s"), error->message);
  show_toast (self, text);
}

static void
on_grace_toggled (TgHomeWindow *self)
{
  TgDemoControls *controls = self->session != NULL ? tg_session_get_demo_controls (self->session) : NULL;
  TgDemoSettings settings = TG_DEMO_SETTINGS_INIT;

  if (!self->settings_known || controls == NULL)
    return;

  settings.reuse_grace = gtk_switch_get_active (self->grace_switch) ? REUSE_GRACE_SECONDS : 0;
  tg_demo_controls_set_settings_async (controls, &settings, self->cancellable,
                                       on_grace_written, window_op_new (self));
}

static char *
format_latency (GtkScale *scale,
                double    value,
                gpointer  user_data)
{
  /* Translators: the demo server's latency, e.g. "250 ms" */
  return g_strdup_printf (_("%.0f ms"), value);
}

/* ------------------------------------------------------------------------ */
/* Actions                                                                  */

static void
update_actions (TgHomeWindow *self)
{
  gboolean signed_in = is_signed_in (self);
  gboolean has_demo = self->session != NULL && tg_session_get_demo_controls (self->session) != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.send", signed_in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.reload", signed_in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.break-access", signed_in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.expire-on-server", signed_in && has_demo);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.revoke-on-server", signed_in && has_demo);
  gtk_widget_set_sensitive (GTK_WIDGET (self->latency_scale), signed_in && has_demo);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.lose-refresh-answer", signed_in && has_demo);
  gtk_widget_set_sensitive (GTK_WIDGET (self->refresh_latency_scale), signed_in && has_demo);
  gtk_widget_set_sensitive (self->grace_list, signed_in && has_demo);
  gtk_widget_set_sensitive (GTK_WIDGET (self->count_spin), signed_in);
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  TgHomeWindow *self = TG_HOME_WINDOW (widget);

  /* Take what is typed even if Enter was not pressed in the spin button. */
  gtk_spin_button_update (self->count_spin);
  tg_home_window_send_requests (self, (guint) gtk_spin_button_get_value_as_int (self->count_spin));
}

static void
reload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  fetch_resource (TG_HOME_WINDOW (widget));
}

static void
break_access_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  TgHomeWindow *self = TG_HOME_WINDOW (widget);
  TgTokenManager *manager = get_manager (self);

  if (manager == NULL || !is_signed_in (self))
    return;

  /* The post's `localStorage.setItem("token", "sdf")`. */
  tg_token_manager_replace_access_token (manager, "sdf");
  show_toast (self, _("Access token replaced with “sdf”: the next requests get 401"));
}

/* The demo controls for @action_name, which stays disabled until the server
 * answers: a second press would only say the same. NULL without controls. */
static TgDemoControls *
begin_demo_control (TgHomeWindow *self,
                    const char   *action_name)
{
  TgDemoControls *controls = self->session != NULL ? tg_session_get_demo_controls (self->session) : NULL;

  if (controls != NULL)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), action_name, FALSE);
  return controls;
}

static void
expire_on_server_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  TgHomeWindow *self = TG_HOME_WINDOW (widget);
  TgDemoControls *controls = begin_demo_control (self, action_name);

  if (controls != NULL)
    tg_demo_controls_expire_access_tokens_async (controls, self->cancellable, on_expired,
                                                 window_op_new (self));
}

static void
revoke_on_server_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  TgHomeWindow *self = TG_HOME_WINDOW (widget);
  TgDemoControls *controls = begin_demo_control (self, action_name);

  if (controls != NULL)
    tg_demo_controls_revoke_sessions_async (controls, self->cancellable, on_revoked,
                                            window_op_new (self));
}

static void
lose_refresh_answer_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  TgHomeWindow *self = TG_HOME_WINDOW (widget);
  TgDemoControls *controls = begin_demo_control (self, action_name);

  /* One answer: the next refresh — the one a burst after "Break Access
   * Token" starts — is done at the server and never heard of here. */
  if (controls != NULL)
    tg_demo_controls_arm_refresh_fault_async (controls, TG_DEMO_REFRESH_FAULT_LOST_ANSWER, 1,
                                              self->cancellable, on_lost_answer_armed,
                                              window_op_new (self));
}

static void
clear_log_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  TgHomeWindow *self = TG_HOME_WINDOW (widget);

  if (self->session != NULL)
    tg_request_log_clear (tg_session_get_request_log (self->session));
}

/* ------------------------------------------------------------------------ */
/* Narrow windows                                                           */

static void
on_network_button_toggled (TgHomeWindow *self)
{
  gboolean show_network = gtk_toggle_button_get_active (self->network_button);

  adw_leaflet_set_visible_child_name (self->leaflet, show_network ? "network" : "controls");
}

static void
on_leaflet_visible_child_changed (TgHomeWindow *self)
{
  const char *name = adw_leaflet_get_visible_child_name (self->leaflet);
  gboolean network = g_strcmp0 (name, "network") == 0;

  /* A swipe back changes the page without the button. */
  if (gtk_toggle_button_get_active (self->network_button) != network)
    gtk_toggle_button_set_active (self->network_button, network);

  gtk_widget_set_tooltip_text (GTK_WIDGET (self->network_button),
                               network ? _("Show the Controls") : _("Show the Network Log"));
}

static gboolean
update_network_button (gpointer user_data)
{
  TgHomeWindow *self = user_data;

  self->fold_idle_id = 0;
  gtk_widget_set_visible (GTK_WIDGET (self->network_button), adw_leaflet_get_folded (self->leaflet));
  on_leaflet_visible_child_changed (self);
  return G_SOURCE_REMOVE;
}

static void
on_leaflet_folded_changed (TgHomeWindow *self)
{
  /* The leaflet folds while it is being allocated: showing the header bar's
   * button right then would change the header bar's size in the middle of
   * the same layout pass. Do it just after. */
  if (self->fold_idle_id == 0)
    self->fold_idle_id = g_idle_add (update_network_button, self);
}

/* ------------------------------------------------------------------------ */

static void
on_manager_state_changed (TgHomeWindow *self)
{
  /* Signed out (the session expired or the user signed out): the
   * application closes this window; until then nothing here may start a
   * request that can only fail. */
  update_actions (self);

  if (!is_signed_in (self))
    gtk_spinner_stop (self->resource_spinner);
}

static void
save_window_state (TgHomeWindow *self)
{
  int width, height;

  if (self->settings == NULL)
    return;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_apply (self->settings);
}

static gboolean
on_close_request (GtkWindow *window)
{
  TgHomeWindow *self = TG_HOME_WINDOW (window);

  g_cancellable_cancel (self->cancellable);
  save_window_state (self);
  return FALSE;
}

static void
tg_home_window_constructed (GObject *object)
{
  TgHomeWindow *self = TG_HOME_WINDOW (object);
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));
  TgDemoControls *controls = NULL;

  G_OBJECT_CLASS (tg_home_window_parent_class)->constructed (object);

  if (TG_IS_APPLICATION (application))
    self->settings = g_object_ref (tg_application_get_settings (TG_APPLICATION (application)));

  if (self->settings != NULL)
    {
      gtk_window_set_default_size (GTK_WINDOW (self),
                                   g_settings_get_int (self->settings, "window-width"),
                                   g_settings_get_int (self->settings, "window-height"));
      if (g_settings_get_boolean (self->settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));

      g_settings_bind (self->settings, "request-count",
                       self->count_spin, "value", G_SETTINGS_BIND_DEFAULT);
    }
  update_send_label (self);

  if (self->session != NULL)
    {
      TgRequestLog *log = tg_session_get_request_log (self->session);
      g_autofree char *subtitle = NULL;

      controls = tg_session_get_demo_controls (self->session);

      tg_network_view_set_log (self->network_view, log);
      tg_timeline_set_log (self->timeline, log);
      tg_token_panel_set_manager (self->token_panel, get_manager (self));
      g_signal_group_set_target (self->manager_signals, get_manager (self));

      if (tg_session_is_builtin (self->session))
        /* Translators: the window subtitle when the app runs its own server */
        subtitle = g_strdup_printf (_("Built-in demo server, %s"), tg_session_get_server_uri (self->session));
      else
        subtitle = g_strdup (tg_session_get_server_uri (self->session));
      adw_window_title_set_subtitle (self->window_title, subtitle);
    }

  /* Only a server with demo controls can expire, revoke or lose an answer on
   * request, and only it has a latency and a grace window to set. */
  gtk_widget_set_visible (self->expire_button, controls != NULL);
  gtk_widget_set_visible (self->revoke_button, controls != NULL);
  gtk_widget_set_visible (self->latency_box, controls != NULL);
  gtk_widget_set_visible (self->lose_answer_button, controls != NULL);
  gtk_widget_set_visible (self->grace_list, controls != NULL);

  update_actions (self);
  fetch_resource (self);

  if (controls != NULL)
    {
      /* An empty change answers with the server's current settings. */
      TgDemoSettings unchanged = TG_DEMO_SETTINGS_INIT;

      tg_demo_controls_set_settings_async (controls, &unchanged, self->cancellable,
                                           on_latency_read, window_op_new (self));
    }
}

static void
tg_home_window_dispose (GObject *object)
{
  TgHomeWindow *self = TG_HOME_WINDOW (object);

  /* First, so that every callback still on its way sees a cancelled
   * operation and leaves the window alone. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);

  g_clear_handle_id (&self->latency_timeout_id, g_source_remove);
  g_clear_handle_id (&self->fold_idle_id, g_source_remove);

  if (self->manager_signals != NULL)
    g_signal_group_set_target (self->manager_signals, NULL);

  if (self->results_tick_id != 0 && self->results_view != NULL)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->results_view), self->results_tick_id);
  self->results_tick_id = 0;

  if (self->results_view != NULL)
    gtk_list_view_set_model (self->results_view, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), TG_TYPE_HOME_WINDOW);

  g_clear_object (&self->manager_signals);
  g_clear_object (&self->shown_results);
  g_clear_object (&self->results);
  g_clear_object (&self->settings);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (tg_home_window_parent_class)->dispose (object);
}

static void
tg_home_window_finalize (GObject *object)
{
  TgHomeWindow *self = TG_HOME_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->resource_text, g_free);

  G_OBJECT_CLASS (tg_home_window_parent_class)->finalize (object);
}

static void
tg_home_window_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TgHomeWindow *self = TG_HOME_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_home_window_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  TgHomeWindow *self = TG_HOME_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_home_window_class_init (TgHomeWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = tg_home_window_constructed;
  object_class->dispose = tg_home_window_dispose;
  object_class->finalize = tg_home_window_finalize;
  object_class->get_property = tg_home_window_get_property;
  object_class->set_property = tg_home_window_set_property;

  /**
   * TgHomeWindow:session:
   *
   * The session whose server, tokens and log the window shows.
   */
  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, TG_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "win.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "win.reload", NULL, reload_action);
  gtk_widget_class_install_action (widget_class, "win.break-access", NULL, break_access_action);
  gtk_widget_class_install_action (widget_class, "win.expire-on-server", NULL, expire_on_server_action);
  gtk_widget_class_install_action (widget_class, "win.revoke-on-server", NULL, revoke_on_server_action);
  gtk_widget_class_install_action (widget_class, "win.lose-refresh-answer", NULL, lose_refresh_answer_action);
  gtk_widget_class_install_action (widget_class, "win.clear-log", NULL, clear_log_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "win.send", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, "win.send", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "win.reload", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "win.reload", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "win.clear-log", NULL);

  g_type_ensure (TG_TYPE_NETWORK_VIEW);
  g_type_ensure (TG_TYPE_TIMELINE);
  g_type_ensure (TG_TYPE_TOKEN_PANEL);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/tokengate/Tokengate/tg-home-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, network_button);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, resource_stack);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, resource_spinner);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, resource_label);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, resource_error_label);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, token_panel);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, expire_button);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, revoke_button);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, lose_answer_button);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, grace_list);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, grace_switch);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, latency_box);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, latency_adjustment);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, latency_scale);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, refresh_latency_adjustment);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, refresh_latency_scale);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, count_spin);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, send_button);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, results_stack);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, results_view);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, timeline);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, network_view);
  gtk_widget_class_bind_template_callback (widget_class, on_close_request);
  gtk_widget_class_bind_template_callback (widget_class, on_count_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_network_button_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_leaflet_visible_child_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_leaflet_folded_changed);
}

static void
tg_home_window_init (TgHomeWindow *self)
{
  g_autoptr(GtkListItemFactory) factory = NULL;
  g_autoptr(GtkSelectionModel) selection = NULL;

  self->cancellable = g_cancellable_new ();
  self->resource_text = g_strdup ("");
  self->results = g_list_store_new (TG_TYPE_RESULT_ITEM);

  gtk_widget_init_template (GTK_WIDGET (self));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (result_setup), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (result_bind), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (result_unbind), NULL);
  self->shown_results = gtk_slice_list_model_new (g_object_ref (G_LIST_MODEL (self->results)), 0, 0);
  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->shown_results))));
  gtk_list_view_set_factory (self->results_view, factory);
  gtk_list_view_set_model (self->results_view, selection);

  gtk_scale_set_format_value_func (self->latency_scale, format_latency, NULL, NULL);
  gtk_scale_set_format_value_func (self->refresh_latency_scale, format_latency, NULL, NULL);
  g_signal_connect_object (self->latency_adjustment, "value-changed",
                           G_CALLBACK (on_latency_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->refresh_latency_adjustment, "value-changed",
                           G_CALLBACK (on_latency_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->grace_switch, "notify::active",
                           G_CALLBACK (on_grace_toggled), self, G_CONNECT_SWAPPED);

  self->manager_signals = g_signal_group_new (TG_TYPE_TOKEN_MANAGER);
  g_signal_group_connect_swapped (self->manager_signals, "notify::state",
                                  G_CALLBACK (on_manager_state_changed), self);
}

/**
 * tg_home_window_new:
 * @application: the application
 * @session: (nullable): the signed-in session to show
 *
 * Returns: (transfer full): a new home window, fetching the protected
 *   resource already
 */
TgHomeWindow *
tg_home_window_new (TgApplication *application,
                    TgSession     *session)
{
  g_return_val_if_fail (application == NULL || TG_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (session == NULL || TG_IS_SESSION (session), NULL);

  return g_object_new (TG_TYPE_HOME_WINDOW,
                       "application", application,
                       "session", session,
                       NULL);
}

/**
 * tg_home_window_get_results:
 * @self: a #TgHomeWindow
 *
 * Returns: (transfer none): the result rows of the last burst, a #GListModel
 *   of #TgResultItem
 */
GListModel *
tg_home_window_get_results (TgHomeWindow *self)
{
  g_return_val_if_fail (TG_IS_HOME_WINDOW (self), NULL);

  return G_LIST_MODEL (self->results);
}

/**
 * tg_home_window_get_resource_text:
 * @self: a #TgHomeWindow
 *
 * Returns: (transfer none): what the window shows for the protected
 *   resource: "" while it loads, "Home page: …" once fetched, or why it
 *   could not be fetched
 */
const char *
tg_home_window_get_resource_text (TgHomeWindow *self)
{
  g_return_val_if_fail (TG_IS_HOME_WINDOW (self), NULL);

  return self->resource_text;
}

/**
 * tg_home_window_get_summary:
 * @self: a #TgHomeWindow
 *
 * Returns: (transfer none): the network view's one line about the last
 *   burst, e.g. "3 × 401 → 1 refresh → 3 retried, all OK"
 */
const char *
tg_home_window_get_summary (TgHomeWindow *self)
{
  g_return_val_if_fail (TG_IS_HOME_WINDOW (self), NULL);

  return tg_network_view_get_summary (self->network_view);
}

/**
 * tg_home_window_get_timeline:
 * @self: a #TgHomeWindow
 *
 * Returns: (transfer none): the #TgTimeline, for screenshots
 */
GtkWidget *
tg_home_window_get_timeline (TgHomeWindow *self)
{
  g_return_val_if_fail (TG_IS_HOME_WINDOW (self), NULL);

  return GTK_WIDGET (self->timeline);
}
