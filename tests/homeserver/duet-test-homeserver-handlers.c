/* duet-test-homeserver-handlers.c: HTTP routing and endpoint handlers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Routes match decoded path segments; "*" is any one segment and "C" is the
 * client API version ("v3", or the old "r0").  A handler reads its
 * parameters from req->segs by position, and its JSON body (always an object
 * by then) from req->body.
 */
#include "duet-test-homeserver-private.h"

#include <string.h>

typedef void (*HsHandler) (HsRequest *req);

typedef enum {
  ROUTE_AUTH     = 1 << 0,  /* needs an access token */
  ROUTE_RAW_BODY = 1 << 1,  /* the body is not JSON (media upload) */
} RouteFlags;

typedef struct {
  const char *method;
  const char *pattern;
  RouteFlags  flags;
  HsHandler   handler;
} HsRoute;

JsonObject *
hs_req_body (HsRequest *req)
{
  return json_node_get_object (req->body);
}

const char *
hs_body_string (HsRequest  *req,
                const char *name)
{
  JsonNode *node = json_object_get_member (hs_req_body (req), name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

const char *
hs_query_param (HsRequest  *req,
                const char *name)
{
  return req->query ? g_hash_table_lookup (req->query, name) : NULL;
}

void
hs_respond_empty (HsRequest *req)
{
  g_autoptr(JsonObject) empty = json_object_new ();

  hs_request_respond_json (req, 200, empty);
}

void
hs_respond_string (HsRequest  *req,
                   const char *key,
                   const char *value)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, key, value);
  hs_request_respond_json (req, 200, object);
}

/* @error is a pointer so that it is read after the call that sets it,
 * whatever order the arguments are evaluated in. */
static gboolean
respond_if_error (HsRequest  *req,
                  gboolean    ok,
                  GError    **error)
{
  if (!ok)
    {
      hs_request_respond_gerror (req, *error);
      g_clear_error (error);
    }
  return !ok;
}

HsRoom *
hs_req_room (HsRequest  *req,
             const char *room_id)
{
  HsRoom *room = hs_lookup_room (req->self, room_id);

  if (room == NULL)
    hs_request_respond_error (req, 404, "M_NOT_FOUND", "Unknown room %s", room_id);
  return room;
}

/* A room the user is in (or has left: they keep reading what they saw). */
static HsRoom *
req_visible_room (HsRequest  *req,
                  const char *room_id,
                  HsEvent   **leave)
{
  HsRoom *room = hs_req_room (req, room_id);
  const char *membership;

  *leave = NULL;
  if (room == NULL)
    return NULL;
  membership = hs_room_membership (room, req->token->user_id);
  if (g_strcmp0 (membership, "join") == 0)
    return room;
  if (g_strcmp0 (membership, "leave") == 0 || g_strcmp0 (membership, "ban") == 0)
    {
      *leave = hs_room_state_event (room, "m.room.member", req->token->user_id);
      return room;
    }
  hs_request_respond_error (req, 403, "M_FORBIDDEN", "User %s is not in room %s",
                            req->token->user_id, room_id);
  return NULL;
}

gboolean
hs_req_is_own_user (HsRequest  *req,
                    const char *user_id)
{
  if (g_strcmp0 (user_id, req->token->user_id) == 0)
    return TRUE;
  hs_request_respond_error (req, 403, "M_FORBIDDEN", "Cannot act for user %s", user_id);
  return FALSE;
}

/* Server and login */

static gboolean
version_needs_authenticated_media (const char *version)
{
  return g_str_has_prefix (version, "v1.") && g_ascii_strtoull (version + 3, NULL, 10) >= 11;
}

static void
handle_versions (HsRequest *req)
{
  g_autoptr(JsonObject) response = json_object_new ();
  JsonArray *versions = json_array_new ();

  for (guint i = 0; req->self->versions[i] != NULL; i++)
    if (req->self->authenticated_media || !version_needs_authenticated_media (req->self->versions[i]))
      json_array_add_string_element (versions, req->self->versions[i]);
  json_object_set_array_member (response, "versions", versions);
  json_object_set_object_member (response, "unstable_features", json_object_new ());
  hs_request_respond_json (req, 200, response);
}

