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
/* The burst's default request path on the built-in server. */
#define TG_SESSION_DEFAULT_PATH_FORMAT "/api/resources/%u"

/* A browser sign-in's provider and client, and the API the burst goes to. */
typedef struct {
  const char *issuer;         /* nullable: the built-in server (which has its
                                 own client, scope and API) */
  const char *client_id;      /* the client registered at the provider */
  const char *client_secret;  /* nullable: a public client has none */
  const char *scope;          /* nullable */
  const char *api_uri;        /* nullable: the issuer */
  const char *path_format;    /* nullable: TG_SESSION_DEFAULT_PATH_FORMAT */
} TgSessionProviderOptions;

void            tg_session_new_async          (const char          *server_uri,
                                               TgAuthProtocolKind   protocol,
                                               GSettings           *settings,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
void            tg_session_new_for_provider_async (const TgSessionProviderOptions *options,
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
TgProvider     *tg_session_get_provider       (TgSession           *self);
char           *tg_session_format_request_path (TgSession          *self,
                                               guint                index);
char           *tg_session_describe           (TgSession           *self,
                                               const char          *user_name);
void            tg_session_shutdown           (TgSession           *self);

G_END_DECLS
