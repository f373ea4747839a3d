/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "tg-token-manager.h"

G_BEGIN_DECLS

#define TG_TYPE_API_RESPONSE (tg_api_response_get_type ())

/**
 * TgApiResponse:
 * @status: the HTTP status of the last attempt
 * @headers: its response headers
 * @body: its body
 * @attempts: 1, or 2 when the request was retried after a refresh
 * @request_id: the logical request's id in the request log
 */
typedef struct {
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
  guint               attempts;
  guint               request_id;
} TgApiResponse;

GType          tg_api_response_get_type (void) G_GNUC_CONST;
TgApiResponse *tg_api_response_copy     (const TgApiResponse *response);
void           tg_api_response_free     (TgApiResponse       *response);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgApiResponse, tg_api_response_free)

#define TG_TYPE_API_CLIENT (tg_api_client_get_type ())
G_DECLARE_FINAL_TYPE (TgApiClient, tg_api_client, TG, API_CLIENT, GObject)

TgApiClient   *tg_api_client_new          (TgTokenManager       *manager,
                                           const char           *base_uri,
                                           GError              **error);
TgApiClient   *tg_api_client_new_with_transport (TgTokenManager  *manager,
                                                const char      *base_uri,
                                                TgTransport     *transport,
                                                GError         **error);
TgTokenManager *tg_api_client_get_manager (TgApiClient          *self);
SoupSession   *tg_api_client_get_session  (TgApiClient          *self);
void           tg_api_client_send_async   (TgApiClient          *self,
                                           const char           *method,
                                           const char           *path,
                                           const char           *content_type,
                                           GBytes               *body,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
TgApiResponse *tg_api_client_send_finish  (TgApiClient          *self,
                                           GAsyncResult         *result,
                                           GError              **error);
void           tg_api_client_get_async    (TgApiClient          *self,
                                           const char           *path,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
TgApiResponse *tg_api_client_get_finish   (TgApiClient          *self,
                                           GAsyncResult         *result,
                                           GError              **error);

G_END_DECLS
