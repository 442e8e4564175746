/* duet-client-account.c: account data, profiles, directory, read state, typing
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "duet-client-private.h"
#include "duet-json.h"
#include "duet-matrix-id.h"

#define CLIENT_V3 "/_matrix/client/v3"

static gboolean
require_user (DuetClient *self,
              GTask      *task)
{
  if (duet_client_get_user_id (self) != NULL)
    return TRUE;

  g_task_return_new_error (task, DUET_API_ERROR, DUET_API_ERROR_NOT_SIGNED_IN, "Not signed in");
  return FALSE;
}

static GTask *
new_task (DuetClient          *self,
          gpointer             source_tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  return task;
}

static GBytes *
object_bytes (JsonObject *object)
{
  char *text = duet_json_object_to_string (object);

  return g_bytes_new_take (text, strlen (text));
}

static void
object_reply_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  JsonObject *reply = _duet_client_send_finish (DUET_CLIENT (object), result, &error);

  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, reply, (GDestroyNotify) json_object_unref);
}

/* Sends @request for @task, resolving it to the reply object. */
static void
send_for_task (DuetClient        *self,
               const DuetRequest *request,
               GTask             *task)
{
  _duet_client_send_async (self, request, g_task_get_cancellable (task), object_reply_cb, task);
}

static void
fail_invalid (GTask      *task,
              const char *what,
              const char *value)
{
  g_task_return_new_error (task, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                           "“%s” is not a valid %s", value != NULL ? value : "", what);
  g_object_unref (task);
}

/* --- Account data ------------------------------------------------------- */

void
duet_client_get_account_data_async (DuetClient          *self,
                                    const char          *event_type,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task;
  g_autofree char *path = NULL;
  /* This read is the first half of a read-modify-write: refuse content
   * that would not survive being written back. */
  DuetRequest request = {
    .method = "GET",
    .flags = DUET_REQUEST_IDEMPOTENT,
    .check_numbers = TRUE,
  };

  g_return_if_fail (DUET_IS_CLIENT (self));
  g_return_if_fail (event_type != NULL);

  task = new_task (self, duet_client_get_account_data_async, cancellable, callback, user_data);
  if (!require_user (self, task))
    {
      g_object_unref (task);
      return;
    }

  path = _duet_client_build_path (CLIENT_V3 "/user", duet_client_get_user_id (self),
                                  "account_data", event_type, NULL);
  request.path = path;
  send_for_task (self, &request, task);
}

JsonObject *
duet_client_get_account_data_finish (DuetClient    *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return _duet_client_finish_pointer (self, result, duet_client_get_account_data_async, error);
}

void
duet_client_put_account_data_async (DuetClient          *self,
                                    const char          *event_type,
                                    JsonObject          *content,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task;
  g_autofree char *path = NULL;
  g_autoptr(GBytes) body = NULL;
  /* Not repeated here: a repeat would write content read before another
   * device's write in between.  The read-modify-write above retries from a
   * fresh read instead. */
  DuetRequest request = { .method = "PUT", .max_attempts = 1 };

  g_return_if_fail (DUET_IS_CLIENT (self));
  g_return_if_fail (event_type != NULL && content != NULL);

  task = new_task (self, duet_client_put_account_data_async, cancellable, callback, user_data);
  if (!require_user (self, task))
    {
      g_object_unref (task);
      return;
    }

  path = _duet_client_build_path (CLIENT_V3 "/user", duet_client_get_user_id (self),
                                  "account_data", event_type, NULL);
  body = object_bytes (content);
  request.path = path;
  request.body = body;
  send_for_task (self, &request, task);
}

gboolean
duet_client_put_account_data_finish (DuetClient    *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return _duet_client_finish_boolean (self, result, duet_client_put_account_data_async, error);
}

/* --- Profiles and the directory ----------------------------------------- */

