/* duet-timeline-item.c: one row of an open chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The object and its properties.  DuetTimeline (and the content reader in
 * duet-timeline-content.c) fill it through the setters here, each of which
 * notifies only on a real change: an item is never replaced, it changes.
 */
#include "config.h"

#include "duet-text.h"
#include "duet-timeline-private.h"

G_DEFINE_ENUM_TYPE (DuetTimelineItemKind, duet_timeline_item_kind,
  G_DEFINE_ENUM_VALUE (DUET_TIMELINE_ITEM_MESSAGE, "message"),
  G_DEFINE_ENUM_VALUE (DUET_TIMELINE_ITEM_EVENT, "event"),
  G_DEFINE_ENUM_VALUE (DUET_TIMELINE_ITEM_DAY, "day"),
  G_DEFINE_ENUM_VALUE (DUET_TIMELINE_ITEM_GAP, "gap"))

G_DEFINE_ENUM_TYPE (DuetMessageKind, duet_message_kind,
  G_DEFINE_ENUM_VALUE (DUET_MESSAGE_TEXT, "text"),
  G_DEFINE_ENUM_VALUE (DUET_MESSAGE_NOTICE, "notice"),
  G_DEFINE_ENUM_VALUE (DUET_MESSAGE_EMOTE, "emote"),
  G_DEFINE_ENUM_VALUE (DUET_MESSAGE_IMAGE, "image"),
  G_DEFINE_ENUM_VALUE (DUET_MESSAGE_FILE, "file"),
  G_DEFINE_ENUM_VALUE (DUET_MESSAGE_ENCRYPTED, "encrypted"),
  G_DEFINE_ENUM_VALUE (DUET_MESSAGE_REDACTED, "redacted"),
  G_DEFINE_ENUM_VALUE (DUET_MESSAGE_UNSUPPORTED, "unsupported"))

DuetReaction *
duet_reaction_copy (const DuetReaction *reaction)
{
  DuetReaction *copy = g_new0 (DuetReaction, 1);

  copy->key = g_strdup (reaction->key);
  copy->count = reaction->count;
  copy->mine = reaction->mine;
  return copy;
}

void
duet_reaction_free (DuetReaction *reaction)
{
  if (reaction == NULL)
    return;
  g_free (reaction->key);
  g_free (reaction);
}

G_DEFINE_BOXED_TYPE (DuetReaction, duet_reaction, duet_reaction_copy, duet_reaction_free)

static void
reaction_ref_free (DuetReactionRef *ref)
{
  g_free (ref->event_id);
  g_free (ref->sender);
  g_free (ref->key);
  g_free (ref);
}

void
_duet_edit_record_free (DuetEditRecord *record)
{
  g_free (record->event_id);
  g_clear_pointer (&record->content, json_object_unref);
  g_free (record);
}

G_DEFINE_FINAL_TYPE (DuetTimelineItem, duet_timeline_item, G_TYPE_OBJECT)

static GParamSpec *properties[DUET_TIMELINE_ITEM_N_PROPS];

static void
duet_timeline_item_finalize (GObject *object)
{
  DuetTimelineItem *self = DUET_TIMELINE_ITEM (object);

  g_clear_pointer (&self->event_id, g_free);
  g_clear_pointer (&self->sender, g_free);
  g_clear_pointer (&self->sender_name, g_free);
  g_clear_pointer (&self->sender_avatar, g_free);
  g_clear_pointer (&self->body, g_free);
  g_clear_pointer (&self->markup, g_free);
  g_clear_pointer (&self->reply_event_id, g_free);
  g_clear_pointer (&self->reply_sender_name, g_free);
  g_clear_pointer (&self->reply_body, g_free);
  g_clear_pointer (&self->reactions, g_ptr_array_unref);
  g_clear_pointer (&self->file_name, g_free);
  g_clear_pointer (&self->media_url, g_free);
  g_clear_pointer (&self->thumbnail_url, g_free);
  g_clear_object (&self->outgoing);
  g_clear_pointer (&self->reaction_refs, g_ptr_array_unref);
  g_clear_pointer (&self->edits, g_ptr_array_unref);
  g_clear_pointer (&self->gap_token, g_free);
  g_clear_pointer (&self->token_before, g_free);
  g_clear_pointer (&self->txn_id, g_free);

  G_OBJECT_CLASS (duet_timeline_item_parent_class)->finalize (object);
}

