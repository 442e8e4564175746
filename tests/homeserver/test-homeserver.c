/* test-homeserver.c: the test homeserver, checked with a raw SoupSession
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libsoup/soup.h>
#include <string.h>

#include "duet-test-homeserver.h"

typedef struct {
  DuetTestHomeserver *server;
  SoupSession        *session;
  char               *alice;
  char               *bob;
  char               *alice_token;
  char               *bob_token;
} Fixture;

typedef struct {
  guint     status;
  JsonNode *json;       /* NULL when the body is not JSON */
  GBytes   *bytes;
  GError   *error;      /* transport error */
  char     *retry_after;
  gboolean  done;
} Reply;

static void
reply_clear (Reply *reply)
{
  g_clear_pointer (&reply->json, json_node_unref);
  g_clear_pointer (&reply->bytes, g_bytes_unref);
  g_clear_error (&reply->error);
  g_clear_pointer (&reply->retry_after, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Reply *reply = data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(JsonParser) parser = json_parser_new ();

  reply->bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &reply->error);
  reply->status = soup_message_get_status (msg);
  reply->retry_after = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                               "Retry-After"));
  if (reply->bytes != NULL &&
      json_parser_load_from_data (parser, g_bytes_get_data (reply->bytes, NULL),
                                  g_bytes_get_size (reply->bytes), NULL) &&
      json_parser_get_root (parser) != NULL)
    reply->json = json_parser_steal_root (parser);
  reply->done = TRUE;
}

static void
start_request (Fixture    *f,
               const char *method,
               const char *path,
               const char *token,
               const char *body,
               Reply      *reply)
{
  g_autofree char *url = g_strconcat (duet_test_homeserver_get_url (f->server), path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);

  g_assert_nonnull (msg);
  if (token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", token);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  memset (reply, 0, sizeof *reply);
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, send_cb, reply);
}

static void
wait_reply (Reply *reply)
{
  while (!reply->done)
    g_main_context_iteration (NULL, TRUE);
}

static void
request (Fixture    *f,
         const char *method,
         const char *path,
         const char *token,
         const char *body,
         Reply      *reply)
{
  start_request (f, method, path, token, body, reply);
  wait_reply (reply);
  g_assert_no_error (reply->error);
}

static JsonObject *
reply_object (Reply *reply)
{
  g_assert_nonnull (reply->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply->json));
  return json_node_get_object (reply->json);
}

static void
assert_error (Reply      *reply,
              guint       status,
              const char *errcode)
{
  g_assert_cmpuint (reply->status, ==, status);
  g_assert_cmpstr (json_object_get_string_member (reply_object (reply), "errcode"), ==, errcode);
  g_assert_true (json_object_has_member (reply_object (reply), "error"));
}

/* Walk a path of object members, e.g. "rooms", "join", room_id. */
static JsonObject *
dig (JsonObject *object,
     ...)
{
  va_list args;
  const char *name;

  va_start (args, object);
  while (object != NULL && (name = va_arg (args, const char *)) != NULL)
    object = json_object_has_member (object, name) ? json_object_get_object_member (object, name) : NULL;
  va_end (args);
  return object;
}

static char *
room_path (const char *room_id,
           const char *rest)
{
  g_autofree char *escaped = g_uri_escape_string (room_id, NULL, TRUE);

  return g_strdup_printf ("/_matrix/client/v3/rooms/%s%s", escaped, rest);
}

static char *
sync_path (const char *since,
           guint       timeout,
           const char *filter)
{
  GString *path = g_string_new ("/_matrix/client/v3/sync?timeout=");

  g_string_append_printf (path, "%u", timeout);
  if (since != NULL)
    g_string_append_printf (path, "&since=%s", since);
  if (filter != NULL)
    {
      g_autofree char *escaped = g_uri_escape_string (filter, NULL, TRUE);

      g_string_append_printf (path, "&filter=%s", escaped);
    }
  return g_string_free (path, FALSE);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->server = duet_test_homeserver_new (0, &error);
  g_assert_no_error (error);
  f->session = soup_session_new_with_options ("timeout", 10, NULL);
  f->alice = duet_test_homeserver_add_user (f->server, "alice", "alice-pw", "Alice");
  f->bob = duet_test_homeserver_add_user (f->server, "bob", "bob-pw", "Bob");
  f->alice_token = duet_test_homeserver_login_token (f->server, f->alice, "ALICEDEV");
  f->bob_token = duet_test_homeserver_login_token (f->server, f->bob, "BOBDEV");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->session);
  if (f->server != NULL)
    g_assert_finalize_object (f->server);
  g_free (f->alice);
  g_free (f->bob);
  g_free (f->alice_token);
  g_free (f->bob_token);
}

