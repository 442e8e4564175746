/* duet-outbox.h: messages on their way to the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every message gets its txnId and is written to the store before the first
 * try; retries and restarts reuse that txnId, so the server delivers it
 * exactly once.  Within a room messages go one at a time, in the order they
 * were queued: a later message never overtakes an earlier one.
 *
 * Passing failures (network, 5xx, 429, a hung request) keep a message
 * QUEUED and the outbox tries again with backoff for as long as it runs; a
 * refusal (4xx other than 429, e.g. M_FORBIDDEN, M_TOO_LARGE) makes it
 * FAILED, and the room's later messages wait behind it until the user
 * chooses Retry or Delete.  A message stays in the outbox (state SENT)
 * until its event comes back in /sync, so a chat shows it exactly once:
 * as a local echo first, then as the real event.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "duet-client.h"
#include "duet-store.h"

G_BEGIN_DECLS

typedef enum {
  DUET_OUTGOING_QUEUED,   /* stored; waiting for its turn or for the network */
  DUET_OUTGOING_SENDING,  /* a PUT is on its way */
  DUET_OUTGOING_SENT,     /* the server gave an event id; waiting for the sync echo */
  DUET_OUTGOING_FAILED,   /* refused: Retry or Delete */
} DuetOutgoingState;

#define DUET_TYPE_OUTGOING_STATE (duet_outgoing_state_get_type ())
GType duet_outgoing_state_get_type (void) G_GNUC_CONST;

#define DUET_TYPE_OUTGOING (duet_outgoing_get_type ())
G_DECLARE_FINAL_TYPE (DuetOutgoing, duet_outgoing, DUET, OUTGOING, GObject)

/* Properties (read-only, notified on change): room-id, txn-id, event-type,
 * state, error-message, event-id, created (ms since the epoch, local). */
const char        *duet_outgoing_get_room_id       (DuetOutgoing *self);
const char        *duet_outgoing_get_txn_id        (DuetOutgoing *self);
const char        *duet_outgoing_get_event_type    (DuetOutgoing *self);
/* The event content as queued (never changed afterwards). */
JsonObject        *duet_outgoing_get_content       (DuetOutgoing *self);
DuetOutgoingState  duet_outgoing_get_state         (DuetOutgoing *self);
/* Why the last try did not succeed (plain text for the UI), or NULL. */
const char        *duet_outgoing_get_error_message (DuetOutgoing *self);
/* Set once the server accepted it. */
const char        *duet_outgoing_get_event_id      (DuetOutgoing *self);
gint64             duet_outgoing_get_created       (DuetOutgoing *self);

#define DUET_TYPE_OUTBOX (duet_outbox_get_type ())
G_DECLARE_FINAL_TYPE (DuetOutbox, duet_outbox, DUET, OUTBOX, GObject)

/* @store may be NULL (nothing survives a restart then). */
DuetOutbox   *duet_outbox_new             (DuetClient          *client,
                                           DuetStore           *store);
/* Reads what an earlier run left in the store and starts sending what is
 * QUEUED (SENDING and SENT rows come back as QUEUED: a SENT one whose echo
 * never came is sent again with its txnId, which the server de-duplicates).
 * FAILED ones stay FAILED. */
void          duet_outbox_load_async      (DuetOutbox          *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean      duet_outbox_load_finish     (DuetOutbox          *self,
                                           GAsyncResult        *result,
                                           GError             **error);

/* Queues an event; it is written to the store before its first try.
 * Returns the new message (owned by the outbox; ref it to keep it). */
DuetOutgoing *duet_outbox_send            (DuetOutbox          *self,
                                           const char          *room_id,
                                           const char          *event_type,
                                           JsonObject          *content);
/* An m.room.message with msgtype m.text (or m.emote) and @body. */
DuetOutgoing *duet_outbox_send_text       (DuetOutbox          *self,
                                           const char          *room_id,
                                           const char          *body,
                                           gboolean             emote);
/* FAILED → QUEUED, and the room's queue moves again; a QUEUED head waiting
 * out its backoff goes now.  FALSE when nothing changed (sent, on its way,
 * waiting behind another message, or too long to send). */
gboolean      duet_outbox_retry           (DuetOutbox          *self,
                                           DuetOutgoing        *outgoing);
/* Drops a QUEUED or FAILED message (never one in flight or sent). */
gboolean      duet_outbox_delete          (DuetOutbox          *self,
                                           DuetOutgoing        *outgoing);

/* The messages of @room_id still in the outbox, oldest first: a GListModel
 * of DuetOutgoing that stays current (items leave when their echo comes).
 * Owned by the outbox (the same model for the room as long as it lives). */
GListModel   *duet_outbox_get_room_queue  (DuetOutbox          *self,
                                           const char          *room_id);
/* Whether the outbox holds a queue for @room_id (even an empty one), that
 * is whether an event of the room can be the echo of one of ours or a
 * limited timeline make it forget one: without, neither needs a look. */
gboolean      duet_outbox_has_room_queue  (DuetOutbox          *self,
                                           const char          *room_id);
/* Every message in the outbox, oldest first. */
GListModel   *duet_outbox_get_all         (DuetOutbox          *self);
/* Nothing QUEUED or SENDING (FAILED and SENT don't count). */
gboolean      duet_outbox_is_idle         (DuetOutbox          *self);
/* Nothing can move without the user: every message is SENT or FAILED or
 * waits behind a FAILED one, and no load is under way. */
gboolean      duet_outbox_is_settled      (DuetOutbox          *self);

/* A timeline event from /sync: when it is the echo of one of ours (its
 * unsigned.transaction_id, or the event id the server gave), that message
 * leaves the outbox and the store.  Returns the message it matched (a new
 * ref) or NULL. */
DuetOutgoing *duet_outbox_take_echo       (DuetOutbox          *self,
                                           const char          *room_id,
                                           JsonObject          *event);

/* For the session, which owns the sync: restored messages wait (before
 * load) until the first duet_outbox_note_synced(), so that an echo that
 * came while Duet was away is matched before anything goes again. */
void          duet_outbox_hold_restored   (DuetOutbox          *self);
/* A live sync response has been taken in (echoes matched). */
void          duet_outbox_note_synced     (DuetOutbox          *self);
/* A limited timeline came for @room_id: SENT messages accepted before that
 * sync's request are in the history it left out, so they leave (their
 * events are on the server; the chat shows them when it pages back). */
void          duet_outbox_forget_sent     (DuetOutbox          *self,
                                           const char          *room_id);

G_END_DECLS
