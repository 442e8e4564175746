/* test-ui-avatars.c: the avatar loader and a recycled contact row, against
 * the test homeserver's media (under Xvfb)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The homeserver counts media requests, so the memory and disk caches are
 * checked by what did not reach it; pictures are one flat colour each, so
 * what an avatar shows is read back from its texture's pixels.
 */
#include "config.h"

#include <adwaita.h>

#include "duet-avatar.h"
#include "duet-avatar-loader.h"
#include "duet-contact-private.h"
#include "duet-contact-row.h"
#include "duet-room-private.h"
#include "duet-test-utils.h"
#include "duet-ui-test-utils.h"

#define RED 0xff0000ff
#define GREEN 0x00ff00ff
#define BLUE 0x0000ffff

typedef struct {
  DuetTestFixture base;
  GtkWindow      *window;
  GtkBox         *box;
} AvatarFixture;

static void
avatar_setup (AvatarFixture *f,
              gconstpointer  data)
{
  duet_test_fixture_setup (&f->base, data);
  f->window = GTK_WINDOW (gtk_window_new ());
  f->box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 0));
  gtk_window_set_child (f->window, GTK_WIDGET (f->box));
  gtk_window_present (f->window);
}

static void
avatar_teardown (AvatarFixture *f,
                 gconstpointer  data)
{
  gtk_window_destroy (f->window);
  duet_test_run_for (50);
  duet_test_fixture_teardown (&f->base, data);
}

/* A 96×96 PNG of one colour on the homeserver: its mxc:// URI. */
static char *
add_picture (AvatarFixture *f,
             guint32        rgba)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 96, 96);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  char *data;
  gsize size;

  gdk_pixbuf_fill (pixbuf, rgba);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &data, &size, "png", &error, NULL));
  g_assert_no_error (error);
  bytes = g_bytes_new_take (data, size);
  return duet_test_homeserver_add_media (f->base.server, bytes, "image/png");
}

static guint
media_requests (AvatarFixture *f,
                const char    *mxc_uri)
{
  g_autofree char *path = NULL;

  g_assert_true (g_str_has_prefix (mxc_uri, "mxc://"));
  path = g_strconcat ("/_matrix/client/v1/media/download/", mxc_uri + strlen ("mxc://"), NULL);
  return duet_test_homeserver_count_requests (f->base.server, "GET", path);
}

typedef struct {
  AvatarFixture *f;
  const char    *mxc_uri;
} RequestQuery;

static gboolean
requested (gpointer data)
{
  RequestQuery *query = data;

  return media_requests (query->f, query->mxc_uri) > 0;
}

static void
wait_for_request (AvatarFixture *f,
                  const char    *mxc_uri)
{
  RequestQuery query = { f, mxc_uri };

  if (!duet_test_wait_until (requested, &query, DUET_TEST_TIMEOUT_MS))
    g_error ("%s was never asked for", mxc_uri);
}

static AdwAvatar *
add_avatar (AvatarFixture *f,
            int            size)
{
  GtkWidget *avatar = adw_avatar_new (size, "Someone", TRUE);

  gtk_box_append (f->box, avatar);
  return ADW_AVATAR (avatar);
}

/* The picture an avatar shows: an AdwAvatar, or the lists' DuetAvatar. */
static GdkTexture *
shown_texture (gpointer avatar)
{
  GdkPaintable *image = DUET_IS_AVATAR (avatar) ? duet_avatar_get_custom_image (avatar)
                                                : adw_avatar_get_custom_image (avatar);

  g_assert_true (image == NULL || GDK_IS_TEXTURE (image));
  return image != NULL ? GDK_TEXTURE (image) : NULL;
}

/* The colour of the texture's middle pixel, as 0xRRGGBBAA. */
static guint32
texture_colour (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  g_autofree guchar *pixels = g_malloc (width * height * 4);
  const guchar *p;
  guint32 argb;

  gdk_texture_download (texture, pixels, width * 4);
  p = pixels + (height / 2) * width * 4 + (width / 2) * 4;
  /* Cairo's ARGB32, native endian. */
  argb = *(const guint32 *) p;
  return (argb << 8) | (argb >> 24);
}

static gboolean
avatar_has_image (gpointer data)
{
  return shown_texture (data) != NULL;
}

