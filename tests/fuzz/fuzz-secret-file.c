/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tg_secret_file_parse(): what tokengate-cli --client-secret-file and
 * tokengate-server --client-secret-file take from the file once it passed
 * the file-system rules (those are unit-tested: tests/test-secret-file.c).
 * What it accepts is the first line, trimmed: a non-empty C string with no
 * newline, NUL or white space at its ends, at most the size limit.
 */
#include "config.h"

#include <gio/gio.h>

#include "fuzz-common.h"
#include "tg-secret-file.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;
  const char *line_end;
  const char *found;
  gsize length;

  fuzz_init ();
  secret = tg_secret_file_parse ((const char *) data, size, "FILE", &error);
  if (secret == NULL)
    {
      g_assert (error != NULL && error->domain == G_IO_ERROR &&
                error->code == G_IO_ERROR_INVALID_DATA);
      return 0;
    }

  g_assert_no_error (error);
  g_assert (size <= TG_SECRET_FILE_MAX_SIZE);
  length = strlen (secret);
  g_assert (length > 0);
  g_assert (strchr (secret, '\n') == NULL);
  g_assert (!g_ascii_isspace (secret[0]) && !g_ascii_isspace (secret[length - 1]));

  /* Taken as it is from the first line: the secret's bytes, in place. */
  line_end = memchr (data, '\n', size);
  if (line_end == NULL)
    line_end = (const char *) data + size;
  found = g_strstr_len ((const char *) data, line_end - (const char *) data, secret);
  g_assert (found != NULL);
  return 0;
}
