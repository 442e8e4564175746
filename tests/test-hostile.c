/* test-hostile.c: the hostile-input corpus, one subtest per case
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each case under tests/corpus/ is an input file exactly as a server would
 * send it and a <name>.expected file (JSON) saying what Duet must make of
 * it: a clear error, or the bad part ignored and the rest kept.  Never a
 * crash, a hang, a warning (G_DEBUG=fatal-warnings) or corrupted state.
 * The cases go through the real entry points:
 *
 *   sync/        a /sync body.  Bodies the client must refuse ("error" in
 *                .expected) are served by the test homeserver to a running
 *                session: the sync loop reports the error, retries and
 *                recovers with no event lost or repeated.  The others are
 *                parsed as the client does, ingested by a session, saved to
 *                a store and loaded back into a second session: both must
 *                show what .expected says ("reloaded" overrides for the
 *                second), and saving the loaded snapshot again must give the
 *                same snapshot back.
 *   direct-map/  the content of m.direct: into the mirror through a /sync
 *                response (and the store), and as what GET returns before
 *                Duet writes: a write must keep everything it does not own,
 *                or refuse ("write") when json-glib could not write the
 *                content back unchanged ("parse": content that refuses the
 *                whole /sync).
 *   mxc/         an mxc:// URI: parsed, downloaded (a refused URI fails
 *                before any request) and met as a member's avatar_url.
 *
 * Big inputs stay small on disk: "repeat" in .expected replaces a marker in
 * the input with `count` copies of `text`, where @N@ becomes the copy's
 * index.  Every input needs its .expected and the other way round.
 */
#include "config.h"

#include <string.h>

#include "duet-client-private.h"
#include "duet-contact-list.h"
#include "duet-json.h"
#include "duet-matrix-id.h"
#include "duet-room-raw-test-utils.h"
#include "duet-session-test-utils.h"
#include "duet-session.h"
#include "duet-store-test-utils.h"
#include "duet-sync-loop.h"
#include "duet-text.h"

#define M_DIRECT_PATH "/_matrix/client/v3/user/@alice:localhost/account_data/m.direct"
#define SYNC_PATH "/_matrix/client/v3/sync"

typedef struct {
  char       *kind;      /* "sync", "direct-map", "mxc" */
  char       *name;
  char       *input_path;
  char       *expected_path;
} Case;

typedef struct {
  GBytes     *input;
  JsonObject *expected;
} CaseData;

static void
case_free (gpointer data)
{
  Case *c = data;

  g_free (c->kind);
  g_free (c->name);
  g_free (c->input_path);
  g_free (c->expected_path);
  g_free (c);
}

static void
case_data_clear (CaseData *data)
{
  g_clear_pointer (&data->input, g_bytes_unref);
  g_clear_pointer (&data->expected, json_object_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CaseData, case_data_clear)

/* --- Reading a case ------------------------------------------------------ */

static JsonObject *
read_expected (const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static char *
expand_repeat (const char *input,
               JsonObject *repeat)
{
  const char *marker = json_object_get_string_member (repeat, "marker");
  const char *text = json_object_get_string_member (repeat, "text");
  gint64 count = json_object_get_int_member (repeat, "count");
  const char *at = strstr (input, marker);
  g_autoptr(GString) out = g_string_new (NULL);
  g_auto(GStrv) parts = g_strsplit (text, "@N@", -1);

  g_assert_nonnull (at);
  g_string_append_len (out, input, at - input);
  for (gint64 i = 0; i < count; i++)
    for (guint p = 0; parts[p] != NULL; p++)
      {
        g_string_append (out, parts[p]);
        if (parts[p + 1] != NULL)
          g_string_append_printf (out, "%" G_GINT64_FORMAT, i);
      }
  g_string_append (out, at + strlen (marker));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
load_case (const Case *c,
           CaseData   *data)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;
  JsonArray *repeats;

  g_file_get_contents (c->input_path, &contents, &length, &error);
  g_assert_no_error (error);
  data->expected = read_expected (c->expected_path);
  g_test_message ("%s: %s", c->name,
                  json_object_has_member (data->expected, "about")
                    ? json_object_get_string_member (data->expected, "about") : "");

  repeats = json_object_has_member (data->expected, "repeat")
              ? json_object_get_array_member (data->expected, "repeat") : NULL;
  for (guint i = 0; repeats != NULL && i < json_array_get_length (repeats); i++)
    {
      char *expanded = expand_repeat (contents, json_array_get_object_element (repeats, i));

      g_free (contents);
      contents = expanded;
      length = strlen (contents);
    }
  data->input = g_bytes_new_take (contents, length);
}

static const char *
expected_string (JsonObject *expected,
                 const char *member)
{
  JsonNode *node = json_object_get_member (expected, member);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? json_node_get_string (node) : NULL;
}

/* An error name of .expected ("too-deep") as a DuetApiError. */
static int
api_error_code (const char *name)
{
  static const struct {
    const char *name;
    int         code;
  } names[] = {
    { "invalid-response", DUET_API_ERROR_INVALID_RESPONSE },
    { "too-large", DUET_API_ERROR_TOO_LARGE },
    { "too-deep", DUET_API_ERROR_TOO_DEEP },
    { "unsafe-content", DUET_API_ERROR_UNSAFE_CONTENT },
    { "invalid-argument", DUET_API_ERROR_INVALID_ARGUMENT },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (names[i].name, name))
      return names[i].code;
  g_error ("unknown error name %s in a .expected file", name);
}

/* --- What the model shows ------------------------------------------------ */

static gboolean
has_control_or_bidi (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
          c == 0x200E || c == 0x200F || c == 0x061C)
        return TRUE;
    }
  return FALSE;
}

