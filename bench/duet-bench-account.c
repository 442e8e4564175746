/* duet-bench-account.c: synthetic accounts for the benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Which kind each room is comes from a hash of its index and the seed (so
 * a bench can ask about one room without generating the account); what it
 * holds comes from one GRand seeded with the seed, drawn in room order, so
 * the bytes are the same on every run.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "duet-bench-account.h"

#define BASE_TS G_GINT64_CONSTANT (1760000000000)
#define TIMELINE_LENGTH 20
#define USER_POOL 20000

typedef enum {
  ROOM_DM,
  ROOM_GROUP,
} RoomKind;

typedef enum {
  SECTION_JOIN,
  SECTION_INVITE,
  SECTION_LEAVE,
} Section;

static guint32
mix (guint32 a,
     guint32 b)
{
  guint64 z = ((guint64) a << 32 | b) + G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return (guint32) (z ^ (z >> 31));
}

static guint dm_every = 3;
static gboolean with_avatars = TRUE;
static gboolean unique_avatars = FALSE;

void
duet_bench_account_set_avatars (gboolean avatars)
{
  with_avatars = avatars;
}

void
duet_bench_account_set_unique_avatars (gboolean unique)
{
  unique_avatars = unique;
}

void
duet_bench_account_set_dm_every (guint every)
{
  dm_every = MAX (every, 1);
}

static RoomKind
room_kind (guint32 seed,
           guint   i)
{
  return mix (seed, i * 4) % dm_every == 0 ? ROOM_DM : ROOM_GROUP;
}

static Section
room_section (guint32 seed,
              guint   i)
{
  guint32 h = mix (seed, i * 4 + 1) % 100;

  return h < 1 ? SECTION_INVITE : h < 3 ? SECTION_LEAVE : SECTION_JOIN;
}

static gboolean is_tombstoned (guint n_rooms, guint32 seed, guint i);

static gboolean
is_tombstoned (guint   n_rooms,
               guint32 seed,
               guint   i)
{
  if (i + 1 >= n_rooms || mix (seed, i * 4 + 2) % 100 != 0)
    return FALSE;
  if (room_section (seed, i) != SECTION_JOIN || room_section (seed, i + 1) != SECTION_JOIN ||
      room_kind (seed, i) != room_kind (seed, i + 1))
    return FALSE;
  /* No chains: the replacement is not itself replaced. */
  return i == 0 || !is_tombstoned (n_rooms, seed, i - 1);
}

/* A DM's partner; an upgraded DM keeps the partner of the room it replaces. */
static guint
dm_partner (guint   n_rooms,
            guint32 seed,
            guint   i)
{
  return i > 0 && is_tombstoned (n_rooms, seed, i - 1) ? i - 1 : i;
}

gboolean
duet_bench_account_is_joined_dm (guint   n_rooms,
                                 guint32 seed,
                                 guint   index)
{
  return index < n_rooms && room_kind (seed, index) == ROOM_DM &&
         room_section (seed, index) == SECTION_JOIN && !is_tombstoned (n_rooms, seed, index);
}

static const char * const words[] = {
  "the", "meeting", "tomorrow", "sounds", "good", "I'll", "bring", "coffee", "did", "you",
  "see", "this", "link", "https://example.org/a/long/path?with=query", "haha", "sure",
  "let's", "talk", "later", "thanks!", "übermorgen", "café", "naïve", "😀", "🚀", "ok",
  "\\\"quoted\\\"", "line\\nbreak", "tab\\there", "日本語", "Привет", "the build is green",
  "merge", "review", "deploy", "weekend", "photos", "dinner", "train", "late",
};

static void
append_words (GString *out,
              GRand   *rand,
              guint    min_words,
              guint    max_words)
{
  guint n = g_rand_int_range (rand, min_words, max_words + 1);

  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
    }
}

static void
append_user (GString *out,
             guint    k)
{
  g_string_append_printf (out, "@u%u:" DUET_BENCH_SERVER_NAME, k);
}

static void
append_event_head (GString    *out,
                   const char *type,
                   const char *sender,
                   guint       room,
                   guint       serial,
                   gint64      ts)
{
  g_string_append_printf (out,
    "{\"type\":\"%s\",\"sender\":\"%s\",\"event_id\":\"$E%08x%04uAbCdEfGhIjKlMnOpQrStUvWxYz\","
    "\"origin_server_ts\":%" G_GINT64_FORMAT ",\"unsigned\":{\"age\":%u},",
    type, sender, room, serial, ts, (guint) (ts % 100000));
}

