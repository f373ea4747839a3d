/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TG_SERVER_DB_ERROR (tg_server_db_error_quark ())

typedef enum {
  TG_SERVER_DB_ERROR_FAILED,     /* SQLite said no: I/O, corruption, full disk */
  TG_SERVER_DB_ERROR_NOT_FOUND,
  TG_SERVER_DB_ERROR_EXISTS,
} TgServerDbError;

/* What happened to a presented refresh token; see tg_server_db_rotate(). */
typedef enum {
  TG_REFRESH_ROTATED,          /* consumed; the successor is now valid */
  TG_REFRESH_REPLAYED_IN_GRACE,/* consumed earlier, within the grace window, successor unused */
  TG_REFRESH_REUSE_DETECTED,   /* consumed earlier, past grace: family revoked now */
  TG_REFRESH_UNKNOWN,
  TG_REFRESH_EXPIRED,
  TG_REFRESH_REVOKED,
  TG_REFRESH_WRONG_CLIENT,     /* issued to another client: nothing changed */
} TgRefreshOutcome;

typedef struct {
  gint64  user_id;
  char   *user_name;
  gint64  family_id;
  char   *successor_hash;  /* for TG_REFRESH_REPLAYED_IN_GRACE: the pair handed out then */
  gint64  rotated_at;      /* when the presented token was consumed */
} TgRefreshGrant;

#define TG_TYPE_SERVER_DB (tg_server_db_get_type ())
G_DECLARE_FINAL_TYPE (TgServerDb, tg_server_db, TG, SERVER_DB, GObject)

GQuark            tg_server_db_error_quark          (void);

TgServerDb       *tg_server_db_open                 (const char      *path,
                                                     GError         **error);

gboolean          tg_server_db_add_user             (TgServerDb      *self,
                                                     const char      *name,
                                                     const char      *password_hash,
                                                     gint64          *out_user_id,
                                                     GError         **error);
gboolean          tg_server_db_count_users          (TgServerDb      *self,
                                                     gint64          *out_count,
                                                     GError         **error);
gboolean          tg_server_db_first_password_hash  (TgServerDb      *self,
                                                     char           **out_password_hash,
                                                     GError         **error);
gboolean          tg_server_db_find_user            (TgServerDb      *self,
                                                     const char      *name,
                                                     gint64          *out_user_id,
                                                     char           **out_password_hash,
                                                     GError         **error);

gboolean          tg_server_db_start_family         (TgServerDb      *self,
                                                     gint64           user_id,
                                                     const char      *client_id,
                                                     const char      *token_hash,
                                                     gint64           now,
                                                     gint64           expires_at,
                                                     gint64          *out_family_id,
                                                     GError         **error);
TgRefreshOutcome  tg_server_db_rotate               (TgServerDb      *self,
                                                     const char      *presented_hash,
                                                     const char      *client_id,
                                                     const char      *successor_hash,
                                                     gint64           now,
                                                     gint64           successor_expires_at,
                                                     gint64           reuse_grace,
                                                     TgRefreshGrant  *out_grant,
                                                     GError         **error);
gboolean          tg_server_db_revoke_family_of     (TgServerDb      *self,
                                                     const char      *token_hash,
                                                     const char      *client_id,
                                                     gint64           now,
                                                     gint64          *out_family_id,
                                                     GError         **error);
gboolean          tg_server_db_revoke_family        (TgServerDb      *self,
                                                     gint64           family_id,
                                                     gint64           now,
                                                     GError         **error);
gboolean          tg_server_db_revoke_all_families  (TgServerDb      *self,
                                                     gint64           now,
                                                     GError         **error);
GHashTable       *tg_server_db_list_revoked_families (TgServerDb     *self,
                                                     GError         **error);

gboolean          tg_server_db_get_meta             (TgServerDb      *self,
                                                     const char      *key,
                                                     gint64           default_value,
                                                     gint64          *out_value,
                                                     GError         **error);
gboolean          tg_server_db_set_meta             (TgServerDb      *self,
                                                     const char      *key,
                                                     gint64           value,
                                                     GError         **error);

void              tg_refresh_grant_clear            (TgRefreshGrant  *grant);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TgRefreshGrant, tg_refresh_grant_clear)

G_END_DECLS
