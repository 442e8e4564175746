/* test-ui-window.c: the application shell, driven for real under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each test runs its own DuetApplication in this process (non-unique, an
 * id of its own) with a fresh data folder, against the test homeserver,
 * and works the widgets as a person would: typing, clicking, the menu's
 * actions.  The keyring is the real one test-env.sh unlocks.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "duet-application.h"
#include "duet-login-page.h"
#include "duet-room-placeholder.h"
#include "duet-secret-store.h"
#include "duet-sync-loop.h"
#include "duet-test-utils.h"
#include "duet-window.h"

typedef struct {
  DuetTestFixture  base;
  char            *data_dir;
  DuetApplication *app;
  DuetWindow      *window;
} UiFixture;

static guint app_serial;

static void
ui_setup (UiFixture     *f,
          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  duet_test_fixture_setup (&f->base, data);
  f->data_dir = g_dir_make_tmp ("duet-test-ui-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("DUET_DATA_DIR", f->data_dir, TRUE);
}

static void
start_app (UiFixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_strdup_printf ("io.github.duet_chat.Duet.Test%u", ++app_serial);

  f->app = duet_application_new (id, G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (f->app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (f->app));

  f->window = DUET_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (f->app)));
  g_assert_nonnull (f->window);
}

static void
stop_app (UiFixture *f)
{
  if (f->app == NULL)
    return;

  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = NULL;
  /* Let cancelled requests and the store's last jobs come back. */
  duet_test_run_for (100);
  g_clear_object (&f->app);
}

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

static void
ui_teardown (UiFixture     *f,
             gconstpointer  data)
{
  stop_app (f);
  g_unsetenv ("DUET_DATA_DIR");
  remove_tree (f->data_dir);
  g_clear_pointer (&f->data_dir, g_free);
  duet_test_fixture_teardown (&f->base, data);
}

/* --- Finding and driving widgets ---------------------------------------- */

static gpointer
window_child (UiFixture  *f,
              const char *id)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (f->window), DUET_TYPE_WINDOW, id);

  g_assert_nonnull (child);
  return child;
}

static gpointer
login_child (UiFixture  *f,
             const char *id)
{
  GObject *child = gtk_widget_get_template_child (window_child (f, "login_page"),
                                                  DUET_TYPE_LOGIN_PAGE, id);

  g_assert_nonnull (child);
  return child;
}

typedef struct {
  UiFixture  *f;
  const char *page;
} PageWait;

static gboolean
page_is_shown (gpointer data)
{
  PageWait *wait = data;
  GtkStack *stack = window_child (wait->f, "main_stack");

  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), wait->page) == 0;
}

static void
wait_for_page (UiFixture  *f,
               const char *page)
{
  PageWait wait = { f, page };

  if (!duet_test_wait_until (page_is_shown, &wait, DUET_TEST_TIMEOUT_MS))
    g_error ("the window shows “%s”, not “%s”",
             gtk_stack_get_visible_child_name (window_child (f, "main_stack")), page);
}

static gboolean
error_is_shown (gpointer data)
{
  return gtk_widget_get_visible (login_child (data, "error_label"));
}

static gboolean
session_is_online (gpointer data)
{
  UiFixture *f = data;
  DuetSession *session = duet_window_get_session (f->window);

  return session != NULL && duet_session_get_state (session) == DUET_SESSION_STATE_ONLINE;
}

static void
fill_in_and_sign_in (UiFixture  *f,
                     const char *user,
                     const char *password)
{
  gtk_editable_set_text (login_child (f, "server_row"), duet_test_homeserver_get_url (f->base.server));
  gtk_editable_set_text (login_child (f, "user_row"), user);
  gtk_editable_set_text (login_child (f, "password_row"), password);
  g_signal_emit_by_name (login_child (f, "sign_in_button"), "clicked");
}

static DuetStoredAccount *
load_stored_account (UiFixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DuetStoredAccount *account;

  duet_secret_store_load_async (f->data_dir, NULL, duet_test_result_cb, &result);
  account = duet_secret_store_load_finish (duet_test_wait (&result), &error);
  g_assert_no_error (error);
  return account;
}

/* Bob has a direct chat with Alice, listed in her m.direct. */
static char *
seed_contact (UiFixture *f)
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

/* --- Tests -------------------------------------------------------------- */

