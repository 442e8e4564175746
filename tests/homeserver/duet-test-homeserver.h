/* duet-test-homeserver.h: Duet's own stateful homeserver for tests and the demo
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An in-process SoupServer on loopback that follows the client-server spec
 * closely enough for Duet's tests: users, rooms and their state, membership,
 * account data, /sync with real since tokens and long-poll, /messages, the
 * user directory, profiles, txnId de-duplication, receipts and media.  Tests
 * act as other users and other devices through the C API below and inject
 * faults into the next requests to a path.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define DUET_TYPE_TEST_HOMESERVER (duet_test_homeserver_get_type ())
G_DECLARE_FINAL_TYPE (DuetTestHomeserver, duet_test_homeserver, DUET, TEST_HOMESERVER, GObject)

typedef enum {
  DUET_FAULT_STATUS,       /* answer `status` with `body` (or a Matrix error body when NULL) */
  DUET_FAULT_RATE_LIMIT,   /* 429 M_LIMIT_EXCEEDED, retry_after_ms = `delay_ms` in the body */
  DUET_FAULT_RETRY_AFTER,  /* 429 with a Retry-After header of `delay_ms`/1000 seconds, no body hint */
  DUET_FAULT_DROP,         /* close the connection without an answer */
  DUET_FAULT_DROP_AFTER,   /* handle the request for real, then close without answering */
  DUET_FAULT_HANG,         /* wait `delay_ms`, then handle the request normally */
  DUET_FAULT_BODY,         /* answer `status` with exactly `body` (Content-Type application/json) */
  DUET_FAULT_TRICKLE,      /* handle the request; its answer's body goes in 8 pieces, the first at once, then `delay_ms` apart */
} DuetFaultKind;

/* Server name "localhost"; listens on 127.0.0.1, port 0 = any free port. */
DuetTestHomeserver *duet_test_homeserver_new            (guint                port,
                                                         GError             **error);
const char         *duet_test_homeserver_get_url        (DuetTestHomeserver  *self);  /* "http://127.0.0.1:PORT" */
guint               duet_test_homeserver_get_port       (DuetTestHomeserver  *self);
const char         *duet_test_homeserver_get_server_name (DuetTestHomeserver *self);  /* "localhost" */

/* Users.  Returns the full user id "@localpart:localhost". */
char               *duet_test_homeserver_add_user       (DuetTestHomeserver  *self,
                                                         const char          *localpart,
                                                         const char          *password,
                                                         const char          *display_name);
/* A ready access token for @user_id (as if that user logged in elsewhere). */
char               *duet_test_homeserver_login_token    (DuetTestHomeserver  *self,
                                                         const char          *user_id,
                                                         const char          *device_id);
/* Invalidate every token of @user_id; soft = answer 401 with soft_logout: true. */
void                duet_test_homeserver_expire_tokens  (DuetTestHomeserver  *self,
                                                         const char          *user_id,
                                                         gboolean             soft);

/* Acting as a user.  All return new strings (room / event ids). */
char               *duet_test_homeserver_create_room    (DuetTestHomeserver  *self,
                                                         const char          *creator,
                                                         const char          *preset,
                                                         const char * const  *invite,
                                                         gboolean             is_direct);
void                duet_test_homeserver_invite         (DuetTestHomeserver  *self,
                                                         const char          *room_id,
                                                         const char          *sender,
                                                         const char          *user_id,
                                                         gboolean             is_direct);
void                duet_test_homeserver_join           (DuetTestHomeserver  *self,
                                                         const char          *room_id,
                                                         const char          *user_id);
void                duet_test_homeserver_leave          (DuetTestHomeserver  *self,
                                                         const char          *room_id,
                                                         const char          *user_id);
char               *duet_test_homeserver_send_message   (DuetTestHomeserver  *self,
                                                         const char          *room_id,
                                                         const char          *sender,
                                                         const char          *body);
/* As send_message, but every reply that carries the event (/sync,
 * /messages, /context, ...) has @body_json as the body, the text of a JSON
 * string exactly as given, quotes included (e.g. "\"a \\ud800\""): for
 * text json-glib cannot hold, such as the escape of a lone UTF-16
 * surrogate or bytes that are not UTF-8 (served as they are), which some
 * servers send.  The _len form takes @length bytes, NUL bytes too. */
