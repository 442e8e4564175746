/* duet-text.c: making untrusted text safe to show as one plain line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "duet-text-private.h"

/* Explicit bidi formatting characters: a name holding an unbalanced
 * override could reverse the text shown after it (the "Trojan Source"
 * trick), so they never reach the screen.  Plain right-to-left text
 * needs none of them. */
static gboolean
is_bidi_control (gunichar c)
{
  /* Embeddings and overrides, isolates, and the invisible marks (LRM, RLM,
   * ALM) that can reorder the text around them just as well. */
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
         c == 0x200E || c == 0x200F || c == 0x061C;
}

static gboolean
is_line_break (gunichar c)
{
  return c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' ||
         c == 0x85 || c == 0x2028 || c == 0x2029;
}

char *
_duet_text_sanitize_line_slow (const char *text,
                               guint       max_chars)
{
  g_autoptr(GString) out = NULL;
  const char *p;
  const char *end;
  guint chars = 0;
  gboolean cut = FALSE;

  if (text == NULL || max_chars == 0)
    return NULL;

  out = g_string_sized_new (MIN (strlen (text), (gsize) max_chars * 4) + 4);
  p = text;
  end = text + strlen (text);

  while (p < end)
    {
      gunichar c;

      /* ASCII, most of what names and messages hold, needs no decoding. */
      if ((guchar) *p < 0x80)
        c = (guchar) *p++;
      else if ((c = g_utf8_get_char_validated (p, end - p)) == (gunichar) -1 || c == (gunichar) -2)
        {
          /* One replacement character per bad byte, and move on. */
          c = 0xFFFD;
          p++;
        }
      else
        p = g_utf8_next_char (p);

      /* Printable ASCII stays as it is. */
      if (c >= 0x20 && c < 0x7f)
        ;
      else if (is_line_break (c))
        c = ' ';
      else if (c < 0x80 ? c < 0x20 || c == 0x7f : g_unichar_iscntrl (c) || is_bidi_control (c))
        continue;

      /* Runs of spaces (often line breaks) shrink to one, and none leads. */
      if (c == ' ' && (out->len == 0 || out->str[out->len - 1] == ' '))
        continue;

      if (chars == max_chars)
        {
          cut = TRUE;
          break;
        }
      if (c < 0x80)
        g_string_append_c (out, (char) c);
      else
        g_string_append_unichar (out, c);
      chars++;
    }

  while (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);
  if (out->len == 0)
    return NULL;
  if (cut)
    g_string_append (out, "…");

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The length of @text when the line made of it is @text itself: valid
 * UTF-8 without breaks, controls or bidi formatting, single spaces between
 * words, none around them, and at most @max_chars characters (names and
 * most messages); else -1. */
static gssize
clean_length (const char *text,
              guint       max_chars)
{
  const char *p = text;
  guint chars = 0;

  while (*p != '\0')
    {
      if ((guchar) *p < 0x80)
        {
          guchar c = (guchar) *p;

          if (c < 0x20 || c == 0x7f || (c == ' ' && (p == text || p[-1] == ' ')))
            return -1;
          p++;
        }
      else
        {
          gunichar c = g_utf8_get_char_validated (p, -1);

          if (c == (gunichar) -1 || c == (gunichar) -2 || is_line_break (c) ||
              g_unichar_iscntrl (c) || is_bidi_control (c))
            return -1;
          p = g_utf8_next_char (p);
        }
      if (++chars > max_chars)
        return -1;
    }
  if (p > text && p[-1] == ' ')
    return -1;
  return p - text;
}

char *
duet_text_sanitize_line (const char *text,
                         guint       max_chars)
{
  gssize length;

  if (text == NULL || max_chars == 0)
    return NULL;
  /* Leading spaces change nothing but where the line starts (an edit's
   * " * " body). */
  while (*text == ' ')
    text++;
  /* Nothing to replace, drop, trim or cut: a plain copy. */
  length = clean_length (text, max_chars);
  if (length == 0)
    return NULL;
  if (length > 0)
    return g_strndup (text, length);
  return _duet_text_sanitize_line_slow (text, max_chars);
}

gboolean
duet_text_set (char       **str,
               const char  *value)
{
  char *copy;

  if (g_strcmp0 (*str, value) == 0)
    return FALSE;

  copy = g_strdup (value);
  g_free (*str);
  *str = copy;
  return TRUE;
}

char *
_duet_text_name_key (const char *name)
{
  g_autofree char *normalized = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  /* ASCII (most names) is its own compatibility decomposition, and folds
   * to lower case: no Unicode tables to walk. */
  for (const char *p = name; *p != '\0'; p++)
    if ((guchar) *p >= 0x80)
      {
        normalized = g_utf8_normalize (name, -1, G_NORMALIZE_ALL);
        return g_utf8_casefold (normalized != NULL ? normalized : name, -1);
      }
  return g_ascii_strdown (name, -1);
}
