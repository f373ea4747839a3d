/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window of the demo, the post's home page grown up: the protected
 * resource fetched on open, "Send N requests" with one result row each, the
 * token as the manager holds it, the demo server's controls, and the network
 * log drawn as a table and as a waterfall. Its actions are in
 * tg-home-window-actions.c, the struct in tg-home-window-private.h.
 *
 * Everything it starts runs on one GCancellable that is cancelled when the
 * window closes; the session (and its token manager) outlives the window, so
 * callbacks never assume the window is still there unless the cancellable
 * says so.
 */
#define G_LOG_DOMAIN "tg-home-window"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "tg-accessible.h"
#include "tg-home-window-private.h"
#include "tg-result-item.h"
#include "tg-result-row.h"

/* The demo server's latency is applied after the slider rests this long: one
 * PUT per gesture instead of one per pixel dragged. */
#define LATENCY_DEBOUNCE_MS 300

/* The demo server's reuse-grace window while the switch is on: long enough
 * for a person to see the retry of a lost refresh answer recover, short as
 * RFC 9700 §4.14.2 would have a real one. */
#define REUSE_GRACE_SECONDS 10

/* How much of an answer a result row shows. */
#define MAX_BODY_CHARS 200

/* Result rows handed to the list view at a time (TgPacedListModel), as many
 * times per frame as its time budget allows: the list view builds a row for
 * the first 200 or so, which costs, and none for the rest, which is free. */
#define RESULT_ROWS_BATCH 8

G_DEFINE_FINAL_TYPE (TgHomeWindow, tg_home_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SESSION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/**
 * _tg_home_window_op_new:
 * @data: (nullable): static data the callback needs, e.g. which control
 *
 * Returns: (transfer full): what an operation the window starts takes along
 */
TgHomeWindowOp *
_tg_home_window_op_new (TgHomeWindow  *self,
                        gconstpointer  data)
{
  TgHomeWindowOp *op = g_new0 (TgHomeWindowOp, 1);

  op->self = self;
  op->cancellable = g_object_ref (self->cancellable);
  op->data = data;
  return op;
}

/**
 * _tg_home_window_op_get_window:
 *
 * Returns: (transfer none) (nullable): the window, or %NULL when it has gone
 */
TgHomeWindow *
_tg_home_window_op_get_window (TgHomeWindowOp *op)
{
  return g_cancellable_is_cancelled (op->cancellable) ? NULL : op->self;
}

void
_tg_home_window_op_free (TgHomeWindowOp *op)
{
  g_clear_object (&op->cancellable);
  g_free (op);
}

static void
on_toast_dismissed (TgHomeWindow *self)
{
  g_assert (self->n_toasts > 0);
  /* Toasts are dismissed too when the window goes, its list first. */
  if (--self->n_toasts == 0 && self->results_view != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (self->results_view), "tg-under-toast");
}

void
_tg_home_window_show_toast (TgHomeWindow *self,
                            const char   *text)
{
  AdwToast *toast = adw_toast_new ("");
  GtkWidget *title = gtk_label_new (text);

  /* Wrapped, not cut: a plain toast title is one ellipsized line, and in a
   * phone-sized window "Access token replaced with “sdf”: the next requests
   * get 401" lost everything after “s. */
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (title), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (title), 0.0f);
  adw_toast_set_custom_title (toast, title);
  /* Room for it under the last response (style.css) until it goes. */
  self->n_toasts++;
  gtk_widget_add_css_class (GTK_WIDGET (self->results_view), "tg-under-toast");
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (on_toast_dismissed), self, G_CONNECT_SWAPPED);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  tg_accessible_announce (self->announcer, self->announcer_label, text);
}

gboolean
_tg_home_window_is_signed_in (TgHomeWindow *self)
{
  return self->session != NULL &&
         tg_token_manager_get_state (tg_session_get_manager (self->session)) != TG_TOKEN_STATE_SIGNED_OUT;
}

/**
 * _tg_home_window_get_demo_controls:
 *
 * Returns: (transfer none) (nullable): the demo server's controls, when the
 *   server has them
 */
