/* duet-invite-dialog.h: "Mark this chat as a direct chat with Carol?"
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "duet-session.h"

G_BEGIN_DECLS

#define DUET_TYPE_INVITE_DIALOG (duet_invite_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DuetInviteDialog, duet_invite_dialog, DUET, INVITE_DIALOG, AdwMessageDialog)

typedef enum {
  DUET_INVITE_ANSWER_ACCEPTED,
  DUET_INVITE_ANSWER_DECLINED,
} DuetInviteAnswer;

/* Asks about @invite (a room we are invited to), over @parent.  An is_direct
 * invite under the ASK policy offers "Accept as Direct Chat", "Accept as
 * Group", "Decline" and "Decline and Block"; otherwise (ALWAYS / NEVER, or
 * a group invite) "Accept", "Decline" and "Decline and Block", and
 * accepting follows the policy.  Responses: "direct", "group", "accept",
 * "decline", "block"; Escape is "cancel". */
DuetInviteDialog *duet_invite_dialog_new        (GtkWindow        *parent,
                                                 DuetSession      *session,
                                                 DuetRoom         *invite);
/* Presents the dialog and carries out the answer with the session.
 * Resolves once the server took it; G_IO_ERROR_CANCELLED when dismissed.
 * The dialog is usually gone by then: the callback's source is NULL. */
void              duet_invite_dialog_run_async  (DuetInviteDialog *self,
                                                 GCancellable     *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer          user_data);
gboolean          duet_invite_dialog_run_finish (GAsyncResult     *result,
                                                 DuetInviteAnswer *answer,
                                                 char            **room_id,
                                                 GError          **error);

G_END_DECLS
