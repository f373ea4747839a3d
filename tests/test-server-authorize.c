/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The demo server's browser sign-in over real HTTP on loopback: the
 * authorization endpoint (RFC 6749 §4.1, PKCE of RFC 7636, `iss` of RFC 9207),
 * the authorization_code grant at the token endpoint, and the RFC 8414
 * metadata. libsoup plays the browser: it fetches the form, posts it back with
 * the cookie, and reads where the redirect would take it (no listener is
 * needed for that: the Location header says it all).
 */
#include "config.h"

#include <string.h>

#include "tg-base64url.h"
#include "tg-test-server.h"
#include "tg-test-util.h"

#define FORM "application/x-www-form-urlencoded"
#define CLIENT_ID TG_SERVER_NATIVE_CLIENT_ID
#define REDIRECT_URI "http://127.0.0.1:49152/callback"

/* What the client keeps for one sign-in. */
typedef struct {
  char *verifier;
  char *challenge;
  char *redirect_uri;
  char *state;
} Client;

static void
client_clear (Client *client)
{
  g_free (client->verifier);
  g_free (client->challenge);
  g_free (client->redirect_uri);
  g_free (client->state);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Client, client_clear)

static char *
random_verifier (void)
{
  guint8 bytes[32];

  for (gsize i = 0; i < sizeof bytes; i++)
    bytes[i] = g_random_int_range (0, 256);
  return tg_base64url_encode (bytes, sizeof bytes);
}

static void
client_init (Client     *client,
             const char *redirect_uri,
             const char *state)
{
  client->verifier = random_verifier ();
  client->challenge = tg_test_pkce_challenge (client->verifier);
  client->redirect_uri = g_strdup (redirect_uri);
  client->state = g_strdup (state);
}

/* "?name=value&…" from name/value pairs ending with a NULL name; a NULL value
 * leaves its parameter out. */
static char *
build_query (const char *first_name,
             ...)
{
  g_autoptr(GString) query = g_string_new (NULL);
  va_list args;

  va_start (args, first_name);
  for (const char *name = first_name; name != NULL; name = va_arg (args, const char *))
    {
      const char *value = va_arg (args, const char *);
      g_autofree char *escaped = NULL;

      if (value == NULL)
        continue;
      escaped = g_uri_escape_string (value, NULL, FALSE);
      g_string_append_printf (query, "%c%s=%s", query->len == 0 ? '?' : '&', name, escaped);
    }
  va_end (args);

  return g_string_free (g_steal_pointer (&query), FALSE);
}

/* The HTTPS test's self-signed certificate, which the person at the browser
 * would have accepted. */
static gboolean
accept_test_certificate (SoupMessage          *msg,
                         GTlsCertificate      *certificate,
                         GTlsCertificateFlags  errors,
                         gpointer              user_data)
{
  return TRUE;
}

/* One request as a browser sends it: no redirect followed, and the cookie
 * only when given (the session keeps no cookie jar). */
static TgTestReply *
browser_send (TgTestServer *fixture,
              const char   *method,
              const char   *path,
              const char   *form,
              const char   *cookie)
{
  g_autofree char *uri = g_strconcat (tg_test_server_uri (fixture), path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);

  g_assert_nonnull (msg);
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_test_certificate), NULL);
  if (form != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (form, strlen (form));

      soup_message_set_request_body_from_bytes (msg, FORM, bytes);
    }
  if (cookie != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Cookie", cookie);

  return tg_test_send (fixture, msg);
}

static TgTestReply *
get_authorize_scope (TgTestServer *fixture,
                     const Client *client,
                     const char   *cookie,
                     const char   *scope)
{
  g_autofree char *query = build_query ("response_type", "code",
                                        "client_id", CLIENT_ID,
                                        "redirect_uri", client->redirect_uri,
                                        "code_challenge", client->challenge,
                                        "code_challenge_method", "S256",
                                        "state", client->state,
                                        "scope", scope,
                                        NULL);
  g_autofree char *path = g_strconcat ("/oauth2/authorize", query, NULL);

  return browser_send (fixture, "GET", path, NULL, cookie);
}

static TgTestReply *
get_authorize (TgTestServer *fixture,
               const Client *client,
               const char   *cookie)
{
  return get_authorize_scope (fixture, client, cookie, "api offline_access");
}

/* The headers every HTML page of the sign-in goes out with. */
static void
assert_page_headers (TgTestReply *reply)
{
  const char *csp = soup_message_headers_get_one (reply->headers, "Content-Security-Policy");

  g_assert_cmpstr (soup_message_headers_get_content_type (reply->headers, NULL), ==, "text/html");
  g_assert_nonnull (csp);
  g_assert_true (g_str_has_prefix (csp, "default-src 'none'; style-src 'unsafe-inline'"));
  g_assert_nonnull (strstr (csp, "form-action"));
  g_assert_cmpstr (soup_message_headers_get_one (reply->headers, "X-Frame-Options"), ==, "DENY");
  g_assert_cmpstr (soup_message_headers_get_one (reply->headers, "Cache-Control"), ==, "no-store");
  g_assert_true (g_str_has_prefix (reply->text, "<!DOCTYPE html>\n<html lang=\""));
  g_assert_nonnull (strstr (reply->text, "<meta charset=\"utf-8\">"));
  g_assert_true (g_str_has_suffix (reply->text, "</html>\n"));
  g_assert_null (strstr (reply->text, "<script"));
}

/* An error page: never a redirect to the client. */
static void
assert_error_page (TgTestReply *reply,
                   guint        status)
{
  g_assert_cmpuint (reply->status, ==, status);
  g_assert_null (soup_message_headers_get_one (reply->headers, "Location"));
  assert_page_headers (reply);
  g_assert_null (strstr (reply->text, "<form"));
}

/* A sign-in form as the browser has it: its hidden fields and the cookie. */
typedef struct {
  char *request_id;
  char *csrf_token;
  char *cookie;   /* "tg_authorize=…", as the browser sends it back */
} Form;

static void
form_clear (Form *form)
{
  g_free (form->request_id);
  g_free (form->csrf_token);
  g_free (form->cookie);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Form, form_clear)

static void
read_form (TgTestReply *reply,
           const char  *sent_cookie,
           Form        *form)
{
  const char *set_cookie = soup_message_headers_get_one (reply->headers, "Set-Cookie");

  g_assert_cmpuint (reply->status, ==, 200);
  assert_page_headers (reply);
  g_assert_nonnull (strstr (reply->text, "<form method=\"post\" action=\"/oauth2/authorize\">"));

  form->request_id = tg_test_html_hidden_value (reply->text, "request_id");
  form->csrf_token = tg_test_html_hidden_value (reply->text, "csrf_token");
  g_assert_nonnull (set_cookie);
  g_assert_nonnull (strstr (set_cookie, "; HttpOnly"));
  g_assert_nonnull (strstr (set_cookie, "; SameSite=Strict"));
  g_assert_nonnull (strstr (set_cookie, "; Path=/oauth2"));
  form->cookie = g_strndup (set_cookie, strcspn (set_cookie, ";"));
  g_assert_true (g_str_has_prefix (form->cookie, "tg_authorize="));
  /* random.MAC(random), both 256 bits of base64url */
  g_assert_cmpuint (strlen (form->cookie), ==, strlen ("tg_authorize=") + 87);
  /* A browser that has the cookie keeps it (and its life starts again). */
  if (sent_cookie != NULL)
    g_assert_cmpstr (form->cookie, ==, sent_cookie);
}

