/* test-outbox.c: DuetOutbox against the test homeserver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the chat shows while a message is on its way: stored before the
 * first try, one in flight per room and in order, passing failures retried,
 * refusals FAILED until Retry or Delete, sent again under the same txnId
 * after a restart, and gone from the outbox when its echo comes in /sync
 * (before the session hands the events on).  The fault suite is in
 * test-fault-send.c.
 */
#include "config.h"

#include <string.h>

#include "duet-outbox.h"
#include "duet-session-test-utils.h"
#include "duet-store-test-utils.h"
#include "duet-sync-loop.h"

typedef struct {
  DuetTestFixture  base;
  char            *data_dir;
  char            *room_id;
  char            *other_room_id;
  char            *send_prefix;   /* "/_matrix/client/v3/rooms/<room>/send" */
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
  f->other_room_id = duet_test_homeserver_create_room (f->base.server, f->base.alice, "private_chat",
                                                       NULL, FALSE);
  f->send_prefix = g_strdup_printf ("/_matrix/client/v3/rooms/%s/send", f->room_id);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  store_test_remove_dir (f->data_dir);
  g_clear_pointer (&f->data_dir, g_free);
  g_clear_pointer (&f->room_id, g_free);
  g_clear_pointer (&f->other_room_id, g_free);
  g_clear_pointer (&f->send_prefix, g_free);
  duet_test_fixture_teardown (&f->base, data);
}

/* Alice's message bodies in @room_id on the server, oldest first. */
static GPtrArray *
server_bodies (Fixture    *f,
               const char *room_id)
{
  g_autoptr(JsonArray) events = duet_test_homeserver_get_timeline (f->base.server, room_id);
  GPtrArray *bodies = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      JsonObject *content = json_object_get_object_member (event, "content");

      if (g_strcmp0 (json_object_get_string_member (event, "type"), "m.room.message") != 0 ||
          g_strcmp0 (json_object_get_string_member (event, "sender"), f->base.alice) != 0)
        continue;
      g_ptr_array_add (bodies, g_strdup (json_object_get_string_member (content, "body")));
    }
  return bodies;
}

static void
assert_bodies (Fixture    *f,
               const char *room_id,
               ...)
{
  g_autoptr(GPtrArray) bodies = server_bodies (f, room_id);
  const char *expected;
  guint i = 0;
  va_list args;

  va_start (args, room_id);
  while ((expected = va_arg (args, const char *)) != NULL)
    {
      g_assert_cmpuint (i, <, bodies->len);
      g_assert_cmpstr (g_ptr_array_index (bodies, i), ==, expected);
      i++;
    }
  va_end (args);
  g_assert_cmpuint (bodies->len, ==, i);
}

static gboolean
outgoing_in_state (gpointer data)
{
  gpointer *args = data;

  return (int) duet_outgoing_get_state (args[0]) == GPOINTER_TO_INT (args[1]);
}

static void
wait_for_state (DuetOutgoing      *outgoing,
                DuetOutgoingState  state)
{
  gpointer args[2] = { outgoing, GINT_TO_POINTER (state) };

  g_assert_true (duet_test_wait_until (outgoing_in_state, args, DUET_TEST_TIMEOUT_MS));
}

static gboolean
is_settled (gpointer data)
{
  return duet_outbox_is_settled (data);
}

static void
wait_settled (DuetOutbox *outbox)
{
  g_assert_true (duet_test_wait_until (is_settled, outbox, DUET_TEST_TIMEOUT_MS));
}

static GPtrArray *
list_store (DuetStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *rows;

  duet_store_list_outgoing_async (store, duet_test_result_cb, &result);
  rows = duet_store_list_outgoing_finish (store, duet_test_wait (&result), &error);
  g_assert_no_error (error);
  return rows;
}

static void
load_outbox (DuetOutbox *outbox)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  duet_outbox_load_async (outbox, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_outbox_load_finish (outbox, duet_test_wait (&result), &error));
  g_assert_no_error (error);
}

