/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TG_JWT_ERROR (tg_jwt_error_quark ())

typedef enum {
  TG_JWT_ERROR_MALFORMED,
  TG_JWT_ERROR_ALGORITHM,
  TG_JWT_ERROR_SIGNATURE,
  TG_JWT_ERROR_KEY_ID,
  TG_JWT_ERROR_ISSUER,
  TG_JWT_ERROR_AUDIENCE,
  TG_JWT_ERROR_NOT_YET_VALID,
  TG_JWT_ERROR_EXPIRED,
} TgJwtError;

typedef struct {
  char   *iss;
  char   *aud;
  char   *sub;
  char   *name;
  char   *jti;
  gint64  sid;  /* refresh-token family ("session") the token was issued to */
  gint64  iat;
  gint64  nbf;
  gint64  exp;
} TgJwtClaims;

/* Verifies many tokens for one key and key id, remembering what it can. */
typedef struct _TgJwtVerifier TgJwtVerifier;

GQuark       tg_jwt_error_quark  (void);

char        *tg_jwt_encode       (GBytes            *key,
                                  const char        *kid,
                                  const TgJwtClaims *claims);
TgJwtClaims *tg_jwt_verify       (GBytes            *key,
                                  const char        *expected_kid,
                                  const char        *expected_iss,
                                  const char        *expected_aud,
                                  gint64             now,
                                  const char        *token,
                                  GError           **error);
void         tg_jwt_claims_free  (TgJwtClaims       *claims);

TgJwtVerifier     *tg_jwt_verifier_new    (GBytes         *key,
                                           const char     *expected_kid,
                                           const char     *expected_iss,
                                           const char     *expected_aud);
const TgJwtClaims *tg_jwt_verifier_verify (TgJwtVerifier  *self,
                                           gint64          now,
                                           const char     *token,
                                           GError        **error);
void               tg_jwt_verifier_free   (TgJwtVerifier  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgJwtClaims, tg_jwt_claims_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgJwtVerifier, tg_jwt_verifier_free)

G_END_DECLS