static void
test_versions (Fixture       *f,
               gconstpointer  data)
{
  g_auto(Reply) reply = { 0 }, media = { 0 }, well_known = { 0 };
  g_autoptr(GBytes) bytes = g_bytes_new_static ("hello", 5);
  g_autofree char *mxc = duet_test_homeserver_add_media (f->server, bytes, "text/plain");
  g_autofree char *v1_path = g_strdup_printf ("/_matrix/client/v1/media/download/%s", mxc + strlen ("mxc://"));
  g_autofree char *legacy_path = g_strdup_printf ("/_matrix/media/v3/download/%s", mxc + strlen ("mxc://"));
  JsonArray *versions;

  request (f, "GET", "/_matrix/client/versions", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  versions = json_object_get_array_member (reply_object (&reply), "versions");
  g_assert_cmpstr (json_array_get_string_element (versions, 0), ==, "r0.6.1");
  g_assert_cmpstr (json_array_get_string_element (versions, json_array_get_length (versions) - 1), ==, "v1.11");
  g_assert_true (json_object_has_member (reply_object (&reply), "unstable_features"));

  request (f, "GET", v1_path, f->alice_token, NULL, &media);
  g_assert_cmpuint (media.status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (media.bytes, NULL), g_bytes_get_size (media.bytes), "hello", 5);
  reply_clear (&media);
  request (f, "GET", v1_path, NULL, NULL, &media);
  assert_error (&media, 401, "M_MISSING_TOKEN");
  reply_clear (&media);

  duet_test_homeserver_set_authenticated_media (f->server, FALSE);
  reply_clear (&reply);
  request (f, "GET", "/_matrix/client/versions", NULL, NULL, &reply);
  versions = json_object_get_array_member (reply_object (&reply), "versions");
  g_assert_cmpstr (json_array_get_string_element (versions, json_array_get_length (versions) - 1), ==, "v1.10");
  request (f, "GET", v1_path, f->alice_token, NULL, &media);
  assert_error (&media, 404, "M_UNRECOGNIZED");
  reply_clear (&media);
  request (f, "GET", legacy_path, NULL, NULL, &media);
  g_assert_cmpuint (media.status, ==, 200);

  request (f, "GET", "/.well-known/matrix/client", NULL, NULL, &well_known);
  assert_error (&well_known, 404, "M_NOT_FOUND");
  reply_clear (&well_known);
  duet_test_homeserver_set_well_known (f->server, "{\"m.homeserver\":{\"base_url\":\"http://x\"}}");
  request (f, "GET", "/.well-known/matrix/client", NULL, NULL, &well_known);
  g_assert_cmpuint (well_known.status, ==, 200);
  g_assert_nonnull (dig (reply_object (&well_known), "m.homeserver", NULL));
}

static void
test_login (Fixture       *f,
            gconstpointer  data)
{
  g_auto(Reply) login = { 0 }, whoami = { 0 }, bad = { 0 }, other = { 0 };
  const char *token;

  request (f, "POST", "/_matrix/client/v3/login", NULL,
           "{\"type\":\"m.login.password\",\"identifier\":{\"type\":\"m.id.user\",\"user\":\"alice\"},"
           "\"password\":\"alice-pw\",\"device_id\":\"PHONE\"}", &login);
  g_assert_cmpuint (login.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (reply_object (&login), "user_id"), ==, "@alice:localhost");
  g_assert_cmpstr (json_object_get_string_member (reply_object (&login), "device_id"), ==, "PHONE");
  token = json_object_get_string_member (reply_object (&login), "access_token");

  request (f, "GET", "/_matrix/client/v3/account/whoami", token, NULL, &whoami);
  g_assert_cmpuint (whoami.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (reply_object (&whoami), "user_id"), ==, f->alice);

  request (f, "POST", "/_matrix/client/v3/login", NULL,
           "{\"type\":\"m.login.password\",\"identifier\":{\"type\":\"m.id.user\",\"user\":\"@alice:localhost\"},"
           "\"password\":\"wrong\"}", &bad);
  assert_error (&bad, 403, "M_FORBIDDEN");

  request (f, "GET", "/_matrix/client/v3/account/whoami", NULL, NULL, &other);
  assert_error (&other, 401, "M_MISSING_TOKEN");
  reply_clear (&other);
  request (f, "GET", "/_matrix/client/v3/account/whoami", "nonsense", NULL, &other);
  assert_error (&other, 401, "M_UNKNOWN_TOKEN");
  reply_clear (&other);

  request (f, "POST", "/_matrix/client/v3/logout", token, NULL, &other);
  g_assert_cmpuint (other.status, ==, 200);
  reply_clear (&whoami);
  request (f, "GET", "/_matrix/client/v3/account/whoami", token, NULL, &whoami);
  assert_error (&whoami, 401, "M_UNKNOWN_TOKEN");
  g_assert_false (json_object_has_member (reply_object (&whoami), "soft_logout"));

  duet_test_homeserver_expire_tokens (f->server, f->bob, TRUE);
  reply_clear (&whoami);
  request (f, "GET", "/_matrix/client/v3/account/whoami", f->bob_token, NULL, &whoami);
  assert_error (&whoami, 401, "M_UNKNOWN_TOKEN");
  g_assert_true (json_object_get_boolean_member (reply_object (&whoami), "soft_logout"));
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  g_auto(Reply) reply = { 0 };

  request (f, "GET", "/_matrix/client/v3/no/such/thing", f->alice_token, NULL, &reply);
  assert_error (&reply, 404, "M_UNRECOGNIZED");
  reply_clear (&reply);
  request (f, "POST", "/_matrix/client/v3/createRoom", f->alice_token, "{not json", &reply);
  assert_error (&reply, 400, "M_NOT_JSON");
  reply_clear (&reply);
  request (f, "POST", "/_matrix/client/v3/createRoom", f->alice_token, "[1, 2]", &reply);
  assert_error (&reply, 400, "M_BAD_JSON");
  reply_clear (&reply);
  request (f, "GET", "/_matrix/client/v3/sync?since=bogus", f->alice_token, NULL, &reply);
  assert_error (&reply, 400, "M_INVALID_PARAM");
  reply_clear (&reply);
  /* Members of the wrong type are ignored, never a warning (fatal here). */
  request (f, "POST", "/_matrix/client/v3/createRoom", f->alice_token,
           "{\"preset\":{},\"name\":5,\"is_direct\":\"yes\",\"invite\":\"@bob:localhost\","
           "\"initial_state\":[1,{\"type\":[]},{\"type\":\"m.room.topic\",\"content\":7}]}", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
}

static JsonObject *
find_member_event (JsonArray  *events,
                   const char *user_id)
{
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      if (g_strcmp0 (json_object_get_string_member (event, "type"), "m.room.member") == 0 &&
          g_strcmp0 (json_object_get_string_member (event, "state_key"), user_id) == 0)
        return event;
    }
  return NULL;
}

static void
test_direct_invite (Fixture       *f,
                    gconstpointer  data)
{
  g_auto(Reply) create = { 0 }, sync = { 0 };
  g_autofree char *body = g_strdup_printf ("{\"preset\":\"trusted_private_chat\",\"is_direct\":true,"
                                           "\"invite\":[\"%s\"]}", f->bob);
  g_autofree char *path = sync_path (NULL, 0, NULL);
  g_autoptr(JsonObject) pl = NULL;
  const char *room_id;
  JsonObject *invite, *own;
  JsonArray *events;

  request (f, "POST", "/_matrix/client/v3/createRoom", f->alice_token, body, &create);
  g_assert_cmpuint (create.status, ==, 200);
  room_id = json_object_get_string_member (reply_object (&create), "room_id");
  g_assert_true (g_str_has_prefix (room_id, "!") && g_str_has_suffix (room_id, ":localhost"));
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->server, room_id, f->bob), ==, "invite");
  pl = duet_test_homeserver_get_state (f->server, room_id, "m.room.power_levels", "");
  g_assert_cmpint (json_object_get_int_member (dig (pl, "users", NULL), f->bob), ==, 100);

  request (f, "GET", path, f->bob_token, NULL, &sync);
  g_assert_cmpuint (sync.status, ==, 200);
  invite = dig (reply_object (&sync), "rooms", "invite", room_id, "invite_state", NULL);
  g_assert_nonnull (invite);
  events = json_object_get_array_member (invite, "events");
  own = find_member_event (events, f->bob);
  g_assert_nonnull (own);
  g_assert_true (json_object_has_member (own, "event_id"));
  g_assert_true (json_object_has_member (own, "origin_server_ts"));
  g_assert_cmpstr (json_object_get_string_member (own, "sender"), ==, f->alice);
  g_assert_true (json_object_get_boolean_member (dig (own, "content", NULL), "is_direct"));
  g_assert_nonnull (find_member_event (events, f->alice));
}

