/* duet-test-homeserver-handlers-user.c: per-user endpoints and media
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Account data, filters, profiles, the user directory and the media
 * repository.  Routed from duet-test-homeserver-handlers.c.
 */
#include "duet-test-homeserver-private.h"

#include <string.h>

/* Account data and filters */

static void
account_data (HsRequest  *req,
              const char *room_id,
              const char *type)
{
  HsUser *user = g_hash_table_lookup (req->self->users, req->token->user_id);
  HsAccountData *data;

  if (user == NULL)
    {
      hs_request_respond_error (req, 403, "M_FORBIDDEN", "Not a local user");
      return;
    }
  if (room_id != NULL && hs_req_room (req, room_id) == NULL)
    return;
  if (g_str_equal (req->method, "PUT"))
    {
      hs_set_account_data (req->self, user, room_id, type, hs_req_body (req));
      hs_respond_empty (req);
      return;
    }
  data = hs_get_account_data (user, room_id, type);
  if (data == NULL)
    hs_request_respond_error (req, 404, "M_NOT_FOUND", "Account data not found");
  else
    hs_request_respond_json (req, 200, data->content);
}

void
hs_handle_account_data (HsRequest *req)
{
  if (hs_req_is_own_user (req, ARG (req, 1)))
    account_data (req, NULL, ARG (req, 3));
}

void
hs_handle_room_account_data (HsRequest *req)
{
  if (hs_req_is_own_user (req, ARG (req, 1)))
    account_data (req, ARG (req, 3), ARG (req, 5));
}

void
hs_handle_post_filter (HsRequest *req)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  char *filter_id = g_strdup_printf ("%u", g_hash_table_size (req->self->filters) + 1);

  if (!hs_req_is_own_user (req, ARG (req, 1)))
    {
      g_free (filter_id);
      return;
    }
  json_node_set_object (node, hs_req_body (req));
  g_hash_table_insert (req->self->filters, filter_id, json_to_string (node, FALSE));
  hs_respond_string (req, "filter_id", filter_id);
}

void
hs_handle_get_filter (HsRequest *req)
{
  const char *text = g_hash_table_lookup (req->self->filters, ARG (req, 3));

  if (!hs_req_is_own_user (req, ARG (req, 1)))
    return;
  if (text == NULL)
    {
      hs_request_respond_error (req, 404, "M_NOT_FOUND", "No such filter");
      return;
    }
  hs_request_respond_raw (req, 200, "application/json", text, strlen (text));
}

/* Profiles and the user directory */

static HsUser *
req_user (HsRequest  *req,
          const char *user_id)
{
  HsUser *user = g_hash_table_lookup (req->self->users, user_id);

  if (user == NULL)
    hs_request_respond_error (req, 404, "M_NOT_FOUND", "Profile not found");
  return user;
}

static void
set_profile_fields (JsonObject *object,
                    HsUser     *user,
                    const char *only)
{
  if (user->displayname != NULL && (only == NULL || g_str_equal (only, "displayname")))
    json_object_set_string_member (object, "displayname", user->displayname);
  if (user->avatar_url != NULL && (only == NULL || g_str_equal (only, "avatar_url")))
    json_object_set_string_member (object, "avatar_url", user->avatar_url);
}

void
hs_handle_get_profile (HsRequest *req)
{
  HsUser *user = req_user (req, ARG (req, 1));
  g_autoptr(JsonObject) response = json_object_new ();

  if (user == NULL)
    return;
  set_profile_fields (response, user, NULL);
  hs_request_respond_json (req, 200, response);
}

static gboolean
is_profile_field (HsRequest *req)
{
  if (g_str_equal (ARG (req, 2), "displayname") || g_str_equal (ARG (req, 2), "avatar_url"))
    return TRUE;
  hs_request_respond_error (req, 404, "M_UNRECOGNIZED", "Unknown profile field");
  return FALSE;
}

void
hs_handle_get_profile_field (HsRequest *req)
{
  HsUser *user;
  g_autoptr(JsonObject) response = json_object_new ();

  if (!is_profile_field (req) || (user = req_user (req, ARG (req, 1))) == NULL)
    return;
  set_profile_fields (response, user, ARG (req, 2));
  hs_request_respond_json (req, 200, response);
}

void
hs_handle_put_profile_field (HsRequest *req)
{
  HsUser *user;

  if (!is_profile_field (req) || !hs_req_is_own_user (req, ARG (req, 1)) ||
      (user = req_user (req, ARG (req, 1))) == NULL)
    return;
  hs_set_profile (req->self, user, ARG (req, 2), hs_body_string (req, ARG (req, 2)));
  hs_respond_empty (req);
}

