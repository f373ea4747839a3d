/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include "tg-api-client.h"
#include "tg-request-log.h"
#include "tg-version-macros.h"

G_BEGIN_DECLS

/* Longest path format (and substituted path) a burst accepts, in bytes. */
#define TG_BURST_MAX_PATH_LENGTH 2048

/**
 * TgBurstOutcome:
 * @path: the path the request was sent to
 * @status: the HTTP status of its last attempt; 0 if no answer came
 * @first_status: the HTTP status of its first attempt; 0 if no answer came
 * @attempts: HTTP exchanges it took: 0 (never sent), 1, or 2 (retried after
 *   a refresh)
 * @error_message: (nullable): why it failed, if it ended with an error rather
 *   than a response
 *
 * What became of one request of a burst.
 */
typedef struct {
  char  *path;
  guint  status;
  guint  first_status;
  guint  attempts;
  char  *error_message;
} TgBurstOutcome;

/**
 * TgBurstResult:
 * @summary: the request log's summary of every exchange added during the
 *   burst (refreshes included; the sign-in before it is not)
 * @requests: requests fired
 * @succeeded: requests that ended with a 2xx response
 * @failed: the others (an error, or a response that is not 2xx)
 * @sign_outs: times the token manager emitted #TgTokenManager::session-expired
 *   during the burst
 * @refreshes_joined: callers that joined a refresh already in flight
 * @stale_401s: 401s answered with a newer token, without a refresh
 * @wall_us: from the first send to the last completion, in µs
 * @recovery_us: from the end of the first 401 to the end of the last retry,
 *   in µs; 0 when there was no 401 or no retry
 * @outcomes: (type gpointer): one per request, in request
 *   order, @n_outcomes of them (bindings read them with
 *   tg_burst_result_get_outcome())
 * @n_outcomes: equal to @requests
 *
 * What a burst adds up to: the numbers behind "3 × 401 → 1 refresh → 3
 * retried, all OK".
 */
typedef struct {
  TgRequestSummary  summary;
  guint             requests;
  guint             succeeded;
  guint             failed;
  guint             sign_outs;
  guint             refreshes_joined;
  guint             stale_401s;
  gint64            wall_us;
  gint64            recovery_us;
  TgBurstOutcome   *outcomes;
  guint             n_outcomes;
} TgBurstResult;

#define TG_TYPE_BURST_OUTCOME (tg_burst_outcome_get_type ())

TG_AVAILABLE_IN_ALL
GType           tg_burst_outcome_get_type (void) G_GNUC_CONST;
TG_AVAILABLE_IN_ALL
TgBurstOutcome *tg_burst_outcome_copy     (const TgBurstOutcome *outcome);
TG_AVAILABLE_IN_ALL
void            tg_burst_outcome_free     (TgBurstOutcome       *outcome);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgBurstOutcome, tg_burst_outcome_free)

#define TG_TYPE_BURST_RESULT (tg_burst_result_get_type ())

TG_AVAILABLE_IN_ALL
GType          tg_burst_result_get_type (void) G_GNUC_CONST;
TG_AVAILABLE_IN_ALL
TgBurstResult *tg_burst_result_copy     (const TgBurstResult *result);
TG_AVAILABLE_IN_ALL
void           tg_burst_result_free     (TgBurstResult       *result);

TG_AVAILABLE_IN_ALL
const TgBurstOutcome *tg_burst_result_get_outcome (const TgBurstResult *result,
                                                   guint                index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgBurstResult, tg_burst_result_free)

TG_AVAILABLE_IN_ALL
gboolean       tg_burst_check_path_format (const char          *path_format,
                                           GError             **error);
TG_AVAILABLE_IN_ALL
char          *tg_burst_format_path       (const char          *path_format,
                                           guint                index,
                                           GError             **error);

TG_AVAILABLE_IN_ALL
void           tg_burst_run_async         (TgApiClient         *client,
                                           guint                n,
                                           const char          *path_format,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
TG_AVAILABLE_IN_ALL
TgBurstResult *tg_burst_run_finish        (GAsyncResult        *result,
                                           GError             **error);

G_END_DECLS
