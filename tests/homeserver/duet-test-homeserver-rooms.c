/* duet-test-homeserver-rooms.c: users, rooms, events, membership, account data
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The core operations behind both the HTTP handlers and the C API.  They
 * check what a real homeserver checks (membership, join rules) and report
 * failures as HS_ERROR, which the handlers turn into {errcode, error}.
 */
#include "duet-test-homeserver-private.h"

#include <string.h>

/* Freeing */

static void
hs_account_data_free (gpointer data)
{
  HsAccountData *ad = data;

  g_clear_pointer (&ad->content, json_object_unref);
  g_free (ad);
}

void
hs_user_free (gpointer data)
{
  HsUser *user = data;

  g_free (user->user_id);
  g_free (user->password);
  g_free (user->displayname);
  g_free (user->avatar_url);
  g_hash_table_unref (user->account_data);
  g_hash_table_unref (user->room_account_data);
  g_free (user);
}

void
hs_token_free (gpointer data)
{
  HsToken *token = data;

  g_free (token->token);
  g_free (token->user_id);
  g_free (token->device_id);
  g_free (token);
}

static void
hs_event_free (gpointer data)
{
  HsEvent *event = data;

  json_object_unref (event->json);
  g_free (event->txn_owner);
  g_free (event->txn_id);
  g_free (event);
}

static void
hs_receipt_free (gpointer data)
{
  HsReceipt *receipt = data;

  g_free (receipt->event_id);
  g_free (receipt);
}

static void
hs_typing_free (gpointer data)
{
  HsTyping *typing = data;

  g_clear_handle_id (&typing->timeout_id, g_source_remove);
  g_free (typing->user_id);
  g_free (typing);
}

void
hs_room_free (gpointer data)
{
  HsRoom *room = data;

  g_hash_table_unref (room->typing);
  g_hash_table_unref (room->receipts);
  g_hash_table_unref (room->join_event);
  g_hash_table_unref (room->state);
  g_hash_table_unref (room->event_ids);
  g_hash_table_unref (room->forgotten);
  g_ptr_array_unref (room->events);
  g_free (room->room_id);
  g_free (room);
}

void
hs_media_free (gpointer data)
{
  HsMedia *media = data;

  g_bytes_unref (media->data);
  g_free (media->content_type);
  g_free (media->filename);
  g_free (media);
}

/* Users and tokens */

HsUser *
hs_add_user (DuetTestHomeserver *self,
             const char         *localpart,
             const char         *password,
             const char         *display_name)
{
  g_autofree char *user_id = g_strdup_printf ("@%s:%s", localpart, HS_SERVER_NAME);
  HsUser *user = g_hash_table_lookup (self->users, user_id);

  if (user == NULL)
    {
      user = g_new0 (HsUser, 1);
      user->user_id = g_steal_pointer (&user_id);
      user->account_data = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                  g_free, hs_account_data_free);
      user->room_account_data = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                       g_free, (GDestroyNotify) g_hash_table_unref);
      g_hash_table_insert (self->users, user->user_id, user);
    }
  g_free (user->password);
  user->password = g_strdup (password);
  g_free (user->displayname);
  user->displayname = g_strdup (display_name);
  return user;
}

HsToken *
hs_new_token (DuetTestHomeserver *self,
              const char         *user_id,
              const char         *device_id)
{
  HsToken *token = g_new0 (HsToken, 1);
  g_autofree char *secret = hs_random_string (32);

  token->token = g_strdup_printf ("syt_%s", secret);
  token->user_id = g_strdup (user_id);
  token->device_id = device_id ? g_strdup (device_id) : g_strdup_printf ("DEV%s", secret + 20);
  token->valid = TRUE;
  g_hash_table_insert (self->tokens, token->token, token);
  return token;
}

/* Rooms and events */

HsRoom *
hs_lookup_room (DuetTestHomeserver *self,
                const char         *room_id_or_alias)
{
  const char *room_id = room_id_or_alias;

  if (room_id_or_alias == NULL)
    return NULL;
  if (room_id_or_alias[0] == '#')
    room_id = g_hash_table_lookup (self->aliases, room_id_or_alias);
  return room_id != NULL ? g_hash_table_lookup (self->rooms, room_id) : NULL;
}

static HsRoom *
hs_room_new (DuetTestHomeserver *self)
{
  HsRoom *room = g_new0 (HsRoom, 1);
  g_autofree char *random = hs_random_string (18);

  room->server = self;
  room->room_id = g_strdup_printf ("!%s:%s", random, HS_SERVER_NAME);
  room->created_seq = ++self->room_seq;
  room->events = g_ptr_array_new_with_free_func (hs_event_free);
  room->event_ids = g_hash_table_new (g_str_hash, g_str_equal);
  room->state = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  room->join_event = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  room->receipts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, hs_receipt_free);
  room->typing = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, hs_typing_free);
  room->forgotten = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_insert (self->rooms, room->room_id, room);
  return room;
}

