/* duet-test-homeserver-demo.c: demo seeding and the echo bot
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "duet-test-homeserver-private.h"

/* Short enough for tests, long enough to look like someone answering. */
#define BOT_DELAY_MS 250

void
hs_bot_task_free (gpointer data)
{
  HsBotTask *task = data;

  g_clear_handle_id (&task->timeout_id, g_source_remove);
  g_free (task->room_id);
  g_free (task->user_id);
  g_free (task->body);
  g_free (task);
}

static gboolean
bot_task_cb (gpointer data)
{
  HsBotTask *task = data;
  DuetTestHomeserver *self = task->self;
  HsRoom *room = hs_lookup_room (self, task->room_id);

  task->timeout_id = 0;
  self->bot_tasks = g_list_remove (self->bot_tasks, task);

  /* The room may have changed meanwhile (the bot was kicked, the invite
   * withdrawn): a bot shrugs, so errors are ignored. */
  if (room != NULL && task->body == NULL)
    hs_join (self, room, task->user_id, NULL);
  else if (room != NULL)
    {
      g_autoptr(JsonObject) content = json_object_new ();
      g_autofree char *reply = g_strdup_printf ("You said: %s", task->body);

      json_object_set_string_member (content, "msgtype", "m.text");
      json_object_set_string_member (content, "body", reply);
      hs_send (self, room, task->user_id, "m.room.message", NULL, content, NULL, NULL, NULL);
    }

  hs_bot_task_free (task);
  return G_SOURCE_REMOVE;
}

static void
schedule_bot_task (DuetTestHomeserver *self,
                   HsRoom             *room,
                   const char         *bot,
                   const char         *body)
{
  HsBotTask *task = g_new0 (HsBotTask, 1);

  task->self = self;
  task->room_id = g_strdup (room->room_id);
  task->user_id = g_strdup (bot);
  task->body = g_strdup (body);
  task->timeout_id = g_timeout_add (BOT_DELAY_MS, bot_task_cb, task);
  self->bot_tasks = g_list_prepend (self->bot_tasks, task);
}

void
hs_bot_on_event (DuetTestHomeserver *self,
                 HsRoom             *room,
                 HsEvent            *event)
{
  JsonObject *json = event->json;
  const char *type = json_object_get_string_member (json, "type");
  const char *sender = json_object_get_string_member (json, "sender");
  JsonObject *content = json_object_get_object_member (json, "content");
  GHashTableIter iter;
  const char *bot;

  if (g_hash_table_size (self->bots) == 0)
    return;

  if (g_str_equal (type, "m.room.member"))
    {
      const char *target = json_object_get_string_member (json, "state_key");

      if (g_hash_table_contains (self->bots, target) &&
          g_strcmp0 (hs_json_get_string (content, "membership"), "invite") == 0)
        schedule_bot_task (self, room, target, NULL);
      return;
    }

  /* Bots never answer bots (or notices), so two of them cannot loop. */
  if (!g_str_equal (type, "m.room.message") || json_object_has_member (json, "state_key") ||
      g_hash_table_contains (self->bots, sender) ||
      g_strcmp0 (hs_json_get_string (content, "msgtype"), "m.notice") == 0 ||
      hs_json_get_string (content, "body") == NULL)
    return;

  g_hash_table_iter_init (&iter, self->bots);
  while (g_hash_table_iter_next (&iter, (gpointer *) &bot, NULL))
    if (g_strcmp0 (hs_room_membership (room, bot), "join") == 0)
      schedule_bot_task (self, room, bot, hs_json_get_string (content, "body"));
}

void
duet_test_homeserver_enable_echo_bot (DuetTestHomeserver *self,
                                      const char         *bot_user_id)
{
  GHashTableIter iter;
  HsRoom *room;

  g_return_if_fail (DUET_IS_TEST_HOMESERVER (self));
  g_return_if_fail (hs_is_user_id (bot_user_id));

  if (!g_hash_table_add (self->bots, g_strdup (bot_user_id)))
    return;
  /* Invites that were waiting before the bot woke up. */
  g_hash_table_iter_init (&iter, self->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    if (g_strcmp0 (hs_room_membership (room, bot_user_id), "invite") == 0)
      schedule_bot_task (self, room, bot_user_id, NULL);
}

/* Seeding */

static char *
seed_dm (DuetTestHomeserver *self,
         const char         *creator,
         const char         *partner)
{
  const char *invite[] = { partner, NULL };
  char *room_id = duet_test_homeserver_create_room (self, creator, "trusted_private_chat", invite, TRUE);

  duet_test_homeserver_join (self, room_id, partner);
  return room_id;
}

static void
seed_messages (DuetTestHomeserver *self,
               const char         *room_id,
               const char * const *lines)
{
  /* Pairs of sender, body. */
  for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i += 2)
    g_free (duet_test_homeserver_send_message (self, room_id, lines[i], lines[i + 1]));
}

