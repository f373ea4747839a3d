/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgPacedListModel: the list a list view is given when the list it shows can
 * grow by thousands of items at once (a burst's result rows, the request
 * log).
 *
 * GTK 4.8's list item manager does work proportional to the model on every
 * items-changed, and a list view builds (or rebinds) a row for every item it
 * keeps around the visible ones — up to 200 — when they arrive. So the items
 * reach the view in batches, in the frames of the view (a tick callback): a
 * frame hands on one batch, and more while the frame's batches have taken
 * less than FRAME_BUDGET_USEC and fewer than `max-per-frame` items (for each
 * 1/60 s since the last frame, up to two: a rate, so that a view whose
 * frames come late on a loaded machine does not fall further behind as long
 * as it draws 30 frames a second, while a late frame does not take in so
 * much that the next one is later still).
 *
 * The view builds and binds its rows in its items-changed handler, so the
 * time the batches took is what their rows cost: a frame that builds rows
 * for the first time takes a few of them, and items the view makes no row
 * for (below the ones it keeps) go through by the hundred. The rows' style,
 * size and drawing come later in the same frame and cost about as much
 * again, hence a budget well under a frame; the cap is for a view that
 * follows the newest row, where each item taken in is a row bound, cheaply.
 * This keeps each frame short on any machine, while a burst of thousands
 * scrolls by. While the view is not mapped there are no frames and
 * nobody watches: the rest arrives at once, in an idle after the callbacks
 * that added them (the model must still catch up for whoever reads it).
 *
 * What the source already holds when it is set is shown at once: one
 * items-changed, whatever its size, costs the view once. A change inside the
 * part already shown (a clear, a whole new burst) hides everything from the
 * changed position on, which then comes back at the same pace: the list
 * starts again from there rather than rebinding rows that are about to be
 * replaced.
 */
#define G_LOG_DOMAIN "tg-paced-list-model"

#include "config.h"

#include "tg-paced-list-model.h"

/* What the batches of one frame may take, in µs. */
#define FRAME_BUDGET_USEC 2000
/* The frame `max-per-frame` counts in: 60 a second. */
#define FRAME_USEC        (G_USEC_PER_SEC / 60)
/* A late frame takes in what its time allows, up to this many frames' worth. */
#define MAX_LATE_FRAMES   2

struct _TgPacedListModel
{
  GObject     parent_instance;

  GListModel *model;          /* owned, nullable: the source */
  GtkWidget  *widget;         /* weak: whose frames set the pace */
  guint       batch;
  guint       max_per_frame;
  guint       n_shown;        /* the first n_shown items of the source */
  guint       tick_id;
  gint64      last_tick;      /* frame time of the last tick, 0 before one */
  guint       idle_id;
};

static void tg_paced_list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TgPacedListModel, tg_paced_list_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, tg_paced_list_model_iface_init))

static guint
source_size (TgPacedListModel *self)
{
  return self->model != NULL ? g_list_model_get_n_items (self->model) : 0;
}

/* Shows up to @max more items; returns whether the source is still ahead. */
static gboolean
grow (TgPacedListModel *self,
      guint             max)
{
  guint n_items = source_size (self);
  guint position = self->n_shown;

  if (position < n_items)
    {
      self->n_shown += MIN (n_items - position, max);
      g_list_model_items_changed (G_LIST_MODEL (self), position, 0, self->n_shown - position);
    }

  return self->n_shown < n_items;
}

static gboolean
on_tick (GtkWidget     *widget,
         GdkFrameClock *frame_clock,
         gpointer       user_data)
{
  TgPacedListModel *self = user_data;
  gint64 start = g_get_monotonic_time ();
  gint64 frame_time = gdk_frame_clock_get_frame_time (frame_clock);
  guint allowance = self->max_per_frame;
  guint taken = 0;
  gboolean behind;

  /* The cap is a rate: on a loaded machine frames come late, and a count
   * per frame would let the view fall further behind the slower they get. */
  if (self->last_tick != 0 && allowance < G_MAXUINT / MAX_LATE_FRAMES)
    allowance *= (guint) CLAMP ((frame_time - self->last_tick) / FRAME_USEC, 1, MAX_LATE_FRAMES);
  self->last_tick = frame_time;

  /* taken < allowance in the loop: no overflow, whatever the cap. */
  do
    {
      guint before = self->n_shown;

      behind = grow (self, MIN (self->batch, allowance - taken));
      /* A handler of the view may have changed the source meanwhile. */
      if (self->n_shown < before)
        break;
      taken += self->n_shown - before;
    }
  while (behind && taken < allowance &&
         g_get_monotonic_time () - start < FRAME_BUDGET_USEC);

  if (self->n_shown < source_size (self))
    return G_SOURCE_CONTINUE;

  self->tick_id = 0;
  self->last_tick = 0;
  return G_SOURCE_REMOVE;
}

static gboolean
on_idle (gpointer user_data)
{
  TgPacedListModel *self = user_data;

  self->idle_id = 0;
  grow (self, G_MAXUINT);
  return G_SOURCE_REMOVE;
}

static void
remove_tick (TgPacedListModel *self)
{
  if (self->tick_id != 0 && self->widget != NULL)
    gtk_widget_remove_tick_callback (self->widget, self->tick_id);
  self->tick_id = 0;
  self->last_tick = 0;
}

