/* duet-room-sync.c: what one room's entry of a /sync response means
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here comes from the server and is untrusted: a member of the
 * wrong type, an event that is not an object or a string of any length is
 * skipped or cut, never trusted and never fatal.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "duet-json.h"
#include "duet-matrix-id.h"
#include "duet-room-private.h"
#include "duet-room-sync-private.h"
#include "duet-text.h"

static JsonObject *
array_object (JsonArray *array,
              guint      index)
{
  JsonNode *node = json_array_get_element (array, index);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* --- What the fields mean (shared with duet-room-sync-raw.c) ------------- */

/* A room id kept verbatim only when short and valid. */
static const char *
valid_room_id (const char *room_id)
{
  return room_id != NULL && duet_matrix_is_valid_room_id (room_id) ? room_id : NULL;
}

static const char *
valid_avatar_url (const char *url)
{
  if (url == NULL || strlen (url) > DUET_TEXT_MAX_ID_BYTES ||
      !duet_mxc_parse (url, NULL, NULL, NULL))
    return NULL;
  return url;
}

gboolean
_duet_room_sync_add_user_id (GStrvBuilder *builder,
                             const char   *user_id)
{
  if (user_id == NULL || !duet_matrix_is_valid_user_id (user_id))
    return FALSE;
  g_strv_builder_add (builder, user_id);
  return TRUE;
}

static void
apply_own_member_event (DuetRoomIngest         *ingest,
                        const DuetMemberFields *fields,
                        DuetMembership          membership)
{
  if (membership == DUET_MEMBERSHIP_INVITE)
    {
      /* In invite_state our own member event is the full event: its sender
       * is who invited us, and only the invite says whether it is direct. */
      if (fields->sender != NULL && duet_matrix_is_valid_user_id (fields->sender))
        _duet_room_set_inviter (ingest->room, fields->sender);
      _duet_room_set_invite_is_direct (ingest->room, fields->is_direct, TRUE);
      if (ingest->in_invite)
        _duet_room_note_activity (ingest->room, fields->origin_server_ts);
    }
  else if (membership == DUET_MEMBERSHIP_JOIN && !_duet_room_get_invite_seen (ingest->room))
    {
      /* We never saw the invite (another device took it): after a join the
       * flag survives only in the join event's prev_content. */
      if (g_strcmp0 (fields->prev_membership, "invite") == 0 && fields->prev_is_direct)
        {
          _duet_room_set_invite_is_direct (ingest->room, TRUE, FALSE);
          /* Who invited us: without it, rule 3 cannot match the room to
           * the partner (Synapse gives prev_sender with prev_content). */
          if (fields->prev_sender != NULL && duet_matrix_is_valid_user_id (fields->prev_sender) &&
              duet_room_get_inviter (ingest->room) == NULL)
            _duet_room_set_inviter (ingest->room, fields->prev_sender);
        }
    }
}

gboolean
_duet_room_sync_is_own_member (DuetRoomIngest *ingest,
                               const char     *user_id)
{
  return g_strcmp0 (user_id, ingest->own_user_id) == 0;
}

void
_duet_room_sync_apply_member (DuetRoomIngest         *ingest,
                              const DuetMemberFields *fields)
{
  DuetMembership membership;
  g_autofree char *display_name = NULL;

  if (!duet_matrix_is_valid_user_id (fields->user_id))
    return;

  membership = duet_membership_from_string (fields->membership);
  if (membership == DUET_MEMBERSHIP_NONE)
    return;

  display_name = duet_text_sanitize_line (fields->displayname, DUET_TEXT_MAX_NAME_CHARS);
  _duet_room_update_member (ingest->room, fields->user_id, membership, display_name,
                            valid_avatar_url (fields->avatar_url));

  if (_duet_room_sync_is_own_member (ingest, fields->user_id))
    apply_own_member_event (ingest, fields, membership);
}

DuetRoomStateKind
_duet_room_sync_state_kind (const char *type,
                            const char *state_key)
{
  if (g_str_equal (type, "m.room.member"))
    return DUET_ROOM_STATE_MEMBER;
  /* The rest are room-wide: only the empty state key counts. */
  if (*state_key != '\0')
    return DUET_ROOM_STATE_OTHER;
  if (g_str_equal (type, "m.room.name"))
    return DUET_ROOM_STATE_NAME;
  if (g_str_equal (type, "m.room.encryption"))
    return DUET_ROOM_STATE_ENCRYPTION;
  if (g_str_equal (type, "m.room.tombstone"))
    return DUET_ROOM_STATE_TOMBSTONE;
  if (g_str_equal (type, "m.room.create"))
    return DUET_ROOM_STATE_CREATE;
  if (g_str_equal (type, "io.element.functional_members"))
    return DUET_ROOM_STATE_FUNCTIONAL_MEMBERS;
  return DUET_ROOM_STATE_OTHER;
}

