/* duet-invite-dialog.c: "Mark this chat as a direct chat with Carol?"
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The dialog closes as soon as a response is chosen (AdwMessageDialog does
 * that); the GTask it runs keeps going and reports what the server said.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "duet-a11y.h"
#include "duet-avatar-loader.h"
#include "duet-contact-row.h"
#include "duet-invite-dialog.h"

struct _DuetInviteDialog
{
  AdwMessageDialog parent_instance;

  /* Owned references */
  DuetSession     *session;
  DuetRoom        *invite;
  GTask           *task;          /* the run in progress, until a response */

  DuetMarkDirect   accept_mark;   /* what plain "Accept" does */
};

G_DEFINE_FINAL_TYPE (DuetInviteDialog, duet_invite_dialog, ADW_TYPE_MESSAGE_DIALOG)

typedef struct {
  DuetInviteAnswer  answer;
  char             *room_id;
} RunData;

static void
run_data_free (RunData *data)
{
  g_free (data->room_id);
  g_free (data);
}

static void
accepted_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_session_accept_invite_finish (DUET_SESSION (source), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
declined_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_session_decline_invite_finish (DUET_SESSION (source), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
response_cb (DuetInviteDialog *self,
             const char       *response)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);
  RunData *data;
  GCancellable *cancellable;
  DuetMarkDirect mark;

  if (task == NULL)
    return;

  data = g_task_get_task_data (task);
  cancellable = g_task_get_cancellable (task);

  if (g_strcmp0 (response, "direct") == 0)
    mark = DUET_MARK_DIRECT_YES;
  else if (g_strcmp0 (response, "group") == 0)
    mark = DUET_MARK_DIRECT_NO;
  else if (g_strcmp0 (response, "accept") == 0)
    mark = self->accept_mark;
  else if (g_strcmp0 (response, "decline") == 0 || g_strcmp0 (response, "block") == 0)
    {
      data->answer = DUET_INVITE_ANSWER_DECLINED;
      duet_session_decline_invite_async (self->session, data->room_id,
                                         g_strcmp0 (response, "block") == 0,
                                         cancellable, declined_cb, g_steal_pointer (&task));
      return;
    }
  else
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The invitation was left for later");
      return;
    }

  data->answer = DUET_INVITE_ANSWER_ACCEPTED;
  duet_session_accept_invite_async (self->session, data->room_id, mark, cancellable,
                                    accepted_cb, g_steal_pointer (&task));
}

/* Who invites: a face, the name the room gives them and their id, so that
 * a look-alike display name does not pass for someone else. */
