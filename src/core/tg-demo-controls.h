/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include "tg-version-macros.h"

G_BEGIN_DECLS

/**
 * TgDemoSettings:
 * @latency_ms: delay added to every API answer, in ms
 * @jitter_ms: random extra delay (0 to @jitter_ms ms) added to it
 * @refresh_latency_ms: delay added to every refresh
 * @access_ttl: lifetime of new access tokens, in seconds
 * @reuse_grace: seconds during which a used refresh token presented again
 *   gets the same new pair instead of ending the session; 0 for none
 *
 * The demo server settings a client may change. A member set to
 * %TG_DEMO_SETTING_UNSET is not sent, so the server keeps its value; start
 * from %TG_DEMO_SETTINGS_INIT.
 */
typedef struct {
  gint64 latency_ms;
  gint64 jitter_ms;
  gint64 refresh_latency_ms;
  gint64 access_ttl;
  gint64 reuse_grace;
} TgDemoSettings;

#define TG_DEMO_SETTING_UNSET ((gint64) -1)
#define TG_DEMO_SETTINGS_INIT { TG_DEMO_SETTING_UNSET, TG_DEMO_SETTING_UNSET, \
                                TG_DEMO_SETTING_UNSET, TG_DEMO_SETTING_UNSET, \
                                TG_DEMO_SETTING_UNSET }

/**
 * TgDemoRefreshFault:
 * @TG_DEMO_REFRESH_FAULT_NONE: no fault: disarms the one that is armed
 * @TG_DEMO_REFRESH_FAULT_DROP: the connection is closed without an answer,
 *   before the refresh is processed (the refresh token stays valid)
 * @TG_DEMO_REFRESH_FAULT_LOST_ANSWER: the refresh is processed and committed
 *   (the refresh token is used up), then the connection is closed without an
 *   answer
 *
 * What the demo server does to the next refreshes; see
 * tg_demo_controls_arm_refresh_fault_async().
 */
typedef enum {
  TG_DEMO_REFRESH_FAULT_NONE,
  TG_DEMO_REFRESH_FAULT_DROP,
  TG_DEMO_REFRESH_FAULT_LOST_ANSWER,
} TgDemoRefreshFault;

/**
 * TgDemoControls:
 *
 * The Tokengate demo server's `/demo/` endpoints: expire every access token
 * now, revoke every session, change latency and token lifetimes, make the
 * next refreshes fail. For demonstrations and tests; a real server has none
 * of them.
 */
#define TG_TYPE_DEMO_CONTROLS (tg_demo_controls_get_type ())
TG_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (TgDemoControls, tg_demo_controls, TG, DEMO_CONTROLS, GObject)

TG_AVAILABLE_IN_ALL
TgDemoControls *tg_demo_controls_new                        (const char           *base_uri,
                                                             GError              **error);
TG_AVAILABLE_IN_ALL
const char     *tg_demo_controls_get_base_uri               (TgDemoControls       *self);

TG_AVAILABLE_IN_ALL
void            tg_demo_controls_expire_access_tokens_async  (TgDemoControls       *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
TG_AVAILABLE_IN_ALL
gboolean        tg_demo_controls_expire_access_tokens_finish (TgDemoControls       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
TG_AVAILABLE_IN_ALL
void            tg_demo_controls_revoke_sessions_async      (TgDemoControls       *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
TG_AVAILABLE_IN_ALL
gboolean        tg_demo_controls_revoke_sessions_finish     (TgDemoControls       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
TG_AVAILABLE_IN_ALL
void            tg_demo_controls_set_settings_async         (TgDemoControls       *self,
                                                             const TgDemoSettings *settings,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
TG_AVAILABLE_IN_ALL
JsonObject     *tg_demo_controls_set_settings_finish        (TgDemoControls       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
TG_AVAILABLE_IN_ALL
void            tg_demo_controls_arm_refresh_fault_async    (TgDemoControls       *self,
                                                             TgDemoRefreshFault    fault,
                                                             guint                 count,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
TG_AVAILABLE_IN_ALL
JsonObject     *tg_demo_controls_arm_refresh_fault_finish   (TgDemoControls       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
TG_AVAILABLE_IN_ALL
void            tg_demo_controls_get_stats_async            (TgDemoControls       *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
TG_AVAILABLE_IN_ALL
JsonObject     *tg_demo_controls_get_stats_finish           (TgDemoControls       *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);

G_END_DECLS
