/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgApiClient with TgTokenManager: bursts of parallel requests against the
 * demo server (the posts' scenario, and what the posts get wrong), and a
 * scripted server in this test for the answers real servers give that ours
 * does not (no challenge, other errors, rejected retries, echoing bodies).
 */
#include "config.h"

#include <string.h>

#include "tg-test-core.h"
#include "tg-test-util.h"

static guint
manager_counter (TgTokenManager *manager,
                 const char     *name)
{
  guint value = 0;

  g_object_get (manager, name, &value, NULL);
  return value;
}

static guint
log_position (TgTestCore *core)
{
  return g_list_model_get_n_items (G_LIST_MODEL (tg_token_manager_get_request_log (core->manager)));
}

static void
summarize_from (TgTestCore       *core,
                guint             position,
                TgRequestSummary *summary)
{
  tg_request_log_summarize (tg_token_manager_get_request_log (core->manager), position, summary);
}

/* ------------------------------------------------------------------------- */
/* Single flight with a broken token (the posts' demo)                        */

static void
run_break_access (guint n,
                  guint jitter_ms)
{
  /* Tokens that outlive the burst: 10,000 requests under AddressSanitizer on
   * a loaded machine can take longer than the default 60 s, and a natural
   * expiry would add a proactive refresh of its own. */
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new ("access-ttl", (gint64) 3600, NULL));
  g_autoptr(TgTestBurst) burst = NULL;
  TgRequestSummary summary = { 0 };
  guint position;

  tg_test_core_sign_in (core);
  if (jitter_ms > 0)
    {
      g_autofree char *settings = g_strdup_printf ("{\"jitterMs\":%u}", jitter_ms);

      tg_test_server_post_demo (core->server, "/demo/settings", settings);
    }

  /* localStorage.setItem("token", "sdf") */
  tg_token_manager_replace_access_token (core->manager, "sdf");
  position = log_position (core);

  burst = tg_test_core_burst (core, n, "GET", "/api/resources/%u");

  for (guint i = 0; i < n; i++)
    {
      TgApiResponse *response = burst->responses->pdata[i];
      g_autofree char *expected = g_strdup_printf ("protected resources, username: demo, id: %u", i);

      g_assert_no_error ((GError *) burst->errors->pdata[i]);
      g_assert_cmpuint (response->status, ==, 200);
      g_assert_cmpmem (g_bytes_get_data (response->body, NULL), g_bytes_get_size (response->body),
                       expected, strlen (expected));
    }

  summarize_from (core, position, &summary);
  /* Exactly one refresh, whatever the timing… */
  g_assert_cmpuint (manager_counter (core->manager, "refreshes-started"), ==, 1);
  g_assert_cmpint (tg_test_server_stat (core->server, "refreshes.ok"), ==, 1);
  g_assert_cmpint (tg_test_server_stat (core->server, "refreshes.rejected"), ==, 0);
  g_assert_cmpuint (summary.refreshes, ==, 1);
  /* …every request succeeded, each 401 was retried exactly once… */
  g_assert_cmpuint (summary.requests, ==, n);
  g_assert_cmpuint (summary.succeeded, ==, n);
  g_assert_cmpuint (summary.failed, ==, 0);
  g_assert_cmpuint (summary.retries, ==, summary.resource_401);
  g_assert_cmpuint (summary.http_messages, ==, n + summary.resource_401 + 1);
  /* …and nothing left with the broken token once the refresh had begun: the
   * requests that had not gone out yet waited at the gate instead of
   * collecting a 401 of their own. The ones in flight all got one. */
  g_assert_cmpuint (summary.stale_sends, ==, 0);
  g_assert_cmpuint (summary.resource_401, ==, MIN (n, 32));
  g_assert_cmpint (tg_test_server_stat (core->server, "resources.401"), ==, summary.resource_401);
  g_assert_cmpuint (core->sessions_expired, ==, 0);
}

static void
test_single_flight (gconstpointer data)
{
  run_break_access (GPOINTER_TO_UINT (data), 0);
}

/* With answers spread out, some 401s arrive after the refresh is over: the
 * posts' interceptor then starts more refreshes (26 for 100 requests, and
 * loses half of them). Ours retries them with the new token. */
static void
test_single_flight_jitter (void)
{
  run_break_access (100, 40);
}