/* Whatever the case: shown text is one clean, bounded line. */
static void
check_shown (const char *text,
             guint       max_chars)
{
  if (text == NULL)
    return;
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_false (has_control_or_bidi (text));
  /* The bound plus the ellipsis that marks a cut. */
  g_assert_cmpuint (g_utf8_strlen (text, -1), <=, max_chars + 1);
}

static void
check_invariants (DuetSession *session)
{
  GListModel *rooms = duet_session_get_rooms (session);
  GListModel *contacts = duet_session_get_contacts (session);

  for (guint i = 0; i < g_list_model_get_n_items (rooms); i++)
    {
      g_autoptr(DuetRoom) room = g_list_model_get_item (rooms, i);
      g_autoptr(GPtrArray) members = duet_room_dup_members (room, DUET_MEMBERSHIP_NONE);

      g_assert_true (duet_matrix_is_valid_room_id (duet_room_get_id (room)));
      check_shown (duet_room_get_name (room), DUET_TEXT_MAX_NAME_CHARS);
      check_shown (duet_room_get_last_message (room), DUET_TEXT_MAX_PREVIEW_CHARS);
      for (guint m = 0; m < members->len; m++)
        {
          DuetMember *member = members->pdata[m];
          const char *avatar = duet_member_get_avatar_url (member);

          check_shown (duet_member_get_display_name (member), DUET_TEXT_MAX_NAME_CHARS);
          g_assert_true (avatar == NULL || duet_mxc_parse (avatar, NULL, NULL, NULL));
        }
    }

  for (guint i = 0; i < g_list_model_get_n_items (contacts); i++)
    {
      g_autoptr(DuetContact) contact = g_list_model_get_item (contacts, i);

      g_assert_true (duet_matrix_is_valid_user_id (duet_contact_get_user_id (contact)));
      check_shown (duet_contact_get_name (contact), DUET_TEXT_MAX_NAME_CHARS);
      check_shown (duet_contact_get_last_message (contact), DUET_TEXT_MAX_PREVIEW_CHARS);
    }
}

static void
check_text (const char *what,
            const char *actual,
            JsonObject *expected,
            const char *member)
{
  g_autofree char *prefix_member = g_strconcat (member, "_prefix", NULL);

  if (json_object_has_member (expected, member))
    {
      g_test_message ("checking %s", what);
      g_assert_cmpstr (actual, ==, expected_string (expected, member));
    }
  if (json_object_has_member (expected, prefix_member))
    {
      const char *prefix = json_object_get_string_member (expected, prefix_member);

      g_test_message ("checking %s starts with \"%s\": \"%.80s\"", what, prefix, actual);
      g_assert_nonnull (actual);
      g_assert_true (g_str_has_prefix (actual, prefix));
    }
}

