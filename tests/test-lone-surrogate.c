/* test-lone-surrogate.c: an event whose text holds a lone UTF-16
 * surrogate escape, or bytes that are not UTF-8, served by the test
 * homeserver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "\ud800" with no low surrogate after it (or a lone "\udc00") is JSON by
 * the grammar, and RFC 8259 (§8.2) leaves what it means to the reader;
 * servers do send such strings, and strings with raw bytes that are not
 * UTF-8 (which no JSON text may hold, RFC 8259 §8.1, but servers send
 * all the same), or raw NUL bytes (no JSON either, and no C string can
 * hold one).  Refusing the reply that carries one refused every later
 * /sync too, so the account was stuck for good.  Duet reads each one as
 * U+FFFD, the replacement character (for bytes, one per maximal ill-formed
 * subsequence or NUL byte): the reply is taken whole, the message shows
 * U+FFFD, and syncing goes on.  Each way the event can come in is tried: the streamed
 * /sync (the room read in place and as a tree), the cache written from
 * it, and GET /messages.
 */
#include "config.h"

#include <string.h>

#include "duet-contact-list.h"
#include "duet-session-test-utils.h"
#include "duet-store-test-utils.h"
#include "duet-sync-loop.h"
#include "duet-timeline.h"

#define LONG_POLL_MS 200

#define R "\xef\xbf\xbd"   /* U+FFFD */

typedef struct {
  const char *raw;     /* the body's JSON text as sent */
  const char *shown;
  gsize       length;  /* of raw; 0: strlen */
} Body;

/* U+00E9 escaped, a lone high surrogate, a lone low one, a pair. */
static const Body lone_surrogates = {
  "\"caf\\u00e9 \\ud800 and \\udc00x \\ud83d\\ude00\"",
  "caf\xc3\xa9 " R " and " R "x \xf0\x9f\x98\x80",
};

/* Bytes that never start a character, an overlong form, a surrogate and a
 * code point beyond U+10FFFF in UTF-8 form, valid UTF-8, a lone surrogate
 * escape, and a character cut at the end of the string. */
static const Body invalid_utf8 = {
  "\"bad \xff\xfe \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 caf\xc3\xa9 \\ud800 \xe2\x82\"",
  "bad " R R " " R R " " R R R " " R R R R " caf\xc3\xa9 " R " " R,
};

/* Raw NUL bytes (no C string holds one), alone and beside a byte that is
 * not UTF-8. */
static const char raw_nul_text[] = "\"a\0b \xff\0 caf\xc3\xa9\"";
static const Body raw_nul = {
  raw_nul_text,
  "a" R "b " R R " caf\xc3\xa9",
  sizeof raw_nul_text - 1,
};

typedef struct {
  DuetTestFixture  base;
  const Body      *body;
  char            *carol;
  char            *dm_id;      /* Bob and Alice; the odd text is here */
  char            *group_id;   /* Carol's room with Alice */
  char            *odd_id;     /* the event with f->body */
  char            *data_dir;
} Fixture;

typedef struct {
  GHashTable *bodies;      /* event id → body, as handed on live */
  guint       errors;      /* of the sync loop */
  guint       synced;
} Watch;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const char *invite[] = { NULL, NULL };
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) direct = NULL;

  duet_test_fixture_setup (&f->base, NULL);
  f->body = data;
  invite[0] = f->base.alice;
  f->carol = duet_test_homeserver_add_user (f->base.server, "carol", "carol-password", "Carol");
  f->dm_id = duet_test_homeserver_create_room (f->base.server, f->base.bob, "trusted_private_chat", invite, TRUE);
  duet_test_homeserver_join (f->base.server, f->dm_id, f->base.alice);
  f->group_id = duet_test_homeserver_create_room (f->base.server, f->carol, "private_chat", invite, FALSE);
  duet_test_homeserver_join (f->base.server, f->group_id, f->base.alice);
  json = g_strdup_printf ("{\"%s\": [\"%s\"]}", f->base.bob, f->dm_id);
  direct = duet_test_json_object (json);
  duet_test_homeserver_set_account_data (f->base.server, f->base.alice, "m.direct", direct);
  f->data_dir = store_test_make_data_dir ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  store_test_remove_dir (f->data_dir);
  g_clear_pointer (&f->data_dir, g_free);
  g_clear_pointer (&f->carol, g_free);
  g_clear_pointer (&f->dm_id, g_free);
  g_clear_pointer (&f->group_id, g_free);
  g_clear_pointer (&f->odd_id, g_free);
  duet_test_fixture_teardown (&f->base, data);
}

