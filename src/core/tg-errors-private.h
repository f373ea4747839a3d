/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tg-errors.h"

G_BEGIN_DECLS

char *_tg_sanitize_text (const char *text,
                         guint       max_chars);

G_END_DECLS
