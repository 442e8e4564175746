/* duet-store-test-utils.c: helpers shared by the DuetStore tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "duet-store-test-utils.h"

char *
store_test_make_data_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("duet-test-store-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
store_test_remove_dir (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        store_test_remove_dir (child);
      else
        g_remove (child);
    }
  g_clear_pointer (&dir, g_dir_close);
  g_rmdir (path);
}

DuetStore *
store_test_open (const char  *data_dir,
                 GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_store_open_async (data_dir, NULL, duet_test_result_cb, &result);
  return duet_store_open_finish (duet_test_wait (&result), error);
}

DuetStore *
store_test_open_ok (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  DuetStore *store = store_test_open (data_dir, &error);

  g_assert_no_error (error);
  g_assert_true (DUET_IS_STORE (store));
  return store;
}

gboolean
store_test_save (DuetStore   *store,
                 JsonObject  *response,
                 GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_store_save_sync_async (store, response, duet_test_result_cb, &result);
  return duet_store_save_sync_finish (store, duet_test_wait (&result), error);
}

void
store_test_save_ok (DuetStore  *store,
                    JsonObject *response)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (store_test_save (store, response, &error));
  g_assert_no_error (error);
}

void
store_test_save_rooms_ok (DuetStore          *store,
                          const char * const *rooms,
                          const char         *next_batch)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DuetStoreSyncWriter *writer = duet_store_save_sync_begin (store, duet_test_result_cb, &result);

  for (guint i = 0; rooms[i] != NULL; i += 3)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (rooms[i + 2], strlen (rooms[i + 2]));

      duet_store_sync_writer_add_room (writer, rooms[i], rooms[i + 1], bytes);
    }
  duet_store_sync_writer_commit (writer, next_batch);
  g_assert_true (duet_store_save_sync_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
}

JsonObject *
store_test_load (DuetStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *snapshot;

  duet_store_load_snapshot_async (store, duet_test_result_cb, &result);
  snapshot = duet_store_load_snapshot_finish (store, duet_test_wait (&result), &error);
  g_assert_no_error (error);
  return snapshot;
}

DuetStoreStart *
store_test_load_start_ok (DuetStore  *store,
                          const char *own_user_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DuetStoreStart *start;

  duet_store_load_start_snapshot_async (store, own_user_id, duet_test_result_cb, &result);
  start = duet_store_load_start_snapshot_finish (store, duet_test_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (start);
  return start;
}

void
store_test_write_entries_ok (DuetStore  *store,
                             const char *own_user_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  duet_store_write_start_entries_async (store, own_user_id, duet_test_result_cb, &result);
  g_assert_true (duet_store_write_start_entries_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
}

JsonObject *
store_test_path_object (JsonObject *object,
                        const char *first,
                        ...)
{
  va_list args;

  va_start (args, first);
  for (const char *name = first; name != NULL && object != NULL; name = va_arg (args, const char *))
    object = json_object_has_member (object, name) ? json_object_get_object_member (object, name) : NULL;
  va_end (args);
  return object;
}

JsonArray *
store_test_events_of (JsonObject *parent,
                      const char *section)
{
  JsonObject *object = store_test_path_object (parent, section, NULL);

  g_assert_nonnull (object);
  return json_object_get_array_member (object, "events");
}

const char *
store_test_event_string (JsonArray  *events,
                         guint       index,
                         const char *member)
{
  return json_object_get_string_member (json_array_get_object_element (events, index), member);
}

JsonObject *
store_test_timeline_response (const char *next_batch,
                              const char *room_id,
                              guint       first,
                              guint       count,
                              gboolean    limited,
                              const char *prev_batch)
{
  g_autoptr(GString) json = g_string_new (NULL);

  g_string_append_printf (json, "{\"next_batch\": \"%s\", \"rooms\": {\"join\": {\"%s\": {"
                          "\"timeline\": {\"limited\": %s, \"prev_batch\": \"%s\", \"events\": [",
                          next_batch, room_id, limited ? "true" : "false", prev_batch);
  for (guint i = first; i < first + count; i++)
    g_string_append_printf (json, "%s{\"type\": \"m.room.message\", \"event_id\": \"$e%u\", "
                            "\"sender\": \"@bob:test\", \"content\": {\"body\": \"%u\"}}",
                            i == first ? "" : ", ", i, i);
  g_string_append (json, "]}}}}}");
  return duet_test_json_object (json->str);
}
