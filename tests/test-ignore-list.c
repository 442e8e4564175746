/* test-ignore-list.c: DuetIgnoreList against the test homeserver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * m.ignored_user_list is shared account data like m.direct: the same ways
 * of losing or clobbering it apply (../shared/matrix-dm.md).
 */
#include "config.h"

#include "duet-ignore-list.h"
#include "duet-test-utils.h"

#define IGNORED_PATH "/_matrix/client/v3/user/@alice:localhost/account_data/m.ignored_user_list"

static gboolean
add_user (DuetIgnoreList  *list,
          const char      *user_id,
          GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_ignore_list_add_user_async (list, user_id, NULL, duet_test_result_cb, &result);
  return duet_ignore_list_add_user_finish (list, duet_test_wait (&result), error);
}

static gboolean
remove_user (DuetIgnoreList  *list,
             const char      *user_id,
             GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_ignore_list_remove_user_async (list, user_id, NULL, duet_test_result_cb, &result);
  return duet_ignore_list_remove_user_finish (list, duet_test_wait (&result), error);
}

static void
set_server_content (DuetTestFixture *f,
                    const char      *json)
{
  g_autoptr(JsonObject) content = duet_test_json_object (json);

  duet_test_homeserver_set_account_data (f->server, f->alice, "m.ignored_user_list", content);
}

static void
assert_server_content (DuetTestFixture *f,
                       const char      *expected_json)
{
  g_autoptr(JsonObject) expected = duet_test_json_object (expected_json);
  g_autoptr(JsonObject) actual =
    duet_test_homeserver_get_account_data (f->server, f->alice, "m.ignored_user_list");

  g_assert_nonnull (actual);
  g_assert_true (duet_test_json_object_equal (expected, actual));
}

static guint
count_puts (DuetTestFixture *f)
{
  return duet_test_homeserver_count_requests (f->server, "PUT", IGNORED_PATH);
}

static void
test_ignore_list_add_when_unset (DuetTestFixture *f,
                                 gconstpointer    data)
{
  g_autoptr(DuetIgnoreList) list = duet_ignore_list_new (f->client);
  g_autoptr(GError) error = NULL;

  g_assert_true (add_user (list, f->bob, &error));
  g_assert_no_error (error);
  assert_server_content (f, "{\"ignored_users\": {\"@bob:localhost\": {}}}");
  g_assert_cmpuint (duet_ignore_list_get_write_count (list), ==, 1);
  duet_test_finalize (g_steal_pointer (&list));
}

static void
test_ignore_list_keeps_other_content (DuetTestFixture *f,
                                      gconstpointer    data)
{
  g_autoptr(DuetIgnoreList) list = duet_ignore_list_new (f->client);
  g_autoptr(GError) error = NULL;

  /* Another device ignored Mallory, with a value we do not know, and some
   * client keeps its own key next to the list. */
  set_server_content (f, "{\"ignored_users\": {\"@mallory:localhost\": {\"since\": 5}},"
                         " \"org.example.note\": [1, \"x\"]}");

  g_assert_true (add_user (list, f->bob, &error));
  g_assert_no_error (error);
  assert_server_content (f, "{\"ignored_users\": {\"@mallory:localhost\": {\"since\": 5},"
                            " \"@bob:localhost\": {}}, \"org.example.note\": [1, \"x\"]}");

  /* Already there: nothing to write. */
  g_assert_true (add_user (list, f->bob, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_puts (f), ==, 1);

  g_assert_true (remove_user (list, f->bob, &error));
  g_assert_no_error (error);
  assert_server_content (f, "{\"ignored_users\": {\"@mallory:localhost\": {\"since\": 5}},"
                            " \"org.example.note\": [1, \"x\"]}");
  g_assert_cmpuint (count_puts (f), ==, 2);

  /* Removing someone never listed from an unset list writes nothing. */
  duet_test_homeserver_set_account_data (f->server, f->alice, "m.ignored_user_list", NULL);
  g_assert_true (remove_user (list, "@nobody:localhost", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_puts (f), ==, 2);
  duet_test_finalize (g_steal_pointer (&list));
}

static void
test_ignore_list_no_write_on_bad_read (DuetTestFixture *f,
                                       gconstpointer    data)
{
  g_autoptr(DuetIgnoreList) list = duet_ignore_list_new (f->client);
  g_autoptr(GError) error = NULL;

  /* A server error that outlasts every retry. */
  duet_test_homeserver_add_fault (f->server, "GET", IGNORED_PATH, 1000, DUET_FAULT_STATUS, 500, 0, NULL);
  g_assert_false (add_user (list, f->bob, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_HTTP);
  g_clear_error (&error);
  duet_test_homeserver_clear_faults (f->server);

  /* Content that is not an object. */
  duet_test_homeserver_add_fault (f->server, "GET", IGNORED_PATH, 1, DUET_FAULT_BODY, 200, 0, "[\"@bob:localhost\"]");
  g_assert_false (add_user (list, f->bob, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* A list that is not an object is another client's, not ours to replace. */
  set_server_content (f, "{\"ignored_users\": [\"@mallory:localhost\"]}");
  g_assert_false (add_user (list, f->bob, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE);
  assert_server_content (f, "{\"ignored_users\": [\"@mallory:localhost\"]}");

  g_assert_cmpuint (count_puts (f), ==, 0);
  duet_test_finalize (g_steal_pointer (&list));
}

static void
test_ignore_list_coalesces (DuetTestFixture *f,
                            gconstpointer    data)
{
  g_autoptr(DuetIgnoreList) list = duet_ignore_list_new (f->client);
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GError) error = NULL;

  duet_ignore_list_add_user_async (list, "@one:localhost", NULL, duet_test_result_cb, &r1);
  duet_ignore_list_add_user_async (list, "@two:localhost", NULL, duet_test_result_cb, &r2);
  duet_ignore_list_add_user_async (list, "@three:localhost", NULL, duet_test_result_cb, &r3);
  g_assert_true (duet_ignore_list_add_user_finish (list, duet_test_wait (&r1), &error));
  g_assert_true (duet_ignore_list_add_user_finish (list, duet_test_wait (&r2), &error));
  g_assert_true (duet_ignore_list_add_user_finish (list, duet_test_wait (&r3), &error));
  g_assert_no_error (error);

  assert_server_content (f, "{\"ignored_users\": {\"@one:localhost\": {}, \"@two:localhost\": {},"
                            " \"@three:localhost\": {}}}");
  /* The first write, then one for the two that waited. */
  g_assert_cmpuint (count_puts (f), ==, 2);

  g_clear_object (&r1);
  g_clear_object (&r2);
  g_clear_object (&r3);
  duet_test_finalize (g_steal_pointer (&list));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, DuetTestFixture, NULL, duet_test_fixture_setup, func, duet_test_fixture_teardown)

  ADD ("/ignore-list/add-when-unset", test_ignore_list_add_when_unset);
  ADD ("/ignore-list/keeps-other-content", test_ignore_list_keeps_other_content);
  ADD ("/ignore-list/no-write-on-bad-read", test_ignore_list_no_write_on_bad_read);
  ADD ("/ignore-list/coalesces", test_ignore_list_coalesces);

  return g_test_run ();
}
