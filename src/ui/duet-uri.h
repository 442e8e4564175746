/* duet-uri.h: a user id from what a person pastes into Start Chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * No GTK here, so that the parser is tested on its own (tests/test-uri.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Accepts, with surrounding white space:
 *   @user:server
 *   matrix:u/user:server                  (any query, e.g. ?action=chat)
 *   https://matrix.to/#/@user:server      (any ?via=... after the id)
 * Percent-escapes in the URI forms are decoded.  Returns the user id, checked
 * with duet_matrix_is_valid_user_id, or NULL for anything else: rooms,
 * events, other hosts, extra path segments, control characters. */
char *duet_uri_parse_user_id (const char *text) G_GNUC_WARN_UNUSED_RESULT;
/* matrix:roomid/room:server (any query, e.g. ?via=...; percent-escapes
 * decoded): the room id "!room:server", checked; NULL for anything else. */
char *duet_uri_parse_room_id (const char *text) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
