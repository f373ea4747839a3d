/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgDemoControls: a client for the demo server's /demo/ endpoints, the knobs
 * that make tokens die on purpose (src/server/tg-server-demo.c has the
 * contract). The CLI's `burst --break expire|revoke` and the app's demo panel
 * drive the server through it.
 *
 * It has a SoupSession of its own: a control request must not queue behind a
 * burst of resource requests, and it carries no token at all.
 */
#define G_LOG_DOMAIN "tg-demo-controls"

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "tg-auth-protocol-private.h"
#include "tg-demo-controls.h"
#include "tg-errors.h"

struct _TgDemoControls
{
  GObject      parent_instance;

  GUri        *base_uri;  /* owned */
  char        *base_uri_string;
  SoupSession *session;   /* owned */
};

G_DEFINE_FINAL_TYPE (TgDemoControls, tg_demo_controls, G_TYPE_OBJECT)

/* ------------------------------------------------------------------------- */

static GError *
error_for_status (SoupMessage *msg,
                  GBytes      *body)
{
  guint status = soup_message_get_status (msg);
  g_autofree char *description = NULL;
  GIOErrorEnum code;

  /* No route at all: a server started with --no-demo-controls, or another
   * server altogether. */
  if (status == SOUP_STATUS_NOT_FOUND)
    return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                _("this server has no demo controls"));

  switch (status)
    {
    case SOUP_STATUS_BAD_REQUEST:
      code = G_IO_ERROR_INVALID_ARGUMENT;
      break;
    case SOUP_STATUS_FORBIDDEN:
      code = G_IO_ERROR_PERMISSION_DENIED;
      break;
    case SOUP_STATUS_METHOD_NOT_ALLOWED:
      code = G_IO_ERROR_NOT_SUPPORTED;
      break;
    default:
      code = G_IO_ERROR_FAILED;
    }

  description = tg_error_body_describe (body);
  if (description != NULL)
    return g_error_new (G_IO_ERROR, code, "%s (HTTP %u)", description, status);

  return g_error_new (G_IO_ERROR, code, _("the demo server answered HTTP %u %s"),
                      status, soup_status_get_phrase (status));
}

/* ------------------------------------------------------------------------- */
/* One exchange: request → status check → JSON object                        */

