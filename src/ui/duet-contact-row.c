/* duet-contact-row.c: one person, or one pending invite, in the contacts list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The row follows its DuetContact (or invite DuetRoom) through notify, so a
 * new message, a renamed partner or a read chat shows without rebinding.
 * Every text from the server goes through gtk_label_set_text: never markup.
 *
 * A list of thousands keeps some 200 rows around what it shows, measures,
 * places and draws them every frame, and makes 130 to 200 of them for its
 * first frame: so a row is as few widgets as it can be.  Five children
 * (the avatar, name, time, message and unread badge) placed by the row
 * itself, without the four boxes a template would need:
 *
 *   [avatar]  name ...............  time
 *             message ..........  (badge)
 */
#include "config.h"

#include <glib/gi18n.h>

#include "duet-a11y.h"
#include "duet-avatar.h"
#include "duet-avatar-loader.h"
#include "duet-contact-row.h"

struct _DuetContactRow
{
  GtkWidget    parent_instance;

  /* Children */
  DuetAvatar  *avatar;
  GtkInscription *name_label;
  GtkLabel    *time_label;
  GtkInscription *message_label;
  GtkLabel    *badge_label;

  /* Owned references */
  DuetContact *contact;
  DuetRoom    *invite;
  DuetClient  *client;
};

G_DEFINE_FINAL_TYPE (DuetContactRow, duet_contact_row, GTK_TYPE_WIDGET)

/* Pixels: the avatar, the space after it, between the two lines, before
 * the time and the badge, and above and below the row. */
#define AVATAR_SIZE 40
#define AVATAR_SPACING 12
#define LINE_SPACING 2
#define END_SPACING 6
#define ROW_MARGIN 6

enum {
  PROP_0,
  PROP_CONTACT,
  PROP_INVITE,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A pill for the unread count; libadwaita 1.2 has no badge style. */
static const char badge_css[] =
  ".duet-unread-badge {"
  "  background-color: @accent_bg_color;"
  "  color: @accent_fg_color;"
  "  border-radius: 999px;"
  "  min-width: 12px;"
  "  padding: 1px 6px;"
  "  font-size: smaller;"
  "  font-weight: bold;"
  "}";

static void
ensure_css (void)
{
  static gboolean installed;
  GdkDisplay *display = gdk_display_get_default ();
  g_autoptr(GtkCssProvider) provider = NULL;

  if (installed || display == NULL)
    return;
  installed = TRUE;

  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (provider, badge_css, -1);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

char *
duet_contact_row_format_time (gint64     timestamp_ms,
                              GDateTime *now)
{
  GTimeZone *tz;
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) today = NULL;
  g_autoptr(GDateTime) when_day = NULL;
  GTimeSpan days;

  g_return_val_if_fail (now != NULL, NULL);

  if (timestamp_ms <= 0)
    return g_strdup ("");

  /* Every date in @now's zone: GLib 2.74 reads the local zone anew for
   * each g_date_time_new_*_local (), four times a row otherwise. */
  tz = g_date_time_get_timezone (now);
  utc = g_date_time_new_from_unix_utc (timestamp_ms / 1000);
  when = utc != NULL ? g_date_time_to_timezone (utc, tz) : NULL;
  if (when == NULL)
    return g_strdup ("");

  /* Count calendar days, not 24-hour spans: 23:59 yesterday is "Yesterday". */
  today = g_date_time_new (tz, g_date_time_get_year (now), g_date_time_get_month (now),
                           g_date_time_get_day_of_month (now), 0, 0, 0);
  when_day = g_date_time_new (tz, g_date_time_get_year (when), g_date_time_get_month (when),
                              g_date_time_get_day_of_month (when), 0, 0, 0);
  days = g_date_time_difference (today, when_day) / G_TIME_SPAN_DAY;

  /* A clock a little ahead of ours still reads as today. */
  if (days <= 0)
    /* Translators: the time of a message sent today, see strftime(3). */
    return g_date_time_format (when, _("%H:%M"));
  if (days == 1)
    return g_strdup (_("Yesterday"));
  if (days < 7)
    /* Translators: the weekday of a message sent this week, see strftime(3). */
    return g_date_time_format (when, _("%A"));
  if (g_date_time_get_year (when) == g_date_time_get_year (now))
    /* Translators: the date of a message sent this year, see strftime(3). */
    return g_date_time_format (when, _("%-d %b"));
  /* Translators: the date of an older message, see strftime(3). */
  return g_date_time_format (when, _("%-d %b %Y"));
}

const char *
duet_contact_row_inviter_name (DuetRoom *invite)
{
  const char *inviter;
  DuetMember *member;

  g_return_val_if_fail (DUET_IS_ROOM (invite), NULL);

  inviter = duet_room_get_inviter (invite);
  if (inviter == NULL)
    return duet_room_get_name (invite);

  member = duet_room_lookup_member (invite, inviter);
  if (member != NULL && duet_member_get_display_name (member) != NULL &&
      *duet_member_get_display_name (member) != '\0')
    return duet_member_get_display_name (member);
  return inviter;
}

static void
set_badge (DuetContactRow *self,
           const char     *text)
{
  gtk_label_set_text (self->badge_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->badge_label), text != NULL);
}

