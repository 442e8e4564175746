/* test-store-raw.c: a streamed /sync is cached from its bytes as sent
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The store's writer takes each room's bytes and stores every event as its
 * own slice of them.  These tests feed it unusual but valid JSON, and JSON
 * that is not, and check both the bytes in the database and what the
 * snapshot reads back.
 */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "duet-json-raw.h"
#include "duet-store-test-utils.h"

#define ROOM "!raw:example.org"

typedef struct {
  const char *account_data;   /* NULL: none */
  const char *rooms[4][3];    /* membership, room id, bytes; ends with NULL */
} StreamedSync;

static gboolean
save_streamed (DuetStore          *store,
               const StreamedSync *sync,
               const char         *next_batch,
               GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  DuetStoreSyncWriter *writer = duet_store_save_sync_begin (store, duet_test_result_cb, &result);

  if (sync->account_data != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (sync->account_data, strlen (sync->account_data));

      duet_store_sync_writer_add_account_data (writer, bytes);
    }
  for (guint i = 0; i < G_N_ELEMENTS (sync->rooms) && sync->rooms[i][0] != NULL; i++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (sync->rooms[i][2], strlen (sync->rooms[i][2]));

      duet_store_sync_writer_add_room (writer, sync->rooms[i][0], sync->rooms[i][1], bytes);
    }
  duet_store_sync_writer_commit (writer, next_batch);
  return duet_store_save_sync_finish (store, duet_test_wait (&result), error);
}

/* The text stored for @sql's one row (its one column), or NULL. */
static char *
stored_text (const char *dir,
             const char *sql)
{
  g_autofree char *path = g_build_filename (dir, "duet.sqlite", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return text;
}

static JsonObject *
find_event (JsonArray  *events,
            const char *event_id)
{
  for (guint i = 0; events != NULL && i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "event_id", NULL), event_id) == 0)
        return event;
    }
  return NULL;
}

/* Escapes of every kind, a surrogate pair, numbers json-glib cannot write
 * back (1e400, beyond int64, 1e22), nesting, a repeated member name and a
 * name written with an escape. */
#define UNUSUAL_MESSAGE \
  "{\"type\": \"m.room.message\", \"event_id\": \"$unusual\", \"sender\": \"@bob:example.org\", " \
  "\"origin_server_ts\": 5, \"content\": {\"msgtype\": \"m.text\", " \
  "\"body\": \"tab\\there \\\"q\\\" \\\\ \\/ \\u00e9 \\ud83d\\ude00 \\b\\f\\r\\n\", " \
  "\"huge\": 1e400, \"big\": 99999999999999999999, \"exp\": 1e22, \"neg\": -0.5E-3, " \
  "\"nested\": [[[[{\"a\": [true, false, null, {}, []]}]]]]}}"

#define UNUSUAL_MEMBER \
  "{\"type\": \"m.room.name\", \"type\": \"m.room.member\", \"st\\u0061te_key\": \"@b\\u00f6b:example.org\", " \
  "\"event_id\": \"$member\", \"sender\": \"@bob:example.org\", " \
  "\"content\": {\"membership\": \"join\", \"displayname\": \"B\\u00f6b \\u2028\"}}"

