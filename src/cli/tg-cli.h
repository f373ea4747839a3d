/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of tokengate-cli share: the checked command line, the
 * terminal, and the commands — one GTask each.
 */
#pragma once

#include <gio/gio.h>

/* The library's public API, and only that. */
#include <tokengate.h>

G_BEGIN_DECLS

#define TG_CLI_PROGRAM "tokengate-cli"

/* The exit statuses. An error of the TG_CLI_ERROR domain has the one to end
 * with as its code. */
typedef enum {
  TG_CLI_EXIT_OK          = 0,
  TG_CLI_EXIT_FAILED      = 1,
  TG_CLI_EXIT_USAGE       = 2,
  TG_CLI_EXIT_INTERRUPTED = 130,
} TgCliExit;

#define TG_CLI_ERROR (tg_cli_error_quark ())
GQuark tg_cli_error_quark (void);

typedef enum {
  TG_CLI_COMMAND_LOGIN,
  TG_CLI_COMMAND_LOGOUT,
  TG_CLI_COMMAND_GET,
  TG_CLI_COMMAND_BURST,
} TgCliCommand;

typedef enum {
  TG_CLI_BREAK_ACCESS,
  TG_CLI_BREAK_EXPIRE,
  TG_CLI_BREAK_REVOKE,
  TG_CLI_BREAK_NATURAL,
} TgCliBreak;

extern const char * const tg_cli_break_names[];
extern const char * const tg_cli_policy_names[];

/* The command line, checked (tg-cli-options.c). */
typedef struct {
  TgCliCommand    command;
  TgClientConfig *config;         /* owned: the server (unless embedded),
                                     protocol, OAuth 2.0 client, tuning */
  gboolean        embedded;
  guint           latency_ms;     /* embedded only */
  guint           jitter_ms;
  gint64          access_ttl;     /* 0: the server's default */
  char           *client_secret_file;  /* nullable */
  char           *issuer;         /* nullable: discover the provider there */
  char           *redirect_uri;   /* nullable: the browser sign-in's */
  gboolean        no_browser;     /* login: only print the sign-in address */
  char           *user;           /* nullable only with --issuer */
  gboolean        password_stdin;
  char           *get_path;       /* get only */
  guint           requests;       /* burst only, from here on */
  char           *path_format;
  TgCliBreak      break_kind;
  gboolean        json;
} TgCliOptions;

gboolean tg_cli_options_parse (TgCliOptions  *options,
                               int            argc,
                               char         **argv,
                               char         **out_help,
                               GError       **error);
void     tg_cli_options_clear (TgCliOptions  *options);
char    *tg_cli_options_dup_account (const TgCliOptions *options);
gboolean tg_cli_options_uses_browser (const TgCliOptions *options);
char    *tg_cli_options_describe_session (const TgCliOptions *options);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TgCliOptions, tg_cli_options_clear)

/* Secrets (tg-cli-secrets.c): wiped when freed. */
typedef struct {
  char *password;       /* nullable: the commands that need none */
  char *client_secret;  /* nullable */
} TgCliSecrets;

gboolean tg_cli_secrets_read  (TgCliSecrets        *secrets,
                               const TgCliOptions  *options,
                               GError             **error);
void     tg_cli_secrets_clear (TgCliSecrets        *secrets);
void     tg_cli_wipe_free     (char                *secret);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TgCliSecrets, tg_cli_secrets_clear)

/* The terminal (tg-cli-output.c). */
void     tg_cli_out              (const char *format,
                                  ...) G_GNUC_PRINTF (1, 2);
gboolean tg_cli_flush_stdout     (GError    **error);
char    *tg_cli_printable        (const char *text);
void     tg_cli_print_error_line (const char *message);
void     tg_cli_install_log_writer (gboolean keep_notes);
void     tg_cli_flush_notes      (void);
GError  *tg_cli_error_new        (TgCliExit   status,
                                  const char *format,
                                  ...) G_GNUC_PRINTF (2, 3);
GError  *tg_cli_error_about      (const GError *error,
                                  const char   *uri,
                                  const char   *what);

/* The steps the commands share (tg-cli-client.c). */
void         tg_cli_client_build_async   (const TgCliOptions   *options,
                                          TgTokenStore         *store,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
TgApiClient *tg_cli_client_build_finish  (GAsyncResult         *result,
                                          GError              **error);
void         tg_cli_sign_in_async        (TgApiClient          *client,
                                          const TgCliOptions   *options,
                                          char                 *password,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
gboolean     tg_cli_sign_in_finish       (GAsyncResult         *result,
                                          GError              **error);

/* The browser sign-in (tg-cli-browser.c). */
void         tg_cli_browser_sign_in_async  (TgApiClient          *client,
                                            const TgCliOptions   *options,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean     tg_cli_browser_sign_in_finish (GAsyncResult         *result,
                                            GError              **error);

/* The commands: each one GTask, which returns the exit status or fails with
 * a TG_CLI_ERROR. @password is theirs to wipe. */
void     tg_cli_login_async     (const TgCliOptions  *options,
                                 char                *password,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data);
void     tg_cli_logout_async    (const TgCliOptions  *options,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data);
void     tg_cli_get_async       (const TgCliOptions  *options,
                                 char                *password,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data);
void     tg_cli_burst_async     (const TgCliOptions  *options,
                                 char                *password,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data);
int      tg_cli_command_finish  (GAsyncResult        *result,
                                 GError             **error);

/* The burst's report (tg-cli-report.c). */
void     tg_cli_report_table    (const TgCliOptions  *options,
                                 const TgBurstResult *result,
                                 gint64               waited_us);
void     tg_cli_report_json     (const TgCliOptions  *options,
                                 const TgBurstResult *result,
                                 gint64               waited_us);

G_END_DECLS
