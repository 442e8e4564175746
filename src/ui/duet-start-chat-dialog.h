/* duet-start-chat-dialog.h: find a person and open the direct chat with them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "duet-session.h"

G_BEGIN_DECLS

#define DUET_TYPE_START_CHAT_DIALOG (duet_start_chat_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DuetStartChatDialog, duet_start_chat_dialog, DUET, START_CHAT_DIALOG, AdwWindow)

/* A modal window over @parent.  Signal room-activated (const char *room_id)
 * is emitted once the chat is open or made, just before the dialog closes. */
DuetStartChatDialog *duet_start_chat_dialog_new    (GtkWindow           *parent,
                                                    DuetSession         *session);
/* Starts the chat with @user_id as if it had been picked from the list. */
void                 duet_start_chat_dialog_choose (DuetStartChatDialog *self,
                                                    const char          *user_id);

G_END_DECLS
