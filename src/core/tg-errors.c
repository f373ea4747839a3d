/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What went wrong talking to a server, in the two forms every user of the
 * library needs: whether an error means "the server could not be reached",
 * and what a server's JSON error body says.
 */
#define G_LOG_DOMAIN "tg-errors"

#include "config.h"

#include <json-glib/json-glib.h>

#include "tg-errors-private.h"
#include "tg-json-check.h"

/* The server's words may end up on a terminal or under a form: one short
 * line. */
#define MAX_DESCRIPTION_CHARS 200
/* An error body is a sentence or two; anything bigger is not read. */
#define MAX_BODY_BYTES        (64 * 1024)
#define MAX_JSON_DEPTH        32

/**
 * tg_error_is_unreachable:
 * @error: an error from a request, a sign-in or a refresh
 *
 * Whether @error means that no server answered: its name did not resolve,
 * the connection was refused, timed out or closed, there was no route or
 * proxy, or a secure connection could not be set up (any %G_TLS_ERROR — the
 * server may be the wrong one, so nothing was sent to it).
 *
 * Callers that explain TLS failures apart check the %G_TLS_ERROR domain
 * first. An answer from the server, however bad, is never "unreachable".
 *
 * Returns: %TRUE if the server could not be reached
 */
gboolean
tg_error_is_unreachable (const GError *error)
{
  g_return_val_if_fail (error != NULL, FALSE);

  if (error->domain == G_RESOLVER_ERROR || error->domain == G_TLS_ERROR)
    return TRUE;
  if (error->domain != G_IO_ERROR)
    return FALSE;

  switch (error->code)
    {
    case G_IO_ERROR_CONNECTION_REFUSED:
    case G_IO_ERROR_HOST_NOT_FOUND:
    case G_IO_ERROR_HOST_UNREACHABLE:
    case G_IO_ERROR_NETWORK_UNREACHABLE:
    case G_IO_ERROR_TIMED_OUT:
    case G_IO_ERROR_CONNECTION_CLOSED:
    case G_IO_ERROR_NOT_CONNECTED:
    case G_IO_ERROR_PROXY_FAILED:
    case G_IO_ERROR_PROXY_NOT_ALLOWED:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Text from a server, made fit for a one-line message: valid UTF-8, no
 * control or formatting characters (no terminal escapes, no bidi overrides
 * that would make it read as something else), whitespace collapsed, and at
 * most @max_chars characters, "…" included when it had to be cut. %NULL when
 * nothing is left. */
char *
_tg_sanitize_text (const char *text,
                   guint       max_chars)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  g_autoptr(GString) out = g_string_new (NULL);
  guint n_chars = 0;
  gboolean space_pending = FALSE;

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c))
        {
          space_pending = out->len > 0;
          continue;
        }
      if (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT)
        continue;

      if (n_chars + (space_pending ? 1 : 0) + 1 > max_chars)
        {
          /* Cut, and say so: a clipped sentence should not look complete. */
          while (n_chars + 1 > max_chars && out->len > 0)
            {
              const char *last = g_utf8_find_prev_char (out->str, out->str + out->len);

              g_string_truncate (out, (gsize) (last - out->str));
              n_chars--;
            }
          g_string_append (out, "…");
          break;
        }
      if (space_pending)
        {
          g_string_append_c (out, ' ');
          n_chars++;
          space_pending = FALSE;
        }
      g_string_append_unichar (out, c);
      n_chars++;
    }

  if (out->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * tg_error_body_describe:
 * @body: (nullable): the body of an error answer
 *
 * What the server says went wrong, if @body is a JSON object in the style of
 * RFC 6749 §5.2: its `error_description`, or else its `error`, made fit to
 * show — one line of at most 200 characters (the last one "…" if it had to be
 * cut), without control or formatting characters.
 *
 * Anything else — no body, an HTML error page, JSON that is not an object,
 * or members that are not strings — gives %NULL, as does a body too big or
 * too deeply nested to be worth parsing.
 *
 * Returns: (transfer full) (nullable): the description, or %NULL
 */
char *
tg_error_body_describe (GBytes *body)
{
  static const char * const names[] = { "error_description", "error" };
  g_autoptr(JsonParser) parser = NULL;
  const char *data;
  gsize size = 0;
  JsonNode *root;
  JsonObject *object;

  if (body == NULL)
    return NULL;
  data = g_bytes_get_data (body, &size);
  /* json-glib 1.6 is not trusted with deep nesting or an escaped NUL
   * (tg-json-check.c); its message is not passed on either: it would quote
   * the body. */
  if (size == 0 || size > MAX_BODY_BYTES ||
      !tg_json_check_text (data, size, MAX_JSON_DEPTH, TG_JSON_CHECK_REFUSE_NUL, NULL))
    return NULL;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) size, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  object = json_node_get_object (root);

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      JsonNode *member = json_object_get_member (object, names[i]);

      if (member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
          json_node_get_value_type (member) == G_TYPE_STRING)
        {
          char *text = _tg_sanitize_text (json_node_get_string (member), MAX_DESCRIPTION_CHARS);

          if (text != NULL)
            return text;
        }
    }
  return NULL;
}
