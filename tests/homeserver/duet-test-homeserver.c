/* duet-test-homeserver.c: the object, its public API, request entry and faults
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "duet-test-homeserver-private.h"

#include <string.h>

G_DEFINE_TYPE (DuetTestHomeserver, duet_test_homeserver, G_TYPE_OBJECT)

G_DEFINE_QUARK (duet-test-homeserver-error-quark, hs_error)

static const struct {
  guint       status;
  const char *errcode;
} hs_error_table[] = {
  [HS_ERROR_FORBIDDEN] = { 403, "M_FORBIDDEN" },
  [HS_ERROR_NOT_FOUND] = { 404, "M_NOT_FOUND" },
  [HS_ERROR_BAD_JSON] = { 400, "M_BAD_JSON" },
  [HS_ERROR_NOT_JSON] = { 400, "M_NOT_JSON" },
  [HS_ERROR_INVALID_PARAM] = { 400, "M_INVALID_PARAM" },
  [HS_ERROR_MISSING_PARAM] = { 400, "M_MISSING_PARAM" },
  [HS_ERROR_ROOM_IN_USE] = { 400, "M_ROOM_IN_USE" },
  [HS_ERROR_UNSUPPORTED_ROOM_VERSION] = { 400, "M_UNSUPPORTED_ROOM_VERSION" },
};

static const char * const default_versions[] = {
  "r0.6.1", "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6",
  "v1.7", "v1.8", "v1.9", "v1.10", "v1.11", NULL
};

static void run_request (HsRequest *req);

/* Helpers shared by every file */

char *
hs_random_string (guint length)
{
  static const char alphabet[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  GString *s = g_string_sized_new (length);

  for (guint i = 0; i < length; i++)
    g_string_append_c (s, alphabet[g_random_int_range (0, sizeof alphabet - 1)]);
  return g_string_free (s, FALSE);
}

static JsonNode *
json_node_deep_copy (JsonNode *node)
{
  JsonNode *copy;

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      copy = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (copy, hs_json_object_copy (json_node_get_object (node)));
      return copy;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        JsonArray *new_array = json_array_sized_new (json_array_get_length (array));

        for (guint i = 0; i < json_array_get_length (array); i++)
          json_array_add_element (new_array,
                                  json_node_deep_copy (json_array_get_element (array, i)));
        copy = json_node_new (JSON_NODE_ARRAY);
        json_node_take_array (copy, new_array);
        return copy;
      }

    case JSON_NODE_VALUE:
    case JSON_NODE_NULL:
    default:
      return json_node_copy (node);
    }
}

/* json_node_copy() shares nested containers; stored state must not change
 * when a test mutates the object it passed in (or got back), so copy deeply. */
JsonObject *
hs_json_object_copy (JsonObject *object)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &node))
    json_object_set_member (copy, name, json_node_deep_copy (node));
  return copy;
}

/* Typed member getters that answer NULL (or the default) for a missing
 * member or one of another type: json-glib's own getters warn then, and
 * request bodies and event contents come from clients. */
static JsonNode *
member_of_type (JsonObject   *object,
                const char   *name,
                JsonNodeType  type,
                GType         value_type)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || JSON_NODE_TYPE (node) != type)
    return NULL;
  if (type == JSON_NODE_VALUE && json_node_get_value_type (node) != value_type)
    return NULL;
  return node;
}

JsonObject *
hs_json_get_object (JsonObject *object,
                    const char *name)
{
  JsonNode *node = member_of_type (object, name, JSON_NODE_OBJECT, G_TYPE_INVALID);

  return node != NULL ? json_node_get_object (node) : NULL;
}

JsonArray *
hs_json_get_array (JsonObject *object,
                   const char *name)
{
  JsonNode *node = member_of_type (object, name, JSON_NODE_ARRAY, G_TYPE_INVALID);

  return node != NULL ? json_node_get_array (node) : NULL;
}

const char *
hs_json_get_string (JsonObject *object,
                    const char *name)
{
  JsonNode *node = member_of_type (object, name, JSON_NODE_VALUE, G_TYPE_STRING);

  return node != NULL ? json_node_get_string (node) : NULL;
}

gint64
hs_json_get_int (JsonObject *object,
                 const char *name,
                 gint64      default_value)
{
  JsonNode *node = member_of_type (object, name, JSON_NODE_VALUE, G_TYPE_INT64);

  return node != NULL ? json_node_get_int (node) : default_value;
}

gboolean
hs_json_get_bool (JsonObject *object,
                  const char *name,
                  gboolean    default_value)
{
  JsonNode *node = member_of_type (object, name, JSON_NODE_VALUE, G_TYPE_BOOLEAN);

  return node != NULL ? json_node_get_boolean (node) : default_value;
}

gboolean
hs_is_user_id (const char *user_id)
{
  const char *colon;

  if (user_id == NULL || user_id[0] != '@')
    return FALSE;
  colon = strchr (user_id, ':');
  return colon != NULL && colon > user_id + 1 && colon[1] != '\0';
}

/* Answering */

/* soup_server_message_set_response() appends to the body, so a request that
 * gets a second answer (a long-poll woken up) must start from empty. */
void
hs_request_respond_raw (HsRequest     *req,
                        guint          status,
                        const char    *content_type,
                        gconstpointer  data,
                        gsize          size)
{
  soup_message_body_truncate (soup_server_message_get_response_body (req->msg));
  soup_server_message_set_status (req->msg, status, NULL);
  soup_server_message_set_response (req->msg, content_type, SOUP_MEMORY_COPY, data, size);
}

