/* test-store-state-fields.c: a start entry's state, read from the rows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A start entry keeps a few fields of each state row the contact list
 * reads.  Versions 3 to 6 of the cache kept them in a table of their own,
 * state_fields, written beside every room_state row; since version 7 the
 * entry writer reads them from the rows' texts.  These tests check that
 * an entry keeps the fields the model reads from the whole event (the
 * last of a repeated name, a member of another type left out, a string
 * cut at U+0000), only those of the rows the list reads and our own
 * member event's direct-chat fields, that it follows the rows through
 * saves, a move to an invite and back, and a forget; and that caches of
 * versions 3 and 6 migrate, state_fields and its triggers dropped, to
 * start as they did, in one transaction.
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

static guint
count_lines (const char *text)
{
  guint lines = 0;

  for (const char *p = strchr (text, '\n'); p != NULL; p = strchr (p + 1, '\n'))
    lines++;
  return lines;
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

#define OWN "@a:x"

/* Every room's entry as a start reads it: "room_id lazy entry" lines. */
static char *
start_text (const char *dir)
{
  DuetStore *store = store_test_open_ok (dir);
  g_autoptr(DuetStoreStart) start = store_test_load_start_ok (store, OWN);
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < start->rooms->len; i++)
    {
      DuetStoreStartRoom *room = start->rooms->pdata[i];

      g_string_append_printf (text, "%s %s %d %.*s\n", room->section, room->room_id, room->lazy_members,
                              (int) room->length, room->entry);
    }
  duet_test_finalize (store);
  return g_string_free (text, FALSE);
}

/* The state events of @room_id's entry in a fresh start, one line each:
 * "type|state_key|content as JSON|the rest of the event as JSON". */
static char *
entry_state (const char *dir,
             const char *room_id)
{
  DuetStore *store = store_test_open_ok (dir);
  g_autoptr(DuetStoreStart) start = store_test_load_start_ok (store, OWN);
  GString *text = g_string_new (NULL);
  gboolean found = FALSE;

  for (guint i = 0; i < start->rooms->len; i++)
    {
      DuetStoreStartRoom *room = start->rooms->pdata[i];
      g_autofree char *entry = NULL;
      g_autoptr(JsonObject) object = NULL;
      JsonArray *events;

      if (!g_str_equal (room->room_id, room_id))
        continue;
      found = TRUE;
      entry = g_strndup (room->entry, room->length);
      object = duet_test_json_object (entry);
      events = store_test_events_of (object, "state");
      for (guint j = 0; j < json_array_get_length (events); j++)
        {
          JsonObject *event = json_object_ref (json_array_get_object_element (events, j));
          g_autoptr(JsonNode) content = json_object_dup_member (event, "content");
          g_autoptr(JsonNode) rest = NULL;
          g_autofree char *content_text = json_to_string (content, FALSE);
          g_autofree char *rest_text = NULL;

          g_string_append_printf (text, "%s|%s|%s|", json_object_get_string_member (event, "type"),
                                  json_object_get_string_member (event, "state_key"), content_text);
          json_object_remove_member (event, "type");
          json_object_remove_member (event, "state_key");
          json_object_remove_member (event, "content");
          rest = json_node_init_object (json_node_alloc (), event);
          rest_text = json_to_string (rest, FALSE);
          g_string_append_printf (text, "%s\n", rest_text);
          json_object_unref (event);
        }
    }
  g_assert_true (found);
  duet_test_finalize (store);
  return g_string_free (text, FALSE);
}

/* What the list reads, in (type, state_key) order: our member event keeps
 * is_direct, sender and unsigned; the others' lose them. */
static const char dm_state[] =
  "io.element.functional_members||{\"service_members\":[\"@bot:x\",7]}|{}\n"
  "m.room.create||{\"predecessor\":{\"room_id\":\"!old:x\"}}|{}\n"
  "m.room.encryption||{}|{}\n"
  "m.room.member|@a:x|{\"membership\":\"join\",\"displayname\":\"Alice\",\"is_direct\":true}|"
  "{\"sender\":\"@a:x\"}\n"
  "m.room.member|@b:x|{\"membership\":\"join\",\"avatar_url\":\"mxc://x/b\"}|{}\n"
  "m.room.member|@c:x|{\"membership\":\"invite\"}|{}\n"
  "m.room.name||{\"name\":\"Chat\"}|{}\n"
  "m.room.tombstone||{\"replacement_room\":\"!new:x\"}|{}\n";

