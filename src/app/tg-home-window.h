/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "tg-application.h"

G_BEGIN_DECLS

#define TG_TYPE_HOME_WINDOW (tg_home_window_get_type ())
G_DECLARE_FINAL_TYPE (TgHomeWindow, tg_home_window, TG, HOME_WINDOW, AdwApplicationWindow)

TgHomeWindow *tg_home_window_new              (TgApplication *application,
                                               TgSession     *session);
/* For tests and actions: what the buttons do, and what the window shows. */
void          tg_home_window_send_requests    (TgHomeWindow  *self,
                                               guint          count);
GListModel   *tg_home_window_get_results      (TgHomeWindow  *self);  /* of TgResultItem */
const char   *tg_home_window_get_resource_text (TgHomeWindow *self);  /* "" while loading */
const char   *tg_home_window_get_summary      (TgHomeWindow  *self);
GtkWidget    *tg_home_window_get_timeline     (TgHomeWindow  *self);

G_END_DECLS
