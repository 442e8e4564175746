/* duet-json-raw.c: JSON text read in place, without a tree
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Three readers over bytes in memory: the iterator (fast or strict), the
 * strict checker behind it, and a recursive-descent reader that builds
 * json-glib's tree (json-glib's own parser reads through GScanner, about
 * 190 instructions per byte; this one is several times faster).  All are
 * bounded by DUET_JSON_MAX_DEPTH and by the end of their input.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "duet-json-raw.h"
#include "duet-json-scan-private.h"

static inline gboolean
is_space (char c)
{
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
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

/* --- UTF-8 ------------------------------------------------------------------ */

/* The length of the UTF-8 sequence at @p (its first byte >= 0x80), or 0
 * when it is not one: overlong forms, surrogates and code points beyond
 * U+10FFFF are refused, as g_utf8_validate() does. */
static gsize
utf8_sequence (const guchar *p,
               const guchar *end)
{
  guchar c = p[0];
  gsize n;
  gunichar min, ch;

  if (c >= 0xc2 && c <= 0xdf)
    n = 2, min = 0x80, ch = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef)
    n = 3, min = 0x800, ch = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4)
    n = 4, min = 0x10000, ch = c & 0x07;
  else
    return 0;
  if ((gsize) (end - p) < n)
    return 0;
  for (gsize i = 1; i < n; i++)
    {
      if ((p[i] & 0xc0) != 0x80)
        return 0;
      ch = (ch << 6) | (p[i] & 0x3f);
    }
  if (ch < min || ch > 0x10ffff || (ch >= 0xd800 && ch <= 0xdfff))
    return 0;
  return n;
}

gboolean
duet_json_utf8_validate (const char *data,
                         gsize       length)
{
  const guchar *p = (const guchar *) data, *end = p + length;

  while (p < end)
    {
      gsize n;

      /* Eight ASCII bytes at a time. */
      while (end - p >= 8)
        {
          guint64 word;

          memcpy (&word, p, 8);
          if (word & G_GUINT64_CONSTANT (0x8080808080808080))
            break;
          p += 8;
        }
      while (p < end && *p < 0x80)
        {
          /* A NUL byte is refused, as g_utf8_validate_len() does. */
          if (*p == 0)
            return FALSE;
          p++;
        }
      if (p == end)
        break;
      if ((n = utf8_sequence (p, end)) == 0)
        return FALSE;
      p += n;
    }
  /* The word loop skipped NUL bytes: look for them apart (memchr is fast). */
  return memchr (data, '\0', length) == NULL;
}

/* --- Scanning ------------------------------------------------------------- */

typedef struct {
  const char *p;
  const char *end;
  gboolean    controls;
} Scan;

/* A string from its opening quote, checked strictly. */
static gboolean
scan_string_strict (Scan *s)
{
  const char *p = s->p + 1, *end = s->end;

  for (;;)
    {
      guchar c;

      p = duet_json_find_special (p, end);
      if (p >= end)
        return FALSE;
      c = (guchar) *p;
      if (c == '"')
        break;
      if (c < 0x20)
        {
          s->controls = TRUE;
          p++;
        }
      else if (c >= 0x80)
        {
          gsize n = utf8_sequence ((const guchar *) p, (const guchar *) end);

          if (n == 0)
            return FALSE;
          p += n;
        }
      else
        {
          gunichar ch;

          if (++p >= end)
            return FALSE;
          switch (*p++)
            {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
              break;
            case 'u':
              if (!read_hex4 (p, end, &ch))
                return FALSE;
              p += 4;
              if (ch >= 0xd800 && ch <= 0xdbff)
                {
                  gunichar low;

                  if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !read_hex4 (p + 2, end, &low) ||
                      low < 0xdc00 || low > 0xdfff)
                    return FALSE;
                  p += 6;
                }
              else if (ch >= 0xdc00 && ch <= 0xdfff)
                return FALSE;
              break;
            default:
              return FALSE;
            }
        }
    }
  s->p = p + 1;
  return TRUE;
}

