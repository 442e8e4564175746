/* test-sync-loop.c: the /sync long-poll loop against the test homeserver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "duet-client.h"
#include "duet-sync-loop.h"
#include "duet-test-utils.h"

#define SYNC "/_matrix/client/v3/sync"

/* Long enough that a test never sees a long-poll end by itself. */
#define LONG_POLL_MS 8000

typedef struct {
  DuetTestFixture  base;
  DuetSyncLoop    *loop;
  char            *room_id;

  guint            responses;
  guint            errors;
  GPtrArray       *next_batches;   /* every next_batch received, in order */
  GPtrArray       *event_ids;      /* timeline event ids of room_id, in order received */
  GPtrArray       *responses_seen; /* JsonObject of every response */
  GError          *last_error;
  DuetSyncState    state_at_error;
  guint            retry_in_at_error;
  gboolean         stop_in_handler;
  char            *message_on_error; /* bob sends this from the first ::error handler */
  char            *sent_on_error;
} SyncFixture;

static void
on_response (DuetSyncLoop *loop,
             JsonObject   *response,
             SyncFixture  *f)
{
  const char *previous = f->next_batches->len > 0 ? f->next_batches->pdata[f->next_batches->len - 1] : NULL;
  JsonObject *rooms = json_object_get_object_member (response, "rooms");
  JsonObject *join = rooms != NULL ? json_object_get_object_member (rooms, "join") : NULL;
  JsonObject *room = join != NULL && f->room_id != NULL && json_object_has_member (join, f->room_id)
                     ? json_object_get_object_member (join, f->room_id) : NULL;

  /* The token has not moved yet: a handler that stores the batch with the
   * token can never leave the token ahead of its data. */
  g_assert_cmpstr (duet_sync_loop_get_since (loop), ==, previous);
  g_assert_cmpint (duet_sync_loop_get_state (loop), ==, DUET_SYNC_STATE_LIVE);
  g_assert_cmpuint (duet_sync_loop_get_retry_in (loop), ==, 0);

  g_ptr_array_add (f->next_batches, g_strdup (json_object_get_string_member (response, "next_batch")));
  g_ptr_array_add (f->responses_seen, json_object_ref (response));

  if (room != NULL)
    {
      JsonArray *events = json_object_get_array_member (json_object_get_object_member (room, "timeline"), "events");

      for (guint i = 0; i < json_array_get_length (events); i++)
        g_ptr_array_add (f->event_ids,
                         g_strdup (json_object_get_string_member (json_array_get_object_element (events, i),
                                                                  "event_id")));
    }

  f->responses++;
  if (f->stop_in_handler)
    duet_sync_loop_stop (loop);
}

static void
on_error (DuetSyncLoop *loop,
          GError       *error,
          SyncFixture  *f)
{
  g_clear_error (&f->last_error);
  f->last_error = g_error_copy (error);
  f->state_at_error = duet_sync_loop_get_state (loop);
  f->retry_in_at_error = duet_sync_loop_get_retry_in (loop);
  f->errors++;

  if (f->message_on_error != NULL && f->sent_on_error == NULL)
    f->sent_on_error = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob,
                                                          f->message_on_error);
}

static void
sync_fixture_setup (SyncFixture   *f,
                    gconstpointer  data)
{
  const char *invite[] = { NULL, NULL };

  duet_test_fixture_setup (&f->base, data);
  invite[0] = f->base.bob;
  f->room_id = duet_test_homeserver_create_room (f->base.server, f->base.alice, "private_chat", invite, FALSE);
  duet_test_homeserver_join (f->base.server, f->room_id, f->base.bob);

  f->next_batches = g_ptr_array_new_with_free_func (g_free);
  f->event_ids = g_ptr_array_new_with_free_func (g_free);
  f->responses_seen = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  f->loop = duet_sync_loop_new (f->base.client);
  duet_sync_loop_set_timeout (f->loop, LONG_POLL_MS);
  g_signal_connect (f->loop, "response", G_CALLBACK (on_response), f);
  g_signal_connect (f->loop, "error", G_CALLBACK (on_error), f);
}

static void
sync_fixture_teardown (SyncFixture   *f,
                       gconstpointer  data)
{
  duet_sync_loop_stop (f->loop);
  g_signal_handlers_disconnect_by_data (f->loop, f);
  duet_test_finalize (g_steal_pointer (&f->loop));

  g_clear_pointer (&f->next_batches, g_ptr_array_unref);
  g_clear_pointer (&f->event_ids, g_ptr_array_unref);
  g_clear_pointer (&f->responses_seen, g_ptr_array_unref);
  g_clear_error (&f->last_error);
  g_clear_pointer (&f->room_id, g_free);
  g_clear_pointer (&f->message_on_error, g_free);
  g_clear_pointer (&f->sent_on_error, g_free);
  duet_test_fixture_teardown (&f->base, data);
}

