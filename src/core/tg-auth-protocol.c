/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How a sign-in and a refresh look on the wire, and how their answers read:
 * the seed posts' JSON API and OAuth 2.0 (RFC 6749 password and refresh_token
 * grants, RFC 7009 revocation). No I/O happens here: the token manager sends
 * the messages, this file only builds them and judges what came back — which
 * is where the decisions that matter live (only a dead refresh token signs the
 * user out; nothing secret reaches an error message or a log).
 */
#define G_LOG_DOMAIN "tg-auth-protocol"

#include "config.h"

#include <glib/gi18n-lib.h>

#include <json-glib/json-glib.h>
#include <string.h>

#include "tg-auth-error.h"
#include "tg-auth-protocol-private.h"
#include "tg-base64url.h"
#include "tg-enums.h"
#include "tg-json-check.h"

#define CONTENT_TYPE_JSON "application/json"
#define CONTENT_TYPE_FORM "application/x-www-form-urlencoded"

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
/* An error text longer than this is not shown at all (we show 200
 * characters), which also bounds the work of redacting it. */
#define MAX_ERROR_TEXT_BYTES (16 * 1024)

#define REDACTED             "[redacted]"

struct _TgAuthProtocol
{
  GObject             parent_instance;

  TgAuthProtocolKind  kind;
  char               *token_uri;       /* owned */
  char               *refresh_uri;     /* owned */
  char               *revocation_uri;  /* owned, nullable */
  char               *client_id;       /* owned, nullable */
  char               *client_secret;   /* owned, nullable, wiped on finalize */
  char               *scope;           /* owned, nullable */
};

