/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include <tokengate.h>

#include "tg-network-log-columns.h"

G_BEGIN_DECLS

#define TG_TYPE_NETWORK_LOG_ROW (tg_network_log_row_get_type ())
G_DECLARE_FINAL_TYPE (TgNetworkLogRow, tg_network_log_row, TG, NETWORK_LOG_ROW, GtkWidget)

GtkWidget           *tg_network_log_row_new           (TgNetworkLogColumns *columns,
                                                       gboolean             titles);
TgNetworkLogColumns *tg_network_log_row_get_columns   (TgNetworkLogRow     *self);
void                 tg_network_log_row_set_align_to  (TgNetworkLogRow     *self,
                                                       GtkWidget           *list);
void                 tg_network_log_row_set_item      (TgNetworkLogRow     *self,
                                                       gpointer             item,
                                                       gint64               time_origin);
gpointer             tg_network_log_row_get_item      (TgNetworkLogRow     *self);
const char          *tg_network_log_row_get_text      (TgNetworkLogRow     *self,
                                                       TgNetworkLogColumn   column);
gboolean             tg_network_log_row_get_cell_box  (TgNetworkLogRow     *self,
                                                       TgNetworkLogColumn   column,
                                                       TgNetworkLogCellBox *box);

char                *tg_network_log_format_ms         (gint64               usec);

G_END_DECLS