TgDemoControls *
_tg_home_window_get_demo_controls (TgHomeWindow *self)
{
  return self->session != NULL ? tg_session_get_demo_controls (self->session) : NULL;
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
  g_autoptr(TgHomeWindowOp) op = user_data;
  g_autoptr(TgApiResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  g_autofree char *text = NULL;
  TgHomeWindow *self;

  response = tg_api_client_get_finish (TG_API_CLIENT (source), result, &error);

  if ((self = _tg_home_window_op_get_window (op)) == NULL)
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

void
_tg_home_window_fetch_resource (TgHomeWindow *self)
{
  if (!_tg_home_window_is_signed_in (self))
    return;

  set_resource_text (self, "");
  gtk_stack_set_visible_child_name (self->resource_stack, "loading");
  gtk_spinner_start (self->resource_spinner);

  tg_api_client_get_async (tg_session_get_client (self->session), "/api/resources",
                           self->cancellable, on_resource_ready, _tg_home_window_op_new (self, NULL));
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
  tg_accessible_name_buttons_by_label (GTK_WIDGET (self->send_button));
}

static void set_count_note (TgHomeWindow *self,
                            const char   *note,
                            double        count);

static void
on_count_changed (TgHomeWindow *self)
{
  update_send_label (self);

  /* Changed since the note was written (the arrows, the settings): it would
   * speak of another count. */
  if (gtk_spin_button_get_value (self->count_spin) != self->count_note_value)
    set_count_note (self, NULL, 0);
}

static void
set_count_note (TgHomeWindow *self,
                const char   *note,
                double        count)
{
  self->count_note_value = count;
  gtk_label_set_text (self->count_note, note != NULL ? note : "");
  gtk_widget_set_visible (GTK_WIDGET (self->count_note), note != NULL);
  /* Read with the field, where the person typing is. */
  tg_accessible_describe (GTK_WIDGET (self->count_spin), note);
}

/* The count as typed: a whole number in the adjustment's range is taken as
 * it is; anything else becomes the nearest count that is, and the note
 * under the field says so instead of the field changing silently. */
static int
on_count_input (GtkSpinButton *spin,
                double        *new_value,
                TgHomeWindow  *self)
{
  GtkAdjustment *adjustment = gtk_spin_button_get_adjustment (spin);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (spin));
  guint lower = (guint) gtk_adjustment_get_lower (adjustment);
  guint upper = (guint) gtk_adjustment_get_upper (adjustment);
  g_autofree char *note = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  char *end = NULL;
  double typed = g_strtod (stripped, &end);
  double count;

  if (*stripped == '\0')
    {
      /* Emptied: the count stays, as the field shows again. */
      count = gtk_adjustment_get_value (adjustment);
    }
  else if (end == stripped || *end != '\0' || !isfinite (typed))
    {
      count = gtk_adjustment_get_value (adjustment);
      /* Translators: the request count field held something else than a number */
      note = g_strdup_printf (_("“%s” is not a number: the count stays %u"), stripped, (guint) count);
    }
  else if (typed < lower)
    {
      count = lower;
      /* Translators: the request count was below the least one */
      note = g_strdup_printf (_("At least %u request is sent: the count is %u"), lower, lower);
    }
  else if (typed > upper)
    {
      count = upper;
      /* Translators: the request count was above the most */
      note = g_strdup_printf (_("At most %u requests are sent at once: the count is %u"), upper, upper);
    }
  else
    {
      /* In range, so positive: adding a half and truncating rounds it. */
      count = (double) (guint) (typed + 0.5);
      if (count != typed)
        /* Translators: a count with a fraction, e.g. "2.5 rounded to 3 requests" */
        note = g_strdup_printf (ngettext ("%s rounded to %u request", "%s rounded to %u requests", (guint) count),
                                stripped, (guint) count);
    }

  set_count_note (self, note, count);
  *new_value = count;
  return TRUE;
}

static void
on_request_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  /* Only the item: the window may be gone. The item is not reused for a
   * newer burst before this has run: a burst waits for the last one. */
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

static void send_burst (TgHomeWindow *self,
                        guint         count);

/* A request of the shown burst was answered (or failed); when it was the
 * last, a burst asked for meanwhile goes out. */
static void
on_result_finished (TgHomeWindow *self,
                    GParamSpec   *pspec,
                    TgResultItem *item)
{
  guint queued = self->queued_count;

  if (!tg_result_item_get_finished (item))
    return;

  g_assert (self->burst_unfinished > 0);
  if (--self->burst_unfinished > 0 || queued == 0)
    return;

  self->queued_count = 0;
  if (_tg_home_window_is_signed_in (self))
    send_burst (self, queued);
}

/* The items tell the window when they finish through plain handlers, which
 * the window takes off the items it lets go of (here, and in dispose) so
 * that a request answered after the window is gone finds none.
 * g_signal_connect_object() would do that by itself, but with a weak
 * reference on the window per item, and the window's weak references are
 * an array made anew for each one: 4.7M instructions for the first burst's
 * 968 new items in the frame after Send, against 2.8M connected plainly
 * (ui-stall --callgrind-send). */
static void
forget_results (TgHomeWindow *self,
                guint         from,
                guint         to)
{
  for (guint i = from; i < to; i++)
    {
      g_autoptr(TgResultItem) item = g_list_model_get_item (G_LIST_MODEL (self->results), i);

      g_signal_handlers_disconnect_by_func (item, on_result_finished, self);
    }
}

static void
send_burst (TgHomeWindow *self,
            guint         count)
{
  TgApiClient *client = tg_session_get_client (self->session);
  GListModel *results = G_LIST_MODEL (self->results);
  guint n_kept = MIN (g_list_model_get_n_items (results), count);

  tg_network_view_mark_burst (self->network_view);
  tg_timeline_mark_burst (self->timeline);

  /* The last burst's results are reused, request i for request i: its
   * requests have all ended (a burst waits for them), and the list view then
   * rebinds the rows it has rather than destroying them all and building
   * them again, which stalled the window for tens of milliseconds. */
  for (guint i = 0; i < n_kept; i++)
    {
      g_autoptr(TgResultItem) item = g_list_model_get_item (results, i);

      tg_result_item_restart (item);
    }

  if (count > n_kept)
    {
      /* One items-changed for the new rows, not one per row; the view is
       * then handed them a batch per frame (shown_results). */
      g_autoptr(GPtrArray) items = g_ptr_array_new_full (count - n_kept, g_object_unref);

      for (guint i = n_kept + 1; i <= count; i++)
        {
          TgResultItem *item = tg_result_item_new (i);

          g_signal_connect_swapped (item, "notify::finished", G_CALLBACK (on_result_finished), self);
          g_ptr_array_add (items, item);
        }
      g_list_store_splice (self->results, n_kept, 0, items->pdata, items->len);
    }
  else
    {
      forget_results (self, count, g_list_model_get_n_items (results));
      g_list_store_splice (self->results, count, g_list_model_get_n_items (results) - count, NULL, 0);
    }

  self->burst_unfinished = count;
  gtk_stack_set_visible_child_name (self->results_stack, "results");

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *path = tg_session_format_request_path (self->session, i + 1);
      g_autoptr(TgResultItem) item = g_list_model_get_item (results, i);

      tg_api_client_get_async (client, path, self->cancellable, on_request_done,
                               g_steal_pointer (&item));
    }
}

