/* bench-cached-start.c: from the local cache to a populated contact list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A figure printer, not a test.  A first child process fills a DuetStore
 * with a synthetic account's initial /sync (duet-bench-account.h) through
 * the session's streamed path.  Then, each in a new process:
 *
 *   start    opens the store, loads its snapshot into a DuetSession and
 *            stops once the contact list is populated;
 *   window   the same, then shows the contacts page (DuetContactsPage) in
 *            a window and stops at the first frame that shows the list.
 *            (Not DuetWindow itself, which opens the account from the
 *            keyring: the page is what the window shows first.)
 *
 * Times count from the start of main(), so process start-up, GTK's
 * included, is in them; peak RSS is VmHWM.
 *
 *   bench-cached-start [ROOMS]                        (default 1000)
 *   xvfb-run -a -s "-screen 0 1280x800x24" bench-cached-start --window [ROOMS]
 *
 * Instruction counts:
 *   bench-cached-start --prepare DIR ROOMS
 *   valgrind --tool=callgrind bench-cached-start --start DIR
 */
#include "config.h"

#include <adwaita.h>
#include <stdio.h>

#include "duet-bench-account.h"
#include "duet-bench-feed.h"
#include "duet-bench-server.h"
#include "duet-contacts-page.h"
#include "duet-session-private.h"

static gint64 main_start;

typedef struct {
  DuetStore *store;
  GError    *error;
  gboolean   done;
  gint64     shown_at;
} Wait;

static void
opened_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Wait *wait = user_data;

  wait->store = duet_store_open_finish (result, &wait->error);
  wait->done = TRUE;
}

static void
token_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Wait *wait = user_data;
  g_autofree char *token = duet_store_get_sync_token_finish (DUET_STORE (object), result, &wait->error);

  wait->done = TRUE;
}

static void
cache_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Wait *wait = user_data;

  duet_session_load_cache_finish (DUET_SESSION (object), result, &wait->error);
  wait->done = TRUE;
}

static void
snapshot_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  DuetStoreStart **snapshot = user_data;

  *snapshot = duet_store_load_start_snapshot_finish (DUET_STORE (object), result, NULL);
}

static void
run_until_done (Wait *wait)
{
  while (!wait->done)
    g_main_context_iteration (NULL, TRUE);
  if (wait->error != NULL)
    g_error ("%s", wait->error->message);
  wait->done = FALSE;
}

static DuetSession *
new_session (void)
{
  g_autoptr(DuetClient) client = duet_client_new ("http://127.0.0.1:9");

  duet_client_set_session (client, DUET_BENCH_OWN_USER, "BENCHDEVICE", "bench-token");
  return duet_session_new (client);
}

static void
entries_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Wait *wait = user_data;

  duet_store_write_start_entries_finish (DUET_STORE (object), result, &wait->error);
  wait->done = TRUE;
}

static int
prepare (const char *dir,
         guint       n_rooms,
         gboolean    fresh)
{
  g_autoptr(DuetSession) session = new_session ();
  g_autoptr(GBytes) account = duet_bench_account_generate (n_rooms, DUET_BENCH_DEFAULT_SEED);
  g_autoptr(GError) error = NULL;
  Wait wait = { 0 };

  duet_store_open_async (dir, NULL, opened_cb, &wait);
  run_until_done (&wait);
  duet_session_set_store (session, wait.store);
  if (!duet_bench_feed_session (session, account, &error))
    g_error ("account: %s", error->message);
  duet_store_get_sync_token_async (wait.store, token_cb, &wait);
  run_until_done (&wait);
  /* As the worker does once idle after the sync (a start after a quit
   * that came first builds them itself, as a cache made with --prepare-fresh shows). */
  if (!fresh)
    {
      gint64 t0 = g_get_monotonic_time ();

      duet_store_write_start_entries_async (wait.store, DUET_BENCH_OWN_USER, entries_cb, &wait);
      run_until_done (&wait);
      printf ("entries_ms=%.1f\n", (g_get_monotonic_time () - t0) / 1000.0);
    }
  g_clear_object (&session);
  g_clear_object (&wait.store);
  return 0;
}

static void
after_paint_cb (GdkFrameClock *clock,
                Wait          *wait)
{
  if (wait->shown_at == 0)
    wait->shown_at = g_get_monotonic_time ();
}

