/* duet-room.h: one room as the model knows it from /sync
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "duet-member.h"

G_BEGIN_DECLS

#define DUET_TYPE_ROOM (duet_room_get_type ())
G_DECLARE_FINAL_TYPE (DuetRoom, duet_room, DUET, ROOM, GObject)

/* Properties (read-only, notified on real change): room-id, membership (our
 * own: JOIN, INVITE or LEAVE), name, last-activity, last-message,
 * unread-count, encrypted, replacement-room, predecessor, inviter,
 * invite-is-direct, has-gap, typing. */
const char    *duet_room_get_id                 (DuetRoom    *self);
DuetMembership duet_room_get_own_membership     (DuetRoom    *self);
/* m.room.name, else a name from the other members (display names, falling
 * back to user ids), else the room id.  Plain text, never markup. */
const char    *duet_room_get_name               (DuetRoom    *self);
/* origin_server_ts (ms) of the newest timeline event, 0 when none. */
gint64         duet_room_get_last_activity      (DuetRoom    *self);
/* A short plain-text preview of the newest message, or NULL. */
const char    *duet_room_get_last_message       (DuetRoom    *self);
const char    *duet_room_get_last_event_id      (DuetRoom    *self);
guint          duet_room_get_unread_count       (DuetRoom    *self);
gboolean       duet_room_is_encrypted           (DuetRoom    *self);
/* m.room.tombstone's replacement_room, or NULL. */
const char    *duet_room_get_replacement_room   (DuetRoom    *self);
/* m.room.create's predecessor.room_id, or NULL. */
const char    *duet_room_get_predecessor        (DuetRoom    *self);
/* For a room we were invited to: the sender of our invite member event. */
const char    *duet_room_get_inviter            (DuetRoom    *self);
/* Whether our invite said is_direct (kept after we join: it survives in the
 * join event's unsigned.prev_content, and we record it when the invite arrives). */
gboolean       duet_room_get_invite_is_direct   (DuetRoom    *self);
/* A limited timeline left history out that back-pagination must fill. */
gboolean       duet_room_has_gap                (DuetRoom    *self);
/* User ids of the others typing now (m.typing), never NULL. */
const char * const *duet_room_get_typing        (DuetRoom    *self);

DuetMember    *duet_room_lookup_member          (DuetRoom    *self,
                                                 const char  *user_id);
/* Members with @membership (DUET_MEMBERSHIP_NONE: all), a new array of refs. */
GPtrArray     *duet_room_dup_members            (DuetRoom    *self,
                                                 DuetMembership membership);
/* User ids in the io.element.functional_members state event (MSC4171). */
GStrv          duet_room_dup_functional_members (DuetRoom    *self);

G_END_DECLS
