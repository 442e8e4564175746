/* test-session-lean-start.c: the cached start reads only what the list needs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A start from the cache reads the store's lean snapshot: the members of a
 * large room stay in the store until they are needed.  These prove the
 * list is the same as from the whole cache, that a room m.direct names is
 * read whole before the list shows, and that opening a chat brings every
 * member and the whole cached history.
 */
#include "config.h"

#include <sqlite3.h>

#include "duet-contact.h"
#include "duet-contact-list.h"
#include "duet-room-private.h"
#include "duet-session.h"
#include "duet-session-private.h"
#include "duet-store-test-utils.h"
#include "duet-sync-loop.h"
#include "duet-test-utils.h"
#include "duet-timeline.h"

/* Above the store's small-room limit (16 member rows). */
#define GROUP_OTHERS 24
#define GROUP_MESSAGES 30

typedef struct {
  DuetTestFixture  base;
  char            *data_dir;
  char            *dm_room;      /* alice and bob, in m.direct */
  char            *group_room;   /* alice and GROUP_OTHERS people, not direct */
  char            *carol_room;   /* a large room m.direct lists under carol */
  char            *carol;
  char            *first_group_event;
  char            *last_group_event;
} Fixture;

static void
fill_room (Fixture    *f,
           const char *room_id,
           const char *prefix)
{
  for (guint i = 0; i < GROUP_OTHERS; i++)
    {
      g_autofree char *localpart = g_strdup_printf ("%s%u", prefix, i);
      g_autofree char *name = g_strdup_printf ("Member %s %u", prefix, i);
      g_autofree char *user = duet_test_homeserver_add_user (f->base.server, localpart, "pass", name);

      duet_test_homeserver_invite (f->base.server, room_id, f->base.alice, user, FALSE);
      duet_test_homeserver_join (f->base.server, room_id, user);
    }
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const char *invite_bob[] = { "@bob:localhost", NULL };
  const char *invite_carol[] = { "@carol:localhost", NULL };
  g_autoptr(JsonObject) direct = NULL;
  g_autofree char *json = NULL;

  duet_test_fixture_setup (&f->base, data);
  f->data_dir = store_test_make_data_dir ();
  f->carol = duet_test_homeserver_add_user (f->base.server, "carol", "pass", "Carol Cached");

  f->dm_room = duet_test_homeserver_create_room (f->base.server, f->base.alice, "trusted_private_chat",
                                                 invite_bob, TRUE);
  duet_test_homeserver_join (f->base.server, f->dm_room, f->base.bob);
  g_free (duet_test_homeserver_send_message (f->base.server, f->dm_room, f->base.bob, "hello from bob"));

  f->group_room = duet_test_homeserver_create_room (f->base.server, f->base.alice, "private_chat", NULL, FALSE);
  fill_room (f, f->group_room, "g");
  for (guint i = 0; i < GROUP_MESSAGES; i++)
    {
      g_autofree char *body = g_strdup_printf ("group message %u", i);
      char *event_id = duet_test_homeserver_send_message (f->base.server, f->group_room, f->base.alice, body);

      if (i == 0)
        f->first_group_event = event_id;
      else
        {
          g_free (f->last_group_event);
          f->last_group_event = event_id;
        }
    }

  /* Carol's only room with us is crowded: no DM by rule 3, but the list
   * still shows her through it, under her name there. */
  f->carol_room = duet_test_homeserver_create_room (f->base.server, f->base.alice, "private_chat",
                                                    invite_carol, FALSE);
  duet_test_homeserver_join (f->base.server, f->carol_room, f->carol);
  fill_room (f, f->carol_room, "c");
  g_free (duet_test_homeserver_send_message (f->base.server, f->carol_room, f->base.alice, "hi all"));

  json = g_strdup_printf ("{\"@bob:localhost\": [\"%s\"], \"@carol:localhost\": [\"%s\"]}",
                          f->dm_room, f->carol_room);
  direct = duet_test_json_object (json);
  duet_test_homeserver_set_account_data (f->base.server, f->base.alice, "m.direct", direct);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  store_test_remove_dir (f->data_dir);
  g_clear_pointer (&f->data_dir, g_free);
  g_clear_pointer (&f->dm_room, g_free);
  g_clear_pointer (&f->group_room, g_free);
  g_clear_pointer (&f->carol_room, g_free);
  g_clear_pointer (&f->carol, g_free);
  g_clear_pointer (&f->first_group_event, g_free);
  g_clear_pointer (&f->last_group_event, g_free);
  duet_test_fixture_teardown (&f->base, data);
}

