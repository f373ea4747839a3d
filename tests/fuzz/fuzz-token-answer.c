/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tg_auth_protocol_parse_reply() (and tg_auth_protocol_read_refresh_token()):
 * what the client core runs on every answer to a sign-in or a refresh — token
 * answers, error bodies, for the seed and the OAuth 2.0 protocols alike.
 *
 * Input: byte 0 picks the protocol (bit 0: seed/oauth2), the operation
 * (bit 1: sign-in/refresh) and whether a previous refresh token is in use
 * (bit 2); bytes 1–2 the status (100–599); then one line, the Date header
 * (none if the line is empty); the rest is the body.
 */
#include "config.h"

#include "fuzz-common.h"
#include "fuzz-answer-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *date = NULL;
  TgAuthProtocolKind kind;
  TgAuthOperation operation;
  const char *previous;
  guint status;

  fuzz_init ();
  if (size < 3)
    return 0;

  kind = (data[0] & 1) ? TG_AUTH_PROTOCOL_OAUTH2 : TG_AUTH_PROTOCOL_SEED;
  operation = (data[0] & 2) ? TG_AUTH_OPERATION_REFRESH : TG_AUTH_OPERATION_SIGN_IN;
  previous = (data[0] & 4) ? FUZZ_REFRESH_TOKEN : NULL;
  status = 100 + ((guint) data[1] << 8 | data[2]) % 500;
  data += 3;
  size -= 3;

  date = fuzz_take_line (&data, &size);
  fuzz_parse_reply (kind, operation, status, date[0] != '\0' ? date : NULL,
                    (const char *) data, size, previous);
  return 0;
}
