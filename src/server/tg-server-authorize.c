/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The browser sign-in: the authorization endpoint of RFC 6749 §4.1 with PKCE
 * (RFC 7636, S256 only, required) and the RFC 9207 `iss` parameter, and the
 * authorization codes it issues, which the token endpoint (tg-server-auth.c)
 * redeems.
 *
 * GET /oauth2/authorize checks the request and answers the sign-in form
 * (tg-server-page.c), keeping nothing: the form carries the checked request,
 * signed with the server's key (its request_id: the request, a random form
 * id, its expiry and the hash of the browser's cookie), and a CSRF token
 * (a MAC of the form id); a cookie (HttpOnly, SameSite=Strict) that only
 * this server mints (random "." MAC) ties the form to the browser that asked
 * for it. POST /oauth2/authorize must present all three; its first post
 * makes the form a *pending sign-in*, kept under the form id to count wrong
 * passwords (MAX_FAILURES) and, once spent, to refuse the form again. The
 * password is checked the way every sign-in is
 * (_tg_server_verify_password()), and the browser is sent back to the
 * client with a code — or with an error, except where the client or its
 * redirect URI cannot be trusted (RFC 6749 §4.1.2.1): that is a page of our
 * own.
 *
 * Pending sign-ins and codes live in memory, under a key of this run of the
 * server: all are short-lived, and a restart only means signing in again. A used code is remembered for a while
 * after it expired, with the session (refresh-token family) it started, so
 * that presenting it again revokes that session (RFC 6749 §4.1.2).
 */
#define G_LOG_DOMAIN "tg-server"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "tg-base64url.h"
#include "tg-crypto.h"
#include "tg-server-private.h"

/* How long a sign-in form stays usable. Longer than a client waits for its
 * redirect (5 minutes by default), so the client gives up first. */
#define PENDING_LIFETIME_S 600

/* Pending sign-ins kept at most: each costs a little memory, and anyone who
 * can reach the server can start one. */
#define MAX_PENDING 1024

/* Wrong passwords one form takes before the sign-in is refused. */
#define MAX_FAILURES 5

/* How long a code is remembered past its expiry, to recognise a replay. */
#define CODE_MEMORY_S 600

/* state and nonce are the client's; we only hand them back, within reason. */
#define MAX_PARAMETER_BYTES 1024

#define COOKIE_NAME "tg_authorize"

/* The scopes a client may ask for. `openid` is accepted, for clients that
 * always ask for it, but no ID token is issued: this is an OAuth 2.0
 * authorization server, not an OpenID provider. */
const char * const _tg_server_scopes[] = { "api", "offline_access", "openid", NULL };

typedef struct {
  char   *id;                /* the form's own random id, inside request */
  char   *request;           /* the form's request_id: the signed request */
  char   *browser;           /* SHA-256 (hex) of the cookie of the browser that asked */
  char   *csrf_token;
  const TgServerClient *client;
  char   *redirect_uri;
  char   *state;             /* nullable */
  char   *code_challenge;    /* S256 */
  char   *scope;
  char   *nonce;             /* nullable; kept, though no ID token is issued */
  gint64  expires_at;        /* monotonic, µs */
  guint   failures;          /* wrong passwords so far */
  gboolean checking;         /* a password check is running for it */
  gboolean spent;            /* signed in, cancelled or refused: kept until it
                                expires, so that the form cannot be posted again */
} Pending;

typedef struct {
  TgServerCodeGrant grant;
  char   *client_id;
  char   *redirect_uri;
  char   *code_challenge;
  char   *nonce;             /* nullable */
  gint64  expires_at;        /* monotonic, µs */
  gint64  forget_at;         /* monotonic, µs */
  gboolean used;
} Code;

struct _TgServerAuthorize
{
  GHashTable *pending;       /* id → Pending */
  GHashTable *codes;         /* SHA-256 (hex) of the code → Code */
  /* Signs the browser cookies and the forms this server made. Its own,
   * for this run of the server: neither lives longer than the sign-ins kept
   * in memory, and the tokens' key stays the tokens' alone. */
  guint8      cookie_key[TG_CRYPTO_TOKEN_BYTES];
};

static void
pending_free (Pending *pending)
{
  g_free (pending->id);
  g_free (pending->request);
  g_free (pending->browser);
  g_free (pending->csrf_token);
  g_free (pending->redirect_uri);
  g_free (pending->state);
  g_free (pending->code_challenge);
  g_free (pending->scope);
  g_free (pending->nonce);
  g_free (pending);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Pending, pending_free)

