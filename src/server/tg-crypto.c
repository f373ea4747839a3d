/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The few primitives the server's secrets are made of: kernel randomness, opaque
 * tokens, constant-time comparison, and the HMAC key file that signs access tokens.
 */
#define G_LOG_DOMAIN "tg-crypto"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tg-base64url.h"
#include "tg-crypto.h"

/**
 * tg_crypto_random_bytes:
 * @buf: (out caller-allocates) (array length=len): where to put the bytes
 * @len: how many bytes
 *
 * Fills @buf from the kernel's CSPRNG. This never fails: if the kernel cannot give
 * us randomness the process aborts, because every secret the server makes (keys,
 * refresh tokens, salts) would be guessable, and there is no safe fallback.
 */
void
tg_crypto_random_bytes (guint8 *buf,
                        gsize   len)
{
  gsize done = 0;

  g_return_if_fail (buf != NULL || len == 0);

  while (done < len)
    {
      /* Flags 0: block until the pool is initialised (early boot), never read
       * from an uninitialised pool. Large requests may come back partial. */
      ssize_t n = getrandom (buf + done, len - done, 0);

      if (n < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_error ("getrandom() failed: %s; refusing to go on without a CSPRNG",
                   g_strerror (saved_errno));
        }
      done += (gsize) n;
    }
}

/**
 * tg_crypto_random_token:
 *
 * Makes an unguessable opaque token (a refresh token, an authorization code…):
 * %TG_CRYPTO_TOKEN_BYTES random bytes in base64url without padding, 43 characters
 * that are safe in URLs, form bodies and JSON without escaping.
 *
 * Returns: (transfer full): the token
 */
char *
tg_crypto_random_token (void)
{
  guint8 bytes[TG_CRYPTO_TOKEN_BYTES];
  char *token;

  tg_crypto_random_bytes (bytes, sizeof bytes);
  token = tg_base64url_encode (bytes, sizeof bytes);
  explicit_bzero (bytes, sizeof bytes);

  return token;
}

/**
 * tg_crypto_equal:
 * @a: (array length=len): first buffer
 * @b: (array length=len): second buffer
 * @len: length of both
 *
 * Compares two buffers of the same length in time that depends only on @len, not
 * on where they first differ, so that comparing a secret (a MAC, a password hash)
 * does not tell an attacker how much of a guess was right.
 *
 * Returns: %TRUE if the buffers are equal
 */
gboolean
tg_crypto_equal (const void *a,
                 const void *b,
                 gsize       len)
{
  /* volatile keeps the compiler from turning the loop back into an early exit. */
  const volatile guint8 *pa = a;
  const volatile guint8 *pb = b;
  guint8 diff = 0;

  g_return_val_if_fail (a != NULL || len == 0, FALSE);
  g_return_val_if_fail (b != NULL || len == 0, FALSE);

  for (gsize i = 0; i < len; i++)
    diff |= pa[i] ^ pb[i];

  return diff == 0;
}

/**
 * tg_crypto_sha256_hex:
 * @data: (array length=len): bytes to hash
 * @len: length of @data, or -1 if it is nul-terminated
 *
 * Returns: (transfer full): the SHA-256 of @data as 64 lowercase hex digits
 */
char *
tg_crypto_sha256_hex (const char *data,
                      gssize      len)
{
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len < 0)
    len = (gssize) strlen (data);

  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, (gsize) len);
}

/* @doing: what failed, e.g. "Could not open"; the message names the file. */
static gboolean
set_error_from_errno (GError     **error,
                      int          saved_errno,
                      const char  *doing,
                      const char  *path)
{
  g_autofree char *display = g_filename_display_name (path);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s key file “%s”: %s", doing, display, g_strerror (saved_errno));
  return FALSE;
}

/* Reads the key from an open key file. Works on the descriptor rather than the
 * path so that the size and mode we check are those of the file we read. */
