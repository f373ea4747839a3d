/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The home window's actions (GNOME Text Editor's editor-window-actions.c):
 * Send, Reload, Break Access Token, the demo server's controls, and Clear
 * Log, with their shortcuts. They are enabled only while the session is
 * signed in, and the demo controls only when the server has them.
 */
#define G_LOG_DOMAIN "tg-home-window"

#include "config.h"

#include <glib/gi18n.h>

#include "tg-home-window-private.h"

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
  _tg_home_window_fetch_resource (TG_HOME_WINDOW (widget));
}

static void
break_access_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  TgHomeWindow *self = TG_HOME_WINDOW (widget);

  if (!_tg_home_window_is_signed_in (self))
    return;

  /* The post's `localStorage.setItem("token", "sdf")`. */
  tg_token_manager_replace_access_token (tg_session_get_manager (self->session), "sdf");
  _tg_home_window_show_toast (self, _("Access token replaced with “sdf”: the next requests get 401"));
}

static void
clear_log_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  TgHomeWindow *self = TG_HOME_WINDOW (widget);

  /* The shortcut of the network view's own Clear button. */
  tg_network_view_clear_log (self->network_view);
}

/* ------------------------------------------------------------------------ */
/* The demo server's controls                                               */

/* One button of the demo server's: one request to it, then a toast. */
typedef struct {
  const char *action_name;
  void      (*start)  (TgDemoControls      *controls,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data);
  gboolean  (*finish) (TgDemoControls      *controls,
                       GAsyncResult        *result,
                       GError             **error);
  const char *done;    /* the toast when the server did it */
  const char *failed;  /* the toast when not: %s says why */
} DemoControl;

/* One answer: the next refresh — the one a burst after "Break Access Token"
 * starts — is done at the server and never heard of here. */
static void
arm_lost_answer_async (TgDemoControls      *controls,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  tg_demo_controls_arm_refresh_fault_async (controls, TG_DEMO_REFRESH_FAULT_LOST_ANSWER, 1,
                                            cancellable, callback, user_data);
}

static gboolean
arm_lost_answer_finish (TgDemoControls  *controls,
                        GAsyncResult    *result,
                        GError         **error)
{
  g_autoptr(JsonObject) settings = tg_demo_controls_arm_refresh_fault_finish (controls, result, error);

  return settings != NULL;
}

static const DemoControl demo_controls[] = {
  { "win.expire-on-server",
    tg_demo_controls_expire_access_tokens_async, tg_demo_controls_expire_access_tokens_finish,
    N_("The server now rejects every access token issued so far"),
    /* xgettext:c-format */
    N_("Could not expire the tokens: %s") },
  { "win.revoke-on-server",
    tg_demo_controls_revoke_sessions_async, tg_demo_controls_revoke_sessions_finish,
    N_("Session revoked on the server: the next refresh will be refused"),
    /* xgettext:c-format */
    N_("Could not revoke the session: %s") },
  { "win.lose-refresh-answer",
    arm_lost_answer_async, arm_lost_answer_finish,
    N_("The next refresh answer will be lost"),
    /* xgettext:c-format */
    N_("Could not arm the fault: %s") },
};

static void
on_demo_control_answered (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(TgHomeWindowOp) op = user_data;
  const DemoControl *control = op->data;
  g_autoptr(GError) error = NULL;
  g_autofree char *failed = NULL;
  TgHomeWindow *self;

  if (!control->finish (TG_DEMO_CONTROLS (source), result, &error))
    {
      /* The formats are the table's, each with one %s; they are marked
       * c-format for xgettext, so msgfmt checks their translations. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      failed = g_strdup_printf (_(control->failed), error->message);
#pragma GCC diagnostic pop
    }

  if ((self = _tg_home_window_op_get_window (op)) == NULL)
    return;

  /* Usable again, and a toast says how it went. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), control->action_name,
                                 _tg_home_window_is_signed_in (self));
  _tg_home_window_show_toast (self, failed != NULL ? failed : _(control->done));
}

static void
demo_control_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  TgHomeWindow *self = TG_HOME_WINDOW (widget);
  TgDemoControls *controls = _tg_home_window_get_demo_controls (self);

  if (controls == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (demo_controls); i++)
    {
      if (g_strcmp0 (demo_controls[i].action_name, action_name) != 0)
        continue;

      /* Disabled until the server answers: a second press would only say
       * the same. */
      gtk_widget_action_set_enabled (widget, action_name, FALSE);
      demo_controls[i].start (controls, self->cancellable, on_demo_control_answered,
                              _tg_home_window_op_new (self, &demo_controls[i]));
      return;
    }

  g_assert_not_reached ();
}

/* ------------------------------------------------------------------------ */

/**
 * _tg_home_window_actions_update:
 *
 * Enables what can work now: nothing once signed out (the application closes
 * the window then; until it does, nothing may start a request that can only
 * fail), the demo controls only with a server that has them.
 */
void
_tg_home_window_actions_update (TgHomeWindow *self)
{
  gboolean signed_in = _tg_home_window_is_signed_in (self);
  gboolean has_demo = _tg_home_window_get_demo_controls (self) != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.send", signed_in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.reload", signed_in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.break-access", signed_in);
  for (guint i = 0; i < G_N_ELEMENTS (demo_controls); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), demo_controls[i].action_name, signed_in && has_demo);
  gtk_widget_set_sensitive (GTK_WIDGET (self->latency_scale), signed_in && has_demo);
  gtk_widget_set_sensitive (GTK_WIDGET (self->refresh_latency_scale), signed_in && has_demo);
  gtk_widget_set_sensitive (self->grace_list, signed_in && has_demo);
  gtk_widget_set_sensitive (GTK_WIDGET (self->count_spin), signed_in);
}

void
_tg_home_window_class_actions_init (TgHomeWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "win.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "win.reload", NULL, reload_action);
  gtk_widget_class_install_action (widget_class, "win.break-access", NULL, break_access_action);
  for (guint i = 0; i < G_N_ELEMENTS (demo_controls); i++)
    gtk_widget_class_install_action (widget_class, demo_controls[i].action_name, NULL, demo_control_action);
  gtk_widget_class_install_action (widget_class, "win.clear-log", NULL, clear_log_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "win.send", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, "win.send", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "win.reload", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "win.reload", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "win.clear-log", NULL);
}
