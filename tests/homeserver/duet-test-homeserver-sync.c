/* duet-test-homeserver-sync.c: /sync responses and long-poll waiters
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A since token "s<N>" is a position in the server's single stream: every
 * room event, account data change, receipt and typing change takes the next
 * position.  An incremental sync returns what has a position above N; events
 * are found by binary search in each room, so a sync costs
 * O(rooms · log events + answer).
 */
#include "duet-test-homeserver-private.h"


#define DEFAULT_TIMELINE_LIMIT 10
#define MAX_SYNC_TIMEOUT_MS    (5 * 60 * 1000)

typedef struct {
  HsToken *token;
  guint64  since;      /* 0: initial sync */
  guint    limit;
  gboolean full_state;
} SyncParams;

static char *
stream_token (guint64 pos)
{
  return g_strdup_printf ("s%" G_GUINT64_FORMAT, pos);
}

static JsonObject *
events_object (JsonArray *events)
{
  JsonObject *object = json_object_new ();

  json_object_set_array_member (object, "events", events);
  return object;
}

static JsonObject *
stripped_event (HsEvent *event)
{
  JsonObject *stripped = json_object_new ();
  static const char * const keys[] = { "type", "state_key", "sender", "content" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    json_object_set_member (stripped, keys[i],
                            json_node_copy (json_object_get_member (event->json, keys[i])));
  return stripped;
}

static JsonArray *
account_data_since (GHashTable *table,
                    guint64     since)
{
  JsonArray *events = json_array_new ();
  GHashTableIter iter;
  const char *type;
  HsAccountData *data;

  if (table == NULL)
    return events;
  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, (gpointer *) &type, (gpointer *) &data))
    {
      JsonObject *event;

      if (data->content == NULL || data->pos <= since)
        continue;
      event = json_object_new ();
      json_object_set_string_member (event, "type", type);
      json_object_set_object_member (event, "content", hs_json_object_copy (data->content));
      json_array_add_object_element (events, event);
    }
  return events;
}

static JsonObject *
receipt_event (HsRoom     *room,
               const char *viewer)
{
  JsonObject *content = json_object_new ();
  JsonObject *event;
  GHashTableIter iter;
  const char *key;
  HsReceipt *receipt;

  g_hash_table_iter_init (&iter, room->receipts);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, (gpointer *) &receipt))
    {
      g_auto(GStrv) parts = g_strsplit (key, "\x1f", 2);
      JsonObject *by_event, *by_type, *by_user;

      /* Private receipts are for their owner only. */
      if (g_str_equal (parts[0], "m.read.private") && !g_str_equal (parts[1], viewer))
        continue;
      if (!json_object_has_member (content, receipt->event_id))
        json_object_set_object_member (content, receipt->event_id, json_object_new ());
      by_event = json_object_get_object_member (content, receipt->event_id);
      if (!json_object_has_member (by_event, parts[0]))
        json_object_set_object_member (by_event, parts[0], json_object_new ());
      by_type = json_object_get_object_member (by_event, parts[0]);
      by_user = json_object_new ();
      json_object_set_int_member (by_user, "ts", receipt->ts);
      json_object_set_object_member (by_type, parts[1], by_user);
    }
  event = json_object_new ();
  json_object_set_string_member (event, "type", "m.receipt");
  json_object_set_object_member (event, "content", content);
  return event;
}

static JsonObject *
typing_event (HsRoom *room)
{
  JsonObject *content = json_object_new ();
  JsonArray *user_ids = json_array_new ();
  JsonObject *event = json_object_new ();
  GHashTableIter iter;
  const char *user_id;

  g_hash_table_iter_init (&iter, room->typing);
  while (g_hash_table_iter_next (&iter, (gpointer *) &user_id, NULL))
    json_array_add_string_element (user_ids, user_id);
  json_object_set_array_member (content, "user_ids", user_ids);
  json_object_set_string_member (event, "type", "m.typing");
  json_object_set_object_member (event, "content", content);
  return event;
}

static JsonObject *
room_summary (HsRoom     *room,
              const char *viewer)
{
  JsonObject *summary = json_object_new ();
  JsonArray *heroes = json_array_new ();
  GHashTableIter iter;
  HsEvent *event;
  gint64 joined = 0, invited = 0;

  g_hash_table_iter_init (&iter, room->state);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &event))
    {
      const char *target = json_object_get_string_member_with_default (event->json, "state_key", "");
      const char *membership;

      if (!g_str_equal (json_object_get_string_member (event->json, "type"), "m.room.member"))
        continue;
      membership = hs_room_membership (room, target);
      if (g_strcmp0 (membership, "join") == 0)
        joined++;
      else if (g_strcmp0 (membership, "invite") == 0)
        invited++;
      else
        continue;
      if (!g_str_equal (target, viewer) && json_array_get_length (heroes) < 5)
        json_array_add_string_element (heroes, target);
    }
  json_object_set_array_member (summary, "m.heroes", heroes);
  json_object_set_int_member (summary, "m.joined_member_count", joined);
  json_object_set_int_member (summary, "m.invited_member_count", invited);
  return summary;
}

