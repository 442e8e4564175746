/* test-a11y.c: every control of the running window has a name, over AT-SPI
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The app runs in this process with GTK_A11Y=atspi (tests/meson.build) on
 * the test's private session bus, where D-Bus activation starts the
 * accessibility bus (at-spi-bus-launcher) and its registry.  For each
 * screen (sign-in, contacts with an invite, Start Chat, Preferences, the
 * invite question) tests/a11y-walk.py walks the tree as a screen reader
 * would see it and lists the controls; an unnamed one fails the test, and
 * so does a walk that found too few controls to be real.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "duet-application.h"
#include "duet-chat-view.h"
#include "duet-contact.h"
#include "duet-contacts-page.h"
#include "duet-login-page.h"
#include "duet-room-placeholder.h"
#include "duet-test-utils.h"
#include "duet-window.h"

typedef struct {
  DuetTestFixture  base;
  char            *data_dir;
  DuetApplication *app;
  DuetWindow      *window;
} Fixture;

static guint app_serial;

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
window_child (Fixture    *f,
              const char *id)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (f->window), DUET_TYPE_WINDOW, id);

  g_assert_nonnull (child);
  return child;
}

static gboolean
page_is (Fixture    *f,
         const char *name)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (window_child (f, "main_stack")), name) == 0;
}

static gboolean
login_is_shown (gpointer data)
{
  return page_is (data, "login");
}

static gboolean
session_is_online (gpointer data)
{
  Fixture *f = data;
  DuetSession *session = duet_window_get_session (f->window);

  return session != NULL && duet_session_get_state (session) == DUET_SESSION_STATE_ONLINE &&
         page_is (f, "session");
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *app_id = g_strdup_printf ("io.github.duet_chat.Duet.A11yTest%u", ++app_serial);

  duet_test_fixture_setup (&f->base, data);
  f->data_dir = g_dir_make_tmp ("duet-test-a11y-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("DUET_DATA_DIR", f->data_dir, TRUE);

  f->app = duet_application_new (app_id, G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (f->app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (f->app));
  f->window = DUET_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (f->app)));
  g_assert_nonnull (f->window);
  g_assert_true (duet_test_wait_until (login_is_shown, f, DUET_TEST_TIMEOUT_MS));
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  duet_test_run_for (100);
  g_clear_object (&f->app);
  g_unsetenv ("DUET_DATA_DIR");
  remove_tree (f->data_dir);
  g_clear_pointer (&f->data_dir, g_free);
  duet_test_fixture_teardown (&f->base, data);
}

/* Bob has a direct chat with Alice, and Carol invites her to one. */
static void
seed (Fixture *f)
{
  const char *invite[] = { f->base.alice, NULL };
  g_autofree char *carol = duet_test_homeserver_add_user (f->base.server, "carol", "carol-password", "Carol");
  g_autofree char *room_id = duet_test_homeserver_create_room (f->base.server, f->base.bob,
                                                               "trusted_private_chat", invite, TRUE);
  g_autofree char *invite_id = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) content = NULL;

  duet_test_homeserver_join (f->base.server, room_id, f->base.alice);
  g_free (duet_test_homeserver_send_message (f->base.server, room_id, f->base.bob, "Hi Alice"));
  json = g_strdup_printf ("{\"%s\": [\"%s\"]}", f->base.bob, room_id);
  content = duet_test_json_object (json);
  duet_test_homeserver_set_account_data (f->base.server, f->base.alice, "m.direct", content);
  invite_id = duet_test_homeserver_create_room (f->base.server, carol, "trusted_private_chat", invite, TRUE);
}

static void
sign_in (Fixture *f)
{
  duet_login_page_sign_in (window_child (f, "login_page"), duet_test_homeserver_get_url (f->base.server),
                           "alice", DUET_TEST_ALICE_PASSWORD);
  g_assert_true (duet_test_wait_until (session_is_online, f, DUET_TEST_TIMEOUT_MS));
  /* Let the rows be built and laid out before the walk. */
  duet_test_run_for (300);
}

