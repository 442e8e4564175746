/* duet-store.c: the store object, its worker thread, opening and locking
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One worker thread owns the SQLite connection: every call queues a job,
 * the worker runs it, and the result is handed back to the caller's main
 * context, where the GTask returns.  Tasks are only ever returned and
 * released on that context, so the last reference to the store can never
 * be dropped on the worker (whose finalize would have to join itself).
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "duet-store-private.h"

G_DEFINE_QUARK (duet-store-error-quark, duet_store_error)

struct _DuetStore
{
  GObject       parent_instance;

  char         *data_dir;
  gboolean      was_reset;
  char         *reset_reason;

  GThread      *worker;
  GAsyncQueue  *jobs;

  /* Worker thread only. */
  DuetStoreDb   db;
  int           lock_fd;
};

G_DEFINE_FINAL_TYPE (DuetStore, duet_store, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DATA_DIR,
  PROP_WAS_RESET,
  PROP_RESET_REASON,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Runs on the worker; returns the job's result (NULL is a valid one). */
typedef gpointer (*JobFunc) (DuetStore *self, gpointer input, GError **error);

typedef struct {
  GTask          *task;         /* NULL for the job that stops the worker */
  JobFunc         run;
  DuetStoreDbJobFunc db_run;    /* instead of @run, for the other files' jobs */
  gpointer        input;
  GDestroyNotify  input_free;
  gpointer        output;
  GDestroyNotify  output_free;
  GError         *error;
} Job;

static void
job_free (Job *job)
{
  if (job->input_free != NULL)
    g_clear_pointer (&job->input, job->input_free);
  if (job->output_free != NULL)
    g_clear_pointer (&job->output, job->output_free);
  g_clear_error (&job->error);
  g_clear_object (&job->task);
  g_free (job);
}

/* On the caller's main context. */
static gboolean
job_complete (gpointer data)
{
  Job *job = data;

  if (job->error != NULL)
    g_task_return_error (job->task, g_steal_pointer (&job->error));
  else
    g_task_return_pointer (job->task, g_steal_pointer (&job->output), job->output_free);
  job_free (job);
  return G_SOURCE_REMOVE;
}

static gpointer
worker_main (gpointer data)
{
  DuetStore *self = data;

  self->db.thread = g_thread_self ();

  for (;;)
    {
      Job *job = g_async_queue_try_pop (self->jobs);

      /* Idle: the start entries of rooms the last saves changed, a batch
       * at a time, so a job waits for one batch at most; then the WAL's
       * copy into the database.  That copy and its fsyncs take a second
       * after a first sync of thousands of rooms: jobs queued meanwhile
       * (the chat the user opens, the next sync's save) go first. */
      if (job == NULL)
        {
          if (duet_store_db_refresh_start (&self->db))
            continue;
          duet_store_db_checkpoint (&self->db, DUET_STORE_CHECKPOINT_IDLE);
          job = g_async_queue_pop (self->jobs);
        }

      if (job->task == NULL)
        {
          job_free (job);
          break;
        }

      if (!g_cancellable_set_error_if_cancelled (g_task_get_cancellable (job->task), &job->error))
        job->output = job->run != NULL ? job->run (self, job->input, &job->error)
                                       : job->db_run (&self->db, job->input, &job->error);
      /* Only the main context returns and releases the task. */
      g_main_context_invoke_full (g_task_get_context (job->task), G_PRIORITY_DEFAULT,
                                  job_complete, job, NULL);
      duet_store_db_checkpoint (&self->db, DUET_STORE_CHECKPOINT_BUSY);
    }

  duet_store_db_close (&self->db);
  if (self->lock_fd >= 0)
    close (self->lock_fd);  /* releases the flock */
  self->lock_fd = -1;
  return NULL;
}

static void
queue_job (DuetStore           *self,
           GCancellable        *cancellable,
           gpointer             source_tag,
           JobFunc              run,
           gpointer             input,
           GDestroyNotify       input_free,
           GDestroyNotify       output_free,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  Job *job = g_new0 (Job, 1);

  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, source_tag);
  job->run = run;
  job->input = input;
  job->input_free = input_free;
  job->output_free = output_free;
  g_async_queue_push (self->jobs, job);
}

void
_duet_store_queue_db_job (DuetStore           *self,
                          gpointer             source_tag,
                          DuetStoreDbJobFunc   run,
                          gpointer             input,
                          GDestroyNotify       input_free,
                          GDestroyNotify       output_free,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  Job *job = g_new0 (Job, 1);

  job->task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (job->task, source_tag);
  job->db_run = run;
  job->input = input;
  job->input_free = input_free;
  job->output_free = output_free;
  g_async_queue_push (self->jobs, job);
}