/* An entry's state follows the rows through both save paths, a move to
 * an invite and back, a leave and a forget. */
static void
test_entries_follow_rows (Fixture       *f,
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
  const char *own_invite[] = {
    "join", "!dm:x",
    "{\"timeline\": {\"events\": ["
    "{\"type\": \"m.room.member\", \"state_key\": \"@a:x\", \"sender\": \"@c:x\", \"event_id\": \"$i\", "
    " \"content\": {\"membership\": \"invite\", \"is_direct\": false}, "
    " \"unsigned\": {\"prev_content\": {\"membership\": \"leave\", \"is_direct\": true}, "
    "               \"prev_sender\": \"@c:x\"}}]}}",
    NULL,
  };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) whole = NULL;
  g_autofree char *state = NULL;
  g_autofree char *starts = NULL;
  DuetStore *store;

  store = store_test_open_ok (f->dir);
  store_test_save_rooms_ok (store, first, "s1");
  duet_test_finalize (store);
  state = entry_state (f->dir, "!dm:x");
  g_assert_cmpstr (state, ==, dm_state);
  g_clear_pointer (&state, g_free);
  /* A name that is no string, a create whose content is no object. */
  state = entry_state (f->dir, "!group:x");
  g_assert_cmpstr (state, ==,
                   "m.room.member|@a:x|{\"membership\":\"join\"}|{\"sender\":\"@a:x\"}\n"
                   "m.room.member|@d:x|{\"membership\":\"join\"}|{}\n"
                   "m.room.member|@e:x|{\"membership\":\"leave\"}|{}\n"
                   "m.room.name||{}|{}\n");
  g_clear_pointer (&state, g_free);

  /* To an invite and back. */
  store = store_test_open_ok (f->dir);
  store_test_save_rooms_ok (store, to_invite, "s2");
  store_test_save_rooms_ok (store, back_to_join, "s3");
  duet_test_finalize (store);
  state = entry_state (f->dir, "!group:x");
  g_assert_cmpstr (state, ==,
                   "m.room.member|@a:x|{\"membership\":\"join\"}|{\"sender\":\"@a:x\"}\n"
                   "m.room.member|@d:x|{\"membership\":\"join\"}|{}\n"
                   "m.room.member|@e:x|{\"membership\":\"leave\"}|{}\n"
                   "m.room.name||{}|{}\n");
  g_clear_pointer (&state, g_free);

  /* Our own member event replaced: its unsigned is kept. */
  store = store_test_open_ok (f->dir);
  store_test_save_rooms_ok (store, own_invite, "s4");
  duet_test_finalize (store);
  state = entry_state (f->dir, "!dm:x");
  g_assert_nonnull (strstr (state, "m.room.member|@a:x|{\"membership\":\"invite\",\"is_direct\":false}|"
                                   "{\"sender\":\"@c:x\",\"unsigned\":{\"prev_content\":"
                                   "{\"membership\":\"leave\",\"is_direct\":true},\"prev_sender\":\"@c:x\"}}\n"));
  g_clear_pointer (&state, g_free);

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
  state = entry_state (f->dir, "!group:x");
  g_assert_cmpstr (state, ==,
                   "m.room.member|@a:x|{\"membership\":\"join\"}|{\"sender\":\"@a:x\"}\n"
                   "m.room.member|@d:x|{\"membership\":\"leave\",\"displayname\":\"Dee\"}|{}\n"
                   "m.room.member|@e:x|{\"membership\":\"leave\"}|{}\n"
                   "m.room.member|@g:x|{\"membership\":\"join\"}|{}\n"
                   "m.room.name||{\"name\":\"Group\"}|{}\n");

  /* Forget: the room has no entry left. */
  store = store_test_open_ok (f->dir);
  duet_store_forget_room_async (store, "!dm:x", duet_test_result_cb, &result);
  g_assert_true (duet_store_forget_room_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  duet_test_finalize (store);
  starts = start_text (f->dir);
  g_assert_null (strstr (starts, "!dm:x"));
  g_assert_nonnull (strstr (starts, "!group:x"));
}

