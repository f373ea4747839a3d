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
 *                                       refreshLatencyMs, holdRefreshes,
 *                                       refreshFault {kind, status, hangMs, count}
 *
 * Refresh fault kinds: "status" (answer with that status), "hang" (hold the
 * refresh hangMs, then 503), "drop" (close without answering; the refresh is
 * not processed) and "lost-answer" (the refresh is processed and committed,
 * then the connection is closed without an answer: only the server knows the
 * presented token is used up).
 *
 * holdRefreshes: while true, every successful refresh answer is held back
 * until it is set to false again: a refresh as slow as a test needs it to be,
 * whatever the speed of the machine (a sanitizer build, a loaded CI runner),
 * where refreshLatencyMs is a guess at how long that is.
 *
 * The API does not know this module: it plugs itself into the server's hook
 * points (TgServerHooks) when the server starts, and counts, delays and
 * breaks the exchanges from there. Its counters and delays work with the
 * controls off too (TgServer:latency-ms, :jitter-ms); only the endpoints above
 * need TgServer:demo-controls.
 */
#define G_LOG_DOMAIN "tg-server"

#include "config.h"

#include <string.h>

#include "tg-crypto.h"
#include "tg-json-builder.h"
#include "tg-server-private.h"

#define MAX_DELAY_MS 60000

typedef enum {
  TG_FAULT_NONE,
  TG_FAULT_STATUS,  /* answer the refresh with a given status */
  TG_FAULT_HANG,    /* hold the refresh for a while, then answer 503 */
  TG_FAULT_DROP,    /* close the connection without answering */
  TG_FAULT_LOST_ANSWER, /* refresh for real (commit), then close without answering */
} TgFaultKind;

static const char * const fault_names[] = {
  [TG_FAULT_NONE] = "none",
  [TG_FAULT_STATUS] = "status",
  [TG_FAULT_HANG] = "hang",
  [TG_FAULT_DROP] = "drop",
  [TG_FAULT_LOST_ANSWER] = "lost-answer",
};

#define FAULT_KIND_ERROR "refreshFault.kind must be \"status\", \"hang\", \"drop\" or \"lost-answer\""

typedef struct {
  TgFaultKind kind;
  guint       status;
  guint       hang_ms;
  guint       count;   /* how many of the next refreshes it applies to */
} TgRefreshFault;

/* The demo's state for one run of the server: a restart forgets it. */
typedef struct {
  TgServer       *server;              /* unowned: it owns us */

  /* settings */
  guint           latency_ms;          /* before every resource answer */
  guint           jitter_ms;           /* and up to this much more */
  guint           refresh_latency_ms;  /* before every successful refresh answer */
  gboolean        hold_refreshes;      /* hold those answers until this is unset */
  TgRefreshFault  refresh_fault;

  GPtrArray      *held_refreshes;      /* owned, of unowned HeldRefresh: answers held now */

  /* counters since start */
  guint64         sign_ins;
  guint64         sign_ins_rejected;
  guint64         refreshes;
  guint64         refreshes_rejected;
  guint64         reuse_detections;
  guint64         revocations;
  guint64         faults_injected;
  guint64         lost_answers;        /* refreshes processed whose answer was dropped */
  GHashTable     *resources_by_status; /* owned: GUINT_TO_POINTER(status) → count */
} TgServerDemo;

static void
demo_free (gpointer data)
{
  TgServerDemo *demo = data;

  /* The server dropped every held answer before it let go of its hooks. */
  g_warn_if_fail (demo->held_refreshes->len == 0);
  g_ptr_array_unref (demo->held_refreshes);
  g_hash_table_unref (demo->resources_by_status);
  g_free (demo);
}

/* ------------------------------------------------------------------------- */
/* Hooked into the API                                                       */

static void
demo_exchanged (gpointer           data,
                SoupServerMessage *msg,
                TgServerExchange   exchange)
{
  TgServerDemo *demo = data;
  gpointer key;

  switch (exchange)
    {
    case TG_SERVER_EXCHANGE_SIGN_IN:
      demo->sign_ins++;
      break;
    case TG_SERVER_EXCHANGE_SIGN_IN_REJECTED:
      demo->sign_ins_rejected++;
      break;
    case TG_SERVER_EXCHANGE_REFRESH:
      demo->refreshes++;
      break;
    case TG_SERVER_EXCHANGE_REFRESH_REUSED:
      demo->reuse_detections++;
      G_GNUC_FALLTHROUGH;
    case TG_SERVER_EXCHANGE_REFRESH_REJECTED:
      demo->refreshes_rejected++;
      break;
    case TG_SERVER_EXCHANGE_REVOCATION:
      demo->revocations++;
      break;
    case TG_SERVER_EXCHANGE_RESOURCE:
      key = GUINT_TO_POINTER (soup_server_message_get_status (msg));
      g_hash_table_insert (demo->resources_by_status, key,
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (demo->resources_by_status, key)) + 1));
      break;
    case TG_SERVER_EXCHANGE_FAILED:
    default:
      break;
    }
}