typedef struct {
  gboolean  was_reset;
  char     *reason;
} OpenOutcome;

static void
open_outcome_free (OpenOutcome *outcome)
{
  g_free (outcome->reason);
  g_free (outcome);
}

static gpointer
open_job (DuetStore  *self,
          gpointer    input,
          GError    **error)
{
  g_autofree char *path = g_build_filename (self->data_dir, "duet.sqlite", NULL);
  g_autofree char *reason = NULL;
  g_autofree char *fresh_reason = NULL;
  OpenOutcome *outcome;
  DuetStoreOpenResult result;

  if (g_mkdir_with_parents (self->data_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_IO,
                   "Could not create the data folder %s: %s", self->data_dir, g_strerror (saved_errno));
      return NULL;
    }
  /* The lock comes first: a database another process is writing must not
   * be judged, let alone moved aside. */
  self->lock_fd = duet_store_take_lock (self->data_dir, error);
  if (self->lock_fd < 0)
    return NULL;

  result = duet_store_db_open (&self->db, path, &reason, error);
  if (result == DUET_STORE_OPEN_UNUSABLE)
    {
      g_message ("%s; starting an empty one", reason);
      duet_store_db_close (&self->db);
      if (!duet_store_move_aside (path, error))
        return NULL;
      result = duet_store_db_open (&self->db, path, &fresh_reason, error);
      if (result == DUET_STORE_OPEN_UNUSABLE)
        g_set_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_DATABASE,
                     "A new local cache is unusable too: %s", fresh_reason);
      if (result != DUET_STORE_OPEN_OK)
        return NULL;
      outcome = g_new0 (OpenOutcome, 1);
      outcome->was_reset = TRUE;
      outcome->reason = g_steal_pointer (&reason);
      return outcome;
    }
  if (result != DUET_STORE_OPEN_OK)
    return NULL;
  return g_new0 (OpenOutcome, 1);
}

static void
open_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DuetStore *self = DUET_STORE (source);
  OpenOutcome *outcome;
  GError *error = NULL;

  outcome = g_task_propagate_pointer (G_TASK (result), &error);
  if (outcome == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  self->was_reset = outcome->was_reset;
  self->reset_reason = g_steal_pointer (&outcome->reason);
  open_outcome_free (outcome);
  g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

void
duet_store_open_async (const char          *data_dir,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(DuetStore) self = NULL;
  GTask *task;

  g_return_if_fail (data_dir != NULL && *data_dir != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  self = g_object_new (DUET_TYPE_STORE, "data-dir", data_dir, NULL);
  /* The outer task has no source object: a failed open leaves the caller
   * nothing to hold, and the store goes with the inner task. */
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_store_open_async);
  queue_job (self, cancellable, duet_store_open_async, open_job, NULL, NULL,
             (GDestroyNotify) open_outcome_free, open_cb, task);
}

DuetStore *
duet_store_open_finish (GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == duet_store_open_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The other jobs. */

static gpointer
save_sync_job (DuetStore  *self,
               gpointer    input,
               GError    **error)
{
  g_autoptr(JsonNode) node = NULL;
  GError *parse_error = NULL;

  if (self->db.save_failed)
    {
      g_set_error_literal (error, DUET_STORE_ERROR, DUET_STORE_ERROR_INVALID_DATA,
                           "An earlier sync could not be cached; the cache stays at its last "
                           "complete state until Duet starts again");
      return NULL;
    }

  node = json_from_string (input, &parse_error);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, DUET_STORE_ERROR, DUET_STORE_ERROR_INVALID_DATA,
                   "The sync response could not be read back: %s",
                   parse_error != NULL ? parse_error->message : "not an object");
      g_clear_error (&parse_error);
      self->db.save_failed = TRUE;
      return NULL;
    }
  if (!duet_store_db_save_sync (&self->db, json_node_get_object (node), error))
    {
      self->db.save_failed = TRUE;
      return NULL;
    }
  return GINT_TO_POINTER (TRUE);
}

