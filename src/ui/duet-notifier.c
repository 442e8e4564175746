/* duet-notifier.c: desktop notifications for new direct messages and invites
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Only live syncs notify (never the cached snapshot shown at start), only
 * while the window is not focused, and one notification per room: a newer
 * message replaces the older one under the same id.  Titles and bodies are
 * plain text (the freedesktop server may read the body as markup, so it
 * is escaped too) and bounded.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "duet-json.h"
#include "duet-matrix-id.h"
#include "duet-notifier.h"
#include "duet-sync-loop.h"
#include "duet-text.h"

/* A notification is read at a glance: a line or two of the message. */
#define PREVIEW_CHARS 140
#define TITLE_CHARS 64

struct _DuetNotifier
{
  GObject       parent_instance;

  /* Borrowed (weak): the application outlives the window that owns us */
  GApplication *application;
  GtkWindow    *window;

  /* Owned */
  GSettings    *settings;
  DuetSession  *session;
  char         *open_room;
  /* The session's first sync starts from nothing: everything in it is old */
  gboolean      initial_sync;
  /* room id → the DuetRoom whose notify::unread-count we follow */
  GHashTable   *notified_rooms;
  /* invite room ids with a notification out */
  GHashTable   *notified_invites;
};

G_DEFINE_FINAL_TYPE (DuetNotifier, duet_notifier, G_TYPE_OBJECT)

/* --- Helpers ---------------------------------------------------------------- */

static char *
hashed_id (const char *prefix,
           const char *room_id)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, room_id, -1);

  /* A room id may hold any character the server allows; the hash keeps the
   * notification id short and plain. */
  hash[16] = '\0';
  return g_strconcat (prefix, hash, NULL);
}

char *
duet_notifier_dup_room_notification_id (const char *room_id)
{
  g_return_val_if_fail (room_id != NULL, NULL);

  return hashed_id ("room-", room_id);
}

static gboolean
window_is_focused (DuetNotifier *self)
{
  return self->window != NULL &&
         gtk_widget_get_visible (GTK_WIDGET (self->window)) &&
         gtk_window_is_active (self->window);
}

static gboolean
may_notify (DuetNotifier *self)
{
  return self->application != NULL && !self->initial_sync &&
         g_settings_get_boolean (self->settings, "notifications") &&
         !window_is_focused (self);
}

static const char *
own_user_id (DuetNotifier *self)
{
  return duet_client_get_user_id (duet_session_get_client (self->session));
}

/* The member's display name in @room (sanitized), else the user id. */
static char *
dup_person_name (DuetRoom   *room,
                 const char *user_id)
{
  DuetMember *member = duet_room_lookup_member (room, user_id);
  const char *name = member != NULL ? duet_member_get_display_name (member) : NULL;
  char *clean = duet_text_sanitize_line (name, TITLE_CHARS);

  return clean != NULL ? clean : duet_text_sanitize_line (user_id, TITLE_CHARS);
}

static void
send (DuetNotifier *self,
      const char   *id,
      const char   *title,
      const char   *body,
      const char   *action,
      const char   *room_id)
{
  g_autoptr(GNotification) notification = g_notification_new (title);
  /* The app's icon, by its id (the freedesktop backend of GLib 2.74 sends
   * only file icons; the portal and org.gtk.Notifications take this). */
  g_autoptr(GIcon) icon = g_themed_icon_new (APPLICATION_ID);
  /* org.freedesktop.Notifications servers may take a subset of markup in
   * the body: escaped, the text shows as it was written. */
  g_autofree char *escaped = g_markup_escape_text (body, -1);

  g_notification_set_body (notification, escaped);
  g_notification_set_icon (notification, icon);
  g_notification_set_default_action_and_target (notification, action, "s", room_id);
  g_notification_set_category (notification, g_str_has_prefix (id, "room-")
                                               ? "im.received" : "im");
  g_application_send_notification (self->application, id, notification);
}

