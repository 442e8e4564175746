/* duet-start-chat-flow.c: Start Chat with one person, partner-left included
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * start_chat -> REUSED / CREATED: done.
 *            -> PARTNER_LEFT: ask; "invite" -> invite into the old room;
 *               "new" -> createRoom (is_direct) -> add it to m.direct.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "duet-a11y.h"
#include "duet-api-error.h"
#include "duet-contact.h"
#include "duet-json.h"
#include "duet-start-chat-flow.h"
#include "duet-text.h"

typedef struct {
  char     *user_id;
  char     *room_id;   /* the left room, then the room to open */
  gboolean  answered;  /* the partner-left question got a response */
} FlowData;

static void
flow_data_free (FlowData *data)
{
  g_clear_pointer (&data->user_id, g_free);
  g_clear_pointer (&data->room_id, g_free);
  g_free (data);
}

char *
duet_start_chat_flow_describe_error (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR ||
      error->domain == G_TLS_ERROR)
    return g_strdup (_("Could not reach the server. Check the connection and try again."));

  if (error->domain == DUET_API_ERROR)
    switch ((DuetApiError) error->code)
      {
      case DUET_API_ERROR_FORBIDDEN:
        /* The server's own reason is plain text in a plain label. */
        return g_strdup_printf (_("The server did not allow this: %s"), error->message);
      case DUET_API_ERROR_NOT_FOUND:
      case DUET_API_ERROR_HTTP_NOT_FOUND:
        return g_strdup (_("That person or chat was not found on the server."));
      case DUET_API_ERROR_LIMIT_EXCEEDED:
        return g_strdup (_("The server is busy. Try again in a moment."));
      case DUET_API_ERROR_INVALID_ARGUMENT:
        return g_strdup (_("That is not a valid Matrix ID. It looks like @name:example.org."));
      case DUET_API_ERROR_UNKNOWN_TOKEN:
      case DUET_API_ERROR_SOFT_LOGOUT:
      case DUET_API_ERROR_MISSING_TOKEN:
      case DUET_API_ERROR_NOT_SIGNED_IN:
        return g_strdup (_("You are signed out. Sign in again and retry."));
      default:
        break;
      }

  return g_strdup_printf (_("Something went wrong: %s"), error->message);
}

static void
mark_direct_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FlowData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!duet_direct_map_add_room_finish (DUET_DIRECT_MAP (source), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_strdup (data->room_id), g_free);
}

static void
create_room_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FlowData *data = g_task_get_task_data (task);
  DuetSession *session = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  char *room_id = duet_client_create_room_finish (DUET_CLIENT (source), result, &error);

  if (room_id == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_free (data->room_id);
  data->room_id = room_id;
  /* The model has no "always create" call: createRoom said is_direct to
   * the partner; m.direct is ours to update, by the model's careful write.
   * Not duet_session_mark_direct: that wants a room the session has synced,
   * and this one is seconds old.  Not cancellable: the room exists now. */
  duet_direct_map_add_room_async (duet_session_get_direct_map (session), data->user_id, data->room_id,
                                  NULL, mark_direct_cb, g_object_ref (task));
}

static void
invite_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FlowData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!duet_client_invite_finish (DUET_CLIENT (source), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_strdup (data->room_id), g_free);
}

static void
partner_left_response_cb (AdwMessageDialog *dialog,
                          const char       *response,
                          gpointer          user_data)
{
  GTask *task = user_data;
  FlowData *data = g_task_get_task_data (task);
  DuetSession *session = g_task_get_source_object (task);
  DuetClient *client = duet_session_get_client (session);

  if (data->answered)
    return;
  data->answered = TRUE;

  if (g_strcmp0 (response, "invite") == 0)
    {
      duet_client_invite_async (client, data->room_id, data->user_id,
                                g_task_get_cancellable (task), invite_cb, g_object_ref (task));
    }
  else if (g_strcmp0 (response, "new") == 0)
    {
      const char *invite[] = { data->user_id, NULL };

      duet_client_create_room_async (client, "trusted_private_chat", invite, TRUE, NULL, NULL,
                                     g_task_get_cancellable (task), create_room_cb,
                                     g_object_ref (task));
    }
  else
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The person chose neither an invitation nor a new chat");
    }
}

/* A dialog destroyed without an answer (its parent went away) still ends
 * the flow, so that the caller does not wait forever. */
static void
partner_left_dialog_gone (gpointer  user_data,
                          GClosure *closure)
{
  g_autoptr(GTask) task = user_data;
  FlowData *data = g_task_get_task_data (task);

  if (!data->answered)
    {
      data->answered = TRUE;
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The question about the partner who left was closed");
    }
}

