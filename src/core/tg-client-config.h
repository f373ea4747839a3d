/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include <gio/gio.h>

#include "tg-api-client.h"
#include "tg-auth-protocol.h"
#include "tg-provider.h"
#include "tg-token-manager.h"
#include "tg-token-store.h"
#include "tg-version-macros.h"

G_BEGIN_DECLS

#define TG_TYPE_CLIENT_CONFIG (tg_client_config_get_type ())
TG_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (TgClientConfig, tg_client_config, TG, CLIENT_CONFIG, GObject)

TG_AVAILABLE_IN_ALL
TgClientConfig     *tg_client_config_new                     (void);

TG_AVAILABLE_IN_ALL
const char         *tg_client_config_get_server_uri          (TgClientConfig      *self);
TG_AVAILABLE_IN_ALL
gboolean            tg_client_config_set_server_uri          (TgClientConfig      *self,
                                                              const char          *server_uri,
                                                              GError             **error);
TG_AVAILABLE_IN_ALL
TgAuthProtocolKind  tg_client_config_get_protocol_kind       (TgClientConfig      *self);
TG_AVAILABLE_IN_ALL
void                tg_client_config_set_protocol_kind       (TgClientConfig      *self,
                                                              TgAuthProtocolKind   kind);
TG_AVAILABLE_IN_ALL
const char         *tg_client_config_get_token_endpoint      (TgClientConfig      *self);
TG_AVAILABLE_IN_ALL
gboolean            tg_client_config_set_token_endpoint      (TgClientConfig      *self,
                                                              const char          *token_endpoint,
                                                              GError             **error);
TG_AVAILABLE_IN_ALL
const char         *tg_client_config_get_revocation_endpoint (TgClientConfig      *self);
TG_AVAILABLE_IN_ALL
gboolean            tg_client_config_set_revocation_endpoint (TgClientConfig      *self,
                                                              const char          *revocation_endpoint,
                                                              GError             **error);
TG_AVAILABLE_IN_ALL
TgProvider         *tg_client_config_get_provider            (TgClientConfig      *self);
TG_AVAILABLE_IN_ALL
gboolean            tg_client_config_set_provider            (TgClientConfig      *self,
                                                              TgProvider          *provider,
                                                              GError             **error);
TG_AVAILABLE_IN_ALL
const char         *tg_client_config_get_client_id           (TgClientConfig      *self);
TG_AVAILABLE_IN_ALL
void                tg_client_config_set_client_id           (TgClientConfig      *self,
                                                              const char          *client_id);
TG_AVAILABLE_IN_ALL
void                tg_client_config_set_client_secret       (TgClientConfig      *self,
                                                              const char          *client_secret);
TG_AVAILABLE_IN_ALL
const char         *tg_client_config_get_scope               (TgClientConfig      *self);
TG_AVAILABLE_IN_ALL
void                tg_client_config_set_scope               (TgClientConfig      *self,
                                                              const char          *scope);
TG_AVAILABLE_IN_ALL
char               *tg_client_config_dup_account             (TgClientConfig      *self);
TG_AVAILABLE_IN_ALL
void                tg_client_config_set_account             (TgClientConfig      *self,
                                                              const char          *account);
TG_AVAILABLE_IN_ALL
TgTokenStore       *tg_client_config_get_store               (TgClientConfig      *self);
TG_AVAILABLE_IN_ALL
void                tg_client_config_set_store               (TgClientConfig      *self,
                                                              TgTokenStore        *store);
TG_AVAILABLE_IN_ALL
gboolean            tg_client_config_get_use_default_store   (TgClientConfig      *self);
TG_AVAILABLE_IN_ALL
void                tg_client_config_set_use_default_store   (TgClientConfig      *self,
                                                              gboolean             use_default_store);
TG_AVAILABLE_IN_ALL
TgRetryPolicy       tg_client_config_get_retry_policy        (TgClientConfig      *self);
TG_AVAILABLE_IN_ALL
void                tg_client_config_set_retry_policy        (TgClientConfig      *self,
                                                              TgRetryPolicy        policy);
TG_AVAILABLE_IN_ALL
gboolean            tg_client_config_get_proactive           (TgClientConfig      *self);
TG_AVAILABLE_IN_ALL
void                tg_client_config_set_proactive           (TgClientConfig      *self,
                                                              gboolean             proactive);

TG_AVAILABLE_IN_ALL
void                tg_client_config_build_async             (TgClientConfig      *self,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
TG_AVAILABLE_IN_ALL
TgApiClient        *tg_client_config_build_finish            (TgClientConfig      *self,
                                                              GAsyncResult        *result,
                                                              GError             **error);

G_END_DECLS