static void
open_form (TgTestServer *fixture,
           const Client *client,
           Form         *form)
{
  g_autoptr(TgTestReply) reply = get_authorize (fixture, client, NULL);

  read_form (reply, NULL, form);
}

static TgTestReply *
post_form (TgTestServer *fixture,
           const Form   *form,
           const char   *action,
           const char   *user,
           const char   *password)
{
  g_autofree char *query = build_query ("request_id", form->request_id,
                                        "csrf_token", form->csrf_token,
                                        "username", user,
                                        "password", password,
                                        "action", action,
                                        NULL);

  return browser_send (fixture, "POST", "/oauth2/authorize", query + 1, form->cookie);
}

/* The form's answer to a client on [::1]: a page that sends the browser on
 * by itself, since its CSP could not allow a redirect there
 * (tg-server-page.c). Returns where it sends the browser. */
static char *
read_continue_page (TgTestReply *reply)
{
  g_autoptr(GRegex) refresh = g_regex_new ("<meta http-equiv=\"refresh\" content=\"0; url='([^'\"]*)'\">",
                                           0, 0, NULL);
  g_autoptr(GRegex) link = g_regex_new ("<a href=\"([^\"]*)\">", 0, 0, NULL);
  g_autoptr(GMatchInfo) refresh_match = NULL;
  g_autoptr(GMatchInfo) link_match = NULL;
  g_autofree char *target = NULL;
  g_autofree char *link_target = NULL;
  g_auto(GStrv) pieces = NULL;

  g_assert_cmpuint (reply->status, ==, 200);
  assert_page_headers (reply);
  g_assert_true (g_str_has_suffix (soup_message_headers_get_one (reply->headers, "Content-Security-Policy"),
                                   "; form-action 'none'"));
  g_assert_cmpstr (soup_message_headers_get_one (reply->headers, "Referrer-Policy"), ==, "no-referrer");
  g_assert_null (strstr (reply->text, "<form"));

  g_assert_true (g_regex_match (refresh, reply->text, 0, &refresh_match));
  g_assert_true (g_regex_match (link, reply->text, 0, &link_match));
  target = g_match_info_fetch (refresh_match, 1);
  link_target = g_match_info_fetch (link_match, 1);
  g_assert_cmpstr (target, ==, link_target);

  /* Every value in the query is percent-encoded: "&" is the only character
   * that the HTML escaping touched. */
  pieces = g_strsplit (target, "&amp;", -1);
  return g_strjoinv ("&", pieces);
}

/* Checks a redirect to @client and returns its query parameters. */
static GHashTable *
read_redirect (TgTestServer *fixture,
               TgTestReply  *reply,
               guint         status,
               const Client *client)
{
  g_autofree char *location = NULL;
  g_autoptr(GError) error = NULL;
  GHashTable *params;

  if (status == SOUP_STATUS_SEE_OTHER && g_str_has_prefix (client->redirect_uri, "http://["))
    {
      location = read_continue_page (reply);
    }
  else
    {
      g_assert_cmpuint (reply->status, ==, status);
      location = g_strdup (soup_message_headers_get_one (reply->headers, "Location"));
    }
  g_assert_nonnull (location);
  g_assert_true (g_str_has_prefix (location, client->redirect_uri));
  g_assert_cmpint (location[strlen (client->redirect_uri)], ==, '?');
  g_assert_cmpstr (soup_message_headers_get_one (reply->headers, "Cache-Control"), ==, "no-store");

  params = g_uri_parse_params (location + strlen (client->redirect_uri) + 1, -1, "&",
                               G_URI_PARAMS_NONE, &error);
  g_assert_no_error (error);
  /* RFC 9207: the issuer comes back with every answer, code or error. */
  g_assert_cmpstr (g_hash_table_lookup (params, "iss"), ==, tg_server_get_issuer (fixture->server));
  g_assert_cmpstr (g_hash_table_lookup (params, "state"), ==, client->state);
  return params;
}

static void
assert_redirect_error (TgTestServer *fixture,
                       TgTestReply  *reply,
                       guint         status,
                       const Client *client,
                       const char   *error)
{
  g_autoptr(GHashTable) params = read_redirect (fixture, reply, status, client);

  g_assert_cmpstr (g_hash_table_lookup (params, "error"), ==, error);
  g_assert_nonnull (g_hash_table_lookup (params, "error_description"));
  g_assert_false (g_hash_table_contains (params, "code"));
}

/* The whole browser part: form, password, redirect; returns the code. */
static char *
sign_in_with_browser (TgTestServer *fixture,
                      const Client *client)
{
  g_auto(Form) form = { 0 };
  g_autoptr(TgTestReply) reply = NULL;
  g_autoptr(GHashTable) params = NULL;

  open_form (fixture, client, &form);
  reply = post_form (fixture, &form, "sign-in", "demo", "demo");
  params = read_redirect (fixture, reply, 303, client);
  g_assert_false (g_hash_table_contains (params, "error"));
  g_assert_cmpuint (strlen (g_hash_table_lookup (params, "code")), >=, 22);  /* ≥ 128 bits */
  return g_strdup (g_hash_table_lookup (params, "code"));
}

static TgTestReply *
exchange_code (TgTestServer *fixture,
               const char   *code,
               const char   *redirect_uri,
               const char   *client_id,
               const char   *verifier)
{
  g_autofree char *query = build_query ("grant_type", "authorization_code",
                                        "code", code,
                                        "redirect_uri", redirect_uri,
                                        "client_id", client_id,
                                        "code_verifier", verifier,
                                        NULL);

  return tg_test_request (fixture, "POST", "/oauth2/token", FORM, query + 1, NULL);
}

/* The same answer as the password grant's: RFC 6749 §5.1, nothing more —
 * but for the code grant the scope granted, @scope (nullable). */
static char *
read_token_answer (TgTestReply  *reply,
                   char        **out_refresh_token,
                   const char   *scope)
{
  g_autoptr(JsonObject) object = NULL;
  char *access = tg_test_read_token_answer (reply, out_refresh_token);

  object = tg_test_reply_json (reply);
  g_assert_cmpuint (json_object_get_size (object), ==, scope != NULL ? 5 : 4);
  if (scope != NULL)
    g_assert_cmpstr (json_object_get_string_member (object, "scope"), ==, scope);
  g_assert_cmpint (json_object_get_int_member (object, "expires_in"), ==, 60);
  return access;
}

static char *
redeem (TgTestServer  *fixture,
        const Client  *client,
        const char    *code,
        char         **out_refresh_token)
{
  g_autoptr(TgTestReply) reply = exchange_code (fixture, code, client->redirect_uri,
                                                CLIENT_ID, client->verifier);

  return read_token_answer (reply, out_refresh_token, "api offline_access");
}

/* A form POST to @path by @client_id, a public client, or (NULL) by a
 * request that names no client. */
static TgTestReply *
post_token (TgTestServer *fixture,
            const char   *path,
            const char   *body,
            const char   *client_id)
{
  g_autofree char *full = client_id != NULL ? g_strconcat (body, "&client_id=", client_id, NULL)
                                            : g_strdup (body);

  return tg_test_request (fixture, "POST", path, FORM, full, NULL);
}