static DuetMembership
membership_from_name (const char *name)
{
  if (g_str_equal (name, "join"))
    return DUET_MEMBERSHIP_JOIN;
  if (g_str_equal (name, "invite"))
    return DUET_MEMBERSHIP_INVITE;
  if (g_str_equal (name, "leave"))
    return DUET_MEMBERSHIP_LEAVE;
  g_error ("unknown membership %s in a .expected file", name);
}

static void
check_member (DuetRoom   *room,
              const char *user_id,
              JsonNode   *expected_node)
{
  DuetMember *member = duet_room_lookup_member (room, user_id);
  JsonObject *expected;

  if (JSON_NODE_HOLDS_NULL (expected_node))
    {
      g_assert_null (member);
      return;
    }
  g_assert_nonnull (member);
  expected = json_node_get_object (expected_node);
  check_text ("display name", duet_member_get_display_name (member), expected, "display_name");
  check_text ("avatar url", duet_member_get_avatar_url (member), expected, "avatar_url");
}

static void
check_room (DuetSession *session,
            const char  *room_id,
            JsonNode    *expected_node)
{
  DuetRoom *room = duet_session_lookup_room (session, room_id);
  JsonObject *expected;
  JsonObject *members;

  g_test_message ("room %s", room_id);
  if (JSON_NODE_HOLDS_NULL (expected_node))
    {
      g_assert_null (room);
      return;
    }
  g_assert_nonnull (room);
  expected = json_node_get_object (expected_node);

  check_text ("name", duet_room_get_name (room), expected, "name");
  check_text ("last message", duet_room_get_last_message (room), expected, "last_message");
  check_text ("last event id", duet_room_get_last_event_id (room), expected, "last_event_id");
  check_text ("predecessor", duet_room_get_predecessor (room), expected, "predecessor");
  check_text ("replacement room", duet_room_get_replacement_room (room), expected, "replacement_room");
  if (json_object_has_member (expected, "membership"))
    g_assert_cmpint (duet_room_get_own_membership (room), ==,
                     membership_from_name (json_object_get_string_member (expected, "membership")));
  if (json_object_has_member (expected, "has_gap"))
    g_assert_cmpint (duet_room_has_gap (room), ==, json_object_get_boolean_member (expected, "has_gap"));

  members = json_object_has_member (expected, "members")
              ? json_object_get_object_member (expected, "members") : NULL;
  if (members != NULL)
    {
      JsonObjectIter iter;
      const char *user_id;
      JsonNode *node;

      json_object_iter_init (&iter, members);
      while (json_object_iter_next (&iter, &user_id, &node))
        check_member (room, user_id, node);
    }
}

static void
check_strv (GStrv      actual,
            JsonArray *expected)
{
  g_assert_cmpuint (g_strv_length (actual), ==, json_array_get_length (expected));
  for (guint i = 0; i < json_array_get_length (expected); i++)
    g_assert_cmpstr (actual[i], ==, json_array_get_string_element (expected, i));
}

