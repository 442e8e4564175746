/* test-timeline.c: DuetTimeline against the test homeserver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A running session (Alice) and Bob acting through the homeserver's C API.
 * After every step the list is checked whole: order, no duplicates, day
 * separators exactly where the day changes, group starts as computed.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "duet-session-test-utils.h"
#include "duet-store-test-utils.h"
#include "duet-sync-loop.h"
#include "duet-timeline.h"
#include "duet-timeline-private.h"

#define DAY_MS (24 * 60 * 60 * 1000)

typedef struct {
  DuetTestFixture  base;
  DuetSession     *session;
  DuetTimeline    *timeline;
  char            *room_id;
} Fixture;

/* --- Helpers --------------------------------------------------------------- */

static DuetTimelineItem *
item_at (DuetTimeline *timeline,
         guint         index)
{
  g_autoptr(DuetTimelineItem) item = g_list_model_get_item (G_LIST_MODEL (timeline), index);

  return item;  /* the list keeps it alive */
}

static gint64
local_day (gint64 ms)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (ms / 1000);
  g_autoptr(GDateTime) midnight = NULL;

  if (time == NULL)
    return 0;  /* beyond GDateTime: the timeline says 0 too */
  midnight = g_date_time_new_local (g_date_time_get_year (time),
                                                         g_date_time_get_month (time),
                                                         g_date_time_get_day_of_month (time), 0, 0, 0);
  return g_date_time_to_unix (midnight) * 1000;
}

/* The whole list obeys the rules the view relies on. */
static void
check_invariants (DuetTimeline *timeline)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (timeline));
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  DuetTimelineItem *prev_content = NULL, *group_prev = NULL, *pending_day = NULL;
  gboolean seen_echo = FALSE;

  for (guint i = 0; i < n; i++)
    {
      DuetTimelineItem *item = item_at (timeline, i);
      DuetTimelineItemKind kind = duet_timeline_item_get_kind (item);

      if (kind == DUET_TIMELINE_ITEM_DAY)
        {
          g_assert_null (pending_day);  /* never two separators in a row */
          pending_day = item;
          continue;
        }
      if (kind == DUET_TIMELINE_ITEM_GAP)
        {
          g_assert_null (pending_day);
          group_prev = NULL;
          continue;
        }

      /* Content: a separator exactly when the day changes. */
      if (prev_content == NULL ||
          local_day (duet_timeline_item_get_timestamp (prev_content)) !=
          local_day (duet_timeline_item_get_timestamp (item)))
        {
          g_assert_nonnull (pending_day);
          g_assert_cmpint (duet_timeline_item_get_timestamp (pending_day), ==,
                           local_day (duet_timeline_item_get_timestamp (item)));
          group_prev = NULL;
        }
      else
        g_assert_null (pending_day);
      pending_day = NULL;

      if (duet_timeline_item_get_event_id (item) != NULL)
        {
          g_assert_false (seen_echo);  /* echoes are last */
          g_assert_false (g_hash_table_contains (ids, duet_timeline_item_get_event_id (item)));
          g_hash_table_add (ids, (gpointer) duet_timeline_item_get_event_id (item));
        }
      else
        seen_echo = TRUE;

      if (kind == DUET_TIMELINE_ITEM_MESSAGE)
        {
          gboolean groups = group_prev != NULL &&
            duet_timeline_item_get_kind (group_prev) == DUET_TIMELINE_ITEM_MESSAGE &&
            g_strcmp0 (duet_timeline_item_get_sender (group_prev), duet_timeline_item_get_sender (item)) == 0 &&
            duet_timeline_item_get_timestamp (item) - duet_timeline_item_get_timestamp (group_prev) <= 5 * 60 * 1000;

          g_assert_cmpint (duet_timeline_item_get_group_start (item), ==, !groups);
          g_assert_nonnull (duet_timeline_item_get_markup (item));
        }
      prev_content = group_prev = item;
    }
  g_assert_null (pending_day);
}

/* Bodies of the message items, in order, joined by ",". */
static char *
dup_bodies (DuetTimeline *timeline)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (timeline));

  for (guint i = 0; i < n; i++)
    {
      DuetTimelineItem *item = item_at (timeline, i);

      if (duet_timeline_item_get_kind (item) != DUET_TIMELINE_ITEM_MESSAGE)
        continue;
      if (out->len > 0)
        g_string_append_c (out, ',');
      g_string_append (out, duet_timeline_item_get_body (item));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static guint
count_kind (DuetTimeline         *timeline,
            DuetTimelineItemKind  kind)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (timeline));
  guint count = 0;

  for (guint i = 0; i < n; i++)
    if (duet_timeline_item_get_kind (item_at (timeline, i)) == kind)
      count++;
  return count;
}

static DuetTimelineItem *
find_event (DuetTimeline *timeline,
            const char   *event_id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (timeline));

  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (duet_timeline_item_get_event_id (item_at (timeline, i)), event_id) == 0)
      return item_at (timeline, i);
  return NULL;
}

typedef struct {
  DuetTimeline *timeline;
  const char   *event_id;
} FindData;

static gboolean
has_event (gpointer data)
{
  FindData *find = data;

  return find_event (find->timeline, find->event_id) != NULL;
}

static DuetTimelineItem *
wait_for_event (DuetTimeline *timeline,
                const char   *event_id)
{
  FindData find = { timeline, event_id };

  g_assert_true (duet_test_wait_until (has_event, &find, DUET_TEST_TIMEOUT_MS));
  return find_event (timeline, event_id);
}

static void
load (DuetTimeline *timeline)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  duet_timeline_load_async (timeline, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_timeline_load_finish (timeline, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_assert_false (duet_timeline_get_loading (timeline));
}

static gssize
paginate (DuetTimeline *timeline)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gssize count;

  duet_timeline_paginate_async (timeline, NULL, duet_test_result_cb, &result);
  count = duet_timeline_paginate_finish (timeline, duet_test_wait (&result), &error);
  g_assert_no_error (error);
  return count;
}

static void
count_cb (gpointer  emitter,
          gpointer  pspec,
          guint    *count)
{
  (*count)++;
}

static void
send_messages (Fixture    *f,
               const char *sender,
               guint       first,
               guint       count)
{
  for (guint i = first; i < first + count; i++)
    {
      g_autofree char *body = g_strdup_printf ("m%u", i);
      g_free (duet_test_homeserver_send_message (f->base.server, f->room_id, sender, body));
    }
}

static char *
expected_bodies (guint first,
                 guint count)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = first; i < first + count; i++)
    g_string_append_printf (out, "%s%s%u", out->len > 0 ? "," : "", "m", i);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* --- Fixture --------------------------------------------------------------- */

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const char *invite[] = { NULL, NULL };

  duet_test_fixture_setup (&f->base, data);
  invite[0] = f->base.alice;
  f->room_id = duet_test_homeserver_create_room (f->base.server, f->base.bob, "trusted_private_chat",
                                                 invite, TRUE);
  duet_test_homeserver_join (f->base.server, f->room_id, f->base.alice);
}

static void
start (Fixture *f)
{
  f->session = duet_test_session_start (&f->base);
  f->timeline = duet_timeline_new (f->session, f->room_id);
  g_assert_true (G_IS_LIST_MODEL (f->timeline));
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (f->timeline)) == DUET_TYPE_TIMELINE_ITEM);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->timeline != NULL)
    duet_test_finalize (g_steal_pointer (&f->timeline));
  if (f->session != NULL)
    duet_test_session_stop (g_steal_pointer (&f->session));
  g_clear_pointer (&f->room_id, g_free);
  duet_test_fixture_teardown (&f->base, data);
}

/* --- Tests ----------------------------------------------------------------- */

static void
test_history (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *bodies = NULL;
  g_autofree char *expected = NULL;
  DuetTimelineItem *first;
  guint at_start_notified = 0;
  guint pages = 0;

  send_messages (f, f->base.bob, 0, 130);
  start (f);
  g_signal_connect (f->timeline, "notify::at-start", G_CALLBACK (count_cb), &at_start_notified);

  load (f->timeline);
  g_assert_false (duet_timeline_get_at_start (f->timeline));
  g_assert_cmpuint (count_kind (f->timeline, DUET_TIMELINE_ITEM_MESSAGE), >=, 20);
  check_invariants (f->timeline);
  {
    /* Loading again changes nothing and asks nothing. */
    guint n = g_list_model_get_n_items (G_LIST_MODEL (f->timeline));
    g_autofree char *path = g_strdup_printf ("/_matrix/client/v3/rooms/%s/messages", f->room_id);

    g_assert_cmpuint (duet_test_homeserver_count_requests (f->base.server, "GET", path), >, 0);
    duet_test_homeserver_reset_counts (f->base.server);
    load (f->timeline);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->timeline)), ==, n);
    g_assert_cmpuint (duet_test_homeserver_count_requests (f->base.server, "GET", path), ==, 0);
  }

  while (!duet_timeline_get_at_start (f->timeline))
    {
      g_assert_cmpuint (++pages, <, 10);
      paginate (f->timeline);
      check_invariants (f->timeline);
    }
  g_assert_cmpuint (at_start_notified, ==, 1);
  g_assert_cmpint (paginate (f->timeline), ==, 0);

  bodies = dup_bodies (f->timeline);
  expected = expected_bodies (0, 130);
  g_assert_cmpstr (bodies, ==, expected);

  /* The top: one separator, then the room's creation. */
  g_assert_cmpint (duet_timeline_item_get_kind (item_at (f->timeline, 0)), ==, DUET_TIMELINE_ITEM_DAY);
  first = item_at (f->timeline, 1);
  g_assert_cmpint (duet_timeline_item_get_kind (first), ==, DUET_TIMELINE_ITEM_EVENT);
  g_assert_cmpstr (duet_timeline_item_get_body (first), ==, "Bob created the chat");
  g_assert_cmpuint (count_kind (f->timeline, DUET_TIMELINE_ITEM_DAY), ==, 1);
  g_assert_cmpuint (count_kind (f->timeline, DUET_TIMELINE_ITEM_GAP), ==, 0);
}