static void
test_unusual_json (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  DuetStore *store = store_test_open_ok (dir);
  g_autofree char *room = g_strdup_printf (
    "{\"state\": {\"events\": [" UNUSUAL_MEMBER "]}, "
    " \"timeline\": {\"limited\": true, \"prev_batch\": \"p\\u0031\", \"events\": [ " UNUSUAL_MESSAGE " ]},"
    " \"unread_notifications\": {\"highlight_count\": 0, \"notification_count\": 2}}");
  StreamedSync sync = {
    "{\"events\": [{\"type\": \"m.direct\", \"content\": {\"@b\\u00f6b:example.org\": [\"" ROOM "\"], "
    "\"n\": 1e400, \"big\": 99999999999999999999}}]}",
    { { "join", ROOM, room }, { NULL } },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) snapshot = NULL;
  g_autoptr(JsonNode) sent = NULL;
  g_autofree char *text = NULL;
  JsonObject *joined, *event, *direct;
  JsonArray *events;

  g_assert_true (save_streamed (store, &sync, "t1", &error));
  g_assert_no_error (error);

  /* Stored as sent, byte for byte. */
  text = stored_text (dir, "SELECT event FROM timeline WHERE event_id = '$unusual'");
  g_assert_cmpstr (text, ==, UNUSUAL_MESSAGE);
  g_clear_pointer (&text, g_free);
  /* Indexed by its members as read (the last "type", the escaped name). */
  text = stored_text (dir, "SELECT event FROM room_state WHERE type = 'm.room.member' "
                           "AND state_key = '@b\xc3\xb6" "b:example.org'");
  g_assert_cmpstr (text, ==, UNUSUAL_MEMBER);
  g_clear_pointer (&text, g_free);
  text = stored_text (dir, "SELECT prev_batch FROM rooms WHERE room_id = '" ROOM "'");
  g_assert_cmpstr (text, ==, "p1");
  g_clear_pointer (&text, g_free);
  text = stored_text (dir, "SELECT next_batch FROM sync_token");
  g_assert_cmpstr (text, ==, "t1");

  /* Read back with the same meaning as the bytes sent. */
  snapshot = store_test_load (store);
  joined = store_test_path_object (snapshot, "rooms", "join", ROOM, NULL);
  g_assert_nonnull (joined);
  events = store_test_events_of (joined, "timeline");
  event = find_event (events, "$unusual");
  g_assert_nonnull (event);
  sent = json_from_string (UNUSUAL_MESSAGE, &error);
  g_assert_no_error (error);
  g_assert_true (duet_test_json_object_equal (event, json_node_get_object (sent)));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event, "content"), "body"), ==,
                   "tab\there \"q\" \\ / \xc3\xa9 \xf0\x9f\x98\x80 \b\f\r\n");

  events = store_test_events_of (joined, "state");
  g_assert_cmpuint (json_array_get_length (events), ==, 1);
  g_assert_cmpstr (store_test_event_string (events, 0, "event_id"), ==, "$member");

  direct = store_test_path_object (snapshot, "account_data", NULL);
  g_assert_nonnull (direct);
  events = json_object_get_array_member (direct, "events");
  g_assert_cmpuint (json_array_get_length (events), ==, 1);
  direct = json_object_get_object_member (json_array_get_object_element (events, 0), "content");
  g_assert_true (json_object_has_member (direct, "@b\xc3\xb6" "b:example.org"));
  g_assert_true (json_object_has_member (direct, "n"));

  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

/* Events that are not JSON are left out, the others kept, the response
 * committed; raw control characters (not JSON, but read by the model) are
 * stored escaped; a room whose outline is not JSON is left out whole. */