/* The local time, at most a second old.  Rows are bound a few at a time,
 * many times a second while scrolling, and GLib 2.74 stats the local zone
 * file for every g_date_time_new_now_local (): that was a sixth of a bind. */
static GDateTime *
now_local (void)
{
  static GDateTime *now;
  static gint64 taken_at;
  gint64 monotonic = g_get_monotonic_time ();

  if (now == NULL || monotonic - taken_at >= G_USEC_PER_SEC)
    {
      g_clear_pointer (&now, g_date_time_unref);
      now = g_date_time_new_now_local ();
      taken_at = monotonic;
    }
  return g_date_time_ref (now);
}

static void
update_contact_time (DuetContactRow *self)
{
  g_autoptr(GDateTime) now = now_local ();
  g_autofree char *time = duet_contact_row_format_time (duet_contact_get_last_activity (self->contact), now);

  gtk_label_set_text (self->time_label, time);
}

/* More characters than the widest list shows: a label measures and
 * ellipsizes all of its text, several times a bind, and binds come in
 * bursts while scrolling. */
#define MAX_SHOWN_MESSAGE_CHARS 100

static void
update_contact_message (DuetContactRow *self)
{
  const char *message = duet_contact_get_last_message (self->contact);
  g_autofree char *shortened = NULL;

  if (message != NULL && g_utf8_strlen (message, MAX_SHOWN_MESSAGE_CHARS * 4 + 4) > MAX_SHOWN_MESSAGE_CHARS)
    {
      g_autofree char *head = g_utf8_substring (message, 0, MAX_SHOWN_MESSAGE_CHARS);

      shortened = g_strconcat (head, "…", NULL);
    }
  gtk_inscription_set_text (self->message_label, shortened != NULL ? shortened : message != NULL ? message : "");
}

static void
update_contact_name (DuetContactRow *self)
{
  gtk_inscription_set_text (self->name_label, duet_contact_get_name (self->contact));
  duet_avatar_set_text (self->avatar, duet_contact_get_name (self->contact));
}

static void
update_contact_avatar (DuetContactRow *self)
{
  duet_avatar_loader_set_duet_avatar_lazily (self->avatar, self->client, duet_contact_get_avatar_url (self->contact));
}

/* The badge and what a screen reader says: name, unread count, message. */
static void
update_contact_summary (DuetContactRow *self)
{
  DuetContact *contact = self->contact;
  const char *message = duet_contact_get_last_message (contact);
  guint unread = duet_contact_get_unread_count (contact);
  g_autofree char *accessible = NULL;

  if (unread > 0)
    {
      g_autofree char *count = unread > 99 ? g_strdup ("99+") : g_strdup_printf ("%u", unread);

      set_badge (self, count);
      accessible = g_strdup_printf (ngettext ("%s, %u unread message", "%s, %u unread messages", unread),
                                    duet_contact_get_name (contact), unread);
    }
  else
    {
      set_badge (self, NULL);
      accessible = g_strdup (duet_contact_get_name (contact));
    }

  duet_a11y_label_list_row (GTK_WIDGET (self), accessible, message != NULL ? message : "");
}

static void
update_from_contact (DuetContactRow *self)
{
  update_contact_avatar (self);
  update_contact_name (self);
  update_contact_message (self);
  update_contact_time (self);
  update_contact_summary (self);
}

/* A new message notifies three properties at once: each redoes only its
 * part of the row, not the whole of it three times. */
static void
contact_notify_cb (DuetContactRow *self,
                   GParamSpec     *pspec,
                   DuetContact    *contact)
{
  const char *name = g_param_spec_get_name (pspec);

  if (contact != self->contact)
    return;
  if (g_str_equal (name, "name"))
    {
      update_contact_name (self);
      update_contact_summary (self);
    }
  else if (g_str_equal (name, "last-message"))
    {
      update_contact_message (self);
      update_contact_summary (self);
    }
  else if (g_str_equal (name, "unread-count"))
    update_contact_summary (self);
  else if (g_str_equal (name, "last-activity"))
    update_contact_time (self);
  else if (g_str_equal (name, "avatar-url"))
    update_contact_avatar (self);
}

