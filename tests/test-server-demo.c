/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The demo server's demo controls (/demo/…, see tg-server-demo.c): counters,
 * killing tokens on purpose, settings, latency, and refresh faults — over real
 * HTTP on loopback.
 *
 * Timing assertions are lower bounds only: the machine is shared, so a request
 * may always take longer than planned, never shorter.
 */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "tg-base64url.h"
#include "tg-crypto.h"
#include "tg-server-private.h"
#include "tg-test-server.h"
#include "tg-test-util.h"

#define FORM "application/x-www-form-urlencoded"
#define JSON "application/json"

/* Token values are secrets even in tests: compare them without printing them. */
static void
assert_tokens_equal (const char *a,
                     const char *b)
{
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_true (g_str_equal (a, b));
}

static gint64
elapsed_ms (gint64 since)
{
  return (g_get_monotonic_time () - since) / 1000;
}

/* ------------------------------------------------------------------------- */
/* Demo controls                                                             */

static TgTestReply *
put_settings (TgTestServer *fixture,
              const char   *json)
{
  return tg_test_request (fixture, "PUT", "/demo/settings", JSON, json, NULL);
}

static void
put_settings_ok (TgTestServer *fixture,
                 const char   *json)
{
  g_autoptr(TgTestReply) reply = put_settings (fixture, json);

  g_assert_cmpuint (reply->status, ==, 200);
}

static JsonObject *
get_json (TgTestServer *fixture,
          const char   *path)
{
  g_autoptr(TgTestReply) reply = tg_test_request (fixture, "GET", path, NULL, NULL, NULL);

  g_assert_cmpuint (reply->status, ==, 200);
  return tg_test_reply_json (reply);
}

static void
post_demo (TgTestServer *fixture,
           const char   *path)
{
  g_autoptr(TgTestReply) reply = tg_test_request (fixture, "POST", path, NULL, NULL, NULL);

  g_assert_cmpuint (reply->status, ==, 200);
}

static gint64
count (JsonObject *stats,
       const char *name)
{
  g_assert_true (json_object_has_member (stats, name));
  return json_object_get_int_member (stats, name);
}

static gint64
refresh_count (JsonObject *stats,
               const char *name)
{
  JsonObject *refreshes = json_object_get_object_member (stats, "refreshes");

  g_assert_nonnull (refreshes);
  return count (refreshes, name);
}

/* Statuses that never happened are absent. */
static gint64
resource_count (JsonObject *stats,
                const char *status)
{
  JsonObject *resources = json_object_get_object_member (stats, "resources");

  g_assert_nonnull (resources);
  return json_object_has_member (resources, status)
           ? json_object_get_int_member (resources, status) : 0;
}

static guint
n_resource_statuses (JsonObject *stats)
{
  return json_object_get_size (json_object_get_object_member (stats, "resources"));
}

/* ------------------------------------------------------------------------- */
/* The API                                                                   */

static char *
oauth2_sign_in (TgTestServer  *fixture,
                char         **out_refresh_token)
{
  g_autoptr(TgTestReply) reply = tg_test_oauth2_password_grant (fixture, "demo", "demo");
  g_autoptr(JsonObject) object = NULL;

  g_assert_cmpuint (reply->status, ==, 200);
  object = tg_test_reply_json (reply);
  if (out_refresh_token != NULL)
    *out_refresh_token = g_strdup (json_object_get_string_member (object, "refresh_token"));
  return g_strdup (json_object_get_string_member (object, "access_token"));
}

static TgTestReply *
seed_refresh_reply (TgTestServer *fixture,
                    const char   *refresh_token)
{
  g_autofree char *body = g_strdup_printf ("{\"refreshToken\":\"%s\"}", refresh_token);

  return tg_test_request (fixture, "POST", "/authorization/refresh", JSON, body, NULL);
}

static void
assert_rejected_token (TgTestServer *fixture,
                       const char   *access_token,
                       const char   *description)
{
  g_autoptr(TgTestReply) reply = tg_test_get_resource_reply (fixture, access_token);
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *expected_challenge = NULL;

  tg_test_assert_json_error (reply, 401, "invalid_token");
  object = tg_test_reply_json (reply);
  g_assert_cmpstr (json_object_get_string_member (object, "error_description"), ==, description);

  expected_challenge = g_strdup_printf ("Bearer realm=\"tokengate\", error=\"invalid_token\", "
                                        "error_description=\"%s\"", description);
  g_assert_cmpstr (soup_message_headers_get_one (reply->headers, "WWW-Authenticate"), ==,
                   expected_challenge);
}

#define EXPIRED_BY_SERVER "the access token was expired by the server"
#define SESSION_REVOKED   "the session of this access token was revoked"

/* The claims of a JWT, read without checking it: the test only wants `exp`. */
static JsonObject *
jwt_payload (const char *token)
{
  g_auto(GStrv) segments = g_strsplit (token, ".", -1);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *payload = NULL;
  gsize len = 0;

  g_assert_cmpuint (g_strv_length (segments), ==, 3);
  payload = tg_base64url_decode (segments[1], -1, &len);
  g_assert_nonnull (payload);
  json_parser_load_from_data (parser, (const char *) payload, len, &error);
  g_assert_no_error (error);

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* Sends a request that the server is expected to drop, and returns the
 * transport error the client saw. */
static GError *
send_expecting_drop (TgTestServer *fixture,
                     const char   *path,
                     const char   *content_type,
                     const char   *body)
{
  g_autofree char *uri = g_strconcat (tg_test_server_uri (fixture), path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", uri);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) reply = NULL;
  GError *error = NULL;

  /* This goes out on the session's kept-alive connection, as a real client's
   * would; libsoup does not resend a failed POST, so the drop reaches us. */
  soup_message_set_request_body_from_bytes (msg, content_type, bytes);
  reply = soup_session_send_and_read (fixture->session, msg, NULL, &error);

  g_assert_null (reply);
  g_assert_nonnull (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_NONE);
  return error;
}

/* ------------------------------------------------------------------------- */
/* Stats                                                                     */

static void
test_stats (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autoptr(JsonObject) initial = get_json (fixture, "/demo/stats");
  g_autoptr(JsonObject) stats = NULL;
  g_autofree char *seed_refresh = NULL;
  g_autofree char *seed_access = NULL;
  g_autofree char *seed_next_refresh = NULL;
  g_autofree char *seed_next_access = NULL;
  g_autofree char *replayed = NULL;
  g_autofree char *revoked_successor = NULL;
  g_autofree char *oauth2_refresh = NULL;
  g_autofree char *oauth2_access = NULL;
  g_autofree char *faulted_refresh = NULL;
  g_autofree char *faulted_access = NULL;
  guint status = 0;

  /* Nothing happened yet. */
  g_assert_cmpuint (json_object_get_size (initial), ==, 9);
  g_assert_cmpint (count (initial, "signIns"), ==, 0);
  g_assert_cmpint (count (initial, "signInsRejected"), ==, 0);
  g_assert_cmpint (refresh_count (initial, "ok"), ==, 0);
  g_assert_cmpint (refresh_count (initial, "rejected"), ==, 0);
  g_assert_cmpint (count (initial, "reuseDetections"), ==, 0);
  g_assert_cmpint (count (initial, "revocations"), ==, 0);
  g_assert_cmpint (count (initial, "faultsInjected"), ==, 0);
  g_assert_cmpint (count (initial, "lostAnswers"), ==, 0);
  g_assert_cmpint (count (initial, "refreshesHeld"), ==, 0);
  g_assert_cmpuint (n_resource_statuses (initial), ==, 0);

  /* Sign-ins: two good ones (one per wire format), two refused credentials,
   * and one malformed request, which is no sign-in at all. */
  seed_access = tg_test_seed_sign_in (fixture, "demo", "demo", &seed_refresh);
  oauth2_access = oauth2_sign_in (fixture, &oauth2_refresh);
  {
    g_autoptr(TgTestReply) wrong = tg_test_request (fixture, "POST", "/authorization/token", JSON,
                                                    "{\"userName\":\"demo\",\"password\":\"nope\"}", NULL);
    g_autoptr(TgTestReply) unknown = tg_test_oauth2_password_grant (fixture, "nobody", "demo");
    g_autoptr(TgTestReply) malformed = tg_test_request (fixture, "POST", "/oauth2/token", FORM,
                                                        "grant_type=password&username=demo", NULL);

    tg_test_assert_json_error (wrong, 401, "invalid_grant");
    tg_test_assert_json_error (unknown, 400, "invalid_grant");
    tg_test_assert_json_error (malformed, 400, "invalid_request");
  }

  /* Refreshes: one good; a replay (rejected, reuse detected, family revoked);
   * the revoked successor; an unknown token. */
  seed_next_access = tg_test_seed_refresh (fixture, seed_refresh, &status, &seed_next_refresh);
  g_assert_cmpuint (status, ==, 200);
  replayed = tg_test_seed_refresh (fixture, seed_refresh, &status, NULL);
  g_assert_null (replayed);
  g_assert_cmpuint (status, ==, 401);
  revoked_successor = tg_test_seed_refresh (fixture, seed_next_refresh, &status, NULL);
  g_assert_null (revoked_successor);
  g_assert_cmpuint (status, ==, 401);
  {
    g_autoptr(TgTestReply) unknown = tg_test_oauth2_refresh_grant (fixture, "no-such-token");

    tg_test_assert_json_error (unknown, 400, "invalid_grant");
  }

  /* One revocation of a real token; an unknown one revokes nothing. */
  {
    g_autofree char *body = soup_form_encode ("token", oauth2_refresh, NULL);
    g_autoptr(TgTestReply) revoked = tg_test_request (fixture, "POST", "/oauth2/revoke", FORM, body, NULL);
    g_autoptr(TgTestReply) unknown = tg_test_request (fixture, "POST", "/oauth2/revoke", FORM,
                                                      "token=no-such-token", NULL);

    g_assert_cmpuint (revoked->status, ==, 200);
    g_assert_cmpuint (unknown->status, ==, 200);
  }

  /* One injected fault; the refresh it hit is neither ok nor rejected, the
   * retry is ok. */
  faulted_access = oauth2_sign_in (fixture, &faulted_refresh);
  put_settings_ok (fixture, "{\"refreshFault\":{\"kind\":\"status\",\"status\":503,\"count\":1}}");
  {
    g_autoptr(TgTestReply) faulted = tg_test_oauth2_refresh_grant (fixture, faulted_refresh);
    g_autoptr(TgTestReply) retried = tg_test_oauth2_refresh_grant (fixture, faulted_refresh);

    g_assert_cmpuint (faulted->status, ==, 503);
    g_assert_cmpuint (retried->status, ==, 200);
  }

  /* Resources: 200 twice, 401 twice (no token; a revoked session), 400 once. */
  g_assert_cmpuint (tg_test_get_resource (fixture, faulted_access), ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, faulted_access), ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, seed_next_access), ==, 401);
  {
    g_autoptr(TgTestReply) anonymous = tg_test_request (fixture, "GET", "/api/resources", NULL, NULL, NULL);
    g_autoptr(TgTestReply) malformed = tg_test_request (fixture, "GET", "/api/resources", NULL, NULL,
                                                        "Bearer a b");

    g_assert_cmpuint (anonymous->status, ==, 401);
    g_assert_cmpuint (malformed->status, ==, 400);
  }

  /* The demo controls count one revocation for revoking everything, and are
   * no resources themselves. */
  post_demo (fixture, "/demo/revoke-refresh-tokens");
  post_demo (fixture, "/demo/expire-access-tokens");

  stats = get_json (fixture, "/demo/stats");
  g_assert_cmpint (count (stats, "signIns"), ==, 3);
  g_assert_cmpint (count (stats, "signInsRejected"), ==, 2);
  g_assert_cmpint (refresh_count (stats, "ok"), ==, 2);
  g_assert_cmpint (refresh_count (stats, "rejected"), ==, 3);
  g_assert_cmpint (count (stats, "reuseDetections"), ==, 1);
  g_assert_cmpint (count (stats, "revocations"), ==, 2);
  g_assert_cmpint (count (stats, "faultsInjected"), ==, 1);
  g_assert_cmpint (count (stats, "lostAnswers"), ==, 0);
  g_assert_cmpint (resource_count (stats, "200"), ==, 2);
  g_assert_cmpint (resource_count (stats, "401"), ==, 2);
  g_assert_cmpint (resource_count (stats, "400"), ==, 1);
  g_assert_cmpuint (n_resource_statuses (stats), ==, 3);
}

