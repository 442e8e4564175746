/* duet-session.c: one signed-in account
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The session runs the sync loop, turns its state into the account's
 * (online, offline with a retry time, signed out), and feeds every
 * response through duet_session_ingest(), the one path by which rooms,
 * invites, m.direct and the contact list change.  Direct-chat operations
 * live in duet-session-chats.c.
 */
#include "config.h"

#include <string.h>

#include "duet-contact-list.h"
#include "duet-json.h"
#include "duet-json-raw.h"
#include "duet-json-stream.h"
#include "duet-matrix-id.h"
#include "duet-room-private.h"
#include "duet-session-private.h"
#include "duet-sync-loop.h"

/* A response naming more rooms than this is hostile; the rest wait.  Heavy
 * accounts have ten thousand rooms, and a streamed response costs memory
 * per room, not per response. */
#define MAX_ROOMS_PER_SECTION 20000
/* Up to this many rooms in a streamed response, the contact list follows
 * each room as it is taken in; beyond, it catches up once at the end. */
#define STREAM_CONTACTS_EACH_ROOM 32

struct _DuetSession
{
  GObject           parent_instance;

  /* Owned references */
  DuetClient       *client;
  DuetSyncLoop     *sync_loop;
  DuetDirectMap    *direct_map;
  GHashTable       *rooms_by_id;   /* room id → DuetRoom */
  GListStore       *rooms;         /* DuetRoom, in the order first seen */
  GListStore       *invites;       /* DuetRoom we are invited to, newest first */
  GHashTable       *invites_listed; /* the rooms in `invites` (borrowed) */
  /* Rooms whose own invite said is_direct, by inviter (rule 3 looks them
   * up per person: no scan of every room). */
  GHashTable       *direct_invites;    /* inviter id → GPtrArray of DuetRoom (borrowed) */
  GHashTable       *direct_invite_of;  /* DuetRoom → the inviter id it is listed under */
  DuetContactList  *contacts;
  DuetSessionChats *chats;
  DuetStore        *store;         /* NULL: nothing is cached */
  DuetOutbox       *outbox;        /* made on first use, with the store */

  DuetSessionState  state;
  guint             retry_in_ms;
  DuetInvitePolicy  invite_policy;
  /* m.direct changes while a response is taken in wait for its end. */
  gboolean          ingesting;
  /* The response being taken in came from the server (not the cache). */
  gboolean          ingest_live;

  /* A streamed /sync response being taken in, part by part. */
  gboolean             in_stream;
  DuetStoreSyncWriter *writer;         /* NULL: no store */
  GHashTable          *stream_rooms;   /* DuetRoom → section rank seen in this response */
  guint                stream_counts[3];
  /* Contacts follow each room as it is taken in (a short response), or
   * once at the end (the first response, or past STREAM_CONTACTS_EACH_ROOM). */
  gboolean             stream_initial;
  /* m.direct changed while a response was taken in: rebuild at its end. */
  gboolean             direct_changed;
  /* Members the start left in the store are being read for the rooms
   * m.direct names (see load_lazy_direct_members). */
  gboolean             loading_lazy_members;
  /* DuetRoom → the last event id its timeline slice handed on in the
   * response being taken in; kept as `replayed` when that response does
   * not complete, since the retry sends the same slice again. */
  GHashTable          *stream_last_ids;
  GHashTable          *replayed;
  /* The cached start's new rooms, listed in `rooms` at once at its end. */
  GPtrArray           *start_rooms;
};

G_DEFINE_FINAL_TYPE (DuetSession, duet_session, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (DuetSessionState, duet_session_state,
  G_DEFINE_ENUM_VALUE (DUET_SESSION_STATE_SIGNED_OUT, "signed-out"),
  G_DEFINE_ENUM_VALUE (DUET_SESSION_STATE_SYNCING, "syncing"),
  G_DEFINE_ENUM_VALUE (DUET_SESSION_STATE_ONLINE, "online"),
  G_DEFINE_ENUM_VALUE (DUET_SESSION_STATE_OFFLINE, "offline"),
  G_DEFINE_ENUM_VALUE (DUET_SESSION_STATE_SOFT_LOGGED_OUT, "soft-logged-out"))

G_DEFINE_ENUM_TYPE (DuetInvitePolicy, duet_invite_policy,
  G_DEFINE_ENUM_VALUE (DUET_INVITE_POLICY_ASK, "ask"),
  G_DEFINE_ENUM_VALUE (DUET_INVITE_POLICY_ALWAYS, "always"),
  G_DEFINE_ENUM_VALUE (DUET_INVITE_POLICY_NEVER, "never"))

G_DEFINE_ENUM_TYPE (DuetStartChatOutcome, duet_start_chat_outcome,
  G_DEFINE_ENUM_VALUE (DUET_START_CHAT_REUSED, "reused"),
  G_DEFINE_ENUM_VALUE (DUET_START_CHAT_CREATED, "created"),
  G_DEFINE_ENUM_VALUE (DUET_START_CHAT_PARTNER_LEFT, "partner-left"))

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_STATE,
  PROP_RETRY_IN,
  PROP_INVITE_POLICY,
  N_PROPS
};

