/* test-session.c: DuetSession, its rooms, invites and contacts, against the
 * test homeserver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every case drives a real session through its own sync loop: the server
 * changes (as bob, carol or alice's other device) and the model follows.
 */
#include "config.h"

#include "duet-contact-list.h"
#include "duet-session.h"
#include "duet-sync-loop.h"
#include "duet-test-utils.h"

#define SYNC_PATH "/_matrix/client/v3/sync"
#define ENCRYPTED_NOTICE "encrypted — not readable in Duet yet"

/* --- Helpers -------------------------------------------------------------- */

static DuetSession *
start_session (DuetTestFixture *f)
{
  DuetSession *session = duet_session_new (f->client);

  duet_sync_loop_set_timeout (duet_session_get_sync_loop (session), 200);
  duet_session_start (session);
  return session;
}

static void
finish_session (DuetSession *session)
{
  duet_session_stop (session);
  duet_test_finalize (session);
}

typedef struct {
  GListModel *model;
  guint       n_items;
} ItemsWait;

static gboolean
has_n_items (gpointer data)
{
  ItemsWait *wait = data;

  return g_list_model_get_n_items (wait->model) == wait->n_items;
}

static void
wait_n_items (GListModel *model,
              guint       n_items)
{
  ItemsWait wait = { model, n_items };

  if (!duet_test_wait_until (has_n_items, &wait, DUET_TEST_TIMEOUT_MS))
    g_error ("expected %u items, have %u", n_items, g_list_model_get_n_items (model));
}

typedef struct {
  GObject    *object;
  const char *property;
  const char *value;
} StringWait;

static gboolean
has_string (gpointer data)
{
  StringWait *wait = data;
  g_autofree char *value = NULL;

  g_object_get (wait->object, wait->property, &value, NULL);
  return g_strcmp0 (value, wait->value) == 0;
}

static void
wait_string (gpointer    object,
             const char *property,
             const char *value)
{
  StringWait wait = { object, property, value };

  if (!duet_test_wait_until (has_string, &wait, DUET_TEST_TIMEOUT_MS))
    g_error ("%s never became \"%s\"", property, value);
}

typedef struct {
  DuetSession      *session;
  DuetSessionState  state;
} StateWait;

static gboolean
has_state (gpointer data)
{
  StateWait *wait = data;

  return duet_session_get_state (wait->session) == wait->state;
}

static void
wait_state (DuetSession      *session,
            DuetSessionState  state)
{
  StateWait wait = { session, state };

  if (!duet_test_wait_until (has_state, &wait, DUET_TEST_TIMEOUT_MS))
    g_error ("state %d never became %d", duet_session_get_state (session), state);
}

typedef struct {
  DuetSession *session;
  const char  *room_id;
  DuetMembership membership;
} RoomWait;

static gboolean
has_room (gpointer data)
{
  RoomWait *wait = data;
  DuetRoom *room = duet_session_lookup_room (wait->session, wait->room_id);

  return room != NULL && duet_room_get_own_membership (room) == wait->membership;
}

static DuetRoom *
wait_room (DuetSession    *session,
           const char     *room_id,
           DuetMembership  membership)
{
  RoomWait wait = { session, room_id, membership };

  if (!duet_test_wait_until (has_room, &wait, DUET_TEST_TIMEOUT_MS))
    g_error ("room %s never reached membership %d", room_id, membership);
  return duet_session_lookup_room (session, room_id);
}

static DuetContact *
contact_at (DuetSession *session,
            guint        position)
{
  g_autoptr(DuetContact) contact = g_list_model_get_item (duet_session_get_contacts (session), position);

  /* The list keeps its own reference. */
  return contact;
}

/* A DM that @partner made with alice, joined by alice on another device. */
static char *
make_dm (DuetTestFixture *f,
         const char      *partner)
{
  const char *invite[] = { f->alice, NULL };
  char *room_id = duet_test_homeserver_create_room (f->server, partner, "trusted_private_chat",
                                                    invite, TRUE);

  duet_test_homeserver_join (f->server, room_id, f->alice);
  return room_id;
}