HsEvent *
hs_room_state_event (HsRoom     *room,
                     const char *type,
                     const char *state_key)
{
  g_autofree char *key = g_strdup_printf ("%s\x1f%s", type, state_key);

  return g_hash_table_lookup (room->state, key);
}

static const char *
event_content_string (HsEvent    *event,
                      const char *member)
{
  JsonObject *content;

  if (event == NULL)
    return NULL;
  content = hs_json_get_object (event->json, "content");
  return hs_json_get_string (content, member);
}

const char *
hs_room_membership (HsRoom     *room,
                    const char *user_id)
{
  return event_content_string (hs_room_state_event (room, "m.room.member", user_id), "membership");
}

/* Index of the first event after stream position @pos (events->len if none):
 * positions grow along the array, so a binary search keeps /sync cheap. */
guint
hs_room_first_after (HsRoom  *room,
                     guint64  pos)
{
  guint lo = 0, hi = room->events->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (((HsEvent *) room->events->pdata[mid])->pos <= pos)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static void
track_membership (HsRoom     *room,
                  HsEvent    *event,
                  const char *target,
                  const char *old_membership)
{
  const char *membership = event_content_string (event, "membership");

  if (g_strcmp0 (membership, "join") == 0)
    {
      if (g_strcmp0 (old_membership, "join") != 0)
        g_hash_table_replace (room->join_event, g_strdup (target), event);
    }
  else
    g_hash_table_remove (room->join_event, target);

  if (g_strcmp0 (membership, "join") == 0 || g_strcmp0 (membership, "invite") == 0)
    g_hash_table_remove (room->forgotten, target);
}

/* Append an event to the room; @content is taken.  No permission checks:
 * callers do those. */
static HsEvent *
room_append (DuetTestHomeserver *self,
             HsRoom             *room,
             const char         *type,
             const char         *sender,
             const char         *state_key,
             JsonObject         *content)
{
  HsEvent *event = g_new0 (HsEvent, 1);
  JsonObject *json = json_object_new ();
  g_autofree char *random = hs_random_string (12);
  char *event_id = g_strdup_printf ("$%" G_GUINT64_FORMAT "%s", ++self->id_counter, random);
  HsEvent *previous = NULL;
  g_autofree char *old_membership = NULL;

  json_object_set_string_member (json, "event_id", event_id);
  json_object_set_string_member (json, "type", type);
  json_object_set_string_member (json, "sender", sender);
  json_object_set_string_member (json, "room_id", room->room_id);
  json_object_set_int_member (json, "origin_server_ts", g_get_real_time () / 1000 + self->clock_offset_ms);
  json_object_set_object_member (json, "content", content);
  g_free (event_id);

  if (state_key != NULL)
    {
      json_object_set_string_member (json, "state_key", state_key);
      previous = hs_room_state_event (room, type, state_key);
      if (previous != NULL)
        {
          JsonObject *unsigned_ = json_object_new ();
          JsonObject *prev_content = json_object_get_object_member (previous->json, "content");

          json_object_set_object_member (unsigned_, "prev_content", hs_json_object_copy (prev_content));
          json_object_set_string_member (unsigned_, "prev_sender",
                                         json_object_get_string_member (previous->json, "sender"));
          json_object_set_string_member (unsigned_, "replaces_state",
                                         json_object_get_string_member (previous->json, "event_id"));
          json_object_set_object_member (json, "unsigned", unsigned_);
          if (g_str_equal (type, "m.room.member"))
            old_membership = g_strdup (event_content_string (previous, "membership"));
        }
    }

  event->json = json;
  event->pos = ++self->stream_pos;
  event->index = room->events->len;
  g_ptr_array_add (room->events, event);
  g_hash_table_insert (room->event_ids,
                       (gpointer) json_object_get_string_member (json, "event_id"), event);

  if (state_key != NULL)
    {
      g_hash_table_replace (room->state, g_strdup_printf ("%s\x1f%s", type, state_key), event);
      if (g_str_equal (type, "m.room.member"))
        track_membership (room, event, state_key, old_membership);
    }

  hs_stream_changed (self);
  hs_bot_on_event (self, room, event);
  return event;
}

static JsonObject *
member_content (DuetTestHomeserver *self,
                const char         *user_id,
                const char         *membership)
{
  JsonObject *content = json_object_new ();
  HsUser *user = g_hash_table_lookup (self->users, user_id);

  json_object_set_string_member (content, "membership", membership);
  if (user != NULL && user->displayname != NULL &&
      (g_str_equal (membership, "join") || g_str_equal (membership, "invite")))
    json_object_set_string_member (content, "displayname", user->displayname);
  if (user != NULL && user->avatar_url != NULL &&
      (g_str_equal (membership, "join") || g_str_equal (membership, "invite")))
    json_object_set_string_member (content, "avatar_url", user->avatar_url);
  return content;
}

static gboolean
require_joined (HsRoom      *room,
                const char  *user_id,
                GError     **error)
{
  if (g_strcmp0 (hs_room_membership (room, user_id), "join") != 0)
    {
      g_set_error (error, HS_ERROR, HS_ERROR_FORBIDDEN,
                   "User %s is not in room %s", user_id, room->room_id);
      return FALSE;
    }
  return TRUE;
}

static JsonObject *
default_power_levels (const char         *creator,
                      const char         *preset,
                      JsonArray          *invites)
{
  JsonObject *pl = json_object_new ();
  JsonObject *users = json_object_new ();
  JsonObject *events = json_object_new ();

  json_object_set_int_member (users, creator, 100);
  /* trusted_private_chat: both sides of a DM may manage the room. */
  if (g_strcmp0 (preset, "trusted_private_chat") == 0)
    for (guint i = 0; invites != NULL && i < json_array_get_length (invites); i++)
      json_object_set_int_member (users, json_array_get_string_element (invites, i), 100);

  json_object_set_int_member (events, "m.room.name", 50);
  json_object_set_int_member (events, "m.room.avatar", 50);
  json_object_set_int_member (events, "m.room.canonical_alias", 50);
  json_object_set_int_member (events, "m.room.topic", 50);
  json_object_set_int_member (events, "m.room.power_levels", 100);
  json_object_set_int_member (events, "m.room.history_visibility", 100);
  json_object_set_int_member (events, "m.room.tombstone", 100);
  json_object_set_int_member (events, "m.room.encryption", 100);
  json_object_set_int_member (events, "m.room.server_acl", 100);

  json_object_set_object_member (pl, "users", users);
  json_object_set_int_member (pl, "users_default", 0);
  json_object_set_object_member (pl, "events", events);
  json_object_set_int_member (pl, "events_default", 0);
  json_object_set_int_member (pl, "state_default", 50);
  json_object_set_int_member (pl, "ban", 50);
  json_object_set_int_member (pl, "kick", 50);
  json_object_set_int_member (pl, "redact", 50);
  json_object_set_int_member (pl, "invite", 0);
  return pl;
}

static JsonObject *
string_content (const char *key,
                const char *value)
{
  JsonObject *content = json_object_new ();

  json_object_set_string_member (content, key, value);
  return content;
}

static gboolean
validate_create_request (DuetTestHomeserver *self,
                         const char         *creator,
                         JsonObject         *request,
                         const char         *preset,
                         JsonArray          *invites,
                         GError            **error)
{
  const char *version = hs_json_get_string (request, "room_version");
  static const char * const versions[] = { "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", NULL };
  static const char * const presets[] = { "private_chat", "trusted_private_chat", "public_chat", NULL };

  if (!g_hash_table_contains (self->users, creator))
    return g_set_error (error, HS_ERROR, HS_ERROR_FORBIDDEN, "Unknown user %s", creator), FALSE;
  if (!g_strv_contains (presets, preset))
    return g_set_error (error, HS_ERROR, HS_ERROR_INVALID_PARAM, "Unknown preset %s", preset), FALSE;
  if (version == NULL)
    version = HS_DEFAULT_ROOM_VERSION;
  if (!g_strv_contains (versions, version))
    return g_set_error (error, HS_ERROR, HS_ERROR_UNSUPPORTED_ROOM_VERSION,
                        "Unsupported room version %s", version), FALSE;
  for (guint i = 0; invites != NULL && i < json_array_get_length (invites); i++)
    {
      JsonNode *node = json_array_get_element (invites, i);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
          !hs_is_user_id (json_node_get_string (node)))
        return g_set_error (error, HS_ERROR, HS_ERROR_INVALID_PARAM, "Invalid user id in invite"), FALSE;
    }
  return TRUE;
}