void
_duet_room_sync_apply_name (DuetRoomIngest *ingest,
                            const char     *name)
{
  g_autofree char *line = duet_text_sanitize_line (name, DUET_TEXT_MAX_NAME_CHARS);

  _duet_room_set_explicit_name (ingest->room, line);
}

void
_duet_room_sync_apply_encryption (DuetRoomIngest *ingest)
{
  /* Encryption cannot be turned off again: any such event flags the room. */
  _duet_room_set_encrypted (ingest->room, TRUE);
}

void
_duet_room_sync_apply_tombstone (DuetRoomIngest *ingest,
                                 const char     *replacement_room)
{
  const char *replacement = valid_room_id (replacement_room);

  /* A room that names itself as replacement would loop the resolver. */
  if (g_strcmp0 (replacement, duet_room_get_id (ingest->room)) == 0)
    replacement = NULL;
  _duet_room_set_replacement_room (ingest->room, replacement);
}

void
_duet_room_sync_apply_create (DuetRoomIngest *ingest,
                              const char     *predecessor_room)
{
  const char *predecessor = valid_room_id (predecessor_room);

  if (g_strcmp0 (predecessor, duet_room_get_id (ingest->room)) == 0)
    predecessor = NULL;
  _duet_room_set_predecessor (ingest->room, predecessor);
}

void
_duet_room_sync_apply_message (DuetRoomIngest *ingest,
                               const char     *type,
                               const char     *body)
{
  g_autofree char *preview = NULL;

  if (g_str_equal (type, "m.room.encrypted"))
    preview = g_strdup (_("encrypted — not readable in Duet yet"));
  else if (g_str_equal (type, "m.room.message"))
    preview = duet_text_sanitize_line (body, DUET_TEXT_MAX_PREVIEW_CHARS);

  /* Events come oldest first: the last preview of a batch is the newest. */
  if (preview != NULL)
    _duet_room_set_last_message (ingest->room, preview);
}

void
_duet_room_sync_apply_event_meta (DuetRoomIngest *ingest,
                                  gint64          origin_server_ts,
                                  const char     *event_id)
{
  if (origin_server_ts > 0)
    _duet_room_note_activity (ingest->room, origin_server_ts);
  if (event_id != NULL && duet_matrix_is_valid_event_id (event_id))
    _duet_room_set_last_event_id (ingest->room, event_id);
}

void
_duet_room_sync_apply_unread (DuetRoomIngest *ingest,
                              gint64          count)
{
  if (count >= 0)
    _duet_room_set_unread_count (ingest->room, (guint) MIN (count, (gint64) G_MAXUINT32));
}

/* m.typing replaces the whole list each time it comes; @all holds the
 * valid user ids of its content, at most DUET_ROOM_SYNC_MAX_TYPING + 1. */
void
_duet_room_sync_apply_typing (DuetRoomIngest *ingest,
                              GStrv           all)
{
  g_autoptr(GStrvBuilder) others = g_strv_builder_new ();

  for (guint j = 0, kept = 0; all != NULL && all[j] != NULL && kept < DUET_ROOM_SYNC_MAX_TYPING; j++)
    if (g_strcmp0 (all[j], ingest->own_user_id) != 0 &&
        !g_strv_contains ((const char * const *) all + j + 1, all[j]))
      {
        g_strv_builder_add (others, all[j]);
        kept++;
      }
  _duet_room_take_typing (ingest->room, g_strv_builder_end (others));
}

void
_duet_room_sync_begin (DuetRoomIngest *ingest,
                       DuetMembership  membership)
{
  /* One burst of notifications per room and response. */
  g_object_freeze_notify (G_OBJECT (ingest->room));
  _duet_room_set_own_membership (ingest->room, membership);
}

void
_duet_room_sync_end (DuetRoomIngest *ingest,
                     DuetMembership  membership)
{
  /* Nothing is unread in a room we are out of. */
  if (membership == DUET_MEMBERSHIP_LEAVE)
    {
      _duet_room_set_unread_count (ingest->room, 0);
      _duet_room_take_typing (ingest->room, NULL);
    }
  _duet_room_update_name (ingest->room);
  g_object_thaw_notify (G_OBJECT (ingest->room));
}

/* --- Read from json-glib's tree ------------------------------------------- */

/* Valid user ids of a JSON array, at most @max of them, or NULL. */
static GStrv
dup_user_ids (JsonArray *array,
              guint      max)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint count = 0;

  if (array == NULL)
    return NULL;

  for (guint i = 0; i < json_array_get_length (array) && count < max; i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        continue;
      if (_duet_room_sync_add_user_id (builder, json_node_get_string (node)))
        count++;
    }

  return g_strv_builder_end (builder);
}

