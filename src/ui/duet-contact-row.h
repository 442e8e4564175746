/* duet-contact-row.h: one person, or one pending invite, in the contacts list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "duet-client.h"
#include "duet-contact.h"
#include "duet-room.h"

G_BEGIN_DECLS

#define DUET_TYPE_CONTACT_ROW (duet_contact_row_get_type ())
G_DECLARE_FINAL_TYPE (DuetContactRow, duet_contact_row, DUET, CONTACT_ROW, GtkWidget)

/* Properties: contact (DuetContact), invite (a DuetRoom we are invited to),
 * client (for avatars); setting contact or invite clears the other. */
GtkWidget   *duet_contact_row_new            (void);
DuetContact *duet_contact_row_get_contact    (DuetContactRow *self);
void         duet_contact_row_set_contact    (DuetContactRow *self,
                                              DuetContact    *contact);
DuetRoom    *duet_contact_row_get_invite     (DuetContactRow *self);
void         duet_contact_row_set_invite     (DuetContactRow *self,
                                              DuetRoom       *invite);
/* Forgets the contact or invite, as setting NULL does, but leaves the
 * widgets as they are: a recycled list row is bound to its next item at
 * once, and blanking it in between costs the frame twice the work. */
void         duet_contact_row_unbind         (DuetContactRow *self);
void         duet_contact_row_set_client     (DuetContactRow *self,
                                              DuetClient     *client);

/* "14:02" today, "Yesterday", a weekday within the week, else a date; ""
 * for 0.  @timestamp_ms is a server timestamp, @now local time. */
char        *duet_contact_row_format_time    (gint64          timestamp_ms,
                                              GDateTime      *now) G_GNUC_WARN_UNUSED_RESULT;

/* The inviter's name for an invite: the member event's display name, else
 * the user id.  Plain text. */
const char  *duet_contact_row_inviter_name   (DuetRoom       *invite);

G_END_DECLS