static void
handle_well_known (HsRequest *req)
{
  if (req->self->well_known == NULL)
    {
      hs_request_respond_error (req, 404, "M_NOT_FOUND", "No .well-known here");
      return;
    }
  hs_request_respond_raw (req, 200, "application/json",
                          req->self->well_known, strlen (req->self->well_known));
}

static void
handle_login_flows (HsRequest *req)
{
  g_autoptr(JsonObject) response = json_object_new ();
  JsonArray *flows = json_array_new ();
  JsonObject *password = json_object_new ();

  json_object_set_string_member (password, "type", "m.login.password");
  json_array_add_object_element (flows, password);
  json_object_set_array_member (response, "flows", flows);
  hs_request_respond_json (req, 200, response);
}

static const char *
login_user_name (HsRequest *req)
{
  JsonNode *node = json_object_get_member (hs_req_body (req), "identifier");
  JsonObject *identifier;

  if (node == NULL)
    return hs_body_string (req, "user");  /* the deprecated form */
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  identifier = json_node_get_object (node);
  if (g_strcmp0 (hs_json_get_string (identifier, "type"), "m.id.user") != 0)
    return NULL;
  return hs_json_get_string (identifier, "user");
}

static void
handle_login (HsRequest *req)
{
  const char *type = hs_body_string (req, "type");
  const char *name = login_user_name (req);
  const char *password = hs_body_string (req, "password");
  g_autofree char *user_id = NULL;
  g_autoptr(JsonObject) response = json_object_new ();
  HsUser *user;
  HsToken *token;

  if (g_strcmp0 (type, "m.login.password") != 0)
    {
      hs_request_respond_error (req, 400, "M_UNKNOWN", "Unsupported login type");
      return;
    }
  if (name == NULL)
    {
      hs_request_respond_error (req, 400, "M_INVALID_PARAM", "Missing or unsupported identifier");
      return;
    }
  user_id = name[0] == '@' ? g_strdup (name) : g_strdup_printf ("@%s:%s", name, HS_SERVER_NAME);
  user = g_hash_table_lookup (req->self->users, user_id);
  if (user == NULL || password == NULL || g_strcmp0 (user->password, password) != 0)
    {
      hs_request_respond_error (req, 403, "M_FORBIDDEN", "Invalid username or password");
      return;
    }

  token = hs_new_token (req->self, user->user_id, hs_body_string (req, "device_id"));
  json_object_set_string_member (response, "user_id", token->user_id);
  json_object_set_string_member (response, "access_token", token->token);
  json_object_set_string_member (response, "device_id", token->device_id);
  json_object_set_string_member (response, "home_server", HS_SERVER_NAME);
  hs_request_respond_json (req, 200, response);
}

static void
handle_logout (HsRequest *req)
{
  req->token->valid = FALSE;
  req->token->soft_logout = FALSE;
  hs_respond_empty (req);
}

static void
handle_logout_all (HsRequest *req)
{
  GHashTableIter iter;
  HsToken *token;

  g_hash_table_iter_init (&iter, req->self->tokens);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &token))
    if (g_str_equal (token->user_id, req->token->user_id))
      token->valid = FALSE, token->soft_logout = FALSE;
  hs_respond_empty (req);
}

static void
handle_whoami (HsRequest *req)
{
  g_autoptr(JsonObject) response = json_object_new ();

  json_object_set_string_member (response, "user_id", req->token->user_id);
  json_object_set_string_member (response, "device_id", req->token->device_id);
  hs_request_respond_json (req, 200, response);
}

static void
handle_capabilities (HsRequest *req)
{
  g_autoptr(JsonObject) response = json_object_new ();
  JsonObject *capabilities = json_object_new ();
  JsonObject *change_password = json_object_new ();
  JsonObject *room_versions = json_object_new ();
  JsonObject *available = json_object_new ();

  json_object_set_boolean_member (change_password, "enabled", FALSE);
  for (guint v = 1; v <= 11; v++)
    {
      g_autofree char *name = g_strdup_printf ("%u", v);

      json_object_set_string_member (available, name, "stable");
    }
  json_object_set_string_member (room_versions, "default", HS_DEFAULT_ROOM_VERSION);
  json_object_set_object_member (room_versions, "available", available);
  json_object_set_object_member (capabilities, "m.change_password", change_password);
  json_object_set_object_member (capabilities, "m.room_versions", room_versions);
  json_object_set_object_member (response, "capabilities", capabilities);
  hs_request_respond_json (req, 200, response);
}

