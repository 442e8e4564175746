/* duet-client-endpoints.c: the client-server API endpoints Duet uses
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each endpoint builds its path (escaping every identifier), says whether
 * it is safe to repeat, and checks the reply's shape before handing it up.
 */
#include "config.h"

#include <string.h>

#include "duet-client-private.h"
#include "duet-json.h"
#include "duet-matrix-id.h"

#define CLIENT_V3 "/_matrix/client/v3"

/* Turns a checked reply into the endpoint's result; NULL with @error set
 * on a reply of the wrong shape. */
typedef gpointer (*ExtractFunc) (DuetClient  *self,
                                 JsonObject  *reply,
                                 GError     **error);

typedef struct {
  ExtractFunc    extract;
  GDestroyNotify destroy;
} CallData;

static void
call_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DuetClient *self = DUET_CLIENT (object);
  CallData *data = g_task_get_task_data (task);
  g_autoptr(JsonObject) reply = NULL;
  GError *error = NULL;
  gpointer value;

  reply = _duet_client_send_finish (self, result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (data->extract == NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&reply), (GDestroyNotify) json_object_unref);
      return;
    }

  value = data->extract (self, reply, &error);
  if (value == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, value, data->destroy);
}

/* Starts a request whose JSON reply goes through @extract (NULL: the reply
 * object itself).  Takes ownership of @body and @query. */
static void
call_async (DuetClient          *self,
            gpointer             source_tag,
            const char          *method,
            char                *path,
            GHashTable          *query,
            JsonNode            *body,
            DuetRequestFlags     flags,
            ExtractFunc          extract,
            GDestroyNotify       destroy,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autofree char *owned_path = path;
  g_autoptr(GHashTable) owned_query = query;
  g_autoptr(JsonNode) owned_body = body;
  g_autoptr(GBytes) bytes = NULL;
  GTask *task;
  CallData *data;
  DuetRequest request = {
    .method = method,
    .path = path,
    .query = query,
    .flags = flags,
  };

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  data = g_new0 (CallData, 1);
  data->extract = extract;
  data->destroy = destroy;
  g_task_set_task_data (task, data, g_free);

  if (body != NULL)
    {
      char *text = duet_json_to_string (body);

      bytes = g_bytes_new_take (text, strlen (text));
    }
  else if (g_str_equal (method, "POST") || g_str_equal (method, "PUT"))
    {
      bytes = g_bytes_new_static ("{}", 2);
    }
  request.body = bytes;

  _duet_client_send_async (self, &request, cancellable, call_cb, task);
}

/* Fails the call at once, the async way, for an argument a server must
 * never see (an id that would change the request's target). */
static void
reject_async (DuetClient          *self,
              gpointer             source_tag,
              const char          *what,
              const char          *value,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_return_new_error (task, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                           "“%s” is not a valid %s", value != NULL ? value : "", what);
}

