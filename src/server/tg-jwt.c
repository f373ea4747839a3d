/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HS256 access tokens: JWTs (RFC 7519) in the JWS compact serialization
 * (RFC 7515 §3.1), shaped as RFC 9068 describes access tokens.
 *
 * Verification runs on every request, so it does as little as it can before it
 * knows the token is ours: one pass over the text, then the header (the only JSON
 * an attacker gets us to parse), then the MAC. The payload is parsed only once the
 * MAC matched, so everything past that point is data we wrote ourselves.
 *
 * A TgJwtVerifier, which the server keeps, does less still for the tokens it
 * sees again and again — every request of a session carries the same one. A
 * header spelled exactly as tg_jwt_encode() spells it for the expected key id is
 * known to be good without parsing it; the MAC comes from an HMAC that is keyed
 * already and used again; and the claims of a payload whose MAC matched are kept
 * (found by the token's signature, then compared with the payload's text), since
 * they are a function of that text. What depends on the time (nbf, exp) is
 * checked on every call, and so is the MAC.
 */
#define G_LOG_DOMAIN "tg-jwt"

#include "config.h"

#include <gnutls/crypto.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "tg-base64url.h"
#include "tg-crypto.h"
#include "tg-json-check.h"
#include "tg-json-builder.h"
#include "tg-jwt.h"

/* Ours are a few hundred bytes; a bound keeps hostile input cheap to reject. */
#define MAX_TOKEN_LENGTH 8192

/* The header is parsed before the MAC is checked, so its size bounds what anyone
 * can make us spend on a forged token: json-glib takes some 30–80 ns a byte, so
 * a 6 KiB header would cost ~50× a whole real verification. Ours is about 70
 * characters; 512 leaves room for a key id of a few hundred bytes. */
#define MAX_HEADER_LENGTH 512

#define ALGORITHM "HS256"
/* RFC 9068 §2.1 */
#define TYPE "at+jwt"
#define MAC_BYTES 32
/* Ours go two deep (the aud array); anything much deeper is not ours. */
#define MAX_JSON_DEPTH 16
/* Claims kept by a verifier: a session uses one access token at a time, so
 * this is room for as many sessions working at once. Only payloads whose MAC
 * matched get in, so no one but the key's holder can fill it. */
#define MAX_CACHED_CLAIMS 1024

struct _TgJwtVerifier {
  gnutls_hmac_hd_t hmac;   /* owned: keyed; compute_mac() leaves it so */
  char       *kid;         /* owned */
  char       *iss;         /* owned */
  char       *aud;         /* owned */
  char       *header;      /* owned, nullable: what tg_jwt_encode() writes for @kid */
  gsize       header_len;
  GHashTable *remembered;  /* owned: signature segment (owned) → Remembered (owned) */
};

/* The claims of a payload whose MAC matched. They are looked up by the token's
 * signature, which is short to hash, and then its payload is compared, so that
 * they are exactly the claims of that text. */
typedef struct {
  char        *payload;    /* owned: the payload segment */
  gsize        payload_len;
  TgJwtClaims *claims;     /* owned */
} Remembered;

static void
remembered_free (gpointer data)
{
  Remembered *remembered = data;

  g_free (remembered->payload);
  tg_jwt_claims_free (remembered->claims);
  g_free (remembered);
}

/* A token cut at its dots; the segments point into it. */
typedef struct {
  const char *header;
  gsize       header_len;
  const char *payload;
  gsize       payload_len;
  const char *signature;
  gsize       signature_len;
} Segments;

G_DEFINE_QUARK (tg-jwt-error-quark, tg_jwt_error)

/**
 * tg_jwt_claims_free:
 * @claims: (nullable) (transfer full): claims from tg_jwt_verify()
 */
void
tg_jwt_claims_free (TgJwtClaims *claims)
{
  if (claims == NULL)
    return;

  g_free (claims->iss);
  g_free (claims->aud);
  g_free (claims->sub);
  g_free (claims->name);
  g_free (claims->jti);
  g_free (claims);
}

/* HMAC-SHA256 comes from GnuTLS, not GHmac: GnuTLS computes SHA-256 with the
 * CPU's SHA instructions where it has them, and a keyed handle is used again
 * and again without allocating. On the development machine (AMD EPYC, SHA-NI)
 * the MAC of a token takes 0.5 µs this way and 2.9 µs with a copy of a keyed
 * GHmac: the largest single cost of a request to a protected resource. The
 * result is the same HMAC (RFC 2104); test-jwt signs tokens with GHmac to check. */
