/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "tg-session.h"

G_BEGIN_DECLS

/* What the demo server's /api/resources answers the demo user. */
#define TG_TEST_UI_RESOURCE_TEXT "protected resources, username: demo"
/* How long any one wait may take before it fails the test. */
/* Generous: a hang still fails long before meson's timeout, and a loaded
 * machine running the suite under AddressSanitizer is slow. */
#define TG_TEST_UI_WAIT_SECONDS 120

typedef gboolean (*TgTestUiPredicate) (gpointer data);

void       tg_test_ui_keep_system_data (void);
gboolean   tg_test_ui_init_display     (void);
void       tg_test_ui_use_system_mime  (void);
void       tg_test_ui_shutdown         (void);

void       tg_test_ui_wait_until       (TgTestUiPredicate  predicate,
                                        gpointer           data,
                                        const char        *what);
void       tg_test_ui_wait_for_frame   (GtkWidget         *widget);
void       tg_test_ui_save_screenshot  (GtkWidget         *widget,
                                        const char        *name);
GtkWidget *tg_test_ui_find_descendant  (GtkWidget         *widget,
                                        GType              type);
GtkWidget *tg_test_ui_find_actionable  (GtkWidget         *widget,
                                        const char        *action_name);
gboolean   tg_test_ui_resource_loaded  (gpointer           home_window);
gboolean   tg_test_ui_results_finished (gpointer           home_window);
TgSession *tg_test_ui_new_signed_in_session (void);
GtkWidget *tg_test_ui_present_home_after_burst (TgSession *session,
                                               int        width,
                                               int        height);

GdkRGBA         tg_test_ui_named_color      (GtkWidget   *widget,
                                             const char  *name);
GtkCssProvider *tg_test_ui_add_app_style    (const char  *name);
void            tg_test_ui_remove_app_style (GtkCssProvider *css);

G_END_DECLS
