/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * callgrind's client requests when valgrind/callgrind.h is there at build
 * time (HAVE_CALLGRIND_H 1), and the same names doing nothing when it is not
 * (HAVE_CALLGRIND_H 0), for the benchmarks that count only a part of a run.
 */
#pragma once

#if defined(__has_include)
# if __has_include(<valgrind/callgrind.h>)
#  pragma GCC diagnostic push
#  pragma GCC diagnostic ignored "-Wundef"
#  include <valgrind/callgrind.h>
#  pragma GCC diagnostic pop
#  define HAVE_CALLGRIND_H 1
# endif
#endif
#ifndef HAVE_CALLGRIND_H
# define HAVE_CALLGRIND_H 0
# define CALLGRIND_TOGGLE_COLLECT
# define CALLGRIND_START_INSTRUMENTATION
# define CALLGRIND_STOP_INSTRUMENTATION
# define CALLGRIND_ZERO_STATS
# define CALLGRIND_DUMP_STATS_AT(name) ((void) (name))
#endif
