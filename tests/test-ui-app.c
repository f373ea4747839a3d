/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real application, driven end to end under Xvfb.
 *
 * How the tests drive it: each one makes a TgApplication and runs it with
 * g_application_run(), as main() does, so the command line, startup, activate
 * and the start-up flow are the real ones. The test's own steps run from an
 * idle callback inside that main loop. They wait by iterating the same main
 * context (every wait has a deadline that fails the test, and tg_test_init()
 * adds a watchdog for the whole binary), act through what a person uses —
 * the sign-in window's entries and button, the home window's actions — and
 * end by activating app.quit, after which the application must be finalized.
 *
 * The whole binary runs on a private D-Bus session bus (GTestDBus) with no
 * services on it: the application registers its name there (so a second
 * instance can be tested), and the token store finds no Secret Service and
 * keeps its tokens in a file under the test's private XDG_STATE_HOME — never
 * in the developer's keyring.
 *
 * Screenshots go to $TG_SCREENSHOT_DIR (meson: build/screenshots).
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <stdlib.h>
#include <string.h>

#include "tg-application.h"
#include "tg-auth-error.h"
#include "tg-auth-protocol-private.h"
#include "tg-demo-controls.h"
#include "tg-home-window.h"
#include "tg-preferences-window.h"
#include "tg-provider-form.h"
#include "tg-result-item.h"
#include "tg-server.h"
#include "tg-sign-in-window.h"
#include "tg-test-browser.h"
#include "tg-test-ui.h"
#include "tg-test-util.h"

typedef struct _Fixture Fixture;
typedef void (*TestBody) (Fixture *fixture);

struct _Fixture
{
  TgApplication *app;
  GSettings     *settings;
  TgServer      *server;       /* nullable: a custom server the test runs */
  const char    *client_secret; /* nullable: typed into the provider form */
  TestBody       body;
  gboolean       body_done;
  GPtrArray     *window_types; /* of GType names, in the order windows appeared */
};

/* ------------------------------------------------------------------------- */
/* Waiting                                                                   */

typedef gboolean (*Predicate) (Fixture *fixture, gpointer data);

typedef struct {
  Fixture   *fixture;
  Predicate  predicate;
  gpointer   data;
} Wait;

static gboolean
wait_holds (gpointer user_data)
{
  Wait *wait = user_data;

  return wait->predicate (wait->fixture, wait->data);
}

/* tg_test_ui_wait_until() for a predicate that also sees the fixture. */
static void
wait_for (Fixture     *fixture,
          Predicate    predicate,
          gpointer     data,
          const char  *what)
{
  Wait wait = { fixture, predicate, data };

  tg_test_ui_wait_until (wait_holds, &wait, what);
}

static gboolean
current_is (Fixture  *fixture,
            gpointer  type)
{
  GtkWindow *window = tg_application_get_current_window (fixture->app);

  return window != NULL && G_TYPE_CHECK_INSTANCE_TYPE (window, GPOINTER_TO_SIZE (type)) &&
         gtk_widget_get_mapped (GTK_WIDGET (window));
}

static TgSignInWindow *
wait_for_sign_in (Fixture *fixture)
{
  wait_for (fixture, current_is, GSIZE_TO_POINTER (TG_TYPE_SIGN_IN_WINDOW), "the sign-in window");
  return TG_SIGN_IN_WINDOW (tg_application_get_current_window (fixture->app));
}

static TgHomeWindow *
wait_for_home (Fixture *fixture)
{
  wait_for (fixture, current_is, GSIZE_TO_POINTER (TG_TYPE_HOME_WINDOW), "the home window");
  return TG_HOME_WINDOW (tg_application_get_current_window (fixture->app));
}

/* Before any burst the network log has one row per record; it takes them in
 * a few per frame. */
static gboolean
network_view_caught_up (Fixture  *fixture,
                        gpointer  home)
{
  GListModel *log = G_LIST_MODEL (tg_session_get_request_log (tg_application_get_session (fixture->app)));
  GtkWidget *network = tg_test_ui_find_descendant (GTK_WIDGET (home), g_type_from_name ("TgNetworkView"));
  GtkWidget *view = tg_test_ui_find_descendant (network, GTK_TYPE_LIST_VIEW);
  GListModel *rows = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (view)));

  return g_list_model_get_n_items (rows) == g_list_model_get_n_items (log);
}

static gboolean
resource_loaded (Fixture  *fixture,
                 gpointer  home)
{
  return tg_test_ui_resource_loaded (home);
}

static gboolean
sign_in_settled (Fixture  *fixture,
                 gpointer  window)
{
  return !tg_sign_in_window_is_busy (window) && *tg_sign_in_window_get_error (window) != '\0';
}

static gboolean
results_finished (Fixture  *fixture,
                  gpointer  home)
{
  return tg_test_ui_results_finished (home);
}

/* ------------------------------------------------------------------------- */
/* Screenshots                                                               */

/* The timeline may be on a page that is not shown, or in a small pane: show
 * that page, and give that pane most of the room. */
static void
reveal_widget (GtkWidget *widget)
{
  GtkWidget *child = widget;

  for (GtkWidget *parent = gtk_widget_get_parent (widget); parent != NULL;
       child = parent, parent = gtk_widget_get_parent (parent))
    {
      if (GTK_IS_PANED (parent))
        {
          GtkPaned *paned = GTK_PANED (parent);
          int size = gtk_orientable_get_orientation (GTK_ORIENTABLE (paned)) == GTK_ORIENTATION_VERTICAL
                     ? gtk_widget_get_height (parent) : gtk_widget_get_width (parent);

          gtk_paned_set_position (paned, gtk_paned_get_start_child (paned) == child ? size * 2 / 3 : size / 3);
        }
      else if (GTK_IS_STACK (parent))
        gtk_stack_set_visible_child (GTK_STACK (parent), child);
      else if (ADW_IS_VIEW_STACK (parent))
        adw_view_stack_set_visible_child (ADW_VIEW_STACK (parent), child);
      else if (ADW_IS_LEAFLET (parent))
        adw_leaflet_set_visible_child (ADW_LEAFLET (parent), child);
      else if (ADW_IS_FLAP (parent) && adw_flap_get_flap (ADW_FLAP (parent)) == child)
        adw_flap_set_reveal_flap (ADW_FLAP (parent), TRUE);
      else if (GTK_IS_REVEALER (parent))
        gtk_revealer_set_reveal_child (GTK_REVEALER (parent), TRUE);
      else if (GTK_IS_EXPANDER (parent))
        gtk_expander_set_expanded (GTK_EXPANDER (parent), TRUE);
    }
}

/* ------------------------------------------------------------------------- */
/* Running the application                                                   */

static void
on_window_added (GtkApplication *app,
                 GtkWindow      *window,
                 Fixture        *fixture)
{
  g_ptr_array_add (fixture->window_types, (gpointer) G_OBJECT_TYPE_NAME (window));
}

static gboolean
run_body (gpointer user_data)
{
  Fixture *fixture = user_data;

  fixture->body (fixture);
  fixture->body_done = TRUE;
  return G_SOURCE_REMOVE;
}

static void
quit (Fixture *fixture)
{
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "quit", NULL);
}

/* Runs the application with @args (after the program name) and @body inside
 * it; returns its exit status once it has been finalized. */
