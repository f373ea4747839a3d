/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgPreferencesWindow: the token manager's tuning, bound to GSettings. Every
 * session's manager is bound to the same keys, so a change here applies to
 * the next request without anything else to do.
 */
#define G_LOG_DOMAIN "tg-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "tg-accessible.h"
#include "tg-preferences-window.h"

struct _TgPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  AdwComboRow          *retry_policy_row;
  GtkSwitch            *proactive_switch;
  GtkAdjustment        *skew_adjustment;
  GtkAdjustment        *timeout_adjustment;
};

G_DEFINE_FINAL_TYPE (TgPreferencesWindow, tg_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The combo row's positions follow the enum's values: 0 all, 1 canary. */
static const char *retry_policies[] = { "all", "canary" };

static gboolean
retry_policy_to_position (GValue   *value,
                          GVariant *variant,
                          gpointer  user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (retry_policies); i++)
    {
      if (g_str_equal (nick, retry_policies[i]))
        {
          g_value_set_uint (value, i);
          return TRUE;
        }
    }
  return FALSE;
}

static GVariant *
position_to_retry_policy (const GValue       *value,
                          const GVariantType *expected_type,
                          gpointer            user_data)
{
  guint position = g_value_get_uint (value);

  if (position >= G_N_ELEMENTS (retry_policies))
    return NULL;
  return g_variant_new_string (retry_policies[position]);
}

static void
tg_preferences_window_class_init (TgPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/tokengate/Tokengate/tg-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TgPreferencesWindow, retry_policy_row);
  gtk_widget_class_bind_template_child (widget_class, TgPreferencesWindow, proactive_switch);
  gtk_widget_class_bind_template_child (widget_class, TgPreferencesWindow, skew_adjustment);
  gtk_widget_class_bind_template_child (widget_class, TgPreferencesWindow, timeout_adjustment);
}

static void
tg_preferences_window_init (TgPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* Named in the template; its row (activatable-widget) labels it by its
   * title as well, and GTK 4.8 would say both. */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (self->proactive_switch), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  /* libadwaita 1.2's combo row leaves the list of its popover unnamed. */
  tg_accessible_name_descendant (GTK_WIDGET (self->retry_policy_row), GTK_TYPE_LIST_VIEW, _("Retry policies"));
}

/**
 * tg_preferences_window_new:
 * @parent: (nullable): the window it belongs to
 * @settings: the application's settings
 *
 * Returns: (transfer none): a new preferences window, owned by GTK once
 *   presented
 */
TgPreferencesWindow *
tg_preferences_window_new (GtkWindow *parent,
                           GSettings *settings)
{
  TgPreferencesWindow *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (TG_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);

  /* Bound both ways, and undone when the widgets go. */
  g_settings_bind_with_mapping (settings, "retry-policy", self->retry_policy_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, retry_policy_to_position,
                                position_to_retry_policy, NULL, NULL);
  g_settings_bind (settings, "proactive-refresh", self->proactive_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "expiry-skew", self->skew_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "request-timeout", self->timeout_adjustment, "value", G_SETTINGS_BIND_DEFAULT);

  return self;
}
