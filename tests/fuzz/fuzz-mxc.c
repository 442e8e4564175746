/* fuzz-mxc.c: mxc:// URI parsing and Matrix identifier validation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whatever duet_mxc_parse() accepts must be safe to put into a download
 * path: a valid server name and a media id of [A-Za-z0-9_-]+ that rebuild
 * the input exactly (nothing decoded, nothing dropped).
 */
#include "config.h"

#include <string.h>

#include "duet-api-error.h"
#include "duet-matrix-id.h"
#include "fuzz-common.h"

static void
check_accepted (const char *uri,
                const char *server_name,
                const char *media_id)
{
  g_autofree char *rebuilt = g_strconcat ("mxc://", server_name, "/", media_id, NULL);

  g_assert_cmpstr (rebuilt, ==, uri);
  g_assert_true (duet_matrix_is_valid_server_name (server_name));
  g_assert_null (strpbrk (server_name, "/%\\?#"));
  g_assert_cmpuint (strlen (media_id), >, 0);
  for (const char *p = media_id; *p != '\0'; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '_' || *p == '-');
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = NULL;
  g_autofree char *server_name = NULL;
  g_autofree char *media_id = NULL;
  g_autoptr(GError) error = NULL;

  duet_fuzz_init ();

  /* The parsers take C strings: an embedded NUL ends the input. */
  text = g_strndup ((const char *) data, size);

  if (duet_mxc_parse (text, &server_name, &media_id, &error))
    {
      g_assert_no_error (error);
      check_accepted (text, server_name, media_id);
    }
  else
    {
      g_assert_error (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT);
      g_assert_null (server_name);
      g_assert_null (media_id);
    }

  /* The same text through the other validators the model uses on server data. */
  if (duet_matrix_is_valid_user_id (text) || duet_matrix_is_valid_room_id (text) ||
      duet_matrix_is_valid_event_id (text))
    g_assert_cmpuint (strlen (text), <=, DUET_MATRIX_ID_MAX_LENGTH);
  duet_matrix_is_valid_server_name (text);

  return 0;
}
