/* test-room-raw.c: a room's /sync entry read in place agrees with the tree
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The streamed /sync reads each room's entry from its text
 * (duet-room-sync-raw.c); the cached start and whole responses read it
 * from json-glib's tree (duet-room-sync.c).  Both must make the same room
 * of the same text, hostile text included (test-hostile runs the same
 * comparison over its corpus).
 */
#include "config.h"

#include <string.h>

#include "duet-bench-account.h"
#include "duet-member.h"
#include "duet-room-private.h"
#include "duet-room-raw-test-utils.h"

#define OWN "@me:bench.example"

static void
test_generated_account (void)
{
  g_autoptr(GBytes) body = NULL;

  duet_bench_account_set_dm_every (3);
  body = duet_bench_account_generate (150, DUET_BENCH_DEFAULT_SEED);
  /* Every room: 150 of them (a few in two sections). */
  g_assert_cmpuint (duet_test_compare_room_readers (body, DUET_BENCH_OWN_USER), >=, 150);
}

static void
test_generated_dms (void)
{
  g_autoptr(GBytes) body = NULL;

  duet_bench_account_set_dm_every (1);
  duet_bench_account_set_unique_avatars (TRUE);
  body = duet_bench_account_generate (100, 3);
  g_assert_cmpuint (duet_test_compare_room_readers (body, DUET_BENCH_OWN_USER), >=, 100);
  duet_bench_account_set_dm_every (3);
  duet_bench_account_set_unique_avatars (FALSE);
}

/* Text json-glib reads in its own way: escaped and repeated names, U+0000
 * in strings, members of the wrong type, numbers beyond gint64. */
