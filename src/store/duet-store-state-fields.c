/* duet-store-state-fields.c: the start's fields of a stored state event
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs on the store's worker thread.  A start entry (duet-store-start.c)
 * keeps, of each state row the contact list reads (the m.room.member rows,
 * and the state_key '' rows of m.room.create, m.room.name,
 * m.room.encryption, m.room.tombstone and io.element.functional_members),
 * a few fields.  Versions 3 to 6 kept them as plain columns in a table,
 * state_fields, written beside every room_state row: a tenth of the
 * initial save's work for rows most of which no entry reads (the members
 * of large rooms).  Since version 7 the entry writer reads them here from
 * the row's text itself, when the worker is idle, and only for the rows
 * it keeps.
 *
 * The fields are read as the model reads the whole event (json-glib's
 * rules): a member of another type counts as absent, the last of a
 * repeated name wins, a string ends at U+0000.  A row whose text is not
 * JSON has no fields (the start leaves it out, as the whole snapshot
 * does).
 */
#include "config.h"

#include <string.h>

#include "duet-json-raw.h"
#include "duet-store-private.h"

/* A raw string value as json-glib reads it (cut at U+0000), or NULL when
 * it is no string. */
static char *
dup_string (const DuetJsonRaw *raw)
{
  g_autoptr(JsonNode) node = NULL;

  if (duet_json_raw_type (raw) != '"' || raw->length < 2)
    return NULL;
  /* The common case: no escapes (g_strndup() ends at a NUL as well). */
  if (memchr (raw->data, '\\', raw->length) == NULL)
    return g_strndup (raw->data + 1, raw->length - 2);
  node = duet_json_raw_parse (raw->data, raw->length, 0, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (node));
}

/* A raw member name (quotes included) as json-glib keeps it equals @literal. */
static gboolean
name_is (const DuetJsonRaw *name,
         const char        *literal)
{
  gsize length = strlen (literal);
  g_autofree char *unescaped = NULL;

  if (name->length == length + 2 && memcmp (name->data + 1, literal, length) == 0)
    return TRUE;
  if (memchr (name->data, '\\', name->length) == NULL)
    return FALSE;
  unescaped = dup_string (name);
  return unescaped != NULL && g_str_equal (unescaped, literal);
}

/* The members @names[i] of @object into @values[i] (zeroed when absent or
 * when @object is no object): the last of a repeated name wins.  With
 * @strict the object is checked on the way, and FALSE when it is no JSON
 * or holds raw control characters; else it is checked JSON already, and
 * the fast reader finds the values' ends. */
static gboolean
read_members (const DuetJsonRaw *object,
              gboolean           strict,
              const char *const *names,
              DuetJsonRaw       *values,
              guint              n_names)
{
  DuetJsonRawIter iter;
  DuetJsonRaw name, value;
  gboolean controls = FALSE;

  memset (values, 0, n_names * sizeof *values);
  if (duet_json_raw_type (object) != '{' ||
      !duet_json_raw_iter_init (&iter, object->data, object->length, 0, strict))
    return FALSE;
  while (duet_json_raw_iter_next (&iter, &name, &value))
    {
      controls |= name.controls || value.controls;
      for (guint i = 0; i < n_names; i++)
        if (name_is (&name, names[i]))
          {
            values[i] = value;
            break;
          }
    }
  if (duet_json_raw_iter_failed (&iter) || (strict && controls))
    {
      memset (values, 0, n_names * sizeof *values);
      return FALSE;
    }
  return TRUE;
}

static void
read_member_fields (DuetStoreStateFields *fields,
                    const DuetJsonRaw    *event,
                    gboolean              own)
{
  static const char *const content_names[] = { "membership", "displayname", "avatar_url", "is_direct" };
  static const char *const unsigned_names[] = { "prev_content", "prev_sender" };
  static const char *const prev_names[] = { "membership", "is_direct" };
  DuetJsonRaw values[G_N_ELEMENTS (content_names)];
  DuetJsonRaw unsigned_[G_N_ELEMENTS (unsigned_names)];
  DuetJsonRaw prev[G_N_ELEMENTS (prev_names)];

  read_members (&event[0], FALSE, content_names, values, G_N_ELEMENTS (content_names));
  fields->membership = values[0];
  fields->displayname = values[1];
  fields->avatar_url = values[2];
  /* Who made the room direct is kept of our own member event only. */
  if (!own)
    return;
  fields->is_direct = values[3];
  fields->sender = event[1];

  read_members (&event[2], FALSE, unsigned_names, unsigned_, G_N_ELEMENTS (unsigned_names));
  read_members (&unsigned_[0], FALSE, prev_names, prev, G_N_ELEMENTS (prev_names));
  fields->prev_membership = prev[0];
  fields->prev_is_direct = prev[1];
  fields->prev_sender = unsigned_[1];
}

static void
read_list_fields (DuetStoreStateFields *fields,
                  const char           *type,
                  const DuetJsonRaw    *content)
{
  if (g_str_equal (type, "m.room.name"))
    read_members (content, FALSE, (const char *[]) { "name" }, &fields->name, 1);
  else if (g_str_equal (type, "m.room.tombstone"))
    read_members (content, FALSE, (const char *[]) { "replacement_room" }, &fields->replacement, 1);
  else if (g_str_equal (type, "m.room.create"))
    {
      DuetJsonRaw value;

      read_members (content, FALSE, (const char *[]) { "predecessor" }, &value, 1);
      read_members (&value, FALSE, (const char *[]) { "room_id" }, &fields->predecessor, 1);
    }
  else if (g_str_equal (type, "io.element.functional_members"))
    read_members (content, FALSE, (const char *[]) { "service_members" }, &fields->service_members, 1);
}

gboolean
duet_store_state_fields_read (DuetStoreStateFields *fields,
                              const char           *type,
                              const char           *text,
                              gsize                 length,
                              gboolean              own)
{
  static const char *const event_names[] = { "content", "sender", "unsigned" };
  DuetJsonRaw whole = { text, length, FALSE };
  DuetJsonRaw event[G_N_ELEMENTS (event_names)];

  memset (fields, 0, sizeof *fields);
  /* The one strict pass: a row that is no JSON has no fields (raw
   * control characters in a string are no JSON either). */
  if (!read_members (&whole, TRUE, event_names, event, G_N_ELEMENTS (event_names)))
    return FALSE;
  fields->content_object = duet_json_raw_type (&event[0]) == '{';
  if (g_str_equal (type, "m.room.member"))
    read_member_fields (fields, event, own);
  else
    read_list_fields (fields, type, &event[0]);
  return TRUE;
}

char *
duet_store_state_fields_dup_string (const DuetJsonRaw *value)
{
  return dup_string (value);
}
