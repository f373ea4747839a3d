/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "tg-auth-protocol.h"
#include "tg-clock.h"
#include "tg-request-log.h"
#include "tg-token-store.h"
#include "tg-tokens.h"

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
 * TgRetryVerdict:
 *
 * What became of a request retried with a refreshed token, reported back by
 * the API client: a rejected retry ends the session, and the canary policy
 * waits for the first one.
 */
typedef enum {
  TG_RETRY_VERDICT_ACCEPTED,
  TG_RETRY_VERDICT_REJECTED,
  TG_RETRY_VERDICT_INCONCLUSIVE,
} TgRetryVerdict;

/**
 * TgTokenGrant:
 *
 * What the gate hands a request: the access token to stamp and its generation.
 * @canary is %TRUE for the one retry the canary policy lets through first.
 */
typedef struct {
  char     *access_token;
  guint     generation;
  gboolean  canary;
} TgTokenGrant;

void tg_token_grant_clear (TgTokenGrant *grant);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TgTokenGrant, tg_token_grant_clear)

#define TG_TYPE_TOKEN_MANAGER (tg_token_manager_get_type ())
G_DECLARE_FINAL_TYPE (TgTokenManager, tg_token_manager, TG, TOKEN_MANAGER, GObject)

TgTokenManager *tg_token_manager_new               (TgAuthProtocol       *protocol,
                                                    TgTokenStore         *store,
                                                    const char           *account);

TgAuthProtocol *tg_token_manager_get_protocol      (TgTokenManager       *self);
TgRequestLog   *tg_token_manager_get_request_log   (TgTokenManager       *self);
TgTokenState    tg_token_manager_get_state         (TgTokenManager       *self);
guint           tg_token_manager_get_generation    (TgTokenManager       *self);
gint64          tg_token_manager_get_expires_at    (TgTokenManager       *self);
gint64          tg_token_manager_get_refresh_due_at (TgTokenManager      *self);
char           *tg_token_manager_dup_access_token  (TgTokenManager       *self);

void            tg_token_manager_sign_in_async     (TgTokenManager       *self,
                                                    const char           *user_name,
                                                    const char           *password,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean        tg_token_manager_sign_in_finish    (TgTokenManager       *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
void            tg_token_manager_restore_async     (TgTokenManager       *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean        tg_token_manager_restore_finish    (TgTokenManager       *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
void            tg_token_manager_sign_out_async    (TgTokenManager       *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean        tg_token_manager_sign_out_finish   (TgTokenManager       *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

gboolean        tg_token_manager_try_get_token     (TgTokenManager       *self,
                                                    TgTokenGrant         *out_grant);
void            tg_token_manager_await_token_async (TgTokenManager       *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean        tg_token_manager_await_token_finish (TgTokenManager      *self,
                                                    GAsyncResult         *result,
                                                    TgTokenGrant         *out_grant,
                                                    GError              **error);
void            tg_token_manager_refresh_async     (TgTokenManager       *self,
                                                    guint                 stale_generation,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean        tg_token_manager_refresh_finish    (TgTokenManager       *self,
                                                    GAsyncResult         *result,
                                                    TgTokenGrant         *out_grant,
                                                    GError              **error);
void            tg_token_manager_report_retry      (TgTokenManager       *self,
                                                    const TgTokenGrant   *grant,
                                                    TgRetryVerdict        verdict);
void            tg_token_manager_replace_access_token (TgTokenManager    *self,
                                                    const char           *access_token);

G_END_DECLS
