/* duet-timeline.c: the conversation of one open chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The list holds the items in the order they are drawn.  Events enter in
 * batches (the cache, a page of history, a gap's filling, a live slice);
 * each batch goes through take_events(), which drops what was seen before,
 * applies relations (edits, reactions, redactions) to their targets and
 * makes the items, then through insert_items(), which places them with
 * their day separators and repairs the separators and group starts of
 * the items after them.  Relations whose target is not loaded yet wait in
 * `pending` until it comes.
 *
 * Local echoes (our messages still in the outbox) live in
 * duet-timeline-echo.c; they are always the last items.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "duet-json.h"
#include "duet-matrix-id.h"
#include "duet-room-private.h"
#include "duet-text.h"
#include "duet-timeline-private.h"

/* Events asked for per /messages page. */
#define PAGE_SIZE 50
/* A pagination that brings only known events asks again, this often. */
#define MAX_EMPTY_PAGES 5
/* Items kept: past this, history stops loading. */
#define MAX_ITEMS 50000
/* Relations waiting for a target that is not loaded. */
#define MAX_PENDING 5000
/* Events of one live slice taken at most. */
#define MAX_SLICE_EVENTS 2000
#define GROUP_GAP_MS (5 * 60 * 1000)
#define TYPING_TIMEOUT_MS 30000
#define TYPING_RESEND_US (20 * G_USEC_PER_SEC)
#define MAX_TYPING 32

struct _DuetTimeline
{
  GObject       parent_instance;

  /* Owned */
  DuetSession  *session;
  DuetRoom     *room;
  char         *room_id;
  char         *own_user_id;
  GCancellable *cancellable;   /* cancelled in dispose: fire-and-forget requests */
  GPtrArray    *items;         /* DuetTimelineItem, in display order */
  GHashTable   *by_event_id;   /* event id → DuetTimelineItem (borrowed from items) */
  GHashTable   *seen;          /* every event id taken, relations included */
  GHashTable   *redacted;      /* ids of redacted events */
  GHashTable   *pending;       /* target id → GPtrArray of JsonObject relations */
  guint         n_pending;
  GHashTable   *reactions;     /* reaction event id → target event id */
  GHashTable   *repliers;      /* event id → GPtrArray of items replying to it (refs) */
  char         *back_token;    /* paginates back from the oldest event */
  GStrv         typing;

  guint         loading;       /* load / paginate / fill requests running */
  gboolean      at_start;
  gboolean      paginating;

  gboolean      typing_sent;
  gint64        typing_sent_at;
  guint         typing_timeout_id;
};

static void duet_timeline_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DuetTimeline, duet_timeline, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, duet_timeline_list_model_init))

