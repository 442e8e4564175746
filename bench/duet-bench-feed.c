/* duet-bench-feed.c: hands a /sync body to a session as its sync loop would
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "duet-bench-feed.h"
#include "duet-json-stream.h"
#include "duet-sync-loop.h"

#define CHUNK (64 * 1024)

typedef struct {
  DuetSyncLoop *loop;
  char         *next_batch;
} Feed;

static gboolean
part_cb (const DuetJsonPart  *part,
         gpointer             user_data,
         GError             **error)
{
  Feed *feed = user_data;

  if (part->section == NULL && g_str_equal (part->name, "next_batch"))
    {
      g_autoptr(JsonNode) node = duet_json_part_parse (part, error);

      if (node == NULL)
        return FALSE;
      g_free (feed->next_batch);
      feed->next_batch = g_strdup (json_node_get_string (node));
    }
  g_signal_emit_by_name (feed->loop, "response-part", part);
  return TRUE;
}

gboolean
duet_bench_feed_session (DuetSession  *session,
                         GBytes       *body,
                         GError      **error)
{
  Feed feed = { duet_session_get_sync_loop (session), NULL };
  g_autoptr(DuetJsonStream) stream = duet_json_stream_new ("rooms", 256 * 1024 * 1024, 64 * 1024 * 1024,
                                                           part_cb, &feed);
  gsize size;
  const char *data = g_bytes_get_data (body, &size);

  /* In network-sized chunks, as the client reads them. */
  for (gsize i = 0; i < size; i += CHUNK)
    if (!duet_json_stream_feed (stream, data + i, MIN (CHUNK, size - i), error))
      {
        g_signal_emit_by_name (feed.loop, "response-aborted");
        g_free (feed.next_batch);
        return FALSE;
      }
  if (!duet_json_stream_finish (stream, error))
    {
      g_signal_emit_by_name (feed.loop, "response-aborted");
      g_free (feed.next_batch);
      return FALSE;
    }
  g_signal_emit_by_name (feed.loop, "response-end", feed.next_batch);
  duet_sync_loop_set_since (feed.loop, feed.next_batch);
  g_free (feed.next_batch);
  return TRUE;
}
