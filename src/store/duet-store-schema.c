/* duet-store-schema.c: SQLite helpers and the schema's migration steps
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "duet-store-private.h"

gboolean
duet_store_db_fail (DuetStoreDb  *db,
                    int           rc,
                    const char   *what,
                    GError      **error)
{
  g_set_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_DATABASE,
               "Could not %s the local cache: %s (%d)", what,
               db->handle != NULL ? sqlite3_errmsg (db->handle) : sqlite3_errstr (rc), rc);
  return FALSE;
}

sqlite3_stmt *
duet_store_db_prepare (DuetStoreDb  *db,
                       const char   *sql,
                       GError      **error)
{
  sqlite3_stmt *stmt;
  int rc;

  DUET_STORE_DB_ASSERT_THREAD (db);

  stmt = g_hash_table_lookup (db->statements, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  /* Statements are reused for every sync, so they are prepared once. */
  rc = sqlite3_prepare_v3 (db->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      duet_store_db_fail (db, rc, "prepare a query of", error);
      return NULL;
    }
  g_hash_table_insert (db->statements, (gpointer) sql, stmt);
  return stmt;
}

gboolean
duet_store_db_exec (DuetStoreDb  *db,
                    const char   *sql,
                    GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    ;
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return duet_store_db_fail (db, rc, "write", error);
  return TRUE;
}

gboolean
duet_store_db_step_write (DuetStoreDb   *db,
                          sqlite3_stmt  *stmt,
                          GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  /* Copies bound with a destructor are freed now, not at the next use,
   * and no pointer bound SQLITE_STATIC outlives the step. */
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    return duet_store_db_fail (db, rc, "write", error);
  return TRUE;
}

void
duet_store_db_finalize_statements (DuetStoreDb *db)
{
  GHashTableIter iter;
  sqlite3_stmt *stmt;

  DUET_STORE_DB_ASSERT_THREAD (db);

  g_hash_table_iter_init (&iter, db->statements);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stmt))
    sqlite3_finalize (stmt);
  g_hash_table_remove_all (db->statements);
}

int
duet_store_schema_get_version (DuetStoreDb  *db,
                               GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, "PRAGMA user_version", error);
  int rc, version;

  if (stmt == NULL)
    return -1;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      duet_store_db_fail (db, rc, "read the version of", error);
      return -1;
    }
  version = sqlite3_column_int (stmt, 0);
  sqlite3_reset (stmt);
  return version;
}

/* Version 1: the first schema.
 *
 * rooms.timeline_limited says the server has events older than the cached
 * ones (a limited timeline arrived, or old events were dropped to keep
 * DUET_STORE_TIMELINE_LENGTH); rooms.prev_batch is the token of the last
 * limited timeline, kept for a room with no cached events.  Each timeline
 * row that starts a /sync timeline chunk carries that chunk's prev_batch,
 * so the snapshot can give a token that paginates back without a hole.
 * Stripped invite state and full state share room_state: moving between
 * invite and join/leave clears the room's state first. */
static const char schema_v1[] =
  "CREATE TABLE sync_token ("
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
  "  next_batch TEXT NOT NULL);"
  "CREATE TABLE account_data ("
  "  type TEXT PRIMARY KEY,"
  "  content TEXT NOT NULL) WITHOUT ROWID;"
  "CREATE TABLE rooms ("
  "  room_id TEXT PRIMARY KEY,"
  "  membership TEXT NOT NULL CHECK (membership IN ('join', 'invite', 'leave')),"
  "  timeline_limited INTEGER NOT NULL DEFAULT 0,"
  "  prev_batch TEXT,"
  "  unread_notifications TEXT,"
  "  summary TEXT) WITHOUT ROWID;"
  "CREATE TABLE room_state ("
  "  room_id TEXT NOT NULL,"
  "  type TEXT NOT NULL,"
  "  state_key TEXT NOT NULL,"
  "  event TEXT NOT NULL,"
  "  PRIMARY KEY (room_id, type, state_key)) WITHOUT ROWID;"
  "CREATE TABLE timeline ("
  "  seq INTEGER PRIMARY KEY,"
  "  room_id TEXT NOT NULL,"
  "  event_id TEXT,"
  "  chunk_start INTEGER NOT NULL,"
  "  prev_batch TEXT,"
  "  event TEXT NOT NULL);"
  "CREATE INDEX timeline_by_room ON timeline (room_id, seq);"
  "CREATE UNIQUE INDEX timeline_by_event ON timeline (room_id, event_id);"
  "CREATE TABLE room_account_data ("
  "  room_id TEXT NOT NULL,"
  "  type TEXT NOT NULL,"
  "  content TEXT NOT NULL,"
  "  PRIMARY KEY (room_id, type)) WITHOUT ROWID;";

