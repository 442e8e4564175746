/* bench-incremental.c: one new message in a DM → the contact list re-sorted
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A figure printer, not a test.  A session takes the initial /sync of a
 * synthetic account (duet-bench-account.h), then UPDATES incremental
 * responses, each one new message in the DM of the contact halfway down
 * the list (so the contact moves to the top).  Each response goes through
 * the same tokenizer and streamed ingest as a reply of the sync loop
 * (duet-bench-feed.h), without the network.  Printed: the time per update
 * (model and contact list, no store: the SQLite commit runs on the store's
 * thread and is measured apart with --store), the items-changed and
 * notify:: emissions per update, and how many contacts notified.
 *
 *   bench-incremental [ROOMS [UPDATES]]          (default 1000 rooms, 200)
 *   bench-incremental --store [ROOMS [UPDATES]]  also commit each to a DuetStore
 *   bench-incremental --whole [ROOMS [UPDATES]]  each update parsed whole and taken by
 *                                                duet_session_ingest(), which rebuilds the
 *                                                contact list: the path before streaming
 *
 * Instruction counts of the updates alone:
 *   valgrind --tool=callgrind --toggle-collect=run_update bench-incremental 5000 50
 */
#include "config.h"

#include <stdio.h>

#include "duet-bench-account.h"
#include "duet-bench-feed.h"
#include "duet-contact-list.h"
#include "duet-session.h"
#include "duet-sync-loop.h"

typedef struct {
  guint       items_changed;
  guint       notifies;
  GHashTable *notified;   /* DuetContact set */
  DuetStore  *store;
  GError     *error;
  gboolean    done;
} Counters;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Counters   *counters)
{
  counters->items_changed++;
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           Counters   *counters)
{
  counters->notifies++;
  g_hash_table_add (counters->notified, object);
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
opened_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Counters *counters = user_data;

  counters->store = duet_store_open_finish (result, &counters->error);
  counters->done = TRUE;
}

static void
token_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Counters *counters = user_data;
  g_autofree char *token = duet_store_get_sync_token_finish (DUET_STORE (object), result, &counters->error);

  counters->done = TRUE;
}

/* Waits for every store job queued so far (they run in order). */
static void
wait_store (Counters *counters)
{
  counters->done = FALSE;
  duet_store_get_sync_token_async (counters->store, token_cb, counters);
  while (!counters->done)
    g_main_context_iteration (NULL, TRUE);
  if (counters->error != NULL)
    g_error ("store: %s", counters->error->message);
}

static gboolean whole;

/* Not static, so that callgrind can toggle on it. */
double run_update (DuetSession *session, GBytes *body);

double
run_update (DuetSession *session,
            GBytes      *body)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  if (whole)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error))
        g_error ("update: %s", error->message);
      duet_session_ingest (session, json_node_get_object (json_parser_get_root (parser)));
    }
  else if (!duet_bench_feed_session (session, body, &error))
    g_error ("update: %s", error->message);
  return (g_get_monotonic_time () - start) / 1000.0;
}

