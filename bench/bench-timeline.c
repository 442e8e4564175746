/* bench-timeline.c: prints what a chat of many messages costs the model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A figure printer, not a test.  An open chat takes N messages (default
 * 10,000) through the session's ingest path as live slices of 50 (two
 * senders, a few minutes apart, a day change every 2,000, one in five
 * formatted, one in ten with a link), then 5,000 reactions and 500 edits.
 * Prints the time each phase takes on the main thread, the slowest slice,
 * and the resident memory the timeline holds (RSS before / after, from
 * /proc/self/statm), then the time to free it.  Then the same messages
 * as back-pagination does it: pages of 50 inserted at the top, newest page
 * first (the model's part of it; /messages itself is not timed).  No
 * network: the client is never used.
 *
 *   bench-timeline [MESSAGES]
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "duet-session.h"
#include "duet-timeline.h"
#include "duet-timeline-private.h"

#define ROOM_ID "!bench:example.org"
#define SLICE 50

static gint64
rss_bytes (void)
{
  g_autofree char *statm = NULL;
  long pages = 0, resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL) ||
      sscanf (statm, "%ld %ld", &pages, &resident) != 2)
    return -1;
  return (gint64) resident * sysconf (_SC_PAGESIZE);
}

static void
ingest_slice (DuetSession *session,
              JsonArray   *events)
{
  g_autoptr(JsonObject) response = json_object_new ();
  JsonObject *rooms = json_object_new ();
  JsonObject *join = json_object_new ();
  JsonObject *room = json_object_new ();
  JsonObject *timeline = json_object_new ();

  json_object_set_array_member (timeline, "events", json_array_ref (events));
  json_object_set_object_member (room, "timeline", timeline);
  json_object_set_object_member (join, ROOM_ID, room);
  json_object_set_object_member (rooms, "join", join);
  json_object_set_object_member (response, "rooms", rooms);
  json_object_set_string_member (response, "next_batch", "s1");
  duet_session_ingest (session, response);
}

static JsonObject *
message (guint  i,
         gint64 ts)
{
  JsonObject *event = json_object_new ();
  JsonObject *content = json_object_new ();
  g_autofree char *event_id = g_strdup_printf ("$m%u", i);
  g_autofree char *body = NULL;

  if (i % 10 == 0)
    body = g_strdup_printf ("Message %u with a link https://example.org/page/%u?x=1&y=2 in it", i, i);
  else
    body = g_strdup_printf ("Message %u: the quick brown fox jumps over the lazy dog", i);
  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", body);
  if (i % 5 == 0)
    {
      g_autofree char *html = g_strdup_printf ("<p>Message <b>%u</b>, <i>formatted</i>, with "
                                               "<code>code</code></p><ul><li>one</li><li>two</li></ul>", i);
      json_object_set_string_member (content, "format", "org.matrix.custom.html");
      json_object_set_string_member (content, "formatted_body", html);
    }
  json_object_set_string_member (event, "type", "m.room.message");
  json_object_set_string_member (event, "event_id", event_id);
  json_object_set_string_member (event, "sender", (i / 3) % 2 ? "@bob:example.org" : "@alice:example.org");
  json_object_set_int_member (event, "origin_server_ts", ts);
  json_object_set_object_member (event, "content", content);
  return event;
}

static JsonObject *
relation (const char *type,
          const char *event_id,
          const char *sender,
          const char *target,
          guint       n)
{
  JsonObject *event = json_object_new ();
  JsonObject *content = json_object_new ();
  JsonObject *relates_to = json_object_new ();

  json_object_set_string_member (relates_to, "event_id", target);
  if (g_str_equal (type, "m.reaction"))
    {
      g_autofree char *key = g_strdup_printf ("k%u", n % 6);

      json_object_set_string_member (relates_to, "rel_type", "m.annotation");
      json_object_set_string_member (relates_to, "key", key);
    }
  else
    {
      JsonObject *new_content = json_object_new ();

      json_object_set_string_member (relates_to, "rel_type", "m.replace");
      json_object_set_string_member (new_content, "msgtype", "m.text");
      json_object_set_string_member (new_content, "body", "edited text");
      json_object_set_object_member (content, "m.new_content", new_content);
      json_object_set_string_member (content, "msgtype", "m.text");
      json_object_set_string_member (content, "body", "* edited text");
    }
  json_object_set_object_member (content, "m.relates_to", relates_to);
  json_object_set_string_member (event, "type", type);
  json_object_set_string_member (event, "event_id", event_id);
  json_object_set_string_member (event, "sender", sender);
  json_object_set_int_member (event, "origin_server_ts", 1700000000000);
  json_object_set_object_member (event, "content", content);
  return event;
}

int
main (int   argc,
      char *argv[])
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 10000;
  g_autoptr(DuetClient) client = duet_client_new ("http://127.0.0.1:9");
  g_autoptr(DuetSession) session = NULL;
  DuetTimeline *timeline;
  gint64 start, slowest = 0, total_us = 0, rss_before, rss_after, ts = 1700000000000;
  gint64 build_us = 0;
  guint items;

  duet_client_set_session (client, "@alice:example.org", "BENCH", "token");
  session = duet_session_new (client);
  /* A first slice makes the room, so the timeline starts on it. */
  {
    g_autoptr(JsonArray) none = json_array_new ();
    ingest_slice (session, none);
  }

  rss_before = rss_bytes ();
  timeline = duet_timeline_new (session, ROOM_ID);

  for (guint first = 0; first < n; first += SLICE)
    {
      g_autoptr(JsonArray) events = json_array_new ();
      gint64 t0 = g_get_monotonic_time ();
      gint64 slice_us;

      for (guint i = first; i < MIN (first + SLICE, n); i++)
        {
          ts += (i % 2000 == 1999) ? 24 * 60 * 60 * 1000 : 90 * 1000;
          json_array_add_object_element (events, message (i, ts));
        }
      build_us += g_get_monotonic_time () - t0;
      start = g_get_monotonic_time ();
      ingest_slice (session, events);
      slice_us = g_get_monotonic_time () - start;
      slowest = MAX (slowest, slice_us);
      total_us += slice_us;
    }
  items = g_list_model_get_n_items (G_LIST_MODEL (timeline));
  rss_after = rss_bytes ();

  printf ("messages: %u in live slices of %d -> %u items (day separators included)\n", n, SLICE, items);
  printf ("time to take them all: %.1f ms (%.1f us per message)\n", total_us / 1000.0,
          n > 0 ? (double) total_us / n : 0.0);
  printf ("resident memory: %.1f MiB before, %.1f MiB after (%.0f bytes per message)\n",
          rss_before / 1048576.0, rss_after / 1048576.0,
          n > 0 ? (double) (rss_after - rss_before) / n : 0.0);
  printf ("slowest live slice of %d: %.2f ms\n", SLICE, slowest / 1000.0);

  /* Relations on what is shown. */
  {
    g_autoptr(JsonArray) events = json_array_new ();

    for (guint i = 0; i < 5000 && n > 0; i++)
      {
        g_autofree char *id = g_strdup_printf ("$r%u", i);
        g_autofree char *sender = g_strdup_printf ("@u%u:example.org", i % 50);
        g_autofree char *target = g_strdup_printf ("$m%u", (i * 7) % n);

        json_array_add_object_element (events, relation ("m.reaction", id, sender, target, i));
      }
    for (guint i = 0; i < 500 && n > 0; i++)
      {
        g_autofree char *id = g_strdup_printf ("$e%u", i);
        guint target_n = (i * 13) % n;
        g_autofree char *target = g_strdup_printf ("$m%u", target_n);

        json_array_add_object_element (events, relation ("m.room.message", id,
                                                         (target_n / 3) % 2 ? "@bob:example.org"
                                                                            : "@alice:example.org",
                                                         target, i));
      }
    start = g_get_monotonic_time ();
    for (guint i = 0; i < json_array_get_length (events); i += 1000)
      {
        g_autoptr(JsonArray) slice = json_array_new ();

        for (guint j = i; j < MIN (i + 1000, json_array_get_length (events)); j++)
          json_array_add_element (slice, json_node_copy (json_array_get_element (events, j)));
        ingest_slice (session, slice);
      }
    printf ("5000 reactions + 500 edits (slices of 1000): %.1f ms\n",
            (g_get_monotonic_time () - start) / 1000.0);
  }

  start = g_get_monotonic_time ();
  g_object_unref (timeline);
  printf ("freeing the timeline: %.1f ms\n", (g_get_monotonic_time () - start) / 1000.0);

  /* Back-pagination's way: pages at the top, the newest first. */
  {
    g_autoptr(DuetTimeline) paged = duet_timeline_new (session, ROOM_ID);
    gint64 page_total = 0, page_slowest = 0;
    gint64 page_ts = 1700000000000 + (gint64) n * 90 * 1000;

    for (guint end = n; end > 0; end -= MIN (end, SLICE))
      {
        guint first = end > SLICE ? end - SLICE : 0;
        g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
        g_autoptr(GPtrArray) page = NULL;
        gboolean saw_create = FALSE;
        gint64 t0;

        for (guint i = first; i < end; i++)
          g_ptr_array_add (events, message (i, page_ts - (gint64) (n - i) * 90 * 1000));
        t0 = g_get_monotonic_time ();
        page = _duet_timeline_take_events (paged, events, &saw_create);
        _duet_timeline_insert_items (paged, 0, page);
        page_slowest = MAX (page_slowest, g_get_monotonic_time () - t0);
        page_total += g_get_monotonic_time () - t0;
      }
    printf ("back-pagination, %u messages in pages of %d at the top: %.1f ms, slowest page %.2f ms, "
            "%u items\n", n, SLICE, page_total / 1000.0, page_slowest / 1000.0,
            g_list_model_get_n_items (G_LIST_MODEL (paged)));
  }
  printf ("(building the JSON slices took %.1f ms, not counted above)\n", build_us / 1000.0);
  return 0;
}
