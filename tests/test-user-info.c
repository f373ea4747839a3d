/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The user's name from the userinfo endpoint: the answers a provider may
 * send, and the built-in server's endpoint with a real session.
 */
#include "config.h"

#include <string.h>

#include "tg-auth-error.h"
#include "tg-test-server.h"
#include "tg-test-sign-in.h"
#include "tg-test-util.h"
#include "tg-user-info.h"

typedef struct {
  const char *body;
  const char *name;   /* NULL: refused with TG_AUTH_ERROR_PROTOCOL */
} ParseCase;

static const ParseCase parse_cases[] = {
  { "{\"sub\":\"248289761001\",\"name\":\"Jane Doe\",\"preferred_username\":\"j.doe\"}", "Jane Doe" },
  { "{\"sub\":\"248289761001\",\"preferred_username\":\"j.doe\"}", "j.doe" },
  { "{\"sub\":\"248289761001\"}", "248289761001" },
  /* A claim that is not a showable string is passed over, not an error. */
  { "{\"sub\":\"s\",\"name\":\"\",\"preferred_username\":\"p\"}", "p" },
  { "{\"sub\":\"s\",\"name\":42,\"preferred_username\":null}", "s" },
  { "{\"sub\":\"s\",\"name\":\"Jane\\nDoe\"}", "s" },
  { "{\"sub\":\"s\",\"name\":[\"Jane\"]}", "s" },
  /* Nor one that would lay out what follows it: a line separator, a bidi
   * override (the API URL after the name would read backwards), an isolate. */
  { "{\"sub\":\"s\",\"name\":\"Jane\\u2028Doe\"}", "s" },
  { "{\"sub\":\"s\",\"name\":\"Jane\\u2029\"}", "s" },
  { "{\"sub\":\"s\",\"name\":\"\\u202eenaJ\"}", "s" },
  { "{\"sub\":\"s\",\"name\":\"\xe2\x80\xaa" "Jane\"}", "s" },
  { "{\"sub\":\"s\",\"name\":\"Jane\\u2067\"}", "s" },
  { "{\"sub\":\"s\",\"name\":\"Jane\\u2069\"}", "s" },
  /* Right-to-left letters and the implicit marks are a name's own. */
  { "{\"sub\":\"s\",\"name\":\"\xd7\x93\xd7\x9f \xe2\x80\x8f\"}", "\xd7\x93\xd7\x9f \xe2\x80\x8f" },
  { "{\"sub\":\"s\",\"name\":\"Jane\\u200eDoe\"}", "Jane\xe2\x80\x8e" "Doe" },
  /* Not one to show. */
  { "{}", NULL },
  { "{\"sub\":17}", NULL },
  { "{\"email\":\"jane@example.org\"}", NULL },
  { "[\"Jane\"]", NULL },
  { "\"Jane\"", NULL },
  { "Jane", NULL },
  { "<html>Sign in</html>", NULL },
  { "", NULL },
  { "{\"name\":\"Jane\"", NULL },
};

static void
test_parse (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (parse_cases); i++)
    {
      g_autoptr(GBytes) body = g_bytes_new_static (parse_cases[i].body, strlen (parse_cases[i].body));
      g_autoptr(GError) error = NULL;
      g_autofree char *name = tg_user_info_parse_name (body, &error);

      g_test_message ("%s", parse_cases[i].body);
      g_assert_cmpstr (name, ==, parse_cases[i].name);
      if (parse_cases[i].name == NULL)
        g_assert_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL);
      else
        g_assert_no_error (error);
    }
}

/* Too large to read, and a name too long to be one. */
static void
test_parse_huge (void)
{
  g_autoptr(GString) text = g_string_new ("{\"sub\":\"s\",\"name\":\"");
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  for (guint i = 0; i < 257; i++)
    g_string_append_c (text, 'n');
  g_string_append (text, "\"}");
  body = g_bytes_new (text->str, text->len);
  name = tg_user_info_parse_name (body, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "s");
  g_clear_pointer (&body, g_bytes_unref);

  g_string_truncate (text, text->len - 2);
  while (text->len <= 64 * 1024)
    g_string_append (text, "nnnnnnnnnnnnnnnn");
  g_string_append (text, "\"}");
  body = g_bytes_new (text->str, text->len);
  g_clear_pointer (&name, g_free);
  name = tg_user_info_parse_name (body, &error);
  g_assert_null (name);
  g_assert_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "larger"));
}

