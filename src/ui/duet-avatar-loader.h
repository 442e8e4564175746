/* duet-avatar-loader.h: mxc:// avatars into AdwAvatar or DuetAvatar, through the media cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "duet-avatar.h"
#include "duet-client.h"

G_BEGIN_DECLS

/* How many decoded avatars a client keeps in memory (the least recently
 * shown go first); the files stay in the client's media cache on disk. */
#define DUET_AVATAR_LOADER_CACHE_SIZE 400

/* Shows the image at @mxc_uri in @avatar once it is downloaded and decoded
 * at the avatar's size in device pixels (the initials meanwhile, and for
 * good when it fails: an avatar is never worth an error message).  A later
 * call, or @mxc_uri NULL, replaces the request and never lets the old one
 * show.  Decoded images are kept per client and size, so a recycled list
 * row shows one it showed before at once, without a request. */
void   duet_avatar_loader_set_avatar      (AdwAvatar  *avatar,
                                           DuetClient *client,
                                           const char *mxc_uri);
/* The same, but a picture not in memory is only asked for when the avatar
 * still wants it a moment later: list rows that fly past while scrolling
 * cost nothing. */
void   duet_avatar_loader_set_avatar_lazily (AdwAvatar  *avatar,
                                             DuetClient *client,
                                             const char *mxc_uri);
/* The same two for the lighter avatar of list rows. */
void   duet_avatar_loader_set_duet_avatar   (DuetAvatar *avatar,
                                             DuetClient *client,
                                             const char *mxc_uri);
void   duet_avatar_loader_set_duet_avatar_lazily (DuetAvatar *avatar,
                                                  DuetClient *client,
                                                  const char *mxc_uri);

/* The memory cache of @client: how many textures it holds, and a smaller
 * bound than DUET_AVATAR_LOADER_CACHE_SIZE (for tests). */
guint  duet_avatar_loader_get_cache_count (DuetClient *client);
void   duet_avatar_loader_set_cache_limit (DuetClient *client,
                                           guint       limit);

G_END_DECLS
