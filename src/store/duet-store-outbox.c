/* duet-store-outbox.c: the outbox and the composer drafts in the cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The outbox table holds every message the server has not echoed back in
 * /sync yet, in queue order, with the txnId it was given before its first
 * try: a restart sends it again under the same txnId, which the server
 * de-duplicates.  The drafts table holds what each room's composer held.
 *
 * The public calls check and copy their arguments on the caller's thread;
 * the *_job functions run on the store's worker thread.
 */
#include "config.h"

#include <string.h>

#include "duet-store-private.h"

void
duet_store_outgoing_free (DuetStoreOutgoing *outgoing)
{
  if (outgoing == NULL)
    return;
  g_free (outgoing->room_id);
  g_free (outgoing->txn_id);
  g_free (outgoing->event_type);
  g_free (outgoing->content);
  g_free (outgoing->error_message);
  g_free (outgoing->event_id);
  g_free (outgoing);
}

static gboolean
valid_id (const char *id)
{
  return id != NULL && *id != '\0' && strlen (id) <= DUET_STORE_MAX_ID_LENGTH;
}

static gboolean
bind_text (DuetStoreDb   *db,
           sqlite3_stmt  *stmt,
           int            index,
           const char    *text,
           GError       **error)
{
  int rc = text != NULL ? sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT)
                        : sqlite3_bind_null (stmt, index);

  if (rc != SQLITE_OK)
    return duet_store_db_fail (db, rc, "write", error);
  return TRUE;
}

/* Runs a prepared statement that returns no rows. */
static gboolean
step_done (DuetStoreDb   *db,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return duet_store_db_fail (db, rc, "write", error);
  return TRUE;
}

static gboolean
exec_for_room (DuetStoreDb  *db,
               const char   *sql,
               const char   *room_id,
               GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, sql, error);

  return stmt != NULL && bind_text (db, stmt, 1, room_id, error) && step_done (db, stmt, error);
}

