/* test-duetctl.c: the command-line tool against the test homeserver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the real duetctl binary (DUETCTL in the environment) as a child
 * process, with its own --data-dir, while this process serves the test
 * homeserver on its main loop.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "duet-json.h"
#include "duet-test-utils.h"

typedef struct {
  DuetTestFixture  base;
  char            *data_dir;
} CtlFixture;

typedef struct {
  gboolean  done;
  int       status;
  char     *out;
  char     *err;
} Run;

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &run->out, &run->err, &error);
  g_assert_no_error (error);
  /* -1: killed by a signal (the fault tests kill it on purpose). */
  run->status = g_subprocess_get_if_exited (G_SUBPROCESS (object))
                ? g_subprocess_get_exit_status (G_SUBPROCESS (object)) : -1;
  run->done = TRUE;
}

static gboolean
run_done (gpointer data)
{
  return ((Run *) data)->done;
}

/* Runs duetctl --data-dir DIR ARGS... with @input on stdin; returns its exit
 * status and stdout (one JSON object a line). */
static int
duetctl (CtlFixture  *f,
         const char  *input,
         char       **out,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *arg;
  Run run = { 0 };
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("DUETCTL"));
  g_ptr_array_add (argv, "--data-dir");
  g_ptr_array_add (argv, f->data_dir);
  va_start (args, out);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, input != NULL ? input : "", NULL, communicate_cb, &run);
  g_assert_true (duet_test_wait_until (run_done, &run, 20000));

  g_test_message ("duetctl %s → %d\nstdout: %s\nstderr: %s", (char *) argv->pdata[3],
                  run.status, run.out, run.err);
  /* Nothing secret is ever printed: no token, no password. */
  g_assert_null (strstr (run.out, "access_token"));
  g_assert_null (strstr (run.out, f->base.alice_token));
  g_assert_null (strstr (run.err, f->base.alice_token));
  if (input != NULL && *input != '\0')
    {
      g_autofree char *secret = g_strchomp (g_strdup (input));

      g_assert_null (strstr (run.out, secret));
      g_assert_null (strstr (run.err, secret));
    }
  if (out != NULL)
    *out = g_steal_pointer (&run.out);
  g_free (run.out);
  g_free (run.err);
  return run.status;
}

static JsonObject *
first_line (const char *out)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  g_assert_nonnull (lines[0]);
  node = duet_json_parse (lines[0], -1, DUET_JSON_MAX_SIZE, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static guint
count_lines (const char *out)
{
  guint n = 0;

  for (const char *p = out; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

static void
ctl_setup (CtlFixture    *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *url = NULL;

  duet_test_fixture_setup (&f->base, data);
  f->data_dir = g_dir_make_tmp ("duetctl-XXXXXX", &error);
  g_assert_no_error (error);

  url = g_strdup (duet_test_homeserver_get_url (f->base.server));
  g_assert_cmpint (duetctl (f, DUET_TEST_ALICE_PASSWORD "\n", &out,
                            "login", "--homeserver", url, "--user", "alice", NULL), ==, 0);
}

static void
ctl_teardown (CtlFixture    *f,
              gconstpointer  data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->data_dir);

  g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL));
  g_clear_pointer (&f->data_dir, g_free);
  duet_test_fixture_teardown (&f->base, data);
}

static void
test_login_wrong_password (CtlFixture    *f,
                           gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *url = g_strdup (duet_test_homeserver_get_url (f->base.server));

  g_assert_cmpint (duetctl (f, "not-the-password\n", &out,
                            "login", "--homeserver", url, "--user", "alice", NULL), ==, 1);
  g_assert_cmpstr (out, ==, "");
}

