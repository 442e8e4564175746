/* duet-matrix-id.h: validation of Matrix identifiers and mxc:// URIs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything from a server is untrusted: identifiers are checked before they
 * reach a path, a file name or the screen.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DUET_MATRIX_ID_MAX_LENGTH 255

gboolean duet_matrix_is_valid_server_name (const char  *server_name);
gboolean duet_matrix_is_valid_user_id     (const char  *user_id);
gboolean duet_matrix_is_valid_room_id     (const char  *room_id);
gboolean duet_matrix_is_valid_event_id    (const char  *event_id);
gboolean duet_matrix_is_loopback_host     (const char  *host);

/* Splits "mxc://server/media_id", accepting only a valid server name and a
 * media id of [A-Za-z0-9_-]+.  Either out argument may be NULL. */
gboolean duet_mxc_parse                   (const char  *uri,
                                           char       **server_name,
                                           char       **media_id,
                                           GError     **error);

G_END_DECLS
