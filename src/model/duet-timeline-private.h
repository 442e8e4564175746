/* duet-timeline-private.h: how DuetTimeline builds and changes its items
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-timeline.h"

G_BEGIN_DECLS

/* Bounds on what one item holds. */
#define DUET_TIMELINE_MAX_BODY_CHARS 20000
#define DUET_TIMELINE_MAX_REACTION_KEYS 24
#define DUET_TIMELINE_MAX_REACTIONS 1000
#define DUET_TIMELINE_MAX_REACTION_KEY_CHARS 16
#define DUET_TIMELINE_REPLY_PREVIEW_CHARS 120

typedef enum {
  DUET_TIMELINE_ITEM_PROP_0,
  DUET_TIMELINE_ITEM_PROP_KIND,
  DUET_TIMELINE_ITEM_PROP_EVENT_ID,
  DUET_TIMELINE_ITEM_PROP_SENDER,
  DUET_TIMELINE_ITEM_PROP_SENDER_NAME,
  DUET_TIMELINE_ITEM_PROP_SENDER_AVATAR,
  DUET_TIMELINE_ITEM_PROP_TIMESTAMP,
  DUET_TIMELINE_ITEM_PROP_OWN,
  DUET_TIMELINE_ITEM_PROP_GROUP_START,
  DUET_TIMELINE_ITEM_PROP_MESSAGE_KIND,
  DUET_TIMELINE_ITEM_PROP_BODY,
  DUET_TIMELINE_ITEM_PROP_MARKUP,
  DUET_TIMELINE_ITEM_PROP_EDITED,
  DUET_TIMELINE_ITEM_PROP_REPLY_EVENT_ID,
  DUET_TIMELINE_ITEM_PROP_REPLY_SENDER_NAME,
  DUET_TIMELINE_ITEM_PROP_REPLY_BODY,
  DUET_TIMELINE_ITEM_PROP_REACTIONS,
  DUET_TIMELINE_ITEM_PROP_FILE_NAME,
  DUET_TIMELINE_ITEM_PROP_FILE_SIZE,
  DUET_TIMELINE_ITEM_PROP_MEDIA_URL,
  DUET_TIMELINE_ITEM_PROP_MEDIA_WIDTH,
  DUET_TIMELINE_ITEM_PROP_MEDIA_HEIGHT,
  DUET_TIMELINE_ITEM_PROP_THUMBNAIL_URL,
  DUET_TIMELINE_ITEM_PROP_OUTGOING,
  DUET_TIMELINE_ITEM_PROP_SEND_STATE,
  DUET_TIMELINE_ITEM_N_PROPS
} DuetTimelineItemProp;

/* One reaction event kept on its target: who, which key, which event. */
typedef struct {
  char *event_id;
  char *sender;
  char *key;
} DuetReactionRef;

/* One edit applied to its message, kept so that redacting the edit shown
 * can bring the previous text back. */
typedef struct {
  char       *event_id;
  gint64      ts;
  JsonObject *content;   /* m.new_content */
} DuetEditRecord;

struct _DuetTimelineItem
{
  GObject               parent_instance;

  DuetTimelineItemKind  kind;
  char                 *event_id;
  char                 *sender;
  char                 *sender_name;
  char                 *sender_avatar;
  gint64                timestamp;
  gboolean              own;
  gboolean              group_start;
  DuetMessageKind       message_kind;
  char                 *body;
  char                 *markup;
  gboolean              edited;
  char                 *reply_event_id;
  char                 *reply_sender_name;
  char                 *reply_body;
  GPtrArray            *reactions;       /* DuetReaction, rebuilt on change */
  char                 *file_name;
  gint64                file_size;
  char                 *media_url;
  int                   media_width;
  int                   media_height;
  char                 *thumbnail_url;
  GObject              *outgoing;        /* DuetOutgoing of a local echo */
  int                   send_state;      /* DuetOutgoingState */

  /* Timeline bookkeeping */
  gint64                edit_ts;         /* origin_server_ts of the edit shown, 0: none */
  GPtrArray            *edits;           /* DuetEditRecord, NULL until edited */
  GPtrArray            *reaction_refs;   /* DuetReactionRef */
  char                 *gap_token;       /* GAP: where to paginate back from */
  char                 *token_before;    /* first of a batch: paginates back from it */
  gint64                day;             /* local midnight (ms) of timestamp */
  char                 *txn_id;          /* our event's transaction id, if known */
};

DuetTimelineItem *_duet_timeline_item_new         (DuetTimelineItemKind  kind) G_GNUC_WARN_UNUSED_RESULT;
/* Sets a field and notifies when it changed. */
void              _duet_timeline_item_set_string  (DuetTimelineItem     *self,
                                                   DuetTimelineItemProp  prop,
                                                   const char           *value);
void              _duet_timeline_item_set_int     (DuetTimelineItem     *self,
                                                   DuetTimelineItemProp  prop,
                                                   gint64                value);
void              _duet_timeline_item_notify      (DuetTimelineItem     *self,
                                                   DuetTimelineItemProp  prop);
void              _duet_timeline_item_set_outgoing (DuetTimelineItem    *self,
                                                   GObject              *outgoing);
/* Adds one reaction (a second one by the same sender and key counts once);
 * FALSE when it was not taken. */
gboolean          _duet_timeline_item_add_reaction (DuetTimelineItem    *self,
                                                   const char           *event_id,
                                                   const char           *sender,
                                                   const char           *key,
                                                   const char           *own_user_id);