void
duet_client_get_profile_async (DuetClient          *self,
                               const char          *user_id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;
  g_autofree char *path = NULL;
  DuetRequest request = { .method = "GET", .flags = DUET_REQUEST_IDEMPOTENT };

  g_return_if_fail (DUET_IS_CLIENT (self));

  task = new_task (self, duet_client_get_profile_async, cancellable, callback, user_data);
  if (!duet_matrix_is_valid_user_id (user_id))
    {
      fail_invalid (task, "user id", user_id);
      return;
    }

  path = _duet_client_build_path (CLIENT_V3 "/profile", user_id, NULL);
  request.path = path;
  send_for_task (self, &request, task);
}

JsonObject *
duet_client_get_profile_finish (DuetClient    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  return _duet_client_finish_pointer (self, result, duet_client_get_profile_async, error);
}

static void
set_profile_field (DuetClient          *self,
                   gpointer             source_tag,
                   const char          *field,
                   const char          *value,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  GTask *task = new_task (self, source_tag, cancellable, callback, user_data);
  g_autoptr(JsonObject) content = json_object_new ();
  g_autofree char *path = NULL;
  g_autoptr(GBytes) body = NULL;
  DuetRequest request = { .method = "PUT", .flags = DUET_REQUEST_IDEMPOTENT };

  if (!require_user (self, task))
    {
      g_object_unref (task);
      return;
    }

  json_object_set_string_member (content, field, value);
  path = _duet_client_build_path (CLIENT_V3 "/profile", duet_client_get_user_id (self), field, NULL);
  body = object_bytes (content);
  request.path = path;
  request.body = body;
  send_for_task (self, &request, task);
}

void
duet_client_set_display_name_async (DuetClient          *self,
                                    const char          *display_name,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (DUET_IS_CLIENT (self));
  g_return_if_fail (display_name != NULL);

  set_profile_field (self, duet_client_set_display_name_async, "displayname", display_name,
                     cancellable, callback, user_data);
}

gboolean
duet_client_set_display_name_finish (DuetClient    *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return _duet_client_finish_boolean (self, result, duet_client_set_display_name_async, error);
}

void
duet_client_set_avatar_url_async (DuetClient          *self,
                                  const char          *mxc_uri,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (DUET_IS_CLIENT (self));

  if (!duet_mxc_parse (mxc_uri, NULL, NULL, NULL))
    {
      fail_invalid (new_task (self, duet_client_set_avatar_url_async, cancellable, callback, user_data),
                             "mxc:// URI", mxc_uri);
      return;
    }

  set_profile_field (self, duet_client_set_avatar_url_async, "avatar_url", mxc_uri,
                     cancellable, callback, user_data);
}

gboolean
duet_client_set_avatar_url_finish (DuetClient    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  return _duet_client_finish_boolean (self, result, duet_client_set_avatar_url_async, error);
}

static void
search_users_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonObject) reply = _duet_client_send_finish (DUET_CLIENT (object), result, &error);

  if (reply == NULL || duet_json_require_array (reply, "results", &error) == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&reply), (GDestroyNotify) json_object_unref);
}

void
duet_client_search_users_async (DuetClient          *self,
                                const char          *search_term,
                                guint                limit,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;
  g_autoptr(JsonObject) content = json_object_new ();
  g_autoptr(GBytes) body = NULL;
  /* A search changes nothing: safe to repeat. */
  DuetRequest request = {
    .method = "POST",
    .path = CLIENT_V3 "/user_directory/search",
    .flags = DUET_REQUEST_IDEMPOTENT,
  };

  g_return_if_fail (DUET_IS_CLIENT (self));
  g_return_if_fail (search_term != NULL);

  task = new_task (self, duet_client_search_users_async, cancellable, callback, user_data);
  json_object_set_string_member (content, "search_term", search_term);
  json_object_set_int_member (content, "limit", limit > 0 ? limit : 10);
  body = object_bytes (content);
  request.body = body;
  _duet_client_send_async (self, &request, cancellable, search_users_cb, task);
}

JsonObject *
duet_client_search_users_finish (DuetClient    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return _duet_client_finish_pointer (self, result, duet_client_search_users_async, error);
}

/* --- Read state and typing ---------------------------------------------- */

