/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How a sign-in and a refresh look on the wire, and how their answers read:
 * the seed posts' JSON API and OAuth 2.0 (RFC 6749 password and refresh_token
 * grants, RFC 7009 revocation). No I/O happens here: the token manager sends
 * the messages, TgAuthProtocol only builds them and judges what came back —
 * which is where the decisions that matter live (only a dead refresh token
 * signs the user out; nothing secret reaches an error message or a log).
 *
 * Split by job: this file is the object — its endpoints, checked when it is
 * made, and the requests it builds; tg-auth-answer.c reads the answers, and
 * tg-auth-secrets.c keeps the secrets out of freed memory and out of error
 * messages.
 */
#define G_LOG_DOMAIN "tg-auth-protocol"

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "tg-auth-answer-private.h"
#include "tg-auth-error.h"
#include "tg-auth-protocol-private.h"
#include "tg-enums.h"

#define CONTENT_TYPE_JSON "application/json"
#define CONTENT_TYPE_FORM "application/x-www-form-urlencoded"

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

/*
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
                   _("Only http and https URLs are supported, not “%s”"), scheme);
      return FALSE;
    }
  if (!host_is_valid (host))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The URL has no valid host"));
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
        [ENDPOINT_SERVER] = _("The server URL is not a valid absolute URL"),
        [ENDPOINT_TOKEN] = _("The token endpoint is not a valid absolute URL"),
        [ENDPOINT_REVOCATION] = _("The revocation endpoint is not a valid absolute URL"),
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
          g_set_error (error, domain, code, _("The server URL is not usable: %s"), reason);
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
  _tg_auth_wipe_string (self->client_secret);
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
  g_autoptr(GBytes) body = _tg_auth_secret_bytes_new_take (text);
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
  credentials = _tg_auth_secret_string_new (capacity);
  _tg_auth_append_form_encoded (credentials, self->client_id);
  g_string_append_c (credentials, ':');
  _tg_auth_append_form_encoded (credentials, self->client_secret);
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
               const TgAuthField    *fields,
               gsize           n_fields)
{
  SoupMessage *msg = new_post (uri, CONTENT_TYPE_FORM, _tg_auth_encode_form (fields, n_fields));

  add_client_authentication (self, msg);
  return msg;
}

/*
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
      const TgAuthField fields[] = {
        { "userName", user_name },
        { "password", password },
      };

      msg = new_post (self->token_uri, CONTENT_TYPE_JSON,
                      _tg_auth_encode_json_object (fields, G_N_ELEMENTS (fields)));
    }
  else
    {
      const TgAuthField fields[] = {
        { "grant_type", "password" },
        { "username", user_name },
        { "password", password },
        { "scope", self->scope },
        { "client_id", body_client_id (self) },
      };
      msg = new_form_post (self, self->token_uri, fields, G_N_ELEMENTS (fields));
    }

  /* The user name is no secret: an error that repeats it helps. */
  _tg_auth_remember_request_secret (msg, password);
  return msg;
}

/*
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
      const TgAuthField fields[] = {
        { "refreshToken", refresh_token },
      };

      msg = new_post (self->refresh_uri, CONTENT_TYPE_JSON,
                      _tg_auth_encode_json_object (fields, G_N_ELEMENTS (fields)));
    }
  else
    {
      /* No scope (RFC 6749 §6): left out, it means the scope of the original
       * grant; sent, it may not exceed it, and servers such as Keycloak turn
       * down a refresh whose scope differs from the grant's in any way. */
      const TgAuthField fields[] = {
        { "grant_type", "refresh_token" },
        { "refresh_token", refresh_token },
        { "client_id", body_client_id (self) },
      };
      msg = new_form_post (self, self->refresh_uri, fields, G_N_ELEMENTS (fields));
    }

  _tg_auth_remember_request_secret (msg, refresh_token);
  return msg;
}

/*
 * tg_auth_protocol_new_code_message:
 * @self: an OAuth 2.0 #TgAuthProtocol
 * @code: the authorization code the redirect brought
 * @redirect_uri: the redirect URI the authorization request named
 * @code_verifier: the PKCE verifier whose challenge it sent
 *
 * The RFC 6749 §4.1.3 authorization_code grant, with the RFC 7636 §4.5
 * `code_verifier`. A public client names itself with `client_id`; a
 * confidential one authenticates as for every other grant. Like
 * tg_auth_protocol_new_sign_in_message(), its body can be re-sent, is wiped
 * when freed, and the code stays out of error messages.
 *
 * Returns: (transfer full): the message, ready to send
 */
