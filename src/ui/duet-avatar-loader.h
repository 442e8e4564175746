/* duet-avatar-loader.h: mxc:// avatars into AdwAvatar, through the media cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "duet-client.h"

G_BEGIN_DECLS

/* Shows the image at @mxc_uri in @avatar once it is downloaded and decoded
 * (the initials meanwhile, and for good when it fails: an avatar is never
 * worth an error message).  A later call, or @mxc_uri NULL, replaces the
 * request; decoded images are shared per client, so recycled list rows
 * show them at once. */
void duet_avatar_loader_set_avatar (AdwAvatar  *avatar,
                                    DuetClient *client,
                                    const char *mxc_uri);

G_END_DECLS
