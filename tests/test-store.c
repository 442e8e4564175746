/* test-store.c: the local sync cache (DuetStore): what it keeps
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Round trips use real /sync responses of the test homeserver; the timeline
 * and bounds tests use hand-made ones where exact shapes matter.  Opening,
 * locking, recovery and crash safety are in test-store-open.c.
 */
#include "config.h"

#include "duet-store-test-utils.h"

/* The room's state as "type|state_key" -> event id. */
static GHashTable *
state_map (JsonArray *events)
{
  GHashTable *map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; events != NULL && i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      if (!json_object_has_member (event, "state_key"))
        continue;
      g_hash_table_insert (map,
                           g_strdup_printf ("%s|%s", json_object_get_string_member (event, "type"),
                                            json_object_get_string_member (event, "state_key")),
                           g_strdup (json_object_get_string_member_with_default (event, "event_id", "")));
    }
  return map;
}

static JsonObject *
sync_once (DuetClient *client,
           const char *since)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *response;

  duet_client_sync_async (client, since, NULL, 0, NULL, duet_test_result_cb, &result);
  response = duet_client_sync_finish (client, duet_test_wait (&result), &error);
  g_assert_no_error (error);
  return response;
}

static void
test_round_trip (DuetTestFixture *f,
                 gconstpointer    data)
{
  g_autofree char *dir = store_test_make_data_dir ();
  g_autofree char *carol = duet_test_homeserver_add_user (f->server, "carol", "pw", "Carol");
  g_autofree char *dave = duet_test_homeserver_add_user (f->server, "dave", "pw", "Dave");
  const char *invite_alice[] = { f->alice, NULL }, *invite_bob[] = { f->bob, NULL };
  g_autofree char *dm = duet_test_homeserver_create_room (f->server, f->alice, "trusted_private_chat",
                                                          invite_bob, TRUE);
  g_autofree char *group = duet_test_homeserver_create_room (f->server, f->alice, "private_chat", NULL, FALSE);
  g_autofree char *from_carol = duet_test_homeserver_create_room (f->server, carol, "trusted_private_chat",
                                                                  invite_alice, TRUE);
  g_autofree char *from_dave = NULL, *hello = NULL, *hi = NULL, *later = NULL;
  g_autoptr(JsonObject) direct = NULL, first = NULL, second = NULL, snapshot = NULL, again = NULL;
  g_autoptr(JsonObject) fresh = NULL;
  g_autoptr(GAsyncResult) marked = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) stored_state = NULL, server_state = NULL;
  DuetStore *store;
  JsonObject *room;
  JsonArray *events;
  GHashTableIter iter;
  gpointer key, value;

  duet_test_homeserver_join (f->server, dm, f->bob);
  hello = duet_test_homeserver_send_message (f->server, dm, f->bob, "hello");
  hi = duet_test_homeserver_send_message (f->server, dm, f->alice, "hi");
  direct = duet_test_json_object ("{\"@bob:localhost\": [\"placeholder\"]}");
  json_array_remove_element (json_object_get_array_member (direct, f->bob), 0);
  json_array_add_string_element (json_object_get_array_member (direct, f->bob), dm);
  duet_test_homeserver_set_account_data (f->server, f->alice, "m.direct", direct);

  store = store_test_open_ok (dir);
  g_assert_null (store_test_load (store));
  first = sync_once (f->client, NULL);
  store_test_save_ok (store, first);

  /* Between the two syncs: a message, a left room, an invite accepted and
   * a new one, and a read marker (room account data). */
  later = duet_test_homeserver_send_message (f->server, dm, f->bob, "later");
  duet_test_homeserver_leave (f->server, group, f->alice);
  duet_test_homeserver_join (f->server, from_carol, f->alice);
  from_dave = duet_test_homeserver_create_room (f->server, dave, "trusted_private_chat", invite_alice, TRUE);
  duet_client_set_read_markers_async (f->client, dm, later, NULL, NULL, duet_test_result_cb, &marked);
  g_assert_true (duet_client_set_read_markers_finish (f->client, duet_test_wait (&marked), &error));
  g_assert_no_error (error);
  second = sync_once (f->client, json_object_get_string_member (first, "next_batch"));
  store_test_save_ok (store, second);

  snapshot = store_test_load (store);
  g_assert_nonnull (snapshot);
  g_assert_cmpstr (json_object_get_string_member (snapshot, "next_batch"), ==,
                   json_object_get_string_member (second, "next_batch"));
  events = store_test_events_of (snapshot, "account_data");
  g_assert_cmpuint (json_array_get_length (events), ==, 1);
  g_assert_cmpstr (store_test_event_string (events, 0, "type"), ==, "m.direct");
  g_assert_true (duet_test_json_object_equal (
    json_object_get_object_member (json_array_get_object_element (events, 0), "content"), direct));

  /* The DM: whole timeline oldest first, read marker, counts. */
  room = store_test_path_object (snapshot, "rooms", "join", dm, NULL);
  g_assert_nonnull (room);
  events = store_test_events_of (room, "timeline");
  g_assert_cmpstr (store_test_event_string (events, json_array_get_length (events) - 3, "event_id"), ==, hello);
  g_assert_cmpstr (store_test_event_string (events, json_array_get_length (events) - 2, "event_id"), ==, hi);
  g_assert_cmpstr (store_test_event_string (events, json_array_get_length (events) - 1, "event_id"), ==, later);
  events = store_test_events_of (room, "account_data");
  g_assert_cmpstr (store_test_event_string (events, 0, "type"), ==, "m.fully_read");
  room = store_test_path_object (json_array_get_object_element (events, 0), "content", NULL);
  g_assert_cmpstr (json_object_get_string_member (room, "event_id"), ==, later);
  room = store_test_path_object (snapshot, "rooms", "join", dm, NULL);
  g_assert_nonnull (store_test_path_object (room, "unread_notifications", NULL));

  /* Each joined room's stored state is exactly what a fresh initial sync
   * gives (state before the timeline, then the timeline's state events). */
  fresh = sync_once (f->client, NULL);
  g_assert_cmpuint (json_object_get_size (store_test_path_object (snapshot, "rooms", "join", NULL)), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      const char *room_id = i == 0 ? dm : from_carol;
      JsonObject *server_room = store_test_path_object (fresh, "rooms", "join", room_id, NULL);

      g_assert_nonnull (server_room);
      g_clear_pointer (&stored_state, g_hash_table_unref);
      g_clear_pointer (&server_state, g_hash_table_unref);
      room = store_test_path_object (snapshot, "rooms", "join", room_id, NULL);
      stored_state = state_map (store_test_events_of (room, "state"));
      server_state = state_map (store_test_events_of (server_room, "state"));
      events = store_test_events_of (server_room, "timeline");
      for (guint j = 0; j < json_array_get_length (events); j++)
        {
          JsonObject *event = json_array_get_object_element (events, j);

          if (json_object_has_member (event, "state_key"))
            g_hash_table_insert (server_state,
                                 g_strdup_printf ("%s|%s", json_object_get_string_member (event, "type"),
                                                  json_object_get_string_member (event, "state_key")),
                                 g_strdup (json_object_get_string_member (event, "event_id")));
        }
      g_assert_cmpuint (g_hash_table_size (stored_state), ==, g_hash_table_size (server_state));
      g_hash_table_iter_init (&iter, server_state);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_assert_cmpstr (g_hash_table_lookup (stored_state, key), ==, value);
    }

  /* The accepted invite left the invite section; the new one is there. */
  g_assert_null (store_test_path_object (snapshot, "rooms", "invite", from_carol, NULL));
  room = store_test_path_object (snapshot, "rooms", "invite", from_dave, NULL);
  g_assert_nonnull (room);
  g_clear_pointer (&stored_state, g_hash_table_unref);
  stored_state = state_map (store_test_events_of (room, "invite_state"));
  g_assert_nonnull (g_hash_table_lookup (stored_state, "m.room.member|@alice:localhost"));
  g_assert_cmpuint (json_object_get_size (store_test_path_object (snapshot, "rooms", "invite", NULL)), ==, 1);

  /* The left room is kept, with our leave as its state. */
  room = store_test_path_object (snapshot, "rooms", "leave", group, NULL);
  g_assert_nonnull (room);
  events = store_test_events_of (room, "state");
  for (guint j = 0; j < json_array_get_length (events); j++)
    if (g_strcmp0 (store_test_event_string (events, j, "state_key"), f->alice) == 0)
      {
        JsonObject *content = store_test_path_object (json_array_get_object_element (events, j), "content", NULL);

        g_assert_cmpstr (json_object_get_string_member (content, "membership"), ==, "leave");
      }
  g_clear_pointer (&stored_state, g_hash_table_unref);
  stored_state = state_map (events);
  g_assert_true (g_hash_table_contains (stored_state, "m.room.member|@alice:localhost"));

  /* The same snapshot after closing and opening again. */
  duet_test_finalize (store);
  store = store_test_open_ok (dir);
  g_assert_false (duet_store_get_was_reset (store));
  again = store_test_load (store);
  g_assert_true (duet_test_json_object_equal (snapshot, again));
  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

