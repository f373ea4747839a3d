/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgClientConfig: what a client needs, and the one place that turns it into a
 * ready TgApiClient — protocol from URI and kind, store, token manager,
 * client. The app and the CLI both build their clients here, so that the
 * OAuth 2.0 endpoints below a server (`/oauth2/token`, `/oauth2/revoke`) and
 * the checks on a URI that will receive passwords are written once.
 *
 * A little over 1,000 lines, nearly all of them the accessors of its
 * properties and their documentation; the building itself is the last
 * section.
 */
#define G_LOG_DOMAIN "tg-client-config"

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "tg-auth-error.h"
#include "tg-auth-protocol-private.h"
#include "tg-client-config.h"
#include "tg-enums.h"

/**
 * TgClientConfig:
 *
 * Everything needed to talk to one server: where it is, how to sign in there
 * (#TgAuthProtocolKind and, for OAuth 2.0, the client's registration), where
 * to keep the session, and how the token manager retries.
 *
 * Set it up, then call tg_client_config_build_async() for a #TgApiClient
 * whose #TgTokenManager is ready to sign in or restore a kept session:
 *
 * |[<!-- language="C" -->
 * g_autoptr(TgClientConfig) config = tg_client_config_new ();
 *
 * if (!tg_client_config_set_server_uri (config, "https://example.org", &error))
 *   return;
 * tg_client_config_set_protocol_kind (config, TG_AUTH_PROTOCOL_OAUTH2);
 * tg_client_config_set_client_id (config, "my-app");
 * tg_client_config_set_use_default_store (config, TRUE);
 * tg_client_config_build_async (config, cancellable, client_ready, self);
 * ]|
 *
 * For OAuth 2.0 without an explicit token endpoint, the endpoints are those
 * below the server: `SERVER/oauth2/token` and `SERVER/oauth2/revoke` (RFC
 * 7009). An explicit token endpoint may well be another host, so no
 * revocation endpoint is guessed next to it.
 */

struct _TgClientConfig
{
  GObject             parent_instance;

  char               *server_uri;            /* nullable; no trailing '/' */
  TgAuthProtocolKind  protocol_kind;
  char               *token_endpoint;        /* nullable: explicit */
  char               *revocation_endpoint;   /* nullable: explicit */
  char               *derived_token;         /* nullable: SERVER/oauth2/token */
  char               *derived_revocation;    /* nullable: SERVER/oauth2/revoke */
  char               *client_id;             /* nullable */
  char               *client_secret;         /* nullable; wiped when freed */
  char               *scope;                 /* nullable */
  char               *account;               /* nullable: explicit */
  TgProvider         *provider;              /* owned, nullable: discovered */
  TgTokenStore       *store;                 /* owned, nullable */
  gboolean            use_default_store;
  TgRetryPolicy       retry_policy;
  gboolean            proactive;
};

G_DEFINE_FINAL_TYPE (TgClientConfig, tg_client_config, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SERVER_URI,
  PROP_PROTOCOL_KIND,
  PROP_TOKEN_ENDPOINT,
  PROP_REVOCATION_ENDPOINT,
  PROP_CLIENT_ID,
  PROP_CLIENT_SECRET,
  PROP_SCOPE,
  PROP_ACCOUNT,
  PROP_STORE,
  PROP_USE_DEFAULT_STORE,
  PROP_RETRY_POLICY,
  PROP_PROACTIVE,
  PROP_PROVIDER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------------- */
/* URIs                                                                      */

static void
wipe_string (char *secret)
{
  if (secret != NULL)
    explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

/* @text as a URI fit to receive passwords and tokens, without surrounding
 * blanks and trailing slashes ("https://example.org/" and
 * "https://example.org" are one server). The errors never repeat the text: it
 * may hold a password. */
static char *
check_uri (const char  *text,
           GError     **error)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  g_autoptr(GUri) uri = NULL;
  gsize length;

  uri = g_uri_parse (copy, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("This is not a URL: use http:// or https:// followed by a host name"));
      return NULL;
    }
  if (g_uri_get_user (uri) != NULL || g_uri_get_password (uri) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("A user name or password in the URL is not supported"));
      return NULL;
    }
  /* Paths are appended to a server URI: a query or fragment would end up in
   * the middle of them. */
  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The URL must not have a query or fragment"));
      return NULL;
    }
  if (!tg_uri_is_safe_for_tokens (uri, error))
    return NULL;

  length = strlen (copy);
  while (length > 0 && copy[length - 1] == '/')
    copy[--length] = '\0';
  return g_steal_pointer (&copy);
}

