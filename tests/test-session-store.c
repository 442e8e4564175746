/* test-session-store.c: DuetSession with its SQLite cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The store's own tests prove a save is atomic; these prove the session
 * uses it so: contacts show from the cache before any sync, the next sync
 * resumes from the cached token, and a process killed between (or during)
 * sync responses restarts with nothing lost or repeated.
 */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "duet-contact.h"
#include "duet-json.h"
#include "duet-session.h"
#include "duet-store-test-utils.h"
#include "duet-sync-loop.h"
#include "duet-test-utils.h"

typedef struct {
  DuetTestFixture  base;
  char            *data_dir;
  char            *room_id;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const char *invite[] = { "@bob:localhost", NULL };
  g_autoptr(JsonObject) direct = NULL;
  g_autofree char *json = NULL;

  duet_test_fixture_setup (&f->base, data);
  f->data_dir = store_test_make_data_dir ();

  f->room_id = duet_test_homeserver_create_room (f->base.server, f->base.alice, "trusted_private_chat",
                                                 invite, TRUE);
  duet_test_homeserver_join (f->base.server, f->room_id, f->base.bob);
  json = g_strdup_printf ("{\"@bob:localhost\": [\"%s\"]}", f->room_id);
  direct = duet_test_json_object (json);
  duet_test_homeserver_set_account_data (f->base.server, f->base.alice, "m.direct", direct);
  g_free (duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "hello from bob"));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  store_test_remove_dir (f->data_dir);
  g_clear_pointer (&f->data_dir, g_free);
  g_clear_pointer (&f->room_id, g_free);
  duet_test_fixture_teardown (&f->base, data);
}

static DuetSession *
new_session (Fixture   *f,
             DuetStore *store)
{
  DuetSession *session = duet_session_new (f->base.client);

  duet_session_set_store (session, store);
  duet_sync_loop_set_timeout (DUET_SYNC_LOOP (duet_session_get_sync_loop (session)), 100);
  return session;
}

static void
count_cb (gpointer  emitter,
          guint    *count)
{
  (*count)++;
}

static void
load_cache (DuetSession *session)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  duet_session_load_cache_async (session, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_session_load_cache_finish (session, duet_test_wait (&result), &error));
  g_assert_no_error (error);
}

static gboolean
count_at_least (gpointer data)
{
  guint *counts = data;

  return counts[0] >= counts[1];
}

/* Runs @session until it has synced @n more times. */
static void
sync_times (DuetSession *session,
            guint        n)
{
  guint counts[2] = { 0, n };
  gulong id = g_signal_connect (session, "synced", G_CALLBACK (count_cb), &counts[0]);

  duet_session_start (session);
  g_assert_true (duet_test_wait_until (count_at_least, counts, DUET_TEST_TIMEOUT_MS));
  duet_session_stop (session);
  g_signal_handler_disconnect (session, id);
}

/* Waits until the store's worker has written what was queued. */
static void
flush_store (DuetStore *store)
{
  g_autoptr(JsonObject) snapshot = store_test_load (store);
}

static void
test_contacts_from_cache (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *token = NULL;

  {
    g_autoptr(DuetStore) store = store_test_open_ok (f->data_dir);
    g_autoptr(DuetSession) session = new_session (f, store);

    load_cache (session);
    g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_contacts (session)), ==, 0);
    sync_times (session, 1);
    g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_contacts (session)), ==, 1);
    token = g_strdup (duet_sync_loop_get_since (DUET_SYNC_LOOP (duet_session_get_sync_loop (session))));
    flush_store (store);
    duet_test_finalize (g_steal_pointer (&session));
    duet_test_finalize (g_steal_pointer (&store));
  }

  /* A new start: the contact is there before any request. */
  {
    g_autoptr(DuetStore) store = store_test_open_ok (f->data_dir);
    g_autoptr(DuetSession) session = new_session (f, store);
    g_autoptr(DuetContact) contact = NULL;
    guint syncs_before = duet_test_homeserver_count_requests (f->base.server, "GET", "/_matrix/client/v3/sync");

    load_cache (session);
    g_assert_cmpuint (duet_test_homeserver_count_requests (f->base.server, "GET", "/_matrix/client/v3/sync"),
                      ==, syncs_before);
    g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_contacts (session)), ==, 1);
    contact = g_list_model_get_item (duet_session_get_contacts (session), 0);
    g_assert_cmpstr (duet_contact_get_user_id (contact), ==, "@bob:localhost");
    g_assert_cmpstr (duet_contact_get_last_message (contact), ==, "hello from bob");
    g_assert_nonnull (duet_contact_get_room (contact));
    g_assert_cmpstr (duet_room_get_id (duet_contact_get_room (contact)), ==, f->room_id);

    /* And the next sync resumes from the cached token. */
    g_assert_cmpstr (duet_sync_loop_get_since (DUET_SYNC_LOOP (duet_session_get_sync_loop (session))), ==, token);

    g_clear_object (&contact);
    duet_test_finalize (g_steal_pointer (&session));
    duet_test_finalize (g_steal_pointer (&store));
  }
}