static void
test_send_stored_first (Fixture       *f,
                        gconstpointer  data)
{
  DuetStore *store = store_test_open_ok (f->data_dir);
  DuetOutbox *outbox = duet_outbox_new (f->base.client, store);
  g_autoptr(GPtrArray) rows = NULL;
  DuetOutgoing *first, *second;
  GListModel *queue = duet_outbox_get_room_queue (outbox, f->room_id);

  /* The PUT hangs: the row must be in the store while it does. */
  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, 1, DUET_FAULT_HANG, 0, 500, NULL);
  first = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "first", FALSE));
  second = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "second", TRUE));
  g_assert_cmpint (duet_outgoing_get_state (first), ==, DUET_OUTGOING_QUEUED);
  g_assert_cmpuint (g_list_model_get_n_items (queue), ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (duet_outbox_get_all (outbox)), ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (duet_outbox_get_room_queue (outbox, f->other_room_id)), ==, 0);
  g_assert_false (duet_outbox_is_idle (outbox));

  wait_for_state (first, DUET_OUTGOING_SENDING);
  rows = list_store (store);
  g_assert_cmpuint (rows->len, ==, 2);
  g_assert_cmpstr (((DuetStoreOutgoing *) g_ptr_array_index (rows, 0))->txn_id, ==,
                   duet_outgoing_get_txn_id (first));
  /* One in flight per room: the second waits. */
  g_assert_cmpint (duet_outgoing_get_state (second), ==, DUET_OUTGOING_QUEUED);

  wait_settled (outbox);
  g_assert_true (duet_outbox_is_idle (outbox));
  g_assert_cmpint (duet_outgoing_get_state (first), ==, DUET_OUTGOING_SENT);
  g_assert_cmpint (duet_outgoing_get_state (second), ==, DUET_OUTGOING_SENT);
  g_assert_true (g_str_has_prefix (duet_outgoing_get_event_id (first), "$"));
  assert_bodies (f, f->room_id, "first", "second", NULL);
  g_assert_cmpstr (json_object_get_string_member (duet_outgoing_get_content (second), "msgtype"), ==, "m.emote");
  /* SENT stays until the echo. */
  g_assert_cmpuint (g_list_model_get_n_items (queue), ==, 2);

  g_object_unref (first);
  g_object_unref (second);
  duet_test_finalize (outbox);
  duet_test_finalize (store);
}

static void
test_passing_failures (Fixture       *f,
                       gconstpointer  data)
{
  DuetOutbox *outbox = duet_outbox_new (f->base.client, NULL);
  g_autofree char *path = NULL;

  /* More failures than the client retries by itself: the outbox goes on. */
  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, DUET_CLIENT_DEFAULT_MAX_ATTEMPTS,
                                  DUET_FAULT_STATUS, 502, 0, NULL);
  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, 1, DUET_FAULT_RATE_LIMIT, 0, 20, NULL);
  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, 1, DUET_FAULT_RETRY_AFTER, 0, 0, NULL);
  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, 2, DUET_FAULT_DROP, 0, 0, NULL);
  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, 2, DUET_FAULT_DROP_AFTER, 0, 0, NULL);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *body = g_strdup_printf ("message %u", i);

      duet_outbox_send_text (outbox, f->room_id, body, FALSE);
    }
  wait_settled (outbox);

  assert_bodies (f, f->room_id, "message 0", "message 1", "message 2", "message 3", "message 4", NULL);
  g_assert_cmpuint (duet_test_homeserver_count_faults (f->base.server), ==,
                    DUET_CLIENT_DEFAULT_MAX_ATTEMPTS + 6);

  duet_test_finalize (outbox);
}

