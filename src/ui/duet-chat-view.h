/* duet-chat-view.h: one open conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "duet-session.h"
#include "duet-timeline.h"

G_BEGIN_DECLS

#define DUET_TYPE_CHAT_VIEW (duet_chat_view_get_type ())
G_DECLARE_FINAL_TYPE (DuetChatView, duet_chat_view, DUET, CHAT_VIEW, AdwBin)

/* Properties: room (read-only; set with open), folded (read-write: the
 * window's leaflet is folded, so the back button and the window buttons
 * show), members-visible (read-write). */
GtkWidget    *duet_chat_view_new              (void);
/* Opens @room of @session (NULL closes): its timeline loads, the draft
 * comes back, the composer takes the focus. */
void          duet_chat_view_open             (DuetChatView *self,
                                               DuetSession  *session,
                                               DuetRoom     *room);
DuetRoom     *duet_chat_view_get_room         (DuetChatView *self);
/* The open chat's model, or NULL. */
DuetTimeline *duet_chat_view_get_timeline     (DuetChatView *self);
/* Shows @message (plain text) in a toast over the chat. */
void          duet_chat_view_show_message     (DuetChatView *self,
                                               const char   *message);

G_END_DECLS