static void
assert_timeline (JsonObject *snapshot,
                 guint       first,
                 guint       count,
                 gboolean    limited,
                 const char *prev_batch)
{
  JsonObject *timeline = store_test_path_object (snapshot, "rooms", "join", "!r:test", "timeline", NULL);
  JsonArray *events = json_object_get_array_member (timeline, "events");

  g_assert_cmpuint (json_array_get_length (events), ==, count);
  for (guint i = 0; i < count; i++)
    {
      g_autofree char *id = g_strdup_printf ("$e%u", first + i);

      g_assert_cmpstr (store_test_event_string (events, i, "event_id"), ==, id);
    }
  g_assert_cmpint (json_object_get_boolean_member (timeline, "limited"), ==, limited);
  g_assert_cmpstr (json_object_get_string_member (timeline, "prev_batch"), ==, prev_batch);
}

static void
test_timeline_bounded (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  DuetStore *store = store_test_open_ok (dir);
  struct {
    guint first, count; gboolean limited;
    guint kept_first, kept_count; gboolean snapshot_limited; const char *token;
  } steps[] = {
    { 0, 30, FALSE, 0, 30, FALSE, "p0" },     /* the room's whole history */
    { 30, 30, FALSE, 10, 50, TRUE, "p1" },    /* oldest kept is mid-chunk: next chunk's token */
    { 60, 60, FALSE, 70, 50, TRUE, "t2" },    /* one chunk cut: the sync token (overlap only) */
    { 200, 5, TRUE, 200, 5, TRUE, "p3" },     /* a gap: older cached events go */
    { 205, 0, TRUE, 0, 0, TRUE, "p4" },       /* a gap with no events */
    { 300, 2, FALSE, 300, 2, TRUE, "p5" },    /* after the gap, still older events on the server */
  };

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autofree char *next_batch = g_strdup_printf ("t%u", i);
      g_autofree char *prev_batch = g_strdup_printf ("p%u", i);
      g_autoptr(JsonObject) response = NULL;
      g_autoptr(JsonObject) snapshot = NULL;

      response = store_test_timeline_response (next_batch, "!r:test", steps[i].first, steps[i].count,
                                               steps[i].limited, prev_batch);
      store_test_save_ok (store, response);
      snapshot = store_test_load (store);
      g_test_message ("step %u", i);
      assert_timeline (snapshot, steps[i].kept_first, steps[i].kept_count, steps[i].snapshot_limited,
                       steps[i].token);
    }
  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