static void
code_free (Code *code)
{
  g_free (code->grant.user_name);
  g_free (code->grant.scope);
  g_free (code->client_id);
  g_free (code->redirect_uri);
  g_free (code->code_challenge);
  g_free (code->nonce);
  g_free (code);
}

TgServerAuthorize *
_tg_server_authorize_new (void)
{
  TgServerAuthorize *authorize = g_new0 (TgServerAuthorize, 1);

  authorize->pending = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                              (GDestroyNotify) pending_free);
  authorize->codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) code_free);
  tg_crypto_random_bytes (authorize->cookie_key, sizeof authorize->cookie_key);
  return authorize;
}

void
_tg_server_authorize_free (TgServerAuthorize *authorize)
{
  g_hash_table_unref (authorize->pending);
  g_hash_table_unref (authorize->codes);
  explicit_bzero (authorize->cookie_key, sizeof authorize->cookie_key);
  g_free (authorize);
}

static gboolean
pending_is_over (gpointer key,
                 gpointer value,
                 gpointer user_data)
{
  const Pending *pending = value;

  return !pending->checking && pending->expires_at <= *(gint64 *) user_data;
}

static gboolean
code_is_forgotten (gpointer key,
                   gpointer value,
                   gpointer user_data)
{
  return ((Code *) value)->forget_at <= *(gint64 *) user_data;
}

/* ------------------------------------------------------------------------- */
/* Checking what a client sends                                              */

static gboolean
is_base64url (const char *text,
              gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '-' && text[i] != '_')
      return FALSE;
  return TRUE;
}

/**
 * _tg_server_is_code_verifier:
 *
 * RFC 7636 §4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." /
 * "_" / "~".
 */
gboolean
_tg_server_is_code_verifier (const char *verifier)
{
  gsize len = strlen (verifier);

  if (len < 43 || len > 128)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (verifier[i]) && strchr ("-._~", verifier[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* BASE64URL(SHA256(verifier)), RFC 7636 §4.2: always 43 characters. */
static char *
s256_challenge (const char *verifier)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;

  g_checksum_update (checksum, (const guchar *) verifier, -1);
  g_checksum_get_digest (checksum, digest, &len);
  return tg_base64url_encode (digest, len);
}

/* What a code grants of @requested (supported, RFC 6749 §3.3): all but
 * `openid`, since no ID token is issued; the default scope if that leaves
 * nothing. A refresh token comes with every session whether or not
 * `offline_access` was asked for, as with the password grant: the demo is
 * about watching tokens expire and refresh. */
static char *
granted_scope (const char *requested)
{
  g_auto(GStrv) tokens = g_strsplit (requested, " ", -1);
  g_autoptr(GStrvBuilder) granted = g_strv_builder_new ();
  g_auto(GStrv) list = NULL;

  for (gsize i = 0; tokens[i] != NULL; i++)
    if (strcmp (tokens[i], "openid") != 0)
      g_strv_builder_add (granted, tokens[i]);
  list = g_strv_builder_end (granted);
  if (list[0] == NULL)
    return g_strdup (_tg_server_scopes[0]);
  return g_strjoinv (" ", list);
}

static gboolean
scope_is_supported (const char *scope)
{
  g_auto(GStrv) tokens = g_strsplit (scope, " ", -1);

  /* RFC 6749 §3.3: scope-token *( SP scope-token ); no empty ones. */
  for (guint i = 0; tokens[i] != NULL; i++)
    if (!g_strv_contains (_tg_server_scopes, tokens[i]))
      return FALSE;
  return tokens[0] != NULL;
}

static gboolean
prompt_has_none (const char *prompt)
{
  g_auto(GStrv) values = g_strsplit (prompt, " ", -1);

  return g_strv_contains ((const char * const *) values, "none");
}

static GHashTable *
read_query (SoupServerMessage  *msg,
            GError            **error)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));

  /* The same strict reading as a form body: a parameter given twice is an
   * error (RFC 6749 §3.1), not a guess at which one counts. */
  if (query == NULL)
    query = "";
  return _tg_server_parse_form (query, strlen (query), error);
}

/* ------------------------------------------------------------------------- */
/* The browser's cookie                                                      */