GBytes *
hs_json_text (DuetTestHomeserver *self,
              JsonNode           *node)
{
  g_autofree char *generated = json_to_string (node, FALSE);
  g_autoptr(GByteArray) text = g_byte_array_new ();
  const char *p = generated;
  const char *quote;

  /* Placeholders are ASCII and never escaped; the text put in their place
   * may hold any byte, NUL too, so the generated text is read, never the
   * result. */
  while ((quote = strchr (p, '"')) != NULL)
    {
      const char *close = strchr (quote + 1, '"');
      g_autofree char *name = NULL;
      GBytes *raw;

      if (close == NULL)
        break;
      name = g_strndup (quote + 1, close - quote - 1);
      raw = g_hash_table_lookup (self->raw_strings, name);
      if (raw == NULL)
        {
          /* Not a placeholder: this string ends at its closing quote, or
           * at an escaped one. */
          const char *next = quote + 1;

          while (*next != '\0' && *next != '"')
            next += next[0] == '\\' && next[1] != '\0' ? 2 : 1;
          if (*next == '\0')
            break;
          g_byte_array_append (text, (const guint8 *) p, next + 1 - p);
          p = next + 1;
          continue;
        }
      g_byte_array_append (text, (const guint8 *) p, quote - p);
      g_byte_array_append (text, g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));
      p = close + 1;
    }
  g_byte_array_append (text, (const guint8 *) p, strlen (p));
  return g_byte_array_free_to_bytes (g_steal_pointer (&text));
}

void
hs_request_respond_json (HsRequest  *req,
                         guint       status,
                         JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(GBytes) text = NULL;

  json_node_set_object (node, object);
  text = hs_json_text (req->self, node);
  hs_request_respond_raw (req, status, "application/json",
                          g_bytes_get_data (text, NULL), g_bytes_get_size (text));
}

void
hs_request_respond_error (HsRequest  *req,
                          guint       status,
                          const char *errcode,
                          const char *format,
                          ...)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  json_object_set_string_member (body, "errcode", errcode);
  json_object_set_string_member (body, "error", message);
  hs_request_respond_json (req, status, body);
}

void
hs_request_respond_gerror (HsRequest    *req,
                           const GError *error)
{
  if (error->domain == HS_ERROR && (guint) error->code < G_N_ELEMENTS (hs_error_table))
    hs_request_respond_error (req, hs_error_table[error->code].status,
                              hs_error_table[error->code].errcode, "%s", error->message);
  else
    hs_request_respond_error (req, 500, "M_UNKNOWN", "%s", error->message);
}

/* Request life cycle */

static void
hs_request_free (HsRequest *req)
{
  g_clear_handle_id (&req->timeout_id, g_source_remove);
  g_clear_pointer (&req->trickle_body, g_bytes_unref);
  g_clear_object (&req->msg);
  g_free (req->method);
  g_free (req->path);
  g_strfreev (req->segs);
  g_clear_pointer (&req->query, g_hash_table_unref);
  g_clear_pointer (&req->body, json_node_unref);
  g_free (req);
}

/* Split the raw (still percent-encoded) path on '/' before decoding, so
 * that an encoded "/" inside a state key or an id stays inside its segment. */
static gboolean
hs_request_parse_path (HsRequest  *req,
                       const char *raw_path)
{
  g_auto(GStrv) raw = g_strsplit (raw_path[0] == '/' ? raw_path + 1 : raw_path, "/", -1);
  guint n = g_strv_length (raw);

  req->segs = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    {
      req->segs[i] = g_uri_unescape_string (raw[i], NULL);
      if (req->segs[i] == NULL)
        return FALSE;
      req->n_segs++;
    }
  req->path = g_uri_unescape_string (raw_path, NULL);
  return req->path != NULL;
}

static HsRequest *
hs_request_new (DuetTestHomeserver *self,
                SoupServerMessage  *msg,
                gboolean           *path_ok)
{
  HsRequest *req = g_new0 (HsRequest, 1);
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (uri);

  req->self = self;
  req->msg = g_object_ref (msg);
  req->method = g_strdup (soup_server_message_get_method (msg));
  if (query != NULL)
    req->query = soup_form_decode (query);
  if (!self->keep_alive)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
  *path_ok = hs_request_parse_path (req, g_uri_get_path (uri));
  if (req->path == NULL)
    req->path = g_strdup (g_uri_get_path (uri));
  return req;
}

static void
hs_request_pause (HsRequest *req)
{
  if (!req->paused)
    soup_server_message_pause (req->msg);
  req->paused = TRUE;
}

/* Keep the request alive after its handler returned: the answer comes later
 * from a timeout, a sync wake-up or a fault. */
void
hs_request_park (HsRequest *req)
{
  hs_request_pause (req);
  if (!req->parked)
    req->self->pending = g_list_prepend (req->self->pending, req);
  req->parked = TRUE;
}

