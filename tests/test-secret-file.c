/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The client secret file both tokengate-cli and tokengate-server read
 * (src/common/tg-secret-file.c): what it may hold (tg_secret_file_parse(),
 * also fuzzed: tests/fuzz/fuzz-secret-file.c) and what file it may be
 * (tg_secret_file_read()). No message names the secret, only the file.
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tg-secret-file.h"
#include "tg-test-util.h"

#define SECRET "s3cr3t-of-the-client"

static void
assert_parses_to (const char *contents,
                  gsize       length,
                  const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = tg_secret_file_parse (contents, length, "FILE", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, expected);
}

static void
assert_refused (const char *contents,
                gsize       length,
                const char *says)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = tg_secret_file_parse (contents, length, "FILE", &error);

  g_assert_null (secret);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "FILE"));
  g_assert_nonnull (strstr (error->message, says));
  g_assert_null (strstr (error->message, SECRET));
}

/* The first line, trimmed of ASCII white space; the rest is not read. */
static void
test_parse_first_line (void)
{
  static const char nul_after[] = SECRET "\nsecond\0line";
  g_autofree char *largest = g_strnfill (TG_SECRET_FILE_MAX_SIZE, 'x');

  assert_parses_to (SECRET, strlen (SECRET), SECRET);
  assert_parses_to (SECRET "\n", strlen (SECRET) + 1, SECRET);
  assert_parses_to (" \t" SECRET " \r\nsecond line\n", strlen (SECRET) + 16, SECRET);
  assert_parses_to ("a b\tc", 5, "a b\tc");
  /* A NUL on a later line is not in the secret. */
  assert_parses_to (nul_after, sizeof nul_after - 1, SECRET);
  /* Only the length given is read, NUL-terminated or not. */
  assert_parses_to (SECRET "-and-more", strlen (SECRET), SECRET);
  assert_parses_to (largest, TG_SECRET_FILE_MAX_SIZE, largest);
}

static void
test_parse_refused (void)
{
  static const char nul_inside[] = SECRET "\0more\n";
  static const char nul_first[] = "\0" SECRET;
  g_autofree char *too_large = g_strnfill (TG_SECRET_FILE_MAX_SIZE + 1, 'x');

  assert_refused ("", 0, "no secret on its first line");
  assert_refused (NULL, 0, "no secret on its first line");
  assert_refused ("\n" SECRET "\n", strlen (SECRET) + 2, "no secret on its first line");
  assert_refused (" \t\r\f\n", 5, "no secret on its first line");
  assert_refused (nul_inside, sizeof nul_inside - 1, "NUL byte");
  assert_refused (nul_first, sizeof nul_first - 1, "NUL byte");
  assert_refused (too_large, TG_SECRET_FILE_MAX_SIZE + 1, "larger than 4096 bytes");
}

/* Writes @contents into a new file with @mode (past the umask). */
static char *
write_file (const char *dir,
            const char *contents,
            gssize      length,
            guint       mode)
{
  char *path = g_build_filename (dir, "client-secret", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents_full (path, contents, length, G_FILE_SET_CONTENTS_NONE, 0600, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

static void
test_read (void)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *path = write_file (dir, "  " SECRET "\nsecond line\n", -1, 0600);
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = tg_secret_file_read (path, "FILE", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, SECRET);
  /* Read-only for its owner is private too. */
  g_assert_cmpint (g_chmod (path, 0400), ==, 0);
  g_clear_pointer (&secret, g_free);
  secret = tg_secret_file_read (path, "FILE", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, SECRET);

  tg_test_rm_rf (dir);
}

/* The file's own rules, and that the content rules apply to what is read
 * (a file larger than the limit is refused, however much of it is read). */
static void
test_read_refused (void)
{
  g_autofree char *dir = tg_test_make_tmpdir ();
  g_autofree char *too_large = g_strnfill (3 * TG_SECRET_FILE_MAX_SIZE, 'x');
  const struct {
    const char *name;
    const char *contents;
    guint       mode;
    int         code;
    const char *says;
  } files[] = {
    { "readable by others", SECRET "\n", 0604, G_IO_ERROR_PERMISSION_DENIED, "chmod 600" },
    { "readable by the group", SECRET "\n", 0640, G_IO_ERROR_PERMISSION_DENIED, "open to other users (mode 0640)" },
    { "writable by the group", SECRET "\n", 0620, G_IO_ERROR_PERMISSION_DENIED, "open to other users" },
    { "runnable by others", SECRET "\n", 0701, G_IO_ERROR_PERMISSION_DENIED, "open to other users" },
    { "empty", "", 0600, G_IO_ERROR_INVALID_DATA, "no secret on its first line" },
    { "too large", too_large, 0600, G_IO_ERROR_INVALID_DATA, "larger than" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = write_file (dir, files[i].contents, -1, files[i].mode);
      g_autoptr(GError) error = NULL;
      g_autofree char *secret = NULL;

      g_test_message ("%s", files[i].name);
      secret = tg_secret_file_read (path, "FILE", &error);
      g_assert_null (secret);
      g_assert_error (error, G_IO_ERROR, files[i].code);
      g_assert_nonnull (strstr (error->message, "FILE"));
      g_assert_nonnull (strstr (error->message, files[i].says));
      g_assert_null (strstr (error->message, SECRET));
      g_assert_cmpint (g_unlink (path), ==, 0);
    }

  /* Not a regular file, or none at all. */
  {
    g_autofree char *missing = g_build_filename (dir, "missing", NULL);
    const struct {
      const char  *path;
      int         code;
      const char  *says;
    } others[] = {
      { dir, G_IO_ERROR_INVALID_ARGUMENT, "not a regular file" },
      { "/dev/zero", G_IO_ERROR_INVALID_ARGUMENT, "not a regular file" },
      { missing, G_IO_ERROR_NOT_FOUND, "cannot open the client secret file FILE" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (others); i++)
      {
        g_autoptr(GError) error = NULL;
        g_autofree char *secret = tg_secret_file_read (others[i].path, "FILE", &error);

        g_assert_null (secret);
        g_assert_error (error, G_IO_ERROR, others[i].code);
        g_assert_nonnull (strstr (error->message, others[i].says));
      }
  }

  tg_test_rm_rf (dir);
}

int
main (int    argc,
      char **argv)
{
  tg_test_init (&argc, &argv);

  g_test_add_func ("/secret-file/parse/first-line", test_parse_first_line);
  g_test_add_func ("/secret-file/parse/refused", test_parse_refused);
  g_test_add_func ("/secret-file/read", test_read);
  g_test_add_func ("/secret-file/read/refused", test_read_refused);

  return g_test_run ();
}
