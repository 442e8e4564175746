/* duet-session-chats.c: Start Chat, invites, marking chats direct, read state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "duet-session-private.h"

struct _DuetSessionChats
{
  DuetSession *session;  /* not owned: the session owns us */
};

DuetSessionChats *
_duet_session_chats_new (DuetSession *session)
{
  DuetSessionChats *chats = g_new0 (DuetSessionChats, 1);

  chats->session = session;
  return chats;
}

void
_duet_session_chats_free (DuetSessionChats *chats)
{
  g_free (chats);
}
