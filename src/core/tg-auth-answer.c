/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How the token endpoint's answers read, for both wire formats: a 2xx answer
 * as a token pair (its expiry from `expires_in`, a JWT's `exp` and the `Date`
 * header's clock skew), anything else as an error of the right kind. The
 * classification is where the rule that matters is kept: only a refresh
 * answered `invalid_grant` (400 or 401) ends the session; every other failure
 * keeps it. Whatever the server wrote is shown only sanitised and with every
 * secret redacted (tg-auth-secrets.c).
 */
#define G_LOG_DOMAIN "tg-auth-protocol"

#include "config.h"

#include <glib/gi18n-lib.h>

#include <json-glib/json-glib.h>
#include <string.h>

#include "tg-auth-answer-private.h"
#include "tg-auth-error.h"
#include "tg-errors-private.h"
#include "tg-base64url.h"
#include "tg-json-check.h"

/* An error_description may end up in front of a person: one line, not a page. */
#define MAX_DESCRIPTION_CHARS 200
#define MAX_ERROR_CODE_CHARS  64

/* Anything longer is nonsense, and would overflow the microsecond arithmetic. */
#define MAX_LIFETIME_SECONDS ((gint64) 100 * 365 * 24 * 3600)
/* 9999-12-31T23:59:59Z: the last second GDateTime (and any sane server) knows. */
#define MAX_UNIX_SECONDS     G_GINT64_CONSTANT (253402300799)

/* An answer from a token endpoint is a few hundred bytes; a JWT in it a few
 * kB. Larger is not an answer we can use, and parsing it costs memory. */
#define MAX_ANSWER_BYTES     (1024 * 1024)
/* json-glib 1.6 parses recursively, one stack frame per level: a 200 kB
 * answer of '[' crashes the process. Token answers and JWT claims are a few
 * levels deep. */
#define MAX_JSON_DEPTH       32
/* The Authorization header carries the access token: servers refuse header
 * lines much over 8 kB (nginx, Apache), so a longer token would fail every
 * request with an unexplained 431 or 400. Refresh tokens get the same limit. */
#define MAX_TOKEN_BYTES      (16 * 1024)

/* Server text made fit to show: secrets out, then sanitised. Redaction runs
 * on the text as it came and again on the sanitised text (with the
 * sanitised secrets), so that characters _tg_sanitize_text() drops or folds — a
 * zero-width space, a control character, a run of spaces — cannot hide an
 * echo from the first pass and reveal it in the second. */
static char *
redact_for_display (const char          *text,
                    const TgAuthSecrets *secrets,
                    guint                max_chars)
{
  g_autofree char *redacted = _tg_auth_redact (text, secrets);
  g_autofree char *clean = NULL;
  g_autoptr(GString) out = NULL;

  if (redacted == NULL)
    return NULL;
  clean = _tg_sanitize_text (redacted, G_MAXUINT);
  if (clean == NULL)
    return NULL;

  out = g_string_new (clean);
  for (guint i = 0; i < secrets->n_values; i++)
    {
      char *clean_secret = _tg_sanitize_text (secrets->values[i], G_MAXUINT);

      _tg_auth_redact_secret (out, secrets->values[i]);
      if (clean_secret != NULL)
        _tg_auth_redact_secret (out, clean_secret);
      _tg_auth_wipe_string (clean_secret);
    }

  return _tg_sanitize_text (out->str, max_chars);
}

/* The JSON object in @data, or %NULL for anything else — including what is
 * too big or too deeply nested to parse safely. */
static JsonObject *
parse_json_object_data (const char *data,
                        gsize       size)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;

  if (data == NULL || size == 0 || size > MAX_ANSWER_BYTES)
    return NULL;

  /* What json-glib 1.6 cannot be trusted with (tg-json-check.c): nesting
   * deeper than its stack can take, an escaped NUL in a string ("\u0000",
   * RFC 8259 §7), which would end the C string early — "ab\u0000cd" would be
   * read as the token "ab" — several values in a row, which it leaks, and
   * single-quoted strings or comments that would hide the rest from a
   * simpler scan. */
  if (!tg_json_check_text (data, size, MAX_JSON_DEPTH, TG_JSON_CHECK_REFUSE_NUL, NULL))
    return NULL;

  /* The parser's message is not passed on: it may quote the input. */
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) size, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_object_ref (json_node_get_object (root));
}