static void
add_direct (JsonObject *direct,
            const char *user_id,
            const char *room_id)
{
  JsonArray *rooms = json_array_new ();

  json_array_add_string_element (rooms, room_id);
  json_object_set_array_member (direct, user_id, rooms);
}

static void
set_single_direct (DuetTestHomeserver *self,
                   const char         *user_id,
                   const char         *partner,
                   const char         *room_id)
{
  g_autoptr(JsonObject) direct = json_object_new ();

  add_direct (direct, partner, room_id);
  duet_test_homeserver_set_account_data (self, user_id, "m.direct", direct);
}

void
duet_test_homeserver_seed_demo (DuetTestHomeserver *self)
{
  g_autofree char *demo = duet_test_homeserver_add_user (self, "demo", "demo-password", "Demo User");
  g_autofree char *alice = duet_test_homeserver_add_user (self, "alice", "alice-password", "Alice Liddell");
  g_autofree char *bob = duet_test_homeserver_add_user (self, "bob", "bob-password", "Bob Ross");
  g_autofree char *carol = duet_test_homeserver_add_user (self, "carol", "carol-password", "Carol Danvers");
  g_autofree char *echo = duet_test_homeserver_add_user (self, "echo", "echo-password", "Echo Bot");
  g_autofree char *dm_alice = NULL, *dm_bob = NULL, *dm_echo = NULL, *group = NULL, *carol_dm = NULL;
  g_autoptr(JsonObject) direct = json_object_new ();
  const char *group_invite[] = { alice, bob, carol, NULL };
  const char *carol_invite[] = { demo, NULL };

  g_return_if_fail (DUET_IS_TEST_HOMESERVER (self));

  dm_alice = seed_dm (self, demo, alice);
  seed_messages (self, dm_alice, (const char *[]) {
    alice, "Hi! Welcome to Duet.",
    demo, "Thanks, Alice. Nice and quiet here.",
    alice, "Try the Echo Bot: it answers everything.",
    NULL });

  dm_bob = seed_dm (self, bob, demo);
  seed_messages (self, dm_bob, (const char *[]) {
    bob, "Happy little accidents, remember?",
    demo, "Always.",
    NULL });

  dm_echo = seed_dm (self, demo, echo);
  seed_messages (self, dm_echo, (const char *[]) {
    echo, "Hello! Say something and I will repeat it.",
    NULL });

  group = duet_test_homeserver_create_room (self, demo, "private_chat", group_invite, FALSE);
  duet_test_homeserver_join (self, group, alice);
  duet_test_homeserver_join (self, group, bob);
  duet_test_homeserver_join (self, group, carol);
  {
    g_autoptr(JsonObject) name = json_object_new ();

    json_object_set_string_member (name, "name", "Book Club");
    g_free (duet_test_homeserver_send_event (self, group, demo, "m.room.name", "", name));
  }
  seed_messages (self, group, (const char *[]) {
    carol, "Who picks the next book?",
    alice, "Something with a rabbit hole, please.",
    NULL });

  add_direct (direct, alice, dm_alice);
  add_direct (direct, bob, dm_bob);
  add_direct (direct, echo, dm_echo);
  duet_test_homeserver_set_account_data (self, demo, "m.direct", direct);
  set_single_direct (self, alice, demo, dm_alice);
  set_single_direct (self, bob, demo, dm_bob);

  /* Carol's chat is still an invite, marked as direct. */
  carol_dm = duet_test_homeserver_create_room (self, carol, "trusted_private_chat", carol_invite, TRUE);
  seed_messages (self, carol_dm, (const char *[]) { carol, "Got a minute?", NULL });
  set_single_direct (self, carol, demo, carol_dm);

  duet_test_homeserver_enable_echo_bot (self, echo);
}
