/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include <gio/gio.h>

#include "tg-version-macros.h"

G_BEGIN_DECLS

TG_AVAILABLE_IN_ALL
gboolean  tg_error_is_unreachable (const GError *error);
TG_AVAILABLE_IN_ALL
char     *tg_error_body_describe  (GBytes       *body);

G_END_DECLS
