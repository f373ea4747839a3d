/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgProvider: an identity provider found from its issuer URL.
 *
 * Discovery asks OpenID Connect Discovery 1.0's
 * `ISSUER/.well-known/openid-configuration` first and, when that is not
 * there, RFC 8414's `/.well-known/oauth-authorization-server` (inserted
 * between host and path, §3). The document must name the issuer that was
 * asked for (Discovery §4.3, RFC 8414 §3.3): otherwise anyone who can serve
 * a file on some host could send our tokens to endpoints of their choosing.
 * Every endpoint must be fit to receive tokens (https, or http on loopback),
 * and a provider that lists its PKCE methods must list S256 (RFC 7636 §4.2),
 * since that is the only one we send.
 *
 * The document comes from outside: it is read to at most 64 KiB, looked at
 * by tg_json_check_text() before json-glib parses it, and every member is
 * checked for its type; _tg_provider_parse() is the fuzz target.
 */
#define G_LOG_DOMAIN "tg-provider"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <string.h>

#include "tg-auth-error.h"
#include "tg-auth-protocol-private.h"
#include "tg-json-check.h"
#include "tg-provider-private.h"

#define MAX_JSON_DEPTH        16
#define DISCOVERY_TIMEOUT     30   /* seconds, for each document */
#define WELL_KNOWN_OPENID     "/.well-known/openid-configuration"
#define WELL_KNOWN_OAUTH      "/.well-known/oauth-authorization-server"

struct _TgProvider
{
  GObject   parent_instance;

  char     *issuer;                  /* owned */
  char     *authorization_endpoint;  /* owned, nullable: no browser sign-in */
  char     *token_endpoint;          /* owned */
  char     *revocation_endpoint;     /* owned, nullable */
  char     *userinfo_endpoint;       /* owned, nullable */
  char     *end_session_endpoint;    /* owned, nullable */
  gboolean  sends_issuer;            /* RFC 9207 */
};

G_DEFINE_FINAL_TYPE (TgProvider, tg_provider, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ISSUER,
  PROP_AUTHORIZATION_ENDPOINT,
  PROP_TOKEN_ENDPOINT,
  PROP_REVOCATION_ENDPOINT,
  PROP_USERINFO_ENDPOINT,
  PROP_END_SESSION_ENDPOINT,
  PROP_SENDS_ISSUER_IN_RESPONSE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------------- */
/* Errors                                                                    */

/* Every reason a document is refused reads as one sentence after this. */
G_GNUC_PRINTF (2, 3)
static void
set_not_a_provider (GError     **error,
                    const char  *format,
                    ...)
{
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  /* Translators: %s is the reason, a sentence of its own. */
  g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_NOT_A_PROVIDER,
               _("This is not an OpenID provider: %s"), reason);
}

/* ------------------------------------------------------------------------- */
/* The issuer and its well-known URIs                                        */

/* The length of @uri without the slash of a path that is only "/":
 * `https://host/` and `https://host` are one resource (RFC 3986 §6.2.3).
 * A longer path is the issuer's own, slash and all. */
static gsize
length_without_root_slash (const char *uri)
{
  g_autoptr(GUri) parsed = g_uri_parse (uri, SOUP_HTTP_URI_FLAGS, NULL);
  gsize length = strlen (uri);

  if (parsed != NULL && strcmp (g_uri_get_path (parsed), "/") == 0 && length > 0 && uri[length - 1] == '/')
    return length - 1;
  return length;
}

/* @text trimmed, without the slash of an empty path, as an issuer we may
 * send tokens to. RFC 8414 §2: https (http only on loopback, as everywhere here), no
 * query, no fragment. */
static char *
check_issuer (const char  *text,
              GError     **error)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;

  uri = g_uri_parse (copy, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The issuer is not a URL: use https:// followed by a host name"));
      return NULL;
    }
  if (g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The issuer URL must not have a user name, query or fragment"));
      return NULL;
    }
  if (!tg_uri_is_safe_for_tokens (uri, &local_error))
    {
      /* Translators: %s is the reason, a sentence of its own. */
      g_set_error (error, local_error->domain, local_error->code,
                   _("The issuer is not usable: %s"), local_error->message);
      return NULL;
    }

  return g_strndup (copy, length_without_root_slash (copy));
}

