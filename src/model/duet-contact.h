/* duet-contact.h: a person we have a direct chat with
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-room.h"

G_BEGIN_DECLS

#define DUET_TYPE_CONTACT (duet_contact_get_type ())
G_DECLARE_FINAL_TYPE (DuetContact, duet_contact, DUET, CONTACT, GObject)

/* Properties (read-only, notified on real change): user-id, name,
 * avatar-url, last-message, last-activity, unread-count, room. */
const char    *duet_contact_get_user_id         (DuetContact *self);
/* The partner's display name in the DM (member event), else the global
 * profile's, else the user id; two contacts with the same name get their
 * user id appended by the list. */
const char    *duet_contact_get_name            (DuetContact *self);
const char    *duet_contact_get_avatar_url      (DuetContact *self);
const char    *duet_contact_get_last_message    (DuetContact *self);
gint64         duet_contact_get_last_activity   (DuetContact *self);
guint          duet_contact_get_unread_count    (DuetContact *self);
/* The room "Start Chat" opens for this person (the best DM), or NULL. */
DuetRoom      *duet_contact_get_room            (DuetContact *self);

G_END_DECLS