/* "Counters since start": a stopped and started server starts from zero, all
 * of its counters alike. */
static void
test_stats_restart (void)
{
  static const char * const counters[] = {
    "signIns", "signInsRejected", "reuseDetections", "revocations", "faultsInjected",
    "lostAnswers", NULL
  };
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autoptr(JsonObject) before = NULL;
  g_autoptr(JsonObject) after = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *next_access = NULL;
  g_autofree char *replayed = NULL;
  g_autofree char *revoke_body = NULL;
  g_autofree char *other_refresh = NULL;
  g_autofree char *other_access = tg_test_seed_sign_in (fixture, "demo", "demo", &other_refresh);
  g_autoptr(TgTestReply) rejected = tg_test_oauth2_password_grant (fixture, "demo", "nope");
  g_autoptr(TgTestReply) revoked = NULL;
  g_autoptr(TgTestReply) faulted = NULL;
  guint status = 0;

  /* Make every counter move. */
  tg_test_assert_json_error (rejected, 400, "invalid_grant");
  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
  next_access = tg_test_seed_refresh (fixture, refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  replayed = tg_test_seed_refresh (fixture, refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 401);
  revoke_body = soup_form_encode ("token", other_refresh, NULL);
  revoked = tg_test_request (fixture, "POST", "/oauth2/revoke", FORM, revoke_body, NULL);
  g_assert_cmpuint (revoked->status, ==, 200);
  put_settings_ok (fixture, "{\"refreshFault\":{\"kind\":\"status\"}}");
  faulted = seed_refresh_reply (fixture, "no-such-token");
  g_assert_cmpuint (faulted->status, ==, 503);
  put_settings_ok (fixture, "{\"refreshFault\":{\"kind\":\"lost-answer\"}}");
  {
    g_autoptr(GError) lost = send_expecting_drop (fixture, "/authorization/refresh", JSON,
                                                  "{\"refreshToken\":\"no-such-token\"}");
  }

  before = get_json (fixture, "/demo/stats");
  for (gsize i = 0; counters[i] != NULL; i++)
    g_assert_cmpint (count (before, counters[i]), >, 0);
  g_assert_cmpint (refresh_count (before, "ok"), >, 0);
  g_assert_cmpint (refresh_count (before, "rejected"), >, 0);
  g_assert_cmpuint (n_resource_statuses (before), >, 0);

  tg_test_server_restart (fixture);

  after = get_json (fixture, "/demo/stats");
  for (gsize i = 0; counters[i] != NULL; i++)
    {
      g_test_message ("%s after the restart", counters[i]);
      g_assert_cmpint (count (after, counters[i]), ==, 0);
    }
  g_assert_cmpint (refresh_count (after, "ok"), ==, 0);
  g_assert_cmpint (refresh_count (after, "rejected"), ==, 0);
  g_assert_cmpuint (n_resource_statuses (after), ==, 0);
}

/* ------------------------------------------------------------------------- */
/* Killing tokens                                                            */

static void
test_expire_access_tokens (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *seed_refresh = NULL;
  g_autofree char *seed_access = tg_test_seed_sign_in (fixture, "demo", "demo", &seed_refresh);
  g_autofree char *oauth2_access = oauth2_sign_in (fixture, NULL);
  g_autofree char *new_access = NULL;
  g_autofree char *refreshed_access = NULL;
  g_autoptr(TgTestReply) reply = NULL;
  guint status = 0;

  g_assert_cmpuint (tg_test_get_resource (fixture, seed_access), ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, oauth2_access), ==, 200);

  reply = tg_test_request (fixture, "POST", "/demo/expire-access-tokens", NULL, NULL, NULL);
  g_assert_cmpuint (reply->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (reply->headers, NULL), ==, JSON);

  assert_rejected_token (fixture, seed_access, EXPIRED_BY_SERVER);
  assert_rejected_token (fixture, oauth2_access, EXPIRED_BY_SERVER);

  new_access = oauth2_sign_in (fixture, NULL);
  g_assert_cmpuint (tg_test_get_resource (fixture, new_access), ==, 200);

  /* Only access tokens died: the session refreshes into a working token, which
   * is what the demo wants a client to do. */
  refreshed_access = tg_test_seed_refresh (fixture, seed_refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, refreshed_access), ==, 200);
}

static void
test_expire_access_tokens_restart (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *old_access = tg_test_seed_sign_in (fixture, "demo", "demo", NULL);
  g_autofree char *new_access = NULL;
  g_autofree char *newest_access = NULL;

  post_demo (fixture, "/demo/expire-access-tokens");
  new_access = tg_test_seed_sign_in (fixture, "demo", "demo", NULL);

  tg_test_server_restart (fixture);

  /* The epoch is stored: a restart brings no expired token back… */
  assert_rejected_token (fixture, old_access, EXPIRED_BY_SERVER);
  /* …and does not expire the ones issued since. */
  g_assert_cmpuint (tg_test_get_resource (fixture, new_access), ==, 200);

  /* Expiring again after the restart moves on from the stored epoch. */
  post_demo (fixture, "/demo/expire-access-tokens");
  assert_rejected_token (fixture, new_access, EXPIRED_BY_SERVER);
  assert_rejected_token (fixture, old_access, EXPIRED_BY_SERVER);
  newest_access = tg_test_seed_sign_in (fixture, "demo", "demo", NULL);
  g_assert_cmpuint (tg_test_get_resource (fixture, newest_access), ==, 200);
}

static void
test_revoke_refresh_tokens (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *seed_refresh = NULL;
  g_autofree char *seed_access = tg_test_seed_sign_in (fixture, "demo", "demo", &seed_refresh);
  g_autofree char *oauth2_refresh = NULL;
  g_autofree char *oauth2_access = oauth2_sign_in (fixture, &oauth2_refresh);
  g_autofree char *fresh_refresh = NULL;
  g_autofree char *fresh_access = NULL;
  g_autofree char *fresh_next = NULL;
  g_autofree char *fresh_next_refresh = NULL;
  g_autoptr(TgTestReply) seed_reply = NULL;
  g_autoptr(TgTestReply) oauth2_reply = NULL;
  guint status = 0;

  post_demo (fixture, "/demo/revoke-refresh-tokens");

  seed_reply = seed_refresh_reply (fixture, seed_refresh);
  tg_test_assert_json_error (seed_reply, 401, "invalid_grant");
  oauth2_reply = tg_test_oauth2_refresh_grant (fixture, oauth2_refresh);
  tg_test_assert_json_error (oauth2_reply, 400, "invalid_grant");

  assert_rejected_token (fixture, seed_access, SESSION_REVOKED);
  assert_rejected_token (fixture, oauth2_access, SESSION_REVOKED);

  /* Sessions started afterwards are not affected. */
  fresh_access = oauth2_sign_in (fixture, &fresh_refresh);
  g_assert_cmpuint (tg_test_get_resource (fixture, fresh_access), ==, 200);
  fresh_next = tg_test_seed_refresh (fixture, fresh_refresh, &status, &fresh_next_refresh);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, fresh_next), ==, 200);

  /* And a restart changes neither. */
  tg_test_server_restart (fixture);
  assert_rejected_token (fixture, seed_access, SESSION_REVOKED);
  g_clear_pointer (&seed_reply, tg_test_reply_free);
  seed_reply = seed_refresh_reply (fixture, seed_refresh);
  tg_test_assert_json_error (seed_reply, 401, "invalid_grant");
  g_assert_cmpuint (tg_test_get_resource (fixture, fresh_next), ==, 200);
  g_clear_pointer (&fresh_next, g_free);
  fresh_next = tg_test_seed_refresh (fixture, fresh_next_refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
}

/* The server remembers the claims of access tokens it has verified (see
 * TgJwtVerifier): a token in use right up to a revocation or a new epoch is
 * refused on the very next request all the same. */
static void
test_seen_at_once (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *seed_access = tg_test_seed_sign_in (fixture, "demo", "demo", NULL);
  g_autofree char *oauth2_refresh = NULL;
  g_autofree char *oauth2_access = oauth2_sign_in (fixture, &oauth2_refresh);
  g_autofree char *fresh_access = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpuint (tg_test_get_resource (fixture, seed_access), ==, 200);
      g_assert_cmpuint (tg_test_get_resource (fixture, oauth2_access), ==, 200);
    }
  post_demo (fixture, "/demo/revoke-refresh-tokens");
  assert_rejected_token (fixture, seed_access, SESSION_REVOKED);
  assert_rejected_token (fixture, oauth2_access, SESSION_REVOKED);

  fresh_access = tg_test_seed_sign_in (fixture, "demo", "demo", NULL);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (tg_test_get_resource (fixture, fresh_access), ==, 200);
  post_demo (fixture, "/demo/expire-access-tokens");
  assert_rejected_token (fixture, fresh_access, EXPIRED_BY_SERVER);
}

