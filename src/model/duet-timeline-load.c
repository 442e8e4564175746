/* duet-timeline-load.c: history from the cache and the server, and media
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Loading shows the store's cached slice of the room, or the newest page
 * of /messages when there is none; pagination and gap filling ask
 * /messages backwards and insert what is new above the newest known
 * events.  Every request is a GTask holding the timeline.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "duet-json.h"
#include "duet-room-private.h"
#include "duet-text.h"
#include "duet-timeline-private.h"

/* Events asked for per /messages page. */
#define PAGE_SIZE 50
/* A pagination that brings only known events asks again, this often. */
#define MAX_EMPTY_PAGES 5

/* Takes one /messages page (dir=b) and inserts its new events at @position
 * (G_MAXUINT: the top); returns how many events were new. */
static guint
take_page (DuetTimeline *self,
           JsonObject   *reply,
           guint         position)
{
  g_autoptr(GPtrArray) events = _duet_timeline_collect_events (duet_json_get_array (reply, "chunk"), TRUE, 1000);
  g_autoptr(GPtrArray) items = NULL;
  JsonArray *state = duet_json_get_array (reply, "state");
  gboolean saw_create = FALSE;
  guint fresh = 0;

  if (state != NULL)
    _duet_room_apply_state (self->room, state, self->own_user_id);
  for (guint i = 0; i < events->len; i++)
    if (_duet_timeline_event_is_new (self, events->pdata[i]))
      fresh++;

  items = _duet_timeline_take_events (self, events, &saw_create);
  _duet_timeline_mark_batch (items, duet_json_get_string (reply, "end"));
  _duet_timeline_insert_items (self, position == G_MAXUINT ? 0 : position, items);
  _duet_timeline_finish_batch (self, saw_create);
  return fresh;
}

typedef struct {
  guint  rounds;
  gssize fresh;
  guint  n_trims;  /* the timeline's when the page was asked for */
} PaginateData;

static void paginate_step (GTask *task);

static void
messages_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DuetTimeline *self = g_task_get_source_object (task);
  PaginateData *data = g_task_get_task_data (task);
  g_autoptr(JsonObject) reply = NULL;
  GError *error = NULL;
  const char *end;

  reply = duet_client_get_messages_finish (DUET_CLIENT (object), result, &error);
  if (reply == NULL)
    {
      self->paginating = FALSE;
      _duet_timeline_set_loading (self, FALSE);
      g_task_return_error (task, error);
      return;
    }
  /* The top was cut meanwhile: this page is older than the cut's token
   * and would leave a hole below it.  The next pagination asks again. */
  if (data->n_trims != self->n_trims)
    {
      self->paginating = FALSE;
      _duet_timeline_set_loading (self, FALSE);
      g_task_return_int (task, data->fresh);
      return;
    }

  data->fresh += take_page (self, reply, G_MAXUINT);
  end = duet_json_get_string (reply, "end");
  g_clear_pointer (&self->back_token, g_free);
  if (end != NULL && strlen (end) <= DUET_TEXT_MAX_ID_BYTES &&
      json_array_get_length (duet_json_get_array (reply, "chunk")) > 0)
    self->back_token = g_strdup (end);
  else
    _duet_timeline_set_at_start (self, TRUE);

  /* A page of events we had already (the cache's overlap): ask again. */
  if (data->fresh == 0 && !self->at_start && ++data->rounds < MAX_EMPTY_PAGES)
    {
      paginate_step (g_steal_pointer (&task));
      return;
    }

  self->paginating = FALSE;
  _duet_timeline_set_loading (self, FALSE);
  g_task_return_int (task, data->fresh);
}

static void
paginate_step (GTask *task)
{
  DuetTimeline *self = g_task_get_source_object (task);
  PaginateData *data = g_task_get_task_data (task);

  data->n_trims = self->n_trims;
  duet_client_get_messages_async (duet_session_get_client (self->session), self->room_id,
                                  self->back_token, PAGE_SIZE, g_task_get_cancellable (task),
                                  messages_cb, task);
}

void
duet_timeline_paginate_async (DuetTimeline        *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DUET_IS_TIMELINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_timeline_paginate_async);
  g_task_set_task_data (task, g_new0 (PaginateData, 1), g_free);

  if (self->at_start || self->items->len >= DUET_TIMELINE_MAX_ITEMS)
    {
      g_task_return_int (task, 0);
      return;
    }
  if (self->paginating)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "Older messages are already being loaded");
      return;
    }
  self->paginating = TRUE;
  _duet_timeline_set_loading (self, TRUE);
  paginate_step (g_steal_pointer (&task));
}

gssize
duet_timeline_paginate_finish (DuetTimeline  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return g_task_propagate_int (G_TASK (result), error);
}

