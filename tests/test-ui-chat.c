/* test-ui-chat.c: the chat view, driven as a person would, against the test
 * homeserver (under Xvfb)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A session with its store (drafts and the outbox live there) and a window
 * holding a DuetChatView.  Bob talks through the homeserver's C API; what
 * Alice sees is checked on the widgets, and what she did on the server.
 */
#include "config.h"

#include <math.h>
#include <adwaita.h>

#include "duet-application.h"
#include "duet-chat-view.h"
#include "duet-contact.h"
#include "duet-message-row-private.h"
#include "duet-session.h"
#include "duet-store-test-utils.h"
#include "duet-sync-loop.h"
#include "duet-timeline-private.h"
#include "duet-test-utils.h"
#include "duet-window.h"

typedef struct {
  DuetTestFixture  base;
  char            *data_dir;
  DuetStore       *store;
  DuetSession     *session;
  GtkWindow       *window;
  DuetChatView    *view;
  char            *room_id;
} UiFixture;

/* --- Finding widgets ------------------------------------------------------ */

static gpointer
view_child (UiFixture  *f,
            const char *id)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (f->view), DUET_TYPE_CHAT_VIEW, id);

  g_assert_nonnull (child);
  return child;
}

static gpointer
row_child (DuetMessageRow *row,
           const char     *id)
{
  GtkWidget *child = duet_message_row_get_part (row, id);

  g_assert_nonnull (child);
  return child;
}

/* The timeline list's children are the message rows themselves. */
static GtkWidget *
slot_child (GtkWidget *list_row)
{
  return list_row;
}

static GtkWidget *
find_label (GtkWidget  *root,
            const char *text)
{
  if (GTK_IS_LABEL (root) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (root)), text) == 0 &&
      gtk_widget_is_drawable (root))
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

static GtkWidget *
wait_label (UiFixture  *f,
            const char *text)
{
  LabelQuery query = { GTK_WIDGET (f->view), text };

  if (!duet_test_wait_until (label_shown, &query, DUET_TEST_TIMEOUT_MS))
    g_error ("no label “%s” appeared", text);
  return find_label (GTK_WIDGET (f->view), text);
}

static DuetMessageRow *
row_of_widget (GtkWidget *widget)
{
  return DUET_MESSAGE_ROW (gtk_widget_get_ancestor (widget, DUET_TYPE_MESSAGE_ROW));
}

/* The drawn row of @item, and its y in the scrolled window. */
static DuetMessageRow *
find_row (UiFixture        *f,
          DuetTimelineItem *item,
          double           *y)
{
  GtkWidget *list = view_child (f, "timeline_list");

  for (GtkWidget *child = gtk_widget_get_first_child (list); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *row = slot_child (child);
      graphene_point_t point;

      if (!DUET_IS_MESSAGE_ROW (row) || duet_message_row_get_item (DUET_MESSAGE_ROW (row)) != item ||
          !gtk_widget_get_child_visible (child))
        continue;
      if (y != NULL)
        {
          g_assert_true (gtk_widget_compute_point (child, view_child (f, "scroller"),
                                                   &GRAPHENE_POINT_INIT (0, 0), &point));
          *y = point.y;
        }
      return DUET_MESSAGE_ROW (row);
    }
  return NULL;
}

/* The first message row fully inside the viewport. */
static DuetTimelineItem *
first_visible_message (UiFixture *f,
                       double    *y_out)
{
  GtkWidget *list = view_child (f, "timeline_list");
  DuetTimelineItem *best = NULL;
  double best_y = G_MAXDOUBLE;

  for (GtkWidget *child = gtk_widget_get_first_child (list); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *row = slot_child (child);
      DuetTimelineItem *item;
      graphene_point_t point;

      if (!DUET_IS_MESSAGE_ROW (row) || !gtk_widget_get_child_visible (child) ||
          (item = duet_message_row_get_item (DUET_MESSAGE_ROW (row))) == NULL ||
          duet_timeline_item_get_kind (item) != DUET_TIMELINE_ITEM_MESSAGE)
        continue;
      if (!gtk_widget_compute_point (child, view_child (f, "scroller"),
                                     &GRAPHENE_POINT_INIT (0, 0), &point) || point.y < 0)
        continue;
      if (point.y < best_y)
        {
          best = item;
          best_y = point.y;
        }
    }
  *y_out = best_y;
  return best;
}

static DuetTimeline *
timeline (UiFixture *f)
{
  DuetTimeline *timeline = duet_chat_view_get_timeline (f->view);

  g_assert_nonnull (timeline);
  return timeline;
}

static guint
n_items (UiFixture *f)
{
  return g_list_model_get_n_items (G_LIST_MODEL (timeline (f)));
}

/* The items of the open chat whose body is @body. */
static guint
count_items_with_body (UiFixture  *f,
                       const char *body)
{
  guint count = 0;

  for (guint i = 0; i < n_items (f); i++)
    {
      g_autoptr(DuetTimelineItem) item = g_list_model_get_item (G_LIST_MODEL (timeline (f)), i);

      if (duet_timeline_item_get_kind (item) == DUET_TIMELINE_ITEM_MESSAGE &&
          g_strcmp0 (duet_timeline_item_get_body (item), body) == 0)
        count++;
    }
  return count;
}

static DuetTimelineItem *
item_with_body (UiFixture  *f,
                const char *body)
{
  for (guint i = 0; i < n_items (f); i++)
    {
      g_autoptr(DuetTimelineItem) item = g_list_model_get_item (G_LIST_MODEL (timeline (f)), i);

      if (g_strcmp0 (duet_timeline_item_get_body (item), body) == 0)
        return item;   /* the model keeps it */
    }
  return NULL;
}

/* --- Server helpers ------------------------------------------------------- */

static guint
server_count_body (UiFixture  *f,
                   const char *sender,
                   const char *body)
{
  g_autoptr(JsonArray) events = duet_test_homeserver_get_timeline (f->base.server, f->room_id);
  guint count = 0;

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      JsonObject *content = json_object_get_object_member (event, "content");

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "sender", ""), sender) == 0 &&
          content != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (content, "body", ""), body) == 0)
        count++;
    }
  return count;
}

