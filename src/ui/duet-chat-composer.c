/* duet-chat-composer.c: the chat view's composer and its draft
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Enter sends, Shift+Enter starts a new line; what is typed is the room's
 * draft, saved to the store a moment after the last key (and at once when
 * the chat closes), so it comes back when the chat opens again, after a
 * restart too.  Typing tells the others through the timeline.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "duet-chat-view-private.h"

/* Quiet time after the last change before the draft is written. */
#define DRAFT_SAVE_DELAY_MS 500

static char *
composer_text (DuetChatView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static gboolean
text_is_blank (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

typedef struct {
  DuetChatView *view;   /* weak */
  char         *room_id;
} DraftData;

static void
draft_data_free (DraftData *data)
{
  g_clear_weak_pointer (&data->view);
  g_free (data->room_id);
  g_free (data);
}

static DraftData *
draft_data_new (DuetChatView *view,
                const char   *room_id)
{
  DraftData *data = g_new0 (DraftData, 1);

  g_set_weak_pointer (&data->view, view);
  data->room_id = g_strdup (room_id);
  return data;
}

static void
save_draft_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  DraftData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_store_set_draft_finish (DUET_STORE (source), result, &error) && data->view != NULL)
    _duet_chat_view_show_error (data->view, _("Could not save the draft"), error);
  draft_data_free (data);
}

static void
save_draft_now (DuetChatView *self)
{
  DuetStore *store;
  g_autofree char *text = NULL;

  g_clear_handle_id (&self->draft_timeout_id, g_source_remove);
  if (self->session == NULL || self->draft_room_id == NULL ||
      (store = duet_session_get_store (self->session)) == NULL)
    return;

  text = composer_text (self);
  duet_store_set_draft_async (store, self->draft_room_id, text_is_blank (text) ? NULL : text,
                              save_draft_cb, draft_data_new (self, self->draft_room_id));
}

static gboolean
draft_timeout_cb (gpointer user_data)
{
  DuetChatView *self = user_data;

  self->draft_timeout_id = 0;
  save_draft_now (self);
  return G_SOURCE_REMOVE;
}

static void
buffer_changed_cb (DuetChatView  *self,
                   GtkTextBuffer *buffer)
{
  g_autofree char *text = composer_text (self);
  gboolean blank = text_is_blank (text);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.send", !blank && self->timeline != NULL);
  if (self->restoring_draft || self->timeline == NULL)
    return;

  duet_timeline_set_typing (self->timeline, !blank);

  /* The user typed before the stored draft came back: theirs wins. */
  self->draft_loaded = TRUE;
  g_clear_handle_id (&self->draft_timeout_id, g_source_remove);
  self->draft_timeout_id = g_timeout_add (DRAFT_SAVE_DELAY_MS, draft_timeout_cb, self);
}

static void
set_text (DuetChatView *self,
          const char   *text)
{
  self->restoring_draft = TRUE;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->composer), text != NULL ? text : "", -1);
  self->restoring_draft = FALSE;
}

static void
load_draft_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  DraftData *data = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = duet_store_load_draft_finish (DUET_STORE (source), result, &error);
  DuetChatView *self = data->view;

  if (self != NULL && g_strcmp0 (self->draft_room_id, data->room_id) == 0 && !self->draft_loaded)
    {
      self->draft_loaded = TRUE;
      if (error != NULL)
        _duet_chat_view_show_error (self, _("Could not load the draft"), error);
      else if (text != NULL)
        {
          GtkTextIter end;

          set_text (self, text);
          gtk_text_buffer_get_end_iter (gtk_text_view_get_buffer (self->composer), &end);
          gtk_text_buffer_place_cursor (gtk_text_view_get_buffer (self->composer), &end);
        }
    }
  draft_data_free (data);
}

void
_duet_chat_composer_open (DuetChatView *self)
{
  DuetStore *store = duet_session_get_store (self->session);

  g_free (self->draft_room_id);
  self->draft_room_id = g_strdup (duet_room_get_id (self->room));
  self->draft_loaded = store == NULL;
  set_text (self, "");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.send", FALSE);

  if (store != NULL)
    duet_store_load_draft_async (store, self->draft_room_id, load_draft_cb,
                                 draft_data_new (self, self->draft_room_id));
  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

void
_duet_chat_composer_close (DuetChatView *self)
{
  /* What was typed since the last save is written before the chat goes. */
  if (self->draft_timeout_id != 0)
    save_draft_now (self);
  if (self->timeline != NULL)
    duet_timeline_set_typing (self->timeline, FALSE);
  g_clear_pointer (&self->draft_room_id, g_free);
  set_text (self, "");
}

void
_duet_chat_composer_send (DuetChatView *self)
{
  g_autofree char *text = composer_text (self);
  g_autofree char *trimmed = NULL;

  if (self->timeline == NULL || text_is_blank (text))
    return;

  /* Surrounding blank lines and spaces are not part of the message. */
  trimmed = g_strstrip (g_strdup (text));
  duet_timeline_send_text (self->timeline, trimmed);
  duet_timeline_set_typing (self->timeline, FALSE);

  set_text (self, "");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.send", FALSE);
  /* The message is sent: its draft goes now. */
  self->draft_loaded = TRUE;
  save_draft_now (self);
  _duet_chat_view_scroll_to_bottom (self);
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                DuetChatView          *self)
{
  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return FALSE;
  /* Shift+Enter (or any modifier) is a new line, as the text view does. */
  if ((state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK)) != 0)
    return FALSE;

  _duet_chat_composer_send (self);
  return TRUE;
}

void
_duet_chat_composer_init (DuetChatView *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  /* Before the text view inserts the newline. */
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->composer), keys);

  g_signal_connect_object (gtk_text_view_get_buffer (self->composer), "changed",
                           G_CALLBACK (buffer_changed_cb), self, G_CONNECT_SWAPPED);
}
