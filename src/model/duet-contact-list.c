/* duet-contact-list.c: the people we have direct chats with
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rebuilt from m.direct and the rooms after every change, which is cheap
 * for the number of people one talks to; what a view sees is the smallest
 * span of the list that changed, and the same object for the same person.
 */
#include "config.h"

#include "duet-contact-list.h"
#include "duet-contact-private.h"
#include "duet-session-private.h"

/* m.direct is written by every client of the account: bound what we show. */
#define MAX_CONTACTS 5000
/* Room upgrades form a chain; a longer one (or a cycle) is not followed. */
#define MAX_TOMBSTONE_HOPS 32

struct _DuetContactList
{
  GObject     parent_instance;

  GPtrArray  *items;     /* DuetContact, in list order */
  GHashTable *by_user;   /* user id → DuetContact (borrowed from items) */
};

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

typedef struct {
  char     *user_id;
  DuetRoom *room;       /* borrowed from the session */
  char     *base_name;  /* display name in the room, or the user id */
  char     *name;       /* base_name, disambiguated */
  char     *avatar_url;
  char     *name_key;   /* base_name folded, to find look-alikes */
} Entry;

static void
entry_free (Entry *entry)
{
  g_free (entry->user_id);
  g_free (entry->base_name);
  g_free (entry->name);
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
  g_autofree char *normalized = NULL;

  if (room == NULL)
    return NULL;

  member = duet_room_lookup_member (room, user_id);
  display_name = member ? duet_member_get_display_name (member) : NULL;

  entry = g_new0 (Entry, 1);
  entry->user_id = g_strdup (user_id);
  entry->room = room;
  entry->base_name = g_strdup (display_name != NULL ? display_name : user_id);
  entry->avatar_url = g_strdup (member ? duet_member_get_avatar_url (member) : NULL);
  normalized = g_utf8_normalize (entry->base_name, -1, G_NORMALIZE_ALL);
  entry->name_key = g_utf8_casefold (normalized != NULL ? normalized : entry->base_name, -1);
  return entry;
}

/* Two people shown under one name (or names that differ only in case or
 * by look-alike compatibility forms) get their user ids added. */
static void
disambiguate (GPtrArray *entries)
{
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (entries, i);
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, entry->name_key));

      g_hash_table_insert (counts, entry->name_key, GUINT_TO_POINTER (count + 1));
    }

  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (entries, i);

      if (GPOINTER_TO_UINT (g_hash_table_lookup (counts, entry->name_key)) > 1 &&
          g_strcmp0 (entry->base_name, entry->user_id) != 0)
        entry->name = g_strdup_printf ("%s (%s)", entry->base_name, entry->user_id);
      else
        entry->name = g_strdup (entry->base_name);
    }
}

static int
compare_contacts (gconstpointer a,
                  gconstpointer b)
{
  DuetContact *ca = *(DuetContact * const *) a;
  DuetContact *cb = *(DuetContact * const *) b;
  gint64 ta = duet_contact_get_last_activity (ca);
  gint64 tb = duet_contact_get_last_activity (cb);

  /* Newest first; the user id keeps equal times in a stable order. */
  if (ta != tb)
    return ta > tb ? -1 : 1;
  return g_strcmp0 (duet_contact_get_user_id (ca), duet_contact_get_user_id (cb));
}

static GPtrArray *
collect_entries (DuetSession *session)
{
  g_auto(GStrv) users = duet_direct_map_dup_users (duet_session_get_direct_map (session));
  const char *own_user_id = _duet_session_get_user_id (session);
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);

  for (guint i = 0; users != NULL && users[i] != NULL && entries->len < MAX_CONTACTS; i++)
    {
      Entry *entry;

      /* A "note to self" room under our own id is not a person to list. */
      if (g_strcmp0 (users[i], own_user_id) == 0)
        continue;
      entry = entry_new (session, users[i]);
      if (entry != NULL)
        g_ptr_array_add (entries, entry);
    }

  disambiguate (entries);
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

  entries = collect_entries (session);
  items = g_ptr_array_new_full (entries->len, g_object_unref);

  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (entries, i);
      DuetContact *contact = g_hash_table_lookup (self->by_user, entry->user_id);

      contact = contact != NULL ? g_object_ref (contact) : _duet_contact_new (entry->user_id);
      _duet_contact_update (contact, entry->room, entry->name, entry->avatar_url);
      g_ptr_array_add (items, contact);
    }
  g_ptr_array_sort (items, compare_contacts);

  /* Swap the new order in before telling anyone, so that handlers of
   * items-changed see the list it describes. */
  old_items = g_steal_pointer (&self->items);
  self->items = items;
  g_hash_table_remove_all (self->by_user);
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