static void
set_direct (DuetTestFixture *f,
            const char      *json)
{
  g_autoptr(JsonObject) content = duet_test_json_object (json);

  duet_test_homeserver_set_account_data (f->server, f->alice, "m.direct", content);
}

static void
count_cb (gpointer  emitter,
          guint    *count)
{
  (*count)++;
}

static void
notify_count_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  guint      *count)
{
  (*count)++;
}

/* --- Cases ---------------------------------------------------------------- */

static void
test_session_initial_sync (DuetTestFixture *f,
                           gconstpointer    data)
{
  g_autofree char *room_id = make_dm (f, f->bob);
  g_autofree char *json = g_strdup_printf ("{\"%s\": [\"%s\"]}", f->bob, room_id);
  g_autofree char *event_id = NULL;
  DuetSession *session;
  DuetContact *contact;
  DuetRoom *room;
  guint synced = 0;

  set_direct (f, json);
  event_id = duet_test_homeserver_send_message (f->server, room_id, f->bob, "hello alice");

  session = start_session (f);
  g_signal_connect (session, "synced", G_CALLBACK (count_cb), &synced);
  g_assert_cmpint (duet_session_get_state (session), ==, DUET_SESSION_STATE_SYNCING);
  wait_n_items (duet_session_get_contacts (session), 1);
  g_assert_cmpuint (synced, >=, 1);
  g_assert_cmpint (duet_session_get_state (session), ==, DUET_SESSION_STATE_ONLINE);

  g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_rooms (session)), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_invites (session)), ==, 0);
  room = duet_session_lookup_room (session, room_id);
  g_assert_nonnull (room);
  g_assert_cmpint (duet_room_get_own_membership (room), ==, DUET_MEMBERSHIP_JOIN);
  g_assert_cmpstr (duet_room_get_name (room), ==, "Bob");
  g_assert_cmpstr (duet_room_get_last_message (room), ==, "hello alice");
  g_assert_cmpstr (duet_room_get_last_event_id (room), ==, event_id);
  g_assert_cmpuint (duet_room_get_unread_count (room), ==, 1);
  g_assert_false (duet_room_is_encrypted (room));
  g_assert_false (duet_room_has_gap (room));
  /* Alice joined on another device: the flag comes from the join's prev_content. */
  g_assert_true (duet_room_get_invite_is_direct (room));
  g_assert_cmpint (duet_member_get_membership (duet_room_lookup_member (room, f->bob)), ==,
                   DUET_MEMBERSHIP_JOIN);

  contact = contact_at (session, 0);
  g_assert_cmpstr (duet_contact_get_user_id (contact), ==, f->bob);
  g_assert_cmpstr (duet_contact_get_name (contact), ==, "Bob");
  g_assert_true (duet_contact_get_room (contact) == room);
  g_assert_cmpstr (duet_contact_get_last_message (contact), ==, "hello alice");
  g_assert_cmpint (duet_contact_get_last_activity (contact), ==, duet_room_get_last_activity (room));
  g_assert_cmpint (duet_contact_get_last_activity (contact), >, 0);
  g_assert_cmpuint (duet_contact_get_unread_count (contact), ==, 1);

  finish_session (session);
}

