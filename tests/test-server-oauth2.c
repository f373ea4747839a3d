/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The demo server's standard OAuth 2.0 endpoints over real HTTP on loopback:
 * the token endpoint (RFC 6749 §4.3 password grant, §6 refresh) and token
 * revocation (RFC 7009), and how they share storage with the seed API.
 */
#include "config.h"

#include <string.h>

#include "tg-test-server.h"
#include "tg-test-util.h"

#define FORM "application/x-www-form-urlencoded"
#define JSON "application/json"

/* Token values are secrets even in tests: compare them without printing them. */
static void
assert_tokens_differ (const char *a,
                      const char *b)
{
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_false (g_str_equal (a, b));
}

static TgTestReply *
post_form (TgTestServer *fixture,
           const char   *path,
           const char   *body)
{
  return tg_test_request (fixture, "POST", path, FORM, body, NULL);
}

static TgTestReply *
revoke_token (TgTestServer *fixture,
              const char   *token)
{
  g_autofree char *body = soup_form_encode ("token", token, NULL);

  return post_form (fixture, "/oauth2/revoke", body);
}

static char *
oauth2_sign_in (TgTestServer  *fixture,
                const char    *user,
                const char    *password,
                char         **out_refresh_token)
{
  g_autoptr(TgTestReply) reply = tg_test_oauth2_password_grant (fixture, user, password);

  return tg_test_read_token_answer (reply, out_refresh_token);
}

/* Returns the new access token, or NULL (with *out_status set) when refused;
 * a refusal must be invalid_grant. */
static char *
oauth2_refresh (TgTestServer  *fixture,
                const char    *refresh_token,
                guint         *out_status,
                char         **out_refresh_token)
{
  g_autoptr(TgTestReply) reply = tg_test_oauth2_refresh_grant (fixture, refresh_token);

  *out_status = reply->status;
  if (reply->status != 200)
    {
      tg_test_assert_json_error (reply, 400, "invalid_grant");
      return NULL;
    }

  return tg_test_read_token_answer (reply, out_refresh_token);
}

/* RFC 6750 §3.1: a token that was good and is no more gets invalid_token, in the
 * challenge as well as in the body. */
static void
assert_invalid_token (TgTestServer *fixture,
                      const char   *access_token)
{
  g_autoptr(TgTestReply) reply = tg_test_get_resource_reply (fixture, access_token);
  const char *challenge;

  tg_test_assert_json_error (reply, 401, "invalid_token");
  challenge = soup_message_headers_get_one (reply->headers, "WWW-Authenticate");
  g_assert_nonnull (challenge);
  g_assert_true (g_str_has_prefix (challenge, "Bearer realm=\"tokengate\""));
  g_assert_nonnull (strstr (challenge, "error=\"invalid_token\""));
}

/* The server answered garbage and must still serve a normal client. */
static void
assert_still_serving (TgTestServer *fixture)
{
  g_autofree char *refresh = NULL;
  g_autofree char *access = oauth2_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *next_refresh = NULL;
  g_autofree char *next_access = NULL;
  guint status = 0;

  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
  next_access = oauth2_refresh (fixture, refresh, &status, &next_refresh);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, next_access), ==, 200);
}

/* ------------------------------------------------------------------------- */
/* Password grant                                                            */

static void
test_password_grant (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autoptr(TgTestReply) reply = NULL;
  g_autoptr(TgTestReply) resource = NULL;
  g_autoptr(TgTestReply) with_charset = NULL;
  g_autoptr(TgTestReply) extra = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *other_access = NULL;
  g_autofree char *extra_access = NULL;
  g_auto(GStrv) segments = NULL;

  reply = tg_test_oauth2_password_grant (fixture, "demo", "demo");
  access = tg_test_read_token_answer (reply, &refresh);

  object = tg_test_reply_json (reply);
  g_assert_cmpint (json_object_get_int_member (object, "expires_in"), ==, 60);
  /* RFC 6749 §5.1 names exactly these; the seed API's camelCase must not leak in. */
  g_assert_cmpuint (json_object_get_size (object), ==, 4);
  g_assert_false (json_object_has_member (object, "authorizationToken"));

  segments = g_strsplit (access, ".", -1);
  g_assert_cmpuint (g_strv_length (segments), ==, 3);
  g_assert_cmpuint (strlen (refresh), ==, 43);  /* 256 bits of base64url */

  resource = tg_test_get_resource_reply (fixture, access);
  g_assert_cmpuint (resource->status, ==, 200);
  g_assert_cmpstr (resource->text, ==, "protected resources, username: demo");

  /* Content-Type parameters and case do not change the media type (RFC 9110 §8.3.1). */
  with_charset = tg_test_request (fixture, "POST", "/oauth2/token",
                                  "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
                                  "grant_type=password&username=demo&password=demo", NULL);
  other_access = tg_test_read_token_answer (with_charset, NULL);
  assert_tokens_differ (other_access, access);
  g_assert_cmpuint (tg_test_get_resource (fixture, other_access), ==, 200);

  /* RFC 6749 §3.1: parameters the server does not know are ignored. */
  extra = tg_test_request (fixture, "POST", "/oauth2/token", FORM,
                           "grant_type=password&username=demo&password=demo&client_id=tokengate&foo=bar",
                           NULL);
  extra_access = tg_test_read_token_answer (extra, NULL);
  g_assert_cmpuint (tg_test_get_resource (fixture, extra_access), ==, 200);
}

