/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include "tg-errors.h"

G_BEGIN_DECLS

char *_tg_sanitize_text (const char *text,
                         guint       max_chars);

G_END_DECLS
