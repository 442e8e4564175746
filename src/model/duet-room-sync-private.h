/* duet-room-sync-private.h: what a room's /sync entry means, whoever reads it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A room's entry is read from json-glib's tree (duet-room-sync.c) or from
 * its text in place (duet-room-sync-raw.c).  Both readers only find the
 * fields, with json-glib's rules (a member of another type is absent, the
 * last of a repeated name wins, a string ends at U+0000); what the fields
 * mean, and every check on ids, URLs and text, is here, once.
 */
#pragma once

#include "duet-room-private.h"

G_BEGIN_DECLS

/* Per array of one response: a lazy-loaded state section or a timeline
 * slice is far shorter; anything longer is hostile. */
#define DUET_ROOM_SYNC_MAX_STATE_EVENTS 20000
#define DUET_ROOM_SYNC_MAX_TIMELINE_EVENTS 2000
#define DUET_ROOM_SYNC_MAX_FUNCTIONAL_MEMBERS 64
#define DUET_ROOM_SYNC_MAX_HEROES 16
#define DUET_ROOM_SYNC_MAX_TYPING 32
#define DUET_ROOM_SYNC_MAX_EPHEMERAL_EVENTS 100

typedef struct {
  DuetRoom   *room;
  const char *own_user_id;
  gboolean    in_invite;   /* reading invite_state */
} DuetRoomIngest;

/* An m.room.member state event; the fields after avatar_url are read only
 * for our own member event (_duet_room_sync_is_own_member()). */
typedef struct {
  const char *user_id;          /* state_key */
  const char *membership;       /* content */
  const char *displayname;
  const char *avatar_url;
  const char *sender;           /* the event */
  gboolean    is_direct;        /* content */
  gint64      origin_server_ts; /* the event, 0 when absent */
  const char *prev_membership;  /* unsigned.prev_content */
  gboolean    prev_is_direct;
  const char *prev_sender;      /* unsigned */
} DuetMemberFields;

typedef enum {
  DUET_ROOM_STATE_OTHER,
  DUET_ROOM_STATE_MEMBER,
  DUET_ROOM_STATE_NAME,                /* content.name */
  DUET_ROOM_STATE_ENCRYPTION,
  DUET_ROOM_STATE_TOMBSTONE,           /* content.replacement_room */
  DUET_ROOM_STATE_CREATE,              /* content.predecessor.room_id */
  DUET_ROOM_STATE_FUNCTIONAL_MEMBERS,  /* content.service_members */
} DuetRoomStateKind;

/* A state event is read only with a string type and state_key and an
 * object content. */
DuetRoomStateKind _duet_room_sync_state_kind       (const char             *type,
                                                    const char             *state_key);
gboolean  _duet_room_sync_is_own_member            (DuetRoomIngest         *ingest,
                                                    const char             *user_id);
void      _duet_room_sync_apply_member             (DuetRoomIngest         *ingest,
                                                    const DuetMemberFields *fields);
void      _duet_room_sync_apply_name               (DuetRoomIngest         *ingest,
                                                    const char             *name);
void      _duet_room_sync_apply_encryption         (DuetRoomIngest         *ingest);
void      _duet_room_sync_apply_tombstone          (DuetRoomIngest         *ingest,
                                                    const char             *replacement_room);
void      _duet_room_sync_apply_create             (DuetRoomIngest         *ingest,
                                                    const char             *predecessor_room);
/* Adds @user_id (may be NULL) to @builder when it is a valid user id. */
gboolean  _duet_room_sync_add_user_id              (GStrvBuilder           *builder,
                                                    const char             *user_id);

/* A timeline event with a string type and an object content, but no
 * string state_key (those are state events, read as above). */
void      _duet_room_sync_apply_message            (DuetRoomIngest         *ingest,
                                                    const char             *type,
                                                    const char             *body);
/* Every timeline event with a string type and an object content. */
void      _duet_room_sync_apply_event_meta         (DuetRoomIngest         *ingest,
                                                    gint64                  origin_server_ts,
                                                    const char             *event_id);
/* unread_notifications.notification_count, -1 when absent. */
void      _duet_room_sync_apply_unread             (DuetRoomIngest         *ingest,
                                                    gint64                  count);
/* One m.typing event: @all holds the valid user ids of content.user_ids,
 * at most DUET_ROOM_SYNC_MAX_TYPING + 1 of them. */
void      _duet_room_sync_apply_typing             (DuetRoomIngest         *ingest,
                                                    GStrv                   all);

/* Around one room's entry: one burst of notifications. */
void      _duet_room_sync_begin                    (DuetRoomIngest         *ingest,
                                                    DuetMembership          membership);
void      _duet_room_sync_end                      (DuetRoomIngest         *ingest,
                                                    DuetMembership          membership);

G_END_DECLS
