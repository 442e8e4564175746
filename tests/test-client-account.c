/* test-client-account.c: account data, profiles, the user directory, read
 * receipts and markers, typing, and media downloads with mxc:// validation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "duet-client.h"
#include "duet-json.h"
#include "duet-matrix-id.h"
#include "duet-test-utils.h"

#define CLIENT_V3 "/_matrix/client/v3"
#define VERSIONS "/_matrix/client/versions"
#define DIRECT_PATH CLIENT_V3 "/user/@alice:localhost/account_data/m.direct"

#define TEST(path, func) \
  g_test_add (path, DuetTestFixture, NULL, duet_test_fixture_setup, func, duet_test_fixture_teardown)

static guint
count (DuetTestFixture *f,
       const char      *method,
       const char      *path)
{
  return duet_test_homeserver_count_requests (f->server, method, path);
}

/* --- Account data -------------------------------------------------------- */

static JsonObject *
get_account_data (DuetClient  *client,
                  const char  *type,
                  GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_client_get_account_data_async (client, type, NULL, duet_test_result_cb, &result);
  return duet_client_get_account_data_finish (client, duet_test_wait (&result), error);
}

static gboolean
put_account_data (DuetClient  *client,
                  const char  *type,
                  JsonObject  *content,
                  GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_client_put_account_data_async (client, type, content, NULL, duet_test_result_cb, &result);
  return duet_client_put_account_data_finish (client, duet_test_wait (&result), error);
}