static void
check_session (DuetSession *session,
               JsonObject  *expected)
{
  DuetDirectMap *map = duet_session_get_direct_map (session);
  JsonObjectIter iter;
  const char *key;
  JsonNode *node;

  check_invariants (session);

  if (json_object_has_member (expected, "rooms"))
    {
      json_object_iter_init (&iter, json_object_get_object_member (expected, "rooms"));
      while (json_object_iter_next (&iter, &key, &node))
        check_room (session, key, node);
    }

  if (json_object_has_member (expected, "contacts"))
    {
      GListModel *contacts = duet_session_get_contacts (session);
      JsonArray *user_ids = json_object_get_array_member (expected, "contacts");

      g_assert_cmpuint (g_list_model_get_n_items (contacts), ==, json_array_get_length (user_ids));
      for (guint i = 0; i < json_array_get_length (user_ids); i++)
        g_assert_nonnull (duet_contact_list_lookup (DUET_CONTACT_LIST (contacts),
                                                    json_array_get_string_element (user_ids, i)));
    }

  if (json_object_has_member (expected, "direct_users"))
    {
      g_auto(GStrv) users = duet_direct_map_dup_users (map);

      check_strv (users, json_object_get_array_member (expected, "direct_users"));
    }

  if (json_object_has_member (expected, "direct_rooms"))
    {
      json_object_iter_init (&iter, json_object_get_object_member (expected, "direct_rooms"));
      while (json_object_iter_next (&iter, &key, &node))
        {
          g_auto(GStrv) rooms = duet_direct_map_dup_rooms_for_user (map, key);

          check_strv (rooms, json_node_get_array (node));
        }
    }

  if (json_object_has_member (expected, "direct_room_count"))
    {
      json_object_iter_init (&iter, json_object_get_object_member (expected, "direct_room_count"));
      while (json_object_iter_next (&iter, &key, &node))
        {
          g_auto(GStrv) rooms = duet_direct_map_dup_rooms_for_user (map, key);

          g_assert_cmpuint (g_strv_length (rooms), ==, json_node_get_int (node));
        }
    }

  if (json_object_has_member (expected, "find_direct"))
    {
      json_object_iter_init (&iter, json_object_get_object_member (expected, "find_direct"));
      while (json_object_iter_next (&iter, &key, &node))
        {
          gboolean partner_left = FALSE;
          DuetRoom *room = duet_session_find_direct_room (session, key, &partner_left);

          if (JSON_NODE_HOLDS_NULL (node))
            g_assert_null (room);
          else
            {
              g_assert_nonnull (room);
              g_assert_cmpstr (duet_room_get_id (room), ==, json_node_get_string (node));
            }
        }
    }
}

/* json_node_copy () shares objects and arrays: this does not. */
static JsonNode *
deep_copy (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  return json_from_string (text, NULL);
}

/* .expected with its "reloaded" overrides applied: members replace those of
 * the same name; a room object is merged member by member. */
static JsonObject *
expected_after_reload (JsonObject *expected)
{
  JsonObject *merged = json_object_new ();
  JsonObject *reloaded = json_object_has_member (expected, "reloaded")
                           ? json_object_get_object_member (expected, "reloaded") : NULL;
  JsonObjectIter iter;
  const char *key;
  JsonNode *node;

  json_object_iter_init (&iter, expected);
  while (json_object_iter_next (&iter, &key, &node))
    json_object_set_member (merged, key, deep_copy (node));
  if (reloaded == NULL)
    return merged;

  json_object_iter_init (&iter, reloaded);
  while (json_object_iter_next (&iter, &key, &node))
    {
      if (g_str_equal (key, "rooms") && json_object_has_member (merged, "rooms"))
        {
          JsonObject *rooms = json_object_get_object_member (merged, "rooms");
          JsonObjectIter room_iter;
          const char *room_id;
          JsonNode *room_node;

          json_object_iter_init (&room_iter, json_node_get_object (node));
          while (json_object_iter_next (&room_iter, &room_id, &room_node))
            {
              JsonNode *base = json_object_get_member (rooms, room_id);

              if (base != NULL && JSON_NODE_HOLDS_OBJECT (base) && JSON_NODE_HOLDS_OBJECT (room_node))
                {
                  JsonObjectIter field_iter;
                  const char *field;
                  JsonNode *value;

                  json_object_iter_init (&field_iter, json_node_get_object (room_node));
                  while (json_object_iter_next (&field_iter, &field, &value))
                    json_object_set_member (json_node_get_object (base), field, deep_copy (value));
                }
              else
                json_object_set_member (rooms, room_id, deep_copy (room_node));
            }
        }
      else
        json_object_set_member (merged, key, deep_copy (node));
    }
  return merged;
}

/* --- sync/: model cases -------------------------------------------------- */

/* Ingests @response into a fresh session, checks it, saves it in a fresh
 * store, loads it into a second session and checks that one too.  With
 * "max_seconds" in @expected, the live ingest must take no longer (times
 * DUET_TEST_TIME_SCALE): a hang is a failure too.  It is the main thread's
 * CPU time, not the wall clock: a loaded CI machine made a linear ingest
 * miss a wall-clock bound, and the quadratic reads these cases catch cost
 * twenty times the bound. */