static void
test_session_direct_invite (DuetTestFixture *f,
                            gconstpointer    data)
{
  g_autofree char *carol = duet_test_homeserver_add_user (f->server, "carol", "carol-password", "Carol");
  const char *invite[] = { f->alice, NULL };
  g_autofree char *room_id = NULL;
  g_autofree char *plain_id = NULL;
  g_autofree char *json = NULL;
  DuetSession *session = start_session (f);
  GListModel *invites = duet_session_get_invites (session);
  DuetRoom *room;
  DuetRoom *plain;

  wait_state (session, DUET_SESSION_STATE_ONLINE);

  room_id = duet_test_homeserver_create_room (f->server, carol, "trusted_private_chat", invite, TRUE);
  room = wait_room (session, room_id, DUET_MEMBERSHIP_INVITE);
  g_assert_cmpuint (g_list_model_get_n_items (invites), ==, 1);
  g_assert_true (g_list_model_get_item (invites, 0) == (gpointer) room);
  g_object_unref (room);
  g_assert_cmpstr (duet_room_get_inviter (room), ==, carol);
  g_assert_true (duet_room_get_invite_is_direct (room));
  g_assert_cmpstr (duet_room_get_name (room), ==, "Carol");
  g_assert_cmpint (duet_room_get_last_activity (room), >, 0);

  /* A plain invite from bob: listed, newest first, not direct. */
  plain_id = duet_test_homeserver_create_room (f->server, f->bob, "private_chat", NULL, FALSE);
  duet_test_homeserver_invite (f->server, plain_id, f->bob, f->alice, FALSE);
  plain = wait_room (session, plain_id, DUET_MEMBERSHIP_INVITE);
  g_assert_cmpuint (g_list_model_get_n_items (invites), ==, 2);
  g_assert_false (duet_room_get_invite_is_direct (plain));
  g_assert_cmpstr (duet_room_get_inviter (plain), ==, f->bob);

  /* Carol's invite listed in m.direct makes her a contact through it. */
  json = g_strdup_printf ("{\"%s\": [\"%s\"]}", carol, room_id);
  set_direct (f, json);
  wait_n_items (duet_session_get_contacts (session), 1);
  g_assert_true (duet_contact_get_room (contact_at (session, 0)) == room);

  /* Accepted on another device: no longer an invite, still known as direct. */
  duet_test_homeserver_join (f->server, room_id, f->alice);
  wait_room (session, room_id, DUET_MEMBERSHIP_JOIN);
  wait_n_items (invites, 1);
  g_assert_true (duet_room_get_invite_is_direct (room));
  g_assert_cmpstr (duet_room_get_inviter (room), ==, carol);

  /* Declined: gone from the invites, kept as a left room. */
  duet_test_homeserver_leave (f->server, plain_id, f->alice);
  wait_n_items (invites, 0);
  g_assert_cmpint (duet_room_get_own_membership (plain), ==, DUET_MEMBERSHIP_LEAVE);

  finish_session (session);
}

static void
test_session_room_state (DuetTestFixture *f,
                         gconstpointer    data)
{
  g_autofree char *room_id = make_dm (f, f->bob);
  g_autofree char *new_id = NULL;
  g_autofree char *json = g_strdup_printf ("{\"%s\": [\"%s\"]}", f->bob, room_id);
  g_autoptr(JsonObject) name = duet_test_json_object ("{\"name\": \"Plans <b>&amp;</b>\"}");
  g_autoptr(JsonObject) encryption = duet_test_json_object ("{\"algorithm\": \"m.megolm.v1.aes-sha2\"}");
  g_autoptr(JsonObject) functional = duet_test_json_object (
    "{\"service_members\": [\"@helper:localhost\", 5, \"not a user\", null]}");
  g_autoptr(JsonObject) ciphertext = duet_test_json_object (
    "{\"algorithm\": \"m.megolm.v1.aes-sha2\", \"ciphertext\": \"AwgA\"}");
  g_auto(GStrv) service = NULL;
  DuetSession *session;
  DuetRoom *room;
  DuetRoom *new_room;

  set_direct (f, json);
  session = start_session (f);
  room = wait_room (session, room_id, DUET_MEMBERSHIP_JOIN);
  wait_n_items (duet_session_get_contacts (session), 1);

  g_free (duet_test_homeserver_send_event (f->server, room_id, f->bob, "m.room.name", "", name));
  g_free (duet_test_homeserver_send_event (f->server, room_id, f->bob,
                                           "io.element.functional_members", "", functional));
  g_free (duet_test_homeserver_send_event (f->server, room_id, f->bob, "m.room.encryption", "",
                                           encryption));
  g_free (duet_test_homeserver_send_event (f->server, room_id, f->bob, "m.room.encrypted", NULL,
                                           ciphertext));
  wait_string (room, "last-message", ENCRYPTED_NOTICE);

  /* The explicit name wins, as plain text. */
  g_assert_cmpstr (duet_room_get_name (room), ==, "Plans <b>&amp;</b>");
  g_assert_true (duet_room_is_encrypted (room));
  service = duet_room_dup_functional_members (room);
  g_assert_cmpuint (g_strv_length (service), ==, 1);
  g_assert_cmpstr (service[0], ==, "@helper:localhost");
  /* The contact is named after the person, not the room. */
  g_assert_cmpstr (duet_contact_get_name (contact_at (session, 0)), ==, "Bob");
  g_assert_cmpstr (duet_contact_get_last_message (contact_at (session, 0)), ==, ENCRYPTED_NOTICE);

  /* Bob upgrades the room; alice follows on another device. */
  new_id = duet_test_homeserver_upgrade_room (f->server, room_id, f->bob);
  wait_string (room, "replacement-room", new_id);
  duet_test_homeserver_join (f->server, new_id, f->alice);
  new_room = wait_room (session, new_id, DUET_MEMBERSHIP_JOIN);
  wait_string (new_room, "predecessor", room_id);
  /* m.direct still lists only the old room: the contact follows the tombstone. */
  g_assert_true (duet_contact_get_room (contact_at (session, 0)) == new_room);

  finish_session (session);
}