/* Removes a reaction by its event id; TRUE when there was one. */
gboolean          _duet_timeline_item_remove_reaction (DuetTimelineItem *self,
                                                   const char           *event_id,
                                                   const char           *own_user_id);
void              _duet_edit_record_free          (DuetEditRecord       *record);
/* Local midnight of @timestamp_ms, in ms. */
gint64            _duet_timeline_day_of           (gint64                timestamp_ms);

/* duet-timeline-content.c: what an event means for an item.  Returns a new
 * MESSAGE or EVENT item, or NULL for an event that shows nothing (a
 * relation, an unknown type, a member change with nothing to say). */
DuetTimelineItem *_duet_timeline_item_new_from_event (JsonObject        *event,
                                                   DuetRoom             *room,
                                                   const char           *own_user_id) G_GNUC_WARN_UNUSED_RESULT;
/* Message content (an original's or an edit's m.new_content) into the
 * item: message kind, body, markup, file fields.  @is_reply strips the
 * reply fallback. */
void              _duet_timeline_item_apply_content (DuetTimelineItem   *self,
                                                   JsonObject           *content,
                                                   gboolean              is_reply);
void              _duet_timeline_item_redact      (DuetTimelineItem     *self);
/* The one-line preview a reply to this item shows. */
char             *_duet_timeline_item_dup_preview (DuetTimelineItem     *self) G_GNUC_WARN_UNUSED_RESULT;
/* A multi-line body made safe: invalid UTF-8 replaced, control and bidi
 * override characters dropped (line breaks kept), cut at @max_chars. */
char             *_duet_timeline_sanitize_body    (const char           *text,
                                                   guint                 max_chars) G_GNUC_WARN_UNUSED_RESULT;

/* Shared by duet-timeline*.c only. */
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
  GHashTable   *edits;         /* edit event id → target event id */
  GHashTable   *quoted;        /* event id → DuetTimelineItem fetched for a reply's quote
                                * (NULL while asked for) */
  GHashTable   *repliers;      /* event id → GPtrArray of items replying to it (refs) */
  char         *back_token;    /* paginates back from the oldest event */
  char         *early_gap_token; /* a limited slice came before the cache was read */
  GStrv         typing;

  guint         loading;       /* load / paginate / fill requests running */
  gboolean      at_start;
  gboolean      paginating;
  gboolean      load_started;  /* load() ran or runs: it does nothing again */
  guint         max_items;     /* past this, live events push the oldest out */

  gboolean      typing_sent;
  gint64        typing_sent_at;
  guint         typing_timeout_id;
};

/* Items kept: past this, history stops loading. */
#define DUET_TIMELINE_MAX_ITEMS 50000
/* Events of one slice taken at most. */
#define DUET_TIMELINE_MAX_SLICE_EVENTS 2000

/* duet-timeline.c: placing items */
GPtrArray        *_duet_timeline_get_items        (DuetTimeline         *self);
/* Content items (oldest first) at @position, with their separators. */
void              _duet_timeline_insert_items     (DuetTimeline         *self,
                                                   guint                 position,
                                                   GPtrArray            *items);
void              _duet_timeline_insert_gap       (DuetTimeline         *self,
                                                   guint                 position,
                                                   const char           *token);
/* The first item of a batch remembers the token before it (the batch's
 * prev_batch, or the page's end): the top can be cut there and loaded
 * again.  @items as given to _duet_timeline_insert_items(). */
void              _duet_timeline_mark_batch       (GPtrArray            *items,
                                                   const char           *token);
/* For tests: the bound on items (default DUET_TIMELINE_MAX_ITEMS). */
void              _duet_timeline_set_max_items    (DuetTimeline         *self,
                                                   guint                 max_items);
void              _duet_timeline_remove_item      (DuetTimeline         *self,
                                                   guint                 index);
const char       *_duet_timeline_get_own_user_id  (DuetTimeline         *self);
void              _duet_timeline_set_loading      (DuetTimeline         *self,
                                                   gboolean              more);
void              _duet_timeline_set_at_start     (DuetTimeline         *self,
                                                   gboolean              at_start);
/* Any server event shown (local echoes do not count). */
gboolean          _duet_timeline_has_events       (DuetTimeline         *self);
/* After a batch: the room's creation means nothing is older. */
void              _duet_timeline_finish_batch     (DuetTimeline         *self,
                                                   gboolean              saw_create);

/* duet-timeline-relations.c */
gboolean          _duet_timeline_event_is_new     (DuetTimeline         *self,
                                                   JsonObject           *event);
/* Takes @events (JsonObject, oldest first): relations go to their targets,
 * the rest become items, returned oldest first, not yet in the list. */
GPtrArray        *_duet_timeline_take_events      (DuetTimeline         *self,
                                                   GPtrArray            *events,
                                                   gboolean             *saw_create) G_GNUC_WARN_UNUSED_RESULT;
/* The event objects of a JSON array, oldest first (@newest_first for
 * /messages dir=b), the newest @max of them; borrowed from @array. */
GPtrArray        *_duet_timeline_collect_events   (JsonArray            *array,
                                                   gboolean              newest_first,
                                                   guint                 max) G_GNUC_WARN_UNUSED_RESULT;

/* duet-timeline-echo.c: local echoes of the outbox's messages. */
void              _duet_timeline_echo_init        (DuetTimeline         *self);
void              _duet_timeline_echo_dispose     (DuetTimeline         *self);
/* A server event is about to be inserted: when it is the echo of one of
 * ours, the local item leaves now (same main-loop turn). */
void              _duet_timeline_echo_take_event  (DuetTimeline         *self,
                                                   DuetTimelineItem     *item);

G_END_DECLS
