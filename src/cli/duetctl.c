/* duetctl.c: Duet's model from a terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For scripts, bug reports and tests: the same client, store and model the
 * app uses.  Output on stdout is machine-readable (JSON, one object a line);
 * errors go to stderr with a non-zero exit.
 */
#include "config.h"

#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <signal.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "duet-client.h"
#include "duet-contact.h"
#include "duet-json.h"
#include "duet-secret-store.h"
#include "duet-session.h"
#include "duet-sync-loop.h"

#define FIRST_SYNC_TIMEOUT_MS 1
#define LATER_SYNC_TIMEOUT_MS 10000
/* How often a command waiting for the outbox looks at it again. */
#define OUTBOX_POLL_MS 20
/* How long a sent message's echo is waited for, so that the outbox is
 * clean for the next run (else the next run sends it again, harmlessly:
 * the server knows its txnId). */
#define ECHO_WAIT_MS 3000

typedef struct _Ctl Ctl;
typedef void (*CommandFunc) (Ctl *ctl);

struct _Ctl
{
  GMainLoop    *loop;
  int           exit_code;
  char         *data_dir;
  char        **args;       /* the command's own arguments */
  CommandFunc   command;
  gboolean      keep_syncing;

  DuetClient   *client;
  DuetSession  *session;
  gulong        synced_id;
  guint         outbox_poll_id;  /* waiting for what an earlier run left */
  DuetOutgoing *sending;         /* the message `send` queued */
  guint         echo_wait_id;    /* the end of the wait for its echo */
  char         *last_error;      /* the last passing failure reported */
};

static void
ctl_finish (Ctl        *ctl,
            int         exit_code)
{
  ctl->exit_code = exit_code;
  g_main_loop_quit (ctl->loop);
}

static void
ctl_fail (Ctl          *ctl,
          const GError *error,
          const char   *what)
{
  g_printerr ("duetctl: %s: %s\n", what, error->message);
  ctl_finish (ctl, 1);
}

static void
ctl_usage_error (Ctl        *ctl,
                 const char *message)
{
  g_printerr ("duetctl: %s\n", message);
  ctl_finish (ctl, 2);
}

/* A request Duet will not make: exit 1 (2 is for a wrong command line). */
static void
ctl_refuse (Ctl        *ctl,
            const char *message)
{
  g_printerr ("duetctl: %s\n", message);
  ctl_finish (ctl, 1);
}

static void
print_object (JsonObject *object)
{
  g_autofree char *line = duet_json_object_to_string (object);

  g_print ("%s\n", line);
}

static const char *
outcome_name (DuetStartChatOutcome outcome)
{
  switch (outcome)
    {
    case DUET_START_CHAT_REUSED:
      return "reused";
    case DUET_START_CHAT_CREATED:
      return "created";
    case DUET_START_CHAT_PARTNER_LEFT:
      return "partner-left";
    default:
      return "unknown";
    }
}

static void synced_cb (DuetSession *session,
                       Ctl         *ctl);

/* --- Commands that need a synced session -------------------------------- */

static void
contacts_command (Ctl *ctl)
{
  GListModel *contacts = duet_session_get_contacts (ctl->session);

  for (guint i = 0; i < g_list_model_get_n_items (contacts); i++)
    {
      g_autoptr(DuetContact) contact = g_list_model_get_item (contacts, i);
      g_autoptr(JsonObject) line = json_object_new ();
      DuetRoom *room = duet_contact_get_room (contact);

      json_object_set_string_member (line, "user_id", duet_contact_get_user_id (contact));
      json_object_set_string_member (line, "name", duet_contact_get_name (contact));
      json_object_set_string_member (line, "room_id", room != NULL ? duet_room_get_id (room) : NULL);
      json_object_set_string_member (line, "last_message", duet_contact_get_last_message (contact));
      json_object_set_int_member (line, "last_activity", duet_contact_get_last_activity (contact));
      json_object_set_int_member (line, "unread", duet_contact_get_unread_count (contact));
      print_object (line);
    }

  ctl_finish (ctl, 0);
}

static void
invites_command (Ctl *ctl)
{
  GListModel *invites = duet_session_get_invites (ctl->session);

  for (guint i = 0; i < g_list_model_get_n_items (invites); i++)
    {
      g_autoptr(DuetRoom) room = g_list_model_get_item (invites, i);
      g_autoptr(JsonObject) line = json_object_new ();

      json_object_set_string_member (line, "room_id", duet_room_get_id (room));
      json_object_set_string_member (line, "inviter", duet_room_get_inviter (room));
      json_object_set_boolean_member (line, "is_direct", duet_room_get_invite_is_direct (room));
      json_object_set_string_member (line, "name", duet_room_get_name (room));
      print_object (line);
    }

  ctl_finish (ctl, 0);
}

