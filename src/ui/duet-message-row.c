/* duet-message-row.c: one item of a chat's timeline, drawn
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One widget for every kind of item (message, day separator, gap, room
 * event): the list view recycles rows, and a stack page per kind keeps the
 * switch cheap.  The row follows its item through notify, so an edit, a
 * redaction, a reaction or a send state change shows without rebinding.
 * Server text only reaches labels as plain text, or as the markup the
 * timeline built from escaped text.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "duet-a11y.h"
#include "duet-avatar-loader.h"
#include "duet-message-row.h"

struct _DuetMessageRow
{
  AdwBin            parent_instance;

  /* Template widgets */
  GtkStack         *stack;
  GtkBox           *message_box;
  AdwAvatar        *avatar;
  GtkBox           *column;
  GtkLabel         *sender_label;
  GtkBox           *bubble;
  GtkBox           *reply_box;
  GtkLabel         *reply_sender_label;
  GtkLabel         *reply_body_label;
  GtkLabel         *body_label;
  GtkButton        *file_button;
  GtkImage         *file_icon;
  GtkLabel         *file_name_label;
  GtkLabel         *file_size_label;
  GtkBox           *meta_box;
  GtkLabel         *edited_label;
  GtkLabel         *time_label;
  GtkImage         *state_icon;
  GtkBox           *failed_box;
  GtkLabel         *failed_label;
  GtkButton        *retry_button;
  GtkButton        *delete_button;
  GtkBox           *reactions_box;
  GtkLabel         *day_label;
  GtkStack         *gap_stack;
  GtkSpinner       *gap_spinner;
  GtkLabel         *event_label;

  /* Owned references */
  DuetTimelineItem *item;
  DuetTimeline     *timeline;
  DuetOutgoing     *outgoing;     /* the item's, followed for its error message */
  GCancellable     *cancellable;  /* the gap fill or download of this binding */

  gboolean          show_sender;
};

G_DEFINE_FINAL_TYPE (DuetMessageRow, duet_message_row, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_ITEM,
  PROP_TIMELINE,
  PROP_SHOW_SENDER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* --- Formatting ------------------------------------------------------------ */

char *
duet_message_row_format_time (gint64 timestamp_ms)
{
  g_autoptr(GDateTime) when = NULL;

  if (timestamp_ms <= 0 || (when = g_date_time_new_from_unix_local (timestamp_ms / 1000)) == NULL)
    return g_strdup ("");
  /* Translators: the time beside a message, see strftime(3). */
  return g_date_time_format (when, _("%H:%M"));
}

char *
duet_message_row_format_full_time (gint64 timestamp_ms)
{
  g_autoptr(GDateTime) when = NULL;

  if (timestamp_ms <= 0 || (when = g_date_time_new_from_unix_local (timestamp_ms / 1000)) == NULL)
    return g_strdup ("");
  /* Translators: a message's full date and time in its tooltip, see strftime(3). */
  return g_date_time_format (when, _("%A %-d %B %Y, %H:%M:%S"));
}

char *
duet_message_row_format_day (gint64     timestamp_ms,
                             GDateTime *now)
{
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) today = NULL;
  g_autoptr(GDateTime) day = NULL;
  GTimeSpan days;

  g_return_val_if_fail (now != NULL, NULL);

  if (timestamp_ms <= 0 || (when = g_date_time_new_from_unix_local (timestamp_ms / 1000)) == NULL)
    return g_strdup ("");

  today = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                 g_date_time_get_day_of_month (now), 0, 0, 0);
  day = g_date_time_new_local (g_date_time_get_year (when), g_date_time_get_month (when),
                               g_date_time_get_day_of_month (when), 0, 0, 0);
  days = g_date_time_difference (today, day) / G_TIME_SPAN_DAY;

  if (days <= 0)
    return g_strdup (_("Today"));
  if (days == 1)
    return g_strdup (_("Yesterday"));
  if (days < 7 || g_date_time_get_year (when) == g_date_time_get_year (now))
    /* Translators: a day separator in a chat, this year, see strftime(3). */
    return g_date_time_format (when, _("%A %-d %B"));
  /* Translators: a day separator in a chat, an earlier year, see strftime(3). */
  return g_date_time_format (when, _("%-d %B %Y"));
}

/* --- Showing the item ------------------------------------------------------ */