static gboolean
has_gap_and_last (gpointer data)
{
  Fixture *f = data;
  g_autofree char *bodies = dup_bodies (f->timeline);

  return count_kind (f->timeline, DUET_TIMELINE_ITEM_GAP) == 1 && g_str_has_suffix (bodies, ",m159");
}

static void
test_gap (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *bodies = NULL;
  g_autofree char *expected = NULL;
  DuetTimelineItem *gap = NULL;
  guint n, fills = 0;

  send_messages (f, f->base.bob, 0, 10);
  start (f);
  load (f->timeline);
  while (!duet_timeline_get_at_start (f->timeline))
    paginate (f->timeline);

  /* Offline while Bob writes more than one sync brings: a limited slice. */
  duet_session_stop (f->session);
  send_messages (f, f->base.bob, 10, 150);
  duet_session_start (f->session);
  g_assert_true (duet_test_wait_until (has_gap_and_last, f, DUET_TEST_TIMEOUT_MS));
  check_invariants (f->timeline);

  n = g_list_model_get_n_items (G_LIST_MODEL (f->timeline));
  for (guint i = 0; i < n; i++)
    if (duet_timeline_item_get_kind (item_at (f->timeline, i)) == DUET_TIMELINE_ITEM_GAP)
      gap = g_object_ref (item_at (f->timeline, i));
  g_assert_nonnull (gap);
  g_assert_true (duet_room_has_gap (duet_timeline_get_room (f->timeline)));

  while (count_kind (f->timeline, DUET_TIMELINE_ITEM_GAP) > 0)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      duet_timeline_fill_gap_async (f->timeline, gap, NULL, duet_test_result_cb, &result);
      g_assert_true (duet_timeline_fill_gap_finish (f->timeline, duet_test_wait (&result), &error));
      g_assert_no_error (error);
      check_invariants (f->timeline);
      fills++;
      /* Until the events meet, the same gap item stays, smaller. */
      n = g_list_model_get_n_items (G_LIST_MODEL (f->timeline));
      for (guint i = 0; i < n; i++)
        if (duet_timeline_item_get_kind (item_at (f->timeline, i)) == DUET_TIMELINE_ITEM_GAP)
          g_assert_true (item_at (f->timeline, i) == gap);
    }
  g_assert_cmpuint (fills, >=, 3);  /* 130 missing events, pages of 50 */
  g_assert_false (duet_room_has_gap (duet_timeline_get_room (f->timeline)));
  g_object_unref (gap);

  bodies = dup_bodies (f->timeline);
  expected = expected_bodies (0, 160);
  g_assert_cmpstr (bodies, ==, expected);
}

typedef struct {
  DuetTimelineItem *item;
  const char       *body;
} BodyWait;

static gboolean
body_is (gpointer data)
{
  BodyWait *wait = data;

  return g_strcmp0 (duet_timeline_item_get_body (wait->item), wait->body) == 0;
}

static void
wait_body (DuetTimelineItem *item,
           const char       *body)
{
  BodyWait wait = { item, body };

  g_assert_true (duet_test_wait_until (body_is, &wait, DUET_TEST_TIMEOUT_MS));
}

static gboolean
reply_body_is (gpointer data)
{
  gpointer *args = data;

  return g_strcmp0 (duet_timeline_item_get_reply_body (args[0]), args[1]) == 0;
}

static gboolean
reaction_count_is (gpointer data)
{
  gpointer *args = data;
  GPtrArray *reactions = duet_timeline_item_get_reactions (args[0]);
  guint total = 0;

  for (guint i = 0; i < reactions->len; i++)
    total += ((DuetReaction *) reactions->pdata[i])->count;
  return total == GPOINTER_TO_UINT (args[1]);
}

static void
wait_reactions (DuetTimelineItem *item,
                guint             total)
{
  gpointer args[2] = { item, GUINT_TO_POINTER (total) };

  g_assert_true (duet_test_wait_until (reaction_count_is, args, DUET_TEST_TIMEOUT_MS));
}

static void
test_relations (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *hello = NULL;
  g_autofree char *edit = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *mine = NULL;
  g_autofree char *theirs = NULL;
  DuetTimelineItem *item, *reply_item;
  DuetReaction *reaction;
  guint body_notified = 0, edited_notified = 0;
  guint n_before;

  start (f);
  load (f->timeline);

  hello = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "hello");
  item = g_object_ref (wait_for_event (f->timeline, hello));
  g_assert_cmpstr (duet_timeline_item_get_sender_name (item), ==, "Bob");
  g_assert_false (duet_timeline_item_is_own (item));
  g_signal_connect (item, "notify::body", G_CALLBACK (count_cb), &body_notified);
  g_signal_connect (item, "notify::edited", G_CALLBACK (count_cb), &edited_notified);

  /* An edit by someone else changes nothing; the sender's does. */
  g_free (duet_test_homeserver_send_edit (f->base.server, f->room_id, f->base.alice, hello, "hijacked"));
  n_before = g_list_model_get_n_items (G_LIST_MODEL (f->timeline));
  edit = duet_test_homeserver_send_edit (f->base.server, f->room_id, f->base.bob, hello, "hello <b>there</b>");
  wait_body (item, "hello <b>there</b>");
  g_assert_true (duet_timeline_item_get_edited (item));
  g_assert_cmpuint (body_notified, ==, 1);
  g_assert_cmpuint (edited_notified, ==, 1);
  g_assert_cmpstr (duet_timeline_item_get_markup (item), ==, "hello &lt;b&gt;there&lt;/b&gt;");
  g_assert_true (find_event (f->timeline, hello) == item);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->timeline)), ==, n_before);
  g_assert_null (find_event (f->timeline, edit));

  /* A reply: quote resolved, fallback gone from body and markup. */
  reply = duet_test_homeserver_send_reply (f->base.server, f->room_id, f->base.bob, hello, "indeed");
  reply_item = wait_for_event (f->timeline, reply);
  g_assert_cmpstr (duet_timeline_item_get_body (reply_item), ==, "indeed");
  g_assert_cmpstr (duet_timeline_item_get_markup (reply_item), ==, "indeed");
  g_assert_cmpstr (duet_timeline_item_get_reply_event_id (reply_item), ==, hello);
  g_assert_cmpstr (duet_timeline_item_get_reply_sender_name (reply_item), ==, "Bob");
  g_assert_cmpstr (duet_timeline_item_get_reply_body (reply_item), ==, "hello <b>there</b>");

  /* A second edit, then both taken back: the text steps back each time. */
  {
    g_autofree char *second = duet_test_homeserver_send_edit (f->base.server, f->room_id, f->base.bob,
                                                              hello, "second thoughts");

    wait_body (item, "second thoughts");
    g_assert_cmpstr (duet_timeline_item_get_reply_body (reply_item), ==, "second thoughts");
    g_free (duet_test_homeserver_redact (f->base.server, f->room_id, f->base.bob, second));
    wait_body (item, "hello <b>there</b>");
    g_assert_true (duet_timeline_item_get_edited (item));
    g_free (duet_test_homeserver_redact (f->base.server, f->room_id, f->base.bob, edit));
    wait_body (item, "hello");
    g_assert_false (duet_timeline_item_get_edited (item));
    g_assert_cmpstr (duet_timeline_item_get_reply_body (reply_item), ==, "hello");
  }

  /* Reactions: counted per key, ours marked, a redacted one gone. */
  theirs = duet_test_homeserver_send_reaction (f->base.server, f->room_id, f->base.bob, hello, "👍");
  mine = duet_test_homeserver_send_reaction (f->base.server, f->room_id, f->base.alice, hello, "👍");
  g_free (duet_test_homeserver_send_reaction (f->base.server, f->room_id, f->base.bob, hello, "🎉"));
  wait_reactions (item, 3);
  g_assert_cmpuint (duet_timeline_item_get_reactions (item)->len, ==, 2);
  reaction = duet_timeline_item_get_reactions (item)->pdata[0];
  g_assert_cmpstr (reaction->key, ==, "👍");
  g_assert_cmpuint (reaction->count, ==, 2);
  g_assert_true (reaction->mine);
  g_free (duet_test_homeserver_redact (f->base.server, f->room_id, f->base.alice, mine));
  wait_reactions (item, 2);
  reaction = duet_timeline_item_get_reactions (item)->pdata[0];
  g_assert_cmpuint (reaction->count, ==, 1);
  g_assert_false (reaction->mine);

  /* A redaction: the same item says so, and so does the reply's quote. */
  g_free (duet_test_homeserver_redact (f->base.server, f->room_id, f->base.bob, hello));
  wait_body (item, "Message deleted");
  g_assert_cmpint (duet_timeline_item_get_message_kind (item), ==, DUET_MESSAGE_REDACTED);
  g_assert_cmpuint (duet_timeline_item_get_reactions (item)->len, ==, 0);
  g_assert_cmpstr (duet_timeline_item_get_reply_body (reply_item), ==, "Message deleted");
  g_assert_true (find_event (f->timeline, hello) == item);
  check_invariants (f->timeline);
  g_object_unref (item);

  /* The same history read back from scratch (relations before or after
   * their targets in the pages) looks the same. */
  {
    g_autoptr(DuetTimeline) again = duet_timeline_new (f->session, f->room_id);
    DuetTimelineItem *old_reply;

    load (again);
    while (!duet_timeline_get_at_start (again))
      paginate (again);
    check_invariants (again);
    g_assert_cmpint (duet_timeline_item_get_message_kind (find_event (again, hello)), ==,
                     DUET_MESSAGE_REDACTED);
    old_reply = find_event (again, reply);
    g_assert_cmpstr (duet_timeline_item_get_reply_body (old_reply), ==, "Message deleted");
    /* A redacted edit has lost its m.relates_to (room versions 1-10): it
     * reads as one more deleted message, which it is.  Live edits and
     * reactions are no items. */
    g_assert_cmpint (duet_timeline_item_get_message_kind (find_event (again, edit)), ==,
                     DUET_MESSAGE_REDACTED);
    g_assert_null (find_event (again, theirs));
    duet_test_finalize (g_steal_pointer (&again));
  }
}