/* Calls @func on the value of every cookie named COOKIE_NAME the request
 * carries, until it returns TRUE. The value lives only as long as the call. */
static gboolean
find_cookie (SoupServerMessage *msg,
             gboolean         (*func) (const char *value, gpointer data),
             gpointer           data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *header = soup_message_headers_get_list (headers, "Cookie");
  g_auto(GStrv) cookies = NULL;

  if (header == NULL)
    return FALSE;

  /* RFC 6265 §4.2.1: "name=value; name=value"; several Cookie headers come
   * joined with ", ", and neither separator can be part of a cookie-value. */
  cookies = g_strsplit_set (header, ";,", -1);
  for (guint i = 0; cookies[i] != NULL; i++)
    {
      const char *cookie = g_strstrip (cookies[i]);

      if (g_str_has_prefix (cookie, COOKIE_NAME "=") &&
          func (cookie + strlen (COOKIE_NAME "="), data))
        return TRUE;
    }
  return FALSE;
}

/* HMAC-SHA256 of @purpose, a NUL, and @len bytes of @data under the
 * server's key, as base64url (43 characters). @purpose keeps the cookie's,
 * the form's and the CSRF token's MACs from standing in for each other. */
static char *
keyed_mac (TgServerAuthorize *authorize,
           const char        *purpose,
           const char        *data,
           gsize              len)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, authorize->cookie_key, sizeof authorize->cookie_key);
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) purpose, (gssize) strlen (purpose) + 1);
  g_hmac_update (hmac, (const guchar *) data, (gssize) len);
  g_hmac_get_digest (hmac, digest, &digest_len);
  return tg_base64url_encode (digest, digest_len);
}

/* The cookie's MAC of @random (43 characters). */
static char *
cookie_mac (TgServerAuthorize *authorize,
            const char        *random)
{
  return keyed_mac (authorize, "cookie", random, 43);
}

/* A new cookie value: random.MAC(random). */
static char *
mint_browser_token (TgServerAuthorize *authorize)
{
  g_autofree char *random = tg_crypto_random_token ();
  g_autofree char *mac = cookie_mac (authorize, random);

  return g_strconcat (random, ".", mac, NULL);
}

typedef struct {
  TgServerAuthorize *authorize;
  char              *token;   /* out */
} CookieSearch;

static gboolean
take_browser_token (const char *value,
                    gpointer    data)
{
  CookieSearch *search = data;
  g_autofree char *mac = NULL;

  /* Only a value this server minted is reused: one that another program
   * on this computer planted (cookies do not keep ports apart) would let it
   * know, and so share, the browser's sign-in. */
  if (strlen (value) != 87 || !is_base64url (value, 43) || value[43] != '.' || !is_base64url (value + 44, 43))
    return FALSE;
  mac = cookie_mac (search->authorize, value);
  if (!tg_crypto_equal (mac, value + 44, 43))
    return FALSE;
  search->token = g_strdup (value);
  return TRUE;
}

/* Whether the cookie @value hashes to @browser_hash (hex SHA-256). */
static gboolean
equals_browser (const char *value,
                gpointer    browser_hash)
{
  g_autofree char *hash = tg_crypto_sha256_hex (value, -1);

  return tg_crypto_equal (hash, browser_hash, strlen (hash));
}

/* The browser's cookie: the one it has, or a new one; set on @msg either way,
 * so that it lives as long as the newest form. One per browser rather than
 * per form, so that two sign-ins in two tabs do not undo each other. */
static char *
browser_token (TgServer          *self,
               SoupServerMessage *msg)
{
  g_autofree char *token = NULL;
  g_autofree char *cookie = NULL;
  CookieSearch search = { self->authorize, NULL };

  if (find_cookie (msg, take_browser_token, &search))
    token = search.token;
  else
    token = mint_browser_token (self->authorize);

  cookie = g_strdup_printf (COOKIE_NAME "=%s; Path=/oauth2; Max-Age=%d; HttpOnly; SameSite=Strict%s",
                            token, PENDING_LIFETIME_S,
                            g_str_has_prefix (self->issuer, "https:") ? "; Secure" : "");
  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie", cookie);
  return g_steal_pointer (&token);
}

/* ------------------------------------------------------------------------- */
/* The signed request                                                        */