static guint
server_count_messages (UiFixture  *f,
                       const char *sender)
{
  g_autoptr(JsonArray) events = duet_test_homeserver_get_timeline (f->base.server, f->room_id);
  guint count = 0;

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "sender", ""), sender) == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (event, "type", ""), "m.room.message") == 0)
        count++;
    }
  return count;
}

typedef struct {
  UiFixture  *f;
  const char *body;
} BodyQuery;

static gboolean
server_has_alice_body (gpointer data)
{
  BodyQuery *query = data;

  return server_count_body (query->f, query->f->base.alice, query->body) > 0;
}

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

static char *
bob_says (UiFixture  *f,
          const char *body)
{
  return duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, body);
}

static char *
bob_sends (UiFixture  *f,
           const char *event_type,
           const char *json)
{
  g_autoptr(JsonObject) content = duet_test_json_object (json);

  return duet_test_homeserver_send_event (f->base.server, f->room_id, f->base.bob, event_type,
                                          NULL, content);
}

/* --- Fixture -------------------------------------------------------------- */

static void
start_session (UiFixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  f->store = store_test_open_ok (f->data_dir);
  f->session = duet_session_new (f->base.client);
  duet_session_set_store (f->session, f->store);
  duet_sync_loop_set_timeout (duet_session_get_sync_loop (f->session), 200);
  duet_session_load_cache_async (f->session, NULL, duet_test_result_cb, &result);
  duet_session_load_cache_finish (f->session, duet_test_wait (&result), &error);
  g_assert_no_error (error);
  duet_session_start (f->session);
  settle (f);
}

static void
stop_session (UiFixture *f)
{
  duet_chat_view_open (f->view, NULL, NULL);
  duet_session_stop (f->session);
  /* Let cancelled requests and the store's last jobs come back. */
  duet_test_run_for (100);
  duet_test_finalize (g_steal_pointer (&f->session));
  duet_test_finalize (g_steal_pointer (&f->store));
}

static void
ui_setup (UiFixture     *f,
          gconstpointer  data)
{
  const char *invite[] = { NULL, NULL };
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) content = NULL;

  duet_test_fixture_setup (&f->base, data);
  f->data_dir = store_test_make_data_dir ();

  /* Bob's direct chat with Alice, in her m.direct. */
  invite[0] = f->base.alice;
  f->room_id = duet_test_homeserver_create_room (f->base.server, f->base.bob, "trusted_private_chat",
                                                 invite, TRUE);
  duet_test_homeserver_join (f->base.server, f->room_id, f->base.alice);
  json = g_strdup_printf ("{\"%s\": [\"%s\"]}", f->base.bob, f->room_id);
  content = duet_test_json_object (json);
  duet_test_homeserver_set_account_data (f->base.server, f->base.alice, "m.direct", content);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 480, 640);
  f->view = DUET_CHAT_VIEW (duet_chat_view_new ());
  gtk_window_set_child (f->window, GTK_WIDGET (f->view));
  gtk_window_present (f->window);
}

static void
ui_teardown (UiFixture     *f,
             gconstpointer  data)
{
  g_autoptr(GList) toplevels = NULL;

  if (f->session != NULL)
    stop_session (f);
  toplevels = gtk_window_list_toplevels ();
  for (GList *l = toplevels; l != NULL; l = l->next)
    gtk_window_destroy (l->data);
  duet_test_run_for (50);
  store_test_remove_dir (f->data_dir);
  g_clear_pointer (&f->data_dir, g_free);
  g_clear_pointer (&f->room_id, g_free);
  duet_test_fixture_teardown (&f->base, data);
}

static gboolean
view_loaded (gpointer data)
{
  UiFixture *f = data;
  DuetTimeline *timeline = duet_chat_view_get_timeline (f->view);

  return timeline != NULL && !duet_timeline_get_loading (timeline) &&
         g_strcmp0 (gtk_stack_get_visible_child_name (view_child (f, "content_stack")), "loading") != 0;
}

static void
open_chat (UiFixture *f)
{
  DuetRoom *room = duet_session_lookup_room (f->session, f->room_id);

  g_assert_nonnull (room);
  duet_chat_view_open (f->view, f->session, room);
  g_assert_true (duet_test_wait_until (view_loaded, f, DUET_TEST_TIMEOUT_MS));
  /* Rows are laid out on the next frames. */
  duet_test_run_for (200);
}

static void
fill_history (UiFixture *f,
              guint      count)
{
  for (guint i = 1; i <= count; i++)
    {
      g_autofree char *body = g_strdup_printf ("Message number %u", i);

      g_free (bob_says (f, body));
    }
}

/* --- Tests ---------------------------------------------------------------- */

static void
test_history_loads (UiFixture     *f,
                    gconstpointer  data)
{
  GtkAdjustment *adj;

  fill_history (f, 30);
  start_session (f);
  open_chat (f);

  g_assert_cmpstr (gtk_stack_get_visible_child_name (view_child (f, "content_stack")), ==, "list");
  /* The newest message is on screen: the chat opens at the bottom. */
  wait_label (f, "Message number 30");
  adj = gtk_scrolled_window_get_vadjustment (view_child (f, "scroller"));
  g_assert_cmpfloat (gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj), >=,
                     gtk_adjustment_get_upper (adj) - 8);
  g_assert_false (gtk_revealer_get_reveal_child (view_child (f, "jump_revealer")));
  /* The header names the person. */
  g_assert_cmpstr (adw_window_title_get_title (view_child (f, "title_widget")), ==, "Bob");
  /* The composer has the focus. */
  g_assert_true (gtk_widget_has_focus (view_child (f, "composer")));
}

static gboolean
more_items (gpointer data)
{
  UiFixture *f = data;

  return n_items (f) > GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (f->view), "n-before"));
}

static gboolean
not_loading (gpointer data)
{
  UiFixture *f = data;

  return !duet_timeline_get_loading (timeline (f));
}

static gboolean
is_loading (gpointer data)
{
  return !not_loading (data);
}