/* A room's first save with more events than the cache keeps: the newest
 * are kept and the room is marked limited, a later save adds to them. */
static void
test_timeline_bounded_new_room (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  DuetStore *store = store_test_open_ok (dir);
  g_autoptr(JsonObject) first = store_test_timeline_response ("t0", "!r:test", 0, DUET_STORE_TIMELINE_LENGTH + 10,
                                                              FALSE, "p0");
  g_autoptr(JsonObject) later = store_test_timeline_response ("t1", "!r:test", 100, 5, FALSE, "p1");
  g_autoptr(JsonObject) snapshot = NULL;
  JsonObject *timeline;

  store_test_save_ok (store, first);
  snapshot = store_test_load (store);
  timeline = store_test_path_object (snapshot, "rooms", "join", "!r:test", "timeline", NULL);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (timeline, "events")), ==,
                    DUET_STORE_TIMELINE_LENGTH);
  g_assert_cmpstr (store_test_event_string (json_object_get_array_member (timeline, "events"), 0, "event_id"), ==,
                   "$e10");
  g_assert_true (json_object_get_boolean_member (timeline, "limited"));

  store_test_save_ok (store, later);
  g_clear_pointer (&snapshot, json_object_unref);
  snapshot = store_test_load (store);
  timeline = store_test_path_object (snapshot, "rooms", "join", "!r:test", "timeline", NULL);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (timeline, "events")), ==,
                    DUET_STORE_TIMELINE_LENGTH);
  g_assert_cmpstr (store_test_event_string (json_object_get_array_member (timeline, "events"), 0, "event_id"), ==,
                   "$e15");
  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

