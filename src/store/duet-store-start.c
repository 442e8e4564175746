/* duet-store-start.c: what a start shows the contacts from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * duet-store-snapshot.c reads the whole cache back, which costs a JSON
 * parse per stored row: tens of thousands of rows on a big account.  The
 * contact list needs far less of each room: its membership, unread count
 * and heroes, the few state types the model reads (create, name,
 * encryption, tombstone, functional members), our own member event, and
 * the newest events back to the newest message (activity, preview).
 * Members come whole only for small rooms (every direct chat is one) and
 * for invites; a larger room gets ours and its heroes', and is marked
 * lazy: the rest are read with duet_store_load_members_async() when
 * needed (an open chat, a room that m.direct lists).
 *
 * That much of a room is its start entry, built here from state_fields
 * (never from the stored event texts) and its newest timeline rows, and
 * kept as JSON text in room_start (schema version 5): a start reads one
 * row per room, and the model reads the text in place.  A save that
 * changes a room drops its row (duet_store_db_start_changed), and the
 * worker writes it again when it has no job (duet_store_db_refresh_start);
 * a start builds the entries it finds missing.  Rooms with unsent
 * messages are read with their whole timeline, so their echoes are still
 * matched: their entries are built at each start.
 */
#include "config.h"

#include <string.h>

#include "duet-store-private.h"

/* A room with at most this many member rows comes with all of them: a
 * direct chat (two people, a bot or a few service members) always does. */
#define SMALL_ROOM_MEMBERS 16
/* Heroes whose member events a larger room keeps (the spec's summary
 * names up to 5). */
#define MAX_HEROES 16
/* Changed rooms whose entries one idle step writes (a few ms each). */
#define REFRESH_BATCH 128

/* --- Events rebuilt from extracted fields --------------------------------
 *
 * A json-glib parse costs tens of thousands of instructions per row, and
 * so does reading each row's whole text from room_state.  The state
 * fields the list needs were extracted when the rows were written
 * (state_fields: see duet-store-state-fields.c), and the event is
 * rebuilt with those alone.  A field of the wrong JSON type is left out, as the model's readers would
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
                    JsonArray    *timeline,
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
    json_array_add_element (timeline, json_node_ref (newest_first->pdata[i - 1]));
  return TRUE;
}

/* The room's membership and the fields of its rooms row. */
static const char room_sql[] =
  "SELECT membership, timeline_limited, "
  "  CASE WHEN json_valid (unread_notifications) "
  "       THEN json_extract (unread_notifications, '$.notification_count') END, "
  "  (SELECT count(*) FROM state_fields s WHERE s.room_id = ?1 AND s.type = 'm.room.member') "
  "FROM rooms WHERE room_id = ?1";

/* The summary's m.heroes, one row per hero, SQLite reading the JSON (a
 * json-glib parse costs more than the rest of the room): a hero that is
 * no string is left out, as the model would ignore it. */
static const char heroes_sql[] =
  "SELECT h.key, h.value FROM rooms r JOIN json_each ("
  "  CASE WHEN json_valid (r.summary) AND json_type (r.summary, '$.\"m.heroes\"') = 'array' "
  "       THEN json_extract (r.summary, '$.\"m.heroes\"') ELSE '[]' END) h "
  "WHERE r.room_id = ?1 AND h.type = 'text' ORDER BY h.key";

/* The state rows the model reads: every member of a small room, only ours
 * in a larger one (its heroes' are read apart). */
static const char small_state_sql[] =
  STATE_COLUMNS
  "WHERE room_id = :room AND ((state_key = '' AND type <> 'm.room.member') OR type = 'm.room.member') "
  "ORDER BY type, state_key";
static const char large_state_sql[] =
  STATE_COLUMNS
  "WHERE room_id = :room AND ((state_key = '' AND type <> 'm.room.member') OR "
  "                           (type = 'm.room.member' AND state_key = :own)) "
  "ORDER BY type, state_key";
static const char hero_member_sql[] =
  STATE_COLUMNS "WHERE room_id = :room AND type = 'm.room.member' AND state_key = :user";

