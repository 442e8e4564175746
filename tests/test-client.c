/* test-client.c: login, whoami, logout, versions, discovery, errors, retries, bounds
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every test talks to the project's test homeserver and checks what the
 * caller receives (domain, code, values) and what the server saw.
 */
#include "config.h"

#include <string.h>

#include "duet-client.h"
#include "duet-json.h"
#include "duet-matrix-id.h"
#include "duet-test-utils.h"

#define WHOAMI "/_matrix/client/v3/account/whoami"
#define CREATE_ROOM "/_matrix/client/v3/createRoom"
#define LOGIN "/_matrix/client/v3/login"
#define LOGOUT "/_matrix/client/v3/logout"
#define VERSIONS "/_matrix/client/versions"
#define WELL_KNOWN "/.well-known/matrix/client"

#define TEST(path, func) \
  g_test_add (path, DuetTestFixture, NULL, duet_test_fixture_setup, func, duet_test_fixture_teardown)

/* --- Helpers ------------------------------------------------------------- */

static char *
whoami (DuetClient    *client,
        GCancellable  *cancellable,
        GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_client_whoami_async (client, cancellable, duet_test_result_cb, &result);
  duet_test_wait (&result);
  return duet_client_whoami_finish (client, result, error);
}

static char *
create_dm (DuetTestFixture  *f,
           GError          **error)
{
  const char *invite[] = { f->bob, NULL };
  g_autoptr(GAsyncResult) result = NULL;

  duet_client_create_room_async (f->client, "trusted_private_chat", invite, TRUE, NULL, NULL,
                                 NULL, duet_test_result_cb, &result);
  duet_test_wait (&result);
  return duet_client_create_room_finish (f->client, result, error);
}

static guint
count (DuetTestFixture *f,
       const char      *method,
       const char      *path)
{
  return duet_test_homeserver_count_requests (f->server, method, path);
}

static char *
discover (const char  *server,
          GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_client_discover_async (server, NULL, duet_test_result_cb, &result);
  duet_test_wait (&result);
  return duet_client_discover_finish (result, error);
}

/* --- Versions ------------------------------------------------------------ */

static void
test_versions_default (DuetTestFixture *f,
                       gconstpointer    data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) versions = NULL;

  g_assert_false (duet_client_get_authenticated_media (f->client));

  duet_client_get_versions_async (f->client, NULL, duet_test_result_cb, &result);
  duet_test_wait (&result);
  versions = duet_client_get_versions_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (versions);
  g_assert_true (g_strv_contains ((const char * const *) versions, "r0.6.1"));
  g_assert_true (g_strv_contains ((const char * const *) versions, "v1.1"));
  g_assert_true (g_strv_contains ((const char * const *) versions, "v1.11"));
  g_assert_true (duet_client_get_authenticated_media (f->client));
  g_assert_cmpuint (count (f, "GET", VERSIONS), ==, 1);
}

static void
test_versions_no_authenticated_media (DuetTestFixture *f,
                                      gconstpointer    data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) versions = NULL;

  duet_test_homeserver_set_authenticated_media (f->server, FALSE);

  duet_client_get_versions_async (f->client, NULL, duet_test_result_cb, &result);
  duet_test_wait (&result);
  versions = duet_client_get_versions_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_assert_true (g_strv_contains ((const char * const *) versions, "v1.10"));
  g_assert_false (g_strv_contains ((const char * const *) versions, "v1.11"));
  g_assert_false (duet_client_get_authenticated_media (f->client));
}

static void
test_versions_unsupported (DuetTestFixture *f,
                           gconstpointer    data)
{
  const char *old_only[] = { "r0.5.0", "r0.6.1", NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) versions = NULL;

  duet_test_homeserver_set_versions (f->server, old_only);

  duet_client_get_versions_async (f->client, NULL, duet_test_result_cb, &result);
  duet_test_wait (&result);
  versions = duet_client_get_versions_finish (f->client, result, &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_UNSUPPORTED_SERVER);
  g_assert_null (versions);
}

