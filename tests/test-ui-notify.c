/* test-ui-notify.c: notifications, through a fake notification server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The test owns org.freedesktop.Notifications on its private session bus
 * (test-env.sh gives each test one) from a connection of its own, records
 * every call GLib's freedesktop backend makes, and answers like a real
 * server.  The app runs in this process, signed in against the test
 * homeserver, and Bob's messages reach it through a real /sync.  Whether
 * the window is focused is real too: another window takes the focus.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "duet-application.h"
#include "duet-invite-dialog.h"
#include "duet-login-page.h"
#include "duet-notifier.h"
#include "duet-room-placeholder.h"
#include "duet-sync-loop.h"
#include "duet-test-utils.h"
#include "duet-window.h"

/* --- The fake notification server ---------------------------------------- */

static const char server_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.Notifications'>"
  "    <method name='Notify'>"
  "      <arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "      <arg type='s' direction='in'/><arg type='as' direction='in'/>"
  "      <arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "      <arg type='u' direction='out'/>"
  "    </method>"
  "    <method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "    <method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "    <method name='GetServerInformation'>"
  "      <arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "      <arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "    </method>"
  "    <signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>"
  "    <signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
  "  </interface>"
  "</node>";

typedef struct {
  guint32  id;           /* what Notify answered */
  guint32  replaces_id;
  char    *summary;
  char    *body;
  GStrv    actions;
} Notified;

static void
notified_free (Notified *n)
{
  g_free (n->summary);
  g_free (n->body);
  g_strfreev (n->actions);
  g_free (n);
}

typedef struct {
  GDBusConnection *connection;
  guint            registration_id;
  guint            owner_id;
  gboolean         owned;
  guint32          next_id;
  GPtrArray       *notified;   /* Notified, in call order */
  GArray          *closed;     /* guint32 ids of CloseNotification calls */
} FakeServer;

static void
fake_method_call (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  FakeServer *server = user_data;

  if (g_str_equal (method_name, "Notify"))
    {
      Notified *n = g_new0 (Notified, 1);
      g_autoptr(GVariant) hints = NULL;
      const char *app_name, *icon;
      gint32 timeout;

      g_variant_get (parameters, "(&su&sss^as@a{sv}i)", &app_name, &n->replaces_id, &icon,
                     &n->summary, &n->body, &n->actions, &hints, &timeout);
      g_assert_cmpstr (icon, ==, "");
      n->id = n->replaces_id != 0 ? n->replaces_id : ++server->next_id;
      g_ptr_array_add (server->notified, n);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", n->id));
    }
  else if (g_str_equal (method_name, "CloseNotification"))
    {
      guint32 id;

      g_variant_get (parameters, "(u)", &id);
      g_array_append_val (server->closed, id);
      g_dbus_method_invocation_return_value (invocation, NULL);
      g_dbus_connection_emit_signal (connection, NULL, "/org/freedesktop/Notifications",
                                     "org.freedesktop.Notifications", "NotificationClosed",
                                     g_variant_new ("(uu)", id, 3), NULL);
    }
  else if (g_str_equal (method_name, "GetCapabilities"))
    {
      const char *caps[] = { "actions", "body", "body-markup", NULL };

      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(^as)", caps));
    }
  else if (g_str_equal (method_name, "GetServerInformation"))
    {
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(ssss)", "fake", "Duet tests", "1", "1.2"));
    }
  else
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                             "no method %s", method_name);
    }
}

static const GDBusInterfaceVTable fake_vtable = { fake_method_call, NULL, NULL, { 0 } };

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  ((FakeServer *) user_data)->owned = TRUE;
}

static gboolean
server_owns_name (gpointer data)
{
  return ((FakeServer *) data)->owned;
}

static void
fake_server_start (FakeServer *server)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (server_xml, &error);
  g_autofree char *address = NULL;

  g_assert_no_error (error);
  server->notified = g_ptr_array_new_with_free_func ((GDestroyNotify) notified_free);
  server->closed = g_array_new (FALSE, FALSE, sizeof (guint32));

  /* A connection of its own, as a separate daemon would have. */
  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  server->connection = g_dbus_connection_new_for_address_sync (address,
                                                               G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                               G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                               NULL, NULL, &error);
  g_assert_no_error (error);
  server->registration_id = g_dbus_connection_register_object (server->connection,
                                                               "/org/freedesktop/Notifications",
                                                               info->interfaces[0], &fake_vtable,
                                                               server, NULL, &error);
  g_assert_no_error (error);
  server->owner_id = g_bus_own_name_on_connection (server->connection, "org.freedesktop.Notifications",
                                                   G_BUS_NAME_OWNER_FLAGS_NONE,
                                                   name_acquired_cb, NULL, server, NULL);
  g_assert_true (duet_test_wait_until (server_owns_name, server, DUET_TEST_TIMEOUT_MS));
}