static JsonObject *
parse_json_object (GBytes *body)
{
  const char *data;
  gsize size = 0;

  if (body == NULL)
    return NULL;
  data = g_bytes_get_data (body, &size);
  return parse_json_object_data (data, size);
}

/* A member that, when present (and not null), must be a string. */
static gboolean
get_optional_string (JsonObject  *object,
                     const char  *name,
                     const char **out_value)
{
  JsonNode *node = json_object_get_member (object, name);

  *out_value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return FALSE;

  *out_value = json_node_get_string (node);
  return TRUE;
}

/* RFC 6749 §A.12/§A.17: a token is 1*VSCHAR. A CR or LF in one would end up
 * in an Authorization header; anything outside printable ASCII is not a token. */
static gboolean
is_token_text (const char *text)
{
  if (*text == '\0')
    return FALSE;
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    if (*p < 0x20 || *p > 0x7e)
      return FALSE;
  return TRUE;
}

/* A decimal number as a string, as sloppy servers send expires_in: digits,
 * optionally a fraction. No sign, exponent, hex, "inf" or "nan" (all of which
 * g_ascii_strtod() would take). */
static gboolean
parse_decimal_string (const char *text,
                      double     *out_value)
{
  const char *p = text;

  if (!g_ascii_isdigit (*p))
    return FALSE;
  while (g_ascii_isdigit (*p))
    p++;
  if (*p == '.')
    {
      p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (*p != '\0')
    return FALSE;

  *out_value = g_ascii_strtod (text, NULL);
  return TRUE;
}

/* A lifetime in seconds (RFC 6749 §5.1: "the lifetime in seconds of the
 * access token"). RFC 8259 numbers have no integer type, and servers in the
 * wild send 3600.0 or "3600" or "3600.0": all are taken, a fraction rounded
 * down (refreshing a fraction of a second early costs nothing). A negative, a
 * non-number or more than a century is a broken answer and is refused
 * (returns FALSE), as is any other type. *out_seconds is 0 when there is no
 * value; 0 itself is taken as "unknown" too: some servers mean "does not
 * expire" by it, and believing it would refresh before every request — the
 * 401 fallback still catches a token that does expire. */
static gboolean
get_lifetime (JsonObject *object,
              const char *name,
              gint64     *out_seconds)
{
  JsonNode *node = json_object_get_member (object, name);
  double value;
  GType type;

  *out_seconds = 0;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    {
      gint64 seconds = json_node_get_int (node);

      if (seconds < 0 || seconds > MAX_LIFETIME_SECONDS)
        return FALSE;
      *out_seconds = seconds;
      return TRUE;
    }

  if (type == G_TYPE_DOUBLE)
    value = json_node_get_double (node);
  else if (type == G_TYPE_STRING)
    {
      if (!parse_decimal_string (json_node_get_string (node), &value))
        return FALSE;
    }
  else
    return FALSE;

  /* NaN fails both comparisons. */
  if (!(value >= 0 && value <= (double) MAX_LIFETIME_SECONDS))
    return FALSE;
  *out_seconds = (gint64) value;
  return TRUE;
}

static gboolean
is_base64url (const char *text,
              gsize       len)
{
  g_autofree guint8 *decoded = NULL;
  gsize decoded_len;

  decoded = tg_base64url_decode (text, (gssize) len, &decoded_len);
  return decoded != NULL;
}

/* The `exp` claim of a JWT (RFC 7519 §4.1.4), in the server's Unix seconds.
 * The signature is not verified and cannot be: the key is the server's. The
 * claim is only a hint for refreshing early; the server still decides. */
static gboolean
read_jwt_exp (const char *token,
              gint64     *out_exp)
{
  g_autoptr(JsonObject) claims = NULL;
  g_autofree guint8 *payload = NULL;
  const char *first_dot = strchr (token, '.');
  const char *second_dot;
  gsize payload_len;
  JsonNode *exp;
  gint64 seconds;

  if (first_dot == NULL || first_dot == token)
    return FALSE;
  second_dot = strchr (first_dot + 1, '.');
  if (second_dot == NULL || strchr (second_dot + 1, '.') != NULL)
    return FALSE;
  if (!is_base64url (token, (gsize) (first_dot - token)) ||
      !is_base64url (second_dot + 1, strlen (second_dot + 1)))
    return FALSE;

  payload = tg_base64url_decode (first_dot + 1, second_dot - first_dot - 1, &payload_len);
  if (payload == NULL || payload_len == 0)
    return FALSE;

  claims = parse_json_object_data ((const char *) payload, payload_len);
  if (claims == NULL)
    return FALSE;

  exp = json_object_get_member (claims, "exp");
  if (exp == NULL || !JSON_NODE_HOLDS_VALUE (exp))
    return FALSE;
  if (json_node_get_value_type (exp) == G_TYPE_INT64)
    seconds = json_node_get_int (exp);
  else if (json_node_get_value_type (exp) == G_TYPE_DOUBLE &&
           json_node_get_double (exp) > 0 && json_node_get_double (exp) < (double) MAX_UNIX_SECONDS)
    seconds = (gint64) json_node_get_double (exp);  /* RFC 7519 §2 allows fractions */
  else
    return FALSE;
  if (seconds <= 0 || seconds > MAX_UNIX_SECONDS)
    return FALSE;

  *out_exp = seconds;
  return TRUE;
}

/* How far the server's clock is ahead of ours, in µs, from the answer's Date
 * header (RFC 9110 §6.6.1): a JWT's exp is in the server's time, and a desktop
 * clock can be minutes off. Without a readable Date, assume none. */
#define MAX_CLOCK_SKEW (G_GINT64_CONSTANT (24) * G_TIME_SPAN_HOUR)

static gint64
measure_clock_skew (SoupMessageHeaders *headers,
                    gint64              now)
{
  const char *date = soup_message_headers_get_one (headers, "Date");
  g_autoptr(GDateTime) server_time = NULL;
  gint64 skew;

  if (date == NULL)
    return 0;

  server_time = soup_date_time_new_from_http_string (date);
  if (server_time == NULL)
    return 0;

  /* A desktop clock can be hours off (a wrong time zone), not years: a Date
   * in the year 401 or 9999 is the server's mistake, and believing it would
   * make every token look expired (a refresh before every request) or never
   * due (no proactive refresh at all). Such a Date says nothing. */
  skew = g_date_time_to_unix (server_time) * G_USEC_PER_SEC - now;
  if (ABS (skew) > MAX_CLOCK_SKEW)
    return 0;

  return skew;
}

/* When the access token expires in local real time: the earlier of what
 * expires_in says and what the JWT's exp says (corrected for the clock skew),
 * 0 if neither says anything. */
static gint64
compute_expires_at (SoupMessageHeaders *headers,
                    gint64              now,
                    const char         *access_token,
                    gint64              expires_in)
{
  gint64 expires_at = 0;
  gint64 exp;

  if (expires_in > 0)
    expires_at = now + expires_in * G_USEC_PER_SEC;

  if (read_jwt_exp (access_token, &exp))
    {
      /* Long expired is still "known": 1 µs after the epoch, not 0. */
      gint64 local = MAX (exp * G_USEC_PER_SEC - measure_clock_skew (headers, now), 1);

      expires_at = expires_at == 0 ? local : MIN (expires_at, local);
    }

  return expires_at;
}

/* The two variants of a message, one whole sentence each for translators. */
#define FOR_OPERATION(operation, sign_in_text, refresh_text) \
  ((operation) != TG_AUTH_OPERATION_REFRESH ? (sign_in_text) : (refresh_text))

/* A 2xx answer we cannot use: %TG_AUTH_ERROR_PROTOCOL. Returns %NULL, for
 * the caller to return. */
static gpointer unusable_answer (GError     **error,
                                 const char  *format,
                                 ...) G_GNUC_PRINTF (2, 3);

static gpointer
unusable_answer (GError     **error,
                 const char  *format,
                 ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL, format, args));
  va_end (args);
  return NULL;
}