/* A GET keeps nothing: any page can make a browser send one (an <img> will
 * do), and each would otherwise hold a place among the MAX_PENDING. The
 * checked request travels in the form instead, as its request_id:
 * base64url(form-encoded fields) "." MAC, with the form's own random id,
 * its expiry and the hash of the browser's cookie among the fields. Only a
 * POST of a form whose MAC holds keeps anything (pending_for_form()). */

static void
append_field (GString    *fields,
              const char *name,
              const char *value)
{
  g_autofree char *escaped = NULL;

  if (value == NULL)
    return;
  escaped = g_uri_escape_string (value, NULL, FALSE);
  g_string_append_printf (fields, "%s%s=%s", fields->len > 0 ? "&" : "", name, escaped);
}

static char *
sign_request (TgServerAuthorize *authorize,
              const Pending     *pending)
{
  g_autoptr(GString) fields = g_string_new (NULL);
  g_autofree char *expires_at = g_strdup_printf ("%" G_GINT64_FORMAT, pending->expires_at);
  g_autofree char *encoded = NULL;
  g_autofree char *mac = NULL;

  append_field (fields, "id", pending->id);
  append_field (fields, "browser", pending->browser);
  append_field (fields, "expires_at", expires_at);
  append_field (fields, "client_id", pending->client->client_id);
  append_field (fields, "redirect_uri", pending->redirect_uri);
  append_field (fields, "code_challenge", pending->code_challenge);
  append_field (fields, "scope", pending->scope);
  append_field (fields, "state", pending->state);
  append_field (fields, "nonce", pending->nonce);
  encoded = tg_base64url_encode ((const guint8 *) fields->str, fields->len);
  mac = keyed_mac (authorize, "form", encoded, strlen (encoded));
  return g_strconcat (encoded, ".", mac, NULL);
}

/* The request a form carries, if this server signed it; %NULL otherwise. */
static Pending *
verify_request (TgServer   *self,
                const char *request)
{
  TgServerAuthorize *authorize = self->authorize;
  const char *dot = request != NULL ? strchr (request, '.') : NULL;
  g_autofree char *mac = NULL;
  g_autofree guint8 *decoded = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GHashTable) fields = NULL;
  const char *expires_at;
  gsize len = 0;
  Pending *pending;

  if (dot == NULL || strlen (dot + 1) != 43)
    return NULL;
  mac = keyed_mac (authorize, "form", request, dot - request);
  if (!tg_crypto_equal (mac, dot + 1, 43))
    return NULL;
  /* Ours from here on: what follows cannot fail but for a bug. */
  decoded = tg_base64url_decode (request, dot - request, &len);
  g_return_val_if_fail (decoded != NULL, NULL);
  text = g_strndup ((const char *) decoded, len);
  fields = _tg_server_parse_form (text, len, NULL);
  g_return_val_if_fail (fields != NULL, NULL);
  expires_at = _tg_server_form_value (fields, "expires_at");
  g_return_val_if_fail (expires_at != NULL, NULL);

  pending = g_new0 (Pending, 1);
  pending->id = g_strdup (_tg_server_form_value (fields, "id"));
  pending->request = g_strdup (request);
  pending->browser = g_strdup (_tg_server_form_value (fields, "browser"));
  pending->expires_at = g_ascii_strtoll (expires_at, NULL, 10);
  pending->client = _tg_server_find_client (self, _tg_server_form_value (fields, "client_id"));
  pending->redirect_uri = g_strdup (_tg_server_form_value (fields, "redirect_uri"));
  pending->code_challenge = g_strdup (_tg_server_form_value (fields, "code_challenge"));
  pending->scope = g_strdup (_tg_server_form_value (fields, "scope"));
  pending->state = g_strdup (_tg_server_form_value (fields, "state"));
  pending->nonce = g_strdup (_tg_server_form_value (fields, "nonce"));
  pending->csrf_token = keyed_mac (authorize, "csrf", pending->id, strlen (pending->id));
  g_assert (pending->client != NULL && pending->id != NULL && pending->browser != NULL);
  return pending;
}

/* ------------------------------------------------------------------------- */
/* Sending the browser back to the client                                    */

static void
append_parameter (GString    *uri,
                  const char *name,
                  const char *value)
{
  g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);

  g_string_append_printf (uri, "%c%s=%s", strchr (uri->str, '?') != NULL ? '&' : '?',
                          name, escaped);
}

/* Redirects to @redirect_uri (already checked against the client's) with
 * @name=@value, the request's state, and our issuer (RFC 9207), so that the
 * client can tell which server answered. */