void
duet_client_send_receipt_async (DuetClient          *self,
                                const char          *room_id,
                                const char          *receipt_type,
                                const char          *event_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;
  g_autofree char *path = NULL;
  g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);
  DuetRequest request = { .method = "POST", .flags = DUET_REQUEST_IDEMPOTENT };

  g_return_if_fail (DUET_IS_CLIENT (self));
  g_return_if_fail (receipt_type != NULL);

  task = new_task (self, duet_client_send_receipt_async, cancellable, callback, user_data);
  if (!duet_matrix_is_valid_room_id (room_id))
    {
      fail_invalid (task, "room id", room_id);
      return;
    }
  if (!duet_matrix_is_valid_event_id (event_id))
    {
      fail_invalid (task, "event id", event_id);
      return;
    }

  path = _duet_client_build_path (CLIENT_V3 "/rooms", room_id, "receipt", receipt_type, event_id, NULL);
  request.path = path;
  request.body = body;
  send_for_task (self, &request, task);
}

gboolean
duet_client_send_receipt_finish (DuetClient    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return _duet_client_finish_boolean (self, result, duet_client_send_receipt_async, error);
}

void
duet_client_set_read_markers_async (DuetClient          *self,
                                    const char          *room_id,
                                    const char          *fully_read_event_id,
                                    const char          *read_event_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) content = json_object_new ();
  g_autoptr(GBytes) body = NULL;
  DuetRequest request = { .method = "POST", .flags = DUET_REQUEST_IDEMPOTENT };

  g_return_if_fail (DUET_IS_CLIENT (self));

  task = new_task (self, duet_client_set_read_markers_async, cancellable, callback, user_data);
  if (!duet_matrix_is_valid_room_id (room_id))
    {
      fail_invalid (task, "room id", room_id);
      return;
    }
  if (fully_read_event_id != NULL && !duet_matrix_is_valid_event_id (fully_read_event_id))
    {
      fail_invalid (task, "event id", fully_read_event_id);
      return;
    }
  if (read_event_id != NULL && !duet_matrix_is_valid_event_id (read_event_id))
    {
      fail_invalid (task, "event id", read_event_id);
      return;
    }

  if (fully_read_event_id != NULL)
    json_object_set_string_member (content, "m.fully_read", fully_read_event_id);
  if (read_event_id != NULL)
    json_object_set_string_member (content, "m.read", read_event_id);

  path = _duet_client_build_path (CLIENT_V3 "/rooms", room_id, "read_markers", NULL);
  body = object_bytes (content);
  request.path = path;
  request.body = body;
  send_for_task (self, &request, task);
}

gboolean
duet_client_set_read_markers_finish (DuetClient    *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return _duet_client_finish_boolean (self, result, duet_client_set_read_markers_async, error);
}

void
duet_client_send_typing_async (DuetClient          *self,
                               const char          *room_id,
                               gboolean             typing,
                               guint                timeout_ms,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) content = json_object_new ();
  g_autoptr(GBytes) body = NULL;
  DuetRequest request = { .method = "PUT", .flags = DUET_REQUEST_IDEMPOTENT };

  g_return_if_fail (DUET_IS_CLIENT (self));

  task = new_task (self, duet_client_send_typing_async, cancellable, callback, user_data);
  if (!require_user (self, task))
    {
      g_object_unref (task);
      return;
    }
  if (!duet_matrix_is_valid_room_id (room_id))
    {
      fail_invalid (task, "room id", room_id);
      return;
    }

  json_object_set_boolean_member (content, "typing", typing);
  if (typing)
    json_object_set_int_member (content, "timeout", timeout_ms > 0 ? timeout_ms : 30000);

  path = _duet_client_build_path (CLIENT_V3 "/rooms", room_id, "typing",
                                  duet_client_get_user_id (self), NULL);
  body = object_bytes (content);
  request.path = path;
  request.body = body;
  send_for_task (self, &request, task);
}

gboolean
duet_client_send_typing_finish (DuetClient    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  return _duet_client_finish_boolean (self, result, duet_client_send_typing_async, error);
}
