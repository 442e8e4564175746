/* duet-room.c: one room as the model knows it from /sync
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The object and its properties.  What a /sync response means for a room
 * is read in duet-room-sync.c, which goes through the setters here, so that
 * every property notifies exactly when its value changes.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "duet-member-private.h"
#include "duet-room-private.h"
#include "duet-text.h"

/* Lazy-loading keeps member lists short; a hostile or huge room must not
 * grow the model without bound. */
#define MAX_MEMBERS 10000

struct _DuetRoom
{
  GObject         parent_instance;

  char           *room_id;
  char           *own_user_id;
  DuetMembership  own_membership;

  char           *name;            /* shown: explicit, from members, or the id */
  char           *explicit_name;   /* m.room.name */
  gint64          last_activity;
  char           *last_message;
  char           *last_event_id;
  guint           unread_count;
  gboolean        encrypted;
  char           *replacement_room;
  char           *predecessor;
  char           *inviter;
  gboolean        invite_is_direct;
  gboolean        invite_seen;
  gboolean        has_gap;
  gboolean        members_partial;
  GStrv           typing;          /* others typing now, never NULL */

  GHashTable     *members;         /* user id → DuetMember */
  GStrv           functional_members;
  GStrv           heroes;

  DuetRoomInviteWatch invite_watch;
  gpointer            invite_watch_data;
};