static void
apply_initial_state (DuetTestHomeserver *self,
                     HsRoom             *room,
                     const char         *creator,
                     JsonArray          *initial_state)
{
  for (guint i = 0; initial_state != NULL && i < json_array_get_length (initial_state); i++)
    {
      JsonNode *node = json_array_get_element (initial_state, i);
      JsonObject *event;
      JsonObject *content;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      event = json_node_get_object (node);
      content = hs_json_get_object (event, "content");
      if (hs_json_get_string (event, "type") == NULL || content == NULL)
        continue;
      room_append (self, room, hs_json_get_string (event, "type"), creator,
                   hs_json_get_string (event, "state_key") ? hs_json_get_string (event, "state_key") : "",
                   hs_json_object_copy (content));
    }
}

HsRoom *
hs_create_room (DuetTestHomeserver *self,
                const char         *creator,
                JsonObject         *request,
                GError            **error)
{
  const char *visibility = hs_json_get_string (request, "visibility");
  const char *preset = hs_json_get_string (request, "preset");
  const char *version = hs_json_get_string (request, "room_version");
  const char *name = hs_json_get_string (request, "name");
  const char *topic = hs_json_get_string (request, "topic");
  JsonArray *invites = hs_json_get_array (request, "invite");
  JsonObject *creation = hs_json_get_object (request, "creation_content");
  JsonObject *pl_override = hs_json_get_object (request, "power_level_content_override");
  const char *alias_name = hs_json_get_string (request, "room_alias_name");
  g_autofree char *alias = NULL;
  gboolean is_direct = hs_json_get_bool (request, "is_direct", FALSE);
  JsonObject *create_content, *pl;
  HsRoom *room;

  if (preset == NULL)
    preset = g_strcmp0 (visibility, "public") == 0 ? "public_chat" : "private_chat";
  if (!validate_create_request (self, creator, request, preset, invites, error))
    return NULL;
  if (alias_name != NULL)
    {
      alias = g_strdup_printf ("#%s:%s", alias_name, HS_SERVER_NAME);
      if (g_hash_table_contains (self->aliases, alias))
        return g_set_error (error, HS_ERROR, HS_ERROR_ROOM_IN_USE, "Alias %s is taken", alias), NULL;
    }

  room = hs_room_new (self);

  create_content = creation ? hs_json_object_copy (creation) : json_object_new ();
  json_object_set_string_member (create_content, "creator", creator);
  json_object_set_string_member (create_content, "room_version", version ? version : HS_DEFAULT_ROOM_VERSION);
  room_append (self, room, "m.room.create", creator, "", create_content);
  room_append (self, room, "m.room.member", creator, creator, member_content (self, creator, "join"));

  pl = default_power_levels (creator, preset, invites);
  if (pl_override != NULL)
    {
      /* Top-level keys of the override replace ours; the private deep copy
       * keeps the request and the stored event from sharing nodes. */
      g_autoptr(JsonObject) override = hs_json_object_copy (pl_override);
      JsonObjectIter iter;
      const char *key;
      JsonNode *node;

      json_object_iter_init (&iter, override);
      while (json_object_iter_next (&iter, &key, &node))
        json_object_set_member (pl, key, json_node_copy (node));
    }
  room_append (self, room, "m.room.power_levels", creator, "", pl);

  if (alias != NULL)
    {
      g_hash_table_insert (self->aliases, g_strdup (alias), g_strdup (room->room_id));
      room_append (self, room, "m.room.canonical_alias", creator, "", string_content ("alias", alias));
    }
  room_append (self, room, "m.room.join_rules", creator, "",
               string_content ("join_rule", g_str_equal (preset, "public_chat") ? "public" : "invite"));
  room_append (self, room, "m.room.history_visibility", creator, "",
               string_content ("history_visibility", "shared"));
  if (!g_str_equal (preset, "public_chat"))
    room_append (self, room, "m.room.guest_access", creator, "",
                 string_content ("guest_access", "can_join"));
  apply_initial_state (self, room, creator, hs_json_get_array (request, "initial_state"));
  if (name != NULL)
    room_append (self, room, "m.room.name", creator, "", string_content ("name", name));
  if (topic != NULL)
    room_append (self, room, "m.room.topic", creator, "", string_content ("topic", topic));

  for (guint i = 0; invites != NULL && i < json_array_get_length (invites); i++)
    hs_invite (self, room, creator, json_array_get_string_element (invites, i), is_direct, NULL, NULL);

  return room;
}

