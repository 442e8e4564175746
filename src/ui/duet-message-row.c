/* duet-message-row.c: one item of a chat's timeline, drawn
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One widget for every kind of item (message, day separator, gap, room
 * event).  The timeline list makes a row once for its item and keeps it,
 * so a row builds only the widgets its item shows: a day separator is one
 * label, a plain message six widgets.  A reply quote, a file card, the
 * "edited" tag, the send state, the failed-send buttons and the reactions
 * are made the first time the item has them.  Making and measuring a row
 * is what a scrolling frame pays for a row coming into view.
 *
 * The row follows its item through notify, so an edit, a redaction, a
 * reaction or a send state change shows without rebinding.  Server text
 * only reaches labels as plain text, or as the markup the timeline built
 * from escaped text.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "duet-a11y.h"
#include "duet-avatar-loader.h"
#include "duet-message-row.h"
#include "duet-message-row-private.h"

struct _DuetMessageRow
{
  AdwBin            parent_instance;

  /* The widgets of the item's kind; NULL until shown once. */
  DuetTimelineItemKind kind;
  gboolean          built;
  GtkWidget        *message_box;
  AdwAvatar        *avatar;
  GtkWidget        *column;
  GtkLabel         *sender_label;
  GtkWidget        *bubble;
  GtkWidget        *reply_box;
  GtkLabel         *reply_sender_label;
  GtkLabel         *reply_body_label;
  GtkLabel         *body_label;
  GtkWidget        *file_button;
  GtkImage         *file_icon;
  GtkLabel         *file_name_label;
  GtkLabel         *file_size_label;
  GtkWidget        *meta_box;
  GtkWidget        *edited_label;
  GtkLabel         *time_label;
  GtkImage         *state_icon;
  GtkWidget        *failed_box;
  GtkLabel         *failed_label;
  GtkWidget        *retry_button;
  GtkWidget        *delete_button;
  GtkWidget        *reactions_box;
  GtkLabel         *day_label;
  GtkWidget        *gap_box;
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

static gboolean activate_link_cb (DuetMessageRow *self,
                                  const char     *uri,
                                  GtkLabel       *label);

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

/* --- Building the row ----------------------------------------------------- */

static GtkWidget *
label_new (const char *const *css_classes)
{
  return g_object_new (GTK_TYPE_LABEL, "xalign", 0.0f, "css-classes", css_classes, NULL);
}

/* Widgets made on demand go where the template order puts them: after
 * the nearest earlier part that exists, else first. */
static void
insert_part (GtkWidget *box,
             GtkWidget *part,
             GtkWidget *after)
{
  if (after != NULL)
    gtk_box_insert_child_after (GTK_BOX (box), part, after);
  else
    gtk_box_prepend (GTK_BOX (box), part);
}

static void
build_message (DuetMessageRow *self)
{
  self->message_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);

  self->column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_hexpand (self->column, TRUE);
  gtk_box_append (GTK_BOX (self->message_box), self->column);

  self->bubble = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_add_css_class (self->bubble, "duet-bubble");
  gtk_box_append (GTK_BOX (self->column), self->bubble);

  self->meta_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  gtk_widget_set_halign (self->meta_box, GTK_ALIGN_END);
  gtk_box_append (GTK_BOX (self->bubble), self->meta_box);

  self->time_label = GTK_LABEL (label_new ((const char *[]) { "caption", "dim-label", "numeric", NULL }));
  gtk_label_set_xalign (self->time_label, 0.5f);
  gtk_box_append (GTK_BOX (self->meta_box), GTK_WIDGET (self->time_label));

  adw_bin_set_child (ADW_BIN (self), self->message_box);
}

static void
ensure_avatar (DuetMessageRow *self)
{
  if (self->avatar != NULL)
    return;
  self->avatar = ADW_AVATAR (adw_avatar_new (32, NULL, TRUE));
  gtk_widget_set_valign (GTK_WIDGET (self->avatar), GTK_ALIGN_START);
  gtk_widget_set_margin_top (GTK_WIDGET (self->avatar), 2);
  gtk_box_prepend (GTK_BOX (self->message_box), GTK_WIDGET (self->avatar));
}