static void
test_password_grant_escaping (void)
{
  g_autoptr(TgTestServer) fixture = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *access = NULL;
  g_autoptr(TgTestReply) resource = NULL;
  /* Every character that means something in a form body, and some non-ASCII. */
  const char *user = "a&b=c+d e%20f";
  const char *password = "p&ss=w+rd %41 ünï";

  fixture = tg_test_server_new (NULL);
  tg_server_stop (fixture->server);
  tg_server_add_user (fixture->server, user, password, &error);
  g_assert_no_error (error);
  tg_server_start_in_thread (fixture->server, &error);
  g_assert_no_error (error);

  access = oauth2_sign_in (fixture, user, password, NULL);
  resource = tg_test_get_resource_reply (fixture, access);
  g_assert_cmpuint (resource->status, ==, 200);
  g_assert_cmpstr (resource->text, ==, "protected resources, username: a&b=c+d e%20f");
}

static void
test_password_grant_rejected (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autoptr(TgTestReply) wrong_password = NULL;
  g_autoptr(TgTestReply) unknown_user = NULL;
  g_autoptr(TgTestReply) wrong_case = NULL;

  /* RFC 6749 §5.2: a bad resource owner credential is invalid_grant, with 400. */
  wrong_password = tg_test_oauth2_password_grant (fixture, "demo", "nope");
  tg_test_assert_json_error (wrong_password, 400, "invalid_grant");
  g_assert_cmpstr (soup_message_headers_get_one (wrong_password->headers, "Cache-Control"), ==, "no-store");

  unknown_user = tg_test_oauth2_password_grant (fixture, "nobody", "demo");
  tg_test_assert_json_error (unknown_user, 400, "invalid_grant");

  wrong_case = tg_test_oauth2_password_grant (fixture, "demo", "DEMO");
  tg_test_assert_json_error (wrong_case, 400, "invalid_grant");

  /* The answers must not tell which of the two was wrong. */
  g_assert_cmpstr (wrong_password->text, ==, unknown_user->text);

  assert_still_serving (fixture);
}

/* Bodies with a NUL byte inside: their length is not strlen(). */
#define NUL_IN_NAME "grant_type=password&username=demo\0x&password=demo"
#define NUL_AT_END "grant_type=password&username=demo&password=demo\0"
#define NUL_IN_TOKEN "token=ab\0cd"

static const TgTestBadRequest bad_token_requests[] = {
  { "missing grant_type", "POST", FORM, "username=demo&password=demo", 400, "invalid_request" },
  { "empty grant_type", "POST", FORM, "grant_type=&username=demo&password=demo", 400, "invalid_request" },
  { "missing username", "POST", FORM, "grant_type=password&password=demo", 400, "invalid_request" },
  { "missing password", "POST", FORM, "grant_type=password&username=demo", 400, "invalid_request" },
  { "empty password", "POST", FORM, "grant_type=password&username=demo&password=", 400, "invalid_request" },
  { "missing refresh_token", "POST", FORM, "grant_type=refresh_token", 400, "invalid_request" },
  { "empty refresh_token", "POST", FORM, "grant_type=refresh_token&refresh_token=", 400, "invalid_request" },
  { "client_credentials", "POST", FORM, "grant_type=client_credentials&username=demo&password=demo", 400, "unsupported_grant_type" },
  { "authorization_code without its parameters", "POST", FORM, "grant_type=authorization_code&code=x", 400, "invalid_request" },
  { "garbage grant", "POST", FORM, "grant_type=%3Cscript%3E&username=demo&password=demo", 400, "unsupported_grant_type" },
  { "grant_type case", "POST", FORM, "grant_type=PASSWORD&username=demo&password=demo", 400, "unsupported_grant_type" },
  { "JSON body", "POST", JSON, "{\"grant_type\":\"password\",\"username\":\"demo\",\"password\":\"demo\"}", 415, "invalid_request" },
  { "text/plain", "POST", "text/plain", "grant_type=password&username=demo&password=demo", 415, "invalid_request" },
  { "multipart", "POST", "multipart/form-data; boundary=x", "grant_type=password&username=demo&password=demo", 415, "invalid_request" },
  { "empty body", "POST", FORM, "", 400, "invalid_request" },
  { "no body", "POST", NULL, NULL, 415, "invalid_request" },
  { "GET", "GET", NULL, NULL, 405, "invalid_request" },
  { "PUT", "PUT", FORM, "grant_type=password&username=demo&password=demo", 405, "invalid_request" },
  { "NUL byte", "POST", FORM, NUL_IN_NAME, 400, "invalid_request", sizeof NUL_IN_NAME - 1 },
  { "NUL byte at the end", "POST", FORM, NUL_AT_END, 400, "invalid_request", sizeof NUL_AT_END - 1 },
  { "invalid UTF-8", "POST", FORM, "grant_type=password&username=\xff\xfe&password=demo", 400, "invalid_request" },
  { "overlong UTF-8", "POST", FORM, "grant_type=password&username=\xc0\xaf&password=demo", 400, "invalid_request" },
  { "SQL in the name", "POST", FORM, "grant_type=password&username=demo%27+OR+%271%27%3D%271&password=x%27+OR+%271%27%3D%271", 400, "invalid_grant" },
  { "SQL drop", "POST", FORM, "grant_type=password&username=%27%3B+DROP+TABLE+users%3B+--&password=demo", 400, "invalid_grant" },
  { "header injection", "POST", FORM, "grant_type=password&username=demo%0D%0AX-Injected%3A+1&password=demo", 400, "invalid_grant" },
};

static void
test_token_bad_input (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (bad_token_requests); i++)
    {
      g_autoptr(TgTestReply) reply = tg_test_request_bad (fixture, "/oauth2/token",
                                                          &bad_token_requests[i]);

      if (reply->status == 405)
        g_assert_cmpstr (soup_message_headers_get_one (reply->headers, "Allow"), ==, "POST");
    }

  assert_still_serving (fixture);
}

