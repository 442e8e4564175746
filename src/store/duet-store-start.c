/* duet-store-start.c: what a start shows the contacts from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * duet-store-snapshot.c reads the whole cache back, which costs a JSON
 * parse per stored row: tens of thousands of rows on a big account.  The
 * contact list needs far less of each room: its membership, unread count
 * and heroes, the few state types the model reads (create, name,
 * encryption, tombstone, functional members), our own member event, and
 * the newest events back to the newest message (activity, preview).
 * Members come whole only for small rooms (every direct chat is one) and
 * for invites; a larger room gets ours and its heroes', and is marked
 * lazy: the rest are read with duet_store_load_members_async() when
 * needed (an open chat, a room that m.direct lists).
 *
 * That much of a room is its start entry, built here from the fields of
 * its state rows (duet-store-state-fields.c) and its newest timeline
 * rows, and kept as JSON text in room_start (schema version 5): a start reads one
 * row per room, and the model reads the text in place.  A save that
 * changes a room drops its row (duet_store_db_start_changed), and the
 * worker writes it again when it has no job (duet_store_db_refresh_start);
 * a start builds the entries it finds missing.  Rooms with unsent
 * messages are read with their whole timeline, so their echoes are still
 * matched: their entries are built at each start.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "duet-json-raw.h"
#include "duet-store-private.h"

/* A room with at most this many member rows comes with all of them: a
 * direct chat (two people, a bot or a few service members) always does. */
#define SMALL_ROOM_MEMBERS 16
/* Heroes whose member events a larger room keeps (the spec's summary
 * names up to 5). */
#define MAX_HEROES 16
/* Where a room's entry sits in a /sync response (rooms.join.<id>), for
 * the nesting limit of duet_json_raw_validate(). */
#define ENTRY_DEPTH 3
/* Changed rooms whose entries one idle step writes (a few ms each). */
#define REFRESH_BATCH 128

/* --- Events rebuilt from extracted fields --------------------------------
 *
 * A json-glib parse costs tens of thousands of instructions per row.  The
 * state rows the list needs are read in place (duet-store-state-fields.c),
 * and each event is rebuilt with the fields the list reads alone.  A field
 * of the wrong JSON type is left out, as the model's readers would ignore
 * it; a row whose text is not valid JSON is left out, as the whole
 * snapshot leaves it out. */

/* --- Writing the entry's text --------------------------------------------
 *
 * The entry is written as text straight from the rows: a json-glib tree
 * of it and its generator cost as much again as the queries.  Every text
 * goes out as a JSON string with its quotes, backslashes and control
 * characters escaped; the store took it from JSON, so it is UTF-8, and
 * anything else (a damaged row) is mended to U+FFFD rather than written. */

static void
append_string (GString    *out,
               const char *text)
{
  g_autofree char *valid = NULL;
  const char *run;

  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);
  g_string_append_c (out, '"');
  run = text;
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      g_string_append_len (out, run, p - run);
      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else
        g_string_append_printf (out, "\\u%04x", c);
      run = p + 1;
    }
  g_string_append (out, run);
  g_string_append_c (out, '"');
}

/* "name": (after a comma unless it is the object's first member). */
static void
append_name (GString    *out,
             gboolean   *first,
             const char *name)
{
  if (!*first)
    g_string_append_c (out, ',');
  *first = FALSE;
  append_string (out, name);
  g_string_append_c (out, ':');
}

static void
append_text_member (GString      *out,
                    gboolean     *first,
                    const char   *name,
                    sqlite3_stmt *stmt,
                    int           column)
{
  if (sqlite3_column_type (stmt, column) != SQLITE_TEXT)
    return;
  append_name (out, first, name);
  append_string (out, (const char *) sqlite3_column_text (stmt, column));
}

static gboolean
has_string (const DuetJsonRaw *value)
{
  return duet_json_raw_type (value) == '"' && value->length >= 2;
}

/* A string field of a state row (duet-store-state-fields.c), left out
 * when it is no string.  One without escapes is copied as it stands: the
 * row's text is checked JSON without raw control characters, so it holds
 * no quote, backslash or control character and is UTF-8, which is what
 * append_string() would write of it. */
