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
#include "duet-text.h"

/* Per array of one response: a lazy-loaded state section or a timeline
 * slice is far shorter; anything longer is hostile. */
#define MAX_STATE_EVENTS 20000
#define MAX_TIMELINE_EVENTS 2000
#define MAX_FUNCTIONAL_MEMBERS 64
#define MAX_HEROES 16
#define MAX_TYPING 32
#define MAX_EPHEMERAL_EVENTS 100

typedef struct {
  DuetRoom   *room;
  const char *own_user_id;
  gboolean    in_invite;   /* reading invite_state */
} Ingest;

static JsonObject *
array_object (JsonArray *array,
              guint      index)
{
  JsonNode *node = json_array_get_element (array, index);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* A string member kept verbatim (an id or URL) only when short and valid. */
static const char *
get_room_id (JsonObject *object,
             const char *member)
{
  const char *room_id = duet_json_get_string (object, member);

  return room_id != NULL && duet_matrix_is_valid_room_id (room_id) ? room_id : NULL;
}

static const char *
get_avatar_url (JsonObject *content)
{
  const char *url = duet_json_get_string (content, "avatar_url");

  if (url == NULL || strlen (url) > DUET_TEXT_MAX_ID_BYTES ||
      !duet_mxc_parse (url, NULL, NULL, NULL))
    return NULL;
  return url;
}

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
      const char *user_id;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        continue;
      user_id = json_node_get_string (node);
      if (!duet_matrix_is_valid_user_id (user_id))
        continue;
      g_strv_builder_add (builder, user_id);
      count++;
    }

  return g_strv_builder_end (builder);
}

static void
apply_own_member_event (Ingest         *ingest,
                        JsonObject     *event,
                        JsonObject     *content,
                        DuetMembership  membership)
{
  if (membership == DUET_MEMBERSHIP_INVITE)
    {
      /* In invite_state our own member event is the full event: its sender
       * is who invited us, and only the invite says whether it is direct. */
      const char *sender = duet_json_get_string (event, "sender");

      if (sender != NULL && duet_matrix_is_valid_user_id (sender))
        _duet_room_set_inviter (ingest->room, sender);
      _duet_room_set_invite_is_direct (ingest->room,
                                       duet_json_get_bool (content, "is_direct", FALSE),
                                       TRUE);
      if (ingest->in_invite)
        _duet_room_note_activity (ingest->room, duet_json_get_int (event, "origin_server_ts", 0));
    }
  else if (membership == DUET_MEMBERSHIP_JOIN && !_duet_room_get_invite_seen (ingest->room))
    {
      /* We never saw the invite (another device took it): after a join the
       * flag survives only in the join event's prev_content. */
      JsonObject *prev = duet_json_get_object (duet_json_get_object (event, "unsigned"),
                                               "prev_content");

      const char *prev_sender = duet_json_get_string (duet_json_get_object (event, "unsigned"),
                                                      "prev_sender");

      if (g_strcmp0 (duet_json_get_string (prev, "membership"), "invite") == 0 &&
          duet_json_get_bool (prev, "is_direct", FALSE))
        {
          _duet_room_set_invite_is_direct (ingest->room, TRUE, FALSE);
          /* Who invited us: without it, rule 3 cannot match the room to
           * the partner (Synapse gives prev_sender with prev_content). */
          if (prev_sender != NULL && duet_matrix_is_valid_user_id (prev_sender) &&
              duet_room_get_inviter (ingest->room) == NULL)
            _duet_room_set_inviter (ingest->room, prev_sender);
        }
    }
}

static void
apply_member_event (Ingest     *ingest,
                    JsonObject *event,
                    const char *user_id,
                    JsonObject *content)
{
  DuetMembership membership;
  g_autofree char *display_name = NULL;

  if (!duet_matrix_is_valid_user_id (user_id))
    return;

  membership = duet_membership_from_string (duet_json_get_string (content, "membership"));
  if (membership == DUET_MEMBERSHIP_NONE)
    return;

  display_name = duet_text_sanitize_line (duet_json_get_string (content, "displayname"),
                                          DUET_TEXT_MAX_NAME_CHARS);
  _duet_room_update_member (ingest->room, user_id, membership, display_name,
                            get_avatar_url (content));

  if (g_strcmp0 (user_id, ingest->own_user_id) == 0)
    apply_own_member_event (ingest, event, content, membership);
}