static void
append_state (GString    *out,
              const char *type,
              const char *state_key,
              const char *sender,
              guint       room,
              guint       serial,
              gint64      ts,
              const char *content)
{
  append_event_head (out, type, sender, room, serial, ts);
  g_string_append_printf (out, "\"state_key\":\"%s\",\"content\":%s},", state_key, content);
}

static void
append_member (GString    *out,
               const char *user_id,
               const char *display_name,
               const char *membership,
               const char *extra,
               guint       room,
               guint       serial,
               gint64      ts)
{
  g_autofree char *content = NULL;

  if (with_avatars)
    content = g_strdup_printf ("{\"membership\":\"%s\",\"displayname\":\"%s\","
                               "\"avatar_url\":\"mxc://" DUET_BENCH_SERVER_NAME "/AvAtAr%07u\"%s}",
                               membership, display_name,
                               /* Same length either way: the same bytes to parse. */
                               unique_avatars ? (room * 1000 + serial) % 10000000 : serial,
                               extra != NULL ? extra : "");
  else
    content = g_strdup_printf ("{\"membership\":\"%s\",\"displayname\":\"%s\"%s}",
                               membership, display_name, extra != NULL ? extra : "");
  append_state (out, "m.room.member", user_id, user_id, room, serial, ts, content);
}

static void
trim_comma (GString *out)
{
  if (out->len > 0 && out->str[out->len - 1] == ',')
    g_string_truncate (out, out->len - 1);
}

static guint
group_size (GRand *rand)
{
  double u = g_rand_double (rand);

  /* Most groups are small; a few are big public rooms. */
  return 3 + (guint) (497 * pow (u, 40));
}

