/* duet-avatar-loader.c: mxc:// avatars into AdwAvatar or DuetAvatar, through the media cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * (a moment later) download into the client's media cache on disk -> read
 * and decode at the avatar's device-pixel size in a worker thread ->
 * texture, kept in a bounded per-client memory cache (LRU) keyed by size
 * and mxc:// URI.  Each avatar keeps what it wants as object data, so a
 * recycled row cancels what it no longer shows, and a late answer never
 * lands on an avatar that moved on.
 *
 * The texture has the size it is drawn at: the renderers then copy it as
 * it is, where a bigger one would be filtered down on every frame (with
 * the cairo renderer that was most of a frame's pixel work).
 */
#include "config.h"

#include <glib/gstdio.h>

#include "duet-avatar.h"
#include "duet-avatar-loader.h"

/* A bigger file is not a profile picture we want to decode on a phone. */
#define MAX_FILE_SIZE (8 * 1024 * 1024)
/* Device pixels: a bound for odd avatar sizes and scale factors. */
#define MIN_DECODE_SIZE 16
#define MAX_DECODE_SIZE 256
/* A row that scrolls past within this time never asks for its avatar. */
#define LOAD_DELAY_MS 100

#define STATE_KEY "duet-avatar-state"
#define CACHE_KEY "duet-avatar-texture-cache"

/* --- The memory cache: per client, bounded, least recently used out ------ */

typedef struct {
  char       *key;
  GdkTexture *texture;
} CacheEntry;

typedef struct {
  GHashTable *links;   /* key (owned by the entry) -> GList link in lru */
  GQueue      lru;     /* of CacheEntry, the most recently used first */
  guint       limit;
} TextureCache;

static void
cache_entry_free (CacheEntry *entry)
{
  g_free (entry->key);
  g_clear_object (&entry->texture);
  g_free (entry);
}

static void
texture_cache_free (TextureCache *cache)
{
  g_hash_table_unref (cache->links);
  g_queue_clear_full (&cache->lru, (GDestroyNotify) cache_entry_free);
  g_free (cache);
}

static TextureCache *
texture_cache (DuetClient *client)
{
  TextureCache *cache = g_object_get_data (G_OBJECT (client), CACHE_KEY);

  if (cache == NULL)
    {
      cache = g_new0 (TextureCache, 1);
      cache->links = g_hash_table_new (g_str_hash, g_str_equal);
      g_queue_init (&cache->lru);
      cache->limit = DUET_AVATAR_LOADER_CACHE_SIZE;
      g_object_set_data_full (G_OBJECT (client), CACHE_KEY, cache, (GDestroyNotify) texture_cache_free);
    }
  return cache;
}

static void
texture_cache_trim (TextureCache *cache)
{
  while (cache->lru.length > cache->limit)
    {
      CacheEntry *oldest = g_queue_pop_tail (&cache->lru);

      g_hash_table_remove (cache->links, oldest->key);
      cache_entry_free (oldest);
    }
}

static GdkTexture *
texture_cache_lookup (TextureCache *cache,
                      const char   *key)
{
  GList *link = g_hash_table_lookup (cache->links, key);

  if (link == NULL)
    return NULL;
  g_queue_unlink (&cache->lru, link);
  g_queue_push_head_link (&cache->lru, link);
  return ((CacheEntry *) link->data)->texture;
}

static void
texture_cache_insert (TextureCache *cache,
                      const char   *key,
                      GdkTexture   *texture)
{
  GList *link = g_hash_table_lookup (cache->links, key);
  CacheEntry *entry;

  if (link != NULL)
    {
      entry = link->data;
      g_set_object (&entry->texture, texture);
      g_queue_unlink (&cache->lru, link);
      g_queue_push_head_link (&cache->lru, link);
      return;
    }

  entry = g_new0 (CacheEntry, 1);
  entry->key = g_strdup (key);
  entry->texture = g_object_ref (texture);
  g_queue_push_head (&cache->lru, entry);
  g_hash_table_insert (cache->links, entry->key, cache->lru.head);
  texture_cache_trim (cache);
}

guint
duet_avatar_loader_get_cache_count (DuetClient *client)
{
  g_return_val_if_fail (DUET_IS_CLIENT (client), 0);
  return texture_cache (client)->lru.length;
}