static void
hs_request_drop_connection (HsRequest *req)
{
  g_autoptr(GIOStream) stream = soup_server_message_steal_connection (req->msg);

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

/* Send (or, for DROP_AFTER, throw away) the answer of a request whose
 * handler has run, and free it. */
static void
hs_request_finish (HsRequest *req)
{
  if (req->drop_after)
    hs_request_drop_connection (req);
  else if (req->paused)
    soup_server_message_unpause (req->msg);
  hs_request_free (req);
}

void
hs_request_complete (HsRequest *req)
{
  if (req->parked)
    req->self->pending = g_list_remove (req->self->pending, req);
  req->parked = FALSE;
  req->waiting_sync = FALSE;
  g_clear_handle_id (&req->timeout_id, g_source_remove);
  hs_request_finish (req);
}

/* Faults */

static void
hs_fault_free (gpointer data)
{
  HsFault *fault = data;

  g_free (fault->method);
  g_free (fault->path_prefix);
  g_free (fault->body);
  g_free (fault);
}

static char *
dup_body (const char *body,
          gsize       length)
{
  char *copy = g_malloc (length + 1);

  memcpy (copy, body, length);
  copy[length] = '\0';
  return copy;
}

/* The first queued fault that matches, with one use taken; the caller owns a
 * copy so that the queue can drop exhausted entries right away.  A fault
 * still skipping counts every matching request, taken by another or not. */
static HsFault *
hs_take_fault (DuetTestHomeserver *self,
               HsRequest          *req)
{
  const char *raw_path = g_uri_get_path (soup_server_message_get_uri (req->msg));
  HsFault *copy = NULL;
  GList *next;

  for (GList *l = self->faults.head; l != NULL; l = next)
    {
      HsFault *fault = l->data;

      next = l->next;
      if (fault->method != NULL && g_strcmp0 (fault->method, req->method) != 0)
        continue;
      if (!g_str_has_prefix (req->path, fault->path_prefix) &&
          !g_str_has_prefix (raw_path, fault->path_prefix))
        continue;
      if (fault->skip > 0)
        {
          fault->skip--;
          continue;
        }
      if (copy != NULL)
        continue;

      copy = g_memdup2 (fault, sizeof *fault);
      copy->method = g_strdup (fault->method);
      copy->path_prefix = g_strdup (fault->path_prefix);
      copy->body = fault->body != NULL ? dup_body (fault->body, fault->body_length) : NULL;
      if (--fault->remaining == 0)
        {
          g_queue_delete_link (&self->faults, l);
          hs_fault_free (fault);
        }
    }
  if (copy != NULL)
    self->faults_applied++;
  return copy;
}

static const char *
errcode_for_status (guint status)
{
  switch (status)
    {
    case 400: return "M_BAD_JSON";
    case 401: return "M_UNKNOWN_TOKEN";
    case 403: return "M_FORBIDDEN";
    case 404: return "M_NOT_FOUND";
    case 429: return "M_LIMIT_EXCEEDED";
    default: return "M_UNKNOWN";
    }
}

static gboolean
hang_done_cb (gpointer data)
{
  HsRequest *req = data;

  req->timeout_id = 0;
  req->self->pending = g_list_remove (req->self->pending, req);
  req->parked = FALSE;
  run_request (req);
  return G_SOURCE_REMOVE;
}

static gboolean
drop_cb (gpointer data)
{
  HsRequest *req = data;

  req->timeout_id = 0;
  req->drop_after = TRUE;
  hs_request_complete (req);
  return G_SOURCE_REMOVE;
}

#define TRICKLE_PIECES 8

static gboolean
trickle_cb (gpointer data)
{
  HsRequest *req = data;
  SoupMessageBody *body = soup_server_message_get_response_body (req->msg);
  gsize size = g_bytes_get_size (req->trickle_body);
  gsize piece = MIN (MAX (1, (size + TRICKLE_PIECES - 1) / TRICKLE_PIECES), size - req->trickle_sent);

  if (piece > 0)
    soup_message_body_append (body, SOUP_MEMORY_COPY,
                              (const char *) g_bytes_get_data (req->trickle_body, NULL) + req->trickle_sent,
                              piece);
  req->trickle_sent += piece;
  if (req->trickle_sent < size)
    {
      soup_server_message_unpause (req->msg);
      req->paused = FALSE;
      return G_SOURCE_CONTINUE;
    }
  soup_message_body_complete (body);
  req->timeout_id = 0;
  /* libsoup paused the answer when it ran out of pieces. */
  req->paused = TRUE;
  hs_request_complete (req);
  return G_SOURCE_REMOVE;
}

/* The answer the handler gave goes out in pieces, as over a slow link. */
static void
hs_request_start_trickle (HsRequest *req)
{
  SoupMessageBody *body = soup_server_message_get_response_body (req->msg);

  req->trickle_body = soup_message_body_flatten (body);
  soup_message_body_truncate (body);
  soup_message_headers_set_encoding (soup_server_message_get_response_headers (req->msg),
                                     SOUP_ENCODING_CHUNKED);
  hs_request_park (req);
  /* The headers and the first piece at once, then a piece at a time. */
  if (trickle_cb (req) == G_SOURCE_CONTINUE)
    req->timeout_id = g_timeout_add (req->trickle_ms, trickle_cb, req);
}

/* Returns TRUE when the fault has taken over the request. */
static gboolean
hs_apply_fault (HsRequest *req,
                HsFault   *fault)
{
  g_autoptr(JsonObject) body = NULL;

  switch (fault->kind)
    {
    case DUET_FAULT_STATUS:
      if (fault->body != NULL)
        {
          hs_request_respond_raw (req, fault->status, "application/json",
                                  fault->body, fault->body_length);
        }
      else
        hs_request_respond_error (req, fault->status, errcode_for_status (fault->status),
                                  "Injected fault");
      return TRUE;

    case DUET_FAULT_BODY:
      hs_request_respond_raw (req, fault->status ? fault->status : 200, "application/json",
                              fault->body ? fault->body : "", fault->body_length);
      return TRUE;

    case DUET_FAULT_RATE_LIMIT:
      body = json_object_new ();
      json_object_set_string_member (body, "errcode", "M_LIMIT_EXCEEDED");
      json_object_set_string_member (body, "error", "Too many requests (injected)");
      json_object_set_int_member (body, "retry_after_ms", fault->delay_ms);
      hs_request_respond_json (req, 429, body);
      return TRUE;

    case DUET_FAULT_RETRY_AFTER:
      {
        g_autofree char *seconds = g_strdup_printf ("%u", fault->delay_ms / 1000);

        soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                      "Retry-After", seconds);
        hs_request_respond_error (req, 429, "M_LIMIT_EXCEEDED", "Too many requests (injected)");
        return TRUE;
      }

    case DUET_FAULT_DROP:
      /* Steal the connection outside the handler, where libsoup no longer
       * looks at the message. */
      hs_request_park (req);
      req->timeout_id = g_idle_add (drop_cb, req);
      return TRUE;

    case DUET_FAULT_DROP_AFTER:
      req->drop_after = TRUE;
      return FALSE;

    case DUET_FAULT_TRICKLE:
      req->trickle_ms = MAX (1, fault->delay_ms);
      return FALSE;

    case DUET_FAULT_HANG:
      hs_request_park (req);
      req->timeout_id = g_timeout_add (fault->delay_ms, hang_done_cb, req);
      return TRUE;

    default:
      g_assert_not_reached ();
    }
}