static void
apply_member_event (DuetRoomIngest *ingest,
                    JsonObject     *event,
                    const char     *user_id,
                    JsonObject     *content)
{
  DuetMemberFields fields = {
    .user_id = user_id,
    .membership = duet_json_get_string (content, "membership"),
    .displayname = duet_json_get_string (content, "displayname"),
    .avatar_url = duet_json_get_string (content, "avatar_url"),
  };

  if (_duet_room_sync_is_own_member (ingest, user_id))
    {
      JsonObject *unsigned_ = duet_json_get_object (event, "unsigned");
      JsonObject *prev = duet_json_get_object (unsigned_, "prev_content");

      fields.sender = duet_json_get_string (event, "sender");
      fields.is_direct = duet_json_get_bool (content, "is_direct", FALSE);
      fields.origin_server_ts = duet_json_get_int (event, "origin_server_ts", 0);
      fields.prev_membership = duet_json_get_string (prev, "membership");
      fields.prev_is_direct = duet_json_get_bool (prev, "is_direct", FALSE);
      fields.prev_sender = duet_json_get_string (unsigned_, "prev_sender");
    }
  _duet_room_sync_apply_member (ingest, &fields);
}

static void
apply_state_event (DuetRoomIngest *ingest,
                   JsonObject     *event)
{
  const char *type = duet_json_get_string (event, "type");
  const char *state_key = duet_json_get_string (event, "state_key");
  JsonObject *content = duet_json_get_object (event, "content");

  if (type == NULL || state_key == NULL || content == NULL)
    return;

  switch (_duet_room_sync_state_kind (type, state_key))
    {
    case DUET_ROOM_STATE_MEMBER:
      apply_member_event (ingest, event, state_key, content);
      break;
    case DUET_ROOM_STATE_NAME:
      _duet_room_sync_apply_name (ingest, duet_json_get_string (content, "name"));
      break;
    case DUET_ROOM_STATE_ENCRYPTION:
      _duet_room_sync_apply_encryption (ingest);
      break;
    case DUET_ROOM_STATE_TOMBSTONE:
      _duet_room_sync_apply_tombstone (ingest, duet_json_get_string (content, "replacement_room"));
      break;
    case DUET_ROOM_STATE_CREATE:
      _duet_room_sync_apply_create (ingest, duet_json_get_string (duet_json_get_object (content, "predecessor"),
                                                                  "room_id"));
      break;
    case DUET_ROOM_STATE_FUNCTIONAL_MEMBERS:
      _duet_room_take_functional_members (ingest->room,
        dup_user_ids (duet_json_get_array (content, "service_members"),
                      DUET_ROOM_SYNC_MAX_FUNCTIONAL_MEMBERS));
      break;
    case DUET_ROOM_STATE_OTHER:
    default:
      break;
    }
}

static void
apply_state_events (DuetRoomIngest *ingest,
                    JsonArray      *events)
{
  if (events == NULL)
    return;

  for (guint i = 0; i < json_array_get_length (events) && i < DUET_ROOM_SYNC_MAX_STATE_EVENTS; i++)
    {
      JsonObject *event = array_object (events, i);

      if (event != NULL)
        apply_state_event (ingest, event);
    }
}

static void
apply_timeline_event (DuetRoomIngest *ingest,
                      JsonObject     *event)
{
  const char *type = duet_json_get_string (event, "type");
  JsonObject *content = duet_json_get_object (event, "content");

  if (type == NULL || content == NULL)
    return;

  if (duet_json_get_string (event, "state_key") != NULL)
    apply_state_event (ingest, event);
  else
    _duet_room_sync_apply_message (ingest, type, duet_json_get_string (content, "body"));

  _duet_room_sync_apply_event_meta (ingest, duet_json_get_int (event, "origin_server_ts", 0),
                                    duet_json_get_string (event, "event_id"));
}

static void
apply_timeline (DuetRoomIngest *ingest,
                JsonObject     *timeline)
{
  JsonArray *events = duet_json_get_array (timeline, "events");
  guint length, start;

  /* History was left out between what we had and this slice. */
  if (duet_json_get_bool (timeline, "limited", FALSE))
    _duet_room_set_has_gap (ingest->room, TRUE);

  if (events == NULL)
    return;

  /* Keep the newest events when there are too many. */
  length = json_array_get_length (events);
  start = length > DUET_ROOM_SYNC_MAX_TIMELINE_EVENTS ? length - DUET_ROOM_SYNC_MAX_TIMELINE_EVENTS : 0;
  for (guint i = start; i < length; i++)
    {
      JsonObject *event = array_object (events, i);

      if (event != NULL)
        apply_timeline_event (ingest, event);
    }
}

static void
apply_unread (DuetRoomIngest *ingest,
              JsonObject     *room_json)
{
  JsonObject *unread = duet_json_get_object (room_json, "unread_notifications");

  if (unread != NULL)
    _duet_room_sync_apply_unread (ingest, duet_json_get_int (unread, "notification_count", -1));
}