/* Bob's messages around the one with the odd text, and Carol's. */
static void
send_messages (Fixture *f,
               guint    after)
{
  g_free (duet_test_homeserver_send_message (f->base.server, f->dm_id, f->base.bob, "before"));
  g_free (duet_test_homeserver_send_message (f->base.server, f->group_id, f->carol, "hello from carol"));
  f->odd_id = duet_test_homeserver_send_message_raw_body_len (f->base.server, f->dm_id, f->base.bob, f->body->raw,
                                                              f->body->length > 0 ? f->body->length
                                                                                  : strlen (f->body->raw));
  g_assert_nonnull (f->odd_id);
  for (guint i = 0; i < after; i++)
    {
      g_autofree char *text = g_strdup_printf ("later %u", i);

      g_free (duet_test_homeserver_send_message (f->base.server, f->dm_id, f->base.bob, text));
    }
}

static void
timeline_events_cb (DuetSession *session,
                    DuetRoom    *room,
                    JsonArray   *events,
                    gboolean     limited,
                    const char  *prev_batch,
                    gboolean     live,
                    Watch       *watch)
{
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      JsonObject *content = json_object_get_object_member (event, "content");
      const char *event_id = json_object_get_string_member_with_default (event, "event_id", NULL);

      if (event_id != NULL && content != NULL && json_object_has_member (content, "body"))
        g_hash_table_replace (watch->bodies, g_strdup (event_id),
                              g_strdup (json_object_get_string_member (content, "body")));
    }
}

static void
error_cb (DuetSyncLoop *loop,
          GError       *error,
          Watch        *watch)
{
  g_test_message ("sync error: %s", error->message);
  watch->errors++;
}

static void
synced_cb (DuetSession *session,
           Watch       *watch)
{
  watch->synced++;
}

static gboolean
synced_twice (gpointer data)
{
  return ((Watch *) data)->synced >= 2;
}

typedef struct {
  Watch      *watch;
  const char *event_id;
} SeenWait;

static gboolean
has_seen (gpointer data)
{
  SeenWait *wait = data;

  return g_hash_table_contains (wait->watch->bodies, wait->event_id);
}

static void
flush_store (DuetStore *store)
{
  g_autoptr(JsonObject) snapshot = store_test_load (store);
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

static DuetSession *
start_session (Fixture   *f,
               DuetStore *store,
               Watch     *watch)
{
  DuetSession *session = duet_session_new (f->base.client);

  if (store != NULL)
    {
      duet_session_set_store (session, store);
      load_cache (session);
    }
  duet_sync_loop_set_timeout (DUET_SYNC_LOOP (duet_session_get_sync_loop (session)), LONG_POLL_MS);
  g_signal_connect (session, "timeline-events", G_CALLBACK (timeline_events_cb), watch);
  g_signal_connect (session, "synced", G_CALLBACK (synced_cb), watch);
  g_signal_connect (duet_session_get_sync_loop (session), "error", G_CALLBACK (error_cb), watch);
  duet_session_start (session);
  /* Two whole replies: the initial sync, then an incremental one. */
  g_assert_true (duet_test_wait_until (synced_twice, watch, DUET_TEST_TIMEOUT_MS));
  return session;
}

static void
stop_session (DuetSession *session,
              Watch       *watch)
{
  g_signal_handlers_disconnect_by_data (session, watch);
  g_signal_handlers_disconnect_by_data (duet_session_get_sync_loop (session), watch);
  duet_test_session_stop (session);
}

/* The initial sync takes the reply with the odd text whole: every
 * room and event is there, the message shows U+FFFD, and later syncs go
 * on. */
static void
test_sync (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GHashTable) bodies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  Watch watch = { bodies, 0, 0 };
  g_autofree char *after = NULL;
  DuetSession *session;
  DuetRoom *dm, *group;
  DuetContactList *contacts;
  SeenWait wait = { &watch, NULL };

  send_messages (f, 0);
  session = start_session (f, NULL, &watch);

  g_assert_cmpuint (watch.errors, ==, 0);
  g_assert_cmpint (duet_session_get_state (session), ==, DUET_SESSION_STATE_ONLINE);
  dm = duet_session_lookup_room (session, f->dm_id);
  group = duet_session_lookup_room (session, f->group_id);
  g_assert_nonnull (dm);
  g_assert_nonnull (group);
  g_assert_cmpstr (duet_room_get_last_message (dm), ==, f->body->shown);
  g_assert_cmpstr (duet_room_get_last_event_id (dm), ==, f->odd_id);
  g_assert_cmpstr (duet_room_get_last_message (group), ==, "hello from carol");
  g_assert_cmpstr (g_hash_table_lookup (bodies, f->odd_id), ==, f->body->shown);
  g_assert_true (g_hash_table_contains (bodies, duet_room_get_last_event_id (group)));
  /* Bob's contact shows it too. */
  contacts = DUET_CONTACT_LIST (duet_session_get_contacts (session));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (contacts)), ==, 1);
  g_assert_cmpstr (duet_contact_get_last_message (duet_contact_list_lookup (contacts, f->base.bob)), ==,
                   f->body->shown);

  /* An incremental sync after it. */
  after = duet_test_homeserver_send_message (f->base.server, f->dm_id, f->base.bob, "after");
  wait.event_id = after;
  g_assert_true (duet_test_wait_until (has_seen, &wait, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpstr (duet_room_get_last_message (dm), ==, "after");
  g_assert_cmpstr (duet_room_get_last_event_id (dm), ==, after);
  g_assert_cmpuint (watch.errors, ==, 0);

  stop_session (session, &watch);
}

/* The cache keeps the room as read (each escape rewritten as \ufffd, each
 * ill-formed subsequence as U+FFFD): a new start from it shows U+FFFD
 * before any request. */
static void
test_cache (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GHashTable) bodies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  Watch watch = { bodies, 0, 0 };

  send_messages (f, 0);
  {
    g_autoptr(DuetStore) store = store_test_open_ok (f->data_dir);
    DuetSession *session = start_session (f, store, &watch);

    g_assert_cmpuint (watch.errors, ==, 0);
    stop_session (session, &watch);
    /* What was queued is written (the worker answers in order). */
    flush_store (store);
    duet_test_finalize (g_steal_pointer (&store));
  }
  {
    g_autoptr(DuetStore) store = store_test_open_ok (f->data_dir);
    g_autoptr(DuetSession) session = duet_session_new (f->base.client);
    DuetRoom *dm;

    duet_session_set_store (session, store);
    load_cache (session);
    dm = duet_session_lookup_room (session, f->dm_id);
    g_assert_nonnull (dm);
    g_assert_cmpstr (duet_room_get_last_message (dm), ==, f->body->shown);
    g_assert_cmpstr (duet_room_get_last_message (duet_session_lookup_room (session, f->group_id)), ==,
                     "hello from carol");
    duet_test_finalize (g_steal_pointer (&session));
    duet_test_finalize (g_steal_pointer (&store));
  }
}

