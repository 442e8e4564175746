/* duet-client.h: one account's connection to its homeserver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every call is async (GTask + GCancellable) and every failure a GError:
 * DUET_API_ERROR for Matrix and local errors, G_IO_ERROR for the network.
 * Paths are built here, with every identifier escaped; callers pass plain
 * Matrix IDs.  Replies come back as json-glib objects the caller owns.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "duet-api-error.h"

G_BEGIN_DECLS

#define DUET_TYPE_CLIENT (duet_client_get_type ())
G_DECLARE_FINAL_TYPE (DuetClient, duet_client, DUET, CLIENT, GObject)

/* How a request may be retried.  Network errors and 5xx are retried only for
 * requests that are safe to repeat; 429 is retried (after the server's delay)
 * for everything except DUET_REQUEST_NEVER_RETRY. */
typedef enum {
  DUET_REQUEST_NONE = 0,
  DUET_REQUEST_NO_AUTH = 1 << 0,     /* send no access token */
  DUET_REQUEST_IDEMPOTENT = 1 << 1,  /* safe to repeat after a network error or 5xx */
  DUET_REQUEST_NEVER_RETRY = 1 << 2, /* createRoom: no transaction id, never repeat */
} DuetRequestFlags;

/* Defaults, in milliseconds. */
#define DUET_CLIENT_DEFAULT_BACKOFF_INITIAL_MS 500
#define DUET_CLIENT_DEFAULT_BACKOFF_MAX_MS (60 * 1000)
#define DUET_CLIENT_DEFAULT_MAX_ATTEMPTS 8
#define DUET_CLIENT_DEFAULT_REQUEST_TIMEOUT_MS (60 * 1000)
#define DUET_CLIENT_MAX_RATE_LIMIT_WAIT_MS (5 * 60 * 1000)

DuetClient  *duet_client_new                    (const char           *homeserver_url);

const char  *duet_client_get_homeserver         (DuetClient           *self);
const char  *duet_client_get_user_id            (DuetClient           *self);
const char  *duet_client_get_device_id          (DuetClient           *self);
const char  *duet_client_get_access_token       (DuetClient           *self);
gboolean     duet_client_is_signed_in           (DuetClient           *self);
void         duet_client_set_session            (DuetClient           *self,
                                                 const char           *user_id,
                                                 const char           *device_id,
                                                 const char           *access_token);

void         duet_client_set_backoff            (DuetClient           *self,
                                                 guint                 initial_ms,
                                                 guint                 max_ms);
void         duet_client_get_backoff            (DuetClient           *self,
                                                 guint                *initial_ms,
                                                 guint                *max_ms);
void         duet_client_set_max_attempts       (DuetClient           *self,
                                                 guint                 max_attempts);
guint        duet_client_get_max_attempts       (DuetClient           *self);
void         duet_client_set_request_timeout    (DuetClient           *self,
                                                 guint                 timeout_ms);
guint        duet_client_get_request_timeout    (DuetClient           *self);
guint        duet_client_next_backoff_ms        (DuetClient           *self,
                                                 guint                 attempt);
void         duet_client_set_media_cache_dir    (DuetClient           *self,
                                                 const char           *path);
const char  *duet_client_get_media_cache_dir    (DuetClient           *self);
gboolean     duet_client_get_authenticated_media (DuetClient          *self);
char        *duet_client_new_txn_id             (DuetClient           *self) G_GNUC_WARN_UNUSED_RESULT;

/* The generic request: @path is relative to the homeserver and already
 * escaped (e.g. "/_matrix/client/v3/account/whoami"); @query may be NULL.
 * Resolves to the reply's JSON object. */