/* A reply to a message older than the loaded page still shows its quote. */
static void
test_reply_to_old (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *original = NULL;
  g_autofree char *reply = NULL;
  DuetTimelineItem *item;

  original = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "long ago");
  send_messages (f, f->base.bob, 0, 80);
  reply = duet_test_homeserver_send_reply (f->base.server, f->room_id, f->base.alice, original, "answer");

  start (f);
  load (f->timeline);
  g_assert_null (find_event (f->timeline, original));
  item = find_event (f->timeline, reply);
  g_assert_nonnull (item);
  g_assert_cmpstr (duet_timeline_item_get_body (item), ==, "answer");
  {
    gpointer args[2] = { item, (gpointer) "long ago" };

    g_assert_true (duet_test_wait_until (reply_body_is, args, DUET_TEST_TIMEOUT_MS));
  }
  g_assert_cmpstr (duet_timeline_item_get_reply_sender_name (item), ==, "Bob");
  g_assert_null (find_event (f->timeline, original));  /* quoted, not listed */
  check_invariants (f->timeline);
}

static void
test_days_and_groups (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *late = NULL;
  g_autofree char *alice_msg = NULL;
  DuetTimelineItem *item;

  const char *invite[] = { f->base.alice, NULL };

  /* A chat made two days ago: 60 messages (more than a page), then today. */
  duet_test_homeserver_set_clock_offset (f->base.server, -2 * DAY_MS);
  g_free (f->room_id);
  f->room_id = duet_test_homeserver_create_room (f->base.server, f->base.bob, "trusted_private_chat",
                                                 invite, TRUE);
  duet_test_homeserver_join (f->base.server, f->room_id, f->base.alice);
  send_messages (f, f->base.bob, 0, 60);
  duet_test_homeserver_set_clock_offset (f->base.server, 0);
  send_messages (f, f->base.bob, 60, 5);

  start (f);
  load (f->timeline);
  check_invariants (f->timeline);
  while (!duet_timeline_get_at_start (f->timeline))
    {
      paginate (f->timeline);
      check_invariants (f->timeline);
    }
  g_assert_cmpuint (count_kind (f->timeline, DUET_TIMELINE_ITEM_DAY), ==, 2);

  /* Live: Bob goes on (same group), then Alice (a new group). */
  late = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "late");
  item = wait_for_event (f->timeline, late);
  g_assert_false (duet_timeline_item_get_group_start (item));
  alice_msg = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.alice, "me");
  item = wait_for_event (f->timeline, alice_msg);
  g_assert_true (duet_timeline_item_get_group_start (item));
  g_assert_true (duet_timeline_item_is_own (item));
  check_invariants (f->timeline);

  /* A day later. */
  duet_test_homeserver_set_clock_offset (f->base.server, DAY_MS);
  g_free (late);
  late = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.alice, "tomorrow");
  item = wait_for_event (f->timeline, late);
  g_assert_true (duet_timeline_item_get_group_start (item));
  g_assert_cmpuint (count_kind (f->timeline, DUET_TIMELINE_ITEM_DAY), ==, 3);
  check_invariants (f->timeline);
}

static gboolean
typing_is_bob (gpointer data)
{
  g_auto(GStrv) typing = duet_timeline_dup_typing (data);

  return g_strv_length (typing) == 1 && g_str_equal (typing[0], "Bob");
}

static gboolean
typing_is_empty (gpointer data)
{
  g_auto(GStrv) typing = duet_timeline_dup_typing (data);

  return typing != NULL && typing[0] == NULL;
}

static gboolean
server_sees_typing (gpointer data)
{
  Fixture *f = data;

  return duet_test_homeserver_get_typing (f->base.server, f->room_id, f->base.alice);
}

static gboolean
server_sees_no_typing (gpointer data)
{
  return !server_sees_typing (data);
}

static void
test_typing (Fixture       *f,
             gconstpointer  data)
{
  guint sent;

  start (f);
  load (f->timeline);
  g_assert_true (typing_is_empty (f->timeline));

  /* Both typing: only Bob is shown to Alice. */
  duet_test_homeserver_set_typing (f->base.server, f->room_id, f->base.alice, TRUE, 30000);
  duet_test_homeserver_set_typing (f->base.server, f->room_id, f->base.bob, TRUE, 30000);
  g_assert_true (duet_test_wait_until (typing_is_bob, f->timeline, DUET_TEST_TIMEOUT_MS));
  duet_test_homeserver_set_typing (f->base.server, f->room_id, f->base.bob, FALSE, 0);
  duet_test_homeserver_set_typing (f->base.server, f->room_id, f->base.alice, FALSE, 0);
  g_assert_true (duet_test_wait_until (typing_is_empty, f->timeline, DUET_TEST_TIMEOUT_MS));

  /* Ours: sent once however often the composer changes, then stopped. */
  duet_test_homeserver_reset_counts (f->base.server);
  duet_timeline_set_typing (f->timeline, TRUE);
  duet_timeline_set_typing (f->timeline, TRUE);
  duet_timeline_set_typing (f->timeline, TRUE);
  g_assert_true (duet_test_wait_until (server_sees_typing, f, DUET_TEST_TIMEOUT_MS));
  {
    g_autofree char *path = g_strdup_printf ("/_matrix/client/v3/rooms/%s/typing/%s", f->room_id,
                                             f->base.alice);
    sent = duet_test_homeserver_count_requests (f->base.server, "PUT", path);
    g_assert_cmpuint (sent, ==, 1);
    duet_timeline_set_typing (f->timeline, FALSE);
    duet_timeline_set_typing (f->timeline, FALSE);
    g_assert_true (duet_test_wait_until (server_sees_no_typing, f, DUET_TEST_TIMEOUT_MS));
    duet_test_run_for (50);
    g_assert_cmpuint (duet_test_homeserver_count_requests (f->base.server, "PUT", path), ==, 2);
  }
}

static gboolean
room_unread_is (gpointer data)
{
  gpointer *args = data;

  return duet_room_get_unread_count (args[0]) == GPOINTER_TO_UINT (args[1]);
}

static void
wait_unread (DuetRoom *room,
             guint     count)
{
  gpointer args[2] = { room, GUINT_TO_POINTER (count) };

  g_assert_true (duet_test_wait_until (room_unread_is, args, DUET_TEST_TIMEOUT_MS));
}

static void
test_mark_read (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *last = NULL;
  DuetRoom *room;

  start (f);
  load (f->timeline);
  room = duet_timeline_get_room (f->timeline);
  g_assert_true (room == duet_session_lookup_room (f->session, f->room_id));

  send_messages (f, f->base.bob, 0, 2);
  last = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "last");
  wait_for_event (f->timeline, last);
  wait_unread (room, 3);
  g_assert_cmpuint (duet_test_homeserver_get_unread_count (f->base.server, f->room_id, f->base.alice), ==, 3);

  duet_timeline_mark_read_async (f->timeline, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_timeline_mark_read_finish (f->timeline, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (duet_room_get_unread_count (room), ==, 0);
  g_assert_cmpstr (duet_test_homeserver_get_receipt (f->base.server, f->room_id, f->base.alice, "m.read"),
                   ==, last);
  g_assert_cmpuint (duet_test_homeserver_get_unread_count (f->base.server, f->room_id, f->base.alice), ==, 0);
  duet_test_session_settle (f->session);
  g_assert_cmpuint (duet_room_get_unread_count (room), ==, 0);

  /* Read on another device: the count drops here too. */
  g_free (last);
  last = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "more");
  wait_unread (room, 1);
  duet_test_homeserver_set_receipt (f->base.server, f->room_id, f->base.alice, "m.read", last);
  wait_unread (room, 0);
}