/* A room of more than 16 members keeps only ours and its heroes', and
 * is marked lazy; one of 16 keeps them all. */
static void
test_entries_large_room (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GString) large = g_string_new ("{\"summary\": {\"m.heroes\": [\"@u3:x\"]}, \"state\": {\"events\": ["
                                           MEMBER ("@a:x", "join", ""));
  g_autoptr(GString) small = g_string_new ("{\"state\": {\"events\": [" MEMBER ("@a:x", "join", ""));
  const char *rooms[] = { "join", "!large:x", NULL, "join", "!small:x", NULL, NULL };
  g_autofree char *state = NULL;
  g_autofree char *starts = NULL;
  DuetStore *store;

  for (guint i = 0; i < 16; i++)
    {
      g_autofree char *member = g_strdup_printf (", {\"type\": \"m.room.member\", \"state_key\": \"@u%u:x\", "
                                                 "\"sender\": \"@u%u:x\", \"content\": {\"membership\": \"join\"}}",
                                                 i, i);

      g_string_append (large, member);
      if (i < 15)
        g_string_append (small, member);
    }
  g_string_append (large, "]}}");
  g_string_append (small, "]}}");
  rooms[2] = large->str;
  rooms[5] = small->str;

  store = store_test_open_ok (f->dir);
  store_test_save_rooms_ok (store, rooms, "s1");
  duet_test_finalize (store);

  state = entry_state (f->dir, "!large:x");
  g_assert_cmpstr (state, ==,
                   "m.room.member|@a:x|{\"membership\":\"join\"}|{\"sender\":\"@a:x\"}\n"
                   "m.room.member|@u3:x|{\"membership\":\"join\"}|{}\n");
  g_clear_pointer (&state, g_free);
  state = entry_state (f->dir, "!small:x");
  g_assert_cmpint (count_lines (state), ==, 16);
  starts = start_text (f->dir);
  g_assert_nonnull (strstr (starts, "join !large:x 1 "));
  g_assert_nonnull (strstr (starts, "join !small:x 0 "));
}

/* JSON that SQLite's functions read otherwise than json-glib: the fields
 * are what the model reads from the whole event; a row that is no JSON
 * is left out. */
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
    MEMBER ("@c:x", "join", "") ", "
    /* service_members of another type stays what it is. */
    "{\"type\": \"io.element.functional_members\", \"state_key\": \"\", \"sender\": \"@a:x\", "
    " \"content\": {\"service_members\": \"[\\\"@bot:x\\\"]\"}}"
    "]}}",
    NULL,
  };
  g_autofree char *path = g_build_filename (f->dir, "duet.sqlite", NULL);
  g_autofree char *state = NULL;
  sqlite3 *db = NULL;
  DuetStore *store = store_test_open_ok (f->dir);

  store_test_save_rooms_ok (store, rooms, "s1");
  duet_test_finalize (store);
  /* A row damaged on disk: no JSON. */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE room_state SET event = substr (event, 1, length (event) - 1) "
                                     "WHERE state_key = '@c:x'", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  state = entry_state (f->dir, "!odd:x");
  g_assert_cmpstr (state, ==,
                   "io.element.functional_members||{\"service_members\":\"[\\\"@bot:x\\\"]\"}|{}\n"
                   "m.room.member|@a:x|{\"membership\":\"join\",\"displayname\":\"Last\"}|{\"sender\":\"@a:x\"}\n"
                   "m.room.member|@b:x|{\"displayname\":\"Bob\"}|{}\n");
}

/* Back to what version @version left (3 to 6): state_fields with rows of
 * its own, no start entries (3 and 4: and no room_start), the triggers
 * of version 3.  Then the open migrates. */
