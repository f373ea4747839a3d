/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Headless chromium over the Chrome DevTools Protocol (see
 * tg-test-chromium.h). The browser writes the port it listens on to
 * DevToolsActivePort in its profile; /json/list there names the WebSocket of
 * its one page, and every command is a JSON message with an id that its
 * reply carries back.
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "tg-test-chromium.h"
#include "tg-test-util.h"

#define TIMEOUT_SECONDS 30

struct _TgTestChromium {
  GSubprocess             *process;
  char                    *profile_dir;
  SoupSession             *session;
  SoupWebsocketConnection *socket;
  guint                    next_id;
  GHashTable              *replies;   /* id → JsonNode (the message) */
  guint                    n_loads;   /* Page.loadEventFired seen */
};

static void
received (SoupWebsocketConnection *socket,
          int                      type,
          GBytes                  *message,
          gpointer                 user_data)
{
  TgTestChromium *chromium = user_data;
  g_autoptr(JsonNode) node = json_from_string (g_bytes_get_data (message, NULL), NULL);
  JsonObject *object;

  g_assert_nonnull (node);
  object = json_node_get_object (node);
  if (json_object_has_member (object, "id"))
    g_hash_table_insert (chromium->replies,
                         GUINT_TO_POINTER ((guint) json_object_get_int_member (object, "id")),
                         g_steal_pointer (&node));
  else if (g_strcmp0 (json_object_get_string_member_with_default (object, "method", ""),
                      "Page.loadEventFired") == 0)
    chromium->n_loads++;
}

/* Sends @method with @params (owned) and waits for its result. */
static JsonNode *
call (TgTestChromium *chromium,
      const char     *method,
      JsonNode       *params)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) message = NULL;
  g_autofree char *text = NULL;
  guint id = ++chromium->next_id;
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_SECONDS * G_USEC_PER_SEC;
  JsonNode *reply;
  JsonObject *object;
  JsonNode *result;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, id);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, method);
  json_builder_set_member_name (builder, "params");
  if (params == NULL)
    {
      params = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (params, json_object_new ());
    }
  json_builder_add_value (builder, params);
  json_builder_end_object (builder);
  message = json_builder_get_root (builder);
  text = json_to_string (message, FALSE);
  soup_websocket_connection_send_text (chromium->socket, text);

  while ((reply = g_hash_table_lookup (chromium->replies, GUINT_TO_POINTER (id))) == NULL)
    {
      /* Not blocking: a browser that died must still end in the deadline. */
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  object = json_node_get_object (reply);
  if (json_object_has_member (object, "error"))
    g_error ("%s failed: %s", method,
             json_object_get_string_member_with_default (json_object_get_object_member (object, "error"),
                                                         "message", "?"));
  result = json_node_copy (json_object_get_member (object, "result"));
  g_hash_table_remove (chromium->replies, GUINT_TO_POINTER (id));
  return result;
}

static JsonNode *
params_new (const char *name,
            const char *value)
{
  JsonNode *params = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (params, json_object_new ());
  json_object_set_string_member (json_node_get_object (params), name, value);
  return params;
}

static char *
find_chromium (void)
{
  const char *names[] = { "chromium", "chromium-browser", "google-chrome" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      char *path = g_find_program_in_path (names[i]);

      if (path != NULL)
        return path;
    }
  return NULL;
}

/* The port chromium listens on for DevTools, once it has written it. */
static guint
wait_for_port (TgTestChromium *chromium)
{
  g_autofree char *path = g_build_filename (chromium->profile_dir, "DevToolsActivePort", NULL);
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_SECONDS * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *contents = NULL;

      if (g_file_get_contents (path, &contents, NULL, NULL) && strchr (contents, '\n') != NULL)
        return (guint) g_ascii_strtoull (contents, NULL, 10);
      g_usleep (50000);
    }
  return 0;
}