static gboolean
user_matches (HsUser     *user,
              const char *folded_term)
{
  g_autofree char *id = g_utf8_casefold (user->user_id, -1);
  g_autofree char *name = user->displayname ? g_utf8_casefold (user->displayname, -1) : NULL;

  return strstr (id, folded_term) != NULL || (name != NULL && strstr (name, folded_term) != NULL);
}

static int
compare_users (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 ((*(HsUser * const *) a)->user_id, (*(HsUser * const *) b)->user_id);
}

void
hs_handle_user_directory (HsRequest *req)
{
  const char *term = hs_body_string (req, "search_term");
  guint limit = CLAMP (hs_json_get_int (hs_req_body (req), "limit", 10), 1, 1000);
  g_autofree char *folded = NULL;
  g_autoptr(GPtrArray) matches = g_ptr_array_new ();
  g_autoptr(JsonObject) response = json_object_new ();
  JsonArray *results = json_array_new ();
  GHashTableIter iter;
  HsUser *user;

  json_object_set_array_member (response, "results", results);
  if (term == NULL)
    {
      hs_request_respond_error (req, 400, "M_MISSING_PARAM", "Missing search_term");
      return;
    }
  folded = g_utf8_casefold (term, -1);
  /* Every local user is searchable, except the one searching. */
  g_hash_table_iter_init (&iter, req->self->users);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &user))
    if (!g_str_equal (user->user_id, req->token->user_id) && user_matches (user, folded))
      g_ptr_array_add (matches, user);
  g_ptr_array_sort (matches, compare_users);

  for (guint i = 0; i < matches->len && i < limit; i++)
    {
      JsonObject *result = json_object_new ();

      user = matches->pdata[i];
      json_object_set_string_member (result, "user_id", user->user_id);
      if (user->displayname != NULL)
        json_object_set_string_member (result, "display_name", user->displayname);
      if (user->avatar_url != NULL)
        json_object_set_string_member (result, "avatar_url", user->avatar_url);
      json_array_add_object_element (results, result);
    }
  json_object_set_boolean_member (response, "limited", matches->len > limit);
  hs_request_respond_json (req, 200, response);
}

/* Media: segs = _matrix, client, v1, media, download, server, id  or
 *        segs = _matrix, media, v3, download, server, id */

static void
serve_media (HsRequest  *req,
             const char *server,
             const char *media_id)
{
  HsMedia *media = g_hash_table_lookup (req->self->media, media_id);
  gsize size;
  gconstpointer data;

  if (!g_str_equal (server, HS_SERVER_NAME) || media == NULL)
    {
      hs_request_respond_error (req, 404, "M_NOT_FOUND", "Media not found");
      return;
    }
  data = g_bytes_get_data (media->data, &size);
  hs_request_respond_raw (req, 200, media->content_type, data, size);
  if (media->filename != NULL)
    {
      g_autofree char *escaped = g_uri_escape_string (media->filename, NULL, FALSE);
      g_autofree char *disposition = g_strdup_printf ("inline; filename*=utf-8''%s", escaped);

      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "Content-Disposition", disposition);
    }
}

void
hs_handle_media_v1 (HsRequest *req)
{
  if (!req->self->authenticated_media)
    {
      hs_request_respond_error (req, 404, "M_UNRECOGNIZED", "Unrecognized request");
      return;
    }
  serve_media (req, req->segs[5], req->segs[6]);
}

void
hs_handle_media_legacy (HsRequest *req)
{
  serve_media (req, req->segs[4], req->segs[5]);
}

void
hs_handle_media_config (HsRequest *req)
{
  g_autoptr(JsonObject) response = json_object_new ();

  if (g_str_equal (req->segs[1], "client") && !req->self->authenticated_media)
    {
      hs_request_respond_error (req, 404, "M_UNRECOGNIZED", "Unrecognized request");
      return;
    }
  json_object_set_int_member (response, "m.upload.size", 50 * 1024 * 1024);
  hs_request_respond_json (req, 200, response);
}

void
hs_handle_upload (HsRequest *req)
{
  SoupMessageBody *body = soup_server_message_get_request_body (req->msg);
  g_autoptr(GBytes) data = soup_message_body_flatten (body);
  const char *content_type = soup_message_headers_get_content_type (
    soup_server_message_get_request_headers (req->msg), NULL);
  g_autofree char *uri = duet_test_homeserver_add_media (req->self, data, content_type);
  HsMedia *media = g_hash_table_lookup (req->self->media, strrchr (uri, '/') + 1);

  media->filename = g_strdup (hs_query_param (req, "filename"));
  hs_respond_string (req, "content_uri", uri);
}