static const char *const tricky[] = {
  /* repeated names: the last wins, at every level */
  "{\"rooms\":{\"join\":{\"!a:x\":{\"state\":{\"events\":[]},\"state\":{\"events\":["
  "{\"type\":\"m.room.name\",\"type\":\"m.room.member\",\"state_key\":\"@b:x\","
  "\"content\":{\"membership\":\"join\",\"displayname\":\"B\",\"displayname\":\"Bee\"}}]},"
  "\"timeline\":{\"events\":[{\"type\":\"m.room.message\",\"content\":{\"body\":\"one\"},"
  "\"content\":{\"body\":\"two\"},\"event_id\":\"$1\",\"origin_server_ts\":5}],\"limited\":true}}}}}",
  /* escaped names and values, U+0000 cutting a string and a name */
  "{\"rooms\":{\"join\":{\"!a:x\":{\"st\\u0061te\":{\"events\":["
  "{\"type\":\"m.room.n\\u0061me\",\"state_key\":\"\",\"content\":{\"name\":\"Na\\u0000me\"}},"
  "{\"type\":\"m.room.member\",\"state_key\":\"@b:x\",\"content\":{\"membership\":\"join\","
  "\"displayname\\u0000junk\":\"Cut\\nname \\ud83d\\ude00\"}}]},"
  "\"timeline\":{\"events\":[{\"type\":\"m.room.message\",\"content\":{\"body\":\"\\u0000\"},"
  "\"event_id\":\"$1\\u0000x\",\"origin_server_ts\":1e3}]}}}}}",
  /* wrong types everywhere */
  "{\"rooms\":{\"join\":{\"!a:x\":{\"state\":{\"events\":{}},\"timeline\":{\"events\":["
  "1,\"x\",null,[],{\"type\":1,\"content\":{}},{\"type\":\"m.room.message\",\"content\":[]},"
  "{\"type\":\"m.room.message\",\"content\":{\"body\":7},\"origin_server_ts\":\"5\",\"event_id\":3},"
  "{\"type\":\"m.room.member\",\"state_key\":\"@me:bench.example\",\"content\":{\"membership\":\"join\"},"
  "\"unsigned\":{\"prev_content\":{\"membership\":\"invite\",\"is_direct\":1},\"prev_sender\":\"@c:x\"}}],"
  "\"limited\":\"true\"},\"summary\":{\"m.heroes\":[1,\"@h:x\",\"bad\"]},"
  "\"unread_notifications\":{\"notification_count\":1.5},"
  "\"ephemeral\":{\"events\":[{\"type\":\"m.typing\",\"content\":{\"user_ids\":\"@t:x\"}},"
  "{\"type\":\"m.typing\",\"content\":{\"user_ids\":[\"@t:x\",\"@t:x\",\"@me:bench.example\",2]}}]}}}}}",
  /* numbers: beyond gint64, negative, exponents; the room no object */
  "{\"rooms\":{\"join\":{\"!a:x\":{\"timeline\":{\"events\":["
  "{\"type\":\"m.room.message\",\"content\":{\"body\":\"a\"},\"origin_server_ts\":92233720368547758070},"
  "{\"type\":\"m.room.message\",\"content\":{\"body\":\"b\"},\"origin_server_ts\":-4},"
  "{\"type\":\"m.room.message\",\"content\":{\"body\":\"c\"},\"origin_server_ts\":1.7e12}]},"
  "\"unread_notifications\":{\"notification_count\":99999999999}},\"!b:x\":[],\"!c:x\":\"x\"},"
  "\"invite\":{\"!d:x\":{\"invite_state\":{\"events\":[{\"type\":\"m.room.member\","
  "\"state_key\":\"@me:bench.example\",\"sender\":\"@i:x\",\"origin_server_ts\":42,"
  "\"content\":{\"membership\":\"invite\",\"is_direct\":true}}]}}},"
  "\"leave\":{\"!a:x\":{\"timeline\":{\"events\":[{\"type\":\"m.room.tombstone\",\"state_key\":\"\","
  "\"content\":{\"replacement_room\":\"!a:x\"}},{\"type\":\"m.room.create\",\"state_key\":\"\","
  "\"content\":{\"predecessor\":{\"room_id\":\"!old:x\"}}},{\"type\":\"io.element.functional_members\","
  "\"state_key\":\"\",\"content\":{\"service_members\":[\"@bot:x\",5]}},"
  "{\"type\":\"m.room.encryption\",\"state_key\":\"\",\"content\":{}}]}}}}}",
  /* the newest preview: a body that is no string, a state event or an
   * unknown type after it leaves it standing */
  "{\"rooms\":{\"join\":{\"!a:x\":{\"timeline\":{\"events\":["
  "{\"type\":\"m.room.message\",\"content\":{\"body\":\"old\"}},"
  "{\"type\":\"m.room.encrypted\",\"content\":{}},"
  "{\"type\":\"m.room.message\",\"content\":{\"body\":\"shown\\u0041\"}},"
  "{\"type\":\"m.room.message\",\"content\":{\"body\":[\"x\"]}},"
  "{\"type\":\"m.room.message\",\"state_key\":\"\",\"content\":{\"body\":\"state\"}},"
  "{\"type\":\"m.reaction\",\"content\":{\"body\":\"no\"}},"
  "{\"type\":\"m.room.message\",\"content\":{\"body\":\"no\"},\"content\":1}]}},"
  "\"!b:x\":{\"timeline\":{\"events\":[{\"type\":\"m.room.message\",\"content\":{\"body\":\"m\"}},"
  "{\"type\":\"m.room.encrypted\",\"content\":{\"body\":5}}]}}}}}",
  /* not JSON inside a room: both refuse it */
  "{\"rooms\":{\"join\":{\"!a:x\":{\"timeline\":{\"events\":[01]}},\"!b:x\":{\"x\":\"\\333\"},"
  "\"!c:x\":{\"x\":tru}}}}",
  /* lone UTF-16 surrogates (the stream makes them \ufffd): read as U+FFFD
   * by both, in a room name, a display name, a body, ids and a room id */
  "{\"rooms\":{\"join\":{\"!a:x\":{\"state\":{\"events\":["
  "{\"type\":\"m.room.name\",\"state_key\":\"\",\"content\":{\"name\":\"N\\ud800ame\"}},"
  "{\"type\":\"m.room.member\",\"state_key\":\"@b:x\",\"content\":{\"membership\":\"join\","
  "\"displayname\":\"B\\udc00\",\"displayname\\udc00\":\"no\"}},"
  "{\"type\":\"m.room.member\",\"state_key\":\"@c\\ud800:x\",\"content\":{\"membership\":\"join\"}}]},"
  "\"timeline\":{\"events\":[{\"type\":\"m.room.message\",\"sender\":\"@b:x\","
  "\"content\":{\"body\":\"hi \\ud83d\\ude00 \\ud800\\u0041\"},\"event_id\":\"$1\\udc00\",\"origin_server_ts\":5}]},"
  "\"ephemeral\":{\"events\":[{\"type\":\"m.typing\",\"content\":{\"user_ids\":[\"@b:x\",\"@t\\ud800:x\"]}}]}}},"
  "\"invite\":{\"!d\\ud800:x\":{\"invite_state\":{\"events\":[{\"type\":\"m.room.member\","
  "\"state_key\":\"@me:bench.example\",\"sender\":\"@i\\udc00:x\",\"content\":{\"membership\":\"invite\","
  "\"displayname\":\"\\udbff\"}}]}}}}}",
};

