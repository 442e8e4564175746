/* duet-timeline-echo.c: our messages on their way, at the end of the chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Local echoes mirror the outbox's room queue (duet-outbox.h): one
 * MESSAGE item per queued message, always the last items, with the
 * message's send state.  When the real event comes back in /sync, the
 * session first takes it out of the outbox (the queue drops it), then
 * hands the slice to the timeline, in the same main-loop turn: an echo
 * whose message was SENT therefore stays until its event replaces it, and
 * an idle removes it only if that event never came (so no frame shows
 * both, and none shows neither).
 */
#include "config.h"

#include <string.h>

#include "duet-timeline-private.h"

typedef struct {
  GListModel *queue;        /* the outbox's room queue (owned ref) */
  GPtrArray  *echoes;       /* DuetTimelineItem, in list order (refs) */
  guint       cleanup_id;   /* idle dropping echoes whose event never came */
} EchoState;

static GQuark
echo_quark (void)
{
  return g_quark_from_static_string ("duet-timeline-echo");
}

static EchoState *
get_state (DuetTimeline *self)
{
  return g_object_get_qdata (G_OBJECT (self), echo_quark ());
}

static DuetOutgoing *
item_outgoing (DuetTimelineItem *item)
{
  return DUET_OUTGOING (item->outgoing);
}

static void
outgoing_state_cb (DuetOutgoing     *outgoing,
                   GParamSpec       *pspec,
                   DuetTimelineItem *item)
{
  _duet_timeline_item_set_int (item, DUET_TIMELINE_ITEM_PROP_SEND_STATE,
                               duet_outgoing_get_state (outgoing));
}

static DuetTimelineItem *
new_echo (DuetTimeline *self,
          DuetOutgoing *outgoing)
{
  DuetRoom *room = duet_timeline_get_room (self);
  const char *own = _duet_timeline_get_own_user_id (self);
  DuetMember *member = duet_room_lookup_member (room, own);
  DuetTimelineItem *item = _duet_timeline_item_new (DUET_TIMELINE_ITEM_MESSAGE);

  item->sender = g_strdup (own);
  item->sender_name = g_strdup (member != NULL ? duet_member_get_display_name (member) : NULL);
  item->sender_avatar = g_strdup (member != NULL ? duet_member_get_avatar_url (member) : NULL);
  item->own = TRUE;
  item->timestamp = duet_outgoing_get_created (outgoing);
  if (item->timestamp <= 0)
    item->timestamp = g_get_real_time () / 1000;
  item->day = _duet_timeline_day_of (item->timestamp);
  item->txn_id = g_strdup (duet_outgoing_get_txn_id (outgoing));
  _duet_timeline_item_apply_content (item, duet_outgoing_get_content (outgoing), FALSE);
  item->outgoing = g_object_ref (G_OBJECT (outgoing));
  item->send_state = duet_outgoing_get_state (outgoing);
  g_signal_connect_object (outgoing, "notify::state", G_CALLBACK (outgoing_state_cb), item, 0);
  return item;
}

static void
remove_echo (DuetTimeline     *self,
             EchoState        *state,
             DuetTimelineItem *item)
{
  GPtrArray *items = _duet_timeline_get_items (self);
  guint index;

  g_signal_handlers_disconnect_by_func (item->outgoing, outgoing_state_cb, item);
  if (g_ptr_array_find (items, item, &index))
    _duet_timeline_remove_item (self, index);
  g_ptr_array_remove (state->echoes, item);
}

static gboolean
queue_contains (EchoState    *state,
                DuetOutgoing *outgoing)
{
  guint n = g_list_model_get_n_items (state->queue);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DuetOutgoing) queued = g_list_model_get_item (state->queue, i);

      if (queued == outgoing)
        return TRUE;
    }
  return FALSE;
}

static void
cleanup_cb (gpointer data)
{
  DuetTimeline *self = data;
  EchoState *state = get_state (self);

  state->cleanup_id = 0;
  for (guint i = state->echoes->len; i > 0; i--)
    {
      DuetTimelineItem *item = state->echoes->pdata[i - 1];

      if (!queue_contains (state, item_outgoing (item)))
        remove_echo (self, state, item);
    }
}

/* The queue changed: new messages get an echo at the end, messages that
 * left lose theirs (a SENT one waits for its event until idle). */