/* Rooms and membership */

static void
handle_create_room (HsRequest *req)
{
  GError *error = NULL;
  HsRoom *room = hs_create_room (req->self, req->token->user_id, hs_req_body (req), &error);

  if (!respond_if_error (req, room != NULL, &error))
    hs_respond_string (req, "room_id", room->room_id);
}

static void
handle_invite (HsRequest *req)
{
  HsRoom *room = hs_req_room (req, ARG (req, 1));
  const char *user_id = hs_body_string (req, "user_id");
  GError *error = NULL;

  if (room == NULL)
    return;
  if (user_id == NULL)
    {
      hs_request_respond_error (req, 400, "M_MISSING_PARAM", "Missing user_id");
      return;
    }
  if (!respond_if_error (req, hs_invite (req->self, room, req->token->user_id, user_id, FALSE,
                                         hs_body_string (req, "reason"), &error), &error))
    hs_respond_empty (req);
}

static void
join_room (HsRequest  *req,
           const char *room_id_or_alias)
{
  HsRoom *room = hs_req_room (req, room_id_or_alias);
  GError *error = NULL;

  if (room != NULL &&
      !respond_if_error (req, hs_join (req->self, room, req->token->user_id, &error), &error))
    hs_respond_string (req, "room_id", room->room_id);
}

static void
handle_room_join (HsRequest *req)
{
  join_room (req, ARG (req, 1));
}

static void
handle_join_alias (HsRequest *req)
{
  join_room (req, ARG (req, 1));
}

static void
handle_leave (HsRequest *req)
{
  HsRoom *room = hs_req_room (req, ARG (req, 1));
  GError *error = NULL;

  if (room != NULL &&
      !respond_if_error (req, hs_leave (req->self, room, req->token->user_id, &error), &error))
    hs_respond_empty (req);
}

static void
handle_forget (HsRequest *req)
{
  HsRoom *room = hs_req_room (req, ARG (req, 1));
  GError *error = NULL;

  if (room != NULL &&
      !respond_if_error (req, hs_forget (req->self, room, req->token->user_id, &error), &error))
    hs_respond_empty (req);
}

static void
handle_upgrade (HsRequest *req)
{
  HsRoom *room = hs_req_room (req, ARG (req, 1));
  GError *error = NULL;
  HsRoom *new_room;

  if (room == NULL)
    return;
  new_room = hs_upgrade_room (req->self, room, req->token->user_id,
                              hs_body_string (req, "new_version"), &error);
  if (!respond_if_error (req, new_room != NULL, &error))
    hs_respond_string (req, "replacement_room", new_room->room_id);
}

static gboolean
is_member_event (HsEvent *event)
{
  return g_str_equal (json_object_get_string_member (event->json, "type"), "m.room.member");
}

static const char *
event_membership (HsEvent *event)
{
  return hs_json_get_string (hs_json_get_object (event->json, "content"), "membership");
}

static void
handle_members (HsRequest *req)
{
  HsEvent *leave;
  HsRoom *room = req_visible_room (req, ARG (req, 1), &leave);
  const char *membership = hs_query_param (req, "membership");
  const char *not_membership = hs_query_param (req, "not_membership");
  g_autoptr(JsonObject) response = json_object_new ();
  JsonArray *chunk = json_array_new ();
  GHashTableIter iter;
  HsEvent *event;

  json_object_set_array_member (response, "chunk", chunk);
  if (room == NULL)
    return;
  g_hash_table_iter_init (&iter, room->state);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &event))
    {
      if (!is_member_event (event))
        continue;
      if (membership != NULL && g_strcmp0 (event_membership (event), membership) != 0)
        continue;
      if (not_membership != NULL && g_strcmp0 (event_membership (event), not_membership) == 0)
        continue;
      json_array_add_object_element (chunk, hs_event_for_client (event, req->token));
    }
  hs_request_respond_json (req, 200, response);
}

