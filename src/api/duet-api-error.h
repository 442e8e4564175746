/* duet-api-error.h: the error domain of the client-server layer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DUET_API_ERROR (duet_api_error_quark ())

/* Matrix errcodes get a code each; an errcode Duet does not know becomes
 * DUET_API_ERROR_UNKNOWN with the errcode kept at the start of the message
 * ("M_SOMETHING: text").  Local failures (bad bodies, refused servers) follow.
 * Network failures are not in this domain: they stay G_IO_ERROR. */
typedef enum {
  DUET_API_ERROR_UNKNOWN,             /* an errcode not listed here, or M_UNKNOWN */
  DUET_API_ERROR_FORBIDDEN,           /* M_FORBIDDEN */
  DUET_API_ERROR_NOT_FOUND,           /* M_NOT_FOUND */
  DUET_API_ERROR_LIMIT_EXCEEDED,      /* M_LIMIT_EXCEEDED, once retries are used up */
  DUET_API_ERROR_UNKNOWN_TOKEN,       /* M_UNKNOWN_TOKEN without soft_logout */
  DUET_API_ERROR_SOFT_LOGOUT,         /* M_UNKNOWN_TOKEN with soft_logout: true */
  DUET_API_ERROR_MISSING_TOKEN,       /* M_MISSING_TOKEN */
  DUET_API_ERROR_BAD_JSON,            /* M_BAD_JSON / M_NOT_JSON from the server */
  DUET_API_ERROR_USER_IN_USE,         /* M_USER_IN_USE */
  DUET_API_ERROR_ROOM_IN_USE,         /* M_ROOM_IN_USE */
  DUET_API_ERROR_UNRECOGNIZED,        /* M_UNRECOGNIZED: endpoint not supported */
  DUET_API_ERROR_INVALID_PARAM,       /* M_INVALID_PARAM / M_MISSING_PARAM */
  DUET_API_ERROR_HTTP,                /* an error status with no Matrix body, or a 5xx with M_UNKNOWN */
  DUET_API_ERROR_INVALID_RESPONSE,    /* local: not JSON, wrong type, missing field */
  DUET_API_ERROR_TOO_LARGE,           /* local: body over the size cap */
  DUET_API_ERROR_TOO_DEEP,            /* local: JSON nested deeper than the limit */
  DUET_API_ERROR_UNSUPPORTED_SERVER,  /* local: the server speaks no v1.x */
  DUET_API_ERROR_INSECURE_URL,        /* local: plain http to a non-loopback host */
  DUET_API_ERROR_INVALID_ARGUMENT,    /* local: bad user id, room id, mxc URI ... */
  DUET_API_ERROR_DISCOVERY,           /* local: .well-known present but unusable */
  DUET_API_ERROR_NOT_SIGNED_IN,       /* local: a call that needs a token without one */
  DUET_API_ERROR_UNSAFE_CONTENT,      /* local: a number or string json-glib cannot write back unchanged */
  DUET_API_ERROR_HTTP_NOT_FOUND,      /* a 404 with no Matrix body (not M_NOT_FOUND) */
} DuetApiError;

GQuark       duet_api_error_quark          (void);
DuetApiError duet_api_error_from_errcode   (const char *errcode);
/* An error of libduet-json (DUET_JSON_ERROR) becomes the DUET_API_ERROR
 * one it stands for, in place; any other is left as it is. */
void         duet_api_error_adopt_json     (GError     *error);

G_END_DECLS