static void
set_css_class (GtkWidget  *widget,
               const char *css_class,
               gboolean    set)
{
  if (set)
    gtk_widget_add_css_class (widget, css_class);
  else
    gtk_widget_remove_css_class (widget, css_class);
}

static void
show_toast (DuetMessageRow *self,
            const char     *message)
{
  /* The chat view shows it; outside one (a bench, a test) it is logged. */
  if (!gtk_widget_activate_action (GTK_WIDGET (self), "chat.show-toast", "s", message))
    g_message ("%s", message);
}

static void
update_reactions (DuetMessageRow *self)
{
  GPtrArray *reactions = duet_timeline_item_get_reactions (self->item);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->reactions_box))) != NULL)
    gtk_box_remove (self->reactions_box, child);

  for (guint i = 0; reactions != NULL && i < reactions->len && i < 20; i++)
    {
      DuetReaction *reaction = g_ptr_array_index (reactions, i);
      g_autofree char *text = g_strdup_printf ("%s %u", reaction->key, reaction->count);
      g_autofree char *accessible = g_strdup_printf (ngettext ("%s, %u reaction", "%s, %u reactions",
                                                               reaction->count),
                                                     reaction->key, reaction->count);
      GtkWidget *label = gtk_label_new (text);

      gtk_widget_add_css_class (label, "duet-reaction");
      gtk_widget_add_css_class (label, "numeric");
      if (reaction->mine)
        gtk_widget_add_css_class (label, "mine");
      gtk_accessible_update_property (GTK_ACCESSIBLE (label),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
      gtk_box_append (self->reactions_box, label);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->reactions_box), reactions != NULL && reactions->len > 0);
}

static void
update_send_state (DuetMessageRow *self)
{
  DuetOutgoingState state = duet_timeline_item_get_send_state (self->item);
  gboolean pending = state == DUET_OUTGOING_QUEUED || state == DUET_OUTGOING_SENDING;
  gboolean failed = state == DUET_OUTGOING_FAILED;

  set_css_class (GTK_WIDGET (self->bubble), "duet-sending", pending);
  set_css_class (GTK_WIDGET (self->bubble), "duet-failed", failed);
  gtk_widget_set_visible (GTK_WIDGET (self->state_icon), pending || failed);
  if (pending)
    {
      gtk_image_set_from_icon_name (self->state_icon, "content-loading-symbolic");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_icon), _("Sending…"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->state_icon),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Sending"), -1);
    }
  else if (failed)
    {
      gtk_image_set_from_icon_name (self->state_icon, "dialog-error-symbolic");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_icon), _("Not sent"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->state_icon),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Not sent"), -1);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->failed_box), failed);
  if (failed)
    {
      const char *reason = self->outgoing != NULL ? duet_outgoing_get_error_message (self->outgoing) : NULL;
      g_autofree char *text = reason != NULL && *reason != '\0'
                              ? g_strdup_printf (_("Not sent: %s"), reason)
                              : g_strdup (_("Not sent"));

      gtk_label_set_text (self->failed_label, text);
    }
}

