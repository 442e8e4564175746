/* duet-store-snapshot.c: the cache read back as an initial /sync response
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The model ingests the snapshot through the path it uses for /sync, so
 * the shape follows the spec: rooms.join.<id>.state.events holds the
 * room's whole current state, timeline.events the cached events oldest
 * first.  Each table is read in one pass, not once per room, so a
 * thousand rooms cost a handful of queries.
 */
#include "config.h"

#include "duet-store-private.h"

typedef struct {
  JsonArray  *state;          /* state.events, or invite_state.events */
  JsonArray  *timeline;       /* NULL for an invite */
  JsonObject *timeline_object;
  JsonArray  *account_data;   /* NULL for an invite */
  gboolean    limited;
  char       *room_prev_batch;
  gboolean    seen_event;     /* a timeline row was read */
  gboolean    need_token;     /* the oldest row is not its chunk's first */
  char       *prev_batch;     /* resolved pagination token */
} SnapshotRoom;

static void
snapshot_room_free (SnapshotRoom *room)
{
  g_free (room->room_prev_batch);
  g_free (room->prev_batch);
  g_free (room);
}

/* A new {"events": []} object as member @name of @parent; its array. */
JsonArray *
_duet_store_snapshot_add_events (JsonObject *parent,
                                 const char *name)
{
  JsonObject *object = json_object_new ();
  JsonArray *events = json_array_new ();

  json_object_set_array_member (object, "events", events);
  json_object_set_object_member (parent, name, object);
  return events;
}

/* Stored text is JSON this store wrote; a row that does not parse back
 * (a disk error the integrity check missed) is left out, not fatal. */
JsonNode *
_duet_store_snapshot_parse_column (sqlite3_stmt *stmt,
                                   int           column)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);
  JsonNode *node = text != NULL ? json_from_string (text, NULL) : NULL;

  if (node != NULL && !JSON_NODE_HOLDS_OBJECT (node))
    g_clear_pointer (&node, json_node_unref);
  return node;
}

static void
add_type_content (JsonArray    *events,
                  const char   *type,
                  JsonNode     *content)
{
  JsonObject *event = json_object_new ();

  json_object_set_string_member (event, "type", type);
  json_object_set_member (event, "content", content);
  json_array_add_object_element (events, event);
}

/* Ends a query whose last step returned @rc; FALSE with @error on a failure. */
gboolean
_duet_store_snapshot_finish_query (DuetStoreDb   *db,
                                   sqlite3_stmt  *stmt,
                                   int            rc,
                                   GError       **error)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    return duet_store_db_fail (db, rc, "read", error);
  return TRUE;
}

gboolean
_duet_store_snapshot_read_account_data (DuetStoreDb  *db,
                                        JsonArray    *events,
                                        GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, "SELECT type, content FROM account_data ORDER BY type",
                                              error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonNode *content = _duet_store_snapshot_parse_column (stmt, 1);

      if (content != NULL)
        add_type_content (events, (const char *) sqlite3_column_text (stmt, 0), content);
    }
  return _duet_store_snapshot_finish_query (db, stmt, rc, error);
}

static gboolean
read_rooms (DuetStoreDb  *db,
            JsonObject   *sections,
            GHashTable   *rooms,
            GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db,
    "SELECT room_id, membership, timeline_limited, prev_batch, unread_notifications, summary "
    "FROM rooms ORDER BY room_id", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *room_id = (const char *) sqlite3_column_text (stmt, 0);
      const char *membership = (const char *) sqlite3_column_text (stmt, 1);
      JsonObject *section = json_object_get_object_member (sections, membership);
      JsonObject *entry = json_object_new ();
      SnapshotRoom *room = g_new0 (SnapshotRoom, 1);

      json_object_set_object_member (section, room_id, entry);
      g_hash_table_insert (rooms, g_strdup (room_id), room);

      if (g_str_equal (membership, "invite"))
        {
          room->state = _duet_store_snapshot_add_events (entry, "invite_state");
          continue;
        }

      room->state = _duet_store_snapshot_add_events (entry, "state");
      room->timeline_object = json_object_new ();
      room->timeline = json_array_new ();
      json_object_set_array_member (room->timeline_object, "events", room->timeline);
      json_object_set_object_member (entry, "timeline", room->timeline_object);
      room->account_data = _duet_store_snapshot_add_events (entry, "account_data");
      room->limited = sqlite3_column_int (stmt, 2) != 0;
      room->room_prev_batch = g_strdup ((const char *) sqlite3_column_text (stmt, 3));

      for (int column = 4; column <= 5; column++)
        {
          JsonNode *node = _duet_store_snapshot_parse_column (stmt, column);

          if (node != NULL)
            json_object_set_member (entry, column == 4 ? "unread_notifications" : "summary", node);
        }
    }
  return _duet_store_snapshot_finish_query (db, stmt, rc, error);
}

static gboolean
read_state (DuetStoreDb  *db,
            GHashTable   *rooms,
            GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db,
    "SELECT room_id, event FROM room_state ORDER BY room_id, type, state_key", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      SnapshotRoom *room = g_hash_table_lookup (rooms, sqlite3_column_text (stmt, 0));
      JsonNode *event;

      if (room == NULL || (event = _duet_store_snapshot_parse_column (stmt, 1)) == NULL)
        continue;
      json_array_add_element (room->state, event);
    }
  return _duet_store_snapshot_finish_query (db, stmt, rc, error);
}

