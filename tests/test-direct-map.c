/* test-direct-map.c: DuetDirectMap against the test homeserver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each case is one of the ways other clients lost or clobbered m.direct
 * (../shared/matrix-dm.md, "What other clients got wrong").
 */
#include "config.h"

#include "duet-direct-map.h"
#include "duet-test-utils.h"

#define M_DIRECT_PATH "/_matrix/client/v3/user/@alice:localhost/account_data/m.direct"

static void
count_cb (gpointer  emitter,
          guint    *count)
{
  (*count)++;
}

static gboolean
add_room (DuetDirectMap  *map,
          const char     *user_id,
          const char     *room_id,
          GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_direct_map_add_room_async (map, user_id, room_id, NULL, duet_test_result_cb, &result);
  return duet_direct_map_add_room_finish (map, duet_test_wait (&result), error);
}

static JsonObject *
server_content (DuetTestFixture *f)
{
  return duet_test_homeserver_get_account_data (f->server, f->alice, "m.direct");
}

static void
assert_server_content (DuetTestFixture *f,
                       const char      *expected_json)
{
  g_autoptr(JsonObject) expected = duet_test_json_object (expected_json);
  g_autoptr(JsonObject) actual = server_content (f);

  g_assert_nonnull (actual);
  g_assert_true (duet_test_json_object_equal (expected, actual));
}

static void
set_server_content (DuetTestFixture *f,
                    const char      *json)
{
  g_autoptr(JsonObject) content = duet_test_json_object (json);

  duet_test_homeserver_set_account_data (f->server, f->alice, "m.direct", content);
}

static void
test_direct_map_parse_entry_by_entry (DuetTestFixture *f,
                                      gconstpointer    data)
{
  g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
  g_autoptr(JsonObject) content = NULL;
  g_auto(GStrv) users = NULL;
  g_auto(GStrv) rooms = NULL;
  guint changed = 0;

  g_signal_connect (map, "changed", G_CALLBACK (count_cb), &changed);

  /* An email key, a non-list value, mixed items and an empty list: the
   * valid part survives, the rest is ignored for display. */
  content = duet_test_json_object ("{"
    "\"@bob:localhost\": [\"!a:localhost\", 5, {\"x\": 1}, \"not a room\", \"!b:localhost\", \"!a:localhost\"],"
    "\"bob@example.org\": [\"!c:localhost\"],"
    "\"@carol:localhost\": \"!d:localhost\","
    "\"@dave:localhost\": [],"
    "\"@erin:localhost\": [\"!e:localhost\"]"
    "}");
  duet_direct_map_update (map, content);
  g_assert_cmpuint (changed, ==, 1);

  users = duet_direct_map_dup_users (map);
  g_assert_cmpuint (g_strv_length (users), ==, 2);
  g_assert_cmpstr (users[0], ==, "@bob:localhost");
  g_assert_cmpstr (users[1], ==, "@erin:localhost");

  rooms = duet_direct_map_dup_rooms_for_user (map, "@bob:localhost");
  g_assert_cmpuint (g_strv_length (rooms), ==, 2);
  g_assert_cmpstr (rooms[0], ==, "!a:localhost");
  g_assert_cmpstr (rooms[1], ==, "!b:localhost");

  g_assert_cmpstr (duet_direct_map_get_user_for_room (map, "!e:localhost"), ==, "@erin:localhost");
  g_assert_false (duet_direct_map_is_direct (map, "!c:localhost"));
  g_assert_false (duet_direct_map_is_direct (map, "!d:localhost"));

  /* The same content again changes nothing and says nothing. */
  duet_direct_map_update (map, content);
  g_assert_cmpuint (changed, ==, 1);

  duet_direct_map_update (map, NULL);
  g_assert_cmpuint (changed, ==, 2);
  g_assert_false (duet_direct_map_is_direct (map, "!a:localhost"));

  g_assert_cmpuint (duet_direct_map_get_write_count (map), ==, 0);
  duet_test_finalize (g_steal_pointer (&map));
}

