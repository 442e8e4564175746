/* duet-test-homeserver-private.h: state shared by the homeserver's files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The homeserver is split by responsibility:
 *   duet-test-homeserver.c           object, public API, request entry, faults
 *   duet-test-homeserver-rooms.c     users, rooms, events, membership, account data
 *   duet-test-homeserver-sync.c      /sync responses and long-poll waiters
 *   duet-test-homeserver-handlers.c  HTTP routing, login, room endpoints
 *   duet-test-homeserver-handlers-user.c  account data, profiles, directory, media
 *   duet-test-homeserver-demo.c      demo seeding and the echo bot
 */
#pragma once

#include <libsoup/soup.h>

#include "duet-test-homeserver.h"

G_BEGIN_DECLS

#define HS_SERVER_NAME "localhost"
#define HS_DEFAULT_ROOM_VERSION "10"

/* Errors of the core operations; each maps to a Matrix errcode and a status. */
#define HS_ERROR (hs_error_quark ())
typedef enum {
  HS_ERROR_FORBIDDEN,       /* 403 M_FORBIDDEN */
  HS_ERROR_NOT_FOUND,       /* 404 M_NOT_FOUND */
  HS_ERROR_BAD_JSON,        /* 400 M_BAD_JSON */
  HS_ERROR_NOT_JSON,        /* 400 M_NOT_JSON */
  HS_ERROR_INVALID_PARAM,   /* 400 M_INVALID_PARAM */
  HS_ERROR_MISSING_PARAM,   /* 400 M_MISSING_PARAM */
  HS_ERROR_ROOM_IN_USE,     /* 400 M_ROOM_IN_USE */
  HS_ERROR_UNSUPPORTED_ROOM_VERSION, /* 400 M_UNSUPPORTED_ROOM_VERSION */
} HsErrorCode;
GQuark hs_error_quark (void);

/* One event of a room timeline.  The JSON is what every client sees; the
 * transaction id is only shown to the device that sent it. */
typedef struct {
  JsonObject *json;
  guint64     pos;        /* position in the global stream */
  guint       index;      /* index in its room's events array */
  char       *txn_owner;  /* "user\x1fdevice" of the sender's device, or NULL */
  char       *txn_id;
} HsEvent;

typedef struct {
  JsonObject *content;    /* NULL once deleted */
  guint64     pos;
} HsAccountData;

typedef struct {
  char       *user_id;
  char       *password;
  char       *displayname;
  char       *avatar_url;
  GHashTable *account_data;       /* type → HsAccountData */
  GHashTable *room_account_data;  /* room id → (type → HsAccountData) */
} HsUser;

typedef struct {
  char     *token;
  char     *user_id;
  char     *device_id;
  gboolean  valid;
  gboolean  soft_logout;
} HsToken;

typedef struct {
  char    *event_id;
  gint64   ts;
  guint64  event_pos;
} HsReceipt;

typedef struct {
  DuetTestHomeserver *server;
  char               *room_id;
  guint64             created_seq;
  GPtrArray          *events;     /* HsEvent, in stream order (owned) */
  GHashTable         *event_ids;  /* event id → HsEvent (borrowed) */
  GHashTable         *state;      /* "type\x1fstate_key" → HsEvent (borrowed) */
  GHashTable         *join_event; /* user → HsEvent that made them join (borrowed) */
  GHashTable         *receipts;   /* "type\x1fuser" → HsReceipt */
  guint64             receipts_pos;
  GHashTable         *typing;     /* user → HsTyping */
  guint64             typing_pos;
  GHashTable         *forgotten;  /* set of users who forgot the room */
} HsRoom;

typedef struct {
  HsRoom *room;
  char   *user_id;
  guint   timeout_id;
} HsTyping;

typedef struct {
  GBytes *data;
  char   *content_type;
  char   *filename;
} HsMedia;

typedef struct {
  char          *method;       /* NULL: any */
  char          *path_prefix;
  guint          remaining;
  DuetFaultKind  kind;
  guint          status;
  guint          delay_ms;
  char          *body;         /* NUL-terminated; may hold NUL bytes too */
  gsize          body_length;
  guint          skip;         /* matching requests to let through first */
} HsFault;

/* One HTTP request, alive from the handler call to the answer; it outlives
 * the handler when the message is paused (long-poll, HANG, DROP). */
