/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The default token store inside a sandbox, where libsecret keeps secrets in
 * its own keyring file under a master secret handed out by the secret portal
 * (org.freedesktop.portal.Secret). The portal here is a fake one on a private
 * bus, so that it can answer the way a real one does — and the ways that make
 * libsecret 0.20 (Debian 12) wait forever:
 *
 *   - after its reply, as a desktop prompt would: the store is the keyring;
 *   - before its reply, once: libsecret 0.20 subscribes to the Response
 *     signal only after the reply, misses it and never completes; the store
 *     must give up on that attempt and make another;
 *   - never: after its last attempt the store falls back to the file, and
 *     says so.
 *
 * Each case runs in a subprocess of its own, because libsecret keeps the
 * master secret (and its choice of backend) for the life of a process.
 * SNAP_NAME makes both libsecret and the store treat the process as
 * sandboxed, as /.flatpak-info does inside Flatpak.
 */
#include "config.h"

#include <gio/gunixfdlist.h>
#include <string.h>
#include <unistd.h>

#include "tg-default-token-store-private.h"
#include "tg-file-token-store-private.h"
#include "tg-secret-token-store-private.h"
#include "tg-test-util.h"

#define PORTAL_NAME "org.freedesktop.portal.Desktop"
#define PORTAL_PATH "/org/freedesktop/portal/desktop"
#define REQUEST_PREFIX PORTAL_PATH "/request/"
#define MASTER_SECRET_SIZE 64
#define ATTEMPT_MS 300

typedef enum {
  ANSWER_AFTER_REPLY,
  ANSWER_BEFORE_REPLY_ONCE,
  ANSWER_NEVER,
  /* The portal never answers and the caller gives up first. */
  ANSWER_NEVER_CANCELLED,
} PortalMode;

static const char portal_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.portal.Secret'>"
  "    <method name='RetrieveSecret'>"
  "      <arg type='h' name='fd' direction='in'/>"
  "      <arg type='a{sv}' name='options' direction='in'/>"
  "      <arg type='o' name='handle' direction='out'/>"
  "    </method>"
  "    <property name='version' type='u' access='read'/>"
  "  </interface>"
  "</node>";

static const char request_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.portal.Request'>"
  "    <method name='Close'/>"
  "    <signal name='Response'>"
  "      <arg type='u' name='response'/>"
  "      <arg type='a{sv}' name='results'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

/* The fake portal runs on a thread of its own: libsecret asks for the
 * portal's version with a blocking call from the thread that uses it. */
typedef struct {
  PortalMode       mode;
  GMainContext    *context;
  GMainLoop       *loop;
  GDBusConnection *connection;
  GDBusNodeInfo   *portal_info;
  GDBusNodeInfo   *request_info;
  GMutex           lock;
  GCond            ready_cond;
  gboolean         ready;
  guint            calls;    /* RetrieveSecret calls, under lock */
  GThread         *thread;
} Portal;

static void
send_response (Portal     *portal,
               const char *caller,
               const char *handle)
{
  g_autoptr(GError) error = NULL;

  g_dbus_connection_emit_signal (portal->connection, caller, handle,
                                 "org.freedesktop.portal.Request", "Response",
                                 g_variant_new ("(u@a{sv})", 0, g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)),
                                 &error);
  g_assert_no_error (error);
}

