/* test-invites.c: accepting and declining invites, marking chats, read state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * m.direct and m.ignored_user_list are shared with every other device of
 * the account: what we write must keep what they wrote, and a read we
 * cannot trust must not lead to a write (../shared/matrix-dm.md).
 */
#include "config.h"

#include "duet-session.h"
#include "duet-sync-loop.h"
#include "duet-session-test-utils.h"
#include "duet-test-utils.h"

#define IGNORED_PATH "/_matrix/client/v3/user/@alice:localhost/account_data/m.ignored_user_list"

/* --- Helpers ------------------------------------------------------------- */

/* Bob invites alice to a new room, as "Start Chat" in his client would. */
static char *
invite_from_bob (DuetTestFixture *f,
                 gboolean         is_direct)
{
  const char *invite[] = { f->alice, NULL };

  return duet_test_homeserver_create_room (f->server, f->bob, "trusted_private_chat", invite, is_direct);
}

static gboolean
accept_invite (DuetSession     *session,
               const char      *room_id,
               DuetMarkDirect   mark,
               GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_session_accept_invite_async (session, room_id, mark, NULL, duet_test_result_cb, &result);
  return duet_session_accept_invite_finish (session, duet_test_wait (&result), error);
}

static gboolean
decline_invite (DuetSession  *session,
                const char   *room_id,
                gboolean      ignore_user,
                GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_session_decline_invite_async (session, room_id, ignore_user, NULL, duet_test_result_cb, &result);
  return duet_session_decline_invite_finish (session, duet_test_wait (&result), error);
}

static gboolean
server_lists (DuetTestFixture *f,
              const char      *user_id,
              const char      *room_id)
{
  g_autoptr(JsonObject) content = duet_test_homeserver_get_account_data (f->server, f->alice, "m.direct");
  JsonArray *rooms;

  if (content == NULL || !json_object_has_member (content, user_id))
    return FALSE;
  rooms = json_object_get_array_member (content, user_id);
  for (guint i = 0; rooms != NULL && i < json_array_get_length (rooms); i++)
    if (g_strcmp0 (json_array_get_string_element (rooms, i), room_id) == 0)
      return TRUE;
  return FALSE;
}

static void
assert_account_data (DuetTestFixture *f,
                     const char      *event_type,
                     const char      *expected_json)
{
  g_autoptr(JsonObject) expected = duet_test_json_object (expected_json);
  g_autoptr(JsonObject) actual = duet_test_homeserver_get_account_data (f->server, f->alice, event_type);

  g_assert_nonnull (actual);
  g_assert_true (duet_test_json_object_equal (expected, actual));
}

/* --- Accept -------------------------------------------------------------- */

static void
test_invites_surfaced (DuetTestFixture *f,
                       gconstpointer    data)
{
  g_autofree char *room_id = invite_from_bob (f, TRUE);
  DuetSession *session = duet_test_session_start (f);
  DuetRoom *room = duet_session_lookup_room (session, room_id);

  g_assert_nonnull (room);
  g_assert_cmpint (duet_room_get_own_membership (room), ==, DUET_MEMBERSHIP_INVITE);
  g_assert_true (duet_room_get_invite_is_direct (room));
  g_assert_cmpstr (duet_room_get_inviter (room), ==, f->bob);

  duet_test_session_stop (session);
}

static void
test_invites_accept_and_mark (DuetTestFixture *f,
                              gconstpointer    data)
{
  g_autofree char *room_id = invite_from_bob (f, TRUE);
  DuetSession *session = duet_test_session_start (f);
  g_autoptr(GError) error = NULL;

  g_assert_true (accept_invite (session, room_id, DUET_MARK_DIRECT_YES, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->server, room_id, f->alice), ==, "join");
  g_assert_true (server_lists (f, f->bob, room_id));

  /* After the sync, the mirror and Start Chat agree. */
  duet_test_session_settle (session);
  g_assert_true (duet_direct_map_is_direct (duet_session_get_direct_map (session), room_id));
  g_assert_true (duet_session_find_direct_room (session, f->bob, NULL) ==
                 duet_session_lookup_room (session, room_id));

  duet_test_session_stop (session);
}

static void
test_invites_accept_without_mark (DuetTestFixture *f,
                                  gconstpointer    data)
{
  g_autofree char *room_id = invite_from_bob (f, TRUE);
  DuetSession *session = duet_test_session_start (f);
  g_autoptr(GError) error = NULL;

  g_assert_true (accept_invite (session, room_id, DUET_MARK_DIRECT_NO, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->server, room_id, f->alice), ==, "join");
  g_assert_null (duet_test_homeserver_get_account_data (f->server, f->alice, "m.direct"));

  duet_test_session_stop (session);
}

typedef struct {
  DuetInvitePolicy policy;
  gboolean         is_direct;
  gboolean         marked;
} PolicyCase;