static gboolean
scan_number_strict (Scan *s)
{
  const char *p = s->p, *end = s->end;

  if (p < end && *p == '-')
    p++;
  if (p >= end || !g_ascii_isdigit (*p))
    return FALSE;
  if (*p == '0')
    p++;
  else
    while (p < end && g_ascii_isdigit (*p))
      p++;
  if (p < end && *p == '.')
    {
      p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return FALSE;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return FALSE;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  s->p = p;
  return TRUE;
}

static gboolean
scan_literal (Scan       *s,
              const char *word,
              gsize       length)
{
  if ((gsize) (s->end - s->p) < length || memcmp (s->p, word, length) != 0)
    return FALSE;
  s->p += length;
  return TRUE;
}

static void
scan_space (Scan *s)
{
  while (s->p < s->end && is_space (*s->p))
    s->p++;
}

/* One value from s->p (no leading space), checked strictly; @depth is the
 * nesting of the container it sits in. */
static gboolean
scan_value_strict (Scan  *s,
                   guint  depth)
{
  char close;

  if (s->p >= s->end)
    return FALSE;
  switch (*s->p)
    {
    case '"':
      return scan_string_strict (s);
    case 't':
      return scan_literal (s, "true", 4);
    case 'f':
      return scan_literal (s, "false", 5);
    case 'n':
      return scan_literal (s, "null", 4);
    case '{':
    case '[':
      break;
    default:
      return scan_number_strict (s);
    }

  if (depth + 1 > DUET_JSON_MAX_DEPTH)
    return FALSE;
  close = *s->p == '{' ? '}' : ']';
  s->p++;
  scan_space (s);
  if (s->p < s->end && *s->p == close)
    {
      s->p++;
      return TRUE;
    }
  for (;;)
    {
      if (close == '}')
        {
          if (s->p >= s->end || *s->p != '"' || !scan_string_strict (s))
            return FALSE;
          scan_space (s);
          if (s->p >= s->end || *s->p != ':')
            return FALSE;
          s->p++;
          scan_space (s);
        }
      if (!scan_value_strict (s, depth + 1))
        return FALSE;
      scan_space (s);
      if (s->p >= s->end)
        return FALSE;
      if (*s->p == ',')
        {
          s->p++;
          scan_space (s);
          continue;
        }
      if (*s->p != close)
        return FALSE;
      s->p++;
      return TRUE;
    }
}

/* One value from s->p found by its strings, escapes and brackets only. */
static gboolean
scan_value_fast (Scan  *s,
                 guint  depth)
{
  const char *p = s->p, *end = s->end;
  guint nesting = 0;

  if (p >= end)
    return FALSE;
  if (*p != '{' && *p != '[' && *p != '"')
    {
      /* A number or literal runs to the next delimiter. */
      while (p < end && !is_space (*p) && *p != ',' && *p != '}' && *p != ']')
        p++;
      if (p == s->p)
        return FALSE;
      s->p = p;
      return TRUE;
    }

  while (p < end)
    {
      char c = *p++;

      if (c == '"')
        {
          for (;;)
            {
              p = duet_json_find_quote (p, end);
              if (p >= end)
                return FALSE;
              if (*p == '"')
                break;
              p += 2;
            }
          p++;
        }
      else if (c == '{' || c == '[')
        {
          if (depth + ++nesting > DUET_JSON_MAX_DEPTH)
            return FALSE;
          continue;
        }
      else if (c == '}' || c == ']')
        {
          if (nesting == 0)
            return FALSE;
          nesting--;
        }
      else
        continue;
      if (nesting == 0)
        {
          s->p = p;
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
duet_json_raw_validate (const char *text,
                        gsize       length,
                        guint       depth,
                        gboolean   *controls)
{
  Scan s = { text, text + length, FALSE };

  scan_space (&s);
  /* scan_value_strict() takes the depth of the container around it. */
  if (!scan_value_strict (&s, depth))
    return FALSE;
  scan_space (&s);
  if (controls != NULL)
    *controls = s.controls;
  return s.p == s.end;
}

/* --- The iterator ------------------------------------------------------------ */

gboolean
duet_json_raw_iter_init (DuetJsonRawIter *iter,
                         const char      *text,
                         gsize            length,
                         guint            depth,
                         gboolean         strict)
{
  const char *p = text, *end = text + length;

  g_return_val_if_fail (iter != NULL, FALSE);

  memset (iter, 0, sizeof *iter);
  iter->done = TRUE;
  while (p < end && is_space (*p))
    p++;
  if (p >= end || (*p != '{' && *p != '[') || depth + 1 > DUET_JSON_MAX_DEPTH)
    {
      iter->failed = TRUE;
      return FALSE;
    }
  iter->close = *p == '{' ? '}' : ']';
  iter->p = p + 1;
  iter->end = end;
  iter->depth = depth + 1;
  iter->strict = strict;
  iter->first = TRUE;
  iter->done = FALSE;
  return TRUE;
}

static gboolean
iter_fail (DuetJsonRawIter *iter)
{
  iter->failed = TRUE;
  iter->done = TRUE;
  return FALSE;
}

static gboolean
iter_close (DuetJsonRawIter *iter,
            Scan            *s)
{
  s->p++;
  iter->p = s->p;
  iter->done = TRUE;
  /* Only space may follow the container's end, unless it was entered
   * from its parent's iterator (whose text goes on). */
  if (iter->nested)
    return FALSE;
  scan_space (s);
  if (s->p != s->end)
    return iter_fail (iter);
  return FALSE;
}

/* Moves to the start of the next value (after its name for an object);
 * FALSE at the end or on failure. */
static gboolean
iter_to_value (DuetJsonRawIter *iter,
               Scan            *s,
               DuetJsonRaw     *name)
{
  const char *start;
  gboolean ok;

  if (iter->done)
    return FALSE;
  s->p = iter->p;
  s->end = iter->end;
  s->controls = FALSE;

  scan_space (s);
  if (s->p >= s->end)
    return iter_fail (iter);
  if (iter->first)
    {
      iter->first = FALSE;
      if (*s->p == iter->close)
        return iter_close (iter, s);
    }
  else
    {
      if (*s->p == iter->close)
        return iter_close (iter, s);
      if (*s->p != ',')
        return iter_fail (iter);
      s->p++;
      scan_space (s);
    }

  if (iter->close == '}')
    {
      start = s->p;
      if (s->p >= s->end || *s->p != '"')
        return iter_fail (iter);
      ok = iter->strict ? scan_string_strict (s) : scan_value_fast (s, iter->depth);
      if (!ok)
        return iter_fail (iter);
      if (name != NULL)
        {
          name->data = start;
          name->length = s->p - start;
          name->controls = s->controls;
        }
      scan_space (s);
      if (s->p >= s->end || *s->p != ':')
        return iter_fail (iter);
      s->p++;
      scan_space (s);
    }
  else if (name != NULL)
    memset (name, 0, sizeof *name);
  return TRUE;
}

gboolean
duet_json_raw_iter_next (DuetJsonRawIter *iter,
                         DuetJsonRaw     *name,
                         DuetJsonRaw     *value)
{
  Scan s;
  const char *start;
  gboolean ok;

  g_return_val_if_fail (iter != NULL && value != NULL, FALSE);

  if (!iter_to_value (iter, &s, name))
    return FALSE;
  start = s.p;
  s.controls = FALSE;
  ok = iter->strict ? scan_value_strict (&s, iter->depth) : scan_value_fast (&s, iter->depth);
  if (!ok)
    return iter_fail (iter);
  value->data = start;
  value->length = s.p - start;
  value->controls = s.controls;
  iter->p = s.p;
  return TRUE;
}

gboolean
duet_json_raw_iter_enter (DuetJsonRawIter *iter,
                          DuetJsonRaw     *name,
                          DuetJsonRawIter *child,
                          gboolean         strict)
{
  Scan s;

  g_return_val_if_fail (iter != NULL && child != NULL, FALSE);

  memset (child, 0, sizeof *child);
  child->done = child->failed = TRUE;
  if (!iter_to_value (iter, &s, name))
    return FALSE;
  /* The value starts here; leave() finds its end. */
  iter->p = s.p;
  if (s.p < s.end && (*s.p == '{' || *s.p == '[') && iter->depth + 1 <= DUET_JSON_MAX_DEPTH)
    {
      child->close = *s.p == '{' ? '}' : ']';
      child->p = s.p + 1;
      child->end = s.end;
      child->depth = iter->depth + 1;
      child->strict = strict;
      child->first = TRUE;
      child->nested = TRUE;
      child->done = child->failed = FALSE;
    }
  return TRUE;
}

gboolean
duet_json_raw_iter_leave (DuetJsonRawIter *iter,
                          DuetJsonRawIter *child,
                          DuetJsonRaw     *value)
{
  const char *start = iter->p;
  gboolean whole = child->done && !child->failed;

  g_return_val_if_fail (iter != NULL && child != NULL && value != NULL, FALSE);

  if (whole)
    iter->p = child->p;
  else
    {
      /* Not a container, not read to its end, or not JSON inside: the
       * fast scan finds where it ends, if anything does. */
      Scan s = { start, iter->end, FALSE };

      if (!scan_value_fast (&s, iter->depth))
        {
          memset (value, 0, sizeof *value);
          return iter_fail (iter);
        }
      iter->p = s.p;
    }
  value->data = start;
  value->length = iter->p - start;
  value->controls = FALSE;
  return whole;
}

gboolean
duet_json_raw_iter_failed (DuetJsonRawIter *iter)
{
  return iter->failed;
}

guint
duet_json_raw_iter_child_depth (DuetJsonRawIter *iter)
{
  return iter->depth;
}

/* --- Values --------------------------------------------------------------------- */

char
duet_json_raw_type (const DuetJsonRaw *value)
{
  return value != NULL && value->length > 0 ? value->data[0] : 0;
}

char *
duet_json_raw_unescape (const char *data,
                        gsize       length)
{
  g_autoptr(GString) out = NULL;
  const char *p = data, *end = data + length;

  if (memchr (data, '\\', length) == NULL)
    return memchr (data, '\0', length) == NULL ? g_strndup (data, length) : NULL;

  out = g_string_sized_new (length);
  while (p < end)
    {
      gunichar ch;

      if (*p != '\\')
        {
          if (*p == '\0')
            return NULL;
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

char *
duet_json_raw_dup_string (const DuetJsonRaw *value)
{
  if (value == NULL || value->length < 2 || value->data[0] != '"' ||
      value->data[value->length - 1] != '"')
    return NULL;
  return duet_json_raw_unescape (value->data + 1, value->length - 2);
}

gboolean
duet_json_raw_name_is (const DuetJsonRaw *name,
                       const char        *literal)
{
  gsize length = strlen (literal);
  g_autofree char *unescaped = NULL;

  if (name == NULL || name->length < 2)
    return FALSE;
  /* The common case: the name as sent, no escapes. */
  if (name->length == length + 2 && memcmp (name->data + 1, literal, length) == 0)
    return TRUE;
  if (memchr (name->data, '\\', name->length) == NULL)
    return FALSE;
  unescaped = duet_json_raw_dup_string (name);
  return unescaped != NULL && g_str_equal (unescaped, literal);
}

char *
duet_json_raw_escape_controls (const DuetJsonRaw *value)
{
  GString *out = g_string_sized_new (value->length + 16);
  gboolean in_string = FALSE, escape = FALSE;

  for (gsize i = 0; i < value->length; i++)
    {
      char c = value->data[i];

      if (in_string && !escape && (guchar) c < 0x20)
        {
          g_string_append_printf (out, "\\u%04x", (guint) (guchar) c);
          continue;
        }
      g_string_append_c (out, c);
      if (escape)
        escape = FALSE;
      else if (in_string && c == '\\')
        escape = TRUE;
      else if (c == '"')
        in_string = !in_string;
    }
  return g_string_free (out, FALSE);
}

/* --- json-glib's tree ------------------------------------------------------------ */

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
  r->p = duet_json_find_quote (r->p, r->end);
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
          r->p = duet_json_find_quote (r->p, r->end);
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
      /* json_object_set_member() copies the name: most fit on the stack. */
      char short_name[64];
      g_autofree char *long_name = NULL;
      const char *raw, *name;
      JsonNode *value;

      skip_space (r);
      raw = read_string (r);
      if (raw == NULL)
        break;
      if (r->scratch->len < sizeof short_name)
        name = memcpy (short_name, raw, r->scratch->len + 1);
      else
        name = long_name = g_strdup (raw);
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
duet_json_raw_parse (const char *data,
                     gsize       length,
                     guint       depth,
                     gsize      *error_offset)
{
  g_autoptr(GString) scratch = g_string_sized_new (256);
  Reader r = { data, data + length, depth, scratch };
  JsonNode *root;

  root = read_value (&r);
  if (root != NULL)
    {
      skip_space (&r);
      if (r.p != r.end)
        g_clear_pointer (&root, json_node_unref);
    }
  if (root == NULL && error_offset != NULL)
    *error_offset = r.p - data;
  return root;
}