static void
ingest_and_reload (DuetTestFixture *f,
                   JsonObject      *response,
                   JsonObject      *expected)
{
  gint64 start;
  g_autoptr(DuetSession) session = duet_session_new (f->client);
  g_autoptr(DuetSession) reloaded = NULL;
  g_autoptr(JsonObject) after_reload = expected_after_reload (expected);
  g_autoptr(JsonObject) snapshot = NULL;
  g_autoptr(JsonObject) snapshot_again = NULL;
  g_autoptr(DuetStore) store = NULL;
  g_autoptr(DuetStore) second_store = NULL;
  g_autofree char *data_dir = store_test_make_data_dir ();
  g_autofree char *second_dir = store_test_make_data_dir ();

  g_test_message ("live session");
  start = duet_test_thread_cpu_us ();
  duet_session_ingest (session, response);
  g_test_message ("live ingest: %" G_GINT64_FORMAT " ms of CPU", (duet_test_thread_cpu_us () - start) / 1000);
  if (json_object_has_member (expected, "max_seconds"))
    g_assert_cmpint ((duet_test_thread_cpu_us () - start) / 1000, <=,
                     json_object_get_int_member (expected, "max_seconds") * 1000 * duet_test_time_scale ());
  check_session (session, expected);
  duet_test_finalize (g_steal_pointer (&session));

  g_test_message ("through the store");
  store = store_test_open_ok (data_dir);
  store_test_save_ok (store, response);
  snapshot = store_test_load (store);
  g_assert_nonnull (snapshot);
  reloaded = duet_session_new (f->client);
  duet_session_ingest (reloaded, snapshot);
  check_session (reloaded, after_reload);
  duet_test_finalize (g_steal_pointer (&reloaded));

  /* What the store gave back, stored again, comes back the same: nothing
   * was left half-written or changed on the way. */
  second_store = store_test_open_ok (second_dir);
  store_test_save_ok (second_store, snapshot);
  snapshot_again = store_test_load (second_store);
  g_assert_true (duet_test_json_object_equal (snapshot, snapshot_again));

  duet_test_finalize (g_steal_pointer (&store));
  duet_test_finalize (g_steal_pointer (&second_store));
  store_test_remove_dir (data_dir);
  store_test_remove_dir (second_dir);
}

static void
test_sync_model_case (DuetTestFixture *f,
                      gconstpointer    user_data)
{
  const Case *c = user_data;
  g_auto(CaseData) data = { 0 };
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(GError) error = NULL;

  load_case (c, &data);
  /* The streamed /sync reads each room in place: as the tree would. */
  duet_test_compare_room_readers (data.input, "@alice:localhost");
  /* As DuetClient parses a /sync reply. */
  response = duet_json_parse_object (data.input, DUET_CLIENT_MAX_SYNC_SIZE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (response);

  ingest_and_reload (f, response, data.expected);
}

/* --- sync/: bodies the client refuses, served by the homeserver ---------- */

typedef struct {
  GPtrArray  *errors;     /* GError */
  GHashTable *seen;       /* event id → times seen in timeline-events */
  const char *room_id;
} SyncWatch;

static void
sync_error_cb (DuetSyncLoop *loop,
               const GError *error,
               SyncWatch    *watch)
{
  g_ptr_array_add (watch->errors, g_error_copy (error));
}

static void
timeline_events_cb (DuetSession *session,
                    DuetRoom    *room,
                    JsonArray   *events,
                    gboolean     limited,
                    const char  *prev_batch,
                    gboolean     live,
                    SyncWatch   *watch)
{
  if (!live || g_strcmp0 (duet_room_get_id (room), watch->room_id) != 0)
    return;
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      const char *event_id = duet_json_get_string (json_array_get_object_element (events, i),
                                                   "event_id");

      if (event_id != NULL)
        g_hash_table_insert (watch->seen, g_strdup (event_id),
                             GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (watch->seen,
                                                                                      event_id)) + 1));
    }
}

typedef struct {
  SyncWatch   *watch;
  DuetSession *session;
  const char  *last_event_id;
} Recovered;

static gboolean
recovered (gpointer data)
{
  Recovered *r = data;

  return r->watch->errors->len > 0 &&
         g_hash_table_contains (r->watch->seen, r->last_event_id) &&
         duet_session_get_state (r->session) == DUET_SESSION_STATE_ONLINE;
}

