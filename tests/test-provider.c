/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgProvider: discovery against the demo server, the well-known URIs of
 * both specifications, every way a metadata document is refused, the
 * fallback from OpenID Connect to RFC 8414 over HTTP (a scripted server on
 * this thread), and TgClientConfig taking a provider's endpoints.
 */
#include "config.h"

#include <string.h>

#include "tg-auth-error.h"
#include "tg-client-config.h"
#include "tg-provider-private.h"
#include "tg-test-server.h"
#include "tg-test-util.h"

typedef struct {
  gboolean    done;
  TgProvider *provider;
  GError     *error;
} Discovery;

static void
discovered (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Discovery *discovery = user_data;

  discovery->provider = tg_provider_discover_finish (result, &discovery->error);
  discovery->done = TRUE;
}

static void
discover (const char *issuer,
          Discovery  *discovery)
{
  tg_provider_discover_async (issuer, NULL, discovered, discovery);
  tg_test_wait (&discovery->done, 30);
}

static void
test_builtin_server (void)
{
  g_autoptr(TgTestServer) server = tg_test_server_new (NULL);
  g_autoptr(TgClientConfig) config = tg_client_config_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *issuer_slash = NULL;
  Discovery discovery = { 0 };
  Discovery again = { 0 };
  const char *base = tg_test_server_uri (server);
  g_autofree char *token = g_strconcat (base, "/oauth2/token", NULL);
  g_autofree char *revoke = g_strconcat (base, "/oauth2/revoke", NULL);
  g_autofree char *authorize = g_strconcat (base, "/oauth2/authorize", NULL);
  g_autofree char *userinfo = g_strconcat (base, "/oauth2/userinfo", NULL);

  /* No openid-configuration there: found through RFC 8414. */
  discover (base, &discovery);
  g_assert_no_error (discovery.error);
  g_assert_cmpstr (tg_provider_get_issuer (discovery.provider), ==, base);
  g_assert_cmpstr (tg_provider_get_token_endpoint (discovery.provider), ==, token);
  g_assert_cmpstr (tg_provider_get_revocation_endpoint (discovery.provider), ==, revoke);
  g_assert_cmpstr (tg_provider_get_authorization_endpoint (discovery.provider), ==, authorize);
  g_assert_cmpstr (tg_provider_get_userinfo_endpoint (discovery.provider), ==, userinfo);
  g_assert_true (tg_provider_get_sends_issuer_in_response (discovery.provider));

  /* A trailing slash typed after the issuer is forgiven. */
  issuer_slash = g_strconcat (base, "/", NULL);
  discover (issuer_slash, &again);
  g_assert_no_error (again.error);
  g_clear_object (&again.provider);

  /* The configuration takes its endpoints, and the issuer as its server. */
  g_assert_true (tg_client_config_set_provider (config, discovery.provider, &error));
  g_assert_no_error (error);
  g_assert_true (tg_client_config_get_provider (config) == discovery.provider);
  g_assert_cmpint (tg_client_config_get_protocol_kind (config), ==, TG_AUTH_PROTOCOL_OAUTH2);
  g_assert_cmpstr (tg_client_config_get_server_uri (config), ==, base);
  g_assert_cmpstr (tg_client_config_get_token_endpoint (config), ==, token);
  g_assert_cmpstr (tg_client_config_get_revocation_endpoint (config), ==, revoke);
  g_clear_object (&config);
  g_assert_finalize_object (discovery.provider);
}