/* The posts' network tab: 3 × 401 → 1 refresh → 3 × 200, and nothing else. */
static void
test_three_requests_exactly (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  g_autoptr(TgTestBurst) burst = NULL;
  GListModel *log = G_LIST_MODEL (tg_token_manager_get_request_log (core->manager));
  guint position;
  guint n_401 = 0, n_refresh = 0, n_retry_ok = 0;

  tg_test_core_sign_in (core);
  tg_token_manager_replace_access_token (core->manager, "sdf");
  position = log_position (core);
  burst = tg_test_core_burst (core, 3, "GET", "/api/resources");
  g_assert_cmpuint (burst->n_ok, ==, 3);

  g_assert_cmpuint (g_list_model_get_n_items (log) - position, ==, 7);
  for (guint i = position; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(TgRequestRecord) record = g_list_model_get_item (log, i);

      if (tg_request_record_get_kind (record) == TG_REQUEST_KIND_REFRESH)
        n_refresh++;
      else if (tg_request_record_get_attempt (record) == 1)
        {
          g_assert_cmpuint (tg_request_record_get_status (record), ==, 401);
          g_assert_cmpuint (tg_request_record_get_generation (record), ==, 1);
          n_401++;
        }
      else
        {
          g_assert_cmpuint (tg_request_record_get_status (record), ==, 200);
          g_assert_cmpuint (tg_request_record_get_generation (record), ==, 2);
          n_retry_ok++;
        }
    }
  g_assert_cmpuint (n_401, ==, 3);
  g_assert_cmpuint (n_refresh, ==, 1);
  g_assert_cmpuint (n_retry_ok, ==, 3);
}

/* Rule 3: requests that start while the refresh is in flight wait for it. */
typedef struct {
  TgTestCore  *core;
  TgTestBurst *late;
} GateTest;

static void
on_state (TgTokenManager *manager,
          GParamSpec     *pspec,
          GateTest       *test)
{
  if (tg_token_manager_get_state (manager) == TG_TOKEN_STATE_REFRESHING && test->late == NULL)
    test->late = tg_test_burst_start (test->core, 10, "GET", "/api/resources/late-%u", NULL);
}

static void
test_gate (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  g_autoptr(TgTestBurst) early = NULL;
  GateTest test = { core, NULL };
  TgRequestSummary summary = { 0 };
  GListModel *log = G_LIST_MODEL (tg_token_manager_get_request_log (core->manager));
  guint position;

  tg_test_core_sign_in (core);
  tg_test_server_post_demo (core->server, "/demo/settings", "{\"refreshLatencyMs\":200}");
  tg_token_manager_replace_access_token (core->manager, "sdf");
  g_signal_connect (core->manager, "notify::state", G_CALLBACK (on_state), &test);
  position = log_position (core);

  early = tg_test_core_burst (core, 5, "GET", "/api/resources/%u");
  g_assert_nonnull (test.late);
  tg_test_burst_wait (test.late);
  g_signal_handlers_disconnect_by_data (core->manager, &test);

  g_assert_cmpuint (early->n_ok, ==, 5);
  g_assert_cmpuint (test.late->n_ok, ==, 10);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpuint (((TgApiResponse *) test.late->responses->pdata[i])->attempts, ==, 1);

  /* Not one of the late requests went out with the token being replaced. */
  for (guint i = position; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(TgRequestRecord) record = g_list_model_get_item (log, i);

      if (g_str_has_prefix (tg_request_record_get_path (record), "/api/resources/late-"))
        g_assert_cmpuint (tg_request_record_get_generation (record), ==, 2);
    }
  summarize_from (core, position, &summary);
  g_assert_cmpuint (summary.stale_sends, ==, 0);
  g_assert_cmpuint (summary.refreshes, ==, 1);
  tg_test_burst_free (test.late);
}

/* Rule 4: after a natural expiry, N requests cost N + 1 messages and no 401. */
/* Signed in with a token due for a proactive refresh: a 3 s token, a 2 s
 * skew clamped to half the lifetime, 1.7 s later. */
static TgTestCore *
new_core_aged_past_skew (void)
{
  TgTestCore *core = tg_test_core_new (tg_test_server_new ("access-ttl", (gint64) 3, NULL));

  g_object_set (core->manager, "expiry-skew", 2, NULL);
  tg_test_core_sign_in (core);
  g_usleep (1700 * G_TIME_SPAN_MILLISECOND);
  return core;
}

