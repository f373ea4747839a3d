/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HS256 access tokens: what tg_jwt_encode() writes, and everything that
 * tg_jwt_verify() must refuse — with the right error, and without ever quoting
 * the token back. The server's TgJwtVerifier must say the same about every
 * token, however many it has seen before.
 */
#include "config.h"

#include <string.h>

#include "tg-base64url.h"
#include "tg-jwt.h"
#include "tg-test-util.h"

#define KEY "tokengate-test-key-0123456789abc"
#define KID "test-key-1"
#define ISS "https://tokengate.test"
#define AUD "tokengate-api"
#define NOW G_GINT64_CONSTANT (1700000100)

/* A token for claims_template(), made independently with Python's hmac module,
 * so that tg_jwt_encode() is checked against the standard and not just itself. */
static const char known_token[] =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6InRlc3Qta2V5LTEifQ."
  "eyJpc3MiOiJodHRwczovL3Rva2VuZ2F0ZS50ZXN0IiwiYXVkIjoidG9rZW5nYXRlLWFwaSIsInN1YiI6"
  "IjQyIiwibmFtZSI6IkFkYSBMb3ZlbGFjZSIsImlhdCI6MTcwMDAwMDAwMCwibmJmIjoxNzAwMDAwMDAw"
  "LCJleHAiOjE3MDAwMDAzMDAsImp0aSI6Imp0aS0xIiwic2lkIjo3fQ."
  "C-Q1CjKMVr5eGbi26GHZRIeFykgBIuIMStGwVumpVY4";

static const char good_header[] = "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"" KID "\"}";

static GBytes *
test_key (void)
{
  return g_bytes_new_static (KEY, strlen (KEY));
}

static TgJwtClaims
claims_template (void)
{
  TgJwtClaims claims = {
    .iss = (char *) ISS,
    .aud = (char *) AUD,
    .sub = (char *) "42",
    .name = (char *) "Ada Lovelace",
    .jti = (char *) "jti-1",
    .sid = 7,
    .iat = 1700000000,
    .nbf = 1700000000,
    .exp = 1700000300,
  };

  return claims;
}

/* A payload like tg_jwt_encode() writes for claims_template(), with @extra
 * members spliced in and @drop left out, to make broken tokens from. */
static char *
payload_json (const char *drop,
              const char *extra)
{
  static const char *members[][2] = {
    { "iss", "\"" ISS "\"" },
    { "aud", "\"" AUD "\"" },
    { "sub", "\"42\"" },
    { "name", "\"Ada Lovelace\"" },
    { "iat", "1700000000" },
    { "nbf", "1700000000" },
    { "exp", "1700000300" },
    { "jti", "\"jti-1\"" },
    { "sid", "7" },
  };
  g_autoptr(GString) json = g_string_new ("{");

  for (gsize i = 0; i < G_N_ELEMENTS (members); i++)
    {
      if (g_strcmp0 (drop, members[i][0]) == 0)
        continue;
      /* An @extra member of the same name replaces this one. */
      if (extra != NULL && g_str_has_prefix (extra, "\"") &&
          strncmp (extra + 1, members[i][0], strlen (members[i][0])) == 0 &&
          extra[1 + strlen (members[i][0])] == '"')
        continue;
      if (json->len > 1)
        g_string_append_c (json, ',');
      g_string_append_printf (json, "\"%s\":%s", members[i][0], members[i][1]);
    }
  if (extra != NULL)
    g_string_append_printf (json, "%s%s", json->len > 1 ? "," : "", extra);
  g_string_append_c (json, '}');

  return g_string_free (g_steal_pointer (&json), FALSE);
}

static char *
segment (const char *json)
{
  return tg_base64url_encode ((const guint8 *) json, strlen (json));
}

/* "header.payload.signature" with the signature made by @checksum_type HMAC
 * under @key, as an attacker holding (or guessing) a key would. */
static char *
sign_with (GChecksumType  checksum_type,
           const char    *key,
           const char    *header,
           const char    *payload)
{
  g_autofree char *h = segment (header);
  g_autofree char *p = segment (payload);
  g_autofree char *input = g_strconcat (h, ".", p, NULL);
  g_autofree char *signature = NULL;
  g_autoptr(GHmac) hmac = g_hmac_new (checksum_type, (const guchar *) key, strlen (key));
  guint8 digest[64];
  gsize digest_len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) input, -1);
  g_hmac_get_digest (hmac, digest, &digest_len);
  signature = tg_base64url_encode (digest, digest_len);

  return g_strconcat (input, ".", signature, NULL);
}

static char *
sign (const char *header,
      const char *payload)
{
  return sign_with (G_CHECKSUM_SHA256, KEY, header, payload);
}

static char *
unsigned_token (const char *header,
                const char *payload,
                const char *signature)
{
  g_autofree char *h = segment (header);
  g_autofree char *p = segment (payload);

  return g_strconcat (h, ".", p, ".", signature, NULL);
}

/* One verifier for the whole run, as the server keeps one: by the time a test
 * asks it, it has seen the tokens of every test before. */
static TgJwtVerifier *shared_verifier;

static TgJwtVerifier *
verifier_new (void)
{
  g_autoptr(GBytes) key = test_key ();

  return tg_jwt_verifier_new (key, KID, ISS, AUD);
}

