/* duet-window.c: Duet's main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The chrome: which page shows (loading, sign-in, locked, the session),
 * the contacts | conversation leaflet, the offline bar and the toasts.
 * The account's life is in duet-window-account.c.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "duet-a11y.h"
#include "duet-contacts-page.h"
#include "duet-window-private.h"

G_DEFINE_FINAL_TYPE (DuetWindow, duet_window, ADW_TYPE_APPLICATION_WINDOW)

/* --- Messages ------------------------------------------------------------ */

void
duet_window_show_message (DuetWindow *self,
                          const char *message)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (DUET_IS_WINDOW (self));
  g_return_if_fail (message != NULL);

  /* Toast titles are markup, and messages may quote the server. */
  escaped = g_markup_escape_text (message, -1);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (escaped));
}

static void
store_toast_dismissed_cb (DuetWindow *self)
{
  self->store_toast = NULL;
}

void
_duet_window_store_error (DuetWindow   *self,
                          const GError *error)
{
  g_autofree char *message = NULL;
  g_autofree char *escaped = NULL;

  /* Every sync would repeat it: one toast at a time is enough. */
  if (self->store_toast != NULL)
    return;

  message = g_strdup_printf (_("Duet could not save to its local copy of your chats: %s"),
                             error->message);
  escaped = g_markup_escape_text (message, -1);
  self->store_toast = adw_toast_new (escaped);
  adw_toast_set_priority (self->store_toast, ADW_TOAST_PRIORITY_HIGH);
  g_signal_connect_object (self->store_toast, "dismissed",
                           G_CALLBACK (store_toast_dismissed_cb), self, G_CONNECT_SWAPPED);
  adw_toast_overlay_add_toast (self->toast_overlay, self->store_toast);
}

/* --- The offline bar ----------------------------------------------------- */

static gboolean
retry_tick_cb (gpointer user_data)
{
  DuetWindow *self = user_data;

  _duet_window_update_status (self);
  return G_SOURCE_CONTINUE;
}

void
_duet_window_update_status (DuetWindow *self)
{
  g_autofree char *text = NULL;
  gint64 remaining_ms = 0;
  gboolean offline;

  offline = self->session != NULL &&
            duet_session_get_state (self->session) == DUET_SESSION_STATE_OFFLINE;

  if (offline)
    {
      remaining_ms = (self->retry_deadline - g_get_monotonic_time ()) / 1000;
      if (remaining_ms >= 1000)
        {
          guint seconds = (guint) ((remaining_ms + 999) / 1000);

          text = g_strdup_printf (ngettext ("Offline — retrying in %u second",
                                            "Offline — retrying in %u seconds", seconds),
                                  seconds);
        }
      else
        {
          /* The retry is on its way; the state changes when it answers. */
          text = g_strdup (_("Reconnecting…"));
        }
      gtk_label_set_text (self->status_label, text);
    }

  gtk_revealer_set_reveal_child (self->status_revealer, offline);

  /* Tick only while there is a countdown to show. */
  if (offline && remaining_ms >= 1000)
    {
      if (self->retry_tick_id == 0)
        self->retry_tick_id = g_timeout_add (250, retry_tick_cb, self);
    }
  else
    {
      g_clear_handle_id (&self->retry_tick_id, g_source_remove);
    }
}

static void
session_retry_in_cb (DuetWindow  *self,
                     GParamSpec  *pspec,
                     DuetSession *session)
{
  self->retry_deadline = g_get_monotonic_time () +
                         (gint64) duet_session_get_retry_in (session) * 1000;
  _duet_window_update_status (self);
}

/* --- Pages --------------------------------------------------------------- */

static void
set_session_actions_enabled (DuetWindow *self,
                             gboolean    enabled)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start-chat", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-out", enabled);
}

/* The focused entry of a page that goes away would never hear that it
 * lost the focus (GTK warns), so the focus leaves before the page does. */
static void
show_page (DuetWindow *self,
           const char *name)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), name) == 0)
    return;
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
  gtk_stack_set_visible_child_name (self->main_stack, name);
}

void
_duet_window_show_loading (DuetWindow *self)
{
  set_session_actions_enabled (self, FALSE);
  show_page (self, "loading");
}

void
_duet_window_show_login (DuetWindow *self)
{
  set_session_actions_enabled (self, FALSE);
  show_page (self, "login");
  gtk_widget_grab_focus (GTK_WIDGET (self->login_page));
}