static const char *
avatar_text (gpointer avatar)
{
  return DUET_IS_AVATAR (avatar) ? duet_avatar_get_text (avatar) : avatar_text (avatar);
}

static GdkTexture *
wait_for_texture (gpointer avatar)
{
  if (!duet_test_wait_until (avatar_has_image, avatar, DUET_TEST_TIMEOUT_MS))
    g_error ("the avatar never showed its picture");
  return shown_texture (avatar);
}

/* --- The loader ------------------------------------------------------------- */

static void
test_memory_cache (AvatarFixture *f,
                   gconstpointer  data)
{
  g_autofree char *red = add_picture (f, RED);
  AdwAvatar *first = add_avatar (f, 40);
  AdwAvatar *second = add_avatar (f, 40);
  AdwAvatar *bigger = add_avatar (f, 64);
  GdkTexture *texture, *big;
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (first));

  duet_avatar_loader_set_avatar (first, f->base.client, red);
  texture = wait_for_texture (first);
  g_assert_cmphex (texture_colour (texture), ==, RED);
  /* Decoded at the size it is drawn at, not the file's 96 px. */
  g_assert_cmpint (gdk_texture_get_width (texture), ==, 40 * scale);
  g_assert_cmpuint (media_requests (f, red), ==, 1);
  g_assert_cmpuint (duet_avatar_loader_get_cache_count (f->base.client), ==, 1);

  /* Another avatar of that size: the same texture at once, no request. */
  duet_avatar_loader_set_avatar (second, f->base.client, red);
  g_assert_true (shown_texture (second) == texture);
  duet_test_run_for (300);
  g_assert_true (shown_texture (second) == texture);
  g_assert_cmpuint (media_requests (f, red), ==, 1);

  /* Setting the picture it shows again changes nothing. */
  duet_avatar_loader_set_avatar (first, f->base.client, red);
  g_assert_true (shown_texture (first) == texture);

  /* Another size is decoded anew, from the file on disk: still one request. */
  duet_avatar_loader_set_avatar (bigger, f->base.client, red);
  g_assert_null (shown_texture (bigger));
  big = wait_for_texture (bigger);
  g_assert_true (big != texture);
  g_assert_cmpint (gdk_texture_get_width (big), ==, 64 * scale);
  g_assert_cmphex (texture_colour (big), ==, RED);
  g_assert_cmpuint (media_requests (f, red), ==, 1);
  g_assert_cmpuint (duet_avatar_loader_get_cache_count (f->base.client), ==, 2);

  /* No picture: the initials again. */
  duet_avatar_loader_set_avatar (first, f->base.client, NULL);
  g_assert_null (shown_texture (first));
  duet_avatar_loader_set_avatar (second, f->base.client, "");
  g_assert_null (shown_texture (second));
}

static void
test_never_stale (AvatarFixture *f,
                  gconstpointer  data)
{
  g_autofree char *red = add_picture (f, RED);
  g_autofree char *green = add_picture (f, GREEN);
  g_autofree char *blue = add_picture (f, BLUE);
  g_autofree char *green_path = NULL;
  AdwAvatar *avatar = add_avatar (f, 40);
  GdkTexture *red_texture;

  duet_avatar_loader_set_avatar (avatar, f->base.client, red);
  red_texture = wait_for_texture (avatar);
  g_assert_cmphex (texture_colour (red_texture), ==, RED);

  /* Another picture: the old one goes at once, the new one comes. */
  duet_avatar_loader_set_avatar (avatar, f->base.client, blue);
  g_assert_null (shown_texture (avatar));
  g_assert_cmphex (texture_colour (wait_for_texture (avatar)), ==, BLUE);

  /* A slow picture, then back to a cached one before it arrives: the slow
   * one never lands over it. */
  green_path = g_strconcat ("/_matrix/client/v1/media/download/", green + strlen ("mxc://"), NULL);
  duet_test_homeserver_add_fault (f->base.server, "GET", green_path, 1, DUET_FAULT_HANG, 0, 400, NULL);
  duet_avatar_loader_set_avatar (avatar, f->base.client, green);
  g_assert_null (shown_texture (avatar));
  /* Past the loader's delay: the request is out. */
  wait_for_request (f, green);
  duet_avatar_loader_set_avatar (avatar, f->base.client, red);
  g_assert_true (shown_texture (avatar) == red_texture);
  duet_test_run_for (800);
  g_assert_true (shown_texture (avatar) == red_texture);
}