static void
test_direct_map_add_when_unset (DuetTestFixture *f,
                                gconstpointer    data)
{
  g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
  g_autoptr(GError) error = NULL;

  g_assert_null (server_content (f));
  g_assert_true (add_room (map, f->bob, "!r1:localhost", &error));
  g_assert_no_error (error);

  assert_server_content (f, "{\"@bob:localhost\": [\"!r1:localhost\"]}");
  g_assert_cmpuint (duet_direct_map_get_write_count (map), ==, 1);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH), ==, 1);
  /* The mirror shows the write at once. */
  g_assert_true (duet_direct_map_is_direct (map, "!r1:localhost"));
  duet_test_finalize (g_steal_pointer (&map));
}

static void
test_direct_map_keeps_other_entries (DuetTestFixture *f,
                                     gconstpointer    data)
{
  g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
  g_autoptr(GError) error = NULL;

  set_server_content (f, "{"
    "\"bob@example.org\": [\"!x:localhost\"],"
    "\"@carol:localhost\": {\"odd\": true},"
    "\"@bob:localhost\": [\"!a:localhost\", {\"k\": 1}, 7],"
    "\"@gone:elsewhere.example\": [\"!unknown:elsewhere.example\"]"
    "}");

  g_assert_true (add_room (map, f->bob, "!b:localhost", &error));
  g_assert_no_error (error);

  assert_server_content (f, "{"
    "\"bob@example.org\": [\"!x:localhost\"],"
    "\"@carol:localhost\": {\"odd\": true},"
    "\"@bob:localhost\": [\"!a:localhost\", {\"k\": 1}, 7, \"!b:localhost\"],"
    "\"@gone:elsewhere.example\": [\"!unknown:elsewhere.example\"]"
    "}");
  duet_test_finalize (g_steal_pointer (&map));
}

static void
test_direct_map_fresh_read_not_stale_mirror (DuetTestFixture *f,
                                             gconstpointer    data)
{
  g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
  g_autoptr(JsonObject) stale = duet_test_json_object ("{\"@bob:localhost\": [\"!a:localhost\"]}");
  g_autoptr(GError) error = NULL;

  set_server_content (f, "{\"@bob:localhost\": [\"!a:localhost\"]}");
  duet_direct_map_update (map, stale);

  /* Another device adds Erin; our mirror has not seen it yet. */
  set_server_content (f, "{\"@bob:localhost\": [\"!a:localhost\"], \"@erin:localhost\": [\"!e:localhost\"]}");

  g_assert_true (add_room (map, f->bob, "!b:localhost", &error));
  g_assert_no_error (error);

  assert_server_content (f, "{\"@bob:localhost\": [\"!a:localhost\", \"!b:localhost\"],"
                            " \"@erin:localhost\": [\"!e:localhost\"]}");
  duet_test_finalize (g_steal_pointer (&map));
}

static void
test_direct_map_no_write_without_change (DuetTestFixture *f,
                                         gconstpointer    data)
{
  g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  set_server_content (f, "{\"@bob:localhost\": [\"!a:localhost\"]}");

  g_assert_true (add_room (map, f->bob, "!a:localhost", &error));
  g_assert_no_error (error);

  duet_direct_map_remove_room_async (map, "!never-listed:localhost", NULL, duet_test_result_cb, &result);
  g_assert_true (duet_direct_map_remove_room_finish (map, duet_test_wait (&result), &error));
  g_assert_no_error (error);

  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH), ==, 0);
  g_assert_cmpuint (duet_direct_map_get_write_count (map), ==, 0);
  /* The result holds the map as its source object. */
  g_clear_object (&result);
  duet_test_finalize (g_steal_pointer (&map));
}

static void
test_direct_map_read_failure_writes_nothing (DuetTestFixture *f,
                                             gconstpointer    data)
{
  g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
  g_autoptr(GError) error = NULL;

  set_server_content (f, "{\"@bob:localhost\": [\"!a:localhost\"]}");
  duet_test_homeserver_add_fault (f->server, "GET", M_DIRECT_PATH, 1, DUET_FAULT_STATUS, 403, 0, NULL);

  g_assert_false (add_room (map, f->bob, "!b:localhost", &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_FORBIDDEN);
  g_assert_nonnull (strstr (error->message, "direct chat list"));

  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH), ==, 0);
  assert_server_content (f, "{\"@bob:localhost\": [\"!a:localhost\"]}");
  duet_test_finalize (g_steal_pointer (&map));
}