static void
apply_ephemeral (DuetRoomIngest *ingest,
                 JsonObject     *room_json)
{
  JsonArray *events = duet_json_get_array (duet_json_get_object (room_json, "ephemeral"), "events");

  for (guint i = 0; events != NULL && i < json_array_get_length (events) && i < DUET_ROOM_SYNC_MAX_EPHEMERAL_EVENTS; i++)
    {
      JsonObject *event = array_object (events, i);
      JsonArray *user_ids;
      g_auto(GStrv) all = NULL;

      if (g_strcmp0 (duet_json_get_string (event, "type"), "m.typing") != 0)
        continue;
      user_ids = duet_json_get_array (duet_json_get_object (event, "content"), "user_ids");
      if (user_ids == NULL)
        continue;
      all = dup_user_ids (user_ids, DUET_ROOM_SYNC_MAX_TYPING + 1);
      _duet_room_sync_apply_typing (ingest, all);
    }
}

static void
apply_summary (DuetRoomIngest *ingest,
               JsonObject     *room_json)
{
  JsonObject *summary = duet_json_get_object (room_json, "summary");
  JsonArray *heroes = duet_json_get_array (summary, "m.heroes");

  /* An absent summary or heroes field means "unchanged". */
  if (heroes != NULL)
    _duet_room_take_heroes (ingest->room, dup_user_ids (heroes, DUET_ROOM_SYNC_MAX_HEROES));
}

static void
apply_room (DuetRoom       *self,
            JsonObject     *room_json,
            const char     *own_user_id,
            DuetMembership  membership)
{
  DuetRoomIngest ingest = { self, own_user_id, FALSE };

  g_return_if_fail (DUET_IS_ROOM (self));

  _duet_room_sync_begin (&ingest, membership);
  if (room_json != NULL)
    {
      if (membership == DUET_MEMBERSHIP_INVITE)
        {
          ingest.in_invite = TRUE;
          apply_state_events (&ingest, duet_json_get_array (duet_json_get_object (room_json,
                                                                                  "invite_state"),
                                                            "events"));
        }
      else
        {
          apply_state_events (&ingest, duet_json_get_array (duet_json_get_object (room_json, "state"),
                                                            "events"));
          apply_timeline (&ingest, duet_json_get_object (room_json, "timeline"));
          apply_summary (&ingest, room_json);
          if (membership == DUET_MEMBERSHIP_JOIN)
            {
              apply_unread (&ingest, room_json);
              apply_ephemeral (&ingest, room_json);
            }
        }
    }
  _duet_room_sync_end (&ingest, membership);
}

void
_duet_room_apply_state (DuetRoom   *self,
                        JsonArray  *events,
                        const char *own_user_id)
{
  DuetRoomIngest ingest = { self, own_user_id, FALSE };

  g_return_if_fail (DUET_IS_ROOM (self));

  g_object_freeze_notify (G_OBJECT (self));
  apply_state_events (&ingest, events);
  _duet_room_update_name (self);
  g_object_thaw_notify (G_OBJECT (self));
}

void
_duet_room_add_cached_members (DuetRoom   *self,
                               JsonArray  *events,
                               const char *own_user_id)
{
  DuetRoomIngest ingest = { self, own_user_id, FALSE };

  g_return_if_fail (DUET_IS_ROOM (self));

  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = 0; events != NULL && i < json_array_get_length (events) && i < DUET_ROOM_SYNC_MAX_STATE_EVENTS; i++)
    {
      JsonObject *event = array_object (events, i);
      const char *user_id = duet_json_get_string (event, "state_key");

      if (user_id == NULL || g_strcmp0 (duet_json_get_string (event, "type"), "m.room.member") != 0 ||
          duet_room_lookup_member (self, user_id) != NULL)
        continue;
      apply_state_event (&ingest, event);
    }
  _duet_room_set_members_partial (self, FALSE);
  _duet_room_update_name (self);
  g_object_thaw_notify (G_OBJECT (self));
}

void
_duet_room_apply_joined (DuetRoom   *self,
                         JsonObject *room_json,
                         const char *own_user_id)
{
  apply_room (self, room_json, own_user_id, DUET_MEMBERSHIP_JOIN);
}

void
_duet_room_apply_invited (DuetRoom   *self,
                          JsonObject *room_json,
                          const char *own_user_id)
{
  apply_room (self, room_json, own_user_id, DUET_MEMBERSHIP_INVITE);
}

void
_duet_room_apply_left (DuetRoom   *self,
                       JsonObject *room_json,
                       const char *own_user_id)
{
  apply_room (self, room_json, own_user_id, DUET_MEMBERSHIP_LEAVE);
}
