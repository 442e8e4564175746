/* duet-direct-map.c: the live mirror of the account's m.direct
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * m.direct is shared by every device and client of the account, and by the
 * server itself.  So the mirror only reads what it understands (valid user
 * ids mapped to valid room ids) and never writes from it: every write starts
 * from a fresh GET of what the server holds, changes only our own delta and
 * keeps everything else (emails as keys, odd values, unknown rooms) as it
 * was.  One write at a time; changes made meanwhile are merged into the next.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "duet-direct-map.h"
#include "duet-json.h"
#include "duet-matrix-id.h"

#define M_DIRECT "m.direct"

/* A write that failed for a passing reason is tried again from a fresh
 * read, at most this many times in all. */
#define MAX_WRITE_ATTEMPTS 4

typedef enum {
  DELTA_ADD,
  DELTA_REMOVE,
} DeltaKind;

typedef struct {
  DeltaKind  kind;
  char      *user_id;
  char      *room_id;
  GTask     *task;
  GError    *error;
} Delta;

struct _DuetDirectMap
{
  GObject      parent_instance;

  DuetClient  *client;
  /* user id → GPtrArray of room ids: only the valid part of the content. */
  GHashTable  *rooms_by_user;

  GPtrArray   *pending;   /* Delta: waiting for the next write */
  GPtrArray   *writing;   /* Delta: in the write in flight, or NULL */
  JsonObject  *to_put;    /* the content of the PUT in flight */
  guint        write_count;
  guint        failed_attempts;  /* of the batch in `writing` */
  guint        retry_source;
};

G_DEFINE_FINAL_TYPE (DuetDirectMap, duet_direct_map, G_TYPE_OBJECT)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_write (DuetDirectMap *self);

static void
delta_free (Delta *delta)
{
  g_free (delta->user_id);
  g_free (delta->room_id);
  g_clear_object (&delta->task);
  g_clear_error (&delta->error);
  g_free (delta);
}

/* --- Reading ------------------------------------------------------------ */

static GHashTable *
parse_content (JsonObject *content)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) g_ptr_array_unref);
  JsonObjectIter iter;
  const char *user_id;
  JsonNode *value;

  if (content == NULL)
    return table;

  /* Entry by entry: one bad entry must not cost the others. */
  json_object_iter_init (&iter, content);
  while (json_object_iter_next (&iter, &user_id, &value))
    {
      g_autoptr(GPtrArray) rooms = NULL;
      g_autoptr(GHashTable) seen = NULL;
      JsonArray *array;

      if (!duet_matrix_is_valid_user_id (user_id) || !JSON_NODE_HOLDS_ARRAY (value))
        continue;

      array = json_node_get_array (value);
      rooms = g_ptr_array_new_with_free_func (g_free);
      /* A set, not a search of the list: a hostile list is 100,000 long. */
      seen = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          const char *room_id;

          if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
            continue;
          room_id = json_node_get_string (element);
          if (duet_matrix_is_valid_room_id (room_id) && g_hash_table_add (seen, (gpointer) room_id))
            g_ptr_array_add (rooms, g_strdup (room_id));
        }

      if (rooms->len > 0)
        g_hash_table_insert (table, g_strdup (user_id), g_steal_pointer (&rooms));
    }

  return table;
}

static gboolean
tables_equal (GHashTable *a,
              GHashTable *b)
{
  GHashTableIter iter;
  gpointer key, value;

  if (g_hash_table_size (a) != g_hash_table_size (b))
    return FALSE;

  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *rooms_a = value;
      GPtrArray *rooms_b = g_hash_table_lookup (b, key);

      if (rooms_b == NULL || rooms_a->len != rooms_b->len)
        return FALSE;
      for (guint i = 0; i < rooms_a->len; i++)
        if (!g_str_equal (rooms_a->pdata[i], rooms_b->pdata[i]))
          return FALSE;
    }

  return TRUE;
}

