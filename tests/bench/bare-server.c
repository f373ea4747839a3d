/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The reference for tests/bench/server-throughput: what libsoup alone can do
 * for GET /api/resources on this machine. A bare SoupServer whose one handler
 * checks the bearer token's HMAC-SHA256 with GHmac and answers the body
 * tokengate-server answers — no routing, no claims, no database, nothing
 * logged. tokengate-server does all of that and more on every request; the
 * ratio of the two is how much of the stack's speed it keeps.
 *
 *   bare-server KEY-FILE NAME
 *
 * KEY-FILE is tokengate-server's key (DATABASE.key, 32 raw bytes), so the same
 * token opens both servers; NAME is the user name the body carries. Listens on
 * 127.0.0.1 on a free port and prints "listening on http://127.0.0.1:PORT".
 */
#include <glib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "tg-base64url.h"

#define MAC_BYTES 32

typedef struct {
  GBytes *key;
  char   *body;
  gsize   body_len;
} Bare;

static gboolean
mac_matches (GBytes     *key,
             const char *token)
{
  const char *dot = strrchr (token, '.');
  g_autoptr(GHmac) hmac = NULL;
  g_autofree guint8 *signature = NULL;
  guint8 mac[MAC_BYTES];
  gsize mac_len = sizeof mac;
  gsize signature_len = 0;
  gsize key_len;
  const guint8 *key_data = g_bytes_get_data (key, &key_len);

  if (dot == NULL)
    return FALSE;
  hmac = g_hmac_new (G_CHECKSUM_SHA256, key_data, key_len);
  g_hmac_update (hmac, (const guchar *) token, dot - token);
  g_hmac_get_digest (hmac, mac, &mac_len);
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
      !mac_matches (bare->key, authorization + 7))
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
  Bare bare;

  if (argc != 3)
    {
      g_printerr ("usage: %s KEY-FILE NAME\n", argv[0]);
      return 2;
    }
  if (!g_file_get_contents (argv[1], &key, &key_len, &error))
    {
      g_printerr ("bare-server: %s\n", error->message);
      return 1;
    }

  bare.key = g_bytes_new_take (g_steal_pointer (&key), key_len);
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
