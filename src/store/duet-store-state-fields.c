/* duet-store-state-fields.c: the start's fields of a state row, written with it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs on the store's worker thread.  state_fields (duet-store-schema.c)
 * holds, per room_state row the contact list reads (every m.room.member
 * row, and the state_key '' rows of m.room.create, m.room.name,
 * m.room.encryption, m.room.tombstone and io.element.functional_members),
 * the few fields a start needs as plain columns.  Schema version 3 filled
 * it with triggers on room_state, which ran SQLite's JSON functions a
 * dozen times per row and made the initial save half again as much work;
 * since version 4 the code that writes a room_state row writes its fields
 * beside it, in the same transaction, from the text it stores.
 *
 * The fields are read as the model reads the whole event (json-glib's
 * rules): a member of another type counts as absent, the last of a
 * repeated name wins, a string ends at U+0000.  Columns:
 *
 *   content_type, is_direct, prev_is_direct: the JSON type of the value
 *       as SQLite's json_type() names it ('object', 'true', ...), or NULL;
 *   service_members: the value's JSON text, whatever its type;
 *   the others: the string, or NULL when it is no string.
 *
 * A row whose text is not JSON has no fields (the start leaves it out,
 * as the whole snapshot does).
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
 * when @object is no object): the last of a repeated name wins.  @object
 * is checked JSON already, so the fast reader finds the values' ends. */
static void
read_members (const DuetJsonRaw *object,
              const char *const *names,
              DuetJsonRaw       *values,
              guint              n_names)
{
  DuetJsonRawIter iter;
  DuetJsonRaw name, value;

  memset (values, 0, n_names * sizeof *values);
  if (duet_json_raw_type (object) != '{' ||
      !duet_json_raw_iter_init (&iter, object->data, object->length, 0, FALSE))
    return;
  while (duet_json_raw_iter_next (&iter, &name, &value))
    for (guint i = 0; i < n_names; i++)
      if (name_is (&name, names[i]))
        {
          values[i] = value;
          break;
        }
  if (duet_json_raw_iter_failed (&iter))
    memset (values, 0, n_names * sizeof *values);
}

/* The value's JSON type as SQLite's json_type() names it; NULL when absent. */
static const char *
type_name (const DuetJsonRaw *value)
{
  switch (duet_json_raw_type (value))
    {
    case 0:
      return NULL;
    case '{':
      return "object";
    case '[':
      return "array";
    case '"':
      return "text";
    case 't':
      return "true";
    case 'f':
      return "false";
    case 'n':
      return "null";
    default:
      for (gsize i = 0; i < value->length; i++)
        if (value->data[i] == '.' || value->data[i] == 'e' || value->data[i] == 'E')
          return "real";
      return "integer";
    }
}

gboolean
duet_store_state_fields_wanted (const char *type,
                                const char *state_key)
{
  static const char *const list_types[] = {
    "m.room.create", "m.room.name", "m.room.encryption", "m.room.tombstone",
    "io.element.functional_members",
  };

  if (g_str_equal (type, "m.room.member"))
    return TRUE;
  if (*state_key != '\0')
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (list_types); i++)
    if (g_str_equal (type, list_types[i]))
      return TRUE;
  return FALSE;
}

enum {
  COL_ROOM_ID = 1, COL_TYPE, COL_STATE_KEY, COL_CONTENT_TYPE, COL_MEMBERSHIP, COL_DISPLAYNAME,
  COL_AVATAR_URL, COL_IS_DIRECT, COL_NAME, COL_REPLACEMENT, COL_PREDECESSOR, COL_SERVICE_MEMBERS,
  COL_SENDER, COL_PREV_MEMBERSHIP, COL_PREV_IS_DIRECT, COL_PREV_SENDER,
};

/* The string bound in place when it has no escapes: then it holds no
 * U+0000 either (a raw control character is no checked JSON), and the
 * text outlives the statement's step. */
