/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgResultRow: one request of a burst, as the post shows its "First resp":
 * which one it was, its status (coloured: 2xx success, 401 warning, anything
 * else error), a "retried" badge when it took a second attempt after the
 * refresh, and the start of the body. The results list recycles rows, so a
 * row is given one item after another and follows only the one it shows.
 *
 * The status's colour class is set only while the row is mapped. GTK 4.8's
 * list view keeps about 200 rows bound around the visible ones, unmapped,
 * and a new burst takes every one of them from its last answer's colour to
 * waiting: restyling them was 16 % of the instructions of Send and the frame
 * after it (callgrind), for rows nobody sees. A row that comes into view
 * takes its class as it is mapped, before it is drawn. Its text, badge and
 * accessible name are always kept: a screen reader reads unmapped rows too.
 */
#define G_LOG_DOMAIN "tg-result-row"

#include "config.h"

#include <glib/gi18n.h>

#include "tg-result-row.h"

struct _TgResultRow
{
  GtkWidget       parent_instance;

  TgResultItem   *item;          /* owned, nullable */
  const char     *status_class;  /* static: the status's colour class set */
  const char     *wanted_class;  /* static: the one the item's status calls for */

  /* template children */
  GtkInscription *title_label;
  GtkLabel       *retried_label;
  GtkInscription *status_label;
  GtkInscription *text_label;
};

G_DEFINE_FINAL_TYPE (TgResultRow, tg_result_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The row read as one sentence, on the row and on the list's row around it
 * (which is what takes the focus): "Response 2, 200 after a retry,
 * protected resources, …". */
static void
update_accessible_label (TgResultRow *self,
                         const char  *title,
                         const char  *status)
{
  TgResultItem *item = self->item;
  const char *text = tg_result_item_get_text (item);
  GtkWidget *list_row = gtk_widget_get_parent (GTK_WIDGET (self));
  g_autofree char *sentence = NULL;

  if (!tg_result_item_get_finished (item))
    /* Translators: a result row read by a screen reader, e.g. "Response 2, waiting for the answer" */
    sentence = g_strdup_printf (_("%s, waiting for the answer"), title);
  else if (tg_result_item_get_attempts (item) >= 2)
    /* Translators: a result row read by a screen reader: "Response 2, 200 after a retry, <body>" */
    sentence = g_strdup_printf (_("%s, %s after a retry, %s"), title,
                                status != NULL ? status : C_("status", "error"), text != NULL ? text : "");
  else
    /* Translators: a result row read by a screen reader: "Response 2, 200, <body>" */
    sentence = g_strdup_printf (_("%s, %s, %s"), title,
                                status != NULL ? status : C_("status", "error"), text != NULL ? text : "");

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, sentence, -1);
  if (list_row != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (list_row), GTK_ACCESSIBLE_PROPERTY_LABEL, sentence, -1);
}

