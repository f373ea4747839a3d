/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "tg-session.h"

G_BEGIN_DECLS

#define TG_TYPE_APPLICATION (tg_application_get_type ())
G_DECLARE_FINAL_TYPE (TgApplication, tg_application, TG, APPLICATION, AdwApplication)

TgApplication *tg_application_new          (void);
GSettings     *tg_application_get_settings (TgApplication *self);
TgSession     *tg_application_get_session  (TgApplication *self);
GtkWindow     *tg_application_get_current_window (TgApplication *self);
char          *tg_application_dup_server_uri (TgApplication *self);
TgAuthProtocolKind tg_application_get_protocol (TgApplication *self);

G_END_DECLS