enum {
  SIGNAL_SYNCED,
  SIGNAL_STORE_ERROR,
  SIGNAL_TIMELINE_EVENTS,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
set_state (DuetSession      *self,
           DuetSessionState  state,
           guint             retry_in_ms)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (self->retry_in_ms != retry_in_ms)
    {
      self->retry_in_ms = retry_in_ms;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_IN]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

/* --- The sync loop ------------------------------------------------------- */

static void
sync_state_changed_cb (DuetSession  *self,
                       GParamSpec   *pspec,
                       DuetSyncLoop *loop)
{
  switch (duet_sync_loop_get_state (loop))
    {
    case DUET_SYNC_STATE_CONNECTING:
      set_state (self, DUET_SESSION_STATE_SYNCING, 0);
      break;
    case DUET_SYNC_STATE_LIVE:
      set_state (self, DUET_SESSION_STATE_ONLINE, 0);
      break;
    case DUET_SYNC_STATE_RETRYING:
      set_state (self, DUET_SESSION_STATE_OFFLINE, duet_sync_loop_get_retry_in (loop));
      break;
    case DUET_SYNC_STATE_STOPPED:
    default:
      /* Stopped by us (duet_session_stop says so) or by a fatal error,
       * which sync_error_cb reads to tell a soft logout from the rest. */
      break;
    }
}

static void
sync_retry_in_changed_cb (DuetSession  *self,
                          GParamSpec   *pspec,
                          DuetSyncLoop *loop)
{
  if (duet_sync_loop_get_state (loop) == DUET_SYNC_STATE_RETRYING)
    set_state (self, DUET_SESSION_STATE_OFFLINE, duet_sync_loop_get_retry_in (loop));
}

static void
sync_error_cb (DuetSession  *self,
               GError       *error,
               DuetSyncLoop *loop)
{
  /* A passing failure: the loop retries by itself, and its state says so. */
  if (duet_sync_loop_get_state (loop) != DUET_SYNC_STATE_STOPPED)
    return;

  /* Only signing in again mends this.  A soft logout keeps the data. */
  if (g_error_matches (error, DUET_API_ERROR, DUET_API_ERROR_SOFT_LOGOUT))
    set_state (self, DUET_SESSION_STATE_SOFT_LOGGED_OUT, 0);
  else
    set_state (self, DUET_SESSION_STATE_SIGNED_OUT, 0);
}

static void
store_saved_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(DuetSession) self = user_data;
  g_autoptr(GError) error = NULL;