static gboolean
read_timelines (DuetStoreDb  *db,
                GHashTable   *rooms,
                GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db,
    "SELECT room_id, chunk_start, prev_batch, event FROM timeline ORDER BY room_id, seq", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      SnapshotRoom *room = g_hash_table_lookup (rooms, sqlite3_column_text (stmt, 0));
      gboolean chunk_start = sqlite3_column_int (stmt, 1) != 0;
      const char *prev_batch = (const char *) sqlite3_column_text (stmt, 2);
      JsonNode *event;

      if (room == NULL || room->timeline == NULL)
        continue;

      /* The oldest row's chunk token paginates back from exactly there.
       * When older rows of its chunk were dropped, that token would skip
       * them: the next chunk's token re-fetches the kept rows instead,
       * an overlap the model drops by event id, never a hole. */
      if (!room->seen_event)
        {
          room->seen_event = TRUE;
          room->need_token = !chunk_start;
          if (chunk_start)
            room->prev_batch = g_strdup (prev_batch);
        }
      else if (room->need_token && chunk_start)
        {
          room->need_token = FALSE;
          room->prev_batch = g_strdup (prev_batch);
        }

      if ((event = _duet_store_snapshot_parse_column (stmt, 3)) != NULL)
        json_array_add_element (room->timeline, event);
    }
  return _duet_store_snapshot_finish_query (db, stmt, rc, error);
}

static gboolean
read_room_account_data (DuetStoreDb  *db,
                        GHashTable   *rooms,
                        GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db,
    "SELECT room_id, type, content FROM room_account_data ORDER BY room_id, type", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      SnapshotRoom *room = g_hash_table_lookup (rooms, sqlite3_column_text (stmt, 0));
      JsonNode *content;

      if (room == NULL || room->account_data == NULL || (content = _duet_store_snapshot_parse_column (stmt, 2)) == NULL)
        continue;
      add_type_content (room->account_data, (const char *) sqlite3_column_text (stmt, 1), content);
    }
  return _duet_store_snapshot_finish_query (db, stmt, rc, error);
}

static void
resolve_timeline (SnapshotRoom *room,
                  const char   *next_batch)
{
  const char *prev_batch = room->room_prev_batch;
  gboolean limited = room->limited;

  if (room->timeline_object == NULL)
    return;
  if (room->seen_event)
    prev_batch = room->prev_batch;
  if (room->need_token)
    {
      /* Every kept row is from one partly dropped chunk: paginating from
       * the sync token re-fetches them all and then what came before. */
      limited = TRUE;
      prev_batch = next_batch;
    }
  json_object_set_boolean_member (room->timeline_object, "limited", limited);
  if (prev_batch != NULL)
    json_object_set_string_member (room->timeline_object, "prev_batch", prev_batch);
}

/* Opens a snapshot's read transaction (every table seen at the same
 * commit) and makes its skeleton: the token and the three empty sections.
 * NULL, with the transaction closed, when nothing is cached (no error) or
 * on a failure (@error set). */
JsonObject *
_duet_store_snapshot_begin (DuetStoreDb  *db,
                            JsonObject  **sections_out,
                            GError      **error)
{
  g_autofree char *next_batch = NULL;
  GError *local_error = NULL;
  JsonObject *response;
  JsonObject *sections;

  if (!duet_store_db_exec (db, "BEGIN", error))
    return NULL;

  next_batch = duet_store_db_get_sync_token (db, &local_error);
  if (next_batch == NULL)
    {
      duet_store_db_exec (db, "COMMIT", NULL);
      if (local_error != NULL)
        g_propagate_error (error, local_error);
      return NULL;
    }

  response = json_object_new ();
  sections = json_object_new ();
  json_object_set_string_member (response, "next_batch", next_batch);
  json_object_set_object_member (response, "rooms", sections);
  json_object_set_object_member (sections, "join", json_object_new ());
  json_object_set_object_member (sections, "invite", json_object_new ());
  json_object_set_object_member (sections, "leave", json_object_new ());
  *sections_out = sections;
  return response;
}

JsonObject *
duet_store_db_load_snapshot (DuetStoreDb  *db,
                             GError      **error)
{
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(GHashTable) rooms = NULL;
  JsonObject *sections;
  GHashTableIter iter;
  SnapshotRoom *room;
  gboolean ok;

  DUET_STORE_DB_ASSERT_THREAD (db);

  response = _duet_store_snapshot_begin (db, &sections, error);
  if (response == NULL)
    return NULL;
  rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) snapshot_room_free);

  ok = _duet_store_snapshot_read_account_data (db, _duet_store_snapshot_add_events (response, "account_data"), error) &&
       read_rooms (db, sections, rooms, error) &&
       read_state (db, rooms, error) &&
       read_timelines (db, rooms, error) &&
       read_room_account_data (db, rooms, error);
  duet_store_db_exec (db, "COMMIT", NULL);
  if (!ok)
    return NULL;

  g_hash_table_iter_init (&iter, rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    resolve_timeline (room, json_object_get_string_member (response, "next_batch"));

  return g_steal_pointer (&response);
}