static void
test_start_chat_then_contacts (CtlFixture    *f,
                               gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *again = NULL;
  g_autofree char *contacts = NULL;
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(JsonObject) reused = NULL;
  g_autoptr(JsonObject) contact = NULL;
  g_autoptr(JsonObject) direct = NULL;

  g_assert_cmpint (duetctl (f, NULL, &out, "start-chat", "@bob:localhost", NULL), ==, 0);
  created = first_line (out);
  g_assert_cmpstr (json_object_get_string_member (created, "outcome"), ==, "created");
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->base.server,
                                                        json_object_get_string_member (created, "room_id"),
                                                        f->base.bob), ==, "invite");
  direct = duet_test_homeserver_get_account_data (f->base.server, f->base.alice, "m.direct");
  g_assert_nonnull (direct);
  g_assert_true (json_object_has_member (direct, "@bob:localhost"));

  /* A second run (a new process) reuses it. */
  g_assert_cmpint (duetctl (f, NULL, &again, "start-chat", "@bob:localhost", NULL), ==, 0);
  reused = first_line (again);
  g_assert_cmpstr (json_object_get_string_member (reused, "outcome"), ==, "reused");
  g_assert_cmpstr (json_object_get_string_member (reused, "room_id"), ==,
                   json_object_get_string_member (created, "room_id"));
  g_assert_cmpuint (duet_test_homeserver_count_rooms (f->base.server), ==, 1);

  g_assert_cmpint (duetctl (f, NULL, &contacts, "contacts", NULL), ==, 0);
  g_assert_cmpuint (count_lines (contacts), ==, 1);
  contact = first_line (contacts);
  g_assert_cmpstr (json_object_get_string_member (contact, "user_id"), ==, "@bob:localhost");
}

static void
test_send_and_messages (CtlFixture    *f,
                        gconstpointer  data)
{
  const char *invite[] = { "@bob:localhost", NULL };
  g_autofree char *room_id = duet_test_homeserver_create_room (f->base.server, f->base.alice,
                                                               "trusted_private_chat", invite, TRUE);
  g_autofree char *sent = NULL;
  g_autofree char *messages = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonArray) timeline = NULL;
  JsonObject *last;

  g_assert_cmpint (duetctl (f, NULL, &sent, "send", room_id, "Hello <b>Bob</b>", NULL), ==, 0);
  event = first_line (sent);
  timeline = duet_test_homeserver_get_timeline (f->base.server, room_id);
  last = json_array_get_object_element (timeline, json_array_get_length (timeline) - 1);
  g_assert_cmpstr (json_object_get_string_member (last, "event_id"), ==,
                   json_object_get_string_member (event, "event_id"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (last, "content"), "body"),
                   ==, "Hello <b>Bob</b>");

  g_assert_cmpint (duetctl (f, NULL, &messages, "messages", room_id, "--limit", "5", NULL), ==, 0);
  g_assert_nonnull (strstr (messages, "Hello <b>Bob</b>"));
  g_assert_cmpuint (count_lines (messages), <=, 5);
}

static void
test_invite_accept_marks_direct (CtlFixture    *f,
                                 gconstpointer  data)
{
  const char *invite[] = { "@alice:localhost", NULL };
  g_autofree char *room_id = duet_test_homeserver_create_room (f->base.server, f->base.bob,
                                                               "trusted_private_chat", invite, TRUE);
  g_autofree char *invites = NULL;
  g_autofree char *accepted = NULL;
  g_autoptr(JsonObject) line = NULL;
  g_autoptr(JsonObject) direct = NULL;
  JsonArray *rooms;

  g_assert_cmpint (duetctl (f, NULL, &invites, "invites", NULL), ==, 0);
  line = first_line (invites);
  g_assert_cmpstr (json_object_get_string_member (line, "room_id"), ==, room_id);
  g_assert_cmpstr (json_object_get_string_member (line, "inviter"), ==, "@bob:localhost");
  g_assert_true (json_object_get_boolean_member (line, "is_direct"));

  g_assert_cmpint (duetctl (f, NULL, &accepted, "accept", room_id, "--mark-direct", NULL), ==, 0);
  g_assert_cmpstr (duet_test_homeserver_get_membership (f->base.server, room_id, f->base.alice), ==, "join");
  direct = duet_test_homeserver_get_account_data (f->base.server, f->base.alice, "m.direct");
  g_assert_nonnull (direct);
  rooms = json_object_get_array_member (direct, "@bob:localhost");
  g_assert_cmpstr (json_array_get_string_element (rooms, 0), ==, room_id);
}

