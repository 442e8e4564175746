/* test-start-chat.c: finding the DM with someone, and Start Chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each case is one of rules 3 to 5 of ../shared/matrix-dm.md: reuse the
 * right room, never a duplicate; say when the partner left; follow
 * upgrades; never repeat createRoom, and find the room a lost answer made.
 */
#include "config.h"

#include "duet-session.h"
#include "duet-session-chats-private.h"
#include "duet-sync-loop.h"
#include "duet-session-test-utils.h"
#include "duet-test-utils.h"

#define CREATE_ROOM_PATH "/_matrix/client/v3/createRoom"
#define M_DIRECT_PATH "/_matrix/client/v3/user/@alice:localhost/account_data/m.direct"

/* --- Helpers ------------------------------------------------------------- */

static void
set_m_direct (DuetTestFixture *f,
              const char      *json)
{
  g_autoptr(JsonObject) content = duet_test_json_object (json);

  duet_test_homeserver_set_account_data (f->server, f->alice, "m.direct", content);
}

/* A DM alice made with bob the way Duet does, listed in her m.direct. */
static char *
make_dm (DuetTestFixture *f,
         gboolean         bob_joins)
{
  const char *invite[] = { f->bob, NULL };
  char *room_id = duet_test_homeserver_create_room (f->server, f->alice, "trusted_private_chat", invite, TRUE);
  g_autofree char *json = g_strdup_printf ("{\"@bob:localhost\": [\"%s\"]}", room_id);

  if (bob_joins)
    duet_test_homeserver_join (f->server, room_id, f->bob);
  set_m_direct (f, json);
  return room_id;
}

static char *
start_chat (DuetSession           *session,
            const char            *user_id,
            DuetStartChatOutcome  *outcome,
            GError               **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_session_start_chat_async (session, user_id, NULL, duet_test_result_cb, &result);
  return duet_session_start_chat_finish (session, duet_test_wait (&result), outcome, error);
}

static guint
count_creates (DuetTestFixture *f)
{
  return duet_test_homeserver_count_requests (f->server, "POST", CREATE_ROOM_PATH);
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

/* --- Reuse --------------------------------------------------------------- */

static void
test_start_chat_reuses_dm (DuetTestFixture *f,
                           gconstpointer    data)
{
  g_autofree char *dm = make_dm (f, TRUE);
  DuetSession *session = duet_test_session_start (f);
  DuetStartChatOutcome outcome = -1;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  gboolean partner_left = TRUE;

  g_assert_true (duet_session_find_direct_room (session, f->bob, &partner_left) ==
                 duet_session_lookup_room (session, dm));
  g_assert_false (partner_left);

  duet_test_homeserver_reset_counts (f->server);
  room_id = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, ==, dm);
  g_assert_cmpint (outcome, ==, DUET_START_CHAT_REUSED);
  g_assert_cmpuint (count_creates (f), ==, 0);
  /* Already listed: a reuse writes nothing. */
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH), ==, 0);

  duet_test_session_stop (session);
}

static void
test_start_chat_partner_invited (DuetTestFixture *f,
                                 gconstpointer    data)
{
  g_autofree char *dm = make_dm (f, FALSE);
  DuetSession *session = duet_test_session_start (f);
  DuetStartChatOutcome outcome = -1;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;

  room_id = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, ==, dm);
  g_assert_cmpint (outcome, ==, DUET_START_CHAT_REUSED);
  g_assert_cmpuint (count_creates (f), ==, 0);

  duet_test_session_stop (session);
}

static void
test_start_chat_partner_left (DuetTestFixture *f,
                              gconstpointer    data)
{
  g_autofree char *dm = make_dm (f, TRUE);
  DuetSession *session = NULL;
  DuetStartChatOutcome outcome = -1;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  guint rooms_before;
  gboolean partner_left = FALSE;

  duet_test_homeserver_leave (f->server, dm, f->bob);
  rooms_before = duet_test_homeserver_count_rooms (f->server);
  session = duet_test_session_start (f);

  g_assert_true (duet_session_find_direct_room (session, f->bob, &partner_left) ==
                 duet_session_lookup_room (session, dm));
  g_assert_true (partner_left);

  room_id = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, ==, dm);
  g_assert_cmpint (outcome, ==, DUET_START_CHAT_PARTNER_LEFT);
  g_assert_cmpuint (count_creates (f), ==, 0);
  g_assert_cmpuint (duet_test_homeserver_count_rooms (f->server), ==, rooms_before);

  duet_test_session_stop (session);
}