static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  DuetStore *store = store_test_open_ok (f->data_dir);
  DuetOutbox *outbox = duet_outbox_new (f->base.client, store);
  g_autoptr(GPtrArray) rows = NULL;
  DuetOutgoing *refused, *behind, *elsewhere, *third;

  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, 1, DUET_FAULT_STATUS, 403, 0, NULL);
  refused = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "refused", FALSE));
  behind = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "behind", FALSE));
  elsewhere = g_object_ref (duet_outbox_send_text (outbox, f->other_room_id, "elsewhere", FALSE));
  wait_settled (outbox);

  g_assert_cmpint (duet_outgoing_get_state (refused), ==, DUET_OUTGOING_FAILED);
  g_assert_true (g_str_has_prefix (duet_outgoing_get_error_message (refused), "M_FORBIDDEN"));
  /* The room waits behind it; another room does not. */
  g_assert_cmpint (duet_outgoing_get_state (behind), ==, DUET_OUTGOING_QUEUED);
  g_assert_cmpint (duet_outgoing_get_state (elsewhere), ==, DUET_OUTGOING_SENT);
  g_assert_false (duet_outbox_is_idle (outbox));
  assert_bodies (f, f->room_id, NULL);
  assert_bodies (f, f->other_room_id, "elsewhere", NULL);
  rows = list_store (store);
  g_assert_cmpuint (rows->len, ==, 3);
  g_assert_true (((DuetStoreOutgoing *) g_ptr_array_index (rows, 0))->failed);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* Only QUEUED or FAILED ones can go. */
  g_assert_false (duet_outbox_delete (outbox, elsewhere));

  /* Retry: the refused one goes, then the one behind it. */
  duet_outbox_retry (outbox, refused);
  g_assert_null (duet_outgoing_get_error_message (refused));
  wait_settled (outbox);
  g_assert_cmpint (duet_outgoing_get_state (refused), ==, DUET_OUTGOING_SENT);
  g_assert_cmpint (duet_outgoing_get_state (behind), ==, DUET_OUTGOING_SENT);
  assert_bodies (f, f->room_id, "refused", "behind", NULL);

  /* Delete: the next one moves on, and the deleted one is never sent. */
  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, 1, DUET_FAULT_STATUS, 413,
                                  0, "{\"errcode\": \"M_TOO_LARGE\", \"error\": \"too big\"}");
  g_clear_object (&behind);
  behind = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "too big", FALSE));
  third = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "third", FALSE));
  wait_settled (outbox);
  g_assert_cmpint (duet_outgoing_get_state (behind), ==, DUET_OUTGOING_FAILED);
  g_assert_true (duet_outbox_delete (outbox, behind));
  g_assert_false (duet_outbox_delete (outbox, behind));
  wait_settled (outbox);
  g_assert_cmpint (duet_outgoing_get_state (third), ==, DUET_OUTGOING_SENT);
  assert_bodies (f, f->room_id, "refused", "behind", "third", NULL);

  /* Deleting one nobody else holds (the outbox had the last references). */
  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, 1, DUET_FAULT_STATUS, 400, 0, NULL);
  {
    DuetOutgoing *borrowed = duet_outbox_send_text (outbox, f->room_id, "bad json", FALSE);

    wait_settled (outbox);
    g_assert_cmpint (duet_outgoing_get_state (borrowed), ==, DUET_OUTGOING_FAILED);
    g_assert_true (duet_outbox_delete (outbox, borrowed));
  }
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = list_store (store);
  g_assert_cmpuint (rows->len, ==, 4);  /* the SENT ones wait for their echo */
  for (guint i = 0; i < rows->len; i++)
    g_assert_false (((DuetStoreOutgoing *) g_ptr_array_index (rows, i))->failed);

  g_object_unref (refused);
  g_object_unref (behind);
  g_object_unref (elsewhere);
  g_object_unref (third);
  duet_test_finalize (outbox);
  duet_test_finalize (store);
}

/* A message no homeserver takes (and the store could not keep) fails at
 * once with its reason, holds its room like any refusal, and goes with
 * Delete; nothing of it reaches the server or the store. */
static void
test_too_long (Fixture       *f,
               gconstpointer  data)
{
  DuetStore *store = store_test_open_ok (f->data_dir);
  DuetOutbox *outbox = duet_outbox_new (f->base.client, store);
  g_autofree char *body = g_strnfill (DUET_STORE_MAX_OUTGOING_SIZE + 1, 'x');
  g_autoptr(GPtrArray) rows = NULL;
  DuetOutgoing *huge, *after;

  huge = g_object_ref (duet_outbox_send_text (outbox, f->room_id, body, FALSE));
  after = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "after", FALSE));
  g_assert_cmpint (duet_outgoing_get_state (huge), ==, DUET_OUTGOING_FAILED);
  g_assert_nonnull (duet_outgoing_get_error_message (huge));
  wait_settled (outbox);
  g_assert_cmpint (duet_outgoing_get_state (after), ==, DUET_OUTGOING_QUEUED);

  duet_outbox_retry (outbox, huge);
  g_assert_cmpint (duet_outgoing_get_state (huge), ==, DUET_OUTGOING_FAILED);
  wait_settled (outbox);
  assert_bodies (f, f->room_id, NULL);

  g_assert_true (duet_outbox_delete (outbox, huge));
  wait_settled (outbox);
  g_assert_cmpint (duet_outgoing_get_state (after), ==, DUET_OUTGOING_SENT);
  assert_bodies (f, f->room_id, "after", NULL);
  rows = list_store (store);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpstr (((DuetStoreOutgoing *) g_ptr_array_index (rows, 0))->txn_id, ==,
                   duet_outgoing_get_txn_id (after));

  g_object_unref (huge);
  g_object_unref (after);
  duet_test_finalize (outbox);
  duet_test_finalize (store);
}