static GtkWidget *
build_inviter_box (DuetInviteDialog *self,
                   const char       *name,
                   const char       *user_id)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *avatar = adw_avatar_new (64, name, TRUE);
  GtkWidget *name_label = gtk_label_new (NULL);
  GtkWidget *id_label = gtk_label_new (NULL);
  DuetMember *member = user_id != NULL ? duet_room_lookup_member (self->invite, user_id) : NULL;

  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  gtk_label_set_text (GTK_LABEL (name_label), name);
  gtk_label_set_ellipsize (GTK_LABEL (name_label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (name_label, "heading");
  gtk_label_set_text (GTK_LABEL (id_label), user_id != NULL ? user_id : "");
  gtk_label_set_ellipsize (GTK_LABEL (id_label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (id_label, "dim-label");
  gtk_widget_set_visible (id_label, user_id != NULL && g_strcmp0 (user_id, name) != 0);

  duet_avatar_loader_set_avatar (ADW_AVATAR (avatar), duet_session_get_client (self->session),
                                 member != NULL ? duet_member_get_avatar_url (member) : NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (avatar),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);

  gtk_box_append (GTK_BOX (box), avatar);
  gtk_box_append (GTK_BOX (box), name_label);
  gtk_box_append (GTK_BOX (box), id_label);
  return box;
}

static void
build (DuetInviteDialog *self)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (self);
  const char *name = duet_contact_row_inviter_name (self->invite);
  const char *inviter = duet_room_get_inviter (self->invite);
  gboolean is_direct = duet_room_get_invite_is_direct (self->invite);
  DuetInvitePolicy policy = duet_session_get_invite_policy (self->session);
  g_autofree char *heading = g_strdup_printf (_("Invitation from %s"), name);
  g_autofree char *body = NULL;
  gboolean ask = is_direct && policy == DUET_INVITE_POLICY_ASK;

  if (ask)
    body = g_strdup_printf (_("Mark this chat as a direct chat with %s?"), name);
  else if (is_direct && policy == DUET_INVITE_POLICY_ALWAYS)
    body = g_strdup_printf (_("%s invited you to a direct chat. Accepting adds it to your direct chats."), name);
  else if (is_direct)
    body = g_strdup_printf (_("%s invited you to a direct chat. As set in Preferences, accepting keeps it out of your direct chats."), name);
  else
    body = g_strdup_printf (_("%s invited you to the group “%s”."), name, duet_room_get_name (self->invite));

  /* Names come from the server: heading and body stay plain text. */
  adw_message_dialog_set_heading_use_markup (dialog, FALSE);
  adw_message_dialog_set_body_use_markup (dialog, FALSE);
  adw_message_dialog_set_heading (dialog, heading);
  adw_message_dialog_set_body (dialog, body);
  adw_message_dialog_set_extra_child (dialog, build_inviter_box (self, name, inviter));

  adw_message_dialog_add_responses (dialog,
                                    "block", _("Decline and _Block"),
                                    "decline", _("_Decline"),
                                    NULL);
  if (ask)
    {
      adw_message_dialog_add_responses (dialog,
                                        "group", _("Accept as _Group"),
                                        "direct", _("Accept as Direct _Chat"),
                                        NULL);
      adw_message_dialog_set_response_appearance (dialog, "direct", ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (dialog, "direct");
    }
  else
    {
      adw_message_dialog_add_response (dialog, "accept", _("_Accept"));
      adw_message_dialog_set_response_appearance (dialog, "accept", ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (dialog, "accept");
    }
  adw_message_dialog_set_response_appearance (dialog, "block", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (dialog, "cancel");

  if (!is_direct)
    self->accept_mark = DUET_MARK_DIRECT_NO;
  else if (policy == DUET_INVITE_POLICY_ALWAYS)
    self->accept_mark = DUET_MARK_DIRECT_YES;
  else
    self->accept_mark = DUET_MARK_DIRECT_NO;
}

DuetInviteDialog *
duet_invite_dialog_new (GtkWindow   *parent,
                        DuetSession *session,
                        DuetRoom    *invite)
{
  DuetInviteDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (DUET_IS_SESSION (session), NULL);
  g_return_val_if_fail (DUET_IS_ROOM (invite), NULL);

  self = g_object_new (DUET_TYPE_INVITE_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "destroy-with-parent", TRUE,
                       NULL);
  self->session = g_object_ref (session);
  self->invite = g_object_ref (invite);
  build (self);
  return self;
}

void
duet_invite_dialog_run_async (DuetInviteDialog   *self,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  RunData *data;

  g_return_if_fail (DUET_IS_INVITE_DIALOG (self));
  g_return_if_fail (self->task == NULL);

  /* No source object: the task must not keep the closed dialog (and with
   * it a pointer to its transient parent) alive while the server works. */
  self->task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, duet_invite_dialog_run_async);
  data = g_new0 (RunData, 1);
  data->room_id = g_strdup (duet_room_get_id (self->invite));
  g_task_set_task_data (self->task, data, (GDestroyNotify) run_data_free);

  duet_a11y_name_internal_controls (GTK_WIDGET (self), NULL);
  gtk_window_present (GTK_WINDOW (self));
}

gboolean
duet_invite_dialog_run_finish (GAsyncResult      *result,
                               DuetInviteAnswer  *answer,
                               char             **room_id,
                               GError           **error)
{
  RunData *data;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == duet_invite_dialog_run_async, FALSE);

  data = g_task_get_task_data (G_TASK (result));
  if (answer != NULL)
    *answer = data->answer;
  if (room_id != NULL)
    *room_id = g_strdup (data->room_id);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
duet_invite_dialog_dispose (GObject *object)
{
  DuetInviteDialog *self = DUET_INVITE_DIALOG (object);

  /* Destroyed with its parent, before any response. */
  if (self->task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->task);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The invitation dialog closed without an answer");
    }

  G_OBJECT_CLASS (duet_invite_dialog_parent_class)->dispose (object);
}

static void
duet_invite_dialog_finalize (GObject *object)
{
  DuetInviteDialog *self = DUET_INVITE_DIALOG (object);

  /* Kept until finalize: a response handled during dispose still needs them. */
  g_clear_object (&self->session);
  g_clear_object (&self->invite);

  G_OBJECT_CLASS (duet_invite_dialog_parent_class)->finalize (object);
}

static void
duet_invite_dialog_class_init (DuetInviteDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = duet_invite_dialog_dispose;
  object_class->finalize = duet_invite_dialog_finalize;
}

static void
duet_invite_dialog_init (DuetInviteDialog *self)
{
  g_signal_connect (self, "response", G_CALLBACK (response_cb), NULL);
}