/* The timeline slice [from, upto) cut to the last @limit events. */
static JsonObject *
timeline_object (HsRoom     *room,
                 HsToken    *viewer,
                 guint       from,
                 guint       upto,
                 guint       limit,
                 guint      *out_start)
{
  JsonObject *timeline = json_object_new ();
  JsonArray *events = json_array_new ();
  guint start = upto - from > limit ? upto - limit : from;
  g_autofree char *prev_batch = NULL;

  for (guint i = start; i < upto; i++)
    json_array_add_object_element (events, hs_event_for_client (room->events->pdata[i], viewer));
  /* Paginating back from here gives the events before the slice. */
  if (start < room->events->len)
    prev_batch = stream_token (((HsEvent *) room->events->pdata[start])->pos - 1);
  else
    prev_batch = stream_token (room->server->stream_pos);

  json_object_set_array_member (timeline, "events", events);
  json_object_set_boolean_member (timeline, "limited", start > from);
  json_object_set_string_member (timeline, "prev_batch", prev_batch);
  *out_start = start;
  return timeline;
}

/* State before the timeline: the current state events that are not in it
 * (and changed after @since, for an incremental sync after a gap). */
static JsonArray *
state_before (HsRoom       *room,
              HsToken      *viewer,
              guint64       since,
              guint         timeline_start,
              guint         upto)
{
  JsonArray *events = json_array_new ();
  g_autoptr(GHashTable) added = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  HsEvent *event;

  g_hash_table_iter_init (&iter, room->state);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &event))
    {
      if (event->index >= timeline_start || event->pos <= since)
        continue;
      json_array_add_object_element (events, hs_event_for_client (event, viewer));
      g_hash_table_add (added, event);
    }

  /* Lazy-loading clients need the member events of the timeline's senders. */
  for (guint i = timeline_start; i < upto; i++)
    {
      const char *sender = json_object_get_string_member (((HsEvent *) room->events->pdata[i])->json,
                                                          "sender");
      HsEvent *member = hs_room_state_event (room, "m.room.member", sender);

      if (member == NULL || member->index >= timeline_start || g_hash_table_contains (added, member))
        continue;
      json_array_add_object_element (events, hs_event_for_client (member, viewer));
      g_hash_table_add (added, member);
    }
  return events;
}

static JsonObject *
joined_room (HsRoom           *room,
             const SyncParams *params)
{
  const char *user_id = params->token->user_id;
  HsEvent *join = g_hash_table_lookup (room->join_event, user_id);
  gboolean fresh = params->since == 0 || params->full_state || (join != NULL && join->pos > params->since);
  guint from = fresh ? 0 : hs_room_first_after (room, params->since);
  guint start;
  JsonObject *object = json_object_new ();
  JsonObject *timeline = timeline_object (room, params->token, from, room->events->len,
                                          params->limit, &start);
  gboolean limited = json_object_get_boolean_member (timeline, "limited");
  JsonArray *state = (fresh || limited)
    ? state_before (room, params->token, fresh ? 0 : params->since, start, room->events->len)
    : json_array_new ();
  JsonArray *ephemeral = json_array_new ();
  HsUser *user = g_hash_table_lookup (room->server->users, user_id);
  JsonArray *account_data = account_data_since (
    user ? g_hash_table_lookup (user->room_account_data, room->room_id) : NULL,
    fresh ? 0 : params->since);
  JsonObject *unread = json_object_new ();
  gboolean changed;

  if (fresh || room->receipts_pos > params->since)
    json_array_add_object_element (ephemeral, receipt_event (room, user_id));
  if (fresh || room->typing_pos > params->since)
    json_array_add_object_element (ephemeral, typing_event (room));
  json_object_set_int_member (unread, "notification_count", hs_room_unread_count (room, user_id));
  json_object_set_int_member (unread, "highlight_count", 0);

  changed = fresh || start < room->events->len || json_array_get_length (state) > 0 ||
            json_array_get_length (ephemeral) > 0 || json_array_get_length (account_data) > 0;

  json_object_set_object_member (object, "timeline", timeline);
  json_object_set_object_member (object, "state", events_object (state));
  json_object_set_object_member (object, "ephemeral", events_object (ephemeral));
  json_object_set_object_member (object, "account_data", events_object (account_data));
  json_object_set_object_member (object, "unread_notifications", unread);
  json_object_set_object_member (object, "summary", room_summary (room, user_id));
  if (!changed)
    g_clear_pointer (&object, json_object_unref);
  return object;
}

