/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reading requests and writing answers: the JSON and form bodies every
 * endpoint reads (with the limits and the strictness bytes from the network
 * need), and the JSON answers and RFC 6749 style errors every endpoint gives.
 */
#define G_LOG_DOMAIN "tg-server"

#include "config.h"

#include <string.h>

#include "tg-json-check.h"
#include "tg-json-builder.h"
#include "tg-server-private.h"

/* JSON nested deeper than this is refused before json-glib sees it: its parser
 * recurses, and 64 KiB of '[' would otherwise be a stack overflow. */
#define MAX_JSON_DEPTH 32

void
_tg_server_reply_json (SoupServerMessage *msg,
                       guint              status,
                       JsonNode          *node)
{
  gsize len = 0;
  char *text = json_to_string (node, FALSE);

  len = strlen (text);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

/**
 * _tg_server_reply_builder:
 * @builder: a builder whose root value is complete
 *
 * Answers with what @builder built, as _tg_server_reply_json() does.
 */
void
_tg_server_reply_builder (SoupServerMessage *msg,
                          guint              status,
                          JsonBuilder       *builder)
{
  g_autoptr(JsonNode) node = json_builder_get_root (builder);

  _tg_server_reply_json (msg, status, node);
}

/**
 * _tg_server_reply_error:
 *
 * Answers with an RFC 6749 §5.2 style JSON error, which is also what every other
 * endpoint uses for bad input: a client can always read `error` and
 * `error_description`.
 */
void
_tg_server_reply_error (SoupServerMessage *msg,
                        guint              status,
                        const char        *error,
                        const char        *description)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  tg_json_builder_add_string_member (builder, "error", error);
  if (description != NULL)
    tg_json_builder_add_string_member (builder, "error_description", description);
  json_builder_end_object (builder);

  _tg_server_reply_builder (msg, status, builder);
}

/**
 * _tg_server_reply_bad_body:
 * @error: from _tg_server_read_json_object() or _tg_server_read_form()
 *
 * Answers a body that could not be read: 413 when too large, 415 for the wrong
 * content type, 400 otherwise — always with `invalid_request`.
 */
void
_tg_server_reply_bad_body (SoupServerMessage *msg,
                           const GError      *error)
{
  guint status = SOUP_STATUS_BAD_REQUEST;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    status = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    status = SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE;

  _tg_server_reply_error (msg, status, "invalid_request", error->message);
}

/**
 * _tg_server_set_no_store:
 *
 * Keeps the answer out of every cache: token answers (RFC 6749 §5.1), and
 * the sign-in pages and redirects that carry a CSRF token or a code.
 */
void
_tg_server_set_no_store (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "Pragma", "no-cache");
}

/**
 * _tg_server_reply_empty:
 *
 * Answers 200 with an empty JSON object: what an action that has nothing to
 * report says when it worked.
 */
void
_tg_server_reply_empty (SoupServerMessage *msg)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "{}", 2);
}

/**
 * _tg_server_check_method:
 * @msg: the request
 * @first_method: a method the endpoint answers, then more, then %NULL
 *
 * Lets through a request whose method is one of those given, or HEAD where GET
 * is (RFC 9110 §9.3.2: HEAD is GET without the body, which libsoup leaves out by
 * itself). Anything else is answered 405 with the Allow header RFC 9110 §15.5.6
 * asks for.
 *
 * Returns: %TRUE if the handler should go on
 */
gboolean
_tg_server_check_method (SoupServerMessage *msg,
                         const char        *first_method,
                         ...)
{
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(GString) allow = NULL;
  va_list args;

  va_start (args, first_method);
  for (const char *m = first_method; m != NULL; m = va_arg (args, const char *))
    {
      if (strcmp (method, m) == 0 ||
          (strcmp (m, SOUP_METHOD_GET) == 0 && strcmp (method, SOUP_METHOD_HEAD) == 0))
        {
          va_end (args);
          return TRUE;
        }
    }
  va_end (args);

  allow = g_string_new (NULL);
  va_start (args, first_method);
  for (const char *m = first_method; m != NULL; m = va_arg (args, const char *))
    g_string_append_printf (allow, "%s%s%s", allow->len > 0 ? ", " : "", m,
                            strcmp (m, SOUP_METHOD_GET) == 0 ? ", HEAD" : "");
  va_end (args);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow->str);
  _tg_server_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "invalid_request",
                          "method not allowed on this endpoint");
  return FALSE;
}

