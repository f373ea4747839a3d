/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

#define TG_TYPE_CLOCK (tg_clock_get_type ())
G_DECLARE_INTERFACE (TgClock, tg_clock, TG, CLOCK, GObject)

/**
 * TgClockInterface:
 * @get_real_time: wall-clock time in µs since the epoch, as g_get_real_time()
 * @timeout_source_new: a #GSource that becomes ready @interval_ms from now on
 *   this clock, as g_timeout_source_new()
 *
 * Where the token manager reads the time and sets its timers. The system clock
 * is the only one an application needs; the simulation in `tests/sim/` puts a
 * virtual one here, so that a refresh timeout or a token's expiry happens at
 * the same virtual instant on every run of the same seed.
 */
struct _TgClockInterface
{
  GTypeInterface g_iface;

  gint64    (*get_real_time)      (TgClock *self);
  GSource * (*timeout_source_new) (TgClock *self,
                                   guint    interval_ms);
};

TgClock *tg_clock_get_system         (void);
gint64   tg_clock_get_real_time      (TgClock *self);
GSource *tg_clock_timeout_source_new (TgClock *self,
                                      guint    interval_ms);

G_END_DECLS
