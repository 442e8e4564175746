/* duet-store-start.c: the lean snapshot a start shows the contacts from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * duet-store-snapshot.c reads the whole cache back, which costs a JSON
 * parse per stored row: tens of thousands of rows on a big account.  The
 * contact list needs far less: account data (m.direct), each room's
 * membership, unread count and heroes, the few state types the model
 * reads (create, name, encryption, tombstone, functional members), our
 * own member event, and the newest events back to the newest message
 * (activity, preview).  Members come whole only for small rooms (every
 * direct chat is one) and for invites; a larger room gets ours and its
 * heroes', and is marked with DUET_STORE_LAZY_MEMBERS: the rest are read
 * with duet_store_load_members_async() when needed (an open chat, a room
 * that m.direct lists).  Rooms with unsent messages keep their whole
 * timeline, so their echoes are still matched.
 *
 * The state is read from state_fields, which the store fills as rows are
 * written (duet-store-state-fields.c, schema version 4), never from the
 * stored event texts; only each room's newest timeline rows are read from
 * theirs.
 */
#include "config.h"

#include <string.h>

#include "duet-store-private.h"

/* A room with at most this many member rows comes with all of them: a
 * direct chat (two people, a bot or a few service members) always does. */
#define SMALL_ROOM_MEMBERS 16
/* Heroes read for a larger room (the spec's summary names up to 5). */
#define MAX_HEROES 16

typedef struct {
  JsonObject *entry;        /* rooms.<membership>.<id>, borrowed */
  JsonArray  *state;        /* its state.events (or invite_state.events) */
  JsonArray  *timeline;     /* NULL for an invite */
  gboolean    invite;
  gboolean    small;        /* every member row is read */
  GHashTable *heroes;       /* user ids borrowed from the entry's summary, or NULL */
} StartRoom;

static void
start_room_free (StartRoom *room)
{
  g_clear_pointer (&room->heroes, g_hash_table_unref);
  g_free (room);
}

static gboolean
read_rooms (DuetStoreDb  *db,
            JsonObject   *sections,
            GHashTable   *rooms,
            GError      **error)
{
  /* Stored text is JSON this store wrote; json_valid keeps a damaged row
   * from failing the whole query (it is then read as absent). */
  sqlite3_stmt *stmt = duet_store_db_prepare (db,
    "SELECT r.room_id, r.membership, r.timeline_limited, "
    "  CASE WHEN json_valid (r.unread_notifications) "
    "       THEN json_extract (r.unread_notifications, '$.notification_count') END, "
    "  NULL, "
    "  (SELECT count(*) FROM state_fields s WHERE s.room_id = r.room_id AND s.type = 'm.room.member') "
    "FROM rooms r ORDER BY r.room_id", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *room_id = (const char *) sqlite3_column_text (stmt, 0);
      const char *membership = (const char *) sqlite3_column_text (stmt, 1);
      JsonObject *section = json_object_get_object_member (sections, membership);
      JsonObject *entry = json_object_new ();
      StartRoom *room = g_new0 (StartRoom, 1);

      json_object_set_object_member (section, room_id, entry);
      g_hash_table_insert (rooms, g_strdup (room_id), room);
      room->entry = entry;

      if (g_str_equal (membership, "invite"))
        {
          room->invite = TRUE;
          room->small = TRUE;
          room->state = _duet_store_snapshot_add_events (entry, "invite_state");
          continue;
        }

      room->state = _duet_store_snapshot_add_events (entry, "state");
      room->timeline = _duet_store_snapshot_add_events (entry, "timeline");
      json_object_set_boolean_member (json_object_get_object_member (entry, "timeline"), "limited",
                                      sqlite3_column_int (stmt, 2) != 0);
      if (sqlite3_column_type (stmt, 3) == SQLITE_INTEGER)
        {
          JsonObject *unread = json_object_new ();

          json_object_set_int_member (unread, "notification_count", sqlite3_column_int64 (stmt, 3));
          json_object_set_object_member (entry, "unread_notifications", unread);
        }
      room->small = sqlite3_column_int64 (stmt, 5) <= SMALL_ROOM_MEMBERS;
      if (!room->small)
        json_object_set_boolean_member (entry, DUET_STORE_LAZY_MEMBERS, TRUE);
    }
  return _duet_store_snapshot_finish_query (db, stmt, rc, error);
}

/* The summaries' m.heroes, one row per hero, SQLite reading the JSON (a
 * json-glib parse per room costs more than the rest of the room's row):
 * each joined or left room's summary gets its heroes' user ids (a hero
 * that is no string is left out, as the model would ignore it), and the
 * set of the first MAX_HEROES, whose member events are read. */