static void
start_chat_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Ctl *ctl = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) line = json_object_new ();
  DuetStartChatOutcome outcome;
  g_autofree char *room_id = duet_session_start_chat_finish (DUET_SESSION (object), result,
                                                             &outcome, &error);

  if (room_id == NULL)
    {
      ctl_fail (ctl, error, "start-chat");
      return;
    }

  json_object_set_string_member (line, "room_id", room_id);
  json_object_set_string_member (line, "outcome", outcome_name (outcome));
  print_object (line);
  ctl_finish (ctl, 0);
}

static void
start_chat_command (Ctl *ctl)
{
  if (g_strv_length (ctl->args) != 1)
    {
      ctl_usage_error (ctl, "usage: duetctl start-chat @user:server");
      return;
    }

  duet_session_start_chat_async (ctl->session, ctl->args[0], NULL, start_chat_cb, ctl);
}

/* The boolean-result commands share one callback: the finish function is
 * carried as the callback's data. */
typedef gboolean (*BooleanFinish) (DuetSession *, GAsyncResult *, GError **);

typedef struct {
  Ctl           *ctl;
  BooleanFinish  finish;
  const char    *what;
} BooleanCall;

static void
boolean_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autofree BooleanCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) line = json_object_new ();

  if (!call->finish (DUET_SESSION (object), result, &error))
    {
      ctl_fail (call->ctl, error, call->what);
      return;
    }

  json_object_set_string_member (line, "done", call->what);
  print_object (line);
  ctl_finish (call->ctl, 0);
}

static BooleanCall *
boolean_call (Ctl           *ctl,
              BooleanFinish  finish,
              const char    *what)
{
  BooleanCall *call = g_new0 (BooleanCall, 1);

  call->ctl = ctl;
  call->finish = finish;
  call->what = what;
  return call;
}

static gboolean
has_flag (Ctl        *ctl,
          const char *flag)
{
  return g_strv_contains ((const char * const *) ctl->args, flag);
}

static void
accept_command (Ctl *ctl)
{
  DuetMarkDirect mark = DUET_MARK_DIRECT_BY_POLICY;

  if (g_strv_length (ctl->args) < 1)
    {
      ctl_usage_error (ctl, "usage: duetctl accept ROOM [--mark-direct|--no-mark-direct]");
      return;
    }
  if (has_flag (ctl, "--mark-direct"))
    mark = DUET_MARK_DIRECT_YES;
  else if (has_flag (ctl, "--no-mark-direct"))
    mark = DUET_MARK_DIRECT_NO;

  duet_session_accept_invite_async (ctl->session, ctl->args[0], mark, NULL, boolean_cb,
                                    boolean_call (ctl, duet_session_accept_invite_finish, "accept"));
}

static void
decline_command (Ctl *ctl)
{
  if (g_strv_length (ctl->args) < 1)
    {
      ctl_usage_error (ctl, "usage: duetctl decline ROOM [--ignore-user]");
      return;
    }

  duet_session_decline_invite_async (ctl->session, ctl->args[0], has_flag (ctl, "--ignore-user"),
                                     NULL, boolean_cb,
                                     boolean_call (ctl, duet_session_decline_invite_finish, "decline"));
}

static void
mark_direct_command (Ctl *ctl)
{
  if (g_strv_length (ctl->args) != 2)
    {
      ctl_usage_error (ctl, "usage: duetctl mark-direct ROOM @user:server");
      return;
    }

  duet_session_mark_direct_async (ctl->session, ctl->args[0], ctl->args[1], NULL, boolean_cb,
                                  boolean_call (ctl, duet_session_mark_direct_finish, "mark-direct"));
}

static void
unmark_direct_command (Ctl *ctl)
{
  if (g_strv_length (ctl->args) != 1)
    {
      ctl_usage_error (ctl, "usage: duetctl unmark-direct ROOM");
      return;
    }

  duet_session_unmark_direct_async (ctl->session, ctl->args[0], NULL, boolean_cb,
                                    boolean_call (ctl, duet_session_unmark_direct_finish, "unmark-direct"));
}

