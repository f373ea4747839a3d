/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SimTransport: a TgTransport answered in-process, under the virtual clock,
 * by SimServer: a scripted model of the seed protocol's authorization server
 * (sign-in, single-use rotating refresh tokens with an optional reuse grace)
 * and of a resource server (200 for the current access token, 401
 * invalid_token otherwise).
 *
 * Tokens are "a.<family>.<serial>" and "r.<family>.<serial>": the serial is
 * the server's generation of the pair, the only thing the trace ever shows.
 *
 * An exchange has two instants: when the server processes it (its state
 * changes: a refresh token is consumed) and when the answer reaches the
 * client. They differ for a "late" answer; a "lost" one is processed and then
 * the connection drops; a "never" one is not processed until cancelled.
 * Cancelling closes the connection: what the server has not processed yet it
 * never will, and an answer not yet delivered is thrown away.
 */
#define G_LOG_DOMAIN "tg-sim"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "sim.h"

/* What became of the answer to a refresh that consumed a token. */
typedef enum {
  FATE_PENDING,    /* on its way */
  FATE_RECEIVED,   /* the client got the 2xx */
  FATE_LOST,       /* the connection dropped after processing: not the client's doing */
  FATE_CUT,        /* the client cancelled (its deadline, a sign-out) before it came */
} Fate;

typedef struct {
  gint64 at;             /* when it was consumed */
  guint  answer_serial;  /* the pair it was exchanged for */
  Fate   fate;
  gint64 received_at;
} Consumed;

struct _SimServer
{
  GRand           *rand;     /* unowned: the schedule's */
  SimClock        *clock;    /* unowned */
  SimTrace        *trace;    /* unowned */
  SimServerConfig  config;

  guint            next_serial;
  guint            family;           /* the current session at the server; 0: none */
  gboolean         family_revoked;
  gboolean         revoked_by_replay;  /* ... because the client replayed a token
                                          whose answer it could have had */
  guint            access_serial;    /* the current access token */
  gint64           access_expires;   /* µs, virtual */
  gint64           access_dies;      /* early expiry or revocation, µs; G_MAXINT64: none */
  guint            refresh_serial;   /* the current, unused refresh token */
  GHashTable      *consumed;         /* serial -> Consumed*, owned */
  GHashTable      *first_attempts;   /* request id -> access serial of attempt 1 */

  SimServerStats   stats;
};

typedef enum {
  KIND_RESOURCE,
  KIND_REFRESH,
  KIND_SIGN_IN,
  KIND_OTHER,
} Kind;

struct _SimTransport
{
  GObject    parent_instance;

  SimServer *server;   /* unowned: outlives the transports */
  SimClock  *clock;    /* owned */
  char      *name;
  GQueue     exchanges;  /* Exchange*, owned: in flight */
  guint      next_id;
};

/* Rule 6: was an invalid_grant the server's own verdict, or the client's doing? */
typedef enum {
  VERDICT_NONE,
  VERDICT_SERVER,       /* revoked by the server, or a replay after a lost answer */
  VERDICT_CLIENT,       /* a replay of a token whose answer was late, cut off or received */
} Verdict;

typedef struct {
  SimTransport      *transport;  /* unowned: the task holds it */
  GTask             *task;       /* owned */
  GCancellable      *cancellable;  /* owned, nullable */
  gulong             cancel_id;
  GSource           *timer;      /* unowned, nullable: the next step */
  guint              id;
  Kind               kind;
  guint              request_id;
  guint              attempt;
  guint              presented;  /* serial of the token presented */
  SimRefreshOutcome  outcome;
  TgHttpReply       *reply;      /* owned, nullable: the answer, once processed */
  GError            *error;      /* owned, nullable */
  guint              consumed;   /* serial of the refresh token it consumed, or 0 */
  Verdict            verdict;
  gboolean           counted;    /* counts as a refresh in flight */
  gboolean           cancelled;
} Exchange;

static void sim_transport_iface_init (TgTransportInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SimTransport, sim_transport, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TG_TYPE_TRANSPORT, sim_transport_iface_init))

static const char *outcome_names[SIM_N_REFRESH_OUTCOMES] = {
  "ok", "503", "502", "504", "429", "refused", "lost", "invalid_grant", "late", "never",
};

guint
sim_token_serial (const char *token)
{
  const char *dot;

  if (token == NULL || (dot = strrchr (token, '.')) == NULL)
    return 0;
  return (guint) g_ascii_strtoull (dot + 1, NULL, 10);
}