static void
test_bounds (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  g_autofree char *big = g_strnfill (DUET_STORE_MAX_EVENT_SIZE + 1, 'x');
  g_autofree char *long_id = g_strnfill (DUET_STORE_MAX_ID_LENGTH + 1, 'a');
  g_autofree char *json = g_strdup_printf (
    "{\"next_batch\": \"b1\", \"account_data\": {\"events\": ["
    "  {\"type\": \"m.direct\", \"content\": {}}, {\"type\": \"bad\", \"content\": 5}, 7]},"
    " \"rooms\": {\"join\": {\"!%s:test\": {}, \"!ok:test\": {"
    "  \"state\": {\"events\": [{\"type\": \"%s\", \"state_key\": \"\", \"content\": {}}, \"x\","
    "    {\"type\": \"m.room.name\", \"state_key\": \"\", \"content\": {\"name\": \"N\"}}]},"
    "  \"timeline\": {\"events\": [5, [], {\"type\": \"m.room.message\", \"event_id\": \"$%s\"},"
    "    {\"type\": \"m.room.message\", \"event_id\": \"$big\", \"content\": {\"body\": \"%s\"}},"
    "    {\"type\": \"m.room.message\", \"event_id\": \"$small\", \"content\": {\"body\": \"ok\"}}]}}}}}",
    long_id, long_id, long_id, big);
  g_autoptr(JsonObject) response = duet_test_json_object (json);
  g_autoptr(JsonObject) tokenless = duet_test_json_object ("{\"rooms\": {\"join\": {\"!x:test\": {}}}}");
  g_autoptr(JsonObject) snapshot = NULL, after = NULL;
  g_autoptr(GError) error = NULL;
  DuetStore *store = store_test_open_ok (dir);
  JsonObject *room;

  store_test_save_ok (store, response);
  snapshot = store_test_load (store);
  g_assert_cmpuint (json_array_get_length (store_test_events_of (snapshot, "account_data")), ==, 1);
  g_assert_cmpuint (json_object_get_size (store_test_path_object (snapshot, "rooms", "join", NULL)), ==, 1);
  room = store_test_path_object (snapshot, "rooms", "join", "!ok:test", NULL);
  g_assert_cmpuint (json_array_get_length (store_test_events_of (room, "state")), ==, 1);
  g_assert_cmpstr (store_test_event_string (store_test_events_of (room, "state"), 0, "type"), ==, "m.room.name");
  g_assert_cmpuint (json_array_get_length (store_test_events_of (room, "timeline")), ==, 1);
  g_assert_cmpstr (store_test_event_string (store_test_events_of (room, "timeline"), 0, "event_id"), ==, "$small");

  /* No token, nothing saved: the data would be ahead of the token. */
  g_assert_false (store_test_save (store, tokenless, &error));
  g_assert_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_INVALID_DATA);
  after = store_test_load (store);
  g_assert_true (duet_test_json_object_equal (snapshot, after));
  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