static void
test_invalid_left_out (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  DuetStore *store = store_test_open_ok (dir);
  const char *room =
    "{\"timeline\": {\"events\": ["
    "{\"type\": \"m.room.message\", \"event_id\": \"$1\", \"content\": {\"body\": \"one\"}},"
    "{\"type\": \"m.room.message\", \"event_id\": \"$lone\", \"content\": {\"body\": \"\\ud800\"}},"
    "{\"type\": \"m.room.message\", \"event_id\": \"$zero\", \"content\": {\"n\": 01}},"
    "{\"type\": \"m.room.message\", \"event_id\": \"$octal\", \"content\": {\"body\": \"\\333\"}},"
    "{\"type\": \"m.room.message\", \"event_id\": \"$nul\\u0000\", \"content\": {}},"
    "{\"type\": \"m.room.message\", \"event_id\": \"$word\", \"content\": {\"ok\": tru}},"
    "{\"type\": \"m.room.message\", \"event_id\": \"$tab\", \"content\": {\"body\": \"a\tb\"}},"
    "[\"not an event\"], 5, \"text\","
    "{\"type\": \"m.room.message\", \"event_id\": \"$2\", \"content\": {\"body\": \"two\"}}"
    "]}}";
  StreamedSync sync = {
    NULL,
    { { "join", ROOM, room },
      { "join", "!broken:example.org", "{\"timeline\": {\"events\": [{\"type\": " },
      { "join", "!array:example.org", "[1, 2]" },
      { NULL } },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) snapshot = NULL;
  g_autofree char *text = NULL;
  JsonObject *joined, *event;
  JsonArray *events;

  g_assert_true (save_streamed (store, &sync, "t2", &error));
  g_assert_no_error (error);

  snapshot = store_test_load (store);
  joined = store_test_path_object (snapshot, "rooms", "join", ROOM, NULL);
  g_assert_nonnull (joined);
  events = store_test_events_of (joined, "timeline");
  g_assert_cmpuint (json_array_get_length (events), ==, 3);
  g_assert_cmpstr (store_test_event_string (events, 0, "event_id"), ==, "$1");
  g_assert_cmpstr (store_test_event_string (events, 1, "event_id"), ==, "$tab");
  g_assert_cmpstr (store_test_event_string (events, 2, "event_id"), ==, "$2");
  event = find_event (events, "$tab");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event, "content"), "body"), ==,
                   "a\tb");
  text = stored_text (dir, "SELECT event FROM timeline WHERE event_id = '$tab'");
  g_assert_nonnull (strstr (text, "a\\u0009b"));

  g_assert_null (store_test_path_object (snapshot, "rooms", "join", "!broken:example.org", NULL));
  g_assert_null (store_test_path_object (snapshot, "rooms", "join", "!array:example.org", NULL));

  g_clear_pointer (&text, g_free);
  text = stored_text (dir, "SELECT next_batch FROM sync_token");
  g_assert_cmpstr (text, ==, "t2");

  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

/* The raw path and the tree path (a whole response) store the same
 * meaning for the same response. */
static void
test_same_as_tree (void)
{
  g_autofree char *dir_raw = store_test_make_data_dir ();
  g_autofree char *dir_tree = store_test_make_data_dir ();
  DuetStore *raw = store_test_open_ok (dir_raw);
  DuetStore *tree = store_test_open_ok (dir_tree);
  const char *room =
    "{\"state\": {\"events\": [{\"type\": \"m.room.create\", \"state_key\": \"\", \"event_id\": \"$c\", "
    "\"content\": {\"creator\": \"@a:x\"}}]},"
    " \"timeline\": {\"prev_batch\": \"pb\", \"events\": ["
    "{\"type\": \"m.room.member\", \"state_key\": \"@a:x\", \"event_id\": \"$m\", \"content\": {\"membership\": \"join\"}},"
    "{\"type\": \"m.room.message\", \"event_id\": \"$t\", \"content\": {\"body\": \"hi\", \"n\": [1, 2.5, -3]}}]},"
    " \"account_data\": {\"events\": [{\"type\": \"m.tag\", \"content\": {\"tags\": {\"u.x\": {}}}}]},"
    " \"summary\": {\"m.joined_member_count\": 2, \"m.heroes\": [\"@b:x\"]},"
    " \"unread_notifications\": {\"notification_count\": 1}}";
  g_autofree char *whole = g_strdup_printf ("{\"next_batch\": \"t3\", \"rooms\": {\"join\": {\"" ROOM "\": %s}}}",
                                            room);
  StreamedSync sync = { NULL, { { "join", ROOM, room }, { NULL } } };
  g_autoptr(JsonObject) response = duet_test_json_object (whole);
  g_autoptr(JsonObject) from_raw = NULL;
  g_autoptr(JsonObject) from_tree = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (save_streamed (raw, &sync, "t3", &error));
  g_assert_no_error (error);
  store_test_save_ok (tree, response);

  from_raw = store_test_load (raw);
  from_tree = store_test_load (tree);
  g_assert_true (duet_test_json_object_equal (from_raw, from_tree));
  g_assert_cmpuint (json_array_get_length (store_test_events_of (
    store_test_path_object (from_raw, "rooms", "join", ROOM, NULL), "state")), ==, 2);

  duet_test_finalize (raw);
  duet_test_finalize (tree);
  store_test_remove_dir (dir_raw);
  store_test_remove_dir (dir_tree);
}