/* Sets *@field to @text checked, or to %NULL for a %NULL or empty @text.
 * Returns FALSE with @error set, leaving *@field alone, when @text is no
 * usable URI. */
static gboolean
set_uri (char        **field,
         const char   *text,
         gboolean     *out_changed,
         GError      **error)
{
  g_autofree char *checked = NULL;

  *out_changed = FALSE;
  if (text != NULL && *text != '\0')
    {
      checked = check_uri (text, error);
      if (checked == NULL)
        return FALSE;
    }

  if (g_strcmp0 (*field, checked) != 0)
    {
      g_free (*field);
      *field = g_steal_pointer (&checked);
      *out_changed = TRUE;
    }
  return TRUE;
}

static const char *
protocol_nick (TgAuthProtocolKind kind)
{
  return kind == TG_AUTH_PROTOCOL_OAUTH2 ? "oauth2" : "seed";
}

static void
notify_endpoints (TgClientConfig *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN_ENDPOINT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REVOCATION_ENDPOINT]);
}

static void
set_string (TgClientConfig *self,
            char          **field,
            const char     *value,
            guint           prop_id)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

/* ------------------------------------------------------------------------- */
/* GObject                                                                   */

static void
tg_client_config_dispose (GObject *object)
{
  TgClientConfig *self = TG_CLIENT_CONFIG (object);

  g_clear_object (&self->store);
  g_clear_object (&self->provider);

  G_OBJECT_CLASS (tg_client_config_parent_class)->dispose (object);
}

static void
tg_client_config_finalize (GObject *object)
{
  TgClientConfig *self = TG_CLIENT_CONFIG (object);

  g_free (self->server_uri);
  g_free (self->token_endpoint);
  g_free (self->revocation_endpoint);
  g_free (self->derived_token);
  g_free (self->derived_revocation);
  g_free (self->client_id);
  wipe_string (self->client_secret);
  g_free (self->scope);
  g_free (self->account);

  G_OBJECT_CLASS (tg_client_config_parent_class)->finalize (object);
}