/* Runs tests/a11y-walk.py on this process while the main loop answers its
 * AT-SPI calls; fails on any unnamed control and when fewer than
 * @min_controls were found.  Returns the walk's output. */
static char *
walk (guint min_controls)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "a11y-walk.py", NULL);
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
  const char *python = g_getenv ("DUET_A11Y_PYTHON");
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  guint controls = 0, unnamed = 0, listed_unnamed = 0;
  gboolean summary = FALSE;

  g_assert_nonnull (python);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error, python, script, pid, "20", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, duet_test_result_cb, &result);
  /* The walk makes many round trips: give it longer than one wait. */
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_subprocess_communicate_utf8_finish (process, result, &out, &err, &error));
  g_assert_no_error (error);

  if (err != NULL && *err != '\0')
    g_test_message ("a11y-walk.py said: %s", err);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);

  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "unnamed "))
        {
          g_test_message ("no accessible name: %s", lines[i] + 8);
          listed_unnamed++;
        }
      else if (sscanf (lines[i], "controls %u unnamed %u", &controls, &unnamed) == 2)
        {
          summary = TRUE;
        }
    }
  g_test_message ("a11y-walk.py:\n%s", out);
  g_test_message ("%u controls, %u unnamed", controls, unnamed);
  g_assert_true (summary);
  g_assert_cmpuint (listed_unnamed, ==, unnamed);
  g_assert_cmpuint (unnamed, ==, 0);
  g_assert_cmpuint (controls, >=, min_controls);
  return g_steal_pointer (&out);
}

static void
assert_has (const char *out,
            const char *line)
{
  if (strstr (out, line) == NULL)
    g_error ("the walk did not find “%s” in:\n%s", line, out);
}

/* --- Tests --------------------------------------------------------------- */

static void
test_login (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *out = walk (4);

  assert_has (out, "\"Main menu\"");
  assert_has (out, "\"Password\"");
}

static void
test_contacts (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *out = NULL;

  seed (f);
  sign_in (f);
  out = walk (5);
  assert_has (out, "\"Search contacts\"");
  assert_has (out, "\"Start chat\"");
  /* The rows say who they are. */
  assert_has (out, "Bob");
  assert_has (out, "Carol");
}

static gboolean
chat_loaded (gpointer data)
{
  DuetTimeline *timeline = duet_chat_view_get_timeline (data);

  return timeline != NULL && !duet_timeline_get_loading (timeline) &&
         g_list_model_get_n_items (G_LIST_MODEL (timeline)) > 0;
}

/* An open chat: header, menu, the timeline's rows, the composer. */
static void
test_chat (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *out = NULL;

  seed (f);
  sign_in (f);
  duet_window_start_chat (f->window, f->base.bob);
  g_assert_true (duet_test_wait_until (chat_loaded, window_child (f, "chat_view"), DUET_TEST_TIMEOUT_MS));
  duet_test_run_for (300);
  out = walk (8);
  assert_has (out, "Hi Alice");
}

static gboolean
a_dialog_is_shown (gpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (gtk_window_get_transient_for (window) != NULL && gtk_widget_get_mapped (GTK_WIDGET (window)))
        return TRUE;
    }
  return FALSE;
}

static void
test_start_chat_dialog (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *out = NULL;

  seed (f);
  sign_in (f);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.start-chat", NULL));
  g_assert_true (duet_test_wait_until (a_dialog_is_shown, NULL, DUET_TEST_TIMEOUT_MS));
  duet_test_run_for (300);
  out = walk (3);
  assert_has (out, "\"Search for a person\"");
  assert_has (out, "\"Cancel\"");
}

static void
test_preferences (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *out = NULL;

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "preferences", NULL);
  g_assert_true (duet_test_wait_until (a_dialog_is_shown, NULL, DUET_TEST_TIMEOUT_MS));
  duet_test_run_for (300);
  out = walk (2);
  assert_has (out, "\"New Messages and Invites\"");
  assert_has (out, "\"Ask Each Time\"");
}

