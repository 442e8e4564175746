/* fuzz-generate-seeds.c: the fuzz targets' seed corpus, from real replies
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * usage: fuzz-generate-seeds OUTPUT_DIR
 *
 * Runs the test homeserver, plays a short history on it (a direct chat
 * with messages, names, an avatar, an invitation, a room upgrade, m.direct
 * written by another device) and writes what a client receives:
 * OUTPUT_DIR/sync/real-N.json (each /sync reply, initial then
 * incremental), OUTPUT_DIR/direct-map/real-N.json (m.direct contents) and
 * OUTPUT_DIR/mxc/real-N.txt (the mxc:// URIs handed out).  The committed
 * seeds in tests/fuzz/corpus/ come from this program; regression seeds
 * for what fuzzing found sit beside them, named regress-*.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "duet-json.h"
#include "duet-test-utils.h"

typedef struct {
  const char *dir;
  guint       count;
} Output;

static void
write_seed (Output     *out,
            const char *data,
            gsize       length,
            const char *extension)
{
  g_autofree char *name = g_strdup_printf ("real-%02u.%s", ++out->count, extension);
  g_autofree char *path = g_build_filename (out->dir, name, NULL);
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents (path, data, length, &error))
    g_error ("%s", error->message);
}

static void
write_json_seed (Output     *out,
                 JsonObject *object)
{
  g_autofree char *text = duet_json_object_to_string (object);

  write_seed (out, text, strlen (text), "json");
}

static JsonObject *
sync_once (DuetTestFixture *f,
           const char      *since)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *reply;

  duet_client_sync_async (f->client, since, NULL, 0, NULL, duet_test_result_cb, &result);
  reply = duet_client_sync_finish (f->client, duet_test_wait (&result), &error);
  g_assert_no_error (error);
  return reply;
}

static void
set_member (DuetTestFixture *f,
            const char      *room_id,
            const char      *user_id,
            const char      *display_name,
            const char      *avatar_url)
{
  g_autoptr(JsonObject) content = json_object_new ();

  json_object_set_string_member (content, "membership", "join");
  json_object_set_string_member (content, "displayname", display_name);
  if (avatar_url != NULL)
    json_object_set_string_member (content, "avatar_url", avatar_url);
  g_free (duet_test_homeserver_send_event (f->server, room_id, user_id, "m.room.member", user_id,
                                           content));
}

static void
set_direct (DuetTestFixture *f,
            Output          *out,
            const char      *json)
{
  g_autoptr(JsonObject) content = duet_test_json_object (json);

  duet_test_homeserver_set_account_data (f->server, f->alice, "m.direct", content);
  write_json_seed (out, content);
}

int
main (int   argc,
      char *argv[])
{
  DuetTestFixture fixture = { 0 };
  DuetTestFixture *f = &fixture;
  Output sync_out = { 0 }, direct_out = { 0 }, mxc_out = { 0 };
  g_autofree char *sync_dir = NULL, *direct_dir = NULL, *mxc_dir = NULL;
  g_autoptr(GBytes) image = g_bytes_new_static ("GIF89a", 6);
  g_autofree char *avatar = NULL, *picture = NULL;
  g_autofree char *room = NULL, *group = NULL, *invite = NULL, *upgraded = NULL;
  g_autofree char *carol = NULL, *direct = NULL, *since = NULL;
  g_autoptr(JsonObject) reply = NULL;
  const char *invitees[2] = { NULL, NULL };

  if (argc != 2)
    {
      g_printerr ("usage: %s OUTPUT_DIR\n", argv[0]);
      return 2;
    }

  sync_dir = g_build_filename (argv[1], "sync", NULL);
  direct_dir = g_build_filename (argv[1], "direct-map", NULL);
  mxc_dir = g_build_filename (argv[1], "mxc", NULL);
  for (const char *dir = sync_dir; dir != NULL; dir = dir == sync_dir ? direct_dir : dir == direct_dir ? mxc_dir : NULL)
    if (g_mkdir_with_parents (dir, 0755) != 0)
      g_error ("%s: %s", dir, g_strerror (errno));
  sync_out.dir = sync_dir;
  direct_out.dir = direct_dir;
  mxc_out.dir = mxc_dir;

  duet_test_fixture_setup (f, NULL);
  carol = duet_test_homeserver_add_user (f->server, "carol", "carol-password", "Carol");

  /* A direct chat Bob started, with an avatar and a few messages. */
  invitees[0] = f->alice;
  room = duet_test_homeserver_create_room (f->server, f->bob, "trusted_private_chat", invitees, TRUE);
  duet_test_homeserver_join (f->server, room, f->alice);
  avatar = duet_test_homeserver_add_media (f->server, image, "image/gif");
  write_seed (&mxc_out, avatar, strlen (avatar), "txt");
  set_member (f, room, f->bob, "Bob <b>Builder</b>", avatar);
  g_free (duet_test_homeserver_send_message (f->server, room, f->bob, "Hello Alice"));
  g_free (duet_test_homeserver_send_message (f->server, room, f->alice, "Hi Bob & co"));
  direct = g_strdup_printf ("{\"%s\": [\"%s\"]}", f->bob, room);
  set_direct (f, &direct_out, direct);

  reply = sync_once (f, NULL);
  write_json_seed (&sync_out, reply);
  since = g_strdup (json_object_get_string_member (reply, "next_batch"));
  g_clear_pointer (&reply, json_object_unref);

  /* Then: a group room, an is_direct invite from Carol, an upgrade. */
  invitees[0] = f->bob;
  group = duet_test_homeserver_create_room (f->server, f->alice, "private_chat", invitees, FALSE);
  duet_test_homeserver_join (f->server, group, f->bob);
  invitees[0] = f->alice;
  invite = duet_test_homeserver_create_room (f->server, carol, "trusted_private_chat", invitees, TRUE);
  picture = duet_test_homeserver_add_media (f->server, image, "image/gif");
  write_seed (&mxc_out, picture, strlen (picture), "txt");
  g_free (duet_test_homeserver_send_message (f->server, room, f->bob, "\xe2\x80\xae" "olleH"));
  upgraded = duet_test_homeserver_upgrade_room (f->server, room, f->bob);
  duet_test_homeserver_join (f->server, upgraded, f->alice);
  g_free (direct);
  direct = g_strdup_printf ("{\"%s\": [\"%s\", \"%s\"], \"%s\": [\"%s\"], \"carol@example.org\": [\"%s\"]}",
                            f->bob, room, upgraded, carol, invite, group);
  set_direct (f, &direct_out, direct);

  reply = sync_once (f, since);
  write_json_seed (&sync_out, reply);
  g_clear_pointer (&reply, json_object_unref);

  /* A fresh device's initial sync sees it all at once. */
  reply = sync_once (f, NULL);
  write_json_seed (&sync_out, reply);
  g_clear_pointer (&reply, json_object_unref);

  duet_test_fixture_teardown (f, NULL);
  g_print ("%u sync, %u m.direct and %u mxc seeds in %s\n",
           sync_out.count, direct_out.count, mxc_out.count, argv[1]);
  return EXIT_SUCCESS;
}