static void
tg_client_config_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TgClientConfig *self = TG_CLIENT_CONFIG (object);

  switch (prop_id)
    {
    case PROP_SERVER_URI:
      g_value_set_string (value, self->server_uri);
      break;
    case PROP_PROTOCOL_KIND:
      g_value_set_enum (value, self->protocol_kind);
      break;
    case PROP_TOKEN_ENDPOINT:
      g_value_set_string (value, tg_client_config_get_token_endpoint (self));
      break;
    case PROP_REVOCATION_ENDPOINT:
      g_value_set_string (value, tg_client_config_get_revocation_endpoint (self));
      break;
    case PROP_CLIENT_ID:
      g_value_set_string (value, self->client_id);
      break;
    case PROP_SCOPE:
      g_value_set_string (value, self->scope);
      break;
    case PROP_ACCOUNT:
      g_value_take_string (value, tg_client_config_dup_account (self));
      break;
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_USE_DEFAULT_STORE:
      g_value_set_boolean (value, self->use_default_store);
      break;
    case PROP_RETRY_POLICY:
      g_value_set_enum (value, self->retry_policy);
      break;
    case PROP_PROACTIVE:
      g_value_set_boolean (value, self->proactive);
      break;
    case PROP_PROVIDER:
      g_value_set_object (value, self->provider);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_client_config_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  TgClientConfig *self = TG_CLIENT_CONFIG (object);

  switch (prop_id)
    {
    case PROP_PROTOCOL_KIND:
      tg_client_config_set_protocol_kind (self, g_value_get_enum (value));
      break;
    case PROP_CLIENT_ID:
      tg_client_config_set_client_id (self, g_value_get_string (value));
      break;
    case PROP_CLIENT_SECRET:
      tg_client_config_set_client_secret (self, g_value_get_string (value));
      break;
    case PROP_SCOPE:
      tg_client_config_set_scope (self, g_value_get_string (value));
      break;
    case PROP_ACCOUNT:
      tg_client_config_set_account (self, g_value_get_string (value));
      break;
    case PROP_STORE:
      tg_client_config_set_store (self, g_value_get_object (value));
      break;
    case PROP_USE_DEFAULT_STORE:
      tg_client_config_set_use_default_store (self, g_value_get_boolean (value));
      break;
    case PROP_RETRY_POLICY:
      tg_client_config_set_retry_policy (self, g_value_get_enum (value));
      break;
    case PROP_PROACTIVE:
      tg_client_config_set_proactive (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_client_config_class_init (TgClientConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags readable = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  GParamFlags settable = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = tg_client_config_dispose;
  object_class->finalize = tg_client_config_finalize;
  object_class->get_property = tg_client_config_get_property;
  object_class->set_property = tg_client_config_set_property;

  /**
   * TgClientConfig:server-uri: (getter get_server_uri)
   *
   * The server, without a trailing slash; set with
   * tg_client_config_set_server_uri(), which checks it.
   */
  properties[PROP_SERVER_URI] =
    g_param_spec_string ("server-uri", NULL, NULL, NULL, readable);

  /**
   * TgClientConfig:protocol-kind: (getter get_protocol_kind) (setter set_protocol_kind)
   *
   * How to sign in.
   */
  properties[PROP_PROTOCOL_KIND] =
    g_param_spec_enum ("protocol-kind", NULL, NULL, TG_TYPE_AUTH_PROTOCOL_KIND,
                       TG_AUTH_PROTOCOL_SEED, settable);

  /**
   * TgClientConfig:token-endpoint: (getter get_token_endpoint)
   *
   * The OAuth 2.0 token endpoint: the one set with
   * tg_client_config_set_token_endpoint(), or else `SERVER/oauth2/token`;
   * %NULL for the seed protocol or without a server.
   */
  properties[PROP_TOKEN_ENDPOINT] =
    g_param_spec_string ("token-endpoint", NULL, NULL, NULL, readable);

  /**
   * TgClientConfig:revocation-endpoint: (getter get_revocation_endpoint)
   *
   * The OAuth 2.0 revocation endpoint (RFC 7009): the one set with
   * tg_client_config_set_revocation_endpoint(), or else
   * `SERVER/oauth2/revoke` when the token endpoint is the default one too.
   */
  properties[PROP_REVOCATION_ENDPOINT] =
    g_param_spec_string ("revocation-endpoint", NULL, NULL, NULL, readable);

  /**
   * TgClientConfig:client-id: (getter get_client_id) (setter set_client_id)
   *
   * The OAuth 2.0 client identifier, if the server wants one.
   */
  properties[PROP_CLIENT_ID] =
    g_param_spec_string ("client-id", NULL, NULL, NULL, settable);

  /**
   * TgClientConfig:client-secret: (setter set_client_secret)
   *
   * The OAuth 2.0 client secret of a confidential client. Write-only: it is
   * handed to the protocol, never shown.
   */
  properties[PROP_CLIENT_SECRET] =
    g_param_spec_string ("client-secret", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * TgClientConfig:scope: (getter get_scope) (setter set_scope)
   *
   * The OAuth 2.0 scope to ask for (space-separated).
   */
  properties[PROP_SCOPE] =
    g_param_spec_string ("scope", NULL, NULL, NULL, settable);

  /* No (setter) annotation on this one: g-ir-scanner 1.74 would then pair
   * the property with the previous property's getter. It finds
   * tg_client_config_set_account() by its name anyway. */
  /**
   * TgClientConfig:account:
   *
   * The name the session is kept under in the token store; by default
   * "SERVER-URI PROTOCOL", such as `https://example.org oauth2`.
   */
  properties[PROP_ACCOUNT] =
    g_param_spec_string ("account", NULL, NULL, NULL, settable);

  /**
   * TgClientConfig:store: (getter get_store) (setter set_store)
   *
   * Where the session is kept; %NULL for the default store when
   * #TgClientConfig:use-default-store is set, and for memory only otherwise.
   */
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, TG_TYPE_TOKEN_STORE, settable);

  /**
   * TgClientConfig:use-default-store: (getter get_use_default_store) (setter set_use_default_store)
   *
   * Whether a client built without #TgClientConfig:store keeps its session
   * in the default store (the Secret Service, or a private file); see
   * tg_token_store_new_default_async().
   */
  properties[PROP_USE_DEFAULT_STORE] =
    g_param_spec_boolean ("use-default-store", NULL, NULL, FALSE, settable);

  /**
   * TgClientConfig:retry-policy: (getter get_retry_policy) (setter set_retry_policy)
   *
   * The token manager's #TgTokenManager:retry-policy.
   */
  properties[PROP_RETRY_POLICY] =
    g_param_spec_enum ("retry-policy", NULL, NULL, TG_TYPE_RETRY_POLICY,
                       TG_RETRY_POLICY_ALL, settable);

  /**
   * TgClientConfig:proactive: (getter get_proactive) (setter set_proactive)
   *
   * The token manager's #TgTokenManager:proactive.
   */
  properties[PROP_PROACTIVE] =
    g_param_spec_boolean ("proactive", NULL, NULL, TRUE, settable);

  /**
   * TgClientConfig:provider:
   *
   * The discovered provider whose endpoints are used, if any; set with
   * tg_client_config_set_provider().
   */
  properties[PROP_PROVIDER] =
    g_param_spec_object ("provider", NULL, NULL, TG_TYPE_PROVIDER, readable | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tg_client_config_init (TgClientConfig *self)
{
  self->protocol_kind = TG_AUTH_PROTOCOL_SEED;
  self->retry_policy = TG_RETRY_POLICY_ALL;
  self->proactive = TRUE;
}

/**
 * tg_client_config_new:
 *
 * A configuration without a server yet, for the seed protocol, that keeps
 * the session in memory only.
 *
 * Returns: (transfer full): a new #TgClientConfig
 */
TgClientConfig *
tg_client_config_new (void)
{
  return g_object_new (TG_TYPE_CLIENT_CONFIG, NULL);
}

/* ------------------------------------------------------------------------- */
/* Where                                                                     */

/**
 * tg_client_config_get_server_uri:
 * @self: a #TgClientConfig
 *
 * Returns: (nullable): the server, without a trailing slash
 */
const char *
tg_client_config_get_server_uri (TgClientConfig *self)
{
  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), NULL);

  return self->server_uri;
}

/**
 * tg_client_config_set_server_uri:
 * @self: a #TgClientConfig
 * @server_uri: the server, such as `https://example.org` or
 *   `http://127.0.0.1:8080`
 * @error: return location for a #GError
 *
 * Sets the server that requests (and, unless a token endpoint is set, the
 * sign-in) go to. Checked here, before any password is typed: it must be an
 * http(s) URL with a host and without a user name, password, query or
 * fragment (%G_IO_ERROR_INVALID_ARGUMENT), and plain http only to a loopback
 * host (%TG_AUTH_ERROR_INSECURE). Surrounding blanks and trailing slashes
 * are dropped.
 *
 * Returns: %TRUE if set; %FALSE with @error set, leaving @self unchanged
 */
gboolean
tg_client_config_set_server_uri (TgClientConfig  *self,
                                 const char      *server_uri,
                                 GError         **error)
{
  gboolean changed;

  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), FALSE);
  g_return_val_if_fail (server_uri != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (*server_uri == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("This is not a URL: use http:// or https:// followed by a host name"));
      return FALSE;
    }
  if (!set_uri (&self->server_uri, server_uri, &changed, error))
    return FALSE;
  if (!changed)
    return TRUE;

  /* The one place the endpoints below a server are spelt out. */
  g_free (self->derived_token);
  g_free (self->derived_revocation);
  self->derived_token = g_strconcat (self->server_uri, "/oauth2/token", NULL);
  self->derived_revocation = g_strconcat (self->server_uri, "/oauth2/revoke", NULL);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_URI]);
  notify_endpoints (self);
  if (self->account == NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACCOUNT]);
  return TRUE;
}

