/* test-json-stream.c: the /sync body tokenizer splits right and refuses
 * hostile bodies with a clear error
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "duet-api-error.h"
#include "duet-json-stream.h"

typedef struct {
  GPtrArray *parts;      /* "section|name|text" */
  guint      stop_at;    /* refuse the part with this index (G_MAXUINT: none) */
} Collect;

static gboolean
collect_cb (const DuetJsonPart  *part,
            gpointer             user_data,
            GError             **error)
{
  Collect *collect = user_data;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) parse_error = NULL;

  if (collect->parts->len == collect->stop_at)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped by the consumer");
      return FALSE;
    }

  /* Every part is a value json-glib takes on its own. */
  node = duet_json_part_parse (part, &parse_error);
  g_assert_no_error (parse_error);
  g_assert_nonnull (node);
  g_assert_cmpuint (part->depth, ==, part->section != NULL ? 3 : 1);

  g_ptr_array_add (collect->parts, g_strdup_printf ("%s|%s|%.*s", part->section ? part->section : "",
                                                    part->name, (int) part->length, part->data));
  return TRUE;
}

/* Feeds @json in chunks of @chunk bytes (0: in two at @split). */
static GPtrArray *
split_doc (const char  *json,
           gsize        chunk,
           gsize        split,
           GError     **error)
{
  Collect collect = { g_ptr_array_new_with_free_func (g_free), G_MAXUINT };
  g_autoptr(DuetJsonStream) stream = duet_json_stream_new ("rooms", 1 << 20, 1 << 16, collect_cb, &collect);
  gsize length = strlen (json);
  gboolean ok = TRUE;

  if (chunk == 0)
    ok = duet_json_stream_feed (stream, json, split, error) &&
         duet_json_stream_feed (stream, json + split, length - split, error);
  else
    for (gsize i = 0; i < length && ok; i += chunk)
      ok = duet_json_stream_feed (stream, json + i, MIN (chunk, length - i), error);

  if (!ok || !duet_json_stream_finish (stream, error))
    {
      g_ptr_array_unref (collect.parts);
      return NULL;
    }
  return collect.parts;
}

static const char valid_doc[] =
  " {\"next_batch\" : \"s1_2\",\n"
  "  \"account_data\": {\"events\": [{\"type\": \"m.direct\", \"content\": {\"@b:x\": [\"!a:x\"]}}]},\n"
  "  \"count\": -12.5e3, \"flag\": true, \"none\": null, \"list\": [1, [2, {\"}\": \"]\"}]],\n"
  "  \"rooms\": {\n"
  "    \"join\": {\"!a:x\": {\"timeline\": {\"events\": [{\"content\": {\"body\": \"a \\\"}\\\" b \\\\\"}}]}},\n"
  "              \"!b\\u0041:x\": {}},\n"
  "    \"invite\": {},\n"
  "    \"leave\": {\"!c:x\":{\"state\":{\"events\":[]}} }\n"
  "  },\n"
  "  \"text\": \"caf\xc3\xa9 \\ud83d\\ude00\"\n"
  "} \n";

static const char * const valid_parts[] = {
  "|next_batch|\"s1_2\"",
  "|account_data|{\"events\": [{\"type\": \"m.direct\", \"content\": {\"@b:x\": [\"!a:x\"]}}]}",
  "|count|-12.5e3",
  "|flag|true",
  "|none|null",
  "|list|[1, [2, {\"}\": \"]\"}]]",
  "join|!a:x|{\"timeline\": {\"events\": [{\"content\": {\"body\": \"a \\\"}\\\" b \\\\\"}}]}}",
  "join|!bA:x|{}",
  "leave|!c:x|{\"state\":{\"events\":[]}}",
  "|text|\"caf\xc3\xa9 \\ud83d\\ude00\"",
};

static void
assert_valid_parts (GPtrArray *parts)
{
  g_assert_nonnull (parts);
  g_assert_cmpuint (parts->len, ==, G_N_ELEMENTS (valid_parts));
  for (guint i = 0; i < parts->len; i++)
    g_assert_cmpstr (parts->pdata[i], ==, valid_parts[i]);
}

static void
test_split_whole (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) parts = split_doc (valid_doc, strlen (valid_doc), 0, &error);

  g_assert_no_error (error);
  assert_valid_parts (parts);
}

static void
test_split_every_byte (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) parts = split_doc (valid_doc, 1, 0, &error);

  g_assert_no_error (error);
  assert_valid_parts (parts);
}

