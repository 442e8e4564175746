/* duet-client-media.c: mxc:// downloads into the media cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "duet-client-private.h"
#include "duet-matrix-id.h"

typedef struct {
  char  *server_name;
  char  *media_id;
  GFile *file;
  GBytes *bytes;
} MediaData;

static void
media_data_free (MediaData *data)
{
  g_free (data->server_name);
  g_free (data->media_id);
  g_clear_object (&data->file);
  g_clear_pointer (&data->bytes, g_bytes_unref);
  g_free (data);
}

/* The cache path is built from validated parts only: the server name is
 * escaped (it may hold ':' or '[') and the media id is [A-Za-z0-9_-]+, so
 * no URI can name a file outside the cache. */
static GFile *
cache_file_for (DuetClient *self,
                const char *server_name,
                const char *media_id)
{
  g_autofree char *server_dir = g_uri_escape_string (server_name, NULL, FALSE);
  g_autofree char *path = g_build_filename (duet_client_get_media_cache_dir (self),
                                            server_dir, media_id, NULL);

  return g_file_new_for_path (path);
}

static void
write_cache_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  MediaData *data = task_data;
  g_autofree char *path = g_file_get_path (data->file);
  g_autofree char *dir = g_path_get_dirname (path);
  GError *error = NULL;
  gsize size;
  const char *contents = g_bytes_get_data (data->bytes, &size);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "Could not create the media cache: %s", g_strerror (saved_errno));
      return;
    }

  /* Atomic: a reader never sees half a file. */
  if (!g_file_set_contents_full (path, contents, size, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, g_object_ref (data->file), g_object_unref);
}

static void
download_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MediaData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->bytes = _duet_client_send_finish_raw (DUET_CLIENT (object), result, &error);
  if (data->bytes == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_run_in_thread (task, write_cache_thread);
}

static void
start_download (GTask *task)
{
  DuetClient *self = g_task_get_source_object (task);
  MediaData *data = g_task_get_task_data (task);
  g_autofree char *path = NULL;
  DuetRequest request = {
    .method = "GET",
    .flags = DUET_REQUEST_IDEMPOTENT,
    .max_size = DUET_CLIENT_MAX_MEDIA_SIZE,
    .raw = TRUE,
  };

  if (duet_client_get_authenticated_media (self))
    {
      path = _duet_client_build_path ("/_matrix/client/v1/media/download",
                                      data->server_name, data->media_id, NULL);
    }
  else
    {
      path = _duet_client_build_path ("/_matrix/media/v3/download",
                                      data->server_name, data->media_id, NULL);
      request.flags |= DUET_REQUEST_NO_AUTH;
    }
  request.path = path;

  _duet_client_send_async (self, &request, g_task_get_cancellable (task), download_cb, task);
}

static void
versions_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_auto(GStrv) versions = duet_client_get_versions_finish (DUET_CLIENT (object), result, &error);

  if (versions == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  start_download (task);
}

static void
query_cache_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  MediaData *data = g_task_get_task_data (task);
  DuetClient *self = g_task_get_source_object (task);
  g_autoptr(GFileInfo) info = NULL;

  info = g_file_query_info_finish (G_FILE (object), result, NULL);
  if (info != NULL && g_file_info_get_size (info) > 0)
    {
      g_task_return_pointer (task, g_object_ref (data->file), g_object_unref);
      g_object_unref (task);
      return;
    }

  /* Which path to use depends on what the server speaks. */
  if (!_duet_client_get_versions_known (self))
    duet_client_get_versions_async (self, g_task_get_cancellable (task), versions_cb, task);
  else
    start_download (task);
}

void
duet_client_download_media_async (DuetClient          *self,
                                  const char          *mxc_uri,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;
  MediaData *data;
  GError *error = NULL;

  g_return_if_fail (DUET_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_client_download_media_async);

  data = g_new0 (MediaData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) media_data_free);

  if (!duet_mxc_parse (mxc_uri, &data->server_name, &data->media_id, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  data->file = cache_file_for (self, data->server_name, data->media_id);
  g_file_query_info_async (data->file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                           G_PRIORITY_DEFAULT, cancellable, query_cache_cb, task);
}

GFile *
duet_client_download_media_finish (DuetClient    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == duet_client_download_media_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
