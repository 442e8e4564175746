/* test-ui-contacts.c: the contacts page, Start Chat and the invite dialog,
 * driven as a person would, against the test homeserver (under Xvfb)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Widgets are found in the tree by type and text, dialogs among the
 * toplevels; the outcome is checked on the homeserver (createRoom counts,
 * memberships, m.direct) and through the page's room-activated signal.
 */
#include "config.h"

#include <adwaita.h>

#include "duet-contact-row.h"
#include "duet-contacts-page.h"
#include "duet-invite-dialog.h"
#include "duet-session.h"
#include "duet-start-chat-dialog.h"
#include "duet-sync-loop.h"
#include "duet-test-utils.h"
#include "duet-ui-test-utils.h"

#define CREATE_ROOM_PATH "/_matrix/client/v3/createRoom"

typedef struct {
  DuetTestFixture   base;
  DuetSession      *session;
  GtkWindow        *window;
  DuetContactsPage *page;
  GPtrArray        *activated;   /* room ids from room-activated */
} UiFixture;

/* --- Finding widgets ------------------------------------------------------ */

/* The text a label or an inscription (the contact rows' name and message) shows. */
static const char *
shown_text (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    return gtk_label_get_text (GTK_LABEL (widget));
  if (GTK_IS_INSCRIPTION (widget))
    return gtk_inscription_get_text (GTK_INSCRIPTION (widget));
  return NULL;
}

static GtkWidget *
find_label (GtkWidget  *root,
            const char *text)
{
  if (g_strcmp0 (shown_text (root), text) == 0 && gtk_widget_get_mapped (root))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label (child, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A visible toplevel of exactly @type (AdwMessageDialog is not a
 * DuetInviteDialog, though the reverse is true). */
static GtkWindow *
find_toplevel (GType type)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (G_OBJECT_TYPE (l->data) == type && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

typedef struct {
  GtkWidget  *root;
  const char *text;
} LabelQuery;

static gboolean
label_shown (gpointer data)
{
  LabelQuery *query = data;

  return find_label (query->root, query->text) != NULL;
}

static void
assert_label_shown (GtkWidget  *root,
                    const char *text)
{
  LabelQuery query = { root, text };

  if (!duet_test_wait_until (label_shown, &query, DUET_TEST_TIMEOUT_MS))
    g_error ("no label \"%s\" appeared", text);
}

static gboolean
toplevel_shown (gpointer data)
{
  return find_toplevel (*(GType *) data) != NULL;
}

static GtkWindow *
wait_for_toplevel (GType type)
{
  if (!duet_test_wait_until (toplevel_shown, &type, DUET_TEST_TIMEOUT_MS))
    g_error ("no %s appeared", g_type_name (type));
  return find_toplevel (type);
}

static GListModel *
list_model (UiFixture *f)
{
  GtkWidget *list_view = duet_ui_test_find_widget (GTK_WIDGET (f->page), GTK_TYPE_LIST_VIEW);

  return G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (list_view)));
}

static const char *
stack_page (UiFixture *f)
{
  GtkWidget *stack = duet_ui_test_find_widget (GTK_WIDGET (f->page), GTK_TYPE_STACK);

  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

/* --- Session and homeserver helpers --------------------------------------- */

static void
count_cb (gpointer  emitter,
          guint    *count)
{
  (*count)++;
}

static gboolean
counted_twice (gpointer data)
{
  return *(guint *) data >= 2;
}

/* Two more sync responses: the first may have left before the change. */
static void
settle (UiFixture *f)
{
  guint synced = 0;
  gulong handler = g_signal_connect (f->session, "synced", G_CALLBACK (count_cb), &synced);

  g_assert_true (duet_test_wait_until (counted_twice, &synced, DUET_TEST_TIMEOUT_MS));
  g_signal_handler_disconnect (f->session, handler);
}

static void
set_m_direct (UiFixture  *f,
              const char *user_id,
              const char *room_id)
{
  g_autofree char *json = g_strdup_printf ("{\"%s\": [\"%s\"]}", user_id, room_id);
  g_autoptr(JsonObject) content = duet_test_json_object (json);

  duet_test_homeserver_set_account_data (f->base.server, f->base.alice, "m.direct", content);
}

static char *
make_dm (UiFixture  *f,
         const char *partner)
{
  const char *invite[] = { partner, NULL };
  char *room_id = duet_test_homeserver_create_room (f->base.server, f->base.alice,
                                                    "trusted_private_chat", invite, TRUE);

  duet_test_homeserver_join (f->base.server, room_id, partner);
  return room_id;
}

static gboolean
server_lists_direct (UiFixture  *f,
                     const char *user_id,
                     const char *room_id)
{
  g_autoptr(JsonObject) content = duet_test_homeserver_get_account_data (f->base.server, f->base.alice, "m.direct");
  JsonArray *rooms;

  if (content == NULL || !json_object_has_member (content, user_id))
    return FALSE;
  rooms = json_object_get_array_member (content, user_id);
  for (guint i = 0; rooms != NULL && i < json_array_get_length (rooms); i++)
    if (g_strcmp0 (json_array_get_string_element (rooms, i), room_id) == 0)
      return TRUE;
  return FALSE;
}

typedef struct {
  UiFixture  *f;
  const char *room_id;
  const char *user_id;
  const char *membership;
} MembershipQuery;

static gboolean
membership_reached (gpointer data)
{
  MembershipQuery *query = data;

  return g_strcmp0 (duet_test_homeserver_get_membership (query->f->base.server, query->room_id,
                                                         query->user_id), query->membership) == 0;
}

static void
wait_membership (UiFixture  *f,
                 const char *room_id,
                 const char *user_id,
                 const char *membership)
{
  MembershipQuery query = { f, room_id, user_id, membership };

  if (!duet_test_wait_until (membership_reached, &query, DUET_TEST_TIMEOUT_MS))
    g_error ("%s never got membership %s", user_id, membership);
}

static guint
count_creates (UiFixture *f)
{
  return duet_test_homeserver_count_requests (f->base.server, "POST", CREATE_ROOM_PATH);
}

static gboolean
activated_reached (gpointer data)
{
  UiFixture *f = data;

  return f->activated->len >= GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (f->page), "expect"));
}

