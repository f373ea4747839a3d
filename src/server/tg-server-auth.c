/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server's token endpoints: sign-in, refresh and revocation in two wire
 * formats — the seed posts' JSON API (/authorization/…) and standard OAuth 2.0
 * (/oauth2/…, RFC 6749 and RFC 7009), where a session also starts from an
 * authorization code of the browser sign-in (tg-server-authorize.c). The
 * resources those tokens open are in tg-server-resources.c.
 *
 * Both formats share one implementation of each operation; only how the request
 * is read and how the answer is spelled differ (TgWire). Every exchange is
 * reported with _tg_server_exchanged(), and a refresh asks
 * _tg_server_may_refresh() first: that is all the demo controls need to count,
 * slow down and break them.
 */
#define G_LOG_DOMAIN "tg-server"

#include "config.h"

#include <string.h>

#include "tg-base64url.h"
#include "tg-crypto.h"
#include "tg-jwt.h"
#include "tg-password.h"
#include "tg-json-builder.h"
#include "tg-server-private.h"

typedef enum {
  TG_WIRE_SEED,
  TG_WIRE_OAUTH2,
} TgWire;

typedef struct {
  char   *access_token;
  char   *refresh_token;
  gint64  expires_in;
  gint64  user_id;
  char   *scope;          /* nullable: said only where it was asked for */
} IssuedPair;

static void
issued_pair_free (IssuedPair *pair)
{
  g_free (pair->access_token);
  g_free (pair->refresh_token);
  g_free (pair->scope);
  g_free (pair);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IssuedPair, issued_pair_free)

/* ------------------------------------------------------------------------- */
/* Answers                                                                   */

static void
reply_pair (SoupServerMessage *msg,
            TgWire             wire,
            const IssuedPair  *pair)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  if (wire == TG_WIRE_SEED)
    {
      g_autofree char *user_id = g_strdup_printf ("%" G_GINT64_FORMAT, pair->user_id);

      tg_json_builder_add_string_member (builder, "userId", user_id);
      tg_json_builder_add_string_member (builder, "authorizationToken", pair->access_token);
      tg_json_builder_add_string_member (builder, "refreshToken", pair->refresh_token);
      tg_json_builder_add_int_member (builder, "expiresIn", pair->expires_in);
    }
  else
    {
      tg_json_builder_add_string_member (builder, "access_token", pair->access_token);
      tg_json_builder_add_string_member (builder, "token_type", "Bearer");
      tg_json_builder_add_int_member (builder, "expires_in", pair->expires_in);
      tg_json_builder_add_string_member (builder, "refresh_token", pair->refresh_token);
      if (pair->scope != NULL)
        tg_json_builder_add_string_member (builder, "scope", pair->scope);
    }
  json_builder_end_object (builder);

  _tg_server_set_no_store (msg);
  _tg_server_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* A rejected grant: the seed API answers 401 (as the posts' client expects), OAuth
 * 2.0 answers 400 (RFC 6749 §5.2). Both say invalid_grant — never a 500. */
static void
reply_invalid_grant (SoupServerMessage *msg,
                     TgWire             wire,
                     const char        *description)
{
  _tg_server_set_no_store (msg);
  _tg_server_reply_error (msg,
                          wire == TG_WIRE_SEED ? SOUP_STATUS_UNAUTHORIZED : SOUP_STATUS_BAD_REQUEST,
                          "invalid_grant", description);
}

static void
reply_server_error (TgServer          *self,
                    SoupServerMessage *msg,
                    const GError      *error)
{
  /* Only storage failures get here; their message names no secret. */
  g_warning ("storage failed: %s", error->message);
  _tg_server_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "server_error",
                          "the server could not store its state");
  _tg_server_exchanged (self, msg, TG_SERVER_EXCHANGE_FAILED);
}

/* A rejected refresh, as reply_invalid_grant() answers it and the hooks see it. */
static void
reject_refresh (TgServer          *self,
                SoupServerMessage *msg,
                TgWire             wire,
                TgServerExchange   exchange,
                const char        *description)
{
  reply_invalid_grant (msg, wire, description);
  _tg_server_exchanged (self, msg, exchange);
}

