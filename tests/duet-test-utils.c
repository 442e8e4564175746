/* duet-test-utils.c: shared fixture and main-loop helpers of the API tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <time.h>
#include <glib/gstdio.h>

#include "duet-test-utils.h"

static void
remove_recursively (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);

  if (dir != NULL)
    {
      const char *name;

      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_recursively (child);
        }
      g_dir_close (dir);
    }
  g_remove (path);
}

guint
duet_test_time_scale (void)
{
  static gsize scale = 0;

  if (g_once_init_enter (&scale))
    {
      const char *value = g_getenv ("DUET_TEST_TIME_SCALE");
      guint64 parsed = 1;

      if (value != NULL && !g_ascii_string_to_unsigned (value, 10, 1, 100, &parsed, NULL))
        g_error ("DUET_TEST_TIME_SCALE=%s is not a number from 1 to 100", value);
      g_once_init_leave (&scale, parsed);
    }
  return scale;
}

DuetClient *
duet_test_new_client (DuetTestHomeserver *server,
                      const char         *user_id,
                      const char         *device_id,
                      const char         *token)
{
  DuetClient *client = duet_client_new (duet_test_homeserver_get_url (server));

  duet_client_set_backoff (client, DUET_TEST_BACKOFF_INITIAL_MS, DUET_TEST_BACKOFF_MAX_MS);
  duet_client_set_request_timeout (client, DUET_TEST_REQUEST_TIMEOUT_MS * duet_test_time_scale ());
  if (token != NULL)
    duet_client_set_session (client, user_id, device_id, token);
  return client;
}

void
duet_test_fixture_setup (DuetTestFixture *f,
                         gconstpointer    data)
{
  g_autoptr(GError) error = NULL;

  f->server = duet_test_homeserver_new (0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->server);

  f->alice = duet_test_homeserver_add_user (f->server, "alice", DUET_TEST_ALICE_PASSWORD, "Alice");
  f->bob = duet_test_homeserver_add_user (f->server, "bob", DUET_TEST_BOB_PASSWORD, "Bob");
  g_assert_cmpstr (f->alice, ==, "@alice:localhost");
  g_assert_cmpstr (f->bob, ==, "@bob:localhost");
  f->alice_token = duet_test_homeserver_login_token (f->server, f->alice, "ALICEDEV");
  g_assert_nonnull (f->alice_token);

  f->cache_dir = g_dir_make_tmp ("duet-test-media-XXXXXX", &error);
  g_assert_no_error (error);

  f->client = duet_test_new_client (f->server, f->alice, "ALICEDEV", f->alice_token);
  duet_client_set_media_cache_dir (f->client, f->cache_dir);
}

void
duet_test_fixture_teardown (DuetTestFixture *f,
                            gconstpointer    data)
{
  if (f->client != NULL)
    duet_test_finalize (g_steal_pointer (&f->client));

  /* Let the server see its connections close before it goes. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&f->server);
  remove_recursively (f->cache_dir);
  g_clear_pointer (&f->cache_dir, g_free);
  g_clear_pointer (&f->alice, g_free);
  g_clear_pointer (&f->alice_token, g_free);
  g_clear_pointer (&f->bob, g_free);
}

void
duet_test_result_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

static gboolean
set_flag_cb (gpointer user_data)
{
  gboolean *flag = user_data;

  *flag = TRUE;
  return G_SOURCE_REMOVE;
}

GAsyncResult *
duet_test_wait_impl (GAsyncResult **result,
                     guint          timeout_ms,
                     const char    *where)
{
  gboolean timed_out = FALSE;
  guint limit_ms = timeout_ms * duet_test_time_scale ();
  guint id = g_timeout_add (limit_ms, set_flag_cb, &timed_out);

  while (*result == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (*result == NULL)
    g_error ("%s: no result within %u ms", where, limit_ms);

  if (!timed_out)
    g_source_remove (id);
  return *result;
}

gboolean
duet_test_wait_until (DuetTestCondition condition,
                      gpointer          data,
                      guint             timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms * duet_test_time_scale (), set_flag_cb, &timed_out);
  gboolean met;

  while (!(met = condition (data)) && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (!timed_out)
    g_source_remove (id);
  return met;
}

void
duet_test_run_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_flag_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

gint64
duet_test_elapsed_ms (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000;
}

gint64
duet_test_thread_cpu_us (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    g_error ("clock_gettime (CLOCK_THREAD_CPUTIME_ID) failed");
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean
holds_one_ref (gpointer data)
{
  return g_atomic_int_get (&G_OBJECT (data)->ref_count) == 1;
}

void
duet_test_finalize_impl (GObject    *object,
                         const char *where)
{
  if (!duet_test_wait_until (holds_one_ref, object, 2000))
    g_error ("%s: %s %p still has %u references",
             where, G_OBJECT_TYPE_NAME (object), object,
             g_atomic_int_get (&object->ref_count));
  g_assert_finalize_object (object);
}

gboolean
duet_test_json_object_equal (JsonObject *a,
                             JsonObject *b)
{
  g_autoptr(JsonNode) na = json_node_init_object (json_node_alloc (), a);
  g_autoptr(JsonNode) nb = json_node_init_object (json_node_alloc (), b);

  return json_node_equal (na, nb);
}

JsonObject *
duet_test_json_object (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (json, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}
