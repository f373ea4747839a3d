/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgApiClient: sends authorized requests through a TgTokenManager.
 *
 * One logical request = at most two HTTP exchanges:
 *
 *   wait for a slot → take a token at the gate → send → 401? → await the one
 *   refresh (keeping the slot) → send once more with the new token → done
 *
 * The slots are ours, not libsoup's: libsoup would take every request at once
 * and park the ones beyond its connection limit in its own queue, already
 * stamped with a token — so after a refresh they would still go out with the
 * old one. Taking the token only when a connection is free is what keeps the
 * gate honest for bursts of thousands (DESIGN.md, "libsoup facts").
 */
#define G_LOG_DOMAIN "tg-api-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "tg-api-client-private.h"
#include "tg-auth-error.h"
#include "tg-auth-protocol-private.h"
#include "tg-challenge-private.h"
#include "tg-request-log-private.h"
#include "tg-soup-transport-private.h"
#include "tg-token-manager-private.h"

#define DEFAULT_MAX_IN_FLIGHT 32
/* libsoup must have a connection for every slot we hand out, or requests would
 * wait in its queue with a token again. */
#define MAX_IN_FLIGHT 256

G_DEFINE_BOXED_TYPE (TgApiResponse, tg_api_response, tg_api_response_copy, tg_api_response_free)

struct _TgApiClient
{
  GObject          parent_instance;

  TgTokenManager  *manager;       /* owned */
  GUri            *base_uri;      /* owned */
  char            *base_prefix;   /* owned: see base_prefix_new() */
  TgTransport     *transport;     /* owned */
  TgRequestLog    *log;           /* owned: the manager's */

  guint            max_in_flight;
  guint            in_flight;
  GQueue           pending;       /* GTask*, owned: requests waiting for a slot */
};

G_DEFINE_FINAL_TYPE (TgApiClient, tg_api_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MANAGER,
  PROP_BASE_URI,
  PROP_MAX_IN_FLIGHT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* One logical request, across its attempts. */
typedef struct {
  char            *method;
  char            *path;
  GUri            *uri;
  char            *content_type;
  GBytes          *body;          /* nullable; kept so a retry is byte for byte */
  guint            request_id;
  guint            attempt;
  TgTokenGrant     grant;
  SoupMessage     *msg;
  TgRequestRecord *record;
  GCancellable    *cancellable;   /* owned, nullable: the caller's */
  gulong           cancelled_id;  /* while waiting for its first slot */
} Request;

static void dispatch (TgApiClient *self);
static void acquire_token (GTask *task);
static void send_attempt  (GTask *task);

/* ------------------------------------------------------------------------- */

/**
 * tg_api_response_copy:
 * @response: a #TgApiResponse
 *
 * Copies @response; the headers and the body are shared, not duplicated.
 *
 * Returns: (transfer full): a copy of @response; free it with
 *   tg_api_response_free()
 */
TgApiResponse *
tg_api_response_copy (const TgApiResponse *response)
{
  TgApiResponse *copy;

  g_return_val_if_fail (response != NULL, NULL);

  copy = g_new0 (TgApiResponse, 1);

  *copy = *response;
  if (copy->headers != NULL)
    soup_message_headers_ref (copy->headers);
  if (copy->body != NULL)
    g_bytes_ref (copy->body);
  return copy;
}

/**
 * tg_api_response_free:
 * @response: (nullable): a #TgApiResponse
 *
 * Frees @response and drops its references to the headers and the body.
 */
void
tg_api_response_free (TgApiResponse *response)
{
  if (response == NULL)
    return;

  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response);
}

static void
request_free (Request *request)
{
  g_free (request->method);
  g_free (request->path);
  g_clear_pointer (&request->uri, g_uri_unref);
  g_free (request->content_type);
  g_clear_pointer (&request->body, g_bytes_unref);
  tg_token_grant_clear (&request->grant);
  g_clear_object (&request->msg);
  g_clear_object (&request->record);
  if (request->cancelled_id != 0)
    g_signal_handler_disconnect (request->cancellable, request->cancelled_id);
  g_clear_object (&request->cancellable);
  g_free (request);
}

/* ------------------------------------------------------------------------- */
/* RFC 6750 §3: which 401s a refresh can fix                                 */

