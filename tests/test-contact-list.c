/* test-contact-list.c: the contact list follows a sync room by room, and
 * only the rows that change are notified
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Four DMs (bob, carol, dave, erin), each with its own last message, so
 * that the list is erin, dave, carol, bob.  Every case records each
 * items-changed and every notify:: of every contact while the server
 * sends one event, and checks that exactly the expected ones came, and
 * that a full rebuild afterwards finds nothing to change.
 */
#include "config.h"

#include "duet-contact-list.h"
#include "duet-session-private.h"
#include "duet-session-test-utils.h"

typedef struct {
  DuetTestFixture  base;
  char            *users[4];   /* bob, carol, dave, erin */
  char            *rooms[4];
  DuetSession     *session;
  GListModel      *contacts;
  GPtrArray       *changes;    /* "position,removed,added" */
  GHashTable      *notified;   /* "user id:property" → count */
  GPtrArray       *watched;    /* DuetContact */
} Fixture;

static const char * const names[] = { "bob", "carol", "dave", "erin" };

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *f)
{
  g_ptr_array_add (f->changes, g_strdup_printf ("%u,%u,%u", position, removed, added));
}

static void
notify_cb (DuetContact *contact,
           GParamSpec  *pspec,
           Fixture     *f)
{
  char *key = g_strdup_printf ("%s:%s", duet_contact_get_user_id (contact), pspec->name);
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (f->notified, key));

  g_hash_table_replace (f->notified, key, GUINT_TO_POINTER (count + 1));
}

static DuetContact *
contact_at (Fixture *f,
            guint    position)
{
  g_autoptr(DuetContact) contact = g_list_model_get_item (f->contacts, position);

  return contact;
}

static void
assert_order (Fixture    *f,
              const char *first,
              const char *second,
              const char *third,
              const char *fourth)
{
  const char *expected[] = { first, second, third, fourth };

  g_assert_cmpuint (g_list_model_get_n_items (f->contacts), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *user = g_strdup_printf ("@%s:localhost", expected[i]);

      g_assert_cmpstr (duet_contact_get_user_id (contact_at (f, i)), ==, user);
    }
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GString) direct = g_string_new ("{");
  g_autoptr(JsonObject) content = NULL;
  g_autoptr(JsonNode) node = NULL;

  duet_test_fixture_setup (&f->base, data);
  for (guint i = 0; i < 4; i++)
    {
      const char *invite[] = { f->base.alice, NULL };
      g_autofree char *display = g_strdup_printf ("%c%s", g_ascii_toupper (names[i][0]), names[i] + 1);

      f->users[i] = i == 0 ? g_strdup (f->base.bob)
                           : duet_test_homeserver_add_user (f->base.server, names[i], "password", display);
      f->rooms[i] = duet_test_homeserver_create_room (f->base.server, f->users[i], "trusted_private_chat",
                                                      invite, TRUE);
      duet_test_homeserver_join (f->base.server, f->rooms[i], f->base.alice);
      g_string_append_printf (direct, "%s\"%s\": [\"%s\"]", i > 0 ? ", " : "", f->users[i], f->rooms[i]);
    }
  g_string_append (direct, "}");
  node = json_from_string (direct->str, NULL);
  content = json_object_ref (json_node_get_object (node));
  duet_test_homeserver_set_account_data (f->base.server, f->base.alice, "m.direct", content);

  /* Each one newer than the last. */
  for (guint i = 0; i < 4; i++)
    {
      duet_test_run_for (3);
      g_free (duet_test_homeserver_send_message (f->base.server, f->rooms[i], f->users[i], "hello"));
    }

  f->session = duet_test_session_start (&f->base);
  f->contacts = duet_session_get_contacts (f->session);
  assert_order (f, "erin", "dave", "carol", "bob");

  f->changes = g_ptr_array_new_with_free_func (g_free);
  f->notified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  f->watched = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect (f->contacts, "items-changed", G_CALLBACK (items_changed_cb), f);
  for (guint i = 0; i < 4; i++)
    {
      DuetContact *contact = contact_at (f, i);

      g_signal_connect (contact, "notify", G_CALLBACK (notify_cb), f);
      g_ptr_array_add (f->watched, g_object_ref (contact));
    }
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_signal_handlers_disconnect_by_data (f->contacts, f);
  for (guint i = 0; i < f->watched->len; i++)
    g_signal_handlers_disconnect_by_data (f->watched->pdata[i], f);
  g_ptr_array_unref (f->watched);
  g_ptr_array_unref (f->changes);
  g_hash_table_unref (f->notified);
  duet_test_session_stop (f->session);
  for (guint i = 0; i < 4; i++)
    {
      g_free (f->users[i]);
      g_free (f->rooms[i]);
    }
  duet_test_fixture_teardown (&f->base, data);
}

typedef struct {
  DuetContact *contact;
  const char  *message;
} MessageWait;

static gboolean
has_message (gpointer data)
{
  MessageWait *wait = data;

  return g_strcmp0 (duet_contact_get_last_message (wait->contact), wait->message) == 0;
}

/* @user_index sends @body; returns once its contact shows it, and a few
 * more responses have passed (nothing else may follow). */
static void
send_and_wait (Fixture    *f,
               guint       user_index,
               const char *body)
{
  g_autofree char *user = g_strdup_printf ("@%s:localhost", names[user_index]);
  MessageWait wait = { duet_contact_list_lookup (DUET_CONTACT_LIST (f->contacts), user), body };

  duet_test_run_for (3);
  g_free (duet_test_homeserver_send_message (f->base.server, f->rooms[user_index], f->users[user_index], body));
  g_assert_true (duet_test_wait_until (has_message, &wait, DUET_TEST_TIMEOUT_MS));
  duet_test_session_settle (f->session);
}

