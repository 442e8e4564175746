/* duet-room-sync-raw.c: a room's /sync entry read from its text in place
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The streamed /sync hands each room's entry on as text.  A json-glib tree
 * of it costs more than the rest of the room's ingest together, and the
 * room needs a few members of it only: this reader finds them with the
 * iterators of duet-json-raw.h and hands them to the same appliers as the
 * tree reader (duet-room-sync-private.h).  It reads every field as
 * json-glib would: a member of another type counts as absent, the last of
 * a repeated name wins, a string ends at U+0000.  The caller has checked
 * the text strictly (duet_json_raw_validate()) first: a reply that is not
 * JSON is refused whole, never half taken in.
 */
#include "config.h"

#include <string.h>

#include "duet-json-raw.h"
#include "duet-room-private.h"
#include "duet-room-sync-private.h"

/* A value and the nesting to read it at. */
typedef struct {
  DuetJsonRaw raw;
  guint       depth;
} Value;

/* A string value as json-glib reads it (cut at U+0000), or NULL. */
static char *
dup_string (const Value *value)
{
  const DuetJsonRaw *raw = &value->raw;
  g_autoptr(JsonNode) node = NULL;

  if (duet_json_raw_type (raw) != '"' || raw->length < 2)
    return NULL;
  /* The common case: no escapes (g_strndup() ends at a NUL as well). */
  if (memchr (raw->data, '\\', raw->length) == NULL)
    return g_strndup (raw->data + 1, raw->length - 2);
  node = duet_json_raw_parse (raw->data, raw->length, value->depth, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (node));
}

/* A string value as dup_string() reads it, without a copy on the heap
 * when it is short and has no escapes (types, ids, names): most are only
 * compared or copied again. */
typedef struct {
  char *heap;
  char  small[112];
} Str;

#define STR_INIT { NULL, { 0 } }

static const char *
str_get (Str         *str,
         const Value *value)
{
  const DuetJsonRaw *raw = &value->raw;
  gsize length;

  g_clear_pointer (&str->heap, g_free);
  if (duet_json_raw_type (raw) != '"' || raw->length < 2)
    return NULL;
  length = raw->length - 2;
  /* Read as a C string, it ends at a NUL as g_strndup()'s copy does. */
  if (length < sizeof str->small && memchr (raw->data + 1, '\\', length) == NULL)
    {
      memcpy (str->small, raw->data + 1, length);
      str->small[length] = '\0';
      return str->small;
    }
  return str->heap = dup_string (value);
}

