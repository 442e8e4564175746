/* duet-timeline.c: the conversation of one open chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The list holds the items in the order they are drawn.  Events enter in
 * batches (the cache, a page of history, a gap's filling, a live slice);
 * each batch goes through take_events() (duet-timeline-relations.c), which
 * drops what was seen before, applies relations to their targets and makes
 * the items, then through insert_items() here, which places them with
 * their day separators and repairs the separators and group starts of
 * the items after them.  This file holds the list, live slices and typing;
 * history and media are in duet-timeline-load.c, local echoes (always the
 * last items) in duet-timeline-echo.c.
 */
#include "config.h"

#include <string.h>

#include "duet-json.h"
#include "duet-matrix-id.h"
#include "duet-room-private.h"
#include "duet-text.h"
#include "duet-timeline-private.h"

/* Messages of one sender this close together share a header. */
#define GROUP_GAP_MS (5 * 60 * 1000)
#define TYPING_TIMEOUT_MS 30000
#define TYPING_RESEND_US (20 * G_USEC_PER_SEC)
#define MAX_TYPING 32

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

void
_duet_timeline_set_loading (DuetTimeline *self,
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

void
_duet_timeline_set_at_start (DuetTimeline *self,
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

/* Where live events go: before the local echoes and the day separator
 * that may lead them. */
static guint
live_position (DuetTimeline *self)
{
  guint position = self->items->len;

  while (position > 0)
    {
      DuetTimelineItem *item = self->items->pdata[position - 1];

      if (item->outgoing == NULL && item->kind != DUET_TIMELINE_ITEM_DAY)
        break;
      position--;
    }
  return position;
}

gboolean
_duet_timeline_has_events (DuetTimeline *self)
{
  return g_hash_table_size (self->by_event_id) > 0;
}

void
_duet_timeline_finish_batch (DuetTimeline *self,
                             gboolean      saw_create)
{
  if (saw_create)
    _duet_timeline_set_at_start (self, TRUE);
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

void
_duet_timeline_mark_batch (GPtrArray  *items,
                           const char *token)
{
  DuetTimelineItem *first;

  if (items->len == 0 || token == NULL || strlen (token) > DUET_TEXT_MAX_ID_BYTES)
    return;
  first = items->pdata[0];
  g_free (first->token_before);
  first->token_before = g_strdup (token);
}

static void
forget_item (DuetTimeline     *self,
             DuetTimelineItem *item)
{
  GPtrArray *repliers;

  if (item->event_id == NULL)
    return;
  /* Seen no more: paginating back brings it again. */
  g_hash_table_remove (self->by_event_id, item->event_id);
  g_hash_table_remove (self->seen, item->event_id);
  if (item->reply_event_id != NULL &&
      (repliers = g_hash_table_lookup (self->repliers, item->reply_event_id)) != NULL)
    g_ptr_array_remove (repliers, item);
}

/* A chat left open for very long keeps its newest items: past the bound,
 * the oldest fifth goes, cut before the first item of a batch whose token
 * lets pagination bring it back. */
static void
trim_top (DuetTimeline *self)
{
  guint at_least, cut = 0;
  DuetTimelineItem *first;

  if (self->items->len <= self->max_items)
    return;
  at_least = self->items->len - self->max_items * 4 / 5;
  for (guint i = at_least; i < self->items->len && cut == 0; i++)
    {
      DuetTimelineItem *item = self->items->pdata[i];

      if (is_content (item) && item->token_before != NULL && item->outgoing == NULL)
        cut = i;
    }
  if (cut == 0)
    return;

  first = self->items->pdata[cut];
  g_free (self->back_token);
  self->back_token = g_strdup (first->token_before);
  for (guint i = 0; i < cut; i++)
    forget_item (self, self->items->pdata[i]);
  g_ptr_array_remove_range (self->items, 0, cut);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, cut, 0);
  repair_from (self, 0);
  _duet_timeline_set_at_start (self, FALSE);
}

void
_duet_timeline_set_max_items (DuetTimeline *self,
                              guint         max_items)
{
  self->max_items = MAX (max_items, 10);
}

/* Member events in a live slice: the messages already shown of those
 * people take their new name and avatar (the room has them by now). */
static void
refresh_senders (DuetTimeline *self,
                 GPtrArray    *events)
{
  g_autoptr(GHashTable) changed = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = events->pdata[i];
      const char *user_id = duet_json_get_string (event, "state_key");

      if (g_strcmp0 (duet_json_get_string (event, "type"), "m.room.member") == 0 && user_id != NULL)
        g_hash_table_add (changed, (gpointer) user_id);
    }
  if (g_hash_table_size (changed) == 0)
    return;

  for (guint i = 0; i < self->items->len; i++)
    {
      DuetTimelineItem *item = self->items->pdata[i];
      DuetMember *member;

      if (item->kind != DUET_TIMELINE_ITEM_MESSAGE || item->sender == NULL ||
          !g_hash_table_contains (changed, item->sender) ||
          (member = duet_room_lookup_member (self->room, item->sender)) == NULL)
        continue;
      _duet_timeline_item_set_string (item, DUET_TIMELINE_ITEM_PROP_SENDER_NAME,
                                      duet_member_get_display_name (member));
      _duet_timeline_item_set_string (item, DUET_TIMELINE_ITEM_PROP_SENDER_AVATAR,
                                      duet_member_get_avatar_url (member));
    }
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

  events = _duet_timeline_collect_events (array, FALSE, DUET_TIMELINE_MAX_SLICE_EVENTS);
  for (guint i = 0; i < events->len; i++)
    if (!_duet_timeline_event_is_new (self, events->pdata[i]))
      overlaps = TRUE;

  position = live_position (self);
  if (limited && !overlaps && prev_batch != NULL && strlen (prev_batch) <= DUET_TEXT_MAX_ID_BYTES)
    {
      if (_duet_timeline_has_events (self))
        {
          /* History is missing between what is shown and this slice. */
          _duet_timeline_insert_gap (self, position, prev_batch);
          position++;
        }
      else
        {
          if (self->back_token == NULL)
            self->back_token = g_strdup (prev_batch);
          /* The cache being read may end before this slice. */
          if (self->loading > 0 && self->early_gap_token == NULL)
            self->early_gap_token = g_strdup (prev_batch);
        }
    }

  items = _duet_timeline_take_events (self, events, &saw_create);
  for (guint i = 0; i < items->len; i++)
    _duet_timeline_echo_take_event (self, items->pdata[i]);
  _duet_timeline_mark_batch (items, prev_batch);
  position = live_position (self);
  insert_items (self, position, items);
  _duet_timeline_finish_batch (self, saw_create);
  refresh_senders (self, events);
  trim_top (self);
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
_duet_timeline_insert_gap (DuetTimeline *self,
                           guint         position,
                           const char   *token)
{
  g_autoptr(DuetTimelineItem) gap = _duet_timeline_item_new (DUET_TIMELINE_ITEM_GAP);

  gap->gap_token = g_strdup (token);
  insert_one (self, position, gap);
  repair_from (self, position + 1);
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
  g_clear_pointer (&self->edits, g_hash_table_unref);
  g_clear_pointer (&self->quoted, g_hash_table_unref);
  g_clear_pointer (&self->repliers, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->back_token, g_free);
  g_clear_pointer (&self->early_gap_token, g_free);
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
unref_if_set (gpointer object)
{
  if (object != NULL)
    g_object_unref (object);
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
  self->edits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->quoted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, unref_if_set);
  self->repliers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_ptr_array_unref);
  self->typing = g_new0 (char *, 1);
  self->max_items = DUET_TIMELINE_MAX_ITEMS;
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