static guint
notified (Fixture    *f,
          const char *name,
          const char *property)
{
  g_autofree char *key = g_strdup_printf ("@%s:localhost:%s", name, property);

  return GPOINTER_TO_UINT (g_hash_table_lookup (f->notified, key));
}

/* Only @name's contact notified anything. */
static void
assert_only_notified (Fixture    *f,
                      const char *name)
{
  g_autofree char *prefix = g_strdup_printf ("@%s:localhost:", name);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, f->notified);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_str_has_prefix (key, prefix))
      g_error ("unexpected notification %s", (const char *) key);
}

/* The incremental state is what a full rebuild computes. */
static void
assert_rebuild_agrees (Fixture *f)
{
  guint changes = f->changes->len;
  guint notifications = g_hash_table_size (f->notified);

  _duet_session_update_contacts (f->session);
  g_assert_cmpuint (f->changes->len, ==, changes);
  g_assert_cmpuint (g_hash_table_size (f->notified), ==, notifications);
}

static void
test_moves_to_top (Fixture       *f,
                   gconstpointer  data)
{
  send_and_wait (f, 1, "carol again");

  /* carol was third: out at 2, in at 0, and nothing else. */
  assert_order (f, "carol", "erin", "dave", "bob");
  g_assert_cmpuint (f->changes->len, ==, 2);
  g_assert_cmpstr (f->changes->pdata[0], ==, "2,1,0");
  g_assert_cmpstr (f->changes->pdata[1], ==, "0,0,1");
  assert_only_notified (f, "carol");
  g_assert_cmpuint (notified (f, "carol", "last-message"), ==, 1);
  g_assert_cmpuint (notified (f, "carol", "last-activity"), ==, 1);
  g_assert_cmpuint (notified (f, "carol", "name"), ==, 0);
  assert_rebuild_agrees (f);

  /* From the very end too. */
  send_and_wait (f, 0, "bob again");
  assert_order (f, "bob", "carol", "erin", "dave");
  g_assert_cmpuint (f->changes->len, ==, 4);
  g_assert_cmpstr (f->changes->pdata[2], ==, "3,1,0");
  g_assert_cmpstr (f->changes->pdata[3], ==, "0,0,1");
  assert_rebuild_agrees (f);
}

static void
test_stays_on_top (Fixture       *f,
                   gconstpointer  data)
{
  send_and_wait (f, 3, "erin again");

  /* erin was first already: no change to the list, one row notifies. */
  assert_order (f, "erin", "dave", "carol", "bob");
  g_assert_cmpuint (f->changes->len, ==, 0);
  assert_only_notified (f, "erin");
  g_assert_cmpuint (notified (f, "erin", "last-message"), ==, 1);
  g_assert_cmpuint (notified (f, "erin", "unread-count"), ==, 1);
  assert_rebuild_agrees (f);
}

static void
test_passes_neighbour (Fixture       *f,
                       gconstpointer  data)
{
  send_and_wait (f, 2, "dave again");

  /* Past its neighbour only: one change of those two rows. */
  assert_order (f, "dave", "erin", "carol", "bob");
  g_assert_cmpuint (f->changes->len, ==, 1);
  g_assert_cmpstr (f->changes->pdata[0], ==, "0,2,2");
  assert_only_notified (f, "dave");
  assert_rebuild_agrees (f);
}

typedef struct {
  DuetContact *contact;
  const char  *name;
} NameWait;

static gboolean
has_name (gpointer data)
{
  NameWait *wait = data;

  return g_strcmp0 (duet_contact_get_name (wait->contact), wait->name) == 0;
}

static void
test_name_twins (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(JsonObject) content = json_object_new ();
  DuetContact *bob = duet_contact_list_lookup (DUET_CONTACT_LIST (f->contacts), f->users[0]);
  g_autofree char *twin = g_strdup_printf ("Carol (%s)", f->users[0]);
  NameWait wait = { bob, twin };

  /* bob renames himself Carol: both Carols show their ids, nobody moves
   * (a state event is not a message) and nobody else notifies. */
  json_object_set_string_member (content, "membership", "join");
  json_object_set_string_member (content, "displayname", "Carol");
  g_free (duet_test_homeserver_send_event (f->base.server, f->rooms[0], f->users[0], "m.room.member",
                                           f->users[0], content));
  g_assert_true (duet_test_wait_until (has_name, &wait, DUET_TEST_TIMEOUT_MS));
  duet_test_session_settle (f->session);

  g_assert_cmpstr (duet_contact_get_name (duet_contact_list_lookup (DUET_CONTACT_LIST (f->contacts),
                                                                    f->users[1])),
                   ==, "Carol (@carol:localhost)");
  g_assert_cmpuint (notified (f, "bob", "name"), ==, 1);
  g_assert_cmpuint (notified (f, "carol", "name"), ==, 1);
  g_assert_cmpuint (notified (f, "dave", "name") + notified (f, "erin", "name"), ==, 0);
  assert_rebuild_agrees (f);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/duet/contact-list/moves-to-top", Fixture, NULL,
              fixture_setup, test_moves_to_top, fixture_teardown);
  g_test_add ("/duet/contact-list/stays-on-top", Fixture, NULL,
              fixture_setup, test_stays_on_top, fixture_teardown);
  g_test_add ("/duet/contact-list/passes-neighbour", Fixture, NULL,
              fixture_setup, test_passes_neighbour, fixture_teardown);
  g_test_add ("/duet/contact-list/name-twins", Fixture, NULL,
              fixture_setup, test_name_twins, fixture_teardown);

  return g_test_run ();
}
