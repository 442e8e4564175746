/* duet-timeline.h: the conversation of one open chat, ready to draw
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A DuetTimeline is a GListModel of DuetTimelineItem, oldest first: day
 * separators, gap markers, messages (with edits, redactions, reactions and
 * reply quotes already applied) and our own messages still in the outbox
 * (local echoes, always at the end).  It exists only while a chat is open:
 * rooms that are not open keep no per-event objects.
 *
 * Items are stable objects: an edit, a redaction, a reaction or a send
 * state change notifies the item's properties; it never replaces the item.
 * The list changes by insertions at the top (back-pagination, gap filling)
 * and at the bottom (live events, local echoes), a local echo is removed in
 * the same main-loop turn as its real event is inserted, and a day
 * separator or group start is an items-changed of its own.
 *
 * Everything the items hold is plain text or Pango markup built here from
 * escaped text: never server markup.
 */
#pragma once

#include <gio/gio.h>

#include "duet-outbox.h"
#include "duet-room.h"
#include "duet-session.h"

G_BEGIN_DECLS

typedef enum {
  DUET_TIMELINE_ITEM_MESSAGE,  /* a message event, or our local echo of one */
  DUET_TIMELINE_ITEM_EVENT,    /* a line about the room: "Bob joined", "Alice renamed the chat" */
  DUET_TIMELINE_ITEM_DAY,      /* a day separator: timestamp is that day's local midnight */
  DUET_TIMELINE_ITEM_GAP,      /* history is missing here: duet_timeline_fill_gap_async() */
} DuetTimelineItemKind;

#define DUET_TYPE_TIMELINE_ITEM_KIND (duet_timeline_item_kind_get_type ())
GType duet_timeline_item_kind_get_type (void) G_GNUC_CONST;

typedef enum {
  DUET_MESSAGE_TEXT,
  DUET_MESSAGE_NOTICE,
  DUET_MESSAGE_EMOTE,
  DUET_MESSAGE_IMAGE,
  DUET_MESSAGE_FILE,        /* m.file, m.audio, m.video: a card with name and size */
  DUET_MESSAGE_ENCRYPTED,   /* "encrypted — not readable in Duet yet" */
  DUET_MESSAGE_REDACTED,    /* "Message deleted" */
  DUET_MESSAGE_UNSUPPORTED, /* an unknown msgtype: its body, if any, as text */
} DuetMessageKind;

#define DUET_TYPE_MESSAGE_KIND (duet_message_kind_get_type ())
GType duet_message_kind_get_type (void) G_GNUC_CONST;

/* One reaction key on a message. */
typedef struct {
  char    *key;      /* sanitized, at most a few characters shown */
  guint    count;
  gboolean mine;     /* we reacted with it */
} DuetReaction;

#define DUET_TYPE_REACTION (duet_reaction_get_type ())
GType         duet_reaction_get_type (void) G_GNUC_CONST;
DuetReaction *duet_reaction_copy     (const DuetReaction *reaction);
void          duet_reaction_free     (DuetReaction       *reaction);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DuetReaction, duet_reaction_free)

#define DUET_TYPE_TIMELINE_ITEM (duet_timeline_item_get_type ())
G_DECLARE_FINAL_TYPE (DuetTimelineItem, duet_timeline_item, DUET, TIMELINE_ITEM, GObject)

/* Properties, read-only, each notified on real change:
 * kind, event-id, sender, sender-name, sender-avatar, timestamp, own,
 * group-start, message-kind, body, markup, edited, reply-event-id,
 * reply-sender-name, reply-body, reactions, file-name, file-size,
 * media-url, media-width, media-height, thumbnail-url, outgoing,
 * send-state. */
DuetTimelineItemKind duet_timeline_item_get_kind          (DuetTimelineItem *self);
/* NULL for a local echo, a day or a gap. */
const char       *duet_timeline_item_get_event_id         (DuetTimelineItem *self);
const char       *duet_timeline_item_get_sender           (DuetTimelineItem *self);
/* The sender's display name in this room (sanitized), else the user id. */
const char       *duet_timeline_item_get_sender_name      (DuetTimelineItem *self);
/* mxc:// URL of the sender's avatar in this room, or NULL. */
const char       *duet_timeline_item_get_sender_avatar    (DuetTimelineItem *self);
/* origin_server_ts in ms (a local echo: when it was queued). */
gint64            duet_timeline_item_get_timestamp        (DuetTimelineItem *self);
/* Sent by us (our user id), local echoes included. */
gboolean          duet_timeline_item_is_own               (DuetTimelineItem *self);
/* First message of a run by one sender (same day, at most 5 minutes apart
 * from the previous one): the view shows name and avatar here. */
gboolean          duet_timeline_item_get_group_start      (DuetTimelineItem *self);
DuetMessageKind   duet_timeline_item_get_message_kind     (DuetTimelineItem *self);
/* Plain text: the current body (after edits), or the line of an EVENT
 * item, or the fixed text of ENCRYPTED / REDACTED. */
const char       *duet_timeline_item_get_body             (DuetTimelineItem *self);
/* Pango markup for a label: the body escaped with links as <a href>, or
 * the formatted body through the safe subset (bold, italic, code, links,
 * quotes, lists).  Never NULL for a MESSAGE item. */
