/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The protected resources (/api/resources and /api/resources/{id}) and the
 * bearer tokens that open them (RFC 6750): the Authorization header read
 * strictly, the JWT verified against the current signing epoch and the
 * revoked sessions, and a challenge that says why a token was refused.
 */
#define G_LOG_DOMAIN "tg-server"

#include "config.h"

#include <string.h>

#include "tg-base64url.h"
#include "tg-jwt.h"
#include "tg-json-builder.h"
#include "tg-server-private.h"

/* RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 * A table, since every request's token goes through it. */
static const gboolean b64token_chars[256] = {
  ['A' ... 'Z'] = TRUE, ['a' ... 'z'] = TRUE, ['0' ... '9'] = TRUE,
  ['-'] = TRUE, ['.'] = TRUE, ['_'] = TRUE, ['~'] = TRUE, ['+'] = TRUE, ['/'] = TRUE,
};

static gboolean
is_b64token (const char *token)
{
  const char *p = token;

  while (b64token_chars[(guchar) *p])
    p++;
  if (p == token)
    return FALSE;
  while (*p == '=')
    p++;

  return *p == '\0';
}

static gboolean
is_resource_id (const char *id)
{
  gsize len = strlen (id);

  if (len == 0 || len > 64)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;

  return TRUE;
}

static void
reply_unauthorized (SoupServerMessage *msg,
                    guint              status,
                    const char        *error,
                    const char        *description)
{
  g_autofree char *challenge = NULL;

  if (error == NULL)
    challenge = g_strdup ("Bearer realm=\"" TG_SERVER_REALM "\"");
  else
    /* Our descriptions are fixed sentences with no quotes or backslashes, so they
     * can go into a quoted-string as they are (RFC 6750 §3). */
    challenge = g_strdup_printf ("Bearer realm=\"" TG_SERVER_REALM "\", error=\"%s\", "
                                 "error_description=\"%s\"", error, description);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "WWW-Authenticate", challenge);
  _tg_server_reply_error (msg, status, error != NULL ? error : "unauthorized", description);
}