G_DEFINE_FINAL_TYPE (DuetRoom, duet_room, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ROOM_ID,
  PROP_MEMBERSHIP,
  PROP_NAME,
  PROP_LAST_ACTIVITY,
  PROP_LAST_MESSAGE,
  PROP_UNREAD_COUNT,
  PROP_ENCRYPTED,
  PROP_REPLACEMENT_ROOM,
  PROP_PREDECESSOR,
  PROP_INVITER,
  PROP_INVITE_IS_DIRECT,
  PROP_HAS_GAP,
  PROP_LAST_EVENT_ID,
  PROP_TYPING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
duet_room_finalize (GObject *object)
{
  DuetRoom *self = DUET_ROOM (object);

  g_clear_pointer (&self->room_id, g_free);
  g_clear_pointer (&self->own_user_id, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->explicit_name, g_free);
  g_clear_pointer (&self->last_message, g_free);
  g_clear_pointer (&self->last_event_id, g_free);
  g_clear_pointer (&self->replacement_room, g_free);
  g_clear_pointer (&self->predecessor, g_free);
  g_clear_pointer (&self->inviter, g_free);
  g_clear_pointer (&self->members, g_hash_table_unref);
  g_clear_pointer (&self->functional_members, g_strfreev);
  g_clear_pointer (&self->heroes, g_strfreev);
  g_clear_pointer (&self->typing, g_strfreev);

  G_OBJECT_CLASS (duet_room_parent_class)->finalize (object);
}

static void
duet_room_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  DuetRoom *self = DUET_ROOM (object);

  switch (prop_id)
    {
    case PROP_ROOM_ID:
      g_value_set_string (value, self->room_id);
      break;
    case PROP_MEMBERSHIP:
      g_value_set_enum (value, self->own_membership);
      break;
    case PROP_NAME:
      g_value_set_string (value, duet_room_get_name (self));
      break;
    case PROP_LAST_ACTIVITY:
      g_value_set_int64 (value, self->last_activity);
      break;
    case PROP_LAST_MESSAGE:
      g_value_set_string (value, self->last_message);
      break;
    case PROP_UNREAD_COUNT:
      g_value_set_uint (value, self->unread_count);
      break;
    case PROP_ENCRYPTED:
      g_value_set_boolean (value, self->encrypted);
      break;
    case PROP_REPLACEMENT_ROOM:
      g_value_set_string (value, self->replacement_room);
      break;
    case PROP_PREDECESSOR:
      g_value_set_string (value, self->predecessor);
      break;
    case PROP_INVITER:
      g_value_set_string (value, self->inviter);
      break;
    case PROP_INVITE_IS_DIRECT:
      g_value_set_boolean (value, self->invite_is_direct);
      break;
    case PROP_HAS_GAP:
      g_value_set_boolean (value, self->has_gap);
      break;
    case PROP_LAST_EVENT_ID:
      g_value_set_string (value, self->last_event_id);
      break;
    case PROP_TYPING:
      g_value_set_boxed (value, self->typing);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_room_class_init (DuetRoomClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = duet_room_finalize;
  object_class->get_property = duet_room_get_property;

  properties[PROP_ROOM_ID] = g_param_spec_string ("room-id", NULL, NULL, NULL, flags);
  properties[PROP_MEMBERSHIP] =
    g_param_spec_enum ("membership", NULL, NULL, DUET_TYPE_MEMBERSHIP, DUET_MEMBERSHIP_NONE, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_LAST_ACTIVITY] =
    g_param_spec_int64 ("last-activity", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_LAST_MESSAGE] = g_param_spec_string ("last-message", NULL, NULL, NULL, flags);
  properties[PROP_UNREAD_COUNT] =
    g_param_spec_uint ("unread-count", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_ENCRYPTED] = g_param_spec_boolean ("encrypted", NULL, NULL, FALSE, flags);
  properties[PROP_REPLACEMENT_ROOM] =
    g_param_spec_string ("replacement-room", NULL, NULL, NULL, flags);
  properties[PROP_PREDECESSOR] = g_param_spec_string ("predecessor", NULL, NULL, NULL, flags);
  properties[PROP_INVITER] = g_param_spec_string ("inviter", NULL, NULL, NULL, flags);
  properties[PROP_INVITE_IS_DIRECT] =
    g_param_spec_boolean ("invite-is-direct", NULL, NULL, FALSE, flags);
  properties[PROP_HAS_GAP] = g_param_spec_boolean ("has-gap", NULL, NULL, FALSE, flags);
  properties[PROP_LAST_EVENT_ID] = g_param_spec_string ("last-event-id", NULL, NULL, NULL, flags);

  properties[PROP_TYPING] = g_param_spec_boxed ("typing", NULL, NULL, G_TYPE_STRV, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
duet_room_init (DuetRoom *self)
{
  /* Keys are the members' own user ids; members are never removed. */
  self->members = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->typing = g_new0 (char *, 1);
}

DuetRoom *
_duet_room_new (const char *room_id,
                const char *own_user_id)
{
  DuetRoom *self;

  g_return_val_if_fail (room_id != NULL, NULL);

  self = g_object_new (DUET_TYPE_ROOM, NULL);
  self->room_id = g_strdup (room_id);
  self->own_user_id = g_strdup (own_user_id);
  self->name = g_strdup (room_id);
  return self;
}

/* --- Setters ------------------------------------------------------------ */

static void
set_string_prop (DuetRoom   *self,
                 char      **field,
                 const char *value,
                 guint       prop)
{
  if (duet_text_set (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_boolean_prop (DuetRoom *self,
                  gboolean *field,
                  gboolean  value,
                  guint     prop)
{
  value = !!value;
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

/* Not a notify:: handler, nor a dispatch_properties_changed override
 * (which costs every notification of every room GLib's shortcut for
 * objects no one watches): the watch hears of the change at once. */
static void
tell_invite_watch (DuetRoom *self)
{
  if (self->invite_watch != NULL)
    self->invite_watch (self->invite_watch_data, self);
}

void
_duet_room_set_own_membership (DuetRoom       *self,
                               DuetMembership  membership)
{
  g_return_if_fail (DUET_IS_ROOM (self));

  if (self->own_membership == membership)
    return;
  self->own_membership = membership;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMBERSHIP]);
}

void
_duet_room_set_explicit_name (DuetRoom   *self,
                              const char *name)
{
  g_return_if_fail (DUET_IS_ROOM (self));

  /* Not a property: the shown name follows in _duet_room_update_name(). */
  duet_text_set (&self->explicit_name, name);
}

void
_duet_room_note_activity (DuetRoom *self,
                          gint64    origin_server_ts)
{
  g_return_if_fail (DUET_IS_ROOM (self));

  if (origin_server_ts <= self->last_activity)
    return;
  self->last_activity = origin_server_ts;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ACTIVITY]);
}

void
_duet_room_set_last_message (DuetRoom   *self,
                             const char *preview)
{
  g_return_if_fail (DUET_IS_ROOM (self));
  set_string_prop (self, &self->last_message, preview, PROP_LAST_MESSAGE);
}

void
_duet_room_set_last_event_id (DuetRoom   *self,
                              const char *event_id)
{
  g_return_if_fail (DUET_IS_ROOM (self));
  set_string_prop (self, &self->last_event_id, event_id, PROP_LAST_EVENT_ID);
}

void
_duet_room_set_unread_count (DuetRoom *self,
                             guint     count)
{
  g_return_if_fail (DUET_IS_ROOM (self));

  if (self->unread_count == count)
    return;
  self->unread_count = count;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD_COUNT]);
}

void
_duet_room_set_encrypted (DuetRoom *self,
                          gboolean  encrypted)
{
  g_return_if_fail (DUET_IS_ROOM (self));
  set_boolean_prop (self, &self->encrypted, encrypted, PROP_ENCRYPTED);
}

void
_duet_room_set_replacement_room (DuetRoom   *self,
                                 const char *room_id)
{
  g_return_if_fail (DUET_IS_ROOM (self));
  set_string_prop (self, &self->replacement_room, room_id, PROP_REPLACEMENT_ROOM);
}

void
_duet_room_set_predecessor (DuetRoom   *self,
                            const char *room_id)
{
  g_return_if_fail (DUET_IS_ROOM (self));
  set_string_prop (self, &self->predecessor, room_id, PROP_PREDECESSOR);
}

void
_duet_room_set_inviter (DuetRoom   *self,
                        const char *user_id)
{
  g_return_if_fail (DUET_IS_ROOM (self));
  if (!duet_text_set (&self->inviter, user_id))
    return;
  tell_invite_watch (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INVITER]);
}

void
_duet_room_set_invite_is_direct (DuetRoom *self,
                                 gboolean  is_direct,
                                 gboolean  seen)
{
  g_return_if_fail (DUET_IS_ROOM (self));

  if (seen)
    self->invite_seen = TRUE;
  if (self->invite_is_direct == !!is_direct)
    return;
  self->invite_is_direct = !!is_direct;
  tell_invite_watch (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INVITE_IS_DIRECT]);
}

