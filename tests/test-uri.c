/* test-uri.c: what Start Chat takes as a user id from a pasted text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One table: each input and the user id it must give, or NULL when it must
 * be refused.  The hostile rows are the point: a link that looks like a
 * person but names another host, a room, an event or smuggles bytes.
 */
#include "config.h"

#include <string.h>

#include "duet-uri.h"

typedef struct {
  const char *input;
  const char *expected;   /* NULL: refused */
} UriCase;

static const UriCase cases[] = {
  /* Plain ids. */
  { "@bob:example.org", "@bob:example.org" },
  { "  @bob:example.org\n", "@bob:example.org" },
  { "@bob:example.org:8448", "@bob:example.org:8448" },
  { "@bob:[::1]:8448", "@bob:[::1]:8448" },
  { "@carol:localhost", "@carol:localhost" },
  { "@bob", NULL },
  { "@:example.org", NULL },
  { "bob:example.org", NULL },
  { "@bob:exa mple.org", NULL },
  { "@bob smith:example.org", NULL },
  { "@bob:example.org/extra", NULL },
  { "@bob:", NULL },
  { "", NULL },
  { "   ", NULL },
  { "bob", NULL },

  /* matrix: URIs. */
  { "matrix:u/bob:example.org", "@bob:example.org" },
  { "matrix:u/bob:example.org?action=chat", "@bob:example.org" },
  { "MATRIX:u/bob:example.org?action=chat", "@bob:example.org" },
  { "matrix:u/bob:example.org#fragment", "@bob:example.org" },
  { "matrix:u/bob%3Aexample.org", "@bob:example.org" },
  { "matrix:u/b%6Fb:example.org", "@bob:example.org" },
  { "matrix:u/@bob:example.org", NULL },
  { "matrix:u/", NULL },
  { "matrix:u/?action=chat", NULL },
  { "matrix:r/room:example.org", NULL },
  { "matrix:roomid/abc:example.org?action=join", NULL },
  { "matrix:u/bob:example.org/e/event", NULL },
  { "matrix://example.org/u/bob:example.org", NULL },
  { "matrix:user/bob:example.org", NULL },
  { "matrix:u/bob%2Fx:example.org", NULL },
  { "matrix:u/bob%00:example.org", NULL },
  { "matrix:u/bob%0A:example.org", NULL },
  { "matrix:u/bob%20smith:example.org", NULL },
  { "matrix:u/bob%:example.org", NULL },
  { "matrix:u/bob:exa%2Fmple.org", NULL },

  /* matrix.to links. */
  { "https://matrix.to/#/@bob:example.org", "@bob:example.org" },
  { "https://matrix.to/#/%40bob%3Aexample.org", "@bob:example.org" },
  { "https://matrix.to/#/@bob:example.org?via=example.org", "@bob:example.org" },
  { "HTTPS://MATRIX.TO/#/@bob:example.org", "@bob:example.org" },
  { "http://matrix.to/#/@bob:example.org", "@bob:example.org" },
  { "matrix.to/#/@bob:example.org", "@bob:example.org" },
  { "https://matrix.to#/@bob:example.org", "@bob:example.org" },
  { "https://matrix.to/#/!room:example.org", NULL },
  { "https://matrix.to/#/#alias:example.org", NULL },
  { "https://matrix.to/#/!room:example.org/$event", NULL },
  { "https://matrix.to/#/@bob:example.org/extra", NULL },
  { "https://matrix.to/#/", NULL },
  { "https://matrix.to/", NULL },
  { "https://matrix.to/#@bob:example.org", NULL },
  { "https://matrix.to/path/#/@bob:example.org", NULL },
  { "https://matrix.to/?x=1#/@bob:example.org", NULL },
  { "https://matrix.to.evil.example/#/@bob:example.org", NULL },
  { "https://evil.example/#/@bob:example.org", NULL },
  { "https://matrix.to@evil.example/#/@bob:example.org", NULL },
  { "https://user@matrix.to/#/@bob:example.org", NULL },
  { "https://matrix.to:8080/#/@bob:example.org", NULL },
  { "ftp://matrix.to/#/@bob:example.org", NULL },
  { "javascript:alert(1)//matrix.to/#/@bob:example.org", NULL },
  { "https://matrix.to/#/@bob%00:example.org", NULL },
  { "https://matrix.to/#/@bob%2F..%2F:example.org", NULL },
  { "https://matrix.to/#/@bob%0D%0A:example.org", NULL },
  { "https://matrix.to/#/@<b>bob</b>:example.org", NULL },

  /* Bytes that are not text, and ids out of bounds. */
  { "@b\xc3\xb6" "b:example.org", NULL },
  { "@bob\x7f:example.org", NULL },
  { "@bob:example.org\xff", NULL },
  { "\xe2\x80\xae@bob:example.org", NULL },
};