static void
assert_same_claims (const TgJwtClaims *a,
                    const TgJwtClaims *b)
{
  g_assert_cmpstr (a->iss, ==, b->iss);
  g_assert_cmpstr (a->aud, ==, b->aud);
  g_assert_cmpstr (a->sub, ==, b->sub);
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpstr (a->jti, ==, b->jti);
  g_assert_cmpint (a->sid, ==, b->sid);
  g_assert_cmpint (a->iat, ==, b->iat);
  g_assert_cmpint (a->nbf, ==, b->nbf);
  g_assert_cmpint (a->exp, ==, b->exp);
}

/* tg_jwt_verify(), and checks on the way that the shared verifier says exactly
 * the same about @token, the first time and again. */
static TgJwtClaims *
verify_at (const char  *token,
           gint64       now,
           GError     **error)
{
  g_autoptr(GBytes) key = test_key ();
  TgJwtClaims *claims = tg_jwt_verify (key, KID, ISS, AUD, now, token, error);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GError) verifier_error = NULL;
      const TgJwtClaims *verified =
        tg_jwt_verifier_verify (shared_verifier, now, token, &verifier_error);

      if (claims == NULL)
        {
          g_assert_null (verified);
          g_assert_error (verifier_error, (*error)->domain, (*error)->code);
          g_assert_cmpstr (verifier_error->message, ==, (*error)->message);
        }
      else
        {
          g_assert_no_error (verifier_error);
          g_assert_nonnull (verified);
          assert_same_claims (verified, claims);
        }
    }

  return claims;
}

/* No part of the token may leak into the message: it is sent back to clients as
 * error_description and ends up in logs. */
static void
assert_message_quotes_nothing (const char *message,
                               const char *token)
{
  gsize len = strlen (token);

  g_assert_cmpuint (strlen (message), >, 0);
  g_assert_cmpuint (strlen (message), <, 80);
  for (gsize i = 0; i + 6 <= len; i++)
    {
      g_autofree char *window = g_strndup (token + i, 6);

      if (strstr (message, window) != NULL)
        g_error ("error message “%s” quotes the token (“%s”)", message, window);
    }
}

static void
assert_rejected_at (const char *token,
                    gint64      now,
                    TgJwtError  code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgJwtClaims) claims = verify_at (token, now, &error);

  g_assert_error (error, TG_JWT_ERROR, (gint) code);
  g_assert_null (claims);
  assert_message_quotes_nothing (error->message, token);
}

static void
assert_rejected (const char *token,
                 TgJwtError  code)
{
  assert_rejected_at (token, NOW, code);
}

static void
assert_accepted (const char *token)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TgJwtClaims) claims = verify_at (token, NOW, &error);

  g_assert_no_error (error);
  g_assert_nonnull (claims);
}

/* ---- encoding and the happy path ---- */

static void
test_known_answer (void)
{
  g_autoptr(GBytes) key = test_key ();
  TgJwtClaims claims = claims_template ();
  g_autofree char *token = tg_jwt_encode (key, KID, &claims);

  g_assert_cmpstr (token, ==, known_token);
}

static void
test_header_exact (void)
{
  g_autoptr(GBytes) key = test_key ();
  TgJwtClaims claims = claims_template ();
  g_autofree char *token = tg_jwt_encode (key, KID, &claims);
  g_auto(GStrv) parts = g_strsplit (token, ".", -1);
  g_autofree guint8 *header = NULL;
  gsize header_len;

  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  header = tg_base64url_decode (parts[0], -1, &header_len);
  g_assert_cmpstr ((const char *) header, ==, good_header);
  g_assert_cmpuint (strlen (parts[2]), ==, 43);
}

static void
test_round_trip (void)
{
  g_autoptr(GBytes) key = test_key ();
  TgJwtClaims claims = claims_template ();
  g_autofree char *token = tg_jwt_encode (key, KID, &claims);
  g_autoptr(GError) error = NULL;
  g_autoptr(TgJwtClaims) verified = NULL;

  verified = tg_jwt_verify (key, KID, ISS, AUD, NOW, token, &error);
  g_assert_no_error (error);
  g_assert_nonnull (verified);
  g_assert_cmpstr (verified->iss, ==, ISS);
  g_assert_cmpstr (verified->aud, ==, AUD);
  g_assert_cmpstr (verified->sub, ==, "42");
  g_assert_cmpstr (verified->name, ==, "Ada Lovelace");
  g_assert_cmpstr (verified->jti, ==, "jti-1");
  g_assert_cmpint (verified->sid, ==, 7);
  g_assert_cmpint (verified->iat, ==, 1700000000);
  g_assert_cmpint (verified->nbf, ==, 1700000000);
  g_assert_cmpint (verified->exp, ==, 1700000300);

  /* The known-answer token verifies too. */
  assert_accepted (known_token);
}

static void
test_round_trip_optional_claims (void)
{
  g_autoptr(GBytes) key = test_key ();
  TgJwtClaims claims = claims_template ();
  g_autofree char *token1 = NULL;
  g_autofree char *token2 = NULL;
  g_autoptr(TgJwtClaims) verified1 = NULL;
  g_autoptr(TgJwtClaims) verified2 = NULL;
  g_autoptr(GError) error = NULL;

  claims.name = NULL;
  claims.jti = NULL;
  token1 = tg_jwt_encode (key, KID, &claims);
  token2 = tg_jwt_encode (key, KID, &claims);

  verified1 = tg_jwt_verify (key, KID, ISS, AUD, NOW, token1, &error);
  g_assert_no_error (error);
  verified2 = tg_jwt_verify (key, KID, ISS, AUD, NOW, token2, &error);
  g_assert_no_error (error);

  g_assert_null (verified1->name);
  /* RFC 9068 §2.2 requires a jti: one is made up, and differs per token. */
  g_assert_nonnull (verified1->jti);
  g_assert_cmpuint (strlen (verified1->jti), ==, 43);
  g_assert_cmpstr (verified1->jti, !=, verified2->jti);
}