static gboolean
model_contains (GListModel *model,
                gpointer    item)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GObject) other = g_list_model_get_item (model, i);

      if (other == item)
        return TRUE;
    }
  return FALSE;
}

static gboolean
echo_wait_over_cb (gpointer user_data)
{
  Ctl *ctl = user_data;

  ctl->echo_wait_id = 0;
  ctl_finish (ctl, 0);
  return G_SOURCE_REMOVE;
}

static void
outbox_changed_cb (GListModel *all,
                   guint       position,
                   guint       removed,
                   guint       added,
                   Ctl        *ctl)
{
  if (removed == 0 || model_contains (all, ctl->sending))
    return;
  g_signal_handlers_disconnect_by_data (all, ctl);
  g_clear_handle_id (&ctl->echo_wait_id, g_source_remove);
  ctl_finish (ctl, 0);
}

/* The sync loop goes on long-polling: the echo takes the message out of
 * the outbox and the cache, for a while at most. */
static void
wait_for_echo (Ctl *ctl)
{
  GListModel *all = duet_outbox_get_all (duet_session_get_outbox (ctl->session));

  if (!model_contains (all, ctl->sending))
    {
      ctl_finish (ctl, 0);
      return;
    }
  g_signal_connect (all, "items-changed", G_CALLBACK (outbox_changed_cb), ctl);
  ctl->echo_wait_id = g_timeout_add (ECHO_WAIT_MS, echo_wait_over_cb, ctl);
}

/* The outbox tells how the message fares: sent, refused, or not yet
 * (the outbox tries again, as long as duetctl runs). */
static void
sending_state_cb (DuetOutgoing *outgoing,
                  GParamSpec   *pspec,
                  Ctl          *ctl)
{
  g_autoptr(JsonObject) line = NULL;
  const char *error = duet_outgoing_get_error_message (outgoing);

  switch (duet_outgoing_get_state (outgoing))
    {
    case DUET_OUTGOING_SENT:
      g_signal_handlers_disconnect_by_data (outgoing, ctl);
      line = json_object_new ();
      json_object_set_string_member (line, "event_id", duet_outgoing_get_event_id (outgoing));
      json_object_set_string_member (line, "txn_id", duet_outgoing_get_txn_id (outgoing));
      print_object (line);
      wait_for_echo (ctl);
      break;
    case DUET_OUTGOING_FAILED:
      if (g_strcmp0 (g_param_spec_get_name (pspec), "state") != 0)
        break;
      g_signal_handlers_disconnect_by_data (outgoing, ctl);
      g_printerr ("duetctl: send: the server refused the message: %s\n"
                  "duetctl: it stays in the outbox; see duetctl outbox\n", error);
      ctl_finish (ctl, 1);
      break;
    case DUET_OUTGOING_QUEUED:
      if (error != NULL && g_strcmp0 (error, ctl->last_error) != 0)
        {
          g_printerr ("duetctl: send: not sent yet (%s); trying again\n", error);
          g_free (ctl->last_error);
          ctl->last_error = g_strdup (error);
        }
      break;
    default:
      break;
    }
}

/* The first refused message of @room_id's queue, or NULL. */
static DuetOutgoing *
find_refused (DuetOutbox *outbox,
              const char *room_id)
{
  GListModel *queue = duet_outbox_get_room_queue (outbox, room_id);

  for (guint i = 0; i < g_list_model_get_n_items (queue); i++)
    {
      g_autoptr(DuetOutgoing) outgoing = g_list_model_get_item (queue, i);

      if (duet_outgoing_get_state (outgoing) == DUET_OUTGOING_FAILED)
        return outgoing;
    }
  return NULL;
}

static void
send_command (Ctl *ctl)
{
  DuetOutbox *outbox = duet_session_get_outbox (ctl->session);
  DuetOutgoing *refused;
  DuetRoom *room;

  if (g_strv_length (ctl->args) != 2)
    {
      ctl_usage_error (ctl, "usage: duetctl send ROOM TEXT");
      return;
    }

  /* Plain text never goes into a room Duet cannot encrypt for. */
  room = duet_session_lookup_room (ctl->session, ctl->args[0]);
  if (room == NULL || duet_room_get_own_membership (room) != DUET_MEMBERSHIP_JOIN)
    {
      ctl_refuse (ctl, "not a room you are in");
      return;
    }
  if (duet_room_is_encrypted (room))
    {
      ctl_refuse (ctl, "the room is encrypted, and Duet cannot send encrypted messages yet");
      return;
    }

  /* A new message would wait behind a refused one for ever. */
  refused = find_refused (outbox, ctl->args[0]);
  if (refused != NULL)
    {
      g_autofree char *message =
        g_strdup_printf ("an earlier message to this room was refused (%s); "
                         "retry or delete it first: duetctl outbox retry|delete %s",
                         duet_outgoing_get_error_message (refused), duet_outgoing_get_txn_id (refused));

      ctl_refuse (ctl, message);
      return;
    }

  /* Stored before the first try: a killed run's message goes with the next. */
  ctl->sending = g_object_ref (duet_outbox_send_text (outbox, ctl->args[0], ctl->args[1], FALSE));
  g_signal_connect (ctl->sending, "notify::state", G_CALLBACK (sending_state_cb), ctl);
  g_signal_connect (ctl->sending, "notify::error-message", G_CALLBACK (sending_state_cb), ctl);
}