static void
handle_joined_members (HsRequest *req)
{
  HsEvent *leave;
  HsRoom *room = req_visible_room (req, ARG (req, 1), &leave);
  g_autoptr(JsonObject) response = json_object_new ();
  JsonObject *joined = json_object_new ();
  GHashTableIter iter;
  HsEvent *event;

  json_object_set_object_member (response, "joined", joined);
  if (room == NULL)
    return;
  g_hash_table_iter_init (&iter, room->state);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &event))
    {
      JsonObject *content = json_object_get_object_member (event->json, "content");
      JsonObject *member;

      if (!is_member_event (event) || g_strcmp0 (event_membership (event), "join") != 0)
        continue;
      member = json_object_new ();
      if (json_object_has_member (content, "displayname"))
        json_object_set_member (member, "display_name",
                                json_node_copy (json_object_get_member (content, "displayname")));
      if (json_object_has_member (content, "avatar_url"))
        json_object_set_member (member, "avatar_url",
                                json_node_copy (json_object_get_member (content, "avatar_url")));
      json_object_set_object_member (joined, json_object_get_string_member (event->json, "state_key"),
                                     member);
    }
  hs_request_respond_json (req, 200, response);
}

static gboolean
parse_stream_token (const char *token,
                    guint64     max,
                    guint64    *out)
{
  char *end = NULL;

  if (token == NULL || token[0] != 's' || !g_ascii_isdigit (token[1]))
    return FALSE;
  *out = g_ascii_strtoull (token + 1, &end, 10);
  return *end == '\0' && *out <= max;
}

static void
handle_messages (HsRequest *req)
{
  HsEvent *leave;
  HsRoom *room = req_visible_room (req, ARG (req, 1), &leave);
  gboolean backwards = g_strcmp0 (hs_query_param (req, "dir"), "f") != 0;
  const char *limit_param = hs_query_param (req, "limit");
  guint limit = limit_param ? (guint) CLAMP (g_ascii_strtoll (limit_param, NULL, 10), 1, 1000) : 10;
  guint64 ceiling, from, to = 0;
  g_autoptr(JsonObject) response = json_object_new ();
  g_autoptr(GHashTable) senders = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *chunk = json_array_new ();
  JsonArray *state = json_array_new ();
  g_autofree char *start_token = NULL;
  GHashTableIter iter;
  const char *sender;
  guint i, n = 0;

  json_object_set_array_member (response, "chunk", chunk);
  json_object_set_array_member (response, "state", state);
  if (room == NULL)
    return;

  /* Someone who left reads up to their leave event. */
  ceiling = leave ? leave->pos : req->self->stream_pos;
  from = backwards ? ceiling : 0;
  if ((hs_query_param (req, "from") &&
       !parse_stream_token (hs_query_param (req, "from"), req->self->stream_pos, &from)) ||
      (hs_query_param (req, "to") &&
       !parse_stream_token (hs_query_param (req, "to"), req->self->stream_pos, &to)))
    {
      hs_request_respond_error (req, 400, "M_INVALID_PARAM", "Invalid pagination token");
      return;
    }
  from = MIN (from, ceiling);
  start_token = g_strdup_printf ("s%" G_GUINT64_FORMAT, from);
  json_object_set_string_member (response, "start", start_token);

  i = hs_room_first_after (room, from);
  while (n < limit)
    {
      HsEvent *event;

      if (backwards ? i == 0 : i >= room->events->len)
        break;
      event = room->events->pdata[backwards ? i - 1 : i];
      if (backwards ? (to != 0 && event->pos <= to) : (event->pos > ceiling || (to != 0 && event->pos > to)))
        break;
      json_array_add_object_element (chunk, hs_event_for_client (event, req->token));
      g_hash_table_add (senders, (gpointer) json_object_get_string_member (event->json, "sender"));
      i = backwards ? i - 1 : i + 1;
      n++;
    }

  /* "end" only while there is more to read. */
  if (n == limit && (backwards ? i > 0 : i < room->events->len))
    {
      HsEvent *last = room->events->pdata[backwards ? i : i - 1];
      g_autofree char *end = g_strdup_printf ("s%" G_GUINT64_FORMAT, backwards ? last->pos - 1 : last->pos);

      json_object_set_string_member (response, "end", end);
    }

  g_hash_table_iter_init (&iter, senders);
  while (g_hash_table_iter_next (&iter, (gpointer *) &sender, NULL))
    {
      HsEvent *member = hs_room_state_event (room, "m.room.member", sender);

      if (member != NULL)
        json_array_add_object_element (state, hs_event_for_client (member, req->token));
    }
  hs_request_respond_json (req, 200, response);
}

