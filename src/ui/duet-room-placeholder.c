/* duet-room-placeholder.c: where a conversation will be shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Stands in for the chat view until it exists: the room's name, and a
 * plain word that messages come later.  Without a room it invites the
 * user to pick someone.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "duet-room-placeholder.h"

struct _DuetRoomPlaceholder
{
  AdwBin         parent_instance;

  /* Template widgets */
  AdwStatusPage *status_page;

  /* Owned references */
  DuetRoom      *room;
  GSignalGroup  *room_signals;
};

G_DEFINE_FINAL_TYPE (DuetRoomPlaceholder, duet_room_placeholder, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_ROOM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update (DuetRoomPlaceholder *self)
{
  if (self->room == NULL)
    {
      adw_status_page_set_icon_name (self->status_page, "chat-message-new-symbolic");
      adw_status_page_set_title (self->status_page, _("No Conversation Selected"));
      adw_status_page_set_description (self->status_page,
                                       _("Choose someone from your contacts, or start a new chat with Ctrl+N"));
      return;
    }

  /* The name is server text: AdwStatusPage shows titles as plain text. */
  adw_status_page_set_icon_name (self->status_page, "avatar-default-symbolic");
  adw_status_page_set_title (self->status_page, duet_room_get_name (self->room));
  adw_status_page_set_description (self->status_page,
                                   _("The conversation view arrives in a later version"));
}

DuetRoom *
duet_room_placeholder_get_room (DuetRoomPlaceholder *self)
{
  g_return_val_if_fail (DUET_IS_ROOM_PLACEHOLDER (self), NULL);

  return self->room;
}

void
duet_room_placeholder_set_room (DuetRoomPlaceholder *self,
                                DuetRoom            *room)
{
  g_return_if_fail (DUET_IS_ROOM_PLACEHOLDER (self));
  g_return_if_fail (room == NULL || DUET_IS_ROOM (room));

  if (!g_set_object (&self->room, room))
    return;

  g_signal_group_set_target (self->room_signals, room);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOM]);
}

GtkWidget *
duet_room_placeholder_new (void)
{
  return g_object_new (DUET_TYPE_ROOM_PLACEHOLDER, NULL);
}

static void
duet_room_placeholder_dispose (GObject *object)
{
  DuetRoomPlaceholder *self = DUET_ROOM_PLACEHOLDER (object);

  g_clear_object (&self->room_signals);
  g_clear_object (&self->room);

  G_OBJECT_CLASS (duet_room_placeholder_parent_class)->dispose (object);
}

static void
duet_room_placeholder_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  DuetRoomPlaceholder *self = DUET_ROOM_PLACEHOLDER (object);

  switch (prop_id)
    {
    case PROP_ROOM:
      g_value_set_object (value, self->room);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_room_placeholder_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  DuetRoomPlaceholder *self = DUET_ROOM_PLACEHOLDER (object);

  switch (prop_id)
    {
    case PROP_ROOM:
      duet_room_placeholder_set_room (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_room_placeholder_class_init (DuetRoomPlaceholderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = duet_room_placeholder_dispose;
  object_class->get_property = duet_room_placeholder_get_property;
  object_class->set_property = duet_room_placeholder_set_property;

  properties[PROP_ROOM] =
    g_param_spec_object ("room", NULL, NULL, DUET_TYPE_ROOM,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/duet_chat/Duet/duet-room-placeholder.ui");
  gtk_widget_class_bind_template_child (widget_class, DuetRoomPlaceholder, status_page);
}

static void
duet_room_placeholder_init (DuetRoomPlaceholder *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* A renamed room renames the page. */
  self->room_signals = g_signal_group_new (DUET_TYPE_ROOM);
  g_signal_group_connect_swapped (self->room_signals, "notify::name", G_CALLBACK (update), self);
  update (self);
}
