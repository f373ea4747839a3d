/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of the network view share: tg-network-view.c follows the
 * log and sums up the burst, tg-network-view-columns.c draws the table.
 */
#pragma once

#include "tg-network-view.h"

G_BEGIN_DECLS

/* tg-network-view.c */
gint64 _tg_network_view_get_time_origin (TgNetworkView *self,
                                         guint          position);

/* tg-network-view-columns.c */
void   _tg_network_view_add_columns     (TgNetworkView *self,
                                         GtkColumnView *column_view);
char  *_tg_network_view_format_ms       (gint64         usec);
void   _tg_network_view_set_narrow      (GtkColumnView *column_view,
                                         gboolean       narrow);

G_END_DECLS
