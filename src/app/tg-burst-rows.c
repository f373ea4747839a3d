/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rows of the network view: the records of the log, with a header row
 * before each burst, so that a person sees where one burst ends and the next
 * begins and which "+0 ms" the times of a row count from (issue 10, §1.5).
 *
 * Row r of this model is either the header of burst k — at r = start_k + k,
 * where start_k is the position in the inner model of the burst's first
 * record — or the inner item r − (the number of headers before it). Both are
 * found by binary search over the headers, which only ever grow at the end
 * (bursts are marked as they are sent) or are dropped all together.
 */
#define G_LOG_DOMAIN "tg-burst-rows"

#include "config.h"

#include "tg-burst-rows.h"

struct _TgBurstHeader
{
  GObject parent_instance;

  guint   number;    /* 1 for the first burst */
  guint   position;  /* of its first record in the inner model */
  gint64  time;      /* monotonic µs it was asked for */
};

G_DEFINE_FINAL_TYPE (TgBurstHeader, tg_burst_header, G_TYPE_OBJECT)

static void
tg_burst_header_class_init (TgBurstHeaderClass *klass)
{
}

static void
tg_burst_header_init (TgBurstHeader *self)
{
}

guint
tg_burst_header_get_number (TgBurstHeader *self)
{
  g_return_val_if_fail (TG_IS_BURST_HEADER (self), 0);

  return self->number;
}

gint64
tg_burst_header_get_time (TgBurstHeader *self)
{
  g_return_val_if_fail (TG_IS_BURST_HEADER (self), 0);

  return self->time;
}

/* ------------------------------------------------------------------------ */

struct _TgBurstRows
{
  GObject     parent_instance;

  GListModel *model;     /* owned, nullable */
  GPtrArray  *headers;   /* owned; of TgBurstHeader, by position */
  guint       n_inner;   /* items of model, as last told */
};

static void tg_burst_rows_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TgBurstRows, tg_burst_rows, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, tg_burst_rows_list_model_init))

static TgBurstHeader *
header_at (TgBurstRows *self,
           guint        k)
{
  return g_ptr_array_index (self->headers, k);
}

/* How many bursts begin at or before @position of the inner model. */
static guint
headers_up_to (TgBurstRows *self,
               guint        position)
{
  guint lo = 0, hi = self->headers->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (header_at (self, mid)->position <= position)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static guint
n_rows (TgBurstRows *self)
{
  return self->n_inner + headers_up_to (self, self->n_inner);
}

/* How many shown headers are at or before @row. */
static guint
headers_up_to_row (TgBurstRows *self,
                   guint        row)
{
  guint lo = 0, hi = headers_up_to (self, self->n_inner);

  /* Header k is row start_k + k: increasing in k. */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (header_at (self, mid)->position + mid <= row)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static GType
tg_burst_rows_get_item_type (GListModel *list)
{
  return G_TYPE_OBJECT;
}

static guint
tg_burst_rows_get_n_items (GListModel *list)
{
  return n_rows (TG_BURST_ROWS (list));
}

static gpointer
tg_burst_rows_get_item (GListModel *list,
                        guint       row)
{
  TgBurstRows *self = TG_BURST_ROWS (list);
  guint position;

  if (row >= n_rows (self))
    return NULL;

  if (!tg_burst_rows_to_model_position (self, row, &position))
    return g_object_ref (header_at (self, headers_up_to_row (self, row) - 1));

  return g_list_model_get_item (self->model, position);
}

static void
tg_burst_rows_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = tg_burst_rows_get_item_type;
  iface->get_n_items = tg_burst_rows_get_n_items;
  iface->get_item = tg_burst_rows_get_item;
}

static void
on_items_changed (TgBurstRows *self,
                  guint        position,
                  guint        removed,
                  guint        added,
                  GListModel  *model)
{
  guint old_n_inner = self->n_inner;
  guint old_rows = n_rows (self);

  self->n_inner = g_list_model_get_n_items (model);

  /* The log only grows at its end, with the headers of the bursts it
   * reaches; anything else (a clear) is told as a new list. */
  if (removed == 0 && position == old_n_inner)
    g_list_model_items_changed (G_LIST_MODEL (self), old_rows, 0, n_rows (self) - old_rows);
  else
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_rows, n_rows (self));
}

static void
tg_burst_rows_dispose (GObject *object)
{
  TgBurstRows *self = TG_BURST_ROWS (object);

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, on_items_changed, self);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (tg_burst_rows_parent_class)->dispose (object);
}

static void
tg_burst_rows_finalize (GObject *object)
{
  TgBurstRows *self = TG_BURST_ROWS (object);

  g_clear_pointer (&self->headers, g_ptr_array_unref);

  G_OBJECT_CLASS (tg_burst_rows_parent_class)->finalize (object);
}