/* A token from the answer: present, printable ASCII, short enough for a
 * header. Sets @error (naming the member) otherwise. */
static gboolean
check_token (TgAuthOperation   operation,
             const char       *name,
             const char       *token,
             GError          **error)
{
  if (!is_token_text (token))
    unusable_answer (error, FOR_OPERATION (operation,
                                           /* Translators: %s is the JSON member that holds the token, such as “access_token”. */
                                           _("The “%s” in the server’s answer to the sign-in has characters a token cannot have"),
                                           /* Translators: %s is the JSON member that holds the token, such as “access_token”. */
                                           _("The “%s” in the server’s answer to the token refresh has characters a token cannot have")),
                     name);
  else if (strlen (token) > MAX_TOKEN_BYTES)
    unusable_answer (error, FOR_OPERATION (operation,
                                           /* Translators: %s is the JSON member of the long token, such as “access_token”. */
                                           _("The “%s” in the server’s answer to the sign-in is too long to be sent in a request"),
                                           /* Translators: %s is the JSON member of the long token, such as “access_token”. */
                                           _("The “%s” in the server’s answer to the token refresh is too long to be sent in a request")),
                     name);
  else
    return TRUE;

  return FALSE;
}

/* The RFC 6749 §5.2 `error` and `error_description` of an error answer, if its
 * body is a JSON object that has them — it may as well be empty or a proxy's
 * HTML page. The code comes back as the server wrote it (to classify the
 * answer by) and made fit to show; the description only made fit to show.
 * Both are redacted of @secrets and of any token the answer itself carries. */
