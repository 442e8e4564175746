/* duet-html.h: message text as safe Pango markup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Message bodies come from anyone in the room.  These turn them into Pango
 * markup for a GtkLabel that holds nothing but what is built here: every
 * piece of text escaped, and only <b>, <i>, <tt> and <a href> (with an
 * http, https or mailto link) as elements.  The output always parses.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Characters of text kept from one message (an ellipsis marks a cut). */
#define DUET_HTML_MAX_TEXT_CHARS 20000
/* Bytes of input read at most. */
#define DUET_HTML_MAX_INPUT_BYTES (256 * 1024)

/* org.matrix.custom.html through the safe subset: b/strong, i/em, code,
 * pre, a href (http, https, mailto; matrix.to is https), blockquote, ul,
 * ol, li, br, p.  Other elements give their text; script, style and
 * mx-reply (a reply's fallback) give nothing; attributes other than an
 * a's href are dropped.  Unclosed and misnested tags are closed, nesting
 * beyond a bound is flattened.  Never NULL. */
char *duet_html_to_markup        (const char *html) G_GNUC_WARN_UNUSED_RESULT;

/* A plain body as markup: escaped, with http(s) and mailto links made
 * into <a href>.  Never NULL. */
char *duet_html_linkify          (const char *text) G_GNUC_WARN_UNUSED_RESULT;

/* Whether @uri is a link a message may carry: http, https or mailto with
 * no control characters or spaces. */
gboolean duet_html_is_safe_link  (const char *uri);

G_END_DECLS