/* --- Messages --------------------------------------------------------------- */

static void withdraw_room (DuetNotifier *self,
                           const char   *room_id);

static void
room_unread_cb (DuetNotifier *self,
                GParamSpec   *pspec,
                DuetRoom     *room)
{
  if (duet_room_get_unread_count (room) == 0)
    withdraw_room (self, duet_room_get_id (room));
}

static void
withdraw_room (DuetNotifier *self,
               const char   *room_id)
{
  g_autofree char *id = NULL;
  DuetRoom *room = g_hash_table_lookup (self->notified_rooms, room_id);

  if (room == NULL)
    return;

  g_signal_handlers_disconnect_by_func (room, room_unread_cb, self);
  id = duet_notifier_dup_room_notification_id (room_id);
  if (self->application != NULL)
    g_application_withdraw_notification (self->application, id);
  g_hash_table_remove (self->notified_rooms, room_id);
}

/* A short plain-text line for @content of an event of @type, or NULL when
 * it is nothing to notify about (an edit, a reaction, an unknown type). */
static char *
dup_preview (const char *type,
             JsonObject *content)
{
  const char *msgtype = duet_json_get_string (content, "msgtype");
  const char *rel_type = duet_json_get_string (duet_json_get_object (content, "m.relates_to"),
                                               "rel_type");
  g_autofree char *body = NULL;

  if (g_str_equal (type, "m.room.encrypted"))
    return g_strdup (_("Encrypted message"));

  /* An edit says nothing new worth a notification. */
  if (g_strcmp0 (rel_type, "m.replace") == 0 || msgtype == NULL)
    return NULL;

  if (g_str_equal (msgtype, "m.image"))
    return g_strdup (_("Sent an image"));
  if (g_str_equal (msgtype, "m.file") || g_str_equal (msgtype, "m.audio") ||
      g_str_equal (msgtype, "m.video"))
    return g_strdup (_("Sent a file"));

  body = duet_text_sanitize_line (duet_json_get_string (content, "body"), PREVIEW_CHARS);
  if (body == NULL)
    return NULL;
  if (g_str_equal (msgtype, "m.emote"))
    return g_strdup_printf ("* %s", body);
  return g_steal_pointer (&body);
}

static void
timeline_events_cb (DuetNotifier *self,
                    DuetRoom     *room,
                    JsonArray    *events,
                    gboolean      limited,
                    const char   *prev_batch,
                    gboolean      live,
                    DuetSession  *session)
{
  DuetDirectMap *direct = duet_session_get_direct_map (session);
  const char *room_id = duet_room_get_id (room);
  const char *own = own_user_id (self);
  g_autofree char *id = NULL;
  g_autofree char *title = NULL;
  g_autofree char *preview = NULL;

  if (!live || !may_notify (self) ||
      duet_room_get_own_membership (room) != DUET_MEMBERSHIP_JOIN ||
      !duet_direct_map_is_direct (direct, room_id))
    return;

  /* The newest message from someone else speaks for the slice. */
  for (guint i = json_array_get_length (events); i > 0 && preview == NULL; i--)
    {
      JsonNode *node = json_array_get_element (events, i - 1);
      JsonObject *event = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *type = duet_json_get_string (event, "type");
      const char *sender = duet_json_get_string (event, "sender");
      JsonObject *content = duet_json_get_object (event, "content");

      if (type == NULL || content == NULL || sender == NULL ||
          !duet_matrix_is_valid_user_id (sender) || g_strcmp0 (sender, own) == 0 ||
          (!g_str_equal (type, "m.room.message") && !g_str_equal (type, "m.room.encrypted")))
        continue;

      preview = dup_preview (type, content);
      if (preview != NULL)
        title = dup_person_name (room, sender);
    }

  if (preview == NULL)
    return;

  id = duet_notifier_dup_room_notification_id (room_id);
  send (self, id, title, preview, "app.open-room", room_id);

  if (!g_hash_table_contains (self->notified_rooms, room_id))
    {
      g_hash_table_insert (self->notified_rooms, g_strdup (room_id), g_object_ref (room));
      g_signal_connect_object (room, "notify::unread-count", G_CALLBACK (room_unread_cb),
                               self, G_CONNECT_SWAPPED);
    }
}

