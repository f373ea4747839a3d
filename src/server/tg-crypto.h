/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Bytes of a refresh token and of the HMAC key: 256 bits. */
#define TG_CRYPTO_TOKEN_BYTES 32

void      tg_crypto_random_bytes  (guint8       *buf,
                                   gsize         len);
char     *tg_crypto_random_token  (void);
gboolean  tg_crypto_equal         (const void   *a,
                                   const void   *b,
                                   gsize         len);
char     *tg_crypto_sha256_hex    (const char   *data,
                                   gssize        len);
GBytes   *tg_crypto_load_or_create_key (const char *path,
                                        GError    **error);

G_END_DECLS
