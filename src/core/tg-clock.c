/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgClock: the time and the timers of the client core, and the system clock.
 */
#define G_LOG_DOMAIN "tg-clock"

#include "config.h"

#include "tg-clock-private.h"

G_DEFINE_INTERFACE (TgClock, tg_clock, G_TYPE_OBJECT)

static void
tg_clock_default_init (TgClockInterface *iface)
{
}

/**
 * tg_clock_get_real_time:
 *
 * Returns: the wall-clock time in µs since the epoch
 */
gint64
tg_clock_get_real_time (TgClock *self)
{
  g_return_val_if_fail (TG_IS_CLOCK (self), 0);

  return TG_CLOCK_GET_IFACE (self)->get_real_time (self);
}

/**
 * tg_clock_timeout_source_new:
 * @interval_ms: from now, in milliseconds of this clock
 *
 * Returns: (transfer full): a source that is not attached yet
 */
GSource *
tg_clock_timeout_source_new (TgClock *self,
                             guint    interval_ms)
{
  g_return_val_if_fail (TG_IS_CLOCK (self), NULL);

  return TG_CLOCK_GET_IFACE (self)->timeout_source_new (self, interval_ms);
}

/* ------------------------------------------------------------------------- */
/* The system clock                                                          */

#define TG_TYPE_SYSTEM_CLOCK (tg_system_clock_get_type ())
G_DECLARE_FINAL_TYPE (TgSystemClock, tg_system_clock, TG, SYSTEM_CLOCK, GObject)

struct _TgSystemClock
{
  GObject parent_instance;
};

static void tg_system_clock_iface_init (TgClockInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TgSystemClock, tg_system_clock, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TG_TYPE_CLOCK, tg_system_clock_iface_init))

static gint64
tg_system_clock_get_real_time (TgClock *clock)
{
  return g_get_real_time ();
}

static GSource *
tg_system_clock_timeout_source_new (TgClock *clock,
                                    guint    interval_ms)
{
  return g_timeout_source_new (interval_ms);
}

static void
tg_system_clock_iface_init (TgClockInterface *iface)
{
  iface->get_real_time = tg_system_clock_get_real_time;
  iface->timeout_source_new = tg_system_clock_timeout_source_new;
}

static void
tg_system_clock_class_init (TgSystemClockClass *klass)
{
}

static void
tg_system_clock_init (TgSystemClock *self)
{
}

/**
 * tg_clock_get_system:
 *
 * Returns: (transfer none): the clock of the system: g_get_real_time() and
 *   g_timeout_source_new()
 */
TgClock *
tg_clock_get_system (void)
{
  static TgClock *system_clock;

  if (g_once_init_enter (&system_clock))
    g_once_init_leave (&system_clock, g_object_new (TG_TYPE_SYSTEM_CLOCK, NULL));

  return system_clock;
}
