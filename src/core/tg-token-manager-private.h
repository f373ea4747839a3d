/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. The API client reaches the gate
 * through these. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include "tg-clock-private.h"
#include "tg-token-manager.h"

G_BEGIN_DECLS

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

/* The browser sign-in's last step: the code it brought, exchanged for a
 * session as a password sign-in is (tg-browser-sign-in.c). */
void            tg_token_manager_sign_in_with_code_async  (TgTokenManager      *self,
                                                           const char          *code,
                                                           const char          *redirect_uri,
                                                           const char          *code_verifier,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
gboolean        tg_token_manager_sign_in_with_code_finish (TgTokenManager      *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);
gboolean        tg_token_manager_has_refresh_token        (TgTokenManager      *self);

G_END_DECLS
