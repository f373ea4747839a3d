/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The app's client secret of "Your Own Provider" (tg-client-secret.c) against
 * the gnome-keyring-daemon that tests/keyring-session starts on a private bus:
 * kept, found again by a new process (what a relaunch does), replaced, removed
 * when the client becomes public; and what is said when the keyring is locked
 * or there is none. No secret ever reaches a log line.
 */
#include "config.h"

#include <string.h>

#include <libsecret/secret.h>

#include "tg-client-secret.h"
#include "tg-test-util.h"

#define WAIT_SECONDS 30
#define ISSUER "https://id.example"
#define CLIENT_ID "tokengate-test"

/* Values no log line may ever contain. */
#define SECRET_ONE "client-secret-SENTINEL-one-5d1e"
#define SECRET_TWO "client-secret-SENTINEL-two-b07a"

/* A copy, not the module's own: the schema is a contract with items other
 * versions of the app wrote, so a rename there must fail here. */
static const SecretSchema test_schema = {
  "dev.tokengate.Tokengate.ClientSecret",
  SECRET_SCHEMA_NONE,
  {
    { "issuer", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "client-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

/* Set by the parent for the child of a trapped subprocess. */
#define EXPECTED_ENV "TG_TEST_EXPECTED_CLIENT_SECRET"

typedef struct {
  gboolean      done;
  GAsyncResult *result;
} Wait;

static void
got_result (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
  wait->done = TRUE;
}

static gboolean
save_sync (const char  *issuer,
           const char  *client_id,
           const char  *secret,
           GError     **error)
{
  Wait wait = { 0 };
  gboolean ok;

  tg_client_secret_save_async (issuer, client_id, secret, NULL, got_result, &wait);
  tg_test_wait (&wait.done, WAIT_SECONDS);
  ok = tg_client_secret_save_finish (wait.result, error);
  g_object_unref (wait.result);
  return ok;
}

static char *
lookup_sync (const char *issuer,
             const char *client_id)
{
  Wait wait = { 0 };
  char *secret;

  tg_client_secret_lookup_async (issuer, client_id, NULL, got_result, &wait);
  tg_test_wait (&wait.done, WAIT_SECONDS);
  secret = tg_client_secret_lookup_finish (wait.result);
  g_object_unref (wait.result);
  return secret;
}

/* Whether @secret is what the keyring holds for CLIENT_ID; compared here so
 * that no assertion message prints it. */
static gboolean
holds (const char *issuer,
       const char *client_id,
       const char *secret)
{
  char *found = lookup_sync (issuer, client_id);
  gboolean same = g_strcmp0 (found, secret) == 0;

  tg_client_secret_free (found);
  return same;
}

/* The items the keyring has for CLIENT_ID at ISSUER. */
static GList *
items (void)
{
  g_autoptr(GError) error = NULL;
  GList *found = secret_password_search_sync (&test_schema, SECRET_SEARCH_ALL, NULL, &error,
                                              "issuer", ISSUER, "client-id", CLIENT_ID, NULL);

  g_assert_no_error (error);
  return found;
}

/* A new process asks the keyring, as a relaunched app does; it compares with
 * what the parent put in EXPECTED_ENV ("" for none). */
static void
assert_found_after_relaunch (const char *testpath,
                             const char *expected)
{
  g_setenv (EXPECTED_ENV, expected != NULL ? expected : "", TRUE);
  g_test_trap_subprocess (testpath, WAIT_SECONDS * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv (EXPECTED_ENV);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout_unmatched ("*SENTINEL*");
  g_test_trap_assert_stderr_unmatched ("*SENTINEL*");
}

static void
relaunched_lookup (void)
{
  const char *expected = g_getenv (EXPECTED_ENV);

  g_assert_nonnull (expected);
  g_assert_true (holds (ISSUER, CLIENT_ID, *expected != '\0' ? expected : NULL));
}

/* Kept, found by a new process, replaced (one item still), kept apart from
 * another client, and gone once the client is saved without one. */
static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  GList *found;

  if (g_test_subprocess ())
    {
      relaunched_lookup ();
      return;
    }

  g_assert_true (holds (ISSUER, CLIENT_ID, NULL));
  g_assert_true (save_sync (ISSUER, CLIENT_ID, SECRET_ONE, &error));
  g_assert_no_error (error);
  assert_found_after_relaunch ("/app/client-secret/round-trip", SECRET_ONE);

  g_assert_true (save_sync (ISSUER, CLIENT_ID, SECRET_TWO, &error));
  g_assert_no_error (error);
  g_assert_true (holds (ISSUER, CLIENT_ID, SECRET_TWO));
  found = items ();
  g_assert_cmpuint (g_list_length (found), ==, 1);
  {
    SecretItem *item = found->data;
    g_autofree char *label = secret_item_get_label (item);

    g_assert_cmpstr (label, ==, "Tokengate client secret (“" CLIENT_ID "” at " ISSUER ")");
  }
  g_list_free_full (found, g_object_unref);

  /* Another client, or the same ID at another issuer: another item. */
  g_assert_true (save_sync (ISSUER, "other-client", SECRET_ONE, &error));
  g_assert_true (save_sync ("https://other.example", CLIENT_ID, SECRET_ONE, &error));
  g_assert_no_error (error);
  g_assert_true (holds (ISSUER, CLIENT_ID, SECRET_TWO));

  /* A public client now: the secret is removed, and stays removed. */
  g_assert_true (save_sync (ISSUER, CLIENT_ID, "", &error));
  g_assert_no_error (error);
  g_assert_true (holds (ISSUER, CLIENT_ID, NULL));
  assert_found_after_relaunch ("/app/client-secret/round-trip", NULL);
  g_assert_true (holds (ISSUER, "other-client", SECRET_ONE));
  g_assert_true (save_sync (ISSUER, CLIENT_ID, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (save_sync (ISSUER, "other-client", NULL, &error));
  g_assert_true (save_sync ("https://other.example", CLIENT_ID, NULL, &error));
  g_assert_no_error (error);
}

/* No Secret Service at all: saving fails and says so, a lookup finds
 * nothing and says why, naming the client and never the secret. */
static void
test_no_keyring (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;

      /* Before anything in this process has connected to a bus. */
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/tokengate-test-bus", TRUE);
      g_assert_false (save_sync (ISSUER, CLIENT_ID, SECRET_ONE, &error));
      g_assert_nonnull (error);
      g_assert_true (holds (ISSUER, CLIENT_ID, NULL));
      return;
    }

  g_test_trap_subprocess (NULL, WAIT_SECONDS * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* The quotes around the client ID depend on the locale's charset. */
  g_test_trap_assert_stderr ("*The client secret for *" CLIENT_ID "* at " ISSUER
                             " could not be kept in the keyring*it will be asked for again*");
  g_test_trap_assert_stderr ("*The client secret for *" CLIENT_ID "* at " ISSUER
                             " could not be read from the keyring*must be typed again*");
  g_test_trap_assert_stderr_unmatched ("*SENTINEL*");
  g_test_trap_assert_stdout_unmatched ("*SENTINEL*");
}

static GVariant *
call_secrets (GDBusConnection    *bus,
              const char         *interface,
              const char         *method,
              GVariant           *parameters,
              const GVariantType *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", "/org/freedesktop/secrets",
                                                 interface, method, parameters, reply_type,
                                                 G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000, NULL, &error);

  g_assert_no_error (error);
  return reply;
}

/* Makes the default keyring one with a password, and locks it: made without
 * a prompt through gnome-keyring's own interface for tests (the Secret
 * Service API can only ask the person for a password), in plain D-Bus so
 * that the app's libsecret sees it as any other. */
static void
lock_default_keyring (void)
{
  static const char password[] = "tokengate-test-keyring-password";
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_autoptr(GVariant) session = NULL;
  g_autoptr(GVariant) created = NULL;
  g_autoptr(GVariant) alias = NULL;
  g_autoptr(GVariant) locked = NULL;
  g_autoptr(GVariantBuilder) properties = g_variant_builder_new (G_VARIANT_TYPE ("a{sv}"));
  const char *session_path;
  const char *collection;
  const char *objects[2] = { NULL, NULL };

  g_assert_no_error (error);
  /* "plain": the password crosses our own private bus only. */
  session = call_secrets (bus, "org.freedesktop.Secret.Service", "OpenSession",
                          g_variant_new ("(sv)", "plain", g_variant_new_string ("")),
                          G_VARIANT_TYPE ("(vo)"));
  g_variant_get (session, "(v&o)", NULL, &session_path);

  g_variant_builder_add (properties, "{sv}", "org.freedesktop.Secret.Collection.Label",
                         g_variant_new_string ("locked-test"));
  created = call_secrets (bus, "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
                          "CreateWithMasterPassword",
                          g_variant_new ("(a{sv}(o@ay@ays))", properties, session_path,
                                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "", 0, 1),
                                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, password,
                                                                    sizeof password - 1, 1),
                                         "text/plain"),
                          G_VARIANT_TYPE ("(o)"));
  g_variant_get (created, "(&o)", &collection);

  alias = call_secrets (bus, "org.freedesktop.Secret.Service", "SetAlias",
                        g_variant_new ("(so)", "default", collection), NULL);
  objects[0] = collection;
  locked = call_secrets (bus, "org.freedesktop.Secret.Service", "Lock",
                         g_variant_new ("(^ao)", objects), G_VARIANT_TYPE ("(aoo)"));
}

/* A default keyring that is locked and cannot be unlocked here (the prompt
 * needs a display): the secret is not found, saving says it was not kept,
 * and neither hangs. In a subprocess: the default alias moves. */
static void
test_locked (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;

      lock_default_keyring ();
      g_assert_true (holds (ISSUER, CLIENT_ID, NULL));
      g_assert_false (save_sync (ISSUER, CLIENT_ID, SECRET_ONE, &error));
      g_assert_nonnull (error);
      return;
    }

  g_test_trap_subprocess (NULL, WAIT_SECONDS * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*The client secret for *" CLIENT_ID "* at " ISSUER
                             " could not be kept in the keyring*it will be asked for again*");
  g_test_trap_assert_stderr_unmatched ("*SENTINEL*");
  g_test_trap_assert_stdout_unmatched ("*SENTINEL*");
}

int
main (int    argc,
      char **argv)
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/app/client-secret/round-trip", test_round_trip);
  g_test_add_func ("/app/client-secret/no-keyring", test_no_keyring);
  g_test_add_func ("/app/client-secret/locked", test_locked);

  return g_test_run ();
}