gboolean
_duet_room_get_invite_seen (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), FALSE);
  return self->invite_seen;
}

void
_duet_room_set_has_gap (DuetRoom *self,
                        gboolean  has_gap)
{
  g_return_if_fail (DUET_IS_ROOM (self));
  set_boolean_prop (self, &self->has_gap, has_gap, PROP_HAS_GAP);
}

void
_duet_room_take_typing (DuetRoom *self,
                        GStrv     user_ids)
{
  g_auto(GStrv) owned = user_ids != NULL ? user_ids : g_new0 (char *, 1);

  g_return_if_fail (DUET_IS_ROOM (self));

  if (g_strv_equal ((const char * const *) owned, (const char * const *) self->typing))
    return;
  g_strfreev (self->typing);
  self->typing = g_steal_pointer (&owned);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TYPING]);
}

void
_duet_room_set_members_partial (DuetRoom *self,
                                gboolean  partial)
{
  g_return_if_fail (DUET_IS_ROOM (self));
  self->members_partial = !!partial;
}

void
_duet_room_set_invite_watch (DuetRoom            *self,
                             DuetRoomInviteWatch  watch,
                             gpointer             user_data)
{
  g_return_if_fail (DUET_IS_ROOM (self));

  self->invite_watch = watch;
  self->invite_watch_data = user_data;
}

gboolean
_duet_room_get_members_partial (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), FALSE);
  return self->members_partial;
}

void
_duet_room_clear_gap (DuetRoom *self)
{
  _duet_room_set_has_gap (self, FALSE);
}

gboolean
_duet_room_update_member (DuetRoom       *self,
                          const char     *user_id,
                          DuetMembership  membership,
                          const char     *display_name,
                          const char     *avatar_url)
{
  DuetMember *member;

  g_return_val_if_fail (DUET_IS_ROOM (self), FALSE);
  g_return_val_if_fail (user_id != NULL, FALSE);

  member = g_hash_table_lookup (self->members, user_id);
  if (member == NULL)
    {
      if (g_hash_table_size (self->members) >= MAX_MEMBERS)
        return FALSE;
      member = _duet_member_new (user_id, membership, display_name, avatar_url);
      /* The member keeps its id as long as the table keeps the member. */
      g_hash_table_insert (self->members, (gpointer) duet_member_get_user_id (member), member);
      return TRUE;
    }
  _duet_member_update (member, membership, display_name, avatar_url);
  return TRUE;
}

void
_duet_room_take_functional_members (DuetRoom *self,
                                    GStrv     user_ids)
{
  g_return_if_fail (DUET_IS_ROOM (self));

  g_strfreev (self->functional_members);
  self->functional_members = user_ids;
}

void
_duet_room_take_heroes (DuetRoom *self,
                        GStrv     user_ids)
{
  g_return_if_fail (DUET_IS_ROOM (self));

  g_strfreev (self->heroes);
  self->heroes = user_ids;
}