static gboolean
read_state_rows (DuetStoreDb  *db,
                 const char   *sql,
                 const char   *own_user_id,
                 const char   *room_id,
                 const char   *user_id,
                 JsonArray    *state,
                 GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, sql, error);
  JsonObject *event;
  int index, rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":own"), own_user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":room"), room_id, -1, SQLITE_STATIC);
  if ((index = sqlite3_bind_parameter_index (stmt, ":user")) > 0)
    sqlite3_bind_text (stmt, index, user_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    if ((event = state_event_from_row (stmt)) != NULL)
      json_array_add_object_element (state, event);
  return _duet_store_snapshot_finish_query (db, stmt, rc, error);
}

/* The summary's heroes into @entry (no summary when there are none), and
 * the member events of the first MAX_HEROES but ours. */
static gboolean
read_heroes (DuetStoreDb  *db,
             const char   *own_user_id,
             const char   *room_id,
             gboolean      members,
             JsonObject   *entry,
             JsonArray    *state,
             GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, heroes_sql, error);
  g_autoptr(GPtrArray) wanted = g_ptr_array_new_with_free_func (g_free);
  JsonArray *heroes = NULL;
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *user_id = (const char *) sqlite3_column_text (stmt, 1);

      if (heroes == NULL)
        {
          JsonObject *summary = json_object_new ();

          heroes = json_array_new ();
          json_object_set_array_member (summary, "m.heroes", heroes);
          json_object_set_object_member (entry, "summary", summary);
        }
      json_array_add_string_element (heroes, user_id);
      if (members && sqlite3_column_int64 (stmt, 0) < MAX_HEROES && g_strcmp0 (user_id, own_user_id) != 0 &&
          !g_ptr_array_find_with_equal_func (wanted, user_id, g_str_equal, NULL))
        g_ptr_array_add (wanted, g_strdup (user_id));
    }
  if (!_duet_store_snapshot_finish_query (db, stmt, rc, error))
    return FALSE;

  for (guint i = 0; i < wanted->len; i++)
    if (!read_state_rows (db, hero_member_sql, own_user_id, room_id, wanted->pdata[i], state, error))
      return FALSE;
  return TRUE;
}

/* Invites: their stripped state is short, and read whole. */
static gboolean
read_invite_state (DuetStoreDb  *db,
                   const char   *room_id,
                   JsonArray    *state,
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
        json_array_add_element (state, event);
    }
  return _duet_store_snapshot_finish_query (db, stmt, rc, error);
}

static const char *
section_of (const char *membership)
{
  if (g_strcmp0 (membership, "join") == 0)
    return "join";
  if (g_strcmp0 (membership, "invite") == 0)
    return "invite";
  if (g_strcmp0 (membership, "leave") == 0)
    return "leave";
  return NULL;
}

/* Room @room_id's start entry, as JSON text, or NULL (and no error) when
 * the cache has no such room.  @whole: its whole cached timeline. */
static char *
build_entry (DuetStoreDb   *db,
             const char    *own_user_id,
             const char    *room_id,
             gboolean       whole,
             const char   **section_out,
             gboolean      *lazy_out,
             gsize         *length_out,
             GError       **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, room_sql, error);
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *entry;
  JsonArray *state, *timeline;
  const char *section;
  gboolean limited, small, has_unread;
  gint64 unread;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      _duet_store_snapshot_finish_query (db, stmt, rc, error);
      return NULL;
    }
  section = section_of ((const char *) sqlite3_column_text (stmt, 0));
  limited = sqlite3_column_int (stmt, 1) != 0;
  has_unread = sqlite3_column_type (stmt, 2) == SQLITE_INTEGER;
  unread = sqlite3_column_int64 (stmt, 2);
  small = sqlite3_column_int64 (stmt, 3) <= SMALL_ROOM_MEMBERS;
  sqlite3_reset (stmt);
  if (section == NULL)
    return NULL;  /* the schema's CHECK keeps this from happening */

  root = json_node_init_object (json_node_alloc (), json_object_new ());
  entry = json_node_get_object (root);
  if (g_str_equal (section, "invite"))
    {
      small = TRUE;
      state = _duet_store_snapshot_add_events (entry, "invite_state");
      if (!read_invite_state (db, room_id, state, error))
        return NULL;
    }
  else
    {
      state = _duet_store_snapshot_add_events (entry, "state");
      timeline = _duet_store_snapshot_add_events (entry, "timeline");
      json_object_set_boolean_member (json_object_get_object_member (entry, "timeline"), "limited", limited);
      if (has_unread)
        {
          JsonObject *object = json_object_new ();

          json_object_set_int_member (object, "notification_count", unread);
          json_object_set_object_member (entry, "unread_notifications", object);
        }
      if (!read_state_rows (db, small ? small_state_sql : large_state_sql, own_user_id, room_id, NULL,
                            state, error) ||
          !read_heroes (db, own_user_id, room_id, !small, entry, state, error) ||
          !read_room_timeline (db, room_id, timeline, whole, error))
        return NULL;
    }

  generator = json_generator_new ();
  json_generator_set_root (generator, root);
  *section_out = section;
  *lazy_out = !small;
  return json_generator_to_data (generator, length_out);
}