static void
append_field_member (GString           *out,
                     gboolean          *first,
                     const char        *name,
                     const DuetJsonRaw *value)
{
  g_autofree char *text = NULL;

  if (!has_string (value))
    return;
  if (memchr (value->data, '\\', value->length) == NULL)
    {
      append_name (out, first, name);
      g_string_append_len (out, value->data, value->length);
      return;
    }
  text = duet_store_state_fields_dup_string (value);
  if (text == NULL)
    return;
  append_name (out, first, name);
  append_string (out, text);
}

/* A boolean field, left out when it is of another type. */
static void
append_boolean_member (GString           *out,
                       gboolean          *first,
                       const char        *name,
                       const DuetJsonRaw *value)
{
  char type = duet_json_raw_type (value);

  if (type != 't' && type != 'f')
    return;
  append_name (out, first, name);
  g_string_append (out, type == 't' ? "true" : "false");
}

/* A stored event's text, parsed and written again (json-glib escapes
 * what a raw text may hold unescaped); FALSE when it does not parse. */
static gboolean
append_stored_event (GString      *out,
                     sqlite3_stmt *stmt,
                     int           column)
{
  g_autoptr(JsonNode) node = _duet_store_snapshot_parse_column (stmt, column);
  g_autofree char *text = NULL;

  if (node == NULL)
    return FALSE;
  text = json_to_string (node, FALSE);
  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;
  g_string_append (out, text);
  return TRUE;
}

/* An array's elements: a comma before all but the first. */
typedef struct {
  GString  *out;
  gboolean  empty;
} Elements;

static void
next_element (Elements *elements)
{
  if (!elements->empty)
    g_string_append_c (elements->out, ',');
  elements->empty = FALSE;
}

/* The state event @type/@state_key stored as @text, with what the model
 * reads of it; nothing when the text is no JSON or its content is not an
 * object.  @own: it is our own member event. */
static void
append_state_event (Elements   *events,
                    const char *type,
                    const char *state_key,
                    const char *text,
                    gsize       length,
                    gboolean    own)
{
  GString *out = events->out;
  DuetStoreStateFields fields;
  gboolean first = TRUE, in_content = TRUE;

  if (!duet_store_state_fields_read (&fields, type, text, length, own) || !fields.content_object)
    return;

  next_element (events);
  g_string_append_c (out, '{');
  append_name (out, &first, "type");
  append_string (out, type);
  append_name (out, &first, "state_key");
  append_string (out, state_key);
  append_name (out, &first, "content");
  g_string_append_c (out, '{');
  first = TRUE;

  if (g_str_equal (type, "m.room.member"))
    {
      append_field_member (out, &first, "membership", &fields.membership);
      append_field_member (out, &first, "displayname", &fields.displayname);
      append_field_member (out, &first, "avatar_url", &fields.avatar_url);
      append_boolean_member (out, &first, "is_direct", &fields.is_direct);
      g_string_append_c (out, '}');
      in_content = FALSE;
      first = FALSE;
      append_field_member (out, &first, "sender", &fields.sender);
      /* As the column of state_fields did: a prev_membership or
       * prev_sender that is a string. */
      if (has_string (&fields.prev_membership) || has_string (&fields.prev_sender))
        {
          gboolean inner = TRUE;

          append_name (out, &first, "unsigned");
          g_string_append (out, "{\"prev_content\":{");
          append_field_member (out, &inner, "membership", &fields.prev_membership);
          append_boolean_member (out, &inner, "is_direct", &fields.prev_is_direct);
          g_string_append_c (out, '}');
          inner = FALSE;
          append_field_member (out, &inner, "prev_sender", &fields.prev_sender);
          g_string_append_c (out, '}');
        }
    }
  else if (g_str_equal (type, "m.room.name"))
    append_field_member (out, &first, "name", &fields.name);
  else if (g_str_equal (type, "m.room.tombstone"))
    append_field_member (out, &first, "replacement_room", &fields.replacement);
  else if (g_str_equal (type, "m.room.create"))
    {
      if (has_string (&fields.predecessor))
        {
          gboolean inner = TRUE;

          append_name (out, &first, "predecessor");
          g_string_append_c (out, '{');
          append_field_member (out, &inner, "room_id", &fields.predecessor);
          g_string_append_c (out, '}');
        }
    }
  else if (g_str_equal (type, "io.element.functional_members"))
    {
      g_autofree char *value = fields.service_members.length > 0
                               ? g_strndup (fields.service_members.data, fields.service_members.length) : NULL;
      g_autoptr(JsonNode) node = value != NULL ? json_from_string (value, NULL) : NULL;
      g_autofree char *members = node != NULL ? json_to_string (node, FALSE) : NULL;

      /* The value's JSON text (an array, as the spec has it). */
      if (members != NULL && g_utf8_validate (members, -1, NULL))
        {
          append_name (out, &first, "service_members");
          g_string_append (out, members);
        }
    }
  if (in_content)
    g_string_append_c (out, '}');
  g_string_append_c (out, '}');
}