static int
run_app (Fixture            *fixture,
         const char * const *args,
         TestBody            body)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  guint idle = 0;
  int status;

  g_ptr_array_add (argv, (gpointer) "tokengate");
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  fixture->app = tg_application_new ();
  fixture->body = body;
  fixture->body_done = FALSE;
  g_ptr_array_set_size (fixture->window_types, 0);
  g_signal_connect (fixture->app, "window-added", G_CALLBACK (on_window_added), fixture);
  if (body != NULL)
    idle = g_idle_add (run_body, fixture);

  status = g_application_run (G_APPLICATION (fixture->app), (int) argv->len - 1, (char **) argv->pdata);

  if (body != NULL && !fixture->body_done)
    g_source_remove (idle);
  tg_test_assert_finalize_soon (g_steal_pointer (&fixture->app));
  return status;
}

static void
setup (Fixture       *fixture,
       gconstpointer  data)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  fixture->window_types = g_ptr_array_new ();
  tg_test_ui_use_system_mime ();

  /* The memory backend lives as long as the process: start every test from
   * the defaults. */
  fixture->settings = g_settings_new (APP_ID);
  g_object_get (fixture->settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (fixture->settings, keys[i]);

  /* The tests count HTTP messages exactly; a proactive refresh (the built-in
   * server's tokens live 30 s) on a slow machine would add one. The core's
   * tests cover the proactive path. */
  g_settings_set_boolean (fixture->settings, "proactive-refresh", FALSE);
}

static void
teardown (Fixture       *fixture,
          gconstpointer  data)
{
  if (fixture->server != NULL)
    {
      tg_server_stop (fixture->server);
      g_assert_finalize_object (g_steal_pointer (&fixture->server));
    }
  g_clear_object (&fixture->settings);
  g_clear_pointer (&fixture->window_types, g_ptr_array_unref);
}

/* @client_secret (nullable): registers the confidential client with it. */
static void
start_custom_server_with_secret (Fixture    *fixture,
                                 const char *client_secret)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *database = g_build_filename (g_get_user_data_dir (), "custom-server.db", NULL);

  fixture->server = g_object_new (TG_TYPE_SERVER,
                                  "host", "127.0.0.1",
                                  "port", 0,
                                  "database", database,
                                  "password-iterations", 1000,
                                  "client-secret", client_secret,
                                  NULL);
  tg_server_start_in_thread (fixture->server, &error);
  g_assert_no_error (error);
}

static void
start_custom_server (Fixture *fixture)
{
  start_custom_server_with_secret (fixture, NULL);
}

/* ------------------------------------------------------------------------- */
/* The demo, end to end                                                      */

static gboolean
back_at_sign_in_or_finished (Fixture  *fixture,
                             gpointer  home)
{
  return !TG_IS_HOME_WINDOW (tg_application_get_current_window (fixture->app)) ||
         results_finished (fixture, home);
}

static void
sign_in_as (TgSignInWindow *window,
            const char     *user,
            const char     *password)
{
  gtk_editable_set_text (tg_sign_in_window_get_user_entry (window), user);
  gtk_editable_set_text (tg_sign_in_window_get_password_entry (window), password);
  g_assert_true (gtk_widget_activate (tg_sign_in_window_get_sign_in_button (window)));
}

/* The sign-in window hands its session back; which window follows is the
 * application's business. */
static void
on_signed_in (TgSignInWindow  *window,
              TgSession       *session,
              TgSession      **signed_in)
{
  g_assert_nonnull (session);
  g_assert_null (*signed_in);
  *signed_in = session;
}

static void
demo_body (Fixture *fixture)
{
  TgSignInWindow *sign_in = wait_for_sign_in (fixture);
  TgSession *signed_in = NULL;
  g_autoptr(TgHomeWindow) home = NULL;
  TgRequestLog *log;
  TgRequestSummary summary;
  GListModel *results;
  guint from, n_401 = 0, n_200 = 0, n_refresh = 0, n_other = 0;

  /* The built-in server's demo user is filled in for the person. */
  g_assert_cmpstr (gtk_editable_get_text (tg_sign_in_window_get_user_entry (sign_in)), ==, "demo");
  g_assert_cmpstr (tg_sign_in_window_get_message (sign_in), ==, "");
  tg_test_ui_save_screenshot (GTK_WIDGET (sign_in), "sign-in.png");

  g_signal_connect (sign_in, "signed-in", G_CALLBACK (on_signed_in), &signed_in);
  sign_in_as (sign_in, "demo", "demo");
  home = g_object_ref (wait_for_home (fixture));
  g_assert_true (signed_in == tg_application_get_session (fixture->app));
  g_assert_nonnull (tg_session_get_demo_controls (tg_application_get_session (fixture->app)));

  /* The post's home page: the resource, fetched when the window opens. */
  wait_for (fixture, resource_loaded, home, "the prefetched resource");

  /* Break the token as the post does, then the burst. */
  log = tg_session_get_request_log (tg_application_get_session (fixture->app));
  from = g_list_model_get_n_items (G_LIST_MODEL (log));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (home), "win.break-access", NULL));
  tg_home_window_send_requests (home, 3);
  wait_for (fixture, results_finished, home, "the 3 results");

  /* 3 × 401 → 1 refresh → 3 × 200, and nothing else. */
  for (guint i = from; i < g_list_model_get_n_items (G_LIST_MODEL (log)); i++)
    {
      g_autoptr(TgRequestRecord) record = g_list_model_get_item (G_LIST_MODEL (log), i);
      TgRequestKind kind = tg_request_record_get_kind (record);
      guint status = tg_request_record_get_status (record);

      if (kind == TG_REQUEST_KIND_REFRESH && status == 200)
        n_refresh++;
      else if (kind == TG_REQUEST_KIND_RESOURCE && status == 401)
        n_401++;
      else if (kind == TG_REQUEST_KIND_RESOURCE && status == 200)
        n_200++;
      else
        n_other++;
    }
  g_assert_cmpuint (n_401, ==, 3);
  g_assert_cmpuint (n_refresh, ==, 1);
  g_assert_cmpuint (n_200, ==, 3);
  g_assert_cmpuint (n_other, ==, 0);

  tg_request_log_summarize (log, from, &summary);
  g_assert_cmpuint (summary.requests, ==, 3);
  g_assert_cmpuint (summary.resource_401, ==, 3);
  g_assert_cmpuint (summary.refreshes, ==, 1);
  g_assert_cmpuint (summary.retries, ==, 3);
  g_assert_cmpuint (summary.succeeded, ==, 3);
  g_assert_cmpuint (summary.failed, ==, 0);
  g_assert_cmpuint (summary.http_messages, ==, 7);

  /* The post's "First resp / Second resp / Third resp". */
  results = tg_home_window_get_results (home);
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(TgResultItem) item = g_list_model_get_item (results, i);

      g_assert_cmpuint (tg_result_item_get_status (item), ==, 200);
      g_assert_cmpuint (tg_result_item_get_attempts (item), ==, 2);
      g_assert_nonnull (strstr (tg_result_item_get_text (item), TG_TEST_UI_RESOURCE_TEXT));
    }

  tg_test_ui_save_screenshot (GTK_WIDGET (home), "home-after-burst.png");
  reveal_widget (tg_home_window_get_timeline (home));
  tg_test_ui_save_screenshot (tg_home_window_get_timeline (home), "timeline.png");

  /* Revoke the session at the server: the next burst's refresh is refused
   * (invalid_grant), and the app goes back to the sign-in window saying why.
   * The revocation is a request of its own that may still be on its way when
   * the burst leaves, so send until the session ends. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (home), "win.revoke-on-server", NULL));
  for (guint attempt = 0; TG_IS_HOME_WINDOW (tg_application_get_current_window (fixture->app)); attempt++)
    {
      g_assert_cmpuint (attempt, <, 20);
      tg_test_iterate_for (100);
      tg_home_window_send_requests (home, 3);
      wait_for (fixture, back_at_sign_in_or_finished, home, "the burst after the revocation");
      tg_test_iterate_for (50);
    }

  sign_in = wait_for_sign_in (fixture);
  g_assert_cmpstr (tg_sign_in_window_get_message (sign_in), !=, "");
  g_test_message ("Signed out: %s", tg_sign_in_window_get_message (sign_in));
  tg_test_ui_save_screenshot (GTK_WIDGET (sign_in), "session-expired.png");

  /* And back in, on the same session. */
  sign_in_as (sign_in, "demo", "demo");
  g_clear_object (&home);
  home = g_object_ref (wait_for_home (fixture));
  wait_for (fixture, resource_loaded, home, "the resource after signing in again");

  quit (fixture);
}

