/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SimStore: a TgTokenStore in memory whose saves are slow or fail when the
 * schedule's PRNG says so. Operations take effect in the order they were
 * started, as the interface promises, each when its (virtual) time is up. It
 * records every pair it ever held, by serial, for the checker.
 */
#define G_LOG_DOMAIN "tg-sim"

#include "config.h"

#include "sim.h"

struct _SimStore
{
  GObject         parent_instance;

  GRand          *rand;        /* unowned: the schedule's */
  SimClock       *clock;       /* owned */
  SimTrace       *trace;       /* unowned */
  SimServer      *server;      /* unowned, nullable: what requests carried */
  SimStoreConfig  config;

  TgTokens       *held;        /* owned, nullable */
  guint           max_held;    /* the newest serial it ever held */
  GArray         *history;     /* guint: serials in order, 0 for emptied */
  gint64          last_done;   /* when the last operation started will end */
  guint           pending;
  guint           next_id;
  char           *regression;  /* owned, nullable */
};

typedef struct {
  SimStore     *store;        /* unowned: the task holds it */
  GTask        *task;         /* owned */
  TgTokens     *tokens;       /* owned, nullable: NULL for a clear */
  gboolean      fail;
  guint         id;
  GSource      *timer;        /* unowned */
  guint         newest_sent;  /* the newest access token requests had carried when it started */
  gulong        cancel_id;
} Operation;

static void sim_store_iface_init (TgTokenStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SimStore, sim_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TG_TYPE_TOKEN_STORE, sim_store_iface_init))

static void
operation_free (Operation *op)
{
  GCancellable *cancellable = g_task_get_cancellable (op->task);

  if (op->cancel_id != 0)
    g_signal_handler_disconnect (cancellable, op->cancel_id);
  if (op->timer != NULL)
    g_source_destroy (op->timer);
  g_clear_pointer (&op->tokens, tg_tokens_unref);
  g_clear_object (&op->task);
  g_free (op);
}

static void
apply (SimStore  *self,
       Operation *op)
{
  TgTokens *tokens = op->tokens;
  guint serial = tokens != NULL ? sim_token_serial (tg_tokens_get_access_token (tokens)) : 0;

  g_clear_pointer (&self->held, tg_tokens_unref);
  self->held = tokens != NULL ? tg_tokens_ref (tokens) : NULL;
  g_array_append_val (self->history, serial);

  /* Rule 8, and the store's own promise: it never goes back to an older
   * pair — the newest one's refresh token is the only one that still works. */
  if (serial != 0 && serial < self->max_held && self->regression == NULL)
    self->regression = g_strdup_printf ("the store went back to pair #%u after holding #%u",
                                        serial, self->max_held);
  if (serial != 0 && serial < op->newest_sent && self->regression == NULL)
    self->regression = g_strdup_printf ("stale write: pair #%u was written after #%u had been handed out "
                                        "(its refresh token was already used up)",
                                        serial, op->newest_sent);
  self->max_held = MAX (self->max_held, serial);
}

static gboolean
on_done (gpointer user_data)
{
  Operation *op = user_data;
  SimStore *self = op->store;

  op->timer = NULL;
  self->pending--;
  if (op->fail)
    {
      sim_trace (self->trace, "store: save s%u of #%u failed", op->id,
                 sim_token_serial (tg_tokens_get_access_token (op->tokens)));
      g_task_return_new_error (op->task, G_IO_ERROR, G_IO_ERROR_FAILED, "The keyring said no (sim)");
    }
  else
    {
      apply (self, op);
      sim_trace (self->trace, "store: %s s%u done, holds #%u", op->tokens != NULL ? "save" : "clear", op->id,
                 op->tokens != NULL ? sim_token_serial (tg_tokens_get_access_token (op->tokens)) : 0);
      g_task_return_boolean (op->task, TRUE);
    }
  operation_free (op);
  return G_SOURCE_REMOVE;
}

static gboolean
on_cancel_done (gpointer user_data)
{
  Operation *op = user_data;

  op->timer = NULL;
  op->store->pending--;
  g_task_return_new_error (op->task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  operation_free (op);
  return G_SOURCE_REMOVE;
}

/* A cancelled write does not happen; the caller hears so in a later turn. */
static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  Operation *op = user_data;

  /* g_cancellable_connect() calls us before it returns the id if already cancelled. */
  if (op->cancel_id != 0)
    g_signal_handler_disconnect (cancellable, op->cancel_id);
  op->cancel_id = 0;
  if (op->timer != NULL)
    g_source_destroy (op->timer);
  sim_trace (op->store->trace, "store: s%u cancelled", op->id);
  op->timer = sim_clock_call_later (op->store->clock, 0, on_cancel_done, op, NULL);
}

