/* test-json.c: unit tests of bounded JSON, Matrix ids, mxc:// URIs and backoff
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "duet-api-error.h"
#include "duet-client.h"
#include "duet-json.h"
#include "duet-matrix-id.h"
#include "duet-sync-loop.h"

/* --- duet_json_check_bounds ---------------------------------------------- */

static char *
nested (const char *open,
        guint       depth,
        const char *middle,
        const char *close)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < depth; i++)
    g_string_append (s, open);
  g_string_append (s, middle);
  for (guint i = 0; i < depth; i++)
    g_string_append (s, close);
  return g_string_free (s, FALSE);
}

static gboolean
check (const char  *json,
       GError     **error)
{
  return duet_json_check_bounds (json, strlen (json), DUET_JSON_MAX_SIZE, DUET_JSON_MAX_DEPTH, error);
}

static void
test_bounds_nesting_bomb (void)
{
  g_autofree char *bomb = g_strnfill (100000, '[');
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) object = NULL;

  g_assert_false (check (bomb, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_TOO_DEEP);
  g_clear_error (&error);

  /* The parsers refuse it before json-glib sees it (which would overflow the stack). */
  node = duet_json_parse (bomb, -1, DUET_JSON_MAX_SIZE, &error);
  g_assert_null (node);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_TOO_DEEP);
  g_clear_error (&error);

  g_free (bomb);
  bomb = nested ("{\"a\":", 100000, "1", "}");
  bytes = g_bytes_new (bomb, strlen (bomb));
  object = duet_json_parse_object (bytes, DUET_JSON_MAX_SIZE, &error);
  g_assert_null (object);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_TOO_DEEP);
}

static void
test_bounds_depth_limit (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *arrays_ok = nested ("[", DUET_JSON_MAX_DEPTH, "1", "]");
  g_autofree char *arrays_deep = nested ("[", DUET_JSON_MAX_DEPTH + 1, "1", "]");
  g_autofree char *objects_ok = nested ("{\"k\":", DUET_JSON_MAX_DEPTH - 1, "{}", "}");
  g_autofree char *objects_deep = nested ("{\"k\":", DUET_JSON_MAX_DEPTH, "{}", "}");
  g_autoptr(JsonNode) node = NULL;

  g_assert_cmpint (DUET_JSON_MAX_DEPTH, ==, 64);

  g_assert_true (check (arrays_ok, &error));
  g_assert_no_error (error);
  g_assert_true (check (objects_ok, &error));
  g_assert_no_error (error);

  /* Depth 64 is also parsed for real. */
  node = duet_json_parse (arrays_ok, -1, DUET_JSON_MAX_SIZE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));

  g_assert_false (check (arrays_deep, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_TOO_DEEP);
  g_clear_error (&error);
  g_assert_false (check (objects_deep, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_TOO_DEEP);
  g_clear_error (&error);

  /* Depth goes down again: many shallow siblings are fine. */
  {
    GString *siblings = g_string_new ("[");

    for (guint i = 0; i < 1000; i++)
      g_string_append (siblings, i == 0 ? "[[1]]" : ",[[1]]");
    g_string_append (siblings, "]");
    g_assert_true (check (siblings->str, &error));
    g_assert_no_error (error);
    g_string_free (siblings, TRUE);
  }
}

/* json-glib accepts comments and single-quoted strings; a quote inside
 * either must not hide a nesting bomb (json-glib would crash on it). */
static void
test_bounds_not_json_quotes (void)
{
  static const char *prefixes[] = { "/*\"*/", "['\"',", "// \"\n" };
  g_autofree char *brackets = g_strnfill (100000, '[');

  for (gsize i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      g_autofree char *body = g_strconcat (prefixes[i], brackets, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = duet_json_parse (body, -1, DUET_JSON_MAX_SIZE, &error);

      g_assert_null (node);
      g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE);
      g_clear_error (&error);
      g_assert_false (duet_json_check_round_trip (body, strlen (body), &error));
      g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE);
    }
}