/* ------------------------------------------------------------------------- */
/* Issuing tokens                                                            */

/* HMAC-SHA256(key, label ‖ input) in base64url: 256 bits that only this server
 * can compute, and that it computes the same way after a restart. */
static char *
derive (TgServer   *self,
        const char *label,
        const char *input)
{
  g_autoptr(GHmac) hmac = NULL;
  guint8 digest[32];
  gsize len = sizeof digest;
  gsize key_len;
  const guint8 *key = g_bytes_get_data (self->key, &key_len);

  hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  g_hmac_update (hmac, (const guchar *) label, -1);
  g_hmac_update (hmac, (const guchar *) input, -1);
  g_hmac_get_digest (hmac, digest, &len);

  return tg_base64url_encode (digest, len);
}

/* The refresh token that replaces @presented. Deriving it instead of drawing it
 * at random is what lets the reuse-grace window work across a crash: a client
 * whose answer was lost (say, to a kill -9 right after the commit) presents
 * the old token again and gets the same successor, which the database knows
 * only by its hash. */
static char *
derive_successor (TgServer   *self,
                  const char *presented)
{
  return derive (self, "tokengate refresh successor\n", presented);
}

static IssuedPair *
issued_pair_new (TgServer   *self,
                 gint64      user_id,
                 const char *user_name,
                 gint64      family_id,
                 char       *refresh_token,  /* taken */
                 const char *jti,
                 gint64      issued_at,
                 gint64      now)
{
  IssuedPair *pair = g_new0 (IssuedPair, 1);
  g_autofree char *sub = g_strdup_printf ("%" G_GINT64_FORMAT, user_id);
  TgJwtClaims claims = {
    .iss = (char *) TG_SERVER_ISSUER,
    .aud = (char *) TG_SERVER_AUDIENCE,
    .sub = sub,
    .name = (char *) user_name,
    .jti = (char *) jti,
    .sid = family_id,
    .iat = issued_at,
    .nbf = issued_at,
    .exp = issued_at + self->live.access_ttl,
  };

  pair->access_token = tg_jwt_encode (self->key, self->key_id, &claims);
  pair->refresh_token = refresh_token;
  /* From the same clock reading the token was made with: a fresh token says
   * exactly its lifetime, a replayed one (issued at an earlier rotation) what
   * is left of it. */
  pair->expires_in = CLAMP (claims.exp - now, 0, claims.exp - claims.iat);
  pair->user_id = user_id;

  return pair;
}

/* The pair a rotation hands out is a function of the presented token and the
 * rotation's time, so that a replay within the grace window gets it again,
 * byte for byte. */
static IssuedPair *
rotation_pair_new (TgServer             *self,
                   const TgRefreshGrant *grant,
                   const char           *presented,
                   gint64                now)
{
  g_autofree char *successor = derive_successor (self, presented);
  g_autofree char *jti = derive (self, "tokengate access jti\n", successor);

  return issued_pair_new (self, grant->user_id, grant->user_name, grant->family_id,
                          g_steal_pointer (&successor), jti, grant->rotated_at, now);
}

static void
mark_family_revoked (TgServer *self,
                     gint64    family_id)
{
  gint64 *key = g_new (gint64, 1);

  *key = family_id;
  g_hash_table_add (self->revoked_families, key);
}

/* ------------------------------------------------------------------------- */
/* Password checks                                                           */

typedef struct {
  SoupServerMessage *msg;            /* owned */
  char              *user_name;
  char              *password;       /* wiped on free */
  char              *password_hash;  /* the user's, or a dummy one */
  gint64             user_id;        /* 0 for an unknown user */
  TgServerVerified   verified;
  gpointer           data;           /* owned, with destroy */
  GDestroyNotify     destroy;
} PasswordCheck;

static void
password_check_free (PasswordCheck *check)
{
  if (check->password != NULL)
    explicit_bzero (check->password, strlen (check->password));
  g_free (check->password);
  g_free (check->password_hash);
  g_free (check->user_name);
  g_clear_object (&check->msg);
  if (check->destroy != NULL)
    check->destroy (check->data);
  g_free (check);
}