static gboolean
scrolled_down (gpointer data)
{
  UiFixture *f = data;

  return gtk_adjustment_get_value (gtk_scrolled_window_get_vadjustment (view_child (f, "scroller"))) > 0;
}

static void
test_back_paginate_keeps_position (UiFixture     *f,
                                   gconstpointer  data)
{
  g_autofree char *messages_path = g_strdup_printf ("/_matrix/client/v3/rooms/%s/messages", f->room_id);
  GtkAdjustment *adj;
  DuetTimelineItem *anchor;
  double y_before, y_after;
  guint before;

  fill_history (f, 200);
  start_session (f);
  open_chat (f);
  /* The first page may not fill the window, so more comes by itself:
   * wait until the list stops growing and is laid out. */
  for (guint stable = 0; stable < 2;)
    {
      before = n_items (f);
      g_assert_true (duet_test_wait_until (not_loading, f, DUET_TEST_TIMEOUT_MS));
      duet_test_run_for (600);
      stable = n_items (f) == before ? stable + 1 : 0;
    }
  g_assert_false (duet_timeline_get_at_start (timeline (f)));

  /* The next page answers slowly, so the rows are drawn at the top first. */
  duet_test_homeserver_add_fault (f->base.server, "GET", messages_path, 1, DUET_FAULT_HANG, 0, 3000, NULL);
  before = n_items (f);
  g_object_set_data (G_OBJECT (f->view), "n-before", GUINT_TO_POINTER (before));
  adj = gtk_scrolled_window_get_vadjustment (view_child (f, "scroller"));
  gtk_adjustment_set_value (adj, 0);
  /* Near the top, older history is asked for by itself. */
  g_assert_true (duet_test_wait_until (is_loading, f, DUET_TEST_TIMEOUT_MS));
  duet_test_run_for (300);
  g_assert_cmpuint (n_items (f), ==, before);

  anchor = first_visible_message (f, &y_before);
  g_assert_nonnull (anchor);
  g_object_ref (anchor);

  g_assert_true (duet_test_wait_until (more_items, f, DUET_TEST_TIMEOUT_MS));
  /* Until the list view has laid the new rows out above (on a loaded
   * machine a frame can take a while), and a little more. */
  g_assert_true (duet_test_wait_until (scrolled_down, f, DUET_TEST_TIMEOUT_MS));
  duet_test_run_for (500);

  /* Older messages came in above, and the row stayed where it was. */
  g_assert_cmpuint (n_items (f), >, before);
  g_assert_nonnull (find_row (f, anchor, &y_after));
  g_assert_cmpfloat (fabs (y_after - y_before), <=, 1.0);
  /* And the user is no longer at the bottom: the button to get back shows. */
  g_assert_true (gtk_revealer_get_reveal_child (view_child (f, "jump_revealer")));
  g_object_unref (anchor);
}

static guint
item_position (UiFixture        *f,
               DuetTimelineItem *item)
{
  for (guint i = 0; i < n_items (f); i++)
    {
      g_autoptr(DuetTimelineItem) candidate = g_list_model_get_item (G_LIST_MODEL (timeline (f)), i);

      if (candidate == item)
        return i;
    }
  g_assert_not_reached ();
}

/* Every shown list row has been laid out (a row bound a moment ago stands
 * at 0 with no height until the next frame's layout; a loaded machine may
 * take a while to get there). */
static gboolean
rows_laid_out (gpointer data)
{
  UiFixture *f = data;

  for (GtkWidget *child = gtk_widget_get_first_child (view_child (f, "timeline_list")); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_get_child_visible (child) && gtk_widget_get_height (child) <= 0)
      return FALSE;
  return TRUE;
}

/* Every list row shows one item's message row, no item twice, in the
 * model's order from top to bottom; returns how many rows were checked. */
static guint
assert_rows_in_order (UiFixture *f)
{
  GtkWidget *list = view_child (f, "timeline_list");
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (graphene_point_t));

  g_assert_true (duet_test_wait_until (rows_laid_out, f, DUET_TEST_TIMEOUT_MS));
  for (GtkWidget *child = gtk_widget_get_first_child (list); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *row = slot_child (child);
      DuetTimelineItem *item;
      graphene_point_t point;

      if (!gtk_widget_get_child_visible (child))
        continue;
      g_assert_true (DUET_IS_MESSAGE_ROW (row));
      item = duet_message_row_get_item (DUET_MESSAGE_ROW (row));
      g_assert_nonnull (item);
      g_assert_false (g_hash_table_contains (seen, item));
      g_hash_table_add (seen, item);
      g_assert_true (gtk_widget_compute_point (child, list, &GRAPHENE_POINT_INIT (0, 0), &point));
      /* x: the item's place in the model; y: the row's on screen. */
      point.x = item_position (f, item);
      g_array_append_val (rows, point);
    }
  for (guint i = 0; i < rows->len; i++)
    for (guint j = 0; j < rows->len; j++)
      {
        graphene_point_t *a = &g_array_index (rows, graphene_point_t, i);
        graphene_point_t *b = &g_array_index (rows, graphene_point_t, j);

        if (a->x < b->x)
          g_assert_cmpfloat (a->y, <, b->y);
      }
  return rows->len;
}

static void
scroll_to (UiFixture *f,
           double     fraction)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (view_child (f, "scroller"));

  /* In steps, as a user scrolls, so the list view moves its rows about
   * (the end is measured again each time: GTK 4.8 estimates the height of
   * rows it has not drawn, and corrects it as they come). */
  for (guint i = 0; i < 16; i++)
    {
      double top = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);
      double value = gtk_adjustment_get_value (adj);

      gtk_adjustment_set_value (adj, i < 12 ? value + (fraction * top - value) / 2 : fraction * top);
      duet_test_run_for (40);
    }
  duet_test_run_for (300);
}

/* GTK 4.8 hands items to other list rows as it scrolls; the chat view moves
 * each item's message row along, so a row comes back as it was drawn. */
