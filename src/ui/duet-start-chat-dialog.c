/* duet-start-chat-dialog.c: find a person and open the direct chat with them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Typing searches the user directory (the entry waits 300 ms for a pause;
 * each new search cancels the one in flight).  A pasted Matrix ID or link
 * shows as the first row at once, so Enter starts the chat without waiting
 * for the directory, which may not know a person on another server.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "duet-a11y.h"
#include "duet-avatar-loader.h"
#include "duet-json.h"
#include "duet-matrix-id.h"
#include "duet-start-chat-dialog.h"
#include "duet-start-chat-flow.h"
#include "duet-text.h"
#include "duet-uri.h"

#define SEARCH_LIMIT 20
#define USER_ID_KEY "duet-user-id"

struct _DuetStartChatDialog
{
  AdwWindow       parent_instance;

  /* Template widgets */
  GtkSearchEntry *search_entry;
  GtkLabel       *error_label;
  GtkStack       *stack;
  GtkSpinner     *spinner;
  GtkListBox     *results_list;

  /* Owned references */
  DuetSession    *session;
  GCancellable   *search_cancellable;
  GCancellable   *choose_cancellable;
  char           *parsed_user_id;   /* what the entry holds, if it is an id or link */
  char           *page_before_busy;
  gboolean        busy;
};

G_DEFINE_FINAL_TYPE (DuetStartChatDialog, duet_start_chat_dialog, ADW_TYPE_WINDOW)

enum {
  SIGNAL_ROOM_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
show_error (DuetStartChatDialog *self,
            const char          *message)
{
  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static void
show_page (DuetStartChatDialog *self,
           const char          *name)
{
  gtk_spinner_set_spinning (self->spinner, g_strcmp0 (name, "busy") == 0);
  gtk_stack_set_visible_child_name (self->stack, name);
}

static void
clear_results (DuetStartChatDialog *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->results_list))) != NULL)
    gtk_list_box_remove (self->results_list, child);
}

static GtkListBoxRow *
find_result (DuetStartChatDialog *self,
             const char          *user_id)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->results_list));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    if (g_strcmp0 (g_object_get_data (G_OBJECT (child), USER_ID_KEY), user_id) == 0)
      return GTK_LIST_BOX_ROW (child);
  return NULL;
}

static void
add_result (DuetStartChatDialog *self,
            const char          *user_id,
            const char          *display_name,
            const char          *avatar_url)
{
  const char *name = display_name != NULL && *display_name != '\0' ? display_name : user_id;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *avatar = adw_avatar_new (32, name, TRUE);

  /* Server text: titles and subtitles stay plain. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), user_id);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), avatar);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), USER_ID_KEY, g_strdup (user_id), g_free);
  duet_avatar_loader_set_avatar (ADW_AVATAR (avatar), duet_session_get_client (self->session), avatar_url);

  gtk_list_box_append (self->results_list, row);
}

static gboolean
has_results (DuetStartChatDialog *self)
{
  return gtk_widget_get_first_child (GTK_WIDGET (self->results_list)) != NULL;
}

static void
search_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(DuetStartChatDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = duet_client_search_users_finish (DUET_CLIENT (source), result, &error);
  JsonArray *results;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->session == NULL)
    return;

  if (reply == NULL)
    {
      g_autofree char *message = duet_start_chat_flow_describe_error (error);
      g_autofree char *text = g_strdup_printf (_("The user directory could not be searched. %s"), message);

      show_error (self, text);
    }
  else
    {
      /* The client checked that "results" is an array. */
      results = json_object_get_array_member (reply, "results");
      for (guint i = 0; i < json_array_get_length (results); i++)
        {
          JsonNode *node = json_array_get_element (results, i);
          JsonObject *user = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
          const char *user_id, *avatar_url;
          g_autofree char *display_name = NULL;
          GtkListBoxRow *known;

          if (user == NULL)
            continue;
          user_id = duet_json_get_string (user, "user_id");
          /* Server text: one clean line, as the model does for its names. */
          display_name = duet_text_sanitize_line (duet_json_get_string (user, "display_name"),
                                                  DUET_TEXT_MAX_NAME_CHARS);
          avatar_url = duet_json_get_string (user, "avatar_url");
          /* The directory is server text like any other: check the id. */
          if (!duet_matrix_is_valid_user_id (user_id))
            continue;

          /* The pasted id found in the directory: show its name instead. */
          known = find_result (self, user_id);
          if (known != NULL)
            gtk_list_box_remove (self->results_list, GTK_WIDGET (known));
          add_result (self, user_id, display_name, avatar_url);
        }
    }

  if (!self->busy)
    show_page (self, has_results (self) ? "results" : (reply != NULL ? "no-results" : "hint"));
}

static void
search_changed_cb (DuetStartChatDialog *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->search_entry))));
  const char *term;

  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  g_clear_pointer (&self->parsed_user_id, g_free);
  clear_results (self);
  show_error (self, NULL);

  if (self->busy)
    return;

  if (*text == '\0' || self->session == NULL)
    {
      show_page (self, "hint");
      return;
    }

  self->parsed_user_id = duet_uri_parse_user_id (text);
  if (self->parsed_user_id != NULL)
    add_result (self, self->parsed_user_id, NULL, NULL);
  show_page (self, self->parsed_user_id != NULL ? "results" : "busy");

  /* A link is searched by the id in it, which the directory understands. */
  term = self->parsed_user_id != NULL ? self->parsed_user_id : text;
  self->search_cancellable = g_cancellable_new ();
  duet_client_search_users_async (duet_session_get_client (self->session), term, SEARCH_LIMIT,
                                  self->search_cancellable, search_done_cb, g_object_ref (self));
}