static void
test_media (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static ("PNGDATA", 7);
  g_autofree char *mxc = duet_test_homeserver_add_media (f->base.server, bytes, "image/png");
  g_autoptr(JsonObject) content = NULL;
  g_autoptr(JsonObject) bad = NULL;
  g_autofree char *image_id = NULL;
  g_autofree char *bad_id = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *written = NULL;
  g_autoptr(GFile) destination = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DuetTimelineItem *item;
  gsize length;

  start (f);
  load (f->timeline);

  content = duet_test_json_object ("{\"msgtype\": \"m.image\", \"body\": \"cat.png\","
                                   " \"info\": {\"size\": 7, \"w\": 640, \"h\": 480}}");
  json_object_set_string_member (content, "url", mxc);
  image_id = duet_test_homeserver_send_event (f->base.server, f->room_id, f->base.bob, "m.room.message",
                                              NULL, content);
  bad = duet_test_json_object ("{\"msgtype\": \"m.file\", \"body\": \"evil\\u202e.exe\","
                               " \"url\": \"mxc://localhost/../../etc/passwd\", \"info\": {\"size\": \"x\"}}");
  bad_id = duet_test_homeserver_send_event (f->base.server, f->room_id, f->base.bob, "m.room.message",
                                            NULL, bad);

  item = wait_for_event (f->timeline, image_id);
  g_assert_cmpint (duet_timeline_item_get_message_kind (item), ==, DUET_MESSAGE_IMAGE);
  g_assert_cmpstr (duet_timeline_item_get_file_name (item), ==, "cat.png");
  g_assert_cmpint (duet_timeline_item_get_file_size (item), ==, 7);
  g_assert_cmpint (duet_timeline_item_get_media_width (item), ==, 640);
  g_assert_cmpint (duet_timeline_item_get_media_height (item), ==, 480);
  g_assert_cmpstr (duet_timeline_item_get_media_url (item), ==, mxc);

  dir = g_dir_make_tmp ("duet-test-download-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "cat.png", NULL);
  destination = g_file_new_for_path (path);
  duet_timeline_download_async (f->timeline, item, destination, NULL, duet_test_result_cb, &result);
  g_assert_true (duet_timeline_download_finish (f->timeline, duet_test_wait (&result), &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &written, &length, NULL));
  g_assert_cmpmem (written, length, "PNGDATA", 7);
  g_unlink (path);
  g_rmdir (dir);

  item = wait_for_event (f->timeline, bad_id);
  g_assert_cmpint (duet_timeline_item_get_message_kind (item), ==, DUET_MESSAGE_FILE);
  g_assert_cmpstr (duet_timeline_item_get_file_name (item), ==, "evil.exe");
  g_assert_cmpint (duet_timeline_item_get_file_size (item), ==, -1);
  g_assert_null (duet_timeline_item_get_media_url (item));
  g_clear_object (&result);
  duet_timeline_download_async (f->timeline, item, destination, NULL, duet_test_result_cb, &result);
  g_assert_false (duet_timeline_download_finish (f->timeline, duet_test_wait (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_content (Fixture       *f,
              gconstpointer  data)
{
  static const struct {
    const char          *content;
    const char          *type;
    DuetMessageKind      kind;
    const char          *body;
    const char          *markup;
  } cases[] = {
    { "{\"msgtype\": \"m.text\", \"body\": \"see https://example.org/a?b=1&c=2.\"}", "m.room.message",
      DUET_MESSAGE_TEXT, "see https://example.org/a?b=1&c=2.",
      "see <a href=\"https://example.org/a?b=1&amp;c=2\">https://example.org/a?b=1&amp;c=2</a>." },
    { "{\"msgtype\": \"m.notice\", \"body\": \"<i>not markup</i>\"}", "m.room.message",
      DUET_MESSAGE_NOTICE, "<i>not markup</i>", "&lt;i&gt;not markup&lt;/i&gt;" },
    { "{\"msgtype\": \"m.emote\", \"body\": \"waves\", \"format\": \"org.matrix.custom.html\","
      " \"formatted_body\": \"<b>waves</b><script>alert(1)</script>\"}", "m.room.message",
      DUET_MESSAGE_EMOTE, "waves", "<b>waves</b>" },
    { "{\"msgtype\": \"m.text\", \"body\": \"x\", \"format\": \"org.matrix.custom.html\","
      " \"formatted_body\": \"<a href=\\\"javascript:alert(1)\\\">click</a>\"}", "m.room.message",
      DUET_MESSAGE_TEXT, "x", "click" },
    { "{\"algorithm\": \"m.megolm.v1.aes-sha2\", \"ciphertext\": \"abc\"}", "m.room.encrypted",
      DUET_MESSAGE_ENCRYPTED, "encrypted — not readable in Duet yet", NULL },
    { "{\"msgtype\": \"org.example.poll\", \"body\": \"a poll\\u202e\"}", "m.room.message",
      DUET_MESSAGE_UNSUPPORTED, "a poll", "a poll" },
    { "{\"msgtype\": \"m.text\", \"body\": 5}", "m.room.message", DUET_MESSAGE_TEXT, "", "" },
  };
  g_autofree char *unknown = NULL;
  g_autofree char *last = NULL;
  g_autofree char *renamed = NULL;
  DuetTimelineItem *item;

  start (f);
  load (f->timeline);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) content = duet_test_json_object (cases[i].content);
      g_autofree char *event_id = duet_test_homeserver_send_event (f->base.server, f->room_id, f->base.bob,
                                                                   cases[i].type, NULL, content);

      item = wait_for_event (f->timeline, event_id);
      g_assert_cmpint (duet_timeline_item_get_message_kind (item), ==, cases[i].kind);
      g_assert_cmpstr (duet_timeline_item_get_body (item), ==, cases[i].body);
      if (cases[i].markup != NULL)
        g_assert_cmpstr (duet_timeline_item_get_markup (item), ==, cases[i].markup);
    }

  /* An unknown event type shows nothing; a rename shows a line. */
  {
    g_autoptr(JsonObject) content = duet_test_json_object ("{\"x\": 1}");
    g_autoptr(JsonObject) name = duet_test_json_object ("{\"name\": \"Plans <b>\\n</b>\"}");

    unknown = duet_test_homeserver_send_event (f->base.server, f->room_id, f->base.bob, "org.example.x",
                                               NULL, content);
    renamed = duet_test_homeserver_send_event (f->base.server, f->room_id, f->base.bob, "m.room.name",
                                               "", name);
  }
  last = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "end");
  wait_for_event (f->timeline, last);
  g_assert_null (find_event (f->timeline, unknown));

  /* Bob's new name reaches what he wrote before, and makes a line. */
  {
    g_autoptr(JsonObject) member = duet_test_json_object ("{\"membership\": \"join\","
                                                          " \"displayname\": \"Robert\\u202e\"}");
    g_autofree char *rename = duet_test_homeserver_send_event (f->base.server, f->room_id, f->base.bob,
                                                               "m.room.member", f->base.bob, member);
    DuetTimelineItem *end_item = find_event (f->timeline, last);

    item = wait_for_event (f->timeline, rename);
    g_assert_cmpstr (duet_timeline_item_get_body (item), ==, "Bob changed their name to Robert");
    g_assert_cmpstr (duet_timeline_item_get_sender_name (end_item), ==, "Robert");
  }
  item = find_event (f->timeline, renamed);
  g_assert_cmpint (duet_timeline_item_get_kind (item), ==, DUET_TIMELINE_ITEM_EVENT);
  g_assert_cmpstr (duet_timeline_item_get_body (item), ==, "Bob renamed the chat to “Plans <b> </b>”");
  g_assert_cmpstr (duet_timeline_item_get_markup (item), ==,
                   "Bob renamed the chat to “Plans &lt;b&gt; &lt;/b&gt;”");
  check_invariants (f->timeline);
}

static void
test_cache (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *data_dir = store_test_make_data_dir ();
  g_autofree char *bodies = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *path = g_strdup_printf ("/_matrix/client/v3/rooms/%s/messages", f->room_id);
  DuetStore *store = store_test_open_ok (data_dir);

  send_messages (f, f->base.bob, 0, 80);
  f->session = duet_session_new (f->base.client);
  duet_session_set_store (f->session, store);
  duet_sync_loop_set_timeout (DUET_SYNC_LOOP (duet_session_get_sync_loop (f->session)), 200);
  duet_session_start (f->session);
  duet_test_session_settle (f->session);
  {
    /* Queued after the saves: they are written when it returns. */
    g_autoptr(JsonObject) snapshot = store_test_load (store);
    g_assert_nonnull (snapshot);
  }

  /* The cached slice shows without a request, then history continues. */
  duet_test_homeserver_reset_counts (f->base.server);
  f->timeline = duet_timeline_new (f->session, f->room_id);
  load (f->timeline);
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->base.server, "GET", path), ==, 0);
  bodies = dup_bodies (f->timeline);
  g_assert_true (g_str_has_suffix (bodies, ",m78,m79"));
  g_assert_cmpuint (count_kind (f->timeline, DUET_TIMELINE_ITEM_MESSAGE), >=, 10);
  check_invariants (f->timeline);

  while (!duet_timeline_get_at_start (f->timeline))
    {
      paginate (f->timeline);
      check_invariants (f->timeline);
    }
  g_assert_cmpuint (duet_test_homeserver_count_requests (f->base.server, "GET", path), >, 0);
  g_free (bodies);
  bodies = dup_bodies (f->timeline);
  expected = expected_bodies (0, 80);
  g_assert_cmpstr (bodies, ==, expected);

  duet_test_finalize (g_steal_pointer (&f->timeline));
  duet_test_session_stop (g_steal_pointer (&f->session));
  duet_test_finalize (store);
  store_test_remove_dir (data_dir);
}

/* A chat open for long keeps its newest items; what it dropped comes back
 * by paginating, in order and once. */
static void
test_trim (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *bodies = NULL;
  g_autofree char *expected = NULL;

  start (f);
  load (f->timeline);
  while (!duet_timeline_get_at_start (f->timeline))
    paginate (f->timeline);
  _duet_timeline_set_max_items (f->timeline, 40);

  for (guint round = 0; round < 10; round++)
    {
      g_autofree char *last = NULL;

      send_messages (f, f->base.bob, round * 10, 9);
      last = g_strdup_printf ("m%u", round * 10 + 9);
      g_free (duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, last));
      duet_test_session_settle (f->session);
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->timeline)), <=, 40 + 12);
      check_invariants (f->timeline);
    }
  g_assert_false (duet_timeline_get_at_start (f->timeline));
  bodies = dup_bodies (f->timeline);
  g_assert_true (g_str_has_suffix (bodies, ",m98,m99"));
  g_assert_false (g_str_has_prefix (bodies, "m0,"));

  while (!duet_timeline_get_at_start (f->timeline))
    {
      paginate (f->timeline);
      check_invariants (f->timeline);
    }
  g_free (bodies);
  bodies = dup_bodies (f->timeline);
  expected = expected_bodies (0, 100);
  g_assert_cmpstr (bodies, ==, expected);
}

