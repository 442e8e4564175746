/* bench-initial-sync.c: an account's first /sync into Duet's model and cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A figure printer, not a test.  A child process serves the initial /sync
 * of a synthetic account (duet-bench-account.h) over loopback, so the
 * network path is included and the server's memory is not counted.  Two
 * more children, each a fresh process, then take the same bytes:
 *
 *   bare   fetches them and parses them with one json-glib JsonParser
 *          (the floor a tree-building client cannot go under);
 *   duet   runs DuetClient + DuetSyncLoop + DuetSession with a DuetStore:
 *          from duet_session_start() until the model has taken the
 *          response (::synced) and the store has committed it.
 *
 * Each prints its wall time and its peak RSS (VmHWM, reset just before the
 * measured span, so start-up is not counted).
 *
 *   bench-initial-sync [ROOMS [SEED]]          (default 1000 rooms)
 *
 * Instruction counts, stable on a busy machine: start a server by hand
 * (it serves while its stdin stays open) and run one child under callgrind:
 *
 *   mkfifo f; bench-initial-sync --serve 5000 8 < f & exec 3> f   (prints PORT n)
 *   valgrind --tool=callgrind bench-initial-sync --duet http://127.0.0.1:n
 *   valgrind --tool=callgrind bench-initial-sync --bare http://127.0.0.1:n
 *   exec 3>&-
 *
 * (--homeserver, the account loaded into the test homeserver so that
 * Duet's filter applies, is not written yet.)
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <stdio.h>

#include "duet-bench-account.h"
#include "duet-bench-server.h"
#include "duet-session.h"

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

/* --- bare: one JsonParser over the whole body ----------------------------- */

static int
run_bare (const char *url)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *uri = g_strconcat (url, "/_matrix/client/v3/sync", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  gint64 start, parse_start;
  double fetch_ms, parse_ms;

  duet_bench_reset_peak_rss ();
  start = g_get_monotonic_time ();
  body = soup_session_send_and_read (session, msg, NULL, &error);
  if (body == NULL)
    g_error ("fetch: %s", error->message);
  fetch_ms = ms_since (start);

  parse_start = g_get_monotonic_time ();
  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error))
    g_error ("parse: %s", error->message);
  parse_ms = ms_since (parse_start);

  printf ("bytes=%" G_GSIZE_FORMAT " fetch_ms=%.1f parse_ms=%.1f peak_kb=%" G_GUINT64_FORMAT "\n",
          g_bytes_get_size (body), fetch_ms, parse_ms, duet_bench_peak_rss_kb ());
  return 0;
}

/* --- duet: the client's own path ------------------------------------------ */

typedef struct {
  DuetStore *store;
  gint64     synced_at;
  gint64     stored_at;
  GError    *error;
} DuetRun;

static void
token_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  DuetRun *run = user_data;
  g_autofree char *token = duet_store_get_sync_token_finish (DUET_STORE (object), result, &run->error);

  /* Jobs run in order: the save queued before this one is committed. */
  run->stored_at = g_get_monotonic_time ();
  if (token == NULL && run->error == NULL)
    g_set_error_literal (&run->error, G_IO_ERROR, G_IO_ERROR_FAILED, "nothing was stored");
}

static void
synced_cb (DuetSession *session,
           DuetRun     *run)
{
  if (run->synced_at != 0)
    return;
  run->synced_at = g_get_monotonic_time ();
  duet_store_get_sync_token_async (run->store, token_cb, run);
}

static void
store_error_cb (DuetSession *session,
                GError      *error,
                DuetRun     *run)
{
  g_clear_error (&run->error);
  run->error = g_error_copy (error);
}

static void
opened_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  DuetRun *run = user_data;

  run->store = duet_store_open_finish (result, &run->error);
}