/* The server refuses a body with a NUL byte or invalid UTF-8 in it; the same
 * bytes percent-encoded (RFC 6749 Appendix B: values are UTF-8, then
 * percent-encoded) are just as malformed once decoded, and a decoded NUL must
 * not cut a value short: "demo%00x" is not "demo". */
static void
test_token_bad_encoded_values (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = oauth2_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *refresh_with_junk = g_strconcat ("grant_type=refresh_token&refresh_token=",
                                                    refresh, "%00junk", NULL);
  g_autofree char *revoke_with_junk = g_strconcat ("token=", refresh, "%00junk", NULL);
  g_autoptr(TgTestReply) refreshed = NULL;
  struct {
    const char *name;
    const char *path;
    const char *body;
  } cases[] = {
    { "encoded NUL in the name", "/oauth2/token", "grant_type=password&username=demo%00x&password=demo" },
    { "encoded NUL in the password", "/oauth2/token", "grant_type=password&username=demo&password=demo%00x" },
    { "encoded NUL in grant_type", "/oauth2/token", "grant_type=password%00x&username=demo&password=demo" },
    { "encoded invalid UTF-8 in the name", "/oauth2/token", "grant_type=password&username=%FF%FE&password=demo" },
    { "encoded NUL in the refresh token", "/oauth2/token", refresh_with_junk },
    { "encoded NUL in the revoked token", "/oauth2/revoke", revoke_with_junk },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TgTestReply) reply = NULL;

      g_test_message ("bad encoded value: %s", cases[i].name);
      reply = post_form (fixture, cases[i].path, cases[i].body);
      tg_test_assert_json_error (reply, 400, "invalid_request");
    }

  /* The refresh token that came with junk after it was neither consumed nor
   * revoked. */
  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
  refreshed = tg_test_oauth2_refresh_grant (fixture, refresh);
  g_assert_cmpuint (refreshed->status, ==, 200);
}

/* RFC 6749 §3.2: "Request and response parameters MUST NOT be included more
 * than once", and §5.2 names "repeats a parameter" as invalid_request: which of
 * two passwords or grant types counts must not be left to the form decoder. */
static void
test_token_repeated_parameters (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = oauth2_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *two_tokens = g_strconcat ("token=no-such-token&token=", refresh, NULL);
  g_autoptr(TgTestReply) refreshed = NULL;
  struct {
    const char *name;
    const char *path;
    const char *body;
  } cases[] = {
    { "two passwords", "/oauth2/token", "grant_type=password&username=demo&password=nope&password=demo" },
    { "two user names", "/oauth2/token", "grant_type=password&username=nobody&username=demo&password=demo" },
    { "two grant types", "/oauth2/token",
      "grant_type=refresh_token&refresh_token=x&grant_type=password&username=demo&password=demo" },
    { "two tokens to revoke", "/oauth2/revoke", two_tokens },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TgTestReply) reply = NULL;

      g_test_message ("repeated parameter: %s", cases[i].name);
      reply = post_form (fixture, cases[i].path, cases[i].body);
      tg_test_assert_json_error (reply, 400, "invalid_request");
    }

  /* The refused revocation left the session alone. */
  refreshed = tg_test_oauth2_refresh_grant (fixture, refresh);
  g_assert_cmpuint (refreshed->status, ==, 200);
}

static void
test_token_oversized (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autoptr(TgTestReply) reply = NULL;
  g_autofree char *padding = g_strnfill (65 * 1024, 'a');
  g_autofree char *body = soup_form_encode ("grant_type", "password",
                                            "username", "demo",
                                            "password", padding,
                                            NULL);

  reply = post_form (fixture, "/oauth2/token", body);
  tg_test_assert_json_error (reply, 413, "invalid_request");
  assert_still_serving (fixture);
}

static void
test_token_oversized_chunked (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autoptr(GString) body = g_string_new ("grant_type=password&username=demo&password=");
  g_autoptr(TgTestReply) reply = NULL;

  /* Chunked: the /oauth2/token route has to count, not read a Content-Length. */
  for (gsize i = 0; i < 200 * 1024; i++)
    g_string_append_c (body, 'a');
  reply = tg_test_request_chunked (fixture, "POST", "/oauth2/token", FORM, body->str, body->len);
  g_assert_cmpuint (reply->status, ==, 413);
  assert_still_serving (fixture);
}

/* ------------------------------------------------------------------------- */
/* Refresh grant                                                             */

/* ------------------------------------------------------------------------- */
/* Client authentication (RFC 6749 §2.3.1)                                   */

#define CLIENT_SECRET "tg test secret:+&"

/* "Basic " and the Base64 of @credentials, as they are (not form-encoded). */
static char *
basic (const char *credentials)
{
  g_autofree char *encoded = g_base64_encode ((const guchar *) credentials, strlen (credentials));

  return g_strconcat ("Basic ", encoded, NULL);
}

/* The confidential client's credentials, form-encoded as §2.3.1 says. */
static char *
confidential_basic (const char *secret)
{
  g_autofree char *encoded_secret = g_uri_escape_string (secret, NULL, FALSE);
  g_autofree char *credentials = g_strconcat (TG_SERVER_CONFIDENTIAL_CLIENT_ID ":", encoded_secret, NULL);

  return basic (credentials);
}

/* A password grant that goes through when the client is accepted. */
static TgTestReply *
authenticated_post (TgTestServer *fixture,
                    const char   *path,
                    const char   *body,
                    const char   *authorization)
{
  return tg_test_request (fixture, "POST", path, FORM, body, authorization);
}