static void
test_account_data_put (DuetTestFixture *f,
                       gconstpointer    data)
{
  g_autoptr(JsonObject) content = duet_test_json_object (
    "{\"@bob:localhost\":[\"!a:localhost\",\"!b:localhost\"],\"carol@example.org\":[\"!c:localhost\"],"
    "\"@dave:localhost\":\"not a list\"}");
  g_autoptr(JsonObject) replacement = duet_test_json_object ("{\"@bob:localhost\":[\"!b:localhost\"]}");
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (put_account_data (f->client, "m.direct", content, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count (f, "PUT", DIRECT_PATH), ==, 1);

  stored = duet_test_homeserver_get_account_data (f->server, f->alice, "m.direct");
  g_assert_nonnull (stored);
  g_assert_true (duet_test_json_object_equal (stored, content));
  g_clear_pointer (&stored, json_object_unref);

  /* A PUT replaces the whole content. */
  g_assert_true (put_account_data (f->client, "m.direct", replacement, &error));
  g_assert_no_error (error);
  stored = duet_test_homeserver_get_account_data (f->server, f->alice, "m.direct");
  g_assert_true (duet_test_json_object_equal (stored, replacement));

  /* bob's account data is untouched. */
  g_assert_null (duet_test_homeserver_get_account_data (f->server, f->bob, "m.direct"));
}

static void
test_account_data_get (DuetTestFixture *f,
                       gconstpointer    data)
{
  g_autoptr(JsonObject) content = duet_test_json_object ("{\"@bob:localhost\":[\"!a:localhost\"],\"n\":{\"deep\":[1,2,{\"x\":null}]}}");
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(GError) error = NULL;

  /* Written by "another device". */
  duet_test_homeserver_set_account_data (f->server, f->alice, "m.direct", content);
  got = get_account_data (f->client, "m.direct", &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_assert_true (duet_test_json_object_equal (got, content));
  g_assert_cmpuint (count (f, "GET", DIRECT_PATH), ==, 1);
}

static void
test_account_data_not_found (DuetTestFixture *f,
                             gconstpointer    data)
{
  g_autoptr(JsonObject) content = duet_test_json_object ("{\"a\":1}");
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(GError) error = NULL;

  got = get_account_data (f->client, "m.direct", &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_NOT_FOUND);
  g_assert_null (got);
  /* A definite answer: not retried. */
  g_assert_cmpuint (count (f, "GET", DIRECT_PATH), ==, 1);
  g_clear_error (&error);

  /* Set, then deleted by another device: not found again. */
  duet_test_homeserver_set_account_data (f->server, f->alice, "m.direct", content);
  duet_test_homeserver_set_account_data (f->server, f->alice, "m.direct", NULL);
  got = get_account_data (f->client, "m.direct", &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_NOT_FOUND);
  g_assert_null (got);
}

static void
test_account_data_put_not_repeated (DuetTestFixture *f,
                                    gconstpointer    data)
{
  g_autoptr(JsonObject) content = duet_test_json_object ("{\"@bob:localhost\":[\"!a:localhost\"]}");
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(GError) error = NULL;

  /* A repeated PUT would write content read before another device's write
   * in between; the read-modify-write retries from a fresh read instead. */
  duet_test_homeserver_add_fault (f->server, "PUT", DIRECT_PATH, 1, DUET_FAULT_DROP_AFTER, 0, 0, NULL);
  g_assert_false (put_account_data (f->client, "m.direct", content, &error));
  g_assert_true (error != NULL && error->domain == G_IO_ERROR);
  g_assert_cmpuint (count (f, "PUT", DIRECT_PATH), ==, 1);
  stored = duet_test_homeserver_get_account_data (f->server, f->alice, "m.direct");
  g_assert_true (duet_test_json_object_equal (stored, content));
}

static void
test_account_data_bad_reply (DuetTestFixture *f,
                             gconstpointer    data)
{
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(GError) error = NULL;

  /* Content that is not an object must never reach a read-modify-write. */
  duet_test_homeserver_add_fault (f->server, "GET", DIRECT_PATH, 1, DUET_FAULT_BODY, 200, 0, "[\"!a:localhost\"]");
  got = get_account_data (f->client, "m.direct", &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE);
  g_assert_null (got);
}

static void
test_account_data_not_signed_in (DuetTestFixture *f,
                                 gconstpointer    data)
{
  g_autoptr(DuetClient) client = duet_test_new_client (f->server, NULL, NULL, NULL);
  g_autoptr(JsonObject) content = duet_test_json_object ("{}");
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(GError) error = NULL;

  got = get_account_data (client, "m.direct", &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_NOT_SIGNED_IN);
  g_assert_null (got);
  g_clear_error (&error);

  g_assert_false (put_account_data (client, "m.direct", content, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_NOT_SIGNED_IN);
  g_assert_cmpuint (count (f, "PUT", DIRECT_PATH), ==, 0);

  duet_test_finalize (g_steal_pointer (&client));
}

/* --- Profiles and the directory ------------------------------------------ */

static JsonObject *
get_profile (DuetTestFixture  *f,
             const char       *user_id,
             GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_client_get_profile_async (f->client, user_id, NULL, duet_test_result_cb, &result);
  return duet_client_get_profile_finish (f->client, duet_test_wait (&result), error);
}

static void
test_profile_get (DuetTestFixture *f,
                  gconstpointer    data)
{
  g_autoptr(JsonObject) profile = NULL;
  g_autoptr(GError) error = NULL;

  profile = get_profile (f, f->bob, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (profile, "displayname"), ==, "Bob");
  g_clear_pointer (&profile, json_object_unref);

  profile = get_profile (f, "@nobody:localhost", &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_NOT_FOUND);
  g_assert_null (profile);
  g_clear_error (&error);

  profile = get_profile (f, "nobody", &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);
  g_assert_null (profile);
}

static void
test_profile_set (DuetTestFixture *f,
                  gconstpointer    data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *media = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new_static ("png", 3);

  duet_client_set_display_name_async (f->client, "Alice <b>Liddell</b>", NULL, duet_test_result_cb, &result);
  g_assert_true (duet_client_set_display_name_finish (f->client, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  media = duet_test_homeserver_add_media (f->server, bytes, "image/png");
  duet_client_set_avatar_url_async (f->client, media, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_client_set_avatar_url_finish (f->client, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  /* Seen by someone else. */
  profile = get_profile (f, f->alice, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (profile, "displayname"), ==, "Alice <b>Liddell</b>");
  g_assert_cmpstr (json_object_get_string_member (profile, "avatar_url"), ==, media);
}

static void
test_profile_invalid_avatar (DuetTestFixture *f,
                             gconstpointer    data)
{
  const char *bad[] = { "https://example.org/a.png", "mxc://evil/../../etc/passwd", "mxc://localhost/a%2Fb", "" };
  g_autofree char *path = g_strdup_printf (CLIENT_V3 "/profile/%s/avatar_url", f->alice);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      duet_client_set_avatar_url_async (f->client, bad[i], NULL, duet_test_result_cb, &result);
      g_assert_false (duet_client_set_avatar_url_finish (f->client, duet_test_wait (&result), &error));
      g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);
    }
  g_assert_cmpuint (count (f, "PUT", path), ==, 0);
}

static JsonObject *
search_users (DuetTestFixture  *f,
              const char       *term,
              guint             limit,
              GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_client_search_users_async (f->client, term, limit, NULL, duet_test_result_cb, &result);
  return duet_client_search_users_finish (f->client, duet_test_wait (&result), error);
}

static void
test_directory_search (DuetTestFixture *f,
                       gconstpointer    data)
{
  g_autofree char *bobby = duet_test_homeserver_add_user (f->server, "bobby", "pw", "Bobby Tables");
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *results;
  JsonObject *first;

  reply = search_users (f, "BOB", 10, &error);
  g_assert_no_error (error);
  results = json_object_get_array_member (reply, "results");
  g_assert_cmpuint (json_array_get_length (results), ==, 2);
  first = json_array_get_object_element (results, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "user_id"), ==, f->bob);
  g_assert_cmpstr (json_object_get_string_member (first, "display_name"), ==, "Bob");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (results, 1), "user_id"), ==, bobby);
  g_assert_false (json_object_get_boolean_member (reply, "limited"));
  g_clear_pointer (&reply, json_object_unref);

  /* The limit is sent. */
  reply = search_users (f, "bob", 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (reply, "results")), ==, 1);
  g_assert_true (json_object_get_boolean_member (reply, "limited"));
  g_clear_pointer (&reply, json_object_unref);

  reply = search_users (f, "nobody-at-all", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (reply, "results")), ==, 0);
}