void
duet_store_save_sync_async (DuetStore           *self,
                            JsonObject          *response,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(JsonNode) node = NULL;

  g_return_if_fail (DUET_IS_STORE (self));
  g_return_if_fail (response != NULL);

  /* The worker gets its own copy as text: json-glib counts references
   * without atomics, so two threads must never share one tree. */
  node = json_node_init_object (json_node_alloc (), response);
  queue_job (self, NULL, duet_store_save_sync_async, save_sync_job,
             json_to_string (node, FALSE), g_free, NULL, callback, user_data);
}

static gpointer
save_sync_stream_job (DuetStore  *self,
                      gpointer    input,
                      GError    **error)
{
  GError *local_error = NULL;

  if (duet_store_db_save_sync_stream (&self->db, input, self->db.save_failed, &local_error))
    return GINT_TO_POINTER (TRUE);
  /* An aborted response leaves the cache whole: later saves may go on. */
  if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    self->db.save_failed = TRUE;
  g_propagate_error (error, local_error);
  return NULL;
}

DuetStoreSyncWriter *
duet_store_save_sync_begin (DuetStore           *self,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  DuetStoreSyncWriter *writer;

  g_return_val_if_fail (DUET_IS_STORE (self), NULL);

  writer = duet_store_sync_writer_new ();
  queue_job (self, NULL, duet_store_save_sync_async, save_sync_stream_job,
             g_async_queue_ref (duet_store_sync_writer_get_queue (writer)),
             (GDestroyNotify) g_async_queue_unref, NULL, callback, user_data);
  return writer;
}

