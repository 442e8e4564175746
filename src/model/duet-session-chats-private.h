/* duet-session-chats-private.h: what the direct-chat files share, and knobs for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-ignore-list.h"
#include "duet-session.h"

G_BEGIN_DECLS

/* How long Start Chat waits, after an unclear createRoom failure, for a
 * sync to show the room the request may have made (0: the default, twice
 * the sync loop's long-poll timeout plus 5 s). */
void _duet_session_set_start_chat_recovery_timeout (DuetSession *self,
                                                    guint        timeout_ms);

/* The session's writer of m.ignored_user_list (made on first use). */
DuetIgnoreList *_duet_session_get_ignore_list (DuetSession *self);

G_END_DECLS