static void
test_proactive_natural_expiry (void)
{
  g_autoptr(TgTestCore) core = new_core_aged_past_skew ();
  g_autoptr(TgTestBurst) burst = NULL;
  TgRequestSummary summary = { 0 };
  guint position;

  position = log_position (core);

  burst = tg_test_core_burst (core, 50, "GET", "/api/resources/%u");
  g_assert_cmpuint (burst->n_ok, ==, 50);

  summarize_from (core, position, &summary);
  g_assert_cmpuint (summary.http_messages, ==, 51);
  g_assert_cmpuint (summary.resource_401, ==, 0);
  g_assert_cmpuint (summary.refreshes, ==, 1);
  g_assert_cmpint (tg_test_server_stat (core->server, "resources.401"), ==, 0);
}

/* The demo's Break after the token has aged past its skew (issue 10, §1.1):
 * the replacement has no known expiry, so the gate sends it instead of
 * refreshing first, and the picture is still N × 401 → 1 refresh → N × 200. */
static void
test_break_after_skew (void)
{
  g_autoptr(TgTestCore) core = new_core_aged_past_skew ();
  g_autoptr(TgTestBurst) burst = NULL;
  TgRequestSummary summary = { 0 };
  guint position;

  tg_token_manager_replace_access_token (core->manager, "sdf");
  g_assert_cmpint (tg_token_manager_get_expires_at (core->manager), ==, 0);
  position = log_position (core);

  burst = tg_test_core_burst (core, 3, "GET", "/api/resources/%u");
  g_assert_cmpuint (burst->n_ok, ==, 3);

  summarize_from (core, position, &summary);
  g_assert_cmpuint (summary.resource_401, ==, 3);
  g_assert_cmpuint (summary.refreshes, ==, 1);
  g_assert_cmpuint (summary.retries, ==, 3);
  g_assert_cmpuint (summary.http_messages, ==, 7);
  g_assert_cmpint (tg_test_server_stat (core->server, "resources.401"), ==, 3);
}

/* Rule 5, canary: the first retry goes alone; the others follow its success. */
static void
test_canary (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  g_autoptr(TgTestBurst) burst = NULL;
  GListModel *log = G_LIST_MODEL (tg_token_manager_get_request_log (core->manager));
  gint64 canary_end = 0;
  guint position;
  guint n_retries = 0;

  g_object_set (core->manager, "retry-policy", TG_RETRY_POLICY_CANARY, NULL);
  tg_test_core_sign_in (core);
  tg_token_manager_replace_access_token (core->manager, "sdf");
  position = log_position (core);

  burst = tg_test_core_burst (core, 10, "GET", "/api/resources/%u");
  g_assert_cmpuint (burst->n_ok, ==, 10);
  g_assert_cmpint (tg_test_server_stat (core->server, "refreshes.ok"), ==, 1);

  for (guint i = position; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(TgRequestRecord) record = g_list_model_get_item (log, i);

      if (tg_request_record_get_kind (record) != TG_REQUEST_KIND_RESOURCE ||
          tg_request_record_get_attempt (record) != 2)
        continue;
      if (n_retries++ == 0)
        canary_end = tg_request_record_get_end_time (record);
      else
        /* Every other retry left after the canary's answer was in. */
        g_assert_cmpint (tg_request_record_get_start_time (record), >=, canary_end);
    }
  g_assert_cmpuint (n_retries, ==, 10);
}

/* ------------------------------------------------------------------------- */
/* A scripted server                                                          */

typedef struct {
  SoupServer *soup;
  char       *base_uri;
  guint       token_generation;   /* the access token it accepts: "tok-N" */
  guint       n_refreshes;
  guint       n_api;
  gboolean    refresh_garbage;     /* answer refreshes with 200 and no JSON */
  gboolean    refresh_half;        /* rotate, but answer with the refresh token only */
  char       *presented;           /* the refresh token of the last refresh */
  GPtrArray  *bodies;              /* GBytes* received on /api/echo */
} Scripted;

static void
scripted_reply (SoupServerMessage *msg,
                guint              status,
                const char        *type,
                const char        *body)
{
  soup_server_message_set_status (msg, status, NULL);
  if (body != NULL)
    soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, body, strlen (body));
}

