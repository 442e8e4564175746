/* duet-session.h: one signed-in account
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Owns the client, the store, the sync loop, the rooms, the m.direct mirror
 * and the contact list.  Every /sync response (and, at start, the store's
 * cached snapshot, shaped like one) goes through one ingest path.
 */
#pragma once

#include "duet-client.h"
#include "duet-direct-map.h"
#include "duet-outbox.h"
#include "duet-room.h"
#include "duet-store.h"

G_BEGIN_DECLS

typedef enum {
  DUET_SESSION_STATE_SIGNED_OUT,      /* not started, stopped, or the token is gone */
  DUET_SESSION_STATE_SYNCING,         /* started; the first sync of this run is on its way */
  DUET_SESSION_STATE_ONLINE,          /* the last sync succeeded */
  DUET_SESSION_STATE_OFFLINE,         /* the last sync failed; retry-in says when the next is */
  DUET_SESSION_STATE_SOFT_LOGGED_OUT, /* 401 soft_logout: sign in again, data kept */
} DuetSessionState;

#define DUET_TYPE_SESSION_STATE (duet_session_state_get_type ())
GType duet_session_state_get_type (void) G_GNUC_CONST;

typedef enum {
  DUET_INVITE_POLICY_ASK,     /* the UI asks "mark as direct?" */
  DUET_INVITE_POLICY_ALWAYS,  /* accepting an is_direct invite marks it; never auto-accepts */
  DUET_INVITE_POLICY_NEVER,   /* accepting never marks */
} DuetInvitePolicy;

#define DUET_TYPE_INVITE_POLICY (duet_invite_policy_get_type ())
GType duet_invite_policy_get_type (void) G_GNUC_CONST;

typedef enum {
  DUET_START_CHAT_REUSED,        /* an existing DM fits */
  DUET_START_CHAT_CREATED,       /* a new room was made (is_direct) and added to m.direct */
  DUET_START_CHAT_PARTNER_LEFT,  /* the only DM has the partner gone: the UI offers invite back / new chat */
} DuetStartChatOutcome;

#define DUET_TYPE_START_CHAT_OUTCOME (duet_start_chat_outcome_get_type ())
GType duet_start_chat_outcome_get_type (void) G_GNUC_CONST;

#define DUET_TYPE_SESSION (duet_session_get_type ())
G_DECLARE_FINAL_TYPE (DuetSession, duet_session, DUET, SESSION, GObject)

/* @client must be signed in.  Properties: client, state, retry-in (ms),
 * invite-policy (read-write). */
DuetSession      *duet_session_new                 (DuetClient       *client);
DuetClient       *duet_session_get_client          (DuetSession      *self);
DuetDirectMap    *duet_session_get_direct_map      (DuetSession      *self);
DuetSessionState  duet_session_get_state           (DuetSession      *self);
guint             duet_session_get_retry_in        (DuetSession      *self);
DuetInvitePolicy  duet_session_get_invite_policy   (DuetSession      *self);
void              duet_session_set_invite_policy   (DuetSession      *self,
                                                    DuetInvitePolicy  policy);

/* The local cache: set before start.  Every sync response is saved with
 * its token in one transaction; store-error says when that failed. */
void              duet_session_set_store           (DuetSession      *self,
                                                    DuetStore        *store);
DuetStore        *duet_session_get_store           (DuetSession      *self);
/* Shows what the store has (contacts before the first sync returns) and
 * makes the next sync resume from its token.  No store: nothing to do. */
void              duet_session_load_cache_async    (DuetSession      *self,
                                                    GCancellable     *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer          user_data);
gboolean          duet_session_load_cache_finish   (DuetSession      *self,
                                                    GAsyncResult     *result,
                                                    GError          **error);

/* Starts / stops the sync loop (its timings come from the client). */
void              duet_session_start               (DuetSession      *self);
void              duet_session_stop                (DuetSession      *self);
/* The sync loop the session runs (to set its timeout or filter in tests). */
gpointer          duet_session_get_sync_loop       (DuetSession      *self);