static void
test_session_live_update (DuetTestFixture *f,
                          gconstpointer    data)
{
  g_autofree char *carol = duet_test_homeserver_add_user (f->server, "carol", "carol-password", "Carol");
  g_autofree char *bob_room = make_dm (f, f->bob);
  g_autofree char *carol_room = make_dm (f, carol);
  g_autofree char *json = g_strdup_printf ("{\"%s\": [\"%s\"], \"%s\": [\"%s\"]}",
                                           f->bob, bob_room, carol, carol_room);
  GListModel *contacts;
  DuetSession *session;
  DuetContact *bob_contact;
  gint64 before;
  guint changed = 0, activity_notified = 0;

  set_direct (f, json);
  g_free (duet_test_homeserver_send_message (f->server, bob_room, f->bob, "older"));
  duet_test_run_for (5);
  g_free (duet_test_homeserver_send_message (f->server, carol_room, carol, "newer"));

  session = start_session (f);
  contacts = duet_session_get_contacts (session);
  wait_n_items (contacts, 2);
  g_assert_cmpstr (duet_contact_get_user_id (contact_at (session, 0)), ==, carol);
  bob_contact = contact_at (session, 1);
  g_assert_cmpstr (duet_contact_get_user_id (bob_contact), ==, f->bob);
  before = duet_contact_get_last_activity (bob_contact);

  g_signal_connect (contacts, "items-changed", G_CALLBACK (items_changed_cb), &changed);
  g_signal_connect (bob_contact, "notify::last-activity", G_CALLBACK (notify_count_cb),
                    &activity_notified);

  duet_test_run_for (5);
  g_free (duet_test_homeserver_send_message (f->server, bob_room, f->bob, "new from bob\nsecond line"));
  wait_string (bob_contact, "last-message", "new from bob second line");

  /* The same object moved to the top, with one change to the list. */
  g_assert_true (contact_at (session, 0) == bob_contact);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpuint (activity_notified, ==, 1);
  g_assert_cmpint (duet_contact_get_last_activity (bob_contact), >, before);
  g_assert_cmpuint (duet_contact_get_unread_count (bob_contact), ==, 2);

  g_signal_handlers_disconnect_by_data (contacts, &changed);
  g_signal_handlers_disconnect_by_data (bob_contact, &activity_notified);
  finish_session (session);
}