static void
test_round_trip_escaping (void)
{
  g_autoptr(GBytes) key = test_key ();
  TgJwtClaims claims = claims_template ();
  const char *kid = "kid \"quoted\" \\ back/slash";
  g_autofree char *token = NULL;
  g_autoptr(TgJwtClaims) verified = NULL;
  g_autoptr(GError) error = NULL;

  claims.sub = (char *) "user\n\"42\"";
  claims.name = (char *) "Zoë \"Z\" Ñúñez \\ 🔑\t";
  claims.sid = G_MAXINT64;
  claims.iat = -1;
  token = tg_jwt_encode (key, kid, &claims);

  verified = tg_jwt_verify (key, kid, ISS, AUD, NOW, token, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (verified->sub, ==, claims.sub);
  g_assert_cmpstr (verified->name, ==, claims.name);
  g_assert_cmpint (verified->sid, ==, G_MAXINT64);
  g_assert_cmpint (verified->iat, ==, -1);
}

static void
test_claims_free_null (void)
{
  tg_jwt_claims_free (NULL);
  g_assert_cmpstr (g_quark_to_string (TG_JWT_ERROR), ==, "tg-jwt-error-quark");
}

/* ---- the header: algorithm, type, key id ---- */

static void
test_alg_none (void)
{
  g_autofree char *payload = payload_json (NULL, NULL);
  const char *header = "{\"alg\":\"none\"}";
  const char *full_header = "{\"alg\":\"none\",\"typ\":\"at+jwt\",\"kid\":\"" KID "\"}";
  g_autofree char *empty_sig = unsigned_token (header, payload, "");
  g_autofree char *empty_sig_full = unsigned_token (full_header, payload, "");
  g_autofree char *with_sig = sign (full_header, payload);
  g_autofree char *upper = sign ("{\"alg\":\"None\",\"typ\":\"at+jwt\",\"kid\":\"" KID "\"}", payload);

  /* The classic: no signature at all. Rejected already for its shape. */
  assert_rejected (empty_sig, TG_JWT_ERROR_MALFORMED);
  assert_rejected (empty_sig_full, TG_JWT_ERROR_MALFORMED);
  /* And even with a signature that would be right for HS256. */
  assert_rejected (with_sig, TG_JWT_ERROR_ALGORITHM);
  assert_rejected (upper, TG_JWT_ERROR_ALGORITHM);
}

static void
test_alg_swapped (void)
{
  g_autofree char *payload = payload_json (NULL, NULL);
  const char *hs512 = "{\"alg\":\"HS512\",\"typ\":\"at+jwt\",\"kid\":\"" KID "\"}";
  const char *rs256 = "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"" KID "\"}";
  static const char *others[] = {
    "{\"alg\":\"hs256\",\"typ\":\"at+jwt\",\"kid\":\"" KID "\"}",
    "{\"alg\":\"HS256 \",\"typ\":\"at+jwt\",\"kid\":\"" KID "\"}",
    "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"" KID "\"}",
    "{\"alg\":\"\",\"typ\":\"at+jwt\",\"kid\":\"" KID "\"}",
    "{\"alg\":null,\"typ\":\"at+jwt\",\"kid\":\"" KID "\"}",
    "{\"alg\":256,\"typ\":\"at+jwt\",\"kid\":\"" KID "\"}",
    "{\"alg\":[\"HS256\"],\"typ\":\"at+jwt\",\"kid\":\"" KID "\"}",
    "{\"alg\":{\"name\":\"HS256\"},\"typ\":\"at+jwt\",\"kid\":\"" KID "\"}",
    "{\"typ\":\"at+jwt\",\"kid\":\"" KID "\"}",
    "{}",
  };
  g_autofree char *hs512_token = sign_with (G_CHECKSUM_SHA512, KEY, hs512, payload);
  /* HS/RS confusion: an "RS256" token MACed with the key as if it were the public
   * key. */
  g_autofree char *rs256_token = sign (rs256, payload);
  g_autofree char *rs256_as_hs512 = sign_with (G_CHECKSUM_SHA512, KEY, rs256, payload);

  assert_rejected (hs512_token, TG_JWT_ERROR_ALGORITHM);
  assert_rejected (rs256_token, TG_JWT_ERROR_ALGORITHM);
  assert_rejected (rs256_as_hs512, TG_JWT_ERROR_ALGORITHM);

  for (gsize i = 0; i < G_N_ELEMENTS (others); i++)
    {
      g_autofree char *token = sign (others[i], payload);

      g_test_message ("%s", others[i]);
      assert_rejected (token, TG_JWT_ERROR_ALGORITHM);
    }
}

static void
test_typ (void)
{
  g_autofree char *payload = payload_json (NULL, NULL);
  static const char *headers[] = {
    "{\"alg\":\"HS256\",\"kid\":\"" KID "\"}",
    "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" KID "\"}",
    "{\"alg\":\"HS256\",\"typ\":\"id+jwt\",\"kid\":\"" KID "\"}",
    "{\"alg\":\"HS256\",\"typ\":\"\",\"kid\":\"" KID "\"}",
    "{\"alg\":\"HS256\",\"typ\":1,\"kid\":\"" KID "\"}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autofree char *token = sign (headers[i], payload);

      g_test_message ("%s", headers[i]);
      assert_rejected (token, TG_JWT_ERROR_MALFORMED);
    }
}

static void
test_crit (void)
{
  g_autofree char *payload = payload_json (NULL, NULL);
  g_autofree char *token =
    sign ("{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"" KID "\",\"crit\":[\"exp\"]}",
          payload);

  assert_rejected (token, TG_JWT_ERROR_MALFORMED);
}

static void
test_kid (void)
{
  g_autofree char *payload = payload_json (NULL, NULL);
  static const char *headers[] = {
    "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"test-key-2\"}",
    "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"TEST-KEY-1\"}",
    "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"\"}",
    "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":1}",
    "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}",
  };
  g_autoptr(GBytes) key = test_key ();
  TgJwtClaims claims = claims_template ();
  g_autofree char *other_kid = tg_jwt_encode (key, "test-key-2", &claims);

  assert_rejected (other_kid, TG_JWT_ERROR_KEY_ID);
  for (gsize i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autofree char *token = sign (headers[i], payload);

      g_test_message ("%s", headers[i]);
      assert_rejected (token, TG_JWT_ERROR_KEY_ID);
    }
}