static void
update_body (DuetMessageRow *self)
{
  DuetMessageKind kind = duet_timeline_item_get_message_kind (self->item);
  const char *markup = duet_timeline_item_get_markup (self->item);
  const char *body = duet_timeline_item_get_body (self->item);
  gboolean dim = kind == DUET_MESSAGE_ENCRYPTED || kind == DUET_MESSAGE_REDACTED;
  gboolean file = kind == DUET_MESSAGE_IMAGE || kind == DUET_MESSAGE_FILE;

  set_css_class (GTK_WIDGET (self->bubble), "duet-notice", kind == DUET_MESSAGE_NOTICE);
  set_css_class (GTK_WIDGET (self->bubble), "duet-emote", kind == DUET_MESSAGE_EMOTE);
  set_css_class (GTK_WIDGET (self->bubble), "duet-media", kind == DUET_MESSAGE_IMAGE || kind == DUET_MESSAGE_FILE);
  set_css_class (GTK_WIDGET (self->body_label), "duet-unreadable", dim);
  set_css_class (GTK_WIDGET (self->body_label), "dim-label", dim || kind == DUET_MESSAGE_NOTICE);

  if (dim)
    gtk_label_set_text (self->body_label, body != NULL ? body : "");
  else if (kind == DUET_MESSAGE_EMOTE)
    {
      g_autofree char *name = g_markup_escape_text (duet_timeline_item_get_sender_name (self->item) ?: "", -1);
      g_autofree char *text = g_strdup_printf ("* %s %s", name, markup != NULL ? markup : "");

      gtk_label_set_markup (self->body_label, text);
    }
  else if (!file)
    gtk_label_set_markup (self->body_label, markup != NULL ? markup : "");
  gtk_widget_set_visible (GTK_WIDGET (self->body_label), !file);
  gtk_label_set_selectable (self->body_label, !file);

  gtk_widget_set_visible (GTK_WIDGET (self->file_button), file);
  if (file)
    {
      gint64 size = duet_timeline_item_get_file_size (self->item);
      const char *name = duet_timeline_item_get_file_name (self->item);
      g_autofree char *size_text = size >= 0 ? g_format_size ((guint64) size) : g_strdup (_("Unknown size"));
      g_autofree char *accessible = NULL;

      if (name == NULL || *name == '\0')
        name = kind == DUET_MESSAGE_IMAGE ? _("Image") : _("File");
      gtk_image_set_from_icon_name (self->file_icon, kind == DUET_MESSAGE_IMAGE
                                                     ? "image-x-generic-symbolic"
                                                     : "mail-attachment-symbolic");
      gtk_label_set_text (self->file_name_label, name);
      gtk_label_set_text (self->file_size_label, size_text);
      accessible = g_strdup_printf (_("Download %s, %s"), name, size_text);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->file_button), _("Save to a file"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->file_button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.download",
                                     duet_timeline_item_get_media_url (self->item) != NULL);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->edited_label), duet_timeline_item_get_edited (self->item));

  if (duet_timeline_item_get_reply_body (self->item) != NULL)
    {
      const char *reply_sender = duet_timeline_item_get_reply_sender_name (self->item);

      gtk_label_set_text (self->reply_sender_label, reply_sender != NULL ? reply_sender : "");
      gtk_widget_set_visible (GTK_WIDGET (self->reply_sender_label), reply_sender != NULL);
      gtk_label_set_text (self->reply_body_label, duet_timeline_item_get_reply_body (self->item));
      gtk_widget_set_visible (GTK_WIDGET (self->reply_box), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->reply_box), FALSE);
}

static void
update_message (DuetMessageRow *self)
{
  DuetTimelineItem *item = self->item;
  gboolean own = duet_timeline_item_is_own (item);
  gboolean group_start = duet_timeline_item_get_group_start (item);
  const char *name = duet_timeline_item_get_sender_name (item);
  g_autofree char *time = duet_message_row_format_time (duet_timeline_item_get_timestamp (item));
  g_autofree char *full_time = duet_message_row_format_full_time (duet_timeline_item_get_timestamp (item));
  g_autofree char *accessible = NULL;
  DuetClient *client = NULL;

  if (self->timeline != NULL)
    client = duet_session_get_client (duet_timeline_get_session (self->timeline));

  set_css_class (GTK_WIDGET (self->message_box), "own", own);
  set_css_class (GTK_WIDGET (self->message_box), "group-start", group_start);
  gtk_widget_set_margin_top (GTK_WIDGET (self->message_box), group_start ? 8 : 1);
  gtk_widget_set_halign (GTK_WIDGET (self->bubble), own ? GTK_ALIGN_END : GTK_ALIGN_START);
  gtk_widget_set_halign (GTK_WIDGET (self->reactions_box), own ? GTK_ALIGN_END : GTK_ALIGN_START);
  gtk_widget_set_margin_start (GTK_WIDGET (self->message_box), own ? 48 : 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->message_box), own ? 12 : 48);

  /* Names and avatars only tell people apart when there are more than two;
   * a run's later messages keep the avatar's room so the text lines up. */
  gtk_widget_set_visible (GTK_WIDGET (self->avatar), self->show_sender && !own);
  gtk_widget_set_opacity (GTK_WIDGET (self->avatar), group_start ? 1.0 : 0.0);
  gtk_widget_set_visible (GTK_WIDGET (self->sender_label), self->show_sender && !own && group_start);
  if (self->show_sender && !own && group_start)
    {
      gtk_label_set_text (self->sender_label, name != NULL ? name : "");
      adw_avatar_set_text (self->avatar, name);
      duet_avatar_loader_set_avatar (self->avatar, client, duet_timeline_item_get_sender_avatar (item));
    }

  gtk_label_set_text (self->time_label, time);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->bubble), full_time);

  update_body (self);
  update_reactions (self);
  update_send_state (self);

  accessible = g_strdup_printf (_("%s at %s: %s"), own ? _("You") : (name != NULL ? name : ""),
                                time, duet_timeline_item_get_body (item) ?: "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

static void
update (DuetMessageRow *self)
{
  if (self->item == NULL)
    return;

  /* A selectable label takes the focus: only a shown message's text may,
   * never the empty label of a day, gap or event row. */
  if (duet_timeline_item_get_kind (self->item) != DUET_TIMELINE_ITEM_MESSAGE)
    gtk_label_set_selectable (self->body_label, FALSE);

  switch (duet_timeline_item_get_kind (self->item))
    {
    case DUET_TIMELINE_ITEM_MESSAGE:
      gtk_stack_set_visible_child_name (self->stack, "message");
      update_message (self);
      break;

    case DUET_TIMELINE_ITEM_DAY:
      {
        g_autoptr(GDateTime) now = g_date_time_new_now_local ();
        g_autofree char *day = duet_message_row_format_day (duet_timeline_item_get_timestamp (self->item), now);

        gtk_stack_set_visible_child_name (self->stack, "day");
        gtk_label_set_text (self->day_label, day);
        gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, day, -1);
      }
      break;

    case DUET_TIMELINE_ITEM_GAP:
      gtk_stack_set_visible_child_name (self->stack, "gap");
      gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("History missing"), -1);
      break;

    case DUET_TIMELINE_ITEM_EVENT:
    default:
      gtk_stack_set_visible_child_name (self->stack, "event");
      gtk_label_set_text (self->event_label, duet_timeline_item_get_body (self->item) ?: "");
      gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      duet_timeline_item_get_body (self->item) ?: "", -1);
      break;
    }
}