static void
test_round_trip (void)
{
  static const struct {
    const char *json;
    gboolean    ok;
  } cases[] = {
    { "{\"a\": [1, -2, 3.5, 1e10, -9223372036854775808, 9223372036854775807]}", TRUE },
    { "{\"a\": \"1e400 and \\\\u0000 are text here\"}", TRUE },
    { "{\"a\": 9223372036854775808}", FALSE },
    { "{\"a\": 1e400}", FALSE },
    { "{\"a\": -1e400}", FALSE },
    { "{\"a\": 1e-400}", FALSE },
    { "{\"a\\u0000b\": 1}", FALSE },
    { "{\"a\": \"x\\u0000y\"}", FALSE },
    /* A surrogate pair round-trips; a lone surrogate would come back as
     * U+FFFD, and "\\ud800" (an escaped backslash) is text. */
    { "{\"a\": \"\\ud83d\\ude00 \\\\ud800\"}", TRUE },
    { "{\"a\": \"\\ud800\"}", FALSE },
    { "{\"a\": \"\\udc00x\"}", FALSE },
    { "{\"a\\ud800\\u0041\": 1}", FALSE },
    { "{\"a\": \"\\ud83d\\ude00\\ude00\"}", FALSE },
    /* Bytes that are not UTF-8 in a string would come back as U+FFFD;
     * valid UTF-8 round-trips. */
    { "{\"a\": \"caf\xc3\xa9 \xf0\x9f\x98\x80\"}", TRUE },
    { "{\"a\": \"bad \xff\"}", FALSE },
    { "{\"a\xc0\xaf\": [\"!r:x\"]}", FALSE },
    { "{\"a\": [\"\xe2\x82\"]}", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      /* TAP output must be UTF-8: bytes that are not print escaped. */
      g_autofree char *shown = g_strescape (cases[i].json, NULL);

      g_test_message ("%s", shown);
      g_assert_cmpint (duet_json_check_round_trip (cases[i].json, strlen (cases[i].json), &error),
                       ==, cases[i].ok);
      if (!cases[i].ok)
        g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_UNSAFE_CONTENT);
    }

  /* A raw NUL byte in a string would come back as U+FFFD too. */
  {
    static const char json[] = "{\"a\": [\"!r\0:x\"]}";
    g_autoptr(GError) error = NULL;

    g_assert_false (duet_json_check_round_trip (json, sizeof json - 1, &error));
    g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_UNSAFE_CONTENT);
    g_assert_nonnull (strstr (error->message, "NUL"));
  }
}

