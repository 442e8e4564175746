/* duet-avatar-loader.c: mxc:// avatars into AdwAvatar, through the media cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * download (client's media cache) -> open the file -> decode scaled down in
 * gdk-pixbuf's thread -> texture.  Each avatar keeps its current request as
 * object data, so that a recycled row cancels what it no longer shows.
 */
#include "config.h"

#include "duet-avatar-loader.h"

/* Avatars are shown at 64 px at most; twice that stays sharp on HiDPI. */
#define DECODE_SIZE 128
/* A bigger file is not a profile picture we want to decode on a phone. */
#define MAX_FILE_SIZE (8 * 1024 * 1024)

#define REQUEST_KEY "duet-avatar-request"
#define CACHE_KEY "duet-avatar-textures"

typedef struct {
  GWeakRef      avatar;
  DuetClient   *client;
  char         *mxc_uri;
  GCancellable *cancellable;
} AvatarRequest;

static void
avatar_request_free (AvatarRequest *request)
{
  g_weak_ref_clear (&request->avatar);
  g_clear_object (&request->client);
  g_clear_pointer (&request->mxc_uri, g_free);
  g_clear_object (&request->cancellable);
  g_free (request);
}

/* What the avatar holds: the uri it shows and the request's cancellable. */
typedef struct {
  char         *mxc_uri;
  GCancellable *cancellable;
} AvatarState;

static void
avatar_state_free (AvatarState *state)
{
  g_cancellable_cancel (state->cancellable);
  g_clear_object (&state->cancellable);
  g_clear_pointer (&state->mxc_uri, g_free);
  g_free (state);
}

static GHashTable *
texture_cache (DuetClient *client)
{
  GHashTable *cache = g_object_get_data (G_OBJECT (client), CACHE_KEY);

  if (cache == NULL)
    {
      cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
      g_object_set_data_full (G_OBJECT (client), CACHE_KEY, cache,
                              (GDestroyNotify) g_hash_table_unref);
    }
  return cache;
}

static void
finish_request (AvatarRequest *request,
                GdkTexture    *texture)
{
  g_autoptr(AdwAvatar) avatar = g_weak_ref_get (&request->avatar);
  AvatarState *state;

  if (texture != NULL)
    g_hash_table_replace (texture_cache (request->client),
                          g_strdup (request->mxc_uri), g_object_ref (texture));

  if (avatar == NULL)
    return;
  state = g_object_get_data (G_OBJECT (avatar), REQUEST_KEY);
  /* The avatar moved on to another picture meanwhile. */
  if (state == NULL || state->cancellable != request->cancellable)
    return;
  adw_avatar_set_custom_image (avatar, GDK_PAINTABLE (texture));
}

static void
pixbuf_decoded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  AvatarRequest *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_stream_finish (result, &error);
  g_autoptr(GdkTexture) texture = NULL;

  if (pixbuf != NULL)
    texture = gdk_texture_new_for_pixbuf (pixbuf);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Could not decode avatar %s: %s", request->mxc_uri, error->message);

  if (texture != NULL)
    finish_request (request, texture);
  avatar_request_free (request);
}

static void
file_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  AvatarRequest *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInputStream) stream = g_file_read_finish (G_FILE (source), result, &error);
  g_autoptr(GFileInfo) info = NULL;

  if (stream == NULL)
    {
      g_debug ("Could not open avatar %s: %s", request->mxc_uri, error->message);
      avatar_request_free (request);
      return;
    }

  /* fstat of a local file: cheap enough for the main thread. */
  info = g_file_input_stream_query_info (stream, G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, NULL);
  if (info == NULL || g_file_info_get_size (info) > MAX_FILE_SIZE)
    {
      g_debug ("Avatar %s is too large to show", request->mxc_uri);
      avatar_request_free (request);
      return;
    }

  gdk_pixbuf_new_from_stream_at_scale_async (G_INPUT_STREAM (stream), DECODE_SIZE, DECODE_SIZE, TRUE,
                                             request->cancellable, pixbuf_decoded_cb, request);
}

static void
media_downloaded_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  AvatarRequest *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = duet_client_download_media_finish (DUET_CLIENT (source), result, &error);

  if (file == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not download avatar %s: %s", request->mxc_uri, error->message);
      avatar_request_free (request);
      return;
    }

  g_file_read_async (file, G_PRIORITY_LOW, request->cancellable, file_read_cb, request);
}

void
duet_avatar_loader_set_avatar (AdwAvatar  *avatar,
                               DuetClient *client,
                               const char *mxc_uri)
{
  AvatarState *state;
  AvatarRequest *request;
  GdkTexture *cached;

  g_return_if_fail (ADW_IS_AVATAR (avatar));
  g_return_if_fail (client == NULL || DUET_IS_CLIENT (client));

  if (mxc_uri != NULL && *mxc_uri == '\0')
    mxc_uri = NULL;

  state = g_object_get_data (G_OBJECT (avatar), REQUEST_KEY);
  if (state != NULL && g_strcmp0 (state->mxc_uri, mxc_uri) == 0)
    return;

  /* Cancels the request in flight, if any. */
  g_object_set_data (G_OBJECT (avatar), REQUEST_KEY, NULL);
  adw_avatar_set_custom_image (avatar, NULL);

  if (mxc_uri == NULL || client == NULL)
    return;

  state = g_new0 (AvatarState, 1);
  state->mxc_uri = g_strdup (mxc_uri);
  state->cancellable = g_cancellable_new ();
  g_object_set_data_full (G_OBJECT (avatar), REQUEST_KEY, state, (GDestroyNotify) avatar_state_free);

  cached = g_hash_table_lookup (texture_cache (client), mxc_uri);
  if (cached != NULL)
    {
      adw_avatar_set_custom_image (avatar, GDK_PAINTABLE (cached));
      return;
    }

  request = g_new0 (AvatarRequest, 1);
  g_weak_ref_init (&request->avatar, avatar);
  request->client = g_object_ref (client);
  request->mxc_uri = g_strdup (mxc_uri);
  request->cancellable = g_object_ref (state->cancellable);

  duet_client_download_media_async (client, mxc_uri, request->cancellable, media_downloaded_cb, request);
}
