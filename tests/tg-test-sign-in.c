/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A client of a provider for the browser sign-in tests (see
 * tg-test-sign-in.h): discovery, the client built for it, a GET and a
 * sign-out, each run to the end on the caller's main context.
 */
#include "config.h"

#include "tg-client-config.h"
#include "tg-test-sign-in.h"
#include "tg-test-util.h"

#define TIMEOUT_SECONDS 30

/* Whether the pointer at @data has been set: the wait for a callback. */
gboolean
tg_test_is_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

static void
discovered (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  TgProvider **provider = user_data;
  g_autoptr(GError) error = NULL;

  *provider = tg_provider_discover_finish (result, &error);
  g_assert_no_error (error);
}

/* The provider at @issuer, which must name itself @issuer. */
TgProvider *
tg_test_discover (const char *issuer)
{
  TgProvider *provider = NULL;

  tg_provider_discover_async (issuer, NULL, discovered, &provider);
  g_assert_true (tg_test_wait_until (tg_test_is_set, &provider, TIMEOUT_SECONDS));
  g_assert_cmpstr (tg_provider_get_issuer (provider), ==, issuer);
  return provider;
}

static void
built (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  TgApiClient **client = user_data;
  g_autoptr(GError) error = NULL;

  *client = tg_client_config_build_finish (TG_CLIENT_CONFIG (source), result, &error);
  g_assert_no_error (error);
}

/* A client that authenticates with @client_secret (nullable: a public one). */
TgApiClient *
tg_test_confidential_client_for (TgProvider *provider,
                                 const char *client_id,
                                 const char *client_secret,
                                 const char *scope)
{
  g_autoptr(TgClientConfig) config = tg_client_config_new ();
  g_autoptr(GError) error = NULL;
  TgApiClient *client = NULL;

  g_assert_true (tg_client_config_set_provider (config, provider, &error));
  g_assert_no_error (error);
  tg_client_config_set_client_id (config, client_id);
  tg_client_config_set_client_secret (config, client_secret);
  tg_client_config_set_scope (config, scope);
  tg_client_config_build_async (config, NULL, built, &client);
  g_assert_true (tg_test_wait_until (tg_test_is_set, &client, TIMEOUT_SECONDS));
  return client;
}

TgApiClient *
tg_test_client_for (TgProvider *provider,
                    const char *client_id,
                    const char *scope)
{
  return tg_test_confidential_client_for (provider, client_id, NULL, scope);
}

static void
got (GObject      *source,
     GAsyncResult *result,
     gpointer      user_data)
{
  TgApiResponse **response = user_data;
  g_autoptr(GError) error = NULL;

  *response = tg_api_client_get_finish (TG_API_CLIENT (source), result, &error);
  g_assert_no_error (error);
}

/* GET @path through @client, which must get an answer. */
TgApiResponse *
tg_test_client_get (TgApiClient *client,
                    const char  *path)
{
  TgApiResponse *response = NULL;

  tg_api_client_get_async (client, path, NULL, got, &response);
  g_assert_true (tg_test_wait_until (tg_test_is_set, &response, TIMEOUT_SECONDS));
  return response;
}

static void
signed_out (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  gboolean *done = user_data;

  g_assert_true (tg_token_manager_sign_out_finish (TG_TOKEN_MANAGER (source), result, NULL));
  *done = TRUE;
}

void
tg_test_sign_out (TgTokenManager *manager)
{
  gboolean done = FALSE;

  tg_token_manager_sign_out_async (manager, NULL, signed_out, &done);
  tg_test_wait (&done, TIMEOUT_SECONDS);
}