static const char *
state_name (DuetOutgoingState state)
{
  switch (state)
    {
    case DUET_OUTGOING_QUEUED:
      return "queued";
    case DUET_OUTGOING_SENDING:
      return "sending";
    case DUET_OUTGOING_SENT:
      return "sent";
    case DUET_OUTGOING_FAILED:
      return "failed";
    default:
      return "unknown";
    }
}

static DuetOutgoing *
find_outgoing (DuetOutbox *outbox,
               const char *txn_id)
{
  GListModel *all = duet_outbox_get_all (outbox);

  for (guint i = 0; i < g_list_model_get_n_items (all); i++)
    {
      g_autoptr(DuetOutgoing) outgoing = g_list_model_get_item (all, i);

      if (g_strcmp0 (duet_outgoing_get_txn_id (outgoing), txn_id) == 0)
        return outgoing;
    }
  return NULL;
}

/* outbox: what is still on its way (after a retry or a delete), one line
 * per message; a message sent but not yet seen in /sync is listed as sent. */
static void
outbox_command (Ctl *ctl)
{
  DuetOutbox *outbox = duet_session_get_outbox (ctl->session);
  guint n_args = g_strv_length (ctl->args);
  GListModel *all = duet_outbox_get_all (outbox);

  if (n_args == 2 && (g_str_equal (ctl->args[0], "retry") || g_str_equal (ctl->args[0], "delete")))
    {
      DuetOutgoing *outgoing = find_outgoing (outbox, ctl->args[1]);

      if (outgoing == NULL)
        {
          ctl_refuse (ctl, "no such message in the outbox");
          return;
        }
      if (g_str_equal (ctl->args[0], "delete") && !duet_outbox_delete (outbox, outgoing))
        {
          ctl_refuse (ctl, "only a queued or refused message can be deleted");
          return;
        }
      if (g_str_equal (ctl->args[0], "retry"))
        {
          /* Wait for the outcome of the retry, as send does. */
          ctl->sending = g_object_ref (outgoing);
          g_signal_connect (outgoing, "notify::state", G_CALLBACK (sending_state_cb), ctl);
          g_signal_connect (outgoing, "notify::error-message", G_CALLBACK (sending_state_cb), ctl);
          if (!duet_outbox_retry (outbox, outgoing))
            {
              g_signal_handlers_disconnect_by_data (outgoing, ctl);
              g_clear_object (&ctl->sending);
              ctl_refuse (ctl, "nothing to retry: it is sent, on its way, or waits behind a refused one");
            }
          return;
        }
    }
  else if (n_args != 0)
    {
      ctl_usage_error (ctl, "usage: duetctl outbox [retry|delete TXN_ID]");
      return;
    }

  for (guint i = 0; i < g_list_model_get_n_items (all); i++)
    {
      g_autoptr(DuetOutgoing) outgoing = g_list_model_get_item (all, i);
      g_autoptr(JsonObject) line = json_object_new ();

      json_object_set_string_member (line, "room_id", duet_outgoing_get_room_id (outgoing));
      json_object_set_string_member (line, "txn_id", duet_outgoing_get_txn_id (outgoing));
      json_object_set_string_member (line, "state", state_name (duet_outgoing_get_state (outgoing)));
      if (duet_outgoing_get_event_id (outgoing) != NULL)
        json_object_set_string_member (line, "event_id", duet_outgoing_get_event_id (outgoing));
      if (duet_outgoing_get_error_message (outgoing) != NULL)
        json_object_set_string_member (line, "error", duet_outgoing_get_error_message (outgoing));
      print_object (line);
    }
  ctl_finish (ctl, 0);
}

