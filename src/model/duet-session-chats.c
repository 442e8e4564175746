/* duet-session-chats.c: finding the DM with someone, and Start Chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rules come from ../shared/matrix-dm.md: reuse the right DM rather
 * than make a duplicate (rule 3), say when the partner left instead of
 * quietly making another room (rule 4), follow upgrades (rule 5), and only
 * write m.direct for a user action or an accepted is_direct invite (rule 6).
 */
#include "config.h"

#include <string.h>

#include "duet-ignore-list.h"
#include "duet-matrix-id.h"
#include "duet-session-chats-private.h"
#include "duet-room-private.h"
#include "duet-session-private.h"
#include "duet-sync-loop.h"

/* Upgrade chains longer than this are not followed further: a bound
 * against a server that hands us an endless (or cyclic) one. */
#define MAX_TOMBSTONE_DEPTH 16

/* Added to twice the long-poll timeout when waiting for a lost room. */
#define RECOVERY_SLACK_MS 5000

typedef struct _StartChat StartChat;

struct _DuetSessionChats
{
  DuetSession    *session;      /* not owned: the session owns us */
  GHashTable     *starts;       /* user id → StartChat in flight (one per user) */
  /* user id → GPtrArray of room ids we created this run: found again even
   * before sync shows them or when listing them in m.direct failed. */
  GHashTable     *created;
  DuetIgnoreList *ignore_list;  /* made on first use */
  guint           recovery_timeout_ms;
};

DuetSessionChats *
_duet_session_chats_new (DuetSession *session)
{
  DuetSessionChats *chats = g_new0 (DuetSessionChats, 1);

  chats->session = session;
  chats->starts = g_hash_table_new (g_str_hash, g_str_equal);
  chats->created = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_ptr_array_unref);
  return chats;
}

void
_duet_session_chats_free (DuetSessionChats *chats)
{
  /* A start in flight holds a reference on the session. */
  g_assert (g_hash_table_size (chats->starts) == 0);

  g_clear_pointer (&chats->starts, g_hash_table_unref);
  g_clear_pointer (&chats->created, g_hash_table_unref);
  g_clear_object (&chats->ignore_list);
  g_free (chats);
}

void
_duet_session_set_start_chat_recovery_timeout (DuetSession *self,
                                               guint        timeout_ms)
{
  g_return_if_fail (DUET_IS_SESSION (self));
  _duet_session_get_chats (self)->recovery_timeout_ms = timeout_ms;
}

DuetIgnoreList *
_duet_session_get_ignore_list (DuetSession *self)
{
  DuetSessionChats *chats = _duet_session_get_chats (self);

  /* Made on first use: most runs never ignore anyone. */
  if (chats->ignore_list == NULL)
    chats->ignore_list = duet_ignore_list_new (duet_session_get_client (self));
  return chats->ignore_list;
}

/* --- Helpers ------------------------------------------------------------- */

static DuetRoom *
room_at (GListModel *rooms,
         guint       position)
{
  /* The list holds a reference; the caller borrows like lookup_room's. */
  g_autoptr(DuetRoom) room = g_list_model_get_item (rooms, position);

  return room;
}

static gboolean
is_listed_under (DuetSession *session,
                 const char  *user_id,
                 const char  *room_id)
{
  g_auto(GStrv) rooms = duet_direct_map_dup_rooms_for_user (duet_session_get_direct_map (session), user_id);

  return g_strv_contains ((const char * const *) rooms, room_id);
}

static void
remember_created (DuetSessionChats *chats,
                  const char       *user_id,
                  const char       *room_id)
{
  GPtrArray *rooms = g_hash_table_lookup (chats->created, user_id);

  if (rooms == NULL)
    {
      rooms = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (chats->created, g_strdup (user_id), rooms);
    }
  if (!g_ptr_array_find_with_equal_func (rooms, room_id, g_str_equal, NULL))
    g_ptr_array_add (rooms, g_strdup (room_id));
}

static gboolean
was_created_by_us (DuetSessionChats *chats,
                   const char       *user_id,
                   const char       *room_id)
{
  GPtrArray *rooms = g_hash_table_lookup (chats->created, user_id);

  return rooms != NULL && g_ptr_array_find_with_equal_func (rooms, room_id, g_str_equal, NULL);
}

/* --- Finding the DM (rule 3) --------------------------------------------- */

typedef enum {
  FIT_NO,
  FIT_YES,
  FIT_PARTNER_LEFT,
} Fit;

