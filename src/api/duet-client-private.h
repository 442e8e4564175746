/* duet-client-private.h: the request machinery shared by the api layer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-client.h"
#include "duet-json-stream.h"

G_BEGIN_DECLS

/* /sync answers can be far larger than an ordinary reply. */
#define DUET_CLIENT_MAX_SYNC_SIZE (256 * 1024 * 1024)
#define DUET_CLIENT_MAX_MEDIA_SIZE (100 * 1024 * 1024)

typedef struct {
  const char       *method;
  const char       *path;
  GHashTable       *query;
  GBytes           *body;
  const char       *content_type;
  DuetRequestFlags  flags;
  gsize             max_size;     /* 0: DUET_JSON_MAX_SIZE */
  guint             timeout_ms;   /* 0: the client's request timeout */
  guint             max_attempts; /* 0: the client's max attempts */
  gboolean          raw;          /* resolve to the body's GBytes, not JSON */
  gboolean          check_numbers; /* refuse numbers json-glib cannot round-trip */
  /* A 2xx body goes chunk by chunk into this stream (borrowed; it must
   * outlive the request) instead of being buffered; the request then
   * resolves to an empty GBytes (_duet_client_send_finish_raw).  Other
   * answers are read and reported as usual. */
  DuetJsonStream   *stream;
} DuetRequest;

void         _duet_client_send_async       (DuetClient           *self,
                                            const DuetRequest    *request,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
JsonObject  *_duet_client_send_finish      (DuetClient           *self,
                                            GAsyncResult         *result,
                                            GError              **error);
GBytes      *_duet_client_send_finish_raw  (DuetClient           *self,
                                            GAsyncResult         *result,
                                            GError              **error);
/* The finish of a task made for a call: checks its source tag, then
 * propagates the result (a pointer, or a reply reduced to TRUE/FALSE). */
gpointer     _duet_client_finish_pointer   (DuetClient           *self,
                                            GAsyncResult         *result,
                                            gpointer              source_tag,
                                            GError              **error);
gboolean     _duet_client_finish_boolean   (DuetClient           *self,
                                            GAsyncResult         *result,
                                            gpointer              source_tag,
                                            GError              **error);
void         _duet_client_set_authenticated_media (DuetClient     *self,
                                            gboolean              supported);
gboolean     _duet_client_get_versions_known (DuetClient       *self);
char        *_duet_client_build_path       (const char           *prefix,
                                            ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
