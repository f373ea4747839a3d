/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A look at JSON text from outside before json-glib 1.6 parses it, for what
 * json-glib cannot be trusted with:
 *
 * - Several values in a row (`{…} […]`): json-glib parses them all, keeps
 *   the first as the root and leaks the others' nodes — as much as the text
 *   holds, on every request, for anyone who can send one.
 * - Nesting: its parser is recursive; deep enough nesting overflows the stack.
 * - `\u0000` in a string: decoded into a C string cut short, so that
 *   `"demo\u0000x"` reads as `demo`.
 * - A high surrogate escape followed by anything but a low one: it leaks
 *   the string read so far.
 * - It takes single-quoted strings and comments, which are not JSON
 *   (RFC 8259) and would hide any of the above from a scan that does not see
 *   strings where json-glib does.
 *
 * Used by the server and the client core alike (src/common).
 */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "tg-json-check.h"

/* Outside strings, RFC 8259 JSON is made of these bytes only: structure,
 * whitespace, numbers and the letters of true, false and null. */
static gboolean
is_json_syntax (char c)
{
  return c != '\0' && strchr ("{}[],:0123456789+-.eEtrufalsn", c) != NULL;
}

static gboolean
is_json_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static gboolean
invalid (GError     **error,
         const char  *message)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, message);
  return FALSE;
}

static gboolean
read_hex4 (const char *p,
           gsize       len,
           gunichar   *out)
{
  gunichar value = 0;

  if (len < 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (p[i]);

      if (digit < 0)
        return FALSE;
      value = value * 16 + (gunichar) digit;
    }
  *out = value;
  return TRUE;
}

/* The length of the escape at @p (on its backslash), or 0 with @error set.
 * RFC 8259 §7: one of \" \\ \/ \b \f \n \r \t, or \uXXXX; a UTF-16
 * surrogate only as a high one followed by a low one. json-glib leaks the
 * string so far when a high surrogate is followed by anything else. */
static gsize
escape_length (const char        *p,
               gsize              len,
               TgJsonCheckFlags   flags,
               GError           **error)
{
  gunichar unit, low;

  g_assert (len >= 1 && p[0] == '\\');

  if (len >= 2 && p[1] != '\0' && p[1] != 'u' && strchr ("\"\\/bfnrt", p[1]) != NULL)
    return 2;
  if (len < 2 || p[1] != 'u' || !read_hex4 (p + 2, len - 2, &unit))
    return invalid (error, "the text is not valid JSON");

  if (unit == 0 && (flags & TG_JSON_CHECK_REFUSE_NUL) != 0)
    return invalid (error, "JSON strings must not contain NUL characters");
  if (unit >= 0xdc00 && unit <= 0xdfff)
    return invalid (error, "the text is not valid JSON");
  if (unit < 0xd800 || unit > 0xdbff)
    return 6;

  if (len < 12 || p[6] != '\\' || p[7] != 'u' || !read_hex4 (p + 8, len - 8, &low) ||
      low < 0xdc00 || low > 0xdfff)
    return invalid (error, "the text is not valid JSON");
  return 12;
}

/**
 * tg_json_check_text:
 * @data: JSON text, not necessarily NUL-terminated
 * @len: its length in bytes
 * @max_depth: how many objects and arrays deep it may go
 * @flags: what else to refuse
 * @error: return location for a #GError (%G_IO_ERROR_INVALID_DATA); its
 *   message never quotes @data
 *
 * Checks that @data is at most one object or array, with only whitespace
 * around it, JSON's own syntax outside its strings, and nesting no deeper
 * than @max_depth, and escapes in strings that RFC 8259 allows. What it lets
 * through may still be invalid JSON; that is for the parser to say. Linear
 * time, no allocation.
 *
 * Returns: %TRUE if @data may go to json_parser_load_from_data()
 */
gboolean
tg_json_check_text (const char        *data,
                    gsize              len,
                    guint              max_depth,
                    TgJsonCheckFlags   flags,
                    GError           **error)
{
  gboolean in_string = FALSE;
  gboolean done = FALSE;  /* the top-level value has been closed */
  guint depth = 0;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            {
              gsize escape_len = escape_length (data + i, len - i, flags, error);

              if (escape_len == 0)
                return FALSE;
              i += escape_len - 1;
            }
          else if (c == '"')
            {
              in_string = FALSE;
            }
          continue;
        }

      if (is_json_space (c))
        continue;
      if (done)
        return invalid (error, "there is more than one JSON value");

      if (c == '{' || c == '[')
        {
          if (++depth > max_depth)
            return invalid (error, "the JSON text is nested too deeply");
        }
      else if (depth == 0)
        {
          /* A bare string, number or literal: not what anyone here reads,
           * and json-glib would parse whatever follows it as a second value. */
          return invalid (error, "the JSON text is not an object or an array");
        }
      else if (c == '}' || c == ']')
        {
          if (--depth == 0)
            done = TRUE;
        }
      else if (c == '"')
        {
          in_string = TRUE;
        }
      else if (!is_json_syntax (c))
        {
          return invalid (error, "the text is not valid JSON");
        }
    }

  return TRUE;
}
