/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tokengate-cli: the client core without a window.
 *
 *   tokengate-cli [--server URL | --embedded] [--protocol seed|oauth2] …  COMMAND
 *
 * `login`, `get PATH` and `logout` keep the session between runs in the
 * default token store (the Secret Service, or a private file); `burst` signs
 * in afresh every time, in memory only, breaks the session on purpose and
 * fires N requests at once — the posts' "3 × 401 → 1 refresh → 3 × 200" from
 * a terminal, as a table or as JSON.
 *
 * Exit status: 0 success; 1 a runtime failure (for burst: a request that did
 * not succeed — `--break revoke` always ends that way, on purpose); 2 a usage
 * error; 130 interrupted. Every error is one line on stderr; stdout carries
 * only what was asked for.
 */
#define G_LOG_DOMAIN "tokengate-cli"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <tokengate.h>
#include "tg-server.h"

#define PROGRAM "tokengate-cli"

#define EXIT_OK          0
#define EXIT_FAILED      1
#define EXIT_USAGE       2
#define EXIT_INTERRUPTED 130

#define DEFAULT_REQUESTS    3
#define MAX_REQUESTS        100000
#define DEFAULT_PATH        "/api/resources/%u"
#define MAX_DELAY_MS        60000
#define MAX_ACCESS_TTL      86400
/* `--break natural` waits for the access token to expire, but not forever. */
#define MAX_NATURAL_WAIT_US ((gint64) 5 * 60 * G_USEC_PER_SEC)
/* Without proactive refresh the server must see the token expired: its `exp`
 * has whole seconds, and our estimate of its clock comes from a Date header
 * with whole seconds too. */
#define NATURAL_MARGIN_US   ((gint64) 1500 * G_TIME_SPAN_MILLISECOND)
#define MAX_SECRET_FILE_SIZE 4096
/* The per-request table shows this many lines; --json has them all. */
#define MAX_TABLE_LINES     50

typedef enum {
  COMMAND_LOGIN,
  COMMAND_LOGOUT,
  COMMAND_GET,
  COMMAND_BURST,
} Command;

typedef enum {
  BREAK_ACCESS,
  BREAK_EXPIRE,
  BREAK_REVOKE,
  BREAK_NATURAL,
} BreakKind;

static const char * const command_names[] = {
  [COMMAND_LOGIN] = "login",
  [COMMAND_LOGOUT] = "logout",
  [COMMAND_GET] = "get",
  [COMMAND_BURST] = "burst",
};

static const char * const break_names[] = {
  [BREAK_ACCESS] = "access",
  [BREAK_EXPIRE] = "expire",
  [BREAK_REVOKE] = "revoke",
  [BREAK_NATURAL] = "natural",
};

static const char * const policy_names[] = {
  [TG_RETRY_POLICY_ALL] = "all",
  [TG_RETRY_POLICY_CANARY] = "canary",
};

/* What the command line says, as GOption leaves it. */
typedef struct {
  char     *server;
  gboolean  embedded;
  char     *latency_ms;
  char     *jitter_ms;
  char     *access_ttl;
  char     *protocol;
  char     *token_endpoint;
  char     *client_id;
  char     *client_secret_file;
  char     *scope;
  char     *user;
  gboolean  password_stdin;
  gboolean  help;
  gboolean  version;
  /* burst */
  char     *requests;
  char     *path;
  char     *break_kind;
  char     *policy;
  gboolean  no_proactive;
  gboolean  json;
} RawOptions;

typedef struct {
  /* The command line, checked */
  Command             command;
  gboolean            embedded;
  char               *server;           /* normalized: no trailing '/'; set after --embedded starts */
  guint               latency_ms;
  guint               jitter_ms;
  gint64              access_ttl;       /* 0: the server's default */
  TgAuthProtocolKind  protocol_kind;
  char               *token_endpoint;   /* nullable: explicit --token-endpoint */
  char               *client_id;
  char               *client_secret_file;
  char               *scope;
  char               *user;
  gboolean            password_stdin;
  char               *get_path;
  guint               requests;
  char               *path_format;
  BreakKind           break_kind;
  TgRetryPolicy       policy;
  gboolean            proactive;
  gboolean            json;

  /* Secrets: wiped when freed */
  char               *password;
  char               *client_secret;

  /* Running */
  GCancellable       *cancellable;
  gboolean            done;
  gboolean            interrupted;
  int                 status;
  guint               pending;          /* async operations whose callback is due */
  guint               wait_source;      /* --break natural */
  gint64              waited_us;
  TgServer           *server_object;    /* --embedded */
  TgAuthProtocol     *protocol;
  TgTokenStore       *store;            /* nullable: burst keeps nothing */
  TgTokenManager     *manager;
  TgApiClient        *client;
  TgDemoControls     *demo;
  guint               log_position;
} Cli;

/* Notes (g_message) from the core, such as where the session is kept: worth
 * reading after a login, and never in the way of a one-line error. */
static gboolean quiet_notes;
static GPtrArray *notes;

/* The terminal, while a password is typed with echo off. */
static struct termios saved_termios;
static volatile sig_atomic_t termios_saved;

/* ------------------------------------------------------------------------- */
/* Small helpers                                                             */

static void
wipe_free (char *secret)
{
  if (secret != NULL)
    explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

/* Our output is UTF-8 whatever the locale (g_print() would convert it). */
G_GNUC_PRINTF (1, 2)
static void
out (const char *format,
     ...)
{
  va_list args;

  va_start (args, format);
  vfprintf (stdout, format, args);
  va_end (args);
}

/* Text from the command line or a server, made safe to print on one line. */
static char *
printable (const char *text)
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

static void
print_error_line (const char *message)
{
  g_autofree char *line = printable (message);

  fprintf (stderr, PROGRAM ": %s\n", line);
  fflush (stderr);
}

static void
cli_finish (Cli *cli,
            int  status)
{
  if (cli->done)
    return;
  cli->done = TRUE;
  cli->status = status;
  /* Whatever is still under way ends now; its callback only cleans up. */
  g_cancellable_cancel (cli->cancellable);
}

G_GNUC_PRINTF (3, 4)
static void
cli_fail (Cli        *cli,
          int         status,
          const char *format,
          ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (cli->done)
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  /* The core keeps secrets out of its messages, however a server echoes
   * them; this is the last line of defence for the ones we still hold (the
   * password is wiped once the sign-in has its own copy). */
  {
    const char *secrets[] = { cli->client_secret, cli->password };
    g_autoptr(GString) shown = g_string_new (message);

    for (gsize i = 0; i < G_N_ELEMENTS (secrets); i++)
      if (secrets[i] != NULL && *secrets[i] != '\0')
        g_string_replace (shown, secrets[i], "[redacted]", 0);
    print_error_line (shown->str);
  }
  cli_finish (cli, status);
}

static gboolean
is_connection_error (const GError *error)
{
  if (error->domain == G_RESOLVER_ERROR || error->domain == G_TLS_ERROR)
    return TRUE;
  if (error->domain != G_IO_ERROR)
    return FALSE;

  switch (error->code)
    {
    case G_IO_ERROR_CONNECTION_REFUSED:
    case G_IO_ERROR_HOST_NOT_FOUND:
    case G_IO_ERROR_HOST_UNREACHABLE:
    case G_IO_ERROR_NETWORK_UNREACHABLE:
    case G_IO_ERROR_TIMED_OUT:
    case G_IO_ERROR_CONNECTION_CLOSED:
    case G_IO_ERROR_PROXY_FAILED:
    case G_IO_ERROR_PROXY_NOT_ALLOWED:
    case G_IO_ERROR_NOT_CONNECTED:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Fails @cli with @error, said about @what (a URI, or "the sign-in"…). A
 * connection problem reads "cannot reach URI: reason". */
static void
cli_fail_error (Cli          *cli,
                const GError *error,
                const char   *uri,
                const char   *what)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || cli->interrupted)
    {
      cli_fail (cli, EXIT_INTERRUPTED, "interrupted");
      return;
    }

  if (uri != NULL && is_connection_error (error))
    {
      /* GIO says "Could not connect to 127.0.0.1: Connection refused"; the
       * reason is the part after the last colon. */
      const char *reason = strrchr (error->message, ':');

      reason = reason != NULL && reason[1] == ' ' ? reason + 2 : error->message;
      if (error->domain == G_TLS_ERROR)
        cli_fail (cli, EXIT_FAILED, "cannot reach %s securely: %s", uri, error->message);
      else
        cli_fail (cli, EXIT_FAILED, "cannot reach %s: %s", uri, reason);
      return;
    }

  if (what != NULL)
    cli_fail (cli, EXIT_FAILED, "%s: %s", what, error->message);
  else
    cli_fail (cli, EXIT_FAILED, "%s", error->message);
}

static const char *
token_uri (Cli *cli)
{
  return tg_auth_protocol_get_token_uri (cli->protocol);
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
      /* Kept until the command has succeeded (see flush_notes()). */
      if (!quiet_notes && notes != NULL)
        g_ptr_array_add (notes, printable (message));
      return G_LOG_WRITER_HANDLED;
    }

  {
    g_autofree char *line = printable (message);

    fprintf (stderr, PROGRAM ": warning: %s\n", line);
    fflush (stderr);
  }
  return G_LOG_WRITER_HANDLED;
}

