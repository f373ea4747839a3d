/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgTokenManager: the token pair, its generation, and the one refresh.
 *
 * Every request passes the gate here before it is sent, and every 401 comes
 * back here before it is retried. This file reads as DESIGN.md's "The rules
 * of the token manager" do: first what the rules speak of (the session and
 * its generation, the grants handed to requests and the waiters queued for
 * them, the logged exchanges with the token endpoint), then one section per
 * rule in the rules' order, then sign-in, restore and sign-out, and last the
 * GObject parts.
 *
 * Why one file of this length: the rules are one state machine over one
 * struct (the refresh in flight, the waiter queue, the state of the gate, the
 * store's queue of writes), and each rule changes what the others see: a
 * deadline (7) turns the refresh into one that is only listened for (1), the
 * canary (5) keeps the gate (3) shut, a sign-out must fail what a refresh
 * would release (8). Split into files, every part would need the whole struct
 * and most of the others' helpers through a private header; whole, the rules
 * can be read and checked against each other from top to bottom, as the
 * simulation in tests/sim checks them.
 *
 * The rules, and where each is kept:
 *
 *  1. Single flight. At most one refresh is in flight; whoever needs one while
 *     it runs joins it (start_or_join_refresh()). A refresh whose deadline
 *     passed while its answer was still on the way keeps listening for it
 *     (Refresh.listening): the next caller that needs a refresh joins that
 *     one instead of presenting the same refresh token a second time.
 *  2. Generation check. A 401 for a token older than the current one is answered
 *     with the current token, no refresh (tg_token_manager_refresh_async()). The
 *     posts clear their shared promise in `finally`, so a late 401 starts a
 *     second refresh with an already-used refresh token. A 401 for a token of
 *     an earlier session (before a sign-out or a new sign-in) is never
 *     answered with this session's token.
 *  3. Gate. While a refresh is in flight, no token is handed out: requests wait
 *     in the same FIFO as the 401s (tg_token_manager_await_token_async()).
 *  4. Proactive refresh. A token within `expiry-skew` of its expiry is refreshed
 *     before it is handed out (token_is_fresh()); the skew is clamped to
 *     half the token's lifetime, or short-lived tokens would all be
 *     "about to expire" and every request would start a refresh. 401 handling
 *     stays as the fallback, and both paths share the single flight.
 *  5. Canary or all at once. After a refresh, release_waiters() hands the new
 *     token to everyone, or (canary) to the first waiter alone until its retry
 *     is reported (tg_token_manager_report_retry()).
 *  6. Only invalid_grant signs out: refresh_answered() ends the session only for
 *     TG_AUTH_ERROR_SESSION_EXPIRED (and tg_token_manager_report_retry() for a
 *     retried request rejected again). Everything else fails the waiters with
 *     REFRESH_FAILED and keeps the session — after retrying within the
 *     deadline what is safe to retry (transport_error_is_transient(),
 *     status_is_transient()): a connection refused or dropped before an
 *     answer, 502, 503, 504, and 429 after its Retry-After. Retries wait with
 *     exponential backoff and jitter, so that a fleet of clients does not come
 *     back in step.
 *  7. Nothing hangs. The refresh owns its GCancellable and a deadline
 *     (`refresh-timeout`) that covers every attempt and the store; a waiter's
 *     GCancellable cancels that waiter only; signing out, an ended session and
 *     dispose complete every waiter. Waiters are always completed from a
 *     list taken off the queue first: a waiter's callback may start the next
 *     refresh, whose waiters are not ours to complete.
 *  8. Persist before release. A rotated pair is written to the store before any
 *     waiter sees it (refresh_persisted()) — unless the store is still busy at
 *     the deadline: then the waiters get the new pair anyway, the write goes
 *     on, and a crash before it ends is the only way to lose the pair. Store
 *     writes run one at a time, in order (store_write_async()), so a slow old
 *     write never lands after a newer one or after a sign-out's clear.
 *
 * The manager lives on one thread: all calls and callbacks happen on the
 * thread-default main context it was created on. Time comes from its TgClock
 * and HTTP goes through its TgTransport, so that the simulation in
 * `tests/sim/` can run it under a virtual clock.
 */
#define G_LOG_DOMAIN "tg-token-manager"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "tg-auth-error.h"
#include "tg-auth-protocol-private.h"
#include "tg-enums.h"
#include "tg-request-log-private.h"
#include "tg-soup-transport-private.h"
#include "tg-token-manager-private.h"

#define DEFAULT_EXPIRY_SKEW     10     /* seconds */
#define DEFAULT_REFRESH_TIMEOUT 15     /* seconds */
/* Retries of a transiently failed refresh: the first after about 250 ms, then
 * doubling up to 4 s, each drawn from [d/2, d] ("equal jitter"). */
#define RETRY_BASE_MS           250
#define RETRY_MAX_MS            4000
/* How much longer than the deadline a refresh exchange may take, listened
 * for (rule 1) before it is given up as lost. */
#define LATE_ANSWER_SECONDS     60

/* A caller waiting at the gate or on the refresh. */
typedef struct {
  GTask   *task;          /* owned */
  GSource *cancel_watch;  /* owned, nullable: fires when the caller cancels */
} Waiter;

/* A refresh: a shared future that no caller owns. Reference-counted, because
 * its HTTP exchange, its store write and its timers each hold it: whoever
 * comes back compares it with self->refresh to learn whether it is still the
 * current one (a sign-out, a new sign-in or its own deadline may have
 * detached it meanwhile). */
typedef struct {
  grefcount        ref_count;
  TgTokenManager  *manager;           /* weak: an exchange on the way must not keep
                                         the manager alive (dispose stops it) */
  guint            stale_generation;  /* the generation it replaces */
  GCancellable    *cancellable;       /* owned, nullable: the exchange's own; no
                                         caller's cancel reaches it */
  guint            exchange;          /* which exchange is the current one */
  GSource         *deadline;          /* owned, nullable: covers every attempt and the store */
  GSource         *backoff;           /* owned, nullable: the wait before the next attempt */
  GSource         *exchange_limit;    /* owned, nullable: when the exchange is given up */
  gint64           deadline_at;       /* clock time, µs */
  guint            attempt;
  gboolean         exchanging;        /* an HTTP exchange is in flight */
  gboolean         saving;            /* its pair is being written to the store */
  TgRequestRecord *record;            /* owned, nullable: the exchange in flight */
} Refresh;

/* One HTTP exchange of a refresh, as its callback learns which it was. */
typedef struct {
  Refresh *refresh;  /* owned */
  guint    id;
} Exchange;

struct _TgTokenManager
{
  GObject          parent_instance;

  TgAuthProtocol  *protocol;        /* owned */
  TgTokenStore    *store;           /* owned, nullable: nothing persisted */
  char            *account;         /* the store's key for this session */
  TgTransport     *transport;       /* owned: the token endpoint's own, so that a
                                       refresh never queues behind a burst of
                                       resource requests */
  TgClock         *clock;           /* owned */
  TgRequestLog    *log;             /* owned */

  TgTokens        *tokens;          /* owned, nullable: NULL when signed out */
  guint            generation;      /* bumped each time a new access token is installed */
  guint            session_start;   /* the first generation of this session */
  guint            sign_outs;       /* bumped by each sign-out: a sign-in started
                                       before one must not sign the user back in */
  gint64           installed_at;    /* clock time the current pair arrived */
  TgTokenState     state;
  GError          *ended;           /* owned, nullable: why the last session ended */

  Refresh         *refresh;         /* owned, nullable: the one in flight */
  Refresh         *listening;       /* owned, nullable: past its deadline, still
                                       waiting for its answer (rule 1) */
  GQueue           waiters;         /* Waiter*, FIFO */
  gboolean         canary_pending;  /* a canary retry is out; the gate stays closed */
  GSource         *canary_timeout;  /* owned, nullable */

  GQueue           store_writes;    /* GTask*, FIFO: the head is being written */

  TgRetryPolicy    retry_policy;
  gboolean         proactive;
  guint            expiry_skew;     /* seconds */
  guint            refresh_timeout; /* seconds */

  guint            refreshes_started;
  guint            refreshes_joined;
  guint            stale_401s;

  GCancellable    *cancellable;     /* cancelled in dispose: store I/O */
};

G_DEFINE_FINAL_TYPE (TgTokenManager, tg_token_manager, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROTOCOL,
  PROP_STORE,
  PROP_ACCOUNT,
  PROP_TRANSPORT,
  PROP_CLOCK,
  PROP_REQUEST_LOG,
  PROP_STATE,
  PROP_GENERATION,
  PROP_EXPIRES_AT,
  PROP_RETRY_POLICY,
  PROP_PROACTIVE,
  PROP_EXPIRY_SKEW,
  PROP_REFRESH_TIMEOUT,
  PROP_REFRESHES_STARTED,
  PROP_REFRESHES_JOINED,
  PROP_STALE_401S,
  N_PROPS
};

enum {
  SESSION_EXPIRED,
  TOKENS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];

static guint signals[N_SIGNALS];

/* The rules call each other across their sections: rule 1's refresh ends in
 * rule 6's reading of its answer, rule 7's deadline and rule 8's write. */
static gboolean  token_is_fresh            (TgTokenManager     *self);
static void      start_or_join_refresh     (TgTokenManager     *self,
                                            Waiter             *waiter);
static void      refresh_drop              (Refresh           **slot);
static void      refresh_answered          (GObject            *source,
                                            GAsyncResult       *result,
                                            gpointer            user_data);
static TgTokens *parse_refresh_reply       (TgTokenManager     *self,
                                            const TgHttpReply  *reply,
                                            GError            **error);
static void      salvage_refresh_token     (TgTokenManager     *self,
                                            const TgHttpReply  *reply);
static void      refresh_failed            (TgTokenManager     *self,
                                            GError             *error);
static void      end_session               (TgTokenManager     *self,
                                            const char         *reason);
static gboolean  on_canary_timeout         (gpointer            user_data);
static gboolean  on_waiter_cancelled       (GCancellable       *cancellable,
                                            gpointer            user_data);
static void      fail_all_waiters          (TgTokenManager     *self,
                                            const GError       *error);
static void      arm_deadline              (Refresh            *refresh);
static gboolean  on_refresh_deadline       (gpointer            user_data);
static gboolean  on_exchange_limit         (gpointer            user_data);
static void      store_write_next          (TgTokenManager     *self);
static void      store_write_in_background (TgTokenManager     *self,
                                            TgTokens           *tokens);
static void      refresh_release           (TgTokenManager     *self);
static void      refresh_succeeded         (TgTokenManager     *self,
                                            Refresh            *refresh,
                                            TgTokens           *tokens);

/* ------------------------------------------------------------------------- */
/* The session: the pair, its generation, its state                          */

/* What every rule reads: the pair in use, the generation that counts the
 * access tokens installed, and the state the gate is in. */

static void
set_state (TgTokenManager *self,
           TgTokenState    state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* Installs a new pair (or none): a new access token is a new generation. */
static void
install_tokens (TgTokenManager *self,
                TgTokens       *tokens)
{
  gint64 old_expiry = self->tokens != NULL ? tg_tokens_get_expires_at (self->tokens) : 0;
  gint64 new_expiry = tokens != NULL ? tg_tokens_get_expires_at (tokens) : 0;

  /* Whatever an abandoned refresh would still bring is older than this. */
  refresh_drop (&self->listening);

  g_clear_pointer (&self->tokens, tg_tokens_unref);
  if (tokens != NULL)
    {
      self->tokens = tg_tokens_ref (tokens);
      self->installed_at = tg_clock_get_real_time (self->clock);
      self->generation++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GENERATION]);
      g_clear_error (&self->ended);
    }
  if (old_expiry != new_expiry)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES_AT]);

  g_signal_emit (self, signals[TOKENS_CHANGED], 0);
}