static void
outgoing_notify_cb (DuetMessageRow *self)
{
  if (self->item != NULL && duet_timeline_item_get_kind (self->item) == DUET_TIMELINE_ITEM_MESSAGE)
    update_send_state (self);
}

/* The list row takes the focus: a screen reader says who wrote what (or
 * the day, the gap, the room event) when it gets there. */
static void
update_accessible_name (DuetMessageRow *self)
{
  DuetTimelineItem *item = self->item;
  g_autofree char *label = NULL;
  const char *description = "";

  switch (duet_timeline_item_get_kind (item))
    {
    case DUET_TIMELINE_ITEM_MESSAGE:
      /* Translators: how a screen reader announces a message: sender, then text. */
      label = g_strdup_printf (_("%s: %s"), duet_timeline_item_get_sender_name (item),
                               duet_timeline_item_get_body (item) != NULL
                                 ? duet_timeline_item_get_body (item) : "");
      if (duet_timeline_item_get_send_state (item) == DUET_OUTGOING_FAILED)
        description = _("Not sent");
      else if (duet_timeline_item_get_send_state (item) != DUET_OUTGOING_SENT)
        description = _("Sending");
      break;
    case DUET_TIMELINE_ITEM_DAY:
      label = g_strdup (gtk_label_get_text (self->day_label));
      break;
    case DUET_TIMELINE_ITEM_GAP:
      label = g_strdup (_("History missing"));
      break;
    case DUET_TIMELINE_ITEM_EVENT:
    default:
      label = g_strdup (duet_timeline_item_get_body (item) != NULL ? duet_timeline_item_get_body (item) : "");
      break;
    }
  duet_a11y_label_list_row (GTK_WIDGET (self), label, description);
}

/* The chat view moves a row between its list's rows: the new one is named
 * after what it now shows. */
static void
parent_notify_cb (DuetMessageRow *self)
{
  if (self->item != NULL && gtk_widget_get_parent (GTK_WIDGET (self)) != NULL)
    update_accessible_name (self);
}

static void
item_notify_cb (DuetMessageRow *self,
                GParamSpec     *pspec)
{
  DuetOutgoing *outgoing = duet_timeline_item_get_outgoing (self->item);

  if (outgoing != self->outgoing)
    {
      if (self->outgoing != NULL)
        g_signal_handlers_disconnect_by_data (self->outgoing, self);
      g_set_object (&self->outgoing, outgoing);
      if (outgoing != NULL)
        g_signal_connect_object (outgoing, "notify::error-message",
                                 G_CALLBACK (outgoing_notify_cb), self, G_CONNECT_SWAPPED);
    }
  update (self);
  update_accessible_name (self);
}

