/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include <gio/gio.h>

#include "tg-auth-protocol.h"
#include "tg-request-log.h"
#include "tg-token-store.h"
#include "tg-tokens.h"
#include "tg-version-macros.h"

G_BEGIN_DECLS

/**
 * TgTokenState:
 * @TG_TOKEN_STATE_SIGNED_OUT: no tokens
 * @TG_TOKEN_STATE_VALID: a token pair is installed and no refresh is under way
 * @TG_TOKEN_STATE_REFRESHING: the one refresh is in flight (or, with the canary
 *   policy, its first retry is being tried); the gate is closed
 */
typedef enum {
  TG_TOKEN_STATE_SIGNED_OUT,
  TG_TOKEN_STATE_VALID,
  TG_TOKEN_STATE_REFRESHING,
} TgTokenState;

/**
 * TgRetryPolicy:
 * @TG_RETRY_POLICY_ALL: after a refresh, release every waiter at once
 * @TG_RETRY_POLICY_CANARY: retry the first waiter alone; release the others
 *   only if its retry is not rejected
 */
typedef enum {
  TG_RETRY_POLICY_ALL,
  TG_RETRY_POLICY_CANARY,
} TgRetryPolicy;

/**
 * TgTokenManager:
 *
 * Holds a session's tokens and runs its one refresh.
 *
 * The manager signs in with a #TgAuthProtocol, keeps the token pair (and,
 * with a #TgTokenStore, saves it), and counts a *generation* that goes up each
 * time a new access token is installed. When a request is rejected, every
 * caller that needs a new token joins the same refresh; a 401 for a token
 * that has already been replaced is simply sent again. Only a refresh token
 * the server no longer accepts ends the session
 * (#TgTokenManager::session-expired); a network error keeps it.
 *
 * Send requests with a #TgApiClient made for the manager, and watch
 * #TgTokenManager:state, #TgTokenManager:generation and the
 * #TgTokenManager:request-log to show what happens.
 */
#define TG_TYPE_TOKEN_MANAGER (tg_token_manager_get_type ())
TG_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (TgTokenManager, tg_token_manager, TG, TOKEN_MANAGER, GObject)

TG_AVAILABLE_IN_ALL
TgTokenManager *tg_token_manager_new               (TgAuthProtocol       *protocol,
                                                    TgTokenStore         *store,
                                                    const char           *account);

TG_AVAILABLE_IN_ALL
TgAuthProtocol *tg_token_manager_get_protocol      (TgTokenManager       *self);
TG_AVAILABLE_IN_ALL
TgRequestLog   *tg_token_manager_get_request_log   (TgTokenManager       *self);
TG_AVAILABLE_IN_ALL
TgTokenState    tg_token_manager_get_state         (TgTokenManager       *self);
TG_AVAILABLE_IN_ALL
guint           tg_token_manager_get_generation    (TgTokenManager       *self);
TG_AVAILABLE_IN_ALL
gint64          tg_token_manager_get_expires_at    (TgTokenManager       *self);
TG_AVAILABLE_IN_ALL
gint64          tg_token_manager_get_refresh_due_at (TgTokenManager      *self);
TG_AVAILABLE_IN_ALL
char           *tg_token_manager_dup_access_token  (TgTokenManager       *self);

TG_AVAILABLE_IN_ALL
void            tg_token_manager_sign_in_async     (TgTokenManager       *self,
                                                    const char           *user_name,
                                                    const char           *password,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
TG_AVAILABLE_IN_ALL
gboolean        tg_token_manager_sign_in_finish    (TgTokenManager       *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
TG_AVAILABLE_IN_ALL
void            tg_token_manager_restore_async     (TgTokenManager       *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
TG_AVAILABLE_IN_ALL
gboolean        tg_token_manager_restore_finish    (TgTokenManager       *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
TG_AVAILABLE_IN_ALL
void            tg_token_manager_sign_out_async    (TgTokenManager       *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
TG_AVAILABLE_IN_ALL
gboolean        tg_token_manager_sign_out_finish   (TgTokenManager       *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

TG_AVAILABLE_IN_ALL
void            tg_token_manager_replace_access_token (TgTokenManager    *self,
                                                    const char           *access_token);

G_END_DECLS
