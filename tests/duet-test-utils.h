/* duet-test-utils.h: shared fixture and main-loop helpers of the API tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "duet-client.h"
#include "duet-test-homeserver.h"

G_BEGIN_DECLS

/* No single wait in a test may take longer than this. */
#define DUET_TEST_TIMEOUT_MS 10000

/* Short timers for every client a test makes. */
#define DUET_TEST_BACKOFF_INITIAL_MS 10
#define DUET_TEST_BACKOFF_MAX_MS 50
#define DUET_TEST_REQUEST_TIMEOUT_MS 3000

#define DUET_TEST_ALICE_PASSWORD "alice-password"
#define DUET_TEST_BOB_PASSWORD "bob-password"

/* Every timer above, and every wait's limit, is multiplied by the
 * environment's DUET_TEST_TIME_SCALE (1 to 100, default 1): the valgrind
 * run sets it, as code runs there tens of times slower. */
guint         duet_test_time_scale        (void);

typedef struct {
  DuetTestHomeserver *server;
  char               *alice;        /* "@alice:localhost" */
  char               *alice_token;
  char               *bob;          /* "@bob:localhost" */
  char               *cache_dir;    /* a fresh temporary folder */
  DuetClient         *client;       /* signed in as alice, device ALICEDEV */
} DuetTestFixture;

void          duet_test_fixture_setup     (DuetTestFixture *f,
                                           gconstpointer    data);
void          duet_test_fixture_teardown  (DuetTestFixture *f,
                                           gconstpointer    data);

/* A client of @server with the test timers, signed in when @token is set. */
DuetClient   *duet_test_new_client        (DuetTestHomeserver *server,
                                           const char         *user_id,
                                           const char         *device_id,
                                           const char         *token);

/* A GAsyncReadyCallback storing a reference to the result in the
 * GAsyncResult ** passed as user data (which must be NULL before). */
void          duet_test_result_cb         (GObject         *source,
                                           GAsyncResult    *result,
                                           gpointer         user_data);

/* Runs the default main context until *@result is set; fails the test
 * when that takes longer than DUET_TEST_TIMEOUT_MS (duet_test_wait_for:
 * @timeout_ms), times DUET_TEST_TIME_SCALE. */
#define duet_test_wait(result) duet_test_wait_impl ((result), DUET_TEST_TIMEOUT_MS, G_STRLOC)
#define duet_test_wait_for(result, timeout_ms) duet_test_wait_impl ((result), (timeout_ms), G_STRLOC)
GAsyncResult *duet_test_wait_impl         (GAsyncResult   **result,
                                           guint            timeout_ms,
                                           const char      *where);

/* Runs the default main context until @condition returns TRUE or
 * @timeout_ms pass; returns whether the condition was met. */
typedef gboolean (*DuetTestCondition) (gpointer data);
gboolean      duet_test_wait_until        (DuetTestCondition condition,
                                           gpointer          data,
                                           guint             timeout_ms);

/* Runs the default main context for @ms milliseconds. */
void          duet_test_run_for           (guint            ms);

/* Milliseconds since @start (a g_get_monotonic_time () value). */
gint64        duet_test_elapsed_ms        (gint64           start);

/* The calling thread's CPU time, in microseconds: a bound on work that
 * other processes on a loaded machine do not stretch, as they do wall
 * time. */
gint64        duet_test_thread_cpu_us     (void);

/* Waits until @object holds only the caller's reference (finishing work
 * may still hold one for an iteration or a worker thread), then drops it
 * with g_assert_finalize_object (): a leaked reference fails the test. */
#define duet_test_finalize(object) duet_test_finalize_impl (G_OBJECT (object), G_STRLOC)
void          duet_test_finalize_impl     (GObject         *object,
                                           const char      *where);

/* Whether two JSON objects are equal (deeply). */
gboolean      duet_test_json_object_equal (JsonObject      *a,
                                           JsonObject      *b);
/* Parses @json, which must be an object. */
JsonObject   *duet_test_json_object       (const char      *json);

G_END_DECLS
