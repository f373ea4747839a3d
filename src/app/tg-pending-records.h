/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include <tokengate.h>

G_BEGIN_DECLS

#define TG_TYPE_PENDING_RECORDS (tg_pending_records_get_type ())
G_DECLARE_FINAL_TYPE (TgPendingRecords, tg_pending_records, TG, PENDING_RECORDS, GObject)

/*
 * The records of a burst that are still in flight, for a view that shows the
 * burst: ::record-finished tells it when one ends.
 */
TgPendingRecords *tg_pending_records_new      (void);
void              tg_pending_records_add      (TgPendingRecords *self,
                                               TgRequestRecord  *record);
void              tg_pending_records_clear    (TgPendingRecords *self);
guint             tg_pending_records_get_size (TgPendingRecords *self);

G_END_DECLS
