/* test-ui-single-instance.c: a second launch goes to the running Duet
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * This process runs Duet under its real application id on the test's
 * private session bus, signed in against the test homeserver; the built
 * `duet` program ($DUET) is then started as a second process, as a matrix:
 * link or the desktop file's action would start it.  It must hand its
 * request to this instance and exit at once with status 0.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "duet-application.h"
#include "duet-login-page.h"
#include "duet-room-placeholder.h"
#include "duet-start-chat-dialog.h"
#include "duet-test-utils.h"
#include "duet-window.h"

/* The second process only talks over D-Bus: it has no reason to linger. */
#define SECOND_LAUNCH_MAX_MS 5000

typedef struct {
  DuetTestFixture  base;
  char            *data_dir;
  DuetApplication *app;
  DuetWindow      *window;
  char            *room_id;
} Fixture;

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
login_is_shown (gpointer data)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (window_child (data, "main_stack")), "login") == 0;
}

static gboolean
session_is_online (gpointer data)
{
  Fixture *f = data;
  DuetSession *session = duet_window_get_session (f->window);

  return session != NULL && duet_session_get_state (session) == DUET_SESSION_STATE_ONLINE;
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) content = NULL;
  const char *invite_alice[] = { NULL, NULL };

  duet_test_fixture_setup (&f->base, data);
  f->data_dir = g_dir_make_tmp ("duet-test-single-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("DUET_DATA_DIR", f->data_dir, TRUE);

  /* Bob has a direct chat with Alice, listed in her m.direct. */
  invite_alice[0] = f->base.alice;
  f->room_id = duet_test_homeserver_create_room (f->base.server, f->base.bob,
                                                 "trusted_private_chat", invite_alice, TRUE);
  duet_test_homeserver_join (f->base.server, f->room_id, f->base.alice);
  json = g_strdup_printf ("{\"%s\": [\"%s\"]}", f->base.bob, f->room_id);
  content = duet_test_json_object (json);
  duet_test_homeserver_set_account_data (f->base.server, f->base.alice, "m.direct", content);

  /* The real id and flags, as main.c makes them: the bus is this test's. */
  f->app = duet_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS);
  g_application_register (G_APPLICATION (f->app), NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_application_get_is_remote (G_APPLICATION (f->app)));
  g_application_activate (G_APPLICATION (f->app));
  f->window = DUET_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (f->app)));
  g_assert_nonnull (f->window);

  g_assert_true (duet_test_wait_until (login_is_shown, f, DUET_TEST_TIMEOUT_MS));
  duet_login_page_sign_in (window_child (f, "login_page"), duet_test_homeserver_get_url (f->base.server),
                           "alice", DUET_TEST_ALICE_PASSWORD);
  g_assert_true (duet_test_wait_until (session_is_online, f, DUET_TEST_TIMEOUT_MS));
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
  g_clear_pointer (&f->room_id, g_free);
  duet_test_fixture_teardown (&f->base, data);
}

/* Runs `duet [ARG]` and checks it came back quickly with status 0, while
 * this process's main loop keeps serving its D-Bus calls. */
static void
launch_second (const char *arg)
{
  const char *duet = g_getenv ("DUET");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gint64 start = g_get_monotonic_time ();

  g_assert_nonnull (duet);
  /* With no argument, the list ends at arg. */
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, duet, arg, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (process, NULL, duet_test_result_cb, &result);
  g_assert_true (g_subprocess_wait_finish (process, duet_test_wait (&result), &error));
  g_assert_no_error (error);

  g_test_message ("duet %s exited after %" G_GINT64_FORMAT " ms", arg != NULL ? arg : "", duet_test_elapsed_ms (start));
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_cmpint (duet_test_elapsed_ms (start), <, SECOND_LAUNCH_MAX_MS);
}

static gboolean
room_is_shown (gpointer data)
{
  Fixture *f = data;
  DuetRoom *room = duet_room_placeholder_get_room (window_child (f, "room_placeholder"));

  return room != NULL && g_str_equal (duet_room_get_id (room), f->room_id);
}

static guint
count_windows (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint count = 0;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        count++;
    }
  return count;
}

static gboolean
start_chat_dialog_is_shown (gpointer data)
{
  return count_windows (DUET_TYPE_START_CHAT_DIALOG) == 1;
}

static void
test_user_link (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *uri = g_strdup_printf ("matrix:u/%s?action=chat", f->base.bob + 1);
  guint rooms = duet_test_homeserver_count_rooms (f->base.server);

  g_assert_false (room_is_shown (f));
  launch_second (uri);
  /* The running window opens the existing chat with Bob: no new room,
   * no second window. */
  g_assert_true (duet_test_wait_until (room_is_shown, f, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpuint (duet_test_homeserver_count_rooms (f->base.server), ==, rooms);
  g_assert_cmpuint (count_windows (DUET_TYPE_WINDOW), ==, 1);
}

static void
test_room_link (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *uri = g_strdup_printf ("matrix:roomid/%s?via=localhost", f->room_id + 1);

  launch_second (uri);
  g_assert_true (duet_test_wait_until (room_is_shown, f, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpuint (count_windows (DUET_TYPE_WINDOW), ==, 1);
}

static void
test_plain_launch_and_new_chat (Fixture       *f,
                                gconstpointer  data)
{
  /* A second plain launch only brings the window forward. */
  launch_second (NULL);
  g_assert_cmpuint (count_windows (DUET_TYPE_WINDOW), ==, 1);

  /* The desktop file's "New Chat" action, from the command line. */
  g_assert_false (start_chat_dialog_is_shown (NULL));
  launch_second ("--new-chat");
  g_assert_true (duet_test_wait_until (start_chat_dialog_is_shown, NULL, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpuint (count_windows (DUET_TYPE_WINDOW), ==, 1);
}

/* GApplication keeps its D-Bus objects exported until the process ends,
 * and each test needs the one real id: each test runs in a child. */
typedef void (*TestFunc) (Fixture *f, gconstpointer data);

static void
run_in_child (gconstpointer data)
{
  TestFunc func = (TestFunc) data;

  if (g_test_subprocess ())
    {
      Fixture f = { 0 };

      setup (&f, NULL);
      func (&f, NULL);
      teardown (&f, NULL);
      return;
    }

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/ui/single-instance/user-link", test_user_link, run_in_child);
  g_test_add_data_func ("/ui/single-instance/room-link", test_room_link, run_in_child);
  g_test_add_data_func ("/ui/single-instance/plain-launch-and-new-chat",
                        test_plain_launch_and_new_chat, run_in_child);

  return g_test_run ();
}