static void
flush_notes (void)
{
  for (guint i = 0; notes != NULL && i < notes->len; i++)
    fprintf (stderr, PROGRAM ": note: %s\n", (const char *) g_ptr_array_index (notes, i));
  fflush (stderr);
  if (notes != NULL)
    g_ptr_array_set_size (notes, 0);
}

/* ------------------------------------------------------------------------- */
/* The command line                                                          */

#define SUMMARY \
  "The Tokengate client without a window: sign in, send authorized requests,\n" \
  "and watch parallel requests recover from a broken token with one refresh.\n" \
  "\n" \
  "Commands:\n" \
  "  login        Sign in and keep the session (Secret Service, or a private file)\n" \
  "  logout       Sign out: revoke the session where the protocol can, forget it\n" \
  "  get PATH     GET PATH on the server with the kept session; print the body\n" \
  "  burst        Sign in afresh (in memory only), break the session, fire requests\n" \
  "               at once, and show what happened"

#define DESCRIPTION \
  "Options of burst (after the command; see also “burst --help”):\n" \
  "  --requests=N              Requests to fire at once, 1 to 100000 (default 3)\n" \
  "  --path=PATH               Where to send them; %u is the request's index\n" \
  "                            (default /api/resources/%u)\n" \
  "  --break=HOW               How to break the session first (default access):\n" \
  "                            access   replace the access token with \"sdf\" here\n" \
  "                            expire   the demo server expires every access token\n" \
  "                            revoke   the demo server revokes every session: the\n" \
  "                                     requests fail and you are signed out (exit 1)\n" \
  "                            natural  wait until the access token expires (at most\n" \
  "                                     5 minutes; with --embedded, see --access-ttl)\n" \
  "  --policy=all|canary       After the refresh, retry every request at once, or\n" \
  "                            one first and the rest if it succeeds (default all)\n" \
  "  --no-proactive            Refresh only on a 401, not ahead of the expiry\n" \
  "  --json                    Print one JSON object instead of a table\n" \
  "\n" \
  "With --embedded the user is demo and the password demo, unless --user and\n" \
  "--password-stdin say otherwise; login and logout need a real --server.\n" \
  "Without --password-stdin the password is asked for on the terminal.\n" \
  "With --protocol oauth2 and no --token-endpoint, logout revokes the session\n" \
  "at SERVER/oauth2/revoke (RFC 7009).\n" \
  "\n" \
  "Exit status: 0 on success; 1 when something failed (burst: when any request\n" \
  "did not succeed); 2 for a usage error; 130 when interrupted."

static GOptionContext *
new_main_context (RawOptions *raw)
{
  const GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &raw->server,
      "The server (plain http only on loopback; otherwise https)", "URL" },
    { "embedded", 0, 0, G_OPTION_ARG_NONE, &raw->embedded,
      "Run the demo server in this process, on a free loopback port", NULL },
    { "latency-ms", 0, 0, G_OPTION_ARG_STRING, &raw->latency_ms,
      "With --embedded: delay every API answer by MS (0 to 60000)", "MS" },
    { "jitter-ms", 0, 0, G_OPTION_ARG_STRING, &raw->jitter_ms,
      "With --embedded: and by a random 0 to MS more (0 to 60000)", "MS" },
    { "access-ttl", 0, 0, G_OPTION_ARG_STRING, &raw->access_ttl,
      "With --embedded: lifetime of access tokens (1 to 86400; default 60)", "SECONDS" },
    { "protocol", 0, 0, G_OPTION_ARG_STRING, &raw->protocol,
      "How to sign in: the seed JSON API (default) or OAuth 2.0", "seed|oauth2" },
    { "token-endpoint", 0, 0, G_OPTION_ARG_STRING, &raw->token_endpoint,
      "OAuth 2.0 token endpoint (default SERVER/oauth2/token)", "URL" },
    { "client-id", 0, 0, G_OPTION_ARG_STRING, &raw->client_id,
      "OAuth 2.0 client ID", "ID" },
    { "client-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &raw->client_secret_file,
      "Read the OAuth 2.0 client secret from FILE (mode 0600)", "FILE" },
    { "scope", 0, 0, G_OPTION_ARG_STRING, &raw->scope,
      "OAuth 2.0 scope to ask for", "SCOPE" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &raw->user,
      "User name (with --embedded: demo)", "NAME" },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &raw->password_stdin,
      "Read the password from the first line of standard input", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &raw->version,
      "Print the version and exit", NULL },
    { "help", 'h', 0, G_OPTION_ARG_NONE, &raw->help,
      "Show this help and exit", NULL },
    { NULL }
  };
  GOptionContext *context = g_option_context_new ("COMMAND");

  g_option_context_set_summary (context, SUMMARY);
  g_option_context_set_description (context, DESCRIPTION);
  g_option_context_add_main_entries (context, entries, NULL);
  /* GOption's --help would exit() from inside the parser. */
  g_option_context_set_help_enabled (context, FALSE);
  /* The options before COMMAND are the global ones; COMMAND's own follow it. */
  g_option_context_set_strict_posix (context, TRUE);

  return context;
}

