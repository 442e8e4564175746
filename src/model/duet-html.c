/* duet-html.c: message text as safe Pango markup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small HTML reader, not a browser: it walks the tags once, keeps a
 * stack of the elements it opened (closing them all, in order, at the end
 * or when an outer one closes), and writes every piece of text escaped.
 * Whatever it does not know becomes its text, so hostile input can only
 * ever make plain text.
 */
#include "config.h"

#include <string.h>

#include "duet-html.h"

#define MAX_DEPTH 32
#define MAX_LINK_BYTES 2048
#define MAX_LISTS MAX_DEPTH

typedef enum {
  ELEMENT_OTHER,        /* unknown: its text only */
  ELEMENT_INLINE,       /* b, i, tt or a: a Pango element of the same name */
  ELEMENT_PRE,
  ELEMENT_QUOTE,
  ELEMENT_LIST,
  ELEMENT_ITEM,
  ELEMENT_PARAGRAPH,
  ELEMENT_BLOCK,        /* div, headings, table rows: a line of their own */
  ELEMENT_DROP,         /* mx-reply and friends: nothing inside is shown */
} ElementKind;

typedef struct {
  char        name[16];
  ElementKind kind;
  const char *pango;    /* the Pango element opened for it, or NULL */
} Element;

typedef struct {
  gboolean ordered;
  guint    counter;
} List;

typedef struct {
  GString  *out;
  guint     chars;
  gboolean  cut;
  Element   stack[MAX_DEPTH];
  guint     depth;
  List      lists[MAX_LISTS];
  guint     n_lists;
  guint     quote_depth;
  guint     pre_depth;
  guint     drop_depth;
  guint     link_depth;
  guint     pending_breaks;  /* line breaks owed before the next text */
  gboolean  pending_item;    /* a list marker owed before the next text */
  gboolean  wrote_text;      /* any text yet: no breaks before the first */
  gboolean  last_space;
} Writer;

static gboolean
is_bidi_control (gunichar c)
{
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
         c == 0x200E || c == 0x200F || c == 0x061C;
}

static void
append_escaped_char (GString  *out,
                     gunichar  c)
{
  switch (c)
    {
    case '&': g_string_append (out, "&amp;"); break;
    case '<': g_string_append (out, "&lt;"); break;
    case '>': g_string_append (out, "&gt;"); break;
    case '"': g_string_append (out, "&quot;"); break;
    case '\'': g_string_append (out, "&#39;"); break;
    default: g_string_append_unichar (out, c); break;
    }
}

static void
flush_line_start (Writer *w)
{
  if (w->wrote_text && w->pending_breaks > 0)
    {
      for (guint i = 0; i < w->pending_breaks; i++)
        g_string_append_c (w->out, '\n');
      for (guint i = 0; i < w->quote_depth; i++)
        g_string_append (w->out, "▎ ");
    }
  else if (!w->wrote_text)
    {
      for (guint i = 0; i < w->quote_depth; i++)
        g_string_append (w->out, "▎ ");
    }
  w->pending_breaks = 0;

  if (w->pending_item)
    {
      w->pending_item = FALSE;
      for (guint i = 1; i < w->n_lists; i++)
        g_string_append (w->out, "  ");
      if (w->n_lists > 0 && w->lists[w->n_lists - 1].ordered)
        g_string_append_printf (w->out, "%u. ", ++w->lists[w->n_lists - 1].counter);
      else
        g_string_append (w->out, "• ");
    }
  w->wrote_text = TRUE;
}

/* One character of text: controls and bidi overrides dropped, white space
 * folded outside <pre>, escaped. */
static void
write_char (Writer   *w,
            gunichar  c)
{
  gboolean space;

  if (w->cut || w->drop_depth > 0)
    return;

  if (c == '\r')
    return;
  space = c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == 0xA0;
  if (!space && (g_unichar_iscntrl (c) || is_bidi_control (c)))
    return;

  if (space && w->pre_depth == 0)
    {
      if (w->last_space || w->pending_breaks > 0 || !w->wrote_text || w->pending_item)
        return;
      c = ' ';
    }

  if (w->chars >= DUET_HTML_MAX_TEXT_CHARS)
    {
      w->cut = TRUE;
      return;
    }

  if (w->pending_breaks > 0 || !w->wrote_text || w->pending_item)
    flush_line_start (w);

  if (c == '\n')
    {
      g_string_append_c (w->out, '\n');
      for (guint i = 0; i < w->quote_depth; i++)
        g_string_append (w->out, "▎ ");
    }
  else
    append_escaped_char (w->out, c);
  w->chars++;
  w->last_space = space;
}

