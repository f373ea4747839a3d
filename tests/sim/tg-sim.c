/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tg-sim: a deterministic simulation of the client core (DESIGN.md, "The
 * rules of the token manager"). The real TgTokenManager and TgApiClient run
 * against a fake transport fronting a scripted server (sim-transport.c), a
 * fake store (sim-store.c) and a virtual clock (sim-clock.c); one seed draws
 * one schedule — requests, cancels, sign-outs, sign-ins, the server's and the
 * store's answers — and check_invariants() judges what happened.
 *
 *   tg-sim --seed N [--trace]     one schedule, with its event trace
 *   tg-sim --seeds A..B           a range
 *   tg-sim --schedules N          N schedules from a random start (printed)
 *   --stop                        stop at the first failing seed
 */
#define G_LOG_DOMAIN "tg-sim"

#include "config.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tg-api-client-private.h"
#include "tg-auth-error.h"
#include "tg-auth-protocol-private.h"
#include "tg-enums.h"
#include "tg-token-manager-private.h"

#include "sim.h"

/* Everything after the last scheduled event must be over within this much
 * virtual time (rule 7: nothing hangs). */
#define QUIET_BOUND_US (G_GINT64_CONSTANT (600) * G_USEC_PER_SEC)
/* The longest a refresh exchange stays open: the longest refresh-timeout
 * drawn (15 s) plus the 60 s it is still listened for (tg-token-manager.c). */
#define EXCHANGE_LIMIT_US (G_GINT64_CONSTANT (75) * G_USEC_PER_SEC)

/* ------------------------------------------------------------------------- */
/* Deterministic GTask completion                                            */

/* GTask completes at once when it returns in a later main-loop iteration than
 * the one it was created in, and from an idle otherwise. It tells them apart
 * by comparing g_source_get_time() (the iteration's cached monotonic time)
 * with g_get_monotonic_time() at g_task_new(): with real time, two events a
 * microsecond apart make that a coin toss, and a re-entrant callback may or
 * may not happen for the same seed. libgio calls g_get_monotonic_time()
 * through the PLT, so this definition takes its place there: inside a
 * dispatch it is the iteration's own time, so "same iteration" is exact, and
 * run_until() makes sure the next iteration's time is strictly later. */
static gint64
real_monotonic_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

gint64 g_get_monotonic_time (void);

gint64
g_get_monotonic_time (void)
{
  GSource *current = g_main_current_source ();

  if (current != NULL)
    return g_source_get_time (current);
  /* Outside any dispatch: strictly before the next iteration's time. */
  return real_monotonic_us () - 1;
}

static gboolean
never_ready (GSource *source,
             int     *timeout)
{
  *timeout = -1;
  return FALSE;
}

static GSourceFuncs probe_funcs = { .prepare = never_ready };

/* ------------------------------------------------------------------------- */
/* A schedule                                                                */

typedef struct _Sim Sim;

typedef struct {
  Sim          *sim;
  guint         id;
  gint64        launch_at;
  gint64        cancel_at;    /* -1: never */
  GCancellable *cancellable;  /* owned */
  gboolean      launched;
  guint         completions;
  guint         completions_at_quiet;  /* before the teardown */
} Request;

typedef struct {
  gint64   at;
  gboolean justified;       /* invalid_grant from the server, or a retried 401 */
  gboolean after_late;      /* an invalid_grant the client brought on itself */
  char    *reason;          /* owned */
} Expiry;

struct _Sim
{
  guint32          seed;
  GRand           *rand;       /* owned */
  GMainContext    *context;    /* owned */
  GSource         *probe;      /* owned: reads the iteration's time */
  SimClock        *clock;      /* owned */
  SimTrace         trace;
  SimServer       *server;     /* owned */
  SimServerConfig  server_config;
  SimTransport    *auth;       /* owned: the manager's */
  SimTransport    *api;        /* owned: the client's */
  SimStore        *store;      /* owned */
  SimStoreConfig   store_config;
  TgAuthProtocol  *protocol;   /* owned */
  TgTokenManager  *manager;    /* owned */
  TgApiClient     *client;     /* owned */

  /* The schedule. */
  Request         *requests;   /* owned */
  guint            n_requests;
  guint            max_in_flight;
  TgRetryPolicy    policy;
  gboolean         proactive;
  guint            expiry_skew;
  guint            refresh_timeout;
  gint64           sign_out_at;  /* -1: none */
  gint64           sign_in_at;   /* -1: none */
  gint64           last_event_at;

  /* What happened. */
  gboolean         signed_in;    /* the first sign-in finished */
  gboolean         tearing_down;
  gboolean         relaunch;     /* the app sends a request again when a refresh failed it */
  guint            n_launched;   /* requests[] in use: relaunches come after the drawn ones */
  TgTokenState     last_state;
  guint            session_start; /* the first generation of the current session */
  guint            ends;         /* refreshes ended, sessions ended or changed, new pairs */
  char            *orphan;       /* owned, nullable: a waiter failed by a refresh that
                                    had ended before it began waiting */
  GArray          *expiries;     /* Expiry */
  GString         *criticals;    /* owned */
  guint            warnings;

  /* Facts at quiescence and after teardown, for the checker. */
  gboolean         quiet;
  guint            exchanges_left;
  guint            store_ops_left;
  TgTokenState     final_state;
  guint            store_held;
  gboolean         manager_finalized;
  gboolean         client_finalized;
};

static Sim *current_sim;

static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  const char *message = "";
  const char *domain = "";

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
    }

  if (current_sim == NULL)
    return g_log_writer_default (log_level, fields, n_fields, user_data);

  /* A warning is expected (a store that failed); a critical is a bug. */
  if (log_level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    g_string_append_printf (current_sim->criticals, "%s: %s; ", domain, message);
  else if (log_level & G_LOG_LEVEL_WARNING)
    current_sim->warnings++;
  /* The manager's own account of what it does (its g_debug()s) helps a trace. */
  sim_trace (&current_sim->trace, "log %s: %s", domain, message);
  return G_LOG_WRITER_HANDLED;
}