static void
load_page_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DuetTimeline *self = g_task_get_source_object (task);
  GError *error = NULL;

  duet_timeline_paginate_finish (self, result, &error);
  _duet_timeline_set_loading (self, FALSE);
  if (error != NULL)
    {
      self->load_started = FALSE;  /* the next load tries again */
      g_task_return_error (task, error);
    }
  else
    g_task_return_boolean (task, TRUE);
}

static void
store_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DuetTimeline *self = g_task_get_source_object (task);
  g_autoptr(JsonObject) cached = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  cached = duet_store_load_timeline_finish (DUET_STORE (object), result, &error);
  if (error != NULL)
    g_debug ("Cached events of %s not read: %s", self->room_id, error->message);

  if (cached != NULL)
    {
      g_autoptr(GPtrArray) events = _duet_timeline_collect_events (duet_json_get_array (cached, "events"), FALSE,
                                                    DUET_TIMELINE_MAX_SLICE_EVENTS);
      g_autoptr(GPtrArray) items = NULL;
      const char *prev_batch = duet_json_get_string (cached, "prev_batch");
      gboolean saw_create = FALSE;

      gboolean had_events = _duet_timeline_has_events (self);
      guint last_cached;

      /* Live events may have come meanwhile: the cached ones are older,
       * and a limited slice among them left a hole after the cache. */
      items = _duet_timeline_take_events (self, events, &saw_create);
      _duet_timeline_mark_batch (items, prev_batch);
      _duet_timeline_insert_items (self, 0, items);
      _duet_timeline_finish_batch (self, saw_create);
      if (items->len > 0 && had_events && self->early_gap_token != NULL &&
          g_ptr_array_find (self->items, items->pdata[items->len - 1], &last_cached))
        _duet_timeline_insert_gap (self, last_cached + 1, self->early_gap_token);
      if (prev_batch != NULL && strlen (prev_batch) <= DUET_TEXT_MAX_ID_BYTES &&
          (items->len > 0 || self->back_token == NULL))
        {
          g_free (self->back_token);
          self->back_token = g_strdup (prev_batch);
        }
    }
  g_clear_pointer (&self->early_gap_token, g_free);

  if (_duet_timeline_has_events (self) || self->at_start)
    {
      _duet_timeline_set_loading (self, FALSE);
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* Nothing cached: the newest page from the server. */
  cancellable = g_task_get_cancellable (task);
  duet_timeline_paginate_async (self, cancellable, load_page_cb, g_steal_pointer (&task));
}

static void
members_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DuetTimeline *self = g_task_get_source_object (task);
  g_autoptr(JsonObject) members = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  members = duet_store_load_members_finish (DUET_STORE (object), result, &error);
  if (members == NULL)
    g_debug ("Cached members of %s not read: %s", self->room_id, error->message);
  else if (_duet_room_get_members_partial (self->room))
    _duet_room_add_cached_members (self->room, duet_json_get_array (members, self->room_id),
                                   self->own_user_id);
  cancellable = g_task_get_cancellable (task);
  duet_store_load_timeline_async (DUET_STORE (object), self->room_id, cancellable,
                                  store_loaded_cb, g_steal_pointer (&task));
}

void
duet_timeline_load_async (DuetTimeline        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  DuetStore *store;

  g_return_if_fail (DUET_IS_TIMELINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_timeline_load_async);
  /* A view shown again asks again: what is loaded stays, and live events
   * keep it current. */
  if (self->load_started)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  self->load_started = TRUE;
  _duet_timeline_set_loading (self, TRUE);

  store = duet_session_get_store (self->session);
  if (store != NULL && _duet_room_get_members_partial (self->room))
    {
      /* The start read only some members of this room: the chat and its
       * member list show them all, read before the events. */
      const char *room_ids[] = { self->room_id, NULL };

      duet_store_load_members_async (store, room_ids, members_loaded_cb, g_steal_pointer (&task));
    }
  else if (store != NULL)
    duet_store_load_timeline_async (store, self->room_id, cancellable, store_loaded_cb,
                                    g_steal_pointer (&task));
  else
    duet_timeline_paginate_async (self, cancellable, load_page_cb, g_steal_pointer (&task));
}