static void
password_check_in_thread (GTask        *task,
                          gpointer      source_object,
                          gpointer      task_data,
                          GCancellable *cancellable)
{
  PasswordCheck *check = task_data;

  /* The slow part: PBKDF2 must not stall every other request on the server's
   * main loop. */
  g_task_return_boolean (task, tg_password_verify (check->password, check->password_hash));
}

static void
password_checked (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  TgServer *self = user_data;
  PasswordCheck *check = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gboolean verified;

  /* tg_server_stop() cancels, then waits for this count to reach zero: past
   * it, the server may be gone, so a cancelled check touches nothing else. */
  self->pending_work--;
  verified = g_task_propagate_boolean (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  check->verified (self, check->msg, verified ? check->user_id : 0, check->user_name,
                   NULL, check->data);
  soup_server_message_unpause (check->msg);
}

/**
 * _tg_server_verify_password:
 * @verified: called with the outcome, on the server's main context
 * @data: (transfer full): for @verified, freed with @destroy
 *
 * Checks @user_name's @password off the main loop, with @msg paused meanwhile,
 * the same way for every kind of sign-in: an unknown user costs as much time
 * as a wrong password, so the answer's timing does not tell which names exist.
 * A failure to look the user up is reported at once.
 */
void
_tg_server_verify_password (TgServer          *self,
                            SoupServerMessage *msg,
                            const char        *user_name,
                            const char        *password,
                            TgServerVerified   verified,
                            gpointer           data,
                            GDestroyNotify     destroy)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  PasswordCheck *check;

  check = g_new0 (PasswordCheck, 1);
  check->msg = g_object_ref (msg);
  check->user_name = g_strdup (user_name);
  check->password = g_strdup (password);
  check->verified = verified;
  check->data = data;
  check->destroy = destroy;

  if (!tg_server_db_find_user (self->db, user_name, &check->user_id, &check->password_hash, &error))
    {
      if (!g_error_matches (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_NOT_FOUND))
        {
          verified (self, msg, 0, user_name, error, data);
          password_check_free (check);
          return;
        }
      check->user_id = 0;
      check->password_hash = g_strdup (self->dummy_password_hash);
    }

  /* No source object: a task holding a reference could make the server's last
   * unref happen in its callback — on the server's own thread, which
   * tg_server_stop() would then try to join. tg_server_stop() waits for the
   * callback instead (pending_work). */
  task = g_task_new (NULL, self->cancellable, password_checked, self);
  g_task_set_source_tag (task, _tg_server_verify_password);
  g_task_set_task_data (task, check, (GDestroyNotify) password_check_free);

  self->pending_work++;
  soup_server_message_pause (msg);
  g_task_run_in_thread (task, password_check_in_thread);
}

/* ------------------------------------------------------------------------- */
/* Sign-in                                                                   */

/* Starts a session (a new refresh-token family) for a user who proved who
 * they are, issued to @client_id (nullable: the request named no client), and
 * answers with its first pair, with @scope (nullable) as granted. Returns the
 * family, or 0 when it could not be stored (the answer says so). */
static gint64
start_session (TgServer          *self,
               SoupServerMessage *msg,
               TgWire             wire,
               const char        *client_id,
               gint64             user_id,
               const char        *user_name,
               const char        *scope)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(IssuedPair) pair = NULL;
  g_autofree char *refresh_token = tg_crypto_random_token ();
  g_autofree char *refresh_hash = tg_crypto_sha256_hex (refresh_token, -1);
  g_autofree char *jti = NULL;
  gint64 family_id = 0;
  gint64 now = _tg_server_now ();

  if (!tg_server_db_start_family (self->db, user_id, client_id, refresh_hash, now,
                                  now + self->refresh_ttl, &family_id, &error))
    {
      reply_server_error (self, msg, error);
      return 0;
    }

  jti = tg_crypto_random_token ();
  pair = issued_pair_new (self, user_id, user_name, family_id,
                          g_steal_pointer (&refresh_token), jti, now, now);
  pair->scope = g_strdup (scope);
  reply_pair (msg, wire, pair);
  _tg_server_exchanged (self, msg, TG_SERVER_EXCHANGE_SIGN_IN);
  return family_id;
}