gboolean
hs_invite (DuetTestHomeserver *self,
           HsRoom             *room,
           const char         *sender,
           const char         *target,
           gboolean            is_direct,
           const char         *reason,
           GError            **error)
{
  const char *membership;
  JsonObject *content;

  if (!require_joined (room, sender, error))
    return FALSE;
  if (!hs_is_user_id (target))
    return g_set_error (error, HS_ERROR, HS_ERROR_INVALID_PARAM, "Invalid user id %s", target), FALSE;
  membership = hs_room_membership (room, target);
  if (g_strcmp0 (membership, "join") == 0 || g_strcmp0 (membership, "ban") == 0)
    return g_set_error (error, HS_ERROR, HS_ERROR_FORBIDDEN, "%s is %s the room", target,
                        g_str_equal (membership, "join") ? "already in" : "banned from"), FALSE;

  content = member_content (self, target, "invite");
  if (is_direct)
    json_object_set_boolean_member (content, "is_direct", TRUE);
  if (reason != NULL)
    json_object_set_string_member (content, "reason", reason);
  room_append (self, room, "m.room.member", sender, target, content);
  return TRUE;
}

gboolean
hs_join (DuetTestHomeserver *self,
         HsRoom             *room,
         const char         *user_id,
         GError            **error)
{
  const char *membership = hs_room_membership (room, user_id);
  const char *join_rule = event_content_string (hs_room_state_event (room, "m.room.join_rules", ""),
                                                "join_rule");

  if (g_strcmp0 (membership, "join") == 0)
    return TRUE;
  if (g_strcmp0 (membership, "ban") == 0)
    return g_set_error (error, HS_ERROR, HS_ERROR_FORBIDDEN, "You are banned from this room"), FALSE;
  if (g_strcmp0 (membership, "invite") != 0 && g_strcmp0 (join_rule, "public") != 0)
    return g_set_error (error, HS_ERROR, HS_ERROR_FORBIDDEN, "You are not invited to this room"), FALSE;

  room_append (self, room, "m.room.member", user_id, user_id, member_content (self, user_id, "join"));
  return TRUE;
}