static void
redirect_to_client (TgServer          *self,
                    SoupServerMessage *msg,
                    guint              status,
                    const char        *redirect_uri,
                    const char        *state,
                    const char        *name,
                    const char        *value,
                    const char        *error_description)
{
  g_autoptr(GString) location = g_string_new (redirect_uri);

  append_parameter (location, name, value);
  if (error_description != NULL)
    append_parameter (location, "error_description", error_description);
  if (state != NULL)
    append_parameter (location, "state", state);
  append_parameter (location, "iss", self->issuer);

  /* The answer to the sign-in form, to a client on [::1]: a redirect would be
   * blocked by the form's CSP (tg-server-page.c says why). */
  if (strcmp (soup_server_message_get_method (msg), SOUP_METHOD_POST) == 0 &&
      _tg_server_uri_has_ipv6_host (redirect_uri))
    {
      _tg_server_reply_continue_page (msg, location->str);
      return;
    }

  _tg_server_set_no_store (msg);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Referrer-Policy", "no-referrer");
  soup_server_message_set_redirect (msg, status, location->str);
}

/* RFC 6749 §4.1.2.1; @description is ASCII without quotes or backslashes. */
static void
redirect_error (TgServer          *self,
                SoupServerMessage *msg,
                guint              status,
                const char        *redirect_uri,
                const char        *state,
                const char        *error,
                const char        *description)
{
  redirect_to_client (self, msg, status, redirect_uri, state, "error", error, description);
}

/* ------------------------------------------------------------------------- */
/* GET: the form                                                             */

static void
reply_form (SoupServerMessage *msg,
            const Pending     *pending,
            const char        *user_name,
            const char        *message)
{
  gsize path_len = strlen (pending->client->redirect_path);
  g_autofree char *origin = g_strndup (pending->redirect_uri,
                                       strlen (pending->redirect_uri) - path_len);
  TgServerLoginPage page = {
    .request_id = pending->request,
    .csrf_token = pending->csrf_token,
    .client_id = pending->client->client_id,
    .user_name = user_name,
    .message = message,
    .redirect_origin = origin,
  };

  _tg_server_reply_login_page (msg, &page);
}

static gboolean
refuse (const char **out_error,
        const char **out_description,
        const char  *error,
        const char  *description)
{
  *out_error = error;
  *out_description = description;
  return FALSE;
}

/* Checks what RFC 6749 §4.1.1 and RFC 7636 §4.3 ask of a request whose client
 * and redirect URI are known good; on failure, says what to tell the client. */
static gboolean
request_is_valid (GHashTable  *query,
                  const char **out_error,
                  const char **out_description)
{
  const char *response_type = _tg_server_form_value (query, "response_type");
  const char *challenge = _tg_server_form_value (query, "code_challenge");
  const char *method = _tg_server_form_value (query, "code_challenge_method");
  const char *scope = _tg_server_form_value (query, "scope");
  const char *state = _tg_server_form_value (query, "state");
  const char *nonce = _tg_server_form_value (query, "nonce");
  const char *prompt = _tg_server_form_value (query, "prompt");

  if (response_type == NULL)
    return refuse (out_error, out_description, "invalid_request", "response_type is missing");
  if (strcmp (response_type, "code") != 0)
    return refuse (out_error, out_description, "unsupported_response_type",
                   "the only response_type is code");
  /* Without a method, RFC 7636 §4.3 means plain, which we do not take. */
  if (method == NULL || challenge == NULL)
    return refuse (out_error, out_description, "invalid_request",
                   "PKCE is required: code_challenge with code_challenge_method S256");
  if (strcmp (method, "S256") != 0)
    return refuse (out_error, out_description, "invalid_request",
                   "the only code_challenge_method is S256");
  if (strlen (challenge) != 43 || !is_base64url (challenge, 43))
    return refuse (out_error, out_description, "invalid_request",
                   "code_challenge must be 43 characters of base64url");
  if (scope != NULL && !scope_is_supported (scope))
    return refuse (out_error, out_description, "invalid_scope",
                   "supported scopes: api, offline_access, openid");
  if ((state != NULL && strlen (state) > MAX_PARAMETER_BYTES) ||
      (nonce != NULL && strlen (nonce) > MAX_PARAMETER_BYTES))
    return refuse (out_error, out_description, "invalid_request",
                   "state and nonce are limited to 1024 bytes");
  /* OpenID Connect Core §3.1.2.6: we keep no sign-in between requests, so
   * there is never one to go on with without asking. */
  if (prompt != NULL && prompt_has_none (prompt))
    return refuse (out_error, out_description, "login_required", "signing in needs the user");

  return TRUE;
}

