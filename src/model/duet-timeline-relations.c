/* duet-timeline-relations.c: events into items, relations onto their targets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * take_events() is the one door for events of every source (cache, pages
 * of history, gap fillings, live slices): it drops what was seen before,
 * applies edits, reactions and redactions to their targets, keeps those
 * whose target is not loaded yet in `pending`, and makes the items.  The
 * order in which history arrives does not matter: the newest edit wins by
 * its timestamp, and a redaction seen before its target still applies.
 */
#include "config.h"

#include "duet-json.h"
#include "duet-matrix-id.h"
#include "duet-text.h"
#include "duet-timeline-private.h"

/* Relations waiting for a target that is not loaded. */
#define MAX_PENDING 5000
/* Messages fetched only to be quoted by replies. */
#define MAX_QUOTED 500
/* Edits kept per message (to undo a redacted one). */
#define MAX_EDITS_KEPT 16

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

typedef struct {
  DuetTimeline *self;
  char         *event_id;
} QuoteFetch;

static void
quoted_fetched_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  QuoteFetch *fetch = user_data;
  DuetTimeline *self = fetch->self;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DuetTimelineItem) quoted = NULL;
  GPtrArray *repliers;

  event = duet_client_request_finish (DUET_CLIENT (object), result, &error);
  if (event == NULL)
    g_debug ("A quoted message did not come: %s", error->message);
  else if (g_strcmp0 (duet_json_get_string (event, "event_id"), fetch->event_id) == 0 &&
           g_hash_table_lookup (self->by_event_id, fetch->event_id) == NULL &&
           (quoted = _duet_timeline_item_new_from_event (event, self->room, self->own_user_id)) != NULL)
    {
      if (g_hash_table_contains (self->redacted, fetch->event_id))
        _duet_timeline_item_redact (quoted);
      g_hash_table_insert (self->quoted, g_strdup (fetch->event_id), g_object_ref (quoted));
      repliers = g_hash_table_lookup (self->repliers, fetch->event_id);
      for (guint i = 0; repliers != NULL && i < repliers->len; i++)
        update_reply (self, repliers->pdata[i], quoted);
    }
  g_object_unref (fetch->self);
  g_free (fetch->event_id);
  g_free (fetch);
}

/* A reply to a message older than what is loaded: that message alone,
 * once, from the server (it is shown in the quote, not in the list). */
static void
fetch_quoted (DuetTimeline *self,
              const char   *event_id)
{
  g_autofree char *room = NULL;
  g_autofree char *event = NULL;
  g_autofree char *path = NULL;
  QuoteFetch *fetch;

  if (g_hash_table_contains (self->quoted, event_id) || g_hash_table_size (self->quoted) >= MAX_QUOTED)
    return;
  /* Asked for: the entry is filled when the answer comes. */
  g_hash_table_insert (self->quoted, g_strdup (event_id), NULL);

  room = g_uri_escape_string (self->room_id, NULL, FALSE);
  event = g_uri_escape_string (event_id, NULL, FALSE);
  path = g_strdup_printf ("/_matrix/client/v3/rooms/%s/event/%s", room, event);
  fetch = g_new0 (QuoteFetch, 1);
  fetch->self = g_object_ref (self);
  fetch->event_id = g_strdup (event_id);
  duet_client_request_async (duet_session_get_client (self->session), "GET", path, NULL, NULL,
                             DUET_REQUEST_IDEMPOTENT, self->cancellable, quoted_fetched_cb, fetch);
}

static void
watch_reply (DuetTimeline     *self,
             DuetTimelineItem *item)
{
  DuetTimelineItem *target;
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
  target = g_hash_table_lookup (self->by_event_id, item->reply_event_id);
  if (target == NULL)
    target = g_hash_table_lookup (self->quoted, item->reply_event_id);
  if (target != NULL)
    update_reply (self, item, target);
  else
    fetch_quoted (self, item->reply_event_id);
}

/* The newest kept edit, or NULL. */
static DuetEditRecord *
newest_edit (DuetTimelineItem *item)
{
  DuetEditRecord *newest = NULL;

  for (guint i = 0; item->edits != NULL && i < item->edits->len; i++)
    {
      DuetEditRecord *record = item->edits->pdata[i];

      if (newest == NULL || record->ts >= newest->ts)
        newest = record;
    }
  return newest;
}