static void
tg_burst_rows_class_init (TgBurstRowsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tg_burst_rows_dispose;
  object_class->finalize = tg_burst_rows_finalize;
}

static void
tg_burst_rows_init (TgBurstRows *self)
{
  self->headers = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * tg_burst_rows_new:
 *
 * Returns: (transfer full): rows of no model, without bursts
 */
TgBurstRows *
tg_burst_rows_new (void)
{
  return g_object_new (TG_TYPE_BURST_ROWS, NULL);
}

/**
 * tg_burst_rows_set_model:
 * @model: (nullable): the items to show
 *
 * Shows @model; the bursts are kept (the caller clears them when they belong
 * to the previous model).
 */
void
tg_burst_rows_set_model (TgBurstRows *self,
                         GListModel  *model)
{
  guint old_rows;

  g_return_if_fail (TG_IS_BURST_ROWS (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;

  old_rows = n_rows (self);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, on_items_changed, self);
  g_set_object (&self->model, model);
  self->n_inner = 0;
  if (model != NULL)
    {
      g_signal_connect_object (model, "items-changed", G_CALLBACK (on_items_changed),
                               self, G_CONNECT_SWAPPED);
      self->n_inner = g_list_model_get_n_items (model);
    }

  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_rows, n_rows (self));
}

/**
 * tg_burst_rows_add_burst:
 * @position: where the burst begins in the model: at or after the last
 *   burst's beginning
 * @time: when it was asked for, monotonic µs
 *
 * Adds the header of a burst. A burst that begins where the last one began
 * (nothing was sent in between) takes its place: only its time changes.
 */
void
tg_burst_rows_add_burst (TgBurstRows *self,
                         guint        position,
                         gint64       time)
{
  g_autoptr(TgBurstHeader) header = NULL;
  guint k = self->headers->len;

  g_return_if_fail (TG_IS_BURST_ROWS (self));
  g_return_if_fail (k == 0 || position >= header_at (self, k - 1)->position);

  if (k > 0 && header_at (self, k - 1)->position == position)
    {
      header_at (self, k - 1)->time = time;
      return;
    }

  header = g_object_new (TG_TYPE_BURST_HEADER, NULL);
  header->number = k + 1;
  header->position = position;
  header->time = time;
  g_ptr_array_add (self->headers, g_steal_pointer (&header));

  if (position <= self->n_inner)
    g_list_model_items_changed (G_LIST_MODEL (self), position + k, 0, 1);
}

/**
 * tg_burst_rows_clear_bursts:
 *
 * Forgets every burst, e.g. when the log is cleared.
 */
void
tg_burst_rows_clear_bursts (TgBurstRows *self)
{
  guint old_rows;

  g_return_if_fail (TG_IS_BURST_ROWS (self));

  if (self->headers->len == 0)
    return;

  old_rows = n_rows (self);
  g_ptr_array_set_size (self->headers, 0);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_rows, n_rows (self));
}

guint
tg_burst_rows_get_n_bursts (TgBurstRows *self)
{
  g_return_val_if_fail (TG_IS_BURST_ROWS (self), 0);

  return self->headers->len;
}

/**
 * tg_burst_rows_get_burst_at:
 * @position: a position in the model
 *
 * Returns: (transfer none) (nullable): the burst the item at @position
 *   belongs to, or %NULL for what came before any burst
 */
TgBurstHeader *
tg_burst_rows_get_burst_at (TgBurstRows *self,
                            guint        position)
{
  guint k;

  g_return_val_if_fail (TG_IS_BURST_ROWS (self), NULL);

  k = headers_up_to (self, position);
  return k > 0 ? header_at (self, k - 1) : NULL;
}

/**
 * tg_burst_rows_get_last_start:
 *
 * Returns: where the last burst begins in the model, or 0 without bursts
 */
guint
tg_burst_rows_get_last_start (TgBurstRows *self)
{
  g_return_val_if_fail (TG_IS_BURST_ROWS (self), 0);

  return self->headers->len > 0 ? header_at (self, self->headers->len - 1)->position : 0;
}

/**
 * tg_burst_rows_to_model_position:
 * @row: a row of @self
 * @position: (out): the position in the model of the item shown there
 *
 * Returns: %TRUE if @row shows an item of the model, %FALSE for a header
 */
gboolean
tg_burst_rows_to_model_position (TgBurstRows *self,
                                 guint        row,
                                 guint       *position)
{
  guint k;

  g_return_val_if_fail (TG_IS_BURST_ROWS (self), FALSE);

  k = headers_up_to_row (self, row);
  if (k > 0 && header_at (self, k - 1)->position + (k - 1) == row)
    return FALSE;

  *position = row - k;
  return TRUE;
}