static const char *
wait_activated (UiFixture *f,
                guint      count)
{
  g_object_set_data (G_OBJECT (f->page), "expect", GUINT_TO_POINTER (count));
  if (!duet_test_wait_until (activated_reached, f, DUET_TEST_TIMEOUT_MS))
    g_error ("room-activated was emitted %u times, not %u", f->activated->len, count);
  g_assert_cmpuint (f->activated->len, ==, count);
  return g_ptr_array_index (f->activated, count - 1);
}

static void
room_activated_cb (DuetContactsPage *page,
                   const char       *room_id,
                   UiFixture        *f)
{
  g_ptr_array_add (f->activated, g_strdup (room_id));
}

/* --- Fixture -------------------------------------------------------------- */

static void
ui_setup (UiFixture     *f,
          gconstpointer  data)
{
  duet_test_fixture_setup (&f->base, data);
  f->activated = g_ptr_array_new_with_free_func (g_free);

  f->session = duet_session_new (f->base.client);
  duet_sync_loop_set_timeout (duet_session_get_sync_loop (f->session), 200);
  duet_session_start (f->session);
  settle (f);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 400, 600);
  f->page = DUET_CONTACTS_PAGE (duet_contacts_page_new ());
  g_object_set (f->page, "session", f->session, NULL);
  g_signal_connect (f->page, "room-activated", G_CALLBACK (room_activated_cb), f);
  gtk_window_set_child (f->window, GTK_WIDGET (f->page));
  gtk_window_present (f->window);
}

static void
ui_teardown (UiFixture     *f,
             gconstpointer  data)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    gtk_window_destroy (l->data);
  duet_session_stop (f->session);
  /* Let cancelled requests report back before the session goes. */
  duet_test_run_for (50);
  duet_test_finalize (g_steal_pointer (&f->session));
  g_clear_pointer (&f->activated, g_ptr_array_unref);
  duet_test_fixture_teardown (&f->base, data);
}

