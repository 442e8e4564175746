/* test-session-ingest.c: duet_session_ingest() fed by hand
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Replies no honest homeserver sends: wrong types everywhere, events that
 * are not objects, huge and hostile strings.  The model must skip what it
 * cannot use, bound what it keeps, and never crash or warn (the tests run
 * with G_DEBUG=fatal-warnings).  Honest replies are tested in test-session.c.
 */
#include "config.h"

#include <string.h>

#include "duet-contact-list.h"
#include "duet-session.h"
#include "duet-test-utils.h"

#define ROOM "!dm:localhost"

static void
ingest (DuetSession *session,
        const char  *json)
{
  g_autoptr(JsonObject) response = duet_test_json_object (json);

  duet_session_ingest (session, response);
}

static void
count_cb (gpointer  emitter,
          guint    *count)
{
  (*count)++;
}

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

static void
test_ingest_wrong_types (DuetTestFixture *f,
                         gconstpointer    data)
{
  static const char * const responses[] = {
    "{}",
    "{\"rooms\": 5, \"account_data\": \"x\"}",
    "{\"rooms\": {\"join\": [], \"invite\": null, \"leave\": \"x\"}}",
    "{\"account_data\": {\"events\": {\"type\": \"m.direct\"}}}",
    "{\"account_data\": {\"events\": [1, null, \"m.direct\", {\"type\": \"m.direct\", \"content\": []}]}}",
    "{\"account_data\": {\"events\": [{\"type\": 7, \"content\": {}}]}}",
    "{\"rooms\": {\"join\": {\"not a room\": {}, \"!a:localhost\": 5, \"!b:localhost\": []}}}",
    "{\"rooms\": {\"join\": {\"!c:localhost\": {\"state\": 1, \"timeline\": [], \"unread_notifications\": 3,"
      "\"summary\": {\"m.heroes\": \"@bob:localhost\"}}}}}",
    "{\"rooms\": {\"join\": {\"!d:localhost\": {\"state\": {\"events\": [1, \"x\", null, [], true,"
      "{\"type\": 5}, {\"type\": \"m.room.member\", \"state_key\": 5, \"content\": {}},"
      "{\"type\": \"m.room.member\", \"state_key\": \"@bob:localhost\", \"content\": 5},"
      "{\"type\": \"m.room.member\", \"state_key\": \"@bob:localhost\", \"content\": {\"membership\": 1}},"
      "{\"type\": \"m.room.member\", \"state_key\": \"not a user\", \"content\": {\"membership\": \"join\"}},"
      "{\"type\": \"m.room.member\", \"state_key\": \"@carol:localhost\", \"content\": {\"membership\": \"join\","
      "  \"displayname\": [1], \"avatar_url\": \"mxc://../../etc/passwd\"}},"
      "{\"type\": \"m.room.name\", \"state_key\": \"\", \"content\": {\"name\": {}}},"
      "{\"type\": \"m.room.tombstone\", \"state_key\": \"\", \"content\": {\"replacement_room\": \"../x\"}},"
      "{\"type\": \"m.room.tombstone\", \"state_key\": \"x\", \"content\": {\"replacement_room\": \"!e:localhost\"}},"
      "{\"type\": \"m.room.create\", \"state_key\": \"\", \"content\": {\"predecessor\": \"!e:localhost\"}},"
      "{\"type\": \"io.element.functional_members\", \"state_key\": \"\", \"content\": {\"service_members\": {}}}"
      "]}, \"timeline\": {\"limited\": \"yes\", \"events\": [5, {\"type\": \"m.room.message\", \"content\": {\"body\": 5},"
      "  \"origin_server_ts\": \"soon\", \"event_id\": 3}, {\"type\": \"m.room.message\", \"content\": 3},"
      "  {\"type\": \"m.room.message\", \"content\": {\"body\": \"ok\"}, \"origin_server_ts\": -5},"
      "  {\"type\": \"m.room.message\", \"content\": {\"body\": \"x\"}, \"origin_server_ts\": 1e400}]},"
      "\"unread_notifications\": {\"notification_count\": -3}}}}}",
    "{\"rooms\": {\"invite\": {\"!i:localhost\": {\"invite_state\": {\"events\": [{\"type\": \"m.room.member\","
      "\"state_key\": \"@alice:localhost\", \"sender\": 5, \"content\": {\"membership\": \"invite\", \"is_direct\": \"yes\"}}]}},"
      "\"!j:localhost\": {\"invite_state\": 7}, \"!k:localhost\": {}}}}",
    "{\"rooms\": {\"leave\": {\"!d:localhost\": {\"timeline\": {\"events\": null}}}}}",
  };
  g_autoptr(DuetSession) session = duet_session_new (f->client);
  DuetRoom *room;
  guint synced = 0;

  g_signal_connect (session, "synced", G_CALLBACK (count_cb), &synced);
  for (guint i = 0; i < G_N_ELEMENTS (responses); i++)
    ingest (session, responses[i]);
  g_assert_cmpuint (synced, ==, G_N_ELEMENTS (responses));

  /* Only rooms with a valid id and an object as entry exist. */
  g_assert_null (duet_session_lookup_room (session, "not a room"));
  g_assert_null (duet_session_lookup_room (session, "!a:localhost"));
  g_assert_null (duet_session_lookup_room (session, "!b:localhost"));
  g_assert_nonnull (duet_session_lookup_room (session, "!c:localhost"));

  room = duet_session_lookup_room (session, "!d:localhost");
  g_assert_nonnull (room);
  g_assert_cmpint (duet_room_get_own_membership (room), ==, DUET_MEMBERSHIP_LEAVE);
  g_assert_null (duet_room_lookup_member (room, "@bob:localhost"));
  g_assert_nonnull (duet_room_lookup_member (room, "@carol:localhost"));
  g_assert_null (duet_member_get_display_name (duet_room_lookup_member (room, "@carol:localhost")));
  g_assert_null (duet_member_get_avatar_url (duet_room_lookup_member (room, "@carol:localhost")));
  g_assert_null (duet_room_get_replacement_room (room));
  g_assert_null (duet_room_get_predecessor (room));
  g_assert_false (duet_room_has_gap (room));
  g_assert_cmpstr (duet_room_get_last_message (room), ==, "x");
  g_assert_cmpint (duet_room_get_last_activity (room), ==, 0);
  g_assert_null (duet_room_get_last_event_id (room));
  g_assert_cmpuint (duet_room_get_unread_count (room), ==, 0);
  g_assert_cmpstr (duet_room_get_name (room), ==, "@carol:localhost");

  room = duet_session_lookup_room (session, "!i:localhost");
  g_assert_nonnull (room);
  g_assert_null (duet_room_get_inviter (room));
  g_assert_false (duet_room_get_invite_is_direct (room));
  g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_invites (session)), ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_contacts (session)), ==, 0);

  duet_test_finalize (g_steal_pointer (&session));
}