/* Installs the first pair of a new session. */
static void
install_session (TgTokenManager *self,
                 TgTokens       *tokens)
{
  install_tokens (self, tokens);
  self->session_start = self->generation;
  set_state (self, TG_TOKEN_STATE_VALID);
}

static void
increment (TgTokenManager *self,
           guint          *counter,
           guint           prop_id)
{
  (*counter)++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static const GError *
signed_out_error (TgTokenManager *self,
                  GError        **storage)
{
  /* Late callers of an ended session learn why it ended; others that there is
   * no session. */
  if (self->ended != NULL)
    return self->ended;

  *storage = g_error_new_literal (TG_AUTH_ERROR, TG_AUTH_ERROR_SIGNED_OUT, _("Not signed in"));
  return *storage;
}

/* ------------------------------------------------------------------------- */
/* Grants and waiters: what the gate hands out, and who waits for it         */

/* A grant is a token with its generation, so that a 401 can be matched with
 * the token it was for (rule 2). A waiter is a caller's GTask in the FIFO that
 * a refresh completes (rules 1, 3 and 7). */

void
tg_token_grant_clear (TgTokenGrant *grant)
{
  g_clear_pointer (&grant->access_token, g_free);
  grant->generation = 0;
  grant->canary = FALSE;
}

static TgTokenGrant *
grant_copy (const TgTokenGrant *grant)
{
  TgTokenGrant *copy = g_new0 (TgTokenGrant, 1);

  copy->access_token = g_strdup (grant->access_token);
  copy->generation = grant->generation;
  copy->canary = grant->canary;
  return copy;
}

static void
grant_free (gpointer data)
{
  TgTokenGrant *grant = data;

  tg_token_grant_clear (grant);
  g_free (grant);
}

/* The current token, as a grant. */
static void
grant_init (TgTokenManager *self,
            TgTokenGrant   *grant,
            gboolean        canary)
{
  grant->access_token = g_strdup (tg_tokens_get_access_token (self->tokens));
  grant->generation = self->generation;
  grant->canary = canary;
}

/* The finish functions: each checks that @result is one of its own tasks. */

static gboolean
is_own_task (TgTokenManager *self,
             GAsyncResult   *result,
             gpointer        source_tag)
{
  return g_task_is_valid (result, self) && g_task_get_source_tag (G_TASK (result)) == source_tag;
}

static gboolean
boolean_propagate (TgTokenManager  *self,
                   GAsyncResult    *result,
                   gpointer         source_tag,
                   GError         **error)
{
  g_return_val_if_fail (is_own_task (self, result, source_tag), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
grant_propagate (TgTokenManager  *self,
                 GAsyncResult    *result,
                 gpointer         source_tag,
                 TgTokenGrant    *out_grant,
                 GError         **error)
{
  TgTokenGrant *grant;

  g_return_val_if_fail (is_own_task (self, result, source_tag), FALSE);

  grant = g_task_propagate_pointer (G_TASK (result), error);
  if (grant == NULL)
    return FALSE;
  if (out_grant != NULL)
    {
      *out_grant = *grant;
      *grant = (TgTokenGrant) { 0 };
    }
  grant_free (grant);
  return TRUE;
}

static void
waiter_free (Waiter *waiter)
{
  if (waiter->cancel_watch != NULL)
    {
      g_source_destroy (waiter->cancel_watch);
      g_source_unref (waiter->cancel_watch);
    }
  g_clear_object (&waiter->task);
  g_free (waiter);
}

static void
waiter_succeed (Waiter             *waiter,
                const TgTokenGrant *grant)
{
  g_task_return_pointer (waiter->task, grant_copy (grant), grant_free);
  waiter_free (waiter);
}

static void
waiter_succeed_now (TgTokenManager *self,
                    Waiter         *waiter)
{
  g_auto(TgTokenGrant) grant = { 0 };

  grant_init (self, &grant, FALSE);
  waiter_succeed (waiter, &grant);
}

static void
waiter_fail (Waiter       *waiter,
             const GError *error)
{
  g_task_return_error (waiter->task, g_error_copy (error));
  waiter_free (waiter);
}

static Waiter *
waiter_new (TgTokenManager      *self,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data,
            gpointer             source_tag)
{
  Waiter *waiter = g_new0 (Waiter, 1);

  waiter->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (waiter->task, source_tag);
  /* A token handed out must reach the caller even if it cancels in the same
   * iteration; the cancel watch below handles cancels while it waits. */
  g_task_set_check_cancellable (waiter->task, FALSE);

  return waiter;
}

/* A caller of the gate or of a refresh, or %NULL when it has been answered
 * already: it cancelled before it asked, or there is no session to wait in. */
static Waiter *
waiter_begin (TgTokenManager      *self,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data,
              gpointer             source_tag)
{
  Waiter *waiter = waiter_new (self, cancellable, callback, user_data, source_tag);
  g_autoptr(GError) storage = NULL;

  if (g_task_return_error_if_cancelled (waiter->task))
    {
      waiter_free (waiter);
      return NULL;
    }
  if (self->tokens == NULL)
    {
      waiter_fail (waiter, signed_out_error (self, &storage));
      return NULL;
    }
  return waiter;
}

static void
waiter_enqueue (TgTokenManager *self,
                Waiter         *waiter)
{
  GCancellable *cancellable = g_task_get_cancellable (waiter->task);

  if (cancellable != NULL)
    {
      waiter->cancel_watch = g_cancellable_source_new (cancellable);
      g_source_set_callback (waiter->cancel_watch, G_SOURCE_FUNC (on_waiter_cancelled), waiter, NULL);
      g_source_set_name (waiter->cancel_watch, "[tg-token-manager] waiter cancelled");
      g_source_attach (waiter->cancel_watch, g_main_context_get_thread_default ());
    }

  g_queue_push_tail (&self->waiters, waiter);
}

/* ------------------------------------------------------------------------- */
/* The token endpoint: timers and logged exchanges                           */

/* Timeouts run on the manager's TgClock, so that the simulation can run them
 * on virtual time; every exchange is in the request log. */

static GSource *
clock_source_new (TgTokenManager *self,
                  guint           interval_ms,
                  GSourceFunc     callback,
                  gpointer        data,
                  GDestroyNotify  notify,
                  const char     *name)
{
  GSource *source = tg_clock_timeout_source_new (self->clock, interval_ms);

  g_source_set_callback (source, callback, data, notify);
  g_source_set_name (source, name);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

/* Every exchange with the token endpoint is in the request log, as the
 * resource requests are: a refresh attempt, a sign-in, a revocation. */
static TgRequestRecord *
record_begin (TgTokenManager *self,
              TgRequestKind   kind,
              guint           attempt,
              SoupMessage    *msg,
              guint           generation)
{
  return g_object_ref (tg_request_log_begin (self->log, kind, tg_request_log_next_request_id (self->log),
                                             attempt, soup_message_get_method (msg),
                                             g_uri_get_path (soup_message_get_uri (msg)), generation));
}

static void
record_end (TgTokenManager     *self,
            TgRequestRecord   **record,
            const TgHttpReply  *reply,
            const GError       *error)
{
  tg_request_log_end (self->log, *record, reply != NULL ? reply->status : 0, error);
  g_clear_object (record);
}

/* A sign-in or a revocation: the task data while its request is out. */
typedef struct {
  SoupMessage     *msg;        /* owned */
  TgRequestRecord *record;     /* owned, nullable once ended */
  guint            sign_outs;  /* self->sign_outs when it was sent */
} Call;

static void
call_free (Call *call)
{
  g_clear_object (&call->msg);
  g_clear_object (&call->record);
  g_free (call);
}

/* Sends @msg (owned) for @task (owned); @callback gets @task back. */
static void
call_send (TgTokenManager      *self,
           GTask               *task,
           TgRequestKind        kind,
           SoupMessage         *msg,
           GAsyncReadyCallback  callback)
{
  Call *call = g_new0 (Call, 1);

  call->msg = msg;
  call->record = record_begin (self, kind, 1, msg, self->generation);
  call->sign_outs = self->sign_outs;
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  tg_transport_send_async (self->transport, msg, G_PRIORITY_HIGH, g_task_get_cancellable (task),
                           callback, task);
}

static TgHttpReply *
call_finish (GTask         *task,
             GAsyncResult  *result,
             GError       **error)
{
  TgTokenManager *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  TgHttpReply *reply = tg_transport_send_finish (self->transport, result, error);

  record_end (self, &call->record, reply, reply == NULL ? *error : NULL);
  return reply;
}

/* ------------------------------------------------------------------------- */
/* Rule 1: single flight                                                     */

/* A refresh is a shared future that no caller owns: the first caller that
 * needs one starts it, everyone else joins it. One that outlived its deadline
 * is still listened for (self->listening), and the next caller joins that
 * instead of presenting the same refresh token again. */

static Refresh *
refresh_ref (Refresh *refresh)
{
  g_ref_count_inc (&refresh->ref_count);
  return refresh;
}

static void
refresh_clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
refresh_unref (gpointer data)
{
  Refresh *refresh = data;

  if (!g_ref_count_dec (&refresh->ref_count))
    return;

  g_assert (refresh->deadline == NULL && refresh->backoff == NULL && refresh->exchange_limit == NULL);
  g_clear_object (&refresh->cancellable);
  g_clear_object (&refresh->record);
  g_clear_weak_pointer (&refresh->manager);
  g_free (refresh);
}

/* Ends what the refresh has going — its timers and, with @cancel, its HTTP
 * exchange — and drops the manager's reference. Its store write, if any, goes
 * on: stopping a write halfway would be worse than letting it land. */
static void
refresh_stop (Refresh  *refresh,
              gboolean  cancel)
{
  refresh_clear_source (&refresh->deadline);
  refresh_clear_source (&refresh->backoff);
  refresh_clear_source (&refresh->exchange_limit);
  if (cancel && refresh->cancellable != NULL)
    g_cancellable_cancel (refresh->cancellable);
  refresh_unref (refresh);
}

/* Ends the refresh in @slot — self->refresh, or self->listening — if there is
 * one: it is no longer current, its exchange is cancelled, and whatever still
 * arrives for it is ignored. */
static void
refresh_drop (Refresh **slot)
{
  Refresh *refresh = g_steal_pointer (slot);

  if (refresh != NULL)
    refresh_stop (refresh, TRUE);
}

/* One attempt: the refresh request, at the front of every queue it meets. */
static void
send_refresh (Refresh *refresh)
{
  TgTokenManager *self = refresh->manager;
  g_autoptr(SoupMessage) msg = NULL;
  Exchange *exchange;

  msg = tg_auth_protocol_new_refresh_message (self->protocol, tg_tokens_get_refresh_token (self->tokens));
  /* The token endpoint has a transport of its own, so nothing of ours queues
   * in front of the refresh; the priority says the same to libsoup in case an
   * application shares that session. */
  soup_message_set_priority (msg, SOUP_MESSAGE_PRIORITY_VERY_HIGH);

  refresh->record = record_begin (self, TG_REQUEST_KIND_REFRESH, refresh->attempt, msg,
                                  refresh->stale_generation);
  refresh->exchanging = TRUE;
  refresh->cancellable = g_cancellable_new ();
  /* Listened for past the deadline (rule 1), but not forever: an answer that
   * never comes must not keep every later caller waiting on it in turn. */
  refresh->exchange_limit = clock_source_new (self, (self->refresh_timeout + LATE_ANSWER_SECONDS) * 1000,
                                              on_exchange_limit, refresh_ref (refresh), refresh_unref,
                                              "[tg-token-manager] refresh exchange limit");

  exchange = g_new0 (Exchange, 1);
  exchange->refresh = refresh_ref (refresh);
  exchange->id = ++refresh->exchange;
  tg_transport_send_async (self->transport, msg, G_PRIORITY_HIGH, refresh->cancellable,
                           refresh_answered, exchange);
}

static void
start_refresh (TgTokenManager *self)
{
  Refresh *refresh;

  g_assert (self->refresh == NULL);

  if (self->listening != NULL)
    {
      /* Rule 1: the same refresh token is already out there; wait for that
       * answer again instead of presenting it a second time. */
      refresh = g_steal_pointer (&self->listening);
      self->refresh = refresh;
      arm_deadline (refresh);
      increment (self, &self->refreshes_joined, PROP_REFRESHES_JOINED);
      set_state (self, TG_TOKEN_STATE_REFRESHING);
      return;
    }

  if (tg_tokens_get_refresh_token (self->tokens) == NULL)
    {
      end_session (self, _("The server issued no refresh token; sign in again"));
      return;
    }

  refresh = g_new0 (Refresh, 1);
  g_ref_count_init (&refresh->ref_count);
  g_set_weak_pointer (&refresh->manager, self);
  refresh->stale_generation = self->generation;
  refresh->attempt = 1;
  self->refresh = refresh;
  arm_deadline (refresh);

  increment (self, &self->refreshes_started, PROP_REFRESHES_STARTED);
  set_state (self, TG_TOKEN_STATE_REFRESHING);

  send_refresh (refresh);
}

/* Rule 1: the first caller that needs a refresh starts it; everyone else
 * queues behind the same one. */
static void
start_or_join_refresh (TgTokenManager *self,
                       Waiter         *waiter)
{
  waiter_enqueue (self, waiter);

  if (self->state == TG_TOKEN_STATE_REFRESHING)
    increment (self, &self->refreshes_joined, PROP_REFRESHES_JOINED);
  else
    start_refresh (self);
}

/* The answer arrived for a refresh that is no longer current because its
 * deadline passed (rule 1, Refresh.listening): its waiters have failed, but
 * the pair it brings is the one the server now knows. */
static void
late_answer (TgTokenManager    *self,
             Refresh           *refresh,
             const TgHttpReply *reply,
             const GError      *transport_error)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTokens) tokens = NULL;

  self->listening = NULL;
  refresh_stop (refresh, FALSE);

  if (reply == NULL)
    return;

  tokens = parse_refresh_reply (self, reply, &error);
  if (tokens != NULL)
    {
      g_debug ("The answer to a timed-out refresh arrived late; installing it");
      install_tokens (self, tokens);
      store_write_in_background (self, tokens);
    }
  else if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED))
    end_session (self, error->message);
  else
    salvage_refresh_token (self, reply);
}