/* --- Tests ---------------------------------------------------------------- */

static void
test_empty_state (UiFixture     *f,
                  gconstpointer  data)
{
  g_assert_cmpuint (g_list_model_get_n_items (list_model (f)), ==, 0);
  g_assert_cmpstr (stack_page (f), ==, "empty");
  assert_label_shown (GTK_WIDGET (f->page), "No conversations yet");
}

static void
test_contacts_from_m_direct (UiFixture     *f,
                             gconstpointer  data)
{
  g_autofree char *room_id = make_dm (f, f->base.bob);

  set_m_direct (f, f->base.bob, room_id);
  settle (f);

  g_assert_cmpuint (g_list_model_get_n_items (list_model (f)), ==, 1);
  g_assert_cmpstr (stack_page (f), ==, "list");
  assert_label_shown (GTK_WIDGET (f->page), "Bob");

  /* A message shows live in the row, as its last message. */
  g_free (duet_test_homeserver_send_message (f->base.server, room_id, f->base.bob, "Lunch at noon?"));
  settle (f);
  assert_label_shown (GTK_WIDGET (f->page), "Lunch at noon?");

  /* Clicking the person opens the DM. */
  g_signal_emit_by_name (duet_ui_test_find_widget (GTK_WIDGET (f->page), GTK_TYPE_LIST_VIEW), "activate", 0);
  g_assert_cmpstr (wait_activated (f, 1), ==, room_id);
}

static gboolean
has_n_items (gpointer data)
{
  UiFixture *f = data;

  return g_list_model_get_n_items (list_model (f)) ==
         GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (f->page), "expect-items"));
}

static void
search_for (UiFixture  *f,
            const char *text,
            guint       expected)
{
  GtkWidget *entry = duet_ui_test_find_widget (GTK_WIDGET (f->page), GTK_TYPE_SEARCH_ENTRY);

  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  g_object_set_data (G_OBJECT (f->page), "expect-items", GUINT_TO_POINTER (expected));
  if (!duet_test_wait_until (has_n_items, f, DUET_TEST_TIMEOUT_MS))
    g_error ("searching \"%s\" shows %u contacts, not %u", text,
             g_list_model_get_n_items (list_model (f)), expected);
}

static void
test_search_filters (UiFixture     *f,
                     gconstpointer  data)
{
  g_autofree char *carol = duet_test_homeserver_add_user (f->base.server, "carol", "carol-password", "Carol");
  g_autofree char *bob_room = make_dm (f, f->base.bob);
  g_autofree char *carol_room = make_dm (f, carol);
  g_autofree char *json = g_strdup_printf ("{\"%s\": [\"%s\"], \"%s\": [\"%s\"]}",
                                           f->base.bob, bob_room, carol, carol_room);
  g_autoptr(JsonObject) content = duet_test_json_object (json);

  duet_test_homeserver_set_account_data (f->base.server, f->base.alice, "m.direct", content);
  settle (f);
  g_assert_cmpuint (g_list_model_get_n_items (list_model (f)), ==, 2);

  search_for (f, "CAR", 1);
  assert_label_shown (GTK_WIDGET (f->page), "Carol");
  g_assert_null (find_label (GTK_WIDGET (f->page), "Bob"));

  search_for (f, "@bob:", 1);
  assert_label_shown (GTK_WIDGET (f->page), "Bob");

  search_for (f, "nobody here", 0);
  g_assert_cmpstr (stack_page (f), ==, "no-results");

  search_for (f, "", 2);
  g_assert_cmpstr (stack_page (f), ==, "list");
}

/* Opens the dialog, types like a person and presses Enter. */
static void
start_chat_in_dialog (UiFixture  *f,
                      const char *text)
{
  GtkWindow *dialog;
  GtkWidget *entry;

  duet_contacts_page_start_chat (f->page, NULL);
  dialog = wait_for_toplevel (DUET_TYPE_START_CHAT_DIALOG);
  entry = duet_ui_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_SEARCH_ENTRY);
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  g_signal_emit_by_name (entry, "activate");
}