static void
str_clear (Str *str)
{
  g_clear_pointer (&str->heap, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Str, str_clear)

/* A member name (raw, quotes included) as json-glib keeps it equals
 * @literal; @escaped: the name holds a backslash. */
static gboolean
name_is (const DuetJsonRaw *name,
         gboolean           escaped,
         const char        *literal,
         gsize              length)
{
  g_autofree char *unescaped = NULL;
  Value value = { *name, 0 };

  if (!escaped)
    return name->length == length + 2 && memcmp (name->data + 1, literal, length) == 0;
  unescaped = dup_string (&value);
  return unescaped != NULL && g_str_equal (unescaped, literal);
}

static gboolean
name_escaped (const DuetJsonRaw *name)
{
  return memchr (name->data, '\\', name->length) != NULL;
}

/* duet_json_get_int() of the value. */
static gint64
get_int (const Value *value,
         gint64       fallback)
{
  char first = duet_json_raw_type (&value->raw);
  g_autoptr(JsonNode) node = NULL;

  if (first != '-' && !g_ascii_isdigit (first))
    return fallback;
  /* The common case, a timestamp or a count: up to 18 digits fit. */
  if (value->raw.length <= 18)
    {
      gint64 n = 0;
      gsize i;

      for (i = 0; i < value->raw.length && g_ascii_isdigit (value->raw.data[i]); i++)
        n = n * 10 + (value->raw.data[i] - '0');
      if (i == value->raw.length)
        return n;
    }
  node = duet_json_raw_parse (value->raw.data, value->raw.length, value->depth, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    {
      double d = json_node_get_double (node);

      /* A huge or fractional number is not a valid integer field. */
      if (d >= -9007199254740991.0 && d <= 9007199254740991.0 && d == (gint64) d)
        return (gint64) d;
    }
  return fallback;
}

/* duet_json_get_bool() of the value. */
static gboolean
get_bool (const Value *value,
          gboolean     fallback)
{
  if (value->raw.length == 4 && memcmp (value->raw.data, "true", 4) == 0)
    return TRUE;
  if (value->raw.length == 5 && memcmp (value->raw.data, "false", 5) == 0)
    return FALSE;
  return fallback;
}

static gboolean
is_object (const Value *value)
{
  return duet_json_raw_type (&value->raw) == '{';
}

static gboolean
is_array (const Value *value)
{
  return duet_json_raw_type (&value->raw) == '[';
}

/* The members @names (of @lengths bytes) of the object @iter iterates (to
 * its end), the last of each name; any not found has an empty value. */
static void
read_members_iter_n (DuetJsonRawIter   *iter,
                     const char *const *names,
                     const gsize       *lengths,
                     Value             *values,
                     guint              n_names)
{
  DuetJsonRaw name, member;

  memset (values, 0, n_names * sizeof *values);
  while (duet_json_raw_iter_next (iter, &name, &member))
    {
      gsize length = name.length - 2;
      guint i;

      /* The common case, a name without escapes, is matched in place:
       * by its length and first byte, then its bytes (names differ, so at
       * most one matches). */
      if (memchr (name.data, '\\', name.length) == NULL)
        {
          for (i = 0; i < n_names; i++)
            if (lengths[i] == length && name.data[1] == names[i][0] &&
                memcmp (name.data + 1, names[i], length) == 0)
              break;
        }
      else
        {
          for (i = 0; i < n_names; i++)
            if (name_is (&name, TRUE, names[i], lengths[i]))
              break;
        }
      if (i < n_names)
        {
          values[i].raw = member;
          values[i].depth = duet_json_raw_iter_child_depth (iter);
        }
    }
}

static void
read_members_iter (DuetJsonRawIter   *iter,
                   const char *const *names,
                   Value             *values,
                   guint              n_names)
{
  gsize lengths[8];

  g_assert (n_names <= G_N_ELEMENTS (lengths));
  for (guint i = 0; i < n_names; i++)
    lengths[i] = strlen (names[i]);
  read_members_iter_n (iter, names, lengths, values, n_names);
}

/* The same for the object @object (none found when it is no object). */
static void
read_members (const Value       *object,
              const char *const *names,
              Value             *values,
              guint              n_names)
{
  DuetJsonRawIter iter;

  if (!is_object (object) ||
      !duet_json_raw_iter_init (&iter, object->raw.data, object->raw.length, object->depth, FALSE))
    {
      memset (values, 0, n_names * sizeof *values);
      return;
    }
  read_members_iter (&iter, names, values, n_names);
}

/* The elements of the array @array (none when it is no array), at most
 * @max of them from its start. */
static GArray *
read_elements (const Value *array,
               guint        max)
{
  GArray *elements = g_array_new (FALSE, FALSE, sizeof (Value));
  DuetJsonRawIter iter;
  Value element;

  if (!is_array (array) ||
      !duet_json_raw_iter_init (&iter, array->raw.data, array->raw.length, array->depth, FALSE))
    return elements;
  element.depth = duet_json_raw_iter_child_depth (&iter);
  while (elements->len < max && duet_json_raw_iter_next (&iter, NULL, &element.raw))
    g_array_append_val (elements, element);
  return elements;
}

/* The "events" array of the member object @object. */
static GArray *
read_events (const Value *object,
             guint        max)
{
  static const char *const names[] = { "events" };
  Value events;

  read_members (object, names, &events, 1);
  return read_elements (&events, max);
}

/* Valid user ids of an array, at most @max of them, or NULL. */
static GStrv
dup_user_ids (const Value *array,
              guint        max)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  DuetJsonRawIter iter;
  Value element;
  guint count = 0;

  if (!is_array (array) ||
      !duet_json_raw_iter_init (&iter, array->raw.data, array->raw.length, array->depth, FALSE))
    return NULL;
  builder = g_strv_builder_new ();
  element.depth = duet_json_raw_iter_child_depth (&iter);
  while (count < max && duet_json_raw_iter_next (&iter, NULL, &element.raw))
    {
      g_autofree char *user_id = dup_string (&element);

      if (_duet_room_sync_add_user_id (builder, user_id))
        count++;
    }
  return g_strv_builder_end (builder);
}

/* --- Events ----------------------------------------------------------------- */

enum { EVENT_TYPE, EVENT_STATE_KEY, EVENT_CONTENT, EVENT_ID, EVENT_TS, EVENT_SENDER, EVENT_UNSIGNED, N_EVENT };
static const char *const event_names[N_EVENT] = {
  "type", "state_key", "content", "event_id", "origin_server_ts", "sender", "unsigned",
};
static const gsize event_name_lengths[N_EVENT] = {
  sizeof "type" - 1, sizeof "state_key" - 1, sizeof "content" - 1, sizeof "event_id" - 1,
  sizeof "origin_server_ts" - 1, sizeof "sender" - 1, sizeof "unsigned" - 1,
};

/* An element of an events array, its members read in the same pass as
 * the array (no object: all empty). */
typedef struct {
  Value members[N_EVENT];
} Event;

/* Whether the child an iterator entered is an object, and so iterable. */
static gboolean
entered_object (DuetJsonRawIter *child)
{
  return !duet_json_raw_iter_failed (child) && child->close == '}';
}

static gboolean
entered_array (DuetJsonRawIter *child)
{
  return !duet_json_raw_iter_failed (child) && child->close == ']';
}

/* Reads the next element of the array @array into @event; FALSE at its end. */
static gboolean
next_event (DuetJsonRawIter *array,
            Event           *event)
{
  DuetJsonRawIter child;
  DuetJsonRaw value;

  if (!duet_json_raw_iter_enter (array, NULL, &child, FALSE))
    return FALSE;
  if (entered_object (&child))
    read_members_iter_n (&child, event_names, event_name_lengths, event->members, N_EVENT);
  else
    memset (event, 0, sizeof *event);
  duet_json_raw_iter_leave (array, &child, &value);
  return TRUE;
}

/* The first @max events of the array @array (entered), replacing @events'. */
static void
collect_events (DuetJsonRawIter *array,
                GArray          *events,
                guint            max)
{
  g_array_set_size (events, 0);
  if (!entered_array (array))
    return;
  /* Read in place: an event is 224 bytes to copy. */
  while (events->len < max)
    {
      g_array_set_size (events, events->len + 1);
      if (!next_event (array, &g_array_index (events, Event, events->len - 1)))
        {
          g_array_set_size (events, events->len - 1);
          break;
        }
    }
}

/* The "events" of a state section (@section entered), replacing @events'. */
static void
collect_section (DuetJsonRawIter *section,
                 GArray          *events)
{
  DuetJsonRawIter child;
  DuetJsonRaw name, value;

  g_array_set_size (events, 0);
  if (!entered_object (section))
    return;
  while (duet_json_raw_iter_enter (section, &name, &child, FALSE))
    {
      if (name_is (&name, name_escaped (&name), "events", 6))
        collect_events (&child, events, DUET_ROOM_SYNC_MAX_STATE_EVENTS);
      duet_json_raw_iter_leave (section, &child, &value);
    }
}

/* The newest DUET_ROOM_SYNC_MAX_TIMELINE_EVENTS events of a timeline, in a
 * ring (memory stays bounded however many the text holds). */
typedef struct {
  Event    *ring;
  guint     count;     /* events seen in all */
  gboolean  limited;
} Timeline;

static Event *
timeline_event (Timeline *timeline,
                guint     index)
{
  return &timeline->ring[index % DUET_ROOM_SYNC_MAX_TIMELINE_EVENTS];
}

static void
collect_timeline (DuetJsonRawIter *object,
                  Timeline        *timeline)
{
  DuetJsonRawIter child;
  DuetJsonRaw name, value;

  timeline->count = 0;
  timeline->limited = FALSE;
  if (!entered_object (object))
    return;
  while (duet_json_raw_iter_enter (object, &name, &child, FALSE))
    {
      gboolean escaped = name_escaped (&name);
      gboolean events = name_is (&name, escaped, "events", 6);

      if (events)
        {
          Event event;

          timeline->count = 0;
          while (entered_array (&child) && next_event (&child, &event))
            {
              if (timeline->ring == NULL)
                timeline->ring = g_new (Event, DUET_ROOM_SYNC_MAX_TIMELINE_EVENTS);
              *timeline_event (timeline, timeline->count++) = event;
            }
        }
      duet_json_raw_iter_leave (object, &child, &value);
      if (!events && name_is (&name, escaped, "limited", 7))
        {
          Value limited = { value, 0 };

          timeline->limited = get_bool (&limited, FALSE);
        }
    }
}

static char *
dup_member_string (const Value *object,
                   const char  *name)
{
  Value value;

  read_members (object, &name, &value, 1);
  return dup_string (&value);
}

static void
apply_member_event (DuetRoomIngest *ingest,
                    const Value    *event,
                    const char     *user_id)
{
  static const char *const content_names[] = { "membership", "displayname", "avatar_url", "is_direct" };
  static const char *const unsigned_names[] = { "prev_content", "prev_sender" };
  static const char *const prev_names[] = { "membership", "is_direct" };
  Value content[G_N_ELEMENTS (content_names)];
  g_auto(Str) membership = STR_INIT;
  g_auto(Str) displayname = STR_INIT;
  g_auto(Str) avatar_url = STR_INIT;
  g_autofree char *sender = NULL;
  g_autofree char *prev_membership = NULL;
  g_autofree char *prev_sender = NULL;
  DuetMemberFields fields = { .user_id = user_id };

  read_members (&event[EVENT_CONTENT], content_names, content, G_N_ELEMENTS (content_names));
  fields.membership = str_get (&membership, &content[0]);
  fields.displayname = str_get (&displayname, &content[1]);
  fields.avatar_url = str_get (&avatar_url, &content[2]);

  if (_duet_room_sync_is_own_member (ingest, user_id))
    {
      Value unsigned_[G_N_ELEMENTS (unsigned_names)];
      Value prev[G_N_ELEMENTS (prev_names)];

      read_members (&event[EVENT_UNSIGNED], unsigned_names, unsigned_, G_N_ELEMENTS (unsigned_names));
      read_members (&unsigned_[0], prev_names, prev, G_N_ELEMENTS (prev_names));
      fields.sender = sender = dup_string (&event[EVENT_SENDER]);
      fields.is_direct = get_bool (&content[3], FALSE);
      fields.origin_server_ts = get_int (&event[EVENT_TS], 0);
      fields.prev_membership = prev_membership = dup_string (&prev[0]);
      fields.prev_is_direct = get_bool (&prev[1], FALSE);
      fields.prev_sender = prev_sender = dup_string (&unsigned_[1]);
    }
  _duet_room_sync_apply_member (ingest, &fields);
}

/* @event: the members of event_names; @type and @state_key its strings. */
static void
apply_state_event (DuetRoomIngest *ingest,
                   const Value    *event,
                   const char     *type,
                   const char     *state_key)
{
  const Value *content = &event[EVENT_CONTENT];

  if (type == NULL || state_key == NULL || !is_object (content))
    return;

  switch (_duet_room_sync_state_kind (type, state_key))
    {
    case DUET_ROOM_STATE_MEMBER:
      apply_member_event (ingest, event, state_key);
      break;
    case DUET_ROOM_STATE_NAME:
      {
        g_autofree char *name = dup_member_string (content, "name");

        _duet_room_sync_apply_name (ingest, name);
      }
      break;
    case DUET_ROOM_STATE_ENCRYPTION:
      _duet_room_sync_apply_encryption (ingest);
      break;
    case DUET_ROOM_STATE_TOMBSTONE:
      {
        g_autofree char *replacement = dup_member_string (content, "replacement_room");

        _duet_room_sync_apply_tombstone (ingest, replacement);
      }
      break;
    case DUET_ROOM_STATE_CREATE:
      {
        static const char *const names[] = { "predecessor" };
        Value predecessor;
        g_autofree char *room_id = NULL;

        read_members (content, names, &predecessor, 1);
        room_id = dup_member_string (&predecessor, "room_id");
        _duet_room_sync_apply_create (ingest, room_id);
      }
      break;
    case DUET_ROOM_STATE_FUNCTIONAL_MEMBERS:
      {
        static const char *const names[] = { "service_members" };
        Value members;

        read_members (content, names, &members, 1);
        _duet_room_take_functional_members (ingest->room,
          dup_user_ids (&members, DUET_ROOM_SYNC_MAX_FUNCTIONAL_MEMBERS));
      }
      break;
    case DUET_ROOM_STATE_OTHER:
    default:
      break;
    }
}

static void
apply_state_events (DuetRoomIngest *ingest,
                    GArray         *events)
{
  for (guint i = 0; i < events->len; i++)
    {
      const Value *event = g_array_index (events, Event, i).members;
      g_auto(Str) type = STR_INIT;
      g_auto(Str) state_key = STR_INIT;

      apply_state_event (ingest, event, str_get (&type, &event[EVENT_TYPE]),
                         str_get (&state_key, &event[EVENT_STATE_KEY]));
    }
}

/* Whether the room would show @event's preview: an encrypted event, or a
 * message with a string body (as _duet_room_sync_apply_message() says). */
static gboolean
has_preview (const Value *event)
{
  static const char *const names[] = { "body" };
  g_auto(Str) type_str = STR_INIT;
  const char *type = str_get (&type_str, &event[EVENT_TYPE]);
  Value body;

  if (type == NULL || !is_object (&event[EVENT_CONTENT]) ||
      duet_json_raw_type (&event[EVENT_STATE_KEY].raw) == '"')
    return FALSE;
  if (g_str_equal (type, "m.room.encrypted"))
    return TRUE;
  if (!g_str_equal (type, "m.room.message"))
    return FALSE;
  read_members (&event[EVENT_CONTENT], names, &body, 1);
  return duet_json_raw_type (&body.raw) == '"';
}

/* @preview: whether @event's preview is the one shown (the newest). */
static void
apply_timeline_event (DuetRoomIngest *ingest,
                      const Value    *event,
                      gboolean        preview)
{
  g_auto(Str) type_str = STR_INIT;
  g_auto(Str) state_key_str = STR_INIT;
  g_auto(Str) event_id = STR_INIT;
  const char *type, *state_key;

  type = str_get (&type_str, &event[EVENT_TYPE]);
  if (type == NULL || !is_object (&event[EVENT_CONTENT]))
    return;

  state_key = str_get (&state_key_str, &event[EVENT_STATE_KEY]);
  if (state_key != NULL)
    apply_state_event (ingest, event, type, state_key);
  else if (preview)
    {
      g_autofree char *body = NULL;

      /* Only a message's body is shown. */
      if (g_str_equal (type, "m.room.message"))
        body = dup_member_string (&event[EVENT_CONTENT], "body");
      _duet_room_sync_apply_message (ingest, type, body);
    }

  _duet_room_sync_apply_event_meta (ingest, get_int (&event[EVENT_TS], 0),
                                    str_get (&event_id, &event[EVENT_ID]));
}

static void
apply_timeline (DuetRoomIngest *ingest,
                Timeline       *timeline)
{
  guint start, preview;

  /* History was left out between what we had and this slice. */
  if (timeline->limited)
    _duet_room_set_has_gap (ingest->room, TRUE);

  /* Keep the newest events when there are too many. */
  start = timeline->count > DUET_ROOM_SYNC_MAX_TIMELINE_EVENTS
          ? timeline->count - DUET_ROOM_SYNC_MAX_TIMELINE_EVENTS : 0;
  /* Each preview replaces the one before: only the newest is made (the
   * sanitizing of every message was a tenth of the room's cost). */
  preview = timeline->count;
  while (preview > start && !has_preview (timeline_event (timeline, preview - 1)->members))
    preview--;
  for (guint i = start; i < timeline->count; i++)
    apply_timeline_event (ingest, timeline_event (timeline, i)->members, i + 1 == preview);
}

static void
apply_ephemeral (DuetRoomIngest *ingest,
                 const Value    *ephemeral)
{
  static const char *const event_members[] = { "type", "content" };
  static const char *const content_members[] = { "user_ids" };
  g_autoptr(GArray) events = read_events (ephemeral, DUET_ROOM_SYNC_MAX_EPHEMERAL_EVENTS);

  for (guint i = 0; i < events->len; i++)
    {
      Value event[G_N_ELEMENTS (event_members)];
      Value user_ids;
      g_autofree char *type = NULL;
      g_auto(GStrv) all = NULL;

      read_members (&g_array_index (events, Value, i), event_members, event, G_N_ELEMENTS (event_members));
      type = dup_string (&event[0]);
      if (g_strcmp0 (type, "m.typing") != 0)
        continue;
      read_members (&event[1], content_members, &user_ids, 1);
      if (!is_array (&user_ids))
        continue;
      all = dup_user_ids (&user_ids, DUET_ROOM_SYNC_MAX_TYPING + 1);
      _duet_room_sync_apply_typing (ingest, all);
    }
}

/* --- The room --------------------------------------------------------------- */

typedef struct {
  GArray   *state;      /* Event: state.events, or invite_state.events */
  Timeline  timeline;
  Value     summary;
  Value     unread;
  Value     ephemeral;
} RawRoom;

static void
raw_room_clear (RawRoom *room)
{
  g_clear_pointer (&room->state, g_array_unref);
  g_clear_pointer (&room->timeline.ring, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RawRoom, raw_room_clear)

/* One pass over the entry: the state and timeline events are read as the
 * pass meets them, the small members kept as text. */
static void
read_room (const Value    *value,
           DuetMembership  membership,
           RawRoom        *room)
{
  const char *state_name = membership == DUET_MEMBERSHIP_INVITE ? "invite_state" : "state";
  gsize state_length = strlen (state_name);
  DuetJsonRawIter iter, child;
  DuetJsonRaw name, member;

  /* A room's state section is short once lazy-loaded: room for it at once. */
  room->state = g_array_sized_new (FALSE, FALSE, sizeof (Event), 8);
  if (!is_object (value) ||
      !duet_json_raw_iter_init (&iter, value->raw.data, value->raw.length, value->depth, FALSE))
    return;
  while (duet_json_raw_iter_enter (&iter, &name, &child, FALSE))
    {
      gboolean escaped = name_escaped (&name);
      Value *small = NULL;

      /* The last of a repeated name wins: each starts afresh. */
      if (name_is (&name, escaped, state_name, state_length))
        collect_section (&child, room->state);
      else if (name_is (&name, escaped, "timeline", 8))
        collect_timeline (&child, &room->timeline);
      else if (name_is (&name, escaped, "summary", 7))
        small = &room->summary;
      else if (name_is (&name, escaped, "unread_notifications", 20))
        small = &room->unread;
      else if (name_is (&name, escaped, "ephemeral", 9))
        small = &room->ephemeral;
      duet_json_raw_iter_leave (&iter, &child, &member);
      if (small != NULL)
        {
          small->raw = member;
          small->depth = duet_json_raw_iter_child_depth (&iter);
        }
    }
}

void
_duet_room_apply_raw (DuetRoom       *self,
                      DuetMembership  membership,
                      const char     *data,
                      gsize           length,
                      guint           depth,
                      const char     *own_user_id,
                      char          **timeline_last_id)
{
  DuetRoomIngest ingest = { self, own_user_id, FALSE };
  Value value = { { data, length, FALSE }, depth };
  g_auto(RawRoom) room = { 0 };

  g_return_if_fail (DUET_IS_ROOM (self));
  g_return_if_fail (timeline_last_id != NULL && *timeline_last_id == NULL);

  read_room (&value, membership, &room);
  if (room.timeline.count > 0)
    *timeline_last_id = dup_string (&timeline_event (&room.timeline, room.timeline.count - 1)->members[EVENT_ID]);

  _duet_room_sync_begin (&ingest, membership);
  if (is_object (&value))
    {
      if (membership == DUET_MEMBERSHIP_INVITE)
        {
          ingest.in_invite = TRUE;
          apply_state_events (&ingest, room.state);
        }
      else
        {
          static const char *const summary_names[] = { "m.heroes" };
          Value heroes;

          apply_state_events (&ingest, room.state);
          apply_timeline (&ingest, &room.timeline);
          /* An absent summary or heroes field means "unchanged". */
          read_members (&room.summary, summary_names, &heroes, 1);
          if (is_array (&heroes))
            _duet_room_take_heroes (self, dup_user_ids (&heroes, DUET_ROOM_SYNC_MAX_HEROES));
          if (membership == DUET_MEMBERSHIP_JOIN)
            {
              static const char *const unread_names[] = { "notification_count" };
              Value count;

              if (is_object (&room.unread))
                {
                  read_members (&room.unread, unread_names, &count, 1);
                  _duet_room_sync_apply_unread (&ingest, get_int (&count, -1));
                }
              apply_ephemeral (&ingest, &room.ephemeral);
            }
        }
    }
  _duet_room_sync_end (&ingest, membership);
}
