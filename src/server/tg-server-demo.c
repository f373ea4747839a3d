/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Demo controls: what lets a person make tokens die on purpose and watch the
 * client cope. Loopback peers only, and off with --no-demo-controls.
 *
 *   GET  /demo/stats                    counters since start
 *   POST /demo/expire-access-tokens     every access token issued so far is rejected
 *   POST /demo/revoke-refresh-tokens    every session (refresh family) is revoked
 *   GET  /demo/settings                 the settings below
 *   PUT  /demo/settings                 accessTtl, reuseGrace, latencyMs, jitterMs,
 *                                       refreshLatencyMs,
 *                                       refreshFault {kind, status, hangMs, count}
 *
 * Refresh fault kinds: "status" (answer with that status), "hang" (hold the
 * refresh hangMs, then 503), "drop" (close without answering; the refresh is
 * not processed) and "lost-answer" (the refresh is processed and committed,
 * then the connection is closed without an answer: only the server knows the
 * presented token is used up).
 */
#define G_LOG_DOMAIN "tg-server"

#include "config.h"

#include <string.h>

#include "tg-crypto.h"
#include "tg-server-private.h"

#define MAX_DELAY_MS 60000

static const char *fault_names[] = {
  [TG_FAULT_NONE] = "none",
  [TG_FAULT_STATUS] = "status",
  [TG_FAULT_HANG] = "hang",
  [TG_FAULT_DROP] = "drop",
  [TG_FAULT_LOST_ANSWER] = "lost-answer",
};

#define FAULT_KIND_ERROR "refreshFault.kind must be \"status\", \"hang\", \"drop\" or \"lost-answer\""

/* ------------------------------------------------------------------------- */
/* Used by the API                                                           */

void
_tg_server_stats_count_resource (TgServer *self,
                                 guint     status)
{
  gpointer key = GUINT_TO_POINTER (status);
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->stats.resources_by_status, key));

  g_hash_table_insert (self->stats.resources_by_status, key, GUINT_TO_POINTER (count + 1));
}

/**
 * _tg_server_demo_api_delay_ms:
 *
 * The demo latency plus a uniformly random jitter, so that the 401s of a burst
 * arrive spread out as on real networks — the case where the posts' shared
 * promise starts several refreshes.
 */
guint
_tg_server_demo_api_delay_ms (TgServer *self)
{
  guint32 random = 0;

  if (self->live.jitter_ms == 0)
    return self->live.latency_ms;

  tg_crypto_random_bytes ((guint8 *) &random, sizeof random);
  return self->live.latency_ms + random % (self->live.jitter_ms + 1);
}

static void
reply_fault_unavailable (gpointer user_data)
{
  _tg_server_reply_error (user_data, SOUP_STATUS_SERVICE_UNAVAILABLE,
                          "temporarily_unavailable", "injected fault: the refresh hung");
}

static gboolean
reply_fault_unavailable_cb (gpointer user_data)
{
  reply_fault_unavailable (user_data);
  return G_SOURCE_REMOVE;
}

/**
 * _tg_server_demo_take_refresh_fault:
 * @out_lose_answer: (out): set to %TRUE when the refresh is to be processed
 *   and its answer then lost (see _tg_server_demo_lose_answer())
 *
 * If a refresh fault is armed, uses it up. For every kind but "lost-answer" it
 * is applied to @msg here and the result is %TRUE: the refresh is not
 * processed and the presented token stays valid, so a client that keeps its
 * session can try again later. A "lost-answer" returns %FALSE with
 * *@out_lose_answer set: the caller processes the refresh for real and then
 * drops the answer.
 */
gboolean
_tg_server_demo_take_refresh_fault (TgServer          *self,
                                    SoupServerMessage *msg,
                                    gboolean          *out_lose_answer)
{
  TgRefreshFault *fault = &self->live.refresh_fault;
  g_autoptr(GIOStream) stream = NULL;

  *out_lose_answer = FALSE;
  if (fault->count == 0 || fault->kind == TG_FAULT_NONE)
    return FALSE;

  fault->count--;
  self->stats.faults_injected++;

  switch (fault->kind)
    {
    case TG_FAULT_STATUS:
      _tg_server_reply_error (msg, fault->status, "temporarily_unavailable",
                              "injected fault");
      break;

    case TG_FAULT_HANG:
      _tg_server_delay_then (self, msg, fault->hang_ms,
                             reply_fault_unavailable_cb, g_object_ref (msg), g_object_unref);
      break;

    case TG_FAULT_DROP:
      /* Taking the connection away from libsoup and closing it is what a crashed
       * proxy looks like to the client: no status line at all. */
      stream = soup_server_message_steal_connection (msg);
      g_io_stream_close (stream, NULL, NULL);
      break;

    case TG_FAULT_LOST_ANSWER:
      *out_lose_answer = TRUE;
      return FALSE;

    case TG_FAULT_NONE:
    default:
      g_assert_not_reached ();
    }

  return TRUE;
}