static void
test_methods (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *next_access = NULL;
  struct {
    const char *method;
    const char *path;
    const char *allow;
  } cases[] = {
    { "GET", "/demo/expire-access-tokens", "POST" },
    { "PUT", "/demo/expire-access-tokens", "POST" },
    { "GET", "/demo/revoke-refresh-tokens", "POST" },
    { "DELETE", "/demo/revoke-refresh-tokens", "POST" },
    { "POST", "/demo/stats", "GET, HEAD" },
    { "DELETE", "/demo/stats", "GET, HEAD" },
  };
  guint status = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TgTestReply) reply = NULL;

      g_test_message ("%s %s", cases[i].method, cases[i].path);
      reply = tg_test_request (fixture, cases[i].method, cases[i].path, NULL, NULL, NULL);
      tg_test_assert_json_error (reply, 405, "invalid_request");
      g_assert_cmpstr (soup_message_headers_get_one (reply->headers, "Allow"), ==, cases[i].allow);
    }

  /* A refused method did not do what the endpoint does. */
  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
  next_access = tg_test_seed_refresh (fixture, refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
}

/* ------------------------------------------------------------------------- */
/* Settings                                                                  */

static void
assert_settings (JsonObject *settings,
                 gint64      access_ttl,
                 gint64      reuse_grace,
                 gint64      latency_ms,
                 gint64      jitter_ms)
{
  g_assert_cmpint (json_object_get_int_member (settings, "accessTtl"), ==, access_ttl);
  g_assert_cmpint (json_object_get_int_member (settings, "reuseGrace"), ==, reuse_grace);
  g_assert_cmpint (json_object_get_int_member (settings, "latencyMs"), ==, latency_ms);
  g_assert_cmpint (json_object_get_int_member (settings, "jitterMs"), ==, jitter_ms);
  g_assert_true (json_object_has_member (settings, "refreshFault"));
  g_assert_true (json_object_has_member (settings, "refreshLatencyMs"));
  g_assert_true (json_object_has_member (settings, "holdRefreshes"));
  g_assert_cmpuint (json_object_get_size (settings), ==, 7);
}

static void
test_settings_defaults (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autoptr(TgTestServer) configured = tg_test_server_new ("access-ttl", (gint64) 90,
                                                           "reuse-grace", (gint64) 7,
                                                           "latency-ms", 3,
                                                           "jitter-ms", 4,
                                                           NULL);
  g_autoptr(JsonObject) settings = get_json (fixture, "/demo/settings");
  g_autoptr(JsonObject) configured_settings = get_json (configured, "/demo/settings");

  assert_settings (settings, 60, 0, 0, 0);
  g_assert_true (json_object_get_null_member (settings, "refreshFault"));
  g_assert_false (json_object_get_boolean_member (settings, "holdRefreshes"));

  /* The answer is the running server's configuration, not a fixed default. */
  assert_settings (configured_settings, 90, 7, 3, 4);
}

static void
test_settings_round_trip (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autoptr(TgTestReply) reply = NULL;
  g_autoptr(TgTestReply) empty = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonObject) settings = NULL;
  g_autoptr(JsonObject) partial = NULL;
  g_autoptr(JsonObject) unchanged = NULL;
  g_autoptr(TgTestReply) after = NULL;

  reply = put_settings (fixture, "{\"accessTtl\":120,\"reuseGrace\":5,\"latencyMs\":7,\"jitterMs\":3}");
  g_assert_cmpuint (reply->status, ==, 200);
  answer = tg_test_reply_json (reply);
  assert_settings (answer, 120, 5, 7, 3);

  settings = get_json (fixture, "/demo/settings");
  assert_settings (settings, 120, 5, 7, 3);

  /* Members left out keep their values. */
  put_settings_ok (fixture, "{\"latencyMs\":0}");
  partial = get_json (fixture, "/demo/settings");
  assert_settings (partial, 120, 5, 0, 3);

  /* An empty object changes nothing, and says so. */
  empty = put_settings (fixture, "{}");
  g_assert_cmpuint (empty->status, ==, 200);
  after = tg_test_request (fixture, "GET", "/demo/settings", NULL, NULL, NULL);
  g_assert_cmpstr (after->text, ==, empty->text);
  unchanged = tg_test_reply_json (after);
  assert_settings (unchanged, 120, 5, 0, 3);
}

static JsonObject *
get_fault (TgTestServer *fixture)
{
  g_autoptr(JsonObject) settings = get_json (fixture, "/demo/settings");
  JsonNode *fault = json_object_get_member (settings, "refreshFault");

  g_assert_nonnull (fault);
  if (JSON_NODE_HOLDS_NULL (fault))
    return NULL;
  g_assert_true (JSON_NODE_HOLDS_OBJECT (fault));
  return json_object_ref (json_node_get_object (fault));
}

static void
test_settings_fault_round_trip (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autoptr(JsonObject) defaults = NULL;
  g_autoptr(JsonObject) hang = NULL;
  g_autoptr(JsonObject) drop = NULL;
  g_autoptr(JsonObject) lost = NULL;
  g_autoptr(JsonObject) kept = NULL;
  g_autoptr(JsonObject) cleared = NULL;

  /* A status fault without details: 503, once. */
  put_settings_ok (fixture, "{\"refreshFault\":{\"kind\":\"status\"}}");
  defaults = get_fault (fixture);
  g_assert_nonnull (defaults);
  g_assert_cmpstr (json_object_get_string_member (defaults, "kind"), ==, "status");
  g_assert_cmpint (json_object_get_int_member (defaults, "status"), ==, 503);
  g_assert_cmpint (json_object_get_int_member (defaults, "count"), ==, 1);
  g_assert_cmpuint (json_object_get_size (defaults), ==, 3);

  put_settings_ok (fixture, "{\"refreshFault\":{\"kind\":\"hang\",\"hangMs\":300,\"count\":2}}");
  hang = get_fault (fixture);
  g_assert_nonnull (hang);
  g_assert_cmpstr (json_object_get_string_member (hang, "kind"), ==, "hang");
  g_assert_cmpint (json_object_get_int_member (hang, "hangMs"), ==, 300);
  g_assert_cmpint (json_object_get_int_member (hang, "count"), ==, 2);
  g_assert_cmpuint (json_object_get_size (hang), ==, 3);

  put_settings_ok (fixture, "{\"refreshFault\":{\"kind\":\"drop\",\"count\":3}}");
  drop = get_fault (fixture);
  g_assert_nonnull (drop);
  g_assert_cmpstr (json_object_get_string_member (drop, "kind"), ==, "drop");
  g_assert_cmpint (json_object_get_int_member (drop, "count"), ==, 3);
  g_assert_cmpuint (json_object_get_size (drop), ==, 2);

  put_settings_ok (fixture, "{\"refreshFault\":{\"kind\":\"lost-answer\",\"count\":4}}");
  lost = get_fault (fixture);
  g_assert_nonnull (lost);
  g_assert_cmpstr (json_object_get_string_member (lost, "kind"), ==, "lost-answer");
  g_assert_cmpint (json_object_get_int_member (lost, "count"), ==, 4);
  g_assert_cmpuint (json_object_get_size (lost), ==, 2);

  put_settings_ok (fixture, "{\"refreshFault\":{\"kind\":\"drop\",\"count\":3}}");

  /* A PUT that does not mention the fault leaves it armed. */
  put_settings_ok (fixture, "{\"jitterMs\":0}");
  kept = get_fault (fixture);
  g_assert_nonnull (kept);
  g_assert_cmpstr (json_object_get_string_member (kept, "kind"), ==, "drop");

  /* count 0 is no fault at all. */
  put_settings_ok (fixture, "{\"refreshFault\":{\"kind\":\"status\",\"count\":0}}");
  cleared = get_fault (fixture);
  g_assert_null (cleared);
}

static void
test_settings_access_ttl (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autoptr(TgTestReply) oauth2 = NULL;
  g_autoptr(TgTestReply) seed = NULL;
  g_autoptr(TgTestReply) refreshed = NULL;
  g_autoptr(JsonObject) oauth2_answer = NULL;
  g_autoptr(JsonObject) seed_answer = NULL;
  g_autoptr(JsonObject) refreshed_answer = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *before = oauth2_sign_in (fixture, &refresh);
  g_autoptr(JsonObject) before_claims = jwt_payload (before);

  g_assert_cmpint (json_object_get_int_member (before_claims, "exp") -
                   json_object_get_int_member (before_claims, "iat"), ==, 60);

  put_settings_ok (fixture, "{\"accessTtl\":120}");

  oauth2 = tg_test_oauth2_password_grant (fixture, "demo", "demo");
  g_assert_cmpuint (oauth2->status, ==, 200);
  oauth2_answer = tg_test_reply_json (oauth2);
  g_assert_cmpint (json_object_get_int_member (oauth2_answer, "expires_in"), ==, 120);

  /* The token itself says so, not just the answer around it. */
  claims = jwt_payload (json_object_get_string_member (oauth2_answer, "access_token"));
  g_assert_cmpint (json_object_get_int_member (claims, "exp") -
                   json_object_get_int_member (claims, "iat"), ==, 120);

  seed = tg_test_request (fixture, "POST", "/authorization/token", JSON,
                          "{\"userName\":\"demo\",\"password\":\"demo\"}", NULL);
  g_assert_cmpuint (seed->status, ==, 200);
  seed_answer = tg_test_reply_json (seed);
  g_assert_cmpint (json_object_get_int_member (seed_answer, "expiresIn"), ==, 120);

  refreshed = tg_test_oauth2_refresh_grant (fixture, refresh);
  g_assert_cmpuint (refreshed->status, ==, 200);
  refreshed_answer = tg_test_reply_json (refreshed);
  g_assert_cmpint (json_object_get_int_member (refreshed_answer, "expires_in"), ==, 120);

  /* Tokens issued before keep the lifetime they were issued with. */
  g_assert_cmpuint (tg_test_get_resource (fixture, before), ==, 200);
}

static void
test_settings_reuse_grace (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *first_refresh = NULL;
  g_autofree char *again_refresh = NULL;
  g_autofree char *first_access = NULL;
  g_autofree char *again_access = NULL;
  guint status = 0;

  put_settings_ok (fixture, "{\"reuseGrace\":30}");

  first_access = tg_test_seed_refresh (fixture, refresh, &status, &first_refresh);
  g_assert_cmpuint (status, ==, 200);
  /* Without the grace this would be a reuse, and revoke the session. */
  again_access = tg_test_seed_refresh (fixture, refresh, &status, &again_refresh);
  g_assert_cmpuint (status, ==, 200);
  assert_tokens_equal (again_refresh, first_refresh);
  assert_tokens_equal (again_access, first_access);
  g_assert_cmpuint (tg_test_get_resource (fixture, first_access), ==, 200);
}

