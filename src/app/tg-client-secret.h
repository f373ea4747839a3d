/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A provider client's secret, kept in the keyring (Secret Service, or the
 * secret portal inside Flatpak) under the issuer and client ID: never in
 * GSettings, where any program of the user reads it in plain text. */

void     tg_client_secret_lookup_async  (const char          *issuer,
                                         const char          *client_id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
char    *tg_client_secret_lookup_finish (GAsyncResult        *result);
void     tg_client_secret_save_async    (const char          *issuer,
                                         const char          *client_id,
                                         const char          *secret,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean tg_client_secret_save_finish   (GAsyncResult        *result,
                                         GError             **error);
void     tg_client_secret_free          (char                *secret);

G_END_DECLS
