/* test-store-start.c: each room's start entry follows the room
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * room_start (schema version 5) keeps the entry a start reads for each
 * room.  These check that a save that changes a room, a forget and a
 * clear drop the room's entry in their own transaction (so a start never
 * reads an entry older than its room), that the worker writes the
 * entries again, that a start reads an entry as the store would build it
 * and builds what is missing, and that a room with unsent messages and
 * another account's entries are built anew.
 */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "duet-store-test-utils.h"

#define OWN "@alice:x"

static const char room_a[] =
  "{\"state\": {\"events\": ["
  "  {\"type\": \"m.room.create\", \"state_key\": \"\", \"sender\": \"@alice:x\", \"content\": {}},"
  "  {\"type\": \"m.room.member\", \"state_key\": \"@alice:x\", \"sender\": \"@alice:x\","
  "   \"content\": {\"membership\": \"join\", \"displayname\": \"Alice\"}},"
  "  {\"type\": \"m.room.member\", \"state_key\": \"@bob:x\", \"sender\": \"@bob:x\","
  "   \"content\": {\"membership\": \"join\", \"displayname\": \"Bob\"}}]},"
  " \"timeline\": {\"events\": ["
  "  {\"type\": \"m.room.message\", \"event_id\": \"$a1\", \"sender\": \"@bob:x\","
  "   \"origin_server_ts\": 10, \"content\": {\"msgtype\": \"m.text\", \"body\": \"first\"}},"
  "  {\"type\": \"m.room.message\", \"event_id\": \"$a2\", \"sender\": \"@bob:x\","
  "   \"origin_server_ts\": 20, \"content\": {\"msgtype\": \"m.text\", \"body\": \"hello\"}}],"
  "  \"limited\": false},"
  " \"unread_notifications\": {\"notification_count\": 2}}";

static const char room_a_later[] =
  "{\"timeline\": {\"events\": ["
  "  {\"type\": \"m.room.name\", \"state_key\": \"\", \"event_id\": \"$a3\", \"sender\": \"@bob:x\","
  "   \"origin_server_ts\": 30, \"content\": {\"name\": \"Renamed\"}},"
  "  {\"type\": \"m.room.message\", \"event_id\": \"$a4\", \"sender\": \"@bob:x\","
  "   \"origin_server_ts\": 40, \"content\": {\"msgtype\": \"m.text\", \"body\": \"later\"}}],"
  "  \"limited\": false}}";

static const char room_b[] =
  "{\"state\": {\"events\": ["
  "  {\"type\": \"m.room.member\", \"state_key\": \"@alice:x\", \"sender\": \"@alice:x\","
  "   \"content\": {\"membership\": \"join\"}},"
  "  {\"type\": \"m.room.member\", \"state_key\": \"@carol:x\", \"sender\": \"@carol:x\","
  "   \"content\": {\"membership\": \"join\", \"displayname\": \"Carol\"}}]},"
  " \"timeline\": {\"events\": ["
  "  {\"type\": \"m.room.message\", \"event_id\": \"$b1\", \"sender\": \"@carol:x\","
  "   \"origin_server_ts\": 15, \"content\": {\"msgtype\": \"m.text\", \"body\": \"from carol\"}}],"
  "  \"limited\": true}}";

/* Texts the entry writer must escape: quotes, a backslash, control
 * characters, a slash, non-ASCII; a number for a timestamp. */
static const char room_c[] =
  "{\"state\": {\"events\": ["
  "  {\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@alice:x\","
  "   \"content\": {\"name\": \"say \\\"hi\\\" \\\\ a\\tb\\u0001 </ \u00e9\u6f22 \\ud83d\\ude00\"}},"
  "  {\"type\": \"m.room.member\", \"state_key\": \"@alice:x\", \"sender\": \"@alice:x\","
  "   \"content\": {\"membership\": \"join\"}},"
  "  {\"type\": \"m.room.member\", \"state_key\": \"@dan:x\", \"sender\": \"@dan:x\","
  "   \"content\": {\"membership\": \"join\", \"displayname\": \"line\\nbreak \\\"D\\\"\"}}]},"
  " \"timeline\": {\"events\": ["
  "  {\"type\": \"m.room.message\", \"event_id\": \"$c1\", \"sender\": \"@dan:x\","
  "   \"origin_server_ts\": 1.5e3, \"content\": {\"msgtype\": \"m.text\", \"body\": \"\\u0000cut\"}}],"
  "  \"limited\": false}}";

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