static gboolean
migrate_to_v1 (DuetStoreDb  *db,
               GError      **error)
{
  char *message = NULL;
  int rc;

  /* A constant multi-statement script: sqlite3_exec is the tool for it. */
  rc = sqlite3_exec (db->handle, schema_v1, NULL, NULL, &message);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_DATABASE,
                   "Could not create the tables of the local cache: %s", message);
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

/* Version 2: the outbox and the composer drafts.
 *
 * outbox.seq is the queue order (AUTOINCREMENT: never reused, so a message
 * added after a removal still goes last); content is the event content as
 * JSON text; failed marks a message the server refused, which waits for
 * Retry or Delete; event_id is set once the server accepted it (the row
 * then only waits for its echo, and is never sent again).  One that was on
 * its way is sent again with its txn_id after a restart. */
static const char schema_v2[] =
  "CREATE TABLE outbox ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  room_id TEXT NOT NULL,"
  "  txn_id TEXT NOT NULL UNIQUE,"
  "  event_type TEXT NOT NULL,"
  "  content TEXT NOT NULL,"
  "  failed INTEGER NOT NULL DEFAULT 0,"
  "  error_message TEXT,"
  "  event_id TEXT,"
  "  created INTEGER NOT NULL);"
  "CREATE INDEX outbox_by_room ON outbox (room_id, seq);"
  "CREATE TABLE drafts ("
  "  room_id TEXT PRIMARY KEY,"
  "  text TEXT NOT NULL) WITHOUT ROWID;";

static gboolean
run_script (DuetStoreDb  *db,
            const char   *script,
            GError      **error)
{
  char *message = NULL;
  int rc;

  /* A constant multi-statement script: sqlite3_exec is the tool for it. */
  rc = sqlite3_exec (db->handle, script, NULL, NULL, &message);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_DATABASE,
                   "Could not create the tables of the local cache: %s", message);
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
migrate_to_v2 (DuetStoreDb  *db,
               GError      **error)
{
  return run_script (db, schema_v2, error);
}

/* Version 3: the state fields a start reads, extracted when a row is written.
 *
 * room_state keeps each event's whole text; scanning it at a start reads
 * every page of that text (hundreds of MB on a large account) and parses
 * each row's JSON.  state_fields holds, per row the list reads, the few
 * fields it needs as plain columns (duet-store-start.c reads these, not
 * room_state).  The timeline has no such table: a start reads a few rows
 * per room by index, and extracting fields from every saved event would
 * cost each save more than it saves the start.  Triggers write them in
 * the statement, so in the transaction, that writes the row itself: both
 * save paths, forget and clear keep them exact without a line of their
 * own, and a row whose text is not valid JSON has no fields (the start
 * leaves it out, as the whole snapshot does).  INSERT OR REPLACE fires no
 * delete trigger, so the insert trigger clears the key first.
 *
 * state_fields: the m.room.member rows and the state_key '' rows of the
 * types the list reads.  Values come as SQLite's JSON functions give them
 * (->> gives a number for a number, JSON text for an object): the start
 * keeps its checks of the column types.  Display texts (displayname,
 * name) are kept only when they are JSON strings. */