static void
test_membership_and_state (Fixture       *f,
                           gconstpointer  data)
{
  const char *invite[] = { f->bob, NULL };
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->alice, "private_chat", invite, FALSE);
  g_autofree char *join = room_path (room_id, "/join");
  g_autofree char *members = room_path (room_id, "/members?membership=join");
  g_autofree char *topic = room_path (room_id, "/state/m.room.topic");
  g_autofree char *topic_slash = room_path (room_id, "/state/m.room.topic/");
  g_autofree char *leave = room_path (room_id, "/leave");
  g_autofree char *forget = room_path (room_id, "/forget");
  g_autofree char *carol_room = duet_test_homeserver_create_room (f->server, f->alice, NULL, NULL, FALSE);
  g_autofree char *carol_join = room_path (carol_room, "/join");
  g_auto(Reply) reply = { 0 };

  request (f, "POST", carol_join, f->bob_token, NULL, &reply);
  assert_error (&reply, 403, "M_FORBIDDEN");
  reply_clear (&reply);

  request (f, "POST", join, f->bob_token, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (reply_object (&reply), "room_id"), ==, room_id);
  reply_clear (&reply);

  request (f, "GET", members, f->bob_token, NULL, &reply);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (reply_object (&reply), "chunk")), ==, 2);
  reply_clear (&reply);

  request (f, "GET", topic, f->bob_token, NULL, &reply);
  assert_error (&reply, 404, "M_NOT_FOUND");
  reply_clear (&reply);
  request (f, "PUT", topic, f->alice_token, "{\"topic\":\"Tea\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (reply_object (&reply), "event_id"), "$"));
  reply_clear (&reply);
  request (f, "GET", topic_slash, f->bob_token, NULL, &reply);
  g_assert_cmpstr (json_object_get_string_member (reply_object (&reply), "topic"), ==, "Tea");
  reply_clear (&reply);
  /* Bob has power level 0 in a private_chat: no topic changes. */
  request (f, "PUT", topic, f->bob_token, "{\"topic\":\"Coffee\"}", &reply);
  assert_error (&reply, 403, "M_FORBIDDEN");
  reply_clear (&reply);

  request (f, "POST", forget, f->bob_token, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 400);
  reply_clear (&reply);
  request (f, "POST", leave, f->bob_token, "{}", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->server, room_id, f->bob), ==, "leave");
  reply_clear (&reply);
  request (f, "POST", forget, f->bob_token, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
}

static const char *
sync_next_batch (Reply *reply)
{
  return json_object_get_string_member (reply_object (reply), "next_batch");
}

static JsonArray *
sync_timeline (Reply      *reply,
               const char *room_id)
{
  JsonObject *timeline = dig (reply_object (reply), "rooms", "join", room_id, "timeline", NULL);

  return timeline ? json_object_get_array_member (timeline, "events") : NULL;
}

