/* duet-client.c: the request machinery of one account's connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libsoup/soup.h>
#include <stdarg.h>
#include <string.h>

#include "duet-client-private.h"
#include "duet-json.h"
#include "duet-matrix-id.h"

#define READ_CHUNK_SIZE (64 * 1024)

struct _DuetClient
{
  GObject       parent_instance;

  SoupSession  *session;
  char         *homeserver;
  char         *user_id;
  char         *device_id;
  char         *access_token;
  char         *media_cache_dir;

  guint         backoff_initial_ms;
  guint         backoff_max_ms;
  guint         max_attempts;
  guint         request_timeout_ms;

  gboolean      authenticated_media;
  gboolean      versions_known;
  guint64       txn_counter;
  char         *txn_prefix;
};

G_DEFINE_FINAL_TYPE (DuetClient, duet_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_HOMESERVER,
  PROP_USER_ID,
  PROP_DEVICE_ID,
  PROP_SIGNED_IN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* One request through all of its attempts. */
typedef struct {
  char             *method;
  char             *path;
  GHashTable       *query;
  GBytes           *body;
  char             *content_type;
  DuetRequestFlags  flags;
  gsize             max_size;
  guint             timeout_ms;
  guint             max_attempts;
  gboolean          raw;
  gboolean          check_numbers;
  DuetJsonStream   *json_stream;  /* borrowed: see DuetRequest */

  guint             attempt;
  SoupMessage      *message;
  GInputStream     *stream;
  GByteArray       *buffer;
  GCancellable     *attempt_cancellable;
  gulong            cancelled_id;
  GSource          *timeout_source;
  gboolean          timed_out;
  GSource          *wait_source;
} RequestData;

static void
request_data_clear_attempt (RequestData  *data,
                            GCancellable *cancellable)
{
  if (data->cancelled_id != 0)
    g_cancellable_disconnect (cancellable, data->cancelled_id);
  data->cancelled_id = 0;
  if (data->timeout_source != NULL)
    g_source_destroy (data->timeout_source);
  g_clear_pointer (&data->timeout_source, g_source_unref);
  g_clear_object (&data->attempt_cancellable);
  g_clear_object (&data->message);
  g_clear_object (&data->stream);
  g_clear_pointer (&data->buffer, g_byte_array_unref);
  data->timed_out = FALSE;
}

static void
request_data_free (RequestData *data)
{
  g_assert (data->cancelled_id == 0);
  if (data->timeout_source != NULL)
    g_source_destroy (data->timeout_source);
  g_clear_pointer (&data->timeout_source, g_source_unref);
  if (data->wait_source != NULL)
    g_source_destroy (data->wait_source);
  g_clear_pointer (&data->wait_source, g_source_unref);
  g_clear_object (&data->attempt_cancellable);
  g_clear_object (&data->message);
  g_clear_object (&data->stream);
  g_clear_pointer (&data->buffer, g_byte_array_unref);
  g_clear_pointer (&data->query, g_hash_table_unref);
  g_clear_pointer (&data->body, g_bytes_unref);
  g_free (data->method);
  g_free (data->path);
  g_free (data->content_type);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RequestData, request_data_free)

static void start_attempt (GTask *task);

static void
duet_client_finalize (GObject *object)
{
  DuetClient *self = DUET_CLIENT (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->homeserver, g_free);
  g_clear_pointer (&self->user_id, g_free);
  g_clear_pointer (&self->device_id, g_free);
  g_clear_pointer (&self->access_token, g_free);
  g_clear_pointer (&self->media_cache_dir, g_free);
  g_clear_pointer (&self->txn_prefix, g_free);

  G_OBJECT_CLASS (duet_client_parent_class)->finalize (object);
}