static void
run_request (HsRequest *req)
{
  hs_dispatch (req);
  if (req->parked)
    return;
  if (req->drop_after)
    {
      /* The effect has happened; lose the answer, as a dying proxy would. */
      hs_request_park (req);
      req->timeout_id = g_idle_add (drop_cb, req);
      return;
    }
  if (req->trickle_ms != 0)
    {
      hs_request_start_trickle (req);
      return;
    }
  hs_request_finish (req);
}

static void
hs_count_request (DuetTestHomeserver *self,
                  HsRequest          *req)
{
  char *key = g_strdup_printf ("%s %s", req->method, req->path);
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->counts, key));

  g_hash_table_insert (self->counts, key, GUINT_TO_POINTER (count + 1));
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  DuetTestHomeserver *self = user_data;
  gboolean path_ok;
  HsRequest *req = hs_request_new (self, msg, &path_ok);
  g_autofree HsFault *fault = NULL;

  hs_count_request (self, req);

  fault = hs_take_fault (self, req);
  if (fault != NULL)
    {
      gboolean taken = hs_apply_fault (req, fault);

      g_free (fault->method);
      g_free (fault->path_prefix);
      g_free (fault->body);
      if (taken)
        {
          if (!req->parked)
            hs_request_free (req);
          return;
        }
    }

  if (!path_ok)
    {
      hs_request_respond_error (req, 400, "M_UNRECOGNIZED", "Invalid percent-encoding in path");
      hs_request_free (req);
      return;
    }

  run_request (req);
}

/* Every change of the global stream comes through here, so that long-polling
 * /sync requests get a look at it once the current operation is complete. */
static gboolean
wake_cb (gpointer data)
{
  DuetTestHomeserver *self = data;

  self->wake_id = 0;
  hs_wake_sync_waiters (self);
  return G_SOURCE_REMOVE;
}

void
hs_stream_changed (DuetTestHomeserver *self)
{
  if (self->wake_id == 0 && self->pending != NULL)
    self->wake_id = g_idle_add (wake_cb, self);
}

/* GObject */

static void
duet_test_homeserver_dispose (GObject *object)
{
  DuetTestHomeserver *self = DUET_TEST_HOMESERVER (object);

  /* Close the connections first, then drop our references to the paused
   * messages: nothing can be answered any more. */
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  while (self->pending != NULL)
    {
      HsRequest *req = self->pending->data;

      self->pending = g_list_delete_link (self->pending, self->pending);
      hs_request_free (req);
    }
  g_list_free_full (g_steal_pointer (&self->bot_tasks), hs_bot_task_free);
  g_clear_handle_id (&self->wake_id, g_source_remove);
  g_clear_object (&self->soup);
  /* Rooms own typing timeouts. */
  g_hash_table_remove_all (self->rooms);

  G_OBJECT_CLASS (duet_test_homeserver_parent_class)->dispose (object);
}

static void
duet_test_homeserver_finalize (GObject *object)
{
  DuetTestHomeserver *self = DUET_TEST_HOMESERVER (object);

  g_free (self->url);
  g_hash_table_unref (self->users);
  g_hash_table_unref (self->tokens);
  g_hash_table_unref (self->rooms);
  g_hash_table_unref (self->aliases);
  g_hash_table_unref (self->media);
  g_hash_table_unref (self->txns);
  g_hash_table_unref (self->filters);
  g_hash_table_unref (self->counts);
  g_hash_table_unref (self->bots);
  g_hash_table_unref (self->raw_strings);
  g_queue_clear_full (&self->faults, hs_fault_free);
  g_strfreev (self->versions);
  g_free (self->well_known);

  G_OBJECT_CLASS (duet_test_homeserver_parent_class)->finalize (object);
}

static void
duet_test_homeserver_class_init (DuetTestHomeserverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = duet_test_homeserver_dispose;
  object_class->finalize = duet_test_homeserver_finalize;
}

static void
duet_test_homeserver_init (DuetTestHomeserver *self)
{
  self->users = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, hs_user_free);
  self->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, hs_token_free);
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, hs_room_free);
  self->aliases = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->media = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, hs_media_free);
  self->txns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->filters = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->bots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->raw_strings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  g_queue_init (&self->faults);
  self->authenticated_media = TRUE;
  self->versions = g_strdupv ((char **) default_versions);
}

/* Public API */