static void
test_sync_incremental (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->alice, NULL, NULL, FALSE);
  g_autofree char *initial_path = sync_path (NULL, 0, NULL);
  g_autofree char *next_path = NULL, *again_path = NULL, *event_id = NULL;
  g_auto(Reply) initial = { 0 }, next = { 0 }, again = { 0 };
  JsonArray *timeline;

  request (f, "GET", initial_path, f->alice_token, NULL, &initial);
  g_assert_nonnull (dig (reply_object (&initial), "rooms", "join", room_id, "state", NULL));
  g_assert_nonnull (dig (reply_object (&initial), "rooms", "join", room_id, "unread_notifications", NULL));

  event_id = duet_test_homeserver_send_message (f->server, room_id, f->alice, "hello");
  next_path = sync_path (sync_next_batch (&initial), 0, NULL);
  request (f, "GET", next_path, f->alice_token, NULL, &next);
  timeline = sync_timeline (&next, room_id);
  g_assert_nonnull (timeline);
  g_assert_cmpuint (json_array_get_length (timeline), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (timeline, 0), "event_id"),
                   ==, event_id);
  g_assert_cmpstr (sync_next_batch (&next), !=, sync_next_batch (&initial));

  again_path = sync_path (sync_next_batch (&next), 0, NULL);
  request (f, "GET", again_path, f->alice_token, NULL, &again);
  g_assert_null (sync_timeline (&again, room_id));
  g_assert_cmpstr (sync_next_batch (&again), ==, sync_next_batch (&next));
}

typedef struct {
  Fixture *f;
  char    *room_id;
} LaterSend;

static gboolean
send_later_cb (gpointer data)
{
  LaterSend *later = data;

  g_free (duet_test_homeserver_send_message (later->f->server, later->room_id, later->f->bob, "wake up"));
  return G_SOURCE_REMOVE;
}

static void
test_sync_long_poll (Fixture       *f,
                     gconstpointer  data)
{
  const char *invite[] = { f->bob, NULL };
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->alice, NULL, invite, FALSE);
  g_autofree char *initial_path = sync_path (NULL, 0, NULL);
  g_autofree char *poll_path = NULL, *short_path = NULL;
  g_auto(Reply) initial = { 0 }, poll = { 0 }, timeout = { 0 };
  LaterSend later = { f, room_id };
  gint64 start;
  JsonArray *timeline;

  duet_test_homeserver_join (f->server, room_id, f->bob);
  request (f, "GET", initial_path, f->alice_token, NULL, &initial);

  /* Nothing new: the request waits until Bob speaks. */
  poll_path = sync_path (sync_next_batch (&initial), 10000, NULL);
  start = g_get_monotonic_time ();
  g_timeout_add (200, send_later_cb, &later);
  request (f, "GET", poll_path, f->alice_token, NULL, &poll);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 150 * 1000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  timeline = sync_timeline (&poll, room_id);
  g_assert_nonnull (timeline);
  g_assert_cmpstr (json_object_get_string_member (dig (json_array_get_object_element (timeline, 0),
                                                       "content", NULL), "body"), ==, "wake up");

  /* Nothing at all: an empty answer with the same token once time is up. */
  short_path = sync_path (sync_next_batch (&poll), 300, NULL);
  start = g_get_monotonic_time ();
  request (f, "GET", short_path, f->alice_token, NULL, &timeout);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 250 * 1000);
  g_assert_cmpstr (sync_next_batch (&timeout), ==, sync_next_batch (&poll));
  g_assert_cmpuint (json_object_get_size (dig (reply_object (&timeout), "rooms", "join", NULL)), ==, 0);
}

static void
test_timeline_and_messages (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->alice, NULL, NULL, FALSE);
  g_autofree char *path = sync_path (NULL, 0, "{\"room\":{\"timeline\":{\"limit\":5},"
                                              "\"state\":{\"lazy_load_members\":true}}}");
  g_autoptr(JsonArray) stored = NULL;
  g_autofree char *from = NULL;
  g_auto(Reply) sync = { 0 };
  JsonObject *timeline;
  guint seen = 0;

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *body = g_strdup_printf ("message %u", i);

      g_free (duet_test_homeserver_send_message (f->server, room_id, f->alice, body));
    }
  stored = duet_test_homeserver_get_timeline (f->server, room_id);

  request (f, "GET", path, f->alice_token, NULL, &sync);
  timeline = dig (reply_object (&sync), "rooms", "join", room_id, "timeline", NULL);
  g_assert_true (json_object_get_boolean_member (timeline, "limited"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (timeline, "events")), ==, 5);
  seen = 5;
  from = g_strdup (json_object_get_string_member (timeline, "prev_batch"));

  /* Paginate back to the room's creation. */
  while (from != NULL)
    {
      g_autofree char *escaped = g_uri_escape_string (from, NULL, TRUE);
      g_autofree char *rest = g_strdup_printf ("/messages?dir=b&limit=30&from=%s", escaped);
      g_autofree char *messages = room_path (room_id, rest);
      g_auto(Reply) page = { 0 };
      JsonArray *chunk;

      request (f, "GET", messages, f->alice_token, NULL, &page);
      g_assert_cmpuint (page.status, ==, 200);
      chunk = json_object_get_array_member (reply_object (&page), "chunk");
      for (guint i = 0; i < json_array_get_length (chunk); i++)
        {
          JsonObject *expected = json_array_get_object_element (stored, json_array_get_length (stored) - 1 - seen);

          g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (chunk, i), "event_id"),
                           ==, json_object_get_string_member (expected, "event_id"));
          seen++;
        }
      g_free (from);
      from = g_strdup (json_object_get_string_member_with_default (reply_object (&page), "end", NULL));
    }
  g_assert_cmpuint (seen, ==, json_array_get_length (stored));
}

/* A body json-glib cannot hold is served exactly as given, in /sync and
 * in /messages alike; every other string stays as it was. */
