/* duet-demo-homeserver.c: the test homeserver on its own, seeded for a demo
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * duet-demo-homeserver [--port N]   (default 8008, loopback only)
 */
#include "config.h"

#include <glib-unix.h>
#include <stdio.h>

#include "duet-test-homeserver.h"

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;  /* removed by main () */
}

static void
print_rooms (DuetTestHomeserver *server,
             const char         *user_id)
{
  g_autoptr(GPtrArray) rooms = duet_test_homeserver_list_rooms (server, user_id);

  for (guint i = 0; i < rooms->len; i++)
    {
      const char *room_id = rooms->pdata[i];
      g_autoptr(JsonObject) name = duet_test_homeserver_get_state (server, room_id, "m.room.name", "");
      const char *membership = duet_test_homeserver_get_membership (server, room_id, user_id);

      printf ("  %s  %-6s %s\n", room_id, membership,
              name ? json_object_get_string_member_with_default (name, "name", "") : "(direct chat)");
    }
}

int
main (int   argc,
      char *argv[])
{
  int port = 8008;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port to listen on (127.0.0.1)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- Duet's demo homeserver");
  g_autoptr(GError) error = NULL;
  g_autoptr(DuetTestHomeserver) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  guint sigint_id, sigterm_id;
  static const char * const people[][2] = {
    { "@demo:localhost", "demo-password" },
    { "@alice:localhost", "alice-password" },
    { "@bob:localhost", "bob-password" },
    { "@carol:localhost", "carol-password" },
    { "@echo:localhost", "echo-password" },
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (port < 0 || port > 65535)
    {
      g_printerr ("Invalid port %d\n", port);
      return 2;
    }

  server = duet_test_homeserver_new (port, &error);
  if (server == NULL)
    {
      g_printerr ("Cannot listen on 127.0.0.1:%d: %s\n", port, error->message);
      return 1;
    }
  duet_test_homeserver_seed_demo (server);

  printf ("Duet demo homeserver %s\n", PACKAGE_VERSION);
  printf ("Homeserver URL: %s  (server name %s)\n\n", duet_test_homeserver_get_url (server),
          duet_test_homeserver_get_server_name (server));
  printf ("Users (user id, password):\n");
  for (guint i = 0; i < G_N_ELEMENTS (people); i++)
    printf ("  %-18s %s\n", people[i][0], people[i][1]);
  printf ("\nRooms of @demo:localhost:\n");
  print_rooms (server, "@demo:localhost");
  printf ("\n@echo:localhost answers every message in its rooms.  Ctrl+C to stop.\n");
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, quit_cb, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  return 0;
}
