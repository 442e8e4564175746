/* duet-message-row.h: one item of a chat's timeline, drawn
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "duet-timeline.h"

G_BEGIN_DECLS

#define DUET_TYPE_MESSAGE_ROW (duet_message_row_get_type ())
G_DECLARE_FINAL_TYPE (DuetMessageRow, duet_message_row, DUET, MESSAGE_ROW, AdwBin)

/* Properties: item, timeline, show-sender (names and avatars at a group's
 * start: more than two people in the room). */
GtkWidget        *duet_message_row_new             (void);
DuetTimelineItem *duet_message_row_get_item        (DuetMessageRow   *self);
void              duet_message_row_set_item        (DuetMessageRow   *self,
                                                    DuetTimelineItem *item);
void              duet_message_row_set_timeline    (DuetMessageRow   *self,
                                                    DuetTimeline     *timeline);
void              duet_message_row_set_show_sender (DuetMessageRow   *self,
                                                    gboolean          show_sender);

/* "14:02" today-independent short time, and the full one for tooltips. */
char             *duet_message_row_format_time      (gint64           timestamp_ms);
char             *duet_message_row_format_full_time (gint64           timestamp_ms);
/* "Today", "Yesterday", "Monday 3 March", "3 March 2023". */
char             *duet_message_row_format_day       (gint64           timestamp_ms,
                                                     GDateTime       *now);

G_END_DECLS
