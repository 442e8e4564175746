/* duet-bench-server.c: the server side of the sync benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "duet-bench-server.h"

static void
static_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  GBytes *bytes = user_data;

  if (!g_str_has_suffix (path, "/sync"))
    {
      soup_server_message_set_status (msg, 404, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        "{\"errcode\":\"M_UNRECOGNIZED\",\"error\":\"no\"}", 40);
      return;
    }
  if (query != NULL && g_hash_table_contains (query, "since"))
    {
      /* A long poll with nothing new: never answered while the bench runs. */
      soup_server_message_pause (msg);
      return;
    }
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), bytes);
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg),
                                         "application/json", NULL);
}

static gboolean
stdin_closed_cb (GIOChannel   *channel,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
duet_bench_serve_static (GBytes *bytes)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOChannel) in = g_io_channel_unix_new (0);
  GSList *uris;

  soup_server_add_handler (server, NULL, static_cb, bytes, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    {
      g_printerr ("listen: %s\n", error->message);
      return 1;
    }
  uris = soup_server_get_uris (server);
  printf ("PORT %d\n", g_uri_get_port (uris->data));
  fflush (stdout);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_io_add_watch (in, G_IO_HUP | G_IO_IN | G_IO_ERR, stdin_closed_cb, loop);
  g_main_loop_run (loop);
  return 0;
}

GSubprocess *
duet_bench_spawn_server (const char * const *argv,
                         char              **url,
                         GError            **error)
{
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;

  child = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDIN_PIPE, error);
  if (child == NULL)
    return NULL;
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  line = g_data_input_stream_read_line (out, NULL, NULL, error);
  if (line == NULL || !g_str_has_prefix (line, "PORT "))
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the server did not start");
      g_subprocess_force_exit (child);
      return NULL;
    }
  *url = g_strdup_printf ("http://127.0.0.1:%s", line + 5);
  return g_steal_pointer (&child);
}

GHashTable *
duet_bench_run_child (const char * const *argv,
                      GError            **error)
{
  g_autoptr(GSubprocess) child = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) pairs = NULL;
  GHashTable *figures;

  child = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, error);
  if (child == NULL || !g_subprocess_communicate_utf8 (child, NULL, NULL, &out, NULL, error))
    return NULL;
  if (!g_subprocess_get_successful (child))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed", argv[0]);
      return NULL;
    }
  figures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  pairs = g_strsplit_set (g_strstrip (out), " \n", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      char *eq = strchr (pairs[i], '=');

      if (eq != NULL)
        g_hash_table_insert (figures, g_strndup (pairs[i], eq - pairs[i]), g_strdup (eq + 1));
    }
  return figures;
}

double
duet_bench_figure (GHashTable *figures,
                   const char *key)
{
  const char *value = g_hash_table_lookup (figures, key);

  return value != NULL ? g_ascii_strtod (value, NULL) : -1;
}
