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

#include <errno.h>
#include <string.h>

#include "duet-api-error.h"
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
  GByteArray       *part_buf;     /* a part that spans chunks */
};

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

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
      self->error = g_error_new_valist (DUET_API_ERROR, code, format, args);
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

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_hex4 (const char *p,
           const char *end,
           gunichar   *out)
{
  gunichar value = 0;

  if (end - p < 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      int h = hex_value (p[i]);

      if (h < 0)
        return FALSE;
      value = value * 16 + (gunichar) h;
    }
  *out = value;
  return TRUE;
}

/* A member name's escapes resolved; NULL when one is invalid, a lone
 * surrogate or U+0000 (a name that C strings would cut). */
static char *
unescape_key (const char *raw,
              gsize       length)
{
  g_autoptr(GString) out = g_string_sized_new (length);
  const char *p = raw, *end = raw + length;

  while (p < end)
    {
      gunichar ch;

      if (*p != '\\')
        {
          g_string_append_c (out, *p++);
          continue;
        }
      if (++p >= end)
        return NULL;
      switch (*p++)
        {
        case '"': g_string_append_c (out, '"'); break;
        case '\\': g_string_append_c (out, '\\'); break;
        case '/': g_string_append_c (out, '/'); break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          if (!read_hex4 (p, end, &ch))
            return NULL;
          p += 4;
          if (ch >= 0xd800 && ch <= 0xdbff)
            {
              gunichar low;

              if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !read_hex4 (p + 2, end, &low) ||
                  low < 0xdc00 || low > 0xdfff)
                return NULL;
              p += 6;
              ch = 0x10000 + ((ch - 0xd800) << 10) + (low - 0xdc00);
            }
          else if ((ch >= 0xdc00 && ch <= 0xdfff) || ch == 0)
            return NULL;
          g_string_append_unichar (out, ch);
          break;
        default:
          return NULL;
        }
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
end_key (DuetJsonStream  *self,
         GError         **error)
{
  char *name;

  if (self->key_escaped)
    name = unescape_key (self->key->str, self->key->len);
  else
    name = g_strndup (self->key->str, self->key->len);

  /* Raw control bytes (NUL among them) were refused as they came. */
  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    {
      g_free (name);
      return fail (self, error, DUET_API_ERROR_INVALID_RESPONSE,
                   "The body is not valid JSON text: a member name is not valid UTF-8 or holds a bad escape");
    }
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
    return fail (self, error, DUET_API_ERROR_INVALID_RESPONSE,
                 "The member “%.64s” of the body is not an object", self->name);
  if (length > self->max_part_size)
    return fail (self, error, DUET_API_ERROR_TOO_LARGE,
                 "The member “%.64s” of the body is over the limit of %" G_GSIZE_FORMAT " bytes",
                 self->name, self->max_part_size);
  if (!g_utf8_validate_len (data, length, NULL))
    return fail (self, error, DUET_API_ERROR_INVALID_RESPONSE,
                 "The member “%.64s” of the body is not valid UTF-8", self->name);

  if (!self->func (&part, self->user_data, &local_error))
    {
      if (local_error == NULL)
        local_error = g_error_new_literal (DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                                           "The body was refused");
      g_clear_error (&self->error);
      self->error = local_error;
      return fail (self, error, 0, "%s", "");
    }
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
            return fail (self, error, DUET_API_ERROR_INVALID_RESPONSE,
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
              p++;
              continue;
            }
          /* The hot path: runs of ordinary string bytes. */
          while (p < length && data[p] != '"' && data[p] != '\\')
            p++;
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
            return fail (self, error, DUET_API_ERROR_TOO_DEEP,
                         "The JSON body is nested deeper than %u levels", DUET_JSON_MAX_DEPTH);
          break;
        case '}':
        case ']':
          if (self->part_depth == 0)
            return fail (self, error, DUET_API_ERROR_INVALID_RESPONSE,
                         "The body is not valid JSON text: an unmatched “%c”", c);
          if (--self->part_depth == 0)
            {
              *i = p;
              return TRUE;
            }
          break;
        case '/':
        case '\'':
          return fail (self, error, DUET_API_ERROR_INVALID_RESPONSE,
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
  g_byte_array_set_size (self->part_buf, 0);
  if (c == '{' || c == '[')
    self->part_kind = PART_CONTAINER;
  else if (c == '"')
    self->part_kind = PART_STRING;
  else if (g_ascii_isalnum (c) || c == '-')
    self->part_kind = PART_SCALAR;
  else
    return fail (self, error, DUET_API_ERROR_INVALID_RESPONSE,
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
                return fail (self, error, DUET_API_ERROR_TOO_DEEP,
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
            return fail (self, error, DUET_API_ERROR_TOO_LARGE,
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
                return fail (self, error, DUET_API_ERROR_INVALID_RESPONSE,
                             "The body is not valid JSON text: a control character in a member name");
            }
          if (self->key->len + (i - start) > DUET_JSON_STREAM_MAX_KEY)
            return fail (self, error, DUET_API_ERROR_TOO_LARGE,
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
            return fail (self, error, DUET_API_ERROR_INVALID_RESPONSE, "The body is JSON but not an object");
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
            return fail (self, error, DUET_API_ERROR_INVALID_RESPONSE,
                         "The body is not valid JSON text: a member name was expected");
          g_string_truncate (self->key, 0);
          self->key_escape = self->key_escaped = FALSE;
          self->state = ST_IN_KEY;
          i++;
          break;

        case ST_COLON:
          if (c != ':')
            return fail (self, error, DUET_API_ERROR_INVALID_RESPONSE,
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
            return fail (self, error, DUET_API_ERROR_INVALID_RESPONSE,
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
          return fail (self, error, DUET_API_ERROR_INVALID_RESPONSE,
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
    return fail (self, error, DUET_API_ERROR_TOO_LARGE,
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
    return fail (self, error, DUET_API_ERROR_INVALID_RESPONSE, "The body is empty");
  if (self->state != ST_DONE)
    return fail (self, error, DUET_API_ERROR_INVALID_RESPONSE,
                 "The body is not valid JSON text: it ends too early");
  return TRUE;
}

/* --- Parsing a part --------------------------------------------------------
 *
 * json-glib's parser reads through GScanner, which costs about 190
 * instructions per byte of a /sync reply.  A part has passed the stream's
 * checks (UTF-8, depth, no comments), so this small recursive-descent
 * reader builds the same json-glib tree directly, several times faster.
 * Semantics follow json-glib's: the last of two equal member names wins,
 * integers are gint64 (beyond it, a double), other numbers doubles, and a
 * string is cut at an escaped U+0000 as json-glib's C strings are.
 */

typedef struct {
  const char *p;
  const char *end;
  guint       depth;
  GString    *scratch;
} Reader;

static void
skip_space (Reader *r)
{
  while (r->p < r->end && is_space (*r->p))
    r->p++;
}

static JsonNode *read_value (Reader *r);

/* A string at r->p (its opening quote); NULL when malformed.  The result
 * lives in r->scratch until the next call. */
static const char *
read_string (Reader *r)
{
  const char *start;

  if (r->p >= r->end || *r->p != '"')
    return NULL;
  start = ++r->p;
  /* The common case: no escapes at all. */
  while (r->p < r->end && *r->p != '"' && *r->p != '\\')
    r->p++;
  if (r->p >= r->end)
    return NULL;
  g_string_truncate (r->scratch, 0);
  g_string_append_len (r->scratch, start, r->p - start);

  while (*r->p != '"')
    {
      gunichar ch;

      if (*r->p != '\\')
        {
          start = r->p;
          while (r->p < r->end && *r->p != '"' && *r->p != '\\')
            r->p++;
          if (r->p >= r->end)
            return NULL;
          g_string_append_len (r->scratch, start, r->p - start);
          continue;
        }
      if (++r->p >= r->end)
        return NULL;
      switch (*r->p++)
        {
        case '"': g_string_append_c (r->scratch, '"'); break;
        case '\\': g_string_append_c (r->scratch, '\\'); break;
        case '/': g_string_append_c (r->scratch, '/'); break;
        case 'b': g_string_append_c (r->scratch, '\b'); break;
        case 'f': g_string_append_c (r->scratch, '\f'); break;
        case 'n': g_string_append_c (r->scratch, '\n'); break;
        case 'r': g_string_append_c (r->scratch, '\r'); break;
        case 't': g_string_append_c (r->scratch, '\t'); break;
        case 'u':
          if (!read_hex4 (r->p, r->end, &ch))
            return NULL;
          r->p += 4;
          if (ch >= 0xd800 && ch <= 0xdbff)
            {
              gunichar low;

              /* A lone surrogate is refused, as duet_json_parse() does for
               * every other reply: one rule for what is JSON. */
              if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' ||
                  !read_hex4 (r->p + 2, r->end, &low) || low < 0xdc00 || low > 0xdfff)
                return NULL;
              r->p += 6;
              ch = 0x10000 + ((ch - 0xd800) << 10) + (low - 0xdc00);
            }
          else if (ch >= 0xdc00 && ch <= 0xdfff)
            return NULL;
          if (ch == 0)
            g_string_append_c (r->scratch, '\0');
          else
            g_string_append_unichar (r->scratch, ch);
          break;
        default:
          return NULL;
        }
      if (r->p >= r->end)
        return NULL;
    }
  r->p++;
  return r->scratch->str;
}

static JsonNode *
read_number (Reader *r)
{
  const char *start = r->p;
  gboolean is_float = FALSE;
  char buffer[64];
  char *endptr;
  gsize length;
  JsonNode *node;

  if (r->p < r->end && *r->p == '-')
    r->p++;
  if (r->p >= r->end || !g_ascii_isdigit (*r->p))
    return NULL;
  /* JSON has no leading zeros. */
  if (*r->p == '0' && r->p + 1 < r->end && g_ascii_isdigit (r->p[1]))
    return NULL;
  while (r->p < r->end && g_ascii_isdigit (*r->p))
    r->p++;
  if (r->p < r->end && *r->p == '.')
    {
      is_float = TRUE;
      r->p++;
      if (r->p >= r->end || !g_ascii_isdigit (*r->p))
        return NULL;
      while (r->p < r->end && g_ascii_isdigit (*r->p))
        r->p++;
    }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E'))
    {
      is_float = TRUE;
      r->p++;
      if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
        r->p++;
      if (r->p >= r->end || !g_ascii_isdigit (*r->p))
        return NULL;
      while (r->p < r->end && g_ascii_isdigit (*r->p))
        r->p++;
    }

  length = r->p - start;
  if (length >= sizeof buffer)
    is_float = TRUE;
  length = MIN (length, sizeof buffer - 1);
  memcpy (buffer, start, length);
  buffer[length] = '\0';

  node = json_node_alloc ();
  if (!is_float)
    {
      gint64 value;

      errno = 0;
      value = g_ascii_strtoll (buffer, &endptr, 10);
      if (errno == 0)
        return json_node_init_int (node, value);
    }
  return json_node_init_double (node, g_ascii_strtod (buffer, &endptr));
}

static gboolean
read_literal (Reader     *r,
              const char *word)
{
  gsize length = strlen (word);

  if ((gsize) (r->end - r->p) < length || memcmp (r->p, word, length) != 0)
    return FALSE;
  r->p += length;
  return TRUE;
}

static JsonNode *
read_object (Reader *r)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_init_object (json_node_alloc (), object);

  json_object_unref (object);
  r->p++;
  skip_space (r);
  if (r->p < r->end && *r->p == '}')
    {
      r->p++;
      return node;
    }
  for (;;)
    {
      g_autofree char *name = NULL;
      const char *raw;
      JsonNode *value;

      skip_space (r);
      raw = read_string (r);
      if (raw == NULL)
        break;
      name = g_strdup (raw);
      skip_space (r);
      if (r->p >= r->end || *r->p != ':')
        break;
      r->p++;
      value = read_value (r);
      if (value == NULL)
        break;
      json_object_set_member (object, name, value);
      skip_space (r);
      if (r->p < r->end && *r->p == ',')
        {
          r->p++;
          continue;
        }
      if (r->p < r->end && *r->p == '}')
        {
          r->p++;
          return node;
        }
      break;
    }
  json_node_unref (node);
  return NULL;
}

static JsonNode *
read_array (Reader *r)
{
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_init_array (json_node_alloc (), array);

  json_array_unref (array);
  r->p++;
  skip_space (r);
  if (r->p < r->end && *r->p == ']')
    {
      r->p++;
      return node;
    }
  for (;;)
    {
      JsonNode *value = read_value (r);

      if (value == NULL)
        break;
      json_array_add_element (array, value);
      skip_space (r);
      if (r->p < r->end && *r->p == ',')
        {
          r->p++;
          continue;
        }
      if (r->p < r->end && *r->p == ']')
        {
          r->p++;
          return node;
        }
      break;
    }
  json_node_unref (node);
  return NULL;
}

static JsonNode *
read_value (Reader *r)
{
  JsonNode *node = NULL;
  const char *text;

  skip_space (r);
  if (r->p >= r->end)
    return NULL;

  switch (*r->p)
    {
    case '{':
    case '[':
      /* Bounded here too: this reader may be given any bytes. */
      if (++r->depth > DUET_JSON_MAX_DEPTH)
        return NULL;
      node = *r->p == '{' ? read_object (r) : read_array (r);
      r->depth--;
      return node;
    case '"':
      text = read_string (r);
      return text != NULL ? json_node_init_string (json_node_alloc (), text) : NULL;
    case 't':
      return read_literal (r, "true") ? json_node_init_boolean (json_node_alloc (), TRUE) : NULL;
    case 'f':
      return read_literal (r, "false") ? json_node_init_boolean (json_node_alloc (), FALSE) : NULL;
    case 'n':
      return read_literal (r, "null") ? json_node_init_null (json_node_alloc ()) : NULL;
    default:
      return read_number (r);
    }
}

JsonNode *
duet_json_part_parse (const DuetJsonPart  *part,
                      GError             **error)
{
  g_autoptr(GString) scratch = g_string_sized_new (256);
  Reader r = { part->data, part->data + part->length, part->depth, scratch };
  JsonNode *root;

  g_return_val_if_fail (part != NULL, NULL);

  root = read_value (&r);
  if (root != NULL)
    {
      skip_space (&r);
      if (r.p != r.end)
        g_clear_pointer (&root, json_node_unref);
    }
  if (root == NULL)
    {
      g_set_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                   "The member “%.64s” of the body is not JSON (at byte %" G_GSIZE_FORMAT ")",
                   part->name, (gsize) (r.p - part->data));
      return NULL;
    }
  return root;
}
