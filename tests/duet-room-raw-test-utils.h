/* duet-room-raw-test-utils.h: the in-place room reader against the tree one
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Splits @body as the streamed /sync does and feeds every room's entry,
 * in order, to two rooms per room id: one through json-glib's tree
 * (_duet_room_apply_joined() and its siblings), one read in place
 * (_duet_room_apply_raw()).  Asserts that both readers take or refuse the
 * same entries, that the rooms agree on every property and member after
 * each entry, and that the timeline's last event id agrees.  Returns the
 * number of entries compared (0 when the body itself is refused). */
guint duet_test_compare_room_readers (GBytes     *body,
                                      const char *own_user_id);

G_END_DECLS