/*
 * _tg_provider_metadata_uri:
 * @issuer: the issuer URL
 * @openid: %TRUE for OpenID Connect Discovery, %FALSE for RFC 8414
 * @error: return location for a #GError
 *
 * Where the metadata of @issuer is. OpenID Connect Discovery §4 appends the
 * well-known path to the issuer; RFC 8414 §3 puts it between the host and
 * the issuer's path, so that several issuers on one host each have theirs.
 *
 * Returns: (transfer full) (nullable): the URI, or %NULL if @issuer is not
 *   usable
 */
char *
_tg_provider_metadata_uri (const char  *issuer,
                           gboolean     openid,
                           GError     **error)
{
  g_autofree char *checked = check_issuer (issuer, error);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GUri) metadata = NULL;
  g_autofree char *path = NULL;

  if (checked == NULL)
    return NULL;
  if (openid)
    return g_strconcat (checked, WELL_KNOWN_OPENID, NULL);

  uri = g_uri_parse (checked, SOUP_HTTP_URI_FLAGS, NULL);
  g_assert (uri != NULL);
  /* libsoup's flags make an empty path "/": that is no path to append. */
  path = g_strconcat (WELL_KNOWN_OAUTH, strcmp (g_uri_get_path (uri), "/") == 0 ? "" : g_uri_get_path (uri), NULL);
  metadata = g_uri_build (SOUP_HTTP_URI_FLAGS, g_uri_get_scheme (uri), NULL, g_uri_get_host (uri),
                          g_uri_get_port (uri), path, NULL, NULL);
  return g_uri_to_string (metadata);
}

/* ------------------------------------------------------------------------- */
/* The document                                                              */

/* The document's object, borrowed from @parser; %NULL with @error set when
 * it is not a JSON object. */
static JsonObject *
load_object (JsonParser  *parser,
             const char  *data,
             gsize        length,
             GError     **error)
{
  JsonNode *root;

  if (length == 0 ||
      !tg_json_check_text (data, length, MAX_JSON_DEPTH, TG_JSON_CHECK_REFUSE_NUL, NULL) ||
      !json_parser_load_from_data (parser, data, length, NULL))
    {
      set_not_a_provider (error, _("its metadata is not JSON"));
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      set_not_a_provider (error, _("its metadata is not a JSON object"));
      return NULL;
    }
  return json_node_get_object (root);
}

/* Member @name as a string: %TRUE with *@out %NULL when it is absent or null,
 * %FALSE with @error set when it is there but not a string. */
static gboolean
get_string (JsonObject  *object,
            const char  *name,
            const char **out,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      /* Translators: %s is a member of the metadata, such as “token_endpoint”. */
      set_not_a_provider (error, _("its metadata has “%s”, but not as text"), name);
      return FALSE;
    }
  *out = json_node_get_string (node);
  return TRUE;
}

/* Endpoint @name: checked and copied to *@out, which stays %NULL when the
 * document has none; @required says whether that is an error. */
static gboolean
get_endpoint (JsonObject  *object,
              const char  *name,
              gboolean     required,
              char       **out,
              GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *text;

  if (!get_string (object, name, &text, error))
    return FALSE;
  if (text == NULL || *text == '\0')
    {
      if (!required)
        return TRUE;
      /* Translators: %s is a member of the metadata, such as “token_endpoint”. */
      set_not_a_provider (error, _("its metadata has no “%s”"), name);
      return FALSE;
    }

  uri = g_uri_parse (text, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL || g_uri_get_fragment (uri) != NULL)
    {
      /* Translators: %s is a member of the metadata, such as “token_endpoint”. */
      set_not_a_provider (error, _("its “%s” is not an absolute URL without a fragment"), name);
      return FALSE;
    }
  if (!tg_uri_is_safe_for_tokens (uri, &local_error))
    {
      /* Plain http off loopback keeps its own code, as everywhere; any other
       * scheme or host is just bad metadata. */
      if (g_error_matches (local_error, TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE))
        /* Translators: the first %s is a member of the metadata, such as
         * “token_endpoint”; the second is the reason, a sentence of its own. */
        g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE,
                     _("The provider’s “%s” is not usable: %s"), name, local_error->message);
      else
        /* Translators: %s is a member of the metadata, such as “token_endpoint”. */
        set_not_a_provider (error, _("its “%s” is not an http or https URL with a valid host"), name);
      return FALSE;
    }

  *out = g_strdup (text);
  return TRUE;
}