static void
test_directory_bad_reply (DuetTestFixture *f,
                          gconstpointer    data)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;

  duet_test_homeserver_add_fault (f->server, "POST", CLIENT_V3 "/user_directory/search", 1,
                                  DUET_FAULT_BODY, 200, 0, "{\"results\":{\"user_id\":\"@bob:localhost\"},\"limited\":false}");
  reply = search_users (f, "bob", 10, &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE);
  g_assert_nonnull (strstr (error->message, "results"));
  g_assert_null (reply);
}

/* --- Read state and typing ----------------------------------------------- */

static gboolean
send_receipt (DuetTestFixture  *f,
              const char       *room_id,
              const char       *event_id,
              GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_client_send_receipt_async (f->client, room_id, "m.read", event_id, NULL, duet_test_result_cb, &result);
  return duet_client_send_receipt_finish (f->client, duet_test_wait (&result), error);
}

static void
test_receipt (DuetTestFixture *f,
              gconstpointer    data)
{
  const char *invite[] = { f->bob, NULL };
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->alice, "private_chat", invite, FALSE);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autoptr(GError) error = NULL;

  duet_test_homeserver_join (f->server, room_id, f->bob);
  first = duet_test_homeserver_send_message (f->server, room_id, f->bob, "one");
  second = duet_test_homeserver_send_message (f->server, room_id, f->bob, "two");

  g_assert_null (duet_test_homeserver_get_receipt (f->server, room_id, f->alice, "m.read"));
  g_assert_true (send_receipt (f, room_id, first, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (duet_test_homeserver_get_receipt (f->server, room_id, f->alice, "m.read"), ==, first);

  g_assert_true (send_receipt (f, room_id, second, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (duet_test_homeserver_get_receipt (f->server, room_id, f->alice, "m.read"), ==, second);
  g_assert_null (duet_test_homeserver_get_receipt (f->server, room_id, f->bob, "m.read"));
}

static void
test_receipt_invalid (DuetTestFixture *f,
                      gconstpointer    data)
{
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->alice, "private_chat", NULL, FALSE);
  g_autofree char *event_id = duet_test_homeserver_send_message (f->server, room_id, f->alice, "x");
  const char *bad_events[] = { "", "abc", "!abc:localhost", "$a b", "$../../x y" };
  g_autoptr(GError) error = NULL;

  g_assert_false (send_receipt (f, "room", event_id, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  for (gsize i = 0; i < G_N_ELEMENTS (bad_events); i++)
    {
      g_assert_false (send_receipt (f, room_id, bad_events[i], &error));
      g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
  g_assert_null (duet_test_homeserver_get_receipt (f->server, room_id, f->alice, "m.read"));
}

static void
test_read_markers (DuetTestFixture *f,
                   gconstpointer    data)
{
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->alice, "private_chat", NULL, FALSE);
  g_autofree char *first = duet_test_homeserver_send_message (f->server, room_id, f->alice, "one");
  g_autofree char *second = duet_test_homeserver_send_message (f->server, room_id, f->alice, "two");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) sync_result = NULL;
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *room;
  JsonArray *events;
  gboolean seen = FALSE;

  duet_client_set_read_markers_async (f->client, room_id, first, second, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_client_set_read_markers_finish (f->client, duet_test_wait (&result), &error));
  g_assert_no_error (error);

  g_assert_cmpstr (duet_test_homeserver_get_receipt (f->server, room_id, f->alice, "m.read"), ==, second);

  /* The fully-read marker is room account data, which /sync hands back. */
  duet_client_sync_async (f->client, NULL, NULL, 0, NULL, duet_test_result_cb, &sync_result);
  response = duet_client_sync_finish (f->client, duet_test_wait (&sync_result), &error);
  g_assert_no_error (error);
  room = json_object_get_object_member (json_object_get_object_member (json_object_get_object_member (response, "rooms"),
                                                                       "join"),
                                        room_id);
  g_assert_nonnull (room);
  events = json_object_get_array_member (json_object_get_object_member (room, "account_data"), "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      if (g_strcmp0 (json_object_get_string_member (event, "type"), "m.fully_read") == 0)
        {
          g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event, "content"),
                                                          "event_id"), ==, first);
          seen = TRUE;
        }
    }
  g_assert_true (seen);
}

