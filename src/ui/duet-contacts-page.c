/* duet-contacts-page.c: the people you have direct chats with, and invites
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 4.8 has no list sections, so the invites and the contacts are two
 * filtered models flattened into one list: arrow keys walk through both,
 * and the invite rows say what they are ("Invitation from ...").
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "duet-a11y.h"
#include "duet-contact-row.h"
#include "duet-contacts-page.h"
#include "duet-invite-dialog.h"
#include "duet-start-chat-dialog.h"
#include "duet-start-chat-flow.h"
#include "duet-uri.h"

struct _DuetContactsPage
{
  AdwBin              parent_instance;

  /* Template widgets */
  GtkSearchEntry     *search_entry;
  GtkButton          *start_chat_button;
  GtkStack           *stack;
  GtkListView        *list_view;

  /* Owned references */
  DuetSession        *session;
  GtkCustomFilter    *filter;
  GtkFilterListModel *invites;
  GtkFilterListModel *contacts;
  GtkFlattenListModel *items;
  GCancellable       *cancellable;
  char               *needle;   /* the search text, casefolded; NULL: no search */
};

G_DEFINE_FINAL_TYPE (DuetContactsPage, duet_contacts_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SESSION,
  PROP_SHOW_START_CHAT_BUTTON,
  N_PROPS
};

