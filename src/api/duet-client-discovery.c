/* duet-client-discovery.c: from a server name to a usable homeserver URL
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The spec's client discovery: GET https://<server>/.well-known/matrix/client;
 * 404 means "use the server name itself"; any other failure, or a document
 * without a valid m.homeserver.base_url, is an error.  The chosen URL must
 * then answer /versions with some v1.x.  Plain http is allowed only for
 * loopback hosts, which is how tests and the demo reach their server.
 */
#include "config.h"

#include <string.h>

#include "duet-client-private.h"
#include "duet-json.h"
#include "duet-matrix-id.h"

typedef struct {
  DuetClient *probe;
  char       *base_url;
  char       *fallback_url;  /* the server name as a URL, for a 404 */
} DiscoverData;

static void
discover_data_free (DiscoverData *data)
{
  g_clear_object (&data->probe);
  g_free (data->base_url);
  g_free (data->fallback_url);
  g_free (data);
}

/* Checks @url is an http(s) URL fit to be a homeserver base URL, and
 * returns it without a trailing slash. */
static char *
check_base_url (const char  *url,
                GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;
  gsize len;

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, DUET_API_ERROR, DUET_API_ERROR_DISCOVERY,
                   "“%s” is not a valid homeserver address", url);
      return NULL;
    }

  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  if (g_ascii_strcasecmp (scheme, "https") != 0 &&
      !(g_ascii_strcasecmp (scheme, "http") == 0 && duet_matrix_is_loopback_host (host)))
    {
      g_set_error (error, DUET_API_ERROR, DUET_API_ERROR_INSECURE_URL,
                   "The homeserver address “%s” is not secure (https is required)", url);
      return NULL;
    }

  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, DUET_API_ERROR, DUET_API_ERROR_DISCOVERY,
                   "“%s” is not a valid homeserver address", url);
      return NULL;
    }

  len = strlen (url);
  while (len > 0 && url[len - 1] == '/')
    len--;
  return g_strndup (url, len);
}

static void
versions_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DiscoverData *data = g_task_get_task_data (task);
  GError *error = NULL;
  g_auto(GStrv) versions = duet_client_get_versions_finish (DUET_CLIENT (object), result, &error);

  if (versions == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&data->base_url), g_free);
}

static void
check_versions (GTask      *task,
                const char *base_url)
{
  DiscoverData *data = g_task_get_task_data (task);

  g_clear_object (&data->probe);
  data->probe = duet_client_new (base_url);
  data->base_url = g_strdup (base_url);
  duet_client_get_versions_async (data->probe, g_task_get_cancellable (task), versions_cb, task);
}

static void
well_known_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *base_url = NULL;
  JsonObject *homeserver;
  const char *url;

  reply = duet_client_request_finish (DUET_CLIENT (object), result, &error);
  if (reply == NULL)
    {
      /* 404: the server name itself is the homeserver.  Any other
       * failure is an error, not a reason to guess. */
      if (g_error_matches (error, DUET_API_ERROR, DUET_API_ERROR_NOT_FOUND) ||
          g_error_matches (error, DUET_API_ERROR, DUET_API_ERROR_HTTP_NOT_FOUND))
        {
          DiscoverData *data = g_task_get_task_data (task);
          g_autofree char *fallback = g_strdup (data->fallback_url);

          g_clear_error (&error);
          check_versions (task, fallback);
          return;
        }

      g_task_return_new_error (task, DUET_API_ERROR, DUET_API_ERROR_DISCOVERY,
                               "Could not look up the homeserver: %s", error->message);
      g_error_free (error);
      g_object_unref (task);
      return;
    }

  homeserver = duet_json_require_object (reply, "m.homeserver", &error);
  url = homeserver != NULL ? duet_json_require_string (homeserver, "base_url", &error) : NULL;
  base_url = url != NULL ? check_base_url (url, &error) : NULL;
  if (base_url == NULL)
    {
      g_task_return_new_error (task, DUET_API_ERROR,
                               error->domain == DUET_API_ERROR && error->code == DUET_API_ERROR_INSECURE_URL
                                 ? DUET_API_ERROR_INSECURE_URL : DUET_API_ERROR_DISCOVERY,
                               "The server's discovery information is unusable: %s", error->message);
      g_error_free (error);
      g_object_unref (task);
      return;
    }

  check_versions (task, base_url);
}

void
duet_client_discover_async (const char          *server,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;
  DiscoverData *data;
  g_autofree char *trimmed = NULL;
  g_autofree char *server_url = NULL;
  GError *error = NULL;

  g_return_if_fail (server != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_client_discover_async);
  data = g_new0 (DiscoverData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) discover_data_free);

  trimmed = g_strstrip (g_strdup (server));

  /* A URL is taken as the homeserver's base URL as it is. */
  if (strstr (trimmed, "://") != NULL)
    {
      g_autofree char *base_url = check_base_url (trimmed, &error);

      if (base_url == NULL)
        {
          g_task_return_error (task, error);
          g_object_unref (task);
          return;
        }
      check_versions (task, base_url);
      return;
    }

  if (!duet_matrix_is_valid_server_name (trimmed))
    {
      g_task_return_new_error (task, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                               "“%s” is not a valid server name", trimmed);
      g_object_unref (task);
      return;
    }

  {
    g_autofree char *host = NULL;
    const char *colon;
    const char *scheme;

    if (trimmed[0] == '[')
      host = g_strndup (trimmed, strchr (trimmed, ']') - trimmed + 1);
    else if ((colon = strchr (trimmed, ':')) != NULL)
      host = g_strndup (trimmed, colon - trimmed);
    else
      host = g_strdup (trimmed);

    scheme = duet_matrix_is_loopback_host (host) ? "http://" : "https://";
    data->fallback_url = g_strconcat (scheme, trimmed, NULL);

    /* The spec looks up https://<hostname>/.well-known, without the port.
     * A loopback server (tests, the demo) has no standard port to fall
     * back on, so there the port stays. */
    if (duet_matrix_is_loopback_host (host))
      server_url = g_strdup (data->fallback_url);
    else
      server_url = g_strconcat (scheme, host, NULL);
  }

  data->probe = duet_client_new (server_url);
  duet_client_request_async (data->probe, "GET", "/.well-known/matrix/client", NULL, NULL,
                             DUET_REQUEST_NO_AUTH | DUET_REQUEST_IDEMPOTENT,
                             cancellable, well_known_cb, task);
}

char *
duet_client_discover_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == duet_client_discover_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