enum {
  PROP_0,
  PROP_SESSION,
  PROP_ROOM_ID,
  PROP_ROOM,
  PROP_LOADING,
  PROP_AT_START,
  PROP_TYPING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* --- GListModel ------------------------------------------------------------ */

static GType
duet_timeline_get_item_type (GListModel *model)
{
  return DUET_TYPE_TIMELINE_ITEM;
}

static guint
duet_timeline_get_n_items (GListModel *model)
{
  return DUET_TIMELINE (model)->items->len;
}

static gpointer
duet_timeline_get_item (GListModel *model,
                        guint       position)
{
  DuetTimeline *self = DUET_TIMELINE (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (self->items->pdata[position]);
}

static void
duet_timeline_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = duet_timeline_get_item_type;
  iface->get_n_items = duet_timeline_get_n_items;
  iface->get_item = duet_timeline_get_item;
}

/* --- Small helpers --------------------------------------------------------- */

static void
set_loading (DuetTimeline *self,
             gboolean      more)
{
  gboolean was = self->loading > 0;

  if (more)
    self->loading++;
  else
    self->loading--;
  if (was != (self->loading > 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
set_at_start (DuetTimeline *self,
              gboolean      at_start)
{
  if (self->at_start == at_start)
    return;
  self->at_start = at_start;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AT_START]);
}

static gboolean
is_content (DuetTimelineItem *item)
{
  return item->kind == DUET_TIMELINE_ITEM_MESSAGE || item->kind == DUET_TIMELINE_ITEM_EVENT;
}

/* The content item before @index; NULL at the top, or (with @stop_at_gap)
 * when a gap comes first. */
static DuetTimelineItem *
content_before (DuetTimeline *self,
                guint         index,
                gboolean      stop_at_gap,
                guint        *found_index)
{
  for (guint i = MIN (index, self->items->len); i > 0; i--)
    {
      DuetTimelineItem *item = self->items->pdata[i - 1];

      if (is_content (item))
        {
          if (found_index != NULL)
            *found_index = i - 1;
          return item;
        }
      if (item->kind == DUET_TIMELINE_ITEM_GAP && stop_at_gap)
        return NULL;
    }
  return NULL;
}

static gboolean
groups_with (DuetTimelineItem *previous,
             DuetTimelineItem *item)
{
  return previous != NULL && previous->kind == DUET_TIMELINE_ITEM_MESSAGE &&
         item->kind == DUET_TIMELINE_ITEM_MESSAGE &&
         g_strcmp0 (previous->sender, item->sender) == 0 && previous->day == item->day &&
         item->timestamp - previous->timestamp <= GROUP_GAP_MS;
}

static DuetTimelineItem *
new_day_item (gint64 day)
{
  DuetTimelineItem *item = _duet_timeline_item_new (DUET_TIMELINE_ITEM_DAY);

  item->timestamp = day;
  item->day = day;
  return item;
}

static void
array_insert (DuetTimeline *self,
              guint         position,
              GPtrArray    *run)
{
  guint old_len = self->items->len;

  g_ptr_array_set_size (self->items, old_len + run->len);
  memmove (self->items->pdata + position + run->len, self->items->pdata + position,
           (old_len - position) * sizeof (gpointer));
  for (guint i = 0; i < run->len; i++)
    self->items->pdata[position + i] = g_object_ref (run->pdata[i]);
}

static void
remove_at (DuetTimeline *self,
           guint         index)
{
  g_ptr_array_remove_index (self->items, index);
  g_list_model_items_changed (G_LIST_MODEL (self), index, 1, 0);
}

static void
insert_one (DuetTimeline     *self,
            guint             index,
            DuetTimelineItem *item)
{
  g_ptr_array_insert (self->items, index, g_object_ref (item));
  g_list_model_items_changed (G_LIST_MODEL (self), index, 0, 1);
}

/* After a change just before @index: the first content item at or after
 * it gets exactly the day separator it needs and the right group start,
 * and no stale separator is left between it and the content before. */
static void
repair_from (DuetTimeline *self,
             guint         index)
{
  DuetTimelineItem *next = NULL, *day_prev, *group_prev;
  guint next_index = self->items->len, prev_index = 0;
  gboolean need_day;

  for (guint i = index; i < self->items->len; i++)
    if (is_content (self->items->pdata[i]))
      {
        next = self->items->pdata[i];
        next_index = i;
        break;
      }

  day_prev = content_before (self, next_index, FALSE, &prev_index);
  group_prev = content_before (self, next_index, TRUE, NULL);
  need_day = next != NULL && (day_prev == NULL || day_prev->day != next->day);

  /* Separators between the two content items: only a right one just
   * before @next may stay. */
  for (guint i = next_index; i > (day_prev != NULL ? prev_index + 1 : 0); i--)
    {
      DuetTimelineItem *item = self->items->pdata[i - 1];

      if (item->kind != DUET_TIMELINE_ITEM_DAY)
        continue;
      if (i == next_index && need_day && item->day == next->day)
        {
          need_day = FALSE;
          continue;
        }
      remove_at (self, i - 1);
      next_index--;
    }
  if (need_day)
    {
      g_autoptr(DuetTimelineItem) day = new_day_item (next->day);

      insert_one (self, next_index, day);
      next_index++;
    }
  if (next != NULL && next->kind == DUET_TIMELINE_ITEM_MESSAGE)
    _duet_timeline_item_set_int (next, DUET_TIMELINE_ITEM_PROP_GROUP_START,
                                 !groups_with (group_prev, next));
}

/* Inserts content items (oldest first) at @position with the separators
 * they need, in one items-changed, then repairs what follows them. */
static void
insert_items (DuetTimeline *self,
              guint         position,
              GPtrArray    *items)
{
  g_autoptr(GPtrArray) run = g_ptr_array_new_with_free_func (g_object_unref);
  DuetTimelineItem *day_prev = content_before (self, position, FALSE, NULL);
  DuetTimelineItem *group_prev = content_before (self, position, TRUE, NULL);

  if (items->len == 0)
    return;

  for (guint i = 0; i < items->len; i++)
    {
      DuetTimelineItem *item = items->pdata[i];

      if (day_prev == NULL || day_prev->day != item->day)
        {
          g_ptr_array_add (run, new_day_item (item->day));
          group_prev = NULL;
        }
      item->group_start = !groups_with (group_prev, item);
      g_ptr_array_add (run, g_object_ref (item));
      day_prev = group_prev = item;
    }

  array_insert (self, position, run);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, run->len);
  repair_from (self, position + run->len);
}

/* Where live events go: before the local echoes. */
static guint
live_position (DuetTimeline *self)
{
  guint position = self->items->len;

  while (position > 0 && ((DuetTimelineItem *) self->items->pdata[position - 1])->outgoing != NULL)
    position--;
  return position;
}

static gboolean
has_events (DuetTimeline *self)
{
  return g_hash_table_size (self->by_event_id) > 0;
}

/* --- Relations ------------------------------------------------------------- */

static void
update_reply (DuetTimeline     *self,
              DuetTimelineItem *item,
              DuetTimelineItem *target)
{
  g_autofree char *preview = NULL;

  if (target == NULL)
    return;
  preview = _duet_timeline_item_dup_preview (target);
  _duet_timeline_item_set_string (item, DUET_TIMELINE_ITEM_PROP_REPLY_SENDER_NAME,
                                  duet_timeline_item_get_sender_name (target));
  _duet_timeline_item_set_string (item, DUET_TIMELINE_ITEM_PROP_REPLY_BODY,
                                  preview != NULL ? preview : "");
}

/* @target changed (arrived, edited, deleted): the replies to it follow. */
static void
update_repliers (DuetTimeline     *self,
                 DuetTimelineItem *target)
{
  GPtrArray *repliers = g_hash_table_lookup (self->repliers, target->event_id);

  for (guint i = 0; repliers != NULL && i < repliers->len; i++)
    {
      DuetTimelineItem *item = repliers->pdata[i];

      if (g_strcmp0 (item->reply_event_id, target->event_id) == 0)
        update_reply (self, item, target);
    }
}

static void
watch_reply (DuetTimeline     *self,
             DuetTimelineItem *item)
{
  GPtrArray *repliers;

  if (item->reply_event_id == NULL)
    return;
  repliers = g_hash_table_lookup (self->repliers, item->reply_event_id);
  if (repliers == NULL)
    {
      repliers = g_ptr_array_new_with_free_func (g_object_unref);
      g_hash_table_insert (self->repliers, g_strdup (item->reply_event_id), repliers);
    }
  g_ptr_array_add (repliers, g_object_ref (item));
  update_reply (self, item, g_hash_table_lookup (self->by_event_id, item->reply_event_id));
}

static void
apply_edit (DuetTimeline     *self,
            DuetTimelineItem *item,
            JsonObject       *edit)
{
  JsonObject *new_content = duet_json_get_object (duet_json_get_object (edit, "content"), "m.new_content");
  gint64 ts = duet_json_get_int (edit, "origin_server_ts", 0);

  /* Only the sender may edit their message, and the newest edit wins
   * whatever order history arrives in. */
  if (item->kind != DUET_TIMELINE_ITEM_MESSAGE || item->message_kind == DUET_MESSAGE_REDACTED ||
      item->message_kind == DUET_MESSAGE_ENCRYPTED || new_content == NULL ||
      g_strcmp0 (duet_json_get_string (edit, "sender"), item->sender) != 0 ||
      (item->edited && ts < item->edit_ts))
    return;

  g_object_freeze_notify (G_OBJECT (item));
  _duet_timeline_item_apply_content (item, new_content, FALSE);
  item->edit_ts = ts;
  _duet_timeline_item_set_int (item, DUET_TIMELINE_ITEM_PROP_EDITED, TRUE);
  g_object_thaw_notify (G_OBJECT (item));
  update_repliers (self, item);
}

static void
apply_reaction (DuetTimeline     *self,
                DuetTimelineItem *item,
                JsonObject       *reaction)
{
  JsonObject *relates_to = duet_json_get_object (duet_json_get_object (reaction, "content"),
                                                 "m.relates_to");
  g_autofree char *key = duet_text_sanitize_line (duet_json_get_string (relates_to, "key"),
                                                  DUET_TIMELINE_MAX_REACTION_KEY_CHARS);

  if (key == NULL || item->kind != DUET_TIMELINE_ITEM_MESSAGE ||
      item->message_kind == DUET_MESSAGE_REDACTED)
    return;
  _duet_timeline_item_add_reaction (item, duet_json_get_string (reaction, "event_id"),
                                    duet_json_get_string (reaction, "sender"), key,
                                    self->own_user_id);
}

static void
apply_relation (DuetTimeline     *self,
                DuetTimelineItem *target,
                JsonObject       *relation)
{
  const char *event_id = duet_json_get_string (relation, "event_id");

  if (g_hash_table_contains (self->redacted, event_id))
    return;
  if (g_strcmp0 (duet_json_get_string (relation, "type"), "m.reaction") == 0)
    apply_reaction (self, target, relation);
  else
    apply_edit (self, target, relation);
}

static void
add_pending (DuetTimeline *self,
             const char   *target_id,
             JsonObject   *relation)
{
  GPtrArray *list;

  if (self->n_pending >= MAX_PENDING)
    return;
  list = g_hash_table_lookup (self->pending, target_id);
  if (list == NULL)
    {
      list = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
      g_hash_table_insert (self->pending, g_strdup (target_id), list);
    }
  g_ptr_array_add (list, json_object_ref (relation));
  self->n_pending++;
}

static void
apply_pending (DuetTimeline     *self,
               DuetTimelineItem *target)
{
  g_autoptr(GPtrArray) list = NULL;
  gpointer key;

  if (!g_hash_table_steal_extended (self->pending, target->event_id, &key, (gpointer *) &list))
    return;
  g_free (key);
  self->n_pending -= list->len;
  for (guint i = 0; i < list->len; i++)
    apply_relation (self, target, list->pdata[i]);
}

static void
apply_redaction (DuetTimeline *self,
                 const char   *target_id)
{
  DuetTimelineItem *item = g_hash_table_lookup (self->by_event_id, target_id);
  const char *reaction_target;

  g_hash_table_add (self->redacted, g_strdup (target_id));
  if (item != NULL)
    {
      if (item->kind == DUET_TIMELINE_ITEM_MESSAGE && item->message_kind != DUET_MESSAGE_REDACTED)
        {
          _duet_timeline_item_redact (item);
          update_repliers (self, item);
        }
      return;
    }

  reaction_target = g_hash_table_lookup (self->reactions, target_id);
  if (reaction_target != NULL &&
      (item = g_hash_table_lookup (self->by_event_id, reaction_target)) != NULL)
    _duet_timeline_item_remove_reaction (item, target_id, self->own_user_id);
}

/* The target of a relation event of @rel_type, or NULL. */
static const char *
relation_target (JsonObject *event,
                 const char *rel_type)
{
  JsonObject *relates_to = duet_json_get_object (duet_json_get_object (event, "content"),
                                                 "m.relates_to");
  const char *target = duet_json_get_string (relates_to, "event_id");

  if (g_strcmp0 (duet_json_get_string (relates_to, "rel_type"), rel_type) != 0 ||
      target == NULL || !duet_matrix_is_valid_event_id (target))
    return NULL;
  return target;
}

/* --- Taking events --------------------------------------------------------- */

static JsonObject *
array_object (JsonArray *array,
              guint      index)
{
  JsonNode *node = json_array_get_element (array, index);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
event_is_new (DuetTimeline *self,
              JsonObject   *event)
{
  const char *event_id = duet_json_get_string (event, "event_id");

  return event_id != NULL && duet_matrix_is_valid_event_id (event_id) &&
         !g_hash_table_contains (self->seen, event_id);
}

/* Takes @events (JsonObject, oldest first): relations go to their targets,
 * the rest become items, returned oldest first, not yet in the list. */
static GPtrArray *
take_events (DuetTimeline *self,
             GPtrArray    *events,
             gboolean     *saw_create)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = events->pdata[i];
      const char *event_id = duet_json_get_string (event, "event_id");
      const char *type = duet_json_get_string (event, "type");
      const char *target;
      DuetTimelineItem *item;

      if (!event_is_new (self, event) || type == NULL)
        continue;
      g_hash_table_add (self->seen, g_strdup (event_id));

      if (g_str_equal (type, "m.room.redaction"))
        {
          target = duet_json_get_string (duet_json_get_object (event, "content"), "redacts");
          if (target == NULL)
            target = duet_json_get_string (event, "redacts");
          if (target != NULL && duet_matrix_is_valid_event_id (target) &&
              duet_json_get_object (duet_json_get_object (event, "unsigned"), "redacted_because") == NULL)
            apply_redaction (self, target);
          continue;
        }
      if (g_str_equal (type, "m.reaction"))
        {
          if ((target = relation_target (event, "m.annotation")) == NULL ||
              g_hash_table_contains (self->redacted, event_id))
            continue;
          g_hash_table_insert (self->reactions, g_strdup (event_id), g_strdup (target));
          if ((item = g_hash_table_lookup (self->by_event_id, target)) != NULL)
            apply_reaction (self, item, event);
          else
            add_pending (self, target, event);
          continue;
        }
      if (g_str_equal (type, "m.room.message") && (target = relation_target (event, "m.replace")) != NULL)
        {
          if (g_hash_table_contains (self->redacted, event_id))
            continue;
          if ((item = g_hash_table_lookup (self->by_event_id, target)) != NULL)
            apply_edit (self, item, event);
          else
            add_pending (self, target, event);
          continue;
        }

      item = _duet_timeline_item_new_from_event (event, self->room, self->own_user_id);
      if (item == NULL)
        continue;
      if (g_str_equal (type, "m.room.create"))
        *saw_create = TRUE;
      g_ptr_array_add (items, item);
      g_hash_table_insert (self->by_event_id, g_strdup (item->event_id), item);
      if (g_hash_table_contains (self->redacted, item->event_id))
        _duet_timeline_item_redact (item);
      apply_pending (self, item);
      watch_reply (self, item);
      update_repliers (self, item);
    }
  return items;
}