static void
request_method_call (GDBusConnection       *connection,
                     const char            *sender,
                     const char            *object_path,
                     const char            *interface_name,
                     const char            *method_name,
                     GVariant              *parameters,
                     GDBusMethodInvocation *invocation,
                     gpointer               user_data)
{
  /* Close: libsecret's cancel path. The request is over either way. */
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable request_vtable = { request_method_call, NULL, NULL, { 0 } };

static void
portal_method_call (GDBusConnection       *connection,
                    const char            *sender,
                    const char            *object_path,
                    const char            *interface_name,
                    const char            *method_name,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation,
                    gpointer               user_data)
{
  Portal *portal = user_data;
  GUnixFDList *fds = g_dbus_message_get_unix_fd_list (g_dbus_method_invocation_get_message (invocation));
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *caller = g_strdup (sender + 1);
  g_autofree char *handle = NULL;
  const char *token = "t";
  char secret[MASTER_SECRET_SIZE];
  gint32 fd_index;
  guint call;
  int fd;

  g_assert_cmpstr (method_name, ==, "RetrieveSecret");
  g_variant_get (parameters, "(h@a{sv})", &fd_index, &options);
  g_variant_lookup (options, "handle_token", "&s", &token);

  /* The request's path, as xdg-desktop-portal makes it. */
  g_strdelimit (caller, ".", '_');
  handle = g_strconcat (REQUEST_PREFIX, caller, "/", token, NULL);
  g_dbus_connection_register_object (connection, handle, portal->request_info->interfaces[0],
                                     &request_vtable, NULL, NULL, NULL);

  /* The same master secret every time, as gnome-keyring keeps it: the keyring
   * file written by one attempt is read by the next. */
  fd = g_unix_fd_list_get (fds, fd_index, &error);
  g_assert_no_error (error);
  memset (secret, 'k', sizeof secret);
  g_assert_cmpint (write (fd, secret, sizeof secret), ==, sizeof secret);
  close (fd);

  g_mutex_lock (&portal->lock);
  call = ++portal->calls;
  g_mutex_unlock (&portal->lock);

  if (portal->mode == ANSWER_BEFORE_REPLY_ONCE && call == 1)
    send_response (portal, sender, handle);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", handle));
  if (portal->mode == ANSWER_AFTER_REPLY || (portal->mode == ANSWER_BEFORE_REPLY_ONCE && call > 1))
    {
      /* Flushed first, so the reply is on its way before the answer. */
      g_dbus_connection_flush_sync (connection, NULL, NULL);
      g_usleep (20 * G_TIME_SPAN_MILLISECOND);
      send_response (portal, sender, handle);
    }
}

static GVariant *
portal_get_property (GDBusConnection  *connection,
                     const char       *sender,
                     const char       *object_path,
                     const char       *interface_name,
                     const char       *property_name,
                     GError          **error,
                     gpointer          user_data)
{
  g_assert_cmpstr (property_name, ==, "version");
  return g_variant_new_uint32 (1);
}

static const GDBusInterfaceVTable portal_vtable = { portal_method_call, portal_get_property, NULL, { 0 } };

static gpointer
portal_thread (gpointer data)
{
  Portal *portal = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autoptr(GVariant) reply = NULL;
  guint32 result;

  g_main_context_push_thread_default (portal->context);

  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  portal->connection = g_dbus_connection_new_for_address_sync (address,
                                                               G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                               G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                               NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (portal->connection, PORTAL_PATH, portal->portal_info->interfaces[0],
                                     &portal_vtable, portal, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (portal->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", PORTAL_NAME, 0x4 /* DO_NOT_QUEUE */),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &result);
  g_assert_cmpuint (result, ==, 1 /* PRIMARY_OWNER */);

  g_mutex_lock (&portal->lock);
  portal->ready = TRUE;
  g_cond_signal (&portal->ready_cond);
  g_mutex_unlock (&portal->lock);

  g_main_loop_run (portal->loop);

  g_dbus_connection_close_sync (portal->connection, NULL, NULL);
  g_clear_object (&portal->connection);
  g_main_context_pop_thread_default (portal->context);
  return NULL;
}

static Portal *
portal_start (PortalMode mode)
{
  Portal *portal = g_new0 (Portal, 1);

  portal->mode = mode;
  portal->context = g_main_context_new ();
  portal->loop = g_main_loop_new (portal->context, FALSE);
  portal->portal_info = g_dbus_node_info_new_for_xml (portal_xml, NULL);
  portal->request_info = g_dbus_node_info_new_for_xml (request_xml, NULL);
  g_mutex_init (&portal->lock);
  g_cond_init (&portal->ready_cond);
  portal->thread = g_thread_new ("fake-portal", portal_thread, portal);

  g_mutex_lock (&portal->lock);
  while (!portal->ready)
    g_cond_wait (&portal->ready_cond, &portal->lock);
  g_mutex_unlock (&portal->lock);
  return portal;
}

static guint
portal_calls (Portal *portal)
{
  guint calls;

  g_mutex_lock (&portal->lock);
  calls = portal->calls;
  g_mutex_unlock (&portal->lock);
  return calls;
}

static gboolean
portal_asked (gpointer portal)
{
  return portal_calls (portal) > 0;
}

static void
portal_stop (Portal *portal)
{
  g_main_loop_quit (portal->loop);
  g_thread_join (portal->thread);
  g_main_loop_unref (portal->loop);
  g_main_context_unref (portal->context);
  g_dbus_node_info_unref (portal->portal_info);
  g_dbus_node_info_unref (portal->request_info);
  g_mutex_clear (&portal->lock);
  g_cond_clear (&portal->ready_cond);
  g_free (portal);
}

/* ------------------------------------------------------------------------- */

static void
got_result (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
is_set (gpointer user_data)
{
  return *(gpointer *) user_data != NULL;
}

static GAsyncResult *
wait_result (GAsyncResult **result)
{
  if (!tg_test_wait_until (is_set, result, 30))
    g_error ("the operation did not finish");
  return *result;
}

static TgTokenStore *
new_default_sync (GCancellable *cancellable)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TgTokenStore *store;

  tg_token_store_new_default_async (cancellable, got_result, &result);
  store = tg_token_store_new_default_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_true (TG_IS_TOKEN_STORE (store));
  return store;
}

static void
round_trip_through (TgTokenStore *store)
{
  g_autoptr(TgTokens) tokens = tg_tokens_new ("access-portal", "refresh-portal", 9);
  g_autoptr(GAsyncResult) saved = NULL;
  g_autoptr(GAsyncResult) loaded = NULL;
  g_autoptr(TgTokens) back = NULL;
  g_autoptr(GError) error = NULL;

  tg_token_store_save_async (store, "https://server.test/portal", tokens, NULL, got_result, &saved);
  g_assert_true (tg_token_store_save_finish (store, wait_result (&saved), &error));
  g_assert_no_error (error);

  tg_token_store_load_async (store, "https://server.test/portal", NULL, got_result, &loaded);
  back = tg_token_store_load_finish (store, wait_result (&loaded), &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  g_assert_cmpstr (tg_tokens_get_access_token (back), ==, "access-portal");
  g_assert_cmpstr (tg_tokens_get_refresh_token (back), ==, "refresh-portal");
}

/* Never unreferenced: that would call g_test_dbus_down(), which waits for
 * every connection to the bus to go, and libsecret keeps its own until exit. */
static GTestDBus *bus;

static void
run_in_sandbox (PortalMode mode)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *keyring = g_build_filename (g_get_user_data_dir (), "keyrings", "default.keyring", NULL);
  g_autofree char *state = g_build_filename (g_get_user_state_dir (), "tokengate", NULL);
  TgTokenStore *store;
  Portal *portal;

  /* Before anything in this process connects to a bus. */
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  g_setenv ("SNAP_NAME", "tokengate-test", TRUE);
  _tg_token_store_set_portal_attempt_ms (ATTEMPT_MS);
  portal = portal_start (mode);

  if (mode == ANSWER_NEVER_CANCELLED)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      /* libsecret 0.20 deadlocks when a waiting portal call is cancelled: the
       * store must answer the cancellation without passing it on. */
      tg_token_store_new_default_async (cancellable, got_result, &result);
      if (!tg_test_wait_until (portal_asked, portal, 30))
        g_error ("the portal was never asked");
      g_cancellable_cancel (cancellable);
      store = tg_token_store_new_default_finish (wait_result (&result), &error);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_null (store);
      g_assert_cmpuint (portal_calls (portal), ==, 1);
      portal_stop (portal);
      g_test_dbus_stop (bus);
      return;
    }

  store = new_default_sync (cancellable);
  g_test_message ("%u RetrieveSecret call(s); the store is a %s",
                  portal_calls (portal), G_OBJECT_TYPE_NAME (store));

  switch (mode)
    {
    case ANSWER_AFTER_REPLY:
      g_assert_true (TG_IS_SECRET_TOKEN_STORE (store));
      g_assert_cmpuint (portal_calls (portal), ==, 1);
      round_trip_through (store);
      /* libsecret's keyring, under the portal's master secret. */
      g_assert_true (g_file_test (keyring, G_FILE_TEST_IS_REGULAR));
      g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
      break;

    case ANSWER_BEFORE_REPLY_ONCE:
      /* However this libsecret takes the early answer: the keyring, without
       * hanging (Debian 12's misses it and needs a second attempt). */
      g_assert_true (TG_IS_SECRET_TOKEN_STORE (store));
      g_assert_cmpuint (portal_calls (portal), >=, 1);
      round_trip_through (store);
      g_assert_true (g_file_test (keyring, G_FILE_TEST_IS_REGULAR));
      break;

    case ANSWER_NEVER:
      /* Every attempt asked the portal afresh, then the file. */
      g_assert_true (TG_IS_FILE_TOKEN_STORE (store));
      g_assert_cmpuint (portal_calls (portal), ==, 3);
      round_trip_through (store);
      g_assert_true (g_file_test (state, G_FILE_TEST_IS_DIR));
      break;

    default:
      g_assert_not_reached ();
    }

  g_object_unref (store);
  portal_stop (portal);
  g_test_dbus_stop (bus);
}

static void
test_portal (gconstpointer data)
{
  PortalMode mode = GPOINTER_TO_INT (data);

  if (g_test_subprocess ())
    {
      run_in_sandbox (mode);
      return;
    }

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  if (mode == ANSWER_NEVER_CANCELLED)
    return;
  if (mode == ANSWER_NEVER)
    g_test_trap_assert_stderr ("*the secret portal did not answer*tokens will be kept in a private file*");
  else
    g_test_trap_assert_stderr_unmatched ("*private file*");
}

int
main (int   argc,
      char *argv[])
{
  tg_test_init (&argc, &argv);

  g_test_add_data_func ("/core/token-store/portal/answers", GINT_TO_POINTER (ANSWER_AFTER_REPLY), test_portal);
  g_test_add_data_func ("/core/token-store/portal/answers-before-its-reply",
                        GINT_TO_POINTER (ANSWER_BEFORE_REPLY_ONCE), test_portal);
  g_test_add_data_func ("/core/token-store/portal/never-answers", GINT_TO_POINTER (ANSWER_NEVER), test_portal);
  g_test_add_data_func ("/core/token-store/portal/cancelled-while-waiting",
                        GINT_TO_POINTER (ANSWER_NEVER_CANCELLED), test_portal);

  return g_test_run ();
}