/**
 * tg_home_window_send_requests:
 * @self: a #TgHomeWindow
 * @count: how many requests to fire at once, at least 1
 *
 * What Send does: marks a new burst in the network view and the timeline,
 * makes the result rows those of @count new requests, and sends
 * `GET /api/resources/1` … `/api/resources/@count` all at once.
 *
 * While the requests of the last burst are still unanswered, the new burst
 * waits for them (a toast says so), and a later Send replaces a waiting
 * one. Its requests would otherwise mix on the wire with the retries and
 * the refresh of the first, and the summary, the result rows and the
 * timeline of "the last burst" could not all tell the truth about them.
 */
void
tg_home_window_send_requests (TgHomeWindow *self,
                              guint         count)
{
  g_autofree char *text = NULL;

  g_return_if_fail (TG_IS_HOME_WINDOW (self));
  g_return_if_fail (count >= 1);

  if (!_tg_home_window_is_signed_in (self))
    return;

  if (self->burst_unfinished == 0)
    {
      send_burst (self, count);
      return;
    }

  self->queued_count = count;
  text = g_strdup_printf (ngettext ("%u request will be sent when the last burst has been answered",
                                    "%u requests will be sent when the last burst has been answered",
                                    count),
                          count);
  _tg_home_window_show_toast (self, text);
}

