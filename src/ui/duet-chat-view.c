/* duet-chat-view.c: one open conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A header (the person, the room menu), the timeline in a DuetTimelineList
 * (which keeps the rows in place when older history comes in at the top),
 * the "is typing" line and the composer, with the members in a flap beside
 * them.  This file holds the list's side: it stays at the bottom while the
 * user is there, asks for older history near the top and marks the chat
 * read when its newest message is on screen in the active window.
 */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "duet-avatar-loader.h"
#include "duet-chat-view-private.h"
#include "duet-message-row.h"

G_DEFINE_FINAL_TYPE (DuetChatView, duet_chat_view, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_ROOM,
  PROP_FOLDED,
  PROP_MEMBERS_VISIBLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* How close to the bottom counts as "at the bottom", in pixels. */
#define BOTTOM_SLACK 8.0

static void schedule_check (DuetChatView *self);

/* --- Errors ---------------------------------------------------------------- */

void
duet_chat_view_show_message (DuetChatView *self,
                             const char   *message)
{
  g_autofree char *escaped = NULL;
  AdwToast *toast;

  g_return_if_fail (DUET_IS_CHAT_VIEW (self));
  g_return_if_fail (message != NULL);

  /* Toast titles are markup; messages quote the server. */
  escaped = g_markup_escape_text (message, -1);
  toast = adw_toast_new (escaped);
  adw_toast_set_timeout (toast, 6);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
_duet_chat_view_show_error (DuetChatView *self,
                            const char   *what,
                            const GError *error)
{
  g_autofree char *message = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  message = g_strdup_printf ("%s: %s", what, error->message);
  duet_chat_view_show_message (self, message);
}

/* --- Rows ------------------------------------------------------------------ */

/* DuetTimelineList makes a row for an item once and keeps it for that item
 * (see there why not a GtkListView). */
static GtkWidget *
create_row_cb (gpointer item,
               gpointer user_data)
{
  DuetChatView *self = user_data;
  DuetMessageRow *row = DUET_MESSAGE_ROW (duet_message_row_new ());

  duet_message_row_set_timeline (row, self->timeline);
  duet_message_row_set_show_sender (row, self->show_sender);
  duet_message_row_set_item (row, item);
  return GTK_WIDGET (row);
}

static void
set_row_show_sender (gpointer widget,
                     gpointer user_data)
{
  duet_message_row_set_show_sender (widget, GPOINTER_TO_INT (user_data));
}

static void
update_rows_show_sender (DuetChatView *self)
{
  duet_timeline_list_foreach_row (self->timeline_list, set_row_show_sender,
                                  GINT_TO_POINTER (self->show_sender));
}

/* --- Scrolling ------------------------------------------------------------- */

static GtkAdjustment *
vadjustment (DuetChatView *self)
{
  return gtk_scrolled_window_get_vadjustment (self->scroller);
}

static gboolean
is_at_bottom (DuetChatView *self)
{
  GtkAdjustment *adj = vadjustment (self);

  return gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj) >=
         gtk_adjustment_get_upper (adj) - BOTTOM_SLACK;
}

static void
update_jump_button (DuetChatView *self)
{
  gboolean list_shown = g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "list") == 0;

  gtk_revealer_set_reveal_child (self->jump_revealer, list_shown && !is_at_bottom (self));
  gtk_widget_set_visible (GTK_WIDGET (self->new_count_label), self->new_count > 0);
  /* Runs on every scroll step: the texts change only with the count. */
  if (self->new_count == self->shown_count)
    return;
  self->shown_count = self->new_count;
  if (self->new_count == 0)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->jump_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    _("Jump to the newest message"), -1);
  else
    {
      g_autofree char *text = g_strdup_printf ("%u", MIN (self->new_count, 999u));
      g_autofree char *accessible = g_strdup_printf (ngettext ("Jump to the newest message, %u new",
                                                               "Jump to the newest message, %u new",
                                                               self->new_count),
                                                     self->new_count);

      gtk_label_set_text (self->new_count_label, text);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->jump_button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
    }
}

