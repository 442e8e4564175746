/* test-html.c: formatted bodies through the safe subset
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every output is checked to parse as markup holding only the elements
 * Duet writes (b, i, tt, a with a safe href), whatever the input.
 */
#include "config.h"

#include <string.h>

#include "duet-html.h"

static void
validate_start (GMarkupParseContext  *context,
                const char           *element,
                const char          **names,
                const char          **values,
                gpointer              user_data,
                GError              **error)
{
  static const char * const plain[] = { "markup", "b", "i", "tt", NULL };

  if (g_strv_contains (plain, element))
    {
      if (names[0] != NULL)
        g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT, "attribute on <%s>", element);
      return;
    }
  if (g_str_equal (element, "a"))
    {
      if (names[0] == NULL || !g_str_equal (names[0], "href") || names[1] != NULL ||
          !duet_html_is_safe_link (values[0]))
        g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT, "bad <a>");
      return;
    }
  g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_UNKNOWN_ELEMENT, "element <%s>", element);
}

/* The output parses, holds only our elements, never nests links. */
static void
assert_safe_markup (const char *markup)
{
  static const GMarkupParser parser = { validate_start, NULL, NULL, NULL, NULL };
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autofree char *wrapped = g_strdup_printf ("<markup>%s</markup>", markup);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_utf8_validate (markup, -1, NULL));
  g_assert_null (strstr (markup, "<a href=\"javascript"));
  context = g_markup_parse_context_new (&parser, 0, NULL, NULL);
  if (!g_markup_parse_context_parse (context, wrapped, -1, &error) ||
      !g_markup_parse_context_end_parse (context, &error))
    g_error ("not safe markup (%s): %s", error->message, markup);
}

static void
check (const char *html,
       const char *expected)
{
  g_autofree char *markup = duet_html_to_markup (html);

  assert_safe_markup (markup);
  g_assert_cmpstr (markup, ==, expected);
}

static void
test_subset (void)
{
  check ("<b>bold</b> <strong>s</strong> <i>i</i><em>e</em> <code>c</code>",
         "<b>bold</b> <b>s</b> <i>i</i><i>e</i> <tt>c</tt>");
  check ("<a href=\"https://example.org/?a=1&amp;b=2\">x</a>",
         "<a href=\"https://example.org/?a=1&amp;b=2\">x</a>");
  check ("<a href='mailto:bob@example.org'>mail</a> <a href=\"https://matrix.to/#/@bob:x.org\">Bob</a>",
         "<a href=\"mailto:bob@example.org\">mail</a> <a href=\"https://matrix.to/#/@bob:x.org\">Bob</a>");
  check ("<ul><li>one</li><li>two</li></ul>", "• one\n• two");
  check ("<ol><li>a</li><li>b</li></ol>after", "1. a\n2. b\nafter");
  check ("<blockquote>quoted</blockquote>reply", "▎ quoted\nreply");
  check ("<p>first</p><p>second</p>", "first\n\nsecond");
  check ("a<br>b<br/>c", "a\nb\nc");
  check ("<pre><code>int x;\n  y &lt; 2;</code></pre>", "<tt><tt>int x;\n  y &lt; 2;</tt></tt>");
  check ("  many    spaces\n\nand lines  ", "many spaces and lines");
  check ("<h1>Title</h1>text", "Title\ntext");
}

static void
test_hostile (void)
{
  /* Scripts, styles and a reply fallback show nothing. */
  check ("<script>alert('<b>')</script>x<style>b { color: red }</style>", "x");
  check ("<SCRIPT type=x>document.write(1)</SCRIPT >after", "after");
  check ("<mx-reply><blockquote><a href=\"https://matrix.to\">In reply to</a> old</blockquote></mx-reply>new",
         "new");
  /* Attributes and unknown elements. */
  check ("<b onclick=\"steal()\" style=\"color:red\">t</b>", "<b>t</b>");
  check ("<span foreground=\"red\" size=\"xx-large\">big</span>", "big");
  check ("<font color=\"red\">red</font><img src=\"x\" onerror=\"y\">", "red");
  check ("<iframe src=\"https://evil\">inside</iframe>out", "out");
  /* Links that are not http(s) or mailto lose their <a>. */
  check ("<a href=\"javascript:alert(1)\">click</a>", "click");
  check ("<a href=\"JaVaScRiPt:alert(1)\">click</a>", "click");
  check ("<a href=\"data:text/html,x\">d</a><a href=\"/relative\">r</a><a>none</a>", "drnone");
  check ("<a href=\"https://a.org/\x01x\">ctl</a>", "ctl");
  check ("<a href=\"https://a.org\"><a href=\"https://b.org\">nested</a></a>",
         "<a href=\"https://a.org\">nested</a>");
  check ("<a href=\"https://a.org/\\\" onclick=\\\"x\">q</a>", "<a href=\"https://a.org/\\\">q</a>");
  /* Pango markup in text is text. */
  check ("x < y & z > w", "x &lt; y &amp; z &gt; w");
  check ("&lt;span foreground='red'&gt;", "&lt;span foreground=&#39;red&#39;&gt;");
  check ("</b></markup><markup>", "");
  /* Unclosed and misnested tags are closed in order. */
  check ("<b>bold <i>both", "<b>bold <i>both</i></b>");
  check ("<b><i>x</b>y</i>", "<b><i>x</i></b>y");
  check ("<i>a</b>b", "<i>ab</i>");
  check ("<a href=\"https://x.org", "");
  check ("text <b", "text");
  check ("<!-- <b>hidden</b> -->shown<!-- unterminated", "shown");
  check ("<!DOCTYPE html><?xml x?>ok", "ok");
  /* Entities and encodings. */
  check ("&#0;&#x110000;&#xD800;&#65;&#x42;&bogus;&amp;&nbsp;", "���AB&amp;bogus;&amp;");
  check ("bad \xff utf8 \xe2\x80", "bad � utf8 ��");
  check ("bidi \xe2\x80\xae override \xe2\x81\xa6 isolate", "bidi override isolate");
}

