/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include <libsoup/soup.h>

#include "tg-version-macros.h"

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
 *
 * The answer to a request sent with tg_api_client_send_async() or
 * tg_api_client_get_async(): that of its last attempt.
 */
typedef struct {
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
  guint               attempts;
  guint               request_id;
} TgApiResponse;

TG_AVAILABLE_IN_ALL
GType          tg_api_response_get_type (void) G_GNUC_CONST;
TG_AVAILABLE_IN_ALL
TgApiResponse *tg_api_response_copy     (const TgApiResponse *response);
TG_AVAILABLE_IN_ALL
void           tg_api_response_free     (TgApiResponse       *response);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgApiResponse, tg_api_response_free)

/**
 * TgApiClient:
 *
 * Sends authorized requests with the tokens of a #TgTokenManager.
 *
 * A request waits for a free slot, takes the current access token at the
 * manager's gate and goes out with `Authorization: Bearer`. When the answer
 * is a 401 that a new token can fix, the request waits for the manager's one
 * refresh — however many requests failed together, there is only one — and
 * is sent once more. Bodies are kept as #GBytes so that a retry sends the same
 * bytes.
 *
 * ```c
 * tg_api_client_get_async (client, "/api/resources/1", NULL, on_response, self);
 * ```
 */
#define TG_TYPE_API_CLIENT (tg_api_client_get_type ())
TG_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (TgApiClient, tg_api_client, TG, API_CLIENT, GObject)

TG_AVAILABLE_IN_ALL
TgApiClient   *tg_api_client_new          (TgTokenManager       *manager,
                                           const char           *base_uri,
                                           GError              **error);
TG_AVAILABLE_IN_ALL
char          *tg_api_client_join_uri     (const char           *base_uri,
                                           const char           *path);
TG_AVAILABLE_IN_ALL
TgTokenManager *tg_api_client_get_manager (TgApiClient          *self);
TG_AVAILABLE_IN_ALL
SoupSession   *tg_api_client_get_session  (TgApiClient          *self);
TG_AVAILABLE_IN_ALL
void           tg_api_client_send_async   (TgApiClient          *self,
                                           const char           *method,
                                           const char           *path,
                                           const char           *content_type,
                                           GBytes               *body,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
TG_AVAILABLE_IN_ALL
TgApiResponse *tg_api_client_send_finish  (TgApiClient          *self,
                                           GAsyncResult         *result,
                                           GError              **error);
TG_AVAILABLE_IN_ALL
void           tg_api_client_get_async    (TgApiClient          *self,
                                           const char           *path,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
TG_AVAILABLE_IN_ALL
TgApiResponse *tg_api_client_get_finish   (TgApiClient          *self,
                                           GAsyncResult         *result,
                                           GError              **error);

G_END_DECLS