static void
request_break (Writer *w,
               guint   breaks)
{
  if (!w->wrote_text || w->drop_depth > 0)
    return;
  w->pending_breaks = MAX (w->pending_breaks, breaks);
  w->last_space = FALSE;
}

/* Decodes one character reference at @p (just after '&'); returns the
 * character and moves *@p past it, or 0 when it is not one. */
static gunichar
decode_entity (const char **p,
               const char  *end)
{
  static const struct { const char *name; gunichar c; } names[] = {
    { "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' },
    { "apos;", '\'' }, { "nbsp;", 0xA0 },
  };
  const char *s = *p;

  if (s < end && *s == '#')
    {
      gboolean hex = s + 1 < end && (s[1] == 'x' || s[1] == 'X');
      const char *digits = s + (hex ? 2 : 1);
      const char *q = digits;
      guint64 value = 0;

      while (q < end && q - digits < 8 && (hex ? g_ascii_isxdigit (*q) : g_ascii_isdigit (*q)))
        {
          value = value * (hex ? 16 : 10) + (hex ? g_ascii_xdigit_value (*q) : g_ascii_digit_value (*q));
          q++;
        }
      if (q == digits || q >= end || *q != ';')
        return 0;
      *p = q + 1;
      if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        return 0xFFFD;
      return (gunichar) value;
    }

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      gsize len = strlen (names[i].name);

      if ((gsize) (end - s) >= len && g_ascii_strncasecmp (s, names[i].name, len) == 0)
        {
          *p = s + len;
          return names[i].c;
        }
    }
  return 0;
}

/* Text between tags (or an attribute value when @w is NULL and @value set). */
static void
write_text (Writer     *w,
            const char *p,
            const char *end)
{
  while (p < end && !w->cut)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          c = 0xFFFD;
          p++;
        }
      else
        {
          p = g_utf8_next_char (p);
          if (c == '&')
            {
              gunichar decoded = decode_entity (&p, end);

              if (decoded != 0)
                c = decoded;
            }
        }
      write_char (w, c);
    }
}

gboolean
duet_html_is_safe_link (const char *uri)
{
  static const char * const schemes[] = { "https://", "http://", "mailto:" };
  gsize length;
  gboolean scheme_ok = FALSE;

  if (uri == NULL)
    return FALSE;
  length = strlen (uri);
  if (length == 0 || length > MAX_LINK_BYTES || !g_utf8_validate (uri, length, NULL))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (g_ascii_strncasecmp (uri, schemes[i], strlen (schemes[i])) == 0 &&
        length > strlen (schemes[i]))
      scheme_ok = TRUE;
  if (!scheme_ok)
    return FALSE;

  for (const char *p = uri; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c <= 0x20 || c == 0x7F || g_unichar_iscntrl (c) || is_bidi_control (c) ||
          c == '"' || c == '<' || c == '>')
        return FALSE;
    }
  return TRUE;
}

static ElementKind
classify (const char  *name,
          const char **pango)
{
  static const char * const blocks[] = {
    "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "hr", "details", "summary", NULL
  };
  static const char * const dropped[] = {
    "mx-reply", "script", "style", "head", "title", "template", "iframe", "object",
    "svg", "math", "noscript", "textarea", "select", NULL
  };

  *pango = NULL;
  if (g_str_equal (name, "b") || g_str_equal (name, "strong"))
    return (*pango = "b"), ELEMENT_INLINE;
  if (g_str_equal (name, "i") || g_str_equal (name, "em"))
    return (*pango = "i"), ELEMENT_INLINE;
  if (g_str_equal (name, "code"))
    return (*pango = "tt"), ELEMENT_INLINE;
  if (g_str_equal (name, "a"))
    return ELEMENT_INLINE;  /* <a> only with a safe href: decided by the caller */
  if (g_str_equal (name, "pre"))
    return (*pango = "tt"), ELEMENT_PRE;
  if (g_str_equal (name, "blockquote"))
    return ELEMENT_QUOTE;
  if (g_str_equal (name, "ul") || g_str_equal (name, "ol"))
    return ELEMENT_LIST;
  if (g_str_equal (name, "li"))
    return ELEMENT_ITEM;
  if (g_str_equal (name, "p"))
    return ELEMENT_PARAGRAPH;
  if (g_strv_contains (blocks, name))
    return ELEMENT_BLOCK;
  if (g_strv_contains (dropped, name))
    return ELEMENT_DROP;
  return ELEMENT_OTHER;
}

