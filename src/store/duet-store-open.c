/* duet-store-open.c: opening the database, its lock and its recovery
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs on the store's worker thread.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "duet-store-private.h"

static gboolean
is_corruption (int rc)
{
  int primary = rc & 0xff;

  return primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT;
}

/* Reads the single text row of a constant pragma. */
static char *
query_text (DuetStoreDb  *db,
            const char   *sql,
            int          *rc_out)
{
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;
  int rc = sqlite3_prepare_v2 (db->handle, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      rc = SQLITE_OK;
    }
  sqlite3_finalize (stmt);
  *rc_out = rc;
  return text;
}

static int
wal_committed (gpointer    data,
               sqlite3    *handle,
               const char *name,
               int         pages)
{
  DuetStoreDb *db = data;

  db->wal_pages = pages;
  return SQLITE_OK;
}

void
duet_store_db_checkpoint (DuetStoreDb *db,
                          gint64       min_bytes)
{
  DUET_STORE_DB_ASSERT_THREAD (db);

  if (db->handle == NULL || (gint64) db->wal_pages * db->page_size < min_bytes)
    return;
  /* A failure (a reader in the way, a full disk) leaves the WAL for the
   * next try; the data is safe in it either way. */
  if (sqlite3_wal_checkpoint_v2 (db->handle, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) == SQLITE_OK)
    db->wal_pages = 0;
}

/* Left beside the database by a check that found it damaged. */
#define DAMAGED_SUFFIX ".damaged"

/* The first page of each table and index, read at open (a garbled root
 * fails here); @since: the schema version that made the table, @until
 * (if not 0) the one that dropped it. */
static const struct {
  int         since;
  const char *sql;
  int         until;
} probes[] = {
  { 1, "SELECT count(*) FROM (SELECT * FROM sync_token LIMIT 1)" },
  { 1, "SELECT count(*) FROM (SELECT * FROM account_data LIMIT 1)" },
  { 1, "SELECT count(*) FROM (SELECT * FROM rooms LIMIT 1)" },
  { 1, "SELECT count(*) FROM (SELECT * FROM room_state LIMIT 1)" },
  { 1, "SELECT count(*) FROM (SELECT * FROM timeline ORDER BY seq LIMIT 1)" },
  { 1, "SELECT count(*) FROM (SELECT room_id, seq FROM timeline ORDER BY room_id, seq LIMIT 1)" },
  { 1, "SELECT count(*) FROM (SELECT room_id, event_id FROM timeline "
       "                      WHERE room_id > '' ORDER BY room_id, event_id LIMIT 1)",
    DUET_STORE_VERSION_WITHOUT_TIMELINE_BY_EVENT },
  { 1, "SELECT count(*) FROM (SELECT * FROM room_account_data LIMIT 1)" },
  { 2, "SELECT count(*) FROM (SELECT * FROM outbox LIMIT 1)" },
  { 2, "SELECT count(*) FROM (SELECT * FROM drafts LIMIT 1)" },
  { 3, "SELECT count(*) FROM (SELECT * FROM state_fields LIMIT 1)",
    DUET_STORE_VERSION_WITHOUT_STATE_FIELDS },
  { 5, "SELECT count(*) FROM (SELECT * FROM room_start LIMIT 1)" },
};