static gboolean queue_empty (gpointer data);

/* A restored row whose echo is already in the cache must not be PUT again
 * before the snapshot and the first sync are looked at. */
static void
test_restored_waits_for_sync (Fixture       *f,
                                gconstpointer  data)
{
  DuetStore *store = store_test_open_ok (f->data_dir);
  DuetSession *session = duet_session_new (f->base.client);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *txn_id = NULL;
  g_autofree char *path = NULL;
  DuetOutgoing *message;
  GListModel *queue;

  duet_session_set_store (session, store);
  duet_sync_loop_set_timeout (DUET_SYNC_LOOP (duet_session_get_sync_loop (session)), 100);
  duet_session_start (session);
  duet_test_session_settle (session);
  queue = duet_outbox_get_room_queue (duet_session_get_outbox (session), f->room_id);
  message = duet_outbox_send_text (duet_session_get_outbox (session), f->room_id, "cached echo", FALSE);
  txn_id = g_strdup (duet_outgoing_get_txn_id (message));
  g_assert_true (duet_test_wait_until (queue_empty, queue, DUET_TEST_TIMEOUT_MS));
  duet_test_session_settle (session);
  duet_test_session_stop (session);
  {
    g_autoptr(JsonObject) content = duet_test_json_object ("{\"msgtype\": \"m.text\", \"body\": \"cached echo\"}");

    duet_store_add_outgoing_async (store, f->room_id, txn_id, "m.room.message", content, 1,
                                   duet_test_result_cb, &result);
    g_assert_true (duet_store_add_outgoing_finish (store, duet_test_wait (&result), &error));
    g_clear_object (&result);
  }
  duet_test_homeserver_reset_counts (f->base.server);
  session = duet_session_new (f->base.client);
  duet_session_set_store (session, store);
  duet_session_load_cache_async (session, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_session_load_cache_finish (session, duet_test_wait (&result), &error));
  g_clear_object (&result);
  duet_test_run_for (200);
  path = g_strdup_printf ("%s/m.room.message/%s", f->send_prefix, txn_id);
  g_test_message ("PUTs of the already-echoed txn after restart: %u",
                  duet_test_homeserver_count_requests (f->base.server, "PUT", path));
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->base.server, "PUT", path), ==, 0);
  duet_test_finalize (session);
  duet_test_finalize (store);
}

/* An event from another sender carrying our txnId takes a
 * refused (never delivered) message out of the outbox, or it would be lost. */
static void
test_forged_echo (Fixture       *f,
                         gconstpointer  data)
{
  DuetOutbox *outbox = duet_outbox_new (f->base.client, NULL);
  g_autoptr(DuetOutgoing) taken = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) event = NULL;
  DuetOutgoing *message;

  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, 1, DUET_FAULT_STATUS, 403, 0, NULL);
  message = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "precious", FALSE));
  wait_settled (outbox);
  g_assert_cmpint (duet_outgoing_get_state (message), ==, DUET_OUTGOING_FAILED);
  json = g_strdup_printf ("{\"type\": \"m.room.message\", \"sender\": \"@bob:localhost\", "
                          "\"event_id\": \"$forged\", \"unsigned\": {\"transaction_id\": \"%s\"}}",
                          duet_outgoing_get_txn_id (message));
  event = duet_test_json_object (json);
  taken = duet_outbox_take_echo (outbox, f->room_id, event);
  g_test_message ("taken=%p state=%d in outbox=%u", (void *) taken, duet_outgoing_get_state (message),
                  g_list_model_get_n_items (duet_outbox_get_all (outbox)));
  g_assert_null (taken);
  g_object_unref (message);
  duet_test_finalize (outbox);
}

