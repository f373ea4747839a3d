/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgSecretTokenStore: the token pair as one item per account in the Secret
 * Service's default collection (gnome-keyring, KWallet, KeePassXC…), or, inside
 * Flatpak, in libsecret's own keyring keyed by the secret portal. The item's
 * secret is the same JSON document TgFileTokenStore writes.
 *
 * One store's operations run one after the other, in the order they were
 * started (TgQueuedTokenStore). Like any libsecret caller, a store is used
 * from one thread (its callbacks run in the thread-default main context of
 * the caller).
 */
#define G_LOG_DOMAIN "tg-secret-token-store"

#include "config.h"

#include <string.h>

#include <libsecret/secret.h>

#include "tg-secret-token-store-private.h"
#include "tg-token-document-private.h"

/* Public in effect: an item written by another version of Tokengate must be
 * found by this one, so neither the name nor the attribute may change. */
static const SecretSchema token_schema = {
  "dev.tokengate.Tokengate.Tokens",
  SECRET_SCHEMA_NONE,
  {
    { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

struct _TgSecretTokenStore
{
  TgQueuedTokenStore parent_instance;
};

G_DEFINE_FINAL_TYPE (TgSecretTokenStore, tg_secret_token_store, TG_TYPE_QUEUED_TOKEN_STORE)

static void
lookup_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SecretValue) value = NULL;
  g_autoptr(GError) error = NULL;

  value = secret_password_lookup_binary_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (value == NULL)
    g_task_return_pointer (task, NULL, NULL);  /* never signed in, or signed out */
  else
    {
      g_autoptr(GError) parse_error = NULL;
      TgTokens *tokens;
      gsize length = 0;
      const char *data = secret_value_get (value, &length);

      /* A damaged item means signed out, not a broken app: the next sign-in
       * replaces it. The reason is a fixed text, never the item's content. */
      tokens = _tg_token_document_parse (data, length, &parse_error);
      if (tokens == NULL)
        g_warning ("Secret Service: ignoring an unreadable stored session (%s)",
                   parse_error->message);
      g_task_return_pointer (task, tokens, (GDestroyNotify) tg_tokens_unref);
    }
}

static void
store_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (secret_password_store_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
clear_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* FALSE without an error: there was nothing to remove, which is fine. */
  if (secret_password_clear_finish (result, &error) || error == NULL)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
save_item (GTask        *task,
           TgStoreOp    *op,
           GHashTable   *attributes,
           GCancellable *cancellable)
{
  g_autoptr(SecretValue) value = NULL;
  g_autofree char *label = NULL;
  g_autofree char *document = NULL;
  gsize length = 0;

  document = _tg_token_document_serialize (op->tokens, &length);
  value = secret_value_new (document, (gssize) length, "application/json");
  explicit_bzero (document, length);

  label = g_strdup_printf ("Tokengate session (%s)", op->account);
  secret_password_storev_binary (&token_schema, attributes, SECRET_COLLECTION_DEFAULT,
                                 label, value, cancellable, store_done, g_object_ref (task));
}

static void
tg_secret_token_store_run (TgQueuedTokenStore *store,
                           GTask              *task,
                           TgStoreOp          *op)
{
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GHashTable) attributes = NULL;

  attributes = secret_attributes_build (&token_schema, "account", op->account, NULL);

  switch (op->kind)
    {
    case TG_STORE_OP_LOAD:
      secret_password_lookupv (&token_schema, attributes, cancellable,
                               lookup_done, g_object_ref (task));
      break;

    case TG_STORE_OP_SAVE:
      save_item (task, op, attributes, cancellable);
      break;

    case TG_STORE_OP_CLEAR:
      secret_password_clearv (&token_schema, attributes, cancellable,
                              clear_done, g_object_ref (task));
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
tg_secret_token_store_class_init (TgSecretTokenStoreClass *klass)
{
  TgQueuedTokenStoreClass *store_class = TG_QUEUED_TOKEN_STORE_CLASS (klass);

  store_class->run = tg_secret_token_store_run;
}

static void
tg_secret_token_store_init (TgSecretTokenStore *self)
{
}

/*
 * tg_secret_token_store_new:
 *
 * A store in the Secret Service's default collection. It does not check that
 * a Secret Service is there; tg_token_store_new_default_async() does.
 *
 * Returns: (transfer full): a new #TgSecretTokenStore
 */
TgTokenStore *
tg_secret_token_store_new (void)
{
  return g_object_new (TG_TYPE_SECRET_TOKEN_STORE, NULL);
}
