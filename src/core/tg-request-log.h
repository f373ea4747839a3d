/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include <gio/gio.h>
#include "tg-version-macros.h"

G_BEGIN_DECLS

/**
 * TgRequestKind:
 * @TG_REQUEST_KIND_SIGN_IN: a sign-in at the token endpoint
 * @TG_REQUEST_KIND_RESOURCE: an authorized request (attempt 1, or 2 for its retry)
 * @TG_REQUEST_KIND_REFRESH: a token refresh
 * @TG_REQUEST_KIND_REVOKE: a revocation at sign-out
 */
typedef enum {
  TG_REQUEST_KIND_SIGN_IN,
  TG_REQUEST_KIND_RESOURCE,
  TG_REQUEST_KIND_REFRESH,
  TG_REQUEST_KIND_REVOKE,
} TgRequestKind;

#define TG_TYPE_REQUEST_RECORD (tg_request_record_get_type ())
TG_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (TgRequestRecord, tg_request_record, TG, REQUEST_RECORD, GObject)

TG_AVAILABLE_IN_ALL
guint          tg_request_record_get_request_id  (TgRequestRecord *self);
TG_AVAILABLE_IN_ALL
guint          tg_request_record_get_attempt     (TgRequestRecord *self);
TG_AVAILABLE_IN_ALL
TgRequestKind  tg_request_record_get_kind        (TgRequestRecord *self);
TG_AVAILABLE_IN_ALL
const char    *tg_request_record_get_method      (TgRequestRecord *self);
TG_AVAILABLE_IN_ALL
const char    *tg_request_record_get_path        (TgRequestRecord *self);
TG_AVAILABLE_IN_ALL
guint          tg_request_record_get_status      (TgRequestRecord *self);
TG_AVAILABLE_IN_ALL
guint          tg_request_record_get_generation  (TgRequestRecord *self);
TG_AVAILABLE_IN_ALL
gint64         tg_request_record_get_start_time  (TgRequestRecord *self);
TG_AVAILABLE_IN_ALL
gint64         tg_request_record_get_end_time    (TgRequestRecord *self);
TG_AVAILABLE_IN_ALL
gboolean       tg_request_record_is_finished     (TgRequestRecord *self);
TG_AVAILABLE_IN_ALL
const char    *tg_request_record_get_error_message (TgRequestRecord *self);

/**
 * TgRequestSummary:
 * @requests: logical resource requests
 * @succeeded: those that ended 2xx/3xx on their last attempt
 * @failed: those that ended otherwise
 * @http_messages: every exchange, refreshes and retries included
 * @resource_401: resource answers with 401
 * @refreshes: token refreshes
 * @retries: attempt-2 resource exchanges
 * @stale_sends: resource sends that left while a refresh of their token's
 *   generation was under way or done
 * @first_401_time: when the first 401 ended, in monotonic µs; 0 if none
 * @last_retry_end: when the last retry ended, in monotonic µs; 0 if none
 * @first_start: when the first exchange began, in monotonic µs
 * @last_end: when the last exchange ended, in monotonic µs
 *
 * What a run of records adds up to: the numbers behind "3 × 401 → 1 refresh →
 * 3 retried, all OK" and the CLI's JSON. Filled by
 * tg_request_log_summarize().
 */
typedef struct {
  guint  requests;
  guint  succeeded;
  guint  failed;
  guint  http_messages;
  guint  resource_401;
  guint  refreshes;
  guint  retries;
  guint  stale_sends;
  gint64 first_401_time;
  gint64 last_retry_end;
  gint64 first_start;
  gint64 last_end;
} TgRequestSummary;

#define TG_TYPE_REQUEST_SUMMARY (tg_request_summary_get_type ())

TG_AVAILABLE_IN_ALL
GType             tg_request_summary_get_type (void) G_GNUC_CONST;
TG_AVAILABLE_IN_ALL
TgRequestSummary *tg_request_summary_copy     (const TgRequestSummary *summary);
TG_AVAILABLE_IN_ALL
void              tg_request_summary_free     (TgRequestSummary       *summary);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgRequestSummary, tg_request_summary_free)

#define TG_TYPE_REQUEST_LOG (tg_request_log_get_type ())
TG_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (TgRequestLog, tg_request_log, TG, REQUEST_LOG, GObject)

TG_AVAILABLE_IN_ALL
TgRequestLog    *tg_request_log_new        (void);
TG_AVAILABLE_IN_ALL
void             tg_request_log_clear      (TgRequestLog     *self);
TG_AVAILABLE_IN_ALL
void             tg_request_log_summarize  (TgRequestLog     *self,
                                            guint             from_position,
                                            TgRequestSummary *summary);

G_END_DECLS