static gboolean
is_void (const char *name)
{
  static const char * const voids[] = {
    "br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source",
    "track", "wbr", "param", NULL
  };
  return g_strv_contains (voids, name);
}

/* Raw-text elements: their content is not markup at all. */
static gboolean
is_raw_text (const char *name)
{
  return g_str_equal (name, "script") || g_str_equal (name, "style") ||
         g_str_equal (name, "textarea") || g_str_equal (name, "title");
}

static void
open_element (Writer     *w,
              const char *name,
              const char *href)
{
  const char *pango;
  ElementKind kind = classify (name, &pango);
  Element *element;

  if (g_str_equal (name, "br"))
    {
      if (w->drop_depth == 0 && w->wrote_text)
        {
          w->pending_breaks++;
          w->last_space = FALSE;
        }
      return;
    }
  if (is_void (name))
    {
      if (kind == ELEMENT_BLOCK)
        request_break (w, 1);
      return;
    }
  /* Past the bound, elements only give their text. */
  if (w->depth == MAX_DEPTH)
    return;

  element = &w->stack[w->depth++];
  g_strlcpy (element->name, name, sizeof element->name);
  element->kind = kind;
  element->pango = NULL;

  if (w->drop_depth > 0 && kind != ELEMENT_DROP)
    return;

  switch (kind)
    {
    case ELEMENT_INLINE:
      if (g_str_equal (name, "a"))
        {
          if (w->link_depth > 0 || !duet_html_is_safe_link (href))
            break;
          w->link_depth++;
          element->pango = "a";
          g_string_append (w->out, "<a href=\"");
          for (const char *p = href; *p != '\0'; p = g_utf8_next_char (p))
            append_escaped_char (w->out, g_utf8_get_char (p));
          g_string_append (w->out, "\">");
          break;
        }
      element->pango = pango;
      g_string_append_printf (w->out, "<%s>", pango);
      break;
    case ELEMENT_PRE:
      request_break (w, 1);
      w->pre_depth++;
      element->pango = pango;
      g_string_append_printf (w->out, "<%s>", pango);
      break;
    case ELEMENT_QUOTE:
      request_break (w, 1);
      w->quote_depth++;
      break;
    case ELEMENT_LIST:
      request_break (w, 1);
      if (w->n_lists < MAX_LISTS)
        {
          w->lists[w->n_lists].ordered = g_str_equal (name, "ol");
          w->lists[w->n_lists].counter = 0;
        }
      w->n_lists++;
      break;
    case ELEMENT_ITEM:
      request_break (w, 1);
      w->pending_item = TRUE;
      w->last_space = FALSE;
      break;
    case ELEMENT_PARAGRAPH:
      request_break (w, 2);
      break;
    case ELEMENT_BLOCK:
      request_break (w, 1);
      break;
    case ELEMENT_DROP:
      w->drop_depth++;
      break;
    case ELEMENT_OTHER:
    default:
      break;
    }
}

static void
close_top (Writer *w)
{
  Element *element = &w->stack[--w->depth];

  if (element->pango != NULL)
    {
      g_string_append_printf (w->out, "</%s>", element->pango);
      if (g_str_equal (element->pango, "a"))
        w->link_depth--;
    }
  if (w->drop_depth > 0 && element->kind != ELEMENT_DROP)
    return;

  switch (element->kind)
    {
    case ELEMENT_PRE:
      w->pre_depth--;
      request_break (w, 1);
      break;
    case ELEMENT_QUOTE:
      w->quote_depth--;
      request_break (w, 1);
      break;
    case ELEMENT_LIST:
      w->n_lists--;
      request_break (w, 1);
      break;
    case ELEMENT_ITEM:
      w->pending_item = FALSE;
      break;
    case ELEMENT_PARAGRAPH:
      request_break (w, 2);
      break;
    case ELEMENT_BLOCK:
      request_break (w, 1);
      break;
    case ELEMENT_DROP:
      w->drop_depth--;
      break;
    case ELEMENT_INLINE:
    case ELEMENT_OTHER:
    default:
      break;
    }
}

