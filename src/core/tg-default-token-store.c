/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tg_token_store_new_default_async(): which TgTokenStore a session gets. The
 * Secret Service first (its default collection, present and unlocked), inside
 * a sandbox libsecret's portal-backed keyring, and a private 0600 file when
 * neither answers: a start that hangs on its keyring, or cannot sign in
 * because no prompt can be shown, is worse than one that keeps its tokens in a
 * file only its user can read.
 */
#define G_LOG_DOMAIN "tg-token-store"

#include "config.h"

#include <libsecret/secret.h>

#include "tg-default-token-store-private.h"
#include "tg-file-token-store-private.h"
#include "tg-secret-token-store-private.h"
#include "tg-token-store.h"

static void
return_file_store (GTask       *task,
                   const char  *why)
{
  static gint told = FALSE;
  g_autofree char *directory = g_build_filename (g_get_user_state_dir (), "tokengate", NULL);

  /* Once per process: every window asks for a store, the person needs to read
   * this only once. */
  if (g_atomic_int_compare_and_exchange (&told, FALSE, TRUE))
    g_message ("The Secret Service is not available (%s); tokens will be kept in a private file in %s",
               why, directory);

  g_task_return_pointer (task, tg_file_token_store_new (directory), g_object_unref);
}

static void
default_collection_ready (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SecretCollection) collection = NULL;
  g_autoptr(GError) error = NULL;

  collection = secret_collection_for_alias_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else if (error != NULL)
    return_file_store (task, error->message);
  /* Storing into an absent or locked default collection asks for a password
   * prompt, which a headless session cannot show: the first sign-in would
   * fail or hang instead. */
  else if (collection == NULL)
    return_file_store (task, "it has no default collection");
  else if (secret_collection_get_locked (collection))
    return_file_store (task, "its default collection is locked");
  else
    g_task_return_pointer (task, tg_secret_token_store_new (), g_object_unref);
}

/* Inside a sandbox the first libsecret call of a process asks the secret
 * portal for the app's master secret. libsecret 0.20 (Debian 12) listens for
 * the portal's Response signal only once RetrieveSecret has returned, so an
 * answer that comes at once can be missed, and then that call never completes
 * (seen in about one start in ten here; the race of xdg-desktop-portal#116).
 * So each attempt gets a deadline, and a late one is abandoned for a fresh
 * attempt, which libsecret makes with a fresh RetrieveSecret. After the last
 * attempt, the file store: a start that hangs on its keyring is worse than
 * one that keeps its tokens in a private file. Once an attempt has succeeded,
 * libsecret keeps the secret for the process and asks the portal no more.
 *
 * An attempt is never cancelled, not even when the caller cancels: libsecret
 * 0.20's handler for a cancelled portal call disconnects itself from inside
 * the cancellation, which deadlocks the process. The caller's cancellation
 * abandons the attempt instead. */
#define PORTAL_ATTEMPTS 3
static guint portal_attempt_ms = 5000;

typedef struct {
  gint          ref_count;
  /* The default-store task while this attempt may still answer it: taken by
   * whichever of the answer, the deadline and the caller's cancellation comes
   * first. */
  GTask        *task;
  TgTokenStore *store;
  guint         number;     /* from 1 */
  GSource      *deadline;
  GSource      *cancelled;  /* nullable: only with a cancellable */
} PortalAttempt;

static void start_portal_attempt (GTask *task,
                                  guint  number);

static PortalAttempt *
portal_attempt_ref (PortalAttempt *attempt)
{
  g_atomic_int_inc (&attempt->ref_count);
  return attempt;
}

static void
portal_attempt_unref (gpointer data)
{
  PortalAttempt *attempt = data;

  if (!g_atomic_int_dec_and_test (&attempt->ref_count))
    return;
  g_assert (attempt->deadline == NULL && attempt->cancelled == NULL);
  g_clear_object (&attempt->task);
  g_clear_object (&attempt->store);
  g_free (attempt);
}

/* Takes the task from @attempt, which will answer nothing more. */
static GTask *
portal_attempt_settle (PortalAttempt *attempt)
{
  GSource *deadline = g_steal_pointer (&attempt->deadline);
  GSource *cancelled = g_steal_pointer (&attempt->cancelled);

  /* Destroying a source drops its reference on the attempt; the caller holds
   * one of its own. */
  if (deadline != NULL)
    {
      g_source_destroy (deadline);
      g_source_unref (deadline);
    }
  if (cancelled != NULL)
    {
      g_source_destroy (cancelled);
      g_source_unref (cancelled);
    }
  return g_steal_pointer (&attempt->task);
}

