/* fuzz-direct-map.c: m.direct content into DuetDirectMap, and its write-back check
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The bytes are an m.direct content as GET /account_data/m.direct (or
 * /sync) delivers it.  The mirror must take only valid user ids mapped to
 * valid room ids.  And the write path's promise is checked: content that
 * duet_json_check_round_trip() lets through must come back equal after
 * json-glib writes it out and reads it again, or a PUT would corrupt what
 * other clients stored there.
 */
#include "config.h"

#include <string.h>

#include "duet-direct-map.h"
#include "duet-json.h"
#include "duet-matrix-id.h"
#include "fuzz-common.h"

static DuetClient *
fuzz_client (void)
{
  static DuetClient *client;

  if (client == NULL)
    {
      /* Never contacted: updating the mirror does no I/O. */
      client = duet_client_new ("http://127.0.0.1:9");
      duet_client_set_session (client, "@alice:localhost", "FUZZ", "fuzz-token");
    }
  return client;
}

static void
check_mirror (DuetDirectMap *map)
{
  g_auto(GStrv) users = duet_direct_map_dup_users (map);

  for (guint i = 0; users[i] != NULL; i++)
    {
      g_auto(GStrv) rooms = duet_direct_map_dup_rooms_for_user (map, users[i]);

      g_assert_true (duet_matrix_is_valid_user_id (users[i]));
      g_assert_true (i == 0 || strcmp (users[i - 1], users[i]) < 0);
      g_assert_nonnull (rooms[0]);
      for (guint j = 0; rooms[j] != NULL; j++)
        {
          g_assert_true (duet_matrix_is_valid_room_id (rooms[j]));
          g_assert_true (duet_direct_map_is_direct (map, rooms[j]));
          g_assert_nonnull (duet_direct_map_get_user_for_room (map, rooms[j]));
        }
    }
}

static void
check_round_trip (JsonNode *root)
{
  g_autofree char *written = duet_json_to_string (root);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reread = duet_json_parse (written, -1, G_MAXSIZE, &error);

  g_assert_no_error (error);
  g_assert_true (json_node_equal (root, reread));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(DuetDirectMap) map = NULL;

  duet_fuzz_init ();

  root = duet_json_parse ((const char *) data, size, DUET_JSON_MAX_SIZE, NULL);
  if (root == NULL)
    return 0;

  if (duet_json_check_round_trip ((const char *) data, size, NULL))
    check_round_trip (root);

  if (!JSON_NODE_HOLDS_OBJECT (root))
    return 0;

  map = duet_direct_map_new (fuzz_client ());
  duet_direct_map_update (map, json_node_get_object (root));
  check_mirror (map);
  /* A second, equal update must change nothing and still hold. */
  duet_direct_map_update (map, json_node_get_object (root));
  check_mirror (map);

  g_clear_object (&map);
  duet_fuzz_drain_main_context ();
  return 0;
}