static guint
token_family (const char *token)
{
  if (token == NULL || strlen (token) < 3)
    return 0;
  return (guint) g_ascii_strtoull (token + 2, NULL, 10);
}

/* A string member of a JSON body; bodies are not NUL-terminated. */
static char *
body_member (GBytes     *body,
             const char *name)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (body, &size);
  g_autofree char *text = g_strndup (data, size);
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  g_assert (node != NULL && JSON_NODE_HOLDS_OBJECT (node));
  return g_strdup (json_object_get_string_member (json_node_get_object (node), name));
}

/* ------------------------------------------------------------------------- */
/* The server                                                                */

SimServer *
sim_server_new (GRand                 *rand,
                SimClock              *clock,
                SimTrace              *trace,
                const SimServerConfig *config)
{
  SimServer *server = g_new0 (SimServer, 1);

  server->rand = rand;
  server->clock = clock;
  server->trace = trace;
  server->config = *config;
  server->consumed = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  server->first_attempts = g_hash_table_new (NULL, NULL);
  return server;
}

void
sim_server_free (SimServer *server)
{
  g_hash_table_unref (server->consumed);
  g_hash_table_unref (server->first_attempts);
  g_free (server->stats.first_replay);
  g_free (server->stats.first_stale_retry);
  g_free (server);
}

SimServerStats *
sim_server_get_stats (SimServer *server)
{
  return &server->stats;
}

/* Rule 6 is judged per session: what ended an earlier one does not count. */
void
sim_server_reset_session_facts (SimServer *server)
{
  server->stats.delivered_invalid_grant_justified = 0;
  server->stats.delivered_invalid_grant_after_late = 0;
  server->stats.delivered_401_current = 0;
}

static TgHttpReply *
json_reply (guint       status,
            const char *json)
{
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));

  soup_message_headers_replace (headers, "Content-Type", "application/json");
  return tg_http_reply_new (status, headers, body);
}

static TgHttpReply *
pair_reply (SimServer *server)
{
  gint64 now = sim_clock_now (server->clock);
  gint64 left = (server->access_expires - now) / G_USEC_PER_SEC;
  g_autofree char *json = NULL;

  /* A replayed pair is the same pair: it says how long it has left. */
  json = g_strdup_printf ("{\"authorizationToken\":\"a.%u.%u\",\"refreshToken\":\"r.%u.%u\","
                          "\"expiresIn\":%" G_GINT64_FORMAT "}",
                          server->family, server->access_serial,
                          server->family, server->refresh_serial, MAX (left, 1));
  return json_reply (SOUP_STATUS_OK, json);
}

static void
issue_pair (SimServer *server)
{
  gint64 now = sim_clock_now (server->clock);
  gint64 lifetime = server->config.token_lifetime_s * G_USEC_PER_SEC;

  server->access_serial = server->refresh_serial = ++server->next_serial;
  server->access_expires = now + lifetime;
  /* Tokens can be revoked early: the 401 path stays the fallback (rule 4). */
  server->access_dies = G_MAXINT64;
  if (g_rand_double (server->rand) < server->config.early_expiry)
    server->access_dies = now + g_rand_int_range (server->rand, 0, (gint32) MIN (lifetime, G_MAXINT32 / 2) + 1);
}

static TgHttpReply *
process_sign_in (SimServer *server)
{
  server->family++;
  server->family_revoked = FALSE;
  server->revoked_by_replay = FALSE;
  issue_pair (server);
  sim_trace (server->trace, "server: sign-in, family %u, pair #%u", server->family, server->access_serial);
  return pair_reply (server);
}

static TgHttpReply *
invalid_grant (void)
{
  return json_reply (SOUP_STATUS_BAD_REQUEST,
                     "{\"error\":\"invalid_grant\",\"error_description\":\"refresh token not valid\"}");
}

