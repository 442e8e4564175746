/* test-fault-sync.c: the sync loop through a bad network, in the model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Bob sends 100 messages at random moments while the test homeserver
 * answers Alice's /sync requests, at random but seeded points, by dropping
 * the connection, computing the answer and then dropping it, 502, 429 with
 * retry_after_ms, 429 with Retry-After, or hanging (past the client's
 * timeout or not).  Alice's session must hand on every message exactly once
 * and in order, and its cache must hold them in order without a repeat.
 *
 * The seed is printed; DUET_FAULT_SEED repeats a run.
 */
#include "config.h"

#include <string.h>

#include "duet-json.h"
#include "duet-session-test-utils.h"
#include "duet-store-test-utils.h"
#include "duet-sync-loop.h"

#define N_MESSAGES 100
#define LONG_POLL_MS 100
#define REQUEST_TIMEOUT_MS 300
#define LONG_HANG_MS 700   /* past the request's timeout (300 + the long-poll) */
#define SHORT_HANG_MS 100
#define SYNC "/_matrix/client/v3/sync"

typedef enum {
  KIND_DROP,
  KIND_DROP_AFTER,
  KIND_502,
  KIND_429_BODY,
  KIND_429_HEADER,
  KIND_HANG_LONG,
  KIND_HANG_SHORT,
  N_KINDS
} Kind;

static const char * const kind_names[N_KINDS] = {
  "drop", "drop-after-handling", "502", "429 retry_after_ms", "429 Retry-After", "hang past timeout",
  "slow answer",
};

typedef struct {
  DuetTestFixture  base;
  char            *data_dir;
  char            *room_id;

  GRand           *rand;
  guint            n_sent;
  guint            send_id;
  GPtrArray       *seen;       /* bodies handed on live, in order */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const char *invite[] = { "@bob:localhost", NULL };

  duet_test_fixture_setup (&f->base, data);
  f->data_dir = store_test_make_data_dir ();
  f->room_id = duet_test_homeserver_create_room (f->base.server, f->base.alice, "trusted_private_chat",
                                                 invite, TRUE);
  duet_test_homeserver_join (f->base.server, f->room_id, f->base.bob);
  duet_client_set_request_timeout (f->base.client, REQUEST_TIMEOUT_MS);
  duet_client_set_max_attempts (f->base.client, 2);
  f->seen = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_handle_id (&f->send_id, g_source_remove);
  g_clear_pointer (&f->seen, g_ptr_array_unref);
  g_clear_pointer (&f->rand, g_rand_free);
  store_test_remove_dir (f->data_dir);
  g_clear_pointer (&f->data_dir, g_free);
  g_clear_pointer (&f->room_id, g_free);
  duet_test_fixture_teardown (&f->base, data);
}

static void
add_fault (Fixture *f,
           Kind     kind,
           guint    skip)
{
  DuetTestHomeserver *server = f->base.server;

  switch (kind)
    {
    case KIND_DROP:
      duet_test_homeserver_add_fault_after (server, "GET", SYNC, skip, DUET_FAULT_DROP, 0, 0, NULL);
      break;
    case KIND_DROP_AFTER:
      duet_test_homeserver_add_fault_after (server, "GET", SYNC, skip, DUET_FAULT_DROP_AFTER, 0, 0, NULL);
      break;
    case KIND_502:
      duet_test_homeserver_add_fault_after (server, "GET", SYNC, skip, DUET_FAULT_STATUS, 502, 0, NULL);
      break;
    case KIND_429_BODY:
      duet_test_homeserver_add_fault_after (server, "GET", SYNC, skip, DUET_FAULT_RATE_LIMIT, 0,
                                            (guint) g_rand_int_range (f->rand, 1, 80), NULL);
      break;
    case KIND_429_HEADER:
      duet_test_homeserver_add_fault_after (server, "GET", SYNC, skip, DUET_FAULT_RETRY_AFTER, 0,
                                            g_rand_int_range (f->rand, 0, 8) == 0 ? 1000 : 0, NULL);
      break;
    case KIND_HANG_LONG:
      duet_test_homeserver_add_fault_after (server, "GET", SYNC, skip, DUET_FAULT_HANG, 0, LONG_HANG_MS, NULL);
      break;
    case KIND_HANG_SHORT:
      duet_test_homeserver_add_fault_after (server, "GET", SYNC, skip, DUET_FAULT_HANG, 0, SHORT_HANG_MS, NULL);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
timeline_events_cb (DuetSession *session,
                    DuetRoom    *room,
                    JsonArray   *events,
                    gboolean     limited,
                    const char  *prev_batch,
                    gboolean     live,
                    Fixture     *f)
{
  if (!live || g_strcmp0 (duet_room_get_id (room), f->room_id) != 0)
    return;
  /* The filter's timeline limit holds every message: no gap is expected. */
  g_assert_false (limited);
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      JsonObject *event = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *body = duet_json_get_string (duet_json_get_object (event, "content"), "body");

      if (body != NULL && g_str_has_prefix (body, "sync fault "))
        g_ptr_array_add (f->seen, g_strdup (body));
    }
}

/* Bob's next message, then a random pause. */
static gboolean
send_next_cb (gpointer user_data)
{
  Fixture *f = user_data;
  g_autofree char *body = g_strdup_printf ("sync fault %u", f->n_sent++);

  g_free (duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, body));
  if (f->n_sent == N_MESSAGES)
    {
      f->send_id = 0;
      return G_SOURCE_REMOVE;
    }
  f->send_id = g_timeout_add ((guint) g_rand_int_range (f->rand, 0, 25), send_next_cb, f);
  return G_SOURCE_REMOVE;
}