enum {
  SIGNAL_ROOM_ACTIVATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean
text_matches (const char *text,
              const char *needle)
{
  g_autofree char *normalized = NULL;
  g_autofree char *folded = NULL;

  if (text == NULL)
    return FALSE;
  normalized = g_utf8_normalize (text, -1, G_NORMALIZE_ALL);
  if (normalized == NULL)
    return FALSE;
  folded = g_utf8_casefold (normalized, -1);
  return strstr (folded, needle) != NULL;
}

static gboolean
item_matches (gpointer item,
              gpointer user_data)
{
  DuetContactsPage *self = user_data;

  if (self->needle == NULL)
    return TRUE;

  if (DUET_IS_CONTACT (item))
    return text_matches (duet_contact_get_name (item), self->needle) ||
           text_matches (duet_contact_get_user_id (item), self->needle);

  if (DUET_IS_ROOM (item))
    return text_matches (duet_contact_row_inviter_name (item), self->needle) ||
           text_matches (duet_room_get_inviter (item), self->needle) ||
           text_matches (duet_room_get_name (item), self->needle);

  return FALSE;
}

static void
update_stack (DuetContactsPage *self)
{
  if (g_list_model_get_n_items (G_LIST_MODEL (self->items)) > 0)
    gtk_stack_set_visible_child_name (self->stack, "list");
  else if (self->needle != NULL)
    gtk_stack_set_visible_child_name (self->stack, "no-results");
  else
    gtk_stack_set_visible_child_name (self->stack, "empty");
}

static GtkWindow *
parent_window (DuetContactsPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

/* Errors go up to the window's toast overlay when there is one, else into
 * a dialog: never silent. */
static void
show_message (DuetContactsPage *self,
              const char       *heading,
              const char       *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  GtkWidget *dialog;

  if (overlay != NULL)
    {
      /* Toast titles are markup, and the message may quote the server. */
      g_autofree char *text = g_strdup_printf ("%s %s", heading, message);
      g_autofree char *escaped = g_markup_escape_text (text, -1);

      adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (escaped));
      return;
    }

  dialog = adw_message_dialog_new (parent_window (self), heading, message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  duet_a11y_name_internal_controls (dialog, NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_error (DuetContactsPage *self,
            const char       *heading,
            const GError     *error)
{
  g_autofree char *message = duet_start_chat_flow_describe_error (error);

  show_message (self, heading, message);
}

static void
emit_room_activated (DuetContactsPage *self,
                     const char       *room_id)
{
  g_signal_emit (self, signals[SIGNAL_ROOM_ACTIVATED], 0, room_id);
}

static void
chat_started_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(DuetContactsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = duet_start_chat_flow_finish (DUET_SESSION (source), result, &error);

  if (room_id != NULL)
    emit_room_activated (self, room_id);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_error (self, _("Could not start the chat."), error);
}

void
duet_contacts_page_start_chat (DuetContactsPage *self,
                               const char       *user_id_or_null)
{
  g_autofree char *user_id = NULL;

  g_return_if_fail (DUET_IS_CONTACTS_PAGE (self));

  if (self->session == NULL)
    return;

  if (user_id_or_null == NULL || *user_id_or_null == '\0')
    {
      DuetStartChatDialog *dialog = duet_start_chat_dialog_new (parent_window (self), self->session);

      g_signal_connect_object (dialog, "room-activated", G_CALLBACK (emit_room_activated),
                               self, G_CONNECT_SWAPPED);
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }

  user_id = duet_uri_parse_user_id (user_id_or_null);
  if (user_id == NULL)
    {
      show_message (self, _("Could not start the chat."),
                    _("That is not a valid Matrix ID. It looks like @name:example.org."));
      return;
    }

  duet_start_chat_flow_async (self->session, parent_window (self), user_id, self->cancellable,
                              chat_started_cb, g_object_ref (self));
}

static void
invite_answered_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(DuetContactsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = NULL;
  DuetInviteAnswer answer;

  if (duet_invite_dialog_run_finish (result, &answer, &room_id, &error))
    {
      if (answer == DUET_INVITE_ANSWER_ACCEPTED)
        emit_room_activated (self, room_id);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      show_error (self, answer == DUET_INVITE_ANSWER_ACCEPTED
                          ? _("Could not accept the invitation.")
                          : _("Could not decline the invitation."),
                  error);
    }
}

static void
open_invite (DuetContactsPage *self,
             DuetRoom         *invite)
{
  DuetInviteDialog *dialog = duet_invite_dialog_new (parent_window (self), self->session, invite);

  duet_invite_dialog_run_async (dialog, self->cancellable, invite_answered_cb, g_object_ref (self));
}

void
duet_contacts_page_open_invite (DuetContactsPage *self,
                                const char       *room_id)
{
  DuetRoom *room;

  g_return_if_fail (DUET_IS_CONTACTS_PAGE (self));
  g_return_if_fail (room_id != NULL);

  if (self->session == NULL)
    return;
  room = duet_session_lookup_room (self->session, room_id);
  if (room == NULL || duet_room_get_own_membership (room) != DUET_MEMBERSHIP_INVITE)
    return;
  open_invite (self, room);
}

static void
list_activate_cb (DuetContactsPage *self,
                  guint             position)
{
  g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (self->items), position);

  if (item == NULL || self->session == NULL)
    return;

  if (DUET_IS_CONTACT (item))
    {
      DuetRoom *room = duet_contact_get_room (DUET_CONTACT (item));

      /* No usable room (the partner left every one): Start Chat decides. */
      if (room != NULL)
        emit_room_activated (self, duet_room_get_id (room));
      else
        duet_contacts_page_start_chat (self, duet_contact_get_user_id (DUET_CONTACT (item)));
    }
  else if (DUET_IS_ROOM (item))
    {
      open_invite (self, DUET_ROOM (item));
    }
}

static void
search_changed_cb (DuetContactsPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  g_autofree char *normalized = g_utf8_normalize (stripped, -1, G_NORMALIZE_ALL);

  g_clear_pointer (&self->needle, g_free);
  if (normalized != NULL && *normalized != '\0')
    self->needle = g_utf8_casefold (normalized, -1);

  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_stack (self);
}

/* Enter in the search opens the first match, as in GNOME Settings. */
static void
search_activate_cb (DuetContactsPage *self)
{
  if (g_list_model_get_n_items (G_LIST_MODEL (self->items)) > 0)
    list_activate_cb (self, 0);
}

static void
stop_search_cb (DuetContactsPage *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

static gboolean
search_key_pressed_cb (DuetContactsPage      *self,
                       guint                  keyval,
                       guint                  keycode,
                       GdkModifierType        state,
                       GtkEventControllerKey *controller)
{
  if (keyval != GDK_KEY_Down && keyval != GDK_KEY_KP_Down)
    return FALSE;
  /* Down from the search moves into the list, to the first row. */
  return gtk_widget_child_focus (GTK_WIDGET (self->list_view), GTK_DIR_TAB_FORWARD);
}

static void
start_chat_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  duet_contacts_page_start_chat (DUET_CONTACTS_PAGE (widget), NULL);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  DuetContactsPage *self = DUET_CONTACTS_PAGE (widget);

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              DuetContactsPage         *self)
{
  gtk_list_item_set_child (list_item, duet_contact_row_new ());
}

/* GTK 4.8's list view keeps 200 rows bound around its anchor, not just the
 * visible ones, and while scrolling it moves that window from one side of
 * the anchor to the other: measured, each row is bound about 2.5 times per
 * pass through a long list.  So a bind stays cheap: the row skips work it
 * can (unbind keeps the widgets, avatars are asked for later and come from
 * memory when they can). */
static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             DuetContactsPage         *self)
{
  DuetContactRow *row = DUET_CONTACT_ROW (gtk_list_item_get_child (list_item));
  gpointer item = gtk_list_item_get_item (list_item);

  duet_contact_row_set_client (row, self->session != NULL ? duet_session_get_client (self->session) : NULL);
  if (DUET_IS_CONTACT (item))
    duet_contact_row_set_contact (row, item);
  else if (DUET_IS_ROOM (item))
    duet_contact_row_set_invite (row, item);
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               DuetContactsPage         *self)
{
  DuetContactRow *row = DUET_CONTACT_ROW (gtk_list_item_get_child (list_item));

  duet_contact_row_unbind (row);
}

DuetSession *
duet_contacts_page_get_session (DuetContactsPage *self)
{
  g_return_val_if_fail (DUET_IS_CONTACTS_PAGE (self), NULL);
  return self->session;
}

void
duet_contacts_page_set_session (DuetContactsPage *self,
                                DuetSession      *session)
{
  g_return_if_fail (DUET_IS_CONTACTS_PAGE (self));
  g_return_if_fail (session == NULL || DUET_IS_SESSION (session));

  if (!g_set_object (&self->session, session))
    return;

  /* What was in flight belonged to the old account. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  gtk_filter_list_model_set_model (self->invites, session != NULL ? duet_session_get_invites (session) : NULL);
  gtk_filter_list_model_set_model (self->contacts, session != NULL ? duet_session_get_contacts (session) : NULL);
  update_stack (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "contacts.start-chat", session != NULL);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);
}

GtkWidget *
duet_contacts_page_new (void)
{
  return g_object_new (DUET_TYPE_CONTACTS_PAGE, NULL);
}

static void
duet_contacts_page_dispose (GObject *object)
{
  DuetContactsPage *self = DUET_CONTACTS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->items != NULL)
    g_signal_handlers_disconnect_by_data (self->items, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), DUET_TYPE_CONTACTS_PAGE);
  g_clear_object (&self->items);
  g_clear_object (&self->invites);
  g_clear_object (&self->contacts);
  g_clear_object (&self->filter);
  g_clear_object (&self->session);
  g_clear_pointer (&self->needle, g_free);

  G_OBJECT_CLASS (duet_contacts_page_parent_class)->dispose (object);
}

static void
duet_contacts_page_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  DuetContactsPage *self = DUET_CONTACTS_PAGE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    case PROP_SHOW_START_CHAT_BUTTON:
      g_value_set_boolean (value, gtk_widget_get_visible (GTK_WIDGET (self->start_chat_button)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_contacts_page_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  DuetContactsPage *self = DUET_CONTACTS_PAGE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      duet_contacts_page_set_session (self, g_value_get_object (value));
      break;
    case PROP_SHOW_START_CHAT_BUTTON:
      gtk_widget_set_visible (GTK_WIDGET (self->start_chat_button), g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_contacts_page_class_init (DuetContactsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = duet_contacts_page_dispose;
  object_class->get_property = duet_contacts_page_get_property;
  object_class->set_property = duet_contacts_page_set_property;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, DUET_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* A window whose header bar has Start Chat hides the page's own button:
   * one control per action. */
  properties[PROP_SHOW_START_CHAT_BUTTON] =
    g_param_spec_boolean ("show-start-chat-button", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_ROOM_ACTIVATED] =
    g_signal_new ("room-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/duet_chat/Duet/duet-contacts-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DuetContactsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, DuetContactsPage, start_chat_button);
  gtk_widget_class_bind_template_child (widget_class, DuetContactsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, DuetContactsPage, list_view);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, list_activate_cb);

  gtk_widget_class_install_action (widget_class, "contacts.start-chat", NULL, start_chat_action);
  gtk_widget_class_install_action (widget_class, "contacts.search", NULL, search_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "contacts.start-chat", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "contacts.search", NULL);
}

static void
duet_contacts_page_init (DuetContactsPage *self)
{
  g_autoptr(GListStore) sections = g_list_store_new (G_TYPE_LIST_MODEL);
  GtkListItemFactory *factory;
  g_autoptr(GtkNoSelection) selection = NULL;
  GtkEventController *keys;

  g_type_ensure (DUET_TYPE_CONTACT_ROW);
  gtk_widget_init_template (GTK_WIDGET (self));
  duet_a11y_name_internal_controls (GTK_WIDGET (self), NULL);

  self->cancellable = g_cancellable_new ();
  self->filter = gtk_custom_filter_new (item_matches, self, NULL);
  self->invites = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->filter)));
  self->contacts = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->filter)));
  g_list_store_append (sections, self->invites);
  g_list_store_append (sections, self->contacts);
  self->items = gtk_flatten_list_model_new (g_object_ref (G_LIST_MODEL (sections)));
  g_signal_connect_swapped (self->items, "items-changed", G_CALLBACK (update_stack), self);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), self);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  /* No selection: the current chat is the window's business, and arrow
   * keys must not open every chat they pass. */
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->items)));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));

  keys = gtk_event_controller_key_new ();
  g_signal_connect_swapped (keys, "key-pressed", G_CALLBACK (search_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->search_entry), keys);
  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "contacts.start-chat", FALSE);
  update_stack (self);
}
