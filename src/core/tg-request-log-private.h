/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include "tg-request-log.h"

G_BEGIN_DECLS

TgRequestRecord *tg_request_log_begin      (TgRequestLog     *self,
                                            TgRequestKind     kind,
                                            guint             request_id,
                                            guint             attempt,
                                            const char       *method,
                                            const char       *path,
                                            guint             generation);
void             tg_request_log_end        (TgRequestLog     *self,
                                            TgRequestRecord  *record,
                                            guint             status,
                                            const GError     *error);
guint            tg_request_log_next_request_id (TgRequestLog *self);
G_END_DECLS