static GOptionContext *
new_burst_context (RawOptions *raw)
{
  const GOptionEntry entries[] = {
    { "requests", 0, 0, G_OPTION_ARG_STRING, &raw->requests,
      "Requests to fire at once, 1 to 100000 (default 3)", "N" },
    { "path", 0, 0, G_OPTION_ARG_STRING, &raw->path,
      "Where to send them; %u is the request's index (default " DEFAULT_PATH ")", "PATH" },
    { "break", 0, 0, G_OPTION_ARG_STRING, &raw->break_kind,
      "How to break the session first (default access)", "access|expire|revoke|natural" },
    { "policy", 0, 0, G_OPTION_ARG_STRING, &raw->policy,
      "After the refresh: retry all at once, or one first (default all)", "all|canary" },
    { "no-proactive", 0, 0, G_OPTION_ARG_NONE, &raw->no_proactive,
      "Refresh only on a 401, not ahead of the expiry", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &raw->json,
      "Print one JSON object instead of a table", NULL },
    { "help", 'h', 0, G_OPTION_ARG_NONE, &raw->help,
      "Show this help and exit", NULL },
    { NULL }
  };
  GOptionContext *context = g_option_context_new (NULL);

  g_option_context_set_summary (context, "Sign in afresh (in memory only), break the session, fire "
                                "requests at once,\nand show what happened.");
  g_option_context_set_description (context,
    "--break: access replaces the access token with \"sdf\" here; expire and revoke\n"
    "use the demo server's controls (revoke makes every request fail: exit 1);\n"
    "natural waits until the access token expires (at most 5 minutes).");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_help_enabled (context, FALSE);

  return context;
}

static GOptionContext *
new_plain_context (RawOptions *raw,
                   const char *parameter)
{
  const GOptionEntry entries[] = {
    { "help", 'h', 0, G_OPTION_ARG_NONE, &raw->help,
      "Show this help and exit", NULL },
    { NULL }
  };
  GOptionContext *context = g_option_context_new (parameter);

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_help_enabled (context, FALSE);

  return context;
}

static void
raw_options_clear (RawOptions *raw)
{
  g_free (raw->server);
  g_free (raw->latency_ms);
  g_free (raw->jitter_ms);
  g_free (raw->access_ttl);
  g_free (raw->protocol);
  g_free (raw->token_endpoint);
  g_free (raw->client_id);
  g_free (raw->client_secret_file);
  g_free (raw->scope);
  g_free (raw->user);
  g_free (raw->requests);
  g_free (raw->path);
  g_free (raw->break_kind);
  g_free (raw->policy);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RawOptions, raw_options_clear)

G_GNUC_PRINTF (2, 3)
static gboolean
usage_error (GError     **error,
             const char  *format,
             ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, format, args));
  va_end (args);
  return FALSE;
}

static gboolean
parse_number (const char  *option,
              const char  *text,
              guint64      min,
              guint64      max,
              guint64     *out,
              GError     **error)
{
  g_autofree char *shown = NULL;

  if (g_ascii_string_to_unsigned (text, 10, min, max, out, NULL))
    return TRUE;

  shown = printable (text);
  return usage_error (error, "%s takes a whole number from %" G_GUINT64_FORMAT " to %"
                      G_GUINT64_FORMAT ", not “%s”", option, min, max, shown);
}

static gboolean
parse_choice (const char         *option,
              const char         *text,
              const char * const *names,
              guint               n_names,
              guint              *out,
              GError            **error)
{
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autofree char *shown = NULL;

  for (guint i = 0; i < n_names; i++)
    {
      if (strcmp (text, names[i]) == 0)
        {
          *out = i;
          return TRUE;
        }
      if (i > 0)
        g_string_append (expected, i + 1 == n_names ? " or " : ", ");
      g_string_append (expected, names[i]);
    }

  shown = printable (text);
  return usage_error (error, "%s takes %s, not “%s”", option, expected->str, shown);
}

/* An http(s) URL with a host, fit to receive tokens. Returns it without a
 * trailing slash. */
static char *
check_url (const char  *option,
           const char  *text,
           GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *shown = printable (text);
  gsize length;

  uri = g_uri_parse (text, SOUP_HTTP_URI_FLAGS, &local_error);
  if (uri == NULL)
    {
      usage_error (error, "%s: “%s” is not a URL", option, shown);
      return NULL;
    }
  if (g_uri_get_user (uri) != NULL || g_uri_get_password (uri) != NULL)
    {
      /* Not echoed: it would print the credentials. */
      usage_error (error, "%s: a user name or password in the URL is not supported", option);
      return NULL;
    }
  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      usage_error (error, "%s: “%s” must not have a query or fragment", option, shown);
      return NULL;
    }
  if (!tg_uri_is_safe_for_tokens (uri, &local_error))
    {
      usage_error (error, "%s: %s", option, local_error->message);
      return NULL;
    }

  length = strlen (text);
  while (length > 0 && text[length - 1] == '/')
    length--;
  return g_strndup (text, length);
}

static gboolean
check_get_path (const char  *path,
                GError     **error)
{
  g_autofree char *shown = printable (path);

  if (path[0] != '/' || path[1] == '/')
    return usage_error (error, "get: “%s” is not a path on the server (a path begins with a single “/”)", shown);
  for (const char *p = path; *p != '\0'; p++)
    if ((guchar) *p <= ' ' || (guchar) *p >= 0x7f)
      return usage_error (error, "get: the path may hold only printable ASCII without "
                          "spaces (percent-encode the rest)");
  return TRUE;
}

/* GOption's usage line, with the global options and the command in it. */
static char *
command_help (GOptionContext *context,
              const char     *command)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);
  const char *name = strstr (help, PROGRAM " ");

  if (name == NULL)
    return g_steal_pointer (&help);

  return g_strdup_printf ("%.*s" PROGRAM " [--server URL | --embedded] [OPTION…] %s%s",
                          (int) (name - help), help, command, name + strlen (PROGRAM));
}

/* Fills @cli from the command line, or fails with a usage error. With --help
 * or --version, *@out_help is set to what to print before exiting. */