/**
 * _tg_server_demo_lose_answer:
 *
 * Closes @msg's connection without sending the answer the refresh left on it.
 * The rotation is committed by now: the client that sent it still holds the
 * presented token, which the server has used up — the answer that dies after
 * the commit (a crash, a proxy timeout, a phone going into a tunnel). Whether
 * the client can recover is up to the reuse-grace window: within it, the
 * retried refresh gets this same pair again; without it, the retry is a reuse
 * and ends the session (RFC 9700 §4.14.2).
 */
void
_tg_server_demo_lose_answer (TgServer          *self,
                             SoupServerMessage *msg)
{
  g_autoptr(GIOStream) stream = soup_server_message_steal_connection (msg);

  self->stats.lost_answers++;
  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

/* ------------------------------------------------------------------------- */
/* Handlers                                                                  */

/* An Origin that is a page served from this machine (or no Origin at all: not a
 * browser). "null" — a sandboxed frame, a file — is no loopback origin. */
static gboolean
origin_is_loopback (const char *origin)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GInetAddress) address = NULL;
  const char *host;

  if (origin == NULL)
    return TRUE;

  uri = g_uri_parse (origin, G_URI_FLAGS_NONE, NULL);
  host = uri != NULL ? g_uri_get_host (uri) : NULL;
  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* Loopback peers only; and what changes state only for a page of this machine:
 * a page anywhere on the web can make the user's browser POST to 127.0.0.1 (a
 * "simple" request needs no CORS preflight), but its Origin says where it is. */
static gboolean
demo_request_allowed (SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (!_tg_server_is_loopback_peer (msg))
    {
      _tg_server_reply_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden",
                              "demo controls answer loopback clients only");
      return FALSE;
    }
  if (strcmp (method, SOUP_METHOD_GET) != 0 && strcmp (method, SOUP_METHOD_HEAD) != 0 &&
      !origin_is_loopback (soup_message_headers_get_one (headers, "Origin")))
    {
      _tg_server_reply_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden",
                              "demo controls answer pages served from this machine only");
      return FALSE;
    }
  return TRUE;
}

static void
add_count (JsonBuilder *builder,
           const char  *name,
           guint64      value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, (gint64) value);
}

static void
stats_handler (SoupServer        *soup,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  TgServer *self = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (!demo_request_allowed (msg) || !_tg_server_check_method (msg, SOUP_METHOD_GET, NULL))
    return;

  json_builder_begin_object (builder);
  add_count (builder, "signIns", self->stats.sign_ins);
  add_count (builder, "signInsRejected", self->stats.sign_ins_rejected);
  json_builder_set_member_name (builder, "refreshes");
  json_builder_begin_object (builder);
  add_count (builder, "ok", self->stats.refreshes);
  add_count (builder, "rejected", self->stats.refreshes_rejected);
  json_builder_end_object (builder);
  add_count (builder, "reuseDetections", self->stats.reuse_detections);
  add_count (builder, "revocations", self->stats.revocations);
  add_count (builder, "faultsInjected", self->stats.faults_injected);
  add_count (builder, "lostAnswers", self->stats.lost_answers);
  json_builder_set_member_name (builder, "resources");
  json_builder_begin_object (builder);
  g_hash_table_iter_init (&iter, self->stats.resources_by_status);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      char status[16];

      g_snprintf (status, sizeof status, "%u", GPOINTER_TO_UINT (key));
      add_count (builder, status, GPOINTER_TO_UINT (value));
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  node = json_builder_get_root (builder);
  _tg_server_reply_json (msg, SOUP_STATUS_OK, node);
}