static void
apply_state_event (Ingest     *ingest,
                   JsonObject *event)
{
  const char *type = duet_json_get_string (event, "type");
  const char *state_key = duet_json_get_string (event, "state_key");
  JsonObject *content = duet_json_get_object (event, "content");
  DuetRoom *room = ingest->room;

  if (type == NULL || state_key == NULL || content == NULL)
    return;

  if (g_str_equal (type, "m.room.member"))
    {
      apply_member_event (ingest, event, state_key, content);
      return;
    }

  /* The rest are room-wide: only the empty state key counts. */
  if (*state_key != '\0')
    return;

  if (g_str_equal (type, "m.room.name"))
    {
      g_autofree char *name = duet_text_sanitize_line (duet_json_get_string (content, "name"),
                                                       DUET_TEXT_MAX_NAME_CHARS);
      _duet_room_set_explicit_name (room, name);
    }
  else if (g_str_equal (type, "m.room.encryption"))
    {
      /* Encryption cannot be turned off again: any such event flags the room. */
      _duet_room_set_encrypted (room, TRUE);
    }
  else if (g_str_equal (type, "m.room.tombstone"))
    {
      const char *replacement = get_room_id (content, "replacement_room");

      /* A room that names itself as replacement would loop the resolver. */
      if (g_strcmp0 (replacement, duet_room_get_id (room)) == 0)
        replacement = NULL;
      _duet_room_set_replacement_room (room, replacement);
    }
  else if (g_str_equal (type, "m.room.create"))
    {
      const char *predecessor = get_room_id (duet_json_get_object (content, "predecessor"),
                                             "room_id");

      if (g_strcmp0 (predecessor, duet_room_get_id (room)) == 0)
        predecessor = NULL;
      _duet_room_set_predecessor (room, predecessor);
    }
  else if (g_str_equal (type, "io.element.functional_members"))
    {
      _duet_room_take_functional_members (room,
        dup_user_ids (duet_json_get_array (content, "service_members"), MAX_FUNCTIONAL_MEMBERS));
    }
}

static void
apply_state_events (Ingest    *ingest,
                    JsonArray *events)
{
  if (events == NULL)
    return;

  for (guint i = 0; i < json_array_get_length (events) && i < MAX_STATE_EVENTS; i++)
    {
      JsonObject *event = array_object (events, i);

      if (event != NULL)
        apply_state_event (ingest, event);
    }
}

static char *
message_preview (const char *type,
                 JsonObject *content)
{
  if (g_str_equal (type, "m.room.encrypted"))
    return g_strdup (_("encrypted — not readable in Duet yet"));
  if (g_str_equal (type, "m.room.message"))
    return duet_text_sanitize_line (duet_json_get_string (content, "body"),
                                    DUET_TEXT_MAX_PREVIEW_CHARS);
  return NULL;
}

static void
apply_timeline_event (Ingest     *ingest,
                      JsonObject *event)
{
  const char *type = duet_json_get_string (event, "type");
  const char *event_id = duet_json_get_string (event, "event_id");
  gint64 ts = duet_json_get_int (event, "origin_server_ts", 0);
  JsonObject *content = duet_json_get_object (event, "content");

  if (type == NULL || content == NULL)
    return;

  if (duet_json_get_string (event, "state_key") != NULL)
    apply_state_event (ingest, event);
  else
    {
      g_autofree char *preview = message_preview (type, content);

      /* Events come oldest first: the last preview of a batch is the newest. */
      if (preview != NULL)
        _duet_room_set_last_message (ingest->room, preview);
    }

  if (ts > 0)
    _duet_room_note_activity (ingest->room, ts);
  if (event_id != NULL && duet_matrix_is_valid_event_id (event_id))
    _duet_room_set_last_event_id (ingest->room, event_id);
}

