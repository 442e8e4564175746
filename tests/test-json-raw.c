/* test-json-raw.c: libduet-json's in-place reader
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "duet-json-raw.h"

static gboolean
validate (const char *text,
          gboolean   *controls)
{
  return duet_json_raw_validate (text, strlen (text), 0, controls);
}

static void
test_validate (void)
{
  const char *valid[] = {
    "{}", "[]", " {\"a\" : [1, -0.5e+3, 1E400, 99999999999999999999, true, false, null, \"x\"]} ",
    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"", "0", "-0", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
    "{\"a\": {\"b\": {\"c\": []}}}", "\"\\u0000\"",
  };
  const char *invalid[] = {
    "", "{", "}", "[1,]", "{\"a\":}", "{\"a\" 1}", "{a: 1}", "{'a': 1}", "01", "1.", ".5", "1e", "+1",
    "tru", "nul", "\"\\x\"", "\"\\333\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\xc0\xaf\"",
    "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x82\"", "[1] [2]", "{\"a\": 1} x", "/* c */ {}",
    "\"open", "[\"a\" \"b\"]",
  };
  gboolean controls = TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autofree char *shown = g_strescape (valid[i], NULL);

      g_test_message ("valid: %s", shown);
      g_assert_true (validate (valid[i], &controls));
      g_assert_false (controls);
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autofree char *shown = g_strescape (invalid[i], NULL);

      g_test_message ("invalid: %s", shown);
      g_assert_false (validate (invalid[i], NULL));
    }

  /* Raw control characters: flagged, and written as escapes on request. */
  {
    const char *text = "{\"a\tb\": \"c\nd\x01\", \"e\": 1}";
    DuetJsonRaw raw = { text, strlen (text), TRUE };
    g_autofree char *escaped = NULL;

    g_assert_true (validate (text, &controls));
    g_assert_true (controls);
    escaped = duet_json_raw_escape_controls (&raw);
    g_assert_cmpstr (escaped, ==, "{\"a\\u0009b\": \"c\\u000ad\\u0001\", \"e\": 1}");
    g_assert_true (validate (escaped, &controls));
    g_assert_false (controls);
  }
}

static void
test_depth (void)
{
  g_autoptr(GString) deep = g_string_new (NULL);

  for (guint i = 0; i < DUET_JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < DUET_JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, ']');
  /* As deep as allowed from the root, and one level too deep. */
  g_assert_true (duet_json_raw_validate (deep->str, deep->len, 0, NULL));
  g_assert_false (duet_json_raw_validate (deep->str, deep->len, 1, NULL));

  for (guint strict = 0; strict < 2; strict++)
    {
      DuetJsonRawIter iter;
      DuetJsonRaw value;

      g_assert_true (duet_json_raw_iter_init (&iter, deep->str, deep->len, 0, strict));
      g_assert_true (duet_json_raw_iter_next (&iter, NULL, &value));
      g_assert_cmpuint (value.length, ==, deep->len - 2);
      g_assert_true (duet_json_raw_iter_init (&iter, deep->str, deep->len, 1, strict));
      g_assert_false (duet_json_raw_iter_next (&iter, NULL, &value));
      g_assert_true (duet_json_raw_iter_failed (&iter));
    }
}