static void
duet_client_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DuetClient *self = DUET_CLIENT (object);

  switch (prop_id)
    {
    case PROP_HOMESERVER:
      g_value_set_string (value, self->homeserver);
      break;
    case PROP_USER_ID:
      g_value_set_string (value, self->user_id);
      break;
    case PROP_DEVICE_ID:
      g_value_set_string (value, self->device_id);
      break;
    case PROP_SIGNED_IN:
      g_value_set_boolean (value, duet_client_is_signed_in (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_client_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  DuetClient *self = DUET_CLIENT (object);

  switch (prop_id)
    {
    case PROP_HOMESERVER:
      {
        const char *url = g_value_get_string (value);
        gsize len = url != NULL ? strlen (url) : 0;

        /* Paths are appended with their leading slash. */
        while (len > 0 && url[len - 1] == '/')
          len--;
        self->homeserver = g_strndup (url, len);
        break;
      }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_client_class_init (DuetClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = duet_client_finalize;
  object_class->get_property = duet_client_get_property;
  object_class->set_property = duet_client_set_property;

  properties[PROP_HOMESERVER] =
    g_param_spec_string ("homeserver", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER_ID] =
    g_param_spec_string ("user-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEVICE_ID] =
    g_param_spec_string ("device-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SIGNED_IN] =
    g_param_spec_boolean ("signed-in", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
duet_client_init (DuetClient *self)
{
  g_autofree char *user_agent = g_strdup_printf ("Duet/%s", PACKAGE_VERSION);

  /* Timeouts are ours (per request, in ms), so the session has none. */
  self->session = soup_session_new_with_options ("user-agent", user_agent,
                                                 "timeout", 0,
                                                 "idle-timeout", 60,
                                                 NULL);
  self->backoff_initial_ms = DUET_CLIENT_DEFAULT_BACKOFF_INITIAL_MS;
  self->backoff_max_ms = DUET_CLIENT_DEFAULT_BACKOFF_MAX_MS;
  self->max_attempts = DUET_CLIENT_DEFAULT_MAX_ATTEMPTS;
  self->request_timeout_ms = DUET_CLIENT_DEFAULT_REQUEST_TIMEOUT_MS;
  self->media_cache_dir = g_build_filename (g_get_user_cache_dir (), "duet", "media", NULL);
  self->txn_prefix = g_strdup_printf ("duet%08x%" G_GINT64_MODIFIER "x",
                                      g_random_int (), g_get_real_time ());
}

DuetClient *
duet_client_new (const char *homeserver_url)
{
  g_return_val_if_fail (homeserver_url != NULL, NULL);

  return g_object_new (DUET_TYPE_CLIENT, "homeserver", homeserver_url, NULL);
}

const char *
duet_client_get_homeserver (DuetClient *self)
{
  g_return_val_if_fail (DUET_IS_CLIENT (self), NULL);
  return self->homeserver;
}

const char *
duet_client_get_user_id (DuetClient *self)
{
  g_return_val_if_fail (DUET_IS_CLIENT (self), NULL);
  return self->user_id;
}

const char *
duet_client_get_device_id (DuetClient *self)
{
  g_return_val_if_fail (DUET_IS_CLIENT (self), NULL);
  return self->device_id;
}

const char *
duet_client_get_access_token (DuetClient *self)
{
  g_return_val_if_fail (DUET_IS_CLIENT (self), NULL);
  return self->access_token;
}

gboolean
duet_client_is_signed_in (DuetClient *self)
{
  g_return_val_if_fail (DUET_IS_CLIENT (self), FALSE);
  return self->access_token != NULL && self->user_id != NULL;
}

void
duet_client_set_session (DuetClient *self,
                         const char *user_id,
                         const char *device_id,
                         const char *access_token)
{
  gboolean was_signed_in;

  g_return_if_fail (DUET_IS_CLIENT (self));

  was_signed_in = duet_client_is_signed_in (self);

  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (self->user_id, user_id) != 0)
    {
      g_free (self->user_id);
      self->user_id = g_strdup (user_id);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_ID]);
    }
  if (g_strcmp0 (self->device_id, device_id) != 0)
    {
      g_free (self->device_id);
      self->device_id = g_strdup (device_id);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_ID]);
    }
  g_free (self->access_token);
  self->access_token = g_strdup (access_token);
  if (was_signed_in != duet_client_is_signed_in (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGNED_IN]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
duet_client_set_backoff (DuetClient *self,
                         guint       initial_ms,
                         guint       max_ms)
{
  g_return_if_fail (DUET_IS_CLIENT (self));
  g_return_if_fail (initial_ms > 0 && max_ms >= initial_ms);

  self->backoff_initial_ms = initial_ms;
  self->backoff_max_ms = max_ms;
}

void
duet_client_get_backoff (DuetClient *self,
                         guint      *initial_ms,
                         guint      *max_ms)
{
  g_return_if_fail (DUET_IS_CLIENT (self));

  if (initial_ms != NULL)
    *initial_ms = self->backoff_initial_ms;
  if (max_ms != NULL)
    *max_ms = self->backoff_max_ms;
}

void
duet_client_set_max_attempts (DuetClient *self,
                              guint       max_attempts)
{
  g_return_if_fail (DUET_IS_CLIENT (self));
  g_return_if_fail (max_attempts > 0);

  self->max_attempts = max_attempts;
}

guint
duet_client_get_max_attempts (DuetClient *self)
{
  g_return_val_if_fail (DUET_IS_CLIENT (self), 0);
  return self->max_attempts;
}

void
duet_client_set_request_timeout (DuetClient *self,
                                 guint       timeout_ms)
{
  g_return_if_fail (DUET_IS_CLIENT (self));
  g_return_if_fail (timeout_ms > 0);

  self->request_timeout_ms = timeout_ms;
}

guint
duet_client_get_request_timeout (DuetClient *self)
{
  g_return_val_if_fail (DUET_IS_CLIENT (self), 0);
  return self->request_timeout_ms;
}

/* The wait before attempt @attempt + 1: the initial delay doubling per
 * attempt up to the maximum, less up to a quarter at random so that many
 * clients do not come back in step. */
guint
duet_client_next_backoff_ms (DuetClient *self,
                             guint       attempt)
{
  guint64 delay;

  g_return_val_if_fail (DUET_IS_CLIENT (self), 0);

  delay = self->backoff_initial_ms;
  for (guint i = 1; i < attempt && delay < self->backoff_max_ms; i++)
    delay *= 2;
  delay = MIN (delay, self->backoff_max_ms);

  return (guint) (delay - g_random_int_range (0, (gint32) (delay / 4) + 1));
}

void
duet_client_set_media_cache_dir (DuetClient *self,
                                 const char *path)
{
  g_return_if_fail (DUET_IS_CLIENT (self));
  g_return_if_fail (path != NULL);

  g_free (self->media_cache_dir);
  self->media_cache_dir = g_strdup (path);
}

const char *
duet_client_get_media_cache_dir (DuetClient *self)
{
  g_return_val_if_fail (DUET_IS_CLIENT (self), NULL);
  return self->media_cache_dir;
}

gboolean
duet_client_get_authenticated_media (DuetClient *self)
{
  g_return_val_if_fail (DUET_IS_CLIENT (self), FALSE);
  return self->authenticated_media;
}

void
_duet_client_set_authenticated_media (DuetClient *self,
                                      gboolean    supported)
{
  self->authenticated_media = !!supported;
  self->versions_known = TRUE;
}

gboolean
_duet_client_get_versions_known (DuetClient *self)
{
  return self->versions_known;
}

char *
duet_client_new_txn_id (DuetClient *self)
{
  g_return_val_if_fail (DUET_IS_CLIENT (self), NULL);

  return g_strdup_printf ("%s.%" G_GUINT64_FORMAT, self->txn_prefix, ++self->txn_counter);
}

/* Builds "prefix/seg1/seg2..." with every segment escaped, so that an id
 * holding '/' or '?' can never change the request's target.  A segment of
 * "." or ".." would be removed by URI normalization (here or in a proxy)
 * whatever its escaping, so such a path is refused: NULL. */
char *
_duet_client_build_path (const char *prefix,
                         ...)
{
  g_autoptr(GString) path = g_string_new (prefix);
  const char *segment;
  va_list args;
  gboolean valid = TRUE;

  va_start (args, prefix);
  while ((segment = va_arg (args, const char *)) != NULL)
    {
      g_autofree char *escaped = g_uri_escape_string (segment, NULL, FALSE);

      if (g_str_equal (segment, ".") || g_str_equal (segment, ".."))
        valid = FALSE;
      g_string_append_c (path, '/');
      g_string_append (path, escaped);
    }
  va_end (args);

  return valid ? g_string_free (g_steal_pointer (&path), FALSE) : NULL;
}

/* --- Errors ------------------------------------------------------------- */

static GError *
error_from_response (guint       status,
                     const char *reason,
                     GBytes     *body)
{
  g_autoptr(JsonObject) object = NULL;
  const char *errcode;
  const char *text;
  DuetApiError code;

  if (body != NULL && g_bytes_get_size (body) > 0)
    object = duet_json_parse_object (body, DUET_JSON_MAX_SIZE, NULL);

  errcode = duet_json_get_string (object, "errcode");
  text = duet_json_get_string (object, "error");

  /* A bare 404 (a proxy, a static file server) is not M_NOT_FOUND: only
   * the latter says "this account data is unset". */
  if (errcode == NULL && status == SOUP_STATUS_NOT_FOUND)
    return g_error_new (DUET_API_ERROR, DUET_API_ERROR_HTTP_NOT_FOUND,
                        "The server answered %u %s", status,
                        reason != NULL ? reason : "");

  if (errcode == NULL)
    return g_error_new (DUET_API_ERROR, DUET_API_ERROR_HTTP,
                        "The server answered %u %s", status,
                        reason != NULL ? reason : "");

  code = duet_api_error_from_errcode (errcode);
  /* A server error with a generic errcode (Synapse's M_UNKNOWN) is still a
   * server error: callers decide on retries by it. */
  if (code == DUET_API_ERROR_UNKNOWN && status >= 500)
    code = DUET_API_ERROR_HTTP;
  if (code == DUET_API_ERROR_UNKNOWN_TOKEN && duet_json_get_bool (object, "soft_logout", FALSE))
    code = DUET_API_ERROR_SOFT_LOGOUT;

  /* The errcode stays in the text, so an unknown one is not lost. */
  return g_error_new (DUET_API_ERROR, code, "%s: %s", errcode,
                      text != NULL ? text : "no description");
}

/* How long a 429 asks us to wait: retry_after_ms in the body, else the
 * Retry-After header in seconds or as an HTTP date; -1 when it says nothing. */
static gint64
rate_limit_delay_ms (SoupMessage *message,
                     GBytes      *body)
{
  g_autoptr(JsonObject) object = NULL;
  const char *header;
  gint64 ms;

  if (body != NULL && g_bytes_get_size (body) > 0)
    object = duet_json_parse_object (body, DUET_JSON_MAX_SIZE, NULL);

  ms = duet_json_get_int (object, "retry_after_ms", -1);
  if (ms >= 0)
    return ms;

  header = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                         "Retry-After");
  if (header == NULL)
    return -1;

  if (g_ascii_isdigit (header[0]))
    {
      guint64 seconds;

      if (!g_ascii_string_to_unsigned (header, 10, 0, G_MAXINT32, &seconds, NULL))
        return -1;
      return (gint64) seconds * 1000;
    }
  else
    {
      g_autoptr(GDateTime) when = soup_date_time_new_from_http_string (header);
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      if (when == NULL)
        return -1;
      return MAX (0, g_date_time_difference (when, now) / 1000);
    }
}

static gboolean
is_retryable_network_error (const GError *error)
{
  /* Our own bounds checks and a cancel by the caller are final. */
  if (error->domain == DUET_API_ERROR)
    return FALSE;
  return !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* --- Attempts ----------------------------------------------------------- */

static gboolean
wait_done_cb (gpointer user_data)
{
  GTask *task = user_data;
  RequestData *data = g_task_get_task_data (task);

  g_clear_pointer (&data->wait_source, g_source_unref);
  /* The source's own reference goes with it; the attempt takes a new one. */
  start_attempt (g_object_ref (task));
  return G_SOURCE_REMOVE;
}

static gboolean
wait_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *task = user_data;
  RequestData *data = g_task_get_task_data (task);

  /* Destroying the timeout drops its reference on the task. */
  g_object_ref (task);
  g_source_destroy (data->wait_source);
  g_clear_pointer (&data->wait_source, g_source_unref);
  g_task_return_error_if_cancelled (task);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
retry_later (GTask *task,
             guint  delay_ms)
{
  RequestData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_debug ("%s %s: attempt %u failed, retrying in %u ms",
           data->method, data->path, data->attempt, delay_ms);

  data->wait_source = g_timeout_source_new (delay_ms);
  g_source_set_callback (data->wait_source, wait_done_cb, task, g_object_unref);
  g_source_attach (data->wait_source, g_main_context_get_thread_default ());

  if (cancellable != NULL)
    {
      g_autoptr(GSource) cancel_source = g_cancellable_source_new (cancellable);

      /* Child of the wait: it goes away with it, and fires on cancel. */
      g_source_set_callback (cancel_source, G_SOURCE_FUNC (wait_cancelled_cb), task, NULL);
      g_source_add_child_source (data->wait_source, cancel_source);
    }
}

static void
finish_with_error (GTask  *task,
                   GError *error)
{
  RequestData *data = g_task_get_task_data (task);

  request_data_clear_attempt (data, g_task_get_cancellable (task));
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
handle_network_error (GTask  *task,
                      GError *error)
{
  RequestData *data = g_task_get_task_data (task);
  DuetClient *self = g_task_get_source_object (task);
  gboolean timed_out = data->timed_out;

  request_data_clear_attempt (data, g_task_get_cancellable (task));

  if (g_task_return_error_if_cancelled (task))
    {
      g_error_free (error);
      g_object_unref (task);
      return;
    }

  if (timed_out)
    {
      g_clear_error (&error);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           "The server did not answer within %u ms", data->timeout_ms);
    }

  if ((data->flags & DUET_REQUEST_IDEMPOTENT) &&
      !(data->flags & DUET_REQUEST_NEVER_RETRY) &&
      data->attempt < data->max_attempts &&
      (timed_out || is_retryable_network_error (error)))
    {
      g_error_free (error);
      retry_later (task, duet_client_next_backoff_ms (self, data->attempt));
      return;
    }

  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
handle_response (GTask  *task,
                 GBytes *body)
{
  RequestData *data = g_task_get_task_data (task);
  DuetClient *self = g_task_get_source_object (task);
  guint status = soup_message_get_status (data->message);
  gboolean attempts_left = data->attempt < data->max_attempts &&
                           !(data->flags & DUET_REQUEST_NEVER_RETRY);

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      GError *error = NULL;

      request_data_clear_attempt (data, g_task_get_cancellable (task));
      if (data->raw)
        {
          g_task_return_pointer (task, g_bytes_ref (body), (GDestroyNotify) g_bytes_unref);
        }
      else
        {
          JsonObject *object = NULL;

          if (!data->check_numbers ||
              duet_json_check_round_trip (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error))
            object = duet_json_parse_object (body, data->max_size, &error);

          if (object == NULL)
            g_task_return_error (task, error);
          else
            g_task_return_pointer (task, object, (GDestroyNotify) json_object_unref);
        }
      g_object_unref (task);
      return;
    }

  if (status == 429 /* Too Many Requests */ && attempts_left)
    {
      gint64 delay = rate_limit_delay_ms (data->message, body);

      if (delay < 0)
        delay = duet_client_next_backoff_ms (self, data->attempt);

      if (delay <= DUET_CLIENT_MAX_RATE_LIMIT_WAIT_MS)
        {
          request_data_clear_attempt (data, g_task_get_cancellable (task));
          retry_later (task, (guint) delay);
          return;
        }
    }

  if (status >= 500 && status <= 599 && attempts_left && (data->flags & DUET_REQUEST_IDEMPOTENT))
    {
      request_data_clear_attempt (data, g_task_get_cancellable (task));
      retry_later (task, duet_client_next_backoff_ms (self, data->attempt));
      return;
    }

  finish_with_error (task, error_from_response (status, soup_message_get_reason_phrase (data->message), body));
}

static gboolean
attempt_timeout_cb (gpointer user_data)
{
  RequestData *data = user_data;

  data->timed_out = TRUE;
  g_cancellable_cancel (data->attempt_cancellable);
  g_clear_pointer (&data->timeout_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* The attempt fails after timeout_ms without progress: from the request
 * until the headers, then between two pieces of the body (a 70 MB first
 * sync on a slow link takes longer than any one timeout, yet never
 * stalls). */
static void
arm_timeout (RequestData *data)
{
  if (data->timeout_source != NULL)
    g_source_destroy (data->timeout_source);
  g_clear_pointer (&data->timeout_source, g_source_unref);
  data->timeout_source = g_timeout_source_new (data->timeout_ms);
  g_source_set_callback (data->timeout_source, attempt_timeout_cb, data, NULL);
  g_source_attach (data->timeout_source, g_main_context_get_thread_default ());
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  RequestData *data = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) chunk = NULL;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (chunk == NULL)
    {
      handle_network_error (task, error);
      return;
    }
  if (g_bytes_get_size (chunk) > 0)
    arm_timeout (data);

  /* A successful body that streams: each chunk goes on as it comes, and
   * a failure now is final (the consumer has seen part of the body). */
  if (data->buffer == NULL)
    {
      GError *stream_error = NULL;

      if (g_bytes_get_size (chunk) == 0)
        {
          if (!duet_json_stream_finish (data->json_stream, &stream_error))
            {
              duet_api_error_adopt_json (stream_error);
              finish_with_error (task, stream_error);
              return;
            }
          request_data_clear_attempt (data, g_task_get_cancellable (task));
          g_task_return_pointer (task, g_bytes_new_static ("", 0), (GDestroyNotify) g_bytes_unref);
          g_object_unref (task);
          return;
        }
      if (!duet_json_stream_feed (data->json_stream, g_bytes_get_data (chunk, NULL),
                                  g_bytes_get_size (chunk), &stream_error))
        {
          duet_api_error_adopt_json (stream_error);
          finish_with_error (task, stream_error);
          return;
        }
      g_input_stream_read_bytes_async (data->stream, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                       data->attempt_cancellable, read_cb, task);
      return;
    }

  if (g_bytes_get_size (chunk) == 0)
    {
      g_autoptr(GBytes) body = g_byte_array_free_to_bytes (g_steal_pointer (&data->buffer));

      handle_response (task, body);
      return;
    }

  if (data->buffer->len + g_bytes_get_size (chunk) > data->max_size)
    {
      finish_with_error (task, g_error_new (DUET_API_ERROR, DUET_API_ERROR_TOO_LARGE,
                                            "The reply is over the limit of %" G_GSIZE_FORMAT " bytes",
                                            data->max_size));
      return;
    }

  g_byte_array_append (data->buffer, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  g_input_stream_read_bytes_async (data->stream, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   data->attempt_cancellable, read_cb, task);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  RequestData *data = g_task_get_task_data (task);
  GError *error = NULL;
  goffset length;

  data->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (data->stream == NULL)
    {
      handle_network_error (task, error);
      return;
    }

  /* Refuse a body announced as too large before reading any of it. */
  length = soup_message_headers_get_content_length (soup_message_get_response_headers (data->message));
  if (length > 0 && (guint64) length > data->max_size)
    {
      finish_with_error (task, g_error_new (DUET_API_ERROR, DUET_API_ERROR_TOO_LARGE,
                                            "The reply is %" G_GINT64_FORMAT " bytes, over the limit of %" G_GSIZE_FORMAT,
                                            (gint64) length, data->max_size));
      return;
    }

  /* Only a success streams: an error body is read whole and reported. */
  if (data->json_stream == NULL ||
      !SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (data->message)))
    data->buffer = g_byte_array_new ();
  g_input_stream_read_bytes_async (data->stream, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   data->attempt_cancellable, read_cb, task);
}

static void
cancel_attempt_cb (GCancellable *cancellable,
                   GCancellable *attempt_cancellable)
{
  g_cancellable_cancel (attempt_cancellable);
}

static void
start_attempt (GTask *task)
{
  DuetClient *self = g_task_get_source_object (task);
  RequestData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autofree char *uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) parsed = NULL;

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  data->attempt++;

  if (data->query != NULL && g_hash_table_size (data->query) > 0)
    {
      g_autofree char *query = soup_form_encode_hash (data->query);

      uri = g_strconcat (self->homeserver, data->path, "?", query, NULL);
    }
  else
    {
      uri = g_strconcat (self->homeserver, data->path, NULL);
    }

  parsed = g_uri_parse (uri, SOUP_HTTP_URI_FLAGS, &error);
  if (parsed == NULL)
    {
      finish_with_error (task, g_error_new (DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                                            "Invalid request address: %s", error->message));
      return;
    }

  data->message = soup_message_new_from_uri (data->method, parsed);

  if (!(data->flags & DUET_REQUEST_NO_AUTH))
    {
      g_autofree char *bearer = NULL;

      if (self->access_token == NULL)
        {
          finish_with_error (task, g_error_new_literal (DUET_API_ERROR, DUET_API_ERROR_NOT_SIGNED_IN,
                                                        "Not signed in"));
          return;
        }
      bearer = g_strconcat ("Bearer ", self->access_token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (data->message),
                                    "Authorization", bearer);
    }

  if (data->body != NULL)
    soup_message_set_request_body_from_bytes (data->message, data->content_type, data->body);

  data->attempt_cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    data->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (cancel_attempt_cb),
                                                data->attempt_cancellable, NULL);

  arm_timeout (data);

  soup_session_send_async (self->session, data->message, G_PRIORITY_DEFAULT,
                           data->attempt_cancellable, send_cb, task);
}

void
_duet_client_send_async (DuetClient          *self,
                         const DuetRequest   *request,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RequestData *data;

  g_return_if_fail (DUET_IS_CLIENT (self));
  g_return_if_fail (request != NULL && request->method != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _duet_client_send_async);

  /* _duet_client_build_path() refused an identifier. */
  if (request->path == NULL)
    {
      g_task_return_new_error (task, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                               "An identifier in the request is “.” or “..”");
      return;
    }

  data = g_new0 (RequestData, 1);
  data->method = g_strdup (request->method);
  data->path = g_strdup (request->path);
  data->query = request->query != NULL ? g_hash_table_ref (request->query) : NULL;
  data->body = request->body != NULL ? g_bytes_ref (request->body) : NULL;
  data->content_type = g_strdup (request->content_type != NULL ? request->content_type
                                                               : "application/json");
  data->flags = request->flags;
  data->max_size = request->max_size != 0 ? request->max_size : DUET_JSON_MAX_SIZE;
  data->timeout_ms = request->timeout_ms != 0 ? request->timeout_ms : self->request_timeout_ms;
  data->max_attempts = request->max_attempts != 0 ? request->max_attempts : self->max_attempts;
  data->raw = request->raw;
  data->check_numbers = request->check_numbers;
  data->json_stream = request->stream;
  g_task_set_task_data (task, data, (GDestroyNotify) request_data_free);

  /* The task's own reference travels through the attempts. */
  start_attempt (g_steal_pointer (&task));
}

JsonObject *
_duet_client_send_finish (DuetClient    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

GBytes *
_duet_client_send_finish_raw (DuetClient    *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
duet_client_request_async (DuetClient          *self,
                           const char          *method,
                           const char          *path,
                           GHashTable          *query,
                           JsonNode            *body,
                           DuetRequestFlags     flags,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GBytes) bytes = NULL;
  DuetRequest request = {
    .method = method,
    .path = path,
    .query = query,
    .flags = flags,
  };

  g_return_if_fail (DUET_IS_CLIENT (self));
  g_return_if_fail (method != NULL && path != NULL && path[0] == '/');

  if (body != NULL)
    {
      char *text = duet_json_to_string (body);

      bytes = g_bytes_new_take (text, strlen (text));
    }
  else if (g_str_equal (method, "POST") || g_str_equal (method, "PUT"))
    {
      bytes = g_bytes_new_static ("{}", 2);
    }
  request.body = bytes;

  _duet_client_send_async (self, &request, cancellable, callback, user_data);
}

JsonObject *
duet_client_request_finish (DuetClient    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return _duet_client_send_finish (self, result, error);
}
