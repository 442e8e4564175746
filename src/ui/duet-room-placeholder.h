/* duet-room-placeholder.h: where a conversation will be shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "duet-room.h"

G_BEGIN_DECLS

#define DUET_TYPE_ROOM_PLACEHOLDER (duet_room_placeholder_get_type ())
G_DECLARE_FINAL_TYPE (DuetRoomPlaceholder, duet_room_placeholder, DUET, ROOM_PLACEHOLDER, AdwBin)

/* Property: room (DuetRoom, may be NULL: nothing chosen yet). */
GtkWidget *duet_room_placeholder_new      (void);
DuetRoom  *duet_room_placeholder_get_room (DuetRoomPlaceholder *self);
void       duet_room_placeholder_set_room (DuetRoomPlaceholder *self,
                                           DuetRoom            *room);

G_END_DECLS
