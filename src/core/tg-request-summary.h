/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include "tg-request-log.h"
#include "tg-version-macros.h"

G_BEGIN_DECLS

TG_AVAILABLE_IN_ALL
char *tg_request_summary_describe (const TgRequestSummary *summary,
                                   guint                   in_flight,
                                   gboolean                session_ended);

G_END_DECLS
