/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What `tokengate-cli burst` prints: a table a person reads, with the
 * library's summary line ("3 × 401 → 1 refresh → 3 retried, all OK"), or
 * one JSON object for scripts.
 */
#define G_LOG_DOMAIN "tokengate-cli"

#include "config.h"

#include <json-glib/json-glib.h>

#include "tg-cli.h"

/* The per-request table shows this many lines; --json has them all. */
#define MAX_TABLE_LINES 50

static void
append_ms (GString *out,
           gint64   us)
{
  if (us >= G_USEC_PER_SEC)
    g_string_append_printf (out, "%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT " s",
                            us / G_USEC_PER_SEC, (us % G_USEC_PER_SEC) / 100000);
  else
    g_string_append_printf (out, "%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT " ms",
                            us / 1000, (us % 1000) / 100);
}

static void
print_outcome_line (guint                 index,
                    const TgBurstOutcome *outcome)
{
  g_autoptr(GString) line = g_string_new (NULL);
  g_autofree char *text = NULL;

  g_string_append_printf (line, "#%u GET %s → ", index + 1, outcome->path);

  if (outcome->attempts == 0)
    g_string_append (line, "not sent");
  else if (outcome->first_status != 0)
    g_string_append_printf (line, "%u", outcome->first_status);
  else
    g_string_append (line, "no answer");

  if (outcome->attempts >= 2)
    {
      g_string_append (line, ", retried → ");
      if (outcome->status != 0)
        g_string_append_printf (line, "%u", outcome->status);
      else
        g_string_append (line, "no answer");
    }
  if (outcome->error_message != NULL)
    g_string_append_printf (line, ", failed: %s", outcome->error_message);
  if (outcome->attempts >= 2)
    g_string_append_printf (line, " (%u attempts)", outcome->attempts);

  text = tg_cli_printable (line->str);
  tg_cli_out ("%s\n", text);
}

static const char *
plural (guint       n,
        const char *one,
        const char *many)
{
  return n == 1 ? one : many;
}

static char *
describe_break (const TgCliOptions *options,
                gint64              waited_us)
{
  switch (options->break_kind)
    {
    case TG_CLI_BREAK_ACCESS:
      return g_strdup ("Broke the session: the access token was replaced with \"sdf\" here "
                       "(localStorage.setItem(\"token\", \"sdf\")).");
    case TG_CLI_BREAK_EXPIRE:
      return g_strdup ("Broke the session: the server expired every access token.");
    case TG_CLI_BREAK_REVOKE:
      return g_strdup ("Broke the session: the server revoked every session.");
    case TG_CLI_BREAK_NATURAL:
      {
        g_autoptr(GString) text = g_string_new ("Broke the session: the access token ran out");
        if (tg_client_config_get_proactive (options->config))
          g_string_append (text, " (to within the expiry skew)");
        g_string_append (text, " after waiting ");
        append_ms (text, waited_us);
        g_string_append (text, ".");
        return g_string_free (g_steal_pointer (&text), FALSE);
      }
    default:
      g_assert_not_reached ();
    }
}

void
tg_cli_report_table (const TgCliOptions  *options,
                     const TgBurstResult *result,
                     gint64               waited_us)
{
  const TgRequestSummary *summary = &result->summary;
  g_autofree char *header = describe_break (options, waited_us);
  g_autofree char *outline = NULL;
  g_autoptr(GString) line = g_string_new (NULL);
  guint shown = result->n_outcomes <= MAX_TABLE_LINES ? result->n_outcomes : MAX_TABLE_LINES;

  tg_cli_out ("%s\n", header);

  for (guint i = 0; i < shown; i++)
    print_outcome_line (i, &result->outcomes[i]);
  if (shown < result->n_outcomes)
    tg_cli_out ("… and %u more (--json lists them all)\n", result->n_outcomes - shown);

  /* The posts' picture, as the app's network view shows it too. */
  outline = tg_request_summary_describe (summary, 0, result->sign_outs > 0);
  tg_cli_out ("%s\n", outline);

  g_string_append_printf (line, "%u HTTP %s (sign-in not counted), %u stale %s; wall time ",
                          summary->http_messages, plural (summary->http_messages, "message", "messages"),
                          summary->stale_sends, plural (summary->stale_sends, "send", "sends"));
  append_ms (line, result->wall_us);
  g_string_append (line, " (first send → last answer)");
  if (result->recovery_us > 0)
    {
      g_string_append (line, "; recovery ");
      append_ms (line, result->recovery_us);
      g_string_append (line, " (first 401 → last retry)");
    }
  tg_cli_out ("%s\n", line->str);
}

static void
add_uint (JsonBuilder *builder,
          const char  *name,
          guint64      value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, (gint64) value);
}

void
tg_cli_report_json (const TgCliOptions  *options,
                    const TgBurstResult *result,
                    gint64               waited_us)
{
  TgClientConfig *config = options->config;
  const TgRequestSummary *summary = &result->summary;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  add_uint (builder, "requests", result->requests);
  add_uint (builder, "succeeded", result->succeeded);
  add_uint (builder, "failed", result->failed);
  add_uint (builder, "http_messages", summary->http_messages);
  add_uint (builder, "resource_401", summary->resource_401);
  add_uint (builder, "refreshes", summary->refreshes);
  add_uint (builder, "retries", summary->retries);
  add_uint (builder, "stale_sends", summary->stale_sends);
  add_uint (builder, "stale_401s", result->stale_401s);
  add_uint (builder, "refreshes_joined", result->refreshes_joined);
  add_uint (builder, "sign_outs", result->sign_outs);
  add_uint (builder, "recovery_ms", (guint64) ((result->recovery_us + 500) / 1000));
  add_uint (builder, "wall_ms", (guint64) ((result->wall_us + 500) / 1000));
  add_uint (builder, "recovery_us", (guint64) result->recovery_us);
  add_uint (builder, "wall_us", (guint64) result->wall_us);
  json_builder_set_member_name (builder, "break");
  json_builder_add_string_value (builder, tg_cli_break_names[options->break_kind]);
  json_builder_set_member_name (builder, "policy");
  json_builder_add_string_value (builder, tg_cli_policy_names[tg_client_config_get_retry_policy (config)]);
  json_builder_set_member_name (builder, "proactive");
  json_builder_add_boolean_value (builder, tg_client_config_get_proactive (config));
  json_builder_set_member_name (builder, "protocol");
  json_builder_add_string_value (builder, tg_client_config_get_protocol_kind (config) == TG_AUTH_PROTOCOL_SEED ? "seed" : "oauth2");
  json_builder_set_member_name (builder, "server");
  json_builder_add_string_value (builder, tg_client_config_get_server_uri (config));
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, options->path_format);
  add_uint (builder, "waited_ms", (guint64) ((waited_us + 500) / 1000));

  json_builder_set_member_name (builder, "outcomes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < result->n_outcomes; i++)
    {
      const TgBurstOutcome *outcome = &result->outcomes[i];

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, outcome->path);
      add_uint (builder, "status", outcome->status);
      add_uint (builder, "first_status", outcome->first_status);
      add_uint (builder, "attempts", outcome->attempts);
      json_builder_set_member_name (builder, "error");
      if (outcome->error_message != NULL)
        json_builder_add_string_value (builder, outcome->error_message);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  tg_cli_out ("%s\n", text);
}