/* ------------------------------------------------------------------------- */
/* Rule 2: the generation check, for every 401                               */

/* A 401 for a token that has been replaced already is answered with the
 * current token: the refresh it would start has happened. */

/*
 * tg_token_manager_refresh_async:
 * @self: a #TgTokenManager
 * @stale_generation: the generation of the token the server rejected
 * @cancellable: (nullable): cancels this wait only, never the shared refresh
 * @callback: called with the token to retry with
 * @user_data: data for @callback
 *
 * What a request does with its 401. If a newer token of the same session than
 * @stale_generation is already installed, the caller gets it at once and no
 * refresh starts (rule 2): the 401 was for a token that has already been
 * replaced. Otherwise the caller joins the refresh in flight, or starts it
 * (rule 1). A token of an earlier session (the user signed out, or in again,
 * since) fails with %TG_AUTH_ERROR_SIGNED_OUT: this session's token must not
 * be sent on behalf of another.
 */
void
tg_token_manager_refresh_async (TgTokenManager      *self,
                                guint                stale_generation,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  Waiter *waiter;

  g_return_if_fail (TG_IS_TOKEN_MANAGER (self));

  waiter = waiter_begin (self, cancellable, callback, user_data, tg_token_manager_refresh_async);

  if (waiter == NULL)
    {
      /* Answered already. */
    }
  else if (stale_generation < self->session_start)
    {
      g_autoptr(GError) error = g_error_new_literal (TG_AUTH_ERROR, TG_AUTH_ERROR_SIGNED_OUT,
                                                     _("The session this request was sent in has ended"));
      waiter_fail (waiter, error);
    }
  else if (stale_generation < self->generation)
    {
      increment (self, &self->stale_401s, PROP_STALE_401S);
      /* Newer than the rejected token — but while a refresh or a canary is
       * under way the gate is closed to everyone, this caller included. */
      if (self->state == TG_TOKEN_STATE_REFRESHING)
        waiter_enqueue (self, waiter);
      else
        waiter_succeed_now (self, waiter);
    }
  else
    {
      start_or_join_refresh (self, waiter);
    }
}

/*
 * tg_token_manager_refresh_finish:
 * @out_grant: (out caller-allocates) (optional): the token to retry with
 *
 * Returns: %TRUE if @out_grant was filled
 */
gboolean
tg_token_manager_refresh_finish (TgTokenManager  *self,
                                 GAsyncResult    *result,
                                 TgTokenGrant    *out_grant,
                                 GError         **error)
{
  return grant_propagate (self, result, tg_token_manager_refresh_async, out_grant, error);
}

/* ------------------------------------------------------------------------- */
/* Rule 3: the gate, for every request                                       */

/* No token is handed out while a refresh is in flight: a request that starts
 * meanwhile waits in the same FIFO as the 401s. */

/*
 * tg_token_manager_try_get_token:
 * @self: a #TgTokenManager
 * @out_grant: (out caller-allocates): the token to use, if %TRUE
 *
 * The gate's fast path: when a fresh token is installed and no refresh is
 * under way, hands it out at once, without a main-loop turn. Otherwise the
 * caller must go through tg_token_manager_await_token_async().
 *
 * Returns: %TRUE if @out_grant was filled
 */
gboolean
tg_token_manager_try_get_token (TgTokenManager *self,
                                TgTokenGrant   *out_grant)
{
  g_return_val_if_fail (TG_IS_TOKEN_MANAGER (self), FALSE);
  g_return_val_if_fail (out_grant != NULL, FALSE);

  if (self->state != TG_TOKEN_STATE_VALID || !token_is_fresh (self))
    return FALSE;

  grant_init (self, out_grant, FALSE);
  return TRUE;
}

/*
 * tg_token_manager_await_token_async:
 * @self: a #TgTokenManager
 * @cancellable: (nullable): cancels this wait only
 * @callback: called with the token to use
 * @user_data: data for @callback
 *
 * The gate (rule 3): every request passes here before it is sent. While a
 * refresh is in flight the caller waits for it; a token past its expiry (less
 * the skew) is refreshed first (rule 4). Fails with
 * %TG_AUTH_ERROR_SIGNED_OUT or %TG_AUTH_ERROR_SESSION_EXPIRED when there is no
 * session, and with the refresh's error when the refresh it waited on failed.
 */
void
tg_token_manager_await_token_async (TgTokenManager      *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  Waiter *waiter;

  g_return_if_fail (TG_IS_TOKEN_MANAGER (self));

  waiter = waiter_begin (self, cancellable, callback, user_data, tg_token_manager_await_token_async);

  if (waiter == NULL)
    return;  /* answered already */
  if (self->state == TG_TOKEN_STATE_REFRESHING || !token_is_fresh (self))
    start_or_join_refresh (self, waiter);
  else
    waiter_succeed_now (self, waiter);
}

/*
 * tg_token_manager_await_token_finish:
 * @out_grant: (out caller-allocates) (optional): the token to use
 *
 * Returns: %TRUE if @out_grant was filled
 */