/* Runs a few frames after the list changed under a sticky bottom: rows
 * are measured as they come into view, so the end moves more than once. */
static gboolean
bottom_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  DuetChatView *self = user_data;
  GtkAdjustment *adj = vadjustment (self);
  double target = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);

  if (self->stick_to_bottom && gtk_adjustment_get_value (adj) < target - 0.5)
    gtk_adjustment_set_value (adj, target);

  if (!self->stick_to_bottom || ++self->bottom_frames >= 8)
    {
      self->bottom_tick_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
ensure_bottom_tick (DuetChatView *self)
{
  self->bottom_frames = 0;
  if (self->bottom_tick_id == 0)
    self->bottom_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self->scroller), bottom_tick_cb,
                                                         self, NULL);
}

void
_duet_chat_view_scroll_to_bottom (DuetChatView *self)
{
  self->stick_to_bottom = TRUE;
  self->new_count = 0;
  duet_timeline_list_scroll_to_end (self->timeline_list);
  ensure_bottom_tick (self);
  update_jump_button (self);
}

static void
adjustment_value_changed_cb (DuetChatView  *self,
                             GtkAdjustment *adj)
{
  double value = gtk_adjustment_get_value (adj);

  if (is_at_bottom (self))
    {
      self->stick_to_bottom = TRUE;
      self->new_count = 0;
    }
  else if (value < self->last_value - 1.0 && value != self->configured_value)
    /* Moved up, and not by a new layout: the user's doing. */
    self->stick_to_bottom = FALSE;
  self->last_value = value;
  self->configured_value = NAN;

  if (value >= gtk_adjustment_get_page_size (adj))
    self->paginate_failed = FALSE;

  update_jump_button (self);
  schedule_check (self);
}

/* gtk_adjustment_configure () sets every field, then emits ::changed and
 * ::value-changed: a value change carrying the value seen here comes from
 * the layout (a smaller page keeps the list's anchor row in place, which
 * moves the value), not from the user. */
static void
adjustment_changed_cb (DuetChatView  *self,
                       GtkAdjustment *adj)
{
  self->configured_value = gtk_adjustment_get_value (adj);
  if (self->stick_to_bottom && !is_at_bottom (self))
    ensure_bottom_tick (self);
  update_jump_button (self);
  schedule_check (self);
}

/* --- Back-pagination and read state ---------------------------------------- */

static void
paginate_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(DuetChatView) self = user_data;
  g_autoptr(GError) error = NULL;
  gssize count;

  count = duet_timeline_paginate_finish (DUET_TIMELINE (source), result, &error);
  if (DUET_TIMELINE (source) != self->timeline)
    return;

  self->paginating = FALSE;
  if (count < 0)
    {
      self->paginate_failed = TRUE;
      _duet_chat_view_show_error (self, _("Could not load older messages"), error);
      return;
    }
  /* Nothing came yet the start is not reached: wait for the user to
   * scroll again rather than asking in a loop. */
  if (count == 0 && !duet_timeline_get_at_start (self->timeline))
    self->paginate_failed = TRUE;
  schedule_check (self);
}

static void
maybe_paginate (DuetChatView *self)
{
  GtkAdjustment *adj = vadjustment (self);

  if (self->timeline == NULL || !self->loaded || self->paginating || self->paginate_failed ||
      duet_timeline_get_at_start (self->timeline) ||
      g_list_model_get_n_items (G_LIST_MODEL (self->timeline)) == 0)
    return;

  /* Within a screen of the top, or the messages do not fill the screen. */
  if (gtk_adjustment_get_value (adj) > gtk_adjustment_get_page_size (adj))
    return;

  self->paginating = TRUE;
  duet_timeline_paginate_async (self->timeline, self->cancellable, paginate_cb, g_object_ref (self));
}

static const char *
newest_event_id (DuetChatView *self)
{
  GListModel *model = G_LIST_MODEL (self->timeline);

  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(DuetTimelineItem) item = g_list_model_get_item (model, i - 1);
      const char *event_id = duet_timeline_item_get_event_id (item);

      /* The item holds the string; the model holds the item. */
      if (event_id != NULL)
        return event_id;
    }
  return NULL;
}

