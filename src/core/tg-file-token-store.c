/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgFileTokenStore: the fallback when no Secret Service can be reached. One
 * file per account, named after the SHA-256 of the account (so that the file
 * names say nothing about the server or the user), holding the same JSON
 * document as the keyring item, readable by its owner only.
 *
 * All disk I/O happens in a worker thread, one operation at a time, in the
 * order they were started (TgQueuedTokenStore).
 */
#define G_LOG_DOMAIN "tg-file-token-store"

#include "config.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tg-file-token-store-private.h"
#include "tg-token-document-private.h"

struct _TgFileTokenStore
{
  TgQueuedTokenStore  parent_instance;

  char               *directory;  /* owned; set at construction, then read by
                                     the worker thread too */
};

G_DEFINE_FINAL_TYPE (TgFileTokenStore, tg_file_token_store, TG_TYPE_QUEUED_TOKEN_STORE)

enum {
  PROP_0,
  PROP_DIRECTORY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------------- */
/* The blocking part, in the worker thread                                   */

static void
wipe_free (char  *data,
           gsize  length)
{
  if (data != NULL)
    explicit_bzero (data, length);
  g_free (data);
}

static void
warn_unreadable (const char *path,
                 const char *why)
{
  /* The file's name and a fixed reason: never anything read from it. */
  g_warning ("%s: ignoring an unreadable stored session (%s)", path, why);
}

/* Reads the whole file, at most TG_TOKEN_DOCUMENT_MAX_SIZE bytes of it.
 * Returns NULL (with *absent set when there is simply no file) after warning
 * about anything else. */
static char *
read_private_file (const char *path,
                   gsize      *out_length,
                   gboolean   *absent)
{
  struct stat st;
  g_autofree char *data = NULL;
  gsize length = 0;
  int fd;

  *absent = FALSE;

  /* O_NOFOLLOW: our directory holds regular files only, and a symlink in it
   * would make us read (and later replace) something else. O_NONBLOCK: a FIFO
   * put there must not hang the thread. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT)
        *absent = TRUE;
      else
        warn_unreadable (path, g_strerror (saved_errno));
      return NULL;
    }

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      warn_unreadable (path, "not a regular file");
      g_close (fd, NULL);
      return NULL;
    }

  /* Refused rather than tightened: a pair that other users could read may
   * already be in someone else's hands. Signing in again replaces it with a
   * new pair in a 0600 file; the warning names the file for whoever wants to
   * look at how it got that way. */
  if ((st.st_mode & 0077) != 0 || st.st_uid != getuid ())
    {
      g_warning ("%s: ignoring a stored session that other users could read or change "
                 "(mode %04o); sign in again to replace it",
                 path, (unsigned) (st.st_mode & 07777));
      g_close (fd, NULL);
      return NULL;
    }

  if (st.st_size > TG_TOKEN_DOCUMENT_MAX_SIZE)
    {
      warn_unreadable (path, "larger than 64 KiB");
      g_close (fd, NULL);
      return NULL;
    }

  /* One byte more than allowed, so that a file that grew since fstat() is
   * caught instead of silently cut. */
  data = g_malloc (TG_TOKEN_DOCUMENT_MAX_SIZE + 1);
  while (length <= TG_TOKEN_DOCUMENT_MAX_SIZE)
    {
      gssize n = read (fd, data + length, TG_TOKEN_DOCUMENT_MAX_SIZE + 1 - length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          warn_unreadable (path, g_strerror (saved_errno));
          g_close (fd, NULL);
          wipe_free (g_steal_pointer (&data), length);
          return NULL;
        }
      if (n == 0)
        break;
      length += (gsize) n;
    }
  g_close (fd, NULL);

  *out_length = length;
  return g_steal_pointer (&data);
}

static TgTokens *
load_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  TgTokens *tokens;
  gboolean absent;
  gsize length = 0;
  char *data;

  data = read_private_file (path, &length, &absent);
  if (data == NULL)
    return NULL;

  tokens = _tg_token_document_parse (data, length, &error);
  wipe_free (data, length);
  if (tokens == NULL)
    warn_unreadable (path, error->message);

  return tokens;
}