static void
test_direct_map_refuses_unsafe_content (DuetTestFixture *f,
                                        gconstpointer    data)
{
  static const struct {
    const char *body;
    int code;
  } cases[] = {
    /* json-glib would write these back as "inf.0" / -1: refuse. */
    { "{\"@bob:localhost\": [\"!a:localhost\"], \"n\": 1e400}", DUET_API_ERROR_UNSAFE_CONTENT },
    { "{\"@bob:localhost\": [\"!a:localhost\"], \"n\": 99999999999999999999}", DUET_API_ERROR_UNSAFE_CONTENT },
    /* Content that is not an object is not ours to replace. */
    { "[\"@bob:localhost\"]", DUET_API_ERROR_INVALID_RESPONSE },
    { "\"m.direct\"", DUET_API_ERROR_INVALID_RESPONSE },
    /* json-glib cuts strings at U+0000: the key would change. */
    { "{\"@bob:localhost\": [\"!a:localhost\"], \"a\\u0000b\": [\"!c:localhost\"]}", DUET_API_ERROR_UNSAFE_CONTENT },
    /* A comment (json-glib takes them) is not JSON. */
    { "/* \" */ {\"@bob:localhost\": [\"!a:localhost\"]}", DUET_API_ERROR_INVALID_RESPONSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
      g_autoptr(GError) error = NULL;

      duet_test_homeserver_reset_counts (f->server);
      duet_test_homeserver_add_fault (f->server, "GET", M_DIRECT_PATH, 1, DUET_FAULT_BODY, 200, 0,
                                      cases[i].body);

      g_assert_false (add_room (map, f->bob, "!b:localhost", &error));
      g_assert_error (error, DUET_API_ERROR, cases[i].code);
      g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH), ==, 0);
      duet_test_finalize (g_steal_pointer (&map));
    }

  g_assert_null (server_content (f));
}

static void
test_direct_map_non_list_entry_left_alone (DuetTestFixture *f,
                                           gconstpointer    data)
{
  g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
  g_autoptr(GError) error = NULL;

  set_server_content (f, "{\"@bob:localhost\": \"!a:localhost\"}");

  g_assert_false (add_room (map, f->bob, "!b:localhost", &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH), ==, 0);
  assert_server_content (f, "{\"@bob:localhost\": \"!a:localhost\"}");
  duet_test_finalize (g_steal_pointer (&map));
}

static void
test_direct_map_remove_everywhere (DuetTestFixture *f,
                                   gconstpointer    data)
{
  g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  set_server_content (f, "{"
    "\"@bob:localhost\": [\"!shared:localhost\", \"!b:localhost\"],"
    "\"@carol:localhost\": [\"!shared:localhost\"],"
    "\"carol@example.org\": [\"!shared:localhost\", 3]"
    "}");

  duet_direct_map_remove_room_async (map, "!shared:localhost", NULL, duet_test_result_cb, &result);
  g_assert_true (duet_direct_map_remove_room_finish (map, duet_test_wait (&result), &error));
  g_assert_no_error (error);

  /* An emptied list goes; other values in a list stay. */
  assert_server_content (f, "{\"@bob:localhost\": [\"!b:localhost\"], \"carol@example.org\": [3]}");
  g_clear_object (&result);
  duet_test_finalize (g_steal_pointer (&map));
}

typedef struct {
  guint pending;
  guint failed;
} Burst;

static void
burst_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Burst *burst = user_data;

  if (!duet_direct_map_add_room_finish (DUET_DIRECT_MAP (source), result, NULL))
    burst->failed++;
  burst->pending--;
}

static gboolean
burst_done (gpointer data)
{
  return ((Burst *) data)->pending == 0;
}