/* The refresh grant as the client that redeemed the code sends it, or as
 * another (@client_id NULL: none named). */
static TgTestReply *
refresh_grant (TgTestServer *fixture,
               const char   *refresh_token,
               const char   *client_id)
{
  g_autofree char *body = soup_form_encode ("grant_type", "refresh_token",
                                            "refresh_token", refresh_token, NULL);

  return post_token (fixture, "/oauth2/token", body, client_id);
}

static TgTestReply *
revoke_as (TgTestServer *fixture,
           const char   *token,
           const char   *client_id)
{
  g_autofree char *body = soup_form_encode ("token", token, NULL);

  return post_token (fixture, "/oauth2/revoke", body, client_id);
}

static void
assert_invalid_grant (TgTestReply *reply)
{
  tg_test_assert_json_error (reply, 400, "invalid_grant");
  g_assert_cmpstr (soup_message_headers_get_one (reply->headers, "Cache-Control"), ==, "no-store");
}

/* ------------------------------------------------------------------------- */

static void
test_flow (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  g_autofree char *code = NULL;
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *next_access = NULL;
  g_autofree char *authorization = NULL;
  g_autoptr(TgTestReply) resource = NULL;
  g_autoptr(TgTestReply) refreshed = NULL;
  g_autoptr(TgTestReply) revoked = NULL;
  g_autoptr(TgTestReply) after_revocation = NULL;
  g_autoptr(TgTestReply) by_none = NULL;
  g_autoptr(TgTestReply) revoked_by_none = NULL;

  client_init (&client, REDIRECT_URI, "af0ifjsldkj");
  code = sign_in_with_browser (fixture, &client);
  access = redeem (fixture, &client, code, &refresh);

  authorization = g_strconcat ("Bearer ", access, NULL);
  resource = tg_test_request (fixture, "GET", "/api/resources/1", NULL, NULL, authorization);
  g_assert_cmpuint (resource->status, ==, 200);
  g_assert_cmpstr (resource->text, ==, "protected resources, username: demo, id: 1");

  /* The session belongs to the client that redeemed the code (RFC 6749 §6):
   * a request naming no client can neither refresh nor revoke it... */
  by_none = refresh_grant (fixture, refresh, NULL);
  assert_invalid_grant (by_none);
  revoked_by_none = revoke_as (fixture, refresh, NULL);
  g_assert_cmpuint (revoked_by_none->status, ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);

  /* ...and for that client it is like any other: it refreshes, and
   * revocation ends it. */
  refreshed = refresh_grant (fixture, refresh, CLIENT_ID);
  next_access = read_token_answer (refreshed, NULL, NULL);
  g_assert_cmpuint (tg_test_get_resource (fixture, next_access), ==, 200);

  revoked = revoke_as (fixture, refresh, CLIENT_ID);
  g_assert_cmpuint (revoked->status, ==, 200);
  after_revocation = tg_test_get_resource_reply (fixture, next_access);
  tg_test_assert_json_error (after_revocation, 401, "invalid_token");
}

/* Both loopback literals, with any port or none (RFC 8252 §7.3). */
static void
test_loopback_ports (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  const char *uris[] = {
    "http://127.0.0.1:1/callback",
    "http://127.0.0.1:65535/callback",
    "http://127.0.0.1/callback",
    "http://[::1]:8080/callback",
    "http://[::1]/callback",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      g_auto(Client) client = { 0 };
      g_autofree char *code = NULL;
      g_autofree char *access = NULL;

      g_test_message ("redirect URI %s", uris[i]);
      client_init (&client, uris[i], "s");
      code = sign_in_with_browser (fixture, &client);
      access = redeem (fixture, &client, code, NULL);
      g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
    }
}

/* RFC 6749 §4.1.2.1: an unknown client or redirect URI gets a page of our
 * own, never a redirect. */
static void
test_untrusted_redirect (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  const char *uris[] = {
    "http://127.0.0.1:49152/callback/",
    "http://127.0.0.1:49152/Callback",
    "http://127.0.0.1:49152/other",
    "http://127.0.0.1:49152/callback?x=1",
    "http://127.0.0.1:49152/callback#x",
    "http://127.0.0.1:0/callback",
    "http://127.0.0.1:65536/callback",
    "http://127.0.0.1:080/callback",
    "http://127.0.0.1:/callback",
    "http://127.0.0.2:49152/callback",
    "http://127.0.0.1.evil.example:49152/callback",
    "http://127.0.0.1@evil.example/callback",
    "http://localhost:49152/callback",
    "https://127.0.0.1:49152/callback",
    "HTTP://127.0.0.1:49152/callback",
    "http://[::2]:49152/callback",
    "http://[0:0:0:0:0:0:0:1]:49152/callback",
    "https://evil.example/callback",
    "/callback",
    "",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      g_auto(Client) client = { 0 };
      g_autoptr(TgTestReply) reply = NULL;

      g_test_message ("redirect URI “%s”", uris[i]);
      client_init (&client, uris[i], "s");
      reply = get_authorize (fixture, &client, NULL);
      assert_error_page (reply, 400);
      g_assert_null (soup_message_headers_get_one (reply->headers, "Set-Cookie"));
    }
}

static void
test_untrusted_client (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  const char *queries[] = {
    "",
    "?response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback",
    "?response_type=code&client_id=other&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback",
    "?response_type=code&client_id=tokengate-native",
    /* a parameter twice: which one counts is not ours to guess (RFC 6749 §3.1) */
    "?response_type=code&client_id=tokengate-native&client_id=tokengate-native"
    "&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback",
    "?client_id=tokengate-native%00&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autofree char *path = g_strconcat ("/oauth2/authorize", queries[i], NULL);
      g_autoptr(TgTestReply) reply = NULL;

      g_test_message ("query “%s”", queries[i]);
      reply = browser_send (fixture, "GET", path, NULL, NULL);
      assert_error_page (reply, 400);
    }

  /* The client's ID in the page is escaped, as is everything else. */
  client_init (&client, REDIRECT_URI, "s");
  {
    g_autofree char *hostile = build_query ("response_type", "code",
                                            "client_id", "<script>alert(1)</script>\"'&",
                                            "redirect_uri", REDIRECT_URI,
                                            NULL);
    g_autofree char *path = g_strconcat ("/oauth2/authorize", hostile, NULL);
    g_autoptr(TgTestReply) reply = browser_send (fixture, "GET", path, NULL, NULL);

    assert_error_page (reply, 400);
    g_assert_null (strstr (reply->text, "alert(1)</script>"));
  }
}