static void
test_metadata_uris (void)
{
  struct {
    const char *issuer;
    const char *openid;
    const char *oauth;
  } cases[] = {
    { "https://id.example", "https://id.example/.well-known/openid-configuration",
      "https://id.example/.well-known/oauth-authorization-server" },
    { "https://id.example/", "https://id.example/.well-known/openid-configuration",
      "https://id.example/.well-known/oauth-authorization-server" },
    /* RFC 8414 §3: the well-known part goes between host and path. */
    { "https://id.example:8443/realms/demo", "https://id.example:8443/realms/demo/.well-known/openid-configuration",
      "https://id.example:8443/.well-known/oauth-authorization-server/realms/demo" },
    { "http://127.0.0.1:8080", "http://127.0.0.1:8080/.well-known/openid-configuration",
      "http://127.0.0.1:8080/.well-known/oauth-authorization-server" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *openid = _tg_provider_metadata_uri (cases[i].issuer, TRUE, NULL);
      g_autofree char *oauth = _tg_provider_metadata_uri (cases[i].issuer, FALSE, NULL);

      g_assert_cmpstr (openid, ==, cases[i].openid);
      g_assert_cmpstr (oauth, ==, cases[i].oauth);
    }
}

/* Issuers refused before anything is sent. */
static void
test_bad_issuers (void)
{
  struct {
    const char *issuer;
    GQuark      domain;
    int         code;
  } cases[] = {
    { "http://id.example", 0, TG_AUTH_ERROR_INSECURE },
    { "ftp://id.example", 0, G_IO_ERROR_INVALID_ARGUMENT },
    { "id.example", 0, G_IO_ERROR_INVALID_ARGUMENT },
    { "https://id.example/?tenant=a", 0, G_IO_ERROR_INVALID_ARGUMENT },
    { "https://id.example/#a", 0, G_IO_ERROR_INVALID_ARGUMENT },
    { "https://user:pw@id.example", 0, G_IO_ERROR_INVALID_ARGUMENT },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Discovery discovery = { 0 };

      cases[i].domain = cases[i].code == TG_AUTH_ERROR_INSECURE ? TG_AUTH_ERROR : G_IO_ERROR;
      discover (cases[i].issuer, &discovery);
      g_assert_null (discovery.provider);
      g_assert_error (discovery.error, cases[i].domain, cases[i].code);
      g_assert_null (strstr (discovery.error->message, "pw"));
      g_clear_error (&discovery.error);
    }
}

#define ISSUER "https://id.example"
#define GOOD_ENDPOINTS "\"token_endpoint\":\"https://id.example/token\"," \
                       "\"authorization_endpoint\":\"https://id.example/authorize\""

/* Documents refused, each with a clear reason. */
static void
test_bad_documents (void)
{
  g_autofree char *huge = NULL;
  g_autofree char *deep = NULL;
  struct {
    const char *document;
    gsize       length;   /* 0: strlen */
    int         code;     /* in TG_AUTH_ERROR */
    const char *reason;
  } cases[] = {
    { "<html>Not here</html>", 0, TG_AUTH_ERROR_NOT_A_PROVIDER, "not JSON" },
    { "", 0, TG_AUTH_ERROR_NOT_A_PROVIDER, "not JSON" },
    { "{\"issuer\":\"" ISSUER "\"} {}", 0, TG_AUTH_ERROR_NOT_A_PROVIDER, "not JSON" },
    { "{\"issuer\":\"" ISSUER "\\u0000\"," GOOD_ENDPOINTS "}", 0, TG_AUTH_ERROR_NOT_A_PROVIDER, "not JSON" },
    { "[\"" ISSUER "\"]", 0, TG_AUTH_ERROR_NOT_A_PROVIDER, "not a JSON object" },
    { "{" GOOD_ENDPOINTS "}", 0, TG_AUTH_ERROR_NOT_A_PROVIDER, "no “issuer”" },
    { "{\"issuer\":42," GOOD_ENDPOINTS "}", 0, TG_AUTH_ERROR_NOT_A_PROVIDER, "not as text" },
    { "{\"issuer\":\"https://evil.example\"," GOOD_ENDPOINTS "}", 0, TG_AUTH_ERROR_NOT_A_PROVIDER,
      "another issuer" },
    { "{\"issuer\":\"https://id.example/other\"," GOOD_ENDPOINTS "}", 0, TG_AUTH_ERROR_NOT_A_PROVIDER,
      "another issuer" },
    { "{\"issuer\":\"" ISSUER "\",\"authorization_endpoint\":\"https://id.example/a\"}", 0,
      TG_AUTH_ERROR_NOT_A_PROVIDER, "no “token_endpoint”" },
    { "{\"issuer\":\"" ISSUER "\",\"token_endpoint\":[\"https://id.example/token\"]}", 0,
      TG_AUTH_ERROR_NOT_A_PROVIDER, "not as text" },
    { "{\"issuer\":\"" ISSUER "\",\"token_endpoint\":\"/token\"}", 0,
      TG_AUTH_ERROR_NOT_A_PROVIDER, "not an absolute URL" },
    { "{\"issuer\":\"" ISSUER "\",\"token_endpoint\":\"ftp://id.example/token\"}", 0,
      TG_AUTH_ERROR_NOT_A_PROVIDER, "not an http or https URL" },
    { "{\"issuer\":\"" ISSUER "\",\"token_endpoint\":\"https://id example/token\"}", 0,
      TG_AUTH_ERROR_NOT_A_PROVIDER, "“token_endpoint”" },
    { "{\"issuer\":\"" ISSUER "\",\"token_endpoint\":\"http://id.example/token\"}", 0,
      TG_AUTH_ERROR_INSECURE, "unencrypted" },
    { "{\"issuer\":\"" ISSUER "\"," GOOD_ENDPOINTS ",\"revocation_endpoint\":\"http://id.example/r\"}", 0,
      TG_AUTH_ERROR_INSECURE, "revocation_endpoint" },
    { "{\"issuer\":\"" ISSUER "\"," GOOD_ENDPOINTS ",\"code_challenge_methods_supported\":[\"plain\"]}", 0,
      TG_AUTH_ERROR_NOT_A_PROVIDER, "S256" },
    { "{\"issuer\":\"" ISSUER "\"," GOOD_ENDPOINTS ",\"code_challenge_methods_supported\":\"S256\"}", 0,
      TG_AUTH_ERROR_NOT_A_PROVIDER, "not as a list" },
    { "{\"issuer\":\"" ISSUER "\"," GOOD_ENDPOINTS ",\"authorization_response_iss_parameter_supported\":\"yes\"}", 0,
      TG_AUTH_ERROR_NOT_A_PROVIDER, "true or false" },
    { NULL, 0, TG_AUTH_ERROR_NOT_A_PROVIDER, "64 KiB" },
    { NULL, 0, TG_AUTH_ERROR_NOT_A_PROVIDER, "not JSON" },
  };
  gsize n = G_N_ELEMENTS (cases);

  huge = g_strnfill (TG_PROVIDER_MAX_DOCUMENT + 1, ' ');
  cases[n - 2].document = huge;
  deep = g_strnfill (10000, '[');
  cases[n - 1].document = deep;

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TgProvider) provider = NULL;
      gsize length = cases[i].length != 0 ? cases[i].length : strlen (cases[i].document);

      provider = _tg_provider_parse (ISSUER, cases[i].document, length, &error);
      g_assert_null (provider);
      g_assert_error (error, TG_AUTH_ERROR, cases[i].code);
      if (strstr (error->message, cases[i].reason) == NULL)
        g_error ("case %" G_GSIZE_FORMAT ": “%s” does not say “%s”", i, error->message, cases[i].reason);
      if (cases[i].code == TG_AUTH_ERROR_NOT_A_PROVIDER)
        g_assert_true (g_str_has_prefix (error->message, "This is not an OpenID provider: "));
    }
}