static gboolean
parse_command_line (Cli          *cli,
                    int           argc,
                    char        **argv,
                    char        **out_help,
                    GError      **error)
{
  g_auto(RawOptions) raw = { 0 };
  g_autoptr(GOptionContext) context = new_main_context (&raw);
  g_autoptr(GOptionContext) command_context = NULL;
  guint64 number;
  guint choice;
  int command_argc;
  char **command_argv;
  const char *command;

  if (!g_option_context_parse (context, &argc, &argv, error))
    return FALSE;

  if (raw.help)
    {
      *out_help = g_option_context_get_help (context, TRUE, NULL);
      return TRUE;
    }
  if (raw.version)
    {
      *out_help = g_strdup (PROGRAM " " PACKAGE_VERSION "\n");
      return TRUE;
    }

  command_argc = argc - 1;
  command_argv = argv + 1;
  if (command_argc > 0 && strcmp (command_argv[0], "--") == 0)
    {
      command_argc--;
      command_argv++;
    }
  if (command_argc == 0)
    return usage_error (error, "no command: say login, logout, get PATH or burst (see --help)");

  command = command_argv[0];
  if (!parse_choice ("COMMAND", command, command_names, G_N_ELEMENTS (command_names), &choice, NULL))
    {
      g_autofree char *shown = printable (command);

      return usage_error (error, "unknown command “%s”: say login, logout, get PATH or burst", shown);
    }
  cli->command = choice;

  /* The command's own arguments. */
  if (cli->command == COMMAND_BURST)
    command_context = new_burst_context (&raw);
  else
    command_context = new_plain_context (&raw, cli->command == COMMAND_GET ? "PATH" : NULL);
  {
    g_autofree char *prefix = g_strdup_printf ("%s: ", command);

    if (!g_option_context_parse (command_context, &command_argc, &command_argv, error))
      {
        g_prefix_error (error, "%s", prefix);
        return FALSE;
      }
  }
  if (raw.help)
    {
      *out_help = command_help (command_context, command);
      return TRUE;
    }

  /* GOption leaves "--" in place when it ends the options. */
  if (command_argc > 1 && strcmp (command_argv[1], "--") == 0)
    {
      command_argc--;
      command_argv++;
      command_argv[0] = argv[0];
    }

  if (cli->command == COMMAND_GET)
    {
      if (command_argc < 2)
        return usage_error (error, "get: which PATH? (e.g. get /api/resources/1)");
      if (command_argc > 2)
        {
          g_autofree char *shown = printable (command_argv[2]);

          return usage_error (error, "get: unexpected argument “%s”", shown);
        }
      if (!check_get_path (command_argv[1], error))
        return FALSE;
      cli->get_path = g_strdup (command_argv[1]);
    }
  else if (command_argc > 1)
    {
      g_autofree char *shown = printable (command_argv[1]);

      return usage_error (error, "%s: unexpected argument “%s”", command, shown);
    }

  /* The server */
  if (raw.server != NULL && raw.embedded)
    return usage_error (error, "--server and --embedded exclude each other");
  if (raw.server == NULL && !raw.embedded)
    return usage_error (error, "which server? Say --server URL, or --embedded for the demo server in this process");
  cli->embedded = raw.embedded;
  if (raw.server != NULL && (cli->server = check_url ("--server", raw.server, error)) == NULL)
    return FALSE;
  if (!raw.embedded && (raw.latency_ms != NULL || raw.jitter_ms != NULL || raw.access_ttl != NULL))
    return usage_error (error, "%s sets up the embedded server: it needs --embedded",
                        raw.latency_ms != NULL ? "--latency-ms" :
                        raw.jitter_ms != NULL ? "--jitter-ms" : "--access-ttl");
  if (raw.latency_ms != NULL)
    {
      if (!parse_number ("--latency-ms", raw.latency_ms, 0, MAX_DELAY_MS, &number, error))
        return FALSE;
      cli->latency_ms = (guint) number;
    }
  if (raw.jitter_ms != NULL)
    {
      if (!parse_number ("--jitter-ms", raw.jitter_ms, 0, MAX_DELAY_MS, &number, error))
        return FALSE;
      cli->jitter_ms = (guint) number;
    }
  if (raw.access_ttl != NULL)
    {
      if (!parse_number ("--access-ttl", raw.access_ttl, 1, MAX_ACCESS_TTL, &number, error))
        return FALSE;
      cli->access_ttl = (gint64) number;
    }
  if (raw.embedded && (cli->command == COMMAND_LOGIN || cli->command == COMMAND_LOGOUT))
    return usage_error (error, "%s keeps a session for later, but the --embedded server ends with "
                        "this command: use --server (or burst, or get)", command);

  /* The protocol */
  cli->protocol_kind = TG_AUTH_PROTOCOL_SEED;
  if (raw.protocol != NULL)
    {
      static const char * const protocol_names[] = { "seed", "oauth2" };

      if (!parse_choice ("--protocol", raw.protocol, protocol_names, G_N_ELEMENTS (protocol_names),
                         &choice, error))
        return FALSE;
      cli->protocol_kind = choice == 0 ? TG_AUTH_PROTOCOL_SEED : TG_AUTH_PROTOCOL_OAUTH2;
    }
  if (cli->protocol_kind != TG_AUTH_PROTOCOL_OAUTH2 &&
      (raw.token_endpoint != NULL || raw.client_id != NULL ||
       raw.client_secret_file != NULL || raw.scope != NULL))
    return usage_error (error, "%s is for OAuth 2.0: it needs --protocol oauth2",
                        raw.token_endpoint != NULL ? "--token-endpoint" :
                        raw.client_id != NULL ? "--client-id" :
                        raw.client_secret_file != NULL ? "--client-secret-file" : "--scope");
  if (raw.token_endpoint != NULL &&
      (cli->token_endpoint = check_url ("--token-endpoint", raw.token_endpoint, error)) == NULL)
    return FALSE;
  if (raw.client_id != NULL && *raw.client_id == '\0')
    return usage_error (error, "--client-id is empty");
  if (raw.client_secret_file != NULL && raw.client_id == NULL)
    return usage_error (error, "--client-secret-file needs --client-id");
  if (raw.scope != NULL && *raw.scope == '\0')
    return usage_error (error, "--scope is empty");
  cli->client_id = g_steal_pointer (&raw.client_id);
  cli->client_secret_file = g_steal_pointer (&raw.client_secret_file);
  cli->scope = g_steal_pointer (&raw.scope);

  /* Who */
  if (raw.user != NULL && *raw.user == '\0')
    return usage_error (error, "--user is empty");
  if (raw.user == NULL && raw.embedded)
    raw.user = g_strdup (TG_SERVER_DEMO_USER);
  if (raw.user == NULL)
    return usage_error (error, "%s: which user? Say --user NAME", command);
  cli->user = g_steal_pointer (&raw.user);
  cli->password_stdin = raw.password_stdin;
  if (cli->password_stdin && !cli->embedded &&
      (cli->command == COMMAND_GET || cli->command == COMMAND_LOGOUT))
    return usage_error (error, "--password-stdin: %s uses the kept session and needs no password", command);

  /* burst */
  cli->requests = DEFAULT_REQUESTS;
  cli->break_kind = BREAK_ACCESS;
  cli->policy = TG_RETRY_POLICY_ALL;
  cli->proactive = !raw.no_proactive;
  cli->json = raw.json;
  if (raw.requests != NULL)
    {
      if (!parse_number ("--requests", raw.requests, 1, MAX_REQUESTS, &number, error))
        return FALSE;
      cli->requests = (guint) number;
    }
  if (raw.break_kind != NULL)
    {
      if (!parse_choice ("--break", raw.break_kind, break_names, G_N_ELEMENTS (break_names),
                         &choice, error))
        return FALSE;
      cli->break_kind = choice;
    }
  if (raw.policy != NULL)
    {
      if (!parse_choice ("--policy", raw.policy, policy_names, G_N_ELEMENTS (policy_names),
                         &choice, error))
        return FALSE;
      cli->policy = choice;
    }
  cli->path_format = g_strdup (raw.path != NULL ? raw.path : DEFAULT_PATH);
  if (!tg_burst_check_path_format (cli->path_format, error))
    {
      g_prefix_error (error, "--path: ");
      g_clear_pointer (&cli->path_format, g_free);
      return FALSE;
    }

  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Secrets                                                                   */

/* The first line of a file only its owner can read, trimmed. */
static char *
read_client_secret (const char  *path,
                    GError     **error)
{
  g_autofree char *shown = printable (path);
  char buffer[MAX_SECRET_FILE_SIZE + 1];
  struct stat st;
  gssize n_read;
  gsize length = 0;
  char *newline;
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

  if (length > MAX_SECRET_FILE_SIZE)
    {
      explicit_bzero (buffer, sizeof buffer);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the client secret file %s is larger than %d bytes", shown, MAX_SECRET_FILE_SIZE);
      return NULL;
    }
  buffer[length] = '\0';
  newline = memchr (buffer, '\n', length);
  if (newline != NULL)
    *newline = '\0';
  else
    newline = buffer + length;
  /* A NUL byte would silently cut the secret short. */
  if (strlen (buffer) != (gsize) (newline - buffer))
    {
      explicit_bzero (buffer, sizeof buffer);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the client secret file %s holds a NUL byte", shown);
      return NULL;
    }
  secret = g_strdup (g_strstrip (buffer));
  explicit_bzero (buffer, sizeof buffer);

  if (*secret == '\0')
    {
      g_free (secret);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the client secret file %s holds no secret on its first line", shown);
      return NULL;
    }
  return secret;
}

static char *
read_line (FILE     *stream,
           gboolean *out_eof)
{
  char *line = NULL;
  size_t capacity = 0;
  ssize_t length;
  char *copy;

  length = getline (&line, &capacity, stream);
  *out_eof = length < 0;
  if (length < 0)
    {
      free (line);
      return NULL;
    }
  while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
    line[--length] = '\0';

  copy = g_strdup (line);
  explicit_bzero (line, capacity);
  free (line);
  return copy;
}

static void
restore_terminal_and_die (int signum)
{
  /* Only async-signal-safe calls: put echo back, then die of the signal. */
  if (termios_saved)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved_termios);
  signal (signum, SIG_DFL);
  raise (signum);
}

