/* test-store-open.c: opening the local cache, its lock, recovery, crashes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The crash test runs this same program as a child (--crash-writer DIR)
 * that saves responses in a loop until it is killed with SIGKILL.
 */
#include "config.h"

#include <stdio.h>

#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "duet-store-test-utils.h"

static int
schema_version (const char *data_dir)
{
  g_autofree char *path = g_build_filename (data_dir, "duet.sqlite", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int version;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return version;
}

static void
test_open_creates_folder (void)
{
  g_autofree char *parent = store_test_make_data_dir ();
  g_autofree char *dir = g_build_filename (parent, "a", "b", NULL);
  DuetStore *store = store_test_open_ok (dir);
  GStatBuf st;

  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_false (duet_store_get_was_reset (store));
  g_assert_null (duet_store_get_reset_reason (store));
  g_assert_null (store_test_load (store));
  duet_test_finalize (store);
  g_assert_cmpint (schema_version (dir), ==, 7);
  store_test_remove_dir (parent);
}

static gint64
file_size (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (gint64) st.st_size : -1;
}

typedef struct {
  const char *dir;
} Grown;

static gboolean
database_grown (gpointer data)
{
  const Grown *grown = data;

  /* Pages reach the file only by a checkpoint (the store stays open). */
  return file_size (grown->dir, "duet.sqlite") > 5 * 1000 * 1000;
}

/* A new cache takes 16 KiB pages; a save that grows the WAL past 4 MiB is
 * copied into the database by the worker once it is idle (not in the
 * save's commit, and not before a job that waits): the WAL does not grow
 * without end, and the store need not close for it. */
static void
test_checkpoint_after_save (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  g_autofree char *padding = g_strnfill (1000, 'x');
  g_autoptr(GString) json = g_string_new ("{\"next_batch\": \"big\", \"rooms\": {\"join\": {");
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *token = NULL;
  g_autofree char *path = g_build_filename (dir, "duet.sqlite", NULL);
  DuetStore *store = store_test_open_ok (dir);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  /* 100 rooms of 50 events of 1 KiB: 5 MB. */
  for (guint room = 0; room < 100; room++)
    {
      g_string_append_printf (json, "%s\"!r%u:x\": {\"state\": {\"events\": [", room > 0 ? "," : "", room);
      for (guint event = 0; event < 50; event++)
        g_string_append_printf (json, "%s{\"type\": \"m.room.member\", \"state_key\": \"@u%u:x\", "
                                "\"content\": {\"membership\": \"join\", \"pad\": \"%s\"}}",
                                event > 0 ? "," : "", event, padding);
      g_string_append (json, "]}}");
    }
  g_string_append (json, "}}}");
  response = duet_test_json_object (json->str);
  store_test_save_ok (store, response);
  duet_store_get_sync_token_async (store, duet_test_result_cb, &result);
  token = duet_store_get_sync_token_finish (store, duet_test_wait (&result), NULL);
  g_assert_cmpstr (token, ==, "big");
  g_assert_true (duet_test_wait_until (database_grown, &(Grown) { dir }, DUET_TEST_TIMEOUT_MS));

  g_clear_object (&result);
  duet_test_finalize (store);

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA page_size", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 16384);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  store_test_remove_dir (dir);
}

static void
test_lock (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  g_autoptr(GError) error = NULL;
  DuetStore *first = store_test_open_ok (dir);
  DuetStore *second = store_test_open (dir, &error);

  g_assert_null (second);
  g_assert_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_LOCKED);
  g_assert_cmpstr (error->message, ==, "Duet is already running with this data folder");

  duet_test_finalize (first);
  second = store_test_open_ok (dir);
  duet_test_finalize (second);
  store_test_remove_dir (dir);
}

static void
test_migrate_empty_file (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  g_autofree char *path = g_build_filename (dir, "duet.sqlite", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) response = store_test_timeline_response ("t1", "!r:test", 0, 1, FALSE, "p");
  g_autoptr(JsonObject) snapshot = NULL;
  DuetStore *store;

  /* A zero-length file is SQLite's empty database: version 0, no tables. */
  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);
  store = store_test_open_ok (dir);
  g_assert_false (duet_store_get_was_reset (store));
  store_test_save_ok (store, response);
  duet_test_finalize (store);
  g_assert_cmpint (schema_version (dir), ==, 7);

  /* At the current version nothing runs again and the data stays. */
  store = store_test_open_ok (dir);
  snapshot = store_test_load (store);
  g_assert_cmpstr (json_object_get_string_member (snapshot, "next_batch"), ==, "t1");
  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

static guint
count_corrupt_files (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "duet.sqlite.corrupt-") && !g_str_has_suffix (name, "-wal") &&
        !g_str_has_suffix (name, "-shm"))
      n++;
  g_dir_close (d);
  return n;
}

/* Opens, expects a reset whose reason mentions @reason_part, and checks the
 * fresh database works. */