static void
messages_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Ctl *ctl = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = duet_client_get_messages_finish (DUET_CLIENT (object), result, &error);
  JsonArray *chunk;

  if (reply == NULL)
    {
      ctl_fail (ctl, error, "messages");
      return;
    }

  /* /messages answers newest first; print oldest first, like a chat.  The
   * client checked that chunk is an array; its items are the server's. */
  chunk = duet_json_get_array (reply, "chunk");
  for (guint i = chunk != NULL ? json_array_get_length (chunk) : 0; i > 0; i--)
    {
      JsonNode *node = json_array_get_element (chunk, i - 1);
      JsonObject *event = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      g_autoptr(JsonObject) line = NULL;
      JsonObject *content;

      if (event == NULL)
        continue;
      line = json_object_new ();
      content = duet_json_get_object (event, "content");
      json_object_set_string_member (line, "event_id", duet_json_get_string (event, "event_id"));
      json_object_set_string_member (line, "sender", duet_json_get_string (event, "sender"));
      json_object_set_string_member (line, "type", duet_json_get_string (event, "type"));
      json_object_set_int_member (line, "ts", duet_json_get_int (event, "origin_server_ts", 0));
      if (duet_json_get_string (content, "body") != NULL)
        json_object_set_string_member (line, "body", duet_json_get_string (content, "body"));
      print_object (line);
    }

  ctl_finish (ctl, 0);
}

static void
messages_command (Ctl *ctl)
{
  guint64 limit = 20;
  guint n = g_strv_length (ctl->args);

  if (n != 1 && !(n == 3 && g_str_equal (ctl->args[1], "--limit") &&
                  g_ascii_string_to_unsigned (ctl->args[2], 10, 1, 1000, &limit, NULL)))
    {
      ctl_usage_error (ctl, "usage: duetctl messages ROOM [--limit N]  (N from 1 to 1000)");
      return;
    }

  duet_client_get_messages_async (ctl->client, ctl->args[0], NULL, (guint) limit, NULL,
                                  messages_cb, ctl);
}

static void
print_sync_summary (Ctl *ctl)
{
  g_autoptr(JsonObject) line = json_object_new ();

  json_object_set_int_member (line, "rooms", g_list_model_get_n_items (duet_session_get_rooms (ctl->session)));
  json_object_set_int_member (line, "contacts", g_list_model_get_n_items (duet_session_get_contacts (ctl->session)));
  json_object_set_int_member (line, "invites", g_list_model_get_n_items (duet_session_get_invites (ctl->session)));
  print_object (line);
}

static void
sync_command (Ctl *ctl)
{
  print_sync_summary (ctl);
  if (!has_flag (ctl, "--once"))
    {
      /* Keep going: a summary line per sync, until interrupted. */
      ctl->keep_syncing = TRUE;
      ctl->synced_id = g_signal_connect (ctl->session, "synced", G_CALLBACK (synced_cb), ctl);
      return;
    }
  ctl_finish (ctl, 0);
}

static void
logout_store_cleared_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  Ctl *ctl = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_store_clear_finish (DUET_STORE (object), result, &error))
    {
      ctl_fail (ctl, error, "clearing the local cache");
      return;
    }

  g_print ("{\"done\":\"logout\"}\n");
  ctl_finish (ctl, 0);
}

static void
logout_store_opened_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  Ctl *ctl = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DuetStore) store = duet_store_open_finish (result, &error);

  if (store == NULL)
    {
      ctl_fail (ctl, error, "opening the data folder to clear it");
      return;
    }
  duet_store_clear_async (store, logout_store_cleared_cb, ctl);
}

static void
logout_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Ctl *ctl = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_secret_store_clear_finish (result, &error))
    {
      ctl_fail (ctl, error, "logout");
      return;
    }

  /* Signed out: the cached conversations go too. */
  duet_store_open_async (ctl->data_dir, NULL, logout_store_opened_cb, ctl);
}

static void
server_logout_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Ctl *ctl = user_data;
  g_autoptr(GError) error = NULL;

  /* Forget the token even when the server could not be told: it is ours to
   * drop, and a server that is gone should not keep us signed in. */
  if (!duet_client_logout_finish (DUET_CLIENT (object), result, &error))
    g_printerr ("duetctl: logout: the server was not told (%s); forgetting the token anyway\n",
                error->message);

  duet_secret_store_clear_async (ctl->data_dir, NULL, logout_cb, ctl);
}