G_DEFINE_FINAL_TYPE (TgAuthProtocol, tg_auth_protocol, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KIND,
  PROP_TOKEN_URI,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A name/value pair of a request body; a %NULL value leaves the field out. */
typedef struct {
  const char *name;
  const char *value;
} Field;

/* ------------------------------------------------------------------------- */
/* Secrets in memory                                                         */

static void
wipe_string (char *text)
{
  if (text != NULL)
    explicit_bzero (text, strlen (text));
  g_free (text);
}

/* A request body holds a password or a refresh token: libsoup keeps the GBytes
 * for as long as the message may be re-sent, and the last unref wipes it. */
static GBytes *
secret_bytes_new_take (char *text)
{
  return g_bytes_new_with_free_func (text, strlen (text), (GDestroyNotify) wipe_string, text);
}

/* The secrets a request carried (the password of a sign-in, the refresh
 * token of a refresh or revocation), kept with the message until it is
 * freed, so that the answer can be read without repeating them. The body
 * holds them for as long anyway (see secret_bytes_new_take()). */
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

static void
remember_request_secret (SoupMessage *msg,
                         const char  *secret)
{
  char **secrets = g_new0 (char *, 2);

  secrets[0] = g_strdup (secret);
  g_object_set_qdata_full (G_OBJECT (msg), request_secrets_quark (), secrets,
                           (GDestroyNotify) wipe_strv);
}

/* ------------------------------------------------------------------------- */
/* Secrets out of messages                                                   */

/* Everything that must not reach an error message: what the request carried,
 * the client secret, and the tokens of the answer itself. Not owned. */
typedef struct {
  const char *values[8];
  guint       n_values;
} Secrets;

static void
secrets_add (Secrets    *secrets,
             const char *value)
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

static void
redact_secret (GString    *text,
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
          g_string_insert (text, (gssize) pos, REDACTED);
          pos += strlen (REDACTED);
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
static char *
redact (const char    *text,
        const Secrets *secrets)
{
  g_autoptr(GString) out = NULL;

  if (strlen (text) > MAX_ERROR_TEXT_BYTES)
    return NULL;

  out = g_string_new (text);
  for (guint i = 0; i < secrets->n_values; i++)
    redact_secret (out, secrets->values[i]);

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The bodies are written into a GString that is big enough from the start:
 * a realloc on the way would leave an unwiped copy of the secret behind. */
static GString *
secret_string_new (gsize capacity)
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
static void
append_form_encoded (GString    *out,
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

static char *
encode_form (const Field *fields,
             gsize        n_fields)
{
  gsize capacity = 0;
  GString *out;

  for (gsize i = 0; i < n_fields; i++)
    if (fields[i].value != NULL)
      capacity += 3 * strlen (fields[i].name) + 3 * strlen (fields[i].value) + 2;

  out = secret_string_new (capacity);
  for (gsize i = 0; i < n_fields; i++)
    {
      if (fields[i].value == NULL)
        continue;
      if (out->len > 0)
        g_string_append_c (out, '&');
      append_form_encoded (out, fields[i].name);
      g_string_append_c (out, '=');
      append_form_encoded (out, fields[i].value);
    }

  return secret_string_free_to_str (out, capacity);
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

static char *
encode_json_object (const Field *fields,
                    gsize        n_fields)
{
  gsize capacity = 2;
  GString *out;

  for (gsize i = 0; i < n_fields; i++)
    if (fields[i].value != NULL)
      capacity += 6 * strlen (fields[i].name) + 6 * strlen (fields[i].value) + 6;

  out = secret_string_new (capacity);
  g_string_append_c (out, '{');
  for (gsize i = 0; i < n_fields; i++)
    {
      if (fields[i].value == NULL)
        continue;
      if (out->len > 1)
        g_string_append_c (out, ',');
      append_json_string (out, fields[i].name);
      g_string_append_c (out, ':');
      append_json_string (out, fields[i].value);
    }
  g_string_append_c (out, '}');

  return secret_string_free_to_str (out, capacity);
}

/* ------------------------------------------------------------------------- */
/* Endpoints                                                                 */

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  /* GUri gives an IPv6 literal without its brackets. GLib's loopback test is
   * 127.0.0.0/8 for IPv4 and exactly ::1 for IPv6. */
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* GUri takes almost anything as a host; libsoup would only fail later, at
 * connect time. An IP literal, or letters, digits, '-', '.', '_' and
 * (internationalised names) non-ASCII. */
static gboolean
host_is_valid (const char *host)
{
  if (host == NULL || *host == '\0')
    return FALSE;
  if (g_hostname_is_ip_address (host))
    return TRUE;
  for (const guchar *p = (const guchar *) host; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '_' && *p < 0x80)
      return FALSE;
  return g_utf8_validate (host, -1, NULL);
}

/**
 * tg_uri_is_safe_for_tokens:
 * @uri: where a password or token is about to be sent
 * @error: return location for a #GError
 *
 * Whether a password or token may be sent to @uri: over `https`, always; over
 * plain `http`, only to a loopback host (127.0.0.0/8, ::1 or `localhost`),
 * where nobody else can read the traffic. A plain-http URI to any other host
 * fails with %TG_AUTH_ERROR_INSECURE; a URI that is not http(s) or has no
 * valid host fails with %G_IO_ERROR_INVALID_ARGUMENT.
 *
 * Returns: %TRUE if @uri is safe for tokens
 */
gboolean
tg_uri_is_safe_for_tokens (GUri    *uri,
                           GError **error)
{
  const char *scheme;
  const char *host;

  g_return_val_if_fail (uri != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);

  if (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Only http and https URIs are supported, not “%s”"), scheme);
      return FALSE;
    }
  if (!host_is_valid (host))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The URI has no valid host"));
      return FALSE;
    }
  if (g_ascii_strcasecmp (scheme, "https") == 0 || host_is_loopback (host))
    return TRUE;

  g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE,
               _("Refusing to send credentials to %s over unencrypted HTTP; use https "
                 "(plain http is allowed only on this computer’s loopback address)"), host);
  return FALSE;
}

typedef enum {
  ENDPOINT_SERVER,
  ENDPOINT_TOKEN,
  ENDPOINT_REVOCATION,
} Endpoint;

/* The URI itself is not repeated in the errors: a configured URI may carry a
 * user name and password in its userinfo. One whole sentence per endpoint,
 * so that translators never get a noun to splice into a sentence. */
static GUri *
parse_endpoint (const char  *uri_string,
                Endpoint     endpoint,
                GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;

  uri = g_uri_parse (uri_string, G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL)
    {
      const char *messages[] = {
        [ENDPOINT_SERVER] = _("The server URI is not a valid absolute URI"),
        [ENDPOINT_TOKEN] = _("The token endpoint is not a valid absolute URI"),
        [ENDPOINT_REVOCATION] = _("The revocation endpoint is not a valid absolute URI"),
      };

      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, messages[endpoint]);
      return NULL;
    }
  if (!tg_uri_is_safe_for_tokens (uri, &local_error))
    {
      GQuark domain = local_error->domain;
      int code = local_error->code;
      const char *reason = local_error->message;

      switch (endpoint)
        {
        case ENDPOINT_SERVER:
          /* Translators: %s is the reason, a sentence of its own. */
          g_set_error (error, domain, code, _("The server URI is not usable: %s"), reason);
          break;
        case ENDPOINT_TOKEN:
          /* Translators: %s is the reason, a sentence of its own. */
          g_set_error (error, domain, code, _("The token endpoint is not usable: %s"), reason);
          break;
        case ENDPOINT_REVOCATION:
          /* Translators: %s is the reason, a sentence of its own. */
          g_set_error (error, domain, code, _("The revocation endpoint is not usable: %s"), reason);
          break;
        default:
          g_assert_not_reached ();
        }
      return NULL;
    }

  return g_steal_pointer (&uri);
}

/* @base's path with @suffix appended as one more segment: a base URI such as
 * https://example.org/api (with or without its final slash) keeps its /api,
 * which RFC 3986 reference resolution would drop. */
static char *
endpoint_below (GUri       *base,
                const char *suffix)
{
  const char *path = g_uri_get_path (base);
  gsize len = strlen (path);
  g_autofree char *joined = NULL;
  g_autoptr(GUri) uri = NULL;

  while (len > 0 && path[len - 1] == '/')
    len--;
  joined = g_strdup_printf ("%.*s/%s", (int) len, path, suffix);
  uri = g_uri_build (G_URI_FLAGS_ENCODED, g_uri_get_scheme (base), g_uri_get_userinfo (base),
                     g_uri_get_host (base), g_uri_get_port (base), joined,
                     g_uri_get_query (base), NULL);

  return g_uri_to_string (uri);
}

static char *
nonempty_strdup (const char *text)
{
  return text != NULL && *text != '\0' ? g_strdup (text) : NULL;
}

/* ------------------------------------------------------------------------- */
/* GObject                                                                   */

static void
tg_auth_protocol_finalize (GObject *object)
{
  TgAuthProtocol *self = TG_AUTH_PROTOCOL (object);

  g_free (self->token_uri);
  g_free (self->refresh_uri);
  g_free (self->revocation_uri);
  g_free (self->client_id);
  wipe_string (self->client_secret);
  g_free (self->scope);

  G_OBJECT_CLASS (tg_auth_protocol_parent_class)->finalize (object);
}

static void
tg_auth_protocol_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TgAuthProtocol *self = TG_AUTH_PROTOCOL (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;

    case PROP_TOKEN_URI:
      g_value_set_string (value, self->token_uri);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_auth_protocol_class_init (TgAuthProtocolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tg_auth_protocol_finalize;
  object_class->get_property = tg_auth_protocol_get_property;

  /**
   * TgAuthProtocol:kind:
   *
   * Which wire format this protocol speaks.
   */
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL,
                       TG_TYPE_AUTH_PROTOCOL_KIND, TG_AUTH_PROTOCOL_SEED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * TgAuthProtocol:token-uri:
   *
   * Where sign-ins are sent.
   */
  properties[PROP_TOKEN_URI] =
    g_param_spec_string ("token-uri", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tg_auth_protocol_init (TgAuthProtocol *self)
{
}

/**
 * tg_auth_protocol_new_seed:
 * @base_uri: the server, for example `http://127.0.0.1:8080` or
 *   `https://example.org/api`
 * @error: return location for a #GError
 *
 * The seed posts' JSON API: sign-in at `@base_uri/authorization/token`,
 * refresh at `@base_uri/authorization/refresh`, no revocation.
 *
 * Fails with %G_IO_ERROR_INVALID_ARGUMENT if @base_uri is not an absolute
 * http(s) URI, and with %TG_AUTH_ERROR_INSECURE if it is plain http to a host
 * that is not loopback.
 *
 * Returns: (transfer full) (nullable): the protocol, or %NULL on error
 */
TgAuthProtocol *
tg_auth_protocol_new_seed (const char  *base_uri,
                           GError     **error)
{
  g_autoptr(GUri) base = NULL;
  TgAuthProtocol *self;

  g_return_val_if_fail (base_uri != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  base = parse_endpoint (base_uri, ENDPOINT_SERVER, error);
  if (base == NULL)
    return NULL;

  self = g_object_new (TG_TYPE_AUTH_PROTOCOL, NULL);
  self->kind = TG_AUTH_PROTOCOL_SEED;
  self->token_uri = endpoint_below (base, "authorization/token");
  self->refresh_uri = endpoint_below (base, "authorization/refresh");

  return self;
}

/**
 * tg_auth_protocol_new_oauth2:
 * @token_endpoint: the RFC 6749 token endpoint
 * @revocation_endpoint: (nullable): the RFC 7009 revocation endpoint, if any
 * @client_id: (nullable): the client identifier, if the server wants one
 * @client_secret: (nullable): the client secret of a confidential client;
 *   needs @client_id
 * @scope: (nullable): the scope to ask for (space-separated)
 * @error: return location for a #GError
 *
 * Standard OAuth 2.0. With @client_secret, the client authenticates with HTTP
 * Basic (RFC 6749 §2.3.1); with only @client_id, it sends `client_id` in the
 * body as a public client (§2.3.1 last paragraphs, §3.2.1).
 *
 * Fails like tg_auth_protocol_new_seed() for either endpoint.
 *
 * Returns: (transfer full) (nullable): the protocol, or %NULL on error
 */
TgAuthProtocol *
tg_auth_protocol_new_oauth2 (const char  *token_endpoint,
                             const char  *revocation_endpoint,
                             const char  *client_id,
                             const char  *client_secret,
                             const char  *scope,
                             GError     **error)
{
  g_autoptr(GUri) token_uri = NULL;
  g_autoptr(GUri) revocation_uri = NULL;
  TgAuthProtocol *self;

  g_return_val_if_fail (token_endpoint != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  token_uri = parse_endpoint (token_endpoint, ENDPOINT_TOKEN, error);
  if (token_uri == NULL)
    return NULL;
  if (revocation_endpoint != NULL && *revocation_endpoint != '\0')
    {
      revocation_uri = parse_endpoint (revocation_endpoint, ENDPOINT_REVOCATION, error);
      if (revocation_uri == NULL)
        return NULL;
    }
  if ((client_id == NULL || *client_id == '\0') && client_secret != NULL && *client_secret != '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("A client secret needs a client ID"));
      return NULL;
    }

  self = g_object_new (TG_TYPE_AUTH_PROTOCOL, NULL);
  self->kind = TG_AUTH_PROTOCOL_OAUTH2;
  /* The fragment is never sent; leave it out of what we show and compare. */
  self->token_uri = g_uri_to_string_partial (token_uri, G_URI_HIDE_FRAGMENT);
  self->refresh_uri = g_strdup (self->token_uri);
  if (revocation_uri != NULL)
    self->revocation_uri = g_uri_to_string_partial (revocation_uri, G_URI_HIDE_FRAGMENT);
  self->client_id = nonempty_strdup (client_id);
  self->client_secret = nonempty_strdup (client_secret);
  self->scope = nonempty_strdup (scope);

  return self;
}

/**
 * tg_auth_protocol_get_kind:
 * @self: a #TgAuthProtocol
 *
 * Returns: which wire format @self speaks
 */
TgAuthProtocolKind
tg_auth_protocol_get_kind (TgAuthProtocol *self)
{
  g_return_val_if_fail (TG_IS_AUTH_PROTOCOL (self), TG_AUTH_PROTOCOL_SEED);

  return self->kind;
}

/**
 * tg_auth_protocol_get_token_uri:
 * @self: a #TgAuthProtocol
 *
 * Returns: (transfer none): where sign-ins go
 */
const char *
tg_auth_protocol_get_token_uri (TgAuthProtocol *self)
{
  g_return_val_if_fail (TG_IS_AUTH_PROTOCOL (self), NULL);

  return self->token_uri;
}

/* ------------------------------------------------------------------------- */
/* Requests                                                                  */

static SoupMessage *
new_post (const char *uri,
          const char *content_type,
          char       *text)  /* taken */
{
  g_autoptr(GBytes) body = secret_bytes_new_take (text);
  SoupMessage *msg = soup_message_new (SOUP_METHOD_POST, uri);

  /* The URI was validated when the protocol was built. */
  g_assert (msg != NULL);

  tg_message_set_request_body (msg, content_type, body);

  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Accept", CONTENT_TYPE_JSON);

  /* libsoup re-sends a POST and its body on a 307/308, to whatever host the
   * Location names — maybe plain http to another one. A token endpoint has no
   * business redirecting: treat a redirect as the answer. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  /* Our own Authorization header must reach the server as it is, and a 401
   * from the token endpoint is an answer for us to read, not a prompt. */
  soup_message_disable_feature (msg, SOUP_TYPE_AUTH_MANAGER);
  /* A SoupLogger at body level would print the password or token. */
  soup_message_disable_feature (msg, SOUP_TYPE_LOGGER);

  return msg;
}

/* RFC 6749 §2.3.1: the client ID and secret are each form-urlencoded, then
 * joined with a colon and sent as HTTP Basic credentials (RFC 7617 §2).
 *
 * Every buffer that holds the secret is wiped before it is freed, and none
 * of them ever grows: a GString that reallocs, or g_base64_encode() followed
 * by a concatenation, would leave unwiped copies in freed memory. The
 * credentials go into a GString sized up front; their Base64 is written by
 * g_base64_encode_step() straight into the one header buffer. What we cannot
 * wipe: soup_message_headers_replace() keeps its own copy of the header
 * value (and libsoup writes it into its send buffer), freed by libsoup
 * without wiping. */
static char *
basic_authorization_new (TgAuthProtocol *self,
                         gsize          *out_size)
{
  static const char prefix[] = "Basic ";
  GString *credentials;
  gsize capacity;
  gsize header_size;
  char *header;
  gsize len;
  int state = 0;
  int save = 0;

  g_assert (self->client_secret != NULL);

  capacity = 3 * strlen (self->client_id) + 1 + 3 * strlen (self->client_secret);
  credentials = secret_string_new (capacity);
  append_form_encoded (credentials, self->client_id);
  g_string_append_c (credentials, ':');
  append_form_encoded (credentials, self->client_secret);
  g_assert (credentials->len <= capacity);

  /* Base64: 4 bytes out for every 3 in, rounded up (g_base64_encode_step()
   * documents this bound, plus one per 72 bytes it would break lines at —
   * we ask for no breaks). */
  header_size = strlen (prefix) + (credentials->len / 3 + 1) * 4 + 4 + 1;
  header = g_malloc (header_size);
  memcpy (header, prefix, strlen (prefix));
  len = strlen (prefix);
  len += g_base64_encode_step ((const guchar *) credentials->str, credentials->len, FALSE,
                               header + len, &state, &save);
  len += g_base64_encode_close (FALSE, header + len, &state, &save);
  g_assert (len < header_size);
  header[len] = '\0';

  explicit_bzero (credentials->str, credentials->allocated_len);
  g_string_free (credentials, TRUE);

  *out_size = header_size;
  return header;
}

static void
add_client_authentication (TgAuthProtocol *self,
                           SoupMessage    *msg)
{
  gsize header_size;
  char *header;

  if (self->client_secret == NULL)
    return;

  header = basic_authorization_new (self, &header_size);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
  explicit_bzero (header, header_size);
  g_free (header);
}

/* A public client names itself in the body (RFC 6749 §2.3.1); a confidential
 * one authenticates in the header instead and must not repeat it there. */
static const char *
body_client_id (TgAuthProtocol *self)
{
  return self->client_secret == NULL ? self->client_id : NULL;
}

/* An OAuth 2.0 request: a form body, and the client's credentials. */
static SoupMessage *
new_form_post (TgAuthProtocol *self,
               const char     *uri,
               const Field    *fields,
               gsize           n_fields)
{
  SoupMessage *msg = new_post (uri, CONTENT_TYPE_FORM, encode_form (fields, n_fields));

  add_client_authentication (self, msg);
  return msg;
}

/**
 * tg_auth_protocol_new_sign_in_message:
 * @self: a #TgAuthProtocol
 * @user_name: the user name
 * @password: the password
 *
 * The sign-in request: a JSON `{"userName", "password"}` POST for the seed
 * API, an RFC 6749 §4.3 password grant for OAuth 2.0. Its body is a #GBytes
 * (so the message can be sent again as it is), wiped when freed. Redirects
 * are not followed.
 *
 * Returns: (transfer full): the message, ready to send
 */
SoupMessage *
tg_auth_protocol_new_sign_in_message (TgAuthProtocol *self,
                                      const char     *user_name,
                                      const char     *password)
{
  SoupMessage *msg;

  g_return_val_if_fail (TG_IS_AUTH_PROTOCOL (self), NULL);
  g_return_val_if_fail (user_name != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);

  if (self->kind == TG_AUTH_PROTOCOL_SEED)
    {
      const Field fields[] = {
        { "userName", user_name },
        { "password", password },
      };

      msg = new_post (self->token_uri, CONTENT_TYPE_JSON,
                      encode_json_object (fields, G_N_ELEMENTS (fields)));
    }
  else
    {
      const Field fields[] = {
        { "grant_type", "password" },
        { "username", user_name },
        { "password", password },
        { "scope", self->scope },
        { "client_id", body_client_id (self) },
      };
      msg = new_form_post (self, self->token_uri, fields, G_N_ELEMENTS (fields));
    }

  /* The user name is no secret: an error that repeats it helps. */
  remember_request_secret (msg, password);
  return msg;
}

/**
 * tg_auth_protocol_new_refresh_message:
 * @self: a #TgAuthProtocol
 * @refresh_token: the refresh token
 *
 * The refresh request: a JSON `{"refreshToken"}` POST for the seed API, an
 * RFC 6749 §6 refresh_token grant for OAuth 2.0 (without a scope: the
 * refreshed token has the scope of the sign-in). Like
 * tg_auth_protocol_new_sign_in_message(), its body can be re-sent and is
 * wiped when freed.
 *
 * Returns: (transfer full): the message, ready to send
 */
SoupMessage *
tg_auth_protocol_new_refresh_message (TgAuthProtocol *self,
                                      const char     *refresh_token)
{
  SoupMessage *msg;

  g_return_val_if_fail (TG_IS_AUTH_PROTOCOL (self), NULL);
  g_return_val_if_fail (refresh_token != NULL && *refresh_token != '\0', NULL);

  if (self->kind == TG_AUTH_PROTOCOL_SEED)
    {
      const Field fields[] = {
        { "refreshToken", refresh_token },
      };

      msg = new_post (self->refresh_uri, CONTENT_TYPE_JSON,
                      encode_json_object (fields, G_N_ELEMENTS (fields)));
    }
  else
    {
      /* No scope (RFC 6749 §6): left out, it means the scope of the original
       * grant; sent, it may not exceed it, and servers such as Keycloak turn
       * down a refresh whose scope differs from the grant's in any way. */
      const Field fields[] = {
        { "grant_type", "refresh_token" },
        { "refresh_token", refresh_token },
        { "client_id", body_client_id (self) },
      };
      msg = new_form_post (self, self->refresh_uri, fields, G_N_ELEMENTS (fields));
    }

  remember_request_secret (msg, refresh_token);
  return msg;
}

static SoupMessage *
new_revoke_post (TgAuthProtocol *self,
                 const char     *refresh_token)
{
  const Field fields[] = {
    { "token", refresh_token },
    { "token_type_hint", "refresh_token" },
    { "client_id", body_client_id (self) },
  };
  SoupMessage *msg = new_form_post (self, self->revocation_uri, fields, G_N_ELEMENTS (fields));

  remember_request_secret (msg, refresh_token);
  return msg;
}

/**
 * tg_auth_protocol_new_revoke_message:
 * @self: a #TgAuthProtocol
 * @refresh_token: the refresh token to revoke
 *
 * The RFC 7009 revocation request, for an OAuth 2.0 protocol that has a
 * revocation endpoint. Revoking the refresh token ends the whole session on
 * the server (§2.1), so signing out need not revoke the access token too.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL if @self has no
 *   revocation endpoint
 */
SoupMessage *
tg_auth_protocol_new_revoke_message (TgAuthProtocol *self,
                                     const char     *refresh_token)
{
  g_return_val_if_fail (TG_IS_AUTH_PROTOCOL (self), NULL);
  g_return_val_if_fail (refresh_token != NULL && *refresh_token != '\0', NULL);

  if (self->kind != TG_AUTH_PROTOCOL_OAUTH2 || self->revocation_uri == NULL)
    return NULL;

  return new_revoke_post (self, refresh_token);
}

/* ------------------------------------------------------------------------- */
/* Answers                                                                   */

/* Text from the server, made fit for a one-line message: valid UTF-8, no
 * control or formatting characters (no terminal escapes, no bidi overrides
 * that would make it read as something else), whitespace collapsed, and at
 * most @max_chars characters. */
static char *
sanitize_text (const char *text,
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

/* Server text made fit to show: secrets out, then sanitised. Redaction runs
 * on the text as it came and again on the sanitised text (with the
 * sanitised secrets), so that characters sanitize_text() drops or folds — a
 * zero-width space, a control character, a run of spaces — cannot hide an
 * echo from the first pass and reveal it in the second. */
static char *
redact_for_display (const char    *text,
                    const Secrets *secrets,
                    guint          max_chars)
{
  g_autofree char *redacted = redact (text, secrets);
  g_autofree char *clean = NULL;
  g_autoptr(GString) out = NULL;

  if (redacted == NULL)
    return NULL;
  clean = sanitize_text (redacted, G_MAXUINT);
  if (clean == NULL)
    return NULL;

  out = g_string_new (clean);
  for (guint i = 0; i < secrets->n_values; i++)
    {
      char *clean_secret = sanitize_text (secrets->values[i], G_MAXUINT);

      redact_secret (out, secrets->values[i]);
      if (clean_secret != NULL)
        redact_secret (out, clean_secret);
      wipe_string (clean_secret);
    }

  return sanitize_text (out->str, max_chars);
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
  ((operation) == TG_AUTH_OPERATION_SIGN_IN ? (sign_in_text) : (refresh_text))

/* A token from the answer: present, printable ASCII, short enough for a
 * header. Sets @error (naming the member) otherwise. */
static gboolean
check_token (TgAuthOperation   operation,
             const char       *name,
             const char       *token,
             GError          **error)
{
  if (!is_token_text (token))
    {
      g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL,
                   FOR_OPERATION (operation,
                                  /* Translators: %s is a JSON member, such as “access_token”. */
                                  _("The “%s” in the server’s answer to the sign-in has characters a token cannot have"),
                                  /* Translators: %s is a JSON member, such as “access_token”. */
                                  _("The “%s” in the server’s answer to the token refresh has characters a token cannot have")),
                   name);
      return FALSE;
    }
  if (strlen (token) > MAX_TOKEN_BYTES)
    {
      g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL,
                   FOR_OPERATION (operation,
                                  /* Translators: %s is a JSON member, such as “access_token”. */
                                  _("The “%s” in the server’s answer to the sign-in is too long to be sent in a request"),
                                  /* Translators: %s is a JSON member, such as “access_token”. */
                                  _("The “%s” in the server’s answer to the token refresh is too long to be sent in a request")),
                   name);
      return FALSE;
    }

  return TRUE;
}

static TgTokens *
parse_success (TgAuthProtocol     *self,
               TgAuthOperation     operation,
               const TgHttpReply  *reply,
               const char         *previous_refresh_token,
               Secrets            *secrets,
               gint64              now,
               GError            **error)
{
  gboolean seed = self->kind == TG_AUTH_PROTOCOL_SEED;
  const char *access_name = seed ? "authorizationToken" : "access_token";
  const char *refresh_name = seed ? "refreshToken" : "refresh_token";
  const char *expires_name = seed ? "expiresIn" : "expires_in";
  g_autoptr(JsonObject) object = NULL;
  const char *access_token = NULL;
  const char *refresh_token = NULL;
  gint64 expires_in = 0;

  object = parse_json_object (reply->body);
  if (object == NULL)
    {
      g_set_error_literal (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL,
                           FOR_OPERATION (operation,
                                          _("The server’s answer to the sign-in is not a JSON object"),
                                          _("The server’s answer to the token refresh is not a JSON object")));
      return NULL;
    }

  if (!get_optional_string (object, access_name, &access_token) ||
      access_token == NULL || *access_token == '\0')
    {
      g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL,
                   FOR_OPERATION (operation,
                                  /* Translators: %s is a JSON member, such as “access_token”. */
                                  _("The server’s answer to the sign-in has no “%s”"),
                                  /* Translators: %s is a JSON member, such as “access_token”. */
                                  _("The server’s answer to the token refresh has no “%s”")),
                   access_name);
      return NULL;
    }
  if (!check_token (operation, access_name, access_token, error))
    return NULL;
  secrets_add (secrets, access_token);

  if (!get_optional_string (object, refresh_name, &refresh_token) ||
      (refresh_token != NULL && *refresh_token != '\0' && !is_token_text (refresh_token)))
    {
      g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL,
                   FOR_OPERATION (operation,
                                  /* Translators: %s is a JSON member, such as “refresh_token”. */
                                  _("The “%s” in the server’s answer to the sign-in is not a valid token"),
                                  /* Translators: %s is a JSON member, such as “refresh_token”. */
                                  _("The “%s” in the server’s answer to the token refresh is not a valid token")),
                   refresh_name);
      return NULL;
    }
  if (refresh_token != NULL && *refresh_token != '\0')
    {
      if (!check_token (operation, refresh_name, refresh_token, error))
        return NULL;
      secrets_add (secrets, refresh_token);
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
        {
          g_set_error_literal (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL,
                               FOR_OPERATION (operation,
                                              _("The “token_type” in the server’s answer to the sign-in is not a string"),
                                              _("The “token_type” in the server’s answer to the token refresh is not a string")));
          return NULL;
        }
      /* RFC 6749 §5.1: the type is case-insensitive. We can only send Bearer
       * tokens (RFC 6750); a MAC or DPoP token would be rejected on first use. */
      if (token_type != NULL && g_ascii_strcasecmp (token_type, "Bearer") != 0)
        {
          g_autofree char *shown = redact_for_display (token_type, secrets, MAX_ERROR_CODE_CHARS);

          g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL,
                       _("The server issued a token of type “%s”; only Bearer tokens are supported"),
                       shown != NULL ? shown : "");
          return NULL;
        }
    }

  if (!get_lifetime (object, expires_name, &expires_in))
    {
      g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL,
                   FOR_OPERATION (operation,
                                  /* Translators: %s is a JSON member, such as “expires_in”. */
                                  _("The “%s” in the server’s answer to the sign-in is not a usable number of seconds"),
                                  /* Translators: %s is a JSON member, such as “expires_in”. */
                                  _("The “%s” in the server’s answer to the token refresh is not a usable number of seconds")),
                   expires_name);
      return NULL;
    }

  return tg_tokens_new (access_token, refresh_token,
                        compute_expires_at (reply->headers, now, access_token, expires_in));
}

/* The RFC 6749 §5.2 `error` and `error_description` of an error answer, if its
 * body is a JSON object that has them — it may as well be empty or a proxy's
 * HTML page. The code comes back as the server wrote it (to classify the
 * answer by) and made fit to show; the description only made fit to show.
 * Both are redacted of @secrets and of any token the answer itself carries. */
static void
read_error_body (GBytes      *body,
                 Secrets     *secrets,
                 char       **out_code,
                 char       **out_shown_code,
                 char       **out_description)
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
    secrets_add (secrets, token);
  if (get_optional_string (object, "refresh_token", &token))
    secrets_add (secrets, token);

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
                Secrets          *secrets,
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

  if (operation == TG_AUTH_OPERATION_SIGN_IN)
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
                     _("The session has expired; sign in again (%s)"), answer);
      else if (invalid_client)
        g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED,
                     _("The token refresh failed: the client credentials were refused (%s)"), answer);
      else
        g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED,
                     _("The token refresh failed: the server answered %s"), answer);
    }
}