static gnutls_hmac_hd_t
keyed_hmac_new (GBytes *key)
{
  gnutls_hmac_hd_t hmac = NULL;
  gsize key_len;
  const guint8 *key_data = g_bytes_get_data (key, &key_len);
  int ret = gnutls_hmac_init (&hmac, GNUTLS_MAC_SHA256, key_data, key_len);

  /* Only without memory, or with a GnuTLS that has no SHA-256: then no token
   * can be signed or checked, and going on would refuse every one. */
  if (ret < 0)
    g_error ("HMAC-SHA256 cannot be set up: %s", gnutls_strerror (ret));
  g_assert (gnutls_hmac_get_len (GNUTLS_MAC_SHA256) == MAC_BYTES);

  return hmac;
}

/* @keyed has seen the key and nothing else, and is left so:
 * gnutls_hmac_output() resets it to the keyed state. */
static void
compute_mac (gnutls_hmac_hd_t  keyed,
             const char       *signing_input,
             gsize             len,
             guint8            mac[MAC_BYTES])
{
  int ret = gnutls_hmac (keyed, signing_input, len);

  if (ret < 0)
    g_error ("HMAC-SHA256 failed: %s", gnutls_strerror (ret));
  gnutls_hmac_output (keyed, mac);
}

static char *
encode_json_segment (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *json = json_to_string (root, FALSE);

  return tg_base64url_encode ((const guint8 *) json, strlen (json));
}

/* The header segment of every token signed for @kid. */
static char *
encode_header (const char *kid)
{
  g_autoptr(JsonBuilder) header = json_builder_new ();

  json_builder_begin_object (header);
  tg_json_builder_add_string_member (header, "alg", ALGORITHM);
  tg_json_builder_add_string_member (header, "typ", TYPE);
  tg_json_builder_add_string_member (header, "kid", kid);
  json_builder_end_object (header);

  return encode_json_segment (header);
}

static gboolean
is_claim_string (const char *value)
{
  return value == NULL || g_utf8_validate (value, -1, NULL);
}

/**
 * tg_jwt_encode:
 * @key: the HMAC-SHA256 key
 * @kid: the key's identifier, for the header's `kid`; a short name (at most a
 *   few hundred bytes, see tg_jwt_verify())
 * @claims: what to sign; @iss, @aud and @sub are required, @name and @jti may be
 *   %NULL (a %NULL @jti gets a random one, as RFC 9068 §2.2 requires one)
 *
 * Makes an HS256 access token whose header is exactly
 * `{"alg":"HS256","typ":"at+jwt","kid":KID}` and whose payload has the claims
 * iss, aud, sub, name, iat, nbf, exp, jti and sid, in that order.
 *
 * Returns: (transfer full): the token, three base64url segments joined by dots
 */
char *
tg_jwt_encode (GBytes            *key,
               const char        *kid,
               const TgJwtClaims *claims)
{
  g_autoptr(JsonBuilder) payload = NULL;
  gnutls_hmac_hd_t hmac;
  g_autofree char *header_text = NULL;
  g_autofree char *payload_text = NULL;
  g_autofree char *random_jti = NULL;
  g_autofree char *signing_input = NULL;
  g_autofree char *signature_text = NULL;
  guint8 mac[MAC_BYTES];

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (kid != NULL && g_utf8_validate (kid, -1, NULL), NULL);
  g_return_val_if_fail (claims != NULL, NULL);
  g_return_val_if_fail (claims->iss != NULL && is_claim_string (claims->iss), NULL);
  g_return_val_if_fail (claims->aud != NULL && is_claim_string (claims->aud), NULL);
  g_return_val_if_fail (claims->sub != NULL && *claims->sub != '\0' &&
                        is_claim_string (claims->sub), NULL);
  g_return_val_if_fail (is_claim_string (claims->name), NULL);
  g_return_val_if_fail (is_claim_string (claims->jti), NULL);

  if (claims->jti == NULL)
    random_jti = tg_crypto_random_token ();

  payload = json_builder_new ();
  json_builder_begin_object (payload);
  tg_json_builder_add_string_member (payload, "iss", claims->iss);
  tg_json_builder_add_string_member (payload, "aud", claims->aud);
  tg_json_builder_add_string_member (payload, "sub", claims->sub);
  if (claims->name != NULL)
    tg_json_builder_add_string_member (payload, "name", claims->name);
  tg_json_builder_add_int_member (payload, "iat", claims->iat);
  tg_json_builder_add_int_member (payload, "nbf", claims->nbf);
  tg_json_builder_add_int_member (payload, "exp", claims->exp);
  tg_json_builder_add_string_member (payload, "jti", claims->jti != NULL ? claims->jti : random_jti);
  tg_json_builder_add_int_member (payload, "sid", claims->sid);
  json_builder_end_object (payload);

  header_text = encode_header (kid);
  /* Or tg_jwt_verify() would refuse it: the key id is too long. */
  g_return_val_if_fail (strlen (header_text) <= MAX_HEADER_LENGTH, NULL);
  payload_text = encode_json_segment (payload);
  signing_input = g_strconcat (header_text, ".", payload_text, NULL);

  hmac = keyed_hmac_new (key);
  compute_mac (hmac, signing_input, strlen (signing_input), mac);
  gnutls_hmac_deinit (hmac, NULL);
  signature_text = tg_base64url_encode (mac, sizeof mac);

  return g_strconcat (signing_input, ".", signature_text, NULL);
}

