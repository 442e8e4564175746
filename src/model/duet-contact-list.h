/* duet-contact-list.h: the people we have direct chats with
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-contact.h"
#include "duet-session.h"

G_BEGIN_DECLS

#define DUET_TYPE_CONTACT_LIST (duet_contact_list_get_type ())
G_DECLARE_FINAL_TYPE (DuetContactList, duet_contact_list, DUET, CONTACT_LIST, GObject)

/* A GListModel of DuetContact, newest activity first.  The same person
 * keeps the same DuetContact object across updates. */
DuetContactList *duet_contact_list_new      (void);
DuetContact     *duet_contact_list_lookup   (DuetContactList *self,
                                             const char      *user_id);

/* Recomputes the list from @session's m.direct mirror and rooms: one
 * contact per valid user of m.direct with a room we are joined to (or an
 * invite from them), names disambiguated, sorted; one items-changed for
 * the span that moved.  No I/O. */
void             _duet_contact_list_rebuild (DuetContactList *self,
                                             DuetSession     *session);

/* @room changed (one room of a sync response): only the people tied to it
 * are looked at again.  A contact whose place changes is one removal and
 * one insertion; one that stays only notifies its changed properties.
 * m.direct changes need the rebuild. */
void             duet_contact_list_update_room (DuetContactList *self,
                                                DuetSession     *session,
                                                DuetRoom        *room);

G_END_DECLS