static void
logout_command (Ctl *ctl)
{
  duet_client_logout_async (ctl->client, NULL, server_logout_cb, ctl);
}

/* --- Signing in and syncing --------------------------------------------- */

static gboolean
outbox_ready_cb (gpointer user_data)
{
  Ctl *ctl = user_data;

  if (!duet_outbox_is_settled (duet_session_get_outbox (ctl->session)))
    return G_SOURCE_CONTINUE;
  ctl->outbox_poll_id = 0;
  ctl->command (ctl);
  return G_SOURCE_REMOVE;
}

/* What a killed earlier run left in the outbox goes first (the load of the
 * cache restored it and started sending); then the command runs. */
static void
run_after_outbox (Ctl *ctl)
{
  DuetOutbox *outbox = duet_session_get_outbox (ctl->session);

  if (duet_outbox_is_settled (outbox))
    {
      ctl->command (ctl);
      return;
    }
  g_printerr ("duetctl: sending %u message(s) left by an earlier run first\n",
              g_list_model_get_n_items (duet_outbox_get_all (outbox)));
  ctl->outbox_poll_id = g_timeout_add (OUTBOX_POLL_MS, outbox_ready_cb, ctl);
}

static void
synced_cb (DuetSession *session,
           Ctl         *ctl)
{
  if (ctl->keep_syncing)
    {
      print_sync_summary (ctl);
      return;
    }

  /* Every command that talks to the server first syncs, once.  The loop
   * goes on meanwhile, long-polling: a Start Chat whose createRoom answer
   * is lost finds its room in a later sync instead of making another. */
  g_clear_signal_handler (&ctl->synced_id, session);
  duet_sync_loop_set_timeout (DUET_SYNC_LOOP (duet_session_get_sync_loop (session)),
                              LATER_SYNC_TIMEOUT_MS);
  run_after_outbox (ctl);
}

/* Commands that read only what a sync brought, so that the cache can
 * answer them when the server cannot. */
static gboolean
reads_only_the_cache (CommandFunc command)
{
  return command == contacts_command || command == invites_command;
}

static void
session_state_cb (DuetSession *session,
                  GParamSpec  *pspec,
                  Ctl         *ctl)
{
  switch (duet_session_get_state (session))
    {
    case DUET_SESSION_STATE_SOFT_LOGGED_OUT:
      g_printerr ("duetctl: the server signed this device out; run duetctl login again\n");
      ctl_finish (ctl, 1);
      break;
    case DUET_SESSION_STATE_OFFLINE:
      if (ctl->synced_id == 0 || ctl->command == sync_command)
        {
          g_printerr ("duetctl: the server cannot be reached; retrying in %u ms\n",
                      duet_session_get_retry_in (session));
          break;
        }
      /* No waiting for the network.  Listing contacts or invites can use
       * the cache; anything that changes something (Start Chat above all)
       * must not decide from a stale picture. */
      g_clear_signal_handler (&ctl->synced_id, session);
      duet_session_stop (session);
      if (reads_only_the_cache (ctl->command))
        {
          g_printerr ("duetctl: the server cannot be reached; using the local cache\n");
          ctl->command (ctl);
        }
      else
        {
          g_printerr ("duetctl: the server cannot be reached; nothing was changed\n");
          ctl_finish (ctl, 1);
        }
      break;
    default:
      break;
    }
}

static void
store_error_cb (DuetSession  *session,
                const GError *error,
                Ctl          *ctl)
{
  g_printerr ("duetctl: the local cache could not be updated: %s\n", error->message);
}

static void
cache_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Ctl *ctl = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_session_load_cache_finish (DUET_SESSION (object), result, &error))
    {
      ctl_fail (ctl, error, "reading the local cache");
      return;
    }

  /* A terminal command wants an answer now, not a long-poll; but never a
   * timeout of 0, which a server may answer from a cache of an identical
   * earlier request (matrix-dm.md, facts about Synapse). */
  duet_sync_loop_set_timeout (DUET_SYNC_LOOP (duet_session_get_sync_loop (ctl->session)),
                              FIRST_SYNC_TIMEOUT_MS);
  ctl->synced_id = g_signal_connect (ctl->session, "synced", G_CALLBACK (synced_cb), ctl);
  g_signal_connect (ctl->session, "notify::state", G_CALLBACK (session_state_cb), ctl);
  duet_session_start (ctl->session);
}

