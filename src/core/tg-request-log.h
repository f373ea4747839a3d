/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

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
G_DECLARE_FINAL_TYPE (TgRequestRecord, tg_request_record, TG, REQUEST_RECORD, GObject)

guint          tg_request_record_get_request_id  (TgRequestRecord *self);
guint          tg_request_record_get_attempt     (TgRequestRecord *self);
TgRequestKind  tg_request_record_get_kind        (TgRequestRecord *self);
const char    *tg_request_record_get_method      (TgRequestRecord *self);
const char    *tg_request_record_get_path        (TgRequestRecord *self);
guint          tg_request_record_get_status      (TgRequestRecord *self);
guint          tg_request_record_get_generation  (TgRequestRecord *self);
gint64         tg_request_record_get_start_time  (TgRequestRecord *self);
gint64         tg_request_record_get_end_time    (TgRequestRecord *self);
gboolean       tg_request_record_is_finished     (TgRequestRecord *self);
const char    *tg_request_record_get_error_message (TgRequestRecord *self);

/**
 * TgRequestSummary:
 *
 * What a run of records adds up to: the numbers behind "3 × 401 → 1 refresh →
 * 3 retried, all OK" and the CLI's JSON.
 */
typedef struct {
  guint  requests;         /* logical resource requests */
  guint  succeeded;        /* ended 2xx/3xx on their last attempt */
  guint  failed;           /* ended otherwise */
  guint  http_messages;    /* every exchange, refreshes and retries included */
  guint  resource_401;     /* resource answers with 401 */
  guint  refreshes;
  guint  retries;          /* attempt-2 resource exchanges */
  guint  stale_sends;      /* resource sends that left while a refresh of their
                              token's generation was under way or done */
  gint64 first_401_time;   /* monotonic µs; 0 if none */
  gint64 last_retry_end;   /* monotonic µs; 0 if none */
  gint64 first_start;
  gint64 last_end;
} TgRequestSummary;

#define TG_TYPE_REQUEST_LOG (tg_request_log_get_type ())
G_DECLARE_FINAL_TYPE (TgRequestLog, tg_request_log, TG, REQUEST_LOG, GObject)

TgRequestLog    *tg_request_log_new        (void);
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
void             tg_request_log_clear      (TgRequestLog     *self);
void             tg_request_log_summarize  (TgRequestLog     *self,
                                            guint             from_position,
                                            TgRequestSummary *summary);

G_END_DECLS