/* Who asked for a password sign-in, while the password is checked. */
typedef struct {
  TgWire  wire;
  char   *client_id;  /* owned, nullable */
} SignIn;

static void
sign_in_free (SignIn *sign_in)
{
  g_free (sign_in->client_id);
  g_free (sign_in);
}

static void
sign_in_verified (TgServer          *self,
                  SoupServerMessage *msg,
                  gint64             user_id,
                  const char        *user_name,
                  const GError      *error,
                  gpointer           data)
{
  SignIn *request = data;
  TgWire wire = request->wire;

  if (error != NULL)
    {
      reply_server_error (self, msg, error);
    }
  else if (user_id == 0)
    {
      reply_invalid_grant (msg, wire, "wrong user name or password");
      _tg_server_exchanged (self, msg, TG_SERVER_EXCHANGE_SIGN_IN_REJECTED);
    }
  else
    {
      start_session (self, msg, wire, request->client_id, user_id, user_name, NULL);
    }
}

static void
sign_in (TgServer          *self,
         SoupServerMessage *msg,
         TgWire             wire,
         const char        *client_id,
         const char        *user_name,
         const char        *password)
{
  SignIn *request = g_new0 (SignIn, 1);

  request->wire = wire;
  request->client_id = g_strdup (client_id);
  _tg_server_verify_password (self, msg, user_name, password, sign_in_verified,
                              request, (GDestroyNotify) sign_in_free);
}

/* ------------------------------------------------------------------------- */
/* Authorization codes                                                       */

/* RFC 6749 §4.1.3 and RFC 7636 §4.5: a code from the browser sign-in
 * (tg-server-authorize.c), exchanged by the client it was issued to —
 * @client_id, as _tg_server_authenticate_client() found it. */
static void
redeem_code (TgServer          *self,
             SoupServerMessage *msg,
             GHashTable        *form,
             const char        *client_id)
{
  const char *code = _tg_server_form_value (form, "code");
  const char *redirect_uri = _tg_server_form_value (form, "redirect_uri");
  const char *code_verifier = _tg_server_form_value (form, "code_verifier");
  const char *description = NULL;
  TgServerCodeGrant *grant;
  gint64 replayed_family = 0;

  if (code == NULL || redirect_uri == NULL || client_id == NULL || code_verifier == NULL)
    {
      _tg_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                              "code, redirect_uri, client_id (or HTTP Basic) and code_verifier are required");
      return;
    }
  if (!_tg_server_is_code_verifier (code_verifier))
    {
      _tg_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                              "code_verifier must be 43 to 128 unreserved characters");
      return;
    }

  grant = _tg_server_redeem_code (self, code, client_id, redirect_uri, code_verifier,
                                  &replayed_family, &description);
  if (grant == NULL)
    {
      g_autoptr(GError) error = NULL;

      /* RFC 6749 §4.1.2: a code used twice was copied, and the session it
       * started may be in the wrong hands. */
      if (replayed_family != 0)
        {
          if (!tg_server_db_revoke_family (self->db, replayed_family, _tg_server_now (), &error))
            {
              reply_server_error (self, msg, error);
              return;
            }
          mark_family_revoked (self, replayed_family);
        }
      reply_invalid_grant (msg, TG_WIRE_OAUTH2, description);
      _tg_server_exchanged (self, msg, TG_SERVER_EXCHANGE_SIGN_IN_REJECTED);
      return;
    }

  /* RFC 6749 §5.1: the scope is said, since it may differ from what was
   * asked (no `openid`). */
  grant->family_id = start_session (self, msg, TG_WIRE_OAUTH2, client_id,
                                    grant->user_id, grant->user_name, grant->scope);
}

/* ------------------------------------------------------------------------- */
/* Refresh                                                                   */

/* Rotates @refresh_token, presented by @client_id (nullable: no client
 * named), and sets the answer on @msg. */