gpointer
_duet_client_finish_pointer (DuetClient    *self,
                GAsyncResult  *result,
                gpointer       source_tag,
                GError       **error)
{
  g_return_val_if_fail (DUET_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
_duet_client_finish_boolean (DuetClient    *self,
                GAsyncResult  *result,
                gpointer       source_tag,
                GError       **error)
{
  g_autoptr(JsonObject) reply = _duet_client_finish_pointer (self, result, source_tag, error);

  return reply != NULL;
}

static JsonNode *
object_node (JsonObject *object)
{
  return json_node_init_object (json_node_alloc (), object);
}

static GHashTable *
new_query (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
}

/* --- Extractors --------------------------------------------------------- */

static gpointer
extract_string_member (JsonObject  *reply,
                       const char  *member,
                       GError     **error)
{
  const char *value = duet_json_require_string (reply, member, error);

  return value != NULL ? g_strdup (value) : NULL;
}

static gpointer
extract_event_id (DuetClient  *self,
                  JsonObject  *reply,
                  GError     **error)
{
  return extract_string_member (reply, "event_id", error);
}

/* A copy of the identifier in @member, which must pass @is_valid: an id
 * from the server goes into later paths, so it is checked like input. */
static gpointer
extract_valid_id (JsonObject  *reply,
                  const char  *member,
                  gboolean   (*is_valid) (const char *),
                  const char  *what,
                  GError     **error)
{
  const char *id = duet_json_require_string (reply, member, error);

  if (id == NULL)
    return NULL;
  if (!is_valid (id))
    {
      g_set_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                   "The server answered with an invalid %s", what);
      return NULL;
    }
  return g_strdup (id);
}

static gpointer
extract_room_id (DuetClient  *self,
                 JsonObject  *reply,
                 GError     **error)
{
  return extract_valid_id (reply, "room_id", duet_matrix_is_valid_room_id, "room id", error);
}

static gpointer
extract_user_id (DuetClient  *self,
                 JsonObject  *reply,
                 GError     **error)
{
  return extract_valid_id (reply, "user_id", duet_matrix_is_valid_user_id, "user id", error);
}

static gpointer
extract_chunk (DuetClient  *self,
               JsonObject  *reply,
               GError     **error)
{
  JsonArray *chunk = duet_json_require_array (reply, "chunk", error);

  return chunk != NULL ? json_array_ref (chunk) : NULL;
}

static gpointer
extract_with_chunk (DuetClient  *self,
                    JsonObject  *reply,
                    GError     **error)
{
  if (duet_json_require_array (reply, "chunk", error) == NULL)
    return NULL;
  return json_object_ref (reply);
}

static gpointer
extract_sync (DuetClient  *self,
              JsonObject  *reply,
              GError     **error)
{
  if (duet_json_require_string (reply, "next_batch", error) == NULL)
    return NULL;
  return json_object_ref (reply);
}

static gpointer
extract_login (DuetClient  *self,
               JsonObject  *reply,
               GError     **error)
{
  g_autofree char *user_id = extract_user_id (self, reply, error);
  const char *token;
  const char *device_id;

  if (user_id == NULL)
    return NULL;
  token = duet_json_require_string (reply, "access_token", error);
  if (token == NULL)
    return NULL;
  device_id = duet_json_require_string (reply, "device_id", error);
  if (device_id == NULL)
    return NULL;

  duet_client_set_session (self, user_id, device_id, token);
  return json_object_ref (reply);
}

/* The spec's versions are "r0.x.y" and "vX.Y"; Duet needs some v1.x. */
static gpointer
extract_versions (DuetClient  *self,
                  JsonObject  *reply,
                  GError     **error)
{
  JsonArray *versions = duet_json_require_array (reply, "versions", error);
  JsonObject *unstable = duet_json_get_object (reply, "unstable_features");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  gboolean speaks_v1 = FALSE;
  gboolean authenticated_media = FALSE;

  if (versions == NULL)
    return NULL;

  for (guint i = 0; i < json_array_get_length (versions); i++)
    {
      JsonNode *node = json_array_get_element (versions, i);
      const char *version;
      guint64 minor;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        continue;
      version = json_node_get_string (node);
      g_strv_builder_add (builder, version);

      if (g_str_has_prefix (version, "v1.") &&
          g_ascii_string_to_unsigned (version + 3, 10, 0, G_MAXUINT32, &minor, NULL))
        {
          speaks_v1 = TRUE;
          if (minor >= 11)
            authenticated_media = TRUE;
        }
    }

  if (duet_json_get_bool (unstable, "org.matrix.msc3916.stable", FALSE))
    authenticated_media = TRUE;

  if (!speaks_v1)
    {
      g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_UNSUPPORTED_SERVER,
                           "The server does not speak version 1 of the client-server API");
      return NULL;
    }

  _duet_client_set_authenticated_media (self, authenticated_media);
  return g_strv_builder_end (builder);
}

/* --- Versions, login, logout --------------------------------------------- */