/* A 401 is worth a refresh when it is about our token: no challenge at all
 * (plenty of servers send none), a Bearer challenge without an error (the
 * token was not accepted), or error="invalid_token". A Bearer challenge with
 * another error (invalid_request, insufficient_scope), or a challenge for
 * another scheme only, will not change with a new token. */
static gboolean
refresh_can_help (SoupMessageHeaders *headers)
{
  /* Several WWW-Authenticate fields come joined into one list with ", ". */
  return tg_challenge_bearer_refresh_can_help (
    soup_message_headers_get_list (headers, "WWW-Authenticate"));
}

/* ------------------------------------------------------------------------- */
/* One attempt                                                               */

static void
finish_with_response (GTask       *task,
                      TgHttpReply *reply)
{
  Request *request = g_task_get_task_data (task);
  TgApiResponse response = {
    .status = reply->status,
    .headers = reply->headers,
    .body = reply->body,
    .attempts = request->attempt,
    .request_id = request->request_id,
  };

  g_task_return_pointer (task, tg_api_response_copy (&response), (GDestroyNotify) tg_api_response_free);
}

static void
refreshed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TgApiClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  tg_token_grant_clear (&request->grant);
  if (!tg_token_manager_refresh_finish (TG_TOKEN_MANAGER (source), result, &request->grant, &error))
    {
      self->in_flight--;
      dispatch (self);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Rule 9: the second attempt is the last. It goes out at once, in the slot
   * it kept while waiting (see handle_answer()). */
  request->attempt++;
  send_attempt (g_steal_pointer (&task));
}

/* What to do with the answer to one attempt. Takes @task. */
static void
handle_answer (TgApiClient *self,
               GTask       *task_in,
               TgHttpReply *reply,
               GError      *error_in)
{
  g_autoptr(GTask) task = task_in;
  g_autoptr(GError) error = error_in;
  Request *request = g_task_get_task_data (task);
  guint status = reply != NULL ? reply->status : 0;

  if (reply == NULL)
    {
      if (request->grant.canary)
        tg_token_manager_report_retry (self->manager, &request->grant, TG_RETRY_VERDICT_INCONCLUSIVE);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* A token fresh from a refresh was tried: tell the manager how it went. A
   * retry rejected again ends the session (rule 6); the canary's verdict
   * decides whether the others follow (rule 5). */
  if (request->attempt > 1 || request->grant.canary)
    tg_token_manager_report_retry (self->manager, &request->grant,
                                   status == SOUP_STATUS_UNAUTHORIZED
                                     ? TG_RETRY_VERDICT_REJECTED
                                     : TG_RETRY_VERDICT_ACCEPTED);

  if (status == SOUP_STATUS_UNAUTHORIZED && request->attempt > 1)
    {
      g_task_return_new_error (task, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED,
                               _("The server rejected the refreshed access token"));
      return;
    }

  if (status == SOUP_STATUS_UNAUTHORIZED && refresh_can_help (reply->headers))
    {
      guint stale = request->grant.generation;
      GCancellable *cancellable = g_task_get_cancellable (task);

      /* Keep the slot through the refresh: the retry then leaves the moment
       * the new token is there, instead of queueing behind requests that were
       * never sent — recovery costs one refresh and one round trip. */
      self->in_flight++;
      g_clear_object (&request->msg);
      tg_token_manager_refresh_async (self->manager, stale, cancellable,
                                      refreshed, g_steal_pointer (&task));
      return;
    }

  finish_with_response (task, reply);
}

static void
answered (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(TgApiClient) self = g_object_ref (g_task_get_source_object (task));
  Request *request = g_task_get_task_data (task);
  g_autoptr(TgHttpReply) reply = NULL;
  GError *error = NULL;

  reply = tg_transport_send_finish (TG_TRANSPORT (source), result, &error);
  tg_request_log_end (self->log, request->record, reply != NULL ? reply->status : 0, error);
  g_clear_object (&request->record);

  /* Deal with the answer before the freed slot lets the next request take a
   * token: a 401 must close the gate first, or the next one would leave with
   * the token that was just refused. */
  self->in_flight--;
  handle_answer (self, task, reply, error);
  dispatch (self);
}

static void
send_attempt (GTask *task)
{
  TgApiClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  g_autofree char *authorization = NULL;

  g_clear_object (&request->msg);
  request->msg = soup_message_new_from_uri (request->method, request->uri);
  if (request->body != NULL)
    tg_message_set_request_body (request->msg, request->content_type, request->body);

  authorization = g_strconcat ("Bearer ", request->grant.access_token, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (request->msg),
                                "Authorization", authorization);
  explicit_bzero (authorization, strlen (authorization));

  request->record = g_object_ref (tg_request_log_begin (self->log, TG_REQUEST_KIND_RESOURCE,
                                                       request->request_id, request->attempt,
                                                       request->method, request->path,
                                                       request->grant.generation));

  tg_transport_send_async (self->transport, request->msg, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), answered, task);
}

