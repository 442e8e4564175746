/* duet-json-error.h: the JSON library's error domain and bounds
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libduet-json reads JSON text for both the wire (src/api) and the cache
 * (src/store), so its errors are its own; the API layer turns them into
 * DUET_API_ERROR ones (duet_api_error_adopt_json()).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* json-glib recurses once per nesting level and has no limit of its own;
 * every reader of Duet keeps to this one. */
#define DUET_JSON_MAX_DEPTH 64

#define DUET_JSON_ERROR (duet_json_error_quark ())

typedef enum {
  DUET_JSON_ERROR_INVALID,   /* not JSON, or not the shape expected */
  DUET_JSON_ERROR_TOO_LARGE, /* over a size cap */
  DUET_JSON_ERROR_TOO_DEEP,  /* nested deeper than DUET_JSON_MAX_DEPTH */
} DuetJsonError;

GQuark duet_json_error_quark (void);

G_END_DECLS