static void
test_header_not_an_object (void)
{
  g_autofree char *payload = payload_json (NULL, NULL);
  static const char *headers[] = {
    "not json",
    "{\"alg\":\"HS256\"",
    "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"" KID "\"} trailing",
    "[\"HS256\"]",
    "[{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"" KID "\"}]",
    "\"HS256\"",
    "null",
    "42",
    "",
    "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"\xff\"}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autofree char *token = sign (headers[i], payload);
      g_autofree char *escaped = g_strescape (headers[i], NULL);

      g_test_message ("%s", escaped);
      assert_rejected (token, TG_JWT_ERROR_MALFORMED);
    }
}

static void
test_header_deeply_nested (void)
{
  /* As deep as fits in the header limit: the parser must not mind. */
  g_autofree char *arrays = g_strnfill (380, '[');
  g_autoptr(GString) objects = g_string_new (NULL);
  g_autofree char *payload = payload_json (NULL, NULL);
  g_autofree char *token1 = NULL;
  g_autofree char *token2 = NULL;

  for (guint i = 0; i < 76; i++)
    g_string_append (objects, "{\"a\":");

  token1 = unsigned_token (arrays, payload, "AAAA");
  token2 = unsigned_token (objects->str, payload, "AAAA");
  assert_rejected (token1, TG_JWT_ERROR_MALFORMED);
  assert_rejected (token2, TG_JWT_ERROR_MALFORMED);
}

/* A correctly signed token whose header is @header_bytes long. */
static char *
token_with_header_of (gsize header_bytes)
{
  const gsize base = strlen (good_header) + strlen (",\"x\":\"\"");
  g_autofree char *pad = g_strnfill (header_bytes - base, 'x');
  g_autofree char *header = NULL;
  g_autofree char *payload = payload_json (NULL, NULL);

  header = g_strdup_printf ("{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"" KID "\","
                            "\"x\":\"%s\"}", pad);
  g_assert_cmpuint (strlen (header), ==, header_bytes);
  return sign (header, payload);
}

static void
test_header_length_limit (void)
{
  /* 384 bytes are 512 characters, the limit; 385 bytes are 514. The header is
   * parsed before the MAC is checked, so its size is what a forger controls. */
  g_autofree char *max = token_with_header_of (384);
  g_autofree char *over = token_with_header_of (385);

  g_assert_cmpuint (strchr (max, '.') - max, ==, 512);
  assert_accepted (max);
  assert_rejected (over, TG_JWT_ERROR_MALFORMED);
}

/* ---- the signature ---- */

static void
test_payload_edited (void)
{
  g_autofree char *good = payload_json (NULL, NULL);
  g_autofree char *evil = payload_json (NULL, "\"sub\":\"1\"");
  g_autofree char *signed_good = sign (good_header, good);
  g_auto(GStrv) parts = g_strsplit (signed_good, ".", -1);
  g_autofree char *evil_segment = segment (evil);
  g_autofree char *token = g_strjoin (".", parts[0], evil_segment, parts[2], NULL);

  assert_accepted (signed_good);
  assert_rejected (token, TG_JWT_ERROR_SIGNATURE);
}

static void
test_signature_tampered (void)
{
  g_auto(GStrv) parts = g_strsplit (known_token, ".", -1);
  g_autofree char *signature = g_strdup (parts[2]);
  g_autofree char *flipped = NULL;
  g_autofree char *short_sig = NULL;
  g_autofree char *long_sig = NULL;
  g_autofree char *reordered = NULL;
  g_autofree char *other_header = NULL;
  g_autofree char *mac_only = NULL;

  /* One bit of the first byte flipped ('C' → 'D'). */
  signature[0] = 'D';
  flipped = g_strjoin (".", parts[0], parts[1], signature, NULL);
  assert_rejected (flipped, TG_JWT_ERROR_SIGNATURE);

  short_sig = g_strjoin (".", parts[0], parts[1], "C-Q1CjKMVr5eGbi26GHZRIeFykgBIuIMStGwVumpVY", NULL);
  assert_rejected (short_sig, TG_JWT_ERROR_SIGNATURE);
  long_sig = g_strjoin (".", parts[0], parts[1], "C-Q1CjKMVr5eGbi26GHZRIeFykgBIuIMStGwVumpVY4AA", NULL);
  assert_rejected (long_sig, TG_JWT_ERROR_SIGNATURE);
  /* Same MAC bits, non-canonical last character: not the same signature. */
  mac_only = g_strjoin (".", parts[0], parts[1], "C-Q1CjKMVr5eGbi26GHZRIeFykgBIuIMStGwVumpVY5", NULL);
  assert_rejected (mac_only, TG_JWT_ERROR_SIGNATURE);

  /* A valid signature moved onto another (valid-looking) header. */
  reordered = segment ("{\"alg\":\"HS256\",\"kid\":\"" KID "\",\"typ\":\"at+jwt\"}");
  other_header = g_strjoin (".", reordered, parts[1], parts[2], NULL);
  assert_rejected (other_header, TG_JWT_ERROR_SIGNATURE);
}

