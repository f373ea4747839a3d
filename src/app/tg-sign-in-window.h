/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "tg-application.h"

G_BEGIN_DECLS

#define TG_TYPE_SIGN_IN_WINDOW (tg_sign_in_window_get_type ())
G_DECLARE_FINAL_TYPE (TgSignInWindow, tg_sign_in_window, TG, SIGN_IN_WINDOW, AdwApplicationWindow)

/* The form, and why the last attempt failed. It does not decide what comes
 * after: ::signed-in (TgSession *session) hands the signed-in session back
 * to whoever showed it. */

TgSignInWindow *tg_sign_in_window_new         (TgApplication  *application,
                                               const char     *reason);
/* For tests: the widgets a person types into and presses. */
GtkEditable    *tg_sign_in_window_get_user_entry     (TgSignInWindow *self);
GtkEditable    *tg_sign_in_window_get_password_entry (TgSignInWindow *self);
GtkWidget      *tg_sign_in_window_get_sign_in_button (TgSignInWindow *self);
const char     *tg_sign_in_window_get_message        (TgSignInWindow *self);
const char     *tg_sign_in_window_get_error          (TgSignInWindow *self);
gboolean        tg_sign_in_window_is_busy            (TgSignInWindow *self);
gboolean        tg_sign_in_window_is_waiting_for_browser (TgSignInWindow *self);
void            tg_sign_in_window_show_error         (TgSignInWindow *self,
                                                      const GError   *error);

G_END_DECLS