static void
test_start_chat_third_person (DuetTestFixture *f,
                              gconstpointer    data)
{
  g_autofree char *carol = duet_test_homeserver_add_user (f->server, "carol", "carol-password", "Carol");
  g_autofree char *dm = make_dm (f, TRUE);
  DuetSession *session = NULL;
  DuetStartChatOutcome outcome = -1;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;

  /* Carol only invited counts as a real person too. */
  duet_test_homeserver_invite (f->server, dm, f->alice, carol, FALSE);
  session = duet_test_session_start (f);
  g_assert_null (duet_session_find_direct_room (session, f->bob, NULL));

  room_id = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, !=, dm);
  g_assert_cmpint (outcome, ==, DUET_START_CHAT_CREATED);
  g_assert_cmpuint (count_creates (f), ==, 1);
  /* The new one is added; the group stays listed, as another client put it. */
  g_assert_true (server_lists (f, f->bob, room_id));
  g_assert_true (server_lists (f, f->bob, dm));

  duet_test_session_stop (session);
}

static void
test_start_chat_functional_member (DuetTestFixture *f,
                                   gconstpointer    data)
{
  g_autofree char *helper = duet_test_homeserver_add_user (f->server, "helper", "helper-password", "Helper");
  g_autofree char *dm = make_dm (f, TRUE);
  g_autoptr(JsonObject) service = duet_test_json_object ("{\"service_members\": [\"@helper:localhost\"]}");
  DuetSession *session = NULL;
  DuetStartChatOutcome outcome = -1;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;

  duet_test_homeserver_invite (f->server, dm, f->alice, helper, FALSE);
  duet_test_homeserver_join (f->server, dm, helper);
  g_free (duet_test_homeserver_send_event (f->server, dm, f->alice, "io.element.functional_members", "", service));
  session = duet_test_session_start (f);

  room_id = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, ==, dm);
  g_assert_cmpint (outcome, ==, DUET_START_CHAT_REUSED);
  g_assert_cmpuint (count_creates (f), ==, 0);

  duet_test_session_stop (session);
}

static void
test_start_chat_newest_activity (DuetTestFixture *f,
                                 gconstpointer    data)
{
  g_autofree char *older = make_dm (f, TRUE);
  g_autofree char *newer = make_dm (f, TRUE);
  g_autofree char *json = g_strdup_printf ("{\"@bob:localhost\": [\"%s\", \"%s\"]}", older, newer);
  DuetSession *session = NULL;
  DuetStartChatOutcome outcome = -1;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;

  set_m_direct (f, json);
  g_free (duet_test_homeserver_send_message (f->server, newer, f->bob, "hello"));
  g_usleep (5 * 1000);  /* origin_server_ts has millisecond steps */
  g_free (duet_test_homeserver_send_message (f->server, older, f->bob, "over here now"));
  session = duet_test_session_start (f);

  room_id = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, ==, older);
  g_assert_cmpint (outcome, ==, DUET_START_CHAT_REUSED);

  duet_test_session_stop (session);
}

static void
test_start_chat_follows_tombstone (DuetTestFixture *f,
                                   gconstpointer    data)
{
  g_autofree char *old_room = make_dm (f, TRUE);
  g_autofree char *new_room = NULL;
  g_autofree char *json = NULL;
  DuetSession *session = NULL;
  DuetStartChatOutcome outcome = -1;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;

  /* Bob upgrades the DM; alice is invited to the replacement.  The test
   * server (like Synapse) lists the replacement in her m.direct itself; put
   * back the list as a client that does not do that would leave it. */
  new_room = duet_test_homeserver_upgrade_room (f->server, old_room, f->bob);
  json = g_strdup_printf ("{\"@bob:localhost\": [\"%s\"]}", old_room);
  set_m_direct (f, json);
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->server, new_room, f->alice), ==, "invite");
  session = duet_test_session_start (f);

  room_id = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, ==, new_room);
  g_assert_cmpint (outcome, ==, DUET_START_CHAT_REUSED);
  g_assert_cmpuint (count_creates (f), ==, 0);
  /* Joined, and listed next to the old room, which stays. */
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->server, new_room, f->alice), ==, "join");
  g_assert_true (server_lists (f, f->bob, new_room));
  g_assert_true (server_lists (f, f->bob, old_room));

  /* Once joined and listed, the next Start Chat just reuses it. */
  duet_test_session_settle (session);
  duet_test_homeserver_reset_counts (f->server);
  g_clear_pointer (&room_id, g_free);
  room_id = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, ==, new_room);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH), ==, 0);

  duet_test_session_stop (session);
}