static gboolean
read_heroes (DuetStoreDb  *db,
             GHashTable   *rooms,
             GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db,
    "SELECT r.room_id, h.key, h.value FROM rooms r JOIN json_each ("
    "  CASE WHEN json_valid (r.summary) AND json_type (r.summary, '$.\"m.heroes\"') = 'array' "
    "       THEN json_extract (r.summary, '$.\"m.heroes\"') ELSE '[]' END) h "
    "WHERE r.membership <> 'invite' AND h.type = 'text' ORDER BY r.room_id, h.key", error);
  StartRoom *room = NULL;
  JsonArray *heroes = NULL;
  const char *current = NULL;
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *room_id = (const char *) sqlite3_column_text (stmt, 0);

      if (current == NULL || strcmp (room_id, current) != 0)
        {
          gpointer key = NULL, value = NULL;
          JsonObject *summary;

          if (!g_hash_table_lookup_extended (rooms, room_id, &key, &value))
            {
              current = NULL;
              continue;
            }
          current = key;
          room = value;
          summary = json_object_new ();
          heroes = json_array_new ();
          json_object_set_array_member (summary, "m.heroes", heroes);
          json_object_set_object_member (room->entry, "summary", summary);
          room->heroes = g_hash_table_new (g_str_hash, g_str_equal);
        }
      json_array_add_string_element (heroes, (const char *) sqlite3_column_text (stmt, 2));
      /* Borrowed from the array, which the snapshot keeps. */
      if (sqlite3_column_int64 (stmt, 1) < MAX_HEROES)
        g_hash_table_add (room->heroes,
                          (gpointer) json_array_get_string_element (heroes, json_array_get_length (heroes) - 1));
    }
  return _duet_store_snapshot_finish_query (db, stmt, rc, error);
}

/* --- Events rebuilt from extracted fields --------------------------------
 *
 * A json-glib parse costs tens of thousands of instructions per row, and
 * so does reading each row's whole text from room_state.  The state
 * fields the list needs were extracted when the rows were written
 * (state_fields, schema version 3: see duet-store-schema.c), and the
 * event is rebuilt with those alone.  A
 * field of the wrong JSON type is left out, as the model's readers would
 * ignore it; a row whose text is not valid JSON has no fields, so it is
 * left out as the whole snapshot leaves it out. */

/* Our own member event keeps what says who made the room direct. */
#define IF_OWN(column) "CASE WHEN state_key = :own THEN " column " END"

/* Columns: 0 room_id, 1 type, 2 state_key, then the fields below. */
#define STATE_COLUMNS \
  "SELECT room_id, type, state_key, 1, content_type, membership, displayname, avatar_url, " \
  IF_OWN ("is_direct") ", name, replacement, predecessor, service_members, " \
  IF_OWN ("sender") ", " IF_OWN ("prev_membership") ", " IF_OWN ("prev_is_direct") ", " \
  IF_OWN ("prev_sender") " " \
  "FROM state_fields "

enum {
  COL_VALID = 3, COL_CONTENT_TYPE, COL_MEMBERSHIP, COL_DISPLAYNAME, COL_AVATAR_URL, COL_IS_DIRECT,
  COL_NAME, COL_REPLACEMENT, COL_PREDECESSOR, COL_SERVICE_MEMBERS, COL_SENDER,
  COL_PREV_MEMBERSHIP, COL_PREV_IS_DIRECT, COL_PREV_SENDER,
};

static void
set_text (JsonObject   *object,
          const char   *member,
          sqlite3_stmt *stmt,
          int           column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_TEXT)
    json_object_set_string_member (object, member, (const char *) sqlite3_column_text (stmt, column));
}

static void
set_bool (JsonObject   *object,
          const char   *member,
          sqlite3_stmt *stmt,
          int           column)
{
  const char *type = (const char *) sqlite3_column_text (stmt, column);

  if (g_strcmp0 (type, "true") == 0 || g_strcmp0 (type, "false") == 0)
    json_object_set_boolean_member (object, member, type[0] == 't');
}

/* The state event of the current row, with what the model reads of it,
 * or NULL when the row is damaged or its content is not an object. */