static void
assert_invalid_client (TgTestReply *reply)
{
  const char *challenge = soup_message_headers_get_one (reply->headers, "WWW-Authenticate");

  tg_test_assert_json_error (reply, 401, "invalid_client");
  g_assert_nonnull (challenge);
  g_assert_true (g_str_has_prefix (challenge, "Basic "));
  g_assert_null (strstr (reply->text, CLIENT_SECRET));
}

static void
test_client_authentication (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new ("client-secret", CLIENT_SECRET, NULL);
  g_autofree char *good = confidential_basic (CLIENT_SECRET);
  g_autofree char *wrong = confidential_basic ("not the secret");
  g_autofree char *native = basic (TG_SERVER_NATIVE_CLIENT_ID ":" CLIENT_SECRET);
  g_autofree char *unknown = basic ("someone:" CLIENT_SECRET);
  g_autofree char *no_colon = basic (TG_SERVER_CONFIDENTIAL_CLIENT_ID);
  g_autofree char *no_id = basic (":" CLIENT_SECRET);
  g_autofree char *bad_escape = basic (TG_SERVER_CONFIDENTIAL_CLIENT_ID ":%zz");
  g_autofree char *lower_scheme = NULL;
  const char *password = "grant_type=password&username=demo&password=demo";
  const char *paths[] = { "/oauth2/token", "/oauth2/revoke" };
  /* The right secret, then a NUL and more: not the same secret. */
  static const char with_nul[] = TG_SERVER_CONFIDENTIAL_CLIENT_ID ":tg+test+secret%3A%2B%26\0x";
  g_autofree char *with_nul_encoded = g_base64_encode ((const guchar *) with_nul, sizeof with_nul - 1);
  g_autofree char *nul_in_secret = g_strconcat ("Basic ", with_nul_encoded, NULL);
  struct {
    const char *name;
    const char *authorization;
    const char *extra;           /* appended to the body */
  } refused[] = {
    { "wrong secret", wrong, "" },
    { "a public client by Basic", native, "" },
    { "unknown client", unknown, "" },
    { "not Base64", "Basic !!!not-base64!!!", "" },
    { "Base64 without padding", "Basic YWJj ZA", "" },
    { "no colon", no_colon, "" },
    { "no client ID", no_id, "" },
    { "a malformed %-escape", bad_escape, "" },
    { "a NUL in the secret", nul_in_secret, "" },
    { "Basic without credentials", "Basic", "" },
    { "another scheme", "Bearer abc", "" },
    { "client_id in the body disagreeing", good, "&client_id=" TG_SERVER_NATIVE_CLIENT_ID },
    { "the confidential client without Basic", NULL, "&client_id=" TG_SERVER_CONFIDENTIAL_CLIENT_ID },
    { "client_secret in the body", NULL, "&client_id=" TG_SERVER_CONFIDENTIAL_CLIENT_ID "&client_secret=x" },
  };

  for (gsize p = 0; p < G_N_ELEMENTS (paths); p++)
    {
      const char *body = p == 0 ? password : "token=x";

      for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
        {
          g_autofree char *full = g_strconcat (body, refused[i].extra, NULL);
          g_autoptr(TgTestReply) reply = NULL;

          g_test_message ("refused client: %s %s", paths[p], refused[i].name);
          reply = authenticated_post (fixture, paths[p], full, refused[i].authorization);
          assert_invalid_client (reply);
        }
    }

  /* RFC 6749 §2.3: one way of authenticating per request. */
  {
    g_autofree char *full = g_strconcat (password, "&client_secret=" CLIENT_SECRET, NULL);
    g_autoptr(TgTestReply) reply = authenticated_post (fixture, "/oauth2/token", full, good);

    tg_test_assert_json_error (reply, 400, "invalid_request");
  }

  /* Accepted: Basic alone, Basic with the same client_id in the body, the
   * scheme in any case; and a public client as before. */
  lower_scheme = g_strconcat ("bASIC", good + strlen ("Basic"), NULL);
  {
    g_autofree char *same_id = g_strconcat (password, "&client_id=" TG_SERVER_CONFIDENTIAL_CLIENT_ID, NULL);
    g_autofree char *public_id = g_strconcat (password, "&client_id=" TG_SERVER_NATIVE_CLIENT_ID, NULL);
    g_autoptr(TgTestReply) alone = authenticated_post (fixture, "/oauth2/token", password, good);
    g_autoptr(TgTestReply) with_id = authenticated_post (fixture, "/oauth2/token", same_id, good);
    g_autoptr(TgTestReply) lower = authenticated_post (fixture, "/oauth2/token", password, lower_scheme);
    g_autoptr(TgTestReply) public = authenticated_post (fixture, "/oauth2/token", public_id, NULL);
    g_autoptr(TgTestReply) revoked = authenticated_post (fixture, "/oauth2/revoke", "token=x", good);

    g_assert_cmpuint (alone->status, ==, 200);
    g_assert_cmpuint (with_id->status, ==, 200);
    g_assert_cmpuint (lower->status, ==, 200);
    g_assert_cmpuint (public->status, ==, 200);
    g_assert_cmpuint (revoked->status, ==, 200);
  }

  assert_still_serving (fixture);
}

/* Without a secret the server knows no confidential client at all. */
static void
test_client_authentication_without_secret (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *credentials = confidential_basic ("");
  g_autoptr(TgTestReply) reply = NULL;

  reply = authenticated_post (fixture, "/oauth2/token",
                              "grant_type=password&username=demo&password=demo", credentials);
  assert_invalid_client (reply);
}