#define TEST(path, func) \
  g_test_add (path, SyncFixture, NULL, sync_fixture_setup, func, sync_fixture_teardown)

typedef struct {
  SyncFixture *f;
  guint        responses;
  guint        errors;
} Expect;

static gboolean
reached (gpointer data)
{
  Expect *e = data;

  return e->f->responses >= e->responses && e->f->errors >= e->errors;
}

static void
wait_for (SyncFixture *f,
          guint        responses,
          guint        errors)
{
  Expect e = { f, responses, errors };

  if (!duet_test_wait_until (reached, &e, DUET_TEST_TIMEOUT_MS))
    g_error ("waited for %u responses and %u errors, got %u and %u",
             responses, errors, f->responses, f->errors);
}

typedef struct {
  SyncFixture *f;
  const char  *event_id;
} ExpectEvent;

static gboolean
event_received (gpointer data)
{
  ExpectEvent *e = data;

  return g_ptr_array_find_with_equal_func (e->f->event_ids, e->event_id, g_str_equal, NULL);
}

static void
wait_for_event (SyncFixture *f,
                const char  *event_id)
{
  ExpectEvent e = { f, event_id };

  if (!duet_test_wait_until (event_received, &e, DUET_TEST_TIMEOUT_MS))
    g_error ("event %s never arrived", event_id);
}

static guint
count_sync (SyncFixture *f)
{
  return duet_test_homeserver_count_requests (f->base.server, "GET", SYNC);
}

/* The room's event ids on the server, oldest first. */
static GPtrArray *
server_event_ids (SyncFixture *f)
{
  g_autoptr(JsonArray) timeline = duet_test_homeserver_get_timeline (f->base.server, f->room_id);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < json_array_get_length (timeline); i++)
    g_ptr_array_add (ids, g_strdup (json_object_get_string_member (json_array_get_object_element (timeline, i),
                                                                   "event_id")));
  return ids;
}

static void
assert_same_ids (GPtrArray *received,
                 GPtrArray *expected)
{
  for (guint i = 0; i < MIN (received->len, expected->len); i++)
    g_assert_cmpstr (received->pdata[i], ==, expected->pdata[i]);
  g_assert_cmpuint (received->len, ==, expected->len);
}

static gboolean
ids_contain (GPtrArray  *ids,
             const char *id)
{
  return g_ptr_array_find_with_equal_func (ids, id, g_str_equal, NULL);
}

/* --- Tests --------------------------------------------------------------- */

static void
test_first_sync (SyncFixture   *f,
                 gconstpointer  data)
{
  g_autofree char *event_id = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "hi");
  JsonObject *first;

  g_assert_null (duet_sync_loop_get_since (f->loop));
  g_assert_cmpint (duet_sync_loop_get_state (f->loop), ==, DUET_SYNC_STATE_STOPPED);

  duet_sync_loop_start (f->loop);
  g_assert_cmpint (duet_sync_loop_get_state (f->loop), ==, DUET_SYNC_STATE_CONNECTING);
  wait_for (f, 1, 0);

  first = f->responses_seen->pdata[0];
  g_assert_true (json_object_has_member (json_object_get_object_member (json_object_get_object_member (first, "rooms"),
                                                                        "join"),
                                         f->room_id));
  g_assert_true (ids_contain (f->event_ids, event_id));

  /* The token moved once the handler returned. */
  g_assert_cmpstr (duet_sync_loop_get_since (f->loop), ==, f->next_batches->pdata[0]);
  g_assert_cmpint (duet_sync_loop_get_state (f->loop), ==, DUET_SYNC_STATE_LIVE);
  g_assert_cmpuint (f->errors, ==, 0);
}

static void
test_since_moves_after_handler (SyncFixture   *f,
                                gconstpointer  data)
{
  duet_sync_loop_start (f->loop);
  wait_for (f, 1, 0);

  /* Each message wakes the long-poll; on_response checks the token every time. */
  for (guint i = 2; i <= 4; i++)
    {
      g_autofree char *body = g_strdup_printf ("message %u", i);
      g_autofree char *event_id = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, body);

      wait_for (f, i, 0);
      g_assert_true (ids_contain (f->event_ids, event_id));
      g_assert_cmpstr (duet_sync_loop_get_since (f->loop), ==, f->next_batches->pdata[i - 1]);
      g_assert_cmpstr (f->next_batches->pdata[i - 1], !=, f->next_batches->pdata[i - 2]);
    }
  g_assert_cmpuint (f->responses, ==, 4);
}

