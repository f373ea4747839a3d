/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the token manager holds right now: the access token (shortened — the
 * whole value never reaches a widget, so it can be neither read off a
 * screenshot nor picked up by a screen reader), its generation, a live
 * countdown to its expiry and whether the one refresh is in flight.
 */
#define G_LOG_DOMAIN "tg-token-panel"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "tg-token-panel.h"

struct _TgTokenPanel
{
  GtkWidget       parent_instance;

  TgTokenManager *manager;         /* owned, nullable */
  GSignalGroup   *manager_signals; /* owned */
  guint           tick_id;         /* the 1 s countdown, only while mapped */

  /* template children */
  GtkLabel       *token_label;
  GtkLabel       *generation_label;
  GtkLabel       *expiry_label;
  GtkLabel       *state_label;
  GtkSpinner     *state_spinner;
};

G_DEFINE_FINAL_TYPE (TgTokenPanel, tg_token_panel, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MANAGER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Shows enough of a token to tell two apart and to see that the demo's "sdf"
 * went in, never enough to use it: at most the first 8 and last 4 characters
 * of a real one. A value as short as SHORT_TOKEN_CHARS is no secret worth
 * hiding — a bearer token that short could be guessed — and the demo's
 * broken token is one: it is shown whole, so that the panel reads "sdf". */
#define SHORT_TOKEN_CHARS 8

static char *
shorten_token (const char *token)
{
  gsize len = strlen (token);
  gsize head = MIN (8, len / 3);
  gsize tail = len >= 24 ? 4 : 0;

  if (len <= SHORT_TOKEN_CHARS)
    return g_strdup (token);

  return g_strdup_printf ("%.*s…%s", (int) head, token, token + len - tail);
}

static void
update_token (TgTokenPanel *self)
{
  g_autofree char *token = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *tooltip = NULL;

  if (self->manager != NULL)
    token = tg_token_manager_dup_access_token (self->manager);

  if (token == NULL || *token == '\0')
    {
      gtk_label_set_text (self->token_label, _("None"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->token_label), NULL);
      return;
    }

  shown = shorten_token (token);
  tooltip = g_strdup_printf (ngettext ("%u character", "%u characters", (gulong) strlen (token)),
                             (guint) strlen (token));
  explicit_bzero (token, strlen (token));

  gtk_label_set_text (self->token_label, shown);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->token_label), tooltip);
}

static void
update_generation (TgTokenPanel *self)
{
  g_autofree char *text = NULL;

  if (self->manager == NULL || tg_token_manager_get_state (self->manager) == TG_TOKEN_STATE_SIGNED_OUT)
    {
      gtk_label_set_text (self->generation_label, "—");
      return;
    }

  text = g_strdup_printf ("%u", tg_token_manager_get_generation (self->manager));
  gtk_label_set_text (self->generation_label, text);
}

static char *
format_duration (gint64 seconds)
{
  if (seconds >= 3600)
    /* Translators: hours and minutes, e.g. "1 h 05 min" */
    return g_strdup_printf (_("%u h %02u min"),
                            (guint) (seconds / 3600), (guint) (seconds % 3600 / 60));
  if (seconds >= 60)
    /* Translators: minutes and seconds, e.g. "4 min 07 s" */
    return g_strdup_printf (_("%u min %02u s"),
                            (guint) (seconds / 60), (guint) (seconds % 60));
  /* Translators: seconds, e.g. "42 s" */
  return g_strdup_printf (_("%u s"), (guint) seconds);
}