static void
duet_timeline_item_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  DuetTimelineItem *self = DUET_TIMELINE_ITEM (object);

  switch ((DuetTimelineItemProp) prop_id)
    {
    case DUET_TIMELINE_ITEM_PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case DUET_TIMELINE_ITEM_PROP_EVENT_ID:
      g_value_set_string (value, self->event_id);
      break;
    case DUET_TIMELINE_ITEM_PROP_SENDER:
      g_value_set_string (value, self->sender);
      break;
    case DUET_TIMELINE_ITEM_PROP_SENDER_NAME:
      g_value_set_string (value, duet_timeline_item_get_sender_name (self));
      break;
    case DUET_TIMELINE_ITEM_PROP_SENDER_AVATAR:
      g_value_set_string (value, self->sender_avatar);
      break;
    case DUET_TIMELINE_ITEM_PROP_TIMESTAMP:
      g_value_set_int64 (value, self->timestamp);
      break;
    case DUET_TIMELINE_ITEM_PROP_OWN:
      g_value_set_boolean (value, self->own);
      break;
    case DUET_TIMELINE_ITEM_PROP_GROUP_START:
      g_value_set_boolean (value, self->group_start);
      break;
    case DUET_TIMELINE_ITEM_PROP_MESSAGE_KIND:
      g_value_set_enum (value, self->message_kind);
      break;
    case DUET_TIMELINE_ITEM_PROP_BODY:
      g_value_set_string (value, self->body);
      break;
    case DUET_TIMELINE_ITEM_PROP_MARKUP:
      g_value_set_string (value, duet_timeline_item_get_markup (self));
      break;
    case DUET_TIMELINE_ITEM_PROP_EDITED:
      g_value_set_boolean (value, self->edited);
      break;
    case DUET_TIMELINE_ITEM_PROP_REPLY_EVENT_ID:
      g_value_set_string (value, self->reply_event_id);
      break;
    case DUET_TIMELINE_ITEM_PROP_REPLY_SENDER_NAME:
      g_value_set_string (value, self->reply_sender_name);
      break;
    case DUET_TIMELINE_ITEM_PROP_REPLY_BODY:
      g_value_set_string (value, self->reply_body);
      break;
    case DUET_TIMELINE_ITEM_PROP_REACTIONS:
      g_value_set_boxed (value, self->reactions);
      break;
    case DUET_TIMELINE_ITEM_PROP_FILE_NAME:
      g_value_set_string (value, self->file_name);
      break;
    case DUET_TIMELINE_ITEM_PROP_FILE_SIZE:
      g_value_set_int64 (value, self->file_size);
      break;
    case DUET_TIMELINE_ITEM_PROP_MEDIA_URL:
      g_value_set_string (value, self->media_url);
      break;
    case DUET_TIMELINE_ITEM_PROP_MEDIA_WIDTH:
      g_value_set_int (value, self->media_width);
      break;
    case DUET_TIMELINE_ITEM_PROP_MEDIA_HEIGHT:
      g_value_set_int (value, self->media_height);
      break;
    case DUET_TIMELINE_ITEM_PROP_THUMBNAIL_URL:
      g_value_set_string (value, self->thumbnail_url);
      break;
    case DUET_TIMELINE_ITEM_PROP_OUTGOING:
      g_value_set_object (value, self->outgoing);
      break;
    case DUET_TIMELINE_ITEM_PROP_SEND_STATE:
      g_value_set_enum (value, self->send_state);
      break;
    case DUET_TIMELINE_ITEM_PROP_0:
    case DUET_TIMELINE_ITEM_N_PROPS:
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_timeline_item_class_init (DuetTimelineItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = duet_timeline_item_finalize;
  object_class->get_property = duet_timeline_item_get_property;

#define STRING_PROP(id, name) \
  properties[id] = g_param_spec_string (name, NULL, NULL, NULL, flags)
#define BOOL_PROP(id, name) \
  properties[id] = g_param_spec_boolean (name, NULL, NULL, FALSE, flags)

  properties[DUET_TIMELINE_ITEM_PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, DUET_TYPE_TIMELINE_ITEM_KIND,
                       DUET_TIMELINE_ITEM_MESSAGE, flags);
  STRING_PROP (DUET_TIMELINE_ITEM_PROP_EVENT_ID, "event-id");
  STRING_PROP (DUET_TIMELINE_ITEM_PROP_SENDER, "sender");
  STRING_PROP (DUET_TIMELINE_ITEM_PROP_SENDER_NAME, "sender-name");
  STRING_PROP (DUET_TIMELINE_ITEM_PROP_SENDER_AVATAR, "sender-avatar");
  properties[DUET_TIMELINE_ITEM_PROP_TIMESTAMP] =
    g_param_spec_int64 ("timestamp", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  BOOL_PROP (DUET_TIMELINE_ITEM_PROP_OWN, "own");
  BOOL_PROP (DUET_TIMELINE_ITEM_PROP_GROUP_START, "group-start");
  properties[DUET_TIMELINE_ITEM_PROP_MESSAGE_KIND] =
    g_param_spec_enum ("message-kind", NULL, NULL, DUET_TYPE_MESSAGE_KIND, DUET_MESSAGE_TEXT, flags);
  STRING_PROP (DUET_TIMELINE_ITEM_PROP_BODY, "body");
  STRING_PROP (DUET_TIMELINE_ITEM_PROP_MARKUP, "markup");
  BOOL_PROP (DUET_TIMELINE_ITEM_PROP_EDITED, "edited");
  STRING_PROP (DUET_TIMELINE_ITEM_PROP_REPLY_EVENT_ID, "reply-event-id");
  STRING_PROP (DUET_TIMELINE_ITEM_PROP_REPLY_SENDER_NAME, "reply-sender-name");
  STRING_PROP (DUET_TIMELINE_ITEM_PROP_REPLY_BODY, "reply-body");
  properties[DUET_TIMELINE_ITEM_PROP_REACTIONS] =
    g_param_spec_boxed ("reactions", NULL, NULL, G_TYPE_PTR_ARRAY, flags);
  STRING_PROP (DUET_TIMELINE_ITEM_PROP_FILE_NAME, "file-name");
  properties[DUET_TIMELINE_ITEM_PROP_FILE_SIZE] =
    g_param_spec_int64 ("file-size", NULL, NULL, -1, G_MAXINT64, -1, flags);
  STRING_PROP (DUET_TIMELINE_ITEM_PROP_MEDIA_URL, "media-url");
  properties[DUET_TIMELINE_ITEM_PROP_MEDIA_WIDTH] =
    g_param_spec_int ("media-width", NULL, NULL, 0, G_MAXINT, 0, flags);
  properties[DUET_TIMELINE_ITEM_PROP_MEDIA_HEIGHT] =
    g_param_spec_int ("media-height", NULL, NULL, 0, G_MAXINT, 0, flags);
  STRING_PROP (DUET_TIMELINE_ITEM_PROP_THUMBNAIL_URL, "thumbnail-url");
  properties[DUET_TIMELINE_ITEM_PROP_OUTGOING] =
    g_param_spec_object ("outgoing", NULL, NULL, DUET_TYPE_OUTGOING, flags);
  properties[DUET_TIMELINE_ITEM_PROP_SEND_STATE] =
    g_param_spec_enum ("send-state", NULL, NULL, DUET_TYPE_OUTGOING_STATE, DUET_OUTGOING_SENT, flags);

#undef STRING_PROP
#undef BOOL_PROP

  g_object_class_install_properties (object_class, DUET_TIMELINE_ITEM_N_PROPS, properties);
}

static void
duet_timeline_item_init (DuetTimelineItem *self)
{
  self->reactions = g_ptr_array_new_with_free_func ((GDestroyNotify) duet_reaction_free);
  self->reaction_refs = g_ptr_array_new_with_free_func ((GDestroyNotify) reaction_ref_free);
  self->file_size = -1;
  self->send_state = DUET_OUTGOING_SENT;
}

DuetTimelineItem *
_duet_timeline_item_new (DuetTimelineItemKind kind)
{
  DuetTimelineItem *self = g_object_new (DUET_TYPE_TIMELINE_ITEM, NULL);

  self->kind = kind;
  return self;
}

static char **
string_field (DuetTimelineItem     *self,
              DuetTimelineItemProp  prop)
{
  switch (prop)
    {
    case DUET_TIMELINE_ITEM_PROP_EVENT_ID: return &self->event_id;
    case DUET_TIMELINE_ITEM_PROP_SENDER: return &self->sender;
    case DUET_TIMELINE_ITEM_PROP_SENDER_NAME: return &self->sender_name;
    case DUET_TIMELINE_ITEM_PROP_SENDER_AVATAR: return &self->sender_avatar;
    case DUET_TIMELINE_ITEM_PROP_BODY: return &self->body;
    case DUET_TIMELINE_ITEM_PROP_MARKUP: return &self->markup;
    case DUET_TIMELINE_ITEM_PROP_REPLY_EVENT_ID: return &self->reply_event_id;
    case DUET_TIMELINE_ITEM_PROP_REPLY_SENDER_NAME: return &self->reply_sender_name;
    case DUET_TIMELINE_ITEM_PROP_REPLY_BODY: return &self->reply_body;
    case DUET_TIMELINE_ITEM_PROP_FILE_NAME: return &self->file_name;
    case DUET_TIMELINE_ITEM_PROP_MEDIA_URL: return &self->media_url;
    case DUET_TIMELINE_ITEM_PROP_THUMBNAIL_URL: return &self->thumbnail_url;
    default: g_return_val_if_reached (NULL);
    }
}

void
_duet_timeline_item_set_string (DuetTimelineItem     *self,
                                DuetTimelineItemProp  prop,
                                const char           *value)
{
  char **field = string_field (self, prop);

  if (field != NULL && duet_text_set (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
_duet_timeline_item_set_int (DuetTimelineItem     *self,
                             DuetTimelineItemProp  prop,
                             gint64                value)
{
  gint64 old;

  switch (prop)
    {
    case DUET_TIMELINE_ITEM_PROP_TIMESTAMP:
      old = self->timestamp;
      self->timestamp = value;
      self->day = _duet_timeline_day_of (value);
      break;
    case DUET_TIMELINE_ITEM_PROP_OWN:
      old = self->own;
      self->own = value != 0;
      break;
    case DUET_TIMELINE_ITEM_PROP_GROUP_START:
      old = self->group_start;
      self->group_start = value != 0;
      break;
    case DUET_TIMELINE_ITEM_PROP_MESSAGE_KIND:
      old = self->message_kind;
      self->message_kind = (DuetMessageKind) value;
      break;
    case DUET_TIMELINE_ITEM_PROP_EDITED:
      old = self->edited;
      self->edited = value != 0;
      break;
    case DUET_TIMELINE_ITEM_PROP_FILE_SIZE:
      old = self->file_size;
      self->file_size = value;
      break;
    case DUET_TIMELINE_ITEM_PROP_MEDIA_WIDTH:
      old = self->media_width;
      self->media_width = (int) CLAMP (value, 0, G_MAXINT);
      break;
    case DUET_TIMELINE_ITEM_PROP_MEDIA_HEIGHT:
      old = self->media_height;
      self->media_height = (int) CLAMP (value, 0, G_MAXINT);
      break;
    case DUET_TIMELINE_ITEM_PROP_SEND_STATE:
      old = self->send_state;
      self->send_state = (int) value;
      break;
    default:
      g_return_if_reached ();
    }
  if (old != value)
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
_duet_timeline_item_notify (DuetTimelineItem     *self,
                            DuetTimelineItemProp  prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
_duet_timeline_item_set_outgoing (DuetTimelineItem *self,
                                  GObject          *outgoing)
{
  if (g_set_object (&self->outgoing, outgoing))
    g_object_notify_by_pspec (G_OBJECT (self), properties[DUET_TIMELINE_ITEM_PROP_OUTGOING]);
}

/* The public array is rebuilt on every change, so a view holding the old
 * one sees a new pointer along with the notification. */
static void
rebuild_reactions (DuetTimelineItem *self,
                   const char       *own_user_id)
{
  g_autoptr(GPtrArray) reactions = g_ptr_array_new_with_free_func ((GDestroyNotify) duet_reaction_free);

  for (guint i = 0; i < self->reaction_refs->len; i++)
    {
      DuetReactionRef *ref = self->reaction_refs->pdata[i];
      DuetReaction *reaction = NULL;

      for (guint j = 0; j < reactions->len && reaction == NULL; j++)
        if (g_str_equal (((DuetReaction *) reactions->pdata[j])->key, ref->key))
          reaction = reactions->pdata[j];
      if (reaction == NULL)
        {
          reaction = g_new0 (DuetReaction, 1);
          reaction->key = g_strdup (ref->key);
          g_ptr_array_add (reactions, reaction);
        }
      reaction->count++;
      if (g_strcmp0 (ref->sender, own_user_id) == 0)
        reaction->mine = TRUE;
    }

  g_ptr_array_unref (self->reactions);
  self->reactions = g_steal_pointer (&reactions);
  g_object_notify_by_pspec (G_OBJECT (self), properties[DUET_TIMELINE_ITEM_PROP_REACTIONS]);
}

gboolean
_duet_timeline_item_add_reaction (DuetTimelineItem *self,
                                  const char       *event_id,
                                  const char       *sender,
                                  const char       *key,
                                  const char       *own_user_id)
{
  DuetReactionRef *ref;
  gboolean known_key = FALSE;
  guint keys = 0;

  if (self->reaction_refs->len >= DUET_TIMELINE_MAX_REACTIONS)
    return FALSE;
  for (guint i = 0; i < self->reaction_refs->len; i++)
    {
      DuetReactionRef *other = self->reaction_refs->pdata[i];

      if (g_str_equal (other->key, key))
        {
          /* One person's second identical reaction counts once. */
          if (g_str_equal (other->sender, sender))
            return FALSE;
          known_key = TRUE;
        }
    }
  keys = self->reactions->len;
  if (!known_key && keys >= DUET_TIMELINE_MAX_REACTION_KEYS)
    return FALSE;

  ref = g_new0 (DuetReactionRef, 1);
  ref->event_id = g_strdup (event_id);
  ref->sender = g_strdup (sender);
  ref->key = g_strdup (key);
  g_ptr_array_add (self->reaction_refs, ref);
  rebuild_reactions (self, own_user_id);
  return TRUE;
}

gboolean
_duet_timeline_item_remove_reaction (DuetTimelineItem *self,
                                     const char       *event_id,
                                     const char       *own_user_id)
{
  for (guint i = 0; i < self->reaction_refs->len; i++)
    {
      DuetReactionRef *ref = self->reaction_refs->pdata[i];

      if (g_str_equal (ref->event_id, event_id))
        {
          g_ptr_array_remove_index (self->reaction_refs, i);
          rebuild_reactions (self, own_user_id);
          return TRUE;
        }
    }
  return FALSE;
}

/* g_time_zone_new_local () stats and reads /etc/localtime on every call,
 * far too slow once per event of a long history: it is asked again at
 * most once a minute (a zone change shows within a minute). */
static GTimeZone *
local_zone (void)
{
  static GTimeZone *zone;
  static gint64 made_at;
  gint64 now = g_get_monotonic_time ();

  if (zone == NULL || now - made_at > 60 * G_USEC_PER_SEC)
    {
      g_clear_pointer (&zone, g_time_zone_unref);
      zone = g_time_zone_new_local ();
      made_at = now;
    }
  return zone;
}

gint64
_duet_timeline_day_of (gint64 timestamp_ms)
{
  GTimeZone *zone = local_zone ();
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (timestamp_ms / 1000);
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GDateTime) midnight = NULL;

  if (utc == NULL || (time = g_date_time_to_timezone (utc, zone)) == NULL)
    return 0;
  midnight = g_date_time_new (zone, g_date_time_get_year (time), g_date_time_get_month (time),
                              g_date_time_get_day_of_month (time), 0, 0, 0);
  return midnight != NULL ? g_date_time_to_unix (midnight) * 1000 : 0;
}

/* --- Public getters -------------------------------------------------------- */

DuetTimelineItemKind
duet_timeline_item_get_kind (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), DUET_TIMELINE_ITEM_MESSAGE);
  return self->kind;
}

const char *
duet_timeline_item_get_event_id (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), NULL);
  return self->event_id;
}

const char *
duet_timeline_item_get_sender (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), NULL);
  return self->sender;
}