typedef struct {
  Fixture *f;
  guint    n_faults;
} Done;

static gboolean
all_seen (gpointer data)
{
  Done *done = data;

  return done->f->n_sent == N_MESSAGES && done->f->seen->len >= N_MESSAGES &&
         duet_test_homeserver_count_faults (done->f->base.server) >= done->n_faults;
}

static void
test_sync_through_faults (Fixture       *f,
                          gconstpointer  data)
{
  const char *env = g_getenv ("DUET_FAULT_SEED");
  guint32 seed = env != NULL ? (guint32) g_ascii_strtoull (env, NULL, 10) : g_random_int ();
  DuetStore *store = store_test_open_ok (f->data_dir);
  DuetSession *session = duet_session_new (f->base.client);
  g_autoptr(JsonObject) snapshot = NULL;
  g_autoptr(GString) summary = g_string_new (NULL);
  guint scheduled[N_KINDS] = { 0, };
  Done done = { f, 0 };
  JsonObject *room;
  JsonArray *cached;
  gint64 start;
  guint last = 0, n_cached = 0;
  g_autofree char *filter = NULL;
  DuetSyncLoop *loop;

  g_test_message ("fault seed %u (set DUET_FAULT_SEED to repeat)", seed);
  f->rand = g_rand_new_with_seed (seed);

  duet_session_set_store (session, store);
  loop = DUET_SYNC_LOOP (duet_session_get_sync_loop (session));
  duet_sync_loop_set_timeout (loop, LONG_POLL_MS);
  /* Room for every message in one response: a gap (limited) would be
   * another test's subject. */
  filter = duet_sync_loop_build_filter (2 * N_MESSAGES);
  duet_sync_loop_set_filter (loop, filter);
  g_signal_connect (session, "timeline-events", G_CALLBACK (timeline_events_cb), f);
  duet_session_start (session);
  duet_test_session_settle (session);

  /* About one /sync in three meets a fault, at seeded random points. */
  for (guint i = 0; i < 30; i++)
    {
      Kind kind = (Kind) g_rand_int_range (f->rand, 0, N_KINDS);

      add_fault (f, kind, (guint) g_rand_int_range (f->rand, 0, 60));
      scheduled[kind]++;
      done.n_faults++;
    }

  start = g_get_monotonic_time ();
  f->send_id = g_timeout_add (1, send_next_cb, f);
  g_assert_true (duet_test_wait_until (all_seen, &done, 60000));
  /* A late repeat would come in the next responses. */
  duet_test_session_settle (session);

  g_assert_cmpuint (f->seen->len, ==, N_MESSAGES);
  for (guint i = 0; i < N_MESSAGES; i++)
    {
      g_autofree char *body = g_strdup_printf ("sync fault %u", i);

      g_assert_cmpstr (g_ptr_array_index (f->seen, i), ==, body);
    }
  g_assert_cmpuint (duet_test_homeserver_count_faults (f->base.server), ==, done.n_faults);

  g_signal_handlers_disconnect_by_data (session, f);
  duet_test_session_stop (session);

  /* The cache has the last ones in order, none twice. */
  snapshot = store_test_load (store);
  room = store_test_path_object (snapshot, "rooms", "join", f->room_id, NULL);
  g_assert_nonnull (room);
  cached = store_test_events_of (room, "timeline");
  for (guint i = 0; i < json_array_get_length (cached); i++)
    {
      JsonObject *event = json_array_get_object_element (cached, i);
      const char *body = duet_json_get_string (duet_json_get_object (event, "content"), "body");
      guint number;

      if (body == NULL || !g_str_has_prefix (body, "sync fault "))
        continue;
      number = (guint) g_ascii_strtoull (body + strlen ("sync fault "), NULL, 10);
      if (n_cached++ > 0)
        g_assert_cmpuint (number, ==, last + 1);
      last = number;
    }
  g_assert_cmpuint (n_cached, >, 0);
  g_assert_cmpuint (last, ==, N_MESSAGES - 1);

  for (guint k = 0; k < N_KINDS; k++)
    g_string_append_printf (summary, "%s%u %s", k > 0 ? ", " : "", scheduled[k], kind_names[k]);
  g_print ("# sync through faults: %u events, %u faults injected (%s), %" G_GINT64_FORMAT " ms, seed %u\n",
           N_MESSAGES, done.n_faults, summary->str, duet_test_elapsed_ms (start), seed);

  duet_test_finalize (store);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/duet/fault/sync-through-faults", Fixture, NULL, fixture_setup, test_sync_through_faults,
              fixture_teardown);

  return g_test_run ();
}