typedef struct {
  DuetTestHomeserver *self;
  SoupServerMessage  *msg;
  char               *method;
  char               *path;       /* percent-decoded, no query */
  char              **segs;       /* decoded path segments, without the leading "" */
  guint               n_segs;
  GHashTable         *query;      /* decoded query parameters, or NULL */
  HsToken            *token;      /* borrowed, set by the router for authenticated routes */
  JsonNode           *body;       /* parsed request body, or NULL */
  gboolean            paused;
  gboolean            parked;     /* kept alive after the handler returned */
  gboolean            drop_after; /* DROP_AFTER fault: close instead of answering */
  guint               trickle_ms; /* TRICKLE fault: the time between two pieces of the body */
  GBytes             *trickle_body;
  gsize               trickle_sent;
  guint               timeout_id;
  gulong              finished_id;
  /* /sync long-poll parameters */
  guint64             since;
  guint               timeline_limit;
  gboolean            waiting_sync;
} HsRequest;

typedef struct {
  DuetTestHomeserver *self;
  guint               timeout_id;
  char               *room_id;
  char               *user_id;
  char               *body;       /* NULL: join the room instead of answering */
} HsBotTask;

struct _DuetTestHomeserver {
  GObject parent_instance;

  /* Owned references */
  SoupServer *soup;
  char       *url;
  guint       port;

  guint64     stream_pos;         /* last position handed out */
  guint64     id_counter;
  guint64     room_seq;

  GHashTable *users;              /* user id → HsUser */
  GHashTable *tokens;             /* access token → HsToken */
  GHashTable *rooms;              /* room id → HsRoom */
  GHashTable *aliases;            /* "#alias:localhost" → room id */
  GHashTable *media;              /* media id → HsMedia */
  GHashTable *txns;               /* "owner\x1fpath" → event id */
  GHashTable *filters;            /* filter id → JSON string */
  GHashTable *counts;             /* "METHOD /path" → count */
  GHashTable *bots;               /* set of bot user ids */
  GHashTable *raw_strings;        /* placeholder → JSON string text served for it */

  GQueue      faults;             /* HsFault */
  guint       faults_applied;     /* requests a fault answered or dropped */
  GList      *pending;            /* HsRequest that are paused */
  GList      *bot_tasks;          /* HsBotTask */
  guint       wake_id;            /* idle that re-checks sync waiters */

  gboolean    authenticated_media;
  gboolean    keep_alive;
  gint64      clock_offset_ms;    /* added to origin_server_ts of new events */
  char      **versions;
  char       *well_known;
};

/* duet-test-homeserver.c */
void        hs_request_respond_raw    (HsRequest   *req,
                                       guint        status,
                                       const char  *content_type,
                                       gconstpointer data,
                                       gsize        size);
void        hs_request_respond_json   (HsRequest   *req,
                                       guint        status,
                                       JsonObject  *object);
void        hs_request_respond_error  (HsRequest   *req,
                                       guint        status,
                                       const char  *errcode,
                                       const char  *format,
                                       ...) G_GNUC_PRINTF (4, 5);
void        hs_request_respond_gerror (HsRequest   *req,
                                       const GError *error);
void        hs_request_park           (HsRequest   *req);
void        hs_request_complete       (HsRequest   *req);
char       *hs_random_string          (guint        length);
/* @node as JSON text, with each raw string's placeholder (see
 * duet_test_homeserver_send_message_raw_body()) replaced by its text. */
GBytes     *hs_json_text              (DuetTestHomeserver *self,
                                       JsonNode    *node);
JsonObject *hs_json_object_copy       (JsonObject  *object);
gboolean    hs_is_user_id             (const char  *user_id);
JsonObject *hs_json_get_object        (JsonObject  *object,
                                       const char  *name);
JsonArray  *hs_json_get_array         (JsonObject  *object,
                                       const char  *name);
const char *hs_json_get_string        (JsonObject  *object,
                                       const char  *name);
gint64      hs_json_get_int           (JsonObject  *object,
                                       const char  *name,
                                       gint64       default_value);
gboolean    hs_json_get_bool          (JsonObject  *object,
                                       const char  *name,
                                       gboolean     default_value);

/* duet-test-homeserver-rooms.c */
void        hs_user_free              (gpointer     data);
void        hs_token_free             (gpointer     data);
void        hs_room_free              (gpointer     data);
void        hs_media_free             (gpointer     data);
HsUser     *hs_add_user               (DuetTestHomeserver *self,
                                       const char  *localpart,
                                       const char  *password,
                                       const char  *display_name);
HsToken    *hs_new_token              (DuetTestHomeserver *self,
                                       const char  *user_id,
                                       const char  *device_id);
HsRoom     *hs_lookup_room            (DuetTestHomeserver *self,
                                       const char  *room_id_or_alias);
const char *hs_room_membership        (HsRoom      *room,
                                       const char  *user_id);
HsEvent    *hs_room_state_event       (HsRoom      *room,
                                       const char  *type,
                                       const char  *state_key);
guint       hs_room_first_after       (HsRoom      *room,
                                       guint64      pos);
HsRoom     *hs_create_room            (DuetTestHomeserver *self,
                                       const char  *creator,
                                       JsonObject  *request,
                                       GError     **error);