static void
test_direct_map_coalesces_bursts (DuetTestFixture *f,
                                  gconstpointer    data)
{
  g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
  Burst burst = { 0, 0 };
  g_auto(GStrv) rooms = NULL;

  /* Six changes at once: the first write takes one, the next write the
   * other five, merged into a single read-modify-write. */
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *room_id = g_strdup_printf ("!burst%u:localhost", i);

      burst.pending++;
      duet_direct_map_add_room_async (map, f->bob, room_id, NULL, burst_cb, &burst);
    }

  g_assert_true (duet_test_wait_until (burst_done, &burst, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpuint (burst.failed, ==, 0);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "GET", M_DIRECT_PATH), ==, 2);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH), ==, 2);
  g_assert_cmpuint (duet_direct_map_get_write_count (map), ==, 2);

  rooms = duet_direct_map_dup_rooms_for_user (map, f->bob);
  g_assert_cmpuint (g_strv_length (rooms), ==, 6);
  assert_server_content (f, "{\"@bob:localhost\": [\"!burst0:localhost\", \"!burst1:localhost\","
                            " \"!burst2:localhost\", \"!burst3:localhost\", \"!burst4:localhost\","
                            " \"!burst5:localhost\"]}");
  duet_test_finalize (g_steal_pointer (&map));
}

static void
test_direct_map_rejects_bad_ids (DuetTestFixture *f,
                                 gconstpointer    data)
{
  g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
  g_autoptr(GError) error = NULL;

  g_assert_false (add_room (map, "bob@example.org", "!a:localhost", &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (add_room (map, f->bob, "!a:bad/server", &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);

  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, NULL, M_DIRECT_PATH), ==, 0);
  duet_test_finalize (g_steal_pointer (&map));
}

static void
test_direct_map_bare_404_is_not_empty (DuetTestFixture *f,
                                       gconstpointer    data)
{
  g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
  g_autoptr(GError) error = NULL;

  /* A proxy's 404 without M_NOT_FOUND says nothing about m.direct: writing
   * only our change would wipe everyone else's entries. */
  set_server_content (f, "{\"@carol:localhost\": [\"!c:localhost\"]}");
  duet_test_homeserver_add_fault (f->server, "GET", M_DIRECT_PATH, 1, DUET_FAULT_BODY, 404, 0,
                                  "<html>Not Found</html>");

  g_assert_false (add_room (map, f->bob, "!b:localhost", &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_HTTP_NOT_FOUND);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH), ==, 0);
  assert_server_content (f, "{\"@carol:localhost\": [\"!c:localhost\"]}");
  duet_test_finalize (g_steal_pointer (&map));
}

static void
test_direct_map_lost_put_reply_not_written_twice (DuetTestFixture *f,
                                                  gconstpointer    data)
{
  g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
  g_autoptr(GError) error = NULL;

  /* The PUT lands but its answer is lost: the retry reads afresh, sees
   * our room there, and writes nothing more. */
  duet_test_homeserver_add_fault (f->server, "PUT", M_DIRECT_PATH, 1, DUET_FAULT_DROP_AFTER, 0, 0, NULL);

  g_assert_true (add_room (map, f->bob, "!b:localhost", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH), ==, 1);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "GET", M_DIRECT_PATH), ==, 2);
  assert_server_content (f, "{\"@bob:localhost\": [\"!b:localhost\"]}");
  duet_test_finalize (g_steal_pointer (&map));
}

static void
test_direct_map_retry_reads_afresh (DuetTestFixture *f,
                                    gconstpointer    data)
{
  g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
  g_autoptr(GError) error = NULL;

  /* The first PUT fails with 502; meanwhile another device adds Erin.
   * The retry must keep Erin: it starts from a fresh read, not from the
   * content of the failed PUT. */
  set_server_content (f, "{\"@carol:localhost\": [\"!c:localhost\"]}");
  duet_test_homeserver_add_fault (f->server, "PUT", M_DIRECT_PATH, 1, DUET_FAULT_STATUS, 502, 0, NULL);

  {
    g_autoptr(GAsyncResult) result = NULL;

    duet_direct_map_add_room_async (map, f->bob, "!b:localhost", NULL, duet_test_result_cb, &result);
    /* Let the first GET and the failing PUT happen, then write as Erin's device. */
    while (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH) == 0)
      g_main_context_iteration (NULL, TRUE);
    set_server_content (f, "{\"@carol:localhost\": [\"!c:localhost\"], \"@erin:localhost\": [\"!e:localhost\"]}");
    g_assert_true (duet_direct_map_add_room_finish (map, duet_test_wait (&result), &error));
    g_assert_no_error (error);
  }

  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH), ==, 2);
  assert_server_content (f, "{\"@carol:localhost\": [\"!c:localhost\"], \"@erin:localhost\": [\"!e:localhost\"],"
                            " \"@bob:localhost\": [\"!b:localhost\"]}");
  duet_test_finalize (g_steal_pointer (&map));
}