static void
scripted_handler (SoupServer        *soup,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  Scripted *scripted = user_data;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const char *authorization = soup_message_headers_get_one (request, "Authorization");
  g_autofree char *expected = g_strdup_printf ("Bearer tok-%u", scripted->token_generation);
  gboolean authorized = g_strcmp0 (authorization, expected) == 0;

  if (strcmp (path, "/authorization/token") == 0)
    {
      scripted->token_generation = 1;
      scripted_reply (msg, 200, "application/json",
                      "{\"authorizationToken\":\"tok-1\",\"refreshToken\":\"r-1\",\"expiresIn\":3600}");
      return;
    }
  if (strcmp (path, "/authorization/refresh") == 0)
    {
      g_autofree char *pair = NULL;

      g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
      g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
      const char *presented = strstr (text, "r-");

      g_free (scripted->presented);
      scripted->presented = presented != NULL ? g_strndup (presented, strspn (presented, "r-0123456789")) : NULL;
      scripted->n_refreshes++;
      if (scripted->refresh_half)
        {
          /* Rotated at the server; the answer lacks the access token. */
          scripted->token_generation++;
          pair = g_strdup_printf ("{\"refreshToken\":\"r-%u\"}", scripted->token_generation);
          scripted_reply (msg, 200, "application/json", pair);
          return;
        }
      if (scripted->refresh_garbage)
        {
          scripted_reply (msg, 200, "text/html", "<html>proxy login</html>");
          return;
        }
      scripted->token_generation++;
      pair = g_strdup_printf ("{\"authorizationToken\":\"tok-%u\",\"refreshToken\":\"r-%u\",\"expiresIn\":3600}",
                              scripted->token_generation, scripted->token_generation);
      scripted_reply (msg, 200, "application/json", pair);
      return;
    }

  scripted->n_api++;
  if (strcmp (path, "/api/echo") == 0)
    {
      g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

      /* Every attempt's body, refused or not. */
      g_ptr_array_add (scripted->bodies, g_bytes_ref (body));
    }

  if (strcmp (path, "/api/always-401") == 0)
    scripted_reply (msg, 401, NULL, NULL);
  else if (strcmp (path, "/api/forbidden") == 0)
    {
      soup_message_headers_replace (response, "WWW-Authenticate",
                                    "Bearer realm=\"x\", error=\"insufficient_scope\"");
      scripted_reply (msg, 403, "application/json", "{\"error\":\"insufficient_scope\"}");
    }
  else if (strcmp (path, "/api/bad-request") == 0)
    scripted_reply (msg, 400, "application/json", "{\"error\":\"invalid_request\"}");
  else if (strcmp (path, "/api/server-error") == 0)
    scripted_reply (msg, 500, "text/plain", "oops");
  else if (strcmp (path, "/api/401-insufficient-scope") == 0)
    {
      soup_message_headers_replace (response, "WWW-Authenticate",
                                    "Bearer realm=\"x\", error=\"insufficient_scope\"");
      scripted_reply (msg, 401, NULL, NULL);
    }
  else if (strcmp (path, "/api/401-invalid-request") == 0)
    {
      soup_message_headers_replace (response, "WWW-Authenticate",
                                    "Bearer error=\"invalid_request\"");
      scripted_reply (msg, 401, NULL, NULL);
    }
  else if (strcmp (path, "/api/401-basic") == 0)
    {
      soup_message_headers_replace (response, "WWW-Authenticate", "Basic realm=\"x\"");
      scripted_reply (msg, 401, NULL, NULL);
    }
  else if (!authorized)
    /* No WWW-Authenticate, no body: plenty of servers answer like this. */
    scripted_reply (msg, 401, NULL, NULL);
  else if (strcmp (path, "/api/echo") == 0)
    {
      g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
      g_autofree char *digest = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, body);

      scripted_reply (msg, 200, "text/plain", digest);
    }
  else
    scripted_reply (msg, 200, "text/plain", "ok");
}