typedef struct {
  DuetRoom    *room;           /* borrowed from the session */
  const char  *room_id;        /* set alone for a room of ours sync has not shown yet */
  gboolean     via_tombstone;  /* reached by following an upgrade */
  gboolean     partner_left;
} Choice;

/* Whether @room is a DM with @partner: we are in it (or only invited, when
 * an upgrade led us there), the partner is joined or invited, and nobody
 * else is but service members (io.element.functional_members). */
static Fit
room_fits (DuetRoom   *room,
           const char *own_id,
           const char *partner,
           gboolean    via_tombstone)
{
  DuetMembership own = duet_room_get_own_membership (room);
  DuetMember *partner_member = duet_room_lookup_member (room, partner);
  DuetMembership partner_membership = DUET_MEMBERSHIP_NONE;
  g_autoptr(GPtrArray) members = NULL;
  g_auto(GStrv) functional = NULL;

  if (own != DUET_MEMBERSHIP_JOIN && !(own == DUET_MEMBERSHIP_INVITE && via_tombstone))
    return FIT_NO;

  if (partner_member != NULL)
    partner_membership = duet_member_get_membership (partner_member);
  if (partner_membership != DUET_MEMBERSHIP_JOIN &&
      partner_membership != DUET_MEMBERSHIP_INVITE &&
      !(partner_membership == DUET_MEMBERSHIP_LEAVE && own == DUET_MEMBERSHIP_JOIN))
    return FIT_NO;

  functional = duet_room_dup_functional_members (room);
  members = duet_room_dup_members (room, DUET_MEMBERSHIP_NONE);
  for (guint i = 0; i < members->len; i++)
    {
      DuetMember *member = members->pdata[i];
      DuetMembership membership = duet_member_get_membership (member);
      const char *user_id = duet_member_get_user_id (member);

      if (membership != DUET_MEMBERSHIP_JOIN && membership != DUET_MEMBERSHIP_INVITE)
        continue;
      if (g_strcmp0 (user_id, own_id) == 0 || g_strcmp0 (user_id, partner) == 0)
        continue;
      if (functional != NULL && g_strv_contains ((const char * const *) functional, user_id))
        continue;
      return FIT_NO;  /* a third real person: a group, not this DM */
    }

  return partner_membership == DUET_MEMBERSHIP_LEAVE ? FIT_PARTNER_LEFT : FIT_YES;
}

/* Whether @a is a better pick than @b: newer activity, then (so that the
 * answer does not depend on list order) the smaller room id. */
static gboolean
is_better (DuetRoom *a,
           DuetRoom *b)
{
  gint64 activity_a = duet_room_get_last_activity (a);
  gint64 activity_b = duet_room_get_last_activity (b);

  if (activity_a != activity_b)
    return activity_a > activity_b;
  return strcmp (duet_room_get_id (a), duet_room_get_id (b)) < 0;
}

/* Follows @start's upgrades to the rooms we know, then takes the newest
 * room of the chain that fits: the replacement is the DM now, but an
 * upgrade we cannot use (the partner never followed it) leaves the old
 * room as the best we have. */
static void
consider_chain (DuetSession *session,
                DuetRoom    *start,
                const char  *own_id,
                const char  *partner,
                Choice      *best,
                Choice      *best_left)
{
  /* On the stack: this runs for every person on each rebuild of the list.
   * The session holds one room per id, so a room seen twice is the same
   * object: the chain stops at a loop. */
  DuetRoom *chain[MAX_TOMBSTONE_DEPTH];
  guint length = 0;
  DuetRoom *room = start;

  while (room != NULL && length < MAX_TOMBSTONE_DEPTH)
    {
      const char *next = duet_room_get_replacement_room (room);
      gboolean seen = FALSE;

      for (guint i = 0; i < length && !seen; i++)
        seen = chain[i] == room;
      if (seen)
        break;
      chain[length++] = room;
      room = next != NULL ? duet_session_lookup_room (session, next) : NULL;
    }

  for (guint i = length; i > 0; i--)
    {
      DuetRoom *candidate = chain[i - 1];
      gboolean via_tombstone = i > 1;
      Fit fit = room_fits (candidate, own_id, partner, via_tombstone);
      Choice *slot = fit == FIT_YES ? best : best_left;

      if (fit == FIT_NO)
        continue;
      if (slot->room == NULL || is_better (candidate, slot->room))
        {
          slot->room = candidate;
          slot->room_id = duet_room_get_id (candidate);
          slot->via_tombstone = via_tombstone;
          slot->partner_left = fit == FIT_PARTNER_LEFT;
        }
      break;
    }
}

