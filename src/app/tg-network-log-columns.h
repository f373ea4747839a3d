/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  TG_NETWORK_LOG_COLUMN_TIME,
  TG_NETWORK_LOG_COLUMN_METHOD,
  TG_NETWORK_LOG_COLUMN_PATH,
  TG_NETWORK_LOG_COLUMN_STATUS,
  TG_NETWORK_LOG_COLUMN_KIND,
  TG_NETWORK_LOG_COLUMN_GENERATION,
  TG_NETWORK_LOG_COLUMN_ATTEMPT,
  TG_NETWORK_LOG_COLUMN_DURATION,
  TG_NETWORK_LOG_N_COLUMNS
} TgNetworkLogColumn;

/* Room on either side of a cell's text, as libadwaita 1.2 gives a
 * GtkColumnView's cells and column titles. */
#define TG_NETWORK_LOG_CELL_PADDING 6

/* Where a cell is in a row, in the row's own coordinates. */
typedef struct {
  int      x;
  int      width;
  gboolean visible;
} TgNetworkLogCellBox;

#define TG_TYPE_NETWORK_LOG_COLUMNS (tg_network_log_columns_get_type ())
G_DECLARE_FINAL_TYPE (TgNetworkLogColumns, tg_network_log_columns, TG, NETWORK_LOG_COLUMNS, GObject)

TgNetworkLogColumns *tg_network_log_columns_new                (void);

const char          *tg_network_log_columns_get_title          (TgNetworkLogColumn   column);
float                tg_network_log_columns_get_xalign         (TgNetworkLogColumn   column);
gboolean             tg_network_log_columns_is_numeric         (TgNetworkLogColumn   column);
PangoEllipsizeMode   tg_network_log_columns_get_ellipsize      (TgNetworkLogColumn   column);

void                 tg_network_log_columns_update_context     (TgNetworkLogColumns *self,
                                                                GtkWidget           *widget);
PangoContext        *tg_network_log_columns_get_context        (TgNetworkLogColumns *self);
int                  tg_network_log_columns_get_line_height    (TgNetworkLogColumns *self);
void                 tg_network_log_columns_set_title_width    (TgNetworkLogColumns *self,
                                                                TgNetworkLogColumn   column,
                                                                int                  width);
void                 tg_network_log_columns_note_row_width (TgNetworkLogColumns *self,
                                                                int                  width);
void                 tg_network_log_columns_measure            (TgNetworkLogColumns *self,
                                                                int                 *minimum,
                                                                int                 *natural);
void                 tg_network_log_columns_allocate           (TgNetworkLogColumns *self,
                                                                int                  width,
                                                                GtkTextDirection     direction,
                                                                TgNetworkLogCellBox  boxes[TG_NETWORK_LOG_N_COLUMNS]);

G_END_DECLS