static char *
prompt_password (Cli     *cli,
                 GError **error)
{
  struct termios quiet;
  struct sigaction action = { 0 }, old_int, old_term;
  gboolean eof = FALSE;
  char *password;

  if (tcgetattr (STDIN_FILENO, &saved_termios) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "cannot turn off the terminal's echo: %s", g_strerror (errsv));
      return NULL;
    }

  /* Ctrl-C at the prompt must not leave the terminal without echo. */
  action.sa_handler = restore_terminal_and_die;
  sigemptyset (&action.sa_mask);
  termios_saved = TRUE;
  sigaction (SIGINT, &action, &old_int);
  sigaction (SIGTERM, &action, &old_term);

  quiet = saved_termios;
  quiet.c_lflag &= ~(tcflag_t) ECHO;
  quiet.c_lflag |= ECHONL;
  fprintf (stderr, "Password for %s at %s: ", cli->user,
           cli->server != NULL ? cli->server : "the embedded server");
  fflush (stderr);
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);

  password = read_line (stdin, &eof);

  tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved_termios);
  termios_saved = FALSE;
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGTERM, &old_term, NULL);

  if (password == NULL)
    {
      fputc ('\n', stderr);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "no password given");
    }
  return password;
}

static gboolean
needs_password (Cli *cli)
{
  return cli->command == COMMAND_LOGIN || cli->command == COMMAND_BURST ||
         (cli->command == COMMAND_GET && cli->embedded);
}

/* Returns the exit status to fail with, or EXIT_OK. */
static int
read_secrets (Cli     *cli,
              GError **error)
{
  if (cli->client_secret_file != NULL)
    {
      cli->client_secret = read_client_secret (cli->client_secret_file, error);
      if (cli->client_secret == NULL)
        return EXIT_FAILED;
    }

  if (!needs_password (cli))
    return EXIT_OK;

  if (cli->password_stdin)
    {
      gboolean eof = FALSE;

      cli->password = read_line (stdin, &eof);
      if (cli->password == NULL || *cli->password == '\0')
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               eof ? "--password-stdin: standard input has no password"
                                   : "--password-stdin: the password on standard input is empty");
          return EXIT_FAILED;
        }
      return EXIT_OK;
    }

  if (cli->embedded && strcmp (cli->user, TG_SERVER_DEMO_USER) == 0)
    {
      cli->password = g_strdup (TG_SERVER_DEMO_PASSWORD);
      return EXIT_OK;
    }

  if (!isatty (STDIN_FILENO))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "no password: use --password-stdin");
      return EXIT_USAGE;
    }

  cli->password = prompt_password (cli, error);
  if (cli->password == NULL)
    return EXIT_FAILED;
  return EXIT_OK;
}

/* ------------------------------------------------------------------------- */
/* Setting up                                                                */

/* The server's default PBKDF2 cost, though the in-memory demo/demo user
 * protects nothing: it costs about 0.1 s per hash (creating the user, signing
 * in), and a demo that is not what runs for real would prove less. */
static gboolean
start_embedded_server (Cli     *cli,
                       GError **error)
{
  cli->server_object = g_object_new (TG_TYPE_SERVER,
                                     "host", "127.0.0.1",
                                     "port", 0,
                                     "database", NULL,
                                     "latency-ms", cli->latency_ms,
                                     "jitter-ms", cli->jitter_ms,
                                     NULL);
  if (cli->access_ttl > 0)
    g_object_set (cli->server_object, "access-ttl", cli->access_ttl, NULL);

  if (!tg_server_start_in_thread (cli->server_object, error))
    {
      g_prefix_error (error, "cannot start the embedded server: ");
      return FALSE;
    }

  cli->server = g_strdup (tg_server_get_base_uri (cli->server_object));
  return TRUE;
}

static gboolean
make_protocol (Cli     *cli,
               GError **error)
{
  if (cli->protocol_kind == TG_AUTH_PROTOCOL_SEED)
    cli->protocol = tg_auth_protocol_new_seed (cli->server, error);
  else
    {
      g_autofree char *default_token = g_strconcat (cli->server, "/oauth2/token", NULL);
      g_autofree char *default_revoke = g_strconcat (cli->server, "/oauth2/revoke", NULL);

      /* A token endpoint of its own may well be another host: the refresh
       * token is not offered to a revocation endpoint we only guessed. */
      cli->protocol = tg_auth_protocol_new_oauth2 (cli->token_endpoint != NULL ? cli->token_endpoint : default_token,
                                                   cli->token_endpoint != NULL ? NULL : default_revoke,
                                                   cli->client_id, cli->client_secret, cli->scope,
                                                   error);
    }

  return cli->protocol != NULL;
}

static char *
account_name (Cli *cli)
{
  return g_strconcat (cli->server, " ", cli->user, NULL);
}

static void
make_manager (Cli *cli)
{
  g_autofree char *account = account_name (cli);

  cli->manager = tg_token_manager_new (cli->protocol, cli->store, account);
  g_object_set (cli->manager,
                "retry-policy", cli->policy,
                "proactive", cli->proactive,
                NULL);
}

