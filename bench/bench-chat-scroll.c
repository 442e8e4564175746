/* bench-chat-scroll.c: frame times of the chat view scrolling 10,000 messages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A figure printer, not a test.  Opens a chat in a DuetChatView in a
 * window and feeds the real session and timeline N messages (default
 * 10,000: texts of several lengths, replies, reactions, day changes) as
 * live sync batches, with no server behind them; then it scrolls from the
 * newest message to the oldest and back at a steady speed, one step per
 * frame.  It prints the frame intervals from the GdkFrameClock and the
 * time each frame spent in layout and paint (wall clock, and the main
 * thread's CPU time in it): mean, 95th percentile, max.
 * Run it under Xvfb:
 *
 *   xvfb-run -s "-screen 0 1280x800x24" bench-chat-scroll [MESSAGES] [PIXELS-PER-FRAME]
 *
 * With --rows N it measures one row instead: N message rows of the same
 * chat (the newest items), made, laid out and drawn for the first time,
 * a few per frame, as scrolling makes them; it prints the main thread's
 * CPU time per row in each step.
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>
#include <adwaita.h>

#include "duet-chat-view.h"
#include "duet-message-row.h"

#define ROOM_ID "!bench:localhost"
#define ALICE "@alice:localhost"
#define BOB "@bob:localhost"
#define BATCH 100

typedef struct {
  DuetChatView  *view;
  GtkAdjustment *adj;
  GArray        *intervals;   /* ms between frames */
  GArray        *work;        /* ms from a frame's start to its end of paint */
  GArray        *layout;      /* ms of that in the update and layout phases */
  GArray        *paint;       /* ms of that in the paint phase */
  GArray        *cpu;         /* ms of main-thread CPU time in that work */
  gint64         layout_end;
  gint64         last_frame;
  gint64         frame_start;
  gint64         frame_start_cpu;
  double         step;
  int            direction;   /* -1 up, +1 down, 0 done */
  gboolean       done;
} Bench;

/* --- The chat's content ---------------------------------------------------- */

