/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The one line that says what a burst of requests came to — the posts'
 * network tab, "3 × 401 → 1 refresh → 3 retried, all OK" — as the app's
 * network view and the CLI's table both show it.
 */
#define G_LOG_DOMAIN "tg-request-summary"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "tg-request-summary.h"

/**
 * tg_request_summary_describe:
 * @summary: what a run of the request log adds up to, from
 *   tg_request_log_summarize()
 * @in_flight: requests of the run still waiting for an answer
 * @session_ended: whether the run ended the session (a refresh was refused,
 *   or a retry with the new token was rejected)
 *
 * Describes @summary in one translated line: "3 × 401 → 1 refresh → 3
 * retried, all OK", "no 401s, 1 refresh before sending, all OK",
 * "3 × 401 → 1 refresh → 2 retried, 1 failed", "3 × 401 → 1 refresh →
 * session ended", "no 401s, 2 in flight", or "Sending…" before the first
 * exchange.
 *
 * Returns: (transfer full): the line
 */
char *
tg_request_summary_describe (const TgRequestSummary *summary,
                             guint                   in_flight,
                             gboolean                session_ended)
{
  g_autoptr(GString) text = NULL;

  g_return_val_if_fail (summary != NULL, NULL);

  if (summary->http_messages == 0)
    return g_strdup (_("Sending…"));

  text = g_string_new (NULL);
  if (summary->resource_401 == 0)
    {
      /* Translators: the burst got no 401 answer */
      g_string_append (text, _("no 401s"));
      if (summary->refreshes > 0)
        /* Translators: a refresh that happened without a 401, because the
         * token was about to expire; follows "no 401s" */
        g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE,
                                                   ", %u refresh before sending",
                                                   ", %u refreshes before sending",
                                                   summary->refreshes),
                                summary->refreshes);
    }
  else
    {
      /* Translators: "3 × 401" — three answers with status 401 */
      g_string_append_printf (text, _("%u × 401"), summary->resource_401);
      /* Translators: "3 × 401 → 1 refresh" */
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, " → %u refresh", " → %u refreshes",
                                                 summary->refreshes),
                              summary->refreshes);
      if (summary->retries > 0 || !session_ended)
        /* Translators: "3 × 401 → 1 refresh → 3 retried" */
        g_string_append_printf (text, _(" → %u retried"), summary->retries);
    }

  if (session_ended)
    {
      if (summary->resource_401 > 0 && summary->retries == 0)
        /* Translators: the end of "3 × 401 → 1 refresh → session ended" */
        g_string_append (text, _(" → session ended"));
      else
        /* Translators: the end of "3 × 401 → 1 refresh → 3 retried, session ended" */
        g_string_append (text, _(", session ended"));
    }
  else if (in_flight > 0)
    /* Translators: the end of "3 × 401 → 1 refresh → 2 retried, 1 in flight" */
    g_string_append_printf (text, _(", %u in flight"), in_flight);
  else if (summary->requests > 0 && summary->failed == 0)
    /* Translators: the end of "3 × 401 → 1 refresh → 3 retried, all OK" */
    g_string_append (text, _(", all OK"));
  else if (summary->failed > 0)
    /* Translators: the end of "3 × 401 → 1 refresh → 2 retried, 1 failed" */
    g_string_append_printf (text, _(", %u failed"), summary->failed);

  return g_string_free (g_steal_pointer (&text), FALSE);
}