gboolean
hs_leave (DuetTestHomeserver *self,
          HsRoom             *room,
          const char         *user_id,
          GError            **error)
{
  const char *membership = hs_room_membership (room, user_id);

  if (g_strcmp0 (membership, "leave") == 0)
    return TRUE;
  if (g_strcmp0 (membership, "join") != 0 && g_strcmp0 (membership, "invite") != 0)
    return g_set_error (error, HS_ERROR, HS_ERROR_FORBIDDEN,
                        "User %s is not in room %s", user_id, room->room_id), FALSE;

  room_append (self, room, "m.room.member", user_id, user_id, member_content (self, user_id, "leave"));
  return TRUE;
}

gboolean
hs_forget (DuetTestHomeserver *self,
           HsRoom             *room,
           const char         *user_id,
           GError            **error)
{
  const char *membership = hs_room_membership (room, user_id);

  if (g_strcmp0 (membership, "join") == 0 || g_strcmp0 (membership, "invite") == 0)
    return g_set_error (error, HS_ERROR, HS_ERROR_INVALID_PARAM,
                        "User %s must leave room %s before forgetting it", user_id, room->room_id), FALSE;
  g_hash_table_add (room->forgotten, g_strdup (user_id));
  hs_stream_changed (self);
  return TRUE;
}

HsEvent *
hs_send (DuetTestHomeserver *self,
         HsRoom             *room,
         const char         *sender,
         const char         *type,
         const char         *state_key,
         JsonObject         *content,
         const char         *txn_owner,
         const char         *txn_id,
         GError            **error)
{
  g_autofree char *txn_key = NULL;
  HsEvent *event;

  if (txn_owner != NULL && txn_id != NULL)
    {
      const char *event_id;

      /* Same device, same room, same txnId: the same event, not a new one. */
      txn_key = g_strdup_printf ("%s\x1f%s\x1f%s\x1f%s", txn_owner, room->room_id, type, txn_id);
      event_id = g_hash_table_lookup (self->txns, txn_key);
      if (event_id != NULL)
        return g_hash_table_lookup (room->event_ids, event_id);
    }
  if (!require_joined (room, sender, error))
    return NULL;

  event = room_append (self, room, type, sender, state_key, hs_json_object_copy (content));
  if (txn_key != NULL)
    {
      event->txn_owner = g_strdup (txn_owner);
      event->txn_id = g_strdup (txn_id);
      g_hash_table_insert (self->txns, g_steal_pointer (&txn_key),
                           g_strdup (json_object_get_string_member (event->json, "event_id")));
    }
  return event;
}

/* Keys of content kept by the redaction algorithm (room versions 1-10),
 * for the event types Duet shows. */
static gboolean
redaction_keeps (const char *type,
                 const char *key)
{
  if (g_str_equal (type, "m.room.member"))
    return g_str_equal (key, "membership");
  if (g_str_equal (type, "m.room.create"))
    return g_str_equal (key, "creator");
  if (g_str_equal (type, "m.room.join_rules"))
    return g_str_equal (key, "join_rule");
  if (g_str_equal (type, "m.room.history_visibility"))
    return g_str_equal (key, "history_visibility");
  return FALSE;
}

HsEvent *
hs_redact (DuetTestHomeserver *self,
           HsRoom             *room,
           const char         *sender,
           const char         *target_id,
           const char         *reason,
           const char         *txn_owner,
           const char         *txn_id,
           GError            **error)
{
  HsEvent *target = g_hash_table_lookup (room->event_ids, target_id);
  g_autoptr(JsonObject) content = json_object_new ();
  JsonObject *old_content, *new_content, *unsigned_;
  JsonObjectIter iter;
  const char *key;
  JsonNode *node;
  HsEvent *redaction;

  if (target == NULL)
    return g_set_error (error, HS_ERROR, HS_ERROR_NOT_FOUND, "Event not found"), NULL;

  json_object_set_string_member (content, "redacts", target_id);
  if (reason != NULL)
    json_object_set_string_member (content, "reason", reason);
  redaction = hs_send (self, room, sender, "m.room.redaction", NULL, content, txn_owner, txn_id, error);
  if (redaction == NULL)
    return NULL;
  /* Before room version 11 "redacts" is a top-level key as well. */
  if (!json_object_has_member (redaction->json, "redacts"))
    json_object_set_string_member (redaction->json, "redacts", target_id);
  unsigned_ = hs_json_get_object (target->json, "unsigned");
  if (unsigned_ != NULL && json_object_has_member (unsigned_, "redacted_because"))
    return redaction;  /* redacted before */

  old_content = json_object_get_object_member (target->json, "content");
  new_content = json_object_new ();
  json_object_iter_init (&iter, old_content);
  while (json_object_iter_next (&iter, &key, &node))
    if (redaction_keeps (json_object_get_string_member (target->json, "type"), key))
      json_object_set_member (new_content, key, json_node_copy (node));
  json_object_set_object_member (target->json, "content", new_content);

  if (unsigned_ == NULL)
    {
      unsigned_ = json_object_new ();
      json_object_set_object_member (target->json, "unsigned", unsigned_);
    }
  json_object_set_object_member (unsigned_, "redacted_because", hs_json_object_copy (redaction->json));
  return redaction;
}

