/* duet-json-raw.h: JSON text read in place, without a tree
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For a reader that needs a few members of a value and the exact text of
 * others (the cache stores each event as it was sent): an iterator over
 * the members of an object or the elements of an array, handing out each
 * value's text as a slice of the input.  Two strengths:
 *
 *   fast    finds where each value ends from its strings, escapes and
 *           brackets only (as the /sync stream does); what it hands out is
 *           JSON only if the input was;
 *   strict  checks each value against the grammar of RFC 8259 (numbers,
 *           literals, escapes, UTF-8 inside strings, no lone surrogate),
 *           so that a slice it hands out is JSON any parser reads.
 *
 * Both keep nesting within DUET_JSON_MAX_DEPTH (counted from the root of
 * the document the text came from) and never read outside the input.
 *
 * duet_json_raw_parse() builds json-glib's tree of a value with the same
 * rules, several times faster than JsonParser.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "duet-json-error.h"

G_BEGIN_DECLS

/* The text of one JSON value inside a larger text (not NUL-terminated). */
typedef struct {
  const char *data;
  gsize       length;
  /* strict only: a string in it holds raw control characters (U+0000 to
   * U+001F), which RFC 8259 has escaped; duet_json_raw_escape_controls()
   * writes it as JSON proper. */
  gboolean    controls;
} DuetJsonRaw;

typedef struct {
  const char *p;
  const char *end;
  guint       depth;     /* nesting of the container iterated */
  char        close;     /* '}' or ']' */
  gboolean    strict;
  gboolean    first;
  gboolean    done;
  gboolean    failed;    /* stopped on text that is not JSON */
  gboolean    nested;    /* entered from a parent: text follows its end */
} DuetJsonRawIter;

/* @length bytes are one JSON value (whitespace around it allowed), nested
 * at @depth, checked strictly; *@controls (may be NULL) says whether its
 * strings hold raw control characters. */
gboolean     duet_json_raw_validate           (const char        *text,
                                               gsize              length,
                                               guint              depth,
                                               gboolean          *controls);

/* @text is one object or array (leading and trailing whitespace allowed),
 * nested at @depth (0 for a document's root).  FALSE when it is neither
 * or too deep. */
gboolean     duet_json_raw_iter_init          (DuetJsonRawIter   *iter,
                                               const char        *text,
                                               gsize              length,
                                               guint              depth,
                                               gboolean           strict);
/* The next member (@name: its raw string, quotes included; NULL for an
 * array) or element.  FALSE at the end or at text that is not JSON; then
 * duet_json_raw_iter_failed() tells which. */
gboolean     duet_json_raw_iter_next          (DuetJsonRawIter   *iter,
                                               DuetJsonRaw       *name,
                                               DuetJsonRaw       *value);
gboolean     duet_json_raw_iter_failed        (DuetJsonRawIter   *iter);
/* Like next(), but the value is not scanned first: @child iterates it in
 * place (@strict as asked), which saves a pass over it.  Then leave()
 * moves @iter past it, whatever @child did, and gives its text in @value;
 * it returns TRUE only when @child read the value whole and found it
 * JSON (a value that is no object or array never is).  FALSE from leave()
 * with duet_json_raw_iter_failed (@iter): the end of the value was not
 * found. */
gboolean     duet_json_raw_iter_enter         (DuetJsonRawIter   *iter,
                                               DuetJsonRaw       *name,
                                               DuetJsonRawIter   *child,
                                               gboolean           strict);
gboolean     duet_json_raw_iter_leave         (DuetJsonRawIter   *iter,
                                               DuetJsonRawIter   *child,
                                               DuetJsonRaw       *value);
/* The nesting to give duet_json_raw_iter_init() for a container value
 * handed out by @iter. */
guint        duet_json_raw_iter_child_depth   (DuetJsonRawIter   *iter);

/* A raw member name equals @literal (its escapes resolved). */
gboolean     duet_json_raw_name_is            (const DuetJsonRaw *name,
                                               const char        *literal);
/* The value's first byte tells its type: '{', '[', '"', 't', 'f', 'n', or
 * a number's first byte; 0 for an empty slice. */
char         duet_json_raw_type               (const DuetJsonRaw *value);
/* A string value unescaped; NULL when @value is no string, holds a bad
 * escape or a lone surrogate, or U+0000 (which C strings would cut). */
