/* duet-store-timeline.c: one room's cached events, for an open chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same rows the snapshot reads (duet-store-snapshot.c), for one room:
 * an open chat shows them at once and paginates back from their token.
 * The cached events are contiguous (a limited sync drops the older ones),
 * so one token is enough.
 */
#include "config.h"

#include "duet-store-private.h"

static JsonObject *
parse_event (sqlite3_stmt *stmt,
             int           column)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);
  g_autoptr(JsonNode) node = text != NULL ? json_from_string (text, NULL) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_object_ref (json_node_get_object (node));
}

/* FALSE with @error on a failure; *@found says whether the room is known. */
static gboolean
read_room (DuetStoreDb  *db,
           const char   *room_id,
           gboolean     *found,
           gboolean     *limited,
           char        **prev_batch,
           GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db,
    "SELECT timeline_limited, prev_batch FROM rooms WHERE room_id = ?1", error);
  int rc;

  *found = FALSE;
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_TRANSIENT);
  if ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      *found = TRUE;
      *limited = sqlite3_column_int (stmt, 0) != 0;
      *prev_batch = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      rc = sqlite3_step (stmt);
    }
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    return duet_store_db_fail (db, rc, "read", error);
  return TRUE;
}

static gpointer
load_timeline_job (DuetStoreDb  *db,
                   gpointer      input,
                   GError      **error)
{
  const char *room_id = input;
  g_autoptr(JsonObject) timeline = NULL;
  g_autofree char *room_prev_batch = NULL;
  g_autofree char *token = NULL;
  JsonArray *events;
  sqlite3_stmt *stmt;
  gboolean found = FALSE, limited = FALSE, seen = FALSE, need_token = FALSE;
  int rc;

  DUET_STORE_DB_ASSERT_THREAD (db);

  if (!duet_store_db_exec (db, "BEGIN", error))
    return NULL;
  if (!read_room (db, room_id, &found, &limited, &room_prev_batch, error) || !found)
    {
      duet_store_db_exec (db, "COMMIT", NULL);
      return NULL;
    }

  timeline = json_object_new ();
  events = json_array_new ();
  json_object_set_array_member (timeline, "events", events);

  stmt = duet_store_db_prepare (db,
    "SELECT chunk_start, prev_batch, event FROM timeline WHERE room_id = ?1 ORDER BY seq", error);
  if (stmt == NULL)
    {
      duet_store_db_exec (db, "COMMIT", NULL);
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gboolean chunk_start = sqlite3_column_int (stmt, 0) != 0;
      JsonObject *event;

      /* As in the snapshot: the oldest row's chunk token, or, when older
       * rows of its chunk were dropped, the next chunk's (an overlap the
       * timeline drops by event id, never a hole). */
      if (!seen)
        {
          seen = TRUE;
          need_token = !chunk_start;
          if (chunk_start)
            token = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
        }
      else if (need_token && chunk_start)
        {
          need_token = FALSE;
          token = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
        }
      if ((event = parse_event (stmt, 2)) != NULL)
        json_array_add_object_element (events, event);
    }
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    {
      duet_store_db_fail (db, rc, "read", error);
      duet_store_db_exec (db, "COMMIT", NULL);
      return NULL;
    }

  if (!seen)
    token = g_steal_pointer (&room_prev_batch);
  else if (need_token)
    {
      /* Every kept row is from one partly dropped chunk: the sync token
       * re-fetches them all, then what came before. */
      limited = TRUE;
      g_clear_pointer (&token, g_free);
      token = duet_store_db_get_sync_token (db, NULL);
    }
  duet_store_db_exec (db, "COMMIT", NULL);

  json_object_set_boolean_member (timeline, "limited", limited);
  if (token != NULL)
    json_object_set_string_member (timeline, "prev_batch", token);
  return g_steal_pointer (&timeline);
}

/* The worker's queue takes no cancellable: the caller's task carries it
 * and, returned after the read, reports the cancellation. */
typedef struct {
  GTask *task;
} LoadCall;

static void
load_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  LoadCall *call = user_data;
  GError *error = NULL;
  JsonObject *timeline = g_task_propagate_pointer (G_TASK (result), &error);

  if (error != NULL)
    g_task_return_error (call->task, error);
  else
    g_task_return_pointer (call->task, timeline, (GDestroyNotify) json_object_unref);
  g_object_unref (call->task);
  g_free (call);
}

void
duet_store_load_timeline_async (DuetStore           *self,
                                const char          *room_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (DUET_IS_STORE (self));
  g_return_if_fail (room_id != NULL);

  LoadCall *call = g_new0 (LoadCall, 1);

  call->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (call->task, duet_store_load_timeline_async);
  _duet_store_queue_db_job (self, duet_store_load_timeline_async, load_timeline_job,
                            g_strdup (room_id), g_free, (GDestroyNotify) json_object_unref,
                            load_done_cb, call);
}

JsonObject *
duet_store_load_timeline_finish (DuetStore     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