/* Errors the client can be told about: a redirect with error, state and iss. */
static void
test_redirected_errors (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  g_autofree char *long_state = g_strnfill (1025, 'x');
  struct {
    const char *name;
    const char *response_type;
    const char *challenge;      /* "-": the client's own */
    const char *method;
    const char *scope;
    const char *prompt;
    const char *state;          /* NULL: the client's own */
    const char *error;
  } cases[] = {
    { "no response_type", NULL, "-", "S256", NULL, NULL, NULL, "invalid_request" },
    { "implicit grant", "token", "-", "S256", NULL, NULL, NULL, "unsupported_response_type" },
    { "hybrid", "code id_token", "-", "S256", NULL, NULL, NULL, "unsupported_response_type" },
    { "no PKCE", "code", NULL, NULL, NULL, NULL, NULL, "invalid_request" },
    { "no challenge", "code", NULL, "S256", NULL, NULL, NULL, "invalid_request" },
    { "no method (plain by default)", "code", "-", NULL, NULL, NULL, NULL, "invalid_request" },
    { "plain", "code", "-", "plain", NULL, NULL, NULL, "invalid_request" },
    { "lower-case s256", "code", "-", "s256", NULL, NULL, NULL, "invalid_request" },
    { "short challenge", "code", "abc", "S256", NULL, NULL, NULL, "invalid_request" },
    { "challenge not base64url", "code", "+++++++++++++++++++++++++++++++++++++++++++", "S256", NULL, NULL, NULL, "invalid_request" },
    { "unknown scope", "code", "-", "S256", "api admin", NULL, NULL, "invalid_scope" },
    { "empty scope token", "code", "-", "S256", "api  offline_access", NULL, NULL, "invalid_scope" },
    { "prompt=none", "code", "-", "S256", NULL, "none", NULL, "login_required" },
    { "state too long", "code", "-", "S256", NULL, NULL, long_state, "invalid_request" },
  };

  client_init (&client, REDIRECT_URI, "xyz");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *query = NULL;
      g_autofree char *path = NULL;
      g_autoptr(TgTestReply) reply = NULL;
      const char *challenge = g_strcmp0 (cases[i].challenge, "-") == 0 ? client.challenge : cases[i].challenge;

      g_test_message ("redirected error: %s", cases[i].name);
      query = build_query ("response_type", cases[i].response_type,
                           "client_id", CLIENT_ID,
                           "redirect_uri", client.redirect_uri,
                           "code_challenge", challenge,
                           "code_challenge_method", cases[i].method,
                           "scope", cases[i].scope,
                           "prompt", cases[i].prompt,
                           "state", cases[i].state != NULL ? cases[i].state : client.state,
                           NULL);
      path = g_strconcat ("/oauth2/authorize", query, NULL);
      reply = browser_send (fixture, "GET", path, NULL, NULL);
      if (cases[i].state != NULL)
        {
          /* Too long to hand back: the answer goes without it. */
          const char *location = soup_message_headers_get_one (reply->headers, "Location");

          g_assert_cmpuint (reply->status, ==, 302);
          g_assert_nonnull (strstr (location, "error=invalid_request"));
          g_assert_null (strstr (location, "state="));
          continue;
        }
      assert_redirect_error (fixture, reply, 302, &client, cases[i].error);
    }
}

static void
test_page (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  g_autoptr(TgTestReply) reply = NULL;
  g_autoptr(TgTestReply) again = NULL;
  g_autoptr(TgTestReply) put = NULL;
  g_auto(Form) form = { 0 };
  g_auto(Form) second = { 0 };
  const char *csp;

  client_init (&client, "http://127.0.0.1:51000/callback", "s");
  reply = get_authorize (fixture, &client, NULL);
  read_form (reply, NULL, &form);
  /* Plain http on loopback: a Secure cookie would never come back. */
  g_assert_null (strstr (soup_message_headers_get_one (reply->headers, "Set-Cookie"), "; Secure"));

  /* The form posts here, and its answer may go on to the client only. */
  csp = soup_message_headers_get_one (reply->headers, "Content-Security-Policy");
  g_assert_true (g_str_has_suffix (csp, "; form-action 'self' http://127.0.0.1:51000"));
  g_assert_nonnull (strstr (csp, "frame-ancestors 'none'"));
  g_assert_nonnull (strstr (reply->text, "name=\"username\""));
  g_assert_nonnull (strstr (reply->text, "name=\"password\" type=\"password\""));
  g_assert_nonnull (strstr (reply->text, "value=\"sign-in\""));
  g_assert_nonnull (strstr (reply->text, "value=\"cancel\""));
  /* Enter submits the first button: it must be Sign In, not Cancel. */
  g_assert_true (strstr (reply->text, "value=\"sign-in\"") < strstr (reply->text, "value=\"cancel\""));
  /* The request itself, signed: base64url "." MAC. */
  g_assert_nonnull (strchr (form.request_id, '.'));
  g_assert_cmpuint (strlen (strchr (form.request_id, '.') + 1), ==, 43);

  /* CSP cannot name an IPv6 literal, and "http:" would let the form go
   * anywhere: a client on [::1] gets its answer without a redirect
   * (read_continue_page()), so the form may go only here. */
  {
    g_auto(Client) ipv6_client = { 0 };
    g_autoptr(TgTestReply) ipv6 = NULL;

    client_init (&ipv6_client, "http://[::1]:51000/callback", "s");
    ipv6 = get_authorize (fixture, &ipv6_client, NULL);
    g_assert_cmpuint (ipv6->status, ==, 200);
    csp = soup_message_headers_get_one (ipv6->headers, "Content-Security-Policy");
    g_assert_true (g_str_has_suffix (csp, "; form-action 'self'"));
  }
  g_assert_cmpuint (strlen (form.csrf_token), ==, 43);

  /* The same browser asking again keeps its cookie; each form is its own. */
  again = get_authorize (fixture, &client, form.cookie);
  read_form (again, form.cookie, &second);
  g_assert_cmpstr (second.request_id, !=, form.request_id);
  g_assert_cmpstr (second.csrf_token, !=, form.csrf_token);

  put = browser_send (fixture, "PUT", "/oauth2/authorize", "a=b", NULL);
  g_assert_cmpuint (put->status, ==, 405);
  g_assert_cmpstr (soup_message_headers_get_one (put->headers, "Allow"), ==, "GET, HEAD, POST");
}

