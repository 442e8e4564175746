/* duet-store.h: the local cache of one account's sync data
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One SQLite file per data folder holds what Duet needs to open showing the
 * contacts before the first sync returns: the sync token, global and room
 * account data, each room's membership, current state, last events and
 * unread counts.  Each /sync response is written in one transaction together
 * with its next_batch token, so a crash never leaves the token ahead of the
 * data it stands for.
 *
 * The store knows no model objects: it takes /sync responses and gives back
 * a snapshot shaped like an initial /sync response, which the model ingests
 * through its normal path.  The access token is never stored here (see
 * duet-secret-store.h).
 *
 * All database work runs on one worker thread owned by the store; every
 * call is async and completes on the caller's thread-default main context.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define DUET_STORE_ERROR (duet_store_error_quark ())

typedef enum {
  DUET_STORE_ERROR_LOCKED,        /* another process has this data folder open */
  DUET_STORE_ERROR_IO,            /* the folder or lock file cannot be made or opened */
  DUET_STORE_ERROR_DATABASE,      /* SQLite failed (disk full, read-only, I/O error ...) */
  DUET_STORE_ERROR_INVALID_DATA,  /* a /sync response without a next_batch token */
} DuetStoreError;

GQuark duet_store_error_quark (void);

/* Events (serialized) above this size are not cached. */
#define DUET_STORE_MAX_EVENT_SIZE (64 * 1024)
/* Account data is never skipped (a lost m.direct would cost contacts and
 * make Start Chat duplicate rooms): content over this fails the save. */
#define DUET_STORE_MAX_ACCOUNT_DATA_SIZE (8 * 1024 * 1024)
/* Room ids, event ids, event types and state keys above this length are not cached. */
#define DUET_STORE_MAX_ID_LENGTH 255
/* Timeline events kept per room. */
#define DUET_STORE_TIMELINE_LENGTH 50

#define DUET_TYPE_STORE (duet_store_get_type ())
G_DECLARE_FINAL_TYPE (DuetStore, duet_store, DUET, STORE, GObject)

/* Creates @data_dir (0700) when missing, takes the folder's lock and opens
 * (or creates, or migrates) <data_dir>/duet.sqlite.  Fails with
 * DUET_STORE_ERROR_LOCKED while another DuetStore, in this process or
 * another, has the folder open.  A corrupt database is moved aside and
 * replaced by an empty one: see duet_store_get_was_reset(). */