static void
test_ingest_hostile_strings (DuetTestFixture *f,
                             gconstpointer    data)
{
  g_autoptr(DuetSession) session = duet_session_new (f->client);
  g_autoptr(GString) name = g_string_new ("<b>Bob</b>&amp;");
  g_autoptr(GString) body = g_string_new (NULL);
  g_autoptr(JsonObject) response = NULL;
  g_autofree char *json = NULL;
  g_autofree char *escaped_name = NULL;
  g_autofree char *escaped_body = NULL;
  DuetContact *contact;
  DuetRoom *room;
  const char *shown;

  /* 10,000 characters of controls, bidi overrides and text. */
  while (g_utf8_strlen (name->str, -1) < 10000)
    g_string_append (name, "\xe2\x80\xae" "evil\x01\x1b[31m\n\xe2\x81\xa6" "x\t" "\xe2\x80\x8f");
  for (guint i = 0; i < 5000; i++)
    g_string_append (body, "line\r\n\x07");

  escaped_name = g_strescape (name->str, "\xe2\x80\xae\xe2\x81\xa6\x8f");
  escaped_body = g_strescape (body->str, NULL);
  json = g_strdup_printf ("{"
    "\"account_data\": {\"events\": [{\"type\": \"m.direct\", \"content\": {\"@bob:localhost\": [\"" ROOM "\"]}}]},"
    "\"rooms\": {\"join\": {\"" ROOM "\": {"
    "  \"state\": {\"events\": [{\"type\": \"m.room.member\", \"state_key\": \"@bob:localhost\","
    "    \"sender\": \"@bob:localhost\", \"content\": {\"membership\": \"join\", \"displayname\": \"%s\"}}]},"
    "  \"timeline\": {\"events\": [{\"type\": \"m.room.message\", \"event_id\": \"$1\", \"sender\": \"@bob:localhost\","
    "    \"origin_server_ts\": 1000, \"content\": {\"msgtype\": \"m.text\", \"body\": \"%s\"}}]},"
    "  \"unread_notifications\": {\"notification_count\": 99999999999}}}}}",
    escaped_name, escaped_body);
  response = duet_test_json_object (json);
  duet_session_ingest (session, response);

  room = duet_session_lookup_room (session, ROOM);
  g_assert_nonnull (room);
  g_assert_cmpuint (duet_room_get_unread_count (room), ==, G_MAXUINT32);

  shown = duet_room_get_name (room);
  g_assert_true (g_utf8_validate (shown, -1, NULL));
  g_assert_cmpuint (g_utf8_strlen (shown, -1), <=, 257);
  g_assert_false (has_control_or_bidi (shown));
  /* Markup-looking text stays as it was, to be shown literally. */
  g_assert_true (g_str_has_prefix (shown, "<b>Bob</b>&amp;evil[31m x evil[31m x"));

  g_assert_cmpuint (g_utf8_strlen (duet_room_get_last_message (room), -1), <=, 201);
  g_assert_false (has_control_or_bidi (duet_room_get_last_message (room)));
  g_assert_true (g_str_has_prefix (duet_room_get_last_message (room), "line line"));

  g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_contacts (session)), ==, 1);
  contact = duet_contact_list_lookup (DUET_CONTACT_LIST (duet_session_get_contacts (session)),
                                      "@bob:localhost");
  g_assert_nonnull (contact);
  g_assert_cmpstr (duet_contact_get_name (contact), ==, shown);
  g_assert_cmpstr (duet_contact_get_last_message (contact), ==, duet_room_get_last_message (room));

  duet_test_finalize (g_steal_pointer (&session));
}