static void
test_wrong_key (void)
{
  g_autofree char *payload = payload_json (NULL, NULL);
  g_autofree char *token = sign_with (G_CHECKSUM_SHA256, "tokengate-test-key-0123456789abd",
                                      good_header, payload);
  g_autofree char *empty_key = sign_with (G_CHECKSUM_SHA256, "", good_header, payload);

  assert_rejected (token, TG_JWT_ERROR_SIGNATURE);
  assert_rejected (empty_key, TG_JWT_ERROR_SIGNATURE);
}

static void
test_payload_not_an_object (void)
{
  /* Correctly signed, so the payload is really looked at. */
  static const char *payloads[] = {
    "not json",
    "[\"iss\",\"aud\"]",
    "\"just a string\"",
    "null",
    "",
    "{\"iss\":",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (payloads); i++)
    {
      g_autofree char *token = sign (good_header, payloads[i]);

      g_test_message ("%s", payloads[i]);
      assert_rejected (token, TG_JWT_ERROR_MALFORMED);
    }
}

/* ---- the claims ---- */

static void
assert_payload_rejected (const char *drop,
                         const char *extra,
                         TgJwtError  code)
{
  g_autofree char *payload = payload_json (drop, extra);
  g_autofree char *token = sign (good_header, payload);

  g_test_message ("%s", payload);
  assert_rejected (token, code);
}

static void
assert_payload_accepted (const char *drop,
                         const char *extra)
{
  g_autofree char *payload = payload_json (drop, extra);
  g_autofree char *token = sign (good_header, payload);

  g_test_message ("%s", payload);
  assert_accepted (token);
}

static void
test_issuer (void)
{
  assert_payload_rejected (NULL, "\"iss\":\"https://evil.test\"", TG_JWT_ERROR_ISSUER);
  assert_payload_rejected (NULL, "\"iss\":\"https://tokengate.test/\"", TG_JWT_ERROR_ISSUER);
  assert_payload_rejected (NULL, "\"iss\":\"\"", TG_JWT_ERROR_ISSUER);
  assert_payload_rejected (NULL, "\"iss\":[\"" ISS "\"]", TG_JWT_ERROR_ISSUER);
  assert_payload_rejected ("iss", NULL, TG_JWT_ERROR_ISSUER);
}

static void
test_audience (void)
{
  assert_payload_rejected (NULL, "\"aud\":\"other-api\"", TG_JWT_ERROR_AUDIENCE);
  assert_payload_rejected (NULL, "\"aud\":\"\"", TG_JWT_ERROR_AUDIENCE);
  assert_payload_rejected (NULL, "\"aud\":[]", TG_JWT_ERROR_AUDIENCE);
  assert_payload_rejected (NULL, "\"aud\":[\"other-api\",\"more\"]", TG_JWT_ERROR_AUDIENCE);
  assert_payload_rejected (NULL, "\"aud\":{\"" AUD "\":true}", TG_JWT_ERROR_AUDIENCE);
  assert_payload_rejected (NULL, "\"aud\":[[\"" AUD "\"]]", TG_JWT_ERROR_AUDIENCE);
  assert_payload_rejected ("aud", NULL, TG_JWT_ERROR_AUDIENCE);
}