/* A limited sync taken while the cache is being read: the cached events
 * go above the live ones with a gap between, which fills. */
static void
test_cache_race (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *data_dir = store_test_make_data_dir ();
  g_autofree char *filter = duet_sync_loop_build_filter (20);
  g_autofree char *bodies = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(GAsyncResult) sync_result = NULL;
  g_autoptr(GAsyncResult) load_result = NULL;
  g_autoptr(GError) error = NULL;
  DuetStore *store = store_test_open_ok (data_dir);
  DuetSyncLoop *loop;
  DuetTimelineItem *gap = NULL;
  guint n;

  send_messages (f, f->base.bob, 0, 10);
  f->session = duet_session_new (f->base.client);
  duet_session_set_store (f->session, store);
  loop = DUET_SYNC_LOOP (duet_session_get_sync_loop (f->session));
  duet_sync_loop_set_timeout (loop, 200);
  duet_session_start (f->session);
  duet_test_session_settle (f->session);
  duet_session_stop (f->session);
  {
    g_autoptr(JsonObject) snapshot = store_test_load (store);
  }

  /* Bob writes more than a sync brings; the response waits in hand. */
  send_messages (f, f->base.bob, 10, 40);
  duet_client_sync_async (f->base.client, duet_sync_loop_get_since (loop), filter, 0, NULL,
                          duet_test_result_cb, &sync_result);
  response = duet_client_sync_finish (f->base.client, duet_test_wait (&sync_result), &error);
  g_assert_no_error (error);

  f->timeline = duet_timeline_new (f->session, f->room_id);
  duet_timeline_load_async (f->timeline, NULL, duet_test_result_cb, &load_result);
  duet_session_ingest (f->session, response);  /* before the store answers */
  g_assert_true (duet_timeline_load_finish (f->timeline, duet_test_wait (&load_result), &error));
  g_assert_no_error (error);
  g_clear_object (&load_result);
  check_invariants (f->timeline);
  g_assert_cmpuint (count_kind (f->timeline, DUET_TIMELINE_ITEM_GAP), ==, 1);

  n = g_list_model_get_n_items (G_LIST_MODEL (f->timeline));
  for (guint i = 0; i < n; i++)
    if (duet_timeline_item_get_kind (item_at (f->timeline, i)) == DUET_TIMELINE_ITEM_GAP)
      gap = item_at (f->timeline, i);
  while (count_kind (f->timeline, DUET_TIMELINE_ITEM_GAP) > 0)
    {
      g_autoptr(GAsyncResult) result = NULL;

      duet_timeline_fill_gap_async (f->timeline, gap, NULL, duet_test_result_cb, &result);
      g_assert_true (duet_timeline_fill_gap_finish (f->timeline, duet_test_wait (&result), &error));
      g_assert_no_error (error);
      check_invariants (f->timeline);
    }
  while (!duet_timeline_get_at_start (f->timeline))
    paginate (f->timeline);
  bodies = dup_bodies (f->timeline);
  expected = expected_bodies (0, 50);
  g_assert_cmpstr (bodies, ==, expected);

  duet_test_finalize (g_steal_pointer (&f->timeline));
  duet_test_session_stop (g_steal_pointer (&f->session));
  duet_test_finalize (store);
  store_test_remove_dir (data_dir);
}

/* Hand-made slices no honest server sends, through the session's ingest. */
static void
ingest_events (DuetSession *session,
               const char  *room_id,
               JsonArray   *events,
               gboolean     limited)
{
  g_autoptr(JsonObject) response = json_object_new ();
  JsonObject *rooms = json_object_new ();
  JsonObject *join = json_object_new ();
  JsonObject *room = json_object_new ();
  JsonObject *timeline = json_object_new ();

  json_object_set_array_member (timeline, "events", json_array_ref (events));
  json_object_set_boolean_member (timeline, "limited", limited);
  json_object_set_string_member (timeline, "prev_batch", "s1");
  json_object_set_object_member (room, "timeline", timeline);
  json_object_set_object_member (join, room_id, room);
  json_object_set_object_member (rooms, "join", join);
  json_object_set_object_member (response, "rooms", rooms);
  json_object_set_string_member (response, "next_batch", "s2");
  duet_session_ingest (session, response);
}

static JsonObject *
event_new (const char *event_id,
           const char *sender,
           const char *type,
           gint64      ts,
           const char *content_json)
{
  JsonObject *event = json_object_new ();

  json_object_set_string_member (event, "event_id", event_id);
  json_object_set_string_member (event, "sender", sender);
  json_object_set_string_member (event, "type", type);
  json_object_set_int_member (event, "origin_server_ts", ts);
  json_object_set_object_member (event, "content", duet_test_json_object (content_json));
  return event;
}

static void
test_hostile (Fixture       *f,
              gconstpointer  data)
{
  const char *room_id = "!hostile:localhost";
  g_autoptr(JsonArray) events = json_array_new ();
  g_autoptr(JsonArray) later = json_array_new ();
  g_autoptr(GString) long_body = g_string_new ("{\"msgtype\": \"m.text\", \"body\": \"");
  g_autofree char *edit_json = NULL;
  DuetTimelineItem *item;
  GPtrArray *reactions;
  guint total = 0;

  f->session = duet_session_new (f->base.client);
  f->timeline = duet_timeline_new (f->session, room_id);

  json_array_add_object_element (events, event_new ("$m1", "@bob:localhost", "m.room.message", 1000,
                                                     "{\"msgtype\": \"m.text\", \"body\": \"ok\"}"));
  /* Garbage around it. */
  json_array_add_int_element (events, 5);
  json_array_add_null_element (events);
  json_array_add_object_element (events, event_new ("not an id", "@bob:localhost", "m.room.message", 1,
                                                     "{\"body\": \"x\"}"));
  json_array_add_object_element (events, event_new ("$bad-sender", "bob", "m.room.message", 1,
                                                     "{\"body\": \"x\"}"));
  json_array_add_object_element (events, event_new ("$m1", "@bob:localhost", "m.room.message", 2000,
                                                     "{\"msgtype\": \"m.text\", \"body\": \"duplicate\"}"));
  /* An edit by someone else, then a huge one by the sender. */
  json_array_add_object_element (events, event_new ("$e1", "@mallory:localhost", "m.room.message", 3000,
    "{\"m.new_content\": {\"msgtype\": \"m.text\", \"body\": \"pwned\"},"
    " \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"$m1\"}}"));
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (long_body, 'a');
  g_string_append (long_body, "\"}");
  edit_json = g_strdup_printf ("{\"m.new_content\": %s, \"m.relates_to\": {\"rel_type\": \"m.replace\","
                               " \"event_id\": \"$m1\"}}", long_body->str);
  json_array_add_object_element (events, event_new ("$e2", "@bob:localhost", "m.room.message", 4000, edit_json));
  /* Reactions: many people, many keys, long keys. */
  for (guint i = 0; i < 1500; i++)
    {
      g_autofree char *id = g_strdup_printf ("$r%u", i);
      g_autofree char *sender = g_strdup_printf ("@u%u:localhost", i);
      g_autofree char *content = g_strdup_printf ("{\"m.relates_to\": {\"rel_type\": \"m.annotation\","
                                                  " \"event_id\": \"$m1\", \"key\": \"k%u%s\"}}", i % 40,
                                                  i % 7 == 0 ? "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" : "");
      json_array_add_object_element (events, event_new (id, sender, "m.reaction", 5000, content));
    }
  /* A reply to itself, a redaction of what is not there yet, odd times. */
  json_array_add_object_element (events, event_new ("$self", "@bob:localhost", "m.room.message", 6000,
    "{\"msgtype\": \"m.text\", \"body\": \"> <@x> loop\\n\\nme\","
    " \"m.relates_to\": {\"m.in_reply_to\": {\"event_id\": \"$self\"}}}"));
  json_array_add_object_element (events, event_new ("$red", "@bob:localhost", "m.room.redaction", 7000,
                                                     "{\"redacts\": \"$later\"}"));
  json_array_add_object_element (events, event_new ("$neg", "@bob:localhost", "m.room.message", -50,
                                                     "{\"msgtype\": \"m.notice\", \"body\": \"neg\"}"));
  json_array_add_object_element (events, event_new ("$far", "@bob:localhost", "m.room.message", G_MAXINT64 / 2,
                                                     "{\"msgtype\": \"m.text\", \"body\": \"far\"}"));
  ingest_events (f->session, room_id, events, FALSE);

  item = find_event (f->timeline, "$m1");
  g_assert_nonnull (item);
  g_assert_true (duet_timeline_item_get_edited (item));
  g_assert_cmpuint (g_utf8_strlen (duet_timeline_item_get_body (item), -1), ==, 20000 + 1);
  g_assert_cmpuint (strlen (duet_timeline_item_get_markup (item)), <=, 20000 * 4 + 16);
  reactions = duet_timeline_item_get_reactions (item);
  g_assert_cmpuint (reactions->len, <=, 24);
  for (guint i = 0; i < reactions->len; i++)
    {
      DuetReaction *reaction = reactions->pdata[i];

      g_assert_cmpuint (g_utf8_strlen (reaction->key, -1), <=, 17);
      total += reaction->count;
    }
  g_assert_cmpuint (total, <=, 1000);
  g_assert_cmpuint (total, >, 0);
  item = find_event (f->timeline, "$self");
  g_assert_cmpstr (duet_timeline_item_get_body (item), ==, "me");
  g_assert_cmpstr (duet_timeline_item_get_reply_body (item), ==, "me");
  g_assert_cmpint (duet_timeline_item_get_timestamp (find_event (f->timeline, "$neg")), ==, 0);
  g_assert_null (find_event (f->timeline, "not an id"));
  g_assert_null (find_event (f->timeline, "$bad-sender"));
  g_assert_null (find_event (f->timeline, "$e1"));
  g_assert_null (find_event (f->timeline, "$r1"));

  /* The redacted event arrives afterwards; a limited slice leaves a gap. */
  json_array_add_object_element (later, event_new ("$later", "@bob:localhost", "m.room.message", 8000,
                                                    "{\"msgtype\": \"m.text\", \"body\": \"secret\"}"));
  ingest_events (f->session, room_id, later, TRUE);
  item = find_event (f->timeline, "$later");
  g_assert_cmpint (duet_timeline_item_get_message_kind (item), ==, DUET_MESSAGE_REDACTED);
  g_assert_cmpstr (duet_timeline_item_get_body (item), ==, "Message deleted");
  g_assert_cmpuint (count_kind (f->timeline, DUET_TIMELINE_ITEM_GAP), ==, 1);
  check_invariants (f->timeline);
  g_assert_true (duet_timeline_get_room (f->timeline) == duet_session_lookup_room (f->session, room_id));

  /* m.typing of the wrong shapes, with us, duplicates and a crowd. */
  {
    g_autoptr(GString) json = g_string_new ("{\"next_batch\": \"s3\", \"rooms\": {\"join\": {\"");
    g_autoptr(JsonObject) response = NULL;
    const char * const *typing;
    g_auto(GStrv) names = NULL;

    g_string_append_printf (json, "%s\": {\"ephemeral\": {\"events\": [5, {\"type\": \"m.typing\","
                            " \"content\": {\"user_ids\": 7}}, {\"type\": \"m.typing\", \"content\":"
                            " {\"user_ids\": [\"@alice:localhost\", \"@bob:localhost\", \"@bob:localhost\","
                            " \"not a user\", 5, null", room_id);
    for (guint i = 0; i < 100; i++)
      g_string_append_printf (json, ", \"@typist%u:localhost\"", i);
    g_string_append (json, "]}}]}}}}}");
    response = duet_test_json_object (json->str);
    duet_session_ingest (f->session, response);

    typing = duet_room_get_typing (duet_timeline_get_room (f->timeline));
    g_assert_cmpstr (typing[0], ==, "@bob:localhost");
    g_assert_cmpuint (g_strv_length ((GStrv) typing), <=, 32);
    g_assert_false (g_strv_contains (typing, "@alice:localhost"));
    for (guint i = 1; typing[i] != NULL; i++)
      g_assert_cmpstr (typing[i], !=, "@bob:localhost");
    names = duet_timeline_dup_typing (f->timeline);
    g_assert_cmpuint (g_strv_length (names), ==, g_strv_length ((GStrv) typing));
  }
}