/* A refresh the server gets to see. */
static TgHttpReply *
process_refresh (SimServer *server,
                 Exchange  *exchange,
                 guint      family)
{
  gint64 now = sim_clock_now (server->clock);
  guint serial = exchange->presented;
  Consumed *consumed;

  if (family != server->family || server->family_revoked)
    {
      exchange->verdict = family == server->family && server->revoked_by_replay ? VERDICT_CLIENT : VERDICT_SERVER;
      sim_trace (server->trace, "server: refresh r#%u of a dead family -> invalid_grant", serial);
      return invalid_grant ();
    }

  if (exchange->outcome == SIM_REFRESH_INVALID)
    {
      /* The server revoked the session on its own (an administrator, a
       * password change): the one verdict that must sign the client out. */
      server->family_revoked = TRUE;
      exchange->verdict = VERDICT_SERVER;
      sim_trace (server->trace, "server: family %u revoked; r#%u -> invalid_grant", family, serial);
      return invalid_grant ();
    }

  if (serial == server->refresh_serial)
    {
      consumed = g_new0 (Consumed, 1);
      consumed->at = now;
      issue_pair (server);
      consumed->answer_serial = server->access_serial;
      g_hash_table_insert (server->consumed, GUINT_TO_POINTER (serial), consumed);
      exchange->consumed = serial;
      sim_trace (server->trace, "server: r#%u consumed -> pair #%u", serial, server->access_serial);
      return pair_reply (server);
    }

  consumed = g_hash_table_lookup (server->consumed, GUINT_TO_POINTER (serial));
  g_assert (consumed != NULL);

  if (server->config.grace_us > 0 && now - consumed->at <= server->config.grace_us &&
      consumed->answer_serial == server->access_serial)
    {
      sim_trace (server->trace, "server: r#%u replayed within grace -> same pair #%u",
                 serial, server->access_serial);
      return pair_reply (server);
    }

  /* RFC 6819 §5.2.2.3 / OAuth security BCP: reuse of a rotated refresh token
   * revokes the whole family. */
  server->family_revoked = TRUE;
  sim_trace (server->trace, "server: r#%u replayed (its answer was %s) -> invalid_grant, family %u revoked",
             serial,
             consumed->fate == FATE_LOST ? "lost" : consumed->fate == FATE_CUT ? "cut off by the client"
             : consumed->fate == FATE_RECEIVED ? "received" : "still on its way",
             family);
  /* Whether that verdict was the client's own doing (rule 6): only a lost
   * answer leaves it no better choice than to present the token again. */
  exchange->verdict = consumed->fate == FATE_LOST ? VERDICT_SERVER : VERDICT_CLIENT;
  server->revoked_by_replay = exchange->verdict == VERDICT_CLIENT;
  return invalid_grant ();
}