static void
test_bounds (void)
{
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GString) lists = g_string_new (NULL);
  g_autofree char *markup = NULL;
  g_autofree char *huge = NULL;
  guint opened = 0;

  for (guint i = 0; i < 10000; i++)
    g_string_append (deep, i % 2 ? "<i>" : "<b>");
  g_string_append (deep, "x");
  markup = duet_html_to_markup (deep->str);
  assert_safe_markup (markup);
  for (const char *p = markup; (p = strstr (p, "<b>")) != NULL; p++)
    opened++;
  g_assert_cmpuint (opened, <=, 32);
  g_clear_pointer (&markup, g_free);

  for (guint i = 0; i < 200; i++)
    g_string_append (lists, "<ul><li><blockquote>x");
  markup = duet_html_to_markup (lists->str);
  assert_safe_markup (markup);
  g_clear_pointer (&markup, g_free);

  huge = g_malloc (1024 * 1024 + 1);
  memset (huge, 'a', 1024 * 1024);
  huge[1024 * 1024] = '\0';
  markup = duet_html_to_markup (huge);
  assert_safe_markup (markup);
  g_assert_cmpuint (g_utf8_strlen (markup, -1), ==, DUET_HTML_MAX_TEXT_CHARS + 1);
  g_assert_true (g_str_has_suffix (markup, "…"));
  g_clear_pointer (&markup, g_free);

  markup = duet_html_linkify (huge);
  assert_safe_markup (markup);
  g_assert_cmpuint (g_utf8_strlen (markup, -1), ==, DUET_HTML_MAX_TEXT_CHARS + 1);
  g_clear_pointer (&markup, g_free);

  markup = duet_html_to_markup (NULL);
  g_assert_cmpstr (markup, ==, "");
}

static void
test_linkify (void)
{
  static const struct { const char *text, *markup; } cases[] = {
    { "see https://example.org/a_(b)?c=1&d=2.",
      "see <a href=\"https://example.org/a_(b)?c=1&amp;d=2\">https://example.org/a_(b)?c=1&amp;d=2</a>." },
    { "(http://x.org) mailto:me@x.org, javascript:alert(1)",
      "(<a href=\"http://x.org\">http://x.org</a>) <a href=\"mailto:me@x.org\">mailto:me@x.org</a>, "
      "javascript:alert(1)" },
    { "xhttps://glued.org no", "xhttps://glued.org no" },
    { "<b>not</b> & \"q\" 'a'", "&lt;b&gt;not&lt;/b&gt; &amp; &quot;q&quot; &#39;a&#39;" },
    { "https://a.org/\"><script>", "<a href=\"https://a.org/\">https://a.org/</a>&quot;&gt;&lt;script&gt;" },
    { "line\nbreak\ttab\x01", "line\nbreak\ttab" },
    { "https://", "https://" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *markup = duet_html_linkify (cases[i].text);

      assert_safe_markup (markup);
      g_assert_cmpstr (markup, ==, cases[i].markup);
    }
}

/* Random soup of tags, attributes, entities and text: always safe. */
static void
test_random_soup (void)
{
  static const char * const pieces[] = {
    "<b>", "</b>", "<i>", "</i>", "<a href=\"https://x.org\">", "<a href=\"javascript:x\">", "</a>",
    "<ul>", "</ul>", "<ol>", "<li>", "</li>", "<blockquote>", "</blockquote>", "<pre>", "</pre>",
    "<code>", "</code>", "<p>", "</p>", "<br>", "<mx-reply>", "</mx-reply>", "<script>", "</script>",
    "<span style='x'>", "</span>", "<", ">", "&", "&amp;", "&#x41;", "&#", "\"", "'", "text", " ",
    "\n", "é", "\xff", "<!--", "-->", "<a href='", "=", "/>", "<br/>", "<strong>", "</em>",
  };
  GRand *rand = g_rand_new_with_seed (20261126);

  for (guint round = 0; round < 3000; round++)
    {
      g_autoptr(GString) html = g_string_new (NULL);
      g_autofree char *markup = NULL;
      guint length = g_rand_int_range (rand, 1, 60);

      for (guint i = 0; i < length; i++)
        g_string_append (html, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
      markup = duet_html_to_markup (html->str);
      assert_safe_markup (markup);
      g_clear_pointer (&markup, g_free);
      markup = duet_html_linkify (html->str);
      assert_safe_markup (markup);
    }
  g_rand_free (rand);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/html/subset", test_subset);
  g_test_add_func ("/html/hostile", test_hostile);
  g_test_add_func ("/html/bounds", test_bounds);
  g_test_add_func ("/html/linkify", test_linkify);
  g_test_add_func ("/html/random-soup", test_random_soup);

  return g_test_run ();
}
