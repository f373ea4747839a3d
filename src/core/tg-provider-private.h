/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include "tg-provider.h"

G_BEGIN_DECLS

/* The largest metadata document read: real ones are a few kB. */
#define TG_PROVIDER_MAX_DOCUMENT (64 * 1024)

TgProvider *_tg_provider_parse        (const char  *issuer,
                                       const char  *data,
                                       gsize        length,
                                       GError     **error);
char       *_tg_provider_metadata_uri (const char  *issuer,
                                       gboolean     openid,
                                       GError     **error);

G_END_DECLS