/* --- Actions --------------------------------------------------------------- */

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  DuetMessageRow *self = DUET_MESSAGE_ROW (widget);

  if (self->timeline != NULL && self->item != NULL)
    duet_timeline_retry (self->timeline, self->item);
}

static void
delete_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  DuetMessageRow *self = DUET_MESSAGE_ROW (widget);

  if (self->timeline != NULL && self->item != NULL)
    duet_timeline_delete (self->timeline, self->item);
}

typedef struct {
  DuetMessageRow *row;    /* weak: the row may be recycled or gone */
  char           *what;
} RowTaskData;

static void
row_task_data_free (RowTaskData *data)
{
  g_clear_weak_pointer (&data->row);
  g_free (data->what);
  g_free (data);
}

static RowTaskData *
row_task_data_new (DuetMessageRow *row,
                   const char     *what)
{
  RowTaskData *data = g_new0 (RowTaskData, 1);

  g_set_weak_pointer (&data->row, row);
  data->what = g_strdup (what);
  return data;
}

static void
fill_gap_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RowTaskData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_timeline_fill_gap_finish (DUET_TIMELINE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && data->row != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Could not load the missing history: %s"),
                                                  error->message);

      show_toast (data->row, message);
    }
  if (data->row != NULL)
    {
      gtk_spinner_stop (data->row->gap_spinner);
      gtk_stack_set_visible_child_name (data->row->gap_stack, "button");
    }
  row_task_data_free (data);
}

static void
fill_gap_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  DuetMessageRow *self = DUET_MESSAGE_ROW (widget);

  if (self->timeline == NULL || self->item == NULL)
    return;

  gtk_stack_set_visible_child_name (self->gap_stack, "spinner");
  gtk_spinner_start (self->gap_spinner);
  duet_timeline_fill_gap_async (self->timeline, self->item, self->cancellable,
                                fill_gap_cb, row_task_data_new (self, NULL));
}

static void
download_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RowTaskData *data = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (!duet_timeline_download_finish (DUET_TIMELINE (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        message = g_strdup_printf (_("Could not save “%s”: %s"), data->what, error->message);
    }
  else
    message = g_strdup_printf (_("Saved “%s”"), data->what);

  if (message != NULL && data->row != NULL)
    show_toast (data->row, message);
  row_task_data_free (data);
}

typedef struct {
  DuetTimeline     *timeline;
  DuetTimelineItem *item;
  RowTaskData      *row_data;
} SaveData;

static void
save_response_cb (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  SaveData *save = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      duet_timeline_download_async (save->timeline, save->item, file, NULL,
                                    download_cb, g_steal_pointer (&save->row_data));
    }
  g_clear_pointer (&save->row_data, row_task_data_free);
  g_object_unref (save->timeline);
  g_object_unref (save->item);
  g_free (save);
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
download_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  DuetMessageRow *self = DUET_MESSAGE_ROW (widget);
  GtkFileChooserNative *chooser;
  GtkRoot *root = gtk_widget_get_root (widget);
  const char *name;
  SaveData *save;

  if (self->timeline == NULL || self->item == NULL)
    return;

  name = duet_timeline_item_get_file_name (self->item);
  if (name == NULL || *name == '\0' || strchr (name, '/') != NULL)
    name = _("Download");

  chooser = gtk_file_chooser_native_new (_("Save File"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);

  save = g_new0 (SaveData, 1);
  save->timeline = g_object_ref (self->timeline);
  save->item = g_object_ref (self->item);
  save->row_data = row_task_data_new (self, name);
  g_signal_connect (chooser, "response", G_CALLBACK (save_response_cb), save);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static gboolean
activate_link_cb (DuetMessageRow *self,
                  const char     *uri,
                  GtkLabel       *label)
{
  g_autofree char *scheme = g_uri_parse_scheme (uri);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  /* Only the schemes a chat link means; anything else is not opened. */
  if (scheme == NULL ||
      (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0 &&
       g_ascii_strcasecmp (scheme, "mailto") != 0 && g_ascii_strcasecmp (scheme, "matrix") != 0))
    return TRUE;

  gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, uri, GDK_CURRENT_TIME);
  return TRUE;
}

/* --- Public API ------------------------------------------------------------ */

DuetTimelineItem *
duet_message_row_get_item (DuetMessageRow *self)
{
  g_return_val_if_fail (DUET_IS_MESSAGE_ROW (self), NULL);

  return self->item;
}

void
duet_message_row_set_item (DuetMessageRow   *self,
                           DuetTimelineItem *item)
{
  g_return_if_fail (DUET_IS_MESSAGE_ROW (self));
  g_return_if_fail (item == NULL || DUET_IS_TIMELINE_ITEM (item));

  if (self->item == item)
    return;

  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  if (self->outgoing != NULL)
    g_signal_handlers_disconnect_by_data (self->outgoing, self);
  g_clear_object (&self->outgoing);
  g_set_object (&self->item, item);

  /* A recycled row forgets the last item's gap fill spinner. */
  gtk_spinner_stop (self->gap_spinner);
  gtk_stack_set_visible_child_name (self->gap_stack, "button");

  if (item != NULL)
    {
      g_signal_connect_object (item, "notify", G_CALLBACK (item_notify_cb), self, G_CONNECT_SWAPPED);
      item_notify_cb (self, NULL);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}

void
duet_message_row_set_timeline (DuetMessageRow *self,
                               DuetTimeline   *timeline)
{
  g_return_if_fail (DUET_IS_MESSAGE_ROW (self));

  if (g_set_object (&self->timeline, timeline))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMELINE]);
}

