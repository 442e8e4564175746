/* duet-member-private.h: how a room keeps its members up to date
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-member.h"

G_BEGIN_DECLS

/* A member as its first event describes it (values as for update). */
DuetMember *_duet_member_new    (const char     *user_id,
                                 DuetMembership  membership,
                                 const char     *display_name,
                                 const char     *avatar_url) G_GNUC_WARN_UNUSED_RESULT;
/* Takes the values of a member event (already sanitized; NULL = unset) and
 * notifies what changed.  Returns whether anything did. */
gboolean    _duet_member_update (DuetMember     *self,
                                 DuetMembership  membership,
                                 const char     *display_name,
                                 const char     *avatar_url);

G_END_DECLS
