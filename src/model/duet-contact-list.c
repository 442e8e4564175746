/* duet-contact-list.c: the people we have direct chats with
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rebuilt from m.direct and the rooms when m.direct changes or a response
 * is long; otherwise each room a response touches updates only the people
 * tied to it (duet_contact_list_update_room()): a contact that moves is one
 * removal and one insertion, a contact that stays only notifies its own
 * properties.  The same person keeps the same DuetContact object.
 */
#include "config.h"

#include "duet-contact-list.h"
#include "duet-contact-private.h"
#include "duet-session-private.h"
#include "duet-text-private.h"

/* m.direct is written by every client of the account: bound what we show. */
#define MAX_CONTACTS 5000
/* Room upgrades form a chain; a longer one (or a cycle) is not followed. */
#define MAX_TOMBSTONE_HOPS 32

struct _DuetContactList
{
  GObject     parent_instance;

  GPtrArray  *items;        /* DuetContact, in list order */
  GHashTable *by_user;      /* user id → DuetContact (borrowed from items) */
  GHashTable *entries;      /* user id → Entry of each listed contact */
  GHashTable *name_counts;  /* folded name → how many listed contacts bear it */
  /* room id → GPtrArray of user ids whose best DM may change with that
   * room: the rooms of their m.direct entry and the upgrades of those. */
  GHashTable *room_users;
};

typedef struct _Entry Entry;
static void entry_free (Entry *entry);
static void duet_contact_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DuetContactList, duet_contact_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, duet_contact_list_model_init))

static GType
duet_contact_list_get_item_type (GListModel *model)
{
  return DUET_TYPE_CONTACT;
}

static guint
duet_contact_list_get_n_items (GListModel *model)
{
  return DUET_CONTACT_LIST (model)->items->len;
}

static gpointer
duet_contact_list_get_item (GListModel *model,
                            guint       position)
{
  DuetContactList *self = DUET_CONTACT_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
duet_contact_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = duet_contact_list_get_item_type;
  iface->get_n_items = duet_contact_list_get_n_items;
  iface->get_item = duet_contact_list_get_item;
}

static void
duet_contact_list_finalize (GObject *object)
{
  DuetContactList *self = DUET_CONTACT_LIST (object);

  g_clear_pointer (&self->by_user, g_hash_table_unref);
  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_pointer (&self->name_counts, g_hash_table_unref);
  g_clear_pointer (&self->room_users, g_hash_table_unref);
  g_clear_pointer (&self->items, g_ptr_array_unref);

  G_OBJECT_CLASS (duet_contact_list_parent_class)->finalize (object);
}

static void
duet_contact_list_class_init (DuetContactListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = duet_contact_list_finalize;
}

static void
duet_contact_list_init (DuetContactList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_user = g_hash_table_new (g_str_hash, g_str_equal);
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) entry_free);
  self->name_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->room_users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_ptr_array_unref);
}

DuetContactList *
duet_contact_list_new (void)
{
  return g_object_new (DUET_TYPE_CONTACT_LIST, NULL);
}