/* What is kept of a request that request_is_valid() accepted. */
static Pending *
pending_new (GHashTable           *query,
             const TgServerClient *client,
             const char           *redirect_uri)
{
  const char *scope = _tg_server_form_value (query, "scope");
  Pending *pending = g_new0 (Pending, 1);

  pending->client = client;
  pending->redirect_uri = g_strdup (redirect_uri);
  pending->state = g_strdup (_tg_server_form_value (query, "state"));
  pending->code_challenge = g_strdup (_tg_server_form_value (query, "code_challenge"));
  pending->scope = g_strdup (scope != NULL ? scope : _tg_server_scopes[0]);
  pending->nonce = g_strdup (_tg_server_form_value (query, "nonce"));
  return pending;
}

static void
authorize_get (TgServer          *self,
               SoupServerMessage *msg)
{
  TgServerAuthorize *authorize = self->authorize;
  g_autoptr(GHashTable) query = NULL;
  g_autoptr(GError) error = NULL;
  const TgServerClient *client;
  const char *redirect_uri;
  const char *error_code = NULL;
  const char *description = NULL;
  g_autoptr(Pending) pending = NULL;
  g_autofree char *browser = NULL;
  gint64 now = g_get_monotonic_time ();

  if ((query = read_query (msg, &error)) == NULL)
    {
      _tg_server_reply_error_page (msg, SOUP_STATUS_BAD_REQUEST,
                                   _("The application sent a malformed sign-in request."));
      return;
    }

  /* RFC 6749 §4.1.2.1: with no client we can trust, or a redirect URI it did
   * not register, the browser stays here. */
  client = _tg_server_find_client (self, _tg_server_form_value (query, "client_id"));
  if (client == NULL)
    {
      _tg_server_reply_error_page (msg, SOUP_STATUS_BAD_REQUEST,
                                   _("The application is not known to this server (unknown client_id)."));
      return;
    }
  redirect_uri = _tg_server_form_value (query, "redirect_uri");
  if (!_tg_server_client_redirect_ok (client, redirect_uri))
    {
      _tg_server_reply_error_page (msg, SOUP_STATUS_BAD_REQUEST,
                                   _("The application asked to be answered at an address it did not register (redirect_uri)."));
      return;
    }

  if (!request_is_valid (query, &error_code, &description))
    {
      const char *state = _tg_server_form_value (query, "state");

      /* A state too long to keep is too long to hand back. */
      if (state != NULL && strlen (state) > MAX_PARAMETER_BYTES)
        state = NULL;
      redirect_error (self, msg, SOUP_STATUS_FOUND, redirect_uri, state, error_code, description);
      return;
    }

  pending = pending_new (query, client, redirect_uri);
  pending->id = tg_crypto_random_token ();
  pending->csrf_token = keyed_mac (authorize, "csrf", pending->id, strlen (pending->id));
  browser = browser_token (self, msg);
  pending->browser = tg_crypto_sha256_hex (browser, -1);
  pending->expires_at = now + PENDING_LIFETIME_S * G_USEC_PER_SEC;
  pending->request = sign_request (authorize, pending);

  reply_form (msg, pending, NULL, NULL);
}

/* ------------------------------------------------------------------------- */
/* POST: the form's answer                                                   */

/* A new code for the signed-in user, bound to everything the token endpoint
 * will check; returns the code itself, which only the client gets to see. */
static char *
issue_code (TgServer      *self,
            const Pending *pending,
            gint64         user_id,
            const char    *user_name)
{
  TgServerAuthorize *authorize = self->authorize;
  char *value = tg_crypto_random_token ();
  Code *code = g_new0 (Code, 1);
  gint64 now = g_get_monotonic_time ();

  g_hash_table_foreach_remove (authorize->codes, code_is_forgotten, &now);

  code->grant.user_id = user_id;
  code->grant.user_name = g_strdup (user_name);
  code->client_id = g_strdup (pending->client->client_id);
  code->redirect_uri = g_strdup (pending->redirect_uri);
  code->code_challenge = g_strdup (pending->code_challenge);
  code->grant.scope = granted_scope (pending->scope);
  code->nonce = g_strdup (pending->nonce);
  code->expires_at = now + self->code_lifetime * G_USEC_PER_SEC;
  code->forget_at = code->expires_at + CODE_MEMORY_S * G_USEC_PER_SEC;
  g_hash_table_insert (authorize->codes, tg_crypto_sha256_hex (value, -1), code);

  return value;
}