/* Runs the main context, moving virtual time to the next deadline whenever
 * nothing is ready, until no source is left before @limit. */
static void
run_until (Sim      *sim,
           gint64    limit,
           gboolean *done)
{
  for (;;)
    {
      gint64 next;

      do
        {
          /* See g_get_monotonic_time() above. */
          gint64 last = g_source_get_time (sim->probe);

          while (real_monotonic_us () <= last)
            ;
        }
      while (g_main_context_iteration (sim->context, FALSE));

      if (done != NULL && *done)
        return;
      next = sim_clock_next_deadline (sim->clock);
      if (next == G_MAXINT64 || next > limit)
        {
          sim->quiet = next == G_MAXINT64;
          return;
        }
      sim_clock_advance_to (sim->clock, MAX (next, sim_clock_now (sim->clock)));
    }
}

/* ------------------------------------------------------------------------- */
/* When each caller began waiting at the manager                             */

/* The API client's calls into the manager are wrapped at link time
 * (-Wl,--wrap, see meson.build) so that the checker knows, for each waiter,
 * what had ended before it began to wait. */
typedef struct {
  GAsyncReadyCallback  callback;
  gpointer             user_data;
  guint                ends;        /* sim->ends when it began waiting */
  gboolean             in_session;  /* the manager had a session then */
  GCancellable        *cancellable; /* owned, nullable */
} Wait;

static void
waited (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Wait *wait = user_data;
  Sim *sim = current_sim;

  if (sim != NULL && !sim->tearing_down && sim->orphan == NULL && wait->in_session &&
      g_task_had_error (G_TASK (result)) && wait->ends == sim->ends &&
      (wait->cancellable == NULL || !g_cancellable_is_cancelled (wait->cancellable)))
    sim->orphan = g_strdup_printf ("at %.3f s a waiter failed although no refresh or session had ended "
                                   "since it began waiting", sim_clock_now (sim->clock) / 1e6);
  wait->callback (source, result, wait->user_data);
  g_clear_object (&wait->cancellable);
  g_free (wait);
}

static Wait *
wait_new (TgTokenManager      *manager,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  Wait *wait = g_new0 (Wait, 1);

  wait->callback = callback;
  wait->user_data = user_data;
  wait->ends = current_sim != NULL ? current_sim->ends : 0;
  wait->in_session = tg_token_manager_get_state (manager) != TG_TOKEN_STATE_SIGNED_OUT;
  wait->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  return wait;
}

void __real_tg_token_manager_await_token_async (TgTokenManager *, GCancellable *, GAsyncReadyCallback, gpointer);
void __wrap_tg_token_manager_await_token_async (TgTokenManager *, GCancellable *, GAsyncReadyCallback, gpointer);
void __real_tg_token_manager_refresh_async (TgTokenManager *, guint, GCancellable *, GAsyncReadyCallback, gpointer);
void __wrap_tg_token_manager_refresh_async (TgTokenManager *, guint, GCancellable *, GAsyncReadyCallback, gpointer);

void
__wrap_tg_token_manager_await_token_async (TgTokenManager      *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  __real_tg_token_manager_await_token_async (self, cancellable, waited,
                                             wait_new (self, cancellable, callback, user_data));
}