/* ------------------------------------------------------------------------ */
/* ------------------------------------------------------------------------ */
/* Result rows                                                              */

static void
result_setup (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  gtk_list_item_set_child (list_item, tg_result_row_new ());
}

static void
result_bind (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             gpointer                  user_data)
{
  tg_result_row_set_item (TG_RESULT_ROW (gtk_list_item_get_child (list_item)),
                          gtk_list_item_get_item (list_item));
}

static void
result_unbind (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  tg_result_row_set_item (TG_RESULT_ROW (gtk_list_item_get_child (list_item)), NULL);
}

/* ------------------------------------------------------------------------ */
/* The demo server's settings                                               */

static void
on_latency_read (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TgHomeWindowOp) op = user_data;
  g_autoptr(JsonObject) settings = NULL;
  g_autoptr(GError) error = NULL;
  TgHomeWindow *self;

  settings = tg_demo_controls_set_settings_finish (TG_DEMO_CONTROLS (source), result, &error);

  if ((self = _tg_home_window_op_get_window (op)) == NULL)
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

/* Which of the demo server's settings a change was about. */
typedef enum {
  SETTING_LATENCY = 1,
  SETTING_GRACE,
} Setting;

/* The controls say what was asked already, so only a failure is news. */
static void
on_settings_written (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(TgHomeWindowOp) op = user_data;
  g_autoptr(JsonObject) settings = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  TgHomeWindow *self;

  settings = tg_demo_controls_set_settings_finish (TG_DEMO_CONTROLS (source), result, &error);
  if ((self = _tg_home_window_op_get_window (op)) == NULL || settings != NULL)
    return;

  if (GPOINTER_TO_INT (op->data) == SETTING_GRACE)
    {
      /* The switch shows what the server does: put it back, quietly. */
      self->settings_known = FALSE;
      gtk_switch_set_active (self->grace_switch, !gtk_switch_get_active (self->grace_switch));
      self->settings_known = TRUE;
      text = g_strdup_printf (_("Could not change the server’s reuse grace window: %s"), error->message);
    }
  else
    {
      text = g_strdup_printf (_("Could not change the server’s latency: %s"), error->message);
    }
  _tg_home_window_show_toast (self, text);
}

