/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include <glib.h>

G_BEGIN_DECLS

/* For the tests: how long one attempt to reach the secret portal may take. */
void _tg_token_store_set_portal_attempt_ms (guint ms);

G_END_DECLS