static void
test_invite_dialog (Fixture       *f,
                    gconstpointer  data)
{
  DuetSession *session;
  g_autoptr(DuetRoom) invite = NULL;
  g_autofree char *out = NULL;

  seed (f);
  sign_in (f);
  session = duet_window_get_session (f->window);
  g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_invites (session)), ==, 1);
  invite = g_list_model_get_item (duet_session_get_invites (session), 0);
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "open-invite",
                                  g_variant_new_string (duet_room_get_id (invite)));
  g_assert_true (duet_test_wait_until (a_dialog_is_shown, NULL, DUET_TEST_TIMEOUT_MS));
  duet_test_run_for (300);
  out = walk (3);
  /* The answers, read without their mnemonic marks. */
  assert_has (out, "\"Accept as Direct Chat\"");
  assert_has (out, "\"Decline\"");
}

/* --- Keyboard ----------------------------------------------------------- */

/* Real key presses through the X server (XTest), as a keyboard gives them. */
static void
press_keys (const char *keys)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *command = g_strdup_printf ("xdotool key --delay 80 %s", keys);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  g_assert_true (g_shell_parse_argv (command, NULL, &argv, &error));
  process = g_subprocess_newv ((const char * const *) argv, G_SUBPROCESS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_subprocess_wait_check_async (process, NULL, duet_test_result_cb, &result);
  g_assert_true (g_subprocess_wait_check_finish (process, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  /* Let GTK take the last event in. */
  duet_test_run_for (200);
}

static gboolean
window_is_active (gpointer data)
{
  return gtk_window_is_active (data);
}

typedef struct {
  Fixture    *f;
  const char *room_id;
} RoomWait;

static gboolean
room_is_shown (gpointer data)
{
  RoomWait *wait = data;
  DuetRoom *room = duet_room_placeholder_get_room (window_child (wait->f, "room_placeholder"));

  return room != NULL && g_strcmp0 (duet_room_get_id (room), wait->room_id) == 0;
}

static const char *
contact_room_id (Fixture *f,
                 guint    position)
{
  GListModel *contacts = duet_session_get_contacts (duet_window_get_session (f->window));
  g_autoptr(DuetContact) contact = g_list_model_get_item (contacts, position);

  g_assert_nonnull (contact);
  g_assert_nonnull (duet_contact_get_room (contact));
  return duet_room_get_id (duet_contact_get_room (contact));
}

static gpointer
contacts_child (Fixture    *f,
                const char *id)
{
  GtkWidget *page = adw_bin_get_child (window_child (f, "contacts_bin"));

  g_assert_true (DUET_IS_CONTACTS_PAGE (page));
  return gtk_widget_get_template_child (page, DUET_TYPE_CONTACTS_PAGE, id);
}

static gboolean
focus_in_list (gpointer data)
{
  Fixture *f = data;
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));

  return focus != NULL && gtk_widget_is_ancestor (focus, contacts_child (f, "list_view"));
}

static void
test_keyboard_contacts (Fixture       *f,
                        gconstpointer  data)
{
  const char *invite[] = { f->base.alice, NULL };
  g_autofree char *carol = duet_test_homeserver_add_user (f->base.server, "carol", "carol-password", "Carol");
  g_autofree char *bob_room = duet_test_homeserver_create_room (f->base.server, f->base.bob,
                                                                "trusted_private_chat", invite, TRUE);
  g_autofree char *carol_room = duet_test_homeserver_create_room (f->base.server, carol,
                                                                  "trusted_private_chat", invite, TRUE);
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) content = NULL;
  RoomWait wait = { f, NULL };

  duet_test_homeserver_join (f->base.server, bob_room, f->base.alice);
  duet_test_homeserver_join (f->base.server, carol_room, f->base.alice);
  json = g_strdup_printf ("{\"%s\": [\"%s\"], \"%s\": [\"%s\"]}",
                          f->base.bob, bob_room, carol, carol_room);
  content = duet_test_json_object (json);
  duet_test_homeserver_set_account_data (f->base.server, f->base.alice, "m.direct", content);
  sign_in (f);
  g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_contacts (duet_window_get_session (f->window))), ==, 2);

  gtk_window_present (GTK_WINDOW (f->window));
  g_assert_true (duet_test_wait_until (window_is_active, f->window, DUET_TEST_TIMEOUT_MS));

  /* From the search: Tab reaches the list, Enter opens the first person. */
  gtk_widget_grab_focus (contacts_child (f, "search_entry"));
  press_keys ("Tab");
  g_assert_true (duet_test_wait_until (focus_in_list, f, DUET_TEST_TIMEOUT_MS));
  press_keys ("Return");
  wait.room_id = contact_room_id (f, 0);
  g_assert_true (duet_test_wait_until (room_is_shown, &wait, DUET_TEST_TIMEOUT_MS));

  /* From the search again: Down enters the list, Down moves to the
   * second person, Enter opens that chat. */
  gtk_widget_grab_focus (contacts_child (f, "search_entry"));
  press_keys ("Down Down Return");
  wait.room_id = contact_room_id (f, 1);
  g_assert_true (duet_test_wait_until (room_is_shown, &wait, DUET_TEST_TIMEOUT_MS));
}