static void
fake_server_stop (FakeServer *server)
{
  g_bus_unown_name (server->owner_id);
  g_dbus_connection_unregister_object (server->connection, server->registration_id);
  g_dbus_connection_close_sync (server->connection, NULL, NULL);
  g_clear_object (&server->connection);
  g_clear_pointer (&server->notified, g_ptr_array_unref);
  g_clear_pointer (&server->closed, g_array_unref);
}

static void
fake_server_invoke (FakeServer *server,
                    guint32     id,
                    const char *action)
{
  g_autoptr(GError) error = NULL;

  g_dbus_connection_emit_signal (server->connection, NULL, "/org/freedesktop/Notifications",
                                 "org.freedesktop.Notifications", "ActionInvoked",
                                 g_variant_new ("(us)", id, action), &error);
  g_assert_no_error (error);
}

/* --- Fixture ------------------------------------------------------------- */

typedef struct {
  DuetTestFixture  base;
  FakeServer       server;
  char            *data_dir;
  DuetApplication *app;
  DuetWindow      *window;
  GtkWindow       *other;     /* takes the focus away from Duet */
  char            *room_id;   /* Bob's direct chat with Alice */
} NotifyFixture;

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static gpointer
window_child (NotifyFixture *f,
              const char    *id)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (f->window), DUET_TYPE_WINDOW, id);

  g_assert_nonnull (child);
  return child;
}

static gboolean
session_is_online (gpointer data)
{
  NotifyFixture *f = data;
  DuetSession *session = duet_window_get_session (f->window);

  return session != NULL && duet_session_get_state (session) == DUET_SESSION_STATE_ONLINE;
}

/* Bob has a direct chat with Alice, listed in her m.direct. */
static char *
seed_contact (NotifyFixture *f)
{
  const char *invite[] = { f->base.alice, NULL };
  g_autofree char *room_id = duet_test_homeserver_create_room (f->base.server, f->base.bob,
                                                               "trusted_private_chat", invite, TRUE);
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) content = NULL;

  duet_test_homeserver_join (f->base.server, room_id, f->base.alice);
  json = g_strdup_printf ("{\"%s\": [\"%s\"]}", f->base.bob, room_id);
  content = duet_test_json_object (json);
  duet_test_homeserver_set_account_data (f->base.server, f->base.alice, "m.direct", content);
  return g_steal_pointer (&room_id);
}

static guint app_serial;

static gboolean
login_is_shown (gpointer data)
{
  GtkStack *stack = window_child (data, "main_stack");

  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), "login") == 0;
}

static void
sign_in (NotifyFixture *f)
{
  duet_login_page_sign_in (window_child (f, "login_page"), duet_test_homeserver_get_url (f->base.server),
                           "alice", DUET_TEST_ALICE_PASSWORD);
  g_assert_true (duet_test_wait_until (session_is_online, f, DUET_TEST_TIMEOUT_MS));
  /* No long-poll: each of Bob's messages comes with the next short sync. */
  duet_sync_loop_set_timeout (duet_session_get_sync_loop (duet_window_get_session (f->window)), 0);
}

static void
notify_setup (NotifyFixture *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *app_id = NULL;

  /* GLib would pick org.gtk.Notifications or the portal when they are
   * around: the freedesktop server is the one under test. */
  g_setenv ("GNOTIFICATION_BACKEND", "freedesktop", TRUE);

  duet_test_fixture_setup (&f->base, data);
  fake_server_start (&f->server);
  f->data_dir = g_dir_make_tmp ("duet-test-notify-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("DUET_DATA_DIR", f->data_dir, TRUE);
  f->room_id = seed_contact (f);

  /* An id per test: the last test's app may still be exported a moment. */
  app_id = g_strdup_printf ("io.github.duet_chat.Duet.NotifyTest%u", ++app_serial);
  f->app = duet_application_new (app_id, G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (f->app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (f->app));
  f->window = DUET_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (f->app)));
  g_assert_nonnull (f->window);

  g_assert_true (duet_test_wait_until (login_is_shown, f, DUET_TEST_TIMEOUT_MS));
  f->other = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_title (f->other, "Another program");

  /* A test that signs in itself says so. */
  if (g_strcmp0 (data, "signed-out") != 0)
    sign_in (f);
}

