/* duet-outbox.c: messages on their way to the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each room has a queue; its head goes out when it is stored and nothing
 * of the room is in flight.  A passing failure keeps the head QUEUED and
 * sets a backoff timer for the room (the client has already retried the
 * request itself a few times); a refusal makes it FAILED, which stops the
 * room's queue until Retry or Delete.  A message leaves the outbox when its
 * echo comes in /sync, whatever its state: the echo may arrive before the
 * answer to the PUT (an answer lost on the way, a restart).
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>

#include "duet-json.h"
#include "duet-matrix-id.h"
#include "duet-outbox.h"

/* Longest error text kept for the UI. */
#define MAX_ERROR_LENGTH 512
/* Shortest wait between two tries of a room's head, whatever the client's
 * backoff says (a test may set it to nothing). */
#define MIN_RETRY_MS 10

/* --- DuetOutgoing ------------------------------------------------------------ */

struct _DuetOutgoing
{
  GObject            parent_instance;

  char              *room_id;
  char              *txn_id;
  char              *event_type;
  JsonObject        *content;
  DuetOutgoingState  state;
  char              *error_message;
  char              *event_id;
  gint64             created;

  /* The outbox's own bookkeeping. */
  gboolean           stored;   /* the store has it (or there is no store) */
  gboolean           restored; /* left by an earlier run */
  gboolean           removed;  /* echoed or deleted: no longer in the outbox */
  /* Syncs the outbox had heard of when the server accepted it (-1: left by
   * an earlier run): a limited sync after a later one covers its echo. */
  gint64             sent_generation;
};

G_DEFINE_FINAL_TYPE (DuetOutgoing, duet_outgoing, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (DuetOutgoingState, duet_outgoing_state,
  G_DEFINE_ENUM_VALUE (DUET_OUTGOING_QUEUED, "queued"),
  G_DEFINE_ENUM_VALUE (DUET_OUTGOING_SENDING, "sending"),
  G_DEFINE_ENUM_VALUE (DUET_OUTGOING_SENT, "sent"),
  G_DEFINE_ENUM_VALUE (DUET_OUTGOING_FAILED, "failed"))

enum {
  OUTGOING_PROP_0,
  OUTGOING_PROP_ROOM_ID,
  OUTGOING_PROP_TXN_ID,
  OUTGOING_PROP_EVENT_TYPE,
  OUTGOING_PROP_STATE,
  OUTGOING_PROP_ERROR_MESSAGE,
  OUTGOING_PROP_EVENT_ID,
  OUTGOING_PROP_CREATED,
  OUTGOING_N_PROPS
};

static GParamSpec *outgoing_properties[OUTGOING_N_PROPS];

static void
duet_outgoing_finalize (GObject *object)
{
  DuetOutgoing *self = DUET_OUTGOING (object);

  g_clear_pointer (&self->room_id, g_free);
  g_clear_pointer (&self->txn_id, g_free);
  g_clear_pointer (&self->event_type, g_free);
  g_clear_pointer (&self->content, json_object_unref);
  g_clear_pointer (&self->error_message, g_free);
  g_clear_pointer (&self->event_id, g_free);

  G_OBJECT_CLASS (duet_outgoing_parent_class)->finalize (object);
}

static void
duet_outgoing_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  DuetOutgoing *self = DUET_OUTGOING (object);

  switch (prop_id)
    {
    case OUTGOING_PROP_ROOM_ID:
      g_value_set_string (value, self->room_id);
      break;
    case OUTGOING_PROP_TXN_ID:
      g_value_set_string (value, self->txn_id);
      break;
    case OUTGOING_PROP_EVENT_TYPE:
      g_value_set_string (value, self->event_type);
      break;
    case OUTGOING_PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case OUTGOING_PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error_message);
      break;
    case OUTGOING_PROP_EVENT_ID:
      g_value_set_string (value, self->event_id);
      break;
    case OUTGOING_PROP_CREATED:
      g_value_set_int64 (value, self->created);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_outgoing_class_init (DuetOutgoingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = duet_outgoing_finalize;
  object_class->get_property = duet_outgoing_get_property;

  outgoing_properties[OUTGOING_PROP_ROOM_ID] = g_param_spec_string ("room-id", NULL, NULL, NULL, flags);
  outgoing_properties[OUTGOING_PROP_TXN_ID] = g_param_spec_string ("txn-id", NULL, NULL, NULL, flags);
  outgoing_properties[OUTGOING_PROP_EVENT_TYPE] = g_param_spec_string ("event-type", NULL, NULL, NULL, flags);
  outgoing_properties[OUTGOING_PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, DUET_TYPE_OUTGOING_STATE, DUET_OUTGOING_QUEUED, flags);
  outgoing_properties[OUTGOING_PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL, flags);
  outgoing_properties[OUTGOING_PROP_EVENT_ID] = g_param_spec_string ("event-id", NULL, NULL, NULL, flags);
  outgoing_properties[OUTGOING_PROP_CREATED] =
    g_param_spec_int64 ("created", NULL, NULL, 0, G_MAXINT64, 0, flags);
  g_object_class_install_properties (object_class, OUTGOING_N_PROPS, outgoing_properties);
}

static void
duet_outgoing_init (DuetOutgoing *self)
{
}

/* The content as queued, whatever the caller does with its own object
 * later; sealed, so that no reader can change what is sent. */
static JsonObject *
copy_sealed (JsonObject *content)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), content);
  g_autofree char *text = json_to_string (node, FALSE);
  g_autoptr(JsonNode) copy = json_from_string (text, NULL);
  JsonObject *object;

  /* A tree json-glib itself wrote always reads back as an object. */
  g_assert (copy != NULL && JSON_NODE_HOLDS_OBJECT (copy));
  object = json_node_dup_object (copy);
  json_object_seal (object);
  return object;
}