static void
handle_get_all_state (HsRequest *req)
{
  HsEvent *leave;
  HsRoom *room = req_visible_room (req, ARG (req, 1), &leave);
  g_autoptr(JsonArray) events = json_array_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  GHashTableIter iter;
  HsEvent *event;
  g_autoptr(GBytes) text = NULL;

  if (room == NULL)
    return;
  g_hash_table_iter_init (&iter, room->state);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &event))
    json_array_add_object_element (events, hs_event_for_client (event, req->token));
  json_node_set_array (node, events);
  text = hs_json_text (req->self, node);
  hs_request_respond_raw (req, 200, "application/json", g_bytes_get_data (text, NULL), g_bytes_get_size (text));
}

/* The state key is the segment after the type, or "" when the path stops
 * at the type (with or without a trailing slash). */
static const char *
state_key_arg (HsRequest *req)
{
  return req->n_segs > 7 ? ARG (req, 4) : "";
}

static void
handle_get_state (HsRequest *req)
{
  HsEvent *leave;
  HsRoom *room = req_visible_room (req, ARG (req, 1), &leave);
  HsEvent *event;

  if (room == NULL)
    return;
  event = hs_room_state_event (room, ARG (req, 3), state_key_arg (req));
  if (event == NULL)
    {
      hs_request_respond_error (req, 404, "M_NOT_FOUND", "Event not found");
      return;
    }
  hs_request_respond_json (req, 200, json_object_get_object_member (event->json, "content"));
}

static gint64
user_power_level (HsRoom     *room,
                  const char *user_id)
{
  HsEvent *event = hs_room_state_event (room, "m.room.power_levels", "");
  JsonObject *content, *users;

  if (event == NULL)
    return 0;
  content = hs_json_get_object (event->json, "content");
  users = hs_json_get_object (content, "users");
  return hs_json_get_int (users, user_id, hs_json_get_int (content, "users_default", 0));
}

static gint64
required_power_level (HsRoom     *room,
                      const char *type,
                      gboolean    is_state)
{
  HsEvent *event = hs_room_state_event (room, "m.room.power_levels", "");
  JsonObject *content, *events;

  if (event == NULL)
    return 0;
  content = hs_json_get_object (event->json, "content");
  events = hs_json_get_object (content, "events");
  return hs_json_get_int (events, type,
                          hs_json_get_int (content, is_state ? "state_default" : "events_default",
                                           is_state ? 50 : 0));
}

static void
send_event (HsRequest  *req,
            const char *type,
            const char *state_key,
            const char *txn_id)
{
  HsRoom *room = hs_req_room (req, ARG (req, 1));
  g_autofree char *owner = g_strdup_printf ("%s\x1f%s", req->token->user_id, req->token->device_id);
  GError *error = NULL;
  HsEvent *event;

  if (room == NULL)
    return;
  if (g_strcmp0 (hs_room_membership (room, req->token->user_id), "join") == 0 &&
      user_power_level (room, req->token->user_id) < required_power_level (room, type, state_key != NULL))
    {
      hs_request_respond_error (req, 403, "M_FORBIDDEN", "Insufficient power level to send %s", type);
      return;
    }
  event = hs_send (req->self, room, req->token->user_id, type, state_key, hs_req_body (req),
                   txn_id ? owner : NULL, txn_id, &error);
  if (!respond_if_error (req, event != NULL, &error))
    hs_respond_string (req, "event_id", json_object_get_string_member (event->json, "event_id"));
}

static void
handle_put_state (HsRequest *req)
{
  send_event (req, ARG (req, 3), state_key_arg (req), NULL);
}

static void
handle_send (HsRequest *req)
{
  send_event (req, ARG (req, 3), NULL, ARG (req, 4));
}

static void
handle_redact (HsRequest *req)
{
  HsRoom *room = hs_req_room (req, ARG (req, 1));
  g_autofree char *owner = g_strdup_printf ("%s\x1f%s", req->token->user_id, req->token->device_id);
  GError *error = NULL;
  HsEvent *event;

  if (room == NULL)
    return;
  event = hs_redact (req->self, room, req->token->user_id, ARG (req, 3),
                     hs_body_string (req, "reason"), owner, ARG (req, 4), &error);
  if (!respond_if_error (req, event != NULL, &error))
    hs_respond_string (req, "event_id", json_object_get_string_member (event->json, "event_id"));
}