/* --- Invites ---------------------------------------------------------------- */

static void
notify_invite (DuetNotifier *self,
               DuetRoom     *invite)
{
  const char *room_id = duet_room_get_id (invite);
  const char *inviter = duet_room_get_inviter (invite);
  g_autofree char *id = hashed_id ("invite-", room_id);
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;

  if (inviter != NULL && duet_matrix_is_valid_user_id (inviter))
    title = dup_person_name (invite, inviter);
  else
    title = g_strdup (_("Invitation"));

  if (duet_room_get_invite_is_direct (invite))
    body = g_strdup (_("Invites you to a direct chat"));
  else
    body = g_strdup_printf (_("Invites you to “%s”"), duet_room_get_name (invite));

  send (self, id, title, body, "app.open-invite", room_id);
  g_hash_table_add (self->notified_invites, g_strdup (room_id));
}

static void
withdraw_gone_invites (DuetNotifier *self,
                       GListModel   *invites)
{
  g_autoptr(GHashTable) current = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  const char *room_id;

  for (guint i = 0; i < g_list_model_get_n_items (invites); i++)
    {
      g_autoptr(DuetRoom) room = g_list_model_get_item (invites, i);

      g_hash_table_add (current, (gpointer) duet_room_get_id (room));
    }

  g_hash_table_iter_init (&iter, self->notified_invites);
  while (g_hash_table_iter_next (&iter, (gpointer *) &room_id, NULL))
    {
      g_autofree char *id = NULL;

      if (g_hash_table_contains (current, room_id))
        continue;
      id = hashed_id ("invite-", room_id);
      if (self->application != NULL)
        g_application_withdraw_notification (self->application, id);
      g_hash_table_iter_remove (&iter);
    }
}

static void
invites_changed_cb (DuetNotifier *self,
                    guint         position,
                    guint         removed,
                    guint         added,
                    GListModel   *invites)
{
  if (removed > 0)
    withdraw_gone_invites (self, invites);

  /* The list changes in ingests only, and we follow the session after its
   * cache was shown: what is added here came from the server. */
  if (!may_notify (self))
    return;
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(DuetRoom) invite = g_list_model_get_item (invites, i);

      if (!g_hash_table_contains (self->notified_invites, duet_room_get_id (invite)))
        notify_invite (self, invite);
    }
}

/* --- Focus ------------------------------------------------------------------ */

static void
withdraw_open_room_if_seen (DuetNotifier *self)
{
  if (self->open_room != NULL && window_is_focused (self))
    withdraw_room (self, self->open_room);
}

static void
window_active_cb (DuetNotifier *self)
{
  withdraw_open_room_if_seen (self);
}

void
duet_notifier_set_open_room (DuetNotifier *self,
                             const char   *room_id)
{
  g_return_if_fail (DUET_IS_NOTIFIER (self));

  duet_text_set (&self->open_room, room_id);
  withdraw_open_room_if_seen (self);
}

/* --- Session ---------------------------------------------------------------- */

/* Not during the initial sync: nothing in it is news, and without a
 * handler the session reads each room of it without a tree of its events. */
static void
follow_timelines (DuetNotifier *self)
{
  g_signal_connect_object (self->session, "timeline-events", G_CALLBACK (timeline_events_cb),
                           self, G_CONNECT_SWAPPED);
}

static void
session_synced_cb (DuetNotifier *self)
{
  if (self->initial_sync)
    follow_timelines (self);
  self->initial_sync = FALSE;
}