static DuetOutgoing *
outgoing_new (const char *room_id,
              const char *txn_id,
              const char *event_type,
              JsonObject *content,
              gint64      created)
{
  DuetOutgoing *self = g_object_new (DUET_TYPE_OUTGOING, NULL);

  self->room_id = g_strdup (room_id);
  self->txn_id = g_strdup (txn_id);
  self->event_type = g_strdup (event_type);
  self->content = copy_sealed (content);
  self->created = created;
  return self;
}

static void
outgoing_set_state (DuetOutgoing      *self,
                    DuetOutgoingState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), outgoing_properties[OUTGOING_PROP_STATE]);
}

static void
outgoing_set_error_message (DuetOutgoing *self,
                            const char   *message)
{
  if (g_strcmp0 (self->error_message, message) == 0)
    return;
  g_free (self->error_message);
  self->error_message = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), outgoing_properties[OUTGOING_PROP_ERROR_MESSAGE]);
}

static void
outgoing_set_event_id (DuetOutgoing *self,
                       const char   *event_id)
{
  if (event_id == NULL || g_strcmp0 (self->event_id, event_id) == 0)
    return;
  g_free (self->event_id);
  self->event_id = g_strdup (event_id);
  g_object_notify_by_pspec (G_OBJECT (self), outgoing_properties[OUTGOING_PROP_EVENT_ID]);
}

const char *
duet_outgoing_get_room_id (DuetOutgoing *self)
{
  g_return_val_if_fail (DUET_IS_OUTGOING (self), NULL);
  return self->room_id;
}

const char *
duet_outgoing_get_txn_id (DuetOutgoing *self)
{
  g_return_val_if_fail (DUET_IS_OUTGOING (self), NULL);
  return self->txn_id;
}

const char *
duet_outgoing_get_event_type (DuetOutgoing *self)
{
  g_return_val_if_fail (DUET_IS_OUTGOING (self), NULL);
  return self->event_type;
}

JsonObject *
duet_outgoing_get_content (DuetOutgoing *self)
{
  g_return_val_if_fail (DUET_IS_OUTGOING (self), NULL);
  return self->content;
}

DuetOutgoingState
duet_outgoing_get_state (DuetOutgoing *self)
{
  g_return_val_if_fail (DUET_IS_OUTGOING (self), DUET_OUTGOING_QUEUED);
  return self->state;
}

const char *
duet_outgoing_get_error_message (DuetOutgoing *self)
{
  g_return_val_if_fail (DUET_IS_OUTGOING (self), NULL);
  return self->error_message;
}

const char *
duet_outgoing_get_event_id (DuetOutgoing *self)
{
  g_return_val_if_fail (DUET_IS_OUTGOING (self), NULL);
  return self->event_id;
}