#define STATE_FIELDS_COLUMNS \
  "room_id, type, state_key, content_type, membership, displayname, avatar_url, is_direct, " \
  "name, replacement, predecessor, service_members, sender, prev_membership, prev_is_direct, prev_sender"
#define STATE_FIELDS_VALUES(row) \
  row ".room_id, " row ".type, " row ".state_key, json_type (" row ".event, '$.content'), " \
  "CASE WHEN " row ".type = 'm.room.member' THEN " row ".event ->> '$.content.membership' END, " \
  "CASE WHEN " row ".type = 'm.room.member' AND json_type (" row ".event, '$.content.displayname') = 'text' " \
  "     THEN json_extract (" row ".event, '$.content.displayname') END, " \
  "CASE WHEN " row ".type = 'm.room.member' THEN " row ".event ->> '$.content.avatar_url' END, " \
  "CASE WHEN " row ".type = 'm.room.member' THEN json_type (" row ".event, '$.content.is_direct') END, " \
  "CASE WHEN " row ".type = 'm.room.name' AND json_type (" row ".event, '$.content.name') = 'text' " \
  "     THEN json_extract (" row ".event, '$.content.name') END, " \
  "CASE WHEN " row ".type = 'm.room.tombstone' THEN " row ".event ->> '$.content.replacement_room' END, " \
  "CASE WHEN " row ".type = 'm.room.create' THEN " row ".event ->> '$.content.predecessor.room_id' END, " \
  "CASE WHEN " row ".type = 'io.element.functional_members' " \
  "     THEN json_extract (" row ".event, '$.content.service_members') END, " \
  "CASE WHEN " row ".type = 'm.room.member' THEN " row ".event ->> '$.sender' END, " \
  "CASE WHEN " row ".type = 'm.room.member' THEN " row ".event ->> '$.unsigned.prev_content.membership' END, " \
  "CASE WHEN " row ".type = 'm.room.member' THEN json_type (" row ".event, '$.unsigned.prev_content.is_direct') END, " \
  "CASE WHEN " row ".type = 'm.room.member' THEN " row ".event ->> '$.unsigned.prev_sender' END"
#define STATE_FIELDS_WANTED(row) \
  "(" row ".type = 'm.room.member' OR (" row ".state_key = '' AND " row ".type IN " \
  "('m.room.create', 'm.room.name', 'm.room.encryption', 'm.room.tombstone', " \
  "'io.element.functional_members'))) AND json_valid (" row ".event)"

static const char schema_v3[] =
  "CREATE TABLE state_fields ("
  "  room_id TEXT NOT NULL,"
  "  type TEXT NOT NULL,"
  "  state_key TEXT NOT NULL,"
  "  content_type, membership, displayname, avatar_url, is_direct, name, replacement,"
  "  predecessor, service_members, sender, prev_membership, prev_is_direct, prev_sender,"
  "  PRIMARY KEY (room_id, type, state_key)) WITHOUT ROWID;"
  "CREATE TRIGGER state_fields_insert AFTER INSERT ON room_state BEGIN"
  "  DELETE FROM state_fields"
  "    WHERE room_id = NEW.room_id AND type = NEW.type AND state_key = NEW.state_key;"
  "  INSERT INTO state_fields (" STATE_FIELDS_COLUMNS ")"
  "    SELECT " STATE_FIELDS_VALUES ("NEW") " WHERE " STATE_FIELDS_WANTED ("NEW") ";"
  "END;"
  "CREATE TRIGGER state_fields_update AFTER UPDATE ON room_state BEGIN"
  "  DELETE FROM state_fields"
  "    WHERE room_id = OLD.room_id AND type = OLD.type AND state_key = OLD.state_key;"
  "  INSERT OR REPLACE INTO state_fields (" STATE_FIELDS_COLUMNS ")"
  "    SELECT " STATE_FIELDS_VALUES ("NEW") " WHERE " STATE_FIELDS_WANTED ("NEW") ";"
  "END;"
  "CREATE TRIGGER state_fields_delete AFTER DELETE ON room_state BEGIN"
  "  DELETE FROM state_fields"
  "    WHERE room_id = OLD.room_id AND type = OLD.type AND state_key = OLD.state_key;"
  "END;"
  /* What an older version cached. */
  "INSERT INTO state_fields (" STATE_FIELDS_COLUMNS ")"
  "  SELECT " STATE_FIELDS_VALUES ("room_state") " FROM room_state"
  "  WHERE " STATE_FIELDS_WANTED ("room_state") ";";

