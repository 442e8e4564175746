/* duet-json-stream.c: a /sync body split into parts as its bytes arrive
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two scanners.  Around the parts, a small state machine reads the root
 * object, the split member's object and its section objects strictly: only
 * whitespace, member names and punctuation may stand there.  Inside a part
 * a fast scan only tracks strings, escapes and nesting to find where the
 * value ends (json-glib checks the rest when the part is parsed), and
 * refuses what the byte-level check of duet-json.c refuses: depth beyond
 * the limit, comments and single-quoted strings.  A part's bytes are
 * handed on straight from the chunk when it lies in one, else from a
 * buffer that holds just that part.
 */
#include "config.h"

#include <string.h>

#include "duet-json-raw.h"
#include "duet-json-scan-private.h"
#include "duet-json-stream.h"

typedef enum {
  ST_START,         /* before the root '{' */
  ST_KEY_OR_END,    /* after '{': a member name or '}' */
  ST_KEY,           /* after ',': a member name */
  ST_IN_KEY,        /* inside a member name */
  ST_COLON,
  ST_VALUE,         /* after ':' */
  ST_PART,          /* inside a part's value */
  ST_AFTER_VALUE,   /* ',' or '}' */
  ST_DONE,          /* after the root's '}': only whitespace */
  ST_FAILED,
} State;

typedef enum {
  PART_CONTAINER,
  PART_STRING,
  PART_SCALAR,
} PartKind;

struct _DuetJsonStream
{
  char             *split_member;
  gsize             max_size;
  gsize             max_part_size;
  DuetJsonPartFunc  func;
  gpointer          user_data;

  State             state;
  GError           *error;        /* why the stream failed (sticky) */
  gsize             size;         /* bytes fed so far */
  guint             level;        /* 0 root, 1 split object, 2 a section */

  GString          *key;          /* raw member name being read */
  gboolean          key_escape;   /* the last byte of it was a backslash */
  gboolean          key_escaped;  /* it holds an escape */
  char             *name;         /* the last member name, unescaped */
  char             *section;      /* the section being read (level 2) */

  PartKind          part_kind;
  /* The value being scanned stands where an object to split belongs: it
   * is refused once scanned, so that depth is judged first, as on bytes. */
  gboolean          part_misplaced;
  guint             part_depth;
  gboolean          part_in_string;
  gboolean          part_escape;
  gboolean          part_u_escape; /* it holds a \u escape (a surrogate?) */
  GByteArray       *part_buf;     /* a part that spans chunks, or to rewrite */
};

