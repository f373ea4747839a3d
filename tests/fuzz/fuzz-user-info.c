/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tg_user_info_parse_name(): the answer of a provider's userinfo endpoint,
 * whose name the window's subtitle and `tokengate-cli login` show. What it
 * accepts must be fit to show as it is: a non-empty UTF-8 string of at most
 * 256 bytes without control characters, line or paragraph separators, or
 * bidi embeddings, overrides or isolates (which would reorder what the
 * window shows after the name).
 */
#include "config.h"

#include <gio/gio.h>

#include "fuzz-common.h"
#include "tg-auth-error.h"
#include "tg-user-info.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) body = g_bytes_new_static (data, size);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  gsize length;

  fuzz_init ();
  name = tg_user_info_parse_name (body, &error);
  if (name == NULL)
    {
      g_assert (error != NULL && error->domain == TG_AUTH_ERROR &&
                error->code == TG_AUTH_ERROR_PROTOCOL);
      return 0;
    }

  g_assert_no_error (error);
  length = strlen (name);
  g_assert (length > 0 && length <= 256);
  g_assert (g_utf8_validate (name, (gssize) length, NULL));
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_assert (!g_unichar_iscntrl (c));
      g_assert (g_unichar_type (c) != G_UNICODE_LINE_SEPARATOR &&
                g_unichar_type (c) != G_UNICODE_PARAGRAPH_SEPARATOR);
      g_assert (!(c >= 0x202A && c <= 0x202E) && !(c >= 0x2066 && c <= 0x2069));
    }
  return 0;
}
