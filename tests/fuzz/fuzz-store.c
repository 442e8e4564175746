/* fuzz-store.c: any /sync body into the store, and the start read back
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The body is split as the streamed /sync splits it; each room's part
 * goes to the store unchecked (its worker's strict check and one-pass
 * reader take it), the save commits or fails, and then every room's start
 * entry is built (src/store/duet-store-start.c).  Whatever the store
 * kept, each entry must be strict JSON: the model reads it in place.  The
 * store and its worker thread are the fuzzer's own thread, on one cache
 * file in a temporary folder, cleared after each input.  Seeds: those of
 * fuzz-sync.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "duet-json-raw.h"
#include "duet-json-stream.h"
#include "duet-store-private.h"
#include "fuzz-common.h"

#define OWN_USER "@alice:localhost"

static gboolean
add_part (const DuetJsonPart  *part,
          gpointer             user_data,
          GError             **error)
{
  DuetStoreSyncWriter *writer = user_data;
  g_autoptr(GBytes) bytes = NULL;

  if (part->section == NULL)
    return TRUE;
  bytes = g_bytes_new (part->data, part->length);
  duet_store_sync_writer_add_room (writer, part->section, part->name, bytes);
  return TRUE;
}

static DuetStoreDb *
open_db (void)
{
  static DuetStoreDb db;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *reason = NULL;
  g_autoptr(GError) error = NULL;

  if (db.handle != NULL)
    return &db;
  dir = g_dir_make_tmp ("duet-fuzz-store-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "duet.sqlite", NULL);
  db.thread = g_thread_self ();
  db.statements = g_hash_table_new (g_direct_hash, g_direct_equal);
  if (duet_store_db_open (&db, path, &reason, &error) != DUET_STORE_OPEN_OK)
    g_error ("cannot open %s: %s", path, error != NULL ? error->message : reason);
  return &db;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  DuetStoreDb *db;
  DuetStoreSyncWriter *writer;
  g_autoptr(DuetJsonStream) stream = NULL;
  g_autoptr(DuetStoreStart) start = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncQueue *queue;
  gboolean whole;

  duet_fuzz_init ();
  db = open_db ();

  writer = duet_store_sync_writer_new ();
  stream = duet_json_stream_new ("rooms", 64 * 1024 * 1024, 16 * 1024 * 1024, add_part, writer);
  whole = duet_json_stream_feed (stream, (const char *) data, size, NULL) &&
          duet_json_stream_finish (stream, NULL);
  /* The writer's queue is read here, on this thread: it ends with the
   * commit or the abort pushed last (which free the writer). */
  queue = g_async_queue_ref (duet_store_sync_writer_get_queue (writer));
  if (whole)
    duet_store_sync_writer_commit (writer, "s1");
  else
    duet_store_sync_writer_abort (writer);
  duet_store_db_save_sync_stream (db, queue, FALSE, NULL);
  g_async_queue_unref (queue);

  start = duet_store_db_load_start_snapshot (db, OWN_USER, &error);
  g_assert_no_error (error);
  for (guint i = 0; start != NULL && i < start->rooms->len; i++)
    {
      const DuetStoreStartRoom *room = start->rooms->pdata[i];

      g_assert_true (duet_json_raw_validate (room->entry, room->length, 3, NULL));
    }

  /* The entries the worker would write when idle, then nothing left. */
  while (duet_store_db_refresh_start (db))
    ;
  g_assert_true (duet_store_db_clear (db, NULL));
  g_clear_pointer (&db->start_stale, g_hash_table_unref);
  return 0;
}