static void
store_opened_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Ctl *ctl = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DuetStore) store = duet_store_open_finish (result, &error);

  if (store == NULL)
    {
      ctl_fail (ctl, error, "opening the data folder");
      return;
    }
  if (duet_store_get_was_reset (store))
    g_printerr ("duetctl: the local cache was unreadable and starts afresh (%s)\n",
                duet_store_get_reset_reason (store));

  ctl->session = duet_session_new (ctl->client);
  duet_session_set_store (ctl->session, store);
  g_signal_connect (ctl->session, "store-error", G_CALLBACK (store_error_cb), ctl);
  duet_session_load_cache_async (ctl->session, NULL, cache_loaded_cb, ctl);
}

static void
account_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Ctl *ctl = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DuetStoredAccount) account = duet_secret_store_load_finish (result, &error);

  if (error != NULL)
    {
      ctl_fail (ctl, error, "reading the keyring");
      return;
    }
  if (account == NULL)
    {
      g_printerr ("duetctl: not signed in; run duetctl login first\n");
      {
        ctl_finish (ctl, 1);
        return;
      }
    }

  ctl->client = duet_client_new (account->homeserver);
  duet_client_set_session (ctl->client, account->user_id, account->device_id, account->access_token);

  if (ctl->command == logout_command)
    {
      logout_command (ctl);
      return;
    }

  duet_store_open_async (ctl->data_dir, NULL, store_opened_cb, ctl);
}

/* --- login -------------------------------------------------------------- */

typedef struct {
  Ctl  *ctl;
  char *user;
  char *password;
} LoginData;

static void
login_data_free (LoginData *data)
{
  g_free (data->user);
  if (data->password != NULL)
    memset (data->password, 0, strlen (data->password));
  g_free (data->password);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoginData, login_data_free)

static void
login_saved_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(LoginData) data = user_data;
  Ctl *ctl = data->ctl;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) line = json_object_new ();

  if (!duet_secret_store_save_finish (result, &error))
    {
      ctl_fail (ctl, error, "saving the sign-in to the keyring");
      return;
    }

  json_object_set_string_member (line, "user_id", duet_client_get_user_id (ctl->client));
  json_object_set_string_member (line, "device_id", duet_client_get_device_id (ctl->client));
  json_object_set_string_member (line, "homeserver", duet_client_get_homeserver (ctl->client));
  print_object (line);
  ctl_finish (ctl, 0);
}

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  LoginData *data = user_data;
  Ctl *ctl = data->ctl;
  g_autoptr(GError) error = NULL;

  if (!duet_client_login_finish (DUET_CLIENT (object), result, &error))
    {
      login_data_free (data);
      {
        ctl_fail (ctl, error, "login");
        return;
      }
    }

  duet_secret_store_save_async (ctl->data_dir,
                                duet_client_get_homeserver (ctl->client),
                                duet_client_get_user_id (ctl->client),
                                duet_client_get_device_id (ctl->client),
                                duet_client_get_access_token (ctl->client),
                                NULL, login_saved_cb, data);
}

static void
discover_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  LoginData *data = user_data;
  Ctl *ctl = data->ctl;
  g_autoptr(GError) error = NULL;
  g_autofree char *base_url = duet_client_discover_finish (result, &error);

  if (base_url == NULL)
    {
      login_data_free (data);
      {
        ctl_fail (ctl, error, "finding the homeserver");
        return;
      }
    }

  ctl->client = duet_client_new (base_url);
  duet_client_login_async (ctl->client, data->user, data->password, NULL, "duetctl",
                           NULL, login_cb, data);
}

static void
password_read_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  LoginData *data = user_data;
  g_autoptr(GError) error = NULL;
  gsize length;

  data->password = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object),
                                                              result, &length, &error);
  if (data->password == NULL || length == 0)
    {
      Ctl *ctl = data->ctl;

      login_data_free (data);
      if (error != NULL)
        {
          ctl_fail (ctl, error, "reading the password from standard input");
          return;
        }
      {
        ctl_usage_error (ctl, "login reads the password from standard input, and it was empty");
        return;
      }
    }

  duet_client_discover_async (data->ctl->args[1], NULL, discover_cb, data);
}

static void
login_command (Ctl *ctl)
{
  g_autoptr(GInputStream) stdin_stream = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  LoginData *data;

  /* Parsed here: login has no session to sync first. */
  if (g_strv_length (ctl->args) != 4 ||
      !g_str_equal (ctl->args[0], "--homeserver") || !g_str_equal (ctl->args[2], "--user"))
    {
      ctl_usage_error (ctl, "usage: duetctl login --homeserver URL --user NAME  (password on stdin)");
      return;
    }

  data = g_new0 (LoginData, 1);
  data->ctl = ctl;
  data->user = g_strdup (ctl->args[3]);

  stdin_stream = g_unix_input_stream_new (0, FALSE);
  lines = g_data_input_stream_new (stdin_stream);
  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, NULL, password_read_cb, data);
}