static void
mark_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(DuetChatView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_timeline_mark_read_finish (DUET_TIMELINE (source), result, &error))
    _duet_chat_view_show_error (self, _("Could not mark the chat as read"), error);
}

static void
maybe_mark_read (DuetChatView *self)
{
  const char *newest;

  if (self->timeline == NULL || !self->loaded || self->window == NULL ||
      !gtk_window_is_active (self->window) || !gtk_widget_get_mapped (GTK_WIDGET (self)) ||
      !is_at_bottom (self))
    return;

  newest = newest_event_id (self);
  if (newest == NULL || g_strcmp0 (newest, self->read_event_id) == 0)
    return;

  /* Once per newest event: scrolling at the bottom asks nothing more. */
  g_free (self->read_event_id);
  self->read_event_id = g_strdup (newest);
  duet_timeline_mark_read_async (self->timeline, self->cancellable, mark_read_cb, g_object_ref (self));
}

static gboolean
check_idle_cb (gpointer user_data)
{
  DuetChatView *self = user_data;

  self->check_idle_id = 0;
  maybe_paginate (self);
  maybe_mark_read (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_check (DuetChatView *self)
{
  if (self->check_idle_id == 0 && self->timeline != NULL)
    self->check_idle_id = g_idle_add_full (G_PRIORITY_LOW, check_idle_cb, self, NULL);
}

/* --- The timeline ---------------------------------------------------------- */

static void
update_content (DuetChatView *self)
{
  guint n_items = self->timeline != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->timeline)) : 0;
  const char *page;

  if (n_items > 0)
    page = "list";
  else if (self->timeline != NULL && self->loaded && !duet_timeline_get_loading (self->timeline))
    page = "empty";
  else
    page = "loading";

  gtk_stack_set_visible_child_name (self->content_stack, page);
  if (g_str_equal (page, "loading"))
    gtk_spinner_start (self->loading_spinner);
  else
    gtk_spinner_stop (self->loading_spinner);
  update_jump_button (self);
}

static void
timeline_items_changed_cb (DuetChatView *self,
                           guint         position,
                           guint         removed,
                           guint         added,
                           GListModel   *model)
{
  guint n_items = g_list_model_get_n_items (model);

  /* New rows at the end: follow them, or count them for the jump button. */
  if (added > 0 && position + added == n_items && position > 0)
    {
      if (self->stick_to_bottom)
        ensure_bottom_tick (self);
      else
        for (guint i = position; i < n_items; i++)
          {
            g_autoptr(DuetTimelineItem) item = g_list_model_get_item (model, i);

            if (duet_timeline_item_get_kind (item) == DUET_TIMELINE_ITEM_MESSAGE &&
                !duet_timeline_item_is_own (item))
              self->new_count++;
          }
    }

  if (added > 0)
    _duet_chat_members_update (self);
  update_content (self);
  schedule_check (self);
}

static void
typing_changed_cb (DuetChatView *self)
{
  g_auto(GStrv) names = self->timeline != NULL ? duet_timeline_dup_typing (self->timeline) : NULL;
  guint n = names != NULL ? g_strv_length (names) : 0;
  g_autofree char *text = NULL;

  if (n == 1)
    text = g_strdup_printf (_("%s is typing…"), names[0]);
  else if (n == 2)
    text = g_strdup_printf (_("%s and %s are typing…"), names[0], names[1]);
  else if (n > 2)
    text = g_strdup (_("Several people are typing…"));

  if (text != NULL)
    gtk_label_set_text (self->typing_label, text);
  gtk_revealer_set_reveal_child (self->typing_revealer, text != NULL);
}

static void
load_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(DuetChatView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_timeline_load_finish (DUET_TIMELINE (source), result, &error))
    {
      if (DUET_TIMELINE (source) == self->timeline)
        _duet_chat_view_show_error (self, _("Could not load the messages"), error);
    }
  if (DUET_TIMELINE (source) != self->timeline)
    return;

  self->loaded = TRUE;
  update_content (self);
  _duet_chat_view_scroll_to_bottom (self);
  schedule_check (self);
}