static void
bind_string (sqlite3_stmt      *stmt,
             int                column,
             const DuetJsonRaw *value)
{
  char *text;

  if (duet_json_raw_type (value) != '"' || value->length < 2)
    return;
  if (memchr (value->data, '\\', value->length) == NULL)
    {
      sqlite3_bind_text (stmt, column, value->data + 1, (int) value->length - 2, SQLITE_STATIC);
      return;
    }
  text = dup_string (value);
  if (text != NULL)
    sqlite3_bind_text (stmt, column, text, -1, g_free);
}

static void
bind_member_fields (sqlite3_stmt      *stmt,
                    const DuetJsonRaw *event,
                    const DuetJsonRaw *content)
{
  static const char *const content_names[] = { "membership", "displayname", "avatar_url", "is_direct" };
  static const char *const unsigned_names[] = { "prev_content", "prev_sender" };
  static const char *const prev_names[] = { "membership", "is_direct" };
  DuetJsonRaw fields[G_N_ELEMENTS (content_names)];
  DuetJsonRaw unsigned_[G_N_ELEMENTS (unsigned_names)];
  DuetJsonRaw prev[G_N_ELEMENTS (prev_names)];

  read_members (content, content_names, fields, G_N_ELEMENTS (content_names));
  bind_string (stmt, COL_MEMBERSHIP, &fields[0]);
  bind_string (stmt, COL_DISPLAYNAME, &fields[1]);
  bind_string (stmt, COL_AVATAR_URL, &fields[2]);
  sqlite3_bind_text (stmt, COL_IS_DIRECT, type_name (&fields[3]), -1, SQLITE_STATIC);

  read_members (&event[2], unsigned_names, unsigned_, G_N_ELEMENTS (unsigned_names));
  read_members (&unsigned_[0], prev_names, prev, G_N_ELEMENTS (prev_names));
  bind_string (stmt, COL_SENDER, &event[1]);
  bind_string (stmt, COL_PREV_MEMBERSHIP, &prev[0]);
  sqlite3_bind_text (stmt, COL_PREV_IS_DIRECT, type_name (&prev[1]), -1, SQLITE_STATIC);
  bind_string (stmt, COL_PREV_SENDER, &unsigned_[1]);
}

static void
bind_list_fields (sqlite3_stmt      *stmt,
                  const char        *type,
                  const DuetJsonRaw *content)
{
  DuetJsonRaw value;

  if (g_str_equal (type, "m.room.name"))
    {
      read_members (content, (const char *[]) { "name" }, &value, 1);
      bind_string (stmt, COL_NAME, &value);
    }
  else if (g_str_equal (type, "m.room.tombstone"))
    {
      read_members (content, (const char *[]) { "replacement_room" }, &value, 1);
      bind_string (stmt, COL_REPLACEMENT, &value);
    }
  else if (g_str_equal (type, "m.room.create"))
    {
      DuetJsonRaw room_id;

      read_members (content, (const char *[]) { "predecessor" }, &value, 1);
      read_members (&value, (const char *[]) { "room_id" }, &room_id, 1);
      bind_string (stmt, COL_PREDECESSOR, &room_id);
    }
  else if (g_str_equal (type, "io.element.functional_members"))
    {
      read_members (content, (const char *[]) { "service_members" }, &value, 1);
      if (value.length > 0)
        sqlite3_bind_text (stmt, COL_SERVICE_MEMBERS, value.data, (int) value.length, SQLITE_STATIC);
    }
}

/* @event: the event's members content, sender and unsigned. */
static gboolean
put_fields (DuetStoreDb        *db,
            const char         *room_id,
            const char         *type,
            const char         *state_key,
            const DuetJsonRaw  *event,
            GError            **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db,
    "INSERT OR REPLACE INTO state_fields (room_id, type, state_key, content_type, membership, "
    "displayname, avatar_url, is_direct, name, replacement, predecessor, service_members, sender, "
    "prev_membership, prev_is_direct, prev_sender) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, COL_ROOM_ID, room_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, COL_TYPE, type, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, COL_STATE_KEY, state_key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, COL_CONTENT_TYPE, type_name (&event[0]), -1, SQLITE_STATIC);
  if (g_str_equal (type, "m.room.member"))
    bind_member_fields (stmt, event, &event[0]);
  else
    bind_list_fields (stmt, type, &event[0]);
  return duet_store_db_step_write (db, stmt, error);
}

