/* duet-member.h: one user's membership of one room
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  DUET_MEMBERSHIP_NONE,
  DUET_MEMBERSHIP_JOIN,
  DUET_MEMBERSHIP_INVITE,
  DUET_MEMBERSHIP_LEAVE,
  DUET_MEMBERSHIP_BAN,
  DUET_MEMBERSHIP_KNOCK,
} DuetMembership;

#define DUET_TYPE_MEMBERSHIP (duet_membership_get_type ())
GType          duet_membership_get_type         (void) G_GNUC_CONST;
DuetMembership duet_membership_from_string      (const char  *membership);

#define DUET_TYPE_MEMBER (duet_member_get_type ())
G_DECLARE_FINAL_TYPE (DuetMember, duet_member, DUET, MEMBER, GObject)

/* Properties: user-id, display-name, avatar-url, membership (all read-only,
 * notified on real change). */
const char    *duet_member_get_user_id          (DuetMember  *self);
/* The room's display name for the user (from the member event), or NULL. */
const char    *duet_member_get_display_name     (DuetMember  *self);
const char    *duet_member_get_avatar_url       (DuetMember  *self);
DuetMembership duet_member_get_membership       (DuetMember  *self);

G_END_DECLS