/* --- Header ---------------------------------------------------------------- */

DuetMember *
_duet_chat_view_get_partner (DuetChatView *self)
{
  const char *own_id, *direct_user;
  g_autoptr(GPtrArray) members = NULL;
  DuetMember *member;

  if (self->room == NULL || self->session == NULL)
    return NULL;

  direct_user = duet_direct_map_get_user_for_room (duet_session_get_direct_map (self->session),
                                                   duet_room_get_id (self->room));
  if (direct_user != NULL && (member = duet_room_lookup_member (self->room, direct_user)) != NULL)
    return member;

  own_id = duet_client_get_user_id (duet_session_get_client (self->session));
  members = duet_room_dup_members (self->room, DUET_MEMBERSHIP_NONE);
  for (guint i = 0; i < members->len; i++)
    {
      DuetMember *candidate = g_ptr_array_index (members, i);
      DuetMembership membership = duet_member_get_membership (candidate);

      if ((membership == DUET_MEMBERSHIP_JOIN || membership == DUET_MEMBERSHIP_INVITE) &&
          g_strcmp0 (duet_member_get_user_id (candidate), own_id) != 0)
        return duet_room_lookup_member (self->room, duet_member_get_user_id (candidate));
    }
  return NULL;
}

static guint
count_people (DuetChatView *self)
{
  g_autoptr(GPtrArray) joined = duet_room_dup_members (self->room, DUET_MEMBERSHIP_JOIN);
  g_autoptr(GPtrArray) invited = duet_room_dup_members (self->room, DUET_MEMBERSHIP_INVITE);

  return joined->len + invited->len;
}

static void
update_header (DuetChatView *self)
{
  DuetMember *partner;
  const char *name;
  g_autofree char *subtitle = NULL;
  g_autofree char *hello = NULL;
  g_autofree char *hello_markup = NULL;
  guint people;

  if (self->room == NULL)
    {
      adw_window_title_set_title (self->title_widget, "");
      adw_window_title_set_subtitle (self->title_widget, "");
      adw_avatar_set_text (self->header_avatar, NULL);
      duet_avatar_loader_set_avatar (self->header_avatar, NULL, NULL);
      return;
    }

  name = duet_room_get_name (self->room);
  partner = _duet_chat_view_get_partner (self);
  people = count_people (self);

  if (people > 2)
    subtitle = g_strdup_printf (ngettext ("%u member", "%u members", people), people);
  else if (partner != NULL)
    subtitle = g_strdup (duet_member_get_user_id (partner));

  /* AdwWindowTitle shows plain text. */
  adw_window_title_set_title (self->title_widget, name);
  adw_window_title_set_subtitle (self->title_widget, subtitle != NULL ? subtitle : "");
  adw_avatar_set_text (self->header_avatar, name);
  duet_avatar_loader_set_avatar (self->header_avatar, duet_session_get_client (self->session),
                                 people <= 2 && partner != NULL ? duet_member_get_avatar_url (partner) : NULL);

  /* The status page's description is markup. */
  hello = g_strdup_printf (_("Say hello to %s"), name);
  hello_markup = g_markup_escape_text (hello, -1);
  adw_status_page_set_description (self->empty_page, hello_markup);

  if (self->show_sender != (people > 2))
    {
      self->show_sender = people > 2;
      update_rows_show_sender (self);
    }
}

/* --- Opening and closing --------------------------------------------------- */

static void
close_room (DuetChatView *self)
{
  if (self->room == NULL)
    return;

  _duet_chat_composer_close (self);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->bottom_tick_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->scroller), self->bottom_tick_id);
  self->bottom_tick_id = 0;
  g_clear_handle_id (&self->check_idle_id, g_source_remove);

  duet_timeline_list_set_model (self->timeline_list, NULL);
  if (self->timeline != NULL)
    g_signal_handlers_disconnect_by_data (self->timeline, self);
  g_clear_object (&self->timeline);

  g_signal_handlers_disconnect_by_data (self->room, self);
  g_signal_handlers_disconnect_by_data (duet_session_get_direct_map (self->session), self);
  g_clear_object (&self->room);
  g_clear_object (&self->session);
  g_clear_pointer (&self->read_event_id, g_free);

  self->members_visible = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMBERS_VISIBLE]);
  gtk_revealer_set_reveal_child (self->typing_revealer, FALSE);
}

