/* duet-matrix-id.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "duet-api-error.h"
#include "duet-matrix-id.h"

static gboolean
is_valid_port (const char *port)
{
  gsize len = strlen (port);
  guint64 value;

  if (len == 0 || len > 5)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (port[i]))
      return FALSE;

  value = g_ascii_strtoull (port, NULL, 10);
  return value > 0 && value <= 65535;
}

static gboolean
is_valid_dns_name (const char *host,
                   gsize       len)
{
  if (len == 0 || len > 255)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = host[i];

      if (!g_ascii_isalnum (c) && c != '-' && c != '.')
        return FALSE;
    }

  /* No empty labels. */
  return host[0] != '.' && strstr (host, "..") == NULL;
}

static gboolean
is_valid_ipv6_literal (const char *host,
                       gsize       len)
{
  if (len < 4 || len > 47 || host[0] != '[' || host[len - 1] != ']')
    return FALSE;

  for (gsize i = 1; i + 1 < len; i++)
    if (!g_ascii_isxdigit (host[i]) && host[i] != ':' && host[i] != '.')
      return FALSE;

  return TRUE;
}

/* server_name = hostname [ ":" port ], hostname = IPv4 / "[" IPv6 "]" / DNS name */
gboolean
duet_matrix_is_valid_server_name (const char *server_name)
{
  const char *colon;
  gsize host_len;

  if (server_name == NULL || *server_name == '\0' ||
      strlen (server_name) > DUET_MATRIX_ID_MAX_LENGTH)
    return FALSE;

  if (server_name[0] == '[')
    {
      const char *end = strchr (server_name, ']');

      if (end == NULL)
        return FALSE;
      host_len = end - server_name + 1;
      if (!is_valid_ipv6_literal (server_name, host_len))
        return FALSE;
      if (end[1] == '\0')
        return TRUE;
      return end[1] == ':' && is_valid_port (end + 2);
    }

  colon = strchr (server_name, ':');
  host_len = colon != NULL ? (gsize) (colon - server_name) : strlen (server_name);

  /* IPv4 literals are a subset of what the DNS check accepts. */
  if (!is_valid_dns_name (server_name, host_len))
    return FALSE;

  return colon == NULL || is_valid_port (colon + 1);
}

static gboolean
is_valid_sigil_id (const char *id,
                   char        sigil,
                   gboolean    needs_server)
{
  const char *colon;

  if (id == NULL || id[0] != sigil || strlen (id) > DUET_MATRIX_ID_MAX_LENGTH)
    return FALSE;

  /* Printable ASCII only: no spaces, controls, or anything to smuggle. */
  for (const char *p = id + 1; *p != '\0'; p++)
    if (*p <= 0x20 || *p >= 0x7f)
      return FALSE;

  colon = strchr (id, ':');
  if (colon == NULL)
    return !needs_server && id[1] != '\0';

  return colon > id + 1 && duet_matrix_is_valid_server_name (colon + 1);
}

gboolean
duet_matrix_is_valid_user_id (const char *user_id)
{
  return is_valid_sigil_id (user_id, '@', TRUE);
}

/* Room version 12 room ids carry no server name. */
gboolean
duet_matrix_is_valid_room_id (const char *room_id)
{
  return is_valid_sigil_id (room_id, '!', FALSE);
}

gboolean
duet_matrix_is_valid_event_id (const char *event_id)
{
  return is_valid_sigil_id (event_id, '$', FALSE);
}

/* Only "localhost" and loopback address literals: a name like
 * "127.example.net" is an ordinary, remote host. */
gboolean
duet_matrix_is_loopback_host (const char *host)
{
  g_autofree char *literal = NULL;
  g_autoptr(GInetAddress) address = NULL;
  gsize len;

  if (host == NULL)
    return FALSE;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  len = strlen (host);
  if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    literal = g_strndup (host + 1, len - 2);
  else
    literal = g_strdup (host);

  address = g_inet_address_new_from_string (literal);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

gboolean
duet_mxc_parse (const char  *uri,
                char       **server_name,
                char       **media_id,
                GError     **error)
{
  const char *rest;
  const char *slash;
  g_autofree char *server = NULL;

  if (uri == NULL || !g_str_has_prefix (uri, "mxc://"))
    {
      g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                           "Not an mxc:// URI");
      return FALSE;
    }

  rest = uri + strlen ("mxc://");
  slash = strchr (rest, '/');
  if (slash == NULL)
    {
      g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                           "The mxc:// URI has no media id");
      return FALSE;
    }

  server = g_strndup (rest, slash - rest);
  if (!duet_matrix_is_valid_server_name (server))
    {
      g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                           "The mxc:// URI names an invalid server");
      return FALSE;
    }

  if (slash[1] == '\0' || strlen (slash + 1) > DUET_MATRIX_ID_MAX_LENGTH)
    {
      g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                           "The mxc:// URI has an invalid media id");
      return FALSE;
    }

  for (const char *p = slash + 1; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      {
        g_set_error_literal (error, DUET_API_ERROR, DUET_API_ERROR_INVALID_ARGUMENT,
                             "The mxc:// URI has an invalid media id");
        return FALSE;
      }

  if (server_name != NULL)
    *server_name = g_steal_pointer (&server);
  if (media_id != NULL)
    *media_id = g_strdup (slash + 1);

  return TRUE;
}
