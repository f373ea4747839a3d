/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The terminal: stdout carries only what was asked for, stderr one line per
 * error, and text from a command line or a server is made safe to print.
 */
#define G_LOG_DOMAIN "tokengate-cli"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tg-cli.h"

/* Notes (g_message) from the core, such as where the session is kept: worth
 * reading after a login, and never in the way of a one-line error. */
static gboolean keep_notes;
static GPtrArray *notes;

G_DEFINE_QUARK (tg-cli-error-quark, tg_cli_error)

/* Our output is UTF-8 whatever the locale (g_print() would convert it). */
void
tg_cli_out (const char *format,
            ...)
{
  va_list args;

  va_start (args, format);
  vfprintf (stdout, format, args);
  va_end (args);
}

gboolean
tg_cli_flush_stdout (GError **error)
{
  if (fflush (stdout) == 0)
    return TRUE;

  g_propagate_error (error, tg_cli_error_new (TG_CLI_EXIT_FAILED, "cannot write to standard output: %s",
                                              g_strerror (errno)));
  return FALSE;
}

/* Text from the command line or a server, made safe to print on one line. */
char *
tg_cli_printable (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *out = g_string_new (NULL);

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

void
tg_cli_print_error_line (const char *message)
{
  g_autofree char *line = tg_cli_printable (message);

  fprintf (stderr, TG_CLI_PROGRAM ": %s\n", line);
  fflush (stderr);
}

/* ------------------------------------------------------------------------- */
/* Log messages: one clean line each                                         */

static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  const char *message = NULL;

  if ((log_level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_WARNING)) == 0)
    return g_log_writer_default (log_level, fields, n_fields, user_data);

  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
      message = fields[i].value;
  if (message == NULL)
    return g_log_writer_default (log_level, fields, n_fields, user_data);

  if ((log_level & G_LOG_LEVEL_MESSAGE) != 0)
    {
      /* Kept until the command has succeeded (see tg_cli_flush_notes()). */
      if (keep_notes)
        g_ptr_array_add (notes, tg_cli_printable (message));
      return G_LOG_WRITER_HANDLED;
    }

  {
    g_autofree char *line = tg_cli_printable (message);

    fprintf (stderr, TG_CLI_PROGRAM ": warning: %s\n", line);
    fflush (stderr);
  }
  return G_LOG_WRITER_HANDLED;
}

/* Warnings become one line each; with @keep, notes wait for
 * tg_cli_flush_notes(), otherwise they are dropped. */
void
tg_cli_install_log_writer (gboolean keep)
{
  keep_notes = keep;
  if (notes == NULL)
    notes = g_ptr_array_new_with_free_func (g_free);
  g_log_set_writer_func (log_writer, NULL, NULL);
}

void
tg_cli_flush_notes (void)
{
  for (guint i = 0; notes != NULL && i < notes->len; i++)
    fprintf (stderr, TG_CLI_PROGRAM ": note: %s\n", (const char *) g_ptr_array_index (notes, i));
  fflush (stderr);
  if (notes != NULL)
    g_ptr_array_set_size (notes, 0);
}

/* ------------------------------------------------------------------------- */
/* Errors                                                                    */

GError *
tg_cli_error_new (TgCliExit   status,
                  const char *format,
                  ...)
{
  GError *error;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (TG_CLI_ERROR, status, format, args);
  va_end (args);
  return error;
}

/* @error as the command's failure, said about @what (a URI, or "the
 * sign-in"…). Cancelled means interrupted; a server that cannot be reached
 * at @uri reads "cannot reach URI: reason". */
GError *
tg_cli_error_about (const GError *error,
                    const char   *uri,
                    const char   *what)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return tg_cli_error_new (TG_CLI_EXIT_INTERRUPTED, "interrupted");

  if (uri != NULL && tg_error_is_unreachable (error))
    {
      /* GIO says "Could not connect to 127.0.0.1: Connection refused"; the
       * reason is the part after the last colon. */
      const char *reason = strrchr (error->message, ':');

      reason = reason != NULL && reason[1] == ' ' ? reason + 2 : error->message;
      if (error->domain == G_TLS_ERROR)
        return tg_cli_error_new (TG_CLI_EXIT_FAILED, "cannot reach %s securely: %s", uri, error->message);
      return tg_cli_error_new (TG_CLI_EXIT_FAILED, "cannot reach %s: %s", uri, reason);
    }

  if (what != NULL)
    return tg_cli_error_new (TG_CLI_EXIT_FAILED, "%s: %s", what, error->message);
  return tg_cli_error_new (TG_CLI_EXIT_FAILED, "%s", error->message);
}
