/* duet-window.h: Duet's main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "duet-application.h"
#include "duet-session.h"

G_BEGIN_DECLS

#define DUET_TYPE_WINDOW (duet_window_get_type ())
G_DECLARE_FINAL_TYPE (DuetWindow, duet_window, DUET, WINDOW, AdwApplicationWindow)

/* Opens signed in when the keyring has the data folder's account, else
 * on the sign-in page. */
DuetWindow  *duet_window_new          (DuetApplication *application);
/* The signed-in account's session, or NULL. */
DuetSession *duet_window_get_session  (DuetWindow      *self);
/* Opens the Start Chat dialog (@user_id NULL) or the chat with @user_id;
 * before the contacts are shown, this waits for them. */
void         duet_window_start_chat   (DuetWindow      *self,
                                       const char      *user_id);
/* Shows the chat @room_id (a joined room), as clicking its contact does. */
void         duet_window_open_room    (DuetWindow      *self,
                                       const char      *room_id);
/* Asks about the invite to @room_id (the invite dialog). */
void         duet_window_open_invite  (DuetWindow      *self,
                                       const char      *room_id);
/* A short note at the bottom of the window (plain text). */
void         duet_window_show_message (DuetWindow      *self,
                                       const char      *message);

G_END_DECLS