gint64
duet_outgoing_get_created (DuetOutgoing *self)
{
  g_return_val_if_fail (DUET_IS_OUTGOING (self), 0);
  return self->created;
}

/* --- DuetOutbox ----------------------------------------------------------------- */

typedef struct {
  DuetOutbox   *outbox;     /* borrowed: it owns this */
  char         *room_id;
  GListStore   *queue;      /* DuetOutgoing, oldest first */
  DuetOutgoing *in_flight;  /* owned: the one PUT of this room on its way */
  guint         retry_id;   /* backoff timer before the head's next try */
  guint         failures;   /* passing failures of the head in a row */
} RoomQueue;

struct _DuetOutbox
{
  GObject       parent_instance;

  /* Owned references */
  DuetClient   *client;
  DuetStore    *store;        /* NULL: nothing survives a restart */
  GListStore   *all;          /* DuetOutgoing, oldest first */
  GHashTable   *rooms;        /* room id → RoomQueue */
  GCancellable *cancellable;  /* every PUT; cancelled on dispose */

  /* Rows an earlier run left are on their way from the store: nothing is
   * sent meanwhile, so a new message cannot overtake an old one. */
  gboolean      loading;
  gboolean      loaded;
  guint         n_loaded;     /* restored messages sit before this run's */
  /* Restored messages wait for the first sync of this run: their echo may
   * have come while Duet was away (duet_outbox_hold_restored). */
  gboolean      holding;
  gint64        generation;   /* syncs noted with duet_outbox_note_synced */
};

G_DEFINE_FINAL_TYPE (DuetOutbox, duet_outbox, G_TYPE_OBJECT)

static void pump_room (DuetOutbox *self, RoomQueue *room);

static void
room_queue_free (RoomQueue *room)
{
  g_clear_handle_id (&room->retry_id, g_source_remove);
  g_clear_object (&room->in_flight);
  g_clear_object (&room->queue);
  g_free (room->room_id);
  g_free (room);
}

static RoomQueue *
ensure_room (DuetOutbox *self,
             const char *room_id)
{
  RoomQueue *room = g_hash_table_lookup (self->rooms, room_id);

  if (room == NULL)
    {
      room = g_new0 (RoomQueue, 1);
      room->outbox = self;
      room->room_id = g_strdup (room_id);
      room->queue = g_list_store_new (DUET_TYPE_OUTGOING);
      g_hash_table_insert (self->rooms, room->room_id, room);
    }
  return room;
}

static void
store_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) unused = user_data;
  gboolean ok;

  if (g_task_get_source_tag (G_TASK (result)) == duet_store_update_outgoing_async)
    ok = duet_store_update_outgoing_finish (DUET_STORE (object), result, &error);
  else
    ok = duet_store_remove_outgoing_finish (DUET_STORE (object), result, &error);
  /* The message itself is fine; only a restart would see the old row. */
  if (!ok)
    g_message ("Could not update the outbox in the local cache: %s", error->message);
}

static void
store_update (DuetOutbox   *self,
              DuetOutgoing *outgoing)
{
  if (self->store != NULL)
    duet_store_update_outgoing_async (self->store, outgoing->txn_id,
                                      outgoing->state == DUET_OUTGOING_FAILED,
                                      outgoing->error_message,
                                      outgoing->state == DUET_OUTGOING_SENT ? outgoing->event_id : NULL,
                                      store_done_cb, NULL);
}

/* Takes @outgoing out of the outbox, the lists and the store. */
static void
remove_outgoing (DuetOutbox   *self,
                 RoomQueue    *room,
                 DuetOutgoing *outgoing)
{
  /* The lists may hold the last references. */
  g_autoptr(DuetOutgoing) keep = g_object_ref (outgoing);
  guint position;

  outgoing->removed = TRUE;
  if (g_list_store_find (room->queue, outgoing, &position))
    {
      /* The head changes: its backoff was its own. */
      if (position == 0)
        {
          g_clear_handle_id (&room->retry_id, g_source_remove);
          room->failures = 0;
        }
      g_list_store_remove (room->queue, position);
    }
  if (g_list_store_find (self->all, outgoing, &position))
    g_list_store_remove (self->all, position);
  if (self->store != NULL)
    duet_store_remove_outgoing_async (self->store, outgoing->txn_id, store_done_cb, NULL);
}

