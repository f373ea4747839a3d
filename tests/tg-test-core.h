/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tg-api-client-private.h"
#include "tg-auth-error.h"
#include "tg-file-token-store-private.h"
#include "tg-test-server.h"
#include "tg-token-manager-private.h"

G_BEGIN_DECLS

/* A client core talking to a server: the demo server on its own thread, or
 * any base URI (a scripted server in the test). */
typedef struct {
  TgTestServer   *server;     /* owned, nullable */
  char           *base_uri;
  char           *store_dir;  /* owned: the file store's directory */
  TgTokenStore   *store;
  TgAuthProtocol *protocol;
  TgTokenManager *manager;
  TgApiClient    *client;
  guint           sessions_expired;
  char           *expired_reason;
} TgTestCore;

typedef struct {
  guint      n;
  guint      n_done;
  guint      n_ok;         /* a response with a 2xx status */
  GPtrArray *responses;    /* TgApiResponse* or NULL, by request index */
  GPtrArray *errors;       /* GError* or NULL, by request index */
} TgTestBurst;

TgTestCore  *tg_test_core_new            (TgTestServer    *server);
TgTestCore  *tg_test_core_new_for_uri    (const char      *base_uri,
                                          TgAuthProtocol  *protocol);
void         tg_test_core_free           (TgTestCore      *core);
void         tg_test_core_sign_in        (TgTestCore      *core);
TgTestBurst *tg_test_core_burst          (TgTestCore      *core,
                                          guint            n,
                                          const char      *method,
                                          const char      *path_format);
TgTestBurst *tg_test_burst_start         (TgTestCore      *core,
                                          guint            n,
                                          const char      *method,
                                          const char      *path_format,
                                          GCancellable    *cancellable);
void         tg_test_burst_wait          (TgTestBurst     *burst);
void         tg_test_burst_free          (TgTestBurst     *burst);
gint64       tg_test_server_stat         (TgTestServer    *server,
                                          const char      *path);
void         tg_test_server_post_demo    (TgTestServer    *server,
                                          const char      *path,
                                          const char      *json);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgTestCore, tg_test_core_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgTestBurst, tg_test_burst_free)

G_END_DECLS