static int
start (const char *dir,
       gboolean    window)
{
  g_autoptr(DuetSession) session = NULL;
  Wait wait = { 0 };
  gint64 loaded_at;

  if (window)
    {
      gtk_init ();
      adw_init ();
    }
  session = new_session ();
  duet_store_open_async (dir, NULL, opened_cb, &wait);
  run_until_done (&wait);
  duet_session_set_store (session, wait.store);
  duet_session_load_cache_async (session, NULL, cache_loaded_cb, &wait);
  run_until_done (&wait);
  loaded_at = g_get_monotonic_time ();
  if (g_list_model_get_n_items (duet_session_get_contacts (session)) == 0)
    g_error ("no contacts after loading the cache");

  if (window)
    {
      GtkWidget *win = gtk_window_new ();
      GtkWidget *page = duet_contacts_page_new ();

      gtk_window_set_default_size (GTK_WINDOW (win), 420, 760);
      gtk_window_set_child (GTK_WINDOW (win), page);
      duet_contacts_page_set_session (DUET_CONTACTS_PAGE (page), session);
      gtk_widget_realize (win);
      g_signal_connect_after (gtk_widget_get_frame_clock (win), "after-paint",
                              G_CALLBACK (after_paint_cb), &wait);
      gtk_window_present (GTK_WINDOW (win));
      while (wait.shown_at == 0)
        g_main_context_iteration (NULL, TRUE);
      gtk_window_destroy (GTK_WINDOW (win));
    }

  printf ("contacts_ms=%.1f frame_ms=%.1f peak_kb=%" G_GUINT64_FORMAT " rooms=%u contacts=%u\n",
          (loaded_at - main_start) / 1000.0,
          wait.shown_at != 0 ? (wait.shown_at - main_start) / 1000.0 : 0.0,
          duet_bench_peak_rss_kb (), g_list_model_get_n_items (duet_session_get_rooms (session)),
          g_list_model_get_n_items (duet_session_get_contacts (session)));
  g_clear_object (&session);
  g_clear_object (&wait.store);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) figures = NULL;
  g_autofree char *rm = NULL;
  double entries_ms;
  gboolean window;
  const char *rooms;

  main_start = g_get_monotonic_time ();
  if (argc > 3 && g_str_equal (argv[1], "--prepare"))
    return prepare (argv[2], (guint) g_ascii_strtoull (argv[3], NULL, 10), FALSE);
  if (argc > 3 && g_str_equal (argv[1], "--prepare-fresh"))
    return prepare (argv[2], (guint) g_ascii_strtoull (argv[3], NULL, 10), TRUE);
  if (argc > 2 && g_str_equal (argv[1], "--start"))
    return start (argv[2], FALSE);
  if (argc > 2 && g_str_equal (argv[1], "--phases"))
    {
      /* Where the time goes: the store's read of the start snapshot, then
       * the model's ingest of it and the contact list (without the read
       * of the members of rooms m.direct names, which the start adds). */
      g_autoptr(DuetSession) session = new_session ();
      g_autoptr(DuetStoreStart) snapshot = NULL;
      Wait wait = { 0 };
      gint64 t0 = g_get_monotonic_time (), t1, t2;

      duet_store_open_async (argv[2], NULL, opened_cb, &wait);
      run_until_done (&wait);
      t1 = g_get_monotonic_time ();
      duet_store_load_start_snapshot_async (wait.store, DUET_BENCH_OWN_USER, snapshot_cb, &snapshot);
      while (snapshot == NULL)
        g_main_context_iteration (NULL, TRUE);
      t2 = g_get_monotonic_time ();
      _duet_session_ingest_start (session, snapshot);
      _duet_session_update_contacts (session);
      printf ("open_ms=%.1f snapshot_ms=%.1f ingest_ms=%.1f\n", (t1 - t0) / 1000.0, (t2 - t1) / 1000.0,
              (g_get_monotonic_time () - t2) / 1000.0);
      g_clear_object (&session);
      g_clear_object (&wait.store);
      return 0;
    }
  if (argc > 2 && g_str_equal (argv[1], "--start-window"))
    return start (argv[2], TRUE);

  window = argc > 1 && g_str_equal (argv[1], "--window");
  rooms = argc > (window ? 2 : 1) ? argv[window ? 2 : 1] : "1000";
  dir = g_dir_make_tmp ("duet-bench-cached-XXXXXX", NULL);

  {
    const char *prepare_argv[] = { self, "--prepare", dir, rooms, NULL };
    const char *start_argv[] = { self, window ? "--start-window" : "--start", dir, NULL };
    g_autoptr(GHashTable) done = duet_bench_run_child (prepare_argv, &error);

    if (done == NULL)
      g_error ("prepare: %s", error->message);
    entries_ms = duet_bench_figure (done, "entries_ms");
    figures = duet_bench_run_child (start_argv, &error);
    if (figures == NULL)
      g_error ("start: %s", error->message);
  }

  printf ("cached start, %s rooms (%.0f rooms, %.0f contacts), new process:\n", rooms,
          duet_bench_figure (figures, "rooms"), duet_bench_figure (figures, "contacts"));
  printf ("  store opened, snapshot loaded, contact list populated: %.1f ms after main()\n",
          duet_bench_figure (figures, "contacts_ms"));
  if (window)
    printf ("  first frame of the contacts page: %.1f ms after main()\n", duet_bench_figure (figures, "frame_ms"));
  printf ("  peak RSS %.1f MB\n", duet_bench_figure (figures, "peak_kb") / 1024);
  printf ("  (after the sync, the store's worker wrote the rooms' start entries in %.1f ms)\n", entries_ms);

  rm = g_strdup_printf ("rm -rf '%s'", dir);
  return system (rm) == 0 ? 0 : 1;
}