static void
test_ingest_cycles_and_bounds (DuetTestFixture *f,
                               gconstpointer    data)
{
  g_autoptr(DuetSession) session = duet_session_new (f->client);
  g_autoptr(GString) json = g_string_new ("{\"rooms\": {\"join\": {");
  DuetContact *contact;

  /* Two rooms that replace each other, and a room that replaces itself. */
  ingest (session, "{"
    "\"account_data\": {\"events\": [{\"type\": \"m.direct\", \"content\": {"
    "  \"@bob:localhost\": [\"!a:localhost\", \"!self:localhost\"], \"@alice:localhost\": [\"!a:localhost\"]}}]},"
    "\"rooms\": {\"join\": {"
    "  \"!a:localhost\": {\"state\": {\"events\": [{\"type\": \"m.room.tombstone\", \"state_key\": \"\","
    "     \"content\": {\"replacement_room\": \"!b:localhost\"}}]},"
    "     \"timeline\": {\"events\": [{\"type\": \"m.room.message\", \"origin_server_ts\": 5, \"content\": {\"body\": \"a\"}}]}},"
    "  \"!b:localhost\": {\"state\": {\"events\": [{\"type\": \"m.room.tombstone\", \"state_key\": \"\","
    "     \"content\": {\"replacement_room\": \"!a:localhost\"}}]}},"
    "  \"!self:localhost\": {\"state\": {\"events\": [{\"type\": \"m.room.tombstone\", \"state_key\": \"\","
    "     \"content\": {\"replacement_room\": \"!self:localhost\"}}]}}"
    "}}}");
  g_assert_null (duet_room_get_replacement_room (duet_session_lookup_room (session, "!self:localhost")));
  /* Our own id in m.direct is no contact; the cycle ends somewhere. */
  g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_contacts (session)), ==, 1);
  contact = duet_contact_list_lookup (DUET_CONTACT_LIST (duet_session_get_contacts (session)),
                                      "@bob:localhost");
  g_assert_nonnull (duet_contact_get_room (contact));

  /* A member list past every bound is cut, not taken whole. */
  g_string_append (json, "\"" ROOM "\": {\"state\": {\"events\": [");
  for (guint i = 0; i < 12000; i++)
    g_string_append_printf (json, "%s{\"type\": \"m.room.member\", \"state_key\": \"@u%u:localhost\","
                            "\"content\": {\"membership\": \"join\"}}", i ? "," : "", i);
  g_string_append (json, "]}}}}}");
  ingest (session, json->str);
  g_assert_nonnull (duet_room_lookup_member (duet_session_lookup_room (session, ROOM), "@u0:localhost"));
  g_assert_null (duet_room_lookup_member (duet_session_lookup_room (session, ROOM), "@u11999:localhost"));

  duet_test_finalize (g_steal_pointer (&session));
}

