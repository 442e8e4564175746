/* duet-uri.c: a user id from what a person pastes into Start Chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "duet-matrix-id.h"
#include "duet-uri.h"

/* Generous for a URI around a 255-byte id with its escapes and via= list,
 * and short enough that nothing pasted by mistake gets parsed at length. */
#define MAX_INPUT_LENGTH 2048

/* Decodes %XX escapes; NULL when an escape is broken or decodes to a
 * character that has no business in a user id (checked again later). */
static char *
unescape_id (const char *escaped,
             gsize       length)
{
  g_autofree char *part = g_strndup (escaped, length);

  /* "/" stays illegal once decoded: a user id never spans path segments. */
  return g_uri_unescape_string (part, "/");
}

static char *
checked_user_id (char *user_id)
{
  if (user_id != NULL && duet_matrix_is_valid_user_id (user_id))
    return user_id;
  g_free (user_id);
  return NULL;
}

/* matrix:u/user:server[?query][#fragment] (the spec's matrix: URI scheme).
 * An authority ("matrix://...") is reserved by the spec: refuse it. */
static char *
parse_matrix_uri (const char *rest)
{
  gsize length;
  g_autofree char *user_id = NULL;

  if (strncmp (rest, "u/", 2) != 0)
    return NULL;
  rest += 2;

  length = strcspn (rest, "?#");
  if (length == 0 || memchr (rest, '/', length) != NULL)
    return NULL;

  user_id = unescape_id (rest, length);
  if (user_id == NULL || user_id[0] == '@')
    return NULL;
  return checked_user_id (g_strconcat ("@", user_id, NULL));
}

/* https://matrix.to/#/@user:server[?via=...]: matrix.to puts the id in the
 * fragment.  GUri checks the host, so "https://matrix.to@evil/#/..." or
 * "https://matrix.to.evil/#/..." do not pass. */
static char *
parse_matrix_to (const char *text)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme, *host, *path, *fragment;
  gsize length;

  uri = g_uri_parse (text, G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL)
    return NULL;

  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  path = g_uri_get_path (uri);
  fragment = g_uri_get_fragment (uri);

  if (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0)
    return NULL;
  if (host == NULL || g_ascii_strcasecmp (host, "matrix.to") != 0 ||
      g_uri_get_userinfo (uri) != NULL || g_uri_get_port (uri) != -1)
    return NULL;
  if (path[0] != '\0' && strcmp (path, "/") != 0)
    return NULL;
  if (g_uri_get_query (uri) != NULL || fragment == NULL || fragment[0] != '/')
    return NULL;

  fragment++;
  length = strcspn (fragment, "?");
  if (length == 0 || memchr (fragment, '/', length) != NULL)
    return NULL;

  return checked_user_id (unescape_id (fragment, length));
}

char *
duet_uri_parse_room_id (const char *text)
{
  g_autofree char *localpart = NULL;
  g_autofree char *room_id = NULL;
  gsize length;

  if (text == NULL || strlen (text) > MAX_INPUT_LENGTH || !g_utf8_validate (text, -1, NULL))
    return NULL;
  if (g_ascii_strncasecmp (text, "matrix:roomid/", 14) != 0)
    return NULL;
  text += 14;

  length = strcspn (text, "?#");
  if (length == 0 || memchr (text, '/', length) != NULL)
    return NULL;
  localpart = unescape_id (text, length);
  if (localpart == NULL || localpart[0] == '!')
    return NULL;

  room_id = g_strconcat ("!", localpart, NULL);
  if (!duet_matrix_is_valid_room_id (room_id))
    return NULL;
  return g_steal_pointer (&room_id);
}

char *
duet_uri_parse_user_id (const char *text)
{
  g_autofree char *trimmed = NULL;

  if (text == NULL || strlen (text) > MAX_INPUT_LENGTH)
    return NULL;
  if (!g_utf8_validate (text, -1, NULL))
    return NULL;

  trimmed = g_strstrip (g_strdup (text));

  if (trimmed[0] == '@')
    return checked_user_id (g_steal_pointer (&trimmed));

  if (g_ascii_strncasecmp (trimmed, "matrix:", 7) == 0)
    return parse_matrix_uri (trimmed + 7);

  /* People paste links without the scheme too. */
  if (g_ascii_strncasecmp (trimmed, "matrix.to/", 10) == 0)
    {
      g_autofree char *with_scheme = g_strconcat ("https://", trimmed, NULL);

      return parse_matrix_to (with_scheme);
    }

  return parse_matrix_to (trimmed);
}
