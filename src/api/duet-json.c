/* duet-json.c: bounded JSON parsing and typed member access
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "duet-api-error.h"
#include "duet-json-raw.h"
#include "duet-json.h"

static gboolean
invalid_escape (GError **error)
{
  g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                       "The body is not JSON: a string holds an invalid escape");
  return FALSE;
}

/* The UTF-16 unit of the \uXXXX escape at @at, or G_MAXUINT32 when there is
 * none there. */
static gunichar
escaped_unit (const char *data,
              gsize       length,
              gsize       at)
{
  gunichar unit = 0;

  if (at + 6 > length || data[at] != '\\' || data[at + 1] != 'u')
    return G_MAXUINT32;
  for (gsize h = at + 2; h < at + 6; h++)
    {
      if (!g_ascii_isxdigit (data[h]))
        return G_MAXUINT32;
      unit = unit * 16 + g_ascii_xdigit_value (data[h]);
    }
  return unit;
}

/* json-glib parses recursively with no depth limit, so a body of 100,000
 * '[' overflows the stack.  This scan runs on the raw bytes before any
 * json-glib parse: it only has to track strings, escapes and brackets. */
gboolean
duet_json_check_bounds (const char  *data,
                        gsize        length,
                        gsize        max_size,
                        guint        max_depth,
                        GError     **error)
{
  guint depth = 0;
  gboolean in_string = FALSE;
  guint top_level_values = 0;

  if (length > max_size)
    {
      g_set_error (error, DUET_API_ERROR, DUET_API_ERROR_TOO_LARGE,
                   "The JSON body is %" G_GSIZE_FORMAT " bytes, over the limit of %" G_GSIZE_FORMAT,
                   length, max_size);
      return FALSE;
    }

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            {
              /* json-glib also takes escapes JSON has not, such as octal
               * "\\333", which make strings that are not UTF-8: refuse them
               * here.  Lone UTF-16 surrogates (which json-glib also makes
               * into bytes that are not UTF-8, or refuses) pass: the
               * parse reads them as U+FFFD. */
              char escaped = i + 1 < length ? data[i + 1] : '\0';
              gunichar unit;

              if (escaped == '\0' || strchr ("\"\\/bfnrtu", escaped) == NULL)
                return invalid_escape (error);
              if (escaped != 'u')
                {
                  i++;
                  continue;
                }
              unit = escaped_unit (data, length, i);
              if (unit == G_MAXUINT32)
                return invalid_escape (error);
              i += 5;
            }
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      /* json-glib reads a second value after the first (and leaks the
       * tree it built); a body is one value.  At the top level a value
       * starts with a quote, a bracket, or a scalar after a separator. */
      if (depth == 0 && !g_ascii_isspace (c) && c != ']' && c != '}' &&
          (c == '"' || c == '[' || c == '{' || i == 0 ||
           g_ascii_isspace (data[i - 1]) || data[i - 1] == '"' || data[i - 1] == ']' ||
           data[i - 1] == '}') &&
          ++top_level_values > 1)
        {
          g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                               "The body is not JSON: it holds more than one value");
          return FALSE;
        }

      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '/':
        case '\'':
          /* json-glib also takes comments and single-quoted strings; a
           * quote inside either would blind this scan, and neither is JSON. */
          g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                               "The body is not JSON: it holds a comment or a single-quoted string");
          return FALSE;
        case '[':
        case '{':
          if (++depth > max_depth)
            {
              g_set_error (error, DUET_API_ERROR, DUET_API_ERROR_TOO_DEEP,
                           "The JSON body is nested deeper than %u levels", max_depth);
              return FALSE;
            }
          break;
        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }

  return TRUE;
}

/* json-glib writes a double as "%.17g" and adds ".0" when that has no
 * point: 1e22 comes out as "1e+22.0", which is not JSON, and 1e400 (read as
 * infinite) as "inf.0". */
static gboolean
double_writes_as_json (double value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    return FALSE;
  g_ascii_formatd (text, sizeof text, "%.17g", value);
  return strchr (text, '.') != NULL || strpbrk (text, "eE") == NULL;
}

static gboolean
number_round_trips (const char *token)
{
  gboolean is_float = strpbrk (token, ".eE") != NULL;

  errno = 0;
  if (is_float)
    {
      double value = g_ascii_strtod (token, NULL);

      /* ERANGE covers both overflow (inf) and underflow (a value lost to 0). */
      return errno == 0 && double_writes_as_json (value);
    }

  g_ascii_strtoll (token, NULL, 10);
  return errno == 0;
}