static gboolean
apply_latency (gpointer user_data)
{
  TgHomeWindow *self = user_data;
  TgDemoControls *controls = _tg_home_window_get_demo_controls (self);
  TgDemoSettings settings = TG_DEMO_SETTINGS_INIT;

  self->latency_timeout_id = 0;

  if (controls == NULL)
    return G_SOURCE_REMOVE;

  settings.latency_ms = (gint64) gtk_adjustment_get_value (self->latency_adjustment);
  settings.refresh_latency_ms = (gint64) gtk_adjustment_get_value (self->refresh_latency_adjustment);
  tg_demo_controls_set_settings_async (controls, &settings, self->cancellable,
                                       on_settings_written,
                                       _tg_home_window_op_new (self, GINT_TO_POINTER (SETTING_LATENCY)));
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
on_grace_toggled (TgHomeWindow *self)
{
  TgDemoControls *controls = _tg_home_window_get_demo_controls (self);
  TgDemoSettings settings = TG_DEMO_SETTINGS_INIT;

  if (!self->settings_known || controls == NULL)
    return;

  settings.reuse_grace = gtk_switch_get_active (self->grace_switch) ? REUSE_GRACE_SECONDS : 0;
  tg_demo_controls_set_settings_async (controls, &settings, self->cancellable,
                                       on_settings_written,
                                       _tg_home_window_op_new (self, GINT_TO_POINTER (SETTING_GRACE)));
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
  /* The name says what pressing it does now, as the tooltip. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->network_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  network ? _("Show the controls") : _("Show the network log"), -1);
}

static gboolean
update_network_button (gpointer user_data)
{
  TgHomeWindow *self = user_data;

  self->fold_idle_id = 0;
  gtk_widget_set_visible (GTK_WIDGET (self->network_button), adw_leaflet_get_folded (self->leaflet));
  tg_network_view_set_summary_wraps (self->network_view, adw_leaflet_get_folded (self->leaflet));
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
  _tg_home_window_actions_update (self);

  if (!_tg_home_window_is_signed_in (self))
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
user_name_found (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TgHomeWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = tg_user_info_fetch_name_finish (result, &error);
  g_autofree char *subtitle = NULL;

  if (name == NULL)
    {
      /* The subtitle stays without a name: not worth an alert. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No user name: %s", error->message);
      return;
    }
  subtitle = tg_session_describe (self->session, name);
  adw_window_title_set_subtitle (self->window_title, subtitle);
}

/* Who is signed in, when the provider says (its userinfo endpoint). */
static void
show_user_name (TgHomeWindow *self)
{
  TgProvider *provider = tg_session_get_provider (self->session);
  const char *endpoint = provider != NULL ? tg_provider_get_userinfo_endpoint (provider) : NULL;

  if (endpoint != NULL)
    tg_user_info_fetch_name_async (tg_session_get_manager (self->session), endpoint,
                                   self->cancellable, user_name_found, g_object_ref (self));
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
      tg_token_panel_set_manager (self->token_panel, tg_session_get_manager (self->session));
      g_signal_group_set_target (self->manager_signals, tg_session_get_manager (self->session));

      subtitle = tg_session_describe (self->session, NULL);
      adw_window_title_set_subtitle (self->window_title, subtitle);
      show_user_name (self);
    }

  /* Only a server with demo controls can expire, revoke or lose an answer on
   * request, and only it has a latency and a grace window to set. */
  gtk_widget_set_visible (self->expire_button, controls != NULL);
  gtk_widget_set_visible (self->revoke_button, controls != NULL);
  gtk_widget_set_visible (self->latency_box, controls != NULL);
  gtk_widget_set_visible (self->lose_answer_button, controls != NULL);
  gtk_widget_set_visible (self->grace_list, controls != NULL);

  _tg_home_window_actions_update (self);
  _tg_home_window_fetch_resource (self);

  if (controls != NULL)
    {
      /* An empty change answers with the server's current settings. */
      TgDemoSettings unchanged = TG_DEMO_SETTINGS_INIT;

      tg_demo_controls_set_settings_async (controls, &unchanged, self->cancellable,
                                           on_latency_read, _tg_home_window_op_new (self, NULL));
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

  if (self->results_view != NULL)
    gtk_list_view_set_model (self->results_view, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), TG_TYPE_HOME_WINDOW);

  if (self->results != NULL)
    forget_results (self, 0, g_list_model_get_n_items (G_LIST_MODEL (self->results)));
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

  _tg_home_window_class_actions_init (klass);

  g_type_ensure (TG_TYPE_NETWORK_VIEW);
  g_type_ensure (TG_TYPE_TIMELINE);
  g_type_ensure (TG_TYPE_TOKEN_PANEL);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/tokengate/Tokengate/tg-home-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, announcer);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, announcer_label);
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
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, count_note);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, results_stack);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, results_view);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, timeline);
  gtk_widget_class_bind_template_child (widget_class, TgHomeWindow, network_view);
  gtk_widget_class_bind_template_callback (widget_class, on_close_request);
  gtk_widget_class_bind_template_callback (widget_class, on_count_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_count_input);
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
  /* Paced by the frames of the list itself: a burst of 1,000 would otherwise
   * make it build its 200 or so rows in one frame. */
  self->shown_results = tg_paced_list_model_new (GTK_WIDGET (self->results_view), RESULT_ROWS_BATCH, G_MAXUINT);
  tg_paced_list_model_set_model (self->shown_results, G_LIST_MODEL (self->results));
  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->shown_results))));
  tg_accessible_name_buttons_by_label (GTK_WIDGET (self));
  /* Named in the template; the row (activatable-widget) labels it by its
   * title as well, and GTK 4.8 would say both. */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (self->grace_switch), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  /* The row's subtitle (same message, one translation), said by a screen
   * reader with the switch. Set here, not in the template, so that an
   * announcement can give it back (tg_accessible_announce()). */
  tg_accessible_describe (GTK_WIDGET (self->grace_switch),
                          _("With a grace window the server answers the retried refresh with the same new tokens; without one, the used-up refresh token ends the session."));

  gtk_list_view_set_factory (self->results_view, factory);
  gtk_list_view_set_model (self->results_view, selection);
  tg_accessible_one_tab_stop (GTK_WIDGET (self->results_view));

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