static void
test_session_direct_changes (DuetTestFixture *f,
                             gconstpointer    data)
{
  g_autofree char *carol = duet_test_homeserver_add_user (f->server, "carol", "carol-password", "Bob");
  g_autofree char *bob_room = make_dm (f, f->bob);
  g_autofree char *carol_room = make_dm (f, carol);
  g_autofree char *only_bob = g_strdup_printf ("{\"%s\": [\"%s\"]}", f->bob, bob_room);
  g_autofree char *both = g_strdup_printf ("{\"%s\": [\"%s\"], \"%s\": [\"%s\"], "
                                           "\"carol@example.org\": [\"%s\"]}",
                                           f->bob, bob_room, carol, carol_room, carol_room);
  g_autofree char *only_carol = g_strdup_printf ("{\"%s\": [\"%s\"]}", carol, carol_room);
  g_autofree char *expected = NULL;
  DuetSession *session;
  DuetContact *carol_contact;

  set_direct (f, only_bob);
  session = start_session (f);
  wait_n_items (duet_session_get_contacts (session), 1);
  g_assert_cmpstr (duet_contact_get_name (contact_at (session, 0)), ==, "Bob");

  /* Another device adds carol, whose display name is also "Bob". */
  set_direct (f, both);
  wait_n_items (duet_session_get_contacts (session), 2);
  carol_contact = duet_contact_list_lookup (DUET_CONTACT_LIST (duet_session_get_contacts (session)), carol);
  g_assert_nonnull (carol_contact);
  expected = g_strdup_printf ("Bob (%s)", carol);
  g_assert_cmpstr (duet_contact_get_name (carol_contact), ==, expected);

  /* ... and then removes bob: carol is "Bob" alone again. */
  set_direct (f, only_carol);
  wait_n_items (duet_session_get_contacts (session), 1);
  g_assert_true (contact_at (session, 0) == carol_contact);
  g_assert_cmpstr (duet_contact_get_name (carol_contact), ==, "Bob");

  finish_session (session);
}

typedef struct {
  DuetContact *contact;
  const char  *room_id;
} ContactRoomWait;

static gboolean
has_contact_room (gpointer data)
{
  ContactRoomWait *wait = data;
  DuetRoom *room = duet_contact_get_room (wait->contact);

  return room != NULL && g_strcmp0 (duet_room_get_id (room), wait->room_id) == 0;
}

static void
wait_contact_room (DuetContact *contact,
                   const char  *room_id)
{
  ContactRoomWait wait = { contact, room_id };

  if (!duet_test_wait_until (has_contact_room, &wait, DUET_TEST_TIMEOUT_MS))
    g_error ("the contact never moved to %s", room_id);
}

static void
test_session_contact_room_rule (DuetTestFixture *f,
                                gconstpointer    data)
{
  g_autofree char *carol = duet_test_homeserver_add_user (f->server, "carol", "carol-password", "Carol");
  g_autofree char *dm = make_dm (f, f->bob);
  g_autofree char *group = make_dm (f, f->bob);
  g_autofree char *json = g_strdup_printf ("{\"%s\": [\"%s\", \"%s\"]}", f->bob, dm, group);
  DuetSession *session;
  DuetContact *contact;

  /* The newer room has carol in it: a group, not the DM with bob. */
  duet_test_homeserver_invite (f->server, group, f->bob, carol, FALSE);
  duet_test_homeserver_join (f->server, group, carol);
  g_free (duet_test_homeserver_send_message (f->server, dm, f->bob, "just us"));
  duet_test_run_for (5);
  g_free (duet_test_homeserver_send_message (f->server, group, carol, "all of us"));
  set_direct (f, json);

  session = start_session (f);
  wait_n_items (duet_session_get_contacts (session), 1);
  contact = contact_at (session, 0);
  g_assert_cmpstr (duet_room_get_id (duet_contact_get_room (contact)), ==, dm);
  g_assert_cmpstr (duet_contact_get_last_message (contact), ==, "just us");

  /* Carol leaves: the group is a DM now, and the newest one. */
  duet_test_homeserver_leave (f->server, group, carol);
  wait_contact_room (contact, group);
  g_assert_cmpstr (duet_contact_get_last_message (contact), ==, "all of us");

  finish_session (session);
}