static void
test_raw_body (Fixture       *f,
               gconstpointer  data)
{
  /* An escape json-glib cannot hold, and bytes that are not UTF-8. */
  const char *raws[] = { "\"a \\ud800 b\"", "\"a \xff\xc0\xaf \xe2\x82\"" };
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->alice, NULL, NULL, FALSE);
  g_autofree char *path = sync_path (NULL, 0, NULL);
  g_autofree char *messages = room_path (room_id, "/messages?dir=b&limit=30");
  const char *replies[] = { path, messages };
  char *event_ids[G_N_ELEMENTS (raws)] = { NULL };
  g_autofree char *plain = NULL;

  for (guint r = 0; r < G_N_ELEMENTS (raws); r++)
    {
      event_ids[r] = duet_test_homeserver_send_message_raw_body (f->server, room_id, f->alice, raws[r]);
      g_assert_nonnull (event_ids[r]);
    }
  plain = duet_test_homeserver_send_message (f->server, room_id, f->alice, "plain");
  for (guint i = 0; i < G_N_ELEMENTS (replies); i++)
    {
      g_auto(Reply) reply = { 0 };
      g_autofree char *text = NULL;

      request (f, "GET", replies[i], f->alice_token, NULL, &reply);
      g_assert_cmpuint (reply.status, ==, 200);
      text = g_strndup (g_bytes_get_data (reply.bytes, NULL), g_bytes_get_size (reply.bytes));
      g_assert_cmpuint (strlen (text), ==, g_bytes_get_size (reply.bytes));
      for (guint r = 0; r < G_N_ELEMENTS (raws); r++)
        {
          g_autofree char *expected = g_strdup_printf ("\"body\":%s", raws[r]);

          g_assert_nonnull (strstr (text, expected));
          g_assert_nonnull (strstr (text, event_ids[r]));
        }
      g_assert_nonnull (strstr (text, "\"body\":\"plain\""));
      g_assert_null (strstr (text, "duet-raw-string"));
    }
  for (guint r = 0; r < G_N_ELEMENTS (raws); r++)
    g_free (event_ids[r]);
}

static void
test_txn_dedup (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->alice, NULL, NULL, FALSE);
  g_autofree char *send = room_path (room_id, "/send/m.room.message/txn1");
  g_autofree char *path = sync_path (NULL, 0, NULL);
  g_auto(Reply) first = { 0 }, second = { 0 }, sync = { 0 };
  g_autoptr(JsonArray) before = duet_test_homeserver_get_timeline (f->server, room_id);
  g_autoptr(JsonArray) after = NULL;
  JsonArray *timeline;
  JsonObject *last;

  request (f, "PUT", send, f->alice_token, "{\"msgtype\":\"m.text\",\"body\":\"once\"}", &first);
  request (f, "PUT", send, f->alice_token, "{\"msgtype\":\"m.text\",\"body\":\"once\"}", &second);
  g_assert_cmpuint (first.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (reply_object (&first), "event_id"), ==,
                   json_object_get_string_member (reply_object (&second), "event_id"));
  after = duet_test_homeserver_get_timeline (f->server, room_id);
  g_assert_cmpuint (json_array_get_length (after), ==, json_array_get_length (before) + 1);

  request (f, "GET", path, f->alice_token, NULL, &sync);
  timeline = sync_timeline (&sync, room_id);
  last = json_array_get_object_element (timeline, json_array_get_length (timeline) - 1);
  g_assert_cmpstr (json_object_get_string_member (dig (last, "unsigned", NULL), "transaction_id"), ==, "txn1");
}

/* PUT /redact strips the target (content emptied, redacted_because) in
 * /messages and GET /event, once per txnId; an unknown event is 404. */
static void
test_redaction (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->alice, NULL, NULL, FALSE);
  g_autofree char *target = duet_test_homeserver_send_message (f->server, room_id, f->alice, "oops");
  g_autofree char *redact_rest = g_strdup_printf ("/redact/%s/r1", target);
  g_autofree char *redact = room_path (room_id, redact_rest);
  g_autofree char *missing = room_path (room_id, "/redact/$nope/r2");
  g_autofree char *event_rest = g_strdup_printf ("/event/%s", target);
  g_autofree char *event_path = room_path (room_id, event_rest);
  g_auto(Reply) first = { 0 }, again = { 0 }, unknown = { 0 }, event = { 0 };
  g_autoptr(JsonArray) timeline = NULL;
  JsonObject *stripped, *redaction;

  request (f, "PUT", redact, f->alice_token, "{\"reason\": \"typo\"}", &first);
  request (f, "PUT", redact, f->alice_token, "{\"reason\": \"typo\"}", &again);
  g_assert_cmpuint (first.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (reply_object (&first), "event_id"), ==,
                   json_object_get_string_member (reply_object (&again), "event_id"));
  request (f, "PUT", missing, f->alice_token, "{}", &unknown);
  assert_error (&unknown, 404, "M_NOT_FOUND");

  request (f, "GET", event_path, f->alice_token, NULL, &event);
  stripped = reply_object (&event);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (stripped, "content")), ==, 0);
  g_assert_nonnull (dig (stripped, "unsigned", "redacted_because", NULL));

  timeline = duet_test_homeserver_get_timeline (f->server, room_id);
  redaction = json_array_get_object_element (timeline, json_array_get_length (timeline) - 1);
  g_assert_cmpstr (json_object_get_string_member (redaction, "type"), ==, "m.room.redaction");
  g_assert_cmpstr (json_object_get_string_member (redaction, "redacts"), ==, target);
  g_assert_cmpstr (json_object_get_string_member (dig (redaction, "content", NULL), "redacts"), ==, target);
  g_assert_cmpstr (json_object_get_string_member (dig (redaction, "content", NULL), "reason"), ==, "typo");
}