static void
test_sign_in_and_out (UiFixture     *f,
                      gconstpointer  data)
{
  g_autoptr(DuetStoredAccount) stored = NULL;
  g_autoptr(DuetStoredAccount) after = NULL;
  DuetSession *session;

  g_free (seed_contact (f));
  start_app (f);
  wait_for_page (f, "login");
  g_assert_false (gtk_widget_get_visible (login_child (f, "error_label")));

  fill_in_and_sign_in (f, "alice", DUET_TEST_ALICE_PASSWORD);
  g_assert_true (duet_login_page_get_busy (window_child (f, "login_page")));
  wait_for_page (f, "session");
  g_assert_true (duet_test_wait_until (session_is_online, f, DUET_TEST_TIMEOUT_MS));

  /* Signed in as Alice, Bob among the contacts, the page built on them. */
  session = duet_window_get_session (f->window);
  g_assert_cmpstr (duet_client_get_user_id (duet_session_get_client (session)), ==, f->base.alice);
  g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_contacts (session)), ==, 1);
  g_assert_nonnull (adw_bin_get_child (window_child (f, "contacts_bin")));
  g_assert_false (duet_login_page_get_busy (window_child (f, "login_page")));
  /* The password does not linger in the form. */
  g_assert_cmpstr (gtk_editable_get_text (login_child (f, "password_row")), ==, "");

  stored = load_stored_account (f);
  g_assert_nonnull (stored);
  g_assert_cmpstr (stored->user_id, ==, f->base.alice);
  g_assert_cmpstr (stored->homeserver, ==, duet_test_homeserver_get_url (f->base.server));

  /* Sign Out, as the main menu does it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.sign-out", NULL));
  wait_for_page (f, "login");
  g_assert_null (duet_window_get_session (f->window));
  g_assert_null (adw_bin_get_child (window_child (f, "contacts_bin")));
  after = load_stored_account (f);
  g_assert_null (after);
  /* The server let the device go too. */
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->base.server, "POST", "/_matrix/client/v3/logout"), ==, 1);
}

static void
test_wrong_password (UiFixture     *f,
                     gconstpointer  data)
{
  g_autoptr(DuetStoredAccount) stored = NULL;
  g_autoptr(GError) forbidden = g_error_new_literal (DUET_API_ERROR, DUET_API_ERROR_FORBIDDEN, "");
  g_autofree char *expected = duet_login_error_describe (forbidden, NULL);

  start_app (f);
  wait_for_page (f, "login");

  fill_in_and_sign_in (f, "alice", "not-her-password");
  g_assert_true (duet_test_wait_until (error_is_shown, f, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpstr (gtk_label_get_text (login_child (f, "error_label")), ==, expected);
  g_assert_true (page_is_shown (&(PageWait) { f, "login" }));
  g_assert_false (duet_login_page_get_busy (window_child (f, "login_page")));
  g_assert_true (gtk_widget_get_sensitive (login_child (f, "sign_in_button")));
  g_assert_null (duet_window_get_session (f->window));

  stored = load_stored_account (f);
  g_assert_null (stored);

  /* Trying again with the right one works from the same form. */
  gtk_editable_set_text (login_child (f, "password_row"), DUET_TEST_ALICE_PASSWORD);
  g_signal_emit_by_name (login_child (f, "sign_in_button"), "clicked");
  wait_for_page (f, "session");
  g_assert_false (gtk_widget_get_visible (login_child (f, "error_label")));
}

static void
test_reopens_signed_in (UiFixture     *f,
                        gconstpointer  data)
{
  DuetSession *session;

  g_free (seed_contact (f));
  start_app (f);
  wait_for_page (f, "login");
  fill_in_and_sign_in (f, "alice", DUET_TEST_ALICE_PASSWORD);
  g_assert_true (duet_test_wait_until (session_is_online, f, DUET_TEST_TIMEOUT_MS));
  stop_app (f);

  /* Next start: straight to the contacts, from the keyring and the cache,
   * before the server is even asked. */
  duet_test_homeserver_reset_counts (f->base.server);
  start_app (f);
  wait_for_page (f, "session");
  session = duet_window_get_session (f->window);
  g_assert_nonnull (session);
  g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_contacts (session)), ==, 1);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->base.server, "POST", "/_matrix/client/v3/login"), ==, 0);
  /* No waiting for "online": the sync resumes from the cached token, and
   * with nothing new the server holds that long-poll open. */
}