DuetStoreOpenResult
duet_store_db_open (DuetStoreDb  *db,
                    const char   *path,
                    char        **reason,
                    GError      **error)
{
  g_autofree char *mode = NULL;
  g_autofree char *check = NULL;
  g_autofree char *marker = NULL;
  int rc, version;

  db->wal_pages = 0;
  rc = sqlite3_open_v2 (path, &db->handle,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    goto failed;
  sqlite3_extended_result_codes (db->handle, TRUE);

  /* For a new database only (an existing one keeps its size).  Most rows
   * are events of hundreds of bytes to a few KiB: 16 KiB pages split less
   * often than SQLite's 4 KiB ones, keep more events inline (not in
   * overflow pages) and take a quarter of the writes.  Garbage fails
   * below. */
  sqlite3_exec (db->handle, "PRAGMA page_size = 16384", NULL, NULL, NULL);

  /* The first statement to read the header: garbage fails here. */
  mode = query_text (db, "PRAGMA journal_mode = WAL", &rc);
  if (rc != SQLITE_OK)
    goto failed;
  if (g_strcmp0 (mode, "wal") != 0)
    {
      g_set_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_DATABASE,
                   "Could not open the local cache: journal mode %s instead of wal", mode);
      return DUET_STORE_OPEN_FAILED;
    }
  /* In WAL mode, NORMAL syncs at checkpoints, not at every commit: a
   * killed process loses nothing committed, and a power cut can lose the
   * last transactions but never splits one.  Each sync response and its
   * token are one transaction, so a lost one is simply synced again from
   * the older token; FULL's fsync per sync would buy nothing. */
  /* A first sync of thousands of rooms is one transaction of tens of MB,
   * written in room order, which is no key order: with SQLite's default
   * 2 MB cache its pages spill to the WAL and are dirtied and written
   * again.  16 MB holds the busy pages (memory is only taken as used). */
  if ((rc = sqlite3_exec (db->handle, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL)) != SQLITE_OK ||
      (rc = sqlite3_exec (db->handle, "PRAGMA cache_size = -16384", NULL, NULL, NULL)) != SQLITE_OK ||
      (rc = sqlite3_busy_timeout (db->handle, 2000)) != SQLITE_OK)
    goto failed;
  g_clear_pointer (&mode, g_free);
  mode = query_text (db, "PRAGMA page_size", &rc);
  if (rc != SQLITE_OK)
    goto failed;
  db->page_size = MAX (mode != NULL ? (int) g_ascii_strtoll (mode, NULL, 10) : 0, 512);
  /* SQLite copies the WAL into the database inside the commit that grows
   * it past its limit: the commit of a first sync (its result) then waits
   * for a copy of the whole database and its fsyncs.  This hook replaces
   * that, and the worker checkpoints when no job waits
   * (duet_store_db_checkpoint). */
  sqlite3_wal_hook (db->handle, wal_committed, db);

  /* A check after an earlier start found damage (duet_store_db_verify). */
  marker = g_strconcat (path, DAMAGED_SUFFIX, NULL);
  if (g_file_test (marker, G_FILE_TEST_EXISTS))
    {
      *reason = g_strdup ("The local cache was damaged");
      return DUET_STORE_OPEN_UNUSABLE;
    }

  version = duet_store_schema_get_version (db, error);
  if (version < 0)
    return DUET_STORE_OPEN_FAILED;

  if (version > DUET_STORE_SCHEMA_VERSION)
    {
      *reason = g_strdup_printf ("The local cache was written by a newer version of Duet "
                                 "(schema %d, this one reads up to %d)",
                                 version, DUET_STORE_SCHEMA_VERSION);
      return DUET_STORE_OPEN_UNUSABLE;
    }
  /* Reading every page (quick_check) costs a start as much as reading
   * the list itself on a big account: the open reads each table's first
   * pages, and duet_store_db_verify() the rest once the list is shown. */
  for (guint i = 0; i < G_N_ELEMENTS (probes); i++)
    {
      if (version < probes[i].since || (probes[i].until != 0 && version >= probes[i].until))
        continue;
      g_clear_pointer (&check, g_free);
      check = query_text (db, probes[i].sql, &rc);
      if (rc != SQLITE_OK)
        goto failed;
    }
  if (!duet_store_schema_migrate (db, error))
    return DUET_STORE_OPEN_FAILED;
  return DUET_STORE_OPEN_OK;

failed:
  if (is_corruption (rc))
    {
      *reason = g_strdup_printf ("The local cache could not be read (%s)",
                                 db->handle != NULL ? sqlite3_errmsg (db->handle) : sqlite3_errstr (rc));
      return DUET_STORE_OPEN_UNUSABLE;
    }
  duet_store_db_fail (db, rc, "open", error);
  return DUET_STORE_OPEN_FAILED;
}

