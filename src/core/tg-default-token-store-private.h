/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* For the tests: how long one attempt to reach the secret portal may take. */
void _tg_token_store_set_portal_attempt_ms (guint ms);

G_END_DECLS