static GBytes *
read_body (SoupServerMessage  *msg,
           const char         *expected_type,
           GError            **error)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *content_type = soup_message_headers_get_content_type (headers, NULL);
  g_autoptr(GBytes) body = NULL;

  if (_tg_server_body_too_large (msg))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   "the request body is larger than %d KiB", TG_SERVER_MAX_BODY / 1024);
      return NULL;
    }
  if (content_type == NULL || g_ascii_strcasecmp (content_type, expected_type) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "expected Content-Type: %s", expected_type);
      return NULL;
    }

  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  if (g_bytes_get_size (body) == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the request body is empty");
      return NULL;
    }

  return g_steal_pointer (&body);
}

/**
 * _tg_server_parse_json_object:
 * @data: a request body, not necessarily NUL-terminated
 * @len: its length in bytes
 * @error: return location for a #GError (%G_IO_ERROR_INVALID_DATA)
 *
 * What _tg_server_read_json_object() does once it has the body: a function of
 * its own so that the fuzz target (tests/fuzz/fuzz-json-body.c) runs exactly
 * what the server runs on bytes from the network.
 *
 * Returns: (transfer full): the object
 */
JsonObject *
_tg_server_parse_json_object (const char  *data,
                              gsize        len,
                              GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  /* Before json-glib sees it: the nesting, "\u0000" and several values in a
   * row are what it cannot be trusted with (tg-json-check.c). */
  if (!tg_json_check_text (data, len, MAX_JSON_DEPTH, TG_JSON_CHECK_REFUSE_NUL, error))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!g_utf8_validate (data, len, NULL) ||
      !json_parser_load_from_data (parser, data, len, &local_error))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the request body is not valid JSON");
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the request body must be a JSON object");
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

/**
 * _tg_server_read_json_object:
 *
 * Reads the request body as a JSON object. Errors: %G_IO_ERROR_MESSAGE_TOO_LARGE
 * (answer 413), %G_IO_ERROR_NOT_SUPPORTED (wrong content type, 415),
 * %G_IO_ERROR_INVALID_DATA (400).
 *
 * Returns: (transfer full): the object
 */
JsonObject *
_tg_server_read_json_object (SoupServerMessage  *msg,
                             GError            **error)
{
  g_autoptr(GBytes) body = read_body (msg, "application/json", error);

  return body != NULL ? _tg_server_parse_json_object (g_bytes_get_data (body, NULL),
                                                      g_bytes_get_size (body), error) : NULL;
}

/**
 * _tg_server_form_unescape:
 *
 * One name or value of an `application/x-www-form-urlencoded` text, decoded;
 * NULL with @error set unless it is UTF-8 without NUL characters.
 *
 * Decoded here rather than by g_uri_unescape_bytes(), whose copies (the
 * text with "+" made a space, its own buffer of a value it refuses) are
 * freed without being wiped: the value may be a secret (HTTP Basic
 * credentials, a password), and its caller can wipe only what it gets. The
 * one buffer used here is wiped unless it is what is returned.
 */