static void
assert_reset (const char *dir,
              const char *reason_part)
{
  g_autoptr(JsonObject) response = store_test_timeline_response ("fresh", "!r:test", 0, 1, FALSE, "p");
  g_autoptr(JsonObject) snapshot = NULL;
  DuetStore *store = store_test_open_ok (dir);
  gboolean was_reset;
  g_autofree char *reason = NULL;

  g_object_get (store, "was-reset", &was_reset, "reset-reason", &reason, NULL);
  g_assert_true (was_reset);
  g_assert_nonnull (strstr (reason, reason_part));
  g_assert_cmpuint (count_corrupt_files (dir), ==, 1);
  g_assert_null (store_test_load (store));
  store_test_save_ok (store, response);
  snapshot = store_test_load (store);
  g_assert_cmpstr (json_object_get_string_member (snapshot, "next_batch"), ==, "fresh");
  duet_test_finalize (store);
}

static void
test_corrupt_garbage (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  g_autofree char *path = g_build_filename (dir, "duet.sqlite", NULL);
  g_autofree char *garbage = g_malloc (8192);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 8192; i++)
    garbage[i] = (char) g_test_rand_int_range (0, 256);
  g_file_set_contents (path, garbage, 8192, &error);
  g_assert_no_error (error);
  assert_reset (dir, "could not be read");
  store_test_remove_dir (dir);
}

static void
test_corrupt_pages (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  g_autofree char *path = g_build_filename (dir, "duet.sqlite", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  DuetStore *store = store_test_open_ok (dir);
  gsize length;

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *room = g_strdup_printf ("!room%u:test", i);
      g_autofree char *token = g_strdup_printf ("t%u", i);
      g_autoptr(JsonObject) response = store_test_timeline_response (token, room, 0, 40, FALSE, "p");

      store_test_save_ok (store, response);
    }
  duet_test_finalize (store);

  /* The header stays valid; every page after the first is overwritten. */
  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, >, 4 * 4096);
  memset (contents + 4096, 0x5a, length - 4096);
  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
  assert_reset (dir, "cache");
  store_test_remove_dir (dir);
}

static void
verify_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GError **error = user_data;

  g_assert_false (duet_store_verify_finish (DUET_STORE (object), result, error));
}

/* Opening reads each table's first pages only: damage deeper in the file
 * is found by the check a start runs after showing the list, and the next
 * open starts afresh. */
static void
test_damage_found_after_start (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  g_autofree char *path = g_build_filename (dir, "duet.sqlite", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  DuetStore *store = store_test_open_ok (dir);
  gboolean was_reset;
  gsize length;

  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *room = g_strdup_printf ("!room%u:test", i);
      g_autofree char *token = g_strdup_printf ("t%u", i);
      g_autoptr(JsonObject) response = store_test_timeline_response (token, room, 0, 40, FALSE, "p");

      store_test_save_ok (store, response);
    }
  duet_test_finalize (store);

  /* The last page holds the newest rows: garble it, header and all (its
   * free space alone may be all that a garbled stretch hits). */
  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, >, 16 * 4096);
  memset (contents + length - 4096, 0x5a, 4096);
  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);

  store = store_test_open_ok (dir);
  g_object_get (store, "was-reset", &was_reset, NULL);
  g_assert_false (was_reset);
  duet_store_verify_async (store, verify_cb, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_DATABASE);
  duet_test_finalize (store);

  assert_reset (dir, "damaged");
  store_test_remove_dir (dir);
}