static TgHttpReply *
process_resource (SimServer  *server,
                  Exchange   *exchange,
                  const char *token)
{
  gint64 now = sim_clock_now (server->clock);
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(GBytes) body = NULL;
  guint serial = sim_token_serial (token);

  if (token_family (token) == server->family && !server->family_revoked &&
      serial == server->access_serial && now < server->access_expires && now < server->access_dies)
    return json_reply (SOUP_STATUS_OK, "{\"ok\":true}");

  headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  soup_message_headers_replace (headers, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
  body = g_bytes_new_static ("", 0);
  return tg_http_reply_new (SOUP_STATUS_UNAUTHORIZED, headers, body);
}

/* ------------------------------------------------------------------------- */
/* Exchanges                                                                 */

static void
exchange_free (Exchange *exchange)
{
  g_clear_object (&exchange->task);
  g_clear_object (&exchange->cancellable);
  g_clear_pointer (&exchange->reply, tg_http_reply_free);
  g_clear_error (&exchange->error);
  g_free (exchange);
}

static const char *
kind_name (Kind kind)
{
  return kind == KIND_REFRESH ? "refresh" : kind == KIND_SIGN_IN ? "sign-in" : "request";
}

static void
uncount (Exchange *exchange)
{
  if (exchange->counted)
    {
      exchange->counted = FALSE;
      exchange->transport->server->stats.refreshes_in_flight--;
    }
}

static void
set_fate (Exchange *exchange,
          Fate      fate)
{
  SimServer *server = exchange->transport->server;
  Consumed *consumed;

  if (exchange->consumed == 0)
    return;
  consumed = g_hash_table_lookup (server->consumed, GUINT_TO_POINTER (exchange->consumed));
  if (consumed != NULL && consumed->fate == FATE_PENDING)
    {
      consumed->fate = fate;
      consumed->received_at = sim_clock_now (server->clock);
    }
}

/* The answer (or error) reaches the client: the end of the exchange. */
static void
deliver (Exchange *exchange)
{
  SimTransport *self = exchange->transport;
  SimServer *server = self->server;
  SimServerStats *stats = &server->stats;
  GTask *task = g_steal_pointer (&exchange->task);

  if (exchange->timer != NULL)
    g_source_destroy (g_steal_pointer (&exchange->timer));
  if (exchange->cancel_id != 0)
    g_signal_handler_disconnect (exchange->cancellable, exchange->cancel_id);
  exchange->cancel_id = 0;
  g_queue_remove (&self->exchanges, exchange);
  stats->exchanges_in_flight--;
  uncount (exchange);

  if (exchange->error != NULL)
    {
      if (exchange->kind == KIND_RESOURCE)
        sim_trace (server->trace, "request %u attempt %u (x%u) <- %s", exchange->request_id,
                   exchange->attempt, exchange->id, exchange->error->message);
      else
        sim_trace (server->trace, "%s x%u <- %s", kind_name (exchange->kind), exchange->id,
                   exchange->error->message);
      g_task_return_error (task, g_steal_pointer (&exchange->error));
    }
  else
    {
      guint status = exchange->reply->status;

      if (exchange->kind == KIND_RESOURCE)
        {
          sim_trace (server->trace, "request %u attempt %u (x%u, #%u) <- %u", exchange->request_id,
                     exchange->attempt, exchange->id, exchange->presented, status);
          if (status == SOUP_STATUS_UNAUTHORIZED && exchange->presented == stats->newest_delivered_serial)
            stats->delivered_401_current++;
        }
      else if (SOUP_STATUS_IS_SUCCESSFUL (status))
        {
          g_autofree char *token = body_member (exchange->reply->body, "authorizationToken");

          set_fate (exchange, FATE_RECEIVED);
          stats->newest_delivered_serial = MAX (stats->newest_delivered_serial, sim_token_serial (token));
          sim_trace (server->trace, "%s x%u <- %u, pair #%u", kind_name (exchange->kind), exchange->id,
                     status, sim_token_serial (token));
          if (exchange->kind == KIND_SIGN_IN)
            sim_server_reset_session_facts (server);
        }
      else
        {
          sim_trace (server->trace, "%s x%u <- %u", kind_name (exchange->kind), exchange->id, status);
          if (exchange->verdict == VERDICT_SERVER)
            stats->delivered_invalid_grant_justified++;
          else if (exchange->verdict == VERDICT_CLIENT)
            stats->delivered_invalid_grant_after_late++;
        }
      g_task_return_pointer (task, g_steal_pointer (&exchange->reply), (GDestroyNotify) tg_http_reply_free);
    }

  g_object_unref (task);
  exchange_free (exchange);
}

static gboolean
on_delivery (gpointer user_data)
{
  Exchange *exchange = user_data;

  exchange->timer = NULL;
  deliver (exchange);
  return G_SOURCE_REMOVE;
}

static gint64
draw_latency (SimServer *server)
{
  /* Mostly quick, sometimes slow: up to 0.9 s. */
  return g_rand_int_range (server->rand, 1, 900) * 1000;
}

static gboolean
on_processed (gpointer user_data)
{
  Exchange *exchange = user_data;
  SimTransport *self = exchange->transport;
  SimServer *server = self->server;
  SoupMessage *msg = g_task_get_task_data (exchange->task);
  gint64 delay = 0;

  exchange->timer = NULL;

  switch (exchange->kind)
    {
    case KIND_SIGN_IN:
      exchange->reply = process_sign_in (server);
      break;
    case KIND_RESOURCE:
      {
        const char *authorization = soup_message_headers_get_one (soup_message_get_request_headers (msg),
                                                                  "Authorization");
        exchange->reply = process_resource (server, exchange,
                                            authorization != NULL ? authorization + strlen ("Bearer ") : NULL);
      }
      break;
    case KIND_OTHER:
      exchange->reply = json_reply (SOUP_STATUS_NOT_FOUND, "{}");
      break;
    case KIND_REFRESH:
      switch (exchange->outcome)
        {
        case SIM_REFRESH_503:
        case SIM_REFRESH_502:
        case SIM_REFRESH_504:
          exchange->reply = json_reply (exchange->outcome == SIM_REFRESH_503 ? 503 :
                                        exchange->outcome == SIM_REFRESH_502 ? 502 : 504, "{}");
          break;
        case SIM_REFRESH_429:
          {
            g_autofree char *after = g_strdup_printf ("%d", g_rand_int_range (server->rand, 0, 4));

            exchange->reply = json_reply (429, "{}");
            soup_message_headers_replace (exchange->reply->headers, "Retry-After", after);
          }
          break;
        case SIM_REFRESH_REFUSED:
          exchange->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                                                 "Connection refused (sim)");
          break;
        default:
          {
            g_autoptr(TgHttpReply) reply = NULL;
            g_autofree char *token = body_member (tg_message_get_request_body (msg), "refreshToken");

            reply = process_refresh (server, exchange, token_family (token));
            if (exchange->outcome == SIM_REFRESH_LOST)
              {
                set_fate (exchange, FATE_LOST);
                exchange->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                                       "Connection terminated unexpectedly (sim)");
              }
            else
              {
                exchange->reply = g_steal_pointer (&reply);
              }
            if (exchange->outcome == SIM_REFRESH_LATE)
              delay = server->config.refresh_timeout_us +
                      g_rand_int_range (server->rand, 100, 30000) * (gint64) 1000;
          }
        }
      break;
    }

  if (delay == 0)
    {
      deliver (exchange);
      return G_SOURCE_REMOVE;
    }
  sim_trace (server->trace, "refresh x%u: answer on its way, %" G_GINT64_FORMAT " ms", exchange->id,
             delay / 1000);
  exchange->timer = sim_clock_call_later (self->clock, delay, on_delivery, exchange, NULL);
  return G_SOURCE_REMOVE;
}