void
duet_client_get_versions_async (DuetClient          *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (DUET_IS_CLIENT (self));

  call_async (self, duet_client_get_versions_async, "GET",
              g_strdup ("/_matrix/client/versions"), NULL, NULL,
              DUET_REQUEST_NO_AUTH | DUET_REQUEST_IDEMPOTENT,
              extract_versions, (GDestroyNotify) g_strfreev,
              cancellable, callback, user_data);
}

GStrv
duet_client_get_versions_finish (DuetClient    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return _duet_client_finish_pointer (self, result, duet_client_get_versions_async, error);
}

void
duet_client_login_async (DuetClient          *self,
                         const char          *user,
                         const char          *password,
                         const char          *device_id,
                         const char          *device_display_name,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_if_fail (DUET_IS_CLIENT (self));
  g_return_if_fail (user != NULL && password != NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "m.login.password");
  json_builder_set_member_name (builder, "identifier");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "m.id.user");
  json_builder_set_member_name (builder, "user");
  json_builder_add_string_value (builder, user);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  if (device_id != NULL)
    {
      json_builder_set_member_name (builder, "device_id");
      json_builder_add_string_value (builder, device_id);
    }
  if (device_display_name != NULL)
    {
      json_builder_set_member_name (builder, "initial_device_display_name");
      json_builder_add_string_value (builder, device_display_name);
    }
  json_builder_end_object (builder);

  /* Not idempotent: a repeat could create a second device. */
  call_async (self, duet_client_login_async, "POST", g_strdup (CLIENT_V3 "/login"), NULL,
              json_builder_get_root (builder), DUET_REQUEST_NO_AUTH,
              extract_login, (GDestroyNotify) json_object_unref,
              cancellable, callback, user_data);
}

gboolean
duet_client_login_finish (DuetClient    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  return _duet_client_finish_boolean (self, result, duet_client_login_async, error);
}

void
duet_client_whoami_async (DuetClient          *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (DUET_IS_CLIENT (self));

  call_async (self, duet_client_whoami_async, "GET", g_strdup (CLIENT_V3 "/account/whoami"),
              NULL, NULL, DUET_REQUEST_IDEMPOTENT, extract_user_id, g_free,
              cancellable, callback, user_data);
}

char *
duet_client_whoami_finish (DuetClient    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return _duet_client_finish_pointer (self, result, duet_client_whoami_async, error);
}

static void
logout_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DuetClient *self = DUET_CLIENT (object);
  g_autoptr(JsonObject) reply = NULL;
  GError *error = NULL;

  reply = _duet_client_send_finish (self, result, &error);

  /* A token the server no longer knows is as signed out as it gets. */
  if (reply == NULL &&
      !g_error_matches (error, DUET_API_ERROR, DUET_API_ERROR_UNKNOWN_TOKEN) &&
      !g_error_matches (error, DUET_API_ERROR, DUET_API_ERROR_SOFT_LOGOUT))
    {
      g_task_return_error (task, error);
      return;
    }
  g_clear_error (&error);

  /* The user and device ids stay, so the app can say who was signed out. */
  duet_client_set_session (self, duet_client_get_user_id (self),
                           duet_client_get_device_id (self), NULL);
  g_task_return_boolean (task, TRUE);
}

void
duet_client_logout_async (DuetClient          *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;
  DuetRequest request = {
    .method = "POST",
    .path = CLIENT_V3 "/logout",
    .flags = DUET_REQUEST_IDEMPOTENT,
  };
  g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);

  g_return_if_fail (DUET_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_client_logout_async);
  request.body = body;
  _duet_client_send_async (self, &request, cancellable, logout_cb, task);
}