static Choice
choose_direct_room (DuetSession *session,
                    const char  *partner)
{
  DuetSessionChats *chats = _duet_session_get_chats (session);
  const char *own_id = _duet_session_get_user_id (session);
  g_auto(GStrv) listed = duet_direct_map_dup_rooms_for_user (duet_session_get_direct_map (session), partner);
  GPtrArray *created = g_hash_table_lookup (chats->created, partner);
  GPtrArray *invited = _duet_session_get_direct_invites_from (session, partner);
  Choice best = { 0 }, best_left = { 0 };

  for (guint i = 0; listed[i] != NULL; i++)
    {
      DuetRoom *room = duet_session_lookup_room (session, listed[i]);

      if (room != NULL)
        consider_chain (session, room, own_id, partner, &best, &best_left);
    }

  /* Rooms whose own invite said is_direct from the partner count too,
   * whether or not anyone listed them in m.direct. */
  for (guint i = 0; invited != NULL && i < invited->len; i++)
    consider_chain (session, invited->pdata[i], own_id, partner, &best, &best_left);

  for (guint i = 0; created != NULL && i < created->len; i++)
    {
      const char *room_id = created->pdata[i];
      DuetRoom *room = duet_session_lookup_room (session, room_id);

      if (room != NULL)
        {
          consider_chain (session, room, own_id, partner, &best, &best_left);
        }
      else if (best.room == NULL)
        {
          /* Made moments ago and not synced yet: nothing is newer, and
           * making another one now is exactly the duplicate to avoid. */
          best.room_id = room_id;
          best.via_tombstone = FALSE;
          best.partner_left = FALSE;
          return best;
        }
    }

  return best.room_id != NULL ? best : best_left;
}

DuetRoom *
duet_session_find_direct_room (DuetSession *self,
                               const char  *user_id,
                               gboolean    *partner_left)
{
  Choice choice;

  g_return_val_if_fail (DUET_IS_SESSION (self), NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  choice = choose_direct_room (self, user_id);
  if (partner_left != NULL)
    *partner_left = choice.partner_left;
  return choice.room;
}

/* --- Start Chat ---------------------------------------------------------- */

typedef struct {
  char                 *room_id;
  DuetStartChatOutcome  outcome;
} StartChatResult;

static void
start_chat_result_free (StartChatResult *result)
{
  g_free (result->room_id);
  g_free (result);
}

struct _StartChat
{
  DuetSession  *session;        /* owned */
  char         *user_id;
  GPtrArray    *tasks;          /* GTask: every caller waiting for this start */
  char         *room_id;        /* the room found or made */
  DuetStartChatOutcome outcome;

  /* Recovery after an unclear createRoom failure. */
  GError       *create_error;
  GHashTable   *known_before;   /* room ids known when createRoom was sent */
  GHashTable   *checked;        /* new rooms already looked at */
  gulong        synced_handler;
  guint         timeout_source;
  gboolean      checking;       /* a member event read is in flight ... */
  char         *checking_room;  /* ... in this room */
  gboolean      expired;

  /* Reading the candidates' members before deciding. */
  GPtrArray    *members_pending;
  char         *members_room;
};

static void recovery_check (StartChat *op);
static void load_next_candidate_members (StartChat *op);

static void
start_chat_free (StartChat *op)
{
  g_clear_signal_handler (&op->synced_handler, op->session);
  g_clear_handle_id (&op->timeout_source, g_source_remove);
  g_clear_pointer (&op->known_before, g_hash_table_unref);
  g_clear_pointer (&op->checked, g_hash_table_unref);
  g_clear_error (&op->create_error);
  g_free (op->checking_room);
  g_clear_pointer (&op->members_pending, g_ptr_array_unref);
  g_free (op->members_room);
  g_clear_pointer (&op->tasks, g_ptr_array_unref);
  g_free (op->room_id);
  g_free (op->user_id);
  g_clear_object (&op->session);
  g_free (op);
}

/* Answers every waiting caller with the same result.  Takes @error. */
static void
start_chat_complete (StartChat *op,
                     GError    *error)
{
  DuetSessionChats *chats = _duet_session_get_chats (op->session);

  g_hash_table_remove (chats->starts, op->user_id);

  for (guint i = 0; i < op->tasks->len; i++)
    {
      GTask *task = op->tasks->pdata[i];

      if (error != NULL)
        {
          g_task_return_error (task, g_error_copy (error));
        }
      else
        {
          StartChatResult *result = g_new0 (StartChatResult, 1);

          result->room_id = g_strdup (op->room_id);
          result->outcome = op->outcome;
          g_task_return_pointer (task, result, (GDestroyNotify) start_chat_result_free);
        }
    }

  g_clear_error (&error);
  start_chat_free (op);
}

static void
listed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  StartChat *op = user_data;
  GError *error = NULL;

  if (!duet_direct_map_add_room_finish (DUET_DIRECT_MAP (object), result, &error))
    {
      /* The room exists; a later Start Chat finds it again (we remember
       * what we made, and upgrades are followed) and retries the listing. */
      g_prefix_error (&error, "The chat is ready, but adding it to the direct chats failed: ");
    }
  start_chat_complete (op, error);
}