static void
token_acquired (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  TgApiClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  tg_token_grant_clear (&request->grant);
  if (!tg_token_manager_await_token_finish (TG_TOKEN_MANAGER (source), result, &request->grant, &error))
    {
      self->in_flight--;
      dispatch (self);
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  send_attempt (task);
}

/* Holds a slot: the request is sent as soon as it has a token. */
static void
acquire_token (GTask *task)
{
  TgApiClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);

  /* The gate's fast path: no main-loop turn when the token is good. */
  tg_token_grant_clear (&request->grant);
  if (tg_token_manager_try_get_token (self->manager, &request->grant))
    {
      send_attempt (task);
      return;
    }

  tg_token_manager_await_token_async (self->manager, g_task_get_cancellable (task),
                                      token_acquired, task);
}

static void
dispatch (TgApiClient *self)
{
  while (self->in_flight < self->max_in_flight)
    {
      GTask *task = g_queue_pop_head (&self->pending);
      Request *request;

      if (task == NULL)
        break;

      request = g_task_get_task_data (task);
      if (request->cancelled_id != 0)
        {
          g_signal_handler_disconnect (request->cancellable, request->cancelled_id);
          request->cancelled_id = 0;
        }
      if (g_task_return_error_if_cancelled (task))
        {
          /* A canary that will never be sent has no verdict to give. */
          if (request->grant.canary)
            tg_token_manager_report_retry (self->manager, &request->grant, TG_RETRY_VERDICT_INCONCLUSIVE);
          g_object_unref (task);
          continue;
        }

      self->in_flight++;
      acquire_token (task);
    }
}

/* Rule 7: a request cancelled while it waits for its first slot leaves the
 * queue now, not when its turn would have come. A signal handler, not a
 * GCancellableSource: with thousands of requests queued, thousands of sources
 * would be walked on every main-loop iteration. Cancel from the client's
 * thread. */
static void
on_pending_cancelled (GCancellable *cancellable,
                      gpointer      user_data)
{
  GTask *task = user_data;
  TgApiClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);

  g_signal_handler_disconnect (cancellable, request->cancelled_id);
  request->cancelled_id = 0;
  if (g_queue_remove (&self->pending, task))
    {
      g_task_return_error_if_cancelled (task);
      g_object_unref (task);
    }
}

/* ------------------------------------------------------------------------- */

/* What every request's path is appended to: `scheme://[userinfo@]host[:port]`
 * and the base's path without its trailing `/`s, as one string, so that a
 * request costs one concatenation and the one parse any libsoup request
 * costs, not a parse and a join of its base every time. %NULL if @base_uri is
 * not an http(s) URL. */
static char *
base_prefix_new (const char *base_uri)
{
  g_autoptr(GUri) base = NULL;
  g_autofree char *base_path = NULL;
  gsize len;

  /* Not normalized: the URL says the port as the base said it. */
  base = g_uri_parse (base_uri, SOUP_HTTP_URI_FLAGS & ~G_URI_FLAGS_SCHEME_NORMALIZE, NULL);
  if (base == NULL || g_uri_get_host (base) == NULL ||
      (g_ascii_strcasecmp (g_uri_get_scheme (base), "http") != 0 &&
       g_ascii_strcasecmp (g_uri_get_scheme (base), "https") != 0))
    return NULL;

  base_path = g_strdup (g_uri_get_path (base));
  for (len = strlen (base_path); len > 0 && base_path[len - 1] == '/'; len--)
    base_path[len - 1] = '\0';
  /* Encoded: the path is kept as the base spelled it; the query and the
   * fragment are dropped. */
  return g_uri_join (G_URI_FLAGS_ENCODED, g_uri_get_scheme (base), g_uri_get_userinfo (base),
                     g_uri_get_host (base), g_uri_get_port (base), base_path, NULL, NULL);
}

