/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What every fuzz target shares: the libFuzzer entry point's prototype and
 * the one-time set-up.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* A critical (a g_return_if_fail() that fired) or a warning while parsing
 * outside data is a bug as much as a crash is, and would otherwise scroll by
 * unnoticed among millions of runs: make both abort, so that libFuzzer keeps
 * the input. */
static inline void
fuzz_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
      g_once_init_leave (&initialized, 1);
    }
}

/* Splits off the first line of @data (without its "\n") into a C string;
 * *data and *size then describe the rest. The line ends early at a NUL or a
 * "\r": what a header value can hold once libsoup has read it. */
static inline char *
fuzz_take_line (const uint8_t **data,
                size_t         *size)
{
  const uint8_t *newline = memchr (*data, '\n', *size);
  size_t line_len = newline != NULL ? (size_t) (newline - *data) : *size;
  size_t end = 0;

  while (end < line_len && (*data)[end] != '\0' && (*data)[end] != '\r')
    end++;

  {
    char *line = g_strndup ((const char *) *data, end);

    *data += newline != NULL ? line_len + 1 : line_len;
    *size -= newline != NULL ? line_len + 1 : line_len;
    return line;
  }
}