static gboolean
migrate_to_v3 (DuetStoreDb  *db,
               GError      **error)
{
  return run_script (db, schema_v3, error);
}

/* Version 4: state_fields written by the store's code, not by triggers.
 *
 * The triggers ran SQLite's JSON functions a dozen times per written row
 * (each parsing the event again), and the IN list built a temporary
 * table per row: half again the work of the initial save.  Versions 4 to
 * 6 wrote the fields in the code that wrote the row, and this step read
 * them all again with the model's rules; version 7 drops the table, and
 * every step of a migration commits together (duet_store_schema_migrate),
 * so no version 4 to 6 cache this build leaves behind has stale fields:
 * the step only drops the triggers. */
static const char schema_v4[] =
  "DROP TRIGGER state_fields_insert;"
  "DROP TRIGGER state_fields_update;"
  "DROP TRIGGER state_fields_delete;";

static gboolean
migrate_to_v4 (DuetStoreDb  *db,
               GError      **error)
{
  return run_script (db, schema_v4, error);
}

/* Version 5: each room's entry as a start shows it, written ahead.
 *
 * A start read its rooms' state row by row from state_fields and built a
 * json-glib tree of them (124,000 rows and 46,000 objects at 10,000
 * rooms), which the model then read through the tree: twice the start's
 * budget.  room_start keeps each room's start entry as JSON text, which
 * the model reads in place as it reads a streamed /sync.  A save that
 * changes a room deletes the room's row in its own transaction, so a row
 * is never older than the room; the worker writes it again between jobs
 * (duet-store-start.c), and a start builds what is missing.  @own_user_id:
 * the account the entry was built for (our member event is kept).  Not
 * WITHOUT ROWID: an entry is often larger than such a table's rows should
 * be (a twentieth of a page). */
static const char schema_v5[] =
  "CREATE TABLE room_start ("
  "  room_id TEXT PRIMARY KEY,"
  "  own_user_id TEXT NOT NULL,"
  "  lazy_members INTEGER NOT NULL,"
  "  entry TEXT NOT NULL);";

static gboolean
migrate_to_v5 (DuetStoreDb  *db,
               GError      **error)
{
  return run_script (db, schema_v5, error);
}

/* Version 6: cheaper writes for a big save.
 *
 * The unique index on (room_id, event_id) cost every saved event a second
 * index entry in a random place of the file, and a lookup before it: a
 * tenth of the initial save's work.  The save keeps each event id once
 * itself (duet-store-sync.c, TimelineIds), and no query reads by event id:
 * the readers go by timeline_by_room (room_id, seq).
 *
 * rooms' CHECK (membership IN (three constants)) made SQLite build a
 * temporary table of the three for every inserted row, most of the
 * insert's work; the same check written with = and OR builds nothing.  A
 * CHECK cannot change in place: the table is copied (it has no index,
 * trigger or view of its own). */