SoupMessage *
tg_auth_protocol_new_code_message (TgAuthProtocol *self,
                                   const char     *code,
                                   const char     *redirect_uri,
                                   const char     *code_verifier)
{
  g_return_val_if_fail (TG_IS_AUTH_PROTOCOL (self), NULL);
  g_return_val_if_fail (self->kind == TG_AUTH_PROTOCOL_OAUTH2, NULL);
  g_return_val_if_fail (code != NULL && redirect_uri != NULL && code_verifier != NULL, NULL);

  {
    const TgAuthField fields[] = {
      { "grant_type", "authorization_code" },
      { "code", code },
      { "redirect_uri", redirect_uri },
      { "code_verifier", code_verifier },
      { "client_id", body_client_id (self) },
    };
    SoupMessage *msg = new_form_post (self, self->token_uri, fields, G_N_ELEMENTS (fields));

    /* The verifier is worthless once the code is spent; the code is the
     * secret until then. */
    _tg_auth_remember_request_secret (msg, code);
    return msg;
  }
}

/*
 * tg_auth_protocol_get_client_id:
 * @self: a #TgAuthProtocol
 *
 * Returns: (nullable): the OAuth 2.0 client ID
 */
const char *
tg_auth_protocol_get_client_id (TgAuthProtocol *self)
{
  g_return_val_if_fail (TG_IS_AUTH_PROTOCOL (self), NULL);
  return self->client_id;
}

/*
 * tg_auth_protocol_get_scope:
 * @self: a #TgAuthProtocol
 *
 * Returns: (nullable): the scope asked for
 */
const char *
tg_auth_protocol_get_scope (TgAuthProtocol *self)
{
  g_return_val_if_fail (TG_IS_AUTH_PROTOCOL (self), NULL);
  return self->scope;
}

static SoupMessage *
new_revoke_post (TgAuthProtocol *self,
                 const char     *refresh_token)
{
  const TgAuthField fields[] = {
    { "token", refresh_token },
    { "token_type_hint", "refresh_token" },
    { "client_id", body_client_id (self) },
  };
  SoupMessage *msg = new_form_post (self, self->revocation_uri, fields, G_N_ELEMENTS (fields));

  _tg_auth_remember_request_secret (msg, refresh_token);
  return msg;
}

/*
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

/*
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
  TgAuthSecrets secrets = { 0 };
  char *authorization = NULL;
  gsize authorization_size = 0;
  TgTokens *tokens;

  g_return_val_if_fail (TG_IS_AUTH_PROTOCOL (self), NULL);
  g_return_val_if_fail (operation == TG_AUTH_OPERATION_SIGN_IN ||
                        operation == TG_AUTH_OPERATION_REFRESH ||
                        operation == TG_AUTH_OPERATION_EXCHANGE_CODE, NULL);
  g_return_val_if_fail (request == NULL || SOUP_IS_MESSAGE (request), NULL);
  g_return_val_if_fail (request != NULL || operation == TG_AUTH_OPERATION_REFRESH, NULL);
  g_return_val_if_fail (reply != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (request != NULL)
    _tg_auth_secrets_add_remembered (&secrets, request);
  _tg_auth_secrets_add (&secrets, previous_refresh_token);
  if (self->client_secret != NULL)
    {
      _tg_auth_secrets_add (&secrets, self->client_secret);
      /* A server that echoes the request's headers echoes the secret in
       * Base64: take that out too. */
      authorization = basic_authorization_new (self, &authorization_size);
      _tg_auth_secrets_add (&secrets, authorization + strlen ("Basic "));
    }

  tokens = _tg_auth_answer_parse (self->kind, operation, reply, previous_refresh_token,
                                  &secrets, now, error);

  if (authorization != NULL)
    explicit_bzero (authorization, authorization_size);
  g_free (authorization);
  return tokens;
}

/*
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
  g_return_val_if_fail (TG_IS_AUTH_PROTOCOL (self), NULL);
  g_return_val_if_fail (reply != NULL, NULL);

  return _tg_auth_answer_read_refresh_token (self->kind, reply);
}

/*
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
