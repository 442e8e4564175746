/* duet-store-private.h: the worker-thread side of DuetStore
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here runs on the store's worker thread and nowhere else: the
 * sqlite3 handle is opened, used and closed by that thread only, which
 * every function checks.
 */
#pragma once

#include <sqlite3.h>

#include "duet-json-raw.h"
#include "duet-store.h"

G_BEGIN_DECLS

/* The schema version this build writes (PRAGMA user_version). */
#define DUET_STORE_SCHEMA_VERSION 7
/* The version whose migration dropped timeline_by_event (migrate_to_v6). */
#define DUET_STORE_VERSION_WITHOUT_TIMELINE_BY_EVENT 6
/* The version whose migration dropped state_fields (migrate_to_v7). */
#define DUET_STORE_VERSION_WITHOUT_STATE_FIELDS 7

typedef struct {
  sqlite3    *handle;
  GThread    *thread;      /* the only thread that may touch @handle */
  GHashTable *statements;  /* SQL constant's address -> sqlite3_stmt*, prepared once */
  /* After one failed save every later one is refused: saving a newer
   * response would move the token past the data that failed. */
  gboolean    save_failed;
  /* Frames in the WAL after the last commit (see duet_store_db_checkpoint). */
  int         wal_pages;
  int         page_size;
  /* Rooms whose room_start entry a save dropped (schema version 5), to
   * be written again between jobs; NULL when none.  @own_user_id: whose
   * start they are for, from the last start read (none is written before). */
  GHashTable *start_stale;
  char       *own_user_id;
} DuetStoreDb;

#define DUET_STORE_DB_ASSERT_THREAD(db) g_assert (g_thread_self () == (db)->thread)

/* Sets @error from the connection's last error and returns FALSE. */
gboolean      duet_store_db_fail           (DuetStoreDb  *db,
                                            int           rc,
                                            const char   *what,
                                            GError      **error);
/* A cached, reset statement for @sql, a string constant (never SQL built
 * from data, nor any other string that is freed): statements are cached
 * by its address. */
sqlite3_stmt *duet_store_db_prepare        (DuetStoreDb  *db,
                                            const char   *sql,
                                            GError      **error);
/* Runs a constant statement without results. */
gboolean      duet_store_db_exec           (DuetStoreDb  *db,
                                            const char   *sql,
                                            GError      **error);
/* Steps a write statement from duet_store_db_prepare() once, then resets
 * it and clears its bindings (a statement is bound afresh for each use). */
gboolean      duet_store_db_step_write     (DuetStoreDb  *db,
                                            sqlite3_stmt *stmt,
                                            GError      **error);
void          duet_store_db_finalize_statements (DuetStoreDb *db);

/* duet-store-open.c */
typedef enum {
  DUET_STORE_OPEN_OK,
  DUET_STORE_OPEN_UNUSABLE,  /* not a database we can use: move it aside */
  DUET_STORE_OPEN_FAILED,    /* anything else (permissions, disk): report, touch nothing */
} DuetStoreOpenResult;

/* Opens, checks and migrates @path; @reason says why it is unusable. */
DuetStoreOpenResult duet_store_db_open (DuetStoreDb  *db,
                                        const char   *path,
                                        char        **reason,
                                        GError      **error);
void          duet_store_db_close          (DuetStoreDb  *db);
/* Copies the WAL into the database once it holds @min_bytes or more
 * (SQLite's automatic checkpoint, run when the worker chooses instead of
 * inside a commit): DUET_STORE_CHECKPOINT_IDLE when nothing waits,
 * DUET_STORE_CHECKPOINT_BUSY between jobs, so that it cannot grow without
 * end under a steady stream of them. */
#define DUET_STORE_CHECKPOINT_IDLE (G_GINT64_CONSTANT (4) * 1024 * 1024)
#define DUET_STORE_CHECKPOINT_BUSY (G_GINT64_CONSTANT (512) * 1024 * 1024)
void          duet_store_db_checkpoint     (DuetStoreDb  *db,
                                            gint64        min_bytes);
/* Reads every page; on damage leaves a mark beside @path that makes the
 * next open move the database aside, and fails. */
gboolean      duet_store_db_verify         (DuetStoreDb  *db,
                                            const char   *path,
                                            GError      **error);
/* Moves the database and its WAL files to <path>.corrupt-<timestamp>. */
gboolean      duet_store_move_aside        (const char   *path,
                                            GError      **error);
/* The locked lock file's descriptor, or -1 (DUET_STORE_ERROR_LOCKED when
 * another open file holds the lock). */
int           duet_store_take_lock         (const char   *data_dir,
                                            GError      **error);

/* duet-store-schema.c */
int           duet_store_schema_get_version (DuetStoreDb  *db,
                                            GError      **error);
gboolean      duet_store_schema_migrate    (DuetStoreDb  *db,
                                            GError      **error);

/* duet-store-state-fields.c: the fields a start entry keeps of a state
 * row the contact list reads, read in place from the row's stored text
 * (each a slice of it, empty when absent). */