static JsonObject *
invited_room (HsRoom           *room,
              const SyncParams *params,
              HsEvent          *invite)
{
  static const char * const stripped_types[] = {
    "m.room.create", "m.room.name", "m.room.join_rules", "m.room.canonical_alias",
    "m.room.avatar", "m.room.topic", "m.room.encryption", NULL
  };
  JsonArray *events = json_array_new ();
  JsonObject *object = json_object_new ();
  const char *inviter = json_object_get_string_member (invite->json, "sender");
  HsEvent *inviter_member = hs_room_state_event (room, "m.room.member", inviter);

  for (guint i = 0; stripped_types[i] != NULL; i++)
    {
      HsEvent *event = hs_room_state_event (room, stripped_types[i], "");

      if (event != NULL)
        json_array_add_object_element (events, stripped_event (event));
    }
  if (inviter_member != NULL && inviter_member != invite)
    json_array_add_object_element (events, stripped_event (inviter_member));
  /* Our own invite is a full event, as on Synapse: clients read its sender
   * and is_direct. */
  json_array_add_object_element (events, hs_event_for_client (invite, params->token));

  json_object_set_object_member (object, "invite_state", events_object (events));
  return object;
}

static JsonObject *
left_room (HsRoom           *room,
           const SyncParams *params,
           HsEvent          *leave)
{
  JsonObject *object = json_object_new ();
  JsonObject *prev = hs_json_get_object (hs_json_get_object (leave->json, "unsigned"), "prev_content");
  gboolean was_joined = g_strcmp0 (hs_json_get_string (prev, "membership"), "join") == 0;
  guint upto = leave->index + 1;
  /* Someone who never joined (a rejected invite) sees only their leave. */
  guint from = was_joined ? MIN (hs_room_first_after (room, params->since), upto) : leave->index;
  guint start;
  JsonObject *timeline = timeline_object (room, params->token, from, upto, params->limit, &start);
  JsonArray *state = (params->since == 0 && was_joined)
    ? state_before (room, params->token, 0, start, upto)
    : json_array_new ();

  json_object_set_object_member (object, "timeline", timeline);
  json_object_set_object_member (object, "state", events_object (state));
  json_object_set_object_member (object, "account_data", events_object (json_array_new ()));
  return object;
}

static JsonObject *
build_sync (DuetTestHomeserver *self,
            const SyncParams   *params,
            gboolean           *has_content)
{
  JsonObject *response = json_object_new ();
  JsonObject *rooms = json_object_new ();
  JsonObject *join = json_object_new (), *invite = json_object_new (), *leave = json_object_new ();
  HsUser *user = g_hash_table_lookup (self->users, params->token->user_id);
  JsonArray *account_data = account_data_since (user ? user->account_data : NULL, params->since);
  g_autofree char *next_batch = NULL;
  GHashTableIter iter;
  HsRoom *room;

  g_hash_table_iter_init (&iter, self->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    {
      const char *user_id = params->token->user_id;
      HsEvent *member = hs_room_state_event (room, "m.room.member", user_id);
      const char *membership = hs_room_membership (room, user_id);
      JsonObject *section = NULL, *entry = NULL;

      if (member == NULL || g_hash_table_contains (room->forgotten, user_id))
        continue;
      if (g_strcmp0 (membership, "join") == 0)
        section = join, entry = joined_room (room, params);
      else if (member->pos > params->since && g_strcmp0 (membership, "invite") == 0)
        section = invite, entry = invited_room (room, params, member);
      else if (member->pos > params->since)
        section = leave, entry = left_room (room, params, member);
      if (entry != NULL)
        json_object_set_object_member (section, room->room_id, entry);
    }

  *has_content = json_object_get_size (join) > 0 || json_object_get_size (invite) > 0 ||
                 json_object_get_size (leave) > 0 || json_array_get_length (account_data) > 0;
  /* An empty answer keeps the caller's position, as the spec allows. */
  next_batch = stream_token (*has_content || params->since == 0 ? self->stream_pos : params->since);

  json_object_set_object_member (rooms, "join", join);
  json_object_set_object_member (rooms, "invite", invite);
  json_object_set_object_member (rooms, "leave", leave);
  json_object_set_string_member (response, "next_batch", next_batch);
  json_object_set_object_member (response, "rooms", rooms);
  json_object_set_object_member (response, "account_data", events_object (account_data));
  json_object_set_object_member (response, "presence", events_object (json_array_new ()));
  json_object_set_object_member (response, "to_device", events_object (json_array_new ()));
  return response;
}

static gboolean
parse_since (DuetTestHomeserver *self,
             const char         *since,
             guint64            *out)
{
  char *end = NULL;
  guint64 pos;

  *out = 0;
  if (since == NULL)
    return TRUE;
  if (since[0] != 's' || !g_ascii_isdigit (since[1]))
    return FALSE;
  pos = g_ascii_strtoull (since + 1, &end, 10);
  if (*end != '\0' || pos > self->stream_pos)
    return FALSE;
  *out = pos;
  return TRUE;
}

/* Only room.timeline.limit matters here; other filter fields are accepted. */
static gboolean
parse_filter (DuetTestHomeserver *self,
              const char         *filter,
              guint              *limit)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *text = filter;
  JsonNode *root;
  JsonObject *room, *timeline;

  *limit = DEFAULT_TIMELINE_LIMIT;
  if (filter == NULL)
    return TRUE;
  if (filter[0] != '{')
    text = g_hash_table_lookup (self->filters, filter);
  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  room = hs_json_get_object (json_node_get_object (root), "room");
  timeline = hs_json_get_object (room, "timeline");
  *limit = CLAMP (hs_json_get_int (timeline, "limit", DEFAULT_TIMELINE_LIMIT), 0, 1000);
  return TRUE;
}