static void
test_rows_follow_items (UiFixture     *f,
                        gconstpointer  data)
{
  DuetTimelineItem *newest;
  DuetMessageRow *row;

  fill_history (f, 240);
  start_session (f);
  open_chat (f);
  wait_label (f, "Message number 240");
  newest = item_with_body (f, "Message number 240");
  row = find_row (f, newest, NULL);
  g_assert_nonnull (row);
  g_object_ref (row);
  g_assert_cmpuint (assert_rows_in_order (f), >, 3);

  /* Up through the history (more pages come in on the way), and down. */
  for (guint i = 0; i < 8 && !duet_timeline_get_at_start (timeline (f)); i++)
    {
      scroll_to (f, 0.0);
      g_assert_true (duet_test_wait_until (not_loading, f, DUET_TEST_TIMEOUT_MS));
      duet_test_run_for (300);
      g_assert_cmpuint (assert_rows_in_order (f), >, 3);
    }
  g_assert_cmpuint (n_items (f), >, 200);
  scroll_to (f, 0.5);
  g_assert_cmpuint (assert_rows_in_order (f), >, 3);
  scroll_to (f, 1.0);
  g_assert_cmpuint (assert_rows_in_order (f), >, 3);

  /* The newest message is shown by the row first made for it. */
  g_assert_true (find_row (f, newest, NULL) == row);
  g_assert_cmpstr (gtk_label_get_text (row_child (row, "body_label")), ==, "Message number 240");
  g_object_unref (row);
}

static gboolean
press_key (UiFixture       *f,
           guint            keyval,
           GdkModifierType  state)
{
  GtkWidget *composer = view_child (f, "composer");
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (composer);
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller) &&
          gtk_event_controller_get_propagation_phase (GTK_EVENT_CONTROLLER (controller)) == GTK_PHASE_CAPTURE)
        {
          g_signal_emit_by_name (controller, "key-pressed", keyval, 0, state, &handled);
          return handled;
        }
    }
  g_error ("the composer has no key controller");
}

static void
type_text (UiFixture  *f,
           const char *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view_child (f, "composer"));

  gtk_text_buffer_set_text (buffer, text, -1);
}

static char *
composer_text (UiFixture *f)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view_child (f, "composer"));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
test_send_message (UiFixture     *f,
                   gconstpointer  data)
{
  BodyQuery query = { f, "Hello Bob" };
  g_autofree char *left = NULL;

  fill_history (f, 3);
  start_session (f);
  open_chat (f);

  /* Blank text is not sent, Shift+Enter is a new line, not a send. */
  type_text (f, "   \n ");
  g_assert_true (press_key (f, GDK_KEY_Return, 0));
  g_assert_false (press_key (f, GDK_KEY_Return, GDK_SHIFT_MASK));

  type_text (f, "Hello Bob");
  g_assert_true (press_key (f, GDK_KEY_Return, 0));
  left = composer_text (f);
  g_assert_cmpstr (left, ==, "");

  /* At once, as a local echo. */
  g_assert_cmpuint (count_items_with_body (f, "Hello Bob"), ==, 1);
  wait_label (f, "Hello Bob");

  /* On the server exactly once, and in the chat exactly once. */
  g_assert_true (duet_test_wait_until (server_has_alice_body, &query, DUET_TEST_TIMEOUT_MS));
  settle (f);
  g_assert_cmpuint (server_count_body (f, f->base.alice, "Hello Bob"), ==, 1);
  /* Nothing else from Alice: the blank text was not sent. */
  g_assert_cmpuint (server_count_messages (f, f->base.alice), ==, 1);
  g_assert_cmpuint (count_items_with_body (f, "Hello Bob"), ==, 1);
  g_assert_cmpint (duet_timeline_item_get_send_state (item_with_body (f, "Hello Bob")), ==,
                   DUET_OUTGOING_SENT);
}

static void
test_edit_redact_reply (UiFixture     *f,
                        gconstpointer  data)
{
  g_autofree char *original = NULL;
  g_autofree char *doomed = NULL;
  g_autofree char *json = NULL;
  DuetMessageRow *row;
  GtkWidget *label;

  start_session (f);
  open_chat (f);

  original = bob_says (f, "Lunch at noon?");
  doomed = bob_says (f, "Oops, wrong chat");
  wait_label (f, "Oops, wrong chat");

  /* Bob corrects the first message. */
  json = g_strdup_printf ("{\"msgtype\": \"m.text\", \"body\": \"* Lunch at one?\","
                          " \"m.new_content\": {\"msgtype\": \"m.text\", \"body\": \"Lunch at one?\"},"
                          " \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"%s\"}}",
                          original);
  g_free (bob_sends (f, "m.room.message", json));
  label = wait_label (f, "Lunch at one?");
  row = row_of_widget (label);
  g_assert_true (gtk_widget_get_visible (row_child (row, "edited_label")));
  g_assert_null (find_label (GTK_WIDGET (f->view), "Lunch at noon?"));

  /* Bob deletes the second. */
  g_clear_pointer (&json, g_free);
  json = g_strdup_printf ("{\"redacts\": \"%s\"}", doomed);
  {
    g_autoptr(JsonObject) content = duet_test_json_object (json);

    g_free (duet_test_homeserver_send_event (f->base.server, f->room_id, f->base.bob,
                                             "m.room.redaction", NULL, content));
  }
  label = wait_label (f, "Message deleted");
  g_assert_true (gtk_widget_has_css_class (label, "dim-label"));
  g_assert_null (find_label (GTK_WIDGET (f->view), "Oops, wrong chat"));

  /* Bob replies to the first: the quote shows above his text. */
  g_clear_pointer (&json, g_free);
  json = g_strdup_printf ("{\"msgtype\": \"m.text\", \"body\": \"> <@bob:localhost> Lunch at one?\\n\\nOr two\","
                          " \"m.relates_to\": {\"m.in_reply_to\": {\"event_id\": \"%s\"}}}", original);
  g_free (bob_sends (f, "m.room.message", json));
  label = wait_label (f, "Or two");
  row = row_of_widget (label);
  g_assert_true (gtk_widget_get_visible (row_child (row, "reply_box")));
  g_assert_cmpstr (gtk_label_get_text (row_child (row, "reply_sender_label")), ==, "Bob");
  g_assert_cmpstr (gtk_label_get_text (row_child (row, "reply_body_label")), ==, "Lunch at one?");

  /* And reacts to it. */
  g_clear_pointer (&json, g_free);
  json = g_strdup_printf ("{\"m.relates_to\": {\"rel_type\": \"m.annotation\", \"event_id\": \"%s\","
                          " \"key\": \"👍\"}}", original);
  g_free (bob_sends (f, "m.reaction", json));
  wait_label (f, "👍 1");
}

