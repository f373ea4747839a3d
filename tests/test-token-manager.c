/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgTokenManager's rules, one at a time, against the demo server on loopback:
 * the generation check, the gate, persist-before-release, cancellation,
 * sign-out and dispose, restore, and revocation at sign-out.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <locale.h>
#include <string.h>

#include "tg-test-core.h"
#include "tg-test-util.h"

typedef struct {
  gboolean      done;
  gboolean      ok;
  TgTokenGrant  grant;
  GError       *error;
  gint64        finished_at;
} Outcome;

static void
outcome_clear (Outcome *outcome)
{
  tg_token_grant_clear (&outcome->grant);
  g_clear_error (&outcome->error);
}

static void
refresh_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->ok = tg_token_manager_refresh_finish (TG_TOKEN_MANAGER (source), result,
                                                 &outcome->grant, &outcome->error);
  outcome->finished_at = g_get_monotonic_time ();
  outcome->done = TRUE;
}

static void
await_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->ok = tg_token_manager_await_token_finish (TG_TOKEN_MANAGER (source), result,
                                                     &outcome->grant, &outcome->error);
  outcome->finished_at = g_get_monotonic_time ();
  outcome->done = TRUE;
}

static guint
manager_counter (TgTokenManager *manager,
                 const char     *name)
{
  guint value = 0;

  g_object_get (manager, name, &value, NULL);
  return value;
}

static gboolean
time_passed (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop for @ms. */
static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, time_passed, &done);
  tg_test_wait (&done, ms / 1000 + 30);
}

/* Rule 2: a 401 for a token that was already replaced starts no refresh. */
static void
test_generation_check (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  Outcome first = { 0 };
  Outcome late = { 0 };

  tg_test_core_sign_in (core);
  g_assert_cmpuint (tg_token_manager_get_generation (core->manager), ==, 1);

  tg_token_manager_refresh_async (core->manager, 1, NULL, refresh_done, &first);
  tg_test_wait (&first.done, 30);
  g_assert_no_error (first.error);
  g_assert_cmpuint (first.grant.generation, ==, 2);

  /* The late 401 of a request sent with generation 1: the posts' interceptor
   * would start a second refresh here, with a refresh token already used. */
  tg_token_manager_refresh_async (core->manager, 1, NULL, refresh_done, &late);
  tg_test_wait (&late.done, 30);
  g_assert_no_error (late.error);
  g_assert_cmpuint (late.grant.generation, ==, 2);
  g_assert_cmpstr (late.grant.access_token, ==, first.grant.access_token);

  g_assert_cmpuint (manager_counter (core->manager, "refreshes-started"), ==, 1);
  g_assert_cmpuint (manager_counter (core->manager, "stale-401s"), ==, 1);
  g_assert_cmpint (tg_test_server_stat (core->server, "refreshes.ok"), ==, 1);
  g_assert_cmpint (tg_test_server_stat (core->server, "refreshes.rejected"), ==, 0);

  outcome_clear (&first);
  outcome_clear (&late);
}

/* Rules 1 and 3: while the refresh is in flight the gate is closed, and every
 * caller gets the new token from the one refresh. */
static void
test_gate_and_single_flight (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  Outcome refresh = { 0 };
  Outcome gate[5] = { { 0 } };
  TgTokenGrant grant = { 0 };

  tg_test_core_sign_in (core);
  tg_test_server_post_demo (core->server, "/demo/settings", "{\"refreshLatencyMs\":300}");

  tg_token_manager_refresh_async (core->manager, 1, NULL, refresh_done, &refresh);
  g_assert_cmpint (tg_token_manager_get_state (core->manager), ==, TG_TOKEN_STATE_REFRESHING);
  g_assert_false (tg_token_manager_try_get_token (core->manager, &grant));

  for (guint i = 0; i < G_N_ELEMENTS (gate); i++)
    tg_token_manager_await_token_async (core->manager, NULL, await_done, &gate[i]);

  tg_test_wait (&refresh.done, 30);
  for (guint i = 0; i < G_N_ELEMENTS (gate); i++)
    {
      tg_test_wait (&gate[i].done, 30);
      g_assert_no_error (gate[i].error);
      /* None of them was handed the token that was being replaced. */
      g_assert_cmpuint (gate[i].grant.generation, ==, 2);
      outcome_clear (&gate[i]);
    }

  g_assert_cmpuint (manager_counter (core->manager, "refreshes-started"), ==, 1);
  g_assert_cmpuint (manager_counter (core->manager, "refreshes-joined"), ==, G_N_ELEMENTS (gate));
  g_assert_cmpint (tg_test_server_stat (core->server, "refreshes.ok"), ==, 1);
  g_assert_true (tg_token_manager_try_get_token (core->manager, &grant));
  g_assert_cmpuint (grant.generation, ==, 2);

  tg_token_grant_clear (&grant);
  outcome_clear (&refresh);
}

/* Rule 7: one caller cancelling leaves the queue at once; the shared refresh
 * goes on for the others. */
