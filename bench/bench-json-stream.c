/* bench-json-stream.c: the /sync stream tokenizer alone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   bench-json-stream [--latin1] [ROOMS [SEED]]
 *   bench-json-stream FILE.json
 *
 * Feeds a synthetic account's initial /sync (duet-bench-account.h) or a
 * file to DuetJsonStream in chunks of 64 KiB, as DuetClient reads them,
 * with a consumer that only counts the parts: the time of the best of five
 * runs, and the parts and bytes handed on.  --latin1 writes every "café"
 * of the account in Latin-1 ("caf\xe9", a byte that is not UTF-8), so the
 * parts that hold one take the repair path (U+FFFD).  For instructions:
 *
 *   valgrind --tool=callgrind --toggle-collect=feed_stream bench-json-stream 1000
 *
 * (five runs are counted: divide by five).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "duet-bench-account.h"
#include "duet-json-stream.h"

#define CHUNK_SIZE (64 * 1024)
#define RUNS 5

typedef struct {
  gsize parts;
  gsize bytes;
} Count;

static gboolean
count_cb (const DuetJsonPart  *part,
          gpointer             user_data,
          GError             **error)
{
  Count *count = user_data;

  count->parts++;
  count->bytes += part->length;
  return TRUE;
}

/* Never inlined: callgrind's --toggle-collect names it. */
G_GNUC_NO_INLINE static gboolean
feed_stream (const char *data,
             gsize       size,
             Count      *count,
             GError    **error)
{
  DuetJsonStream *stream = duet_json_stream_new ("rooms", G_MAXSIZE, G_MAXSIZE, count_cb, count);
  gboolean ok = TRUE;

  for (gsize i = 0; i < size && ok; i += CHUNK_SIZE)
    ok = duet_json_stream_feed (stream, data + i, MIN (CHUNK_SIZE, size - i), error);
  if (ok)
    ok = duet_json_stream_finish (stream, error);
  duet_json_stream_free (stream);
  return ok;
}

/* Every "café" (UTF-8) as "caf\xe9" (Latin-1). */
static GBytes *
to_latin1 (GBytes *bytes,
           guint  *replaced)
{
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);
  const char *end = data + size, *p = data, *hit;
  GString *out = g_string_sized_new (size);

  *replaced = 0;
  while ((hit = memmem (p, end - p, "caf\xc3\xa9", 5)) != NULL)
    {
      g_string_append_len (out, p, hit - p);
      g_string_append_len (out, "caf\xe9", 4);
      p = hit + 5;
      (*replaced)++;
    }
  g_string_append_len (out, p, end - p);
  return g_string_free_to_bytes (out);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  gboolean latin1 = argc > 1 && g_str_equal (argv[1], "--latin1");
  int arg = latin1 ? 2 : 1;
  gint64 best = G_MAXINT64;
  const char *data;
  gsize size;
  Count count = { 0 };

  if (arg < argc && !g_ascii_isdigit (argv[arg][0]))
    {
      char *contents;

      if (!g_file_get_contents (argv[arg], &contents, &size, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      bytes = g_bytes_new_take (contents, size);
    }
  else
    {
      guint rooms = arg < argc ? (guint) g_ascii_strtoull (argv[arg], NULL, 10) : 1000;
      guint32 seed = arg + 1 < argc ? (guint32) g_ascii_strtoull (argv[arg + 1], NULL, 10)
                                    : DUET_BENCH_DEFAULT_SEED;

      bytes = duet_bench_account_generate (rooms, seed);
      printf ("account: %u rooms, seed %u\n", rooms, seed);
    }
  if (latin1)
    {
      guint replaced;
      GBytes *rewritten = to_latin1 (bytes, &replaced);

      g_bytes_unref (bytes);
      bytes = rewritten;
      printf ("Latin-1: %u bytes that are not UTF-8\n", replaced);
    }
  data = g_bytes_get_data (bytes, &size);

  for (guint run = 0; run < RUNS; run++)
    {
      gint64 start = g_get_monotonic_time ();

      count = (Count) { 0 };
      if (!feed_stream (data, size, &count, &error))
        {
          g_printerr ("refused: %s\n", error->message);
          return 1;
        }
      best = MIN (best, g_get_monotonic_time () - start);
    }

  printf ("body: %.1f MB; %" G_GSIZE_FORMAT " parts, %" G_GSIZE_FORMAT " bytes handed on\n",
          size / 1e6, count.parts, count.bytes);
  printf ("stream: %.1f ms (best of %d), %.0f MB/s\n", best / 1000.0, RUNS, size / (double) best);
  return 0;
}