/* Like Synapse: every local member who listed the old room in m.direct gets
 * the replacement listed beside it. */
static void
add_replacement_to_m_direct (DuetTestHomeserver *self,
                             HsRoom             *old_room,
                             HsRoom             *new_room)
{
  GHashTableIter iter;
  HsUser *user;

  g_hash_table_iter_init (&iter, self->users);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &user))
    {
      HsAccountData *direct = hs_get_account_data (user, NULL, "m.direct");
      g_autoptr(JsonObject) content = NULL;
      JsonObjectIter members;
      const char *partner;
      JsonNode *node;
      gboolean changed = FALSE;

      if (direct == NULL || hs_room_membership (old_room, user->user_id) == NULL)
        continue;
      content = hs_json_object_copy (direct->content);
      json_object_iter_init (&members, content);
      while (json_object_iter_next (&members, &partner, &node))
        {
          JsonArray *rooms = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
          gboolean has_old = FALSE;

          for (guint i = 0; rooms != NULL && i < json_array_get_length (rooms); i++)
            {
              JsonNode *element = json_array_get_element (rooms, i);

              if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING &&
                  g_str_equal (json_node_get_string (element), old_room->room_id))
                has_old = TRUE;
            }
          if (has_old)
            {
              json_array_add_string_element (rooms, new_room->room_id);
              changed = TRUE;
            }
        }
      if (changed)
        hs_set_account_data (self, user, NULL, "m.direct", content);
    }
}

static const char * const copied_state_types[] = {
  "m.room.join_rules", "m.room.history_visibility", "m.room.guest_access", "m.room.name",
  "m.room.topic", "m.room.avatar", "m.room.encryption", "io.element.functional_members", NULL
};

HsRoom *
hs_upgrade_room (DuetTestHomeserver *self,
                 HsRoom             *old_room,
                 const char         *sender,
                 const char         *new_version,
                 GError            **error)
{
  g_autoptr(JsonObject) request = json_object_new ();
  JsonObject *creation = json_object_new ();
  JsonObject *predecessor = json_object_new ();
  JsonArray *initial_state = json_array_new ();
  JsonArray *invites = json_array_new ();
  HsEvent *last = g_ptr_array_index (old_room->events, old_room->events->len - 1);
  HsEvent *pl_event = hs_room_state_event (old_room, "m.room.power_levels", "");
  GHashTableIter iter;
  HsEvent *event;
  HsRoom *new_room;
  JsonObject *tombstone;

  if (!require_joined (old_room, sender, error))
    return NULL;

  json_object_set_string_member (predecessor, "room_id", old_room->room_id);
  json_object_set_string_member (predecessor, "event_id", json_object_get_string_member (last->json, "event_id"));
  json_object_set_object_member (creation, "predecessor", predecessor);
  json_object_set_object_member (request, "creation_content", creation);
  json_object_set_string_member (request, "room_version", new_version ? new_version : HS_DEFAULT_ROOM_VERSION);

  for (guint i = 0; copied_state_types[i] != NULL; i++)
    {
      HsEvent *state = hs_room_state_event (old_room, copied_state_types[i], "");
      JsonObject *copy;

      if (state == NULL)
        continue;
      copy = json_object_new ();
      json_object_set_string_member (copy, "type", copied_state_types[i]);
      json_object_set_string_member (copy, "state_key", "");
      json_object_set_object_member (copy, "content",
                                     hs_json_object_copy (json_object_get_object_member (state->json, "content")));
      json_array_add_object_element (initial_state, copy);
    }
  json_object_set_array_member (request, "initial_state", initial_state);
  if (pl_event != NULL)
    {
      JsonObject *pl = hs_json_object_copy (json_object_get_object_member (pl_event->json, "content"));
      JsonObject *users = hs_json_get_object (pl, "users");

      if (users != NULL)
        json_object_set_int_member (users, sender, 100);
      json_object_set_object_member (request, "power_level_content_override", pl);
    }

  /* Members of the old room are invited, so that they can follow the tombstone. */
  g_hash_table_iter_init (&iter, old_room->state);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &event))
    {
      const char *type = json_object_get_string_member (event->json, "type");
      const char *target = json_object_get_string_member (event->json, "state_key");
      const char *membership = event_content_string (event, "membership");

      if (g_str_equal (type, "m.room.member") && !g_str_equal (target, sender) &&
          (g_strcmp0 (membership, "join") == 0 || g_strcmp0 (membership, "invite") == 0))
        json_array_add_string_element (invites, target);
    }
  json_object_set_array_member (request, "invite", invites);
  json_object_set_string_member (request, "preset", "private_chat");

  new_room = hs_create_room (self, sender, request, error);
  if (new_room == NULL)
    return NULL;

  tombstone = json_object_new ();
  json_object_set_string_member (tombstone, "body", "This room has been replaced");
  json_object_set_string_member (tombstone, "replacement_room", new_room->room_id);
  room_append (self, old_room, "m.room.tombstone", sender, "", tombstone);

  add_replacement_to_m_direct (self, old_room, new_room);
  return new_room;
}