static void
test_soft_logout (UiFixture     *f,
                  gconstpointer  data)
{
  g_autoptr(DuetStoredAccount) stored = NULL;
  g_autoptr(DuetStoredAccount) renewed = NULL;
  g_autofree char *room_id = seed_contact (f);
  g_autofree char *event_id = NULL;
  guint synced = 0;
  DuetSession *session;

  start_app (f);
  wait_for_page (f, "login");
  fill_in_and_sign_in (f, "alice", DUET_TEST_ALICE_PASSWORD);
  g_assert_true (duet_test_wait_until (session_is_online, f, DUET_TEST_TIMEOUT_MS));
  stored = load_stored_account (f);

  /* No long-poll from here on: the test homeserver answers a /sync that
   * was already waiting when the token expired without the soft_logout
   * flag, while a new request gets it.  Bob's message ends the wait. */
  session = duet_window_get_session (f->window);
  duet_sync_loop_set_timeout (duet_session_get_sync_loop (session), 0);
  g_signal_connect_swapped (session, "synced", G_CALLBACK (count_cb), &synced);
  event_id = duet_test_homeserver_send_message (f->base.server, room_id, f->base.bob, "hi");
  g_assert_true (duet_test_wait_until (synced_twice, &synced, DUET_TEST_TIMEOUT_MS));
  g_signal_handlers_disconnect_by_data (session, &synced);

  /* The server ends the session but keeps the device: only the password
   * is asked, for the same user on the same server. */
  duet_test_homeserver_expire_tokens (f->base.server, f->base.alice, TRUE);
  wait_for_page (f, "login");
  g_assert_cmpstr (adw_status_page_get_title (login_child (f, "status_page")), ==, "Signed Out");
  g_assert_false (gtk_widget_get_sensitive (login_child (f, "user_row")));
  g_assert_false (gtk_widget_get_sensitive (login_child (f, "server_row")));
  g_assert_cmpstr (gtk_editable_get_text (login_child (f, "user_row")), ==, f->base.alice);

  gtk_editable_set_text (login_child (f, "password_row"), DUET_TEST_ALICE_PASSWORD);
  g_signal_emit_by_name (login_child (f, "sign_in_button"), "clicked");
  wait_for_page (f, "session");
  /* The cache was kept: Bob is there before the first sync answers. */
  session = duet_window_get_session (f->window);
  g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_contacts (session)), ==, 1);

  renewed = load_stored_account (f);
  g_assert_nonnull (renewed);
  g_assert_cmpstr (renewed->device_id, ==, stored->device_id);
  g_assert_cmpstr (renewed->access_token, !=, stored->access_token);
}

static gboolean
room_is_shown (gpointer data)
{
  UiFixture *f = data;

  return duet_room_placeholder_get_room (window_child (f, "room_placeholder")) != NULL;
}

static void
test_open_matrix_uri (UiFixture     *f,
                      gconstpointer  data)
{
  g_autofree char *room_id = seed_contact (f);
  g_autofree char *uri = g_strdup_printf ("matrix:u/%s?action=chat", f->base.bob + 1);
  g_autoptr(GFile) file = g_file_new_for_uri (uri);
  guint rooms;
  DuetRoom *room;

  /* The link comes before signing in (duet 'matrix:u/...' on a first run):
   * it waits for the first sync, so the existing chat is found, not doubled. */
  start_app (f);
  wait_for_page (f, "login");
  g_application_open (G_APPLICATION (f->app), &file, 1, "");
  rooms = duet_test_homeserver_count_rooms (f->base.server);
  fill_in_and_sign_in (f, "alice", DUET_TEST_ALICE_PASSWORD);

  g_assert_true (duet_test_wait_until (room_is_shown, f, DUET_TEST_TIMEOUT_MS));
  room = duet_room_placeholder_get_room (window_child (f, "room_placeholder"));
  g_assert_cmpstr (duet_room_get_id (room), ==, room_id);
  g_assert_cmpuint (duet_test_homeserver_count_rooms (f->base.server), ==, rooms);
  g_assert_cmpstr (adw_window_title_get_title (window_child (f, "room_title")), ==,
                   duet_room_get_name (room));
}

static gboolean
status_bar_is_shown (gpointer data)
{
  return gtk_revealer_get_reveal_child (window_child (data, "status_revealer"));
}

static gboolean
status_bar_is_hidden (gpointer data)
{
  return !status_bar_is_shown (data);
}