static void
catch_up (TgPacedListModel *self)
{
  if (self->n_shown >= source_size (self))
    return;

  if (self->widget != NULL && gtk_widget_get_mapped (self->widget))
    {
      if (self->tick_id == 0)
        self->tick_id = gtk_widget_add_tick_callback (self->widget, on_tick, self, NULL);
    }
  else if (self->idle_id == 0)
    {
      self->idle_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE + 15, on_idle, self, NULL);
      g_source_set_name_by_id (self->idle_id, "[tokengate] paced list model");
    }
}

static void
on_widget_map (TgPacedListModel *self)
{
  g_clear_handle_id (&self->idle_id, g_source_remove);
  catch_up (self);
}

static void
on_widget_unmap (TgPacedListModel *self)
{
  /* No frames until it is mapped again: finish without them. */
  remove_tick (self);
  catch_up (self);
}

static void
on_model_items_changed (TgPacedListModel *self,
                        guint             position,
                        guint             removed,
                        guint             added,
                        GListModel       *model)
{
  guint n_hidden;

  if (position < self->n_shown)
    {
      n_hidden = self->n_shown - position;
      self->n_shown = position;
      g_list_model_items_changed (G_LIST_MODEL (self), position, n_hidden, 0);
    }

  catch_up (self);
}

/* ------------------------------------------------------------------------ */
/* GListModel                                                               */

static GType
tg_paced_list_model_get_item_type (GListModel *list)
{
  TgPacedListModel *self = TG_PACED_LIST_MODEL (list);

  return self->model != NULL ? g_list_model_get_item_type (self->model) : G_TYPE_OBJECT;
}

static guint
tg_paced_list_model_get_n_items (GListModel *list)
{
  return TG_PACED_LIST_MODEL (list)->n_shown;
}

static gpointer
tg_paced_list_model_get_item (GListModel *list,
                              guint       position)
{
  TgPacedListModel *self = TG_PACED_LIST_MODEL (list);

  return position < self->n_shown ? g_list_model_get_item (self->model, position) : NULL;
}

static void
tg_paced_list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = tg_paced_list_model_get_item_type;
  iface->get_n_items = tg_paced_list_model_get_n_items;
  iface->get_item = tg_paced_list_model_get_item;
}

/* ------------------------------------------------------------------------ */

static void
tg_paced_list_model_dispose (GObject *object)
{
  TgPacedListModel *self = TG_PACED_LIST_MODEL (object);

  remove_tick (self);
  g_clear_handle_id (&self->idle_id, g_source_remove);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, on_model_items_changed, self);
  g_clear_object (&self->model);
  g_clear_weak_pointer (&self->widget);

  G_OBJECT_CLASS (tg_paced_list_model_parent_class)->dispose (object);
}

static void
tg_paced_list_model_class_init (TgPacedListModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tg_paced_list_model_dispose;
}

static void
tg_paced_list_model_init (TgPacedListModel *self)
{
}

/**
 * tg_paced_list_model_new:
 * @widget: the widget whose frames set the pace: the list view, or a widget
 *   that contains it
 * @batch: how many items reach the view at a time, at least 1
 * @max_per_frame: how many may reach it in a frame of 1/60 s (a late frame
 *   takes up to two frames' worth); %G_MAXUINT: as many as the time budget
 *   allows
 *
 * Returns: (transfer full): a model showing nothing until a source is set
 */
TgPacedListModel *
tg_paced_list_model_new (GtkWidget *widget,
                         guint      batch,
                         guint      max_per_frame)
{
  TgPacedListModel *self;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), NULL);
  g_return_val_if_fail (batch >= 1, NULL);

  self = g_object_new (TG_TYPE_PACED_LIST_MODEL, NULL);
  self->batch = batch;
  self->max_per_frame = MAX (batch, max_per_frame);
  g_set_weak_pointer (&self->widget, widget);
  g_signal_connect_object (widget, "map", G_CALLBACK (on_widget_map), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (widget, "unmap", G_CALLBACK (on_widget_unmap), self, G_CONNECT_SWAPPED);

  return self;
}

/**
 * tg_paced_list_model_set_model:
 * @self: a #TgPacedListModel
 * @model: (nullable): the list to show
 *
 * Shows @model: the items it holds now at once, what is added to it later
 * at the pace of the widget's frames.
 */
void
tg_paced_list_model_set_model (TgPacedListModel *self,
                               GListModel       *model)
{
  guint removed;

  g_return_if_fail (TG_IS_PACED_LIST_MODEL (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, on_model_items_changed, self);
  g_set_object (&self->model, model);
  if (model != NULL)
    g_signal_connect_object (model, "items-changed", G_CALLBACK (on_model_items_changed),
                             self, G_CONNECT_SWAPPED);

  removed = self->n_shown;
  self->n_shown = source_size (self);
  if (removed > 0 || self->n_shown > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, self->n_shown);
}

/**
 * tg_paced_list_model_get_model:
 * @self: a #TgPacedListModel
 *
 * Returns: (transfer none) (nullable): the list shown
 */
GListModel *
tg_paced_list_model_get_model (TgPacedListModel *self)
{
  g_return_val_if_fail (TG_IS_PACED_LIST_MODEL (self), NULL);

  return self->model;
}