static gboolean
no_start_chat_dialog (gpointer data)
{
  return find_toplevel (DUET_TYPE_START_CHAT_DIALOG) == NULL;
}

static void
test_start_chat_new_user (UiFixture     *f,
                          gconstpointer  data)
{
  g_autofree char *carol = duet_test_homeserver_add_user (f->base.server, "carol", "carol-password", "Carol");
  g_autofree char *first = NULL;

  duet_test_homeserver_reset_counts (f->base.server);
  start_chat_in_dialog (f, "@carol:localhost");
  first = g_strdup (wait_activated (f, 1));
  g_assert_cmpuint (count_creates (f), ==, 1);
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->base.server, first, carol), ==, "invite");
  g_assert_true (server_lists_direct (f, carol, first));
  g_assert_true (duet_test_wait_until (no_start_chat_dialog, NULL, DUET_TEST_TIMEOUT_MS));

  /* Again, from a matrix: link this time: the same room, no second createRoom. */
  start_chat_in_dialog (f, "matrix:u/carol:localhost?action=chat");
  g_assert_cmpstr (wait_activated (f, 2), ==, first);
  g_assert_cmpuint (count_creates (f), ==, 1);
}

static gboolean
has_result_row (gpointer data)
{
  GtkWindow *dialog = data;
  GtkWidget *list = duet_ui_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_LIST_BOX);
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0);

  return row != NULL && ADW_IS_ACTION_ROW (row) &&
         g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "@carol:localhost") == 0;
}

static void
test_start_chat_directory (UiFixture     *f,
                           gconstpointer  data)
{
  g_autofree char *carol = duet_test_homeserver_add_user (f->base.server, "carol", "carol-password", "Carol");
  GtkWindow *dialog;
  GtkWidget *entry, *list;
  GtkListBoxRow *row;

  duet_contacts_page_start_chat (f->page, NULL);
  dialog = wait_for_toplevel (DUET_TYPE_START_CHAT_DIALOG);
  entry = duet_ui_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_SEARCH_ENTRY);
  gtk_editable_set_text (GTK_EDITABLE (entry), "caro");

  g_assert_true (duet_test_wait_until (has_result_row, dialog, DUET_TEST_TIMEOUT_MS));
  list = duet_ui_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_LIST_BOX);
  row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Carol");

  g_signal_emit_by_name (list, "row-activated", row);
  g_assert_true (server_lists_direct (f, carol, wait_activated (f, 1)));
}

static GtkWindow *
wait_partner_left_question (UiFixture *f)
{
  GtkWindow *question = wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG);

  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (question)), ==, "Bob left this chat");
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (question), "invite"));
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (question), "new"));
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (question), "cancel"));
  return question;
}

static void
test_partner_left_invite_back (UiFixture     *f,
                               gconstpointer  data)
{
  g_autofree char *room_id = make_dm (f, f->base.bob);
  GtkWindow *question;

  set_m_direct (f, f->base.bob, room_id);
  duet_test_homeserver_leave (f->base.server, room_id, f->base.bob);
  settle (f);
  duet_test_homeserver_reset_counts (f->base.server);

  duet_contacts_page_start_chat (f->page, "@bob:localhost");
  question = wait_partner_left_question (f);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (question), "invite");

  g_assert_cmpstr (wait_activated (f, 1), ==, room_id);
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->base.server, room_id, f->base.bob), ==, "invite");
  g_assert_cmpuint (count_creates (f), ==, 0);
}

static void
test_partner_left_new_chat (UiFixture     *f,
                            gconstpointer  data)
{
  g_autofree char *room_id = make_dm (f, f->base.bob);
  GtkWindow *question;
  const char *new_room;

  set_m_direct (f, f->base.bob, room_id);
  duet_test_homeserver_leave (f->base.server, room_id, f->base.bob);
  settle (f);
  duet_test_homeserver_reset_counts (f->base.server);

  /* Through the dialog this time: the same question comes over it. */
  start_chat_in_dialog (f, "https://matrix.to/#/@bob:localhost");
  question = wait_partner_left_question (f);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (question), "new");

  new_room = wait_activated (f, 1);
  g_assert_cmpstr (new_room, !=, room_id);
  g_assert_cmpuint (count_creates (f), ==, 1);
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->base.server, new_room, f->base.bob), ==, "invite");
  g_assert_true (server_lists_direct (f, f->base.bob, new_room));
}