/* --- Login, whoami, logout ----------------------------------------------- */

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
login_as (DuetTestFixture *f,
          const char      *user)
{
  g_autoptr(DuetClient) client = duet_test_new_client (f->server, NULL, NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;
  guint notified = 0;

  g_signal_connect (client, "notify::signed-in", G_CALLBACK (count_notify), &notified);
  g_assert_false (duet_client_is_signed_in (client));

  duet_client_login_async (client, user, DUET_TEST_ALICE_PASSWORD, "NEWDEVICE", "Duet tests",
                           NULL, duet_test_result_cb, &result);
  duet_test_wait (&result);
  g_assert_true (duet_client_login_finish (client, result, &error));
  g_assert_no_error (error);

  g_assert_true (duet_client_is_signed_in (client));
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpstr (duet_client_get_user_id (client), ==, f->alice);
  g_assert_cmpstr (duet_client_get_device_id (client), ==, "NEWDEVICE");
  g_assert_nonnull (duet_client_get_access_token (client));
  g_assert_cmpstr (duet_client_get_access_token (client), !=, f->alice_token);

  /* The new token is one the server knows. */
  me = whoami (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (me, ==, f->alice);

  g_signal_handlers_disconnect_by_data (client, &notified);
  g_clear_object (&result);
  duet_test_finalize (g_steal_pointer (&client));
}

static void
test_login_success (DuetTestFixture *f,
                    gconstpointer    data)
{
  login_as (f, "alice");
  g_assert_cmpuint (count (f, "POST", LOGIN), ==, 1);
}

static void
test_login_full_user_id (DuetTestFixture *f,
                         gconstpointer    data)
{
  login_as (f, "@alice:localhost");
}

static void
check_login_refused (DuetTestFixture *f,
                     const char      *user,
                     const char      *password)
{
  g_autoptr(DuetClient) client = duet_test_new_client (f->server, NULL, NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  duet_client_login_async (client, user, password, NULL, NULL, NULL, duet_test_result_cb, &result);
  duet_test_wait (&result);
  g_assert_false (duet_client_login_finish (client, result, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_FORBIDDEN);
  g_assert_false (duet_client_is_signed_in (client));
  g_assert_null (duet_client_get_access_token (client));
  g_assert_null (duet_client_get_user_id (client));

  g_clear_object (&result);
  duet_test_finalize (g_steal_pointer (&client));
}

static void
test_login_wrong_password (DuetTestFixture *f,
                           gconstpointer    data)
{
  check_login_refused (f, "alice", "not-the-password");
  g_assert_cmpuint (count (f, "POST", LOGIN), ==, 1);
}

static void
test_login_unknown_user (DuetTestFixture *f,
                         gconstpointer    data)
{
  check_login_refused (f, "nobody", DUET_TEST_ALICE_PASSWORD);
}

static void
test_login_5xx_not_retried (DuetTestFixture *f,
                            gconstpointer    data)
{
  g_autoptr(DuetClient) client = duet_test_new_client (f->server, NULL, NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* A repeated login could make a second device: never retried. */
  duet_test_homeserver_add_fault (f->server, "POST", LOGIN, 1, DUET_FAULT_STATUS, 502, 0,
                                  "<html>Bad Gateway</html>");
  duet_client_login_async (client, "alice", DUET_TEST_ALICE_PASSWORD, NULL, NULL, NULL,
                           duet_test_result_cb, &result);
  duet_test_wait (&result);
  g_assert_false (duet_client_login_finish (client, result, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_HTTP);
  g_assert_nonnull (strstr (error->message, "502"));
  g_assert_cmpuint (count (f, "POST", LOGIN), ==, 1);
  g_assert_false (duet_client_is_signed_in (client));

  g_clear_object (&result);
  duet_test_finalize (g_steal_pointer (&client));
}

static void
test_whoami (DuetTestFixture *f,
             gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = whoami (f->client, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (me, ==, "@alice:localhost");
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 1);
}

static void
test_whoami_not_signed_in (DuetTestFixture *f,
                           gconstpointer    data)
{
  g_autoptr(DuetClient) client = duet_test_new_client (f->server, NULL, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *me = whoami (client, NULL, &error);

  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_NOT_SIGNED_IN);
  g_assert_null (me);
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 0);

  duet_test_finalize (g_steal_pointer (&client));
}

static void
test_logout (DuetTestFixture *f,
             gconstpointer    data)
{
  g_autoptr(DuetClient) other = duet_test_new_client (f->server, f->alice, "ALICEDEV", f->alice_token);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;

  duet_client_logout_async (f->client, NULL, duet_test_result_cb, &result);
  duet_test_wait (&result);
  g_assert_true (duet_client_logout_finish (f->client, result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count (f, "POST", LOGOUT), ==, 1);

  g_assert_false (duet_client_is_signed_in (f->client));
  g_assert_null (duet_client_get_access_token (f->client));
  /* Who was signed out is still known. */
  g_assert_cmpstr (duet_client_get_user_id (f->client), ==, f->alice);
  g_assert_cmpstr (duet_client_get_device_id (f->client), ==, "ALICEDEV");

  /* The server forgot the token. */
  me = whoami (other, NULL, &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_UNKNOWN_TOKEN);
  g_assert_null (me);

  duet_test_finalize (g_steal_pointer (&other));
}

static void
test_logout_token_gone (DuetTestFixture *f,
                        gconstpointer    data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* A token the server no longer knows is as signed out as it gets. */
  duet_test_homeserver_expire_tokens (f->server, f->alice, FALSE);
  duet_client_logout_async (f->client, NULL, duet_test_result_cb, &result);
  duet_test_wait (&result);
  g_assert_true (duet_client_logout_finish (f->client, result, &error));
  g_assert_no_error (error);
  g_assert_false (duet_client_is_signed_in (f->client));
}

/* --- Error mapping ------------------------------------------------------- */

static void
test_error_unknown_token (DuetTestFixture *f,
                          gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;

  duet_test_homeserver_expire_tokens (f->server, f->alice, FALSE);
  me = whoami (f->client, NULL, &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_UNKNOWN_TOKEN);
  g_assert_nonnull (strstr (error->message, "M_UNKNOWN_TOKEN"));
  g_assert_null (me);
  /* Not something a retry mends. */
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 1);
}

static void
test_error_soft_logout (DuetTestFixture *f,
                        gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;

  duet_test_homeserver_expire_tokens (f->server, f->alice, TRUE);
  me = whoami (f->client, NULL, &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_SOFT_LOGOUT);
  g_assert_null (me);
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 1);
}

static void
test_error_unknown_errcode (DuetTestFixture *f,
                            gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;

  duet_test_homeserver_add_fault (f->server, "GET", WHOAMI, 1, DUET_FAULT_STATUS, 400, 0,
                                  "{\"errcode\":\"M_WEIRD\",\"error\":\"Something odd\"}");
  me = whoami (f->client, NULL, &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_UNKNOWN);
  g_assert_true (g_str_has_prefix (error->message, "M_WEIRD"));
  g_assert_nonnull (strstr (error->message, "Something odd"));
  g_assert_null (me);
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 1);
}

static void
test_error_http_status (DuetTestFixture *f,
                        gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;

  /* An error status with no Matrix body (a proxy's page). */
  duet_test_homeserver_add_fault (f->server, "GET", WHOAMI, 1, DUET_FAULT_STATUS, 418, 0,
                                  "<html>I'm a teapot</html>");
  me = whoami (f->client, NULL, &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_HTTP);
  g_assert_nonnull (strstr (error->message, "418"));
  g_assert_null (me);
}

static void
check_whoami_body (DuetTestFixture *f,
                   const char      *body,
                   gint             code,
                   const char      *in_message)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;

  duet_test_homeserver_reset_counts (f->server);
  duet_test_homeserver_add_fault (f->server, "GET", WHOAMI, 1, DUET_FAULT_BODY, 200, 0, body);
  me = whoami (f->client, NULL, &error);
  g_assert_error (error, DUET_API_ERROR, code);
  g_assert_null (me);
  if (in_message != NULL)
    g_assert_nonnull (strstr (error->message, in_message));
  /* A 200 is an answer: a bad one is not retried. */
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 1);
}

static void
test_error_not_json (DuetTestFixture *f,
                     gconstpointer    data)
{
  check_whoami_body (f, "this is not JSON", DUET_API_ERROR_INVALID_RESPONSE, NULL);
  check_whoami_body (f, "[\"@alice:localhost\"]", DUET_API_ERROR_INVALID_RESPONSE, NULL);
  check_whoami_body (f, "{\"user_id\":", DUET_API_ERROR_INVALID_RESPONSE, NULL);
}

static void
test_error_wrong_type (DuetTestFixture *f,
                       gconstpointer    data)
{
  check_whoami_body (f, "{\"user_id\": 5}", DUET_API_ERROR_INVALID_RESPONSE, "user_id");
  check_whoami_body (f, "{\"user_id\": [\"@alice:localhost\"]}", DUET_API_ERROR_INVALID_RESPONSE, "user_id");
  check_whoami_body (f, "{}", DUET_API_ERROR_INVALID_RESPONSE, "user_id");
  /* A string, but not a user id. */
  check_whoami_body (f, "{\"user_id\": \"alice\"}", DUET_API_ERROR_INVALID_RESPONSE, "user id");
}

static void
test_error_too_deep (DuetTestFixture *f,
                     gconstpointer    data)
{
  g_autofree char *bomb = g_strnfill (100000, '[');
  g_autofree char *object_bomb = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;

  check_whoami_body (f, bomb, DUET_API_ERROR_TOO_DEEP, NULL);

  /* Inside an object, after the field the client wants. */
  object_bomb = g_strconcat ("{\"user_id\":\"@alice:localhost\",\"x\":", bomb, NULL);
  check_whoami_body (f, object_bomb, DUET_API_ERROR_TOO_DEEP, NULL);

  /* The client is still fine afterwards. */
  me = whoami (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (me, ==, f->alice);
}

static void
test_error_too_large (DuetTestFixture *f,
                      gconstpointer    data)
{
  gsize pad_size = DUET_JSON_MAX_SIZE + 1;
  g_autofree char *pad = g_strnfill (pad_size, 'x');
  g_autofree char *body = g_strconcat ("{\"user_id\":\"@alice:localhost\",\"pad\":\"", pad, "\"}", NULL);

  check_whoami_body (f, body, DUET_API_ERROR_TOO_LARGE, NULL);
}

static void
test_error_just_under_size_cap (DuetTestFixture *f,
                                gconstpointer    data)
{
  const char *head = "{\"user_id\":\"@alice:localhost\",\"pad\":\"";
  gsize pad_size = DUET_JSON_MAX_SIZE - strlen (head) - 2;
  g_autofree char *pad = g_strnfill (pad_size, 'x');
  g_autofree char *body = g_strconcat (head, pad, "\"}", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;

  g_assert_cmpuint (strlen (body), ==, DUET_JSON_MAX_SIZE);
  duet_test_homeserver_add_fault (f->server, "GET", WHOAMI, 1, DUET_FAULT_BODY, 200, 0, body);
  me = whoami (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (me, ==, f->alice);
}

/* --- Retries ------------------------------------------------------------- */

static void
test_retry_rate_limit (DuetTestFixture *f,
                       gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;
  gint64 start;

  duet_test_homeserver_add_fault (f->server, "GET", WHOAMI, 1, DUET_FAULT_RATE_LIMIT, 429, 300, NULL);
  start = g_get_monotonic_time ();
  me = whoami (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (me, ==, f->alice);
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 2);
  /* The server's delay, not the (10 ms) backoff. */
  g_assert_cmpint (duet_test_elapsed_ms (start), >=, 300);
}

static void
test_retry_retry_after_header (DuetTestFixture *f,
                               gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;
  gint64 start;

  duet_test_homeserver_add_fault (f->server, "GET", WHOAMI, 1, DUET_FAULT_RETRY_AFTER, 429, 1000, NULL);
  start = g_get_monotonic_time ();
  me = whoami (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (me, ==, f->alice);
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 2);
  g_assert_cmpint (duet_test_elapsed_ms (start), >=, 1000);
}

static void
test_retry_rate_limit_exhausted (DuetTestFixture *f,
                                 gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;

  duet_client_set_max_attempts (f->client, 3);
  duet_test_homeserver_add_fault (f->server, "GET", WHOAMI, 5, DUET_FAULT_RATE_LIMIT, 429, 20, NULL);
  me = whoami (f->client, NULL, &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_LIMIT_EXCEEDED);
  g_assert_null (me);
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 3);
}

static void
test_retry_rate_limit_create_room (DuetTestFixture *f,
                                   gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  guint rooms_before = duet_test_homeserver_count_rooms (f->server);

  duet_test_homeserver_add_fault (f->server, "POST", CREATE_ROOM, 1, DUET_FAULT_RATE_LIMIT, 429, 20, NULL);
  room_id = create_dm (f, &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_LIMIT_EXCEEDED);
  g_assert_null (room_id);
  g_assert_cmpuint (count (f, "POST", CREATE_ROOM), ==, 1);
  g_assert_cmpuint (duet_test_homeserver_count_rooms (f->server), ==, rooms_before);
}

static void
test_retry_5xx_get (DuetTestFixture *f,
                    gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;

  duet_test_homeserver_add_fault (f->server, "GET", WHOAMI, 1, DUET_FAULT_STATUS, 502, 0, NULL);
  me = whoami (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (me, ==, f->alice);
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 2);
}

static void
test_retry_5xx_exhausted (DuetTestFixture *f,
                          gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;

  duet_client_set_max_attempts (f->client, 3);
  duet_test_homeserver_add_fault (f->server, "GET", WHOAMI, 5, DUET_FAULT_STATUS, 503, 0,
                                  "Service Unavailable");
  me = whoami (f->client, NULL, &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_HTTP);
  g_assert_nonnull (strstr (error->message, "503"));
  g_assert_null (me);
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 3);
}

static void
test_retry_5xx_create_room (DuetTestFixture *f,
                            gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  guint rooms_before = duet_test_homeserver_count_rooms (f->server);

  duet_test_homeserver_add_fault (f->server, "POST", CREATE_ROOM, 1, DUET_FAULT_STATUS, 502, 0,
                                  "<html>Bad Gateway</html>");
  room_id = create_dm (f, &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_HTTP);
  g_assert_null (room_id);
  g_assert_cmpuint (count (f, "POST", CREATE_ROOM), ==, 1);
  g_assert_cmpuint (duet_test_homeserver_count_rooms (f->server), ==, rooms_before);
}

static void
test_retry_drop_get (DuetTestFixture *f,
                     gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;

  duet_test_homeserver_add_fault (f->server, "GET", WHOAMI, 1, DUET_FAULT_DROP, 0, 0, NULL);
  me = whoami (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (me, ==, f->alice);
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 2);
}

static void
test_retry_drop_create_room (DuetTestFixture *f,
                             gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  guint rooms_before = duet_test_homeserver_count_rooms (f->server);

  duet_test_homeserver_add_fault (f->server, "POST", CREATE_ROOM, 1, DUET_FAULT_DROP, 0, 0, NULL);
  room_id = create_dm (f, &error);
  g_assert_nonnull (error);
  g_test_message ("createRoom on a dropped connection: %s", error->message);
  /* A network failure stays a GIOError. */
  g_assert_true (error->domain == G_IO_ERROR);
  g_assert_null (room_id);
  g_assert_cmpuint (count (f, "POST", CREATE_ROOM), ==, 1);
  g_assert_cmpuint (duet_test_homeserver_count_rooms (f->server), ==, rooms_before);
}

static void
test_retry_drop_after_create_room (DuetTestFixture *f,
                                   gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  g_autoptr(GPtrArray) rooms = NULL;
  guint rooms_before = duet_test_homeserver_count_rooms (f->server);

  /* The lost reply: the room is made, the answer never arrives. */
  duet_test_homeserver_add_fault (f->server, "POST", CREATE_ROOM, 1, DUET_FAULT_DROP_AFTER, 0, 0, NULL);
  room_id = create_dm (f, &error);
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR);
  g_assert_null (room_id);
  g_assert_cmpuint (count (f, "POST", CREATE_ROOM), ==, 1);

  /* Exactly one room exists, with alice in it and bob invited. */
  g_assert_cmpuint (duet_test_homeserver_count_rooms (f->server), ==, rooms_before + 1);
  rooms = duet_test_homeserver_list_rooms (f->server, f->alice);
  g_assert_cmpuint (rooms->len, ==, 1);
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->server, rooms->pdata[0], f->alice), ==, "join");
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->server, rooms->pdata[0], f->bob), ==, "invite");
}