static void
test_tricky (void)
{
  guint expected[] = { 1, 1, 1, 3, 2, 0, 2 };

  for (guint i = 0; i < G_N_ELEMENTS (tricky); i++)
    {
      g_autoptr(GBytes) body = g_bytes_new_static (tricky[i], strlen (tricky[i]));

      g_test_message ("case %u", i);
      g_assert_cmpuint (duet_test_compare_room_readers (body, OWN), ==, expected[i]);
    }
}

/* Beyond the bounds: the newest 2000 timeline events, the first 20000
 * state events; a repeated "events" or section starts afresh. */
static void
test_bounds (void)
{
  g_autoptr(GString) text = g_string_new ("{\"rooms\":{\"join\":{\"!a:x\":{\"state\":{\"events\":[");
  g_autoptr(GBytes) body = NULL;

  for (guint i = 0; i < 20005; i++)
    g_string_append_printf (text, "%s{\"type\":\"m.room.member\",\"state_key\":\"@u%u:x\","
                            "\"content\":{\"membership\":\"join\"}}", i > 0 ? "," : "", i);
  g_string_append (text, "]},\"timeline\":{\"events\":[{\"type\":\"m.room.message\","
                   "\"content\":{\"body\":\"dropped\"}}],\"events\":[");
  for (guint i = 0; i < 2105; i++)
    g_string_append_printf (text, "{\"type\":\"m.room.message\",\"content\":{\"body\":\"m%u\"},"
                            "\"event_id\":\"$e%u\",\"origin_server_ts\":%u},", i, i, 1000 + i);
  g_string_append (text, "{\"type\":\"m.room.name\",\"state_key\":\"\",\"content\":{\"name\":\"N\"},"
                   "\"event_id\":\"$last\"}]},"
                   "\"ephemeral\":{\"events\":[{\"type\":\"m.typing\",\"content\":{\"user_ids\":[\"@a:x\"]}}]},"
                   "\"ephemeral\":{}}},"
                   "\"leave\":{\"!b:x\":{\"state\":{\"events\":[{\"type\":\"m.room.name\",\"state_key\":\"\","
                   "\"content\":{\"name\":\"gone\"}}],\"events\":{}},\"timeline\":{\"events\":[1]}}}}}");
  body = g_string_free_to_bytes (g_steal_pointer (&text));
  g_assert_cmpuint (duet_test_compare_room_readers (body, OWN), ==, 2);
}

static void
apply_entry (DuetRoom   *room,
             const char *entry)
{
  g_autofree char *last_id = NULL;

  /* A room's entry is nested at depth 3 of a /sync body. */
  _duet_room_apply_raw (room, DUET_MEMBERSHIP_JOIN, entry, strlen (entry), 3, OWN, &last_id);
}

static void
count_notify (guint *count)
{
  (*count)++;
}

/* A member is born with its first event's values (nothing notifies: no
 * one holds it yet); a later event notifies what it changes, once. */