static void
test_offline_from_cache (CtlFixture    *f,
                         gconstpointer  data)
{
  g_autofree char *started = NULL;
  g_autofree char *contacts = NULL;
  g_autofree char *failed = NULL;
  g_autoptr(JsonObject) contact = NULL;

  g_assert_cmpint (duetctl (f, NULL, &started, "start-chat", "@bob:localhost", NULL), ==, 0);
  g_free (g_steal_pointer (&started));
  g_assert_cmpint (duetctl (f, NULL, &started, "sync", "--once", NULL), ==, 0);

  /* The server stops answering /sync: contacts come from the cache. */
  duet_test_homeserver_add_fault (f->base.server, "GET", "/_matrix/client/v3/sync", 100,
                                  DUET_FAULT_STATUS, 502, 0, NULL);
  g_assert_cmpint (duetctl (f, NULL, &contacts, "contacts", NULL), ==, 0);
  contact = first_line (contacts);
  g_assert_cmpstr (json_object_get_string_member (contact, "user_id"), ==, "@bob:localhost");

  /* Start Chat never decides from a stale cache: it refuses. */
  g_free (g_steal_pointer (&failed));
  duet_test_homeserver_reset_counts (f->base.server);
  g_assert_cmpint (duetctl (f, NULL, &failed, "start-chat", "@carol:localhost", NULL), ==, 1);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->base.server, "POST",
                                                         "/_matrix/client/v3/createRoom"), ==, 0);
  g_free (g_steal_pointer (&failed));

  /* A command that needs the server says it failed. */
  duet_test_homeserver_add_fault (f->base.server, "POST", "/_matrix/client/v3/rooms", 100,
                                  DUET_FAULT_STATUS, 403, 0, NULL);
  g_assert_cmpint (duetctl (f, NULL, &failed, "accept", "!nowhere:localhost", NULL), ==, 1);
  duet_test_homeserver_clear_faults (f->base.server);
}

/* The createRoom answer is lost after the server made the room: the run
 * finds the room in a later sync and reports it; one room, listed. */
static void
test_start_chat_lost_reply (CtlFixture    *f,
                            gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autoptr(JsonObject) line = NULL;
  g_autoptr(JsonObject) direct = NULL;

  duet_test_homeserver_add_fault (f->base.server, "POST", "/_matrix/client/v3/createRoom", 1,
                                  DUET_FAULT_DROP_AFTER, 0, 0, NULL);
  g_assert_cmpint (duetctl (f, NULL, &out, "start-chat", "@bob:localhost", NULL), ==, 0);
  line = first_line (out);
  g_assert_cmpstr (json_object_get_string_member (line, "outcome"), ==, "created");
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->base.server, "POST",
                                                         "/_matrix/client/v3/createRoom"), ==, 1);
  g_assert_cmpuint (duet_test_homeserver_count_rooms (f->base.server), ==, 1);
  direct = duet_test_homeserver_get_account_data (f->base.server, f->base.alice, "m.direct");
  g_assert_nonnull (direct);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (direct, "@bob:localhost"), 0),
                   ==, json_object_get_string_member (line, "room_id"));
}

static void
test_usage_errors (CtlFixture    *f,
                   gconstpointer  data)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;

  g_assert_cmpint (duetctl (f, NULL, &a, "no-such-command", NULL), ==, 2);
  g_assert_cmpint (duetctl (f, NULL, &b, "start-chat", NULL), ==, 2);
  g_assert_cmpint (duetctl (f, NULL, &c, "messages", "!r:localhost", "--limit", "0", NULL), ==, 2);
  g_assert_cmpstr (a, ==, "");
}

static void
test_logout (CtlFixture    *f,
             gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *after = NULL;

  g_assert_cmpint (duetctl (f, NULL, &out, "logout", NULL), ==, 0);
  /* Signed out: the next command says so and fails. */
  g_assert_cmpint (duetctl (f, NULL, &after, "contacts", NULL), ==, 1);
}