static void
ensure_sender_label (DuetMessageRow *self)
{
  if (self->sender_label != NULL)
    return;
  self->sender_label = GTK_LABEL (label_new ((const char *[]) { "caption-heading", "duet-sender-name", NULL }));
  gtk_label_set_ellipsize (self->sender_label, PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (self->sender_label, TRUE);
  gtk_widget_set_margin_start (GTK_WIDGET (self->sender_label), 4);
  gtk_box_prepend (GTK_BOX (self->column), GTK_WIDGET (self->sender_label));
}

static void
ensure_reply_box (DuetMessageRow *self)
{
  if (self->reply_box != NULL)
    return;
  self->reply_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_add_css_class (self->reply_box, "duet-reply-quote");
  self->reply_sender_label = GTK_LABEL (label_new ((const char *[]) { "caption-heading", NULL }));
  gtk_label_set_ellipsize (self->reply_sender_label, PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (self->reply_sender_label, TRUE);
  gtk_box_append (GTK_BOX (self->reply_box), GTK_WIDGET (self->reply_sender_label));
  self->reply_body_label = GTK_LABEL (label_new ((const char *[]) { "caption", "dim-label", NULL }));
  gtk_label_set_ellipsize (self->reply_body_label, PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (self->reply_body_label, TRUE);
  gtk_label_set_max_width_chars (self->reply_body_label, 60);
  gtk_box_append (GTK_BOX (self->reply_box), GTK_WIDGET (self->reply_body_label));
  gtk_box_prepend (GTK_BOX (self->bubble), self->reply_box);
}

static void
ensure_body_label (DuetMessageRow *self)
{
  if (self->body_label != NULL)
    return;
  self->body_label = GTK_LABEL (label_new ((const char *[]) { "duet-body", NULL }));
  gtk_label_set_wrap (self->body_label, TRUE);
  gtk_label_set_wrap_mode (self->body_label, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (self->body_label, 60);
  gtk_label_set_width_chars (self->body_label, 16);
  g_signal_connect_swapped (self->body_label, "activate-link", G_CALLBACK (activate_link_cb), self);
  insert_part (self->bubble, GTK_WIDGET (self->body_label), self->reply_box);
}

static void
ensure_file_button (DuetMessageRow *self)
{
  GtkWidget *box, *column, *download;

  if (self->file_button != NULL)
    return;
  self->file_button = gtk_button_new ();
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->file_button), "row.download");
  gtk_widget_add_css_class (self->file_button, "duet-file-card");

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  self->file_icon = GTK_IMAGE (gtk_image_new_from_icon_name ("mail-attachment-symbolic"));
  gtk_image_set_pixel_size (self->file_icon, 24);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->file_icon));

  column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_valign (column, GTK_ALIGN_CENTER);
  self->file_name_label = GTK_LABEL (label_new ((const char *[]) { "heading", NULL }));
  gtk_label_set_ellipsize (self->file_name_label, PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (self->file_name_label, 32);
  gtk_box_append (GTK_BOX (column), GTK_WIDGET (self->file_name_label));
  self->file_size_label = GTK_LABEL (label_new ((const char *[]) { "caption", "dim-label", NULL }));
  gtk_box_append (GTK_BOX (column), GTK_WIDGET (self->file_size_label));
  gtk_box_append (GTK_BOX (box), column);

  download = gtk_image_new_from_icon_name ("folder-download-symbolic");
  gtk_widget_set_margin_start (download, 6);
  gtk_box_append (GTK_BOX (box), download);
  gtk_button_set_child (GTK_BUTTON (self->file_button), box);

  insert_part (self->bubble, self->file_button,
               self->body_label != NULL ? GTK_WIDGET (self->body_label) : self->reply_box);
}

static void
ensure_edited_label (DuetMessageRow *self)
{
  if (self->edited_label != NULL)
    return;
  /* Translators: a tag on a message that was changed after sending */
  self->edited_label = gtk_label_new (_("edited"));
  gtk_widget_set_css_classes (self->edited_label, (const char *[]) { "caption", "dim-label", NULL });
  gtk_box_prepend (GTK_BOX (self->meta_box), self->edited_label);
}

static void
ensure_state_icon (DuetMessageRow *self)
{
  if (self->state_icon != NULL)
    return;
  self->state_icon = GTK_IMAGE (gtk_image_new ());
  gtk_image_set_pixel_size (self->state_icon, 12);
  gtk_widget_add_css_class (GTK_WIDGET (self->state_icon), "dim-label");
  gtk_box_append (GTK_BOX (self->meta_box), GTK_WIDGET (self->state_icon));
}

static GtkWidget *
small_button_new (const char *label,
                  const char *action_name)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action_name);
  gtk_widget_add_css_class (button, "small");
  return button;
}

