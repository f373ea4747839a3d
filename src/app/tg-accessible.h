/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * What GTK 4.8 and libadwaita 1.2 leave to the application for a screen
 * reader: names for the parts of composite widgets, lists that are one Tab
 * stop, and announcements (gtk_accessible_announce() is GTK 4.14), which
 * borrow the focused widget's description: in a window that announces, set
 * descriptions with tg_accessible_describe().
 */
GtkWidget *tg_accessible_find_descendant (GtkWidget *root,
                                          GType      type);
void       tg_accessible_name_descendant   (GtkWidget   *root,
                                      GType        type,
                                      const char  *name);
void tg_accessible_name_buttons_by_label (GtkWidget   *root);
void tg_accessible_one_tab_stop      (GtkWidget   *list);
void tg_accessible_describe          (GtkWidget   *widget,
                                      const char  *description);
void tg_accessible_announce          (GtkWidget   *alert,
                                      GtkLabel    *label,
                                      const char  *text);

G_END_DECLS
