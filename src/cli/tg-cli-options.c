/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The command line of tokengate-cli, checked: every mistake is a usage error
 * (exit 2) naming the option, before anything is read or sent.
 */
#define G_LOG_DOMAIN "tokengate-cli"

#include "config.h"

#include <string.h>

#include "tg-builtin-server.h"
#include "tg-cli.h"

#define DEFAULT_REQUESTS    3
#define MAX_REQUESTS        100000
#define DEFAULT_PATH        "/api/resources/%u"
#define MAX_DELAY_MS        60000
#define MAX_ACCESS_TTL      86400

static const char * const command_names[] = {
  [TG_CLI_COMMAND_LOGIN] = "login",
  [TG_CLI_COMMAND_LOGOUT] = "logout",
  [TG_CLI_COMMAND_GET] = "get",
  [TG_CLI_COMMAND_BURST] = "burst",
  NULL
};

const char * const tg_cli_break_names[] = {
  [TG_CLI_BREAK_ACCESS] = "access",
  [TG_CLI_BREAK_EXPIRE] = "expire",
  [TG_CLI_BREAK_REVOKE] = "revoke",
  [TG_CLI_BREAK_NATURAL] = "natural",
  NULL
};

const char * const tg_cli_policy_names[] = {
  [TG_RETRY_POLICY_ALL] = "all",
  [TG_RETRY_POLICY_CANARY] = "canary",
  NULL
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
  char     *issuer;
  char     *redirect_uri;
  char     *user;
  gboolean  password_stdin;
  /* login */
  gboolean  no_browser;
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

#define SUMMARY \
  "The Tokengate client without a window: sign in, send authorized requests,\n" \
  "and watch parallel requests recover from a broken token with one refresh.\n" \
  "\n" \
  "Commands:\n" \
  "  login        Sign in and keep the session (Secret Service, or a private file);\n" \
  "               with --issuer, through the web browser\n" \
  "  logout       Sign out: revoke the session where the protocol can, forget it\n" \
  "  get PATH     GET PATH on the server with the kept session; print the body\n" \
  "  burst        Sign in afresh (in memory only), break the session, fire requests\n" \
  "               at once, and show what happened; with --issuer, use the session\n" \
  "               kept by login instead"

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
  "Your own identity provider: --issuer URL --client-id ID [--scope SCOPE]\n" \
  "finds the provider's endpoints (OpenID Connect discovery, or RFC 8414), and\n" \
  "login signs in through the web browser (Authorization Code with PKCE): it\n" \
  "opens the browser and writes the sign-in address on a line of its own to\n" \
  "standard error; \"login --no-browser\" only writes it and waits, for SSH.\n" \
  "The browser comes back to http://127.0.0.1:PORT/callback (any free port)\n" \
  "unless --redirect-uri names another; register that at the provider. With\n" \
  "--password-stdin, login uses the password grant at the provider instead.\n" \
  "--server (where get and burst send requests) defaults to the issuer.\n" \
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
    { "issuer", 0, 0, G_OPTION_ARG_STRING, &raw->issuer,
      "Your identity provider: discover its endpoints from this issuer URL", "URL" },
    { "redirect-uri", 0, 0, G_OPTION_ARG_STRING, &raw->redirect_uri,
      "Browser sign-in: where the browser comes back (default http://127.0.0.1:PORT/callback)", "URI" },
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
new_login_context (RawOptions *raw)
{
  const GOptionEntry entries[] = {
    { "no-browser", 0, 0, G_OPTION_ARG_NONE, &raw->no_browser,
      "With --issuer: do not open a browser, only write the sign-in address", NULL },
    { "help", 'h', 0, G_OPTION_ARG_NONE, &raw->help,
      "Show this help and exit", NULL },
    { NULL }
  };
  GOptionContext *context = g_option_context_new (NULL);

  g_option_context_set_summary (context, "Sign in and keep the session. With --issuer, sign in through the "
                                "web browser:\nthe sign-in address is written to standard error.");
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
  g_free (raw->issuer);
  g_free (raw->redirect_uri);
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

/* An option's whole number; *@out stays as it is when the option was not
 * given (@text %NULL). */
static gboolean
parse_number (const char  *option,
              const char  *text,
              guint64      min,
              guint64      max,
              guint64     *out,
              GError     **error)
{
  g_autofree char *shown = NULL;

  if (text == NULL || g_ascii_string_to_unsigned (text, 10, min, max, out, NULL))
    return TRUE;

  shown = tg_cli_printable (text);
  return usage_error (error, "%s takes a whole number from %" G_GUINT64_FORMAT " to %"
                      G_GUINT64_FORMAT ", not “%s”", option, min, max, shown);
}

static gboolean
parse_choice (const char         *option,
              const char         *text,
              const char * const *names,
              guint              *out,
              GError            **error)
{
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autofree char *shown = NULL;
  guint n_names = g_strv_length ((char **) names);

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

  shown = tg_cli_printable (text);
  return usage_error (error, "%s takes %s, not “%s”", option, expected->str, shown);
}

static gboolean
check_get_path (const char  *path,
                GError     **error)
{
  g_autofree char *shown = tg_cli_printable (path);

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
  const char *name = strstr (help, TG_CLI_PROGRAM " ");

  if (name == NULL)
    return g_steal_pointer (&help);

  return g_strdup_printf ("%.*s" TG_CLI_PROGRAM " [--server URL | --embedded] [OPTION…] %s%s",
                          (int) (name - help), help, command, name + strlen (TG_CLI_PROGRAM));
}

/* Fills @cli from the command line, or fails with a usage error. With --help
 * or --version, *@out_help is set to what to print before exiting. */

/* The command and its own arguments: "get PATH", "burst --requests 5"… */
static gboolean
parse_command (TgCliOptions  *options,
               RawOptions    *raw,
               int            argc,
               char         **argv,
               char         **out_help,
               GError       **error)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *prefix = NULL;
  const char *command;
  guint choice;

  if (argc > 0 && strcmp (argv[0], "--") == 0)
    {
      argc--;
      argv++;
    }
  if (argc == 0)
    return usage_error (error, "no command: say login, logout, get PATH or burst (see --help)");

  command = argv[0];
  if (!parse_choice ("COMMAND", command, command_names, &choice, NULL))
    {
      g_autofree char *shown = tg_cli_printable (command);

      return usage_error (error, "unknown command “%s”: say login, logout, get PATH or burst", shown);
    }
  options->command = choice;

  if (options->command == TG_CLI_COMMAND_BURST)
    context = new_burst_context (raw);
  else if (options->command == TG_CLI_COMMAND_LOGIN)
    context = new_login_context (raw);
  else
    context = new_plain_context (raw, options->command == TG_CLI_COMMAND_GET ? "PATH" : NULL);
  prefix = g_strdup_printf ("%s: ", command);
  if (!g_option_context_parse (context, &argc, &argv, error))
    {
      g_prefix_error (error, "%s", prefix);
      return FALSE;
    }
  if (raw->help)
    {
      *out_help = command_help (context, command);
      return TRUE;
    }

  /* GOption leaves "--" in place when it ends the options. */
  if (argc > 1 && strcmp (argv[1], "--") == 0)
    {
      argc--;
      argv++;
    }

  if (options->command == TG_CLI_COMMAND_GET)
    {
      if (argc < 2)
        return usage_error (error, "get: which PATH? (e.g. get /api/resources/1)");
      if (argc > 2)
        {
          g_autofree char *shown = tg_cli_printable (argv[2]);

          return usage_error (error, "get: unexpected argument “%s”", shown);
        }
      if (!check_get_path (argv[1], error))
        return FALSE;
      options->get_path = g_strdup (argv[1]);
    }
  else if (argc > 1)
    {
      g_autofree char *shown = tg_cli_printable (argv[1]);

      return usage_error (error, "%s: unexpected argument “%s”", command, shown);
    }

  return TRUE;
}

/* A URL option, checked by the client configuration. */
static gboolean
check_url_option (const char  *option,
                  gboolean   (*set) (TgClientConfig *, const char *, GError **),
                  TgClientConfig *config,
                  const char  *text,
                  GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (set (config, text, &local_error))
    return TRUE;
  return usage_error (error, "%s: %s", option, local_error->message);
}

static gboolean
parse_server (TgCliOptions  *options,
              RawOptions    *raw,
              GError       **error)
{
  guint64 latency = 0, jitter = 0, access_ttl = 0;

  if (raw->server != NULL && raw->embedded)
    return usage_error (error, "--server and --embedded exclude each other");
  if (raw->issuer != NULL && raw->embedded)
    return usage_error (error, "--issuer and --embedded exclude each other: use --issuer with the "
                        "demo server's URL");
  if (raw->server == NULL && !raw->embedded && raw->issuer == NULL)
    return usage_error (error, "which server? Say --server URL, --issuer URL for your identity provider, "
                        "or --embedded for the demo server in this process");
  options->embedded = raw->embedded;
  if (raw->server != NULL &&
      !check_url_option ("--server", tg_client_config_set_server_uri, options->config, raw->server, error))
    return FALSE;
  /* Without --server, requests go to the issuer. */
  if (raw->server == NULL && raw->issuer != NULL &&
      !check_url_option ("--issuer", tg_client_config_set_server_uri, options->config, raw->issuer, error))
    return FALSE;
  options->issuer = g_steal_pointer (&raw->issuer);

  if (!raw->embedded && (raw->latency_ms != NULL || raw->jitter_ms != NULL || raw->access_ttl != NULL))
    return usage_error (error, "%s sets up the embedded server: it needs --embedded",
                        raw->latency_ms != NULL ? "--latency-ms" :
                        raw->jitter_ms != NULL ? "--jitter-ms" : "--access-ttl");
  if (!parse_number ("--latency-ms", raw->latency_ms, 0, MAX_DELAY_MS, &latency, error) ||
      !parse_number ("--jitter-ms", raw->jitter_ms, 0, MAX_DELAY_MS, &jitter, error) ||
      !parse_number ("--access-ttl", raw->access_ttl, 1, MAX_ACCESS_TTL, &access_ttl, error))
    return FALSE;
  options->latency_ms = (guint) latency;
  options->jitter_ms = (guint) jitter;
  options->access_ttl = (gint64) access_ttl;
  if (raw->embedded &&
      (options->command == TG_CLI_COMMAND_LOGIN || options->command == TG_CLI_COMMAND_LOGOUT))
    return usage_error (error, "%s keeps a session for later, but the --embedded server ends with "
                        "this command: use --server (or burst, or get)", command_names[options->command]);

  return TRUE;
}

static gboolean
parse_protocol (TgCliOptions  *options,
                RawOptions    *raw,
                GError       **error)
{
  static const char * const protocol_names[] = { "seed", "oauth2", NULL };
  TgClientConfig *config = options->config;
  guint choice;

  if (raw->protocol != NULL)
    {
      if (!parse_choice ("--protocol", raw->protocol, protocol_names, &choice, error))
        return FALSE;
      tg_client_config_set_protocol_kind (config, choice == 0 ? TG_AUTH_PROTOCOL_SEED : TG_AUTH_PROTOCOL_OAUTH2);
    }
  if (options->issuer != NULL)
    {
      if (tg_client_config_get_protocol_kind (config) == TG_AUTH_PROTOCOL_SEED && raw->protocol != NULL)
        return usage_error (error, "--issuer signs in with OAuth 2.0: leave out --protocol seed");
      if (raw->token_endpoint != NULL)
        return usage_error (error, "--issuer finds the token endpoint itself: leave out --token-endpoint");
      if (raw->client_id == NULL)
        return usage_error (error, "--issuer needs --client-id: the client registered at the provider "
                            "(the demo server's is " TG_SERVER_NATIVE_CLIENT_ID ")");
      tg_client_config_set_protocol_kind (config, TG_AUTH_PROTOCOL_OAUTH2);
    }
  if (raw->redirect_uri != NULL && options->issuer == NULL)
    return usage_error (error, "--redirect-uri is for the browser sign-in: it needs --issuer");
  if (raw->no_browser && options->issuer == NULL)
    return usage_error (error, "--no-browser is for the browser sign-in: it needs --issuer");
  options->redirect_uri = g_steal_pointer (&raw->redirect_uri);
  options->no_browser = raw->no_browser;
  if (tg_client_config_get_protocol_kind (config) != TG_AUTH_PROTOCOL_OAUTH2 &&
      (raw->token_endpoint != NULL || raw->client_id != NULL ||
       raw->client_secret_file != NULL || raw->scope != NULL))
    return usage_error (error, "%s is for OAuth 2.0: it needs --protocol oauth2",
                        raw->token_endpoint != NULL ? "--token-endpoint" :
                        raw->client_id != NULL ? "--client-id" :
                        raw->client_secret_file != NULL ? "--client-secret-file" : "--scope");
  if (raw->token_endpoint != NULL &&
      !check_url_option ("--token-endpoint", tg_client_config_set_token_endpoint, config,
                         raw->token_endpoint, error))
    return FALSE;
  if (raw->client_id != NULL && *raw->client_id == '\0')
    return usage_error (error, "--client-id is empty");
  if (raw->client_secret_file != NULL && raw->client_id == NULL)
    return usage_error (error, "--client-secret-file needs --client-id");
  if (raw->scope != NULL && *raw->scope == '\0')
    return usage_error (error, "--scope is empty");
  tg_client_config_set_client_id (config, raw->client_id);
  tg_client_config_set_scope (config, raw->scope);
  options->client_secret_file = g_steal_pointer (&raw->client_secret_file);

  return TRUE;
}

static gboolean
parse_user (TgCliOptions  *options,
            RawOptions    *raw,
            GError       **error)
{
  const char *command = command_names[options->command];

  if (raw->user != NULL && *raw->user == '\0')
    return usage_error (error, "--user is empty");
  if (raw->user == NULL && raw->embedded)
    raw->user = g_strdup (TG_SERVER_DEMO_USER);
  options->password_stdin = raw->password_stdin;
  /* Through the browser, the person says who they are at the provider. */
  if (raw->user == NULL && !tg_cli_options_uses_browser (options))
    return usage_error (error, "%s: which user? Say --user NAME", command);
  options->user = g_steal_pointer (&raw->user);
  if (options->password_stdin && !options->embedded &&
      (options->command == TG_CLI_COMMAND_GET || options->command == TG_CLI_COMMAND_LOGOUT))
    return usage_error (error, "--password-stdin: %s uses the kept session and needs no password", command);

  return TRUE;
}

static gboolean
parse_burst (TgCliOptions  *options,
             RawOptions    *raw,
             GError       **error)
{
  guint64 requests = DEFAULT_REQUESTS;
  guint choice;

  options->break_kind = TG_CLI_BREAK_ACCESS;
  options->json = raw->json;
  tg_client_config_set_proactive (options->config, !raw->no_proactive);
  if (!parse_number ("--requests", raw->requests, 1, MAX_REQUESTS, &requests, error))
    return FALSE;
  options->requests = (guint) requests;
  if (raw->break_kind != NULL)
    {
      if (!parse_choice ("--break", raw->break_kind, tg_cli_break_names, &choice, error))
        return FALSE;
      options->break_kind = choice;
    }
  if (raw->policy != NULL)
    {
      if (!parse_choice ("--policy", raw->policy, tg_cli_policy_names, &choice, error))
        return FALSE;
      tg_client_config_set_retry_policy (options->config, choice);
    }
  options->path_format = g_strdup (raw->path != NULL ? raw->path : DEFAULT_PATH);
  if (!tg_burst_check_path_format (options->path_format, error))
    {
      g_prefix_error (error, "--path: ");
      return FALSE;
    }

  return TRUE;
}

/**
 * tg_cli_options_parse:
 *
 * Fills @options from the command line, or fails with a usage error. With
 * --help or --version, *@out_help is set to what to print before exiting.
 */
gboolean
tg_cli_options_parse (TgCliOptions  *options,
                      int            argc,
                      char         **argv,
                      char         **out_help,
                      GError       **error)
{
  g_auto(RawOptions) raw = { 0 };
  g_autoptr(GOptionContext) context = new_main_context (&raw);

  options->config = tg_client_config_new ();

  if (!g_option_context_parse (context, &argc, &argv, error))
    return FALSE;
  if (raw.help)
    {
      *out_help = g_option_context_get_help (context, TRUE, NULL);
      return TRUE;
    }
  if (raw.version)
    {
      *out_help = g_strdup (TG_CLI_PROGRAM " " PACKAGE_VERSION "\n");
      return TRUE;
    }

  if (!parse_command (options, &raw, argc - 1, argv + 1, out_help, error))
    return FALSE;
  if (*out_help != NULL)
    return TRUE;

  return parse_server (options, &raw, error) &&
         parse_protocol (options, &raw, error) &&
         parse_user (options, &raw, error) &&
         parse_burst (options, &raw, error);
}

void
tg_cli_options_clear (TgCliOptions *options)
{
  g_clear_object (&options->config);
  g_clear_pointer (&options->client_secret_file, g_free);
  g_clear_pointer (&options->issuer, g_free);
  g_clear_pointer (&options->redirect_uri, g_free);
  g_clear_pointer (&options->user, g_free);
  g_clear_pointer (&options->get_path, g_free);
  g_clear_pointer (&options->path_format, g_free);
}

/* The session is kept per server and user; a browser sign-in's, without a
 * user name, per server and client. */
char *
tg_cli_options_dup_account (const TgCliOptions *options)
{
  if (options->user == NULL)
    return g_strconcat (tg_client_config_get_server_uri (options->config), " browser:",
                        tg_client_config_get_client_id (options->config), NULL);
  return g_strconcat (tg_client_config_get_server_uri (options->config), " ", options->user, NULL);
}

/* Whether the sign-in goes through the browser: with --issuer, unless a
 * password is given. */
gboolean
tg_cli_options_uses_browser (const TgCliOptions *options)
{
  return options->issuer != NULL && !options->password_stdin;
}

/* "as USER at SERVER", or "at SERVER" for a browser sign-in without a user
 * name, for the messages about the kept session. */
char *
tg_cli_options_describe_session (const TgCliOptions *options)
{
  const char *server = tg_client_config_get_server_uri (options->config);

  if (options->user == NULL)
    return g_strdup_printf ("at %s", server);
  return g_strdup_printf ("as %s at %s", options->user, server);
}
