/* duet-session-invites.c: invites, marking chats direct, read state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each is a short chain of requests for a user action.  m.direct and
 * m.ignored_user_list are only written here because the user asked (or
 * accepted an is_direct invite under the "always" policy): rule 6 of
 * ../shared/matrix-dm.md, no writes to "repair" another client's content.
 */
#include "config.h"

#include "duet-ignore-list.h"
#include "duet-matrix-id.h"
#include "duet-room-private.h"
#include "duet-session-chats-private.h"
#include "duet-session-private.h"

typedef struct {
  char     *room_id;
  char     *user_id;   /* the inviter, or the user to mark under */
  char     *event_id;
  gboolean  follow_up; /* mark direct after joining / ignore after leaving */
} RoomOp;

static void
room_op_free (RoomOp *data)
{
  g_free (data->room_id);
  g_free (data->user_id);
  g_free (data->event_id);
  g_free (data);
}

static GTask *
room_task_new (DuetSession         *self,
               gpointer             source_tag,
               const char          *room_id,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  RoomOp *data = g_new0 (RoomOp, 1);

  g_task_set_source_tag (task, source_tag);
  data->room_id = g_strdup (room_id);
  g_task_set_task_data (task, data, (GDestroyNotify) room_op_free);
  return task;
}

/* The room a call is about, or NULL with @task answered. */
static DuetRoom *
lookup_room_or_fail (DuetSession *self,
                     GTask       *task,
                     const char  *room_id)
{
  DuetRoom *room = room_id != NULL ? duet_session_lookup_room (self, room_id) : NULL;

  if (room == NULL)
    g_task_return_new_error (task, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                             "Duet does not know the room “%s”", room_id != NULL ? room_id : "");
  return room;
}

static void
boolean_step_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  gboolean ok;

  if (DUET_IS_DIRECT_MAP (object))
    ok = duet_direct_map_add_room_finish (DUET_DIRECT_MAP (object), result, &error);
  else
    ok = duet_ignore_list_add_user_finish (DUET_IGNORE_LIST (object), result, &error);

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
accept_join_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DuetSession *self = g_task_get_source_object (task);
  RoomOp *data = g_task_get_task_data (task);
  GError *error = NULL;
  g_autofree char *joined = duet_client_join_finish (DUET_CLIENT (object), result, &error);

  if (joined == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!data->follow_up)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* Not cancellable from here: we joined, and the user asked to mark it. */
  duet_direct_map_add_room_async (duet_session_get_direct_map (self), data->user_id, data->room_id,
                                  NULL, boolean_step_cb, g_steal_pointer (&task));
}

void
duet_session_accept_invite_async (DuetSession         *self,
                                  const char          *room_id,
                                  DuetMarkDirect       mark,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RoomOp *data;
  DuetRoom *room;

  g_return_if_fail (DUET_IS_SESSION (self));

  task = room_task_new (self, duet_session_accept_invite_async, room_id, cancellable, callback, user_data);
  data = g_task_get_task_data (task);
  if ((room = lookup_room_or_fail (self, task, room_id)) == NULL)
    return;

  switch (mark)
    {
    case DUET_MARK_DIRECT_YES:
      data->follow_up = TRUE;
      break;
    case DUET_MARK_DIRECT_NO:
      data->follow_up = FALSE;
      break;
    case DUET_MARK_DIRECT_BY_POLICY:
    default:
      /* "Always" marks what the inviter meant as a DM, nothing else. */
      data->follow_up = duet_session_get_invite_policy (self) == DUET_INVITE_POLICY_ALWAYS &&
                        duet_room_get_invite_is_direct (room);
      break;
    }

  /* The inviter is read now: after the join, the invite is history. */
  data->user_id = g_strdup (duet_room_get_inviter (room));
  if (data->follow_up && !duet_matrix_is_valid_user_id (data->user_id))
    {
      /* Checked before joining, so a refusal leaves nothing half done. */
      g_task_return_new_error (task, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                               "Duet does not know who sent this invite, so it cannot mark it as a direct chat");
      return;
    }

  duet_client_join_async (duet_session_get_client (self), room_id, cancellable,
                          accept_join_cb, g_steal_pointer (&task));
}