static void
sign_in_checked (TgServer          *self,
                 SoupServerMessage *msg,
                 gint64             user_id,
                 const char        *user_name,
                 const GError      *error,
                 gpointer           data)
{
  TgServerAuthorize *authorize = self->authorize;
  const char *id = data;
  Pending *pending = g_hash_table_lookup (authorize->pending, id);
  g_autofree char *code = NULL;

  g_assert (pending != NULL);  /* not pruned while checking */
  pending->checking = FALSE;

  if (error != NULL)
    {
      g_warning ("storage failed: %s", error->message);
      _tg_server_reply_error_page (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                   _("The server could not check the password."));
      _tg_server_exchanged (self, msg, TG_SERVER_EXCHANGE_FAILED);
      return;
    }

  if (user_id == 0)
    {
      if (++pending->failures < MAX_FAILURES)
        {
          reply_form (msg, pending, user_name, _("The user name or the password is wrong."));
        }
      else
        {
          redirect_error (self, msg, SOUP_STATUS_SEE_OTHER, pending->redirect_uri, pending->state,
                          "access_denied", "too many wrong passwords");
          pending->spent = TRUE;
        }
      _tg_server_exchanged (self, msg, TG_SERVER_EXCHANGE_SIGN_IN_REJECTED);
      return;
    }

  /* The form is spent: one sign-in, one code. */
  code = issue_code (self, pending, user_id, user_name);
  redirect_to_client (self, msg, SOUP_STATUS_SEE_OTHER, pending->redirect_uri, pending->state,
                      "code", code, NULL);
  explicit_bzero (code, strlen (code));
  pending->spent = TRUE;
}

/* The pending sign-in the form names, if it is still on and the form comes
 * from the browser it was shown to; otherwise NULL once the answer says why. */
static Pending *
pending_for_form (TgServer          *self,
                  SoupServerMessage *msg,
                  GHashTable        *form)
{
  TgServerAuthorize *authorize = self->authorize;
  const char *csrf_token = _tg_server_form_value (form, "csrf_token");
  g_autoptr(Pending) signed_request = verify_request (self, _tg_server_form_value (form, "request_id"));
  Pending *pending = NULL;
  gint64 now = g_get_monotonic_time ();

  if (signed_request != NULL)
    pending = g_hash_table_lookup (authorize->pending, signed_request->id);
  if (signed_request == NULL || signed_request->expires_at <= now || (pending != NULL && pending->spent))
    {
      _tg_server_reply_error_page (msg, SOUP_STATUS_BAD_REQUEST,
                                   _("This sign-in form has expired or was already used."));
      return NULL;
    }

  /* Both, each compared in constant time: the token proves the form was
   * read, the cookie that the browser which read it is the one posting. */
  if (csrf_token == NULL || strlen (csrf_token) != strlen (signed_request->csrf_token) ||
      !tg_crypto_equal (csrf_token, signed_request->csrf_token, strlen (signed_request->csrf_token)) ||
      !find_cookie (msg, equals_browser, signed_request->browser))
    {
      _tg_server_reply_error_page (msg, SOUP_STATUS_FORBIDDEN,
                                   _("This request did not come from the sign-in form. Nothing was changed."));
      return NULL;
    }

  if (pending != NULL && pending->checking)
    {
      _tg_server_reply_error_page (msg, SOUP_STATUS_CONFLICT,
                                   _("This sign-in is being checked already."));
      return NULL;
    }
  if (pending != NULL)
    return pending;

  /* The form's first post: from now on it is kept, to count its wrong
   * passwords and to know it spent. */
  g_hash_table_foreach_remove (authorize->pending, pending_is_over, &now);
  if (g_hash_table_size (authorize->pending) >= MAX_PENDING)
    {
      _tg_server_reply_error_page (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                                   _("Too many sign-ins are in progress. Try again in a few minutes."));
      return NULL;
    }
  pending = g_steal_pointer (&signed_request);
  g_hash_table_insert (authorize->pending, pending->id, pending);
  return pending;
}