gboolean
duet_json_check_round_trip (const char  *data,
                            gsize        length,
                            GError     **error)
{
  gboolean in_string = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];
      gsize start;
      g_autofree char *token = NULL;

      if (in_string)
        {
          /* json-glib cuts a string (or a member name) at U+0000. */
          if (c == '\\' && i + 5 < length && memcmp (data + i + 1, "u0000", 5) == 0)
            {
              g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_UNSAFE_CONTENT,
                                   "The content holds a NUL character, which Duet cannot write back unchanged");
              return FALSE;
            }
          /* A lone surrogate is read as U+FFFD, and written back so. */
          if (c == '\\')
            {
              gunichar unit = escaped_unit (data, length, i);

              if (unit >= 0xD800 && unit <= 0xDFFF)
                {
                  gunichar low = escaped_unit (data, length, i + 6);

                  if (unit >= 0xDC00 || low < 0xDC00 || low > 0xDFFF)
                    {
                      g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_UNSAFE_CONTENT,
                                           "The content holds a lone UTF-16 surrogate, which Duet cannot "
                                           "write back unchanged");
                      return FALSE;
                    }
                  /* The low half of the pair is read with it. */
                  i += 6;
                }
            }
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      if (c == '"')
        {
          in_string = TRUE;
          continue;
        }

      if (c == '/' || c == '\'')
        {
          g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                               "The body is not JSON: it holds a comment or a single-quoted string");
          return FALSE;
        }

      if (c != '-' && !g_ascii_isdigit (c))
        continue;

      start = i;
      while (i < length && (g_ascii_isdigit (data[i]) || strchr ("+-.eE", data[i]) != NULL))
        i++;
      token = g_strndup (data + start, i - start);
      i--;

      if (!number_round_trips (token))
        {
          g_set_error (error, DUET_API_ERROR, DUET_API_ERROR_UNSAFE_CONTENT,
                       "The content holds the number %.40s, which Duet cannot write back unchanged",
                       token);
          return FALSE;
        }
    }

  /* Bytes that are not UTF-8 in a string, and raw NUL bytes, are read as
   * U+FFFD, and written back so (elsewhere they are no JSON: the parse
   * refuses them). */
  if (!duet_json_utf8_validate (data, length))
    {
      g_autoptr(GByteArray) repaired = g_byte_array_sized_new (length + 64);

      if (duet_json_utf8_repair (data, length, repaired, NULL))
        {
          g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_UNSAFE_CONTENT,
                               "The content holds text that is not UTF-8 or a NUL byte, which Duet "
                               "cannot write back unchanged");
          return FALSE;
        }
    }

  return TRUE;
}

/* json-glib reads 1e400 as an infinite double and writes it back as
 * "inf.0", and 1e22 as "1e+22.0": neither is JSON, so a tree holding such a
 * number could not be stored and read back (the store keeps responses as
 * text).  Such a number becomes null: Matrix's canonical JSON has no
 * floats, and nothing Duet reads is one.  The bounds check keeps this
 * recursion shallow. */
static gboolean
has_unwritable_double (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        JsonNode *member;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, NULL, &member))
          if (has_unwritable_double (member))
            return TRUE;
        return FALSE;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        for (guint i = 0; i < json_array_get_length (array); i++)
          if (has_unwritable_double (json_array_get_element (array, i)))
            return TRUE;
        return FALSE;
      }
    case JSON_NODE_VALUE:
      return json_node_get_value_type (node) == G_TYPE_DOUBLE &&
             !double_writes_as_json (json_node_get_double (node));
    case JSON_NODE_NULL:
    default:
      return FALSE;
    }
}

static JsonNode *
copy_writable (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        g_autoptr(JsonObject) copy = json_object_new ();
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, &name, &member))
          json_object_set_member (copy, name, copy_writable (member));
        /* The node takes its own reference. */
        return json_node_init_object (json_node_alloc (), copy);
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        g_autoptr(JsonArray) copy = json_array_sized_new (json_array_get_length (array));

        for (guint i = 0; i < json_array_get_length (array); i++)
          json_array_add_element (copy, copy_writable (json_array_get_element (array, i)));
        return json_node_init_array (json_node_alloc (), copy);
      }
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_DOUBLE &&
          !double_writes_as_json (json_node_get_double (node)))
        return json_node_init_null (json_node_alloc ());
      return json_node_copy (node);
    case JSON_NODE_NULL:
    default:
      return json_node_copy (node);
    }
}