static gboolean
portal_attempt_late (gpointer user_data)
{
  PortalAttempt *attempt = portal_attempt_ref (user_data);
  GTask *task = portal_attempt_settle (attempt);
  guint number = attempt->number;

  portal_attempt_unref (attempt);
  if (number < PORTAL_ATTEMPTS)
    {
      start_portal_attempt (task, number + 1);
    }
  else
    {
      return_file_store (task, "the secret portal did not answer");
      g_object_unref (task);
    }
  return G_SOURCE_REMOVE;
}

static gboolean
portal_attempt_cancelled (GCancellable *cancellable,
                          gpointer      user_data)
{
  PortalAttempt *attempt = portal_attempt_ref (user_data);
  g_autoptr(GTask) task = portal_attempt_settle (attempt);

  portal_attempt_unref (attempt);
  g_task_return_error_if_cancelled (task);
  return G_SOURCE_REMOVE;
}

static void
portal_attempt_ready (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  PortalAttempt *attempt = user_data;
  g_autoptr(GTask) task = portal_attempt_settle (attempt);
  g_autoptr(TgTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  tokens = tg_token_store_load_finish (TG_TOKEN_STORE (source), result, &error);
  /* Without a task, the attempt was abandoned: a later one, the file store or
   * the caller's cancellation has answered. */
  if (task != NULL && error != NULL)
    return_file_store (task, error->message);
  else if (task != NULL)
    g_task_return_pointer (task, g_object_ref (attempt->store), g_object_unref);
  portal_attempt_unref (attempt);
}

static void
start_portal_attempt (GTask *task,
                      guint  number)
{
  PortalAttempt *attempt = g_new0 (PortalAttempt, 1);
  GCancellable *cancellable = g_task_get_cancellable (task);

  attempt->ref_count = 1;
  attempt->task = task;
  attempt->store = tg_secret_token_store_new ();
  attempt->number = number;

  attempt->deadline = g_timeout_source_new (portal_attempt_ms);
  g_source_set_callback (attempt->deadline, portal_attempt_late,
                         portal_attempt_ref (attempt), portal_attempt_unref);
  g_source_attach (attempt->deadline, g_task_get_context (task));

  if (cancellable != NULL)
    {
      attempt->cancelled = g_cancellable_source_new (cancellable);
      g_source_set_callback (attempt->cancelled, G_SOURCE_FUNC (portal_attempt_cancelled),
                             portal_attempt_ref (attempt), portal_attempt_unref);
      g_source_attach (attempt->cancelled, g_task_get_context (task));
    }

  /* A lookup through the very store we would return is the honest probe of
   * the portal path (nothing is ever stored under this name). */
  tg_token_store_load_async (attempt->store, "dev.tokengate.Tokengate.probe",
                             NULL, portal_attempt_ready, attempt);
}

/* For tests: how long one attempt may take. */
void
_tg_token_store_set_portal_attempt_ms (guint ms)
{
  portal_attempt_ms = ms;
}

static gboolean
in_sandbox (void)
{
  /* The test libsecret itself makes to pick its portal-backed keyring. */
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS) || g_getenv ("SNAP_NAME") != NULL;
}

static void
secret_service_ready (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  /* Read before the task is handed on: the order in which a call's arguments
   * are evaluated is unspecified. */
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(SecretService) service = NULL;
  g_autoptr(GError) error = NULL;

  service = secret_service_get_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
    }
  else if (service == NULL && in_sandbox ())
    {
      /* A sandbox usually may not talk to the Secret Service, but libsecret's
       * password calls go through the secret portal there instead. */
      start_portal_attempt (g_steal_pointer (&task), 1);
    }
  else if (service == NULL)
    {
      return_file_store (task, error != NULL ? error->message : "unknown error");
    }
  else
    {
      secret_collection_for_alias (service, SECRET_COLLECTION_DEFAULT,
                                   SECRET_COLLECTION_NONE, cancellable,
                                   default_collection_ready, g_steal_pointer (&task));
    }
}

/**
 * tg_token_store_new_default_async:
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the store
 * @user_data: (closure): data for @callback
 *
 * Picks the store for this session: the Secret Service when it can be reached
 * and its default collection exists and is unlocked (inside Flatpak: when
 * libsecret's portal-backed keyring answers), otherwise a private file store
 * in `$XDG_STATE_HOME/tokengate` (inside Flatpak, the app's own directory),
 * each pair in a file only its owner can read. The fallback is announced once
 * per process.
 */
void
tg_token_store_new_default_async (GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_token_store_new_default_async);

  secret_service_get (SECRET_SERVICE_OPEN_SESSION | SECRET_SERVICE_LOAD_COLLECTIONS,
                      cancellable, secret_service_ready, g_steal_pointer (&task));
}

/**
 * tg_token_store_new_default_finish:
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes tg_token_store_new_default_async(). Fails only when cancelled: an
 * unreachable Secret Service gives a file store.
 *
 * Returns: (transfer full): the store, or %NULL with @error set
 */
TgTokenStore *
tg_token_store_new_default_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tg_token_store_new_default_async, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