void
__wrap_tg_token_manager_refresh_async (TgTokenManager      *self,
                                       guint                stale_generation,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  Wait *wait = wait_new (self, cancellable, callback, user_data);

  /* A 401 for a token of an earlier session fails at once: nothing to wait for. */
  if (current_sim != NULL && stale_generation < current_sim->session_start)
    wait->in_session = FALSE;
  __real_tg_token_manager_refresh_async (self, stale_generation, cancellable, waited, wait);
}

/* ------------------------------------------------------------------------- */
/* Events                                                                    */

static gboolean on_launch (gpointer user_data);

static void
request_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Request *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TgApiResponse) response = NULL;

  Sim *sim = request->sim;

  response = tg_api_client_get_finish (TG_API_CLIENT (source), result, &error);
  request->completions++;
  if (response != NULL)
    sim_trace (&sim->trace, "request %u completed: %u after %u attempt(s)", request->id,
               response->status, response->attempts);
  else
    sim_trace (&sim->trace, "request %u completed: %s %d: %s", request->id,
               g_quark_to_string (error->domain), error->code, error->message);

  /* An application that tries once more, at once, from the callback: the
   * re-entrant caller the manager must be ready for (rule 7). */
  if (sim->relaunch && !sim->tearing_down && request->id <= sim->n_requests &&
      g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED))
    {
      Request *again = &sim->requests[sim->n_launched++];

      again->sim = sim;
      again->id = sim->n_launched;
      again->cancellable = g_cancellable_new ();
      sim_trace (&sim->trace, "request %u: the app sends it again as request %u", request->id, again->id);
      on_launch (again);
    }
}

static gboolean
on_launch (gpointer user_data)
{
  Request *request = user_data;
  g_autofree char *path = g_strdup_printf (SIM_RESOURCE_PREFIX "%u", request->id);

  request->launched = TRUE;
  sim_trace (&request->sim->trace, "request %u launched", request->id);
  tg_api_client_get_async (request->sim->client, path, request->cancellable, request_done, request);
  return G_SOURCE_REMOVE;
}

static gboolean
on_cancel (gpointer user_data)
{
  Request *request = user_data;

  sim_trace (&request->sim->trace, "request %u: cancel", request->id);
  g_cancellable_cancel (request->cancellable);
  return G_SOURCE_REMOVE;
}

static void
signed_in (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Sim *sim = user_data;
  g_autoptr(GError) error = NULL;

  if (tg_token_manager_sign_in_finish (TG_TOKEN_MANAGER (source), result, &error))
    sim_trace (&sim->trace, "sign-in done, generation %u", tg_token_manager_get_generation (TG_TOKEN_MANAGER (source)));
  else
    sim_trace (&sim->trace, "sign-in failed: %s", error->message);
  sim->signed_in = TRUE;
}

static gboolean
on_sign_in (gpointer user_data)
{
  Sim *sim = user_data;

  sim_trace (&sim->trace, "sign-in");
  tg_token_manager_sign_in_async (sim->manager, "user", "password", NULL, signed_in, sim);
  return G_SOURCE_REMOVE;
}

static void
signed_out (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Sim *sim = user_data;
  g_autoptr(GError) error = NULL;

  if (tg_token_manager_sign_out_finish (TG_TOKEN_MANAGER (source), result, &error))
    sim_trace (&sim->trace, "sign-out done");
  else
    sim_trace (&sim->trace, "sign-out failed: %s", error->message);
}

static gboolean
on_sign_out (gpointer user_data)
{
  Sim *sim = user_data;

  sim_trace (&sim->trace, "sign-out");
  tg_token_manager_sign_out_async (sim->manager, NULL, signed_out, sim);
  return G_SOURCE_REMOVE;
}

static void
on_session_expired (TgTokenManager *manager,
                    const char     *reason,
                    gpointer        user_data)
{
  Sim *sim = user_data;
  SimServerStats *stats = sim_server_get_stats (sim->server);
  Expiry expiry = {
    .at = sim_clock_now (sim->clock),
    .justified = stats->delivered_invalid_grant_justified > 0 || stats->delivered_401_current > 0,
    .after_late = stats->delivered_invalid_grant_after_late > 0,
    .reason = g_strdup (reason),
  };

  sim_trace (&sim->trace, "session-expired: %s", reason);
  g_array_append_val (sim->expiries, expiry);
}

/* What may complete a waiter with an error: the end of the refresh it waited
 * on, or of its session. A refresh starting is not one. */
static void
count_end (Sim *sim)
{
  sim->ends++;
}