static const char schema_v6[] =
  "DROP INDEX IF EXISTS timeline_by_event;"
  "CREATE TABLE rooms_v6 ("
  "  room_id TEXT PRIMARY KEY,"
  "  membership TEXT NOT NULL"
  "    CHECK (membership = 'join' OR membership = 'invite' OR membership = 'leave'),"
  "  timeline_limited INTEGER NOT NULL DEFAULT 0,"
  "  prev_batch TEXT,"
  "  unread_notifications TEXT,"
  "  summary TEXT) WITHOUT ROWID;"
  "INSERT INTO rooms_v6 (room_id, membership, timeline_limited, prev_batch, unread_notifications, summary)"
  "  SELECT room_id, membership, timeline_limited, prev_batch, unread_notifications, summary FROM rooms;"
  "DROP TABLE rooms;"
  "ALTER TABLE rooms_v6 RENAME TO rooms;";

static gboolean
migrate_to_v6 (DuetStoreDb  *db,
               GError      **error)
{
  return run_script (db, schema_v6, error);
}

/* Version 7: no state_fields.
 *
 * Since version 5 a start reads each room's entry from room_start, which
 * the worker writes when it has no job; only that writer read
 * state_fields.  Writing the fields of every member row beside it (and
 * deleting them with it) cost the initial save a fifth of its work, for
 * rows most of which no entry keeps (the members of large rooms).  The
 * writer now reads the fields of the rows it keeps from their texts
 * (duet-store-state-fields.c). */
static const char schema_v7[] =
  "DROP TABLE IF EXISTS state_fields;";

static gboolean
migrate_to_v7 (DuetStoreDb  *db,
               GError      **error)
{
  return run_script (db, schema_v7, error);
}

typedef gboolean (*MigrationStep) (DuetStoreDb *db, GError **error);

/* steps[i] turns version i into version i + 1.  Add new steps at the end;
 * never change one that has shipped. */
static const MigrationStep steps[] = {
  migrate_to_v1,
  migrate_to_v2,
  migrate_to_v3,
  migrate_to_v4,
  migrate_to_v5,
  migrate_to_v6,
  migrate_to_v7,
};

G_STATIC_ASSERT (G_N_ELEMENTS (steps) == DUET_STORE_SCHEMA_VERSION);

/* user_version takes no bound parameter; the statement text is one of
 * these constants, never built at run time. */
static const char * const set_version_sql[] = {
  "PRAGMA user_version = 1",
  "PRAGMA user_version = 2",
  "PRAGMA user_version = 3",
  "PRAGMA user_version = 4",
  "PRAGMA user_version = 5",
  "PRAGMA user_version = 6",
  "PRAGMA user_version = 7",
};

G_STATIC_ASSERT (G_N_ELEMENTS (set_version_sql) == DUET_STORE_SCHEMA_VERSION);

gboolean
duet_store_schema_migrate (DuetStoreDb  *db,
                           GError      **error)
{
  int version;

  DUET_STORE_DB_ASSERT_THREAD (db);

  version = duet_store_schema_get_version (db, error);
  if (version < 0)
    return FALSE;
  /* The caller treats a newer version as unusable before it gets here. */
  g_return_val_if_fail (version <= DUET_STORE_SCHEMA_VERSION, FALSE);

  if (version == DUET_STORE_SCHEMA_VERSION)
    return TRUE;
  /* Every step and the version number commit together: a crash in any
   * leaves the version the cache had, which the next start migrates
   * again.  (A step may leave what only a later one makes whole: the v4
   * step leaves version 3's fields in state_fields, which v7 drops.) */
  if (!duet_store_db_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  for (int i = version; i < DUET_STORE_SCHEMA_VERSION; i++)
    {
      if (!steps[i] (db, error) || !duet_store_db_exec (db, set_version_sql[i], error))
        {
          duet_store_db_exec (db, "ROLLBACK", NULL);
          return FALSE;
        }
    }
  if (!duet_store_db_exec (db, "COMMIT", error))
    {
      duet_store_db_exec (db, "ROLLBACK", NULL);
      return FALSE;
    }
  g_debug ("Local cache migrated from version %d to %d", version, DUET_STORE_SCHEMA_VERSION);
  return TRUE;
}
