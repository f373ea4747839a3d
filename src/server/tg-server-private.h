/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server's state, shared by the files that implement its parts:
 * tg-server.c (lifecycle, storage, hooks), tg-server-routing.c (routing and what
 * every request passes through), tg-server-message.c (reading requests, writing
 * answers), tg-server-auth.c (sign-in, refresh, revocation: the token
 * endpoints), tg-server-authorize.c (the browser sign-in of RFC 6749 §4.1 and
 * its authorization codes), tg-server-clients.c (the registered clients),
 * tg-server-page.c (the HTML pages a browser gets), tg-server-metadata.c
 * (RFC 8414 metadata), tg-server-resources.c (the protected resources and
 * their bearer tokens) and tg-server-demo.c (demo controls and faults).
 *
 * The API knows nothing of the demo: it reports what it does at a few hook
 * points (TgServerHooks), and the demo module plugs itself in there.
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "tg-jwt.h"
#include "tg-server.h"
#include "tg-server-db.h"

G_BEGIN_DECLS

#define TG_SERVER_ISSUER   "urn:tokengate:demo-server"
#define TG_SERVER_AUDIENCE "urn:tokengate:api"
#define TG_SERVER_REALM    "tokengate"

/* Bodies larger than this are answered 413. A declared Content-Length over it
 * is refused as soon as the headers are in; libsoup still reads the body off the
 * connection (it has no way to skip it), but nothing of it is kept. */
#define TG_SERVER_MAX_BODY (64 * 1024)

/* What the demo controls can change in the API while the server runs. Starts
 * from the properties on every start, so a restart forgets changes made over
 * HTTP. */
typedef struct {
  gint64          access_ttl;
  gint64          reuse_grace;
} TgServerSettings;

/* ------------------------------------------------------------------------- */
/* Hook points                                                               */

/* An exchange of the API that has its answer set, as reported to the hooks. */
typedef enum {
  TG_SERVER_EXCHANGE_SIGN_IN,
  TG_SERVER_EXCHANGE_SIGN_IN_REJECTED,
  TG_SERVER_EXCHANGE_REFRESH,
  TG_SERVER_EXCHANGE_REFRESH_REJECTED,
  TG_SERVER_EXCHANGE_REFRESH_REUSED,    /* rejected: a used token came back */
  TG_SERVER_EXCHANGE_REVOCATION,        /* a known session was revoked */
  TG_SERVER_EXCHANGE_RESOURCE,          /* any answer of /api/resources */
  TG_SERVER_EXCHANGE_FAILED,            /* the server could not store its state */
} TgServerExchange;

/* What a hook decides about a refresh before it is processed. */
typedef enum {
  TG_SERVER_REFRESH_PROCEED,
  TG_SERVER_REFRESH_ANSWERED,  /* the hook answered (or dropped) it: not processed */
  TG_SERVER_REFRESH_WITHHOLD,  /* process it, then hand the answer to withhold_answer */
} TgServerRefreshFate;

/**
 * TgServerHooks:
 * @exchanged: an exchange has its answer set on @msg (its status is there)
 * @delay_answer: may hold that answer back (with _tg_server_delay_then());
 *   called for %TG_SERVER_EXCHANGE_REFRESH and %TG_SERVER_EXCHANGE_RESOURCE only
 * @before_refresh: called before a refresh is processed
 * @withhold_answer: the refresh @before_refresh chose to withhold has its
 *   answer set: it is the hook's to dispose of (not delayed, not counted twice)
 *
 * Where another part of the server may watch or bend the API's exchanges. The
 * demo module is the one user; every member is required.
 */
typedef struct {
  void                (*exchanged)       (gpointer           data,
                                          SoupServerMessage *msg,
                                          TgServerExchange   exchange);
  void                (*delay_answer)    (gpointer           data,
                                          SoupServerMessage *msg,
                                          TgServerExchange   exchange);
  TgServerRefreshFate (*before_refresh)  (gpointer           data,
                                          SoupServerMessage *msg);
  void                (*withhold_answer) (gpointer           data,
                                          SoupServerMessage *msg);
} TgServerHooks;

/* ------------------------------------------------------------------------- */
/* Browser sign-in                                                           */

/* The pending sign-ins and the authorization codes (tg-server-authorize.c). */
typedef struct _TgServerAuthorize TgServerAuthorize;

/* What an authorization code grants, as the token endpoint redeems it. */
typedef struct {
  gint64  user_id;
  char   *user_name;
  gint64  family_id;   /* 0 until the token endpoint started a session with it */
  char   *scope;       /* granted, as the token answer says it (RFC 6749 §5.1) */
} TgServerCodeGrant;