static void
withdraw_all (DuetNotifier *self)
{
  g_autoptr(GPtrArray) rooms = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  const char *room_id;

  /* Copied: withdrawing removes from the table. */
  g_hash_table_iter_init (&iter, self->notified_rooms);
  while (g_hash_table_iter_next (&iter, (gpointer *) &room_id, NULL))
    g_ptr_array_add (rooms, g_strdup (room_id));
  for (guint i = 0; i < rooms->len; i++)
    withdraw_room (self, g_ptr_array_index (rooms, i));

  g_hash_table_iter_init (&iter, self->notified_invites);
  while (g_hash_table_iter_next (&iter, (gpointer *) &room_id, NULL))
    {
      g_autofree char *id = hashed_id ("invite-", room_id);

      if (self->application != NULL)
        g_application_withdraw_notification (self->application, id);
      g_hash_table_iter_remove (&iter);
    }
}

void
duet_notifier_set_session (DuetNotifier *self,
                           DuetSession  *session)
{
  g_return_if_fail (DUET_IS_NOTIFIER (self));
  g_return_if_fail (session == NULL || DUET_IS_SESSION (session));

  if (self->session == session)
    return;

  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      g_signal_handlers_disconnect_by_data (duet_session_get_invites (self->session), self);
      withdraw_all (self);
      g_clear_object (&self->session);
    }

  if (session == NULL)
    return;

  self->session = g_object_ref (session);
  /* Without a sync token (a first sign-in, or no local copy), the first
   * response is the account's whole recent history, not news. */
  self->initial_sync = duet_sync_loop_get_since (duet_session_get_sync_loop (session)) == NULL;
  g_signal_connect_object (session, "synced", G_CALLBACK (session_synced_cb),
                           self, G_CONNECT_SWAPPED);
  if (!self->initial_sync)
    follow_timelines (self);
  g_signal_connect_object (duet_session_get_invites (session), "items-changed",
                           G_CALLBACK (invites_changed_cb), self, G_CONNECT_SWAPPED);
}

/* --- GObject ---------------------------------------------------------------- */

static void
duet_notifier_dispose (GObject *object)
{
  DuetNotifier *self = DUET_NOTIFIER (object);

  duet_notifier_set_session (self, NULL);
  if (self->window != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->window, self);
      g_object_remove_weak_pointer (G_OBJECT (self->window), (gpointer *) &self->window);
      self->window = NULL;
    }
  if (self->application != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->application), (gpointer *) &self->application);
      self->application = NULL;
    }

  G_OBJECT_CLASS (duet_notifier_parent_class)->dispose (object);
}

static void
duet_notifier_finalize (GObject *object)
{
  DuetNotifier *self = DUET_NOTIFIER (object);

  g_clear_object (&self->settings);
  g_clear_pointer (&self->open_room, g_free);
  g_clear_pointer (&self->notified_rooms, g_hash_table_unref);
  g_clear_pointer (&self->notified_invites, g_hash_table_unref);

  G_OBJECT_CLASS (duet_notifier_parent_class)->finalize (object);
}

static void
duet_notifier_class_init (DuetNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = duet_notifier_dispose;
  object_class->finalize = duet_notifier_finalize;
}

static void
duet_notifier_init (DuetNotifier *self)
{
  self->notified_rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->notified_invites = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

DuetNotifier *
duet_notifier_new (GApplication *application,
                   GtkWindow    *window,
                   GSettings    *settings)
{
  DuetNotifier *self;

  g_return_val_if_fail (G_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (window == NULL || GTK_IS_WINDOW (window), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (DUET_TYPE_NOTIFIER, NULL);
  self->application = application;
  g_object_add_weak_pointer (G_OBJECT (application), (gpointer *) &self->application);
  self->settings = g_object_ref (settings);
  if (window != NULL)
    {
      self->window = window;
      g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &self->window);
      g_signal_connect_swapped (window, "notify::is-active", G_CALLBACK (window_active_cb), self);
    }
  return self;
}