static void
show_edit (DuetTimeline     *self,
           DuetTimelineItem *item,
           DuetEditRecord   *record)
{
  g_object_freeze_notify (G_OBJECT (item));
  _duet_timeline_item_apply_content (item, record->content, FALSE);
  item->edit_ts = record->ts;
  _duet_timeline_item_set_int (item, DUET_TIMELINE_ITEM_PROP_EDITED, TRUE);
  g_object_thaw_notify (G_OBJECT (item));
  update_repliers (self, item);
}

static void
apply_edit (DuetTimeline     *self,
            DuetTimelineItem *item,
            JsonObject       *edit)
{
  JsonObject *new_content = duet_json_get_object (duet_json_get_object (edit, "content"), "m.new_content");
  DuetEditRecord *record;

  /* Only the sender may edit their message, and the newest edit wins
   * whatever order history arrives in. */
  if (item->kind != DUET_TIMELINE_ITEM_MESSAGE || item->message_kind == DUET_MESSAGE_REDACTED ||
      item->message_kind == DUET_MESSAGE_ENCRYPTED || new_content == NULL ||
      g_strcmp0 (duet_json_get_string (edit, "sender"), item->sender) != 0)
    return;

  record = g_new0 (DuetEditRecord, 1);
  record->event_id = g_strdup (duet_json_get_string (edit, "event_id"));
  record->ts = duet_json_get_int (edit, "origin_server_ts", 0);
  record->content = json_object_ref (new_content);
  if (item->edits == NULL)
    item->edits = g_ptr_array_new_with_free_func ((GDestroyNotify) _duet_edit_record_free);
  g_ptr_array_add (item->edits, record);
  g_hash_table_insert (self->edits, g_strdup (record->event_id), g_strdup (item->event_id));

  /* A message edited over and over keeps its newest edits only. */
  if (item->edits->len > MAX_EDITS_KEPT)
    {
      guint oldest = 0;

      for (guint i = 1; i < item->edits->len; i++)
        if (((DuetEditRecord *) item->edits->pdata[i])->ts <
            ((DuetEditRecord *) item->edits->pdata[oldest])->ts)
          oldest = i;
      g_hash_table_remove (self->edits, ((DuetEditRecord *) item->edits->pdata[oldest])->event_id);
      g_ptr_array_remove_index (item->edits, oldest);
    }

  if (newest_edit (item) == record)
    show_edit (self, item, record);
}

typedef struct {
  DuetTimeline     *self;
  DuetTimelineItem *item;
} OriginalFetch;

static void
original_fetched_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  OriginalFetch *fetch = user_data;
  DuetTimelineItem *item = fetch->item;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *content;

  event = duet_client_request_finish (DUET_CLIENT (object), result, &error);
  content = duet_json_get_object (event, "content");
  if (event == NULL)
    g_debug ("The original of an edited message did not come: %s", error->message);
  else if (content != NULL && item->message_kind != DUET_MESSAGE_REDACTED &&
           (item->edits == NULL || item->edits->len == 0) &&
           g_strcmp0 (duet_json_get_string (event, "event_id"), item->event_id) == 0)
    {
      g_object_freeze_notify (G_OBJECT (item));
      _duet_timeline_item_apply_content (item, content, item->reply_event_id != NULL);
      item->edit_ts = 0;
      _duet_timeline_item_set_int (item, DUET_TIMELINE_ITEM_PROP_EDITED, FALSE);
      g_object_thaw_notify (G_OBJECT (item));
      update_repliers (fetch->self, item);
    }
  g_object_unref (fetch->item);
  g_object_unref (fetch->self);
  g_free (fetch);
}

/* Every edit of @item is gone: its own text comes back from the server
 * (the timeline keeps no copy of every original). */