static void
read_error_body (GBytes         *body,
                 TgAuthSecrets  *secrets,
                 char          **out_code,
                 char          **out_shown_code,
                 char          **out_description)
{
  g_autoptr(JsonObject) object = parse_json_object (body);
  const char *code = NULL;
  const char *description = NULL;
  const char *token = NULL;

  *out_code = NULL;
  *out_shown_code = NULL;
  *out_description = NULL;
  if (object == NULL)
    return;

  if (get_optional_string (object, "access_token", &token))
    _tg_auth_secrets_add (secrets, token);
  if (get_optional_string (object, "refresh_token", &token))
    _tg_auth_secrets_add (secrets, token);

  if (get_optional_string (object, "error", &code) && code != NULL)
    {
      *out_code = g_strdup (code);
      *out_shown_code = redact_for_display (code, secrets, MAX_ERROR_CODE_CHARS);
    }
  if (get_optional_string (object, "error_description", &description) && description != NULL)
    *out_description = redact_for_display (description, secrets, MAX_DESCRIPTION_CHARS);
}

/* The reason phrases that matter for a token endpoint, translated. libsoup's
 * soup_status_get_phrase() is English only, so it is not used: any other
 * status is shown by its number alone. */
static const char *
status_phrase (guint status)
{
  switch (status)
    {
    case 400: return _("Bad Request");
    case 401: return _("Unauthorized");
    case 403: return _("Forbidden");
    case 404: return _("Not Found");
    case 408: return _("Request Timeout");
    case 429: return _("Too Many Requests");
    case 500: return _("Internal Server Error");
    case 502: return _("Bad Gateway");
    case 503: return _("Service Unavailable");
    case 504: return _("Gateway Timeout");
    default: return NULL;
    }
}

/* "HTTP 400 Bad Request: invalid_grant: unknown refresh token" — the status,
 * then the server's own words, which are data and stay as they are. */
static char *
describe_answer (guint       status,
                 const char *code,
                 const char *description)
{
  GString *out = g_string_new (NULL);
  const char *phrase = status_phrase (status);

  g_string_append_printf (out, "HTTP %u", status);
  if (phrase != NULL)
    g_string_append_printf (out, " %s", phrase);
  if (code != NULL)
    g_string_append_printf (out, ": %s", code);
  if (description != NULL)
    g_string_append_printf (out, ": %s", description);

  return g_string_free (out, FALSE);
}