/* The `kid` of @token's header, unverified; %NULL if there is none to read. */
static char *
peek_key_id (const char *token)
{
  const char *dot = strchr (token, '.');
  g_autofree guint8 *header = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;
  JsonNode *kid;
  gsize len = 0;

  if (dot == NULL)
    return NULL;
  header = tg_base64url_decode (token, dot - token, &len);
  parser = json_parser_new_immutable ();
  if (header == NULL || !json_parser_load_from_data (parser, (const char *) header, len, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  kid = json_object_get_member (json_node_get_object (root), "kid");
  if (kid == NULL || !JSON_NODE_HOLDS_VALUE (kid) || json_node_get_value_type (kid) != G_TYPE_STRING)
    return NULL;

  return g_strdup (json_node_get_string (kid));
}

/* Why a token whose `kid` is not the current epoch is refused. Only a token this
 * server signed in an earlier epoch was "expired by the server"; anything else —
 * a `kid` that never was an epoch, a bad signature — is just invalid, and says
 * what tg_jwt_verify() says about it. */
static char *
describe_key_id_error (TgServer     *self,
                       const char   *token,
                       const GError *error)
{
  g_autofree char *kid = peek_key_id (token);
  g_autoptr(TgJwtClaims) claims = NULL;
  g_autoptr(GError) past_error = NULL;
  guint64 epoch = 0;
  guint64 current = g_ascii_strtoull (self->key_id, NULL, 10);

  if (kid == NULL || kid[0] == '0' || current < 2 ||
      !g_ascii_string_to_unsigned (kid, 10, 1, current - 1, &epoch, NULL))
    return g_strdup (error->message);

  claims = tg_jwt_verify (self->key, kid, TG_SERVER_ISSUER, TG_SERVER_AUDIENCE,
                          _tg_server_now (), token, &past_error);
  if (claims == NULL && !g_error_matches (past_error, TG_JWT_ERROR, TG_JWT_ERROR_EXPIRED))
    return g_strdup (past_error->message);

  return g_strdup ("the access token was expired by the server");
}

/* Whether @headers has @name more than once; @one is its value
 * (soup_message_headers_get_one()), or %NULL. libsoup joins the values of a
 * repeated header with ", " in soup_message_headers_get_list(), so the joined
 * text is longer than any one value exactly when there is more than one. One
 * lookup, where walking every header with a case-insensitive compare was a
 * cost on each request that grew with the headers a client sends. */
static gboolean
has_repeated_header (SoupMessageHeaders *headers,
                     const char         *name,
                     const char         *one)
{
  return one != NULL && strlen (soup_message_headers_get_list (headers, name)) != strlen (one);
}

/* The claims of the request's valid bearer token; otherwise %NULL, with
 * the RFC 6750 answer set. */
static const TgJwtClaims *
authorize (TgServer          *self,
           SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");
  const TgJwtClaims *claims;
  g_autoptr(GError) error = NULL;
  const char *token;

  /* Which of two credentials would count is not for us to guess (RFC 6750 §3.1:
   * more than one way of presenting a token is invalid_request). */
  if (has_repeated_header (headers, "Authorization", authorization))
    {
      reply_unauthorized (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                          "the request has more than one Authorization header");
      return NULL;
    }

  /* RFC 7235 §2.1: the scheme name is case-insensitive. */
  if (authorization == NULL || g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0)
    {
      reply_unauthorized (msg, SOUP_STATUS_UNAUTHORIZED, NULL,
                          "this resource needs a Bearer access token");
      return NULL;
    }

  token = authorization + 7;
  while (*token == ' ')
    token++;

  /* Verified before its RFC 6750 syntax is: a token the verifier takes is
   * base64url in three segments, which is a b64token, so the syntax only
   * needs checking for a token it refused: the answer is the same for every
   * token, and a good one is scanned once instead of twice. */
  claims = tg_jwt_verifier_verify (self->verifier, _tg_server_now (), token, &error);
  if (claims == NULL && !is_b64token (token))
    {
      reply_unauthorized (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                          "the Authorization header is malformed");
      return NULL;
    }
  if (claims == NULL)
    {
      g_autofree char *description =
        g_error_matches (error, TG_JWT_ERROR, TG_JWT_ERROR_KEY_ID)
          ? describe_key_id_error (self, token, error)
          : g_strdup (error->message);

      reply_unauthorized (msg, SOUP_STATUS_UNAUTHORIZED, "invalid_token", description);
      return NULL;
    }

  if (g_hash_table_contains (self->revoked_families, &claims->sid))
    {
      reply_unauthorized (msg, SOUP_STATUS_UNAUTHORIZED, "invalid_token",
                          "the session of this access token was revoked");
      return NULL;
    }
  return claims;
}

static void
authorize_and_answer (TgServer          *self,
                      SoupServerMessage *msg,
                      const char        *id)
{
  const TgJwtClaims *claims = authorize (self, msg);
  char *body;

  if (claims == NULL)
    return;

  /* Not printf: this is every request's answer. A token without a name says
   * "(null)", as it always has. */
  body = g_strconcat ("protected resources, username: ",
                      claims->name != NULL ? claims->name : "(null)",
                      id != NULL ? ", id: " : NULL, id, NULL);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_TAKE,
                                    body, strlen (body));
}

static void
resources_handler (TgServer          *self,
                   SoupServerMessage *msg,
                   const char        *path,
                   gpointer           data)
{
  const char *id = NULL;

  if (strcmp (path, "/api/resources") != 0)
    {
      id = path + strlen ("/api/resources");
      if (*id++ != '/' || !is_resource_id (id))
        {
          _tg_server_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "no such resource");
          return;
        }
    }

  if (!_tg_server_check_method (msg, SOUP_METHOD_GET, NULL))
    return;

  authorize_and_answer (self, msg, id);
  _tg_server_exchanged (self, msg, TG_SERVER_EXCHANGE_RESOURCE);
}

/* OpenID Connect Core §5.3: who the access token's user is. The demo user
 * has no other name than the one they sign in with, so that is all three. */
static void
userinfo_handler (TgServer          *self,
                  SoupServerMessage *msg,
                  const char        *path,
                  gpointer           data)
{
  g_autoptr(JsonBuilder) builder = NULL;
  const TgJwtClaims *claims;

  if (!_tg_server_check_method (msg, SOUP_METHOD_GET, SOUP_METHOD_POST, NULL))
    return;
  claims = authorize (self, msg);
  if (claims != NULL)
    {
      builder = json_builder_new ();
      json_builder_begin_object (builder);
      /* Claims a token lacks are left out, not sent as null (§5.3.2). */
      if (claims->sub != NULL)
        tg_json_builder_add_string_member (builder, "sub", claims->sub);
      if (claims->name != NULL)
        {
          tg_json_builder_add_string_member (builder, "name", claims->name);
          tg_json_builder_add_string_member (builder, "preferred_username", claims->name);
        }
      json_builder_end_object (builder);
      _tg_server_reply_builder (msg, SOUP_STATUS_OK, builder);
    }
  _tg_server_exchanged (self, msg, TG_SERVER_EXCHANGE_RESOURCE);
}

void
_tg_server_resources_register (TgServer *self)
{
  _tg_server_route (self, "/api/resources", TRUE, resources_handler, NULL);  /* and /{id} */
  _tg_server_route (self, TG_SERVER_USERINFO_PATH, FALSE, userinfo_handler, NULL);
}