static void
on_state (GObject    *object,
          GParamSpec *pspec,
          gpointer    user_data)
{
  Sim *sim = user_data;
  static const char *names[] = { "signed-out", "valid", "refreshing" };
  /* Not sim->manager: that is NULL once the teardown has dropped it. */
  TgTokenManager *manager = TG_TOKEN_MANAGER (object);
  TgTokenState state = tg_token_manager_get_state (manager);

  if (sim->last_state == TG_TOKEN_STATE_REFRESHING || state == TG_TOKEN_STATE_SIGNED_OUT)
    sim->ends++;
  if (sim->last_state == TG_TOKEN_STATE_SIGNED_OUT && state != TG_TOKEN_STATE_SIGNED_OUT)
    sim->session_start = tg_token_manager_get_generation (manager);
  sim->last_state = state;
  sim_trace (&sim->trace, "manager: %s, generation %u", names[state],
             tg_token_manager_get_generation (manager));
}

/* ------------------------------------------------------------------------- */
/* Drawing a schedule                                                        */

static gint64
draw_time (GRand  *rand,
           gint64  horizon_ms)
{
  return g_rand_int_range (rand, 0, (gint32) horizon_ms + 1) * (gint64) 1000;
}

static void
draw_schedule (Sim *sim)
{
  static const gint64 lifetimes[] = { 1, 2, 3, 5, 8, 10, 12, 20, 30, 60, 120, 600 };
  static const guint skews[] = { 0, 2, 5, 10, 15 };
  static const double chances[] = { 0, 0.05, 0.2, 0.5 };
  /* ok 503 502 504 429 refused lost invalid late never */
  static const guint calm[SIM_N_REFRESH_OUTCOMES] = { 90, 1, 1, 1, 1, 1, 1, 1, 2, 1 };
  static const guint rough[SIM_N_REFRESH_OUTCOMES] = { 50, 5, 4, 4, 5, 6, 6, 2, 10, 8 };
  GRand *rand = sim->rand;
  gint64 horizon_ms = g_rand_int_range (rand, 0, 60001);
  guint mix = g_rand_int_range (rand, 0, 3);

  sim->n_requests = g_rand_int_range (rand, 1, 61);
  sim->max_in_flight = g_rand_int_range (rand, 1, 33);
  sim->policy = g_rand_boolean (rand) ? TG_RETRY_POLICY_CANARY : TG_RETRY_POLICY_ALL;
  sim->proactive = g_rand_boolean (rand);
  sim->expiry_skew = skews[g_rand_int_range (rand, 0, G_N_ELEMENTS (skews))];
  sim->refresh_timeout = g_rand_int_range (rand, 1, 16);

  sim->server_config.token_lifetime_s = lifetimes[g_rand_int_range (rand, 0, G_N_ELEMENTS (lifetimes))];
  sim->server_config.grace_us = g_rand_boolean (rand) ? 0 : g_rand_int_range (rand, 1, 11) * G_USEC_PER_SEC;
  sim->server_config.early_expiry = chances[g_rand_int_range (rand, 0, G_N_ELEMENTS (chances))];
  sim->server_config.refresh_timeout_us = sim->refresh_timeout * G_USEC_PER_SEC;
  for (guint i = 0; i < SIM_N_REFRESH_OUTCOMES; i++)
    sim->server_config.weights[i] = mix == 0 ? calm[i] : mix == 1 ? rough[i] : (i == 0 ? 100 : 0);

  sim->store_config.slow = chances[g_rand_int_range (rand, 0, G_N_ELEMENTS (chances))];
  sim->store_config.fail = chances[g_rand_int_range (rand, 0, G_N_ELEMENTS (chances))];

  sim->relaunch = g_rand_boolean (rand);
  /* Room for one relaunch of each. */
  sim->requests = g_new0 (Request, 2 * sim->n_requests);
  sim->n_launched = sim->n_requests;
  for (guint i = 0; i < sim->n_requests; i++)
    {
      Request *request = &sim->requests[i];

      request->sim = sim;
      request->id = i + 1;
      request->launch_at = draw_time (rand, horizon_ms);
      request->cancel_at = g_rand_double (rand) < 0.15
                             ? request->launch_at + draw_time (rand, 5000) : -1;
      request->cancellable = g_cancellable_new ();
    }
  sim->sign_out_at = g_rand_double (rand) < 0.15 ? draw_time (rand, horizon_ms) : -1;
  sim->sign_in_at = g_rand_double (rand) < 0.15 ? draw_time (rand, horizon_ms) : -1;
}

/* ------------------------------------------------------------------------- */
/* The checker                                                               */

