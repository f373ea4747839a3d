/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include "tg-api-client.h"
#include "tg-transport-private.h"

G_BEGIN_DECLS

TgApiClient   *tg_api_client_new_with_transport (TgTokenManager  *manager,
                                                const char      *base_uri,
                                                TgTransport     *transport,
                                                GError         **error);

G_END_DECLS
