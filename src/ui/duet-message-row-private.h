/* duet-message-row-private.h: a message row's parts, for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-message-row.h"

G_BEGIN_DECLS

/* The part called @name ("body_label", "reply_box", "retry_button", ...,
 * as the struct's fields), or NULL while the row has not made it: a row
 * makes only the parts its item has shown. */
GtkWidget *duet_message_row_get_part (DuetMessageRow *self,
                                      const char     *name);

G_END_DECLS
