/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The signed-in user's name, from the provider's userinfo endpoint.
 *
 * The request goes through a TgApiClient on the endpoint's origin, with the
 * given token manager: the bearer token, the gate during a refresh and the
 * one retry after a 401 are the same as for every other request. The answer
 * comes from outside: at most 64 KiB, checked by tg_json_check_text() before
 * json-glib parses it, and a claim is used only if it is a short string that
 * can be shown as it is.
 */
#define G_LOG_DOMAIN "tg-user-info"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "tg-api-client.h"
#include "tg-auth-error.h"
#include "tg-json-check.h"
#include "tg-user-info.h"

#define MAX_BODY_SIZE   (64 * 1024)
#define MAX_JSON_DEPTH  16
#define MAX_NAME_LENGTH 256  /* bytes: a name, not a document */

/* OpenID Connect Core §5.1, most to least fit to be shown: the full name,
 * the name the user goes by, and the provider's identifier (always there,
 * §5.3.2). */
static const char * const name_claims[] = { "name", "preferred_username", "sub" };

/* Characters that act on the text around them, beyond the name: a control
 * character (a newline, an escape), a line or paragraph separator, and the
 * explicit bidi embeddings, overrides and isolates (Unicode's UAX #9 §2.1–2.4),
 * which are no control characters but, left open, reorder what follows the
 * name: in "NAME — https://api.example/v1", a U+202E RIGHT-TO-LEFT OVERRIDE
 * in NAME would show the API URL backwards. The implicit marks (U+200E, U+200F)
 * and right-to-left letters act on the name only and are fine. */
static gboolean
is_layout_character (gunichar c)
{
  return g_unichar_iscntrl (c) ||
         c == 0x2028 || c == 0x2029 ||              /* LINE and PARAGRAPH SEPARATOR */
         (c >= 0x202A && c <= 0x202E) ||            /* LRE, RLE, PDF, LRO, RLO */
         (c >= 0x2066 && c <= 0x2069);              /* LRI, RLI, FSI, PDI */
}

static gboolean
is_showable (const char *text)
{
  gsize length = strlen (text);

  if (length == 0 || length > MAX_NAME_LENGTH || !g_utf8_validate (text, (gssize) length, NULL))
    return FALSE;
  /* Such characters would let a provider lay out our window (and the CLI's
   * line); a claim with one is not a name. */
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (is_layout_character (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

/**
 * tg_user_info_parse_name:
 * @body: a userinfo answer (a JSON object)
 * @error: return location for a #GError
 *
 * Takes the name to show from a userinfo answer: `name`, else
 * `preferred_username`, else `sub` — the first that is a non-empty string
 * of at most 256 bytes without control characters, line or paragraph
 * separators, or bidi embeddings, overrides or isolates.
 *
 * Returns: (transfer full) (nullable): the name, or %NULL with
 *   %TG_AUTH_ERROR_PROTOCOL when @body is too large, not a JSON object, or
 *   has no such claim
 */
char *
tg_user_info_parse_name (GBytes  *body,
                         GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  const char *data;
  gsize length = 0;
  JsonNode *root;
  JsonObject *object;

  g_return_val_if_fail (body != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = g_bytes_get_data (body, &length);
  if (length > MAX_BODY_SIZE)
    {
      g_set_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL,
                   _("The userinfo answer is larger than %u KiB"), MAX_BODY_SIZE / 1024);
      return NULL;
    }
  if (length == 0 ||
      !tg_json_check_text (data, length, MAX_JSON_DEPTH, TG_JSON_CHECK_REFUSE_NUL, NULL) ||
      !json_parser_load_from_data (parser, data, (gssize) length, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL,
                           _("The userinfo answer is not a JSON object"));
      return NULL;
    }

  object = json_node_get_object (root);
  for (gsize i = 0; i < G_N_ELEMENTS (name_claims); i++)
    {
      JsonNode *member = json_object_get_member (object, name_claims[i]);

      if (member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
          json_node_get_value_type (member) == G_TYPE_STRING &&
          is_showable (json_node_get_string (member)))
        return g_strdup (json_node_get_string (member));
    }

  g_set_error_literal (error, TG_AUTH_ERROR, TG_AUTH_ERROR_PROTOCOL,
                       _("The userinfo answer has no name, preferred_username or sub to show"));
  return NULL;
}

static void
got_answer (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TgApiResponse) response = NULL;
  GError *error = NULL;
  char *name;

  response = tg_api_client_get_finish (TG_API_CLIENT (source), result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (response->status != SOUP_STATUS_OK)
    {
      g_task_return_new_error (task, TG_AUTH_ERROR, TG_AUTH_ERROR_SERVER,
                               _("The userinfo endpoint answered HTTP %u"), response->status);
      return;
    }

  name = tg_user_info_parse_name (response->body, &error);
  if (name == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, name, g_free);
}

/**
 * tg_user_info_fetch_name_async:
 * @manager: the token manager of the session
 * @userinfo_endpoint: the provider's userinfo endpoint
 *   (tg_provider_get_userinfo_endpoint())
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the name
 * @user_data: data for @callback
 *
 * Asks the userinfo endpoint who is signed in, with @manager's access token
 * (refreshed once on a 401, as for any request), and finishes with the name
 * tg_user_info_parse_name() takes from the answer.
 */
void
tg_user_info_fetch_name_async (TgTokenManager      *manager,
                               const char          *userinfo_endpoint,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(TgApiClient) client = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;

  g_return_if_fail (TG_IS_TOKEN_MANAGER (manager));
  g_return_if_fail (userinfo_endpoint != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_user_info_fetch_name_async);

  /* The endpoint's origin is the client's server, so that the token goes
   * there and nowhere else; the client refuses plain http off loopback. */
  uri = g_uri_parse (userinfo_endpoint, SOUP_HTTP_URI_FLAGS, &error);
  if (uri == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  origin = g_uri_join (G_URI_FLAGS_ENCODED, g_uri_get_scheme (uri), NULL, g_uri_get_host (uri),
                       g_uri_get_port (uri), "", NULL, NULL);
  path = g_uri_join (G_URI_FLAGS_ENCODED, NULL, NULL, NULL, -1,
                     *g_uri_get_path (uri) != '\0' ? g_uri_get_path (uri) : "/",
                     g_uri_get_query (uri), NULL);
  client = tg_api_client_new (manager, origin, &error);
  if (client == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  tg_api_client_get_async (client, path, cancellable, got_answer, g_steal_pointer (&task));
}

/**
 * tg_user_info_fetch_name_finish:
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the user's name, or %NULL with @error
 *   set: the request's error, %TG_AUTH_ERROR_SERVER for an answer that is
 *   not 200, or tg_user_info_parse_name()'s
 */
char *
tg_user_info_fetch_name_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_user_info_fetch_name_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