DuetTestHomeserver *
duet_test_homeserver_new (guint    port,
                          GError **error)
{
  g_autoptr(DuetTestHomeserver) self = g_object_new (DUET_TYPE_TEST_HOMESERVER, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  GSList *uris;

  self->soup = soup_server_new ("server-header", "duet-test-homeserver", NULL);
  soup_server_add_handler (self->soup, NULL, server_cb, self, NULL);
  if (!soup_server_listen (self->soup, address, 0, error))
    return NULL;

  uris = soup_server_get_uris (self->soup);
  g_assert (uris != NULL);
  self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  self->url = g_strdup_printf ("http://127.0.0.1:%u", self->port);

  return g_steal_pointer (&self);
}

const char *
duet_test_homeserver_get_url (DuetTestHomeserver *self)
{
  g_return_val_if_fail (DUET_IS_TEST_HOMESERVER (self), NULL);
  return self->url;
}

guint
duet_test_homeserver_get_port (DuetTestHomeserver *self)
{
  g_return_val_if_fail (DUET_IS_TEST_HOMESERVER (self), 0);
  return self->port;
}

const char *
duet_test_homeserver_get_server_name (DuetTestHomeserver *self)
{
  return HS_SERVER_NAME;
}

char *
duet_test_homeserver_add_user (DuetTestHomeserver *self,
                               const char         *localpart,
                               const char         *password,
                               const char         *display_name)
{
  HsUser *user;

  g_return_val_if_fail (DUET_IS_TEST_HOMESERVER (self), NULL);
  g_return_val_if_fail (localpart != NULL, NULL);

  user = hs_add_user (self, localpart, password, display_name);
  return g_strdup (user->user_id);
}

char *
duet_test_homeserver_login_token (DuetTestHomeserver *self,
                                  const char         *user_id,
                                  const char         *device_id)
{
  g_return_val_if_fail (DUET_IS_TEST_HOMESERVER (self), NULL);
  g_return_val_if_fail (g_hash_table_contains (self->users, user_id), NULL);

  return g_strdup (hs_new_token (self, user_id, device_id)->token);
}

void
duet_test_homeserver_expire_tokens (DuetTestHomeserver *self,
                                    const char         *user_id,
                                    gboolean            soft)
{
  GHashTableIter iter;
  HsToken *token;

  g_return_if_fail (DUET_IS_TEST_HOMESERVER (self));

  g_hash_table_iter_init (&iter, self->tokens);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &token))
    {
      if (g_strcmp0 (token->user_id, user_id) != 0 || !token->valid)
        continue;
      token->valid = FALSE;
      token->soft_logout = soft;
    }
  /* Long-polling syncs of that user answer 401 now. */
  hs_stream_changed (self);
}

static HsRoom *
lookup_room_or_warn (DuetTestHomeserver *self,
                     const char         *room_id)
{
  HsRoom *room = hs_lookup_room (self, room_id);

  if (room == NULL)
    g_warning ("Test homeserver: no room %s", room_id);
  return room;
}

/* A test acting through the C API expects success: say loudly when not.
 * @error is a pointer so that it is read after the call that sets it. */
static gboolean
check_op (gboolean   ok,
          GError   **error)
{
  if (!ok)
    {
      g_warning ("Test homeserver: %s", (*error)->message);
      g_clear_error (error);
    }
  return ok;
}

char *
duet_test_homeserver_create_room (DuetTestHomeserver *self,
                                  const char         *creator,
                                  const char         *preset,
                                  const char * const *invite,
                                  gboolean            is_direct)
{
  g_autoptr(JsonObject) request = json_object_new ();
  JsonArray *invites = json_array_new ();
  GError *error = NULL;
  HsRoom *room;

  g_return_val_if_fail (DUET_IS_TEST_HOMESERVER (self), NULL);

  for (guint i = 0; invite != NULL && invite[i] != NULL; i++)
    json_array_add_string_element (invites, invite[i]);
  json_object_set_array_member (request, "invite", invites);
  if (preset != NULL)
    json_object_set_string_member (request, "preset", preset);
  json_object_set_boolean_member (request, "is_direct", is_direct);

  room = hs_create_room (self, creator, request, &error);
  if (!check_op (room != NULL, &error))
    return NULL;
  return g_strdup (room->room_id);
}

void
duet_test_homeserver_invite (DuetTestHomeserver *self,
                             const char         *room_id,
                             const char         *sender,
                             const char         *user_id,
                             gboolean            is_direct)
{
  HsRoom *room = lookup_room_or_warn (self, room_id);
  GError *error = NULL;

  if (room != NULL)
    check_op (hs_invite (self, room, sender, user_id, is_direct, NULL, &error), &error);
}

void
duet_test_homeserver_join (DuetTestHomeserver *self,
                           const char         *room_id,
                           const char         *user_id)
{
  HsRoom *room = lookup_room_or_warn (self, room_id);
  GError *error = NULL;

  if (room != NULL)
    check_op (hs_join (self, room, user_id, &error), &error);
}

void
duet_test_homeserver_leave (DuetTestHomeserver *self,
                            const char         *room_id,
                            const char         *user_id)
{
  HsRoom *room = lookup_room_or_warn (self, room_id);
  GError *error = NULL;

  if (room != NULL)
    check_op (hs_leave (self, room, user_id, &error), &error);
}

char *
duet_test_homeserver_send_event (DuetTestHomeserver *self,
                                 const char         *room_id,
                                 const char         *sender,
                                 const char         *event_type,
                                 const char         *state_key,
                                 JsonObject         *content)
{
  HsRoom *room = lookup_room_or_warn (self, room_id);
  GError *error = NULL;
  HsEvent *event;

  if (room == NULL)
    return NULL;
  event = hs_send (self, room, sender, event_type, state_key, content, NULL, NULL, &error);
  if (!check_op (event != NULL, &error))
    return NULL;
  return g_strdup (json_object_get_string_member (event->json, "event_id"));
}