static void
test_wrong_password (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  g_auto(Form) form = { 0 };
  g_autoptr(TgTestReply) wrong = NULL;
  g_autoptr(TgTestReply) unknown = NULL;
  g_autoptr(TgTestReply) empty = NULL;
  g_autoptr(TgTestReply) right = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autofree char *access = NULL;
  g_autofree char *request_id = NULL;

  client_init (&client, REDIRECT_URI, "s");
  open_form (fixture, &client, &form);

  wrong = post_form (fixture, &form, "sign-in", "demo", "nope");
  g_assert_cmpuint (wrong->status, ==, 200);
  g_assert_null (soup_message_headers_get_one (wrong->headers, "Location"));
  assert_page_headers (wrong);
  g_assert_nonnull (strstr (wrong->text, "role=\"alert\""));
  g_assert_nonnull (strstr (wrong->text, "value=\"demo\""));  /* the name stays filled in */
  request_id = tg_test_html_hidden_value (wrong->text, "request_id");
  g_assert_cmpstr (request_id, ==, form.request_id);

  /* A name that is markup comes back as text. */
  unknown = post_form (fixture, &form, "sign-in", "\"><script>alert(1)</script>", "demo");
  g_assert_cmpuint (unknown->status, ==, 200);
  assert_page_headers (unknown);
  g_assert_nonnull (strstr (unknown->text, "value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));

  empty = post_form (fixture, &form, "sign-in", "demo", "");
  g_assert_cmpuint (empty->status, ==, 200);
  g_assert_nonnull (strstr (empty->text, "role=\"alert\""));

  /* The same form still signs in with the right password. */
  right = post_form (fixture, &form, "sign-in", "demo", "demo");
  params = read_redirect (fixture, right, 303, &client);
  access = redeem (fixture, &client, g_hash_table_lookup (params, "code"), NULL);
  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
}

static void
test_too_many_wrong_passwords (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  g_auto(Form) form = { 0 };
  g_autoptr(TgTestReply) denied = NULL;
  g_autoptr(TgTestReply) after = NULL;

  client_init (&client, REDIRECT_URI, "s");
  open_form (fixture, &client, &form);
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(TgTestReply) wrong = post_form (fixture, &form, "sign-in", "demo", "nope");

      g_assert_cmpuint (wrong->status, ==, 200);
    }

  denied = post_form (fixture, &form, "sign-in", "demo", "nope");
  assert_redirect_error (fixture, denied, 303, &client, "access_denied");

  /* The form is spent: not even the right password gets through it now. */
  after = post_form (fixture, &form, "sign-in", "demo", "demo");
  assert_error_page (after, 400);
}

static void
test_cancel (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  /* On [::1], the answer is a page, not a redirect: the state goes into
   * HTML there, so it has characters that HTML and the refresh's URL care
   * about. */
  const char *uris[] = { REDIRECT_URI, "http://[::1]:49152/callback" };

  for (gsize i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      g_auto(Client) client = { 0 };
      g_auto(Form) form = { 0 };
      g_autoptr(TgTestReply) cancelled = NULL;
      g_autoptr(TgTestReply) after = NULL;

      client_init (&client, uris[i], "cancel&state='<\">");
      open_form (fixture, &client, &form);
      cancelled = post_form (fixture, &form, "cancel", NULL, NULL);
      assert_redirect_error (fixture, cancelled, 303, &client, "access_denied");

      after = post_form (fixture, &form, "sign-in", "demo", "demo");
      assert_error_page (after, 400);
    }
}

static void
assert_forged_refused (TgTestServer *fixture,
                       const char   *name,
                       const char   *request_id,
                       const char   *csrf_token,
                       const char   *cookie,
                       guint         status)
{
  Form forged = {
    .request_id = (char *) request_id,
    .csrf_token = (char *) csrf_token,
    .cookie = (char *) cookie,
  };
  g_autoptr(TgTestReply) reply = NULL;

  g_test_message ("forged form: %s", name);
  reply = post_form (fixture, &forged, "sign-in", "demo", "demo");
  assert_error_page (reply, status);
}

/* The form's answer must come from the browser the form was shown to. */
static void
test_csrf (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  g_auto(Form) form = { 0 };
  g_auto(Form) other = { 0 };
  g_autoptr(TgTestReply) right = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autofree char *wrong_token = NULL;
  g_autofree char *short_token = NULL;
  g_autofree char *renamed_cookie = NULL;
  g_autofree char *unknown_request = g_strnfill (43, 'A');

  client_init (&client, REDIRECT_URI, "s");
  open_form (fixture, &client, &form);
  open_form (fixture, &client, &other);   /* another browser: no cookie sent */
  g_assert_cmpstr (other.cookie, !=, form.cookie);

  wrong_token = g_strdup (form.csrf_token);
  wrong_token[0] = wrong_token[0] == 'A' ? 'B' : 'A';
  short_token = g_strndup (form.csrf_token, 42);
  renamed_cookie = g_strconcat ("other_", form.cookie, NULL);

  assert_forged_refused (fixture, "no cookie", form.request_id, form.csrf_token, NULL, 403);
  assert_forged_refused (fixture, "another browser's cookie", form.request_id, form.csrf_token,
                         other.cookie, 403);
  assert_forged_refused (fixture, "a made-up cookie", form.request_id, form.csrf_token,
                         "tg_authorize=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 403);
  assert_forged_refused (fixture, "the cookie under another name", form.request_id,
                         form.csrf_token, renamed_cookie, 403);
  assert_forged_refused (fixture, "no CSRF token", form.request_id, NULL, form.cookie, 403);
  assert_forged_refused (fixture, "a wrong CSRF token", form.request_id, wrong_token, form.cookie, 403);
  assert_forged_refused (fixture, "a short CSRF token", form.request_id, short_token, form.cookie, 403);
  assert_forged_refused (fixture, "the other form's token and cookie", form.request_id,
                         other.csrf_token, other.cookie, 403);
  assert_forged_refused (fixture, "an unknown request", unknown_request, form.csrf_token,
                         form.cookie, 400);
  assert_forged_refused (fixture, "no request", NULL, form.csrf_token, form.cookie, 400);

  /* None of that used the form up. */
  right = post_form (fixture, &form, "sign-in", "demo", "demo");
  params = read_redirect (fixture, right, 303, &client);
  g_assert_nonnull (g_hash_table_lookup (params, "code"));
}

/* The browser's cookie is reused only when this server minted it: one that
 * another program on this computer planted (cookies do not keep ports
 * apart) is replaced, so it cannot know the browser's. */
static void
test_cookie_fixation (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  g_auto(Form) minted = { 0 };
  g_auto(Form) kept = { 0 };
  g_autoptr(TgTestReply) again = NULL;
  g_autofree char *random_part = NULL;
  g_autofree char *forged_mac = NULL;
  const char *planted[] = {
    "tg_authorize=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "tg_authorize=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    NULL,  /* a minted random with a MAC of our own making */
  };

  client_init (&client, REDIRECT_URI, "s");
  open_form (fixture, &client, &minted);
  random_part = g_strndup (minted.cookie, strlen ("tg_authorize=") + 44);
  forged_mac = g_strconcat (random_part, "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", NULL);
  planted[2] = forged_mac;

  for (gsize i = 0; i < G_N_ELEMENTS (planted); i++)
    {
      g_autoptr(TgTestReply) reply = get_authorize (fixture, &client, planted[i]);
      g_auto(Form) form = { 0 };

      g_test_message ("%s", planted[i]);
      read_form (reply, NULL, &form);
      g_assert_cmpstr (form.cookie, !=, planted[i]);
    }

  /* Its own cookie is kept. */
  again = get_authorize (fixture, &client, minted.cookie);
  read_form (again, minted.cookie, &kept);
}

/* The redirect carries the client's state exactly, however hostile. */
static void
test_hostile_state (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  g_autofree char *code = NULL;
  g_autoptr(TgTestReply) reply = NULL;

  client_init (&client, REDIRECT_URI, "\"><script>alert(1)</script>&code=forged#x ü");
  reply = get_authorize (fixture, &client, NULL);
  g_assert_cmpuint (reply->status, ==, 200);
  assert_page_headers (reply);
  g_assert_null (strstr (reply->text, "alert(1)"));

  /* read_redirect() checks that state came back unchanged, and only once. */
  code = sign_in_with_browser (fixture, &client);
  g_assert_cmpstr (code, !=, "forged");
}

/* Over HTTPS the cookie is Secure, and the issuer is the https address. */
static void
test_https (void)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *cert_path = NULL;
  g_autofree char *key_path = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(TgTestServer) fixture = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTestReply) reply = NULL;
  g_autofree char *code = NULL;
  g_auto(Client) client = { 0 };
  g_auto(Form) form = { 0 };

  tg_test_make_tls_files (dir, &cert_path, &key_path, &error);
  g_assert_no_error (error);
  certificate = g_tls_certificate_new_from_files (cert_path, key_path, &error);
  g_assert_no_error (error);
  fixture = tg_test_server_new ("tls-certificate", certificate, NULL);
  g_assert_true (g_str_has_prefix (tg_test_server_uri (fixture), "https://"));

  client_init (&client, REDIRECT_URI, "s");
  reply = get_authorize (fixture, &client, NULL);
  read_form (reply, NULL, &form);
  g_assert_nonnull (strstr (soup_message_headers_get_one (reply->headers, "Set-Cookie"), "; Secure"));

  /* read_redirect() checks iss against the https base URI. */
  code = sign_in_with_browser (fixture, &client);
  g_assert_nonnull (code);

  tg_test_rm_rf (dir);
}