static void
test_demo (Fixture       *fixture,
           gconstpointer  data)
{
  g_assert_cmpint (run_app (fixture, NULL, demo_body), ==, 0);
}

/* ------------------------------------------------------------------------- */
/* Sign-in errors                                                            */

static void
wrong_password_body (Fixture *fixture)
{
  TgSignInWindow *sign_in = wait_for_sign_in (fixture);
  TgSession *signed_in = NULL;

  g_signal_connect (sign_in, "signed-in", G_CALLBACK (on_signed_in), &signed_in);
  sign_in_as (sign_in, "demo", "not the password");
  wait_for (fixture, sign_in_settled, sign_in, "the sign-in to fail");
  g_assert_null (signed_in);

  g_assert_cmpstr (tg_sign_in_window_get_error (sign_in), ==, "Wrong user name or password.");
  g_assert_true (tg_application_get_current_window (fixture->app) == GTK_WINDOW (sign_in));
  tg_test_ui_save_screenshot (GTK_WIDGET (sign_in), "sign-in-wrong-password.png");

  quit (fixture);
}

static void
test_wrong_password (Fixture       *fixture,
                     gconstpointer  data)
{
  g_assert_cmpint (run_app (fixture, NULL, wrong_password_body), ==, 0);
}

static void
insecure_body (Fixture *fixture)
{
  TgSignInWindow *sign_in = wait_for_sign_in (fixture);

  /* Refused while building the session, before any password is typed and
   * without a single packet to example.org. */
  wait_for (fixture, sign_in_settled, sign_in, "the insecure-URL error");
  g_assert_nonnull (strstr (tg_sign_in_window_get_error (sign_in), "not secure"));
  g_assert_null (tg_application_get_session (fixture->app));

  /* Pressing Sign In does not send the password there either. */
  sign_in_as (sign_in, "demo", "demo");
  wait_for (fixture, sign_in_settled, sign_in, "the insecure-URL error again");
  g_assert_nonnull (strstr (tg_sign_in_window_get_error (sign_in), "not secure"));
  g_assert_null (tg_application_get_session (fixture->app));
  tg_test_ui_save_screenshot (GTK_WIDGET (sign_in), "sign-in-insecure.png");

  quit (fixture);
}

static void
test_insecure_url (Fixture       *fixture,
                   gconstpointer  data)
{
  const char *args[] = { "--server", "http://example.org", NULL };

  g_assert_cmpint (run_app (fixture, args, insecure_body), ==, 0);
}

/* Signs in to a server given on the command line and expects @expected in
 * the error under the form. */
static const char *expected_error;

static void
sign_in_fails_body (Fixture *fixture)
{
  TgSignInWindow *sign_in = wait_for_sign_in (fixture);

  sign_in_as (sign_in, "demo", "demo");
  wait_for (fixture, sign_in_settled, sign_in, "the sign-in to fail");
  g_test_message ("Error shown: %s", tg_sign_in_window_get_error (sign_in));
  g_assert_nonnull (strstr (tg_sign_in_window_get_error (sign_in), expected_error));
  g_assert_true (tg_application_get_current_window (fixture->app) == GTK_WINDOW (sign_in));

  quit (fixture);
}

static void
test_unreachable (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *uri = NULL;
  const char *args[] = { "--server", NULL, NULL };

  uri = g_strdup_printf ("http://127.0.0.1:%u", tg_test_closed_port ());

  args[1] = uri;
  expected_error = "cannot be reached";
  g_assert_cmpint (run_app (fixture, args, sign_in_fails_body), ==, 0);
}

static void
test_tls_failure (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cert_path = NULL;
  g_autofree char *key_path = NULL;
  const char *args[] = { "--server", NULL, NULL };

  /* https on loopback with a certificate nobody trusts. */
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  g_assert_true (tg_test_make_tls_files (g_get_user_data_dir (), &cert_path, &key_path, &error));
  g_assert_no_error (error);
  certificate = g_tls_certificate_new_from_files (cert_path, key_path, &error);
  g_assert_no_error (error);

  fixture->server = g_object_new (TG_TYPE_SERVER,
                                  "tls-certificate", certificate,
                                  "password-iterations", 1000,
                                  NULL);
  tg_server_start_in_thread (fixture->server, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (tg_server_get_base_uri (fixture->server), "https://"));

  args[1] = tg_server_get_base_uri (fixture->server);
  expected_error = "TLS failure";
  g_assert_cmpint (run_app (fixture, args, sign_in_fails_body), ==, 0);
}

static void
html_handler (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  static const char page[] = "<html><body>Welcome to nginx!</body></html>";

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, page, sizeof page - 1);
}

static void
test_not_understood (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  const char *args[] = { "--server", NULL, NULL };
  GSList *uris;

  /* A web server that is no authorization server: 200 and a web page to
   * everything, on this thread's main context. */
  soup_server_add_handler (server, NULL, html_handler, NULL, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  uri = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  args[1] = uri;
  expected_error = "cannot be understood";
  g_assert_cmpint (run_app (fixture, args, sign_in_fails_body), ==, 0);
}

static void
test_bad_options (Fixture       *fixture,
                  gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      const char *which = g_getenv ("TG_BAD_OPTION");
      const char *protocol_args[] = { "--protocol", "carrier-pigeon", NULL };
      const char *server_args[] = { "--server", "ftp://example.org", NULL };

      exit (run_app (fixture, g_strcmp0 (which, "protocol") == 0 ? protocol_args : server_args, NULL));
    }

  g_setenv ("TG_BAD_OPTION", "protocol", TRUE);
  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDOUT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*unknown protocol “carrier-pigeon”*");

  g_setenv ("TG_BAD_OPTION", "server", TRUE);
  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDOUT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*is not a server URL*");
  g_unsetenv ("TG_BAD_OPTION");
}

/* ------------------------------------------------------------------------- */
/* Relaunch                                                                  */

static void
first_launch_body (Fixture *fixture)
{
  TgSignInWindow *sign_in = wait_for_sign_in (fixture);
  TgHomeWindow *home;

  sign_in_as (sign_in, "demo", "demo");
  home = wait_for_home (fixture);
  wait_for (fixture, resource_loaded, home, "the resource");
  quit (fixture);
}

static void
relaunch_body (Fixture *fixture)
{
  TgHomeWindow *home = wait_for_home (fixture);

  /* Straight to the home window, and the stored session works. */
  wait_for (fixture, resource_loaded, home, "the resource after the relaunch");
  g_assert_cmpuint (fixture->window_types->len, ==, 1);
  g_assert_cmpstr (fixture->window_types->pdata[0], ==, "TgHomeWindow");
  quit (fixture);
}