static void
rotate_and_reply (TgServer          *self,
                  SoupServerMessage *msg,
                  TgWire             wire,
                  const char        *client_id,
                  const char        *refresh_token)
{
  g_auto(TgRefreshGrant) grant = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(IssuedPair) pair = NULL;
  g_autofree char *presented_hash = NULL;
  g_autofree char *successor = NULL;
  g_autofree char *successor_hash = NULL;
  TgRefreshOutcome outcome;
  gint64 now = _tg_server_now ();

  presented_hash = tg_crypto_sha256_hex (refresh_token, -1);
  successor = derive_successor (self, refresh_token);
  successor_hash = tg_crypto_sha256_hex (successor, -1);

  outcome = tg_server_db_rotate (self->db, presented_hash, client_id, successor_hash, now,
                                 now + self->refresh_ttl, self->live.reuse_grace, &grant, &error);
  if (error != NULL)
    {
      reply_server_error (self, msg, error);
      return;
    }

  switch (outcome)
    {
    case TG_REFRESH_ROTATED:
    case TG_REFRESH_REPLAYED_IN_GRACE:
      /* A replay gets the very pair the lost answer carried: same successor,
       * same access token (the database recorded when the rotation happened).
       * Only a key file swapped since then could make the successor differ. */
      if (outcome == TG_REFRESH_REPLAYED_IN_GRACE &&
          g_strcmp0 (grant.successor_hash, successor_hash) != 0)
        {
          reject_refresh (self, msg, wire, TG_SERVER_EXCHANGE_REFRESH_REJECTED,
                          "the refresh token was already used");
          return;
        }
      pair = rotation_pair_new (self, &grant, refresh_token, now);
      reply_pair (msg, wire, pair);
      _tg_server_exchanged (self, msg, TG_SERVER_EXCHANGE_REFRESH);
      return;

    case TG_REFRESH_REUSE_DETECTED:
      mark_family_revoked (self, grant.family_id);
      reject_refresh (self, msg, wire, TG_SERVER_EXCHANGE_REFRESH_REUSED,
                      "the refresh token was used twice; the session is revoked");
      return;

    case TG_REFRESH_EXPIRED:
      reject_refresh (self, msg, wire, TG_SERVER_EXCHANGE_REFRESH_REJECTED,
                      "the refresh token has expired");
      return;

    case TG_REFRESH_REVOKED:
      reject_refresh (self, msg, wire, TG_SERVER_EXCHANGE_REFRESH_REJECTED,
                      "the session was revoked");
      return;

    case TG_REFRESH_WRONG_CLIENT:
      /* RFC 6749 §5.2 names this case among invalid_grant's. The owner's
       * session goes on untouched: whoever presents a token must not be able
       * to end someone else's session by naming the wrong client. */
      reject_refresh (self, msg, wire, TG_SERVER_EXCHANGE_REFRESH_REJECTED,
                      "the refresh token was issued to another client");
      return;

    case TG_REFRESH_UNKNOWN:
    default:
      reject_refresh (self, msg, wire, TG_SERVER_EXCHANGE_REFRESH_REJECTED,
                      "unknown refresh token");
      return;
    }
}

static void
refresh (TgServer          *self,
         SoupServerMessage *msg,
         TgWire             wire,
         const char        *client_id,
         const char        *refresh_token)
{
  if (_tg_server_may_refresh (self, msg))
    rotate_and_reply (self, msg, wire, client_id, refresh_token);
}

/* ------------------------------------------------------------------------- */
/* The seed API                                                              */

static const char *
get_string_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/* The JSON object POSTed to a seed endpoint, or NULL once the answer says
 * what was wrong with the request. */
static JsonObject *
read_seed_body (SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  JsonObject *body;

  if (!_tg_server_check_method (msg, SOUP_METHOD_POST, NULL))
    return NULL;
  if ((body = _tg_server_read_json_object (msg, &error)) == NULL)
    _tg_server_reply_bad_body (msg, error);

  return body;
}