static void
test_good_document (void)
{
  static const char document[] =
    "{\"issuer\":\"https://id.example/realms/demo\","
    "\"authorization_endpoint\":\"https://id.example/realms/demo/auth\","
    "\"token_endpoint\":\"https://id.example/realms/demo/token\","
    "\"revocation_endpoint\":\"https://id.example/realms/demo/revoke\","
    "\"userinfo_endpoint\":\"https://id.example/realms/demo/userinfo\","
    "\"end_session_endpoint\":\"https://id.example/realms/demo/logout\","
    "\"code_challenge_methods_supported\":[\"plain\",\"S256\"],"
    "\"authorization_response_iss_parameter_supported\":true,"
    "\"jwks_uri\":null, \"grant_types_supported\":[\"authorization_code\"]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(TgProvider) provider = _tg_provider_parse ("https://id.example/realms/demo", document,
                                                      strlen (document), &error);

  g_assert_no_error (error);
  g_assert_cmpstr (tg_provider_get_issuer (provider), ==, "https://id.example/realms/demo");
  g_assert_cmpstr (tg_provider_get_userinfo_endpoint (provider), ==, "https://id.example/realms/demo/userinfo");
  g_assert_cmpstr (tg_provider_get_end_session_endpoint (provider), ==, "https://id.example/realms/demo/logout");
  g_assert_true (tg_provider_get_sends_issuer_in_response (provider));
}

