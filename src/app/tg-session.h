/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include <tokengate.h>

G_BEGIN_DECLS

#define TG_TYPE_SESSION (tg_session_get_type ())
G_DECLARE_FINAL_TYPE (TgSession, tg_session, TG, SESSION, GObject)

/*
 * TgSession: everything the windows need to talk to one server — the token
 * manager, the API client, the request log, the demo controls when the server
 * has them, and the built-in demo server when that is the one in use.
 */
void            tg_session_new_async          (const char          *server_uri,
                                               TgAuthProtocolKind   protocol,
                                               GSettings           *settings,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
TgSession      *tg_session_new_finish         (GAsyncResult        *result,
                                               GError             **error);

gboolean        tg_session_is_builtin         (TgSession           *self);
const char     *tg_session_get_server_uri     (TgSession           *self);
TgAuthProtocolKind tg_session_get_protocol_kind (TgSession         *self);
gboolean        tg_session_matches            (TgSession           *self,
                                               const char          *server_uri,
                                               TgAuthProtocolKind   protocol);
TgTokenManager *tg_session_get_manager        (TgSession           *self);
TgApiClient    *tg_session_get_client         (TgSession           *self);
TgRequestLog   *tg_session_get_request_log    (TgSession           *self);
TgDemoControls *tg_session_get_demo_controls  (TgSession           *self);
void            tg_session_shutdown           (TgSession           *self);

G_END_DECLS
