/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "tg-server.h"

G_BEGIN_DECLS

/* Few PBKDF2 rounds: tests sign in often; the cost is the same code path. */
#define TG_TEST_PASSWORD_ITERATIONS 1000

typedef struct {
  TgServer    *server;
  char        *dir;        /* temporary; holds the database and its key */
  char        *database;
  SoupSession *session;
} TgTestServer;

typedef struct {
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
  char               *text;  /* body as a nul-terminated string */
} TgTestReply;

/* A request the server must refuse, and how. */
typedef struct {
  const char *name;
  const char *method;
  const char *content_type;
  const char *body;          /* nullable: no body */
  guint       status;
  const char *error;         /* the JSON answer's `error` */
  gsize       length;        /* of body, for bodies with NULs in them; 0: strlen (body) */
} TgTestBadRequest;

TgTestServer *tg_test_server_new        (const char   *first_property,
                                         ...);
void          tg_test_server_restart    (TgTestServer *fixture);
void          tg_test_server_free       (TgTestServer *fixture);
const char   *tg_test_server_uri        (TgTestServer *fixture);

TgTestReply  *tg_test_request           (TgTestServer *fixture,
                                         const char   *method,
                                         const char   *path,
                                         const char   *content_type,
                                         const char   *body,
                                         const char   *authorization);
TgTestReply  *tg_test_request_bytes     (TgTestServer *fixture,
                                         const char   *method,
                                         const char   *path,
                                         const char   *content_type,
                                         const char   *data,
                                         gsize         len,
                                         const char   *authorization);
TgTestReply  *tg_test_send              (TgTestServer *fixture,
                                         SoupMessage  *msg);
TgTestReply  *tg_test_request_chunked   (TgTestServer *fixture,
                                         const char   *method,
                                         const char   *path,
                                         const char   *content_type,
                                         const char   *data,
                                         gsize         len);
TgTestReply  *tg_test_request_bad       (TgTestServer           *fixture,
                                         const char             *path,
                                         const TgTestBadRequest *bad);
GIOStream    *tg_test_raw_connect       (TgTestServer *fixture);
TgTestReply  *tg_test_raw_read_reply    (GIOStream    *stream);
TgTestReply  *tg_test_raw_request       (TgTestServer *fixture,
                                         const char   *request);
JsonObject   *tg_test_reply_json        (TgTestReply  *reply);
const char   *tg_test_reply_error       (TgTestReply  *reply);
void          tg_test_assert_json_error (TgTestReply  *reply,
                                         guint         status,
                                         const char   *error);
void          tg_test_reply_free        (TgTestReply  *reply);

char         *tg_test_seed_sign_in      (TgTestServer *fixture,
                                         const char   *user,
                                         const char   *password,
                                         char        **out_refresh_token);
char         *tg_test_seed_refresh      (TgTestServer *fixture,
                                         const char   *refresh_token,
                                         guint        *out_status,
                                         char        **out_refresh_token);
TgTestReply  *tg_test_oauth2_password_grant (TgTestServer *fixture,
                                            const char   *user,
                                            const char   *password);
TgTestReply  *tg_test_oauth2_refresh_grant  (TgTestServer *fixture,
                                            const char   *refresh_token);
char         *tg_test_read_token_answer (TgTestReply  *reply,
                                         char        **out_refresh_token);
TgTestReply  *tg_test_get_resource_reply (TgTestServer *fixture,
                                         const char   *access_token);
guint         tg_test_get_resource      (TgTestServer *fixture,
                                         const char   *access_token);

/* The browser sign-in, from both ends. */
char         *tg_test_pkce_challenge    (const char   *verifier);
char         *tg_test_html_hidden_value (const char   *html,
                                         const char   *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgTestReply, tg_test_reply_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgTestServer, tg_test_server_free)

G_END_DECLS