static void
update_expiry (TgTokenPanel *self)
{
  g_autofree char *duration = NULL;
  g_autofree char *text = NULL;
  gint64 expires_at = 0;
  gint64 remaining;

  if (self->manager != NULL)
    expires_at = tg_token_manager_get_expires_at (self->manager);

  if (self->manager == NULL || tg_token_manager_get_state (self->manager) == TG_TOKEN_STATE_SIGNED_OUT)
    {
      gtk_label_set_text (self->expiry_label, "—");
      return;
    }

  if (expires_at == 0)
    {
      gtk_label_set_text (self->expiry_label, _("Unknown"));
      return;
    }

  /* Rounded up, so that "in 0 s" is never shown for a token that still
   * works for a fraction of a second. */
  remaining = expires_at - g_get_real_time ();
  if (remaining > 0)
    {
      duration = format_duration ((remaining + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
      /* Translators: the access token expires in this long, e.g. "in 4 min 07 s" */
      text = g_strdup_printf (_("in %s"), duration);
      gtk_widget_remove_css_class (GTK_WIDGET (self->expiry_label), "warning");
    }
  else
    {
      duration = format_duration (-remaining / G_USEC_PER_SEC);
      /* Translators: the access token expired this long ago, e.g. "42 s ago" */
      text = g_strdup_printf (_("expired %s ago"), duration);
      gtk_widget_add_css_class (GTK_WIDGET (self->expiry_label), "warning");
    }

  gtk_label_set_text (self->expiry_label, text);
}

static void
update_state (TgTokenPanel *self)
{
  TgTokenState state = TG_TOKEN_STATE_SIGNED_OUT;
  g_autofree char *text = NULL;
  guint refreshes = 0;

  if (self->manager != NULL)
    {
      state = tg_token_manager_get_state (self->manager);
      g_object_get (self->manager, "refreshes-started", &refreshes, NULL);
    }

  switch (state)
    {
    case TG_TOKEN_STATE_REFRESHING:
      /* Translators: the token refresh is under way; requests wait for it */
      text = g_strdup (_("In flight, requests wait"));
      break;
    case TG_TOKEN_STATE_VALID:
      /* The count is the demo's point: one refresh however many requests. */
      if (refreshes == 0)
        /* Translators: no token refresh is under way, and none happened yet */
        text = g_strdup (_("Idle"));
      else
        /* Translators: no token refresh is under way; %u refreshes happened
         * in this session, e.g. "Idle, 1 so far" */
        text = g_strdup_printf (ngettext ("Idle, %u so far", "Idle, %u so far", refreshes), refreshes);
      break;
    case TG_TOKEN_STATE_SIGNED_OUT:
    default:
      text = g_strdup (_("Signed out"));
      break;
    }

  gtk_widget_set_visible (GTK_WIDGET (self->state_spinner), state == TG_TOKEN_STATE_REFRESHING);
  gtk_spinner_set_spinning (self->state_spinner, state == TG_TOKEN_STATE_REFRESHING);
  if (state == TG_TOKEN_STATE_REFRESHING)
    gtk_widget_add_css_class (GTK_WIDGET (self->state_label), "accent");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), "accent");

  gtk_label_set_text (self->state_label, text);
}

static void
update_all (TgTokenPanel *self)
{
  update_token (self);
  update_generation (self);
  update_expiry (self);
  update_state (self);
}

static void
on_state_changed (TgTokenPanel *self)
{
  /* Signing out or a finished refresh changes more than the state; read
   * everything again rather than rely on each path emitting tokens-changed. */
  update_all (self);
}

static gboolean
on_tick (gpointer user_data)
{
  TgTokenPanel *self = user_data;

  update_expiry (self);
  return G_SOURCE_CONTINUE;
}

static void
tg_token_panel_map (GtkWidget *widget)
{
  TgTokenPanel *self = TG_TOKEN_PANEL (widget);

  GTK_WIDGET_CLASS (tg_token_panel_parent_class)->map (widget);

  /* The countdown only needs to move while someone can see it. */
  update_expiry (self);
  if (self->tick_id == 0)
    {
      self->tick_id = g_timeout_add_full (G_PRIORITY_LOW, 1000, on_tick, self, NULL);
      g_source_set_name_by_id (self->tick_id, "[tokengate] token countdown");
    }
}