static JsonObject *
state_event_from_row (sqlite3_stmt *stmt)
{
  const char *type = (const char *) sqlite3_column_text (stmt, 1);
  JsonObject *event, *content;

  if (sqlite3_column_int (stmt, COL_VALID) == 0 ||
      g_strcmp0 ((const char *) sqlite3_column_text (stmt, COL_CONTENT_TYPE), "object") != 0)
    return NULL;

  event = json_object_new ();
  content = json_object_new ();
  json_object_set_string_member (event, "type", type);
  json_object_set_string_member (event, "state_key", (const char *) sqlite3_column_text (stmt, 2));
  json_object_set_object_member (event, "content", content);

  if (g_str_equal (type, "m.room.member"))
    {
      set_text (content, "membership", stmt, COL_MEMBERSHIP);
      set_text (content, "displayname", stmt, COL_DISPLAYNAME);
      set_text (content, "avatar_url", stmt, COL_AVATAR_URL);
      set_bool (content, "is_direct", stmt, COL_IS_DIRECT);
      set_text (event, "sender", stmt, COL_SENDER);
      if (sqlite3_column_type (stmt, COL_PREV_MEMBERSHIP) == SQLITE_TEXT ||
          sqlite3_column_type (stmt, COL_PREV_SENDER) == SQLITE_TEXT)
        {
          JsonObject *unsigned_ = json_object_new ();
          JsonObject *prev = json_object_new ();

          set_text (prev, "membership", stmt, COL_PREV_MEMBERSHIP);
          set_bool (prev, "is_direct", stmt, COL_PREV_IS_DIRECT);
          json_object_set_object_member (unsigned_, "prev_content", prev);
          set_text (unsigned_, "prev_sender", stmt, COL_PREV_SENDER);
          json_object_set_object_member (event, "unsigned", unsigned_);
        }
    }
  else if (g_str_equal (type, "m.room.name"))
    set_text (content, "name", stmt, COL_NAME);
  else if (g_str_equal (type, "m.room.tombstone"))
    set_text (content, "replacement_room", stmt, COL_REPLACEMENT);
  else if (g_str_equal (type, "m.room.create"))
    {
      const char *predecessor = (const char *) sqlite3_column_text (stmt, COL_PREDECESSOR);

      if (predecessor != NULL)
        {
          JsonObject *object = json_object_new ();

          json_object_set_string_member (object, "room_id", predecessor);
          json_object_set_object_member (content, "predecessor", object);
        }
    }
  else if (g_str_equal (type, "io.element.functional_members"))
    {
      const char *members = (const char *) sqlite3_column_text (stmt, COL_SERVICE_MEMBERS);
      JsonNode *node = members != NULL ? json_from_string (members, NULL) : NULL;

      if (node != NULL)
        json_object_set_member (content, "service_members", node);
    }
  return event;
}

/* The state the model reads, in one pass over the table.  Members: all of
 * a small room's (read_rooms counted them), ours everywhere (heroes are
 * read apart). */
static gboolean
read_state (DuetStoreDb  *db,
            const char   *own_user_id,
            GHashTable   *rooms,
            GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db,
    STATE_COLUMNS
    "WHERE (state_key = '' AND type <> 'm.room.member') OR type = 'm.room.member' "
    "ORDER BY room_id, type, state_key", error);
  StartRoom *room = NULL;
  const char *current = NULL;
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":own"), own_user_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *room_id = (const char *) sqlite3_column_text (stmt, 0);
      JsonObject *event;

      /* Rows come room by room: one lookup per room. */
      if (current == NULL || strcmp (room_id, current) != 0)
        {
          gpointer key = NULL, value = NULL;

          if (!g_hash_table_lookup_extended (rooms, room_id, &key, &value))
            {
              current = NULL;
              continue;
            }
          current = key;
          room = value;
        }
      /* The rows are narrow: filtering here costs less than asking SQLite
       * for the small rooms first.  An invite's stripped state is read
       * whole (read_invite_state). */
      if (room->invite ||
          (!room->small && g_str_equal ((const char *) sqlite3_column_text (stmt, 1), "m.room.member") &&
           g_strcmp0 ((const char *) sqlite3_column_text (stmt, 2), own_user_id) != 0))
        continue;
      if ((event = state_event_from_row (stmt)) != NULL)
        json_array_add_object_element (room->state, event);
    }
  return _duet_store_snapshot_finish_query (db, stmt, rc, error);
}

