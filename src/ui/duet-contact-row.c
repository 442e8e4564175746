/* duet-contact-row.c: one person, or one pending invite, in the contacts list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The row follows its DuetContact (or invite DuetRoom) through notify, so a
 * new message, a renamed partner or a read chat shows without rebinding.
 * Every text from the server goes through gtk_label_set_text: never markup.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "duet-a11y.h"
#include "duet-avatar.h"
#include "duet-avatar-loader.h"
#include "duet-contact-row.h"

struct _DuetContactRow
{
  AdwBin       parent_instance;

  /* Template widgets */
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

G_DEFINE_FINAL_TYPE (DuetContactRow, duet_contact_row, ADW_TYPE_BIN)

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
  gtk_widget_dispose_template (GTK_WIDGET (self), DUET_TYPE_CONTACT_ROW);

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

  g_type_ensure (DUET_TYPE_AVATAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/duet_chat/Duet/duet-contact-row.ui");
  gtk_widget_class_bind_template_child (widget_class, DuetContactRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, DuetContactRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, DuetContactRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, DuetContactRow, message_label);
  gtk_widget_class_bind_template_child (widget_class, DuetContactRow, badge_label);
}

static void
duet_contact_row_init (DuetContactRow *self)
{
  ensure_css ();
  gtk_widget_init_template (GTK_WIDGET (self));
}