/* @body (form-encoded) posted to @path as a client sends it: @authorization
 * (nullable) for a confidential client, @client_id (nullable, URL-safe) in
 * the body for a public one; neither for a request that names no client. */
static TgTestReply *
post_as (TgTestServer *fixture,
         const char   *path,
         const char   *body,
         const char   *client_id,
         const char   *authorization)
{
  g_autofree char *full = client_id != NULL ? g_strconcat (body, "&client_id=", client_id, NULL)
                                            : g_strdup (body);

  return authenticated_post (fixture, path, full, authorization);
}

static TgTestReply *
refresh_as (TgTestServer *fixture,
            const char   *refresh_token,
            const char   *client_id,
            const char   *authorization)
{
  g_autofree char *body = soup_form_encode ("grant_type", "refresh_token",
                                            "refresh_token", refresh_token, NULL);

  return post_as (fixture, "/oauth2/token", body, client_id, authorization);
}

static TgTestReply *
revoke_as (TgTestServer *fixture,
           const char   *token,
           const char   *client_id,
           const char   *authorization)
{
  g_autofree char *body = soup_form_encode ("token", token, NULL);

  return post_as (fixture, "/oauth2/revoke", body, client_id, authorization);
}

/* A session of the confidential client, signed in with the password grant. */
static char *
confidential_sign_in (TgTestServer  *fixture,
                      const char    *authorization,
                      char         **out_refresh_token)
{
  g_autoptr(TgTestReply) reply =
    authenticated_post (fixture, "/oauth2/token",
                        "grant_type=password&username=demo&password=demo", authorization);

  return tg_test_read_token_answer (reply, out_refresh_token);
}

/* RFC 6749 §6: a refresh token is good only for the client it was issued to;
 * another client's attempt is invalid_grant (§5.2) and leaves the owner's
 * session as it was — even with a consumed token, which from the owner would
 * count as reuse and end the session. */
static void
test_refresh_other_client (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new ("client-secret", CLIENT_SECRET, NULL);
  g_autofree char *owner = confidential_basic (CLIENT_SECRET);
  g_autofree char *refresh = NULL, *next_refresh = NULL, *public_refresh = NULL;
  g_autofree char *access = confidential_sign_in (fixture, owner, &refresh);
  g_autofree char *next_access = NULL, *public_access = NULL;
  struct {
    const char *name;
    const char *client_id;
  } others[] = {
    { "a public client", TG_SERVER_NATIVE_CLIENT_ID },
    { "an unregistered public client", "someone-else" },
    { "no client", NULL },
  };

  for (gsize round = 0; round < 2; round++)
    {
      /* Round 0: the live token; round 1: the one the owner has consumed. */
      for (gsize i = 0; i < G_N_ELEMENTS (others); i++)
        {
          g_autoptr(TgTestReply) reply = refresh_as (fixture, refresh, others[i].client_id, NULL);

          g_test_message ("refresh by %s, round %" G_GSIZE_FORMAT, others[i].name, round);
          tg_test_assert_json_error (reply, 400, "invalid_grant");
          g_assert_null (strstr (reply->text, "access_token"));
        }
      g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);

      if (round == 0)
        {
          g_autoptr(TgTestReply) reply = refresh_as (fixture, refresh, NULL, owner);

          next_access = tg_test_read_token_answer (reply, &next_refresh);
          g_assert_cmpuint (tg_test_get_resource (fixture, next_access), ==, 200);
        }
    }

  /* The owner goes on. */
  {
    g_autoptr(TgTestReply) reply = refresh_as (fixture, next_refresh, NULL, owner);
    g_autofree char *third = tg_test_read_token_answer (reply, NULL);

    g_assert_cmpuint (tg_test_get_resource (fixture, third), ==, 200);
    g_assert_cmpuint (tg_test_get_resource (fixture, next_access), ==, 200);
  }

  /* A public client's session: another public client, or no client, cannot
   * refresh it either, but the public client itself can. */
  {
    g_autoptr(TgTestReply) sign_in =
      post_form (fixture, "/oauth2/token",
                 "grant_type=password&username=demo&password=demo&client_id=" TG_SERVER_NATIVE_CLIENT_ID);
    g_autoptr(TgTestReply) by_none = NULL;
    g_autoptr(TgTestReply) by_other = NULL;
    g_autoptr(TgTestReply) by_owner = NULL;

    public_access = tg_test_read_token_answer (sign_in, &public_refresh);
    by_none = refresh_as (fixture, public_refresh, NULL, NULL);
    tg_test_assert_json_error (by_none, 400, "invalid_grant");
    by_other = refresh_as (fixture, public_refresh, NULL, owner);
    tg_test_assert_json_error (by_other, 400, "invalid_grant");
    by_owner = refresh_as (fixture, public_refresh, TG_SERVER_NATIVE_CLIENT_ID, NULL);
    g_assert_cmpuint (by_owner->status, ==, 200);
  }
}

/* RFC 7009 §2.1: a token is revoked only for the client it was issued to;
 * anyone else gets the 200 of an invalid token (§2.2), which tells nothing. */