/* A bare 429 (no Matrix body, no Retry-After) from a proxy passes. */
static void
test_bare_429 (Fixture       *f,
                      gconstpointer  data)
{
  DuetOutbox *outbox = duet_outbox_new (f->base.client, NULL);
  DuetOutgoing *message;

  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, DUET_CLIENT_DEFAULT_MAX_ATTEMPTS + 1,
                                  DUET_FAULT_BODY, 429, 0, "");
  message = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "rate limited by a proxy", FALSE));
  wait_settled (outbox);
  g_test_message ("state=%d error=%s", duet_outgoing_get_state (message),
                  duet_outgoing_get_error_message (message));
  g_assert_cmpint (duet_outgoing_get_state (message), ==, DUET_OUTGOING_SENT);
  g_object_unref (message);
  duet_test_finalize (outbox);
}


/* Accepted before a restart: it waits for its echo and never goes again. */
static void
test_restart_keeps_sent (Fixture       *f,
                         gconstpointer  data)
{
  DuetStore *store = store_test_open_ok (f->data_dir);
  DuetOutbox *outbox = duet_outbox_new (f->base.client, store);
  g_autofree char *txn_id = NULL;
  g_autofree char *event_id = NULL;
  g_autofree char *path = NULL;
  DuetOutgoing *message, *restored;

  message = duet_outbox_send_text (outbox, f->room_id, "accepted", FALSE);
  txn_id = g_strdup (duet_outgoing_get_txn_id (message));
  wait_for_state (message, DUET_OUTGOING_SENT);
  event_id = g_strdup (duet_outgoing_get_event_id (message));
  duet_test_finalize (outbox);
  duet_test_finalize (store);

  duet_test_homeserver_reset_counts (f->base.server);
  store = store_test_open_ok (f->data_dir);
  outbox = duet_outbox_new (f->base.client, store);
  load_outbox (outbox);
  g_assert_cmpuint (g_list_model_get_n_items (duet_outbox_get_all (outbox)), ==, 1);
  restored = g_list_model_get_item (duet_outbox_get_all (outbox), 0);
  g_assert_cmpstr (duet_outgoing_get_txn_id (restored), ==, txn_id);
  g_assert_cmpint (duet_outgoing_get_state (restored), ==, DUET_OUTGOING_SENT);
  g_assert_cmpstr (duet_outgoing_get_event_id (restored), ==, event_id);
  g_assert_true (duet_outbox_is_idle (outbox));
  duet_test_run_for (200);
  path = g_strdup_printf ("%s/m.room.message/%s", f->send_prefix, txn_id);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->base.server, "PUT", path), ==, 0);
  assert_bodies (f, f->room_id, "accepted", NULL);

  g_object_unref (restored);
  duet_test_finalize (outbox);
  duet_test_finalize (store);
}

/* A limited sync covers the echo of what was accepted before its request
 * went out: those leave; one accepted since stays for the next sync. */
static void
test_limited_forgets_sent (Fixture       *f,
                           gconstpointer  data)
{
  DuetOutbox *outbox = duet_outbox_new (f->base.client, NULL);
  DuetOutgoing *old, *recent;

  old = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "old", FALSE));
  wait_for_state (old, DUET_OUTGOING_SENT);
  duet_outbox_note_synced (outbox);
  recent = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "recent", FALSE));
  wait_for_state (recent, DUET_OUTGOING_SENT);

  duet_outbox_forget_sent (outbox, f->other_room_id);
  g_assert_cmpuint (g_list_model_get_n_items (duet_outbox_get_all (outbox)), ==, 2);
  duet_outbox_forget_sent (outbox, f->room_id);
  g_assert_cmpuint (g_list_model_get_n_items (duet_outbox_get_all (outbox)), ==, 1);
  g_assert_true (g_list_model_get_item (duet_outbox_get_all (outbox), 0) == (gpointer) recent);
  g_object_unref (recent);  /* the ref get_item just took */

  g_object_unref (old);
  g_object_unref (recent);
  duet_test_finalize (outbox);
}

static gboolean
two_faults (gpointer data)
{
  return duet_test_homeserver_count_faults (data) >= 2;
}