static void
test_bounds_strings (void)
{
  const guint deepest = DUET_JSON_MAX_DEPTH - 1;
  g_autoptr(GError) error = NULL;
  g_autofree char *brackets = g_strnfill (1000, '[');
  g_autofree char *closers = g_strnfill (1000, ']');
  g_autofree char *in_string = g_strdup_printf ("{\"a\":\"%s\",\"b\":\"%s\"}", brackets, closers);
  g_autofree char *middle = NULL;
  g_autofree char *deep = NULL;

  /* Brackets inside strings are text, not nesting. */
  g_assert_true (check (in_string, &error));
  g_assert_no_error (error);

  /* An escaped quote does not end the string: the brackets after it are still text. */
  g_clear_pointer (&in_string, g_free);
  in_string = g_strdup_printf ("[\"\\\"%s\"]", brackets);
  g_assert_true (check (in_string, &error));
  g_assert_no_error (error);

  /* An escaped backslash does end before the quote: the brackets after
   * the string are real nesting. */
  g_clear_pointer (&in_string, g_free);
  in_string = g_strdup_printf ("[\"\\\\\",%s]", brackets);
  g_assert_false (check (in_string, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_TOO_DEEP);
  g_clear_error (&error);

  /* Closing brackets inside a string at depth 63 do not lower the depth:
   * two more levels after the string go over the limit. */
  middle = g_strdup_printf ("\"%s\",[[1]]", closers);
  deep = nested ("[", deepest, middle, "]");
  g_assert_false (check (deep, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_TOO_DEEP);
  g_clear_error (&error);

  /* ... while one more level is exactly the limit. */
  g_clear_pointer (&middle, g_free);
  g_clear_pointer (&deep, g_free);
  middle = g_strdup_printf ("\"%s\",[1]", closers);
  deep = nested ("[", deepest, middle, "]");
  g_assert_true (check (deep, &error));
  g_assert_no_error (error);

  /* Unicode escapes and a string at the very end. */
  g_assert_true (check ("{\"a\":\"\\u005b\\u005b\",\"b\":\"x\\\\\"}", &error));
  g_assert_no_error (error);
}

/* An escaped lone UTF-16 surrogate reads as U+FFFD (json-glib alone makes
 * bytes that are not UTF-8 of one, or refuses it); pairs and other
 * escapes read as before, and broken \u escapes are still refused. */
static void
test_parse_lone_surrogates (void)
{
  static const struct {
    const char *body;
    const char *text;     /* NULL: refused */
  } cases[] = {
    { "[\"a\\ud800b\"]", "a\xef\xbf\xbd" "b" },
    { "[\"\\udc00\"]", "\xef\xbf\xbd" },
    { "[\"\\uD800\\u0041\"]", "\xef\xbf\xbd" "A" },
    { "[\"\\ud800\\ud800\\udc00\"]", "\xef\xbf\xbd\xf0\x90\x80\x80" },
    { "[\"\\ud83d\\ude00\\ude00\"]", "\xf0\x9f\x98\x80\xef\xbf\xbd" },
    { "[\"\\ud83d\\ude00\"]", "\xf0\x9f\x98\x80" },
    { "[\"\\\\ud800\"]", "\\ud800" },
    { "[\"\\ud80\"]", NULL },
    { "[\"\\ud800\\u12\"]", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = duet_json_parse (cases[i].body, -1, DUET_JSON_MAX_SIZE, &error);

      g_test_message ("%s", cases[i].body);
      if (cases[i].text == NULL)
        {
          g_assert_null (node);
          g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE);
          continue;
        }
      g_assert_no_error (error);
      g_assert_cmpstr (json_array_get_string_element (json_node_get_array (node), 0), ==, cases[i].text);
    }

  /* In a member name, and in a whole reply. */
  {
    const char *body = "{\"\\udc00x\": {\"b\": \"\\ud800\"}}";
    g_autoptr(GBytes) bytes = g_bytes_new_static (body, strlen (body));
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) object = duet_json_parse_object (bytes, DUET_JSON_MAX_SIZE, &error);
    JsonObject *inner;

    g_assert_no_error (error);
    inner = json_object_get_object_member (object, "\xef\xbf\xbdx");
    g_assert_nonnull (inner);
    g_assert_cmpstr (json_object_get_string_member (inner, "b"), ==, "\xef\xbf\xbd");
  }
}

#define R "\xef\xbf\xbd"   /* U+FFFD */

/* Bytes that are not UTF-8 in a string read as U+FFFD, one per maximal
 * subpart (json-glib alone refuses the body), in member names too, and
 * with lone surrogates in the same body. */
static void
test_parse_invalid_utf8 (void)
{
  static const struct {
    const char *body;
    const char *text;
  } cases[] = {
    { "[\"bad \xff\xfe \xc0\xaf bytes\"]", "bad " R R " " R R " bytes" },
    { "[\"\xe2\x82\"]", R },
    { "[\"\xed\xa0\x80\"]", R R R },
    { "[\"\xf4\x90\x80\x80\"]", R R R R },
    { "[\"caf\xc3\xa9\xff\\ud800\\u0041\"]", "caf\xc3\xa9" R R "A" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = duet_json_parse (cases[i].body, -1, DUET_JSON_MAX_SIZE, &error);

      g_test_message ("case %" G_GSIZE_FORMAT, i);
      g_assert_no_error (error);
      g_assert_cmpstr (json_array_get_string_element (json_node_get_array (node), 0), ==, cases[i].text);
    }

  {
    const char *body = "{\"k\xff\": {\"b\": \"\xc0\"}, \"c\": \"fine\"}";
    g_autoptr(GBytes) bytes = g_bytes_new_static (body, strlen (body));
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) object = duet_json_parse_object (bytes, DUET_JSON_MAX_SIZE, &error);
    JsonObject *inner;

    g_assert_no_error (error);
    inner = json_object_get_object_member (object, "k" R);
    g_assert_nonnull (inner);
    g_assert_cmpstr (json_object_get_string_member (inner, "b"), ==, R);
    g_assert_cmpstr (json_object_get_string_member (object, "c"), ==, "fine");
  }
  /* A raw NUL byte in a string (a C string cannot hold it) reads as
   * U+FFFD too, in a member name as well. */
  {
    static const char body[] = "{\"k\0\": \"x\0\xff\"}";
    g_autoptr(GBytes) bytes = g_bytes_new_static (body, sizeof body - 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) object = duet_json_parse_object (bytes, DUET_JSON_MAX_SIZE, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (object, "k" R), ==, "x" R R);
  }
}

static void
test_bounds_size (void)
{
  g_autoptr(GError) error = NULL;
  const char *json = "{\"a\":[1,2,3]}";
  gsize len = strlen (json);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new_static (json, len);
  g_autoptr(JsonObject) object = NULL;

  g_assert_true (duet_json_check_bounds (json, len, len, DUET_JSON_MAX_DEPTH, &error));
  g_assert_no_error (error);

  g_assert_false (duet_json_check_bounds (json, len, len - 1, DUET_JSON_MAX_DEPTH, &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_TOO_LARGE);
  g_clear_error (&error);

  node = duet_json_parse (json, -1, len - 1, &error);
  g_assert_null (node);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_TOO_LARGE);
  g_clear_error (&error);

  object = duet_json_parse_object (bytes, len - 1, &error);
  g_assert_null (object);
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_TOO_LARGE);
  g_clear_error (&error);

  object = duet_json_parse_object (bytes, len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (object);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "a")), ==, 3);
}

