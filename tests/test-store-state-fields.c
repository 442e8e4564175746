/* test-store-state-fields.c: the start's fields follow the state rows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * state_fields (schema version 4) is written by the store beside each
 * room_state row the contact list reads.  These tests save rooms through
 * both save paths (a streamed response's bytes and a whole response's
 * tree), then forget one, move one to an invite and back, and clear the
 * store, and check after each step that state_fields holds exactly the
 * fields of the rows, as SQLite's own JSON functions read them from the
 * stored texts; and that unusual JSON is read as the model reads it.
 */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "duet-store-test-utils.h"

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = store_test_make_data_dir ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  store_test_remove_dir (f->dir);
  g_free (f->dir);
}

static int
count (const char *dir,
       const char *sql)
{
  g_autofree char *path = g_build_filename (dir, "duet.sqlite", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int n;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

/* The one text of @sql's one row, or NULL. */
static char *
text (const char *dir,
      const char *sql)
{
  g_autofree char *path = g_build_filename (dir, "duet.sqlite", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

/* For plain JSON (no repeated names, strings without U+0000), the fields
 * as SQLite's JSON functions read them from room_state. */
#define STRING_AT(path) \
  "CASE WHEN json_type (event, '" path "') = 'text' THEN json_extract (event, '" path "') END"
#define MEMBER_STRING_AT(path) "CASE WHEN type = 'm.room.member' THEN " STRING_AT (path) " END"
#define EXPECTED_FIELDS \
  "SELECT room_id, type, state_key, json_type (event, '$.content'), " \
  MEMBER_STRING_AT ("$.content.membership") ", " MEMBER_STRING_AT ("$.content.displayname") ", " \
  MEMBER_STRING_AT ("$.content.avatar_url") ", " \
  "CASE WHEN type = 'm.room.member' THEN json_type (event, '$.content.is_direct') END, " \
  "CASE WHEN type = 'm.room.name' THEN " STRING_AT ("$.content.name") " END, " \
  "CASE WHEN type = 'm.room.tombstone' THEN " STRING_AT ("$.content.replacement_room") " END, " \
  "CASE WHEN type = 'm.room.create' THEN " STRING_AT ("$.content.predecessor.room_id") " END, " \
  "CASE WHEN type = 'io.element.functional_members' " \
  "     THEN json_quote (json_extract (event, '$.content.service_members')) END, " \
  MEMBER_STRING_AT ("$.sender") ", " MEMBER_STRING_AT ("$.unsigned.prev_content.membership") ", " \
  "CASE WHEN type = 'm.room.member' THEN json_type (event, '$.unsigned.prev_content.is_direct') END, " \
  MEMBER_STRING_AT ("$.unsigned.prev_sender") " " \
  "FROM room_state WHERE json_valid (event) AND (type = 'm.room.member' OR (state_key = '' AND " \
  "type IN ('m.room.create', 'm.room.name', 'm.room.encryption', 'm.room.tombstone', " \
  "'io.element.functional_members')))"
#define STORED_FIELDS \
  "SELECT room_id, type, state_key, content_type, membership, displayname, avatar_url, is_direct, " \
  "name, replacement, predecessor, json (service_members), sender, prev_membership, " \
  "prev_is_direct, prev_sender FROM state_fields"

/* state_fields holds the fields of every row the list reads, no more; at
 * least @min rows. */
static void
assert_fields_match_rows (const char *dir,
                          int         min)
{
  int expected = count (dir, "SELECT count(*) FROM (" EXPECTED_FIELDS ")");

  g_assert_cmpint (expected, >=, min);
  g_assert_cmpint (count (dir, "SELECT count(*) FROM state_fields"), ==, expected);
  g_assert_cmpint (count (dir, "SELECT count(*) FROM (" EXPECTED_FIELDS " EXCEPT " STORED_FIELDS ")"), ==, 0);
  g_assert_cmpint (count (dir, "SELECT count(*) FROM (" STORED_FIELDS " EXCEPT " EXPECTED_FIELDS ")"), ==, 0);
}

#define MEMBER(user, membership, extra) \
  "{\"type\": \"m.room.member\", \"state_key\": \"" user "\", \"sender\": \"" user "\", " \
  "\"event_id\": \"$m" user membership "\", \"origin_server_ts\": 1, " \
  "\"content\": {\"membership\": \"" membership "\"" extra "}}"
#define STATE(type, key, content) \
  "{\"type\": \"" type "\", \"state_key\": \"" key "\", \"sender\": \"@a:x\", " \
  "\"event_id\": \"$s" type key "\", \"origin_server_ts\": 1, \"content\": " content "}"

static const char dm_room[] =
  "{\"state\": {\"events\": ["
  STATE ("m.room.create", "", "{\"creator\": \"@a:x\", \"predecessor\": {\"room_id\": \"!old:x\"}}") ", "
  STATE ("m.room.name", "", "{\"name\": \"Chat\"}") ", "
  STATE ("m.room.name", "other", "{\"name\": \"not read\"}") ", "
  STATE ("m.room.topic", "", "{\"topic\": \"not read\"}") ", "
  STATE ("m.room.encryption", "", "{\"algorithm\": \"m.megolm.v1.aes-sha2\"}") ", "
  STATE ("io.element.functional_members", "", "{\"service_members\": [\"@bot:x\", 7]}") ", "
  MEMBER ("@a:x", "join", ", \"displayname\": \"Alice\", \"is_direct\": true") ", "
  MEMBER ("@b:x", "join", ", \"displayname\": 12, \"avatar_url\": \"mxc://x/b\"")
  "]}, \"timeline\": {\"events\": ["
  "{\"type\": \"m.room.member\", \"state_key\": \"@c:x\", \"sender\": \"@a:x\", \"event_id\": \"$c\", "
  " \"origin_server_ts\": 2, \"content\": {\"membership\": \"invite\", \"is_direct\": false}, "
  " \"unsigned\": {\"prev_content\": {\"membership\": \"leave\", \"is_direct\": true}, "
  "               \"prev_sender\": \"@c:x\"}}, "
  STATE ("m.room.tombstone", "", "{\"replacement_room\": \"!new:x\"}") ", "
  "{\"type\": \"m.room.message\", \"sender\": \"@b:x\", \"event_id\": \"$msg\", \"origin_server_ts\": 3, "
  " \"content\": {\"msgtype\": \"m.text\", \"body\": \"hi\"}}"
  "]}}";

static const char group_room[] =
  "{\"state\": {\"events\": ["
  MEMBER ("@a:x", "join", "") ", " MEMBER ("@d:x", "join", "") ", " MEMBER ("@e:x", "leave", "") ", "
  STATE ("m.room.name", "", "{\"name\": [\"no string\"]}") ", "
  STATE ("m.room.create", "", "[\"content no object\"]")
  "]}}";

static const char invite_room[] =
  "{\"invite_state\": {\"events\": ["
  "{\"type\": \"m.room.member\", \"state_key\": \"@a:x\", \"sender\": \"@f:x\", "
  " \"content\": {\"membership\": \"invite\", \"is_direct\": true}}, "
  "{\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@f:x\", \"content\": {\"name\": \"Invite\"}}"
  "]}}";

/* Every write path keeps state_fields exactly the fields of the rows. */
static void
test_fields_follow_rows (Fixture       *f,
                         gconstpointer  data)
{
  const char *first[] = {
    "join", "!dm:x", dm_room,
    "join", "!group:x", group_room,
    "invite", "!invite:x", invite_room,
    NULL,
  };
  const char *to_invite[] = { "invite", "!group:x", invite_room, NULL };
  const char *back_to_join[] = { "join", "!group:x", group_room, NULL };
  const char *leave[] = {
    "leave", "!dm:x", "{\"timeline\": {\"events\": [" MEMBER ("@a:x", "leave", "") "]}}",
    NULL,
  };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) whole = NULL;
  g_autofree char *value = NULL;
  DuetStore *store;

  store = store_test_open_ok (f->dir);
  store_test_save_rooms_ok (store, first, "s1");
  duet_test_finalize (store);
  /* 3 + 2 members in the state and 1 in the timeline, create, 2 names,
   * encryption, functional members, tombstone, create, 2 invite rows. */
  assert_fields_match_rows (f->dir, 14);
  g_assert_cmpint (count (f->dir, "SELECT count(*) FROM state_fields WHERE type = 'm.room.topic' "
                                  "OR state_key = 'other'"), ==, 0);
  value = text (f->dir, "SELECT predecessor FROM state_fields WHERE room_id = '!dm:x' AND type = 'm.room.create'");
  g_assert_cmpstr (value, ==, "!old:x");
  g_clear_pointer (&value, g_free);
  value = text (f->dir, "SELECT prev_is_direct FROM state_fields WHERE state_key = '@c:x'");
  g_assert_cmpstr (value, ==, "true");
  g_clear_pointer (&value, g_free);

  /* Moving to an invite clears the joined room's state, and back. */
  store = store_test_open_ok (f->dir);
  store_test_save_rooms_ok (store, to_invite, "s2");
  duet_test_finalize (store);
  assert_fields_match_rows (f->dir, 2);
  g_assert_cmpint (count (f->dir, "SELECT count(*) FROM state_fields WHERE room_id = '!group:x'"), ==, 2);
  store = store_test_open_ok (f->dir);
  store_test_save_rooms_ok (store, back_to_join, "s3");
  store_test_save_rooms_ok (store, leave, "s4");
  duet_test_finalize (store);
  assert_fields_match_rows (f->dir, 14);
  value = text (f->dir, "SELECT membership FROM state_fields WHERE room_id = '!dm:x' AND state_key = '@a:x'");
  g_assert_cmpstr (value, ==, "leave");
  g_clear_pointer (&value, g_free);

  /* A whole response (the tree path) replaces rows too. */
  whole = duet_test_json_object ("{\"next_batch\": \"s5\", \"rooms\": {\"join\": {\"!group:x\": "
                                 "{\"state\": {\"events\": ["
                                 MEMBER ("@d:x", "leave", ", \"displayname\": \"Dee\"") ", "
                                 STATE ("m.room.name", "", "{\"name\": \"Group\"}") ", "
                                 MEMBER ("@g:x", "join", "")
                                 "]}}}}}");
  store = store_test_open_ok (f->dir);
  store_test_save_ok (store, whole);
  duet_test_finalize (store);
  assert_fields_match_rows (f->dir, 15);
  value = text (f->dir, "SELECT displayname FROM state_fields WHERE room_id = '!group:x' AND state_key = '@d:x'");
  g_assert_cmpstr (value, ==, "Dee");
  g_clear_pointer (&value, g_free);
  value = text (f->dir, "SELECT name FROM state_fields WHERE room_id = '!group:x' AND type = 'm.room.name'");
  g_assert_cmpstr (value, ==, "Group");
  g_clear_pointer (&value, g_free);

  /* Forget, then clear. */
  store = store_test_open_ok (f->dir);
  duet_store_forget_room_async (store, "!dm:x", duet_test_result_cb, &result);
  g_assert_true (duet_store_forget_room_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  duet_test_finalize (store);
  assert_fields_match_rows (f->dir, 5);
  g_assert_cmpint (count (f->dir, "SELECT count(*) FROM state_fields WHERE room_id = '!dm:x'"), ==, 0);

  store = store_test_open_ok (f->dir);
  duet_store_clear_async (store, duet_test_result_cb, &result);
  g_assert_true (duet_store_clear_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  duet_test_finalize (store);
  g_assert_cmpint (count (f->dir, "SELECT count(*) FROM state_fields"), ==, 0);
}

/* JSON that SQLite's functions read otherwise than json-glib: the fields
 * are what the model reads from the whole event. */
static void
test_fields_read_as_model (Fixture       *f,
                           gconstpointer  data)
{
  const char *rooms[] = {
    "join", "!odd:x",
    "{\"state\": {\"events\": ["
    /* A repeated name: the last one wins. */
    "{\"type\": \"m.room.member\", \"state_key\": \"@a:x\", \"sender\": \"@a:x\", "
    " \"content\": {\"membership\": \"leave\", \"displayname\": \"First\", \"membership\": \"join\", "
    "             \"displayname\": \"Last\"}}, "
    /* An escaped name, a string cut at U+0000, a membership of another type. */
    "{\"type\": \"m.room.member\", \"state_key\": \"@b:x\", \"sender\": \"@b:x\", "
    " \"content\": {\"displ\\u0061yname\": \"Bob\\u0000hidden\", \"membership\": {\"not\": \"text\"}, "
    "             \"avatar_url\": 5}}, "
    /* service_members of another type stays what it is. */
    "{\"type\": \"io.element.functional_members\", \"state_key\": \"\", \"sender\": \"@a:x\", "
    " \"content\": {\"service_members\": \"[\\\"@bot:x\\\"]\"}}"
    "]}}",
    NULL,
  };
  g_autofree char *value = NULL;
  DuetStore *store = store_test_open_ok (f->dir);

  store_test_save_rooms_ok (store, rooms, "s1");
  duet_test_finalize (store);

  value = text (f->dir, "SELECT membership || '|' || displayname FROM state_fields WHERE state_key = '@a:x'");
  g_assert_cmpstr (value, ==, "join|Last");
  g_clear_pointer (&value, g_free);
  value = text (f->dir, "SELECT displayname FROM state_fields WHERE state_key = '@b:x'");
  g_assert_cmpstr (value, ==, "Bob");
  g_clear_pointer (&value, g_free);
  g_assert_cmpint (count (f->dir, "SELECT count(*) FROM state_fields WHERE state_key = '@b:x' AND "
                                  "membership IS NULL AND avatar_url IS NULL"), ==, 1);
  value = text (f->dir, "SELECT service_members FROM state_fields WHERE type = 'io.element.functional_members'");
  g_assert_cmpstr (value, ==, "\"[\\\"@bot:x\\\"]\"");
}

/* A version 3 cache's triggers go, and its fields are read again. */
static void
test_migrate_v3 (Fixture       *f,
                 gconstpointer  data)
{
  const char *rooms[] = { "join", "!dm:x", dm_room, NULL };
  g_autofree char *path = g_build_filename (f->dir, "duet.sqlite", NULL);
  sqlite3 *db = NULL;
  DuetStore *store = store_test_open_ok (f->dir);

  store_test_save_rooms_ok (store, rooms, "s1");
  duet_test_finalize (store);

  /* Back to what version 3 left: its triggers and fields of its own. */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
    "UPDATE state_fields SET displayname = 'stale';"
    "CREATE TRIGGER state_fields_insert AFTER INSERT ON room_state BEGIN SELECT 1; END;"
    "CREATE TRIGGER state_fields_update AFTER UPDATE ON room_state BEGIN SELECT 1; END;"
    "CREATE TRIGGER state_fields_delete AFTER DELETE ON room_state BEGIN SELECT 1; END;"
    "DROP TABLE room_start;"
    "PRAGMA user_version = 3;", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = store_test_open_ok (f->dir);
  g_assert_false (duet_store_get_was_reset (store));
  duet_test_finalize (store);
  g_assert_cmpint (count (f->dir, "PRAGMA user_version"), ==, 6);
  g_assert_cmpint (count (f->dir, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"), ==, 0);
  assert_fields_match_rows (f->dir, 8);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/store-state-fields/follow-rows", Fixture, NULL,
              fixture_setup, test_fields_follow_rows, fixture_teardown);
  g_test_add ("/store-state-fields/read-as-model", Fixture, NULL,
              fixture_setup, test_fields_read_as_model, fixture_teardown);
  g_test_add ("/store-state-fields/migrate-v3", Fixture, NULL,
              fixture_setup, test_migrate_v3, fixture_teardown);
  return g_test_run ();
}