gboolean
duet_session_accept_invite_finish (DuetSession   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
decline_leave_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DuetSession *self = g_task_get_source_object (task);
  RoomOp *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!duet_client_leave_finish (DUET_CLIENT (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!data->follow_up)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  duet_ignore_list_add_user_async (_duet_session_get_ignore_list (self), data->user_id, NULL,
                                   boolean_step_cb, g_steal_pointer (&task));
}

void
duet_session_decline_invite_async (DuetSession         *self,
                                   const char          *room_id,
                                   gboolean             ignore_user,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RoomOp *data;
  DuetRoom *room;

  g_return_if_fail (DUET_IS_SESSION (self));

  task = room_task_new (self, duet_session_decline_invite_async, room_id, cancellable, callback, user_data);
  data = g_task_get_task_data (task);
  if ((room = lookup_room_or_fail (self, task, room_id)) == NULL)
    return;

  data->follow_up = ignore_user;
  data->user_id = g_strdup (duet_room_get_inviter (room));
  if (ignore_user && !duet_matrix_is_valid_user_id (data->user_id))
    {
      g_task_return_new_error (task, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                               "Duet does not know who sent this invite, so it cannot ignore them");
      return;
    }

  duet_client_leave_async (duet_session_get_client (self), room_id, cancellable,
                           decline_leave_cb, g_steal_pointer (&task));
}

gboolean
duet_session_decline_invite_finish (DuetSession   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
duet_session_mark_direct_async (DuetSession         *self,
                                const char          *room_id,
                                const char          *user_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  DuetRoom *room;

  g_return_if_fail (DUET_IS_SESSION (self));

  task = room_task_new (self, duet_session_mark_direct_async, room_id, cancellable, callback, user_data);
  if ((room = lookup_room_or_fail (self, task, room_id)) == NULL)
    return;
  if (duet_room_get_own_membership (room) != DUET_MEMBERSHIP_JOIN)
    {
      g_task_return_new_error (task, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                               "Only a chat you are in can be marked as a direct chat");
      return;
    }

  /* The map checks the user id and answers through boolean_step_cb. */
  duet_direct_map_add_room_async (duet_session_get_direct_map (self), user_id, room_id,
                                  cancellable, boolean_step_cb, g_steal_pointer (&task));
}

gboolean
duet_session_mark_direct_finish (DuetSession   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
unmark_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (duet_direct_map_remove_room_finish (DUET_DIRECT_MAP (object), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
duet_session_unmark_direct_async (DuetSession         *self,
                                  const char          *room_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DUET_IS_SESSION (self));

  /* Any room, known or not: another client may have listed one we left. */
  task = room_task_new (self, duet_session_unmark_direct_async, room_id, cancellable, callback, user_data);
  duet_direct_map_remove_room_async (duet_session_get_direct_map (self), room_id, cancellable,
                                     unmark_cb, g_steal_pointer (&task));
}

gboolean
duet_session_unmark_direct_finish (DuetSession   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
fully_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DuetSession *self = g_task_get_source_object (task);
  RoomOp *data = g_task_get_task_data (task);
  GError *error = NULL;
  DuetRoom *room;

  if (!duet_client_set_read_markers_finish (DUET_CLIENT (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* Show it read now rather than at the next sync's counts — unless a
   * newer message came meanwhile, which is still unread. */
  room = duet_session_lookup_room (self, data->room_id);
  if (room != NULL && g_strcmp0 (duet_room_get_last_event_id (room), data->event_id) == 0)
    {
      _duet_room_set_unread_count (room, 0);
      _duet_session_update_contacts (self);
    }
  g_task_return_boolean (task, TRUE);
}

static void
receipt_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RoomOp *data = g_task_get_task_data (task);
  GCancellable *cancellable;
  GError *error = NULL;

  if (!duet_client_send_receipt_finish (DUET_CLIENT (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  duet_client_set_read_markers_async (DUET_CLIENT (object), data->room_id, data->event_id, NULL,
                                      cancellable, fully_read_cb, g_steal_pointer (&task));
}

void
duet_session_mark_read_async (DuetSession         *self,
                              const char          *room_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RoomOp *data;
  DuetRoom *room;

  g_return_if_fail (DUET_IS_SESSION (self));

  task = room_task_new (self, duet_session_mark_read_async, room_id, cancellable, callback, user_data);
  data = g_task_get_task_data (task);
  if ((room = lookup_room_or_fail (self, task, room_id)) == NULL)
    return;

  /* Taken now: a message arriving meanwhile has not been read. */
  data->event_id = g_strdup (duet_room_get_last_event_id (room));
  if (data->event_id == NULL)
    {
      g_task_return_boolean (task, TRUE);  /* nothing to read yet */
      return;
    }

  duet_client_send_receipt_async (duet_session_get_client (self), room_id, "m.read", data->event_id,
                                  cancellable, receipt_cb, g_steal_pointer (&task));
}

gboolean
duet_session_mark_read_finish (DuetSession   *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