static const TgTestBadRequest bad_settings[] = {
  { "unknown member", "PUT", JSON, "{\"bogus\":1}", 400, "invalid_request" },
  { "unknown member next to a good one", "PUT", JSON, "{\"accessTtl\":30,\"bogus\":1}", 400, "invalid_request" },
  { "member in the wrong case", "PUT", JSON, "{\"AccessTtl\":30}", 400, "invalid_request" },
  { "string instead of number", "PUT", JSON, "{\"accessTtl\":\"30\"}", 400, "invalid_request" },
  { "float", "PUT", JSON, "{\"accessTtl\":1.5}", 400, "invalid_request" },
  { "integral float", "PUT", JSON, "{\"latencyMs\":300.0}", 400, "invalid_request" },
  { "exponent", "PUT", JSON, "{\"latencyMs\":1e2}", 400, "invalid_request" },
  { "boolean", "PUT", JSON, "{\"jitterMs\":true}", 400, "invalid_request" },
  { "number for a boolean", "PUT", JSON, "{\"holdRefreshes\":1}", 400, "invalid_request" },
  { "string for a boolean", "PUT", JSON, "{\"holdRefreshes\":\"true\"}", 400, "invalid_request" },
  { "null for a boolean", "PUT", JSON, "{\"holdRefreshes\":null}", 400, "invalid_request" },
  { "null", "PUT", JSON, "{\"accessTtl\":null}", 400, "invalid_request" },
  { "array", "PUT", JSON, "{\"accessTtl\":[30]}", 400, "invalid_request" },
  { "object", "PUT", JSON, "{\"accessTtl\":{}}", 400, "invalid_request" },
  { "negative latency", "PUT", JSON, "{\"latencyMs\":-1}", 400, "invalid_request" },
  { "negative jitter", "PUT", JSON, "{\"jitterMs\":-5}", 400, "invalid_request" },
  { "negative grace", "PUT", JSON, "{\"reuseGrace\":-1}", 400, "invalid_request" },
  { "zero access TTL", "PUT", JSON, "{\"accessTtl\":0}", 400, "invalid_request" },
  { "access TTL too large", "PUT", JSON, "{\"accessTtl\":86401}", 400, "invalid_request" },
  { "access TTL past 32 bits", "PUT", JSON, "{\"accessTtl\":4294967356}", 400, "invalid_request" },
  { "access TTL past 64 bits", "PUT", JSON, "{\"accessTtl\":99999999999999999999}", 400, "invalid_request" },
  { "grace too large", "PUT", JSON, "{\"reuseGrace\":3601}", 400, "invalid_request" },
  { "latency too large", "PUT", JSON, "{\"latencyMs\":60001}", 400, "invalid_request" },
  { "latency past 32 bits", "PUT", JSON, "{\"latencyMs\":4294967296}", 400, "invalid_request" },
  { "jitter too large", "PUT", JSON, "{\"jitterMs\":60001}", 400, "invalid_request" },
  { "fault: unknown kind", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"explode\"}}", 400, "invalid_request" },
  { "fault: kind in the wrong case", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"STATUS\"}}", 400, "invalid_request" },
  { "fault: kind a number", "PUT", JSON, "{\"refreshFault\":{\"kind\":1}}", 400, "invalid_request" },
  { "fault: no kind", "PUT", JSON, "{\"refreshFault\":{\"status\":503}}", 400, "invalid_request" },
  { "fault: unknown member", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"status\",\"colour\":\"red\"}}", 400, "invalid_request" },
  { "fault: status 200", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"status\",\"status\":200}}", 400, "invalid_request" },
  { "fault: status 399", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"status\",\"status\":399}}", 400, "invalid_request" },
  { "fault: status 600", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"status\",\"status\":600}}", 400, "invalid_request" },
  { "fault: status a string", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"status\",\"status\":\"503\"}}", 400, "invalid_request" },
  { "fault: negative hang", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"hang\",\"hangMs\":-1}}", 400, "invalid_request" },
  { "fault: hang too long", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"hang\",\"hangMs\":60001}}", 400, "invalid_request" },
  { "fault: negative count", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"drop\",\"count\":-1}}", 400, "invalid_request" },
  { "fault: count too large", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"drop\",\"count\":1000001}}", 400, "invalid_request" },
  { "fault: count a float", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"drop\",\"count\":1.5}}", 400, "invalid_request" },
  { "fault: a string", "PUT", JSON, "{\"refreshFault\":\"drop\"}", 400, "invalid_request" },
  { "fault: an array", "PUT", JSON, "{\"refreshFault\":[]}", 400, "invalid_request" },
  { "fault: false", "PUT", JSON, "{\"refreshFault\":false}", 400, "invalid_request" },
  { "fault: lost_answer", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"lost_answer\"}}", 400, "invalid_request" },
  { "fault: Lost-Answer", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"Lost-Answer\"}}", 400, "invalid_request" },
  { "fault: lost-answer and a space", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"lost-answer \"}}", 400, "invalid_request" },
  { "fault: lost-answer and a NUL", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"lost-answer\\u0000drop\"}}", 400, "invalid_request" },
  { "fault: lost", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"lost\"}}", 400, "invalid_request" },
  { "fault: empty kind", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"\"}}", 400, "invalid_request" },
  { "fault: kind null", "PUT", JSON, "{\"refreshFault\":{\"kind\":null}}", 400, "invalid_request" },
  { "fault: kind an array", "PUT", JSON, "{\"refreshFault\":{\"kind\":[\"lost-answer\"]}}", 400, "invalid_request" },
  { "fault: kind an object", "PUT", JSON, "{\"refreshFault\":{\"kind\":{\"lost-answer\":1}}}", 400, "invalid_request" },
  { "fault: kind true", "PUT", JSON, "{\"refreshFault\":{\"kind\":true}}", 400, "invalid_request" },
  { "fault: lost-answer, count a string", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"lost-answer\",\"count\":\"1\"}}", 400, "invalid_request" },
  { "fault: lost-answer, count a boolean", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"lost-answer\",\"count\":true}}", 400, "invalid_request" },
  { "fault: lost-answer, count null", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"lost-answer\",\"count\":null}}", 400, "invalid_request" },
  { "fault: lost-answer, count 1.0", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"lost-answer\",\"count\":1.0}}", 400, "invalid_request" },
  { "fault: lost-answer, negative count", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"lost-answer\",\"count\":-1}}", 400, "invalid_request" },
  { "fault: lost-answer, count past 64 bits", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"lost-answer\",\"count\":18446744073709551617}}", 400, "invalid_request" },
  { "fault: lost-answer, unknown member", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"lost-answer\",\"reuseGrace\":10}}", 400, "invalid_request" },
  { "fault: lost-answer, kind twice", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"lost-answer\",\"kind\":\"nope\"}}", 400, "invalid_request" },
  { "fault: lost-answer as a string", "PUT", JSON, "{\"refreshFault\":\"lost-answer\"}", 400, "invalid_request" },
  { "lost-answer, bad grace", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"lost-answer\"},\"reuseGrace\":\"10\"}", 400, "invalid_request" },
  { "good fault, bad latency", "PUT", JSON, "{\"refreshFault\":{\"kind\":\"drop\"},\"latencyMs\":-1}", 400, "invalid_request" },
  { "good TTL, bad fault", "PUT", JSON, "{\"accessTtl\":30,\"refreshFault\":{\"kind\":\"nope\"}}", 400, "invalid_request" },
  { "not JSON", "PUT", JSON, "accessTtl=30", 400, "invalid_request" },
  { "malformed JSON", "PUT", JSON, "{\"accessTtl\":", 400, "invalid_request" },
  { "trailing garbage", "PUT", JSON, "{\"accessTtl\":30} x", 400, "invalid_request" },
  { "array body", "PUT", JSON, "[{\"accessTtl\":30}]", 400, "invalid_request" },
  { "null body", "PUT", JSON, "null", 400, "invalid_request" },
  { "empty body", "PUT", JSON, "", 400, "invalid_request" },
  { "invalid UTF-8", "PUT", JSON, "{\"\xff\xfe\":30}", 400, "invalid_request" },
  { "text/plain", "PUT", "text/plain", "{\"accessTtl\":30}", 415, "invalid_request" },
  { "form", "PUT", FORM, "accessTtl=30", 415, "invalid_request" },
  { "no body", "PUT", NULL, NULL, 415, "invalid_request" },
  { "POST", "POST", JSON, "{\"accessTtl\":30}", 405, "invalid_request" },
  { "PATCH", "PATCH", JSON, "{\"accessTtl\":30}", 405, "invalid_request" },
  { "DELETE", "DELETE", NULL, NULL, 405, "invalid_request" },
};

static void
test_settings_bad_input (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autoptr(TgTestReply) before = NULL;
  g_autoptr(TgTestReply) oversized = NULL;
  g_autoptr(TgTestReply) oversized_chunked = NULL;
  g_autoptr(TgTestReply) nested = NULL;
  g_autoptr(TgTestReply) after = NULL;
  g_autoptr(JsonObject) settings = NULL;
  g_autofree char *padding = g_strnfill (65 * 1024, 'a');
  g_autofree char *oversized_body = g_strdup_printf ("{\"accessTtl\":30,\"x\":\"%s\"}", padding);
  g_autoptr(GString) nested_body = g_string_new ("{\"refreshFault\":");

  /* Away from the defaults, fault armed, so that "nothing changed" would see a
   * reset as much as a change. */
  put_settings_ok (fixture, "{\"accessTtl\":120,\"reuseGrace\":5,\"latencyMs\":0,\"jitterMs\":0,"
                            "\"refreshFault\":{\"kind\":\"status\",\"status\":502,\"count\":4}}");
  before = tg_test_request (fixture, "GET", "/demo/settings", NULL, NULL, NULL);
  g_assert_cmpuint (before->status, ==, 200);

  for (gsize i = 0; i < G_N_ELEMENTS (bad_settings); i++)
    {
      g_autoptr(TgTestReply) reply = tg_test_request_bad (fixture, "/demo/settings", &bad_settings[i]);
      g_autoptr(TgTestReply) now = NULL;

      if (reply->status == 405)
        g_assert_cmpstr (soup_message_headers_get_one (reply->headers, "Allow"), ==, "GET, HEAD, PUT");

      now = tg_test_request (fixture, "GET", "/demo/settings", NULL, NULL, NULL);
      g_assert_cmpstr (now->text, ==, before->text);
    }

  /* Too large, as a Content-Length and as a chunked body the route counts. */
  oversized = put_settings (fixture, oversized_body);
  tg_test_assert_json_error (oversized, 413, "invalid_request");
  oversized_chunked = tg_test_request_chunked (fixture, "PUT", "/demo/settings", JSON,
                                               oversized_body, strlen (oversized_body));
  tg_test_assert_json_error (oversized_chunked, 413, "invalid_request");

  for (int i = 0; i < 1000; i++)
    g_string_append (nested_body, "{\"kind\":");
  nested = put_settings (fixture, nested_body->str);
  tg_test_assert_json_error (nested, 400, "invalid_request");

  after = tg_test_request (fixture, "GET", "/demo/settings", NULL, NULL, NULL);
  g_assert_cmpstr (after->text, ==, before->text);
  settings = tg_test_reply_json (after);
  assert_settings (settings, 120, 5, 0, 0);
}

