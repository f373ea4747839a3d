/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The secrets of the token endpoint's exchanges — a password, a refresh
 * token, the client secret — kept out of two places: out of freed memory (the
 * request bodies are built in buffers that never grow and are wiped when
 * freed) and out of error messages (whatever a server echoes of them, however
 * it encoded the echo, is redacted before its text is shown, printed or
 * logged). TgAuthProtocol builds the requests with these helpers and the
 * answer reader (tg-auth-answer.c) redacts with them.
 */
#define G_LOG_DOMAIN "tg-auth-protocol"

#include "config.h"

#include <string.h>

#include "tg-auth-secrets-private.h"

/* An error text longer than this is not shown at all (we show 200
 * characters), which also bounds the work of redacting it. */
#define MAX_ERROR_TEXT_BYTES (16 * 1024)

/* ------------------------------------------------------------------------- */
/* Secrets in memory                                                         */

/* ------------------------------------------------------------------------- */
/* TgAuthSecrets in memory                                                         */

void
_tg_auth_wipe_string (char *text)
{
  if (text != NULL)
    explicit_bzero (text, strlen (text));
  g_free (text);
}

/* A request body holds a password or a refresh token: libsoup keeps the GBytes
 * for as long as the message may be re-sent, and the last unref wipes it. */
GBytes *
_tg_auth_secret_bytes_new_take (char *text)
{
  return g_bytes_new_with_free_func (text, strlen (text), (GDestroyNotify) _tg_auth_wipe_string, text);
}

/* The secrets a request carried (the password of a sign-in, the refresh
 * token of a refresh or revocation), kept with the message until it is
 * freed, so that the answer can be read without repeating them. The body
 * holds them for as long anyway (see _tg_auth_secret_bytes_new_take()). */
static GQuark
request_secrets_quark (void)
{
  return g_quark_from_static_string ("tg-auth-protocol-request-secrets");
}

static void
wipe_strv (char **strv)
{
  for (char **p = strv; p != NULL && *p != NULL; p++)
    explicit_bzero (*p, strlen (*p));
  g_strfreev (strv);
}

void
_tg_auth_remember_request_secret (SoupMessage *msg,
                                  const char  *secret)
{
  char **secrets = g_new0 (char *, 2);

  secrets[0] = g_strdup (secret);
  g_object_set_qdata_full (G_OBJECT (msg), request_secrets_quark (), secrets,
                           (GDestroyNotify) wipe_strv);
}

/* Adds the secrets _tg_auth_remember_request_secret() kept with @request. */
void
_tg_auth_secrets_add_remembered (TgAuthSecrets *secrets,
                                 SoupMessage   *request)
{
  char **remembered = g_object_get_qdata (G_OBJECT (request), request_secrets_quark ());

  for (char **p = remembered; p != NULL && *p != NULL; p++)
    _tg_auth_secrets_add (secrets, *p);
}

/* ------------------------------------------------------------------------- */
/* Secrets out of the text a server sends back                               */

void
_tg_auth_secrets_add (TgAuthSecrets *secrets,
                      const char    *value)
{
  if (value == NULL || *value == '\0')
    return;
  g_assert (secrets->n_values < G_N_ELEMENTS (secrets->values));
  secrets->values[secrets->n_values++] = value;
}

/* One character of a secret: its code point (or, for a byte that is not
 * valid UTF-8, the byte, which went out as U+FFFD in JSON) and its bytes. */
typedef struct {
  gunichar c;
  gboolean invalid;
  guint8   n_bytes;
  char     bytes[4];
} SecretChar;

static gboolean
text_has (const char  *text,
          gsize        len,
          gsize        pos,
          const char  *expected,
          gsize        expected_len,
          gboolean     ignore_case,
          gsize       *out_end)
{
  if (expected_len == 0 || len - pos < expected_len)
    return FALSE;
  if (ignore_case ? g_ascii_strncasecmp (text + pos, expected, expected_len) != 0
                  : memcmp (text + pos, expected, expected_len) != 0)
    return FALSE;
  *out_end = pos + expected_len;
  return TRUE;
}

static void
add_state (GArray *states,
           gsize   end)
{
  for (guint i = 0; i < states->len; i++)
    if (g_array_index (states, gsize, i) == end)
      return;
  g_array_append_val (states, end);
}

/* Every way a server may have written @ch into its text, as the ends of the
 * matches that start at @pos: as it is; percent-encoded (RFC 3986 §2.1, hex
 * in either case) or form-encoded ('+' for a space), as our request bodies
 * had it; JSON-escaped (RFC 8259 §7), as a server that quotes the raw JSON
 * request has it; HTML-escaped, as a templated error page has it. */
