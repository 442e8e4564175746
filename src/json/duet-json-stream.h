/* duet-json-stream.h: a /sync body split into parts as its bytes arrive
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A whole-document json-glib tree of a large /sync response is about ten
 * times its bytes.  This tokenizer reads the body chunk by chunk and hands
 * on each top-level member on its own (next_batch, account_data, ...),
 * except one member (for /sync: "rooms") whose objects are split one level
 * further, so that every room of rooms.join / invite / leave is a part of
 * its own.  Each part is the exact text of one JSON value, for json-glib
 * (duet_json_part_parse()) or to store as it is, but for the escapes of
 * lone UTF-16 surrogates, rewritten as \ufffd (U+FFFD) in the part and in
 * member names (see duet_json_find_lone_surrogate()), and bytes that are
 * not UTF-8 in their strings, each maximal subpart rewritten as U+FFFD
 * (see duet_json_utf8_repair(); the part then comes from a copy, up to
 * three times as long as sent); no tree of the whole document ever exists.
 *
 * Bounds, as for every body Duet parses: the whole body and each part have
 * a size cap, nesting (counted from the document's root) is at most
 * DUET_JSON_MAX_DEPTH, member names are short, the text outside strings
 * is UTF-8 (ASCII, in fact, or the parts' readers refuse it), and
 * neither comments nor single quotes pass.  The structure around the parts
 * must be objects; anything else is refused with DUET_JSON_ERROR_INVALID
 * (src/api turns these errors into DUET_API_ERROR ones).
 */
#pragma once

#include <json-glib/json-glib.h>

#include "duet-json-error.h"

G_BEGIN_DECLS

/* Member names longer than this (in bytes, as sent) are refused. */
#define DUET_JSON_STREAM_MAX_KEY 1024

typedef struct {
  /* NULL for a top-level member; else the member of the split object it
   * sits in (for /sync: "join", "invite", "leave", "knock"). */
  const char *section;
  /* The member name (unescaped, valid UTF-8, no NUL): a top-level name or
   * a room id. */
  const char *name;
  /* The value's JSON text, not NUL-terminated; valid only during the call. */
  const char *data;
  gsize       length;
  /* Nesting of the value's container in the whole document (1 for a
   * top-level member), so that a parse of the part keeps the global limit. */
  guint       depth;
} DuetJsonPart;

/* Returns FALSE with @error set to stop the stream. */
typedef gboolean (*DuetJsonPartFunc) (const DuetJsonPart  *part,
                                      gpointer             user_data,
                                      GError             **error);

typedef struct _DuetJsonStream DuetJsonStream;

/* @split_member: the top-level member whose object of objects is split
 * (NULL: none).  @max_size caps the body, @max_part_size each part. */
DuetJsonStream *duet_json_stream_new     (const char        *split_member,
                                          gsize              max_size,
                                          gsize              max_part_size,
                                          DuetJsonPartFunc   func,
                                          gpointer           user_data);
void            duet_json_stream_free    (DuetJsonStream    *self);
/* Takes the next bytes of the body; FALSE with @error once the body is
 * refused (every later call fails the same way). */
gboolean        duet_json_stream_feed    (DuetJsonStream    *self,
                                          const char        *data,
                                          gsize              length,
                                          GError           **error);
/* The body ended: FALSE unless it was one complete object. */
gboolean        duet_json_stream_finish  (DuetJsonStream    *self,
                                          GError           **error);
gsize           duet_json_stream_get_size (DuetJsonStream   *self);

/* json-glib's tree of one part (UTF-8 is checked here). */
JsonNode       *duet_json_part_parse     (const DuetJsonPart *part,
                                          GError            **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DuetJsonStream, duet_json_stream_free)

G_END_DECLS
