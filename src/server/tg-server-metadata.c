/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GET /.well-known/oauth-authorization-server: the server's metadata (RFC
 * 8414), so that a client given only the server's address finds its
 * endpoints and what they take.
 *
 * The issuer is the server's base URI, the address the document is asked for
 * minus the well-known suffix (RFC 8414 §3.3), and it is also the `iss` that
 * the browser sign-in sends back with every code (RFC 9207).
 */
#define G_LOG_DOMAIN "tg-server"

#include "config.h"

#include "tg-json-builder.h"
#include "tg-server-private.h"

static void
add_strings (JsonBuilder        *builder,
             const char         *name,
             const char * const *values)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

static void
add_endpoint (JsonBuilder *builder,
              TgServer    *self,
              const char  *name,
              const char  *path)
{
  g_autofree char *uri = g_strconcat (self->base_uri, path, NULL);

  tg_json_builder_add_string_member (builder, name, uri);
}

static void
metadata_handler (TgServer          *self,
                  SoupServerMessage *msg,
                  const char        *path,
                  gpointer           data)
{
  static const char * const response_types[] = { "code", NULL };
  static const char * const response_modes[] = { "query", NULL };
  static const char * const grant_types[] = { "authorization_code", "refresh_token", "password", NULL };
  static const char * const challenge_methods[] = { "S256", NULL };
  /* The one registered client is public (tg-server-clients.c). */
  static const char * const auth_methods[] = { "none", NULL };
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  if (!_tg_server_check_method (msg, SOUP_METHOD_GET, NULL))
    return;

  json_builder_begin_object (builder);
  tg_json_builder_add_string_member (builder, "issuer", self->base_uri);
  add_endpoint (builder, self, "authorization_endpoint", "/oauth2/authorize");
  add_endpoint (builder, self, "token_endpoint", "/oauth2/token");
  add_endpoint (builder, self, "revocation_endpoint", "/oauth2/revoke");
  add_endpoint (builder, self, "userinfo_endpoint", TG_SERVER_USERINFO_PATH);
  add_strings (builder, "response_types_supported", response_types);
  add_strings (builder, "response_modes_supported", response_modes);
  add_strings (builder, "grant_types_supported", grant_types);
  add_strings (builder, "code_challenge_methods_supported", challenge_methods);
  add_strings (builder, "token_endpoint_auth_methods_supported", auth_methods);
  add_strings (builder, "revocation_endpoint_auth_methods_supported", auth_methods);
  add_strings (builder, "scopes_supported", _tg_server_scopes);
  json_builder_set_member_name (builder, "authorization_response_iss_parameter_supported");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);

  _tg_server_reply_builder (msg, SOUP_STATUS_OK, builder);
}

void
_tg_server_metadata_register (TgServer *self)
{
  _tg_server_route (self, "/.well-known/oauth-authorization-server", FALSE, metadata_handler, NULL);
}