typedef struct {
  gboolean    content_object;    /* else the entry leaves the row out */
  DuetJsonRaw membership;
  DuetJsonRaw displayname;
  DuetJsonRaw avatar_url;
  DuetJsonRaw name;              /* m.room.name */
  DuetJsonRaw replacement;       /* m.room.tombstone's replacement_room */
  DuetJsonRaw predecessor;       /* m.room.create's predecessor.room_id */
  DuetJsonRaw service_members;   /* whatever its type */
  /* Of our own member event only: */
  DuetJsonRaw is_direct;
  DuetJsonRaw sender;
  DuetJsonRaw prev_membership;
  DuetJsonRaw prev_is_direct;
  DuetJsonRaw prev_sender;
} DuetStoreStateFields;

/* FALSE (and no fields) when @text is no JSON object, or holds raw
 * control characters; @own: the row is our own member event. */
gboolean      duet_store_state_fields_read (DuetStoreStateFields *fields,
                                            const char   *type,
                                            const char   *text,
                                            gsize         length,
                                            gboolean      own);
/* A field's string as json-glib reads it (cut at U+0000), or NULL when
 * it is no string. */
char         *duet_store_state_fields_dup_string (const DuetJsonRaw *value) G_GNUC_WARN_UNUSED_RESULT;

/* duet-store-sync.c: @response is the worker's own parsed copy. */
gboolean      duet_store_db_save_sync      (DuetStoreDb  *db,
                                            JsonObject   *response,
                                            GError      **error);
/* duet-store-sync.c: a streamed response, item by item from the writer's
 * queue until its commit or abort.  With @refuse set (an earlier save
 * failed) the items are only drained.  An abort fails with G_IO_ERROR_CANCELLED. */
GAsyncQueue  *duet_store_sync_writer_get_queue (DuetStoreSyncWriter *writer);
DuetStoreSyncWriter *duet_store_sync_writer_new (void);
gboolean      duet_store_db_save_sync_stream (DuetStoreDb *db,
                                            GAsyncQueue  *queue,
                                            gboolean      refuse,
                                            GError      **error);
gboolean      duet_store_db_forget_room    (DuetStoreDb  *db,
                                            const char   *room_id,
                                            GError      **error);
gboolean      duet_store_db_clear          (DuetStoreDb  *db,
                                            GError      **error);
char         *duet_store_db_get_sync_token (DuetStoreDb  *db,
                                            GError      **error);

/* duet-store.c: a job for the worker that needs only the database. */
typedef gpointer (*DuetStoreDbJobFunc) (DuetStoreDb  *db,
                                        gpointer      input,
                                        GError      **error);
void          _duet_store_queue_db_job     (DuetStore           *self,
                                            gpointer             source_tag,
                                            DuetStoreDbJobFunc   run,
                                            gpointer             input,
                                            GDestroyNotify       input_free,
                                            GDestroyNotify       output_free,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);

/* duet-store-outbox.c: the outbox and drafts tables (schema version 2). */
gboolean      duet_store_db_clear_outbox   (DuetStoreDb  *db,
                                            GError      **error);
gboolean      duet_store_db_forget_room_outbox (DuetStoreDb *db,
                                            const char   *room_id,
                                            GError      **error);

/* duet-store-snapshot.c */
JsonObject   *duet_store_db_load_snapshot  (DuetStoreDb  *db,
                                            GError      **error);
/* Appends the account data rows to @events as {type, content} objects. */
JsonArray    *_duet_store_snapshot_add_events        (JsonObject    *parent,
                                                      const char    *name);
JsonNode     *_duet_store_snapshot_parse_column      (sqlite3_stmt  *stmt,
                                                      int            column);
gboolean      _duet_store_snapshot_finish_query      (DuetStoreDb   *db,
                                                      sqlite3_stmt  *stmt,
                                                      int            rc,
                                                      GError       **error);
JsonObject   *_duet_store_snapshot_begin             (DuetStoreDb  *db,
                                                      JsonObject  **sections_out,
                                                      GError      **error);
gboolean      _duet_store_snapshot_read_account_data (DuetStoreDb *db,
                                            JsonArray    *events,
                                            GError      **error);

/* duet-store-start.c */
DuetStoreStart *duet_store_db_load_start_snapshot (DuetStoreDb *db,
                                            const char   *own_user_id,
                                            GError      **error);
/* A save changed @room_id (or forgot it): its room_start row goes in the
 * save's transaction (@has_row: it may have one), and it is written again
 * between jobs. */
gboolean      duet_store_db_start_changed  (DuetStoreDb  *db,
                                            const char   *room_id,
                                            gboolean      has_row,
                                            GError      **error);
/* Whose entries are written (our member event is kept in each). */
void          duet_store_db_set_own_user_id (DuetStoreDb *db,
                                            const char   *own_user_id);
/* Writes the entries of up to a batch of changed rooms, in a transaction
 * of its own; FALSE when there was nothing to do.  Between jobs. */
gboolean      duet_store_db_refresh_start  (DuetStoreDb  *db);
JsonObject   *duet_store_db_load_members   (DuetStoreDb         *db,
                                            const char * const  *room_ids,
                                            GError             **error);

G_END_DECLS