typedef struct {
  gboolean  done;
  char     *name;
  GError   *error;
} Fetch;

static void
fetched (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Fetch *fetch = user_data;

  fetch->name = tg_user_info_fetch_name_finish (result, &fetch->error);
  fetch->done = TRUE;
}

static void
fetch_name (TgTokenManager *manager,
            const char     *endpoint,
            Fetch          *fetch)
{
  tg_user_info_fetch_name_async (manager, endpoint, NULL, fetched, fetch);
  tg_test_wait (&fetch->done, 30);
}

static void
signed_in (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (tg_token_manager_sign_in_finish (TG_TOKEN_MANAGER (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

/* The built-in server advertises its endpoint, which answers who the access
 * token's user is, and nobody else. */
static void
test_builtin_server (void)
{
  TgTestServer *server = tg_test_server_new (NULL);
  g_autoptr(TgProvider) provider = tg_test_discover (tg_test_server_uri (server));
  g_autoptr(TgApiClient) client = tg_test_client_for (provider, TG_SERVER_NATIVE_CLIENT_ID, "api");
  TgTokenManager *manager = tg_api_client_get_manager (client);
  const char *endpoint = tg_provider_get_userinfo_endpoint (provider);
  g_autofree char *elsewhere = NULL;
  Fetch fetch = { 0 };
  gboolean done = FALSE;

  g_assert_nonnull (endpoint);
  g_assert_true (g_str_has_prefix (endpoint, tg_test_server_uri (server)));

  /* Signed out, no token goes out at all. */
  fetch_name (manager, endpoint, &fetch);
  g_assert_error (fetch.error, TG_AUTH_ERROR, TG_AUTH_ERROR_SIGNED_OUT);
  g_assert_null (fetch.name);
  g_clear_error (&fetch.error);

  tg_token_manager_sign_in_async (manager, "demo", "demo", NULL, signed_in, &done);
  tg_test_wait (&done, 30);

  fetch = (Fetch) { 0 };
  fetch_name (manager, endpoint, &fetch);
  g_assert_no_error (fetch.error);
  g_assert_cmpstr (fetch.name, ==, "demo");
  g_free (fetch.name);

  /* An endpoint that is not one: its status is the error. */
  elsewhere = g_strconcat (tg_test_server_uri (server), "/oauth2/no-such-thing", NULL);
  fetch = (Fetch) { 0 };
  fetch_name (manager, elsewhere, &fetch);
  g_assert_error (fetch.error, TG_AUTH_ERROR, TG_AUTH_ERROR_SERVER);
  g_assert_nonnull (strstr (fetch.error->message, "404"));
  g_clear_error (&fetch.error);

  /* Not a URL, and a token that would travel in the clear. */
  fetch = (Fetch) { 0 };
  fetch_name (manager, "userinfo", &fetch);
  g_assert_nonnull (fetch.error);
  g_clear_error (&fetch.error);
  fetch = (Fetch) { 0 };
  fetch_name (manager, "http://id.example/userinfo", &fetch);
  g_assert_error (fetch.error, TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE);
  g_clear_error (&fetch.error);

  tg_test_sign_out (manager);
  g_assert_finalize_object (g_steal_pointer (&client));
  g_assert_finalize_object (g_steal_pointer (&provider));
  tg_test_server_free (server);
}

int
main (int    argc,
      char **argv)
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/user-info/parse", test_parse);
  g_test_add_func ("/user-info/parse-huge", test_parse_huge);
  g_test_add_func ("/user-info/built-in-server", test_builtin_server);

  return g_test_run ();
}
