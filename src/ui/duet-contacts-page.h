/* duet-contacts-page.h: the people you have direct chats with, and invites
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "duet-session.h"

G_BEGIN_DECLS

#define DUET_TYPE_CONTACTS_PAGE (duet_contacts_page_get_type ())
G_DECLARE_FINAL_TYPE (DuetContactsPage, duet_contacts_page, DUET, CONTACTS_PAGE, AdwBin)

/* Property: session (DuetSession, read-write).
 * Signal room-activated (const char *room_id): a contact was opened, a
 * Start Chat found or made a room, or an invite was accepted. */
GtkWidget   *duet_contacts_page_new         (void);
DuetSession *duet_contacts_page_get_session (DuetContactsPage *self);
void         duet_contacts_page_set_session (DuetContactsPage *self,
                                             DuetSession      *session);
/* NULL or "": opens the Start Chat dialog.  A user id (or a matrix: URI or
 * matrix.to link to one) starts that chat directly, partner-left included. */
void         duet_contacts_page_start_chat  (DuetContactsPage *self,
                                             const char       *user_id_or_null);
/* Asks about the pending invite to @room_id (nothing when it is gone). */
void         duet_contacts_page_open_invite (DuetContactsPage *self,
                                             const char       *room_id);

G_END_DECLS