/* Closing the connection: nothing more is processed, nothing delivered but
 * the cancellation — in a later main-loop turn, as libsoup does it. */
static void
exchange_cancel (Exchange *exchange)
{
  if (exchange->cancelled)
    return;
  exchange->cancelled = TRUE;
  sim_trace (exchange->transport->server->trace, "%s x%u cancelled", kind_name (exchange->kind), exchange->id);
  if (exchange->timer != NULL)
    g_source_destroy (g_steal_pointer (&exchange->timer));
  uncount (exchange);
  set_fate (exchange, FATE_CUT);
  g_clear_pointer (&exchange->reply, tg_http_reply_free);
  g_clear_error (&exchange->error);
  exchange->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  exchange->timer = sim_clock_call_later (exchange->transport->clock, 0, on_delivery, exchange, NULL);
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  exchange_cancel (user_data);
}

static SimRefreshOutcome
draw_outcome (SimServer *server)
{
  guint total = 0;
  guint pick;

  for (guint i = 0; i < SIM_N_REFRESH_OUTCOMES; i++)
    total += server->config.weights[i];
  pick = g_rand_int_range (server->rand, 0, (gint32) total);
  for (guint i = 0; i < SIM_N_REFRESH_OUTCOMES; i++)
    {
      if (pick < server->config.weights[i])
        return i;
      pick -= server->config.weights[i];
    }
  g_assert_not_reached ();
}