static void
test_cancel_one_waiter (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Outcome first = { 0 };
  Outcome cancelled = { 0 };
  Outcome last = { 0 };

  tg_test_core_sign_in (core);
  tg_test_server_post_demo (core->server, "/demo/settings", "{\"refreshLatencyMs\":500}");

  tg_token_manager_refresh_async (core->manager, 1, NULL, refresh_done, &first);
  tg_token_manager_refresh_async (core->manager, 1, cancellable, refresh_done, &cancelled);
  tg_token_manager_refresh_async (core->manager, 1, NULL, refresh_done, &last);

  g_cancellable_cancel (cancellable);
  tg_test_wait (&cancelled.done, 30);
  g_assert_error (cancelled.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* It left before the refresh was over. */
  g_assert_false (first.done);
  g_assert_cmpint (tg_token_manager_get_state (core->manager), ==, TG_TOKEN_STATE_REFRESHING);

  tg_test_wait (&first.done, 30);
  tg_test_wait (&last.done, 30);
  g_assert_no_error (first.error);
  g_assert_no_error (last.error);
  g_assert_cmpuint (first.grant.generation, ==, 2);
  g_assert_cmpuint (last.grant.generation, ==, 2);
  g_assert_cmpint (tg_test_server_stat (core->server, "refreshes.ok"), ==, 1);

  outcome_clear (&first);
  outcome_clear (&cancelled);
  outcome_clear (&last);
}

static void
signed_out (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean *done = user_data;

  g_assert_true (tg_token_manager_sign_out_finish (TG_TOKEN_MANAGER (source), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

/* Rule 7: signing out completes every waiter, and the refresh answer that
 * arrives afterwards changes nothing. */
static void
test_sign_out_completes_waiters (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  Outcome waiters[3] = { { 0 } };
  gboolean done = FALSE;

  tg_test_core_sign_in (core);
  tg_test_server_post_demo (core->server, "/demo/settings", "{\"refreshLatencyMs\":300}");

  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    tg_token_manager_refresh_async (core->manager, 1, NULL, refresh_done, &waiters[i]);
  tg_token_manager_sign_out_async (core->manager, NULL, signed_out, &done);

  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    {
      tg_test_wait (&waiters[i].done, 30);
      g_assert_error (waiters[i].error, TG_AUTH_ERROR, TG_AUTH_ERROR_SIGNED_OUT);
      outcome_clear (&waiters[i]);
    }
  tg_test_wait (&done, 30);

  /* Let the abandoned refresh's answer arrive: it must not sign us back in. */
  g_usleep (400 * G_TIME_SPAN_MILLISECOND);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpint (tg_token_manager_get_state (core->manager), ==, TG_TOKEN_STATE_SIGNED_OUT);
  g_assert_null (tg_token_manager_dup_access_token (core->manager));
  g_assert_cmpuint (core->sessions_expired, ==, 0);
}

/* Rule 7: disposing the manager completes every waiter. */
static void
test_dispose_completes_waiters (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  Outcome waiters[3] = { { 0 } };

  tg_test_core_sign_in (core);
  tg_test_server_post_demo (core->server, "/demo/settings", "{\"refreshLatencyMs\":300}");

  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    tg_token_manager_refresh_async (core->manager, 1, NULL, refresh_done, &waiters[i]);
  g_object_run_dispose (G_OBJECT (core->manager));

  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    {
      tg_test_wait (&waiters[i].done, 30);
      g_assert_error (waiters[i].error, G_IO_ERROR, G_IO_ERROR_CLOSED);
      outcome_clear (&waiters[i]);
    }
}

/* A store whose saves are slow, recording what it holds and when. */
#define TEST_TYPE_SLOW_STORE (test_slow_store_get_type ())
G_DECLARE_FINAL_TYPE (TestSlowStore, test_slow_store, TEST, SLOW_STORE, GObject)

struct _TestSlowStore
{
  GObject   parent_instance;
  TgTokens *saved;
  gint64    saved_at;
  guint     n_saves;
  guint     save_ms;  /* how long a save takes */
};

static void test_slow_store_iface_init (TgTokenStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestSlowStore, test_slow_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TG_TYPE_TOKEN_STORE, test_slow_store_iface_init))

static gboolean
slow_save_done (gpointer user_data)
{
  GTask *task = user_data;
  TestSlowStore *self = g_task_get_source_object (task);

  g_clear_pointer (&self->saved, tg_tokens_unref);
  self->saved = tg_tokens_ref (g_task_get_task_data (task));
  self->saved_at = g_get_monotonic_time ();
  self->n_saves++;
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
slow_save_async (TgTokenStore        *store,
                 const char          *account,
                 TgTokens            *tokens,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  GTask *task = g_task_new (store, cancellable, callback, user_data);

  g_task_set_task_data (task, tg_tokens_ref (tokens), (GDestroyNotify) tg_tokens_unref);
  g_timeout_add (TEST_SLOW_STORE (store)->save_ms, slow_save_done, task);
}

static gboolean
slow_save_finish (TgTokenStore  *store,
                  GAsyncResult  *result,
                  GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
slow_load_async (TgTokenStore        *store,
                 const char          *account,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (store, cancellable, callback, user_data);
  TestSlowStore *self = TEST_SLOW_STORE (store);

  g_task_return_pointer (task, self->saved != NULL ? tg_tokens_ref (self->saved) : NULL,
                         (GDestroyNotify) tg_tokens_unref);
}

static TgTokens *
slow_load_finish (TgTokenStore  *store,
                  GAsyncResult  *result,
                  GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
slow_clear_async (TgTokenStore        *store,
                  const char          *account,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (store, cancellable, callback, user_data);
  TestSlowStore *self = TEST_SLOW_STORE (store);

  g_clear_pointer (&self->saved, tg_tokens_unref);
  g_task_return_boolean (task, TRUE);
}

static gboolean
slow_clear_finish (TgTokenStore  *store,
                   GAsyncResult  *result,
                   GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
test_slow_store_iface_init (TgTokenStoreInterface *iface)
{
  iface->load_async = slow_load_async;
  iface->load_finish = slow_load_finish;
  iface->save_async = slow_save_async;
  iface->save_finish = slow_save_finish;
  iface->clear_async = slow_clear_async;
  iface->clear_finish = slow_clear_finish;
}

static void
test_slow_store_finalize (GObject *object)
{
  g_clear_pointer (&TEST_SLOW_STORE (object)->saved, tg_tokens_unref);
  G_OBJECT_CLASS (test_slow_store_parent_class)->finalize (object);
}

static void
test_slow_store_class_init (TestSlowStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_slow_store_finalize;
}

static void
test_slow_store_init (TestSlowStore *self)
{
  self->save_ms = 300;
}

static void
signed_in (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean *done = user_data;

  g_assert_true (tg_token_manager_sign_in_finish (TG_TOKEN_MANAGER (source), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

/* Rule 8: the rotated refresh token is in the store before any waiter hears
 * of the new pair. */
static void
test_persist_before_release (void)
{
  g_autoptr(TgTestServer) server = tg_test_server_new (NULL);
  g_autoptr(TestSlowStore) store = g_object_new (TEST_TYPE_SLOW_STORE, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TgAuthProtocol) protocol = tg_auth_protocol_new_seed (tg_test_server_uri (server), &error);
  g_autoptr(TgTokenManager) manager = NULL;
  g_autofree char *signed_in_refresh = NULL;
  Outcome waiters[3] = { { 0 } };
  gboolean done = FALSE;

  g_assert_no_error (error);
  manager = tg_token_manager_new (protocol, TG_TOKEN_STORE (store), "test");
  tg_token_manager_sign_in_async (manager, "demo", "demo", NULL, signed_in, &done);
  tg_test_wait (&done, 30);
  g_assert_cmpuint (store->n_saves, ==, 1);
  signed_in_refresh = g_strdup (tg_tokens_get_refresh_token (store->saved));

  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    tg_token_manager_refresh_async (manager, 1, NULL, refresh_done, &waiters[i]);

  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    {
      tg_test_wait (&waiters[i].done, 30);
      g_assert_no_error (waiters[i].error);
      /* The save (300 ms) had finished before this waiter was released… */
      g_assert_cmpuint (store->n_saves, ==, 2);
      g_assert_cmpint (store->saved_at, <=, waiters[i].finished_at);
      /* …and holds the pair the waiter was handed, with the rotated refresh token. */
      g_assert_cmpstr (tg_tokens_get_access_token (store->saved), ==, waiters[i].grant.access_token);
      g_assert_cmpstr (tg_tokens_get_refresh_token (store->saved), !=, signed_in_refresh);
      outcome_clear (&waiters[i]);
    }
}

static void
restored (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->ok = tg_token_manager_restore_finish (TG_TOKEN_MANAGER (source), result, &outcome->error);
  outcome->done = TRUE;
}

/* A session outlives the process: a new manager on the same store picks it up. */
static void
test_restore (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  g_autoptr(TgTokenStore) store = tg_file_token_store_new (core->store_dir);
  g_autoptr(TgTokenManager) relaunched = NULL;
  g_autoptr(TgTokenManager) other_account = NULL;
  g_autofree char *token = NULL;
  Outcome outcome = { 0 };
  Outcome nothing = { 0 };

  tg_test_core_sign_in (core);

  relaunched = tg_token_manager_new (core->protocol, store, "test");
  tg_token_manager_restore_async (relaunched, NULL, restored, &outcome);
  tg_test_wait (&outcome.done, 30);
  g_assert_no_error (outcome.error);
  g_assert_true (outcome.ok);
  g_assert_cmpint (tg_token_manager_get_state (relaunched), ==, TG_TOKEN_STATE_VALID);

  token = tg_token_manager_dup_access_token (relaunched);
  g_assert_cmpuint (tg_test_get_resource (core->server, token), ==, 200);

  /* Another account has nothing stored: signed out, no error. */
  other_account = tg_token_manager_new (core->protocol, store, "someone else");
  tg_token_manager_restore_async (other_account, NULL, restored, &nothing);
  tg_test_wait (&nothing.done, 30);
  g_assert_no_error (nothing.error);
  g_assert_false (nothing.ok);
  g_assert_cmpint (tg_token_manager_get_state (other_account), ==, TG_TOKEN_STATE_SIGNED_OUT);
}

/* A core on the demo server over OAuth 2.0 with its revocation endpoint. */
static TgTestCore *
core_with_revocation (void)
{
  g_autoptr(TgTestServer) server = tg_test_server_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *token_uri = g_strconcat (tg_test_server_uri (server), "/oauth2/token", NULL);
  g_autofree char *revoke_uri = g_strconcat (tg_test_server_uri (server), "/oauth2/revoke", NULL);
  g_autoptr(TgAuthProtocol) protocol = tg_auth_protocol_new_oauth2 (token_uri, revoke_uri, "tokengate-test",
                                                                    NULL, NULL, &error);
  TgTestCore *core;

  g_assert_no_error (error);
  core = tg_test_core_new_for_uri (tg_test_server_uri (server), protocol);
  core->server = g_steal_pointer (&server);
  return core;
}

/* Sign-out revokes the refresh token where the protocol can (RFC 7009). */
static void
test_sign_out_revokes (void)
{
  g_autoptr(TgTestCore) core = core_with_revocation ();
  g_autofree char *token = NULL;
  TgRequestSummary summary = { 0 };
  gboolean done = FALSE;

  tg_test_core_sign_in (core);
  token = tg_token_manager_dup_access_token (core->manager);
  g_assert_cmpuint (tg_test_get_resource (core->server, token), ==, 200);

  tg_token_manager_sign_out_async (core->manager, NULL, signed_out, &done);
  tg_test_wait (&done, 30);

  /* The server revoked the whole session: even the access token is refused. */
  g_assert_cmpint (tg_test_server_stat (core->server, "revocations"), ==, 1);
  g_assert_cmpuint (tg_test_get_resource (core->server, token), ==, 401);
  tg_request_log_summarize (tg_token_manager_get_request_log (core->manager), 0, &summary);
  g_assert_cmpuint (summary.http_messages, ==, 2);  /* sign-in, revoke */
}

/* Rule 6: a refresh rejected with invalid_grant ends the session once. */
static void
test_invalid_grant_ends_session (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  g_autoptr(TgTokenStore) store = NULL;
  g_autoptr(TgTokenManager) relaunched = NULL;
  Outcome waiters[3] = { { 0 } };
  Outcome late = { 0 };
  Outcome outcome = { 0 };

  tg_test_core_sign_in (core);
  tg_test_server_post_demo (core->server, "/demo/revoke-refresh-tokens", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    tg_token_manager_refresh_async (core->manager, 1, NULL, refresh_done, &waiters[i]);
  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    {
      tg_test_wait (&waiters[i].done, 30);
      g_assert_error (waiters[i].error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED);
      outcome_clear (&waiters[i]);
    }
  g_assert_cmpuint (core->sessions_expired, ==, 1);
  g_assert_cmpint (tg_token_manager_get_state (core->manager), ==, TG_TOKEN_STATE_SIGNED_OUT);

  /* A 401 arriving later learns that the session ended, not "not signed in". */
  tg_token_manager_refresh_async (core->manager, 1, NULL, refresh_done, &late);
  tg_test_wait (&late.done, 30);
  g_assert_error (late.error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED);
  g_assert_cmpuint (core->sessions_expired, ==, 1);
  g_assert_cmpint (tg_test_server_stat (core->server, "refreshes.rejected"), ==, 1);
  outcome_clear (&late);

  /* And the dead session is gone from the store. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  store = tg_file_token_store_new (core->store_dir);
  relaunched = tg_token_manager_new (core->protocol, store, "test");
  tg_token_manager_restore_async (relaunched, NULL, restored, &outcome);
  tg_test_wait (&outcome.done, 30);
  g_assert_false (outcome.ok);
}

/* Rule 6: anything but invalid_grant keeps the session, and the next caller
 * may try again. (Transient failures are retried first: see
 * test_transient_failure_retried().) */
static void
test_refresh_failure_keeps_session (void)
{
  static const char *faults[] = {
    "{\"refreshFault\":{\"kind\":\"status\",\"status\":500,\"count\":1}}",
    "{\"refreshFault\":{\"kind\":\"status\",\"status\":404,\"count\":1}}",
    /* Longer than the deadline; its late 503 is awaited, then dropped. */
    "{\"refreshFault\":{\"kind\":\"hang\",\"hangMs\":1500,\"count\":1}}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
      Outcome failed = { 0 };
      Outcome again = { 0 };
      guint generation;

      g_test_message ("fault: %s", faults[i]);
      tg_test_core_sign_in (core);
      g_object_set (core->manager, "refresh-timeout", 1, NULL);
      tg_test_server_post_demo (core->server, "/demo/settings", faults[i]);
      generation = tg_token_manager_get_generation (core->manager);

      tg_token_manager_refresh_async (core->manager, generation, NULL, refresh_done, &failed);
      tg_test_wait (&failed.done, 30);
      g_assert_error (failed.error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED);
      g_assert_cmpint (tg_token_manager_get_state (core->manager), ==, TG_TOKEN_STATE_VALID);
      g_assert_cmpuint (tg_token_manager_get_generation (core->manager), ==, generation);
      g_assert_cmpuint (core->sessions_expired, ==, 0);

      spin (1000);
      tg_token_manager_refresh_async (core->manager, generation, NULL, refresh_done, &again);
      tg_test_wait (&again.done, 30);
      g_assert_no_error (again.error);
      g_assert_cmpuint (again.grant.generation, ==, generation + 1);

      outcome_clear (&failed);
      outcome_clear (&again);
    }
}

/* Rule 4: a token within the skew of its expiry is refreshed at the gate. */
static void
test_proactive (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new ("access-ttl", (gint64) 3, NULL));
  TgTokenGrant grant = { 0 };
  Outcome outcome = { 0 };

  g_object_set (core->manager, "expiry-skew", 2, NULL);
  tg_test_core_sign_in (core);
  g_assert_cmpint (tg_token_manager_get_expires_at (core->manager), >, g_get_real_time ());

  /* 3 s token, 2 s skew clamped to half the lifetime: due after 1.5 s. */
  g_usleep (1700 * G_TIME_SPAN_MILLISECOND);
  g_assert_false (tg_token_manager_try_get_token (core->manager, &grant));

  tg_token_manager_await_token_async (core->manager, NULL, await_done, &outcome);
  tg_test_wait (&outcome.done, 30);
  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.grant.generation, ==, 2);
  g_assert_cmpint (tg_test_server_stat (core->server, "refreshes.ok"), ==, 1);

  /* With proactive refresh off, the gate hands out whatever it has. */
  g_object_set (core->manager, "proactive", FALSE, "expiry-skew", 3600, NULL);
  g_assert_true (tg_token_manager_try_get_token (core->manager, &grant));
  tg_token_grant_clear (&grant);
  outcome_clear (&outcome);
}

static void
test_signed_out_gate (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  Outcome outcome = { 0 };

  tg_token_manager_await_token_async (core->manager, NULL, await_done, &outcome);
  tg_test_wait (&outcome.done, 30);
  g_assert_error (outcome.error, TG_AUTH_ERROR, TG_AUTH_ERROR_SIGNED_OUT);
  outcome_clear (&outcome);
}

/* ------------------------------------------------------------------------- */
/* Issue 8: the findings of the review, one regression test each            */

typedef struct {
  TgTestServer   *server;
  TestSlowStore  *store;
  TgAuthProtocol *protocol;
  TgTokenManager *manager;
  guint           sessions_expired;
} SlowCore;

static void
on_slow_session_expired (TgTokenManager *manager,
                         const char     *reason,
                         SlowCore       *core)
{
  core->sessions_expired++;
}

static void
slow_core_init (SlowCore *core,
                guint     save_ms)
{
  g_autoptr(GError) error = NULL;
  gboolean done = FALSE;

  core->server = tg_test_server_new (NULL);
  core->store = g_object_new (TEST_TYPE_SLOW_STORE, NULL);
  core->store->save_ms = save_ms;
  core->protocol = tg_auth_protocol_new_seed (tg_test_server_uri (core->server), &error);
  g_assert_no_error (error);
  core->manager = tg_token_manager_new (core->protocol, TG_TOKEN_STORE (core->store), "test");
  g_signal_connect (core->manager, "session-expired", G_CALLBACK (on_slow_session_expired), core);
  tg_token_manager_sign_in_async (core->manager, "demo", "demo", NULL, signed_in, &done);
  tg_test_wait (&done, 30);
}

static void
slow_core_clear (SlowCore *core)
{
  g_clear_object (&core->manager);
  g_clear_object (&core->protocol);
  g_clear_object (&core->store);
  g_clear_pointer (&core->server, tg_test_server_free);
}

/* Finding 1: the deadline passing while the store writes the new pair must
 * not leave the gate closed for good: the waiters get the new pair. */
static void
test_deadline_during_store (void)
{
  SlowCore core = { 0 };
  Outcome waiter = { 0 };
  Outcome next = { 0 };

  slow_core_init (&core, 2500);
  g_object_set (core.manager, "refresh-timeout", 1, NULL);

  tg_token_manager_refresh_async (core.manager, 1, NULL, refresh_done, &waiter);
  /* The refresh answers at once; the save takes 2.5 s, the deadline is 1 s. */
  tg_test_wait (&waiter.done, 5);
  g_assert_no_error (waiter.error);
  g_assert_cmpuint (waiter.grant.generation, ==, 2);
  g_assert_cmpint (tg_token_manager_get_state (core.manager), ==, TG_TOKEN_STATE_VALID);

  /* The gate is open: the next caller is served without a refresh. */
  tg_token_manager_await_token_async (core.manager, NULL, await_done, &next);
  tg_test_wait (&next.done, 5);
  g_assert_no_error (next.error);
  g_assert_cmpuint (next.grant.generation, ==, 2);

  /* And the write went on to the end. */
  spin (2000);
  g_assert_cmpuint (core.store->n_saves, ==, 2);
  g_assert_cmpstr (tg_tokens_get_access_token (core.store->saved), ==, waiter.grant.access_token);
  g_assert_cmpuint (manager_counter (core.manager, "refreshes-started"), ==, 1);

  outcome_clear (&waiter);
  outcome_clear (&next);
  slow_core_clear (&core);
}

/* Finding 1, the other half: the deadline is what ends a refresh whose
 * answer does not come (this fails if the deadline is removed). */
static void
test_deadline_ends_hung_refresh (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  Outcome waiter = { 0 };

  tg_test_core_sign_in (core);
  g_object_set (core->manager, "refresh-timeout", 1, NULL);
  tg_test_server_post_demo (core->server, "/demo/settings",
                            "{\"refreshFault\":{\"kind\":\"hang\",\"hangMs\":20000,\"count\":1}}");

  tg_token_manager_refresh_async (core->manager, 1, NULL, refresh_done, &waiter);
  tg_test_wait (&waiter.done, 5);
  g_assert_error (waiter.error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED);
  g_assert_cmpint (tg_token_manager_get_state (core->manager), ==, TG_TOKEN_STATE_VALID);
  g_assert_cmpuint (core->sessions_expired, ==, 0);

  outcome_clear (&waiter);
}

/* Finding 2: the store callback of an old session's refresh must not detach
 * the new session's refresh and release its waiters with an old token. */
static void
test_old_save_leaves_new_refresh_alone (void)
{
  SlowCore core = { 0 };
  Outcome old_refresh = { 0 };
  Outcome new_refresh = { 0 };
  gboolean done = FALSE;
  guint session_start;
  GLogLevelFlags old_fatal;

  slow_core_init (&core, 0);

  /* Refresh A answers at once and spends 1.5 s in the store… */
  core.store->save_ms = 1500;
  tg_token_manager_refresh_async (core.manager, 1, NULL, refresh_done, &old_refresh);
  while (tg_token_manager_get_generation (core.manager) < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (old_refresh.done || tg_token_manager_get_state (core.manager) == TG_TOKEN_STATE_REFRESHING);

  /* …meanwhile a new sign-in (whose own save is quick), and a refresh B of
   * the new session whose answer takes 3 s. */
  core.store->save_ms = 0;
  tg_token_manager_sign_in_async (core.manager, "demo", "demo", NULL, signed_in, &done);
  tg_test_wait (&done, 30);
  session_start = tg_token_manager_get_generation (core.manager);
  tg_test_server_post_demo (core.server, "/demo/settings", "{\"refreshLatencyMs\":3000}");
  tg_token_manager_refresh_async (core.manager, session_start, NULL, refresh_done, &new_refresh);

  /* A's save ends while B is on the way: B's waiter must get B's pair.
   * (Warnings are let through here so that, without the fix, the test fails
   * on what matters: the generation B's waiter is handed.) */
  old_fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  tg_test_wait (&new_refresh.done, 30);
  g_log_set_always_fatal (old_fatal);
  g_assert_no_error (new_refresh.error);
  g_assert_cmpuint (new_refresh.grant.generation, ==, session_start + 1);
  g_assert_cmpuint (core.sessions_expired, ==, 0);

  tg_test_wait (&old_refresh.done, 30);
  outcome_clear (&old_refresh);
  outcome_clear (&new_refresh);
  slow_core_clear (&core);
}

/* Finding 3: requests failed by one refresh and the next refresh they start
 * from their callbacks: the second refresh's waiters are not failed with the
 * first one's error. */
static void
test_failure_callbacks_start_next_refresh (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new ("access-ttl", (gint64) 1, NULL));
  g_autoptr(TgTestBurst) burst = NULL;
  guint max_in_flight = 0;
  guint failed = 0;

  tg_test_core_sign_in (core);
  g_object_get (core->client, "max-in-flight", &max_in_flight, NULL);
  /* Not transient: the first refresh fails without a retry. */
  tg_test_server_post_demo (core->server, "/demo/settings",
                            "{\"refreshFault\":{\"kind\":\"status\",\"status\":500,\"count\":1}}");
  spin (1200);  /* the access token has expired: the gate refreshes */
  /* The refreshed tokens outlive the burst, however slow the machine: a
   * natural expiry would add a refresh of its own. */
  tg_test_server_post_demo (core->server, "/demo/settings", "{\"accessTtl\":3600}");

  burst = tg_test_core_burst (core, 40, "GET", "/api/resources/%u");

  for (guint i = 0; i < burst->n; i++)
    if (burst->errors->pdata[i] != NULL)
      {
        {
          GError *error = burst->errors->pdata[i];

          g_assert_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED);
        }
        failed++;
      }
  /* The requests holding a slot waited on the failed refresh; the others
   * started the next one when the slots came free, and got its token. */
  g_assert_cmpuint (failed, ==, max_in_flight);
  g_assert_cmpuint (burst->n_ok, ==, 40 - max_in_flight);
  g_assert_cmpuint (manager_counter (core->manager, "refreshes-started"), ==, 2);
  g_assert_cmpint (tg_test_server_stat (core->server, "refreshes.ok"), ==, 1);
  g_assert_cmpuint (core->sessions_expired, ==, 0);
}

/* Finding 4: the server rotated, but its answer came after the deadline. The
 * late answer is installed; the session goes on instead of ending at the next
 * refresh with a used-up token. */
static void
test_late_answer_installed (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  Outcome timed_out = { 0 };
  Outcome next = { 0 };

  tg_test_core_sign_in (core);
  g_object_set (core->manager, "refresh-timeout", 1, NULL);
  tg_test_server_post_demo (core->server, "/demo/settings", "{\"refreshLatencyMs\":2500}");

  tg_token_manager_refresh_async (core->manager, 1, NULL, refresh_done, &timed_out);
  tg_test_wait (&timed_out.done, 5);
  g_assert_error (timed_out.error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED);
  g_assert_cmpuint (tg_token_manager_get_generation (core->manager), ==, 1);

  /* The answer arrives 1.5 s later and is installed. */
  spin (2500);
  g_assert_cmpuint (tg_token_manager_get_generation (core->manager), ==, 2);
  g_assert_cmpint (tg_test_server_stat (core->server, "refreshes.ok"), ==, 1);

  /* The next refresh presents the refresh token the late answer brought. */
  tg_test_server_post_demo (core->server, "/demo/settings", "{\"refreshLatencyMs\":0}");
  tg_token_manager_refresh_async (core->manager, 2, NULL, refresh_done, &next);
  tg_test_wait (&next.done, 30);
  g_assert_no_error (next.error);
  g_assert_cmpuint (next.grant.generation, ==, 3);
  g_assert_cmpuint (core->sessions_expired, ==, 0);
  g_assert_cmpint (tg_test_server_stat (core->server, "refreshes.rejected"), ==, 0);

  outcome_clear (&timed_out);
  outcome_clear (&next);
}

/* Finding 4, joined: a caller that needs a refresh while the timed-out one
 * still listens waits for that answer instead of presenting the same refresh
 * token again. */
static void
test_late_answer_joined (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  Outcome timed_out = { 0 };
  Outcome joined = { 0 };

  tg_test_core_sign_in (core);
  g_object_set (core->manager, "refresh-timeout", 2, NULL);
  tg_test_server_post_demo (core->server, "/demo/settings", "{\"refreshLatencyMs\":3000}");

  tg_token_manager_refresh_async (core->manager, 1, NULL, refresh_done, &timed_out);
  tg_test_wait (&timed_out.done, 5);
  g_assert_error (timed_out.error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED);

  tg_token_manager_refresh_async (core->manager, 1, NULL, refresh_done, &joined);
  tg_test_wait (&joined.done, 10);
  g_assert_no_error (joined.error);
  g_assert_cmpuint (joined.grant.generation, ==, 2);
  g_assert_cmpuint (manager_counter (core->manager, "refreshes-started"), ==, 1);
  g_assert_cmpint (tg_test_server_stat (core->server, "refreshes.ok"), ==, 1);
  g_assert_cmpint (tg_test_server_stat (core->server, "refreshes.rejected"), ==, 0);

  outcome_clear (&timed_out);
  outcome_clear (&joined);
}

/* Section 2: one transient failure at the token endpoint costs no request,
 * keeps the session, and the server accepts exactly one refresh. */
static void
test_transient_failure_retried (void)
{
  static const char *faults[] = {
    "{\"refreshFault\":{\"kind\":\"status\",\"status\":503,\"count\":1}}",
    "{\"refreshFault\":{\"kind\":\"status\",\"status\":502,\"count\":1}}",
    "{\"refreshFault\":{\"kind\":\"status\",\"status\":504,\"count\":1}}",
    "{\"refreshFault\":{\"kind\":\"status\",\"status\":429,\"count\":1}}",
    "{\"refreshFault\":{\"kind\":\"drop\",\"count\":1}}",
    "{\"refreshFault\":{\"kind\":\"hang\",\"hangMs\":1000,\"count\":1}}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
      g_autoptr(TgTestBurst) burst = NULL;

      g_test_message ("fault: %s", faults[i]);
      tg_test_core_sign_in (core);
      tg_token_manager_replace_access_token (core->manager, "sdf");
      tg_test_server_post_demo (core->server, "/demo/settings", faults[i]);

      burst = tg_test_core_burst (core, 40, "GET", "/api/resources/%u");
      g_assert_cmpuint (burst->n_ok, ==, 40);
      g_assert_cmpuint (core->sessions_expired, ==, 0);
      g_assert_cmpuint (manager_counter (core->manager, "refreshes-started"), ==, 1);
      g_assert_cmpint (tg_test_server_stat (core->server, "faultsInjected"), ==, 1);
      g_assert_cmpint (tg_test_server_stat (core->server, "refreshes.ok"), ==, 1);
    }
}

/* Section 2, the lost answer: the server rotated, then the connection
 * dropped. The client's retry presents the used-up refresh token: within the
 * server's reuse grace window it gets the same pair and nothing is lost;
 * without one, the session ends cleanly — once, every request answered. */
static void
run_lost_answer (gboolean grace)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  g_autoptr(TgTestBurst) burst = NULL;
  g_autoptr(TgTestBurst) after = NULL;

  tg_test_core_sign_in (core);
  tg_test_server_post_demo (core->server, "/demo/settings", grace ? "{\"reuseGrace\":10}" : "{\"reuseGrace\":0}");
  tg_test_server_post_demo (core->server, "/demo/settings",
                            "{\"refreshFault\":{\"kind\":\"lost-answer\",\"count\":1}}");
  tg_token_manager_replace_access_token (core->manager, "sdf");

  burst = tg_test_core_burst (core, 40, "GET", "/api/resources/%u");
  g_assert_cmpint (tg_test_server_stat (core->server, "lostAnswers"), ==, 1);
  g_assert_cmpuint (manager_counter (core->manager, "refreshes-started"), ==, 1);

  if (grace)
    {
      g_assert_cmpuint (burst->n_ok, ==, 40);
      g_assert_cmpuint (core->sessions_expired, ==, 0);
      g_assert_cmpint (tg_test_server_stat (core->server, "reuseDetections"), ==, 0);

      /* The pair the lost answer carried is the session's from now on. */
      tg_token_manager_replace_access_token (core->manager, "sdf");
      after = tg_test_core_burst (core, 3, "GET", "/api/resources/%u");
      g_assert_cmpuint (after->n_ok, ==, 3);
      g_assert_cmpuint (core->sessions_expired, ==, 0);
    }
  else
    {
      g_assert_cmpuint (burst->n_ok, ==, 0);
      for (guint i = 0; i < burst->n; i++)
        {
          GError *error = burst->errors->pdata[i];

          g_assert_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED);
        }
      g_assert_cmpuint (core->sessions_expired, ==, 1);
      g_assert_cmpint (tg_token_manager_get_state (core->manager), ==, TG_TOKEN_STATE_SIGNED_OUT);
    }
}

static void
test_lost_answer_grace (void)
{
  run_lost_answer (TRUE);
}

static void
test_lost_answer_no_grace (void)
{
  run_lost_answer (FALSE);
}

/* Finding 7: tokens that live no longer than the skew do not make every
 * request refresh first. */
static void
test_short_lived_tokens_no_storm (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new ("access-ttl", (gint64) 5, NULL));
  g_autoptr(TgTestBurst) burst = NULL;

  g_object_set (core->manager, "expiry-skew", 10, NULL);
  g_object_set (core->client, "max-in-flight", 4, NULL);
  tg_test_core_sign_in (core);

  burst = tg_test_core_burst (core, 40, "GET", "/api/resources/%u");
  g_assert_cmpuint (burst->n_ok, ==, 40);
  /* 5 s tokens: used for 2.5 s before a refresh, and the burst takes less. */
  g_assert_cmpuint (manager_counter (core->manager, "refreshes-started"), <=, 1);
}

static void
sign_in_outcome (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->ok = tg_token_manager_sign_in_finish (TG_TOKEN_MANAGER (source), result, &outcome->error);
  outcome->done = TRUE;
}

/* Finding 11: a sign-out while a sign-in is on the way wins. */
static void
test_sign_out_during_sign_in (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  Outcome sign_in = { 0 };
  gboolean out = FALSE;

  tg_token_manager_sign_in_async (core->manager, "demo", "demo", NULL, sign_in_outcome, &sign_in);
  tg_token_manager_sign_out_async (core->manager, NULL, signed_out, &out);
  tg_test_wait (&sign_in.done, 30);
  tg_test_wait (&out, 30);

  g_assert_error (sign_in.error, TG_AUTH_ERROR, TG_AUTH_ERROR_SIGNED_OUT);
  g_assert_cmpint (tg_token_manager_get_state (core->manager), ==, TG_TOKEN_STATE_SIGNED_OUT);
  outcome_clear (&sign_in);
}

/* Cancels @user_data (a GCancellable) the moment the request @record has its
 * answer: after libsoup read it, before the manager looks at it. */
static void
cancel_when_answered (TgRequestRecord *record,
                      GParamSpec      *pspec,
                      gpointer         user_data)
{
  if (tg_request_record_get_kind (record) == TG_REQUEST_KIND_SIGN_IN)
    g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
watch_new_record (GListModel *log,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(TgRequestRecord) record = g_list_model_get_item (log, i);

      g_signal_connect_object (record, "notify::finished", G_CALLBACK (cancel_when_answered), user_data, 0);
    }
}

/* A sign-in cancelled while its answer arrives installs nothing, and the
 * pair the server issued for it is revoked (RFC 7009). */
static void
test_cancel_during_sign_in_answer (void)
{
  g_autoptr(TgTestCore) core = core_with_revocation ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Outcome sign_in = { 0 };

  g_signal_connect_object (tg_token_manager_get_request_log (core->manager), "items-changed",
                           G_CALLBACK (watch_new_record), cancellable, 0);
  tg_token_manager_sign_in_async (core->manager, "demo", "demo", cancellable, sign_in_outcome, &sign_in);
  tg_test_wait (&sign_in.done, 30);

  g_assert_error (sign_in.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (tg_token_manager_get_state (core->manager), ==, TG_TOKEN_STATE_SIGNED_OUT);
  for (guint i = 0; i < 100 && tg_test_server_stat (core->server, "revocations") == 0; i++)
    tg_test_iterate_for (20);
  g_assert_cmpint (tg_test_server_stat (core->server, "revocations"), ==, 1);
  outcome_clear (&sign_in);
}

/* Finding 11: the late 401 of a request of the old session is not retried
 * with the new session's token, and the old session's waiters hear why. */
static void
test_new_sign_in_keeps_sessions_apart (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  Outcome waiter = { 0 };
  Outcome late = { 0 };

  tg_test_core_sign_in (core);
  tg_test_server_post_demo (core->server, "/demo/settings", "{\"refreshLatencyMs\":1000}");
  tg_token_manager_refresh_async (core->manager, 1, NULL, refresh_done, &waiter);
  tg_test_core_sign_in (core);
  g_assert_cmpuint (tg_token_manager_get_generation (core->manager), ==, 2);

  tg_test_wait (&waiter.done, 30);
  g_assert_error (waiter.error, TG_AUTH_ERROR, TG_AUTH_ERROR_SIGNED_OUT);
  g_assert_nonnull (strstr (waiter.error->message, "new sign-in"));

  tg_token_manager_refresh_async (core->manager, 1, NULL, refresh_done, &late);
  tg_test_wait (&late.done, 30);
  g_assert_error (late.error, TG_AUTH_ERROR, TG_AUTH_ERROR_SIGNED_OUT);

  outcome_clear (&waiter);
  outcome_clear (&late);
}

/* Finding 10: the reason a session ended is shown in the sign-in window, so
 * it is a translated sentence, as the rest of the window is. */
static void
test_session_end_reason_translated (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  const char *locale_dir = g_getenv ("TG_LOCALE_DIR");
  g_autofree char *old_locale = NULL;
  TgTokenGrant grant = { 0 };
  gunichar first;

  if (locale_dir == NULL)
    {
      g_test_skip ("TG_LOCALE_DIR is not set");
      return;
    }
  old_locale = g_strdup (setlocale (LC_ALL, NULL));
  /* glibc ignores LANGUAGE under plain "C". */
  if (setlocale (LC_ALL, "C.UTF-8") == NULL)
    {
      g_test_skip ("no C.UTF-8 locale");
      return;
    }
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  g_setenv ("LANGUAGE", "uk", TRUE);

  tg_test_core_sign_in (core);
  g_assert_true (tg_token_manager_try_get_token (core->manager, &grant));
  tg_token_manager_report_retry (core->manager, &grant, TG_RETRY_VERDICT_REJECTED);

  g_unsetenv ("LANGUAGE");
  setlocale (LC_ALL, old_locale);

  g_assert_cmpuint (core->sessions_expired, ==, 1);
  g_assert_nonnull (core->expired_reason);
  g_test_message ("reason: %s", core->expired_reason);
  first = g_utf8_get_char (core->expired_reason);
  g_assert_true (first >= 0x0400 && first <= 0x04FF);  /* Cyrillic */

  tg_token_grant_clear (&grant);
}

int
main (int   argc,
      char *argv[])
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/core/token-manager/generation-check", test_generation_check);
  g_test_add_func ("/core/token-manager/gate-and-single-flight", test_gate_and_single_flight);
  g_test_add_func ("/core/token-manager/cancel-one-waiter", test_cancel_one_waiter);
  g_test_add_func ("/core/token-manager/sign-out-completes-waiters", test_sign_out_completes_waiters);
  g_test_add_func ("/core/token-manager/dispose-completes-waiters", test_dispose_completes_waiters);
  g_test_add_func ("/core/token-manager/persist-before-release", test_persist_before_release);
  g_test_add_func ("/core/token-manager/restore", test_restore);
  g_test_add_func ("/core/token-manager/sign-out-revokes", test_sign_out_revokes);
  g_test_add_func ("/core/token-manager/invalid-grant-ends-session", test_invalid_grant_ends_session);
  g_test_add_func ("/core/token-manager/refresh-failure-keeps-session", test_refresh_failure_keeps_session);
  g_test_add_func ("/core/token-manager/proactive", test_proactive);
  g_test_add_func ("/core/token-manager/signed-out-gate", test_signed_out_gate);
  g_test_add_func ("/core/token-manager/finding-1/deadline-during-store", test_deadline_during_store);
  g_test_add_func ("/core/token-manager/finding-1/deadline-ends-hung-refresh", test_deadline_ends_hung_refresh);
  g_test_add_func ("/core/token-manager/finding-2/old-save-leaves-new-refresh-alone", test_old_save_leaves_new_refresh_alone);
  g_test_add_func ("/core/token-manager/finding-3/failure-callbacks-start-next-refresh", test_failure_callbacks_start_next_refresh);
  g_test_add_func ("/core/token-manager/finding-4/late-answer-installed", test_late_answer_installed);
  g_test_add_func ("/core/token-manager/finding-4/late-answer-joined", test_late_answer_joined);
  g_test_add_func ("/core/token-manager/finding-7/short-lived-tokens-no-storm", test_short_lived_tokens_no_storm);
  g_test_add_func ("/core/token-manager/finding-11/sign-out-during-sign-in", test_sign_out_during_sign_in);
  g_test_add_func ("/core/token-manager/finding-11/new-sign-in-keeps-sessions-apart", test_new_sign_in_keeps_sessions_apart);
  g_test_add_func ("/core/token-manager/cancel-during-sign-in-answer", test_cancel_during_sign_in_answer);
  g_test_add_func ("/core/token-manager/finding-10/session-end-reason-translated", test_session_end_reason_translated);
  g_test_add_func ("/core/token-manager/transient-failure-retried", test_transient_failure_retried);
  g_test_add_func ("/core/token-manager/lost-answer/grace", test_lost_answer_grace);
  g_test_add_func ("/core/token-manager/lost-answer/no-grace", test_lost_answer_no_grace);

  return g_test_run ();
}