void
duet_store_start_free (DuetStoreStart *start)
{
  if (start == NULL)
    return;
  g_clear_pointer (&start->response, json_object_unref);
  g_clear_pointer (&start->rooms, g_ptr_array_unref);
  g_free (start);
}

static void
start_room_free (DuetStoreStartRoom *room)
{
  g_free (room->room_id);
  g_free (room->entry);
  g_free (room);
}

static void
add_room (DuetStoreStart *start,
          const char     *section,
          const char     *room_id,
          char           *entry,
          gsize           length,
          gboolean        lazy)
{
  DuetStoreStartRoom *room = g_new (DuetStoreStartRoom, 1);

  room->section = section;
  room->room_id = g_strdup (room_id);
  room->entry = entry;
  room->length = length;
  room->lazy_members = lazy;
  g_ptr_array_add (start->rooms, room);
}

static GHashTable *
read_outbox_rooms (DuetStoreDb  *db,
                   GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, "SELECT DISTINCT room_id FROM outbox", error);
  g_autoptr(GHashTable) rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_add (rooms, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (!_duet_store_snapshot_finish_query (db, stmt, rc, error))
    return NULL;
  return g_steal_pointer (&rooms);
}

static void
mark_stale (DuetStoreDb *db,
            const char  *room_id)
{
  if (db->start_stale == NULL)
    db->start_stale = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (db->start_stale, g_strdup (room_id));
}

/* Every room, each from its room_start row when it has one for this
 * account, else built now (and written when the worker is idle).  A room
 * with unsent messages is built with its whole timeline: any cached event
 * may be the echo of one (the outbox matches sender and transaction id). */
