/* duet-json-raw.c: JSON text read in place, without a tree
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The iterator (fast or strict) and the strict checker behind it, over
 * bytes in memory, bounded by DUET_JSON_MAX_DEPTH and by the end of their
 * input.  duet-json-tree.c builds json-glib's tree with the same rules.
 */
#include "config.h"

#include <string.h>

#include "duet-json-raw.h"
#include "duet-json-scan-private.h"

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

/* --- Invalid UTF-8 ------------------------------------------------------------ */

/* The length of the maximal subpart of an ill-formed sequence at @p (one
 * that utf8_sequence() refused): the longest start of a well-formed
 * sequence there, or its first byte alone when nothing well-formed starts
 * with it (Unicode §3.9, U+FFFD substitution of maximal subparts; the
 * WHATWG encoding standard's UTF-8 decoder does the same).  The second
 * byte's range depends on the first, so that overlong forms (E0 80),
 * surrogates (ED A0) and code points beyond U+10FFFF (F4 90) end the
 * subpart at their first byte. */
static gsize
utf8_maximal_subpart (const guchar *p,
                      const guchar *end)
{
  guchar c = p[0], low = 0x80, high = 0xbf;
  gsize n, i;

  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef)
    {
      n = 3;
      if (c == 0xe0)
        low = 0xa0;
      else if (c == 0xed)
        high = 0x9f;
    }
  else if (c >= 0xf0 && c <= 0xf4)
    {
      n = 4;
      if (c == 0xf0)
        low = 0x90;
      else if (c == 0xf4)
        high = 0x8f;
    }
  else
    return 1;
  if (end - p < 2 || p[1] < low || p[1] > high)
    return 1;
  for (i = 2; i < n && p + i < end && (p[i] & 0xc0) == 0x80; i++)
    ;
  /* A whole sequence would have been well-formed: never here. */
  return MIN (i, n - 1);
}

/* A string's escape starts at a backslash and takes the byte after it
 * (the rest of a \u escape is ASCII, read as string text); a byte that is
 * no ASCII after a backslash is no escape JSON has, and is read as text
 * here, so that it too is repaired if it is not UTF-8. */
static gboolean
utf8_repair (const guchar *p,
             const guchar *end,
             gboolean      in_string,
             GByteArray   *out,
             gsize        *replaced)
{
  static const guint8 replacement[] = { 0xef, 0xbf, 0xbd };
  const guchar *run = p;
  gsize count = 0;

  while (p < end)
    {
      guchar c;
      gsize n;

      /* Runs of plain ASCII, eight bytes at a time. */
      p = (const guchar *) duet_json_find_special ((const char *) p, (const char *) end);
      if (p == end)
        break;
      c = *p;
      if (c < 0x80)
        {
          /* A raw NUL byte is no text a C string can hold: inside a
           * string it reads as U+FFFD, like the other bytes repaired here
           * (raw control bytes above it are taken, and escaped when
           * written); outside strings it is no JSON. */
          if (c == '\0')
            {
              if (!in_string)
                return FALSE;
              g_byte_array_append (out, run, p - run);
              g_byte_array_append (out, replacement, sizeof replacement);
              run = ++p;
              count++;
              continue;
            }
          if (c == '"')
            in_string = !in_string;
          else if (c == '\\' && in_string && end - p >= 2 && p[1] != '\0' && p[1] < 0x80)
            p++;
          p++;
          continue;
        }
      if ((n = utf8_sequence (p, end)) > 0)
        {
          p += n;
          continue;
        }
      /* Outside strings, only the grammar's ASCII stands: no JSON. */
      if (!in_string)
        return FALSE;
      g_byte_array_append (out, run, p - run);
      g_byte_array_append (out, replacement, sizeof replacement);
      p += utf8_maximal_subpart (p, end);
      run = p;
      count++;
    }
  g_byte_array_append (out, run, end - run);
  if (replaced != NULL)
    *replaced = count;
  return TRUE;
}

gboolean
duet_json_utf8_repair (const char *data,
                       gsize       length,
                       GByteArray *out,
                       gsize      *replaced)
{
  g_return_val_if_fail (out != NULL, FALSE);

  return utf8_repair ((const guchar *) data, (const guchar *) data + length, FALSE, out, replaced);
}

gboolean
duet_json_utf8_repair_string (const char *data,
                              gsize       length,
                              GByteArray *out,
                              gsize      *replaced)
{
  g_return_val_if_fail (out != NULL, FALSE);

  return utf8_repair ((const guchar *) data, (const guchar *) data + length, TRUE, out, replaced);
}

/* --- Lone surrogates ---------------------------------------------------------- */

/* Every backslash in JSON text starts an escape (outside strings there are
 * none), so reading escapes from left to right pairs them as a parser
 * does, "\\ud800" included.  In text that is no JSON the pairing may
 * differ from a parser's, but a rewrite only ever changes the four hex
 * digits of a \u escape: it cannot make such text JSON. */
const char *
duet_json_find_lone_surrogate (const char *data,
                               gsize       length)
{
  const char *p = data, *end = data + length;

  while ((p = memchr (p, '\\', end - p)) != NULL)
    {
      gunichar unit, low;

      if (end - p < 6 || p[1] != 'u' || !read_hex4 (p + 2, end, &unit))
        {
          /* Any other escape (or a broken one): skip the byte escaped. */
          if (end - p <= 2)
            break;
          p += 2;
          continue;
        }
      if (unit >= 0xdc00 && unit <= 0xdfff)
        return p;
      if (unit >= 0xd800 && unit <= 0xdbff)
        {
          if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || !read_hex4 (p + 8, end, &low) ||
              low < 0xdc00 || low > 0xdfff)
            return p;
          /* A pair: both escapes at once. */
          p += 6;
        }
      p += 6;
    }
  return NULL;
}

gsize
duet_json_replace_lone_surrogates (char  *data,
                                   gsize  length)
{
  char *end = data + length, *p = data;
  gsize count = 0;

  while ((p = (char *) duet_json_find_lone_surrogate (p, end - p)) != NULL)
    {
      memcpy (p + 2, "fffd", 4);
      p += 6;
      count++;
    }
  return count;
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

/* Called between every two tokens, and most often where there is no
 * space at all (servers send compact JSON): always inlined. */
G_ALWAYS_INLINE static inline void
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