static void
test_fly_past (AvatarFixture *f,
               gconstpointer  data)
{
  g_autofree char *red = add_picture (f, RED);
  g_autofree char *blue = add_picture (f, BLUE);
  AdwAvatar *avatar = add_avatar (f, 40);

  /* Shown for less than the loader's delay, as a row scrolled past: never
   * asked for. */
  duet_avatar_loader_set_avatar_lazily (avatar, f->base.client, red);
  duet_test_run_for (20);
  duet_avatar_loader_set_avatar_lazily (avatar, f->base.client, blue);
  g_assert_cmphex (texture_colour (wait_for_texture (avatar)), ==, BLUE);
  duet_test_run_for (200);
  g_assert_cmpuint (media_requests (f, red), ==, 0);
  g_assert_cmpuint (media_requests (f, blue), ==, 1);
  g_assert_cmphex (texture_colour (shown_texture (avatar)), ==, BLUE);
}

static void
test_cache_bound (AvatarFixture *f,
                  gconstpointer  data)
{
  g_autofree char *red = add_picture (f, RED);
  g_autofree char *green = add_picture (f, GREEN);
  g_autofree char *blue = add_picture (f, BLUE);
  const char *uris[] = { red, green, blue };
  AdwAvatar *again = add_avatar (f, 40);
  GdkTexture *red_texture = NULL;

  duet_avatar_loader_set_cache_limit (f->base.client, 2);
  for (guint i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      AdwAvatar *avatar = add_avatar (f, 40);

      duet_avatar_loader_set_avatar (avatar, f->base.client, uris[i]);
      if (i == 0)
        red_texture = g_object_ref (wait_for_texture (avatar));
      else
        wait_for_texture (avatar);
      g_assert_cmpuint (duet_avatar_loader_get_cache_count (f->base.client), <=, 2);
    }
  g_assert_cmpuint (duet_avatar_loader_get_cache_count (f->base.client), ==, 2);

  /* The least recently shown went out of memory: decoded again from the
   * file on disk, with no second request. */
  duet_avatar_loader_set_avatar (again, f->base.client, red);
  g_assert_null (shown_texture (again));
  g_assert_true (wait_for_texture (again) != red_texture);
  g_assert_cmphex (texture_colour (shown_texture (again)), ==, RED);
  g_assert_cmpuint (media_requests (f, red), ==, 1);
  g_assert_cmpuint (duet_avatar_loader_get_cache_count (f->base.client), ==, 2);
  g_object_unref (red_texture);
}

/* --- A recycled contact row ------------------------------------------------ */

/* The text a label or an inscription (the contact rows' name and message) shows. */
static const char *
shown_text (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    return gtk_label_get_text (GTK_LABEL (widget));
  if (GTK_IS_INSCRIPTION (widget))
    return gtk_inscription_get_text (GTK_INSCRIPTION (widget));
  return NULL;
}

static gboolean
label_in (GtkWidget  *root,
          const char *text)
{
  if (g_strcmp0 (shown_text (root), text) == 0)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (label_in (child, text))
      return TRUE;
  return FALSE;
}