static void
test_revoke_other_client (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new ("client-secret", CLIENT_SECRET, NULL);
  g_autofree char *owner = confidential_basic (CLIENT_SECRET);
  g_autofree char *refresh = NULL;
  g_autofree char *access = confidential_sign_in (fixture, owner, &refresh);
  g_autoptr(TgTestReply) by_public = revoke_as (fixture, refresh, TG_SERVER_NATIVE_CLIENT_ID, NULL);
  g_autoptr(TgTestReply) by_none = revoke_as (fixture, refresh, NULL, NULL);
  g_autoptr(TgTestReply) unknown = revoke_as (fixture, "no-such-token", TG_SERVER_NATIVE_CLIENT_ID, NULL);
  g_autoptr(TgTestReply) by_owner = NULL;
  g_autoptr(TgTestReply) refreshed = NULL;
  g_autoptr(TgTestReply) after = NULL;
  g_autofree char *next_refresh = NULL;
  g_autofree char *next_access = NULL;

  /* Answered exactly like an unknown token. */
  g_assert_cmpuint (by_public->status, ==, 200);
  g_assert_cmpuint (by_none->status, ==, 200);
  g_assert_cmpuint (unknown->status, ==, 200);
  g_assert_cmpstr (by_public->text, ==, unknown->text);
  g_assert_cmpstr (by_none->text, ==, unknown->text);

  /* Nothing was revoked. */
  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
  refreshed = refresh_as (fixture, refresh, NULL, owner);
  next_access = tg_test_read_token_answer (refreshed, &next_refresh);
  g_assert_cmpuint (tg_test_get_resource (fixture, next_access), ==, 200);

  /* The owner can. */
  by_owner = revoke_as (fixture, next_refresh, NULL, owner);
  g_assert_cmpuint (by_owner->status, ==, 200);
  assert_invalid_token (fixture, next_access);
  after = refresh_as (fixture, next_refresh, NULL, owner);
  tg_test_assert_json_error (after, 400, "invalid_grant");
}

static void
test_refresh_rotation (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *first_refresh = NULL;
  g_autofree char *second_refresh = NULL;
  g_autofree char *third_refresh = NULL;
  g_autofree char *first_access = oauth2_sign_in (fixture, "demo", "demo", &first_refresh);
  g_autofree char *second_access = NULL;
  g_autofree char *third_access = NULL;
  g_autoptr(TgTestReply) resource = NULL;
  guint status = 0;

  second_access = oauth2_refresh (fixture, first_refresh, &status, &second_refresh);
  g_assert_cmpuint (status, ==, 200);
  assert_tokens_differ (second_refresh, first_refresh);
  assert_tokens_differ (second_access, first_access);

  resource = tg_test_get_resource_reply (fixture, second_access);
  g_assert_cmpuint (resource->status, ==, 200);
  g_assert_cmpstr (resource->text, ==, "protected resources, username: demo");
  /* Rotation does not end the session: the earlier access token lives on. */
  g_assert_cmpuint (tg_test_get_resource (fixture, first_access), ==, 200);

  third_access = oauth2_refresh (fixture, second_refresh, &status, &third_refresh);
  g_assert_cmpuint (status, ==, 200);
  assert_tokens_differ (third_refresh, second_refresh);
  assert_tokens_differ (third_refresh, first_refresh);
  g_assert_cmpuint (tg_test_get_resource (fixture, third_access), ==, 200);
}

static void
test_refresh_reuse (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *first_refresh = NULL;
  g_autofree char *second_refresh = NULL;
  g_autofree char *first_access = oauth2_sign_in (fixture, "demo", "demo", &first_refresh);
  g_autofree char *second_access = NULL;
  g_autofree char *replayed = NULL;
  g_autofree char *after_revocation = NULL;
  g_autofree char *other_refresh = NULL;
  g_autofree char *other_access = oauth2_sign_in (fixture, "demo", "demo", &other_refresh);
  g_autofree char *other_next = NULL;
  guint status = 0;

  second_access = oauth2_refresh (fixture, first_refresh, &status, &second_refresh);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, second_access), ==, 200);

  /* RFC 9700 §4.14.2: a refresh token presented twice revokes its whole family. */
  replayed = oauth2_refresh (fixture, first_refresh, &status, NULL);
  g_assert_null (replayed);
  g_assert_cmpuint (status, ==, 400);

  after_revocation = oauth2_refresh (fixture, second_refresh, &status, NULL);
  g_assert_null (after_revocation);
  g_assert_cmpuint (status, ==, 400);
  assert_invalid_token (fixture, second_access);
  assert_invalid_token (fixture, first_access);

  /* Another session of the same user is a different family and lives on. */
  g_assert_cmpuint (tg_test_get_resource (fixture, other_access), ==, 200);
  other_next = oauth2_refresh (fixture, other_refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, other_next), ==, 200);
}

static void
test_refresh_unknown (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = oauth2_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *long_token = g_strnfill (60 * 1024, 'A');
  g_autofree char *truncated = g_strndup (refresh, strlen (refresh) - 1);
  g_autofree char *extended = g_strconcat (refresh, "A", NULL);
  g_autofree char *next_access = NULL;
  const char *tokens[] = {
    "x",
    "sdf",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  /* the right shape */
    "' OR '1'='1",
    "ünïcödé",
    "\t ",
    long_token,
    access,       /* an access token is no refresh token */
    truncated,
    extended,
  };
  guint status = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_autoptr(TgTestReply) reply = NULL;

      g_test_message ("unknown refresh token #%" G_GSIZE_FORMAT, i);
      reply = tg_test_oauth2_refresh_grant (fixture, tokens[i]);
      tg_test_assert_json_error (reply, 400, "invalid_grant");
      g_assert_cmpstr (soup_message_headers_get_one (reply->headers, "Cache-Control"), ==, "no-store");
    }

  /* None of that touched the real session. */
  next_access = oauth2_refresh (fixture, refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, next_access), ==, 200);
}

