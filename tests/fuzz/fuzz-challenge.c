/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tg_challenge_parse_list() and tg_challenge_bearer_refresh_can_help(): what
 * the API client runs on the WWW-Authenticate of every 401 it gets. The input
 * is the field value as libsoup hands it over (a C string, several fields
 * joined with ", ").
 */
#include "config.h"

#include <gio/gio.h>

#include "fuzz-common.h"
#include "tg-challenge-private.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *value = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  gboolean bearer = FALSE;
  gboolean other_error = FALSE;

  fuzz_init ();
  value = g_strndup ((const char *) data, size);

  list = tg_challenge_parse_list (value, &error);
  if (list == NULL)
    {
      g_assert (error != NULL && error->domain == G_IO_ERROR);
      /* Unparseable reads like no challenge at all. */
      g_assert (tg_challenge_bearer_refresh_can_help (value));
      return 0;
    }

  g_assert_no_error (error);
  for (guint i = 0; i < list->len; i++)
    {
      const TgChallenge *challenge = g_ptr_array_index (list, i);
      const char *error_code;

      g_assert (challenge->scheme != NULL && challenge->scheme[0] != '\0');
      g_assert (challenge->params != NULL);
      g_assert (g_strv_length (challenge->params) % 2 == 0);
      g_assert (challenge->token68 == NULL || challenge->params[0] == NULL);

      for (guint j = 0; challenge->params[j] != NULL; j += 2)
        g_assert (tg_challenge_get_param (challenge, challenge->params[j]) == challenge->params[j + 1]);

      if (g_ascii_strcasecmp (challenge->scheme, "Bearer") == 0)
        {
          bearer = TRUE;
          error_code = tg_challenge_get_param (challenge, "error");
          if (error_code != NULL && g_ascii_strcasecmp (error_code, "invalid_token") != 0)
            other_error = TRUE;
        }
    }

  /* The decision agrees with the parse it is made from. */
  g_assert (tg_challenge_bearer_refresh_can_help (value) == (bearer && !other_error));
  return 0;
}
