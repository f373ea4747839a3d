/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(TOKENGATE_INSIDE) && !defined(TOKENGATE_COMPILATION)
# error "Only <tokengate.h> can be included directly."
#endif

#include <glib.h>

/* libtokengate-1 is built with -fvisibility=hidden: only what a public header
 * marks with one of these macros is exported from the shared library. A
 * function in a private header (tg-*-private.h) stays inside it, however it is
 * named, so the tests and tools that link the internal static library can use
 * it while applications cannot come to depend on it. */
#if defined(_WIN32) && defined(TOKENGATE_COMPILATION)
# define _TG_EXTERN __declspec(dllexport) extern
#elif defined(TOKENGATE_COMPILATION)
# define _TG_EXTERN __attribute__((visibility ("default"))) extern
#else
# define _TG_EXTERN extern
#endif

/* Everything public since the first release of libtokengate-1 (0.1). */
#define TG_AVAILABLE_IN_ALL _TG_EXTERN
