/* duet-sync-loop.c: the /sync long-poll loop of one account
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One request at a time, from the stored since token.  Each reply is
 * handed up through ::response before the token moves, so a handler that
 * stores the batch with its token never leaves the token ahead of its data.
 * Failures are reported through ::error and retried with backoff for ever,
 * except those that no retry can mend (the token is gone).
 *
 * With streaming on, a reply is never held whole: its body is split as it
 * arrives (duet-json-stream.h) and each part goes out through
 * ::response-part, then ::response-end carries the token, or
 * ::response-aborted says the parts seen so far belong to a reply that
 * did not complete.
 */
#include "config.h"

#include "duet-client-private.h"
#include "duet-json.h"
#include "duet-sync-loop.h"

struct _DuetSyncLoop
{
  GObject        parent_instance;

  DuetClient    *client;
  char          *since;
  char          *filter;
  guint          timeout_ms;
  gboolean       streaming;
  /* A streamed reply has handed on parts and not ended yet. */
  gboolean       in_response;
  /* A handler of ::response-part refused its part (duet_sync_loop_refuse_part). */
  GError        *part_error;

  DuetSyncState  state;
  guint          failures;
  guint          retry_in_ms;
  GCancellable  *cancellable;
  guint          retry_source;
};

G_DEFINE_FINAL_TYPE (DuetSyncLoop, duet_sync_loop, G_TYPE_OBJECT)
G_DEFINE_ENUM_TYPE (DuetSyncState, duet_sync_state,
  G_DEFINE_ENUM_VALUE (DUET_SYNC_STATE_STOPPED, "stopped"),
  G_DEFINE_ENUM_VALUE (DUET_SYNC_STATE_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (DUET_SYNC_STATE_LIVE, "live"),
  G_DEFINE_ENUM_VALUE (DUET_SYNC_STATE_RETRYING, "retrying"))

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_SINCE,
  PROP_FILTER,
  PROP_TIMEOUT,
  PROP_STATE,
  PROP_RETRY_IN,
  N_PROPS
};

enum {
  SIGNAL_RESPONSE,
  SIGNAL_RESPONSE_PART,
  SIGNAL_RESPONSE_END,
  SIGNAL_RESPONSE_ABORTED,
  SIGNAL_ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void sync_once (DuetSyncLoop *self);

static void
set_state (DuetSyncLoop  *self,
           DuetSyncState  state,
           guint          retry_in_ms)
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

/* Errors that no retry can mend: the account has to sign in again. */
static gboolean
is_fatal (const GError *error)
{
  return g_error_matches (error, DUET_API_ERROR, DUET_API_ERROR_UNKNOWN_TOKEN) ||
         g_error_matches (error, DUET_API_ERROR, DUET_API_ERROR_SOFT_LOGOUT) ||
         g_error_matches (error, DUET_API_ERROR, DUET_API_ERROR_MISSING_TOKEN) ||
         g_error_matches (error, DUET_API_ERROR, DUET_API_ERROR_NOT_SIGNED_IN) ||
         g_error_matches (error, DUET_API_ERROR, DUET_API_ERROR_FORBIDDEN);
}

static gboolean
retry_cb (gpointer user_data)
{
  DuetSyncLoop *self = user_data;

  self->retry_source = 0;
  sync_once (self);
  return G_SOURCE_REMOVE;
}

/* What a request knows of its loop: a weak reference, so that dropping the
 * last reference to a running loop still disposes (and stops) it, and the
 * run it belongs to, so that a stop() and start() in a handler never leaves
 * two runs going. */
typedef struct {
  GWeakRef        loop;
  GCancellable   *run;
  /* Streamed requests only. */
  DuetJsonStream *stream;
  char           *next_batch;
} RequestOwner;

static void
request_owner_free (RequestOwner *owner)
{
  g_weak_ref_clear (&owner->loop);
  g_clear_object (&owner->run);
  g_clear_pointer (&owner->stream, duet_json_stream_free);
  g_free (owner->next_batch);
  g_free (owner);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RequestOwner, request_owner_free)

static gboolean
is_current_run (DuetSyncLoop *self,
                GCancellable *run)
{
  return self->cancellable == run && !g_cancellable_is_cancelled (run);
}

/* The parts seen of a streamed reply will not be followed by its end. */
static void
abort_response (DuetSyncLoop *self)
{
  if (!self->in_response)
    return;
  self->in_response = FALSE;
  g_signal_emit (self, signals[SIGNAL_RESPONSE_ABORTED], 0);
}

static void
handle_failure (DuetSyncLoop *self,
                RequestOwner *owner,
                GError       *error)
{
  guint delay;

  abort_response (self);

  if (is_fatal (error))
    {
      g_clear_object (&self->cancellable);
      set_state (self, DUET_SYNC_STATE_STOPPED, 0);
      g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
      return;
    }

  self->failures++;
  delay = duet_client_next_backoff_ms (self->client, self->failures);
  set_state (self, DUET_SYNC_STATE_RETRYING, delay);
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);