static void
ensure_failed_box (DuetMessageRow *self)
{
  if (self->failed_box != NULL)
    return;
  self->failed_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_halign (self->failed_box, GTK_ALIGN_END);
  self->failed_label = GTK_LABEL (label_new ((const char *[]) { "caption", "error", NULL }));
  gtk_label_set_wrap (self->failed_label, TRUE);
  gtk_label_set_xalign (self->failed_label, 1.0f);
  gtk_box_append (GTK_BOX (self->failed_box), GTK_WIDGET (self->failed_label));
  self->retry_button = small_button_new (_("_Retry"), "row.retry");
  gtk_box_append (GTK_BOX (self->failed_box), self->retry_button);
  self->delete_button = small_button_new (_("_Delete"), "row.delete");
  gtk_box_append (GTK_BOX (self->failed_box), self->delete_button);
  insert_part (self->column, self->failed_box, self->bubble);
  /* Retry and Delete are read without their mnemonic mark. */
  duet_a11y_name_internal_controls (self->failed_box, NULL);
}

static void
ensure_reactions_box (DuetMessageRow *self)
{
  if (self->reactions_box != NULL)
    return;
  self->reactions_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  gtk_box_append (GTK_BOX (self->column), self->reactions_box);
}

static void
build_gap (DuetMessageRow *self)
{
  GtkWidget *label, *button;

  self->gap_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (self->gap_box, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (self->gap_box, 8);
  gtk_widget_set_margin_bottom (self->gap_box, 8);
  gtk_widget_add_css_class (self->gap_box, "duet-gap");

  label = gtk_label_new (_("History missing"));
  gtk_widget_add_css_class (label, "dim-label");
  gtk_box_append (GTK_BOX (self->gap_box), label);

  self->gap_stack = GTK_STACK (gtk_stack_new ());
  button = gtk_button_new_with_mnemonic (_("_Load"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "row.fill-gap");
  gtk_widget_set_css_classes (button, (const char *[]) { "pill", "small", NULL });
  gtk_stack_add_named (self->gap_stack, button, "button");
  self->gap_spinner = GTK_SPINNER (gtk_spinner_new ());
  gtk_widget_set_halign (GTK_WIDGET (self->gap_spinner), GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->gap_spinner),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Loading history"), -1);
  gtk_stack_add_named (self->gap_stack, GTK_WIDGET (self->gap_spinner), "spinner");
  gtk_stack_set_visible_child_name (self->gap_stack, "button");
  gtk_box_append (GTK_BOX (self->gap_box), GTK_WIDGET (self->gap_stack));

  adw_bin_set_child (ADW_BIN (self), self->gap_box);
  /* Load is read without its mnemonic mark. */
  duet_a11y_name_internal_controls (self->gap_box, NULL);
}

static void
build_day (DuetMessageRow *self)
{
  self->day_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_css_classes (GTK_WIDGET (self->day_label),
                              (const char *[]) { "duet-day-separator", "caption-heading", NULL });
  gtk_widget_set_halign (GTK_WIDGET (self->day_label), GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (GTK_WIDGET (self->day_label), 12);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->day_label), 6);
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->day_label));
}

static void
build_event (DuetMessageRow *self)
{
  self->event_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_css_classes (GTK_WIDGET (self->event_label), (const char *[]) { "caption", "dim-label", NULL });
  gtk_widget_set_halign (GTK_WIDGET (self->event_label), GTK_ALIGN_CENTER);
  gtk_label_set_justify (self->event_label, GTK_JUSTIFY_CENTER);
  gtk_label_set_wrap (self->event_label, TRUE);
  gtk_label_set_wrap_mode (self->event_label, PANGO_WRAP_WORD_CHAR);
  gtk_widget_set_margin_top (GTK_WIDGET (self->event_label), 4);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->event_label), 4);
  gtk_widget_set_margin_start (GTK_WIDGET (self->event_label), 24);
  gtk_widget_set_margin_end (GTK_WIDGET (self->event_label), 24);
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->event_label));
}