static void
test_iterate (void)
{
  const char *text = " {\"type\": \"m.room.message\", \"t\\u0079pe\": \"last\", \"content\": {\"body\": \"}\\\"]\"},"
                     " \"n\": -1.5e3, \"list\": [1, \"two\", {\"3\": [3]}], \"empty\": {}} ";

  for (guint strict = 0; strict < 2; strict++)
    {
      DuetJsonRawIter iter;
      DuetJsonRaw name, value;
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *type = NULL;

      g_assert_true (duet_json_raw_iter_init (&iter, text, strlen (text), 0, strict));
      while (duet_json_raw_iter_next (&iter, &name, &value))
        {
          g_ptr_array_add (names, duet_json_raw_dup_string (&name));
          g_ptr_array_add (values, g_strndup (value.data, value.length));
          if (duet_json_raw_name_is (&name, "type"))
            {
              g_free (type);
              type = duet_json_raw_dup_string (&value);
            }
        }
      g_assert_false (duet_json_raw_iter_failed (&iter));
      g_assert_cmpuint (names->len, ==, 6);
      g_assert_cmpstr (names->pdata[1], ==, "type");
      g_assert_cmpstr (type, ==, "last");
      g_assert_cmpstr (values->pdata[2], ==, "{\"body\": \"}\\\"]\"}");
      g_assert_cmpstr (values->pdata[3], ==, "-1.5e3");
      g_assert_cmpstr (values->pdata[4], ==, "[1, \"two\", {\"3\": [3]}]");
      g_assert_cmpstr (values->pdata[5], ==, "{}");
    }

  /* The strict iterator stops at what is not JSON; the fast one only
   * where the outline breaks. */
  {
    const char *bad = "[{\"a\": 01}, 2]";
    DuetJsonRawIter iter;
    DuetJsonRaw value;
    guint count = 0;

    g_assert_true (duet_json_raw_iter_init (&iter, bad, strlen (bad), 0, TRUE));
    g_assert_false (duet_json_raw_iter_next (&iter, NULL, &value));
    g_assert_true (duet_json_raw_iter_failed (&iter));

    g_assert_true (duet_json_raw_iter_init (&iter, bad, strlen (bad), 0, FALSE));
    while (duet_json_raw_iter_next (&iter, NULL, &value))
      count++;
    g_assert_false (duet_json_raw_iter_failed (&iter));
    g_assert_cmpuint (count, ==, 2);
  }

  /* Not a container, or garbage after it. */
  {
    DuetJsonRawIter iter;
    DuetJsonRaw value;

    g_assert_false (duet_json_raw_iter_init (&iter, "\"s\"", 3, 0, FALSE));
    g_assert_true (duet_json_raw_iter_init (&iter, "[1] x", 5, 0, FALSE));
    g_assert_true (duet_json_raw_iter_next (&iter, NULL, &value));
    g_assert_false (duet_json_raw_iter_next (&iter, NULL, &value));
    g_assert_true (duet_json_raw_iter_failed (&iter));
  }
}

/* enter/leave: each element read in place, the bad ones skipped whole. */
static void
test_enter (void)
{
  const char *text = "[{\"a\": 1, \"b\": [2]}, {\"a\": 01}, 5, {\"a\": \"\\ud800\"}, [], {\"z\": {}} ]";
  const char *expected[] = { "{\"a\": 1, \"b\": [2]}", "{\"a\": 01}", "5", "{\"a\": \"\\ud800\"}", "[]",
                             "{\"z\": {}}" };
  const gboolean whole[] = { TRUE, FALSE, FALSE, FALSE, TRUE, TRUE };
  DuetJsonRawIter iter, child;
  guint count = 0;

  g_assert_true (duet_json_raw_iter_init (&iter, text, strlen (text), 0, FALSE));
  while (duet_json_raw_iter_enter (&iter, NULL, &child, TRUE))
    {
      DuetJsonRaw name, value;

      g_assert_cmpuint (count, <, G_N_ELEMENTS (expected));
      while (duet_json_raw_iter_next (&child, &name, &value))
        ;
      g_assert_cmpint (duet_json_raw_iter_leave (&iter, &child, &value), ==, whole[count]);
      g_assert_cmpuint (value.length, ==, strlen (expected[count]));
      g_assert_true (memcmp (value.data, expected[count], value.length) == 0);
      count++;
    }
  g_assert_false (duet_json_raw_iter_failed (&iter));
  g_assert_cmpuint (count, ==, G_N_ELEMENTS (expected));

  /* A child left before its end: the parent still moves past it. */
  {
    const char *two = "{\"x\": {\"a\": 1, \"b\": 2}, \"y\": 3}";
    DuetJsonRaw name, value;

    g_assert_true (duet_json_raw_iter_init (&iter, two, strlen (two), 0, TRUE));
    g_assert_true (duet_json_raw_iter_enter (&iter, &name, &child, TRUE));
    g_assert_true (duet_json_raw_name_is (&name, "x"));
    g_assert_true (duet_json_raw_iter_next (&child, &name, &value));
    g_assert_false (duet_json_raw_iter_leave (&iter, &child, &value));
    g_assert_cmpuint (value.length, ==, strlen ("{\"a\": 1, \"b\": 2}"));
    g_assert_true (duet_json_raw_iter_next (&iter, &name, &value));
    g_assert_true (duet_json_raw_name_is (&name, "y"));
    g_assert_false (duet_json_raw_iter_next (&iter, &name, &value));
    g_assert_false (duet_json_raw_iter_failed (&iter));
  }

  /* An element whose end cannot be found stops the parent. */
  {
    const char *cut = "[{\"a\": [1, 2}";
    DuetJsonRaw value;

    g_assert_true (duet_json_raw_iter_init (&iter, cut, strlen (cut), 0, FALSE));
    g_assert_true (duet_json_raw_iter_enter (&iter, NULL, &child, TRUE));
    while (duet_json_raw_iter_next (&child, NULL, &value))
      ;
    g_assert_false (duet_json_raw_iter_leave (&iter, &child, &value));
    g_assert_true (duet_json_raw_iter_failed (&iter));
  }
}

