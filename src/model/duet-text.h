/* duet-text.h: making untrusted text safe to show as one plain line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Display names and room names. */
#define DUET_TEXT_MAX_NAME_CHARS 256
/* Message previews in the contact list. */
#define DUET_TEXT_MAX_PREVIEW_CHARS 200
/* Identifiers and URLs kept verbatim (mxc URIs, user ids) are refused past this. */
#define DUET_TEXT_MAX_ID_BYTES 1024

/* A copy of @text as one line of at most @max_chars characters (an ellipsis
 * marks a cut): invalid UTF-8 replaced, line breaks and tabs turned into
 * spaces, other control characters and explicit bidi embeddings, overrides
 * and isolates dropped, surrounding spaces trimmed.  NULL when nothing is
 * left.  Never markup: the caller shows it as plain text. */
char *duet_text_sanitize_line (const char *text,
                               guint       max_chars) G_GNUC_WARN_UNUSED_RESULT;

/* g_set_str () before GLib 2.76: replaces *@str with a copy of @value and
 * returns TRUE when they differed. */
gboolean duet_text_set (char       **str,
                        const char  *value);

G_END_DECLS
