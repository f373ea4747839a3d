/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The clients the browser sign-in knows, and where each may be sent back to.
 *
 * Tokengate itself is a public native client (RFC 8252) with no secret — the
 * app and the CLI run on the user's machine and could not keep one. A server
 * given a #TgServer:client-secret also knows a confidential client, for
 * setups where a client does hold a secret (a provider that registers every
 * client with one); it authenticates at the token endpoint with HTTP Basic.
 *
 * Both receive their code on a loopback listener that picks a free port, so
 * the redirect URI is registered without one: http://127.0.0.1/callback and
 * http://[::1]/callback match on any port (RFC 8252 §7.3), and on nothing else
 * — the path exactly, the host only as an IP literal (§8.3: "localhost" may
 * resolve elsewhere), no query, no fragment, no user info.
 */
#define G_LOG_DOMAIN "tg-server"

#include "config.h"

#include <string.h>

#include "tg-crypto.h"
#include "tg-server-private.h"

static const TgServerClient clients[] = {
  { TG_SERVER_NATIVE_CLIENT_ID, "/callback", FALSE },
  { TG_SERVER_CONFIDENTIAL_CLIENT_ID, "/callback", TRUE },
};

/* The loopback hosts a native client may listen on, as spelled in a URI. */
static const char * const loopback_prefixes[] = {
  "http://127.0.0.1",
  "http://[::1]",
};

static gboolean
has_secret (TgServer *self)
{
  return self->client_secret != NULL && *self->client_secret != '\0';
}

/**
 * _tg_server_find_client:
 *
 * Returns: (nullable): the client registered as @client_id; the confidential
 *   one only on a server that has its secret
 */
const TgServerClient *
_tg_server_find_client (TgServer   *self,
                        const char *client_id)
{
  for (gsize i = 0; client_id != NULL && i < G_N_ELEMENTS (clients); i++)
    if (strcmp (clients[i].client_id, client_id) == 0)
      return !clients[i].confidential || has_secret (self) ? &clients[i] : NULL;

  return NULL;
}

/* ":PORT" with PORT 1 to 65535 and no leading zero, or nothing; returns what
 * follows it, or NULL. */
static const char *
skip_port (const char *p)
{
  guint64 port = 0;
  gsize digits = 0;

  if (*p != ':')
    return p;
  for (p++; g_ascii_isdigit (p[digits]) && digits < 6; digits++)
    port = port * 10 + (p[digits] - '0');

  if (digits == 0 || digits > 5 || p[0] == '0' || port > 65535)
    return NULL;
  return p + digits;
}

/**
 * _tg_server_client_redirect_ok:
 *
 * Whether @redirect_uri is one @client registered: compared as a string
 * (RFC 9700 §4.1.1: exact matching), except for the loopback port.
 */
gboolean
_tg_server_client_redirect_ok (const TgServerClient *client,
                               const char           *redirect_uri)
{
  g_return_val_if_fail (client != NULL, FALSE);

  if (redirect_uri == NULL)
    return FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (loopback_prefixes); i++)
    {
      const char *rest;

      if (!g_str_has_prefix (redirect_uri, loopback_prefixes[i]))
        continue;
      rest = skip_port (redirect_uri + strlen (loopback_prefixes[i]));
      return rest != NULL && strcmp (rest, client->redirect_path) == 0;
    }

  return FALSE;
}

/* ------------------------------------------------------------------------- */
/* Client authentication at the token and revocation endpoints               */

/* RFC 6749 §5.2: a client that failed to authenticate gets 401 invalid_client,
 * and — since Basic is how it can — a challenge saying so (RFC 7235 §4.1). */
static void
reply_invalid_client (SoupServerMessage *msg,
                      const char        *description)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "WWW-Authenticate", "Basic realm=\"tokengate\", charset=\"UTF-8\"");
  _tg_server_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "invalid_client", description);
}

/* Base64 as RFC 4648 §4 spells it, padded: g_base64_decode() skips what is
 * not Base64 instead of refusing it. */