static void
match_char (const char       *text,
            gsize             len,
            gsize             pos,
            const SecretChar *ch,
            GArray           *ends)
{
  static const struct { gunichar c; const char *escape; } escapes[] = {
    { '"', "\\\"" }, { '\\', "\\\\" }, { '/', "\\/" }, { '\b', "\\b" }, { '\f', "\\f" },
    { '\n', "\\n" }, { '\r', "\\r" }, { '\t', "\\t" },
    { '"', "&quot;" }, { '"', "&#34;" }, { '&', "&amp;" }, { '<', "&lt;" }, { '>', "&gt;" },
    { '\'', "&#39;" }, { '\'', "&#x27;" }, { '\'', "&apos;" },
  };
  char expected[32];
  gsize end;

  if (text_has (text, len, pos, ch->bytes, ch->n_bytes, FALSE, &end))
    add_state (ends, end);

  for (guint i = 0; i < ch->n_bytes; i++)
    {
      static const char digits[] = "0123456789ABCDEF";
      guchar byte = (guchar) ch->bytes[i];

      expected[3 * i] = '%';
      expected[3 * i + 1] = digits[byte >> 4];
      expected[3 * i + 2] = digits[byte & 0x0f];
    }
  if (text_has (text, len, pos, expected, 3 * ch->n_bytes, TRUE, &end))
    add_state (ends, end);
  if (ch->c == ' ' && text_has (text, len, pos, "+", 1, FALSE, &end))
    add_state (ends, end);

  for (guint i = 0; i < G_N_ELEMENTS (escapes); i++)
    if (!ch->invalid && escapes[i].c == ch->c &&
        text_has (text, len, pos, escapes[i].escape, strlen (escapes[i].escape), FALSE, &end))
      add_state (ends, end);

  if (ch->invalid || ch->c <= 0xffff)
    g_snprintf (expected, sizeof expected, "\\u%04x", ch->invalid ? 0xfffd : ch->c);
  else
    g_snprintf (expected, sizeof expected, "\\u%04x\\u%04x",
                0xd800 + ((ch->c - 0x10000) >> 10), 0xdc00 + ((ch->c - 0x10000) & 0x3ff));
  if (text_has (text, len, pos, expected, strlen (expected), TRUE, &end))
    add_state (ends, end);
  if (ch->invalid && text_has (text, len, pos, "\xef\xbf\xbd", 3, FALSE, &end))
    add_state (ends, end);
}

static GArray *
split_secret (const char *secret)
{
  GArray *chars = g_array_new (FALSE, TRUE, sizeof (SecretChar));

  for (const char *p = secret; *p != '\0';)
    {
      gunichar c = g_utf8_get_char_validated (p, -1);
      SecretChar ch = { 0 };

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          ch.invalid = TRUE;
          ch.c = (guchar) *p;
          ch.n_bytes = 1;
        }
      else
        {
          ch.c = c;
          ch.n_bytes = (guint8) (g_utf8_next_char (p) - p);
        }
      memcpy (ch.bytes, p, ch.n_bytes);
      p += ch.n_bytes;
      g_array_append_val (chars, ch);
    }

  return chars;
}

/* Where the longest echo of @chars that starts at @pos ends, or 0. Each
 * character may be written its own way (a server may escape only some), so
 * this follows every way at once; the sets stay tiny. */
static gsize
match_secret_at (const char *text,
                 gsize       len,
                 gsize       pos,
                 GArray     *chars,
                 GArray     *states,
                 GArray     *next)
{
  gsize longest = 0;

  g_array_set_size (states, 0);
  add_state (states, pos);
  for (guint i = 0; i < chars->len && states->len > 0; i++)
    {
      g_array_set_size (next, 0);
      for (guint j = 0; j < states->len; j++)
        match_char (text, len, g_array_index (states, gsize, j),
                    &g_array_index (chars, SecretChar, i), next);
      g_array_set_size (states, 0);
      g_array_append_vals (states, next->data, next->len);
    }
  for (guint j = 0; j < states->len; j++)
    longest = MAX (longest, g_array_index (states, gsize, j));

  return longest;
}

void
_tg_auth_redact_secret (GString    *text,
                        const char *secret)
{
  g_autoptr(GArray) chars = split_secret (secret);
  g_autoptr(GArray) states = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_autoptr(GArray) next = g_array_new (FALSE, FALSE, sizeof (gsize));

  for (gsize pos = 0; pos < text->len;)
    {
      gsize end = match_secret_at (text->str, text->len, pos, chars, states, next);

      if (end > pos)
        {
          g_string_erase (text, (gssize) pos, (gssize) (end - pos));
          g_string_insert (text, (gssize) pos, TG_AUTH_REDACTED);
          pos += strlen (TG_AUTH_REDACTED);
        }
      else
        {
          pos++;
        }
    }
}

/* Text from the server with every secret taken out, however it was encoded:
 * some servers echo what they were sent, and an error message is shown in
 * the UI, printed by the CLI and kept in logs. Text too long to show is not
 * shown at all. */