char *
duet_test_homeserver_send_message (DuetTestHomeserver *self,
                                   const char         *room_id,
                                   const char         *sender,
                                   const char         *body)
{
  g_autoptr(JsonObject) content = json_object_new ();

  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", body);
  return duet_test_homeserver_send_event (self, room_id, sender, "m.room.message", NULL, content);
}

char *
duet_test_homeserver_send_message_raw_body (DuetTestHomeserver *self,
                                            const char         *room_id,
                                            const char         *sender,
                                            const char         *body_json)
{
  g_return_val_if_fail (body_json != NULL, NULL);

  return duet_test_homeserver_send_message_raw_body_len (self, room_id, sender, body_json, strlen (body_json));
}

char *
duet_test_homeserver_send_message_raw_body_len (DuetTestHomeserver *self,
                                                const char         *room_id,
                                                const char         *sender,
                                                const char         *body_json,
                                                gsize               length)
{
  g_autofree char *random = NULL;
  char *placeholder;

  g_return_val_if_fail (body_json != NULL && length >= 2 && body_json[0] == '"', NULL);

  random = hs_random_string (16);
  placeholder = g_strdup_printf ("duet-raw-string-%u-%s", g_hash_table_size (self->raw_strings), random);
  /* The event holds the placeholder; every answer that carries it has the
   * text in its place (hs_json_text()). */
  g_hash_table_insert (self->raw_strings, placeholder, g_bytes_new (body_json, length));
  return duet_test_homeserver_send_message (self, room_id, sender, placeholder);
}

static JsonObject *
relates_to (JsonObject *content,
            const char *rel_type,
            const char *target_id)
{
  JsonObject *relation = json_object_new ();

  if (rel_type != NULL)
    json_object_set_string_member (relation, "rel_type", rel_type);
  json_object_set_string_member (relation, "event_id", target_id);
  json_object_set_object_member (content, "m.relates_to", relation);
  return relation;
}

char *
duet_test_homeserver_send_edit (DuetTestHomeserver *self,
                                const char         *room_id,
                                const char         *sender,
                                const char         *target_id,
                                const char         *new_body)
{
  g_autoptr(JsonObject) content = json_object_new ();
  JsonObject *new_content = json_object_new ();
  g_autofree char *fallback = g_strdup_printf ("* %s", new_body);

  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", fallback);
  json_object_set_string_member (new_content, "msgtype", "m.text");
  json_object_set_string_member (new_content, "body", new_body);
  json_object_set_object_member (content, "m.new_content", new_content);
  relates_to (content, "m.replace", target_id);
  return duet_test_homeserver_send_event (self, room_id, sender, "m.room.message", NULL, content);
}

char *
duet_test_homeserver_send_reply (DuetTestHomeserver *self,
                                 const char         *room_id,
                                 const char         *sender,
                                 const char         *target_id,
                                 const char         *body)
{
  HsRoom *room = lookup_room_or_warn (self, room_id);
  HsEvent *target = room != NULL ? g_hash_table_lookup (room->event_ids, target_id) : NULL;
  g_autoptr(JsonObject) content = json_object_new ();
  JsonObject *relation = json_object_new ();
  JsonObject *in_reply_to = json_object_new ();
  g_autofree char *with_fallback = NULL;
  g_autofree char *html = NULL;
  const char *target_sender = target ? json_object_get_string_member (target->json, "sender") : "";
  const char *target_body = target ? hs_json_get_string (hs_json_get_object (target->json, "content"),
                                                         "body") : NULL;

  /* The fallback real clients still send: a quote of the original. */
  with_fallback = g_strdup_printf ("> <%s> %s\n\n%s", target_sender,
                                   target_body != NULL ? target_body : "", body);
  html = g_strdup_printf ("<mx-reply><blockquote><a href=\"https://matrix.to/#/%s\">In reply to</a> "
                          "%s</blockquote></mx-reply>%s", target_id,
                          target_body != NULL ? target_body : "", body);
  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", with_fallback);
  json_object_set_string_member (content, "format", "org.matrix.custom.html");
  json_object_set_string_member (content, "formatted_body", html);
  json_object_set_string_member (in_reply_to, "event_id", target_id);
  json_object_set_object_member (relation, "m.in_reply_to", in_reply_to);
  json_object_set_object_member (content, "m.relates_to", relation);
  return duet_test_homeserver_send_event (self, room_id, sender, "m.room.message", NULL, content);
}

char *
duet_test_homeserver_send_reaction (DuetTestHomeserver *self,
                                    const char         *room_id,
                                    const char         *sender,
                                    const char         *target_id,
                                    const char         *key)
{
  g_autoptr(JsonObject) content = json_object_new ();

  json_object_set_string_member (relates_to (content, "m.annotation", target_id), "key", key);
  return duet_test_homeserver_send_event (self, room_id, sender, "m.reaction", NULL, content);
}

char *
duet_test_homeserver_redact (DuetTestHomeserver *self,
                             const char         *room_id,
                             const char         *sender,
                             const char         *event_id)
{
  HsRoom *room = lookup_room_or_warn (self, room_id);
  GError *error = NULL;
  HsEvent *event;

  if (room == NULL)
    return NULL;
  event = hs_redact (self, room, sender, event_id, NULL, NULL, NULL, &error);
  if (!check_op (event != NULL, &error))
    return NULL;
  hs_stream_changed (self);
  return g_strdup (json_object_get_string_member (event->json, "event_id"));
}

