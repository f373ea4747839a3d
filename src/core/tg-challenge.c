/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A parser for the challenge lists of WWW-Authenticate (RFC 9110 §11.6.1):
 *
 *   WWW-Authenticate = #challenge
 *   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param       = token BWS "=" BWS ( token / quoted-string )
 *   token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 *
 * The grammar is ambiguous on its face: the comma separates both challenges and
 * one challenge's auth-params. What decides is that an auth-param is a token
 * followed by "=" and a value, and a challenge starts with a token that is not.
 *
 * The input comes from any server, so: one pass with a bounded look-ahead (so
 * linear time), a cap on the size (so bounded memory), and anything outside
 * the grammar makes the whole field unparseable rather than half-read.
 */
#define G_LOG_DOMAIN "tg-challenge"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "tg-challenge-private.h"

/* Far above any real field (libsoup itself refuses header blocks much larger
 * than this), low enough that a hostile one costs little. */
#define MAX_FIELD_LENGTH (64 * 1024)

/* RFC 9110 §5.6.2 */
static gboolean
is_tchar (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 9110 §11.2 */
static gboolean
is_token68_char (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("-._~+/", c) != NULL);
}

/* RFC 9110 §5.6.3: OWS and BWS are both *( SP / HTAB ). */
static void
skip_ows (const char **p)
{
  while (**p == ' ' || **p == '\t')
    (*p)++;
}

/* RFC 9110 §5.6.4: qdtext, and what may follow a backslash. */
static gboolean
is_qdtext (guchar c)
{
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
         (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

static gboolean
is_quoted_pair_char (guchar c)
{
  return c == '\t' || (c >= 0x20 && c <= 0x7e) || c >= 0x80;
}

static gsize
token_length (const char *p)
{
  gsize n = 0;

  while (is_tchar (p[n]))
    n++;
  return n;
}

/* Reads a quoted-string at *p (on its opening quote), unescaped. */
static char *
read_quoted_string (const char **p)
{
  g_autoptr(GString) value = g_string_new (NULL);
  const char *q = *p + 1;

  g_assert (**p == '"');

  for (;;)
    {
      guchar c = (guchar) *q;

      if (c == '"')
        break;
      if (c == '\\')
        {
          /* '\0' fails is_quoted_pair_char(), so this never reads past the end. */
          if (!is_quoted_pair_char ((guchar) q[1]))
            return NULL;
          g_string_append_c (value, q[1]);
          q += 2;
        }
      else if (is_qdtext (c))
        {
          g_string_append_c (value, (char) c);
          q++;
        }
      else
        {
          return NULL;  /* the end, or a control character */
        }
    }

  *p = q + 1;
  return g_string_free (g_steal_pointer (&value), FALSE);
}

/* Is there an auth-param at @p, that is, a token, BWS and "=" not followed by
 * BWS and the end, a comma or another "=" (which would make it a token68)? */
static gboolean
looks_like_auth_param (const char *p)
{
  gsize n = token_length (p);

  if (n == 0)
    return FALSE;
  p += n;
  skip_ows (&p);
  if (*p != '=')
    return FALSE;
  p++;
  skip_ows (&p);
  return *p == '"' || is_tchar (*p);
}

/* Reads one auth-param at *p into @params; FALSE if it is malformed or its
 * name was already given (RFC 9110 §11.2: "MUST only occur once"). @seen
 * holds the names so far, folded to lower case: a set rather than a walk over
 * @params, so that a field of thousands of parameters stays linear work. */
static gboolean
read_auth_param (const char **p,
                 GPtrArray   *params,
                 GHashTable  *seen)
{
  gsize n = token_length (*p);
  g_autofree char *name = g_strndup (*p, n);
  g_autofree char *value = NULL;

  if (!g_hash_table_add (seen, g_ascii_strdown (name, -1)))
    return FALSE;

  *p += n;
  skip_ows (p);
  g_assert (**p == '=');
  (*p)++;
  skip_ows (p);

  if (**p == '"')
    {
      value = read_quoted_string (p);
      if (value == NULL)
        return FALSE;
    }
  else
    {
      n = token_length (*p);
      g_assert (n > 0);  /* looks_like_auth_param() saw one */
      value = g_strndup (*p, n);
      *p += n;
    }

  g_ptr_array_add (params, g_steal_pointer (&name));
  g_ptr_array_add (params, g_steal_pointer (&value));
  return TRUE;
}

/* After a list element: OWS, then the end or a comma (not consumed). */
static gboolean
at_element_end (const char **p)
{
  skip_ows (p);
  return **p == '\0' || **p == ',';
}

/* Reads one challenge at *p (on its scheme); leaves *p at the end or at the
 * comma that ends its last element. */
static TgChallenge *
read_challenge (const char **p)
{
  g_autoptr(TgChallenge) challenge = g_new0 (TgChallenge, 1);
  g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gsize n = token_length (*p);

  if (n == 0)
    return NULL;
  challenge->scheme = g_strndup (*p, n);
  *p += n;

  if (**p == ' ' || **p == '\t')
    {
      skip_ows (p);

      if (**p != '\0' && **p != ',' && !looks_like_auth_param (*p))
        {
          const char *start = *p;

          while (is_token68_char (**p))
            (*p)++;
          if (*p == start)
            return NULL;
          while (**p == '=')
            (*p)++;
          challenge->token68 = g_strndup (start, (gsize) (*p - start));
          if (!at_element_end (p))
            return NULL;
        }
    }
  else if (**p != '\0' && **p != ',')
    {
      return NULL;  /* e.g. Bearer"x": the scheme must end in SP, a comma or the end */
    }

  /* The auth-params: each one a list element; empty elements are skipped
   * (RFC 9110 §5.6.1). A token not followed by "=" starts the next challenge. */
  while (challenge->token68 == NULL)
    {
      const char *element = *p;

      while (*element == ',' || *element == ' ' || *element == '\t')
        element++;
      if (!looks_like_auth_param (element))
        break;
      *p = element;
      if (!read_auth_param (p, params, seen) || !at_element_end (p))
        return NULL;
    }

  g_ptr_array_add (params, NULL);
  challenge->params = (char **) g_ptr_array_free (g_steal_pointer (&params), FALSE);
  return g_steal_pointer (&challenge);
}

/**
 * tg_challenge_free:
 * @challenge: (nullable): a challenge from tg_challenge_parse_list()
 */
void
tg_challenge_free (TgChallenge *challenge)
{
  if (challenge == NULL)
    return;
  g_free (challenge->scheme);
  g_free (challenge->token68);
  g_strfreev (challenge->params);
  g_free (challenge);
}

/**
 * tg_challenge_get_param:
 * @challenge: a challenge
 * @name: an auth-param name, matched case-insensitively (RFC 9110 §11.2)
 *
 * Returns: (transfer none) (nullable): its unquoted value, or %NULL
 */
const char *
tg_challenge_get_param (const TgChallenge *challenge,
                        const char        *name)
{
  g_return_val_if_fail (challenge != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; challenge->params != NULL && challenge->params[i] != NULL; i += 2)
    if (g_ascii_strcasecmp (challenge->params[i], name) == 0)
      return challenge->params[i + 1];
  return NULL;
}

/**
 * tg_challenge_parse_list:
 * @header_value: a `WWW-Authenticate` field value; several fields joined with
 *   ", " (as soup_message_headers_get_list() does) are one list
 * @error: return location for a #GError (%G_IO_ERROR_INVALID_DATA)
 *
 * Parses a challenge list as RFC 9110 §11.6.1 defines it. Scheme and parameter
 * names keep their spelling; compare them case-insensitively. A field that
 * does not follow the grammar anywhere is refused as a whole: a challenge read
 * from half-understood text could say the opposite of what the server meant.
 *
 * Returns: (transfer full) (element-type TgChallenge) (nullable): the
 *   challenges in order (possibly none), or %NULL with @error set
 */
GPtrArray *
tg_challenge_parse_list (const char  *header_value,
                         GError     **error)
{
  g_autoptr(GPtrArray) list = NULL;
  const char *p = header_value;

  g_return_val_if_fail (header_value != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (strnlen (header_value, MAX_FIELD_LENGTH + 1) > MAX_FIELD_LENGTH)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the authentication challenge is too long");
      return NULL;
    }

  list = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_challenge_free);
  for (;;)
    {
      TgChallenge *challenge;

      while (*p == ',' || *p == ' ' || *p == '\t')
        p++;
      if (*p == '\0')
        break;

      challenge = read_challenge (&p);
      if (challenge == NULL)
        {
          /* The offset only: the text is the server's and may be anything. */
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "malformed authentication challenge at byte %" G_GSIZE_FORMAT,
                       (gsize) (p - header_value));
          return NULL;
        }
      g_ptr_array_add (list, challenge);
    }

  return g_steal_pointer (&list);
}

