/* test-fault-send.c: 100 messages through a bad network, each once, in order
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice's session (with its store) sends 100 messages into two rooms through
 * its DuetOutbox while the test homeserver answers PUT /send requests, at
 * random but seeded points, by dropping the connection, handling the request
 * and then dropping it, 502, 429 with retry_after_ms, 429 with Retry-After,
 * or hanging (past the client's timeout or not).  The client gives up after
 * two attempts, so the outbox's own retries are tested too.  The server's own record
 * must hold every message exactly once, in order per room; the session must
 * hand each on exactly once, with the outbox already rid of it, and the
 * outbox and its table must end empty.
 *
 * The seed is printed; DUET_FAULT_SEED repeats a run.
 */
#include "config.h"

#include <string.h>

#include "duet-json.h"
#include "duet-outbox.h"
#include "duet-session-test-utils.h"
#include "duet-store-test-utils.h"
#include "duet-sync-loop.h"

#define N_MESSAGES 100
#define N_ROOMS 2
/* Short client timers so that the run takes seconds. */
#define REQUEST_TIMEOUT_MS 300
#define LONG_HANG_MS 700   /* past the timeout: the client gives up, the server goes on */
#define SHORT_HANG_MS 100  /* a slow answer within the timeout */

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
  char            *rooms[N_ROOMS];
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const char *invite[] = { "@bob:localhost", NULL };

  duet_test_fixture_setup (&f->base, data);
  f->data_dir = store_test_make_data_dir ();
  for (guint i = 0; i < N_ROOMS; i++)
    {
      f->rooms[i] = duet_test_homeserver_create_room (f->base.server, f->base.alice, "trusted_private_chat",
                                                      invite, TRUE);
      duet_test_homeserver_join (f->base.server, f->rooms[i], f->base.bob);
    }
  duet_client_set_request_timeout (f->base.client, REQUEST_TIMEOUT_MS);
  /* Two faults in a row get past the client's own retries: the outbox's
   * retrying is under test as much as the client's. */
  duet_client_set_max_attempts (f->base.client, 2);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  store_test_remove_dir (f->data_dir);
  g_clear_pointer (&f->data_dir, g_free);
  for (guint i = 0; i < N_ROOMS; i++)
    g_clear_pointer (&f->rooms[i], g_free);
  duet_test_fixture_teardown (&f->base, data);
}

static guint32
fault_seed (void)
{
  const char *env = g_getenv ("DUET_FAULT_SEED");

  return env != NULL ? (guint32) g_ascii_strtoull (env, NULL, 10) : g_random_int ();
}

/* Queues one fault of @kind for the PUT /send request after the next @skip. */
static void
add_fault (DuetTestHomeserver *server,
           Kind                kind,
           guint               skip,
           GRand              *rand)
{
  const char *prefix = "/_matrix/client/v3/rooms/";

  switch (kind)
    {
    case KIND_DROP:
      duet_test_homeserver_add_fault_after (server, "PUT", prefix, skip, DUET_FAULT_DROP, 0, 0, NULL);
      break;
    case KIND_DROP_AFTER:
      duet_test_homeserver_add_fault_after (server, "PUT", prefix, skip, DUET_FAULT_DROP_AFTER, 0, 0, NULL);
      break;
    case KIND_502:
      duet_test_homeserver_add_fault_after (server, "PUT", prefix, skip, DUET_FAULT_STATUS, 502, 0, NULL);
      break;
    case KIND_429_BODY:
      duet_test_homeserver_add_fault_after (server, "PUT", prefix, skip, DUET_FAULT_RATE_LIMIT, 0,
                                            (guint) g_rand_int_range (rand, 1, 80), NULL);
      break;
    case KIND_429_HEADER:
      /* Whole seconds only: mostly "Retry-After: 0", sometimes 1. */
      duet_test_homeserver_add_fault_after (server, "PUT", prefix, skip, DUET_FAULT_RETRY_AFTER, 0,
                                            g_rand_int_range (rand, 0, 8) == 0 ? 1000 : 0, NULL);
      break;
    case KIND_HANG_LONG:
      duet_test_homeserver_add_fault_after (server, "PUT", prefix, skip, DUET_FAULT_HANG, 0, LONG_HANG_MS, NULL);
      break;
    case KIND_HANG_SHORT:
      duet_test_homeserver_add_fault_after (server, "PUT", prefix, skip, DUET_FAULT_HANG, 0, SHORT_HANG_MS, NULL);
      break;
    default:
      g_assert_not_reached ();
    }
}

typedef struct {
  DuetOutbox  *outbox;
  GHashTable  *shown;          /* body → times handed on (live) */
  guint        shown_queued;   /* handed on while still in the outbox */
} Watch;

static void
timeline_events_cb (DuetSession *session,
                    DuetRoom    *room,
                    JsonArray   *events,
                    gboolean     limited,
                    const char  *prev_batch,
                    gboolean     live,
                    Watch       *watch)
{
  GListModel *queue = duet_outbox_get_room_queue (watch->outbox, duet_room_get_id (room));

  for (guint i = 0; live && i < json_array_get_length (events); i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      JsonObject *event = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonObject *content = duet_json_get_object (event, "content");
      const char *body = duet_json_get_string (content, "body");
      const char *txn_id = duet_json_get_string (duet_json_get_object (event, "unsigned"), "transaction_id");

      if (body == NULL || !g_str_has_prefix (body, "fault message "))
        continue;
      g_hash_table_insert (watch->shown, g_strdup (body),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (watch->shown, body)) + 1));
      for (guint j = 0; txn_id != NULL && j < g_list_model_get_n_items (queue); j++)
        {
          g_autoptr(DuetOutgoing) outgoing = g_list_model_get_item (queue, j);

          if (g_strcmp0 (duet_outgoing_get_txn_id (outgoing), txn_id) == 0)
            watch->shown_queued++;
        }
    }
}