static void
test_strings (void)
{
  DuetJsonRaw nul = { "\"a\\u0000b\"", 10, FALSE };
  DuetJsonRaw lone = { "\"\\ud800\"", 8, FALSE };
  DuetJsonRaw number = { "12", 2, FALSE };
  DuetJsonRaw pair = { "\"\\ud83d\\ude00\\u00e9\\n\"", 22, FALSE };
  g_autofree char *text = duet_json_raw_dup_string (&pair);

  g_assert_null (duet_json_raw_dup_string (&nul));
  g_assert_null (duet_json_raw_dup_string (&lone));
  g_assert_null (duet_json_raw_dup_string (&number));
  g_assert_cmpstr (text, ==, "\xf0\x9f\x98\x80\xc3\xa9\n");
  g_assert_false (duet_json_raw_name_is (&nul, "a"));
}

/* The fast UTF-8 check agrees with GLib's on random and edge bytes. */
static void
test_utf8 (void)
{
  GRand *rand = g_rand_new_with_seed (8);
  const char *cases[] = { "", "abc", "\xc3\xa9", "\xc3", "\xe2\x82\xac", "\xed\xa0\x80", "\xf4\x8f\xbf\xbf",
                          "\xf4\x90\x80\x80", "\xc0\x80", "\xff", "abcdefgh\xc3\xa9" "abcdefgh" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (duet_json_utf8_validate (cases[i], strlen (cases[i])), ==,
                     g_utf8_validate_len (cases[i], strlen (cases[i]), NULL));
  g_assert_false (duet_json_utf8_validate ("ab\0cdefghijk", 12));

  for (guint i = 0; i < 20000; i++)
    {
      guchar buffer[24];
      gsize length = g_rand_int_range (rand, 0, sizeof buffer);

      for (gsize j = 0; j < length; j++)
        {
          /* Mostly ASCII, some lead and continuation bytes. */
          guint32 r = g_rand_int (rand);

          buffer[j] = (r & 3) ? 0x20 + (r >> 8) % 0x5f : 0x80 + (r >> 8) % 0x80;
        }
      g_assert_cmpint (duet_json_utf8_validate ((const char *) buffer, length), ==,
                       g_utf8_validate_len ((const char *) buffer, length, NULL));
    }
  g_rand_free (rand);
}

/* duet_json_raw_parse() reads what json-glib reads, with json-glib's
 * semantics for repeated names. */
static void
test_parse (void)
{
  const char *text = "{\"a\": 1, \"a\": [true, null, 2.5, \"\\u00e9\"], \"b\": {\"c\": 9223372036854775807}}";
  g_autoptr(JsonNode) ours = duet_json_raw_parse (text, strlen (text), 0, NULL);
  g_autoptr(JsonNode) theirs = json_from_string (text, NULL);
  gsize offset = 0;
  g_autoptr(JsonNode) broken = duet_json_raw_parse ("{\"a\": 1,}", 9, 0, &offset);

  g_assert_nonnull (ours);
  g_assert_true (json_node_equal (ours, theirs));
  g_assert_null (broken);
  g_assert_cmpuint (offset, ==, 8);
}

/* Escapes of lone UTF-16 surrogates, found and rewritten as \ufffd in
 * place; everything else stays byte for byte. */
static void
test_lone_surrogates (void)
{
  static const struct {
    const char *text;
    const char *rewritten;   /* NULL: none found */
    gsize       count;
  } cases[] = {
    { "\"\\ud800\"", "\"\\ufffd\"", 1 },
    { "\"x\\udc00y\"", "\"x\\ufffdy\"", 1 },
    { "\"\\uD800\\u0041\"", "\"\\ufffd\\u0041\"", 1 },
    { "\"\\uDBFF\\uDBFF\\uDFFF\"", "\"\\ufffd\\uDBFF\\uDFFF\"", 1 },
    { "\"\\ud83d\\ude00\\ude00\"", "\"\\ud83d\\ude00\\ufffd\"", 1 },
    { "[\"\\udfff\", {\"\\ud800\": \"\\ud800\\\\\"}]", "[\"\\ufffd\", {\"\\ufffd\": \"\\ufffd\\\\\"}]", 3 },
    /* At the very end, with no room for a pair. */
    { "\\ud800", "\\ufffd", 1 },
    { "\\ud800\\", "\\ufffd\\", 1 },
    { "\\ud800\\udc0", "\\ufffd\\udc0", 1 },
    /* None: pairs, an escaped backslash, other and broken escapes. */
    { "\"\\ud83d\\ude00 \\udbff\\udfff \\uD800\\uDC00\"", NULL, 0 },
    { "\"\\\\ud800 \\\\udc00\"", NULL, 0 },
    { "\"\\u00e9\\n\\\"\\ufffd\\ue000\\ud7ff\"", NULL, 0 },
    { "\\ud80", NULL, 0 },
    { "\\ud80g", NULL, 0 },
    { "\\u", NULL, 0 },
    { "\\", NULL, 0 },
    { "", NULL, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gsize length = strlen (cases[i].text);
      g_autofree char *copy = g_strdup (cases[i].text);
      const char *found = duet_json_find_lone_surrogate (cases[i].text, length);

      g_test_message ("%s", cases[i].text);
      g_assert_cmpint (found != NULL, ==, cases[i].rewritten != NULL);
      g_assert_cmpuint (duet_json_replace_lone_surrogates (copy, length), ==, cases[i].count);
      g_assert_cmpstr (copy, ==, cases[i].rewritten != NULL ? cases[i].rewritten : cases[i].text);
      if (found != NULL)
        g_assert_cmpint (memcmp (copy + (found - cases[i].text), "\\ufffd", 6), ==, 0);
    }

  /* What the strict reader refused, rewritten, is JSON that reads as
   * U+FFFD, in the tree and in place alike. */
  {
    char text[] = "{\"k\\udc00\": \"a\\ud800b\"}";
    DuetJsonRawIter iter;
    DuetJsonRaw name, value;
    g_autofree char *string = NULL;
    g_autofree char *key = NULL;
    g_autoptr(JsonNode) tree = NULL;

    g_assert_false (duet_json_raw_validate (text, strlen (text), 0, NULL));
    g_assert_null (duet_json_raw_parse (text, strlen (text), 0, NULL));
    g_assert_cmpuint (duet_json_replace_lone_surrogates (text, strlen (text)), ==, 2);
    g_assert_true (duet_json_raw_validate (text, strlen (text), 0, NULL));
    g_assert_true (duet_json_raw_iter_init (&iter, text, strlen (text), 0, TRUE));
    g_assert_true (duet_json_raw_iter_next (&iter, &name, &value));
    key = duet_json_raw_dup_string (&name);
    string = duet_json_raw_dup_string (&value);
    g_assert_cmpstr (key, ==, "k\xef\xbf\xbd");
    g_assert_cmpstr (string, ==, "a\xef\xbf\xbd" "b");
    tree = duet_json_raw_parse (text, strlen (text), 0, NULL);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (tree), "k\xef\xbf\xbd"), ==,
                     "a\xef\xbf\xbd" "b");
  }
}