static void
test_verify_sound (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  g_autoptr(JsonObject) response = store_test_timeline_response ("t", "!r:test", 0, 40, FALSE, "p");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DuetStore *store = store_test_open_ok (dir);

  store_test_save_ok (store, response);
  duet_store_verify_async (store, duet_test_result_cb, &result);
  g_assert_true (duet_store_verify_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

static void
test_newer_schema (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  g_autofree char *path = g_build_filename (dir, "duet.sqlite", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE future (x); PRAGMA user_version = 99", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);
  assert_reset (dir, "newer version of Duet");
  store_test_remove_dir (dir);
}

/* Crash safety. */

#define CRASH_ROOMS 20

/* Batch @n: in every room a few messages and then the state event
 * org.duet.batch {batch: n}, the last timeline event being "$b<n>r<room>". */
static JsonObject *
crash_response (guint n)
{
  JsonObject *response = json_object_new ();
  JsonObject *rooms = json_object_new (), *join = json_object_new ();
  g_autofree char *token = g_strdup_printf ("s%u", n);

  for (guint r = 0; r < CRASH_ROOMS; r++)
    {
      g_autofree char *room_id = g_strdup_printf ("!room%u:test", r);
      g_autoptr(GString) json = g_string_new (NULL);

      g_string_append (json, "{\"timeline\": {\"limited\": false, \"prev_batch\": \"x\", \"events\": [");
      for (guint e = 0; e < 4; e++)
        g_string_append_printf (json, "{\"type\": \"m.room.message\", \"event_id\": \"$b%ur%ue%u\", "
                                "\"content\": {\"body\": \"%s\"}}, ", n, r, e, "some text to write");
      g_string_append_printf (json, "{\"type\": \"org.duet.batch\", \"state_key\": \"\", "
                              "\"event_id\": \"$b%ur%u\", \"content\": {\"batch\": %u}}]}}", n, r, n);
      json_object_set_object_member (join, room_id, duet_test_json_object (json->str));
    }
  json_object_set_object_member (rooms, "join", join);
  json_object_set_object_member (response, "rooms", rooms);
  json_object_set_string_member (response, "next_batch", token);
  return response;
}

static int
crash_writer_main (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *token = NULL;
  DuetStore *store = store_test_open (dir, &error);
  guint n;

  if (store == NULL)
    g_error ("crash writer: %s", error->message);
  duet_store_get_sync_token_async (store, duet_test_result_cb, &result);
  token = duet_store_get_sync_token_finish (store, duet_test_wait (&result), &error);
  n = token != NULL ? (guint) g_ascii_strtoull (token + 1, NULL, 10) + 1 : 1;
  /* Killed from outside long before this ends.  "ready" comes after the
   * first save, so every round has data to check however slow the build
   * (a sanitizer build may take longer than the kill delay to save one). */
  for (guint i = 0; i < 100000; i++, n++)
    {
      g_autoptr(JsonObject) response = crash_response (n);

      if (!store_test_save (store, response, &error))
        g_error ("crash writer: %s", error->message);
      if (i == 0)
        {
          g_print ("ready\n");
          fflush (stdout);
        }
    }
  return 3;
}

static guint
check_consistent (const char *dir)
{
  DuetStore *store = store_test_open_ok (dir);
  g_autoptr(JsonObject) snapshot = store_test_load (store);
  guint n;

  g_assert_false (duet_store_get_was_reset (store));
  if (snapshot == NULL)
    {
      duet_test_finalize (store);
      return 0;
    }
  n = (guint) g_ascii_strtoull (json_object_get_string_member (snapshot, "next_batch") + 1, NULL, 10);
  for (guint r = 0; r < CRASH_ROOMS; r++)
    {
      g_autofree char *room_id = g_strdup_printf ("!room%u:test", r);
      g_autofree char *last_id = g_strdup_printf ("$b%ur%u", n, r);
      JsonObject *room = store_test_path_object (snapshot, "rooms", "join", room_id, NULL);
      JsonArray *timeline = store_test_events_of (room, "timeline");
      JsonArray *state = store_test_events_of (room, "state");
      guint last = json_array_get_length (timeline) - 1;
      JsonObject *content;

      g_assert_cmpstr (store_test_event_string (timeline, last, "event_id"), ==, last_id);
      g_assert_cmpuint (json_array_get_length (state), ==, 1);
      content = store_test_path_object (json_array_get_object_element (state, 0), "content", NULL);
      g_assert_cmpint (json_object_get_int_member (content, "batch"), ==, n);
    }
  duet_test_finalize (store);
  return n;
}

static void
test_crash_safety (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  guint last = 0, rounds = 8;

  g_assert_nonnull (self_exe);
  for (guint round = 0; round < rounds; round++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSubprocess) child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                                       self_exe, "--crash-writer", dir, NULL);
      g_autoptr(GDataInputStream) out = NULL;
      g_autofree char *line = NULL;
      guint delay_ms = g_test_rand_int_range (0, 120);
      guint n;

      g_assert_no_error (error);
      out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
      line = g_data_input_stream_read_line (out, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (line, ==, "ready");

      g_usleep (delay_ms * 1000);
      g_subprocess_force_exit (child);
      g_subprocess_wait (child, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (g_subprocess_get_if_signaled (child));
      g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);

      n = check_consistent (dir);
      g_test_message ("round %u: killed after %u ms at batch %u", round, delay_ms, n);
      g_assert_cmpuint (n, >=, last);
      last = n;
    }
  /* The rounds got somewhere: the check saw real data. */
  g_assert_cmpuint (last, >, 0);
  store_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 3 && g_str_equal (argv[1], "--crash-writer"))
    return crash_writer_main (argv[2]);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/store/open/creates-folder", test_open_creates_folder);
  g_test_add_func ("/store/open/lock", test_lock);
  g_test_add_func ("/store/open/checkpoint-after-save", test_checkpoint_after_save);
  g_test_add_func ("/store/migrate/empty-file", test_migrate_empty_file);
  g_test_add_func ("/store/reset/garbage", test_corrupt_garbage);
  g_test_add_func ("/store/reset/damaged-pages", test_corrupt_pages);
  g_test_add_func ("/store/reset/newer-schema", test_newer_schema);
  g_test_add_func ("/store/reset/damage-found-after-start", test_damage_found_after_start);
  g_test_add_func ("/store/verify/sound", test_verify_sound);
  g_test_add_func ("/store/crash-safety", test_crash_safety);

  return g_test_run ();
}
