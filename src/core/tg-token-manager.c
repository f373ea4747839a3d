/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgTokenManager: the token pair, its generation, and the one refresh.
 *
 * Every request passes the gate here before it is sent, and every 401 comes
 * back here before it is retried. The rules, in the order this file enforces
 * them (DESIGN.md, "The rules of the token manager"):
 *
 *  1. Single flight. At most one refresh is in flight; whoever needs one while
 *     it runs joins it (start_or_join_refresh()).
 *  2. Generation check. A 401 for a token older than the current one is answered
 *     with the current token, no refresh (tg_token_manager_refresh_async()). The
 *     posts clear their shared promise in `finally`, so a late 401 starts a
 *     second refresh with an already-used refresh token.
 *  3. Gate. While a refresh is in flight, no token is handed out: requests wait
 *     in the same FIFO as the 401s (tg_token_manager_await_token_async()).
 *  4. Proactive refresh. A token within `expiry-skew` of its expiry is refreshed
 *     before it is handed out (token_is_fresh()); 401 handling stays as the
 *     fallback, and both paths share the single flight.
 *  5. Canary or all at once. After a refresh, release_waiters() hands the new
 *     token to everyone, or (canary) to the first waiter alone until its retry
 *     is reported (tg_token_manager_report_retry()).
 *  6. Only invalid_grant signs out: refresh_answered() ends the session only for
 *     TG_AUTH_ERROR_SESSION_EXPIRED (and tg_token_manager_report_retry() for a
 *     retried request rejected again). Network errors, 5xx, timeouts and
 *     unparseable answers fail the waiters with REFRESH_FAILED and keep the
 *     session.
 *  7. Nothing hangs. The refresh owns its GCancellable and a timeout that
 *     covers the HTTP exchange and the store; a waiter's GCancellable cancels
 *     that waiter only; signing out, an ended session and dispose complete
 *     every waiter.
 *  8. Persist before release. A rotated pair is written to the store before any
 *     waiter sees it (refresh_persisted()).
 *
 * The manager lives on one thread: all calls and callbacks happen on the
 * thread-default main context it was created on.
 */
#define G_LOG_DOMAIN "tg-token-manager"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "tg-auth-error.h"
#include "tg-core-enums.h"
#include "tg-token-manager.h"

#define DEFAULT_EXPIRY_SKEW     10  /* seconds */
#define DEFAULT_REFRESH_TIMEOUT 15  /* seconds */

/* A caller waiting at the gate or on the refresh. */
typedef struct {
  GTask   *task;          /* owned */
  GSource *cancel_watch;  /* owned, nullable: fires when the caller cancels */
} Waiter;

/* The one refresh in flight: a shared future that no caller owns. */
typedef struct {
  guint            stale_generation;  /* the generation it replaces */
  GCancellable    *cancellable;       /* its own: no caller's cancel reaches it */
  GSource         *timeout;           /* covers the HTTP exchange and the store */
  gboolean         timed_out;
  SoupMessage     *msg;
  TgRequestRecord *record;
  TgTokens        *tokens;            /* the new pair, while it is being persisted */
} Refresh;

struct _TgTokenManager
{
  GObject          parent_instance;

  TgAuthProtocol  *protocol;        /* owned */
  TgTokenStore    *store;           /* owned, nullable: nothing persisted */
  char            *account;         /* the store's key for this session */
  SoupSession     *session;         /* the token endpoint's own: a refresh never
                                       queues behind a burst of resource requests */
  TgRequestLog    *log;             /* owned */

  TgTokens        *tokens;          /* owned, nullable: NULL when signed out */
  guint            generation;      /* bumped each time a new access token is installed */
  TgTokenState     state;
  GError          *ended;           /* owned, nullable: why the last session ended */

  Refresh         *refresh;         /* owned, nullable */
  GQueue           waiters;         /* Waiter*, FIFO */
  gboolean         canary_pending;  /* a canary retry is out; the gate stays closed */
  GSource         *canary_timeout;  /* owned, nullable */