/* A failure that says nothing against the message itself: the network, the
 * server's own trouble, a rate limit, a token to renew.  Anything else the
 * server said (4xx) is a refusal. */
static gboolean
is_passing_failure (const GError *error)
{
  guint status = 0;

  if (error->domain != DUET_API_ERROR)
    return TRUE;

  switch ((DuetApiError) error->code)
    {
    case DUET_API_ERROR_LIMIT_EXCEEDED:
    case DUET_API_ERROR_UNKNOWN_TOKEN:
    case DUET_API_ERROR_SOFT_LOGOUT:
    case DUET_API_ERROR_MISSING_TOKEN:
    case DUET_API_ERROR_NOT_SIGNED_IN:
      /* The answer was mangled on its way: a repeat under the same txnId
       * is harmless. */
    case DUET_API_ERROR_INVALID_RESPONSE:
    case DUET_API_ERROR_TOO_LARGE:
    case DUET_API_ERROR_TOO_DEEP:
      return TRUE;

    case DUET_API_ERROR_HTTP:
      /* A status without a Matrix body: 5xx (and 408) pass, other 4xx are
       * refusals.  The client names the status at the start of the text. */
      if (sscanf (error->message, "The server answered %u", &status) != 1)
        return TRUE;
      return status >= 500 || status == 408 || status == 429;

    default:
      return FALSE;
    }
}

static char *
error_text (const GError *error)
{
  g_autofree char *valid = g_utf8_make_valid (error->message, -1);

  if (strlen (valid) > MAX_ERROR_LENGTH)
    {
      const char *end = g_utf8_find_prev_char (valid, valid + MAX_ERROR_LENGTH + 1);

      valid[end != NULL ? end - valid : 0] = '\0';
    }
  return g_steal_pointer (&valid);
}

typedef struct {
  GWeakRef      outbox;
  DuetOutgoing *outgoing;
} SendData;

static void
send_data_free (SendData *data)
{
  g_weak_ref_clear (&data->outbox);
  g_clear_object (&data->outgoing);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SendData, send_data_free)

static gboolean
retry_cb (gpointer user_data)
{
  RoomQueue *room = user_data;

  room->retry_id = 0;
  pump_room (room->outbox, room);
  return G_SOURCE_REMOVE;
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(SendData) data = user_data;
  g_autoptr(DuetOutbox) self = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *event_id = NULL;
  DuetOutgoing *outgoing = data->outgoing;
  RoomQueue *room;

  event_id = duet_client_send_event_finish (DUET_CLIENT (object), result, &error);
  self = g_weak_ref_get (&data->outbox);
  if (self == NULL || self->rooms == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  room = g_hash_table_lookup (self->rooms, outgoing->room_id);
  g_assert (room != NULL && room->in_flight == outgoing);
  g_clear_object (&room->in_flight);

  if (event_id != NULL)
    {
      room->failures = 0;
      outgoing->sent_generation = self->generation;
      outgoing_set_event_id (outgoing, event_id);
      outgoing_set_error_message (outgoing, NULL);
      outgoing_set_state (outgoing, DUET_OUTGOING_SENT);
      /* Accepted: after a restart it waits for its echo, never goes again. */
      store_update (self, outgoing);
    }
  else if (outgoing->removed)
    {
      /* Its echo came first: it was delivered, whatever this says. */
    }
  else if (is_passing_failure (error))
    {
      g_autofree char *text = error_text (error);
      guint delay;

      room->failures++;
      delay = MAX (duet_client_next_backoff_ms (self->client, room->failures), MIN_RETRY_MS);
      g_debug ("Message %s not sent yet (%s); next try in %u ms", outgoing->txn_id, text, delay);
      outgoing_set_error_message (outgoing, text);
      outgoing_set_state (outgoing, DUET_OUTGOING_QUEUED);
      room->retry_id = g_timeout_add (delay, retry_cb, room);
      return;
    }
  else
    {
      g_autofree char *text = error_text (error);

      room->failures = 0;
      outgoing_set_error_message (outgoing, text);
      outgoing_set_state (outgoing, DUET_OUTGOING_FAILED);
      store_update (self, outgoing);
    }

  pump_room (self, room);
}

/* Sends the room's first message that is neither sent nor refused, when
 * nothing of the room is in flight or waiting out a backoff. */
static void
pump_room (DuetOutbox *self,
           RoomQueue  *room)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (room->queue));
  SendData *data;

  if (self->loading || room->in_flight != NULL || room->retry_id != 0)
    return;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DuetOutgoing) outgoing = g_list_model_get_item (G_LIST_MODEL (room->queue), i);

      if (outgoing->state == DUET_OUTGOING_SENT)
        continue;
      /* Its echo may be in the first sync: the room waits for it. */
      if (self->holding && outgoing->restored)
        return;
      /* A refused message holds back the ones behind it. */
      if (outgoing->state == DUET_OUTGOING_FAILED || !outgoing->stored)
        return;

      g_assert (outgoing->state == DUET_OUTGOING_QUEUED);
      room->in_flight = g_object_ref (outgoing);
      outgoing_set_state (outgoing, DUET_OUTGOING_SENDING);

      data = g_new0 (SendData, 1);
      g_weak_ref_init (&data->outbox, self);
      data->outgoing = g_object_ref (outgoing);
      duet_client_send_event_async (self->client, outgoing->room_id, outgoing->event_type,
                                    outgoing->txn_id, outgoing->content, self->cancellable,
                                    sent_cb, data);
      return;
    }
}