static void
expire_access_tokens_handler (SoupServer        *soup,
                              SoupServerMessage *msg,
                              const char        *path,
                              GHashTable        *query,
                              gpointer           user_data)
{
  TgServer *self = user_data;
  g_autoptr(GError) error = NULL;
  gint64 epoch = g_ascii_strtoll (self->key_id, NULL, 10) + 1;

  if (!demo_request_allowed (msg) || !_tg_server_check_method (msg, SOUP_METHOD_POST, NULL))
    return;

  /* Access tokens carry the epoch they were signed in as their `kid`; moving to
   * a new epoch makes every earlier token fail verification, which the client
   * cannot see coming — the "token died early" demo. Persisted, so a restart
   * does not bring them back. */
  if (!tg_server_db_set_meta (self->db, "access-epoch", epoch, &error))
    {
      _tg_server_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "server_error",
                              "could not store the new epoch");
      return;
    }
  g_free (self->key_id);
  self->key_id = g_strdup_printf ("%" G_GINT64_FORMAT, epoch);

  _tg_server_reply_empty (msg);
}

static void
revoke_refresh_tokens_handler (SoupServer        *soup,
                               SoupServerMessage *msg,
                               const char        *path,
                               GHashTable        *query,
                               gpointer           user_data)
{
  TgServer *self = user_data;
  g_autoptr(GError) error = NULL;
  GHashTable *revoked;

  if (!demo_request_allowed (msg) || !_tg_server_check_method (msg, SOUP_METHOD_POST, NULL))
    return;

  if (!tg_server_db_revoke_all_families (self->db, _tg_server_now (), &error) ||
      (revoked = tg_server_db_list_revoked_families (self->db, &error)) == NULL)
    {
      _tg_server_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "server_error",
                              "could not revoke the sessions");
      return;
    }
  g_hash_table_unref (self->revoked_families);
  self->revoked_families = revoked;
  self->stats.revocations++;

  _tg_server_reply_empty (msg);
}

static void
reply_settings (TgServer          *self,
                SoupServerMessage *msg)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  TgRefreshFault *fault = &self->live.refresh_fault;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "accessTtl");
  json_builder_add_int_value (builder, self->live.access_ttl);
  json_builder_set_member_name (builder, "reuseGrace");
  json_builder_add_int_value (builder, self->live.reuse_grace);
  json_builder_set_member_name (builder, "latencyMs");
  json_builder_add_int_value (builder, self->live.latency_ms);
  json_builder_set_member_name (builder, "jitterMs");
  json_builder_add_int_value (builder, self->live.jitter_ms);
  json_builder_set_member_name (builder, "refreshLatencyMs");
  json_builder_add_int_value (builder, self->live.refresh_latency_ms);
  json_builder_set_member_name (builder, "refreshFault");
  if (fault->count == 0 || fault->kind == TG_FAULT_NONE)
    json_builder_add_null_value (builder);
  else
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, fault_names[fault->kind]);
      if (fault->kind == TG_FAULT_STATUS)
        {
          json_builder_set_member_name (builder, "status");
          json_builder_add_int_value (builder, fault->status);
        }
      if (fault->kind == TG_FAULT_HANG)
        {
          json_builder_set_member_name (builder, "hangMs");
          json_builder_add_int_value (builder, fault->hang_ms);
        }
      json_builder_set_member_name (builder, "count");
      json_builder_add_int_value (builder, fault->count);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  node = json_builder_get_root (builder);
  _tg_server_reply_json (msg, SOUP_STATUS_OK, node);
}

/* Reads member @name of @object as an integer in [min, max]. Absent is fine
 * (returns TRUE, leaves *out alone); any other type or range is an error. */
static gboolean
read_int (JsonObject  *object,
          const char  *name,
          gint64       min,
          gint64       max,
          gint64      *out,
          GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);
  gint64 value;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s must be an integer", name);
      return FALSE;
    }
  value = json_node_get_int (node);
  if (value < min || value > max)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT,
                   name, min, max);
      return FALSE;
    }

  *out = value;
  return TRUE;
}