void
duet_chat_view_open (DuetChatView *self,
                     DuetSession  *session,
                     DuetRoom     *room)
{

  g_return_if_fail (DUET_IS_CHAT_VIEW (self));
  g_return_if_fail (session == NULL || DUET_IS_SESSION (session));
  g_return_if_fail (room == NULL || (DUET_IS_ROOM (room) && session != NULL));

  if (room == self->room && session == self->session)
    {
      if (room != NULL)
        gtk_widget_grab_focus (GTK_WIDGET (self->composer));
      return;
    }

  close_room (self);

  if (room != NULL)
    {
      self->session = g_object_ref (session);
      self->room = g_object_ref (room);
      self->cancellable = g_cancellable_new ();
      self->timeline = duet_timeline_new (session, duet_room_get_id (room));
      self->loaded = FALSE;
      self->paginating = FALSE;
      self->paginate_failed = FALSE;
      self->stick_to_bottom = TRUE;
      self->new_count = 0;
      self->last_value = 0;

      g_signal_connect_object (self->timeline, "items-changed",
                               G_CALLBACK (timeline_items_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->timeline, "notify::loading",
                               G_CALLBACK (update_content), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->timeline, "notify::typing",
                               G_CALLBACK (typing_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->timeline, "notify::at-start",
                               G_CALLBACK (schedule_check), self, G_CONNECT_SWAPPED);
      duet_timeline_list_set_model (self->timeline_list, G_LIST_MODEL (self->timeline));

      g_signal_connect_object (room, "notify::name", G_CALLBACK (update_header), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (duet_session_get_direct_map (session), "changed",
                               G_CALLBACK (_duet_chat_room_menu_update), self, G_CONNECT_SWAPPED);

      duet_timeline_load_async (self->timeline, self->cancellable, load_cb, g_object_ref (self));
    }

  self->show_sender = FALSE;
  update_header (self);
  update_content (self);
  typing_changed_cb (self);
  _duet_chat_room_menu_update (self);
  _duet_chat_members_update (self);
  if (room != NULL)
    _duet_chat_composer_open (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOM]);
}

DuetRoom *
duet_chat_view_get_room (DuetChatView *self)
{
  g_return_val_if_fail (DUET_IS_CHAT_VIEW (self), NULL);

  return self->room;
}

DuetTimeline *
duet_chat_view_get_timeline (DuetChatView *self)
{
  g_return_val_if_fail (DUET_IS_CHAT_VIEW (self), NULL);

  return self->timeline;
}

GtkWidget *
duet_chat_view_new (void)
{
  return g_object_new (DUET_TYPE_CHAT_VIEW, NULL);
}

/* --- Actions --------------------------------------------------------------- */

static void
jump_to_bottom_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  _duet_chat_view_scroll_to_bottom (DUET_CHAT_VIEW (widget));
}

static void
show_toast_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  duet_chat_view_show_message (DUET_CHAT_VIEW (widget), g_variant_get_string (parameter, NULL));
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  _duet_chat_composer_send (DUET_CHAT_VIEW (widget));
}

/* --- GtkWidget ------------------------------------------------------------- */

static void
duet_chat_view_root (GtkWidget *widget)
{
  DuetChatView *self = DUET_CHAT_VIEW (widget);
  GtkRoot *root;

  GTK_WIDGET_CLASS (duet_chat_view_parent_class)->root (widget);

  root = gtk_widget_get_root (widget);
  if (GTK_IS_WINDOW (root))
    {
      self->window = GTK_WINDOW (root);
      g_signal_connect_object (root, "notify::is-active", G_CALLBACK (schedule_check),
                               self, G_CONNECT_SWAPPED);
    }
}