void
duet_direct_map_update (DuetDirectMap *self,
                        JsonObject    *content)
{
  g_autoptr(GHashTable) table = NULL;

  g_return_if_fail (DUET_IS_DIRECT_MAP (self));

  table = parse_content (content);
  if (tables_equal (table, self->rooms_by_user))
    return;

  g_hash_table_unref (self->rooms_by_user);
  self->rooms_by_user = g_steal_pointer (&table);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static int
compare_strings (const void *a,
                 const void *b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

GStrv
duet_direct_map_dup_users (DuetDirectMap *self)
{
  g_autofree const char **keys = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint n;

  g_return_val_if_fail (DUET_IS_DIRECT_MAP (self), NULL);

  keys = (const char **) g_hash_table_get_keys_as_array (self->rooms_by_user, &n);
  qsort (keys, n, sizeof (char *), compare_strings);
  for (guint i = 0; i < n; i++)
    g_strv_builder_add (builder, keys[i]);

  return g_strv_builder_end (builder);
}

GStrv
duet_direct_map_dup_rooms_for_user (DuetDirectMap *self,
                                    const char    *user_id)
{
  GPtrArray *rooms;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (DUET_IS_DIRECT_MAP (self), NULL);

  rooms = user_id != NULL ? g_hash_table_lookup (self->rooms_by_user, user_id) : NULL;
  for (guint i = 0; rooms != NULL && i < rooms->len; i++)
    g_strv_builder_add (builder, rooms->pdata[i]);

  return g_strv_builder_end (builder);
}

const char *
duet_direct_map_get_user_for_room (DuetDirectMap *self,
                                   const char    *room_id)
{
  GHashTableIter iter;
  gpointer key, value;
  const char *best = NULL;

  g_return_val_if_fail (DUET_IS_DIRECT_MAP (self), NULL);

  if (room_id == NULL)
    return NULL;

  /* The smallest user id, so the answer does not depend on hash order. */
  g_hash_table_iter_init (&iter, self->rooms_by_user);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_ptr_array_find_with_equal_func (value, room_id, g_str_equal, NULL) &&
        (best == NULL || strcmp (key, best) < 0))
      best = key;

  return best;
}

gboolean
duet_direct_map_is_direct (DuetDirectMap *self,
                           const char    *room_id)
{
  return duet_direct_map_get_user_for_room (self, room_id) != NULL;
}

guint
duet_direct_map_get_write_count (DuetDirectMap *self)
{
  g_return_val_if_fail (DUET_IS_DIRECT_MAP (self), 0);
  return self->write_count;
}

/* --- Writing ------------------------------------------------------------ */

static gboolean
array_has_string (JsonArray  *array,
                  const char *value)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (element) &&
          json_node_get_value_type (element) == G_TYPE_STRING &&
          g_str_equal (json_node_get_string (element), value))
        return TRUE;
    }
  return FALSE;
}

/* A new array with @array's elements, less the strings equal to @without. */
static JsonArray *
copy_array (JsonArray  *array,
            const char *without)
{
  JsonArray *copy = json_array_new ();

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (without != NULL && JSON_NODE_HOLDS_VALUE (element) &&
          json_node_get_value_type (element) == G_TYPE_STRING &&
          g_str_equal (json_node_get_string (element), without))
        continue;
      json_array_add_element (copy, json_node_copy (element));
    }
  return copy;
}

static gboolean
apply_add (JsonObject  *content,
           Delta       *delta)
{
  JsonNode *node = json_object_get_member (content, delta->user_id);
  JsonArray *rooms;

  if (node == NULL)
    {
      rooms = json_array_new ();
      json_array_add_string_element (rooms, delta->room_id);
      json_object_set_array_member (content, delta->user_id, rooms);
      return TRUE;
    }

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      /* Another client's entry we do not understand: not ours to replace. */
      g_set_error (&delta->error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                   "The direct chat list holds an entry for %s that is not a list; "
                   "Duet leaves it as it is", delta->user_id);
      return FALSE;
    }

  if (array_has_string (json_node_get_array (node), delta->room_id))
    return FALSE;

  rooms = copy_array (json_node_get_array (node), NULL);
  json_array_add_string_element (rooms, delta->room_id);
  json_object_set_array_member (content, delta->user_id, rooms);
  return TRUE;
}

static gboolean
apply_remove (JsonObject *content,
              Delta      *delta)
{
  g_autoptr(GList) members = json_object_get_members (content);
  gboolean changed = FALSE;

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *user_id = l->data;
      JsonNode *node = json_object_get_member (content, user_id);
      JsonArray *rooms;

      if (!JSON_NODE_HOLDS_ARRAY (node) || !array_has_string (json_node_get_array (node), delta->room_id))
        continue;

      rooms = copy_array (json_node_get_array (node), delta->room_id);
      changed = TRUE;
      if (json_array_get_length (rooms) == 0)
        {
          json_array_unref (rooms);
          json_object_remove_member (content, user_id);
        }
      else
        {
          json_object_set_array_member (content, user_id, rooms);
        }
    }

  return changed;
}