static void
test_account_data (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *path = g_strdup_printf ("/_matrix/client/v3/user/%s/account_data/m.direct", f->alice);
  g_autofree char *sync = sync_path (NULL, 0, NULL);
  g_auto(Reply) reply = { 0 };
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(JsonObject) other_device = json_object_new ();
  JsonArray *events;
  gboolean found = FALSE;

  request (f, "GET", path, f->alice_token, NULL, &reply);
  assert_error (&reply, 404, "M_NOT_FOUND");
  reply_clear (&reply);
  request (f, "GET", path, f->bob_token, NULL, &reply);
  assert_error (&reply, 403, "M_FORBIDDEN");
  reply_clear (&reply);
  request (f, "PUT", path, f->alice_token, "[\"not an object\"]", &reply);
  g_assert_cmpuint (reply.status, ==, 400);
  reply_clear (&reply);

  request (f, "PUT", path, f->alice_token, "{\"@bob:localhost\":[\"!a:localhost\"]}", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  reply_clear (&reply);
  request (f, "GET", path, f->alice_token, NULL, &reply);
  g_assert_true (json_object_has_member (reply_object (&reply), "@bob:localhost"));
  reply_clear (&reply);
  stored = duet_test_homeserver_get_account_data (f->server, f->alice, "m.direct");
  g_assert_true (json_object_has_member (stored, "@bob:localhost"));

  json_object_set_array_member (other_device, "@carol:localhost", json_array_new ());
  duet_test_homeserver_set_account_data (f->server, f->alice, "m.direct", other_device);
  request (f, "GET", sync, f->alice_token, NULL, &reply);
  events = json_object_get_array_member (dig (reply_object (&reply), "account_data", NULL), "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      if (g_str_equal (json_object_get_string_member (event, "type"), "m.direct"))
        found = json_object_has_member (dig (event, "content", NULL), "@carol:localhost");
    }
  g_assert_true (found);
}

static void
test_receipts_and_unread (Fixture       *f,
                          gconstpointer  data)
{
  const char *invite[] = { f->bob, NULL };
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->alice, NULL, invite, FALSE);
  g_autofree char *first = NULL, *second = NULL, *receipt = NULL, *typing = NULL;
  g_autofree char *path = sync_path (NULL, 0, NULL);
  g_auto(Reply) reply = { 0 }, sync = { 0 };
  g_autofree char *typing_path = NULL;
  JsonObject *room;

  duet_test_homeserver_join (f->server, room_id, f->bob);
  first = duet_test_homeserver_send_message (f->server, room_id, f->bob, "one");
  second = duet_test_homeserver_send_message (f->server, room_id, f->bob, "two");
  g_free (duet_test_homeserver_send_message (f->server, room_id, f->bob, "three"));

  receipt = g_strdup_printf ("/receipt/m.read/%s", second);
  typing = g_strdup_printf ("/typing/%s", f->alice);
  {
    g_autofree char *receipt_path = room_path (room_id, receipt);

    request (f, "POST", receipt_path, f->alice_token, "{}", &reply);
    g_assert_cmpuint (reply.status, ==, 200);
    reply_clear (&reply);
  }
  typing_path = room_path (room_id, typing);
  request (f, "PUT", typing_path, f->alice_token, "{\"typing\":true,\"timeout\":5000}", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_true (duet_test_homeserver_get_typing (f->server, room_id, f->alice));
  g_assert_cmpstr (duet_test_homeserver_get_receipt (f->server, room_id, f->alice, "m.read"), ==, second);

  request (f, "GET", path, f->alice_token, NULL, &sync);
  room = dig (reply_object (&sync), "rooms", "join", room_id, NULL);
  g_assert_cmpint (json_object_get_int_member (dig (room, "unread_notifications", NULL), "notification_count"), ==, 1);
  g_assert_nonnull (dig (room, "ephemeral", NULL));
  {
    JsonArray *ephemeral = json_object_get_array_member (dig (room, "ephemeral", NULL), "events");
    gboolean saw_receipt = FALSE, saw_typing = FALSE;

    for (guint i = 0; i < json_array_get_length (ephemeral); i++)
      {
        JsonObject *event = json_array_get_object_element (ephemeral, i);
        const char *type = json_object_get_string_member (event, "type");

        if (g_str_equal (type, "m.receipt"))
          saw_receipt = dig (event, "content", second, "m.read", f->alice, NULL) != NULL;
        if (g_str_equal (type, "m.typing"))
          saw_typing = json_array_get_length (json_object_get_array_member (dig (event, "content", NULL),
                                                                            "user_ids")) == 1;
      }
    g_assert_true (saw_receipt);
    g_assert_true (saw_typing);
  }
}

static void
test_faults (Fixture       *f,
             gconstpointer  data)
{
  const char *whoami = "/_matrix/client/v3/account/whoami";
  g_auto(Reply) reply = { 0 };
  gint64 start;

  duet_test_homeserver_add_fault (f->server, "GET", whoami, 1, DUET_FAULT_STATUS, 502, 0, NULL);
  duet_test_homeserver_add_fault (f->server, NULL, whoami, 1, DUET_FAULT_RATE_LIMIT, 0, 1500, NULL);
  duet_test_homeserver_add_fault (f->server, NULL, whoami, 1, DUET_FAULT_RETRY_AFTER, 0, 3000, NULL);
  duet_test_homeserver_add_fault (f->server, NULL, whoami, 1, DUET_FAULT_BODY, 200, 0, "[[[");
  duet_test_homeserver_add_fault (f->server, NULL, whoami, 1, DUET_FAULT_HANG, 0, 300, NULL);

  request (f, "GET", whoami, f->alice_token, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 502);
  g_assert_true (json_object_has_member (reply_object (&reply), "errcode"));
  reply_clear (&reply);

  request (f, "GET", whoami, f->alice_token, NULL, &reply);
  assert_error (&reply, 429, "M_LIMIT_EXCEEDED");
  g_assert_cmpint (json_object_get_int_member (reply_object (&reply), "retry_after_ms"), ==, 1500);
  reply_clear (&reply);

  request (f, "GET", whoami, f->alice_token, NULL, &reply);
  assert_error (&reply, 429, "M_LIMIT_EXCEEDED");
  g_assert_cmpstr (reply.retry_after, ==, "3");
  g_assert_false (json_object_has_member (reply_object (&reply), "retry_after_ms"));
  reply_clear (&reply);

  request (f, "GET", whoami, f->alice_token, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_null (reply.json);
  g_assert_cmpmem (g_bytes_get_data (reply.bytes, NULL), g_bytes_get_size (reply.bytes), "[[[", 3);
  reply_clear (&reply);

  start = g_get_monotonic_time ();
  request (f, "GET", whoami, f->alice_token, NULL, &reply);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 250 * 1000);
  g_assert_cmpuint (reply.status, ==, 200);
  reply_clear (&reply);

  request (f, "GET", whoami, f->alice_token, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "GET", whoami), ==, 6);
}