/* A server reports a leave from the sync window even when we have since
 * rejoined (or been invited again): the later news wins. */
static void
test_ingest_leave_then_rejoin (DuetTestFixture *f,
                               gconstpointer    data)
{
  g_autoptr(DuetSession) session = duet_session_new (f->client);
  DuetRoom *room;

  ingest (session, "{\"rooms\": {"
    "\"join\": {\"" ROOM "\": {\"timeline\": {\"events\": ["
    "  {\"type\": \"m.room.member\", \"state_key\": \"@alice:localhost\", \"sender\": \"@alice:localhost\","
    "   \"content\": {\"membership\": \"join\"}}]}}},"
    "\"leave\": {\"" ROOM "\": {\"timeline\": {\"events\": ["
    "  {\"type\": \"m.room.member\", \"state_key\": \"@alice:localhost\", \"sender\": \"@alice:localhost\","
    "   \"content\": {\"membership\": \"leave\"}}]}}},"
    "\"invite\": {\"!again:localhost\": {\"invite_state\": {\"events\": ["
    "  {\"type\": \"m.room.member\", \"state_key\": \"@alice:localhost\", \"sender\": \"@bob:localhost\","
    "   \"event_id\": \"$i\", \"content\": {\"membership\": \"invite\", \"is_direct\": true}}]}}}"
    "}}");
  room = duet_session_lookup_room (session, ROOM);
  g_assert_cmpint (duet_room_get_own_membership (room), ==, DUET_MEMBERSHIP_JOIN);

  ingest (session, "{\"rooms\": {"
    "\"leave\": {\"!again:localhost\": {\"timeline\": {\"events\": ["
    "  {\"type\": \"m.room.member\", \"state_key\": \"@alice:localhost\", \"sender\": \"@alice:localhost\","
    "   \"content\": {\"membership\": \"leave\"}}]}}},"
    "\"invite\": {\"!again:localhost\": {\"invite_state\": {\"events\": ["
    "  {\"type\": \"m.room.member\", \"state_key\": \"@alice:localhost\", \"sender\": \"@bob:localhost\","
    "   \"event_id\": \"$i2\", \"content\": {\"membership\": \"invite\", \"is_direct\": true}}]}}}"
    "}}");
  room = duet_session_lookup_room (session, "!again:localhost");
  g_assert_cmpint (duet_room_get_own_membership (room), ==, DUET_MEMBERSHIP_INVITE);
  g_assert_cmpuint (g_list_model_get_n_items (duet_session_get_invites (session)), ==, 1);

  duet_test_finalize (g_steal_pointer (&session));
}

/* Another device took Bob's is_direct invite: our join event's
 * prev_content and prev_sender still say who and whether. */