static void
set_busy (DuetStartChatDialog *self,
          gboolean             busy)
{
  self->busy = busy;
  /* A focused entry made insensitive keeps its cursor blinking without
   * focus (GTK warns); move the focus off it first. */
  if (busy)
    gtk_window_set_focus (GTK_WINDOW (self), NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->search_entry), !busy);
  if (busy)
    {
      g_free (self->page_before_busy);
      self->page_before_busy = g_strdup (gtk_stack_get_visible_child_name (self->stack));
      show_page (self, "busy");
    }
  else
    {
      show_page (self, self->page_before_busy != NULL ? self->page_before_busy : "hint");
      gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
    }
}

static void
chat_started_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(DuetStartChatDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *room_id = duet_start_chat_flow_finish (DUET_SESSION (source), result, &error);

  if (self->session == NULL)
    return;   /* closed meanwhile */

  if (room_id != NULL)
    {
      g_signal_emit (self, signals[SIGNAL_ROOM_ACTIVATED], 0, room_id);
      /* Take focus off the entry first, so that its cursor stops blinking
       * before it is destroyed (GTK warns otherwise). */
      gtk_window_set_focus (GTK_WINDOW (self), NULL);
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }

  set_busy (self, FALSE);

  /* Cancelled: the person closed the partner-left question; stay here. */
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *message = duet_start_chat_flow_describe_error (error);

      show_error (self, message);
    }
}

void
duet_start_chat_dialog_choose (DuetStartChatDialog *self,
                               const char          *user_id)
{
  g_return_if_fail (DUET_IS_START_CHAT_DIALOG (self));
  g_return_if_fail (user_id != NULL);

  if (self->busy || self->session == NULL)
    return;

  if (!duet_matrix_is_valid_user_id (user_id))
    {
      show_error (self, _("That is not a valid Matrix ID. It looks like @name:example.org."));
      return;
    }

  show_error (self, NULL);
  set_busy (self, TRUE);
  g_clear_object (&self->choose_cancellable);
  self->choose_cancellable = g_cancellable_new ();
  duet_start_chat_flow_async (self->session, GTK_WINDOW (self), user_id, self->choose_cancellable,
                              chat_started_cb, g_object_ref (self));
}

static void
row_activated_cb (DuetStartChatDialog *self,
                  GtkListBoxRow       *row)
{
  const char *user_id = g_object_get_data (G_OBJECT (row), USER_ID_KEY);

  if (user_id != NULL)
    duet_start_chat_dialog_choose (self, user_id);
}

static void
search_activate_cb (DuetStartChatDialog *self)
{
  g_autofree char *parsed = NULL;
  GtkListBoxRow *first;

  /* Enter may come before the search delay ran: parse the text now. */
  parsed = duet_uri_parse_user_id (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  if (parsed != NULL)
    {
      duet_start_chat_dialog_choose (self, parsed);
      return;
    }

  first = gtk_list_box_get_row_at_index (self->results_list, 0);
  if (first != NULL)
    row_activated_cb (self, first);
  else
    show_error (self, _("Pick someone from the list, or type a full Matrix ID such as @name:example.org."));
}

static void
stop_search_cb (DuetStartChatDialog *self)
{
  if (*gtk_editable_get_text (GTK_EDITABLE (self->search_entry)) == '\0')
    gtk_window_close (GTK_WINDOW (self));
  else
    gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

DuetStartChatDialog *
duet_start_chat_dialog_new (GtkWindow   *parent,
                            DuetSession *session)
{
  DuetStartChatDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (DUET_IS_SESSION (session), NULL);

  self = g_object_new (DUET_TYPE_START_CHAT_DIALOG, "transient-for", parent, NULL);
  self->session = g_object_ref (session);
  return self;
}

static void
duet_start_chat_dialog_dispose (GObject *object)
{
  DuetStartChatDialog *self = DUET_START_CHAT_DIALOG (object);

  g_cancellable_cancel (self->search_cancellable);
  g_cancellable_cancel (self->choose_cancellable);
  g_clear_object (&self->search_cancellable);
  g_clear_object (&self->choose_cancellable);
  g_clear_object (&self->session);
  g_clear_pointer (&self->parsed_user_id, g_free);
  g_clear_pointer (&self->page_before_busy, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), DUET_TYPE_START_CHAT_DIALOG);

  G_OBJECT_CLASS (duet_start_chat_dialog_parent_class)->dispose (object);
}

static void
duet_start_chat_dialog_class_init (DuetStartChatDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = duet_start_chat_dialog_dispose;

  signals[SIGNAL_ROOM_ACTIVATED] =
    g_signal_new ("room-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/duet_chat/Duet/duet-start-chat-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DuetStartChatDialog, search_entry);
  gtk_widget_class_bind_template_child (widget_class, DuetStartChatDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, DuetStartChatDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, DuetStartChatDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, DuetStartChatDialog, results_list);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
duet_start_chat_dialog_init (DuetStartChatDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  duet_a11y_name_internal_controls (GTK_WIDGET (self), NULL);
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->search_entry));
}