static void
notify_teardown (NotifyFixture *f,
                 gconstpointer  data)
{
  gtk_window_destroy (f->other);
  gtk_window_destroy (GTK_WINDOW (f->window));
  duet_test_run_for (100);
  g_clear_object (&f->app);
  fake_server_stop (&f->server);
  g_unsetenv ("DUET_DATA_DIR");
  remove_tree (f->data_dir);
  g_clear_pointer (&f->data_dir, g_free);
  g_clear_pointer (&f->room_id, g_free);
  duet_test_fixture_teardown (&f->base, data);
}

/* --- Helpers ------------------------------------------------------------- */

static gboolean
window_is_active (gpointer data)
{
  return gtk_window_is_active (data);
}

static gboolean
window_is_inactive (gpointer data)
{
  return !gtk_window_is_active (data);
}

/* Another window takes the focus, as when the user switches programs. */
static void
leave_window (NotifyFixture *f)
{
  gtk_window_present (f->other);
  g_assert_true (duet_test_wait_until (window_is_active, f->other, DUET_TEST_TIMEOUT_MS));
  g_assert_true (duet_test_wait_until (window_is_inactive, f->window, DUET_TEST_TIMEOUT_MS));
}

static void
return_to_window (NotifyFixture *f)
{
  gtk_window_present (GTK_WINDOW (f->window));
  g_assert_true (duet_test_wait_until (window_is_active, f->window, DUET_TEST_TIMEOUT_MS));
}

typedef struct {
  GPtrArray *array;
  guint      length;
} LengthWait;

static gboolean
has_length (gpointer data)
{
  LengthWait *wait = data;

  return wait->array->len >= wait->length;
}

static Notified *
wait_for_notify (NotifyFixture *f,
                 guint          count)
{
  LengthWait wait = { f->server.notified, count };

  if (!duet_test_wait_until (has_length, &wait, DUET_TEST_TIMEOUT_MS))
    g_error ("%u notifications sent, not %u", f->server.notified->len, count);
  return g_ptr_array_index (f->server.notified, count - 1);
}

static void
count_cb (guint *count)
{
  (*count)++;
}

static gboolean
synced_twice (gpointer data)
{
  return *(guint *) data >= 2;
}

/* Lets the session take two more syncs: the first may have been on its
 * way before the change the test waits for. */
static void
settle (NotifyFixture *f)
{
  DuetSession *session = duet_window_get_session (f->window);
  guint synced = 0;

  g_signal_connect_swapped (session, "synced", G_CALLBACK (count_cb), &synced);
  g_assert_true (duet_test_wait_until (synced_twice, &synced, DUET_TEST_TIMEOUT_MS));
  g_signal_handlers_disconnect_by_data (session, &synced);
  duet_test_run_for (50);
}

static void
send_from (NotifyFixture *f,
           const char    *sender,
           const char    *body)
{
  g_free (duet_test_homeserver_send_message (f->base.server, f->room_id, sender, body));
}

static gboolean
room_is_shown (gpointer data)
{
  NotifyFixture *f = data;
  DuetRoom *room = duet_room_placeholder_get_room (window_child (f, "room_placeholder"));

  return room != NULL && g_str_equal (duet_room_get_id (room), f->room_id);
}

static gboolean
closed_once (gpointer data)
{
  return ((GArray *) data)->len >= 1;
}

/* --- Tests --------------------------------------------------------------- */

static void
test_message_from_contact (NotifyFixture *f,
                           gconstpointer  data)
{
  Notified *n;

  leave_window (f);
  send_from (f, f->base.bob, "Are you free <b>tonight</b>?\nCall me");

  n = wait_for_notify (f, 1);
  g_assert_cmpstr (n->summary, ==, "Bob");
  /* One line, and escaped for servers that read markup in the body. */
  g_assert_cmpstr (n->body, ==, "Are you free &lt;b&gt;tonight&lt;/b&gt;? Call me");
  g_assert_cmpuint (n->replaces_id, ==, 0);
  /* The default action is there to open the chat. */
  g_assert_nonnull (n->actions);
  g_assert_cmpstr (n->actions[0], ==, "default");

  /* A newer message replaces it rather than piling up (once GLib has the
   * server's answer with the id to replace: give the reply a moment). */
  duet_test_run_for (200);
  send_from (f, f->base.bob, "Or tomorrow");
  n = wait_for_notify (f, 2);
  g_assert_cmpstr (n->body, ==, "Or tomorrow");
  g_assert_cmpuint (n->replaces_id, ==, ((Notified *) g_ptr_array_index (f->server.notified, 0))->id);

  /* A long message is cut short. */
  {
    g_autofree char *lines = g_strnfill (5000, 'a');

    send_from (f, f->base.bob, lines);
    n = wait_for_notify (f, 3);
    g_assert_cmpuint (g_utf8_strlen (n->body, -1), <=, 200);
  }
}