static void
sim_transport_send_async (TgTransport         *transport,
                          SoupMessage         *msg,
                          int                  io_priority,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  SimTransport *self = SIM_TRANSPORT (transport);
  SimServer *server = self->server;
  SimServerStats *stats = &server->stats;
  const char *path = g_uri_get_path (soup_message_get_uri (msg));
  Exchange *exchange = g_new0 (Exchange, 1);
  gint64 delay = draw_latency (server);

  exchange->transport = self;
  exchange->id = ++self->next_id;
  exchange->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (exchange->task, sim_transport_send_async);
  /* We say CANCELLED ourselves, when the connection is closed. */
  g_task_set_check_cancellable (exchange->task, FALSE);
  g_task_set_task_data (exchange->task, g_object_ref (msg), g_object_unref);
  g_queue_push_tail (&self->exchanges, exchange);
  stats->exchanges_in_flight++;

  if (g_str_has_prefix (path, SIM_RESOURCE_PREFIX))
    {
      const char *authorization = soup_message_headers_get_one (soup_message_get_request_headers (msg),
                                                                "Authorization");
      gpointer first = NULL;

      exchange->kind = KIND_RESOURCE;
      exchange->request_id = (guint) g_ascii_strtoull (path + strlen (SIM_RESOURCE_PREFIX), NULL, 10);
      exchange->presented = authorization != NULL ? sim_token_serial (authorization) : 0;
      stats->max_sent_serial = MAX (stats->max_sent_serial, exchange->presented);
      if (g_hash_table_lookup_extended (server->first_attempts, GUINT_TO_POINTER (exchange->request_id),
                                        NULL, &first))
        {
          exchange->attempt = 2;
          /* Rule 2/3: a retry goes out with a newer token than the one refused. */
          if (exchange->presented <= GPOINTER_TO_UINT (first))
            {
              if (stats->stale_retries++ == 0)
                stats->first_stale_retry =
                  g_strdup_printf ("request %u: attempt 2 carried #%u, attempt 1 had carried #%u",
                                   exchange->request_id, exchange->presented, GPOINTER_TO_UINT (first));
            }
        }
      else
        {
          exchange->attempt = 1;
          g_hash_table_insert (server->first_attempts, GUINT_TO_POINTER (exchange->request_id),
                               GUINT_TO_POINTER (exchange->presented));
        }
      sim_trace (server->trace, "request %u attempt %u sent (x%u) with #%u", exchange->request_id,
                 exchange->attempt, exchange->id, exchange->presented);
    }
  else if (g_str_has_suffix (path, "/authorization/refresh"))
    {
      g_autofree char *token = body_member (tg_message_get_request_body (msg), "refreshToken");
      Consumed *consumed;

      exchange->kind = KIND_REFRESH;
      exchange->presented = sim_token_serial (token);
      exchange->outcome = draw_outcome (server);
      exchange->counted = TRUE;
      stats->refreshes_in_flight++;
      stats->max_refreshes_in_flight = MAX (stats->max_refreshes_in_flight, stats->refreshes_in_flight);

      /* Rule 1: a refresh token whose 2xx the client received is spent; the
       * client has no business presenting it again. */
      consumed = g_hash_table_lookup (server->consumed, GUINT_TO_POINTER (exchange->presented));
      if (consumed != NULL && consumed->fate == FATE_RECEIVED && stats->replays_of_received++ == 0)
        stats->first_replay =
          g_strdup_printf ("r#%u presented again at %.3f s; its 2xx (pair #%u) had reached the client at %.3f s",
                           exchange->presented, sim_clock_now (self->clock) / 1e6,
                           consumed->answer_serial, consumed->received_at / 1e6);

      sim_trace (server->trace, "refresh x%u sent with r#%u (%u in flight), will be: %s", exchange->id,
                 exchange->presented, stats->refreshes_in_flight, outcome_names[exchange->outcome]);
      if (exchange->outcome == SIM_REFRESH_REFUSED)
        delay = g_rand_int_range (server->rand, 1, 50) * 1000;
    }
  else if (g_str_has_suffix (path, "/authorization/token"))
    {
      exchange->kind = KIND_SIGN_IN;
      sim_trace (server->trace, "sign-in x%u sent", exchange->id);
    }
  else
    {
      exchange->kind = KIND_OTHER;
    }

  if (cancellable != NULL)
    exchange->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), exchange, NULL);
  exchange->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  if (exchange->cancelled)
    return;
  if (exchange->kind == KIND_REFRESH && exchange->outcome == SIM_REFRESH_NEVER)
    return;
  exchange->timer = sim_clock_call_later (self->clock, delay, on_processed, exchange, NULL);
}

static TgHttpReply *
sim_transport_send_finish (TgTransport   *transport,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, transport), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
sim_transport_abort (TgTransport *transport)
{
  SimTransport *self = SIM_TRANSPORT (transport);

  for (GList *l = self->exchanges.head; l != NULL; l = l->next)
    exchange_cancel (l->data);
}

static void
sim_transport_iface_init (TgTransportInterface *iface)
{
  iface->send_async = sim_transport_send_async;
  iface->send_finish = sim_transport_send_finish;
  iface->abort = sim_transport_abort;
}

static void
sim_transport_finalize (GObject *object)
{
  SimTransport *self = SIM_TRANSPORT (object);

  /* Each exchange's task holds the transport. */
  g_assert (g_queue_is_empty (&self->exchanges));
  g_clear_object (&self->clock);
  g_free (self->name);

  G_OBJECT_CLASS (sim_transport_parent_class)->finalize (object);
}

static void
sim_transport_class_init (SimTransportClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sim_transport_finalize;
}

static void
sim_transport_init (SimTransport *self)
{
  g_queue_init (&self->exchanges);
}

SimTransport *
sim_transport_new (SimServer  *server,
                   SimClock   *clock,
                   const char *name)
{
  SimTransport *self = g_object_new (SIM_TYPE_TRANSPORT, NULL);

  self->server = server;
  self->clock = g_object_ref (clock);
  self->name = g_strdup (name);
  return self;
}
