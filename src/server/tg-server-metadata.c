/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GET /.well-known/oauth-authorization-server: the server's metadata (RFC
 * 8414), so that a client given only the server's address finds its
 * endpoints and what they take.
 *
 * The issuer is the address the document is asked for minus the well-known
 * suffix (RFC 8414 §3.3), and it is also the `iss` that the browser sign-in
 * sends back with every code (RFC 9207). Clients compare both with the URL
 * they were given, byte for byte (OpenID Connect Discovery §4.3), so the
 * issuer must be the one URL clients are told to use.
 */
#define G_LOG_DOMAIN "tg-server"

#include "config.h"

#include <string.h>

#include "tg-json-builder.h"
#include "tg-server-private.h"

static gboolean
issuer_is_valid (TgServer  *self,
                 GError   **error)
{
  g_autoptr(GUri) uri = g_uri_parse (self->issuer_uri, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;

  /* RFC 8414 §2: no query or fragment; and no path either, because every
   * endpoint is at the server's root and is advertised as issuer + path. */
  if (uri == NULL || (strcmp (scheme, "http") != 0 && strcmp (scheme, "https") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      g_uri_get_userinfo (uri) != NULL || *g_uri_get_path (uri) != '\0' ||
      g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "the issuer must be http(s)://HOST[:PORT] with nothing after it, not “%s”",
                   self->issuer_uri);
      return FALSE;
    }
  /* An https issuer in front of a plain server is a TLS-terminating proxy;
   * the other way round, no client could ever connect. */
  if (self->tls_certificate != NULL && strcmp (scheme, "https") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "the server speaks HTTPS, so its issuer must be an https URL, not “%s”",
                   self->issuer_uri);
      return FALSE;
    }

  return TRUE;
}

/**
 * _tg_server_set_issuer:
 * @address: the address the server listens on
 *
 * Decides what the server tells clients its address is, once it listens.
 * By default, that address: on loopback (the app's embedded server, the
 * tests) or on one interface's address, it is the URL clients use. On every
 * address at once (0.0.0.0 or ::) it is not: "http://0.0.0.0:7000" is no
 * address a client elsewhere can use, and a guess (the host name, one of the
 * interfaces) would hand clients an issuer that may not reach us or that
 * differs from the URL they were given, which discovery rejects. Only the
 * person starting the server knows the URL, so it must be given
 * (#TgServer:issuer, `--issuer`), and starting fails until it is.
 */
gboolean
_tg_server_set_issuer (TgServer      *self,
                       GInetAddress  *address,
                       GError       **error)
{
  if (self->issuer_uri == NULL)
    {
      if (g_inet_address_get_is_any (address))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "listening on every address (%s), the server cannot tell clients "
                       "where to find it: give the URL they reach it at as its issuer "
                       "(--issuer http(s)://HOST:PORT)", self->host);
          return FALSE;
        }
      self->issuer = g_strdup (self->base_uri);
      return TRUE;
    }

  if (!issuer_is_valid (self, error))
    return FALSE;
  self->issuer = g_strdup (self->issuer_uri);

  /* Behind a reverse proxy, requests come with the issuer's host as Host. */
  {
    g_autoptr(GUri) uri = g_uri_parse (self->issuer, G_URI_FLAGS_SCHEME_NORMALIZE, NULL);

    self->issuer_host = g_strdup (g_uri_get_host (uri));
    self->issuer_port = g_uri_get_port (uri);
  }
  return TRUE;
}

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
  g_autofree char *uri = g_strconcat (self->issuer, path, NULL);

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
  /* client_secret_basic: the confidential client (tg-server-clients.c). */
  static const char * const auth_methods[] = { "none", "client_secret_basic", NULL };
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  if (!_tg_server_check_method (msg, SOUP_METHOD_GET, NULL))
    return;

  json_builder_begin_object (builder);
  tg_json_builder_add_string_member (builder, "issuer", self->issuer);
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
