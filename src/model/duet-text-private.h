/* duet-text-private.h: text helpers of the model, and the sanitizer's
 * general path for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-text.h"

G_BEGIN_DECLS

/* duet_text_sanitize_line() without its shortcut for text that needs no
 * change: every character decoded and checked.  Both give the same line
 * for any input (tests/test-text.c compares them). */
char *_duet_text_sanitize_line_slow (const char *text,
                                     guint       max_chars) G_GNUC_WARN_UNUSED_RESULT;

/* The key under which names count as the same (the contact list adds
 * user ids to names shared): compatibility-normalized and case-folded,
 * g_utf8_casefold (g_utf8_normalize (@name, -1, G_NORMALIZE_ALL)), with
 * a shortcut for ASCII. */
char *_duet_text_name_key            (const char *name) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