gboolean
tg_token_manager_await_token_finish (TgTokenManager  *self,
                                     GAsyncResult    *result,
                                     TgTokenGrant    *out_grant,
                                     GError         **error)
{
  return grant_propagate (self, result, tg_token_manager_await_token_async, out_grant, error);
}

/* ------------------------------------------------------------------------- */
/* Rule 4: proactive refresh                                                 */

/* A token about to expire is refreshed before it is handed out; the 401 path
 * stays, because tokens can be revoked early. */

/* Rule 4: when the current access token is due for a proactive refresh, in
 * clock time; 0 for never (proactive refresh off, or no known expiry). */
static gint64
refresh_due_at (TgTokenManager *self)
{
  gint64 expires_at = tg_tokens_get_expires_at (self->tokens);
  gint64 lifetime = expires_at - self->installed_at;
  gint64 skew = (gint64) self->expiry_skew * G_USEC_PER_SEC;

  if (!self->proactive || expires_at == 0)
    return 0;
  /* Issued already expired (a clock far off, a server bug): a refresh would
   * bring the same again, every time. Let the server's 401 decide. */
  if (lifetime <= 0)
    return 0;

  /* 5 s tokens with a 10 s skew would be refreshed before every request:
   * a token is used for half its lifetime at least. */
  skew = MIN (skew, lifetime / 2);

  return expires_at - skew;
}

/* Rule 4: is the current access token good to hand out without a refresh? */
static gboolean
token_is_fresh (TgTokenManager *self)
{
  gint64 due_at = refresh_due_at (self);

  return due_at == 0 || tg_clock_get_real_time (self->clock) < due_at;
}

/* ------------------------------------------------------------------------- */
/* Rule 5: canary or all at once                                             */

/* After a refresh, every waiter gets the new token at once, or (canary) the
 * first one tries it alone and the others follow only if it is accepted. */

static void
release_canary (TgTokenManager *self)
{
  Waiter *canary = g_queue_pop_head (&self->waiters);
  g_auto(TgTokenGrant) grant = { 0 };

  if (canary == NULL)
    {
      /* Nobody to try the token with: the next request will be sent with it
       * like any other. (Its timer goes too: firing later, it would hand the
       * next refresh's first waiter this token as a canary.) */
      self->canary_pending = FALSE;
      g_clear_pointer (&self->canary_timeout, g_source_destroy);
      set_state (self, TG_TOKEN_STATE_VALID);
      return;
    }

  self->canary_pending = TRUE;
  /* A canary whose verdict never comes must not keep the gate shut. */
  g_clear_pointer (&self->canary_timeout, g_source_destroy);
  self->canary_timeout = clock_source_new (self, self->refresh_timeout * 1000, on_canary_timeout,
                                           self, NULL, "[tg-token-manager] canary timeout");
  g_source_unref (self->canary_timeout);

  grant_init (self, &grant, TRUE);
  waiter_succeed (canary, &grant);
}

/* Opens the gate: every waiter gets the current token. */
static void
release_all (TgTokenManager *self)
{
  GQueue waiters = self->waiters;
  g_auto(TgTokenGrant) grant = { 0 };
  Waiter *waiter;

  self->canary_pending = FALSE;
  g_clear_pointer (&self->canary_timeout, g_source_destroy);
  set_state (self, TG_TOKEN_STATE_VALID);

  /* Rule 7: take the queue first (see fail_all_waiters()), and hand out the
   * token that was current when the gate opened. */
  g_queue_init (&self->waiters);
  grant_init (self, &grant, FALSE);
  while ((waiter = g_queue_pop_head (&waiters)) != NULL)
    {
      g_autoptr(GError) storage = NULL;

      /* A callback signed out or in: the rest belong to a session that is over. */
      if (self->tokens == NULL || self->generation != grant.generation)
        waiter_fail (waiter, signed_out_error (self, &storage));
      else
        waiter_succeed (waiter, &grant);
    }
}

static void
release_waiters (TgTokenManager *self)
{
  if (self->retry_policy == TG_RETRY_POLICY_CANARY)
    release_canary (self);
  else
    release_all (self);
}

static gboolean
on_canary_timeout (gpointer user_data)
{
  TgTokenManager *self = user_data;

  self->canary_timeout = NULL;
  g_debug ("No verdict from the canary retry; trying the next waiter");
  release_canary (self);

  return G_SOURCE_REMOVE;
}

/*
 * tg_token_manager_report_retry:
 * @self: a #TgTokenManager
 * @grant: the grant the retried request was sent with
 * @verdict: what the server said to it
 *
 * Tells the manager what became of a request sent with a refreshed token (an
 * attempt-2 request, or any request holding the canary grant). A rejected
 * retry means the new token is no good either: the session ends (rule 6). For
 * the canary policy, the verdict on the canary decides whether the others
 * follow (rule 5).
 */
void
tg_token_manager_report_retry (TgTokenManager     *self,
                               const TgTokenGrant *grant,
                               TgRetryVerdict      verdict)
{
  g_return_if_fail (TG_IS_TOKEN_MANAGER (self));
  g_return_if_fail (grant != NULL);

  /* About a token that is no longer current: a newer one was installed since,
   * or the session is gone. Nothing to learn. */
  if (self->tokens == NULL || grant->generation != self->generation)
    return;

  if (verdict == TG_RETRY_VERDICT_REJECTED)
    {
      end_session (self, _("The server rejected the refreshed access token"));
      return;
    }

  if (!grant->canary || !self->canary_pending)
    return;

  if (verdict == TG_RETRY_VERDICT_ACCEPTED)
    release_all (self);
  else
    release_canary (self);
}

/* ------------------------------------------------------------------------- */
/* Rule 6: only invalid_grant signs out                                      */

/* Reading a refresh's answer: only a dead refresh token (invalid_grant) ends
 * the session; what may go better in a moment is retried within the deadline;
 * anything else fails the waiters and keeps the session. */

/* The answer to a refresh: the new pair, or why not — SESSION_EXPIRED for
 * invalid_grant, which alone ends the session. */
static TgTokens *
parse_refresh_reply (TgTokenManager     *self,
                     const TgHttpReply  *reply,
                     GError            **error)
{
  return tg_auth_protocol_parse_reply (self->protocol, TG_AUTH_OPERATION_REFRESH, NULL, reply,
                                       tg_tokens_get_refresh_token (self->tokens),
                                       tg_clock_get_real_time (self->clock), error);
}

/* Safe to send again, and likely to go better in a moment: the server was not
 * there (refused), or the connection broke before a whole answer came back
 * (reset, closed, truncated). A broken connection may come after the server
 * used up the refresh token ("lost answer"): the retry then presents a used
 * token, which a server with a reuse grace window (RFC 9700 §4.14.2) answers
 * with the same new pair, and any other with invalid_grant — the session the
 * lost answer had already ended either way. DNS and TLS failures will not go
 * away within a deadline of seconds, and are not retried. */
static gboolean
transport_error_is_transient (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

/* RFC 9110 §15.6.3–5: a gateway that could not reach the server, or a server
 * that says it is briefly unavailable; RFC 6585 §4: too many requests. */
static gboolean
status_is_transient (guint status)
{
  return status == SOUP_STATUS_BAD_GATEWAY ||
         status == SOUP_STATUS_SERVICE_UNAVAILABLE ||
         status == SOUP_STATUS_GATEWAY_TIMEOUT ||
         status == 429;  /* no SOUP_STATUS_ name in libsoup 3.2 */
}

/* Equal jitter: half the doubling delay, plus a random part of the other half. */
static guint
retry_backoff_ms (guint attempt)
{
  guint delay = RETRY_BASE_MS << MIN (attempt - 1, 8u);

  delay = MIN (delay, RETRY_MAX_MS);
  return delay / 2 + g_random_int_range (0, delay / 2 + 1);
}

static gboolean
on_refresh_backoff (gpointer user_data)
{
  Refresh *refresh = user_data;

  g_clear_pointer (&refresh->backoff, g_source_unref);
  send_refresh (refresh);
  return G_SOURCE_REMOVE;
}

/* Another attempt after @delay_ms (-1: the backoff's), if it can still end
 * before the deadline; otherwise the refresh fails with @error. */
static void
retry_or_fail (Refresh *refresh,
               gint64   delay_ms,
               GError  *error)
{
  TgTokenManager *self = refresh->manager;
  gint64 now = tg_clock_get_real_time (self->clock);

  if (delay_ms < 0)
    delay_ms = retry_backoff_ms (refresh->attempt);

  if (now + delay_ms * 1000 >= refresh->deadline_at)
    {
      refresh_failed (self, error);
      return;
    }

  g_debug ("Refresh attempt %u failed (%s); trying again in %" G_GINT64_FORMAT " ms",
           refresh->attempt, error->message, delay_ms);
  g_error_free (error);
  refresh->attempt++;
  refresh->backoff = clock_source_new (self, delay_ms, on_refresh_backoff, refresh_ref (refresh),
                                       refresh_unref, "[tg-token-manager] refresh backoff");
}

static void
refresh_failed (TgTokenManager *self,
                GError         *error)
{
  g_autoptr(GError) failure = error;

  g_debug ("Refresh failed, keeping the session: %s", failure->message);
  refresh_drop (&self->refresh);
  set_state (self, self->tokens != NULL ? TG_TOKEN_STATE_VALID : TG_TOKEN_STATE_SIGNED_OUT);
  fail_all_waiters (self, failure);
}

/* A rotated refresh token that came in an answer we could not otherwise read:
 * the old one is used up, so this is the only one the session has left. */
static void
salvage_refresh_token (TgTokenManager    *self,
                       const TgHttpReply *reply)
{
  g_autofree char *refresh_token = tg_auth_protocol_read_refresh_token (self->protocol, reply);
  g_autoptr(TgTokens) tokens = NULL;

  if (refresh_token == NULL || self->tokens == NULL ||
      g_strcmp0 (refresh_token, tg_tokens_get_refresh_token (self->tokens)) == 0)
    return;

  g_debug ("Keeping the rotated refresh token of an answer that could not be read");
  tokens = tg_tokens_new (tg_tokens_get_access_token (self->tokens), refresh_token,
                          tg_tokens_get_expires_at (self->tokens));
  g_clear_pointer (&self->tokens, tg_tokens_unref);
  self->tokens = tg_tokens_ref (tokens);
  store_write_in_background (self, tokens);
}

static void
refresh_answered (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Exchange *sent = user_data;
  Refresh *refresh = sent->refresh;
  TgTokenManager *self = refresh->manager;
  guint exchange = sent->id;
  g_autoptr(TgHttpReply) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTokens) tokens = NULL;

  g_free (sent);
  reply = tg_transport_send_finish (TG_TRANSPORT (source), result, &error);

  /* The manager is gone (its dispose told the waiters), or this exchange
   * was given up at its limit (on_exchange_limit()). */
  if (self == NULL || exchange != refresh->exchange)
    {
      refresh_unref (refresh);
      return;
    }

  refresh->exchanging = FALSE;
  refresh_clear_source (&refresh->exchange_limit);
  g_clear_object (&refresh->cancellable);

  record_end (self, &refresh->record, reply, error);

  if (self->listening == refresh)
    {
      late_answer (self, refresh, reply, error);
    }
  else if (self->refresh != refresh)
    {
      /* Not ours any more: signed out, signed in anew or disposed while it ran. */
    }
  else if (reply == NULL)
    {
      g_autoptr(GError) failure = g_error_new (TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED,
                                               _("Could not reach the server to refresh the token: %s"),
                                               error->message);

      if (transport_error_is_transient (error))
        retry_or_fail (refresh, -1, g_steal_pointer (&failure));
      else
        refresh_failed (self, g_steal_pointer (&failure));
    }
  else if ((tokens = parse_refresh_reply (self, reply, &error)) == NULL)
    {
      if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED))
        {
          end_session (self, error->message);
        }
      else if (status_is_transient (reply->status))
        {
          retry_or_fail (refresh, tg_http_reply_get_retry_after_ms (reply, tg_clock_get_real_time (self->clock)),
                         g_steal_pointer (&error));
        }
      else
        {
          salvage_refresh_token (self, reply);
          if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED))
            refresh_failed (self, g_steal_pointer (&error));
          else
            refresh_failed (self, g_error_new (TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED,
                                               _("The token refresh failed: %s"), error->message));
        }
    }
  else
    {
      refresh_succeeded (self, refresh, tokens);
    }

  refresh_unref (refresh);
}