static gboolean
in_transaction (DuetStoreDb  *db,
                gboolean    (*body) (DuetStoreDb *db, const char *room_id, GError **error),
                const char   *room_id,
                GError      **error)
{
  if (!duet_store_db_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!body (db, room_id, error) || !duet_store_db_exec (db, "COMMIT", error))
    {
      duet_store_db_exec (db, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}

static gboolean
clear_body (DuetStoreDb  *db,
            const char   *room_id,
            GError      **error)
{
  return duet_store_db_exec (db, "DELETE FROM outbox", error) &&
         duet_store_db_exec (db, "DELETE FROM drafts", error);
}

gboolean
duet_store_db_clear_outbox (DuetStoreDb  *db,
                            GError      **error)
{
  DUET_STORE_DB_ASSERT_THREAD (db);

  return in_transaction (db, clear_body, NULL, error);
}

static gboolean
forget_body (DuetStoreDb  *db,
             const char   *room_id,
             GError      **error)
{
  return exec_for_room (db, "DELETE FROM outbox WHERE room_id = ?1", room_id, error) &&
         exec_for_room (db, "DELETE FROM drafts WHERE room_id = ?1", room_id, error);
}

gboolean
duet_store_db_forget_room_outbox (DuetStoreDb  *db,
                                  const char   *room_id,
                                  GError      **error)
{
  DUET_STORE_DB_ASSERT_THREAD (db);

  return in_transaction (db, forget_body, room_id, error);
}

/* --- Outbox ---------------------------------------------------------------- */

static DuetStoreOutgoing *
outgoing_copy (const DuetStoreOutgoing *outgoing)
{
  DuetStoreOutgoing *copy = g_new0 (DuetStoreOutgoing, 1);

  copy->room_id = g_strdup (outgoing->room_id);
  copy->txn_id = g_strdup (outgoing->txn_id);
  copy->event_type = g_strdup (outgoing->event_type);
  copy->content = g_strdup (outgoing->content);
  copy->failed = outgoing->failed;
  copy->error_message = g_strdup (outgoing->error_message);
  copy->event_id = g_strdup (outgoing->event_id);
  copy->created = outgoing->created;
  return copy;
}

static gpointer
add_outgoing_job (DuetStoreDb  *db,
                  gpointer      input,
                  GError      **error)
{
  DuetStoreOutgoing *outgoing = input;
  sqlite3_stmt *stmt;

  DUET_STORE_DB_ASSERT_THREAD (db);

  stmt = duet_store_db_prepare (db,
                                "INSERT INTO outbox (room_id, txn_id, event_type, content, failed, "
                                "error_message, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                error);
  if (stmt == NULL ||
      !bind_text (db, stmt, 1, outgoing->room_id, error) ||
      !bind_text (db, stmt, 2, outgoing->txn_id, error) ||
      !bind_text (db, stmt, 3, outgoing->event_type, error) ||
      !bind_text (db, stmt, 4, outgoing->content, error) ||
      !bind_text (db, stmt, 6, outgoing->error_message, error))
    return NULL;
  sqlite3_bind_int (stmt, 5, outgoing->failed ? 1 : 0);
  sqlite3_bind_int64 (stmt, 7, outgoing->created);
  return step_done (db, stmt, error) ? GINT_TO_POINTER (TRUE) : NULL;
}

void
duet_store_add_outgoing_async (DuetStore           *self,
                               const char          *room_id,
                               const char          *txn_id,
                               const char          *event_type,
                               JsonObject          *content,
                               gint64               created,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(DuetStoreOutgoing) outgoing = NULL;
  g_autoptr(JsonNode) node = NULL;

  g_return_if_fail (DUET_IS_STORE (self));
  g_return_if_fail (room_id != NULL && txn_id != NULL && event_type != NULL);
  g_return_if_fail (content != NULL);

  /* The worker gets text: json-glib trees are not thread-safe. */
  node = json_node_init_object (json_node_alloc (), content);
  outgoing = g_new0 (DuetStoreOutgoing, 1);
  outgoing->room_id = g_strdup (room_id);
  outgoing->txn_id = g_strdup (txn_id);
  outgoing->event_type = g_strdup (event_type);
  outgoing->content = json_to_string (node, FALSE);
  outgoing->created = created;

  if (!valid_id (room_id) || !valid_id (txn_id) || !valid_id (event_type) ||
      strlen (outgoing->content) > DUET_STORE_MAX_OUTGOING_SIZE)
    {
      g_task_report_new_error (self, callback, user_data, duet_store_add_outgoing_async,
                               DUET_STORE_ERROR, DUET_STORE_ERROR_INVALID_DATA,
                               "The message is too large to be queued");
      return;
    }

  _duet_store_queue_db_job (self, duet_store_add_outgoing_async, add_outgoing_job,
                            g_steal_pointer (&outgoing), (GDestroyNotify) duet_store_outgoing_free,
                            NULL, callback, user_data);
}

gboolean
duet_store_add_outgoing_finish (DuetStore     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

static gpointer
update_outgoing_job (DuetStoreDb  *db,
                     gpointer      input,
                     GError      **error)
{
  DuetStoreOutgoing *outgoing = input;
  sqlite3_stmt *stmt;

  DUET_STORE_DB_ASSERT_THREAD (db);

  stmt = duet_store_db_prepare (db,
                                "UPDATE outbox SET failed = ?2, error_message = ?3, event_id = ?4 "
                                "WHERE txn_id = ?1",
                                error);
  if (stmt == NULL ||
      !bind_text (db, stmt, 1, outgoing->txn_id, error) ||
      !bind_text (db, stmt, 3, outgoing->error_message, error) ||
      !bind_text (db, stmt, 4, outgoing->event_id, error))
    return NULL;
  sqlite3_bind_int (stmt, 2, outgoing->failed ? 1 : 0);
  return step_done (db, stmt, error) ? GINT_TO_POINTER (TRUE) : NULL;
}

void
duet_store_update_outgoing_async (DuetStore           *self,
                                  const char          *txn_id,
                                  gboolean             failed,
                                  const char          *error_message,
                                  const char          *event_id,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  DuetStoreOutgoing outgoing = { 0, };

  g_return_if_fail (DUET_IS_STORE (self));
  g_return_if_fail (txn_id != NULL);

  outgoing.txn_id = (char *) txn_id;
  outgoing.failed = failed;
  outgoing.event_id = (char *) event_id;
  /* A server's error text is bounded like everything else it sends. */
  outgoing.error_message = error_message != NULL ? g_utf8_make_valid (error_message, MIN (strlen (error_message), 1024))
                                                 : NULL;
  _duet_store_queue_db_job (self, duet_store_update_outgoing_async, update_outgoing_job,
                            outgoing_copy (&outgoing), (GDestroyNotify) duet_store_outgoing_free,
                            NULL, callback, user_data);
  g_free (outgoing.error_message);
}

gboolean
duet_store_update_outgoing_finish (DuetStore     *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

static gpointer
remove_outgoing_job (DuetStoreDb  *db,
                     gpointer      input,
                     GError      **error)
{
  sqlite3_stmt *stmt;

  DUET_STORE_DB_ASSERT_THREAD (db);

  stmt = duet_store_db_prepare (db, "DELETE FROM outbox WHERE txn_id = ?1", error);
  if (stmt == NULL || !bind_text (db, stmt, 1, input, error))
    return NULL;
  return step_done (db, stmt, error) ? GINT_TO_POINTER (TRUE) : NULL;
}

void
duet_store_remove_outgoing_async (DuetStore           *self,
                                  const char          *txn_id,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (DUET_IS_STORE (self));
  g_return_if_fail (txn_id != NULL);

  _duet_store_queue_db_job (self, duet_store_remove_outgoing_async, remove_outgoing_job,
                            g_strdup (txn_id), g_free, NULL, callback, user_data);
}

gboolean
duet_store_remove_outgoing_finish (DuetStore     *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  const unsigned char *text = sqlite3_column_text (stmt, column);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

static gpointer
list_outgoing_job (DuetStoreDb  *db,
                   gpointer      input,
                   GError      **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) duet_store_outgoing_free);
  sqlite3_stmt *stmt;
  int rc;

  DUET_STORE_DB_ASSERT_THREAD (db);

  stmt = duet_store_db_prepare (db,
                                "SELECT room_id, txn_id, event_type, content, failed, error_message, "
                                "created, event_id FROM outbox ORDER BY seq",
                                error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DuetStoreOutgoing *outgoing = g_new0 (DuetStoreOutgoing, 1);

      outgoing->room_id = column_dup (stmt, 0);
      outgoing->txn_id = column_dup (stmt, 1);
      outgoing->event_type = column_dup (stmt, 2);
      outgoing->content = column_dup (stmt, 3);
      outgoing->failed = sqlite3_column_int (stmt, 4) != 0;
      outgoing->error_message = column_dup (stmt, 5);
      outgoing->created = sqlite3_column_int64 (stmt, 6);
      outgoing->event_id = column_dup (stmt, 7);
      g_ptr_array_add (list, outgoing);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      duet_store_db_fail (db, rc, "read", error);
      return NULL;
    }
  return g_steal_pointer (&list);
}

void
duet_store_list_outgoing_async (DuetStore           *self,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (DUET_IS_STORE (self));

  _duet_store_queue_db_job (self, duet_store_list_outgoing_async, list_outgoing_job, NULL, NULL,
                            (GDestroyNotify) g_ptr_array_unref, callback, user_data);
}

GPtrArray *
duet_store_list_outgoing_finish (DuetStore     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- Drafts ---------------------------------------------------------------- */

typedef struct {
  char *room_id;
  char *text;  /* NULL: remove */
} DraftInput;

static void
draft_input_free (DraftInput *input)
{
  g_free (input->room_id);
  g_free (input->text);
  g_free (input);
}

static gpointer
set_draft_job (DuetStoreDb  *db,
               gpointer      data,
               GError      **error)
{
  DraftInput *input = data;
  sqlite3_stmt *stmt;

  DUET_STORE_DB_ASSERT_THREAD (db);

  if (input->text == NULL)
    return exec_for_room (db, "DELETE FROM drafts WHERE room_id = ?1", input->room_id, error)
           ? GINT_TO_POINTER (TRUE) : NULL;

  stmt = duet_store_db_prepare (db, "INSERT OR REPLACE INTO drafts (room_id, text) VALUES (?1, ?2)",
                                error);
  if (stmt == NULL ||
      !bind_text (db, stmt, 1, input->room_id, error) ||
      !bind_text (db, stmt, 2, input->text, error))
    return NULL;
  return step_done (db, stmt, error) ? GINT_TO_POINTER (TRUE) : NULL;
}

void
duet_store_set_draft_async (DuetStore           *self,
                            const char          *room_id,
                            const char          *text,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  DraftInput *input;

  g_return_if_fail (DUET_IS_STORE (self));
  g_return_if_fail (room_id != NULL);

  if (!valid_id (room_id))
    {
      g_task_report_new_error (self, callback, user_data, duet_store_set_draft_async,
                               DUET_STORE_ERROR, DUET_STORE_ERROR_INVALID_DATA,
                               "The room id is not valid");
      return;
    }

  input = g_new0 (DraftInput, 1);
  input->room_id = g_strdup (room_id);
  if (text != NULL && *text != '\0')
    {
      gsize length = strlen (text);

      /* Cut over-long text at a character boundary, never inside one. */
      if (length > DUET_STORE_MAX_DRAFT_SIZE)
        {
          const char *end = g_utf8_find_prev_char (text, text + DUET_STORE_MAX_DRAFT_SIZE + 1);

          length = end != NULL ? (gsize) (end - text) : 0;
        }
      input->text = g_utf8_make_valid (text, length);
    }
  _duet_store_queue_db_job (self, duet_store_set_draft_async, set_draft_job, input,
                            (GDestroyNotify) draft_input_free, NULL, callback, user_data);
}

gboolean
duet_store_set_draft_finish (DuetStore     *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

static gpointer
load_draft_job (DuetStoreDb  *db,
                gpointer      input,
                GError      **error)
{
  sqlite3_stmt *stmt;
  char *text = NULL;
  int rc;

  DUET_STORE_DB_ASSERT_THREAD (db);

  stmt = duet_store_db_prepare (db, "SELECT text FROM drafts WHERE room_id = ?1", error);
  if (stmt == NULL || !bind_text (db, stmt, 1, input, error))
    return NULL;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    text = column_dup (stmt, 0);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    duet_store_db_fail (db, rc, "read", error);
  return text;
}

void
duet_store_load_draft_async (DuetStore           *self,
                             const char          *room_id,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (DUET_IS_STORE (self));
  g_return_if_fail (room_id != NULL);

  _duet_store_queue_db_job (self, duet_store_load_draft_async, load_draft_job, g_strdup (room_id),
                            g_free, g_free, callback, user_data);
}

char *
duet_store_load_draft_finish (DuetStore     *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