/**
 * tg_api_client_join_uri:
 * @base_uri: an API's base URL, such as `https://api.example.com/v1`
 * @path: a path on that API, with any query, such as `/users/1?full=1`;
 *   it must begin with `/`
 *
 * Where a request for @path on the API at @base_uri goes: the API URL is a
 * base, and @path is appended to its path — `https://api.example.com/v1`
 * and `/users/1` make `https://api.example.com/v1/users/1`. A trailing `/` of
 * the base counts once; the base's own query and fragment are dropped. A full
 * URL is never a path: the access token goes to the API's host and nowhere
 * else. The one rule for #TgApiClient's requests, and for saying where they
 * go.
 *
 * Returns: (transfer full) (nullable): the URL, or %NULL if @base_uri is not
 *   an http(s) URL
 */
char *
tg_api_client_join_uri (const char *base_uri,
                        const char *path)
{
  g_autofree char *prefix = NULL;

  g_return_val_if_fail (base_uri != NULL, NULL);
  g_return_val_if_fail (path != NULL && path[0] == '/', NULL);

  prefix = base_prefix_new (base_uri);
  if (prefix == NULL)
    return NULL;

  /* @path is sent as it is, its query included. */
  return g_strconcat (prefix, path, NULL);
}

static gboolean
resolve_path (TgApiClient  *self,
              const char   *path,
              GUri        **out_uri,
              GError      **error)
{
  g_autofree char *joined = NULL;
  g_autoptr(GUri) uri = NULL;

  /* Only paths on our server: a full URL or "//other-host/…" in @path must
   * never carry our token somewhere else. */
  if (path == NULL || path[0] != '/' || path[1] == '/')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a path on the server"), path != NULL ? path : "(null)");
      return FALSE;
    }

  /* tg_api_client_join_uri() with the base's half done once. */
  joined = g_strconcat (self->base_prefix, path, NULL);
  uri = g_uri_parse (joined, SOUP_HTTP_URI_FLAGS, error);
  if (uri == NULL)
    return FALSE;

  *out_uri = g_steal_pointer (&uri);
  return TRUE;
}

/**
 * tg_api_client_send_async:
 * @self: a #TgApiClient
 * @method: an HTTP method
 * @path: a path on the server, such as `/api/resources/1`, with any query
 * @content_type: (nullable): the type of @body
 * @body: (nullable): the request body; kept, so that a retry sends the same bytes
 * @cancellable: (nullable): cancels this request only
 * @callback: (scope async): called with the response
 * @user_data: data for @callback
 *
 * Sends an authorized request. A 401 that a new token can fix (RFC 6750 §3)
 * makes it wait for the manager's one refresh and go out once more; the
 * response is that of the last attempt, whatever its status. Errors: a
 * transport error as libsoup reports it, %TG_AUTH_ERROR_SESSION_EXPIRED when
 * the session ended (the refresh was rejected, or the retry got 401 again),
 * %TG_AUTH_ERROR_REFRESH_FAILED when the refresh could not be done,
 * %TG_AUTH_ERROR_SIGNED_OUT without a session.
 */