/* Every invariant, in one place. Returns NULL, or which one broke and how. */
static char *
check_invariants (Sim *sim)
{
  SimServerStats *stats = sim_server_get_stats (sim->server);

  if (sim->criticals->len > 0)
    return g_strdup_printf ("a critical warning: %s", sim->criticals->str);

  /* 1. Every request launched completed exactly once; nothing hangs. */
  for (guint i = 0; i < sim->n_launched; i++)
    {
      Request *request = &sim->requests[i];

      /* Before the teardown, whose dispose would complete what hangs. */
      if (request->launched && request->completions_at_quiet != 1)
        return g_strdup_printf ("1 (each request completes once): request %u completed %u times "
                                "by quiescence",
                                request->id, request->completions_at_quiet);
      if (request->launched && request->completions != 1)
        return g_strdup_printf ("1 (each request completes once): request %u completed %u times "
                                "in all", request->id, request->completions);
    }
  if (sim->exchanges_left > 0)
    return g_strdup_printf ("1 (nothing hangs): %u HTTP exchange(s) still open at quiescence",
                            sim->exchanges_left);
  if (sim->store_ops_left > 0)
    return g_strdup_printf ("1 (nothing hangs): %u store operation(s) still open at quiescence",
                            sim->store_ops_left);

  /* 2. Single flight, and no second refresh for one generation. */
  if (stats->max_refreshes_in_flight > 1)
    return g_strdup_printf ("2 (single flight): %u refreshes in flight at once",
                            stats->max_refreshes_in_flight);
  if (stats->replays_of_received > 0)
    return g_strdup_printf ("2 (one refresh per generation): %s", stats->first_replay);

  /* 3. A retry carries a strictly newer token than its first attempt. */
  if (stats->stale_retries > 0)
    return g_strdup_printf ("3 (no stale retry): %s", stats->first_stale_retry);

  /* 3b. A waiter fails only when what it waited on has ended: a callback
   * that starts the next refresh is not failed with the last one's error. */
  if (sim->orphan != NULL)
    return g_strdup_printf ("3 (waiters of the next refresh): %s", sim->orphan);

  /* 4. Only invalid_grant (or a retried 401) ends a session. */
  for (guint i = 0; i < sim->expiries->len; i++)
    {
      Expiry *expiry = &g_array_index (sim->expiries, Expiry, i);

      if (!expiry->justified)
        return g_strdup_printf ("4 (only invalid_grant signs out): session-expired at %.3f s (\"%s\") %s",
                                expiry->at / 1e6, expiry->reason,
                                expiry->after_late
                                  ? "after an invalid_grant the client brought on itself, presenting a "
                                    "refresh token whose answer it had given up on (late or cut off)"
                                  : "without an invalid_grant or a rejected retry");
    }

  /* 5. The store never goes back, and is empty when signed out. */
  if (sim_store_get_regression (sim->store) != NULL)
    return g_strdup_printf ("5 (store order): %s", sim_store_get_regression (sim->store));
  if (sim->final_state == TG_TOKEN_STATE_SIGNED_OUT && sim->store_held != 0)
    return g_strdup_printf ("5 (store emptied): signed out at quiescence, the store still holds pair #%u",
                            sim->store_held);

  /* 6. No leaks: the client and the manager are gone once unreferenced. */
  if (!sim->client_finalized)
    return g_strdup ("6 (no leaks): the API client was not finalized");
  if (!sim->manager_finalized)
    return g_strdup ("6 (no leaks): the token manager was not finalized");

  return NULL;
}

/* ------------------------------------------------------------------------- */

static void
expiry_clear (gpointer data)
{
  g_free (((Expiry *) data)->reason);
}