void
duet_test_homeserver_set_typing (DuetTestHomeserver *self,
                                 const char         *room_id,
                                 const char         *user_id,
                                 gboolean            typing,
                                 guint               timeout_ms)
{
  HsRoom *room = lookup_room_or_warn (self, room_id);

  if (room != NULL)
    hs_set_typing (self, room, user_id, typing, timeout_ms);
}

void
duet_test_homeserver_set_receipt (DuetTestHomeserver *self,
                                  const char         *room_id,
                                  const char         *user_id,
                                  const char         *receipt_type,
                                  const char         *event_id)
{
  HsRoom *room = lookup_room_or_warn (self, room_id);
  GError *error = NULL;

  if (room != NULL)
    check_op (hs_set_receipt (self, room, user_id, receipt_type, event_id, &error), &error);
}

guint
duet_test_homeserver_get_unread_count (DuetTestHomeserver *self,
                                       const char         *room_id,
                                       const char         *user_id)
{
  HsRoom *room = lookup_room_or_warn (self, room_id);

  return room != NULL ? hs_room_unread_count (room, user_id) : 0;
}

void
duet_test_homeserver_set_clock_offset (DuetTestHomeserver *self,
                                       gint64              offset_ms)
{
  g_return_if_fail (DUET_IS_TEST_HOMESERVER (self));
  self->clock_offset_ms = offset_ms;
}

char *
duet_test_homeserver_upgrade_room (DuetTestHomeserver *self,
                                   const char         *old_room_id,
                                   const char         *sender)
{
  HsRoom *room = lookup_room_or_warn (self, old_room_id);
  GError *error = NULL;
  HsRoom *new_room;

  if (room == NULL)
    return NULL;
  new_room = hs_upgrade_room (self, room, sender, NULL, &error);
  if (!check_op (new_room != NULL, &error))
    return NULL;
  return g_strdup (new_room->room_id);
}

void
duet_test_homeserver_set_account_data (DuetTestHomeserver *self,
                                       const char         *user_id,
                                       const char         *event_type,
                                       JsonObject         *content)
{
  HsUser *user;

  g_return_if_fail (DUET_IS_TEST_HOMESERVER (self));
  user = g_hash_table_lookup (self->users, user_id);
  g_return_if_fail (user != NULL);

  hs_set_account_data (self, user, NULL, event_type, content);
}

JsonObject *
duet_test_homeserver_get_account_data (DuetTestHomeserver *self,
                                       const char         *user_id,
                                       const char         *event_type)
{
  HsUser *user;
  HsAccountData *data;

  g_return_val_if_fail (DUET_IS_TEST_HOMESERVER (self), NULL);
  user = g_hash_table_lookup (self->users, user_id);
  if (user == NULL)
    return NULL;
  data = hs_get_account_data (user, NULL, event_type);
  return data != NULL ? hs_json_object_copy (data->content) : NULL;
}

const char *
duet_test_homeserver_get_membership (DuetTestHomeserver *self,
                                     const char         *room_id,
                                     const char         *user_id)
{
  HsRoom *room = hs_lookup_room (self, room_id);

  return room != NULL ? hs_room_membership (room, user_id) : NULL;
}

JsonObject *
duet_test_homeserver_get_state (DuetTestHomeserver *self,
                                const char         *room_id,
                                const char         *event_type,
                                const char         *state_key)
{
  HsRoom *room = hs_lookup_room (self, room_id);
  HsEvent *event;

  if (room == NULL)
    return NULL;
  event = hs_room_state_event (room, event_type, state_key ? state_key : "");
  if (event == NULL)
    return NULL;
  return hs_json_object_copy (json_object_get_object_member (event->json, "content"));
}

static int
compare_rooms_newest_first (gconstpointer a,
                            gconstpointer b)
{
  const HsRoom *ra = *(HsRoom * const *) a;
  const HsRoom *rb = *(HsRoom * const *) b;

  return ra->created_seq < rb->created_seq ? 1 : ra->created_seq > rb->created_seq ? -1 : 0;
}