static void
handle_get_event (HsRequest *req)
{
  HsEvent *leave;
  HsRoom *room = req_visible_room (req, ARG (req, 1), &leave);
  HsEvent *event;
  g_autoptr(JsonObject) object = NULL;

  if (room == NULL)
    return;
  event = g_hash_table_lookup (room->event_ids, ARG (req, 3));
  if (event == NULL || (leave != NULL && event->pos > leave->pos))
    {
      hs_request_respond_error (req, 404, "M_NOT_FOUND", "Event not found");
      return;
    }
  object = hs_event_for_client (event, req->token);
  hs_request_respond_json (req, 200, object);
}

static void
handle_receipt (HsRequest *req)
{
  HsRoom *room = hs_req_room (req, ARG (req, 1));
  GError *error = NULL;

  if (room != NULL &&
      !respond_if_error (req, hs_set_receipt (req->self, room, req->token->user_id,
                                              ARG (req, 3), ARG (req, 4), &error), &error))
    hs_respond_empty (req);
}

static void
handle_read_markers (HsRequest *req)
{
  static const char * const types[] = { "m.fully_read", "m.read", "m.read.private" };
  HsRoom *room = hs_req_room (req, ARG (req, 1));

  if (room == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      const char *event_id = hs_body_string (req, types[i]);
      GError *error = NULL;

      if (event_id != NULL &&
          respond_if_error (req, hs_set_receipt (req->self, room, req->token->user_id,
                                                 types[i], event_id, &error), &error))
        return;
    }
  hs_respond_empty (req);
}

static void
handle_typing (HsRequest *req)
{
  HsRoom *room = hs_req_room (req, ARG (req, 1));
  JsonNode *typing = json_object_get_member (hs_req_body (req), "typing");

  if (room == NULL || !hs_req_is_own_user (req, ARG (req, 3)))
    return;
  if (typing == NULL || !JSON_NODE_HOLDS_VALUE (typing) || json_node_get_value_type (typing) != G_TYPE_BOOLEAN)
    {
      hs_request_respond_error (req, 400, "M_BAD_JSON", "Missing boolean typing");
      return;
    }
  if (g_strcmp0 (hs_room_membership (room, req->token->user_id), "join") != 0)
    {
      hs_request_respond_error (req, 403, "M_FORBIDDEN", "Not in room");
      return;
    }
  hs_set_typing (req->self, room, req->token->user_id, json_node_get_boolean (typing),
                 hs_json_get_int (hs_req_body (req), "timeout", 30000));
  hs_respond_empty (req);
}

