/* duet-ignore-list.c: careful writes to the account's m.ignored_user_list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same discipline as DuetDirectMap's writes (see there): another
 * device may have ignored someone a moment ago, so we never write from a
 * local copy.  Every write reads the server's content fresh, changes only
 * the users we were asked about and keeps every other key as it was.
 */
#include "config.h"

#include "duet-ignore-list.h"
#include "duet-matrix-id.h"

#define M_IGNORED_USER_LIST "m.ignored_user_list"
#define IGNORED_USERS "ignored_users"

/* A write that failed for a passing reason is tried again from a fresh
 * read, at most this many times in all. */
#define MAX_WRITE_ATTEMPTS 3

typedef struct {
  gboolean  add;
  char     *user_id;
  GTask    *task;
} Change;

struct _DuetIgnoreList
{
  GObject     parent_instance;

  DuetClient *client;
  GPtrArray  *pending;   /* Change: waiting for the next write */
  GPtrArray  *writing;   /* Change: in the write in flight, or NULL */
  guint       failed_attempts;
  guint       retry_source;
  guint       write_count;
};

G_DEFINE_FINAL_TYPE (DuetIgnoreList, duet_ignore_list, G_TYPE_OBJECT)

static void start_write (DuetIgnoreList *self);

static void
change_free (Change *change)
{
  g_free (change->user_id);
  g_clear_object (&change->task);
  g_free (change);
}

/* Applies the batch to a copy of @fresh (NULL: unset).  Fails, changing
 * nothing, when "ignored_users" is there but is not an object: that is
 * another client's content we do not understand, not ours to replace. */
static JsonObject *
apply_batch (JsonObject  *fresh,
             GPtrArray   *batch,
             gboolean    *changed,
             GError     **error)
{
  g_autoptr(JsonObject) content = json_object_new ();
  g_autoptr(JsonObject) users = NULL;
  g_autoptr(JsonObject) empty = json_object_new ();
  g_autoptr(JsonNode) before = NULL;
  g_autoptr(JsonNode) after = NULL;
  gboolean had_users;
  JsonObjectIter iter;
  const char *member;
  JsonNode *value;
  JsonNode *ignored;

  *changed = FALSE;

  if (fresh != NULL)
    {
      json_object_iter_init (&iter, fresh);
      while (json_object_iter_next (&iter, &member, &value))
        json_object_set_member (content, member, json_node_copy (value));
    }

  ignored = json_object_get_member (content, IGNORED_USERS);
  if (ignored != NULL && !JSON_NODE_HOLDS_OBJECT (ignored))
    {
      g_set_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                   "The ignored users list on the server is not in a form Duet understands; "
                   "Duet leaves it as it is");
      return NULL;
    }

  /* A fresh object holding the same members (deep copies of theirs). */
  had_users = ignored != NULL;
  users = json_object_new ();
  if (ignored != NULL)
    {
      json_object_iter_init (&iter, json_node_get_object (ignored));
      while (json_object_iter_next (&iter, &member, &value))
        json_object_set_member (users, member, json_node_copy (value));
    }

  for (guint i = 0; i < batch->len; i++)
    {
      Change *change = batch->pdata[i];
      gboolean present = json_object_has_member (users, change->user_id);

      /* Add then remove in one batch must end as "removed": apply in order
       * and compare the result with the start, not count steps. */
      if (change->add && !present)
        json_object_set_object_member (users, change->user_id, json_object_new ());
      else if (!change->add && present)
        json_object_remove_member (users, change->user_id);
    }

  /* Only add the key when there is something to say: removing a user
   * from an unset list is no change worth a write. */
  if (had_users || json_object_get_size (users) > 0)
    json_object_set_object_member (content, IGNORED_USERS, g_steal_pointer (&users));

  before = json_node_init_object (json_node_alloc (), fresh != NULL ? fresh : empty);
  after = json_node_init_object (json_node_alloc (), content);
  *changed = !json_node_equal (before, after);

  return g_steal_pointer (&content);
}

static void
finish_batch (DuetIgnoreList *self,
              const GError   *error)
{
  g_autoptr(GPtrArray) batch = g_steal_pointer (&self->writing);

  self->failed_attempts = 0;
  for (guint i = 0; i < batch->len; i++)
    {
      Change *change = batch->pdata[i];

      if (error != NULL)
        g_task_return_error (change->task, g_error_copy (error));
      else
        g_task_return_boolean (change->task, TRUE);
    }

  start_write (self);
}

/* Network trouble, a server error or a rate limit pass; a refusal does not. */
static gboolean
is_passing_failure (const GError *error)
{
  if (error->domain == G_IO_ERROR)
    return error->code != G_IO_ERROR_CANCELLED;
  return g_error_matches (error, DUET_API_ERROR, DUET_API_ERROR_HTTP) ||
         g_error_matches (error, DUET_API_ERROR, DUET_API_ERROR_LIMIT_EXCEEDED);
}

static gboolean
retry_write_cb (gpointer user_data)
{
  DuetIgnoreList *self = user_data;

  self->retry_source = 0;
  start_write (self);
  return G_SOURCE_REMOVE;
}

/* The batch goes back in front of the queue and starts over from a fresh
 * read: if the failed PUT did land, that read shows it. */
