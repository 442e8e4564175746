/* duet-chat-room-menu.c: the chat's menu and its members panel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Members (an AdwFlap beside the timeline), Invite Someone…, Mark as
 * Direct Chat / Not a Direct Chat (whichever the m.direct mirror makes
 * true) and Leave Chat, each a widget action so the keyboard, the menu and
 * tests reach it the same way.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "duet-avatar-loader.h"
#include "duet-chat-view-private.h"
#include "duet-matrix-id.h"

/* --- Members panel --------------------------------------------------------- */

static GtkWidget *
member_row_new (DuetChatView *self,
                DuetMember   *member)
{
  const char *name = duet_member_get_display_name (member);
  const char *user_id = duet_member_get_user_id (member);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *avatar;
  g_autofree char *subtitle = NULL;

  if (name == NULL || *name == '\0')
    name = user_id;
  if (duet_member_get_membership (member) == DUET_MEMBERSHIP_INVITE)
    subtitle = g_strdup_printf (_("%s · invited"), user_id);
  else
    subtitle = g_strdup (user_id);

  /* Names come from the server: plain text, never markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);

  avatar = adw_avatar_new (32, name, TRUE);
  duet_avatar_loader_set_avatar (ADW_AVATAR (avatar), duet_session_get_client (self->session),
                                 duet_member_get_avatar_url (member));
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), avatar);
  return row;
}

void
_duet_chat_members_update (DuetChatView *self)
{
  g_autoptr(GPtrArray) joined = NULL;
  g_autoptr(GPtrArray) invited = NULL;
  g_autofree char *title = NULL;
  GtkWidget *child;
  guint count;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->members_list))) != NULL)
    gtk_list_box_remove (self->members_list, child);

  if (self->room == NULL)
    return;

  joined = duet_room_dup_members (self->room, DUET_MEMBERSHIP_JOIN);
  invited = duet_room_dup_members (self->room, DUET_MEMBERSHIP_INVITE);
  count = joined->len + invited->len;
  title = g_strdup_printf (ngettext ("%u Member", "%u Members", count), count);
  gtk_label_set_text (self->members_title, title);

  /* The rows cost something: only build them while the panel shows. */
  if (self->members_visible)
    {
      for (guint i = 0; i < joined->len && i < 500; i++)
        gtk_list_box_append (self->members_list, member_row_new (self, g_ptr_array_index (joined, i)));
      for (guint i = 0; i < invited->len && i < 500; i++)
        gtk_list_box_append (self->members_list, member_row_new (self, g_ptr_array_index (invited, i)));
    }
}

/* --- Direct or not --------------------------------------------------------- */

void
_duet_chat_room_menu_update (DuetChatView *self)
{
  gboolean open = self->room != NULL;
  gboolean direct = open && duet_direct_map_is_direct (duet_session_get_direct_map (self->session),
                                                       duet_room_get_id (self->room));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.mark-direct", open && !direct);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.unmark-direct", open && direct);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.invite", open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.leave", open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.members-visible", open);
}

typedef struct {
  DuetChatView *view;
  char         *text;   /* what the error message says was tried */
} ActionData;

static ActionData *
action_data_new (DuetChatView *view,
                 const char   *text)
{
  ActionData *data = g_new0 (ActionData, 1);

  data->view = g_object_ref (view);
  data->text = g_strdup (text);
  return data;
}

static void
action_data_free (ActionData *data)
{
  g_object_unref (data->view);
  g_free (data->text);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ActionData, action_data_free)

static void
mark_direct_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ActionData) data = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_session_mark_direct_finish (DUET_SESSION (source), result, &error))
    _duet_chat_view_show_error (data->view, data->text, error);
  _duet_chat_room_menu_update (data->view);
}

static void
mark_direct_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  DuetChatView *self = DUET_CHAT_VIEW (widget);
  DuetMember *partner = _duet_chat_view_get_partner (self);

  if (self->room == NULL)
    return;
  if (partner == NULL)
    {
      duet_chat_view_show_message (self, _("There is nobody else in this chat to mark it direct with"));
      return;
    }
  gtk_widget_action_set_enabled (widget, "chat.mark-direct", FALSE);
  duet_session_mark_direct_async (self->session, duet_room_get_id (self->room),
                                  duet_member_get_user_id (partner), self->cancellable,
                                  mark_direct_cb,
                                  action_data_new (self, _("Could not mark the chat as direct")));
}