/**
 * tg_challenge_bearer_refresh_can_help:
 * @header_value: (nullable): the 401 answer's `WWW-Authenticate` (all of its
 *   fields joined), or %NULL if it had none
 *
 * Whether a new access token could turn this 401 into a success (RFC 6750
 * §3.1): yes when there is no challenge at all (a server that predates RFC
 * 6750 §3), or a Bearer challenge with no `error` or `error="invalid_token"`;
 * no when a Bearer challenge names another error (`insufficient_scope`: the
 * token is fine, it just may not do this) or when only other schemes are
 * offered (the resource does not take bearer tokens).
 *
 * Returns: %TRUE if a refresh is worth a try
 */
gboolean
tg_challenge_bearer_refresh_can_help (const char *header_value)
{
  g_autoptr(GPtrArray) list = NULL;
  gboolean bearer = FALSE;

  if (header_value == NULL)
    return TRUE;

  /* A field we cannot read tells us no more than a missing one, so it gets
   * the same answer: TRUE, as for a 401 without a challenge. That costs at
   * most one refresh, which the token manager shares between every request
   * of the same token generation. The other answer would strand the session
   * on a server (or a proxy in front of it) that writes challenges sloppily:
   * every request would fail with 401 until the token expired by the clock. */
  list = tg_challenge_parse_list (header_value, NULL);
  if (list == NULL)
    return TRUE;

  for (guint i = 0; i < list->len; i++)
    {
      const TgChallenge *challenge = g_ptr_array_index (list, i);
      const char *error;

      if (g_ascii_strcasecmp (challenge->scheme, "Bearer") != 0)
        continue;
      bearer = TRUE;

      /* Any Bearer challenge that blames something other than the token says
       * the token itself is fine, whatever the others say. Error codes are
       * compared case-insensitively, as before this parser. */
      error = tg_challenge_get_param (challenge, "error");
      if (error != NULL && g_ascii_strcasecmp (error, "invalid_token") != 0)
        return FALSE;
    }

  return bearer;
}