char *
_tg_auth_redact (const char          *text,
                 const TgAuthSecrets *secrets)
{
  g_autoptr(GString) out = NULL;

  if (strlen (text) > MAX_ERROR_TEXT_BYTES)
    return NULL;

  out = g_string_new (text);
  for (guint i = 0; i < secrets->n_values; i++)
    _tg_auth_redact_secret (out, secrets->values[i]);

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The bodies are written into a GString that is big enough from the start:
 * a realloc on the way would leave an unwiped copy of the secret behind. */
GString *
_tg_auth_secret_string_new (gsize capacity)
{
  return g_string_sized_new (capacity + 1);
}

static char *
secret_string_free_to_str (GString *out,
                           gsize    capacity)
{
  g_assert (out->len <= capacity);
  return g_string_free (out, FALSE);
}

/* By hand rather than with a printf: that would format each escaped byte of
 * the secret in a temporary buffer of its own, freed unwiped. */
static void
append_hex_byte (GString *out,
                 guchar   byte)
{
  static const char digits[] = "0123456789ABCDEF";

  g_string_append_c (out, digits[byte >> 4]);
  g_string_append_c (out, digits[byte & 0x0f]);
}

/* application/x-www-form-urlencoded, byte for byte as soup_form_encode() does
 * it: at most three bytes out for each byte in. */
void
_tg_auth_append_form_encoded (GString    *out,
                              const char *text)
{
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if (*p == ' ')
        g_string_append_c (out, '+');
      else if (g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.')
        g_string_append_c (out, (char) *p);
      else
        {
          g_string_append_c (out, '%');
          append_hex_byte (out, *p);
        }
    }
}

/* A JSON string literal (RFC 8259 §7): at most six bytes out for each byte
 * in. JSON carries only Unicode: a byte that is not part of valid UTF-8 (a
 * password typed in a terminal with another encoding, say) goes out as
 * U+FFFD, and the server rejects it like any other wrong password — which is
 * better than refusing to build the message at all. */
static void
append_json_string (GString    *out,
                    const char *text)
{
  const char *p = text;

  g_string_append_c (out, '"');
  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char_validated (p, -1);
      const char *next;

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append (out, "\\ufffd");
          p++;
          continue;
        }

      next = g_utf8_next_char (p);
      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else if (c < 0x20)
        {
          g_string_append (out, "\\u00");
          append_hex_byte (out, (guchar) c);
        }
      else
        {
          g_string_append_len (out, p, next - p);
        }
      p = next;
    }
  g_string_append_c (out, '"');
}

/* How one body syntax writes a list of fields, and how much it may grow:
 * each byte in at most @growth bytes out, each field at most @per_field more
 * (its separator, the name/value separator, quotes). */
typedef struct {
  void        (*append)   (GString    *out,
                           const char *text);
  guint         growth;
  guint         per_field;
  const char   *open;
  const char   *close;
  char          separator;
  char          assign;
} BodySyntax;

static const BodySyntax form_syntax = { _tg_auth_append_form_encoded, 3, 2, "", "", '&', '=' };
static const BodySyntax json_syntax = { append_json_string, 6, 6, "{", "}", ',', ':' };

static char *
encode_fields (const BodySyntax  *syntax,
               const TgAuthField *fields,
               gsize              n_fields)
{
  gsize capacity = strlen (syntax->open) + strlen (syntax->close);
  gboolean first = TRUE;
  GString *out;

  for (gsize i = 0; i < n_fields; i++)
    if (fields[i].value != NULL)
      capacity += syntax->growth * (strlen (fields[i].name) + strlen (fields[i].value)) + syntax->per_field;

  out = _tg_auth_secret_string_new (capacity);
  g_string_append (out, syntax->open);
  for (gsize i = 0; i < n_fields; i++)
    {
      if (fields[i].value == NULL)
        continue;
      if (!first)
        g_string_append_c (out, syntax->separator);
      first = FALSE;
      syntax->append (out, fields[i].name);
      g_string_append_c (out, syntax->assign);
      syntax->append (out, fields[i].value);
    }
  g_string_append (out, syntax->close);

  return secret_string_free_to_str (out, capacity);
}

/* An application/x-www-form-urlencoded body; a field with a %NULL value is
 * left out. Wipe the result (or hand it to _tg_auth_secret_bytes_new_take()). */
char *
_tg_auth_encode_form (const TgAuthField *fields,
                      gsize              n_fields)
{
  return encode_fields (&form_syntax, fields, n_fields);
}

/* A JSON object of string members; a field with a %NULL value is left out. */
char *
_tg_auth_encode_json_object (const TgAuthField *fields,
                             gsize              n_fields)
{
  return encode_fields (&json_syntax, fields, n_fields);
}