/* Alice's message bodies in @room_id on the server, oldest first. */
static GPtrArray *
server_bodies (CtlFixture *f,
               const char *room_id)
{
  g_autoptr(JsonArray) events = duet_test_homeserver_get_timeline (f->base.server, room_id);
  GPtrArray *bodies = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      if (g_strcmp0 (json_object_get_string_member (event, "type"), "m.room.message") != 0 ||
          g_strcmp0 (json_object_get_string_member (event, "sender"), f->base.alice) != 0)
        continue;
      g_ptr_array_add (bodies, g_strdup (json_object_get_string_member (
                                           json_object_get_object_member (event, "content"), "body")));
    }
  return bodies;
}

static void
test_send_refused (CtlFixture    *f,
                   gconstpointer  data)
{
  const char *invite[] = { "@bob:localhost", NULL };
  g_autofree char *room_id = duet_test_homeserver_create_room (f->base.server, f->base.alice,
                                                               "trusted_private_chat", invite, TRUE);
  g_autofree char *prefix = g_strdup_printf ("/_matrix/client/v3/rooms/%s/send", room_id);
  g_autofree char *refused = NULL, *listed = NULL, *blocked = NULL, *retried = NULL;
  g_autofree char *again = NULL, *listed_again = NULL, *after = NULL, *deleted = NULL;
  g_autoptr(JsonObject) line = NULL;
  g_autoptr(GPtrArray) bodies = NULL;
  g_autofree char *txn_id = NULL;

  duet_test_homeserver_add_fault (f->base.server, "PUT", prefix, 1, DUET_FAULT_STATUS, 403, 0, NULL);
  g_assert_cmpint (duetctl (f, NULL, &refused, "send", room_id, "refused", NULL), ==, 1);
  g_assert_cmpstr (refused, ==, "");

  /* It stays in the outbox, FAILED, and holds the room's queue. */
  g_assert_cmpint (duetctl (f, NULL, &listed, "outbox", NULL), ==, 0);
  g_assert_cmpuint (count_lines (listed), ==, 1);
  line = first_line (listed);
  g_assert_cmpstr (json_object_get_string_member (line, "state"), ==, "failed");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (line, "error"), "M_FORBIDDEN"));
  txn_id = g_strdup (json_object_get_string_member (line, "txn_id"));
  g_assert_cmpint (duetctl (f, NULL, &blocked, "send", room_id, "blocked", NULL), ==, 1);

  /* Retry sends it, under its first txnId. */
  g_assert_cmpint (duetctl (f, NULL, &retried, "outbox", "retry", txn_id, NULL), ==, 0);
  g_clear_pointer (&line, json_object_unref);
  line = first_line (retried);
  g_assert_cmpstr (json_object_get_string_member (line, "txn_id"), ==, txn_id);

  /* Delete drops one that was refused, and the room moves again. */
  duet_test_homeserver_add_fault (f->base.server, "PUT", prefix, 1, DUET_FAULT_STATUS, 403, 0, NULL);
  g_assert_cmpint (duetctl (f, NULL, &again, "send", room_id, "refused again", NULL), ==, 1);
  g_assert_cmpint (duetctl (f, NULL, &listed_again, "outbox", NULL), ==, 0);
  g_clear_pointer (&line, json_object_unref);
  g_clear_pointer (&txn_id, g_free);
  {
    g_auto(GStrv) lines = g_strsplit (listed_again, "\n", -1);

    for (guint i = 0; lines[i] != NULL && *lines[i] != '\0'; i++)
      if (strstr (lines[i], "\"failed\"") != NULL)
        line = first_line (lines[i]);
  }
  g_assert_nonnull (line);
  txn_id = g_strdup (json_object_get_string_member (line, "txn_id"));
  g_assert_cmpint (duetctl (f, NULL, &deleted, "outbox", "delete", txn_id, NULL), ==, 0);
  g_assert_cmpint (duetctl (f, NULL, &after, "send", room_id, "after", NULL), ==, 0);

  bodies = server_bodies (f, room_id);
  g_assert_cmpuint (bodies->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (bodies, 0), ==, "refused");
  g_assert_cmpstr (g_ptr_array_index (bodies, 1), ==, "after");
}