static void
test_retry_timeout (DuetTestFixture *f,
                    gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;
  gint64 start;
  gint64 elapsed;

  duet_client_set_request_timeout (f->client, 200);
  duet_client_set_max_attempts (f->client, 1);
  /* The hang and the bound stretch together (a slow build or machine):
   * the answer must come from the timeout, well before the hang ends. */
  duet_test_homeserver_add_fault (f->server, "GET", WHOAMI, 1, DUET_FAULT_HANG, 0,
                                  2000 * duet_test_time_scale (), NULL);

  start = g_get_monotonic_time ();
  me = whoami (f->client, NULL, &error);
  elapsed = duet_test_elapsed_ms (start);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_null (me);
  g_assert_cmpint (elapsed, >=, 200);
  g_assert_cmpint (elapsed, <, 1500 * duet_test_time_scale ());
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 1);
}

static void
test_retry_timeout_then_success (DuetTestFixture *f,
                                 gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;
  gint64 start;
  gint64 elapsed;

  duet_client_set_request_timeout (f->client, 200);
  duet_test_homeserver_add_fault (f->server, "GET", WHOAMI, 1, DUET_FAULT_HANG, 0,
                                  2000 * duet_test_time_scale (), NULL);

  start = g_get_monotonic_time ();
  me = whoami (f->client, NULL, &error);
  elapsed = duet_test_elapsed_ms (start);
  g_assert_no_error (error);
  g_assert_cmpstr (me, ==, f->alice);
  g_assert_cmpint (elapsed, >=, 200);
  g_assert_cmpint (elapsed, <, 1500 * duet_test_time_scale ());
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 2);
}