static void
seed_token_handler (TgServer          *self,
                    SoupServerMessage *msg,
                    const char        *path,
                    gpointer           data)
{
  g_autoptr(JsonObject) body = NULL;
  const char *user_name;
  const char *password;

  if ((body = read_seed_body (msg)) == NULL)
    return;

  user_name = get_string_member (body, "userName");
  password = get_string_member (body, "password");
  if (user_name == NULL || password == NULL)
    {
      _tg_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                              "userName and password must be strings");
      return;
    }

  /* The seed API knows no clients: its sessions belong to "no client". */
  sign_in (self, msg, TG_WIRE_SEED, NULL, user_name, password);
}

static void
seed_refresh_handler (TgServer          *self,
                      SoupServerMessage *msg,
                      const char        *path,
                      gpointer           data)
{
  g_autoptr(JsonObject) body = NULL;
  const char *refresh_token;

  if ((body = read_seed_body (msg)) == NULL)
    return;

  refresh_token = get_string_member (body, "refreshToken");
  if (refresh_token == NULL)
    {
      _tg_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                              "refreshToken must be a string");
      return;
    }

  refresh (self, msg, TG_WIRE_SEED, NULL, refresh_token);
}

/* ------------------------------------------------------------------------- */
/* OAuth 2.0                                                                 */

static void
oauth2_token_handler (TgServer          *self,
                      SoupServerMessage *msg,
                      const char        *path,
                      gpointer           data)
{
  g_autoptr(GHashTable) form = NULL;
  g_autoptr(GError) error = NULL;
  const char *grant_type;
  const char *client_id;

  if (!_tg_server_check_method (msg, SOUP_METHOD_POST, NULL))
    return;
  _tg_server_set_no_store (msg);
  if ((form = _tg_server_read_form (msg, &error)) == NULL)
    {
      /* RFC 6749 §5.2 has no 413/415: every malformed request is invalid_request,
       * but the status still says what was wrong with it. */
      _tg_server_reply_bad_body (msg, error);
      return;
    }
  /* Every grant: a client that sends credentials must get them right. */
  if (!_tg_server_authenticate_client (self, msg, form, &client_id))
    return;

  grant_type = _tg_server_form_value (form, "grant_type");
  if (grant_type == NULL)
    {
      _tg_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                              "grant_type is missing");
    }
  else if (strcmp (grant_type, "password") == 0)
    {
      const char *user_name = _tg_server_form_value (form, "username");
      const char *password = _tg_server_form_value (form, "password");

      if (user_name == NULL || password == NULL)
        _tg_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                                "username and password are required");
      else
        sign_in (self, msg, TG_WIRE_OAUTH2, client_id, user_name, password);
    }
  else if (strcmp (grant_type, "refresh_token") == 0)
    {
      const char *refresh_token = _tg_server_form_value (form, "refresh_token");

      if (refresh_token == NULL)
        _tg_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                                "refresh_token is required");
      else
        refresh (self, msg, TG_WIRE_OAUTH2, client_id, refresh_token);
    }
  else if (strcmp (grant_type, "authorization_code") == 0)
    {
      redeem_code (self, msg, form, client_id);
    }
  else
    {
      _tg_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "unsupported_grant_type",
                              "supported grant types: authorization_code, refresh_token, password");
    }
}

