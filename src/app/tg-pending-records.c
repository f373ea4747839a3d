/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgPendingRecords: the unfinished records a view waits on.
 *
 * The network view's summary and the timeline's moving bars change when one
 * of the burst's records ends. A handler on every record of the log would be
 * one per record for records nobody shows; this holds a handler only on the
 * records still in flight, and lets go of each as it ends — or of all of
 * them when a new burst starts or the view goes, so that a record finishing
 * later never calls into a view that is gone.
 */
#define G_LOG_DOMAIN "tg-pending-records"

#include "config.h"

#include "tg-pending-records.h"

struct _TgPendingRecords
{
  GObject     parent_instance;

  GHashTable *records;  /* owned refs; each with our notify::finished handler */
};

G_DEFINE_FINAL_TYPE (TgPendingRecords, tg_pending_records, G_TYPE_OBJECT)

enum {
  RECORD_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
on_record_finished (TgRequestRecord  *record,
                    GParamSpec       *pspec,
                    TgPendingRecords *self)
{
  /* Held until the handlers have run: the table's reference may be the last. */
  g_autoptr(TgRequestRecord) held = g_object_ref (record);

  g_signal_handlers_disconnect_by_func (record, on_record_finished, self);
  g_hash_table_remove (self->records, record);
  g_signal_emit (self, signals[RECORD_FINISHED], 0, record);
}

static void
tg_pending_records_dispose (GObject *object)
{
  TgPendingRecords *self = TG_PENDING_RECORDS (object);

  if (self->records != NULL)
    tg_pending_records_clear (self);

  G_OBJECT_CLASS (tg_pending_records_parent_class)->dispose (object);
}

static void
tg_pending_records_finalize (GObject *object)
{
  TgPendingRecords *self = TG_PENDING_RECORDS (object);

  g_clear_pointer (&self->records, g_hash_table_unref);

  G_OBJECT_CLASS (tg_pending_records_parent_class)->finalize (object);
}

static void
tg_pending_records_class_init (TgPendingRecordsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tg_pending_records_dispose;
  object_class->finalize = tg_pending_records_finalize;

  /**
   * TgPendingRecords::record-finished:
   * @self: the set
   * @record: the record that ended, no longer in the set
   */
  signals[RECORD_FINISHED] =
    g_signal_new ("record-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, TG_TYPE_REQUEST_RECORD);
}

static void
tg_pending_records_init (TgPendingRecords *self)
{
  self->records = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
}

/**
 * tg_pending_records_new:
 *
 * Returns: (transfer full): an empty set
 */
TgPendingRecords *
tg_pending_records_new (void)
{
  return g_object_new (TG_TYPE_PENDING_RECORDS, NULL);
}

/**
 * tg_pending_records_add:
 * @self: a #TgPendingRecords
 * @record: a record of the burst
 *
 * Waits for @record to finish. A record that has finished already, or is in
 * the set already, is left alone.
 */
void
tg_pending_records_add (TgPendingRecords *self,
                        TgRequestRecord  *record)
{
  g_return_if_fail (TG_IS_PENDING_RECORDS (self));
  g_return_if_fail (TG_IS_REQUEST_RECORD (record));

  if (tg_request_record_is_finished (record) || g_hash_table_contains (self->records, record))
    return;

  g_hash_table_add (self->records, g_object_ref (record));
  g_signal_connect (record, "notify::finished", G_CALLBACK (on_record_finished), self);
}

/**
 * tg_pending_records_clear:
 * @self: a #TgPendingRecords
 *
 * Stops waiting for every record, without emitting anything.
 */
void
tg_pending_records_clear (TgPendingRecords *self)
{
  GHashTableIter iter;
  gpointer record;

  g_return_if_fail (TG_IS_PENDING_RECORDS (self));

  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, &record, NULL))
    {
      g_signal_handlers_disconnect_by_func (record, on_record_finished, self);
      g_hash_table_iter_remove (&iter);
    }
}

/**
 * tg_pending_records_get_size:
 * @self: a #TgPendingRecords
 *
 * Returns: how many records are still in flight
 */
guint
tg_pending_records_get_size (TgPendingRecords *self)
{
  g_return_val_if_fail (TG_IS_PENDING_RECORDS (self), 0);

  return g_hash_table_size (self->records);
}