/* --- Invalid UTF-8 --------------------------------------------------------- */

#define R "\xef\xbf\xbd"   /* U+FFFD */

/* Bytes that are not UTF-8 inside strings (member names too) become one
 * U+FFFD per maximal subpart, a raw NUL byte one too; outside strings
 * both are refused. */
static void
test_utf8_repair (void)
{
  static const struct {
    const char *text;
    gsize       length;     /* 0: strlen */
    const char *repaired;   /* NULL: refused */
    gsize       count;
  } cases[] = {
    { "\"bad \xff\xfe \xc0\xaf bytes\"", 0, "\"bad " R R " " R R " bytes\"", 4 },
    /* Cut sequences: one each, at the end of a string too. */
    { "\"\xe2\x82\"", 0, "\"" R "\"", 1 },
    { "\"\xf0\x9f\x98\"", 0, "\"" R "\"", 1 },
    { "\"a\xc3\"", 0, "\"a" R "\"", 1 },
    { "\"\xf0\x9f\x98" "A\"", 0, "\"" R "A\"", 1 },
    /* Surrogates, overlong forms, beyond U+10FFFF, no lead: per byte. */
    { "\"\xed\xa0\x80\"", 0, "\"" R R R "\"", 3 },
    { "\"\xed\xbf\xbf\xed\x9f\xbf\"", 0, "\"" R R R "\xed\x9f\xbf\"", 3 },
    { "\"\xf4\x90\x80\x80\"", 0, "\"" R R R R "\"", 4 },
    { "\"\xe0\x80\xaf\"", 0, "\"" R R R "\"", 3 },
    { "\"\xf0\x80\x80\xaf\"", 0, "\"" R R R R "\"", 4 },
    { "\"\xc1\xbf\"", 0, "\"" R R "\"", 2 },
    { "\"\xf5\x80\"", 0, "\"" R R "\"", 2 },
    { "\"\xf8\x88\x80\x80\x80\"", 0, "\"" R R R R R "\"", 5 },
    { "\"\x80\xbf\"", 0, "\"" R R "\"", 2 },
    /* Unicode's own example (Table 3-8). */
    { "\"a\xf1\x80\x80\xe1\x80\xc2" "b\x80" "c\x80\xbf" "d\"", 0, "\"a" R R R "b" R "c" R R "d\"", 6 },
    /* Valid sequences around are kept. */
    { "\"\xc3\xa9\xff\xe2\x82\xac\xf4\x8f\xbf\xbf\xf4\x8f\xbf\"", 0,
      "\"\xc3\xa9" R "\xe2\x82\xac\xf4\x8f\xbf\xbf" R "\"", 2 },
    /* In member names, in nested values, after escapes. */
    { "{\"k\xff\": [\"v\xfe\", {\"\xc0\": \"\\\"\xff\\\\\"}]}", 0,
      "{\"k" R "\": [\"v" R "\", {\"" R "\": \"\\\"" R "\\\\\"}]}", 4 },
    /* A byte after a backslash is no escape JSON has; still repaired. */
    { "\"\\\xff\"", 0, "\"\\" R "\"", 1 },
    /* An unclosed string to the end. */
    { "\"\xe2\x82", 0, "\"" R, 1 },
    /* Valid text is copied as it is. */
    { "{\"\xc3\xa9\": \"\xf0\x9f\x98\x80\"}", 0, "{\"\xc3\xa9\": \"\xf0\x9f\x98\x80\"}", 0 },
    /* Outside strings: no JSON. */
    { "[\xff]", 0, NULL, 0 },
    { "{\"a\": 1\xff}", 0, NULL, 0 },
    { "\xef\xbb", 0, NULL, 0 },
    { "\"\\\\\"\xff", 0, NULL, 0 },
    { "{\"a\xff\"\xc0: 1}", 0, NULL, 0 },
    /* A raw NUL byte in a string (member names too), alone or beside bad
     * bytes, after a backslash (which then escapes nothing JSON has). */
    { "\"a\0\xff\"", 5, "\"a" R R "\"", 2 },
    { "{\"k\0\": \"\0\0\"}", 12, "{\"k" R "\": \"" R R "\"}", 3 },
    { "\"\\\0\"", 4, "\"\\" R "\"", 1 },
    /* Outside strings: no JSON. */
    { "[1,\0]", 5, NULL, 0 },
    { "\"a\"\0", 4, NULL, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gsize length = cases[i].length > 0 ? cases[i].length : strlen (cases[i].text);
      g_autoptr(GByteArray) out = g_byte_array_new ();
      gsize count = G_MAXSIZE;
      gboolean ok = duet_json_utf8_repair (cases[i].text, length, out, &count);

      g_test_message ("case %u", i);
      g_assert_cmpint (ok, ==, cases[i].repaired != NULL);
      if (!ok)
        continue;
      g_assert_cmpuint (count, ==, cases[i].count);
      g_assert_cmpmem (out->data, out->len, cases[i].repaired, strlen (cases[i].repaired));
      g_assert_true (g_utf8_validate_len ((const char *) out->data, out->len, NULL));
    }

  /* What the strict reader refused, repaired, is JSON that reads as
   * U+FFFD, in place and in the tree alike. */
  {
    const char *text = "{\"k\xff\": \"bad \xff\xfe \xc0\xaf bytes \xe2\x82\"}";
    g_autoptr(GByteArray) out = g_byte_array_new ();
    DuetJsonRawIter iter;
    DuetJsonRaw name, value;
    g_autofree char *key = NULL;
    g_autofree char *string = NULL;
    g_autoptr(JsonNode) tree = NULL;

    g_assert_false (duet_json_raw_validate (text, strlen (text), 0, NULL));
    g_assert_true (duet_json_utf8_repair (text, strlen (text), out, NULL));
    g_assert_true (duet_json_raw_validate ((const char *) out->data, out->len, 0, NULL));
    g_assert_true (duet_json_raw_iter_init (&iter, (const char *) out->data, out->len, 0, TRUE));
    g_assert_true (duet_json_raw_iter_next (&iter, &name, &value));
    key = duet_json_raw_dup_string (&name);
    string = duet_json_raw_dup_string (&value);
    g_assert_cmpstr (key, ==, "k" R);
    g_assert_cmpstr (string, ==, "bad " R R " " R R " bytes " R);
    tree = duet_json_raw_parse ((const char *) out->data, out->len, 0, NULL);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (tree), "k" R), ==, string);
  }

  /* The inside of one string (a member name as sent). */
  {
    const char *inside = "a\xff\\\"\xe2\x82";
    g_autoptr(GByteArray) out = g_byte_array_new ();
    gsize count = 0;

    g_assert_true (duet_json_utf8_repair_string (inside, strlen (inside), out, &count));
    g_assert_cmpuint (count, ==, 2);
    g_assert_cmpmem (out->data, out->len, "a" R "\\\"" R, strlen ("a" R "\\\"" R));
  }
}