static void
test_membership_changes (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  DuetStore *store = store_test_open_ok (dir);
  g_autoptr(JsonObject) invite = duet_test_json_object (
    "{\"next_batch\": \"b1\", \"rooms\": {\"invite\": {\"!r:test\": {\"invite_state\": {\"events\": ["
    "  {\"type\": \"m.room.join_rules\", \"state_key\": \"\", \"content\": {\"join_rule\": \"invite\"}},"
    "  {\"type\": \"m.room.member\", \"state_key\": \"@me:test\", \"content\": {\"membership\": \"invite\"}}"
    "]}}}}}");
  g_autoptr(JsonObject) join = duet_test_json_object (
    "{\"next_batch\": \"b2\", \"rooms\": {\"join\": {\"!r:test\": {\"timeline\": {\"events\": ["
    "  {\"type\": \"m.room.member\", \"state_key\": \"@me:test\", \"event_id\": \"$j\","
    "   \"content\": {\"membership\": \"join\"}}]}}}}}");
  g_autoptr(JsonObject) snapshot = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *room;
  JsonArray *state;

  store_test_save_ok (store, invite);
  snapshot = store_test_load (store);
  room = store_test_path_object (snapshot, "rooms", "invite", "!r:test", NULL);
  g_assert_cmpuint (json_array_get_length (store_test_events_of (room, "invite_state")), ==, 2);

  /* Joined: the stripped invite state is gone, only full events remain. */
  store_test_save_ok (store, join);
  g_clear_pointer (&snapshot, json_object_unref);
  snapshot = store_test_load (store);
  g_assert_null (store_test_path_object (snapshot, "rooms", "invite", "!r:test", NULL));
  state = store_test_events_of (store_test_path_object (snapshot, "rooms", "join", "!r:test", NULL), "state");
  g_assert_cmpuint (json_array_get_length (state), ==, 1);
  g_assert_cmpstr (store_test_event_string (state, 0, "event_id"), ==, "$j");

  duet_store_forget_room_async (store, "!r:test", duet_test_result_cb, &result);
  g_assert_true (duet_store_forget_room_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);  /* a task holds its source object */
  g_clear_pointer (&snapshot, json_object_unref);
  snapshot = store_test_load (store);
  g_assert_null (store_test_path_object (snapshot, "rooms", "join", "!r:test", NULL));
  g_assert_cmpstr (json_object_get_string_member (snapshot, "next_batch"), ==, "b2");
  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

/* A response json-glib cannot read back (1e400 becomes "inf.0") fails its
 * save; a later one must not then move the token past the lost data. */
static void
test_failed_save_holds_token (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  DuetStore *store = store_test_open_ok (dir);
  g_autoptr(JsonObject) first = store_test_timeline_response ("t1", "!r:test", 0, 3, FALSE, "p");
  g_autoptr(JsonObject) bad = duet_test_json_object (
    "{\"next_batch\": \"t2\", \"rooms\": {\"join\": {\"!r:test\": {\"timeline\": {\"events\": ["
    "{\"type\": \"m.room.message\", \"event_id\": \"$bad\", \"sender\": \"@b:test\","
    " \"origin_server_ts\": 5, \"content\": {\"body\": \"x\", \"n\": 1}}]}}}}}");
  g_autoptr(JsonObject) later = store_test_timeline_response ("t3", "!r:test", 10, 2, FALSE, "p2");
  g_autoptr(JsonObject) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *content;

  store_test_save_ok (store, first);

  /* Make the number one json-glib writes as "inf.0". */
  content = json_object_get_object_member (
    json_array_get_object_element (
      json_object_get_array_member (
        json_object_get_object_member (
          json_object_get_object_member (
            json_object_get_object_member (json_object_get_object_member (bad, "rooms"), "join"),
            "!r:test"),
          "timeline"),
        "events"),
      0),
    "content");
  json_object_set_double_member (content, "n", 1e308 * 10);

  g_assert_false (store_test_save (store, bad, &error));
  g_clear_error (&error);
  g_assert_false (store_test_save (store, later, &error));
  g_assert_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_INVALID_DATA);

  snapshot = store_test_load (store);
  g_assert_cmpstr (json_object_get_string_member (snapshot, "next_batch"), ==, "t1");
  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

/* m.direct can exceed the per-event cap; account data is never skipped. */
static void
test_large_account_data (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  DuetStore *store = store_test_open_ok (dir);
  g_autoptr(JsonObject) response = duet_test_json_object ("{\"next_batch\": \"t1\"}");
  g_autoptr(JsonObject) snapshot = NULL;
  JsonObject *account_data = json_object_new ();
  JsonArray *events = json_array_new ();
  JsonObject *event = json_object_new ();
  JsonObject *direct = json_object_new ();
  JsonArray *stored;

  for (guint i = 0; i < 3000; i++)
    {
      g_autofree char *user = g_strdup_printf ("@user%u:example.org", i);
      JsonArray *rooms = json_array_new ();

      json_array_add_string_element (rooms, "!aaaaaaaaaaaaaaaaaa:example.org");
      json_object_set_array_member (direct, user, rooms);
    }
  json_object_set_string_member (event, "type", "m.direct");
  json_object_set_object_member (event, "content", direct);
  json_array_add_object_element (events, event);
  json_object_set_array_member (account_data, "events", events);
  json_object_set_object_member (response, "account_data", account_data);

  store_test_save_ok (store, response);
  snapshot = store_test_load (store);
  stored = json_object_get_array_member (json_object_get_object_member (snapshot, "account_data"), "events");
  g_assert_cmpuint (json_array_get_length (stored), ==, 1);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (json_array_get_object_element (stored, 0),
                                                                         "content")), ==, 3000);
  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