  if (is_current_run (self, owner->run) && self->retry_source == 0)
    self->retry_source = g_timeout_add (delay, retry_cb, self);
}

static gboolean
part_cb (const DuetJsonPart  *part,
         gpointer             user_data,
         GError             **error)
{
  RequestOwner *owner = user_data;
  g_autoptr(DuetSyncLoop) self = g_weak_ref_get (&owner->loop);

  /* Stopped by a handler of an earlier part: the rest is no one's. */
  if (self == NULL || !is_current_run (self, owner->run))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The sync loop stopped");
      return FALSE;
    }

  if (part->section == NULL && g_str_equal (part->name, "next_batch"))
    {
      g_autoptr(JsonNode) node = duet_json_part_parse (part, error);

      if (node == NULL)
        return FALSE;
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                               "The field “next_batch” is not a string");
          return FALSE;
        }
      g_free (owner->next_batch);
      owner->next_batch = g_strdup (json_node_get_string (node));
    }

  self->in_response = TRUE;
  g_clear_error (&self->part_error);
  g_signal_emit (self, signals[SIGNAL_RESPONSE_PART], 0, part);
  if (!is_current_run (self, owner->run))
    {
      g_clear_error (&self->part_error);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The sync loop stopped");
      return FALSE;
    }
  /* The whole reply fails, as an unreadable one does without streaming. */
  if (self->part_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->part_error));
      return FALSE;
    }
  return TRUE;
}

void
duet_sync_loop_refuse_part (DuetSyncLoop *self,
                            GError       *error)
{
  g_return_if_fail (DUET_IS_SYNC_LOOP (self));
  g_return_if_fail (error != NULL);

  if (self->part_error == NULL)
    self->part_error = error;
  else
    g_error_free (error);
}

static void
sync_stream_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(RequestOwner) owner = user_data;
  g_autoptr(DuetSyncLoop) self = g_weak_ref_get (&owner->loop);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) done = NULL;

  done = _duet_client_send_finish_raw (DUET_CLIENT (object), result, &error);

  /* Gone, stopped, or restarted meanwhile: stop() said the parts are void. */
  if (self == NULL || !is_current_run (self, owner->run))
    return;

  if (done != NULL && owner->next_batch == NULL)
    g_set_error_literal (&error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                         "The field “next_batch” is missing");
  if (error != NULL)
    {
      handle_failure (self, owner, error);
      return;
    }

  self->failures = 0;
  set_state (self, DUET_SYNC_STATE_LIVE, 0);
  self->in_response = FALSE;
  g_signal_emit (self, signals[SIGNAL_RESPONSE_END], 0, owner->next_batch);
  /* The token moves only after the handlers have taken the batch. */
  duet_sync_loop_set_since (self, owner->next_batch);
  if (is_current_run (self, owner->run))
    sync_once (self);
}

static void
sync_stream_once (DuetSyncLoop *self,
                  guint         timeout)
{
  g_autoptr(GHashTable) query = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  RequestOwner *owner = g_new0 (RequestOwner, 1);
  DuetRequest request = {
    .method = "GET",
    .path = "/_matrix/client/v3/sync",
    /* As duet_client_sync_async(): the loop retries by itself. */
    .flags = DUET_REQUEST_NONE,
    .max_size = DUET_CLIENT_MAX_SYNC_SIZE,
    .raw = TRUE,
  };

  if (self->since != NULL)
    g_hash_table_insert (query, "since", g_strdup (self->since));
  if (self->filter != NULL)
    g_hash_table_insert (query, "filter", g_strdup (self->filter));
  g_hash_table_insert (query, "timeout", g_strdup_printf ("%u", timeout));
  request.query = query;
  request.timeout_ms = duet_client_get_request_timeout (self->client) + timeout;

  g_weak_ref_init (&owner->loop, self);
  owner->run = g_object_ref (self->cancellable);
  owner->stream = duet_json_stream_new ("rooms", DUET_CLIENT_MAX_SYNC_SIZE, DUET_SYNC_LOOP_MAX_PART_SIZE,
                                        part_cb, owner);
  request.stream = owner->stream;
  _duet_client_send_async (self->client, &request, self->cancellable, sync_stream_cb, owner);
}