/* A client registered with the server (tg-server-clients.c). */
typedef struct {
  const char *client_id;
  const char *redirect_path;   /* on a loopback IP literal, any port (RFC 8252 §7.3) */
  gboolean    confidential;    /* authenticates with #TgServer:client-secret */
} TgServerClient;

/* Called once a password check is done: @user_id is 0 when the user name or
 * the password was wrong, and @error is set when the user could not be
 * looked up at all. The message is unpaused after this returns. */
typedef void (*TgServerVerified) (TgServer          *self,
                                  SoupServerMessage *msg,
                                  gint64             user_id,
                                  const char        *user_name,
                                  const GError      *error,
                                  gpointer           data);

/* ------------------------------------------------------------------------- */

struct _TgServer
{
  GObject         parent_instance;

  /* configuration, fixed once started */
  char           *host;
  guint           port;
  char           *database_path;         /* nullable: in memory */
  gint64          access_ttl;
  gint64          refresh_ttl;
  gint64          reuse_grace;
  GTlsCertificate *tls_certificate;      /* nullable */
  gboolean        demo_controls;
  gboolean        allow_remote;
  guint           password_iterations;
  guint           latency_ms;
  guint           jitter_ms;
  gint64          code_lifetime;         /* seconds an authorization code lives */
  char           *issuer_uri;            /* nullable: the address listened on */
  char           *client_secret;         /* nullable, wiped: the confidential client's */

  /* running state; only touched on the server's own main context */
  SoupServer     *soup;
  GMainContext   *context;               /* owned: the one the server runs on */
  char           *base_uri;
  char           *issuer;                /* what clients are told (tg-server-metadata.c) */
  char           *issuer_host;           /* nullable: #TgServer:issuer's host, which the
                                            Host check accepts (tg-server-routing.c) */
  int             issuer_port;           /* and its port (the scheme's if it names none) */
  gboolean        loopback_only;         /* listening on loopback: Host is checked */
  TgServerDb     *db;
  GBytes         *key;
  char           *key_id;                /* current "epoch": expired on demand */
  TgJwtVerifier  *verifier;              /* owned: for key and key_id */
  GHashTable     *revoked_families;      /* set of gint64* */
  char           *dummy_password_hash;   /* verified against for unknown users */
  TgServerSettings live;
  const TgServerHooks *hooks;            /* nullable */
  gpointer        hooks_data;            /* owned, with hooks_destroy */
  GDestroyNotify  hooks_destroy;
  GCancellable   *cancellable;           /* cancelled on stop: pending KDF work */
  guint           pending_work;          /* password checks running in threads */
  GHashTable     *delayed;               /* owned: GSource set, answers held back */
  TgServerAuthorize *authorize;          /* owned: pending sign-ins, codes */

  /* when running on its own thread */
  GThread        *thread;
  GMainContext   *thread_context;
  GMainLoop      *thread_loop;
};

/* A route's handler: @data is what _tg_server_route() was given. */
typedef void (*TgServerHandler) (TgServer          *self,
                                 SoupServerMessage *msg,
                                 const char        *path,
                                 gpointer           data);

/* tg-server.c */
gint64   _tg_server_now              (void);
void     _tg_server_set_epoch        (TgServer            *self,
                                      gint64               epoch);
void     _tg_server_set_hooks        (TgServer            *self,
                                      const TgServerHooks *hooks,
                                      gpointer             data,
                                      GDestroyNotify       destroy);
gboolean _tg_server_may_refresh      (TgServer          *self,
                                      SoupServerMessage *msg);
void     _tg_server_exchanged        (TgServer          *self,
                                      SoupServerMessage *msg,
                                      TgServerExchange   exchange);

/* tg-server-routing.c */
void     _tg_server_route            (TgServer          *self,
                                      const char        *path,
                                      gboolean           subpaths,
                                      TgServerHandler    handler,
                                      gpointer           data);
gboolean _tg_server_body_too_large   (SoupServerMessage *msg);
GSource *_tg_server_delay_then       (TgServer          *self,
                                      SoupServerMessage *msg,
                                      guint              delay_ms,
                                      GSourceFunc        then,
                                      gpointer           data,
                                      GDestroyNotify     destroy);

/* tg-server-message.c */
gboolean _tg_server_check_method     (SoupServerMessage *msg,
                                      const char        *first_method,
                                      ...) G_GNUC_NULL_TERMINATED;
