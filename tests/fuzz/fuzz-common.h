/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What every fuzz target shares: the libFuzzer entry point's prototype and
 * the one-time set-up.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* A critical (a g_return_if_fail() that fired) or a warning while parsing
 * outside data is a bug as much as a crash is, and would otherwise scroll by
 * unnoticed among millions of runs. GLib's own fatal path raises SIGTRAP,
 * which libFuzzer does not catch (it would keep no input): abort() instead. */
static inline void
fuzz_log_handler (const char     *log_domain,
                  GLogLevelFlags  log_level,
                  const char     *message,
                  gpointer        user_data)
{
  if ((log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) != 0)
    {
      g_printerr ("%s: %s\n", log_domain != NULL ? log_domain : "(no domain)", message);
      abort ();
    }
}

static inline void
fuzz_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      g_log_set_default_handler (fuzz_log_handler, NULL);
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
