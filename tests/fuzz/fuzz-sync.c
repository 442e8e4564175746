/* fuzz-sync.c: a /sync response body from the wire into the model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The path the sync loop takes: the bytes are bounded and parsed as
 * DuetClient does (duet_json_parse_object with the /sync size cap), then
 * duet_session_ingest() feeds a fresh session twice (the second time takes
 * the update paths).  Everything the model then shows must be valid UTF-8
 * with no control characters, and no GLib warning may fire.
 */
#include "config.h"

#include "duet-client-private.h"
#include "duet-contact.h"
#include "duet-json.h"
#include "duet-session.h"
#include "fuzz-common.h"

static DuetClient *
fuzz_client (void)
{
  static DuetClient *client;

  if (client == NULL)
    {
      /* Never contacted: ingest does no I/O. */
      client = duet_client_new ("http://127.0.0.1:9");
      duet_client_set_session (client, "@alice:localhost", "FUZZ", "fuzz-token");
    }
  return client;
}

static void
check_shown (const char *text)
{
  if (text == NULL)
    return;
  g_assert_true (g_utf8_validate (text, -1, NULL));
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    g_assert_false (g_unichar_iscntrl (g_utf8_get_char (p)));
}

static void
check_model (DuetSession *session)
{
  GListModel *rooms = duet_session_get_rooms (session);
  GListModel *contacts = duet_session_get_contacts (session);

  for (guint i = 0; i < g_list_model_get_n_items (rooms); i++)
    {
      g_autoptr(DuetRoom) room = g_list_model_get_item (rooms, i);

      g_assert_true (duet_session_lookup_room (session, duet_room_get_id (room)) == room);
      check_shown (duet_room_get_name (room));
      check_shown (duet_room_get_last_message (room));
    }

  for (guint i = 0; i < g_list_model_get_n_items (contacts); i++)
    {
      g_autoptr(DuetContact) contact = g_list_model_get_item (contacts, i);

      check_shown (duet_contact_get_name (contact));
      check_shown (duet_contact_get_last_message (contact));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(DuetSession) session = NULL;

  duet_fuzz_init ();

  bytes = g_bytes_new_static (data, size);
  response = duet_json_parse_object (bytes, DUET_CLIENT_MAX_SYNC_SIZE, NULL);
  if (response == NULL)
    return 0;

  session = duet_session_new (fuzz_client ());
  duet_session_ingest (session, response);
  check_model (session);
  duet_session_ingest (session, response);
  check_model (session);

  g_clear_object (&session);
  duet_fuzz_drain_main_context ();
  return 0;
}