  /* The model has the data; only the cache fell behind.  Say so: the
   * next start will sync more, but nothing is lost on the server.  A
   * response that never completed left the cache as it was. */
  if (!duet_store_save_sync_finish (DUET_STORE (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_signal_emit (self, signals[SIGNAL_STORE_ERROR], 0, error);
}

static void sync_part_cb (DuetSession        *self,
                          const DuetJsonPart *part,
                          DuetSyncLoop       *loop);
static void sync_end_cb (DuetSession  *self,
                         const char   *next_batch,
                         DuetSyncLoop *loop);
static void sync_aborted_cb (DuetSession  *self,
                             DuetSyncLoop *loop);
static void end_stream (DuetSession *self,
                        gboolean     complete);

static void
sync_response_cb (DuetSession  *self,
                  JsonObject   *response,
                  DuetSyncLoop *loop)
{
  /* Saved with its token in one transaction on the store's thread, in
   * order; the loop's token moves only after this returns. */
  if (self->store != NULL)
    duet_store_save_sync_async (self->store, response, store_saved_cb, g_object_ref (self));
  duet_session_ingest (self, response);
}

static void load_lazy_direct_members (DuetSession *self);

static void
update_contacts (DuetSession *self)
{
  _duet_contact_list_rebuild (self->contacts, self);
  /* m.direct may now name a room the start read only in part. */
  load_lazy_direct_members (self);
}

static void
direct_map_changed_cb (DuetSession   *self,
                       DuetDirectMap *map)
{
  /* During an ingest the rooms may not be current yet: the end of the
   * ingest rebuilds once. */
  if (!self->ingesting)
    update_contacts (self);
  else
    self->direct_changed = TRUE;
}

/* --- GObject -------------------------------------------------------------- */

static void
duet_session_constructed (GObject *object)
{
  DuetSession *self = DUET_SESSION (object);

  G_OBJECT_CLASS (duet_session_parent_class)->constructed (object);

  g_assert (self->client != NULL);

  self->sync_loop = duet_sync_loop_new (self->client);
  g_signal_connect_object (self->sync_loop, "response",
                           G_CALLBACK (sync_response_cb), self, G_CONNECT_SWAPPED);
  /* Responses are taken in as they arrive, never held whole. */
  duet_sync_loop_set_streaming (self->sync_loop, TRUE);
  g_signal_connect_object (self->sync_loop, "response-part",
                           G_CALLBACK (sync_part_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sync_loop, "response-end",
                           G_CALLBACK (sync_end_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sync_loop, "response-aborted",
                           G_CALLBACK (sync_aborted_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sync_loop, "error",
                           G_CALLBACK (sync_error_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sync_loop, "notify::state",
                           G_CALLBACK (sync_state_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sync_loop, "notify::retry-in",
                           G_CALLBACK (sync_retry_in_changed_cb), self, G_CONNECT_SWAPPED);

  self->direct_map = duet_direct_map_new (self->client);
  g_signal_connect_object (self->direct_map, "changed",
                           G_CALLBACK (direct_map_changed_cb), self, G_CONNECT_SWAPPED);

  self->chats = _duet_session_chats_new (self);
}

static void
duet_session_dispose (GObject *object)
{
  DuetSession *self = DUET_SESSION (object);

  /* The chats state may hold tasks that reference the session's parts:
   * it goes first. */
  g_clear_pointer (&self->chats, _duet_session_chats_free);

  /* A response cut off by the end of the session: the cache rolls back. */
  if (self->in_stream)
    end_stream (self, FALSE);

  if (self->sync_loop != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->sync_loop, self);
      duet_sync_loop_stop (self->sync_loop);
      g_clear_object (&self->sync_loop);
    }
  if (self->direct_map != NULL)
    g_signal_handlers_disconnect_by_data (self->direct_map, self);
  /* Rooms may outlive the session (a view still holds one). */
  if (self->rooms_by_id != NULL)
    {
      GHashTableIter iter;
      DuetRoom *room;

      g_hash_table_iter_init (&iter, self->rooms_by_id);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
        _duet_room_set_invite_watch (room, NULL, NULL);
    }

  g_clear_object (&self->contacts);
  g_clear_object (&self->invites);
  g_clear_pointer (&self->invites_listed, g_hash_table_unref);
  g_clear_object (&self->rooms);
  g_clear_pointer (&self->replayed, g_hash_table_unref);
  g_clear_pointer (&self->direct_invites, g_hash_table_unref);
  g_clear_pointer (&self->direct_invite_of, g_hash_table_unref);
  g_clear_pointer (&self->rooms_by_id, g_hash_table_unref);
  g_clear_object (&self->direct_map);
  g_clear_object (&self->outbox);
  g_clear_object (&self->client);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (duet_session_parent_class)->dispose (object);
}

static void
duet_session_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  DuetSession *self = DUET_SESSION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_RETRY_IN:
      g_value_set_uint (value, self->retry_in_ms);
      break;
    case PROP_INVITE_POLICY:
      g_value_set_enum (value, self->invite_policy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_session_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  DuetSession *self = DUET_SESSION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_INVITE_POLICY:
      duet_session_set_invite_policy (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_session_class_init (DuetSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = duet_session_constructed;
  object_class->dispose = duet_session_dispose;
  object_class->get_property = duet_session_get_property;
  object_class->set_property = duet_session_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, DUET_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, DUET_TYPE_SESSION_STATE,
                       DUET_SESSION_STATE_SIGNED_OUT,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_IN] =
    g_param_spec_uint ("retry-in", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_INVITE_POLICY] =
    g_param_spec_enum ("invite-policy", NULL, NULL, DUET_TYPE_INVITE_POLICY,
                       DUET_INVITE_POLICY_ASK,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DuetSession::synced:
   *
   * Emitted at the end of every duet_session_ingest(), once rooms,
   * invites, m.direct and contacts show the response.
   */
  signals[SIGNAL_SYNCED] =
    g_signal_new ("synced", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * DuetSession::store-error:
   * @error: why the local cache could not take a sync response
   *
   * The model is current but the cache fell behind.
   */
  signals[SIGNAL_STORE_ERROR] =
    g_signal_new ("store-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);

  /**
   * DuetSession::timeline-events:
   * @room: the room, already updated from this response
   * @events: (element-type JsonObject): its timeline events, oldest first,
   *   as the server sent them (unchecked: each reader validates)
   * @limited: the server left events out before these
   * @prev_batch: (nullable): token to paginate back from the first of them
   * @live: %TRUE for a /sync response, %FALSE for the cached snapshot
   *
   * Emitted during an ingest for each joined or left room whose timeline
   * has events or is limited.
   */
  signals[SIGNAL_TIMELINE_EVENTS] =
    g_signal_new ("timeline-events", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 5,
                  DUET_TYPE_ROOM, JSON_TYPE_ARRAY, G_TYPE_BOOLEAN,
                  G_TYPE_STRING, G_TYPE_BOOLEAN);
}

static void
duet_session_init (DuetSession *self)
{
  self->rooms_by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->direct_invites = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                (GDestroyNotify) g_ptr_array_unref);
  self->direct_invite_of = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->rooms = g_list_store_new (DUET_TYPE_ROOM);
  self->invites = g_list_store_new (DUET_TYPE_ROOM);
  self->invites_listed = g_hash_table_new (NULL, NULL);
  self->contacts = duet_contact_list_new ();
}

DuetSession *
duet_session_new (DuetClient *client)
{
  g_return_val_if_fail (DUET_IS_CLIENT (client), NULL);

  return g_object_new (DUET_TYPE_SESSION, "client", client, NULL);
}

/* --- Ingest --------------------------------------------------------------- */

/* Keeps direct_invites in step with the room's own invite, whoever
 * changed it (a sync, or members read for Start Chat). */
static void
room_invite_changed_cb (gpointer  user_data,
                        DuetRoom *room)
{
  DuetSession *self = user_data;
  const char *inviter = duet_room_get_invite_is_direct (room) ? duet_room_get_inviter (room) : NULL;
  const char *listed = g_hash_table_lookup (self->direct_invite_of, room);
  GPtrArray *rooms;

  if (g_strcmp0 (inviter, listed) == 0)
    return;
  if (listed != NULL)
    {
      rooms = g_hash_table_lookup (self->direct_invites, listed);
      g_ptr_array_remove (rooms, room);
      if (rooms->len == 0)
        g_hash_table_remove (self->direct_invites, listed);
      g_hash_table_remove (self->direct_invite_of, room);
    }
  if (inviter != NULL)
    {
      rooms = g_hash_table_lookup (self->direct_invites, inviter);
      if (rooms == NULL)
        {
          rooms = g_ptr_array_new ();
          g_hash_table_insert (self->direct_invites, g_strdup (inviter), rooms);
        }
      g_ptr_array_add (rooms, room);
      g_hash_table_insert (self->direct_invite_of, room, g_strdup (inviter));
    }
}

/* The room of @room_id, made when new (*@created): known by its id at
 * once, but no one else sees it until adopt_room(). */
static DuetRoom *
lookup_or_new_room (DuetSession *self,
                    const char  *room_id,
                    gboolean    *created)
{
  DuetRoom *room = g_hash_table_lookup (self->rooms_by_id, room_id);

  *created = room == NULL;
  if (room == NULL)
    {
      room = _duet_room_new (room_id, _duet_session_get_user_id (self));
      g_hash_table_insert (self->rooms_by_id, g_strdup (room_id), room);
    }
  return room;
}

/* A new room joins the session: watched for invites, then listed (at the
 * end of the cached start for its rooms, in one change of `rooms`). */
static void
adopt_room (DuetSession *self,
            DuetRoom    *room)
{
  /* What it holds already (a room read in before it was adopted). */
  room_invite_changed_cb (self, room);
  /* Not a signal handler: two connections were ~5k instructions a room
   * on a start, and kept every notification of the room off GLib's
   * shortcut for objects no one watches (g_signal_connect_object() is
   * quadratic besides).  The session never drops a room, and unsets
   * every watch as it goes. */
  _duet_room_set_invite_watch (room, room_invite_changed_cb, self);
  if (self->start_rooms != NULL)
    g_ptr_array_add (self->start_rooms, room);
  else
    g_list_store_append (self->rooms, room);
}

static DuetRoom *
ensure_room (DuetSession *self,
             const char  *room_id)
{
  gboolean created;
  DuetRoom *room = lookup_or_new_room (self, room_id, &created);

  if (created)
    adopt_room (self, room);
  return room;
}

static int
compare_invites (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  gint64 ta = duet_room_get_last_activity ((DuetRoom *) a);
  gint64 tb = duet_room_get_last_activity ((DuetRoom *) b);

  if (ta != tb)
    return ta > tb ? -1 : 1;
  return g_strcmp0 (duet_room_get_id ((DuetRoom *) a), duet_room_get_id ((DuetRoom *) b));
}

/* Keeps the invites list in step with the room's own membership. */
static void
sync_invite_listing (DuetSession *self,
                     DuetRoom    *room)
{
  guint position;
  /* Not g_list_store_find() for each room of a response: a scan of the
   * invites each. */
  gboolean listed = g_hash_table_contains (self->invites_listed, room);
  gboolean invited = duet_room_get_own_membership (room) == DUET_MEMBERSHIP_INVITE;

  if (invited && !listed)
    {
      g_hash_table_add (self->invites_listed, room);
      g_list_store_insert_sorted (self->invites, room, compare_invites, NULL);
    }
  else if (!invited && listed && g_list_store_find (self->invites, room, &position))
    {
      g_hash_table_remove (self->invites_listed, room);
      g_list_store_remove (self->invites, position);
    }
}

typedef void (*ApplyFunc) (DuetRoom *room, JsonObject *room_json, const char *own_user_id);

/* Our own messages coming back leave the outbox before anyone shows the
 * events, so a chat never has one twice.  Cached events count too: a crash
 * between saving a sync and dropping the echoed message leaves both. */
static void
take_echoes (DuetSession *self,
             DuetRoom    *room,
             JsonArray   *events)
{
  const char *room_id = duet_room_get_id (room);

  if (self->outbox == NULL)
    return;
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      g_autoptr(DuetOutgoing) echoed = NULL;

      if (JSON_NODE_HOLDS_OBJECT (node))
        echoed = duet_outbox_take_echo (self->outbox, room_id, json_node_get_object (node));
    }
}

/* Hands a room's timeline slice to whoever shows it (an open chat, the
 * notifier, the outbox's echo matching) after the room has taken it. */
static void
emit_timeline_events (DuetSession *self,
                      DuetRoom    *room,
                      JsonObject  *room_json)
{
  JsonObject *timeline = duet_json_get_object (room_json, "timeline");
  JsonArray *events = duet_json_get_array (timeline, "events");
  gboolean limited = duet_json_get_bool (timeline, "limited", FALSE);
  const char *replayed = self->replayed != NULL ? g_hash_table_lookup (self->replayed, room) : NULL;
  g_autoptr(JsonArray) empty = NULL;
  g_autoptr(JsonArray) rest = NULL;
  guint length = events != NULL ? json_array_get_length (events) : 0;

  /* This slice's last event is handed on now or was before: should the
   * response be cut off further on, the retry's slice is news only after
   * it (even when nothing in this one was new). */
  if (self->stream_last_ids != NULL && length > 0)
    {
      JsonNode *last = json_array_get_element (events, length - 1);
      const char *event_id = JSON_NODE_HOLDS_OBJECT (last)
                             ? duet_json_get_string (json_node_get_object (last), "event_id") : NULL;

      if (event_id != NULL)
        g_hash_table_insert (self->stream_last_ids, room, g_strdup (event_id));
    }

  /* A response cut off after this room handed on its slice: the retry
   * sends it again, and only what follows the last event handed on is
   * news (the same events twice would notify twice). */
  if (replayed != NULL && events != NULL)
    {
      for (guint i = length; i > 0; i--)
        {
          JsonNode *node = json_array_get_element (events, i - 1);
          JsonObject *event = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

          if (g_strcmp0 (duet_json_get_string (event, "event_id"), replayed) != 0)
            continue;
          rest = json_array_sized_new (length - i);
          for (guint j = i; j < length; j++)
            json_array_add_element (rest, json_node_ref (json_array_get_element (events, j)));
          events = rest;
          limited = FALSE;
          break;
        }
      g_hash_table_remove (self->replayed, room);
    }

  if (timeline == NULL || (!limited && (events == NULL || json_array_get_length (events) == 0)))
    return;
  if (events == NULL)
    events = empty = json_array_new ();

  take_echoes (self, room, events);
  if (limited && self->ingest_live && self->outbox != NULL)
    duet_outbox_forget_sent (self->outbox, duet_room_get_id (room));
  /* Nobody listens at a cached start (no chat is open yet): the emission
   * alone would cost more than the room. */
  if (!g_signal_has_handler_pending (self, signals[SIGNAL_TIMELINE_EVENTS], 0, FALSE))
    return;
  g_signal_emit (self, signals[SIGNAL_TIMELINE_EVENTS], 0, room, events, limited,
                 duet_json_get_string (timeline, "prev_batch"), self->ingest_live);
}

static void
ingest_room (DuetSession *self,
             DuetRoom    *room,
             JsonObject  *room_json,
             ApplyFunc    apply,
             const char  *own_user_id)
{
  apply (room, room_json, own_user_id);
  sync_invite_listing (self, room);
  emit_timeline_events (self, room, room_json);
}

static void
ingest_section (DuetSession *self,
                JsonObject  *rooms,
                const char  *section,
                ApplyFunc    apply)
{
  JsonObject *entries = duet_json_get_object (rooms, section);
  const char *own_user_id = _duet_session_get_user_id (self);
  JsonObjectIter iter;
  const char *room_id;
  JsonNode *node;
  guint count = 0;

  if (entries == NULL)
    return;

  json_object_iter_init (&iter, entries);
  while (json_object_iter_next (&iter, &room_id, &node) && count < MAX_ROOMS_PER_SECTION)
    {
      if (!JSON_NODE_HOLDS_OBJECT (node) || !duet_matrix_is_valid_room_id (room_id))
        continue;
      count++;
      ingest_room (self, ensure_room (self, room_id), json_node_get_object (node), apply, own_user_id);
    }
}

static void
ingest_account_data (DuetSession *self,
                     JsonObject  *account_data)
{
  JsonArray *events = duet_json_get_array (account_data, "events");
  JsonObject *direct = NULL;

  if (events == NULL)
    return;

  /* The last m.direct of the batch is the current one. */
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      JsonObject *event = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      if (g_strcmp0 (duet_json_get_string (event, "type"), "m.direct") == 0 &&
          duet_json_get_object (event, "content") != NULL)
        direct = duet_json_get_object (event, "content");
    }

  /* A content that is not an object says nothing we can use: the mirror
   * keeps what it had rather than forget every DM. */
  if (direct != NULL)
    duet_direct_map_update (self->direct_map, direct);
}

/* Account data and rooms, without the contact list. */
static void
ingest_rooms (DuetSession *self,
              JsonObject  *response,
              gboolean     live)
{
  JsonObject *rooms;

  self->ingesting = TRUE;
  self->ingest_live = live;

  ingest_account_data (self, duet_json_get_object (response, "account_data"));

  /* A room can be in two sections at once: a server reports a leave that
   * happened in the window even when we rejoined or were invited again
   * since.  The leave is the older news, so it goes first. */
  rooms = duet_json_get_object (response, "rooms");
  ingest_section (self, rooms, "leave", _duet_room_apply_left);
  ingest_section (self, rooms, "join", _duet_room_apply_joined);
  ingest_section (self, rooms, "invite", _duet_room_apply_invited);

  self->ingesting = FALSE;
  self->ingest_live = FALSE;
}

static void
ingest_response (DuetSession *self,
                 JsonObject  *response,
                 gboolean     live)
{
  /* Keeps the session alive through handlers that might drop it. */
  g_object_ref (self);
  ingest_rooms (self, response, live);
  if (live && self->outbox != NULL)
    duet_outbox_note_synced (self->outbox);
  update_contacts (self);

  g_signal_emit (self, signals[SIGNAL_SYNCED], 0);
  g_object_unref (self);
}

void
duet_session_ingest (DuetSession *self,
                     JsonObject  *response)
{
  g_return_if_fail (DUET_IS_SESSION (self));
  g_return_if_fail (response != NULL);

  ingest_response (self, response, TRUE);
}

/* --- A streamed response --------------------------------------------------- */

/* The order a room's sections are applied in when one response names it
 * twice (see ingest_response): a later rank is the newer news. */
static const struct {
  const char     *name;
  DuetMembership  membership;
} stream_sections[] = {
  { "leave", DUET_MEMBERSHIP_LEAVE },
  { "join", DUET_MEMBERSHIP_JOIN },
  { "invite", DUET_MEMBERSHIP_INVITE },
};

/* Whether the contact list follows the streamed response room by room
 * (only the people a room concerns move) rather than once at its end. */
static gboolean
stream_follows_rooms (DuetSession *self)
{
  return !self->stream_initial && !self->direct_changed &&
         g_hash_table_size (self->stream_rooms) <= STREAM_CONTACTS_EACH_ROOM;
}

static void
begin_stream (DuetSession *self)
{
  g_assert (!self->in_stream);

  /* Kept alive until the end, as ingest_response does for its span. */
  g_object_ref (self);
  self->in_stream = TRUE;
  self->ingesting = TRUE;
  self->ingest_live = TRUE;
  self->stream_rooms = g_hash_table_new (NULL, NULL);
  self->stream_last_ids = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->stream_initial = duet_sync_loop_get_since (self->sync_loop) == NULL;
  self->direct_changed = FALSE;
  memset (self->stream_counts, 0, sizeof self->stream_counts);
  if (self->store != NULL)
    self->writer = duet_store_save_sync_begin (self->store, store_saved_cb, g_object_ref (self));
}

static void
end_stream (DuetSession *self,
            gboolean     complete)
{
  gboolean followed = stream_follows_rooms (self);

  g_assert (self->in_stream);
  self->in_stream = FALSE;
  self->ingesting = FALSE;
  self->ingest_live = FALSE;
  g_clear_pointer (&self->stream_rooms, g_hash_table_unref);
  if (complete)
    {
      /* The retry came through whole: nothing more is a replay. */
      g_clear_pointer (&self->replayed, g_hash_table_unref);
      g_clear_pointer (&self->stream_last_ids, g_hash_table_unref);
    }
  else
    {
      GHashTableIter iter;
      gpointer room, event_id;

      if (self->replayed == NULL)
        self->replayed = g_hash_table_new_full (NULL, NULL, NULL, g_free);
      g_hash_table_iter_init (&iter, self->stream_last_ids);
      while (g_hash_table_iter_next (&iter, &room, &event_id))
        {
          g_hash_table_iter_steal (&iter);
          g_hash_table_replace (self->replayed, room, event_id);
        }
      g_clear_pointer (&self->stream_last_ids, g_hash_table_unref);
    }
  if (self->writer != NULL && !complete)
    duet_store_sync_writer_abort (g_steal_pointer (&self->writer));
  /* As at the end of ingest_response(): a whole live response was seen. */
  if (complete && self->outbox != NULL)
    duet_outbox_note_synced (self->outbox);

  /* Unless each room already moved its contacts (a short response), the
   * list catches up once; even a cut-off response changed rooms. */
  if (!followed)
    update_contacts (self);
  if (complete)
    g_signal_emit (self, signals[SIGNAL_SYNCED], 0);
  g_object_unref (self);
}

/* Whether anyone needs the room's timeline events as a tree: an open
 * chat or the notifier (handlers of ::timeline-events), the outbox for
 * our echoes, or a replay to cut. */
static gboolean
wants_timeline_tree (DuetSession *self,
                     DuetRoom    *room)
{
  return g_signal_has_handler_pending (self, signals[SIGNAL_TIMELINE_EVENTS], 0, FALSE) ||
         (self->outbox != NULL && duet_outbox_has_room_queue (self->outbox, duet_room_get_id (room))) ||
         (self->replayed != NULL && g_hash_table_contains (self->replayed, room));
}

/* The room's entry read in place (never a tree of it unless someone needs
 * its events): what ingest_room() does for a tree.  @created: the room is
 * new (lookup_or_new_room()), and is adopted once read: no one can watch
 * it before, so its first notifications go to no handler. */
static void
ingest_room_raw (DuetSession        *self,
                 DuetRoom           *room,
                 gboolean            created,
                 const DuetJsonPart *part,
                 DuetMembership      membership)
{
  g_autofree char *last_id = NULL;

  _duet_room_apply_raw (room, membership, part->data, part->length, part->depth,
                        _duet_session_get_user_id (self), &last_id);
  if (created)
    adopt_room (self, room);
  sync_invite_listing (self, room);

  if (wants_timeline_tree (self, room))
    {
      /* The text was checked: it reads. */
      g_autoptr(JsonNode) node = duet_json_part_parse (part, NULL);

      g_return_if_fail (node != NULL && JSON_NODE_HOLDS_OBJECT (node));
      emit_timeline_events (self, room, json_node_get_object (node));
    }
  /* As emit_timeline_events() notes the slice's last event. */
  else if (self->stream_last_ids != NULL && last_id != NULL)
    g_hash_table_insert (self->stream_last_ids, room, g_steal_pointer (&last_id));
}

/* The first byte of the value in @part (whitespace skipped). */
static char
part_type (const DuetJsonPart *part)
{
  for (gsize i = 0; i < part->length; i++)
    if (!g_ascii_isspace (part->data[i]))
      return part->data[i];
  return 0;
}

static void
stream_room (DuetSession        *self,
             const DuetJsonPart *part)
{
  g_autoptr(GBytes) bytes = NULL;
  GError *error = NULL;
  DuetRoom *room;
  guint rank, seen;
  gboolean controls = FALSE;
  gboolean created;

  for (rank = 0; rank < G_N_ELEMENTS (stream_sections); rank++)
    if (g_str_equal (part->section, stream_sections[rank].name))
      break;
  if (rank == G_N_ELEMENTS (stream_sections) || !duet_matrix_is_valid_room_id (part->name) ||
      self->stream_counts[rank] >= MAX_ROOMS_PER_SECTION)
    return;

  /* One strict pass, then the room reads the text in place: no tree. */
  if (!duet_json_raw_validate (part->data, part->length, part->depth, &controls))
    {
      /* Not JSON: the reply is refused whole, never half taken in.  The
       * tree reader says where it stops. */
      g_autoptr(JsonNode) node = duet_json_part_parse (part, &error);

      if (node != NULL)
        g_set_error (&error, DUET_JSON_ERROR, DUET_JSON_ERROR_INVALID,
                     "The member “%.64s” of the body is not JSON", part->name);
      duet_sync_loop_refuse_part (self->sync_loop, g_steal_pointer (&error));
      return;
    }
  if (part_type (part) != '{')
    return;
  self->stream_counts[rank]++;

  /* Named in a newer section of this response already (Synapse sends
   * join, invite, leave in that order): this is older news. */
  room = lookup_or_new_room (self, part->name, &created);
  seen = GPOINTER_TO_UINT (g_hash_table_lookup (self->stream_rooms, room));
  if (seen > rank + 1)
    return;
  g_hash_table_insert (self->stream_rooms, room, GUINT_TO_POINTER (rank + 1));

  /* The cache takes the bytes as sent, and reads them on its own thread
   * (checked already: it need not check them again). */
  if (self->writer != NULL)
    {
      bytes = g_bytes_new (part->data, part->length);
      duet_store_sync_writer_add_checked_room (self->writer, part->section, part->name, bytes, controls);
    }
  ingest_room_raw (self, room, created, part, stream_sections[rank].membership);

  /* What the room shows and what its contact shows change together, as
   * in a whole response; a long one is caught up once at its end. */
  if (stream_follows_rooms (self))
    duet_contact_list_update_room (self->contacts, self, room);
}

static void
sync_part_cb (DuetSession        *self,
              const DuetJsonPart *part,
              DuetSyncLoop       *loop)
{
  if (!self->in_stream)
    begin_stream (self);

  if (part->section != NULL)
    {
      stream_room (self, part);
      return;
    }

  if (g_str_equal (part->name, "account_data"))
    {
      GError *error = NULL;
      g_autoptr(JsonNode) node = duet_json_part_parse (part, &error);

      if (node == NULL)
        {
          duet_sync_loop_refuse_part (self->sync_loop, error);
          return;
        }
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return;
      if (self->writer != NULL)
        {
          g_autoptr(GBytes) bytes = g_bytes_new (part->data, part->length);

          duet_store_sync_writer_add_account_data (self->writer, bytes);
        }
      ingest_account_data (self, json_node_get_object (node));
    }
}

static void
sync_end_cb (DuetSession  *self,
             const char   *next_batch,
             DuetSyncLoop *loop)
{
  if (!self->in_stream)
    begin_stream (self);
  if (self->writer != NULL)
    duet_store_sync_writer_commit (g_steal_pointer (&self->writer), next_batch);
  end_stream (self, TRUE);
}

static void
sync_aborted_cb (DuetSession  *self,
                 DuetSyncLoop *loop)
{
  if (self->in_stream)
    end_stream (self, FALSE);
}

/* --- Public API ----------------------------------------------------------- */

DuetClient *
duet_session_get_client (DuetSession *self)
{
  g_return_val_if_fail (DUET_IS_SESSION (self), NULL);
  return self->client;
}

DuetDirectMap *
duet_session_get_direct_map (DuetSession *self)
{
  g_return_val_if_fail (DUET_IS_SESSION (self), NULL);
  return self->direct_map;
}

DuetSessionState
duet_session_get_state (DuetSession *self)
{
  g_return_val_if_fail (DUET_IS_SESSION (self), DUET_SESSION_STATE_SIGNED_OUT);
  return self->state;
}

guint
duet_session_get_retry_in (DuetSession *self)
{
  g_return_val_if_fail (DUET_IS_SESSION (self), 0);
  return self->retry_in_ms;
}

DuetInvitePolicy
duet_session_get_invite_policy (DuetSession *self)
{
  g_return_val_if_fail (DUET_IS_SESSION (self), DUET_INVITE_POLICY_ASK);
  return self->invite_policy;
}

void
duet_session_set_invite_policy (DuetSession      *self,
                                DuetInvitePolicy  policy)
{
  g_return_if_fail (DUET_IS_SESSION (self));
  g_return_if_fail (policy <= DUET_INVITE_POLICY_NEVER);

  if (self->invite_policy == policy)
    return;
  self->invite_policy = policy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INVITE_POLICY]);
}

void
duet_session_set_store (DuetSession *self,
                        DuetStore   *store)
{
  g_return_if_fail (DUET_IS_SESSION (self));
  g_return_if_fail (store == NULL || DUET_IS_STORE (store));
  g_return_if_fail (duet_sync_loop_get_state (self->sync_loop) == DUET_SYNC_STATE_STOPPED);

  g_set_object (&self->store, store);
}

DuetStore *
duet_session_get_store (DuetSession *self)
{
  g_return_val_if_fail (DUET_IS_SESSION (self), NULL);
  return self->store;
}

/* Rule 3 and the contact rows read every member of the rooms m.direct
 * lists (and their upgrades) and of the rooms our invite said were
 * direct: those the start snapshot left partial, to be read whole. */
static void
add_lazy_chain (DuetSession  *self,
                GHashTable   *seen,
                GStrvBuilder *lazy,
                DuetRoom     *room)
{
  for (guint depth = 0; room != NULL && depth < 32; depth++)
    {
      const char *next = duet_room_get_replacement_room (room);

      if (!g_hash_table_add (seen, room))
        return;
      if (_duet_room_get_members_partial (room))
        g_strv_builder_add (lazy, duet_room_get_id (room));
      room = next != NULL ? duet_session_lookup_room (self, next) : NULL;
    }
}

static GStrv
dup_lazy_direct_rooms (DuetSession *self)
{
  g_autoptr(GStrvBuilder) lazy = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_auto(GStrv) users = duet_direct_map_dup_users (self->direct_map);
  GHashTableIter iter;
  GPtrArray *invited;

  for (guint i = 0; users != NULL && users[i] != NULL; i++)
    {
      g_auto(GStrv) room_ids = duet_direct_map_dup_rooms_for_user (self->direct_map, users[i]);

      for (guint j = 0; room_ids != NULL && room_ids[j] != NULL; j++)
        add_lazy_chain (self, seen, lazy, duet_session_lookup_room (self, room_ids[j]));
    }
  g_hash_table_iter_init (&iter, self->direct_invites);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &invited))
    for (guint i = 0; i < invited->len; i++)
      add_lazy_chain (self, seen, lazy, invited->pdata[i]);
  return g_strv_builder_end (lazy);
}

static void
store_verified_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(DuetSession) self = user_data;
  g_autoptr(GError) error = NULL;

  /* The data shown stays; the next start rebuilds the cache. */
  if (!duet_store_verify_finish (DUET_STORE (object), result, &error))
    g_signal_emit (self, signals[SIGNAL_STORE_ERROR], 0, error);
}

/* The start read only what it shows: the rest of the file is checked
 * after it, behind the start's own reads on the store's queue. */
static void
verify_store (DuetSession *self)
{
  duet_store_verify_async (self->store, store_verified_cb, g_object_ref (self));
}

/* The snapshot is in: the contact list shows it, once. */
static void
finish_cache_load (GTask *task)
{
  DuetSession *self = g_task_get_source_object (task);

  update_contacts (self);
  g_signal_emit (self, signals[SIGNAL_SYNCED], 0);
  verify_store (self);
  g_task_return_boolean (task, TRUE);
}

/* Takes what duet_store_load_members_async() read for rooms left
 * partial; on a failure the rooms keep what they have and are not asked
 * for again (the next read would fail alike, and rebuild after rebuild). */
static void
take_lazy_members (DuetSession         *self,
                   JsonObject          *members,
                   const char * const  *asked)
{
  JsonObjectIter iter;
  const char *room_id;
  JsonNode *node;

  if (members == NULL)
    {
      for (guint i = 0; asked[i] != NULL; i++)
        {
          DuetRoom *room = duet_session_lookup_room (self, asked[i]);

          if (room != NULL)
            _duet_room_set_members_partial (room, FALSE);
        }
      return;
    }
  json_object_iter_init (&iter, members);
  while (json_object_iter_next (&iter, &room_id, &node))
    {
      DuetRoom *room = duet_session_lookup_room (self, room_id);

      if (room != NULL && _duet_room_get_members_partial (room) && JSON_NODE_HOLDS_ARRAY (node))
        _duet_room_add_cached_members (room, json_node_get_array (node), _duet_session_get_user_id (self));
    }
}

typedef struct {
  DuetSession *session;
  GStrv        asked;
} LazyRead;

static void
live_lazy_members_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  LazyRead *read = user_data;
  g_autoptr(DuetSession) self = read->session;
  g_auto(GStrv) asked = read->asked;
  g_autoptr(JsonObject) members = NULL;
  g_autoptr(GError) error = NULL;

  g_free (read);
  self->loading_lazy_members = FALSE;
  members = duet_store_load_members_finish (DUET_STORE (object), result, &error);
  if (members == NULL)
    g_debug ("Cached members not read: %s", error->message);
  take_lazy_members (self, members, (const char * const *) asked);
  update_contacts (self);
}

/* After the start, m.direct (a sync, another device) can name a room whose
 * members the start left in the store: they are read, and the list
 * rebuilt once more. */
static void
load_lazy_direct_members (DuetSession *self)
{
  LazyRead *read;
  GStrv lazy;

  if (self->store == NULL || self->loading_lazy_members)
    return;
  lazy = dup_lazy_direct_rooms (self);
  if (lazy[0] == NULL)
    {
      g_strfreev (lazy);
      return;
    }
  self->loading_lazy_members = TRUE;
  read = g_new0 (LazyRead, 1);
  read->session = g_object_ref (self);
  read->asked = lazy;
  duet_store_load_members_async (self->store, (const char * const *) lazy, live_lazy_members_cb, read);
}

static void
lazy_members_loaded_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DuetSession *self = g_task_get_source_object (task);
  g_auto(GStrv) asked = g_task_get_task_data (task) != NULL ? g_strdupv (g_task_get_task_data (task)) : NULL;
  g_autoptr(JsonObject) members = NULL;
  g_autoptr(GError) error = NULL;

  members = duet_store_load_members_finish (DUET_STORE (object), result, &error);
  /* The rooms keep the members they have: the list is as good as a
   * lazy-loading sync makes it. */
  if (members == NULL)
    g_debug ("Cached members not read: %s", error->message);
  take_lazy_members (self, members, (const char * const *) asked);
  self->loading_lazy_members = FALSE;
  finish_cache_load (task);
}

static gboolean
drop_snapshot (gpointer snapshot)
{
  duet_store_start_free (snapshot);
  return G_SOURCE_REMOVE;
}

/* The cache's rooms, each entry read in place as a streamed /sync's
 * rooms are (no tree unless someone needs its events). */
void
_duet_session_ingest_start (DuetSession    *self,
                            DuetStoreStart *start)
{
  self->ingesting = TRUE;
  self->ingest_live = FALSE;
  self->start_rooms = g_ptr_array_new ();

  ingest_account_data (self, duet_json_get_object (start->response, "account_data"));
  for (guint i = 0; i < start->rooms->len; i++)
    {
      const DuetStoreStartRoom *cached = start->rooms->pdata[i];
      /* Nested as a room's entry is in a /sync response (the depth the
       * store checked it at). */
      DuetJsonPart part = { cached->section, cached->room_id, cached->entry, cached->length, 3 };
      DuetMembership membership = DUET_MEMBERSHIP_JOIN;
      DuetRoom *room;
      gboolean created;

      for (guint rank = 0; rank < G_N_ELEMENTS (stream_sections); rank++)
        if (g_str_equal (cached->section, stream_sections[rank].name))
          membership = stream_sections[rank].membership;
      /* The store checked the text strictly, as a streamed part is. */
      if (!duet_matrix_is_valid_room_id (cached->room_id) || part_type (&part) != '{')
        continue;
      room = lookup_or_new_room (self, cached->room_id, &created);
      ingest_room_raw (self, room, created, &part, membership);
      if (cached->lazy_members)
        _duet_room_set_members_partial (room, TRUE);
    }

  /* One change of `rooms` for all of them, in the order first seen. */
  g_list_store_splice (self->rooms, g_list_model_get_n_items (G_LIST_MODEL (self->rooms)), 0,
                       self->start_rooms->pdata, self->start_rooms->len);
  g_clear_pointer (&self->start_rooms, g_ptr_array_unref);
  self->ingesting = FALSE;
}

static void
snapshot_loaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DuetSession *self = g_task_get_source_object (task);
  g_autoptr(DuetStoreStart) snapshot = NULL;
  g_auto(GStrv) lazy = NULL;
  GError *error = NULL;
  const char *token;