static gboolean
retry_shown (gpointer data)
{
  UiFixture *f = data;
  DuetTimelineItem *item = item_with_body (f, "Will this work?");
  DuetMessageRow *row = item != NULL ? find_row (f, item, NULL) : NULL;

  GtkWidget *retry = row != NULL ? duet_message_row_get_part (row, "retry_button") : NULL;

  /* A row makes its Retry button when its message first fails. */
  return retry != NULL && gtk_widget_is_drawable (retry);
}

static void
test_failed_send_retry (UiFixture     *f,
                        gconstpointer  data)
{
  g_autofree char *send_path = g_strdup_printf ("/_matrix/client/v3/rooms/%s/send", f->room_id);
  BodyQuery query = { f, "Will this work?" };
  DuetMessageRow *row;

  start_session (f);
  open_chat (f);

  duet_test_homeserver_add_fault (f->base.server, "PUT", send_path, 1, DUET_FAULT_STATUS, 403, 0, NULL);
  type_text (f, "Will this work?");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "chat.send", NULL));

  g_assert_true (duet_test_wait_until (retry_shown, f, DUET_TEST_TIMEOUT_MS));
  row = find_row (f, item_with_body (f, "Will this work?"), NULL);
  g_assert_true (gtk_widget_has_css_class (row_child (row, "bubble"), "duet-failed"));
  g_assert_true (gtk_widget_is_drawable (row_child (row, "failed_label")));
  g_assert_cmpuint (server_count_body (f, f->base.alice, "Will this work?"), ==, 0);

  g_signal_emit_by_name (row_child (row, "retry_button"), "clicked");
  g_assert_true (duet_test_wait_until (server_has_alice_body, &query, DUET_TEST_TIMEOUT_MS));
  settle (f);
  g_assert_cmpuint (server_count_body (f, f->base.alice, "Will this work?"), ==, 1);
  g_assert_cmpuint (count_items_with_body (f, "Will this work?"), ==, 1);
  g_assert_cmpint (duet_timeline_item_get_send_state (item_with_body (f, "Will this work?")), ==,
                   DUET_OUTGOING_SENT);
  g_assert_false (retry_shown (f));
}

typedef struct {
  UiFixture  *f;
  const char *event_id;
} ReceiptQuery;

static gboolean
receipt_reached (gpointer data)
{
  ReceiptQuery *query = data;

  return g_strcmp0 (duet_test_homeserver_get_receipt (query->f->base.server, query->f->room_id,
                                                      query->f->base.alice, "m.read"),
                    query->event_id) == 0;
}

static DuetContact *
bob_contact (UiFixture *f)
{
  GListModel *contacts = duet_session_get_contacts (f->session);

  g_assert_cmpuint (g_list_model_get_n_items (contacts), ==, 1);
  return DUET_CONTACT (g_list_model_get_object (contacts, 0));
}

static gboolean
badge_cleared (gpointer data)
{
  g_autoptr(DuetContact) contact = bob_contact (data);

  return duet_contact_get_unread_count (contact) == 0;
}

static void
test_read_clears_badge (UiFixture     *f,
                        gconstpointer  data)
{
  g_autofree char *last = NULL;
  g_autoptr(DuetContact) contact = NULL;
  ReceiptQuery query = { f, NULL };

  start_session (f);
  fill_history (f, 2);
  last = bob_says (f, "Are you there?");
  settle (f);
  contact = bob_contact (f);
  g_assert_cmpuint (duet_contact_get_unread_count (contact), ==, 3);

  open_chat (f);
  g_assert_true (gtk_window_is_active (f->window));
  query.event_id = last;
  g_assert_true (duet_test_wait_until (receipt_reached, &query, DUET_TEST_TIMEOUT_MS));
  g_assert_true (duet_test_wait_until (badge_cleared, f, DUET_TEST_TIMEOUT_MS));
}

static gboolean
composer_says (gpointer data)
{
  UiFixture *f = data;
  g_autofree char *text = composer_text (f);

  return g_strcmp0 (text, g_object_get_data (G_OBJECT (f->view), "expected-draft")) == 0;
}

static void
test_draft_survives (UiFixture     *f,
                     gconstpointer  data)
{
  DuetClient *client;

  start_session (f);
  open_chat (f);
  type_text (f, "Half a thought");

  /* Closing the chat keeps it; opening it again brings it back. */
  duet_chat_view_open (f->view, NULL, NULL);
  g_autofree char *empty = composer_text (f);
  g_assert_cmpstr (empty, ==, "");
  open_chat (f);
  g_object_set_data (G_OBJECT (f->view), "expected-draft", "Half a thought");
  g_assert_true (duet_test_wait_until (composer_says, f, DUET_TEST_TIMEOUT_MS));

  /* After a restart too (a new session on the same store files). */
  type_text (f, "Half a thought, and more");
  duet_test_run_for (800);
  client = g_object_ref (f->base.client);
  stop_session (f);
  g_object_unref (client);
  start_session (f);
  open_chat (f);
  g_object_set_data (G_OBJECT (f->view), "expected-draft", "Half a thought, and more");
  g_assert_true (duet_test_wait_until (composer_says, f, DUET_TEST_TIMEOUT_MS));

  /* Sending it clears it for good. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "chat.send", NULL));
  duet_chat_view_open (f->view, NULL, NULL);
  open_chat (f);
  duet_test_run_for (300);
  g_autofree char *after = composer_text (f);
  g_assert_cmpstr (after, ==, "");
}

/* --- The whole window, for the eye ---------------------------------------- */

static void
save_png (GtkWidget  *widget,
          const char *name)
{
  const char *dir = g_getenv ("DUET_SCREENSHOT_DIR");
  g_autofree char *path = NULL;
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GtkSnapshot *snapshot;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);

  if (dir == NULL)
    return;

  snapshot = gtk_snapshot_new ();
  /* The window's contents on its background colour, without the shadow a
   * window manager would not draw either (a toplevel's own paintable
   * draws nothing). */
  if (GTK_IS_WINDOW (widget))
    {
      GdkRGBA background;

      if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), "window_bg_color",
                                           &background))
        gdk_rgba_parse (&background, "white");
      widget = gtk_widget_get_first_child (widget);
      width = gtk_widget_get_width (widget);
      height = gtk_widget_get_height (widget);
      gtk_snapshot_append_color (snapshot, &background, &GRAPHENE_RECT_INIT (0, 0, width, height));
    }
  paintable = gtk_widget_paintable_new (widget);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("saved %s (%dx%d)", path, width, height);
}