static void
test_parse_invalid (void)
{
  static const struct {
    const char *body;
    gssize      length;
  } cases[] = {
    { "", 0 },
    { "not json", -1 },
    { "{\"a\":", -1 },
    { "[1,2,3]", -1 },          /* JSON, but not an object */
    { "\"text\"", -1 },
    { "{\"a\":\xff\xfe}", -1 }, /* not UTF-8, outside a string */
    { "{\"a\":1,\xc0\xaf\"b\":\"\xff\"}", -1 },
    { "{\"a\":1\0}", 8 },        /* a NUL outside a string */
    { "{\"a\":1}\0{\"b\":2}", 15 }, /* a NUL inside the body */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gsize len = cases[i].length >= 0 ? (gsize) cases[i].length : strlen (cases[i].body);
      g_autoptr(GBytes) bytes = g_bytes_new_static (cases[i].body, len);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) object = duet_json_parse_object (bytes, DUET_JSON_MAX_SIZE, &error);

      g_test_message ("case %" G_GSIZE_FORMAT, i);
      g_assert_null (object);
      g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE);
    }
}

static void
test_require (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  g_assert_true (json_parser_load_from_data (parser,
    "{\"s\":\"text\",\"n\":5,\"o\":{\"x\":1},\"a\":[1],\"b\":true,\"d\":1.5,\"big\":1e300,\"z\":null}",
    -1, &error));
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));

  g_assert_cmpstr (duet_json_require_string (object, "s", &error), ==, "text");
  g_assert_no_error (error);
  g_assert_nonnull (duet_json_require_object (object, "o", &error));
  g_assert_no_error (error);
  g_assert_nonnull (duet_json_require_array (object, "a", &error));
  g_assert_no_error (error);

  g_assert_null (duet_json_require_string (object, "n", &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE);
  g_assert_nonnull (strstr (error->message, "n”"));
  g_clear_error (&error);

  g_assert_null (duet_json_require_string (object, "z", &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE);
  g_clear_error (&error);

  g_assert_null (duet_json_require_object (object, "a", &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE);
  g_assert_nonnull (strstr (error->message, "“a”"));
  g_clear_error (&error);

  g_assert_null (duet_json_require_array (object, "missing", &error));
  g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_RESPONSE);
  g_assert_nonnull (strstr (error->message, "missing"));
  g_clear_error (&error);

  /* Lenient lookups fall back on a wrong type. */
  g_assert_null (duet_json_get_string (object, "n"));
  g_assert_null (duet_json_get_object (object, "a"));
  g_assert_null (duet_json_get_array (object, "o"));
  g_assert_null (duet_json_get_string (NULL, "s"));
  g_assert_cmpint (duet_json_get_int (object, "n", -1), ==, 5);
  g_assert_cmpint (duet_json_get_int (object, "s", -1), ==, -1);
  g_assert_cmpint (duet_json_get_int (object, "d", -1), ==, -1);
  g_assert_cmpint (duet_json_get_int (object, "big", -1), ==, -1);
  g_assert_cmpint (duet_json_get_int (object, "missing", 7), ==, 7);
  g_assert_true (duet_json_get_bool (object, "b", FALSE));
  g_assert_false (duet_json_get_bool (object, "n", FALSE));
  g_assert_true (duet_json_get_bool (object, "missing", TRUE));
}

/* --- Matrix ids ---------------------------------------------------------- */

typedef struct {
  const char *value;
  gboolean    valid;
} IdCase;

static void
test_server_names (void)
{
  static const IdCase cases[] = {
    { "localhost", TRUE },
    { "example.org", TRUE },
    { "matrix.example.org:8448", TRUE },
    { "127.0.0.1", TRUE },
    { "127.0.0.1:8008", TRUE },
    { "[::1]", TRUE },
    { "[::1]:8448", TRUE },
    { "[2001:db8::1]:443", TRUE },
    { "xn--bcher-kva.example", TRUE },
    { "", FALSE },
    { NULL, FALSE },
    { "bad_server!", FALSE },
    { "under_score.org", FALSE },
    { "exa mple.org", FALSE },
    { "example.org/path", FALSE },
    { "..", FALSE },
    { ".example.org", FALSE },
    { "example..org", FALSE },
    { "example.org:", FALSE },
    { "example.org:0", FALSE },
    { "example.org:65536", FALSE },
    { "example.org:123456", FALSE },
    { "example.org:80a", FALSE },
    { "[::1", FALSE },
    { "[::1]x", FALSE },
    { "[::g]", FALSE },
    { "ex%2Fample.org", FALSE },
  };
  g_autofree char *long_name = g_strnfill (DUET_MATRIX_ID_MAX_LENGTH + 1, 'a');

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("server name '%s'", cases[i].value != NULL ? cases[i].value : "(null)");
      g_assert_cmpint (duet_matrix_is_valid_server_name (cases[i].value), ==, cases[i].valid);
    }
  g_assert_false (duet_matrix_is_valid_server_name (long_name));
}

