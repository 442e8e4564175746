/* duet-timeline-echo.c: our messages on their way, at the end of the chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Local echoes follow the outbox's room queue (duet-outbox.h).  Until the
 * outbox is in the tree this file only keeps the timeline's hooks.
 */
#include "config.h"

#include "duet-timeline-private.h"

void
_duet_timeline_echo_init (DuetTimeline *self)
{
}

void
_duet_timeline_echo_dispose (DuetTimeline *self)
{
}

void
_duet_timeline_echo_take_event (DuetTimeline     *self,
                                DuetTimelineItem *item)
{
}