static gboolean
app_chat_loaded (gpointer data)
{
  DuetChatView *view = data;
  DuetTimeline *timeline = duet_chat_view_get_timeline (view);

  return timeline != NULL && !duet_timeline_get_loading (timeline) &&
         g_list_model_get_n_items (G_LIST_MODEL (timeline)) > 0;
}

static gboolean
window_session_ready (gpointer data)
{
  DuetSession *session = duet_window_get_session (data);

  return session != NULL && duet_session_get_state (session) == DUET_SESSION_STATE_ONLINE &&
         g_list_model_get_n_items (duet_session_get_contacts (session)) >= 2;
}

/* How far back yesterday at 19:40 (local) is. */
static gint64
yesterday_evening_offset_ms (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) yesterday = g_date_time_add_days (now, -1);
  g_autoptr(GDateTime) evening = g_date_time_new_local (g_date_time_get_year (yesterday),
                                                        g_date_time_get_month (yesterday),
                                                        g_date_time_get_day_of_month (yesterday), 19, 40, 0);

  return g_date_time_difference (evening, now) / 1000;
}

static void
seed_conversation (UiFixture *f)
{
  g_autofree char *carol = duet_test_homeserver_add_user (f->base.server, "carol", "carol-password", "Carol Marsh");
  const char *invite[] = { f->base.alice, NULL };
  g_autofree char *carol_room = duet_test_homeserver_create_room (f->base.server, carol, "trusted_private_chat",
                                                                 invite, TRUE);
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) content = NULL;
  g_autoptr(GBytes) photo = g_bytes_new_static ("not really a jpeg", 17);
  g_autofree char *photo_url = duet_test_homeserver_add_media (f->base.server, photo, "image/jpeg");
  g_autofree char *lunch = NULL;
  g_autofree char *photos = NULL;

  duet_test_homeserver_join (f->base.server, carol_room, f->base.alice);
  g_free (duet_test_homeserver_send_message (f->base.server, carol_room, carol, "Thanks for the book tip!"));
  json = g_strdup_printf ("{\"%s\": [\"%s\"], \"%s\": [\"%s\"]}", f->base.bob, f->room_id,
                          carol, carol_room);
  content = duet_test_json_object (json);
  duet_test_homeserver_set_account_data (f->base.server, f->base.alice, "m.direct", content);

  /* Yesterday evening... */
  duet_test_homeserver_set_clock_offset (f->base.server, yesterday_evening_offset_ms ());
  photos = bob_says (f, "Did you get the photos from the weekend?");
  g_free (duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.alice,
                                             "Not yet — the link from last time expired. Can you send them again?"));
  g_clear_pointer (&json, g_free);
  json = g_strdup_printf ("{\"msgtype\": \"m.image\", \"body\": \"lake-sunset.jpg\", \"url\": \"%s\","
                          " \"info\": {\"mimetype\": \"image/jpeg\", \"size\": 2457600}}", photo_url);
  g_free (bob_sends (f, "m.room.message", json));
  g_clear_pointer (&json, g_free);
  json = g_strdup_printf ("{\"msgtype\": \"m.file\", \"body\": \"hiking-route.gpx\", \"url\": \"%s\","
                          " \"info\": {\"mimetype\": \"application/gpx+xml\", \"size\": 48213}}", photo_url);
  g_free (bob_sends (f, "m.room.message", json));
  /* ... and today. */
  duet_test_homeserver_set_clock_offset (f->base.server, 0);
  g_free (duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.alice,
                                             "They look amazing! The one from the ridge is my favourite."));
  g_clear_pointer (&json, g_free);
  json = g_strdup_printf ("{\"m.relates_to\": {\"rel_type\": \"m.annotation\", \"event_id\": \"%s\","
                          " \"key\": \"❤\"}}", photos);
  g_free (bob_sends (f, "m.reaction", json));
  lunch = bob_says (f, "Lunch at noon tomorrow?");
  g_clear_pointer (&json, g_free);
  json = g_strdup_printf ("{\"msgtype\": \"m.text\", \"body\": \"* Lunch at one tomorrow?\","
                          " \"m.new_content\": {\"msgtype\": \"m.text\", \"body\": \"Lunch at one tomorrow?\"},"
                          " \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"%s\"}}", lunch);
  g_free (bob_sends (f, "m.room.message", json));
  g_clear_pointer (&json, g_free);
  json = g_strdup_printf ("{\"msgtype\": \"m.text\", \"body\": \"> <@bob:localhost> Lunch at one tomorrow?\\n\\n"
                          "Sure, see you at the usual place\", \"m.relates_to\": {\"m.in_reply_to\":"
                          " {\"event_id\": \"%s\"}}}", lunch);
  {
    g_autoptr(JsonObject) reply = duet_test_json_object (json);

    g_free (duet_test_homeserver_send_event (f->base.server, f->room_id, f->base.alice, "m.room.message",
                                             NULL, reply));
  }
  g_free (bob_sends (f, "m.room.message", "{\"msgtype\": \"m.emote\", \"body\": \"is bringing the map\"}"));
}

static void
resize_and_wait (GtkWindow *window,
                 int        width,
                 int        height)
{
  gtk_window_set_default_size (window, width, height);
  duet_test_run_for (600);
}