/**
 * tg_client_config_get_protocol_kind:
 * @self: a #TgClientConfig
 *
 * Returns: how the client signs in
 */
TgAuthProtocolKind
tg_client_config_get_protocol_kind (TgClientConfig *self)
{
  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), TG_AUTH_PROTOCOL_SEED);

  return self->protocol_kind;
}

/**
 * tg_client_config_set_protocol_kind:
 * @self: a #TgClientConfig
 * @kind: how to sign in
 *
 * Sets the protocol. A value that is not a #TgAuthProtocolKind makes
 * tg_client_config_build_async() fail with %G_IO_ERROR_INVALID_ARGUMENT.
 */
void
tg_client_config_set_protocol_kind (TgClientConfig     *self,
                                    TgAuthProtocolKind  kind)
{
  g_return_if_fail (TG_IS_CLIENT_CONFIG (self));

  if (self->protocol_kind == kind)
    return;
  self->protocol_kind = kind;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROTOCOL_KIND]);
  notify_endpoints (self);
  if (self->account == NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACCOUNT]);
}

/**
 * tg_client_config_get_token_endpoint:
 * @self: a #TgClientConfig
 *
 * Returns: (nullable): the OAuth 2.0 token endpoint: the one set, or else
 *   `SERVER/oauth2/token`; %NULL for the seed protocol
 */
