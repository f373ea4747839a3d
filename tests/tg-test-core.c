/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The client core wired to a server, and bursts of parallel requests, for the
 * token manager and API client tests.
 */
#include "config.h"

#include <string.h>

#include "tg-test-core.h"
#include "tg-test-util.h"

static void
on_session_expired (TgTokenManager *manager,
                    const char     *reason,
                    TgTestCore     *core)
{
  core->sessions_expired++;
  g_free (core->expired_reason);
  core->expired_reason = g_strdup (reason);
}

TgTestCore *
tg_test_core_new_for_uri (const char     *base_uri,
                          TgAuthProtocol *protocol)
{
  TgTestCore *core = g_new0 (TgTestCore, 1);
  g_autoptr(GError) error = NULL;

  core->base_uri = g_strdup (base_uri);
  core->store_dir = tg_test_make_tmpdir ();
  core->store = tg_file_token_store_new (core->store_dir);
  if (protocol != NULL)
    core->protocol = g_object_ref (protocol);
  else
    {
      core->protocol = tg_auth_protocol_new_seed (base_uri, &error);
      g_assert_no_error (error);
    }
  core->manager = tg_token_manager_new (core->protocol, core->store, "test");
  g_signal_connect (core->manager, "session-expired", G_CALLBACK (on_session_expired), core);
  core->client = tg_api_client_new (core->manager, base_uri, &error);
  g_assert_no_error (error);

  return core;
}

TgTestCore *
tg_test_core_new (TgTestServer *server)
{
  TgTestCore *core = tg_test_core_new_for_uri (tg_test_server_uri (server), NULL);

  core->server = server;
  return core;
}

void
tg_test_core_free (TgTestCore *core)
{
  g_signal_handlers_disconnect_by_data (core->manager, core);
  tg_test_assert_finalize_soon (core->client);
  tg_test_assert_finalize_soon (core->manager);
  tg_test_assert_finalize_soon (core->protocol);
  tg_test_assert_finalize_soon (core->store);
  g_clear_pointer (&core->server, tg_test_server_free);
  tg_test_rm_rf (core->store_dir);
  g_free (core->store_dir);
  g_free (core->base_uri);
  g_free (core->expired_reason);
  g_free (core);
}

static void
signed_in (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean *done = user_data;

  tg_token_manager_sign_in_finish (TG_TOKEN_MANAGER (source), result, &error);
  g_assert_no_error (error);
  *done = TRUE;
}

void
tg_test_core_sign_in (TgTestCore *core)
{
  gboolean done = FALSE;

  tg_token_manager_sign_in_async (core->manager, "demo", "demo", NULL, signed_in, &done);
  tg_test_wait (&done, 30);
  g_assert_cmpint (tg_token_manager_get_state (core->manager), ==, TG_TOKEN_STATE_VALID);
}

typedef struct {
  TgTestBurst *burst;
  guint        index;
} BurstSlot;

static void
burst_request_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  BurstSlot *slot = user_data;
  TgTestBurst *burst = slot->burst;
  GError *error = NULL;
  TgApiResponse *response;

  response = tg_api_client_send_finish (TG_API_CLIENT (source), result, &error);
  burst->responses->pdata[slot->index] = response;
  burst->errors->pdata[slot->index] = error;
  if (response != NULL && SOUP_STATUS_IS_SUCCESSFUL (response->status))
    burst->n_ok++;
  burst->n_done++;
  g_free (slot);
}

/* The arrays hold NULL for the outcome a request did not have. */
static void
free_error (gpointer error)
{
  if (error != NULL)
    g_error_free (error);
}

static void
free_response (gpointer response)
{
  if (response != NULL)
    tg_api_response_free (response);
}

TgTestBurst *
tg_test_burst_start (TgTestCore   *core,
                     guint         n,
                     const char   *method,
                     const char   *path_format,
                     GCancellable *cancellable)
{
  TgTestBurst *burst = g_new0 (TgTestBurst, 1);

  burst->n = n;
  burst->responses = g_ptr_array_new_full (n, free_response);
  burst->errors = g_ptr_array_new_full (n, free_error);
  g_ptr_array_set_size (burst->responses, n);
  g_ptr_array_set_size (burst->errors, n);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = NULL;
      BurstSlot *slot = g_new0 (BurstSlot, 1);

      /* The format takes the request's index, if it wants it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      path = g_strdup_printf (path_format, i);
#pragma GCC diagnostic pop
      slot->burst = burst;
      slot->index = i;
      tg_api_client_send_async (core->client, method, path, NULL, NULL, cancellable,
                                burst_request_done, slot);
    }

  return burst;
}

void
tg_test_burst_wait (TgTestBurst *burst)
{
  gint64 deadline = g_get_monotonic_time () + 300 * G_USEC_PER_SEC;

  while (burst->n_done < burst->n)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("burst: %u of %u requests never finished (hang?)", burst->n - burst->n_done, burst->n);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (100);
    }
}

TgTestBurst *
tg_test_core_burst (TgTestCore *core,
                    guint       n,
                    const char *method,
                    const char *path_format)
{
  TgTestBurst *burst = tg_test_burst_start (core, n, method, path_format, NULL);

  tg_test_burst_wait (burst);
  return burst;
}

void
tg_test_burst_free (TgTestBurst *burst)
{
  g_ptr_array_unref (burst->responses);
  g_ptr_array_unref (burst->errors);
  g_free (burst);
}

/* A counter from GET /demo/stats, by dotted path: "refreshes.ok", "signIns",
 * "resources.401". Missing counters are 0. */
gint64
tg_test_server_stat (TgTestServer *server,
                     const char   *path)
{
  g_autoptr(TgTestReply) reply = tg_test_request (server, "GET", "/demo/stats", NULL, NULL, NULL);
  g_autoptr(JsonObject) stats = tg_test_reply_json (reply);
  g_auto(GStrv) parts = g_strsplit (path, ".", 2);
  JsonObject *object = stats;

  if (parts[1] != NULL)
    {
      if (!json_object_has_member (object, parts[0]))
        return 0;
      object = json_object_get_object_member (object, parts[0]);
      return json_object_get_int_member_with_default (object, parts[1], 0);
    }
  return json_object_get_int_member_with_default (object, parts[0], 0);
}

void
tg_test_server_post_demo (TgTestServer *server,
                          const char   *path,
                          const char   *json)
{
  g_autoptr(TgTestReply) reply = NULL;

  reply = tg_test_request (server, json != NULL ? "PUT" : "POST", path,
                           json != NULL ? "application/json" : NULL, json, NULL);
  g_assert_cmpuint (reply->status, ==, 200);
}