/* A larger room's heroes, for its name: a few lookups by key. */
static gboolean
read_heroes_members (DuetStoreDb  *db,
                     const char   *own_user_id,
                     const char   *room_id,
                     StartRoom    *room,
                     GError      **error)
{
  GHashTableIter iter;
  const char *user_id;

  g_hash_table_iter_init (&iter, room->heroes);
  while (g_hash_table_iter_next (&iter, (gpointer *) &user_id, NULL))
    {
      sqlite3_stmt *stmt;
      JsonObject *event;
      int rc;

      if (g_strcmp0 (user_id, own_user_id) == 0)
        continue;
      stmt = duet_store_db_prepare (db,
        STATE_COLUMNS "WHERE room_id = :room AND type = 'm.room.member' AND state_key = :user",
        error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":own"), own_user_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":room"), room_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":user"), user_id, -1, SQLITE_STATIC);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        if ((event = state_event_from_row (stmt)) != NULL)
          json_array_add_object_element (room->state, event);
      if (!_duet_store_snapshot_finish_query (db, stmt, rc, error))
        return FALSE;
    }
  return TRUE;
}

/* Invites: their stripped state is short, and read whole. */
static gboolean
read_invite_state (DuetStoreDb  *db,
                   const char   *room_id,
                   StartRoom    *room,
                   GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db,
    "SELECT event FROM room_state WHERE room_id = ?1 ORDER BY type, state_key", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonNode *event = _duet_store_snapshot_parse_column (stmt, 0);

      if (event != NULL)
        json_array_add_element (room->state, event);
    }
  return _duet_store_snapshot_finish_query (db, stmt, rc, error);
}

static gboolean
read_other_state (DuetStoreDb  *db,
                  const char   *own_user_id,
                  GHashTable   *rooms,
                  GError      **error)
{
  GHashTableIter iter;
  const char *room_id;
  StartRoom *room;

  g_hash_table_iter_init (&iter, rooms);
  while (g_hash_table_iter_next (&iter, (gpointer *) &room_id, (gpointer *) &room))
    {
      if (room->invite && !read_invite_state (db, room_id, room, error))
        return FALSE;
      if (!room->invite && !room->small && room->heroes != NULL &&
          !read_heroes_members (db, own_user_id, room_id, room, error))
        return FALSE;
    }
  return TRUE;
}

/* A room's few newest timeline rows are read from the stored text: SQLite
 * reads the fields from it (far cheaper than a json-glib parse), and a
 * table of extracted fields would cost every saved event that work.
 * Valid rows, newest first.  Columns: 0 (1), 1 has a state key, 2 type,
 * 3 event_id, 4 origin_server_ts, 5 content's JSON type, 6 content.body,
 * 7 the stored text (for a whole parse). */
#define TEXT_AT(path) "CASE WHEN json_type (event, '" path "') = 'text' THEN json_extract (event, '" path "') END"
static const char timeline_sql[] =
  "SELECT 1, json_type (event, '$.state_key') IS NOT NULL, "
  TEXT_AT ("$.type") ", event ->> '$.event_id', json_extract (event, '$.origin_server_ts'), "
  "json_type (event, '$.content'), " TEXT_AT ("$.content.body") ", event "
  "FROM timeline WHERE room_id = ?1 AND json_valid (event) ORDER BY seq DESC";

/* The current timeline row rebuilt with what the list reads (type,
 * event_id, origin_server_ts, content.body), or parsed whole when
 * @whole is set or the row is a state event (which the model applies as
 * state).  *@message says whether it is what the list previews. */
static JsonNode *
timeline_event_from_row (sqlite3_stmt *stmt,
                         gboolean      whole,
                         gboolean     *message)
{
  const char *type = (const char *) sqlite3_column_text (stmt, 2);
  gboolean has_content = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 5), "object") == 0;
  JsonObject *event, *content;
  int ts_type;

  *message = FALSE;
  if (sqlite3_column_int (stmt, 0) == 0)
    return NULL;
  if (whole || sqlite3_column_int (stmt, 1) != 0)
    {
      JsonNode *node = _duet_store_snapshot_parse_column (stmt, 7);

      *message = node != NULL && sqlite3_column_int (stmt, 1) == 0 && has_content && type != NULL &&
                 (g_str_equal (type, "m.room.encrypted") ||
                  (g_str_equal (type, "m.room.message") && sqlite3_column_type (stmt, 6) != SQLITE_NULL));
      return node;
    }

  event = json_object_new ();
  if (type != NULL)
    json_object_set_string_member (event, "type", type);
  set_text (event, "event_id", stmt, 3);
  ts_type = sqlite3_column_type (stmt, 4);
  if (ts_type == SQLITE_INTEGER)
    json_object_set_int_member (event, "origin_server_ts", sqlite3_column_int64 (stmt, 4));
  else if (ts_type == SQLITE_FLOAT)
    json_object_set_double_member (event, "origin_server_ts", sqlite3_column_double (stmt, 4));
  if (has_content)
    {
      content = json_object_new ();
      set_text (content, "body", stmt, 6);
      json_object_set_object_member (event, "content", content);
      *message = type != NULL && (g_str_equal (type, "m.room.encrypted") ||
                                  (g_str_equal (type, "m.room.message") &&
                                   json_object_has_member (content, "body")));
    }
  {
    JsonNode *node = json_node_new (JSON_NODE_OBJECT);

    json_node_take_object (node, event);
    return node;
  }
}

