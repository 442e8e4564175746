/* duet-notifier.h: desktop notifications for new direct messages and invites
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "duet-session.h"

G_BEGIN_DECLS

#define DUET_TYPE_NOTIFIER (duet_notifier_get_type ())
G_DECLARE_FINAL_TYPE (DuetNotifier, duet_notifier, DUET, NOTIFIER, GObject)

/* Sends GNotifications through @application while @window is not the
 * focused window, when the boolean "notifications" key of @settings is on:
 * a message from someone else in a direct chat (id "room-<hash>", default
 * action app.open-room with the room id) and a new invite (id
 * "invite-<hash>", app.open-invite).  A room's notification is withdrawn
 * when its unread count drops to 0 or when it is the open room of the
 * focused window.  Nothing from a first sync without a token (the whole
 * recent history of a new sign-in) notifies. */
DuetNotifier *duet_notifier_new           (GApplication *application,
                                           GtkWindow    *window,
                                           GSettings    *settings);
/* Follows @session's live syncs (NULL: none; withdraws what was sent). */
void          duet_notifier_set_session   (DuetNotifier *self,
                                           DuetSession  *session);
/* The room the window shows, or NULL. */
void          duet_notifier_set_open_room (DuetNotifier *self,
                                           const char   *room_id);
/* The notification id of @room_id's messages ("room-" + a hash). */
char         *duet_notifier_dup_room_notification_id (const char *room_id) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