static gboolean
fail (DuetJsonStream  *self,
      GError         **error,
      gint             code,
      const char      *format,
      ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (DuetJsonStream  *self,
      GError         **error,
      gint             code,
      const char      *format,
      ...)
{
  va_list args;

  if (self->error == NULL)
    {
      va_start (args, format);
      self->error = g_error_new_valist (DUET_JSON_ERROR, code, format, args);
      va_end (args);
    }
  self->state = ST_FAILED;
  if (error != NULL)
    *error = g_error_copy (self->error);
  return FALSE;
}

DuetJsonStream *
duet_json_stream_new (const char       *split_member,
                      gsize             max_size,
                      gsize             max_part_size,
                      DuetJsonPartFunc  func,
                      gpointer          user_data)
{
  DuetJsonStream *self = g_new0 (DuetJsonStream, 1);

  g_return_val_if_fail (func != NULL, NULL);

  self->split_member = g_strdup (split_member);
  self->max_size = max_size;
  self->max_part_size = max_part_size;
  self->func = func;
  self->user_data = user_data;
  self->key = g_string_new (NULL);
  self->part_buf = g_byte_array_new ();
  return self;
}

void
duet_json_stream_free (DuetJsonStream *self)
{
  if (self == NULL)
    return;
  g_clear_error (&self->error);
  g_string_free (self->key, TRUE);
  g_byte_array_unref (self->part_buf);
  g_free (self->split_member);
  g_free (self->name);
  g_free (self->section);
  g_free (self);
}

gsize
duet_json_stream_get_size (DuetJsonStream *self)
{
  return self->size;
}

static gboolean
end_key (DuetJsonStream  *self,
         GError         **error)
{
  char *name;

  /* Bytes that are not UTF-8 read as U+FFFD, as in the parts.  Raw
   * control bytes (NUL among them) were refused as they came. */
  if (!duet_json_utf8_validate (self->key->str, self->key->len))
    {
      g_autoptr(GByteArray) repaired = g_byte_array_sized_new (self->key->len + 16);

      if (!duet_json_utf8_repair_string (self->key->str, self->key->len, repaired, NULL))
        return fail (self, error, DUET_JSON_ERROR_INVALID,
                     "The body is not valid JSON text: a member name is not valid UTF-8");
      g_string_truncate (self->key, 0);
      g_string_append_len (self->key, (const char *) repaired->data, repaired->len);
    }
  if (self->key_escaped)
    {
      /* A lone surrogate reads as U+FFFD, as in the parts. */
      duet_json_replace_lone_surrogates (self->key->str, self->key->len);
      name = duet_json_raw_unescape (self->key->str, self->key->len);
    }
  else
    name = g_strndup (self->key->str, self->key->len);

  if (name == NULL)
    return fail (self, error, DUET_JSON_ERROR_INVALID,
                 "The body is not valid JSON text: a member name holds a bad escape");
  g_free (self->name);
  self->name = name;
  g_string_truncate (self->key, 0);
  return TRUE;
}

static gboolean
emit_part (DuetJsonStream  *self,
           const char      *data,
           gsize            length,
           GError         **error)
{
  DuetJsonPart part = {
    .section = self->level == 2 ? self->section : NULL,
    .name = self->name,
    .data = data,
    .length = length,
    .depth = self->level + 1,
  };
  GError *local_error = NULL;

  if (self->part_misplaced)
    return fail (self, error, DUET_JSON_ERROR_INVALID,
                 "The member “%.64s” of the body is not an object", self->name);
  if (length > self->max_part_size)
    return fail (self, error, DUET_JSON_ERROR_TOO_LARGE,
                 "The member “%.64s” of the body is over the limit of %" G_GSIZE_FORMAT " bytes",
                 self->name, self->max_part_size);
  /* Bytes that are not UTF-8 inside strings become U+FFFD here, on a copy
   * (see duet_json_utf8_repair()); the check runs anyway, so a valid part
   * costs nothing more.  Outside strings they are no JSON: refused. */
  if (!duet_json_utf8_validate (data, length))
    {
      GByteArray *repaired = g_byte_array_sized_new (length + 64);

      if (!duet_json_utf8_repair (data, length, repaired, NULL))
        {
          g_byte_array_unref (repaired);
          return fail (self, error, DUET_JSON_ERROR_INVALID,
                       "The member “%.64s” of the body is not valid UTF-8", self->name);
        }
      /* @data may be the old buffer: read whole above, freed now. */
      g_byte_array_unref (self->part_buf);
      self->part_buf = repaired;
      part.data = (const char *) repaired->data;
      part.length = repaired->len;
    }
  /* Lone surrogates become \ufffd here, before any reader sees the part
   * (see duet_json_find_lone_surrogate()); rare, so only a part with a \u
   * escape is looked at, and only one that has one is copied. */
  if (self->part_u_escape && duet_json_find_lone_surrogate (part.data, part.length) != NULL)
    {
      if (part.data != (const char *) self->part_buf->data)
        {
          g_byte_array_set_size (self->part_buf, 0);
          g_byte_array_append (self->part_buf, (const guint8 *) part.data, part.length);
          part.data = (const char *) self->part_buf->data;
        }
      duet_json_replace_lone_surrogates ((char *) self->part_buf->data, part.length);
    }

  if (!self->func (&part, self->user_data, &local_error))
    {
      if (local_error == NULL)
        local_error = g_error_new_literal (DUET_JSON_ERROR, DUET_JSON_ERROR_INVALID,
                                           "The body was refused");
      g_clear_error (&self->error);
      self->error = local_error;
      return fail (self, error, 0, "%s", "");
    }
  /* A copy made above is done with; the next part starts afresh. */
  g_byte_array_set_size (self->part_buf, 0);
  return TRUE;
}

/* Scans a part from @data[*i]; returns TRUE when it ended there (with *i
 * just after its last byte), FALSE at the end of the chunk or on failure
 * (self->state == ST_FAILED). */
static gboolean
scan_part (DuetJsonStream  *self,
           const char      *data,
           gsize            length,
           gsize           *i,
           GError         **error)
{
  gsize p = *i;
  guint base_depth = self->level + 1;

  if (self->part_kind == PART_SCALAR)
    {
      for (; p < length; p++)
        {
          char c = data[p];

          if (is_space (c) || c == ',' || c == '}' || c == ']')
            {
              *i = p;
              return TRUE;
            }
          if (!g_ascii_isalnum (c) && c != '-' && c != '+' && c != '.')
            return fail (self, error, DUET_JSON_ERROR_INVALID,
                         "The body is not valid JSON text: an unexpected “%c” in the value of “%.64s”",
                         g_ascii_isprint (c) ? c : '?', self->name);
        }
      *i = p;
      return FALSE;
    }

  while (p < length)
    {
      char c;

      if (self->part_in_string)
        {
          if (self->part_escape)
            {
              self->part_escape = FALSE;
              if (data[p] == 'u')
                self->part_u_escape = TRUE;
              p++;
              continue;
            }
          /* The hot path: runs of ordinary string bytes. */
          p = duet_json_find_quote (data + p, data + length) - data;
          if (p == length)
            break;
          if (data[p] == '\\')
            self->part_escape = TRUE;
          else
            {
              self->part_in_string = FALSE;
              if (self->part_depth == 0)
                {
                  *i = p + 1;
                  return TRUE;
                }
            }
          p++;
          continue;
        }

      c = data[p++];
      switch (c)
        {
        case '"':
          self->part_in_string = TRUE;
          break;
        case '{':
        case '[':
          if (base_depth + ++self->part_depth > DUET_JSON_MAX_DEPTH)
            return fail (self, error, DUET_JSON_ERROR_TOO_DEEP,
                         "The JSON body is nested deeper than %u levels", DUET_JSON_MAX_DEPTH);
          break;
        case '}':
        case ']':
          if (self->part_depth == 0)
            return fail (self, error, DUET_JSON_ERROR_INVALID,
                         "The body is not valid JSON text: an unmatched “%c”", c);
          if (--self->part_depth == 0)
            {
              *i = p;
              return TRUE;
            }
          break;
        case '/':
        case '\'':
          return fail (self, error, DUET_JSON_ERROR_INVALID,
                       "The body is not JSON: it holds a comment or a single-quoted string");
        default:
          break;
        }
    }

  *i = p;
  return FALSE;
}

static gboolean
start_value (DuetJsonStream  *self,
             char             c,
             GError         **error)
{
  gboolean split = (self->level == 0 && self->split_member != NULL &&
                    g_str_equal (self->name, self->split_member)) ||
                   self->level == 1;

  self->part_misplaced = split && c != '{';
  if (split && c == '{')
    {
      if (self->level == 1)
        {
          g_free (self->section);
          self->section = g_strdup (self->name);
        }
      self->level++;
      self->state = ST_KEY_OR_END;
      return TRUE;
    }

  self->part_depth = 0;
  self->part_in_string = FALSE;
  self->part_escape = FALSE;
  self->part_u_escape = FALSE;
  g_byte_array_set_size (self->part_buf, 0);
  if (c == '{' || c == '[')
    self->part_kind = PART_CONTAINER;
  else if (c == '"')
    self->part_kind = PART_STRING;
  else if (g_ascii_isalnum (c) || c == '-')
    self->part_kind = PART_SCALAR;
  else
    return fail (self, error, DUET_JSON_ERROR_INVALID,
                 "The body is not valid JSON text: no value after “%.64s”", self->name);
  self->state = ST_PART;
  return TRUE;
}

static gboolean
feed (DuetJsonStream  *self,
      const char      *data,
      gsize            length,
      GError         **error)
{
  gsize i = 0;

  while (i < length)
    {
      char c;

      if (self->state == ST_PART)
        {
          gsize start = i;
          /* A part begun in this chunk is at its first byte; one carried
           * over has its earlier bytes in part_buf. */
          gboolean carried = self->part_buf->len > 0;

          /* The first byte of a container/string was seen by start_value,
           * which left i on it: count it in. */
          if (!carried && self->part_depth == 0 && !self->part_in_string &&
              self->part_kind != PART_SCALAR)
            {
              if (self->part_kind == PART_STRING)
                self->part_in_string = TRUE;
              else if (self->level + 1 + ++self->part_depth > DUET_JSON_MAX_DEPTH)
                return fail (self, error, DUET_JSON_ERROR_TOO_DEEP,
                             "The JSON body is nested deeper than %u levels", DUET_JSON_MAX_DEPTH);
              i++;
            }

          if (scan_part (self, data, length, &i, error))
            {
              if (carried)
                {
                  g_byte_array_append (self->part_buf, (const guint8 *) data + start, i - start);
                  if (!emit_part (self, (const char *) self->part_buf->data, self->part_buf->len, error))
                    return FALSE;
                  g_byte_array_set_size (self->part_buf, 0);
                }
              else if (!emit_part (self, data + start, i - start, error))
                return FALSE;
              self->state = ST_AFTER_VALUE;
              continue;
            }
          if (self->state == ST_FAILED)
            return FALSE;
          if (self->part_buf->len + (i - start) > self->max_part_size)
            return fail (self, error, DUET_JSON_ERROR_TOO_LARGE,
                         "The member “%.64s” of the body is over the limit of %" G_GSIZE_FORMAT " bytes",
                         self->name, self->max_part_size);
          /* Never empty: start_value left i on the part's first byte. */
          g_byte_array_append (self->part_buf, (const guint8 *) data + start, i - start);
          return TRUE;
        }

      if (self->state == ST_IN_KEY)
        {
          gsize start = i;

          for (; i < length; i++)
            {
              if (self->key_escape)
                self->key_escape = FALSE;
              else if (data[i] == '\\')
                self->key_escape = self->key_escaped = TRUE;
              else if (data[i] == '"')
                break;
              else if ((guchar) data[i] < 0x20)
                return fail (self, error, DUET_JSON_ERROR_INVALID,
                             "The body is not valid JSON text: a control character in a member name");
            }
          if (self->key->len + (i - start) > DUET_JSON_STREAM_MAX_KEY)
            return fail (self, error, DUET_JSON_ERROR_TOO_LARGE,
                         "The body has a member name of over %u bytes", DUET_JSON_STREAM_MAX_KEY);
          g_string_append_len (self->key, data + start, i - start);
          if (i == length)
            return TRUE;
          i++;
          if (!end_key (self, error))
            return FALSE;
          self->state = ST_COLON;
          continue;
        }

      c = data[i];
      if (is_space (c))
        {
          i++;
          continue;
        }

      switch (self->state)
        {
        case ST_START:
          if (c != '{')
            return fail (self, error, DUET_JSON_ERROR_INVALID, "The body is JSON but not an object");
          self->level = 0;
              self->state = ST_KEY_OR_END;
          i++;
          break;

        case ST_KEY_OR_END:
        case ST_KEY:
          if (c == '}' && self->state == ST_KEY_OR_END)
            {
              self->state = ST_AFTER_VALUE;
              goto close_object;
            }
          if (c != '"')
            return fail (self, error, DUET_JSON_ERROR_INVALID,
                         "The body is not valid JSON text: a member name was expected");
          g_string_truncate (self->key, 0);
          self->key_escape = self->key_escaped = FALSE;
          self->state = ST_IN_KEY;
          i++;
          break;

        case ST_COLON:
          if (c != ':')
            return fail (self, error, DUET_JSON_ERROR_INVALID,
                         "The body is not valid JSON text: “:” was expected");
          self->state = ST_VALUE;
          i++;
          break;

        case ST_VALUE:
          if (!start_value (self, c, error))
            return FALSE;
          /* A part starts at its first byte (ST_PART reads it); an
           * opened object is done with it. */
          if (self->state != ST_PART)
            i++;
          break;

        case ST_AFTER_VALUE:
          if (c == ',')
            {
              self->state = ST_KEY;
              i++;
              break;
            }
          if (c != '}')
            return fail (self, error, DUET_JSON_ERROR_INVALID,
                         "The body is not valid JSON text: “,” or “}” was expected");
        close_object:
          i++;
          if (self->level == 0)
            self->state = ST_DONE;
          else
            {
              self->level--;
              self->state = ST_AFTER_VALUE;
            }
          break;

        case ST_DONE:
          return fail (self, error, DUET_JSON_ERROR_INVALID,
                       "The body is not valid JSON text: it goes on after its end");

        case ST_IN_KEY:
        case ST_PART:
        case ST_FAILED:
        default:
          g_assert_not_reached ();
        }
    }

  return TRUE;
}

gboolean
duet_json_stream_feed (DuetJsonStream  *self,
                       const char      *data,
                       gsize            length,
                       GError         **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->state == ST_FAILED)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }
  if (length > self->max_size - self->size)
    return fail (self, error, DUET_JSON_ERROR_TOO_LARGE,
                 "The reply is over the limit of %" G_GSIZE_FORMAT " bytes", self->max_size);
  self->size += length;
  return feed (self, data, length, error);
}

gboolean
duet_json_stream_finish (DuetJsonStream  *self,
                         GError         **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->state == ST_FAILED)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }
  /* A scalar at the very end has no delimiter after it: the root object
   * always closes after it, so this is a truncated body either way. */
  if (self->state == ST_START)
    return fail (self, error, DUET_JSON_ERROR_INVALID, "The body is empty");
  if (self->state != ST_DONE)
    return fail (self, error, DUET_JSON_ERROR_INVALID,
                 "The body is not valid JSON text: it ends too early");
  return TRUE;
}

JsonNode *
duet_json_part_parse (const DuetJsonPart  *part,
                      GError             **error)
{
  JsonNode *root;
  gsize offset = 0;

  g_return_val_if_fail (part != NULL, NULL);

  root = duet_json_raw_parse (part->data, part->length, part->depth, &offset);
  if (root == NULL)
    g_set_error (error, DUET_JSON_ERROR, DUET_JSON_ERROR_INVALID,
                 "The member “%.64s” of the body is not JSON (at byte %" G_GSIZE_FORMAT ")",
                 part->name, offset);
  return root;
}
