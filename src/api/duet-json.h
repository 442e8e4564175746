/* duet-json.h: bounded JSON parsing and typed member access
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "duet-json-error.h"   /* DUET_JSON_MAX_DEPTH */

G_BEGIN_DECLS

/* Default cap for an ordinary response body; /sync has its own, larger one. */
#define DUET_JSON_MAX_SIZE (8 * 1024 * 1024)

gboolean     duet_json_check_bounds          (const char  *data,
                                              gsize        length,
                                              gsize        max_size,
                                              guint        max_depth,
                                              GError     **error);
/* json-glib turns an integer beyond int64 into -1, 1e400 into "inf.0", 1e22
 * into "1e+22.0" and cuts strings at \u0000, and duet_json_parse() reads a
 * lone UTF-16 surrogate and bytes that are not UTF-8 in a string as
 * U+FFFD: content read to be written back must hold none. */
gboolean     duet_json_check_round_trip         (const char  *data,
                                              gsize        length,
                                              GError     **error);
/* One JSON value, bounded (size, nesting), UTF-8, with each escaped lone
 * UTF-16 surrogate (see duet_json_find_lone_surrogate()) and each
 * ill-formed UTF-8 sequence in a string (see duet_json_utf8_repair()) read
 * as U+FFFD. */
JsonNode    *duet_json_parse                 (const char  *data,
                                              gssize       length,
                                              gsize        max_size,
                                              GError     **error) G_GNUC_WARN_UNUSED_RESULT;
JsonObject  *duet_json_parse_object          (GBytes      *bytes,
                                              gsize        max_size,
                                              GError     **error) G_GNUC_WARN_UNUSED_RESULT;
char        *duet_json_to_string             (JsonNode    *node) G_GNUC_WARN_UNUSED_RESULT;
char        *duet_json_object_to_string      (JsonObject  *object) G_GNUC_WARN_UNUSED_RESULT;

/* Typed lookups: NULL / FALSE with a DUET_API_ERROR_INVALID_RESPONSE error
 * naming the member when it is missing or of the wrong type. */
const char  *duet_json_require_string        (JsonObject  *object,
                                              const char  *member,
                                              GError     **error);
JsonObject  *duet_json_require_object        (JsonObject  *object,
                                              const char  *member,
                                              GError     **error);
JsonArray   *duet_json_require_array         (JsonObject  *object,
                                              const char  *member,
                                              GError     **error);

/* Lenient lookups: NULL / the fallback when missing or of the wrong type. */
const char  *duet_json_get_string            (JsonObject  *object,
                                              const char  *member);
JsonObject  *duet_json_get_object            (JsonObject  *object,
                                              const char  *member);
JsonArray   *duet_json_get_array             (JsonObject  *object,
                                              const char  *member);
gint64       duet_json_get_int               (JsonObject  *object,
                                              const char  *member,
                                              gint64       fallback);
gboolean     duet_json_get_bool              (JsonObject  *object,
                                              const char  *member,
                                              gboolean     fallback);

G_END_DECLS