/* A room's few newest timeline rows are read from the stored text: SQLite
 * reads the fields from it (far cheaper than a json-glib parse), and a
 * table of extracted fields would cost every saved event that work.
 * Valid rows, newest first.  Columns: 0 (1), 1 has a state key, 2 type,
 * 3 event_id, 4 origin_server_ts, 5 content's JSON type, 6 content.body,
 * 7 the stored text (for a whole parse). */
#define TEXT_AT(path) "CASE WHEN json_type (event, '" path "') = 'text' THEN json_extract (event, '" path "') END"
static const char timeline_sql[] =
  "SELECT 1, json_type (event, '$.state_key') IS NOT NULL, "
  TEXT_AT ("$.type") ", event ->> '$.event_id', json_extract (event, '$.origin_server_ts'), "
  "json_type (event, '$.content'), " TEXT_AT ("$.content.body") ", event "
  "FROM timeline WHERE room_id = ?1 AND json_valid (event) ORDER BY seq DESC";

/* The current timeline row rebuilt with what the list reads (type,
 * event_id, origin_server_ts, content.body), or written whole when
 * @whole is set or the row is a state event (which the model applies as
 * state): its text, or NULL for a row left out.  *@message says whether
 * it is what the list previews. */
static char *
timeline_event_from_row (sqlite3_stmt *stmt,
                         gboolean      whole,
                         gboolean     *message)
{
  const char *type = (const char *) sqlite3_column_text (stmt, 2);
  gboolean has_content = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 5), "object") == 0;
  gboolean has_body = sqlite3_column_type (stmt, 6) == SQLITE_TEXT;
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean first = TRUE;
  int ts_type;

  *message = FALSE;
  if (sqlite3_column_int (stmt, 0) == 0)
    return NULL;
  if (whole || sqlite3_column_int (stmt, 1) != 0)
    {
      if (!append_stored_event (out, stmt, 7))
        return NULL;
      *message = sqlite3_column_int (stmt, 1) == 0 && has_content && type != NULL &&
                 (g_str_equal (type, "m.room.encrypted") || (g_str_equal (type, "m.room.message") && has_body));
      return g_string_free (g_steal_pointer (&out), FALSE);
    }

  g_string_append_c (out, '{');
  if (type != NULL)
    {
      append_name (out, &first, "type");
      append_string (out, type);
    }
  append_text_member (out, &first, "event_id", stmt, 3);
  ts_type = sqlite3_column_type (stmt, 4);
  if (ts_type == SQLITE_INTEGER)
    {
      append_name (out, &first, "origin_server_ts");
      g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64) sqlite3_column_int64 (stmt, 4));
    }
  else if (ts_type == SQLITE_FLOAT && isfinite (sqlite3_column_double (stmt, 4)))
    {
      char number[G_ASCII_DTOSTR_BUF_SIZE];

      append_name (out, &first, "origin_server_ts");
      g_string_append (out, g_ascii_dtostr (number, sizeof number, sqlite3_column_double (stmt, 4)));
    }
  if (has_content)
    {
      gboolean inner = TRUE;

      append_name (out, &first, "content");
      g_string_append_c (out, '{');
      append_text_member (out, &inner, "body", stmt, 6);
      g_string_append_c (out, '}');
      *message = type != NULL && (g_str_equal (type, "m.room.encrypted") ||
                                  (g_str_equal (type, "m.room.message") && has_body));
    }
  g_string_append_c (out, '}');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