/* ------------------------------------------------------------------------- */
/* Latency and jitter                                                        */

static gint64
timed_get_resource (TgTestServer *fixture,
                    const char   *authorization,
                    guint        *out_status)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(TgTestReply) reply = tg_test_request (fixture, "GET", "/api/resources", NULL, NULL,
                                                  authorization);

  *out_status = reply->status;
  return elapsed_ms (start);
}

static void
test_latency (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", NULL);
  g_autofree char *authorization = g_strconcat ("Bearer ", access, NULL);
  guint status = 0;
  gint64 ms;

  put_settings_ok (fixture, "{\"latencyMs\":300}");

  ms = timed_get_resource (fixture, authorization, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (ms, >=, 300);

  /* Refusals are as slow as answers: the client sees its 401 late too. */
  ms = timed_get_resource (fixture, NULL, &status);
  g_assert_cmpuint (status, ==, 401);
  g_assert_cmpint (ms, >=, 300);
}

static void
test_refresh_latency (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *next_refresh = NULL;
  g_autofree char *next_access = NULL;
  guint status = 0;
  gint64 start;

  put_settings_ok (fixture, "{\"refreshLatencyMs\":300}");

  /* A slow token endpoint, not a failing one: the answer is late but good. */
  start = g_get_monotonic_time ();
  next_access = tg_test_seed_refresh (fixture, refresh, &status, &next_refresh);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, >=, 300);
  g_assert_cmpuint (tg_test_get_resource (fixture, next_access), ==, 200);
}

static void
test_jitter (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", NULL);
  g_autofree char *authorization = g_strconcat ("Bearer ", access, NULL);
  g_autoptr(GHashTable) buckets = g_hash_table_new (NULL, NULL);
  gint64 slowest = 0;
  guint status = 0;

  put_settings_ok (fixture, "{\"latencyMs\":0,\"jitterMs\":200}");

  /* Delays are uniform in [0, 200] ms. With no jitter at all every request
   * would land in the first 25 ms bucket; with it, all 20 landing in one
   * bucket, or none reaching 50 ms, has a chance of about 1e-12. Noise only
   * ever adds time, so neither check can be fooled into failing by a slow
   * machine. */
  for (guint i = 0; i < 20; i++)
    {
      gint64 ms = timed_get_resource (fixture, authorization, &status);

      g_assert_cmpuint (status, ==, 200);
      g_hash_table_add (buckets, GINT_TO_POINTER ((int) (ms / 25)));
      slowest = MAX (slowest, ms);
    }
  g_assert_cmpuint (g_hash_table_size (buckets), >=, 2);
  g_assert_cmpint (slowest, >=, 50);

  /* Jitter comes on top of the latency, never off it. */
  put_settings_ok (fixture, "{\"latencyMs\":100,\"jitterMs\":100}");
  for (guint i = 0; i < 5; i++)
    {
      gint64 ms = timed_get_resource (fixture, authorization, &status);

      g_assert_cmpuint (status, ==, 200);
      g_assert_cmpint (ms, >=, 100);
    }
}

/* ------------------------------------------------------------------------- */
/* Refresh faults                                                            */

static void
assert_fault_answer (TgTestReply *reply,
                     guint        status)
{
  g_autoptr(JsonObject) object = NULL;

  tg_test_assert_json_error (reply, status, "temporarily_unavailable");
  object = tg_test_reply_json (reply);
  g_assert_true (json_object_has_member (object, "error_description"));
}

static void
assert_fault_disarmed (TgTestServer *fixture)
{
  g_autoptr(JsonObject) fault = get_fault (fixture);

  g_assert_null (fault);
}

static gint64
faults_injected (TgTestServer *fixture)
{
  g_autoptr(JsonObject) stats = get_json (fixture, "/demo/stats");

  return count (stats, "faultsInjected");
}

static void
test_fault_status (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *other_access = NULL;
  g_autofree char *next_access = NULL;
  g_autoptr(TgTestReply) faulted = NULL;
  g_autoptr(JsonObject) armed = NULL;
  g_autoptr(JsonObject) stats = NULL;
  guint status = 0;

  put_settings_ok (fixture, "{\"refreshFault\":{\"kind\":\"status\",\"status\":503,\"count\":1}}");

  /* Sign-ins are no refreshes: they neither fail nor use the fault up. */
  other_access = tg_test_seed_sign_in (fixture, "demo", "demo", NULL);
  armed = get_fault (fixture);
  g_assert_nonnull (armed);
  g_assert_cmpint (json_object_get_int_member (armed, "count"), ==, 1);

  faulted = seed_refresh_reply (fixture, refresh);
  assert_fault_answer (faulted, 503);
  assert_fault_disarmed (fixture);

  /* The fault did not consume the token: the same one refreshes now. */
  next_access = tg_test_seed_refresh (fixture, refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, next_access), ==, 200);

  stats = get_json (fixture, "/demo/stats");
  g_assert_cmpint (count (stats, "faultsInjected"), ==, 1);
  g_assert_cmpint (refresh_count (stats, "ok"), ==, 1);
  g_assert_cmpint (refresh_count (stats, "rejected"), ==, 0);
  g_assert_cmpint (count (stats, "reuseDetections"), ==, 0);
}

static void
test_fault_count (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *next_access = NULL;
  guint status = 0;

  put_settings_ok (fixture, "{\"refreshFault\":{\"kind\":\"status\",\"status\":500,\"count\":2}}");

  for (gint64 left = 1; left >= 0; left--)
    {
      g_autoptr(TgTestReply) faulted = seed_refresh_reply (fixture, refresh);
      g_autoptr(JsonObject) fault = get_fault (fixture);

      assert_fault_answer (faulted, 500);
      if (left > 0)
        {
          g_assert_nonnull (fault);
          g_assert_cmpint (json_object_get_int_member (fault, "count"), ==, left);
        }
      else
        g_assert_null (fault);
    }

  /* Exactly two: the third goes through. */
  next_access = tg_test_seed_refresh (fixture, refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (faults_injected (fixture), ==, 2);
}

static void
test_fault_hang (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *next_access = NULL;
  g_autoptr(TgTestReply) faulted = NULL;
  guint status = 0;
  gint64 start;

  put_settings_ok (fixture, "{\"refreshFault\":{\"kind\":\"hang\",\"hangMs\":300,\"count\":1}}");

  start = g_get_monotonic_time ();
  faulted = seed_refresh_reply (fixture, refresh);
  g_assert_cmpint (elapsed_ms (start), >=, 300);
  assert_fault_answer (faulted, 503);

  next_access = tg_test_seed_refresh (fixture, refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, next_access), ==, 200);
  g_assert_cmpint (faults_injected (fixture), ==, 1);
}

static void
test_fault_drop (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *body = g_strdup_printf ("{\"refreshToken\":\"%s\"}", refresh);
  g_autofree char *next_access = NULL;
  g_autoptr(GError) error = NULL;
  guint status = 0;

  put_settings_ok (fixture, "{\"refreshFault\":{\"kind\":\"drop\",\"count\":1}}");

  error = send_expecting_drop (fixture, "/authorization/refresh", JSON, body);
  g_test_message ("dropped: %s", error->message);

  next_access = tg_test_seed_refresh (fixture, refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, next_access), ==, 200);
  g_assert_cmpint (faults_injected (fixture), ==, 1);
}

static void
test_fault_clear (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *next_access = NULL;
  g_autoptr(TgTestReply) cleared = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonObject) armed = NULL;
  guint status = 0;

  put_settings_ok (fixture, "{\"refreshFault\":{\"kind\":\"status\",\"count\":5}}");
  armed = get_fault (fixture);
  g_assert_nonnull (armed);

  cleared = put_settings (fixture, "{\"refreshFault\":null}");
  g_assert_cmpuint (cleared->status, ==, 200);
  answer = tg_test_reply_json (cleared);
  g_assert_true (json_object_get_null_member (answer, "refreshFault"));
  assert_fault_disarmed (fixture);

  next_access = tg_test_seed_refresh (fixture, refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (faults_injected (fixture), ==, 0);
}

static void
test_fault_oauth2 (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = oauth2_sign_in (fixture, &refresh);
  g_autofree char *body = soup_form_encode ("grant_type", "refresh_token",
                                            "refresh_token", refresh,
                                            NULL);
  const char *faults[] = {
    "{\"refreshFault\":{\"kind\":\"status\",\"status\":503,\"count\":1}}",
    "{\"refreshFault\":{\"kind\":\"hang\",\"hangMs\":300,\"count\":1}}",
    "{\"refreshFault\":{\"kind\":\"drop\",\"count\":1}}",
  };
  g_autoptr(TgTestReply) refreshed = NULL;
  g_autoptr(JsonObject) object = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_test_message ("fault at /oauth2/token: %s", faults[i]);
      put_settings_ok (fixture, faults[i]);

      if (strstr (faults[i], "drop") != NULL)
        {
          g_autoptr(GError) error = send_expecting_drop (fixture, "/oauth2/token", FORM, body);
        }
      else
        {
          gint64 start = g_get_monotonic_time ();
          g_autoptr(TgTestReply) faulted = tg_test_oauth2_refresh_grant (fixture, refresh);

          if (strstr (faults[i], "hang") != NULL)
            g_assert_cmpint (elapsed_ms (start), >=, 300);
          assert_fault_answer (faulted, 503);
        }
      assert_fault_disarmed (fixture);
    }

  /* Three faults, and the token is still unused. */
  refreshed = tg_test_oauth2_refresh_grant (fixture, refresh);
  g_assert_cmpuint (refreshed->status, ==, 200);
  object = tg_test_reply_json (refreshed);
  g_assert_cmpuint (tg_test_get_resource (fixture, json_object_get_string_member (object, "access_token")), ==, 200);
  g_assert_cmpint (faults_injected (fixture), ==, 3);
}

/* ------------------------------------------------------------------------- */
/* Lost answers: the refresh is done, its answer never arrives               */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3, sqlite3_close)

/* What the database says about one refresh token. */
typedef struct {
  gint64  consumed_at;     /* 0: not used yet */
  char   *successor_hash;  /* nullable */
  char   *revoke_reason;   /* its family's; NULL while the family lives */
} TokenRow;

static void
token_row_clear (TokenRow *row)
{
  g_clear_pointer (&row->successor_hash, g_free);
  g_clear_pointer (&row->revoke_reason, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TokenRow, token_row_clear)

static char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* Straight from the server's database file, beside the server (WAL lets a
 * second connection read while it runs): the test does not take the server's
 * word for what it stored. @token is known to exist. */