const char *
tg_client_config_get_token_endpoint (TgClientConfig *self)
{
  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), NULL);

  if (self->protocol_kind != TG_AUTH_PROTOCOL_OAUTH2)
    return NULL;
  return self->token_endpoint != NULL ? self->token_endpoint : self->derived_token;
}

/**
 * tg_client_config_set_token_endpoint:
 * @self: a #TgClientConfig
 * @token_endpoint: (nullable): the OAuth 2.0 token endpoint, or %NULL for
 *   `SERVER/oauth2/token`
 * @error: return location for a #GError
 *
 * Sets where OAuth 2.0 sign-ins and refreshes go. Checked like
 * tg_client_config_set_server_uri().
 *
 * Returns: %TRUE if set; %FALSE with @error set, leaving @self unchanged
 */
gboolean
tg_client_config_set_token_endpoint (TgClientConfig  *self,
                                     const char      *token_endpoint,
                                     GError         **error)
{
  gboolean changed;

  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!set_uri (&self->token_endpoint, token_endpoint, &changed, error))
    return FALSE;
  if (changed)
    notify_endpoints (self);
  return TRUE;
}

/**
 * tg_client_config_get_revocation_endpoint:
 * @self: a #TgClientConfig
 *
 * Returns: (nullable): the OAuth 2.0 revocation endpoint: the one set, or
 *   else `SERVER/oauth2/revoke` when the token endpoint is the default one
 *   too; %NULL for the seed protocol, which cannot revoke
 */
const char *
tg_client_config_get_revocation_endpoint (TgClientConfig *self)
{
  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), NULL);

  if (self->protocol_kind != TG_AUTH_PROTOCOL_OAUTH2)
    return NULL;
  if (self->revocation_endpoint != NULL)
    return self->revocation_endpoint;
  /* A token endpoint of its own may well be another host: the refresh token
   * is not offered to a revocation endpoint we only guessed. */
  return self->token_endpoint == NULL ? self->derived_revocation : NULL;
}

/**
 * tg_client_config_set_revocation_endpoint:
 * @self: a #TgClientConfig
 * @revocation_endpoint: (nullable): the RFC 7009 revocation endpoint, or
 *   %NULL for the default
 * @error: return location for a #GError
 *
 * Sets where OAuth 2.0 sessions are revoked at sign-out. Checked like
 * tg_client_config_set_server_uri().
 *
 * Returns: %TRUE if set; %FALSE with @error set, leaving @self unchanged
 */
gboolean
tg_client_config_set_revocation_endpoint (TgClientConfig  *self,
                                          const char      *revocation_endpoint,
                                          GError         **error)
{
  gboolean changed;

  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!set_uri (&self->revocation_endpoint, revocation_endpoint, &changed, error))
    return FALSE;
  if (changed)
    notify_endpoints (self);
  return TRUE;
}

/**
 * tg_client_config_get_provider:
 * @self: a #TgClientConfig
 *
 * Returns: (transfer none) (nullable): the provider set with
 *   tg_client_config_set_provider()
 */
TgProvider *
tg_client_config_get_provider (TgClientConfig *self)
{
  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), NULL);

  return self->provider;
}

