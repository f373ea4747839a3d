/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Date header of a token answer: the client reads it with
 * soup_date_time_new_from_http_string() to measure the server's clock skew
 * (measure_clock_skew() in tg-auth-protocol.c) whenever the access token is a
 * JWT with an `exp`. The input is the header value; it goes through that very
 * path — a 200 answer whose token is such a JWT — and through the libsoup
 * parser on its own, whose result must survive a round trip.
 */
#include "config.h"

#include "fuzz-common.h"
#include "fuzz-answer-common.h"

/* {"alg":"HS256","typ":"at+jwt"} . {"sub":"demo","exp":1767229200} . a dummy signature */
#define BODY \
  "{\"authorizationToken\":\"eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9." \
  "eyJzdWIiOiJkZW1vIiwiZXhwIjoxNzY3MjI5MjAwfQ.c2lnbmF0dXJl\"," \
  "\"refreshToken\":\"r1\",\"expiresIn\":3600,\"userId\":1}"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *date = NULL;
  g_autoptr(GDateTime) parsed = NULL;

  fuzz_init ();
  date = fuzz_take_line (&data, &size);

  parsed = soup_date_time_new_from_http_string (date);
  /* Years before 1000 print with fewer than four digits, which libsoup reads
   * back as two-digit years (RFC 850); and libsoup 3.2 cannot print a time
   * whose UTC is past 9999 ("31 Dec 9999 23:59:59 -0100": criticals from
   * GLib). Neither is the client's path, which only parses: no round trip. */
  if (parsed != NULL && g_date_time_get_year (parsed) >= 1000 && g_date_time_get_year (parsed) < 9999)
    {
      g_autofree char *printed = soup_date_time_to_string (parsed, SOUP_DATE_HTTP);
      g_autoptr(GDateTime) reparsed = soup_date_time_new_from_http_string (printed);

      g_assert (reparsed != NULL);
      g_assert_cmpint (g_date_time_to_unix (reparsed), ==, g_date_time_to_unix (parsed));
    }

  fuzz_parse_reply (TG_AUTH_PROTOCOL_SEED, TG_AUTH_OPERATION_SIGN_IN, SOUP_STATUS_OK,
                    date, BODY, strlen (BODY), NULL);
  return 0;
}