/* A mutable copy of @fresh with the batch applied; members we do not touch
 * are carried over as the same values. */
static gboolean
objects_equal (JsonObject *a,
               JsonObject *b)
{
  g_autoptr(JsonNode) node_a = json_node_init_object (json_node_alloc (), a);
  g_autoptr(JsonNode) node_b = json_node_init_object (json_node_alloc (), b);

  return json_node_equal (node_a, node_b);
}

static JsonObject *
apply_batch (JsonObject *fresh,
             GPtrArray  *batch,
             gboolean   *changed)
{
  JsonObject *content = json_object_new ();
  g_autoptr(JsonObject) empty = json_object_new ();
  JsonObjectIter iter;
  const char *member;
  JsonNode *value;

  if (fresh != NULL)
    {
      json_object_iter_init (&iter, fresh);
      while (json_object_iter_next (&iter, &member, &value))
        json_object_set_member (content, member, json_node_copy (value));
    }

  for (guint i = 0; i < batch->len; i++)
    {
      Delta *delta = batch->pdata[i];

      if (delta->kind == DELTA_ADD)
        apply_add (content, delta);
      else
        apply_remove (content, delta);
    }

  /* Deltas can cancel out (add then remove), so compare the result. */
  *changed = !objects_equal (fresh != NULL ? fresh : empty, content);
  return content;
}

static void
finish_batch (DuetDirectMap *self,
              const GError  *error)
{
  g_autoptr(GPtrArray) batch = g_steal_pointer (&self->writing);

  g_clear_pointer (&self->to_put, json_object_unref);
  self->failed_attempts = 0;

  for (guint i = 0; i < batch->len; i++)
    {
      Delta *delta = batch->pdata[i];

      if (error != NULL)
        g_task_return_error (delta->task, g_error_copy (error));
      else if (delta->error != NULL)
        g_task_return_error (delta->task, g_steal_pointer (&delta->error));
      else
        g_task_return_boolean (delta->task, TRUE);
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
  DuetDirectMap *self = user_data;

  self->retry_source = 0;
  start_write (self);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* Puts the batch back in front of the queue, to be read and applied anew:
 * if the failed PUT did land, the fresh read shows it and nothing is
 * written twice. */
static void
retry_batch_later (DuetDirectMap *self)
{
  g_autoptr(GPtrArray) batch = g_steal_pointer (&self->writing);
  guint delay = duet_client_next_backoff_ms (self->client, self->failed_attempts);

  g_clear_pointer (&self->to_put, json_object_unref);
  for (guint i = 0; i < batch->len; i++)
    g_clear_error (&((Delta *) batch->pdata[i])->error);
  g_ptr_array_extend_and_steal (batch, g_steal_pointer (&self->pending));
  self->pending = g_steal_pointer (&batch);

  self->retry_source = g_timeout_add (delay, retry_write_cb, g_object_ref (self));
}

static void
put_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(DuetDirectMap) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_client_put_account_data_finish (DUET_CLIENT (object), result, &error))
    {
      if (is_passing_failure (error) && ++self->failed_attempts < MAX_WRITE_ATTEMPTS)
        {
          g_debug ("Writing m.direct failed (%s), trying again from a fresh read", error->message);
          retry_batch_later (self);
          return;
        }
      finish_batch (self, error);
      return;
    }

  self->write_count++;
  /* Show what we wrote now; the sync echo will agree. */
  duet_direct_map_update (self, self->to_put);
  finish_batch (self, NULL);
}

static void
get_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(DuetDirectMap) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) fresh = NULL;
  gboolean changed;

  fresh = duet_client_get_account_data_finish (DUET_CLIENT (object), result, &error);
  if (fresh == NULL)
    {
      /* Nobody wrote m.direct yet: that is an empty one.  Any other
       * failure means we do not know what is there, so we write nothing. */
      if (!g_error_matches (error, DUET_API_ERROR, DUET_API_ERROR_NOT_FOUND))
        {
          if (is_passing_failure (error) && ++self->failed_attempts < MAX_WRITE_ATTEMPTS)
            {
              retry_batch_later (self);
              return;
            }

          g_autoptr(GError) wrapped =
            g_error_new (error->domain, error->code,
                         "Could not read the direct chat list: %s", error->message);

          finish_batch (self, wrapped);
          return;
        }
      g_clear_error (&error);
    }

  self->to_put = apply_batch (fresh, self->writing, &changed);
  if (!changed)
    {
      finish_batch (self, NULL);
      return;
    }

  duet_client_put_account_data_async (self->client, M_DIRECT, self->to_put, NULL,
                                      put_cb, g_object_ref (self));
}