static void
answered (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  const char *data;
  gsize size = 0;
  JsonNode *root;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    {
      g_task_return_error (task, error_for_status (msg, body));
      return;
    }

  parser = json_parser_new ();
  data = g_bytes_get_data (body, &size);
  if (size == 0 ||
      !json_parser_load_from_data (parser, data, (gssize) size, NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    {
      /* json-glib's own message would quote the body: say it in our words. */
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("the answer to %s is not a JSON object"),
                               g_uri_get_path (soup_message_get_uri (msg)));
      return;
    }

  g_task_return_pointer (task, json_object_ref (json_node_get_object (root)),
                         (GDestroyNotify) json_object_unref);
}

static void
send_control (TgDemoControls      *self,
              const char          *method,
              const char          *path,
              JsonObject          *body,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data,
              gpointer             source_tag)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  uri = g_uri_parse_relative (self->base_uri, path, SOUP_HTTP_URI_FLAGS, &error);
  if (uri == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  msg = soup_message_new_from_uri (method, uri);
  if (body != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(GBytes) bytes = NULL;
      gsize length = 0;
      char *text;

      json_generator_set_root (generator, node);
      text = json_generator_to_data (generator, &length);
      bytes = g_bytes_new_take (text, length);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  g_task_set_task_data (task, g_object_ref (msg), g_object_unref);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    answered, g_steal_pointer (&task));
}

static JsonObject *
propagate_object (TgDemoControls  *self,
                  GAsyncResult    *result,
                  gpointer         source_tag,
                  GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
propagate_done (TgDemoControls  *self,
                GAsyncResult    *result,
                gpointer         source_tag,
                GError         **error)
{
  g_autoptr(JsonObject) object = propagate_object (self, result, source_tag, error);

  return object != NULL;
}

/* ------------------------------------------------------------------------- */
/* Public API                                                                */

/**
 * tg_demo_controls_expire_access_tokens_async:
 * @self: a #TgDemoControls
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the server has answered
 * @user_data: data for @callback
 *
 * `POST /demo/expire-access-tokens`: every access token issued so far is
 * rejected from now on, before its time — a token that "died early", which
 * the client cannot see coming and must recover from with one refresh.
 */
void
tg_demo_controls_expire_access_tokens_async (TgDemoControls      *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  g_return_if_fail (TG_IS_DEMO_CONTROLS (self));

  send_control (self, SOUP_METHOD_POST, "/demo/expire-access-tokens", NULL, cancellable,
                callback, user_data, tg_demo_controls_expire_access_tokens_async);
}

/**
 * tg_demo_controls_expire_access_tokens_finish:
 * @self: a #TgDemoControls
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Fails with %G_IO_ERROR_NOT_SUPPORTED when the server has no demo controls,
 * with the server's `error_description` for any other HTTP error, and with
 * libsoup's error when the server cannot be reached.
 *
 * Returns: %TRUE if the access tokens are expired
 */
gboolean
tg_demo_controls_expire_access_tokens_finish (TgDemoControls  *self,
                                              GAsyncResult    *result,
                                              GError         **error)
{
  return propagate_done (self, result, tg_demo_controls_expire_access_tokens_async, error);
}

/**
 * tg_demo_controls_revoke_sessions_async:
 * @self: a #TgDemoControls
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the server has answered
 * @user_data: data for @callback
 *
 * `POST /demo/revoke-refresh-tokens`: every session on the server is revoked,
 * its refresh tokens and its access tokens with it. The next refresh is
 * answered `invalid_grant`, which signs the client out.
 */
void
tg_demo_controls_revoke_sessions_async (TgDemoControls      *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_return_if_fail (TG_IS_DEMO_CONTROLS (self));

  send_control (self, SOUP_METHOD_POST, "/demo/revoke-refresh-tokens", NULL, cancellable,
                callback, user_data, tg_demo_controls_revoke_sessions_async);
}

/**
 * tg_demo_controls_revoke_sessions_finish:
 * @self: a #TgDemoControls
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Fails like tg_demo_controls_expire_access_tokens_finish().
 *
 * Returns: %TRUE if every session is revoked
 */
gboolean
tg_demo_controls_revoke_sessions_finish (TgDemoControls  *self,
                                         GAsyncResult    *result,
                                         GError         **error)
{
  return propagate_done (self, result, tg_demo_controls_revoke_sessions_async, error);
}

static void
add_setting (JsonObject *object,
             const char *name,
             gint64      value)
{
  if (value >= 0)
    json_object_set_int_member (object, name, value);
}

/**
 * tg_demo_controls_set_settings_async:
 * @self: a #TgDemoControls
 * @settings: the settings to change; members that are negative
 *   (%TG_DEMO_SETTING_UNSET) are left as the server has them
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the server has answered
 * @user_data: data for @callback
 *
 * `PUT /demo/settings` with the members given. The server changes all of
 * them or, if one is out of range, none.
 */
void
tg_demo_controls_set_settings_async (TgDemoControls       *self,
                                     const TgDemoSettings *settings,
                                     GCancellable         *cancellable,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data)
{
  g_autoptr(JsonObject) body = NULL;

  g_return_if_fail (TG_IS_DEMO_CONTROLS (self));
  g_return_if_fail (settings != NULL);

  body = json_object_new ();
  add_setting (body, "latencyMs", settings->latency_ms);
  add_setting (body, "jitterMs", settings->jitter_ms);
  add_setting (body, "refreshLatencyMs", settings->refresh_latency_ms);
  add_setting (body, "accessTtl", settings->access_ttl);
  add_setting (body, "reuseGrace", settings->reuse_grace);

  send_control (self, SOUP_METHOD_PUT, "/demo/settings", body, cancellable,
                callback, user_data, tg_demo_controls_set_settings_async);
}

/**
 * tg_demo_controls_set_settings_finish:
 * @self: a #TgDemoControls
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Fails like tg_demo_controls_expire_access_tokens_finish(); a value the
 * server does not accept is %G_IO_ERROR_INVALID_ARGUMENT with its reason.
 *
 * Returns: (transfer full) (nullable): every setting as the server now has it
 *   (`accessTtl`, `reuseGrace`, `latencyMs`, `jitterMs`, `refreshLatencyMs`, …)
 */
JsonObject *
tg_demo_controls_set_settings_finish (TgDemoControls  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  return propagate_object (self, result, tg_demo_controls_set_settings_async, error);
}

/**
 * tg_demo_controls_arm_refresh_fault_async:
 * @self: a #TgDemoControls
 * @fault: what the server does to the next refreshes;
 *   %TG_DEMO_REFRESH_FAULT_NONE disarms
 * @count: how many of the next refreshes it applies to, 1 to 1000000
 *   (ignored for %TG_DEMO_REFRESH_FAULT_NONE)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the server has answered
 * @user_data: data for @callback
 *
 * `PUT /demo/settings` with a `refreshFault`, replacing the one armed.
 * %TG_DEMO_REFRESH_FAULT_LOST_ANSWER is the case where only the server knows
 * that the refresh token was used: whether the client's retry gets the same
 * pair or ends the session depends on the server's `reuseGrace`.
 */
void
tg_demo_controls_arm_refresh_fault_async (TgDemoControls      *self,
                                          TgDemoRefreshFault   fault,
                                          guint                count,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) armed = NULL;

  g_return_if_fail (TG_IS_DEMO_CONTROLS (self));
  g_return_if_fail (fault == TG_DEMO_REFRESH_FAULT_NONE ||
                    fault == TG_DEMO_REFRESH_FAULT_DROP ||
                    fault == TG_DEMO_REFRESH_FAULT_LOST_ANSWER);

  body = json_object_new ();
  if (fault == TG_DEMO_REFRESH_FAULT_NONE)
    json_object_set_null_member (body, "refreshFault");
  else
    {
      armed = json_object_new ();
      json_object_set_string_member (armed, "kind",
                                     fault == TG_DEMO_REFRESH_FAULT_DROP ? "drop" : "lost-answer");
      json_object_set_int_member (armed, "count", count);
      json_object_set_object_member (body, "refreshFault", g_steal_pointer (&armed));
    }

  send_control (self, SOUP_METHOD_PUT, "/demo/settings", body, cancellable,
                callback, user_data, tg_demo_controls_arm_refresh_fault_async);
}

/**
 * tg_demo_controls_arm_refresh_fault_finish:
 * @self: a #TgDemoControls
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Fails like tg_demo_controls_set_settings_finish(): a @count the server does
 * not accept is %G_IO_ERROR_INVALID_ARGUMENT with its reason.
 *
 * Returns: (transfer full) (nullable): every setting as the server now has
 *   it, `refreshFault` (`kind`, `count`, or null) among them
 */
JsonObject *
tg_demo_controls_arm_refresh_fault_finish (TgDemoControls  *self,
                                           GAsyncResult    *result,
                                           GError         **error)
{
  return propagate_object (self, result, tg_demo_controls_arm_refresh_fault_async, error);
}

/**
 * tg_demo_controls_get_stats_async:
 * @self: a #TgDemoControls
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the server has answered
 * @user_data: data for @callback
 *
 * `GET /demo/stats`: the server's counters since it started.
 */
void
tg_demo_controls_get_stats_async (TgDemoControls      *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (TG_IS_DEMO_CONTROLS (self));

  send_control (self, SOUP_METHOD_GET, "/demo/stats", NULL, cancellable,
                callback, user_data, tg_demo_controls_get_stats_async);
}

/**
 * tg_demo_controls_get_stats_finish:
 * @self: a #TgDemoControls
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Fails like tg_demo_controls_expire_access_tokens_finish().
 *
 * Returns: (transfer full) (nullable): the counters: `signIns`,
 *   `refreshes` {`ok`, `rejected`}, `resources` {status → count}, …
 */
JsonObject *
tg_demo_controls_get_stats_finish (TgDemoControls  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  return propagate_object (self, result, tg_demo_controls_get_stats_async, error);
}

/**
 * tg_demo_controls_get_base_uri:
 * @self: a #TgDemoControls
 *
 * Returns: (transfer none): the server the controls talk to
 */
const char *
tg_demo_controls_get_base_uri (TgDemoControls *self)
{
  g_return_val_if_fail (TG_IS_DEMO_CONTROLS (self), NULL);

  return self->base_uri_string;
}

/* ------------------------------------------------------------------------- */

static void
tg_demo_controls_dispose (GObject *object)
{
  TgDemoControls *self = TG_DEMO_CONTROLS (object);

  if (self->session != NULL)
    soup_session_abort (self->session);

  G_OBJECT_CLASS (tg_demo_controls_parent_class)->dispose (object);
}

static void
tg_demo_controls_finalize (GObject *object)
{
  TgDemoControls *self = TG_DEMO_CONTROLS (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->base_uri, g_uri_unref);
  g_free (self->base_uri_string);

  G_OBJECT_CLASS (tg_demo_controls_parent_class)->finalize (object);
}

static void
tg_demo_controls_class_init (TgDemoControlsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tg_demo_controls_dispose;
  object_class->finalize = tg_demo_controls_finalize;
}

static void
tg_demo_controls_init (TgDemoControls *self)
{
  self->session = soup_session_new_with_options ("timeout", 30, NULL);
}

/**
 * tg_demo_controls_new:
 * @base_uri: the demo server, e.g. `http://127.0.0.1:7000`
 * @error: return location for a #GError
 *
 * Like the API client, refuses plain http to a host that is not loopback
 * (%TG_AUTH_ERROR_INSECURE): the demo server answers its controls on loopback
 * only, and nothing about a session should cross a network in clear text.
 *
 * Returns: (transfer full) (nullable): the controls, or %NULL on error
 */
TgDemoControls *
tg_demo_controls_new (const char  *base_uri,
                      GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  TgDemoControls *self;

  g_return_val_if_fail (base_uri != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  uri = g_uri_parse (base_uri, SOUP_HTTP_URI_FLAGS, error);
  if (uri == NULL || !tg_uri_is_safe_for_tokens (uri, error))
    return NULL;

  self = g_object_new (TG_TYPE_DEMO_CONTROLS, NULL);
  self->base_uri_string = g_strdup (base_uri);
  self->base_uri = g_steal_pointer (&uri);

  return self;
}
