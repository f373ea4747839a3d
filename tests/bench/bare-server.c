/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The reference for tests/bench/server-throughput: what libsoup alone can do
 * for GET /api/resources on this machine. A bare SoupServer whose one handler
 * checks the bearer token's HMAC-SHA256 with GHmac and answers the body
 * tokengate-server answers — no routing, no claims, no database, nothing
 * logged. tokengate-server does all of that and more on every request; the
 * ratio of the two is how much of the stack's speed it keeps.
 *
 *   bare-server [--mac=glib|gnutls] KEY-FILE NAME
 *
 * --mac=gnutls checks the MAC with GnuTLS's HMAC instead, one keyed handle used
 * again as tokengate-server does (src/server/tg-jwt.c): the issue defines the
 * reference with GHmac, and the GnuTLS one says how much of the ratio is the
 * faster MAC rather than less work around it.
 *
 * KEY-FILE is tokengate-server's key (DATABASE.key, 32 raw bytes), so the same
 * token opens both servers; NAME is the user name the body carries. Listens on
 * 127.0.0.1 on a free port and prints "listening on http://127.0.0.1:PORT".
 */
#include <glib.h>
#include <gnutls/crypto.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "tg-base64url.h"

#define MAC_BYTES 32

typedef struct {
  GBytes           *key;
  gnutls_hmac_hd_t  gnutls_hmac;  /* keyed, or NULL for GHmac */
  char             *body;
  gsize             body_len;
} Bare;

static gboolean
mac_matches (Bare       *bare,
             const char *token)
{
  const char *dot = strrchr (token, '.');
  g_autofree guint8 *signature = NULL;
  guint8 mac[MAC_BYTES];
  gsize signature_len = 0;

  if (dot == NULL)
    return FALSE;
  if (bare->gnutls_hmac != NULL)
    {
      /* gnutls_hmac_output() leaves the handle keyed for the next token. */
      if (gnutls_hmac (bare->gnutls_hmac, token, dot - token) < 0)
        return FALSE;
      gnutls_hmac_output (bare->gnutls_hmac, mac);
    }
  else
    {
      gsize key_len;
      const guint8 *key_data = g_bytes_get_data (bare->key, &key_len);
      g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, key_data, key_len);
      gsize mac_len = sizeof mac;

      g_hmac_update (hmac, (const guchar *) token, dot - token);
      g_hmac_get_digest (hmac, mac, &mac_len);
    }
  signature = tg_base64url_decode (dot + 1, -1, &signature_len);

  return signature != NULL && signature_len == MAC_BYTES &&
         memcmp (signature, mac, MAC_BYTES) == 0;
}

static void
resources_handler (SoupServer        *server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  Bare *bare = user_data;
  const char *authorization =
    soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");

  if (authorization == NULL || strncmp (authorization, "Bearer ", 7) != 0 ||
      !mac_matches (bare, authorization + 7))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, NULL);
      return;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC,
                                    bare->body, bare->body_len);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *key = NULL;
  gsize key_len = 0;
  GSList *uris;
  Bare bare = { 0 };
  gboolean use_gnutls = FALSE;

  if (argc == 4 && g_str_has_prefix (argv[1], "--mac="))
    {
      if (g_strcmp0 (argv[1], "--mac=gnutls") == 0)
        use_gnutls = TRUE;
      else if (g_strcmp0 (argv[1], "--mac=glib") != 0)
        {
          g_printerr ("bare-server: --mac is glib or gnutls, not \"%s\"\n", argv[1] + 6);
          return 2;
        }
      argv++;
      argc--;
    }
  if (argc != 3)
    {
      g_printerr ("usage: %s [--mac=glib|gnutls] KEY-FILE NAME\n", argv[0]);
      return 2;
    }
  if (!g_file_get_contents (argv[1], &key, &key_len, &error))
    {
      g_printerr ("bare-server: %s\n", error->message);
      return 1;
    }

  bare.key = g_bytes_new_take (g_steal_pointer (&key), key_len);
  if (use_gnutls)
    {
      int ret = gnutls_hmac_init (&bare.gnutls_hmac, GNUTLS_MAC_SHA256,
                                  g_bytes_get_data (bare.key, NULL), key_len);

      if (ret < 0)
        {
          g_printerr ("bare-server: HMAC-SHA256 cannot be set up: %s\n", gnutls_strerror (ret));
          return 1;
        }
    }
  bare.body = g_strdup_printf ("protected resources, username: %s", argv[2]);
  bare.body_len = strlen (bare.body);

  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, "/api/resources", resources_handler, &bare, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    {
      g_printerr ("bare-server: %s\n", error->message);
      return 1;
    }

  uris = soup_server_get_uris (server);
  g_print ("listening on http://127.0.0.1:%d\n", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  fflush (stdout);  /* the script waits for that line in a file */

  loop = g_main_loop_new (NULL, FALSE);
  g_main_loop_run (loop);
  return 0;
}