  snapshot = duet_store_load_start_snapshot_finish (DUET_STORE (object), result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* Nothing cached yet: the first sync starts from scratch. */
  token = snapshot != NULL ? duet_json_get_string (snapshot->response, "next_batch") : NULL;
  if (token == NULL)
    {
      verify_store (self);
      g_task_return_boolean (task, TRUE);
      return;
    }

  _duet_session_ingest_start (self, snapshot);
  duet_sync_loop_set_since (self->sync_loop, token);
  /* Tens of thousands of nodes: dropped once the list is drawn, not on
   * the way to its first frame (GTK paints above this priority). */
  g_idle_add_full (G_PRIORITY_LOW, drop_snapshot, g_steal_pointer (&snapshot), NULL);

  lazy = dup_lazy_direct_rooms (self);
  if (lazy[0] != NULL)
    {
      self->loading_lazy_members = TRUE;
      g_task_set_task_data (task, g_strdupv (lazy), (GDestroyNotify) g_strfreev);
      duet_store_load_members_async (self->store, (const char * const *) lazy,
                                     lazy_members_loaded_cb, g_steal_pointer (&task));
      return;
    }
  finish_cache_load (task);
}

static void
outbox_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DuetSession *self = g_task_get_source_object (task);
  GError *error = NULL;
  const char *own_user_id;