static void
test_clear (void)
{
  g_autofree char *dir = store_test_make_data_dir ();
  DuetStore *store = store_test_open_ok (dir);
  g_autoptr(JsonObject) response = store_test_timeline_response ("t1", "!r:test", 0, 3, FALSE, "p");
  g_autoptr(GAsyncResult) result = NULL, token_result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  store_test_save_ok (store, response);
  duet_store_clear_async (store, duet_test_result_cb, &result);
  g_assert_true (duet_store_clear_finish (store, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_assert_null (store_test_load (store));
  duet_store_get_sync_token_async (store, duet_test_result_cb, &token_result);
  token = duet_store_get_sync_token_finish (store, duet_test_wait (&token_result), &error);
  g_assert_no_error (error);
  g_assert_null (token);
  g_clear_object (&result);
  g_clear_object (&token_result);
  duet_test_finalize (store);
  store_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/store/round-trip", DuetTestFixture, NULL,
              duet_test_fixture_setup, test_round_trip, duet_test_fixture_teardown);
  g_test_add_func ("/store/timeline-bounded", test_timeline_bounded);
  g_test_add_func ("/store/timeline-bounded-new-room", test_timeline_bounded_new_room);
  g_test_add_func ("/store/bounds", test_bounds);
  g_test_add_func ("/store/membership-changes", test_membership_changes);
  g_test_add_func ("/store/clear", test_clear);
  g_test_add_func ("/store/failed-save-holds-token", test_failed_save_holds_token);
  g_test_add_func ("/store/large-account-data", test_large_account_data);

  return g_test_run ();
}