static void
unmark_direct_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ActionData) data = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_session_unmark_direct_finish (DUET_SESSION (source), result, &error))
    _duet_chat_view_show_error (data->view, data->text, error);
  _duet_chat_room_menu_update (data->view);
}

static void
unmark_direct_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  DuetChatView *self = DUET_CHAT_VIEW (widget);

  if (self->room == NULL)
    return;
  gtk_widget_action_set_enabled (widget, "chat.unmark-direct", FALSE);
  duet_session_unmark_direct_async (self->session, duet_room_get_id (self->room), self->cancellable,
                                    unmark_direct_cb,
                                    action_data_new (self, _("Could not change the chat to not direct")));
}

/* --- Invite ---------------------------------------------------------------- */

static void
invite_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ActionData) data = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_client_invite_finish (DUET_CLIENT (source), result, &error))
    {
      g_autofree char *what = g_strdup_printf (_("Could not invite %s"), data->text);

      _duet_chat_view_show_error (data->view, what, error);
    }
  else
    {
      g_autofree char *message = g_strdup_printf (_("Invited %s"), data->text);

      duet_chat_view_show_message (data->view, message);
    }
}

static void
invite_entry_changed_cb (GtkEditable      *entry,
                         AdwMessageDialog *dialog)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  adw_message_dialog_set_response_enabled (dialog, "invite", duet_matrix_is_valid_user_id (text));
}

static void
invite_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    DuetChatView     *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autofree char *user_id = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  if (!g_str_equal (response, "invite") || self->room == NULL || !duet_matrix_is_valid_user_id (user_id))
    return;

  duet_client_invite_async (duet_session_get_client (self->session), duet_room_get_id (self->room),
                            user_id, self->cancellable, invite_cb, action_data_new (self, user_id));
}

static void
invite_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  DuetChatView *self = DUET_CHAT_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog, *entry;

  if (self->room == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Invite Someone"),
                                   _("Enter their Matrix ID, like @name:example.org"));
  entry = gtk_entry_new ();
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_FREE_FORM);
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), "@name:example.org");
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Matrix ID"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "invite", _("_Invite"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "invite",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "invite");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "invite", FALSE);

  g_signal_connect (entry, "changed", G_CALLBACK (invite_entry_changed_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (invite_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

/* --- Leave ----------------------------------------------------------------- */

static void
leave_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(ActionData) data = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_client_leave_finish (DUET_CLIENT (source), result, &error))
    {
      _duet_chat_view_show_error (data->view, _("Could not leave the chat"), error);
      return;
    }
  /* The window closes the chat (back to the contacts on a phone). */
  if (g_strcmp0 (data->view->room != NULL ? duet_room_get_id (data->view->room) : NULL, data->text) == 0)
    gtk_widget_activate_action (GTK_WIDGET (data->view), "win.close-chat", NULL);
}

static void
leave_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   DuetChatView     *self)
{
  if (!g_str_equal (response, "leave") || self->room == NULL)
    return;

  /* Not the room's cancellable: leaving goes on even if the chat closes. */
  duet_client_leave_async (duet_session_get_client (self->session), duet_room_get_id (self->room),
                           NULL, leave_cb, action_data_new (self, duet_room_get_id (self->room)));
}

static void
leave_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  DuetChatView *self = DUET_CHAT_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog;
  g_autofree char *body = NULL;

  if (self->room == NULL)
    return;

  body = g_strdup_printf (_("You will no longer get messages from “%s”. You can only come back if "
                            "someone invites you again."), duet_room_get_name (self->room));
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Leave This Chat?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "leave", _("_Leave"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "leave",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (leave_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
_duet_chat_room_menu_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "chat.mark-direct", NULL, mark_direct_action);
  gtk_widget_class_install_action (widget_class, "chat.unmark-direct", NULL, unmark_direct_action);
  gtk_widget_class_install_action (widget_class, "chat.invite", NULL, invite_action);
  gtk_widget_class_install_action (widget_class, "chat.leave", NULL, leave_action);

  /* Every item is also reachable from the keyboard through the focusable
   * menu button; the members panel has a shortcut of its own. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, GDK_CONTROL_MASK,
                                       "chat.members-visible", NULL);
}