static void
test_invites_accept_by_policy (DuetTestFixture *f,
                               gconstpointer    data)
{
  static const PolicyCase cases[] = {
    { DUET_INVITE_POLICY_ALWAYS, TRUE, TRUE },
    { DUET_INVITE_POLICY_ALWAYS, FALSE, FALSE },  /* "always" marks DMs only */
    { DUET_INVITE_POLICY_ASK, TRUE, FALSE },      /* the UI asked, and passes YES or NO */
    { DUET_INVITE_POLICY_NEVER, TRUE, FALSE },
  };
  DuetSession *session = duet_test_session_start (f);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *room_id = invite_from_bob (f, cases[i].is_direct);
      g_autoptr(GError) error = NULL;

      duet_test_session_settle (session);
      duet_session_set_invite_policy (session, cases[i].policy);
      /* The policy never accepts by itself. */
      g_assert_cmpstr (duet_test_homeserver_get_membership (f->server, room_id, f->alice), ==, "invite");

      g_assert_true (accept_invite (session, room_id, DUET_MARK_DIRECT_BY_POLICY, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (duet_test_homeserver_get_membership (f->server, room_id, f->alice), ==, "join");
      g_assert_cmpint (server_lists (f, f->bob, room_id), ==, cases[i].marked);
    }

  duet_test_session_stop (session);
}

static void
test_invites_accept_unknown_room (DuetTestFixture *f,
                                  gconstpointer    data)
{
  DuetSession *session = duet_test_session_start (f);
  g_autoptr(GError) error = NULL;

  g_assert_false (accept_invite (session, "!nowhere:localhost", DUET_MARK_DIRECT_YES, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);

  duet_test_session_stop (session);
}

/* --- Decline ------------------------------------------------------------- */

static void
test_invites_decline (DuetTestFixture *f,
                      gconstpointer    data)
{
  g_autofree char *room_id = invite_from_bob (f, TRUE);
  DuetSession *session = duet_test_session_start (f);
  g_autoptr(GError) error = NULL;

  g_assert_true (decline_invite (session, room_id, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->server, room_id, f->alice), ==, "leave");
  g_assert_null (duet_test_homeserver_get_account_data (f->server, f->alice, "m.ignored_user_list"));
  g_assert_null (duet_test_homeserver_get_account_data (f->server, f->alice, "m.direct"));

  duet_test_session_stop (session);
}

static void
test_invites_decline_and_ignore (DuetTestFixture *f,
                                 gconstpointer    data)
{
  g_autofree char *room_id = invite_from_bob (f, TRUE);
  g_autoptr(JsonObject) before = NULL;
  DuetSession *session = NULL;
  g_autoptr(GError) error = NULL;

  /* Another device ignored Mallory; some client keeps a key of its own. */
  before = duet_test_json_object ("{\"ignored_users\": {\"@mallory:localhost\": {}},"
                                  " \"org.example.extra\": {\"keep\": [1, 2]}}");
  duet_test_homeserver_set_account_data (f->server, f->alice, "m.ignored_user_list", before);
  session = duet_test_session_start (f);

  g_assert_true (decline_invite (session, room_id, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->server, room_id, f->alice), ==, "leave");
  assert_account_data (f, "m.ignored_user_list",
                       "{\"ignored_users\": {\"@mallory:localhost\": {}, \"@bob:localhost\": {}},"
                       " \"org.example.extra\": {\"keep\": [1, 2]}}");

  duet_test_session_stop (session);
}

static void
test_invites_ignore_read_fails (DuetTestFixture *f,
                                gconstpointer    data)
{
  g_autofree char *room_id = invite_from_bob (f, TRUE);
  g_autoptr(JsonObject) before = duet_test_json_object ("{\"ignored_users\": {\"@mallory:localhost\": {}}}");
  DuetSession *session = NULL;
  g_autoptr(GError) error = NULL;

  duet_test_homeserver_set_account_data (f->server, f->alice, "m.ignored_user_list", before);
  session = duet_test_session_start (f);

  /* 500 on every try: the room is left, but nothing is written. */
  duet_test_homeserver_add_fault (f->server, "GET", IGNORED_PATH, 1000, DUET_FAULT_STATUS, 500, 0, NULL);
  g_assert_false (decline_invite (session, room_id, TRUE, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_HTTP);
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->server, room_id, f->alice), ==, "leave");
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", IGNORED_PATH), ==, 0);
  assert_account_data (f, "m.ignored_user_list", "{\"ignored_users\": {\"@mallory:localhost\": {}}}");

  duet_test_session_stop (session);
}

static void
test_invites_ignore_not_an_object (DuetTestFixture *f,
                                   gconstpointer    data)
{
  g_autofree char *room_id = invite_from_bob (f, TRUE);
  DuetSession *session = duet_test_session_start (f);
  g_autoptr(GError) error = NULL;

  duet_test_homeserver_add_fault (f->server, "GET", IGNORED_PATH, 1, DUET_FAULT_BODY, 200, 0,
                                  "[\"@mallory:localhost\"]");
  g_assert_false (decline_invite (session, room_id, TRUE, &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", IGNORED_PATH), ==, 0);
  g_assert_null (duet_test_homeserver_get_account_data (f->server, f->alice, "m.ignored_user_list"));

  duet_test_session_stop (session);
}

/* --- Marking and read state ---------------------------------------------- */

static gboolean
mark_direct (DuetSession  *session,
             const char   *room_id,
             const char   *user_id,
             GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_session_mark_direct_async (session, room_id, user_id, NULL, duet_test_result_cb, &result);
  return duet_session_mark_direct_finish (session, duet_test_wait (&result), error);
}

static gboolean
unmark_direct (DuetSession  *session,
               const char   *room_id,
               GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_session_unmark_direct_async (session, room_id, NULL, duet_test_result_cb, &result);
  return duet_session_unmark_direct_finish (session, duet_test_wait (&result), error);
}

static void
test_invites_mark_and_unmark (DuetTestFixture *f,
                              gconstpointer    data)
{
  const char *invite[] = { f->bob, NULL };
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->alice, "private_chat", invite, FALSE);
  g_autofree char *invited = invite_from_bob (f, FALSE);
  g_autoptr(JsonObject) other = duet_test_json_object ("{\"erin@example.org\": [\"!x:localhost\"]}");
  DuetSession *session = NULL;
  g_autoptr(GError) error = NULL;

  duet_test_homeserver_set_account_data (f->server, f->alice, "m.direct", other);
  session = duet_test_session_start (f);

  g_assert_true (mark_direct (session, room_id, f->bob, &error));
  g_assert_no_error (error);
  g_assert_true (server_lists (f, f->bob, room_id));

  /* Only a room we are in; only a valid user. */
  g_assert_false (mark_direct (session, invited, f->bob, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (mark_direct (session, room_id, "bob", &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_true (unmark_direct (session, room_id, &error));
  g_assert_no_error (error);
  g_assert_false (server_lists (f, f->bob, room_id));
  /* What another client listed stays. */
  assert_account_data (f, "m.direct", "{\"erin@example.org\": [\"!x:localhost\"]}");

  duet_test_session_stop (session);
}

static gboolean
mark_read (DuetSession  *session,
           const char   *room_id,
           GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_session_mark_read_async (session, room_id, NULL, duet_test_result_cb, &result);
  return duet_session_mark_read_finish (session, duet_test_wait (&result), error);
}

static char *
server_fully_read (DuetTestFixture *f,
                   const char      *room_id)
{
  g_autofree char *path = g_strdup_printf ("/_matrix/client/v3/user/%s/rooms/%s/account_data/m.fully_read",
                                           f->alice, room_id);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) content = NULL;
  g_autoptr(GError) error = NULL;

  duet_client_request_async (f->client, "GET", path, NULL, NULL, DUET_REQUEST_IDEMPOTENT, NULL,
                             duet_test_result_cb, &result);
  content = duet_client_request_finish (f->client, duet_test_wait (&result), &error);
  if (content == NULL)
    return NULL;
  return g_strdup (json_object_get_string_member_with_default (content, "event_id", NULL));
}

static void
test_invites_mark_read (DuetTestFixture *f,
                        gconstpointer    data)
{
  const char *invite[] = { f->bob, NULL };
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->alice, "trusted_private_chat", invite, TRUE);
  g_autofree char *event_id = NULL;
  g_autofree char *fully_read = NULL;
  DuetSession *session = NULL;
  g_autoptr(GError) error = NULL;

  duet_test_homeserver_join (f->server, room_id, f->bob);
  event_id = duet_test_homeserver_send_message (f->server, room_id, f->bob, "hi alice");
  session = duet_test_session_start (f);
  g_assert_cmpstr (duet_room_get_last_event_id (duet_session_lookup_room (session, room_id)), ==, event_id);

  g_assert_true (mark_read (session, room_id, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (duet_test_homeserver_get_receipt (f->server, room_id, f->alice, "m.read"), ==, event_id);
  fully_read = server_fully_read (f, room_id);
  g_assert_cmpstr (fully_read, ==, event_id);

  duet_test_session_stop (session);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, DuetTestFixture, NULL, duet_test_fixture_setup, func, duet_test_fixture_teardown)

  ADD ("/invites/surfaced", test_invites_surfaced);
  ADD ("/invites/accept-and-mark", test_invites_accept_and_mark);
  ADD ("/invites/accept-without-mark", test_invites_accept_without_mark);
  ADD ("/invites/accept-by-policy", test_invites_accept_by_policy);
  ADD ("/invites/accept-unknown-room", test_invites_accept_unknown_room);
  ADD ("/invites/decline", test_invites_decline);
  ADD ("/invites/decline-and-ignore", test_invites_decline_and_ignore);
  ADD ("/invites/ignore-read-fails", test_invites_ignore_read_fails);
  ADD ("/invites/ignore-not-an-object", test_invites_ignore_not_an_object);
  ADD ("/invites/mark-and-unmark", test_invites_mark_and_unmark);
  ADD ("/invites/mark-read", test_invites_mark_read);

  return g_test_run ();
}