static DuetSession *
new_session (Fixture   *f,
             DuetStore *store)
{
  DuetSession *session = duet_session_new (f->base.client);

  duet_session_set_store (session, store);
  duet_sync_loop_set_timeout (DUET_SYNC_LOOP (duet_session_get_sync_loop (session)), 100);
  return session;
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

static void
synced_cb (DuetSession *session,
           gboolean    *synced)
{
  *synced = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

/* One sync into a new cache, then the session and store closed. */
static void
fill_cache (Fixture *f)
{
  g_autoptr(DuetStore) store = store_test_open_ok (f->data_dir);
  g_autoptr(DuetSession) session = new_session (f, store);
  g_autoptr(JsonObject) flushed = NULL;
  gboolean synced = FALSE;
  gulong id;

  load_cache (session);
  id = g_signal_connect (session, "synced", G_CALLBACK (synced_cb), &synced);
  duet_session_start (session);
  g_assert_true (duet_test_wait_until (is_true, &synced, DUET_TEST_TIMEOUT_MS));
  duet_session_stop (session);
  g_signal_handler_disconnect (session, id);
  /* Waits until the store's worker has written what was queued. */
  flushed = store_test_load (store);
  duet_test_finalize (g_steal_pointer (&session));
  duet_test_finalize (g_steal_pointer (&store));
}

static guint
count_members (DuetRoom *room)
{
  g_autoptr(GPtrArray) members = duet_room_dup_members (room, DUET_MEMBERSHIP_JOIN);

  return members->len;
}

/* Contacts as text, one line each, to compare two lists whole. */
static char *
describe_contacts (DuetSession *session)
{
  GListModel *contacts = duet_session_get_contacts (session);
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (contacts); i++)
    {
      g_autoptr(DuetContact) contact = g_list_model_get_item (contacts, i);
      DuetRoom *room = duet_contact_get_room (contact);

      g_string_append_printf (text, "%s|%s|%s|%s|%" G_GINT64_FORMAT "|%u|%s\n",
                              duet_contact_get_user_id (contact), duet_contact_get_name (contact),
                              room != NULL ? duet_room_get_id (room) : "-",
                              duet_contact_get_last_message (contact),
                              duet_contact_get_last_activity (contact),
                              duet_contact_get_unread_count (contact),
                              duet_contact_get_avatar_url (contact));
    }
  return g_string_free (text, FALSE);
}

static int
compare_lines (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Every room as text, one line each in id order: what the list and its
 * rows read of a room, to compare two sessions whole.  A room whose
 * members @lean left in the store (a large group no m.direct names) is
 * named from its heroes until they are read: its name is left out. */
static char *
describe_rooms (DuetSession *session,
                DuetSession *lean)
{
  GListModel *rooms = duet_session_get_rooms (session);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (rooms); i++)
    {
      g_autoptr(DuetRoom) room = g_list_model_get_item (rooms, i);
      DuetRoom *lean_room = duet_session_lookup_room (lean, duet_room_get_id (room));
      gboolean partial = lean_room != NULL && _duet_room_get_members_partial (lean_room);

      const char *inviter = duet_room_get_inviter (room);
      GPtrArray *invites = inviter != NULL ? _duet_session_get_direct_invites_from (session, inviter) : NULL;
      /* The session's index of direct invites by inviter (rule 3). */
      gboolean indexed = invites != NULL && g_ptr_array_find (invites, room, NULL);

      g_ptr_array_add (lines, g_strdup_printf ("%s|%d|%s|%s|%" G_GINT64_FORMAT "|%u|%d|%s|%s|%s|%d|%d",
                                               duet_room_get_id (room), duet_room_get_own_membership (room),
                                               partial ? "-" : duet_room_get_name (room),
                                               duet_room_get_last_message (room),
                                               duet_room_get_last_activity (room),
                                               duet_room_get_unread_count (room),
                                               duet_room_is_encrypted (room),
                                               duet_room_get_replacement_room (room),
                                               duet_room_get_predecessor (room),
                                               inviter,
                                               duet_room_get_invite_is_direct (room),
                                               indexed));
    }
  g_ptr_array_sort (lines, compare_lines);
  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (text, "%s\n", (const char *) lines->pdata[i]);
  return g_string_free (text, FALSE);
}

static int stored_count (const char *data_dir,
                         const char *sql);

/* Runs a SQL script on the open cache from a connection of the test's
 * own (the store's worker may be writing: it waits its turn). */
static void
exec_on_cache (const char *data_dir,
               const char *sql)
{
  g_autofree char *path = g_build_filename (data_dir, "duet.sqlite", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* One lean start from @store: the rooms and the list as text. */
static void
lean_start (Fixture      *f,
            DuetStore    *store,
            DuetSession  *whole,
            char        **rooms,
            char        **contacts)
{
  g_autoptr(DuetSession) lean = new_session (f, store);

  load_cache (lean);
  *rooms = describe_rooms (lean, lean);
  *contacts = describe_contacts (lean);
  /* Which rooms the lean start read in part decides what is compared. */
  if (whole != NULL)
    {
      g_autofree char *whole_rooms = describe_rooms (whole, lean);

      g_assert_cmpstr (*rooms, ==, whole_rooms);
    }
  duet_test_finalize (g_steal_pointer (&lean));
}

/* A lean start from @store and the whole snapshot through the sync path
 * must give the same rooms and the same list, whether the start reads
 * each room's entry (room_start) or builds it, which it does when the
 * entry is missing: each way is run.  The list's text. */
static char *
assert_lean_as_whole (Fixture   *f,
                      DuetStore *store)
{
  g_autoptr(DuetSession) whole = new_session (f, NULL);
  g_autoptr(JsonObject) snapshot = NULL;
  g_autofree char *whole_contacts = NULL;
  g_autofree char *built_rooms = NULL, *built_contacts = NULL;
  g_autofree char *read_rooms = NULL, *read_contacts = NULL;
  g_autofree char *first_rooms = NULL;
  char *first_contacts;

  snapshot = store_test_load (store);
  g_assert_nonnull (snapshot);
  duet_session_ingest (whole, snapshot);
  whole_contacts = describe_contacts (whole);

  /* As the cache is (entries written or not, as the worker got to them). */
  lean_start (f, store, whole, &first_rooms, &first_contacts);
  g_assert_cmpstr (first_contacts, ==, whole_contacts);

  /* Every room's entry read. */
  store_test_write_entries_ok (store, "@alice:localhost");
  g_assert_cmpint (stored_count (f->data_dir, "SELECT count(*) FROM room_start"), ==,
                   stored_count (f->data_dir, "SELECT count(*) FROM rooms WHERE room_id NOT IN "
                                              "(SELECT room_id FROM outbox)"));
  lean_start (f, store, whole, &read_rooms, &read_contacts);
  g_assert_cmpstr (read_rooms, ==, first_rooms);
  g_assert_cmpstr (read_contacts, ==, whole_contacts);

  /* Every room's entry built. */
  exec_on_cache (f->data_dir, "DELETE FROM room_start");
  lean_start (f, store, whole, &built_rooms, &built_contacts);
  g_assert_cmpstr (built_rooms, ==, first_rooms);
  g_assert_cmpstr (built_contacts, ==, whole_contacts);

  duet_test_finalize (g_steal_pointer (&whole));
  return first_contacts;
}

static int
stored_count (const char *data_dir,
              const char *sql)
{
  g_autofree char *path = g_build_filename (data_dir, "duet.sqlite", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int count;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return count;
}

/* A version 2 cache (tests/store/v2.sql) migrates to the current version
 * (through state_fields, made and dropped): the start, built from its
 * rows, shows what the whole cache holds, and leaves its damaged member
 * row out as the whole snapshot does. */
static void
test_migrate_v2 (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->data_dir, "duet.sqlite", NULL);
  g_autofree char *dump_path = g_test_build_filename (G_TEST_DIST, "store", "v2.sql", NULL);
  g_autofree char *dump = NULL;
  g_autofree char *contacts = NULL;
  g_autoptr(GError) error = NULL;
  DuetStore *store;
  sqlite3 *db = NULL;

  g_file_get_contents (dump_path, &dump, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, dump, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = store_test_open_ok (f->data_dir);
  g_assert_false (duet_store_get_was_reset (store));
  contacts = assert_lean_as_whole (f, store);
  /* Bob under his new name, with his avatar, last message (the reaction
   * after it is the last activity) and unread count; Dave through the room that replaced the tombstoned one. */
  g_assert_nonnull (strstr (contacts, "@bob:localhost|Bobby Renamed|!dm:localhost|hello from v2|2100|3|"
                                      "mxc://localhost/bob2\n"));
  g_assert_nonnull (strstr (contacts, "@dave:localhost|Dave Upgraded|!new:localhost|after the upgrade|"));
  duet_test_finalize (store);

  g_assert_cmpint (stored_count (f->data_dir, "PRAGMA user_version"), ==, 7);
  g_assert_cmpint (stored_count (f->data_dir, "SELECT count(*) FROM sqlite_master "
                                              "WHERE name LIKE 'state_fields%'"), ==, 0);
  /* The damaged row is still cached, and no contact came of it. */
  g_assert_cmpint (stored_count (f->data_dir, "SELECT count(*) FROM room_state "
                                              "WHERE state_key = '@mallory:localhost'"), ==, 1);
  g_assert_null (strstr (contacts, "mallory"));
}

/* Saves after the first (a rename, an upgrade, an invite, a leave): the
 * lean start, built again from the changed rows, still shows what the
 * whole cache holds. */
static void
test_lean_as_whole_after_changes (Fixture       *f,
                                  gconstpointer  data)
{
  const char *invite_alice[] = { "@alice:localhost", NULL };
  const char *invite_dave[] = { "@dave:localhost", NULL };
  g_autoptr(JsonObject) rename = duet_test_json_object ("{\"membership\": \"join\", "
                                                        "\"displayname\": \"Bobby Renamed\"}");
  g_autofree char *dave = duet_test_homeserver_add_user (f->base.server, "dave", "pass", "Dave");
  g_autofree char *erin = duet_test_homeserver_add_user (f->base.server, "erin", "pass", "Erin");
  g_autofree char *old_room = NULL;
  g_autofree char *new_room = NULL;
  g_autofree char *left_room = NULL;
  g_autofree char *invite_room = NULL;
  g_autofree char *contacts = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) direct = NULL;
  g_autoptr(DuetStore) store = NULL;

  old_room = duet_test_homeserver_create_room (f->base.server, f->base.alice, "trusted_private_chat",
                                               invite_dave, TRUE);
  duet_test_homeserver_join (f->base.server, old_room, dave);
  g_free (duet_test_homeserver_send_message (f->base.server, old_room, dave, "before the upgrade"));
  left_room = duet_test_homeserver_create_room (f->base.server, f->base.alice, "private_chat", NULL, FALSE);
  json = g_strdup_printf ("{\"@bob:localhost\": [\"%s\"], \"@carol:localhost\": [\"%s\"], "
                          "\"@dave:localhost\": [\"%s\"]}", f->dm_room, f->carol_room, old_room);
  direct = duet_test_json_object (json);
  duet_test_homeserver_set_account_data (f->base.server, f->base.alice, "m.direct", direct);
  fill_cache (f);

  g_free (duet_test_homeserver_send_event (f->base.server, f->dm_room, f->base.bob, "m.room.member",
                                           f->base.bob, rename));
  g_free (duet_test_homeserver_send_message (f->base.server, f->dm_room, f->base.bob, "renamed"));
  new_room = duet_test_homeserver_upgrade_room (f->base.server, old_room, f->base.alice);
  duet_test_homeserver_invite (f->base.server, new_room, f->base.alice, dave, TRUE);
  duet_test_homeserver_join (f->base.server, new_room, dave);
  g_free (duet_test_homeserver_send_message (f->base.server, new_room, dave, "after the upgrade"));
  duet_test_homeserver_leave (f->base.server, left_room, f->base.alice);
  invite_room = duet_test_homeserver_create_room (f->base.server, erin, "trusted_private_chat",
                                                  invite_alice, TRUE);
  fill_cache (f);

  store = store_test_open_ok (f->data_dir);
  contacts = assert_lean_as_whole (f, store);
  g_assert_nonnull (strstr (contacts, "@bob:localhost|Bobby Renamed|"));
  g_assert_nonnull (strstr (contacts, "|after the upgrade|"));
  duet_test_finalize (g_steal_pointer (&store));
  g_assert_cmpint (stored_count (f->data_dir,
                                 "SELECT count(*) FROM room_state WHERE type = 'm.room.member' AND "
                                 "event ->> '$.content.displayname' = 'Bobby Renamed'"), ==, 1);
}

static void
test_list_as_from_whole_cache (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(DuetStore) store = NULL;
  g_autoptr(DuetSession) lean = NULL;
  g_autoptr(DuetSession) whole = NULL;
  g_autoptr(JsonObject) snapshot = NULL;
  g_autofree char *lean_text = NULL;
  g_autofree char *whole_text = NULL;
  DuetRoom *group;

  fill_cache (f);
  store = store_test_open_ok (f->data_dir);

  lean = new_session (f, store);
  load_cache (lean);
  /* The old way: every cached row, through the sync path. */
  whole = new_session (f, NULL);
  snapshot = store_test_load (store);
  duet_session_ingest (whole, snapshot);

  lean_text = describe_contacts (lean);
  whole_text = describe_contacts (whole);
  g_assert_cmpstr (lean_text, ==, whole_text);
  g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_contacts (lean)), ==, 2);

  /* The group was not read whole: we and the heroes, not its 25 people. */
  group = duet_session_lookup_room (lean, f->group_room);
  g_assert_nonnull (group);
  g_assert_cmpuint (count_members (group), <, GROUP_OTHERS);
  g_assert_nonnull (duet_room_lookup_member (group, f->base.alice));
  g_assert_cmpuint (count_members (duet_session_lookup_room (whole, f->group_room)), ==, GROUP_OTHERS + 1);
  g_assert_cmpstr (duet_room_get_last_message (group), ==, duet_room_get_last_message (
                     duet_session_lookup_room (whole, f->group_room)));
  g_assert_cmpint (duet_room_get_last_activity (group), ==, duet_room_get_last_activity (
                     duet_session_lookup_room (whole, f->group_room)));

  duet_test_finalize (g_steal_pointer (&lean));
  duet_test_finalize (g_steal_pointer (&whole));
  duet_test_finalize (g_steal_pointer (&store));
}

static void
test_direct_room_read_whole (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(DuetStore) store = NULL;
  g_autoptr(DuetSession) session = NULL;
  DuetContact *carol;
  DuetRoom *room;

  fill_cache (f);
  store = store_test_open_ok (f->data_dir);
  session = new_session (f, store);
  load_cache (session);

  /* m.direct names the crowded room: it was read whole before the list
   * showed, so Carol has her name there (she is no hero of it). */
  room = duet_session_lookup_room (session, f->carol_room);
  g_assert_cmpuint (count_members (room), ==, GROUP_OTHERS + 2);
  carol = duet_contact_list_lookup (DUET_CONTACT_LIST (duet_session_get_contacts (session)), f->carol);
  g_assert_nonnull (carol);
  g_assert_cmpstr (duet_contact_get_name (carol), ==, "Carol Cached");
  g_assert_true (duet_contact_get_room (carol) == room);

  duet_test_finalize (g_steal_pointer (&session));
  duet_test_finalize (g_steal_pointer (&store));
}

typedef struct {
  DuetSession *session;
  const char  *user_id;
  const char  *name;
} NameWait;

static gboolean
has_name (gpointer data)
{
  NameWait *wait = data;
  DuetContact *contact = duet_contact_list_lookup (DUET_CONTACT_LIST (duet_session_get_contacts (wait->session)),
                                                   wait->user_id);

  return contact != NULL && g_strcmp0 (duet_contact_get_name (contact), wait->name) == 0;
}

/* After the start, m.direct names a room read only in part (another
 * device marked it): its members are read, and the person shows under
 * their name there. */
static void
test_direct_named_later (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(DuetStore) store = NULL;
  g_autoptr(DuetSession) session = NULL;
  g_autoptr(JsonObject) direct = NULL;
  g_autofree char *json = NULL;
  g_autofree char *unread_user = NULL;
  g_autofree char *expected_name = NULL;
  DuetContact *contact;
  DuetRoom *group;
  gboolean synced = FALSE;
  gulong id;

  fill_cache (f);
  store = store_test_open_ok (f->data_dir);
  session = new_session (f, store);
  load_cache (session);

  /* Someone of the group whose member event the start left out. */
  group = duet_session_lookup_room (session, f->group_room);
  for (guint i = 0; i < GROUP_OTHERS && unread_user == NULL; i++)
    {
      g_autofree char *user = g_strdup_printf ("@g%u:localhost", i);

      if (duet_room_lookup_member (group, user) == NULL)
        {
          unread_user = g_steal_pointer (&user);
          expected_name = g_strdup_printf ("Member g %u", i);
        }
    }
  g_assert_nonnull (unread_user);

  json = g_strdup_printf ("{\"@bob:localhost\": [\"%s\"], \"@carol:localhost\": [\"%s\"], "
                          "\"%s\": [\"%s\"]}", f->dm_room, f->carol_room, unread_user, f->group_room);
  direct = duet_test_json_object (json);
  duet_test_homeserver_set_account_data (f->base.server, f->base.alice, "m.direct", direct);

  id = g_signal_connect (session, "synced", G_CALLBACK (synced_cb), &synced);
  duet_session_start (session);
  g_assert_true (duet_test_wait_until (is_true, &synced, DUET_TEST_TIMEOUT_MS));
  duet_session_stop (session);
  g_signal_handler_disconnect (session, id);

  /* The read of the store completes after the sync: wait for the name. */
  contact = duet_contact_list_lookup (DUET_CONTACT_LIST (duet_session_get_contacts (session)), unread_user);
  g_assert_nonnull (contact);
  {
    NameWait wait = { session, unread_user, expected_name };

    g_assert_true (duet_test_wait_until (has_name, &wait, DUET_TEST_TIMEOUT_MS));
  }
  g_assert_cmpuint (count_members (group), ==, GROUP_OTHERS + 1);

  duet_test_finalize (g_steal_pointer (&session));
  duet_test_finalize (g_steal_pointer (&store));
}

static void
test_open_chat_reads_rest (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(DuetStore) store = NULL;
  g_autoptr(DuetSession) session = NULL;
  g_autoptr(DuetTimeline) timeline = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name_before = NULL;
  g_autofree char *messages_path = NULL;
  DuetRoom *group;
  guint messages_before;
  g_autoptr(GAsyncResult) cached_result = NULL;
  g_autoptr(JsonObject) cached = NULL;
  JsonArray *cached_events;
  gboolean last = FALSE;

  fill_cache (f);
  store = store_test_open_ok (f->data_dir);
  session = new_session (f, store);
  load_cache (session);
  group = duet_session_lookup_room (session, f->group_room);
  g_assert_cmpuint (count_members (group), <, GROUP_OTHERS);
  name_before = g_strdup (duet_room_get_name (group));
  messages_path = g_strdup_printf ("/_matrix/client/v3/rooms/%s/messages", f->group_room);
  messages_before = duet_test_homeserver_count_requests (f->base.server, "GET", messages_path);

  timeline = duet_timeline_new (session, f->group_room);
  duet_timeline_load_async (timeline, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_timeline_load_finish (timeline, duet_test_wait (&result), &error));
  g_assert_no_error (error);

  /* Every member (the member list and names need them) ... */
  g_assert_cmpuint (count_members (group), ==, GROUP_OTHERS + 1);
  g_assert_nonnull (duet_room_lookup_member (group, "@g7:localhost"));
  g_assert_cmpstr (duet_member_get_display_name (duet_room_lookup_member (group, "@g7:localhost")), ==,
                   "Member g 7");
  /* ... so the name counts all of them, not the heroes alone. */
  g_assert_cmpstr (duet_room_get_name (group), !=, name_before);

  /* ... and the whole cached history (not only the newest message the
   * list read), from the cache alone. */
  duet_store_load_timeline_async (store, f->group_room, NULL, duet_test_result_cb, &cached_result);
  cached = duet_store_load_timeline_finish (store, duet_test_wait (&cached_result), &error);
  g_assert_no_error (error);
  cached_events = json_object_get_array_member (cached, "events");
  g_assert_cmpuint (json_array_get_length (cached_events), >, 10);
  for (guint i = 0; i < json_array_get_length (cached_events); i++)
    {
      const char *event_id = json_object_get_string_member (json_array_get_object_element (cached_events, i),
                                                            "event_id");
      gboolean found = FALSE;

      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (timeline)) && !found; j++)
        {
          g_autoptr(DuetTimelineItem) item = g_list_model_get_item (G_LIST_MODEL (timeline), j);

          found = g_strcmp0 (duet_timeline_item_get_event_id (item), event_id) == 0;
        }
      if (!found && !g_str_equal (json_object_get_string_member (json_array_get_object_element (cached_events, i),
                                                                 "type"), "m.room.member"))
        g_error ("cached event %s not in the open chat", event_id);
      if (g_strcmp0 (event_id, f->last_group_event) == 0)
        last = found;
    }
  g_assert_true (last);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->base.server, "GET", messages_path), ==,
                    messages_before);

  g_clear_object (&result);
  g_clear_object (&cached_result);
  duet_test_finalize (g_steal_pointer (&timeline));
  duet_test_finalize (g_steal_pointer (&session));
  duet_test_finalize (g_steal_pointer (&store));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/session-lean-start/list-as-from-whole-cache", Fixture, NULL,
              fixture_setup, test_list_as_from_whole_cache, fixture_teardown);
  g_test_add ("/session-lean-start/direct-room-read-whole", Fixture, NULL,
              fixture_setup, test_direct_room_read_whole, fixture_teardown);
  g_test_add ("/session-lean-start/direct-named-later", Fixture, NULL,
              fixture_setup, test_direct_named_later, fixture_teardown);
  g_test_add ("/session-lean-start/open-chat-reads-rest", Fixture, NULL,
              fixture_setup, test_open_chat_reads_rest, fixture_teardown);

  g_test_add ("/session-lean-start/migrate-v2", Fixture, NULL,
              fixture_setup, test_migrate_v2, fixture_teardown);
  g_test_add ("/session-lean-start/lean-as-whole-after-changes", Fixture, NULL,
              fixture_setup, test_lean_as_whole_after_changes, fixture_teardown);

  return g_test_run ();
}