static gboolean
all_echoed (gpointer data)
{
  Watch *watch = data;

  return g_list_model_get_n_items (duet_outbox_get_all (watch->outbox)) == 0 &&
         g_hash_table_size (watch->shown) == N_MESSAGES;
}

static void
test_send_through_faults (Fixture       *f,
                          gconstpointer  data)
{
  guint32 seed = fault_seed ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  GPtrArray *expected[N_ROOMS] = { NULL, };
  g_autoptr(GHashTable) shown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint scheduled[N_KINDS] = { 0, };
  guint n_faults = 0;
  g_autoptr(GString) summary = g_string_new (NULL);
  DuetStore *store = store_test_open_ok (f->data_dir);
  DuetSession *session = duet_session_new (f->base.client);
  Watch watch = { 0, };
  gint64 start;

  g_test_message ("fault seed %u (set DUET_FAULT_SEED to repeat)", seed);

  duet_session_set_store (session, store);
  duet_sync_loop_set_timeout (DUET_SYNC_LOOP (duet_session_get_sync_loop (session)), 100);
  duet_session_load_cache_async (session, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_session_load_cache_finish (session, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  watch.outbox = duet_session_get_outbox (session);
  watch.shown = shown;
  g_signal_connect (session, "timeline-events", G_CALLBACK (timeline_events_cb), &watch);
  duet_session_start (session);
  duet_test_session_settle (session);

  /* About one fault per three messages, each at a random PUT among the
   * first N_MESSAGES (every one of which is sure to come). */
  for (guint i = 0; i < N_MESSAGES; i++)
    {
      Kind kind;

      if (g_rand_int_range (rand, 0, 3) != 0)
        continue;
      kind = (Kind) g_rand_int_range (rand, 0, N_KINDS);
      add_fault (f->base.server, kind, (guint) g_rand_int_range (rand, 0, N_MESSAGES), rand);
      scheduled[kind]++;
      n_faults++;
    }

  start = g_get_monotonic_time ();
  for (guint i = 0; i < N_ROOMS; i++)
    expected[i] = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < N_MESSAGES; i++)
    {
      guint room = (guint) g_rand_int_range (rand, 0, N_ROOMS);
      char *body = g_strdup_printf ("fault message %u", i);

      duet_outbox_send_text (watch.outbox, f->rooms[room], body, FALSE);
      g_ptr_array_add (expected[room], body);
      /* Sometimes let the loop run between two messages. */
      if (g_rand_int_range (rand, 0, 4) == 0)
        duet_test_run_for ((guint) g_rand_int_range (rand, 1, 30));
    }

  g_assert_true (duet_test_wait_until (all_echoed, &watch, 60000));
  /* A few more syncs: a late duplicate would show now. */
  duet_test_session_settle (session);

  /* The server has each message once, in order per room. */
  for (guint r = 0; r < N_ROOMS; r++)
    {
      g_autoptr(JsonArray) events = duet_test_homeserver_get_timeline (f->base.server, f->rooms[r]);
      guint next = 0;

      for (guint i = 0; i < json_array_get_length (events); i++)
        {
          JsonObject *event = json_array_get_object_element (events, i);
          const char *body = duet_json_get_string (duet_json_get_object (event, "content"), "body");

          if (g_strcmp0 (duet_json_get_string (event, "sender"), f->base.alice) != 0 || body == NULL)
            continue;
          g_assert_cmpuint (next, <, expected[r]->len);
          g_assert_cmpstr (body, ==, g_ptr_array_index (expected[r], next));
          next++;
        }
      g_assert_cmpuint (next, ==, expected[r]->len);
    }

  /* The model handed each on once, never while it was still queued. */
  g_assert_cmpuint (g_hash_table_size (shown), ==, N_MESSAGES);
  {
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init (&iter, shown);
    while (g_hash_table_iter_next (&iter, &key, &value))
      {
        if (GPOINTER_TO_UINT (value) != 1)
          g_error ("%s was handed on %u times", (char *) key, GPOINTER_TO_UINT (value));
      }
  }
  g_assert_cmpuint (watch.shown_queued, ==, 0);
  g_assert_cmpuint (duet_test_homeserver_count_faults (f->base.server), ==, n_faults);

  /* And the store's outbox is empty. */
  {
    g_autoptr(GPtrArray) rows = NULL;

    duet_store_list_outgoing_async (store, duet_test_result_cb, &result);
    rows = duet_store_list_outgoing_finish (store, duet_test_wait (&result), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (rows->len, ==, 0);
    g_clear_object (&result);
  }

  for (guint k = 0; k < N_KINDS; k++)
    g_string_append_printf (summary, "%s%u %s", k > 0 ? ", " : "", scheduled[k], kind_names[k]);
  g_print ("# send through faults: %u messages in %u rooms, %u faults injected (%s), "
           "%" G_GINT64_FORMAT " ms, seed %u\n",
           N_MESSAGES, N_ROOMS, n_faults, summary->str, duet_test_elapsed_ms (start), seed);

  for (guint r = 0; r < N_ROOMS; r++)
    g_ptr_array_unref (expected[r]);
  g_signal_handlers_disconnect_by_data (session, &watch);
  duet_test_session_stop (session);
  duet_test_finalize (store);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/duet/fault/send-through-faults", Fixture, NULL, fixture_setup, test_send_through_faults,
              fixture_teardown);

  return g_test_run ();
}