gboolean
duet_client_logout_finish (DuetClient    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- Sync --------------------------------------------------------------- */

void
duet_client_sync_async (DuetClient          *self,
                        const char          *since,
                        const char          *filter_json,
                        guint                timeout_ms,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GHashTable) query = new_query ();
  g_autoptr(GTask) task = NULL;
  g_autoptr(GBytes) no_body = NULL;
  CallData *data;
  DuetRequest request = {
    .method = "GET",
    .path = CLIENT_V3 "/sync",
    /* Not marked idempotent: the sync loop retries network errors and
     * 5xx itself, so it can report each failure.  429 waits here. */
    .flags = DUET_REQUEST_NONE,
    .max_size = DUET_CLIENT_MAX_SYNC_SIZE,
  };

  g_return_if_fail (DUET_IS_CLIENT (self));

  if (since != NULL)
    g_hash_table_insert (query, "since", g_strdup (since));
  if (filter_json != NULL)
    g_hash_table_insert (query, "filter", g_strdup (filter_json));
  g_hash_table_insert (query, "timeout", g_strdup_printf ("%u", timeout_ms));
  request.query = query;
  request.timeout_ms = duet_client_get_request_timeout (self) + timeout_ms;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_client_sync_async);
  data = g_new0 (CallData, 1);
  data->extract = extract_sync;
  data->destroy = (GDestroyNotify) json_object_unref;
  g_task_set_task_data (task, data, g_free);

  _duet_client_send_async (self, &request, cancellable, call_cb, g_steal_pointer (&task));
}

JsonObject *
duet_client_sync_finish (DuetClient    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return _duet_client_finish_pointer (self, result, duet_client_sync_async, error);
}

/* --- Rooms -------------------------------------------------------------- */

void
duet_client_create_room_async (DuetClient          *self,
                               const char          *preset,
                               const char * const  *invite,
                               gboolean             is_direct,
                               const char          *name,
                               JsonArray           *initial_state,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();
  JsonArray *invitees = json_array_new ();

  g_return_if_fail (DUET_IS_CLIENT (self));

  for (guint i = 0; invite != NULL && invite[i] != NULL; i++)
    {
      if (!duet_matrix_is_valid_user_id (invite[i]))
        {
          json_array_unref (invitees);
          reject_async (self, duet_client_create_room_async, "user id", invite[i], callback, user_data);
          return;
        }
      json_array_add_string_element (invitees, invite[i]);
    }

  if (preset != NULL)
    json_object_set_string_member (body, "preset", preset);
  json_object_set_array_member (body, "invite", invitees);
  if (is_direct)
    json_object_set_boolean_member (body, "is_direct", TRUE);
  if (name != NULL)
    json_object_set_string_member (body, "name", name);
  if (initial_state != NULL)
    json_object_set_array_member (body, "initial_state", json_array_ref (initial_state));

  /* createRoom has no transaction id: a repeat could make a second room. */
  call_async (self, duet_client_create_room_async, "POST", g_strdup (CLIENT_V3 "/createRoom"),
              NULL, object_node (body), DUET_REQUEST_NEVER_RETRY,
              extract_room_id, g_free, cancellable, callback, user_data);
}

char *
duet_client_create_room_finish (DuetClient    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  return _duet_client_finish_pointer (self, result, duet_client_create_room_async, error);
}

void
duet_client_invite_async (DuetClient          *self,
                          const char          *room_id,
                          const char          *user_id,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (DUET_IS_CLIENT (self));

  if (!duet_matrix_is_valid_room_id (room_id))
    {
      reject_async (self, duet_client_invite_async, "room id", room_id, callback, user_data);
      return;
    }
  if (!duet_matrix_is_valid_user_id (user_id))
    {
      reject_async (self, duet_client_invite_async, "user id", user_id, callback, user_data);
      return;
    }

  json_object_set_string_member (body, "user_id", user_id);
  call_async (self, duet_client_invite_async, "POST",
              _duet_client_build_path (CLIENT_V3 "/rooms", room_id, "invite", NULL),
              NULL, object_node (body), DUET_REQUEST_NONE, NULL, NULL,
              cancellable, callback, user_data);
}

