/* SPDX-License-Identifier: GPL-3.0-or-later */
/* one-refresh SERVER_URL: sign in, break the token, send three GETs at once.
 * cc one-refresh.c $(pkg-config --cflags --libs tokengate-1) -o one-refresh */
#include <tokengate.h>

static GMainLoop *loop;
static guint statuses[3], n_statuses;

static void
on_response (GObject *client, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgApiResponse) response =
    tg_api_client_get_finish (TG_API_CLIENT (client), result, &error);

  statuses[n_statuses++] = response != NULL ? response->status : 0;
  if (n_statuses == 3)
    g_main_loop_quit (loop);
}

static void
on_signed_in (GObject *manager, GAsyncResult *result, gpointer client)
{
  g_autoptr(GError) error = NULL;

  if (!tg_token_manager_sign_in_finish (TG_TOKEN_MANAGER (manager), result, &error))
    g_error ("%s", error->message);
  /* every GET now gets a 401 first */
  tg_token_manager_replace_access_token (TG_TOKEN_MANAGER (manager), "broken");
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/resources/%u", i);
      tg_api_client_get_async (client, path, NULL, on_response, NULL);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgAuthProtocol) protocol = NULL;
  g_autoptr(TgTokenManager) manager = NULL;
  g_autoptr(TgApiClient) client = NULL;
  TgRequestSummary summary;

  if (argc != 2)
    g_error ("usage: one-refresh SERVER_URL");
  protocol = tg_auth_protocol_new_seed (argv[1], &error);
  if (protocol == NULL)
    g_error ("%s", error->message);
  manager = tg_token_manager_new (protocol, NULL, NULL);  /* no token store */
  client = tg_api_client_new (manager, argv[1], &error);
  if (client == NULL)
    g_error ("%s", error->message);

  loop = g_main_loop_new (NULL, FALSE);
  tg_token_manager_sign_in_async (manager, "demo", "demo", NULL, on_signed_in, client);
  g_main_loop_run (loop);
  g_main_loop_unref (loop);

  tg_request_log_summarize (tg_token_manager_get_request_log (manager), 0, &summary);
  g_print ("[%u, %u, %u] after %u refresh\n",
           statuses[0], statuses[1], statuses[2], summary.refreshes);
  return 0;
}
