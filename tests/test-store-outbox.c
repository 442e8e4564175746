/* test-store-outbox.c: the outbox and drafts tables of DuetStore
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Queue order, updates and removal, surviving a reopen, clear and forget,
 * drafts, and the migration of a version 1 cache (tests/store/v1.sql, made
 * by the schema that shipped before the outbox) keeping its data.
 */
#include "config.h"

#include <sqlite3.h>

#include "duet-store-test-utils.h"

static void
add_ok (DuetStore  *store,
        const char *room_id,
        const char *txn_id,
        const char *body,
        gint64      created)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) content = json_object_new ();

  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", body);
  duet_store_add_outgoing_async (store, room_id, txn_id, "m.room.message", content, created,
                                 duet_test_result_cb, &result);
  g_assert_true (duet_store_add_outgoing_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
}

static GPtrArray *
list_ok (DuetStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *rows;

  duet_store_list_outgoing_async (store, duet_test_result_cb, &result);
  rows = duet_store_list_outgoing_finish (store, duet_test_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (rows);
  return rows;
}

static void
set_draft_ok (DuetStore  *store,
              const char *room_id,
              const char *text)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  duet_store_set_draft_async (store, room_id, text, duet_test_result_cb, &result);
  g_assert_true (duet_store_set_draft_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
}

static char *
load_draft_ok (DuetStore  *store,
               const char *room_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *text;

  duet_store_load_draft_async (store, room_id, duet_test_result_cb, &result);
  text = duet_store_load_draft_finish (store, duet_test_wait (&result), &error);
  g_assert_no_error (error);
  return text;
}

static DuetStoreOutgoing *
row (GPtrArray *rows,
     guint      index)
{
  g_assert_cmpuint (index, <, rows->len);
  return g_ptr_array_index (rows, index);
}

static void
test_queue_order (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  DuetStore *store = store_test_open_ok (dir);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) content = NULL;

  add_ok (store, "!a:localhost", "t1", "one", 100);
  add_ok (store, "!b:localhost", "t2", "two", 200);
  add_ok (store, "!a:localhost", "t3", "three", 300);

  /* A txnId is unique. */
  content = duet_test_json_object ("{\"body\": \"again\"}");
  duet_store_add_outgoing_async (store, "!a:localhost", "t1", "m.room.message", content, 400,
                                 duet_test_result_cb, &result);
  g_assert_false (duet_store_add_outgoing_finish (store, duet_test_wait (&result), &error));
  g_assert_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_DATABASE);
  g_clear_error (&error);
  g_clear_object (&result);

  /* A removed row's place is never reused: a new one goes last. */
  duet_store_remove_outgoing_async (store, "t2", duet_test_result_cb, &result);
  g_assert_true (duet_store_remove_outgoing_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  add_ok (store, "!b:localhost", "t4", "four", 500);

  duet_store_update_outgoing_async (store, "t3", TRUE, "M_FORBIDDEN: no", NULL, duet_test_result_cb, &result);
  g_assert_true (duet_store_update_outgoing_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  /* Accepted by the server: only its echo is awaited. */
  duet_store_update_outgoing_async (store, "t4", FALSE, NULL, "$accepted", duet_test_result_cb, &result);
  g_assert_true (duet_store_update_outgoing_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  /* An unknown txnId is no error (its echo came first). */
  duet_store_update_outgoing_async (store, "gone", TRUE, NULL, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_store_update_outgoing_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  /* Everything survives a reopen. */
  duet_test_finalize (store);
  store = store_test_open_ok (dir);
  rows = list_ok (store);
  g_assert_cmpuint (rows->len, ==, 3);
  g_assert_cmpstr (row (rows, 0)->txn_id, ==, "t1");
  g_assert_cmpstr (row (rows, 0)->room_id, ==, "!a:localhost");
  g_assert_cmpstr (row (rows, 0)->event_type, ==, "m.room.message");
  g_assert_cmpstr (row (rows, 0)->content, ==, "{\"msgtype\":\"m.text\",\"body\":\"one\"}");
  g_assert_false (row (rows, 0)->failed);
  g_assert_null (row (rows, 0)->error_message);
  g_assert_null (row (rows, 0)->event_id);
  g_assert_cmpint (row (rows, 0)->created, ==, 100);
  g_assert_cmpstr (row (rows, 1)->txn_id, ==, "t3");
  g_assert_true (row (rows, 1)->failed);
  g_assert_cmpstr (row (rows, 1)->error_message, ==, "M_FORBIDDEN: no");
  g_assert_null (row (rows, 1)->event_id);
  g_assert_cmpstr (row (rows, 2)->txn_id, ==, "t4");
  g_assert_cmpint (row (rows, 2)->created, ==, 500);
  g_assert_cmpstr (row (rows, 2)->event_id, ==, "$accepted");
  g_assert_false (row (rows, 2)->failed);

  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

static void
test_bounds (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  DuetStore *store = store_test_open_ok (dir);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) content = json_object_new ();
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *big = g_strnfill (DUET_STORE_MAX_OUTGOING_SIZE, 'x');

  json_object_set_string_member (content, "body", big);
  duet_store_add_outgoing_async (store, "!a:localhost", "t1", "m.room.message", content, 1,
                                 duet_test_result_cb, &result);
  g_assert_false (duet_store_add_outgoing_finish (store, duet_test_wait (&result), &error));
  g_assert_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_INVALID_DATA);
  g_clear_object (&result);
  rows = list_ok (store);
  g_assert_cmpuint (rows->len, ==, 0);

  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

static void
test_drafts (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  DuetStore *store = store_test_open_ok (dir);
  g_autofree char *text = NULL;
  g_autofree char *long_text = NULL;
  g_autoptr(GString) huge = g_string_new (NULL);

  g_assert_null (load_draft_ok (store, "!a:localhost"));
  set_draft_ok (store, "!a:localhost", "half a thought");
  set_draft_ok (store, "!b:localhost", "other room");
  set_draft_ok (store, "!a:localhost", "a whole thought");
  text = load_draft_ok (store, "!a:localhost");
  g_assert_cmpstr (text, ==, "a whole thought");
  g_clear_pointer (&text, g_free);

  /* Empty or NULL text removes the draft. */
  set_draft_ok (store, "!b:localhost", "");
  g_assert_null (load_draft_ok (store, "!b:localhost"));
  set_draft_ok (store, "!a:localhost", NULL);
  g_assert_null (load_draft_ok (store, "!a:localhost"));

  /* Over-long text is cut at a character boundary, never inside one. */
  while (huge->len <= DUET_STORE_MAX_DRAFT_SIZE)
    g_string_append (huge, "\xc3\xa9");  /* é, two bytes */
  set_draft_ok (store, "!a:localhost", huge->str);
  long_text = load_draft_ok (store, "!a:localhost");
  g_assert_cmpuint (strlen (long_text), <=, DUET_STORE_MAX_DRAFT_SIZE);
  g_assert_cmpuint (strlen (long_text), >=, DUET_STORE_MAX_DRAFT_SIZE - 1);
  g_assert_true (g_utf8_validate (long_text, -1, NULL));

  /* Drafts survive a reopen. */
  set_draft_ok (store, "!c:localhost", "kept");
  duet_test_finalize (store);
  store = store_test_open_ok (dir);
  text = load_draft_ok (store, "!c:localhost");
  g_assert_cmpstr (text, ==, "kept");

  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

static void
test_clear_and_forget (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  DuetStore *store = store_test_open_ok (dir);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *text = NULL;

  add_ok (store, "!a:localhost", "t1", "one", 1);
  add_ok (store, "!b:localhost", "t2", "two", 2);
  set_draft_ok (store, "!a:localhost", "draft a");
  set_draft_ok (store, "!b:localhost", "draft b");

  /* Forgetting a room drops its messages and draft, nothing else. */
  duet_store_forget_room_async (store, "!a:localhost", duet_test_result_cb, &result);
  g_assert_true (duet_store_forget_room_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  rows = list_ok (store);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpstr (row (rows, 0)->txn_id, ==, "t2");
  g_clear_pointer (&rows, g_ptr_array_unref);
  g_assert_null (load_draft_ok (store, "!a:localhost"));
  text = load_draft_ok (store, "!b:localhost");
  g_assert_cmpstr (text, ==, "draft b");

  /* Signing out clears everything. */
  duet_store_clear_async (store, duet_test_result_cb, &result);
  g_assert_true (duet_store_clear_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  rows = list_ok (store);
  g_assert_cmpuint (rows->len, ==, 0);
  g_assert_null (load_draft_ok (store, "!b:localhost"));

  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

static void
test_migrate_v1 (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  g_autofree char *path = g_build_filename (dir, "duet.sqlite", NULL);
  g_autofree char *dump_path = g_test_build_filename (G_TEST_DIST, "store", "v1.sql", NULL);
  g_autofree char *dump = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) snapshot = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  JsonObject *room;
  JsonArray *events;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  DuetStore *store;

  g_file_get_contents (dump_path, &dump, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, dump, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = store_test_open_ok (dir);
  g_assert_false (duet_store_get_was_reset (store));

  /* The version 1 data is all there ... */
  snapshot = store_test_load (store);
  g_assert_nonnull (snapshot);
  g_assert_cmpstr (json_object_get_string_member (snapshot, "next_batch"), ==, "s42_v1");
  room = store_test_path_object (snapshot, "rooms", "join", "!dm:localhost", NULL);
  g_assert_nonnull (room);
  events = store_test_events_of (room, "timeline");
  g_assert_cmpuint (json_array_get_length (events), ==, 1);
  g_assert_cmpstr (store_test_event_string (events, 0, "event_id"), ==, "$hello");
  events = store_test_events_of (snapshot, "account_data");
  g_assert_cmpstr (store_test_event_string (events, 0, "type"), ==, "m.direct");

  /* ... and the new tables work. */
  rows = list_ok (store);
  g_assert_cmpuint (rows->len, ==, 0);
  add_ok (store, "!dm:localhost", "t1", "after the upgrade", 1);
  set_draft_ok (store, "!dm:localhost", "draft");
  duet_test_finalize (store);

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 7);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM outbox", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  store_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/duet/store-outbox/queue-order", test_queue_order);
  g_test_add_func ("/duet/store-outbox/bounds", test_bounds);
  g_test_add_func ("/duet/store-outbox/drafts", test_drafts);
  g_test_add_func ("/duet/store-outbox/clear-and-forget", test_clear_and_forget);
  g_test_add_func ("/duet/store-outbox/migrate-v1", test_migrate_v1);

  return g_test_run ();
}