int
main (int   argc,
      char *argv[])
{
  gboolean with_store = argc > 1 && g_str_equal (argv[1], "--store");
  int first;
  guint n_rooms, updates;
  g_autoptr(DuetClient) client = duet_client_new ("http://127.0.0.1:9");
  g_autoptr(DuetSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) initial = NULL;
  g_autofree double *times = NULL;
  g_autofree char *dir = NULL;
  Counters counters = { 0 };
  GListModel *contacts;
  double total = 0, commit_ms = 0;
  guint n_contacts, max_items_changed = 0, max_notified = 0;
  guint items_changed_total = 0, notifies_total = 0, notified_total = 0;
  gint64 ts = G_GINT64_CONSTANT (1770000000000);

  whole = argc > 1 && g_str_equal (argv[1], "--whole");
  first = with_store || whole ? 2 : 1;
  n_rooms = argc > first ? (guint) g_ascii_strtoull (argv[first], NULL, 10) : 1000;
  updates = argc > first + 1 ? (guint) g_ascii_strtoull (argv[first + 1], NULL, 10) : 200;
  times = g_new0 (double, MAX (updates, 1));

  duet_client_set_session (client, DUET_BENCH_OWN_USER, "BENCHDEVICE", "bench-token");
  session = duet_session_new (client);
  if (with_store)
    {
      dir = g_dir_make_tmp ("duet-bench-incr-XXXXXX", NULL);
      duet_store_open_async (dir, NULL, opened_cb, &counters);
      while (!counters.done)
        g_main_context_iteration (NULL, TRUE);
      if (counters.store == NULL)
        g_error ("store: %s", counters.error->message);
      duet_session_set_store (session, counters.store);
    }

  initial = duet_bench_account_generate (n_rooms, DUET_BENCH_DEFAULT_SEED);
  if (!duet_bench_feed_session (session, initial, &error))
    g_error ("initial: %s", error->message);
  g_clear_pointer (&initial, g_bytes_unref);
  if (with_store)
    wait_store (&counters);

  contacts = duet_session_get_contacts (session);
  n_contacts = g_list_model_get_n_items (contacts);
  counters.notified = g_hash_table_new (NULL, NULL);
  g_signal_connect (contacts, "items-changed", G_CALLBACK (items_changed_cb), &counters);
  for (guint i = 0; i < n_contacts; i++)
    {
      g_autoptr(DuetContact) contact = g_list_model_get_item (contacts, i);

      g_signal_connect (contact, "notify", G_CALLBACK (notify_cb), &counters);
    }

  for (guint k = 0; k < updates; k++)
    {
      g_autoptr(DuetContact) middle = g_list_model_get_item (contacts, n_contacts / 2);
      DuetRoom *room = duet_contact_get_room (middle);
      guint index = (guint) g_ascii_strtoull (duet_room_get_id (room) + 2, NULL, 10);
      g_autofree char *token = g_strdup_printf ("s%u", k + 2);
      g_autofree char *text = g_strdup_printf ("message %u", k);
      g_autoptr(GBytes) body = duet_bench_account_new_message (index, token, ts + k * 1000, text);
      gint64 commit_start;

      counters.items_changed = counters.notifies = 0;
      g_hash_table_remove_all (counters.notified);
      times[k] = run_update (session, body);
      total += times[k];
      items_changed_total += counters.items_changed;
      notifies_total += counters.notifies;
      notified_total += g_hash_table_size (counters.notified);
      max_items_changed = MAX (max_items_changed, counters.items_changed);
      max_notified = MAX (max_notified, g_hash_table_size (counters.notified));

      g_autoptr(DuetContact) top = g_list_model_get_item (contacts, 0);
      if (top != middle)
        g_error ("update %u: the contact did not move to the top", k);

      if (with_store)
        {
          commit_start = g_get_monotonic_time ();
          wait_store (&counters);
          commit_ms += (g_get_monotonic_time () - commit_start) / 1000.0;
        }
    }

  qsort (times, updates, sizeof (double), compare_doubles);
  printf ("%s: ", whole ? "whole response + rebuild (before)" : "streamed, room by room");
  printf ("incremental update, %u rooms, %u contacts, %u updates (one new message, contact from the middle to the top):\n",
          n_rooms, n_contacts, updates);
  printf ("  time per update (model + contact list, no store): mean %.3f ms, median %.3f ms, p95 %.3f ms, max %.3f ms\n",
          total / updates, times[updates / 2], times[(guint) (updates * 0.95)], times[updates - 1]);
  printf ("  per update: %.2f items-changed (max %u), %.2f notify:: emissions, %.2f contacts notified (max %u)\n",
          (double) items_changed_total / updates, max_items_changed, (double) notifies_total / updates,
          (double) notified_total / updates, max_notified);
  if (with_store)
    printf ("  SQLite commit on the store's thread, after the update: mean %.3f ms\n", commit_ms / updates);

  g_hash_table_unref (counters.notified);
  g_clear_object (&session);
  g_clear_object (&counters.store);
  if (dir != NULL)
    {
      g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", dir);

      if (system (rm) != 0)
        return 1;
    }
  return 0;
}