/* For a resource, the demo latency plus a uniformly random jitter, so that
 * the 401s of a burst arrive spread out as on real networks — the case where
 * the posts' shared promise starts several refreshes. For a refresh, a slow
 * token endpoint, so that a person (or a test) can watch the requests wait at
 * the client's gate. */
static guint
demo_answer_delay_ms (TgServerDemo     *demo,
                      TgServerExchange  exchange)
{
  guint32 random = 0;

  if (exchange == TG_SERVER_EXCHANGE_REFRESH)
    return demo->refresh_latency_ms;
  if (demo->jitter_ms == 0)
    return demo->latency_ms;

  tg_crypto_random_bytes ((guint8 *) &random, sizeof random);
  return demo->latency_ms + random % (demo->jitter_ms + 1);
}

/* A successful refresh's answer, held until holdRefreshes is unset. */
typedef struct {
  TgServerDemo *demo;
  GSource      *timer;  /* unowned: the server's, valid until held_refresh_free() */
} HeldRefresh;

static void
held_refresh_free (gpointer data)
{
  HeldRefresh *held = data;

  g_ptr_array_remove_fast (held->demo->held_refreshes, held);
  g_free (held);
}

/* On the server's delay timer, so that stopping the server, or the client
 * leaving, lets go of the answer as it does of a slow one. The timer is a
 * minute, the longest delay a setting can ask for: a hold nobody lifts (a test
 * that failed half-way) must not keep a client's refresh, and every request
 * waiting behind it, forever. */
static void
hold_refresh_answer (TgServerDemo      *demo,
                     SoupServerMessage *msg)
{
  HeldRefresh *held = g_new0 (HeldRefresh, 1);

  held->demo = demo;
  held->timer = _tg_server_delay_then (demo->server, msg, MAX_DELAY_MS, NULL, held, held_refresh_free);
  g_ptr_array_add (demo->held_refreshes, held);
}

/* Sends every held answer on the next turn of the server's main loop: each
 * timer fires then, and its held_refresh_free() takes it out of the array. */
static void
release_refresh_answers (TgServerDemo *demo)
{
  for (guint i = 0; i < demo->held_refreshes->len; i++)
    {
      HeldRefresh *held = g_ptr_array_index (demo->held_refreshes, i);

      g_source_set_ready_time (held->timer, 0);
    }
}

