/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tg-api-client-private.h"
#include "tg-provider-private.h"
#include "tg-token-manager-private.h"

G_BEGIN_DECLS

/* A client of a provider found by its issuer, as the browser sign-in tests
 * set one up; each call runs the caller's main context until it is done. */
gboolean       tg_test_is_set              (gpointer        data);
TgProvider    *tg_test_discover            (const char     *issuer);
TgApiClient   *tg_test_client_for          (TgProvider     *provider,
                                            const char     *client_id,
                                            const char     *scope);
TgApiClient   *tg_test_confidential_client_for (TgProvider *provider,
                                                const char *client_id,
                                                const char *client_secret,
                                                const char *scope);
TgApiResponse *tg_test_client_get          (TgApiClient    *client,
                                            const char     *path);
void           tg_test_sign_out            (TgTokenManager *manager);

G_END_DECLS