/* RFC 7636 §4.2 with RFC 8414 §2: a provider that lists its methods and not
 * S256 would turn our challenge down (or, worse, take it as `plain`). */
static gboolean
check_pkce_methods (JsonObject  *object,
                    GError     **error)
{
  JsonNode *node = json_object_get_member (object, "code_challenge_methods_supported");
  JsonArray *methods;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      set_not_a_provider (error, _("its metadata has “%s”, but not as a list"),
                          "code_challenge_methods_supported");
      return FALSE;
    }

  methods = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (methods); i++)
    {
      JsonNode *element = json_array_get_element (methods, i);

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING &&
          g_strcmp0 (json_node_get_string (element), "S256") == 0)
        return TRUE;
    }

  set_not_a_provider (error, _("it does not support PKCE with S256, which Tokengate needs"));
  return FALSE;
}

static gboolean
get_boolean (JsonObject  *object,
             const char  *name,
             gboolean    *out,
             GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  *out = FALSE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      set_not_a_provider (error, _("its metadata has “%s”, but not as true or false"), name);
      return FALSE;
    }
  *out = json_node_get_boolean (node);
  return TRUE;
}

/* The issuer in the document must be the one asked for, byte for byte
 * (OpenID Connect Discovery §4.3, RFC 8414 §3.3), except for the slash of an
 * empty path: `https://host/` is `https://host`. `…/realms/demo/` is not
 * `…/realms/demo`: the provider would name itself otherwise in `iss`. */
static gboolean
issuer_matches (const char *asked,
                const char *stated)
{
  gsize asked_len = length_without_root_slash (asked);
  gsize stated_len = length_without_root_slash (stated);

  return asked_len == stated_len && memcmp (asked, stated, asked_len) == 0;
}

/*
 * _tg_provider_parse:
 * @issuer: the issuer the document was asked for
 * @data: the document
 * @length: its length in bytes
 * @error: return location for a #GError
 *
 * Reads a metadata document (OpenID Connect Discovery §3, RFC 8414 §2).
 * Needs `issuer` equal to @issuer and a `token_endpoint`; every endpoint
 * present must be an absolute URL fit for tokens.
 *
 * Returns: (transfer full) (nullable): the provider, or %NULL with @error
 *   set, mostly to %TG_AUTH_ERROR_NOT_A_PROVIDER
 */
TgProvider *
_tg_provider_parse (const char  *issuer,
                    const char  *data,
                    gsize        length,
                    GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(TgProvider) self = NULL;
  JsonObject *object;
  const char *stated = NULL;

  g_return_val_if_fail (issuer != NULL, NULL);
  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length > TG_PROVIDER_MAX_DOCUMENT)
    {
      set_not_a_provider (error, _("its metadata is larger than 64 KiB"));
      return NULL;
    }
  parser = json_parser_new ();
  object = load_object (parser, data, length, error);
  if (object == NULL)
    return NULL;

  if (!get_string (object, "issuer", &stated, error))
    return NULL;
  if (stated == NULL)
    {
      set_not_a_provider (error, _("its metadata has no “%s”"), "issuer");
      return NULL;
    }
  if (!issuer_matches (issuer, stated))
    {
      /* The stated issuer is not shown: it is whatever the document says. */
      set_not_a_provider (error, _("its metadata names another issuer than the URL asked for"));
      return NULL;
    }

  self = g_object_new (TG_TYPE_PROVIDER, NULL);
  self->issuer = g_strdup (stated);
  if (!get_endpoint (object, "token_endpoint", TRUE, &self->token_endpoint, error) ||
      !get_endpoint (object, "authorization_endpoint", FALSE, &self->authorization_endpoint, error) ||
      !get_endpoint (object, "revocation_endpoint", FALSE, &self->revocation_endpoint, error) ||
      !get_endpoint (object, "userinfo_endpoint", FALSE, &self->userinfo_endpoint, error) ||
      !get_endpoint (object, "end_session_endpoint", FALSE, &self->end_session_endpoint, error) ||
      !check_pkce_methods (object, error) ||
      !get_boolean (object, "authorization_response_iss_parameter_supported", &self->sends_issuer, error))
    return NULL;

  return g_steal_pointer (&self);
}