/* The token answer says the scope granted (RFC 6749 §5.1): never `openid`,
 * since no ID token is issued; a refresh token comes either way. */
static void
test_granted_scope (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  struct {
    const char *requested;
    const char *granted;
  } cases[] = {
    { "openid api offline_access", "api offline_access" },
    { "openid", "api" },
    { "api", "api" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(Client) client = { 0 };
      g_auto(Form) form = { 0 };
      g_autoptr(TgTestReply) page = NULL;
      g_autoptr(TgTestReply) signed_in = NULL;
      g_autoptr(TgTestReply) answer = NULL;
      g_autoptr(GHashTable) params = NULL;
      g_autofree char *access = NULL;
      g_autofree char *refresh = NULL;

      g_test_message ("scope=%s", cases[i].requested);
      client_init (&client, REDIRECT_URI, "s");
      page = get_authorize_scope (fixture, &client, NULL, cases[i].requested);
      read_form (page, NULL, &form);
      signed_in = post_form (fixture, &form, "sign-in", "demo", "demo");
      params = read_redirect (fixture, signed_in, 303, &client);
      answer = exchange_code (fixture, g_hash_table_lookup (params, "code"), client.redirect_uri, CLIENT_ID,
                              client.verifier);
      access = read_token_answer (answer, &refresh, cases[i].granted);
      g_assert_nonnull (refresh);
    }
}

/* prompt=login and consent, and a nonce, are taken: every sign-in asks. */
static void
test_prompt_and_nonce (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  const char *prompts[] = { "login", "consent", "login consent", "select_account" };

  client_init (&client, REDIRECT_URI, "s");
  for (gsize i = 0; i < G_N_ELEMENTS (prompts); i++)
    {
      g_autofree char *query = build_query ("response_type", "code",
                                            "client_id", CLIENT_ID,
                                            "redirect_uri", client.redirect_uri,
                                            "code_challenge", client.challenge,
                                            "code_challenge_method", "S256",
                                            "scope", "openid offline_access",
                                            "nonce", "n-0S6_WzA2Mj",
                                            "prompt", prompts[i],
                                            NULL);
      g_autofree char *path = g_strconcat ("/oauth2/authorize", query, NULL);
      g_autoptr(TgTestReply) reply = browser_send (fixture, "GET", path, NULL, NULL);
      g_auto(Form) form = { 0 };

      g_test_message ("prompt=%s", prompts[i]);
      read_form (reply, NULL, &form);
    }
}

/* Opening a form keeps nothing on the server: any page can make a browser
 * open any number (an <img> will do) without keeping anyone from signing
 * in. What is kept — a form once posted — is bounded. */
static void
test_pending_limit (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  g_auto(Form) last = { 0 };
  g_autoptr(TgTestReply) refused = NULL;
  g_autoptr(TgTestReply) signed_in = NULL;
  g_autoptr(GHashTable) params = NULL;
  guint posted = 0;

  client_init (&client, REDIRECT_URI, "s");
  for (guint i = 0; i < 1100; i++)
    {
      g_autoptr(TgTestReply) reply = get_authorize (fixture, &client, NULL);

      g_assert_cmpuint (reply->status, ==, 200);
    }

  /* Posted without a password, each form is kept until it expires. */
  for (;;)
    {
      g_auto(Form) form = { 0 };
      g_autoptr(TgTestReply) reply = NULL;

      open_form (fixture, &client, &form);
      reply = post_form (fixture, &form, "sign-in", "demo", "");
      if (reply->status != 200)
        {
          refused = g_steal_pointer (&reply);
          break;
        }
      g_assert_cmpuint (++posted, <=, 1024);
      /* The last of them still signs in. */
      if (posted == 1024)
        {
          form_clear (&last);
          last = form;
          memset (&form, 0, sizeof form);
        }
    }
  g_assert_cmpuint (posted, ==, 1024);
  assert_error_page (refused, 503);

  signed_in = post_form (fixture, &last, "sign-in", "demo", "demo");
  params = read_redirect (fixture, signed_in, 303, &client);
  g_assert_nonnull (g_hash_table_lookup (params, "code"));
}

/* A form's request is the server's own: changed, it is refused. */
static void
test_tampered_request (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  g_auto(Form) form = { 0 };
  g_autoptr(TgTestReply) refused = NULL;
  g_autoptr(TgTestReply) right = NULL;
  g_autoptr(TgTestReply) again = NULL;
  g_autoptr(GHashTable) params = NULL;
  char *original;

  client_init (&client, REDIRECT_URI, "s");
  open_form (fixture, &client, &form);
  original = form.request_id;
  form.request_id = g_strdup (original);
  form.request_id[10] = form.request_id[10] == 'A' ? 'B' : 'A';
  refused = post_form (fixture, &form, "sign-in", "demo", "demo");
  assert_error_page (refused, 400);

  g_free (form.request_id);
  form.request_id = original;
  right = post_form (fixture, &form, "sign-in", "demo", "demo");
  params = read_redirect (fixture, right, 303, &client);
  g_assert_nonnull (g_hash_table_lookup (params, "code"));

  /* Spent: the same form does not sign in twice. */
  again = post_form (fixture, &form, "sign-in", "demo", "demo");
  assert_error_page (again, 400);
}

/* The demo controls count browser sign-ins like any other. */
static void
test_counted_by_demo (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  g_auto(Form) form = { 0 };
  g_autoptr(TgTestReply) wrong = NULL;
  g_autoptr(TgTestReply) right = NULL;
  g_autoptr(TgTestReply) stats = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *access = NULL;

  client_init (&client, REDIRECT_URI, "s");
  open_form (fixture, &client, &form);
  wrong = post_form (fixture, &form, "sign-in", "demo", "nope");
  g_assert_cmpuint (wrong->status, ==, 200);
  right = post_form (fixture, &form, "sign-in", "demo", "demo");
  params = read_redirect (fixture, right, 303, &client);
  access = redeem (fixture, &client, g_hash_table_lookup (params, "code"), NULL);

  stats = tg_test_request (fixture, "GET", "/demo/stats", NULL, NULL, NULL);
  object = tg_test_reply_json (stats);
  g_assert_cmpint (json_object_get_int_member (object, "signIns"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (object, "signInsRejected"), ==, 1);
}

/* ------------------------------------------------------------------------- */
/* The token endpoint                                                        */

static void
test_pkce_mismatch (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  g_autofree char *code = NULL;
  g_autofree char *other_verifier = random_verifier ();
  g_autoptr(TgTestReply) mismatch = NULL;
  g_autoptr(TgTestReply) after = NULL;

  client_init (&client, REDIRECT_URI, "s");
  code = sign_in_with_browser (fixture, &client);

  mismatch = exchange_code (fixture, code, client.redirect_uri, CLIENT_ID, other_verifier);
  assert_invalid_grant (mismatch);

  /* A code is used up by its first presentation, right or wrong. */
  after = exchange_code (fixture, code, client.redirect_uri, CLIENT_ID, client.verifier);
  assert_invalid_grant (after);
  g_assert_nonnull (strstr (after->text, "already used"));
  g_assert_null (strstr (after->text, "revoked"));  /* it started no session */
}

/* Every binding of a code is checked; none of these hands out tokens. */
static void
test_code_bindings (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *challenge_as_verifier = NULL;
  struct {
    const char *name;
    const char *redirect_uri;
    const char *client_id;
    gboolean    use_challenge;   /* present the challenge instead of the verifier */
  } cases[] = {
    { "another port", "http://127.0.0.1:49153/callback", CLIENT_ID, FALSE },
    { "the other loopback", "http://[::1]:49152/callback", CLIENT_ID, FALSE },
    { "another client", REDIRECT_URI, "someone-else", FALSE },
    { "the challenge as the verifier", REDIRECT_URI, CLIENT_ID, TRUE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(Client) client = { 0 };
      g_autofree char *code = NULL;
      g_autoptr(TgTestReply) reply = NULL;

      g_test_message ("code presented with %s", cases[i].name);
      client_init (&client, REDIRECT_URI, "s");
      code = sign_in_with_browser (fixture, &client);
      reply = exchange_code (fixture, code, cases[i].redirect_uri, cases[i].client_id,
                             cases[i].use_challenge ? client.challenge : client.verifier);
      assert_invalid_grant (reply);
    }
}

static void
test_token_bad_requests (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  g_autofree char *code = NULL;
  g_autofree char *long_verifier = g_strnfill (129, 'a');
  g_autofree char *short_verifier = g_strnfill (42, 'a');
  g_autofree char *access = NULL;
  struct {
    const char *name;
    const char *code;
    const char *redirect_uri;
    const char *client_id;
    const char *verifier;
    const char *error;
  } cases[] = {
    { "no code", NULL, REDIRECT_URI, CLIENT_ID, "-", "invalid_request" },
    { "no redirect_uri", "-", NULL, CLIENT_ID, "-", "invalid_request" },
    { "no client_id", "-", REDIRECT_URI, NULL, "-", "invalid_request" },
    { "no verifier", "-", REDIRECT_URI, CLIENT_ID, NULL, "invalid_request" },
    { "a short verifier", "-", REDIRECT_URI, CLIENT_ID, short_verifier, "invalid_request" },
    { "a long verifier", "-", REDIRECT_URI, CLIENT_ID, long_verifier, "invalid_request" },
    { "a verifier with a space", "-", REDIRECT_URI, CLIENT_ID,
      "aaaaaaaaaaaaaaaaaaaaa aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "invalid_request" },
    { "an unknown code", "no-such-code", REDIRECT_URI, CLIENT_ID, "-", "invalid_grant" },
  };

  client_init (&client, REDIRECT_URI, "s");
  code = sign_in_with_browser (fixture, &client);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TgTestReply) reply = NULL;

      g_test_message ("token request with %s", cases[i].name);
      reply = exchange_code (fixture,
                             g_strcmp0 (cases[i].code, "-") == 0 ? code : cases[i].code,
                             cases[i].redirect_uri, cases[i].client_id,
                             g_strcmp0 (cases[i].verifier, "-") == 0 ? client.verifier : cases[i].verifier);
      tg_test_assert_json_error (reply, 400, cases[i].error);
    }

  /* Malformed requests did not use the code up. */
  access = redeem (fixture, &client, code, NULL);
  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
}

/* RFC 6749 §4.1.2: a code presented twice was copied; the session it started
 * is revoked, whoever holds it. */
static void
test_replay_revokes (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_auto(Client) client = { 0 };
  g_autofree char *code = NULL;
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *other_access = NULL;
  g_autofree char *other_refresh = NULL;
  g_autoptr(TgTestReply) replay = NULL;
  g_autoptr(TgTestReply) refreshed = NULL;
  g_autoptr(TgTestReply) resource = NULL;
  g_autoptr(TgTestReply) other_refreshed = NULL;
  g_autoptr(TgTestReply) password_grant = NULL;

  /* Another session of the same user, which must live on. */
  password_grant = tg_test_oauth2_password_grant (fixture, "demo", "demo");
  other_access = read_token_answer (password_grant, &other_refresh, NULL);

  client_init (&client, REDIRECT_URI, "s");
  code = sign_in_with_browser (fixture, &client);
  access = redeem (fixture, &client, code, &refresh);
  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);

  replay = exchange_code (fixture, code, client.redirect_uri, CLIENT_ID, client.verifier);
  assert_invalid_grant (replay);
  g_assert_nonnull (strstr (replay->text, "revoked"));

  refreshed = refresh_grant (fixture, refresh, CLIENT_ID);
  assert_invalid_grant (refreshed);
  resource = tg_test_get_resource_reply (fixture, access);
  tg_test_assert_json_error (resource, 401, "invalid_token");

  g_assert_cmpuint (tg_test_get_resource (fixture, other_access), ==, 200);
  other_refreshed = tg_test_oauth2_refresh_grant (fixture, other_refresh);
  g_assert_cmpuint (other_refreshed->status, ==, 200);
}

static void
test_expired_code (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new ("code-lifetime", (gint64) 0, NULL);
  g_auto(Client) client = { 0 };
  g_autofree char *code = NULL;
  g_autoptr(TgTestReply) reply = NULL;
  g_autoptr(JsonObject) object = NULL;

  client_init (&client, REDIRECT_URI, "s");
  code = sign_in_with_browser (fixture, &client);
  reply = exchange_code (fixture, code, client.redirect_uri, CLIENT_ID, client.verifier);
  assert_invalid_grant (reply);
  object = tg_test_reply_json (reply);
  g_assert_nonnull (strstr (json_object_get_string_member (object, "error_description"), "expired"));
}

/* ------------------------------------------------------------------------- */
/* Metadata                                                                  */

static void
assert_strings (JsonObject  *object,
                const char  *member,
                const char **expected)
{
  JsonArray *array = json_object_get_array_member (object, member);

  g_assert_nonnull (array);
  g_assert_cmpuint (json_array_get_length (array), ==, g_strv_length ((char **) expected));
  for (guint i = 0; expected[i] != NULL; i++)
    g_assert_cmpstr (json_array_get_string_element (array, i), ==, expected[i]);
}

static void
test_metadata (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autoptr(TgTestReply) reply = NULL;
  g_autoptr(TgTestReply) post = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *authorize = NULL;
  g_autofree char *token = NULL;
  g_autofree char *revoke = NULL;
  const char *base = NULL;
  const char *code[] = { "code", NULL };
  const char *s256[] = { "S256", NULL };
  const char *auth_methods[] = { "none", "client_secret_basic", NULL };
  const char *grants[] = { "authorization_code", "refresh_token", "password", NULL };
  const char *scopes[] = { "api", "offline_access", "openid", NULL };

  reply = tg_test_request (fixture, "GET", "/.well-known/oauth-authorization-server", NULL, NULL, NULL);
  g_assert_cmpuint (reply->status, ==, 200);
  object = tg_test_reply_json (reply);

  /* RFC 8414 §3.3: the issuer is the address the document was asked at,
   * minus the well-known part. */
  base = tg_test_server_uri (fixture);
  g_assert_cmpstr (json_object_get_string_member (object, "issuer"), ==, base);
  authorize = g_strconcat (base, "/oauth2/authorize", NULL);
  token = g_strconcat (base, "/oauth2/token", NULL);
  revoke = g_strconcat (base, "/oauth2/revoke", NULL);
  g_assert_cmpstr (json_object_get_string_member (object, "authorization_endpoint"), ==, authorize);
  g_assert_cmpstr (json_object_get_string_member (object, "token_endpoint"), ==, token);
  g_assert_cmpstr (json_object_get_string_member (object, "revocation_endpoint"), ==, revoke);
  assert_strings (object, "response_types_supported", code);
  assert_strings (object, "code_challenge_methods_supported", s256);
  assert_strings (object, "token_endpoint_auth_methods_supported", auth_methods);
  assert_strings (object, "grant_types_supported", grants);
  assert_strings (object, "scopes_supported", scopes);
  g_assert_true (json_object_get_boolean_member (object, "authorization_response_iss_parameter_supported"));

  post = tg_test_request (fixture, "POST", "/.well-known/oauth-authorization-server", FORM, "a=b", NULL);
  g_assert_cmpuint (post->status, ==, 405);
}

/* Starting a server configured by the properties given must fail with an
 * error that says @expected. */
static void
assert_start_refused (const char *expected,
                      const char *first_property,
                      ...)
{
  g_autoptr(TgServer) server = NULL;
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start (args, first_property);
  server = TG_SERVER (g_object_new_valist (TG_TYPE_SERVER, first_property, args));
  va_end (args);

  g_assert_false (tg_server_start (server, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, expected));
  g_assert_false (tg_server_is_running (server));
  g_assert_null (tg_server_get_issuer (server));
}

/* On every address at once, the server cannot know the URL clients use:
 * it must be told, and then that URL is what clients are told — in the
 * metadata, its endpoints and the authorization response's iss. */
static void
test_issuer (void)
{
  const char *issuer = "http://tokengate.example:7000";
  const char *bad_issuers[] = {
    "http://tokengate.example:7000/",
    "http://tokengate.example:7000/tokengate",
    "http://tokengate.example:7000?a=b",
    "http://tokengate.example:7000#top",
    "http://demo@tokengate.example:7000",
    "ftp://tokengate.example",
    "tokengate.example:7000",
    "http://",
  };
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *cert_path = NULL;
  g_autofree char *key_path = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;

  assert_start_refused ("--issuer", "host", "0.0.0.0", "allow-remote", TRUE, NULL);
  assert_start_refused ("--issuer", "host", "::", "allow-remote", TRUE, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_issuers); i++)
    assert_start_refused (bad_issuers[i], "issuer", bad_issuers[i], NULL);
  tg_test_make_tls_files (dir, &cert_path, &key_path, &error);
  g_assert_no_error (error);
  certificate = g_tls_certificate_new_from_files (cert_path, key_path, &error);
  g_assert_no_error (error);
  assert_start_refused ("must be an https URL", "tls-certificate", certificate, "issuer", issuer, NULL);
  tg_test_rm_rf (dir);

  {
    g_autoptr(TgTestServer) fixture = tg_test_server_new ("host", "0.0.0.0", "allow-remote", TRUE,
                                                          "issuer", issuer, NULL);
    g_autoptr(TgTestReply) reply = NULL;
    g_autoptr(JsonObject) object = NULL;
    g_autofree char *token = NULL;
    g_autofree char *code = NULL;
    g_autofree char *access = NULL;
    g_auto(Client) client = { 0 };

    g_assert_true (g_str_has_prefix (tg_test_server_uri (fixture), "http://0.0.0.0:"));
    g_assert_cmpstr (tg_server_get_issuer (fixture->server), ==, issuer);

    reply = tg_test_request (fixture, "GET", "/.well-known/oauth-authorization-server", NULL, NULL, NULL);
    g_assert_cmpuint (reply->status, ==, 200);
    object = tg_test_reply_json (reply);
    g_assert_cmpstr (json_object_get_string_member (object, "issuer"), ==, issuer);
    token = g_strconcat (issuer, "/oauth2/token", NULL);
    g_assert_cmpstr (json_object_get_string_member (object, "token_endpoint"), ==, token);

    /* read_redirect() checks the iss against the issuer. */
    client_init (&client, REDIRECT_URI, "s");
    code = sign_in_with_browser (fixture, &client);
    access = redeem (fixture, &client, code, NULL);
    g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
  }

  /* On one address, that address is the issuer unless told otherwise. */
  {
    g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);

    g_assert_cmpstr (tg_server_get_issuer (fixture->server), ==, tg_test_server_uri (fixture));
  }
}

