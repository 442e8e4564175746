/* duet-contact.c: a person we have a direct chat with
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A plain value object: the contact list decides which room is this
 * person's DM and what to call them, and pushes it here.  The contact
 * holds its room; rooms never point back, so there is no cycle.
 */
#include "config.h"

#include "duet-contact-private.h"
#include "duet-text.h"

struct _DuetContact
{
  GObject    parent_instance;

  char      *user_id;
  char      *name;
  char      *avatar_url;
  char      *last_message;
  gint64     last_activity;
  guint      unread_count;
  DuetRoom  *room;
};

G_DEFINE_FINAL_TYPE (DuetContact, duet_contact, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_USER_ID,
  PROP_NAME,
  PROP_AVATAR_URL,
  PROP_LAST_MESSAGE,
  PROP_LAST_ACTIVITY,
  PROP_UNREAD_COUNT,
  PROP_ROOM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
duet_contact_finalize (GObject *object)
{
  DuetContact *self = DUET_CONTACT (object);

  g_clear_pointer (&self->user_id, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->avatar_url, g_free);
  g_clear_pointer (&self->last_message, g_free);
  g_clear_object (&self->room);

  G_OBJECT_CLASS (duet_contact_parent_class)->finalize (object);
}

static void
duet_contact_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  DuetContact *self = DUET_CONTACT (object);

  switch (prop_id)
    {
    case PROP_USER_ID:
      g_value_set_string (value, self->user_id);
      break;
    case PROP_NAME:
      g_value_set_string (value, duet_contact_get_name (self));
      break;
    case PROP_AVATAR_URL:
      g_value_set_string (value, self->avatar_url);
      break;
    case PROP_LAST_MESSAGE:
      g_value_set_string (value, self->last_message);
      break;
    case PROP_LAST_ACTIVITY:
      g_value_set_int64 (value, self->last_activity);
      break;
    case PROP_UNREAD_COUNT:
      g_value_set_uint (value, self->unread_count);
      break;
    case PROP_ROOM:
      g_value_set_object (value, self->room);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_contact_class_init (DuetContactClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = duet_contact_finalize;
  object_class->get_property = duet_contact_get_property;

  properties[PROP_USER_ID] = g_param_spec_string ("user-id", NULL, NULL, NULL, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_AVATAR_URL] = g_param_spec_string ("avatar-url", NULL, NULL, NULL, flags);
  properties[PROP_LAST_MESSAGE] = g_param_spec_string ("last-message", NULL, NULL, NULL, flags);
  properties[PROP_LAST_ACTIVITY] =
    g_param_spec_int64 ("last-activity", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_UNREAD_COUNT] =
    g_param_spec_uint ("unread-count", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_ROOM] = g_param_spec_object ("room", NULL, NULL, DUET_TYPE_ROOM, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
duet_contact_init (DuetContact *self)
{
}

DuetContact *
_duet_contact_new (const char *user_id)
{
  DuetContact *self;

  g_return_val_if_fail (user_id != NULL, NULL);

  self = g_object_new (DUET_TYPE_CONTACT, NULL);
  self->user_id = g_strdup (user_id);
  return self;
}

static void
set_string_prop (DuetContact  *self,
                 char        **field,
                 const char   *value,
                 guint         prop)
{
  if (duet_text_set (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
_duet_contact_update (DuetContact *self,
                      DuetRoom    *room,
                      const char  *name,
                      const char  *avatar_url)
{
  gint64 last_activity = room ? duet_room_get_last_activity (room) : 0;
  guint unread_count = room ? duet_room_get_unread_count (room) : 0;

  g_return_if_fail (DUET_IS_CONTACT (self));
  g_return_if_fail (room == NULL || DUET_IS_ROOM (room));

  g_object_freeze_notify (G_OBJECT (self));

  if (g_set_object (&self->room, room))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOM]);
  set_string_prop (self, &self->name, name, PROP_NAME);
  set_string_prop (self, &self->avatar_url, avatar_url, PROP_AVATAR_URL);
  set_string_prop (self, &self->last_message, room ? duet_room_get_last_message (room) : NULL,
                   PROP_LAST_MESSAGE);
  if (self->last_activity != last_activity)
    {
      self->last_activity = last_activity;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ACTIVITY]);
    }
  if (self->unread_count != unread_count)
    {
      self->unread_count = unread_count;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD_COUNT]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

const char *
duet_contact_get_user_id (DuetContact *self)
{
  g_return_val_if_fail (DUET_IS_CONTACT (self), NULL);
  return self->user_id;
}

const char *
duet_contact_get_name (DuetContact *self)
{
  g_return_val_if_fail (DUET_IS_CONTACT (self), NULL);
  return self->name != NULL ? self->name : self->user_id;
}

const char *
duet_contact_get_avatar_url (DuetContact *self)
{
  g_return_val_if_fail (DUET_IS_CONTACT (self), NULL);
  return self->avatar_url;
}

const char *
duet_contact_get_last_message (DuetContact *self)
{
  g_return_val_if_fail (DUET_IS_CONTACT (self), NULL);
  return self->last_message;
}

gint64
duet_contact_get_last_activity (DuetContact *self)
{
  g_return_val_if_fail (DUET_IS_CONTACT (self), 0);
  return self->last_activity;
}

guint
duet_contact_get_unread_count (DuetContact *self)
{
  g_return_val_if_fail (DUET_IS_CONTACT (self), 0);
  return self->unread_count;
}

DuetRoom *
duet_contact_get_room (DuetContact *self)
{
  g_return_val_if_fail (DUET_IS_CONTACT (self), NULL);
  return self->room;
}