static void
test_sync_served_case (DuetTestFixture *f,
                       gconstpointer    user_data)
{
  const Case *c = user_data;
  g_auto(CaseData) data = { 0 };
  const char *invitees[] = { f->alice, NULL };
  g_autofree char *room_id = NULL;
  g_autoptr(DuetSession) session = NULL;
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func (g_free);
  SyncWatch watch = { 0 };
  Recovered r = { 0 };
  const GError *first;

  load_case (c, &data);
  /* The streamed /sync reads each room in place: as the tree would. */
  duet_test_compare_room_readers (data.input, "@alice:localhost");

  room_id = duet_test_homeserver_create_room (f->server, f->bob, "trusted_private_chat", invitees, TRUE);
  duet_test_homeserver_join (f->server, room_id, f->alice);

  watch.errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  watch.seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  watch.room_id = room_id;

  session = duet_test_session_start (f);
  g_signal_connect (duet_session_get_sync_loop (session), "error", G_CALLBACK (sync_error_cb), &watch);
  g_signal_connect (session, "timeline-events", G_CALLBACK (timeline_events_cb), &watch);

  /* The next /sync gets the hostile body; Bob talks meanwhile. */
  duet_test_homeserver_add_fault_len (f->server, "GET", SYNC_PATH, 1, DUET_FAULT_BODY, 200, 0,
                                      g_bytes_get_data (data.input, NULL), g_bytes_get_size (data.input));
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);

      g_ptr_array_add (sent, duet_test_homeserver_send_message (f->server, room_id, f->bob, text));
    }

  r.watch = &watch;
  r.session = session;
  r.last_event_id = sent->pdata[sent->len - 1];
  g_assert_true (duet_test_wait_until (recovered, &r, DUET_TEST_TIMEOUT_MS));

  /* One clear error, of the kind expected... */
  first = watch.errors->pdata[0];
  g_test_message ("reported: %s", first->message);
  g_assert_error ((GError *) first, DUET_API_ERROR,
                  api_error_code (json_object_get_string_member (data.expected, "error")));
  g_assert_cmpuint (watch.errors->len, ==, 1);
  /* ...and every message exactly once, after the retry. */
  for (guint i = 0; i < sent->len; i++)
    g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (watch.seen, sent->pdata[i])), ==, 1);
  g_assert_cmpstr (duet_room_get_last_event_id (duet_session_lookup_room (session, room_id)), ==,
                   r.last_event_id);

  g_signal_handlers_disconnect_by_data (duet_session_get_sync_loop (session), &watch);
  g_signal_handlers_disconnect_by_data (session, &watch);
  duet_test_session_stop (g_steal_pointer (&session));
  g_ptr_array_unref (watch.errors);
  g_hash_table_unref (watch.seen);
}

/* --- direct-map/ --------------------------------------------------------- */

static gboolean
add_room (DuetDirectMap *map,
          const char    *user_id,
          const char    *room_id,
          GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  duet_direct_map_add_room_async (map, user_id, room_id, NULL, duet_test_result_cb, &result);
  /* A write of a 50,000-room map goes to the server and back: 1 s here,
   * 40 s under ASan with full unwinding (CI's run 3), more on a loaded
   * machine.  A longer wait still fails a hang. */
  return duet_direct_map_add_room_finish (map, duet_test_wait_for (&result, 60000), error);
}

