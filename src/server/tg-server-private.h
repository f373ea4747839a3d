/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server's state, shared by the files that implement its parts:
 * tg-server.c (lifecycle, routing, replies), tg-server-auth.c (sign-in, refresh,
 * resources, revocation) and tg-server-demo.c (demo controls and faults).
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

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

typedef enum {
  TG_FAULT_NONE,
  TG_FAULT_STATUS,  /* answer the refresh with a given status */
  TG_FAULT_HANG,    /* hold the refresh for a while, then answer 503 */
  TG_FAULT_DROP,    /* close the connection without answering */
  TG_FAULT_LOST_ANSWER, /* refresh for real (commit), then close without answering */
} TgFaultKind;

typedef struct {
  TgFaultKind kind;
  guint       status;
  guint       hang_ms;
  guint       count;   /* how many of the next refreshes it applies to */
} TgRefreshFault;

/* What the demo controls can change while the server runs. Starts from the
 * properties on every start, so a restart forgets changes made over HTTP. */
typedef struct {
  gint64          access_ttl;
  gint64          reuse_grace;
  guint           latency_ms;
  guint           jitter_ms;
  guint           refresh_latency_ms;  /* before every successful refresh answer */
  TgRefreshFault  refresh_fault;
} TgServerSettings;

typedef struct {
  guint64     sign_ins;
  guint64     sign_ins_rejected;
  guint64     refreshes;
  guint64     refreshes_rejected;
  guint64     reuse_detections;
  guint64     revocations;
  guint64     faults_injected;
  guint64     lost_answers;      /* refreshes processed whose answer was dropped */
  GHashTable *resources_by_status;  /* GUINT_TO_POINTER(status) → count */
} TgServerStats;

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

  /* running state; only touched on the server's own main context */
  SoupServer     *soup;
  GMainContext   *context;               /* owned: the one the server runs on */
  char           *base_uri;
  gboolean        loopback_only;         /* listening on loopback: Host is checked */
  TgServerDb     *db;
  GBytes         *key;
  char           *key_id;                /* current "epoch": expired on demand */
  GHashTable     *revoked_families;      /* set of gint64* */
  char           *dummy_password_hash;   /* verified against for unknown users */
  TgServerSettings live;
  TgServerStats   stats;
  GCancellable   *cancellable;           /* cancelled on stop: pending KDF work */
  guint           pending_work;          /* password checks running in threads */
  GHashTable     *delayed;               /* owned: GSource set, answers held back */

  /* when running on its own thread */
  GThread        *thread;
  GMainContext   *thread_context;
  GMainLoop      *thread_loop;
};

/* tg-server.c */
void     _tg_server_route            (TgServer           *self,
                                      const char         *path,
                                      gboolean            subpaths,
                                      SoupServerCallback  callback);
gint64   _tg_server_now              (void);
gboolean _tg_server_check_method     (SoupServerMessage *msg,
                                      const char        *first_method,
                                      ...) G_GNUC_NULL_TERMINATED;
void     _tg_server_reply_empty      (SoupServerMessage *msg);
void     _tg_server_reply_json       (SoupServerMessage *msg,
                                      guint              status,
                                      JsonNode          *node);
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
gboolean _tg_server_is_loopback_peer (SoupServerMessage *msg);
void     _tg_server_delay_then       (TgServer          *self,
                                      SoupServerMessage *msg,
                                      guint              delay_ms,
                                      GSourceFunc        then,
                                      gpointer           data,
                                      GDestroyNotify     destroy);

/* tg-server-auth.c */
void     _tg_server_auth_register    (TgServer *self);
gboolean _tg_server_auth_prepare     (TgServer *self,
                                      GError  **error);

/* tg-server-demo.c */
void     _tg_server_demo_register    (TgServer *self);
gboolean _tg_server_demo_take_refresh_fault (TgServer          *self,
                                             SoupServerMessage *msg,
                                             gboolean          *out_lose_answer);
void     _tg_server_demo_lose_answer        (TgServer          *self,
                                             SoupServerMessage *msg);
void     _tg_server_stats_count_resource    (TgServer *self,
                                             guint     status);
guint    _tg_server_demo_api_delay_ms       (TgServer *self);

G_END_DECLS