static void
test_relaunch_custom (Fixture       *fixture,
                      gconstpointer  data)
{
  const char *args[] = { "--server", NULL, NULL };

  start_custom_server (fixture);
  args[1] = tg_server_get_base_uri (fixture->server);

  g_assert_cmpint (run_app (fixture, args, first_launch_body), ==, 0);
  g_assert_cmpint (run_app (fixture, args, relaunch_body), ==, 0);
}

static void
test_relaunch_builtin (Fixture       *fixture,
                       gconstpointer  data)
{
  /* The built-in server listens on another port each time; its database, in
   * the (test's) user data directory, keeps the session. */
  g_assert_cmpint (run_app (fixture, NULL, first_launch_body), ==, 0);
  g_assert_cmpint (run_app (fixture, NULL, relaunch_body), ==, 0);
}

static void
custom_remembered_body (Fixture *fixture)
{
  TgSignInWindow *sign_in = wait_for_sign_in (fixture);

  /* No demo password for a server that is not the built-in one. */
  g_assert_cmpstr (gtk_editable_get_text (tg_sign_in_window_get_password_entry (sign_in)), ==, "");
  sign_in_as (sign_in, "demo", "demo");
  wait_for_home (fixture);
  quit (fixture);
}

static void
test_custom_server_remembered (Fixture       *fixture,
                               gconstpointer  data)
{
  const char *args[] = { "--server", NULL, NULL };
  g_autofree char *url = NULL;
  g_autofree char *last_user = NULL;

  start_custom_server (fixture);
  args[1] = tg_server_get_base_uri (fixture->server);
  g_assert_cmpint (run_app (fixture, args, custom_remembered_body), ==, 0);

  /* Signing in there made it the server of the next launch. */
  url = g_settings_get_string (fixture->settings, "server-url");
  g_assert_cmpstr (url, ==, tg_server_get_base_uri (fixture->server));
  last_user = g_settings_get_string (fixture->settings, "last-user");
  g_assert_cmpstr (last_user, ==, "demo");
  g_assert_cmpint (g_settings_get_enum (fixture->settings, "server-mode"), ==, 1);
  g_assert_cmpint (run_app (fixture, NULL, relaunch_body), ==, 0);
}

/* ------------------------------------------------------------------------- */
/* Menus, preferences, sign-out                                              */

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_mapped (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

static gboolean
toplevel_shown (Fixture  *fixture,
                gpointer  type)
{
  return find_toplevel (GPOINTER_TO_SIZE (type)) != NULL;
}

static GtkWindow *
wait_for_toplevel (Fixture    *fixture,
                   GType       type,
                   const char *what)
{
  wait_for (fixture, toplevel_shown, GSIZE_TO_POINTER (type), what);
  return find_toplevel (type);
}

static gboolean
action_enabled (Fixture    *fixture,
                const char *name)
{
  return g_action_group_get_action_enabled (G_ACTION_GROUP (fixture->app), name);
}

static void
menus_body (Fixture *fixture)
{
  TgSignInWindow *sign_in = wait_for_sign_in (fixture);
  TgTokenManager *manager;
  GtkWindow *window;
  TgRetryPolicy policy;
  guint timeout, skew;
  gboolean proactive;

  /* AdwApplication found the shortcuts window in the resources. */
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (sign_in)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (sign_in), "win.show-help-overlay", NULL));
  window = wait_for_toplevel (fixture, GTK_TYPE_SHORTCUTS_WINDOW, "the shortcuts window");
  gtk_window_close (window);

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "about", NULL);
  window = wait_for_toplevel (fixture, ADW_TYPE_ABOUT_WINDOW, "the about window");
  g_assert_cmpstr (adw_about_window_get_version (ADW_ABOUT_WINDOW (window)), ==, PACKAGE_VERSION);
  gtk_window_destroy (window);

  /* Nobody to sign out yet. */
  g_assert_false (action_enabled (fixture, "sign-out"));
  sign_in_as (sign_in, "demo", "demo");
  wait_for_home (fixture);
  g_assert_true (action_enabled (fixture, "sign-out"));

  /* The preferences reach the session's token manager at once. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  window = wait_for_toplevel (fixture, TG_TYPE_PREFERENCES_WINDOW, "the preferences window");
  manager = tg_session_get_manager (tg_application_get_session (fixture->app));
  g_settings_set_enum (fixture->settings, "retry-policy", TG_RETRY_POLICY_CANARY);
  g_settings_set_boolean (fixture->settings, "proactive-refresh", TRUE);
  g_settings_set_uint (fixture->settings, "expiry-skew", 7);
  g_settings_set_uint (fixture->settings, "request-timeout", 42);
  g_object_get (manager, "retry-policy", &policy, "proactive", &proactive,
                "expiry-skew", &skew, "refresh-timeout", &timeout, NULL);
  g_assert_cmpint (policy, ==, TG_RETRY_POLICY_CANARY);
  g_assert_true (proactive);
  g_assert_cmpuint (skew, ==, 7);
  g_assert_cmpuint (timeout, ==, 42);
  tg_test_ui_save_screenshot (GTK_WIDGET (window), "preferences.png");
  gtk_window_destroy (window);

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "sign-out", NULL);
  sign_in = wait_for_sign_in (fixture);
  /* Signing out is no expiry: nothing to explain. */
  g_assert_cmpstr (tg_sign_in_window_get_message (sign_in), ==, "");
  g_assert_false (action_enabled (fixture, "sign-out"));
  g_assert_cmpint (tg_token_manager_get_state (manager), ==, TG_TOKEN_STATE_SIGNED_OUT);

  quit (fixture);
}

static void
test_menus (Fixture       *fixture,
            gconstpointer  data)
{
  g_assert_cmpint (run_app (fixture, NULL, menus_body), ==, 0);
}

/* ------------------------------------------------------------------------- */
/* Translations                                                              */

static GtkLabel *
find_label (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    return GTK_LABEL (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *label = find_label (child);

      if (label != NULL)
        return label;
    }
  return NULL;
}

static void
ukrainian_body (Fixture *fixture)
{
  TgSignInWindow *sign_in = wait_for_sign_in (fixture);
  GtkLabel *button_label = find_label (tg_sign_in_window_get_sign_in_button (sign_in));

  /* The strings of po/uk.po, from the catalog the build made of it. */
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (sign_in)), ==, "Вхід — Tokengate");
  g_assert_nonnull (button_label);
  g_assert_cmpstr (gtk_label_get_label (button_label), ==, "_Увійти");
  tg_test_ui_save_screenshot (GTK_WIDGET (sign_in), "sign-in-uk.png");

  /* The client core's own messages, which reach the windows inside longer
   * sentences, come from the same catalog. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TgAuthProtocol) protocol = tg_auth_protocol_new_seed ("http://example.org", &error);

    g_assert_null (protocol);
    g_assert_error (error, TG_AUTH_ERROR, TG_AUTH_ERROR_INSECURE);
    g_test_message ("%s", error->message);
    /* One whole sentence per endpoint (issue 8, finding 10), translated:
     * its head and its reason. */
    g_assert_true (g_str_has_prefix (error->message, "URL-адресу сервера не можна використати: "));
    g_assert_nonnull (strstr (error->message, "Облікові дані не буде надіслано на example.org"));
  }

  quit (fixture);
}

