/* duet-ignore-list.h: careful writes to the account's m.ignored_user_list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-client.h"

G_BEGIN_DECLS

#define DUET_TYPE_IGNORE_LIST (duet_ignore_list_get_type ())
G_DECLARE_FINAL_TYPE (DuetIgnoreList, duet_ignore_list, DUET, IGNORE_LIST, GObject)

DuetIgnoreList *duet_ignore_list_new               (DuetClient      *client);

/* Like m.direct, m.ignored_user_list is shared by every device of the
 * account, so writes are one serialized read-modify-write at a time: a
 * fresh GET (404 M_NOT_FOUND = empty), our own delta applied to exactly
 * what the server holds (other users and unknown keys kept), then PUT — or
 * no PUT when nothing changes.  Any other GET failure, or content that is
 * not an object (or whose "ignored_users" is not one), writes nothing and
 * fails.  Changes asked for while a write is in flight share the next one. */
void            duet_ignore_list_add_user_async    (DuetIgnoreList  *self,
                                                    const char      *user_id,
                                                    GCancellable    *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer         user_data);
gboolean        duet_ignore_list_add_user_finish   (DuetIgnoreList  *self,
                                                    GAsyncResult    *result,
                                                    GError         **error);
void            duet_ignore_list_remove_user_async (DuetIgnoreList  *self,
                                                    const char      *user_id,
                                                    GCancellable    *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer         user_data);
gboolean        duet_ignore_list_remove_user_finish (DuetIgnoreList *self,
                                                    GAsyncResult    *result,
                                                    GError         **error);
/* How many PUTs this object has made (for tests). */
guint           duet_ignore_list_get_write_count   (DuetIgnoreList  *self);

G_END_DECLS
