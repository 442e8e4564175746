/* duet-bench-feed.h: hands a /sync body to a session as its sync loop would
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-session.h"

G_BEGIN_DECLS

/* Splits @body with the same tokenizer the sync loop uses and emits each
 * part, then the end, on @session's sync loop (which must be stopped):
 * the session's streamed ingest runs exactly as for a reply, without the
 * network.  Returns FALSE with @error when the body is refused. */
gboolean duet_bench_feed_session (DuetSession  *session,
                                  GBytes       *body,
                                  GError      **error);

G_END_DECLS