static void
test_partner_left_cancel (UiFixture     *f,
                          gconstpointer  data)
{
  g_autofree char *room_id = make_dm (f, f->base.bob);
  GtkWindow *question;

  set_m_direct (f, f->base.bob, room_id);
  duet_test_homeserver_leave (f->base.server, room_id, f->base.bob);
  settle (f);
  duet_test_homeserver_reset_counts (f->base.server);

  duet_contacts_page_start_chat (f->page, "@bob:localhost");
  question = wait_partner_left_question (f);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (question), "cancel");
  duet_test_run_for (200);

  g_assert_cmpuint (f->activated->len, ==, 0);
  g_assert_cmpuint (count_creates (f), ==, 0);
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->base.server, room_id, f->base.bob), ==, "leave");
}

static char *
invite_from_carol (UiFixture *f,
                   gboolean   is_direct)
{
  g_autofree char *carol = duet_test_homeserver_add_user (f->base.server, "carol", "carol-password", "Carol");
  const char *invite[] = { f->base.alice, NULL };

  return duet_test_homeserver_create_room (f->base.server, carol, "trusted_private_chat", invite, is_direct);
}

static DuetInviteDialog *
open_first_invite (UiFixture *f)
{
  g_autoptr(GObject) item = NULL;

  assert_label_shown (GTK_WIDGET (f->page), "Invitation from Carol");
  item = g_list_model_get_item (list_model (f), 0);
  g_assert_true (DUET_IS_ROOM (item));
  g_signal_emit_by_name (duet_ui_test_find_widget (GTK_WIDGET (f->page), GTK_TYPE_LIST_VIEW), "activate", 0);
  return DUET_INVITE_DIALOG (wait_for_toplevel (DUET_TYPE_INVITE_DIALOG));
}

static void
test_invite_accept_direct (UiFixture     *f,
                           gconstpointer  data)
{
  g_autofree char *room_id = invite_from_carol (f, TRUE);
  DuetInviteDialog *dialog;
  AdwMessageDialog *message;

  settle (f);
  dialog = open_first_invite (f);
  message = ADW_MESSAGE_DIALOG (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (message), ==, "Invitation from Carol");
  g_assert_cmpstr (adw_message_dialog_get_body (message), ==, "Mark this chat as a direct chat with Carol?");
  g_assert_true (adw_message_dialog_has_response (message, "direct"));
  g_assert_true (adw_message_dialog_has_response (message, "group"));
  g_assert_true (adw_message_dialog_has_response (message, "decline"));
  g_assert_true (adw_message_dialog_has_response (message, "block"));
  g_assert_cmpint (adw_message_dialog_get_response_appearance (message, "block"), ==, ADW_RESPONSE_DESTRUCTIVE);
  /* Who invites: the id under the name, in the extra child. */
  assert_label_shown (GTK_WIDGET (dialog), "@carol:localhost");

  adw_message_dialog_response (message, "direct");
  g_assert_cmpstr (wait_activated (f, 1), ==, room_id);
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->base.server, room_id, f->base.alice), ==, "join");
  g_assert_true (server_lists_direct (f, "@carol:localhost", room_id));
}

static gboolean
carol_ignored (gpointer data)
{
  UiFixture *f = data;
  g_autoptr(JsonObject) content = duet_test_homeserver_get_account_data (f->base.server, f->base.alice,
                                                                         "m.ignored_user_list");
  JsonNode *users = content != NULL ? json_object_get_member (content, "ignored_users") : NULL;

  return users != NULL && JSON_NODE_HOLDS_OBJECT (users) &&
         json_object_has_member (json_node_get_object (users), "@carol:localhost");
}