/* --- Local echoes -------------------------------------------------------- */

static guint
count_body (DuetTimeline *timeline,
            const char   *body)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (timeline));
  guint count = 0;

  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (duet_timeline_item_get_body (item_at (timeline, i)), body) == 0)
      count++;
  return count;
}

static guint
server_count_body (Fixture    *f,
                   const char *body)
{
  g_autoptr(JsonArray) events = duet_test_homeserver_get_timeline (f->base.server, f->room_id);
  guint count = 0;

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *content = json_object_get_object_member (json_array_get_object_element (events, i),
                                                           "content");

      if (json_object_has_member (content, "body") &&
          g_strcmp0 (json_object_get_string_member (content, "body"), body) == 0)
        count++;
    }
  return count;
}

typedef struct {
  DuetTimeline *timeline;
  const char   *body;
} EchoWait;

/* Checked after every main-loop iteration: the message is shown exactly
 * once all along, and the wait ends when it is the server's event. */
static gboolean
echo_became_event (gpointer data)
{
  EchoWait *wait = data;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (wait->timeline));
  DuetTimelineItem *last = NULL;

  g_assert_cmpuint (count_body (wait->timeline, wait->body), ==, 1);
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (duet_timeline_item_get_body (item_at (wait->timeline, i)), wait->body) == 0)
      last = item_at (wait->timeline, i);
  return duet_timeline_item_get_event_id (last) != NULL;
}

static DuetTimelineItem *
last_item (DuetTimeline *timeline)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (timeline));

  return n > 0 ? item_at (timeline, n - 1) : NULL;
}

static void
test_echo (Fixture       *f,
           gconstpointer  data)
{
  DuetOutgoing *outgoing;
  DuetTimelineItem *echo, *real;
  EchoWait wait;
  guint n_before;

  start (f);
  load (f->timeline);
  n_before = g_list_model_get_n_items (G_LIST_MODEL (f->timeline));

  outgoing = duet_timeline_send_text (f->timeline, "hi there");
  g_assert_nonnull (outgoing);
  echo = last_item (f->timeline);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->timeline)), ==, n_before + 1);
  g_assert_true (duet_timeline_item_get_outgoing (echo) == outgoing);
  g_assert_null (duet_timeline_item_get_event_id (echo));
  g_assert_true (duet_timeline_item_is_own (echo));
  g_assert_cmpstr (duet_timeline_item_get_body (echo), ==, "hi there");
  g_assert_cmpint (duet_timeline_item_get_send_state (echo), !=, DUET_OUTGOING_FAILED);
  check_invariants (f->timeline);

  wait = (EchoWait) { f->timeline, "hi there" };
  g_assert_true (duet_test_wait_until (echo_became_event, &wait, DUET_TEST_TIMEOUT_MS));
  real = last_item (f->timeline);
  g_assert_nonnull (duet_timeline_item_get_event_id (real));
  g_assert_null (duet_timeline_item_get_outgoing (real));
  g_assert_cmpint (duet_timeline_item_get_send_state (real), ==, DUET_OUTGOING_SENT);
  g_assert_true (duet_timeline_item_is_own (real));
  check_invariants (f->timeline);
  duet_test_session_settle (f->session);
  g_assert_cmpuint (count_body (f->timeline, "hi there"), ==, 1);
  g_assert_cmpuint (server_count_body (f, "hi there"), ==, 1);

  /* "/me" makes an emote, echo and event alike. */
  duet_timeline_send_text (f->timeline, "/me waves");
  echo = last_item (f->timeline);
  g_assert_cmpint (duet_timeline_item_get_message_kind (echo), ==, DUET_MESSAGE_EMOTE);
  g_assert_cmpstr (duet_timeline_item_get_body (echo), ==, "waves");
  wait = (EchoWait) { f->timeline, "waves" };
  g_assert_true (duet_test_wait_until (echo_became_event, &wait, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpint (duet_timeline_item_get_message_kind (last_item (f->timeline)), ==, DUET_MESSAGE_EMOTE);
  g_assert_cmpuint (server_count_body (f, "waves"), ==, 1);
  check_invariants (f->timeline);
}

/* The first message of a day is sent while Bob's arrives: his goes above
 * the echo, under one day separator. */
static void
test_echo_new_day (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *prefix = NULL;
  g_autofree char *bob = NULL;
  const char *invite[] = { f->base.alice, NULL };
  EchoWait wait;

  duet_test_homeserver_set_clock_offset (f->base.server, -2 * DAY_MS);
  g_free (f->room_id);
  f->room_id = duet_test_homeserver_create_room (f->base.server, f->base.bob, "trusted_private_chat",
                                                 invite, TRUE);
  duet_test_homeserver_join (f->base.server, f->room_id, f->base.alice);
  send_messages (f, f->base.bob, 0, 3);
  duet_test_homeserver_set_clock_offset (f->base.server, 0);
  prefix = g_strdup_printf ("/_matrix/client/v3/rooms/%s/send", f->room_id);

  start (f);
  load (f->timeline);
  duet_test_homeserver_add_fault (f->base.server, "PUT", prefix, 1, DUET_FAULT_HANG, 0, 500, NULL);
  duet_timeline_send_text (f->timeline, "good morning");
  g_assert_cmpuint (count_kind (f->timeline, DUET_TIMELINE_ITEM_DAY), ==, 2);
  check_invariants (f->timeline);

  bob = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "morning Bob");
  wait_for_event (f->timeline, bob);
  g_assert_nonnull (duet_timeline_item_get_outgoing (last_item (f->timeline)));
  g_assert_cmpuint (count_kind (f->timeline, DUET_TIMELINE_ITEM_DAY), ==, 2);
  check_invariants (f->timeline);

  wait = (EchoWait) { f->timeline, "good morning" };
  g_assert_true (duet_test_wait_until (echo_became_event, &wait, DUET_TEST_TIMEOUT_MS));
  check_invariants (f->timeline);
}

static gboolean
send_state_is (gpointer data)
{
  gpointer *args = data;

  return duet_timeline_item_get_send_state (args[0]) == (DuetOutgoingState) GPOINTER_TO_INT (args[1]);
}

static void
wait_send_state (DuetTimelineItem  *item,
                 DuetOutgoingState  state)
{
  gpointer args[2] = { item, GINT_TO_POINTER (state) };

  g_assert_true (duet_test_wait_until (send_state_is, args, DUET_TEST_TIMEOUT_MS));
}