/* Adds the room to m.direct under the partner unless it is listed. */
static void
list_and_complete (StartChat *op)
{
  if (is_listed_under (op->session, op->user_id, op->room_id))
    {
      start_chat_complete (op, NULL);
      return;
    }
  duet_direct_map_add_room_async (duet_session_get_direct_map (op->session), op->user_id,
                                  op->room_id, NULL, listed_cb, op);
}

static void
created_room (StartChat  *op,
              const char *room_id)
{
  g_free (op->room_id);
  op->room_id = g_strdup (room_id);
  op->outcome = DUET_START_CHAT_CREATED;
  remember_created (_duet_session_get_chats (op->session), op->user_id, room_id);
  list_and_complete (op);
}

/* A failure after which the room may exist all the same: the request may
 * have reached the server and the answer got lost. */
static gboolean
is_unclear_failure (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  if (error->domain != DUET_API_ERROR)
    return TRUE;  /* the network: G_IO_ERROR, TLS, resolver ... */
  return error->code == DUET_API_ERROR_HTTP ||            /* 5xx, or a bare error status */
         error->code == DUET_API_ERROR_INVALID_RESPONSE || /* a 200 we could not read */
         error->code == DUET_API_ERROR_TOO_LARGE ||
         error->code == DUET_API_ERROR_TOO_DEEP;
}

static gboolean
recovery_timeout_cb (gpointer user_data)
{
  StartChat *op = user_data;

  op->timeout_source = 0;
  if (op->checking)
    {
      /* The read in flight has the last word. */
      op->expired = TRUE;
      return G_SOURCE_REMOVE;
    }
  start_chat_complete (op, g_steal_pointer (&op->create_error));
  return G_SOURCE_REMOVE;
}

static void
partner_member_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  StartChat *op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) content = NULL;
  const char *room_id = op->checking_room;
  JsonNode *is_direct;

  op->checking = FALSE;
  content = duet_client_get_state_event_finish (DUET_CLIENT (object), result, &error);
  is_direct = content != NULL ? json_object_get_member (content, "is_direct") : NULL;
  if (is_direct != NULL && JSON_NODE_HOLDS_VALUE (is_direct) &&
      json_node_get_value_type (is_direct) == G_TYPE_BOOLEAN &&
      json_node_get_boolean (is_direct))
    {
      g_debug ("createRoom failed unclearly, but %s is the room it made", room_id);
      created_room (op, room_id);
      return;
    }

  if (error != NULL)
    g_debug ("Could not read %s's invite in %s: %s", op->user_id, room_id, error->message);

  if (op->expired)
    start_chat_complete (op, g_steal_pointer (&op->create_error));
  else
    recovery_check (op);
}

/* Looks for a room our lost createRoom made: new since the request, we are
 * joined, the partner is invited, nobody else is in it — and the partner's
 * invite says is_direct, which only our createRoom with is_direct sets. */
