/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * TgJsonCheckFlags:
 * @TG_JSON_CHECK_NONE: only the shape
 * @TG_JSON_CHECK_REFUSE_NUL: also refuse a `\u0000` escape in a string
 */
typedef enum {
  TG_JSON_CHECK_NONE       = 0,
  TG_JSON_CHECK_REFUSE_NUL = 1 << 0,
} TgJsonCheckFlags;

gboolean tg_json_check_text (const char        *data,
                             gsize              len,
                             guint              max_depth,
                             TgJsonCheckFlags   flags,
                             GError           **error);

G_END_DECLS