static const char *
name_of_user (DuetRoom   *self,
              const char *user_id)
{
  DuetMember *member = g_hash_table_lookup (self->members, user_id);
  const char *display_name = member ? duet_member_get_display_name (member) : NULL;

  return display_name != NULL ? display_name : user_id;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The people a nameless room is named after: the others who are in it or
 * invited, else the server's heroes, sorted so the name is stable. */
static GPtrArray *
dup_name_users (DuetRoom *self)
{
  GPtrArray *users = g_ptr_array_new ();
  GHashTableIter iter;
  const char *user_id;
  DuetMember *member;

  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, (gpointer *) &user_id, (gpointer *) &member))
    {
      DuetMembership membership = duet_member_get_membership (member);

      if (g_strcmp0 (user_id, self->own_user_id) == 0)
        continue;
      if (membership == DUET_MEMBERSHIP_JOIN || membership == DUET_MEMBERSHIP_INVITE)
        g_ptr_array_add (users, (gpointer) user_id);
    }

  if (users->len == 0 && self->heroes != NULL)
    for (guint i = 0; self->heroes[i] != NULL; i++)
      if (g_strcmp0 (self->heroes[i], self->own_user_id) != 0)
        g_ptr_array_add (users, self->heroes[i]);

  g_ptr_array_sort (users, compare_strings);
  return users;
}

static char *
compute_name (DuetRoom *self)
{
  g_autoptr(GPtrArray) users = NULL;

  if (self->explicit_name != NULL)
    return g_strdup (self->explicit_name);

  users = dup_name_users (self);
  switch (users->len)
    {
    case 0:
      return g_strdup (self->room_id);
    case 1:
      return g_strdup (name_of_user (self, users->pdata[0]));
    case 2:
      /* Translators: a room without a name, named after its two other members. */
      return g_strdup_printf (_("%s and %s"),
                              name_of_user (self, users->pdata[0]),
                              name_of_user (self, users->pdata[1]));
    default:
      {
        guint others = users->len - 2;

        /* Translators: a room without a name, named after two of its members
         * and how many others there are. */
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s, %s and %u other",
                                             "%s, %s and %u others", others),
                                name_of_user (self, users->pdata[0]),
                                name_of_user (self, users->pdata[1]),
                                others);
      }
    }
}

void
_duet_room_update_name (DuetRoom *self)
{
  g_autofree char *name = NULL;

  g_return_if_fail (DUET_IS_ROOM (self));

  name = compute_name (self);
  set_string_prop (self, &self->name, name, PROP_NAME);
}

/* --- Public getters ----------------------------------------------------- */

const char *
duet_room_get_id (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), NULL);
  return self->room_id;
}

DuetMembership
duet_room_get_own_membership (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), DUET_MEMBERSHIP_NONE);
  return self->own_membership;
}

const char *
duet_room_get_name (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), NULL);
  return self->name;
}

gint64
duet_room_get_last_activity (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), 0);
  return self->last_activity;
}

const char *
duet_room_get_last_message (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), NULL);
  return self->last_message;
}

const char *
duet_room_get_last_event_id (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), NULL);
  return self->last_event_id;
}

guint
duet_room_get_unread_count (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), 0);
  return self->unread_count;
}

gboolean
duet_room_is_encrypted (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), FALSE);
  return self->encrypted;
}

const char *
duet_room_get_replacement_room (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), NULL);
  return self->replacement_room;
}

const char *
duet_room_get_predecessor (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), NULL);
  return self->predecessor;
}

const char *
duet_room_get_inviter (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), NULL);
  return self->inviter;
}

gboolean
duet_room_get_invite_is_direct (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), FALSE);
  return self->invite_is_direct;
}

const char * const *
duet_room_get_typing (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), NULL);
  return (const char * const *) self->typing;
}

gboolean
duet_room_has_gap (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), FALSE);
  return self->has_gap;
}

DuetMember *
duet_room_lookup_member (DuetRoom   *self,
                         const char *user_id)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  return g_hash_table_lookup (self->members, user_id);
}

static int
compare_members (gconstpointer a,
                 gconstpointer b)
{
  DuetMember *ma = *(DuetMember * const *) a;
  DuetMember *mb = *(DuetMember * const *) b;

  return g_strcmp0 (duet_member_get_user_id (ma), duet_member_get_user_id (mb));
}

GPtrArray *
duet_room_dup_members (DuetRoom       *self,
                       DuetMembership  membership)
{
  GPtrArray *members;
  GHashTableIter iter;
  DuetMember *member;

  g_return_val_if_fail (DUET_IS_ROOM (self), NULL);

  members = g_ptr_array_new_with_free_func (g_object_unref);
  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &member))
    if (membership == DUET_MEMBERSHIP_NONE || duet_member_get_membership (member) == membership)
      g_ptr_array_add (members, g_object_ref (member));

  /* Sorted by user id, so callers see a stable order. */
  g_ptr_array_sort (members, compare_members);
  return members;
}

GStrv
duet_room_dup_functional_members (DuetRoom *self)
{
  g_return_val_if_fail (DUET_IS_ROOM (self), NULL);

  if (self->functional_members == NULL)
    return g_new0 (char *, 1);
  return g_strdupv (self->functional_members);
}