/* As a person would run it: LANGUAGE=uk, under a UTF-8 locale (glibc ignores
 * LANGUAGE under plain "C"; meson's ui environment sets LC_ALL=C.UTF-8). */
static void
test_ukrainian (Fixture       *fixture,
                gconstpointer  data)
{
  g_setenv ("LANGUAGE", "uk", TRUE);
  g_assert_cmpint (run_app (fixture, NULL, ukrainian_body), ==, 0);
  g_unsetenv ("LANGUAGE");
}

/* ------------------------------------------------------------------------- */
/* Single instance                                                           */

typedef struct {
  gboolean  done;
  GError   *error;
} Spawned;

static void
second_instance_exited (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  Spawned *spawned = user_data;

  g_subprocess_wait_check_finish (G_SUBPROCESS (source), result, &spawned->error);
  spawned->done = TRUE;
}

static gboolean
spawned_done (Fixture  *fixture,
              gpointer  spawned)
{
  return ((Spawned *) spawned)->done;
}

static void
on_activate (GApplication *app,
             guint        *activations)
{
  (*activations)++;
}

static void
single_instance_body (Fixture *fixture)
{
  g_autofree char *program = g_test_build_filename (G_TEST_BUILT, "..", "src", "app", "tokengate", NULL);
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(GError) error = NULL;
  Spawned spawned = { FALSE, NULL };
  guint activations = 0;

  wait_for_sign_in (fixture);
  g_signal_connect (fixture->app, "activate", G_CALLBACK (on_activate), &activations);

  /* The real program, a second time: it finds this one on the bus, asks it
   * to activate, and exits. */
  second = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, program, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_check_async (second, NULL, second_instance_exited, &spawned);
  wait_for (fixture, spawned_done, &spawned, "the second instance to exit");
  g_assert_no_error (spawned.error);

  g_assert_cmpuint (activations, ==, 1);
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (fixture->app))), ==, 1);
  g_assert_cmpuint (fixture->window_types->len, ==, 1);

  quit (fixture);
}

static void
test_single_instance (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *program = g_test_build_filename (G_TEST_BUILT, "..", "src", "app", "tokengate", NULL);

  if (!g_file_test (program, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("the tokengate program is not built");
      return;
    }
  g_assert_cmpint (run_app (fixture, NULL, single_instance_body), ==, 0);
}

/* ------------------------------------------------------------------------- */
/* The lost refresh answer and the reuse-grace window                        */

typedef struct {
  GAsyncResult *result;
} DemoAnswer;

static void
on_demo_answer (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  DemoAnswer *answer = user_data;

  answer->result = g_object_ref (result);
}

static gboolean
demo_answered (Fixture  *fixture,
               gpointer  answer)
{
  return ((DemoAnswer *) answer)->result != NULL;
}

/* The demo server's settings, or with @stats its counters, as it has them
 * now: asked through the session's own controls, apart from the window. */
static JsonObject *
ask_server (Fixture  *fixture,
            gboolean  stats)
{
  TgDemoControls *controls = tg_session_get_demo_controls (tg_application_get_session (fixture->app));
  TgDemoSettings unchanged = TG_DEMO_SETTINGS_INIT;
  DemoAnswer answer = { NULL };
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  g_assert_nonnull (controls);
  if (stats)
    tg_demo_controls_get_stats_async (controls, NULL, on_demo_answer, &answer);
  else
    tg_demo_controls_set_settings_async (controls, &unchanged, NULL, on_demo_answer, &answer);
  wait_for (fixture, demo_answered, &answer, "the demo server");
  object = stats ? tg_demo_controls_get_stats_finish (controls, answer.result, &error)
                 : tg_demo_controls_set_settings_finish (controls, answer.result, &error);
  g_assert_no_error (error);
  g_clear_object (&answer.result);
  return object;
}

typedef struct {
  GtkSwitch *grace_switch;
  gboolean   active;
} GraceCheck;

/* The switch flipped as a person would, until the server has the grace it
 * stands for. The window takes a flip only once it has shown the server's
 * settings (before, it would send a value the server's answer then
 * overwrites), and setting them flips the switch back: so flip again. */
static gboolean
server_grace_follows (Fixture  *fixture,
                      gpointer  data)
{
  GraceCheck *check = data;
  g_autoptr(JsonObject) settings = NULL;
  gint64 grace;

  if (gtk_switch_get_active (check->grace_switch) != check->active)
    gtk_switch_set_active (check->grace_switch, check->active);
  tg_test_iterate_for (20);

  settings = ask_server (fixture, FALSE);
  grace = json_object_get_int_member (settings, "reuseGrace");
  return check->active ? grace > 0 : grace == 0;
}

static gboolean
fault_armed (Fixture  *fixture,
             gpointer  data)
{
  g_autoptr(JsonObject) settings = ask_server (fixture, FALSE);
  JsonObject *fault;

  if (json_object_get_null_member (settings, "refreshFault"))
    return FALSE;
  fault = json_object_get_object_member (settings, "refreshFault");
  return g_strcmp0 (json_object_get_string_member (fault, "kind"), "lost-answer") == 0 &&
         json_object_get_int_member (fault, "count") == 1;
}

/* Scrolls the scrolled window around @widget to its end. */
static void
scroll_to_end (GtkWidget *widget)
{
  GtkWidget *scroller = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adjustment;

  g_assert_nonnull (scroller);
  tg_test_ui_wait_for_frame (scroller);
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) -
                                        gtk_adjustment_get_page_size (adjustment));
}

static void
lost_answer_body (Fixture *fixture)
{
  TgSignInWindow *sign_in = wait_for_sign_in (fixture);
  g_autoptr(TgHomeWindow) home = NULL;
  g_autoptr(JsonObject) stats = NULL;
  GtkWidget *lose_button;
  GtkWidget *grace_row;
  GtkSwitch *grace_switch;
  GraceCheck check;
  const char *subtitle;

  sign_in_as (sign_in, "demo", "demo");
  home = g_object_ref (wait_for_home (fixture));
  wait_for (fixture, resource_loaded, home, "the prefetched resource");

  /* The controls are there, and say what they are. */
  lose_button = tg_test_ui_find_actionable (GTK_WIDGET (home), "win.lose-refresh-answer");
  g_assert_true (GTK_IS_BUTTON (lose_button));
  g_assert_true (gtk_widget_get_visible (lose_button));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (lose_button)), ==, "Lose Next Refresh _Answer");
  g_assert_nonnull (gtk_widget_get_tooltip_text (lose_button));

  grace_switch = GTK_SWITCH (tg_test_ui_find_descendant (GTK_WIDGET (home), GTK_TYPE_SWITCH));
  g_assert_nonnull (grace_switch);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (grace_switch)));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (grace_switch), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Reuse grace window");
  g_assert_true (gtk_test_accessible_has_property (GTK_ACCESSIBLE (grace_switch),
                                                   GTK_ACCESSIBLE_PROPERTY_DESCRIPTION));
  grace_row = tg_test_ui_find_descendant (GTK_WIDGET (home), ADW_TYPE_ACTION_ROW);
  g_assert_nonnull (grace_row);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (grace_row)), ==, "Reuse _grace window");
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (grace_row));
  g_assert_nonnull (strstr (subtitle, "the same new tokens"));
  g_assert_nonnull (strstr (subtitle, "ends the session"));

  /* The switch sets the server's reuseGrace. */
  check = (GraceCheck) { grace_switch, TRUE };
  wait_for (fixture, server_grace_follows, &check, "the grace window to open");

  /* Armed from the window, a burst with a broken token: its refresh is done
   * at the server, and its answer lost. What the client then makes of it is
   * the core's business (test-token-manager); here, only that it happened. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (home), "win.lose-refresh-answer", NULL));
  wait_for (fixture, fault_armed, NULL, "the lost-answer fault to be armed");
  /* As win.break-access does, without its toast: the screenshot below waits
   * for the arming toast to go, and a second one would queue behind it. */
  tg_token_manager_replace_access_token (tg_session_get_manager (tg_application_get_session (fixture->app)), "sdf");
  tg_home_window_send_requests (home, 3);
  wait_for (fixture, back_at_sign_in_or_finished, home, "the burst whose refresh answer is lost");

  stats = ask_server (fixture, TRUE);
  g_assert_cmpint (json_object_get_int_member (stats, "lostAnswers"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (stats, "refreshes"), "ok"), >=, 1);

  if (TG_IS_HOME_WINDOW (tg_application_get_current_window (fixture->app)))
    {
      /* The picture for the README: the new controls in view (the controls
       * scroll at this size), and the toast that arming showed gone. */
      gtk_window_set_default_size (GTK_WINDOW (home), 1100, 760);
      tg_test_iterate_for (5500);
      scroll_to_end (GTK_WIDGET (grace_switch));
      tg_test_ui_save_screenshot (GTK_WIDGET (home), "demo-lost-answer.png");
      gtk_window_set_default_size (GTK_WINDOW (home), 600, 760);
      tg_test_iterate_for (300);
      scroll_to_end (GTK_WIDGET (grace_switch));
      tg_test_ui_save_screenshot (GTK_WIDGET (home), "demo-lost-answer-narrow.png");

      /* And off again. */
      check = (GraceCheck) { grace_switch, FALSE };
      wait_for (fixture, server_grace_follows, &check, "the grace window to close");
    }

  quit (fixture);
}