DuetContact *
duet_contact_list_lookup (DuetContactList *self,
                          const char      *user_id)
{
  g_return_val_if_fail (DUET_IS_CONTACT_LIST (self), NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  return g_hash_table_lookup (self->by_user, user_id);
}

/* --- Who is a contact, and through which room ---------------------------- */

struct _Entry {
  char     *user_id;
  DuetRoom *room;       /* borrowed from the session */
  char     *base_name;  /* display name in the room, or the user id */
  char     *avatar_url;
  char     *name_key;   /* base_name folded, to find look-alikes */
};

static void
entry_free (Entry *entry)
{
  g_free (entry->user_id);
  g_free (entry->base_name);
  g_free (entry->avatar_url);
  g_free (entry->name_key);
  g_free (entry);
}

/* The room a tombstoned room was upgraded to, as far as we are joined
 * along the chain. */
static DuetRoom *
follow_tombstones (DuetSession *session,
                   DuetRoom    *room)
{
  for (guint hops = 0; hops < MAX_TOMBSTONE_HOPS; hops++)
    {
      const char *replacement_id = duet_room_get_replacement_room (room);
      DuetRoom *replacement = replacement_id ? duet_session_lookup_room (session, replacement_id) : NULL;

      if (replacement == NULL || replacement == room ||
          duet_room_get_own_membership (replacement) != DUET_MEMBERSHIP_JOIN)
        break;
      room = replacement;
    }
  return room;
}

/* When no room passes rule 3 (a third person joined, only an invite so
 * far), the person is still listed, through the joined room with the
 * newest activity (following upgrades), else their pending invite. */
static DuetRoom *
pick_fallback_room (DuetSession *session,
                    const char  *user_id)
{
  g_auto(GStrv) room_ids = duet_direct_map_dup_rooms_for_user (duet_session_get_direct_map (session),
                                                               user_id);
  DuetRoom *best = NULL;
  DuetRoom *invite = NULL;

  for (guint i = 0; room_ids != NULL && room_ids[i] != NULL; i++)
    {
      DuetRoom *room = duet_session_lookup_room (session, room_ids[i]);
      DuetMembership membership;

      if (room == NULL)
        continue;
      room = follow_tombstones (session, room);
      membership = duet_room_get_own_membership (room);
      if (membership == DUET_MEMBERSHIP_JOIN)
        {
          if (best == NULL || duet_room_get_last_activity (room) > duet_room_get_last_activity (best))
            best = room;
        }
      else if (membership == DUET_MEMBERSHIP_INVITE &&
               g_strcmp0 (duet_room_get_inviter (room), user_id) == 0)
        {
          if (invite == NULL || duet_room_get_last_activity (room) > duet_room_get_last_activity (invite))
            invite = room;
        }
    }

  return best != NULL ? best : invite;
}

/* The best DM by rule 3 of matrix-dm.md (duet-session-chats.c), so that
 * the row opens the room Start Chat would. */
static DuetRoom *
pick_room (DuetSession *session,
           const char  *user_id)
{
  DuetRoom *room = duet_session_find_direct_room (session, user_id, NULL);

  return room != NULL ? room : pick_fallback_room (session, user_id);
}

static Entry *
entry_new (DuetSession *session,
           const char  *user_id)
{
  DuetRoom *room = pick_room (session, user_id);
  DuetMember *member;
  const char *display_name;
  Entry *entry;

  if (room == NULL)
    return NULL;

  member = duet_room_lookup_member (room, user_id);
  display_name = member ? duet_member_get_display_name (member) : NULL;

  entry = g_new0 (Entry, 1);
  entry->user_id = g_strdup (user_id);
  entry->room = room;
  entry->base_name = g_strdup (display_name != NULL ? display_name : user_id);
  entry->avatar_url = g_strdup (member ? duet_member_get_avatar_url (member) : NULL);
  entry->name_key = _duet_text_name_key (entry->base_name);
  return entry;
}

/* --- Names ------------------------------------------------------------- */

static guint
name_count (DuetContactList *self,
            const char      *name_key)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->name_counts, name_key));
}

static void
count_name (DuetContactList *self,
            const char      *name_key,
            int              delta)
{
  guint count = name_count (self, name_key) + delta;

  if (count == 0)
    g_hash_table_remove (self->name_counts, name_key);
  else
    g_hash_table_insert (self->name_counts, g_strdup (name_key), GUINT_TO_POINTER (count));
}

/* Two people shown under one name (or names that differ only in case or
 * by look-alike compatibility forms) get their user ids added. */
static char *
shown_name (DuetContactList *self,
            Entry           *entry)
{
  if (name_count (self, entry->name_key) > 1 && g_strcmp0 (entry->base_name, entry->user_id) != 0)
    return g_strdup_printf ("%s (%s)", entry->base_name, entry->user_id);
  return g_strdup (entry->base_name);
}