const char *
duet_timeline_item_get_sender_name (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), NULL);
  return self->sender_name != NULL ? self->sender_name : self->sender;
}

const char *
duet_timeline_item_get_sender_avatar (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), NULL);
  return self->sender_avatar;
}

gint64
duet_timeline_item_get_timestamp (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), 0);
  return self->timestamp;
}

gboolean
duet_timeline_item_is_own (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), FALSE);
  return self->own;
}

gboolean
duet_timeline_item_get_group_start (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), FALSE);
  return self->group_start;
}

DuetMessageKind
duet_timeline_item_get_message_kind (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), DUET_MESSAGE_TEXT);
  return self->message_kind;
}

const char *
duet_timeline_item_get_body (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), NULL);
  return self->body;
}

const char *
duet_timeline_item_get_markup (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), NULL);
  if (self->markup == NULL && self->kind == DUET_TIMELINE_ITEM_MESSAGE)
    return "";
  return self->markup;
}

gboolean
duet_timeline_item_get_edited (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), FALSE);
  return self->edited;
}

const char *
duet_timeline_item_get_reply_event_id (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), NULL);
  return self->reply_event_id;
}

const char *
duet_timeline_item_get_reply_sender_name (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), NULL);
  return self->reply_sender_name;
}

const char *
duet_timeline_item_get_reply_body (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), NULL);
  return self->reply_body;
}

GPtrArray *
duet_timeline_item_get_reactions (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), NULL);
  return self->reactions;
}

const char *
duet_timeline_item_get_file_name (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), NULL);
  return self->file_name;
}

gint64
duet_timeline_item_get_file_size (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), -1);
  return self->file_size;
}

const char *
duet_timeline_item_get_media_url (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), NULL);
  return self->media_url;
}

int
duet_timeline_item_get_media_width (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), 0);
  return self->media_width;
}

int
duet_timeline_item_get_media_height (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), 0);
  return self->media_height;
}

const char *
duet_timeline_item_get_thumbnail_url (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), NULL);
  return self->thumbnail_url;
}

DuetOutgoing *
duet_timeline_item_get_outgoing (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), NULL);
  return (DuetOutgoing *) self->outgoing;
}

DuetOutgoingState
duet_timeline_item_get_send_state (DuetTimelineItem *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_ITEM (self), DUET_OUTGOING_SENT);
  return (DuetOutgoingState) self->send_state;
}