void        duet_store_open_async             (const char           *data_dir,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
DuetStore  *duet_store_open_finish            (GAsyncResult         *result,
                                               GError              **error) G_GNUC_WARN_UNUSED_RESULT;

const char *duet_store_get_data_dir           (DuetStore            *self);
/* Whether opening found the database unusable and started an empty one;
 * the reason is a short English sentence for the UI, the old file stays
 * beside as duet.sqlite.corrupt-<timestamp>. */
gboolean    duet_store_get_was_reset          (DuetStore            *self);
const char *duet_store_get_reset_reason       (DuetStore            *self);

/* Merges one /sync response and its next_batch token in one transaction.
 * The response is serialized on the calling thread before this returns,
 * so the caller may keep using it (json-glib's reference counts are not
 * thread-safe, so the worker never touches the caller's tree). */
void        duet_store_save_sync_async        (DuetStore            *self,
                                               JsonObject           *response,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean    duet_store_save_sync_finish       (DuetStore            *self,
                                               GAsyncResult         *result,
                                               GError              **error);

/* The same, for a response that arrives part by part (a streamed /sync):
 * the parts are written as they come, in one transaction that commits with
 * the token, or rolls back on abort.  Until then every later store job
 * waits.  The callback completes with duet_store_save_sync_finish(); an
 * aborted response fails with G_IO_ERROR_CANCELLED and leaves the cache
 * as it was.  Each writer must end with commit or abort, which free it. */
typedef struct _DuetStoreSyncWriter DuetStoreSyncWriter;

DuetStoreSyncWriter *duet_store_save_sync_begin (DuetStore           *self,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
/* @json: the response's account_data object ({"events": [...]}). */
void        duet_store_sync_writer_add_account_data (DuetStoreSyncWriter *writer,
                                               GBytes               *json);
/* @json: one room's object of rooms.<membership>.<room_id>. */
void        duet_store_sync_writer_add_room   (DuetStoreSyncWriter  *writer,
                                               const char           *membership,
                                               const char           *room_id,
                                               GBytes               *json);
/* The same, for @json the caller has checked with duet_json_raw_validate()
 * at the nesting of a room in /sync (3); @controls: what it said of raw
 * control characters.  The store then reads it without checking it again. */
void        duet_store_sync_writer_add_checked_room (DuetStoreSyncWriter *writer,
                                               const char           *membership,
                                               const char           *room_id,
                                               GBytes               *json,
                                               gboolean              controls);
void        duet_store_sync_writer_commit     (DuetStoreSyncWriter  *writer,
                                               const char           *next_batch);
void        duet_store_sync_writer_abort      (DuetStoreSyncWriter  *writer);

/* Resolves to a new object shaped like an initial /sync response (next_batch,
 * account_data, rooms.join/invite/leave), or NULL without an error when no
 * sync was ever saved. */
void        duet_store_load_snapshot_async    (DuetStore            *self,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
JsonObject *duet_store_load_snapshot_finish   (DuetStore            *self,
                                               GAsyncResult         *result,
                                               GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* A room as a start shows it: its /sync entry, as JSON text, with only
 * what the contact list needs (see duet-store-start.c).  Its timeline
 * holds its newest events back to the newest message, without prev_batch
 * (an open chat reads its events with duet_store_load_timeline_async());
 * room account data is left out.  @lazy_members: not every member is in
 * it, only ours and the heroes' (the rest come with
 * duet_store_load_members_async()). */
typedef struct {
  const char *section;        /* "join", "invite" or "leave" */
  char       *room_id;
  char       *entry;          /* JSON text of an object, checked strictly
                               * (duet_json_raw_validate(), at depth 3) */
  gsize       length;
  gboolean    lazy_members;
} DuetStoreStartRoom;

/* What a start reads: @response holds next_batch and account_data as a
 * /sync response does (and no rooms); @rooms every cached room. */
typedef struct {
  JsonObject *response;
  GPtrArray  *rooms;          /* of DuetStoreStartRoom */
} DuetStoreStart;

void        duet_store_start_free                 (DuetStoreStart   *start);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DuetStoreStart, duet_store_start_free)

/* The lean snapshot a start shows the contact list from, or NULL (and
 * no error) when nothing is cached.  @own_user_id: whose member event
 * every room keeps. */
void        duet_store_load_start_snapshot_async  (DuetStore        *self,
                                               const char           *own_user_id,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
DuetStoreStart *duet_store_load_start_snapshot_finish (DuetStore    *self,
                                               GAsyncResult         *result,
                                               GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Writes now the start entries the worker would write when idle (those
 * of the rooms saved since the store opened), for @own_user_id's starts:
 * for a benchmark or a test that needs them on disk. */
void        duet_store_write_start_entries_async  (DuetStore        *self,
                                               const char           *own_user_id,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean    duet_store_write_start_entries_finish (DuetStore        *self,
                                               GAsyncResult         *result,
                                               GError              **error);

/* Every cached m.room.member event of each of @room_ids: a new object
 * mapping each room id to an array of events (empty when none). */
void        duet_store_load_members_async     (DuetStore            *self,
                                               const char * const   *room_ids,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
JsonObject *duet_store_load_members_finish    (DuetStore            *self,
                                               GAsyncResult         *result,
                                               GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Opening reads only the first pages of each table: this reads every page
 * (SQLite's quick_check), for a caller to run once what it shows first is
 * shown.  Damage fails with DUET_STORE_ERROR_DATABASE and makes the next
 * open move the file aside and start empty (duet_store_get_was_reset()). */
void        duet_store_verify_async           (DuetStore            *self,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean    duet_store_verify_finish          (DuetStore            *self,
                                               GAsyncResult         *result,
                                               GError              **error);

/* The stored next_batch token, or NULL without an error when none. */
void        duet_store_get_sync_token_async   (DuetStore            *self,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
char       *duet_store_get_sync_token_finish  (DuetStore            *self,
                                               GAsyncResult         *result,
                                               GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Removes every trace of @room_id (after /forget: sync never reports it). */
void        duet_store_forget_room_async      (DuetStore            *self,
                                               const char           *room_id,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean    duet_store_forget_room_finish     (DuetStore            *self,
                                               GAsyncResult         *result,
                                               GError              **error);

/* Deletes everything (sign out); the store stays open and empty. */
void        duet_store_clear_async            (DuetStore            *self,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean    duet_store_clear_finish           (DuetStore            *self,
                                               GAsyncResult         *result,
                                               GError              **error);

/* --- Outbox (duet-store-outbox.c): messages not yet echoed by /sync ------- */

/* One queued message as stored.  SENDING is not stored: a message that was
 * on its way when Duet stopped is sent again with its txnId.  A SENT one
 * has its event id and waits for its echo. */
typedef struct {
  char     *room_id;
  char     *txn_id;
  char     *event_type;
  char     *content;        /* the event content, JSON text */
  gboolean  failed;         /* refused by the server: waits for Retry or Delete */
  char     *error_message;  /* why the last try failed, or NULL */
  char     *event_id;       /* the server accepted it (SENT), or NULL */
  gint64    created;        /* ms since the epoch, local */
} DuetStoreOutgoing;

void        duet_store_outgoing_free          (DuetStoreOutgoing    *outgoing);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DuetStoreOutgoing, duet_store_outgoing_free)

/* Content above this size (serialized) is refused: the server would too. */
#define DUET_STORE_MAX_OUTGOING_SIZE (64 * 1024)
/* Draft text above this size is cut (at a character boundary). */
#define DUET_STORE_MAX_DRAFT_SIZE (256 * 1024)

/* Appends a message at the end of the queue.  The txnId is unique: adding
 * one twice fails (DUET_STORE_ERROR_DATABASE).  @content is serialized on
 * the calling thread before this returns. */
void        duet_store_add_outgoing_async     (DuetStore            *self,
                                               const char           *room_id,
                                               const char           *txn_id,
                                               const char           *event_type,
                                               JsonObject           *content,
                                               gint64                created,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean    duet_store_add_outgoing_finish    (DuetStore            *self,
                                               GAsyncResult         *result,
                                               GError              **error);
/* Records whether the message is refused (FAILED) and why, or accepted
 * with @event_id (SENT); @error_message and @event_id may be NULL.  An
 * unknown txnId is not an error (its echo came first). */
void        duet_store_update_outgoing_async  (DuetStore            *self,
                                               const char           *txn_id,
                                               gboolean              failed,
                                               const char           *error_message,
                                               const char           *event_id,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean    duet_store_update_outgoing_finish (DuetStore            *self,
                                               GAsyncResult         *result,
                                               GError              **error);
/* Drops a message (echoed by /sync, or deleted by the user). */
void        duet_store_remove_outgoing_async  (DuetStore            *self,
                                               const char           *txn_id,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean    duet_store_remove_outgoing_finish (DuetStore            *self,
                                               GAsyncResult         *result,
                                               GError              **error);
/* Every stored message, in queue order: a GPtrArray of DuetStoreOutgoing. */
void        duet_store_list_outgoing_async    (DuetStore            *self,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
GPtrArray  *duet_store_list_outgoing_finish   (DuetStore            *self,
                                               GAsyncResult         *result,
                                               GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* --- Drafts (duet-store-outbox.c): what the composer held, per room ------ */

/* @text NULL or empty removes the draft. */
void        duet_store_set_draft_async        (DuetStore            *self,
                                               const char           *room_id,
                                               const char           *text,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean    duet_store_set_draft_finish       (DuetStore            *self,
                                               GAsyncResult         *result,
                                               GError              **error);
/* NULL (no error) when the room has no draft. */
void        duet_store_load_draft_async       (DuetStore            *self,
                                               const char           *room_id,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
char       *duet_store_load_draft_finish      (DuetStore            *self,
                                               GAsyncResult         *result,
                                               GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* --- Timeline (duet-store-timeline.c): one room's cached events -------- */

/* Resolves to a new object shaped like a /sync timeline: "events" (oldest
 * first, each an object), "limited" and "prev_batch" (the token to
 * paginate back from the oldest of them, absent when none).  NULL without
 * an error when the store knows nothing of the room.  The read is short:
 * @cancellable only makes the result G_IO_ERROR_CANCELLED. */
void        duet_store_load_timeline_async    (DuetStore            *self,
                                               const char           *room_id,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
JsonObject *duet_store_load_timeline_finish   (DuetStore            *self,
                                               GAsyncResult         *result,
                                               GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