static void
pump_all (DuetOutbox *self)
{
  GHashTableIter iter;
  RoomQueue *room;

  g_hash_table_iter_init (&iter, self->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    pump_room (self, room);
}

/* Puts @outgoing into its room's queue and the list of all, at the end or,
 * for a restored one, after the other restored ones. */
static RoomQueue *
insert_outgoing (DuetOutbox   *self,
                 DuetOutgoing *outgoing,
                 gboolean      restored)
{
  RoomQueue *room = ensure_room (self, outgoing->room_id);

  if (restored)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (room->queue));
      guint position = 0;

      /* After this room's restored messages, before this run's. */
      while (position < n)
        {
          g_autoptr(DuetOutgoing) other = g_list_model_get_item (G_LIST_MODEL (room->queue), position);

          if (!other->restored)
            break;
          position++;
        }
      g_list_store_insert (room->queue, position, outgoing);
      g_list_store_insert (self->all, self->n_loaded++, outgoing);
    }
  else
    {
      g_list_store_append (room->queue, outgoing);
      g_list_store_append (self->all, outgoing);
    }
  return room;
}

static void
duet_outbox_dispose (GObject *object)
{
  DuetOutbox *self = DUET_OUTBOX (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->rooms, g_hash_table_unref);

  G_OBJECT_CLASS (duet_outbox_parent_class)->dispose (object);
}

static void
duet_outbox_finalize (GObject *object)
{
  DuetOutbox *self = DUET_OUTBOX (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->all);
  g_clear_object (&self->client);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (duet_outbox_parent_class)->finalize (object);
}

static void
duet_outbox_class_init (DuetOutboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = duet_outbox_dispose;
  object_class->finalize = duet_outbox_finalize;
}

static void
duet_outbox_init (DuetOutbox *self)
{
  self->all = g_list_store_new (DUET_TYPE_OUTGOING);
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) room_queue_free);
  self->cancellable = g_cancellable_new ();
}

DuetOutbox *
duet_outbox_new (DuetClient *client,
                 DuetStore  *store)
{
  DuetOutbox *self;

  g_return_val_if_fail (DUET_IS_CLIENT (client), NULL);
  g_return_val_if_fail (store == NULL || DUET_IS_STORE (store), NULL);

  self = g_object_new (DUET_TYPE_OUTBOX, NULL);
  self->client = g_object_ref (client);
  if (store != NULL)
    self->store = g_object_ref (store);
  return self;
}

/* Loading */