gboolean    hs_invite                 (DuetTestHomeserver *self,
                                       HsRoom      *room,
                                       const char  *sender,
                                       const char  *target,
                                       gboolean     is_direct,
                                       const char  *reason,
                                       GError     **error);
gboolean    hs_join                   (DuetTestHomeserver *self,
                                       HsRoom      *room,
                                       const char  *user_id,
                                       GError     **error);
gboolean    hs_leave                  (DuetTestHomeserver *self,
                                       HsRoom      *room,
                                       const char  *user_id,
                                       GError     **error);
gboolean    hs_forget                 (DuetTestHomeserver *self,
                                       HsRoom      *room,
                                       const char  *user_id,
                                       GError     **error);
HsEvent    *hs_send                   (DuetTestHomeserver *self,
                                       HsRoom      *room,
                                       const char  *sender,
                                       const char  *type,
                                       const char  *state_key,
                                       JsonObject  *content,
                                       const char  *txn_owner,
                                       const char  *txn_id,
                                       GError     **error);
/* Sends an m.room.redaction of @target_id and strips the target as the
 * spec's redaction algorithm does (content emptied, unsigned.redacted_because). */
HsEvent    *hs_redact                 (DuetTestHomeserver *self,
                                       HsRoom      *room,
                                       const char  *sender,
                                       const char  *target_id,
                                       const char  *reason,
                                       const char  *txn_owner,
                                       const char  *txn_id,
                                       GError     **error);
HsRoom     *hs_upgrade_room           (DuetTestHomeserver *self,
                                       HsRoom      *old_room,
                                       const char  *sender,
                                       const char  *new_version,
                                       GError     **error);
void        hs_set_account_data       (DuetTestHomeserver *self,
                                       HsUser      *user,
                                       const char  *room_id,
                                       const char  *type,
                                       JsonObject  *content);
HsAccountData *hs_get_account_data    (HsUser      *user,
                                       const char  *room_id,
                                       const char  *type);
gboolean    hs_set_receipt            (DuetTestHomeserver *self,
                                       HsRoom      *room,
                                       const char  *user_id,
                                       const char  *receipt_type,
                                       const char  *event_id,
                                       GError     **error);
void        hs_set_typing             (DuetTestHomeserver *self,
                                       HsRoom      *room,
                                       const char  *user_id,
                                       gboolean     typing,
                                       guint        timeout_ms);
void        hs_set_profile            (DuetTestHomeserver *self,
                                       HsUser      *user,
                                       const char  *field,
                                       const char  *value);
guint       hs_room_unread_count      (HsRoom      *room,
                                       const char  *user_id);
JsonObject *hs_event_for_client       (HsEvent     *event,
                                       HsToken     *viewer);
void        hs_stream_changed         (DuetTestHomeserver *self);

/* duet-test-homeserver-sync.c */
void        hs_handle_sync            (HsRequest   *req);
void        hs_wake_sync_waiters      (DuetTestHomeserver *self);

/* duet-test-homeserver-handlers.c */
void        hs_dispatch               (HsRequest   *req);

/* Client API paths: segs[0..2] = "_matrix", "client", "v3". */
#define ARG(req, i) ((req)->segs[3 + (i)])

JsonObject *hs_req_body               (HsRequest   *req);
const char *hs_body_string            (HsRequest   *req,
                                       const char  *name);
const char *hs_query_param            (HsRequest   *req,
                                       const char  *name);
void        hs_respond_empty          (HsRequest   *req);
void        hs_respond_string         (HsRequest   *req,
                                       const char  *key,
                                       const char  *value);
HsRoom     *hs_req_room               (HsRequest   *req,
                                       const char  *room_id);
gboolean    hs_req_is_own_user        (HsRequest   *req,
                                       const char  *user_id);

/* duet-test-homeserver-handlers-user.c */
void        hs_handle_account_data    (HsRequest   *req);
void        hs_handle_room_account_data (HsRequest   *req);
void        hs_handle_post_filter     (HsRequest   *req);
void        hs_handle_get_filter      (HsRequest   *req);
void        hs_handle_get_profile     (HsRequest   *req);
void        hs_handle_get_profile_field (HsRequest   *req);
void        hs_handle_put_profile_field (HsRequest   *req);
void        hs_handle_user_directory  (HsRequest   *req);
void        hs_handle_media_v1        (HsRequest   *req);
void        hs_handle_media_legacy    (HsRequest   *req);
void        hs_handle_media_config    (HsRequest   *req);
void        hs_handle_upload          (HsRequest   *req);

/* duet-test-homeserver-demo.c */
void        hs_bot_on_event           (DuetTestHomeserver *self,
                                       HsRoom      *room,
                                       HsEvent     *event);
void        hs_bot_task_free          (gpointer     data);

G_END_DECLS