/* A realistic conversation in the real window: a reply, an edit, a
 * reaction, an image and a file, a day separator, an emote.  With
 * DUET_SCREENSHOT_DIR set it also saves the pictures of the README. */
static void
test_conversation (UiFixture     *f,
                   gconstpointer  data)
{
  g_autofree char *id = g_strdup ("io.github.duet_chat.Duet.TestChat");
  g_autoptr(DuetApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  AdwStyleManager *style = adw_style_manager_get_default ();
  DuetWindow *window;
  DuetChatView *view;
  GtkWidget *label;

  gtk_window_destroy (f->window);
  f->window = NULL;
  seed_conversation (f);

  g_setenv ("DUET_DATA_DIR", f->data_dir, TRUE);
  g_setenv ("DUET_DEMO_HOMESERVER", duet_test_homeserver_get_url (f->base.server), TRUE);
  g_setenv ("DUET_DEMO_USER", f->base.alice, TRUE);
  g_setenv ("DUET_DEMO_PASSWORD", DUET_TEST_ALICE_PASSWORD, TRUE);
  app = duet_application_new (id, G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  window = DUET_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_nonnull (window);
  resize_and_wait (GTK_WINDOW (window), 1000, 720);

  g_assert_true (duet_test_wait_until (window_session_ready, window, DUET_TEST_TIMEOUT_MS));
  duet_window_start_chat (window, f->base.bob);
  view = DUET_CHAT_VIEW (gtk_widget_get_template_child (GTK_WIDGET (window), DUET_TYPE_WINDOW, "chat_view"));
  g_assert_true (duet_test_wait_until (app_chat_loaded, view, DUET_TEST_TIMEOUT_MS));
  f->view = view;
  duet_test_run_for (500);

  /* What the pictures are meant to show is there. */
  wait_label (f, "Lunch at one tomorrow?");
  label = wait_label (f, "Sure, see you at the usual place");
  g_assert_true (gtk_widget_get_visible (row_child (row_of_widget (label), "reply_box")));
  wait_label (f, "lake-sunset.jpg");
  wait_label (f, "hiking-route.gpx");
  {
    g_autofree char *size = g_format_size (48213);

    wait_label (f, size);
  }
  wait_label (f, "Yesterday");
  wait_label (f, "Today");
  wait_label (f, "❤ 1");

  save_png (GTK_WIDGET (window), "chat-desktop-light.png");
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  duet_test_run_for (400);
  save_png (GTK_WIDGET (window), "chat-desktop-dark.png");

  /* A phone: the leaflet folds and the chat fills the window. */
  resize_and_wait (GTK_WINDOW (window), 360, 720);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (view)));
  g_assert_true (gtk_widget_get_visible (view_child (f, "back_button")));
  save_png (GTK_WIDGET (window), "chat-narrow-dark.png");
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
  duet_test_run_for (400);
  save_png (GTK_WIDGET (window), "chat-narrow-light.png");

  f->view = NULL;
  gtk_window_destroy (GTK_WINDOW (window));
  /* Let cancelled requests and the store's last jobs come back. */
  duet_test_run_for (1000);
  g_unsetenv ("DUET_DATA_DIR");
  g_unsetenv ("DUET_DEMO_HOMESERVER");
  g_unsetenv ("DUET_DEMO_USER");
  g_unsetenv ("DUET_DEMO_PASSWORD");
}

static void
test_format_day (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_local (2025, 3, 14, 15, 30, 0);
  g_autoptr(GDateTime) today = g_date_time_new_local (2025, 3, 14, 0, 5, 0);
  g_autoptr(GDateTime) yesterday = g_date_time_new_local (2025, 3, 13, 23, 59, 0);
  g_autoptr(GDateTime) this_year = g_date_time_new_local (2025, 1, 2, 8, 0, 0);
  g_autoptr(GDateTime) last_year = g_date_time_new_local (2023, 6, 5, 8, 0, 0);
  g_autofree char *a = duet_message_row_format_day (g_date_time_to_unix (today) * 1000, now);
  g_autofree char *b = duet_message_row_format_day (g_date_time_to_unix (yesterday) * 1000, now);
  g_autofree char *c = duet_message_row_format_day (g_date_time_to_unix (this_year) * 1000, now);
  g_autofree char *d = duet_message_row_format_day (g_date_time_to_unix (last_year) * 1000, now);
  g_autofree char *time = duet_message_row_format_time (g_date_time_to_unix (yesterday) * 1000);

  g_assert_cmpstr (a, ==, "Today");
  g_assert_cmpstr (b, ==, "Yesterday");
  g_assert_cmpstr (c, ==, "Thursday 2 January");
  g_assert_cmpstr (d, ==, "5 June 2023");
  g_assert_cmpstr (time, ==, "23:59");
}

static guint
count_widgets (GtkWidget *widget)
{
  guint n = 1;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += count_widgets (child);
  return n;
}

static GtkWidget *
nth_child (GtkWidget *parent,
           guint      n)
{
  GtkWidget *child = gtk_widget_get_first_child (parent);

  for (; child != NULL && n > 0; n--)
    child = gtk_widget_get_next_sibling (child);
  return child;
}

/* A row makes only the parts its item shows, and a part its item gains
 * later lands where it belongs: the quote above the text, "edited" before
 * the time, the send state after it, the failed-send bar under the bubble
 * and above the reactions. */