static void
test_restart_reuses_txn_id (Fixture       *f,
                            gconstpointer  data)
{
  DuetStore *store = store_test_open_ok (f->data_dir);
  DuetOutbox *outbox = duet_outbox_new (f->base.client, store);
  g_autoptr(DuetOutgoing) restored = NULL;
  g_autofree char *txn_id = NULL;
  DuetOutgoing *in_flight;
  GListModel *queue;

  /* The first run dies while it repeats a PUT whose answer was lost after
   * the server took it. */
  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, 1, DUET_FAULT_DROP_AFTER, 0, 0, NULL);
  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, 1, DUET_FAULT_HANG, 0, 5000, NULL);
  in_flight = duet_outbox_send_text (outbox, f->room_id, "once only", FALSE);
  txn_id = g_strdup (duet_outgoing_get_txn_id (in_flight));
  duet_outbox_send_text (outbox, f->room_id, "after it", FALSE);
  g_assert_true (duet_test_wait_until (two_faults, f->base.server, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpint (duet_outgoing_get_state (in_flight), ==, DUET_OUTGOING_SENDING);
  duet_test_finalize (outbox);
  assert_bodies (f, f->room_id, "once only", NULL);

  /* The next run: a new message queued before the load must not overtake. */
  outbox = duet_outbox_new (f->base.client, store);
  duet_outbox_send_text (outbox, f->room_id, "new run", FALSE);
  load_outbox (outbox);
  queue = duet_outbox_get_room_queue (outbox, f->room_id);
  g_assert_cmpuint (g_list_model_get_n_items (queue), ==, 3);
  restored = g_list_model_get_item (queue, 0);
  g_assert_cmpstr (duet_outgoing_get_txn_id (restored), ==, txn_id);
  wait_settled (outbox);
  assert_bodies (f, f->room_id, "once only", "after it", "new run", NULL);

  duet_test_finalize (outbox);
  duet_test_finalize (store);
}

typedef struct {
  DuetOutbox *outbox;
  const char *room_id;
  guint       queued_when_shown;
  guint       shown;
} EchoCheck;

static void
timeline_events_cb (DuetSession *session,
                    DuetRoom    *room,
                    JsonArray   *events,
                    gboolean     limited,
                    const char  *prev_batch,
                    gboolean     live,
                    EchoCheck   *check)
{
  if (g_strcmp0 (duet_room_get_id (room), check->room_id) != 0)
    return;
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      if (g_strcmp0 (json_object_get_string_member (event, "type"), "m.room.message") == 0)
        check->shown++;
    }
  check->queued_when_shown += g_list_model_get_n_items (duet_outbox_get_room_queue (check->outbox,
                                                                                     check->room_id));
}

static gboolean
queue_empty (gpointer data)
{
  return g_list_model_get_n_items (data) == 0;
}

static void
test_echo_through_session (Fixture       *f,
                           gconstpointer  data)
{
  DuetStore *store = store_test_open_ok (f->data_dir);
  DuetSession *session = duet_session_new (f->base.client);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  EchoCheck check = { 0, };
  DuetOutbox *outbox;
  GListModel *queue;
  DuetOutgoing *message;

  duet_session_set_store (session, store);
  duet_sync_loop_set_timeout (DUET_SYNC_LOOP (duet_session_get_sync_loop (session)), 200);
  outbox = duet_session_get_outbox (session);
  g_assert_true (outbox == duet_session_get_outbox (session));
  duet_session_load_cache_async (session, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_session_load_cache_finish (session, duet_test_wait (&result), &error));
  g_assert_no_error (error);

  check.outbox = outbox;
  check.room_id = f->room_id;
  g_signal_connect (session, "timeline-events", G_CALLBACK (timeline_events_cb), &check);
  duet_session_start (session);
  duet_test_session_settle (session);

  queue = duet_outbox_get_room_queue (outbox, f->room_id);
  message = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "echo me", FALSE));
  g_assert_cmpuint (g_list_model_get_n_items (queue), ==, 1);
  g_assert_true (duet_test_wait_until (queue_empty, queue, DUET_TEST_TIMEOUT_MS));

  /* It left the outbox before the chat was shown the event. */
  g_assert_cmpuint (check.shown, ==, 1);
  g_assert_cmpuint (check.queued_when_shown, ==, 0);
  g_assert_cmpint (duet_outgoing_get_state (message), ==, DUET_OUTGOING_SENT);
  g_assert_true (g_str_has_prefix (duet_outgoing_get_event_id (message), "$"));
  g_assert_cmpuint (g_list_model_get_n_items (duet_outbox_get_all (outbox)), ==, 0);
  rows = list_store (store);
  g_assert_cmpuint (rows->len, ==, 0);

  /* An echo that is not ours takes nothing. */
  {
    g_autoptr(JsonObject) event = duet_test_json_object ("{\"event_id\": \"$other\", \"unsigned\": "
                                                         "{\"transaction_id\": \"nope\"}}");

    g_assert_null (duet_outbox_take_echo (outbox, f->room_id, event));
  }

  g_object_unref (message);
  g_signal_handlers_disconnect_by_data (session, &check);
  g_clear_object (&result);
  duet_test_session_stop (session);
  duet_test_finalize (store);
}