static void
tg_token_panel_unmap (GtkWidget *widget)
{
  TgTokenPanel *self = TG_TOKEN_PANEL (widget);

  g_clear_handle_id (&self->tick_id, g_source_remove);

  GTK_WIDGET_CLASS (tg_token_panel_parent_class)->unmap (widget);
}

static void
tg_token_panel_dispose (GObject *object)
{
  TgTokenPanel *self = TG_TOKEN_PANEL (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->manager_signals != NULL)
    g_signal_group_set_target (self->manager_signals, NULL);
  g_clear_object (&self->manager_signals);
  g_clear_object (&self->manager);

  gtk_widget_dispose_template (GTK_WIDGET (self), TG_TYPE_TOKEN_PANEL);
  /* The template's root box is our child: ours to unparent. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));
       child != NULL;
       child = gtk_widget_get_first_child (GTK_WIDGET (self)))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (tg_token_panel_parent_class)->dispose (object);
}

static void
tg_token_panel_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TgTokenPanel *self = TG_TOKEN_PANEL (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      g_value_set_object (value, self->manager);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_token_panel_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  TgTokenPanel *self = TG_TOKEN_PANEL (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      tg_token_panel_set_manager (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_token_panel_class_init (TgTokenPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tg_token_panel_dispose;
  object_class->get_property = tg_token_panel_get_property;
  object_class->set_property = tg_token_panel_set_property;

  widget_class->map = tg_token_panel_map;
  widget_class->unmap = tg_token_panel_unmap;

  /**
   * TgTokenPanel:manager:
   *
   * The token manager shown, or %NULL.
   */
  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL, TG_TYPE_TOKEN_MANAGER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/tokengate/Tokengate/tg-token-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, TgTokenPanel, token_label);
  gtk_widget_class_bind_template_child (widget_class, TgTokenPanel, generation_label);
  gtk_widget_class_bind_template_child (widget_class, TgTokenPanel, expiry_label);
  gtk_widget_class_bind_template_child (widget_class, TgTokenPanel, state_label);
  gtk_widget_class_bind_template_child (widget_class, TgTokenPanel, state_spinner);

  gtk_widget_class_set_css_name (widget_class, "tokenpanel");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
tg_token_panel_init (TgTokenPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->manager_signals = g_signal_group_new (TG_TYPE_TOKEN_MANAGER);
  g_signal_group_connect_swapped (self->manager_signals, "tokens-changed",
                                  G_CALLBACK (update_token), self);
  g_signal_group_connect_swapped (self->manager_signals, "notify::generation",
                                  G_CALLBACK (update_generation), self);
  g_signal_group_connect_swapped (self->manager_signals, "notify::expires-at",
                                  G_CALLBACK (update_expiry), self);
  g_signal_group_connect_swapped (self->manager_signals, "notify::state",
                                  G_CALLBACK (on_state_changed), self);
  g_signal_group_connect_swapped (self->manager_signals, "notify::refreshes-started",
                                  G_CALLBACK (update_state), self);

  update_all (self);
}

/**
 * tg_token_panel_new:
 *
 * Returns: (transfer floating): a panel showing no manager yet
 */
GtkWidget *
tg_token_panel_new (void)
{
  return g_object_new (TG_TYPE_TOKEN_PANEL, NULL);
}

/**
 * tg_token_panel_set_manager:
 * @self: a #TgTokenPanel
 * @manager: (nullable): the token manager to show
 *
 * Shows @manager's token and follows its changes.
 */
void
tg_token_panel_set_manager (TgTokenPanel   *self,
                            TgTokenManager *manager)
{
  g_return_if_fail (TG_IS_TOKEN_PANEL (self));
  g_return_if_fail (manager == NULL || TG_IS_TOKEN_MANAGER (manager));

  if (!g_set_object (&self->manager, manager))
    return;

  g_signal_group_set_target (self->manager_signals, manager);
  update_all (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MANAGER]);
}