static void
test_resume_gets_what_came_meanwhile (Fixture       *f,
                                      gconstpointer  data)
{
  {
    g_autoptr(DuetStore) store = store_test_open_ok (f->data_dir);
    g_autoptr(DuetSession) session = new_session (f, store);

    load_cache (session);
    sync_times (session, 1);
    flush_store (store);
    duet_test_finalize (g_steal_pointer (&session));
    duet_test_finalize (g_steal_pointer (&store));
  }

  /* While Duet is closed, Bob writes. */
  g_free (duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "while you were away"));

  {
    g_autoptr(DuetStore) store = store_test_open_ok (f->data_dir);
    g_autoptr(DuetSession) session = new_session (f, store);
    DuetRoom *room;

    load_cache (session);
    room = duet_session_lookup_room (session, f->room_id);
    g_assert_cmpstr (duet_room_get_last_message (room), ==, "hello from bob");
    sync_times (session, 1);
    g_assert_cmpstr (duet_room_get_last_message (room), ==, "while you were away");
    g_assert_false (duet_room_has_gap (room));
    duet_test_finalize (g_steal_pointer (&session));
    duet_test_finalize (g_steal_pointer (&store));
  }
}

/* --- Killed mid-sync ---------------------------------------------------- */

static void
say_synced (void)
{
  /* stdout is a pipe here, fully buffered: the parent waits for this line. */
  g_print ("synced\n");
  fflush (stdout);
}

/* The child: syncs alice's session with the store until it is killed,
 * printing a line per sync so the parent knows it is running. */
static int
run_child (const char *url,
           const char *token,
           const char *data_dir)
{
  g_autoptr(DuetClient) client = duet_client_new (url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(DuetStore) store = NULL;
  g_autoptr(DuetSession) session = NULL;
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);

  duet_client_set_backoff (client, 10, 50);
  duet_client_set_session (client, "@alice:localhost", "ALICEDEV", token);
  duet_store_open_async (data_dir, NULL, duet_test_result_cb, &result);
  store = duet_store_open_finish (duet_test_wait (&result), NULL);
  g_assert_nonnull (store);

  session = duet_session_new (client);
  duet_session_set_store (session, store);
  duet_sync_loop_set_timeout (DUET_SYNC_LOOP (duet_session_get_sync_loop (session)), 50);
  load_cache (session);
  g_signal_connect_swapped (session, "synced", G_CALLBACK (say_synced), NULL);
  duet_session_start (session);
  g_main_loop_run (loop);
  return 0;
}

typedef struct {
  guint synced;
} ChildState;

static void
child_line_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  ChildState *state = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (object), result, NULL, NULL);

  if (line == NULL)
    return;
  if (g_str_equal (line, "synced"))
    state->synced++;
  g_data_input_stream_read_line_async (G_DATA_INPUT_STREAM (object), G_PRIORITY_DEFAULT, NULL,
                                       child_line_cb, state);
}

static gboolean
child_synced (gpointer data)
{
  return ((ChildState *) data)->synced > 0;
}

static void
test_killed_between_syncs (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261126);
  guint sent = 0;

  for (guint round = 0; round < 5; round++)
    {
      g_autoptr(GSubprocess) child = NULL;
      g_autoptr(GDataInputStream) lines = NULL;
      g_autoptr(GError) error = NULL;
      ChildState state = { 0 };
      guint burst = g_rand_int_range (rand, 1, 6);

      child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                "/proc/self/exe",
                                "--child", duet_test_homeserver_get_url (f->base.server),
                                f->base.alice_token, f->data_dir, NULL);
      g_assert_no_error (error);
      lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
      g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, NULL, child_line_cb, &state);
      g_assert_true (duet_test_wait_until (child_synced, &state, DUET_TEST_TIMEOUT_MS));

      /* Bob writes while the child syncs; the kill lands at a seeded point
       * between or in the middle of its responses and saves. */
      for (guint i = 0; i < burst; i++)
        {
          g_autofree char *body = g_strdup_printf ("message %u", ++sent);

          g_free (duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, body));
          duet_test_run_for (g_rand_int_range (rand, 0, 40));
        }
      g_subprocess_send_signal (child, SIGKILL);
      g_subprocess_wait (child, NULL, NULL);
    }

  /* Restart: the cache is consistent with its token, and the sync from
   * that token brings exactly what the cache lacks. */
  {
    g_autoptr(DuetStore) store = store_test_open_ok (f->data_dir);
    g_autoptr(DuetSession) session = new_session (f, store);
    g_autofree char *last = g_strdup_printf ("message %u", sent);
    g_autoptr(JsonArray) timeline = NULL;
    DuetRoom *room;

    load_cache (session);
    /* Under a slow sanitizer every kill may land before the first save
     * ends: an empty cache is consistent too, and the sync fills it. */
    g_test_message ("cache after the kills: %s",
                    duet_session_lookup_room (session, f->room_id) != NULL ? "has the room" : "empty");
    sync_times (session, 1);
    room = duet_session_lookup_room (session, f->room_id);
    g_assert_nonnull (room);
    g_assert_cmpstr (duet_room_get_last_message (room), ==, last);
    timeline = duet_test_homeserver_get_timeline (f->base.server, f->room_id);
    g_assert_cmpstr (duet_room_get_last_event_id (room), ==,
                     json_object_get_string_member (json_array_get_object_element (timeline,
                                                                                   json_array_get_length (timeline) - 1),
                                                    "event_id"));
    duet_test_finalize (g_steal_pointer (&session));
    duet_test_finalize (g_steal_pointer (&store));
  }
}

#define TEST(path, func) \
  g_test_add ("/session-store/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  if (argc == 5 && g_str_equal (argv[1], "--child"))
    return run_child (argv[2], argv[3], argv[4]);

  g_test_init (&argc, &argv, NULL);

  TEST ("contacts-from-cache", test_contacts_from_cache);
  TEST ("resume-gets-what-came-meanwhile", test_resume_gets_what_came_meanwhile);
  TEST ("killed-between-syncs", test_killed_between_syncs);

  return g_test_run ();
}
