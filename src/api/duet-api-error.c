/* duet-api-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "duet-api-error.h"
#include "duet-json-error.h"

G_DEFINE_QUARK (duet-api-error-quark, duet_api_error)

static const struct {
  const char *errcode;
  DuetApiError code;
} errcodes[] = {
  { "M_FORBIDDEN", DUET_API_ERROR_FORBIDDEN },
  { "M_NOT_FOUND", DUET_API_ERROR_NOT_FOUND },
  { "M_LIMIT_EXCEEDED", DUET_API_ERROR_LIMIT_EXCEEDED },
  { "M_UNKNOWN_TOKEN", DUET_API_ERROR_UNKNOWN_TOKEN },
  { "M_MISSING_TOKEN", DUET_API_ERROR_MISSING_TOKEN },
  { "M_BAD_JSON", DUET_API_ERROR_BAD_JSON },
  { "M_NOT_JSON", DUET_API_ERROR_BAD_JSON },
  { "M_USER_IN_USE", DUET_API_ERROR_USER_IN_USE },
  { "M_ROOM_IN_USE", DUET_API_ERROR_ROOM_IN_USE },
  { "M_UNRECOGNIZED", DUET_API_ERROR_UNRECOGNIZED },
  { "M_INVALID_PARAM", DUET_API_ERROR_INVALID_PARAM },
  { "M_MISSING_PARAM", DUET_API_ERROR_INVALID_PARAM },
};

DuetApiError
duet_api_error_from_errcode (const char *errcode)
{
  if (errcode == NULL)
    return DUET_API_ERROR_UNKNOWN;

  for (gsize i = 0; i < G_N_ELEMENTS (errcodes); i++)
    if (g_str_equal (errcode, errcodes[i].errcode))
      return errcodes[i].code;

  return DUET_API_ERROR_UNKNOWN;
}

void
duet_api_error_adopt_json (GError *error)
{
  if (error == NULL || error->domain != DUET_JSON_ERROR)
    return;
  error->domain = DUET_API_ERROR;
  switch ((DuetJsonError) error->code)
    {
    case DUET_JSON_ERROR_TOO_LARGE:
      error->code = DUET_API_ERROR_TOO_LARGE;
      break;
    case DUET_JSON_ERROR_TOO_DEEP:
      error->code = DUET_API_ERROR_TOO_DEEP;
      break;
    case DUET_JSON_ERROR_INVALID:
    default:
      error->code = DUET_API_ERROR_INVALID_RESPONSE;
      break;
    }
}
