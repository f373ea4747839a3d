/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "tg-session.h"

G_BEGIN_DECLS

#define TG_TYPE_PROVIDER_FORM (tg_provider_form_get_type ())
G_DECLARE_FINAL_TYPE (TgProviderForm, tg_provider_form, TG, PROVIDER_FORM, AdwPreferencesGroup)

/* "Your Own Provider": the issuer, the client registered there, the scopes,
 * and the API the burst goes to. Remembered in GSettings, all but the client
 * secret (tg-client-secret.h). */

void        tg_provider_form_load        (TgProviderForm            *self,
                                          GSettings                 *settings);
void        tg_provider_form_save        (TgProviderForm            *self,
                                          GSettings                 *settings);
GtkWidget  *tg_provider_form_check       (TgProviderForm            *self,
                                          const char               **message);
void        tg_provider_form_get_options (TgProviderForm            *self,
                                          TgSessionProviderOptions  *options);
void        tg_provider_form_set_secret  (TgProviderForm            *self,
                                          const char                *secret);
GtkWidget  *tg_provider_form_get_issuer_row (TgProviderForm         *self);

G_END_DECLS
