/* duet-store-test-utils.h: helpers shared by the DuetStore tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Synchronous wrappers over the store's async calls (each runs the main
 * context until its result, within DUET_TEST_TIMEOUT_MS) and JSON lookups
 * that return NULL along a missing path.
 */
#pragma once

#include "duet-store.h"
#include "duet-test-utils.h"

G_BEGIN_DECLS

/* The table state_fields as versions 3 to 6 had it (version 7 dropped
 * it), for tests that turn a cache back into one of those versions. */
#define STORE_TEST_STATE_FIELDS_TABLE \
  "CREATE TABLE state_fields (" \
  "  room_id TEXT NOT NULL, type TEXT NOT NULL, state_key TEXT NOT NULL," \
  "  content_type, membership, displayname, avatar_url, is_direct, name, replacement," \
  "  predecessor, service_members, sender, prev_membership, prev_is_direct, prev_sender," \
  "  PRIMARY KEY (room_id, type, state_key)) WITHOUT ROWID;"

/* A fresh folder under the test's TMPDIR, and its removal. */
char *       store_test_make_data_dir     (void);
void         store_test_remove_dir        (const char *path);
DuetStore *  store_test_open              (const char  *data_dir,
                                           GError     **error);
DuetStore *  store_test_open_ok           (const char *data_dir);
gboolean     store_test_save              (DuetStore   *store,
                                           JsonObject  *response,
                                           GError     **error);
void         store_test_save_ok           (DuetStore  *store,
                                           JsonObject *response);
/* A streamed response of @rooms (membership, room id, the entry's JSON
 * text, ... NULL) and @next_batch, saved. */
void         store_test_save_rooms_ok     (DuetStore          *store,
                                           const char * const *rooms,
                                           const char         *next_batch);
JsonObject * store_test_load              (DuetStore *store);
/* The lean start for @own_user_id, read; and the start entries the
 * worker would write when idle, written now. */
DuetStoreStart *store_test_load_start_ok  (DuetStore  *store,
                                           const char *own_user_id);
void         store_test_write_entries_ok  (DuetStore  *store,
                                           const char *own_user_id);
/* object.first.second... as an object, or NULL; the names end with NULL. */
JsonObject * store_test_path_object       (JsonObject *object,
                                           const char *first,
                                           ...) G_GNUC_NULL_TERMINATED;
/* parent.section.events, which must exist. */
JsonArray *  store_test_events_of         (JsonObject *parent,
                                           const char *section);
const char * store_test_event_string      (JsonArray  *events,
                                           guint       index,
                                           const char *member);
/* A response whose only content is @room_id's timeline of @count messages
 * with ids "$e<first>" .. "$e<first + count - 1>". */
JsonObject * store_test_timeline_response (const char *next_batch,
                                           const char *room_id,
                                           guint       first,
                                           guint       count,
                                           gboolean    limited,
                                           const char *prev_batch);

G_END_DECLS