  TgRetryPolicy    retry_policy;
  gboolean         proactive;
  guint            expiry_skew;     /* seconds */
  guint            refresh_timeout; /* seconds */

  guint            refreshes_started;
  guint            refreshes_joined;
  guint            stale_401s;

  GCancellable    *cancellable;     /* cancelled in dispose: sign-in, store I/O */
};

G_DEFINE_FINAL_TYPE (TgTokenManager, tg_token_manager, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROTOCOL,
  PROP_STORE,
  PROP_ACCOUNT,
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
grant_new (TgTokenManager *self,
           gboolean        canary)
{
  TgTokenGrant *grant = g_new0 (TgTokenGrant, 1);

  grant->access_token = g_strdup (tg_tokens_get_access_token (self->tokens));
  grant->generation = self->generation;
  grant->canary = canary;
  return grant;
}

static void
grant_free (gpointer data)
{
  TgTokenGrant *grant = data;

  tg_token_grant_clear (grant);
  g_free (grant);
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

/* Installs a new pair (or none): a new access token is a new generation. */
static void
install_tokens (TgTokenManager *self,
                TgTokens       *tokens)
{
  gint64 old_expiry = self->tokens != NULL ? tg_tokens_get_expires_at (self->tokens) : 0;
  gint64 new_expiry = tokens != NULL ? tg_tokens_get_expires_at (tokens) : 0;

  g_clear_pointer (&self->tokens, tg_tokens_unref);
  if (tokens != NULL)
    {
      self->tokens = tg_tokens_ref (tokens);
      self->generation++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GENERATION]);
      g_clear_error (&self->ended);
    }
  if (old_expiry != new_expiry)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES_AT]);

  g_signal_emit (self, signals[TOKENS_CHANGED], 0);
}

/* Rule 4: is the current access token good to hand out without a refresh? */
static gboolean
token_is_fresh (TgTokenManager *self)
{
  gint64 expires_at = tg_tokens_get_expires_at (self->tokens);

  if (!self->proactive || expires_at == 0)
    return TRUE;

  return g_get_real_time () < expires_at - (gint64) self->expiry_skew * G_USEC_PER_SEC;
}