char               *duet_test_homeserver_send_message_raw_body (DuetTestHomeserver *self,
                                                         const char          *room_id,
                                                         const char          *sender,
                                                         const char          *body_json);
char               *duet_test_homeserver_send_message_raw_body_len (DuetTestHomeserver *self,
                                                         const char          *room_id,
                                                         const char          *sender,
                                                         const char          *body_json,
                                                         gsize                length);
char               *duet_test_homeserver_send_event     (DuetTestHomeserver  *self,
                                                         const char          *room_id,
                                                         const char          *sender,
                                                         const char          *event_type,
                                                         const char          *state_key, /* NULL: not state */
                                                         JsonObject          *content);
/* Relations as @sender: an m.replace edit of @target_id with a new plain
 * body, a reply (with the fallback quote real clients send, in body and
 * formatted_body), an m.annotation reaction.  Return the new event ids. */
char               *duet_test_homeserver_send_edit      (DuetTestHomeserver  *self,
                                                         const char          *room_id,
                                                         const char          *sender,
                                                         const char          *target_id,
                                                         const char          *new_body);
char               *duet_test_homeserver_send_reply     (DuetTestHomeserver  *self,
                                                         const char          *room_id,
                                                         const char          *sender,
                                                         const char          *target_id,
                                                         const char          *body);
char               *duet_test_homeserver_send_reaction  (DuetTestHomeserver  *self,
                                                         const char          *room_id,
                                                         const char          *sender,
                                                         const char          *target_id,
                                                         const char          *key);
/* Redacts @event_id as @sender (PUT /redact does the same for clients):
 * the stored event loses its content and carries unsigned.redacted_because.
 * Returns the redaction's event id. */
char               *duet_test_homeserver_redact         (DuetTestHomeserver  *self,
                                                         const char          *room_id,
                                                         const char          *sender,
                                                         const char          *event_id);
/* As @user_id on another device: typing on or off (it ends by itself after
 * @timeout_ms), a receipt ("m.read", "m.read.private", "m.fully_read"). */
void                duet_test_homeserver_set_typing     (DuetTestHomeserver  *self,
                                                         const char          *room_id,
                                                         const char          *user_id,
                                                         gboolean             typing,
                                                         guint                timeout_ms);
void                duet_test_homeserver_set_receipt    (DuetTestHomeserver  *self,
                                                         const char          *room_id,
                                                         const char          *user_id,
                                                         const char          *receipt_type,
                                                         const char          *event_id);
/* The unread_notifications.notification_count /sync gives @user_id. */
guint               duet_test_homeserver_get_unread_count (DuetTestHomeserver *self,
                                                         const char          *room_id,
                                                         const char          *user_id);
/* Shifts origin_server_ts of events made from now on by @offset_ms (to
 * make history of other days). */
void                duet_test_homeserver_set_clock_offset (DuetTestHomeserver *self,
                                                         gint64              offset_ms);

/* Tombstone @old_room (sent by @sender) pointing at a new room it creates and
 * returns; the new room has the old one as predecessor. */
char               *duet_test_homeserver_upgrade_room   (DuetTestHomeserver  *self,
                                                         const char          *old_room_id,
                                                         const char          *sender);

/* Account data as "another device" of @user_id: content replaces the old one,
 * and the change reaches /sync.  @content NULL deletes the type (404 again). */
void                duet_test_homeserver_set_account_data (DuetTestHomeserver *self,
                                                         const char          *user_id,
                                                         const char          *event_type,
                                                         JsonObject          *content);
/* A copy of the stored content, or NULL when unset. */
JsonObject         *duet_test_homeserver_get_account_data (DuetTestHomeserver *self,
                                                         const char          *user_id,
                                                         const char          *event_type);

/* Inspecting the state. */
const char         *duet_test_homeserver_get_membership (DuetTestHomeserver  *self,
                                                         const char          *room_id,
                                                         const char          *user_id);  /* NULL: none */
/* The room's state event content, or NULL. */
JsonObject         *duet_test_homeserver_get_state      (DuetTestHomeserver  *self,
                                                         const char          *room_id,
                                                         const char          *event_type,
                                                         const char          *state_key);
/* Room ids of every room @user_id has any membership in, newest first. */
GPtrArray          *duet_test_homeserver_list_rooms     (DuetTestHomeserver  *self,
                                                         const char          *user_id);