void
_duet_window_show_locked (DuetWindow *self)
{
  set_session_actions_enabled (self, FALSE);
  show_page (self, "locked");
}

static void
show_room (DuetWindow *self,
           DuetRoom   *room)
{
  duet_room_placeholder_set_room (self->room_placeholder, room);
  duet_notifier_set_open_room (self->notifier, room != NULL ? duet_room_get_id (room) : NULL);
  adw_window_title_set_title (self->room_title, room != NULL ? duet_room_get_name (room) : "");
  if (room != NULL)
    adw_leaflet_set_visible_child_name (self->leaflet, "room");
}

static void
room_activated_cb (DuetWindow *self,
                   const char *room_id)
{
  DuetRoom *room;

  g_return_if_fail (self->session != NULL);

  room = duet_session_lookup_room (self->session, room_id);
  if (room == NULL)
    {
      /* Created a moment ago, before the sync that brings it. */
      duet_window_show_message (self, _("The chat is being set up; it opens in a moment"));
      return;
    }
  show_room (self, room);
}

/* A chat asked for by user id waits for the first sync of the run (its
 * response taken in, not only arrived): the cache may be empty or stale, and Start Chat decides between reusing and
 * creating a room on what the model knows. */
static gboolean
can_start_chat_with_user (DuetWindow *self)
{
  return self->session != NULL &&
         adw_bin_get_child (self->contacts_bin) != NULL &&
         self->synced_from_server;
}

static void
apply_pending_chat (DuetWindow *self)
{
  g_autofree char *user_id = NULL;

  if (self->pending_chat == NULL || adw_bin_get_child (self->contacts_bin) == NULL)
    return;
  if (self->pending_chat[0] != '\0' && !can_start_chat_with_user (self))
    return;

  user_id = g_steal_pointer (&self->pending_chat);
  duet_window_start_chat (self, user_id[0] != '\0' ? user_id : NULL);
}

/* Connected after the cache was loaded: this is a server's answer, taken in. */
static void
session_synced_cb (DuetWindow  *self,
                   DuetSession *session)
{
  self->synced_from_server = TRUE;
  apply_pending_chat (self);
}

void
_duet_window_show_session (DuetWindow *self)
{
  GtkWidget *page;

  g_return_if_fail (self->session != NULL);

  page = g_object_new (DUET_TYPE_CONTACTS_PAGE,
                       "session", self->session,
                       "show-start-chat-button", FALSE,
                       NULL);
  g_signal_connect_object (page, "room-activated", G_CALLBACK (room_activated_cb),
                           self, G_CONNECT_SWAPPED);
  adw_bin_set_child (self->contacts_bin, page);

  g_signal_connect_object (self->session, "notify::retry-in",
                           G_CALLBACK (session_retry_in_cb), self, G_CONNECT_SWAPPED);
  session_retry_in_cb (self, NULL, self->session);
  self->synced_from_server = FALSE;
  g_signal_connect_object (self->session, "synced",
                           G_CALLBACK (session_synced_cb), self, G_CONNECT_SWAPPED);

  /* After the cache was shown: only what the server sends from now on notifies. */
  duet_notifier_set_session (self->notifier, self->session);

  set_session_actions_enabled (self, TRUE);
  adw_leaflet_set_visible_child_name (self->leaflet, "contacts");
  show_page (self, "session");
  gtk_widget_grab_focus (page);

  apply_pending_chat (self);
}

/* Drops the session's widgets; the account code drops the session. */
void
_duet_window_clear_session (DuetWindow *self)
{
  set_session_actions_enabled (self, FALSE);
  duet_notifier_set_session (self->notifier, NULL);
  adw_bin_set_child (self->contacts_bin, NULL);
  show_room (self, NULL);
  adw_leaflet_set_visible_child_name (self->leaflet, "contacts");
  g_clear_handle_id (&self->retry_tick_id, g_source_remove);
  gtk_revealer_set_reveal_child (self->status_revealer, FALSE);
}

/* --- Public API ---------------------------------------------------------- */

void
duet_window_start_chat (DuetWindow *self,
                        const char *user_id)
{
  GtkWidget *page;

  g_return_if_fail (DUET_IS_WINDOW (self));

  page = adw_bin_get_child (self->contacts_bin);
  if (page == NULL || (user_id != NULL && !can_start_chat_with_user (self)))
    {
      g_free (self->pending_chat);
      self->pending_chat = g_strdup (user_id != NULL ? user_id : "");
      return;
    }

  /* From the conversation pane on a narrow window, go where the dialog
   * and the new chat will show. */
  adw_leaflet_set_visible_child_name (self->leaflet, "contacts");
  duet_contacts_page_start_chat (DUET_CONTACTS_PAGE (page), user_id);
}

