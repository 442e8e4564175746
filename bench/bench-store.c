/* bench-store.c: prints how long DuetStore takes with a large account
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A figure printer, not a test: saves a made-up initial /sync of N rooms
 * (default 1000; 8 state events, 20 messages, a read marker each), then
 * 100 one-message incremental syncs, and loads the snapshot.  The time the
 * save call spends on the calling thread (serializing the response for the
 * worker) is printed apart, since that is what the main loop feels.
 *
 *   bench-store [ROOMS]
 */
#include "config.h"

#include <glib/gstdio.h>

#include "duet-store.h"

static GAsyncResult *pending;

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  pending = g_object_ref (result);
}

static GAsyncResult *
wait_result (void)
{
  while (pending == NULL)
    g_main_context_iteration (NULL, TRUE);
  return g_steal_pointer (&pending);
}

static void
add_event (GString    *json,
           const char *type,
           const char *state_key,
           const char *event_id,
           const char *content)
{
  g_string_append_printf (json, "{\"type\": \"%s\", \"event_id\": \"%s\", \"sender\": \"@someone:example.org\", "
                          "\"origin_server_ts\": 1700000000000, \"content\": %s", type, event_id, content);
  if (state_key != NULL)
    g_string_append_printf (json, ", \"state_key\": \"%s\"", state_key);
  g_string_append (json, "},");
}

static JsonObject *
make_sync (guint rooms,
           guint first_message,
           guint messages,
           const char *next_batch)
{
  g_autoptr(GString) json = g_string_new ("{\"next_batch\": \"");
  g_autoptr(JsonNode) node = NULL;

  g_string_append_printf (json, "%s\", \"rooms\": {\"join\": {", next_batch);
  for (guint r = 0; r < rooms; r++)
    {
      g_string_append_printf (json, "\"!room%u:example.org\": {\"state\": {\"events\": [", r);
      if (first_message == 0)
        {
          static const char * const types[] = {
            "m.room.create", "m.room.power_levels", "m.room.join_rules", "m.room.history_visibility",
            "m.room.guest_access", "m.room.name",
          };
          for (guint i = 0; i < G_N_ELEMENTS (types); i++)
            add_event (json, types[i], "", "$s", "{\"k\": \"some value of a state event\"}");
          add_event (json, "m.room.member", "@me:example.org", "$m1", "{\"membership\": \"join\"}");
          add_event (json, "m.room.member", "@friend:example.org", "$m2",
                     "{\"membership\": \"join\", \"displayname\": \"Friend\"}");
          g_string_truncate (json, json->len - 1);
        }
      g_string_append (json, "]}, \"timeline\": {\"limited\": true, \"prev_batch\": \"p\", \"events\": [");
      for (guint m = first_message; m < first_message + messages; m++)
        {
          g_autofree char *id = g_strdup_printf ("$r%um%u", r, m);

          add_event (json, "m.room.message", NULL, id,
                     "{\"msgtype\": \"m.text\", \"body\": \"A message of ordinary length, say sixty chars.\"}");
        }
      g_string_truncate (json, json->len - 1);
      g_string_append (json, "]}, \"account_data\": {\"events\": [{\"type\": \"m.fully_read\", "
                       "\"content\": {\"event_id\": \"$x\"}}]}, \"unread_notifications\": "
                       "{\"notification_count\": 1, \"highlight_count\": 0}},");
    }
  g_string_truncate (json, json->len - 1);
  g_string_append (json, "}}}");
  node = json_from_string (json->str, NULL);
  return json_object_ref (json_node_get_object (node));
}

int
main (int   argc,
      char *argv[])
{
  guint rooms = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 1000;
  g_autofree char *dir = g_dir_make_tmp ("duet-bench-store-XXXXXX", NULL);
  g_autofree char *db_path = g_build_filename (dir, "duet.sqlite", NULL);
  g_autoptr(JsonObject) initial = make_sync (rooms, 0, 20, "s0");
  g_autoptr(JsonObject) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  DuetStore *store;
  gint64 start, call_done;
  double incremental_ms = 0, incremental_call_ms = 0;
  GStatBuf st;

  duet_store_open_async (dir, NULL, result_cb, NULL);
  store = duet_store_open_finish (wait_result (), &error);
  g_assert_no_error (error);

  start = g_get_monotonic_time ();
  duet_store_save_sync_async (store, initial, result_cb, NULL);
  call_done = g_get_monotonic_time ();
  g_assert_true (duet_store_save_sync_finish (store, wait_result (), &error));
  g_print ("initial sync, %u rooms: save %.1f ms (of which %.1f ms on the calling thread)\n", rooms,
           (g_get_monotonic_time () - start) / 1000.0, (call_done - start) / 1000.0);

  for (guint i = 1; i <= 100; i++)
    {
      g_autofree char *token = g_strdup_printf ("s%u", i);
      g_autoptr(JsonObject) incremental = make_sync (1, 1000 + i, 1, token);

      start = g_get_monotonic_time ();
      duet_store_save_sync_async (store, incremental, result_cb, NULL);
      incremental_call_ms += (g_get_monotonic_time () - start) / 1000.0;
      g_assert_true (duet_store_save_sync_finish (store, wait_result (), &error));
      incremental_ms += (g_get_monotonic_time () - start) / 1000.0;
    }
  g_print ("incremental sync, one message: save %.2f ms on average (%.3f ms on the calling thread)\n",
           incremental_ms / 100, incremental_call_ms / 100);

  start = g_get_monotonic_time ();
  duet_store_load_snapshot_async (store, result_cb, NULL);
  snapshot = duet_store_load_snapshot_finish (store, wait_result (), &error);
  g_assert_no_error (error);
  g_print ("snapshot load: %.1f ms (%u joined rooms)\n", (g_get_monotonic_time () - start) / 1000.0,
           json_object_get_size (json_object_get_object_member (json_object_get_object_member (snapshot, "rooms"),
                                                                "join")));
  g_object_unref (store);
  if (g_stat (db_path, &st) == 0)
    g_print ("database file: %.1f MiB\n", st.st_size / 1048576.0);

  g_remove (db_path);
  g_autofree char *lock_path = g_build_filename (dir, "duet.lock", NULL);
  g_remove (lock_path);
  g_rmdir (dir);
  return 0;
}