read_room_timeline (DuetStoreDb  *db,
                    const char   *room_id,
                    Elements     *timeline,
                    gboolean      whole,
                    GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, timeline_sql, error);
  g_autoptr(GPtrArray) newest_first = NULL;
  int rc;

  if (stmt == NULL)
    return FALSE;
  newest_first = g_ptr_array_new_with_free_func (g_free);
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gboolean message;
      char *event = timeline_event_from_row (stmt, whole, &message);

      if (event == NULL)
        continue;
      g_ptr_array_add (newest_first, event);
      if (!whole && message)
        {
          rc = SQLITE_DONE;
          break;
        }
    }
  if (!_duet_store_snapshot_finish_query (db, stmt, rc, error))
    return FALSE;

  for (guint i = newest_first->len; i > 0; i--)
    {
      next_element (timeline);
      g_string_append (timeline->out, newest_first->pdata[i - 1]);
    }
  return TRUE;
}

/* The room's membership, the fields of its rooms row, and whether it is
 * small (its member rows counted up to one past the limit: a large room's
 * are not all read). */
static const char room_sql[] =
  "SELECT membership, timeline_limited, "
  "  CASE WHEN json_valid (unread_notifications) "
  "       THEN json_extract (unread_notifications, '$.notification_count') END, "
  "  (SELECT count(*) FROM (SELECT 1 FROM room_state s WHERE s.room_id = ?1 AND s.type = 'm.room.member' "
  "                         LIMIT " G_STRINGIFY (SMALL_ROOM_MEMBERS) " + 1)) "
  "FROM rooms WHERE room_id = ?1";

/* The summary's m.heroes, one row per hero, SQLite reading the JSON (a
 * json-glib parse costs more than the rest of the room): a hero that is
 * no string is left out, as the model would ignore it. */
static const char heroes_sql[] =
  "SELECT h.key, h.value FROM rooms r JOIN json_each ("
  "  CASE WHEN json_valid (r.summary) AND json_type (r.summary, '$.\"m.heroes\"') = 'array' "
  "       THEN json_extract (r.summary, '$.\"m.heroes\"') ELSE '[]' END) h "
  "WHERE r.room_id = ?1 AND h.type = 'text' ORDER BY h.key";

/* The state rows the model reads: the types the list reads (state_key
 * ''), and every member of a small room, only ours in a larger one (its
 * heroes' are read apart).  By the primary key, in its order.  One lookup
 * per type: an IN list builds a temporary table at each run, which costs
 * more than the five lookups, and a scan of the room's rows reads all its
 * other state. */
static const char list_state_sql[] =
  "SELECT event FROM room_state WHERE room_id = ?1 AND type = ?2 AND state_key = ''";
static const char members_sql[] =
  "SELECT state_key, event FROM room_state WHERE room_id = ?1 AND type = 'm.room.member' "
  "ORDER BY state_key";
static const char member_sql[] =
  "SELECT state_key, event FROM room_state WHERE room_id = ?1 AND type = 'm.room.member' AND state_key = ?2";

/* The list's rows that are no member events: those whose type sorts before
 * m.room.member into @before, the others into @after, so that with the
 * members between them the state keeps the order of (type, state_key). */
static gboolean
read_list_rows (DuetStoreDb  *db,
                const char   *room_id,
                Elements     *before,
                Elements     *after,
                GError      **error)
{
  /* In byte order. */
  static const char *const list_types[] = {
    "io.element.functional_members", "m.room.create", "m.room.encryption",
    "m.room.name", "m.room.tombstone",
  };

  for (guint i = 0; i < G_N_ELEMENTS (list_types); i++)
    {
      sqlite3_stmt *stmt = duet_store_db_prepare (db, list_state_sql, error);
      const char *text;
      int rc;

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, list_types[i], -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW && (text = (const char *) sqlite3_column_text (stmt, 0)) != NULL)
        append_state_event (strcmp (list_types[i], "m.room.member") < 0 ? before : after, list_types[i], "",
                            text, sqlite3_column_bytes (stmt, 0), FALSE);
      if (rc == SQLITE_ROW)
        rc = SQLITE_DONE;  /* one row at most: the primary key */
      if (!_duet_store_snapshot_finish_query (db, stmt, rc, error))
        return FALSE;
    }
  return TRUE;
}