static void
apply_status_class (TgResultRow *self)
{
  /* Set only when it changes: setting classes restyles the widget even when
   * they are the same. */
  if (self->wanted_class == self->status_class || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;

  gtk_widget_set_css_classes (GTK_WIDGET (self->status_label),
                              (const char *[]) { "heading", "numeric", self->wanted_class, NULL });
  self->status_class = self->wanted_class;
}

static void
update (TgResultRow *self)
{
  TgResultItem *item = self->item;
  g_autofree char *title = NULL;
  g_autofree char *status = NULL;
  const char *status_class;
  const char *text = tg_result_item_get_text (item);

  /* Translators: "Response 1", the post's "First resp" */
  title = g_strdup_printf (_("Response %u"), tg_result_item_get_index (item));
  gtk_inscription_set_text (self->title_label, title);

  if (!tg_result_item_get_finished (item))
    {
      gtk_inscription_set_text (self->status_label, "…");
      /* Translators: a request that has not been answered yet */
      gtk_inscription_set_text (self->text_label, _("Waiting…"));
      status_class = "dim-label";
    }
  else
    {
      if (tg_result_item_get_status (item) != 0)
        status = g_strdup_printf ("%u", tg_result_item_get_status (item));
      gtk_inscription_set_text (self->status_label, status != NULL ? status : C_("status", "error"));
      gtk_inscription_set_text (self->text_label, text != NULL ? text : "");

      if (!tg_result_item_get_failed (item))
        status_class = "success";
      else if (tg_result_item_get_status (item) == 401)
        status_class = "warning";
      else
        status_class = "error";
    }

  self->wanted_class = status_class;
  apply_status_class (self);
  gtk_widget_set_visible (GTK_WIDGET (self->retried_label), tg_result_item_get_attempts (item) >= 2);

  update_accessible_label (self, title, status);
}

static void
tg_result_row_map (GtkWidget *widget)
{
  TgResultRow *self = TG_RESULT_ROW (widget);

  GTK_WIDGET_CLASS (tg_result_row_parent_class)->map (widget);
  /* In the allocation that brings the row into view: the style it asks for
   * is computed when the row is drawn, in this same frame. */
  apply_status_class (self);
}

static void
tg_result_row_dispose (GObject *object)
{
  TgResultRow *self = TG_RESULT_ROW (object);

  tg_result_row_set_item (self, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), TG_TYPE_RESULT_ROW);
  /* The template's root box is our child: ours to unparent. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));
       child != NULL;
       child = gtk_widget_get_first_child (GTK_WIDGET (self)))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (tg_result_row_parent_class)->dispose (object);
}

static void
tg_result_row_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  TgResultRow *self = TG_RESULT_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_result_row_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  TgResultRow *self = TG_RESULT_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      tg_result_row_set_item (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_result_row_class_init (TgResultRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tg_result_row_dispose;
  object_class->get_property = tg_result_row_get_property;
  object_class->set_property = tg_result_row_set_property;
  widget_class->map = tg_result_row_map;

  /**
   * TgResultRow:item:
   *
   * The result shown, or %NULL while the row waits to be reused.
   */
  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, TG_TYPE_RESULT_ITEM,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/tokengate/Tokengate/tg-result-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TgResultRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, TgResultRow, retried_label);
  gtk_widget_class_bind_template_child (widget_class, TgResultRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, TgResultRow, text_label);

  gtk_widget_class_set_css_name (widget_class, "resultrow");
  /* As the box that the rows used to be: a screen reader reads its labels. */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
tg_result_row_init (TgResultRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * tg_result_row_new:
 *
 * Returns: (transfer floating): a row showing no result yet
 */
GtkWidget *
tg_result_row_new (void)
{
  return g_object_new (TG_TYPE_RESULT_ROW, NULL);
}

/**
 * tg_result_row_set_item:
 * @self: a #TgResultRow
 * @item: (nullable): the result to show
 *
 * Shows @item, and its answer when it arrives.
 */
void
tg_result_row_set_item (TgResultRow  *self,
                        TgResultItem *item)
{
  g_return_if_fail (TG_IS_RESULT_ROW (self));
  g_return_if_fail (item == NULL || TG_IS_RESULT_ITEM (item));

  if (self->item == item)
    return;

  if (self->item != NULL)
    g_signal_handlers_disconnect_by_func (self->item, update, self);
  g_set_object (&self->item, item);
  if (item != NULL)
    {
      /* The item notifies "finished" last, with its status and text set. */
      g_signal_connect_object (item, "notify::finished", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
      update (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}

/**
 * tg_result_row_get_item:
 * @self: a #TgResultRow
 *
 * Returns: (transfer none) (nullable): the result shown
 */
TgResultItem *
tg_result_row_get_item (TgResultRow *self)
{
  g_return_val_if_fail (TG_IS_RESULT_ROW (self), NULL);

  return self->item;
}
