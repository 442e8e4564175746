/* duet-json-scan-private.h: small helpers of libduet-json's readers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whitespace, hex escapes, and finding the bytes that end a run of string
 * text.
 * Most of a /sync body is the inside of strings, where the readers only
 * look for the next quote or backslash (and the strict reader for control
 * bytes and the start of a UTF-8 sequence too).  Eight bytes are tested
 * at a time with the usual bit tricks: (x - 0x01..) & ~x & 0x80.. has a
 * bit set if and only if a byte of x is zero.
 */
#pragma once

#include <glib.h>
#include <string.h>

static inline gboolean
is_space (char c)
{
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Four hex digits at @p (before @end), as a UTF-16 code unit. */
static inline gboolean
read_hex4 (const char *p,
           const char *end,
           gunichar   *out)
{
  gunichar value = 0;

  if (end - p < 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      int h = hex_value (p[i]);

      if (h < 0)
        return FALSE;
      value = value * 16 + (gunichar) h;
    }
  *out = value;
  return TRUE;
}

#define DUET_JSON_ONES  G_GUINT64_CONSTANT (0x0101010101010101)
#define DUET_JSON_HIGHS G_GUINT64_CONSTANT (0x8080808080808080)

static inline guint64
duet_json_word_has_byte (guint64 word,
                         guchar  byte)
{
  guint64 x = word ^ (DUET_JSON_ONES * byte);

  return (x - DUET_JSON_ONES) & ~x & DUET_JSON_HIGHS;
}

/* The first '"' or '\\' in [p, end), or end. */
static inline const char *
duet_json_find_quote (const char *p,
                      const char *end)
{
  while (end - p >= 8)
    {
      guint64 word;

      memcpy (&word, p, 8);
      if (duet_json_word_has_byte (word, '"') | duet_json_word_has_byte (word, '\\'))
        break;
      p += 8;
    }
  while (p < end && *p != '"' && *p != '\\')
    p++;
  return p;
}

/* The first '"', '\\', control byte (< 0x20) or non-ASCII byte in
 * [p, end), or end. */
static inline const char *
duet_json_find_special (const char *p,
                        const char *end)
{
  while (end - p >= 8)
    {
      guint64 word;

      memcpy (&word, p, 8);
      if (duet_json_word_has_byte (word, '"') | duet_json_word_has_byte (word, '\\') |
          ((word - DUET_JSON_ONES * 0x20) & ~word & DUET_JSON_HIGHS) | (word & DUET_JSON_HIGHS))
        break;
      p += 8;
    }
  while (p < end && (guchar) *p >= 0x20 && *p != '"' && *p != '\\' && (guchar) *p < 0x80)
    p++;
  return p;
}