/* Member rows: @user_id's alone, or every one when it is NULL. */
static gboolean
read_member_rows (DuetStoreDb  *db,
                  const char   *own_user_id,
                  const char   *room_id,
                  const char   *user_id,
                  Elements     *state,
                  GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, user_id != NULL ? member_sql : members_sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  if (user_id != NULL)
    sqlite3_bind_text (stmt, 2, user_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *state_key = (const char *) sqlite3_column_text (stmt, 0);
      const char *text = (const char *) sqlite3_column_text (stmt, 1);

      if (state_key == NULL || text == NULL)
        continue;
      append_state_event (state, "m.room.member", state_key, text, sqlite3_column_bytes (stmt, 1),
                          own_user_id != NULL && g_str_equal (state_key, own_user_id));
    }
  return _duet_store_snapshot_finish_query (db, stmt, rc, error);
}

/* The summary's heroes, in order (empty when there are none), and in
 * @wanted the first MAX_HEROES but ours, whose member events a larger
 * room keeps. */
static gboolean
read_heroes (DuetStoreDb  *db,
             const char   *own_user_id,
             const char   *room_id,
             GPtrArray    *heroes,
             GPtrArray    *wanted,
             GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, heroes_sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *user_id = (const char *) sqlite3_column_text (stmt, 1);

      g_ptr_array_add (heroes, g_strdup (user_id));
      if (sqlite3_column_int64 (stmt, 0) < MAX_HEROES && g_strcmp0 (user_id, own_user_id) != 0 &&
          !g_ptr_array_find_with_equal_func (wanted, user_id, g_str_equal, NULL))
        g_ptr_array_add (wanted, g_strdup (user_id));
    }
  return _duet_store_snapshot_finish_query (db, stmt, rc, error);
}

/* Invites: their stripped state is short, and read whole. */
static gboolean
read_invite_state (DuetStoreDb  *db,
                   const char   *room_id,
                   Elements     *state,
                   GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db,
    "SELECT event FROM room_state WHERE room_id = ?1 ORDER BY type, state_key", error);
  g_autoptr(GString) event = g_string_new (NULL);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_string_truncate (event, 0);
      if (!append_stored_event (event, stmt, 0))
        continue;
      next_element (state);
      g_string_append_len (state->out, event->str, event->len);
    }
  return _duet_store_snapshot_finish_query (db, stmt, rc, error);
}

static const char *
section_of (const char *membership)
{
  if (g_strcmp0 (membership, "join") == 0)
    return "join";
  if (g_strcmp0 (membership, "invite") == 0)
    return "invite";
  if (g_strcmp0 (membership, "leave") == 0)
    return "leave";
  return NULL;
}

/* Room @room_id's start entry, as JSON text, or NULL (and no error) when
 * the cache has no such room.  @whole: its whole cached timeline. */
