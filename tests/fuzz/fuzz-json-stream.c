/* fuzz-json-stream.c: the streaming /sync tokenizer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whatever the bytes and wherever the chunks end: no crash, no warning,
 * the same parts in the same order for two different chunkings, every
 * part a value json-glib parses on its own (or refuses with an error),
 * and a body the tokenizer accepts whole is one json-glib also accepts.
 */
#include "config.h"

#include <string.h>

#include "duet-json.h"
#include "duet-json-raw.h"
#include "duet-json-stream.h"
#include "fuzz-common.h"

#define MAX_SIZE (1024 * 1024)
#define MAX_PART (64 * 1024)

/* The iterators over any bytes: never outside them; over a value the
 * strict check passes, every member is found, each one valid on its own,
 * and entering each one reads it whole. */
static void
check_iterators (const DuetJsonPart *part,
                 gboolean            valid)
{
  for (guint strict = 0; strict < 2; strict++)
    {
      DuetJsonRawIter iter, child;
      DuetJsonRaw name, value;

      if (!duet_json_raw_iter_init (&iter, part->data, part->length, part->depth, strict))
        continue;
      while (duet_json_raw_iter_next (&iter, &name, &value))
        {
          g_assert_true (value.data >= part->data && value.data + value.length <= part->data + part->length);
          if (valid)
            g_assert_true (duet_json_raw_validate (value.data, value.length, part->depth + 1, NULL));
        }
      if (valid)
        g_assert_false (duet_json_raw_iter_failed (&iter));

      if (!duet_json_raw_iter_init (&iter, part->data, part->length, part->depth, FALSE))
        continue;
      while (duet_json_raw_iter_enter (&iter, &name, &child, strict))
        {
          gboolean whole;

          while (duet_json_raw_iter_next (&child, &name, &value))
            g_assert_true (value.data >= part->data && value.data + value.length <= part->data + part->length);
          whole = duet_json_raw_iter_leave (&iter, &child, &value);
          if (valid)
            g_assert_true (whole || (value.length > 0 && value.data[0] != '{' && value.data[0] != '['));
        }
      if (valid)
        g_assert_false (duet_json_raw_iter_failed (&iter));
    }
}

static gboolean
collect_cb (const DuetJsonPart  *part,
            gpointer             user_data,
            GError             **error)
{
  GPtrArray *parts = user_data;
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(JsonNode) node = duet_json_part_parse (part, &parse_error);

  gboolean controls = FALSE;

  g_assert_true ((node == NULL) == (parse_error != NULL));
  g_assert_true (g_utf8_validate (part->name, -1, NULL));
  /* Bytes that are not UTF-8 in strings were rewritten as U+FFFD, and
   * parts with any elsewhere (or a NUL byte) refused: every reader past
   * the stream may take the part for UTF-8. */
  g_assert_true (g_utf8_validate_len (part->data, part->length, NULL));
  /* Lone surrogates were rewritten before any reader could see them: a
   * part that would be JSON with them rewritten is JSON as it is.  (A
   * part that is no JSON may keep one: no reader takes it anyway.) */
  {
    g_autofree char *rewritten = g_memdup2 (part->data, part->length);

    duet_json_replace_lone_surrogates (rewritten, part->length);
    g_assert_true (duet_json_raw_validate (rewritten, part->length, part->depth, NULL) ==
                   duet_json_raw_validate (part->data, part->length, part->depth, NULL));
  }

  /* What the strict reader passes (the cache stores it as it is) is JSON
   * both readers take back; with its control characters escaped, it
   * passes again and json-glib's own parser takes it too. */
  check_iterators (part, duet_json_raw_validate (part->data, part->length, part->depth, NULL));
  if (duet_json_raw_validate (part->data, part->length, part->depth, &controls))
    {
      g_autofree char *text = controls ? duet_json_raw_escape_controls (&(DuetJsonRaw) { part->data, part->length, controls })
                                       : g_strndup (part->data, part->length);
      g_autoptr(JsonNode) again = NULL;
      gboolean still = TRUE;

      g_assert_nonnull (node);
      g_assert_true (duet_json_raw_validate (text, strlen (text), part->depth, &still));
      g_assert_false (still);
      again = json_from_string (text, NULL);
      g_assert_nonnull (again);
    }
  g_ptr_array_add (parts, g_strdup_printf ("%s|%s|%.*s", part->section ? part->section : "", part->name,
                                           (int) part->length, part->data));
  return TRUE;
}

/* Feeds @data in chunks of @chunk bytes; the parts, or NULL when refused. */
static GPtrArray *
run (const char *data,
     size_t      size,
     size_t      chunk)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func (g_free);
  DuetJsonStream *stream = duet_json_stream_new ("rooms", MAX_SIZE, MAX_PART, collect_cb, parts);
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  for (size_t i = 0; i < size && ok; i += chunk)
    ok = duet_json_stream_feed (stream, data + i, MIN (chunk, size - i), &error);
  if (ok)
    ok = duet_json_stream_finish (stream, &error);
  duet_json_stream_free (stream);

  g_assert_true (ok == (error == NULL));
  if (!ok)
    {
      g_assert_true (error->domain == DUET_JSON_ERROR);
      g_ptr_array_unref (parts);
      return NULL;
    }
  return parts;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) whole = NULL;
  g_autoptr(GPtrArray) chunked = NULL;
  size_t chunk;

  duet_fuzz_init ();
  if (size == 0 || size > MAX_SIZE)
    return 0;

  /* The first byte picks the chunk size of the second run. */
  chunk = 1 + data[0] % 13;
  whole = run ((const char *) data, size, size);
  chunked = run ((const char *) data, size, chunk);

  g_assert_true ((whole == NULL) == (chunked == NULL));
  if (whole == NULL)
    return 0;
  g_assert_cmpuint (whole->len, ==, chunked->len);
  for (guint i = 0; i < whole->len; i++)
    g_assert_cmpstr (whole->pdata[i], ==, chunked->pdata[i]);

  /* Accepted whole by the stream: json-glib, bounded, takes it too
   * (unless a part inside was not JSON, which only the part's parse sees). */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) root = duet_json_parse ((const char *) data, size, MAX_SIZE, &error);

    if (root != NULL)
      g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  }
  return 0;
}