static void
test_long_poll_wakeup (SyncFixture   *f,
                       gconstpointer  data)
{
  g_autofree char *event_id = NULL;
  guint requests;
  gint64 start;

  duet_sync_loop_start (f->loop);
  wait_for (f, 1, 0);

  /* Nothing new: the request is held by the server, not answered empty. */
  duet_test_run_for (300);
  g_assert_cmpuint (f->responses, ==, 1);
  requests = count_sync (f);
  g_assert_cmpuint (requests, ==, 2);

  start = g_get_monotonic_time ();
  event_id = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "wake up");
  wait_for (f, 2, 0);
  /* Well before the long-poll's own timeout. */
  g_assert_cmpint (duet_test_elapsed_ms (start), <, MIN (1000 * duet_test_time_scale (), LONG_POLL_MS / 2));
  g_assert_cmpstr (f->event_ids->pdata[f->event_ids->len - 1], ==, event_id);
  g_assert_cmpuint (f->errors, ==, 0);
}

static void
check_recovers (SyncFixture   *f,
                DuetFaultKind  kind,
                guint          status)
{
  g_autofree char *before = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "before");
  g_autofree char *trigger = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GPtrArray) expected = NULL;

  duet_sync_loop_start (f->loop);
  wait_for (f, 1, 0);

  /* The next request fails (the long-poll, or the one after it); bob
   * talks while the loop waits to retry. */
  duet_test_homeserver_add_fault (f->base.server, "GET", SYNC, 1, kind, status, 0, NULL);
  f->message_on_error = g_strdup ("during the outage");
  trigger = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "trigger");
  wait_for (f, 1, 1);

  g_assert_nonnull (f->last_error);
  g_test_message ("sync error: %s", f->last_error->message);
  if (kind == DUET_FAULT_DROP)
    g_assert_true (f->last_error->domain == G_IO_ERROR);
  else
    g_assert_true (f->last_error->domain == DUET_API_ERROR);
  g_assert_cmpint (f->state_at_error, ==, DUET_SYNC_STATE_RETRYING);
  g_assert_cmpuint (f->retry_in_at_error, >, 0);
  g_assert_cmpuint (f->retry_in_at_error, <=, DUET_TEST_BACKOFF_MAX_MS);
  g_assert_nonnull (f->sent_on_error);

  /* Back to live, with the messages sent before and during the outage. */
  wait_for_event (f, trigger);
  wait_for_event (f, f->sent_on_error);
  g_assert_cmpint (duet_sync_loop_get_state (f->loop), ==, DUET_SYNC_STATE_LIVE);

  after = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "after");
  wait_for_event (f, after);
  g_assert_cmpuint (f->errors, ==, 1);
  g_assert_cmpuint (count_sync (f), <, 8);

  /* Every event exactly once, in the server's order. */
  expected = server_event_ids (f);
  g_assert_true (ids_contain (expected, before));
  g_assert_true (ids_contain (expected, trigger));
  g_assert_true (ids_contain (expected, after));
  assert_same_ids (f->event_ids, expected);
}

static void
test_5xx_recovers (SyncFixture   *f,
                   gconstpointer  data)
{
  check_recovers (f, DUET_FAULT_STATUS, 502);
}

static void
test_drop_recovers (SyncFixture   *f,
                    gconstpointer  data)
{
  check_recovers (f, DUET_FAULT_DROP, 0);
}

static void
test_soft_logout (SyncFixture   *f,
                  gconstpointer  data)
{
  guint requests;

  duet_sync_loop_start (f->loop);
  wait_for (f, 1, 0);

  duet_test_homeserver_expire_tokens (f->base.server, f->base.alice, TRUE);
  /* Wake the long-poll in flight, so the next request meets the dead token. */
  g_free (duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "wake"));
  wait_for (f, 1, 1);

  g_assert_error (f->last_error, DUET_API_ERROR, DUET_API_ERROR_SOFT_LOGOUT);
  g_assert_cmpint (f->state_at_error, ==, DUET_SYNC_STATE_STOPPED);
  g_assert_cmpint (duet_sync_loop_get_state (f->loop), ==, DUET_SYNC_STATE_STOPPED);

  /* Stopped for good: no retry. */
  requests = count_sync (f);
  duet_test_run_for (200);
  g_assert_cmpuint (count_sync (f), ==, requests);
  g_assert_cmpuint (f->errors, ==, 1);
}