#define MESSAGE(id, body) \
  "{\"type\": \"m.room.message\", " id "\"sender\": \"@b:x\", \"content\": {\"body\": \"" body "\"}}"
#define ID(id) "\"event_id\": \"" id "\", "

/* An event id seen before keeps its first row and place, within one
 * timeline, across the sections of one response, and across saves on
 * both paths; events without an id are all kept; a chunk's token goes to
 * its first new event. */
static void
test_repeated_event_ids (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  DuetStore *store = store_test_open_ok (dir);
  const char *left =
    "{\"timeline\": {\"prev_batch\": \"pl\", \"events\": [" MESSAGE (ID ("$x"), "x") ", "
    MESSAGE (ID ("$y"), "y") "]}}";
  const char *joined =
    "{\"timeline\": {\"prev_batch\": \"pj\", \"events\": [" MESSAGE (ID ("$y"), "y again") ", "
    MESSAGE (ID ("$a"), "a") ", " MESSAGE ("", "no id") ", " MESSAGE (ID ("$a"), "a again") ", "
    MESSAGE ("", "no id") ", " MESSAGE (ID ("$b"), "b") "]}}";
  StreamedSync first = { NULL, { { "leave", ROOM, left }, { "join", ROOM, joined }, { NULL } } };
  const char *later =
    "{\"timeline\": {\"prev_batch\": \"p2\", \"events\": [" MESSAGE (ID ("$b"), "b again") ", "
    MESSAGE (ID ("$c"), "c") ", " MESSAGE (ID ("$c"), "c again") "]}}";
  StreamedSync second = { NULL, { { "join", ROOM, later }, { NULL } } };
  g_autoptr(JsonObject) third = duet_test_json_object (
    "{\"next_batch\": \"t3\", \"rooms\": {\"join\": {\"" ROOM "\": {\"timeline\": {\"prev_batch\": \"p3\", "
    "\"events\": [" MESSAGE (ID ("$x"), "x again") ", " MESSAGE (ID ("$d"), "d") ", "
    MESSAGE (ID ("$d"), "d again") "]}}}}}");
  const char *rows_sql =
    "SELECT group_concat (row, ' ') FROM (SELECT coalesce (event_id, '-') || ':' || "
    "(event ->> '$.content.body') || ':' || chunk_start || coalesce (':' || prev_batch, '') AS row "
    "FROM timeline WHERE room_id = '" ROOM "' ORDER BY seq)";
  g_autoptr(GError) error = NULL;
  g_autofree char *rows = NULL;

  g_assert_true (save_streamed (store, &first, "t1", &error));
  g_assert_no_error (error);
  rows = stored_text (dir, rows_sql);
  g_assert_cmpstr (rows, ==, "$x:x:1:pl $y:y:0 $a:a:1:pj -:no id:0 -:no id:0 $b:b:0");

  g_assert_true (save_streamed (store, &second, "t2", &error));
  g_assert_no_error (error);
  g_clear_pointer (&rows, g_free);
  rows = stored_text (dir, rows_sql);
  g_assert_cmpstr (rows, ==, "$x:x:1:pl $y:y:0 $a:a:1:pj -:no id:0 -:no id:0 $b:b:0 $c:c:1:p2");

  store_test_save_ok (store, third);
  g_clear_pointer (&rows, g_free);
  rows = stored_text (dir, rows_sql);
  g_assert_cmpstr (rows, ==, "$x:x:1:pl $y:y:0 $a:a:1:pj -:no id:0 -:no id:0 $b:b:0 $c:c:1:p2 $d:d:1:p3");

  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

/* A cache of the version before keeps its rows and loses the unique
 * index on event ids; a repeated id is still stored once. */
static void
test_drop_timeline_by_event (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  g_autofree char *path = g_build_filename (dir, "duet.sqlite", NULL);
  DuetStore *store = store_test_open_ok (dir);
  const char *room =
    "{\"timeline\": {\"prev_batch\": \"p1\", \"events\": [" MESSAGE (ID ("$a"), "a") "]}}";
  const char *again =
    "{\"timeline\": {\"prev_batch\": \"p2\", \"events\": [" MESSAGE (ID ("$a"), "a again") ", "
    MESSAGE (ID ("$b"), "b") "]}}";
  StreamedSync first = { NULL, { { "join", ROOM, room }, { NULL } } };
  StreamedSync second = { NULL, { { "join", ROOM, again }, { NULL } } };
  const char *index_sql = "SELECT count(*) FROM sqlite_master WHERE name = 'timeline_by_event'";
  g_autoptr(GError) error = NULL;
  g_autofree char *count = NULL;
  g_autofree char *rows = NULL;
  sqlite3 *db = NULL;

  g_assert_true (save_streamed (store, &first, "t1", &error));
  g_assert_no_error (error);
  duet_test_finalize (store);
  count = stored_text (dir, index_sql);
  g_assert_cmpstr (count, ==, "0");

  /* Back to what version 5 left: the index, rooms with its CHECK written
   * with IN, and state_fields. */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
    STORE_TEST_STATE_FIELDS_TABLE
    "CREATE UNIQUE INDEX timeline_by_event ON timeline (room_id, event_id);"
    "CREATE TABLE rooms_v5 (room_id TEXT PRIMARY KEY,"
    "  membership TEXT NOT NULL CHECK (membership IN ('join', 'invite', 'leave')),"
    "  timeline_limited INTEGER NOT NULL DEFAULT 0, prev_batch TEXT, unread_notifications TEXT,"
    "  summary TEXT) WITHOUT ROWID;"
    "INSERT INTO rooms_v5 SELECT * FROM rooms;"
    "DROP TABLE rooms;"
    "ALTER TABLE rooms_v5 RENAME TO rooms;"
    "UPDATE rooms SET timeline_limited = 1, prev_batch = 'kept', unread_notifications = '{}';"
    "PRAGMA user_version = 5;", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = store_test_open_ok (dir);
  g_assert_false (duet_store_get_was_reset (store));
  g_assert_true (save_streamed (store, &second, "t2", &error));
  g_assert_no_error (error);
  duet_test_finalize (store);
  g_clear_pointer (&count, g_free);
  count = stored_text (dir, index_sql);
  g_assert_cmpstr (count, ==, "0");
  rows = stored_text (dir, "SELECT group_concat (event ->> '$.content.body', ',') FROM "
                           "(SELECT event FROM timeline ORDER BY seq)");
  g_assert_cmpstr (rows, ==, "a,b");

  /* rooms was copied whole, its check written without IN, and still
   * refuses what it refused. */
  g_clear_pointer (&rows, g_free);
  rows = stored_text (dir, "SELECT room_id || membership || timeline_limited || prev_batch || "
                           "unread_notifications FROM rooms");
  g_assert_cmpstr (rows, ==, ROOM "join1kept{}");
  g_clear_pointer (&rows, g_free);
  rows = stored_text (dir, "SELECT sql FROM sqlite_master WHERE name = 'rooms'");
  g_assert_nonnull (strstr (rows, "membership = 'join' OR"));
  g_assert_null (strstr (rows, " IN "));
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "INSERT INTO rooms (room_id, membership) VALUES ('!x:y', 'ban')",
                                 NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
  sqlite3_close (db);
  store_test_remove_dir (dir);
}

/* A room new in the cache that comes with more events than it keeps. */
static void
test_new_room_bounded (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  g_autoptr(GString) room = g_string_new ("{\"timeline\": {\"prev_batch\": \"p\", \"events\": [");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  DuetStore *store = store_test_open_ok (dir);

  for (guint i = 0; i < DUET_STORE_TIMELINE_LENGTH + 3; i++)
    g_string_append_printf (room, "%s{\"type\": \"m.room.message\", \"event_id\": \"$n%u\", "
                            "\"content\": {\"body\": \"%u\"}}", i > 0 ? ", " : "", i, i);
  g_string_append (room, "]}}");
  {
    StreamedSync sync = { NULL, { { "join", ROOM, room->str }, { NULL } } };

    g_assert_true (save_streamed (store, &sync, "t5", &error));
    g_assert_no_error (error);
  }
  duet_test_finalize (store);

  text = stored_text (dir, "SELECT count(*) || '|' || (SELECT event_id FROM timeline ORDER BY seq LIMIT 1) "
                           "FROM timeline");
  g_assert_cmpstr (text, ==, "50|$n3");
  g_clear_pointer (&text, g_free);
  text = stored_text (dir, "SELECT timeline_limited FROM rooms");
  g_assert_cmpstr (text, ==, "1");
  store_test_remove_dir (dir);
}

/* Every row of the cache, as text. */
static char *
dump_rows (const char *dir)
{
  static const char *const tables[] = {
    "SELECT room_id, membership, timeline_limited, prev_batch, unread_notifications, summary FROM rooms "
    "ORDER BY room_id",
    "SELECT room_id, type, state_key, event FROM room_state ORDER BY room_id, type, state_key",
    "SELECT seq, room_id, event_id, chunk_start, prev_batch, event FROM timeline ORDER BY seq",
  };
  g_autofree char *path = g_build_filename (dir, "duet.sqlite", NULL);
  GString *dump = g_string_new (NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      sqlite3_stmt *stmt = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (db, tables[i], -1, &stmt, NULL), ==, SQLITE_OK);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          for (int column = 0; column < sqlite3_column_count (stmt); column++)
            g_string_append_printf (dump, "%s|", sqlite3_column_type (stmt, column) == SQLITE_NULL
                                                 ? "NULL" : (const char *) sqlite3_column_text (stmt, column));
          g_string_append_c (dump, '\n');
        }
      sqlite3_finalize (stmt);
    }
  sqlite3_close (db);
  return g_string_free (dump, FALSE);
}