char *
_tg_server_form_unescape (const char  *text,
                          gsize        len,
                          GError     **error)
{
  char *value = g_malloc (len + 1);
  const char *message = NULL;
  gsize size = 0;

  for (gsize i = 0; i < len; i++)
    {
      /* application/x-www-form-urlencoded spells a space "+" (WHATWG URL §5.1). */
      if (text[i] == '+')
        value[size++] = ' ';
      else if (text[i] != '%')
        value[size++] = text[i];
      else if (i + 2 < len && g_ascii_isxdigit (text[i + 1]) && g_ascii_isxdigit (text[i + 2]))
        {
          value[size++] = (char) (g_ascii_xdigit_value (text[i + 1]) * 16 + g_ascii_xdigit_value (text[i + 2]));
          i += 2;
        }
      else
        {
          message = "the form body has a malformed %-escape";
          break;
        }
    }
  value[size] = '\0';

  if (message == NULL && (memchr (value, '\0', size) != NULL || !g_utf8_validate (value, size, NULL)))
    message = "form values must be UTF-8 text without NUL characters";
  if (message != NULL)
    {
      explicit_bzero (value, len + 1);
      g_free (value);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, message);
      return NULL;
    }

  return value;
}

/**
 * _tg_server_parse_form:
 * @data: a request body, not necessarily NUL-terminated
 * @len: its length in bytes
 * @error: return location for a #GError (%G_IO_ERROR_INVALID_DATA)
 *
 * What _tg_server_read_form() does once it has the body: a function of its
 * own so that the fuzz target (tests/fuzz/fuzz-form-body.c) runs exactly what
 * the server runs on bytes from the network.
 *
 * Returns: (transfer full): name → value
 */
GHashTable *
_tg_server_parse_form (const char  *data,
                       gsize        len,
                       GError     **error)
{
  g_autoptr(GHashTable) form = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) pairs = NULL;

  if (memchr (data, '\0', len) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the form body contains a NUL byte");
      return NULL;
    }
  text = g_strndup (data, len);
  form = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  pairs = g_strsplit (text, "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      const char *pair = pairs[i];
      const char *equals = strchr (pair, '=');
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (*pair == '\0')
        continue;
      name = _tg_server_form_unescape (pair, equals != NULL ? (gsize) (equals - pair) : strlen (pair), error);
      if (name == NULL)
        return NULL;
      value = _tg_server_form_unescape (equals != NULL ? equals + 1 : "", equals != NULL ? strlen (equals + 1) : 0, error);
      if (value == NULL)
        return NULL;
      if (g_hash_table_contains (form, name))
        {
          g_autofree char *printable = g_strescape (name, NULL);

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "the parameter “%.40s” is repeated", printable);
          return NULL;
        }
      g_hash_table_insert (form, g_steal_pointer (&name), g_steal_pointer (&value));
    }

  return g_steal_pointer (&form);
}

/**
 * _tg_server_read_form:
 *
 * Reads an `application/x-www-form-urlencoded` body (RFC 6749 §4.3.2, §6), with
 * the same errors as _tg_server_read_json_object(). Stricter than
 * soup_form_decode(): a parameter given twice is an error (RFC 6749 §3.2, "MUST
 * NOT be included more than once"), and so is a value that decodes to a NUL or
 * to something that is not UTF-8.
 *
 * Returns: (transfer full): name → value
 */
GHashTable *
_tg_server_read_form (SoupServerMessage  *msg,
                      GError            **error)
{
  g_autoptr(GBytes) body = read_body (msg, "application/x-www-form-urlencoded", error);

  return body != NULL ? _tg_server_parse_form (g_bytes_get_data (body, NULL),
                                               g_bytes_get_size (body), error) : NULL;
}

/**
 * _tg_server_form_value:
 * @form: from _tg_server_read_form() or _tg_server_parse_form()
 *
 * Returns: (nullable): the parameter @name; an empty one counts as missing
 *   (RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if
 *   they were omitted")
 */
const char *
_tg_server_form_value (GHashTable *form,
                       const char *name)
{
  const char *value = g_hash_table_lookup (form, name);

  return value != NULL && *value != '\0' ? value : NULL;
}

gboolean
_tg_server_is_loopback_peer (SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);

  return G_IS_INET_SOCKET_ADDRESS (address) &&
         g_inet_address_get_is_loopback (
           g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
}