static void
read_token_row (TgTestServer *fixture,
                const char   *token,
                TokenRow     *row)
{
  g_autofree char *hash = tg_crypto_sha256_hex (token, -1);
  g_autoptr(sqlite3) db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (fixture->database, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT t.consumed_at, t.successor_hash, f.revoke_reason "
                                       "FROM refresh_tokens t JOIN families f ON f.id = t.family_id "
                                       "WHERE t.hash = ?1", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  row->consumed_at = sqlite3_column_int64 (stmt, 0);
  row->successor_hash = column_text (stmt, 1);
  row->revoke_reason = column_text (stmt, 2);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
}

/* The refresh token a lost answer carried. Nobody saw it on the wire, so the
 * test derives it as the server does (derive_successor() in
 * tg-server-auth.c), and proves it right against the successor the database
 * recorded for @presented. */
static char *
lost_successor (TgTestServer *fixture,
                const char   *presented)
{
  g_auto(TokenRow) row = { 0 };
  g_autoptr(GHmac) hmac = NULL;
  g_autofree char *hash = NULL;
  guint8 digest[32];
  gsize len = sizeof digest;
  gsize key_len = 0;
  const guint8 *key = g_bytes_get_data (fixture->server->key, &key_len);
  char *successor;

  hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  g_hmac_update (hmac, (const guchar *) "tokengate refresh successor\n", -1);
  g_hmac_update (hmac, (const guchar *) presented, -1);
  g_hmac_get_digest (hmac, digest, &len);
  successor = tg_base64url_encode (digest, len);

  read_token_row (fixture, presented, &row);
  hash = tg_crypto_sha256_hex (successor, -1);
  /* Not g_assert_cmpstr(): a token's hash says too much to go in a log. */
  g_assert_nonnull (row.successor_hash);
  g_assert_true (g_str_equal (hash, row.successor_hash));
  return successor;
}

/* The rotation happened: @presented is used up, its successor stored, unused,
 * and the session lives. */
static void
assert_rotated (TgTestServer *fixture,
                const char   *presented)
{
  g_auto(TokenRow) row = { 0 };
  g_auto(TokenRow) next_row = { 0 };
  g_autofree char *successor = lost_successor (fixture, presented);

  read_token_row (fixture, presented, &row);
  g_assert_cmpint (row.consumed_at, >, 0);
  g_assert_nonnull (row.successor_hash);
  g_assert_null (row.revoke_reason);

  read_token_row (fixture, successor, &next_row);
  g_assert_cmpint (next_row.consumed_at, ==, 0);
  g_assert_null (next_row.revoke_reason);
}

static void
test_fault_lost_answer (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *body = g_strdup_printf ("{\"refreshToken\":\"%s\"}", refresh);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) stats = NULL;
  g_auto(TokenRow) before = { 0 };

  read_token_row (fixture, refresh, &before);
  g_assert_cmpint (before.consumed_at, ==, 0);
  g_assert_null (before.successor_hash);

  put_settings_ok (fixture, "{\"refreshFault\":{\"kind\":\"lost-answer\",\"count\":1}}");

  /* On the wire: no status line, no body — a transport error, not an answer. */
  error = send_expecting_drop (fixture, "/authorization/refresh", JSON, body);
  g_test_message ("lost: %s", error->message);
  assert_fault_disarmed (fixture);

  /* In the database: the refresh happened. */
  assert_rotated (fixture, refresh);

  stats = get_json (fixture, "/demo/stats");
  g_assert_cmpint (count (stats, "lostAnswers"), ==, 1);
  g_assert_cmpint (count (stats, "faultsInjected"), ==, 1);
  g_assert_cmpint (refresh_count (stats, "ok"), ==, 1);
  g_assert_cmpint (refresh_count (stats, "rejected"), ==, 0);
  g_assert_cmpint (count (stats, "reuseDetections"), ==, 0);

  /* Only the refresh token moved on: the access token in hand lives on. */
  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
}

/* RFC 9700's grace window: the client that never got its answer retries with
 * the token it still has, and gets what the lost answer carried. */
static void
test_fault_lost_answer_grace (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *body = g_strdup_printf ("{\"refreshToken\":\"%s\"}", refresh);
  g_autofree char *carried_refresh = NULL;
  g_autofree char *replayed_refresh = NULL;
  g_autofree char *replayed_access = NULL;
  g_autofree char *again_refresh = NULL;
  g_autofree char *again_access = NULL;
  g_autofree char *next_access = NULL;
  g_autofree char *stolen = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(JsonObject) stats = NULL;
  g_auto(TokenRow) row = { 0 };
  g_auto(TokenRow) after = { 0 };
  guint status = 0;

  put_settings_ok (fixture, "{\"reuseGrace\":30,"
                            "\"refreshFault\":{\"kind\":\"lost-answer\",\"count\":1}}");

  error = send_expecting_drop (fixture, "/authorization/refresh", JSON, body);
  assert_rotated (fixture, refresh);
  carried_refresh = lost_successor (fixture, refresh);
  read_token_row (fixture, refresh, &row);

  /* The retry, with the used-up token: the very pair the lost answer had —
   * its refresh token, and an access token issued at the rotation, not now. */
  replayed_access = tg_test_seed_refresh (fixture, refresh, &status, &replayed_refresh);
  g_assert_cmpuint (status, ==, 200);
  assert_tokens_equal (replayed_refresh, carried_refresh);
  claims = jwt_payload (replayed_access);
  g_assert_cmpint (json_object_get_int_member (claims, "iat"), ==, row.consumed_at);

  /* Byte for byte, however often it is asked. */
  again_access = tg_test_seed_refresh (fixture, refresh, &status, &again_refresh);
  g_assert_cmpuint (status, ==, 200);
  assert_tokens_equal (again_refresh, replayed_refresh);
  assert_tokens_equal (again_access, replayed_access);

  /* The session lives: nothing was revoked, the pair works. */
  read_token_row (fixture, refresh, &after);
  g_assert_null (after.revoke_reason);
  g_assert_cmpuint (tg_test_get_resource (fixture, replayed_access), ==, 200);
  stats = get_json (fixture, "/demo/stats");
  g_assert_cmpint (count (stats, "reuseDetections"), ==, 0);
  g_assert_cmpint (count (stats, "lostAnswers"), ==, 1);
  g_assert_cmpint (refresh_count (stats, "ok"), ==, 3);

  /* Once the client has moved on with the pair, the old token is no lost
   * answer any more but a stolen copy: reuse, the family goes. */
  next_access = tg_test_seed_refresh (fixture, replayed_refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  stolen = tg_test_seed_refresh (fixture, refresh, &status, NULL);
  g_assert_null (stolen);
  g_assert_cmpuint (status, ==, 401);
  g_assert_cmpuint (tg_test_get_resource (fixture, next_access), ==, 401);
}

/* Without a grace window, the retry of a lost answer is a reuse like any
 * other: the session ends, and the pair nobody received dies with it. Over
 * OAuth 2.0 this time (400, not 401). */
static void
test_fault_lost_answer_no_grace (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = oauth2_sign_in (fixture, &refresh);
  g_autofree char *body = soup_form_encode ("grant_type", "refresh_token",
                                            "refresh_token", refresh,
                                            NULL);
  g_autofree char *carried_refresh = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTestReply) replayed = NULL;
  g_autoptr(TgTestReply) carried = NULL;
  g_autoptr(JsonObject) carried_answer = NULL;
  g_autoptr(JsonObject) stats = NULL;
  g_auto(TokenRow) row = { 0 };

  put_settings_ok (fixture, "{\"reuseGrace\":0,"
                            "\"refreshFault\":{\"kind\":\"lost-answer\",\"count\":1}}");

  error = send_expecting_drop (fixture, "/oauth2/token", FORM, body);
  g_test_message ("lost: %s", error->message);
  assert_rotated (fixture, refresh);
  carried_refresh = lost_successor (fixture, refresh);

  replayed = tg_test_oauth2_refresh_grant (fixture, refresh);
  tg_test_assert_json_error (replayed, 400, "invalid_grant");

  read_token_row (fixture, refresh, &row);
  g_assert_cmpstr (row.revoke_reason, ==, "reuse");

  /* The next use of the new token fails too: its family is revoked. */
  carried = tg_test_oauth2_refresh_grant (fixture, carried_refresh);
  tg_test_assert_json_error (carried, 400, "invalid_grant");
  carried_answer = tg_test_reply_json (carried);
  g_assert_cmpstr (json_object_get_string_member (carried_answer, "error_description"), ==,
                   "the session was revoked");
  assert_rejected_token (fixture, access, SESSION_REVOKED);

  stats = get_json (fixture, "/demo/stats");
  g_assert_cmpint (count (stats, "lostAnswers"), ==, 1);
  g_assert_cmpint (count (stats, "reuseDetections"), ==, 1);
  g_assert_cmpint (refresh_count (stats, "ok"), ==, 1);
  g_assert_cmpint (refresh_count (stats, "rejected"), ==, 2);
}

static void
test_fault_lost_answer_count (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *body = g_strdup_printf ("{\"refreshToken\":\"%s\"}", refresh);
  g_autofree char *carried_refresh = NULL;
  g_autofree char *next_refresh = NULL;
  g_autofree char *next_access = NULL;
  g_autoptr(JsonObject) stats = NULL;
  guint status = 0;

  put_settings_ok (fixture, "{\"reuseGrace\":30,"
                            "\"refreshFault\":{\"kind\":\"lost-answer\",\"count\":2}}");

  /* Two lost in a row: the rotation, then the retry (a replay in grace,
   * processed as such, and its answer lost as well). */
  for (gint64 left = 1; left >= 0; left--)
    {
      g_autoptr(GError) error = send_expecting_drop (fixture, "/authorization/refresh", JSON, body);
      g_autoptr(JsonObject) fault = get_fault (fixture);

      if (left > 0)
        {
          g_assert_nonnull (fault);
          g_assert_cmpstr (json_object_get_string_member (fault, "kind"), ==, "lost-answer");
          g_assert_cmpint (json_object_get_int_member (fault, "count"), ==, left);
        }
      else
        g_assert_null (fault);
    }
  carried_refresh = lost_successor (fixture, refresh);

  /* Exactly two: the third answer arrives, and it is still the first pair. */
  next_access = tg_test_seed_refresh (fixture, refresh, &status, &next_refresh);
  g_assert_cmpuint (status, ==, 200);
  assert_tokens_equal (next_refresh, carried_refresh);
  g_assert_cmpuint (tg_test_get_resource (fixture, next_access), ==, 200);

  stats = get_json (fixture, "/demo/stats");
  g_assert_cmpint (count (stats, "lostAnswers"), ==, 2);
  g_assert_cmpint (count (stats, "faultsInjected"), ==, 2);
}