/* What the configuration takes from a provider, and what it refuses. */
static void
test_client_config (void)
{
  static const char bare[] = "{\"issuer\":\"https://id.example\",\"token_endpoint\":\"https://id.example/token\"}";
  static const char query[] = "{\"issuer\":\"https://id.example\",\"token_endpoint\":\"https://id.example/t?a=b\"}";
  g_autoptr(TgProvider) without_revocation = _tg_provider_parse ("https://id.example", bare, strlen (bare), NULL);
  g_autoptr(TgProvider) with_query = _tg_provider_parse ("https://id.example", query, strlen (query), NULL);
  g_autoptr(TgClientConfig) config = tg_client_config_new ();
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (without_revocation);
  g_assert_nonnull (with_query);

  /* The API may live elsewhere: a server already set stays. */
  g_assert_true (tg_client_config_set_server_uri (config, "https://api.example", NULL));
  g_assert_false (tg_client_config_set_provider (config, with_query, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (tg_client_config_get_provider (config));
  g_assert_cmpint (tg_client_config_get_protocol_kind (config), ==, TG_AUTH_PROTOCOL_SEED);

  g_assert_true (tg_client_config_set_provider (config, without_revocation, NULL));
  g_assert_cmpstr (tg_client_config_get_server_uri (config), ==, "https://api.example");
  g_assert_cmpstr (tg_client_config_get_token_endpoint (config), ==, "https://id.example/token");
  /* No revocation endpoint is guessed next to a provider's token endpoint. */
  g_assert_null (tg_client_config_get_revocation_endpoint (config));
}

/* A scripted provider on this thread: documents by path. */
typedef struct {
  SoupServer *server;
  char       *base;
  GHashTable *documents;   /* path → document */
  guint       requests;
} Scripted;

static void
serve (SoupServer        *server,
       SoupServerMessage *msg,
       const char        *path,
       GHashTable        *query,
       gpointer           user_data)
{
  Scripted *scripted = user_data;
  const char *document = g_hash_table_lookup (scripted->documents, path);

  scripted->requests++;
  if (document == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, document, strlen (document));
}

static void
scripted_init (Scripted *scripted)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;

  scripted->server = soup_server_new (NULL, NULL);
  scripted->documents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  soup_server_add_handler (scripted->server, NULL, serve, scripted, NULL);
  g_assert_true (soup_server_listen_local (scripted->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (scripted->server);
  scripted->base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
}

static void
scripted_clear (Scripted *scripted)
{
  soup_server_disconnect (scripted->server);
  g_clear_object (&scripted->server);
  g_clear_pointer (&scripted->documents, g_hash_table_unref);
  g_clear_pointer (&scripted->base, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Scripted, scripted_clear)

static void
scripted_add (Scripted   *scripted,
              const char *path,
              const char *issuer)
{
  g_hash_table_insert (scripted->documents, g_strdup (path),
                       g_strdup_printf ("{\"issuer\":\"%s\",\"token_endpoint\":\"%s/t\"}", issuer, issuer));
}

static void
test_discovery_over_http (void)
{
  g_auto(Scripted) scripted = { 0 };
  g_autofree char *tenant = NULL;
  g_autofree char *other = NULL;
  g_autofree char *spa = NULL;
  Discovery openid = { 0 };
  Discovery fallback = { 0 };
  Discovery mismatch = { 0 };
  Discovery missing = { 0 };
  Discovery catch_all = { 0 };

  scripted_init (&scripted);
  spa = g_strconcat (scripted.base, "/spa", NULL);
  tenant = g_strconcat (scripted.base, "/tenant", NULL);
  other = g_strconcat (scripted.base, "/other", NULL);

  /* OpenID Connect first. */
  scripted_add (&scripted, "/.well-known/openid-configuration", scripted.base);
  discover (scripted.base, &openid);
  g_assert_no_error (openid.error);
  g_assert_cmpuint (scripted.requests, ==, 1);
  g_clear_object (&openid.provider);

  /* RFC 8414 next, with the well-known part before the issuer's path. */
  scripted.requests = 0;
  scripted_add (&scripted, "/.well-known/oauth-authorization-server/tenant", tenant);
  discover (tenant, &fallback);
  g_assert_no_error (fallback.error);
  g_assert_cmpuint (scripted.requests, ==, 2);
  g_assert_cmpstr (tg_provider_get_issuer (fallback.provider), ==, tenant);
  g_clear_object (&fallback.provider);

  /* A document for someone else. */
  scripted_add (&scripted, "/other/.well-known/openid-configuration", scripted.base);
  discover (other, &mismatch);
  g_assert_error (mismatch.error, TG_AUTH_ERROR, TG_AUTH_ERROR_NOT_A_PROVIDER);
  g_assert_nonnull (strstr (mismatch.error->message, "another issuer"));
  g_clear_error (&mismatch.error);

  /* A web app's catch-all page for the OpenID document: RFC 8414 next. */
  scripted.requests = 0;
  g_hash_table_insert (scripted.documents, g_strdup ("/spa/.well-known/openid-configuration"),
                       g_strdup ("<!DOCTYPE html><html><body>App</body></html>"));
  scripted_add (&scripted, "/.well-known/oauth-authorization-server/spa", spa);
  discover (spa, &catch_all);
  g_assert_no_error (catch_all.error);
  g_assert_cmpuint (scripted.requests, ==, 2);
  g_assert_cmpstr (tg_provider_get_issuer (catch_all.provider), ==, spa);
  g_clear_object (&catch_all.provider);

  /* Nothing at either place. */
  g_hash_table_remove_all (scripted.documents);
  discover (scripted.base, &missing);
  g_assert_error (missing.error, TG_AUTH_ERROR, TG_AUTH_ERROR_NOT_A_PROVIDER);
  g_assert_nonnull (strstr (missing.error->message, "HTTP 404"));
  g_clear_error (&missing.error);
}

/* Only the slash of an empty path is forgiven (OpenID Connect Discovery
 * §4.3, RFC 8414 §3.3): an issuer with a path matches byte for byte. */
static void
test_issuer_slashes (void)
{
  struct {
    const char *asked;
    const char *stated;
    gboolean    matches;
  } cases[] = {
    { "https://id.example", "https://id.example", TRUE },
    { "https://id.example", "https://id.example/", TRUE },
    { "https://id.example/", "https://id.example", TRUE },
    { "https://id.example/realms/demo", "https://id.example/realms/demo", TRUE },
    { "https://id.example/realms/demo/", "https://id.example/realms/demo/", TRUE },
    { "https://id.example/realms/demo", "https://id.example/realms/demo/", FALSE },
    { "https://id.example/realms/demo/", "https://id.example/realms/demo", FALSE },
    { "https://id.example", "https://id.example//", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *document = g_strdup_printf ("{\"issuer\":\"%s\",\"token_endpoint\":\"https://id.example/t\"}",
                                                   cases[i].stated);
      g_autoptr(GError) error = NULL;
      g_autoptr(TgProvider) provider = _tg_provider_parse (cases[i].asked, document, strlen (document), &error);

      g_test_message ("%s vs %s", cases[i].asked, cases[i].stated);
      g_assert_true ((provider != NULL) == cases[i].matches);
    }

  /* What discovery asks for keeps the issuer's own slash. */
  {
    g_autofree char *openid = _tg_provider_metadata_uri ("https://id.example/realms/demo/", TRUE, NULL);

    g_assert_cmpstr (openid, ==, "https://id.example/realms/demo//.well-known/openid-configuration");
  }
}

int
main (int    argc,
      char **argv)
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/provider/builtin-server", test_builtin_server);
  g_test_add_func ("/provider/metadata-uris", test_metadata_uris);
  g_test_add_func ("/provider/bad-issuers", test_bad_issuers);
  g_test_add_func ("/provider/bad-documents", test_bad_documents);
  g_test_add_func ("/provider/good-document", test_good_document);
  g_test_add_func ("/provider/discovery-over-http", test_discovery_over_http);
  g_test_add_func ("/provider/issuer-slashes", test_issuer_slashes);
  g_test_add_func ("/provider/client-config", test_client_config);

  return g_test_run ();
}