/* Never put any part of the token in a message: these end up in responses
 * (error_description) and logs. */
static gpointer
fail (GError     **error,
      TgJwtError   code,
      const char  *message)
{
  g_set_error_literal (error, TG_JWT_ERROR, code, message);
  return NULL;
}

static gboolean
refuse (GError     **error,
        TgJwtError   code,
        const char  *message)
{
  fail (error, code, message);
  return FALSE;
}

static JsonObject *
parse_segment (JsonParser *parser,
               const char *text,
               gsize       len)
{
  g_autofree guint8 *json = NULL;
  gsize json_len;
  JsonNode *root;

  json = tg_base64url_decode (text, (gssize) len, &json_len);
  if (json == NULL)
    return NULL;
  /* The header is read before the signature is checked: whoever sends a
   * token decides what json-glib gets here (tg-json-check.c says why). */
  if (!tg_json_check_text ((const char *) json, json_len, MAX_JSON_DEPTH, TG_JSON_CHECK_NONE, NULL))
    return NULL;
  if (!json_parser_load_from_data (parser, (const char *) json, (gssize) json_len, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_node_get_object (root);
}

/* Returns: (transfer none) (nullable): the member's string, or %NULL if it is
 * missing or not a string. */
static const char *
get_string (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
get_int (JsonObject *object,
         const char *name,
         gint64     *out)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

/* An optional string claim: absent (or null) is fine, anything else but a string
 * is not. */
static gboolean
get_optional_string (JsonObject  *object,
                     const char  *name,
                     const char **out)
{
  JsonNode *node = json_object_get_member (object, name);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (json_node_get_value_type (node) != G_TYPE_STRING)
    return FALSE;
  *out = json_node_get_string (node);
  return TRUE;
}

/* RFC 7519 §4.1.3: a single string, or an array of strings one of which is ours. */
static gboolean
audience_matches (JsonObject *payload,
                  const char *expected_aud)
{
  JsonNode *node = json_object_get_member (payload, "aud");
  JsonArray *array;
  guint n;

  if (node == NULL)
    return FALSE;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strcmp0 (json_node_get_string (node), expected_aud) == 0;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (json_node_get_value_type (element) == G_TYPE_STRING &&
          g_strcmp0 (json_node_get_string (element), expected_aud) == 0)
        return TRUE;
    }
  return FALSE;
}

/* A table, not a test per class: every request's token goes through this. */
static const gboolean base64url_chars[256] = {
  ['A' ... 'Z'] = TRUE, ['a' ... 'z'] = TRUE, ['0' ... '9'] = TRUE, ['-'] = TRUE, ['_'] = TRUE,
};

static gboolean
is_base64url_char (char c)
{
  return base64url_chars[(guchar) c];
}

/* Exactly three non-empty segments of unpadded base64url (RFC 7515 §7.1), the
 * header no longer than MAX_HEADER_LENGTH. */
static gboolean
split_token (const char  *token,
             Segments    *out,
             GError     **error)
{
  const char *dots[2] = { NULL, NULL };
  guint n_dots = 0;
  gsize len;

  /* strnlen(): a hostile token may be huge; don't walk all of it. */
  len = strnlen (token, MAX_TOKEN_LENGTH + 1);
  if (len > MAX_TOKEN_LENGTH)
    return refuse (error, TG_JWT_ERROR_MALFORMED, "the access token is too long");

  for (gsize i = 0; i < len; i++)
    {
      if (token[i] == '.')
        {
          if (n_dots == 2)
            return refuse (error, TG_JWT_ERROR_MALFORMED, "the access token is malformed");
          dots[n_dots++] = token + i;
        }
      else if (!is_base64url_char (token[i]))
        {
          return refuse (error, TG_JWT_ERROR_MALFORMED, "the access token is malformed");
        }
    }
  if (n_dots != 2)
    return refuse (error, TG_JWT_ERROR_MALFORMED, "the access token is malformed");

  out->header = token;
  out->header_len = (gsize) (dots[0] - token);
  out->payload = dots[0] + 1;
  out->payload_len = (gsize) (dots[1] - dots[0] - 1);
  out->signature = dots[1] + 1;
  out->signature_len = len - (gsize) (dots[1] + 1 - token);
  if (out->header_len == 0 || out->payload_len == 0 || out->signature_len == 0 ||
      out->header_len > MAX_HEADER_LENGTH)
    return refuse (error, TG_JWT_ERROR_MALFORMED, "the access token is malformed");

  return TRUE;
}

static gboolean
check_header (TgJwtVerifier   *self,
              const Segments  *segments,
              GError         **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *header;
  const char *alg;
  const char *typ;
  const char *kid;

  /* Our own spelling for the expected key id passes every check below. */
  if (self->header != NULL && segments->header_len == self->header_len &&
      memcmp (segments->header, self->header, self->header_len) == 0)
    return TRUE;

  parser = json_parser_new ();
  header = parse_segment (parser, segments->header, segments->header_len);
  if (header == NULL)
    return refuse (error, TG_JWT_ERROR_MALFORMED, "the access token is malformed");

  /* The algorithm is fixed, not taken from the header (RFC 8725 §3.1): this is
   * what keeps "none" and HS/RS confusion out. */
  alg = get_string (header, "alg");
  if (alg == NULL || strcmp (alg, ALGORITHM) != 0)
    return refuse (error, TG_JWT_ERROR_ALGORITHM,
                   "the access token is not signed with a supported algorithm");

  /* RFC 7515 §4.1.11: we understand no extensions, so any "crit" is fatal. */
  if (json_object_has_member (header, "crit"))
    return refuse (error, TG_JWT_ERROR_MALFORMED,
                   "the access token uses unsupported extensions");

  /* RFC 9068 §2.1, §4: this keeps any other kind of JWT signed with the same key
   * (an ID token, say) from passing as an access token. Only our own spelling:
   * this server is the only issuer its tokens come from. */
  typ = get_string (header, "typ");
  if (typ == NULL || strcmp (typ, TYPE) != 0)
    return refuse (error, TG_JWT_ERROR_MALFORMED, "the token is not an access token");

  kid = get_string (header, "kid");
  if (kid == NULL || strcmp (kid, self->kid) != 0)
    return refuse (error, TG_JWT_ERROR_KEY_ID,
                   "the access token was signed with an unknown key");

  return TRUE;
}

static gboolean
check_signature (TgJwtVerifier   *self,
                 const Segments  *segments,
                 GError         **error)
{
  g_autofree guint8 *signature = NULL;
  guint8 mac[MAC_BYTES];
  gsize mac_len = 0;

  /* The MAC covers the text as sent, "header.payload" (RFC 7515 §5.1). The
   * signature of a 32-byte MAC is 43 characters; anything else cannot match and
   * need not be decoded. */
  compute_mac (self->hmac, segments->header, (gsize) (segments->signature - 1 - segments->header), mac);
  if (segments->signature_len == (MAC_BYTES * 4 + 2) / 3)
    signature = tg_base64url_decode (segments->signature, (gssize) segments->signature_len, &mac_len);
  if (signature == NULL || mac_len != MAC_BYTES || !tg_crypto_equal (signature, mac, MAC_BYTES))
    return refuse (error, TG_JWT_ERROR_SIGNATURE, "the access token signature is invalid");

  return TRUE;
}

/* The claims of a payload whose MAC matched, checked against everything but
 * the time. */
static TgJwtClaims *
parse_claims (TgJwtVerifier   *self,
              const Segments  *segments,
              GError         **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  TgJwtClaims *claims;
  JsonObject *payload;
  const char *sub;
  const char *name;
  const char *jti;
  gint64 iat, nbf, exp, sid;

  payload = parse_segment (parser, segments->payload, segments->payload_len);
  if (payload == NULL)
    return fail (error, TG_JWT_ERROR_MALFORMED, "the access token is malformed");

  if (g_strcmp0 (get_string (payload, "iss"), self->iss) != 0)
    return fail (error, TG_JWT_ERROR_ISSUER,
                 "the access token was issued by someone else");

  if (!audience_matches (payload, self->aud))
    return fail (error, TG_JWT_ERROR_AUDIENCE,
                 "the access token is not meant for this service");

  sub = get_string (payload, "sub");
  if (sub == NULL || *sub == '\0' ||
      !get_int (payload, "exp", &exp) ||
      !get_int (payload, "nbf", &nbf) ||
      !get_int (payload, "iat", &iat) ||
      !get_int (payload, "sid", &sid) ||
      !get_optional_string (payload, "name", &name) ||
      !get_optional_string (payload, "jti", &jti))
    return fail (error, TG_JWT_ERROR_MALFORMED,
                 "the access token lacks a required claim or has an invalid one");

  claims = g_new0 (TgJwtClaims, 1);
  claims->iss = g_strdup (self->iss);
  claims->aud = g_strdup (self->aud);
  claims->sub = g_strdup (sub);
  claims->name = g_strdup (name);
  claims->jti = g_strdup (jti);
  claims->sid = sid;
  claims->iat = iat;
  claims->nbf = nbf;
  claims->exp = exp;

  return claims;
}

/**
 * tg_jwt_verifier_new:
 * @key: the HMAC-SHA256 key
 * @expected_kid: the key's identifier; the header's `kid` must be this
 * @expected_iss: our issuer; `iss` must be this
 * @expected_aud: our audience; `aud` must be this, or an array holding it
 *
 * Makes a verifier of the tokens tg_jwt_encode() signs with @key for
 * @expected_kid; see tg_jwt_verifier_verify(). A new key id (a new signing
 * epoch) needs a new verifier.
 *
 * Returns: (transfer full): the verifier; free with tg_jwt_verifier_free()
 */
TgJwtVerifier *
tg_jwt_verifier_new (GBytes     *key,
                     const char *expected_kid,
                     const char *expected_iss,
                     const char *expected_aud)
{
  TgJwtVerifier *self;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (expected_kid != NULL, NULL);
  g_return_val_if_fail (expected_iss != NULL, NULL);
  g_return_val_if_fail (expected_aud != NULL, NULL);

  self = g_new0 (TgJwtVerifier, 1);
  self->hmac = keyed_hmac_new (key);
  self->kid = g_strdup (expected_kid);
  self->iss = g_strdup (expected_iss);
  self->aud = g_strdup (expected_aud);
  /* tg_jwt_encode() signs for UTF-8 key ids only: for any other, there is no
   * spelling of ours to recognize, and every header is parsed. */
  if (g_utf8_validate (expected_kid, -1, NULL))
    {
      self->header = encode_header (expected_kid);
      self->header_len = strlen (self->header);
    }
  self->remembered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, remembered_free);

  return self;
}

/**
 * tg_jwt_verifier_free:
 * @self: (nullable) (transfer full): a verifier
 */
void
tg_jwt_verifier_free (TgJwtVerifier *self)
{
  if (self == NULL)
    return;

  gnutls_hmac_deinit (self->hmac, NULL);
  g_free (self->kid);
  g_free (self->iss);
  g_free (self->aud);
  g_free (self->header);
  g_hash_table_unref (self->remembered);
  g_free (self);
}

/**
 * tg_jwt_verifier_verify:
 * @self: a verifier
 * @now: the current time, in seconds since the epoch
 * @token: the token, as it came in the `Authorization` header
 * @error: return location for a #GError in %TG_JWT_ERROR
 *
 * Does what tg_jwt_verify() does, with the key and expectations of @self, and
 * with the same result and error for every token and time. Not thread-safe:
 * one thread uses a verifier.
 *
 * Returns: (transfer none) (nullable): the claims, valid until the next call
 *   on @self (or its free), or %NULL with @error set
 */
const TgJwtClaims *
tg_jwt_verifier_verify (TgJwtVerifier  *self,
                        gint64          now,
                        const char     *token,
                        GError        **error)
{
  Segments segments;
  Remembered *remembered;
  TgJwtClaims *claims;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (token != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!split_token (token, &segments, error) ||
      !check_header (self, &segments, error) ||
      !check_signature (self, &segments, error))
    return NULL;

  /* The signature is the token's last segment: it ends where the token does. */
  remembered = g_hash_table_lookup (self->remembered, segments.signature);
  if (remembered != NULL && remembered->payload_len == segments.payload_len &&
      memcmp (remembered->payload, segments.payload, segments.payload_len) == 0)
    {
      claims = remembered->claims;
    }
  else
    {
      if ((claims = parse_claims (self, &segments, error)) == NULL)
        return NULL;
      /* Dropping them all is crude, but takes a thousand sessions at once to
       * happen, and costs each of them one parse. */
      if (g_hash_table_size (self->remembered) >= MAX_CACHED_CLAIMS)
        g_hash_table_remove_all (self->remembered);
      remembered = g_new (Remembered, 1);
      remembered->payload = g_strndup (segments.payload, segments.payload_len);
      remembered->payload_len = segments.payload_len;
      remembered->claims = claims;
      g_hash_table_replace (self->remembered, g_strdup (segments.signature), remembered);
    }

  if (claims->nbf > now)
    return fail (error, TG_JWT_ERROR_NOT_YET_VALID, "the access token is not valid yet");
  if (claims->exp <= now)
    return fail (error, TG_JWT_ERROR_EXPIRED, "the access token has expired");

  return claims;
}

static TgJwtClaims *
claims_copy (const TgJwtClaims *claims)
{
  TgJwtClaims *copy = g_new (TgJwtClaims, 1);

  *copy = *claims;
  copy->iss = g_strdup (claims->iss);
  copy->aud = g_strdup (claims->aud);
  copy->sub = g_strdup (claims->sub);
  copy->name = g_strdup (claims->name);
  copy->jti = g_strdup (claims->jti);

  return copy;
}

/**
 * tg_jwt_verify:
 * @key: the HMAC-SHA256 key
 * @expected_kid: the key's identifier; the header's `kid` must be this
 * @expected_iss: our issuer; `iss` must be this
 * @expected_aud: our audience; `aud` must be this, or an array holding it
 * @now: the current time, in seconds since the epoch
 * @token: the token, as it came in the `Authorization` header
 * @error: return location for a #GError in %TG_JWT_ERROR
 *
 * Checks an access token from tg_jwt_encode(): its form, that its header says
 * HS256 (nothing else is accepted, so neither `none` nor an algorithm swap can get
 * around the key), its `typ` and `kid`, its signature (compared in constant time),
 * and then its claims: iss, aud, sub, nbf and exp (the token is valid from `nbf`
 * up to but not including `exp`, RFC 7519 §4.1.4–5).
 *
 * Tokens longer than 8 KiB, and headers longer than 512 characters, are refused
 * unread: the header is parsed before the signature is checked.
 *
 * The error messages are short sentences meant for an OAuth `error_description`;
 * they never contain any part of @token.
 *
 * A caller that verifies many tokens keeps a #TgJwtVerifier instead.
 *
 * Returns: (transfer full) (nullable): the claims (with `aud` set to
 *   @expected_aud, even if the token names several audiences), or %NULL with
 *   @error set; free with tg_jwt_claims_free()
 */
TgJwtClaims *
tg_jwt_verify (GBytes      *key,
               const char  *expected_kid,
               const char  *expected_iss,
               const char  *expected_aud,
               gint64       now,
               const char  *token,
               GError     **error)
{
  g_autoptr(TgJwtVerifier) verifier = NULL;
  const TgJwtClaims *claims;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (expected_kid != NULL, NULL);
  g_return_val_if_fail (expected_iss != NULL, NULL);
  g_return_val_if_fail (expected_aud != NULL, NULL);
  g_return_val_if_fail (token != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  verifier = tg_jwt_verifier_new (key, expected_kid, expected_iss, expected_aud);
  claims = tg_jwt_verifier_verify (verifier, now, token, error);

  return claims != NULL ? claims_copy (claims) : NULL;
}
