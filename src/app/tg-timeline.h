/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include <tokengate.h>

G_BEGIN_DECLS

#define TG_TYPE_TIMELINE (tg_timeline_get_type ())
G_DECLARE_FINAL_TYPE (TgTimeline, tg_timeline, TG, TIMELINE, GtkWidget)

/* A waterfall of the request log's records on a time axis, drawn with
 * GtkSnapshot: the 401s, the one refresh bar, the waits at the gate, the
 * retries ("log" property; shows the records from the last burst mark on). */
GtkWidget *tg_timeline_new        (void);
void       tg_timeline_set_log    (TgTimeline   *self,
                                   TgRequestLog *log);
void       tg_timeline_mark_burst (TgTimeline   *self);
guint      tg_timeline_get_n_lanes (TgTimeline  *self);

G_END_DECLS