/* Account data */

HsAccountData *
hs_get_account_data (HsUser     *user,
                     const char *room_id,
                     const char *type)
{
  GHashTable *table = user->account_data;
  HsAccountData *data;

  if (room_id != NULL)
    table = g_hash_table_lookup (user->room_account_data, room_id);
  if (table == NULL)
    return NULL;
  data = g_hash_table_lookup (table, type);
  return data != NULL && data->content != NULL ? data : NULL;
}

void
hs_set_account_data (DuetTestHomeserver *self,
                     HsUser             *user,
                     const char         *room_id,
                     const char         *type,
                     JsonObject         *content)
{
  GHashTable *table = user->account_data;
  HsAccountData *data;

  if (room_id != NULL)
    {
      table = g_hash_table_lookup (user->room_account_data, room_id);
      if (table == NULL)
        {
          table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, hs_account_data_free);
          g_hash_table_insert (user->room_account_data, g_strdup (room_id), table);
        }
    }
  data = g_hash_table_lookup (table, type);
  if (data == NULL)
    {
      data = g_new0 (HsAccountData, 1);
      g_hash_table_insert (table, g_strdup (type), data);
    }
  g_clear_pointer (&data->content, json_object_unref);
  data->content = content ? hs_json_object_copy (content) : NULL;
  data->pos = ++self->stream_pos;
  hs_stream_changed (self);
}

/* Receipts and typing */

gboolean
hs_set_receipt (DuetTestHomeserver *self,
                HsRoom             *room,
                const char         *user_id,
                const char         *receipt_type,
                const char         *event_id,
                GError            **error)
{
  g_autofree char *key = NULL;
  HsEvent *event;
  HsReceipt *receipt;

  if (!g_str_equal (receipt_type, "m.read") && !g_str_equal (receipt_type, "m.read.private") &&
      !g_str_equal (receipt_type, "m.fully_read"))
    return g_set_error (error, HS_ERROR, HS_ERROR_INVALID_PARAM,
                        "Unknown receipt type %s", receipt_type), FALSE;
  if (!require_joined (room, user_id, error))
    return FALSE;
  event = g_hash_table_lookup (room->event_ids, event_id);
  if (event == NULL)
    return g_set_error (error, HS_ERROR, HS_ERROR_NOT_FOUND, "Unknown event %s", event_id), FALSE;

  if (g_str_equal (receipt_type, "m.fully_read"))
    {
      g_autoptr(JsonObject) content = string_content ("event_id", event_id);

      hs_set_account_data (self, g_hash_table_lookup (self->users, user_id),
                           room->room_id, "m.fully_read", content);
      return TRUE;
    }

  key = g_strdup_printf ("%s\x1f%s", receipt_type, user_id);
  receipt = g_hash_table_lookup (room->receipts, key);
  /* Read receipts only move forward, as on Synapse. */
  if (receipt != NULL && receipt->event_pos >= event->pos)
    return TRUE;
  if (receipt == NULL)
    {
      receipt = g_new0 (HsReceipt, 1);
      g_hash_table_insert (room->receipts, g_steal_pointer (&key), receipt);
    }
  g_free (receipt->event_id);
  receipt->event_id = g_strdup (event_id);
  receipt->event_pos = event->pos;
  receipt->ts = g_get_real_time () / 1000;
  room->receipts_pos = ++self->stream_pos;
  hs_stream_changed (self);
  return TRUE;
}

static gboolean
typing_expired_cb (gpointer data)
{
  HsTyping *typing = data;
  HsRoom *room = typing->room;

  typing->timeout_id = 0;
  g_hash_table_remove (room->typing, typing->user_id);
  room->typing_pos = ++room->server->stream_pos;
  hs_stream_changed (room->server);
  return G_SOURCE_REMOVE;
}