static void
append_room (GString *out,
             guint    n_rooms,
             guint32  seed,
             GRand   *rand,
             guint    i)
{
  RoomKind kind = room_kind (seed, i);
  Section section = room_section (seed, i);
  gint64 room_ts = BASE_TS - (gint64) (mix (seed, i * 4 + 3) % 100000000) * 1000;
  g_autofree char *me = g_strdup (DUET_BENCH_OWN_USER);
  g_autofree char *creator = NULL;
  g_autoptr(GPtrArray) members = g_ptr_array_new_with_free_func (g_free);
  guint n_members, serial = 0;
  gboolean encrypted = g_rand_int_range (rand, 0, 4) == 0;

  if (kind == ROOM_DM)
    {
      g_ptr_array_add (members, g_strdup_printf ("@p%u:" DUET_BENCH_SERVER_NAME,
                                                 dm_partner (n_rooms, seed, i)));
      if (g_rand_int_range (rand, 0, 10) == 0)
        g_ptr_array_add (members, g_strdup ("@assistant-bot:" DUET_BENCH_SERVER_NAME));
    }
  else
    {
      n_members = group_size (rand);
      for (guint m = 0; m + 1 < n_members; m++)
        {
          g_autoptr(GString) user = g_string_new (NULL);

          append_user (user, g_rand_int_range (rand, 0, USER_POOL));
          g_ptr_array_add (members, g_string_free (g_steal_pointer (&user), FALSE));
        }
    }
  creator = g_strdup (members->pdata[0]);

  g_string_append_printf (out, "\"!r%u:" DUET_BENCH_SERVER_NAME "\":{", i);

  if (section == SECTION_INVITE)
    {
      g_autofree char *name = g_strdup_printf ("{\"name\":\"Invited room %u\"}", i);

      g_string_append (out, "\"invite_state\":{\"events\":[");
      g_string_append_printf (out, "{\"type\":\"m.room.create\",\"sender\":\"%s\",\"state_key\":\"\","
                              "\"content\":{\"creator\":\"%s\",\"room_version\":\"10\"}},",
                              creator, creator);
      if (kind == ROOM_GROUP)
        g_string_append_printf (out, "{\"type\":\"m.room.name\",\"sender\":\"%s\",\"state_key\":\"\","
                                "\"content\":%s},", creator, name);
      g_string_append_printf (out, "{\"type\":\"m.room.member\",\"sender\":\"%s\",\"state_key\":\"%s\","
                              "\"content\":{\"membership\":\"join\",\"displayname\":\"Inviter %u\"}},",
                              creator, creator, i);
      append_event_head (out, "m.room.member", creator, i, serial++, room_ts);
      g_string_append_printf (out, "\"state_key\":\"%s\",\"content\":{\"membership\":\"invite\"%s}}",
                              me, kind == ROOM_DM ? ",\"is_direct\":true" : "");
      g_string_append (out, "]}},");
      return;
    }

  /* State. */
  g_string_append_printf (out, "\"summary\":{\"m.heroes\":[\"%s\"],\"m.joined_member_count\":%u,"
                          "\"m.invited_member_count\":0},", creator, members->len + 1);
  g_string_append (out, "\"state\":{\"events\":[");
  {
    g_autofree char *create = NULL;

    if (i > 0 && is_tombstoned (n_rooms, seed, i - 1))
      create = g_strdup_printf ("{\"creator\":\"%s\",\"room_version\":\"10\",\"predecessor\":"
                                "{\"room_id\":\"!r%u:" DUET_BENCH_SERVER_NAME "\","
                                "\"event_id\":\"$tomb%u\"}}", creator, i - 1, i - 1);
    else
      create = g_strdup_printf ("{\"creator\":\"%s\",\"room_version\":\"10\"}", creator);
    append_state (out, "m.room.create", "", creator, i, serial++, room_ts - 1000000, create);
  }
  {
    g_autoptr(GString) pl = g_string_new ("{\"users\":{");

    g_string_append_printf (pl, "\"%s\":100,\"%s\":%u", creator, me, kind == ROOM_DM ? 100 : 0);
    g_string_append (pl, "},\"users_default\":0,\"events\":{\"m.room.name\":50,\"m.room.power_levels\":100,"
                     "\"m.room.history_visibility\":100,\"m.room.canonical_alias\":50,\"m.room.avatar\":50,"
                     "\"m.room.tombstone\":100,\"m.room.server_acl\":100,\"m.room.encryption\":100},"
                     "\"events_default\":0,\"state_default\":50,\"ban\":50,\"kick\":50,\"redact\":50,"
                     "\"invite\":0,\"historical\":100}");
    append_state (out, "m.room.power_levels", "", creator, i, serial++, room_ts - 999000, pl->str);
  }
  append_state (out, "m.room.join_rules", "", creator, i, serial++, room_ts - 998000,
                kind == ROOM_DM ? "{\"join_rule\":\"invite\"}" : "{\"join_rule\":\"public\"}");
  append_state (out, "m.room.history_visibility", "", creator, i, serial++, room_ts - 997000,
                "{\"history_visibility\":\"shared\"}");
  append_state (out, "m.room.guest_access", "", creator, i, serial++, room_ts - 996000,
                "{\"guest_access\":\"can_join\"}");
  if (encrypted)
    append_state (out, "m.room.encryption", "", creator, i, serial++, room_ts - 995000,
                  "{\"algorithm\":\"m.megolm.v1.aes-sha2\"}");
  if (kind == ROOM_GROUP)
    {
      g_autoptr(GString) name = g_string_new ("{\"name\":\"");
      g_autoptr(GString) topic = g_string_new ("{\"topic\":\"");

      append_words (name, rand, 1, 4);
      g_string_append (name, "\"}");
      append_words (topic, rand, 3, 20);
      g_string_append (topic, "\"}");
      append_state (out, "m.room.name", "", creator, i, serial++, room_ts - 994000, name->str);
      append_state (out, "m.room.topic", "", creator, i, serial++, room_ts - 993000, topic->str);
    }
  if (section == SECTION_JOIN && is_tombstoned (n_rooms, seed, i))
    {
      g_autofree char *tomb = g_strdup_printf ("{\"body\":\"This room has been replaced\","
                                               "\"replacement_room\":\"!r%u:" DUET_BENCH_SERVER_NAME "\"}",
                                               i + 1);

      append_state (out, "m.room.tombstone", "", creator, i, serial++, room_ts - 500000, tomb);
    }

  for (guint m = 0; m < members->len; m++)
    {
      g_autofree char *display_name = g_strdup_printf (kind == ROOM_DM ? "Partner %u" : "Person %u Ünïcødé",
                                                       m == 0 ? dm_partner (n_rooms, seed, i) : m);

      append_member (out, members->pdata[m], display_name, "join", NULL, i, serial++,
                     room_ts - 900000 + m);
    }
  append_member (out, me, "Me", section == SECTION_LEAVE ? "leave" : "join",
                 kind == ROOM_DM && i % 2 == 0 ? "" : NULL, i, serial++, room_ts - 800000);
  trim_comma (out);
  g_string_append (out, "]},");

  /* Timeline: the newest TIMELINE_LENGTH events. */
  g_string_append (out, "\"timeline\":{\"limited\":true,");
  g_string_append_printf (out, "\"prev_batch\":\"t%u-%u_0_0_0_0_0_0_0_0\",\"events\":[", i, serial);
  for (guint e = 0; e < TIMELINE_LENGTH; e++)
    {
      gint64 ts = room_ts - (TIMELINE_LENGTH - e) * 60000;
      const char *sender = g_rand_int_range (rand, 0, 3) == 0 ? me
                           : (const char *) members->pdata[g_rand_int_range (rand, 0, MIN (members->len, 10))];
      guint what = g_rand_int_range (rand, 0, 20);

      if (encrypted)
        {
          append_event_head (out, "m.room.encrypted", sender, i, serial++, ts);
          g_string_append (out, "\"content\":{\"algorithm\":\"m.megolm.v1.aes-sha2\","
                           "\"sender_key\":\"KeYkEyKeYkEyKeYkEyKeYkEyKeYkEyKeYkEyKeYkEyK\","
                           "\"device_id\":\"DEVICEID\",\"session_id\":\"SeSsIoNsEsSiOnSeSsIoNsEsSiOnSeSsIoNsEsSiOnS\","
                           "\"ciphertext\":\"");
          for (guint c = 0; c < 6; c++)
            g_string_append (out, "AwgAEpABCiAbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/");
          g_string_append (out, "\"}},");
        }
      else if (what == 0)
        {
          append_event_head (out, "m.reaction", sender, i, serial++, ts);
          g_string_append_printf (out, "\"content\":{\"m.relates_to\":{\"rel_type\":\"m.annotation\","
                                  "\"event_id\":\"$E%08x%04uAbCdEfGhIjKlMnOpQrStUvWxYz\",\"key\":\"👍\"}}},",
                                  i, serial - 2);
        }
      else if (what == 1)
        {
          g_autoptr(GString) body = g_string_new (NULL);

          append_words (body, rand, 2, 12);
          append_event_head (out, "m.room.message", sender, i, serial++, ts);
          g_string_append_printf (out, "\"content\":{\"msgtype\":\"m.text\",\"body\":\" * %s\","
                                  "\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":\"%s\"},"
                                  "\"m.relates_to\":{\"rel_type\":\"m.replace\","
                                  "\"event_id\":\"$E%08x%04uAbCdEfGhIjKlMnOpQrStUvWxYz\"}}},",
                                  body->str, body->str, i, serial - 2);
        }
      else
        {
          g_autoptr(GString) body = g_string_new (NULL);

          append_words (body, rand, 1, 30);
          append_event_head (out, "m.room.message", sender, i, serial++, ts);
          g_string_append_printf (out, "\"content\":{\"msgtype\":\"m.text\",\"body\":\"%s\"}},", body->str);
        }
    }
  trim_comma (out);
  g_string_append (out, "]},");

  if (section == SECTION_JOIN)
    {
      g_string_append_printf (out, "\"ephemeral\":{\"events\":[{\"type\":\"m.receipt\",\"content\":"
                              "{\"$E%08x%04uAbCdEfGhIjKlMnOpQrStUvWxYz\":{\"m.read\":{\"%s\":{\"ts\":%"
                              G_GINT64_FORMAT "}}}}}]},", i, serial - 1, creator, room_ts);
      g_string_append_printf (out, "\"account_data\":{\"events\":[{\"type\":\"m.fully_read\",\"content\":"
                              "{\"event_id\":\"$E%08x%04uAbCdEfGhIjKlMnOpQrStUvWxYz\"}}]},",
                              i, serial - 1 - g_rand_int_range (rand, 0, 5));
      g_string_append_printf (out, "\"unread_notifications\":{\"notification_count\":%u,\"highlight_count\":%u},",
                              g_rand_int_range (rand, 0, 4) == 0 ? g_rand_int_range (rand, 1, 30) : 0,
                              g_rand_int_range (rand, 0, 20) == 0 ? 1 : 0);
    }
  trim_comma (out);
  g_string_append (out, "},");
}