gboolean
duet_store_db_put_state_fields_read (DuetStoreDb        *db,
                                     const char         *room_id,
                                     const char         *type,
                                     const char         *state_key,
                                     const DuetJsonRaw  *content,
                                     const DuetJsonRaw  *sender,
                                     const DuetJsonRaw  *unsigned_,
                                     GError            **error)
{
  DuetJsonRaw event[3] = { *content, *sender, *unsigned_ };

  DUET_STORE_DB_ASSERT_THREAD (db);

  if (!duet_store_state_fields_wanted (type, state_key))
    return TRUE;
  return put_fields (db, room_id, type, state_key, event, error);
}

gboolean
duet_store_db_put_state_fields (DuetStoreDb  *db,
                                const char   *room_id,
                                const char   *type,
                                const char   *state_key,
                                const char   *text,
                                gsize         length,
                                gboolean      checked,
                                GError      **error)
{
  static const char *const event_names[] = { "content", "sender", "unsigned" };
  DuetJsonRaw whole = { text, length, FALSE };
  DuetJsonRaw event[G_N_ELEMENTS (event_names)];
  sqlite3_stmt *stmt;
  gboolean controls = FALSE;

  DUET_STORE_DB_ASSERT_THREAD (db);

  if (!duet_store_state_fields_wanted (type, state_key))
    return TRUE;

  /* A row that replaces one with fields and is no JSON itself has none
   * (raw control characters in a string are no JSON either). */
  if (!checked && (!duet_json_raw_validate (text, length, 0, &controls) || controls))
    {
      stmt = duet_store_db_prepare (db,
        "DELETE FROM state_fields WHERE room_id = ?1 AND type = ?2 AND state_key = ?3", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, type, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, state_key, -1, SQLITE_STATIC);
      return duet_store_db_step_write (db, stmt, error);
    }

  read_members (&whole, event_names, event, G_N_ELEMENTS (event_names));
  return put_fields (db, room_id, type, state_key, event, error);
}

gboolean
duet_store_db_refill_state_fields (DuetStoreDb  *db,
                                   GError      **error)
{
  /* Its own statement: the loop below uses the cached insert. */
  sqlite3_stmt *rows = NULL;
  int rc;

  DUET_STORE_DB_ASSERT_THREAD (db);

  if (!duet_store_db_exec (db, "DELETE FROM state_fields", error))
    return FALSE;
  rc = sqlite3_prepare_v2 (db->handle,
    "SELECT room_id, type, state_key, event FROM room_state "
    "WHERE type = 'm.room.member' OR state_key = ''", -1, &rows, NULL);
  if (rc != SQLITE_OK)
    return duet_store_db_fail (db, rc, "read", error);
  while ((rc = sqlite3_step (rows)) == SQLITE_ROW)
    {
      const char *room_id = (const char *) sqlite3_column_text (rows, 0);
      const char *type = (const char *) sqlite3_column_text (rows, 1);
      const char *state_key = (const char *) sqlite3_column_text (rows, 2);
      const char *text = (const char *) sqlite3_column_text (rows, 3);

      /* Rows written before are checked again: a damaged one is left out. */
      if (room_id == NULL || type == NULL || state_key == NULL || text == NULL)
        continue;
      if (!duet_store_db_put_state_fields (db, room_id, type, state_key, text,
                                           sqlite3_column_bytes (rows, 3), FALSE, error))
        {
          sqlite3_finalize (rows);
          return FALSE;
        }
    }
  sqlite3_finalize (rows);
  if (rc != SQLITE_DONE)
    return duet_store_db_fail (db, rc, "read", error);
  return TRUE;
}
