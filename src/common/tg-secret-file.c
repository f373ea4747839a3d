/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The client secret file, read the same way by tokengate-cli
 * (--client-secret-file) and tokengate-server (its confidential client), so
 * that one file serves both and neither is laxer than the other.
 */
#define G_LOG_DOMAIN "tg-secret-file"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "tg-secret-file.h"

/**
 * tg_secret_file_parse:
 * @contents: what the file holds, not necessarily NUL-terminated
 * @length: its length in bytes
 * @shown: the file's name as it may be printed in a message
 * @error: return location for a #GError (%G_IO_ERROR_INVALID_DATA)
 *
 * The rules on what a client secret file holds, apart from the rules on the
 * file itself (tg_secret_file_read()): at most %TG_SECRET_FILE_MAX_SIZE
 * bytes, of which the first line, trimmed of white space, is the secret; it
 * must not be empty nor hold a NUL byte.
 *
 * Returns: (transfer full) (nullable): the secret, to be wiped when freed;
 *   %NULL with @error set
 */
char *
tg_secret_file_parse (const char  *contents,
                      gsize        length,
                      const char  *shown,
                      GError     **error)
{
  const char *newline;
  gsize line_length;
  gsize start = 0;

  g_return_val_if_fail (contents != NULL || length == 0, NULL);
  g_return_val_if_fail (shown != NULL, NULL);

  if (length > TG_SECRET_FILE_MAX_SIZE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the client secret file %s is larger than %d bytes", shown, TG_SECRET_FILE_MAX_SIZE);
      return NULL;
    }
  newline = length > 0 ? memchr (contents, '\n', length) : NULL;
  line_length = newline != NULL ? (gsize) (newline - contents) : length;
  /* A NUL byte would silently cut the secret short. */
  if (line_length > 0 && memchr (contents, '\0', line_length) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the client secret file %s holds a NUL byte", shown);
      return NULL;
    }

  /* Trimmed where it lies, then copied: trimming a copy in place
   * (g_strstrip()) would leave bytes of the secret past its end, where
   * wiping it up to its NUL does not reach. */
  while (line_length > 0 && g_ascii_isspace (contents[line_length - 1]))
    line_length--;
  while (start < line_length && g_ascii_isspace (contents[start]))
    start++;
  if (start == line_length)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the client secret file %s holds no secret on its first line", shown);
      return NULL;
    }
  return g_strndup (contents + start, line_length - start);
}

/**
 * tg_secret_file_read:
 * @path: the file
 * @shown: @path as it may be printed in a message (the caller knows how its
 *   output escapes names)
 * @error: return location for a #GError (G_IO_ERROR)
 *
 * Reads an OAuth 2.0 client secret: the first line of @path, trimmed. Only a
 * regular file that no other user may read, write or run is accepted — a
 * secret others can read is no secret —, holding what tg_secret_file_parse()
 * accepts.
 *
 * Returns: (transfer full) (nullable): the secret, to be wiped when freed;
 *   %NULL with @error set
 */
char *
tg_secret_file_read (const char  *path,
                     const char  *shown,
                     GError     **error)
{
  char buffer[TG_SECRET_FILE_MAX_SIZE + 1];
  struct stat st;
  gssize n_read;
  gsize length = 0;
  char *secret;
  int fd;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "cannot open the client secret file %s: %s", shown, g_strerror (errsv));
      return NULL;
    }

  /* The file we read is the file we checked: fstat, not stat. */
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "the client secret file %s is not a regular file", shown);
      return NULL;
    }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "the client secret file %s is open to other users (mode %04o); "
                   "make it private with: chmod 600 %s",
                   shown, (guint) (st.st_mode & 07777), shown);
      return NULL;
    }

  while (length < sizeof buffer &&
         (n_read = read (fd, buffer + length, sizeof buffer - length)) != 0)
    {
      if (n_read < 0 && errno == EINTR)
        continue;
      if (n_read < 0)
        {
          int errsv = errno;

          close (fd);
          explicit_bzero (buffer, sizeof buffer);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       "cannot read the client secret file %s: %s", shown, g_strerror (errsv));
          return NULL;
        }
      length += (gsize) n_read;
    }
  close (fd);

  secret = tg_secret_file_parse (buffer, length, shown, error);
  explicit_bzero (buffer, sizeof buffer);
  return secret;
}
