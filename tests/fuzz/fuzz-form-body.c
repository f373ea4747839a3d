/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * _tg_server_parse_form(): what the server runs on every
 * application/x-www-form-urlencoded body (POST /oauth2/token and
 * /oauth2/revoke) once libsoup has read it. Whatever it accepts must be UTF-8
 * names and values without NUL, each name once — what the handlers rely on.
 */
#include "config.h"

#include <gio/gio.h>

#include "fuzz-common.h"
#include "tg-server-private.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) form = NULL;
  GHashTableIter iter;
  gpointer name, value;

  fuzz_init ();
  /* The server never gets here with an empty body: read_body() refuses it. */
  if (size == 0)
    return 0;

  form = _tg_server_parse_form ((const char *) data, size, &error);
  if (form == NULL)
    {
      g_assert (error != NULL && error->domain == G_IO_ERROR &&
                error->code == G_IO_ERROR_INVALID_DATA);
      return 0;
    }

  g_assert_no_error (error);
  g_hash_table_iter_init (&iter, form);
  while (g_hash_table_iter_next (&iter, &name, &value))
    {
      g_assert (g_utf8_validate (name, -1, NULL));
      g_assert (value != NULL && g_utf8_validate (value, -1, NULL));
    }
  return 0;
}
