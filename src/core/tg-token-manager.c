/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgTokenManager: the token pair, its generation, and the one refresh.
 *
 * Every request passes the gate here before it is sent, and every 401 comes
 * back here before it is retried. The rules, in the order this file enforces
 * them (DESIGN.md, "The rules of the token manager"):
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
 *     deadline what is safe to retry (refresh_error_is_transient()): a
 *     connection refused or dropped before an answer, 502, 503, 504, and 429
 *     after its Retry-After. Retries wait with exponential backoff and jitter,
 *     so that a fleet of clients does not come back in step.
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

static void start_or_join_refresh (TgTokenManager *self,
                                   Waiter         *waiter);
static void end_session           (TgTokenManager *self,
                                   const char     *reason);

/* ------------------------------------------------------------------------- */
/* Grants                                                                    */

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

static gboolean
grant_propagate (GTask         *task,
                 TgTokenGrant  *out_grant,
                 GError       **error)
{
  TgTokenGrant *grant = g_task_propagate_pointer (task, error);

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

/* ------------------------------------------------------------------------- */
/* State                                                                     */

static void
set_state (TgTokenManager *self,
           TgTokenState    state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void refresh_stop_listening (TgTokenManager *self);

/* Installs a new pair (or none): a new access token is a new generation. */
static void
install_tokens (TgTokenManager *self,
                TgTokens       *tokens)
{
  gint64 old_expiry = self->tokens != NULL ? tg_tokens_get_expires_at (self->tokens) : 0;
  gint64 new_expiry = tokens != NULL ? tg_tokens_get_expires_at (tokens) : 0;

  /* Whatever an abandoned refresh would still bring is older than this. */
  refresh_stop_listening (self);

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

static void
increment (TgTokenManager *self,
           guint          *counter,
           guint           prop_id)
{
  (*counter)++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

/* ------------------------------------------------------------------------- */
/* Rule 8: the store, one write at a time                                    */

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

static void store_write_next (TgTokenManager *self);

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
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
forgotten (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!store_write_finish (TG_TOKEN_MANAGER (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not remove the stored session: %s", error->message);
}

static void
stored (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!store_write_finish (TG_TOKEN_MANAGER (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not store the session: %s", error->message);
}

/* ------------------------------------------------------------------------- */
/* Waiters                                                                   */

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
/* Rule 5: releasing the waiters after a refresh                             */

static gboolean on_canary_timeout (gpointer user_data);

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

/**
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
/* Rule 1: the one refresh                                                   */

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

/* The refresh is over, one way or the other: it is no longer current, and
 * whatever still arrives for it is ignored. */
static void
refresh_detach (TgTokenManager *self)
{
  Refresh *refresh = g_steal_pointer (&self->refresh);

  if (refresh != NULL)
    refresh_stop (refresh, TRUE);
}

static void
refresh_stop_listening (TgTokenManager *self)
{
  Refresh *refresh = g_steal_pointer (&self->listening);

  if (refresh != NULL)
    refresh_stop (refresh, TRUE);
}

static void
refresh_failed (TgTokenManager *self,
                GError         *error)
{
  g_autoptr(GError) failure = error;

  g_debug ("Refresh failed, keeping the session: %s", failure->message);
  refresh_detach (self);
  set_state (self, self->tokens != NULL ? TG_TOKEN_STATE_VALID : TG_TOKEN_STATE_SIGNED_OUT);
  fail_all_waiters (self, failure);
}

static void send_refresh (Refresh *refresh);

/* ------------------------------------------------------------------------- */
/* Rule 6: which refresh failures are worth another attempt                  */

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

/* ------------------------------------------------------------------------- */
/* The refresh's steps: send, read the answer, persist, release              */

static void
refresh_persisted (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Refresh *refresh = user_data;
  TgTokenManager *self = TG_TOKEN_MANAGER (source);
  g_autoptr(GError) error = NULL;

  refresh->saving = FALSE;

  /* The new pair is in memory and works; only a crash before the next save
   * could lose it. Say so, and go on. */
  if (!store_write_finish (self, result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not store the refreshed session: %s", error->message);

  /* Detached meanwhile — signed out, signed in anew, disposed, or released
   * at its deadline — its waiters were completed then. Another refresh may
   * be current by now: it is not ours to release. */
  if (self->refresh == refresh)
    {
      refresh_detach (self);
      release_waiters (self);
    }

  refresh_unref (refresh);
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
  if (self->store != NULL)
    store_write_async (self, tokens, stored, NULL);
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

  tokens = tg_auth_protocol_parse_reply (self->protocol, TG_AUTH_OPERATION_REFRESH, NULL, reply,
                                         tg_tokens_get_refresh_token (self->tokens),
                                         tg_clock_get_real_time (self->clock), &error);
  if (tokens != NULL)
    {
      g_debug ("The answer to a timed-out refresh arrived late; installing it");
      install_tokens (self, tokens);
      if (self->store != NULL)
        store_write_async (self, tokens, stored, NULL);
    }
  else if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED))
    end_session (self, error->message);
  else
    salvage_refresh_token (self, reply);
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

  tg_request_log_end (self->log, refresh->record, reply != NULL ? reply->status : 0, error);
  g_clear_object (&refresh->record);

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
  else if ((tokens = tg_auth_protocol_parse_reply (self->protocol, TG_AUTH_OPERATION_REFRESH, NULL, reply,
                                                   tg_tokens_get_refresh_token (self->tokens),
                                                   tg_clock_get_real_time (self->clock),
                                                   &error)) == NULL)
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
      install_tokens (self, tokens);

      /* Rule 8: the refresh token we were just handed may be the only valid
       * one (the old one is used up). Store it before anybody acts on the new
       * pair. */
      if (self->store == NULL)
        {
          refresh_detach (self);
          release_waiters (self);
        }
      else
        {
          refresh->saving = TRUE;
          store_write_async (self, tokens, refresh_persisted, refresh_ref (refresh));
        }
    }

  refresh_unref (refresh);
}

static gboolean on_exchange_limit (gpointer user_data);

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

  refresh->record = g_object_ref (tg_request_log_begin (self->log, TG_REQUEST_KIND_REFRESH,
                                                       tg_request_log_next_request_id (self->log),
                                                       refresh->attempt,
                                                       soup_message_get_method (msg),
                                                       g_uri_get_path (soup_message_get_uri (msg)),
                                                       refresh->stale_generation));
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
  tg_request_log_end (self->log, refresh->record, 0, error);
  g_clear_object (&refresh->record);
  refresh->exchange++;  /* its callback, should it still come, is ignored */
  refresh->exchanging = FALSE;
  g_cancellable_cancel (refresh->cancellable);
  g_clear_object (&refresh->cancellable);

  if (self->listening == refresh)
    refresh_stop_listening (self);
  else if (self->refresh == refresh)
    retry_or_fail (refresh, -1, g_steal_pointer (&error));

  return G_SOURCE_REMOVE;
}

static void arm_deadline (Refresh *refresh);

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
      refresh_detach (self);
      release_waiters (self);
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

/* ------------------------------------------------------------------------- */
/* Rule 6: the end of a session                                              */

/* Drops the session in memory: no refresh, no tokens, every waiter told why.
 * The store is the caller's business — a new sign-in overwrites it, an ended
 * session clears it. */
static void
abandon_session (TgTokenManager *self,
                 const GError   *error)
{
  refresh_detach (self);
  refresh_stop_listening (self);
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
      if (self->store != NULL)
        store_write_async (self, NULL, forgotten, NULL);
      g_signal_emit (self, signals[SESSION_EXPIRED], 0, why);
    }
}

/* ------------------------------------------------------------------------- */
/* Rules 2 and 3: the entry points every request goes through                */

/**
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

/**
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
  g_autoptr(GError) storage = NULL;

  g_return_if_fail (TG_IS_TOKEN_MANAGER (self));

  waiter = waiter_new (self, cancellable, callback, user_data, tg_token_manager_await_token_async);

  if (g_task_return_error_if_cancelled (waiter->task))
    waiter_free (waiter);
  else if (self->tokens == NULL)
    waiter_fail (waiter, signed_out_error (self, &storage));
  else if (self->state == TG_TOKEN_STATE_REFRESHING)
    start_or_join_refresh (self, waiter);
  else if (!token_is_fresh (self))
    start_or_join_refresh (self, waiter);
  else
    waiter_succeed_now (self, waiter);
}

/**
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
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_token_manager_await_token_async, FALSE);

  return grant_propagate (G_TASK (result), out_grant, error);
}

/**
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
  g_autoptr(GError) storage = NULL;

  g_return_if_fail (TG_IS_TOKEN_MANAGER (self));

  waiter = waiter_new (self, cancellable, callback, user_data, tg_token_manager_refresh_async);

  if (g_task_return_error_if_cancelled (waiter->task))
    {
      waiter_free (waiter);
    }
  else if (self->tokens == NULL)
    {
      waiter_fail (waiter, signed_out_error (self, &storage));
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

/**
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
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_token_manager_refresh_async, FALSE);

  return grant_propagate (G_TASK (result), out_grant, error);
}

/* ------------------------------------------------------------------------- */
/* Sign-in, restore, sign-out                                                */

typedef struct {
  SoupMessage     *msg;
  TgRequestRecord *record;
  guint            sign_outs;  /* self->sign_outs when it started */
} SignIn;

static void
sign_in_free (SignIn *sign_in)
{
  g_clear_object (&sign_in->msg);
  g_clear_object (&sign_in->record);
  g_free (sign_in);
}

static void
sign_in_persisted (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!store_write_finish (TG_TOKEN_MANAGER (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not store the session: %s", error->message);

  g_task_return_boolean (task, TRUE);
}

static void
sign_in_answered (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TgTokenManager *self = g_task_get_source_object (task);
  SignIn *sign_in = g_task_get_task_data (task);
  g_autoptr(TgHttpReply) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTokens) tokens = NULL;

  reply = tg_transport_send_finish (TG_TRANSPORT (source), result, &error);
  tg_request_log_end (self->log, sign_in->record, reply != NULL ? reply->status : 0, error);
  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  tokens = tg_auth_protocol_parse_reply (self->protocol, TG_AUTH_OPERATION_SIGN_IN, sign_in->msg, reply, NULL,
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

  /* A new session: whatever was pending for the old one is over. (Its stored
   * pair is overwritten just below, so the store is left alone here.) */
  if (self->tokens != NULL)
    {
      error = g_error_new_literal (TG_AUTH_ERROR, TG_AUTH_ERROR_SIGNED_OUT,
                                   _("A new sign-in replaced the session of this request"));
      abandon_session (self, error);
    }
  install_session (self, tokens);

  if (self->store == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  store_write_async (self, tokens, sign_in_persisted, g_steal_pointer (&task));
}

/**
 * tg_token_manager_sign_in_async:
 * @self: a #TgTokenManager
 * @user_name: the user name
 * @password: the password; not kept
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when signed in, or not
 * @user_data: data for @callback
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
  SignIn *sign_in;

  g_return_if_fail (TG_IS_TOKEN_MANAGER (self));
  g_return_if_fail (user_name != NULL && password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_token_manager_sign_in_async);

  sign_in = g_new0 (SignIn, 1);
  sign_in->sign_outs = self->sign_outs;
  sign_in->msg = tg_auth_protocol_new_sign_in_message (self->protocol, user_name, password);
  sign_in->record = g_object_ref (tg_request_log_begin (self->log, TG_REQUEST_KIND_SIGN_IN,
                                                       tg_request_log_next_request_id (self->log), 1,
                                                       soup_message_get_method (sign_in->msg),
                                                       g_uri_get_path (soup_message_get_uri (sign_in->msg)),
                                                       self->generation));
  g_task_set_task_data (task, sign_in, (GDestroyNotify) sign_in_free);

  tg_transport_send_async (self->transport, sign_in->msg, G_PRIORITY_HIGH, cancellable,
                           sign_in_answered, g_steal_pointer (&task));
}

gboolean
tg_token_manager_sign_in_finish (TgTokenManager  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_token_manager_sign_in_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
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
 *
 * Loads the session kept in the store, as the posts' app does from
 * localStorage. Finishes with %TRUE if there was one.
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

gboolean
tg_token_manager_restore_finish (TgTokenManager  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_token_manager_restore_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct {
  SoupMessage     *msg;
  TgRequestRecord *record;
} SignOut;

static void
sign_out_free (SignOut *sign_out)
{
  g_clear_object (&sign_out->msg);
  g_clear_object (&sign_out->record);
  g_free (sign_out);
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
  SignOut *sign_out = g_task_get_task_data (task);
  g_autoptr(TgHttpReply) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = tg_transport_send_finish (TG_TRANSPORT (source), result, &error);
  tg_request_log_end (self->log, sign_out->record, reply != NULL ? reply->status : 0, error);
  /* Best effort: we are signed out here whatever the server said; a failed
   * revocation only means the refresh token lives until it expires. */
  if (reply == NULL || !SOUP_STATUS_IS_SUCCESSFUL (reply->status))
    g_debug ("Revocation at sign-out failed");

  if (self->store == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  store_write_async (self, NULL, sign_out_forgotten, g_steal_pointer (&task));
}

/**
 * tg_token_manager_sign_out_async:
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
  SignOut *sign_out;

  g_return_if_fail (TG_IS_TOKEN_MANAGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_token_manager_sign_out_async);

  tokens = self->tokens != NULL ? tg_tokens_ref (self->tokens) : NULL;
  /* A sign-in still on the way must not bring the session back. */
  self->sign_outs++;
  g_clear_error (&self->ended);
  error = g_error_new_literal (TG_AUTH_ERROR, TG_AUTH_ERROR_SIGNED_OUT, _("Signed out"));
  abandon_session (self, error);

  sign_out = g_new0 (SignOut, 1);
  if (tokens != NULL && tg_tokens_get_refresh_token (tokens) != NULL)
    sign_out->msg = tg_auth_protocol_new_revoke_message (self->protocol,
                                                         tg_tokens_get_refresh_token (tokens));
  g_task_set_task_data (task, sign_out, (GDestroyNotify) sign_out_free);

  if (sign_out->msg != NULL)
    {
      sign_out->record = g_object_ref (tg_request_log_begin (self->log, TG_REQUEST_KIND_REVOKE,
                                                            tg_request_log_next_request_id (self->log), 1,
                                                            soup_message_get_method (sign_out->msg),
                                                            g_uri_get_path (soup_message_get_uri (sign_out->msg)),
                                                            self->generation));
      tg_transport_send_async (self->transport, sign_out->msg, G_PRIORITY_HIGH, cancellable,
                               sign_out_revoked, g_steal_pointer (&task));
    }
  else if (self->store != NULL)
    store_write_async (self, NULL, sign_out_forgotten, g_steal_pointer (&task));
  else
    g_task_return_boolean (task, TRUE);
}

gboolean
tg_token_manager_sign_out_finish (TgTokenManager  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_token_manager_sign_out_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
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
 */
void
tg_token_manager_replace_access_token (TgTokenManager *self,
                                       const char     *access_token)
{
  g_autoptr(TgTokens) tokens = NULL;

  g_return_if_fail (TG_IS_TOKEN_MANAGER (self));
  g_return_if_fail (access_token != NULL && *access_token != '\0');

  if (self->tokens == NULL)
    return;

  tokens = tg_tokens_with_access_token (self->tokens, access_token);
  g_clear_pointer (&self->tokens, tg_tokens_unref);
  self->tokens = g_steal_pointer (&tokens);
  g_signal_emit (self, signals[TOKENS_CHANGED], 0);

  if (self->store != NULL)
    store_write_async (self, self->tokens, stored, NULL);
}

/* ------------------------------------------------------------------------- */
/* Accessors                                                                 */

/**
 * tg_token_manager_get_protocol:
 * @self: a #TgTokenManager
 *
 * Returns: (transfer none): how sign-in and refresh look on the wire
 */
TgAuthProtocol *
tg_token_manager_get_protocol (TgTokenManager *self)
{
  g_return_val_if_fail (TG_IS_TOKEN_MANAGER (self), NULL);
  return self->protocol;
}

/**
 * tg_token_manager_get_request_log:
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

TgTokenState
tg_token_manager_get_state (TgTokenManager *self)
{
  g_return_val_if_fail (TG_IS_TOKEN_MANAGER (self), TG_TOKEN_STATE_SIGNED_OUT);
  return self->state;
}

guint
tg_token_manager_get_generation (TgTokenManager *self)
{
  g_return_val_if_fail (TG_IS_TOKEN_MANAGER (self), 0);
  return self->generation;
}

gint64
tg_token_manager_get_expires_at (TgTokenManager *self)
{
  g_return_val_if_fail (TG_IS_TOKEN_MANAGER (self), 0);
  return self->tokens != NULL ? tg_tokens_get_expires_at (self->tokens) : 0;
}

/**
 * tg_token_manager_get_refresh_due_at:
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
  refresh_detach (self);
  refresh_stop_listening (self);
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

  properties[PROP_PROTOCOL] =
    g_param_spec_object ("protocol", NULL, NULL, TG_TYPE_AUTH_PROTOCOL, construct_only);
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, TG_TYPE_TOKEN_STORE, construct_only);
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
  properties[PROP_REQUEST_LOG] =
    g_param_spec_object ("request-log", NULL, NULL, TG_TYPE_REQUEST_LOG, readable);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, TG_TYPE_TOKEN_STATE, TG_TOKEN_STATE_SIGNED_OUT, readable);
  properties[PROP_GENERATION] =
    g_param_spec_uint ("generation", NULL, NULL, 0, G_MAXUINT, 0, readable);
  properties[PROP_EXPIRES_AT] =
    g_param_spec_int64 ("expires-at", NULL, NULL, 0, G_MAXINT64, 0, readable);
  properties[PROP_RETRY_POLICY] =
    g_param_spec_enum ("retry-policy", NULL, NULL, TG_TYPE_RETRY_POLICY, TG_RETRY_POLICY_ALL, setting);
  properties[PROP_PROACTIVE] =
    g_param_spec_boolean ("proactive", NULL, NULL, TRUE, setting);
  properties[PROP_EXPIRY_SKEW] =
    g_param_spec_uint ("expiry-skew", NULL, NULL, 0, 3600, DEFAULT_EXPIRY_SKEW, setting);
  properties[PROP_REFRESH_TIMEOUT] =
    g_param_spec_uint ("refresh-timeout", NULL, NULL, 1, 3600, DEFAULT_REFRESH_TIMEOUT, setting);
  properties[PROP_REFRESHES_STARTED] =
    g_param_spec_uint ("refreshes-started", NULL, NULL, 0, G_MAXUINT, 0, readable);
  properties[PROP_REFRESHES_JOINED] =
    g_param_spec_uint ("refreshes-joined", NULL, NULL, 0, G_MAXUINT, 0, readable);
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