static void
test_start_chat_tombstone_cycle (DuetTestFixture *f,
                                 gconstpointer    data)
{
  g_autofree char *dm = make_dm (f, TRUE);
  g_autoptr(JsonObject) tombstone = NULL;
  g_autofree char *json = g_strdup_printf ("{\"body\": \"loop\", \"replacement_room\": \"%s\"}", dm);
  DuetSession *session = NULL;
  DuetStartChatOutcome outcome = -1;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;

  /* A room that names itself as its replacement must not hang us. */
  tombstone = duet_test_json_object (json);
  g_free (duet_test_homeserver_send_event (f->server, dm, f->bob, "m.room.tombstone", "", tombstone));
  session = duet_test_session_start (f);

  room_id = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (room_id, ==, dm);
  g_assert_cmpint (outcome, ==, DUET_START_CHAT_REUSED);

  duet_test_session_stop (session);
}

/* --- Create -------------------------------------------------------------- */

static void
test_start_chat_creates_direct_room (DuetTestFixture *f,
                                     gconstpointer    data)
{
  DuetSession *session = duet_test_session_start (f);
  DuetStartChatOutcome outcome = -1;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  g_autofree char *again = NULL;
  g_autoptr(JsonObject) member = NULL;

  room_id = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_nonnull (room_id);
  g_assert_cmpint (outcome, ==, DUET_START_CHAT_CREATED);

  member = duet_test_homeserver_get_state (f->server, room_id, "m.room.member", f->bob);
  g_assert_nonnull (member);
  g_assert_cmpstr (json_object_get_string_member (member, "membership"), ==, "invite");
  g_assert_true (json_object_get_boolean_member (member, "is_direct"));
  g_assert_true (server_lists (f, f->bob, room_id));

  /* Once synced, it is simply the DM. */
  duet_test_session_settle (session);
  again = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, room_id);
  g_assert_cmpint (outcome, ==, DUET_START_CHAT_REUSED);
  g_assert_cmpuint (count_creates (f), ==, 1);

  duet_test_session_stop (session);
}

static void
test_start_chat_again_before_sync (DuetTestFixture *f,
                                   gconstpointer    data)
{
  DuetSession *session = duet_test_session_start (f);
  DuetStartChatOutcome outcome = -1;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  g_autofree char *again = NULL;

  /* No sync shows the new room: a second click must not make another. */
  duet_session_stop (session);
  room_id = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, DUET_START_CHAT_CREATED);
  g_assert_null (duet_session_lookup_room (session, room_id));

  again = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, room_id);
  g_assert_cmpint (outcome, ==, DUET_START_CHAT_REUSED);
  g_assert_cmpuint (count_creates (f), ==, 1);

  duet_test_session_stop (session);
}