static gboolean
is_base64 (const char *text)
{
  gsize len = strlen (text);
  gsize padding = 0;

  if (len == 0 || len % 4 != 0)
    return FALSE;
  while (padding < 2 && text[len - 1 - padding] == '=')
    padding++;
  for (gsize i = 0; i < len - padding; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/')
      return FALSE;

  return TRUE;
}

static void
wipe_free (char *secret)
{
  if (secret != NULL)
    explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

/**
 * _tg_server_parse_basic:
 * @header: the value of an Authorization header
 * @out_client_id: (out) (transfer full): the client ID
 * @out_secret: (out) (transfer full): the client secret, to be wiped when
 *   freed
 *
 * Reads HTTP Basic client credentials as RFC 6749 §2.3.1 has them: "Basic "
 * and the Base64 of the form-urlencoded client ID and secret, joined by a
 * colon (RFC 7617 §2; the scheme is case-insensitive, RFC 7235 §2.1). Both
 * must be UTF-8 without NUL, the ID not empty. A function of its own so that
 * tests/fuzz/fuzz-basic-credentials.c runs what the server runs.
 *
 * Returns: %FALSE, with both outputs %NULL, when @header is not that
 */
gboolean
_tg_server_parse_basic (const char  *header,
                        char       **out_client_id,
                        char       **out_secret)
{
  g_autofree guchar *decoded = NULL;
  const char *colon;
  gsize len = 0;
  gboolean ok;

  g_return_val_if_fail (header != NULL, FALSE);
  g_return_val_if_fail (out_client_id != NULL && out_secret != NULL, FALSE);

  *out_client_id = NULL;
  *out_secret = NULL;
  if (g_ascii_strncasecmp (header, "Basic ", 6) != 0)
    return FALSE;
  for (header += 6; *header == ' '; header++)
    ;
  if (!is_base64 (header))
    return FALSE;

  decoded = g_base64_decode (header, &len);
  colon = memchr (decoded, ':', len);
  /* A NUL would cut the ID or the secret short where they are compared. */
  ok = colon != NULL && colon != (const char *) decoded && memchr (decoded, '\0', len) == NULL;
  if (ok)
    {
      const char *secret = colon + 1;

      *out_client_id = _tg_server_form_unescape ((const char *) decoded, colon - (const char *) decoded, NULL);
      *out_secret = _tg_server_form_unescape (secret, len - (secret - (const char *) decoded), NULL);
      ok = *out_client_id != NULL && *out_secret != NULL;
      if (!ok)
        {
          g_clear_pointer (out_client_id, g_free);
          g_clear_pointer (out_secret, wipe_free);
        }
    }
  explicit_bzero (decoded, len);
  return ok;
}

/* Compared as SHA-256 digests, in constant time: the answer's timing tells
 * neither how much of the secret matched nor how long it is. */
static gboolean
secret_matches (TgServer   *self,
                const char *secret)
{
  g_autofree char *expected = tg_crypto_sha256_hex (self->client_secret, -1);
  g_autofree char *presented = tg_crypto_sha256_hex (secret, -1);

  return tg_crypto_equal (expected, presented, strlen (expected));
}

/* The client HTTP Basic names, once its secret is right. */
static const TgServerClient *
authenticate_basic (TgServer          *self,
                    SoupServerMessage *msg,
                    const char        *header,
                    const char        *form_client_id)
{
  g_autofree char *client_id = NULL;
  char *secret = NULL;
  const TgServerClient *client;
  gboolean secret_ok;

  if (!_tg_server_parse_basic (header, &client_id, &secret))
    {
      reply_invalid_client (msg, "the Authorization header is not HTTP Basic credentials "
                                 "(Base64 of the form-urlencoded client_id:client_secret)");
      return NULL;
    }
  client = _tg_server_find_client (self, client_id);
  secret_ok = client != NULL && client->confidential && secret_matches (self, secret);
  wipe_free (secret);

  if (!secret_ok)
    {
      /* One answer for an unknown client, a public one and a wrong secret:
       * which client IDs exist is none of the caller's business. */
      reply_invalid_client (msg, "client authentication failed");
      return NULL;
    }
  if (form_client_id != NULL && strcmp (form_client_id, client->client_id) != 0)
    {
      reply_invalid_client (msg, "client_id in the body names another client than the Authorization header");
      return NULL;
    }

  return client;
}

/**
 * _tg_server_authenticate_client:
 * @form: the request's body
 * @out_client_id: (out) (transfer none) (optional): the client the request is
 *   from, authenticated if it is confidential; NULL when it names none (the
 *   password grant of the seed clients)
 *
 * Who is calling the token or revocation endpoint (RFC 6749 §2.3, §3.2.1): a
 * confidential client by HTTP Basic, a public one by `client_id` in @form.
 * A secret in the body (`client_secret_post`) is not supported, and is refused
 * rather than ignored. An unknown public `client_id` is left to the grant to
 * refuse, as it always was (the code was not issued to it).
 *
 * Returns: %FALSE once the answer on @msg says why the client is refused
 */
gboolean
_tg_server_authenticate_client (TgServer           *self,
                                SoupServerMessage  *msg,
                                GHashTable         *form,
                                const char        **out_client_id)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *header = soup_message_headers_get_one (headers, "Authorization");
  const char *form_client_id = _tg_server_form_value (form, "client_id");
  const TgServerClient *client;
  const char *unused;

  if (out_client_id == NULL)
    out_client_id = &unused;
  *out_client_id = NULL;
  if (_tg_server_form_value (form, "client_secret") != NULL)
    {
      if (header != NULL)
        /* RFC 6749 §2.3: "MUST NOT use more than one authentication method". */
        _tg_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                                "the client authenticated twice (Authorization header and client_secret)");
      else
        reply_invalid_client (msg, "client_secret in the body is not supported; use HTTP Basic");
      return FALSE;
    }

  if (header != NULL)
    {
      if ((client = authenticate_basic (self, msg, header, form_client_id)) == NULL)
        return FALSE;
      *out_client_id = client->client_id;
      return TRUE;
    }

  client = _tg_server_find_client (self, form_client_id);
  if (client != NULL && client->confidential)
    {
      reply_invalid_client (msg, "this client must authenticate with HTTP Basic");
      return FALSE;
    }
  *out_client_id = form_client_id;
  return TRUE;
}