static void
update_from_invite (DuetContactRow *self)
{
  DuetRoom *invite = self->invite;
  const char *name = duet_contact_row_inviter_name (invite);
  const char *inviter = duet_room_get_inviter (invite);
  DuetMember *member = inviter != NULL ? duet_room_lookup_member (invite, inviter) : NULL;
  g_autoptr(GDateTime) now = now_local ();
  g_autofree char *time = duet_contact_row_format_time (duet_room_get_last_activity (invite), now);
  g_autofree char *title = g_strdup_printf (_("Invitation from %s"), name);
  g_autofree char *subtitle = NULL;

  if (duet_room_get_invite_is_direct (invite))
    subtitle = g_strdup (_("Direct chat"));
  else
    subtitle = g_strdup_printf (_("Group: %s"), duet_room_get_name (invite));

  gtk_inscription_set_text (self->name_label, title);
  gtk_inscription_set_text (self->message_label, subtitle);
  gtk_label_set_text (self->time_label, time);
  duet_avatar_loader_set_duet_avatar_lazily (self->avatar, self->client,
                                             member != NULL ? duet_member_get_avatar_url (member) : NULL);
  duet_avatar_set_text (self->avatar, name);
  /* Translators: the badge on a pending invitation in the contacts list. */
  set_badge (self, C_("invite badge", "New"));

  duet_a11y_label_list_row (GTK_WIDGET (self), title, subtitle);
}

static void
update (DuetContactRow *self)
{
  if (self->contact != NULL)
    update_from_contact (self);
  else if (self->invite != NULL)
    update_from_invite (self);
  else
    {
      gtk_inscription_set_text (self->name_label, "");
      gtk_inscription_set_text (self->message_label, "");
      gtk_label_set_text (self->time_label, "");
      duet_avatar_set_text (self->avatar, NULL);
      duet_avatar_loader_set_duet_avatar (self->avatar, NULL, NULL);
      set_badge (self, NULL);
    }
}

static void
clear_items (DuetContactRow *self)
{
  if (self->contact != NULL)
    g_signal_handlers_disconnect_by_data (self->contact, self);
  if (self->invite != NULL)
    g_signal_handlers_disconnect_by_data (self->invite, self);
  g_clear_object (&self->contact);
  g_clear_object (&self->invite);
}

void
duet_contact_row_set_contact (DuetContactRow *self,
                              DuetContact    *contact)
{
  g_return_if_fail (DUET_IS_CONTACT_ROW (self));
  g_return_if_fail (contact == NULL || DUET_IS_CONTACT (contact));

  if (self->contact == contact)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  if (self->invite != NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INVITE]);
  clear_items (self);
  if (contact != NULL)
    {
      self->contact = g_object_ref (contact);
      g_signal_connect_swapped (contact, "notify", G_CALLBACK (contact_notify_cb), self);
    }
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTACT]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
duet_contact_row_set_invite (DuetContactRow *self,
                             DuetRoom       *invite)
{
  g_return_if_fail (DUET_IS_CONTACT_ROW (self));
  g_return_if_fail (invite == NULL || DUET_IS_ROOM (invite));

  if (self->invite == invite)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  if (self->contact != NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTACT]);
  clear_items (self);
  if (invite != NULL)
    {
      self->invite = g_object_ref (invite);
      g_signal_connect_swapped (invite, "notify", G_CALLBACK (update), self);
    }
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INVITE]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
duet_contact_row_set_client (DuetContactRow *self,
                             DuetClient     *client)
{
  g_return_if_fail (DUET_IS_CONTACT_ROW (self));

  if (g_set_object (&self->client, client))
    {
      update (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
    }
}

void
duet_contact_row_unbind (DuetContactRow *self)
{
  g_return_if_fail (DUET_IS_CONTACT_ROW (self));

  if (self->contact == NULL && self->invite == NULL)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  if (self->contact != NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTACT]);
  if (self->invite != NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INVITE]);
  clear_items (self);
  g_object_thaw_notify (G_OBJECT (self));
}

DuetContact *
duet_contact_row_get_contact (DuetContactRow *self)
{
  g_return_val_if_fail (DUET_IS_CONTACT_ROW (self), NULL);
  return self->contact;
}

DuetRoom *
duet_contact_row_get_invite (DuetContactRow *self)
{
  g_return_val_if_fail (DUET_IS_CONTACT_ROW (self), NULL);
  return self->invite;
}

GtkWidget *
duet_contact_row_new (void)
{
  return g_object_new (DUET_TYPE_CONTACT_ROW, NULL);
}