static void
make_old_version (const char *dir,
                  int         version)
{
  g_autofree char *path = g_build_filename (dir, "duet.sqlite", NULL);
  g_autofree char *sql = NULL;
  sqlite3 *db = NULL;

  sql = g_strdup_printf ("%s"
    "INSERT INTO state_fields (room_id, type, state_key, content_type, membership, displayname) "
    "  SELECT room_id, type, state_key, 'object', 'join', 'stale' FROM room_state;"
    "%s"
    "PRAGMA user_version = %d;",
    STORE_TEST_STATE_FIELDS_TABLE,
    version >= 5 ? "DELETE FROM room_start;"
                 : "DROP TABLE room_start;"
                   "CREATE TRIGGER state_fields_insert AFTER INSERT ON room_state BEGIN SELECT 1; END;"
                   "CREATE TRIGGER state_fields_update AFTER UPDATE ON room_state BEGIN SELECT 1; END;"
                   "CREATE TRIGGER state_fields_delete AFTER DELETE ON room_state BEGIN SELECT 1; END;",
    version);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* A cache of version 6 (or 3) with state_fields rows opens, drops the
 * table (and the triggers), and starts as it did. */
static void
test_migrate (Fixture       *f,
              gconstpointer  data)
{
  int version = GPOINTER_TO_INT (data);
  const char *rooms[] = {
    "join", "!dm:x", dm_room,
    "join", "!group:x", group_room,
    "invite", "!invite:x", invite_room,
    NULL,
  };
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *written = NULL;
  DuetStore *store = store_test_open_ok (f->dir);

  store_test_save_rooms_ok (store, rooms, "s1");
  duet_test_finalize (store);
  before = start_text (f->dir);
  g_assert_nonnull (strstr (before, "!dm:x"));

  make_old_version (f->dir, version);
  g_assert_cmpint (count (f->dir, "SELECT count(*) FROM state_fields"), >, 0);

  store = store_test_open_ok (f->dir);
  g_assert_false (duet_store_get_was_reset (store));
  duet_test_finalize (store);
  g_assert_cmpint (count (f->dir, "PRAGMA user_version"), ==, 7);
  g_assert_cmpint (count (f->dir, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'state_fields%'"), ==, 0);
  after = start_text (f->dir);
  g_assert_cmpstr (after, ==, before);

  /* The entries written after the migration are the same. */
  store = store_test_open_ok (f->dir);
  duet_store_start_free (store_test_load_start_ok (store, OWN));
  store_test_write_entries_ok (store, OWN);
  duet_test_finalize (store);
  g_assert_cmpint (count (f->dir, "SELECT count(*) FROM room_start"), ==, 3);
  written = start_text (f->dir);
  g_assert_cmpstr (written, ==, before);
}

/* The steps of a migration commit together: one that fails leaves the
 * cache at the version it had, state_fields and all. */
static void
test_migrate_in_one_transaction (Fixture       *f,
                                 gconstpointer  data)
{
  const char *rooms[] = { "join", "!dm:x", dm_room, NULL };
  g_autofree char *path = g_build_filename (f->dir, "duet.sqlite", NULL);
  g_autoptr(GError) error = NULL;
  DuetStore *store = store_test_open_ok (f->dir);
  sqlite3 *db = NULL;
  int fields;

  store_test_save_rooms_ok (store, rooms, "s1");
  duet_test_finalize (store);
  make_old_version (f->dir, 5);
  fields = count (f->dir, "SELECT count(*) FROM state_fields");
  /* The v6 step copies rooms into rooms_v6: a table of that name fails it. */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE rooms_v6 (x);", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = store_test_open (f->dir, &error);
  g_assert_null (store);
  g_assert_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_DATABASE);
  g_assert_cmpint (count (f->dir, "PRAGMA user_version"), ==, 5);
  g_assert_cmpint (count (f->dir, "SELECT count(*) FROM state_fields"), ==, fields);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/store-state-fields/entries-follow-rows", Fixture, NULL,
              fixture_setup, test_entries_follow_rows, fixture_teardown);
  g_test_add ("/store-state-fields/entries-large-room", Fixture, NULL,
              fixture_setup, test_entries_large_room, fixture_teardown);
  g_test_add ("/store-state-fields/read-as-model", Fixture, NULL,
              fixture_setup, test_fields_read_as_model, fixture_teardown);
  g_test_add ("/store-state-fields/migrate-v6", Fixture, GINT_TO_POINTER (6),
              fixture_setup, test_migrate, fixture_teardown);
  g_test_add ("/store-state-fields/migrate-v3", Fixture, GINT_TO_POINTER (3),
              fixture_setup, test_migrate, fixture_teardown);
  g_test_add ("/store-state-fields/migrate-in-one-transaction", Fixture, NULL,
              fixture_setup, test_migrate_in_one_transaction, fixture_teardown);
  return g_test_run ();
}