/* A body that comes slowly, each piece well within the timeout but the
 * whole well past it, is read to its end: the timeout is for a stall. */
static void
test_timeout_slow_body (DuetTestFixture *f,
                        gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;
  gint64 start;

  duet_client_set_request_timeout (f->client, 400);
  duet_client_set_max_attempts (f->client, 1);
  duet_test_homeserver_add_fault (f->server, "GET", WHOAMI, 1, DUET_FAULT_TRICKLE, 0, 150, NULL);

  start = g_get_monotonic_time ();
  me = whoami (f->client, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (me, ==, f->alice);
  /* Eight pieces, 150 ms apart: longer than the timeout in all. */
  g_assert_cmpint (duet_test_elapsed_ms (start), >=, 7 * 150);
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 1);
}

/* A body that stalls after its first piece for longer than the timeout
 * still times out. */
static void
test_timeout_stalled_body (DuetTestFixture *f,
                           gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;

  duet_client_set_request_timeout (f->client, 200);
  duet_client_set_max_attempts (f->client, 1);
  duet_test_homeserver_add_fault (f->server, "GET", WHOAMI, 1, DUET_FAULT_TRICKLE, 0, 1500, NULL);

  me = whoami (f->client, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_null (me);
}

static gboolean
whoami_counted (gpointer data)
{
  DuetTestFixture *f = data;

  return count (f, "GET", WHOAMI) >= 1;
}

static void
check_cancel_mid_request (DuetTestFixture *f,
                          DuetFaultKind    kind,
                          guint            status)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;
  gint64 start;

  duet_test_homeserver_add_fault (f->server, "GET", WHOAMI, 1, kind, status, 5000, NULL);
  duet_client_whoami_async (f->client, cancellable, duet_test_result_cb, &result);
  g_assert_true (duet_test_wait_until (whoami_counted, f, 2000));
  /* Let the answer (if any) arrive, so the client is in its wait. */
  duet_test_run_for (100);
  g_assert_null (result);

  start = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  duet_test_wait (&result);
  /* Well before the 5 s the answer would take, however slow the run. */
  g_assert_cmpint (duet_test_elapsed_ms (start), <, MIN (500 * duet_test_time_scale (), 2500));

  me = duet_client_whoami_finish (f->client, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (me);

  /* No attempt after the cancel. */
  duet_test_run_for (100);
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 1);
}