static void
duet_contact_row_dispose (GObject *object)
{
  DuetContactRow *self = DUET_CONTACT_ROW (object);

  clear_items (self);
  g_clear_object (&self->client);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  self->avatar = NULL;
  self->name_label = NULL;
  self->time_label = NULL;
  self->message_label = NULL;
  self->badge_label = NULL;

  G_OBJECT_CLASS (duet_contact_row_parent_class)->dispose (object);
}

static void
duet_contact_row_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  DuetContactRow *self = DUET_CONTACT_ROW (object);

  switch (prop_id)
    {
    case PROP_CONTACT:
      g_value_set_object (value, self->contact);
      break;
    case PROP_INVITE:
      g_value_set_object (value, self->invite);
      break;
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_contact_row_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  DuetContactRow *self = DUET_CONTACT_ROW (object);

  switch (prop_id)
    {
    case PROP_CONTACT:
      duet_contact_row_set_contact (self, g_value_get_object (value));
      break;
    case PROP_INVITE:
      duet_contact_row_set_invite (self, g_value_get_object (value));
      break;
    case PROP_CLIENT:
      duet_contact_row_set_client (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* --- Layout: what the four boxes of a template would do ------------------ */

typedef struct {
  int minimum;
  int natural;
} Size;

static Size
measure_child (GtkWidget      *child,
               GtkOrientation  orientation)
{
  Size size = { 0, 0 };

  if (gtk_widget_should_layout (child))
    gtk_widget_measure (child, orientation, -1, &size.minimum, &size.natural, NULL, NULL);
  return size;
}

/* The row's height never depends on its width: one line of each text. */
static void
duet_contact_row_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  DuetContactRow *self = DUET_CONTACT_ROW (widget);
  Size avatar = measure_child (GTK_WIDGET (self->avatar), orientation);
  Size name = measure_child (GTK_WIDGET (self->name_label), orientation);
  Size time = measure_child (GTK_WIDGET (self->time_label), orientation);
  Size message = measure_child (GTK_WIDGET (self->message_label), orientation);
  Size badge = measure_child (GTK_WIDGET (self->badge_label), orientation);
  gboolean has_badge = gtk_widget_should_layout (GTK_WIDGET (self->badge_label));

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      int badge_space = has_badge ? END_SPACING : 0;

      *minimum = avatar.minimum + AVATAR_SPACING +
                 MAX (name.minimum + END_SPACING + time.minimum, message.minimum + badge_space + badge.minimum);
      *natural = avatar.natural + AVATAR_SPACING +
                 MAX (name.natural + END_SPACING + time.natural, message.natural + badge_space + badge.natural);
    }
  else
    {
      *minimum = 2 * ROW_MARGIN + MAX (avatar.minimum, MAX (name.minimum, time.minimum) + LINE_SPACING +
                                                       MAX (message.minimum, badge.minimum));
      *natural = 2 * ROW_MARGIN + MAX (avatar.natural, MAX (name.natural, time.natural) + LINE_SPACING +
                                                       MAX (message.natural, badge.natural));
    }
}

/* Places @child at @x from the start edge of a row @row_width wide:
 * mirrored right to left. */
static void
place (DuetContactRow *self,
       int             row_width,
       GtkWidget      *child,
       int             x,
       int             y,
       int             width,
       int             height,
       int             baseline)
{
  if (gtk_widget_get_direction (GTK_WIDGET (self)) == GTK_TEXT_DIR_RTL)
    x = row_width - x - width;
  gtk_widget_size_allocate (child, &(GtkAllocation) { x, y, width, height }, baseline);
}

static void
duet_contact_row_size_allocate (GtkWidget *widget,
                                int        width,
                                int        height,
                                int        baseline)
{
  DuetContactRow *self = DUET_CONTACT_ROW (widget);
  GtkOrientation vertical = GTK_ORIENTATION_VERTICAL;
  GtkOrientation horizontal = GTK_ORIENTATION_HORIZONTAL;
  Size avatar = measure_child (GTK_WIDGET (self->avatar), horizontal);
  int avatar_height = measure_child (GTK_WIDGET (self->avatar), vertical).natural;
  int name_height = measure_child (GTK_WIDGET (self->name_label), vertical).natural;
  int time_height, time_minimum, time_baseline, first_baseline;
  int message_height = measure_child (GTK_WIDGET (self->message_label), vertical).natural;
  gboolean has_badge = gtk_widget_should_layout (GTK_WIDGET (self->badge_label));
  int badge_height = has_badge ? measure_child (GTK_WIDGET (self->badge_label), vertical).natural : 0;
  int first_height;
  int second_height, content_height, column_height, x, column_width, y;
  Size name, time;
  int time_width, name_width, badge_width = 0, message_width;

  gtk_widget_measure (GTK_WIDGET (self->time_label), vertical, -1, &time_minimum, &time_height,
                      &time_baseline, NULL);
  first_height = MAX (name_height, time_height);
  second_height = MAX (message_height, badge_height);
  content_height = height - 2 * ROW_MARGIN;
  column_height = first_height + LINE_SPACING + second_height;
  x = avatar.natural + AVATAR_SPACING;
  column_width = MAX (width - x, 0);
  y = ROW_MARGIN + MAX ((content_height - column_height) / 2, 0);
  name = measure_child (GTK_WIDGET (self->name_label), horizontal);
  time = measure_child (GTK_WIDGET (self->time_label), horizontal);
  time_width = MIN (time.natural, MAX (column_width - END_SPACING - name.minimum, time.minimum));
  name_width = MAX (column_width - END_SPACING - time_width, 0);
  /* The name and the time share a baseline, the time's centred in the line. */
  first_baseline = time_baseline >= 0 ? time_baseline + (first_height - time_minimum) / 2 : -1;

  place (self, width, GTK_WIDGET (self->avatar),
         0, ROW_MARGIN + MAX ((content_height - avatar_height) / 2, 0), avatar.natural, avatar_height, -1);

  place (self, width, GTK_WIDGET (self->name_label), x, y, name_width, first_height, first_baseline);
  place (self, width, GTK_WIDGET (self->time_label),
         x + name_width + END_SPACING, y, time_width, first_height, first_baseline);

  y += first_height + LINE_SPACING;
  if (has_badge)
    {
      Size badge = measure_child (GTK_WIDGET (self->badge_label), horizontal);

      badge_width = MIN (badge.natural, MAX (column_width - END_SPACING, badge.minimum));
      place (self, width, GTK_WIDGET (self->badge_label), x + column_width - badge_width,
             y + (second_height - badge_height) / 2, badge_width, badge_height, -1);
    }
  message_width = MAX (column_width - (has_badge ? badge_width + END_SPACING : 0), 0);
  place (self, width, GTK_WIDGET (self->message_label), x, y, message_width, second_height, -1);
}

static void
duet_contact_row_class_init (DuetContactRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = duet_contact_row_dispose;
  object_class->get_property = duet_contact_row_get_property;
  object_class->set_property = duet_contact_row_set_property;

  properties[PROP_CONTACT] =
    g_param_spec_object ("contact", NULL, NULL, DUET_TYPE_CONTACT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INVITE] =
    g_param_spec_object ("invite", NULL, NULL, DUET_TYPE_ROOM,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, DUET_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  widget_class->measure = duet_contact_row_measure;
  widget_class->size_allocate = duet_contact_row_size_allocate;
}

/* Makes @child the row's last child, with the CSS classes listed. */
static GtkWidget *
append_child (DuetContactRow *self,
              GtkWidget      *child,
              const char     *css_class,
              ...)
{
  va_list classes;

  gtk_widget_set_parent (child, GTK_WIDGET (self));
  va_start (classes, css_class);
  for (const char *name = css_class; name != NULL; name = va_arg (classes, const char *))
    gtk_widget_add_css_class (child, name);
  va_end (classes);
  return child;
}

static GtkWidget *
new_inscription (void)
{
  return g_object_new (GTK_TYPE_INSCRIPTION,
                       "xalign", 0.f,
                       "min-chars", 1,
                       "text-overflow", GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END,
                       NULL);
}

static void
duet_contact_row_init (DuetContactRow *self)
{
  ensure_css ();

  self->avatar = DUET_AVATAR (duet_avatar_new (AVATAR_SIZE));
  gtk_widget_set_parent (GTK_WIDGET (self->avatar), GTK_WIDGET (self));
  self->name_label = GTK_INSCRIPTION (append_child (self, new_inscription (), "heading", NULL));
  self->time_label = GTK_LABEL (append_child (self, gtk_label_new (NULL), "caption", "dim-label", "numeric", NULL));
  gtk_label_set_xalign (self->time_label, 1);
  gtk_widget_set_valign (GTK_WIDGET (self->time_label), GTK_ALIGN_BASELINE);
  self->message_label = GTK_INSCRIPTION (append_child (self, new_inscription (), "dim-label", NULL));
  self->badge_label = GTK_LABEL (append_child (self, gtk_label_new (NULL), "duet-unread-badge", "numeric", NULL));
  gtk_widget_set_visible (GTK_WIDGET (self->badge_label), FALSE);
}