void
tg_api_client_send_async (TgApiClient         *self,
                          const char          *method,
                          const char          *path,
                          const char          *content_type,
                          GBytes              *body,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Request *request;

  g_return_if_fail (TG_IS_API_CLIENT (self));
  g_return_if_fail (method != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_api_client_send_async);

  request = g_new0 (Request, 1);
  request->method = g_strdup (method);
  request->path = g_strdup (path);
  request->content_type = g_strdup (content_type);
  request->body = body != NULL ? g_bytes_ref (body) : NULL;
  request->attempt = 1;
  request->request_id = tg_request_log_next_request_id (self->log);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);

  if (!resolve_path (self, path, &request->uri, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (cancellable != NULL)
    {
      request->cancellable = g_object_ref (cancellable);
      request->cancelled_id = g_signal_connect (cancellable, "cancelled",
                                                G_CALLBACK (on_pending_cancelled), task);
    }

  g_queue_push_tail (&self->pending, g_steal_pointer (&task));
  dispatch (self);
}

/**
 * tg_api_client_send_finish:
 * @self: a #TgApiClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes tg_api_client_send_async(). Any HTTP status is a response, not an
 * error: check #TgApiResponse.status.
 *
 * Returns: (transfer full) (nullable): the response of the last attempt, or
 *   %NULL with @error set
 */
TgApiResponse *
tg_api_client_send_finish (TgApiClient   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * tg_api_client_get_async:
 * @self: a #TgApiClient
 * @path: a path on the server, such as `/api/resources/1`, with any query
 * @cancellable: (nullable): cancels this request only
 * @callback: (scope async): called with the response
 * @user_data: data for @callback
 *
 * Sends an authorized `GET` request: tg_api_client_send_async() without a
 * body.
 */
void
tg_api_client_get_async (TgApiClient         *self,
                         const char          *path,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  tg_api_client_send_async (self, SOUP_METHOD_GET, path, NULL, NULL, cancellable, callback, user_data);
}

/**
 * tg_api_client_get_finish:
 * @self: a #TgApiClient
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes tg_api_client_get_async(), as tg_api_client_send_finish() does.
 *
 * Returns: (transfer full) (nullable): the response of the last attempt, or
 *   %NULL with @error set
 */
TgApiResponse *
tg_api_client_get_finish (TgApiClient   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  return tg_api_client_send_finish (self, result, error);
}

/**
 * tg_api_client_get_session:
 * @self: a #TgApiClient
 *
 * The #SoupSession behind the client.
 *
 * Returns: (transfer none) (nullable): the session resource requests go
 *   through, e.g. to add a #SoupLogger while debugging (never log headers in
 *   production: they carry the token); %NULL if the client was given a
 *   transport that is not a #TgSoupTransport
 */
SoupSession *
tg_api_client_get_session (TgApiClient *self)
{
  g_return_val_if_fail (TG_IS_API_CLIENT (self), NULL);

  if (!TG_IS_SOUP_TRANSPORT (self->transport))
    return NULL;
  return tg_soup_transport_get_session (TG_SOUP_TRANSPORT (self->transport));
}

/**
 * tg_api_client_get_manager:
 * @self: a #TgApiClient
 *
 * Returns: (transfer none): the token manager whose tokens the client sends
 */
TgTokenManager *
tg_api_client_get_manager (TgApiClient *self)
{
  g_return_val_if_fail (TG_IS_API_CLIENT (self), NULL);

  return self->manager;
}

/* ------------------------------------------------------------------------- */

static void
tg_api_client_dispose (GObject *object)
{
  TgApiClient *self = TG_API_CLIENT (object);

  if (self->transport != NULL)
    tg_transport_abort (self->transport);

  G_OBJECT_CLASS (tg_api_client_parent_class)->dispose (object);
}

static void
tg_api_client_finalize (GObject *object)
{
  TgApiClient *self = TG_API_CLIENT (object);

  g_assert (g_queue_is_empty (&self->pending));
  g_clear_object (&self->transport);
  g_clear_object (&self->log);
  g_clear_object (&self->manager);
  g_clear_pointer (&self->base_uri, g_uri_unref);
  g_clear_pointer (&self->base_prefix, g_free);

  G_OBJECT_CLASS (tg_api_client_parent_class)->finalize (object);
}

static void
tg_api_client_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  TgApiClient *self = TG_API_CLIENT (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      g_value_set_object (value, self->manager);
      break;
    case PROP_BASE_URI:
      g_value_take_string (value, g_uri_to_string (self->base_uri));
      break;
    case PROP_MAX_IN_FLIGHT:
      g_value_set_uint (value, self->max_in_flight);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_api_client_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  TgApiClient *self = TG_API_CLIENT (object);

  switch (prop_id)
    {
    case PROP_MAX_IN_FLIGHT:
      if (self->max_in_flight != g_value_get_uint (value))
        {
          self->max_in_flight = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
          dispatch (self);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_api_client_class_init (TgApiClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tg_api_client_dispose;
  object_class->finalize = tg_api_client_finalize;
  object_class->get_property = tg_api_client_get_property;
  object_class->set_property = tg_api_client_set_property;

  /**
   * TgApiClient:manager: (getter get_manager)
   *
   * The token manager whose tokens the client sends, and whose refresh its
   * requests wait for.
   */
  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL, TG_TYPE_TOKEN_MANAGER,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * TgApiClient:base-uri:
   *
   * The server; request paths are relative to it.
   */
  properties[PROP_BASE_URI] =
    g_param_spec_string ("base-uri", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * TgApiClient:max-in-flight:
   *
   * How many requests may be on the wire at once; the others wait for a slot
   * *before* they take a token, so none of them leaves with a token that a
   * refresh has replaced in the meantime.
   */
  properties[PROP_MAX_IN_FLIGHT] =
    g_param_spec_uint ("max-in-flight", NULL, NULL, 1, MAX_IN_FLIGHT, DEFAULT_MAX_IN_FLIGHT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tg_api_client_init (TgApiClient *self)
{
  self->max_in_flight = DEFAULT_MAX_IN_FLIGHT;
  g_queue_init (&self->pending);
}

/**
 * tg_api_client_new:
 * @manager: the session's token manager
 * @base_uri: the API, e.g. `http://127.0.0.1:7000` or `https://api.example.com/v1`;
 *   request paths are appended to its path (tg_api_client_join_uri())
 * @error: return location for a #GError
 *
 * A client with its own #SoupSession, with a connection for every slot.
 * Fails with %TG_AUTH_ERROR_INSECURE for a plain-http server that is not on
 * loopback: tokens never travel in clear text across a network.
 *
 * Returns: (transfer full) (nullable): a new client
 */
TgApiClient *
tg_api_client_new (TgTokenManager  *manager,
                   const char      *base_uri,
                   GError         **error)
{
  return tg_api_client_new_with_transport (manager, base_uri, NULL, error);
}

/**
 * tg_api_client_new_with_transport:
 * @manager: the session's token manager
 * @base_uri: the API; request paths are appended to its path
 * @transport: (nullable): how requests are sent; %NULL for a session of the
 *   client's own. A transport that queues requests of its own must have room
 *   for #TgApiClient:max-in-flight of them, or they would wait there already
 *   stamped with a token.
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): a new client
 */
TgApiClient *
tg_api_client_new_with_transport (TgTokenManager  *manager,
                                  const char      *base_uri,
                                  TgTransport     *transport,
                                  GError         **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *uri_string = NULL;
  g_autofree char *base_prefix = NULL;
  TgApiClient *self;

  g_return_val_if_fail (TG_IS_TOKEN_MANAGER (manager), NULL);
  g_return_val_if_fail (base_uri != NULL, NULL);
  g_return_val_if_fail (transport == NULL || TG_IS_TRANSPORT (transport), NULL);

  uri = g_uri_parse (base_uri, SOUP_HTTP_URI_FLAGS, error);
  if (uri == NULL || !tg_uri_is_safe_for_tokens (uri, error))
    return NULL;
  uri_string = g_uri_to_string (uri);
  base_prefix = base_prefix_new (uri_string);
  /* tg_uri_is_safe_for_tokens() took only http(s) URLs with a host. */
  g_assert (base_prefix != NULL);

  self = g_object_new (TG_TYPE_API_CLIENT, NULL);
  self->manager = g_object_ref (manager);
  self->log = g_object_ref (tg_token_manager_get_request_log (manager));
  self->base_uri = g_steal_pointer (&uri);
  self->base_prefix = g_steal_pointer (&base_prefix);
  if (transport != NULL)
    {
      self->transport = g_object_ref (transport);
    }
  else
    {
      g_autoptr(SoupSession) session = soup_session_new_with_options ("max-conns", MAX_IN_FLIGHT,
                                                                      "max-conns-per-host", MAX_IN_FLIGHT,
                                                                      "timeout", 60,
                                                                      NULL);
      self->transport = tg_soup_transport_new (session);
    }

  return self;
}
