/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include <gio/gio.h>

#include "tg-provider.h"
#include "tg-token-manager.h"
#include "tg-version-macros.h"

G_BEGIN_DECLS

/**
 * TgBrowserSignIn:
 *
 * Signs a #TgTokenManager in through the system web browser: OAuth 2.0
 * Authorization Code with PKCE (RFC 7636) for native apps (RFC 8252).
 *
 * tg_browser_sign_in_run_async() listens on `http://127.0.0.1:PORT/callback`
 * (an ephemeral port unless #TgBrowserSignIn:redirect-uri names one), opens
 * the provider's sign-in page in the default browser, and waits for the
 * browser to come back with a code, which it exchanges for the session. The
 * page's address is #TgBrowserSignIn:authorization-uri as soon as the
 * listener is up, for a program that shows it rather than opening a browser
 * (#TgBrowserSignIn:open-browser).
 *
 * One sign-in runs at a time; a #TgBrowserSignIn may be run again after the
 * last run has finished.
 */
#define TG_TYPE_BROWSER_SIGN_IN (tg_browser_sign_in_get_type ())
TG_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (TgBrowserSignIn, tg_browser_sign_in, TG, BROWSER_SIGN_IN, GObject)

TG_AVAILABLE_IN_ALL
TgBrowserSignIn *tg_browser_sign_in_new                    (TgTokenManager       *manager,
                                                            TgProvider           *provider);

TG_AVAILABLE_IN_ALL
const char      *tg_browser_sign_in_get_redirect_uri       (TgBrowserSignIn      *self);
TG_AVAILABLE_IN_ALL
gboolean         tg_browser_sign_in_set_redirect_uri       (TgBrowserSignIn      *self,
                                                            const char           *redirect_uri,
                                                            GError              **error);
TG_AVAILABLE_IN_ALL
guint            tg_browser_sign_in_get_timeout            (TgBrowserSignIn      *self);
TG_AVAILABLE_IN_ALL
void             tg_browser_sign_in_set_timeout            (TgBrowserSignIn      *self,
                                                            guint                 seconds);
TG_AVAILABLE_IN_ALL
gboolean         tg_browser_sign_in_get_open_browser       (TgBrowserSignIn      *self);
TG_AVAILABLE_IN_ALL
void             tg_browser_sign_in_set_open_browser       (TgBrowserSignIn      *self,
                                                            gboolean              open_browser);
TG_AVAILABLE_IN_ALL
const char      *tg_browser_sign_in_get_authorization_uri  (TgBrowserSignIn      *self);
TG_AVAILABLE_IN_ALL
gboolean         tg_browser_sign_in_get_refresh_token_issued (TgBrowserSignIn    *self);

TG_AVAILABLE_IN_ALL
void             tg_browser_sign_in_run_async              (TgBrowserSignIn      *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
TG_AVAILABLE_IN_ALL
gboolean         tg_browser_sign_in_run_finish             (TgBrowserSignIn      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);

G_END_DECLS
