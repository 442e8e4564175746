/* duet-room-private.h: how the session feeds a room from /sync
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-room.h"

G_BEGIN_DECLS

DuetRoom *_duet_room_new            (const char     *room_id,
                                     const char     *own_user_id) G_GNUC_WARN_UNUSED_RESULT;

/* One room's entry of a /sync response (rooms.join / invite / leave.<id>).
 * Anything of the wrong type is skipped; properties notify on real change.
 * Implemented in duet-room-sync.c. */
void      _duet_room_apply_joined   (DuetRoom       *self,
                                     JsonObject     *room_json,
                                     const char     *own_user_id);
void      _duet_room_apply_invited  (DuetRoom       *self,
                                     JsonObject     *room_json,
                                     const char     *own_user_id);
void      _duet_room_apply_left     (DuetRoom       *self,
                                     JsonObject     *room_json,
                                     const char     *own_user_id);

/* The same from the entry's JSON text, read in place (duet-room-sync-raw.c):
 * @data is one JSON value nested at @depth (as DuetJsonPart counts), which
 * the caller has checked strictly.  *@timeline_last_id (must be NULL) gets
 * the event id of the timeline's last event, when it has one. */
void      _duet_room_apply_raw      (DuetRoom       *self,
                                     DuetMembership  membership,
                                     const char     *data,
                                     gsize           length,
                                     guint           depth,
                                     const char     *own_user_id,
                                     char          **timeline_last_id);

/* Current state events from outside /sync (e.g. GET /members): members
 * and state only, nothing about the timeline or our own membership. */
void      _duet_room_apply_state    (DuetRoom       *self,
                                     JsonArray      *events,
                                     const char     *own_user_id);

/* The cached start read only some of the room's members (ours, the
 * heroes'): the rest wait in the store (duet_store_load_members_async). */
void      _duet_room_set_members_partial (DuetRoom     *self,
                                     gboolean        partial);
gboolean  _duet_room_get_members_partial (DuetRoom     *self);
/* Member events read back from the store for a room with partial
 * members: only the members the room does not know yet are taken (any it
 * knows came later, from sync), and the room is complete again. */
void      _duet_room_add_cached_members (DuetRoom      *self,
                                     JsonArray      *events,
                                     const char     *own_user_id);

/* @watch (NULL: none) is called when the room's inviter or
 * invite-is-direct changes, at once (before any notify:: handler hears of
 * it): the session keeps its index of direct invites with it. */
typedef void (*DuetRoomInviteWatch) (gpointer  user_data,
                                     DuetRoom *room);
void      _duet_room_set_invite_watch (DuetRoom       *self,
                                     DuetRoomInviteWatch watch,
                                     gpointer        user_data);

/* Back-pagination reached the events before the gap. */
void      _duet_room_clear_gap      (DuetRoom       *self);

/* --- Setters for duet-room-sync.c: each notifies only on real change ---- */

void      _duet_room_set_own_membership    (DuetRoom       *self,
                                            DuetMembership  membership);
/* m.room.name (sanitized) or NULL; the shown name follows. */
void      _duet_room_set_explicit_name     (DuetRoom       *self,
                                            const char     *name);
/* Moves last-activity forward only. */
void      _duet_room_note_activity         (DuetRoom       *self,
                                            gint64          origin_server_ts);
void      _duet_room_set_last_message      (DuetRoom       *self,
                                            const char     *preview);
void      _duet_room_set_last_event_id     (DuetRoom       *self,
                                            const char     *event_id);
void      _duet_room_set_unread_count      (DuetRoom       *self,
                                            guint           count);
void      _duet_room_set_encrypted         (DuetRoom       *self,
                                            gboolean        encrypted);
void      _duet_room_set_replacement_room  (DuetRoom       *self,
                                            const char     *room_id);
void      _duet_room_set_predecessor       (DuetRoom       *self,
                                            const char     *room_id);
void      _duet_room_set_inviter           (DuetRoom       *self,
                                            const char     *user_id);
/* @seen: the value comes from the invite itself (not a join's prev_content). */
void      _duet_room_set_invite_is_direct  (DuetRoom       *self,
                                            gboolean        is_direct,
                                            gboolean        seen);
gboolean  _duet_room_get_invite_seen       (DuetRoom       *self);
void      _duet_room_set_has_gap           (DuetRoom       *self,
                                            gboolean        has_gap);
/* Takes sanitized values; returns FALSE when the room holds too many
 * members to take a new one. */
gboolean  _duet_room_update_member         (DuetRoom       *self,
                                            const char     *user_id,
                                            DuetMembership  membership,
                                            const char     *display_name,
                                            const char     *avatar_url);
/* Takes ownership of @user_ids (valid user ids, may be NULL). */
void      _duet_room_take_functional_members (DuetRoom     *self,
                                            GStrv           user_ids);
/* summary.m.heroes: whom to name the room after when member events are
 * lazy-loaded away.  Takes ownership. */
void      _duet_room_take_heroes           (DuetRoom       *self,
                                            GStrv           user_ids);
/* The others typing now (valid user ids, ours left out); takes ownership,
 * NULL is none. */
void      _duet_room_take_typing           (DuetRoom       *self,
                                            GStrv           user_ids);
/* Recomputes the shown name from m.room.name, members and heroes. */
void      _duet_room_update_name           (DuetRoom       *self);

G_END_DECLS