static void
recovery_check (StartChat *op)
{
  GListModel *rooms = duet_session_get_rooms (op->session);
  const char *own_id = _duet_session_get_user_id (op->session);

  if (op->checking)
    return;  /* the read in flight calls us again when it is done */

  for (guint i = 0; i < g_list_model_get_n_items (rooms); i++)
    {
      DuetRoom *room = room_at (rooms, i);
      const char *room_id = duet_room_get_id (room);
      DuetMember *partner = duet_room_lookup_member (room, op->user_id);

      if (g_hash_table_contains (op->known_before, room_id) ||
          g_hash_table_contains (op->checked, room_id) ||
          partner == NULL ||
          duet_member_get_membership (partner) != DUET_MEMBERSHIP_INVITE ||
          room_fits (room, own_id, op->user_id, FALSE) != FIT_YES)
        continue;

      g_hash_table_add (op->checked, g_strdup (room_id));
      op->checking = TRUE;
      g_free (op->checking_room);
      op->checking_room = g_strdup (room_id);
      duet_client_get_state_event_async (duet_session_get_client (op->session), room_id,
                                         "m.room.member", op->user_id, NULL,
                                         partner_member_cb, op);
      return;
    }
}

static void
synced_cb (DuetSession *session,
           StartChat   *op)
{
  recovery_check (op);
}

static void
begin_recovery (StartChat *op,
                GError    *error)
{
  DuetSessionChats *chats = _duet_session_get_chats (op->session);
  guint timeout = chats->recovery_timeout_ms;

  if (timeout == 0)
    {
      DuetSyncLoop *loop = duet_session_get_sync_loop (op->session);
      guint poll = loop != NULL ? duet_sync_loop_get_timeout (loop) : DUET_SYNC_LOOP_DEFAULT_TIMEOUT_MS;

      timeout = 2 * poll + RECOVERY_SLACK_MS;
    }

  g_debug ("createRoom with %s failed unclearly (%s); waiting up to %u ms for a sync to show the room",
           op->user_id, error->message, timeout);
  op->create_error = error;
  op->checked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  op->synced_handler = g_signal_connect (op->session, "synced", G_CALLBACK (synced_cb), op);
  op->timeout_source = g_timeout_add (timeout, recovery_timeout_cb, op);
  recovery_check (op);
}

static void
create_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  StartChat *op = user_data;
  GError *error = NULL;
  g_autofree char *room_id = NULL;

  room_id = duet_client_create_room_finish (DUET_CLIENT (object), result, &error);
  if (room_id != NULL)
    created_room (op, room_id);
  else if (is_unclear_failure (error))
    begin_recovery (op, error);
  else
    start_chat_complete (op, error);
}

static void
create_room (StartChat *op)
{
  GListModel *rooms = duet_session_get_rooms (op->session);
  const char *invite[] = { op->user_id, NULL };

  op->known_before = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < g_list_model_get_n_items (rooms); i++)
    g_hash_table_add (op->known_before, g_strdup (duet_room_get_id (room_at (rooms, i))));

  /* No cancellable: every waiter needs to know what became of the request,
   * and a cancelled createRoom may have made the room all the same. */
  duet_client_create_room_async (duet_session_get_client (op->session), "trusted_private_chat",
                                 invite, TRUE, NULL, NULL, NULL, create_cb, op);
}

static void
join_replacement_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  StartChat *op = user_data;
  GError *error = NULL;
  g_autofree char *joined = duet_client_join_finish (DUET_CLIENT (object), result, &error);

  if (joined == NULL)
    start_chat_complete (op, error);
  else
    list_and_complete (op);
}

static void
start_chat_run (StartChat *op)
{
  DuetSessionChats *chats = _duet_session_get_chats (op->session);
  Choice choice = choose_direct_room (op->session, op->user_id);

  if (choice.room_id == NULL)
    {
      create_room (op);
      return;
    }

  op->room_id = g_strdup (choice.room_id);
  if (choice.partner_left)
    {
      op->outcome = DUET_START_CHAT_PARTNER_LEFT;
      start_chat_complete (op, NULL);
      return;
    }

  op->outcome = DUET_START_CHAT_REUSED;
  if (choice.room != NULL && duet_room_get_own_membership (choice.room) == DUET_MEMBERSHIP_INVITE)
    {
      /* An upgrade invited us to the replacement: it is the DM now. */
      duet_client_join_async (duet_session_get_client (op->session), op->room_id, NULL,
                              join_replacement_cb, op);
      return;
    }

  /* Rule 6 holds: this is the user's own Start Chat.  An upgrade's room,
   * or one we made whose listing failed, is added; the old one is kept. */
  if (choice.via_tombstone || was_created_by_us (chats, op->user_id, op->room_id))
    list_and_complete (op);
  else
    start_chat_complete (op, NULL);
}

/* The sync filter lazy-loads members: a candidate room's member list may
 * miss the partner (who has not spoken lately) or a third person, and
 * deciding on that would make a duplicate or reuse a group.  So every
 * candidate's current members are read first; a read that fails leaves
 * the room as sync showed it. */