JsonNode *
duet_json_parse (const char  *data,
                 gssize       length,
                 gsize        max_size,
                 GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *rewritten = NULL;
  JsonNode *root;

  if (length < 0)
    length = data != NULL ? strlen (data) : 0;

  if (!duet_json_check_bounds (data, length, max_size, DUET_JSON_MAX_DEPTH, error))
    return NULL;

  /* Each ill-formed UTF-8 sequence in a string reads as U+FFFD, as in
   * the /sync stream (see duet_json_utf8_repair()); elsewhere it is no
   * JSON. */
  if (!duet_json_utf8_validate (data, length))
    {
      g_autoptr(GByteArray) repaired = g_byte_array_sized_new (length + 64);

      if (!duet_json_utf8_repair (data, length, repaired, NULL))
        {
          g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                               "The body is not valid UTF-8");
          return NULL;
        }
      length = repaired->len;
      rewritten = (char *) g_byte_array_free (g_steal_pointer (&repaired), FALSE);
      data = rewritten;
    }

  /* Each lone UTF-16 surrogate reads as U+FFFD, as in the /sync stream:
   * json-glib would make bytes that are not UTF-8 of it, or refuse it. */
  if (duet_json_find_lone_surrogate (data, length) != NULL)
    {
      if (rewritten == NULL)
        data = rewritten = g_memdup2 (data, length);
      duet_json_replace_lone_surrogates (rewritten, length);
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, length, &local_error))
    {
      g_set_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                   "The body is not JSON: %s", local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                           "The body is empty");
      return NULL;
    }

  if (has_unwritable_double (root))
    return copy_writable (root);
  return json_node_ref (root);
}

JsonObject *
duet_json_parse_object (GBytes  *bytes,
                        gsize    max_size,
                        GError **error)
{
  g_autoptr(JsonNode) root = NULL;
  gsize length = 0;
  const char *data = NULL;

  if (bytes != NULL)
    data = g_bytes_get_data (bytes, &length);

  if (length == 0)
    {
      g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                           "The body is empty");
      return NULL;
    }

  root = duet_json_parse (data, length, max_size, error);
  if (root == NULL)
    return NULL;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                           "The body is JSON but not an object");
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

char *
duet_json_to_string (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

char *
duet_json_object_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return duet_json_to_string (node);
}

static JsonNode *
require_member (JsonObject   *object,
                const char   *member,
                JsonNodeType  type,
                const char   *type_name,
                GError      **error)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL)
    {
      g_set_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                   "The field “%s” is missing", member);
      return NULL;
    }

  if (JSON_NODE_TYPE (node) != type ||
      (type == JSON_NODE_VALUE && json_node_get_value_type (node) != G_TYPE_STRING))
    {
      g_set_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE,
                   "The field “%s” is not %s", member, type_name);
      return NULL;
    }

  return node;
}

const char *
duet_json_require_string (JsonObject  *object,
                          const char  *member,
                          GError     **error)
{
  JsonNode *node = require_member (object, member, JSON_NODE_VALUE, "a string", error);

  return node != NULL ? json_node_get_string (node) : NULL;
}

JsonObject *
duet_json_require_object (JsonObject  *object,
                          const char  *member,
                          GError     **error)
{
  JsonNode *node = require_member (object, member, JSON_NODE_OBJECT, "an object", error);

  return node != NULL ? json_node_get_object (node) : NULL;
}

JsonArray *
duet_json_require_array (JsonObject  *object,
                         const char  *member,
                         GError     **error)
{
  JsonNode *node = require_member (object, member, JSON_NODE_ARRAY, "an array", error);

  return node != NULL ? json_node_get_array (node) : NULL;
}

const char *
duet_json_get_string (JsonObject *object,
                      const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

JsonObject *
duet_json_get_object (JsonObject *object,
                      const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
duet_json_get_array (JsonObject *object,
                     const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

gint64
duet_json_get_int (JsonObject *object,
                   const char *member,
                   gint64      fallback)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return json_node_get_int (node);
    case G_TYPE_DOUBLE:
      {
        double d = json_node_get_double (node);

        /* A huge or fractional number is not a valid integer field. */
        if (d >= -9007199254740991.0 && d <= 9007199254740991.0 && d == (gint64) d)
          return (gint64) d;
        return fallback;
      }
    default:
      return fallback;
    }
}

gboolean
duet_json_get_bool (JsonObject *object,
                    const char *member,
                    gboolean    fallback)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fallback;

  return json_node_get_boolean (node);
}