/* Runs schedule @seed; returns NULL if every invariant held. */
static char *
run_schedule (guint32   seed,
              gboolean  tracing,
              GString **out_trace)
{
  Sim sim_storage = { 0 };
  Sim *sim = &sim_storage;
  g_autoptr(GError) error = NULL;
  gpointer manager_ptr, client_ptr;
  char *failure;

  sim->seed = seed;
  sim->rand = g_rand_new_with_seed (seed);
  sim->context = g_main_context_new ();
  g_main_context_push_thread_default (sim->context);
  sim->probe = g_source_new (&probe_funcs, sizeof (GSource));
  g_source_attach (sim->probe, sim->context);
  sim->clock = sim_clock_new ();
  sim->trace.clock = sim->clock;
  sim->trace.text = tracing ? g_string_new (NULL) : NULL;
  sim->expiries = g_array_new (FALSE, TRUE, sizeof (Expiry));
  g_array_set_clear_func (sim->expiries, expiry_clear);
  sim->criticals = g_string_new (NULL);
  current_sim = sim;

  draw_schedule (sim);
  sim_trace (&sim->trace, "seed %u: relaunch on refresh failure %s", seed, sim->relaunch ? "yes" : "no");
  sim_trace (&sim->trace, "seed %u: %u requests, max %u in flight, %s, proactive %s, skew %u s, "
             "refresh timeout %u s, lifetime %" G_GINT64_FORMAT " s, grace %" G_GINT64_FORMAT " s, "
             "early expiry %.2f, store slow %.2f fail %.2f, sign-out %s, sign-in %s",
             seed, sim->n_requests, sim->max_in_flight,
             sim->policy == TG_RETRY_POLICY_CANARY ? "canary" : "all at once",
             sim->proactive ? "on" : "off", sim->expiry_skew, sim->refresh_timeout,
             sim->server_config.token_lifetime_s, sim->server_config.grace_us / G_USEC_PER_SEC,
             sim->server_config.early_expiry, sim->store_config.slow, sim->store_config.fail,
             sim->sign_out_at >= 0 ? "yes" : "no", sim->sign_in_at >= 0 ? "yes" : "no");

  sim->server = sim_server_new (sim->rand, sim->clock, &sim->trace, &sim->server_config);
  sim->auth = sim_transport_new (sim->server, sim->clock, "auth");
  sim->api = sim_transport_new (sim->server, sim->clock, "api");
  sim->store = sim_store_new (sim->rand, sim->clock, &sim->trace, &sim->store_config);
  sim_store_set_server (sim->store, sim->server);
  sim->protocol = tg_auth_protocol_new_seed ("http://127.0.0.1:1", &error);
  g_assert_no_error (error);

  /* The manager draws its retry jitter from GLib's global PRNG. */
  g_random_set_seed (seed);
  sim->manager = g_object_new (TG_TYPE_TOKEN_MANAGER,
                               "protocol", sim->protocol,
                               "store", sim->store,
                               "transport", sim->auth,
                               "clock", sim->clock,
                               "retry-policy", sim->policy,
                               "proactive", sim->proactive,
                               "expiry-skew", sim->expiry_skew,
                               "refresh-timeout", sim->refresh_timeout,
                               NULL);
  sim->client = tg_api_client_new_with_transport (sim->manager, "http://127.0.0.1:1",
                                                  TG_TRANSPORT (sim->api), &error);
  g_assert_no_error (error);
  g_object_set (sim->client, "max-in-flight", sim->max_in_flight, NULL);
  g_signal_connect (sim->manager, "session-expired", G_CALLBACK (on_session_expired), sim);
  g_signal_connect (sim->manager, "notify::state", G_CALLBACK (on_state), sim);
  g_signal_connect_swapped (sim->manager, "notify::generation", G_CALLBACK (count_end), sim);

  /* Signed in first; the schedule's clock starts when that is done. */
  on_sign_in (sim);
  run_until (sim, G_MAXINT64, &sim->signed_in);

  for (guint i = 0; i < sim->n_requests; i++)
    {
      Request *request = &sim->requests[i];

      sim_clock_call_later (sim->clock, request->launch_at, on_launch, request, NULL);
      sim->last_event_at = MAX (sim->last_event_at, request->launch_at);
      if (request->cancel_at >= 0)
        {
          sim_clock_call_later (sim->clock, request->cancel_at, on_cancel, request, NULL);
          sim->last_event_at = MAX (sim->last_event_at, request->cancel_at);
        }
    }
  if (sim->sign_out_at >= 0)
    sim_clock_call_later (sim->clock, sim->sign_out_at, on_sign_out, sim, NULL);
  if (sim->sign_in_at >= 0)
    sim_clock_call_later (sim->clock, sim->sign_in_at, on_sign_in, sim, NULL);
  sim->last_event_at = sim_clock_now (sim->clock) +
                       MAX (sim->last_event_at, MAX (sim->sign_out_at, sim->sign_in_at));

  /* The bound on "nothing hangs": every request gets a slot, then waits at
   * most refresh-timeout for its token. Behind a server that never answers,
   * with one slot, they fail one after the other, a refresh-timeout each (a
   * request and its resend: twice per request launched). */
  run_until (sim, sim->last_event_at + QUIET_BOUND_US +
                  2 * (gint64) sim->n_requests * sim->refresh_timeout * G_USEC_PER_SEC, NULL);
  /* An exchange sent just before the bound may still be open there, and
   * rightly: the manager gives an exchange up only refresh-timeout + 60 s
   * after sending it. Let what is under way end before counting. */
  if (!sim->quiet)
    run_until (sim, sim_clock_now (sim->clock) + EXCHANGE_LIMIT_US, NULL);
  sim_trace (&sim->trace, "quiescence%s", sim->quiet ? "" : " (time bound reached)");
  if (sim->trace.text != NULL)
    {
      GArray *history = sim_store_get_history (sim->store);
      g_autoptr(GString) line = g_string_new ("store history:");

      for (guint i = 0; i < history->len; i++)
        g_string_append_printf (line, " #%u", g_array_index (history, guint, i));
      sim_trace (&sim->trace, "%s (#0: emptied)", line->str);
    }

  for (guint i = 0; i < sim->n_launched; i++)
    sim->requests[i].completions_at_quiet = sim->requests[i].completions;
  sim->exchanges_left = sim_server_get_stats (sim->server)->exchanges_in_flight;
  sim->store_ops_left = sim_store_get_pending (sim->store);
  sim->final_state = tg_token_manager_get_state (sim->manager);
  sim->store_held = sim_store_get_held (sim->store);

  /* Teardown: every waiter hears, then both objects must be gone. */
  manager_ptr = sim->manager;
  client_ptr = sim->client;
  g_object_add_weak_pointer (G_OBJECT (sim->manager), &manager_ptr);
  g_object_add_weak_pointer (G_OBJECT (sim->client), &client_ptr);
  sim->tearing_down = TRUE;
  g_clear_object (&sim->client);
  g_clear_object (&sim->manager);
  run_until (sim, sim_clock_now (sim->clock) + QUIET_BOUND_US, NULL);
  sim->client_finalized = client_ptr == NULL;
  sim->manager_finalized = manager_ptr == NULL;
  if (client_ptr != NULL)
    g_object_remove_weak_pointer (client_ptr, &client_ptr);
  if (manager_ptr != NULL)
    g_object_remove_weak_pointer (manager_ptr, &manager_ptr);

  failure = check_invariants (sim);

  current_sim = NULL;
  if (out_trace != NULL && sim->trace.text != NULL)
    *out_trace = g_steal_pointer (&sim->trace.text);
  if (sim->trace.text != NULL)
    g_string_free (sim->trace.text, TRUE);

  /* A failing run may leave objects behind: they stay with its context. */
  if (failure == NULL)
    {
      g_clear_object (&sim->auth);
      g_clear_object (&sim->api);
      g_clear_object (&sim->store);
      g_clear_object (&sim->clock);
      g_clear_pointer (&sim->server, sim_server_free);
    }
  g_clear_object (&sim->protocol);
  for (guint i = 0; i < sim->n_launched; i++)
    g_clear_object (&sim->requests[i].cancellable);
  g_free (sim->orphan);
  g_free (sim->requests);
  g_array_unref (sim->expiries);
  g_string_free (sim->criticals, TRUE);
  g_source_destroy (sim->probe);
  g_source_unref (sim->probe);
  g_main_context_pop_thread_default (sim->context);
  g_main_context_unref (sim->context);
  g_rand_free (sim->rand);

  return failure;
}