static gboolean
send_typing (DuetTestFixture  *f,
             const char       *room_id,
             gboolean          typing,
             GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_client_send_typing_async (f->client, room_id, typing, 5000, NULL, duet_test_result_cb, &result);
  return duet_client_send_typing_finish (f->client, duet_test_wait (&result), error);
}

static void
test_typing (DuetTestFixture *f,
             gconstpointer    data)
{
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->alice, "private_chat", NULL, FALSE);
  g_autoptr(GError) error = NULL;

  g_assert_false (duet_test_homeserver_get_typing (f->server, room_id, f->alice));
  g_assert_true (send_typing (f, room_id, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (duet_test_homeserver_get_typing (f->server, room_id, f->alice));

  g_assert_true (send_typing (f, room_id, FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (duet_test_homeserver_get_typing (f->server, room_id, f->alice));

  g_assert_false (send_typing (f, "#room:localhost", TRUE, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);
}

/* --- Media --------------------------------------------------------------- */

static GFile *
download (DuetClient  *client,
          const char  *mxc,
          GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_client_download_media_async (client, mxc, NULL, duet_test_result_cb, &result);
  return duet_client_download_media_finish (client, duet_test_wait (&result), error);
}

static GBytes *
some_bytes (gsize size)
{
  guint8 *data = g_malloc (size);

  /* Binary, with NULs and every byte value. */
  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 7 + i / 256);
  return g_bytes_new_take (data, size);
}

static char *
media_id_of (const char *mxc)
{
  g_autofree char *media_id = NULL;

  g_assert_true (duet_mxc_parse (mxc, NULL, &media_id, NULL));
  return g_steal_pointer (&media_id);
}

static void
check_in_cache (DuetTestFixture *f,
                GFile           *file,
                GBytes          *expected)
{
  g_autoptr(GFile) cache = g_file_new_for_path (f->cache_dir);
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *real_path = realpath (path, NULL);
  g_autofree char *real_cache = realpath (f->cache_dir, NULL);
  g_autofree char *real_cache_slash = g_strconcat (real_cache, G_DIR_SEPARATOR_S, NULL);
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_has_prefix (file, cache));
  g_assert_nonnull (real_path);
  g_assert_true (g_str_has_prefix (real_path, real_cache_slash));

  contents = g_file_load_bytes (file, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (contents, expected));
}

static void
test_media_authenticated (DuetTestFixture *f,
                          gconstpointer    data)
{
  g_autoptr(GBytes) bytes = some_bytes (70000);
  g_autofree char *mxc = duet_test_homeserver_add_media (f->server, bytes, "application/octet-stream");
  g_autofree char *media_id = media_id_of (mxc);
  g_autofree char *v1_path = g_strdup_printf ("/_matrix/client/v1/media/download/localhost/%s", media_id);
  g_autofree char *legacy_path = g_strdup_printf ("/_matrix/media/v3/download/localhost/%s", media_id);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFile) again = NULL;

  file = download (f->client, mxc, &error);
  g_assert_no_error (error);
  g_assert_nonnull (file);
  check_in_cache (f, file, bytes);

  g_assert_true (duet_client_get_authenticated_media (f->client));
  g_assert_cmpuint (count (f, "GET", VERSIONS), ==, 1);
  g_assert_cmpuint (count (f, "GET", v1_path), ==, 1);
  g_assert_cmpuint (count (f, "GET", legacy_path), ==, 0);

  /* The second time comes from the cache: no request at all. */
  again = download (f->client, mxc, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_equal (again, file));
  check_in_cache (f, again, bytes);
  g_assert_cmpuint (count (f, "GET", VERSIONS), ==, 1);
  g_assert_cmpuint (count (f, "GET", v1_path), ==, 1);
  g_assert_cmpuint (count (f, "GET", legacy_path), ==, 0);
}

static void
test_media_legacy (DuetTestFixture *f,
                   gconstpointer    data)
{
  g_autoptr(GBytes) bytes = some_bytes (1000);
  g_autofree char *mxc = NULL;
  g_autofree char *media_id = NULL;
  g_autofree char *v1_path = NULL;
  g_autofree char *legacy_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;

  duet_test_homeserver_set_authenticated_media (f->server, FALSE);
  mxc = duet_test_homeserver_add_media (f->server, bytes, "image/png");
  media_id = media_id_of (mxc);
  v1_path = g_strdup_printf ("/_matrix/client/v1/media/download/localhost/%s", media_id);
  legacy_path = g_strdup_printf ("/_matrix/media/v3/download/localhost/%s", media_id);

  file = download (f->client, mxc, &error);
  g_assert_no_error (error);
  check_in_cache (f, file, bytes);
  g_assert_false (duet_client_get_authenticated_media (f->client));
  g_assert_cmpuint (count (f, "GET", v1_path), ==, 0);
  g_assert_cmpuint (count (f, "GET", legacy_path), ==, 1);
}

static void
test_media_retried (DuetTestFixture *f,
                    gconstpointer    data)
{
  g_autoptr(GBytes) bytes = some_bytes (5000);
  g_autofree char *mxc = duet_test_homeserver_add_media (f->server, bytes, "image/png");
  g_autofree char *media_id = media_id_of (mxc);
  g_autofree char *v1_path = g_strdup_printf ("/_matrix/client/v1/media/download/localhost/%s", media_id);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;

  duet_test_homeserver_add_fault (f->server, "GET", v1_path, 1, DUET_FAULT_DROP, 0, 0, NULL);
  file = download (f->client, mxc, &error);
  g_assert_no_error (error);
  check_in_cache (f, file, bytes);
  g_assert_cmpuint (count (f, "GET", v1_path), ==, 2);
}

static void
test_media_not_found (DuetTestFixture *f,
                      gconstpointer    data)
{
  const char *missing[] = { "mxc://localhost/doesnotexist", "mxc://example.org/abc" };

  for (gsize i = 0; i < G_N_ELEMENTS (missing); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GFile) file = download (f->client, missing[i], &error);
      g_autoptr(GDir) dir = NULL;
      guint entries = 0;

      g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_NOT_FOUND);
      g_assert_null (file);

      /* Nothing was written to the cache. */
      dir = g_dir_open (f->cache_dir, 0, NULL);
      if (dir != NULL)
        while (g_dir_read_name (dir) != NULL)
          entries++;
      g_assert_cmpuint (entries, ==, 0);
    }
}