/* ------------------------------------------------------------------------- */
/* Discovery                                                                 */

typedef struct {
  char         *issuer;       /* checked */
  SoupSession  *session;      /* owned */
  GInputStream *stream;       /* owned, nullable: the document being read */
  GByteArray   *document;     /* owned, nullable */
  gboolean      openid;       /* which well-known document is being asked */
  guint         openid_status;
  gboolean      openid_not_json;  /* it answered 200, but no JSON object */
} Discovery;

static void
discovery_free (Discovery *discovery)
{
  g_free (discovery->issuer);
  g_clear_object (&discovery->session);
  g_clear_object (&discovery->stream);
  g_clear_pointer (&discovery->document, g_byte_array_unref);
  g_free (discovery);
}

static void fetch (GTask *task);

static void
document_read (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Discovery *discovery = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GBytes) chunk = NULL;
  GError *error = NULL;
  TgProvider *provider;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (chunk == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_bytes_get_size (chunk) > 0 && discovery->document->len <= TG_PROVIDER_MAX_DOCUMENT)
    {
      g_byte_array_append (discovery->document, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
      /* One byte more than allowed is enough to know it is too much. */
      g_input_stream_read_bytes_async (discovery->stream,
                                       TG_PROVIDER_MAX_DOCUMENT + 1 - discovery->document->len,
                                       G_PRIORITY_DEFAULT, cancellable, document_read, g_steal_pointer (&task));
      return;
    }

  if (discovery->openid)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      /* A web app that answers every path with its own page (200, HTML) is
       * no answer either: perhaps still an RFC 8414 server behind it. */
      if (load_object (parser, (const char *) discovery->document->data, discovery->document->len, NULL) == NULL)
        {
          g_clear_object (&discovery->stream);
          g_clear_pointer (&discovery->document, g_byte_array_unref);
          discovery->openid = FALSE;
          discovery->openid_not_json = TRUE;
          fetch (g_steal_pointer (&task));
          return;
        }
    }

  provider = _tg_provider_parse (discovery->issuer, (const char *) discovery->document->data,
                                 discovery->document->len, &error);
  if (provider == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, provider, g_object_unref);
}

static void
document_answered (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Discovery *discovery = g_task_get_task_data (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;
  guint status;

  discovery->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (discovery->stream == NULL)
    {
      g_prefix_error (&error, _("Could not ask the issuer for its metadata: "));
      g_task_return_error (task, error);
      return;
    }

  status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_clear_object (&discovery->stream);
      if (discovery->openid)
        {
          /* Not an OpenID provider, perhaps still an RFC 8414 server. */
          discovery->openid = FALSE;
          discovery->openid_status = status;
          fetch (g_steal_pointer (&task));
          return;
        }
      if (discovery->openid_not_json)
        set_not_a_provider (&error, _("its answer to OpenID Connect discovery is not JSON, and it answered "
                                      "HTTP %u for OAuth 2.0 server metadata"),
                            status);
      else
        set_not_a_provider (&error, _("it answered HTTP %u for OpenID Connect discovery and HTTP %u "
                                      "for OAuth 2.0 server metadata"),
                            discovery->openid_status, status);
      g_task_return_error (task, error);
      return;
    }

  discovery->document = g_byte_array_new ();
  g_input_stream_read_bytes_async (discovery->stream, TG_PROVIDER_MAX_DOCUMENT + 1, G_PRIORITY_DEFAULT,
                                   cancellable, document_read, g_steal_pointer (&task));
}