char        *duet_json_raw_dup_string         (const DuetJsonRaw *value) G_GNUC_WARN_UNUSED_RESULT;
/* The contents of a string (between its quotes) unescaped; as above. */
char        *duet_json_raw_unescape           (const char        *data,
                                               gsize              length) G_GNUC_WARN_UNUSED_RESULT;
/* @value (a strict one) with the raw control characters of its strings
 * written as \u00XX escapes. */
char        *duet_json_raw_escape_controls    (const DuetJsonRaw *value) G_GNUC_WARN_UNUSED_RESULT;

/* json-glib's tree of @length bytes of JSON text (UTF-8 checked by the
 * caller), nested at @depth; NULL when it is not one JSON value, with
 * *@error_offset (may be NULL) at the byte where reading stopped.  Follows
 * json-glib's semantics: the last of two equal member names wins, integers
 * are gint64 (beyond it, a double), other numbers doubles, and a string is
 * cut at an escaped U+0000 as json-glib's C strings are. */
JsonNode    *duet_json_raw_parse              (const char        *data,
                                               gsize              length,
                                               guint              depth,
                                               gsize             *error_offset) G_GNUC_WARN_UNUSED_RESULT;

/* Lone UTF-16 surrogates.  RFC 8259 (§8.2) leaves what a \uXXXX escape of
 * a surrogate without its pair means to the reader, and servers do send
 * them: Duet reads one as U+FFFD, the replacement character.  The doors
 * where server text comes in (the /sync stream's parts and member names,
 * duet_json_parse()) rewrite each such escape in place as \ufffd, six
 * bytes for six, before anything reads the text; past them, every reader
 * (strict or fast, the trees, json-glib, the cache's copy) sees ordinary
 * JSON and agrees.  The strict reader and duet_json_raw_unescape() still
 * refuse a lone surrogate in text that did not come through a door.
 *
 * The first byte of the next escape of a lone surrogate in @length bytes
 * of JSON text (an escaped high surrogate not followed by an escaped low
 * one, or an escaped low one alone), or NULL. */
const char  *duet_json_find_lone_surrogate    (const char        *data,
                                               gsize              length);
/* Rewrites each of them in place as \ufffd; returns how many. */
gsize        duet_json_replace_lone_surrogates (char             *data,
                                               gsize              length);

/* Valid UTF-8, faster than g_utf8_validate_len() on mostly ASCII text. */
gboolean     duet_json_utf8_validate          (const char        *data,
                                               gsize              length);

/* Invalid UTF-8 inside strings.  Servers send strings with bytes that are
 * not UTF-8 (a client that wrote Latin-1, a cut multi-byte character), and
 * refusing the reply that carries one refuses every later /sync too.  Duet
 * reads each maximal subpart of an ill-formed sequence as one U+FFFD, as
 * Unicode (§3.9) recommends and browsers do: "\xe2\x82" (a cut character)
 * is one U+FFFD, "\xc0\xaf" (overlong), "\xed\xa0\x80" (a surrogate) and
 * "\xf4\x90\x80\x80" (beyond U+10FFFF) are one per byte.  (g_utf8_make_valid()
 * gives one per byte always, and knows no JSON.)  The same doors as for lone
 * surrogates repair the text, on a copy since U+FFFD takes three bytes, and
 * only when duet_json_utf8_validate() refused it, so valid text costs
 * nothing more; past them every reader sees valid UTF-8.
 *
 * Appends @length bytes of JSON text to @out with each such subpart inside
 * a string (member names too) written as U+FFFD; *@replaced (may be NULL):
 * how many.  A raw NUL byte inside a string is one U+FFFD too (a C string
 * cannot hold it).  FALSE, with @out holding part of the text, when a byte
 * that is not UTF-8, or a NUL byte, stands outside a string: that is no
 * JSON.  The output is valid UTF-8 without NUL bytes whenever TRUE. */
gboolean     duet_json_utf8_repair            (const char        *data,
                                               gsize              length,
                                               GByteArray        *out,
                                               gsize             *replaced);
/* The same for the inside of one string as sent (between its quotes,
 * escapes and all), e.g. a member name. */
gboolean     duet_json_utf8_repair_string     (const char        *data,
                                               gsize              length,
                                               GByteArray        *out,
                                               gsize             *replaced);

G_END_DECLS
