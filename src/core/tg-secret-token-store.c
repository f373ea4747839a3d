/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgSecretTokenStore: the token pair as one item per account in the Secret
 * Service's default collection (gnome-keyring, KWallet, KeePassXC…), or, inside
 * Flatpak, in libsecret's own keyring keyed by the secret portal. The item's
 * secret is the same JSON document TgFileTokenStore writes.
 *
 * One store's operations run one after the other, in the order they were
 * started: each libsecret call is a few D-Bus round trips, and a save that
 * overtook a later clear would bring a dead session back at the next start.
 * Like any libsecret caller, a store is used from one thread (its callbacks
 * run in the thread-default main context of the caller).
 */
#define G_LOG_DOMAIN "tg-secret-token-store"

#include "config.h"

#include <string.h>

#include <libsecret/secret.h>

#include "tg-secret-token-store-private.h"
#include "tg-token-store-private.h"

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

typedef enum {
  OP_LOAD,
  OP_SAVE,
  OP_CLEAR,
} OpKind;

typedef struct {
  OpKind    kind;
  char     *account;  /* owned */
  TgTokens *tokens;   /* owned, nullable: what a save writes */
} Op;

struct _TgSecretTokenStore
{
  GObject  parent_instance;

  /* Operations in the order they were started, each an owned GTask; the head
   * is the one talking to the Secret Service. */
  GQueue   pending;
};

static void tg_secret_token_store_iface_init (TgTokenStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TgSecretTokenStore, tg_secret_token_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TG_TYPE_TOKEN_STORE,
                                                      tg_secret_token_store_iface_init))

static void start_head (TgSecretTokenStore *self);

static void
op_free (Op *op)
{
  g_free (op->account);
  g_clear_pointer (&op->tokens, tg_tokens_unref);
  g_free (op);
}

/* The head has returned: let the next operation go. */
static void
finish_head (TgSecretTokenStore *self,
             GTask              *task)
{
  GTask *head = g_queue_pop_head (&self->pending);

  g_assert (head == task);
  g_object_unref (head);

  start_head (self);
}

static void
lookup_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TgSecretTokenStore *self = g_task_get_source_object (task);
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
      tokens = _tg_token_store_parse (data, length, &parse_error);
      if (tokens == NULL)
        g_warning ("Secret Service: ignoring an unreadable stored session (%s)",
                   parse_error->message);
      g_task_return_pointer (task, tokens, (GDestroyNotify) tg_tokens_unref);
    }

  finish_head (self, task);
}

static void
store_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TgSecretTokenStore *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (secret_password_store_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));

  finish_head (self, task);
}

static void
clear_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TgSecretTokenStore *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  /* FALSE without an error: there was nothing to remove, which is fine. */
  if (secret_password_clear_finish (result, &error) || error == NULL)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));

  finish_head (self, task);
}

static void
save_item (GTask        *task,
           Op           *op,
           GHashTable   *attributes,
           GCancellable *cancellable)
{
  g_autoptr(SecretValue) value = NULL;
  g_autofree char *label = NULL;
  g_autofree char *document = NULL;
  gsize length = 0;

  document = _tg_token_store_serialize (op->tokens, &length);
  value = secret_value_new (document, (gssize) length, "application/json");
  explicit_bzero (document, length);

  label = g_strdup_printf ("Tokengate session (%s)", op->account);
  secret_password_storev_binary (&token_schema, attributes, SECRET_COLLECTION_DEFAULT,
                                 label, value, cancellable, store_done, g_object_ref (task));
}

/* Starts the operation at the head of the queue, if there is one. */
static void
start_head (TgSecretTokenStore *self)
{
  GTask *task;

  /* An operation cancelled while it waited never happens. */
  while ((task = g_queue_peek_head (&self->pending)) != NULL &&
         g_task_return_error_if_cancelled (task))
    g_object_unref (g_queue_pop_head (&self->pending));

  if (task != NULL)
    {
      Op *op = g_task_get_task_data (task);
      GCancellable *cancellable = g_task_get_cancellable (task);
      g_autoptr(GHashTable) attributes = NULL;

      attributes = secret_attributes_build (&token_schema, "account", op->account, NULL);

      switch (op->kind)
        {
        case OP_LOAD:
          secret_password_lookupv (&token_schema, attributes, cancellable,
                                   lookup_done, g_object_ref (task));
          break;

        case OP_SAVE:
          save_item (task, op, attributes, cancellable);
          break;

        case OP_CLEAR:
          secret_password_clearv (&token_schema, attributes, cancellable,
                                  clear_done, g_object_ref (task));
          break;

        default:
          g_assert_not_reached ();
        }
    }
}

static void
start_op (TgSecretTokenStore  *self,
          OpKind               kind,
          gpointer             source_tag,
          const char          *account,
          TgTokens            *tokens,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  op = g_new0 (Op, 1);
  op->kind = kind;
  op->account = g_strdup (account);
  op->tokens = tokens != NULL ? tg_tokens_ref (tokens) : NULL;
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);

  g_queue_push_tail (&self->pending, g_steal_pointer (&task));
  if (g_queue_get_length (&self->pending) == 1)
    start_head (self);
}

static void
tg_secret_token_store_load_async (TgTokenStore        *store,
                                  const char          *account,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  start_op (TG_SECRET_TOKEN_STORE (store), OP_LOAD, tg_token_store_load_async,
            account, NULL, cancellable, callback, user_data);
}

static void
tg_secret_token_store_save_async (TgTokenStore        *store,
                                  const char          *account,
                                  TgTokens            *tokens,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  start_op (TG_SECRET_TOKEN_STORE (store), OP_SAVE, tg_token_store_save_async,
            account, tokens, cancellable, callback, user_data);
}

static void
tg_secret_token_store_clear_async (TgTokenStore        *store,
                                   const char          *account,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  start_op (TG_SECRET_TOKEN_STORE (store), OP_CLEAR, tg_token_store_clear_async,
            account, NULL, cancellable, callback, user_data);
}

static void
tg_secret_token_store_iface_init (TgTokenStoreInterface *iface)
{
  iface->load_async = tg_secret_token_store_load_async;
  iface->save_async = tg_secret_token_store_save_async;
  iface->clear_async = tg_secret_token_store_clear_async;
}

static void
tg_secret_token_store_finalize (GObject *object)
{
  TgSecretTokenStore *self = TG_SECRET_TOKEN_STORE (object);

  /* Every pending task holds a reference to the store. */
  g_assert (g_queue_is_empty (&self->pending));

  G_OBJECT_CLASS (tg_secret_token_store_parent_class)->finalize (object);
}

static void
tg_secret_token_store_class_init (TgSecretTokenStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tg_secret_token_store_finalize;
}

static void
tg_secret_token_store_init (TgSecretTokenStore *self)
{
  g_queue_init (&self->pending);
}

/**
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