static void
apply_timeline (Ingest     *ingest,
                JsonObject *timeline)
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
  start = length > MAX_TIMELINE_EVENTS ? length - MAX_TIMELINE_EVENTS : 0;
  for (guint i = start; i < length; i++)
    {
      JsonObject *event = array_object (events, i);

      if (event != NULL)
        apply_timeline_event (ingest, event);
    }
}

static void
apply_unread (DuetRoom   *room,
              JsonObject *room_json)
{
  JsonObject *unread = duet_json_get_object (room_json, "unread_notifications");
  gint64 count;

  if (unread == NULL)
    return;
  count = duet_json_get_int (unread, "notification_count", -1);
  if (count >= 0)
    _duet_room_set_unread_count (room, (guint) MIN (count, (gint64) G_MAXUINT32));
}

/* m.typing replaces the whole list each time it comes. */
static void
apply_ephemeral (DuetRoom   *room,
                 JsonObject *room_json,
                 const char *own_user_id)
{
  JsonArray *events = duet_json_get_array (duet_json_get_object (room_json, "ephemeral"), "events");

  for (guint i = 0; events != NULL && i < json_array_get_length (events) && i < MAX_EPHEMERAL_EVENTS; i++)
    {
      JsonObject *event = array_object (events, i);
      JsonArray *user_ids;
      g_auto(GStrv) all = NULL;
      g_autoptr(GStrvBuilder) others = NULL;

      if (g_strcmp0 (duet_json_get_string (event, "type"), "m.typing") != 0)
        continue;
      user_ids = duet_json_get_array (duet_json_get_object (event, "content"), "user_ids");
      if (user_ids == NULL)
        continue;
      all = dup_user_ids (user_ids, MAX_TYPING + 1);
      others = g_strv_builder_new ();
      for (guint j = 0, kept = 0; all != NULL && all[j] != NULL && kept < MAX_TYPING; j++)
        if (g_strcmp0 (all[j], own_user_id) != 0 &&
            !g_strv_contains ((const char * const *) all + j + 1, all[j]))
          {
            g_strv_builder_add (others, all[j]);
            kept++;
          }
      _duet_room_take_typing (room, g_strv_builder_end (others));
    }
}

static void
apply_summary (DuetRoom   *room,
               JsonObject *room_json)
{
  JsonObject *summary = duet_json_get_object (room_json, "summary");
  JsonArray *heroes = duet_json_get_array (summary, "m.heroes");

  /* An absent summary or heroes field means "unchanged". */
  if (heroes != NULL)
    _duet_room_take_heroes (room, dup_user_ids (heroes, MAX_HEROES));
}

static void
apply_room (DuetRoom       *self,
            JsonObject     *room_json,
            const char     *own_user_id,
            DuetMembership  membership)
{
  Ingest ingest = { self, own_user_id, FALSE };

  g_return_if_fail (DUET_IS_ROOM (self));

  /* One burst of notifications per room and response. */
  g_object_freeze_notify (G_OBJECT (self));

  _duet_room_set_own_membership (self, membership);
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
          apply_summary (self, room_json);
          if (membership == DUET_MEMBERSHIP_JOIN)
            {
              apply_unread (self, room_json);
              apply_ephemeral (self, room_json, own_user_id);
            }
        }
    }
  /* Nothing is unread in a room we are out of. */
  if (membership == DUET_MEMBERSHIP_LEAVE)
    {
      _duet_room_set_unread_count (self, 0);
      _duet_room_take_typing (self, NULL);
    }
  _duet_room_update_name (self);

  g_object_thaw_notify (G_OBJECT (self));
}

void
_duet_room_apply_state (DuetRoom   *self,
                        JsonArray  *events,
                        const char *own_user_id)
{
  Ingest ingest = { self, own_user_id, FALSE };

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
  Ingest ingest = { self, own_user_id, FALSE };

  g_return_if_fail (DUET_IS_ROOM (self));

  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = 0; events != NULL && i < json_array_get_length (events) && i < MAX_STATE_EVENTS; i++)
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
