/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TG_TYPE_PACED_LIST_MODEL (tg_paced_list_model_get_type ())
G_DECLARE_FINAL_TYPE (TgPacedListModel, tg_paced_list_model, TG, PACED_LIST_MODEL, GObject)

/*
 * A GListModel that shows the items of another one, from the first, and
 * catches up with what is added to it a few items at a time, in the frames
 * of a widget, within a time budget per frame (all at once, in an idle,
 * while the widget is not mapped).
 */
TgPacedListModel *tg_paced_list_model_new       (GtkWidget        *widget,
                                                 guint             batch,
                                                 guint             max_per_frame);
void              tg_paced_list_model_set_model (TgPacedListModel *self,
                                                 GListModel       *model);
GListModel       *tg_paced_list_model_get_model (TgPacedListModel *self);

G_END_DECLS