gboolean
duet_client_invite_finish (DuetClient    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return _duet_client_finish_boolean (self, result, duet_client_invite_async, error);
}

void
duet_client_join_async (DuetClient          *self,
                        const char          *room_id_or_alias,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (DUET_IS_CLIENT (self));

  if (room_id_or_alias == NULL ||
      (!duet_matrix_is_valid_room_id (room_id_or_alias) &&
       !(room_id_or_alias[0] == '#' && strchr (room_id_or_alias, ':') != NULL)))
    {
      reject_async (self, duet_client_join_async, "room id or alias", room_id_or_alias,
                             callback, user_data);
      return;
    }

  /* Joining a room we are in already is harmless, so a repeat is safe. */
  call_async (self, duet_client_join_async, "POST",
              _duet_client_build_path (CLIENT_V3 "/join", room_id_or_alias, NULL),
              NULL, NULL, DUET_REQUEST_IDEMPOTENT, extract_room_id, g_free,
              cancellable, callback, user_data);
}

char *
duet_client_join_finish (DuetClient    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return _duet_client_finish_pointer (self, result, duet_client_join_async, error);
}

static void
room_action_async (DuetClient          *self,
                   gpointer             source_tag,
                   const char          *room_id,
                   const char          *action,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  if (!duet_matrix_is_valid_room_id (room_id))
    {
      reject_async (self, source_tag, "room id", room_id, callback, user_data);
      return;
    }

  call_async (self, source_tag, "POST",
              _duet_client_build_path (CLIENT_V3 "/rooms", room_id, action, NULL),
              NULL, NULL, DUET_REQUEST_IDEMPOTENT, NULL, NULL,
              cancellable, callback, user_data);
}

void
duet_client_leave_async (DuetClient          *self,
                         const char          *room_id,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (DUET_IS_CLIENT (self));
  room_action_async (self, duet_client_leave_async, room_id, "leave", cancellable, callback, user_data);
}

gboolean
duet_client_leave_finish (DuetClient    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  return _duet_client_finish_boolean (self, result, duet_client_leave_async, error);
}

void
duet_client_forget_async (DuetClient          *self,
                          const char          *room_id,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (DUET_IS_CLIENT (self));
  room_action_async (self, duet_client_forget_async, room_id, "forget", cancellable, callback, user_data);
}

gboolean
duet_client_forget_finish (DuetClient    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return _duet_client_finish_boolean (self, result, duet_client_forget_async, error);
}

void
duet_client_get_members_async (DuetClient          *self,
                               const char          *room_id,
                               const char          *membership,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GHashTable *query = NULL;

  g_return_if_fail (DUET_IS_CLIENT (self));

  if (!duet_matrix_is_valid_room_id (room_id))
    {
      reject_async (self, duet_client_get_members_async, "room id", room_id, callback, user_data);
      return;
    }

  if (membership != NULL)
    {
      query = new_query ();
      g_hash_table_insert (query, "membership", g_strdup (membership));
    }

  call_async (self, duet_client_get_members_async, "GET",
              _duet_client_build_path (CLIENT_V3 "/rooms", room_id, "members", NULL),
              query, NULL, DUET_REQUEST_IDEMPOTENT,
              extract_chunk, (GDestroyNotify) json_array_unref,
              cancellable, callback, user_data);
}

JsonArray *
duet_client_get_members_finish (DuetClient    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  return _duet_client_finish_pointer (self, result, duet_client_get_members_async, error);
}

