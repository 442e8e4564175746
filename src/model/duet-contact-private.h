/* duet-contact-private.h: how the contact list keeps a contact current
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-contact.h"

G_BEGIN_DECLS

DuetContact *_duet_contact_new    (const char  *user_id) G_GNUC_WARN_UNUSED_RESULT;
/* Points the contact at @room (its best DM) with the shown @name and
 * @avatar_url, and copies the room's last message, activity and unread
 * count.  Notifies what changed. */
void         _duet_contact_update (DuetContact *self,
                                   DuetRoom    *room,
                                   const char  *name,
                                   const char  *avatar_url);

G_END_DECLS