static void
test_audience_array (void)
{
  g_autofree char *payload = payload_json (NULL, "\"aud\":[\"other-api\",\"" AUD "\"]");
  g_autofree char *token = sign (good_header, payload);
  g_autoptr(GError) error = NULL;
  g_autoptr(TgJwtClaims) claims = verify_at (token, NOW, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (claims->aud, ==, AUD);

  assert_payload_accepted (NULL, "\"aud\":[\"" AUD "\"]");
  assert_payload_accepted (NULL, "\"aud\":[1,null,\"" AUD "\"]");
}

static void
test_expired (void)
{
  g_autofree char *payload = payload_json (NULL, NULL);
  g_autofree char *token = sign (good_header, payload);
  g_autoptr(GError) error = NULL;
  g_autoptr(TgJwtClaims) claims = NULL;

  /* Valid from nbf up to but not including exp (RFC 7519 §4.1.4). */
  assert_rejected_at (token, 1700000301, TG_JWT_ERROR_EXPIRED);
  assert_rejected_at (token, 1700000300, TG_JWT_ERROR_EXPIRED);
  assert_rejected_at (token, G_MAXINT64, TG_JWT_ERROR_EXPIRED);

  claims = verify_at (token, 1700000299, &error);
  g_assert_no_error (error);
  g_assert_nonnull (claims);
  g_clear_pointer (&claims, tg_jwt_claims_free);

  /* The message is what a client sees as error_description. */
  claims = verify_at (known_token, 1700000300, &error);
  g_assert_null (claims);
  g_assert_error (error, TG_JWT_ERROR, TG_JWT_ERROR_EXPIRED);
  g_assert_cmpstr (error->message, ==, "the access token has expired");
}

static void
test_not_yet_valid (void)
{
  g_autofree char *payload = payload_json (NULL, "\"nbf\":1700000200");
  g_autofree char *token = sign (good_header, payload);
  g_autoptr(GError) error = NULL;
  g_autoptr(TgJwtClaims) claims = NULL;

  assert_rejected_at (token, 1700000100, TG_JWT_ERROR_NOT_YET_VALID);
  assert_rejected_at (token, 1700000199, TG_JWT_ERROR_NOT_YET_VALID);
  assert_rejected_at (token, G_MININT64, TG_JWT_ERROR_NOT_YET_VALID);

  /* nbf itself is already valid. */
  claims = verify_at (token, 1700000200, &error);
  g_assert_no_error (error);
  g_assert_nonnull (claims);
}

static void
test_bad_claims (void)
{
  static const char *missing[] = { "sub", "exp", "nbf", "iat", "sid" };
  static const char *invalid[] = {
    "\"sub\":\"\"",
    "\"sub\":42",
    "\"sub\":null",
    "\"sub\":[\"42\"]",
    "\"exp\":\"1700000300\"",
    "\"exp\":1700000300.5",
    "\"exp\":1.7000003e9",
    "\"exp\":null",
    "\"exp\":true",
    "\"exp\":{}",
    "\"nbf\":\"1700000000\"",
    "\"nbf\":1700000000.0",
    "\"iat\":\"now\"",
    "\"iat\":[1700000000]",
    "\"sid\":\"7\"",
    "\"sid\":7.5",
    "\"name\":42",
    "\"name\":[\"Ada\"]",
    "\"jti\":1",
    "\"jti\":{}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (missing); i++)
    assert_payload_rejected (missing[i], NULL, TG_JWT_ERROR_MALFORMED);
  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    assert_payload_rejected (NULL, invalid[i], TG_JWT_ERROR_MALFORMED);
}

static void
test_optional_claims_absent (void)
{
  g_autofree char *payload = payload_json ("jti", "\"name\":null");
  g_autofree char *token = sign (good_header, payload);
  g_autoptr(GError) error = NULL;
  g_autoptr(TgJwtClaims) claims = verify_at (token, NOW, &error);

  g_assert_no_error (error);
  g_assert_null (claims->jti);
  g_assert_null (claims->name);
  g_assert_cmpstr (claims->sub, ==, "42");

  /* Claims we do not know about are ignored (RFC 7519 §4). */
  assert_payload_accepted ("name", "\"scope\":\"read write\",\"client_id\":\"tokengate\"");
}

/* ---- garbage ---- */

static void
test_garbage (void)
{
  static const char *tokens[] = {
    "",
    ".",
    "..",
    "...",
    "a",
    "a.b",
    "a.b.",
    ".b.c",
    "a..c",
    "a.b.c.d",
    "a.b.c.",
    "Bearer a.b.c",
    " a.b.c",
    "a.b.c ",
    "a.b.c\n",
    "eyJhbGciOiJIUzI1NiJ9",
    /* Invalid base64url in each segment. */
    "eyJ+bGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.AAAA",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIi/iIxIn0.AAAA",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.AA*A",
    "eyJhbGciOiJIUzI1NiJ9=.eyJzdWIiOiIxIn0.AAAA",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0=.AAAA",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.AAA=",
    "e.eyJzdWIiOiIxIn0.AAAA",
    "eyJhbGciOiJIUzI1NiJ9%2E.eyJzdWIiOiIxIn0.AAAA",
    "\xc3\xa9.\xc3\xa9.\xc3\xa9",
    /* Valid base64url, but not a whole number of bytes. */
    "eyJhbGciOiJIUzI1NiJ9X.eyJzdWIiOiIxIn0.AAAA",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_autofree char *escaped = g_strescape (tokens[i], NULL);

      g_test_message ("“%s”", escaped);
      assert_rejected (tokens[i], TG_JWT_ERROR_MALFORMED);
    }
}

static void
test_non_canonical_header (void)
{
  /* "e30" is "{}"; "e31" spells the same bytes with unused bits set. It passes
   * the character scan, but not the decoder. */
  g_autofree char *payload = payload_json (NULL, NULL);
  g_autofree char *p = segment (payload);
  g_autofree char *token = g_strconcat ("e31.", p, ".AAAA", NULL);

  assert_rejected (token, TG_JWT_ERROR_MALFORMED);
}

/* Makes a valid token exactly @len characters long by growing the name. Not every
 * length can be reached with a given header (base64url never makes 4k+1
 * characters), so a few key ids are tried; *@out_kid says which one it used. */
static char *
token_of_length (gsize        len,
                 const char **out_kid)
{
  static const char *kids[] = { KID, KID "x", KID "xy" };
  g_autoptr(GBytes) key = test_key ();
  TgJwtClaims claims = claims_template ();

  for (gsize k = 0; k < G_N_ELEMENTS (kids); k++)
    {
      g_autofree char *shortest = NULL;
      gsize start;

      /* Start a little short of where the length should come out, since each
       * encoding is not free under ASan. */
      claims.name = (char *) "";
      shortest = tg_jwt_encode (key, kids[k], &claims);
      start = (len - strlen (shortest)) * 3 / 4;
      start = start > 8 ? start - 8 : 0;

      for (gsize name_len = start; name_len < len; name_len++)
        {
          g_autofree char *name = g_strnfill (name_len, 'x');
          g_autofree char *token = NULL;

          claims.name = name;
          token = tg_jwt_encode (key, kids[k], &claims);
          if (strlen (token) == len)
            {
              *out_kid = kids[k];
              return g_steal_pointer (&token);
            }
          if (strlen (token) > len)
            break;
        }
    }
  g_assert_not_reached ();
}

static void
test_length_limit (void)
{
  g_autoptr(GBytes) key = test_key ();
  const char *max_kid;
  const char *over_kid;
  g_autofree char *max = token_of_length (8192, &max_kid);
  g_autofree char *over = token_of_length (8193, &over_kid);
  g_autofree char *huge = g_strnfill (9 * 1024, 'A');
  g_autofree char *huge_dots = g_strnfill (9 * 1024, 'A');
  g_autoptr(TgJwtClaims) claims = NULL;
  g_autoptr(GError) error = NULL;

  /* 8 KiB exactly is fine… */
  claims = tg_jwt_verify (key, max_kid, ISS, AUD, NOW, max, &error);
  g_assert_no_error (error);
  g_assert_nonnull (claims);
  g_clear_pointer (&claims, tg_jwt_claims_free);

  /* …one more character is not, though the token is otherwise valid. */
  claims = tg_jwt_verify (key, over_kid, ISS, AUD, NOW, over, &error);
  g_assert_error (error, TG_JWT_ERROR, TG_JWT_ERROR_MALFORMED);
  g_assert_null (claims);
  assert_message_quotes_nothing (error->message, over);

  huge_dots[100] = '.';
  huge_dots[200] = '.';
  assert_rejected (huge, TG_JWT_ERROR_MALFORMED);
  assert_rejected (huge_dots, TG_JWT_ERROR_MALFORMED);
}

static void
test_fuzz (void)
{
  /* Random mutations of a valid token must be rejected cleanly (ASan watches). */
  gsize len = strlen (known_token);
  static const char charset[] = "ABCXYZabcxyz0129-_.=+/ {}\"";

  for (guint i = 0; i < 3000; i++)
    {
      g_autofree char *token = g_strdup (known_token);
      g_autoptr(GError) error = NULL;
      g_autoptr(TgJwtClaims) claims = NULL;
      gint32 n = g_test_rand_int_range (1, 4);

      for (gint32 j = 0; j < n; j++)
        token[g_test_rand_int_range (0, (gint32) len)] =
          charset[g_test_rand_int_range (0, (gint32) sizeof charset - 1)];
      if (g_test_rand_bit ())
        token[g_test_rand_int_range (0, (gint32) len)] = '\0';

      claims = verify_at (token, NOW, &error);
      if (claims != NULL)
        {
          /* Only possible if the mutations changed nothing. */
          g_assert_cmpstr (token, ==, known_token);
          continue;
        }
      g_assert_nonnull (error);
      g_assert_true (error->domain == TG_JWT_ERROR);
      assert_message_quotes_nothing (error->message, token);
    }
}

/* ---- the verifier the server keeps ---- */

/* The time is checked on every call, not remembered with the claims. */
static void
test_verifier_time (void)
{
  g_autoptr(TgJwtVerifier) verifier = verifier_new ();
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (tg_jwt_verifier_verify (verifier, NOW, known_token, &error));
  g_assert_no_error (error);
  g_assert_null (tg_jwt_verifier_verify (verifier, 1700000300, known_token, &error));
  g_assert_error (error, TG_JWT_ERROR, TG_JWT_ERROR_EXPIRED);
  g_clear_error (&error);
  g_assert_null (tg_jwt_verifier_verify (verifier, 1699999999, known_token, &error));
  g_assert_error (error, TG_JWT_ERROR, TG_JWT_ERROR_NOT_YET_VALID);
  g_clear_error (&error);
  g_assert_nonnull (tg_jwt_verifier_verify (verifier, NOW, known_token, &error));
  g_assert_no_error (error);
}

/* Remembered claims never stand in for the MAC: a payload that was verified
 * once, with a signature that is not its own, or another payload with its
 * signature, is refused. */
static void
test_verifier_signature (void)
{
  g_autoptr(TgJwtVerifier) verifier = verifier_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *other_payload = payload_json (NULL, "\"sub\":\"43\"");
  g_autofree char *other = sign (good_header, other_payload);
  g_auto(GStrv) parts = g_strsplit (known_token, ".", -1);
  g_auto(GStrv) other_parts = g_strsplit (other, ".", -1);
  g_autofree char *swapped = g_strjoin (".", parts[0], other_parts[1], parts[2], NULL);
  g_autofree char *tampered = g_strdup (known_token);

  g_assert_nonnull (tg_jwt_verifier_verify (verifier, NOW, known_token, &error));
  g_assert_nonnull (tg_jwt_verifier_verify (verifier, NOW, other, &error));
  g_assert_no_error (error);

  g_assert_null (tg_jwt_verifier_verify (verifier, NOW, swapped, &error));
  g_assert_error (error, TG_JWT_ERROR, TG_JWT_ERROR_SIGNATURE);
  g_clear_error (&error);

  tampered[strlen (tampered) - 2] = tampered[strlen (tampered) - 2] == 'A' ? 'B' : 'A';
  g_assert_null (tg_jwt_verifier_verify (verifier, NOW, tampered, &error));
  g_assert_error (error, TG_JWT_ERROR, TG_JWT_ERROR_SIGNATURE);
  g_clear_error (&error);

  /* The verifier's keyed MAC is used again for every token: after refusals,
   * it still gives the MAC of the next one alone. */
  g_assert_nonnull (tg_jwt_verifier_verify (verifier, NOW, other, &error));
  g_assert_no_error (error);
  g_assert_nonnull (tg_jwt_verifier_verify (verifier, NOW, known_token, &error));
  g_assert_no_error (error);
}

/* A header spelled otherwise than ours is read and checked in full; ours for
 * another key id is not ours. */
static void
test_verifier_header (void)
{
  g_autoptr(TgJwtVerifier) verifier = verifier_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = test_key ();
  g_autofree char *payload = payload_json (NULL, NULL);
  g_autofree char *reordered =
    sign ("{\"kid\":\"" KID "\", \"typ\":\"at+jwt\",\"alg\":\"HS256\"}", payload);
  g_autofree char *with_crit =
    sign ("{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"" KID "\",\"crit\":[\"x\"]}", payload);
  TgJwtClaims claims = claims_template ();
  g_autofree char *other_kid = tg_jwt_encode (key, KID "-next", &claims);

  for (guint i = 0; i < 2; i++)
    {
      g_assert_nonnull (tg_jwt_verifier_verify (verifier, NOW, reordered, &error));
      g_assert_no_error (error);
      g_assert_null (tg_jwt_verifier_verify (verifier, NOW, with_crit, &error));
      g_assert_error (error, TG_JWT_ERROR, TG_JWT_ERROR_MALFORMED);
      g_clear_error (&error);
      g_assert_null (tg_jwt_verifier_verify (verifier, NOW, other_kid, &error));
      g_assert_error (error, TG_JWT_ERROR, TG_JWT_ERROR_KEY_ID);
      g_clear_error (&error);
    }
}

/* More tokens than it remembers: each still gets its own claims. */
static void
test_verifier_many (void)
{
  g_autoptr(TgJwtVerifier) verifier = verifier_new ();
  g_autoptr(GBytes) key = test_key ();

  for (guint round = 0; round < 2; round++)
    for (guint i = 0; i < 2500; i++)
      {
        g_autofree char *jti = g_strdup_printf ("jti-%u", i);
        TgJwtClaims claims = claims_template ();
        g_autofree char *token = NULL;
        g_autoptr(GError) error = NULL;
        const TgJwtClaims *verified;

        claims.jti = jti;
        claims.sid = i;
        token = tg_jwt_encode (key, KID, &claims);
        verified = tg_jwt_verifier_verify (verifier, NOW, token, &error);
        g_assert_no_error (error);
        g_assert_cmpstr (verified->jti, ==, jti);
        g_assert_cmpint (verified->sid, ==, i);
      }
}

int
main (int    argc,
      char **argv)
{
  int status;

  tg_test_init (&argc, &argv);

  g_test_add_func ("/jwt/encode/known-answer", test_known_answer);
  g_test_add_func ("/jwt/encode/header-exact", test_header_exact);
  g_test_add_func ("/jwt/round-trip", test_round_trip);
  g_test_add_func ("/jwt/round-trip/optional-claims", test_round_trip_optional_claims);
  g_test_add_func ("/jwt/round-trip/escaping", test_round_trip_escaping);
  g_test_add_func ("/jwt/claims-free-null", test_claims_free_null);

  g_test_add_func ("/jwt/header/alg-none", test_alg_none);
  g_test_add_func ("/jwt/header/alg-swapped", test_alg_swapped);
  g_test_add_func ("/jwt/header/typ", test_typ);
  g_test_add_func ("/jwt/header/crit", test_crit);
  g_test_add_func ("/jwt/header/kid", test_kid);
  g_test_add_func ("/jwt/header/not-an-object", test_header_not_an_object);
  g_test_add_func ("/jwt/header/deeply-nested", test_header_deeply_nested);
  g_test_add_func ("/jwt/header/length-limit", test_header_length_limit);

  g_test_add_func ("/jwt/signature/payload-edited", test_payload_edited);
  g_test_add_func ("/jwt/signature/tampered", test_signature_tampered);
  g_test_add_func ("/jwt/signature/wrong-key", test_wrong_key);

  g_test_add_func ("/jwt/payload/not-an-object", test_payload_not_an_object);
  g_test_add_func ("/jwt/claims/issuer", test_issuer);
  g_test_add_func ("/jwt/claims/audience", test_audience);
  g_test_add_func ("/jwt/claims/audience-array", test_audience_array);
  g_test_add_func ("/jwt/claims/expired", test_expired);
  g_test_add_func ("/jwt/claims/not-yet-valid", test_not_yet_valid);
  g_test_add_func ("/jwt/claims/bad", test_bad_claims);
  g_test_add_func ("/jwt/claims/optional-absent", test_optional_claims_absent);

  g_test_add_func ("/jwt/garbage", test_garbage);
  g_test_add_func ("/jwt/garbage/non-canonical-header", test_non_canonical_header);
  g_test_add_func ("/jwt/garbage/length-limit", test_length_limit);
  g_test_add_func ("/jwt/garbage/fuzz", test_fuzz);

  g_test_add_func ("/jwt/verifier/time", test_verifier_time);
  g_test_add_func ("/jwt/verifier/signature", test_verifier_signature);
  g_test_add_func ("/jwt/verifier/header", test_verifier_header);
  g_test_add_func ("/jwt/verifier/many", test_verifier_many);

  shared_verifier = verifier_new ();
  status = g_test_run ();
  g_clear_pointer (&shared_verifier, tg_jwt_verifier_free);

  return status;
}