static gboolean
save_file (const char  *directory,
           const char  *path,
           TgTokens    *tokens,
           GError     **error)
{
  g_autofree char *document = NULL;
  gsize length = 0;
  gboolean ok;

  /* 0700 for the directory we create; an existing one is left as it is (the
   * files in it are 0600 whatever the directory's mode). */
  if (g_mkdir_with_parents (directory, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not create %s: %s"), directory, g_strerror (saved_errno));
      return FALSE;
    }

  /* CONSISTENT: a temporary file renamed over the old one, so a crash leaves
   * the old pair or the new, never half of one. DURABLE: fsync()ed before the
   * rename, so that a rotated refresh token is really on disk before the
   * token manager lets anyone use the new pair. The temporary file is created
   * 0600 too. */
  document = _tg_token_document_serialize (tokens, &length);
  ok = g_file_set_contents_full (path, document, (gssize) length,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error);
  wipe_free (g_steal_pointer (&document), length);

  return ok;
}

static gboolean
clear_file (const char  *path,
            GError     **error)
{
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not remove %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

/* The account's file: named after the SHA-256 of the account, so that the
 * file names say nothing about the server or the user. */
static char *
account_path (TgFileTokenStore *self,
              const char       *account)
{
  g_autofree char *name = g_compute_checksum_for_string (G_CHECKSUM_SHA256, account, -1);
  g_autofree char *file_name = g_strconcat (name, ".json", NULL);

  return g_build_filename (self->directory, file_name, NULL);
}

static void
run_in_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  TgFileTokenStore *self = source_object;
  TgStoreOp *op = task_data;
  g_autofree char *path = account_path (self, op->account);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  /* Cancelled before the thread got to it: it never happens. */
  if (g_task_return_error_if_cancelled (task))
    return;

  switch (op->kind)
    {
    case TG_STORE_OP_LOAD:
      g_task_return_pointer (task, load_file (path), (GDestroyNotify) tg_tokens_unref);
      return;

    case TG_STORE_OP_SAVE:
      ok = save_file (self->directory, path, op->tokens, &error);
      break;

    case TG_STORE_OP_CLEAR:
      ok = clear_file (path, &error);
      break;

    default:
      g_assert_not_reached ();
    }

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

/* Returning from the worker thread hands the result to the task's own main
 * context, where the queue starts the next operation. */
static void
tg_file_token_store_run (TgQueuedTokenStore *store,
                         GTask              *task,
                         TgStoreOp          *op)
{
  g_task_run_in_thread (task, run_in_thread);
}

/* ------------------------------------------------------------------------- */
/* GObject                                                                   */

static void
tg_file_token_store_finalize (GObject *object)
{
  TgFileTokenStore *self = TG_FILE_TOKEN_STORE (object);

  g_clear_pointer (&self->directory, g_free);

  G_OBJECT_CLASS (tg_file_token_store_parent_class)->finalize (object);
}

static void
tg_file_token_store_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TgFileTokenStore *self = TG_FILE_TOKEN_STORE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_value_set_string (value, self->directory);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_file_token_store_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  TgFileTokenStore *self = TG_FILE_TOKEN_STORE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_assert (self->directory == NULL);
      self->directory = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_file_token_store_class_init (TgFileTokenStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  TgQueuedTokenStoreClass *store_class = TG_QUEUED_TOKEN_STORE_CLASS (klass);

  object_class->finalize = tg_file_token_store_finalize;
  object_class->get_property = tg_file_token_store_get_property;
  object_class->set_property = tg_file_token_store_set_property;
  store_class->run = tg_file_token_store_run;

  /*
   * TgFileTokenStore:directory:
   *
   * Where the files go; created (0700) at the first save.
   */
  properties[PROP_DIRECTORY] =
    g_param_spec_string ("directory", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tg_file_token_store_init (TgFileTokenStore *self)
{
}

/*
 * tg_file_token_store_new:
 * @directory: where to keep the files; created with mode 0700 when needed
 *
 * A store that keeps each account's pair in its own 0600 file in @directory.
 *
 * Returns: (transfer full): a new #TgFileTokenStore
 */
TgTokenStore *
tg_file_token_store_new (const char *directory)
{
  g_return_val_if_fail (directory != NULL && *directory != '\0', NULL);

  return g_object_new (TG_TYPE_FILE_TOKEN_STORE,
                       "directory", directory,
                       NULL);
}
