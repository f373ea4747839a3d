/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include <tokengate.h>

G_BEGIN_DECLS

#define TG_TYPE_NETWORK_VIEW (tg_network_view_get_type ())
G_DECLARE_FINAL_TYPE (TgNetworkView, tg_network_view, TG, NETWORK_VIEW, GtkWidget)

/* The rows of a TgRequestLog ("log" property) under their column titles,
 * with a Clear button and a one-line summary of the last burst. */
GtkWidget    *tg_network_view_new          (void);
void          tg_network_view_set_log      (TgNetworkView *self,
                                            TgRequestLog  *log);
void          tg_network_view_mark_burst   (TgNetworkView *self);
void          tg_network_view_clear_log    (TgNetworkView *self);
const char   *tg_network_view_get_summary  (TgNetworkView *self);
void          tg_network_view_set_summary_wraps (TgNetworkView *self,
                                                 gboolean       wraps);

G_END_DECLS