/* Whatever the chunk boundaries, the same parts. */
static void
test_split_every_point (void)
{
  for (gsize split = 0; split <= strlen (valid_doc); split++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) parts = split_doc (valid_doc, 0, split, &error);

      g_assert_no_error (error);
      assert_valid_parts (parts);
    }
}

static void
test_no_split_member (void)
{
  Collect collect = { g_ptr_array_new_with_free_func (g_free), G_MAXUINT };
  g_autoptr(DuetJsonStream) stream = duet_json_stream_new (NULL, 1 << 20, 1 << 16, collect_cb, &collect);
  const char *json = "{\"rooms\": {\"join\": {}}, \"a\": 1}";
  g_autoptr(GError) error = NULL;

  g_assert_true (duet_json_stream_feed (stream, json, strlen (json), &error));
  g_assert_true (duet_json_stream_finish (stream, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (collect.parts->len, ==, 2);
  g_assert_cmpstr (collect.parts->pdata[0], ==, "|rooms|{\"join\": {}}");
  g_assert_cmpstr (collect.parts->pdata[1], ==, "|a|1");
  g_assert_cmpuint (duet_json_stream_get_size (stream), ==, strlen (json));
  g_ptr_array_unref (collect.parts);
}

/* --- Lone surrogates ------------------------------------------------------- */

/* Escapes of lone UTF-16 surrogates, which servers send (RFC 8259 §8.2
 * leaves their meaning to the reader): each becomes \ufffd in its part
 * and in a member name, wherever the chunks end, so that every reader of
 * the part sees U+FFFD.  Pairs, "\\ud800" (an escaped backslash) and
 * other escapes stay as sent. */
static const char surrogate_doc[] =
  "{\"next_batch\": \"s\\udc00\",\n"
  " \"rooms\": {\"join\": {\"!a\\ud800:x\": {\"timeline\": {\"events\": [{\"content\": {\"body\":\n"
  "   \"\\ud800 \\uDBFF\\u0041 \\ud83d\\ude00 \\\\ud800 \\ud800\\ud800\\udc00 \\udfff\"}}]}},\n"
  "   \"!b:x\": {\"u\": \"\\u00e9\\\\\"}, \"!c:x\": {\"n\": [\"\\ud800\"]}}},\n"
  " \"last\": \"\\udbff\"}";

static const char * const surrogate_parts[] = {
  "|next_batch|\"s\\ufffd\"",
  "join|!a\xef\xbf\xbd:x|{\"timeline\": {\"events\": [{\"content\": {\"body\":\n"
  "   \"\\ufffd \\ufffd\\u0041 \\ud83d\\ude00 \\\\ud800 \\ufffd\\ud800\\udc00 \\ufffd\"}}]}}",
  "join|!b:x|{\"u\": \"\\u00e9\\\\\"}",
  "join|!c:x|{\"n\": [\"\\ufffd\"]}",
  "|last|\"\\ufffd\"",
};

static void
assert_surrogate_parts (GPtrArray *parts)
{
  g_assert_nonnull (parts);
  g_assert_cmpuint (parts->len, ==, G_N_ELEMENTS (surrogate_parts));
  for (guint i = 0; i < parts->len; i++)
    g_assert_cmpstr (parts->pdata[i], ==, surrogate_parts[i]);
}

static void
test_lone_surrogates (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) whole = split_doc (surrogate_doc, strlen (surrogate_doc), 0, &error);
  g_autoptr(GPtrArray) bytes = NULL;

  g_assert_no_error (error);
  assert_surrogate_parts (whole);
  bytes = split_doc (surrogate_doc, 1, 0, &error);
  g_assert_no_error (error);
  assert_surrogate_parts (bytes);
  for (gsize split = 0; split <= strlen (surrogate_doc); split++)
    {
      g_autoptr(GPtrArray) parts = split_doc (surrogate_doc, 0, split, &error);

      g_assert_no_error (error);
      assert_surrogate_parts (parts);
    }
}

/* The part handed on reads as U+FFFD in json-glib's tree too. */
static gboolean
body_cb (const DuetJsonPart  *part,
         gpointer             user_data,
         GError             **error)
{
  char **body = user_data;
  g_autoptr(JsonNode) node = NULL;

  if (part->section == NULL)
    return TRUE;
  node = duet_json_part_parse (part, error);
  if (node == NULL)
    return FALSE;
  g_free (*body);
  *body = g_strdup (json_object_get_string_member (json_node_get_object (node), "body"));
  return TRUE;
}

static void
test_lone_surrogate_text (void)
{
  const char *json = "{\"rooms\": {\"join\": {\"!a:x\": {\"body\": \"a\\ud800b\\udc00\"}}}}";
  g_autofree char *body = NULL;
  g_autoptr(DuetJsonStream) stream = duet_json_stream_new ("rooms", 1 << 20, 1 << 16, body_cb, &body);
  g_autoptr(GError) error = NULL;

  g_assert_true (duet_json_stream_feed (stream, json, strlen (json), &error));
  g_assert_true (duet_json_stream_finish (stream, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (body, ==, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
}

/* --- Invalid UTF-8 --------------------------------------------------------- */

#define R "\xef\xbf\xbd"   /* U+FFFD */

/* Bytes that are not UTF-8 in strings, which servers send: each maximal
 * subpart becomes U+FFFD in its part (which then grows), in a member
 * name, a section name and a room id, wherever the chunks end, with lone
 * surrogates in the same part rewritten too.  Valid text stays as sent. */
static const char utf8_doc[] =
  "{\"next_batch\": \"s\xff\",\n"
  " \"k\xc0\xaf\": 1,\n"
  " \"rooms\": {\"join\": {\"!a:x\": {\"timeline\": {\"events\": [{\"content\": {\"body\":\n"
  "   \"bad \xff\xfe \xc0\xaf bytes \xe2\x82\", \"k\xed\xa0\x80\": \"\\ud800 \xf4\x90\x80\x80 \xf0\x9f\x98\x80\"}}]}},\n"
  "   \"!b\xff:x\": {\"u\": \"caf\xc3\xa9\"}, \"!c:x\": [\"\xf0\x9f\x98\"], \"!e\\u0041\xff:x\": {}},\n"
  "  \"le\xff" "ave\": {\"!d:x\": {}}},\n"
  " \"last\": \"\xe2\x82\"}";

static const char * const utf8_parts[] = {
  "|next_batch|\"s" R "\"",
  "|k" R R "|1",
  "join|!a:x|{\"timeline\": {\"events\": [{\"content\": {\"body\":\n"
  "   \"bad " R R " " R R " bytes " R "\", \"k" R R R "\": \"\\ufffd " R R R R " \xf0\x9f\x98\x80\"}}]}}",
  "join|!b" R ":x|{\"u\": \"caf\xc3\xa9\"}",
  "join|!c:x|[\"" R "\"]",
  "join|!eA" R ":x|{}",
  "le" R "ave|!d:x|{}",
  "|last|\"" R "\"",
};

static void
assert_utf8_parts (GPtrArray *parts)
{
  g_assert_nonnull (parts);
  g_assert_cmpuint (parts->len, ==, G_N_ELEMENTS (utf8_parts));
  for (guint i = 0; i < parts->len; i++)
    g_assert_cmpstr (parts->pdata[i], ==, utf8_parts[i]);
}

static void
test_utf8_repair (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) whole = split_doc (utf8_doc, strlen (utf8_doc), 0, &error);
  g_autoptr(GPtrArray) bytes = NULL;

  g_assert_no_error (error);
  assert_utf8_parts (whole);
  bytes = split_doc (utf8_doc, 1, 0, &error);
  g_assert_no_error (error);
  assert_utf8_parts (bytes);
  for (gsize split = 0; split <= strlen (utf8_doc); split++)
    {
      g_autoptr(GPtrArray) parts = split_doc (utf8_doc, 0, split, &error);

      g_assert_no_error (error);
      assert_utf8_parts (parts);
    }
}

/* The part handed on reads as U+FFFD in json-glib's tree too, and the
 * parts after it are handed on as sent. */
static void
test_utf8_repair_text (void)
{
  const char *json = "{\"rooms\": {\"join\": {\"!a:x\": {\"body\": \"bad \xff\xfe \xc0\xaf bytes\"},"
                     " \"!b:x\": {\"body\": \"fine \xc3\xa9\"}}}}";
  g_autofree char *body = NULL;
  g_autoptr(DuetJsonStream) stream = duet_json_stream_new ("rooms", 1 << 20, 1 << 16, body_cb, &body);
  g_autoptr(GError) error = NULL;

  /* In two chunks, cut inside the first part. */
  g_assert_true (duet_json_stream_feed (stream, json, 40, &error));
  g_assert_true (duet_json_stream_feed (stream, json + 40, strlen (json) - 40, &error));
  g_assert_true (duet_json_stream_finish (stream, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (body, ==, "fine \xc3\xa9");

  g_clear_pointer (&body, g_free);
  g_clear_pointer (&stream, duet_json_stream_free);
  json = "{\"rooms\": {\"join\": {\"!a:x\": {\"body\": \"bad \xff\xfe \xc0\xaf bytes\"}}}}";
  stream = duet_json_stream_new ("rooms", 1 << 20, 1 << 16, body_cb, &body);
  g_assert_true (duet_json_stream_feed (stream, json, strlen (json), &error));
  g_assert_true (duet_json_stream_finish (stream, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (body, ==, "bad " R R " " R R " bytes");
}

/* --- Hostile bodies ------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *json;     /* NULL: built by the test */
  gint        code;
} Hostile;

static void
assert_refused (const char *json,
                gsize       length,
                gint        code,
                const char *fragment)
{
  Collect collect = { g_ptr_array_new_with_free_func (g_free), G_MAXUINT };
  g_autoptr(DuetJsonStream) stream = duet_json_stream_new ("rooms", 1 << 20, 1 << 16, collect_cb, &collect);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again = NULL;
  gboolean ok;

  /* In chunks of 7 bytes: boundaries fall everywhere. */
  ok = TRUE;
  for (gsize i = 0; i < length && ok; i += 7)
    ok = duet_json_stream_feed (stream, json + i, MIN (7, length - i), &error);
  if (ok)
    ok = duet_json_stream_finish (stream, &error);

  g_assert_false (ok);
  g_assert_error (error, DUET_JSON_ERROR, code);
  if (fragment != NULL)
    g_assert_nonnull (strstr (error->message, fragment));

  /* Refused for good: a later call fails the same way. */
  g_assert_false (duet_json_stream_feed (stream, "{}", 2, &again));
  g_assert_error (again, DUET_JSON_ERROR, code);
  g_ptr_array_unref (collect.parts);
}

/* A raw NUL byte inside a part's string reads as U+FFFD, beside bad bytes
 * too, wherever the chunks end: one such event no longer refuses the
 * reply (and so every later one).  Outside strings it is refused. */
static void
test_nul_in_string (void)
{
  static const char json[] = "{\"rooms\": {\"join\": {\"!a:x\": {\"body\": \"a\0b\xff\0\"}}}}";
  gsize length = sizeof json - 1;

  for (gsize split = 0; split <= length; split++)
    {
      g_autofree char *body = NULL;
      g_autoptr(DuetJsonStream) stream = duet_json_stream_new ("rooms", 1 << 20, 1 << 16, body_cb, &body);
      g_autoptr(GError) error = NULL;

      g_assert_true (duet_json_stream_feed (stream, json, split, &error));
      g_assert_true (duet_json_stream_feed (stream, json + split, length - split, &error));
      g_assert_true (duet_json_stream_finish (stream, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (body, ==, "a" R "b" R R);
    }
}

static void
test_wrong_types (void)
{
  static const Hostile cases[] = {
    { "array root", "[{\"next_batch\": \"s\"}]", DUET_JSON_ERROR_INVALID },
    { "string root", "\"s\"", DUET_JSON_ERROR_INVALID },
    { "rooms array", "{\"rooms\": [1]}", DUET_JSON_ERROR_INVALID },
    { "rooms string", "{\"rooms\": \"x\"}", DUET_JSON_ERROR_INVALID },
    { "section array", "{\"rooms\": {\"join\": []}}", DUET_JSON_ERROR_INVALID },
    { "section number", "{\"rooms\": {\"join\": 5}}", DUET_JSON_ERROR_INVALID },
    { "no value", "{\"a\": }", DUET_JSON_ERROR_INVALID },
    { "no colon", "{\"a\" 1}", DUET_JSON_ERROR_INVALID },
    { "name not a string", "{a: 1}", DUET_JSON_ERROR_INVALID },
    { "trailing comma", "{\"a\": 1,}", DUET_JSON_ERROR_INVALID },
    { "garbage after", "{\"a\": 1} x", DUET_JSON_ERROR_INVALID },
    { "two roots", "{}{}", DUET_JSON_ERROR_INVALID },
    { "comment", "{\"a\": {/* x */}}", DUET_JSON_ERROR_INVALID },
    { "single quotes", "{\"rooms\": {\"join\": {\"!a:x\": {'k': 1}}}}", DUET_JSON_ERROR_INVALID },
    { "unmatched close", "{\"a\": [1]]}", DUET_JSON_ERROR_INVALID },
    { "bad literal", "{\"a\": tru$}", DUET_JSON_ERROR_INVALID },
    { "bad name escape", "{\"\\x\": 1}", DUET_JSON_ERROR_INVALID },
    { "NUL name escape", "{\"a\\u0000b\": 1}", DUET_JSON_ERROR_INVALID },
    { "empty", "", DUET_JSON_ERROR_INVALID },
    { "only spaces", "  \n ", DUET_JSON_ERROR_INVALID },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s", cases[i].name);
      assert_refused (cases[i].json, strlen (cases[i].json), cases[i].code, NULL);
    }
}

/* A part json-glib refuses (here: a missing value inside a room) fails in
 * the consumer's parse, not silently. */
static void
test_part_invalid_json (void)
{
  DuetJsonPart part = { "join", "!a:x", "{\"a\": }", 7, 4 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = duet_json_part_parse (&part, &error);

  g_assert_null (node);
  g_assert_error (error, DUET_JSON_ERROR, DUET_JSON_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "!a:x"));
}

static void
test_depth_bomb (void)
{
  g_autoptr(GString) json = g_string_new ("{\"rooms\": {\"join\": {\"!a:x\": ");

  /* 100,000 levels: json-glib alone would overflow the stack. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (json, '[');
  assert_refused (json->str, json->len, DUET_JSON_ERROR_TOO_DEEP, "deeper than 64");

  /* The limit counts from the document's root: 64 in all passes, 65 not. */
  {
    Collect collect = { g_ptr_array_new_with_free_func (g_free), G_MAXUINT };
    g_autoptr(DuetJsonStream) stream = duet_json_stream_new ("rooms", 1 << 20, 1 << 16, collect_cb, &collect);
    g_autoptr(GString) ok = g_string_new ("{\"rooms\": {\"join\": {\"!a:x\": ");
    g_autoptr(GError) error = NULL;

    for (guint i = 0; i < 61; i++)
      g_string_append_c (ok, '[');
    for (guint i = 0; i < 61; i++)
      g_string_append_c (ok, ']');
    g_string_append (ok, "}}}");
    g_assert_true (duet_json_stream_feed (stream, ok->str, ok->len, &error));
    g_assert_true (duet_json_stream_finish (stream, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (collect.parts->len, ==, 1);
    g_ptr_array_unref (collect.parts);
  }
  g_string_assign (json, "{\"rooms\": {\"join\": {\"!a:x\": ");
  for (guint i = 0; i < 62; i++)
    g_string_append_c (json, '[');
  assert_refused (json->str, json->len, DUET_JSON_ERROR_TOO_DEEP, NULL);

  /* In a top-level member too. */
  g_string_assign (json, "{\"account_data\": ");
  for (guint i = 0; i < 64; i++)
    g_string_append_c (json, '{');
  assert_refused (json->str, json->len, DUET_JSON_ERROR_TOO_DEEP, NULL);
}

/* Every proper prefix of a valid body is refused, none crashes. */
static void
test_truncated (void)
{
  for (gsize cut = 0; cut < strlen (valid_doc) - 2; cut++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *prefix = g_strndup (valid_doc, cut);
      g_autoptr(GPtrArray) parts = split_doc (prefix, 3, 0, &error);

      g_assert_null (parts);
      g_assert_error (error, DUET_JSON_ERROR, DUET_JSON_ERROR_INVALID);
    }
}

/* Bytes that are not UTF-8 outside strings are no JSON: refused, in a
 * part, in a scalar, and around the parts; so is a NUL byte outside a
 * string, and any raw control byte in a member name around the parts. */
static void
test_invalid_utf8 (void)
{
  static const struct {
    const char *json;
    gsize       length;   /* 0: strlen */
    const char *fragment;
  } cases[] = {
    { "{\"rooms\": {\"join\": {\"!a:x\": {\"a\": 1, \xff \"b\": \"\xff\"}}}}", 0, "UTF-8" },
    { "{\"a\": [\"\xc3\", \xc0\xaf]}", 0, "UTF-8" },
    { "{\"a\": {\"b\": \"x\"\xe2\x82}}", 0, "UTF-8" },
    { "{\"a\": 1\xff}", 0, NULL },
    { "{\"a\": 1, \xff\"b\": 2}", 0, NULL },
    { "{\"a\": \xff}", 0, NULL },
    { "{\"rooms\": {\xc0\"join\": {}}}", 0, NULL },
    { "{\"rooms\": {\"join\": {\"!a:x\": {\"a\": 1\0}}}}", 40, "UTF-8" },
    { "{\"rooms\": {\"join\": {\"!a\0:x\": {}}}}", 34, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u", i);
      assert_refused (cases[i].json, cases[i].length > 0 ? cases[i].length : strlen (cases[i].json),
                      DUET_JSON_ERROR_INVALID, cases[i].fragment);
    }
}

static void
test_huge (void)
{
  g_autoptr(GString) json = g_string_new ("{\"rooms\": {\"join\": {\"!a:x\": {\"body\": \"");
  g_autoptr(GString) name = g_string_new ("{\"");
  Collect collect = { g_ptr_array_new_with_free_func (g_free), G_MAXUINT };
  g_autoptr(DuetJsonStream) stream = duet_json_stream_new ("rooms", 1000, 1 << 16, collect_cb, &collect);
  g_autoptr(GError) error = NULL;

  /* A string over the part limit (64 KiB here), never closed. */
  for (guint i = 0; i < 70000; i++)
    g_string_append_c (json, 'x');
  assert_refused (json->str, json->len, DUET_JSON_ERROR_TOO_LARGE, "!a:x");

  /* A member name over the limit. */
  for (guint i = 0; i < DUET_JSON_STREAM_MAX_KEY + 1; i++)
    g_string_append_c (name, 'k');
  assert_refused (name->str, name->len, DUET_JSON_ERROR_TOO_LARGE, NULL);

  /* The body over its own limit, however it is cut. */
  g_string_assign (json, "{\"a\": \"");
  for (guint i = 0; i < 990; i++)
    g_string_append_c (json, 'x');
  g_assert_true (duet_json_stream_feed (stream, json->str, json->len, &error));
  g_assert_false (duet_json_stream_feed (stream, json->str, json->len, &error));
  g_assert_error (error, DUET_JSON_ERROR, DUET_JSON_ERROR_TOO_LARGE);
  g_ptr_array_unref (collect.parts);
}

static void
test_consumer_stops (void)
{
  Collect collect = { g_ptr_array_new_with_free_func (g_free), 1 };
  g_autoptr(DuetJsonStream) stream = duet_json_stream_new ("rooms", 1 << 20, 1 << 16, collect_cb, &collect);
  g_autoptr(GError) error = NULL;

  g_assert_false (duet_json_stream_feed (stream, valid_doc, strlen (valid_doc), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (collect.parts->len, ==, 1);
  g_clear_error (&error);
  g_assert_false (duet_json_stream_finish (stream, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_ptr_array_unref (collect.parts);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/duet/json-stream/split/whole", test_split_whole);
  g_test_add_func ("/duet/json-stream/split/every-byte", test_split_every_byte);
  g_test_add_func ("/duet/json-stream/split/every-point", test_split_every_point);
  g_test_add_func ("/duet/json-stream/split/no-split-member", test_no_split_member);
  g_test_add_func ("/duet/json-stream/lone-surrogates/parts", test_lone_surrogates);
  g_test_add_func ("/duet/json-stream/lone-surrogates/text", test_lone_surrogate_text);
  g_test_add_func ("/duet/json-stream/utf8-repair/parts", test_utf8_repair);
  g_test_add_func ("/duet/json-stream/utf8-repair/text", test_utf8_repair_text);
  g_test_add_func ("/duet/json-stream/utf8-repair/nul-in-string", test_nul_in_string);
  g_test_add_func ("/duet/json-stream/hostile/wrong-types", test_wrong_types);
  g_test_add_func ("/duet/json-stream/hostile/part-invalid-json", test_part_invalid_json);
  g_test_add_func ("/duet/json-stream/hostile/depth-bomb", test_depth_bomb);
  g_test_add_func ("/duet/json-stream/hostile/truncated", test_truncated);
  g_test_add_func ("/duet/json-stream/hostile/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/duet/json-stream/hostile/huge", test_huge);
  g_test_add_func ("/duet/json-stream/consumer-stops", test_consumer_stops);

  return g_test_run ();
}
