/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char   *tg_base64url_encode (const guint8 *data,
                             gsize         len);
guint8 *tg_base64url_decode (const char   *text,
                             gssize        text_len,
                             gsize        *out_len);

G_END_DECLS