static void
append_section (GString    *out,
                const char *name,
                Section     section,
                guint       n_rooms,
                guint32     seed,
                GRand      *rand)
{
  g_string_append_printf (out, "\"%s\":{", name);
  for (guint i = 0; i < n_rooms; i++)
    if (room_section (seed, i) == section)
      append_room (out, n_rooms, seed, rand, i);
  trim_comma (out);
  g_string_append (out, "},");
}

GBytes *
duet_bench_account_generate (guint   n_rooms,
                             guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  GString *out = g_string_sized_new (n_rooms * 14000 + 4096);

  g_string_append (out, "{\"next_batch\":\"s72595_4483_1934_0_0_0_0_0_0_1\",");
  g_string_append (out, "\"account_data\":{\"events\":[{\"type\":\"m.direct\",\"content\":{");
  for (guint i = 0; i < n_rooms; i++)
    {
      if (room_kind (seed, i) != ROOM_DM || room_section (seed, i) == SECTION_INVITE ||
          dm_partner (n_rooms, seed, i) != i)
        continue;
      g_string_append_printf (out, "\"@p%u:" DUET_BENCH_SERVER_NAME "\":[\"!r%u:" DUET_BENCH_SERVER_NAME "\"",
                              i, i);
      if (is_tombstoned (n_rooms, seed, i))
        g_string_append_printf (out, ",\"!r%u:" DUET_BENCH_SERVER_NAME "\"", i + 1);
      g_string_append (out, "],");
    }
  trim_comma (out);
  g_string_append (out, "}},{\"type\":\"m.push_rules\",\"content\":{\"global\":{\"override\":[],"
                   "\"content\":[],\"room\":[],\"sender\":[],\"underride\":[]}}},"
                   "{\"type\":\"im.vector.setting.breadcrumbs\",\"content\":{\"recent_rooms\":[]}}]},");
  g_string_append (out, "\"presence\":{\"events\":[]},\"to_device\":{\"events\":[]},"
                   "\"device_lists\":{\"changed\":[],\"left\":[]},"
                   "\"device_one_time_keys_count\":{\"signed_curve25519\":50},");
  g_string_append (out, "\"rooms\":{");
  /* Synapse's order: join, invite, leave. */
  append_section (out, "join", SECTION_JOIN, n_rooms, seed, rand);
  append_section (out, "invite", SECTION_INVITE, n_rooms, seed, rand);
  append_section (out, "leave", SECTION_LEAVE, n_rooms, seed, rand);
  trim_comma (out);
  g_string_append (out, "}}");

  return g_string_free_to_bytes (out);
}