static void
duet_chat_view_unroot (GtkWidget *widget)
{
  DuetChatView *self = DUET_CHAT_VIEW (widget);

  if (self->window != NULL)
    g_signal_handlers_disconnect_by_data (self->window, self);
  self->window = NULL;

  GTK_WIDGET_CLASS (duet_chat_view_parent_class)->unroot (widget);
}

static void
duet_chat_view_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (duet_chat_view_parent_class)->map (widget);
  schedule_check (DUET_CHAT_VIEW (widget));
}

/* --- GObject --------------------------------------------------------------- */

static void
duet_chat_view_dispose (GObject *object)
{
  DuetChatView *self = DUET_CHAT_VIEW (object);

  close_room (self);
  g_clear_handle_id (&self->check_idle_id, g_source_remove);

  G_OBJECT_CLASS (duet_chat_view_parent_class)->dispose (object);
}

static void
duet_chat_view_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  DuetChatView *self = DUET_CHAT_VIEW (object);

  switch (prop_id)
    {
    case PROP_ROOM:
      g_value_set_object (value, self->room);
      break;
    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;
    case PROP_MEMBERS_VISIBLE:
      g_value_set_boolean (value, self->members_visible);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_chat_view_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  DuetChatView *self = DUET_CHAT_VIEW (object);
  gboolean flag;

  switch (prop_id)
    {
    case PROP_FOLDED:
      flag = g_value_get_boolean (value);
      if (self->folded != flag)
        {
          self->folded = flag;
          /* On a phone the header is short of room: Members stays in the menu. */
          gtk_widget_set_visible (GTK_WIDGET (self->members_button), !flag);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_MEMBERS_VISIBLE:
      flag = g_value_get_boolean (value) && self->room != NULL;
      if (self->members_visible != flag)
        {
          self->members_visible = flag;
          if (flag)
            _duet_chat_members_update (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_chat_view_class_init (DuetChatViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = duet_chat_view_dispose;
  object_class->get_property = duet_chat_view_get_property;
  object_class->set_property = duet_chat_view_set_property;
  widget_class->root = duet_chat_view_root;
  widget_class->unroot = duet_chat_view_unroot;
  widget_class->map = duet_chat_view_map;

  properties[PROP_ROOM] =
    g_param_spec_object ("room", NULL, NULL, DUET_TYPE_ROOM,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FOLDED] =
    g_param_spec_boolean ("folded", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MEMBERS_VISIBLE] =
    g_param_spec_boolean ("members-visible", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "chat.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "chat.jump-to-bottom", NULL, jump_to_bottom_action);
  gtk_widget_class_install_action (widget_class, "chat.show-toast", "s", show_toast_action);
  gtk_widget_class_install_property_action (widget_class, "chat.members-visible", "members-visible");
  _duet_chat_room_menu_class_init (widget_class);

  g_type_ensure (DUET_TYPE_TIMELINE_LIST);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/duet_chat/Duet/duet-chat-view.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, DuetChatView, name)
  BIND (toast_overlay);
  BIND (header_bar);
  BIND (back_button);
  BIND (header_avatar);
  BIND (title_widget);
  BIND (menu_button);
  BIND (members_button);
  BIND (flap);
  BIND (content_stack);
  BIND (loading_spinner);
  BIND (empty_page);
  BIND (scroller);
  BIND (timeline_list);
  BIND (jump_revealer);
  BIND (jump_button);
  BIND (new_count_label);
  BIND (typing_revealer);
  BIND (typing_label);
  BIND (composer);
  BIND (send_button);
  BIND (members_title);
  BIND (members_list);
#undef BIND
}

static void
duet_chat_view_init (DuetChatView *self)
{
  GtkAdjustment *adj;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->configured_value = NAN;
  self->shown_count = G_MAXUINT;

  duet_timeline_list_set_create_func (self->timeline_list, create_row_cb, self, NULL);

  adj = vadjustment (self);
  g_signal_connect_object (adj, "value-changed", G_CALLBACK (adjustment_value_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (adj, "changed", G_CALLBACK (adjustment_changed_cb),
                           self, G_CONNECT_SWAPPED);

  _duet_chat_composer_init (self);
  duet_chat_view_open (self, NULL, NULL);
}