/* The WebSocket address of the browser's page. */
static char *
page_socket_uri (TgTestChromium *chromium,
                 guint           port)
{
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u/json/list", port);
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, uri);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *targets;

  /* It writes the port before it answers on it. */
  for (guint i = 0; body == NULL && i < TIMEOUT_SECONDS * 10; i++)
    {
      g_clear_error (&error);
      g_clear_object (&msg);
      msg = soup_message_new (SOUP_METHOD_GET, uri);
      body = soup_session_send_and_read (chromium->session, msg, NULL, &error);
      if (body == NULL)
        g_usleep (100000);
    }
  g_assert_no_error (error);
  list = json_from_string (g_bytes_get_data (body, NULL), &error);
  g_assert_no_error (error);
  targets = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (targets); i++)
    {
      JsonObject *target = json_array_get_object_element (targets, i);

      if (g_strcmp0 (json_object_get_string_member (target, "type"), "page") == 0)
        return g_strdup (json_object_get_string_member (target, "webSocketDebuggerUrl"));
    }
  g_error ("chromium has no page: %.*s", (int) g_bytes_get_size (body), (const char *) g_bytes_get_data (body, NULL));
}

static void
connected (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  TgTestChromium *chromium = user_data;
  g_autoptr(GError) error = NULL;

  chromium->socket = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
}

static gboolean
is_connected (gpointer data)
{
  return ((TgTestChromium *) data)->socket != NULL;
}

/**
 * tg_test_chromium_start:
 *
 * Starts headless chromium with a profile of its own and connects to its
 * page; %NULL with @error when chromium is not installed.
 */
TgTestChromium *
tg_test_chromium_start (GError **error)
{
  g_autofree char *program = find_chromium ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *profile_arg = NULL;
  g_autofree char *socket_uri = NULL;
  TgTestChromium *chromium;
  guint port;

  if (program == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "chromium is not installed (apt-get install chromium)");
      return NULL;
    }

  chromium = g_new0 (TgTestChromium, 1);
  chromium->replies = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) json_node_unref);
  chromium->profile_dir = tg_test_make_tmpdir ();
  chromium->session = soup_session_new ();
  profile_arg = g_strdup_printf ("--user-data-dir=%s", chromium->profile_dir);
  /* Its own chatter (no session bus, no GPU) is not the test's. */
  launcher = tg_test_child_launcher (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  /* It uses GLib too, and is not ours to make criticals fatal in: with no
   * schemas where the tests point it, it would abort at once. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  /* --no-sandbox: its sandbox cannot start as root or in most containers,
   * and it only ever loads the test's own pages. */
  chromium->process = g_subprocess_launcher_spawn (launcher, error, program,
                                                   "--headless=new", "--no-sandbox", "--disable-gpu",
                                                   "--no-first-run", "--no-default-browser-check",
                                                   "--disable-extensions", "--window-size=800,700",
                                                   "--remote-debugging-port=0", "--remote-allow-origins=*",
                                                   profile_arg, "about:blank", NULL);
  if (chromium->process == NULL)
    {
      tg_test_chromium_free (chromium);
      return NULL;
    }

  port = wait_for_port (chromium);
  if (port == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s did not start its DevTools server", program);
      tg_test_chromium_free (chromium);
      return NULL;
    }
  socket_uri = page_socket_uri (chromium, port);
  msg = soup_message_new (SOUP_METHOD_GET, socket_uri);
  soup_session_websocket_connect_async (chromium->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        NULL, connected, chromium);
  g_assert_true (tg_test_wait_until (is_connected, chromium, TIMEOUT_SECONDS));
  /* Whole pages are larger than libsoup's default limit of 128 KiB. */
  soup_websocket_connection_set_max_incoming_payload_size (chromium->socket, 0);
  g_signal_connect (chromium->socket, "message", G_CALLBACK (received), chromium);
  json_node_unref (call (chromium, "Page.enable", NULL));
  return chromium;
}