static void
test_failed_send (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *prefix = g_strdup_printf ("/_matrix/client/v3/rooms/%s/send", f->room_id);
  DuetTimelineItem *echo;
  guint state_notified = 0;
  guint n_before;
  EchoWait wait;

  start (f);
  load (f->timeline);

  /* Refused once: FAILED, then Retry sends it, once. */
  duet_test_homeserver_add_fault (f->base.server, "PUT", prefix, 1, DUET_FAULT_STATUS, 403, 0, NULL);
  duet_timeline_send_text (f->timeline, "try again");
  echo = g_object_ref (last_item (f->timeline));
  g_signal_connect (echo, "notify::send-state", G_CALLBACK (count_cb), &state_notified);
  wait_send_state (echo, DUET_OUTGOING_FAILED);
  g_assert_cmpuint (state_notified, >=, 1);
  g_assert_nonnull (duet_outgoing_get_error_message (duet_timeline_item_get_outgoing (echo)));
  g_assert_cmpuint (server_count_body (f, "try again"), ==, 0);
  duet_timeline_retry (f->timeline, echo);
  wait = (EchoWait) { f->timeline, "try again" };
  g_assert_true (duet_test_wait_until (echo_became_event, &wait, DUET_TEST_TIMEOUT_MS));
  g_assert_cmpint (duet_timeline_item_get_send_state (echo), ==, DUET_OUTGOING_SENT);
  g_assert_cmpuint (server_count_body (f, "try again"), ==, 1);
  g_object_unref (echo);

  /* Refused, then deleted: gone from the list, never sent. */
  duet_test_homeserver_add_fault (f->base.server, "PUT", prefix, 1, DUET_FAULT_STATUS, 403, 0, NULL);
  n_before = g_list_model_get_n_items (G_LIST_MODEL (f->timeline));
  duet_timeline_send_text (f->timeline, "never mind");
  echo = last_item (f->timeline);
  wait_send_state (echo, DUET_OUTGOING_FAILED);

  /* The chat opened again shows it, failed, at the end. */
  {
    g_autoptr(DuetTimeline) again = duet_timeline_new (f->session, f->room_id);
    DuetTimelineItem *shown;

    load (again);
    shown = last_item (again);
    g_assert_true (duet_timeline_item_get_outgoing (shown) == duet_timeline_item_get_outgoing (echo));
    g_assert_cmpint (duet_timeline_item_get_send_state (shown), ==, DUET_OUTGOING_FAILED);
    g_assert_cmpstr (duet_timeline_item_get_body (shown), ==, "never mind");
    check_invariants (again);
    duet_test_finalize (g_steal_pointer (&again));
  }

  duet_timeline_delete (f->timeline, echo);
  g_assert_cmpuint (count_body (f->timeline, "never mind"), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->timeline)), ==, n_before);
  duet_test_session_settle (f->session);
  g_assert_cmpuint (server_count_body (f, "never mind"), ==, 0);
  check_invariants (f->timeline);
}

/* --- Relations, trims and gaps under stress ------------------------------ */

/* A message fetched only for a reply's quote, then deleted: the quote
 * stops showing its text. */
static void
test_redacted_quote_hides (Fixture *f, gconstpointer data)
{
  g_autofree char *original = NULL;
  g_autofree char *reply = NULL;
  DuetTimelineItem *item;

  original = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "secret");
  send_messages (f, f->base.bob, 0, 80);
  reply = duet_test_homeserver_send_reply (f->base.server, f->room_id, f->base.alice, original, "answer");
  start (f);
  load (f->timeline);
  item = find_event (f->timeline, reply);
  {
    gpointer args[2] = { item, (gpointer) "secret" };
    g_assert_true (duet_test_wait_until (reply_body_is, args, DUET_TEST_TIMEOUT_MS));
  }
  g_free (duet_test_homeserver_redact (f->base.server, f->room_id, f->base.bob, original));
  g_free (duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "after"));
  duet_test_session_settle (f->session);
  g_test_message ("reply quote after redaction: %s", duet_timeline_item_get_reply_body (item));
  g_assert_cmpstr (duet_timeline_item_get_reply_body (item), !=, "secret");
}

/* Reactions without a valid sender are dropped (one stored with no sender
 * used to crash the next reaction with its key). */
static void
test_reaction_without_sender (Fixture *f, gconstpointer data)
{
  const char *room_id = "!hostile:localhost";
  g_autoptr(JsonArray) events = json_array_new ();
  JsonObject *r1;
  DuetTimelineItem *item;
  GPtrArray *reactions;
  const char *react = "{\"m.relates_to\": {\"rel_type\": \"m.annotation\", \"event_id\": \"$m1\", \"key\": \"x\"}}";

  f->session = duet_session_new (f->base.client);
  f->timeline = duet_timeline_new (f->session, room_id);
  json_array_add_object_element (events, event_new ("$m1", "@bob:localhost", "m.room.message", 1000,
                                                     "{\"msgtype\": \"m.text\", \"body\": \"ok\"}"));
  r1 = event_new ("$r1", "@bob:localhost", "m.reaction", 2000, react);
  json_object_remove_member (r1, "sender");
  json_array_add_object_element (events, r1);
  json_array_add_object_element (events, event_new ("$r2", "@eve:localhost", "m.reaction", 3000, react));
  json_array_add_object_element (events, event_new ("$r3", "not a user", "m.reaction", 4000, react));
  ingest_events (f->session, room_id, events, FALSE);
  item = find_event (f->timeline, "$m1");
  g_assert_nonnull (item);
  /* Only Eve's reaction counts. */
  reactions = duet_timeline_item_get_reactions (item);
  g_assert_cmpuint (reactions->len, ==, 1);
  g_assert_cmpstr (((DuetReaction *) reactions->pdata[0])->key, ==, "x");
  g_assert_cmpuint (((DuetReaction *) reactions->pdata[0])->count, ==, 1);
}

/* Items trimmed at the cap come back by paginating with their edit and
 * reactions. */
static void
test_trim_keeps_relations (Fixture *f, gconstpointer data)
{
  g_autofree char *orig = NULL;
  g_autofree char *removed = NULL;
  DuetTimelineItem *item;

  start (f);
  load (f->timeline);
  while (!duet_timeline_get_at_start (f->timeline))
    paginate (f->timeline);
  _duet_timeline_set_max_items (f->timeline, 40);
  orig = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "original");
  duet_test_session_settle (f->session);
  g_free (duet_test_homeserver_send_edit (f->base.server, f->room_id, f->base.bob, orig, "edited"));
  g_free (duet_test_homeserver_send_reaction (f->base.server, f->room_id, f->base.alice, orig, "+1"));
  /* A reaction taken back: it must not come back with the message. */
  removed = duet_test_homeserver_send_reaction (f->base.server, f->room_id, f->base.bob, orig, "-1");
  duet_test_session_settle (f->session);
  g_free (duet_test_homeserver_redact (f->base.server, f->room_id, f->base.bob, removed));
  duet_test_session_settle (f->session);
  item = find_event (f->timeline, orig);
  g_assert_cmpstr (duet_timeline_item_get_body (item), ==, "edited");
  g_assert_cmpuint (duet_timeline_item_get_reactions (item)->len, ==, 1);

  for (guint round = 0; round < 10; round++)
    {
      send_messages (f, f->base.bob, round * 10, 10);
      duet_test_session_settle (f->session);
      /* A reaction that comes later than where the top is cut (paginating
       * back from the cut does not bring it again). */
      if (round == 1)
        {
          g_assert_nonnull (find_event (f->timeline, orig));
          g_free (duet_test_homeserver_send_reaction (f->base.server, f->room_id, f->base.bob, orig, "🎉"));
          duet_test_session_settle (f->session);
        }
    }
  g_assert_null (find_event (f->timeline, orig));  /* trimmed */
  /* What the timeline knows of the trimmed items went with them. */
  g_test_message ("after trim: seen=%u shown=%u pending=%u redacted=%u reactions=%u edits=%u repliers=%u",
                  g_hash_table_size (f->timeline->seen), g_hash_table_size (f->timeline->by_event_id),
                  f->timeline->n_pending, g_hash_table_size (f->timeline->redacted),
                  g_hash_table_size (f->timeline->reactions), g_hash_table_size (f->timeline->edits),
                  g_hash_table_size (f->timeline->repliers));
  g_assert_cmpuint (g_hash_table_size (f->timeline->redacted), ==, 0);
  g_assert_cmpuint (g_hash_table_size (f->timeline->reactions), ==, 0);
  g_assert_cmpuint (g_hash_table_size (f->timeline->edits), ==, 0);
  g_assert_cmpuint (g_hash_table_size (f->timeline->seen), <=,
                    g_hash_table_size (f->timeline->by_event_id) + f->timeline->n_pending + 10);
  while (!duet_timeline_get_at_start (f->timeline))
    paginate (f->timeline);
  item = find_event (f->timeline, orig);
  g_assert_nonnull (item);
  g_test_message ("after trim+paginate: body=%s reactions=%u", duet_timeline_item_get_body (item),
                  duet_timeline_item_get_reactions (item)->len);
  g_assert_cmpstr (duet_timeline_item_get_body (item), ==, "edited");
  g_assert_cmpuint (duet_timeline_item_get_reactions (item)->len, ==, 2);
  g_assert_cmpuint (f->timeline->n_pending, ==, 0);
  check_invariants (f->timeline);
}

/* Two fills of one gap at once: the second is refused (its answer, from
 * the same token, would bring only known events and be taken for the gap
 * being met, losing the history still missing). */