gboolean
duet_store_db_verify (DuetStoreDb  *db,
                      const char   *path,
                      GError      **error)
{
  g_autofree char *check = NULL;
  g_autofree char *marker = NULL;
  int rc;

  DUET_STORE_DB_ASSERT_THREAD (db);

  /* quick_check reads every page but skips the index cross-checks of
   * integrity_check, which grow too slow for a routine check. */
  check = query_text (db, "PRAGMA quick_check", &rc);
  if (rc == SQLITE_OK && g_strcmp0 (check, "ok") == 0)
    return TRUE;
  if (rc != SQLITE_OK && !is_corruption (rc))
    return duet_store_db_fail (db, rc, "check", error);

  /* The check's report can run to pages: the log gets it, the UI not. */
  g_message ("Local cache check: %s", check != NULL ? check : sqlite3_errstr (rc));
  marker = g_strconcat (path, DAMAGED_SUFFIX, NULL);
  if (!g_file_set_contents (marker, "", 0, error))
    return FALSE;
  g_set_error_literal (error, DUET_STORE_ERROR, DUET_STORE_ERROR_DATABASE,
                       "The local cache is damaged: it will be rebuilt at the next start");
  return FALSE;
}

/* Moves the database and its WAL files to <name>.corrupt-<timestamp>,
 * where a bug report can still find them. */
gboolean
duet_store_move_aside (const char  *path,
                       GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *target = g_strdup_printf ("%s.corrupt-%s", path, stamp);
  static const char * const suffixes[] = { "", "-wal", "-shm" };
  g_autofree char *marker = g_strconcat (path, DAMAGED_SUFFIX, NULL);

  /* Two resets within a second must not overwrite the first one's file. */
  for (guint i = 1; g_file_test (target, G_FILE_TEST_EXISTS); i++)
    {
      g_free (target);
      target = g_strdup_printf ("%s.corrupt-%s-%u", path, stamp, i);
    }

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *from = g_strconcat (path, suffixes[i], NULL);
      g_autofree char *to = g_strconcat (target, suffixes[i], NULL);

      if (g_rename (from, to) != 0 && errno != ENOENT)
        {
          int saved_errno = errno;

          g_set_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_IO,
                       "Could not move the damaged local cache aside: %s", g_strerror (saved_errno));
          return FALSE;
        }
    }
  /* Its successor starts undamaged. */
  if (g_unlink (marker) != 0 && errno != ENOENT)
    g_message ("Could not remove %s: %s", marker, g_strerror (errno));
  g_message ("Moved the unusable local cache to %s", target);
  return TRUE;
}

int
duet_store_take_lock (const char  *data_dir,
                      GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, "duet.lock", NULL);
  int saved_errno, fd;

  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_IO,
                   "Could not open %s: %s", path, g_strerror (saved_errno));
      return -1;
    }
  /* flock belongs to the open file, so a second DuetStore in this very
   * process is refused too, and the kernel drops it when a process dies. */
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      saved_errno = errno;
      close (fd);
      if (saved_errno == EWOULDBLOCK)
        g_set_error_literal (error, DUET_STORE_ERROR, DUET_STORE_ERROR_LOCKED,
                             "Duet is already running with this data folder");
      else
        g_set_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_IO,
                     "Could not lock %s: %s", path, g_strerror (saved_errno));
      return -1;
    }
  return fd;
}

void
duet_store_db_close (DuetStoreDb *db)
{
  DUET_STORE_DB_ASSERT_THREAD (db);

  g_clear_pointer (&db->start_stale, g_hash_table_unref);
  g_clear_pointer (&db->own_user_id, g_free);
  if (db->handle == NULL)
    return;
  duet_store_db_finalize_statements (db);
  /* The last connection to close checkpoints the WAL into the file. */
  sqlite3_close (db->handle);
  db->handle = NULL;
}