/* Drops the widgets of the last kind shown (a row given an item of
 * another kind). */
static void
clear_parts (DuetMessageRow *self)
{
  adw_bin_set_child (ADW_BIN (self), NULL);
  self->message_box = self->column = self->bubble = self->reply_box = NULL;
  self->file_button = self->meta_box = self->edited_label = self->failed_box = NULL;
  self->retry_button = self->delete_button = self->reactions_box = self->gap_box = NULL;
  self->avatar = NULL;
  self->sender_label = self->reply_sender_label = self->reply_body_label = self->body_label = NULL;
  self->file_name_label = self->file_size_label = self->time_label = self->failed_label = NULL;
  self->day_label = self->event_label = NULL;
  self->file_icon = self->state_icon = NULL;
  self->gap_stack = NULL;
  self->gap_spinner = NULL;
  self->built = FALSE;
}

static void
build (DuetMessageRow       *self,
       DuetTimelineItemKind  kind)
{
  if (self->built && self->kind == kind)
    return;
  clear_parts (self);
  self->kind = kind;
  self->built = TRUE;
  switch (kind)
    {
    case DUET_TIMELINE_ITEM_MESSAGE:
      build_message (self);
      break;
    case DUET_TIMELINE_ITEM_DAY:
      build_day (self);
      break;
    case DUET_TIMELINE_ITEM_GAP:
      build_gap (self);
      break;
    case DUET_TIMELINE_ITEM_EVENT:
    default:
      build_event (self);
      break;
    }
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

/* Hides @widget if it exists; it is only made to be shown. */
static void
hide_part (gpointer widget)
{
  if (widget != NULL)
    gtk_widget_set_visible (GTK_WIDGET (widget), FALSE);
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
update_reactions (DuetMessageRow *self,
                  gboolean        own)
{
  GPtrArray *reactions = duet_timeline_item_get_reactions (self->item);
  GtkWidget *child;

  if (reactions == NULL || reactions->len == 0)
    {
      hide_part (self->reactions_box);
      return;
    }

  ensure_reactions_box (self);
  gtk_widget_set_halign (self->reactions_box, own ? GTK_ALIGN_END : GTK_ALIGN_START);
  while ((child = gtk_widget_get_first_child (self->reactions_box)) != NULL)
    gtk_box_remove (GTK_BOX (self->reactions_box), child);

  for (guint i = 0; i < reactions->len && i < 20; i++)
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
      gtk_box_append (GTK_BOX (self->reactions_box), label);
    }
  gtk_widget_set_visible (self->reactions_box, TRUE);
}

static void
update_send_state (DuetMessageRow *self)
{
  DuetOutgoingState state = duet_timeline_item_get_send_state (self->item);
  gboolean pending = state == DUET_OUTGOING_QUEUED || state == DUET_OUTGOING_SENDING;
  gboolean failed = state == DUET_OUTGOING_FAILED;

  set_css_class (self->bubble, "duet-sending", pending);
  set_css_class (self->bubble, "duet-failed", failed);
  if (pending || failed)
    {
      ensure_state_icon (self);
      gtk_widget_set_visible (GTK_WIDGET (self->state_icon), TRUE);
    }
  else
    hide_part (self->state_icon);
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

  if (failed)
    {
      const char *reason = self->outgoing != NULL ? duet_outgoing_get_error_message (self->outgoing) : NULL;
      g_autofree char *text = reason != NULL && *reason != '\0'
                              ? g_strdup_printf (_("Not sent: %s"), reason)
                              : g_strdup (_("Not sent"));

      ensure_failed_box (self);
      gtk_label_set_text (self->failed_label, text);
      gtk_widget_set_visible (self->failed_box, TRUE);
    }
  else
    hide_part (self->failed_box);
}

static void
update_file (DuetMessageRow  *self,
             DuetMessageKind  kind)
{
  gint64 size = duet_timeline_item_get_file_size (self->item);
  const char *name = duet_timeline_item_get_file_name (self->item);
  g_autofree char *size_text = size >= 0 ? g_format_size ((guint64) size) : g_strdup (_("Unknown size"));
  g_autofree char *accessible = NULL;

  ensure_file_button (self);
  gtk_widget_set_visible (self->file_button, TRUE);
  if (name == NULL || *name == '\0')
    name = kind == DUET_MESSAGE_IMAGE ? _("Image") : _("File");
  gtk_image_set_from_icon_name (self->file_icon, kind == DUET_MESSAGE_IMAGE
                                                 ? "image-x-generic-symbolic"
                                                 : "mail-attachment-symbolic");
  gtk_label_set_text (self->file_name_label, name);
  gtk_label_set_text (self->file_size_label, size_text);
  accessible = g_strdup_printf (_("Download %s, %s"), name, size_text);
  gtk_widget_set_tooltip_text (self->file_button, _("Save to a file"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->file_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.download",
                                 duet_timeline_item_get_media_url (self->item) != NULL);
}

static void
update_body (DuetMessageRow *self)
{
  DuetMessageKind kind = duet_timeline_item_get_message_kind (self->item);
  const char *markup = duet_timeline_item_get_markup (self->item);
  const char *body = duet_timeline_item_get_body (self->item);
  const char *reply_body = duet_timeline_item_get_reply_body (self->item);
  gboolean dim = kind == DUET_MESSAGE_ENCRYPTED || kind == DUET_MESSAGE_REDACTED;
  gboolean file = kind == DUET_MESSAGE_IMAGE || kind == DUET_MESSAGE_FILE;

  set_css_class (self->bubble, "duet-notice", kind == DUET_MESSAGE_NOTICE);
  set_css_class (self->bubble, "duet-emote", kind == DUET_MESSAGE_EMOTE);
  set_css_class (self->bubble, "duet-media", file);

  /* The quote first: the parts after it are placed after it. */
  if (reply_body != NULL)
    {
      const char *reply_sender = duet_timeline_item_get_reply_sender_name (self->item);

      ensure_reply_box (self);
      gtk_label_set_text (self->reply_sender_label, reply_sender != NULL ? reply_sender : "");
      gtk_widget_set_visible (GTK_WIDGET (self->reply_sender_label), reply_sender != NULL);
      gtk_label_set_text (self->reply_body_label, reply_body);
      gtk_widget_set_visible (self->reply_box, TRUE);
    }
  else
    hide_part (self->reply_box);

  if (file)
    {
      hide_part (self->body_label);
      if (self->body_label != NULL)
        gtk_label_set_selectable (self->body_label, FALSE);
      update_file (self, kind);
    }
  else
    {
      hide_part (self->file_button);
      ensure_body_label (self);
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
      else
        gtk_label_set_markup (self->body_label, markup != NULL ? markup : "");
      gtk_widget_set_visible (GTK_WIDGET (self->body_label), TRUE);
      gtk_label_set_selectable (self->body_label, TRUE);
    }

  if (duet_timeline_item_get_edited (self->item))
    {
      ensure_edited_label (self);
      gtk_widget_set_visible (self->edited_label, TRUE);
    }
  else
    hide_part (self->edited_label);
}

static void
update_message (DuetMessageRow *self)
{
  DuetTimelineItem *item = self->item;
  gboolean own = duet_timeline_item_is_own (item);
  gboolean group_start = duet_timeline_item_get_group_start (item);
  gboolean with_avatar = self->show_sender && !own;
  const char *name = duet_timeline_item_get_sender_name (item);
  g_autofree char *time = duet_message_row_format_time (duet_timeline_item_get_timestamp (item));
  g_autofree char *full_time = duet_message_row_format_full_time (duet_timeline_item_get_timestamp (item));
  g_autofree char *accessible = NULL;

  set_css_class (self->message_box, "own", own);
  set_css_class (self->message_box, "group-start", group_start);
  gtk_widget_set_margin_top (self->message_box, group_start ? 8 : 1);
  gtk_widget_set_halign (self->bubble, own ? GTK_ALIGN_END : GTK_ALIGN_START);
  gtk_widget_set_margin_start (self->message_box, own ? 48 : 12);
  gtk_widget_set_margin_end (self->message_box, own ? 12 : 48);

  /* Names and avatars only tell people apart when there are more than two;
   * a run's later messages keep the avatar's room so the text lines up. */
  if (with_avatar)
    {
      ensure_avatar (self);
      gtk_widget_set_visible (GTK_WIDGET (self->avatar), TRUE);
      gtk_widget_set_opacity (GTK_WIDGET (self->avatar), group_start ? 1.0 : 0.0);
    }
  else
    hide_part (self->avatar);
  if (with_avatar && group_start)
    {
      DuetClient *client = NULL;

      if (self->timeline != NULL)
        client = duet_session_get_client (duet_timeline_get_session (self->timeline));
      ensure_sender_label (self);
      gtk_label_set_text (self->sender_label, name != NULL ? name : "");
      gtk_widget_set_visible (GTK_WIDGET (self->sender_label), TRUE);
      adw_avatar_set_text (self->avatar, name);
      duet_avatar_loader_set_avatar (self->avatar, client, duet_timeline_item_get_sender_avatar (item));
    }
  else
    hide_part (self->sender_label);

  gtk_label_set_text (self->time_label, time);
  gtk_widget_set_tooltip_text (self->bubble, full_time);

  update_body (self);
  update_reactions (self, own);
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

  build (self, duet_timeline_item_get_kind (self->item));
  switch (self->kind)
    {
    case DUET_TIMELINE_ITEM_MESSAGE:
      update_message (self);
      break;

    case DUET_TIMELINE_ITEM_DAY:
      {
        g_autoptr(GDateTime) now = g_date_time_new_now_local ();
        g_autofree char *day = duet_message_row_format_day (duet_timeline_item_get_timestamp (self->item), now);

        gtk_label_set_text (self->day_label, day);
        gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, day, -1);
      }
      break;

    case DUET_TIMELINE_ITEM_GAP:
      gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("History missing"), -1);
      break;

    case DUET_TIMELINE_ITEM_EVENT:
    default:
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

/* A row in a list view names the list's row that holds it too, which it
 * can do only once it has a parent (duet_a11y_label_list_row()). */
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
  if (data->row != NULL && data->row->gap_stack != NULL)
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

  if (self->timeline == NULL || self->item == NULL || self->gap_stack == NULL)
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

  /* A row given another item forgets the last one's gap fill spinner. */
  if (self->gap_stack != NULL)
    {
      gtk_spinner_stop (self->gap_spinner);
      gtk_stack_set_visible_child_name (self->gap_stack, "button");
    }

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

GtkWidget *
duet_message_row_get_part (DuetMessageRow *self,
                           const char     *name)
{
  const struct { const char *name; gpointer widget; } parts[] = {
    { "message_box", self->message_box }, { "avatar", self->avatar }, { "column", self->column },
    { "sender_label", self->sender_label }, { "bubble", self->bubble },
    { "reply_box", self->reply_box }, { "reply_sender_label", self->reply_sender_label },
    { "reply_body_label", self->reply_body_label }, { "body_label", self->body_label },
    { "file_button", self->file_button }, { "file_name_label", self->file_name_label },
    { "file_size_label", self->file_size_label }, { "edited_label", self->edited_label },
    { "time_label", self->time_label }, { "state_icon", self->state_icon },
    { "failed_box", self->failed_box }, { "failed_label", self->failed_label },
    { "retry_button", self->retry_button }, { "delete_button", self->delete_button },
    { "reactions_box", self->reactions_box }, { "day_label", self->day_label },
    { "meta_box", self->meta_box }, { "gap_box", self->gap_box }, { "event_label", self->event_label },
  };

  g_return_val_if_fail (DUET_IS_MESSAGE_ROW (self), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    if (g_str_equal (parts[i].name, name))
      return parts[i].widget;
  g_return_val_if_reached (NULL);
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

  gtk_widget_class_set_css_name (widget_class, "duetmessagerow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
duet_message_row_init (DuetMessageRow *self)
{
  self->cancellable = g_cancellable_new ();
  g_signal_connect (self, "notify::parent", G_CALLBACK (parent_notify_cb), NULL);
}