static void
test_retry_cancel_during_wait (DuetTestFixture *f,
                               gconstpointer    data)
{
  check_cancel_mid_request (f, DUET_FAULT_RATE_LIMIT, 429);
}

static void
test_retry_cancel_during_request (DuetTestFixture *f,
                                  gconstpointer    data)
{
  check_cancel_mid_request (f, DUET_FAULT_HANG, 0);
}

static void
test_retry_cancel_before (DuetTestFixture *f,
                          gconstpointer    data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *me = NULL;

  g_cancellable_cancel (cancellable);
  me = whoami (f->client, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (me);
  g_assert_cmpuint (count (f, "GET", WHOAMI), ==, 0);
}

/* --- Discovery ----------------------------------------------------------- */

static char *
server_name_of (DuetTestFixture *f)
{
  return g_strdup_printf ("127.0.0.1:%u", duet_test_homeserver_get_port (f->server));
}

static void
test_discovery_no_well_known (DuetTestFixture *f,
                              gconstpointer    data)
{
  g_autofree char *name = server_name_of (f);
  g_autofree char *expected = g_strdup_printf ("http://%s", name);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  duet_test_homeserver_set_well_known (f->server, NULL);
  url = discover (name, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, expected);
  g_assert_cmpstr (url, ==, duet_test_homeserver_get_url (f->server));
  g_assert_cmpuint (count (f, "GET", WELL_KNOWN), ==, 1);
  g_assert_cmpuint (count (f, "GET", VERSIONS), ==, 1);
}

static void
test_discovery_well_known (DuetTestFixture *f,
                           gconstpointer    data)
{
  g_autoptr(DuetTestHomeserver) other = NULL;
  g_autofree char *name = server_name_of (f);
  g_autofree char *body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  /* The well-known of this server names another one (with a trailing slash). */
  other = duet_test_homeserver_new (0, &error);
  g_assert_no_error (error);
  body = g_strdup_printf ("{\"m.homeserver\":{\"base_url\":\"%s/\"},\"m.identity_server\":{}}",
                          duet_test_homeserver_get_url (other));
  duet_test_homeserver_set_well_known (f->server, body);

  url = discover (name, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, duet_test_homeserver_get_url (other));
  g_assert_cmpuint (count (f, "GET", WELL_KNOWN), ==, 1);
  g_assert_cmpuint (count (f, "GET", VERSIONS), ==, 0);
  g_assert_cmpuint (duet_test_homeserver_count_requests (other, "GET", VERSIONS), ==, 1);
}

static void
test_discovery_insecure_well_known (DuetTestFixture *f,
                                    gconstpointer    data)
{
  g_autofree char *name = server_name_of (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  duet_test_homeserver_set_well_known (f->server, "{\"m.homeserver\":{\"base_url\":\"http://example.org\"}}");
  url = discover (name, &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INSECURE_URL);
  g_assert_null (url);
  g_assert_cmpuint (count (f, "GET", VERSIONS), ==, 0);
}

static void
test_discovery_bad_well_known (DuetTestFixture *f,
                               gconstpointer    data)
{
  static const struct {
    const char *body;
    gint        code;
  } cases[] = {
    { "this is not JSON", DUET_API_ERROR_DISCOVERY },
    { "[]", DUET_API_ERROR_DISCOVERY },
    { "{}", DUET_API_ERROR_DISCOVERY },
    { "{\"m.homeserver\":{}}", DUET_API_ERROR_DISCOVERY },
    { "{\"m.homeserver\":{\"base_url\":5}}", DUET_API_ERROR_DISCOVERY },
    { "{\"m.homeserver\":\"http://127.0.0.1:1\"}", DUET_API_ERROR_DISCOVERY },
    { "{\"m.homeserver\":{\"base_url\":\"not a url\"}}", DUET_API_ERROR_DISCOVERY },
    { "{\"m.homeserver\":{\"base_url\":\"http://127.0.0.1:1/?x=1\"}}", DUET_API_ERROR_DISCOVERY },
    /* Neither https nor http to a loopback host. */
    { "{\"m.homeserver\":{\"base_url\":\"ftp://127.0.0.1/\"}}", DUET_API_ERROR_INSECURE_URL },
  };
  g_autofree char *name = server_name_of (f);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = NULL;

      g_test_message ("well-known: %s", cases[i].body);
      duet_test_homeserver_set_well_known (f->server, cases[i].body);
      url = discover (name, &error);
      g_assert_error (error, DUET_API_ERROR, cases[i].code);
      g_assert_null (url);
    }
  g_assert_cmpuint (count (f, "GET", WELL_KNOWN), ==, G_N_ELEMENTS (cases));
  g_assert_cmpuint (count (f, "GET", VERSIONS), ==, 0);
}

static void
test_discovery_unsupported_server (DuetTestFixture *f,
                                   gconstpointer    data)
{
  const char *old_only[] = { "r0.6.1", NULL };
  g_autofree char *name = server_name_of (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  duet_test_homeserver_set_versions (f->server, old_only);
  url = discover (name, &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_UNSUPPORTED_SERVER);
  g_assert_null (url);
  g_assert_cmpuint (count (f, "GET", VERSIONS), ==, 1);
}

static void
test_discovery_url (DuetTestFixture *f,
                    gconstpointer    data)
{
  g_autofree char *given = g_strdup_printf ("  %s/  ", duet_test_homeserver_get_url (f->server));
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  /* A URL is used as it is: no well-known lookup. */
  url = discover (given, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, duet_test_homeserver_get_url (f->server));
  g_assert_cmpuint (count (f, "GET", WELL_KNOWN), ==, 0);
  g_assert_cmpuint (count (f, "GET", VERSIONS), ==, 1);
}

static void
test_discovery_insecure_url (DuetTestFixture *f,
                             gconstpointer    data)
{
  const char *urls[] = {
    "http://example.org",
    "http://example.org:8008/",
    "http://10.0.0.1",
    "http://localhost.example.org",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = NULL;
      gint64 start = g_get_monotonic_time ();

      url = discover (urls[i], &error);
      /* Refused before any lookup or connection. */
      g_assert_cmpint (duet_test_elapsed_ms (start), <, 100 * duet_test_time_scale ());
      g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INSECURE_URL);
      g_assert_null (url);
    }
}

static void
test_discovery_invalid_name (DuetTestFixture *f,
                             gconstpointer    data)
{
  const char *names[] = { "bad_server!", "", "exa mple.org", "example.org:99999", "example.org/path" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = NULL;

      url = discover (names[i], &error);
      g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);
      g_assert_null (url);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST ("/client/versions/default", test_versions_default);
  TEST ("/client/versions/no-authenticated-media", test_versions_no_authenticated_media);
  TEST ("/client/versions/unsupported", test_versions_unsupported);

  TEST ("/client/login/success", test_login_success);
  TEST ("/client/login/full-user-id", test_login_full_user_id);
  TEST ("/client/login/wrong-password", test_login_wrong_password);
  TEST ("/client/login/unknown-user", test_login_unknown_user);
  TEST ("/client/login/5xx-not-retried", test_login_5xx_not_retried);
  TEST ("/client/whoami/success", test_whoami);
  TEST ("/client/whoami/not-signed-in", test_whoami_not_signed_in);
  TEST ("/client/logout/success", test_logout);
  TEST ("/client/logout/token-gone", test_logout_token_gone);

  TEST ("/client/errors/unknown-token", test_error_unknown_token);
  TEST ("/client/errors/soft-logout", test_error_soft_logout);
  TEST ("/client/errors/unknown-errcode", test_error_unknown_errcode);
  TEST ("/client/errors/http-status", test_error_http_status);
  TEST ("/client/errors/not-json", test_error_not_json);
  TEST ("/client/errors/wrong-type", test_error_wrong_type);
  TEST ("/client/bounds/too-deep", test_error_too_deep);
  TEST ("/client/bounds/too-large", test_error_too_large);
  TEST ("/client/bounds/size-cap-exactly", test_error_just_under_size_cap);

  TEST ("/client/retry/rate-limit", test_retry_rate_limit);
  TEST ("/client/retry/retry-after-header", test_retry_retry_after_header);
  TEST ("/client/retry/rate-limit-exhausted", test_retry_rate_limit_exhausted);
  TEST ("/client/retry/rate-limit-create-room", test_retry_rate_limit_create_room);
  TEST ("/client/retry/5xx-get", test_retry_5xx_get);
  TEST ("/client/retry/5xx-exhausted", test_retry_5xx_exhausted);
  TEST ("/client/retry/5xx-create-room", test_retry_5xx_create_room);
  TEST ("/client/retry/drop-get", test_retry_drop_get);
  TEST ("/client/retry/drop-create-room", test_retry_drop_create_room);
  TEST ("/client/retry/drop-after-create-room", test_retry_drop_after_create_room);
  TEST ("/client/retry/timeout", test_retry_timeout);
  TEST ("/client/retry/timeout-then-success", test_retry_timeout_then_success);
  TEST ("/client/timeout/slow-body", test_timeout_slow_body);
  TEST ("/client/timeout/stalled-body", test_timeout_stalled_body);
  TEST ("/client/retry/cancel-during-wait", test_retry_cancel_during_wait);
  TEST ("/client/retry/cancel-during-request", test_retry_cancel_during_request);
  TEST ("/client/retry/cancel-before-start", test_retry_cancel_before);

  TEST ("/client/discovery/no-well-known", test_discovery_no_well_known);
  TEST ("/client/discovery/well-known", test_discovery_well_known);
  TEST ("/client/discovery/insecure-well-known", test_discovery_insecure_well_known);
  TEST ("/client/discovery/bad-well-known", test_discovery_bad_well_known);
  TEST ("/client/discovery/unsupported-server", test_discovery_unsupported_server);
  TEST ("/client/discovery/url", test_discovery_url);
  TEST ("/client/discovery/insecure-url", test_discovery_insecure_url);
  TEST ("/client/discovery/invalid-name", test_discovery_invalid_name);

  return g_test_run ();
}
