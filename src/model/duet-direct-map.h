/* duet-direct-map.h: the live mirror of the account's m.direct
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-client.h"

G_BEGIN_DECLS

#define DUET_TYPE_DIRECT_MAP (duet_direct_map_get_type ())
G_DECLARE_FINAL_TYPE (DuetDirectMap, duet_direct_map, DUET, DIRECT_MAP, GObject)

DuetDirectMap *duet_direct_map_new                 (DuetClient     *client);

/* The content of the m.direct event from /sync (or the store): replaces
 * the mirror and emits ::changed when what it lists changed. */
void           duet_direct_map_update              (DuetDirectMap  *self,
                                                    JsonObject     *content);

/* Valid user ids with at least one valid room id, sorted. */
GStrv          duet_direct_map_dup_users           (DuetDirectMap  *self) G_GNUC_WARN_UNUSED_RESULT;
/* The valid room ids listed under @user_id, in the content's order. */
GStrv          duet_direct_map_dup_rooms_for_user  (DuetDirectMap  *self,
                                                    const char     *user_id) G_GNUC_WARN_UNUSED_RESULT;
/* The first user (in sorted order) whose list holds @room_id, or NULL. */
const char    *duet_direct_map_get_user_for_room   (DuetDirectMap  *self,
                                                    const char     *room_id);
gboolean       duet_direct_map_is_direct           (DuetDirectMap  *self,
                                                    const char     *room_id);

/* Writes go through one serialized read-modify-write per account: a fresh
 * GET (404 = empty), our own delta applied to exactly what the server holds,
 * then PUT — or no PUT when the delta changes nothing.  Changes asked for
 * while a write is in flight are merged into the next single write. */
void           duet_direct_map_add_room_async      (DuetDirectMap  *self,
                                                    const char     *user_id,
                                                    const char     *room_id,
                                                    GCancellable   *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer        user_data);
gboolean       duet_direct_map_add_room_finish     (DuetDirectMap  *self,
                                                    GAsyncResult   *result,
                                                    GError        **error);
/* Removes @room_id from every user's list. */
void           duet_direct_map_remove_room_async   (DuetDirectMap  *self,
                                                    const char     *room_id,
                                                    GCancellable   *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer        user_data);
gboolean       duet_direct_map_remove_room_finish  (DuetDirectMap  *self,
                                                    GAsyncResult   *result,
                                                    GError        **error);
/* How many PUTs this map has made (for tests and the write-storm guard). */
guint          duet_direct_map_get_write_count     (DuetDirectMap  *self);

G_END_DECLS
