/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TG_TYPE_BURST_HEADER (tg_burst_header_get_type ())
G_DECLARE_FINAL_TYPE (TgBurstHeader, tg_burst_header, TG, BURST_HEADER, GObject)

#define TG_TYPE_BURST_ROWS (tg_burst_rows_get_type ())
G_DECLARE_FINAL_TYPE (TgBurstRows, tg_burst_rows, TG, BURST_ROWS, GObject)

/*
 * The header row of a burst in the network view: which burst, and when it
 * was asked for — the time the times of its rows count from.
 */
guint          tg_burst_header_get_number     (TgBurstHeader *self);
gint64         tg_burst_header_get_time       (TgBurstHeader *self);

/*
 * A GListModel of the items of another one (the request records) with a
 * TgBurstHeader before the first item of every burst. Bursts begin at a
 * position of the inner model, in increasing order; a header whose position
 * the inner model has not reached yet is shown once it has (the rows can lag
 * behind the log they show). GTK 4.8's list view has no sections (4.12 has): this is
 * them.
 */
TgBurstRows   *tg_burst_rows_new              (void);
void           tg_burst_rows_set_model        (TgBurstRows   *self,
                                               GListModel    *model);
void           tg_burst_rows_add_burst        (TgBurstRows   *self,
                                               guint          position,
                                               gint64         time);
void           tg_burst_rows_clear_bursts     (TgBurstRows   *self);
guint          tg_burst_rows_get_n_bursts     (TgBurstRows   *self);
TgBurstHeader *tg_burst_rows_get_burst_at     (TgBurstRows   *self,
                                               guint          position);
guint          tg_burst_rows_get_last_start   (TgBurstRows   *self);
gboolean       tg_burst_rows_to_model_position (TgBurstRows  *self,
                                               guint          row,
                                               guint         *position);

G_END_DECLS