static void
start_write (DuetDirectMap *self)
{
  if (self->writing != NULL || self->retry_source != 0)
    return;

  /* A change cancelled before its write began is dropped, not written. */
  for (guint i = self->pending->len; i > 0; i--)
    {
      Delta *delta = self->pending->pdata[i - 1];

      if (g_task_return_error_if_cancelled (delta->task))
        g_ptr_array_remove_index (self->pending, i - 1);
    }

  if (self->pending->len == 0)
    return;

  self->writing = g_steal_pointer (&self->pending);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) delta_free);

  duet_client_get_account_data_async (self->client, M_DIRECT, NULL, get_cb, g_object_ref (self));
}

static void
queue_delta (DuetDirectMap       *self,
             DeltaKind            kind,
             const char          *user_id,
             const char          *room_id,
             gpointer             source_tag,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  Delta *delta = g_new0 (Delta, 1);

  delta->kind = kind;
  delta->user_id = g_strdup (user_id);
  delta->room_id = g_strdup (room_id);
  delta->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (delta->task, source_tag);
  /* Once its write has begun, a change may land: report what happened. */
  g_task_set_check_cancellable (delta->task, FALSE);

  g_ptr_array_add (self->pending, delta);
  start_write (self);
}

static void
reject_async (DuetDirectMap       *self,
              gpointer             source_tag,
              const char          *what,
              const char          *value,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_return_new_error (task, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                           "“%s” is not a valid %s", value != NULL ? value : "", what);
}

void
duet_direct_map_add_room_async (DuetDirectMap       *self,
                                const char          *user_id,
                                const char          *room_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (DUET_IS_DIRECT_MAP (self));

  if (!duet_matrix_is_valid_user_id (user_id))
    reject_async (self, duet_direct_map_add_room_async, "user id", user_id, callback, user_data);
  else if (!duet_matrix_is_valid_room_id (room_id))
    reject_async (self, duet_direct_map_add_room_async, "room id", room_id, callback, user_data);
  else
    queue_delta (self, DELTA_ADD, user_id, room_id, duet_direct_map_add_room_async,
                 cancellable, callback, user_data);
}

gboolean
duet_direct_map_add_room_finish (DuetDirectMap  *self,
                                 GAsyncResult   *result,
                                 GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
duet_direct_map_remove_room_async (DuetDirectMap       *self,
                                   const char          *room_id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (DUET_IS_DIRECT_MAP (self));

  if (!duet_matrix_is_valid_room_id (room_id))
    reject_async (self, duet_direct_map_remove_room_async, "room id", room_id, callback, user_data);
  else
    queue_delta (self, DELTA_REMOVE, NULL, room_id, duet_direct_map_remove_room_async,
                 cancellable, callback, user_data);
}

gboolean
duet_direct_map_remove_room_finish (DuetDirectMap  *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- GObject ------------------------------------------------------------ */

static void
duet_direct_map_finalize (GObject *object)
{
  DuetDirectMap *self = DUET_DIRECT_MAP (object);

  /* Writes and their retries hold a reference on the map. */
  g_assert (self->writing == NULL);
  g_assert (self->retry_source == 0);

  g_clear_object (&self->client);
  g_clear_pointer (&self->rooms_by_user, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->to_put, json_object_unref);

  G_OBJECT_CLASS (duet_direct_map_parent_class)->finalize (object);
}

static void
duet_direct_map_class_init (DuetDirectMapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = duet_direct_map_finalize;

  /**
   * DuetDirectMap::changed:
   *
   * The set of direct chats (valid users and rooms) changed.
   */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
duet_direct_map_init (DuetDirectMap *self)
{
  self->rooms_by_user = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) g_ptr_array_unref);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) delta_free);
}

DuetDirectMap *
duet_direct_map_new (DuetClient *client)
{
  DuetDirectMap *self;

  g_return_val_if_fail (DUET_IS_CLIENT (client), NULL);

  self = g_object_new (DUET_TYPE_DIRECT_MAP, NULL);
  self->client = g_object_ref (client);
  return self;
}