static void
handle_joined_rooms (HsRequest *req)
{
  g_autoptr(JsonObject) response = json_object_new ();
  JsonArray *joined = json_array_new ();
  GHashTableIter iter;
  HsRoom *room;

  g_hash_table_iter_init (&iter, req->self->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    if (g_strcmp0 (hs_room_membership (room, req->token->user_id), "join") == 0)
      json_array_add_string_element (joined, room->room_id);
  json_object_set_array_member (response, "joined_rooms", joined);
  hs_request_respond_json (req, 200, response);
}

static void
handle_resolve_alias (HsRequest *req)
{
  HsRoom *room = hs_req_room (req, ARG (req, 2));
  g_autoptr(JsonObject) response = json_object_new ();
  JsonArray *servers = json_array_new ();

  json_object_set_array_member (response, "servers", servers);
  if (room == NULL)
    return;
  json_array_add_string_element (servers, HS_SERVER_NAME);
  json_object_set_string_member (response, "room_id", room->room_id);
  hs_request_respond_json (req, 200, response);
}

static const HsRoute routes[] = {
  { "GET", "_matrix/client/versions", 0, handle_versions },
  { "GET", ".well-known/matrix/client", 0, handle_well_known },
  { "GET", "_matrix/client/C/login", 0, handle_login_flows },
  { "POST", "_matrix/client/C/login", 0, handle_login },
  { "POST", "_matrix/client/C/logout", ROUTE_AUTH, handle_logout },
  { "POST", "_matrix/client/C/logout/all", ROUTE_AUTH, handle_logout_all },
  { "GET", "_matrix/client/C/account/whoami", ROUTE_AUTH, handle_whoami },
  { "GET", "_matrix/client/C/capabilities", ROUTE_AUTH, handle_capabilities },
  { "GET", "_matrix/client/C/sync", ROUTE_AUTH, hs_handle_sync },
  { "POST", "_matrix/client/C/createRoom", ROUTE_AUTH, handle_create_room },
  { "GET", "_matrix/client/C/joined_rooms", ROUTE_AUTH, handle_joined_rooms },
  { "POST", "_matrix/client/C/join/*", ROUTE_AUTH, handle_join_alias },
  { "GET", "_matrix/client/C/directory/room/*", ROUTE_AUTH, handle_resolve_alias },
  { "POST", "_matrix/client/C/rooms/*/invite", ROUTE_AUTH, handle_invite },
  { "POST", "_matrix/client/C/rooms/*/join", ROUTE_AUTH, handle_room_join },
  { "POST", "_matrix/client/C/rooms/*/leave", ROUTE_AUTH, handle_leave },
  { "POST", "_matrix/client/C/rooms/*/forget", ROUTE_AUTH, handle_forget },
  { "POST", "_matrix/client/C/rooms/*/upgrade", ROUTE_AUTH, handle_upgrade },
  { "GET", "_matrix/client/C/rooms/*/members", ROUTE_AUTH, handle_members },
  { "GET", "_matrix/client/C/rooms/*/joined_members", ROUTE_AUTH, handle_joined_members },
  { "GET", "_matrix/client/C/rooms/*/messages", ROUTE_AUTH, handle_messages },
  { "GET", "_matrix/client/C/rooms/*/state", ROUTE_AUTH, handle_get_all_state },
  { "GET", "_matrix/client/C/rooms/*/state/*", ROUTE_AUTH, handle_get_state },
  { "GET", "_matrix/client/C/rooms/*/state/*/*", ROUTE_AUTH, handle_get_state },
  { "PUT", "_matrix/client/C/rooms/*/state/*", ROUTE_AUTH, handle_put_state },
  { "PUT", "_matrix/client/C/rooms/*/state/*/*", ROUTE_AUTH, handle_put_state },
  { "GET", "_matrix/client/C/rooms/*/event/*", ROUTE_AUTH, handle_get_event },
  { "PUT", "_matrix/client/C/rooms/*/send/*/*", ROUTE_AUTH, handle_send },
  { "PUT", "_matrix/client/C/rooms/*/redact/*/*", ROUTE_AUTH, handle_redact },
  { "POST", "_matrix/client/C/rooms/*/receipt/*/*", ROUTE_AUTH, handle_receipt },
  { "POST", "_matrix/client/C/rooms/*/read_markers", ROUTE_AUTH, handle_read_markers },
  { "PUT", "_matrix/client/C/rooms/*/typing/*", ROUTE_AUTH, handle_typing },
  { "GET", "_matrix/client/C/user/*/account_data/*", ROUTE_AUTH, hs_handle_account_data },
  { "PUT", "_matrix/client/C/user/*/account_data/*", ROUTE_AUTH, hs_handle_account_data },
  { "GET", "_matrix/client/C/user/*/rooms/*/account_data/*", ROUTE_AUTH, hs_handle_room_account_data },
  { "PUT", "_matrix/client/C/user/*/rooms/*/account_data/*", ROUTE_AUTH, hs_handle_room_account_data },
  { "POST", "_matrix/client/C/user/*/filter", ROUTE_AUTH, hs_handle_post_filter },
  { "GET", "_matrix/client/C/user/*/filter/*", ROUTE_AUTH, hs_handle_get_filter },
  { "GET", "_matrix/client/C/profile/*", 0, hs_handle_get_profile },
  { "GET", "_matrix/client/C/profile/*/*", 0, hs_handle_get_profile_field },
  { "PUT", "_matrix/client/C/profile/*/*", ROUTE_AUTH, hs_handle_put_profile_field },
  { "POST", "_matrix/client/C/user_directory/search", ROUTE_AUTH, hs_handle_user_directory },
  { "GET", "_matrix/client/v1/media/config", ROUTE_AUTH, hs_handle_media_config },
  { "GET", "_matrix/client/v1/media/download/*/*", ROUTE_AUTH, hs_handle_media_v1 },
  { "GET", "_matrix/client/v1/media/download/*/*/*", ROUTE_AUTH, hs_handle_media_v1 },
  { "GET", "_matrix/client/v1/media/thumbnail/*/*", ROUTE_AUTH, hs_handle_media_v1 },
  { "GET", "_matrix/media/v3/config", ROUTE_AUTH, hs_handle_media_config },
  { "GET", "_matrix/media/v3/download/*/*", 0, hs_handle_media_legacy },
  { "GET", "_matrix/media/v3/download/*/*/*", 0, hs_handle_media_legacy },
  { "GET", "_matrix/media/v3/thumbnail/*/*", 0, hs_handle_media_legacy },
  { "POST", "_matrix/media/v3/upload", ROUTE_AUTH | ROUTE_RAW_BODY, hs_handle_upload },
};

static gboolean
route_matches (const char *pattern,
               HsRequest  *req)
{
  const char *p = pattern;
  guint i = 0;

  while (*p != '\0')
    {
      const char *slash = strchr (p, '/');
      gsize len = slash ? (gsize) (slash - p) : strlen (p);
      const char *seg = i < req->n_segs ? req->segs[i] : NULL;

      if (seg == NULL)
        return FALSE;
      if (len == 1 && p[0] == 'C')
        {
          if (!g_str_equal (seg, "v3") && !g_str_equal (seg, "r0"))
            return FALSE;
        }
      else if (!(len == 1 && p[0] == '*') && (strlen (seg) != len || strncmp (seg, p, len) != 0))
        return FALSE;
      i++;
      p = slash ? slash + 1 : p + len;
    }
  return i == req->n_segs;
}

static const char *
access_token (HsRequest *req)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg),
                                                     "Authorization");

  if (header != NULL && g_ascii_strncasecmp (header, "Bearer ", 7) == 0)
    return header + 7;
  return hs_query_param (req, "access_token");
}