static void
test_media_invalid (DuetTestFixture *f,
                    gconstpointer    data)
{
  const char *bad[] = {
    "mxc://evil/../../etc/passwd",
    "mxc://localhost/a%2Fb",
    "mxc://bad_server!/x",
    "mxc://localhost/..",
    "mxc://../x",
    "mxc://localhost/",
    "https://localhost/abc",
    "",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GFile) file = NULL;

      g_test_message ("mxc: %s", bad[i]);
      file = download (f->client, bad[i], &error);
      g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);
      g_assert_null (file);
    }

  /* No request at all: not even the /versions a first download makes. */
  g_assert_cmpuint (count (f, "GET", VERSIONS), ==, 0);
  g_assert_false (duet_client_get_authenticated_media (f->client));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST ("/account/data/put", test_account_data_put);
  TEST ("/account/data/get", test_account_data_get);
  TEST ("/account/data/not-found", test_account_data_not_found);
  TEST ("/account/data/put-not-repeated", test_account_data_put_not_repeated);
  TEST ("/account/data/bad-reply", test_account_data_bad_reply);
  TEST ("/account/data/not-signed-in", test_account_data_not_signed_in);
  TEST ("/account/profile/get", test_profile_get);
  TEST ("/account/profile/set", test_profile_set);
  TEST ("/account/profile/invalid-avatar", test_profile_invalid_avatar);
  TEST ("/account/directory/search", test_directory_search);
  TEST ("/account/directory/bad-reply", test_directory_bad_reply);
  TEST ("/account/receipts/send", test_receipt);
  TEST ("/account/receipts/invalid", test_receipt_invalid);
  TEST ("/account/receipts/read-markers", test_read_markers);
  TEST ("/account/typing", test_typing);
  TEST ("/media/download/authenticated", test_media_authenticated);
  TEST ("/media/download/legacy", test_media_legacy);
  TEST ("/media/download/retried", test_media_retried);
  TEST ("/media/download/not-found", test_media_not_found);
  TEST ("/media/download/invalid-mxc", test_media_invalid);

  return g_test_run ();
}