GPtrArray *
duet_test_homeserver_list_rooms (DuetTestHomeserver *self,
                                 const char         *user_id)
{
  g_autoptr(GPtrArray) rooms = g_ptr_array_new ();
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  HsRoom *room;

  g_return_val_if_fail (DUET_IS_TEST_HOMESERVER (self), NULL);

  g_hash_table_iter_init (&iter, self->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    if (hs_room_membership (room, user_id) != NULL)
      g_ptr_array_add (rooms, room);
  g_ptr_array_sort (rooms, compare_rooms_newest_first);
  for (guint i = 0; i < rooms->len; i++)
    g_ptr_array_add (ids, g_strdup (((HsRoom *) rooms->pdata[i])->room_id));
  return ids;
}

guint
duet_test_homeserver_count_rooms (DuetTestHomeserver *self)
{
  g_return_val_if_fail (DUET_IS_TEST_HOMESERVER (self), 0);
  return g_hash_table_size (self->rooms);
}

JsonArray *
duet_test_homeserver_get_timeline (DuetTestHomeserver *self,
                                   const char         *room_id)
{
  HsRoom *room = hs_lookup_room (self, room_id);
  JsonArray *array = json_array_new ();

  for (guint i = 0; room != NULL && i < room->events->len; i++)
    {
      HsEvent *event = room->events->pdata[i];

      json_array_add_object_element (array, hs_json_object_copy (event->json));
    }
  return array;
}

const char *
duet_test_homeserver_get_receipt (DuetTestHomeserver *self,
                                  const char         *room_id,
                                  const char         *user_id,
                                  const char         *receipt_type)
{
  HsRoom *room = hs_lookup_room (self, room_id);
  g_autofree char *key = g_strdup_printf ("%s\x1f%s", receipt_type, user_id);
  HsReceipt *receipt;

  if (room == NULL)
    return NULL;
  receipt = g_hash_table_lookup (room->receipts, key);
  return receipt != NULL ? receipt->event_id : NULL;
}

gboolean
duet_test_homeserver_get_typing (DuetTestHomeserver *self,
                                 const char         *room_id,
                                 const char         *user_id)
{
  HsRoom *room = hs_lookup_room (self, room_id);

  return room != NULL && g_hash_table_contains (room->typing, user_id);
}

char *
duet_test_homeserver_add_media (DuetTestHomeserver *self,
                                GBytes             *data,
                                const char         *content_type)
{
  HsMedia *media = g_new0 (HsMedia, 1);
  char *media_id = hs_random_string (24);

  g_return_val_if_fail (DUET_IS_TEST_HOMESERVER (self), NULL);

  media->data = g_bytes_ref (data);
  media->content_type = g_strdup (content_type ? content_type : "application/octet-stream");
  g_hash_table_insert (self->media, media_id, media);
  return g_strdup_printf ("mxc://%s/%s", HS_SERVER_NAME, media_id);
}

void
duet_test_homeserver_set_authenticated_media (DuetTestHomeserver *self,
                                              gboolean            enabled)
{
  g_return_if_fail (DUET_IS_TEST_HOMESERVER (self));
  self->authenticated_media = enabled;
}

void
duet_test_homeserver_set_versions (DuetTestHomeserver *self,
                                   const char * const *versions)
{
  g_return_if_fail (DUET_IS_TEST_HOMESERVER (self));
  g_strfreev (self->versions);
  self->versions = g_strdupv ((char **) (versions ? versions : default_versions));
}

void
duet_test_homeserver_set_well_known (DuetTestHomeserver *self,
                                     const char         *body)
{
  g_return_if_fail (DUET_IS_TEST_HOMESERVER (self));
  g_free (self->well_known);
  self->well_known = g_strdup (body);
}

guint
duet_test_homeserver_count_requests (DuetTestHomeserver *self,
                                     const char         *method,
                                     const char         *path)
{
  g_autofree char *decoded = g_uri_unescape_string (path, NULL);
  GHashTableIter iter;
  const char *key;
  gpointer value;
  guint total = 0;

  g_return_val_if_fail (DUET_IS_TEST_HOMESERVER (self), 0);

  /* Counted under the decoded path; a NULL method sums every method. */
  g_hash_table_iter_init (&iter, self->counts);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, &value))
    {
      const char *space = strchr (key, ' ');

      if (method != NULL && (strncmp (key, method, space - key) != 0 ||
                             (gsize) (space - key) != strlen (method)))
        continue;
      if (g_strcmp0 (space + 1, decoded ? decoded : path) == 0)
        total += GPOINTER_TO_UINT (value);
    }
  return total;
}

void
duet_test_homeserver_reset_counts (DuetTestHomeserver *self)
{
  g_return_if_fail (DUET_IS_TEST_HOMESERVER (self));
  g_hash_table_remove_all (self->counts);
}

void
duet_test_homeserver_add_fault (DuetTestHomeserver *self,
                                const char         *method,
                                const char         *path_prefix,
                                guint               count,
                                DuetFaultKind       kind,
                                guint               status,
                                guint               delay_ms,
                                const char         *body)
{
  duet_test_homeserver_add_fault_len (self, method, path_prefix, count, kind, status, delay_ms,
                                      body, body != NULL ? strlen (body) : 0);
}

void
duet_test_homeserver_add_fault_len (DuetTestHomeserver *self,
                                    const char         *method,
                                    const char         *path_prefix,
                                    guint               count,
                                    DuetFaultKind       kind,
                                    guint               status,
                                    guint               delay_ms,
                                    const char         *body,
                                    gsize               length)
{
  HsFault *fault;

  g_return_if_fail (DUET_IS_TEST_HOMESERVER (self));
  g_return_if_fail (path_prefix != NULL);

  if (count == 0)
    return;
  fault = g_new0 (HsFault, 1);
  fault->method = g_strdup (method);
  fault->path_prefix = g_strdup (path_prefix);
  fault->remaining = count;
  fault->kind = kind;
  fault->status = status;
  fault->delay_ms = delay_ms;
  fault->body = body != NULL ? dup_body (body, length) : NULL;
  fault->body_length = body != NULL ? length : 0;
  g_queue_push_tail (&self->faults, fault);
}

void
duet_test_homeserver_add_fault_after (DuetTestHomeserver *self,
                                      const char         *method,
                                      const char         *path_prefix,
                                      guint               skip,
                                      DuetFaultKind       kind,
                                      guint               status,
                                      guint               delay_ms,
                                      const char         *body)
{
  HsFault *fault;

  duet_test_homeserver_add_fault (self, method, path_prefix, 1, kind, status, delay_ms, body);
  fault = g_queue_peek_tail (&self->faults);
  g_return_if_fail (fault != NULL);
  fault->skip = skip;
}

guint
duet_test_homeserver_count_faults (DuetTestHomeserver *self)
{
  g_return_val_if_fail (DUET_IS_TEST_HOMESERVER (self), 0);
  return self->faults_applied;
}

void
duet_test_homeserver_clear_faults (DuetTestHomeserver *self)
{
  g_return_if_fail (DUET_IS_TEST_HOMESERVER (self));
  g_queue_clear_full (&self->faults, hs_fault_free);
}

void
duet_test_homeserver_set_keep_alive (DuetTestHomeserver *self,
                                     gboolean            keep_alive)
{
  g_return_if_fail (DUET_IS_TEST_HOMESERVER (self));
  self->keep_alive = keep_alive;
}