/* Events of a JSON array, oldest first; @newest_first for /messages dir=b. */
static GPtrArray *
collect_events (JsonArray *array,
                gboolean   newest_first,
                guint      max)
{
  GPtrArray *events = g_ptr_array_new ();
  guint length = array != NULL ? json_array_get_length (array) : 0;
  guint start = length > max ? length - max : 0;

  for (guint i = start; i < length; i++)
    {
      JsonObject *event = array_object (array, newest_first ? length - 1 - i + start : i);

      if (event != NULL)
        g_ptr_array_add (events, event);
    }
  return events;
}

static void
finish_batch (DuetTimeline *self,
              gboolean      saw_create)
{
  if (saw_create)
    set_at_start (self, TRUE);
}

/* --- Live events ----------------------------------------------------------- */

static void room_typing_cb (DuetRoom *room, GParamSpec *pspec, DuetTimeline *self);

/* The chat was opened before the session knew its room: the session's
 * room object replaces the placeholder from now on. */
static void
adopt_room (DuetTimeline *self,
            DuetRoom     *room)
{
  g_signal_handlers_disconnect_by_func (self->room, room_typing_cb, self);
  g_set_object (&self->room, room);
  g_signal_connect_object (self->room, "notify::typing", G_CALLBACK (room_typing_cb), self, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOM]);
  room_typing_cb (self->room, NULL, self);
}