static void
test_ingest_invite_seen_only_in_join (DuetTestFixture *f,
                                      gconstpointer    data)
{
  g_autoptr(DuetSession) session = duet_session_new (f->client);
  DuetRoom *room;

  ingest (session, "{\"rooms\": {\"join\": {\"" ROOM "\": {\"state\": {\"events\": ["
    "  {\"type\": \"m.room.member\", \"state_key\": \"@bob:localhost\", \"sender\": \"@bob:localhost\","
    "   \"content\": {\"membership\": \"join\"}},"
    "  {\"type\": \"m.room.member\", \"state_key\": \"@alice:localhost\", \"sender\": \"@alice:localhost\","
    "   \"content\": {\"membership\": \"join\"},"
    "   \"unsigned\": {\"prev_content\": {\"membership\": \"invite\", \"is_direct\": true},"
    "                  \"prev_sender\": \"@bob:localhost\"}}]}}}}}");
  room = duet_session_lookup_room (session, ROOM);
  g_assert_true (duet_room_get_invite_is_direct (room));
  g_assert_cmpstr (duet_room_get_inviter (room), ==, "@bob:localhost");

  duet_test_finalize (g_steal_pointer (&session));
}

typedef struct {
  guint    emissions;
  guint    events;
  gboolean limited;
  char    *prev_batch;
  gboolean live;
} TimelineSeen;

static void
timeline_events_cb (DuetSession  *session,
                    DuetRoom     *room,
                    JsonArray    *events,
                    gboolean      limited,
                    const char   *prev_batch,
                    gboolean      live,
                    TimelineSeen *seen)
{
  g_assert_cmpstr (duet_room_get_id (room), ==, ROOM);
  /* The room has taken the slice before anyone hears of it. */
  if (json_array_get_length (events) > 0)
    g_assert_cmpstr (duet_room_get_last_event_id (room), ==, "$2");
  seen->emissions++;
  seen->events = json_array_get_length (events);
  seen->limited = limited;
  g_free (seen->prev_batch);
  seen->prev_batch = g_strdup (prev_batch);
  seen->live = live;
}

static void
test_ingest_timeline_events_signal (DuetTestFixture *f,
                                    gconstpointer    data)
{
  g_autoptr(DuetSession) session = duet_session_new (f->client);
  TimelineSeen seen = { 0 };

  g_signal_connect (session, "timeline-events", G_CALLBACK (timeline_events_cb), &seen);

  ingest (session, "{\"rooms\": {\"join\": {\"" ROOM "\": {\"timeline\": {"
    "  \"limited\": true, \"prev_batch\": \"t1\", \"events\": ["
    "  {\"type\": \"m.room.message\", \"event_id\": \"$1\", \"sender\": \"@bob:localhost\","
    "   \"origin_server_ts\": 1, \"content\": {\"msgtype\": \"m.text\", \"body\": \"a\"}},"
    "  {\"type\": \"m.room.message\", \"event_id\": \"$2\", \"sender\": \"@bob:localhost\","
    "   \"origin_server_ts\": 2, \"content\": {\"msgtype\": \"m.text\", \"body\": \"b\"}}]}}}}}");
  g_assert_cmpuint (seen.emissions, ==, 1);
  g_assert_cmpuint (seen.events, ==, 2);
  g_assert_true (seen.limited);
  g_assert_cmpstr (seen.prev_batch, ==, "t1");
  g_assert_true (seen.live);

  /* No events and not limited: nothing to tell. A limited empty slice is. */
  ingest (session, "{\"rooms\": {\"join\": {\"" ROOM "\": {\"timeline\": {\"events\": []}}}}}");
  g_assert_cmpuint (seen.emissions, ==, 1);
  ingest (session, "{\"rooms\": {\"join\": {\"" ROOM "\": {\"timeline\": {\"limited\": true}}}}}");
  g_assert_cmpuint (seen.emissions, ==, 2);
  g_assert_cmpuint (seen.events, ==, 0);
  g_assert_null (seen.prev_batch);

  g_free (seen.prev_batch);
  duet_test_finalize (g_steal_pointer (&session));
}

#define ADD(path, func) \
  g_test_add ("/session-ingest/" path, DuetTestFixture, NULL, \
              duet_test_fixture_setup, func, duet_test_fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("wrong-types", test_ingest_wrong_types);
  ADD ("hostile-strings", test_ingest_hostile_strings);
  ADD ("timeline-events-signal", test_ingest_timeline_events_signal);
  ADD ("cycles-and-bounds", test_ingest_cycles_and_bounds);
  ADD ("leave-then-rejoin", test_ingest_leave_then_rejoin);
  ADD ("invite-seen-only-in-join", test_ingest_invite_seen_only_in_join);

  return g_test_run ();
}