static void
remove_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Burst *burst = user_data;

  if (!duet_direct_map_remove_room_finish (DUET_DIRECT_MAP (source), result, NULL))
    burst->failed++;
  burst->pending--;
}

static void
test_direct_map_cancelling_deltas_write_nothing (DuetTestFixture *f,
                                                 gconstpointer    data)
{
  g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
  Burst burst = { 0, 0 };

  set_server_content (f, "{\"@carol:localhost\": [\"!c:localhost\"]}");

  /* The first change occupies the writer; the next two merge into one
   * batch that adds and removes the same room: nothing to write. */
  burst.pending = 3;
  duet_direct_map_add_room_async (map, "@carol:localhost", "!c:localhost", NULL, burst_cb, &burst);
  duet_direct_map_add_room_async (map, f->bob, "!b:localhost", NULL, burst_cb, &burst);
  duet_direct_map_remove_room_async (map, "!b:localhost", NULL, remove_cb, &burst);

  g_assert_true (duet_test_wait_until (burst_done, &burst, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpuint (burst.failed, ==, 0);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH), ==, 0);
  assert_server_content (f, "{\"@carol:localhost\": [\"!c:localhost\"]}");
  duet_test_finalize (g_steal_pointer (&map));
}

static void
test_direct_map_cancelled_before_write (DuetTestFixture *f,
                                        gconstpointer    data)
{
  g_autoptr(DuetDirectMap) map = duet_direct_map_new (f->client);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GError) error = NULL;

  /* The second change waits behind the first and is cancelled there: it
   * is dropped, and says so. */
  duet_direct_map_add_room_async (map, f->bob, "!b:localhost", NULL, duet_test_result_cb, &first);
  duet_direct_map_add_room_async (map, f->bob, "!cancelled:localhost", cancellable,
                                  duet_test_result_cb, &second);
  g_cancellable_cancel (cancellable);

  g_assert_true (duet_direct_map_add_room_finish (map, duet_test_wait (&first), &error));
  g_assert_no_error (error);
  g_assert_false (duet_direct_map_add_room_finish (map, duet_test_wait (&second), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH), ==, 1);
  assert_server_content (f, "{\"@bob:localhost\": [\"!b:localhost\"]}");
  g_clear_object (&first);
  g_clear_object (&second);
  duet_test_finalize (g_steal_pointer (&map));
}

#define ADD(path, func) \
  g_test_add ("/direct-map/" path, DuetTestFixture, NULL, \
              duet_test_fixture_setup, func, duet_test_fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("parse-entry-by-entry", test_direct_map_parse_entry_by_entry);
  ADD ("add-when-unset", test_direct_map_add_when_unset);
  ADD ("keeps-other-entries", test_direct_map_keeps_other_entries);
  ADD ("fresh-read-not-stale-mirror", test_direct_map_fresh_read_not_stale_mirror);
  ADD ("no-write-without-change", test_direct_map_no_write_without_change);
  ADD ("read-failure-writes-nothing", test_direct_map_read_failure_writes_nothing);
  ADD ("refuses-unsafe-content", test_direct_map_refuses_unsafe_content);
  ADD ("non-list-entry-left-alone", test_direct_map_non_list_entry_left_alone);
  ADD ("remove-everywhere", test_direct_map_remove_everywhere);
  ADD ("coalesces-bursts", test_direct_map_coalesces_bursts);
  ADD ("rejects-bad-ids", test_direct_map_rejects_bad_ids);
  ADD ("bare-404-is-not-empty", test_direct_map_bare_404_is_not_empty);
  ADD ("lost-put-reply-not-written-twice", test_direct_map_lost_put_reply_not_written_twice);
  ADD ("retry-reads-afresh", test_direct_map_retry_reads_afresh);
  ADD ("cancelling-deltas-write-nothing", test_direct_map_cancelling_deltas_write_nothing);
  ADD ("cancelled-before-write", test_direct_map_cancelled_before_write);

  return g_test_run ();
}