guint               duet_test_homeserver_count_rooms    (DuetTestHomeserver  *self);
/* Timeline events of a room, oldest first (a new ref'd array of event objects). */
JsonArray          *duet_test_homeserver_get_timeline   (DuetTestHomeserver  *self,
                                                         const char          *room_id);
/* The event id of @user_id's latest receipt of @receipt_type, or NULL. */
const char         *duet_test_homeserver_get_receipt    (DuetTestHomeserver  *self,
                                                         const char          *room_id,
                                                         const char          *user_id,
                                                         const char          *receipt_type);
gboolean            duet_test_homeserver_get_typing     (DuetTestHomeserver  *self,
                                                         const char          *room_id,
                                                         const char          *user_id);
/* Store media; returns "mxc://localhost/<id>". */
char               *duet_test_homeserver_add_media      (DuetTestHomeserver  *self,
                                                         GBytes              *data,
                                                         const char          *content_type);
/* Whether the server advertises v1.11 (authenticated media); default TRUE.
 * When FALSE, /versions lists up to v1.10 and the v1 media endpoints 404. */
void                duet_test_homeserver_set_authenticated_media (DuetTestHomeserver *self,
                                                         gboolean             enabled);
/* Replace the /versions list (NULL: the default, r0.6.1 and v1.1 .. v1.11). */
void                duet_test_homeserver_set_versions   (DuetTestHomeserver  *self,
                                                         const char * const  *versions);
/* Serve /.well-known/matrix/client: NULL = 404, else this body verbatim. */
void                duet_test_homeserver_set_well_known (DuetTestHomeserver  *self,
                                                         const char          *body);

/* Requests seen per path ("POST /_matrix/client/v3/createRoom"), counting
 * those answered by a fault too.  Method + space + path without query.
 * Paths compare percent-decoded; a NULL @method counts every method. */
guint               duet_test_homeserver_count_requests (DuetTestHomeserver  *self,
                                                         const char          *method,
                                                         const char          *path);
void                duet_test_homeserver_reset_counts   (DuetTestHomeserver  *self);

/* Faults: the next @count requests whose path starts with @path_prefix
 * (any method when @method is NULL) get @kind.  Faults queue in order. */
void                duet_test_homeserver_add_fault      (DuetTestHomeserver  *self,
                                                         const char          *method,
                                                         const char          *path_prefix,
                                                         guint                count,
                                                         DuetFaultKind        kind,
                                                         guint                status,
                                                         guint                delay_ms,
                                                         const char          *body);
/* The same with a body of @length bytes, which may hold NUL bytes. */
void                duet_test_homeserver_add_fault_len  (DuetTestHomeserver  *self,
                                                         const char          *method,
                                                         const char          *path_prefix,
                                                         guint                count,
                                                         DuetFaultKind        kind,
                                                         guint                status,
                                                         guint                delay_ms,
                                                         const char          *body,
                                                         gsize                length);
/* One fault for the request after the next @skip matching ones (every
 * matching request counts, whether another fault took it or not). */
void                duet_test_homeserver_add_fault_after (DuetTestHomeserver *self,
                                                         const char          *method,
                                                         const char          *path_prefix,
                                                         guint                skip,
                                                         DuetFaultKind        kind,
                                                         guint                status,
                                                         guint                delay_ms,
                                                         const char          *body);
/* Requests a fault has answered, dropped or held so far. */
guint               duet_test_homeserver_count_faults   (DuetTestHomeserver  *self);
void                duet_test_homeserver_clear_faults   (DuetTestHomeserver  *self);
/* Keep connections alive between requests (default FALSE: every answer says
 * "Connection: close").  libsoup silently resends an idempotent request
 * (GET, PUT) whose kept-alive connection closed before any answer, which
 * would hide DROP faults from the client; with fresh connections it cannot. */
void                duet_test_homeserver_set_keep_alive (DuetTestHomeserver  *self,
                                                         gboolean             keep_alive);

/* Demo seeding: people, direct chats, an is_direct invite for @demo, and a
 * bot ("@echo:localhost") that answers messages in rooms it is in. */
void                duet_test_homeserver_seed_demo      (DuetTestHomeserver  *self);
void                duet_test_homeserver_enable_echo_bot (DuetTestHomeserver *self,
                                                         const char          *bot_user_id);

G_END_DECLS