/* The one ingest path: a /sync response, or a snapshot shaped like one.
 * Emits DuetSession::synced (no arguments) once the model has taken it. */
void              duet_session_ingest              (DuetSession      *self,
                                                    JsonObject       *response);

DuetRoom         *duet_session_lookup_room         (DuetSession      *self,
                                                    const char       *room_id);
/* Every room the account has any membership in: a GListModel of DuetRoom. */
GListModel       *duet_session_get_rooms           (DuetSession      *self);
/* Pending invites, newest first: a GListModel of DuetRoom. */
GListModel       *duet_session_get_invites         (DuetSession      *self);
/* One DuetContact per person we have a DM with, newest activity first. */
GListModel       *duet_session_get_contacts        (DuetSession      *self);
/* Messages on their way (duet-outbox.h); it uses the session's store, so
 * set the store first.  load_cache restores the outbox before it reads the
 * cached snapshot, and every timeline event that echoes one of ours (live
 * or cached) takes it out before DuetSession::timeline-events is emitted. */
DuetOutbox       *duet_session_get_outbox          (DuetSession      *self);

/* --- Direct chats (duet-session-chats.c) ---------------------------------- */

/* The best existing DM with @user_id by the rules of matrix-dm.md (rule 3),
 * or NULL; *@partner_left is set when the only candidates have the partner
 * gone.  No I/O. */
DuetRoom         *duet_session_find_direct_room    (DuetSession      *self,
                                                    const char       *user_id,
                                                    gboolean         *partner_left);
void              duet_session_start_chat_async    (DuetSession      *self,
                                                    const char       *user_id,
                                                    GCancellable     *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer          user_data);
/* Returns the room id (the left room's for PARTNER_LEFT). */
char             *duet_session_start_chat_finish   (DuetSession      *self,
                                                    GAsyncResult     *result,
                                                    DuetStartChatOutcome *outcome,
                                                    GError          **error);

typedef enum {
  DUET_MARK_DIRECT_BY_POLICY,  /* ALWAYS marks an is_direct invite; ASK and NEVER don't */
  DUET_MARK_DIRECT_YES,
  DUET_MARK_DIRECT_NO,
} DuetMarkDirect;

void              duet_session_accept_invite_async (DuetSession      *self,
                                                    const char       *room_id,
                                                    DuetMarkDirect    mark,
                                                    GCancellable     *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer          user_data);
gboolean          duet_session_accept_invite_finish (DuetSession     *self,
                                                    GAsyncResult     *result,
                                                    GError          **error);
/* Declines; with @ignore_user also adds the inviter to m.ignored_user_list
 * (a read-modify-write like m.direct's). */
void              duet_session_decline_invite_async (DuetSession     *self,
                                                    const char       *room_id,
                                                    gboolean          ignore_user,
                                                    GCancellable     *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer          user_data);
gboolean          duet_session_decline_invite_finish (DuetSession    *self,
                                                    GAsyncResult     *result,
                                                    GError          **error);
void              duet_session_mark_direct_async   (DuetSession      *self,
                                                    const char       *room_id,
                                                    const char       *user_id,
                                                    GCancellable     *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer          user_data);
gboolean          duet_session_mark_direct_finish  (DuetSession      *self,
                                                    GAsyncResult     *result,
                                                    GError          **error);
void              duet_session_unmark_direct_async (DuetSession      *self,
                                                    const char       *room_id,
                                                    GCancellable     *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer          user_data);
gboolean          duet_session_unmark_direct_finish (DuetSession     *self,
                                                    GAsyncResult     *result,
                                                    GError          **error);
/* Sends a read receipt for the newest event and moves m.fully_read there. */
void              duet_session_mark_read_async     (DuetSession      *self,
                                                    const char       *room_id,
                                                    GCancellable     *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer          user_data);
gboolean          duet_session_mark_read_finish    (DuetSession      *self,
                                                    GAsyncResult     *result,
                                                    GError          **error);

G_END_DECLS
