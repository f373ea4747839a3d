/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgTokenManager's rules, one at a time, against the demo server on loopback:
 * the generation check, the gate, persist-before-release, cancellation,
 * sign-out and dispose, restore, and revocation at sign-out.
 */
#include "config.h"

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
  g_timeout_add (300, slow_save_done, task);
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

/* Sign-out revokes the refresh token where the protocol can (RFC 7009). */
static void
test_sign_out_revokes (void)
{
  g_autoptr(TgTestServer) server = tg_test_server_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *token_uri = g_strconcat (tg_test_server_uri (server), "/oauth2/token", NULL);
  g_autofree char *revoke_uri = g_strconcat (tg_test_server_uri (server), "/oauth2/revoke", NULL);
  g_autoptr(TgTestCore) core = NULL;
  TgAuthProtocol *protocol = tg_auth_protocol_new_oauth2 (token_uri, revoke_uri, "tokengate-test",
                                                          NULL, NULL, &error);
  g_autofree char *token = NULL;
  TgRequestSummary summary = { 0 };
  gboolean done = FALSE;

  g_assert_no_error (error);
  core = tg_test_core_new_for_uri (tg_test_server_uri (server), protocol);
  core->server = g_steal_pointer (&server);
  g_object_unref (protocol);

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
 * may try again. */
static void
test_refresh_failure_keeps_session (void)
{
  static const char *faults[] = {
    "{\"refreshFault\":{\"kind\":\"status\",\"status\":503,\"count\":1}}",
    "{\"refreshFault\":{\"kind\":\"drop\",\"count\":1}}",
    "{\"refreshFault\":{\"kind\":\"hang\",\"hangMs\":5000,\"count\":1}}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
      Outcome failed = { 0 };
      Outcome again = { 0 };
      guint generation;

      g_test_message ("fault: %s", faults[i]);
      tg_test_core_sign_in (core);
      /* The hang outlasts this; the timeout must end the refresh. */
      g_object_set (core->manager, "refresh-timeout", 1, NULL);
      tg_test_server_post_demo (core->server, "/demo/settings", faults[i]);
      generation = tg_token_manager_get_generation (core->manager);

      tg_token_manager_refresh_async (core->manager, generation, NULL, refresh_done, &failed);
      tg_test_wait (&failed.done, 30);
      g_assert_error (failed.error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED);
      g_assert_cmpint (tg_token_manager_get_state (core->manager), ==, TG_TOKEN_STATE_VALID);
      g_assert_cmpuint (tg_token_manager_get_generation (core->manager), ==, generation);
      g_assert_cmpuint (core->sessions_expired, ==, 0);

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

  /* 3 s token, 2 s skew: after a second and a bit, it is due. */
  g_usleep (1200 * G_TIME_SPAN_MILLISECOND);
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

  return g_test_run ();
}