static void
close_element (Writer     *w,
               const char *name)
{
  for (guint i = w->depth; i > 0; i--)
    if (g_str_equal (w->stack[i - 1].name, name))
      {
        while (w->depth >= i)
          close_top (w);
        return;
      }
  /* A close tag for nothing open is ignored, as browsers do. */
}

/* Reads a tag name at @p into @name (lowercase, cut to fit); returns the
 * position after it. */
static const char *
read_name (const char *p,
           const char *end,
           char       *name,
           gsize       size)
{
  gsize n = 0;

  while (p < end && (g_ascii_isalnum (*p) || *p == '-' || *p == ':' || *p == '_'))
    {
      if (n + 1 < size)
        name[n++] = g_ascii_tolower (*p);
      p++;
    }
  name[n] = '\0';
  return p;
}

/* Parses the attributes of a tag up to its '>' and returns the position
 * after it (NULL when the tag never ends); an href value goes to @href. */
static const char *
read_attributes (const char  *p,
                 const char  *end,
                 char       **href)
{
  while (p < end)
    {
      char attr[16];
      const char *value = NULL, *value_end = NULL;

      while (p < end && (g_ascii_isspace (*p) || *p == '/'))
        p++;
      if (p >= end)
        return NULL;
      if (*p == '>')
        return p + 1;

      p = read_name (p, end, attr, sizeof attr);
      if (attr[0] == '\0')
        {
          p++;  /* a stray character: skip it */
          continue;
        }
      while (p < end && g_ascii_isspace (*p))
        p++;
      if (p < end && *p == '=')
        {
          p++;
          while (p < end && g_ascii_isspace (*p))
            p++;
          if (p < end && (*p == '"' || *p == '\''))
            {
              char quote = *p++;

              value = p;
              while (p < end && *p != quote)
                p++;
              if (p >= end)
                return NULL;
              value_end = p++;
            }
          else
            {
              value = p;
              while (p < end && !g_ascii_isspace (*p) && *p != '>')
                p++;
              value_end = p;
            }
        }
      if (value != NULL && g_str_equal (attr, "href") && *href == NULL &&
          value_end - value <= MAX_LINK_BYTES)
        {
          /* Entities in the value are decoded like text. */
          GString *decoded = g_string_new (NULL);
          const char *q = value;

          while (q < value_end)
            {
              if (*q == '&')
                {
                  const char *r = q + 1;
                  gunichar c = decode_entity (&r, value_end);

                  if (c != 0)
                    {
                      g_string_append_unichar (decoded, c);
                      q = r;
                      continue;
                    }
                }
              g_string_append_c (decoded, *q++);
            }
          *href = g_string_free (decoded, FALSE);
        }
    }
  return NULL;
}

/* Skips a raw-text element's content up to its closing tag. */
static const char *
skip_raw_text (const char *p,
               const char *end,
               const char *name)
{
  gsize len = strlen (name);

  for (; p < end; p++)
    if (*p == '<' && p + 1 < end && p[1] == '/' && (gsize) (end - p - 2) >= len &&
        g_ascii_strncasecmp (p + 2, name, len) == 0)
      {
        const char *close = memchr (p, '>', end - p);

        return close != NULL ? close + 1 : end;
      }
  return end;
}