static void
sync_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(RequestOwner) owner = user_data;
  g_autoptr(DuetSyncLoop) self = g_weak_ref_get (&owner->loop);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) response = NULL;
  const char *next_batch;

  response = duet_client_sync_finish (DUET_CLIENT (object), result, &error);

  /* Gone, stopped, or restarted meanwhile: this reply is no one's. */
  if (self == NULL || !is_current_run (self, owner->run))
    return;

  if (response != NULL)
    {
      next_batch = json_object_get_string_member (response, "next_batch");
      /* The token moves only after the handlers have taken the batch. */
      g_autofree char *next = g_strdup (next_batch);

      self->failures = 0;
      set_state (self, DUET_SYNC_STATE_LIVE, 0);
      g_signal_emit (self, signals[SIGNAL_RESPONSE], 0, response);
      duet_sync_loop_set_since (self, next);
      if (is_current_run (self, owner->run))
        sync_once (self);
      return;
    }

  handle_failure (self, owner, error);
}

static void
sync_once (DuetSyncLoop *self)
{
  /* The first request of a fresh account answers at once: nothing to wait for. */
  guint timeout = self->since != NULL ? self->timeout_ms : 0;
  RequestOwner *owner;

  if (self->streaming)
    {
      sync_stream_once (self, timeout);
      return;
    }

  owner = g_new0 (RequestOwner, 1);

  g_weak_ref_init (&owner->loop, self);
  owner->run = g_object_ref (self->cancellable);
  duet_client_sync_async (self->client, self->since, self->filter, timeout,
                          self->cancellable, sync_cb, owner);
}

static void
duet_sync_loop_dispose (GObject *object)
{
  DuetSyncLoop *self = DUET_SYNC_LOOP (object);

  duet_sync_loop_stop (self);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (duet_sync_loop_parent_class)->dispose (object);
}

static void
duet_sync_loop_finalize (GObject *object)
{
  DuetSyncLoop *self = DUET_SYNC_LOOP (object);

  g_clear_pointer (&self->since, g_free);
  g_clear_pointer (&self->filter, g_free);

  g_clear_error (&self->part_error);
  G_OBJECT_CLASS (duet_sync_loop_parent_class)->finalize (object);
}