static void
test_unknown_token (SyncFixture   *f,
                    gconstpointer  data)
{
  duet_test_homeserver_expire_tokens (f->base.server, f->base.alice, FALSE);
  duet_sync_loop_start (f->loop);
  wait_for (f, 0, 1);

  g_assert_error (f->last_error, DUET_API_ERROR, DUET_API_ERROR_UNKNOWN_TOKEN);
  g_assert_cmpint (duet_sync_loop_get_state (f->loop), ==, DUET_SYNC_STATE_STOPPED);
  duet_test_run_for (100);
  g_assert_cmpuint (count_sync (f), ==, 1);
  g_assert_cmpuint (f->responses, ==, 0);
}

static void
test_not_signed_in (SyncFixture   *f,
                    gconstpointer  data)
{
  g_autoptr(DuetClient) client = duet_test_new_client (f->base.server, NULL, NULL, NULL);
  g_autoptr(DuetSyncLoop) loop = duet_sync_loop_new (client);

  g_signal_connect (loop, "error", G_CALLBACK (on_error), f);
  duet_sync_loop_start (loop);
  wait_for (f, 0, 1);
  g_assert_error (f->last_error, DUET_API_ERROR, DUET_API_ERROR_NOT_SIGNED_IN);
  g_assert_cmpint (duet_sync_loop_get_state (loop), ==, DUET_SYNC_STATE_STOPPED);
  g_assert_cmpuint (count_sync (f), ==, 0);

  g_signal_handlers_disconnect_by_data (loop, f);
  duet_test_finalize (g_steal_pointer (&loop));
  duet_test_finalize (g_steal_pointer (&client));
}

static void
test_stop_during_long_poll (SyncFixture   *f,
                            gconstpointer  data)
{
  g_autofree char *since = NULL;
  gint64 start;

  duet_sync_loop_start (f->loop);
  wait_for (f, 1, 0);
  duet_test_run_for (100);
  g_assert_cmpuint (count_sync (f), ==, 2);
  since = g_strdup (duet_sync_loop_get_since (f->loop));

  start = g_get_monotonic_time ();
  duet_sync_loop_stop (f->loop);
  g_assert_cmpint (duet_test_elapsed_ms (start), <, 100 * duet_test_time_scale ());
  g_assert_cmpint (duet_sync_loop_get_state (f->loop), ==, DUET_SYNC_STATE_STOPPED);

  /* Nothing more: not the cancelled request, not news. */
  g_free (duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "unheard"));
  duet_test_run_for (300);
  g_assert_cmpuint (f->responses, ==, 1);
  g_assert_cmpuint (f->errors, ==, 0);
  g_assert_cmpuint (count_sync (f), ==, 2);
  g_assert_cmpstr (duet_sync_loop_get_since (f->loop), ==, since);
}

static void
count_response_cb (DuetSyncLoop *loop,
                   JsonObject   *response,
                   guint        *count)
{
  (*count)++;
}

/* A request in flight holds no reference on its loop: dropping the last
 * one disposes a running loop, which stops it, and it syncs no more. */
static void
test_unref_while_running (SyncFixture   *f,
                          gconstpointer  data)
{
  DuetSyncLoop *loop = duet_sync_loop_new (f->base.client);
  gpointer weak = loop;
  guint responses = 0;
  guint requests;

  g_object_add_weak_pointer (G_OBJECT (loop), &weak);
  duet_sync_loop_set_timeout (loop, LONG_POLL_MS);
  g_signal_connect (loop, "response", G_CALLBACK (count_response_cb), &responses);
  duet_sync_loop_start (loop);
  while (responses == 0)
    g_main_context_iteration (NULL, TRUE);
  duet_test_run_for (50);

  /* Long-polling now; drop it. */
  g_assert_cmpint (duet_sync_loop_get_state (loop), ==, DUET_SYNC_STATE_LIVE);
  g_object_unref (loop);
  g_assert_null (weak);

  requests = count_sync (f);
  g_free (duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "unheard"));
  duet_test_run_for (300);
  g_assert_cmpuint (count_sync (f), ==, requests);
  g_assert_cmpuint (responses, ==, 1);
}

static void
test_restart_resumes (SyncFixture   *f,
                      gconstpointer  data)
{
  g_autofree char *first = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "first");
  g_autofree char *second = NULL;
  g_autoptr(GPtrArray) expected = NULL;
  guint seen;

  duet_sync_loop_start (f->loop);
  wait_for (f, 1, 0);
  duet_sync_loop_stop (f->loop);
  seen = f->event_ids->len;
  g_assert_true (ids_contain (f->event_ids, first));

  /* News while stopped arrive on the next start, and nothing twice. */
  second = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "second");
  duet_test_run_for (100);
  duet_sync_loop_start (f->loop);
  wait_for (f, 2, 0);
  g_assert_cmpuint (f->event_ids->len, ==, seen + 1);
  g_assert_cmpstr (f->event_ids->pdata[seen], ==, second);

  expected = server_event_ids (f);
  assert_same_ids (f->event_ids, expected);
}