static void
respond_sync (HsRequest        *req,
              const SyncParams *params,
              gboolean         *has_content)
{
  g_autoptr(JsonObject) response = build_sync (req->self, params, has_content);

  hs_request_respond_json (req, 200, response);
}

static gboolean
sync_timeout_cb (gpointer data)
{
  HsRequest *req = data;
  SyncParams params = { req->token, req->since, req->timeline_limit, FALSE };
  gboolean has_content;

  req->timeout_id = 0;
  respond_sync (req, &params, &has_content);
  hs_request_complete (req);
  return G_SOURCE_REMOVE;
}

void
hs_wake_sync_waiters (DuetTestHomeserver *self)
{
  g_autoptr(GList) waiters = g_list_copy (self->pending);

  for (GList *l = waiters; l != NULL; l = l->next)
    {
      HsRequest *req = l->data;
      SyncParams params = { req->token, req->since, req->timeline_limit, FALSE };
      g_autoptr(JsonObject) response = NULL;
      gboolean has_content;

      if (!req->waiting_sync)
        continue;
      if (!req->token->valid)
        {
          g_autoptr(JsonObject) body = json_object_new ();

          /* The same answer a new request with this token would get. */
          json_object_set_string_member (body, "errcode", "M_UNKNOWN_TOKEN");
          json_object_set_string_member (body, "error", "Access token has expired");
          if (req->token->soft_logout)
            json_object_set_boolean_member (body, "soft_logout", TRUE);
          hs_request_respond_json (req, 401, body);
          hs_request_complete (req);
          continue;
        }
      response = build_sync (self, &params, &has_content);
      if (!has_content)
        continue;
      hs_request_respond_json (req, 200, response);
      hs_request_complete (req);
    }
}

void
hs_handle_sync (HsRequest *req)
{
  DuetTestHomeserver *self = req->self;
  const char *since = req->query ? g_hash_table_lookup (req->query, "since") : NULL;
  const char *timeout = req->query ? g_hash_table_lookup (req->query, "timeout") : NULL;
  const char *filter = req->query ? g_hash_table_lookup (req->query, "filter") : NULL;
  const char *full_state = req->query ? g_hash_table_lookup (req->query, "full_state") : NULL;
  SyncParams params = { req->token, 0, 0, g_strcmp0 (full_state, "true") == 0 };
  guint timeout_ms = timeout ? (guint) CLAMP (g_ascii_strtoll (timeout, NULL, 10), 0, MAX_SYNC_TIMEOUT_MS) : 0;
  g_autoptr(JsonObject) response = NULL;
  gboolean has_content;

  if (!parse_since (self, since, &params.since))
    {
      hs_request_respond_error (req, 400, "M_INVALID_PARAM", "Invalid since token");
      return;
    }
  if (!parse_filter (self, filter, &params.limit))
    {
      hs_request_respond_error (req, 400, "M_INVALID_PARAM", "Invalid filter");
      return;
    }

  response = build_sync (self, &params, &has_content);
  if (has_content || since == NULL || timeout_ms == 0 || req->drop_after)
    {
      hs_request_respond_json (req, 200, response);
      return;
    }

  /* Nothing new: hold the request until something happens or time is up. */
  req->since = params.since;
  req->timeline_limit = params.limit;
  req->waiting_sync = TRUE;
  hs_request_park (req);
  req->timeout_id = g_timeout_add (timeout_ms, sync_timeout_cb, req);
}
