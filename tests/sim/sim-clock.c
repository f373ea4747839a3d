/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SimClock: virtual time. Its timeout sources are ready when the virtual now
 * has reached their deadline; nothing else moves the time but the driver, which
 * jumps to the earliest live deadline whenever the main context has nothing
 * ready. A run thus takes no wall time, and the same seed gives the same
 * order of events.
 */
#define G_LOG_DOMAIN "tg-sim"

#include "config.h"

#include "sim.h"

struct _SimClock
{
  GObject    parent_instance;

  gint64     now;      /* µs since the start */
  GPtrArray *sources;  /* SimSource*, unowned: each removes itself when finalized */
};

typedef struct {
  GSource   base;
  SimClock *clock;     /* owned */
  gint64    deadline;  /* µs since the start */
  gint64    interval;  /* µs, for a callback that asks to run again */
} SimSource;

static void sim_clock_iface_init (TgClockInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SimClock, sim_clock, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TG_TYPE_CLOCK, sim_clock_iface_init))

static gboolean
sim_source_prepare (GSource *source,
                    int     *timeout)
{
  SimSource *self = (SimSource *) source;

  /* Never wait for real time: the driver iterates without blocking. */
  *timeout = -1;
  return self->clock->now >= self->deadline;
}

static gboolean
sim_source_check (GSource *source)
{
  SimSource *self = (SimSource *) source;

  return self->clock->now >= self->deadline;
}

static gboolean
sim_source_dispatch (GSource     *source,
                     GSourceFunc  callback,
                     gpointer     user_data)
{
  SimSource *self = (SimSource *) source;

  if (callback == NULL || !callback (user_data))
    return G_SOURCE_REMOVE;

  /* As g_timeout_source_new(): G_SOURCE_CONTINUE runs it again an interval later. */
  self->deadline = self->clock->now + self->interval;
  return G_SOURCE_CONTINUE;
}

static void
sim_source_finalize (GSource *source)
{
  SimSource *self = (SimSource *) source;

  g_ptr_array_remove_fast (self->clock->sources, self);
  g_clear_object (&self->clock);
}

static GSourceFuncs sim_source_funcs = {
  .prepare = sim_source_prepare,
  .check = sim_source_check,
  .dispatch = sim_source_dispatch,
  .finalize = sim_source_finalize,
};

static GSource *
sim_source_new (SimClock *self,
                gint64    delay_us)
{
  SimSource *source = (SimSource *) g_source_new (&sim_source_funcs, sizeof (SimSource));

  source->clock = g_object_ref (self);
  source->interval = MAX (delay_us, 0);
  source->deadline = self->now + source->interval;
  g_ptr_array_add (self->sources, source);
  return (GSource *) source;
}

static gint64
sim_clock_get_real_time (TgClock *clock)
{
  return SIM_EPOCH_US + SIM_CLOCK (clock)->now;
}

static GSource *
sim_clock_timeout_source_new (TgClock *clock,
                              guint    interval_ms)
{
  return sim_source_new (SIM_CLOCK (clock), (gint64) interval_ms * 1000);
}

static void
sim_clock_iface_init (TgClockInterface *iface)
{
  iface->get_real_time = sim_clock_get_real_time;
  iface->timeout_source_new = sim_clock_timeout_source_new;
}

static void
sim_clock_finalize (GObject *object)
{
  SimClock *self = SIM_CLOCK (object);

  /* Every source holds the clock: none can be left. */
  g_assert (self->sources->len == 0);
  g_ptr_array_unref (self->sources);

  G_OBJECT_CLASS (sim_clock_parent_class)->finalize (object);
}

static void
sim_clock_class_init (SimClockClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sim_clock_finalize;
}

static void
sim_clock_init (SimClock *self)
{
  self->sources = g_ptr_array_new ();
}

SimClock *
sim_clock_new (void)
{
  return g_object_new (SIM_TYPE_CLOCK, NULL);
}

gint64
sim_clock_now (SimClock *self)
{
  return self->now;
}

/* The earliest deadline of a source that can still fire: attached, not
 * destroyed. G_MAXINT64 when there is none — the run is quiet. */
gint64
sim_clock_next_deadline (SimClock *self)
{
  gint64 next = G_MAXINT64;

  for (guint i = 0; i < self->sources->len; i++)
    {
      SimSource *source = g_ptr_array_index (self->sources, i);

      if (g_source_is_destroyed ((GSource *) source) ||
          g_source_get_context ((GSource *) source) == NULL)
        continue;
      next = MIN (next, source->deadline);
    }
  return next;
}

void
sim_clock_advance_to (SimClock *self,
                      gint64    when)
{
  g_assert (when >= self->now);
  self->now = when;
}

/**
 * sim_clock_call_later:
 *
 * Attaches to the thread-default context a source that calls @func after
 * @delay_us of virtual time: the fakes' answers and completions.
 *
 * Returns: (transfer none): the source, valid while it is attached
 */
GSource *
sim_clock_call_later (SimClock       *self,
                      gint64          delay_us,
                      GSourceFunc     func,
                      gpointer        data,
                      GDestroyNotify  notify)
{
  GSource *source = sim_source_new (self, delay_us);

  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "[tg-sim] later");
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
  return source;
}

void
sim_trace (SimTrace   *trace,
           const char *format,
           ...)
{
  va_list args;
  gint64 now;

  if (trace == NULL || trace->text == NULL)
    return;

  now = sim_clock_now (trace->clock);
  g_string_append_printf (trace->text, "%4" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT "  ",
                          now / G_USEC_PER_SEC, now % G_USEC_PER_SEC);
  va_start (args, format);
  g_string_append_vprintf (trace->text, format, args);
  va_end (args);
  g_string_append_c (trace->text, '\n');
}
