/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * base64url without padding (RFC 4648 §5), as JWTs (RFC 7515 §2) and our refresh
 * tokens use it. GLib only has the standard alphabet and a decoder that silently
 * skips characters it does not know, so we do both directions ourselves: a token
 * must have exactly one spelling, and garbage in it must be an error.
 */
#define G_LOG_DOMAIN "tg-base64url"

#include "config.h"

#include <string.h>

#include "tg-base64url.h"

static const char alphabet[64] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Each character's value plus one, so that the zero every other byte gets means
 * "not in the alphabet". */
static const guint8 decode_table[256] = {
  ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7,
  ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
  ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20,
  ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26,
  ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
  ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38,
  ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44,
  ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
  ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
  ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62,
  ['-'] = 63, ['_'] = 64,
};

/**
 * tg_base64url_encode:
 * @data: (array length=len) (nullable): bytes to encode; may be %NULL if @len is 0
 * @len: number of bytes
 *
 * Returns: (transfer full): @data in base64url, without `=` padding
 */
char *
tg_base64url_encode (const guint8 *data,
                     gsize         len)
{
  char *out;
  char *p;
  gsize i;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (len <= (G_MAXSIZE - 3) / 4 * 3, NULL);

  out = p = g_malloc ((len + 2) / 3 * 4 + 1);

  for (i = 0; i + 3 <= len; i += 3)
    {
      guint32 v = (guint32) data[i] << 16 | (guint32) data[i + 1] << 8 | data[i + 2];

      *p++ = alphabet[(v >> 18) & 0x3f];
      *p++ = alphabet[(v >> 12) & 0x3f];
      *p++ = alphabet[(v >> 6) & 0x3f];
      *p++ = alphabet[v & 0x3f];
    }

  if (len - i == 1)
    {
      guint32 v = (guint32) data[i] << 16;

      *p++ = alphabet[(v >> 18) & 0x3f];
      *p++ = alphabet[(v >> 12) & 0x3f];
    }
  else if (len - i == 2)
    {
      guint32 v = (guint32) data[i] << 16 | (guint32) data[i + 1] << 8;

      *p++ = alphabet[(v >> 18) & 0x3f];
      *p++ = alphabet[(v >> 12) & 0x3f];
      *p++ = alphabet[(v >> 6) & 0x3f];
    }
  *p = '\0';

  return out;
}

/**
 * tg_base64url_decode:
 * @text: base64url text, padded or not
 * @text_len: length of @text, or -1 if it is nul-terminated
 * @out_len: (out): length of the result
 *
 * Unlike g_base64_decode(), this rejects any character outside the alphabet
 * (including the standard alphabet's `+` and `/`, whitespace and NUL), any
 * impossible length, padding that is not exactly what the length calls for, and
 * unused trailing bits that are not zero (RFC 4648 §3.5 allows a decoder to), so
 * that garbage in a token is an error rather than silently skipped input, and so
 * that no two different strings decode to the same bytes.
 *
 * Returns: (transfer full) (nullable): the bytes (always nul-terminated one past
 *   @out_len, for convenience), or %NULL if @text is not valid base64url
 */
guint8 *
tg_base64url_decode (const char *text,
                     gssize      text_len,
                     gsize      *out_len)
{
  g_autofree guint8 *decoded = NULL;
  const guint8 *in = (const guint8 *) text;
  gsize len;
  gsize pad = 0;
  gsize tail;
  gsize i;
  guint8 *p;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (out_len != NULL, NULL);

  *out_len = 0;
  len = text_len < 0 ? strlen (text) : (gsize) text_len;

  /* Padding is optional in base64url; if it is there, it must be the one or two
   * `=` that complete the last quantum, and nothing after it. */
  while (len > 0 && text[len - 1] == '=')
    {
      len--;
      pad++;
    }
  tail = len % 4;
  if (tail == 1)
    return NULL;
  if (pad != 0 && pad != (4 - tail) % 4)
    return NULL;

  decoded = p = g_malloc (len / 4 * 3 + (tail == 0 ? 0 : tail - 1) + 1);

  for (i = 0; i + 4 <= len; i += 4)
    {
      guint a = decode_table[in[i]];
      guint b = decode_table[in[i + 1]];
      guint c = decode_table[in[i + 2]];
      guint d = decode_table[in[i + 3]];
      guint32 v;

      if (a == 0 || b == 0 || c == 0 || d == 0)
        return NULL;
      v = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6 | (d - 1);
      *p++ = (guint8) (v >> 16);
      *p++ = (guint8) (v >> 8);
      *p++ = (guint8) v;
    }

  if (tail != 0)
    {
      guint a = decode_table[in[i]];
      guint b = decode_table[in[i + 1]];
      guint c = tail == 3 ? decode_table[in[i + 2]] : 1;
      guint32 v;

      if (a == 0 || b == 0 || c == 0)
        return NULL;
      v = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6;
      /* The bits past the last whole byte are unused and must be zero, or one
       * value would have several spellings. */
      if ((tail == 2 && (v & 0x00ffff) != 0) || (tail == 3 && (v & 0x0000ff) != 0))
        return NULL;
      *p++ = (guint8) (v >> 16);
      if (tail == 3)
        *p++ = (guint8) (v >> 8);
    }
  *p = '\0';

  *out_len = (gsize) (p - decoded);
  return g_steal_pointer (&decoded);
}