/* Whether a message with @body is on the server or in the data folder's
 * outbox (the child is dead: its lock is gone). */
static gboolean
message_accepted (CtlFixture *f,
                  const char *room_id,
                  const char *body)
{
  g_autoptr(GPtrArray) bodies = server_bodies (f, room_id);
  g_autofree char *path = g_build_filename (f->data_dir, "duet.sqlite", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gboolean found = FALSE;

  for (guint i = 0; i < bodies->len; i++)
    if (g_str_equal (g_ptr_array_index (bodies, i), body))
      return TRUE;
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return FALSE;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  /* A cache still at version 1 (killed before the migration) has no outbox. */
  if (sqlite3_prepare_v2 (db, "SELECT content FROM outbox", -1, &stmt, NULL) == SQLITE_OK)
    {
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          g_autoptr(JsonObject) content = duet_test_json_object ((const char *) sqlite3_column_text (stmt, 0));

          found |= g_strcmp0 (json_object_get_string_member (content, "body"), body) == 0;
        }
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return found;
}

typedef struct {
  GSubprocess        *process;
  DuetTestHomeserver *server;
  guint               faults_target;  /* kill once the server applied this many faults */
  gboolean            killed;
} KillData;

static gboolean
kill_cb (gpointer user_data)
{
  KillData *kill = user_data;

  if (duet_test_homeserver_count_faults (kill->server) < kill->faults_target)
    return G_SOURCE_CONTINUE;
  g_subprocess_force_exit (kill->process);  /* SIGKILL */
  kill->killed = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs duetctl ARGS, killed with SIGKILL after @kill_after_ms (when not 0)
 * or, with @faults_target set, as soon as the server has applied that many
 * faults; returns TRUE when it was killed before it exited by itself. */
static gboolean
duetctl_maybe_killed (CtlFixture *f,
                      guint       kill_after_ms,
                      guint       faults_target,
                      int        *status,
                      ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *arg;
  Run run = { 0 };
  KillData kill = { 0 };
  guint kill_id = 0;
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("DUETCTL"));
  g_ptr_array_add (argv, "--data-dir");
  g_ptr_array_add (argv, f->data_dir);
  va_start (args, status);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  kill.process = process;
  kill.server = f->base.server;
  kill.faults_target = faults_target;
  if (faults_target > 0)
    kill_id = g_timeout_add (2, kill_cb, &kill);
  else if (kill_after_ms > 0)
    kill_id = g_timeout_add (kill_after_ms, kill_cb, &kill);
  g_subprocess_communicate_utf8_async (process, "", NULL, communicate_cb, &run);
  g_assert_true (duet_test_wait_until (run_done, &run, 20000));
  if (!kill.killed)
    g_clear_handle_id (&kill_id, g_source_remove);
  duet_test_homeserver_clear_faults (f->base.server);

  *status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
  if (*status != 0 && !kill.killed)
    g_test_message ("duetctl → %d\nstdout: %s\nstderr: %s", *status, run.out, run.err);
  g_free (run.out);
  g_free (run.err);
  return kill.killed && g_subprocess_get_if_signaled (process);
}

/* A duetctl sending N messages one by one is killed with SIGKILL at random
 * (seeded) points and started again until each is accepted: every message
 * arrives exactly once, in order. */
static void
test_kill_while_sending (CtlFixture    *f,
                         gconstpointer  data)
{
  const char *invite[] = { "@bob:localhost", NULL };
  g_autofree char *room_id = duet_test_homeserver_create_room (f->base.server, f->base.alice,
                                                               "trusted_private_chat", invite, TRUE);
  const char *seed_env = g_getenv ("DUET_FAULT_SEED");
  guint32 seed = seed_env != NULL ? (guint32) g_ascii_strtoull (seed_env, NULL, 10) : g_random_int ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GPtrArray) bodies = NULL;
  g_autofree char *prefix = g_strdup_printf ("/_matrix/client/v3/rooms/%s/send", room_id);
  guint n_messages = 20, runs = 0, kills = 0, kills_accepted = 0;
  guint typical_ms;
  gint64 start;
  int status;

  g_test_message ("kill-while-sending seed %u (set DUET_FAULT_SEED to repeat)", seed);

  /* One undisturbed run sets the scale of the kill points. */
  start = g_get_monotonic_time ();
  g_assert_false (duetctl_maybe_killed (f, 0, 0, &status, "send", room_id, "warm-up", NULL));
  g_assert_cmpint (status, ==, 0);
  typical_ms = MAX ((guint) duet_test_elapsed_ms (start), 50);

  for (guint i = 0; i < n_messages; i++)
    {
      g_autofree char *body = g_strdup_printf ("kill test %u", i);

      for (guint attempt = 0;; attempt++)
        {
          /* Most runs are killed: at a random time of their life, while
           * the PUT hangs, or after the server took it and the answer was
           * lost.  After three kills of one message a run goes undisturbed. */
          guint mode = attempt < 3 ? (guint) g_rand_int_range (rand, 0, 4) : 0;
          guint kill_after = 0, faults_target = 0;

          if (mode == 1)
            kill_after = (guint) g_rand_int_range (rand, 1, (gint32) typical_ms * 3 / 2 + 2);
          else if (mode == 2)
            {
              duet_test_homeserver_add_fault (f->base.server, "PUT", prefix, 1, DUET_FAULT_HANG, 0, 1000, NULL);
              faults_target = duet_test_homeserver_count_faults (f->base.server) + 1;
            }
          else if (mode == 3)
            {
              duet_test_homeserver_add_fault (f->base.server, "PUT", prefix, 1, DUET_FAULT_DROP_AFTER, 0, 0, NULL);
              duet_test_homeserver_add_fault (f->base.server, "PUT", prefix, 1, DUET_FAULT_HANG, 0, 1000, NULL);
              faults_target = duet_test_homeserver_count_faults (f->base.server) + 2;
            }

          runs++;
          if (!duetctl_maybe_killed (f, kill_after, faults_target, &status, "send", room_id, body, NULL))
            {
              g_assert_cmpint (status, ==, 0);
              break;
            }
          kills++;
          /* Accepted (stored or already sent): the next run finishes it. */
          if (message_accepted (f, room_id, body))
            {
              kills_accepted++;
              break;
            }
        }
    }

  /* A last run finishes whatever the last kill left. */
  runs++;
  g_assert_false (duetctl_maybe_killed (f, 0, 0, &status, "outbox", NULL));
  g_assert_cmpint (status, ==, 0);

  bodies = server_bodies (f, room_id);
  g_assert_cmpuint (bodies->len, ==, n_messages + 1);
  g_assert_cmpstr (g_ptr_array_index (bodies, 0), ==, "warm-up");
  for (guint i = 0; i < n_messages; i++)
    {
      g_autofree char *body = g_strdup_printf ("kill test %u", i);

      g_assert_cmpstr (g_ptr_array_index (bodies, i + 1), ==, body);
    }
  g_print ("# kill-while-sending: %u messages, %u runs, %u SIGKILLs (%u after the message was stored), seed %u\n",
           n_messages, runs, kills, kills_accepted, seed);
}

#define TEST(path, func) \
  g_test_add ("/duetctl/" path, CtlFixture, NULL, ctl_setup, func, ctl_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST ("login-wrong-password", test_login_wrong_password);
  TEST ("start-chat-then-contacts", test_start_chat_then_contacts);
  TEST ("send-and-messages", test_send_and_messages);
  TEST ("invite-accept-marks-direct", test_invite_accept_marks_direct);
  TEST ("offline-from-cache", test_offline_from_cache);
  TEST ("start-chat-lost-reply", test_start_chat_lost_reply);
  TEST ("usage-errors", test_usage_errors);
  TEST ("logout", test_logout);
  TEST ("send-refused", test_send_refused);
  TEST ("fault/kill-while-sending", test_kill_while_sending);

  return g_test_run ();
}