static DuetTimelineItem *
find_item (DuetTimeline *timeline,
           const char   *event_id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (timeline));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DuetTimelineItem) item = g_list_model_get_item (G_LIST_MODEL (timeline), i);

      if (g_strcmp0 (duet_timeline_item_get_event_id (item), event_id) == 0)
        return item;
    }
  return NULL;
}

/* Far back in the room, the event comes with GET /messages (json-glib's
 * reader) and reads the same. */
static void
test_messages (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GHashTable) bodies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  Watch watch = { bodies, 0, 0 };
  g_autoptr(DuetTimeline) timeline = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DuetTimelineItem *item = NULL;
  DuetSession *session;

  /* More than a /sync's timeline slice after it. */
  send_messages (f, 60);
  session = start_session (f, NULL, &watch);
  g_assert_false (g_hash_table_contains (bodies, f->odd_id));

  timeline = duet_timeline_new (session, f->dm_id);
  duet_timeline_load_async (timeline, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_timeline_load_finish (timeline, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  for (guint page = 0; page < 20 && (item = find_item (timeline, f->odd_id)) == NULL; page++)
    {
      g_clear_object (&result);
      duet_timeline_paginate_async (timeline, NULL, duet_test_result_cb, &result);
      g_assert_cmpint (duet_timeline_paginate_finish (timeline, duet_test_wait (&result), &error), >, 0);
      g_assert_no_error (error);
    }
  g_assert_nonnull (item);
  g_assert_cmpstr (duet_timeline_item_get_body (item), ==, f->body->shown);
  g_assert_cmpuint (watch.errors, ==, 0);

  /* The last result holds the timeline. */
  g_clear_object (&result);
  duet_test_finalize (g_steal_pointer (&timeline));
  stop_session (session, &watch);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/lone-surrogate/sync", Fixture, &lone_surrogates, fixture_setup, test_sync, fixture_teardown);
  g_test_add ("/lone-surrogate/cache", Fixture, &lone_surrogates, fixture_setup, test_cache, fixture_teardown);
  g_test_add ("/lone-surrogate/messages", Fixture, &lone_surrogates, fixture_setup, test_messages,
              fixture_teardown);
  g_test_add ("/invalid-utf8/sync", Fixture, &invalid_utf8, fixture_setup, test_sync, fixture_teardown);
  g_test_add ("/invalid-utf8/cache", Fixture, &invalid_utf8, fixture_setup, test_cache, fixture_teardown);
  g_test_add ("/invalid-utf8/messages", Fixture, &invalid_utf8, fixture_setup, test_messages, fixture_teardown);
  g_test_add ("/raw-nul/sync", Fixture, &raw_nul, fixture_setup, test_sync, fixture_teardown);
  g_test_add ("/raw-nul/cache", Fixture, &raw_nul, fixture_setup, test_cache, fixture_teardown);
  g_test_add ("/raw-nul/messages", Fixture, &raw_nul, fixture_setup, test_messages, fixture_teardown);

  return g_test_run ();
}