static void
test_fault_drop (Fixture       *f,
                 gconstpointer  data)
{
  const char *create = "/_matrix/client/v3/createRoom";
  const char *whoami = "/_matrix/client/v3/account/whoami";
  g_auto(Reply) reply = { 0 };
  guint rooms = duet_test_homeserver_count_rooms (f->server);

  duet_test_homeserver_add_fault (f->server, "POST", create, 1, DUET_FAULT_DROP, 0, 0, NULL);
  start_request (f, "POST", create, f->alice_token, "{}", &reply);
  wait_reply (&reply);
  g_assert_nonnull (reply.error);
  g_assert_cmpuint (duet_test_homeserver_count_rooms (f->server), ==, rooms);
  reply_clear (&reply);

  /* The room exists, but the client never hears of it. */
  duet_test_homeserver_add_fault (f->server, "POST", create, 1, DUET_FAULT_DROP_AFTER, 0, 0, NULL);
  start_request (f, "POST", create, f->alice_token, "{}", &reply);
  wait_reply (&reply);
  g_assert_nonnull (reply.error);
  g_assert_cmpuint (duet_test_homeserver_count_rooms (f->server), ==, rooms + 1);
  reply_clear (&reply);

  request (f, "POST", create, f->alice_token, "{}", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpuint (duet_test_homeserver_count_rooms (f->server), ==, rooms + 2);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "POST", create), ==, 3);
  reply_clear (&reply);

  /* A GET right after another request: the drop must reach the client
   * (no silent resend on a kept-alive connection). */
  request (f, "GET", whoami, f->alice_token, NULL, &reply);
  reply_clear (&reply);
  duet_test_homeserver_add_fault (f->server, "GET", whoami, 1, DUET_FAULT_DROP, 0, 0, NULL);
  start_request (f, "GET", whoami, f->alice_token, NULL, &reply);
  wait_reply (&reply);
  g_assert_nonnull (reply.error);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "GET", whoami), ==, 2);
}

static void
test_upgrade (Fixture       *f,
              gconstpointer  data)
{
  const char *invite[] = { f->bob, NULL };
  g_autofree char *old_room = duet_test_homeserver_create_room (f->server, f->alice, "trusted_private_chat",
                                                                invite, TRUE);
  g_autofree char *new_room = NULL;
  g_autoptr(JsonObject) direct = json_object_new ();
  g_autoptr(JsonObject) tombstone = NULL, create = NULL, updated = NULL;
  JsonArray *rooms = json_array_new ();

  duet_test_homeserver_join (f->server, old_room, f->bob);
  json_array_add_string_element (rooms, old_room);
  json_object_set_array_member (direct, f->bob, rooms);
  duet_test_homeserver_set_account_data (f->server, f->alice, "m.direct", direct);

  new_room = duet_test_homeserver_upgrade_room (f->server, old_room, f->bob);
  tombstone = duet_test_homeserver_get_state (f->server, old_room, "m.room.tombstone", "");
  g_assert_cmpstr (json_object_get_string_member (tombstone, "replacement_room"), ==, new_room);
  create = duet_test_homeserver_get_state (f->server, new_room, "m.room.create", "");
  g_assert_cmpstr (json_object_get_string_member (dig (create, "predecessor", NULL), "room_id"), ==, old_room);
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->server, new_room, f->alice), ==, "invite");
  updated = duet_test_homeserver_get_account_data (f->server, f->alice, "m.direct");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (updated, f->bob)), ==, 2);
}