static char *
build_entry (DuetStoreDb   *db,
             const char    *own_user_id,
             const char    *room_id,
             gboolean       whole,
             const char   **section_out,
             gboolean      *lazy_out,
             gsize         *length_out,
             GError       **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, room_sql, error);
  g_autoptr(GString) out = NULL;
  g_autoptr(GPtrArray) heroes = NULL;
  g_autoptr(GPtrArray) wanted = NULL;
  g_autoptr(GString) later = NULL;
  Elements events, after;
  const char *section;
  gboolean limited, small, has_unread;
  gint64 unread;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      _duet_store_snapshot_finish_query (db, stmt, rc, error);
      return NULL;
    }
  section = section_of ((const char *) sqlite3_column_text (stmt, 0));
  limited = sqlite3_column_int (stmt, 1) != 0;
  has_unread = sqlite3_column_type (stmt, 2) == SQLITE_INTEGER;
  unread = sqlite3_column_int64 (stmt, 2);
  small = sqlite3_column_int64 (stmt, 3) <= SMALL_ROOM_MEMBERS;
  sqlite3_reset (stmt);
  if (section == NULL)
    return NULL;  /* the schema's CHECK keeps this from happening */

  out = g_string_sized_new (1024);
  events.out = out;
  events.empty = TRUE;
  if (g_str_equal (section, "invite"))
    {
      g_string_append (out, "{\"invite_state\":{\"events\":[");
      if (!read_invite_state (db, room_id, &events, error))
        return NULL;
      g_string_append (out, "]}}");
      small = TRUE;
    }
  else
    {
      heroes = g_ptr_array_new_with_free_func (g_free);
      wanted = g_ptr_array_new_with_free_func (g_free);
      if (!read_heroes (db, own_user_id, room_id, heroes, wanted, error))
        return NULL;

      g_string_append (out, "{\"state\":{\"events\":[");
      after.out = later = g_string_new (NULL);
      after.empty = TRUE;
      if (!read_list_rows (db, room_id, &events, &after, error) ||
          ((small || own_user_id != NULL) &&
           !read_member_rows (db, own_user_id, room_id, small ? NULL : own_user_id, &events, error)))
        return NULL;
      if (!after.empty)
        {
          next_element (&events);
          g_string_append_len (out, later->str, later->len);
        }
      for (guint i = 0; !small && i < wanted->len; i++)
        if (!read_member_rows (db, own_user_id, room_id, wanted->pdata[i], &events, error))
          return NULL;

      g_string_append (out, "]},\"timeline\":{\"events\":[");
      events.empty = TRUE;
      if (!read_room_timeline (db, room_id, &events, whole, error))
        return NULL;
      g_string_append_printf (out, "],\"limited\":%s}", limited ? "true" : "false");

      if (heroes->len > 0)
        {
          g_string_append (out, ",\"summary\":{\"m.heroes\":[");
          for (guint i = 0; i < heroes->len; i++)
            {
              if (i > 0)
                g_string_append_c (out, ',');
              append_string (out, heroes->pdata[i]);
            }
          g_string_append (out, "]}");
        }
      if (has_unread)
        g_string_append_printf (out, ",\"unread_notifications\":{\"notification_count\":%" G_GINT64_FORMAT "}",
                                unread);
      g_string_append_c (out, '}');
    }

  *section_out = section;
  *lazy_out = !small;
  *length_out = out->len;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

void
duet_store_start_free (DuetStoreStart *start)
{
  if (start == NULL)
    return;
  g_clear_pointer (&start->response, json_object_unref);
  g_clear_pointer (&start->rooms, g_ptr_array_unref);
  g_free (start);
}

static void
start_room_free (DuetStoreStartRoom *room)
{
  g_free (room->room_id);
  g_free (room->entry);
  g_free (room);
}

static void
add_room (DuetStoreStart *start,
          const char     *section,
          const char     *room_id,
          char           *entry,
          gsize           length,
          gboolean        lazy)
{
  DuetStoreStartRoom *room = g_new (DuetStoreStartRoom, 1);

  room->section = section;
  room->room_id = g_strdup (room_id);
  room->entry = entry;
  room->length = length;
  room->lazy_members = lazy;
  g_ptr_array_add (start->rooms, room);
}