/* A refused fault says what would have been accepted. */
static void
test_fault_lost_answer_errors (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autoptr(TgTestReply) misspelt = NULL;
  g_autoptr(TgTestReply) wrong_type = NULL;
  g_autoptr(JsonObject) misspelt_answer = NULL;
  g_autoptr(JsonObject) wrong_type_answer = NULL;

  misspelt = put_settings (fixture, "{\"refreshFault\":{\"kind\":\"lost_answer\"}}");
  tg_test_assert_json_error (misspelt, 400, "invalid_request");
  misspelt_answer = tg_test_reply_json (misspelt);
  g_assert_cmpstr (json_object_get_string_member (misspelt_answer, "error_description"), ==,
                   "refreshFault.kind must be \"status\", \"hang\", \"drop\" or \"lost-answer\"");

  wrong_type = put_settings (fixture, "{\"refreshFault\":{\"kind\":\"lost-answer\",\"count\":\"1\"}}");
  tg_test_assert_json_error (wrong_type, 400, "invalid_request");
  wrong_type_answer = tg_test_reply_json (wrong_type);
  g_assert_cmpstr (json_object_get_string_member (wrong_type_answer, "error_description"), ==,
                   "count must be an integer");

  assert_fault_disarmed (fixture);
}

/* ------------------------------------------------------------------------- */

/* The demo's latency is a property as well as a control: with the controls
 * off, the server still holds resource answers back by it. */
static void
test_disabled_latency (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new ("demo-controls", FALSE,
                                                        "latency-ms", 300, NULL);
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", NULL);
  gint64 start = g_get_monotonic_time ();

  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 300 * G_TIME_SPAN_MILLISECOND);
}

static void
test_disabled (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new ("demo-controls", FALSE, NULL);
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", NULL);
  struct {
    const char *method;
    const char *path;
    const char *content_type;
    const char *body;
  } cases[] = {
    { "GET", "/demo/stats", NULL, NULL },
    { "GET", "/demo/settings", NULL, NULL },
    { "PUT", "/demo/settings", JSON, "{\"latencyMs\":300}" },
    { "POST", "/demo/expire-access-tokens", NULL, NULL },
    { "POST", "/demo/revoke-refresh-tokens", NULL, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TgTestReply) reply = NULL;

      g_test_message ("%s %s", cases[i].method, cases[i].path);
      reply = tg_test_request (fixture, cases[i].method, cases[i].path, cases[i].content_type,
                               cases[i].body, NULL);
      tg_test_assert_json_error (reply, 404, "not_found");
    }

  /* None of them did anything: the token is neither expired nor revoked. */
  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
}

/* ------------------------------------------------------------------------- */
/* Who may use the demo controls                                             */

static TgTestReply *
request_with_origin (TgTestServer *fixture,
                     const char   *method,
                     const char   *path,
                     const char   *json,
                     const char   *origin)
{
  g_autofree char *request = NULL;

  request = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: %s\r\n"
                             "%s%s%sContent-Length: %d\r\nConnection: close\r\n\r\n%s",
                             method, path, origin,
                             json != NULL ? "Content-Type: " : "", json != NULL ? JSON : "",
                             json != NULL ? "\r\n" : "",
                             json != NULL ? (int) strlen (json) : 0, json != NULL ? json : "");
  return tg_test_raw_request (fixture, request);
}

/* Any web page can make the user's browser POST to 127.0.0.1 without a CORS
 * preflight; its Origin header says where it came from. */
static void
test_foreign_origin (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", NULL);
  g_autoptr(TgTestReply) before = tg_test_request (fixture, "GET", "/demo/settings", NULL, NULL, NULL);
  const char *foreign[] = {
    "https://evil.example",
    "http://127.0.0.1.evil.example",
    "http://localhost.evil.example:7000",
    "http://192.0.2.1:7000",
    "null",
    "garbage",
  };
  const char *local[] = {
    "http://127.0.0.1:7000",
    "http://localhost:3000",
    "http://LOCALHOST",
    "http://[::1]:8080",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (foreign); i++)
    {
      g_autoptr(TgTestReply) expire = NULL;
      g_autoptr(TgTestReply) revoke = NULL;
      g_autoptr(TgTestReply) settings = NULL;
      g_autoptr(TgTestReply) stats = NULL;

      g_test_message ("Origin: %s", foreign[i]);
      expire = request_with_origin (fixture, "POST", "/demo/expire-access-tokens", NULL, foreign[i]);
      tg_test_assert_json_error (expire, 403, "forbidden");
      revoke = request_with_origin (fixture, "POST", "/demo/revoke-refresh-tokens", NULL, foreign[i]);
      tg_test_assert_json_error (revoke, 403, "forbidden");
      settings = request_with_origin (fixture, "PUT", "/demo/settings", "{\"latencyMs\":500}", foreign[i]);
      tg_test_assert_json_error (settings, 403, "forbidden");
      /* Reading is the browser's business: without CORS headers the page never
       * sees the answer. */
      stats = request_with_origin (fixture, "GET", "/demo/stats", NULL, foreign[i]);
      g_assert_cmpuint (stats->status, ==, 200);
    }

  /* None of that happened: the token lives, the settings are as they were. */
  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
  {
    g_autoptr(TgTestReply) after = tg_test_request (fixture, "GET", "/demo/settings", NULL, NULL, NULL);

    g_assert_cmpstr (after->text, ==, before->text);
  }

  /* A page served from this machine is the demo's own UI. */
  for (gsize i = 0; i < G_N_ELEMENTS (local); i++)
    {
      g_autoptr(TgTestReply) settings = NULL;

      g_test_message ("Origin: %s", local[i]);
      settings = request_with_origin (fixture, "PUT", "/demo/settings", "{\"jitterMs\":1}", local[i]);
      g_assert_cmpuint (settings->status, ==, 200);
    }
  {
    g_autoptr(TgTestReply) expire = request_with_origin (fixture, "POST", "/demo/expire-access-tokens",
                                                         NULL, "http://localhost:7000");

    g_assert_cmpuint (expire->status, ==, 200);
    assert_rejected_token (fixture, access, EXPIRED_BY_SERVER);
  }
}

/* libsoup matches handlers by prefix; the demo controls are exact paths. */
static void
test_exact_paths (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autoptr(TgTestReply) before = tg_test_request (fixture, "GET", "/demo/settings", NULL, NULL, NULL);
  g_autofree char *next_access = NULL;
  struct {
    const char *method;
    const char *path;
    const char *body;
  } cases[] = {
    { "GET", "/demo/stats/x", NULL },
    { "GET", "/demo/stats/", NULL },
    { "GET", "/demo/settings/x", NULL },
    { "PUT", "/demo/settings/x", "{\"latencyMs\":500}" },
    { "POST", "/demo/expire-access-tokens/x", NULL },
    { "POST", "/demo/revoke-refresh-tokens/x", NULL },
  };
  guint status = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TgTestReply) reply = NULL;

      g_test_message ("%s %s", cases[i].method, cases[i].path);
      reply = tg_test_request (fixture, cases[i].method, cases[i].path,
                               cases[i].body != NULL ? JSON : NULL, cases[i].body, NULL);
      tg_test_assert_json_error (reply, 404, "not_found");
    }

  g_assert_cmpuint (tg_test_get_resource (fixture, access), ==, 200);
  next_access = tg_test_seed_refresh (fixture, refresh, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  {
    g_autoptr(TgTestReply) after = tg_test_request (fixture, "GET", "/demo/settings", NULL, NULL, NULL);

    g_assert_cmpstr (after->text, ==, before->text);
  }
}

/* ------------------------------------------------------------------------- */
/* Only tokens of an earlier epoch were expired by the server                */

static char *
with_header (const char *token,
             const char *header_json)
{
  g_autofree char *header = tg_base64url_encode ((const guint8 *) header_json, strlen (header_json));

  return g_strconcat (header, strchr (token, '.'), NULL);
}

static void
test_forged_key_id (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", NULL);
  g_autofree char *tampered = g_strdup (access);
  const char *kids[] = { "banana", "0", "01", "-1", "+1", "1.0", " 1", "3", "99999999999999999999999" };
  char *payload;

  post_demo (fixture, "/demo/expire-access-tokens");  /* now in epoch 2 */

  /* The real thing, from epoch 1. */
  assert_rejected_token (fixture, access, EXPIRED_BY_SERVER);

  /* A kid that was never an epoch of ours is no token of ours. */
  for (gsize i = 0; i < G_N_ELEMENTS (kids); i++)
    {
      g_autofree char *header = g_strdup_printf ("{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}",
                                                 kids[i]);
      g_autofree char *forged = with_header (access, header);

      g_test_message ("kid %s", kids[i]);
      assert_rejected_token (fixture, forged, "the access token was signed with an unknown key");
    }

  /* Epoch 1's kid with a payload that epoch 1 never signed. */
  payload = strchr (tampered, '.') + 5;
  *payload = *payload == 'A' ? 'B' : 'A';
  assert_rejected_token (fixture, tampered, "the access token signature is invalid");
}

/* ------------------------------------------------------------------------- */
/* Answers held back when the server stops or the client leaves              */

static void
count_request_read (SoupServer        *soup,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  g_atomic_int_inc ((gint *) user_data);
}

typedef struct {
  gint *counter;
  gint  target;
} Reached;

static gboolean
reached (gpointer user_data)
{
  Reached *r = user_data;

  return g_atomic_int_get (r->counter) >= r->target;
}

typedef struct {
  gint    n_done;
  GBytes *last_body;  /* owned, nullable */
} Sent;

static void
send_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Sent *sent = user_data;
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  if (body != NULL)
    {
      g_clear_pointer (&sent->last_body, g_bytes_unref);
      sent->last_body = body;
    }
  sent->n_done++;
}

static void
send_async (SoupSession *session,
            const char  *base_uri,
            const char  *method,
            const char  *path,
            const char  *content_type,
            const char  *body,
            Sent        *sent)
{
  g_autofree char *uri = g_strconcat (base_uri, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, send_done, sent);
}

/* Sends one request and waits until the server has read it (and so, right
 * after, handled it). */
static void
send_and_wait_read (SoupSession *session,
                    const char  *base_uri,
                    const char  *method,
                    const char  *path,
                    const char  *body,
                    gint        *n_read,
                    Sent        *sent)
{
  Reached read = { n_read, g_atomic_int_get (n_read) + 1 };

  send_async (session, base_uri, method, path, JSON, body, sent);
  g_assert_true (tg_test_wait_until (reached, &read, 30));
}

/* The three ways an answer is held back — latency (and jitter) before /api/
 * answers, a hanging refresh, a slow successful refresh — paused at once when
 * the server stops. Their timers must go with the server: firing later, they
 * would unpause messages whose connections are gone (a critical, fatal here).
 * Returns how many answers were held back. */
