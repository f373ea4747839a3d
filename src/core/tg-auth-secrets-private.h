/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* What a redacted secret is replaced with in a server's text. */
#define TG_AUTH_REDACTED "[redacted]"

/* A name/value pair of a request body; a %NULL value leaves the field out. */
typedef struct {
  const char *name;
  const char *value;
} TgAuthField;

/* Everything that must not reach an error message: what the request carried,
 * the client secret, and the tokens of the answer itself. Not owned. */
typedef struct {
  const char *values[8];
  guint       n_values;
} TgAuthSecrets;

/* Secrets in memory */
void     _tg_auth_wipe_string              (char              *text);
GBytes  *_tg_auth_secret_bytes_new_take    (char              *text);
void     _tg_auth_remember_request_secret  (SoupMessage       *msg,
                                            const char        *secret);
GString *_tg_auth_secret_string_new        (gsize              capacity);
void     _tg_auth_append_form_encoded      (GString           *out,
                                            const char        *text);
char    *_tg_auth_encode_form              (const TgAuthField *fields,
                                            gsize              n_fields);
char    *_tg_auth_encode_json_object       (const TgAuthField *fields,
                                            gsize              n_fields);

/* Secrets out of the text a server sends back */
void     _tg_auth_secrets_add              (TgAuthSecrets     *secrets,
                                            const char        *value);
void     _tg_auth_secrets_add_remembered   (TgAuthSecrets     *secrets,
                                            SoupMessage       *request);
void     _tg_auth_redact_secret            (GString           *text,
                                            const char        *secret);
char    *_tg_auth_redact                   (const char        *text,
                                            const TgAuthSecrets *secrets);

G_END_DECLS