/* Drops the session in memory: no refresh, no tokens, every waiter told why.
 * The store is the caller's business — a new sign-in overwrites it, an ended
 * session clears it. */
static void
abandon_session (TgTokenManager *self,
                 const GError   *error)
{
  refresh_drop (&self->refresh);
  refresh_drop (&self->listening);
  self->canary_pending = FALSE;
  g_clear_pointer (&self->canary_timeout, g_source_destroy);

  if (self->tokens != NULL)
    install_tokens (self, NULL);
  set_state (self, TG_TOKEN_STATE_SIGNED_OUT);
  fail_all_waiters (self, error);
}

static void
end_session (TgTokenManager *self,
             const char     *reason)
{
  gboolean had_session = self->tokens != NULL;
  g_autofree char *why = g_strdup (reason);  /* @reason may be freed below */

  g_clear_error (&self->ended);
  self->ended = g_error_new (TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED,
                             _("Your session has ended: %s"), why);
  abandon_session (self, self->ended);

  if (had_session)
    {
      /* The refresh token is dead: don't offer it again at the next start. */
      store_write_in_background (self, NULL);
      g_signal_emit (self, signals[SESSION_EXPIRED], 0, why);
    }
}

/* ------------------------------------------------------------------------- */
/* Rule 7: nothing hangs                                                     */

/* Every waiter is completed: by the refresh, by its own cancellable, by the
 * refresh's deadline, by a sign-out or by dispose. */

/* Rule 7: a caller that cancels leaves the queue at once — and only it does:
 * the refresh it was waiting on goes on for everyone else. */
static gboolean
on_waiter_cancelled (GCancellable *cancellable,
                     gpointer      user_data)
{
  Waiter *waiter = user_data;
  TgTokenManager *self = g_task_get_source_object (waiter->task);

  g_queue_remove (&self->waiters, waiter);
  g_task_return_error_if_cancelled (waiter->task);
  waiter_free (waiter);

  return G_SOURCE_REMOVE;
}

/* Rule 7: the queue is emptied before anyone hears: a callback that needs a
 * refresh queues for the next one, and must not be failed with this one's
 * error by the loop below. */
static void
fail_all_waiters (TgTokenManager *self,
                  const GError   *error)
{
  GQueue waiters = self->waiters;
  Waiter *waiter;

  g_queue_init (&self->waiters);
  while ((waiter = g_queue_pop_head (&waiters)) != NULL)
    waiter_fail (waiter, error);
}

static void
arm_deadline (Refresh *refresh)
{
  TgTokenManager *self = refresh->manager;

  refresh->deadline_at = tg_clock_get_real_time (self->clock) +
                         (gint64) self->refresh_timeout * G_USEC_PER_SEC;
  refresh->deadline = clock_source_new (self, self->refresh_timeout * 1000, on_refresh_deadline,
                                        refresh_ref (refresh), refresh_unref,
                                        "[tg-token-manager] refresh deadline");
}

/* Rule 7: the deadline of the refresh, whichever step it is in. */
static gboolean
on_refresh_deadline (gpointer user_data)
{
  Refresh *refresh = user_data;
  TgTokenManager *self = refresh->manager;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&refresh->deadline, g_source_unref);
  g_assert (self->refresh == refresh);

  if (refresh->saving)
    {
      /* The new pair is installed; only the store is slow. The waiters get
       * it now, and the write goes on (rule 8). */
      g_debug ("The store is still writing the refreshed session; releasing the waiters");
      refresh_release (self);
      return G_SOURCE_REMOVE;
    }

  error = g_error_new (TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED,
                       _("The token refresh timed out after %u s"), self->refresh_timeout);

  if (refresh->exchanging)
    {
      /* The server may have used up the refresh token already, and its answer
       * would then be the only way to carry on (rule 1, Refresh.listening):
       * fail the waiters, but keep the exchange. */
      self->refresh = NULL;
      self->listening = refresh;
      set_state (self, TG_TOKEN_STATE_VALID);
      fail_all_waiters (self, error);
      return G_SOURCE_REMOVE;
    }

  refresh_failed (self, g_steal_pointer (&error));
  return G_SOURCE_REMOVE;
}

/* The exchange has taken LATE_ANSWER_SECONDS longer than a whole refresh may:
 * its answer is taken for lost. Listened for, it is dropped; the current
 * refresh tries again, if its deadline allows. */
static gboolean
on_exchange_limit (gpointer user_data)
{
  Refresh *refresh = user_data;
  TgTokenManager *self = refresh->manager;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&refresh->exchange_limit, g_source_unref);

  error = g_error_new (TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED,
                       _("The server did not answer the token refresh"));
  record_end (self, &refresh->record, NULL, error);
  refresh->exchange++;  /* its callback, should it still come, is ignored */
  refresh->exchanging = FALSE;
  g_cancellable_cancel (refresh->cancellable);
  g_clear_object (&refresh->cancellable);

  if (self->listening == refresh)
    refresh_drop (&self->listening);
  else if (self->refresh == refresh)
    retry_or_fail (refresh, -1, g_steal_pointer (&error));

  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------- */
/* Rule 8: persist before release; the store, one write at a time            */

/* A rotated refresh token may be the only valid one: it is in the store
 * before any waiter acts on the new pair. */

/* A write asked for: a pair to save, or none to clear the store. */
typedef struct {
  TgTokens  *tokens;  /* owned, nullable: clear */
  GPtrArray *riders;  /* GTask*, owned: earlier writes this one replaced */
} StoreWrite;

static void
store_write_free (StoreWrite *write)
{
  g_clear_pointer (&write->tokens, tg_tokens_unref);
  g_ptr_array_unref (write->riders);
  g_free (write);
}

static void
store_written (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  TgTokenManager *self = user_data;
  g_autoptr(GTask) task = g_queue_pop_head (&self->store_writes);
  StoreWrite *write = g_task_get_task_data (task);
  g_autoptr(GPtrArray) done = g_steal_pointer (&write->riders);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (write->tokens != NULL)
    ok = tg_token_store_save_finish (TG_TOKEN_STORE (source), result, &error);
  else
    ok = tg_token_store_clear_finish (TG_TOKEN_STORE (source), result, &error);

  store_write_next (self);

  /* The writes it replaced end as it did. */
  write->riders = g_ptr_array_new ();
  g_ptr_array_add (done, g_object_ref (task));
  for (guint i = 0; i < done->len; i++)
    {
      GTask *written = g_ptr_array_index (done, i);

      if (ok)
        g_task_return_boolean (written, TRUE);
      else
        g_task_return_error (written, g_error_copy (error));
    }
  g_object_unref (self);
}

static void
store_write_next (TgTokenManager *self)
{
  GTask *task = g_queue_peek_head (&self->store_writes);
  StoreWrite *write;

  if (task == NULL)
    return;

  write = g_task_get_task_data (task);
  if (write->tokens != NULL)
    tg_token_store_save_async (self->store, self->account, write->tokens, self->cancellable,
                               store_written, g_object_ref (self));
  else
    tg_token_store_clear_async (self->store, self->account, self->cancellable,
                                store_written, g_object_ref (self));
}

/* Saves @tokens, or clears the store if %NULL, after the write in progress.
 * Writes run one at a time, in order: a sign-out's clear always lands after
 * the refresh's save it follows, and the store never goes back to an older
 * pair. A write still waiting for its turn is replaced by the new one — its
 * pair's refresh token is used up once a newer pair exists, and writing it
 * would only put a dead session in the store for a while — and finishes
 * when the new one does, so that "persisted" still means persisted. */
static void
store_write_async (TgTokenManager      *self,
                   TgTokens            *tokens,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  GTask *task;
  StoreWrite *write;

  g_assert (self->store != NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, store_write_async);
  write = g_new0 (StoreWrite, 1);
  write->tokens = tokens != NULL ? tg_tokens_ref (tokens) : NULL;
  write->riders = g_ptr_array_new_with_free_func (g_object_unref);
  g_task_set_task_data (task, write, (GDestroyNotify) store_write_free);

  while (self->store_writes.length > 1)
    {
      GTask *replaced = g_queue_pop_tail (&self->store_writes);
      StoreWrite *old = g_task_get_task_data (replaced);

      g_ptr_array_extend_and_steal (write->riders, g_steal_pointer (&old->riders));
      old->riders = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (write->riders, replaced);
    }

  g_queue_push_tail (&self->store_writes, task);
  if (self->store_writes.length == 1)
    store_write_next (self);
}