static void
test_direct_map_case (DuetTestFixture *f,
                      gconstpointer    user_data)
{
  const Case *c = user_data;
  g_auto(CaseData) data = { 0 };
  g_autoptr(GString) sync_body = g_string_new ("{\"next_batch\": \"s1\", \"account_data\": {\"events\": "
                                               "[{\"type\": \"m.direct\", \"content\": ");
  g_autoptr(GBytes) sync_bytes = NULL;
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(DuetDirectMap) map = NULL;
  g_autoptr(GError) error = NULL;
  const char *body;
  gsize body_length;
  const char *write;

  load_case (c, &data);
  write = json_object_get_string_member (data.expected, "write");
  /* The input may hold NUL bytes: never read as a C string. */
  body = g_bytes_get_data (data.input, &body_length);

  /* The mirror, fed by /sync as the client parses it, and the store. */
  g_string_append_len (sync_body, body, body_length);
  g_string_append (sync_body, "}]}}");
  sync_bytes = g_string_free_to_bytes (g_steal_pointer (&sync_body));
  response = duet_json_parse_object (sync_bytes, DUET_CLIENT_MAX_SYNC_SIZE, &error);
  if (json_object_has_member (data.expected, "parse"))
    {
      /* Content the client cannot read refuses the /sync carrying it. */
      g_assert_null (response);
      g_assert_error (error, DUET_API_ERROR,
                      api_error_code (json_object_get_string_member (data.expected, "parse")));
      g_clear_error (&error);
    }
  else
    {
      g_assert_no_error (error);
      ingest_and_reload (f, response, data.expected);
    }

  /* A write: GET serves exactly these bytes, then our own delta goes in. */
  map = duet_direct_map_new (f->client);
  duet_test_homeserver_reset_counts (f->server);
  duet_test_homeserver_add_fault_len (f->server, "GET", M_DIRECT_PATH, 1, DUET_FAULT_BODY, 200, 0,
                                      body, body_length);
  if (g_str_equal (write, "ok"))
    {
      g_autoptr(JsonObject) written = NULL;
      g_autoptr(JsonObject) wanted = NULL;
      g_autoptr(JsonNode) original = duet_json_parse (body, body_length, DUET_JSON_MAX_SIZE, &error);
      JsonArray *zed;

      g_assert_no_error (error);
      g_assert_true (add_room (map, "@zed:localhost", "!zed:localhost", &error));
      g_assert_no_error (error);
      g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH), ==, 1);

      /* Everything that was there is still there, unchanged. */
      wanted = json_object_ref (json_node_get_object (original));
      zed = json_object_has_member (wanted, "@zed:localhost")
              ? json_object_get_array_member (wanted, "@zed:localhost") : NULL;
      if (zed == NULL)
        {
          zed = json_array_new ();
          json_object_set_array_member (wanted, "@zed:localhost", zed);
        }
      json_array_add_string_element (zed, "!zed:localhost");
      written = duet_test_homeserver_get_account_data (f->server, f->alice, "m.direct");
      g_assert_true (duet_test_json_object_equal (written, wanted));
    }
  else
    {
      g_assert_false (add_room (map, "@zed:localhost", "!zed:localhost", &error));
      g_test_message ("refused: %s", error->message);
      g_assert_error (error, DUET_API_ERROR, api_error_code (write));
      g_assert_cmpuint (duet_test_homeserver_count_requests (f->server, "PUT", M_DIRECT_PATH), ==, 0);
      g_assert_null (duet_test_homeserver_get_account_data (f->server, f->alice, "m.direct"));
    }
  duet_test_finalize (g_steal_pointer (&map));
}

/* --- mxc/ ---------------------------------------------------------------- */

static void
test_mxc_case (DuetTestFixture *f,
               gconstpointer    user_data)
{
  const Case *c = user_data;
  g_auto(CaseData) data = { 0 };
  g_autofree char *uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(DuetSession) session = NULL;
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(JsonObject) content = json_object_new ();
  g_autoptr(JsonObject) event = json_object_new ();
  g_autofree char *json = NULL;
  JsonArray *events = json_array_new ();
  gboolean accepted;
  DuetMember *member;

  load_case (c, &data);
  uri = g_strndup (g_bytes_get_data (data.input, NULL), g_bytes_get_size (data.input));
  accepted = json_object_get_boolean_member (data.expected, "accepted");

  /* The parser itself. */
  g_assert_cmpint (duet_mxc_parse (uri, NULL, NULL, &error), ==, accepted);
  if (!accepted)
    g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A download: a refused URI fails before any request could be made (the
   * server would answer a made-up path with 404, not this error). */
  duet_client_download_media_async (f->client, uri, NULL, duet_test_result_cb, &result);
  file = duet_client_download_media_finish (f->client, duet_test_wait (&result), &error);
  g_assert_null (file);
  if (accepted)
    g_assert_false (g_error_matches (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT));
  else
    g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);

  /* Bob's avatar in a room: kept only when valid. */
  json_object_set_string_member (content, "membership", "join");
  json_object_set_string_member (content, "avatar_url", uri);
  json_object_set_string_member (event, "type", "m.room.member");
  json_object_set_string_member (event, "state_key", f->bob);
  json_object_set_string_member (event, "sender", f->bob);
  json_object_set_object_member (event, "content", g_steal_pointer (&content));
  json_array_add_object_element (events, g_steal_pointer (&event));
  json = g_strdup_printf ("{\"next_batch\": \"s1\", \"rooms\": {\"join\": {\"!m:localhost\": "
                          "{\"state\": {\"events\": []}}}}}");
  response = duet_test_json_object (json);
  json_object_set_array_member (store_test_path_object (response, "rooms", "join", "!m:localhost",
                                                        "state", NULL),
                                "events", events);
  session = duet_session_new (f->client);
  duet_session_ingest (session, response);
  member = duet_room_lookup_member (duet_session_lookup_room (session, "!m:localhost"), f->bob);
  g_assert_nonnull (member);
  g_assert_cmpstr (duet_member_get_avatar_url (member), ==, accepted ? uri : NULL);
  check_invariants (session);
  duet_test_finalize (g_steal_pointer (&session));
}