void
hs_set_typing (DuetTestHomeserver *self,
               HsRoom             *room,
               const char         *user_id,
               gboolean            is_typing,
               guint               timeout_ms)
{
  HsTyping *typing = g_hash_table_lookup (room->typing, user_id);
  gboolean changed = (typing != NULL) != is_typing;

  if (is_typing)
    {
      if (typing == NULL)
        {
          typing = g_new0 (HsTyping, 1);
          typing->room = room;
          typing->user_id = g_strdup (user_id);
          g_hash_table_insert (room->typing, typing->user_id, typing);
        }
      g_clear_handle_id (&typing->timeout_id, g_source_remove);
      typing->timeout_id = g_timeout_add (CLAMP (timeout_ms, 1, 120000), typing_expired_cb, typing);
    }
  else if (typing != NULL)
    g_hash_table_remove (room->typing, user_id);

  if (changed)
    {
      room->typing_pos = ++self->stream_pos;
      hs_stream_changed (self);
    }
}

/* Profiles: a change reaches every room the user is in, as a new member event. */
void
hs_set_profile (DuetTestHomeserver *self,
                HsUser             *user,
                const char         *field,
                const char         *value)
{
  GHashTableIter iter;
  HsRoom *room;

  if (g_str_equal (field, "displayname"))
    {
      g_free (user->displayname);
      user->displayname = g_strdup (value);
    }
  else
    {
      g_free (user->avatar_url);
      user->avatar_url = g_strdup (value);
    }

  g_hash_table_iter_init (&iter, self->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    {
      HsEvent *member = hs_room_state_event (room, "m.room.member", user->user_id);
      JsonObject *content;

      if (g_strcmp0 (hs_room_membership (room, user->user_id), "join") != 0)
        continue;
      content = hs_json_object_copy (json_object_get_object_member (member->json, "content"));
      if (value != NULL)
        json_object_set_string_member (content, field, value);
      else
        json_object_remove_member (content, field);
      room_append (self, room, "m.room.member", user->user_id, user->user_id, content);
    }
}

static gboolean
counts_as_unread (HsEvent *event)
{
  const char *type = json_object_get_string_member (event->json, "type");

  return !json_object_has_member (event->json, "state_key") &&
         (g_str_equal (type, "m.room.message") || g_str_equal (type, "m.room.encrypted") ||
          g_str_equal (type, "m.sticker"));
}

/* Messages from others after the user's read receipt, their own last message
 * and their join, whichever is latest. */
guint
hs_room_unread_count (HsRoom     *room,
                      const char *user_id)
{
  static const char * const types[] = { "m.read", "m.read.private" };
  HsEvent *joined = g_hash_table_lookup (room->join_event, user_id);
  guint64 floor = joined ? joined->pos : 0;
  guint count = 0;

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autofree char *key = g_strdup_printf ("%s\x1f%s", types[i], user_id);
      HsReceipt *receipt = g_hash_table_lookup (room->receipts, key);

      if (receipt != NULL)
        floor = MAX (floor, receipt->event_pos);
    }

  for (guint i = room->events->len; i > 0; i--)
    {
      HsEvent *event = room->events->pdata[i - 1];

      if (event->pos <= floor ||
          g_str_equal (json_object_get_string_member (event->json, "sender"), user_id))
        break;
      if (counts_as_unread (event))
        count++;
    }
  return count;
}

/* What @viewer sees: the stored event plus a fresh "unsigned" with the age
 * and, for the sending device only, the transaction id. */
JsonObject *
hs_event_for_client (HsEvent *event,
                     HsToken *viewer)
{
  JsonObject *object = json_object_new ();
  JsonObject *unsigned_ = json_object_new ();
  JsonObject *stored_unsigned = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, event->json);
  while (json_object_iter_next (&iter, &name, &node))
    {
      if (g_str_equal (name, "unsigned"))
        stored_unsigned = json_node_get_object (node);
      else
        json_object_set_member (object, name, json_node_copy (node));
    }
  if (stored_unsigned != NULL)
    {
      json_object_iter_init (&iter, stored_unsigned);
      while (json_object_iter_next (&iter, &name, &node))
        json_object_set_member (unsigned_, name, json_node_copy (node));
    }
  json_object_set_int_member (unsigned_, "age",
                              g_get_real_time () / 1000 -
                              json_object_get_int_member (event->json, "origin_server_ts"));
  if (viewer != NULL && event->txn_owner != NULL)
    {
      g_autofree char *owner = g_strdup_printf ("%s\x1f%s", viewer->user_id, viewer->device_id);

      if (g_str_equal (owner, event->txn_owner))
        json_object_set_string_member (unsigned_, "transaction_id", event->txn_id);
    }
  json_object_set_object_member (object, "unsigned", unsigned_);
  return object;
}
