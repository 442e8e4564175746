/* duet-session-test-utils.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "duet-session-test-utils.h"
#include "duet-sync-loop.h"

#define LONG_POLL_MS 200

static void
count_cb (gpointer  emitter,
          guint    *count)
{
  (*count)++;
}

static gboolean
counted_twice (gpointer data)
{
  return *(guint *) data >= 2;
}

void
duet_test_session_settle (DuetSession *session)
{
  guint synced = 0;
  gulong handler = g_signal_connect (session, "synced", G_CALLBACK (count_cb), &synced);

  g_assert_true (duet_test_wait_until (counted_twice, &synced, DUET_TEST_TIMEOUT_MS));
  g_signal_handler_disconnect (session, handler);
}

DuetSession *
duet_test_session_start (DuetTestFixture *f)
{
  DuetSession *session = duet_session_new (f->client);

  duet_sync_loop_set_timeout (DUET_SYNC_LOOP (duet_session_get_sync_loop (session)), LONG_POLL_MS);
  duet_session_start (session);
  duet_test_session_settle (session);
  return session;
}

void
duet_test_session_stop (DuetSession *session)
{
  duet_session_stop (session);
  duet_test_finalize (session);
}