/* --- main --------------------------------------------------------------- */

static const struct {
  const char  *name;
  CommandFunc  func;
} commands[] = {
  { "login", login_command },
  { "contacts", contacts_command },
  { "start-chat", start_chat_command },
  { "invites", invites_command },
  { "accept", accept_command },
  { "decline", decline_command },
  { "mark-direct", mark_direct_command },
  { "unmark-direct", unmark_direct_command },
  { "send", send_command },
  { "outbox", outbox_command },
  { "messages", messages_command },
  { "sync", sync_command },
  { "logout", logout_command },
};

static void
flushed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  gboolean *done = user_data;
  g_autofree char *token = duet_store_get_sync_token_finish (DUET_STORE (object), result, NULL);

  *done = TRUE;
}

/* The store's worker takes jobs in order: when this one is answered, every
 * sync saved before it is on disk. */
static void
flush_store (DuetStore *store)
{
  gboolean done = FALSE;

  if (store == NULL)
    return;
  duet_store_get_sync_token_async (store, flushed_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
start_cb (gpointer user_data)
{
  Ctl *ctl = user_data;

  if (ctl->command == login_command)
    login_command (ctl);
  else
    duet_secret_store_load_async (ctl->data_dir, NULL, account_loaded_cb, ctl);
  return G_SOURCE_REMOVE;
}

static gboolean
interrupted_cb (gpointer user_data)
{
  ctl_finish (user_data, 130);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *summary = NULL;
  g_autoptr(GString) names = g_string_new (NULL);
  Ctl ctl = { 0 };
  GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir,
      N_("Keep state in DIR (default: Duet's own data folder)"), N_("DIR") },
    { NULL }
  };
  /* DUET_LOCALEDIR: translations from a build tree (BUILDDIR/po). */
  const char *localedir = g_getenv ("DUET_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", commands[i].name);
  /* Translators: %s is the list of commands, which stay in English. */
  summary = g_strdup_printf (_("Commands: %s.\nOutput is JSON, one object a line."), names->str);

  /* Translators: what follows "duetctl" on the command line, in --help. */
  context = g_option_context_new (_("COMMAND [ARGUMENTS…]"));
  g_option_context_set_summary (context, _("Duet's direct-messaging model from a terminal."));
  g_option_context_set_description (context, summary);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  /* Options after the command belong to it (--limit, --mark-direct, ...). */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("duetctl: %s\n", error->message);
      return 2;
    }

  if (argc < 2)
    {
      g_printerr ("duetctl: no command.  %s\n", summary);
      return 2;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      ctl.command = commands[i].func;
  if (ctl.command == NULL)
    {
      g_printerr ("duetctl: unknown command “%s”.  %s\n", argv[1], summary);
      return 2;
    }

  ctl.data_dir = data_dir != NULL ? g_canonicalize_filename (data_dir, NULL)
                                  : g_build_filename (g_get_user_data_dir (), "duet", NULL);
  ctl.args = argv + 2;
  ctl.loop = g_main_loop_new (NULL, FALSE);

  g_idle_add (start_cb, &ctl);
  g_unix_signal_add (SIGINT, interrupted_cb, &ctl);
  g_main_loop_run (ctl.loop);

  g_clear_handle_id (&ctl.outbox_poll_id, g_source_remove);
  g_clear_handle_id (&ctl.echo_wait_id, g_source_remove);
  if (ctl.session != NULL)
    g_signal_handlers_disconnect_by_data (duet_outbox_get_all (duet_session_get_outbox (ctl.session)), &ctl);
  if (ctl.sending != NULL)
    g_signal_handlers_disconnect_by_data (ctl.sending, &ctl);
  g_clear_object (&ctl.sending);
  g_clear_pointer (&ctl.last_error, g_free);
  if (ctl.session != NULL)
    {
      duet_session_stop (ctl.session);
      flush_store (duet_session_get_store (ctl.session));
    }
  g_clear_object (&ctl.session);
  g_clear_object (&ctl.client);
  g_clear_pointer (&ctl.loop, g_main_loop_unref);
  g_free (ctl.data_dir);

  return ctl.exit_code;
}
