/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include <gio/gio.h>

#include "tg-version-macros.h"

G_BEGIN_DECLS

/**
 * TgProvider:
 *
 * An identity provider as its published metadata describes it: its issuer
 * and its endpoints, found by tg_provider_discover_async() from OpenID
 * Connect Discovery 1.0 or, failing that, OAuth 2.0 Authorization Server
 * Metadata (RFC 8414).
 *
 * Give one to tg_client_config_set_provider() to sign in and refresh there,
 * and to tg_browser_sign_in_new() to sign in through the system browser.
 * A provider is immutable.
 */
#define TG_TYPE_PROVIDER (tg_provider_get_type ())
TG_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (TgProvider, tg_provider, TG, PROVIDER, GObject)

TG_AVAILABLE_IN_ALL
void        tg_provider_discover_async                (const char          *issuer,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
TG_AVAILABLE_IN_ALL
TgProvider *tg_provider_discover_finish               (GAsyncResult        *result,
                                                       GError             **error);

TG_AVAILABLE_IN_ALL
const char *tg_provider_get_issuer                    (TgProvider          *self);
TG_AVAILABLE_IN_ALL
const char *tg_provider_get_authorization_endpoint    (TgProvider          *self);
TG_AVAILABLE_IN_ALL
const char *tg_provider_get_token_endpoint            (TgProvider          *self);
TG_AVAILABLE_IN_ALL
const char *tg_provider_get_revocation_endpoint       (TgProvider          *self);
TG_AVAILABLE_IN_ALL
const char *tg_provider_get_userinfo_endpoint         (TgProvider          *self);
TG_AVAILABLE_IN_ALL
const char *tg_provider_get_end_session_endpoint      (TgProvider          *self);
TG_AVAILABLE_IN_ALL
gboolean    tg_provider_get_sends_issuer_in_response  (TgProvider          *self);

G_END_DECLS