/* --- Order ------------------------------------------------------------- */

static int
compare_two (DuetContact *ca,
             DuetContact *cb)
{
  gint64 ta = duet_contact_get_last_activity (ca);
  gint64 tb = duet_contact_get_last_activity (cb);

  /* Newest first; the user id keeps equal times in a stable order. */
  if (ta != tb)
    return ta > tb ? -1 : 1;
  return g_strcmp0 (duet_contact_get_user_id (ca), duet_contact_get_user_id (cb));
}

static int
compare_contacts (gconstpointer a,
                  gconstpointer b)
{
  return compare_two (*(DuetContact * const *) a, *(DuetContact * const *) b);
}

/* Where @contact goes (or is) in the sorted list: the first item not
 * before it. */
static guint
lower_bound (DuetContactList *self,
             DuetContact     *contact)
{
  guint lo = 0, hi = self->items->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (compare_two (g_ptr_array_index (self->items, mid), contact) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* --- The full rebuild ---------------------------------------------------- */

static void
index_room (DuetContactList *self,
            const char      *room_id,
            const char      *user_id)
{
  GPtrArray *users = g_hash_table_lookup (self->room_users, room_id);

  if (users == NULL)
    {
      users = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (self->room_users, g_strdup (room_id), users);
    }
  if (!g_ptr_array_find_with_equal_func (users, user_id, g_str_equal, NULL))
    g_ptr_array_add (users, g_strdup (user_id));
}

/* Ties @user_id to its m.direct rooms and their upgrades as known now. */
static void
index_user (DuetContactList *self,
            DuetSession     *session,
            const char      *user_id,
            GStrv            room_ids)
{
  for (guint i = 0; room_ids != NULL && room_ids[i] != NULL; i++)
    {
      DuetRoom *room = duet_session_lookup_room (session, room_ids[i]);

      index_room (self, room_ids[i], user_id);
      for (guint hops = 0; room != NULL && hops < MAX_TOMBSTONE_HOPS; hops++)
        {
          const char *next = duet_room_get_replacement_room (room);

          if (next == NULL)
            break;
          index_room (self, next, user_id);
          room = duet_session_lookup_room (session, next);
        }
    }
}

static GPtrArray *
collect_entries (DuetContactList *self,
                 DuetSession     *session)
{
  DuetDirectMap *map = duet_session_get_direct_map (session);
  g_auto(GStrv) users = duet_direct_map_dup_users (map);
  const char *own_user_id = _duet_session_get_user_id (session);
  GPtrArray *entries = g_ptr_array_new ();

  g_hash_table_remove_all (self->room_users);
  for (guint i = 0; users != NULL && users[i] != NULL; i++)
    {
      g_auto(GStrv) room_ids = NULL;
      Entry *entry;

      /* A "note to self" room under our own id is not a person to list. */
      if (g_strcmp0 (users[i], own_user_id) == 0)
        continue;
      room_ids = duet_direct_map_dup_rooms_for_user (map, users[i]);
      index_user (self, session, users[i], room_ids);
      if (entries->len >= MAX_CONTACTS)
        continue;
      entry = entry_new (session, users[i]);
      if (entry != NULL)
        g_ptr_array_add (entries, entry);
    }

  return entries;
}

void
_duet_contact_list_rebuild (DuetContactList *self,
                            DuetSession     *session)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) old_items = NULL;
  GPtrArray *items;
  guint prefix = 0, suffix = 0;

  g_return_if_fail (DUET_IS_CONTACT_LIST (self));
  g_return_if_fail (DUET_IS_SESSION (session));

  entries = collect_entries (self, session);
  g_hash_table_remove_all (self->name_counts);
  for (guint i = 0; i < entries->len; i++)
    count_name (self, ((Entry *) entries->pdata[i])->name_key, 1);

  items = g_ptr_array_new_full (entries->len, g_object_unref);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (entries, i);
      DuetContact *contact = g_hash_table_lookup (self->by_user, entry->user_id);
      g_autofree char *name = shown_name (self, entry);

      contact = contact != NULL ? g_object_ref (contact) : _duet_contact_new (entry->user_id);
      _duet_contact_update (contact, entry->room, name, entry->avatar_url);
      g_ptr_array_add (items, contact);
    }
  g_ptr_array_sort (items, compare_contacts);

  /* Swap the new order in before telling anyone, so that handlers of
   * items-changed see the list it describes. */
  old_items = g_steal_pointer (&self->items);
  self->items = items;
  g_hash_table_remove_all (self->by_user);
  g_hash_table_remove_all (self->entries);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (entries, i);

      g_hash_table_insert (self->entries, entry->user_id, entry);
    }
  for (guint i = 0; i < items->len; i++)
    {
      DuetContact *contact = g_ptr_array_index (items, i);

      g_hash_table_insert (self->by_user, (gpointer) duet_contact_get_user_id (contact), contact);
    }

  /* The span between the unchanged head and the unchanged tail. */
  while (prefix < old_items->len && prefix < items->len &&
         old_items->pdata[prefix] == items->pdata[prefix])
    prefix++;
  while (suffix < old_items->len - prefix && suffix < items->len - prefix &&
         old_items->pdata[old_items->len - 1 - suffix] == items->pdata[items->len - 1 - suffix])
    suffix++;

  if (prefix != old_items->len || prefix != items->len)
    g_list_model_items_changed (G_LIST_MODEL (self), prefix,
                                old_items->len - prefix - suffix,
                                items->len - prefix - suffix);
}