void
duet_avatar_loader_set_cache_limit (DuetClient *client,
                                    guint       limit)
{
  TextureCache *cache;

  g_return_if_fail (DUET_IS_CLIENT (client));

  cache = texture_cache (client);
  cache->limit = CLAMP (limit, 1, DUET_AVATAR_LOADER_CACHE_SIZE);
  texture_cache_trim (cache);
}

/* --- One avatar's wish, and one request for it ----------------------------- */

/* What the avatar holds: the picture it wants, and its request's cancellable
 * (the identity a finished request is checked against). */
typedef struct {
  GtkWidget    *avatar;    /* unowned: the state is the avatar's data */
  DuetClient   *client;
  char         *mxc_uri;
  char         *key;
  int           size;
  GCancellable *cancellable;
  guint         delay_id;
} AvatarState;

static void
avatar_state_free (AvatarState *state)
{
  g_clear_handle_id (&state->delay_id, g_source_remove);
  g_cancellable_cancel (state->cancellable);
  g_clear_object (&state->cancellable);
  g_clear_object (&state->client);
  g_free (state->mxc_uri);
  g_free (state->key);
  g_free (state);
}

typedef struct {
  GWeakRef      avatar;
  DuetClient   *client;
  char         *mxc_uri;
  char         *key;
  int           size;
  GCancellable *cancellable;
} AvatarRequest;

static void
avatar_request_free (AvatarRequest *request)
{
  g_weak_ref_clear (&request->avatar);
  g_clear_object (&request->client);
  g_free (request->mxc_uri);
  g_free (request->key);
  g_clear_object (&request->cancellable);
  g_free (request);
}

/* The two kinds of avatar: AdwAvatar, and the lighter DuetAvatar of lists. */
static int
avatar_size (GtkWidget *avatar)
{
  if (DUET_IS_AVATAR (avatar))
    return duet_avatar_get_size (DUET_AVATAR (avatar));
  return adw_avatar_get_size (ADW_AVATAR (avatar));
}

static void
avatar_show (GtkWidget    *avatar,
             GdkPaintable *image)
{
  if (DUET_IS_AVATAR (avatar))
    duet_avatar_set_custom_image (DUET_AVATAR (avatar), image);
  else
    adw_avatar_set_custom_image (ADW_AVATAR (avatar), image);
}

static void
finish_request (AvatarRequest *request,
                GdkTexture    *texture)
{
  g_autoptr(GtkWidget) avatar = g_weak_ref_get (&request->avatar);
  AvatarState *state;

  texture_cache_insert (texture_cache (request->client), request->key, texture);

  if (avatar == NULL)
    return;
  state = g_object_get_data (G_OBJECT (avatar), STATE_KEY);
  /* The avatar moved on to another picture meanwhile. */
  if (state == NULL || state->cancellable != request->cancellable)
    return;
  avatar_show (avatar, GDK_PAINTABLE (texture));
}

/* Worker thread: the file is in the media cache, so this is local I/O and
 * decoding, both off the main thread; GdkTexture may be made in any thread. */
static void
decode_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  AvatarRequest *request = task_data;
  g_autofree char *path = g_file_get_path (source_object);
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  GError *error = NULL;
  GStatBuf st;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (g_stat (path, &st) != 0 || st.st_size > MAX_FILE_SIZE)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "missing or too large");
      return;
    }
  pixbuf = gdk_pixbuf_new_from_file_at_scale (path, request->size, request->size, TRUE, &error);
  if (pixbuf == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, gdk_texture_new_for_pixbuf (pixbuf), g_object_unref);
}

static void
decoded_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  AvatarRequest *request = g_task_get_task_data (G_TASK (result));
  g_autoptr(GdkTexture) texture = g_task_propagate_pointer (G_TASK (result), &error);

  if (texture != NULL)
    finish_request (request, texture);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Could not decode avatar %s: %s", request->mxc_uri, error->message);
}

static void
media_downloaded_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  AvatarRequest *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = duet_client_download_media_finish (DUET_CLIENT (source), result, &error);
  g_autoptr(GTask) task = NULL;

  if (file == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not download avatar %s: %s", request->mxc_uri, error->message);
      avatar_request_free (request);
      return;
    }

  task = g_task_new (file, request->cancellable, decoded_cb, NULL);
  g_task_set_source_tag (task, media_downloaded_cb);
  g_task_set_priority (task, G_PRIORITY_LOW);
  g_task_set_task_data (task, request, (GDestroyNotify) avatar_request_free);
  g_task_run_in_thread (task, decode_thread);
}

