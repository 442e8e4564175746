/* test-session-stream.c: a /sync reply taken in as it streams, and one cut
 * off halfway
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The session takes each room of a reply as it arrives.  When the reply
 * then fails (cut off, invalid further on), the rooms already taken stay,
 * the cache keeps its last complete state, and the retry from the same
 * token sends those rooms again: their timeline events must not be handed
 * on twice (a notification, a chat row), only what is new after them.
 */
#include "config.h"

#include <string.h>

#include "duet-session-test-utils.h"
#include "duet-sync-loop.h"

#define SYNC_PATH "/_matrix/client/v3/sync"

static void
timeline_events_cb (DuetSession *session,
                    DuetRoom    *room,
                    JsonArray   *events,
                    gboolean     limited,
                    const char  *prev_batch,
                    gboolean     live,
                    GHashTable  *seen)
{
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      const char *event_id = json_object_get_string_member_with_default (event, "event_id", NULL);

      if (event_id != NULL)
        g_hash_table_replace (seen, g_strdup (event_id),
                              GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (seen, event_id)) + 1));
    }
}

static void
error_cb (DuetSyncLoop *loop,
          GError       *error,
          guint        *errors)
{
  (*errors)++;
}

typedef struct {
  GHashTable *seen;
  const char *event_id;
} SeenWait;

static gboolean
has_seen (gpointer data)
{
  SeenWait *wait = data;

  return g_hash_table_contains (wait->seen, wait->event_id);
}

static void
test_cut_off_reply (DuetTestFixture *f,
                    gconstpointer    data)
{
  const char *invite[] = { f->alice, NULL };
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->bob, "trusted_private_chat",
                                                               invite, TRUE);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonArray) timeline = NULL;
  g_autoptr(GString) body = NULL;
  g_autofree char *first = NULL;
  DuetSession *session;
  SeenWait wait;
  guint errors = 0;

  duet_test_homeserver_join (f->server, room_id, f->alice);
  session = duet_test_session_start (f);
  g_signal_connect (session, "timeline-events", G_CALLBACK (timeline_events_cb), seen);
  g_signal_connect (duet_session_get_sync_loop (session), "error", G_CALLBACK (error_cb), &errors);

  /* Three messages while alice is away. */
  duet_session_stop (session);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);

      g_ptr_array_add (sent, duet_test_homeserver_send_message (f->server, room_id, f->bob, text));
    }

  /* The next reply carries the room with the first of them, complete,
   * then breaks off. */
  timeline = duet_test_homeserver_get_timeline (f->server, room_id);
  for (guint i = 0; i < json_array_get_length (timeline); i++)
    {
      JsonObject *event = json_array_get_object_element (timeline, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "event_id", ""), sent->pdata[0]) == 0)
        {
          g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), event);

          first = json_to_string (node, FALSE);
        }
    }
  g_assert_nonnull (first);
  body = g_string_new ("{\"rooms\": {\"join\": {\"");
  g_string_append_printf (body, "%s\": {\"timeline\": {\"limited\": false, \"events\": [%s]}}, \"!next:localhost\": {\"timel",
                          room_id, first);
  duet_test_homeserver_add_fault (f->server, "GET", SYNC_PATH, 1, DUET_FAULT_BODY, 200, 0, body->str);
  /* Twice when asked: the retry breaks off the same way, with nothing new
   * in the room; the next one must still know what was handed on. */
  if (GPOINTER_TO_UINT (data) == 2)
    duet_test_homeserver_add_fault (f->server, "GET", SYNC_PATH, 1, DUET_FAULT_BODY, 200, 0, body->str);

  duet_session_start (session);
  wait.seen = seen;
  wait.event_id = sent->pdata[2];
  g_assert_true (duet_test_wait_until (has_seen, &wait, DUET_TEST_TIMEOUT_MS));
  duet_test_session_settle (session);

  /* One clear failure per cut, then every message handed on exactly once. */
  g_assert_cmpuint (errors, ==, GPOINTER_TO_UINT (data));
  for (guint i = 0; i < sent->len; i++)
    g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (seen, sent->pdata[i])), ==, 1);
  g_assert_cmpstr (duet_room_get_last_event_id (duet_session_lookup_room (session, room_id)), ==,
                   sent->pdata[2]);

  g_signal_handlers_disconnect_by_data (session, seen);
  g_signal_handlers_disconnect_by_data (duet_session_get_sync_loop (session), &errors);
  duet_test_session_stop (session);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/session-stream/cut-off-reply", DuetTestFixture, GUINT_TO_POINTER (1),
              duet_test_fixture_setup, test_cut_off_reply, duet_test_fixture_teardown);
  g_test_add ("/session-stream/cut-off-twice", DuetTestFixture, GUINT_TO_POINTER (2),
              duet_test_fixture_setup, test_cut_off_reply, duet_test_fixture_teardown);

  return g_test_run ();
}