static void
test_invite_decline_block (UiFixture     *f,
                           gconstpointer  data)
{
  g_autofree char *room_id = invite_from_carol (f, TRUE);
  DuetInviteDialog *dialog;

  settle (f);
  dialog = open_first_invite (f);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "block");

  wait_membership (f, room_id, f->base.alice, "leave");
  g_assert_true (duet_test_wait_until (carol_ignored, f, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpuint (f->activated->len, ==, 0);
  g_assert_false (server_lists_direct (f, "@carol:localhost", room_id));
}

/* With the policy set to always, there is no question: plain Accept marks. */
static void
test_invite_policy_always (UiFixture     *f,
                           gconstpointer  data)
{
  g_autofree char *room_id = invite_from_carol (f, TRUE);
  AdwMessageDialog *message;

  duet_session_set_invite_policy (f->session, DUET_INVITE_POLICY_ALWAYS);
  settle (f);
  message = ADW_MESSAGE_DIALOG (open_first_invite (f));
  g_assert_false (adw_message_dialog_has_response (message, "direct"));
  g_assert_false (adw_message_dialog_has_response (message, "group"));
  g_assert_true (adw_message_dialog_has_response (message, "accept"));
  g_assert_true (adw_message_dialog_has_response (message, "block"));

  adw_message_dialog_response (message, "accept");
  g_assert_cmpstr (wait_activated (f, 1), ==, room_id);
  g_assert_true (server_lists_direct (f, "@carol:localhost", room_id));
}

static void
test_format_time (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_local (2025, 3, 14, 15, 30, 0);
  g_autoptr(GDateTime) today = g_date_time_new_local (2025, 3, 14, 14, 2, 0);
  g_autoptr(GDateTime) late_yesterday = g_date_time_new_local (2025, 3, 13, 23, 59, 0);
  g_autoptr(GDateTime) older = g_date_time_new_local (2025, 1, 2, 8, 0, 0);
  g_autoptr(GDateTime) last_year = g_date_time_new_local (2023, 6, 5, 8, 0, 0);
  g_autofree char *today_text = duet_contact_row_format_time (g_date_time_to_unix (today) * 1000, now);
  g_autofree char *yesterday_text = duet_contact_row_format_time (g_date_time_to_unix (late_yesterday) * 1000, now);
  g_autofree char *older_text = duet_contact_row_format_time (g_date_time_to_unix (older) * 1000, now);
  g_autofree char *last_year_text = duet_contact_row_format_time (g_date_time_to_unix (last_year) * 1000, now);
  g_autofree char *none = duet_contact_row_format_time (0, now);

  g_assert_cmpstr (today_text, ==, "14:02");
  g_assert_cmpstr (yesterday_text, ==, "Yesterday");
  g_assert_cmpstr (older_text, ==, "2 Jan");
  g_assert_cmpstr (last_year_text, ==, "5 Jun 2023");
  g_assert_cmpstr (none, ==, "");
}

int
main (int   argc,
      char *argv[])
{
  /* Fixed strings to compare against, whatever the developer's locale. */
  g_setenv ("LC_ALL", "C", TRUE);
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();

#define ADD(path, func) \
  g_test_add ("/ui/contacts/" path, UiFixture, NULL, ui_setup, func, ui_teardown)

  g_test_add_func ("/ui/contacts/format-time", test_format_time);
  ADD ("empty-state", test_empty_state);
  ADD ("from-m-direct", test_contacts_from_m_direct);
  ADD ("search-filters", test_search_filters);
  ADD ("start-chat-new-user", test_start_chat_new_user);
  ADD ("start-chat-directory", test_start_chat_directory);
  ADD ("partner-left-invite-back", test_partner_left_invite_back);
  ADD ("partner-left-new-chat", test_partner_left_new_chat);
  ADD ("partner-left-cancel", test_partner_left_cancel);
  ADD ("invite-accept-direct", test_invite_accept_direct);
  ADD ("invite-decline-block", test_invite_decline_block);
  ADD ("invite-policy-always", test_invite_policy_always);

#undef ADD

  return g_test_run ();
}