static void
oauth2_revoke_handler (TgServer          *self,
                       SoupServerMessage *msg,
                       const char        *path,
                       gpointer           data)
{
  g_autoptr(GHashTable) form = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  const char *client_id;
  const char *token;
  gint64 family_id = 0;

  if (!_tg_server_check_method (msg, SOUP_METHOD_POST, NULL))
    return;
  if ((form = _tg_server_read_form (msg, &error)) == NULL)
    {
      _tg_server_reply_bad_body (msg, error);
      return;
    }
  /* RFC 7009 §2.1: the client authenticates as it does at the token endpoint. */
  if (!_tg_server_authenticate_client (self, msg, form, &client_id))
    return;
  if ((token = _tg_server_form_value (form, "token")) == NULL)
    {
      _tg_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                              "token is required");
      return;
    }

  hash = tg_crypto_sha256_hex (token, -1);
  /* A token issued to another client is, to this one, unknown (§2.1): not
   * revoked, and answered like any invalid token, so that the answer does
   * not tell the caller that it is someone's live token. */
  if (tg_server_db_revoke_family_of (self->db, hash, client_id, _tg_server_now (), &family_id, &error))
    {
      mark_family_revoked (self, family_id);
    }
  else if (!g_error_matches (error, TG_SERVER_DB_ERROR, TG_SERVER_DB_ERROR_NOT_FOUND))
    {
      reply_server_error (self, msg, error);
      return;
    }

  /* RFC 7009 §2.2: 200 whether or not the token was known, so that the answer
   * does not tell an attacker which tokens exist. */
  _tg_server_reply_empty (msg);
  if (family_id != 0)
    _tg_server_exchanged (self, msg, TG_SERVER_EXCHANGE_REVOCATION);
}

/* ------------------------------------------------------------------------- */
/* What the demo controls do to every session                                */

/**
 * _tg_server_expire_access_tokens:
 *
 * Moves to a new signing epoch: every access token issued so far fails
 * verification from now on, restart or not.
 *
 * Returns: %FALSE if the new epoch could not be stored
 */
gboolean
_tg_server_expire_access_tokens (TgServer  *self,
                                 GError   **error)
{
  gint64 epoch = g_ascii_strtoll (self->key_id, NULL, 10) + 1;

  /* Access tokens carry the epoch they were signed in as their `kid`; moving to
   * a new epoch makes every earlier token fail verification, which the client
   * cannot see coming — the "token died early" demo. Persisted, so a restart
   * does not bring them back. */
  if (!tg_server_db_set_meta (self->db, "access-epoch", epoch, error))
    return FALSE;
  _tg_server_set_epoch (self, epoch);
  return TRUE;
}

/**
 * _tg_server_revoke_all_sessions:
 *
 * Revokes every session (refresh family): its refresh tokens are refused, and
 * so are the access tokens issued in it.
 *
 * Returns: %FALSE if the revocation could not be stored
 */
gboolean
_tg_server_revoke_all_sessions (TgServer  *self,
                                GError   **error)
{
  GHashTable *revoked;

  if (!tg_server_db_revoke_all_families (self->db, _tg_server_now (), error) ||
      (revoked = tg_server_db_list_revoked_families (self->db, error)) == NULL)
    return FALSE;

  g_hash_table_unref (self->revoked_families);
  self->revoked_families = revoked;
  return TRUE;
}

/* ------------------------------------------------------------------------- */

/**
 * _tg_server_auth_prepare:
 *
 * What the API needs before it listens: the dummy hash that unknown users are
 * checked against.
 *
 * It costs what a stored hash costs — the first user's, normally `demo` — rather
 * than what #TgServer:password-iterations says: that count applies to hashes
 * made from now on, and a database made with another one (the default, say,
 * and served with fewer for tests or a slow machine) would otherwise answer
 * unknown names measurably faster or slower than known ones.
 */
gboolean
_tg_server_auth_prepare (TgServer  *self,
                         GError   **error)
{
  g_autofree char *dummy = tg_crypto_random_token ();
  g_autofree char *first_hash = NULL;
  guint iterations = 0;

  if (!tg_server_db_first_password_hash (self->db, &first_hash, error))
    return FALSE;
  if (first_hash != NULL)
    iterations = tg_password_get_iterations (first_hash);
  if (iterations == 0)
    iterations = self->password_iterations;

  self->dummy_password_hash = tg_password_hash (dummy, iterations);
  return TRUE;
}

void
_tg_server_auth_register (TgServer *self)
{
  _tg_server_route (self, "/authorization/token", FALSE, seed_token_handler, NULL);
  _tg_server_route (self, "/authorization/refresh", FALSE, seed_refresh_handler, NULL);
  _tg_server_route (self, "/oauth2/token", FALSE, oauth2_token_handler, NULL);
  _tg_server_route (self, "/oauth2/revoke", FALSE, oauth2_revoke_handler, NULL);
}
