/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TG_SERVER_DEMO_USER     "demo"
#define TG_SERVER_DEMO_PASSWORD "demo"

/* The public native client of the browser sign-in (/oauth2/authorize): no
 * secret, redirect URI http://127.0.0.1:PORT/callback or
 * http://[::1]:PORT/callback with any PORT. */
#define TG_SERVER_NATIVE_CLIENT_ID "tokengate-native"

/* A confidential client, registered only when the server has a
 * #TgServer:client-secret: it authenticates at the token endpoint with HTTP
 * Basic (RFC 6749 §2.3.1), and has the native client's redirect URIs. */
#define TG_SERVER_CONFIDENTIAL_CLIENT_ID "tokengate-confidential"

#define TG_TYPE_SERVER (tg_server_get_type ())
G_DECLARE_FINAL_TYPE (TgServer, tg_server, TG, SERVER, GObject)

TgServer   *tg_server_new             (void);
gboolean    tg_server_start           (TgServer    *self,
                                       GError     **error);
gboolean    tg_server_start_in_thread (TgServer    *self,
                                       GError     **error);
void        tg_server_stop            (TgServer    *self);
gboolean    tg_server_is_running      (TgServer    *self);
const char *tg_server_get_base_uri    (TgServer    *self);
const char *tg_server_get_issuer      (TgServer    *self);
gboolean    tg_server_add_user        (TgServer    *self,
                                       const char  *name,
                                       const char  *password,
                                       GError     **error);

G_END_DECLS