/* --- One person at a time ---------------------------------------------- */

/* Shows @entry's name on its contact again (others came or went under the
 * same name); the order does not depend on names. */
static void
refresh_name (DuetContactList *self,
              Entry           *entry)
{
  DuetContact *contact = g_hash_table_lookup (self->by_user, entry->user_id);
  g_autofree char *name = shown_name (self, entry);

  if (contact != NULL)
    _duet_contact_update (contact, entry->room, name, entry->avatar_url);
}

/* Others under @name_key are shown with or without their id now. */
static void
refresh_names_like (DuetContactList *self,
                    const char      *name_key,
                    const char      *except_user)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Entry *entry = value;

      if (g_str_equal (entry->name_key, name_key) && g_strcmp0 (entry->user_id, except_user) != 0)
        refresh_name (self, entry);
    }
}

static void
remove_contact (DuetContactList *self,
                const char      *user_id)
{
  DuetContact *contact = g_hash_table_lookup (self->by_user, user_id);
  Entry *entry = g_hash_table_lookup (self->entries, user_id);
  g_autofree char *name_key = g_strdup (entry->name_key);
  guint position = lower_bound (self, contact);

  g_assert (position < self->items->len && self->items->pdata[position] == contact);
  count_name (self, name_key, -1);
  g_hash_table_remove (self->by_user, user_id);
  g_hash_table_remove (self->entries, user_id);
  g_ptr_array_remove_index (self->items, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
  if (name_count (self, name_key) == 1)
    refresh_names_like (self, name_key, NULL);
}

/* Takes @entry (a fresh look at one person) into the list. */
static void
apply_entry (DuetContactList *self,
             Entry           *entry)
{
  Entry *old = g_hash_table_lookup (self->entries, entry->user_id);
  DuetContact *contact = g_hash_table_lookup (self->by_user, entry->user_id);
  g_autofree char *old_key = old != NULL ? g_strdup (old->name_key) : NULL;
  g_autofree char *name = NULL;
  guint from = G_MAXUINT, to;

  if (old == NULL && g_hash_table_size (self->entries) >= MAX_CONTACTS)
    {
      entry_free (entry);
      return;
    }

  if (g_strcmp0 (old_key, entry->name_key) != 0)
    {
      if (old_key != NULL)
        count_name (self, old_key, -1);
      count_name (self, entry->name_key, 1);
    }
  g_hash_table_replace (self->entries, entry->user_id, entry);

  if (contact != NULL)
    {
      /* Its place before the update: the list is sorted on what it shows. */
      from = lower_bound (self, contact);
      g_assert (from < self->items->len && self->items->pdata[from] == contact);
      g_ptr_array_steal_index (self->items, from);
    }
  else
    {
      contact = _duet_contact_new (entry->user_id);
      g_hash_table_insert (self->by_user, (gpointer) duet_contact_get_user_id (contact), contact);
    }

  name = shown_name (self, entry);
  _duet_contact_update (contact, entry->room, name, entry->avatar_url);
  to = lower_bound (self, contact);
  g_ptr_array_insert (self->items, to, contact);

  /* Staying put is only the contact's own notifications.  A move is one
   * removal and one insertion, except past a neighbour only, where one
   * change of those two rows says the same in one signal. */
  if (from == G_MAXUINT)
    g_list_model_items_changed (G_LIST_MODEL (self), to, 0, 1);
  else if (from + 1 == to || to + 1 == from)
    g_list_model_items_changed (G_LIST_MODEL (self), MIN (from, to), 2, 2);
  else if (from != to)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), from, 1, 0);
      g_list_model_items_changed (G_LIST_MODEL (self), to, 0, 1);
    }

  /* Look-alikes gained or lost a twin: their shown names change. */
  if (g_strcmp0 (old_key, entry->name_key) != 0)
    {
      if (old_key != NULL && name_count (self, old_key) == 1)
        refresh_names_like (self, old_key, entry->user_id);
      if (name_count (self, entry->name_key) == 2)
        refresh_names_like (self, entry->name_key, entry->user_id);
    }
}