static void
test_echo_before_answer (Fixture       *f,
                         gconstpointer  data)
{
  DuetOutbox *outbox = duet_outbox_new (f->base.client, NULL);
  g_autoptr(DuetOutgoing) taken = NULL;
  g_autoptr(JsonObject) event = json_object_new ();
  g_autoptr(JsonObject) unsigned_ = json_object_new ();
  DuetOutgoing *first, *second;

  /* The answer to the first PUT is slow; its echo arrives meanwhile. */
  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, 1, DUET_FAULT_HANG, 0, 200, NULL);
  first = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "first", FALSE));
  second = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "second", FALSE));
  wait_for_state (first, DUET_OUTGOING_SENDING);

  json_object_set_string_member (unsigned_, "transaction_id", duet_outgoing_get_txn_id (first));
  json_object_set_string_member (event, "event_id", "$echo");
  json_object_set_string_member (event, "sender", f->base.alice);
  json_object_set_object_member (event, "unsigned", g_steal_pointer (&unsigned_));
  g_assert_null (duet_outbox_take_echo (outbox, f->other_room_id, event));
  taken = duet_outbox_take_echo (outbox, f->room_id, event);
  g_assert_true (taken == first);
  g_assert_cmpint (duet_outgoing_get_state (first), ==, DUET_OUTGOING_SENT);
  /* Still one in flight per room: the second waits for the first answer. */
  g_assert_cmpint (duet_outgoing_get_state (second), ==, DUET_OUTGOING_QUEUED);

  wait_settled (outbox);
  assert_bodies (f, f->room_id, "first", "second", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (duet_outbox_get_all (outbox)), ==, 1);

  g_object_unref (first);
  g_object_unref (second);
  duet_test_finalize (outbox);
}

/* Statuses without a Matrix body (a proxy's): 5xx passes, 4xx refuses.
 * This also guards the outbox's reading of the client's error text. */
static void
test_bare_statuses (Fixture       *f,
                    gconstpointer  data)
{
  DuetOutbox *outbox = duet_outbox_new (f->base.client, NULL);
  DuetOutgoing *passing, *refused;

  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, DUET_CLIENT_DEFAULT_MAX_ATTEMPTS + 1,
                                  DUET_FAULT_BODY, 503, 0, "<html>busy</html>");
  passing = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "through a busy proxy", FALSE));
  wait_settled (outbox);
  g_assert_cmpint (duet_outgoing_get_state (passing), ==, DUET_OUTGOING_SENT);

  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, 1, DUET_FAULT_BODY, 413, 0, "");
  refused = g_object_ref (duet_outbox_send_text (outbox, f->room_id, "too big for the proxy", FALSE));
  wait_settled (outbox);
  g_assert_cmpint (duet_outgoing_get_state (refused), ==, DUET_OUTGOING_FAILED);
  g_assert_nonnull (strstr (duet_outgoing_get_error_message (refused), "413"));
  assert_bodies (f, f->room_id, "through a busy proxy", NULL);

  g_object_unref (passing);
  g_object_unref (refused);
  duet_test_finalize (outbox);
}

/* Killed after a sync with the echo was saved but before the message left
 * the outbox table: the next start finds the echo in the cache and shows
 * the message once, as the real event. */