static void
set_http_error (TgAuthOperation   operation,
                guint             status,
                GBytes           *body,
                TgAuthSecrets    *secrets,
                GError          **error)
{
  g_autofree char *code = NULL;
  g_autofree char *shown_code = NULL;
  g_autofree char *description = NULL;
  g_autofree char *answer = NULL;
  gboolean invalid_grant;
  gboolean invalid_client;

  read_error_body (body, secrets, &code, &shown_code, &description);
  answer = describe_answer (status, shown_code, description);
  invalid_grant = g_strcmp0 (code, "invalid_grant") == 0;
  /* RFC 6749 §5.2: the client ID or secret was refused (401 when the client
   * authenticated with HTTP Basic, 400 otherwise). */
  invalid_client = g_strcmp0 (code, "invalid_client") == 0;

  if (operation == TG_AUTH_OPERATION_EXCHANGE_CODE && invalid_grant)
    {
      /* RFC 6749 §5.2: the code is used up, expired, or not bound to this
       * client, redirect URI or PKCE verifier. No password was involved. */
      g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_AUTHORIZATION_FAILED,
                   _("The provider did not accept the sign-in code (%s)"), answer);
    }
  else if (operation != TG_AUTH_OPERATION_REFRESH)
    {
      /* RFC 6749 §5.2 says 400 invalid_grant; the seed API says 401, and many
       * servers answer a bare 401 or 403 to a wrong password. A 400 without
       * invalid_grant is a malformed request — our fault or the server's, not
       * the person's — and must not send them back to retype the password. */
      if (invalid_client)
        g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SERVER,
                     _("The sign-in failed: the client credentials were refused (%s)"), answer);
      else if ((invalid_grant && (status == SOUP_STATUS_BAD_REQUEST ||
                                  status == SOUP_STATUS_UNAUTHORIZED ||
                                  status == SOUP_STATUS_FORBIDDEN)) ||
               (code == NULL && (status == SOUP_STATUS_UNAUTHORIZED ||
                                 status == SOUP_STATUS_FORBIDDEN)))
        g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_BAD_CREDENTIALS,
                     _("The user name or password is wrong (%s)"), answer);
      else
        g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SERVER,
                     _("The sign-in failed: the server answered %s"), answer);
    }
  else
    {
      /* Only a refresh token the server says is dead ends the session
       * (DESIGN rule 6): invalid_grant, with 400 (RFC 6749 §5.2) or 401 (the
       * seed API). The posts log the user out on any failure, even a 503
       * during a deploy. A bare 401 says nothing about the refresh token: it
       * is what an authenticating proxy answers, and RFC 6749 §5.2 uses 401
       * for invalid_client — a rotated client secret is fixed by configuration,
       * not by deleting the person's session. A 403, even with invalid_grant,
       * is more likely a WAF than a verdict on the session. */
      if (invalid_grant && (status == SOUP_STATUS_BAD_REQUEST ||
                            status == SOUP_STATUS_UNAUTHORIZED))
        g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED,
                     _("The server ended the session (%s)"), answer);
      else if (invalid_client)
        g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED,
                     _("The token refresh failed: the client credentials were refused (%s)"), answer);
      else
        g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED,
                     _("The token refresh failed: the server answered %s"), answer);
    }
}

/*
 * _tg_auth_answer_parse:
 * @kind: the wire format
 * @operation: which request the answer is for
 * @reply: the answer
 * @previous_refresh_token: (nullable): the refresh token in use
 * @secrets: what must not reach an error message; the answer's own tokens
 *   are added to it
 * @now: the local real time the answer arrived, in µs
 * @error: return location for a #GError
 *
 * What tg_auth_protocol_parse_reply() documents, once the protocol has
 * gathered its secrets.
 *
 * Returns: (transfer full) (nullable): the new tokens, or %NULL on error
 */