gboolean
duet_timeline_load_finish (DuetTimeline  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- Gaps ------------------------------------------------------------------ */

static void
gap_messages_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DuetTimeline *self = g_task_get_source_object (task);
  DuetTimelineItem *gap = g_task_get_task_data (task);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) fresh = NULL;
  g_autoptr(GPtrArray) items = NULL;
  JsonArray *state;
  const char *end;
  GError *error = NULL;
  gboolean met = FALSE, saw_create = FALSE;
  guint index;

  gap->filling = FALSE;
  _duet_timeline_set_loading (self, FALSE);
  reply = duet_client_get_messages_finish (DUET_CLIENT (object), result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!g_ptr_array_find (self->items, gap, &index))
    {
      g_task_return_boolean (task, TRUE);  /* filled meanwhile */
      return;
    }

  if ((state = duet_json_get_array (reply, "state")) != NULL)
    _duet_room_apply_state (self->room, state, self->own_user_id);

  /* Newest first: the events until one we know are the missing ones. */
  events = _duet_timeline_collect_events (duet_json_get_array (reply, "chunk"), TRUE, 1000);
  fresh = g_ptr_array_new ();
  for (guint i = events->len; i > 0; i--)
    {
      if (!_duet_timeline_event_is_new (self, events->pdata[i - 1]))
        {
          met = TRUE;
          break;
        }
      g_ptr_array_insert (fresh, 0, events->pdata[i - 1]);
    }
  end = duet_json_get_string (reply, "end");
  if (end == NULL || events->len == 0 || strlen (end) > DUET_TEXT_MAX_ID_BYTES)
    met = TRUE;

  items = _duet_timeline_take_events (self, fresh, &saw_create);
  if (!met)
    _duet_timeline_mark_batch (items, end);
  _duet_timeline_insert_items (self, index + 1, items);
  _duet_timeline_finish_batch (self, saw_create);

  if (met)
    {
      gboolean gaps_left = FALSE;

      g_ptr_array_find (self->items, gap, &index);
      _duet_timeline_remove_item (self, index);
      for (guint i = 0; i < self->items->len && !gaps_left; i++)
        gaps_left = ((DuetTimelineItem *) self->items->pdata[i])->kind == DUET_TIMELINE_ITEM_GAP;
      if (!gaps_left)
        _duet_room_clear_gap (self->room);
    }
  else
    {
      g_free (gap->gap_token);
      gap->gap_token = g_strdup (end);
    }
  g_task_return_boolean (task, TRUE);
}

void
duet_timeline_fill_gap_async (DuetTimeline        *self,
                              DuetTimelineItem    *gap,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DUET_IS_TIMELINE (self));
  g_return_if_fail (DUET_IS_TIMELINE_ITEM (gap));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_timeline_fill_gap_async);
  if (gap->kind != DUET_TIMELINE_ITEM_GAP || !g_ptr_array_find (self->items, gap, NULL))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Not a gap of this timeline");
      return;
    }
  /* A second answer from the same token would bring only known events,
   * and be taken for the gap being met. */
  if (gap->filling)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "This gap is already being filled");
      return;
    }
  gap->filling = TRUE;
  g_task_set_task_data (task, g_object_ref (gap), g_object_unref);
  _duet_timeline_set_loading (self, TRUE);
  duet_client_get_messages_async (duet_session_get_client (self->session), self->room_id,
                                  gap->gap_token, PAGE_SIZE, cancellable, gap_messages_cb,
                                  g_steal_pointer (&task));
}

gboolean
duet_timeline_fill_gap_finish (DuetTimeline  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- Read state and media -------------------------------------------------- */

static void
mark_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!duet_session_mark_read_finish (DUET_SESSION (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
duet_timeline_mark_read_async (DuetTimeline        *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DUET_IS_TIMELINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_timeline_mark_read_async);
  duet_session_mark_read_async (self->session, self->room_id, cancellable, mark_read_cb, task);
}

gboolean
duet_timeline_mark_read_finish (DuetTimeline  *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
copy_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_file_copy_finish (G_FILE (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
media_downloaded_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GFile) cached = NULL;
  GCancellable *cancellable;
  GFile *destination;
  GError *error = NULL;

  cached = duet_client_download_media_finish (DUET_CLIENT (object), result, &error);
  if (cached == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  cancellable = g_task_get_cancellable (task);
  destination = g_task_get_task_data (task);
  g_file_copy_async (cached, destination, G_FILE_COPY_OVERWRITE, G_PRIORITY_DEFAULT, cancellable,
                     NULL, NULL, copy_done_cb, g_steal_pointer (&task));
}

void
duet_timeline_download_async (DuetTimeline        *self,
                              DuetTimelineItem    *item,
                              GFile               *destination,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DUET_IS_TIMELINE (self));
  g_return_if_fail (DUET_IS_TIMELINE_ITEM (item));
  g_return_if_fail (G_IS_FILE (destination));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_timeline_download_async);
  g_task_set_task_data (task, g_object_ref (destination), g_object_unref);
  if (item->media_url == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("This message has no file to download"));
      return;
    }
  duet_client_download_media_async (duet_session_get_client (self->session), item->media_url,
                                    cancellable, media_downloaded_cb, g_steal_pointer (&task));
}

gboolean
duet_timeline_download_finish (DuetTimeline  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
