/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The two protocols fuzz-token-answer and fuzz-http-date parse answers with,
 * made once: tg_auth_protocol_parse_reply() does not depend on anything else
 * in them.
 */
#pragma once

#include "tg-auth-protocol-private.h"
#include "tg-transport-private.h"

/* 2026-01-01T00:00:00Z, when the answers "arrive". */
#define FUZZ_NOW (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)
#define FUZZ_REFRESH_TOKEN "previous-refresh-token"

static inline TgAuthProtocol *
fuzz_protocol (TgAuthProtocolKind kind)
{
  static TgAuthProtocol *protocols[2];  /* made once, kept for the process */

  if (protocols[kind] == NULL)
    {
      g_autoptr(GError) error = NULL;

      if (kind == TG_AUTH_PROTOCOL_SEED)
        protocols[kind] = tg_auth_protocol_new_seed ("http://127.0.0.1:7000", &error);
      else
        protocols[kind] = tg_auth_protocol_new_oauth2 ("http://127.0.0.1:7000/oauth2/token",
                                                       "http://127.0.0.1:7000/oauth2/revoke",
                                                       "fuzz-client", NULL, NULL, &error);
      g_assert_no_error (error);
    }
  return protocols[kind];
}

/* The request an answer belongs to, as the token manager sends it: the
 * protocol keeps its secret (password, refresh token) out of error messages. */
static inline SoupMessage *
fuzz_request (TgAuthProtocolKind kind,
              TgAuthOperation    operation)
{
  static SoupMessage *requests[2][2];  /* made once, kept for the process */

  if (requests[kind][operation] == NULL)
    requests[kind][operation] = operation == TG_AUTH_OPERATION_SIGN_IN
      ? tg_auth_protocol_new_sign_in_message (fuzz_protocol (kind), "demo", "fuzz-password")
      : tg_auth_protocol_new_refresh_message (fuzz_protocol (kind), FUZZ_REFRESH_TOKEN);
  return requests[kind][operation];
}

/* What the token manager does with an answer: parse it, and when a 2xx
 * refresh answer cannot be read as a whole, save the rotated refresh token
 * out of it if it can. */
static inline void
fuzz_parse_reply (TgAuthProtocolKind  kind,
                  TgAuthOperation     operation,
                  guint               status,
                  const char         *date,
                  const char         *body,
                  gsize               body_len,
                  const char         *previous_refresh_token)
{
  TgAuthProtocol *protocol = fuzz_protocol (kind);
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autoptr(GBytes) bytes = g_bytes_new (body, body_len);
  g_autoptr(TgHttpReply) reply = NULL;
  g_autoptr(TgTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  if (date != NULL)
    soup_message_headers_append (headers, "Date", date);
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  reply = tg_http_reply_new (status, headers, bytes);

  tokens = tg_auth_protocol_parse_reply (protocol, operation, fuzz_request (kind, operation),
                                         reply, previous_refresh_token, FUZZ_NOW, &error);
  if (tokens == NULL)
    {
      g_autofree char *rotated = NULL;

      g_assert (error != NULL);
      if (operation == TG_AUTH_OPERATION_REFRESH && SOUP_STATUS_IS_SUCCESSFUL (status))
        rotated = tg_auth_protocol_read_refresh_token (protocol, reply);
      g_assert (rotated == NULL || rotated[0] != '\0');
      return;
    }

  g_assert_no_error (error);
  g_assert (SOUP_STATUS_IS_SUCCESSFUL (status));
  g_assert (tg_tokens_get_access_token (tokens) != NULL &&
            tg_tokens_get_access_token (tokens)[0] != '\0');
  g_assert (tg_tokens_get_expires_at (tokens) >= 0);
}