static void
test_echo_in_cache (Fixture       *f,
                    gconstpointer  data)
{
  DuetStore *store = store_test_open_ok (f->data_dir);
  DuetSession *session = duet_session_new (f->base.client);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *txn_id = NULL;
  DuetOutgoing *message;
  GListModel *queue;

  duet_session_set_store (session, store);
  duet_sync_loop_set_timeout (DUET_SYNC_LOOP (duet_session_get_sync_loop (session)), 100);
  duet_session_start (session);
  duet_test_session_settle (session);
  queue = duet_outbox_get_room_queue (duet_session_get_outbox (session), f->room_id);
  message = duet_outbox_send_text (duet_session_get_outbox (session), f->room_id, "cached echo", FALSE);
  txn_id = g_strdup (duet_outgoing_get_txn_id (message));
  g_assert_true (duet_test_wait_until (queue_empty, queue, DUET_TEST_TIMEOUT_MS));
  duet_test_session_settle (session);
  duet_test_session_stop (session);

  /* The row the crash left behind. */
  {
    g_autoptr(JsonObject) content = duet_test_json_object ("{\"msgtype\": \"m.text\", \"body\": \"cached echo\"}");

    duet_store_add_outgoing_async (store, f->room_id, txn_id, "m.room.message", content, 1,
                                   duet_test_result_cb, &result);
    g_assert_true (duet_store_add_outgoing_finish (store, duet_test_wait (&result), &error));
    g_assert_no_error (error);
    g_clear_object (&result);
  }

  session = duet_session_new (f->base.client);
  duet_session_set_store (session, store);
  duet_session_load_cache_async (session, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_session_load_cache_finish (session, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  queue = duet_outbox_get_room_queue (duet_session_get_outbox (session), f->room_id);
  g_assert_cmpuint (g_list_model_get_n_items (queue), ==, 0);
  duet_test_run_for (200);
  assert_bodies (f, f->room_id, "cached echo", NULL);
  {
    g_autoptr(GPtrArray) rows = list_store (store);

    g_assert_cmpuint (rows->len, ==, 0);
  }

  duet_test_finalize (session);
  duet_test_finalize (store);
}

/* A server failing for as long as the test lets it: the message stays
 * QUEUED with the reason, the outbox keeps trying at a sane pace, and it
 * goes once the server is back. */
static void
test_keeps_trying (Fixture       *f,
                   gconstpointer  data)
{
  DuetOutbox *outbox = duet_outbox_new (f->base.client, NULL);
  g_autoptr(JsonObject) content = json_object_new ();
  DuetOutgoing *message;
  guint faults;

  duet_test_homeserver_add_fault (f->base.server, "PUT", f->send_prefix, 100000, DUET_FAULT_STATUS, 502, 0, NULL);
  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", "patience");
  message = g_object_ref (duet_outbox_send (outbox, f->room_id, "m.room.message", content));
  /* Later changes to the caller's object change nothing queued. */
  json_object_set_string_member (content, "body", "changed");
  g_assert_cmpstr (json_object_get_string_member (duet_outgoing_get_content (message), "body"), ==, "patience");
  g_assert_true (json_object_is_immutable (duet_outgoing_get_content (message)));

  duet_test_run_for (1000);
  faults = duet_test_homeserver_count_faults (f->base.server);
  g_test_message ("%u tries in one second", faults);
  /* The client's backoff (10 to 50 ms in tests) paces both layers. */
  g_assert_cmpuint (faults, >, DUET_CLIENT_DEFAULT_MAX_ATTEMPTS);
  g_assert_cmpuint (faults, <, 100);
  g_assert_cmpint (duet_outgoing_get_state (message), !=, DUET_OUTGOING_FAILED);
  g_assert_cmpint (duet_outgoing_get_state (message), !=, DUET_OUTGOING_SENT);
  g_assert_nonnull (duet_outgoing_get_error_message (message));
  g_assert_false (duet_outbox_is_settled (outbox));

  duet_test_homeserver_clear_faults (f->base.server);
  wait_settled (outbox);
  g_assert_cmpint (duet_outgoing_get_state (message), ==, DUET_OUTGOING_SENT);
  g_assert_null (duet_outgoing_get_error_message (message));
  assert_bodies (f, f->room_id, "patience", NULL);

  g_object_unref (message);
  duet_test_finalize (outbox);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/duet/outbox/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("send-stored-first", test_send_stored_first);
  ADD ("passing-failures", test_passing_failures);
  ADD ("refused", test_refused);
  ADD ("restart-reuses-txn-id", test_restart_reuses_txn_id);
  ADD ("echo-through-session", test_echo_through_session);
  ADD ("echo-before-answer", test_echo_before_answer);
  ADD ("keeps-trying", test_keeps_trying);
  ADD ("echo-in-cache", test_echo_in_cache);
  ADD ("bare-statuses", test_bare_statuses);
  ADD ("too-long", test_too_long);
  ADD ("restored-waits-for-sync", test_restored_waits_for_sync);
  ADD ("forged-echo", test_forged_echo);
  ADD ("bare-429", test_bare_429);
  ADD ("restart-keeps-sent", test_restart_keeps_sent);
  ADD ("limited-forgets-sent", test_limited_forgets_sent);
#undef ADD

  return g_test_run ();
}
