/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The clients the browser sign-in knows, and where each may be sent back to.
 *
 * There is one: Tokengate itself, a public native client (RFC 8252) with no
 * secret — the app and the CLI run on the user's machine and could not keep
 * one. It receives its code on a loopback listener that picks a free port, so
 * its redirect URI is registered without one: http://127.0.0.1/callback and
 * http://[::1]/callback match on any port (RFC 8252 §7.3), and on nothing else
 * — the path exactly, the host only as an IP literal (§8.3: "localhost" may
 * resolve elsewhere), no query, no fragment, no user info.
 */
#define G_LOG_DOMAIN "tg-server"

#include "config.h"

#include <string.h>

#include "tg-server-private.h"

static const TgServerClient clients[] = {
  { TG_SERVER_NATIVE_CLIENT_ID, "/callback" },
};

/* The loopback hosts a native client may listen on, as spelled in a URI. */
static const char * const loopback_prefixes[] = {
  "http://127.0.0.1",
  "http://[::1]",
};

/**
 * _tg_server_find_client:
 *
 * Returns: (nullable): the client registered as @client_id
 */
const TgServerClient *
_tg_server_find_client (const char *client_id)
{
  for (gsize i = 0; client_id != NULL && i < G_N_ELEMENTS (clients); i++)
    if (strcmp (clients[i].client_id, client_id) == 0)
      return &clients[i];

  return NULL;
}

/* ":PORT" with PORT 1 to 65535 and no leading zero, or nothing; returns what
 * follows it, or NULL. */
static const char *
skip_port (const char *p)
{
  guint64 port = 0;
  gsize digits = 0;

  if (*p != ':')
    return p;
  for (p++; g_ascii_isdigit (p[digits]) && digits < 6; digits++)
    port = port * 10 + (p[digits] - '0');

  if (digits == 0 || digits > 5 || p[0] == '0' || port > 65535)
    return NULL;
  return p + digits;
}

/**
 * _tg_server_client_redirect_ok:
 *
 * Whether @redirect_uri is one @client registered: compared as a string
 * (RFC 9700 §4.1.1: exact matching), except for the loopback port.
 */
gboolean
_tg_server_client_redirect_ok (const TgServerClient *client,
                               const char           *redirect_uri)
{
  g_return_val_if_fail (client != NULL, FALSE);

  if (redirect_uri == NULL)
    return FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (loopback_prefixes); i++)
    {
      const char *rest;

      if (!g_str_has_prefix (redirect_uri, loopback_prefixes[i]))
        continue;
      rest = skip_port (redirect_uri + strlen (loopback_prefixes[i]));
      return rest != NULL && strcmp (rest, client->redirect_path) == 0;
    }

  return FALSE;
}