static void
listed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DuetOutbox *self = g_task_get_source_object (task);
  g_autoptr(GPtrArray) rows = NULL;
  GError *error = NULL;

  rows = duet_store_list_outgoing_finish (DUET_STORE (object), result, &error);
  self->loading = FALSE;
  if (rows == NULL)
    {
      /* A later load may read them yet. */
      self->loaded = FALSE;
      pump_all (self);
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < rows->len; i++)
    {
      DuetStoreOutgoing *row = g_ptr_array_index (rows, i);
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(DuetOutgoing) outgoing = NULL;
      gboolean known = FALSE;

      /* A message queued before the list was read is listed too. */
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (self->all)) && !known; j++)
        {
          g_autoptr(DuetOutgoing) other = g_list_model_get_item (G_LIST_MODEL (self->all), j);

          known = g_str_equal (other->txn_id, row->txn_id);
        }
      if (known || !duet_matrix_is_valid_room_id (row->room_id))
        continue;

      node = duet_json_parse (row->content, -1, DUET_STORE_MAX_OUTGOING_SIZE, NULL);
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        {
          g_message ("Dropping unreadable message %s from the outbox", row->txn_id);
          duet_store_remove_outgoing_async (self->store, row->txn_id, store_done_cb, NULL);
          continue;
        }

      outgoing = outgoing_new (row->room_id, row->txn_id, row->event_type,
                               json_node_get_object (node), MAX (row->created, 0));
      outgoing->stored = TRUE;
      outgoing->restored = TRUE;
      outgoing->error_message = g_strdup (row->error_message);
      outgoing->sent_generation = -1;
      if (row->event_id != NULL && duet_matrix_is_valid_event_id (row->event_id))
        {
          /* Accepted before: it only waits for its echo. */
          outgoing->event_id = g_strdup (row->event_id);
          outgoing->state = DUET_OUTGOING_SENT;
        }
      else
        outgoing->state = row->failed ? DUET_OUTGOING_FAILED : DUET_OUTGOING_QUEUED;
      insert_outgoing (self, outgoing, TRUE);
    }

  pump_all (self);
  g_task_return_boolean (task, TRUE);
}

void
duet_outbox_load_async (DuetOutbox          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DUET_IS_OUTBOX (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_outbox_load_async);

  if (self->store == NULL || self->loaded || self->loading)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  self->loaded = TRUE;
  self->loading = TRUE;
  duet_store_list_outgoing_async (self->store, listed_cb, g_steal_pointer (&task));
}

gboolean
duet_outbox_load_finish (DuetOutbox    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Sending */

typedef struct {
  DuetOutbox   *outbox;    /* owned */
  DuetOutgoing *outgoing;  /* owned */
} AddData;

static void
added_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  AddData *data = user_data;
  g_autoptr(GError) error = NULL;
  DuetOutbox *self = data->outbox;
  DuetOutgoing *outgoing = data->outgoing;
  RoomQueue *room;

  /* Unsaved, it is still worth sending: it just would not outlive a crash. */
  if (!duet_store_add_outgoing_finish (DUET_STORE (object), result, &error))
    g_message ("Could not save message %s in the outbox: %s", outgoing->txn_id, error->message);

  outgoing->stored = TRUE;
  room = self->rooms != NULL ? g_hash_table_lookup (self->rooms, outgoing->room_id) : NULL;
  if (room != NULL && !outgoing->removed)
    pump_room (self, room);

  g_object_unref (data->outbox);
  g_object_unref (data->outgoing);
  g_free (data);
}

static gsize
content_size (JsonObject *content)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), content);
  g_autofree char *text = json_to_string (node, FALSE);

  return strlen (text);
}

DuetOutgoing *
duet_outbox_send (DuetOutbox *self,
                  const char *room_id,
                  const char *event_type,
                  JsonObject *content)
{
  g_autofree char *txn_id = NULL;
  g_autoptr(DuetOutgoing) outgoing = NULL;
  RoomQueue *room;

  g_return_val_if_fail (DUET_IS_OUTBOX (self), NULL);
  g_return_val_if_fail (duet_matrix_is_valid_room_id (room_id), NULL);
  g_return_val_if_fail (event_type != NULL && *event_type != '\0', NULL);
  g_return_val_if_fail (content != NULL, NULL);

  txn_id = duet_client_new_txn_id (self->client);
  outgoing = outgoing_new (room_id, txn_id, event_type, content, g_get_real_time () / 1000);
  room = insert_outgoing (self, outgoing, FALSE);

  /* Homeservers refuse events over 64 KiB, and the store could not keep it
   * for a restart: say so now rather than send something unsaved. */
  if (content_size (outgoing->content) > DUET_STORE_MAX_OUTGOING_SIZE)
    {
      outgoing->stored = TRUE;
      outgoing_set_error_message (outgoing, _("This message is too long to send."));
      outgoing_set_state (outgoing, DUET_OUTGOING_FAILED);
      return outgoing;
    }

  if (self->store != NULL)
    {
      AddData *data = g_new0 (AddData, 1);

      data->outbox = g_object_ref (self);
      data->outgoing = g_object_ref (outgoing);
      duet_store_add_outgoing_async (self->store, room_id, txn_id, event_type, content,
                                     outgoing->created, added_cb, data);
    }
  else
    {
      outgoing->stored = TRUE;
      pump_room (self, room);
    }

  return outgoing;
}