static GtkWidget *
chat_list_view (Fixture *f)
{
  GObject *list = gtk_widget_get_template_child (window_child (f, "chat_view"), DUET_TYPE_CHAT_VIEW, "timeline_list");

  g_assert_nonnull (list);
  return GTK_WIDGET (list);
}

/* The row of the timeline that has the focus, or NULL. */
static GtkWidget *
focused_chat_row (Fixture *f)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));
  GtkWidget *list = chat_list_view (f);

  while (focus != NULL && gtk_widget_get_parent (focus) != list)
    focus = gtk_widget_get_parent (focus);
  return focus;
}

static gboolean
focus_in_chat_list (gpointer data)
{
  return focused_chat_row (data) != NULL;
}

/* The timeline by keyboard alone: from the composer, Shift+Tab reaches the
 * messages and the arrow keys walk them. */
static void
test_keyboard_chat (Fixture       *f,
                    gconstpointer  data)
{
  GtkWidget *composer, *first, *second;

  seed (f);
  sign_in (f);
  gtk_window_present (GTK_WINDOW (f->window));
  g_assert_true (duet_test_wait_until (window_is_active, f->window, DUET_TEST_TIMEOUT_MS));
  duet_window_start_chat (f->window, f->base.bob);
  g_assert_true (duet_test_wait_until (chat_loaded, window_child (f, "chat_view"), DUET_TEST_TIMEOUT_MS));
  duet_test_run_for (300);

  composer = GTK_WIDGET (gtk_widget_get_template_child (window_child (f, "chat_view"), DUET_TYPE_CHAT_VIEW,
                                                        "composer"));
  gtk_widget_grab_focus (composer);
  for (guint i = 0; i < 4 && !focus_in_chat_list (f); i++)
    press_keys ("shift+Tab");
  g_assert_true (focus_in_chat_list (f));
  first = focused_chat_row (f);
  /* Whichever end it came in at, one arrow walks on and the other back. */
  press_keys ("Up");
  second = focused_chat_row (f);
  if (second == first)
    {
      press_keys ("Down");
      second = focused_chat_row (f);
      g_assert_nonnull (second);
      g_assert_true (second != first);
      press_keys ("Up");
    }
  else
    press_keys ("Down");
  g_assert_true (focused_chat_row (f) == first);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/a11y/login", Fixture, NULL, setup, test_login, teardown);
  g_test_add ("/a11y/contacts", Fixture, NULL, setup, test_contacts, teardown);
  g_test_add ("/a11y/start-chat-dialog", Fixture, NULL, setup, test_start_chat_dialog, teardown);
  g_test_add ("/a11y/preferences", Fixture, NULL, setup, test_preferences, teardown);
  g_test_add ("/a11y/invite-dialog", Fixture, NULL, setup, test_invite_dialog, teardown);
  g_test_add ("/a11y/chat", Fixture, NULL, setup, test_chat, teardown);
  g_test_add ("/a11y/keyboard-chat", Fixture, NULL, setup, test_keyboard_chat, teardown);
  g_test_add ("/a11y/keyboard-contacts", Fixture, NULL, setup, test_keyboard_contacts, teardown);

  return g_test_run ();
}