/* A room the caller checked already (the session does) is stored as one
 * it did not: raw control characters escaped, invalid events impossible. */
static void
test_checked_same_as_unchecked (void)
{
  g_autofree char *dir_checked = store_test_make_data_dir ();
  g_autofree char *dir_unchecked = store_test_make_data_dir ();
  g_autofree char *unusual = g_strdup_printf (
    "{\"state\": {\"events\": [" UNUSUAL_MEMBER "]}, "
    " \"timeline\": {\"limited\": true, \"prev_batch\": \"p\\u0031\", \"events\": [ " UNUSUAL_MESSAGE " ]},"
    " \"unread_notifications\": {\"highlight_count\": 0, \"notification_count\": 2}}");
  const char *controls =
    "{\"state\": {\"events\": [{\"type\": \"m.room.member\", \"state_key\": \"@c:x\", "
    "\"content\": {\"membership\": \"join\", \"displayname\": \"C\tC\"}}]},"
    " \"timeline\": {\"events\": [{\"type\": \"m.room.message\", \"event_id\": \"$tab\", "
    "\"content\": {\"body\": \"a\tb\"}}, {\"type\": \"m.room.message\", \"event_id\": \"$plain\", "
    "\"content\": {\"body\": \"plain\"}}]}}";
  const char *rooms[][2] = { { ROOM, unusual }, { "!controls:example.org", controls } };
  StreamedSync sync = { NULL, { { "join", ROOM, unusual }, { "join", "!controls:example.org", controls }, { NULL } } };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *checked_rows = NULL;
  g_autofree char *unchecked_rows = NULL;
  DuetStore *store = store_test_open_ok (dir_checked);
  DuetStoreSyncWriter *writer = duet_store_save_sync_begin (store, duet_test_result_cb, &result);

  for (guint i = 0; i < G_N_ELEMENTS (rooms); i++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (rooms[i][1], strlen (rooms[i][1]));
      gboolean has_controls = FALSE;

      g_assert_true (duet_json_raw_validate (rooms[i][1], strlen (rooms[i][1]), 3, &has_controls));
      g_assert_true (has_controls == (i == 1));
      duet_store_sync_writer_add_checked_room (writer, "join", rooms[i][0], bytes, has_controls);
    }
  duet_store_sync_writer_commit (writer, "t4");
  g_assert_true (duet_store_save_sync_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  duet_test_finalize (store);

  store = store_test_open_ok (dir_unchecked);
  g_assert_true (save_streamed (store, &sync, "t4", &error));
  g_assert_no_error (error);
  duet_test_finalize (store);

  checked_rows = dump_rows (dir_checked);
  unchecked_rows = dump_rows (dir_unchecked);
  g_assert_nonnull (strstr (checked_rows, "a\\u0009b"));
  g_assert_nonnull (strstr (checked_rows, "$unusual"));
  g_assert_cmpstr (checked_rows, ==, unchecked_rows);

  store_test_remove_dir (dir_checked);
  store_test_remove_dir (dir_unchecked);
}

#define MEMBER_NAMED(id, name) \
  "{\"type\": \"m.room.member\", \"state_key\": \"@a:x\", " id "\"sender\": \"@a:x\", " \
  "\"content\": {\"membership\": \"join\", \"displayname\": \"" name "\"}}"
#define ROOM_NAME(id, name) \
  "{\"type\": \"m.room.name\", \"state_key\": \"\", " id "\"content\": {\"name\": \"" name "\"}}"

/* The room's text is read in one pass and written in the cache's order:
 * the timeline before the state in the text, repeated sections and
 * repeated "events" (the last wins, as json-glib reads them), a
 * timeline's prev_batch and limited after its events; checked, unchecked
 * and the whole tree store the same.  A section that is no JSON inside
 * counts as absent, the rest of the room is stored. */
static void
test_sections_in_any_order (void)
{
  g_autofree char *dir_checked = store_test_make_data_dir ();
  g_autofree char *dir_unchecked = store_test_make_data_dir ();
  g_autofree char *dir_tree = store_test_make_data_dir ();
  const char *room =
    "{\"timeline\": {\"events\": [" MESSAGE (ID ("$early"), "early") "], \"prev_batch\": \"early\"},"
    " \"state\": {\"events\": [" ROOM_NAME (ID ("$n0"), "ignored") "]},"
    " \"timeline\": {\"events\": [" MEMBER_NAMED (ID ("$m1"), "from timeline") ", " MESSAGE (ID ("$t"), "t")
    "], \"limited\": true, \"prev_batch\": \"pt\"},"
    " \"state\": {\"events\": [" ROOM_NAME (ID ("$n1"), "ignored too") "], \"events\": ["
    MEMBER_NAMED (ID ("$s1"), "from state") ", " ROOM_NAME (ID ("$n2"), "Room") "]}}";
  const char *broken =
    "{\"state\": {\"events\": [" ROOM_NAME (ID ("$b1"), "broken") "], \"x\" 1},"
    " \"timeline\": {\"prev_batch\": \"pb\", \"events\": [" MESSAGE (ID ("$b2"), "kept") "]}}";
  g_autofree char *whole = g_strdup_printf ("{\"next_batch\": \"t1\", \"rooms\": {\"join\": {\"" ROOM "\": %s}}}",
                                            room);
  StreamedSync sync = { NULL, { { "join", ROOM, room }, { NULL } } };
  StreamedSync with_broken = { NULL, { { "join", "!broken:x", broken }, { NULL } } };
  g_autoptr(JsonObject) response = duet_test_json_object (whole);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new (room, strlen (room));
  g_autoptr(JsonObject) from_checked = NULL;
  g_autoptr(JsonObject) from_tree = NULL;
  g_autofree char *checked_rows = NULL;
  g_autofree char *unchecked_rows = NULL;
  g_autofree char *text = NULL;
  DuetStore *store = store_test_open_ok (dir_checked);
  DuetStoreSyncWriter *writer = duet_store_save_sync_begin (store, duet_test_result_cb, &result);

  duet_store_sync_writer_add_checked_room (writer, "join", ROOM, bytes, FALSE);
  duet_store_sync_writer_commit (writer, "t1");
  g_assert_true (duet_store_save_sync_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  from_checked = store_test_load (store);
  duet_test_finalize (store);

  store = store_test_open_ok (dir_tree);
  store_test_save_ok (store, response);
  from_tree = store_test_load (store);
  duet_test_finalize (store);
  g_assert_true (duet_test_json_object_equal (from_checked, from_tree));

  text = stored_text (dir_checked, "SELECT event ->> '$.content.displayname' FROM room_state WHERE type = 'm.room.member'");
  g_assert_cmpstr (text, ==, "from timeline");
  g_clear_pointer (&text, g_free);
  text = stored_text (dir_checked, "SELECT event ->> '$.content.name' FROM room_state WHERE type = 'm.room.name'");
  g_assert_cmpstr (text, ==, "Room");
  g_clear_pointer (&text, g_free);
  text = stored_text (dir_checked, "SELECT group_concat (event_id || ':' || chunk_start || ':' || "
                                   "coalesce (prev_batch, '-'), ' ') FROM (SELECT * FROM timeline ORDER BY seq)");
  g_assert_cmpstr (text, ==, "$m1:1:pt $t:0:-");
  g_clear_pointer (&text, g_free);
  text = stored_text (dir_checked, "SELECT timeline_limited || prev_batch FROM rooms");
  g_assert_cmpstr (text, ==, "1pt");

  store = store_test_open_ok (dir_unchecked);
  g_assert_true (save_streamed (store, &sync, "t1", &error));
  g_assert_no_error (error);
  duet_test_finalize (store);
  checked_rows = dump_rows (dir_checked);
  unchecked_rows = dump_rows (dir_unchecked);
  g_assert_cmpstr (checked_rows, ==, unchecked_rows);

  store = store_test_open_ok (dir_unchecked);
  g_assert_true (save_streamed (store, &with_broken, "t2", &error));
  g_assert_no_error (error);
  duet_test_finalize (store);
  g_clear_pointer (&text, g_free);
  text = stored_text (dir_unchecked, "SELECT count(*) FROM room_state WHERE room_id = '!broken:x'");
  g_assert_cmpstr (text, ==, "0");
  g_clear_pointer (&text, g_free);
  text = stored_text (dir_unchecked, "SELECT event_id FROM timeline WHERE room_id = '!broken:x'");
  g_assert_cmpstr (text, ==, "$b2");

  store_test_remove_dir (dir_checked);
  store_test_remove_dir (dir_unchecked);
  store_test_remove_dir (dir_tree);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/store-raw/unusual-json", test_unusual_json);
  g_test_add_func ("/store-raw/invalid-left-out", test_invalid_left_out);
  g_test_add_func ("/store-raw/same-as-tree", test_same_as_tree);
  g_test_add_func ("/store-raw/checked-same-as-unchecked", test_checked_same_as_unchecked);
  g_test_add_func ("/store-raw/new-room-bounded", test_new_room_bounded);
  g_test_add_func ("/store-raw/repeated-event-ids", test_repeated_event_ids);
  g_test_add_func ("/store-raw/sections-in-any-order", test_sections_in_any_order);
  g_test_add_func ("/store-raw/drop-timeline-by-event", test_drop_timeline_by_event);

  return g_test_run ();
}