static void
test_start_chat_double_click (DuetTestFixture *f,
                              gconstpointer    data)
{
  DuetSession *session = duet_test_session_start (f);
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  DuetStartChatOutcome outcome1 = -1, outcome2 = -1;
  g_autoptr(GError) error = NULL;
  g_autofree char *room1 = NULL;
  g_autofree char *room2 = NULL;

  duet_session_start_chat_async (session, f->bob, NULL, duet_test_result_cb, &first);
  duet_session_start_chat_async (session, f->bob, NULL, duet_test_result_cb, &second);
  room1 = duet_session_start_chat_finish (session, duet_test_wait (&first), &outcome1, &error);
  g_assert_no_error (error);
  room2 = duet_session_start_chat_finish (session, duet_test_wait (&second), &outcome2, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (room1, ==, room2);
  g_assert_cmpint (outcome1, ==, DUET_START_CHAT_CREATED);
  g_assert_cmpint (outcome2, ==, DUET_START_CHAT_CREATED);
  g_assert_cmpuint (count_creates (f), ==, 1);

  g_clear_object (&first);
  g_clear_object (&second);
  duet_test_session_stop (session);
}

static void
test_start_chat_answer_lost (DuetTestFixture *f,
                             gconstpointer    data)
{
  DuetSession *session = duet_test_session_start (f);
  DuetStartChatOutcome outcome = -1;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rooms = NULL;
  g_autofree char *room_id = NULL;
  guint rooms_before = duet_test_homeserver_count_rooms (f->server);

  /* The server makes the room, then the connection drops. */
  duet_test_homeserver_add_fault (f->server, "POST", CREATE_ROOM_PATH, 1, DUET_FAULT_DROP_AFTER, 0, 0, NULL);
  room_id = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, DUET_START_CHAT_CREATED);

  /* Never sent twice, and the one room made is the one reported. */
  g_assert_cmpuint (count_creates (f), ==, 1);
  g_assert_cmpuint (duet_test_homeserver_count_rooms (f->server), ==, rooms_before + 1);
  rooms = duet_test_homeserver_list_rooms (f->server, f->alice);
  g_assert_cmpuint (rooms->len, ==, 1);
  g_assert_cmpstr (rooms->pdata[0], ==, room_id);
  g_assert_true (server_lists (f, f->bob, room_id));

  duet_test_session_stop (session);
}

static void
test_start_chat_server_error_no_room (DuetTestFixture *f,
                                      gconstpointer    data)
{
  DuetSession *session = duet_test_session_start (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  gint64 start;

  /* An unclear failure that made nothing: after looking, the error. */
  _duet_session_set_start_chat_recovery_timeout (session, 1000);
  duet_test_homeserver_add_fault (f->server, "POST", CREATE_ROOM_PATH, 1, DUET_FAULT_STATUS, 500, 0, NULL);
  start = g_get_monotonic_time ();
  room_id = start_chat (session, f->bob, NULL, &error);
  g_assert_null (room_id);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_HTTP);
  g_assert_cmpint (duet_test_elapsed_ms (start), >=, 900);
  g_assert_cmpuint (count_creates (f), ==, 1);
  g_assert_null (duet_test_homeserver_get_account_data (f->server, f->alice, "m.direct"));

  duet_test_session_stop (session);
}

static void
test_start_chat_forbidden (DuetTestFixture *f,
                           gconstpointer    data)
{
  DuetSession *session = duet_test_session_start (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  guint rooms_before = duet_test_homeserver_count_rooms (f->server);
  gint64 start;

  duet_test_homeserver_add_fault (f->server, "POST", CREATE_ROOM_PATH, 1, DUET_FAULT_STATUS, 403, 0, NULL);
  start = g_get_monotonic_time ();
  room_id = start_chat (session, f->bob, NULL, &error);
  g_assert_null (room_id);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_FORBIDDEN);
  /* A clear refusal: reported at once, no waiting for a sync. */
  g_assert_cmpint (duet_test_elapsed_ms (start), <, 2000 * duet_test_time_scale ());
  g_assert_cmpuint (count_creates (f), ==, 1);
  g_assert_cmpuint (duet_test_homeserver_count_rooms (f->server), ==, rooms_before);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, NULL, M_DIRECT_PATH), ==, 0);
  g_assert_null (duet_test_homeserver_get_account_data (f->server, f->alice, "m.direct"));

  duet_test_session_stop (session);
}