static gboolean
store_write_finish (TgTokenManager  *self,
                    GAsyncResult    *result,
                    GError         **error)
{
  return boolean_propagate (self, result, store_write_async, error);
}

/* A failed write of a pair that works in memory: worth a warning (@what:
 * "store the session"), not a failure. */
static void
warn_unless_written (TgTokenManager *self,
                     GAsyncResult   *result,
                     const char     *what)
{
  g_autoptr(GError) error = NULL;

  if (!store_write_finish (self, result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not %s: %s", what, error->message);
}

static void
written_in_background (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  warn_unless_written (TG_TOKEN_MANAGER (source), result, user_data);
}

/* Saves @tokens, or clears the store for %NULL, with nobody waiting for it. */
static void
store_write_in_background (TgTokenManager *self,
                           TgTokens       *tokens)
{
  if (self->store == NULL)
    return;
  store_write_async (self, tokens, written_in_background,
                     tokens != NULL ? "store the session" : "remove the stored session");
}

/* Saves @tokens, or clears the store for %NULL, then @written completes
 * @task (owned). Without a store there is nothing to wait for. */
static void
store_write_then_return (TgTokenManager      *self,
                         TgTokens            *tokens,
                         GAsyncReadyCallback  written,
                         GTask               *task)
{
  if (self->store == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  store_write_async (self, tokens, written, task);
}

/* The refresh is over and its pair installed: its waiters get the new token. */
static void
refresh_release (TgTokenManager *self)
{
  refresh_drop (&self->refresh);
  release_waiters (self);
}

static void
refresh_persisted (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Refresh *refresh = user_data;
  TgTokenManager *self = TG_TOKEN_MANAGER (source);

  refresh->saving = FALSE;

  /* The new pair is in memory and works; only a crash before the next save
   * could lose it. Say so, and go on. */
  warn_unless_written (self, result, "store the refreshed session");

  /* Detached meanwhile — signed out, signed in anew, disposed, or released
   * at its deadline — its waiters were completed then. Another refresh may
   * be current by now: it is not ours to release. */
  if (self->refresh == refresh)
    refresh_release (self);

  refresh_unref (refresh);
}

/* The refresh token we were just handed may be the only valid one (the old
 * one is used up): it is stored before anybody acts on the new pair. */
static void
refresh_succeeded (TgTokenManager *self,
                   Refresh        *refresh,
                   TgTokens       *tokens)
{
  install_tokens (self, tokens);

  if (self->store == NULL)
    {
      refresh_release (self);
      return;
    }
  refresh->saving = TRUE;
  store_write_async (self, tokens, refresh_persisted, refresh_ref (refresh));
}

/* ------------------------------------------------------------------------- */
/* Sign-in, restore, sign-out                                                */

static void
sign_in_persisted (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  warn_unless_written (TG_TOKEN_MANAGER (source), result, "store the session");

  g_task_return_boolean (task, TRUE);
}

static void
dropped_pair_revoked (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TgHttpReply) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = call_finish (task, result, &error);
  if (reply == NULL || !SOUP_STATUS_IS_SUCCESSFUL (reply->status))
    g_debug ("Revoking the pair of a cancelled sign-in failed");
  g_task_return_boolean (task, TRUE);
}

/* A pair the server issued for a sign-in its caller cancelled meanwhile is
 * not installed, and its refresh token is revoked where the protocol can
 * (RFC 7009), as a sign-out's is: nobody holds it, so it must not stay
 * valid at the server. Best effort, and nobody waits for it. */
static void
drop_pair (TgTokenManager *self,
           TgTokens       *tokens)
{
  SoupMessage *msg = NULL;

  if (tg_tokens_get_refresh_token (tokens) != NULL)
    msg = tg_auth_protocol_new_revoke_message (self->protocol, tg_tokens_get_refresh_token (tokens));
  if (msg == NULL)
    return;
  call_send (self, g_task_new (self, NULL, NULL, NULL), TG_REQUEST_KIND_REVOKE, msg, dropped_pair_revoked);
}

static void
sign_in_answered (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TgTokenManager *self = g_task_get_source_object (task);
  Call *sign_in = g_task_get_task_data (task);
  g_autoptr(TgHttpReply) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTokens) tokens = NULL;
  TgAuthOperation operation;

  reply = call_finish (task, result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  operation = g_task_get_source_tag (task) == tg_token_manager_sign_in_with_code_async
                ? TG_AUTH_OPERATION_EXCHANGE_CODE : TG_AUTH_OPERATION_SIGN_IN;
  tokens = tg_auth_protocol_parse_reply (self->protocol, operation, sign_in->msg, reply, NULL,
                                         tg_clock_get_real_time (self->clock), &error);
  if (tokens == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The user signed out while this was on the way: its answer must not sign
   * them back in. */
  if (sign_in->sign_outs != self->sign_outs)
    {
      g_task_return_new_error (task, TG_AUTH_ERROR, TG_AUTH_ERROR_SIGNED_OUT,
                               _("Signed out before the sign-in finished"));
      return;
    }

  /* The caller gave up while the answer was on the way (the transport's
   * task does not check the cancellable once libsoup has the answer). */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      drop_pair (self, tokens);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The sign-in was cancelled"));
      return;
    }

  /* A new session: whatever was pending for the old one is over. (Its stored
   * pair is overwritten just below, so the store is left alone here.) */
  if (self->tokens != NULL)
    {
      error = g_error_new_literal (TG_AUTH_ERROR, TG_AUTH_ERROR_SIGNED_OUT,
                                   _("A new sign-in replaced the session of this request"));
      abandon_session (self, error);
    }
  install_session (self, tokens);
  store_write_then_return (self, tokens, sign_in_persisted, g_steal_pointer (&task));
}

/**
 * tg_token_manager_sign_in_async:
 * @self: a #TgTokenManager
 * @user_name: the user name
 * @password: the password; not kept
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when signed in, or not
 * @user_data: (closure): data for @callback
 *
 * Signs in at the token endpoint and stores the new session. Fails with
 * %TG_AUTH_ERROR_BAD_CREDENTIALS for a wrong user name or password, a TLS or
 * network error as libsoup reports it, or %TG_AUTH_ERROR_PROTOCOL /
 * %TG_AUTH_ERROR_SERVER for an answer that is not a token pair.
 */
void
tg_token_manager_sign_in_async (TgTokenManager      *self,
                                const char          *user_name,
                                const char          *password,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TG_IS_TOKEN_MANAGER (self));
  g_return_if_fail (user_name != NULL && password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_token_manager_sign_in_async);

  call_send (self, g_steal_pointer (&task), TG_REQUEST_KIND_SIGN_IN,
             tg_auth_protocol_new_sign_in_message (self->protocol, user_name, password),
             sign_in_answered);
}

/**
 * tg_token_manager_sign_in_finish:
 * @self: a #TgTokenManager
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes tg_token_manager_sign_in_async(). On success the manager holds
 * the new session (#TgTokenManager:state is %TG_TOKEN_STATE_VALID); a failure
 * to store it is only warned about, because the session works in memory.
 *
 * Returns: %TRUE if signed in, or %FALSE with @error set
 */
gboolean
tg_token_manager_sign_in_finish (TgTokenManager  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  return boolean_propagate (self, result, tg_token_manager_sign_in_async, error);
}

/*
 * tg_token_manager_sign_in_with_code_async:
 * @self: a #TgTokenManager with an OAuth 2.0 protocol
 * @code: the authorization code
 * @redirect_uri: the redirect URI the code was sent to
 * @code_verifier: the PKCE verifier of the authorization request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when signed in, or not
 * @user_data: (closure): data for @callback
 *
 * Exchanges the code for a session (RFC 6749 §4.1.3) and installs it exactly
 * as tg_token_manager_sign_in_async() installs a password sign-in's: a
 * sign-out or a cancel meanwhile wins (a cancelled sign-in's pair is
 * revoked where the protocol can), a session already there is replaced, the
 * pair is stored. A refused code fails with %TG_AUTH_ERROR_AUTHORIZATION_FAILED.
 */
void
tg_token_manager_sign_in_with_code_async (TgTokenManager      *self,
                                          const char          *code,
                                          const char          *redirect_uri,
                                          const char          *code_verifier,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TG_IS_TOKEN_MANAGER (self));
  g_return_if_fail (code != NULL && redirect_uri != NULL && code_verifier != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_token_manager_sign_in_with_code_async);

  call_send (self, g_steal_pointer (&task), TG_REQUEST_KIND_SIGN_IN,
             tg_auth_protocol_new_code_message (self->protocol, code, redirect_uri, code_verifier),
             sign_in_answered);
}

gboolean
tg_token_manager_sign_in_with_code_finish (TgTokenManager  *self,
                                           GAsyncResult    *result,
                                           GError         **error)
{
  return boolean_propagate (self, result, tg_token_manager_sign_in_with_code_async, error);
}

/*
 * tg_token_manager_has_refresh_token:
 * @self: a #TgTokenManager
 *
 * Whether the session can be refreshed: a provider may issue no refresh
 * token (without `offline_access`, for example), and then the session ends
 * with its access token.
 *
 * Returns: %TRUE if signed in with a refresh token
 */
gboolean
tg_token_manager_has_refresh_token (TgTokenManager *self)
{
  g_return_val_if_fail (TG_IS_TOKEN_MANAGER (self), FALSE);

  return self->tokens != NULL && tg_tokens_get_refresh_token (self->tokens) != NULL;
}

static void
restored (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TgTokenManager *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTokens) tokens = NULL;

  tokens = tg_token_store_load_finish (TG_TOKEN_STORE (source), result, &error);
  if (tokens == NULL)
    {
      /* Unreadable or absent: signed out. The store has said why, if it knew. */
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not read the stored session: %s", error->message);
      g_task_return_boolean (task, FALSE);
      return;
    }

  if (self->tokens == NULL)
    install_session (self, tokens);
  g_task_return_boolean (task, TRUE);
}

/**
 * tg_token_manager_restore_async:
 * @self: a #TgTokenManager
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the store has been read
 * @user_data: (closure): data for @callback
 *
 * Loads the session kept in the store, as the posts' app does from
 * localStorage. A session signed in meanwhile is kept, not replaced.
 */
