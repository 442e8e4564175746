/* duet-json-tree.c: json-glib's tree of JSON text, read directly
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * json-glib's parser reads through GScanner, which costs about 190
 * instructions per byte of a /sync reply.  This small recursive-descent
 * reader builds the same tree directly, several times faster, with
 * json-glib's semantics: the last of two equal member names wins,
 * integers are gint64 (beyond it, a double), other numbers doubles, and a
 * string is cut at an escaped U+0000 as json-glib's C strings are.  It is
 * bounded by DUET_JSON_MAX_DEPTH and by the end of its input.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "duet-json-raw.h"
#include "duet-json-scan-private.h"

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

              /* A lone surrogate is refused, as the strict reader does:
               * server text reaches here with each one rewritten as
               * \ufffd (duet_json_find_lone_surrogate()). */
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
