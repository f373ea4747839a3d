/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tg-server.h"

G_BEGIN_DECLS

/**
 * TgBuiltinServerSettings:
 * @database: (nullable): the SQLite file to keep users and sessions in, or
 *   %NULL for memory only
 * @access_ttl: lifetime of access tokens in seconds; 0 for the server's default
 * @latency_ms: delay added to every API answer, in ms
 * @jitter_ms: random extra delay, 0 to @jitter_ms ms
 *
 * How the built-in demo server differs between its users. Zero-initialize it
 * and set what matters.
 */
typedef struct {
  const char *database;
  gint64      access_ttl;
  guint       latency_ms;
  guint       jitter_ms;
} TgBuiltinServerSettings;

TgServer *tg_builtin_server_start (const TgBuiltinServerSettings  *settings,
                                   GError                        **error);

G_END_DECLS
