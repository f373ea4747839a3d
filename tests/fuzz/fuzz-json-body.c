/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * _tg_server_parse_json_object(): what the server runs on the body of every
 * JSON request (the seed API's /authorization/token and /authorization/refresh,
 * PUT /demo/settings) once libsoup has read it — its own pre-scan for depth and
 * "\u0000", then json-glib. The members the handlers read are read here too.
 */
#include "config.h"

#include <gio/gio.h>

#include "fuzz-common.h"
#include "tg-server-private.h"

/* What the pre-scan promises: nothing accepted is nested deeper than this
 * (MAX_JSON_DEPTH in tg-server.c). */
#define MAX_DEPTH 32

/* How many objects and arrays deep @node goes (a scalar: 0). Stops one level
 * past the limit, so that a body that got past the pre-scan fails the
 * assertion rather than this walk's own stack. */
static guint
depth_of (JsonNode *node,
          guint     above)
{
  guint deepest = 0;

  if (!JSON_NODE_HOLDS_OBJECT (node) && !JSON_NODE_HOLDS_ARRAY (node))
    return 0;
  if (above >= MAX_DEPTH)
    return 1;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autoptr(GList) members = json_object_get_values (json_node_get_object (node));

      for (GList *l = members; l != NULL; l = l->next)
        {
          guint d = depth_of (l->data, above + 1);  /* not inside MAX(): it evaluates twice */

          deepest = MAX (deepest, d);
        }
    }
  else
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          guint d = depth_of (json_array_get_element (array, i), above + 1);

          deepest = MAX (deepest, d);
        }
    }
  return deepest + 1;
}

static void
read_members (JsonObject *object)
{
  static const char * const names[] = {
    "userName", "password", "refreshToken", "accessTtl", "reuseGrace",
    "latencyMs", "jitterMs", "refreshLatencyMs", "refreshFault", "kind",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      JsonNode *node = json_object_get_member (object, names[i]);

      if (node == NULL)
        continue;
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        g_assert (json_node_get_string (node) != NULL);
      else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
        (void) json_node_get_int (node);
      else if (JSON_NODE_HOLDS_OBJECT (node))
        read_members (json_node_get_object (node));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;

  fuzz_init ();
  /* The server never gets here with an empty body: read_body() refuses it. */
  if (size == 0)
    return 0;

  object = _tg_server_parse_json_object ((const char *) data, size, &error);
  if (object == NULL)
    {
      g_assert (error != NULL && error->domain == G_IO_ERROR &&
                error->code == G_IO_ERROR_INVALID_DATA);
      return 0;
    }

  g_assert_no_error (error);
  {
    g_autoptr(JsonNode) root = json_node_init_object (json_node_alloc (), object);

    g_assert_cmpuint (depth_of (root, 0), <=, MAX_DEPTH);
  }
  read_members (object);
  return 0;
}