TgTokens *
_tg_auth_answer_parse (TgAuthProtocolKind   kind,
                       TgAuthOperation      operation,
                       const TgHttpReply   *reply,
                       const char          *previous_refresh_token,
                       TgAuthSecrets       *secrets,
                       gint64               now,
                       GError             **error)
{
  gboolean seed = kind == TG_AUTH_PROTOCOL_SEED;
  const char *access_name = seed ? "authorizationToken" : "access_token";
  const char *refresh_name = seed ? "refreshToken" : "refresh_token";
  const char *expires_name = seed ? "expiresIn" : "expires_in";
  g_autoptr(JsonObject) object = NULL;
  const char *access_token = NULL;
  const char *refresh_token = NULL;
  gint64 expires_in = 0;

  if (!SOUP_STATUS_IS_SUCCESSFUL (reply->status))
    {
      set_http_error (operation, reply->status, reply->body, secrets, error);
      return NULL;
    }

  object = parse_json_object (reply->body);
  if (object == NULL)
    return unusable_answer (error, "%s", FOR_OPERATION (operation,
                                                                _("The server’s answer to the sign-in is not a JSON object"),
                                                                _("The server’s answer to the token refresh is not a JSON object")));

  if (!get_optional_string (object, access_name, &access_token) ||
      access_token == NULL || *access_token == '\0')
    return unusable_answer (error, FOR_OPERATION (operation,
                                                          /* Translators: %s is a JSON member, such as “access_token”. */
                                                          _("The server’s answer to the sign-in has no “%s”"),
                                                          /* Translators: %s is a JSON member, such as “access_token”. */
                                                          _("The server’s answer to the token refresh has no “%s”")),
                                    access_name);
  if (!check_token (operation, access_name, access_token, error))
    return NULL;
  _tg_auth_secrets_add (secrets, access_token);

  if (!get_optional_string (object, refresh_name, &refresh_token) ||
      (refresh_token != NULL && *refresh_token != '\0' && !is_token_text (refresh_token)))
    return unusable_answer (error, FOR_OPERATION (operation,
                                                          /* Translators: %s is a JSON member, such as “refresh_token”. */
                                                          _("The “%s” in the server’s answer to the sign-in is not a valid token"),
                                                          /* Translators: %s is a JSON member, such as “refresh_token”. */
                                                          _("The “%s” in the server’s answer to the token refresh is not a valid token")),
                                    refresh_name);
  if (refresh_token != NULL && *refresh_token != '\0')
    {
      if (!check_token (operation, refresh_name, refresh_token, error))
        return NULL;
      _tg_auth_secrets_add (secrets, refresh_token);
    }
  else
    {
      /* RFC 6749 §6: a server that does not rotate leaves refresh_token out,
       * and the client keeps using the one it has. */
      refresh_token = previous_refresh_token;
    }

  if (!seed)
    {
      const char *token_type = NULL;

      /* RFC 6749 §5.1 makes token_type REQUIRED, yet some servers leave it
       * out (or send null). Refusing their answer would make them unusable
       * for nothing: a token endpoint that was sent no proof of possession
       * (no DPoP header, RFC 9449 §5) can only have issued a Bearer token,
       * and MAC tokens never became a standard. So a missing type is taken
       * as Bearer; a type that is there must say Bearer. */
      if (!get_optional_string (object, "token_type", &token_type))
        return unusable_answer (error, "%s", FOR_OPERATION (operation,
                                                                    _("The “token_type” in the server’s answer to the sign-in is not a string"),
                                                                    _("The “token_type” in the server’s answer to the token refresh is not a string")));
      /* RFC 6749 §5.1: the type is case-insensitive. We can only send Bearer
       * tokens (RFC 6750); a MAC or DPoP token would be rejected on first use. */
      if (token_type != NULL && g_ascii_strcasecmp (token_type, "Bearer") != 0)
        {
          g_autofree char *shown = redact_for_display (token_type, secrets, MAX_ERROR_CODE_CHARS);

          return unusable_answer (error, _("The server issued a token of type “%s”; only Bearer tokens are supported"),
                                          shown != NULL ? shown : "");
        }
    }

  if (!get_lifetime (object, expires_name, &expires_in))
    return unusable_answer (error, FOR_OPERATION (operation,
                                                          /* Translators: %s is a JSON member, such as “expires_in”. */
                                                          _("The “%s” in the server’s answer to the sign-in is not a usable number of seconds"),
                                                          /* Translators: %s is a JSON member, such as “expires_in”. */
                                                          _("The “%s” in the server’s answer to the token refresh is not a usable number of seconds")),
                                    expires_name);

  return tg_tokens_new (access_token, refresh_token,
                                compute_expires_at (reply->headers, now, access_token, expires_in));
}

/* See tg_auth_protocol_read_refresh_token(). */
char *
_tg_auth_answer_read_refresh_token (TgAuthProtocolKind  kind,
                                    const TgHttpReply  *reply)
{
  g_autoptr(JsonObject) object = NULL;
  const char *refresh_token = NULL;

  if (!SOUP_STATUS_IS_SUCCESSFUL (reply->status))
    return NULL;
  object = parse_json_object (reply->body);
  if (object == NULL ||
      !get_optional_string (object, kind == TG_AUTH_PROTOCOL_SEED ? "refreshToken" : "refresh_token",
                            &refresh_token) ||
      refresh_token == NULL || !is_token_text (refresh_token) ||
      strlen (refresh_token) > MAX_TOKEN_BYTES)
    return NULL;

  return g_strdup (refresh_token);
}