void         duet_client_request_async          (DuetClient           *self,
                                                 const char           *method,
                                                 const char           *path,
                                                 GHashTable           *query,
                                                 JsonNode             *body,
                                                 DuetRequestFlags      flags,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
JsonObject  *duet_client_request_finish         (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Discovery: @server is a server name ("example.org", "localhost:8008") or a
 * URL.  Plain http only for loopback hosts.  Resolves to the base URL of a
 * homeserver that speaks some v1.x of the client-server API. */
void         duet_client_discover_async         (const char           *server,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
char        *duet_client_discover_finish        (GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* GET /versions; fails with DUET_API_ERROR_UNSUPPORTED_SERVER when no v1.x. */
void         duet_client_get_versions_async     (DuetClient           *self,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
GStrv        duet_client_get_versions_finish    (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* m.login.password with an m.id.user identifier; on success the client is
 * signed in (user id, device id and token set).  @device_id may be NULL. */
void         duet_client_login_async            (DuetClient           *self,
                                                 const char           *user,
                                                 const char           *password,
                                                 const char           *device_id,
                                                 const char           *device_display_name,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean     duet_client_login_finish           (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
void         duet_client_whoami_async           (DuetClient           *self,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
char        *duet_client_whoami_finish          (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void         duet_client_logout_async           (DuetClient           *self,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean     duet_client_logout_finish          (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/* One /sync request.  @since and @filter_json may be NULL. */
void         duet_client_sync_async             (DuetClient           *self,
                                                 const char           *since,
                                                 const char           *filter_json,
                                                 guint                 timeout_ms,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
JsonObject  *duet_client_sync_finish            (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Rooms.  create_room is never retried: it has no transaction id. */
void         duet_client_create_room_async      (DuetClient           *self,
                                                 const char           *preset,
                                                 const char * const   *invite,
                                                 gboolean              is_direct,
                                                 const char           *name,
                                                 JsonArray            *initial_state,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
char        *duet_client_create_room_finish     (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void         duet_client_invite_async           (DuetClient           *self,
                                                 const char           *room_id,
                                                 const char           *user_id,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean     duet_client_invite_finish          (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
void         duet_client_join_async             (DuetClient           *self,
                                                 const char           *room_id_or_alias,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
char        *duet_client_join_finish            (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void         duet_client_leave_async            (DuetClient           *self,
                                                 const char           *room_id,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean     duet_client_leave_finish           (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
void         duet_client_forget_async           (DuetClient           *self,
                                                 const char           *room_id,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean     duet_client_forget_finish          (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
/* GET /members; @membership ("join", "invite", ...) may be NULL.  Resolves
 * to the "chunk" array of member events. */
void         duet_client_get_members_async      (DuetClient           *self,
                                                 const char           *room_id,
                                                 const char           *membership,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
JsonArray   *duet_client_get_members_finish     (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;
/* GET /messages backwards from @from (NULL: the end).  Resolves to the whole
 * reply (chunk, start, end, state), with "chunk" checked to be an array. */
void         duet_client_get_messages_async     (DuetClient           *self,
                                                 const char           *room_id,
                                                 const char           *from,
                                                 guint                 limit,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
JsonObject  *duet_client_get_messages_finish    (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void         duet_client_get_state_event_async  (DuetClient           *self,
                                                 const char           *room_id,
                                                 const char           *event_type,
                                                 const char           *state_key,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
JsonObject  *duet_client_get_state_event_finish (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void         duet_client_send_state_event_async (DuetClient           *self,
                                                 const char           *room_id,
                                                 const char           *event_type,
                                                 const char           *state_key,
                                                 JsonObject           *content,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
char        *duet_client_send_state_event_finish (DuetClient          *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;
/* PUT send/{type}/{txnId}: the caller chooses @txn_id once and reuses it. */
void         duet_client_send_event_async       (DuetClient           *self,
                                                 const char           *room_id,
                                                 const char           *event_type,
                                                 const char           *txn_id,
                                                 JsonObject           *content,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
char        *duet_client_send_event_finish      (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Global account data.  A missing type fails with DUET_API_ERROR_NOT_FOUND.
 * The read is meant for read-modify-write: content holding a number that
 * json-glib cannot write back unchanged fails with DUET_API_ERROR_UNSAFE_CONTENT. */
void         duet_client_get_account_data_async (DuetClient           *self,
                                                 const char           *event_type,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
JsonObject  *duet_client_get_account_data_finish (DuetClient          *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;
/* Sent once, never repeated (see DuetDirectMap for why and what instead). */
void         duet_client_put_account_data_async (DuetClient           *self,
                                                 const char           *event_type,
                                                 JsonObject           *content,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean     duet_client_put_account_data_finish (DuetClient          *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/* Profiles and the user directory. */
void         duet_client_get_profile_async      (DuetClient           *self,
                                                 const char           *user_id,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
JsonObject  *duet_client_get_profile_finish     (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void         duet_client_set_display_name_async (DuetClient           *self,
                                                 const char           *display_name,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean     duet_client_set_display_name_finish (DuetClient          *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
void         duet_client_set_avatar_url_async   (DuetClient           *self,
                                                 const char           *mxc_uri,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean     duet_client_set_avatar_url_finish  (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
/* Resolves to the reply: "results" (checked to be an array) and "limited". */
void         duet_client_search_users_async     (DuetClient           *self,
                                                 const char           *search_term,
                                                 guint                 limit,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
JsonObject  *duet_client_search_users_finish    (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Read state and typing. */
void         duet_client_send_receipt_async     (DuetClient           *self,
                                                 const char           *room_id,
                                                 const char           *receipt_type,
                                                 const char           *event_id,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean     duet_client_send_receipt_finish    (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
/* POST read_markers; either event id may be NULL. */
void         duet_client_set_read_markers_async (DuetClient           *self,
                                                 const char           *room_id,
                                                 const char           *fully_read_event_id,
                                                 const char           *read_event_id,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean     duet_client_set_read_markers_finish (DuetClient          *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
void         duet_client_send_typing_async      (DuetClient           *self,
                                                 const char           *room_id,
                                                 gboolean              typing,
                                                 guint                 timeout_ms,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean     duet_client_send_typing_finish     (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/* Media: validates @mxc_uri, downloads it (authenticated v1 media when the
 * server supports it, else the legacy path) into the media cache, and
 * resolves to the cached file.  A cached file is returned without I/O. */
void         duet_client_download_media_async   (DuetClient           *self,
                                                 const char           *mxc_uri,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
GFile       *duet_client_download_media_finish  (DuetClient           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