/* ------------------------------------------------------------------------- */

/* An assertion in the code under test aborts the process: say which seed. */
static char crash_note[128];

static void
on_crash (int signum)
{
  /* The trace so far, if this run keeps one. */
  if (current_sim != NULL && current_sim->trace.text != NULL &&
      write (STDOUT_FILENO, current_sim->trace.text->str, current_sim->trace.text->len) < 0)
    _exit (3);
  if (write (STDOUT_FILENO, crash_note, strlen (crash_note)) < 0)
    _exit (3);
  signal (signum, SIG_DFL);
  raise (signum);
}

static void
note_seed (guint32 seed)
{
  /* Formatted ahead: a signal handler may only write(). */
  g_snprintf (crash_note, sizeof crash_note,
              "\nCRASH in seed %u (a failed assertion?): replay with tg-sim --seed %u --trace\n", seed, seed);
}

static gboolean
parse_range (const char *text,
             guint32    *first,
             guint32    *last)
{
  g_auto(GStrv) parts = g_strsplit (text, "..", 2);
  guint64 a, b;

  if (g_strv_length (parts) != 2 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXUINT32, &a, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 0, G_MAXUINT32, &b, NULL) || a > b)
    return FALSE;
  *first = (guint32) a;
  *last = (guint32) b;
  return TRUE;
}

/* What the runs of a range share across the child processes that run them. */
typedef struct {
  guint64 runs;
  guint64 failures;
  guint64 traced;   /* invariants whose first failure was traced, by hash */
  guint32 current;  /* the seed running now */
} Shared;