static void
test_session_gap_and_unread (DuetTestFixture *f,
                             gconstpointer    data)
{
  g_autofree char *room_id = make_dm (f, f->bob);
  g_autofree char *last = NULL;
  DuetSession *session;
  DuetRoom *room;

  for (guint i = 0; i < DUET_SYNC_LOOP_DEFAULT_TIMELINE_LIMIT + 5; i++)
    {
      g_autofree char *body = g_strdup_printf ("message %u", i);

      g_free (last);
      last = duet_test_homeserver_send_message (f->server, room_id, f->bob, body);
    }

  session = start_session (f);
  room = wait_room (session, room_id, DUET_MEMBERSHIP_JOIN);
  /* More than the timeline limit: the history before it is a gap. */
  g_assert_true (duet_room_has_gap (room));
  g_assert_cmpstr (duet_room_get_last_event_id (room), ==, last);
  g_assert_cmpuint (duet_room_get_unread_count (room), ==, DUET_SYNC_LOOP_DEFAULT_TIMELINE_LIMIT + 5);
  finish_session (session);
}

typedef struct {
  gboolean offline_seen;
  guint    retry_in_seen;
} StateLog;

static void
state_log_cb (DuetSession *session,
              GParamSpec  *pspec,
              StateLog    *log)
{
  if (duet_session_get_state (session) == DUET_SESSION_STATE_OFFLINE)
    {
      log->offline_seen = TRUE;
      log->retry_in_seen = MAX (log->retry_in_seen, duet_session_get_retry_in (session));
    }
}

static gboolean
offline_seen (gpointer data)
{
  return ((StateLog *) data)->offline_seen;
}

static void
test_session_offline_then_online (DuetTestFixture *f,
                                  gconstpointer    data)
{
  DuetSession *session = start_session (f);
  StateLog log = { FALSE, 0 };

  wait_state (session, DUET_SESSION_STATE_ONLINE);
  g_signal_connect (session, "notify::state", G_CALLBACK (state_log_cb), &log);
  g_signal_connect (session, "notify::retry-in", G_CALLBACK (state_log_cb), &log);

  /* The next long-poll (at most 200 ms away) meets a 502. */
  duet_test_homeserver_add_fault (f->server, "GET", SYNC_PATH, 1, DUET_FAULT_STATUS, 502, 0, NULL);
  if (!duet_test_wait_until (offline_seen, &log, DUET_TEST_TIMEOUT_MS))
    g_error ("the session never went offline");
  wait_state (session, DUET_SESSION_STATE_ONLINE);
  g_assert_true (log.offline_seen);
  g_assert_cmpuint (log.retry_in_seen, >, 0);
  g_assert_cmpuint (duet_session_get_retry_in (session), ==, 0);

  g_signal_handlers_disconnect_by_data (session, &log);
  finish_session (session);
}

static void
test_session_soft_logout (DuetTestFixture *f,
                          gconstpointer    data)
{
  DuetSession *session = start_session (f);

  wait_state (session, DUET_SESSION_STATE_ONLINE);
  duet_test_homeserver_expire_tokens (f->server, f->alice, TRUE);
  wait_state (session, DUET_SESSION_STATE_SOFT_LOGGED_OUT);

  /* Stopping after that says signed out. */
  finish_session (session);
}

static void
test_session_hard_logout (DuetTestFixture *f,
                          gconstpointer    data)
{
  DuetSession *session = start_session (f);

  wait_state (session, DUET_SESSION_STATE_ONLINE);
  duet_test_homeserver_expire_tokens (f->server, f->alice, FALSE);
  wait_state (session, DUET_SESSION_STATE_SIGNED_OUT);
  finish_session (session);
}

#define ADD(path, func) \
  g_test_add ("/session/" path, DuetTestFixture, NULL, \
              duet_test_fixture_setup, func, duet_test_fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("initial-sync", test_session_initial_sync);
  ADD ("direct-invite", test_session_direct_invite);
  ADD ("room-state", test_session_room_state);
  ADD ("live-update", test_session_live_update);
  ADD ("direct-changes", test_session_direct_changes);
  ADD ("contact-room-rule", test_session_contact_room_rule);
  ADD ("gap-and-unread", test_session_gap_and_unread);
  ADD ("offline-then-online", test_session_offline_then_online);
  ADD ("soft-logout", test_session_soft_logout);
  ADD ("hard-logout", test_session_hard_logout);

  return g_test_run ();
}