static Scripted *
scripted_new (void)
{
  Scripted *scripted = g_new0 (Scripted, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  scripted->bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  scripted->soup = soup_server_new (NULL, NULL);
  soup_server_add_handler (scripted->soup, NULL, scripted_handler, scripted, NULL);
  soup_server_listen_local (scripted->soup, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (scripted->soup);
  scripted->base_uri = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return scripted;
}

static void
scripted_free (Scripted *scripted)
{
  soup_server_disconnect (scripted->soup);
  g_assert_finalize_object (scripted->soup);
  g_ptr_array_unref (scripted->bodies);
  g_free (scripted->presented);
  g_free (scripted->base_uri);
  g_free (scripted);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Scripted, scripted_free)

static TgApiResponse *
send_one (TgTestCore  *core,
          const char  *method,
          const char  *path,
          GError     **error)
{
  g_autoptr(TgTestBurst) burst = tg_test_core_burst (core, 1, method, path);

  if (burst->errors->pdata[0] != NULL)
    g_propagate_error (error, g_steal_pointer (&burst->errors->pdata[0]));
  return g_steal_pointer (&burst->responses->pdata[0]);
}

/* Rule 7 of the issue: only a 401 that a new token can fix starts a refresh. */
static void
test_only_fixable_401_refreshes (void)
{
  g_autoptr(Scripted) scripted = scripted_new ();
  g_autoptr(TgTestCore) core = tg_test_core_new_for_uri (scripted->base_uri, NULL);
  struct {
    const char *path;
    guint       status;
  } cases[] = {
    { "/api/forbidden", 403 },
    { "/api/bad-request", 400 },
    { "/api/server-error", 500 },
    { "/api/401-insufficient-scope", 401 },
    { "/api/401-invalid-request", 401 },
    { "/api/401-basic", 401 },
  };

  tg_test_core_sign_in (core);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TgApiResponse) response = NULL;

      g_test_message ("GET %s", cases[i].path);
      response = send_one (core, "GET", cases[i].path, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (response->status, ==, cases[i].status);
      g_assert_cmpuint (response->attempts, ==, 1);
    }
  g_assert_cmpuint (scripted->n_refreshes, ==, 0);
  g_assert_cmpuint (manager_counter (core->manager, "refreshes-started"), ==, 0);
}

/* A bare 401 — no WWW-Authenticate, empty body — still gets its one refresh. */
static void
test_bare_401 (void)
{
  g_autoptr(Scripted) scripted = scripted_new ();
  g_autoptr(TgTestCore) core = tg_test_core_new_for_uri (scripted->base_uri, NULL);
  g_autoptr(TgTestBurst) burst = NULL;

  tg_test_core_sign_in (core);
  tg_token_manager_replace_access_token (core->manager, "sdf");
  burst = tg_test_core_burst (core, 5, "GET", "/api/thing/%u");
  g_assert_cmpuint (burst->n_ok, ==, 5);
  g_assert_cmpuint (scripted->n_refreshes, ==, 1);
  g_assert_cmpuint (scripted->n_api, ==, 10);
}

/* Rules 5 and 6: a retry rejected again ends the session — with the canary,
 * after one retry; with "all", after the retries in flight — and nothing
 * loops: each request is sent at most twice. */
static void
run_rejected_retries (TgRetryPolicy policy,
                      guint         expected_api_hits)
{
  g_autoptr(Scripted) scripted = scripted_new ();
  g_autoptr(TgTestCore) core = tg_test_core_new_for_uri (scripted->base_uri, NULL);
  g_autoptr(TgTestBurst) burst = NULL;

  g_object_set (core->manager, "retry-policy", policy, NULL);
  tg_test_core_sign_in (core);
  burst = tg_test_core_burst (core, 5, "GET", "/api/always-401");

  for (guint i = 0; i < 5; i++)
    g_assert_error ((GError *) burst->errors->pdata[i], TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED);
  g_assert_cmpuint (scripted->n_refreshes, ==, 1);
  g_assert_cmpuint (scripted->n_api, ==, expected_api_hits);
  g_assert_cmpuint (core->sessions_expired, ==, 1);
  g_assert_cmpint (tg_token_manager_get_state (core->manager), ==, TG_TOKEN_STATE_SIGNED_OUT);
}

static void
test_canary_rejected (void)
{
  /* 5 first attempts, then the canary alone; the other 4 never go out again. */
  run_rejected_retries (TG_RETRY_POLICY_CANARY, 6);
}

static void
test_all_rejected (void)
{
  /* 5 first attempts and 5 retries: the first rejected retry ends the session
   * and the others, already released, come back 401 as well. */
  run_rejected_retries (TG_RETRY_POLICY_ALL, 10);
}

/* Rule 6: an unparseable refresh answer fails the waiters and keeps the session. */
static void
test_unparseable_refresh (void)
{
  g_autoptr(Scripted) scripted = scripted_new ();
  g_autoptr(TgTestCore) core = tg_test_core_new_for_uri (scripted->base_uri, NULL);
  g_autoptr(TgTestBurst) failed = NULL;
  g_autoptr(TgTestBurst) again = NULL;

  tg_test_core_sign_in (core);
  tg_token_manager_replace_access_token (core->manager, "sdf");
  scripted->refresh_garbage = TRUE;
  failed = tg_test_core_burst (core, 3, "GET", "/api/thing/%u");
  for (guint i = 0; i < 3; i++)
    g_assert_error ((GError *) failed->errors->pdata[i], TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED);
  g_assert_cmpint (tg_token_manager_get_state (core->manager), ==, TG_TOKEN_STATE_VALID);
  g_assert_cmpuint (core->sessions_expired, ==, 0);

  scripted->refresh_garbage = FALSE;
  again = tg_test_core_burst (core, 3, "GET", "/api/thing/%u");
  g_assert_cmpuint (again->n_ok, ==, 3);
}

/* Finding 9: a 2xx refresh answer that cannot be read as a whole still
 * carried the rotated refresh token; the next refresh presents that one, not
 * the used-up one the server would refuse. */
static void
test_half_readable_refresh (void)
{
  g_autoptr(Scripted) scripted = scripted_new ();
  g_autoptr(TgTestCore) core = tg_test_core_new_for_uri (scripted->base_uri, NULL);
  g_autoptr(TgTestBurst) failed = NULL;
  g_autoptr(TgTestBurst) again = NULL;

  tg_test_core_sign_in (core);
  tg_token_manager_replace_access_token (core->manager, "sdf");
  scripted->refresh_half = TRUE;
  failed = tg_test_core_burst (core, 1, "GET", "/api/thing/%u");
  g_assert_error ((GError *) failed->errors->pdata[0], TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED);
  g_assert_cmpstr (scripted->presented, ==, "r-1");

  scripted->refresh_half = FALSE;
  again = tg_test_core_burst (core, 1, "GET", "/api/thing/%u");
  g_assert_cmpstr (scripted->presented, ==, "r-2");
  g_assert_cmpuint (again->n_ok, ==, 1);
  g_assert_cmpuint (core->sessions_expired, ==, 0);
}

/* Rule 9: a POST body goes out again byte for byte, once. */
typedef struct {
  gboolean       done;
  TgApiResponse *response;
  GError        *error;
} Sent;

static void
sent (GObject      *source,
      GAsyncResult *result,
      gpointer      user_data)
{
  Sent *outcome = user_data;

  outcome->response = tg_api_client_send_finish (TG_API_CLIENT (source), result, &outcome->error);
  outcome->done = TRUE;
}

static void
test_body_resent (void)
{
  g_autoptr(Scripted) scripted = scripted_new ();
  g_autoptr(TgTestCore) core = tg_test_core_new_for_uri (scripted->base_uri, NULL);
  g_autoptr(GBytes) body = NULL;
  guint8 *data = g_malloc (100 * 1024);
  Sent outcome = { 0 };

  for (gsize i = 0; i < 100 * 1024; i++)
    data[i] = (guint8) (i * 7 + (i >> 8));
  body = g_bytes_new_take (data, 100 * 1024);

  tg_test_core_sign_in (core);
  tg_token_manager_replace_access_token (core->manager, "sdf");
  tg_api_client_send_async (core->client, "POST", "/api/echo", "application/octet-stream", body,
                            NULL, sent, &outcome);
  tg_test_wait (&outcome.done, 30);

  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.response->status, ==, 200);
  g_assert_cmpuint (outcome.response->attempts, ==, 2);
  /* Both attempts carried the whole body, exactly; there was no third. */
  g_assert_cmpuint (scripted->bodies->len, ==, 2);
  g_assert_true (g_bytes_equal (scripted->bodies->pdata[0], body));
  g_assert_true (g_bytes_equal (scripted->bodies->pdata[1], body));
  tg_api_response_free (outcome.response);
}