static void
timeline_events_cb (DuetSession  *session,
                    DuetRoom     *room,
                    JsonArray    *array,
                    gboolean      limited,
                    const char   *prev_batch,
                    gboolean      live,
                    DuetTimeline *self)
{
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) items = NULL;
  gboolean overlaps = FALSE, saw_create = FALSE;
  guint position;

  if (g_strcmp0 (duet_room_get_id (room), self->room_id) != 0)
    return;
  if (room != self->room)
    adopt_room (self, room);

  events = collect_events (array, FALSE, MAX_SLICE_EVENTS);
  for (guint i = 0; i < events->len; i++)
    if (!event_is_new (self, events->pdata[i]))
      overlaps = TRUE;

  position = live_position (self);
  if (limited && !overlaps && prev_batch != NULL && strlen (prev_batch) <= DUET_TEXT_MAX_ID_BYTES)
    {
      if (has_events (self))
        {
          /* History is missing between what is shown and this slice. */
          g_autoptr(DuetTimelineItem) gap = _duet_timeline_item_new (DUET_TIMELINE_ITEM_GAP);

          gap->gap_token = g_strdup (prev_batch);
          insert_one (self, position, gap);
          position++;
        }
      else if (self->back_token == NULL)
        self->back_token = g_strdup (prev_batch);
    }

  items = take_events (self, events, &saw_create);
  for (guint i = 0; i < items->len; i++)
    _duet_timeline_echo_take_event (self, items->pdata[i]);
  position = live_position (self);
  insert_items (self, position, items);
  finish_batch (self, saw_create);
}

