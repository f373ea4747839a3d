/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TG_TYPE_RESULT_ITEM (tg_result_item_get_type ())
G_DECLARE_FINAL_TYPE (TgResultItem, tg_result_item, TG, RESULT_ITEM, GObject)

/*
 * One row of "Send requests": the post's "First resp / Second resp / Third
 * resp", for any number. Properties: index, finished, failed, status (0 until
 * answered or on error), attempts, text (the body, or the error message).
 */
TgResultItem *tg_result_item_new          (guint          index);
void          tg_result_item_set_response (TgResultItem  *self,
                                           guint          status,
                                           guint          attempts,
                                           const char    *text);
void          tg_result_item_set_error    (TgResultItem  *self,
                                           const char    *message);
void          tg_result_item_restart      (TgResultItem  *self);
guint         tg_result_item_get_index    (TgResultItem  *self);
gboolean      tg_result_item_get_finished (TgResultItem  *self);
gboolean      tg_result_item_get_failed   (TgResultItem  *self);
guint         tg_result_item_get_status   (TgResultItem  *self);
guint         tg_result_item_get_attempts (TgResultItem  *self);
const char   *tg_result_item_get_text     (TgResultItem  *self);

G_END_DECLS
