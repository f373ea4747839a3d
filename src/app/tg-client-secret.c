/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The client secret of "Your Own Provider", in the keyring. Like the core's
 * TgSecretTokenStore: one item per (issuer, client ID), in libsecret's default
 * collection, which is the secret portal's keyring inside Flatpak. Messages
 * name the issuer and client, never the secret.
 */
#define G_LOG_DOMAIN "tg-client-secret"

#include "config.h"

#include <string.h>

#include <libsecret/secret.h>

#include "tg-client-secret.h"

/* Public in effect: another version of Tokengate must find the same item. */
static const SecretSchema client_secret_schema = {
  "dev.tokengate.Tokengate.ClientSecret",
  SECRET_SCHEMA_NONE,
  {
    { "issuer", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "client-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

/* What messages about @task's item name it by: the client and issuer, not
 * the secret. */
static void
set_names (GTask      *task,
           const char *issuer,
           const char *client_id)
{
  char **names = g_new0 (char *, 3);

  names[0] = g_strdup (issuer);
  names[1] = g_strdup (client_id);
  g_task_set_task_data (task, names, (GDestroyNotify) g_strfreev);
}

static char *
describe (GTask *task)
{
  const char * const *names = g_task_get_task_data (task);

  return g_strdup_printf ("“%s” at %s", names[1], names[0]);
}

static void
looked_up (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *secret;

  secret = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, secret, (GDestroyNotify) secret_password_free);
}

/**
 * tg_client_secret_lookup_async:
 *
 * Finds the secret kept for @client_id at @issuer; finishes with %NULL (and
 * no error) when there is none.
 */
void
tg_client_secret_lookup_async (const char          *issuer,
                               const char          *client_id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, tg_client_secret_lookup_async);
  set_names (task, issuer, client_id);
  secret_password_lookup (&client_secret_schema, cancellable, looked_up, task,
                          "issuer", issuer, "client-id", client_id, NULL);
}

/**
 * tg_client_secret_lookup_finish:
 *
 * No keyring is no secret: the person types it, as the first time. Why there
 * was none to find (no Secret Service, a locked keyring) is said once per
 * lookup, naming the client, never a secret.
 *
 * Returns: (transfer full) (nullable): the secret, to be freed with
 *   tg_client_secret_free(), or %NULL
 */
char *
tg_client_secret_lookup_finish (GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;
  char *secret;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  secret = g_task_propagate_pointer (G_TASK (result), &error);
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *what = describe (G_TASK (result));

      g_message ("The client secret for %s could not be read from the keyring (%s): "
                 "it must be typed again", what, error->message);
    }
  return secret;
}

static void
saved (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autofree char *what = describe (task);
  GError *error = NULL;

  /* Said here, whether or not anybody waits: without a keyring the secret
   * lives for this run only, and the person must know why it is asked for
   * again next time. */
  if (!secret_password_store_finish (result, &error) && error != NULL)
    {
      g_message ("The client secret for %s could not be kept in the keyring (%s): "
                 "it will be asked for again", what, error->message);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
cleared (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autofree char *what = describe (task);
  GError *error = NULL;

  if (!secret_password_clear_finish (result, &error) && error != NULL)
    {
      g_message ("The client secret for %s could not be removed from the keyring (%s)",
                 what, error->message);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/**
 * tg_client_secret_save_async:
 * @secret: (nullable): the secret, or %NULL or "" for a public client,
 *   which removes any kept before
 * @callback: (nullable): for callers that wait; a failure is logged anyway
 *
 * Keeps @secret for @client_id at @issuer, replacing any kept before.
 */
void
tg_client_secret_save_async (const char          *issuer,
                             const char          *client_id,
                             const char          *secret,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (issuer != NULL);
  g_return_if_fail (client_id != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tg_client_secret_save_async);
  set_names (task, issuer, client_id);

  if (secret == NULL || *secret == '\0')
    {
      secret_password_clear (&client_secret_schema, cancellable, cleared, g_steal_pointer (&task),
                             "issuer", issuer, "client-id", client_id, NULL);
      return;
    }

  {
    g_autofree char *what = describe (task);
    /* Not translated: the keyring's other items are named in English too. */
    g_autofree char *label = g_strdup_printf ("Tokengate client secret (%s)", what);

    secret_password_store (&client_secret_schema, SECRET_COLLECTION_DEFAULT, label, secret,
                           cancellable, saved, g_steal_pointer (&task),
                           "issuer", issuer, "client-id", client_id, NULL);
  }
}

/**
 * tg_client_secret_save_finish:
 *
 * Returns: %TRUE if the keyring holds what was asked (the secret, or none)
 */
gboolean
tg_client_secret_save_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Wipes the memory it held (libsecret's own way for its passwords). */
void
tg_client_secret_free (char *secret)
{
  secret_password_free (secret);
}