static GHashTable *
read_outbox_rooms (DuetStoreDb  *db,
                   GError      **error)
{
  sqlite3_stmt *stmt = duet_store_db_prepare (db, "SELECT DISTINCT room_id FROM outbox", error);
  g_autoptr(GHashTable) rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_add (rooms, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (!_duet_store_snapshot_finish_query (db, stmt, rc, error))
    return NULL;
  return g_steal_pointer (&rooms);
}

static void
mark_stale (DuetStoreDb *db,
            const char  *room_id)
{
  if (db->start_stale == NULL)
    db->start_stale = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (db->start_stale, g_strdup (room_id));
}

/* Every room, each from its room_start row when it has one for this
 * account, else built now (and written when the worker is idle).  A room
 * with unsent messages is built with its whole timeline: any cached event
 * may be the echo of one (the outbox matches sender and transaction id). */
static gboolean
read_rooms (DuetStoreDb     *db,
            const char      *own_user_id,
            DuetStoreStart  *start,
            GError         **error)
{
  sqlite3_stmt *stmt;
  g_autoptr(GHashTable) with_outbox = read_outbox_rooms (db, error);
  g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
  int rc;

  if (with_outbox == NULL)
    return FALSE;
  stmt = duet_store_db_prepare (db,
    "SELECT r.room_id, r.membership, s.lazy_members, s.entry FROM rooms r "
    "LEFT JOIN room_start s ON s.room_id = r.room_id AND s.own_user_id = ?1 "
    "ORDER BY r.room_id", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, own_user_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *room_id = (const char *) sqlite3_column_text (stmt, 0);
      const char *section = section_of ((const char *) sqlite3_column_text (stmt, 1));
      const char *entry = (const char *) sqlite3_column_text (stmt, 3);

      gsize length = sqlite3_column_bytes (stmt, 3);
      gboolean controls = FALSE;

      if (section == NULL)
        continue;
      /* Checked here, on the worker, as the stream checks a room's part:
       * the model reads it in place, and a row damaged on disk is built
       * again rather than lose its room until the next initial sync. */
      if (entry == NULL || g_hash_table_contains (with_outbox, room_id) ||
          !duet_json_raw_validate (entry, length, ENTRY_DEPTH, &controls) || controls)
        {
          g_ptr_array_add (missing, g_strdup (room_id));
          continue;
        }
      add_room (start, section, room_id, g_strndup (entry, length), length, sqlite3_column_int (stmt, 2) != 0);
    }
  if (!_duet_store_snapshot_finish_query (db, stmt, rc, error))
    return FALSE;

  for (guint i = 0; i < missing->len; i++)
    {
      const char *room_id = missing->pdata[i];
      gboolean outbox = g_hash_table_contains (with_outbox, room_id);
      const char *section = NULL;
      gboolean lazy = FALSE;
      gsize length = 0;
      char *entry;
      GError *local_error = NULL;

      entry = build_entry (db, own_user_id, room_id, outbox, &section, &lazy, &length, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      if (entry == NULL)
        continue;
      /* Written from checked JSON and UTF-8: never refused. */
      if (!duet_json_raw_validate (entry, length, ENTRY_DEPTH, NULL))
        {
          g_warning ("A start entry built from the cache is not JSON");
          g_free (entry);
          continue;
        }
      add_room (start, section, room_id, entry, length, lazy);
      if (!outbox)
        mark_stale (db, room_id);
    }
  return TRUE;
}

DuetStoreStart *
duet_store_db_load_start_snapshot (DuetStoreDb  *db,
                                   const char   *own_user_id,
                                   GError      **error)
{
  g_autoptr(DuetStoreStart) start = NULL;
  JsonObject *sections;
  gboolean ok;

  DUET_STORE_DB_ASSERT_THREAD (db);

  /* Entries written from now on are this account's (a first start too:
   * its first sync's rooms get theirs). */
  duet_store_db_set_own_user_id (db, own_user_id);

  start = g_new0 (DuetStoreStart, 1);
  start->response = _duet_store_snapshot_begin (db, &sections, error);
  if (start->response == NULL)
    return NULL;
  json_object_remove_member (start->response, "rooms");
  start->rooms = g_ptr_array_new_with_free_func ((GDestroyNotify) start_room_free);
  ok = _duet_store_snapshot_read_account_data (db, _duet_store_snapshot_add_events (start->response, "account_data"), error) &&
       read_rooms (db, own_user_id, start, error);
  duet_store_db_exec (db, "COMMIT", NULL);
  if (!ok)
    return NULL;
  return g_steal_pointer (&start);
}

/* --- Entries kept up to date ------------------------------------------- */

void
duet_store_db_set_own_user_id (DuetStoreDb *db,
                               const char  *own_user_id)
{
  if (g_strcmp0 (db->own_user_id, own_user_id) == 0)
    return;
  g_free (db->own_user_id);
  db->own_user_id = g_strdup (own_user_id);
}

gboolean
duet_store_db_start_changed (DuetStoreDb  *db,
                             const char   *room_id,
                             gboolean      has_row,
                             GError      **error)
{
  sqlite3_stmt *stmt;
  int rc;

  DUET_STORE_DB_ASSERT_THREAD (db);

  mark_stale (db, room_id);
  if (!has_row)
    return TRUE;
  stmt = duet_store_db_prepare (db, "DELETE FROM room_start WHERE room_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return duet_store_db_fail (db, rc, "write", error);
  return TRUE;
}

static gboolean
write_entry (DuetStoreDb  *db,
             const char   *room_id,
             GError      **error)
{
  const char *section = NULL;
  gboolean lazy = FALSE;
  gsize length = 0;
  g_autofree char *entry = NULL;
  GError *local_error = NULL;
  sqlite3_stmt *stmt;
  int rc;

  entry = build_entry (db, db->own_user_id, room_id, FALSE, &section, &lazy, &length, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (entry == NULL)
    return TRUE;  /* forgotten since */

  stmt = duet_store_db_prepare (db,
    "INSERT OR REPLACE INTO room_start (room_id, own_user_id, lazy_members, entry) "
    "VALUES (?1, ?2, ?3, ?4)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, room_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, db->own_user_id, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, lazy);
  sqlite3_bind_text (stmt, 4, entry, length, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return duet_store_db_fail (db, rc, "write", error);
  return TRUE;
}

gboolean
duet_store_db_refresh_start (DuetStoreDb *db)
{
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  char *room_id;
  gboolean ok;

  DUET_STORE_DB_ASSERT_THREAD (db);

  if (db->handle == NULL || db->own_user_id == NULL || db->start_stale == NULL ||
      g_hash_table_size (db->start_stale) == 0)
    return FALSE;

  batch = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&iter, db->start_stale);
  while (batch->len < REFRESH_BATCH && g_hash_table_iter_next (&iter, (gpointer *) &room_id, NULL))
    {
      g_hash_table_iter_steal (&iter);
      g_ptr_array_add (batch, room_id);
    }

  ok = duet_store_db_exec (db, "BEGIN IMMEDIATE", &error);
  for (guint i = 0; ok && i < batch->len; i++)
    ok = write_entry (db, batch->pdata[i], &error);
  if (ok)
    ok = duet_store_db_exec (db, "COMMIT", &error);
  if (!ok)
    {
      /* The rooms have no entry, which a start builds: nothing is lost
       * but time, and trying again at once would fail again. */
      g_debug ("Start entries not written: %s", error->message);
      duet_store_db_exec (db, "ROLLBACK", NULL);
      g_hash_table_remove_all (db->start_stale);
    }
  return TRUE;
}

/* --- Members on demand ------------------------------------------------- */

JsonObject *
duet_store_db_load_members (DuetStoreDb         *db,
                            const char * const  *room_ids,
                            GError             **error)
{
  g_autoptr(JsonObject) members = json_object_new ();
  sqlite3_stmt *stmt;

  DUET_STORE_DB_ASSERT_THREAD (db);

  if (!duet_store_db_exec (db, "BEGIN", error))
    return NULL;
  for (guint i = 0; room_ids[i] != NULL; i++)
    {
      JsonArray *events;
      int rc;

      stmt = duet_store_db_prepare (db,
        "SELECT event FROM room_state WHERE room_id = ?1 AND type = 'm.room.member' "
        "ORDER BY state_key", error);
      if (stmt == NULL)
        {
          duet_store_db_exec (db, "COMMIT", NULL);
          return NULL;
        }
      events = json_array_new ();
      json_object_set_array_member (members, room_ids[i], events);
      sqlite3_bind_text (stmt, 1, room_ids[i], -1, SQLITE_STATIC);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          JsonNode *event = _duet_store_snapshot_parse_column (stmt, 0);

          if (event != NULL)
            json_array_add_element (events, event);
        }
      if (!_duet_store_snapshot_finish_query (db, stmt, rc, error))
        {
          duet_store_db_exec (db, "COMMIT", NULL);
          return NULL;
        }
    }
  duet_store_db_exec (db, "COMMIT", NULL);
  return g_steal_pointer (&members);
}