void
tg_token_manager_restore_async (TgTokenManager      *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TG_IS_TOKEN_MANAGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_token_manager_restore_async);

  if (self->store == NULL)
    {
      g_task_return_boolean (task, FALSE);
      return;
    }
  tg_token_store_load_async (self->store, self->account, cancellable, restored, g_steal_pointer (&task));
}

/**
 * tg_token_manager_restore_finish:
 * @self: a #TgTokenManager
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes tg_token_manager_restore_async(). Nothing stored, a stored session
 * that cannot be read, no store at all and a store that cannot be asked all
 * finish with %FALSE and no error (the last with a warning): the user signs in
 * again.
 *
 * Returns: %TRUE if a stored session was found
 */
gboolean
tg_token_manager_restore_finish (TgTokenManager  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  return boolean_propagate (self, result, tg_token_manager_restore_async, error);
}

static void
sign_out_forgotten (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!store_write_finish (TG_TOKEN_MANAGER (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
sign_out_revoked (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TgTokenManager *self = g_task_get_source_object (task);
  g_autoptr(TgHttpReply) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = call_finish (task, result, &error);
  /* Best effort: we are signed out here whatever the server said; a failed
   * revocation only means the refresh token lives until it expires. */
  if (reply == NULL || !SOUP_STATUS_IS_SUCCESSFUL (reply->status))
    g_debug ("Revocation at sign-out failed");

  store_write_then_return (self, NULL, sign_out_forgotten, g_steal_pointer (&task));
}

/**
 * tg_token_manager_sign_out_async:
 * @self: a #TgTokenManager
 * @cancellable: (nullable): a #GCancellable
 * @callback: (nullable) (scope async): called when the session is forgotten
 * @user_data: (closure): data for @callback
 *
 * Ends the session: every waiter fails with %TG_AUTH_ERROR_SIGNED_OUT, the
 * refresh token is revoked at the server where the protocol has a revocation
 * endpoint (RFC 7009), and the store forgets the session.
 */
void
tg_token_manager_sign_out_async (TgTokenManager      *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTokens) tokens = NULL;
  SoupMessage *msg = NULL;

  g_return_if_fail (TG_IS_TOKEN_MANAGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_token_manager_sign_out_async);

  tokens = self->tokens != NULL ? tg_tokens_ref (self->tokens) : NULL;
  /* A sign-in still on the way must not bring the session back. */
  self->sign_outs++;
  g_clear_error (&self->ended);
  error = g_error_new_literal (TG_AUTH_ERROR, TG_AUTH_ERROR_SIGNED_OUT, _("Signed out"));
  abandon_session (self, error);

  if (tokens != NULL && tg_tokens_get_refresh_token (tokens) != NULL)
    msg = tg_auth_protocol_new_revoke_message (self->protocol, tg_tokens_get_refresh_token (tokens));

  if (msg != NULL)
    call_send (self, g_steal_pointer (&task), TG_REQUEST_KIND_REVOKE, msg, sign_out_revoked);
  else
    store_write_then_return (self, NULL, sign_out_forgotten, g_steal_pointer (&task));
}

/**
 * tg_token_manager_sign_out_finish:
 * @self: a #TgTokenManager
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes tg_token_manager_sign_out_async(). The session in memory is gone
 * either way, as soon as the sign-out starts; an error means the store could
 * not forget it. A failed revocation is not an error.
 *
 * Returns: %TRUE if the store no longer holds the session
 */
gboolean
tg_token_manager_sign_out_finish (TgTokenManager  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  return boolean_propagate (self, result, tg_token_manager_sign_out_async, error);
}

/**
 * tg_token_manager_replace_access_token:
 * @self: a signed-in #TgTokenManager
 * @access_token: what to use instead
 *
 * Puts another value in place of the access token, in memory and in the
 * store, without a new generation — the posts' demo,
 * `localStorage.setItem("token", "sdf")`: the next requests go out with a
 * token the server rejects, and the manager must recover with one refresh.
 * The replacement's expiry is unknown (#TgTokenManager:expires-at is 0), so
 * it is sent whatever the age of the token it replaced.
 */
void
tg_token_manager_replace_access_token (TgTokenManager *self,
                                       const char     *access_token)
{
  g_autoptr(TgTokens) tokens = NULL;
  gboolean had_expiry;

  g_return_if_fail (TG_IS_TOKEN_MANAGER (self));
  g_return_if_fail (access_token != NULL && *access_token != '\0');

  if (self->tokens == NULL)
    return;

  /* The replacement is not a token the server issued, so nothing is known of
   * its expiry: were the old token's kept, a pair aged past its skew would be
   * refreshed at the gate (rule 4) and the replacement never sent. Without an
   * expiry it goes out as it is and the server's 401 decides, as for any
   * token without `exp` or `expires_in`. */
  had_expiry = tg_tokens_get_expires_at (self->tokens) != 0;
  tokens = tg_tokens_new (access_token, tg_tokens_get_refresh_token (self->tokens), 0);
  g_clear_pointer (&self->tokens, tg_tokens_unref);
  self->tokens = g_steal_pointer (&tokens);
  if (had_expiry)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES_AT]);
  g_signal_emit (self, signals[TOKENS_CHANGED], 0);

  store_write_in_background (self, self->tokens);
}

/* ------------------------------------------------------------------------- */
/* Accessors                                                                 */

/**
 * tg_token_manager_get_protocol:
 * @self: a #TgTokenManager
 *
 * Returns: (transfer none): how sign-ins and refreshes look on the wire
 */
TgAuthProtocol *
tg_token_manager_get_protocol (TgTokenManager *self)
{
  g_return_val_if_fail (TG_IS_TOKEN_MANAGER (self), NULL);
  return self->protocol;
}

/**
 * tg_token_manager_get_request_log:
 * @self: a #TgTokenManager
 *
 * Returns: (transfer none): every exchange made for this session, resource
 *   requests of the #TgApiClient using this manager included
 */
TgRequestLog *
tg_token_manager_get_request_log (TgTokenManager *self)
{
  g_return_val_if_fail (TG_IS_TOKEN_MANAGER (self), NULL);
  return self->log;
}

/**
 * tg_token_manager_get_state:
 * @self: a #TgTokenManager
 *
 * Returns: whether there is a session, and whether a refresh is under way
 */
TgTokenState
tg_token_manager_get_state (TgTokenManager *self)
{
  g_return_val_if_fail (TG_IS_TOKEN_MANAGER (self), TG_TOKEN_STATE_SIGNED_OUT);
  return self->state;
}

/**
 * tg_token_manager_get_generation:
 * @self: a #TgTokenManager
 *
 * Returns: how many access tokens have been installed; it never goes back,
 *   not even across sign-outs
 */
guint
tg_token_manager_get_generation (TgTokenManager *self)
{
  g_return_val_if_fail (TG_IS_TOKEN_MANAGER (self), 0);
  return self->generation;
}

/**
 * tg_token_manager_get_expires_at:
 * @self: a #TgTokenManager
 *
 * Returns: when the access token expires, in µs since the epoch by
 *   #TgTokenManager:clock (already corrected for the server's clock skew),
 *   or 0 if it is not known or there is no session
 */
gint64
tg_token_manager_get_expires_at (TgTokenManager *self)
{
  g_return_val_if_fail (TG_IS_TOKEN_MANAGER (self), 0);
  return self->tokens != NULL ? tg_tokens_get_expires_at (self->tokens) : 0;
}

/**
 * tg_token_manager_get_refresh_due_at:
 * @self: a #TgTokenManager
 *
 * When the gate will refresh the current access token before handing it out
 * (rule 4): its expiry less the `expiry-skew`, the skew clamped to half the
 * token's lifetime.
 *
 * Returns: the time in µs since the epoch (#TgTokenManager:clock), or 0 if
 *   never: signed out, proactive refresh off, or no known expiry
 */
gint64
tg_token_manager_get_refresh_due_at (TgTokenManager *self)
{
  g_return_val_if_fail (TG_IS_TOKEN_MANAGER (self), 0);
  return self->tokens != NULL ? refresh_due_at (self) : 0;
}

/**
 * tg_token_manager_dup_access_token:
 * @self: a #TgTokenManager
 *
 * For showing (shortened!) in a user interface; requests get theirs from the
 * gate.
 *
 * Returns: (transfer full) (nullable): the current access token
 */
char *
tg_token_manager_dup_access_token (TgTokenManager *self)
{
  g_return_val_if_fail (TG_IS_TOKEN_MANAGER (self), NULL);
  return self->tokens != NULL ? g_strdup (tg_tokens_get_access_token (self->tokens)) : NULL;
}

/* ------------------------------------------------------------------------- */
/* GObject                                                                   */

static void
tg_token_manager_constructed (GObject *object)
{
  TgTokenManager *self = TG_TOKEN_MANAGER (object);

  G_OBJECT_CLASS (tg_token_manager_parent_class)->constructed (object);

  g_assert (self->protocol != NULL);
  if (self->account == NULL)
    self->account = g_strdup (tg_auth_protocol_get_token_uri (self->protocol));
  if (self->clock == NULL)
    self->clock = g_object_ref (tg_clock_get_system ());
  if (self->transport == NULL)
    {
      /* Our own session for the token endpoint, so that a refresh never waits
       * in libsoup's queue behind a burst of resource requests. */
      g_autoptr(SoupSession) session = soup_session_new_with_options ("max-conns", 4,
                                                                      "max-conns-per-host", 4,
                                                                      NULL);
      self->transport = tg_soup_transport_new (session);
    }
}

static void
tg_token_manager_dispose (GObject *object)
{
  TgTokenManager *self = TG_TOKEN_MANAGER (object);
  g_autoptr(GError) error = NULL;

  /* Rule 7: whoever still waits hears about it. */
  g_cancellable_cancel (self->cancellable);
  refresh_drop (&self->refresh);
  refresh_drop (&self->listening);
  g_clear_pointer (&self->canary_timeout, g_source_destroy);
  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, _("The token manager was shut down"));
  fail_all_waiters (self, error);
  if (self->transport != NULL)
    tg_transport_abort (self->transport);

  G_OBJECT_CLASS (tg_token_manager_parent_class)->dispose (object);
}

