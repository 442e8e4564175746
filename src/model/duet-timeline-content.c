/* duet-timeline-content.c: what one event shows in a chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every event is untrusted: a member of the wrong type counts as missing,
 * every string shown is sanitized and bounded, every mxc:// URL is
 * validated, and markup only ever comes from duet-html.c.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "duet-html.h"
#include "duet-json.h"
#include "duet-matrix-id.h"
#include "duet-text.h"
#include "duet-timeline-private.h"

static gboolean
is_bidi_control (gunichar c)
{
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
         c == 0x200E || c == 0x200F || c == 0x061C;
}

char *
_duet_timeline_sanitize_body (const char *text,
                              guint       max_chars)
{
  g_autoptr(GString) out = NULL;
  const char *p, *end;
  guint chars = 0;

  if (text == NULL)
    return NULL;

  end = text + strlen (text);
  out = g_string_sized_new (MIN ((gsize) (end - text), (gsize) max_chars * 4) + 4);
  for (p = text; p < end;)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          c = 0xFFFD;
          p++;
        }
      else
        p = g_utf8_next_char (p);

      if (c == '\r')
        continue;
      if ((g_unichar_iscntrl (c) && c != '\n' && c != '\t') || is_bidi_control (c))
        continue;
      if (chars == max_chars)
        {
          g_string_append (out, "…");
          break;
        }
      g_string_append_unichar (out, c);
      chars++;
    }

  /* Leading and trailing blank lines show nothing. */
  while (out->len > 0 && g_ascii_isspace (out->str[out->len - 1]))
    g_string_truncate (out, out->len - 1);
  {
    gsize lead = 0;

    while (lead < out->len && (out->str[lead] == '\n'))
      lead++;
    g_string_erase (out, 0, lead);
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* A reply's body starts with the quoted original ("> <@bob:x> hi" lines)
 * and an empty line: the quote is shown from the real event instead. */
static const char *
skip_reply_fallback (const char *body)
{
  const char *p = body;

  if (!g_str_has_prefix (body, ">"))
    return body;
  while (*p == '>')
    {
      const char *newline = strchr (p, '\n');

      if (newline == NULL)
        return body;  /* nothing but quote: keep it rather than show nothing */
      p = newline + 1;
    }
  if (*p == '\n')
    p++;
  return p;
}

static const char *
valid_mxc (JsonObject *object,
           const char *member)
{
  const char *url = duet_json_get_string (object, member);

  if (url == NULL || strlen (url) > DUET_TEXT_MAX_ID_BYTES || !duet_mxc_parse (url, NULL, NULL, NULL))
    return NULL;
  return url;
}

static void
set_markup_from_body (DuetTimelineItem *self)
{
  g_autofree char *markup = duet_html_linkify (self->body);

  _duet_timeline_item_set_string (self, DUET_TIMELINE_ITEM_PROP_MARKUP, markup);
}

static void
apply_media (DuetTimelineItem *self,
             JsonObject       *content,
             DuetMessageKind   kind)
{
  JsonObject *info = duet_json_get_object (content, "info");
  const char *name = duet_json_get_string (content, "filename");
  g_autofree char *file_name = NULL;
  g_autofree char *markup = NULL;
  gint64 size = duet_json_get_int (info, "size", -1);

  if (name == NULL)
    name = duet_json_get_string (content, "body");
  file_name = duet_text_sanitize_line (name, DUET_TEXT_MAX_NAME_CHARS);
  if (file_name == NULL)
    file_name = g_strdup (kind == DUET_MESSAGE_IMAGE ? _("Image") : _("File"));

  _duet_timeline_item_set_int (self, DUET_TIMELINE_ITEM_PROP_MESSAGE_KIND, kind);
  _duet_timeline_item_set_string (self, DUET_TIMELINE_ITEM_PROP_FILE_NAME, file_name);
  _duet_timeline_item_set_string (self, DUET_TIMELINE_ITEM_PROP_BODY, file_name);
  markup = g_markup_escape_text (file_name, -1);
  _duet_timeline_item_set_string (self, DUET_TIMELINE_ITEM_PROP_MARKUP, markup);
  _duet_timeline_item_set_int (self, DUET_TIMELINE_ITEM_PROP_FILE_SIZE, size >= 0 ? size : -1);
  /* An encrypted file ("file" instead of "url") cannot be fetched as is. */
  _duet_timeline_item_set_string (self, DUET_TIMELINE_ITEM_PROP_MEDIA_URL, valid_mxc (content, "url"));
  if (kind == DUET_MESSAGE_IMAGE)
    {
      gint64 w = duet_json_get_int (info, "w", 0), h = duet_json_get_int (info, "h", 0);

      _duet_timeline_item_set_int (self, DUET_TIMELINE_ITEM_PROP_MEDIA_WIDTH, CLAMP (w, 0, 100000));
      _duet_timeline_item_set_int (self, DUET_TIMELINE_ITEM_PROP_MEDIA_HEIGHT, CLAMP (h, 0, 100000));
      _duet_timeline_item_set_string (self, DUET_TIMELINE_ITEM_PROP_THUMBNAIL_URL,
                                      valid_mxc (info, "thumbnail_url"));
    }
}

void
_duet_timeline_item_apply_content (DuetTimelineItem *self,
                                   JsonObject       *content,
                                   gboolean          is_reply)
{
  const char *msgtype = duet_json_get_string (content, "msgtype");
  const char *raw_body = duet_json_get_string (content, "body");
  const char *format = duet_json_get_string (content, "format");
  const char *formatted = duet_json_get_string (content, "formatted_body");
  DuetMessageKind kind = DUET_MESSAGE_UNSUPPORTED;
  g_autofree char *body = NULL;

  if (g_strcmp0 (msgtype, "m.image") == 0)
    {
      apply_media (self, content, DUET_MESSAGE_IMAGE);
      return;
    }
  if (g_strcmp0 (msgtype, "m.file") == 0 || g_strcmp0 (msgtype, "m.audio") == 0 ||
      g_strcmp0 (msgtype, "m.video") == 0)
    {
      apply_media (self, content, DUET_MESSAGE_FILE);
      return;
    }

  if (g_strcmp0 (msgtype, "m.text") == 0)
    kind = DUET_MESSAGE_TEXT;
  else if (g_strcmp0 (msgtype, "m.notice") == 0)
    kind = DUET_MESSAGE_NOTICE;
  else if (g_strcmp0 (msgtype, "m.emote") == 0)
    kind = DUET_MESSAGE_EMOTE;

  if (raw_body != NULL && is_reply)
    raw_body = skip_reply_fallback (raw_body);
  body = _duet_timeline_sanitize_body (raw_body != NULL ? raw_body : "", DUET_TIMELINE_MAX_BODY_CHARS);

  _duet_timeline_item_set_int (self, DUET_TIMELINE_ITEM_PROP_MESSAGE_KIND, kind);
  _duet_timeline_item_set_string (self, DUET_TIMELINE_ITEM_PROP_BODY, body);
  if (kind != DUET_MESSAGE_UNSUPPORTED && g_strcmp0 (format, "org.matrix.custom.html") == 0 &&
      formatted != NULL)
    {
      g_autofree char *markup = duet_html_to_markup (formatted);

      if (*markup != '\0')
        {
          _duet_timeline_item_set_string (self, DUET_TIMELINE_ITEM_PROP_MARKUP, markup);
          return;
        }
    }
  set_markup_from_body (self);
}

void
_duet_timeline_item_redact (DuetTimelineItem *self)
{
  g_object_freeze_notify (G_OBJECT (self));
  _duet_timeline_item_set_int (self, DUET_TIMELINE_ITEM_PROP_MESSAGE_KIND, DUET_MESSAGE_REDACTED);
  _duet_timeline_item_set_string (self, DUET_TIMELINE_ITEM_PROP_BODY, _("Message deleted"));
  set_markup_from_body (self);
  _duet_timeline_item_set_int (self, DUET_TIMELINE_ITEM_PROP_EDITED, FALSE);
  _duet_timeline_item_set_string (self, DUET_TIMELINE_ITEM_PROP_FILE_NAME, NULL);
  _duet_timeline_item_set_string (self, DUET_TIMELINE_ITEM_PROP_MEDIA_URL, NULL);
  _duet_timeline_item_set_string (self, DUET_TIMELINE_ITEM_PROP_THUMBNAIL_URL, NULL);
  _duet_timeline_item_set_int (self, DUET_TIMELINE_ITEM_PROP_FILE_SIZE, -1);
  _duet_timeline_item_set_string (self, DUET_TIMELINE_ITEM_PROP_REPLY_EVENT_ID, NULL);
  _duet_timeline_item_set_string (self, DUET_TIMELINE_ITEM_PROP_REPLY_SENDER_NAME, NULL);
  _duet_timeline_item_set_string (self, DUET_TIMELINE_ITEM_PROP_REPLY_BODY, NULL);
  if (self->reaction_refs->len > 0)
    {
      g_ptr_array_set_size (self->reaction_refs, 0);
      g_ptr_array_set_size (self->reactions, 0);
      _duet_timeline_item_notify (self, DUET_TIMELINE_ITEM_PROP_REACTIONS);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

char *
_duet_timeline_item_dup_preview (DuetTimelineItem *self)
{
  switch (self->message_kind)
    {
    case DUET_MESSAGE_IMAGE:
    case DUET_MESSAGE_FILE:
      return g_strdup (self->file_name);
    case DUET_MESSAGE_TEXT:
    case DUET_MESSAGE_NOTICE:
    case DUET_MESSAGE_EMOTE:
    case DUET_MESSAGE_ENCRYPTED:
    case DUET_MESSAGE_REDACTED:
    case DUET_MESSAGE_UNSUPPORTED:
    default:
      return duet_text_sanitize_line (self->body, DUET_TIMELINE_REPLY_PREVIEW_CHARS);
    }
}

/* --- Room events ----------------------------------------------------------- */

static char *
member_name (DuetRoom   *room,
             const char *user_id)
{
  DuetMember *member = room != NULL ? duet_room_lookup_member (room, user_id) : NULL;
  const char *name = member != NULL ? duet_member_get_display_name (member) : NULL;

  return g_strdup (name != NULL ? name : user_id);
}

static char *
content_name (JsonObject *content,
              const char *fallback)
{
  char *name = duet_text_sanitize_line (duet_json_get_string (content, "displayname"),
                                        DUET_TEXT_MAX_NAME_CHARS);

  return name != NULL ? name : g_strdup (fallback);
}

static char *
member_event_line (JsonObject *event,
                   JsonObject *content,
                   const char *sender_name,
                   DuetRoom   *room)
{
  const char *target = duet_json_get_string (event, "state_key");
  const char *sender = duet_json_get_string (event, "sender");
  JsonObject *prev = duet_json_get_object (duet_json_get_object (event, "unsigned"), "prev_content");
  const char *membership = duet_json_get_string (content, "membership");
  const char *prev_membership = duet_json_get_string (prev, "membership");
  g_autofree char *target_name = NULL;
  g_autofree char *old_name = NULL;
  g_autofree char *new_name = NULL;

  if (target == NULL || !duet_matrix_is_valid_user_id (target) || membership == NULL)
    return NULL;
  target_name = content_name (content, NULL);
  if (target_name == NULL)
    target_name = content_name (prev, target);

  if (g_str_equal (membership, "join"))
    {
      if (g_strcmp0 (prev_membership, "join") != 0)
        /* Translators: someone joined the chat */
        return g_strdup_printf (_("%s joined"), target_name);
      old_name = duet_text_sanitize_line (duet_json_get_string (prev, "displayname"),
                                          DUET_TEXT_MAX_NAME_CHARS);
      new_name = duet_text_sanitize_line (duet_json_get_string (content, "displayname"),
                                          DUET_TEXT_MAX_NAME_CHARS);
      if (g_strcmp0 (old_name, new_name) == 0)
        return NULL;  /* an avatar change: not worth a line */
      if (old_name == NULL)
        return g_strdup_printf (_("%s set their name to %s"), target, new_name);
      if (new_name == NULL)
        return g_strdup_printf (_("%s removed their name"), old_name);
      return g_strdup_printf (_("%s changed their name to %s"), old_name, new_name);
    }
  if (g_str_equal (membership, "invite"))
    return g_strdup_printf (_("%s invited %s"), sender_name, target_name);
  if (g_str_equal (membership, "leave"))
    {
      if (g_strcmp0 (sender, target) == 0)
        {
          if (g_strcmp0 (prev_membership, "invite") == 0)
            return g_strdup_printf (_("%s declined the invitation"), target_name);
          return g_strdup_printf (_("%s left"), target_name);
        }
      if (g_strcmp0 (prev_membership, "ban") == 0)
        return g_strdup_printf (_("%s unbanned %s"), sender_name, target_name);
      if (g_strcmp0 (prev_membership, "invite") == 0)
        return g_strdup_printf (_("%s withdrew the invitation of %s"), sender_name, target_name);
      return g_strdup_printf (_("%s removed %s"), sender_name, target_name);
    }
  if (g_str_equal (membership, "ban"))
    return g_strdup_printf (_("%s banned %s"), sender_name, target_name);
  (void) room;
  return NULL;
}

static char *
state_event_line (JsonObject *event,
                  const char *type,
                  JsonObject *content,
                  const char *sender_name,
                  DuetRoom   *room)
{
  const char *state_key = duet_json_get_string (event, "state_key");

  if (g_str_equal (type, "m.room.member"))
    return member_event_line (event, content, sender_name, room);
  if (g_strcmp0 (state_key, "") != 0)
    return NULL;

  if (g_str_equal (type, "m.room.create"))
    return g_strdup_printf (_("%s created the chat"), sender_name);
  if (g_str_equal (type, "m.room.name"))
    {
      g_autofree char *name = duet_text_sanitize_line (duet_json_get_string (content, "name"),
                                                       DUET_TEXT_MAX_NAME_CHARS);
      if (name == NULL)
        return g_strdup_printf (_("%s removed the chat name"), sender_name);
      return g_strdup_printf (_("%s renamed the chat to “%s”"), sender_name, name);
    }
  if (g_str_equal (type, "m.room.topic"))
    {
      g_autofree char *topic = duet_text_sanitize_line (duet_json_get_string (content, "topic"),
                                                        DUET_TEXT_MAX_PREVIEW_CHARS);
      if (topic == NULL)
        return g_strdup_printf (_("%s removed the topic"), sender_name);
      return g_strdup_printf (_("%s changed the topic to “%s”"), sender_name, topic);
    }
  if (g_str_equal (type, "m.room.encryption"))
    return g_strdup_printf (_("%s turned on encryption"), sender_name);
  if (g_str_equal (type, "m.room.tombstone"))
    return g_strdup (_("This chat continues in a new room"));
  return NULL;
}

DuetTimelineItem *
_duet_timeline_item_new_from_event (JsonObject *event,
                                    DuetRoom   *room,
                                    const char *own_user_id)
{
  const char *type = duet_json_get_string (event, "type");
  const char *sender = duet_json_get_string (event, "sender");
  const char *event_id = duet_json_get_string (event, "event_id");
  JsonObject *content = duet_json_get_object (event, "content");
  JsonObject *unsigned_ = duet_json_get_object (event, "unsigned");
  gboolean redacted = duet_json_get_object (unsigned_, "redacted_because") != NULL;
  JsonObject *relates_to = duet_json_get_object (content, "m.relates_to");
  g_autoptr(DuetTimelineItem) item = NULL;
  g_autofree char *sender_name = NULL;
  DuetMember *member;

  if (type == NULL || sender == NULL || !duet_matrix_is_valid_user_id (sender) ||
      event_id == NULL || !duet_matrix_is_valid_event_id (event_id))
    return NULL;
  if (content == NULL)
    {
      if (!redacted)
        return NULL;
      content = NULL;
    }

  sender_name = member_name (room, sender);

  if (duet_json_get_string (event, "state_key") != NULL)
    {
      g_autofree char *line = NULL;
      g_autofree char *markup = NULL;

      if (redacted || content == NULL ||
          (line = state_event_line (event, type, content, sender_name, room)) == NULL)
        return NULL;
      item = _duet_timeline_item_new (DUET_TIMELINE_ITEM_EVENT);
      item->body = g_steal_pointer (&line);
      markup = g_markup_escape_text (item->body, -1);
      item->markup = g_steal_pointer (&markup);
    }
  else if (g_str_equal (type, "m.room.message") || g_str_equal (type, "m.sticker") ||
           g_str_equal (type, "m.room.encrypted"))
    {
      const char *rel_type = duet_json_get_string (relates_to, "rel_type");
      const char *reply_to = duet_json_get_string (duet_json_get_object (relates_to, "m.in_reply_to"),
                                                   "event_id");

      /* Edits change their original: they are no item of their own (nor
       * when redacted, if the server kept the relation as MSC3389 asks). */
      if (g_strcmp0 (rel_type, "m.replace") == 0 && !g_str_equal (type, "m.room.encrypted"))
        return NULL;

      item = _duet_timeline_item_new (DUET_TIMELINE_ITEM_MESSAGE);
      if (redacted || content == NULL)
        _duet_timeline_item_redact (item);
      else if (g_str_equal (type, "m.room.encrypted"))
        {
          g_autofree char *markup = NULL;

          item->message_kind = DUET_MESSAGE_ENCRYPTED;
          item->body = g_strdup (_("encrypted — not readable in Duet yet"));
          markup = g_markup_escape_text (item->body, -1);
          item->markup = g_steal_pointer (&markup);
        }
      else if (g_str_equal (type, "m.sticker"))
        apply_media (item, content, DUET_MESSAGE_IMAGE);
      else
        {
          gboolean is_reply = reply_to != NULL && duet_matrix_is_valid_event_id (reply_to);

          _duet_timeline_item_apply_content (item, content, is_reply);
          if (is_reply)
            {
              item->reply_event_id = g_strdup (reply_to);
              item->reply_sender_name = g_strdup ("");
              item->reply_body = g_strdup (_("Original message not loaded"));
            }
        }
    }
  else
    return NULL;

  item->event_id = g_strdup (event_id);
  item->sender = g_strdup (sender);
  item->sender_name = g_steal_pointer (&sender_name);
  member = room != NULL ? duet_room_lookup_member (room, sender) : NULL;
  item->sender_avatar = g_strdup (member != NULL ? duet_member_get_avatar_url (member) : NULL);
  item->own = g_strcmp0 (sender, own_user_id) == 0;
  item->timestamp = MAX (duet_json_get_int (event, "origin_server_ts", 0), 0);
  item->day = _duet_timeline_day_of (item->timestamp);
  item->txn_id = g_strdup (duet_json_get_string (unsigned_, "transaction_id"));
  return g_steal_pointer (&item);
}