static gboolean
maybe_retry (DuetIgnoreList *self,
             const GError   *error)
{
  g_autoptr(GPtrArray) batch = NULL;
  guint delay;

  if (!is_passing_failure (error) || ++self->failed_attempts >= MAX_WRITE_ATTEMPTS)
    return FALSE;

  g_debug ("Writing %s failed (%s), trying again from a fresh read", M_IGNORED_USER_LIST, error->message);
  delay = duet_client_next_backoff_ms (self->client, self->failed_attempts);
  batch = g_steal_pointer (&self->writing);
  g_ptr_array_extend_and_steal (batch, g_steal_pointer (&self->pending));
  self->pending = g_steal_pointer (&batch);
  /* The source holds a reference, so the object outlives the wait. */
  self->retry_source = g_timeout_add_full (G_PRIORITY_DEFAULT, delay, retry_write_cb,
                                           g_object_ref (self), g_object_unref);
  return TRUE;
}

static void
put_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(DuetIgnoreList) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_client_put_account_data_finish (DUET_CLIENT (object), result, &error))
    {
      if (!maybe_retry (self, error))
        finish_batch (self, error);
      return;
    }

  self->write_count++;
  finish_batch (self, NULL);
}

static void
get_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(DuetIgnoreList) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) fresh = NULL;
  g_autoptr(JsonObject) content = NULL;
  gboolean changed;

  fresh = duet_client_get_account_data_finish (DUET_CLIENT (object), result, &error);
  if (fresh == NULL)
    {
      /* Unset is empty; anything else means we do not know what is there. */
      if (!g_error_matches (error, DUET_API_ERROR, DUET_API_ERROR_NOT_FOUND))
        {
          g_autoptr(GError) wrapped = NULL;

          if (maybe_retry (self, error))
            return;
          wrapped = g_error_new (error->domain, error->code,
                                 "Could not read the ignored users list: %s", error->message);
          finish_batch (self, wrapped);
          return;
        }
      g_clear_error (&error);
    }

  content = apply_batch (fresh, self->writing, &changed, &error);
  if (content == NULL || !changed)
    {
      finish_batch (self, error);
      return;
    }

  duet_client_put_account_data_async (self->client, M_IGNORED_USER_LIST, content, NULL,
                                      put_cb, g_object_ref (self));
}

static void
start_write (DuetIgnoreList *self)
{
  if (self->writing != NULL || self->retry_source != 0)
    return;

  /* A change cancelled before its write began is dropped, not written. */
  for (guint i = self->pending->len; i > 0; i--)
    {
      Change *change = self->pending->pdata[i - 1];

      if (g_task_return_error_if_cancelled (change->task))
        g_ptr_array_remove_index (self->pending, i - 1);
    }

  if (self->pending->len == 0)
    return;

  self->writing = g_steal_pointer (&self->pending);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) change_free);
  duet_client_get_account_data_async (self->client, M_IGNORED_USER_LIST, NULL,
                                      get_cb, g_object_ref (self));
}

static void
queue_change (DuetIgnoreList      *self,
              gboolean             add,
              const char          *user_id,
              gpointer             source_tag,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Change *change;

  g_task_set_source_tag (task, source_tag);
  if (!duet_matrix_is_valid_user_id (user_id))
    {
      g_task_return_new_error (task, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                               "“%s” is not a valid user id", user_id != NULL ? user_id : "");
      return;
    }
  /* Once its write has begun, a change may land: report what happened. */
  g_task_set_check_cancellable (task, FALSE);

  change = g_new0 (Change, 1);
  change->add = add;
  change->user_id = g_strdup (user_id);
  change->task = g_steal_pointer (&task);
  g_ptr_array_add (self->pending, change);
  start_write (self);
}

void
duet_ignore_list_add_user_async (DuetIgnoreList      *self,
                                 const char          *user_id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (DUET_IS_IGNORE_LIST (self));
  queue_change (self, TRUE, user_id, duet_ignore_list_add_user_async, cancellable, callback, user_data);
}

gboolean
duet_ignore_list_add_user_finish (DuetIgnoreList  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
duet_ignore_list_remove_user_async (DuetIgnoreList      *self,
                                    const char          *user_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (DUET_IS_IGNORE_LIST (self));
  queue_change (self, FALSE, user_id, duet_ignore_list_remove_user_async, cancellable, callback, user_data);
}

gboolean
duet_ignore_list_remove_user_finish (DuetIgnoreList  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

guint
duet_ignore_list_get_write_count (DuetIgnoreList *self)
{
  g_return_val_if_fail (DUET_IS_IGNORE_LIST (self), 0);
  return self->write_count;
}

static void
duet_ignore_list_finalize (GObject *object)
{
  DuetIgnoreList *self = DUET_IGNORE_LIST (object);

  /* Writes and their retries hold a reference. */
  g_assert (self->writing == NULL);
  g_assert (self->retry_source == 0);

  g_clear_object (&self->client);
  g_clear_pointer (&self->pending, g_ptr_array_unref);

  G_OBJECT_CLASS (duet_ignore_list_parent_class)->finalize (object);
}

static void
duet_ignore_list_class_init (DuetIgnoreListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = duet_ignore_list_finalize;
}

static void
duet_ignore_list_init (DuetIgnoreList *self)
{
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) change_free);
}

DuetIgnoreList *
duet_ignore_list_new (DuetClient *client)
{
  DuetIgnoreList *self;

  g_return_val_if_fail (DUET_IS_CLIENT (client), NULL);

  self = g_object_new (DUET_TYPE_IGNORE_LIST, NULL);
  self->client = g_object_ref (client);
  return self;
}
