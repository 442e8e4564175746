/* duet-store-sync.c: merging /sync responses into the cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs on the store's worker thread: a whole response on the worker's own
 * tree of it, a streamed one on its bytes as sent (see "Raw events").  Everything one response changes, and its next_batch token,
 * commit in one transaction: after a crash the database holds either the
 * whole response and its token or neither.
 */
#include "config.h"

#include <string.h>

#include "duet-json-raw.h"
#include "duet-store-private.h"

/* Lenient member access: json-glib's own getters complain (fatally, in
 * tests) about a member of the wrong type, and server JSON is untrusted. */
static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
member_array (JsonObject *object,
              const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
member_true (JsonObject *object,
             const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && json_node_get_value_type (node) == G_TYPE_BOOLEAN &&
         json_node_get_boolean (node);
}

static gboolean
valid_id (const char *id)
{
  return id != NULL && *id != '\0' && strlen (id) <= DUET_STORE_MAX_ID_LENGTH;
}

/* The JSON text to store for @node, or NULL when it is no object or too big
 * to be worth caching (the server still has it). */
static char *
serialize_within (JsonNode *node,
                  gsize     max_size)
{
  g_autofree char *text = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  text = json_to_string (node, FALSE);
  if (strlen (text) > max_size)
    return NULL;
  return g_steal_pointer (&text);
}

static char *
serialize_bounded (JsonNode *node)
{
  return serialize_within (node, DUET_STORE_MAX_EVENT_SIZE);
}

/* Runs a constant statement whose only parameter is a room id. */
static gboolean
exec_for_room (DuetStoreDb  *db,
               const char   *sql,
               const char   *room_id,
               GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  return duet_store_db_step_write (db, stmt, error);
}

/* The members of a raw event the cache reads, as read in place. */
typedef struct {
  DuetJsonRaw type;
  DuetJsonRaw state_key;
  DuetJsonRaw event_id;
  gboolean    controls;
} EventFields;

/* Events come in order, so the one written last is the newest. */
static gboolean
insert_state (DuetStoreDb  *db,
              const char   *room_id,
              const char   *type,
              const char   *state_key,
              const char   *text,
              gsize         length,
              GError      **error)
{
  sqlite3_stmt *stmt;

  if (!valid_id (type) || state_key == NULL || strlen (state_key) > DUET_STORE_MAX_ID_LENGTH)
    return TRUE;
  stmt = duet_store_db_prepare (db,
    "INSERT OR REPLACE INTO room_state (room_id, type, state_key, event) VALUES (?1, ?2, ?3, ?4)",
    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, type, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, state_key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, text, (int) length, SQLITE_STATIC);
  return duet_store_db_step_write (db, stmt, error);
}

/* The event ids a room's timeline has, so that each is stored once.  A
 * unique index on (room_id, event_id) did this for every saved event at
 * the price of a second index entry and its lookup; the ids come mostly
 * with rooms new in the save (the initial sync), where only the ones of
 * this timeline can repeat. */
typedef struct {
  GHashTable *seen;        /* the ids this timeline inserted */
  gint64      stored_max;  /* the seq of the room's newest row before it; 0: none */
} TimelineIds;

static void
timeline_ids_clear (TimelineIds *ids)
{
  g_clear_pointer (&ids->seen, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TimelineIds, timeline_ids_clear)

static gboolean
timeline_ids_init (DuetStoreDb  *db,
                   const char   *room_id,
                   gboolean      new_room,
                   TimelineIds  *ids,
                   GError      **error)
{
  sqlite3_stmt *stmt;
  int rc;

  ids->seen = NULL;
  ids->stored_max = 0;
  /* A room new in this save has no rows yet. */
  if (new_room)
    return TRUE;
  stmt = duet_store_db_prepare (db, "SELECT max(seq) FROM timeline WHERE room_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    ids->stored_max = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_ROW)
    return duet_store_db_fail (db, rc, "read", error);
  return TRUE;
}

/* *@found: @event_id is in the room's timeline already. */
static gboolean
timeline_ids_lookup (DuetStoreDb  *db,
                     const char   *room_id,
                     TimelineIds  *ids,
                     const char   *event_id,
                     gboolean     *found,
                     GError      **error)
{
  sqlite3_stmt *stmt;
  int rc;

  *found = ids->seen != NULL && g_hash_table_contains (ids->seen, event_id);
  if (*found || ids->stored_max == 0)
    return TRUE;
  /* The rows this timeline added are in @seen: only the older ones are
   * read, at most a cached timeline's worth. */
  stmt = duet_store_db_prepare (db,
    "SELECT 1 FROM timeline WHERE room_id = ?1 AND seq <= ?2 AND event_id = ?3", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, ids->stored_max);
  sqlite3_bind_text (stmt, 3, event_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return duet_store_db_fail (db, rc, "read", error);
  *found = rc == SQLITE_ROW;
  return TRUE;
}

/* An event seen before keeps its place (and the chunk's token goes to the
 * next new one, which only makes pagination overlap). */
static gboolean
insert_timeline (DuetStoreDb  *db,
                 const char   *room_id,
                 TimelineIds  *ids,
                 const char   *event_id,
                 const char   *text,
                 gsize         length,
                 const char   *prev_batch,
                 gboolean     *chunk_start,
                 GError      **error)
{
  sqlite3_stmt *stmt;
  gboolean found = FALSE;

  /* Events without an id are all kept. */
  if (event_id != NULL && !timeline_ids_lookup (db, room_id, ids, event_id, &found, error))
    return FALSE;
  if (found)
    return TRUE;
  stmt = duet_store_db_prepare (db,
    "INSERT OR IGNORE INTO timeline (room_id, event_id, chunk_start, prev_batch, event) "
    "VALUES (?1, ?2, ?3, ?4, ?5)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, event_id, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, *chunk_start);
  sqlite3_bind_text (stmt, 4, *chunk_start ? prev_batch : NULL, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, text, (int) length, SQLITE_STATIC);
  if (!duet_store_db_step_write (db, stmt, error))
    return FALSE;
  if (sqlite3_changes (db->handle) > 0)
    *chunk_start = FALSE;
  if (event_id != NULL)
    {
      if (ids->seen == NULL)
        ids->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_add (ids->seen, g_strdup (event_id));
    }
  return TRUE;
}

/* @serialized is @node serialized when the caller has it already, or NULL. */
static gboolean
put_state_event (DuetStoreDb  *db,
                 const char   *room_id,
                 JsonNode     *node,
                 const char   *serialized,
                 GError      **error)
{
  g_autofree char *owned = serialized == NULL ? serialize_bounded (node) : NULL;
  const char *text = serialized != NULL ? serialized : owned;
  JsonObject *event;

  if (text == NULL)
    return TRUE;
  event = json_node_get_object (node);
  return insert_state (db, room_id, member_string (event, "type"), member_string (event, "state_key"),
                       text, strlen (text), error);
}

static gboolean
put_state_events (DuetStoreDb  *db,
                  const char   *room_id,
                  JsonArray    *events,
                  GError      **error)
{
  guint n = events != NULL ? json_array_get_length (events) : 0;

  for (guint i = 0; i < n; i++)
    if (!put_state_event (db, room_id, json_array_get_element (events, i), NULL, error))
      return FALSE;
  return TRUE;
}

/* One account data event's content, replacing the stored one; @room_id
 * NULL for the account's global account data. */
static gboolean
insert_account_data (DuetStoreDb  *db,
                     const char   *room_id,
                     const char   *type,
                     const char   *content,
                     gsize         length,
                     GError      **error)
{
  sqlite3_stmt *stmt;

  if (room_id == NULL)
    stmt = duet_store_db_prepare (db,
      "INSERT OR REPLACE INTO account_data (type, content) VALUES (?2, ?3)", error);
  else
    stmt = duet_store_db_prepare (db,
      "INSERT OR REPLACE INTO room_account_data (room_id, type, content) VALUES (?1, ?2, ?3)",
      error);
  if (stmt == NULL)
    return FALSE;
  if (room_id != NULL)
    sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, type, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, content, (int) length, SQLITE_STATIC);
  return duet_store_db_step_write (db, stmt, error);
}

/* Account data events {type, content}: the content replaces the stored one.
 * @room_id NULL means the account's global account data. */
static gboolean
put_account_data (DuetStoreDb  *db,
                  const char   *room_id,
                  JsonArray    *events,
                  GError      **error)
{
  guint n = events != NULL ? json_array_get_length (events) : 0;

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      JsonObject *event = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *type = member_string (event, "type");
      JsonNode *content_node = event != NULL ? json_object_get_member (event, "content") : NULL;
      g_autofree char *content = serialize_within (content_node, DUET_STORE_MAX_ACCOUNT_DATA_SIZE);

      if (!valid_id (type) || content_node == NULL || !JSON_NODE_HOLDS_OBJECT (content_node))
        continue;
      /* Skipping it would let the token move past data we do not have. */
      if (content == NULL)
        {
          g_set_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_INVALID_DATA,
                       "The account data “%s” is too large to cache", type);
          return FALSE;
        }
      if (!insert_account_data (db, room_id, type, content, strlen (content), error))
        return FALSE;
    }
  return TRUE;
}

/* The rooms row of a room new in a streamed save, written whole once the
 * room has been read: one insert instead of an insert and up to three
 * updates of it.  NULL where the row is written as it goes. */
typedef struct {
  gboolean  limited;
  char     *prev_batch;
  char     *summary;
  char     *unread;
} NewRoomRow;

static void
new_room_row_clear (NewRoomRow *row)
{
  g_free (row->prev_batch);
  g_free (row->summary);
  g_free (row->unread);
  memset (row, 0, sizeof *row);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (NewRoomRow, new_room_row_clear)

/* Keeps the newest DUET_STORE_TIMELINE_LENGTH events; dropping any means
 * the cache now starts after a gap.  A room new in this save that was
 * given @added events at most has nothing to drop. */
static gboolean
trim_timeline (DuetStoreDb  *db,
               const char   *room_id,
               gboolean      new_room,
               guint         added,
               NewRoomRow   *row,
               GError      **error)
{
  sqlite3_stmt *stmt;

  if (new_room && added <= DUET_STORE_TIMELINE_LENGTH)
    return TRUE;
  stmt = duet_store_db_prepare (db,
    "DELETE FROM timeline WHERE room_id = ?1 AND seq <= "
    "(SELECT seq FROM timeline WHERE room_id = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
    error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 2, DUET_STORE_TIMELINE_LENGTH);
  if (!duet_store_db_step_write (db, stmt, error))
    return FALSE;
  if (sqlite3_changes (db->handle) == 0)
    return TRUE;
  if (row != NULL)
    {
      row->limited = TRUE;
      return TRUE;
    }
  return exec_for_room (db, "UPDATE rooms SET timeline_limited = 1 WHERE room_id = ?1", room_id, error);
}

/* Events are missing between the cached ones and the new ones: the cached
 * ones would show a conversation with a hole, so they go. */
static gboolean
start_limited_timeline (DuetStoreDb  *db,
                        const char   *room_id,
                        gboolean      new_room,
                        const char   *prev_batch,
                        NewRoomRow   *row,
                        GError      **error)
{
  sqlite3_stmt *stmt;

  /* A room new in this save has no cached events yet. */
  if (!new_room && !exec_for_room (db, "DELETE FROM timeline WHERE room_id = ?1", room_id, error))
    return FALSE;
  if (row != NULL)
    {
      row->limited = TRUE;
      g_free (row->prev_batch);
      row->prev_batch = g_strdup (prev_batch);
      return TRUE;
    }
  stmt = duet_store_db_prepare (db,
    "UPDATE rooms SET timeline_limited = 1, prev_batch = ?2 WHERE room_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, prev_batch, -1, SQLITE_STATIC);
  return duet_store_db_step_write (db, stmt, error);
}

static gboolean
put_timeline (DuetStoreDb  *db,
              const char   *room_id,
              gboolean      new_room,
              JsonObject   *timeline,
              GError      **error)
{
  JsonArray *events = member_array (timeline, "events");
  const char *prev_batch = member_string (timeline, "prev_batch");
  guint n = events != NULL ? json_array_get_length (events) : 0;
  gboolean chunk_start = TRUE;
  g_auto(TimelineIds) ids = { NULL, 0 };

  if (timeline == NULL)
    return TRUE;

  if (member_true (timeline, "limited") &&
      !start_limited_timeline (db, room_id, new_room, prev_batch, NULL, error))
    return FALSE;
  if (!timeline_ids_init (db, room_id, new_room, &ids, error))
    return FALSE;

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      g_autofree char *text = serialize_bounded (node);
      const char *event_id;

      if (text == NULL)
        continue;
      event_id = member_string (json_node_get_object (node), "event_id");
      if (event_id != NULL && !valid_id (event_id))
        continue;
      if (member_string (json_node_get_object (node), "state_key") != NULL &&
          !put_state_event (db, room_id, node, text, error))
        return FALSE;

      if (!insert_timeline (db, room_id, &ids, event_id, text, strlen (text), prev_batch, &chunk_start,
                            error))
        return FALSE;
    }

  return trim_timeline (db, room_id, new_room, n, NULL, error);
}

static gboolean
put_room_json_len (DuetStoreDb  *db,
                   const char   *sql,
                   const char   *room_id,
                   const char   *text,
                   gssize        length,
                   GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, text, (int) length, SQLITE_STATIC);
  return duet_store_db_step_write (db, stmt, error);
}

static gboolean
put_room_json (DuetStoreDb  *db,
               const char   *sql,
               const char   *room_id,
               const char   *text,
               GError      **error)
{
  return put_room_json_len (db, sql, room_id, text, -1, error);
}

/* A summary lists only the fields that changed: merge it into the old one. */
static gboolean
merge_summary (DuetStoreDb  *db,
               const char   *room_id,
               gboolean      new_room,
               JsonObject   *summary,
               NewRoomRow   *row,
               GError      **error)
{
  sqlite3_stmt *stmt;
  g_autoptr(JsonNode) merged = NULL;
  g_autofree char *text = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  int rc;

  if (summary == NULL)
    return TRUE;

  /* A room new in this save has no summary yet. */
  if (!new_room)
    {
      stmt = duet_store_db_prepare (db, "SELECT summary FROM rooms WHERE room_id = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
        merged = json_from_string ((const char *) sqlite3_column_text (stmt, 0), NULL);
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return duet_store_db_fail (db, rc, "read", error);
    }
  if (merged == NULL || !JSON_NODE_HOLDS_OBJECT (merged))
    {
      g_clear_pointer (&merged, json_node_unref);
      merged = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (merged, json_object_new ());
    }

  json_object_iter_init (&iter, summary);
  while (json_object_iter_next (&iter, &name, &value))
    json_object_set_member (json_node_get_object (merged), name, json_node_copy (value));

  text = serialize_bounded (merged);
  if (text == NULL)
    return TRUE;
  if (row != NULL)
    {
      g_free (row->summary);
      row->summary = g_steal_pointer (&text);
      return TRUE;
    }
  return put_room_json (db, "UPDATE rooms SET summary = ?2 WHERE room_id = ?1", room_id, text, error);
}

/* The room's row, with its membership; a move to or from an invite
 * starts the room's cached events afresh.  *@new_room: the cache had no
 * row for it (so no events, state or summary either: forget and clear
 * delete them with the row). */
static gboolean
begin_room (DuetStoreDb  *db,
            const char   *room_id,
            const char   *membership,
            gboolean      defer_new_row,
            gboolean     *new_room,
            GError      **error)
{
  gboolean is_invite = g_str_equal (membership, "invite");
  g_autofree char *old_membership = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = duet_store_db_prepare (db, "SELECT membership FROM rooms WHERE room_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    old_membership = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return duet_store_db_fail (db, rc, "read", error);
  *new_room = rc == SQLITE_DONE;

  /* Stripped invite state and the full state of a joined room must not
   * mix: whichever side the room moves to starts from its own events. */
  if (old_membership != NULL && !g_str_equal (old_membership, membership) &&
      (is_invite || g_str_equal (old_membership, "invite")))
    {
      if (!exec_for_room (db, "DELETE FROM room_state WHERE room_id = ?1", room_id, error) ||
          !exec_for_room (db, "DELETE FROM timeline WHERE room_id = ?1", room_id, error) ||
          !exec_for_room (db, "UPDATE rooms SET timeline_limited = 0, prev_batch = NULL "
                              "WHERE room_id = ?1", room_id, error))
        return FALSE;
    }

  /* @defer_new_row: the caller writes a new room's row (NewRoomRow). */
  if (!(*new_room && defer_new_row) &&
      !put_room_json (db,
        "INSERT INTO rooms (room_id, membership) VALUES (?1, ?2) "
        "ON CONFLICT (room_id) DO UPDATE SET membership = excluded.membership",
        room_id, membership, error))
    return FALSE;
  /* Whatever the save writes next, the start's entry no longer says it. */
  return duet_store_db_start_changed (db, room_id, !*new_room, error);
}

static gboolean
save_room (DuetStoreDb  *db,
           const char   *room_id,
           const char   *membership,
           JsonObject   *room,
           GError      **error)
{
  gboolean is_invite = g_str_equal (membership, "invite");
  g_autofree char *unread = NULL;
  gboolean new_room;

  if (!valid_id (room_id) || room == NULL)
    return TRUE;
  if (!begin_room (db, room_id, membership, FALSE, &new_room, error))
    return FALSE;

  if (is_invite)
    return put_state_events (db, room_id, member_array (member_object (room, "invite_state"), "events"),
                             error);

  /* state.events is the state before the timeline, so it goes first. */
  if (!put_state_events (db, room_id, member_array (member_object (room, "state"), "events"), error) ||
      !put_timeline (db, room_id, new_room, member_object (room, "timeline"), error) ||
      !put_account_data (db, room_id, member_array (member_object (room, "account_data"), "events"),
                         error) ||
      !merge_summary (db, room_id, new_room, member_object (room, "summary"), NULL, error))
    return FALSE;

  unread = serialize_bounded (json_object_get_member (room, "unread_notifications"));
  if (unread != NULL &&
      !put_room_json (db, "UPDATE rooms SET unread_notifications = ?2 WHERE room_id = ?1",
                      room_id, unread, error))
    return FALSE;
  return TRUE;
}

static gboolean
save_section (DuetStoreDb  *db,
              JsonObject   *rooms,
              const char   *membership,
              GError      **error)
{
  JsonObject *section = member_object (rooms, membership);
  JsonObjectIter iter;
  const char *room_id;
  JsonNode *room;

  if (section == NULL)
    return TRUE;
  json_object_iter_init (&iter, section);
  while (json_object_iter_next (&iter, &room_id, &room))
    if (!save_room (db, room_id, membership,
                    JSON_NODE_HOLDS_OBJECT (room) ? json_node_get_object (room) : NULL, error))
      return FALSE;
  return TRUE;
}

static gboolean
save_sync_in_transaction (DuetStoreDb  *db,
                          JsonObject   *response,
                          const char   *next_batch,
                          GError      **error)
{
  JsonObject *rooms = member_object (response, "rooms");
  sqlite3_stmt *stmt;

  /* A room left and invited again within one response is in both
   * sections; the invite is the newer fact, so it is written last. */
  if (!put_account_data (db, NULL, member_array (member_object (response, "account_data"), "events"),
                         error) ||
      !save_section (db, rooms, "leave", error) ||
      !save_section (db, rooms, "join", error) ||
      !save_section (db, rooms, "invite", error))
    return FALSE;

  stmt = duet_store_db_prepare (db,
    "INSERT INTO sync_token (id, next_batch) VALUES (1, ?1) "
    "ON CONFLICT (id) DO UPDATE SET next_batch = excluded.next_batch", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, next_batch, -1, SQLITE_STATIC);
  return duet_store_db_step_write (db, stmt, error);
}

/* Runs @body between BEGIN IMMEDIATE and COMMIT, rolling back on failure. */
static gboolean
in_transaction (DuetStoreDb  *db,
                gboolean    (*body) (DuetStoreDb *, gpointer, GError **),
                gpointer      data,
                GError      **error)
{
  if (!duet_store_db_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!body (db, data, error) || !duet_store_db_exec (db, "COMMIT", error))
    {
      duet_store_db_exec (db, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}

static gboolean
save_body (DuetStoreDb  *db,
           gpointer      data,
           GError      **error)
{
  JsonObject *response = data;

  return save_sync_in_transaction (db, response, member_string (response, "next_batch"), error);
}

gboolean
duet_store_db_save_sync (DuetStoreDb  *db,
                         JsonObject   *response,
                         GError      **error)
{
  const char *next_batch = member_string (response, "next_batch");

  DUET_STORE_DB_ASSERT_THREAD (db);

  /* Without its token a response cannot be saved consistently at all. */
  if (next_batch == NULL || *next_batch == '\0' || strlen (next_batch) > 4 * DUET_STORE_MAX_ID_LENGTH)
    {
      g_set_error_literal (error, DUET_STORE_ERROR, DUET_STORE_ERROR_INVALID_DATA,
                           "The sync response has no usable next_batch token");
      return FALSE;
    }
  return in_transaction (db, save_body, response, error);
}

/* --- Raw events -------------------------------------------------------------
 *
 * A streamed response comes as the bytes of each room (and of the account
 * data) as the server sent them, and each event is stored as those bytes:
 * no tree on this thread, nothing written back.  Each value stored passes
 * the strict reader first (RFC 8259 grammar, UTF-8, escapes, no lone
 * surrogate, nesting), so that what the snapshot reads back is JSON with
 * the meaning the server gave it, numbers such as 1e400 or 2^64 included
 * (json-glib's generator would have written them as "inf" or -1).  A value
 * that fails is left out, and so is a room whose outline is not JSON.
 */

/* The depth of a room's part and of the account data's in /sync (as
 * DuetJsonPart counts it): the room's object is nested one deeper. */
#define ROOM_DEPTH 3
#define ACCOUNT_DATA_DEPTH 1

/* The last member @name of the object @object (json-glib's rule for
 * repeated names); FALSE when it has none or is no object. */
static gboolean
find_member (const DuetJsonRaw *object,
             guint              depth,
             const char        *name,
             DuetJsonRaw       *value)
{
  DuetJsonRawIter iter;
  DuetJsonRaw member_name, member;
  gboolean found = FALSE;

  if (!duet_json_raw_iter_init (&iter, object->data, object->length, depth, FALSE))
    return FALSE;
  while (duet_json_raw_iter_next (&iter, &member_name, &member))
    if (duet_json_raw_name_is (&member_name, name))
      {
        *value = member;
        found = TRUE;
      }
  return found && !duet_json_raw_iter_failed (&iter);
}

typedef struct {
  DuetJsonRaw  text;
  char        *type;
  char        *state_key;
  char        *event_id;
  char        *escaped;   /* the text with raw control characters escaped */
  gboolean     has_state_key;
  gboolean     has_event_id;
} RawEvent;

static void
raw_event_clear (RawEvent *event)
{
  g_free (event->type);
  g_free (event->state_key);
  g_free (event->event_id);
  g_free (event->escaped);
  memset (event, 0, sizeof *event);
}

/* A raw name without escapes (quotes included) is the string literal @literal. */
#define NAME_IS_PLAIN(name, literal) \
  ((name)->length == sizeof (literal) + 1 && memcmp ((name)->data + 1, literal, sizeof (literal) - 1) == 0)

/* Reads an event's members with @members (entered strictly from its
 * array, so the whole event is checked on the way). */
static void
scan_event (DuetJsonRawIter *members,
            EventFields     *fields)
{
  DuetJsonRaw name, member;

  memset (fields, 0, sizeof *fields);
  while (duet_json_raw_iter_next (members, &name, &member))
    {
      fields->controls |= name.controls || member.controls;
      /* The last of a repeated name wins, as json-glib reads it back.  A
       * name as sent is compared in place; one with escapes, resolved. */
      if (name.length < 2)
        continue;  /* an array's element: no name */
      if (memchr (name.data, '\\', name.length) == NULL)
        {
          if (NAME_IS_PLAIN (&name, "type"))
            fields->type = member;
          else if (NAME_IS_PLAIN (&name, "state_key"))
            fields->state_key = member;
          else if (NAME_IS_PLAIN (&name, "event_id"))
            fields->event_id = member;
          continue;
        }
      if (duet_json_raw_name_is (&name, "type"))
        fields->type = member;
      else if (duet_json_raw_name_is (&name, "state_key"))
        fields->state_key = member;
      else if (duet_json_raw_name_is (&name, "event_id"))
        fields->event_id = member;
    }
}

/* The event @value whose members are @fields, ready to store; FALSE to
 * leave it out. */
static gboolean
read_event (const DuetJsonRaw *value,
            EventFields       *fields,
            gsize              max_size,
            RawEvent          *event)
{
  memset (event, 0, sizeof *event);
  if (value->length > max_size)
    return FALSE;
  event->text = *value;
  if (fields->controls)
    {
      /* Raw control characters are not JSON: written as escapes. */
      event->escaped = duet_json_raw_escape_controls (value);
      event->text.data = event->escaped;
      event->text.length = strlen (event->escaped);
      if (event->text.length > max_size)
        goto refused;
    }
  /* A member of another type counts as absent (json-glib's getters would
   * say so); a string that is no C string (U+0000) is refused. */
  if (duet_json_raw_type (&fields->type) == '"' &&
      (event->type = duet_json_raw_dup_string (&fields->type)) == NULL)
    goto refused;
  if (duet_json_raw_type (&fields->state_key) == '"')
    {
      event->has_state_key = TRUE;
      if ((event->state_key = duet_json_raw_dup_string (&fields->state_key)) == NULL)
        goto refused;
    }
  if (duet_json_raw_type (&fields->event_id) == '"')
    {
      event->has_event_id = TRUE;
      if ((event->event_id = duet_json_raw_dup_string (&fields->event_id)) == NULL)
        goto refused;
    }
  return TRUE;

refused:
  raw_event_clear (event);
  return FALSE;
}

/* The next event of @events (an array iterator), checked and read in one
 * pass; FALSE at the end.  *@ok is FALSE for an event to leave out.
 * @strict FALSE: the room's text was checked strictly before and holds no
 * raw control characters, so the fast reader finds each event's end. */
static gboolean
next_event (DuetJsonRawIter *events,
            gboolean         strict,
            RawEvent        *event,
            gboolean        *ok)
{
  DuetJsonRawIter members;
  DuetJsonRaw value;
  EventFields fields;

  *ok = FALSE;
  memset (event, 0, sizeof *event);
  if (!duet_json_raw_iter_enter (events, NULL, &members, strict))
    return FALSE;
  scan_event (&members, &fields);
  if (!duet_json_raw_iter_leave (events, &members, &value))
    return !duet_json_raw_iter_failed (events);
  *ok = read_event (&value, &fields, DUET_STORE_MAX_EVENT_SIZE, event);
  return TRUE;
}

/* A room's state, invite_state or timeline, read in the room's one pass
 * over its text: the valid events of its last "events" array (in order)
 * and a timeline's prev_batch and limited.  @present: the member was an
 * object that read whole; else the section counts as absent. */
typedef struct {
  GArray      *events;      /* RawEvent; NULL when "events" is no array */
  DuetJsonRaw  prev_batch;
  DuetJsonRaw  limited;
  gboolean     present;
} RawSection;

static void
raw_section_clear (RawSection *section)
{
  g_clear_pointer (&section->events, g_array_unref);
  memset (section, 0, sizeof *section);
}

/* The events of the array @events iterates (entered from its section). */
static GArray *
read_events (DuetJsonRawIter *events,
             gboolean         strict)
{
  GArray *list = g_array_new (FALSE, FALSE, sizeof (RawEvent));
  RawEvent event;
  gboolean valid;

  g_array_set_clear_func (list, (GDestroyNotify) raw_event_clear);
  while (next_event (events, strict, &event, &valid))
    if (valid)
      g_array_append_val (list, event);
  return list;
}

/* Reads the section whose members @members iterates, entered from the
 * room's iterator. */
static void
read_section (DuetJsonRawIter *members,
              gboolean         strict,
              RawSection      *section)
{
  DuetJsonRawIter child;
  DuetJsonRaw name, value;

  raw_section_clear (section);
  while (duet_json_raw_iter_enter (members, &name, &child, FALSE))
    {
      gboolean is_events = duet_json_raw_name_is (&name, "events");

      /* The last of a repeated name wins: an "events" that is no array
       * leaves none. */
      if (is_events)
        {
          g_clear_pointer (&section->events, g_array_unref);
          if (!child.failed && child.close == ']')
            section->events = read_events (&child, strict);
        }
      if (!duet_json_raw_iter_leave (members, &child, &value) && duet_json_raw_iter_failed (members))
        break;
      if (duet_json_raw_name_is (&name, "prev_batch"))
        section->prev_batch = value;
      else if (duet_json_raw_name_is (&name, "limited"))
        section->limited = value;
    }
  if (duet_json_raw_iter_failed (members))
    raw_section_clear (section);
  else
    section->present = TRUE;
}

static gboolean
put_state_events_raw (DuetStoreDb  *db,
                      const char   *room_id,
                      RawSection   *section,
                      GError      **error)
{
  for (guint i = 0; section->events != NULL && i < section->events->len; i++)
    {
      RawEvent *event = &g_array_index (section->events, RawEvent, i);

      if (!insert_state (db, room_id, event->type, event->state_key, event->text.data, event->text.length,
                         error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
put_timeline_raw (DuetStoreDb  *db,
                  const char   *room_id,
                  gboolean      new_room,
                  RawSection   *timeline,
                  NewRoomRow   *row,
                  GError      **error)
{
  g_autofree char *prev_batch = duet_json_raw_dup_string (&timeline->prev_batch);
  guint added = timeline->events != NULL ? timeline->events->len : 0;
  gboolean chunk_start = TRUE;
  g_auto(TimelineIds) ids = { NULL, 0 };

  if (timeline->limited.length == 4 && memcmp (timeline->limited.data, "true", 4) == 0 &&
      !start_limited_timeline (db, room_id, new_room, prev_batch, row, error))
    return FALSE;
  if (!timeline_ids_init (db, room_id, new_room, &ids, error))
    return FALSE;

  for (guint i = 0; i < added; i++)
    {
      RawEvent *event = &g_array_index (timeline->events, RawEvent, i);

      if (event->has_event_id && !valid_id (event->event_id))
        continue;
      if ((event->has_state_key &&
           !insert_state (db, room_id, event->type, event->state_key, event->text.data, event->text.length,
                          error)) ||
          !insert_timeline (db, room_id, &ids, event->event_id, event->text.data, event->text.length,
                            prev_batch, &chunk_start, error))
        return FALSE;
    }

  return trim_timeline (db, room_id, new_room, added, row, error);
}

/* Account data events {type, content}: the content replaces the stored one.
 * @room_id NULL means the account's global account data. */
static gboolean
put_account_data_raw (DuetStoreDb        *db,
                      const char         *room_id,
                      const DuetJsonRaw  *events,
                      guint               depth,
                      GError            **error)
{
  DuetJsonRawIter iter;
  DuetJsonRaw value;

  if (events == NULL || duet_json_raw_type (events) != '[' ||
      !duet_json_raw_iter_init (&iter, events->data, events->length, depth, FALSE))
    return TRUE;
  while (duet_json_raw_iter_next (&iter, NULL, &value))
    {
      DuetJsonRawIter members;
      DuetJsonRaw name, member, type_raw = { 0 }, content = { 0 };
      g_autofree char *type = NULL;
      g_autofree char *escaped = NULL;
      gboolean controls = FALSE;

      if (!duet_json_raw_iter_init (&members, value.data, value.length, depth + 1, FALSE))
        continue;
      while (duet_json_raw_iter_next (&members, &name, &member))
        {
          if (duet_json_raw_name_is (&name, "type"))
            type_raw = member;
          else if (duet_json_raw_name_is (&name, "content"))
            content = member;
        }
      type = duet_json_raw_dup_string (&type_raw);
      if (duet_json_raw_iter_failed (&members) || !valid_id (type) || duet_json_raw_type (&content) != '{' ||
          !duet_json_raw_validate (content.data, content.length, depth + 2, &controls))
        continue;
      if (controls)
        {
          escaped = duet_json_raw_escape_controls (&content);
          content.data = escaped;
          content.length = strlen (escaped);
        }
      /* Skipping it would let the token move past data we do not have. */
      if (content.length > DUET_STORE_MAX_ACCOUNT_DATA_SIZE)
        {
          g_set_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_INVALID_DATA,
                       "The account data “%s” is too large to cache", type);
          return FALSE;
        }
      if (!insert_account_data (db, room_id, type, content.data, content.length, error))
        return FALSE;
    }
  return TRUE;
}

typedef struct {
  RawSection  state;
  RawSection  timeline;
  RawSection  invite_state;
  DuetJsonRaw account_data;
  DuetJsonRaw summary;
  DuetJsonRaw unread;
} RawRoom;

static void
raw_room_clear (RawRoom *room)
{
  raw_section_clear (&room->state);
  raw_section_clear (&room->timeline);
  raw_section_clear (&room->invite_state);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RawRoom, raw_room_clear)

/* The "events" of the member @object of a room, or NULL. */
static const DuetJsonRaw *
events_of (const DuetJsonRaw *object,
           DuetJsonRaw       *events)
{
  if (duet_json_raw_type (object) != '{' || !find_member (object, ROOM_DEPTH + 1, "events", events))
    return NULL;
  return events;
}

/* One pass over the room's text: each section's events are read where
 * they are (entered, not skipped first and read again), and written once
 * the whole room has read, in the order the cache needs (state before the
 * timeline, whatever order the server sent them in). */
static gboolean
read_room_raw (const DuetJsonRaw *text,
               gboolean           strict,
               RawRoom           *room)
{
  DuetJsonRawIter iter, child;
  DuetJsonRaw name, member;

  if (!duet_json_raw_iter_init (&iter, text->data, text->length, ROOM_DEPTH, FALSE) || iter.close != '}')
    return FALSE;
  while (duet_json_raw_iter_enter (&iter, &name, &child, FALSE))
    {
      RawSection *section = NULL;

      if (duet_json_raw_name_is (&name, "state"))
        section = &room->state;
      else if (duet_json_raw_name_is (&name, "timeline"))
        section = &room->timeline;
      else if (duet_json_raw_name_is (&name, "invite_state"))
        section = &room->invite_state;
      if (section != NULL)
        {
          raw_section_clear (section);
          if (!child.failed && child.close == '}')
            read_section (&child, strict, section);
        }
      if (!duet_json_raw_iter_leave (&iter, &child, &member) && duet_json_raw_iter_failed (&iter))
        break;
      if (duet_json_raw_name_is (&name, "account_data"))
        room->account_data = member;
      else if (duet_json_raw_name_is (&name, "summary"))
        room->summary = member;
      else if (duet_json_raw_name_is (&name, "unread_notifications"))
        room->unread = member;
    }
  return !duet_json_raw_iter_failed (&iter);
}

/* The room's parts after its row's membership. */
static gboolean
put_room_parts_raw (DuetStoreDb  *db,
                    const char   *room_id,
                    const char   *membership,
                    gboolean      new_room,
                    RawRoom      *room,
                    NewRoomRow   *row,
                    GError      **error)
{
  DuetJsonRaw events;

  if (g_str_equal (membership, "invite"))
    return put_state_events_raw (db, room_id, &room->invite_state, error);

  /* state.events is the state before the timeline, so it goes first. */
  if (!put_state_events_raw (db, room_id, &room->state, error) ||
      (room->timeline.present && !put_timeline_raw (db, room_id, new_room, &room->timeline, row, error)) ||
      !put_account_data_raw (db, room_id, events_of (&room->account_data, &events), ROOM_DEPTH + 2, error))
    return FALSE;

  if (duet_json_raw_type (&room->summary) == '{')
    {
      g_autoptr(JsonNode) summary = duet_json_raw_parse (room->summary.data, room->summary.length,
                                                         ROOM_DEPTH + 1, NULL);

      if (summary != NULL && JSON_NODE_HOLDS_OBJECT (summary) &&
          !merge_summary (db, room_id, new_room, json_node_get_object (summary), row, error))
        return FALSE;
    }

  if (duet_json_raw_type (&room->unread) == '{' && room->unread.length <= DUET_STORE_MAX_EVENT_SIZE)
    {
      gboolean controls = FALSE;
      g_autofree char *escaped = NULL;
      const char *unread = room->unread.data;
      gsize length = room->unread.length;

      if (!duet_json_raw_validate (room->unread.data, room->unread.length, ROOM_DEPTH + 1, &controls))
        return TRUE;
      if (controls)
        {
          unread = escaped = duet_json_raw_escape_controls (&room->unread);
          length = strlen (escaped);
        }
      if (row != NULL)
        {
          g_free (row->unread);
          row->unread = g_strndup (unread, length);
          return TRUE;
        }
      return put_room_json_len (db, "UPDATE rooms SET unread_notifications = ?2 WHERE room_id = ?1",
                                room_id, unread, length, error);
    }
  return TRUE;
}

static gboolean
insert_new_room_row (DuetStoreDb  *db,
                     const char   *room_id,
                     const char   *membership,
                     NewRoomRow   *row,
                     GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db,
    "INSERT INTO rooms (room_id, membership, timeline_limited, prev_batch, unread_notifications, summary) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, membership, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, row->limited);
  sqlite3_bind_text (stmt, 4, row->prev_batch, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, row->unread, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, row->summary, -1, SQLITE_STATIC);
  return duet_store_db_step_write (db, stmt, error);
}

static gboolean
save_room_raw (DuetStoreDb        *db,
               const char         *room_id,
               const char         *membership,
               const DuetJsonRaw  *text,
               gboolean            strict,
               GError            **error)
{
  g_auto(RawRoom) room = { { 0 } };
  g_auto(NewRoomRow) new_row = { 0 };
  gboolean new_room;

  if (!valid_id (room_id) || !read_room_raw (text, strict, &room))
    return TRUE;

  if (!begin_room (db, room_id, membership, TRUE, &new_room, error))
    return FALSE;
  if (!new_room)
    return put_room_parts_raw (db, room_id, membership, FALSE, &room, NULL, error);
  return put_room_parts_raw (db, room_id, membership, TRUE, &room, &new_row, error) &&
         insert_new_room_row (db, room_id, membership, &new_row, error);
}

/* --- Streamed responses --------------------------------------------------- */

typedef enum {
  ITEM_ACCOUNT_DATA,
  ITEM_ROOM,
  ITEM_COMMIT,
  ITEM_ABORT,
} ItemKind;

typedef struct {
  ItemKind  kind;
  gboolean  checked;    /* @json passed the strict reader, and has no raw control characters */
  char     *membership;
  char     *room_id;
  char     *next_batch;
  GBytes   *json;
} WriterItem;

struct _DuetStoreSyncWriter
{
  GAsyncQueue *queue;   /* WriterItem, shared with the worker's job */
};

static void
writer_item_free (WriterItem *item)
{
  g_free (item->membership);
  g_free (item->room_id);
  g_free (item->next_batch);
  g_clear_pointer (&item->json, g_bytes_unref);
  g_free (item);
}

DuetStoreSyncWriter *
duet_store_sync_writer_new (void)
{
  DuetStoreSyncWriter *writer = g_new0 (DuetStoreSyncWriter, 1);

  writer->queue = g_async_queue_new_full ((GDestroyNotify) writer_item_free);
  return writer;
}

GAsyncQueue *
duet_store_sync_writer_get_queue (DuetStoreSyncWriter *writer)
{
  return writer->queue;
}

static WriterItem *
new_item (ItemKind    kind,
          const char *membership,
          const char *room_id,
          const char *next_batch,
          GBytes     *json)
{
  WriterItem *item = g_new0 (WriterItem, 1);

  item->kind = kind;
  item->membership = g_strdup (membership);
  item->room_id = g_strdup (room_id);
  item->next_batch = g_strdup (next_batch);
  item->json = json != NULL ? g_bytes_ref (json) : NULL;
  return item;
}

static void
push_item (DuetStoreSyncWriter *writer,
           ItemKind             kind,
           const char          *membership,
           const char          *room_id,
           const char          *next_batch,
           GBytes              *json)
{
  g_async_queue_push (writer->queue, new_item (kind, membership, room_id, next_batch, json));
}

void
duet_store_sync_writer_add_account_data (DuetStoreSyncWriter *writer,
                                         GBytes              *json)
{
  g_return_if_fail (writer != NULL && json != NULL);
  push_item (writer, ITEM_ACCOUNT_DATA, NULL, NULL, NULL, json);
}

void
duet_store_sync_writer_add_room (DuetStoreSyncWriter *writer,
                                 const char          *membership,
                                 const char          *room_id,
                                 GBytes              *json)
{
  g_return_if_fail (writer != NULL && membership != NULL && room_id != NULL && json != NULL);
  push_item (writer, ITEM_ROOM, membership, room_id, NULL, json);
}

void
duet_store_sync_writer_add_checked_room (DuetStoreSyncWriter *writer,
                                         const char          *membership,
                                         const char          *room_id,
                                         GBytes              *json,
                                         gboolean             controls)
{
  WriterItem *item;

  g_return_if_fail (writer != NULL && membership != NULL && room_id != NULL && json != NULL);
  item = new_item (ITEM_ROOM, membership, room_id, NULL, json);
  /* Raw control characters are rare: such a room is read strictly, so
   * that each event that holds some is escaped. */
  item->checked = !controls;
  g_async_queue_push (writer->queue, item);
}

static void
writer_end (DuetStoreSyncWriter *writer,
            ItemKind             kind,
            const char          *next_batch)
{
  push_item (writer, kind, NULL, NULL, next_batch, NULL);
  g_async_queue_unref (writer->queue);
  g_free (writer);
}

void
duet_store_sync_writer_commit (DuetStoreSyncWriter *writer,
                               const char          *next_batch)
{
  g_return_if_fail (writer != NULL);
  writer_end (writer, ITEM_COMMIT, next_batch);
}

void
duet_store_sync_writer_abort (DuetStoreSyncWriter *writer)
{
  g_return_if_fail (writer != NULL);
  writer_end (writer, ITEM_ABORT, NULL);
}

static gboolean
save_item (DuetStoreDb  *db,
           WriterItem   *item,
           GError      **error)
{
  DuetJsonRaw text = { g_bytes_get_data (item->json, NULL), g_bytes_get_size (item->json), FALSE };

  /* The model skips what it cannot read; so does the cache. */
  if (item->kind == ITEM_ACCOUNT_DATA)
    {
      DuetJsonRaw events;

      if (!find_member (&text, ACCOUNT_DATA_DEPTH, "events", &events))
        return TRUE;
      return put_account_data_raw (db, NULL, &events, ACCOUNT_DATA_DEPTH + 1, error);
    }
  return save_room_raw (db, item->room_id, item->membership, &text, !item->checked, error);
}

gboolean
duet_store_db_save_sync_stream (DuetStoreDb  *db,
                                GAsyncQueue  *queue,
                                gboolean      refuse,
                                GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean open = FALSE;

  DUET_STORE_DB_ASSERT_THREAD (db);

  if (refuse)
    g_set_error_literal (&local_error, DUET_STORE_ERROR, DUET_STORE_ERROR_INVALID_DATA,
                         "An earlier sync could not be cached; the cache stays at its last "
                         "complete state until Duet starts again");
  else if (duet_store_db_exec (db, "BEGIN IMMEDIATE", &local_error))
    open = TRUE;

  /* Every item is taken, even after a failure: the writer pushes until
   * its end, and nothing else may run on this connection meanwhile. */
  for (;;)
    {
      WriterItem *item = g_async_queue_pop (queue);
      ItemKind kind = item->kind;

      if (kind == ITEM_COMMIT && local_error == NULL)
        {
          const char *next_batch = item->next_batch;
          sqlite3_stmt *stmt = NULL;

          if (next_batch == NULL || *next_batch == '\0' ||
              strlen (next_batch) > 4 * DUET_STORE_MAX_ID_LENGTH)
            g_set_error_literal (&local_error, DUET_STORE_ERROR, DUET_STORE_ERROR_INVALID_DATA,
                                 "The sync response has no usable next_batch token");
          else
            stmt = duet_store_db_prepare (db,
              "INSERT INTO sync_token (id, next_batch) VALUES (1, ?1) "
              "ON CONFLICT (id) DO UPDATE SET next_batch = excluded.next_batch", &local_error);
          if (stmt != NULL)
            {
              sqlite3_bind_text (stmt, 1, next_batch, -1, SQLITE_TRANSIENT);
              if (duet_store_db_step_write (db, stmt, &local_error) &&
                  duet_store_db_exec (db, "COMMIT", &local_error))
                open = FALSE;
            }
        }
      else if (kind == ITEM_ABORT && local_error == NULL)
        g_set_error_literal (&local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "The sync response did not complete");
      else if (kind != ITEM_COMMIT && kind != ITEM_ABORT && local_error == NULL)
        save_item (db, item, &local_error);

      writer_item_free (item);
      if (kind == ITEM_COMMIT || kind == ITEM_ABORT)
        break;
    }

  if (open)
    duet_store_db_exec (db, "ROLLBACK", NULL);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

static gboolean
forget_body (DuetStoreDb  *db,
             gpointer      data,
             GError      **error)
{
  const char *room_id = data;

  return exec_for_room (db, "DELETE FROM rooms WHERE room_id = ?1", room_id, error) &&
         exec_for_room (db, "DELETE FROM room_state WHERE room_id = ?1", room_id, error) &&
         exec_for_room (db, "DELETE FROM timeline WHERE room_id = ?1", room_id, error) &&
         exec_for_room (db, "DELETE FROM room_account_data WHERE room_id = ?1", room_id, error) &&
         duet_store_db_start_changed (db, room_id, TRUE, error);
}

gboolean
duet_store_db_forget_room (DuetStoreDb  *db,
                           const char   *room_id,
                           GError      **error)
{
  DUET_STORE_DB_ASSERT_THREAD (db);

  return in_transaction (db, forget_body, (gpointer) room_id, error);
}

static gboolean
clear_body (DuetStoreDb  *db,
            gpointer      data,
            GError      **error)
{
  return duet_store_db_exec (db, "DELETE FROM sync_token", error) &&
         duet_store_db_exec (db, "DELETE FROM account_data", error) &&
         duet_store_db_exec (db, "DELETE FROM rooms", error) &&
         duet_store_db_exec (db, "DELETE FROM room_state", error) &&
         duet_store_db_exec (db, "DELETE FROM timeline", error) &&
         duet_store_db_exec (db, "DELETE FROM room_account_data", error) &&
         duet_store_db_exec (db, "DELETE FROM room_start", error);
}

gboolean
duet_store_db_clear (DuetStoreDb  *db,
                     GError      **error)
{
  DUET_STORE_DB_ASSERT_THREAD (db);

  return in_transaction (db, clear_body, NULL, error);
}

char *
duet_store_db_get_sync_token (DuetStoreDb  *db,
                              GError      **error)
{
  sqlite3_stmt *stmt;
  char *token = NULL;
  int rc;

  DUET_STORE_DB_ASSERT_THREAD (db);

  stmt = duet_store_db_prepare (db, "SELECT next_batch FROM sync_token WHERE id = 1", error);
  if (stmt == NULL)
    return NULL;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    token = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    duet_store_db_fail (db, rc, "read", error);
  return token;
}