static void
demo_delay_answer (gpointer           data,
                   SoupServerMessage *msg,
                   TgServerExchange   exchange)
{
  TgServerDemo *demo = data;
  guint delay_ms;

  if (exchange == TG_SERVER_EXCHANGE_REFRESH && demo->hold_refreshes)
    {
      hold_refresh_answer (demo, msg);
      return;
    }

  delay_ms = demo_answer_delay_ms (demo, exchange);
  if (delay_ms > 0)
    _tg_server_delay_then (demo->server, msg, delay_ms, NULL, NULL, NULL);
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

/* If a refresh fault is armed, uses it up. For every kind but "lost-answer" it
 * is applied to @msg here: the refresh is not processed and the presented
 * token stays valid, so a client that keeps its session can try again later.
 * A "lost-answer" lets the refresh be processed for real, and then drops the
 * answer (demo_withhold_answer()). */
static TgServerRefreshFate
demo_before_refresh (gpointer           data,
                     SoupServerMessage *msg)
{
  TgServerDemo *demo = data;
  TgRefreshFault *fault = &demo->refresh_fault;
  g_autoptr(GIOStream) stream = NULL;

  if (fault->count == 0 || fault->kind == TG_FAULT_NONE)
    return TG_SERVER_REFRESH_PROCEED;

  fault->count--;
  demo->faults_injected++;

  switch (fault->kind)
    {
    case TG_FAULT_STATUS:
      _tg_server_reply_error (msg, fault->status, "temporarily_unavailable",
                              "injected fault");
      break;

    case TG_FAULT_HANG:
      _tg_server_delay_then (demo->server, msg, fault->hang_ms,
                             reply_fault_unavailable_cb, g_object_ref (msg), g_object_unref);
      break;

    case TG_FAULT_DROP:
      /* Taking the connection away from libsoup and closing it is what a crashed
       * proxy looks like to the client: no status line at all. */
      stream = soup_server_message_steal_connection (msg);
      g_io_stream_close (stream, NULL, NULL);
      break;

    case TG_FAULT_LOST_ANSWER:
      return TG_SERVER_REFRESH_WITHHOLD;

    case TG_FAULT_NONE:
    default:
      g_assert_not_reached ();
    }

  return TG_SERVER_REFRESH_ANSWERED;
}

/* Closes @msg's connection without sending the answer the refresh left on it.
 * The rotation is committed by now: the client that sent it still holds the
 * presented token, which the server has used up — the answer that dies after
 * the commit (a crash, a proxy timeout, a phone going into a tunnel). Whether
 * the client can recover is up to the reuse-grace window: within it, the
 * retried refresh gets this same pair again; without it, the retry is a reuse
 * and ends the session (RFC 9700 §4.14.2). */
static void
demo_withhold_answer (gpointer           data,
                      SoupServerMessage *msg)
{
  TgServerDemo *demo = data;
  g_autoptr(GIOStream) stream = soup_server_message_steal_connection (msg);

  demo->lost_answers++;
  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

static const TgServerHooks demo_hooks = {
  .exchanged = demo_exchanged,
  .delay_answer = demo_delay_answer,
  .before_refresh = demo_before_refresh,
  .withhold_answer = demo_withhold_answer,
};

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
stats_handler (TgServer          *self,
               SoupServerMessage *msg,
               const char        *path,
               gpointer           data)
{
  TgServerDemo *demo = data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  GHashTableIter iter;
  gpointer key, value;

  if (!demo_request_allowed (msg) || !_tg_server_check_method (msg, SOUP_METHOD_GET, NULL))
    return;

  json_builder_begin_object (builder);
  tg_json_builder_add_int_member (builder, "signIns", demo->sign_ins);
  tg_json_builder_add_int_member (builder, "signInsRejected", demo->sign_ins_rejected);
  json_builder_set_member_name (builder, "refreshes");
  json_builder_begin_object (builder);
  tg_json_builder_add_int_member (builder, "ok", demo->refreshes);
  tg_json_builder_add_int_member (builder, "rejected", demo->refreshes_rejected);
  json_builder_end_object (builder);
  tg_json_builder_add_int_member (builder, "reuseDetections", demo->reuse_detections);
  tg_json_builder_add_int_member (builder, "revocations", demo->revocations);
  tg_json_builder_add_int_member (builder, "faultsInjected", demo->faults_injected);
  tg_json_builder_add_int_member (builder, "lostAnswers", demo->lost_answers);
  /* Not a count since start: how many refresh answers holdRefreshes holds now. */
  tg_json_builder_add_int_member (builder, "refreshesHeld", demo->held_refreshes->len);
  json_builder_set_member_name (builder, "resources");
  json_builder_begin_object (builder);
  g_hash_table_iter_init (&iter, demo->resources_by_status);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      char status[16];

      g_snprintf (status, sizeof status, "%u", GPOINTER_TO_UINT (key));
      tg_json_builder_add_int_member (builder, status, GPOINTER_TO_UINT (value));
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  _tg_server_reply_builder (msg, SOUP_STATUS_OK, builder);
}

static void
expire_access_tokens_handler (TgServer          *self,
                              SoupServerMessage *msg,
                              const char        *path,
                              gpointer           data)
{
  g_autoptr(GError) error = NULL;

  if (!demo_request_allowed (msg) || !_tg_server_check_method (msg, SOUP_METHOD_POST, NULL))
    return;

  if (!_tg_server_expire_access_tokens (self, &error))
    {
      _tg_server_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "server_error",
                              "could not store the new epoch");
      return;
    }

  _tg_server_reply_empty (msg);
}

static void
revoke_refresh_tokens_handler (TgServer          *self,
                               SoupServerMessage *msg,
                               const char        *path,
                               gpointer           data)
{
  TgServerDemo *demo = data;
  g_autoptr(GError) error = NULL;

  if (!demo_request_allowed (msg) || !_tg_server_check_method (msg, SOUP_METHOD_POST, NULL))
    return;

  if (!_tg_server_revoke_all_sessions (self, &error))
    {
      _tg_server_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "server_error",
                              "could not revoke the sessions");
      return;
    }
  demo->revocations++;

  _tg_server_reply_empty (msg);
}