static GtkWidget *
find_badge (GtkWidget *root)
{
  if (GTK_IS_LABEL (root) && gtk_widget_has_css_class (root, "duet-unread-badge"))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_badge (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static DuetContact *
new_contact (const char *user_id,
             const char *name,
             const char *avatar_url)
{
  DuetContact *contact = _duet_contact_new (user_id);

  _duet_contact_update (contact, NULL, name, avatar_url);
  return contact;
}

/* As the contacts page's factory does: unbind, then bind the next item. */
static void
rebind (DuetContactRow *row,
        DuetContact    *contact)
{
  duet_contact_row_unbind (row);
  g_assert_null (duet_contact_row_get_contact (row));
  duet_contact_row_set_contact (row, contact);
}

static void
test_row_rebind (AvatarFixture *f,
                 gconstpointer  data)
{
  g_autofree char *red = add_picture (f, RED);
  g_autofree char *blue = add_picture (f, BLUE);
  g_autoptr(DuetContact) alice = new_contact ("@alice:localhost", "Alice", red);
  g_autoptr(DuetContact) bob = new_contact ("@bob:localhost", "Bob", blue);
  g_autoptr(DuetContact) carol = new_contact ("@carol:localhost", "Carol", NULL);
  DuetContactRow *row = DUET_CONTACT_ROW (duet_contact_row_new ());
  DuetAvatar *avatar;
  GdkTexture *alice_texture;

  gtk_box_append (f->box, GTK_WIDGET (row));
  avatar = DUET_AVATAR (duet_ui_test_find_widget (GTK_WIDGET (row), DUET_TYPE_AVATAR));
  duet_contact_row_set_client (row, f->base.client);

  duet_contact_row_set_contact (row, alice);
  alice_texture = wait_for_texture (avatar);
  g_assert_cmphex (texture_colour (alice_texture), ==, RED);
  g_assert_cmpstr (avatar_text (avatar), ==, "Alice");

  /* Recycled for Bob: never Alice's picture, then Bob's. */
  rebind (row, bob);
  g_assert_true (label_in (GTK_WIDGET (row), "Bob"));
  g_assert_cmpstr (avatar_text (avatar), ==, "Bob");
  g_assert_null (shown_texture (avatar));
  g_assert_cmphex (texture_colour (wait_for_texture (avatar)), ==, BLUE);

  /* Carol has no picture: her initials, and nothing lands later. */
  rebind (row, carol);
  g_assert_null (shown_texture (avatar));
  g_assert_cmpstr (avatar_text (avatar), ==, "Carol");
  duet_test_run_for (300);
  g_assert_null (shown_texture (avatar));

  /* Alice again: her picture at once, from memory. */
  rebind (row, alice);
  g_assert_true (shown_texture (avatar) == alice_texture);
  g_assert_cmpuint (media_requests (f, red), ==, 1);

  /* An unbound row no longer follows its contact. */
  duet_contact_row_unbind (row);
  _duet_contact_update (alice, NULL, "Alice Renamed", blue);
  g_assert_false (label_in (GTK_WIDGET (row), "Alice Renamed"));

  /* A bound one does, picture included. */
  duet_contact_row_set_contact (row, alice);
  g_assert_true (label_in (GTK_WIDGET (row), "Alice Renamed"));
  g_assert_cmphex (texture_colour (shown_texture (avatar)), ==, BLUE);
  _duet_contact_update (alice, NULL, "Alice", red);
  g_assert_true (shown_texture (avatar) == alice_texture);
  g_assert_cmpuint (media_requests (f, blue), ==, 1);
}

/* A row that showed a picture and is bound to someone without one shows
 * their initials as an avatar made for them does, not the previous
 * person's ("MW" is wide, "I" narrow). */
static void
test_row_initials_sized (AvatarFixture *f,
                         gconstpointer  data)
{
  g_autofree char *red = add_picture (f, RED);
  g_autoptr(DuetContact) mia = new_contact ("@mia:localhost", "Mia Wong", red);
  g_autoptr(DuetContact) ian = new_contact ("@ian:localhost", "Ian", NULL);
  DuetContactRow *row = DUET_CONTACT_ROW (duet_contact_row_new ());
  GtkWidget *avatar, *reference;
  g_autofree guint32 *expected = NULL;
  g_autofree guint32 *shown = NULL;
  int size, width, height;

  gtk_box_append (f->box, GTK_WIDGET (row));
  avatar = duet_ui_test_find_widget (GTK_WIDGET (row), DUET_TYPE_AVATAR);
  size = duet_avatar_get_size (DUET_AVATAR (avatar));
  reference = duet_avatar_new (size);
  gtk_widget_set_halign (reference, GTK_ALIGN_START);
  gtk_box_append (f->box, reference);
  duet_avatar_set_text (DUET_AVATAR (reference), "Ian");
  duet_contact_row_set_client (row, f->base.client);

  duet_contact_row_set_contact (row, mia);
  wait_for_texture (avatar);
  rebind (row, ian);
  g_assert_null (shown_texture (avatar));
  g_assert_true (duet_test_wait_until (duet_ui_test_mapped, reference, DUET_TEST_TIMEOUT_MS));
  duet_test_run_for (50);

  g_assert_cmpint (gtk_widget_get_width (avatar), ==, size);
  g_assert_cmpint (gtk_widget_get_width (reference), ==, size);
  g_assert_cmpint (gtk_widget_get_height (reference), ==, size);
  expected = duet_ui_test_render (reference, &width, &height);
  shown = duet_ui_test_render (avatar, &width, &height);
  g_assert_cmpmem (shown, size * size * 4, expected, size * size * 4);
}

static void
count_cb (GObject    *emitter,
          GParamSpec *pspec,
          guint      *count)
{
  (*count)++;
}

/* A new message notifies last-message, last-activity and unread-count
 * together: the row shows all three, and redoes only what changed (the
 * avatar request and the name are left alone). */
static void
test_row_new_message (AvatarFixture *f,
                      gconstpointer  data)
{
  g_autofree char *red = add_picture (f, RED);
  g_autoptr(DuetRoom) room = _duet_room_new ("!dm:localhost", "@alice:localhost");
  g_autoptr(DuetContact) bob = _duet_contact_new ("@bob:localhost");
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = NULL;
  DuetContactRow *row = DUET_CONTACT_ROW (duet_contact_row_new ());
  DuetAvatar *avatar;
  GdkTexture *texture;
  guint avatar_changes = 0, name_changes = 0;

  gtk_box_append (f->box, GTK_WIDGET (row));
  avatar = DUET_AVATAR (duet_ui_test_find_widget (GTK_WIDGET (row), DUET_TYPE_AVATAR));
  duet_contact_row_set_client (row, f->base.client);
  _duet_room_set_last_message (room, "Hello");
  _duet_room_note_activity (room, 1000);
  _duet_contact_update (bob, room, "Bob", red);
  duet_contact_row_set_contact (row, bob);
  texture = wait_for_texture (avatar);
  g_assert_true (label_in (GTK_WIDGET (row), "Hello"));
  g_assert_false (label_in (GTK_WIDGET (row), "3"));

  g_signal_connect (avatar, "notify::custom-image", G_CALLBACK (count_cb), &avatar_changes);
  g_signal_connect (avatar, "notify::text", G_CALLBACK (count_cb), &name_changes);
  _duet_room_set_last_message (room, "Are you there?");
  _duet_room_note_activity (room, g_date_time_to_unix (now) * 1000);
  _duet_room_set_unread_count (room, 3);
  _duet_contact_update (bob, room, "Bob", red);

  time = duet_contact_row_format_time (g_date_time_to_unix (now) * 1000, now);
  g_assert_true (label_in (GTK_WIDGET (row), "Are you there?"));
  g_assert_true (label_in (GTK_WIDGET (row), time));
  g_assert_true (label_in (GTK_WIDGET (row), "3"));
  g_assert_cmpuint (avatar_changes, ==, 0);
  g_assert_cmpuint (name_changes, ==, 0);
  g_assert_true (shown_texture (avatar) == texture);

  /* Read: the badge goes. */
  _duet_room_set_unread_count (room, 0);
  _duet_contact_update (bob, room, "Bob", red);
  g_assert_false (gtk_widget_get_visible (find_badge (GTK_WIDGET (row))));

  /* A long message: the row shows its first hundred characters. */
  {
    g_autoptr(GString) longer = g_string_new (NULL);
    g_autofree char *shown = NULL;

    for (guint i = 0; i < 60; i++)
      g_string_append (longer, "é ");
    _duet_room_set_last_message (room, longer->str);
    _duet_contact_update (bob, room, "Bob", red);
    g_assert_false (label_in (GTK_WIDGET (row), longer->str));
    g_string_truncate (longer, strlen ("é ") * 50);
    shown = g_strconcat (longer->str, "…", NULL);
    g_assert_true (label_in (GTK_WIDGET (row), shown));
  }

  /* Renamed: the name and the initials follow. */
  _duet_contact_update (bob, room, "Robert", red);
  g_assert_true (label_in (GTK_WIDGET (row), "Robert"));
  g_assert_cmpstr (avatar_text (avatar), ==, "Robert");
  g_assert_cmpuint (name_changes, ==, 1);
}

/* A row recycled from one person to another shows the second one's every
 * field (name, message, time, unread badge), none of the first's. */
static void
test_row_rebind_every_field (AvatarFixture *f,
                             gconstpointer  data)
{
  g_autoptr(DuetRoom) room_a = _duet_room_new ("!a:localhost", "@alice:localhost");
  g_autoptr(DuetRoom) room_b = _duet_room_new ("!b:localhost", "@alice:localhost");
  g_autoptr(DuetContact) dana = _duet_contact_new ("@dana:localhost");
  g_autoptr(DuetContact) eve = _duet_contact_new ("@eve:localhost");
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *dana_time = NULL;
  g_autofree char *eve_time = NULL;
  DuetContactRow *row = DUET_CONTACT_ROW (duet_contact_row_new ());
  DuetAvatar *avatar;

  gtk_box_append (f->box, GTK_WIDGET (row));
  avatar = DUET_AVATAR (duet_ui_test_find_widget (GTK_WIDGET (row), DUET_TYPE_AVATAR));
  duet_contact_row_set_client (row, f->base.client);
  _duet_room_set_last_message (room_a, "See you at eight");
  _duet_room_note_activity (room_a, g_date_time_to_unix (now) * 1000);
  _duet_room_set_unread_count (room_a, 4);
  _duet_contact_update (dana, room_a, "Dana", NULL);
  _duet_room_set_last_message (room_b, "Thanks!");
  _duet_room_note_activity (room_b, 86400000);
  _duet_contact_update (eve, room_b, "Eve", NULL);
  dana_time = duet_contact_row_format_time (g_date_time_to_unix (now) * 1000, now);
  eve_time = duet_contact_row_format_time (86400000, now);
  g_assert_cmpstr (dana_time, !=, eve_time);

  duet_contact_row_set_contact (row, dana);
  g_assert_true (label_in (GTK_WIDGET (row), "Dana"));
  g_assert_true (label_in (GTK_WIDGET (row), "See you at eight"));
  g_assert_true (label_in (GTK_WIDGET (row), dana_time));
  g_assert_true (label_in (GTK_WIDGET (row), "4"));
  g_assert_true (gtk_widget_get_visible (find_badge (GTK_WIDGET (row))));

  rebind (row, eve);
  g_assert_true (label_in (GTK_WIDGET (row), "Eve"));
  g_assert_true (label_in (GTK_WIDGET (row), "Thanks!"));
  g_assert_true (label_in (GTK_WIDGET (row), eve_time));
  g_assert_cmpstr (avatar_text (avatar), ==, "Eve");
  g_assert_false (label_in (GTK_WIDGET (row), "Dana"));
  g_assert_false (label_in (GTK_WIDGET (row), "See you at eight"));
  g_assert_false (label_in (GTK_WIDGET (row), dana_time));
  g_assert_false (gtk_widget_get_visible (find_badge (GTK_WIDGET (row))));

  /* And back: all of the first one's again. */
  rebind (row, dana);
  g_assert_true (label_in (GTK_WIDGET (row), "Dana"));
  g_assert_true (label_in (GTK_WIDGET (row), "See you at eight"));
  g_assert_true (label_in (GTK_WIDGET (row), dana_time));
  g_assert_true (label_in (GTK_WIDGET (row), "4"));
  g_assert_true (gtk_widget_get_visible (find_badge (GTK_WIDGET (row))));
}

/* The child of @row whose text is @text. */
static GtkWidget *
child_with_text (GtkWidget  *row,
                 const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (row); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (g_strcmp0 (shown_text (child), text) == 0)
      return child;
  g_error ("no child shows \"%s\"", text);
}

static graphene_rect_t
bounds_in (GtkWidget *child,
           GtkWidget *row)
{
  graphene_rect_t bounds;

  g_assert_true (gtk_widget_compute_bounds (child, row, &bounds));
  return bounds;
}

static gboolean
laid_out (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_width (data) > 100;
}

/* Avatar at the start, the name and the time on the first line, the
 * message and the badge under them, ends flush with the row's end; and all
 * of it mirrored right to left. */
static void
check_row_layout (DuetContactRow *row,
                  gboolean        rtl)
{
  GtkWidget *widget = GTK_WIDGET (row);
  int width = gtk_widget_get_width (widget);
  graphene_rect_t avatar = bounds_in (duet_ui_test_find_widget (widget, DUET_TYPE_AVATAR), widget);
  graphene_rect_t name = bounds_in (child_with_text (widget, "Dana"), widget);
  graphene_rect_t time = bounds_in (child_with_text (widget, "Yesterday"), widget);
  graphene_rect_t message = bounds_in (child_with_text (widget, "See you at eight"), widget);
  graphene_rect_t badge = bounds_in (find_badge (widget), widget);
  int minimum, natural;

  gtk_widget_measure (widget, GTK_ORIENTATION_VERTICAL, width, &minimum, &natural, NULL, NULL);
  g_assert_cmpint (gtk_widget_get_height (widget), ==, natural);
  g_assert_cmpfloat (avatar.size.width, ==, 40);
  g_assert_cmpfloat (avatar.size.height, ==, 40);
  /* 6 px above and below, the avatar centred. */
  g_assert_cmpfloat (avatar.origin.y, >=, 6);
  g_assert_cmpfloat (avatar.origin.y + 40, <=, gtk_widget_get_height (widget) - 6);
  /* Two lines, 2 px apart. */
  g_assert_cmpfloat (message.origin.y, ==, name.origin.y + name.size.height + 2);
  g_assert_cmpfloat (time.origin.y, >=, name.origin.y);
  g_assert_cmpfloat (time.origin.y + time.size.height, <=, name.origin.y + name.size.height);
  g_assert_cmpfloat (badge.origin.y, >=, message.origin.y);
  g_assert_cmpfloat (badge.size.width, >, 0);

  if (!rtl)
    {
      g_assert_cmpfloat (avatar.origin.x, ==, 0);
      g_assert_cmpfloat (name.origin.x, ==, 52);
      g_assert_cmpfloat (message.origin.x, ==, 52);
      g_assert_cmpfloat (time.origin.x, ==, name.origin.x + name.size.width + 6);
      g_assert_cmpfloat (time.origin.x + time.size.width, ==, width);
      g_assert_cmpfloat (badge.origin.x, ==, message.origin.x + message.size.width + 6);
      g_assert_cmpfloat (badge.origin.x + badge.size.width, ==, width);
    }
  else
    {
      g_assert_cmpfloat (avatar.origin.x + 40, ==, width);
      g_assert_cmpfloat (name.origin.x + name.size.width, ==, width - 52);
      g_assert_cmpfloat (message.origin.x + message.size.width, ==, width - 52);
      g_assert_cmpfloat (time.origin.x + time.size.width + 6, ==, name.origin.x);
      g_assert_cmpfloat (time.origin.x, ==, 0);
      g_assert_cmpfloat (badge.origin.x + badge.size.width + 6, ==, message.origin.x);
      g_assert_cmpfloat (badge.origin.x, ==, 0);
    }
}

static void
test_row_layout (AvatarFixture *f,
                 gconstpointer  data)
{
  g_autoptr(DuetRoom) room = _duet_room_new ("!dm:localhost", "@alice:localhost");
  g_autoptr(DuetContact) dana = _duet_contact_new ("@dana:localhost");
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) yesterday = g_date_time_add_days (now, -1);
  DuetContactRow *row = DUET_CONTACT_ROW (duet_contact_row_new ());

  gtk_window_set_default_size (f->window, 360, -1);
  gtk_box_append (f->box, GTK_WIDGET (row));
  _duet_room_set_last_message (room, "See you at eight");
  _duet_room_note_activity (room, g_date_time_to_unix (yesterday) * 1000);
  _duet_room_set_unread_count (room, 3);
  _duet_contact_update (dana, room, "Dana", NULL);
  duet_contact_row_set_contact (row, dana);
  g_assert_true (duet_test_wait_until (laid_out, row, DUET_TEST_TIMEOUT_MS));
  duet_test_run_for (50);
  check_row_layout (row, FALSE);

  gtk_widget_set_direction (GTK_WIDGET (row), GTK_TEXT_DIR_RTL);
  duet_test_run_for (100);
  check_row_layout (row, TRUE);

  /* What a screen reader meets: a plain widget, as the AdwBin it was. */
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (row)), ==, GTK_ACCESSIBLE_ROLE_WIDGET);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();

#define ADD(path, func) \
  g_test_add ("/ui/avatars/" path, AvatarFixture, NULL, avatar_setup, func, avatar_teardown)

  ADD ("memory-cache", test_memory_cache);
  ADD ("never-stale", test_never_stale);
  ADD ("fly-past", test_fly_past);
  ADD ("cache-bound", test_cache_bound);
  ADD ("row-rebind", test_row_rebind);
  ADD ("row-rebind-every-field", test_row_rebind_every_field);
  ADD ("row-new-message", test_row_new_message);
  ADD ("row-initials-sized", test_row_initials_sized);
  ADD ("row-layout", test_row_layout);

#undef ADD

  return g_test_run ();
}