static gboolean
read_key (int          fd,
          const char  *path,
          guint8       key[TG_CRYPTO_TOKEN_BYTES],
          GError     **error)
{
  struct stat st;
  gsize done = 0;

  if (fstat (fd, &st) != 0)
    return set_error_from_errno (error, errno, "Could not inspect", path);

  if (!S_ISREG (st.st_mode) || st.st_size != TG_CRYPTO_TOKEN_BYTES)
    {
      g_autofree char *display = g_filename_display_name (path);

      /* Never quote the content: it may be someone's secret put there by mistake. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Key file “%s” is not a %d-byte regular file; "
                   "remove it to have a new key made",
                   display, TG_CRYPTO_TOKEN_BYTES);
      return FALSE;
    }

  if ((st.st_mode & 077) != 0)
    {
      g_autofree char *display = g_filename_display_name (path);
      mode_t tightened = st.st_mode & 0600;

      /* Anyone who can read the key can mint access tokens for any user, so we
       * never go on with a key others can read: restrict it, or fail. (Unlike ssh,
       * which refuses such keys, we may fix it: only the server uses this file.) */
      if (fchmod (fd, tightened) != 0)
        return set_error_from_errno (error, errno,
                                     "Could not restrict access to",
                                     path);
      g_warning ("Key file “%s” was accessible to other users (mode %04o); "
                 "restricted it to %04o", display,
                 (guint) (st.st_mode & 07777), (guint) tightened);
    }

  while (done < TG_CRYPTO_TOKEN_BYTES)
    {
      ssize_t n = read (fd, key + done, TG_CRYPTO_TOKEN_BYTES - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return set_error_from_errno (error, errno, "Could not read", path);
      if (n == 0)
        {
          g_autofree char *display = g_filename_display_name (path);

          /* Shrunk between fstat() and read(). */
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "Key file “%s” is not a %d-byte regular file",
                       display, TG_CRYPTO_TOKEN_BYTES);
          return FALSE;
        }
      done += (gsize) n;
    }

  return TRUE;
}

static gboolean
create_key (const char  *path,
            guint8       key[TG_CRYPTO_TOKEN_BYTES],
            GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    return set_error_from_errno (error, errno,
                                 "Could not create the directory of", path);

  tg_crypto_random_bytes (key, TG_CRYPTO_TOKEN_BYTES);

  /* Written to a temporary file created 0600 and renamed into place, so the key
   * is never readable by others, not even for a moment, and a crash leaves either
   * no key file or a whole one. */
  return g_file_set_contents_full (path, (const char *) key, TG_CRYPTO_TOKEN_BYTES,
                                   G_FILE_SET_CONTENTS_CONSISTENT |
                                   G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}

/**
 * tg_crypto_load_or_create_key:
 * @path: (type filename): the key file
 * @error: return location for a #GError
 *
 * Loads the server's 256-bit HMAC key from @path, or, if there is no such file,
 * makes a new random key and saves it there (creating missing directories with
 * mode 0700, and the file with mode 0600). An existing file that other users may
 * access is restricted to its owner, with a warning.
 *
 * An existing file that is not exactly %TG_CRYPTO_TOKEN_BYTES bytes is an error
 * (%G_IO_ERROR_INVALID_DATA) rather than something to silently replace: replacing
 * the key would sign every user out.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set
 */
GBytes *
tg_crypto_load_or_create_key (const char  *path,
                              GError     **error)
{
  guint8 key[TG_CRYPTO_TOKEN_BYTES];
  GBytes *bytes = NULL;
  gboolean ok;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  do
    fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  while (fd < 0 && errno == EINTR);

  if (fd >= 0)
    {
      ok = read_key (fd, path, key, error);
      close (fd);
    }
  else if (errno == ENOENT)
    {
      ok = create_key (path, key, error);
    }
  else
    {
      ok = set_error_from_errno (error, errno, "Could not open", path);
    }

  if (ok)
    bytes = g_bytes_new (key, sizeof key);
  explicit_bzero (key, sizeof key);

  return bytes;
}