/* The maximal subpart at @p as Unicode defines it, by brute force: the
 * longest start of @p that some continuation bytes make well-formed (the
 * third and fourth bytes of a sequence are any of 80..BF, so 0x80 stands
 * for them), with GLib's validator as the judge. */
static gsize
reference_subpart (const guchar *p,
                   const guchar *end)
{
  gsize n = g_utf8_skip[p[0]], best = 1;

  if (p[0] < 0xc2 || p[0] > 0xf4)
    return 1;
  for (gsize k = 2; k < n && p + k <= end; k++)
    {
      guchar buffer[4];

      memcpy (buffer, p, k);
      memset (buffer + k, 0x80, n - k);
      if (!g_utf8_validate_len ((const char *) buffer, n, NULL))
        break;
      best = k;
    }
  return best;
}

/* Random bytes in a string: the repair agrees with that reference. */
static void
test_utf8_repair_random (void)
{
  GRand *rand = g_rand_new_with_seed (11);

  for (guint i = 0; i < 20000; i++)
    {
      guchar buffer[16];
      gsize length = g_rand_int_range (rand, 0, sizeof buffer);
      g_autoptr(GByteArray) out = g_byte_array_new ();
      g_autoptr(GString) expected = g_string_new (NULL);
      gsize count = 0, expected_count = 0;

      for (gsize j = 0; j < length; j++)
        {
          /* Mostly lead and continuation bytes, some ASCII letters. */
          guint32 r = g_rand_int (rand);

          buffer[j] = (r & 3) ? 0x80 + (r >> 8) % 0x80 : 'a' + (r >> 8) % 26;
        }
      for (const guchar *p = buffer, *end = buffer + length; p < end;)
        {
          gunichar ch = g_utf8_get_char_validated ((const char *) p, end - p);

          if (ch < 0x110000)
            {
              g_string_append_len (expected, (const char *) p, g_utf8_skip[*p]);
              p += g_utf8_skip[*p];
              continue;
            }
          g_string_append (expected, R);
          expected_count++;
          p += reference_subpart (p, end);
        }

      g_assert_true (duet_json_utf8_repair_string ((const char *) buffer, length, out, &count));
      g_assert_cmpuint (count, ==, expected_count);
      g_assert_cmpmem (out->data, out->len, expected->str, expected->len);
    }
  g_rand_free (rand);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json-raw/validate", test_validate);
  g_test_add_func ("/json-raw/depth", test_depth);
  g_test_add_func ("/json-raw/iterate", test_iterate);
  g_test_add_func ("/json-raw/enter", test_enter);
  g_test_add_func ("/json-raw/strings", test_strings);
  g_test_add_func ("/json-raw/utf8", test_utf8);
  g_test_add_func ("/json-raw/parse", test_parse);
  g_test_add_func ("/json-raw/lone-surrogates", test_lone_surrogates);
  g_test_add_func ("/json-raw/utf8-repair", test_utf8_repair);
  g_test_add_func ("/json-raw/utf8-repair/random", test_utf8_repair_random);

  return g_test_run ();
}