void     _tg_server_reply_empty      (SoupServerMessage *msg);
void     _tg_server_reply_json       (SoupServerMessage *msg,
                                      guint              status,
                                      JsonNode          *node);
void     _tg_server_reply_builder    (SoupServerMessage *msg,
                                      guint              status,
                                      JsonBuilder       *builder);
void     _tg_server_reply_error      (SoupServerMessage *msg,
                                      guint              status,
                                      const char        *error,
                                      const char        *description);
void     _tg_server_reply_bad_body   (SoupServerMessage *msg,
                                      const GError      *error);
JsonObject *_tg_server_read_json_object (SoupServerMessage *msg,
                                         GError           **error);
GHashTable *_tg_server_read_form     (SoupServerMessage *msg,
                                      GError           **error);
/* The same two on a body already read; for the fuzz targets. */
JsonObject *_tg_server_parse_json_object (const char  *data,
                                          gsize        len,
                                          GError     **error);
GHashTable *_tg_server_parse_form    (const char        *data,
                                      gsize              len,
                                      GError           **error);
char       *_tg_server_form_unescape (const char        *text,
                                      gsize              len,
                                      GError           **error);
const char *_tg_server_form_value    (GHashTable        *form,
                                      const char        *name);
gboolean _tg_server_is_loopback_peer (SoupServerMessage *msg);
void     _tg_server_set_no_store     (SoupServerMessage *msg);

/* tg-server-auth.c */
void     _tg_server_auth_register    (TgServer *self);
gboolean _tg_server_auth_prepare     (TgServer *self,
                                      GError  **error);
gboolean _tg_server_expire_access_tokens (TgServer  *self,
                                          GError   **error);
gboolean _tg_server_revoke_all_sessions  (TgServer  *self,
                                          GError   **error);
void     _tg_server_verify_password  (TgServer          *self,
                                      SoupServerMessage *msg,
                                      const char        *user_name,
                                      const char        *password,
                                      TgServerVerified   verified,
                                      gpointer           data,
                                      GDestroyNotify     destroy);

/* tg-server-authorize.c */
TgServerAuthorize *_tg_server_authorize_new  (void);
void     _tg_server_authorize_free   (TgServerAuthorize *authorize);
void     _tg_server_authorize_register (TgServer *self);
TgServerCodeGrant *_tg_server_redeem_code (TgServer    *self,
                                           const char  *code,
                                           const char  *client_id,
                                           const char  *redirect_uri,
                                           const char  *code_verifier,
                                           gint64      *out_replayed_family,
                                           const char **out_description);
gboolean _tg_server_is_code_verifier (const char *verifier);
/* The scopes a client may ask for, NULL-terminated; the first is the default. */
extern const char * const _tg_server_scopes[];

/* tg-server-clients.c */
const TgServerClient *_tg_server_find_client (TgServer   *self,
                                              const char *client_id);
gboolean _tg_server_authenticate_client (TgServer           *self,
                                         SoupServerMessage  *msg,
                                         GHashTable         *form,
                                         const char        **out_client_id);
gboolean _tg_server_client_redirect_ok (const TgServerClient *client,
                                        const char           *redirect_uri);
gboolean _tg_server_parse_basic      (const char         *header,
                                      char              **out_client_id,
                                      char              **out_secret);

/* tg-server-page.c */
typedef struct {
  const char *request_id;
  const char *csrf_token;
  const char *client_id;
  const char *user_name;       /* nullable: filled in again after a failure */
  const char *message;         /* nullable: why the last attempt failed */
  const char *redirect_origin; /* where the form's answer will send the browser */
} TgServerLoginPage;

void     _tg_server_reply_login_page (SoupServerMessage       *msg,
                                      const TgServerLoginPage *page);
void     _tg_server_reply_error_page (SoupServerMessage *msg,
                                      guint              status,
                                      const char        *message);
void     _tg_server_reply_continue_page (SoupServerMessage *msg,
                                         const char        *location);
gboolean _tg_server_uri_has_ipv6_host (const char *uri);

/* tg-server-metadata.c */
void     _tg_server_metadata_register (TgServer *self);
gboolean _tg_server_set_issuer       (TgServer      *self,
                                      GInetAddress  *address,
                                      GError       **error);

/* tg-server-resources.c */
/* The OpenID Connect userinfo endpoint (tg-server-resources.c). */
#define TG_SERVER_USERINFO_PATH "/oauth2/userinfo"
void     _tg_server_resources_register (TgServer *self);

/* tg-server-demo.c */
void     _tg_server_demo_attach      (TgServer *self);

G_END_DECLS