static void
test_member_notify (void)
{
  DuetRoom *room = _duet_room_new ("!a:x", OWN);
  DuetMember *member;
  guint display_name = 0, membership = 0, avatar_url = 0;

  apply_entry (room, "{\"state\":{\"events\":[{\"type\":\"m.room.member\",\"state_key\":\"@b:x\","
                     "\"content\":{\"membership\":\"join\",\"displayname\":\" Bee\\n  Bop \","
                     "\"avatar_url\":\"mxc://x/a\"}}]}}");
  member = duet_room_lookup_member (room, "@b:x");
  g_assert_nonnull (member);
  g_assert_cmpstr (duet_member_get_user_id (member), ==, "@b:x");
  g_assert_cmpint (duet_member_get_membership (member), ==, DUET_MEMBERSHIP_JOIN);
  g_assert_cmpstr (duet_member_get_display_name (member), ==, "Bee Bop");
  g_assert_cmpstr (duet_member_get_avatar_url (member), ==, "mxc://x/a");
  g_assert_cmpstr (duet_room_get_name (room), ==, "Bee Bop");
  g_object_add_weak_pointer (G_OBJECT (member), (gpointer *) &member);

  g_signal_connect_swapped (member, "notify::display-name", G_CALLBACK (count_notify), &display_name);
  g_signal_connect_swapped (member, "notify::membership", G_CALLBACK (count_notify), &membership);
  g_signal_connect_swapped (member, "notify::avatar-url", G_CALLBACK (count_notify), &avatar_url);

  apply_entry (room, "{\"state\":{\"events\":[{\"type\":\"m.room.member\",\"state_key\":\"@b:x\","
                     "\"content\":{\"membership\":\"join\",\"displayname\":\"Bea\","
                     "\"avatar_url\":\"mxc://x/a\"}}]}}");
  g_assert_cmpstr (duet_member_get_display_name (member), ==, "Bea");
  g_assert_cmpuint (display_name, ==, 1);
  g_assert_cmpuint (membership, ==, 0);
  g_assert_cmpuint (avatar_url, ==, 0);

  apply_entry (room, "{\"timeline\":{\"events\":[{\"type\":\"m.room.member\",\"state_key\":\"@b:x\","
                     "\"content\":{\"membership\":\"leave\"}}]}}");
  g_assert_cmpint (duet_member_get_membership (member), ==, DUET_MEMBERSHIP_LEAVE);
  g_assert_null (duet_member_get_display_name (member));
  g_assert_null (duet_member_get_avatar_url (member));
  g_assert_cmpuint (display_name, ==, 2);
  g_assert_cmpuint (membership, ==, 1);
  g_assert_cmpuint (avatar_url, ==, 1);

  /* The same event again changes nothing. */
  apply_entry (room, "{\"timeline\":{\"events\":[{\"type\":\"m.room.member\",\"state_key\":\"@b:x\","
                     "\"content\":{\"membership\":\"leave\"}}]}}");
  g_assert_cmpuint (display_name + membership + avatar_url, ==, 4);

  /* The room's table holds the member (keyed by its own id) until the end. */
  g_assert_finalize_object (room);
  g_assert_null (member);
}

static void
count_watch (gpointer  user_data,
             DuetRoom *room)
{
  guint *count = user_data;

  g_assert_true (DUET_IS_ROOM (room));
  (*count)++;
}

static void
apply_invite (DuetRoom   *room,
              const char *entry)
{
  g_autofree char *last_id = NULL;

  _duet_room_apply_raw (room, DUET_MEMBERSHIP_INVITE, entry, strlen (entry), 3, OWN, &last_id);
}

/* The invite watch runs when the inviter or the direct flag changes (each
 * of them), never otherwise, and not after it is unset. */
static void
test_invite_watch (void)
{
  g_autoptr(DuetRoom) room = _duet_room_new ("!a:x", OWN);
  const char *direct = "{\"invite_state\":{\"events\":[{\"type\":\"m.room.member\","
                       "\"state_key\":\"" OWN "\",\"sender\":\"@i:x\","
                       "\"content\":{\"membership\":\"invite\",\"is_direct\":true}}]}}";
  guint count = 0;

  _duet_room_set_invite_watch (room, count_watch, &count);
  apply_entry (room, "{\"timeline\":{\"events\":[{\"type\":\"m.room.message\",\"content\":{\"body\":\"x\"}}]}}");
  g_assert_cmpuint (count, ==, 0);

  /* Inviter and flag change: a call each. */
  apply_invite (room, direct);
  g_assert_cmpstr (duet_room_get_inviter (room), ==, "@i:x");
  g_assert_true (duet_room_get_invite_is_direct (room));
  g_assert_cmpuint (count, ==, 2);
  apply_invite (room, direct);
  g_assert_cmpuint (count, ==, 2);

  apply_invite (room, "{\"invite_state\":{\"events\":[{\"type\":\"m.room.member\","
                      "\"state_key\":\"" OWN "\",\"sender\":\"@i:x\","
                      "\"content\":{\"membership\":\"invite\"}}]}}");
  g_assert_false (duet_room_get_invite_is_direct (room));
  g_assert_cmpuint (count, ==, 3);

  _duet_room_set_invite_watch (room, NULL, NULL);
  apply_invite (room, direct);
  g_assert_cmpuint (count, ==, 3);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/room-raw/generated-account", test_generated_account);
  g_test_add_func ("/room-raw/generated-dms", test_generated_dms);
  g_test_add_func ("/room-raw/tricky", test_tricky);
  g_test_add_func ("/room-raw/bounds", test_bounds);
  g_test_add_func ("/room-raw/member-notify", test_member_notify);
  g_test_add_func ("/room-raw/invite-watch", test_invite_watch);

  return g_test_run ();
}