static void
test_offline_bar (UiFixture     *f,
                  gconstpointer  data)
{
  g_autofree char *room_id = seed_contact (f);
  g_autofree char *event_id = NULL;
  const char *text;
  guint synced = 0;
  DuetSession *session;

  start_app (f);
  wait_for_page (f, "login");
  fill_in_and_sign_in (f, "alice", DUET_TEST_ALICE_PASSWORD);
  g_assert_true (duet_test_wait_until (session_is_online, f, DUET_TEST_TIMEOUT_MS));
  g_assert_false (status_bar_is_shown (f));

  /* End the waiting long-poll, then fail the next two syncs with an error
   * the client does not retry itself: the loop goes offline and back. */
  session = duet_window_get_session (f->window);
  duet_sync_loop_set_timeout (duet_session_get_sync_loop (session), 0);
  duet_test_homeserver_add_fault (f->base.server, "GET", "/_matrix/client/v3/sync", 2,
                                  DUET_FAULT_STATUS, 400, 0, NULL);
  g_signal_connect_swapped (session, "synced", G_CALLBACK (count_cb), &synced);
  event_id = duet_test_homeserver_send_message (f->base.server, room_id, f->base.bob, "hi");

  g_assert_true (duet_test_wait_until (status_bar_is_shown, f, DUET_TEST_TIMEOUT_MS));
  text = gtk_label_get_text (window_child (f, "status_label"));
  g_assert_true (g_str_has_prefix (text, "Offline — retrying in ") || g_str_equal (text, "Reconnecting…"));

  g_assert_true (duet_test_wait_until (status_bar_is_hidden, f, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpint (duet_session_get_state (session), ==, DUET_SESSION_STATE_ONLINE);
  g_signal_handlers_disconnect_by_data (session, &synced);
}

static void
test_invite_policy_setting (UiFixture     *f,
                            gconstpointer  data)
{
  GSettings *settings;
  DuetSession *session;

  start_app (f);
  settings = duet_application_get_settings (f->app);
  g_settings_set_string (settings, "invite-policy", "never");
  wait_for_page (f, "login");
  fill_in_and_sign_in (f, "alice", DUET_TEST_ALICE_PASSWORD);
  wait_for_page (f, "session");

  /* The session starts with the setting and follows its changes. */
  session = duet_window_get_session (f->window);
  g_assert_cmpint (duet_session_get_invite_policy (session), ==, DUET_INVITE_POLICY_NEVER);
  g_settings_set_string (settings, "invite-policy", "always");
  g_assert_cmpint (duet_session_get_invite_policy (session), ==, DUET_INVITE_POLICY_ALWAYS);
  g_settings_reset (settings, "invite-policy");
  g_assert_cmpint (duet_session_get_invite_policy (session), ==, DUET_INVITE_POLICY_ASK);
}

static void
test_data_folder_in_use (UiFixture     *f,
                         gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DuetStore) other = NULL;

  /* Signed in once, then another Duet holds the data folder. */
  start_app (f);
  wait_for_page (f, "login");
  fill_in_and_sign_in (f, "alice", DUET_TEST_ALICE_PASSWORD);
  wait_for_page (f, "session");
  stop_app (f);

  duet_store_open_async (f->data_dir, NULL, duet_test_result_cb, &result);
  other = duet_store_open_finish (duet_test_wait (&result), &error);
  g_assert_no_error (error);

  start_app (f);
  wait_for_page (f, "locked");
  g_assert_null (duet_window_get_session (f->window));

  /* Once the other one lets go, Try Again opens the account. */
  duet_test_finalize (g_steal_pointer (&other));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.retry", NULL));
  wait_for_page (f, "session");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/ui/window/sign-in-and-out", UiFixture, NULL, ui_setup, test_sign_in_and_out, ui_teardown);
  g_test_add ("/ui/window/wrong-password", UiFixture, NULL, ui_setup, test_wrong_password, ui_teardown);
  g_test_add ("/ui/window/reopens-signed-in", UiFixture, NULL, ui_setup, test_reopens_signed_in, ui_teardown);
  g_test_add ("/ui/window/soft-logout", UiFixture, NULL, ui_setup, test_soft_logout, ui_teardown);

  g_test_add ("/ui/window/open-matrix-uri", UiFixture, NULL, ui_setup, test_open_matrix_uri, ui_teardown);

  g_test_add ("/ui/window/offline-bar", UiFixture, NULL, ui_setup, test_offline_bar, ui_teardown);
  g_test_add ("/ui/window/invite-policy-setting", UiFixture, NULL, ui_setup, test_invite_policy_setting, ui_teardown);
  g_test_add ("/ui/window/data-folder-in-use", UiFixture, NULL, ui_setup, test_data_folder_in_use, ui_teardown);

  return g_test_run ();
}