/**
 * tg_client_config_set_provider:
 * @self: a #TgClientConfig
 * @provider: a provider from tg_provider_discover_async()
 * @error: return location for a #GError
 *
 * Signs in and refreshes at @provider: the protocol becomes OAuth 2.0, the
 * token and revocation endpoints are the provider's (none if it has no
 * revocation endpoint), and a configuration without a server gets the
 * issuer as its server. The client ID, secret and scope stay as they are
 * set. For sign-in through the browser, give @provider to
 * tg_browser_sign_in_new() as well.
 *
 * Fails with %G_IO_ERROR_INVALID_ARGUMENT, leaving @self unchanged, if an
 * endpoint has a query, which this configuration cannot hold.
 *
 * Returns: %TRUE if set
 */
gboolean
tg_client_config_set_provider (TgClientConfig  *self,
                               TgProvider      *provider,
                               GError         **error)
{
  const char *revocation;
  g_autofree char *token_uri = NULL;
  g_autofree char *revocation_uri = NULL;

  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), FALSE);
  g_return_val_if_fail (TG_IS_PROVIDER (provider), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  revocation = tg_provider_get_revocation_endpoint (provider);
  token_uri = check_uri (tg_provider_get_token_endpoint (provider), error);
  if (token_uri == NULL)
    return FALSE;
  if (revocation != NULL && (revocation_uri = check_uri (revocation, error)) == NULL)
    return FALSE;
  if (self->server_uri == NULL &&
      !tg_client_config_set_server_uri (self, tg_provider_get_issuer (provider), error))
    return FALSE;

  g_set_object (&self->provider, provider);
  tg_client_config_set_protocol_kind (self, TG_AUTH_PROTOCOL_OAUTH2);
  g_free (self->token_endpoint);
  self->token_endpoint = g_steal_pointer (&token_uri);
  g_free (self->revocation_endpoint);
  self->revocation_endpoint = g_steal_pointer (&revocation_uri);
  notify_endpoints (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROVIDER]);
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Who                                                                       */

/**
 * tg_client_config_get_client_id:
 * @self: a #TgClientConfig
 *
 * Returns: (nullable): the OAuth 2.0 client identifier
 */
const char *
tg_client_config_get_client_id (TgClientConfig *self)
{
  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), NULL);

  return self->client_id;
}

/**
 * tg_client_config_set_client_id:
 * @self: a #TgClientConfig
 * @client_id: (nullable): the OAuth 2.0 client identifier
 *
 * Sets the client identifier sent with OAuth 2.0 sign-ins and refreshes.
 */
void
tg_client_config_set_client_id (TgClientConfig *self,
                                const char     *client_id)
{
  g_return_if_fail (TG_IS_CLIENT_CONFIG (self));

  set_string (self, &self->client_id, client_id, PROP_CLIENT_ID);
}

/**
 * tg_client_config_set_client_secret:
 * @self: a #TgClientConfig
 * @client_secret: (nullable): the OAuth 2.0 client secret; needs a client ID
 *
 * Sets the secret of a confidential OAuth 2.0 client, sent with HTTP Basic
 * authentication (RFC 6749 §2.3.1). @self keeps a copy, wiped when replaced
 * or freed.
 */
void
tg_client_config_set_client_secret (TgClientConfig *self,
                                    const char     *client_secret)
{
  g_return_if_fail (TG_IS_CLIENT_CONFIG (self));

  if (g_strcmp0 (self->client_secret, client_secret) == 0)
    return;
  wipe_string (self->client_secret);
  self->client_secret = g_strdup (client_secret);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT_SECRET]);
}

/**
 * tg_client_config_get_scope:
 * @self: a #TgClientConfig
 *
 * Returns: (nullable): the OAuth 2.0 scope asked for
 */
const char *
tg_client_config_get_scope (TgClientConfig *self)
{
  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), NULL);

  return self->scope;
}

/**
 * tg_client_config_set_scope:
 * @self: a #TgClientConfig
 * @scope: (nullable): the scope to ask for (space-separated)
 *
 * Sets the OAuth 2.0 scope of the sign-in.
 */
void
tg_client_config_set_scope (TgClientConfig *self,
                            const char     *scope)
{
  g_return_if_fail (TG_IS_CLIENT_CONFIG (self));

  set_string (self, &self->scope, scope, PROP_SCOPE);
}

/**
 * tg_client_config_dup_account:
 * @self: a #TgClientConfig
 *
 * Returns: (transfer full) (nullable): the name the session is kept under:
 *   the one set, or else "SERVER-URI PROTOCOL"; %NULL without either
 */