DuetOutgoing *
duet_outbox_send_text (DuetOutbox *self,
                       const char *room_id,
                       const char *body,
                       gboolean    emote)
{
  g_autoptr(JsonObject) content = json_object_new ();

  g_return_val_if_fail (DUET_IS_OUTBOX (self), NULL);
  g_return_val_if_fail (body != NULL, NULL);

  json_object_set_string_member (content, "msgtype", emote ? "m.emote" : "m.text");
  json_object_set_string_member (content, "body", body);
  return duet_outbox_send (self, room_id, "m.room.message", content);
}

gboolean
duet_outbox_retry (DuetOutbox   *self,
                   DuetOutgoing *outgoing)
{
  RoomQueue *room;

  g_return_val_if_fail (DUET_IS_OUTBOX (self), FALSE);
  g_return_val_if_fail (DUET_IS_OUTGOING (outgoing), FALSE);

  room = g_hash_table_lookup (self->rooms, outgoing->room_id);
  if (room == NULL || outgoing->removed)
    return FALSE;

  /* Nothing about it has changed: it stays refused, reason shown. */
  if (content_size (outgoing->content) > DUET_STORE_MAX_OUTGOING_SIZE)
    return FALSE;

  if (outgoing->state == DUET_OUTGOING_FAILED)
    {
      /* The old reason goes first: whoever hears the state sees no stale text. */
      outgoing_set_error_message (outgoing, NULL);
      outgoing_set_state (outgoing, DUET_OUTGOING_QUEUED);
      store_update (self, outgoing);
    }
  else if (outgoing->state != DUET_OUTGOING_QUEUED || room->in_flight != NULL || room->retry_id == 0)
    /* Sent, on its way, or waiting behind another: nothing to hurry. */
    return FALSE;

  /* A queued head waiting out its backoff goes now. */
  g_clear_handle_id (&room->retry_id, g_source_remove);
  room->failures = 0;
  pump_room (self, room);
  return TRUE;
}

gboolean
duet_outbox_delete (DuetOutbox   *self,
                    DuetOutgoing *outgoing)
{
  RoomQueue *room;

  g_return_val_if_fail (DUET_IS_OUTBOX (self), FALSE);
  g_return_val_if_fail (DUET_IS_OUTGOING (outgoing), FALSE);

  room = g_hash_table_lookup (self->rooms, outgoing->room_id);
  if (room == NULL || outgoing->removed ||
      (outgoing->state != DUET_OUTGOING_QUEUED && outgoing->state != DUET_OUTGOING_FAILED))
    return FALSE;

  remove_outgoing (self, room, outgoing);
  pump_room (self, room);
  return TRUE;
}

GListModel *
duet_outbox_get_room_queue (DuetOutbox *self,
                            const char *room_id)
{
  RoomQueue *room;

  g_return_val_if_fail (DUET_IS_OUTBOX (self), NULL);
  g_return_val_if_fail (room_id != NULL, NULL);

  room = ensure_room (self, room_id);
  return G_LIST_MODEL (room->queue);
}

gboolean
duet_outbox_has_room_queue (DuetOutbox *self,
                            const char *room_id)
{
  g_return_val_if_fail (DUET_IS_OUTBOX (self), FALSE);
  g_return_val_if_fail (room_id != NULL, FALSE);

  return g_hash_table_contains (self->rooms, room_id);
}

GListModel *
duet_outbox_get_all (DuetOutbox *self)
{
  g_return_val_if_fail (DUET_IS_OUTBOX (self), NULL);
  return G_LIST_MODEL (self->all);
}

