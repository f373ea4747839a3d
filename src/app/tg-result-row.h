/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "tg-result-item.h"

G_BEGIN_DECLS

#define TG_TYPE_RESULT_ROW (tg_result_row_get_type ())
G_DECLARE_FINAL_TYPE (TgResultRow, tg_result_row, TG, RESULT_ROW, GtkWidget)

/* One row of the results list: "Response 2 · retried · 200" and the body
 * below it, following its TgResultItem ("item" property) until it is
 * answered. */
GtkWidget    *tg_result_row_new      (void);
void          tg_result_row_set_item (TgResultRow  *self,
                                      TgResultItem *item);
TgResultItem *tg_result_row_get_item (TgResultRow  *self);

G_END_DECLS
