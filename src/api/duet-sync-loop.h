/* duet-sync-loop.h: the /sync long-poll loop of one account
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-client.h"

G_BEGIN_DECLS

typedef enum {
  DUET_SYNC_STATE_STOPPED,     /* not running (never started, stopped, or a fatal error) */
  DUET_SYNC_STATE_CONNECTING,  /* the first request of this run is on its way */
  DUET_SYNC_STATE_LIVE,        /* the last request succeeded */
  DUET_SYNC_STATE_RETRYING,    /* the last request failed; the next one waits (retry-in-ms) */
} DuetSyncState;

#define DUET_TYPE_SYNC_STATE (duet_sync_state_get_type ())
GType duet_sync_state_get_type (void) G_GNUC_CONST;

#define DUET_SYNC_LOOP_DEFAULT_TIMEOUT_MS 30000
#define DUET_SYNC_LOOP_DEFAULT_TIMELINE_LIMIT 20
/* A streamed reply's room (or top-level member) over this is refused. */
#define DUET_SYNC_LOOP_MAX_PART_SIZE (64 * 1024 * 1024)

#define DUET_TYPE_SYNC_LOOP (duet_sync_loop_get_type ())
G_DECLARE_FINAL_TYPE (DuetSyncLoop, duet_sync_loop, DUET, SYNC_LOOP, GObject)

DuetSyncLoop  *duet_sync_loop_new              (DuetClient    *client);
DuetClient    *duet_sync_loop_get_client       (DuetSyncLoop  *self);
const char    *duet_sync_loop_get_since        (DuetSyncLoop  *self);
void           duet_sync_loop_set_since        (DuetSyncLoop  *self,
                                                const char    *since);
const char    *duet_sync_loop_get_filter       (DuetSyncLoop  *self);
void           duet_sync_loop_set_filter       (DuetSyncLoop  *self,
                                                const char    *filter_json);
guint          duet_sync_loop_get_timeout      (DuetSyncLoop  *self);
void           duet_sync_loop_set_timeout      (DuetSyncLoop  *self,
                                                guint          timeout_ms);
DuetSyncState  duet_sync_loop_get_state        (DuetSyncLoop  *self);
guint          duet_sync_loop_get_retry_in     (DuetSyncLoop  *self);
/* Streaming replies (::response-part/-end/-aborted) instead of ::response;
 * set while stopped. */
void           duet_sync_loop_set_streaming    (DuetSyncLoop  *self,
                                                gboolean       streaming);
gboolean       duet_sync_loop_get_streaming    (DuetSyncLoop  *self);
void           duet_sync_loop_start            (DuetSyncLoop  *self);
void           duet_sync_loop_stop             (DuetSyncLoop  *self);

/* The filter Duet asks for: lazy-loaded members and a bounded timeline. */
char          *duet_sync_loop_build_filter     (guint          timeline_limit) G_GNUC_WARN_UNUSED_RESULT;

/* For a ::response-part handler: its part cannot be read (takes @error).
 * The reply then fails as a whole, with @error, and is asked for again. */
void           duet_sync_loop_refuse_part   (DuetSyncLoop    *self,
                                             GError          *error);

G_END_DECLS