static guint
hold_back_three_answers (SoupSession *session,
                         const char  *base_uri,
                         gint        *n_read,
                         Sent        *held)
{
  Sent setup = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *refresh_body = NULL;

  send_async (session, base_uri, "PUT", "/demo/settings", JSON,
              "{\"latencyMs\":300,\"refreshLatencyMs\":300,"
              "\"refreshFault\":{\"kind\":\"hang\",\"hangMs\":300,\"count\":1}}", &setup);
  while (setup.n_done < 1)
    g_main_context_iteration (NULL, TRUE);
  send_async (session, base_uri, "POST", "/authorization/token", JSON,
              "{\"userName\":\"demo\",\"password\":\"demo\"}", &setup);
  while (setup.n_done < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (setup.last_body);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (setup.last_body, NULL),
                                             g_bytes_get_size (setup.last_body), NULL));
  refresh_body = g_strdup_printf ("{\"refreshToken\":\"%s\"}",
                                  json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)),
                                                                 "refreshToken"));
  g_clear_pointer (&setup.last_body, g_bytes_unref);

  /* In this order: the first refresh takes the hang, the second succeeds slowly. */
  send_and_wait_read (session, base_uri, "POST", "/authorization/refresh", "{\"refreshToken\":\"x\"}",
                      n_read, held);
  send_and_wait_read (session, base_uri, "POST", "/authorization/refresh", refresh_body, n_read, held);
  send_and_wait_read (session, base_uri, "GET", "/api/resources", NULL, n_read, held);

  return 3;
}

static void
test_stop_holding_answers_same_context (void)
{
  g_autoptr(TgServer) server = g_object_new (TG_TYPE_SERVER, "password-iterations", 1000, NULL);
  /* More than libsoup's default two connections: all three are held at once. */
  g_autoptr(SoupSession) session = soup_session_new_with_options ("max-conns-per-host", 8, NULL);
  g_autoptr(GError) error = NULL;
  Sent held = { 0 };
  gint n_read = 0;
  guint n_held;

  /* On this thread's own main context, as tokengate-server runs it. */
  tg_server_start (server, &error);
  g_assert_no_error (error);
  g_signal_connect (server->soup, "request-read", G_CALLBACK (count_request_read), &n_read);

  n_held = hold_back_three_answers (session, tg_server_get_base_uri (server), &n_read, &held);
  g_assert_cmpuint (g_hash_table_size (server->delayed), ==, n_held);

  tg_server_stop (server);
  tg_test_iterate_for (600);
  soup_session_abort (session);
  while (held.n_done < (gint) n_held)
    g_main_context_iteration (NULL, TRUE);
  g_clear_pointer (&held.last_body, g_bytes_unref);
}

static void
test_stop_holding_answers_own_thread (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  Sent held = { 0 };
  gint n_read = 0;
  guint n_held;

  g_signal_connect (fixture->server->soup, "request-read", G_CALLBACK (count_request_read), &n_read);
  n_held = hold_back_three_answers (fixture->session, tg_test_server_uri (fixture), &n_read, &held);

  tg_server_stop (fixture->server);
  tg_test_iterate_for (600);
  while (held.n_done < (gint) n_held)
    g_main_context_iteration (NULL, TRUE);
  g_clear_pointer (&held.last_body, g_bytes_unref);
}

static gboolean
nothing_held_back (gpointer user_data)
{
  TgServer *server = user_data;

  return g_hash_table_size (server->delayed) == 0;
}

/* A client that gives up on a slow answer takes its connection away: the
 * server drops the answer then, not when its timer comes due. */
static void
test_client_leaves_while_held_back (void)
{
  g_autoptr(TgServer) server = g_object_new (TG_TYPE_SERVER, "password-iterations", 1000,
                                             "latency-ms", 10000, NULL);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  Reached ready;
  Sent sent = { 0 };
  gint n_read = 0;

  tg_server_start (server, &error);
  g_assert_no_error (error);
  g_signal_connect (server->soup, "request-read", G_CALLBACK (count_request_read), &n_read);

  uri = g_strconcat (tg_server_get_base_uri (server), "/api/resources", NULL);
  msg = soup_message_new ("GET", uri);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, cancellable, send_done, &sent);
  ready = (Reached) { &n_read, 1 };
  g_assert_true (tg_test_wait_until (reached, &ready, 30));
  g_assert_cmpuint (g_hash_table_size (server->delayed), ==, 1);

  g_cancellable_cancel (cancellable);
  soup_session_abort (session);
  g_assert_true (tg_test_wait_until (nothing_held_back, server, 5));
  while (sent.n_done < 1)
    g_main_context_iteration (NULL, TRUE);

  tg_server_stop (server);
}

static gint64
refreshes_held (TgTestServer *fixture)
{
  g_autoptr(JsonObject) stats = get_json (fixture, "/demo/stats");

  return count (stats, "refreshesHeld");
}

typedef struct {
  TgTestServer *fixture;
  gint64        n;
} HeldCheck;

static gboolean
n_refreshes_held (gpointer user_data)
{
  HeldCheck *check = user_data;

  return refreshes_held (check->fixture) == check->n;
}

/* holdRefreshes: a refresh is answered when the setting is lifted, not on any
 * clock; the next one, unheld, goes out at once. */
static void
test_hold_refreshes (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  /* Its own session: the fixture's answers the settings while this one waits. */
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *body = g_strdup_printf ("{\"refreshToken\":\"%s\"}", refresh);
  g_autoptr(JsonObject) settings = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  HeldCheck one = { fixture, 1 }, none = { fixture, 0 };
  Sent held = { 0 };
  JsonObject *answer;
  guint status = 0;
  g_autofree char *next_access = NULL;

  put_settings_ok (fixture, "{\"holdRefreshes\":true}");
  settings = get_json (fixture, "/demo/settings");
  g_assert_true (json_object_get_boolean_member (settings, "holdRefreshes"));

  send_async (session, tg_test_server_uri (fixture), "POST", "/authorization/refresh", JSON, body, &held);
  g_assert_true (tg_test_wait_until (n_refreshes_held, &one, 30));
  /* Held, not slow: still unanswered well after any latency would be over. */
  tg_test_iterate_for (500);
  g_assert_cmpint (held.n_done, ==, 0);
  g_assert_cmpint (refreshes_held (fixture), ==, 1);

  put_settings_ok (fixture, "{\"holdRefreshes\":false}");
  while (held.n_done < 1)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (held.last_body);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (held.last_body, NULL),
                                             g_bytes_get_size (held.last_body), NULL));
  answer = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_has_member (answer, "authorizationToken"));
  g_clear_pointer (&held.last_body, g_bytes_unref);
  g_assert_true (tg_test_wait_until (n_refreshes_held, &none, 30));

  /* Held no more: the next refresh is answered at once. */
  next_access = tg_test_seed_refresh (fixture, json_object_get_string_member (answer, "refreshToken"),
                                      &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (tg_test_get_resource (fixture, next_access), ==, 200);
}

/* A held refresh goes with the server that holds it, as a slow one does:
 * under ASan, a hold that outlived the demo's state would be caught here. */
static void
test_hold_refreshes_stop (void)
{
  g_autoptr(TgTestServer) fixture = tg_test_server_new (NULL);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *refresh = NULL;
  g_autofree char *access = tg_test_seed_sign_in (fixture, "demo", "demo", &refresh);
  g_autofree char *body = g_strdup_printf ("{\"refreshToken\":\"%s\"}", refresh);
  HeldCheck one = { fixture, 1 };
  Sent held = { 0 };

  put_settings_ok (fixture, "{\"holdRefreshes\":true}");
  send_async (session, tg_test_server_uri (fixture), "POST", "/authorization/refresh", JSON, body, &held);
  g_assert_true (tg_test_wait_until (n_refreshes_held, &one, 30));

  tg_server_stop (fixture->server);
  tg_test_iterate_for (300);
  soup_session_abort (session);
  while (held.n_done < 1)
    g_main_context_iteration (NULL, TRUE);
  g_clear_pointer (&held.last_body, g_bytes_unref);
}

int
main (int   argc,
      char *argv[])
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/server/demo/stats", test_stats);
  g_test_add_func ("/server/demo/stats/restart", test_stats_restart);
  g_test_add_func ("/server/demo/expire-access-tokens", test_expire_access_tokens);
  g_test_add_func ("/server/demo/expire-access-tokens/restart", test_expire_access_tokens_restart);
  g_test_add_func ("/server/demo/revoke-refresh-tokens", test_revoke_refresh_tokens);
  g_test_add_func ("/server/demo/revocation-seen-at-once", test_seen_at_once);
  g_test_add_func ("/server/demo/methods", test_methods);
  g_test_add_func ("/server/demo/settings/defaults", test_settings_defaults);
  g_test_add_func ("/server/demo/settings/round-trip", test_settings_round_trip);
  g_test_add_func ("/server/demo/settings/fault-round-trip", test_settings_fault_round_trip);
  g_test_add_func ("/server/demo/settings/access-ttl", test_settings_access_ttl);
  g_test_add_func ("/server/demo/settings/reuse-grace", test_settings_reuse_grace);
  g_test_add_func ("/server/demo/settings/bad-input", test_settings_bad_input);
  g_test_add_func ("/server/demo/latency", test_latency);
  g_test_add_func ("/server/demo/refresh-latency", test_refresh_latency);
  g_test_add_func ("/server/demo/jitter", test_jitter);
  g_test_add_func ("/server/demo/hold-refreshes", test_hold_refreshes);
  g_test_add_func ("/server/demo/hold-refreshes/stop", test_hold_refreshes_stop);
  g_test_add_func ("/server/demo/fault/status", test_fault_status);
  g_test_add_func ("/server/demo/fault/count", test_fault_count);
  g_test_add_func ("/server/demo/fault/hang", test_fault_hang);
  g_test_add_func ("/server/demo/fault/drop", test_fault_drop);
  g_test_add_func ("/server/demo/fault/clear", test_fault_clear);
  g_test_add_func ("/server/demo/fault/oauth2", test_fault_oauth2);
  g_test_add_func ("/server/demo/fault/lost-answer", test_fault_lost_answer);
  g_test_add_func ("/server/demo/fault/lost-answer/grace", test_fault_lost_answer_grace);
  g_test_add_func ("/server/demo/fault/lost-answer/no-grace", test_fault_lost_answer_no_grace);
  g_test_add_func ("/server/demo/fault/lost-answer/count", test_fault_lost_answer_count);
  g_test_add_func ("/server/demo/fault/lost-answer/errors", test_fault_lost_answer_errors);
  g_test_add_func ("/server/demo/disabled", test_disabled);
  g_test_add_func ("/server/demo/disabled/latency", test_disabled_latency);
  g_test_add_func ("/server/demo/foreign-origin", test_foreign_origin);
  g_test_add_func ("/server/demo/exact-paths", test_exact_paths);
  g_test_add_func ("/server/demo/expire-access-tokens/forged-key-id", test_forged_key_id);
  g_test_add_func ("/server/demo/stop-holding-answers/same-context", test_stop_holding_answers_same_context);
  g_test_add_func ("/server/demo/stop-holding-answers/own-thread", test_stop_holding_answers_own_thread);
  g_test_add_func ("/server/demo/client-leaves-while-held-back", test_client_leaves_while_held_back);

  return g_test_run ();
}