static JsonObject *
parse_object (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (!json_parser_load_from_data (parser, json, -1, &error))
    g_error ("bench JSON: %s", error->message);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
add_member (GString    *json,
            const char *user_id,
            const char *name)
{
  g_string_append_printf (json, "{\"type\": \"m.room.member\", \"state_key\": \"%s\", \"sender\": \"%s\", "
                          "\"event_id\": \"$member-%s\", \"origin_server_ts\": 1, "
                          "\"content\": {\"membership\": \"join\", \"displayname\": \"%s\"}}",
                          user_id, user_id, name, name);
}

/* A signed-in session that knows the room, with a server that is never
 * reached (the timeline's own requests fail at once; it does not matter). */
static DuetSession *
make_session (void)
{
  g_autoptr(DuetClient) client = duet_client_new ("http://127.0.0.1:9");
  g_autoptr(GString) json = g_string_new ("{\"next_batch\": \"s0\", \"rooms\": {\"join\": {\"" ROOM_ID "\": "
                                          "{\"state\": {\"events\": [");
  g_autoptr(JsonObject) response = NULL;
  DuetSession *session;

  duet_client_set_session (client, ALICE, "BENCH", "bench-token");
  duet_client_set_max_attempts (client, 1);
  duet_client_set_request_timeout (client, 500);
  session = duet_session_new (client);

  add_member (json, ALICE, "Alice");
  g_string_append (json, ", ");
  add_member (json, BOB, "Bob");
  g_string_append (json, "]}, \"timeline\": {\"events\": []}}}}}");
  response = parse_object (json->str);
  duet_session_ingest (session, response);
  return session;
}

static const char *const texts[] = {
  "ok",
  "Did you get the photos from the weekend?",
  "Not yet — the link from last time expired. Can you send them again?",
  "Lunch at one tomorrow?",
  "Sure, see you at the usual place",
  "Here is a longer one that wraps over several lines, so that the list has rows of different "
  "heights to measure while it scrolls: the quick brown fox jumps over the lazy dog, twice.",
  "https://example.org/a/link/to/something",
  "Thanks!",
};

/* Live sync batches of BATCH events, as if the chat were read as it was
 * written: texts of several lengths, replies, reactions, a new day every
 * 150 messages, two senders. */
static void
feed_messages (DuetSession *session,
               guint        count)
{
  gint64 start_ms = (g_get_real_time () / 1000) - (gint64) count * 10 * 60 * 1000 / 15;

  for (guint first = 0; first < count; first += BATCH)
    {
      g_autoptr(GString) json = g_string_new (NULL);
      g_autoptr(JsonObject) response = NULL;

      g_string_append_printf (json, "{\"next_batch\": \"s%u\", \"rooms\": {\"join\": {\"" ROOM_ID "\": "
                              "{\"timeline\": {\"events\": [", first / BATCH + 1);
      for (guint i = first; i < MIN (count, first + BATCH); i++)
        {
          gint64 ts = start_ms + (gint64) i * 10 * 60 * 1000 / 15;
          const char *sender = (i / 3) % 2 == 0 ? BOB : ALICE;

          if (i > first)
            g_string_append (json, ", ");
          if (i % 29 == 7)
            g_string_append_printf (json, "{\"type\": \"m.reaction\", \"sender\": \"%s\", \"event_id\": \"$e%u\", "
                                    "\"origin_server_ts\": %" G_GINT64_FORMAT ", \"content\": {\"m.relates_to\": "
                                    "{\"rel_type\": \"m.annotation\", \"event_id\": \"$e%u\", \"key\": \"❤\"}}}",
                                    sender, i, ts, i - 1);
          else if (i % 17 == 5)
            g_string_append_printf (json, "{\"type\": \"m.room.message\", \"sender\": \"%s\", \"event_id\": \"$e%u\", "
                                    "\"origin_server_ts\": %" G_GINT64_FORMAT ", \"content\": {\"msgtype\": \"m.text\", "
                                    "\"body\": \"Reply number %u\", \"m.relates_to\": {\"m.in_reply_to\": "
                                    "{\"event_id\": \"$e%u\"}}}}", sender, i, ts, i, i - 2);
          else
            g_string_append_printf (json, "{\"type\": \"m.room.message\", \"sender\": \"%s\", \"event_id\": \"$e%u\", "
                                    "\"origin_server_ts\": %" G_GINT64_FORMAT ", \"content\": {\"msgtype\": \"m.text\", "
                                    "\"body\": \"%u: %s\"}}", sender, i, ts, i, texts[i % G_N_ELEMENTS (texts)]);
        }
      g_string_append (json, "]}}}}}");
      response = parse_object (json->str);
      duet_session_ingest (session, response);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
}

/* --- Measuring ------------------------------------------------------------- */

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
print_figures (const char *what,
               GArray     *values)
{
  double sum = 0;

  if (values->len == 0)
    {
      g_print ("%-28s no frames\n", what);
      return;
    }
  g_array_sort (values, compare_doubles);
  for (guint i = 0; i < values->len; i++)
    sum += g_array_index (values, double, i);
  g_print ("%-28s frames %5u  mean %6.2f ms  p95 %6.2f ms  max %6.2f ms\n", what, values->len,
           sum / values->len,
           g_array_index (values, double, MIN (values->len - 1, (guint) (values->len * 0.95))),
           g_array_index (values, double, values->len - 1));
}

/* CPU time of the main thread, in microseconds: on a busy machine the
 * wall-clock work of a frame includes the time other processes had the
 * core; this does not. */
static gint64
thread_cpu_time (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
update_cb (GdkFrameClock *clock,
           Bench         *bench)
{
  bench->frame_start = g_get_monotonic_time ();
  bench->frame_start_cpu = thread_cpu_time ();
}

static void
layout_done_cb (GdkFrameClock *clock,
                Bench         *bench)
{
  bench->layout_end = g_get_monotonic_time ();
}

static void
after_paint_cb (GdkFrameClock *clock,
                Bench         *bench)
{
  gint64 now = g_get_monotonic_time ();

  if (bench->direction == 0 || bench->frame_start == 0 || bench->layout_end < bench->frame_start)
    return;
  g_array_append_val (bench->work, ((double) { (now - bench->frame_start) / 1000.0 }));
  g_array_append_val (bench->layout, ((double) { (bench->layout_end - bench->frame_start) / 1000.0 }));
  g_array_append_val (bench->paint, ((double) { (now - bench->layout_end) / 1000.0 }));
  g_array_append_val (bench->cpu, ((double) { (thread_cpu_time () - bench->frame_start_cpu) / 1000.0 }));
}

/* One scroll step per frame; the interval since the last frame is what
 * the user sees as smooth or not. */
static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  Bench *bench = user_data;
  gint64 frame_time = gdk_frame_clock_get_frame_time (clock);
  double value = gtk_adjustment_get_value (bench->adj);
  double bottom = gtk_adjustment_get_upper (bench->adj) - gtk_adjustment_get_page_size (bench->adj);

  if (bench->last_frame != 0)
    g_array_append_val (bench->intervals, ((double) { (frame_time - bench->last_frame) / 1000.0 }));
  bench->last_frame = frame_time;

  if (bench->direction < 0)
    {
      /* Up to the very top: the list keeps estimating the height of the
       * rows it has not measured, so the top is where the value stops. */
      if (value <= 0)
        bench->direction = 1;
      else
        gtk_adjustment_set_value (bench->adj, MAX (0, value - bench->step));
    }
  else if (bench->direction > 0)
    {
      if (value >= bottom - 0.5)
        {
          bench->direction = 0;
          bench->done = TRUE;
          return G_SOURCE_REMOVE;
        }
      gtk_adjustment_set_value (bench->adj, MIN (bottom, value + bench->step));
    }
  return G_SOURCE_CONTINUE;
}

/* --- One row at a time (--rows) ------------------------------------------- */

#define ROWS_PER_FRAME 6

typedef struct {
  gint64   frame_start_cpu;
  gint64   layout_end_cpu;
  gint64   paint_end_cpu;
  gboolean painted;
} RowFrame;

static void
row_frame_update_cb (GdkFrameClock *clock,
                     RowFrame      *frame)
{
  frame->frame_start_cpu = thread_cpu_time ();
}

static void
row_frame_layout_cb (GdkFrameClock *clock,
                     RowFrame      *frame)
{
  frame->layout_end_cpu = thread_cpu_time ();
}

static void
row_frame_paint_cb (GdkFrameClock *clock,
                    RowFrame      *frame)
{
  frame->paint_end_cpu = thread_cpu_time ();
  frame->painted = TRUE;
}

static void
wait_frame (GtkWidget *widget,
            RowFrame  *frame)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  frame->painted = FALSE;
  gtk_widget_queue_draw (widget);
  while (!frame->painted && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  if (!frame->painted)
    g_error ("no frame was drawn in 5 s");
}

static void
print_row_cost (const char *what,
                gint64      usec,
                guint       rows)
{
  g_print ("%-28s %6.3f ms per row\n", what, usec / 1000.0 / rows);
}

/* Makes @count rows for the newest items, ROWS_PER_FRAME at a time, in a
 * box that is the window's child; each batch is laid out and drawn in a
 * frame of its own, then removed in another one that is not counted. */
static int
measure_rows (GtkWindow    *window,
              DuetTimeline *timeline,
              guint         count)
{
  GListModel *items = G_LIST_MODEL (timeline);
  guint n_items = g_list_model_get_n_items (items);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GdkFrameClock *clock;
  RowFrame frame = { 0 };
  gint64 make = 0, layout = 0, paint = 0;
  guint made = 0;

  gtk_window_set_child (window, box);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_signal_connect (clock, "update", G_CALLBACK (row_frame_update_cb), &frame);
  g_signal_connect_after (clock, "layout", G_CALLBACK (row_frame_layout_cb), &frame);
  g_signal_connect (clock, "after-paint", G_CALLBACK (row_frame_paint_cb), &frame);
  wait_frame (box, &frame);

  while (made < count && made < n_items)
    {
      GtkWidget *batch[ROWS_PER_FRAME];
      guint n = 0;
      gint64 start = thread_cpu_time ();

      for (; n < ROWS_PER_FRAME && made < count && made < n_items; n++, made++)
        {
          g_autoptr(DuetTimelineItem) item = g_list_model_get_item (items, n_items - 1 - made);
          DuetMessageRow *row = DUET_MESSAGE_ROW (duet_message_row_new ());

          duet_message_row_set_timeline (row, timeline);
          duet_message_row_set_item (row, item);
          gtk_box_append (GTK_BOX (box), GTK_WIDGET (row));
          batch[n] = GTK_WIDGET (row);
        }
      make += thread_cpu_time () - start;
      wait_frame (box, &frame);
      layout += frame.layout_end_cpu - frame.frame_start_cpu;
      paint += frame.paint_end_cpu - frame.layout_end_cpu;

      for (guint i = 0; i < n; i++)
        gtk_box_remove (GTK_BOX (box), batch[i]);
      wait_frame (box, &frame);
    }

  g_signal_handlers_disconnect_by_data (clock, &frame);
  g_print ("%u rows, %u a frame, main-thread CPU:\n", made, ROWS_PER_FRAME);
  print_row_cost ("  made and bound", make, made);
  print_row_cost ("  first update+layout", layout, made);
  print_row_cost ("  first paint", paint, made);
  print_row_cost ("  in all", make + layout + paint, made);
  return made > 0 ? 0 : 1;
}

static gboolean
done_or_timeout (gpointer data)
{
  return ((Bench *) data)->done;
}

int
main (int   argc,
      char *argv[])
{
  guint rows = 0;
  guint messages;
  double step;
  g_autoptr(DuetSession) session = NULL;
  g_autoptr(GtkCssProvider) css = NULL;
  GtkWindow *window;
  GdkFrameClock *clock;
  Bench bench = { 0 };
  gint64 start, deadline;

  if (argc > 2 && g_str_equal (argv[1], "--rows"))
    {
      rows = (guint) strtoul (argv[2], NULL, 10);
      argv += 2;
      argc -= 2;
    }
  messages = argc > 1 ? (guint) strtoul (argv[1], NULL, 10) : 10000;
  step = argc > 2 ? g_ascii_strtod (argv[2], NULL) : 120.0;
  if (rows > 0 && argc <= 1)
    messages = rows + rows / 8;
  if (messages == 0 || step <= 0)
    {
      g_printerr ("usage: bench-chat-scroll [MESSAGES] [PIXELS-PER-FRAME]\n"
                  "       bench-chat-scroll --rows ROWS [MESSAGES]\n");
      return 2;
    }

  gtk_init ();
  adw_init ();
  css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/io/github/duet_chat/Duet/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 800, 700);
  bench.view = DUET_CHAT_VIEW (duet_chat_view_new ());
  gtk_window_set_child (window, GTK_WIDGET (bench.view));
  gtk_window_present (window);

  start = g_get_monotonic_time ();
  session = make_session ();
  duet_chat_view_open (bench.view, session, duet_session_lookup_room (session, ROOM_ID));
  feed_messages (session, messages);
  g_print ("chat of %u items ready in %.0f ms\n",
           g_list_model_get_n_items (G_LIST_MODEL (duet_chat_view_get_timeline (bench.view))),
           (g_get_monotonic_time () - start) / 1000.0);

  if (rows > 0)
    {
      g_autoptr(DuetTimeline) timeline = g_object_ref (duet_chat_view_get_timeline (bench.view));
      int status;

      duet_chat_view_open (bench.view, NULL, NULL);
      status = measure_rows (window, timeline, rows);
      gtk_window_destroy (window);
      return status;
    }

  /* Let the list settle at the bottom before measuring. */
  deadline = g_get_monotonic_time () + 500 * 1000;
  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);

  bench.adj = gtk_scrolled_window_get_vadjustment (
    GTK_SCROLLED_WINDOW (gtk_widget_get_template_child (GTK_WIDGET (bench.view), DUET_TYPE_CHAT_VIEW,
                                                        "scroller")));
  bench.intervals = g_array_new (FALSE, FALSE, sizeof (double));
  bench.work = g_array_new (FALSE, FALSE, sizeof (double));
  bench.layout = g_array_new (FALSE, FALSE, sizeof (double));
  bench.paint = g_array_new (FALSE, FALSE, sizeof (double));
  bench.cpu = g_array_new (FALSE, FALSE, sizeof (double));
  bench.step = step;
  bench.direction = -1;

  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_signal_connect (clock, "update", G_CALLBACK (update_cb), &bench);
  g_signal_connect_after (clock, "layout", G_CALLBACK (layout_done_cb), &bench);
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &bench);
  gtk_widget_add_tick_callback (GTK_WIDGET (window), tick_cb, &bench, NULL);

  start = g_get_monotonic_time ();
  deadline = start + 600 * G_USEC_PER_SEC;
  while (!done_or_timeout (&bench) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_print ("scrolled top and back (%.0f px per frame) in %.1f s\n", step,
           (g_get_monotonic_time () - start) / 1e6);
  {
    GtkWidget *list = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (bench.view), DUET_TYPE_CHAT_VIEW, "timeline_list"));
    guint n_rows = 0;

    for (GtkWidget *child = gtk_widget_get_first_child (list); child != NULL; child = gtk_widget_get_next_sibling (child))
      n_rows++;
    g_print ("row widgets in the list view: %u\n", n_rows);
  }
  print_figures ("frame interval", bench.intervals);
  print_figures ("frame work (layout+paint)", bench.work);
  print_figures ("  of which update+layout", bench.layout);
  print_figures ("  of which paint", bench.paint);
  print_figures ("main-thread CPU in that work", bench.cpu);

  g_signal_handlers_disconnect_by_data (clock, &bench);
  g_array_unref (bench.intervals);
  g_array_unref (bench.work);
  g_array_unref (bench.layout);
  g_array_unref (bench.paint);
  g_array_unref (bench.cpu);
  duet_chat_view_open (bench.view, NULL, NULL);
  gtk_window_destroy (window);
  return bench.done ? 0 : 1;
}