static void
test_stop_in_handler (SyncFixture   *f,
                      gconstpointer  data)
{
  f->stop_in_handler = TRUE;
  duet_sync_loop_start (f->loop);
  wait_for (f, 1, 0);
  g_assert_cmpint (duet_sync_loop_get_state (f->loop), ==, DUET_SYNC_STATE_STOPPED);
  /* The batch was handed over, so the token moves on. */
  g_assert_cmpstr (duet_sync_loop_get_since (f->loop), ==, f->next_batches->pdata[0]);

  duet_test_run_for (200);
  g_assert_cmpuint (count_sync (f), ==, 1);
  g_assert_cmpuint (f->responses, ==, 1);
}

static void
test_filter_limit (SyncFixture   *f,
                   gconstpointer  data)
{
  g_autofree char *filter = duet_sync_loop_build_filter (2);
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func (g_free);
  JsonObject *room;
  JsonObject *timeline;

  for (guint i = 1; i <= 5; i++)
    {
      g_autofree char *body = g_strdup_printf ("message %u", i);

      g_ptr_array_add (sent, duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, body));
    }

  duet_sync_loop_set_filter (f->loop, filter);
  g_assert_cmpstr (duet_sync_loop_get_filter (f->loop), ==, filter);
  g_assert_nonnull (strstr (filter, "\"lazy_load_members\":true"));
  duet_sync_loop_start (f->loop);
  wait_for (f, 1, 0);

  room = json_object_get_object_member (json_object_get_object_member (json_object_get_object_member (f->responses_seen->pdata[0],
                                                                                                      "rooms"),
                                                                       "join"),
                                        f->room_id);
  timeline = json_object_get_object_member (room, "timeline");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (timeline, "events")), ==, 2);
  g_assert_true (json_object_get_boolean_member (timeline, "limited"));
  g_assert_cmpuint (f->event_ids->len, ==, 2);
  g_assert_cmpstr (f->event_ids->pdata[0], ==, sent->pdata[3]);
  g_assert_cmpstr (f->event_ids->pdata[1], ==, sent->pdata[4]);
}

static void
test_default_filter (SyncFixture   *f,
                     gconstpointer  data)
{
  g_autofree char *expected = duet_sync_loop_build_filter (DUET_SYNC_LOOP_DEFAULT_TIMELINE_LIMIT);
  g_autoptr(GPtrArray) all = NULL;

  /* More than fit in the default timeline limit. */
  for (guint i = 1; i <= DUET_SYNC_LOOP_DEFAULT_TIMELINE_LIMIT + 5; i++)
    g_free (duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "x"));

  g_assert_cmpstr (duet_sync_loop_get_filter (f->loop), ==, expected);
  duet_sync_loop_start (f->loop);
  wait_for (f, 1, 0);
  g_assert_cmpuint (f->event_ids->len, ==, DUET_SYNC_LOOP_DEFAULT_TIMELINE_LIMIT);

  all = server_event_ids (f);
  g_assert_cmpstr (f->event_ids->pdata[f->event_ids->len - 1], ==, all->pdata[all->len - 1]);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST ("/sync-loop/first-sync", test_first_sync);
  TEST ("/sync-loop/since-moves-after-handler", test_since_moves_after_handler);
  TEST ("/sync-loop/long-poll-wakeup", test_long_poll_wakeup);
  TEST ("/sync-loop/5xx-recovers", test_5xx_recovers);
  TEST ("/sync-loop/drop-recovers", test_drop_recovers);
  TEST ("/sync-loop/soft-logout", test_soft_logout);
  TEST ("/sync-loop/unknown-token", test_unknown_token);
  TEST ("/sync-loop/not-signed-in", test_not_signed_in);
  TEST ("/sync-loop/stop-during-long-poll", test_stop_during_long_poll);
  TEST ("/sync-loop/stop-in-handler", test_stop_in_handler);
  TEST ("/sync-loop/restart-resumes", test_restart_resumes);
  TEST ("/sync-loop/unref-while-running", test_unref_while_running);
  TEST ("/sync-loop/filter-limit", test_filter_limit);
  TEST ("/sync-loop/default-filter", test_default_filter);

  return g_test_run ();
}