static void
update_user (DuetContactList *self,
             DuetSession     *session,
             const char      *user_id)
{
  g_auto(GStrv) room_ids = duet_direct_map_dup_rooms_for_user (duet_session_get_direct_map (session),
                                                               user_id);
  Entry *entry = NULL;

  if (g_strcmp0 (user_id, _duet_session_get_user_id (session)) == 0)
    return;
  /* Only people of m.direct are listed (a change there rebuilds). */
  if (room_ids != NULL && room_ids[0] != NULL)
    {
      index_user (self, session, user_id, room_ids);
      entry = entry_new (session, user_id);
    }

  if (entry != NULL)
    apply_entry (self, entry);
  else if (g_hash_table_contains (self->entries, user_id))
    remove_contact (self, user_id);
}

void
duet_contact_list_update_room (DuetContactList *self,
                               DuetSession     *session,
                               DuetRoom        *room)
{
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func (g_free);
  const char *linked[2];

  g_return_if_fail (DUET_IS_CONTACT_LIST (self));
  g_return_if_fail (DUET_IS_SESSION (session));
  g_return_if_fail (DUET_IS_ROOM (room));

  /* Everyone whose best DM this room can be or stop being: the people
   * whose m.direct rooms (or their upgrades) it is, the room it upgrades,
   * and whoever invited us to it as a direct chat. */
  linked[0] = duet_room_get_id (room);
  linked[1] = duet_room_get_predecessor (room);
  for (guint i = 0; i < G_N_ELEMENTS (linked); i++)
    {
      GPtrArray *tied = linked[i] != NULL ? g_hash_table_lookup (self->room_users, linked[i]) : NULL;

      for (guint j = 0; tied != NULL && j < tied->len; j++)
        if (!g_ptr_array_find_with_equal_func (users, tied->pdata[j], g_str_equal, NULL))
          g_ptr_array_add (users, g_strdup (tied->pdata[j]));
    }
  if (duet_room_get_invite_is_direct (room) && duet_room_get_inviter (room) != NULL &&
      !g_ptr_array_find_with_equal_func (users, duet_room_get_inviter (room), g_str_equal, NULL))
    g_ptr_array_add (users, g_strdup (duet_room_get_inviter (room)));

  for (guint i = 0; i < users->len; i++)
    update_user (self, session, users->pdata[i]);
}