static gboolean
only_known_members (JsonObject          *object,
                    const char * const  *known,
                    GError             **error)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      if (!g_strv_contains (known, l->data))
        {
          /* The name came from outside: say which, without echoing odd bytes. */
          g_autofree char *printable = g_strescape (l->data, NULL);

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "unknown setting “%.40s”", printable);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
read_fault (JsonNode        *node,
            TgRefreshFault  *out,
            GError         **error)
{
  static const char * const known[] = { "kind", "status", "hangMs", "count", NULL };
  JsonObject *object;
  const char *kind;
  gint64 status = 503, hang_ms = 10000, count = 1;

  if (JSON_NODE_HOLDS_NULL (node))
    {
      memset (out, 0, sizeof *out);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "refreshFault must be an object or null");
      return FALSE;
    }

  object = json_node_get_object (node);
  if (!only_known_members (object, known, error))
    return FALSE;

  kind = json_object_has_member (object, "kind") &&
         JSON_NODE_HOLDS_VALUE (json_object_get_member (object, "kind")) &&
         json_node_get_value_type (json_object_get_member (object, "kind")) == G_TYPE_STRING
           ? json_object_get_string_member (object, "kind") : NULL;
  if (kind == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, FAULT_KIND_ERROR);
      return FALSE;
    }

  if (!read_int (object, "status", 400, 599, &status, error) ||
      !read_int (object, "hangMs", 0, MAX_DELAY_MS, &hang_ms, error) ||
      !read_int (object, "count", 0, 1000000, &count, error))
    return FALSE;

  memset (out, 0, sizeof *out);
  if (strcmp (kind, "status") == 0)
    out->kind = TG_FAULT_STATUS;
  else if (strcmp (kind, "hang") == 0)
    out->kind = TG_FAULT_HANG;
  else if (strcmp (kind, "drop") == 0)
    out->kind = TG_FAULT_DROP;
  else if (strcmp (kind, "lost-answer") == 0)
    out->kind = TG_FAULT_LOST_ANSWER;
  else
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, FAULT_KIND_ERROR);
      return FALSE;
    }
  out->status = (guint) status;
  out->hang_ms = (guint) hang_ms;
  out->count = (guint) count;

  return TRUE;
}

static void
settings_handler (SoupServer        *soup,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  static const char * const known[] = {
    "accessTtl", "reuseGrace", "latencyMs", "jitterMs", "refreshLatencyMs", "refreshFault", NULL
  };
  TgServer *self = user_data;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  gint64 access_ttl = self->live.access_ttl;
  gint64 reuse_grace = self->live.reuse_grace;
  gint64 latency_ms = self->live.latency_ms;
  gint64 jitter_ms = self->live.jitter_ms;
  gint64 refresh_latency_ms = self->live.refresh_latency_ms;
  TgRefreshFault fault = self->live.refresh_fault;

  if (!demo_request_allowed (msg) ||
      !_tg_server_check_method (msg, SOUP_METHOD_GET, SOUP_METHOD_PUT, NULL))
    return;

  if (strcmp (soup_server_message_get_method (msg), SOUP_METHOD_PUT) != 0)
    {
      reply_settings (self, msg);
      return;
    }

  if ((body = _tg_server_read_json_object (msg, &error)) == NULL)
    {
      _tg_server_reply_bad_body (msg, error);
      return;
    }

  /* All or nothing: validate every member before changing anything. */
  if (!only_known_members (body, known, &error) ||
      !read_int (body, "accessTtl", 1, 86400, &access_ttl, &error) ||
      !read_int (body, "reuseGrace", 0, 3600, &reuse_grace, &error) ||
      !read_int (body, "latencyMs", 0, MAX_DELAY_MS, &latency_ms, &error) ||
      !read_int (body, "jitterMs", 0, MAX_DELAY_MS, &jitter_ms, &error) ||
      !read_int (body, "refreshLatencyMs", 0, MAX_DELAY_MS, &refresh_latency_ms, &error) ||
      (json_object_has_member (body, "refreshFault") &&
       !read_fault (json_object_get_member (body, "refreshFault"), &fault, &error)))
    {
      _tg_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request", error->message);
      return;
    }

  self->live.access_ttl = access_ttl;
  self->live.reuse_grace = reuse_grace;
  self->live.latency_ms = (guint) latency_ms;
  self->live.jitter_ms = (guint) jitter_ms;
  self->live.refresh_latency_ms = (guint) refresh_latency_ms;
  self->live.refresh_fault = fault;

  reply_settings (self, msg);
}

void
_tg_server_demo_register (TgServer *self)
{
  _tg_server_route (self, "/demo/stats", FALSE, stats_handler);
  _tg_server_route (self, "/demo/expire-access-tokens", FALSE, expire_access_tokens_handler);
  _tg_server_route (self, "/demo/revoke-refresh-tokens", FALSE, revoke_refresh_tokens_handler);
  _tg_server_route (self, "/demo/settings", FALSE, settings_handler);
}