/* --- Loading --------------------------------------------------------------- */

/* Takes one /messages page (dir=b) and inserts its new events at @position
 * (G_MAXUINT: the top); returns how many events were new. */
static guint
take_page (DuetTimeline *self,
           JsonObject   *reply,
           guint         position)
{
  g_autoptr(GPtrArray) events = collect_events (duet_json_get_array (reply, "chunk"), TRUE, 1000);
  g_autoptr(GPtrArray) items = NULL;
  JsonArray *state = duet_json_get_array (reply, "state");
  gboolean saw_create = FALSE;
  guint fresh = 0;

  if (state != NULL)
    _duet_room_apply_state (self->room, state, self->own_user_id);
  for (guint i = 0; i < events->len; i++)
    if (event_is_new (self, events->pdata[i]))
      fresh++;

  items = take_events (self, events, &saw_create);
  insert_items (self, position == G_MAXUINT ? 0 : position, items);
  finish_batch (self, saw_create);
  return fresh;
}

typedef struct {
  guint  rounds;
  gssize fresh;
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
      set_loading (self, FALSE);
      g_task_return_error (task, error);
      return;
    }

  data->fresh += take_page (self, reply, G_MAXUINT);
  end = duet_json_get_string (reply, "end");
  g_clear_pointer (&self->back_token, g_free);
  if (end != NULL && strlen (end) <= DUET_TEXT_MAX_ID_BYTES &&
      json_array_get_length (duet_json_get_array (reply, "chunk")) > 0)
    self->back_token = g_strdup (end);
  else
    set_at_start (self, TRUE);

  /* A page of events we had already (the cache's overlap): ask again. */
  if (data->fresh == 0 && !self->at_start && ++data->rounds < MAX_EMPTY_PAGES)
    {
      paginate_step (g_steal_pointer (&task));
      return;
    }

  self->paginating = FALSE;
  set_loading (self, FALSE);
  g_task_return_int (task, data->fresh);
}