static void
queue_changed_cb (GListModel   *queue,
                  guint         position,
                  guint         removed,
                  guint         added,
                  DuetTimeline *self)
{
  EchoState *state = get_state (self);
  g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func (g_object_unref);
  guint n = g_list_model_get_n_items (queue);

  for (guint i = state->echoes->len; i > 0; i--)
    {
      DuetTimelineItem *item = state->echoes->pdata[i - 1];
      DuetOutgoing *outgoing = item_outgoing (item);

      if (queue_contains (state, outgoing))
        continue;
      if (duet_outgoing_get_state (outgoing) == DUET_OUTGOING_SENT)
        {
          if (state->cleanup_id == 0)
            state->cleanup_id = g_idle_add_once (cleanup_cb, self);
        }
      else
        remove_echo (self, state, item);
    }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DuetOutgoing) outgoing = g_list_model_get_item (queue, i);
      gboolean shown = FALSE;

      for (guint j = 0; j < state->echoes->len && !shown; j++)
        shown = item_outgoing (state->echoes->pdata[j]) == outgoing;
      if (!shown)
        g_ptr_array_add (fresh, new_echo (self, outgoing));
    }
  if (fresh->len == 0)
    return;

  for (guint i = 0; i < fresh->len; i++)
    g_ptr_array_add (state->echoes, g_object_ref (fresh->pdata[i]));
  _duet_timeline_insert_items (self, _duet_timeline_get_items (self)->len, fresh);
}

static void
echo_state_free (EchoState *state)
{
  g_clear_handle_id (&state->cleanup_id, g_source_remove);
  for (guint i = 0; i < state->echoes->len; i++)
    {
      DuetTimelineItem *item = state->echoes->pdata[i];

      g_signal_handlers_disconnect_by_func (item->outgoing, outgoing_state_cb, item);
    }
  g_ptr_array_unref (state->echoes);
  g_object_unref (state->queue);
  g_free (state);
}

void
_duet_timeline_echo_init (DuetTimeline *self)
{
  DuetOutbox *outbox = duet_session_get_outbox (duet_timeline_get_session (self));
  const char *room_id = duet_room_get_id (duet_timeline_get_room (self));
  EchoState *state = g_new0 (EchoState, 1);

  state->queue = g_object_ref (duet_outbox_get_room_queue (outbox, room_id));
  state->echoes = g_ptr_array_new_with_free_func (g_object_unref);
  g_object_set_qdata_full (G_OBJECT (self), echo_quark (), state, (GDestroyNotify) echo_state_free);
  g_signal_connect_object (state->queue, "items-changed", G_CALLBACK (queue_changed_cb), self, 0);
  queue_changed_cb (state->queue, 0, 0, g_list_model_get_n_items (state->queue), self);
}

void
_duet_timeline_echo_dispose (DuetTimeline *self)
{
  EchoState *state = get_state (self);

  if (state != NULL)
    g_signal_handlers_disconnect_by_func (state->queue, queue_changed_cb, self);
  g_object_set_qdata (G_OBJECT (self), echo_quark (), NULL);
}

void
_duet_timeline_echo_take_event (DuetTimeline     *self,
                                DuetTimelineItem *item)
{
  EchoState *state = get_state (self);

  if (state == NULL || !item->own)
    return;
  for (guint i = 0; i < state->echoes->len; i++)
    {
      DuetTimelineItem *echo = state->echoes->pdata[i];
      DuetOutgoing *outgoing = item_outgoing (echo);

      if ((item->txn_id != NULL && g_strcmp0 (item->txn_id, duet_outgoing_get_txn_id (outgoing)) == 0) ||
          (item->event_id != NULL && g_strcmp0 (item->event_id, duet_outgoing_get_event_id (outgoing)) == 0))
        {
          remove_echo (self, state, echo);
          return;
        }
    }
}

/* --- Sending --------------------------------------------------------------- */

DuetOutgoing *
duet_timeline_send_text (DuetTimeline *self,
                         const char   *text)
{
  DuetOutbox *outbox;
  gboolean emote;

  g_return_val_if_fail (DUET_IS_TIMELINE (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);

  emote = g_str_has_prefix (text, "/me ");
  if (emote)
    text += strlen ("/me ");
  if (*text == '\0')
    return NULL;

  duet_timeline_set_typing (self, FALSE);
  outbox = duet_session_get_outbox (duet_timeline_get_session (self));
  return duet_outbox_send_text (outbox, duet_room_get_id (duet_timeline_get_room (self)), text, emote);
}

void
duet_timeline_retry (DuetTimeline     *self,
                     DuetTimelineItem *item)
{
  g_return_if_fail (DUET_IS_TIMELINE (self));
  g_return_if_fail (DUET_IS_TIMELINE_ITEM (item));

  if (item->outgoing != NULL)
    duet_outbox_retry (duet_session_get_outbox (duet_timeline_get_session (self)),
                       item_outgoing (item));
}

void
duet_timeline_delete (DuetTimeline     *self,
                      DuetTimelineItem *item)
{
  g_return_if_fail (DUET_IS_TIMELINE (self));
  g_return_if_fail (DUET_IS_TIMELINE_ITEM (item));

  if (item->outgoing != NULL)
    duet_outbox_delete (duet_session_get_outbox (duet_timeline_get_session (self)),
                        item_outgoing (item));
}