char *
tg_client_config_dup_account (TgClientConfig *self)
{
  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), NULL);

  if (self->account != NULL)
    return g_strdup (self->account);
  if (self->server_uri == NULL)
    return NULL;
  return g_strconcat (self->server_uri, " ", protocol_nick (self->protocol_kind), NULL);
}

/**
 * tg_client_config_set_account:
 * @self: a #TgClientConfig
 * @account: (nullable): the name to keep the session under, or %NULL for
 *   "SERVER-URI PROTOCOL"
 *
 * Sets the name of the session in the token store: one server may have
 * several, one per user for instance.
 */
void
tg_client_config_set_account (TgClientConfig *self,
                              const char     *account)
{
  g_return_if_fail (TG_IS_CLIENT_CONFIG (self));

  set_string (self, &self->account, account != NULL && *account != '\0' ? account : NULL, PROP_ACCOUNT);
}

/* ------------------------------------------------------------------------- */
/* Keeping the session                                                       */

/**
 * tg_client_config_get_store:
 * @self: a #TgClientConfig
 *
 * Returns: (transfer none) (nullable): the store set with
 *   tg_client_config_set_store()
 */
TgTokenStore *
tg_client_config_get_store (TgClientConfig *self)
{
  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), NULL);

  return self->store;
}

/**
 * tg_client_config_set_store:
 * @self: a #TgClientConfig
 * @store: (nullable): where to keep the session
 *
 * Sets the token store; it takes precedence over
 * #TgClientConfig:use-default-store.
 */
void
tg_client_config_set_store (TgClientConfig *self,
                            TgTokenStore   *store)
{
  g_return_if_fail (TG_IS_CLIENT_CONFIG (self));
  g_return_if_fail (store == NULL || TG_IS_TOKEN_STORE (store));

  if (g_set_object (&self->store, store))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

/**
 * tg_client_config_get_use_default_store:
 * @self: a #TgClientConfig
 *
 * Returns: whether a client built without a store keeps its session in the
 *   default store
 */
gboolean
tg_client_config_get_use_default_store (TgClientConfig *self)
{
  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), FALSE);

  return self->use_default_store;
}

/**
 * tg_client_config_set_use_default_store:
 * @self: a #TgClientConfig
 * @use_default_store: %TRUE to keep the session in the default store
 *
 * Sets whether a client built without #TgClientConfig:store keeps the
 * session in the default store, so that a later run can restore it; without
 * it the session lives in memory only.
 */
void
tg_client_config_set_use_default_store (TgClientConfig *self,
                                        gboolean        use_default_store)
{
  g_return_if_fail (TG_IS_CLIENT_CONFIG (self));

  use_default_store = !!use_default_store;
  if (self->use_default_store == use_default_store)
    return;
  self->use_default_store = use_default_store;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USE_DEFAULT_STORE]);
}

/* ------------------------------------------------------------------------- */
/* Tuning                                                                    */

/**
 * tg_client_config_get_retry_policy:
 * @self: a #TgClientConfig
 *
 * Returns: the retry policy the token manager starts with
 */
TgRetryPolicy
tg_client_config_get_retry_policy (TgClientConfig *self)
{
  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), TG_RETRY_POLICY_ALL);

  return self->retry_policy;
}

/**
 * tg_client_config_set_retry_policy:
 * @self: a #TgClientConfig
 * @policy: what the token manager does with the requests that waited for a
 *   refresh
 *
 * Sets the token manager's #TgTokenManager:retry-policy.
 */
void
tg_client_config_set_retry_policy (TgClientConfig *self,
                                   TgRetryPolicy   policy)
{
  g_return_if_fail (TG_IS_CLIENT_CONFIG (self));

  if (self->retry_policy == policy)
    return;
  self->retry_policy = policy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_POLICY]);
}

/**
 * tg_client_config_get_proactive:
 * @self: a #TgClientConfig
 *
 * Returns: whether the token manager refreshes ahead of the expiry
 */
gboolean
tg_client_config_get_proactive (TgClientConfig *self)
{
  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), TRUE);

  return self->proactive;
}

/**
 * tg_client_config_set_proactive:
 * @self: a #TgClientConfig
 * @proactive: %TRUE to refresh ahead of the expiry as well as on a 401
 *
 * Sets the token manager's #TgTokenManager:proactive.
 */