/* Fails the command when there is no client to be had. */
static gboolean
make_client (Cli *cli)
{
  g_autoptr(GError) error = NULL;

  cli->client = tg_api_client_new (cli->manager, cli->server, &error);
  if (cli->client == NULL)
    {
      cli_fail_error (cli, error, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

/* Every callback starts here: one operation less to wait for, and nothing to
 * do if the command already ended (failed, or interrupted). */
static gboolean
cli_callback_begin (Cli *cli)
{
  g_assert (cli->pending > 0);
  cli->pending--;
  return !cli->done;
}

/* ------------------------------------------------------------------------- */
/* Sign-in, shared by login, burst and get --embedded                        */

static void
sign_in_then (Cli                 *cli,
              GAsyncReadyCallback  next)
{
  char *password = g_steal_pointer (&cli->password);

  cli->pending++;
  tg_token_manager_sign_in_async (cli->manager, cli->user, password, cli->cancellable, next, cli);
  /* The message holds its own copy; ours is not needed again. */
  wipe_free (password);
}

/* The start of @next in sign_in_then(): TRUE when signed in, FALSE when the
 * command has ended (the sign-in failed, or it was over already). */
static gboolean
sign_in_finish (Cli          *cli,
                GObject      *source,
                GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = tg_token_manager_sign_in_finish (TG_TOKEN_MANAGER (source), result, &error);
  if (!cli_callback_begin (cli))
    return FALSE;
  if (ok)
    return TRUE;

  if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_BAD_CREDENTIALS))
    cli_fail (cli, EXIT_FAILED, "sign-in refused for %s at %s: %s", cli->user, cli->server, error->message);
  else
    cli_fail_error (cli, error, token_uri (cli), "sign-in failed");
  return FALSE;
}

/* ------------------------------------------------------------------------- */
/* Restoring the kept session, shared by logout and get                      */

/* The start of a tg_token_manager_restore_async() callback: TRUE with
 * *@out_restored set when the command goes on, FALSE when it has ended (the
 * store could not be read, or it was over already). */
static gboolean
restore_finish (Cli          *cli,
                GObject      *source,
                GAsyncResult *result,
                gboolean     *out_restored)
{
  g_autoptr(GError) error = NULL;

  *out_restored = tg_token_manager_restore_finish (TG_TOKEN_MANAGER (source), result, &error);
  if (!cli_callback_begin (cli))
    return FALSE;
  if (error != NULL)
    {
      cli_fail_error (cli, error, NULL, "cannot read the kept session");
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* login                                                                     */

static void
login_verified (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(TgTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  tokens = tg_token_store_load_finish (TG_TOKEN_STORE (source), result, &error);
  if (!cli_callback_begin (cli))
    return;

  if (tokens == NULL)
    {
      cli_fail (cli, EXIT_FAILED, "signed in, but the session could not be kept: %s",
                error != NULL ? error->message : "the token store did not keep it");
      return;
    }

  flush_notes ();
  out ("Signed in as %s at %s.\n", cli->user, cli->server);
  cli_finish (cli, EXIT_OK);
}

static void
login_signed_in (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Cli *cli = user_data;
  g_autofree char *account = NULL;

  if (!sign_in_finish (cli, source, result))
    return;

  /* The manager only warns when the store fails: read the session back, so
   * that "signed in" means "kept". */
  account = account_name (cli);
  cli->pending++;
  tg_token_store_load_async (cli->store, account, cli->cancellable, login_verified, cli);
}

/* ------------------------------------------------------------------------- */
/* logout                                                                    */

static const char *
revocation_outcome (Cli *cli)
{
  GListModel *log = G_LIST_MODEL (tg_token_manager_get_request_log (cli->manager));

  for (guint i = cli->log_position; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(TgRequestRecord) record = g_list_model_get_item (log, i);

      if (tg_request_record_get_kind (record) != TG_REQUEST_KIND_REVOKE)
        continue;
      if (tg_request_record_get_error_message (record) == NULL &&
          SOUP_STATUS_IS_SUCCESSFUL (tg_request_record_get_status (record)))
        return "the session is revoked at the server";
      return "the server could not be told to revoke the session";
    }

  return cli->protocol_kind == TG_AUTH_PROTOCOL_SEED
           ? "the seed API cannot revoke sessions: it ends when its refresh token expires"
           : "no revocation endpoint is known for this server";
}

static void
logout_signed_out (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = tg_token_manager_sign_out_finish (TG_TOKEN_MANAGER (source), result, &error);
  if (!cli_callback_begin (cli))
    return;
  if (!ok)
    {
      cli_fail_error (cli, error, NULL, "signing out failed");
      return;
    }

  out ("Signed out %s at %s; %s.\n", cli->user, cli->server, revocation_outcome (cli));
  cli_finish (cli, EXIT_OK);
}

static void
logout_restored (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Cli *cli = user_data;
  gboolean restored;

  if (!restore_finish (cli, source, result, &restored))
    return;
  if (!restored)
    {
      out ("Not signed in as %s at %s: nothing to do.\n", cli->user, cli->server);
      cli_finish (cli, EXIT_OK);
      return;
    }

  cli->log_position = g_list_model_get_n_items (G_LIST_MODEL (tg_token_manager_get_request_log (cli->manager)));
  cli->pending++;
  tg_token_manager_sign_out_async (cli->manager, cli->cancellable, logout_signed_out, cli);
}

/* ------------------------------------------------------------------------- */
/* get                                                                       */

/* The `error_description` of a JSON error body, for the error line. */
static char *
describe_body (GBytes *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size = 0;
  const char *data = g_bytes_get_data (body, &size);
  JsonNode *root;
  JsonObject *object;
  const char *description;

  if (size == 0 || !json_parser_load_from_data (parser, data, (gssize) size, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  object = json_node_get_object (root);
  if (!json_object_has_member (object, "error_description") ||
      !JSON_NODE_HOLDS_VALUE (json_object_get_member (object, "error_description")) ||
      json_node_get_value_type (json_object_get_member (object, "error_description")) != G_TYPE_STRING)
    return NULL;
  description = json_object_get_string_member (object, "error_description");
  return g_utf8_substring (description, 0, MIN (g_utf8_strlen (description, -1), 200));
}

static void
get_forgotten (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;

  tg_token_store_clear_finish (TG_TOKEN_STORE (source), result, &error);
  cli->pending--;
  /* The failure was printed already; the store's own warning says the rest. */
}

static void
get_answered (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(TgApiResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  response = tg_api_client_get_finish (TG_API_CLIENT (source), result, &error);
  if (!cli_callback_begin (cli))
    return;

  if (response == NULL)
    {
      if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_SESSION_EXPIRED))
        {
          cli_fail (cli, EXIT_FAILED, "%s; run " PROGRAM " login", error->message);
          /* The manager forgets an ended session too, but in the background:
           * make sure it is gone before this process is. */
          if (cli->store != NULL)
            {
              g_autofree char *account = account_name (cli);

              cli->pending++;
              tg_token_store_clear_async (cli->store, account, NULL, get_forgotten, cli);
            }
        }
      else if (g_error_matches (error, TG_AUTH_ERROR, TG_AUTH_ERROR_REFRESH_FAILED))
        cli_fail (cli, EXIT_FAILED, "%s (the session is kept; try again)", error->message);
      else
        cli_fail_error (cli, error, cli->server, "GET failed");
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (response->status))
    {
      g_autofree char *description = describe_body (response->body);

      cli_fail (cli, EXIT_FAILED, "GET %s: HTTP %u %s%s%s", cli->get_path, response->status,
                soup_status_get_phrase (response->status),
                description != NULL ? ": " : "", description != NULL ? description : "");
      return;
    }

  {
    gsize size = 0;
    const char *data = g_bytes_get_data (response->body, &size);

    if ((size > 0 && fwrite (data, 1, size, stdout) != size) || fflush (stdout) != 0)
      {
        cli_fail (cli, EXIT_FAILED, "cannot write to standard output: %s", g_strerror (errno));
        return;
      }
  }
  cli_finish (cli, EXIT_OK);
}

static void
get_send (Cli *cli)
{
  if (!make_client (cli))
    return;
  cli->pending++;
  tg_api_client_get_async (cli->client, cli->get_path, cli->cancellable, get_answered, cli);
}

static void
get_restored (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Cli *cli = user_data;
  gboolean restored;

  if (!restore_finish (cli, source, result, &restored))
    return;
  if (!restored)
    {
      cli_fail (cli, EXIT_FAILED, "not signed in as %s at %s; run " PROGRAM " login",
                cli->user, cli->server);
      return;
    }
  get_send (cli);
}

static void
get_signed_in (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Cli *cli = user_data;

  if (!sign_in_finish (cli, source, result))
    return;
  get_send (cli);
}

/* ------------------------------------------------------------------------- */
/* Commands that keep the session: the store first                           */

static void
store_ready (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TgTokenStore) store = NULL;

  store = tg_token_store_new_default_finish (result, &error);
  if (!cli_callback_begin (cli))
    return;
  if (store == NULL)
    {
      cli_fail_error (cli, error, NULL, "no token store");
      return;
    }

  cli->store = g_steal_pointer (&store);
  make_manager (cli);

  switch (cli->command)
    {
    case COMMAND_LOGIN:
      sign_in_then (cli, login_signed_in);
      break;
    case COMMAND_LOGOUT:
      cli->pending++;
      tg_token_manager_restore_async (cli->manager, cli->cancellable, logout_restored, cli);
      break;
    case COMMAND_GET:
      cli->pending++;
      tg_token_manager_restore_async (cli->manager, cli->cancellable, get_restored, cli);
      break;
    case COMMAND_BURST:
    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------------------- */
/* burst: the report                                                         */

static void
append_ms (GString *out,
           gint64   us)
{
  if (us >= G_USEC_PER_SEC)
    g_string_append_printf (out, "%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT " s",
                            us / G_USEC_PER_SEC, (us % G_USEC_PER_SEC) / 100000);
  else
    g_string_append_printf (out, "%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT " ms",
                            us / 1000, (us % 1000) / 100);
}

static void
print_outcome_line (guint                 index,
                    const TgBurstOutcome *outcome)
{
  g_autoptr(GString) line = g_string_new (NULL);
  g_autofree char *text = NULL;

  g_string_append_printf (line, "#%u GET %s → ", index + 1, outcome->path);

  if (outcome->attempts == 0)
    g_string_append (line, "not sent");
  else if (outcome->first_status != 0)
    g_string_append_printf (line, "%u", outcome->first_status);
  else
    g_string_append (line, "no answer");

  if (outcome->attempts >= 2)
    {
      g_string_append (line, ", retried → ");
      if (outcome->status != 0)
        g_string_append_printf (line, "%u", outcome->status);
      else
        g_string_append (line, "no answer");
    }
  if (outcome->error_message != NULL)
    g_string_append_printf (line, ", failed: %s", outcome->error_message);
  if (outcome->attempts >= 2)
    g_string_append_printf (line, " (%u attempts)", outcome->attempts);

  text = printable (line->str);
  out ("%s\n", text);
}

static const char *
plural (guint       n,
        const char *one,
        const char *many)
{
  return n == 1 ? one : many;
}

static char *
describe_break (Cli *cli)
{
  switch (cli->break_kind)
    {
    case BREAK_ACCESS:
      return g_strdup ("Broke the session: the access token was replaced with \"sdf\" here "
                       "(localStorage.setItem(\"token\", \"sdf\")).");
    case BREAK_EXPIRE:
      return g_strdup ("Broke the session: the server expired every access token.");
    case BREAK_REVOKE:
      return g_strdup ("Broke the session: the server revoked every session.");
    case BREAK_NATURAL:
      {
        g_autoptr(GString) text = g_string_new ("Broke the session: the access token ran out");
        if (cli->proactive)
          g_string_append (text, " (to within the expiry skew)");
        g_string_append (text, " after waiting ");
        append_ms (text, cli->waited_us);
        g_string_append (text, ".");
        return g_string_free (g_steal_pointer (&text), FALSE);
      }
    default:
      g_assert_not_reached ();
    }
}

static void
print_table (Cli                 *cli,
             const TgBurstResult *result)
{
  const TgRequestSummary *summary = &result->summary;
  g_autofree char *header = describe_break (cli);
  g_autoptr(GString) line = g_string_new (NULL);
  guint shown = result->n_outcomes <= MAX_TABLE_LINES ? result->n_outcomes : MAX_TABLE_LINES;

  out ("%s\n", header);

  for (guint i = 0; i < shown; i++)
    print_outcome_line (i, &result->outcomes[i]);
  if (shown < result->n_outcomes)
    out ("… and %u more (--json lists them all)\n", result->n_outcomes - shown);

  /* The posts' picture: 3 × 401 → 1 refresh → 3 retried, all OK */
  if (summary->resource_401 > 0)
    g_string_append_printf (line, "%u × 401 → %u %s → %u retried",
                            summary->resource_401, summary->refreshes,
                            plural (summary->refreshes, "refresh", "refreshes"),
                            summary->retries);
  else
    g_string_append_printf (line, "%u %s, no 401 → %u %s before sending",
                            result->requests, plural (result->requests, "request", "requests"),
                            summary->refreshes, plural (summary->refreshes, "refresh", "refreshes"));
  if (result->failed == 0)
    g_string_append (line, ", all OK");
  else
    g_string_append_printf (line, ", %u of %u failed", result->failed, result->requests);
  if (result->sign_outs > 0)
    g_string_append (line, "; signed out (the session has ended)");
  out ("%s\n", line->str);

  g_string_truncate (line, 0);
  g_string_append_printf (line, "%u HTTP %s (sign-in not counted), %u stale %s; wall time ",
                          summary->http_messages, plural (summary->http_messages, "message", "messages"),
                          summary->stale_sends, plural (summary->stale_sends, "send", "sends"));
  append_ms (line, result->wall_us);
  g_string_append (line, " (first send → last answer)");
  if (result->recovery_us > 0)
    {
      g_string_append (line, "; recovery ");
      append_ms (line, result->recovery_us);
      g_string_append (line, " (first 401 → last retry)");
    }
  out ("%s\n", line->str);
}

static void
add_uint (JsonBuilder *builder,
          const char  *name,
          guint64      value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, (gint64) value);
}

static void
print_json (Cli                 *cli,
            const TgBurstResult *result)
{
  const TgRequestSummary *summary = &result->summary;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  add_uint (builder, "requests", result->requests);
  add_uint (builder, "succeeded", result->succeeded);
  add_uint (builder, "failed", result->failed);
  add_uint (builder, "http_messages", summary->http_messages);
  add_uint (builder, "resource_401", summary->resource_401);
  add_uint (builder, "refreshes", summary->refreshes);
  add_uint (builder, "retries", summary->retries);
  add_uint (builder, "stale_sends", summary->stale_sends);
  add_uint (builder, "stale_401s", result->stale_401s);
  add_uint (builder, "refreshes_joined", result->refreshes_joined);
  add_uint (builder, "sign_outs", result->sign_outs);
  add_uint (builder, "recovery_ms", (guint64) ((result->recovery_us + 500) / 1000));
  add_uint (builder, "wall_ms", (guint64) ((result->wall_us + 500) / 1000));
  add_uint (builder, "recovery_us", (guint64) result->recovery_us);
  add_uint (builder, "wall_us", (guint64) result->wall_us);
  json_builder_set_member_name (builder, "break");
  json_builder_add_string_value (builder, break_names[cli->break_kind]);
  json_builder_set_member_name (builder, "policy");
  json_builder_add_string_value (builder, policy_names[cli->policy]);
  json_builder_set_member_name (builder, "proactive");
  json_builder_add_boolean_value (builder, cli->proactive);
  json_builder_set_member_name (builder, "protocol");
  json_builder_add_string_value (builder, cli->protocol_kind == TG_AUTH_PROTOCOL_SEED ? "seed" : "oauth2");
  json_builder_set_member_name (builder, "server");
  json_builder_add_string_value (builder, cli->server);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, cli->path_format);
  add_uint (builder, "waited_ms", (guint64) ((cli->waited_us + 500) / 1000));

  json_builder_set_member_name (builder, "outcomes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < result->n_outcomes; i++)
    {
      const TgBurstOutcome *outcome = &result->outcomes[i];

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, outcome->path);
      add_uint (builder, "status", outcome->status);
      add_uint (builder, "first_status", outcome->first_status);
      add_uint (builder, "attempts", outcome->attempts);
      json_builder_set_member_name (builder, "error");
      if (outcome->error_message != NULL)
        json_builder_add_string_value (builder, outcome->error_message);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  out ("%s\n", text);
}

/* ------------------------------------------------------------------------- */
/* burst: the steps                                                          */

static void
burst_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(TgBurstResult) burst = NULL;
  g_autoptr(GError) error = NULL;

  burst = tg_burst_run_finish (result, &error);
  if (!cli_callback_begin (cli))
    return;
  if (burst == NULL)
    {
      cli_fail_error (cli, error, cli->server, "burst failed");
      return;
    }

  if (cli->json)
    print_json (cli, burst);
  else
    print_table (cli, burst);
  if (fflush (stdout) != 0)
    {
      cli_fail (cli, EXIT_FAILED, "cannot write to standard output: %s", g_strerror (errno));
      return;
    }

  /* --break revoke ends here with every request failed, as it should: the
   * exit status still says "not every request succeeded". */
  cli_finish (cli, burst->failed == 0 ? EXIT_OK : EXIT_FAILED);
}

static void
burst_fire (Cli *cli)
{
  if (!make_client (cli))
    return;
  cli->pending++;
  tg_burst_run_async (cli->client, cli->requests, cli->path_format, cli->cancellable, burst_done, cli);
}

static gboolean
natural_expiry_reached (gpointer user_data)
{
  Cli *cli = user_data;

  cli->wait_source = 0;
  burst_fire (cli);
  return G_SOURCE_REMOVE;
}

static void
burst_wait_for_expiry (Cli *cli)
{
  gint64 expires_at = tg_token_manager_get_expires_at (cli->manager);
  gint64 target, wait;

  if (expires_at == 0)
    {
      cli_fail (cli, EXIT_FAILED, "--break natural: the server did not say when the access token "
                "expires, so there is nothing to wait for");
      return;
    }

  /* With proactive refresh the gate refreshes once the token is due;
   * without, the server must see it expired. */
  target = cli->proactive
             ? tg_token_manager_get_refresh_due_at (cli->manager) + 10 * G_TIME_SPAN_MILLISECOND
             : expires_at + NATURAL_MARGIN_US;
  wait = MAX (target - g_get_real_time (), 0);

  if (wait > MAX_NATURAL_WAIT_US)
    {
      cli_fail (cli, EXIT_FAILED, "--break natural: the access token lasts another %" G_GINT64_FORMAT
                " s, longer than the 5 minutes this waits%s", wait / G_USEC_PER_SEC,
                cli->embedded ? " (see --access-ttl)" : "");
      return;
    }

  cli->waited_us = wait;
  if (wait == 0)
    {
      burst_fire (cli);
      return;
    }

  if (!cli->json && isatty (STDERR_FILENO))
    {
      fprintf (stderr, "Waiting %.1f s for the access token to expire…\n", (double) wait / G_USEC_PER_SEC);
      fflush (stderr);
    }
  cli->wait_source = g_timeout_add ((guint) ((wait + 999) / 1000), natural_expiry_reached, cli);
}

static void
burst_broken (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (cli->break_kind == BREAK_EXPIRE)
    ok = tg_demo_controls_expire_access_tokens_finish (TG_DEMO_CONTROLS (source), result, &error);
  else
    ok = tg_demo_controls_revoke_sessions_finish (TG_DEMO_CONTROLS (source), result, &error);
  if (!cli_callback_begin (cli))
    return;
  if (!ok)
    {
      g_autofree char *what = g_strdup_printf ("--break %s needs the demo server's controls",
                                               break_names[cli->break_kind]);

      cli_fail_error (cli, error, cli->server, what);
      return;
    }
  burst_fire (cli);
}

static void
burst_signed_in (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Cli *cli = user_data;

  if (!sign_in_finish (cli, source, result))
    return;

  switch (cli->break_kind)
    {
    case BREAK_ACCESS:
      /* localStorage.setItem("token", "sdf") */
      tg_token_manager_replace_access_token (cli->manager, "sdf");
      burst_fire (cli);
      break;

    case BREAK_EXPIRE:
    case BREAK_REVOKE:
      {
        g_autoptr(GError) error = NULL;

        cli->demo = tg_demo_controls_new (cli->server, &error);
        if (cli->demo == NULL)
          {
            cli_fail_error (cli, error, NULL, NULL);
            return;
          }
      }
      cli->pending++;
      if (cli->break_kind == BREAK_EXPIRE)
        tg_demo_controls_expire_access_tokens_async (cli->demo, cli->cancellable, burst_broken, cli);
      else
        tg_demo_controls_revoke_sessions_async (cli->demo, cli->cancellable, burst_broken, cli);
      break;

    case BREAK_NATURAL:
      burst_wait_for_expiry (cli);
      break;

    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------------------- */

static void
start_command (Cli *cli)
{
  /* burst never touches the user's keyring; get --embedded has nothing to
   * keep either: the server ends with this process. */
  if (cli->command == COMMAND_BURST || cli->embedded)
    {
      make_manager (cli);
      sign_in_then (cli, cli->command == COMMAND_BURST ? burst_signed_in : get_signed_in);
      return;
    }

  cli->pending++;
  tg_token_store_new_default_async (cli->cancellable, store_ready, cli);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  Cli *cli = user_data;

  cli->interrupted = TRUE;
  if (cli->wait_source != 0)
    g_clear_handle_id (&cli->wait_source, g_source_remove);
  /* Operations under way end with G_IO_ERROR_CANCELLED, then we exit. */
  cli_fail (cli, EXIT_INTERRUPTED, "interrupted");
  return G_SOURCE_CONTINUE;
}

static void
cli_clear (Cli *cli)
{
  g_clear_handle_id (&cli->wait_source, g_source_remove);
  g_clear_object (&cli->demo);
  g_clear_object (&cli->client);
  g_clear_object (&cli->manager);
  g_clear_object (&cli->store);
  g_clear_object (&cli->protocol);

  /* Let what the objects cancelled on their way out finish. */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  if (cli->server_object != NULL)
    tg_server_stop (cli->server_object);
  g_clear_object (&cli->server_object);
  g_clear_object (&cli->cancellable);

  g_clear_pointer (&cli->password, wipe_free);
  g_clear_pointer (&cli->client_secret, wipe_free);
  g_free (cli->server);
  g_free (cli->token_endpoint);
  g_free (cli->client_id);
  g_free (cli->client_secret_file);
  g_free (cli->scope);
  g_free (cli->user);
  g_free (cli->get_path);
  g_free (cli->path_format);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Cli, cli_clear)

static int
run (int   argc,
     char *argv[])
{
  g_auto(Cli) cli = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *help = NULL;
  guint sigint_source, sigterm_source;
  int status;

  if (!parse_command_line (&cli, argc, argv, &help, &error))
    {
      print_error_line (error->message);
      return EXIT_USAGE;
    }
  if (help != NULL)
    {
      fputs (help, stdout);
      return fflush (stdout) == 0 ? EXIT_OK : EXIT_FAILED;
    }

  /* The Secret Service fallback note matters when a session is kept. */
  quiet_notes = cli.command != COMMAND_LOGIN;

  status = read_secrets (&cli, &error);
  if (status != EXIT_OK)
    {
      print_error_line (error->message);
      return status;
    }

  cli.cancellable = g_cancellable_new ();

  if (cli.embedded && !start_embedded_server (&cli, &error))
    {
      print_error_line (error->message);
      return EXIT_FAILED;
    }
  if (!make_protocol (&cli, &error))
    {
      print_error_line (error->message);
      return EXIT_USAGE;
    }

  sigint_source = g_unix_signal_add (SIGINT, on_quit_signal, &cli);
  sigterm_source = g_unix_signal_add (SIGTERM, on_quit_signal, &cli);

  start_command (&cli);
  while (!cli.done || cli.pending > 0)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (sigint_source);
  g_source_remove (sigterm_source);

  return cli.status;
}

int
main (int   argc,
      char *argv[])
{
  int status;

  setlocale (LC_ALL, "");
  g_set_prgname (PROGRAM);
  notes = g_ptr_array_new_with_free_func (g_free);
  g_log_set_writer_func (log_writer, NULL, NULL);

  status = run (argc, argv);

  g_clear_pointer (&notes, g_ptr_array_unref);
  return status;
}