static void
fetch (GTask *task)
{
  Discovery *discovery = g_task_get_task_data (task);
  g_autofree char *uri = _tg_provider_metadata_uri (discovery->issuer, discovery->openid, NULL);
  g_autoptr(SoupMessage) msg = NULL;

  g_assert (uri != NULL);
  msg = soup_message_new (SOUP_METHOD_GET, uri);
  g_assert (msg != NULL);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept", "application/json");
  /* A redirect could lead anywhere, plain http included: the metadata is
   * where the specifications put it, or it is not there. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_session_send_async (discovery->session, msg, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                           document_answered, task);
}

/**
 * tg_provider_discover_async:
 * @issuer: the issuer URL, for example `https://id.example.org/realms/demo`
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the provider is known, or not
 * @user_data: (closure): data for @callback
 *
 * Reads the provider's metadata: `ISSUER/.well-known/openid-configuration`,
 * or else RFC 8414's `/.well-known/oauth-authorization-server` (with the
 * issuer's path after it). Redirects are not followed.
 */
void
tg_provider_discover_async (const char          *issuer,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Discovery *discovery;
  GError *error = NULL;

  g_return_if_fail (issuer != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_provider_discover_async);

  discovery = g_new0 (Discovery, 1);
  g_task_set_task_data (task, discovery, (GDestroyNotify) discovery_free);
  discovery->issuer = check_issuer (issuer, &error);
  if (discovery->issuer == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  discovery->session = soup_session_new_with_options ("timeout", DISCOVERY_TIMEOUT, NULL);
  discovery->openid = TRUE;
  fetch (g_steal_pointer (&task));
}

/**
 * tg_provider_discover_finish:
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes tg_provider_discover_async(). Fails with
 * %G_IO_ERROR_INVALID_ARGUMENT for an issuer that is not an http(s) URL,
 * %TG_AUTH_ERROR_INSECURE for plain http off loopback (the issuer or an
 * endpoint), %TG_AUTH_ERROR_NOT_A_PROVIDER when neither document is there
 * or the one found is not usable metadata for the issuer, and with the
 * network error libsoup reports.
 *
 * Returns: (transfer full): the provider, or %NULL with @error set
 */
TgProvider *
tg_provider_discover_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_provider_discover_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------- */
/* Accessors                                                                 */

/**
 * tg_provider_get_issuer:
 * @self: a #TgProvider
 *
 * Returns: (transfer none): the issuer, as the metadata states it
 */
const char *
tg_provider_get_issuer (TgProvider *self)
{
  g_return_val_if_fail (TG_IS_PROVIDER (self), NULL);
  return self->issuer;
}

/**
 * tg_provider_get_authorization_endpoint:
 * @self: a #TgProvider
 *
 * Returns: (transfer none) (nullable): where the browser signs in, or %NULL
 *   for a provider without browser sign-in
 */
const char *
tg_provider_get_authorization_endpoint (TgProvider *self)
{
  g_return_val_if_fail (TG_IS_PROVIDER (self), NULL);
  return self->authorization_endpoint;
}

/**
 * tg_provider_get_token_endpoint:
 * @self: a #TgProvider
 *
 * Returns: (transfer none): where codes and refresh tokens are exchanged
 */
const char *
tg_provider_get_token_endpoint (TgProvider *self)
{
  g_return_val_if_fail (TG_IS_PROVIDER (self), NULL);
  return self->token_endpoint;
}

/**
 * tg_provider_get_revocation_endpoint:
 * @self: a #TgProvider
 *
 * Returns: (transfer none) (nullable): the RFC 7009 revocation endpoint
 */
const char *
tg_provider_get_revocation_endpoint (TgProvider *self)
{
  g_return_val_if_fail (TG_IS_PROVIDER (self), NULL);
  return self->revocation_endpoint;
}

/**
 * tg_provider_get_userinfo_endpoint:
 * @self: a #TgProvider
 *
 * Returns: (transfer none) (nullable): the OpenID Connect UserInfo endpoint
 */
const char *
tg_provider_get_userinfo_endpoint (TgProvider *self)
{
  g_return_val_if_fail (TG_IS_PROVIDER (self), NULL);
  return self->userinfo_endpoint;
}

/**
 * tg_provider_get_end_session_endpoint:
 * @self: a #TgProvider
 *
 * Returns: (transfer none) (nullable): the OpenID Connect RP-initiated
 *   logout endpoint
 */
const char *
tg_provider_get_end_session_endpoint (TgProvider *self)
{
  g_return_val_if_fail (TG_IS_PROVIDER (self), NULL);
  return self->end_session_endpoint;
}

/**
 * tg_provider_get_sends_issuer_in_response:
 * @self: a #TgProvider
 *
 * Whether the provider names itself in every authorization response (RFC
 * 9207 `authorization_response_iss_parameter_supported`); a browser sign-in
 * then checks that it does.
 *
 * Returns: %TRUE if authorization responses carry `iss`
 */
gboolean
tg_provider_get_sends_issuer_in_response (TgProvider *self)
{
  g_return_val_if_fail (TG_IS_PROVIDER (self), FALSE);
  return self->sends_issuer;
}

/* ------------------------------------------------------------------------- */
/* GObject                                                                   */

static void
tg_provider_finalize (GObject *object)
{
  TgProvider *self = TG_PROVIDER (object);

  g_free (self->issuer);
  g_free (self->authorization_endpoint);
  g_free (self->token_endpoint);
  g_free (self->revocation_endpoint);
  g_free (self->userinfo_endpoint);
  g_free (self->end_session_endpoint);

  G_OBJECT_CLASS (tg_provider_parent_class)->finalize (object);
}

static void
tg_provider_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  TgProvider *self = TG_PROVIDER (object);

  switch (prop_id)
    {
    case PROP_ISSUER:
      g_value_set_string (value, self->issuer);
      break;
    case PROP_AUTHORIZATION_ENDPOINT:
      g_value_set_string (value, self->authorization_endpoint);
      break;
    case PROP_TOKEN_ENDPOINT:
      g_value_set_string (value, self->token_endpoint);
      break;
    case PROP_REVOCATION_ENDPOINT:
      g_value_set_string (value, self->revocation_endpoint);
      break;
    case PROP_USERINFO_ENDPOINT:
      g_value_set_string (value, self->userinfo_endpoint);
      break;
    case PROP_END_SESSION_ENDPOINT:
      g_value_set_string (value, self->end_session_endpoint);
      break;
    case PROP_SENDS_ISSUER_IN_RESPONSE:
      g_value_set_boolean (value, self->sends_issuer);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_provider_class_init (TgProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tg_provider_finalize;
  object_class->get_property = tg_provider_get_property;

  /**
   * TgProvider:issuer:
   *
   * The issuer, as the metadata states it.
   */
  properties[PROP_ISSUER] =
    g_param_spec_string ("issuer", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * TgProvider:authorization-endpoint:
   *
   * Where the browser signs in; %NULL without browser sign-in.
   */
  properties[PROP_AUTHORIZATION_ENDPOINT] =
    g_param_spec_string ("authorization-endpoint", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * TgProvider:token-endpoint:
   *
   * Where codes and refresh tokens are exchanged.
   */
  properties[PROP_TOKEN_ENDPOINT] =
    g_param_spec_string ("token-endpoint", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * TgProvider:revocation-endpoint:
   *
   * The RFC 7009 revocation endpoint, if any.
   */
  properties[PROP_REVOCATION_ENDPOINT] =
    g_param_spec_string ("revocation-endpoint", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * TgProvider:userinfo-endpoint:
   *
   * The OpenID Connect UserInfo endpoint, if any.
   */
  properties[PROP_USERINFO_ENDPOINT] =
    g_param_spec_string ("userinfo-endpoint", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * TgProvider:end-session-endpoint:
   *
   * The OpenID Connect RP-initiated logout endpoint, if any.
   */
  properties[PROP_END_SESSION_ENDPOINT] =
    g_param_spec_string ("end-session-endpoint", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * TgProvider:sends-issuer-in-response:
   *
   * Whether authorization responses carry `iss` (RFC 9207).
   */
  properties[PROP_SENDS_ISSUER_IN_RESPONSE] =
    g_param_spec_boolean ("sends-issuer-in-response", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tg_provider_init (TgProvider *self)
{
}