/**
 * tg_auth_protocol_parse_reply:
 * @self: a #TgAuthProtocol
 * @operation: which request @reply answers
 * @request: (nullable): the request @reply answers, as
 *   tg_auth_protocol_new_sign_in_message() or
 *   tg_auth_protocol_new_refresh_message() built it: the password or refresh
 *   token it carried is kept out of error messages. Required for a sign-in
 *   (the password is known only from it); a refresh may pass %NULL, as its
 *   one secret is @previous_refresh_token
 * @reply: the answer: status, headers and body
 * @previous_refresh_token: (nullable): the refresh token in use, kept when the
 *   answer brings none (RFC 6749 §6)
 * @now: the wall-clock time the answer arrived, in µs since the epoch
 * @error: return location for a #GError
 *
 * Reads the answer to a sign-in or refresh. A 2xx answer is read as a JSON
 * object whatever its Content-Type says; the access token's expiry is the
 * earlier of `expires_in` and, if the token is a JWT, its `exp` claim
 * corrected for the clock skew the `Date` header shows.
 *
 * Errors (#TG_AUTH_ERROR): %TG_AUTH_ERROR_PROTOCOL for a 2xx answer that
 * cannot be read; for a sign-in, %TG_AUTH_ERROR_BAD_CREDENTIALS or
 * %TG_AUTH_ERROR_SERVER; for a refresh, %TG_AUTH_ERROR_SESSION_EXPIRED only
 * when the server says the refresh token is dead (`invalid_grant` with 400
 * or 401), and %TG_AUTH_ERROR_REFRESH_FAILED for everything else — a bare
 * 401 and `invalid_client` included. Error messages carry the status and the
 * server's sanitised `error` and `error_description`, never the password,
 * the client secret or a token, however the server encoded its echo.
 *
 * Returns: (transfer full) (nullable): the new tokens, or %NULL on error
 */