static void
paginate_step (GTask *task)
{
  DuetTimeline *self = g_task_get_source_object (task);

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

  if (self->at_start || self->items->len >= MAX_ITEMS)
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
  set_loading (self, TRUE);
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
  set_loading (self, FALSE);
  if (error != NULL)
    g_task_return_error (task, error);
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
      g_autoptr(GPtrArray) events = collect_events (duet_json_get_array (cached, "events"), FALSE,
                                                    MAX_SLICE_EVENTS);
      g_autoptr(GPtrArray) items = NULL;
      const char *prev_batch = duet_json_get_string (cached, "prev_batch");
      gboolean saw_create = FALSE;

      /* Live events may have come meanwhile: the cached ones are older. */
      items = take_events (self, events, &saw_create);
      insert_items (self, 0, items);
      finish_batch (self, saw_create);
      if (prev_batch != NULL && strlen (prev_batch) <= DUET_TEXT_MAX_ID_BYTES)
        {
          g_free (self->back_token);
          self->back_token = g_strdup (prev_batch);
        }
    }

  if (has_events (self) || self->at_start)
    {
      set_loading (self, FALSE);
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* Nothing cached: the newest page from the server. */
  cancellable = g_task_get_cancellable (task);
  duet_timeline_paginate_async (self, cancellable, load_page_cb, g_steal_pointer (&task));
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
  set_loading (self, TRUE);

  store = duet_session_get_store (self->session);
  if (store != NULL)
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

  set_loading (self, FALSE);
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
  events = collect_events (duet_json_get_array (reply, "chunk"), TRUE, 1000);
  fresh = g_ptr_array_new ();
  for (guint i = events->len; i > 0; i--)
    {
      if (!event_is_new (self, events->pdata[i - 1]))
        {
          met = TRUE;
          break;
        }
      g_ptr_array_insert (fresh, 0, events->pdata[i - 1]);
    }
  end = duet_json_get_string (reply, "end");
  if (end == NULL || events->len == 0 || strlen (end) > DUET_TEXT_MAX_ID_BYTES)
    met = TRUE;

  items = take_events (self, fresh, &saw_create);
  insert_items (self, index + 1, items);
  finish_batch (self, saw_create);

  if (met)
    {
      g_ptr_array_find (self->items, gap, &index);
      remove_at (self, index);
      repair_from (self, index);
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
  g_task_set_task_data (task, g_object_ref (gap), g_object_unref);
  set_loading (self, TRUE);
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

/* --- Typing ---------------------------------------------------------------- */

static void
room_typing_cb (DuetRoom     *room,
                GParamSpec   *pspec,
                DuetTimeline *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char * const *user_ids = duet_room_get_typing (room);
  g_auto(GStrv) names = NULL;

  for (guint i = 0; user_ids != NULL && user_ids[i] != NULL && i < MAX_TYPING; i++)
    {
      DuetMember *member = duet_room_lookup_member (room, user_ids[i]);
      const char *name = member != NULL ? duet_member_get_display_name (member) : NULL;

      g_strv_builder_add (builder, name != NULL ? name : user_ids[i]);
    }
  names = g_strv_builder_end (builder);
  if (g_strv_equal ((const char * const *) names, (const char * const *) self->typing))
    return;
  g_strfreev (self->typing);
  self->typing = g_steal_pointer (&names);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TYPING]);
}