/* Rule 7: a request cancelled while waiting for a slot returns at once. */
static void
test_cancel_pending (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(TgTestBurst) busy = NULL;
  Sent outcome = { 0 };

  tg_test_core_sign_in (core);
  tg_test_server_post_demo (core->server, "/demo/settings", "{\"latencyMs\":500}");
  g_object_set (core->client, "max-in-flight", 1, NULL);

  busy = tg_test_burst_start (core, 3, "GET", "/api/resources/%u", NULL);
  tg_api_client_send_async (core->client, "GET", "/api/resources/cancelled", NULL, NULL,
                            cancellable, sent, &outcome);
  g_cancellable_cancel (cancellable);
  tg_test_wait (&outcome.done, 30);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* It did not wait for the three ahead of it. */
  g_assert_cmpuint (busy->n_done, ==, 0);
  g_clear_error (&outcome.error);

  tg_test_burst_wait (busy);
  g_assert_cmpuint (busy->n_ok, ==, 3);
}

/* Rule 11: tokens never go over plain HTTP to another host, and requests
 * never leave the server they were made for. */
static void
test_insecure (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  static const char *insecure[] = { "http://example.org", "http://10.1.2.3:8080", "http://[2001:db8::1]/" };
  static const char *fine[] = { "https://example.org", "http://127.0.0.1:1", "http://localhost:8080", "http://[::1]:80" };
  static const char *bad_paths[] = { "//evil.example/x", "http://evil.example/x", "api/resources", "" };

  for (gsize i = 0; i < G_N_ELEMENTS (insecure); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TgApiClient) client = tg_api_client_new (core->manager, insecure[i], &error);

      g_assert_null (client);
      g_assert_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (fine); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TgApiClient) client = tg_api_client_new (core->manager, fine[i], &error);

      g_assert_no_error (error);
      g_assert_nonnull (client);
    }

  tg_test_core_sign_in (core);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_paths); i++)
    {
      Sent outcome = { 0 };

      tg_api_client_send_async (core->client, "GET", bad_paths[i], NULL, NULL, NULL, sent, &outcome);
      tg_test_wait (&outcome.done, 30);
      g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_clear_error (&outcome.error);
    }
  g_assert_cmpint (tg_test_server_stat (core->server, "resources.200"), ==, 0);
}