/* --- Finding the cases --------------------------------------------------- */

static const char *
input_extension (const char *kind)
{
  return g_str_equal (kind, "mxc") ? ".txt" : ".json";
}

/* Every input has its .expected and every .expected its input. */
static void
test_corpus_complete (gconstpointer user_data)
{
  const char *corpus = user_data;
  static const char * const kinds[] = { "sync", "direct-map", "mxc" };
  guint cases = 0;

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autofree char *dir_path = g_build_filename (corpus, kinds[k], NULL);
      g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
      const char *name;

      g_assert_nonnull (dir);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *stem = NULL;
          g_autofree char *other = NULL;

          if (g_str_has_suffix (name, ".expected"))
            {
              stem = g_strndup (name, strlen (name) - strlen (".expected"));
              other = g_strconcat (dir_path, G_DIR_SEPARATOR_S, stem, input_extension (kinds[k]), NULL);
              cases++;
            }
          else
            {
              g_assert_true (g_str_has_suffix (name, input_extension (kinds[k])));
              stem = g_strndup (name, strlen (name) - strlen (input_extension (kinds[k])));
              other = g_strconcat (dir_path, G_DIR_SEPARATOR_S, stem, ".expected", NULL);
            }
          g_test_message ("%s/%s", kinds[k], name);
          g_assert_true (g_file_test (other, G_FILE_TEST_EXISTS));
        }
    }
  g_assert_cmpuint (cases, >, 0);
}

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static void
register_kind (GPtrArray  *keep,
               const char *corpus,
               const char *kind)
{
  g_autofree char *dir_path = g_build_filename (corpus, kind, NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".expected"))
      g_ptr_array_add (names, g_strndup (name, strlen (name) - strlen (".expected")));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      Case *c = g_new0 (Case, 1);
      g_autofree char *path = NULL;
      g_autofree char *input = g_strconcat (names->pdata[i], input_extension (kind), NULL);
      g_autofree char *expected = g_strconcat (names->pdata[i], ".expected", NULL);
      void (*func) (DuetTestFixture *, gconstpointer) = NULL;

      c->kind = g_strdup (kind);
      c->name = g_strdup (names->pdata[i]);
      c->input_path = g_build_filename (dir_path, input, NULL);
      c->expected_path = g_build_filename (dir_path, expected, NULL);
      g_ptr_array_add (keep, c);

      if (g_str_equal (kind, "sync"))
        {
          g_autoptr(JsonObject) expectations = read_expected (c->expected_path);

          func = json_object_has_member (expectations, "error") ? test_sync_served_case
                                                                  : test_sync_model_case;
        }
      else if (g_str_equal (kind, "direct-map"))
        func = test_direct_map_case;
      else
        func = test_mxc_case;

      path = g_strdup_printf ("/hostile/%s/%s", kind, c->name);
      g_test_add (path, DuetTestFixture, c, duet_test_fixture_setup, func, duet_test_fixture_teardown);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func (case_free);
  g_autofree char *corpus = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  corpus = g_test_build_filename (G_TEST_DIST, "corpus", NULL);

  g_test_add_data_func ("/hostile/corpus-complete", corpus, test_corpus_complete);
  register_kind (cases, corpus, "sync");
  register_kind (cases, corpus, "direct-map");
  register_kind (cases, corpus, "mxc");

  status = g_test_run ();
  return status;
}