void
duet_client_get_messages_async (DuetClient          *self,
                                const char          *room_id,
                                const char          *from,
                                guint                limit,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GHashTable *query;

  g_return_if_fail (DUET_IS_CLIENT (self));

  if (!duet_matrix_is_valid_room_id (room_id))
    {
      reject_async (self, duet_client_get_messages_async, "room id", room_id, callback, user_data);
      return;
    }

  query = new_query ();
  g_hash_table_insert (query, "dir", g_strdup ("b"));
  g_hash_table_insert (query, "limit", g_strdup_printf ("%u", limit > 0 ? limit : 20));
  if (from != NULL)
    g_hash_table_insert (query, "from", g_strdup (from));

  call_async (self, duet_client_get_messages_async, "GET",
              _duet_client_build_path (CLIENT_V3 "/rooms", room_id, "messages", NULL),
              query, NULL, DUET_REQUEST_IDEMPOTENT,
              extract_with_chunk, (GDestroyNotify) json_object_unref,
              cancellable, callback, user_data);
}

JsonObject *
duet_client_get_messages_finish (DuetClient    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return _duet_client_finish_pointer (self, result, duet_client_get_messages_async, error);
}

void
duet_client_get_state_event_async (DuetClient          *self,
                                   const char          *room_id,
                                   const char          *event_type,
                                   const char          *state_key,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (DUET_IS_CLIENT (self));
  g_return_if_fail (event_type != NULL);

  if (!duet_matrix_is_valid_room_id (room_id))
    {
      reject_async (self, duet_client_get_state_event_async, "room id", room_id, callback, user_data);
      return;
    }

  call_async (self, duet_client_get_state_event_async, "GET",
              _duet_client_build_path (CLIENT_V3 "/rooms", room_id, "state", event_type,
                                       state_key != NULL ? state_key : "", NULL),
              NULL, NULL, DUET_REQUEST_IDEMPOTENT, NULL, NULL,
              cancellable, callback, user_data);
}

JsonObject *
duet_client_get_state_event_finish (DuetClient    *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return _duet_client_finish_pointer (self, result, duet_client_get_state_event_async, error);
}

void
duet_client_send_state_event_async (DuetClient          *self,
                                    const char          *room_id,
                                    const char          *event_type,
                                    const char          *state_key,
                                    JsonObject          *content,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (DUET_IS_CLIENT (self));
  g_return_if_fail (event_type != NULL && content != NULL);

  if (!duet_matrix_is_valid_room_id (room_id))
    {
      reject_async (self, duet_client_send_state_event_async, "room id", room_id, callback, user_data);
      return;
    }

  /* Setting the same state twice gives the same state: safe to repeat. */
  call_async (self, duet_client_send_state_event_async, "PUT",
              _duet_client_build_path (CLIENT_V3 "/rooms", room_id, "state", event_type,
                                       state_key != NULL ? state_key : "", NULL),
              NULL, object_node (content), DUET_REQUEST_IDEMPOTENT,
              extract_event_id, g_free, cancellable, callback, user_data);
}

char *
duet_client_send_state_event_finish (DuetClient    *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return _duet_client_finish_pointer (self, result, duet_client_send_state_event_async, error);
}

void
duet_client_send_event_async (DuetClient          *self,
                              const char          *room_id,
                              const char          *event_type,
                              const char          *txn_id,
                              JsonObject          *content,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (DUET_IS_CLIENT (self));
  g_return_if_fail (event_type != NULL && content != NULL);

  if (!duet_matrix_is_valid_room_id (room_id))
    {
      reject_async (self, duet_client_send_event_async, "room id", room_id, callback, user_data);
      return;
    }
  if (txn_id == NULL || *txn_id == '\0')
    {
      reject_async (self, duet_client_send_event_async, "transaction id", txn_id, callback, user_data);
      return;
    }

  /* The transaction id makes a repeat a no-op on the server. */
  call_async (self, duet_client_send_event_async, "PUT",
              _duet_client_build_path (CLIENT_V3 "/rooms", room_id, "send", event_type, txn_id, NULL),
              NULL, object_node (content), DUET_REQUEST_IDEMPOTENT,
              extract_event_id, g_free, cancellable, callback, user_data);
}

char *
duet_client_send_event_finish (DuetClient    *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return _duet_client_finish_pointer (self, result, duet_client_send_event_async, error);
}