char *
duet_html_to_markup (const char *html)
{
  Writer w = { 0 };
  const char *p, *end, *text_start;

  w.out = g_string_new (NULL);
  if (html == NULL)
    return g_string_free (w.out, FALSE);

  p = html;
  end = html + strnlen (html, DUET_HTML_MAX_INPUT_BYTES);
  text_start = p;

  while (p < end && !w.cut)
    {
      const char *tag_end;
      char name[16];

      /* A '<' that starts no tag is text. */
      if (*p != '<' || p + 1 >= end ||
          !(p[1] == '!' || p[1] == '?' || g_ascii_isalpha (p[1]) ||
            (p[1] == '/' && p + 2 < end && g_ascii_isalpha (p[2]))))
        {
          p++;
          continue;
        }
      write_text (&w, text_start, p);

      if ((gsize) (end - p) >= 4 && strncmp (p, "<!--", 4) == 0)
        {
          const char *close = g_strstr_len (p + 4, end - p - 4, "-->");

          p = text_start = close != NULL ? close + 3 : end;
          continue;
        }
      if (p + 1 < end && (p[1] == '!' || p[1] == '?'))
        {
          const char *close = memchr (p, '>', end - p);

          p = text_start = close != NULL ? close + 1 : end;
          continue;
        }
      if (p + 1 < end && p[1] == '/' && p + 2 < end && g_ascii_isalpha (p[2]))
        {
          const char *close;

          read_name (p + 2, end, name, sizeof name);
          close = memchr (p, '>', end - p);
          p = text_start = close != NULL ? close + 1 : end;
          close_element (&w, name);
          continue;
        }
      if (p + 1 < end && g_ascii_isalpha (p[1]))
        {
          g_autofree char *href = NULL;

          tag_end = read_attributes (read_name (p + 1, end, name, sizeof name), end, &href);
          if (tag_end == NULL)
            {
              p = text_start = end;  /* an unfinished tag at the end: dropped */
              break;
            }
          p = text_start = tag_end;
          if (is_raw_text (name))
            {
              p = text_start = skip_raw_text (p, end, name);
              continue;
            }
          open_element (&w, name, href);
          /* A self-closed element has no content. */
          if (tag_end - 2 >= html && tag_end[-2] == '/' && !is_void (name) && w.depth > 0 &&
              g_str_equal (w.stack[w.depth - 1].name, name))
            close_top (&w);
          continue;
        }
      p++;
    }
  if (!w.cut)
    write_text (&w, text_start, p);

  while (w.depth > 0)
    close_top (&w);
  if (w.cut)
    g_string_append (w.out, "…");

  /* Trailing white space (from closing blocks) is never wanted. */
  while (w.out->len > 0 && (w.out->str[w.out->len - 1] == ' ' || w.out->str[w.out->len - 1] == '\n'))
    g_string_truncate (w.out, w.out->len - 1);
  return g_string_free (w.out, FALSE);
}

/* The link starting at @p, if any: its length in bytes. */
static gsize
link_length (const char *p,
             const char *start)
{
  static const char * const schemes[] = { "https://", "http://", "mailto:" };
  gboolean found = FALSE;
  const char *q;

  if (p > start && (g_ascii_isalnum (p[-1]) || p[-1] == '/' || p[-1] == '@'))
    return 0;
  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (g_ascii_strncasecmp (p, schemes[i], strlen (schemes[i])) == 0)
      found = TRUE;
  if (!found)
    return 0;

  q = p;
  while (*q != '\0' && (guchar) *q > 0x20 && *q != '<' && *q != '>' && *q != '"' && *q != 0x7F)
    q++;
  /* Punctuation that ends a sentence is not part of the link. */
  while (q > p && strchr (".,;:!?)]}'", q[-1]) != NULL)
    {
      if (q[-1] == ')' && memchr (p, '(', q - p) != NULL)
        break;
      q--;
    }
  return (gsize) (q - p);
}

char *
duet_html_linkify (const char *text)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint chars = 0;
  const char *p;

  if (text == NULL)
    return g_strdup ("");

  p = text;
  while (*p != '\0')
    {
      gsize length = link_length (p, text);
      gunichar c;

      if (chars >= DUET_HTML_MAX_TEXT_CHARS)
        {
          g_string_append (out, "…");
          break;
        }
      if (length > 0 && length <= MAX_LINK_BYTES)
        {
          g_autofree char *uri = g_strndup (p, length);

          if (duet_html_is_safe_link (uri))
            {
              g_autofree char *escaped = g_markup_escape_text (uri, -1);

              g_string_append_printf (out, "<a href=\"%s\">%s</a>", escaped, escaped);
              p += length;
              chars += g_utf8_strlen (uri, -1);
              continue;
            }
        }

      c = g_utf8_get_char_validated (p, -1);
      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          c = 0xFFFD;
          p++;
        }
      else
        p = g_utf8_next_char (p);
      if ((g_unichar_iscntrl (c) && c != '\n' && c != '\t') || is_bidi_control (c))
        continue;
      append_escaped_char (out, c);
      chars++;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}
