/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include <gio/gio.h>

#include "tg-token-manager.h"
#include "tg-version-macros.h"

G_BEGIN_DECLS

/* Who is signed in, from the provider's userinfo endpoint (OpenID Connect
 * Core 1.0 §5.3), as a name to show. */

TG_AVAILABLE_IN_ALL
void   tg_user_info_fetch_name_async  (TgTokenManager       *manager,
                                       const char           *userinfo_endpoint,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
TG_AVAILABLE_IN_ALL
char  *tg_user_info_fetch_name_finish (GAsyncResult         *result,
                                       GError              **error);
TG_AVAILABLE_IN_ALL
char  *tg_user_info_parse_name        (GBytes               *body,
                                       GError              **error);

G_END_DECLS