static gboolean
start_request_cb (gpointer user_data)
{
  AvatarState *state = user_data;
  AvatarRequest *request = g_new0 (AvatarRequest, 1);

  state->delay_id = 0;
  g_weak_ref_init (&request->avatar, state->avatar);
  request->client = g_object_ref (state->client);
  request->mxc_uri = g_strdup (state->mxc_uri);
  request->key = g_strdup (state->key);
  request->size = state->size;
  request->cancellable = g_object_ref (state->cancellable);

  duet_client_download_media_async (request->client, request->mxc_uri, request->cancellable,
                                    media_downloaded_cb, request);
  return G_SOURCE_REMOVE;
}

static int
decode_size (GtkWidget *avatar)
{
  int size = avatar_size (avatar) * MAX (gtk_widget_get_scale_factor (avatar), 1);

  return CLAMP (size, MIN_DECODE_SIZE, MAX_DECODE_SIZE);
}

static void
set_avatar (GtkWidget  *avatar,
            DuetClient *client,
            const char *mxc_uri,
            gboolean    lazily)
{
  AvatarState *state;
  GdkTexture *cached;
  int size;

  if (mxc_uri != NULL && *mxc_uri == '\0')
    mxc_uri = NULL;
  if (client == NULL)
    mxc_uri = NULL;
  size = decode_size (avatar);

  state = g_object_get_data (G_OBJECT (avatar), STATE_KEY);
  if (state == NULL && mxc_uri == NULL)
    return;
  if (state != NULL && mxc_uri != NULL && state->client == client && state->size == size &&
      g_str_equal (state->mxc_uri, mxc_uri))
    return;

  /* Cancels the request in flight, if any: never a stale picture. */
  g_object_set_data (G_OBJECT (avatar), STATE_KEY, NULL);

  if (mxc_uri == NULL)
    {
      avatar_show (avatar, NULL);
      return;
    }

  state = g_new0 (AvatarState, 1);
  state->avatar = avatar;
  state->client = g_object_ref (client);
  state->mxc_uri = g_strdup (mxc_uri);
  state->size = size;
  state->key = g_strdup_printf ("%d %s", size, mxc_uri);
  state->cancellable = g_cancellable_new ();
  g_object_set_data_full (G_OBJECT (avatar), STATE_KEY, state, (GDestroyNotify) avatar_state_free);

  cached = texture_cache_lookup (texture_cache (client), state->key);
  avatar_show (avatar, cached != NULL ? GDK_PAINTABLE (cached) : NULL);
  if (cached == NULL && lazily)
    state->delay_id = g_timeout_add_full (G_PRIORITY_LOW, LOAD_DELAY_MS, start_request_cb, state, NULL);
  else if (cached == NULL)
    start_request_cb (state);
}

void
duet_avatar_loader_set_avatar (AdwAvatar  *avatar,
                               DuetClient *client,
                               const char *mxc_uri)
{
  g_return_if_fail (ADW_IS_AVATAR (avatar));
  g_return_if_fail (client == NULL || DUET_IS_CLIENT (client));

  set_avatar (GTK_WIDGET (avatar), client, mxc_uri, FALSE);
}

void
duet_avatar_loader_set_avatar_lazily (AdwAvatar  *avatar,
                                      DuetClient *client,
                                      const char *mxc_uri)
{
  g_return_if_fail (ADW_IS_AVATAR (avatar));
  g_return_if_fail (client == NULL || DUET_IS_CLIENT (client));

  set_avatar (GTK_WIDGET (avatar), client, mxc_uri, TRUE);
}

void
duet_avatar_loader_set_duet_avatar (DuetAvatar *avatar,
                                    DuetClient *client,
                                    const char *mxc_uri)
{
  g_return_if_fail (DUET_IS_AVATAR (avatar));
  g_return_if_fail (client == NULL || DUET_IS_CLIENT (client));

  set_avatar (GTK_WIDGET (avatar), client, mxc_uri, FALSE);
}

void
duet_avatar_loader_set_duet_avatar_lazily (DuetAvatar *avatar,
                                           DuetClient *client,
                                           const char *mxc_uri)
{
  g_return_if_fail (DUET_IS_AVATAR (avatar));
  g_return_if_fail (client == NULL || DUET_IS_CLIENT (client));

  set_avatar (GTK_WIDGET (avatar), client, mxc_uri, TRUE);
}