gboolean
duet_outbox_is_idle (DuetOutbox *self)
{
  guint n;

  g_return_val_if_fail (DUET_IS_OUTBOX (self), TRUE);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->all));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DuetOutgoing) outgoing = g_list_model_get_item (G_LIST_MODEL (self->all), i);

      if (outgoing->state == DUET_OUTGOING_QUEUED || outgoing->state == DUET_OUTGOING_SENDING)
        return FALSE;
    }
  return TRUE;
}

gboolean
duet_outbox_is_settled (DuetOutbox *self)
{
  GHashTableIter iter;
  RoomQueue *room;

  g_return_val_if_fail (DUET_IS_OUTBOX (self), TRUE);

  if (self->loading)
    return FALSE;

  g_hash_table_iter_init (&iter, self->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (room->queue));

      for (guint i = 0; i < n; i++)
        {
          g_autoptr(DuetOutgoing) outgoing = g_list_model_get_item (G_LIST_MODEL (room->queue), i);

          if (outgoing->state == DUET_OUTGOING_FAILED)
            break;  /* the rest wait for the user */
          if (outgoing->state != DUET_OUTGOING_SENT)
            return FALSE;
        }
    }
  return TRUE;
}

DuetOutgoing *
duet_outbox_take_echo (DuetOutbox *self,
                       const char *room_id,
                       JsonObject *event)
{
  RoomQueue *room;
  const char *txn_id, *event_id;
  guint n;

  g_return_val_if_fail (DUET_IS_OUTBOX (self), NULL);
  g_return_val_if_fail (room_id != NULL, NULL);

  if (event == NULL)
    return NULL;
  room = g_hash_table_lookup (self->rooms, room_id);
  if (room == NULL)
    return NULL;

  /* Only an event we sent can be the echo of one of ours: the server
   * vouches for the sender, not for what another user put in unsigned. */
  if (g_strcmp0 (duet_json_get_string (event, "sender"), duet_client_get_user_id (self->client)) != 0)
    return NULL;

  txn_id = duet_json_get_string (duet_json_get_object (event, "unsigned"), "transaction_id");
  event_id = duet_json_get_string (event, "event_id");
  if (txn_id == NULL && event_id == NULL)
    return NULL;

  n = g_list_model_get_n_items (G_LIST_MODEL (room->queue));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DuetOutgoing) outgoing = g_list_model_get_item (G_LIST_MODEL (room->queue), i);

      if ((txn_id == NULL || g_strcmp0 (outgoing->txn_id, txn_id) != 0) &&
          (event_id == NULL || g_strcmp0 (outgoing->event_id, event_id) != 0))
        continue;

      if (duet_matrix_is_valid_event_id (event_id))
        outgoing_set_event_id (outgoing, event_id);
      outgoing_set_error_message (outgoing, NULL);
      outgoing_set_state (outgoing, DUET_OUTGOING_SENT);
      remove_outgoing (self, room, outgoing);
      /* A later message of the room may have waited behind this one. */
      pump_room (self, room);
      return g_steal_pointer (&outgoing);
    }
  return NULL;
}

void
duet_outbox_hold_restored (DuetOutbox *self)
{
  g_return_if_fail (DUET_IS_OUTBOX (self));

  self->holding = TRUE;
}

void
duet_outbox_note_synced (DuetOutbox *self)
{
  g_return_if_fail (DUET_IS_OUTBOX (self));

  self->generation++;
  if (self->holding)
    {
      self->holding = FALSE;
      pump_all (self);
    }
}

void
duet_outbox_forget_sent (DuetOutbox *self,
                         const char *room_id)
{
  RoomQueue *room;
  guint i = 0;

  g_return_if_fail (DUET_IS_OUTBOX (self));
  g_return_if_fail (room_id != NULL);

  room = g_hash_table_lookup (self->rooms, room_id);
  if (room == NULL)
    return;

  while (i < g_list_model_get_n_items (G_LIST_MODEL (room->queue)))
    {
      g_autoptr(DuetOutgoing) outgoing = g_list_model_get_item (G_LIST_MODEL (room->queue), i);

      /* Accepted before the request of this sync went out: its event is
       * in the history the server left out, and will not come back. */
      if (outgoing->state == DUET_OUTGOING_SENT && outgoing->sent_generation < self->generation)
        remove_outgoing (self, room, outgoing);
      else
        i++;
    }
}