int
main (int    argc,
      char **argv)
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/server/authorize/flow", test_flow);
  g_test_add_func ("/server/authorize/loopback-ports", test_loopback_ports);
  g_test_add_func ("/server/authorize/untrusted-redirect", test_untrusted_redirect);
  g_test_add_func ("/server/authorize/untrusted-client", test_untrusted_client);
  g_test_add_func ("/server/authorize/redirected-errors", test_redirected_errors);
  g_test_add_func ("/server/authorize/page", test_page);
  g_test_add_func ("/server/authorize/wrong-password", test_wrong_password);
  g_test_add_func ("/server/authorize/too-many-wrong-passwords", test_too_many_wrong_passwords);
  g_test_add_func ("/server/authorize/cancel", test_cancel);
  g_test_add_func ("/server/authorize/csrf", test_csrf);
  g_test_add_func ("/server/authorize/hostile-state", test_hostile_state);
  g_test_add_func ("/server/authorize/https", test_https);
  g_test_add_func ("/server/authorize/prompt-and-nonce", test_prompt_and_nonce);
  g_test_add_func ("/server/authorize/granted-scope", test_granted_scope);
  g_test_add_func ("/server/authorize/cookie-fixation", test_cookie_fixation);
  g_test_add_func ("/server/authorize/tampered-request", test_tampered_request);
  g_test_add_func ("/server/authorize/pending-limit", test_pending_limit);
  g_test_add_func ("/server/authorize/counted-by-demo", test_counted_by_demo);
  g_test_add_func ("/server/authorize/pkce-mismatch", test_pkce_mismatch);
  g_test_add_func ("/server/authorize/code-bindings", test_code_bindings);
  g_test_add_func ("/server/authorize/token-bad-requests", test_token_bad_requests);
  g_test_add_func ("/server/authorize/replay-revokes", test_replay_revokes);
  g_test_add_func ("/server/authorize/expired-code", test_expired_code);
  g_test_add_func ("/server/authorize/metadata", test_metadata);
  g_test_add_func ("/server/authorize/issuer", test_issuer);

  return g_test_run ();
}