static void
test_fill_gap_twice (Fixture *f, gconstpointer data)
{
  g_autofree char *bodies = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GError) error = NULL;
  DuetTimelineItem *gap = NULL;
  guint n;

  send_messages (f, f->base.bob, 0, 10);
  start (f);
  load (f->timeline);
  while (!duet_timeline_get_at_start (f->timeline))
    paginate (f->timeline);
  duet_session_stop (f->session);
  send_messages (f, f->base.bob, 10, 150);
  duet_session_start (f->session);
  g_assert_true (duet_test_wait_until (has_gap_and_last, f, DUET_TEST_TIMEOUT_MS));
  n = g_list_model_get_n_items (G_LIST_MODEL (f->timeline));
  for (guint i = 0; i < n; i++)
    if (duet_timeline_item_get_kind (item_at (f->timeline, i)) == DUET_TIMELINE_ITEM_GAP)
      gap = item_at (f->timeline, i);
  g_assert_nonnull (gap);
  g_object_ref (gap);
  duet_timeline_fill_gap_async (f->timeline, gap, NULL, duet_test_result_cb, &r1);
  duet_timeline_fill_gap_async (f->timeline, gap, NULL, duet_test_result_cb, &r2);
  g_assert_false (duet_timeline_fill_gap_finish (f->timeline, duet_test_wait (&r2), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
  g_clear_error (&error);
  g_assert_true (duet_timeline_fill_gap_finish (f->timeline, duet_test_wait (&r1), &error));
  g_assert_no_error (error);
  g_test_message ("gaps left: %u; messages: %u of 160", count_kind (f->timeline, DUET_TIMELINE_ITEM_GAP),
                  count_kind (f->timeline, DUET_TIMELINE_ITEM_MESSAGE));
  /* One page of 50 came: the gap is still there, and can be filled again. */
  g_assert_cmpuint (count_kind (f->timeline, DUET_TIMELINE_ITEM_GAP), ==, 1);
  while (count_kind (f->timeline, DUET_TIMELINE_ITEM_GAP) > 0)
    {
      g_autoptr(GAsyncResult) result = NULL;

      duet_timeline_fill_gap_async (f->timeline, gap, NULL, duet_test_result_cb, &result);
      g_assert_true (duet_timeline_fill_gap_finish (f->timeline, duet_test_wait (&result), &error));
      g_assert_no_error (error);
    }
  g_object_unref (gap);
  bodies = dup_bodies (f->timeline);
  expected = expected_bodies (0, 160);
  g_assert_cmpstr (bodies, ==, expected);
  check_invariants (f->timeline);
}

/* A member event without displayname still leaves the sender a name. */
static void
test_member_without_name (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) content = duet_test_json_object ("{\"membership\": \"join\"}");
  g_autofree char *msg = NULL;
  DuetTimelineItem *item;

  start (f);
  load (f->timeline);
  msg = duet_test_homeserver_send_message (f->base.server, f->room_id, f->base.bob, "hi");
  item = wait_for_event (f->timeline, msg);
  g_assert_nonnull (duet_timeline_item_get_sender_name (item));
  g_free (duet_test_homeserver_send_event (f->base.server, f->room_id, f->base.bob, "m.room.member",
                                           f->base.bob, content));
  duet_test_session_settle (f->session);
  g_assert_nonnull (duet_timeline_item_get_sender_name (item));
}

/* A page of history asked before the top was cut answers after: it is
 * older than the cut and is dropped, not put above it with a hole. */
static void
test_paginate_during_trim (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_strdup_printf ("/_matrix/client/v3/rooms/%s/messages", f->room_id);
  g_autofree char *bodies = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) shown = NULL;

  send_messages (f, f->base.bob, 0, 120);
  start (f);
  load (f->timeline);
  g_assert_false (duet_timeline_get_at_start (f->timeline));
  _duet_timeline_set_max_items (f->timeline, 60);

  /* The next page hangs while live messages push the loaded ones out. */
  duet_test_homeserver_add_fault (f->base.server, "GET", path, 1, DUET_FAULT_HANG, 0, 4000, NULL);
  duet_timeline_paginate_async (f->timeline, NULL, duet_test_result_cb, &result);
  for (guint round = 0; round < 4; round++)
    {
      send_messages (f, f->base.bob, 120 + round * 10, 10);
      duet_test_session_settle (f->session);
    }
  bodies = dup_bodies (f->timeline);
  shown = g_strsplit (bodies, ",", -1);
  g_assert_false (g_strv_contains ((const char * const *) shown, "m119"));  /* trimmed */
  g_assert_true (duet_timeline_get_loading (f->timeline));  /* the page still hangs */
  duet_timeline_paginate_finish (f->timeline, duet_test_wait (&result), &error);
  g_assert_no_error (error);
  check_invariants (f->timeline);
  /* The hung page (up to m69) did not go above the cut. */
  g_free (bodies);
  bodies = dup_bodies (f->timeline);
  g_strfreev (shown);
  shown = g_strsplit (bodies, ",", -1);
  g_assert_false (g_strv_contains ((const char * const *) shown, "m69"));
  g_assert_true (g_str_has_suffix (bodies, ",m159"));

  while (!duet_timeline_get_at_start (f->timeline))
    paginate (f->timeline);
  g_free (bodies);
  bodies = dup_bodies (f->timeline);
  expected = expected_bodies (0, 160);
  g_assert_cmpstr (bodies, ==, expected);
}

/* One person reacting twice with one key counts once; taking back either
 * reaction leaves the other. */
static void
test_reaction_twice (Fixture *f, gconstpointer data)
{
  const char *room_id = "!hostile:localhost";
  const char *react = "{\"m.relates_to\": {\"rel_type\": \"m.annotation\", \"event_id\": \"$m1\", \"key\": \"x\"}}";
  g_autoptr(JsonArray) events = json_array_new ();
  g_autoptr(JsonArray) redaction = json_array_new ();
  DuetTimelineItem *item;
  GPtrArray *reactions;

  f->session = duet_session_new (f->base.client);
  f->timeline = duet_timeline_new (f->session, room_id);
  json_array_add_object_element (events, event_new ("$m1", "@bob:localhost", "m.room.message", 1000,
                                                     "{\"msgtype\": \"m.text\", \"body\": \"ok\"}"));
  json_array_add_object_element (events, event_new ("$r1", "@eve:localhost", "m.reaction", 2000, react));
  json_array_add_object_element (events, event_new ("$r2", "@eve:localhost", "m.reaction", 3000, react));
  json_array_add_object_element (events, event_new ("$r3", "@bob:localhost", "m.reaction", 4000, react));
  ingest_events (f->session, room_id, events, FALSE);
  item = find_event (f->timeline, "$m1");
  g_assert_nonnull (item);
  reactions = duet_timeline_item_get_reactions (item);
  g_assert_cmpuint (reactions->len, ==, 1);
  g_assert_cmpuint (((DuetReaction *) reactions->pdata[0])->count, ==, 2);

  /* Eve takes her first one back: her second still counts. */
  json_array_add_object_element (redaction, event_new ("$d1", "@eve:localhost", "m.room.redaction", 5000,
                                                        "{\"redacts\": \"$r1\"}"));
  ingest_events (f->session, room_id, redaction, FALSE);
  reactions = duet_timeline_item_get_reactions (item);
  g_assert_cmpuint (reactions->len, ==, 1);
  g_assert_cmpuint (((DuetReaction *) reactions->pdata[0])->count, ==, 2);

  /* Then the second: only Bob's is left. */
  json_object_set_string_member (json_array_get_object_element (redaction, 0), "event_id", "$d2");
  json_object_set_string_member (json_object_get_object_member (json_array_get_object_element (redaction, 0),
                                                                "content"), "redacts", "$r2");
  ingest_events (f->session, room_id, redaction, FALSE);
  reactions = duet_timeline_item_get_reactions (item);
  g_assert_cmpuint (reactions->len, ==, 1);
  g_assert_cmpuint (((DuetReaction *) reactions->pdata[0])->count, ==, 1);
}

/* A chat closed while we type tells the other side we stopped. */
static void
test_typing_stops_on_close (Fixture *f, gconstpointer data)
{
  start (f);
  load (f->timeline);
  duet_timeline_set_typing (f->timeline, TRUE);
  g_assert_true (duet_test_wait_until (server_sees_typing, f, DUET_TEST_TIMEOUT_MS));
  duet_test_finalize (g_steal_pointer (&f->timeline));
  g_assert_true (duet_test_wait_until (server_sees_no_typing, f, DUET_TEST_TIMEOUT_MS));
}

#define ADD(path, func) \
  g_test_add ("/timeline/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("history", test_history);
  ADD ("gap", test_gap);
  ADD ("relations", test_relations);
  ADD ("reply-to-old", test_reply_to_old);
  ADD ("days-and-groups", test_days_and_groups);
  ADD ("content", test_content);
  ADD ("media", test_media);
  ADD ("typing", test_typing);
  ADD ("mark-read", test_mark_read);
  ADD ("trim", test_trim);
  ADD ("cache", test_cache);
  ADD ("cache-race", test_cache_race);
  ADD ("hostile", test_hostile);
  ADD ("echo", test_echo);
  ADD ("echo-new-day", test_echo_new_day);
  ADD ("failed-send", test_failed_send);
  ADD ("redacted-quote-hides", test_redacted_quote_hides);
  ADD ("reaction-without-sender", test_reaction_without_sender);
  ADD ("trim-keeps-relations", test_trim_keeps_relations);
  ADD ("fill-gap-twice", test_fill_gap_twice);
  ADD ("member-without-name", test_member_without_name);
  ADD ("paginate-during-trim", test_paginate_during_trim);
  ADD ("reaction-twice", test_reaction_twice);
  ADD ("typing-stops-on-close", test_typing_stops_on_close);

  return g_test_run ();
}