static void
test_user_ids (void)
{
  static const IdCase cases[] = {
    { "@alice:localhost", TRUE },
    { "@alice:example.org:8448", TRUE },
    { "@a.b-c_d=e/f+g:example.org", TRUE },
    { "@bob:[::1]", TRUE },
    { "", FALSE },
    { NULL, FALSE },
    { "@", FALSE },
    { "@:localhost", FALSE },
    { "@alice", FALSE },
    { "@alice:", FALSE },
    { "alice:localhost", FALSE },
    { "!alice:localhost", FALSE },
    { "@al ice:localhost", FALSE },
    { "@alice\n:localhost", FALSE },
    { "@alice:bad_server!", FALSE },
    { "@alice:local host", FALSE },
    { "@ali\xc3\xa7" "e:localhost", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("user id '%s'", cases[i].value != NULL ? cases[i].value : "(null)");
      g_assert_cmpint (duet_matrix_is_valid_user_id (cases[i].value), ==, cases[i].valid);
    }
}

static void
test_room_and_event_ids (void)
{
  static const IdCase rooms[] = {
    { "!abc:localhost", TRUE },
    { "!abc:example.org:8448", TRUE },
    { "!abcdefghijklmnopqrstuvwxyz0123456789ABCDEF", TRUE }, /* room version 12: no server */
    { "", FALSE },
    { NULL, FALSE },
    { "!", FALSE },
    { "!:localhost", FALSE },
    { "abc:localhost", FALSE },
    { "#abc:localhost", FALSE },
    { "!abc def:localhost", FALSE },
    { "!abc:bad_server!", FALSE },
    { "!abc\t:localhost", FALSE },
  };
  static const IdCase events[] = {
    { "$abc:localhost", TRUE },
    { "$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg", TRUE },
    { "", FALSE },
    { NULL, FALSE },
    { "$", FALSE },
    { "abc", FALSE },
    { "!abc:localhost", FALSE },
    { "$a b", FALSE },
    { "$abc\x7f", FALSE },
  };
  g_autofree char *filler = g_strnfill (DUET_MATRIX_ID_MAX_LENGTH, 'a');
  g_autofree char *too_long = g_strconcat ("!", filler, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (rooms); i++)
    {
      g_test_message ("room id '%s'", rooms[i].value != NULL ? rooms[i].value : "(null)");
      g_assert_cmpint (duet_matrix_is_valid_room_id (rooms[i].value), ==, rooms[i].valid);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (events); i++)
    {
      g_test_message ("event id '%s'", events[i].value != NULL ? events[i].value : "(null)");
      g_assert_cmpint (duet_matrix_is_valid_event_id (events[i].value), ==, events[i].valid);
    }
  g_assert_false (duet_matrix_is_valid_room_id (too_long));
}

static void
test_loopback (void)
{
  static const IdCase cases[] = {
    { "localhost", TRUE },
    { "LOCALHOST", TRUE },
    { "127.0.0.1", TRUE },
    { "127.1.2.3", TRUE },
    { "::1", TRUE },
    { "[::1]", TRUE },
    { NULL, FALSE },
    { "", FALSE },
    { "example.org", FALSE },
    { "10.0.0.1", FALSE },
    { "localhost.example.org", FALSE },
    /* Names that look like loopback addresses are remote hosts. */
    { "127.example.net", FALSE },
    { "127.0.0.1.nip.io", FALSE },
    { "[::1].example.org", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("host '%s'", cases[i].value != NULL ? cases[i].value : "(null)");
      g_assert_cmpint (duet_matrix_is_loopback_host (cases[i].value), ==, cases[i].valid);
    }
}

static void
test_mxc_parse (void)
{
  static const struct {
    const char *uri;
    const char *server;   /* NULL: invalid */
    const char *media_id;
  } cases[] = {
    { "mxc://localhost/abcDEF123", "localhost", "abcDEF123" },
    { "mxc://example.org:8448/a_b-c", "example.org:8448", "a_b-c" },
    { "mxc://[::1]:8448/media", "[::1]:8448", "media" },
    { "mxc://127.0.0.1/x", "127.0.0.1", "x" },
    { "mxc://evil/../../etc/passwd", NULL, NULL },
    { "mxc://localhost/..", NULL, NULL },
    { "mxc://localhost/.", NULL, NULL },
    { "mxc://../etc/passwd", NULL, NULL },
    { "mxc://localhost/a%2Fb", NULL, NULL },
    { "mxc://localhost%2F..%2F/abc", NULL, NULL },
    { "mxc://localhost/a/b", NULL, NULL },
    { "mxc://localhost/a\\b", NULL, NULL },
    { "mxc://localhost/a?b", NULL, NULL },
    { "mxc://localhost/a#b", NULL, NULL },
    { "mxc://localhost/a b", NULL, NULL },
    { "mxc://bad_server!/x", NULL, NULL },
    { "mxc:///x", NULL, NULL },
    { "mxc://localhost/", NULL, NULL },
    { "mxc://localhost", NULL, NULL },
    { "mxc://", NULL, NULL },
    { "", NULL, NULL },
    { NULL, NULL, NULL },
    { "http://localhost/abc", NULL, NULL },
    { "MXC://localhost/abc", NULL, NULL },
    { " mxc://localhost/abc", NULL, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *server = NULL;
      g_autofree char *media_id = NULL;
      g_autoptr(GError) error = NULL;
      gboolean ok;

      g_test_message ("mxc '%s'", cases[i].uri != NULL ? cases[i].uri : "(null)");
      ok = duet_mxc_parse (cases[i].uri, &server, &media_id, &error);
      if (cases[i].server != NULL)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpstr (server, ==, cases[i].server);
          g_assert_cmpstr (media_id, ==, cases[i].media_id);
        }
      else
        {
          g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);
          g_assert_false (ok);
          g_assert_null (server);
          g_assert_null (media_id);
        }
    }

  /* Out arguments are optional. */
  g_assert_true (duet_mxc_parse ("mxc://localhost/abc", NULL, NULL, NULL));
  g_assert_false (duet_mxc_parse ("mxc://localhost/../x", NULL, NULL, NULL));
}

/* --- Errcodes ------------------------------------------------------------ */

static void
test_errcodes (void)
{
  static const struct {
    const char   *errcode;
    DuetApiError  code;
  } cases[] = {
    { "M_FORBIDDEN", DUET_API_ERROR_FORBIDDEN },
    { "M_NOT_FOUND", DUET_API_ERROR_NOT_FOUND },
    { "M_LIMIT_EXCEEDED", DUET_API_ERROR_LIMIT_EXCEEDED },
    { "M_UNKNOWN_TOKEN", DUET_API_ERROR_UNKNOWN_TOKEN },
    { "M_MISSING_TOKEN", DUET_API_ERROR_MISSING_TOKEN },
    { "M_BAD_JSON", DUET_API_ERROR_BAD_JSON },
    { "M_NOT_JSON", DUET_API_ERROR_BAD_JSON },
    { "M_USER_IN_USE", DUET_API_ERROR_USER_IN_USE },
    { "M_ROOM_IN_USE", DUET_API_ERROR_ROOM_IN_USE },
    { "M_UNRECOGNIZED", DUET_API_ERROR_UNRECOGNIZED },
    { "M_INVALID_PARAM", DUET_API_ERROR_INVALID_PARAM },
    { "M_MISSING_PARAM", DUET_API_ERROR_INVALID_PARAM },
    { "M_UNKNOWN", DUET_API_ERROR_UNKNOWN },
    { "M_WEIRD", DUET_API_ERROR_UNKNOWN },
    { "m_forbidden", DUET_API_ERROR_UNKNOWN },
    { "", DUET_API_ERROR_UNKNOWN },
    { NULL, DUET_API_ERROR_UNKNOWN },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (duet_api_error_from_errcode (cases[i].errcode), ==, cases[i].code);
}

/* --- Backoff: the one test of the real defaults --------------------------- */

static void
check_schedule (DuetClient *client,
                guint       initial_ms,
                guint       max_ms,
                guint       attempts)
{
  for (guint attempt = 1; attempt <= attempts; attempt++)
    {
      guint64 nominal = initial_ms;
      guint lowest = G_MAXUINT;
      guint highest = 0;

      for (guint i = 1; i < attempt; i++)
        nominal = MIN (nominal * 2, max_ms);

      for (guint sample = 0; sample < 400; sample++)
        {
          guint delay = duet_client_next_backoff_ms (client, attempt);

          /* Up to a quarter less, never more than the nominal delay. */
          g_assert_cmpuint (delay, <=, nominal);
          g_assert_cmpuint (delay, >=, nominal - nominal / 4);
          lowest = MIN (lowest, delay);
          highest = MAX (highest, delay);
        }

      g_test_message ("attempt %u: nominal %" G_GUINT64_FORMAT " ms, seen %u .. %u ms",
                      attempt, nominal, lowest, highest);
      /* There is jitter: 400 draws from [3/4 d, d] are not all the same. */
      if (nominal >= 8)
        g_assert_cmpuint (lowest, <, highest);
    }
}

static void
test_backoff_defaults (void)
{
  g_autoptr(DuetClient) client = duet_client_new ("http://127.0.0.1:1");
  guint initial = 0;
  guint max = 0;
  guint delay;

  duet_client_get_backoff (client, &initial, &max);
  g_assert_cmpuint (initial, ==, 500);
  g_assert_cmpuint (max, ==, 60 * 1000);
  g_assert_cmpuint (DUET_CLIENT_DEFAULT_BACKOFF_INITIAL_MS, ==, 500);
  g_assert_cmpuint (DUET_CLIENT_DEFAULT_BACKOFF_MAX_MS, ==, 60000);
  g_assert_cmpuint (duet_client_get_max_attempts (client), ==, DUET_CLIENT_DEFAULT_MAX_ATTEMPTS);
  g_assert_cmpuint (duet_client_get_request_timeout (client), ==, 60 * 1000);

  /* 500, 1000, 2000, ... 32000, then capped at 60 s: attempt 8 would be 64 s. */
  check_schedule (client, 500, 60000, 12);

  delay = duet_client_next_backoff_ms (client, 1);
  g_assert_cmpuint (delay, >=, 375);
  g_assert_cmpuint (delay, <=, 500);
  delay = duet_client_next_backoff_ms (client, 7);
  g_assert_cmpuint (delay, >=, 24000);
  g_assert_cmpuint (delay, <=, 32000);
  delay = duet_client_next_backoff_ms (client, 8);
  g_assert_cmpuint (delay, >=, 45000);
  g_assert_cmpuint (delay, <=, 60000);

  /* No overflow for absurd attempt numbers. */
  delay = duet_client_next_backoff_ms (client, G_MAXUINT);
  g_assert_cmpuint (delay, >=, 45000);
  g_assert_cmpuint (delay, <=, 60000);

  /* The defaults of the sync loop. */
  {
    g_autoptr(DuetSyncLoop) loop = duet_sync_loop_new (client);

    g_assert_cmpuint (duet_sync_loop_get_timeout (loop), ==, 30000);
    g_assert_cmpint (duet_sync_loop_get_state (loop), ==, DUET_SYNC_STATE_STOPPED);
    g_assert_null (duet_sync_loop_get_since (loop));
  }
}

static void
test_backoff_custom (void)
{
  g_autoptr(DuetClient) client = duet_client_new ("http://127.0.0.1:1");
  guint initial = 0;
  guint max = 0;

  duet_client_set_backoff (client, 10, 50);
  duet_client_get_backoff (client, &initial, &max);
  g_assert_cmpuint (initial, ==, 10);
  g_assert_cmpuint (max, ==, 50);
  check_schedule (client, 10, 50, 6);

  duet_client_set_backoff (client, 100, 100);
  check_schedule (client, 100, 100, 4);
}

static void
test_txn_ids (void)
{
  g_autoptr(DuetClient) a = duet_client_new ("http://127.0.0.1:1");
  g_autoptr(DuetClient) b = duet_client_new ("http://127.0.0.1:1");
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 100; i++)
    {
      char *ta = duet_client_new_txn_id (a);
      char *tb = duet_client_new_txn_id (b);

      /* Safe in a path segment as they are. */
      for (const char *p = ta; *p != '\0'; p++)
        g_assert_true (g_ascii_isalnum (*p) || *p == '.' || *p == '_' || *p == '-');
      g_assert_true (g_hash_table_add (seen, ta));
      g_assert_true (g_hash_table_add (seen, tb));
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 200);
}

static void
test_sync_filter (void)
{
  g_autofree char *filter = duet_sync_loop_build_filter (7);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *room;

  root = json_from_string (filter, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  room = json_object_get_object_member (json_node_get_object (root), "room");
  g_assert_nonnull (room);
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (room, "state"),
                                                 "lazy_load_members"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (room, "timeline"),
                                               "limit"), ==, 7);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json/bounds/nesting-bomb", test_bounds_nesting_bomb);
  g_test_add_func ("/json/bounds/depth-limit", test_bounds_depth_limit);
  g_test_add_func ("/json/bounds/strings", test_bounds_strings);
  g_test_add_func ("/json/bounds/not-json-quotes", test_bounds_not_json_quotes);
  g_test_add_func ("/json/round-trip", test_round_trip);
  g_test_add_func ("/json/bounds/size", test_bounds_size);
  g_test_add_func ("/json/parse/invalid", test_parse_invalid);
  g_test_add_func ("/json/parse/lone-surrogates", test_parse_lone_surrogates);
  g_test_add_func ("/json/parse/invalid-utf8", test_parse_invalid_utf8);
  g_test_add_func ("/json/require", test_require);
  g_test_add_func ("/matrix-id/server-names", test_server_names);
  g_test_add_func ("/matrix-id/user-ids", test_user_ids);
  g_test_add_func ("/matrix-id/room-and-event-ids", test_room_and_event_ids);
  g_test_add_func ("/matrix-id/loopback", test_loopback);
  g_test_add_func ("/matrix-id/mxc-parse", test_mxc_parse);
  g_test_add_func ("/api-error/errcodes", test_errcodes);
  g_test_add_func ("/client/backoff/defaults", test_backoff_defaults);
  g_test_add_func ("/client/backoff/custom", test_backoff_custom);
  g_test_add_func ("/client/txn-ids", test_txn_ids);
  g_test_add_func ("/sync-loop/filter", test_sync_filter);

  return g_test_run ();
}
