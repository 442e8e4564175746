/* bench-contacts-scroll.c: the GTK contact list of thousands of people
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A figure printer, not a test.  The real contacts page (DuetContactsPage:
 * a recycling GtkListView of DuetContactRow, avatars through the loader)
 * shows a session that took a synthetic account where every room is a DM
 * (duet-bench-account.h), so the list has PEOPLE rows.  Then a tick
 * callback scrolls it by STEP pixels per frame, top to bottom and back.
 * Printed: the time to the first frame that shows the list, and for every
 * scrolled frame the time the frame clock spent on it (before-paint to the
 * end of after-paint: the work a stall is made of) and the interval since
 * the previous frame, as median, p95 and max.  Avatars are served (a
 * 96×96 PNG for every mxc://) by a child process over loopback and go
 * through the avatar loader and its disk cache, as in the app: every person
 * has an avatar of their own, or with --shared-avatars the few URIs the
 * account generator numbers per room (so most rows share a handful); with
 * --no-avatars the rows have none and show initials.  Beside the wall
 * time of each frame, the main thread's CPU time in it: on a shared
 * machine that one does not count the time other processes took the CPU
 * (it leaves out the GL renderer's llvmpipe threads and the X server).
 *
 *   xvfb-run -s "-screen 0 1280x800x24" bench-contacts-scroll [--no-avatars|--shared-avatars] [PEOPLE [STEP]]
 *   GSK_RENDERER=cairo xvfb-run ... bench-contacts-scroll
 *
 * With DUET_BENCH_SCREENSHOT=FILE.png it first saves a picture of the list
 * as it looks a second after it shows (avatars in), to compare row changes
 * by eye.
 *
 * Under callgrind (slow: use few frames):
 *   xvfb-run valgrind --tool=callgrind bench-contacts-scroll 5000 2000
 * or, to count the scrolled frames' work alone (instructions per frame:
 * callgrind's "Collected" over the frames printed):
 *   xvfb-run valgrind --tool=callgrind --collect-atstart=no bench-contacts-scroll 1000
 */
#include "config.h"

#include <adwaita.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "duet-bench-account.h"
#include "duet-bench-feed.h"
#include "duet-bench-server.h"
#include "duet-contacts-page.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_TOGGLE_COLLECT
#endif

#define MAX_FRAMES 4000

typedef struct {
  GtkWidget     *window;
  GtkAdjustment *vadj;
  double         step;
  int            direction;
  guint          passes;
  gint64         shown_at;
  gint64         frame_start;
  gint64         frame_start_cpu;
  gint64         last_frame_end;
  gboolean       collecting;
  double         work_ms[MAX_FRAMES];
  double         cpu_ms[MAX_FRAMES];
  double         interval_ms[MAX_FRAMES];
  guint          n_frames;
  gboolean       scrolling;
  gboolean       done;
} Scroll;