TgTokens *
tg_auth_protocol_parse_reply (TgAuthProtocol     *self,
                              TgAuthOperation     operation,
                              SoupMessage        *request,
                              const TgHttpReply  *reply,
                              const char         *previous_refresh_token,
                              gint64              now,
                              GError            **error)
{
  Secrets secrets = { 0 };
  char **request_secrets;
  char *authorization = NULL;
  gsize authorization_size = 0;
  TgTokens *tokens;

  g_return_val_if_fail (TG_IS_AUTH_PROTOCOL (self), NULL);
  g_return_val_if_fail (operation == TG_AUTH_OPERATION_SIGN_IN ||
                        operation == TG_AUTH_OPERATION_REFRESH, NULL);
  g_return_val_if_fail (request == NULL || SOUP_IS_MESSAGE (request), NULL);
  g_return_val_if_fail (request != NULL || operation == TG_AUTH_OPERATION_REFRESH, NULL);
  g_return_val_if_fail (reply != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (request != NULL)
    request_secrets = g_object_get_qdata (G_OBJECT (request), request_secrets_quark ());
  else
    request_secrets = NULL;
  for (char **p = request_secrets; p != NULL && *p != NULL; p++)
    secrets_add (&secrets, *p);
  secrets_add (&secrets, previous_refresh_token);
  if (self->client_secret != NULL)
    {
      secrets_add (&secrets, self->client_secret);
      /* A server that echoes the request's headers echoes the secret in
       * Base64: take that out too. */
      authorization = basic_authorization_new (self, &authorization_size);
      secrets_add (&secrets, authorization + strlen ("Basic "));
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (reply->status))
    {
      set_http_error (operation, reply->status, reply->body, &secrets, error);
      tokens = NULL;
    }
  else
    {
      tokens = parse_success (self, operation, reply, previous_refresh_token, &secrets, now, error);
    }

  if (authorization != NULL)
    explicit_bzero (authorization, authorization_size);
  g_free (authorization);
  return tokens;
}

/**
 * tg_auth_protocol_read_refresh_token:
 * @self: a #TgAuthProtocol
 * @reply: a 2xx answer to a refresh that tg_auth_protocol_parse_reply()
 *   could not read as a whole
 *
 * A server that rotates refresh tokens has used up the old one by the time it
 * answers 2xx, whatever else is wrong with the answer. If the new refresh
 * token in it is readable, the session can go on with it; throwing it away
 * would end the session at the next refresh. The token must be what
 * tg_auth_protocol_parse_reply() would accept: printable ASCII, at most
 * 16 kB.
 *
 * Returns: (transfer full) (nullable): the rotated refresh token, or %NULL
 */
char *
tg_auth_protocol_read_refresh_token (TgAuthProtocol    *self,
                                     const TgHttpReply *reply)
{
  g_autoptr(JsonObject) object = NULL;
  const char *refresh_token = NULL;

  g_return_val_if_fail (TG_IS_AUTH_PROTOCOL (self), NULL);
  g_return_val_if_fail (reply != NULL, NULL);

  if (!SOUP_STATUS_IS_SUCCESSFUL (reply->status))
    return NULL;
  object = parse_json_object (reply->body);
  if (object == NULL ||
      !get_optional_string (object, self->kind == TG_AUTH_PROTOCOL_SEED ? "refreshToken" : "refresh_token",
                            &refresh_token) ||
      refresh_token == NULL || !is_token_text (refresh_token) ||
      strlen (refresh_token) > MAX_TOKEN_BYTES)
    return NULL;

  return g_strdup (refresh_token);
}

/**
 * tg_auth_protocol_parse_answer:
 * @self: a #TgAuthProtocol
 * @operation: which request @msg was
 * @msg: the sent message, as tg_auth_protocol_new_sign_in_message() or
 *   tg_auth_protocol_new_refresh_message() built it, with its status and
 *   response headers
 * @body: (nullable): the response body
 * @previous_refresh_token: (nullable): the refresh token in use
 * @error: return location for a #GError
 *
 * tg_auth_protocol_parse_reply() for an answer read with libsoup just now.
 *
 * Returns: (transfer full) (nullable): the new tokens, or %NULL on error
 */
TgTokens *
tg_auth_protocol_parse_answer (TgAuthProtocol   *self,
                               TgAuthOperation   operation,
                               SoupMessage      *msg,
                               GBytes           *body,
                               const char       *previous_refresh_token,
                               GError          **error)
{
  g_autoptr(TgHttpReply) reply = NULL;

  g_return_val_if_fail (SOUP_IS_MESSAGE (msg), NULL);

  reply = tg_http_reply_new (soup_message_get_status (msg),
                             soup_message_get_response_headers (msg), body);
  return tg_auth_protocol_parse_reply (self, operation, msg, reply, previous_refresh_token,
                                       g_get_real_time (), error);
}
