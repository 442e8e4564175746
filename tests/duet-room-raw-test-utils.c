/* duet-room-raw-test-utils.c: the in-place room reader against the tree one
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "duet-json-raw.h"
#include "duet-json-stream.h"
#include "duet-json.h"
#include "duet-member.h"
#include "duet-room-private.h"
#include "duet-room-raw-test-utils.h"

typedef struct {
  DuetRoom *tree;
  DuetRoom *raw;
} RoomPair;

typedef struct {
  const char *own_user_id;
  GHashTable *rooms;     /* room id → RoomPair */
  guint       compared;
} Compare;

static void
room_pair_free (gpointer data)
{
  RoomPair *pair = data;

  g_clear_object (&pair->tree);
  g_clear_object (&pair->raw);
  g_free (pair);
}

/* Every readable property of the two objects is equal. */
static void
assert_same_properties (GObject *a,
                        GObject *b)
{
  guint n_specs;
  g_autofree GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (a), &n_specs);

  for (guint i = 0; i < n_specs; i++)
    {
      g_auto(GValue) va = G_VALUE_INIT;
      g_auto(GValue) vb = G_VALUE_INIT;
      g_autofree char *sa = NULL;
      g_autofree char *sb = NULL;

      if (!(specs[i]->flags & G_PARAM_READABLE))
        continue;
      g_value_init (&va, specs[i]->value_type);
      g_value_init (&vb, specs[i]->value_type);
      g_object_get_property (a, specs[i]->name, &va);
      g_object_get_property (b, specs[i]->name, &vb);
      if (G_VALUE_HOLDS (&va, G_TYPE_STRV))
        {
          g_assert_true (g_strv_equal (g_value_get_boxed (&va) ? g_value_get_boxed (&va) : (GStrv) (const char *[]) { NULL },
                                       g_value_get_boxed (&vb) ? g_value_get_boxed (&vb) : (GStrv) (const char *[]) { NULL }));
          continue;
        }
      sa = g_strdup_value_contents (&va);
      sb = g_strdup_value_contents (&vb);
      if (g_strcmp0 (sa, sb) != 0)
        g_error ("room %s: property %s differs: tree %s, raw %s",
                 duet_room_get_id (DUET_ROOM (a)), specs[i]->name, sa, sb);
    }
}

static void
assert_same_rooms (DuetRoom *tree,
                   DuetRoom *raw)
{
  g_autoptr(GPtrArray) tree_members = duet_room_dup_members (tree, DUET_MEMBERSHIP_NONE);
  g_autoptr(GPtrArray) raw_members = duet_room_dup_members (raw, DUET_MEMBERSHIP_NONE);
  g_auto(GStrv) tree_functional = duet_room_dup_functional_members (tree);
  g_auto(GStrv) raw_functional = duet_room_dup_functional_members (raw);

  assert_same_properties (G_OBJECT (tree), G_OBJECT (raw));
  g_assert_true (g_strv_equal ((const char * const *) duet_room_get_typing (tree),
                               (const char * const *) duet_room_get_typing (raw)));
  g_assert_true (g_strv_equal ((const char * const *) tree_functional,
                               (const char * const *) raw_functional));
  g_assert_cmpuint (tree_members->len, ==, raw_members->len);
  for (guint i = 0; i < tree_members->len; i++)
    {
      DuetMember *member = g_ptr_array_index (tree_members, i);
      DuetMember *other = duet_room_lookup_member (raw, duet_member_get_user_id (member));

      g_assert_nonnull (other);
      assert_same_properties (G_OBJECT (member), G_OBJECT (other));
    }
}

/* What the session hands on as the slice's last event id. */
static const char *
tree_last_event_id (JsonObject *room_json)
{
  JsonArray *events = duet_json_get_array (duet_json_get_object (room_json, "timeline"), "events");
  guint length = events != NULL ? json_array_get_length (events) : 0;
  JsonNode *last;

  if (length == 0)
    return NULL;
  last = json_array_get_element (events, length - 1);
  return JSON_NODE_HOLDS_OBJECT (last) ? duet_json_get_string (json_node_get_object (last), "event_id") : NULL;
}

static gboolean
part_cb (const DuetJsonPart  *part,
         gpointer             user_data,
         GError             **error)
{
  Compare *compare = user_data;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *last_id = NULL;
  DuetMembership membership;
  gboolean valid;
  RoomPair *pair;

  if (part->section == NULL)
    return TRUE;
  if (g_str_equal (part->section, "join"))
    membership = DUET_MEMBERSHIP_JOIN;
  else if (g_str_equal (part->section, "invite"))
    membership = DUET_MEMBERSHIP_INVITE;
  else if (g_str_equal (part->section, "leave"))
    membership = DUET_MEMBERSHIP_LEAVE;
  else
    return TRUE;

  /* Both take the same entries. */
  node = duet_json_part_parse (part, NULL);
  valid = duet_json_raw_validate (part->data, part->length, part->depth, NULL);
  g_assert_cmpint (node != NULL, ==, valid);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return TRUE;

  pair = g_hash_table_lookup (compare->rooms, part->name);
  if (pair == NULL)
    {
      pair = g_new0 (RoomPair, 1);
      pair->tree = _duet_room_new (part->name, compare->own_user_id);
      pair->raw = _duet_room_new (part->name, compare->own_user_id);
      g_hash_table_insert (compare->rooms, g_strdup (part->name), pair);
    }

  if (membership == DUET_MEMBERSHIP_JOIN)
    _duet_room_apply_joined (pair->tree, json_node_get_object (node), compare->own_user_id);
  else if (membership == DUET_MEMBERSHIP_INVITE)
    _duet_room_apply_invited (pair->tree, json_node_get_object (node), compare->own_user_id);
  else
    _duet_room_apply_left (pair->tree, json_node_get_object (node), compare->own_user_id);
  _duet_room_apply_raw (pair->raw, membership, part->data, part->length, part->depth,
                        compare->own_user_id, &last_id);

  assert_same_rooms (pair->tree, pair->raw);
  g_assert_cmpstr (last_id, ==, tree_last_event_id (json_node_get_object (node)));
  compare->compared++;
  return TRUE;
}

guint
duet_test_compare_room_readers (GBytes     *body,
                                const char *own_user_id)
{
  g_autoptr(GHashTable) rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, room_pair_free);
  Compare compare = { own_user_id, rooms, 0 };
  g_autoptr(DuetJsonStream) stream = duet_json_stream_new ("rooms", G_MAXSIZE, G_MAXSIZE, part_cb, &compare);
  gsize size;
  const char *data = g_bytes_get_data (body, &size);

  /* A body the stream refuses never reaches a room. */
  if (!duet_json_stream_feed (stream, data, size, NULL) ||
      !duet_json_stream_finish (stream, NULL))
    return 0;
  return compare.compared;
}