static void
test_lost_answer (Fixture       *fixture,
                  gconstpointer  data)
{
  g_assert_cmpint (run_app (fixture, NULL, lost_answer_body), ==, 0);
}

/* ------------------------------------------------------------------------- */
/* Signing in through the browser                                            */

/* A client secret no other text of the test holds, to look for. */
#define TEST_CLIENT_SECRET "tg-test-client-secret-4f1c9e"

/* Makes tests/tg-fake-browser the default web browser of this test case's
 * XDG directories, doing @action (see tg-fake-browser.c). */
static void
install_fake_browser (const char *action)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *applications = g_build_filename (g_get_user_data_dir (), "applications", NULL);
  g_autofree char *desktop_path = g_build_filename (applications, "tg-fake-browser.desktop", NULL);
  g_autofree char *mimeapps_path = g_build_filename (g_get_user_config_dir (), "mimeapps.list", NULL);
  g_autofree char *desktop = NULL;
  g_autofree char *log = g_build_filename (g_get_user_data_dir (), "fake-browser.log", NULL);
  g_autofree char *go = g_build_filename (g_get_user_data_dir (), "fake-browser.go", NULL);
  const char *mimeapps = "[Default Applications]\n"
                         "x-scheme-handler/http=tg-fake-browser.desktop\n"
                         "x-scheme-handler/https=tg-fake-browser.desktop\n";

  desktop = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Fake Browser\n"
                             "Exec=%s %%u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\n",
                             g_test_get_filename (G_TEST_BUILT, "tg-fake-browser", NULL));
  g_assert_cmpint (g_mkdir_with_parents (applications, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_config_dir (), 0700), ==, 0);
  g_file_set_contents (desktop_path, desktop, -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (mimeapps_path, mimeapps, -1, &error);
  g_assert_no_error (error);

  g_setenv ("TG_FAKE_BROWSER_ACTION", action, TRUE);
  g_setenv ("TG_FAKE_BROWSER_LOG", log, TRUE);
  g_setenv ("TG_FAKE_BROWSER_GO", go, TRUE);
}

/* The address the fake browser was opened at, or NULL before it was. */
static char *
fake_browser_address (void)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (g_getenv ("TG_FAKE_BROWSER_LOG"), &text, NULL, NULL) ||
      strchr (text, '\n') == NULL)
    return NULL;
  *strchr (text, '\n') = '\0';
  return g_steal_pointer (&text);
}

static gboolean
browser_opened (Fixture  *fixture,
                gpointer  window)
{
  g_autofree char *address = fake_browser_address ();

  return tg_sign_in_window_is_waiting_for_browser (window) && address != NULL;
}

static gboolean
browser_done (Fixture  *fixture,
              gpointer  window)
{
  return !tg_sign_in_window_is_waiting_for_browser (window);
}

static gboolean
subtitle_is (Fixture  *fixture,
             gpointer  subtitle)
{
  GtkWidget *home = GTK_WIDGET (tg_application_get_current_window (fixture->app));
  GtkWidget *title = tg_test_ui_find_descendant (home, ADW_TYPE_WINDOW_TITLE);

  return g_strcmp0 (adw_window_title_get_subtitle (ADW_WINDOW_TITLE (title)), subtitle) == 0;
}

static gboolean
home_or_error (Fixture  *fixture,
               gpointer  window)
{
  return current_is (fixture, GSIZE_TO_POINTER (TG_TYPE_HOME_WINDOW)) ||
         *tg_sign_in_window_get_error (window) != '\0';
}

/* No value of any key holds @secret. */
static void
assert_settings_lack (GSettings  *settings,
                      const char *secret)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autoptr(GVariant) value = g_settings_get_value (settings, keys[i]);
      g_autofree char *text = g_variant_print (value, FALSE);

      g_assert_null (strstr (text, secret));
    }
}