GBytes *
duet_bench_account_new_message (guint       index,
                                const char *next_batch,
                                gint64      ts,
                                const char *body)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "{\"next_batch\":\"%s\",\"rooms\":{\"join\":{\"!r%u:" DUET_BENCH_SERVER_NAME
                          "\":{\"timeline\":{\"limited\":false,\"events\":[{\"type\":\"m.room.message\","
                          "\"sender\":\"@p%u:" DUET_BENCH_SERVER_NAME "\",\"event_id\":\"$new%s\","
                          "\"origin_server_ts\":%" G_GINT64_FORMAT ",\"content\":{\"msgtype\":\"m.text\","
                          "\"body\":\"%s\"}}]},\"unread_notifications\":{\"notification_count\":1,"
                          "\"highlight_count\":0}}}}}",
                          next_batch, index, index, next_batch, ts, body);
  return g_string_free_to_bytes (out);
}

static guint64
read_status_kb (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, field);
  if (line == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen (field), NULL, 10);
}

guint64
duet_bench_peak_rss_kb (void)
{
  return read_status_kb ("VmHWM:");
}

guint64
duet_bench_rss_kb (void)
{
  return read_status_kb ("VmRSS:");
}

void
duet_bench_reset_peak_rss (void)
{
  FILE *f = fopen ("/proc/self/clear_refs", "w");

  if (f == NULL)
    return;
  fputs ("5", f);
  fclose (f);
}