static void
test_no_notification (NotifyFixture *f,
                      gconstpointer  data)
{
  GSettings *settings = duet_application_get_settings (f->app);

  /* Our own message (from another device of Alice's): nothing. */
  leave_window (f);
  send_from (f, f->base.alice, "Sent from my phone");
  settle (f);
  g_assert_cmpuint (f->server.notified->len, ==, 0);

  /* The setting off: nothing either. */
  g_settings_set_boolean (settings, "notifications", FALSE);
  send_from (f, f->base.bob, "Hello?");
  settle (f);
  g_assert_cmpuint (f->server.notified->len, ==, 0);
  g_settings_reset (settings, "notifications");

  /* The window focused: the user sees the message already. */
  return_to_window (f);
  send_from (f, f->base.bob, "Hello again");
  settle (f);
  g_assert_cmpuint (f->server.notified->len, ==, 0);

  /* Proof that the same setup does notify once the window is left. */
  leave_window (f);
  send_from (f, f->base.bob, "Now?");
  g_assert_cmpstr (wait_for_notify (f, 1)->body, ==, "Now?");
}

static void
test_read_withdraws (NotifyFixture *f,
                     gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DuetSession *session = duet_window_get_session (f->window);
  DuetRoom *room;
  Notified *n;

  leave_window (f);
  send_from (f, f->base.bob, "Ping");
  n = wait_for_notify (f, 1);
  room = duet_session_lookup_room (session, f->room_id);
  g_assert_cmpuint (duet_room_get_unread_count (room), >, 0);
  /* GLib can only close what the server has given an id for. */
  duet_test_run_for (200);
  g_assert_cmpuint (f->server.closed->len, ==, 0);

  /* Read on this device (the chat view does this): the unread count
   * drops to 0 with the next sync, and the notification goes. */
  duet_session_mark_read_async (session, f->room_id, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_session_mark_read_finish (session, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_assert_true (duet_test_wait_until (closed_once, f->server.closed, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpuint (duet_room_get_unread_count (room), ==, 0);
  g_assert_cmpuint (g_array_index (f->server.closed, guint32, 0), ==, n->id);
}

static void
test_open_while_focused_withdraws (NotifyFixture *f,
                                   gconstpointer  data)
{
  Notified *n;

  leave_window (f);
  send_from (f, f->base.bob, "Ping");
  n = wait_for_notify (f, 1);

  duet_test_run_for (200);
  /* Back in Duet, the user opens the chat from the list. */
  return_to_window (f);
  g_assert_cmpuint (f->server.closed->len, ==, 0);
  duet_window_open_room (f->window, f->room_id);
  g_assert_true (duet_test_wait_until (closed_once, f->server.closed, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpuint (g_array_index (f->server.closed, guint32, 0), ==, n->id);
}

static void
test_activate_opens_chat (NotifyFixture *f,
                          gconstpointer  data)
{
  Notified *n;

  leave_window (f);
  g_assert_false (room_is_shown (f));
  send_from (f, f->base.bob, "Look at this");
  n = wait_for_notify (f, 1);

  duet_test_run_for (200);
  /* The user clicks the notification. */
  fake_server_invoke (&f->server, n->id, "default");
  g_assert_true (duet_test_wait_until (room_is_shown, f, DUET_TEST_TIMEOUT_MS));
  g_assert_true (duet_test_wait_until (window_is_active, f->window, DUET_TEST_TIMEOUT_MS));
}

static gboolean
invite_dialog_is_shown (gpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (DUET_IS_INVITE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return TRUE;
    }
  return FALSE;
}

static void
test_invite (NotifyFixture *f,
             gconstpointer  data)
{
  g_autofree char *carol = duet_test_homeserver_add_user (f->base.server, "carol", "carol-password", "Carol");
  const char *invite[] = { f->base.alice, NULL };
  g_autofree char *room_id = NULL;
  Notified *n;

  leave_window (f);
  room_id = duet_test_homeserver_create_room (f->base.server, carol, "trusted_private_chat", invite, TRUE);
  n = wait_for_notify (f, 1);
  g_assert_cmpstr (n->summary, ==, "Carol");
  g_assert_cmpstr (n->body, ==, "Invites you to a direct chat");

  duet_test_run_for (200);
  /* Clicking it asks about the invite. */
  g_assert_false (invite_dialog_is_shown (NULL));
  fake_server_invoke (&f->server, n->id, "default");
  g_assert_true (duet_test_wait_until (invite_dialog_is_shown, NULL, DUET_TEST_TIMEOUT_MS));
}

static void
test_invite_answered_withdraws (NotifyFixture *f,
                                gconstpointer  data)
{
  g_autofree char *carol = duet_test_homeserver_add_user (f->base.server, "carol", "carol-password", "Carol");
  const char *invite[] = { f->base.alice, NULL };
  g_autofree char *room_id = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DuetSession *session = duet_window_get_session (f->window);
  Notified *n;

  leave_window (f);
  room_id = duet_test_homeserver_create_room (f->base.server, carol, "trusted_private_chat", invite, TRUE);
  n = wait_for_notify (f, 1);
  duet_test_run_for (200);

  /* Declined from elsewhere (here: the model, as the dialog would): the
   * invite leaves the list and its notification goes. */
  duet_session_decline_invite_async (session, room_id, FALSE, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_session_decline_invite_finish (session, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_assert_true (duet_test_wait_until (closed_once, f->server.closed, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpuint (g_array_index (f->server.closed, guint32, 0), ==, n->id);
}

static void
test_focus_on_open_chat_withdraws (NotifyFixture *f,
                                   gconstpointer  data)
{
  Notified *n;

  /* The chat is open, but the user is in another program. */
  duet_window_open_room (f->window, f->room_id);
  leave_window (f);
  send_from (f, f->base.bob, "Still there?");
  n = wait_for_notify (f, 1);
  duet_test_run_for (200);

  /* Coming back to the window shows the message: the notification goes. */
  return_to_window (f);
  g_assert_true (duet_test_wait_until (closed_once, f->server.closed, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpuint (g_array_index (f->server.closed, guint32, 0), ==, n->id);
}

static void
test_first_sync_is_quiet (NotifyFixture *f,
                          gconstpointer  data)
{
  g_autofree char *carol = duet_test_homeserver_add_user (f->base.server, "carol", "carol-password", "Carol");
  const char *invite[] = { f->base.alice, NULL };
  g_autofree char *room_id = NULL;

  /* Old news: a message and an invite from before the first sign-in. */
  send_from (f, f->base.bob, "Sent last week");
  room_id = duet_test_homeserver_create_room (f->base.server, carol, "trusted_private_chat", invite, TRUE);

  /* Signed in from a script, the window in the background: the initial
   * sync brings them and says nothing. */
  leave_window (f);
  sign_in (f);
  g_assert_cmpuint (f->server.notified->len, ==, 0);

  /* What comes after it does, and only that. */
  send_from (f, f->base.bob, "Sent now");
  g_assert_cmpstr (wait_for_notify (f, 1)->body, ==, "Sent now");
  duet_test_run_for (200);
  g_assert_cmpuint (f->server.notified->len, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/ui/notify/message-from-contact", NotifyFixture, NULL,
              notify_setup, test_message_from_contact, notify_teardown);
  g_test_add ("/ui/notify/no-notification", NotifyFixture, NULL,
              notify_setup, test_no_notification, notify_teardown);
  g_test_add ("/ui/notify/read-withdraws", NotifyFixture, NULL,
              notify_setup, test_read_withdraws, notify_teardown);
  g_test_add ("/ui/notify/open-while-focused-withdraws", NotifyFixture, NULL,
              notify_setup, test_open_while_focused_withdraws, notify_teardown);
  g_test_add ("/ui/notify/activate-opens-chat", NotifyFixture, NULL,
              notify_setup, test_activate_opens_chat, notify_teardown);
  g_test_add ("/ui/notify/invite", NotifyFixture, NULL,
              notify_setup, test_invite, notify_teardown);

  g_test_add ("/ui/notify/first-sync-is-quiet", NotifyFixture, "signed-out",
              notify_setup, test_first_sync_is_quiet, notify_teardown);
  g_test_add ("/ui/notify/invite-answered-withdraws", NotifyFixture, NULL,
              notify_setup, test_invite_answered_withdraws, notify_teardown);
  g_test_add ("/ui/notify/focus-on-open-chat-withdraws", NotifyFixture, NULL,
              notify_setup, test_focus_on_open_chat_withdraws, notify_teardown);

  return g_test_run ();
}