static int
run_duet (const char *url)
{
  g_autofree char *dir = g_dir_make_tmp ("duet-bench-sync-XXXXXX", NULL);
  g_autoptr(DuetClient) client = duet_client_new (url);
  g_autoptr(DuetSession) session = NULL;
  DuetRun run = { 0 };
  gint64 start;
  g_autofree char *rm = NULL;

  duet_store_open_async (dir, NULL, opened_cb, &run);
  while (run.store == NULL && run.error == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (run.error != NULL)
    g_error ("store: %s", run.error->message);

  duet_client_set_session (client, DUET_BENCH_OWN_USER, "BENCHDEVICE", "bench-token");
  /* The request timeout counts until the body's end: under callgrind a
   * large body takes minutes, and each timeout would start the whole
   * /sync again (counting its work several times). */
  duet_client_set_request_timeout (client, 3600 * 1000);
  session = duet_session_new (client);
  duet_session_set_store (session, run.store);
  g_signal_connect (session, "synced", G_CALLBACK (synced_cb), &run);
  g_signal_connect (session, "store-error", G_CALLBACK (store_error_cb), &run);

  duet_bench_reset_peak_rss ();
  start = g_get_monotonic_time ();
  duet_session_start (session);
  while (run.stored_at == 0 && run.error == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (run.error != NULL)
    g_error ("sync: %s", run.error->message);

  printf ("model_ms=%.1f total_ms=%.1f peak_kb=%" G_GUINT64_FORMAT " rooms=%u contacts=%u\n",
          (run.synced_at - start) / 1000.0, (run.stored_at - start) / 1000.0,
          duet_bench_peak_rss_kb (),
          g_list_model_get_n_items (duet_session_get_rooms (session)),
          g_list_model_get_n_items (duet_session_get_contacts (session)));

  duet_session_stop (session);
  g_clear_object (&session);
  g_clear_object (&run.store);
  rm = g_strdup_printf ("rm -rf '%s'", dir);
  if (system (rm) != 0)
    return 1;
  return 0;
}

/* --- the orchestrator ------------------------------------------------------ */

int
main (int   argc,
      char *argv[])
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GHashTable) bare = NULL;
  g_autoptr(GHashTable) duet = NULL;
  g_autofree char *url = NULL;
  g_autofree char *rooms_arg = NULL;
  g_autofree char *seed_arg = NULL;
  gboolean homeserver = FALSE;
  int first = 1;

  if (argc > 2 && g_str_equal (argv[1], "--bare"))
    return run_bare (argv[2]);
  if (argc > 2 && g_str_equal (argv[1], "--duet"))
    return run_duet (argv[2]);
  if (argc > 1 && g_str_equal (argv[1], "--serve"))
    {
      guint rooms = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 1000;
      guint32 seed = argc > 3 ? (guint32) g_ascii_strtoull (argv[3], NULL, 10) : DUET_BENCH_DEFAULT_SEED;
      g_autoptr(GBytes) bytes = duet_bench_account_generate (rooms, seed);

      return duet_bench_serve_static (bytes);
    }
  if (argc > 1 && g_str_equal (argv[1], "--homeserver"))
    {
      homeserver = TRUE;
      first = 2;
      g_printerr ("--homeserver: loading the account into the test homeserver is not written yet\n");
      return 2;
    }

  rooms_arg = g_strdup (argc > first ? argv[first] : "1000");
  seed_arg = g_strdup (argc > first + 1 ? argv[first + 1] : G_STRINGIFY (DUET_BENCH_DEFAULT_SEED));

  {
    const char *serve_argv[] = { self, homeserver ? "--serve-homeserver" : "--serve",
                                 rooms_arg, seed_arg, NULL };

    server = duet_bench_spawn_server (serve_argv, &url, &error);
    if (server == NULL)
      g_error ("server: %s", error->message);
  }

  {
    const char *bare_argv[] = { self, "--bare", url, NULL };
    const char *duet_argv[] = { self, "--duet", url, NULL };

    bare = duet_bench_run_child (bare_argv, &error);
    if (bare == NULL)
      g_error ("bare: %s", error->message);
    duet = duet_bench_run_child (duet_argv, &error);
    if (duet == NULL)
      g_error ("duet: %s", error->message);
  }
  g_subprocess_force_exit (server);

  printf ("initial sync, %s rooms (seed %s%s), %.1f MB of JSON:\n", rooms_arg, seed_arg,
          homeserver ? ", test homeserver with Duet's filter" : ", the same bytes whatever the filter",
          duet_bench_figure (bare, "bytes") / 1e6);
  printf ("  bare json-glib parse:  %8.1f ms (fetch %.1f ms before it), peak RSS %6.1f MB\n",
          duet_bench_figure (bare, "parse_ms"), duet_bench_figure (bare, "fetch_ms"),
          duet_bench_figure (bare, "peak_kb") / 1024);
  printf ("  Duet model + store:    %8.1f ms (model ready at %.1f ms),   peak RSS %6.1f MB\n",
          duet_bench_figure (duet, "total_ms"), duet_bench_figure (duet, "model_ms"),
          duet_bench_figure (duet, "peak_kb") / 1024);
  printf ("  ratio Duet / bare parse: time %.2f, peak RSS %.2f  (%.0f rooms, %.0f contacts)\n",
          duet_bench_figure (duet, "total_ms") / duet_bench_figure (bare, "parse_ms"),
          duet_bench_figure (duet, "peak_kb") / duet_bench_figure (bare, "peak_kb"),
          duet_bench_figure (duet, "rooms"), duet_bench_figure (duet, "contacts"));
  return 0;
}