static void
start (SimStore            *self,
       TgTokens            *tokens,
       gboolean             may_be_slow,
       GCancellable        *cancellable,
       GAsyncReadyCallback  callback,
       gpointer             user_data,
       gpointer             source_tag)
{
  Operation *op = g_new0 (Operation, 1);
  gint64 now = sim_clock_now (self->clock);
  gint64 delay = g_rand_int_range (self->rand, 0, 50) * 1000;

  op->store = self;
  op->id = ++self->next_id;
  op->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (op->task, source_tag);
  g_task_set_check_cancellable (op->task, FALSE);
  op->tokens = tokens != NULL ? tg_tokens_ref (tokens) : NULL;
  op->newest_sent = self->server != NULL ? sim_server_get_stats (self->server)->max_sent_serial : 0;

  if (may_be_slow && g_rand_double (self->rand) < self->config.slow)
    delay = g_rand_int_range (self->rand, 1000, 20000) * 1000;
  if (may_be_slow && g_rand_double (self->rand) < self->config.fail)
    op->fail = TRUE;

  /* In the order started: this one ends after the one before it. */
  self->last_done = MAX (self->last_done, now) + delay;
  self->pending++;
  op->timer = sim_clock_call_later (self->clock, self->last_done - now, on_done, op, NULL);

  sim_trace (self->trace, "store: %s s%u of #%u started, %s in %" G_GINT64_FORMAT " ms",
             tokens != NULL ? "save" : "clear", op->id,
             tokens != NULL ? sim_token_serial (tg_tokens_get_access_token (tokens)) : 0,
             op->fail ? "fails" : "done", (self->last_done - now) / 1000);

  if (cancellable != NULL)
    op->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), op, NULL);
}

static void
sim_store_load_async (TgTokenStore        *store,
                      const char          *account,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  SimStore *self = SIM_STORE (store);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, tg_token_store_load_async);
  if (self->held != NULL)
    g_task_return_pointer (task, tg_tokens_ref (self->held), (GDestroyNotify) tg_tokens_unref);
  else
    g_task_return_pointer (task, NULL, NULL);
}

static void
sim_store_save_async (TgTokenStore        *store,
                      const char          *account,
                      TgTokens            *tokens,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  start (SIM_STORE (store), tokens, TRUE, cancellable, callback, user_data, tg_token_store_save_async);
}

static void
sim_store_clear_async (TgTokenStore        *store,
                       const char          *account,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  /* Clears are quick and never fail: after a sign-out the store must be empty. */
  start (SIM_STORE (store), NULL, FALSE, cancellable, callback, user_data, tg_token_store_clear_async);
}

static void
sim_store_iface_init (TgTokenStoreInterface *iface)
{
  iface->load_async = sim_store_load_async;
  iface->save_async = sim_store_save_async;
  iface->clear_async = sim_store_clear_async;
}

static void
sim_store_finalize (GObject *object)
{
  SimStore *self = SIM_STORE (object);

  g_assert (self->pending == 0);
  g_clear_pointer (&self->held, tg_tokens_unref);
  g_array_unref (self->history);
  g_clear_object (&self->clock);
  g_free (self->regression);

  G_OBJECT_CLASS (sim_store_parent_class)->finalize (object);
}

static void
sim_store_class_init (SimStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sim_store_finalize;
}

static void
sim_store_init (SimStore *self)
{
  self->history = g_array_new (FALSE, FALSE, sizeof (guint));
}

SimStore *
sim_store_new (GRand                *rand,
               SimClock             *clock,
               SimTrace             *trace,
               const SimStoreConfig *config)
{
  SimStore *self = g_object_new (SIM_TYPE_STORE, NULL);

  self->rand = rand;
  self->clock = g_object_ref (clock);
  self->trace = trace;
  self->config = *config;
  return self;
}

guint
sim_store_get_held (SimStore *self)
{
  return self->held != NULL ? sim_token_serial (tg_tokens_get_access_token (self->held)) : 0;
}

GArray *
sim_store_get_history (SimStore *self)
{
  return self->history;
}

guint
sim_store_get_pending (SimStore *self)
{
  return self->pending;
}

const char *
sim_store_get_regression (SimStore *self)
{
  return self->regression;
}

void
sim_store_set_server (SimStore  *self,
                      SimServer *server)
{
  self->server = server;
}
