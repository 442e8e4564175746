/* duet-json-scan-private.h: finding the bytes that end a run of string text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Most of a /sync body is the inside of strings, where the readers only
 * look for the next quote or backslash (and the strict reader for control
 * bytes and the start of a UTF-8 sequence too).  Eight bytes are tested
 * at a time with the usual bit tricks: (x - 0x01..) & ~x & 0x80.. has a
 * bit set if and only if a byte of x is zero.
 */
#pragma once

#include <glib.h>
#include <string.h>

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