static gboolean
authenticate (HsRequest *req)
{
  const char *secret = access_token (req);
  HsToken *token;
  g_autoptr(JsonObject) body = NULL;

  if (secret == NULL)
    {
      hs_request_respond_error (req, 401, "M_MISSING_TOKEN", "Missing access token");
      return FALSE;
    }
  token = g_hash_table_lookup (req->self->tokens, secret);
  if (token != NULL && token->valid)
    {
      req->token = token;
      return TRUE;
    }
  body = json_object_new ();
  json_object_set_string_member (body, "errcode", "M_UNKNOWN_TOKEN");
  json_object_set_string_member (body, "error", "Unknown or expired access token");
  if (token != NULL && token->soft_logout)
    json_object_set_boolean_member (body, "soft_logout", TRUE);
  hs_request_respond_json (req, 401, body);
  return FALSE;
}

/* Every JSON endpoint takes an object; an empty body counts as {}. */
static gboolean
parse_body (HsRequest *req)
{
  g_autoptr(GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (req->msg));
  g_autoptr(JsonParser) parser = NULL;
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  if (size == 0)
    {
      req->body = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (req->body, json_object_new ());
      return TRUE;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, size, NULL) || json_parser_get_root (parser) == NULL)
    {
      hs_request_respond_error (req, 400, "M_NOT_JSON", "Content not JSON");
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      hs_request_respond_error (req, 400, "M_BAD_JSON", "Content must be a JSON object");
      return FALSE;
    }
  req->body = json_parser_steal_root (parser);
  return TRUE;
}

void
hs_dispatch (HsRequest *req)
{
  gboolean path_known = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      const HsRoute *route = &routes[i];

      if (!route_matches (route->pattern, req))
        continue;
      path_known = TRUE;
      if (!g_str_equal (route->method, req->method))
        continue;

      if ((route->flags & ROUTE_AUTH) && !authenticate (req))
        return;
      if (!(route->flags & ROUTE_RAW_BODY) && !parse_body (req))
        return;
      route->handler (req);
      return;
    }

  if (path_known)
    hs_request_respond_error (req, 405, "M_UNRECOGNIZED", "Unsupported method %s", req->method);
  else
    hs_request_respond_error (req, 404, "M_UNRECOGNIZED", "Unrecognized request");
}
