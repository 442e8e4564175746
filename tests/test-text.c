/* test-text.c: one plain line out of untrusted text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * duet_text_sanitize_line() copies text that needs no change as it is;
 * everything else takes the general path.  Both must give
 * the same line for any input: edge cases and random byte soup compared.
 */
#include "config.h"

#include <string.h>

#include "duet-text-private.h"

static void
assert_paths_agree (const char *text,
                    guint       max_chars)
{
  g_autofree char *fast = duet_text_sanitize_line (text, max_chars);
  g_autofree char *slow = _duet_text_sanitize_line_slow (text, max_chars);

  if (g_strcmp0 (fast, slow) != 0)
    {
      g_autofree char *escaped = g_strescape (text, NULL);

      g_error ("“%s” (max %u): shortcut “%s”, general path “%s”", escaped, max_chars,
               fast != NULL ? fast : "(null)", slow != NULL ? slow : "(null)");
    }
  if (fast != NULL)
    {
      g_assert_true (g_utf8_validate (fast, -1, NULL));
      g_assert_cmpuint (g_utf8_strlen (fast, -1), <=, (gsize) max_chars + 1);
    }
}

static void
test_expected (void)
{
  static const struct {
    const char *text;
    guint       max_chars;
    const char *expected;
  } cases[] = {
    { "Alice", 256, "Alice" },
    { "Alice Smith", 256, "Alice Smith" },
    { "", 256, NULL },
    { " ", 256, NULL },
    { "  Alice  ", 256, "Alice" },
    { "Alice  Smith", 256, "Alice Smith" },
    { "Alice\nSmith", 256, "Alice Smith" },
    { "Alice\tSmith\r\n", 256, "Alice Smith" },
    { "Al\x01ice\x7f", 256, "Alice" },
    { "abc", 3, "abc" },
    { "abcd", 3, "abc…" },
    { "abc ", 3, "abc…" },
    { "ab c", 3, "ab…" },
    { "caf\xc3\xa9", 4, "café" },
    { "caf\xe9", 256, "caf\xef\xbf\xbd" },
    { "a\xe2\x80\xae" "b", 256, "ab" },
    { "a\xe2\x80\xa8" "b", 256, "a b" },
    { "a\xc2\x85" "b", 256, "a b" },
    { "a\xc2\x9f" "b", 256, "ab" },
    { "x", 0, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *line = duet_text_sanitize_line (cases[i].text, cases[i].max_chars);

      g_assert_cmpstr (line, ==, cases[i].expected);
      assert_paths_agree (cases[i].text, cases[i].max_chars);
    }
  g_assert_null (duet_text_sanitize_line (NULL, 10));
}

/* Every ASCII byte at each place of a short string, and lengths around
 * the limit, which the shortcut decides on byte by byte. */
static void
test_ascii_edges (void)
{
  for (guint c = 1; c < 0x80; c++)
    for (guint at = 0; at < 4; at++)
      for (guint max_chars = 1; max_chars <= 5; max_chars++)
        {
          char text[5] = "ab c";

          text[at] = (char) c;
          assert_paths_agree (text, max_chars);
        }
  for (guint length = 0; length < 12; length++)
    for (guint max_chars = 1; max_chars < 12; max_chars++)
      {
        g_autofree char *text = g_strnfill (length, 'x');

        assert_paths_agree (text, max_chars);
        if (length > 1)
          {
            text[length / 2] = ' ';
            assert_paths_agree (text, max_chars);
            text[length - 1] = ' ';
            assert_paths_agree (text, max_chars);
          }
      }
}

/* Random text from pieces that matter to the sanitizer: letters, spaces,
 * breaks, controls, DEL, bidi controls, C1 controls, valid and broken
 * multi-byte sequences. */
static void
test_random (void)
{
  /* Clean ASCII first, then clean non-ASCII, then the rest. */
  static const char *const pieces[] = {
    "a", "Z", "0", "~", "!", " ", " ",
    "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\xc2\xa0", "\xef\xbf\xbd",
    "  ", "\t", "\n", "\r", "\v", "\f", "\x01", "\x1f", "\x7f",
    "\xc3\xa9", "\xe2\x80\xae", "\xe2\x81\xa6", "\xe2\x80\x8e", "\xd8\x9c", "\xe2\x80\xa8", "\xc2\x85",
    "\xc2\x9f", "\x80", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xff",
    "\xc0\xaf", "\xf4\x90\x80\x80",
  };
  GRand *rand = g_rand_new_with_seed (g_test_rand_int ());

  for (guint n = 0; n < 20000; n++)
    {
      g_autoptr(GString) text = g_string_new (NULL);
      guint pieces_n = g_rand_int_range (rand, 0, 24);
      /* Mostly clean text, as names are: the shortcut gets its share. */
      guint pool = (guint[]) { 7, 12, G_N_ELEMENTS (pieces) }[g_rand_int_range (rand, 0, 3)];
      guint max_chars = g_rand_boolean (rand) ? g_rand_int_range (rand, 1, 30) : DUET_TEXT_MAX_NAME_CHARS;

      for (guint i = 0; i < pieces_n; i++)
        {
          guint pick = g_rand_int_range (rand, 0, pool);

          g_string_append (text, pieces[pick]);
        }
      assert_paths_agree (text->str, max_chars);
    }
  g_rand_free (rand);
}

static void
assert_name_key (const char *name)
{
  g_autofree char *normalized = g_utf8_normalize (name, -1, G_NORMALIZE_ALL);
  g_autofree char *expected = g_utf8_casefold (normalized != NULL ? normalized : name, -1);
  g_autofree char *key = _duet_text_name_key (name);

  g_assert_cmpstr (key, ==, expected);
}

/* The ASCII shortcut of the name key gives what Unicode's tables give. */
static void
test_name_key (void)
{
  static const char *const names[] = {
    "Alice", "ALICE", "alice", "", "Al1ce_X-Y.z", "Éric", "ÉRIC", "ﬁsh", "Straße", "ＡＢＣ", "İstanbul",
  };
  GRand *rand = g_rand_new_with_seed (g_test_rand_int ());
  g_autofree char *eric = NULL, *eric_upper = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    assert_name_key (names[i]);
  eric = _duet_text_name_key ("Éric");
  eric_upper = _duet_text_name_key ("ÉRIC");
  g_assert_cmpstr (eric, ==, eric_upper);

  /* Every ASCII byte, in random strings. */
  for (guint n = 0; n < 5000; n++)
    {
      char text[17];
      guint length = g_rand_int_range (rand, 0, 17);

      for (guint i = 0; i < length; i++)
        text[i] = (char) g_rand_int_range (rand, 1, 0x80);
      text[length] = '\0';
      assert_name_key (text);
    }
  g_rand_free (rand);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/duet/text/expected", test_expected);
  g_test_add_func ("/duet/text/ascii-edges", test_ascii_edges);
  g_test_add_func ("/duet/text/random", test_random);
  g_test_add_func ("/duet/text/name-key", test_name_key);

  return g_test_run ();
}