static void
increment (TgTokenManager *self,
           guint          *counter,
           guint           prop_id)
{
  (*counter)++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
forgotten (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!tg_token_store_clear_finish (TG_TOKEN_STORE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not remove the stored session: %s", error->message);
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
waiter_succeed (TgTokenManager *self,
                Waiter         *waiter,
                gboolean        canary)
{
  g_task_return_pointer (waiter->task, grant_new (self, canary), grant_free);
  waiter_free (waiter);
}

static void
waiter_fail (Waiter       *waiter,
             const GError *error)
{
  g_task_return_error (waiter->task, g_error_copy (error));
  waiter_free (waiter);
}

static void
fail_all_waiters (TgTokenManager *self,
                  const GError   *error)
{
  Waiter *waiter;

  while ((waiter = g_queue_pop_head (&self->waiters)) != NULL)
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

static void
release_canary (TgTokenManager *self)
{
  Waiter *canary = g_queue_pop_head (&self->waiters);

  if (canary == NULL)
    {
      /* Nobody to try the token with: the next request will be sent with it
       * like any other. */
      self->canary_pending = FALSE;
      set_state (self, TG_TOKEN_STATE_VALID);
      return;
    }

  self->canary_pending = TRUE;
  /* A canary whose verdict never comes must not keep the gate shut. */
  g_clear_pointer (&self->canary_timeout, g_source_destroy);
  self->canary_timeout = g_timeout_source_new_seconds (self->refresh_timeout);
  g_source_set_callback (self->canary_timeout, on_canary_timeout, self, NULL);
  g_source_set_name (self->canary_timeout, "[tg-token-manager] canary timeout");
  g_source_attach (self->canary_timeout, g_main_context_get_thread_default ());
  g_source_unref (self->canary_timeout);

  waiter_succeed (self, canary, TRUE);
}

/* Opens the gate: every waiter gets the current token. */
static void
release_all (TgTokenManager *self)
{
  Waiter *waiter;

  self->canary_pending = FALSE;
  g_clear_pointer (&self->canary_timeout, g_source_destroy);
  set_state (self, TG_TOKEN_STATE_VALID);
  while ((waiter = g_queue_pop_head (&self->waiters)) != NULL)
    waiter_succeed (self, waiter, FALSE);
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
      end_session (self, "The server rejected the refreshed access token");
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

static void
refresh_free (Refresh *refresh)
{
  if (refresh->timeout != NULL)
    {
      g_source_destroy (refresh->timeout);
      g_source_unref (refresh->timeout);
    }
  g_clear_object (&refresh->cancellable);
  g_clear_object (&refresh->msg);
  g_clear_object (&refresh->record);
  g_clear_pointer (&refresh->tokens, tg_tokens_unref);
  g_free (refresh);
}

/* The refresh is over, one way or the other: it is no longer current, and
 * whatever still arrives for it is ignored. */
static void
refresh_detach (TgTokenManager *self)
{
  Refresh *refresh = g_steal_pointer (&self->refresh);

  if (refresh == NULL)
    return;
  g_cancellable_cancel (refresh->cancellable);
  refresh_free (refresh);
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

static void
refresh_persisted (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TgTokenManager) self = user_data;
  g_autoptr(GError) error = NULL;
  Refresh *refresh = self->refresh;

  if (!tg_token_store_save_finish (TG_TOKEN_STORE (source), result, &error))
    {
      /* The new pair is in memory and works; only a crash before the next
       * save could lose it. Say so, and go on. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || refresh != NULL)
        g_warning ("Could not store the refreshed session: %s", error->message);
    }

  /* Detached meanwhile (sign-out, dispose): its waiters were completed then. */
  if (refresh == NULL || g_cancellable_is_cancelled (refresh->cancellable))
    return;

  refresh_detach (self);
  release_waiters (self);
}

static void
refresh_answered (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TgTokenManager) self = user_data;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTokens) tokens = NULL;
  Refresh *refresh = self->refresh;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  /* Not ours any more: signed out or disposed while it ran. */
  if (refresh == NULL || refresh->msg != msg)
    return;

  tg_request_log_end (self->log, refresh->record, body != NULL ? soup_message_get_status (msg) : 0, error);

  if (body == NULL)
    {
      if (refresh->timed_out)
        refresh_failed (self, g_error_new (TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED,
                                           _("The token refresh timed out after %u s"),
                                           self->refresh_timeout));
      else
        refresh_failed (self, g_error_new (TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED,
                                           _("Could not reach the server to refresh the token: %s"),
                                           error->message));
      return;
    }

  tokens = tg_auth_protocol_parse_answer (self->protocol, TG_AUTH_OPERATION_REFRESH, msg, body,
                                          tg_tokens_get_refresh_token (self->tokens), &error);
  if (tokens == NULL)
    {
      if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED))
        end_session (self, error->message);
      else if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED))
        refresh_failed (self, g_steal_pointer (&error));
      else
        refresh_failed (self, g_error_new (TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED,
                                           _("The token refresh failed: %s"), error->message));
      return;
    }

  install_tokens (self, tokens);

  /* Rule 8: the refresh token we were just handed may be the only valid one
   * (the old one is used up). Store it before anybody acts on the new pair. */
  if (self->store == NULL)
    {
      refresh_detach (self);
      release_waiters (self);
      return;
    }
  tg_token_store_save_async (self->store, self->account, tokens, refresh->cancellable,
                             refresh_persisted, g_object_ref (self));
}