static void
restore_original (DuetTimeline     *self,
                  DuetTimelineItem *item)
{
  g_autofree char *room = g_uri_escape_string (self->room_id, NULL, FALSE);
  g_autofree char *event = g_uri_escape_string (item->event_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/_matrix/client/v3/rooms/%s/event/%s", room, event);
  OriginalFetch *fetch = g_new0 (OriginalFetch, 1);

  fetch->self = g_object_ref (self);
  fetch->item = g_object_ref (item);
  duet_client_request_async (duet_session_get_client (self->session), "GET", path, NULL, NULL,
                             DUET_REQUEST_IDEMPOTENT, self->cancellable, original_fetched_cb, fetch);
}

static void
redact_edit (DuetTimeline *self,
             const char   *edit_id,
             const char   *target_id)
{
  DuetTimelineItem *item = g_hash_table_lookup (self->by_event_id, target_id);
  DuetEditRecord *record;

  if (item == NULL || item->edits == NULL)
    return;
  for (guint i = 0; i < item->edits->len; i++)
    if (g_strcmp0 (((DuetEditRecord *) item->edits->pdata[i])->event_id, edit_id) == 0)
      {
        g_ptr_array_remove_index (item->edits, i);
        break;
      }
  if (item->message_kind == DUET_MESSAGE_REDACTED)
    return;
  if ((record = newest_edit (item)) != NULL)
    show_edit (self, item, record);
  else if (item->edited)
    restore_original (self, item);
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

  const char *event_id = duet_json_get_string (reaction, "event_id");

  if (key == NULL || item->kind != DUET_TIMELINE_ITEM_MESSAGE ||
      item->message_kind == DUET_MESSAGE_REDACTED)
    return;
  /* Known by its id, so that redacting it finds its target. */
  g_hash_table_insert (self->reactions, g_strdup (event_id), g_strdup (item->event_id));
  _duet_timeline_item_add_reaction (item, event_id, duet_json_get_string (reaction, "sender"), key,
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

static gboolean
add_pending (DuetTimeline *self,
             const char   *target_id,
             JsonObject   *relation)
{
  GPtrArray *list;

  if (self->n_pending >= MAX_PENDING)
    return FALSE;
  list = g_hash_table_lookup (self->pending, target_id);
  if (list == NULL)
    {
      list = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
      g_hash_table_insert (self->pending, g_strdup (target_id), list);
    }
  g_ptr_array_add (list, json_object_ref (relation));
  self->n_pending++;
  return TRUE;
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
                 const char   *target_id,
                 const char   *redaction_id)
{
  DuetTimelineItem *item = g_hash_table_lookup (self->by_event_id, target_id);
  const char *reaction_target, *edit_target;

  g_hash_table_insert (self->redacted, g_strdup (target_id), g_strdup (redaction_id));
  /* A message fetched only for a reply's quote is deleted there too. */
  if (item == NULL)
    item = g_hash_table_lookup (self->quoted, target_id);
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
  edit_target = g_hash_table_lookup (self->edits, target_id);
  if (edit_target != NULL)
    redact_edit (self, target_id, edit_target);
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

/* --- Forgetting trimmed items ---------------------------------------------- */

/* The reaction @ref to @target as an event again, to wait in pending. */
static JsonObject *
reaction_event (DuetTimelineItem *target,
                DuetReactionRef  *ref)
{
  JsonObject *event = json_object_new ();
  JsonObject *content = json_object_new ();
  JsonObject *relates_to = json_object_new ();

  json_object_set_string_member (relates_to, "rel_type", "m.annotation");
  json_object_set_string_member (relates_to, "event_id", target->event_id);
  json_object_set_string_member (relates_to, "key", ref->key);
  json_object_set_object_member (content, "m.relates_to", relates_to);
  json_object_set_string_member (event, "type", "m.reaction");
  json_object_set_string_member (event, "event_id", ref->event_id);
  json_object_set_string_member (event, "sender", ref->sender);
  json_object_set_object_member (event, "content", content);
  return event;
}

/* The edit @record of @target as an event again, to wait in pending. */
static JsonObject *
edit_event (DuetTimelineItem *target,
            DuetEditRecord   *record)
{
  JsonObject *event = json_object_new ();
  JsonObject *content = json_object_new ();

  json_object_set_object_member (content, "m.new_content", json_object_ref (record->content));
  json_object_set_string_member (event, "type", "m.room.message");
  json_object_set_string_member (event, "event_id", record->event_id);
  json_object_set_string_member (event, "sender", target->sender);
  json_object_set_int_member (event, "origin_server_ts", record->ts);
  json_object_set_object_member (event, "content", content);
  return event;
}

/* @relation_id hangs on a trimmed item: it waits in pending for the item
 * to come back (its event stays seen, so a page bringing it again does not
 * apply it twice); when pending is full, it is seen no more, and the page
 * that brings it back applies it. */
static void
keep_relation (DuetTimeline     *self,
               DuetTimelineItem *target,
               const char       *relation_id,
               JsonObject       *relation)
{
  /* @relation is ours: add_pending() keeps its own reference. */
  if (!add_pending (self, target->event_id, relation))
    g_hash_table_remove (self->seen, relation_id);
  json_object_unref (relation);
}

/* @event_id is gone with a trimmed item: so is its redaction, which a
 * page brings again with it (the server sends redacted events stripped). */
static void
forget_redaction (DuetTimeline *self,
                  const char   *event_id)
{
  const char *redaction_id = g_hash_table_lookup (self->redacted, event_id);

  if (redaction_id != NULL)
    g_hash_table_remove (self->seen, redaction_id);
  g_hash_table_remove (self->redacted, event_id);
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
  forget_redaction (self, item->event_id);
  if (item->reply_event_id != NULL &&
      (repliers = g_hash_table_lookup (self->repliers, item->reply_event_id)) != NULL)
    {
      g_ptr_array_remove (repliers, item);
      if (repliers->len == 0)
        g_hash_table_remove (self->repliers, item->reply_event_id);
    }

  for (guint i = 0; i < item->reaction_refs->len; i++)
    {
      DuetReactionRef *ref = item->reaction_refs->pdata[i];

      keep_relation (self, item, ref->event_id, reaction_event (item, ref));
    }
  for (guint i = 0; item->edits != NULL && i < item->edits->len; i++)
    {
      DuetEditRecord *record = item->edits->pdata[i];

      keep_relation (self, item, record->event_id, edit_event (item, record));
    }
}

/* Relations of the items gone (@gone: their event ids): no more in the
 * maps; those deleted are seen no more either, nor are their deletions. */
static void
forget_relations_of (DuetTimeline *self,
                     GHashTable   *map,
                     GHashTable   *gone)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, map);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_hash_table_contains (gone, value))
      {
        if (g_hash_table_contains (self->redacted, key))
          {
            g_hash_table_remove (self->seen, key);
            forget_redaction (self, key);
          }
        g_hash_table_iter_remove (&iter);
      }
}

void
_duet_timeline_forget_items (DuetTimeline *self,
                             guint         n_items)
{
  g_autoptr(GHashTable) gone = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < n_items && i < self->items->len; i++)
    {
      DuetTimelineItem *item = self->items->pdata[i];

      if (item->event_id == NULL)
        continue;
      forget_item (self, item);
      g_hash_table_add (gone, item->event_id);
    }
  forget_relations_of (self, self->reactions, gone);
  forget_relations_of (self, self->edits, gone);
}