static void
provider_body (Fixture *fixture)
{
  /* Kept: the window is destroyed once signed in, and its error read. */
  g_autoptr(TgSignInWindow) sign_in = g_object_ref (wait_for_sign_in (fixture));
  GtkWidget *form = tg_test_ui_find_descendant (GTK_WIDGET (sign_in), TG_TYPE_PROVIDER_FORM);
  g_autofree char *go = g_strdup (g_getenv ("TG_FAKE_BROWSER_GO"));
  g_autofree char *address = NULL;
  g_autofree char *client_id = NULL;
  g_autofree char *expected_client_id = g_settings_get_string (fixture->settings, "provider-client-id");
  g_autoptr(GError) error = NULL;
  g_autofree char *subtitle = NULL;
  TgHomeWindow *home;
  GListModel *log;
  guint from;

  /* The remembered provider is shown, with no password form. */
  g_assert_true (gtk_widget_get_visible (form));
  g_assert_false (gtk_widget_get_visible (tg_sign_in_window_get_sign_in_button (sign_in)));
  if (fixture->client_secret != NULL)
    tg_provider_form_set_secret (TG_PROVIDER_FORM (form), fixture->client_secret);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (sign_in), "win.sign-in-browser", NULL));
  wait_for (fixture, browser_opened, sign_in, "the browser to open");
  address = fake_browser_address ();
  client_id = tg_test_browser_query_value (address, "client_id");
  g_assert_cmpstr (client_id, ==, expected_client_id);
  g_assert_true (g_str_has_prefix (address, tg_server_get_base_uri (fixture->server)));
  scroll_to_end (form);
  tg_test_ui_save_screenshot (GTK_WIDGET (sign_in), "provider-waiting.png");

  /* The person signs in, in the browser. */
  g_file_set_contents (go, "", 0, &error);
  g_assert_no_error (error);
  wait_for (fixture, home_or_error, sign_in, "the home window");
  g_assert_cmpstr (tg_sign_in_window_get_error (sign_in), ==, "");
  home = wait_for_home (fixture);
  wait_for (fixture, resource_loaded, home, "the prefetched resource");
  /* Who signed in (the provider's userinfo), and where the burst goes. */
  subtitle = g_strdup_printf ("demo — %s/api/resources/item-%%u", tg_server_get_base_uri (fixture->server));
  wait_for (fixture, subtitle_is, (gpointer) subtitle, "the user's name");
  /* The network log takes its rows in per frame: the screenshot waits for
   * it to show what the timeline shows, or it would picture one row where
   * the log has three. */
  wait_for (fixture, network_view_caught_up, home, "the network log's rows");
  tg_test_ui_save_screenshot (GTK_WIDGET (home), "provider-home.png");

  /* The burst goes to the request path the form named. */
  log = G_LIST_MODEL (tg_session_get_request_log (tg_application_get_session (fixture->app)));
  from = g_list_model_get_n_items (log);
  tg_home_window_send_requests (home, 2);
  wait_for (fixture, results_finished, home, "the burst");
  for (guint i = from; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(TgRequestRecord) record = g_list_model_get_item (log, i);
      g_autofree char *expected = g_strdup_printf ("/api/resources/item-%u", i - from + 1);

      g_assert_cmpstr (tg_request_record_get_path (record), ==, expected);
      g_assert_cmpuint (tg_request_record_get_status (record), ==, 200);
    }
  g_assert_cmpuint (g_list_model_get_n_items (log), ==, from + 2);

  /* The burst goes to the API the form named. */
  g_assert_cmpstr (tg_session_get_server_uri (tg_application_get_session (fixture->app)), ==,
                   tg_server_get_base_uri (fixture->server));
  g_assert_cmpint (g_settings_get_enum (fixture->settings, "server-mode"), ==, 2);
  quit (fixture);
}

/* The form remembers everything but the client secret. */
static void
test_provider_secret_not_in_settings (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_autoptr(TgProviderForm) form = g_object_ref_sink (g_object_new (TG_TYPE_PROVIDER_FORM, NULL));
  TgSessionProviderOptions options;

  g_settings_set_string (fixture->settings, "provider-issuer", "https://id.example");
  g_settings_set_string (fixture->settings, "provider-client-id", "tokengate");
  tg_provider_form_load (form, fixture->settings);
  tg_provider_form_set_secret (form, "  " TEST_CLIENT_SECRET " ");
  tg_provider_form_save (form, fixture->settings);

  assert_settings_lack (fixture->settings, TEST_CLIENT_SECRET);
  tg_provider_form_get_options (form, &options);
  g_assert_cmpstr (options.client_secret, ==, TEST_CLIENT_SECRET);
  g_assert_cmpstr (options.issuer, ==, "https://id.example");
  g_assert_cmpstr (options.path_format, ==, "/api/resources/%u");
  g_assert_null (options.api_uri);
}

/* Your Own Provider, the built-in server of another process playing it. */
static void
test_provider_browser (Fixture       *fixture,
                       gconstpointer  data)
{
  start_custom_server (fixture);
  install_fake_browser ("sign-in");
  g_settings_set_enum (fixture->settings, "server-mode", 2);
  g_settings_set_string (fixture->settings, "provider-issuer", tg_server_get_base_uri (fixture->server));
  g_settings_set_string (fixture->settings, "provider-client-id", TG_SERVER_NATIVE_CLIENT_ID);
  g_settings_set_string (fixture->settings, "provider-scope", "api offline_access");
  g_settings_set_string (fixture->settings, "api-path", "/api/resources/item-%u");

  g_assert_cmpint (run_app (fixture, NULL, provider_body), ==, 0);
}

/* A confidential client: the secret typed into the form reaches the token
 * endpoint by HTTP Basic, and never GSettings. */
static void
test_provider_confidential (Fixture       *fixture,
                            gconstpointer  data)
{
  start_custom_server_with_secret (fixture, TEST_CLIENT_SECRET);
  install_fake_browser ("sign-in");
  fixture->client_secret = TEST_CLIENT_SECRET;
  g_settings_set_enum (fixture->settings, "server-mode", 2);
  g_settings_set_string (fixture->settings, "provider-issuer", tg_server_get_base_uri (fixture->server));
  g_settings_set_string (fixture->settings, "provider-client-id", TG_SERVER_CONFIDENTIAL_CLIENT_ID);
  g_settings_set_string (fixture->settings, "provider-scope", "api offline_access");
  g_settings_set_string (fixture->settings, "api-path", "/api/resources/item-%u");

  g_assert_cmpint (run_app (fixture, NULL, provider_body), ==, 0);
  assert_settings_lack (fixture->settings, TEST_CLIENT_SECRET);
}

static void
cancel_body (Fixture *fixture)
{
  TgSignInWindow *sign_in = wait_for_sign_in (fixture);
  g_autofree char *address = NULL;
  g_autofree char *redirect = NULL;
  g_autoptr(TgTestBrowserResult) late = NULL;

  /* The built-in server signs in through the browser too. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (sign_in), "win.sign-in-browser", NULL));
  wait_for (fixture, browser_opened, sign_in, "the browser to open");
  g_assert_true (tg_sign_in_window_is_busy (sign_in));

  address = fake_browser_address ();
  redirect = tg_test_browser_query_value (address, "redirect_uri");
  g_assert_true (g_str_has_prefix (redirect, "http://127.0.0.1:"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (sign_in), "win.cancel-browser", NULL));
  wait_for (fixture, browser_done, sign_in, "the waiting to end");
  /* Cancelling is no error, and the form is back. */
  g_assert_cmpstr (tg_sign_in_window_get_error (sign_in), ==, "");
  g_assert_false (tg_sign_in_window_is_busy (sign_in));
  g_assert_true (gtk_widget_get_visible (tg_sign_in_window_get_sign_in_button (sign_in)));

  /* The listener is closed: a browser coming back late finds nobody. */
  late = tg_test_browser_get (redirect);
  g_assert_cmpuint (late->status, ==, 0);
  quit (fixture);
}

static void
test_provider_cancel (Fixture       *fixture,
                      gconstpointer  data)
{
  install_fake_browser ("none");
  g_assert_cmpint (run_app (fixture, NULL, cancel_body), ==, 0);
}

static void
builtin_browser_body (Fixture *fixture)
{
  TgSignInWindow *sign_in = wait_for_sign_in (fixture);
  TgHomeWindow *home;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (sign_in), "win.sign-in-browser", NULL));
  home = wait_for_home (fixture);
  wait_for (fixture, resource_loaded, home, "the resource");
  g_assert_true (g_settings_get_boolean (fixture->settings, "builtin-browser"));
  g_assert_nonnull (tg_session_get_provider (tg_application_get_session (fixture->app)));
  quit (fixture);
}

/* The built-in server through the browser, and a relaunch that continues
 * that session (not the password form's). */
static void
test_provider_builtin_relaunch (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  install_fake_browser ("sign-in");
  g_file_set_contents (g_getenv ("TG_FAKE_BROWSER_GO"), "", 0, &error);
  g_assert_no_error (error);

  g_assert_cmpint (run_app (fixture, NULL, builtin_browser_body), ==, 0);
  g_assert_cmpint (run_app (fixture, NULL, relaunch_body), ==, 0);
}

