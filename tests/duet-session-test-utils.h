/* duet-session-test-utils.h: a running DuetSession for model tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-session.h"
#include "duet-test-utils.h"

G_BEGIN_DECLS

/* Alice's session on the fixture's client, syncing with a short long-poll,
 * returned once it has taken two responses. */
DuetSession *duet_test_session_start  (DuetTestFixture *f);
/* Lets @session take two more sync responses: the first may have been on
 * its way before the change a test waits for. */
void         duet_test_session_settle (DuetSession     *session);
/* Stops @session and drops it, failing the test on a leaked reference. */
void         duet_test_session_stop   (DuetSession     *session);

G_END_DECLS