void
duet_window_open_room (DuetWindow *self,
                       const char *room_id)
{
  g_return_if_fail (DUET_IS_WINDOW (self));
  g_return_if_fail (room_id != NULL);

  if (self->session == NULL)
    return;
  room_activated_cb (self, room_id);
}

void
duet_window_open_invite (DuetWindow *self,
                         const char *room_id)
{
  GtkWidget *page;

  g_return_if_fail (DUET_IS_WINDOW (self));
  g_return_if_fail (room_id != NULL);

  page = adw_bin_get_child (self->contacts_bin);
  if (page == NULL)
    return;
  adw_leaflet_set_visible_child_name (self->leaflet, "contacts");
  duet_contacts_page_open_invite (DUET_CONTACTS_PAGE (page), room_id);
}

DuetSession *
duet_window_get_session (DuetWindow *self)
{
  g_return_val_if_fail (DUET_IS_WINDOW (self), NULL);

  return self->session;
}

DuetWindow *
duet_window_new (DuetApplication *application)
{
  DuetWindow *self;

  g_return_val_if_fail (DUET_IS_APPLICATION (application), NULL);

  self = g_object_new (DUET_TYPE_WINDOW, "application", application, NULL);
  self->data_dir = g_strdup (duet_application_get_data_dir (application));
  self->settings = g_object_ref (duet_application_get_settings (application));
  self->notifier = duet_notifier_new (G_APPLICATION (application), GTK_WINDOW (self),
                                      self->settings);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  _duet_window_account_start (self);
  return self;
}

/* --- Actions ------------------------------------------------------------- */

static void
start_chat_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  duet_window_start_chat (DUET_WINDOW (widget), NULL);
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  _duet_window_account_sign_out (DUET_WINDOW (widget));
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  adw_leaflet_navigate (DUET_WINDOW (widget)->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  _duet_window_account_start (DUET_WINDOW (widget));
}

static void
signed_in_cb (DuetWindow    *self,
              DuetClient    *client,
              DuetLoginPage *page)
{
  _duet_window_account_signed_in (self, client);
}

/* --- GObject ------------------------------------------------------------- */

static gboolean
duet_window_close_request (GtkWindow *window)
{
  DuetWindow *self = DUET_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));

  return GTK_WINDOW_CLASS (duet_window_parent_class)->close_request (window);
}

static void
duet_window_dispose (GObject *object)
{
  DuetWindow *self = DUET_WINDOW (object);

  _duet_window_account_stop (self);
  g_clear_handle_id (&self->retry_tick_id, g_source_remove);
  if (self->notifier != NULL)
    duet_notifier_set_session (self->notifier, NULL);

  G_OBJECT_CLASS (duet_window_parent_class)->dispose (object);
}

static void
duet_window_finalize (GObject *object)
{
  DuetWindow *self = DUET_WINDOW (object);

  g_free (self->data_dir);
  g_free (self->pending_chat);
  g_clear_object (&self->settings);
  g_clear_object (&self->notifier);

  G_OBJECT_CLASS (duet_window_parent_class)->finalize (object);
}

static void
duet_window_class_init (DuetWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = duet_window_dispose;
  object_class->finalize = duet_window_finalize;
  window_class->close_request = duet_window_close_request;

  gtk_widget_class_install_action (widget_class, "win.start-chat", NULL, start_chat_action);
  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "win.retry", NULL, retry_action);

  g_type_ensure (DUET_TYPE_LOGIN_PAGE);
  g_type_ensure (DUET_TYPE_ROOM_PLACEHOLDER);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/duet_chat/Duet/duet-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DuetWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DuetWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, DuetWindow, login_page);
  gtk_widget_class_bind_template_child (widget_class, DuetWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, DuetWindow, contacts_bin);
  gtk_widget_class_bind_template_child (widget_class, DuetWindow, status_revealer);
  gtk_widget_class_bind_template_child (widget_class, DuetWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, DuetWindow, room_title);
  gtk_widget_class_bind_template_child (widget_class, DuetWindow, room_placeholder);
  gtk_widget_class_bind_template_callback (widget_class, signed_in_cb);
}

static void
duet_window_init (DuetWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  duet_a11y_name_internal_controls (GTK_WIDGET (self), NULL);
  set_session_actions_enabled (self, FALSE);
}