static void
tg_token_manager_finalize (GObject *object)
{
  TgTokenManager *self = TG_TOKEN_MANAGER (object);

  g_clear_object (&self->protocol);
  g_clear_object (&self->store);
  g_assert (g_queue_is_empty (&self->store_writes));
  g_clear_object (&self->transport);
  g_clear_object (&self->clock);
  g_clear_object (&self->log);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->tokens, tg_tokens_unref);
  g_clear_error (&self->ended);
  g_free (self->account);

  G_OBJECT_CLASS (tg_token_manager_parent_class)->finalize (object);
}

static void
tg_token_manager_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TgTokenManager *self = TG_TOKEN_MANAGER (object);

  switch (prop_id)
    {
    case PROP_PROTOCOL:
      g_value_set_object (value, self->protocol);
      break;
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_ACCOUNT:
      g_value_set_string (value, self->account);
      break;
    case PROP_TRANSPORT:
      g_value_set_object (value, self->transport);
      break;
    case PROP_CLOCK:
      g_value_set_object (value, self->clock);
      break;
    case PROP_REQUEST_LOG:
      g_value_set_object (value, self->log);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_GENERATION:
      g_value_set_uint (value, self->generation);
      break;
    case PROP_EXPIRES_AT:
      g_value_set_int64 (value, tg_token_manager_get_expires_at (self));
      break;
    case PROP_RETRY_POLICY:
      g_value_set_enum (value, self->retry_policy);
      break;
    case PROP_PROACTIVE:
      g_value_set_boolean (value, self->proactive);
      break;
    case PROP_EXPIRY_SKEW:
      g_value_set_uint (value, self->expiry_skew);
      break;
    case PROP_REFRESH_TIMEOUT:
      g_value_set_uint (value, self->refresh_timeout);
      break;
    case PROP_REFRESHES_STARTED:
      g_value_set_uint (value, self->refreshes_started);
      break;
    case PROP_REFRESHES_JOINED:
      g_value_set_uint (value, self->refreshes_joined);
      break;
    case PROP_STALE_401S:
      g_value_set_uint (value, self->stale_401s);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_uint_property (TgTokenManager *self,
                   guint          *field,
                   guint           value,
                   guint           prop_id)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
tg_token_manager_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  TgTokenManager *self = TG_TOKEN_MANAGER (object);

  switch (prop_id)
    {
    case PROP_PROTOCOL:
      self->protocol = g_value_dup_object (value);
      break;
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    case PROP_ACCOUNT:
      self->account = g_value_dup_string (value);
      break;
    case PROP_TRANSPORT:
      self->transport = g_value_dup_object (value);
      break;
    case PROP_CLOCK:
      self->clock = g_value_dup_object (value);
      break;
    case PROP_RETRY_POLICY:
      if (self->retry_policy != (TgRetryPolicy) g_value_get_enum (value))
        {
          self->retry_policy = g_value_get_enum (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_PROACTIVE:
      if (self->proactive != g_value_get_boolean (value))
        {
          self->proactive = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_EXPIRY_SKEW:
      set_uint_property (self, &self->expiry_skew, g_value_get_uint (value), PROP_EXPIRY_SKEW);
      break;
    case PROP_REFRESH_TIMEOUT:
      set_uint_property (self, &self->refresh_timeout, g_value_get_uint (value), PROP_REFRESH_TIMEOUT);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_token_manager_class_init (TgTokenManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct_only = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  GParamFlags setting = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  GParamFlags readable = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = tg_token_manager_constructed;
  object_class->dispose = tg_token_manager_dispose;
  object_class->finalize = tg_token_manager_finalize;
  object_class->get_property = tg_token_manager_get_property;
  object_class->set_property = tg_token_manager_set_property;

  /**
   * TgTokenManager:protocol:
   *
   * How sign-ins, refreshes and revocations look on the wire.
   */
  properties[PROP_PROTOCOL] =
    g_param_spec_object ("protocol", NULL, NULL, TG_TYPE_AUTH_PROTOCOL, construct_only);
  /**
   * TgTokenManager:store:
   *
   * Where the session is kept between runs, or %NULL to keep it in memory
   * only.
   */
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, TG_TYPE_TOKEN_STORE, construct_only);
  /**
   * TgTokenManager:account:
   *
   * The session's name in #TgTokenManager:store, or %NULL for the token
   * endpoint's URI.
   */
  properties[PROP_ACCOUNT] =
    g_param_spec_string ("account", NULL, NULL, NULL, construct_only);
  /**
   * TgTokenManager:transport:
   *
   * How sign-ins, refreshes and revocations are sent; by default a
   * #TgSoupTransport with a session of the manager's own.
   */
  properties[PROP_TRANSPORT] =
    g_param_spec_object ("transport", NULL, NULL, TG_TYPE_TRANSPORT, construct_only);
  /**
   * TgTokenManager:clock:
   *
   * Where expiries are read and timeouts set; by default the system clock.
   */
  properties[PROP_CLOCK] =
    g_param_spec_object ("clock", NULL, NULL, TG_TYPE_CLOCK, construct_only);
  /**
   * TgTokenManager:request-log:
   *
   * Every exchange of this session: sign-ins, refreshes and revocations, and
   * the resource requests of the #TgApiClient that uses this manager.
   */
  properties[PROP_REQUEST_LOG] =
    g_param_spec_object ("request-log", NULL, NULL, TG_TYPE_REQUEST_LOG, readable);
  /**
   * TgTokenManager:state:
   *
   * Signed out, valid, or refreshing (the gate is closed meanwhile).
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, TG_TYPE_TOKEN_STATE, TG_TOKEN_STATE_SIGNED_OUT, readable);
  /**
   * TgTokenManager:generation:
   *
   * Bumped each time a new access token is installed: a request remembers
   * the generation it was sent with, so that a late 401 for an older token
   * is retried with the current one instead of starting a second refresh.
   */
  properties[PROP_GENERATION] =
    g_param_spec_uint ("generation", NULL, NULL, 0, G_MAXUINT, 0, readable);
  /**
   * TgTokenManager:expires-at:
   *
   * When the access token expires (see tg_token_manager_get_expires_at()).
   */
  properties[PROP_EXPIRES_AT] =
    g_param_spec_int64 ("expires-at", NULL, NULL, 0, G_MAXINT64, 0, readable);
  /**
   * TgTokenManager:retry-policy:
   *
   * After a refresh, whether every waiting request goes at once or the first
   * one tries the new token alone.
   */
  properties[PROP_RETRY_POLICY] =
    g_param_spec_enum ("retry-policy", NULL, NULL, TG_TYPE_RETRY_POLICY, TG_RETRY_POLICY_ALL, setting);
  /**
   * TgTokenManager:proactive:
   *
   * Whether a token about to expire (see #TgTokenManager:expiry-skew) is
   * refreshed before it is handed to a request, rather than only after the
   * server rejects it.
   */
  properties[PROP_PROACTIVE] =
    g_param_spec_boolean ("proactive", NULL, NULL, TRUE, setting);
  /**
   * TgTokenManager:expiry-skew:
   *
   * How many seconds before its expiry a token counts as expired, at most
   * half of its lifetime.
   */
  properties[PROP_EXPIRY_SKEW] =
    g_param_spec_uint ("expiry-skew", NULL, NULL, 0, 3600, DEFAULT_EXPIRY_SKEW, setting);
  /**
   * TgTokenManager:refresh-timeout:
   *
   * How many seconds a refresh may take, all its attempts and its store write
   * included, before the requests waiting on it fail.
   */
  properties[PROP_REFRESH_TIMEOUT] =
    g_param_spec_uint ("refresh-timeout", NULL, NULL, 1, 3600, DEFAULT_REFRESH_TIMEOUT, setting);
  /**
   * TgTokenManager:refreshes-started:
   *
   * How many refreshes this manager has sent.
   */
  properties[PROP_REFRESHES_STARTED] =
    g_param_spec_uint ("refreshes-started", NULL, NULL, 0, G_MAXUINT, 0, readable);
  /**
   * TgTokenManager:refreshes-joined:
   *
   * How many times a caller that needed a refresh joined the one in flight
   * instead of starting another.
   */
  properties[PROP_REFRESHES_JOINED] =
    g_param_spec_uint ("refreshes-joined", NULL, NULL, 0, G_MAXUINT, 0, readable);
  /**
   * TgTokenManager:stale-401s:
   *
   * How many 401s were for a token already replaced, and were answered with
   * the current token without a refresh.
   */
  properties[PROP_STALE_401S] =
    g_param_spec_uint ("stale-401s", NULL, NULL, 0, G_MAXUINT, 0, readable);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TgTokenManager::session-expired:
   * @self: the manager
   * @reason: why, in a sentence a person can read
   *
   * The session ended without the user asking: the refresh token was rejected
   * (`invalid_grant`) or a retried request was rejected again. Emitted once per
   * session; the tokens are gone from memory and the store.
   */
  signals[SESSION_EXPIRED] =
    g_signal_new ("session-expired", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * TgTokenManager::tokens-changed:
   *
   * A new pair was installed, the access token replaced, or the pair removed.
   */
  signals[TOKENS_CHANGED] =
    g_signal_new ("tokens-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
tg_token_manager_init (TgTokenManager *self)
{
  self->retry_policy = TG_RETRY_POLICY_ALL;
  self->proactive = TRUE;
  self->expiry_skew = DEFAULT_EXPIRY_SKEW;
  self->refresh_timeout = DEFAULT_REFRESH_TIMEOUT;
  self->cancellable = g_cancellable_new ();
  self->log = tg_request_log_new ();
  g_queue_init (&self->waiters);
  g_queue_init (&self->store_writes);
}

/**
 * tg_token_manager_new:
 * @protocol: how sign-in and refresh look on the wire
 * @store: (nullable): where the session is kept, or %NULL for memory only
 * @account: (nullable): the store's key for this session; defaults to the token
 *   endpoint's URI
 *
 * Returns: (transfer full): a signed-out manager
 */
TgTokenManager *
tg_token_manager_new (TgAuthProtocol *protocol,
                      TgTokenStore   *store,
                      const char     *account)
{
  g_return_val_if_fail (TG_IS_AUTH_PROTOCOL (protocol), NULL);
  g_return_val_if_fail (store == NULL || TG_IS_TOKEN_STORE (store), NULL);

  return g_object_new (TG_TYPE_TOKEN_MANAGER,
                       "protocol", protocol,
                       "store", store,
                       "account", account,
                       NULL);
}