void
tg_client_config_set_proactive (TgClientConfig *self,
                                gboolean        proactive)
{
  g_return_if_fail (TG_IS_CLIENT_CONFIG (self));

  proactive = !!proactive;
  if (self->proactive == proactive)
    return;
  self->proactive = proactive;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROACTIVE]);
}

/* ------------------------------------------------------------------------- */
/* Building a client                                                         */

/* What the build started with: changing @self meanwhile changes nothing. */
typedef struct {
  TgAuthProtocol *protocol;     /* owned */
  char           *server_uri;
  char           *account;
  TgRetryPolicy   retry_policy;
  gboolean        proactive;
} Build;

static void
build_free (Build *build)
{
  g_clear_object (&build->protocol);
  g_free (build->server_uri);
  g_free (build->account);
  g_free (build);
}

static TgAuthProtocol *
new_protocol (TgClientConfig  *self,
              GError         **error)
{
  if (self->server_uri == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("No server is set"));
      return NULL;
    }

  switch (self->protocol_kind)
    {
    case TG_AUTH_PROTOCOL_SEED:
      return tg_auth_protocol_new_seed (self->server_uri, error);
    case TG_AUTH_PROTOCOL_OAUTH2:
      return tg_auth_protocol_new_oauth2 (tg_client_config_get_token_endpoint (self),
                                          tg_client_config_get_revocation_endpoint (self),
                                          self->client_id, self->client_secret, self->scope,
                                          error);
    default:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Unknown sign-in protocol %d"), (int) self->protocol_kind);
      return NULL;
    }
}

static void
build_finish_with_store (GTask        *task,
                         TgTokenStore *store)
{
  Build *build = g_task_get_task_data (task);
  g_autoptr(TgTokenManager) manager = NULL;
  GError *error = NULL;
  TgApiClient *client;

  manager = tg_token_manager_new (build->protocol, store, build->account);
  g_object_set (manager,
                "retry-policy", build->retry_policy,
                "proactive", build->proactive,
                NULL);

  client = tg_api_client_new (manager, build->server_uri, &error);
  if (client == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, client, g_object_unref);
}

static void
default_store_ready (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TgTokenStore) store = NULL;
  GError *error = NULL;

  store = tg_token_store_new_default_finish (result, &error);
  if (store == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  build_finish_with_store (task, store);
}

/**
 * tg_client_config_build_async:
 * @self: a #TgClientConfig
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the client is ready
 * @user_data: data for @callback
 *
 * Builds a #TgApiClient for the configured server, with a #TgTokenManager
 * that has the configured protocol, store, account and tuning. Nothing goes
 * over the network: the manager is signed out until
 * tg_token_manager_sign_in_async() or tg_token_manager_restore_async().
 *
 * Only looking up the default store (#TgClientConfig:use-default-store) takes
 * time; the build uses @self as it is now.
 */
void
tg_client_config_build_async (TgClientConfig      *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Build *build;
  GError *error = NULL;

  g_return_if_fail (TG_IS_CLIENT_CONFIG (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_client_config_build_async);

  build = g_new0 (Build, 1);
  g_task_set_task_data (task, build, (GDestroyNotify) build_free);

  build->protocol = new_protocol (self, &error);
  if (build->protocol == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  build->server_uri = g_strdup (self->server_uri);
  build->account = tg_client_config_dup_account (self);
  build->retry_policy = self->retry_policy;
  build->proactive = self->proactive;

  if (self->store == NULL && self->use_default_store)
    {
      tg_token_store_new_default_async (cancellable, default_store_ready, g_steal_pointer (&task));
      return;
    }

  build_finish_with_store (task, self->store);
}

/**
 * tg_client_config_build_finish:
 * @self: a #TgClientConfig
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes tg_client_config_build_async(). Fails with
 * %G_IO_ERROR_INVALID_ARGUMENT without a server or with an unknown protocol
 * kind, like tg_auth_protocol_new_oauth2() for an unusable OAuth 2.0 setup
 * (a client secret without a client ID), and with %G_IO_ERROR_CANCELLED.
 *
 * Returns: (transfer full): the client, or %NULL with @error set
 */
TgApiClient *
tg_client_config_build_finish (TgClientConfig  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (TG_IS_CLIENT_CONFIG (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_client_config_build_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