static void
test_refresh_expired (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new ("refresh-ttl", (gint64) 1, NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = oauth2_sign_in (fixture, "demo", "demo", &refresh);
  g_autoptr(TgTestReply) reply = NULL;
  g_autoptr(JsonObject) object = NULL;

  /* Second resolution: 2.1 s is past a 1 s lifetime wherever it started. */
  g_usleep (2100 * G_TIME_SPAN_MILLISECOND);

  reply = tg_test_oauth2_refresh_grant (fixture, refresh);
  tg_test_assert_json_error (reply, 400, "invalid_grant");
  g_assert_cmpstr (soup_message_headers_get_one (reply->headers, "Cache-Control"), ==, "no-store");
  object = tg_test_reply_json (reply);
  g_assert_cmpstr (json_object_get_string_member (object, "error_description"), ==,
                   "the refresh token has expired");
}

/* ------------------------------------------------------------------------- */
/* One server, two wire formats                                              */

static void
test_interop_seed_to_oauth2 (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *seed_refresh = NULL;
  g_autofree char *seed_access = tg_test_seed_sign_in (fixture, "demo", "demo", &seed_refresh);
  g_autofree char *oauth2_refresh_token = NULL;
  g_autofree char *oauth2_access = NULL;
  g_autofree char *back_refresh = NULL;
  g_autofree char *back_access = NULL;
  g_autofree char *last_access = NULL;
  g_autofree char *replayed = NULL;
  guint status = 0;

  /* A seed refresh token, refreshed the standard way… */
  oauth2_access = oauth2_refresh (fixture, seed_refresh, &status, &oauth2_refresh_token);
  g_assert_cmpuint (status, ==, 200);
  assert_tokens_differ (oauth2_refresh_token, seed_refresh);
  g_assert_cmpuint (tg_test_get_resource (fixture, oauth2_access), ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, seed_access), ==, 200);

  /* …and its successor refreshed the seed way, and back again. */
  back_access = tg_test_seed_refresh (fixture, oauth2_refresh_token, &status, &back_refresh);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, back_access), ==, 200);
  last_access = oauth2_refresh (fixture, back_refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, last_access), ==, 200);

  /* One family across both formats: the seed token, consumed at /oauth2/token,
   * is a reuse when presented at the seed endpoint. */
  replayed = tg_test_seed_refresh (fixture, seed_refresh, &status, NULL);
  g_assert_null (replayed);
  g_assert_cmpuint (status, ==, 401);
  assert_invalid_token (fixture, last_access);
}

static void
test_interop_oauth2_to_seed (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = oauth2_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *seed_refresh = NULL;
  g_autofree char *seed_access = NULL;
  g_autofree char *replayed = NULL;
  guint status = 0;

  seed_access = tg_test_seed_refresh (fixture, refresh, &status, &seed_refresh);
  g_assert_cmpuint (status, ==, 200);
  assert_tokens_differ (seed_refresh, refresh);
  g_assert_cmpuint (tg_test_get_resource (fixture, seed_access), ==, 200);

  replayed = oauth2_refresh (fixture, refresh, &status, NULL);
  g_assert_null (replayed);
  g_assert_cmpuint (status, ==, 400);
  assert_invalid_token (fixture, seed_access);
}

/* ------------------------------------------------------------------------- */
/* Revocation (RFC 7009)                                                     */

static void
test_revoke (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = oauth2_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *other_refresh = NULL;
  g_autofree char *other_access = oauth2_sign_in (fixture, "demo", "demo", &other_refresh);
  g_autofree char *refreshed = NULL;
  g_autofree char *other_next = NULL;
  g_autoptr(TgTestReply) reply = NULL;
  g_autoptr(TgTestReply) again = NULL;
  guint status = 0;

  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);

  reply = revoke_token (fixture, refresh);
  g_assert_cmpuint (reply->status, ==, 200);

  refreshed = oauth2_refresh (fixture, refresh, &status, NULL);
  g_assert_null (refreshed);
  g_assert_cmpuint (status, ==, 400);
  assert_invalid_token (fixture, access);

  /* Revoking what is revoked already is no error (RFC 7009 §2.2). */
  again = revoke_token (fixture, refresh);
  g_assert_cmpuint (again->status, ==, 200);

  /* Only that session went. */
  g_assert_cmpuint (tg_test_get_resource (fixture, other_access), ==, 200);
  other_next = oauth2_refresh (fixture, other_refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, other_next), ==, 200);
}

static void
test_revoke_with_hint (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = oauth2_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *body = soup_form_encode ("token", refresh,
                                            "token_type_hint", "refresh_token",
                                            NULL);
  g_autoptr(TgTestReply) reply = NULL;
  g_autofree char *refreshed = NULL;
  guint status = 0;

  /* RFC 7009 §2.1: token_type_hint is optional and only a hint. */
  reply = post_form (fixture, "/oauth2/revoke", body);
  g_assert_cmpuint (reply->status, ==, 200);

  refreshed = oauth2_refresh (fixture, refresh, &status, NULL);
  g_assert_null (refreshed);
  g_assert_cmpuint (status, ==, 400);
  assert_invalid_token (fixture, access);
}

static void
test_revoke_consumed_token (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *first_refresh = NULL;
  g_autofree char *second_refresh = NULL;
  g_autofree char *first_access = oauth2_sign_in (fixture, "demo", "demo", &first_refresh);
  g_autofree char *second_access = NULL;
  g_autofree char *refreshed = NULL;
  g_autoptr(TgTestReply) reply = NULL;
  guint status = 0;

  second_access = oauth2_refresh (fixture, first_refresh, &status, &second_refresh);
  g_assert_cmpuint (status, ==, 200);

  /* A client that logs out with an older token of its session still ends the
   * session: the whole family goes, successor and all. */
  reply = revoke_token (fixture, first_refresh);
  g_assert_cmpuint (reply->status, ==, 200);

  refreshed = oauth2_refresh (fixture, second_refresh, &status, NULL);
  g_assert_null (refreshed);
  g_assert_cmpuint (status, ==, 400);
  assert_invalid_token (fixture, second_access);
  assert_invalid_token (fixture, first_access);
}

