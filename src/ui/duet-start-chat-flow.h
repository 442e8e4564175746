/* duet-start-chat-flow.h: Start Chat with one person, partner-left included
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared by the Start Chat dialog and duet_contacts_page_start_chat, so a
 * pasted link and a directory pick behave the same.
 */
#pragma once

#include <adwaita.h>

#include "duet-session.h"

G_BEGIN_DECLS

/* Opens or creates the direct chat with @user_id (duet_session_start_chat).
 * When the only chat has the partner gone, asks over @parent: invite them
 * back into it, start a new one (created is_direct and marked in m.direct),
 * or cancel (G_IO_ERROR_CANCELLED).  Resolves to the room to open. */
void   duet_start_chat_flow_async          (DuetSession        *session,
                                            GtkWindow          *parent,
                                            const char         *user_id,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
char  *duet_start_chat_flow_finish         (DuetSession        *session,
                                            GAsyncResult       *result,
                                            GError            **error) G_GNUC_WARN_UNUSED_RESULT;

/* An error of the Matrix layer in plain words for a person (never markup). */
char  *duet_start_chat_flow_describe_error (const GError       *error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