void
tg_test_chromium_free (TgTestChromium *chromium)
{
  if (chromium->socket != NULL)
    {
      g_signal_handlers_disconnect_by_data (chromium->socket, chromium);
      soup_websocket_connection_close (chromium->socket, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref (chromium->socket);
    }
  if (chromium->process != NULL)
    {
      g_subprocess_force_exit (chromium->process);
      g_subprocess_wait (chromium->process, NULL, NULL);
      g_object_unref (chromium->process);
    }
  g_clear_object (&chromium->session);
  g_hash_table_unref (chromium->replies);
  tg_test_rm_rf (chromium->profile_dir);
  g_free (chromium->profile_dir);
  g_free (chromium);
}

guint
tg_test_chromium_n_loads (TgTestChromium *chromium)
{
  return chromium->n_loads;
}

/* Waits until a page has loaded since tg_test_chromium_n_loads() was
 * @n_loads_before. */
void
tg_test_chromium_wait_load (TgTestChromium *chromium,
                            guint           n_loads_before)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_SECONDS * G_USEC_PER_SEC;

  while (chromium->n_loads == n_loads_before)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

void
tg_test_chromium_navigate (TgTestChromium *chromium,
                           const char     *uri)
{
  g_autoptr(JsonNode) result = call (chromium, "Page.navigate", params_new ("url", uri));
  const char *error = json_object_get_string_member_with_default (json_node_get_object (result), "errorText", NULL);

  if (error != NULL)
    g_error ("chromium could not load %s: %s", uri, error);
}

/* Runs @expression in the page; its value as a string (JSON for others). */
char *
tg_test_chromium_evaluate (TgTestChromium *chromium,
                           const char     *expression)
{
  JsonNode *params = params_new ("expression", expression);
  g_autoptr(JsonNode) result = NULL;
  JsonObject *value;

  json_object_set_boolean_member (json_node_get_object (params), "returnByValue", TRUE);
  result = call (chromium, "Runtime.evaluate", params);
  if (json_object_has_member (json_node_get_object (result), "exceptionDetails"))
    g_error ("%s threw: %s", expression, json_to_string (result, FALSE));
  value = json_object_get_object_member (json_node_get_object (result), "result");
  if (!json_object_has_member (value, "value"))
    return NULL;
  if (json_node_get_value_type (json_object_get_member (value, "value")) == G_TYPE_STRING)
    return g_strdup (json_object_get_string_member (value, "value"));
  return json_to_string (json_object_get_member (value, "value"), FALSE);
}

/**
 * tg_test_chromium_fill_form:
 * @fields_json: a JSON object of field names and values
 * @button_selector: the submit button to press, as a CSS selector
 *
 * Types @fields_json into the page's form and presses its button, as the
 * person at the browser would: with the button's own name and value sent
 * along.
 */
void
tg_test_chromium_fill_form (TgTestChromium *chromium,
                            const char     *fields_json,
                            const char     *button_selector)
{
  g_autoptr(JsonNode) selector = json_node_init_string (json_node_alloc (), button_selector);
  g_autofree char *selector_json = json_to_string (selector, FALSE);
  g_autofree char *script = g_strdup_printf (
    "(() => {"
    "  const form = document.querySelector('form');"
    "  if (!form) throw new Error('no form on ' + location.href);"
    "  for (const [name, value] of Object.entries(%s)) form.elements[name].value = value;"
    "  form.requestSubmit(form.querySelector(%s));"
    "  return location.href;"
    "})()", fields_json, selector_json);
  g_autofree char *href = tg_test_chromium_evaluate (chromium, script);

  g_test_message ("submitted the form on %.*s", (int) strcspn (href, "?"), href);
}

/* Saves the page as @name.png in TG_SCREENSHOT_DIR, when that is set. */
void
tg_test_chromium_screenshot (TgTestChromium *chromium,
                             const char     *name)
{
  const char *dir = g_getenv ("TG_SCREENSHOT_DIR");
  g_autoptr(JsonNode) result = NULL;
  g_autofree guchar *png = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  gsize size;

  if (dir == NULL)
    return;
  result = call (chromium, "Page.captureScreenshot", params_new ("format", "png"));
  png = g_base64_decode (json_object_get_string_member (json_node_get_object (result), "data"), &size);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  path = g_strdup_printf ("%s/%s.png", dir, name);
  g_file_set_contents (path, (const char *) png, size, &error);
  g_assert_no_error (error);
  g_test_message ("screenshot: %s", path);
}