static void
duet_sync_loop_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  DuetSyncLoop *self = DUET_SYNC_LOOP (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_SINCE:
      g_value_set_string (value, self->since);
      break;
    case PROP_FILTER:
      g_value_set_string (value, self->filter);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout_ms);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_RETRY_IN:
      g_value_set_uint (value, self->retry_in_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_sync_loop_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  DuetSyncLoop *self = DUET_SYNC_LOOP (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_SINCE:
      duet_sync_loop_set_since (self, g_value_get_string (value));
      break;
    case PROP_FILTER:
      duet_sync_loop_set_filter (self, g_value_get_string (value));
      break;
    case PROP_TIMEOUT:
      duet_sync_loop_set_timeout (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_sync_loop_class_init (DuetSyncLoopClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = duet_sync_loop_dispose;
  object_class->finalize = duet_sync_loop_finalize;
  object_class->get_property = duet_sync_loop_get_property;
  object_class->set_property = duet_sync_loop_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, DUET_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SINCE] =
    g_param_spec_string ("since", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILTER] =
    g_param_spec_string ("filter", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 0, G_MAXUINT32 / 2, DUET_SYNC_LOOP_DEFAULT_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, DUET_TYPE_SYNC_STATE, DUET_SYNC_STATE_STOPPED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_IN] =
    g_param_spec_uint ("retry-in", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DuetSyncLoop::response:
   * @response: the reply, with next_batch checked to be a string
   *
   * Emitted for every successful /sync, before the since token moves.
   */
  signals[SIGNAL_RESPONSE] =
    g_signal_new ("response", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);

  /**
   * DuetSyncLoop::error:
   * @error: what went wrong
   *
   * Emitted for every failed /sync.  When the state is then "retrying" the
   * loop goes on by itself after retry-in ms; when "stopped", it needs the
   * account to sign in again.
   */
  /**
   * DuetSyncLoop::response-part:
   * @part: (type gpointer): a DuetJsonPart of the reply, valid during the emission
   *
   * Streaming only: one top-level member or one room of the reply, as its
   * bytes arrive.  The next_batch part is checked to be a string first.
   */
  signals[SIGNAL_RESPONSE_PART] =
    g_signal_new ("response-part", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);

  /**
   * DuetSyncLoop::response-end:
   * @next_batch: the reply's token
   *
   * Streaming only: the reply whose parts were handed on is complete and
   * valid; the since token moves to @next_batch after the emission.
   */
  signals[SIGNAL_RESPONSE_END] =
    g_signal_new ("response-end", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * DuetSyncLoop::response-aborted:
   *
   * Streaming only: the parts handed on since the last ::response-end
   * belong to a reply that failed or was cancelled (an ::error may follow);
   * the token stays, so the server sends them again.
   */
  signals[SIGNAL_RESPONSE_ABORTED] =
    g_signal_new ("response-aborted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
duet_sync_loop_init (DuetSyncLoop *self)
{
  self->timeout_ms = DUET_SYNC_LOOP_DEFAULT_TIMEOUT_MS;
  self->filter = duet_sync_loop_build_filter (DUET_SYNC_LOOP_DEFAULT_TIMELINE_LIMIT);
}

DuetSyncLoop *
duet_sync_loop_new (DuetClient *client)
{
  g_return_val_if_fail (DUET_IS_CLIENT (client), NULL);

  return g_object_new (DUET_TYPE_SYNC_LOOP, "client", client, NULL);
}

DuetClient *
duet_sync_loop_get_client (DuetSyncLoop *self)
{
  g_return_val_if_fail (DUET_IS_SYNC_LOOP (self), NULL);
  return self->client;
}

const char *
duet_sync_loop_get_since (DuetSyncLoop *self)
{
  g_return_val_if_fail (DUET_IS_SYNC_LOOP (self), NULL);
  return self->since;
}

void
duet_sync_loop_set_since (DuetSyncLoop *self,
                          const char   *since)
{
  g_return_if_fail (DUET_IS_SYNC_LOOP (self));

  if (g_strcmp0 (self->since, since) == 0)
    return;

  g_free (self->since);
  self->since = g_strdup (since);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SINCE]);
}

const char *
duet_sync_loop_get_filter (DuetSyncLoop *self)
{
  g_return_val_if_fail (DUET_IS_SYNC_LOOP (self), NULL);
  return self->filter;
}

void
duet_sync_loop_set_filter (DuetSyncLoop *self,
                           const char   *filter_json)
{
  g_return_if_fail (DUET_IS_SYNC_LOOP (self));

  if (g_strcmp0 (self->filter, filter_json) == 0)
    return;

  g_free (self->filter);
  self->filter = g_strdup (filter_json);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER]);
}

guint
duet_sync_loop_get_timeout (DuetSyncLoop *self)
{
  g_return_val_if_fail (DUET_IS_SYNC_LOOP (self), 0);
  return self->timeout_ms;
}

void
duet_sync_loop_set_timeout (DuetSyncLoop *self,
                            guint         timeout_ms)
{
  g_return_if_fail (DUET_IS_SYNC_LOOP (self));

  if (self->timeout_ms == timeout_ms)
    return;

  self->timeout_ms = timeout_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

DuetSyncState
duet_sync_loop_get_state (DuetSyncLoop *self)
{
  g_return_val_if_fail (DUET_IS_SYNC_LOOP (self), DUET_SYNC_STATE_STOPPED);
  return self->state;
}

guint
duet_sync_loop_get_retry_in (DuetSyncLoop *self)
{
  g_return_val_if_fail (DUET_IS_SYNC_LOOP (self), 0);
  return self->retry_in_ms;
}

void
duet_sync_loop_start (DuetSyncLoop *self)
{
  g_return_if_fail (DUET_IS_SYNC_LOOP (self));

  if (self->state != DUET_SYNC_STATE_STOPPED)
    return;

  self->failures = 0;
  self->cancellable = g_cancellable_new ();
  set_state (self, DUET_SYNC_STATE_CONNECTING, 0);
  sync_once (self);
}

void
duet_sync_loop_stop (DuetSyncLoop *self)
{
  g_return_if_fail (DUET_IS_SYNC_LOOP (self));

  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  set_state (self, DUET_SYNC_STATE_STOPPED, 0);
  abort_response (self);
}

void
duet_sync_loop_set_streaming (DuetSyncLoop *self,
                              gboolean      streaming)
{
  g_return_if_fail (DUET_IS_SYNC_LOOP (self));
  g_return_if_fail (self->state == DUET_SYNC_STATE_STOPPED);

  self->streaming = !!streaming;
}

gboolean
duet_sync_loop_get_streaming (DuetSyncLoop *self)
{
  g_return_val_if_fail (DUET_IS_SYNC_LOOP (self), FALSE);
  return self->streaming;
}

char *
duet_sync_loop_build_filter (guint timeline_limit)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  /* What a DM client draws its list from, and no more: no presence, only
   * receipts and typing as ephemeral events, members only as far as the
   * timeline needs them (the rest on demand, GET /members), none of the
   * state that can be large and that Duet never shows (space children,
   * widgets, server ACLs). */
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "presence");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "not_types");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "*");
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "room");
  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "state");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "lazy_load_members");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "not_types");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "m.space.child");
  json_builder_add_string_value (builder, "m.room.server_acl");
  json_builder_add_string_value (builder, "im.vector.modular.widgets");
  json_builder_add_string_value (builder, "m.room.pinned_events");
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "ephemeral");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "types");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "m.receipt");
  json_builder_add_string_value (builder, "m.typing");
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "timeline");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "limit");
  json_builder_add_int_value (builder, timeline_limit);
  json_builder_set_member_name (builder, "lazy_load_members");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);

  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return duet_json_to_string (root);
}