static gboolean
read_room_timeline (DuetStoreDb  *db,
                    const char   *room_id,
                    StartRoom    *room,
                    gboolean      whole,
                    GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, timeline_sql, error);
  g_autoptr(GPtrArray) newest_first = NULL;
  int rc;

  if (stmt == NULL)
    return FALSE;
  newest_first = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gboolean message;
      JsonNode *event = timeline_event_from_row (stmt, whole, &message);

      if (event == NULL)
        continue;
      g_ptr_array_add (newest_first, event);
      if (!whole && message)
        {
          rc = SQLITE_DONE;
          break;
        }
    }
  if (!_duet_store_snapshot_finish_query (db, stmt, rc, error))
    return FALSE;

  for (guint i = newest_first->len; i > 0; i--)
    json_array_add_element (room->timeline, json_node_ref (newest_first->pdata[i - 1]));
  return TRUE;
}

static gboolean
read_timelines (DuetStoreDb  *db,
                GHashTable   *rooms,
                GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, "SELECT DISTINCT room_id FROM outbox", error);
  g_autoptr(GHashTable) with_outbox = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  const char *room_id;
  StartRoom *room;
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_add (with_outbox, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (!_duet_store_snapshot_finish_query (db, stmt, rc, error))
    return FALSE;

  /* A room with unsent messages is read whole: any cached event may be
   * the echo of one (the outbox matches sender and transaction id). */
  g_hash_table_iter_init (&iter, rooms);
  while (g_hash_table_iter_next (&iter, (gpointer *) &room_id, (gpointer *) &room))
    if (room->timeline != NULL &&
        !read_room_timeline (db, room_id, room, g_hash_table_contains (with_outbox, room_id), error))
      return FALSE;
  return TRUE;
}

JsonObject *
duet_store_db_load_start_snapshot (DuetStoreDb  *db,
                                   const char   *own_user_id,
                                   GError      **error)
{
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(GHashTable) rooms = NULL;
  JsonObject *sections;
  gboolean ok;

  DUET_STORE_DB_ASSERT_THREAD (db);

  response = _duet_store_snapshot_begin (db, &sections, error);
  if (response == NULL)
    return NULL;
  rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) start_room_free);

  ok = _duet_store_snapshot_read_account_data (db, _duet_store_snapshot_add_events (response, "account_data"), error) &&
       read_rooms (db, sections, rooms, error) &&
       read_heroes (db, rooms, error) &&
       read_state (db, own_user_id, rooms, error) &&
       read_other_state (db, own_user_id, rooms, error) &&
       read_timelines (db, rooms, error);
  duet_store_db_exec (db, "COMMIT", NULL);
  if (!ok)
    return NULL;
  return g_steal_pointer (&response);
}

/* --- Members on demand ------------------------------------------------- */

JsonObject *
duet_store_db_load_members (DuetStoreDb         *db,
                            const char * const  *room_ids,
                            GError             **error)
{
  g_autoptr(JsonObject) members = json_object_new ();
  sqlite3_stmt *stmt;

  DUET_STORE_DB_ASSERT_THREAD (db);

  if (!duet_store_db_exec (db, "BEGIN", error))
    return NULL;
  for (guint i = 0; room_ids[i] != NULL; i++)
    {
      JsonArray *events;
      int rc;

      stmt = duet_store_db_prepare (db,
        "SELECT event FROM room_state WHERE room_id = ?1 AND type = 'm.room.member' "
        "ORDER BY state_key", error);
      if (stmt == NULL)
        {
          duet_store_db_exec (db, "COMMIT", NULL);
          return NULL;
        }
      events = json_array_new ();
      json_object_set_array_member (members, room_ids[i], events);
      sqlite3_bind_text (stmt, 1, room_ids[i], -1, SQLITE_STATIC);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          JsonNode *event = _duet_store_snapshot_parse_column (stmt, 0);

          if (event != NULL)
            json_array_add_element (events, event);
        }
      if (!_duet_store_snapshot_finish_query (db, stmt, rc, error))
        {
          duet_store_db_exec (db, "COMMIT", NULL);
          return NULL;
        }
    }
  duet_store_db_exec (db, "COMMIT", NULL);
  return g_steal_pointer (&members);
}