static gboolean
on_refresh_timeout (gpointer user_data)
{
  TgTokenManager *self = user_data;

  /* Cancelling our own cancellable ends whichever step is running — the HTTP
   * exchange (→ REFRESH_FAILED) or the store (→ release with a warning). */
  self->refresh->timed_out = TRUE;
  g_cancellable_cancel (self->refresh->cancellable);

  g_clear_pointer (&self->refresh->timeout, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
start_refresh (TgTokenManager *self)
{
  Refresh *refresh;
  const char *refresh_token = tg_tokens_get_refresh_token (self->tokens);

  g_assert (self->refresh == NULL);

  if (refresh_token == NULL)
    {
      end_session (self, "The server issued no refresh token; sign in again");
      return;
    }

  refresh = g_new0 (Refresh, 1);
  refresh->stale_generation = self->generation;
  refresh->cancellable = g_cancellable_new ();
  refresh->msg = tg_auth_protocol_new_refresh_message (self->protocol, refresh_token);
  refresh->record = g_object_ref (tg_request_log_begin (self->log, TG_REQUEST_KIND_REFRESH,
                                                       tg_request_log_next_request_id (self->log), 1,
                                                       soup_message_get_method (refresh->msg),
                                                       g_uri_get_path (soup_message_get_uri (refresh->msg)),
                                                       self->generation));
  self->refresh = refresh;

  refresh->timeout = g_timeout_source_new_seconds (self->refresh_timeout);
  g_source_set_callback (refresh->timeout, on_refresh_timeout, self, NULL);
  g_source_set_name (refresh->timeout, "[tg-token-manager] refresh timeout");
  g_source_attach (refresh->timeout, g_main_context_get_thread_default ());

  increment (self, &self->refreshes_started, PROP_REFRESHES_STARTED);
  set_state (self, TG_TOKEN_STATE_REFRESHING);

  /* The token endpoint has a session of its own, so nothing of ours queues in
   * front of the refresh; the priority says the same to libsoup in case an
   * application shares that session. */
  soup_message_set_priority (refresh->msg, SOUP_MESSAGE_PRIORITY_VERY_HIGH);

  soup_session_send_and_read_async (self->session, refresh->msg, G_PRIORITY_HIGH,
                                    refresh->cancellable, refresh_answered, g_object_ref (self));
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

  g_clear_error (&self->ended);
  self->ended = g_error_new (TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED,
                             _("Your session has ended: %s"), reason);
  abandon_session (self, self->ended);

  if (had_session)
    {
      /* The refresh token is dead: don't offer it again at the next start. */
      if (self->store != NULL)
        tg_token_store_clear_async (self->store, self->account, self->cancellable, forgotten, NULL);
      g_signal_emit (self, signals[SESSION_EXPIRED], 0, reason);
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

  out_grant->access_token = g_strdup (tg_tokens_get_access_token (self->tokens));
  out_grant->generation = self->generation;
  out_grant->canary = FALSE;
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
    waiter_succeed (self, waiter, FALSE);
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
 * What a request does with its 401. If a newer token than @stale_generation
 * is already installed, the caller gets it at once and no refresh starts
 * (rule 2): the 401 was for a token that has already been replaced. Otherwise
 * the caller joins the refresh in flight, or starts it (rule 1).
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
  else if (stale_generation < self->generation)
    {
      increment (self, &self->stale_401s, PROP_STALE_401S);
      /* Newer than the rejected token — but while a refresh or a canary is
       * under way the gate is closed to everyone, this caller included. */
      if (self->state == TG_TOKEN_STATE_REFRESHING)
        waiter_enqueue (self, waiter);
      else
        waiter_succeed (self, waiter, FALSE);
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
  TgTokens        *tokens;
} SignIn;

static void
sign_in_free (SignIn *sign_in)
{
  g_clear_object (&sign_in->msg);
  g_clear_object (&sign_in->record);
  g_clear_pointer (&sign_in->tokens, tg_tokens_unref);
  g_free (sign_in);
}

static void
sign_in_persisted (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!tg_token_store_save_finish (TG_TOKEN_STORE (source), result, &error))
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
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTokens) tokens = NULL;
  GCancellable *cancellable;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  tg_request_log_end (self->log, sign_in->record,
                      body != NULL ? soup_message_get_status (sign_in->msg) : 0, error);
  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  tokens = tg_auth_protocol_parse_answer (self->protocol, TG_AUTH_OPERATION_SIGN_IN,
                                          sign_in->msg, body, NULL, &error);
  if (tokens == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* A new session: whatever was pending for the old one is over. (Its stored
   * pair is overwritten just below, so the store is left alone here.) */
  abandon_session (self, signed_out_error (self, &error));
  install_tokens (self, tokens);
  set_state (self, TG_TOKEN_STATE_VALID);

  if (self->store == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  cancellable = g_task_get_cancellable (task);
  tg_token_store_save_async (self->store, self->account, tokens, cancellable,
                             sign_in_persisted, g_steal_pointer (&task));
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
  sign_in->msg = tg_auth_protocol_new_sign_in_message (self->protocol, user_name, password);
  sign_in->record = g_object_ref (tg_request_log_begin (self->log, TG_REQUEST_KIND_SIGN_IN,
                                                       tg_request_log_next_request_id (self->log), 1,
                                                       soup_message_get_method (sign_in->msg),
                                                       g_uri_get_path (soup_message_get_uri (sign_in->msg)),
                                                       self->generation));
  g_task_set_task_data (task, sign_in, (GDestroyNotify) sign_in_free);

  soup_session_send_and_read_async (self->session, sign_in->msg, G_PRIORITY_HIGH, cancellable,
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
    {
      install_tokens (self, tokens);
      set_state (self, TG_TOKEN_STATE_VALID);
    }
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

  if (!tg_token_store_clear_finish (TG_TOKEN_STORE (source), result, &error))
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
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  tg_request_log_end (self->log, sign_out->record,
                      body != NULL ? soup_message_get_status (sign_out->msg) : 0, error);
  /* Best effort: we are signed out here whatever the server said; a failed
   * revocation only means the refresh token lives until it expires. */
  if (body == NULL || !SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (sign_out->msg)))
    g_debug ("Revocation at sign-out failed");

  if (self->store == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  cancellable = g_task_get_cancellable (task);
  tg_token_store_clear_async (self->store, self->account, cancellable,
                              sign_out_forgotten, g_steal_pointer (&task));
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
      soup_session_send_and_read_async (self->session, sign_out->msg, G_PRIORITY_HIGH, cancellable,
                                        sign_out_revoked, g_steal_pointer (&task));
    }
  else if (self->store != NULL)
    tg_token_store_clear_async (self->store, self->account, cancellable,
                                sign_out_forgotten, g_steal_pointer (&task));
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
    tg_token_store_save_async (self->store, self->account, self->tokens, self->cancellable, NULL, NULL);
}

/* ------------------------------------------------------------------------- */
/* Accessors                                                                 */

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
}

static void
tg_token_manager_dispose (GObject *object)
{
  TgTokenManager *self = TG_TOKEN_MANAGER (object);
  g_autoptr(GError) error = NULL;

  /* Rule 7: whoever still waits hears about it. */
  g_cancellable_cancel (self->cancellable);
  refresh_detach (self);
  g_clear_pointer (&self->canary_timeout, g_source_destroy);
  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, _("The token manager was shut down"));
  fail_all_waiters (self, error);
  if (self->session != NULL)
    soup_session_abort (self->session);

  G_OBJECT_CLASS (tg_token_manager_parent_class)->dispose (object);
}

static void
tg_token_manager_finalize (GObject *object)
{
  TgTokenManager *self = TG_TOKEN_MANAGER (object);

  g_clear_object (&self->protocol);
  g_clear_object (&self->store);
  g_clear_object (&self->session);
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
  /* Our own session for the token endpoint, so that a refresh never waits in
   * libsoup's queue behind a burst of resource requests. */
  self->session = soup_session_new_with_options ("max-conns", 4, "max-conns-per-host", 4, NULL);
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