gboolean
duet_store_save_sync_finish (DuetStore     *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

static gpointer
load_snapshot_job (DuetStore  *self,
                   gpointer    input,
                   GError    **error)
{
  return duet_store_db_load_snapshot (&self->db, error);
}

void
duet_store_load_snapshot_async (DuetStore           *self,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (DUET_IS_STORE (self));

  queue_job (self, NULL, duet_store_load_snapshot_async, load_snapshot_job, NULL, NULL,
             (GDestroyNotify) json_object_unref, callback, user_data);
}

JsonObject *
duet_store_load_snapshot_finish (DuetStore     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gpointer
verify_job (DuetStore  *self,
            gpointer    input,
            GError    **error)
{
  g_autofree char *path = g_build_filename (self->data_dir, "duet.sqlite", NULL);

  return duet_store_db_verify (&self->db, path, error) ? GINT_TO_POINTER (TRUE) : NULL;
}

void
duet_store_verify_async (DuetStore           *self,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (DUET_IS_STORE (self));

  queue_job (self, NULL, duet_store_verify_async, verify_job, NULL, NULL, NULL, callback, user_data);
}

gboolean
duet_store_verify_finish (DuetStore     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

static gpointer
load_start_snapshot_job (DuetStoreDb  *db,
                         gpointer      input,
                         GError      **error)
{
  return duet_store_db_load_start_snapshot (db, input, error);
}

void
duet_store_load_start_snapshot_async (DuetStore           *self,
                                      const char          *own_user_id,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (DUET_IS_STORE (self));
  g_return_if_fail (own_user_id != NULL);

  _duet_store_queue_db_job (self, duet_store_load_start_snapshot_async, load_start_snapshot_job,
                            g_strdup (own_user_id), g_free, (GDestroyNotify) duet_store_start_free,
                            callback, user_data);
}

DuetStoreStart *
duet_store_load_start_snapshot_finish (DuetStore     *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gpointer
load_members_job (DuetStoreDb  *db,
                  gpointer      input,
                  GError      **error)
{
  return duet_store_db_load_members (db, input, error);
}

void
duet_store_load_members_async (DuetStore           *self,
                               const char * const  *room_ids,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (DUET_IS_STORE (self));
  g_return_if_fail (room_ids != NULL);

  _duet_store_queue_db_job (self, duet_store_load_members_async, load_members_job,
                            g_strdupv ((char **) room_ids), (GDestroyNotify) g_strfreev,
                            (GDestroyNotify) json_object_unref, callback, user_data);
}

JsonObject *
duet_store_load_members_finish (DuetStore     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gpointer
get_sync_token_job (DuetStore  *self,
                    gpointer    input,
                    GError    **error)
{
  return duet_store_db_get_sync_token (&self->db, error);
}

void
duet_store_get_sync_token_async (DuetStore           *self,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (DUET_IS_STORE (self));

  queue_job (self, NULL, duet_store_get_sync_token_async, get_sync_token_job, NULL, NULL,
             g_free, callback, user_data);
}

char *
duet_store_get_sync_token_finish (DuetStore     *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gpointer
write_start_entries_job (DuetStoreDb  *db,
                         gpointer      input,
                         GError      **error)
{
  duet_store_db_set_own_user_id (db, input);
  while (duet_store_db_refresh_start (db))
    ;
  return GINT_TO_POINTER (TRUE);
}

void
duet_store_write_start_entries_async (DuetStore           *self,
                                      const char          *own_user_id,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (DUET_IS_STORE (self));
  g_return_if_fail (own_user_id != NULL);

  _duet_store_queue_db_job (self, duet_store_write_start_entries_async, write_start_entries_job,
                            g_strdup (own_user_id), g_free, NULL, callback, user_data);
}

gboolean
duet_store_write_start_entries_finish (DuetStore     *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

static gpointer
forget_room_job (DuetStore  *self,
                 gpointer    input,
                 GError    **error)
{
  /* A forgotten room can take no message: its outbox and draft go too. */
  return duet_store_db_forget_room (&self->db, input, error) &&
         duet_store_db_forget_room_outbox (&self->db, input, error) ? GINT_TO_POINTER (TRUE) : NULL;
}

void
duet_store_forget_room_async (DuetStore           *self,
                              const char          *room_id,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (DUET_IS_STORE (self));
  g_return_if_fail (room_id != NULL);

  queue_job (self, NULL, duet_store_forget_room_async, forget_room_job, g_strdup (room_id), g_free,
             NULL, callback, user_data);
}

gboolean
duet_store_forget_room_finish (DuetStore     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

static gpointer
clear_job (DuetStore  *self,
           gpointer    input,
           GError    **error)
{
  return duet_store_db_clear (&self->db, error) &&
         duet_store_db_clear_outbox (&self->db, error) ? GINT_TO_POINTER (TRUE) : NULL;
}

void
duet_store_clear_async (DuetStore           *self,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (DUET_IS_STORE (self));

  queue_job (self, NULL, duet_store_clear_async, clear_job, NULL, NULL, NULL, callback, user_data);
}

gboolean
duet_store_clear_finish (DuetStore     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

/* Properties and life cycle. */

const char *
duet_store_get_data_dir (DuetStore *self)
{
  g_return_val_if_fail (DUET_IS_STORE (self), NULL);

  return self->data_dir;
}

gboolean
duet_store_get_was_reset (DuetStore *self)
{
  g_return_val_if_fail (DUET_IS_STORE (self), FALSE);

  return self->was_reset;
}

const char *
duet_store_get_reset_reason (DuetStore *self)
{
  g_return_val_if_fail (DUET_IS_STORE (self), NULL);

  return self->reset_reason;
}

static void
duet_store_finalize (GObject *object)
{
  DuetStore *self = DUET_STORE (object);

  /* Every queued job holds a reference through its task, so the queue is
   * empty now: the stop job is the next one the worker sees. */
  g_async_queue_push (self->jobs, g_new0 (Job, 1));
  g_thread_join (self->worker);
  g_async_queue_unref (self->jobs);
  g_hash_table_unref (self->db.statements);
  g_free (self->data_dir);
  g_free (self->reset_reason);

  G_OBJECT_CLASS (duet_store_parent_class)->finalize (object);
}

static void
duet_store_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  DuetStore *self = DUET_STORE (object);

  switch (prop_id)
    {
    case PROP_DATA_DIR:
      g_value_set_string (value, self->data_dir);
      break;
    case PROP_WAS_RESET:
      g_value_set_boolean (value, self->was_reset);
      break;
    case PROP_RESET_REASON:
      g_value_set_string (value, self->reset_reason);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_store_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  DuetStore *self = DUET_STORE (object);

  switch (prop_id)
    {
    case PROP_DATA_DIR:
      self->data_dir = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_store_class_init (DuetStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = duet_store_finalize;
  object_class->get_property = duet_store_get_property;
  object_class->set_property = duet_store_set_property;

  properties[PROP_DATA_DIR] =
    g_param_spec_string ("data-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* Set once, before duet_store_open_finish() returns the store. */
  properties[PROP_WAS_RESET] =
    g_param_spec_boolean ("was-reset", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RESET_REASON] =
    g_param_spec_string ("reset-reason", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
duet_store_init (DuetStore *self)
{
  self->lock_fd = -1;
  /* Keyed by the SQL's address: every statement is a string constant, and
   * hashing its text cost a tenth of each small write. */
  self->db.statements = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->jobs = g_async_queue_new ();
  self->worker = g_thread_new ("duet-store", worker_main, self);
}