static void
test_profile_and_directory (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *room_id = duet_test_homeserver_create_room (f->server, f->alice, NULL, NULL, FALSE);
  g_autofree char *put = g_strdup_printf ("/_matrix/client/v3/profile/%s/displayname", f->alice);
  g_autofree char *get = g_strdup_printf ("/_matrix/client/v3/profile/%s", f->alice);
  g_auto(Reply) reply = { 0 };
  g_autoptr(JsonObject) member = NULL;
  JsonArray *results;

  request (f, "PUT", put, f->alice_token, "{\"displayname\":\"Alice L.\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  reply_clear (&reply);
  request (f, "GET", get, NULL, NULL, &reply);
  g_assert_cmpstr (json_object_get_string_member (reply_object (&reply), "displayname"), ==, "Alice L.");
  reply_clear (&reply);
  member = duet_test_homeserver_get_state (f->server, room_id, "m.room.member", f->alice);
  g_assert_cmpstr (json_object_get_string_member (member, "displayname"), ==, "Alice L.");

  request (f, "POST", "/_matrix/client/v3/user_directory/search", f->bob_token,
           "{\"search_term\":\"ALICE\",\"limit\":5}", &reply);
  results = json_object_get_array_member (reply_object (&reply), "results");
  g_assert_cmpuint (json_array_get_length (results), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (results, 0), "user_id"),
                   ==, f->alice);
  g_assert_false (json_object_get_boolean_member (reply_object (&reply), "limited"));
}

/* Unreffing the server with a long-poll and a hanging request in flight
 * frees them and closes their connections: the client gets an error. */
static void
test_finalize_with_pending (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *initial_path = sync_path (NULL, 0, NULL);
  g_autofree char *poll_path = NULL;
  const char *whoami = "/_matrix/client/v3/account/whoami";
  g_auto(Reply) initial = { 0 }, poll = { 0 }, hang = { 0 };
  DuetTestHomeserver *server = f->server;
  gint64 start = g_get_monotonic_time ();

  request (f, "GET", initial_path, f->alice_token, NULL, &initial);
  poll_path = sync_path (sync_next_batch (&initial), 30000, NULL);
  duet_test_homeserver_add_fault (server, NULL, whoami, 1, DUET_FAULT_HANG, 0, 30000, NULL);
  start_request (f, "GET", poll_path, f->alice_token, NULL, &poll);
  start_request (f, "GET", whoami, f->alice_token, NULL, &hang);
  while (duet_test_homeserver_count_requests (server, "GET", whoami) == 0 ||
         duet_test_homeserver_count_requests (server, "GET", "/_matrix/client/v3/sync") < 2)
    g_main_context_iteration (NULL, TRUE);

  f->server = NULL;
  g_assert_finalize_object (server);
  wait_reply (&poll);
  wait_reply (&hang);
  g_assert_nonnull (poll.error);
  g_assert_nonnull (hang.error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

static gboolean
echo_answered (DuetTestHomeserver *server,
               const char         *room_id)
{
  g_autoptr(JsonArray) timeline = duet_test_homeserver_get_timeline (server, room_id);
  JsonObject *last = json_array_get_object_element (timeline, json_array_get_length (timeline) - 1);
  JsonObject *content = json_object_get_object_member (last, "content");

  return g_str_equal (json_object_get_string_member (last, "sender"), "@echo:localhost") &&
         g_strcmp0 (json_object_get_string_member_with_default (content, "body", NULL), "You said: ping") == 0;
}

static void
test_demo_seed (void)
{
  g_autoptr(GError) error = NULL;
  DuetTestHomeserver *server = duet_test_homeserver_new (0, &error);
  g_autoptr(GPtrArray) rooms = NULL;
  g_autoptr(JsonObject) direct = NULL;
  const char *echo_dm = NULL;
  gint64 deadline;
  guint invites = 0;

  g_assert_no_error (error);
  duet_test_homeserver_seed_demo (server);
  rooms = duet_test_homeserver_list_rooms (server, "@demo:localhost");
  g_assert_cmpuint (rooms->len, ==, 5);
  for (guint i = 0; i < rooms->len; i++)
    if (g_str_equal (duet_test_homeserver_get_membership (server, rooms->pdata[i], "@demo:localhost"), "invite"))
      invites++;
  g_assert_cmpuint (invites, ==, 1);

  direct = duet_test_homeserver_get_account_data (server, "@demo:localhost", "m.direct");
  g_assert_true (json_object_has_member (direct, "@alice:localhost"));
  g_assert_true (json_object_has_member (direct, "@bob:localhost"));
  echo_dm = json_array_get_string_element (json_object_get_array_member (direct, "@echo:localhost"), 0);

  g_free (duet_test_homeserver_send_message (server, echo_dm, "@demo:localhost", "ping"));
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!echo_answered (server, echo_dm) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (echo_answered (server, echo_dm));

  /* A pending bot answer must not outlive the server. */
  g_free (duet_test_homeserver_send_message (server, echo_dm, "@demo:localhost", "bye"));
  g_assert_finalize_object (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/homeserver/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("versions-media-well-known", test_versions);
  ADD ("login", test_login);
  ADD ("errors", test_errors);
  ADD ("direct-invite", test_direct_invite);
  ADD ("membership-and-state", test_membership_and_state);
  ADD ("sync-incremental", test_sync_incremental);
  ADD ("sync-long-poll", test_sync_long_poll);
  ADD ("timeline-and-messages", test_timeline_and_messages);
  ADD ("raw-body", test_raw_body);
  ADD ("txn-dedup", test_txn_dedup);
  ADD ("redaction", test_redaction);
  ADD ("account-data", test_account_data);
  ADD ("receipts-and-unread", test_receipts_and_unread);
  ADD ("faults", test_faults);
  ADD ("fault-drop", test_fault_drop);
  ADD ("upgrade", test_upgrade);
  ADD ("profile-and-directory", test_profile_and_directory);
  ADD ("finalize-with-pending", test_finalize_with_pending);
#undef ADD
  g_test_add_func ("/homeserver/demo-seed", test_demo_seed);

  return g_test_run ();
}