  if (!duet_outbox_load_finish (DUET_OUTBOX (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  own_user_id = _duet_session_get_user_id (self);
  duet_store_load_start_snapshot_async (self->store, own_user_id != NULL ? own_user_id : "",
                                        snapshot_loaded_cb, g_steal_pointer (&task));
}

void
duet_session_load_cache_async (DuetSession         *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DUET_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_session_load_cache_async);

  if (self->store == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* The outbox first: the snapshot's events may echo what it restores,
   * and so may the first sync, which it waits for before sending again. */
  duet_outbox_hold_restored (duet_session_get_outbox (self));
  duet_outbox_load_async (duet_session_get_outbox (self), cancellable, outbox_loaded_cb,
                          g_steal_pointer (&task));
}

gboolean
duet_session_load_cache_finish (DuetSession   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
duet_session_start (DuetSession *self)
{
  g_return_if_fail (DUET_IS_SESSION (self));

  duet_sync_loop_start (self->sync_loop);
}

void
duet_session_stop (DuetSession *self)
{
  g_return_if_fail (DUET_IS_SESSION (self));

  duet_sync_loop_stop (self->sync_loop);
  set_state (self, DUET_SESSION_STATE_SIGNED_OUT, 0);
}

DuetOutbox *
duet_session_get_outbox (DuetSession *self)
{
  g_return_val_if_fail (DUET_IS_SESSION (self), NULL);

  if (self->outbox == NULL)
    self->outbox = duet_outbox_new (self->client, self->store);
  return self->outbox;
}

gpointer
duet_session_get_sync_loop (DuetSession *self)
{
  g_return_val_if_fail (DUET_IS_SESSION (self), NULL);
  return self->sync_loop;
}

DuetRoom *
duet_session_lookup_room (DuetSession *self,
                          const char  *room_id)
{
  g_return_val_if_fail (DUET_IS_SESSION (self), NULL);
  g_return_val_if_fail (room_id != NULL, NULL);

  return g_hash_table_lookup (self->rooms_by_id, room_id);
}

GListModel *
duet_session_get_rooms (DuetSession *self)
{
  g_return_val_if_fail (DUET_IS_SESSION (self), NULL);
  return G_LIST_MODEL (self->rooms);
}

GListModel *
duet_session_get_invites (DuetSession *self)
{
  g_return_val_if_fail (DUET_IS_SESSION (self), NULL);
  return G_LIST_MODEL (self->invites);
}

GListModel *
duet_session_get_contacts (DuetSession *self)
{
  g_return_val_if_fail (DUET_IS_SESSION (self), NULL);
  return G_LIST_MODEL (self->contacts);
}

/* --- Private API ---------------------------------------------------------- */

DuetSessionChats *
_duet_session_get_chats (DuetSession *self)
{
  g_return_val_if_fail (DUET_IS_SESSION (self), NULL);
  return self->chats;
}

const char *
_duet_session_get_user_id (DuetSession *self)
{
  g_return_val_if_fail (DUET_IS_SESSION (self), NULL);
  return duet_client_get_user_id (self->client);
}

GPtrArray *
_duet_session_get_direct_invites_from (DuetSession *self,
                                       const char  *inviter)
{
  g_return_val_if_fail (DUET_IS_SESSION (self), NULL);
  g_return_val_if_fail (inviter != NULL, NULL);

  return g_hash_table_lookup (self->direct_invites, inviter);
}

void
_duet_session_update_contacts (DuetSession *self)
{
  g_return_if_fail (DUET_IS_SESSION (self));
  update_contacts (self);
}