static void
reply_settings (TgServerDemo      *demo,
                SoupServerMessage *msg)
{
  TgServerSettings *live = &demo->server->live;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  TgRefreshFault *fault = &demo->refresh_fault;

  json_builder_begin_object (builder);
  tg_json_builder_add_int_member (builder, "accessTtl", live->access_ttl);
  tg_json_builder_add_int_member (builder, "reuseGrace", live->reuse_grace);
  tg_json_builder_add_int_member (builder, "latencyMs", demo->latency_ms);
  tg_json_builder_add_int_member (builder, "jitterMs", demo->jitter_ms);
  tg_json_builder_add_int_member (builder, "refreshLatencyMs", demo->refresh_latency_ms);
  json_builder_set_member_name (builder, "holdRefreshes");
  json_builder_add_boolean_value (builder, demo->hold_refreshes);
  json_builder_set_member_name (builder, "refreshFault");
  if (fault->count == 0 || fault->kind == TG_FAULT_NONE)
    json_builder_add_null_value (builder);
  else
    {
      json_builder_begin_object (builder);
      tg_json_builder_add_string_member (builder, "kind", fault_names[fault->kind]);
      if (fault->kind == TG_FAULT_STATUS)
        tg_json_builder_add_int_member (builder, "status", fault->status);
      if (fault->kind == TG_FAULT_HANG)
        tg_json_builder_add_int_member (builder, "hangMs", fault->hang_ms);
      tg_json_builder_add_int_member (builder, "count", fault->count);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  _tg_server_reply_builder (msg, SOUP_STATUS_OK, builder);
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

/* Reads member @name of @object as a boolean, like read_int(). */
static gboolean
read_bool (JsonObject  *object,
           const char  *name,
           gboolean    *out,
           GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s must be true or false", name);
      return FALSE;
    }

  *out = json_node_get_boolean (node);
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
  /* "none" is no kind to arm: null disarms. */
  for (guint i = TG_FAULT_NONE + 1; i < G_N_ELEMENTS (fault_names); i++)
    if (strcmp (kind, fault_names[i]) == 0)
      out->kind = i;
  if (out->kind == TG_FAULT_NONE)
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
settings_handler (TgServer          *self,
                  SoupServerMessage *msg,
                  const char        *path,
                  gpointer           data)
{
  static const char * const known[] = {
    "accessTtl", "reuseGrace", "latencyMs", "jitterMs", "refreshLatencyMs", "holdRefreshes",
    "refreshFault", NULL
  };
  TgServerDemo *demo = data;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  gint64 access_ttl = self->live.access_ttl;
  gint64 reuse_grace = self->live.reuse_grace;
  gint64 latency_ms = demo->latency_ms;
  gint64 jitter_ms = demo->jitter_ms;
  gint64 refresh_latency_ms = demo->refresh_latency_ms;
  gboolean hold_refreshes = demo->hold_refreshes;
  TgRefreshFault fault = demo->refresh_fault;

  if (!demo_request_allowed (msg) ||
      !_tg_server_check_method (msg, SOUP_METHOD_GET, SOUP_METHOD_PUT, NULL))
    return;

  if (strcmp (soup_server_message_get_method (msg), SOUP_METHOD_PUT) != 0)
    {
      reply_settings (demo, msg);
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
      !read_bool (body, "holdRefreshes", &hold_refreshes, &error) ||
      (json_object_has_member (body, "refreshFault") &&
       !read_fault (json_object_get_member (body, "refreshFault"), &fault, &error)))
    {
      _tg_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request", error->message);
      return;
    }

  self->live.access_ttl = access_ttl;
  self->live.reuse_grace = reuse_grace;
  demo->latency_ms = (guint) latency_ms;
  demo->jitter_ms = (guint) jitter_ms;
  demo->refresh_latency_ms = (guint) refresh_latency_ms;
  demo->hold_refreshes = hold_refreshes;
  demo->refresh_fault = fault;
  if (!hold_refreshes)
    release_refresh_answers (demo);

  reply_settings (demo, msg);
}

/* ------------------------------------------------------------------------- */

/**
 * _tg_server_demo_attach:
 *
 * Plugs the demo into a server that is starting: its hooks always (the
 * latency and jitter properties apply with the controls off too), its
 * endpoints when #TgServer:demo-controls is on. The state lives until the
 * server stops.
 */
void
_tg_server_demo_attach (TgServer *self)
{
  TgServerDemo *demo = g_new0 (TgServerDemo, 1);

  demo->server = self;
  demo->latency_ms = self->latency_ms;
  demo->jitter_ms = self->jitter_ms;
  demo->resources_by_status = g_hash_table_new (NULL, NULL);
  demo->held_refreshes = g_ptr_array_new ();
  _tg_server_set_hooks (self, &demo_hooks, demo, demo_free);

  if (!self->demo_controls)
    return;
  _tg_server_route (self, "/demo/stats", FALSE, stats_handler, demo);
  _tg_server_route (self, "/demo/expire-access-tokens", FALSE, expire_access_tokens_handler, demo);
  _tg_server_route (self, "/demo/revoke-refresh-tokens", FALSE, revoke_refresh_tokens_handler, demo);
  _tg_server_route (self, "/demo/settings", FALSE, settings_handler, demo);
}
