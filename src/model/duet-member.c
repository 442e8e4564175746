/* duet-member.c: one user's membership of one room
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "duet-member-private.h"
#include "duet-text.h"

struct _DuetMember
{
  GObject         parent_instance;

  char           *user_id;
  char           *display_name;
  char           *avatar_url;
  DuetMembership  membership;
};

G_DEFINE_FINAL_TYPE (DuetMember, duet_member, G_TYPE_OBJECT)
G_DEFINE_ENUM_TYPE (DuetMembership, duet_membership,
  G_DEFINE_ENUM_VALUE (DUET_MEMBERSHIP_NONE, "none"),
  G_DEFINE_ENUM_VALUE (DUET_MEMBERSHIP_JOIN, "join"),
  G_DEFINE_ENUM_VALUE (DUET_MEMBERSHIP_INVITE, "invite"),
  G_DEFINE_ENUM_VALUE (DUET_MEMBERSHIP_LEAVE, "leave"),
  G_DEFINE_ENUM_VALUE (DUET_MEMBERSHIP_BAN, "ban"),
  G_DEFINE_ENUM_VALUE (DUET_MEMBERSHIP_KNOCK, "knock"))

enum {
  PROP_0,
  PROP_USER_ID,
  PROP_DISPLAY_NAME,
  PROP_AVATAR_URL,
  PROP_MEMBERSHIP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

DuetMembership
duet_membership_from_string (const char *membership)
{
  static const struct {
    const char     *name;
    DuetMembership  value;
  } names[] = {
    { "join", DUET_MEMBERSHIP_JOIN },
    { "invite", DUET_MEMBERSHIP_INVITE },
    { "leave", DUET_MEMBERSHIP_LEAVE },
    { "ban", DUET_MEMBERSHIP_BAN },
    { "knock", DUET_MEMBERSHIP_KNOCK },
  };

  if (membership == NULL)
    return DUET_MEMBERSHIP_NONE;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (membership, names[i].name))
      return names[i].value;
  return DUET_MEMBERSHIP_NONE;
}

static void
duet_member_finalize (GObject *object)
{
  DuetMember *self = DUET_MEMBER (object);

  g_clear_pointer (&self->user_id, g_free);
  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->avatar_url, g_free);

  G_OBJECT_CLASS (duet_member_parent_class)->finalize (object);
}

static void
duet_member_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DuetMember *self = DUET_MEMBER (object);

  switch (prop_id)
    {
    case PROP_USER_ID:
      g_value_set_string (value, self->user_id);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case PROP_AVATAR_URL:
      g_value_set_string (value, self->avatar_url);
      break;
    case PROP_MEMBERSHIP:
      g_value_set_enum (value, self->membership);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_member_class_init (DuetMemberClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = duet_member_finalize;
  object_class->get_property = duet_member_get_property;

  properties[PROP_USER_ID] =
    g_param_spec_string ("user-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_AVATAR_URL] =
    g_param_spec_string ("avatar-url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MEMBERSHIP] =
    g_param_spec_enum ("membership", NULL, NULL, DUET_TYPE_MEMBERSHIP, DUET_MEMBERSHIP_NONE,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
duet_member_init (DuetMember *self)
{
}

DuetMember *
_duet_member_new (const char     *user_id,
                  DuetMembership  membership,
                  const char     *display_name,
                  const char     *avatar_url)
{
  DuetMember *self;

  g_return_val_if_fail (user_id != NULL, NULL);

  /* Born with its values: no one can watch it yet, so nothing notifies
   * (a freeze, three notifies and a thaw were most of a member's cost on
   * a start with tens of thousands of them). */
  self = g_object_new (DUET_TYPE_MEMBER, NULL);
  self->user_id = g_strdup (user_id);
  self->membership = membership;
  self->display_name = g_strdup (display_name);
  self->avatar_url = g_strdup (avatar_url);
  return self;
}

gboolean
_duet_member_update (DuetMember     *self,
                     DuetMembership  membership,
                     const char     *display_name,
                     const char     *avatar_url)
{
  gboolean changed = FALSE;

  g_return_val_if_fail (DUET_IS_MEMBER (self), FALSE);

  g_object_freeze_notify (G_OBJECT (self));
  if (self->membership != membership)
    {
      self->membership = membership;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMBERSHIP]);
      changed = TRUE;
    }
  if (duet_text_set (&self->display_name, display_name))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
      changed = TRUE;
    }
  if (duet_text_set (&self->avatar_url, avatar_url))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVATAR_URL]);
      changed = TRUE;
    }
  g_object_thaw_notify (G_OBJECT (self));

  return changed;
}

const char *
duet_member_get_user_id (DuetMember *self)
{
  g_return_val_if_fail (DUET_IS_MEMBER (self), NULL);
  return self->user_id;
}

const char *
duet_member_get_display_name (DuetMember *self)
{
  g_return_val_if_fail (DUET_IS_MEMBER (self), NULL);
  return self->display_name;
}

const char *
duet_member_get_avatar_url (DuetMember *self)
{
  g_return_val_if_fail (DUET_IS_MEMBER (self), NULL);
  return self->avatar_url;
}

DuetMembership
duet_member_get_membership (DuetMember *self)
{
  g_return_val_if_fail (DUET_IS_MEMBER (self), DUET_MEMBERSHIP_NONE);
  return self->membership;
}