static void
forget_ok (DuetStore  *store,
           const char *room_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  duet_store_forget_room_async (store, room_id, duet_test_result_cb, &result);
  g_assert_true (duet_store_forget_room_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
}

static void
clear_ok (DuetStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  duet_store_clear_async (store, duet_test_result_cb, &result);
  g_assert_true (duet_store_clear_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
}

/* The room ids with an entry, in order, one per line ("" when none). */
static char *
stored_entries (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "duet.sqlite", NULL);
  GString *ids = g_string_new (NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT room_id, own_user_id FROM room_start ORDER BY room_id",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (ids, "%s %s\n", sqlite3_column_text (stmt, 0), sqlite3_column_text (stmt, 1));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return g_string_free (ids, FALSE);
}

/* The stored entry of @room_id ("" when none). */
static char *
stored_entry (const char *dir,
              const char *room_id)
{
  g_autofree char *path = g_build_filename (dir, "duet.sqlite", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *entry;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT entry FROM room_start WHERE room_id = ?1", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  entry = g_strdup (sqlite3_step (stmt) == SQLITE_ROW ? (const char *) sqlite3_column_text (stmt, 0) : "");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return entry;
}

static const DuetStoreStartRoom *
find_room (DuetStoreStart *start,
           const char     *room_id)
{
  for (guint i = 0; i < start->rooms->len; i++)
    {
      const DuetStoreStartRoom *room = start->rooms->pdata[i];

      if (g_str_equal (room->room_id, room_id))
        return room;
    }
  return NULL;
}

static const char *
entry_text (DuetStoreStart *start,
            const char     *room_id)
{
  const DuetStoreStartRoom *room = find_room (start, room_id);

  g_assert_nonnull (room);
  return room != NULL ? room->entry : "";
}

static JsonObject *
parse_entry (const DuetStoreStartRoom *room)
{
  g_autoptr(JsonNode) node = NULL;

  g_assert_nonnull (room);
  g_assert_cmpuint (strlen (room->entry), ==, room->length);
  node = json_from_string (room->entry, NULL);
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

/* A save that changes a room, a forget and a clear drop entries in their
 * own transactions; the rooms a save leaves alone keep theirs.  The
 * store is closed after each step, before its worker could write the
 * entries again: what is on disk is what the step's transaction left. */
static void
test_entries_follow_saves (Fixture       *f,
                           gconstpointer  data)
{
  const char *both[] = { "join", "!a:x", room_a, "join", "!b:x", room_b, NULL };
  const char *a_later[] = { "join", "!a:x", room_a_later, NULL };
  DuetStore *store = store_test_open_ok (f->dir);
  g_autofree char *entries = NULL;

  /* No start has said whose entries to write: none is. */
  store_test_save_rooms_ok (store, both, "s1");
  duet_test_finalize (store);
  entries = stored_entries (f->dir);
  g_assert_cmpstr (entries, ==, "");
  g_clear_pointer (&entries, g_free);

  /* A store opened anew remembers nothing to write; a start builds them
   * and the worker writes what it built. */
  store = store_test_open_ok (f->dir);
  store_test_write_entries_ok (store, OWN);
  entries = stored_entries (f->dir);
  g_assert_cmpstr (entries, ==, "");
  g_clear_pointer (&entries, g_free);
  duet_store_start_free (store_test_load_start_ok (store, OWN));
  store_test_write_entries_ok (store, OWN);
  duet_test_finalize (store);
  entries = stored_entries (f->dir);
  g_assert_cmpstr (entries, ==, "!a:x " OWN "\n!b:x " OWN "\n");
  g_clear_pointer (&entries, g_free);

  store = store_test_open_ok (f->dir);
  store_test_save_rooms_ok (store, a_later, "s2");
  duet_test_finalize (store);
  entries = stored_entries (f->dir);
  g_assert_cmpstr (entries, ==, "!b:x " OWN "\n");
  g_clear_pointer (&entries, g_free);

  store = store_test_open_ok (f->dir);
  forget_ok (store, "!b:x");
  duet_test_finalize (store);
  entries = stored_entries (f->dir);
  g_assert_cmpstr (entries, ==, "");
  g_clear_pointer (&entries, g_free);

  /* Written again after a save, then all gone with a clear. */
  store = store_test_open_ok (f->dir);
  store_test_save_rooms_ok (store, both, "s3");
  store_test_write_entries_ok (store, OWN);
  entries = stored_entries (f->dir);
  g_assert_cmpstr (entries, ==, "!a:x " OWN "\n!b:x " OWN "\n");
  g_clear_pointer (&entries, g_free);
  clear_ok (store);
  duet_test_finalize (store);
  entries = stored_entries (f->dir);
  g_assert_cmpstr (entries, ==, "");
}

/* A start reads each stored entry as the store builds it, with the
 * newest events back to the newest message; a rename saved later shows
 * in the next start, whether the entry was written again or not. */
static void
test_read_as_built (Fixture       *f,
                    gconstpointer  data)
{
  const char *both[] = { "join", "!a:x", room_a, "join", "!b:x", room_b, NULL };
  const char *a_later[] = { "join", "!a:x", room_a_later, NULL };
  DuetStore *store = store_test_open_ok (f->dir);
  g_autoptr(DuetStoreStart) built = NULL;
  g_autoptr(DuetStoreStart) read = NULL;
  g_autoptr(DuetStoreStart) later = NULL;
  g_autoptr(JsonObject) a = NULL;
  g_autoptr(JsonObject) b = NULL;
  g_autoptr(JsonObject) a_after = NULL;
  JsonArray *events;

  store_test_save_rooms_ok (store, both, "s1");
  built = store_test_load_start_ok (store, OWN);
  g_assert_cmpstr (json_object_get_string_member (built->response, "next_batch"), ==, "s1");
  g_assert_cmpuint (built->rooms->len, ==, 2);
  store_test_write_entries_ok (store, OWN);
  read = store_test_load_start_ok (store, OWN);
  g_assert_cmpuint (read->rooms->len, ==, 2);
  for (guint i = 0; i < built->rooms->len; i++)
    {
      const DuetStoreStartRoom *one = built->rooms->pdata[i];
      const DuetStoreStartRoom *other = find_room (read, one->room_id);

      g_assert_nonnull (other);
      g_assert_cmpstr (one->section, ==, "join");
      g_assert_cmpstr (other->section, ==, one->section);
      g_assert_cmpstr (other->entry, ==, one->entry);
      g_assert_cmpint (other->lazy_members, ==, one->lazy_members);
      g_assert_false (one->lazy_members);
    }

  /* Only the newest message of !a:x, its unread count, both members. */
  a = parse_entry (find_room (read, "!a:x"));
  events = store_test_events_of (a, "timeline");
  g_assert_cmpuint (json_array_get_length (events), ==, 1);
  g_assert_cmpstr (store_test_event_string (events, 0, "event_id"), ==, "$a2");
  g_assert_cmpint (json_object_get_int_member (store_test_path_object (a, "unread_notifications", NULL),
                                               "notification_count"), ==, 2);
  g_assert_cmpuint (json_array_get_length (store_test_events_of (a, "state")), ==, 3);
  b = parse_entry (find_room (read, "!b:x"));
  g_assert_true (json_object_get_boolean_member (store_test_path_object (b, "timeline", NULL), "limited"));

  /* The rename and the new message, read before the worker is idle. */
  store_test_save_rooms_ok (store, a_later, "s2");
  later = store_test_load_start_ok (store, OWN);
  a_after = parse_entry (find_room (later, "!a:x"));
  events = store_test_events_of (a_after, "timeline");
  g_assert_cmpstr (store_test_event_string (events, json_array_get_length (events) - 1, "event_id"), ==, "$a4");
  g_assert_nonnull (strstr (entry_text (later, "!a:x"), "\"Renamed\""));
  g_assert_cmpstr (entry_text (later, "!b:x"), ==, entry_text (read, "!b:x"));
  duet_test_finalize (store);
}

/* A room with unsent messages is read with its whole timeline (its echo
 * may be any event), its entry on disk notwithstanding; another
 * account's entries are not read, and are written again for this one. */
static void
test_outbox_and_other_account (Fixture       *f,
                               gconstpointer  data)
{
  const char *both[] = { "join", "!a:x", room_a, "join", "!b:x", room_b, NULL };
  DuetStore *store = store_test_open_ok (f->dir);
  g_autoptr(DuetStoreStart) start = NULL;
  g_autoptr(DuetStoreStart) other = NULL;
  g_autoptr(JsonObject) content = json_object_new ();
  g_autoptr(JsonObject) a = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *entries = NULL;

  store_test_save_rooms_ok (store, both, "s1");
  store_test_write_entries_ok (store, OWN);
  json_object_set_string_member (content, "body", "unsent");
  duet_store_add_outgoing_async (store, "!a:x", "txn1", "m.room.message", content, 1, duet_test_result_cb,
                                 &result);
  g_assert_true (duet_store_add_outgoing_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  start = store_test_load_start_ok (store, OWN);
  a = parse_entry (find_room (start, "!a:x"));
  g_assert_cmpuint (json_array_get_length (store_test_events_of (a, "timeline")), ==, 2);

  other = store_test_load_start_ok (store, "@bob:x");
  g_assert_cmpuint (other->rooms->len, ==, 2);
  store_test_write_entries_ok (store, "@bob:x");
  duet_test_finalize (store);
  entries = stored_entries (f->dir);
  /* !a:x has unsent messages: built at each start, not written again. */
  g_assert_cmpstr (entries, ==, "!a:x " OWN "\n!b:x @bob:x\n");
}

static const char *
member_string (JsonObject *object,
               const char *first,
               const char *second,
               const char *name)
{
  JsonObject *inner = store_test_path_object (object, first, second, NULL);

  return inner != NULL && json_object_has_member (inner, name) ? json_object_get_string_member (inner, name)
                                                              : NULL;
}

/* Every text comes back as it was sent: the entry is strict JSON. */
static void
test_texts_escaped (Fixture       *f,
                    gconstpointer  data)
{
  const char *one[] = { "join", "!c:x", room_c, NULL };
  DuetStore *store = store_test_open_ok (f->dir);
  g_autoptr(DuetStoreStart) start = NULL;
  g_autoptr(JsonObject) c = NULL;
  JsonArray *state, *timeline;
  gboolean seen_name = FALSE, seen_dan = FALSE;

  store_test_save_rooms_ok (store, one, "s1");
  start = store_test_load_start_ok (store, OWN);
  c = parse_entry (find_room (start, "!c:x"));
  state = store_test_events_of (c, "state");
  for (guint i = 0; i < json_array_get_length (state); i++)
    {
      JsonObject *event = json_array_get_object_element (state, i);
      const char *type = json_object_get_string_member (event, "type");

      if (g_str_equal (type, "m.room.name"))
        {
          g_assert_cmpstr (member_string (event, "content", NULL, "name"), ==,
                           "say \"hi\" \\ a\tb\001 </ \u00e9\u6f22 \U0001F600");
          seen_name = TRUE;
        }
      else if (g_str_equal (json_object_get_string_member (event, "state_key"), "@dan:x"))
        {
          g_assert_cmpstr (member_string (event, "content", NULL, "displayname"), ==, "line\nbreak \"D\"");
          seen_dan = TRUE;
        }
    }
  g_assert_true (seen_name);
  g_assert_true (seen_dan);
  timeline = store_test_events_of (c, "timeline");
  g_assert_cmpuint (json_array_get_length (timeline), ==, 1);
  g_assert_cmpfloat (json_node_get_double (json_object_get_member (json_array_get_object_element (timeline, 0),
                                                                   "origin_server_ts")), ==, 1500.0);
  /* json-glib's reading: a string ends at U+0000. */
  g_assert_cmpstr (member_string (json_array_get_object_element (timeline, 0), "content", NULL, "body"), ==, "");
  duet_test_finalize (store);
}

typedef struct {
  const char *dir;
  const char *expected;
} EntriesWait;

static gboolean
entries_are (gpointer data)
{
  EntriesWait *wait = data;
  g_autofree char *entries = stored_entries (wait->dir);

  return g_str_equal (entries, wait->expected);
}

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* The worker writes on its own, with nothing for the main context to
 * wake up to: the condition is looked at every 10 ms. */
static gboolean
wait_for_entries (EntriesWait *wait)
{
  guint id = g_timeout_add (10, wake_cb, NULL);
  gboolean met = duet_test_wait_until (entries_are, wait, DUET_TEST_TIMEOUT_MS);

  g_source_remove (id);
  return met;
}

/* Nobody asks: once a start has said whose entries they are, the worker
 * writes the entries of the rooms a save changed when it has no job. */
static void
test_written_when_idle (Fixture       *f,
                        gconstpointer  data)
{
  const char *both[] = { "join", "!a:x", room_a, "join", "!b:x", room_b, NULL };
  const char *a_later[] = { "join", "!a:x", room_a_later, NULL };
  EntriesWait wait = { f->dir, "!a:x " OWN "\n!b:x " OWN "\n" };
  DuetStore *store = store_test_open_ok (f->dir);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *entry = NULL;

  /* A first start: nothing cached yet. */
  duet_store_load_start_snapshot_async (store, OWN, duet_test_result_cb, &result);
  g_assert_null (duet_store_load_start_snapshot_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  store_test_save_rooms_ok (store, both, "s1");
  g_assert_true (wait_for_entries (&wait));

  /* The newer entry is written, not the first one again. */
  store_test_save_rooms_ok (store, a_later, "s2");
  g_assert_true (wait_for_entries (&wait));
  duet_test_finalize (store);
  entry = stored_entry (f->dir, "!a:x");
  g_assert_nonnull (strstr (entry, "\"later\""));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/store-start/entries-follow-saves", Fixture, NULL, fixture_setup,
              test_entries_follow_saves, fixture_teardown);
  g_test_add ("/store-start/read-as-built", Fixture, NULL, fixture_setup,
              test_read_as_built, fixture_teardown);
  g_test_add ("/store-start/outbox-and-other-account", Fixture, NULL, fixture_setup,
              test_outbox_and_other_account, fixture_teardown);
  g_test_add ("/store-start/written-when-idle", Fixture, NULL, fixture_setup,
              test_written_when_idle, fixture_teardown);
  g_test_add ("/store-start/texts-escaped", Fixture, NULL, fixture_setup,
              test_texts_escaped, fixture_teardown);

  return g_test_run ();
}