static GtkWidget *
find_list_view (GtkWidget *widget)
{
  if (GTK_IS_LIST_VIEW (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_list_view (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Microseconds of CPU time the calling thread used. */
static gint64
thread_cpu_time (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
before_paint_cb (GdkFrameClock *clock,
                 Scroll        *scroll)
{
  scroll->frame_start = g_get_monotonic_time ();
  scroll->frame_start_cpu = thread_cpu_time ();
  if (scroll->scrolling && !scroll->collecting)
    {
      CALLGRIND_TOGGLE_COLLECT;
      scroll->collecting = TRUE;
    }
}

static void
after_paint_cb (GdkFrameClock *clock,
                Scroll        *scroll)
{
  gint64 now = g_get_monotonic_time ();

  if (scroll->collecting)
    {
      CALLGRIND_TOGGLE_COLLECT;
      scroll->collecting = FALSE;
    }
  if (scroll->shown_at == 0)
    scroll->shown_at = now;
  if (scroll->scrolling && scroll->n_frames < MAX_FRAMES && scroll->frame_start != 0)
    {
      scroll->work_ms[scroll->n_frames] = (now - scroll->frame_start) / 1000.0;
      scroll->cpu_ms[scroll->n_frames] = (thread_cpu_time () - scroll->frame_start_cpu) / 1000.0;
      scroll->interval_ms[scroll->n_frames] = scroll->last_frame_end != 0
                                              ? (now - scroll->last_frame_end) / 1000.0 : 0;
      scroll->n_frames++;
    }
  scroll->last_frame_end = now;
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  Scroll *scroll = user_data;
  double value = gtk_adjustment_get_value (scroll->vadj);
  double upper = gtk_adjustment_get_upper (scroll->vadj) - gtk_adjustment_get_page_size (scroll->vadj);

  if (!scroll->scrolling)
    {
      scroll->scrolling = TRUE;
      return G_SOURCE_CONTINUE;
    }
  value += scroll->direction * scroll->step;
  if (value >= upper || value <= 0)
    {
      value = CLAMP (value, 0, upper);
      scroll->direction = -scroll->direction;
      scroll->passes++;
    }
  gtk_adjustment_set_value (scroll->vadj, value);
  if (scroll->passes >= 2 || scroll->n_frames >= MAX_FRAMES)
    {
      scroll->done = TRUE;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
wait_done_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The window's contents on the window's background, as a PNG. */
static void
save_screenshot (GtkWidget  *window,
                 const char *path)
{
  GtkWidget *content = gtk_widget_get_first_child (window);
  int width = gtk_widget_get_width (content);
  int height = gtk_widget_get_height (content);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (content);
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  gboolean waited = FALSE;
  GdkRGBA background;

  g_timeout_add (1000, wait_done_cb, &waited);
  while (!waited)
    g_main_context_iteration (NULL, TRUE);

  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (window), "window_bg_color", &background))
    gdk_rgba_parse (&background, "white");
  gtk_snapshot_append_color (snapshot, &background, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    g_error ("could not save %s", path);
}

/* --- The media server (child process) ------------------------------------- */

static void
media_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  GBytes *png = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (g_str_has_suffix (path, "/versions"))
    {
      static const char versions[] = "{\"versions\":[\"v1.11\"]}";

      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        versions, sizeof versions - 1);
      return;
    }
  if (strstr (path, "/download/") != NULL)
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_message_body_append_bytes (soup_server_message_get_response_body (msg), png);
      soup_message_headers_set_content_type (headers, "image/png", NULL);
      return;
    }
  soup_server_message_set_status (msg, 404, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                    "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"no\"}", 40);
}

static gboolean
stdin_closed_cb (GIOChannel   *channel,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static int
serve_media (void)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 96, 96);
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GIOChannel) in = g_io_channel_unix_new (0);
  char *data;
  gsize size;
  GSList *uris;

  gdk_pixbuf_fill (pixbuf, 0x3584e4ff);
  if (!gdk_pixbuf_save_to_buffer (pixbuf, &data, &size, "png", &error, NULL))
    g_error ("png: %s", error->message);
  png = g_bytes_new_take (data, size);
  soup_server_add_handler (server, NULL, media_cb, png, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("listen: %s", error->message);
  uris = soup_server_get_uris (server);
  printf ("PORT %d\n", g_uri_get_port (uris->data));
  fflush (stdout);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_io_add_watch (in, G_IO_HUP | G_IO_IN | G_IO_ERR, stdin_closed_cb, loop);
  g_main_loop_run (loop);
  return 0;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
print_stats (const char *what,
             double     *values,
             guint       n)
{
  qsort (values, n, sizeof (double), compare_doubles);
  printf ("  %s: median %.2f ms, p95 %.2f ms, max %.2f ms\n", what,
          values[n / 2], values[(guint) (n * 0.95)], values[n - 1]);
}

int
main (int   argc,
      char *argv[])
{
  gboolean avatars = !(argc > 1 && g_str_equal (argv[1], "--no-avatars"));
  gboolean shared = argc > 1 && g_str_equal (argv[1], "--shared-avatars");
  int first = avatars && !shared ? 1 : 2;
  guint people = argc > first ? (guint) g_ascii_strtoull (argv[first], NULL, 10) : 5000;
  double step = argc > first + 1 ? g_ascii_strtod (argv[first + 1], NULL) : 120;
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *url = g_strdup ("http://127.0.0.1:9");
  g_autofree char *cache_dir = g_dir_make_tmp ("duet-bench-media-XXXXXX", NULL);
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(DuetClient) client = NULL;
  g_autoptr(DuetSession) session = NULL;
  g_autoptr(GBytes) account = NULL;
  g_autoptr(GError) error = NULL;
  Scroll *scroll = g_new0 (Scroll, 1);
  GtkWidget *page, *list_view, *scrolled;
  GdkFrameClock *clock;
  gint64 start;
  guint n_rooms;

  if (argc > 1 && g_str_equal (argv[1], "--serve-media"))
    return serve_media ();

  gtk_init ();
  adw_init ();

  if (avatars)
    {
      const char *serve_argv[] = { self_exe, "--serve-media", NULL };

      g_clear_pointer (&url, g_free);
      server = duet_bench_spawn_server (serve_argv, &url, &error);
      if (server == NULL)
        g_error ("media server: %s", error->message);
    }
  else
    duet_bench_account_set_avatars (FALSE);
  duet_bench_account_set_unique_avatars (!shared);

  /* Every room a DM; ~3% are invites or left, so a few more rooms. */
  duet_bench_account_set_dm_every (1);
  n_rooms = people + people / 30 + 20;
  client = duet_client_new (url);
  duet_client_set_media_cache_dir (client, cache_dir);
  duet_client_set_session (client, DUET_BENCH_OWN_USER, "BENCHDEVICE", "bench-token");
  session = duet_session_new (client);
  account = duet_bench_account_generate (n_rooms, DUET_BENCH_DEFAULT_SEED);
  if (!duet_bench_feed_session (session, account, &error))
    g_error ("account: %s", error->message);
  g_clear_pointer (&account, g_bytes_unref);

  scroll->step = step;
  scroll->direction = 1;
  scroll->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (scroll->window), 420, 760);
  page = duet_contacts_page_new ();
  gtk_window_set_child (GTK_WINDOW (scroll->window), page);

  start = g_get_monotonic_time ();
  duet_contacts_page_set_session (DUET_CONTACTS_PAGE (page), session);
  gtk_window_present (GTK_WINDOW (scroll->window));
  gtk_widget_realize (scroll->window);
  clock = gtk_widget_get_frame_clock (scroll->window);
  g_signal_connect (clock, "before-paint", G_CALLBACK (before_paint_cb), scroll);
  g_signal_connect_after (clock, "after-paint", G_CALLBACK (after_paint_cb), scroll);

  while (scroll->shown_at == 0)
    g_main_context_iteration (NULL, TRUE);

  if (g_getenv ("DUET_BENCH_SCREENSHOT") != NULL)
    save_screenshot (scroll->window, g_getenv ("DUET_BENCH_SCREENSHOT"));

  list_view = find_list_view (page);
  scrolled = list_view != NULL ? gtk_widget_get_ancestor (list_view, GTK_TYPE_SCROLLED_WINDOW) : NULL;
  if (scrolled == NULL)
    g_error ("no scrolled list in the contacts page");
  scroll->vadj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  gtk_widget_add_tick_callback (list_view, tick_cb, scroll, NULL);
  while (!scroll->done)
    g_main_context_iteration (NULL, TRUE);

  printf ("contact list, %u people (%s renderer, %s), scrolled %.0f px per frame twice over %.0f px:\n",
          g_list_model_get_n_items (duet_session_get_contacts (session)),
          g_getenv ("GSK_RENDERER") != NULL ? g_getenv ("GSK_RENDERER") : "default",
          !avatars ? "no avatars" : shared ? "shared avatars served and cached"
                                           : "an avatar per person, served and cached", step, gtk_adjustment_get_upper (scroll->vadj));
  printf ("  first frame showing the list: %.1f ms\n", (scroll->shown_at - start) / 1000.0);
  printf ("  %u frames scrolled\n", scroll->n_frames);
  {
    double mean = 0;

    for (guint i = 0; i < scroll->n_frames; i++)
      mean += scroll->work_ms[i];
    printf ("  frame work mean: %.2f ms\n", mean / MAX (scroll->n_frames, 1));
  }
  print_stats ("frame work (before-paint to after-paint)", scroll->work_ms, scroll->n_frames);
  print_stats ("main thread CPU in that work", scroll->cpu_ms, scroll->n_frames);
  print_stats ("frame interval", scroll->interval_ms + 1, scroll->n_frames - 1);

  gtk_window_destroy (GTK_WINDOW (scroll->window));
  g_free (scroll);
  if (server != NULL)
    g_subprocess_force_exit (server);
  {
    g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", cache_dir);

    if (system (rm) != 0)
      return 1;
  }
  return 0;
}