/* A relation counts only from a real person: a reaction or an edit
 * without a valid sender is dropped (reactions are told apart, and edits
 * checked, by their sender). */
static gboolean
has_valid_sender (JsonObject *event)
{
  const char *sender = duet_json_get_string (event, "sender");

  return sender != NULL && duet_matrix_is_valid_user_id (sender);
}

/* --- Taking events --------------------------------------------------------- */

static JsonObject *
array_object (JsonArray *array,
              guint      index)
{
  JsonNode *node = json_array_get_element (array, index);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

gboolean
_duet_timeline_event_is_new (DuetTimeline *self,
                             JsonObject   *event)
{
  const char *event_id = duet_json_get_string (event, "event_id");

  return event_id != NULL && duet_matrix_is_valid_event_id (event_id) &&
         !g_hash_table_contains (self->seen, event_id);
}

/* Takes @events (JsonObject, oldest first): relations go to their targets,
 * the rest become items, returned oldest first, not yet in the list. */
GPtrArray *
_duet_timeline_take_events (DuetTimeline *self,
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

      if (!_duet_timeline_event_is_new (self, event) || type == NULL)
        continue;
      g_hash_table_add (self->seen, g_strdup (event_id));

      if (g_str_equal (type, "m.room.redaction"))
        {
          target = duet_json_get_string (duet_json_get_object (event, "content"), "redacts");
          if (target == NULL)
            target = duet_json_get_string (event, "redacts");
          if (target != NULL && duet_matrix_is_valid_event_id (target) &&
              duet_json_get_object (duet_json_get_object (event, "unsigned"), "redacted_because") == NULL)
            apply_redaction (self, target, event_id);
          continue;
        }
      if (g_str_equal (type, "m.reaction"))
        {
          if ((target = relation_target (event, "m.annotation")) == NULL ||
              !has_valid_sender (event) || g_hash_table_contains (self->redacted, event_id))
            continue;
          if ((item = g_hash_table_lookup (self->by_event_id, target)) != NULL)
            apply_reaction (self, item, event);
          else
            add_pending (self, target, event);
          continue;
        }
      if (g_str_equal (type, "m.room.message") && (target = relation_target (event, "m.replace")) != NULL)
        {
          if (!has_valid_sender (event) || g_hash_table_contains (self->redacted, event_id))
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
GPtrArray *
_duet_timeline_collect_events (JsonArray *array,
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