static void
candidate_members_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  StartChat *op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) chunk = duet_client_get_members_finish (DUET_CLIENT (object), result, &error);
  DuetRoom *room = op->members_room != NULL ? duet_session_lookup_room (op->session, op->members_room) : NULL;

  if (chunk == NULL)
    g_debug ("Could not read the members of %s: %s", op->members_room, error->message);
  else if (room != NULL)
    _duet_room_apply_state (room, chunk, _duet_session_get_user_id (op->session));

  load_next_candidate_members (op);
}

static void
load_next_candidate_members (StartChat *op)
{
  g_clear_pointer (&op->members_room, g_free);
  if (op->members_pending == NULL || op->members_pending->len == 0)
    {
      g_clear_pointer (&op->members_pending, g_ptr_array_unref);
      start_chat_run (op);
      return;
    }

  op->members_room = g_ptr_array_steal_index (op->members_pending, op->members_pending->len - 1);
  duet_client_get_members_async (duet_session_get_client (op->session), op->members_room, NULL,
                                 NULL, candidate_members_cb, op);
}

static void
add_candidate_chain (StartChat  *op,
                     GHashTable *seen,
                     DuetRoom   *room)
{
  for (guint depth = 0; room != NULL && depth < MAX_TOMBSTONE_DEPTH; depth++)
    {
      const char *room_id = duet_room_get_id (room);
      const char *next = duet_room_get_replacement_room (room);

      if (!g_hash_table_add (seen, (gpointer) room_id))
        return;
      if (duet_room_get_own_membership (room) == DUET_MEMBERSHIP_JOIN)
        g_ptr_array_add (op->members_pending, g_strdup (room_id));
      room = next != NULL ? duet_session_lookup_room (op->session, next) : NULL;
    }
}

static void
load_candidate_members (StartChat *op)
{
  g_auto(GStrv) listed = duet_direct_map_dup_rooms_for_user (duet_session_get_direct_map (op->session),
                                                             op->user_id);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GListModel *rooms = duet_session_get_rooms (op->session);

  op->members_pending = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; listed[i] != NULL; i++)
    add_candidate_chain (op, seen, duet_session_lookup_room (op->session, listed[i]));
  for (guint i = 0; i < g_list_model_get_n_items (rooms); i++)
    {
      DuetRoom *room = room_at (rooms, i);

      if (duet_room_get_invite_is_direct (room) &&
          g_strcmp0 (duet_room_get_inviter (room), op->user_id) == 0)
        add_candidate_chain (op, seen, room);
    }

  load_next_candidate_members (op);
}

void
duet_session_start_chat_async (DuetSession         *self,
                               const char          *user_id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  DuetSessionChats *chats;
  g_autoptr(GTask) task = NULL;
  StartChat *op;

  g_return_if_fail (DUET_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_session_start_chat_async);

  if (!duet_matrix_is_valid_user_id (user_id))
    {
      g_task_return_new_error (task, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                               "“%s” is not a valid user id", user_id != NULL ? user_id : "");
      return;
    }
  if (g_strcmp0 (user_id, _duet_session_get_user_id (self)) == 0)
    {
      g_task_return_new_error (task, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                               "A direct chat needs someone else than yourself");
      return;
    }

  /* A double click or a second window: wait for the start in flight. */
  chats = _duet_session_get_chats (self);
  op = g_hash_table_lookup (chats->starts, user_id);
  if (op != NULL)
    {
      g_ptr_array_add (op->tasks, g_steal_pointer (&task));
      return;
    }

  op = g_new0 (StartChat, 1);
  op->session = g_object_ref (self);
  op->user_id = g_strdup (user_id);
  op->tasks = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (op->tasks, g_steal_pointer (&task));
  g_hash_table_insert (chats->starts, op->user_id, op);

  load_candidate_members (op);
}

char *
duet_session_start_chat_finish (DuetSession           *self,
                                GAsyncResult          *result,
                                DuetStartChatOutcome  *outcome,
                                GError               **error)
{
  StartChatResult *answer;
  char *room_id;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == duet_session_start_chat_async, NULL);

  answer = g_task_propagate_pointer (G_TASK (result), error);
  if (answer == NULL)
    return NULL;

  if (outcome != NULL)
    *outcome = answer->outcome;
  room_id = g_steal_pointer (&answer->room_id);
  start_chat_result_free (answer);
  return room_id;
}
