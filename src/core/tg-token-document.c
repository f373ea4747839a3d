/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The stored document: the one JSON text both token stores keep, the Secret
 * Service as an item's secret, the file store as a file's content. Parsing is
 * strict, because what comes back from a store may have been truncated,
 * tampered with or left by another version, and all of that means "signed
 * out"; and no error message ever quotes the document, which holds the
 * tokens.
 */
#define G_LOG_DOMAIN "tg-token-store"

#include "config.h"

#include <json-glib/json-glib.h>

#include "tg-json-check.h"
#include "tg-token-document-private.h"

/* The version of the stored document; a document with any other version is
 * treated as unreadable (signed out), never guessed at. */
#define DOCUMENT_VERSION 1

/*
 * _tg_token_document_serialize:
 * @tokens: the pair
 * @length: (out): the document's length in bytes
 *
 * `{"version":1,"accessToken":…,"refreshToken":…|null,"expiresAt":µs}`.
 * The caller wipes the result before freeing it: it holds the tokens.
 *
 * Returns: (transfer full): the document, NUL-terminated
 */
char *
_tg_token_document_serialize (TgTokens *tokens,
                              gsize    *length)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  const char *refresh_token = tg_tokens_get_refresh_token (tokens);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, DOCUMENT_VERSION);
  json_builder_set_member_name (builder, "accessToken");
  json_builder_add_string_value (builder, tg_tokens_get_access_token (tokens));
  json_builder_set_member_name (builder, "refreshToken");
  if (refresh_token != NULL)
    json_builder_add_string_value (builder, refresh_token);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "expiresAt");
  json_builder_add_int_value (builder, tg_tokens_get_expires_at (tokens));
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  return json_generator_to_data (generator, length);
}

/* A member that may be absent or null; anything else must have @type. */
static gboolean
optional_member (JsonObject  *object,
                 const char  *name,
                 GType        type,
                 JsonNode   **out_node)
{
  JsonNode *node = json_object_get_member (object, name);

  *out_node = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return FALSE;

  *out_node = node;
  return TRUE;
}

static gpointer
fail (GError     **error,
      const char  *why)
{
  /* A fixed text on purpose: json-glib's own messages quote the document,
   * and the document holds the tokens. */
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, why);
  return NULL;
}

/*
 * _tg_token_document_parse:
 * @data: a stored document, not necessarily NUL-terminated
 * @length: its length in bytes
 * @error: return location for a #GError whose message never quotes @data
 *
 * Accepts exactly what _tg_token_document_serialize() writes (version 1, a
 * non-empty access token, an optional refresh token, a non-negative expiry),
 * and nothing else: a store that has been tampered with or truncated means
 * signed out.
 *
 * Returns: (transfer full) (nullable): the pair, or %NULL with @error set
 */
TgTokens *
_tg_token_document_parse (const char  *data,
                          gsize        length,
                          GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;
  JsonObject *object;
  JsonNode *node;
  JsonNode *refresh_node;
  JsonNode *expires_node;
  const char *access_token;
  gint64 expires_at = 0;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length > TG_TOKEN_DOCUMENT_MAX_SIZE)
    return fail (error, "larger than 64 KiB");
  if (length == 0)
    return fail (error, "empty");
  /* Also refuses embedded NUL bytes, which would cut the strings short. */
  if (!g_utf8_validate (data, (gssize) length, NULL))
    return fail (error, "not UTF-8");

  /* Our document is one flat object; json-glib would leak on several values
   * in a row and recurse on deep nesting (tg-json-check.c). */
  if (!tg_json_check_text (data, length, 16, TG_JSON_CHECK_NONE, NULL))
    return fail (error, "not valid JSON");
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) length, NULL))
    return fail (error, "not valid JSON");

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fail (error, "not a JSON object");
  object = json_node_get_object (root);

  node = json_object_get_member (object, "version");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) != DOCUMENT_VERSION)
    return fail (error, "not version 1");

  node = json_object_get_member (object, "accessToken");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return fail (error, "no access token");
  access_token = json_node_get_string (node);
  if (access_token == NULL || *access_token == '\0')
    return fail (error, "no access token");

  if (!optional_member (object, "refreshToken", G_TYPE_STRING, &refresh_node))
    return fail (error, "the refresh token is not a string");

  if (!optional_member (object, "expiresAt", G_TYPE_INT64, &expires_node))
    return fail (error, "the expiry is not an integer");
  if (expires_node != NULL)
    expires_at = json_node_get_int (expires_node);
  if (expires_at < 0)
    return fail (error, "the expiry is negative");

  return tg_tokens_new (access_token,
                        refresh_node != NULL ? json_node_get_string (refresh_node) : NULL,
                        expires_at);
}