static void
run_range (guint64  first,
           guint64  last,
           gboolean trace,
           gboolean stop,
           gint64   started,
           Shared  *shared)
{
  for (guint64 s = first; s <= last; s++)
    {
      g_autoptr(GString) text = NULL;
      g_autofree char *failure = NULL;
      g_autofree char *key = NULL;
      guint64 bit;

      shared->current = (guint32) s;
      note_seed ((guint32) s);
      failure = run_schedule ((guint32) s, trace, &text);

      shared->runs++;
      if (trace && text != NULL)
        g_print ("%s", text->str);

      if (failure != NULL)
        {
          shared->failures++;
          key = g_strndup (failure, strcspn (failure, ":"));
          bit = G_GUINT64_CONSTANT (1) << (g_str_hash (key) % 64);
          g_print ("FAIL seed %" G_GUINT64_FORMAT ": invariant %s\n", s, failure);
          if ((shared->traced & bit) == 0)
            {
              g_autoptr(GString) replay = NULL;
              g_autofree char *again = NULL;

              shared->traced |= bit;
              /* Replay it with the trace: the same seed must fail the same way. */
              if (!trace)
                {
                  again = run_schedule ((guint32) s, TRUE, &replay);
                  note_seed ((guint32) s);
                  g_print ("---- trace of seed %" G_GUINT64_FORMAT " (replay: tg-sim --seed %" G_GUINT64_FORMAT
                           " --trace)\n%s---- %s\n", s, s, replay->str,
                           g_strcmp0 (again, failure) == 0 ? "replayed identically" : "REPLAY DIFFERED: not deterministic");
                }
            }
          if (stop)
            break;
        }

      if (shared->runs % 100000 == 0)
        g_print ("... %" G_GUINT64_FORMAT " schedules (up to seed %" G_GUINT64_FORMAT "), %" G_GUINT64_FORMAT
                 " failing, %.0f schedules/s\n", shared->runs, s, shared->failures,
                 shared->runs / ((real_monotonic_us () - started) / 1e6));
      if (s == G_MAXUINT32)
        break;
    }

}

int
main (int   argc,
      char *argv[])
{
  gint64 seed = -1;
  char *seeds = NULL;
  gint64 schedules = 0;
  gboolean trace = FALSE;
  gboolean stop = FALSE;
  GOptionEntry entries[] = {
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Run one schedule", "N" },
    { "seeds", 0, 0, G_OPTION_ARG_STRING, &seeds, "Run a range of schedules", "A..B" },
    { "schedules", 0, 0, G_OPTION_ARG_INT64, &schedules, "Run N schedules from a random start", "N" },
    { "trace", 0, 0, G_OPTION_ARG_NONE, &trace, "Print the event trace", NULL },
    { "stop", 0, 0, G_OPTION_ARG_NONE, &stop, "Stop at the first failing schedule", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("— the client core under a seeded schedule");
  g_autoptr(GError) error = NULL;
  guint32 first, last;
  guint64 failures = 0, runs = 0;
  gint64 started;
  Shared *shared;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  if (seed >= 0)
    {
      first = last = (guint32) seed;
    }
  else if (seeds != NULL)
    {
      if (!parse_range (seeds, &first, &last))
        {
          g_printerr ("--seeds wants A..B\n");
          return 2;
        }
    }
  else if (schedules > 0)
    {
      first = g_random_int_range (1, G_MAXINT32 / 2);
      last = first + (guint32) schedules - 1;
      g_print ("--schedules %" G_GINT64_FORMAT ": seeds %u..%u\n", schedules, first, last);
    }
  else
    {
      g_printerr ("%s", g_option_context_get_help (options, TRUE, NULL));
      return 2;
    }

  g_log_set_writer_func (log_writer, NULL, NULL);
  signal (SIGABRT, on_crash);
  signal (SIGSEGV, on_crash);
  started = real_monotonic_us ();

  /* Schedules run in a child process: when the code under test aborts, the
   * crash is one more failing seed and the range goes on after it. */
  shared = mmap (NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  g_assert (shared != MAP_FAILED);
  memset (shared, 0, sizeof *shared);
  setvbuf (stdout, NULL, _IOLBF, 0);
  for (guint64 next = first; next <= last;)
    {
      int status = 0;
      pid_t pid = fork ();

      if (pid == 0)
        {
          run_range (next, last, trace, stop, started, shared);
          fflush (stdout);
          _exit (0);
        }
      g_assert (pid > 0);
      waitpid (pid, &status, 0);
      if (!WIFSIGNALED (status))
        break;
      shared->runs++;
      shared->failures++;
      g_print ("FAIL seed %u: crashed (signal %d), see above\n", shared->current, WTERMSIG (status));
      if (stop || shared->current == G_MAXUINT32)
        break;
      next = (guint64) shared->current + 1;
    }
  runs = shared->runs;
  failures = shared->failures;

  g_print ("%" G_GUINT64_FORMAT " schedules (seeds %u..%u), %" G_GUINT64_FORMAT " failing, %.1f s, %.0f schedules/s\n",
           runs, first, last, failures, (real_monotonic_us () - started) / 1e6,
           runs / MAX ((real_monotonic_us () - started) / 1e6, 1e-6));
  g_free (seeds);
  return failures > 0 ? 1 : 0;
}