static void
test_row_parts (void)
{
  g_autoptr(DuetTimelineItem) item = _duet_timeline_item_new (DUET_TIMELINE_ITEM_MESSAGE);
  g_autoptr(DuetTimelineItem) day = _duet_timeline_item_new (DUET_TIMELINE_ITEM_DAY);
  GtkWidget *window = gtk_window_new ();
  DuetMessageRow *row = DUET_MESSAGE_ROW (duet_message_row_new ());
  DuetMessageRow *day_row = DUET_MESSAGE_ROW (duet_message_row_new ());
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *bubble, *meta, *column;
  const char *later[] = { "reply_box", "edited_label", "state_icon", "failed_box", "reactions_box",
                          "file_button", "avatar", "sender_label" };

  _duet_timeline_item_set_string (item, DUET_TIMELINE_ITEM_PROP_SENDER_NAME, "Bob");
  _duet_timeline_item_set_string (item, DUET_TIMELINE_ITEM_PROP_BODY, "Lunch?");
  _duet_timeline_item_set_string (item, DUET_TIMELINE_ITEM_PROP_MARKUP, "Lunch?");
  _duet_timeline_item_set_int (item, DUET_TIMELINE_ITEM_PROP_TIMESTAMP, 1700000000000);
  _duet_timeline_item_set_int (item, DUET_TIMELINE_ITEM_PROP_GROUP_START, TRUE);
  duet_message_row_set_item (row, item);
  _duet_timeline_item_set_int (day, DUET_TIMELINE_ITEM_PROP_TIMESTAMP, 1700000000000);
  duet_message_row_set_item (day_row, day);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (day_row));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row));
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));

  /* A plain message: the row, its box, column, bubble, text, meta box and time. */
  g_assert_cmpuint (count_widgets (GTK_WIDGET (row)), ==, 7);
  for (guint i = 0; i < G_N_ELEMENTS (later); i++)
    g_assert_null (duet_message_row_get_part (row, later[i]));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (duet_message_row_get_part (row, "body_label"))), ==, "Lunch?");
  /* A day separator is one label. */
  g_assert_cmpuint (count_widgets (GTK_WIDGET (day_row)), ==, 2);
  g_assert_null (duet_message_row_get_part (day_row, "body_label"));
  g_assert_true (gtk_widget_get_first_child (GTK_WIDGET (day_row)) ==
                 duet_message_row_get_part (day_row, "day_label"));

  bubble = duet_message_row_get_part (row, "bubble");
  meta = duet_message_row_get_part (row, "meta_box");
  column = duet_message_row_get_part (row, "column");

  _duet_timeline_item_add_reaction (item, "$r1", "@carol:localhost", "👍", "@alice:localhost");
  _duet_timeline_item_set_int (item, DUET_TIMELINE_ITEM_PROP_SEND_STATE, DUET_OUTGOING_FAILED);
  _duet_timeline_item_set_int (item, DUET_TIMELINE_ITEM_PROP_EDITED, TRUE);
  _duet_timeline_item_set_string (item, DUET_TIMELINE_ITEM_PROP_REPLY_SENDER_NAME, "Alice");
  _duet_timeline_item_set_string (item, DUET_TIMELINE_ITEM_PROP_REPLY_BODY, "Hungry?");

  g_assert_true (nth_child (bubble, 0) == duet_message_row_get_part (row, "reply_box"));
  g_assert_true (nth_child (bubble, 1) == duet_message_row_get_part (row, "body_label"));
  g_assert_true (nth_child (bubble, 2) == meta);
  g_assert_true (nth_child (meta, 0) == duet_message_row_get_part (row, "edited_label"));
  g_assert_true (nth_child (meta, 1) == duet_message_row_get_part (row, "time_label"));
  g_assert_true (nth_child (meta, 2) == duet_message_row_get_part (row, "state_icon"));
  g_assert_true (nth_child (column, 0) == bubble);
  g_assert_true (nth_child (column, 1) == duet_message_row_get_part (row, "failed_box"));
  g_assert_true (nth_child (column, 2) == duet_message_row_get_part (row, "reactions_box"));
  g_assert_true (gtk_widget_get_visible (duet_message_row_get_part (row, "failed_box")));
  g_assert_true (gtk_widget_has_css_class (bubble, "duet-failed"));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (duet_message_row_get_part (row, "reply_body_label"))),
                   ==, "Hungry?");
  g_assert_nonnull (find_label (duet_message_row_get_part (row, "reactions_box"), "👍 1"));

  /* Sent after all: the failed parts hide, the made ones stay made. */
  _duet_timeline_item_set_int (item, DUET_TIMELINE_ITEM_PROP_SEND_STATE, DUET_OUTGOING_SENT);
  _duet_timeline_item_set_int (item, DUET_TIMELINE_ITEM_PROP_EDITED, FALSE);
  g_assert_false (gtk_widget_get_visible (duet_message_row_get_part (row, "failed_box")));
  g_assert_false (gtk_widget_get_visible (duet_message_row_get_part (row, "state_icon")));
  g_assert_false (gtk_widget_get_visible (duet_message_row_get_part (row, "edited_label")));
  g_assert_false (gtk_widget_has_css_class (bubble, "duet-failed"));

  /* Turned into a file: the card replaces the text, after the quote. */
  _duet_timeline_item_set_string (item, DUET_TIMELINE_ITEM_PROP_FILE_NAME, "notes.txt");
  _duet_timeline_item_set_int (item, DUET_TIMELINE_ITEM_PROP_MESSAGE_KIND, DUET_MESSAGE_FILE);
  g_assert_false (gtk_widget_get_visible (duet_message_row_get_part (row, "body_label")));
  g_assert_true (nth_child (bubble, 2) == duet_message_row_get_part (row, "file_button"));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (duet_message_row_get_part (row, "file_name_label"))),
                   ==, "notes.txt");

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  /* Fixed strings to compare against, whatever the developer's locale. */
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();

#define ADD(path, func) \
  g_test_add ("/ui/chat/" path, UiFixture, NULL, ui_setup, func, ui_teardown)

  g_test_add_func ("/ui/chat/format-day", test_format_day);
  g_test_add_func ("/ui/chat/row-parts", test_row_parts);
  ADD ("history-loads", test_history_loads);
  ADD ("back-paginate-keeps-position", test_back_paginate_keeps_position);
  ADD ("rows-follow-items", test_rows_follow_items);
  ADD ("send-message", test_send_message);
  ADD ("edit-redact-reply", test_edit_redact_reply);
  ADD ("failed-send-retry", test_failed_send_retry);
  ADD ("read-clears-badge", test_read_clears_badge);
  ADD ("draft-survives", test_draft_survives);
  ADD ("conversation", test_conversation);

#undef ADD

  return g_test_run ();
}