static void
typing_sent_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Typing is a hint: a failure is only worth a debug line. */
  if (!duet_client_send_typing_finish (DUET_CLIENT (object), result, &error))
    g_debug ("Typing notification not sent: %s", error->message);
}

static void
typing_expired_cb (gpointer data)
{
  DuetTimeline *self = data;

  self->typing_timeout_id = 0;
  self->typing_sent = FALSE;  /* the server forgot it too */
}

void
duet_timeline_set_typing (DuetTimeline *self,
                          gboolean      typing)
{
  gint64 now = g_get_monotonic_time ();

  g_return_if_fail (DUET_IS_TIMELINE (self));

  if (typing)
    {
      if (self->typing_sent && now - self->typing_sent_at < TYPING_RESEND_US)
        return;
      self->typing_sent = TRUE;
      self->typing_sent_at = now;
      g_clear_handle_id (&self->typing_timeout_id, g_source_remove);
      self->typing_timeout_id = g_timeout_add_once (TYPING_TIMEOUT_MS, typing_expired_cb, self);
    }
  else
    {
      if (!self->typing_sent)
        return;
      self->typing_sent = FALSE;
      g_clear_handle_id (&self->typing_timeout_id, g_source_remove);
    }
  duet_client_send_typing_async (duet_session_get_client (self->session), self->room_id, typing,
                                 TYPING_TIMEOUT_MS, self->cancellable, typing_sent_cb, NULL);
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

/* --- Echo support (duet-timeline-echo.c) ----------------------------------- */

GPtrArray *
_duet_timeline_get_items (DuetTimeline *self)
{
  return self->items;
}

void
_duet_timeline_insert_items (DuetTimeline *self,
                             guint         position,
                             GPtrArray    *items)
{
  insert_items (self, position, items);
}

void
_duet_timeline_remove_item (DuetTimeline *self,
                            guint         index)
{
  remove_at (self, index);
  repair_from (self, index);
}

const char *
_duet_timeline_get_own_user_id (DuetTimeline *self)
{
  return self->own_user_id;
}

/* --- Object ---------------------------------------------------------------- */

static void
duet_timeline_constructed (GObject *object)
{
  DuetTimeline *self = DUET_TIMELINE (object);
  DuetRoom *room;

  G_OBJECT_CLASS (duet_timeline_parent_class)->constructed (object);

  self->own_user_id = g_strdup (duet_client_get_user_id (duet_session_get_client (self->session)));
  room = duet_session_lookup_room (self->session, self->room_id);
  /* A chat opened before the first sync lists its room: a room object of
   * our own, filled only by what this timeline reads. */
  self->room = room != NULL ? g_object_ref (room) : _duet_room_new (self->room_id, self->own_user_id);

  g_signal_connect_object (self->session, "timeline-events", G_CALLBACK (timeline_events_cb),
                           self, 0);
  g_signal_connect_object (self->room, "notify::typing", G_CALLBACK (room_typing_cb), self, 0);
  room_typing_cb (self->room, NULL, self);
  _duet_timeline_echo_init (self);
}

static void
duet_timeline_dispose (GObject *object)
{
  DuetTimeline *self = DUET_TIMELINE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->typing_timeout_id, g_source_remove);
  _duet_timeline_echo_dispose (self);

  G_OBJECT_CLASS (duet_timeline_parent_class)->dispose (object);
}