static void
authorize_post (TgServer          *self,
                SoupServerMessage *msg)
{
  g_autoptr(GHashTable) form = NULL;
  g_autoptr(GError) error = NULL;
  const char *action;
  const char *user_name;
  const char *password;
  Pending *pending;

  if ((form = _tg_server_read_form (msg, &error)) == NULL)
    {
      _tg_server_reply_error_page (msg, SOUP_STATUS_BAD_REQUEST,
                                   _("The sign-in form could not be read."));
      return;
    }
  if ((pending = pending_for_form (self, msg, form)) == NULL)
    return;

  action = _tg_server_form_value (form, "action");
  if (g_strcmp0 (action, "cancel") == 0)
    {
      redirect_error (self, msg, SOUP_STATUS_SEE_OTHER, pending->redirect_uri, pending->state,
                      "access_denied", "the user cancelled the sign-in");
      pending->spent = TRUE;
      return;
    }
  if (action != NULL && strcmp (action, "sign-in") != 0)
    {
      _tg_server_reply_error_page (msg, SOUP_STATUS_BAD_REQUEST,
                                   _("The sign-in form could not be read."));
      return;
    }

  user_name = _tg_server_form_value (form, "username");
  password = _tg_server_form_value (form, "password");
  if (user_name == NULL || password == NULL)
    {
      reply_form (msg, pending, user_name, _("Enter your user name and your password."));
      return;
    }

  pending->checking = TRUE;
  _tg_server_verify_password (self, msg, user_name, password, sign_in_checked,
                              g_strdup (pending->id), g_free);
}

static void
authorize_handler (TgServer          *self,
                   SoupServerMessage *msg,
                   const char        *path,
                   gpointer           data)
{
  if (!_tg_server_check_method (msg, SOUP_METHOD_GET, SOUP_METHOD_POST, NULL))
    return;

  if (strcmp (soup_server_message_get_method (msg), SOUP_METHOD_POST) == 0)
    authorize_post (self, msg);
  else
    authorize_get (self, msg);
}

/* ------------------------------------------------------------------------- */
/* Redeeming codes                                                           */

/**
 * _tg_server_redeem_code:
 * @out_replayed_family: (out): set to the session @code started when @code
 *   was used before, which the caller then revokes; 0 otherwise
 * @out_description: (out): why the code was refused, for `error_description`
 *
 * Uses up @code (RFC 6749 §4.1.3), whatever the outcome, and checks it against
 * the client, the redirect URI and the PKCE verifier it was issued for.
 *
 * Returns: (nullable) (transfer none): what the code grants, until the caller
 *   returns; %NULL if it is refused (invalid_grant)
 */
TgServerCodeGrant *
_tg_server_redeem_code (TgServer    *self,
                        const char  *code,
                        const char  *client_id,
                        const char  *redirect_uri,
                        const char  *code_verifier,
                        gint64      *out_replayed_family,
                        const char **out_description)
{
  g_autofree char *hash = tg_crypto_sha256_hex (code, -1);
  g_autofree char *challenge = NULL;
  Code *entry = g_hash_table_lookup (self->authorize->codes, hash);
  gint64 now = g_get_monotonic_time ();

  *out_replayed_family = 0;
  if (entry == NULL || entry->forget_at <= now)
    {
      *out_description = "unknown authorization code";
      return NULL;
    }
  if (entry->used)
    {
      *out_replayed_family = entry->grant.family_id;
      *out_description = entry->grant.family_id != 0 ?
        "the authorization code was already used; the session it started is revoked" :
        "the authorization code was already used";
      return NULL;
    }
  entry->used = TRUE;

  challenge = s256_challenge (code_verifier);
  if (entry->expires_at <= now)
    *out_description = "the authorization code has expired";
  else if (strcmp (client_id, entry->client_id) != 0)
    *out_description = "the authorization code was issued to another client";
  else if (strcmp (redirect_uri, entry->redirect_uri) != 0)
    *out_description = "redirect_uri differs from the one of the authorization request";
  else if (!tg_crypto_equal (challenge, entry->code_challenge, strlen (entry->code_challenge)))
    *out_description = "code_verifier does not match the code_challenge";
  else
    return &entry->grant;

  return NULL;
}

void
_tg_server_authorize_register (TgServer *self)
{
  _tg_server_route (self, "/oauth2/authorize", FALSE, authorize_handler, NULL);
}