static gboolean
read_rooms (DuetStoreDb     *db,
            const char      *own_user_id,
            DuetStoreStart  *start,
            GError         **error)
{
  sqlite3_stmt *stmt;
  g_autoptr(GHashTable) with_outbox = read_outbox_rooms (db, error);
  g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
  int rc;

  if (with_outbox == NULL)
    return FALSE;
  stmt = duet_store_db_prepare (db,
    "SELECT r.room_id, r.membership, s.lazy_members, s.entry FROM rooms r "
    "LEFT JOIN room_start s ON s.room_id = r.room_id AND s.own_user_id = ?1 "
    "ORDER BY r.room_id", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, own_user_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *room_id = (const char *) sqlite3_column_text (stmt, 0);
      const char *section = section_of ((const char *) sqlite3_column_text (stmt, 1));
      const char *entry = (const char *) sqlite3_column_text (stmt, 3);

      if (section == NULL)
        continue;
      if (entry == NULL || g_hash_table_contains (with_outbox, room_id))
        {
          g_ptr_array_add (missing, g_strdup (room_id));
          continue;
        }
      add_room (start, section, room_id, g_strndup (entry, sqlite3_column_bytes (stmt, 3)),
                sqlite3_column_bytes (stmt, 3), sqlite3_column_int (stmt, 2) != 0);
    }
  if (!_duet_store_snapshot_finish_query (db, stmt, rc, error))
    return FALSE;

  for (guint i = 0; i < missing->len; i++)
    {
      const char *room_id = missing->pdata[i];
      gboolean outbox = g_hash_table_contains (with_outbox, room_id);
      const char *section = NULL;
      gboolean lazy = FALSE;
      gsize length = 0;
      char *entry;
      GError *local_error = NULL;

      entry = build_entry (db, own_user_id, room_id, outbox, &section, &lazy, &length, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      if (entry == NULL)
        continue;
      add_room (start, section, room_id, entry, length, lazy);
      if (!outbox)
        mark_stale (db, room_id);
    }
  return TRUE;
}

DuetStoreStart *
duet_store_db_load_start_snapshot (DuetStoreDb  *db,
                                   const char   *own_user_id,
                                   GError      **error)
{
  g_autoptr(DuetStoreStart) start = NULL;
  JsonObject *sections;
  gboolean ok;

  DUET_STORE_DB_ASSERT_THREAD (db);

  /* Entries written from now on are this account's (a first start too:
   * its first sync's rooms get theirs). */
  duet_store_db_set_own_user_id (db, own_user_id);

  start = g_new0 (DuetStoreStart, 1);
  start->response = _duet_store_snapshot_begin (db, &sections, error);
  if (start->response == NULL)
    return NULL;
  json_object_remove_member (start->response, "rooms");
  start->rooms = g_ptr_array_new_with_free_func ((GDestroyNotify) start_room_free);
  ok = _duet_store_snapshot_read_account_data (db, _duet_store_snapshot_add_events (start->response, "account_data"), error) &&
       read_rooms (db, own_user_id, start, error);
  duet_store_db_exec (db, "COMMIT", NULL);
  if (!ok)
    return NULL;
  return g_steal_pointer (&start);
}

/* --- Entries kept up to date ------------------------------------------- */

void
duet_store_db_set_own_user_id (DuetStoreDb *db,
                               const char  *own_user_id)
{
  if (g_strcmp0 (db->own_user_id, own_user_id) == 0)
    return;
  g_free (db->own_user_id);
  db->own_user_id = g_strdup (own_user_id);
}

gboolean
duet_store_db_start_changed (DuetStoreDb  *db,
                             const char   *room_id,
                             gboolean      has_row,
                             GError      **error)
{
  sqlite3_stmt *stmt;
  int rc;

  DUET_STORE_DB_ASSERT_THREAD (db);

  mark_stale (db, room_id);
  if (!has_row)
    return TRUE;
  stmt = duet_store_db_prepare (db, "DELETE FROM room_start WHERE room_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return duet_store_db_fail (db, rc, "write", error);
  return TRUE;
}

static gboolean
write_entry (DuetStoreDb  *db,
             const char   *room_id,
             GError      **error)
{
  const char *section = NULL;
  gboolean lazy = FALSE;
  gsize length = 0;
  g_autofree char *entry = NULL;
  GError *local_error = NULL;
  sqlite3_stmt *stmt;
  int rc;

  entry = build_entry (db, db->own_user_id, room_id, FALSE, &section, &lazy, &length, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (entry == NULL)
    return TRUE;  /* forgotten since */

  stmt = duet_store_db_prepare (db,
    "INSERT OR REPLACE INTO room_start (room_id, own_user_id, lazy_members, entry) "
    "VALUES (?1, ?2, ?3, ?4)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, db->own_user_id, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, lazy);
  sqlite3_bind_text (stmt, 4, entry, length, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return duet_store_db_fail (db, rc, "write", error);
  return TRUE;
}

gboolean
duet_store_db_refresh_start (DuetStoreDb *db)
{
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  char *room_id;
  gboolean ok;

  DUET_STORE_DB_ASSERT_THREAD (db);

  if (db->handle == NULL || db->own_user_id == NULL || db->start_stale == NULL ||
      g_hash_table_size (db->start_stale) == 0)
    return FALSE;

  batch = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&iter, db->start_stale);
  while (batch->len < REFRESH_BATCH && g_hash_table_iter_next (&iter, (gpointer *) &room_id, NULL))
    {
      g_hash_table_iter_steal (&iter);
      g_ptr_array_add (batch, room_id);
    }

  ok = duet_store_db_exec (db, "BEGIN IMMEDIATE", &error);
  for (guint i = 0; ok && i < batch->len; i++)
    ok = write_entry (db, batch->pdata[i], &error);
  if (ok)
    ok = duet_store_db_exec (db, "COMMIT", &error);
  if (!ok)
    {
      /* The rooms have no entry, which a start builds: nothing is lost
       * but time, and trying again at once would fail again. */
      g_debug ("Start entries not written: %s", error->message);
      duet_store_db_exec (db, "ROLLBACK", NULL);
      g_hash_table_remove_all (db->start_stale);
    }
  return TRUE;
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
