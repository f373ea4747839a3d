/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include <tokengate.h>

G_BEGIN_DECLS

#define TG_TYPE_TOKEN_PANEL (tg_token_panel_get_type ())
G_DECLARE_FINAL_TYPE (TgTokenPanel, tg_token_panel, TG, TOKEN_PANEL, GtkWidget)

/* The access token shortened (never whole), its generation, a live countdown
 * to its expiry, and whether a refresh is in flight ("manager" property). */
GtkWidget *tg_token_panel_new         (void);
void       tg_token_panel_set_manager (TgTokenPanel   *self,
                                       TgTokenManager *manager);

G_END_DECLS