static void
test_revoke_seed_token (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autoptr(TgTestReply) reply = NULL;
  g_autofree char *refreshed = NULL;
  guint status = 0;

  reply = revoke_token (fixture, refresh);
  g_assert_cmpuint (reply->status, ==, 200);

  refreshed = tg_test_seed_refresh (fixture, refresh, &status, NULL);
  g_assert_null (refreshed);
  g_assert_cmpuint (status, ==, 401);
  assert_invalid_token (fixture, access);
}

static void
test_revoke_unknown (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = oauth2_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *truncated = g_strndup (refresh, strlen (refresh) - 1);
  g_autofree char *next_access = NULL;
  const char *tokens[] = {
    "x",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "' OR '1'='1",
    truncated,
  };
  guint status = 0;

  /* RFC 7009 §2.2: an unknown token is answered 200 as well, so that the answer
   * does not tell which tokens exist. */
  for (gsize i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_autoptr(TgTestReply) reply = NULL;

      g_test_message ("revoke unknown token #%" G_GSIZE_FORMAT, i);
      reply = revoke_token (fixture, tokens[i]);
      g_assert_cmpuint (reply->status, ==, 200);
    }

  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
  next_access = oauth2_refresh (fixture, refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
}

static const TgTestBadRequest bad_revocations[] = {
  { "missing token", "POST", FORM, "token_type_hint=refresh_token", 400, "invalid_request" },
  { "empty token", "POST", FORM, "token=", 400, "invalid_request" },
  { "empty body", "POST", FORM, "", 400, "invalid_request" },
  { "JSON body", "POST", JSON, "{\"token\":\"x\"}", 415, "invalid_request" },
  { "text/plain", "POST", "text/plain", "token=x", 415, "invalid_request" },
  { "no body", "POST", NULL, NULL, 415, "invalid_request" },
  { "GET", "GET", NULL, NULL, 405, "invalid_request" },
  { "DELETE", "DELETE", NULL, NULL, 405, "invalid_request" },
  { "NUL byte", "POST", FORM, NUL_IN_TOKEN, 400, "invalid_request", sizeof NUL_IN_TOKEN - 1 },
  { "invalid UTF-8", "POST", FORM, "token=\xff\xfe", 400, "invalid_request" },
};

static void
test_revoke_bad_input (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = oauth2_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *padding = g_strnfill (65 * 1024, 'a');
  g_autofree char *oversized = soup_form_encode ("token", padding, NULL);
  g_autoptr(TgTestReply) too_large = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (bad_revocations); i++)
    tg_test_reply_free (tg_test_request_bad (fixture, "/oauth2/revoke", &bad_revocations[i]));

  too_large = post_form (fixture, "/oauth2/revoke", oversized);
  tg_test_assert_json_error (too_large, 413, "invalid_request");

  /* The session that was there all along is untouched. */
  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
  assert_still_serving (fixture);
}

int
main (int   argc,
      char *argv[])
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/server/oauth2/token/password", test_password_grant);
  g_test_add_func ("/server/oauth2/token/password/escaping", test_password_grant_escaping);
  g_test_add_func ("/server/oauth2/token/password/rejected", test_password_grant_rejected);
  g_test_add_func ("/server/oauth2/token/bad-input", test_token_bad_input);
  g_test_add_func ("/server/oauth2/token/bad-input/encoded-values", test_token_bad_encoded_values);
  g_test_add_func ("/server/oauth2/token/bad-input/repeated-parameters", test_token_repeated_parameters);
  g_test_add_func ("/server/oauth2/token/bad-input/oversized", test_token_oversized);
  g_test_add_func ("/server/oauth2/token/bad-input/oversized-chunked", test_token_oversized_chunked);
  g_test_add_func ("/server/oauth2/token/client-authentication", test_client_authentication);
  g_test_add_func ("/server/oauth2/token/client-authentication/without-secret",
                   test_client_authentication_without_secret);
  g_test_add_func ("/server/oauth2/token/refresh/rotation", test_refresh_rotation);
  g_test_add_func ("/server/oauth2/token/refresh/reuse", test_refresh_reuse);
  g_test_add_func ("/server/oauth2/token/refresh/unknown", test_refresh_unknown);
  g_test_add_func ("/server/oauth2/token/refresh/expired", test_refresh_expired);
  g_test_add_func ("/server/oauth2/token/refresh/other-client", test_refresh_other_client);
  g_test_add_func ("/server/oauth2/interop/seed-to-oauth2", test_interop_seed_to_oauth2);
  g_test_add_func ("/server/oauth2/interop/oauth2-to-seed", test_interop_oauth2_to_seed);
  g_test_add_func ("/server/oauth2/revoke", test_revoke);
  g_test_add_func ("/server/oauth2/revoke/with-hint", test_revoke_with_hint);
  g_test_add_func ("/server/oauth2/revoke/consumed-token", test_revoke_consumed_token);
  g_test_add_func ("/server/oauth2/revoke/seed-token", test_revoke_seed_token);
  g_test_add_func ("/server/oauth2/revoke/unknown", test_revoke_unknown);
  g_test_add_func ("/server/oauth2/revoke/other-client", test_revoke_other_client);
  g_test_add_func ("/server/oauth2/revoke/bad-input", test_revoke_bad_input);

  return g_test_run ();
}