static void
test_uri_table (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *user_id = duet_uri_parse_user_id (cases[i].input);

      if (g_strcmp0 (user_id, cases[i].expected) != 0)
        g_error ("case %" G_GSIZE_FORMAT " \"%s\": expected %s, got %s",
                 i, cases[i].input,
                 cases[i].expected ? cases[i].expected : "(refused)",
                 user_id ? user_id : "(refused)");
    }
}

static void
test_uri_null (void)
{
  g_assert_null (duet_uri_parse_user_id (NULL));
}

/* An id of the longest allowed length passes; one byte more, in any of the
 * forms, does not; a huge paste is refused without parsing. */
static void
test_uri_lengths (void)
{
  g_autofree char *localpart = g_strnfill (255 - strlen ("@:example.org"), 'a');
  g_autofree char *longest = g_strconcat ("@", localpart, ":example.org", NULL);
  g_autofree char *too_long = g_strconcat ("@a", localpart, ":example.org", NULL);
  g_autofree char *uri_too_long = g_strconcat ("matrix:u/a", localpart, ":example.org", NULL);
  g_autofree char *link_too_long = g_strconcat ("https://matrix.to/#/@a", localpart, ":example.org", NULL);
  g_autofree char *huge = g_strnfill (1024 * 1024, '@');
  g_autofree char *parsed = duet_uri_parse_user_id (longest);
  g_autofree char *parsed_too_long = duet_uri_parse_user_id (too_long);
  g_autofree char *parsed_uri = duet_uri_parse_user_id (uri_too_long);
  g_autofree char *parsed_link = duet_uri_parse_user_id (link_too_long);
  g_autofree char *parsed_huge = duet_uri_parse_user_id (huge);

  g_assert_cmpuint (strlen (longest), ==, 255);
  g_assert_cmpstr (parsed, ==, longest);
  g_assert_null (parsed_too_long);
  g_assert_null (parsed_uri);
  g_assert_null (parsed_link);
  g_assert_null (parsed_huge);
}

static void
test_uri_room_ids (void)
{
  static const struct {
    const char *text;
    const char *room_id;
  } room_cases[] = {
    { "matrix:roomid/abc:example.org", "!abc:example.org" },
    { "matrix:roomid/abc:example.org?via=example.org", "!abc:example.org" },
    { "MATRIX:roomid/a%62c:example.org", "!abc:example.org" },
    { "matrix:roomid/!abc:example.org", NULL },
    { "matrix:roomid/abc:example.org/e/event", NULL },
    { "matrix:roomid/a%2Fb:example.org", NULL },
    { "matrix:roomid/", NULL },
    { "matrix:r/alias:example.org", NULL },
    { "matrix:u/bob:example.org", NULL },
    { "!abc:example.org", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (room_cases); i++)
    {
      g_autofree char *room_id = duet_uri_parse_room_id (room_cases[i].text);

      g_test_message ("%s", room_cases[i].text);
      g_assert_cmpstr (room_id, ==, room_cases[i].room_id);
    }
  g_assert_null (duet_uri_parse_room_id (NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/uri/table", test_uri_table);
  g_test_add_func ("/uri/null", test_uri_null);
  g_test_add_func ("/uri/lengths", test_uri_lengths);
  g_test_add_func ("/uri/room-ids", test_uri_room_ids);

  return g_test_run ();
}