const char       *duet_timeline_item_get_markup           (DuetTimelineItem *self);
gboolean          duet_timeline_item_get_edited           (DuetTimelineItem *self);
/* The message this one replies to: its sender's name and a one-line
 * preview; NULL when it is not a reply.  "Original message not loaded"
 * until that event is in the timeline. */
/* The id of the event this one replies to (valid), or NULL. */
const char       *duet_timeline_item_get_reply_event_id   (DuetTimelineItem *self);
const char       *duet_timeline_item_get_reply_sender_name (DuetTimelineItem *self);
const char       *duet_timeline_item_get_reply_body       (DuetTimelineItem *self);
/* (element-type DuetReaction) in first-seen order; never NULL. */
GPtrArray        *duet_timeline_item_get_reactions        (DuetTimelineItem *self);
/* IMAGE and FILE: the file's name (sanitized), size in bytes (-1 unknown)
 * and mxc:// URL (already validated; NULL when refused). */
const char       *duet_timeline_item_get_file_name        (DuetTimelineItem *self);
gint64            duet_timeline_item_get_file_size        (DuetTimelineItem *self);
const char       *duet_timeline_item_get_media_url        (DuetTimelineItem *self);
/* IMAGE: info.w / info.h when the sender gave them (0 unknown), and the
 * validated mxc:// URL of info.thumbnail_url or NULL. */
int               duet_timeline_item_get_media_width      (DuetTimelineItem *self);
int               duet_timeline_item_get_media_height     (DuetTimelineItem *self);
const char       *duet_timeline_item_get_thumbnail_url    (DuetTimelineItem *self);
/* A local echo: the outbox's message, else NULL. */
DuetOutgoing     *duet_timeline_item_get_outgoing         (DuetTimelineItem *self);
/* The outgoing's state for a local echo; SENT for every server event. */
DuetOutgoingState duet_timeline_item_get_send_state       (DuetTimelineItem *self);

#define DUET_TYPE_TIMELINE (duet_timeline_get_type ())
G_DECLARE_FINAL_TYPE (DuetTimeline, duet_timeline, DUET, TIMELINE, GObject)

/* Implements GListModel (items: DuetTimelineItem), at most 50,000 of
 * them: past that, live events push the oldest fifth out (at-start goes
 * back to FALSE, and paginating brings them again).  Properties: session,
 * room, loading (a load or pagination is running), at-start (the room's
 * creation is loaded: nothing older), typing (GStrv of the display names
 * of the others typing now, never NULL). */
DuetTimeline *duet_timeline_new            (DuetSession          *session,
                                            const char           *room_id);
DuetSession  *duet_timeline_get_session    (DuetTimeline         *self);
DuetRoom     *duet_timeline_get_room       (DuetTimeline         *self);
gboolean      duet_timeline_get_loading    (DuetTimeline         *self);
gboolean      duet_timeline_get_at_start   (DuetTimeline         *self);
GStrv         duet_timeline_dup_typing     (DuetTimeline         *self);

/* Shows the cached events (from the store) at once, then asks the server
 * for the newest page when the cache has none.  Live events arrive by
 * themselves from DuetSession::timeline-events.  Once is enough: a second
 * call returns at once (unless the first one failed). */
void          duet_timeline_load_async     (DuetTimeline         *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean      duet_timeline_load_finish    (DuetTimeline         *self,
                                            GAsyncResult         *result,
                                            GError              **error);
/* One page of older history (GET /messages backwards) at the top.  Returns
 * how many events came; 0 with at-start set when there is nothing older. */
void          duet_timeline_paginate_async (DuetTimeline         *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gssize        duet_timeline_paginate_finish (DuetTimeline        *self,
                                            GAsyncResult         *result,
                                            GError              **error);
/* Fills a GAP item from its side; the gap item leaves when the events
 * meet the ones above it (or stays, smaller, when a page was not enough). */
void          duet_timeline_fill_gap_async (DuetTimeline         *self,
                                            DuetTimelineItem     *gap,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean      duet_timeline_fill_gap_finish (DuetTimeline        *self,
                                            GAsyncResult         *result,
                                            GError              **error);

/* Through the session's outbox; "/me text" sends an emote.  The local
 * echo is in the list when this returns. */
DuetOutgoing *duet_timeline_send_text      (DuetTimeline         *self,
                                            const char           *text);
void          duet_timeline_retry          (DuetTimeline         *self,
                                            DuetTimelineItem     *item);
void          duet_timeline_delete         (DuetTimeline         *self,
                                            DuetTimelineItem     *item);
/* Typing notifications: TRUE while the user types (sent at most every few
 * seconds, with a timeout), FALSE when the composer empties or a message
 * is sent. */
void          duet_timeline_set_typing     (DuetTimeline         *self,
                                            gboolean              typing);
/* The user has seen the newest event: a read receipt and m.fully_read. */
void          duet_timeline_mark_read_async (DuetTimeline        *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean      duet_timeline_mark_read_finish (DuetTimeline       *self,
                                            GAsyncResult         *result,
                                            GError              **error);
/* Downloads an IMAGE or FILE item's media into @destination. */
void          duet_timeline_download_async (DuetTimeline         *self,
                                            DuetTimelineItem     *item,
                                            GFile                *destination,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean      duet_timeline_download_finish (DuetTimeline        *self,
                                            GAsyncResult         *result,
                                            GError              **error);

G_END_DECLS