void
duet_message_row_set_show_sender (DuetMessageRow *self,
                                  gboolean        show_sender)
{
  g_return_if_fail (DUET_IS_MESSAGE_ROW (self));

  show_sender = !!show_sender;
  if (self->show_sender == show_sender)
    return;
  self->show_sender = show_sender;
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_SENDER]);
}

GtkWidget *
duet_message_row_new (void)
{
  return g_object_new (DUET_TYPE_MESSAGE_ROW, NULL);
}

/* --- GObject --------------------------------------------------------------- */

static void
duet_message_row_dispose (GObject *object)
{
  DuetMessageRow *self = DUET_MESSAGE_ROW (object);

  duet_message_row_set_item (self, NULL);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->timeline);

  G_OBJECT_CLASS (duet_message_row_parent_class)->dispose (object);
}

static void
duet_message_row_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  DuetMessageRow *self = DUET_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;
    case PROP_TIMELINE:
      g_value_set_object (value, self->timeline);
      break;
    case PROP_SHOW_SENDER:
      g_value_set_boolean (value, self->show_sender);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_message_row_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  DuetMessageRow *self = DUET_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      duet_message_row_set_item (self, g_value_get_object (value));
      break;
    case PROP_TIMELINE:
      duet_message_row_set_timeline (self, g_value_get_object (value));
      break;
    case PROP_SHOW_SENDER:
      duet_message_row_set_show_sender (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_message_row_class_init (DuetMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = duet_message_row_dispose;
  object_class->get_property = duet_message_row_get_property;
  object_class->set_property = duet_message_row_set_property;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, DUET_TYPE_TIMELINE_ITEM,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIMELINE] =
    g_param_spec_object ("timeline", NULL, NULL, DUET_TYPE_TIMELINE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_SENDER] =
    g_param_spec_boolean ("show-sender", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "row.retry", NULL, retry_action);
  gtk_widget_class_install_action (widget_class, "row.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "row.download", NULL, download_action);
  gtk_widget_class_install_action (widget_class, "row.fill-gap", NULL, fill_gap_action);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/duet_chat/Duet/duet-message-row.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, DuetMessageRow, name)
  BIND (stack);
  BIND (message_box);
  BIND (avatar);
  BIND (column);
  BIND (sender_label);
  BIND (bubble);
  BIND (reply_box);
  BIND (reply_sender_label);
  BIND (reply_body_label);
  BIND (body_label);
  BIND (file_button);
  BIND (file_icon);
  BIND (file_name_label);
  BIND (file_size_label);
  BIND (meta_box);
  BIND (edited_label);
  BIND (time_label);
  BIND (state_icon);
  BIND (failed_box);
  BIND (failed_label);
  BIND (retry_button);
  BIND (delete_button);
  BIND (reactions_box);
  BIND (day_label);
  BIND (gap_stack);
  BIND (gap_spinner);
  BIND (event_label);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, activate_link_cb);
  gtk_widget_class_set_css_name (widget_class, "duetmessagerow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
duet_message_row_init (DuetMessageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  g_signal_connect (self, "notify::parent", G_CALLBACK (parent_notify_cb), NULL);
  /* Retry, Delete and Load are read without their mnemonic mark. */
  duet_a11y_name_internal_controls (GTK_WIDGET (self), NULL);
}