/* The API URL is a base: a request's path is appended to its path. */
static void
test_join_uri (void)
{
  static const struct {
    const char *base;
    const char *path;
    const char *expected;
  } cases[] = {
    { "http://127.0.0.1:7000", "/api/resources/1", "http://127.0.0.1:7000/api/resources/1" },
    { "http://127.0.0.1:7000/", "/api/resources/1", "http://127.0.0.1:7000/api/resources/1" },
    { "https://api.example.com/v1", "/users/1", "https://api.example.com/v1/users/1" },
    { "https://api.example.com/v1/", "/users/1", "https://api.example.com/v1/users/1" },
    { "https://api.example.com/v1//", "/users/1", "https://api.example.com/v1/users/1" },
    { "https://api.example.com/v1?key=1#top", "/users/1?full=1", "https://api.example.com/v1/users/1?full=1" },
    { "https://api.example.com/a%20b", "/c%2Fd", "https://api.example.com/a%20b/c%2Fd" },
    { "http://[::1]:8080/v2", "/me", "http://[::1]:8080/v2/me" },
    { "https://id.example/", "/api/resources/item-%u", "https://id.example/api/resources/item-%u" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *joined = tg_api_client_join_uri (cases[i].base, cases[i].path);

      g_assert_cmpstr (joined, ==, cases[i].expected);
    }
  g_assert_null (tg_api_client_join_uri ("not a URL", "/x"));
  g_assert_null (tg_api_client_join_uri ("ftp://files.example/pub", "/x"));
}

/* Requests go under the API URL's path, on the real server. */
static void
test_base_path (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  g_autofree char *base = g_strconcat (tg_test_server_uri (core->server), "/api/", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TgApiClient) client = tg_api_client_new (core->manager, base, &error);
  Sent outcome = { 0 };
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  tg_test_core_sign_in (core);
  tg_api_client_send_async (client, "GET", "/resources/3", NULL, NULL, NULL, sent, &outcome);
  tg_test_wait (&outcome.done, 30);
  g_assert_no_error (outcome.error);
  g_assert_cmpuint (outcome.response->status, ==, 200);
  text = g_strndup (g_bytes_get_data (outcome.response->body, NULL), g_bytes_get_size (outcome.response->body));
  g_assert_cmpstr (text, ==, "protected resources, username: demo, id: 3");
  g_clear_pointer (&outcome.response, tg_api_response_free);
}

/* Rule 11: no token reaches a log line, whatever happens. */
static GString *captured_log;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
      {
        g_string_append (captured_log, fields[i].value);
        g_string_append_c (captured_log, '\n');
      }

  /* Debug and info messages would go to stdout, in the middle of the TAP
   * output: keep them here only. */
  if (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
test_no_token_in_logs (void)
{
  g_autoptr(TgTestCore) core = tg_test_core_new (tg_test_server_new (NULL));
  g_autoptr(TgTestBurst) burst = NULL;
  g_autoptr(TgTestBurst) after = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  g_log_set_debug_enabled (TRUE);
  g_string_truncate (captured_log, 0);

  tg_test_core_sign_in (core);
  /* The 503s below are retried (and logged) until this deadline. */
  g_object_set (core->manager, "refresh-timeout", 2, NULL);
  first = tg_token_manager_dup_access_token (core->manager);
  tg_token_manager_replace_access_token (core->manager, "sdf-broken-token");
  burst = tg_test_core_burst (core, 5, "GET", "/api/resources/%u");
  second = tg_token_manager_dup_access_token (core->manager);
  /* Armed for every refresh, not just one: the two 401s of the second burst
   * may arrive on either side of the first failed refresh, and a second
   * refresh that succeeded would (rightly) rescue the later request. */
  tg_test_server_post_demo (core->server, "/demo/settings",
                            "{\"refreshFault\":{\"kind\":\"status\",\"status\":503,\"count\":1000}}");
  tg_token_manager_replace_access_token (core->manager, "sdf-broken-token");
  after = tg_test_core_burst (core, 2, "GET", "/api/resources/%u");

  g_assert_cmpuint (burst->n_ok, ==, 5);
  g_assert_cmpuint (after->n_ok, ==, 0);
  g_assert_nonnull (strstr (captured_log->str, "Refresh attempt 1 failed"));
  g_assert_nonnull (strstr (captured_log->str, "Refresh failed"));
  g_assert_null (strstr (captured_log->str, first));
  g_assert_null (strstr (captured_log->str, second));
  g_assert_null (strstr (captured_log->str, "sdf-broken-token"));
  g_log_set_debug_enabled (FALSE);
}

int
main (int   argc,
      char *argv[])
{
  /* Before anything logs: every message of this process passes through here. */
  captured_log = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  tg_test_init (&argc, &argv);

  g_test_add_data_func ("/core/api-client/single-flight/1", GUINT_TO_POINTER (1), test_single_flight);
  g_test_add_data_func ("/core/api-client/single-flight/3", GUINT_TO_POINTER (3), test_single_flight);
  g_test_add_data_func ("/core/api-client/single-flight/100", GUINT_TO_POINTER (100), test_single_flight);
  g_test_add_data_func ("/core/api-client/single-flight/10000", GUINT_TO_POINTER (10000), test_single_flight);
  g_test_add_func ("/core/api-client/single-flight/jitter", test_single_flight_jitter);
  g_test_add_func ("/core/api-client/three-requests-exactly", test_three_requests_exactly);
  g_test_add_func ("/core/api-client/gate", test_gate);
  g_test_add_func ("/core/api-client/proactive-natural-expiry", test_proactive_natural_expiry);
  g_test_add_func ("/core/api-client/break-after-skew", test_break_after_skew);
  g_test_add_func ("/core/api-client/canary", test_canary);
  g_test_add_func ("/core/api-client/canary-rejected", test_canary_rejected);
  g_test_add_func ("/core/api-client/all-rejected", test_all_rejected);
  g_test_add_func ("/core/api-client/only-fixable-401-refreshes", test_only_fixable_401_refreshes);
  g_test_add_func ("/core/api-client/bare-401", test_bare_401);
  g_test_add_func ("/core/api-client/unparseable-refresh", test_unparseable_refresh);
  g_test_add_func ("/core/api-client/finding-9/half-readable-refresh", test_half_readable_refresh);
  g_test_add_func ("/core/api-client/body-resent", test_body_resent);
  g_test_add_func ("/core/api-client/cancel-pending", test_cancel_pending);
  g_test_add_func ("/core/api-client/insecure", test_insecure);
  g_test_add_func ("/core/api-client/join-uri", test_join_uri);
  g_test_add_func ("/core/api-client/base-path", test_base_path);
  g_test_add_func ("/core/api-client/no-token-in-logs", test_no_token_in_logs);

  return g_test_run ();
}
