/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The built-in demo server, as the app (when no server is configured) and
 * `tokengate-cli --embedded` run it inside their own process.
 */
#define G_LOG_DOMAIN "tg-server"

#include "config.h"

#include "tg-builtin-server.h"

/**
 * tg_builtin_server_start:
 * @settings: how this run differs
 * @error: return location for a #GError
 *
 * Starts the demo server on 127.0.0.1, on a free port, with the demo
 * controls and — in a database without users — the demo account
 * (%TG_SERVER_DEMO_USER, %TG_SERVER_DEMO_PASSWORD), serving from a thread of
 * its own (tg_server_start_in_thread()). Its address is
 * tg_server_get_base_uri(); stop it with tg_server_stop().
 *
 * It keeps the server's default PBKDF2 cost, though the demo account
 * protects nothing: about 0.1 s per hash (creating the user, signing in),
 * and a demo that is not what runs for real would prove less.
 *
 * Returns: (transfer full) (nullable): the running server, or %NULL with
 *   @error set
 */
TgServer *
tg_builtin_server_start (const TgBuiltinServerSettings  *settings,
                         GError                        **error)
{
  g_autoptr(TgServer) server = NULL;

  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  server = g_object_new (TG_TYPE_SERVER,
                         "host", "127.0.0.1",
                         "port", 0,
                         "database", settings->database,
                         "latency-ms", settings->latency_ms,
                         "jitter-ms", settings->jitter_ms,
                         NULL);
  if (settings->access_ttl > 0)
    g_object_set (server, "access-ttl", settings->access_ttl, NULL);

  if (!tg_server_start_in_thread (server, error))
    return NULL;
  return g_steal_pointer (&server);
}
