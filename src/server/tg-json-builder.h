/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One member of the object a JsonBuilder is building, in one call: json-glib
 * 1.6 (Debian 12) has no such call, and every answer of the server is built
 * member by member.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

static inline void
tg_json_builder_add_string_member (JsonBuilder *builder,
                                   const char  *name,
                                   const char  *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static inline void
tg_json_builder_add_int_member (JsonBuilder *builder,
                                const char  *name,
                                gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

G_END_DECLS
