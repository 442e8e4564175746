/* duet-application.c: the Duet application
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One window per process (GApplication's single instance), so a matrix:
 * link opened from elsewhere lands in the window already signed in.
 */
#include "config.h"

#include <glib/gi18n.h>
#include "duet-application.h"
#include "duet-matrix-id.h"
#include "duet-preferences-window.h"
#include "duet-uri.h"
#include "duet-window.h"

struct _DuetApplication
{
  AdwApplication  parent_instance;

  char           *data_dir;
  GSettings      *settings;
};

G_DEFINE_FINAL_TYPE (DuetApplication, duet_application, ADW_TYPE_APPLICATION)

/* --- Windows and actions ------------------------------------------------ */

static DuetWindow *
get_or_create_window (DuetApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (duet_window_new (self));
  return DUET_WINDOW (window);
}

static void
start_chat_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  DuetApplication *self = user_data;
  const char *user_id = g_variant_get_string (parameter, NULL);
  DuetWindow *window = get_or_create_window (self);

  /* "" opens the dialog; anything else must be a user id, checked here so
   * that a bad D-Bus call says why instead of doing nothing. */
  if (user_id[0] != '\0' && !duet_matrix_is_valid_user_id (user_id))
    {
      g_warning ("app.start-chat: “%s” is not a Matrix user id", user_id);
      return;
    }

  gtk_window_present (GTK_WINDOW (window));
  duet_window_start_chat (window, user_id[0] != '\0' ? user_id : NULL);
}

/* The desktop file's "New Chat" action. */
static void
new_chat_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  DuetApplication *self = user_data;
  DuetWindow *window = get_or_create_window (self);

  gtk_window_present (GTK_WINDOW (window));
  duet_window_start_chat (window, NULL);
}

/* A notification's default action: the target is a room id. */
static void
open_room_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  DuetApplication *self = user_data;
  const char *room_id = g_variant_get_string (parameter, NULL);
  DuetWindow *window;

  if (!duet_matrix_is_valid_room_id (room_id))
    {
      g_warning ("app.open-room: “%s” is not a Matrix room id", room_id);
      return;
    }

  window = get_or_create_window (self);
  gtk_window_present (GTK_WINDOW (window));
  duet_window_open_room (window, room_id);
}

static void
open_invite_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  DuetApplication *self = user_data;
  const char *room_id = g_variant_get_string (parameter, NULL);
  DuetWindow *window;

  if (!duet_matrix_is_valid_room_id (room_id))
    {
      g_warning ("app.open-invite: “%s” is not a Matrix room id", room_id);
      return;
    }

  window = get_or_create_window (self);
  gtk_window_present (GTK_WINDOW (window));
  duet_window_open_invite (window, room_id);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  DuetApplication *self = user_data;
  DuetWindow *window = get_or_create_window (self);
  DuetPreferencesWindow *preferences = duet_preferences_window_new (GTK_WINDOW (window),
                                                                    self->settings);

  gtk_window_present (GTK_WINDOW (preferences));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  DuetApplication *self = user_data;
  static const char *developers[] = { "The Duet contributors", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (GTK_APPLICATION (self)),
                        "application-name", _("Duet"),
                        "application-icon", "user-available-symbolic",
                        "version", PACKAGE_VERSION,
                        "comments", _("Direct conversations on Matrix"),
                        "developers", developers,
                        "license-type", GTK_LICENSE_GPL_3_0,
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  DuetApplication *self = user_data;
  g_autoptr(GList) windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  /* Closing (rather than g_application_quit) lets each window save its
   * size and stop its session cleanly. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
}

static const GActionEntry app_actions[] = {
  { "start-chat", start_chat_action, "s" },
  { "new-chat", new_chat_action },
  { "open-room", open_room_action, "s" },
  { "open-invite", open_invite_action, "s" },
  { "preferences", preferences_action },
  { "about", about_action },
  { "quit", quit_action },
};

/* --- GApplication ------------------------------------------------------- */

static void
duet_application_startup (GApplication *application)
{
  DuetApplication *self = DUET_APPLICATION (application);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *start_chat_accels[] = { "<Control>n", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (duet_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.start-chat", start_chat_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);
}

static void
duet_application_activate (GApplication *application)
{
  DuetApplication *self = DUET_APPLICATION (application);

  gtk_window_present (GTK_WINDOW (get_or_create_window (self)));
}

static void
duet_application_open (GApplication  *application,
                       GFile        **files,
                       int            n_files,
                       const char    *hint)
{
  DuetApplication *self = DUET_APPLICATION (application);
  DuetWindow *window = get_or_create_window (self);

  gtk_window_present (GTK_WINDOW (window));

  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);
      g_autofree char *user_id = duet_uri_parse_user_id (uri);
      g_autofree char *room_id = user_id == NULL ? duet_uri_parse_room_id (uri) : NULL;

      if (user_id != NULL)
        duet_window_start_chat (window, user_id);
      else if (room_id != NULL)
        duet_window_open_room (window, room_id);
      else
        duet_window_show_message (window, _("Duet opens links to Matrix users and rooms only"));
    }
}

/* `duet --new-chat` (the desktop file's action when it is not D-Bus
 * activated) goes to the running instance like the action itself. */
static int
duet_application_handle_local_options (GApplication *application,
                                       GVariantDict *options)
{
  g_autoptr(GError) error = NULL;

  if (!g_variant_dict_contains (options, "new-chat"))
    return -1;

  if (!g_application_register (application, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  g_action_group_activate_action (G_ACTION_GROUP (application), "new-chat", NULL);
  /* The first instance goes on running with the dialog open. */
  return g_application_get_is_remote (application) ? 0 : -1;
}

static void
duet_application_finalize (GObject *object)
{
  DuetApplication *self = DUET_APPLICATION (object);

  g_clear_pointer (&self->data_dir, g_free);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (duet_application_parent_class)->finalize (object);
}

static void
duet_application_class_init (DuetApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = duet_application_finalize;
  application_class->startup = duet_application_startup;
  application_class->activate = duet_application_activate;
  application_class->open = duet_application_open;
  application_class->handle_local_options = duet_application_handle_local_options;
}

static void
duet_application_init (DuetApplication *self)
{
  static const GOptionEntry options[] = {
    { "new-chat", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
      N_("Start a new chat in the running Duet"), NULL },
    { NULL }
  };
  const char *data_dir = g_getenv ("DUET_DATA_DIR");

  g_application_add_main_option_entries (G_APPLICATION (self), options);
  self->data_dir = data_dir != NULL && data_dir[0] != '\0'
                     ? g_canonicalize_filename (data_dir, NULL)
                     : g_build_filename (g_get_user_data_dir (), "duet", NULL);
  /* The schema is the app's, whatever id a test runs it under. */
  self->settings = g_settings_new (APPLICATION_ID);
}

DuetApplication *
duet_application_new (const char        *application_id,
                      GApplicationFlags  flags)
{
  g_return_val_if_fail (application_id != NULL, NULL);

  return g_object_new (DUET_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags | G_APPLICATION_HANDLES_OPEN,
                       /* Resources (style.css, the shortcuts window) are
                        * under the app's path even for a test's own id. */
                       "resource-base-path", "/io/github/duet_chat/Duet",
                       NULL);
}

const char *
duet_application_get_data_dir (DuetApplication *self)
{
  g_return_val_if_fail (DUET_IS_APPLICATION (self), NULL);

  return self->data_dir;
}

GSettings *
duet_application_get_settings (DuetApplication *self)
{
  g_return_val_if_fail (DUET_IS_APPLICATION (self), NULL);

  return self->settings;
}