static void
duet_timeline_finalize (GObject *object)
{
  DuetTimeline *self = DUET_TIMELINE (object);

  g_clear_object (&self->session);
  g_clear_object (&self->room);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->room_id, g_free);
  g_clear_pointer (&self->own_user_id, g_free);
  g_clear_pointer (&self->by_event_id, g_hash_table_unref);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->seen, g_hash_table_unref);
  g_clear_pointer (&self->redacted, g_hash_table_unref);
  g_clear_pointer (&self->reactions, g_hash_table_unref);
  g_clear_pointer (&self->repliers, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->back_token, g_free);
  g_clear_pointer (&self->typing, g_strfreev);

  G_OBJECT_CLASS (duet_timeline_parent_class)->finalize (object);
}

static void
duet_timeline_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  DuetTimeline *self = DUET_TIMELINE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    case PROP_ROOM_ID:
      g_value_set_string (value, self->room_id);
      break;
    case PROP_ROOM:
      g_value_set_object (value, self->room);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading > 0);
      break;
    case PROP_AT_START:
      g_value_set_boolean (value, self->at_start);
      break;
    case PROP_TYPING:
      g_value_set_boxed (value, self->typing);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_timeline_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  DuetTimeline *self = DUET_TIMELINE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
      break;
    case PROP_ROOM_ID:
      self->room_id = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_timeline_class_init (DuetTimelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->constructed = duet_timeline_constructed;
  object_class->dispose = duet_timeline_dispose;
  object_class->finalize = duet_timeline_finalize;
  object_class->get_property = duet_timeline_get_property;
  object_class->set_property = duet_timeline_set_property;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, DUET_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROOM_ID] =
    g_param_spec_string ("room-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROOM] = g_param_spec_object ("room", NULL, NULL, DUET_TYPE_ROOM, flags);
  properties[PROP_LOADING] = g_param_spec_boolean ("loading", NULL, NULL, FALSE, flags);
  properties[PROP_AT_START] = g_param_spec_boolean ("at-start", NULL, NULL, FALSE, flags);
  properties[PROP_TYPING] = g_param_spec_boxed ("typing", NULL, NULL, G_TYPE_STRV, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
duet_timeline_init (DuetTimeline *self)
{
  self->cancellable = g_cancellable_new ();
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_event_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->redacted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_ptr_array_unref);
  self->reactions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->repliers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_ptr_array_unref);
  self->typing = g_new0 (char *, 1);
}

DuetTimeline *
duet_timeline_new (DuetSession *session,
                   const char  *room_id)
{
  g_return_val_if_fail (DUET_IS_SESSION (session), NULL);
  g_return_val_if_fail (room_id != NULL && duet_matrix_is_valid_room_id (room_id), NULL);

  return g_object_new (DUET_TYPE_TIMELINE, "session", session, "room-id", room_id, NULL);
}

DuetSession *
duet_timeline_get_session (DuetTimeline *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE (self), NULL);
  return self->session;
}

DuetRoom *
duet_timeline_get_room (DuetTimeline *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE (self), NULL);
  return self->room;
}

gboolean
duet_timeline_get_loading (DuetTimeline *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE (self), FALSE);
  return self->loading > 0;
}

gboolean
duet_timeline_get_at_start (DuetTimeline *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE (self), FALSE);
  return self->at_start;
}

GStrv
duet_timeline_dup_typing (DuetTimeline *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE (self), NULL);
  return g_strdupv (self->typing);
}