/* The name the contact list shows for them, else the room's member event
 * (a leave event often carries none), else NULL. */
static char *
known_partner_name (DuetSession *session,
                    const char  *room_id,
                    const char  *user_id)
{
  GListModel *contacts = duet_session_get_contacts (session);
  DuetRoom *room = duet_session_lookup_room (session, room_id);
  DuetMember *member = room != NULL ? duet_room_lookup_member (room, user_id) : NULL;
  const char *name = member != NULL ? duet_member_get_display_name (member) : NULL;

  for (guint i = 0; i < g_list_model_get_n_items (contacts); i++)
    {
      g_autoptr(DuetContact) contact = g_list_model_get_item (contacts, i);

      if (g_strcmp0 (duet_contact_get_user_id (contact), user_id) == 0 &&
          g_strcmp0 (duet_contact_get_name (contact), user_id) != 0)
        return g_strdup (duet_contact_get_name (contact));
    }

  return name != NULL && *name != '\0' ? g_strdup (name) : NULL;
}

static void
ask_partner_left (GTask      *task,
                  const char *name)
{
  GtkWindow *parent = g_object_get_data (G_OBJECT (task), "parent");
  g_autofree char *heading = g_strdup_printf (_("%s left this chat"), name);
  /* Response labels take mnemonics: an underscore in a name stays one. */
  g_autoptr(GString) escaped = g_string_new (name);
  g_autofree char *invite_label = NULL;

  g_string_replace (escaped, "_", "__", 0);
  invite_label = g_strdup_printf (_("Invite %s Back"), escaped->str);
  GtkWidget *dialog;

  /* Plain text on purpose: the name comes from the server. */
  dialog = adw_message_dialog_new (parent, heading,
                                   _("Invite them back into your old chat, with its history, "
                                     "or start a new chat."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "new", _("Start a _New Chat"),
                                    "invite", invite_label,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "invite",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "invite");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (partner_left_response_cb),
                         g_object_ref (task), partner_left_dialog_gone, 0);
  duet_a11y_name_internal_controls (dialog, NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
profile_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FlowData *data = g_task_get_task_data (task);
  g_autoptr(JsonObject) profile = duet_client_get_profile_finish (DUET_CLIENT (source), result, NULL);
  g_autofree char *name = NULL;

  /* No profile is no reason to stop: the id names them well enough.  The
   * profile is server text: one clean line, like every name the model keeps. */
  if (profile != NULL)
    name = duet_text_sanitize_line (duet_json_get_string (profile, "displayname"),
                                    DUET_TEXT_MAX_NAME_CHARS);
  if (name == NULL)
    name = g_strdup (data->user_id);

  if (g_task_return_error_if_cancelled (task))
    return;
  ask_partner_left (task, name);
}

static void
start_chat_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FlowData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  DuetStartChatOutcome outcome;
  char *room_id = duet_session_start_chat_finish (DUET_SESSION (source), result, &outcome, &error);
  g_autofree char *name = NULL;

  if (room_id == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (outcome != DUET_START_CHAT_PARTNER_LEFT)
    {
      g_task_return_pointer (task, room_id, g_free);
      return;
    }

  data->room_id = room_id;
  name = known_partner_name (DUET_SESSION (source), data->room_id, data->user_id);
  if (name != NULL)
    {
      ask_partner_left (task, name);
      return;
    }

  /* Nothing local knows their name: the profile does, most of the time. */
  duet_client_get_profile_async (duet_session_get_client (DUET_SESSION (source)), data->user_id,
                                 g_task_get_cancellable (task), profile_cb, g_object_ref (task));
}

void
duet_start_chat_flow_async (DuetSession        *session,
                            GtkWindow          *parent,
                            const char         *user_id,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  FlowData *data;

  g_return_if_fail (DUET_IS_SESSION (session));
  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));
  g_return_if_fail (user_id != NULL);

  task = g_task_new (session, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_start_chat_flow_async);
  data = g_new0 (FlowData, 1);
  data->user_id = g_strdup (user_id);
  g_task_set_task_data (task, data, (GDestroyNotify) flow_data_free);
  /* The question goes over the window that asked, if it is still there. */
  if (parent != NULL)
    g_object_set_data_full (G_OBJECT (task), "parent", g_object_ref (parent), g_object_unref);

  duet_session_start_chat_async (session, user_id, cancellable, start_chat_cb, g_steal_pointer (&task));
}

char *
duet_start_chat_flow_finish (DuetSession   *session,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, session), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