static void
test_start_chat_bad_user (DuetTestFixture *f,
                          gconstpointer    data)
{
  DuetSession *session = duet_test_session_start (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;

  room_id = start_chat (session, "bob", NULL, &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  room_id = start_chat (session, f->alice, NULL, &error);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (count_creates (f), ==, 0);

  duet_test_session_stop (session);
}

/* What a lazy-loading sync shows of a DM: m.direct and our own member
 * event only (the partner has not spoken in the loaded timeline). */
static void
ingest_lazy_dm (DuetSession *session,
                const char  *room_id,
                gboolean     show_bob)
{
  const char *bob = show_bob ? "{\"type\": \"m.room.member\", \"state_key\": \"@bob:localhost\","
                               " \"sender\": \"@bob:localhost\", \"content\": {\"membership\": \"join\"}}," : "";
  g_autofree char *json = g_strdup_printf ("{\"next_batch\": \"lazy\","
    "\"account_data\": {\"events\": [{\"type\": \"m.direct\", \"content\": {\"@bob:localhost\": [\"%s\"]}}]},"
    "\"rooms\": {\"join\": {\"%s\": {\"state\": {\"events\": [%s"
    "  {\"type\": \"m.room.member\", \"state_key\": \"@alice:localhost\", \"sender\": \"@alice:localhost\","
    "   \"content\": {\"membership\": \"join\"}}]},"
    "  \"timeline\": {\"events\": [{\"type\": \"m.room.message\", \"sender\": \"@alice:localhost\","
    "   \"event_id\": \"$m\", \"origin_server_ts\": 5, \"content\": {\"body\": \"hi\"}}]}}}}}",
    room_id, room_id, bob);
  g_autoptr(JsonObject) response = duet_test_json_object (json);

  duet_session_ingest (session, response);
}

static void
test_start_chat_lazy_members_partner (DuetTestFixture *f,
                                      gconstpointer    data)
{
  g_autoptr(DuetSession) session = duet_session_new (f->client);
  g_autofree char *room_id = make_dm (f, TRUE);
  g_autofree char *chosen = NULL;
  g_autoptr(GError) error = NULL;
  DuetStartChatOutcome outcome;

  /* Bob is in the room, but the sync did not say so: the members read
   * before deciding finds him, and the DM is reused. */
  ingest_lazy_dm (session, room_id, FALSE);
  g_assert_null (duet_room_lookup_member (duet_session_lookup_room (session, room_id), f->bob));

  chosen = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, DUET_START_CHAT_REUSED);
  g_assert_cmpstr (chosen, ==, room_id);
  g_assert_cmpuint (count_creates (f), ==, 0);
  duet_test_finalize (g_steal_pointer (&session));
}

static void
test_start_chat_lazy_members_third (DuetTestFixture *f,
                                    gconstpointer    data)
{
  g_autoptr(DuetSession) session = duet_session_new (f->client);
  g_autofree char *room_id = make_dm (f, TRUE);
  g_autofree char *carol = duet_test_homeserver_add_user (f->server, "carol", "carol-password", "Carol");
  g_autofree char *chosen = NULL;
  g_autoptr(GError) error = NULL;
  DuetStartChatOutcome outcome;

  /* Carol joined quietly: the sync shows Bob but not her.  The members
   * read shows a group, which is not this DM. */
  duet_test_homeserver_invite (f->server, room_id, f->alice, carol, FALSE);
  duet_test_homeserver_join (f->server, room_id, carol);
  ingest_lazy_dm (session, room_id, TRUE);

  chosen = start_chat (session, f->bob, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, DUET_START_CHAT_CREATED);
  g_assert_cmpstr (chosen, !=, room_id);
  g_assert_cmpuint (count_creates (f), ==, 1);
  duet_test_finalize (g_steal_pointer (&session));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, DuetTestFixture, NULL, duet_test_fixture_setup, func, duet_test_fixture_teardown)

  ADD ("/start-chat/reuses-dm", test_start_chat_reuses_dm);
  ADD ("/start-chat/partner-invited", test_start_chat_partner_invited);
  ADD ("/start-chat/partner-left", test_start_chat_partner_left);
  ADD ("/start-chat/third-person", test_start_chat_third_person);
  ADD ("/start-chat/functional-member", test_start_chat_functional_member);
  ADD ("/start-chat/newest-activity", test_start_chat_newest_activity);
  ADD ("/start-chat/follows-tombstone", test_start_chat_follows_tombstone);
  ADD ("/start-chat/tombstone-cycle", test_start_chat_tombstone_cycle);
  ADD ("/start-chat/creates-direct-room", test_start_chat_creates_direct_room);
  ADD ("/start-chat/again-before-sync", test_start_chat_again_before_sync);
  ADD ("/start-chat/double-click", test_start_chat_double_click);
  ADD ("/start-chat/answer-lost", test_start_chat_answer_lost);
  ADD ("/start-chat/server-error-no-room", test_start_chat_server_error_no_room);
  ADD ("/start-chat/forbidden", test_start_chat_forbidden);
  ADD ("/start-chat/bad-user", test_start_chat_bad_user);
  ADD ("/start-chat/lazy-members-partner", test_start_chat_lazy_members_partner);
  ADD ("/start-chat/lazy-members-third", test_start_chat_lazy_members_third);

  return g_test_run ();
}