static void
access_denied_body (Fixture *fixture)
{
  TgSignInWindow *sign_in = wait_for_sign_in (fixture);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (sign_in), "win.sign-in-browser", NULL));
  wait_for (fixture, sign_in_settled, sign_in, "the error");
  g_assert_nonnull (strstr (tg_sign_in_window_get_error (sign_in), "did not sign you in"));
  g_assert_false (tg_sign_in_window_is_waiting_for_browser (sign_in));
  tg_test_ui_save_screenshot (GTK_WIDGET (sign_in), "provider-access-denied.png");
  g_assert_false (g_settings_get_boolean (fixture->settings, "builtin-browser"));
  quit (fixture);
}

/* The person presses Cancel on the provider's page. */
static void
test_provider_access_denied (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  install_fake_browser ("cancel");
  g_file_set_contents (g_getenv ("TG_FAKE_BROWSER_GO"), "", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (run_app (fixture, NULL, access_denied_body), ==, 0);
}

static void
not_a_provider_body (Fixture *fixture)
{
  TgSignInWindow *sign_in = wait_for_sign_in (fixture);
  GtkWidget *form = tg_test_ui_find_descendant (GTK_WIDGET (sign_in), TG_TYPE_PROVIDER_FORM);
  GtkWidget *issuer_row = tg_provider_form_get_issuer_row (TG_PROVIDER_FORM (form));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (sign_in), "win.sign-in-browser", NULL));
  wait_for (fixture, sign_in_settled, sign_in, "the error");
  g_assert_nonnull (strstr (tg_sign_in_window_get_error (sign_in), "OpenID provider"));
  g_assert_true (gtk_widget_has_css_class (issuer_row, "error"));
  g_assert_false (tg_sign_in_window_is_waiting_for_browser (sign_in));
  quit (fixture);
}

/* An issuer that is a server but no provider (the demo's JSON API answers
 * 404 at the discovery documents). */
static void
test_provider_not_a_provider (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *issuer = NULL;

  start_custom_server (fixture);
  install_fake_browser ("none");
  issuer = g_strconcat (tg_server_get_base_uri (fixture->server), "/api", NULL);
  g_settings_set_enum (fixture->settings, "server-mode", 2);
  g_settings_set_string (fixture->settings, "provider-issuer", issuer);
  g_settings_set_string (fixture->settings, "provider-client-id", TG_SERVER_NATIVE_CLIENT_ID);

  g_assert_cmpint (run_app (fixture, NULL, not_a_provider_body), ==, 0);
}


static void
bad_api_url_body (Fixture *fixture)
{
  TgSignInWindow *sign_in = wait_for_sign_in (fixture);

  /* Refused by the form, on its row, before the browser or the network. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (sign_in), "win.sign-in-browser", NULL));
  g_assert_nonnull (strstr (tg_sign_in_window_get_error (sign_in), "API URL"));
  g_assert_false (tg_sign_in_window_is_waiting_for_browser (sign_in));
  tg_test_iterate_for (200);
  g_assert_null (fake_browser_address ());
  quit (fixture);
}

/* An API URL that is not an http(s) URL: "ftp://…", then words. */
static void
test_provider_bad_api_url (Fixture       *fixture,
                           gconstpointer  data)
{
  const char *api_url = data;

  start_custom_server (fixture);
  install_fake_browser ("sign-in");
  g_settings_set_enum (fixture->settings, "server-mode", 2);
  g_settings_set_string (fixture->settings, "provider-issuer", tg_server_get_base_uri (fixture->server));
  g_settings_set_string (fixture->settings, "provider-client-id", TG_SERVER_NATIVE_CLIENT_ID);
  g_settings_set_string (fixture->settings, "api-url", api_url);

  g_assert_cmpint (run_app (fixture, NULL, bad_api_url_body), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  tg_test_ui_keep_system_data ();
  tg_test_init (&argc, &argv);

  /* As main() does, but from the catalogs this build made (po/LANG/LC_MESSAGES),
   * so a translation is tested before it is installed. */
  g_assert_nonnull (g_getenv ("TG_LOCALE_DIR"));
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("TG_LOCALE_DIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* The test accessibility backend, not none: with none GTK 4.8 keeps no
   * accessible properties at all, and the tests check the labels a screen
   * reader would say. It talks to no bus either. */
  g_setenv ("GTK_A11Y", "test", TRUE);

  /* The application registers its name on the private bus this brings up (so
   * a second instance can be tested). A subprocess of test_bad_options() ends
   * before it would use a bus. */
  if (!tg_test_ui_init_display ())
    {
      g_print ("1..0 # SKIP no display (run under xvfb-run, as build-aux/check does)\n");
      return 0;
    }
  /* Screenshots show where things end, not a frame of a transition. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  g_test_add ("/app/demo", Fixture, NULL, setup, test_demo, teardown);
  g_test_add ("/app/demo/lost-answer", Fixture, NULL, setup, test_lost_answer, teardown);
  g_test_add ("/app/sign-in/wrong-password", Fixture, NULL, setup, test_wrong_password, teardown);
  g_test_add ("/app/sign-in/insecure-url", Fixture, NULL, setup, test_insecure_url, teardown);
  g_test_add ("/app/sign-in/unreachable", Fixture, NULL, setup, test_unreachable, teardown);
  g_test_add ("/app/sign-in/tls-failure", Fixture, NULL, setup, test_tls_failure, teardown);
  g_test_add ("/app/sign-in/not-understood", Fixture, NULL, setup, test_not_understood, teardown);
  g_test_add ("/app/command-line/bad-options", Fixture, NULL, setup, test_bad_options, teardown);
  g_test_add ("/app/relaunch/custom-server", Fixture, NULL, setup, test_relaunch_custom, teardown);
  g_test_add ("/app/relaunch/built-in-server", Fixture, NULL, setup, test_relaunch_builtin, teardown);
  g_test_add ("/app/provider/browser", Fixture, NULL, setup, test_provider_browser, teardown);
  g_test_add ("/app/provider/confidential", Fixture, NULL, setup, test_provider_confidential, teardown);
  g_test_add ("/app/provider/secret-not-in-settings", Fixture, NULL, setup,
              test_provider_secret_not_in_settings, teardown);
  g_test_add ("/app/provider/built-in-relaunch", Fixture, NULL, setup,
              test_provider_builtin_relaunch, teardown);
  g_test_add ("/app/provider/access-denied", Fixture, NULL, setup, test_provider_access_denied, teardown);
  g_test_add ("/app/provider/cancel", Fixture, NULL, setup, test_provider_cancel, teardown);
  g_test_add ("/app/provider/not-a-provider", Fixture, NULL, setup, test_provider_not_a_provider, teardown);
  g_test_add ("/app/provider/bad-api-url/ftp", Fixture, "ftp://files.example/pub", setup,
              test_provider_bad_api_url, teardown);
  g_test_add ("/app/provider/bad-api-url/words", Fixture, "my api", setup,
              test_provider_bad_api_url, teardown);
  g_test_add ("/app/custom-server/remembered", Fixture, NULL, setup, test_custom_server_remembered, teardown);
  g_test_add ("/app/menus", Fixture, NULL, setup, test_menus, teardown);
  g_test_add ("/app/single-instance", Fixture, NULL, setup, test_single_instance, teardown);
  g_test_add ("/app/language/ukrainian", Fixture, NULL, setup, test_ukrainian, teardown);

  status = g_test_run ();

  tg_test_ui_shutdown ();
  return status;
}
