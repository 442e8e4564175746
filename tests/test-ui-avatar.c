/* test-ui-avatar.c: DuetAvatar looks like AdwAvatar (under Xvfb)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The list rows draw their avatars with DuetAvatar, the chat header and
 * dialogs with AdwAvatar: a person must look the same in both.  So the two
 * are drawn side by side and compared: initials, colour, pixels.
 */
#include "config.h"

#include <adwaita.h>

#include "duet-avatar.h"
#include "duet-test-utils.h"
#include "duet-ui-test-utils.h"

typedef struct {
  GtkWindow *window;
  GtkBox    *box;
} Fixture;

/* Names that exercise AdwAvatar's rule: one word, several, spaces around,
 * lower case, accents (composed and decomposed), other scripts, emoji. */
static const char *const names[] = {
  "Alice",
  "bob",
  "Ada B. Lovelace",
  "  Carol Danvers  ",
  "élodie ñúñez",
  "e\xcc\x81mile zola",      /* "émile" with a combining accent */
  "李小龙",
  "Анна Каренина",
  "@dave:example.org",
  "🙂 Smiley",
  "x",
  "Mia Wong",
  "Jean-Luc Picard",
  "ß straße",
};

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->window = GTK_WINDOW (gtk_window_new ());
  f->box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0));
  gtk_widget_set_halign (GTK_WIDGET (f->box), GTK_ALIGN_START);
  gtk_widget_set_valign (GTK_WIDGET (f->box), GTK_ALIGN_START);
  gtk_window_set_child (f->window, GTK_WIDGET (f->box));
  gtk_window_present (f->window);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  gtk_window_destroy (f->window);
  duet_test_run_for (20);
}

/* The colorN class AdwAvatar put on one of its widgets: N. */
static guint
adw_avatar_color (GtkWidget *root)
{
  g_auto(GStrv) classes = gtk_widget_get_css_classes (root);

  for (guint i = 0; classes[i] != NULL; i++)
    if (g_str_has_prefix (classes[i], "color"))
      return (guint) g_ascii_strtoull (classes[i] + strlen ("color"), NULL, 10);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      guint color = adw_avatar_color (child);

      if (color != 0)
        return color;
    }
  return 0;
}

static void
test_initials_and_colors (Fixture       *f,
                          gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GtkWidget *reference = adw_avatar_new (40, names[i], TRUE);
      GtkWidget *label = duet_ui_test_find_widget (reference, GTK_TYPE_LABEL);
      g_autofree char *initials = duet_avatar_initials_for_text (names[i]);

      g_test_message ("%s: AdwAvatar \"%s\" color%u, DuetAvatar \"%s\" color%u", names[i],
                      gtk_label_get_text (GTK_LABEL (label)), adw_avatar_color (reference),
                      initials, duet_avatar_color_for_text (names[i]));
      g_assert_cmpstr (initials, ==, gtk_label_get_text (GTK_LABEL (label)));
      g_assert_cmpuint (duet_avatar_color_for_text (names[i]), ==, adw_avatar_color (reference));
      g_object_ref_sink (reference);
      g_object_unref (reference);
    }

  g_assert_null (duet_avatar_initials_for_text (NULL));
  g_assert_null (duet_avatar_initials_for_text (""));
  g_assert_cmpuint (duet_avatar_color_for_text (NULL), ==, 0);
  g_assert_cmpuint (duet_avatar_color_for_text (""), ==, 0);
}

static int
channel_difference (guint32 a,
                    guint32 b)
{
  int most = 0;

  for (int shift = 0; shift < 32; shift += 8)
    most = MAX (most, ABS ((int) ((a >> shift) & 0xff) - (int) ((b >> shift) & 0xff)));
  return most;
}

/* Both drawn at 40 px: the disc (gradient and edge) matches AdwAvatar's
 * exactly, the initials to within antialiasing. */
static void
compare_pixels (Fixture    *f,
                const char *name,
                int         size)
{
  GtkWidget *reference = adw_avatar_new (size, name, TRUE);
  GtkWidget *avatar = duet_avatar_new (size);
  g_autofree guint32 *expected = NULL;
  g_autofree guint32 *shown = NULL;
  int width, height, other_width, other_height;
  guint differing = 0, slightly_differing = 0, disc_differing = 0;

  duet_avatar_set_text (DUET_AVATAR (avatar), name);
  gtk_box_append (f->box, reference);
  gtk_box_append (f->box, avatar);
  g_assert_true (duet_test_wait_until (duet_ui_test_mapped, avatar, DUET_TEST_TIMEOUT_MS));
  duet_test_run_for (50);

  expected = duet_ui_test_render (reference, &width, &height);
  shown = duet_ui_test_render (avatar, &other_width, &other_height);
  g_assert_cmpint (width, ==, size);
  g_assert_cmpint (height, ==, size);
  g_assert_cmpint (other_width, ==, width);
  g_assert_cmpint (other_height, ==, height);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        int i = y * width + x;
        int difference = channel_difference (expected[i], shown[i]);
        /* The rows above and below the initials: disc only. */
        gboolean disc_only = y < size / 4 || y >= size - size / 4;

        if (difference > 48)
          differing++;
        if (difference > 2)
          slightly_differing++;
        if (disc_only && difference > 2)
          disc_differing++;
      }
  g_test_message ("%s at %d px: %u pixels differ (%u slightly), %u of them outside the initials",
                  name, size, differing, slightly_differing, disc_differing);
  /* Something was drawn: the disc's top middle is opaque. */
  g_assert_cmphex (expected[2 * width + width / 2] >> 24, ==, 0xff);
  g_assert_cmpuint (disc_differing, ==, 0);
  g_assert_cmpuint (differing, <=, (guint) (width * height) / 50);

  gtk_box_remove (f->box, reference);
  gtk_box_remove (f->box, avatar);
}

static void
test_pixels (Fixture       *f,
             gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    compare_pixels (f, names[i], 40);
  compare_pixels (f, "Mia Wong", 32);
  compare_pixels (f, "Ian", 64);
}

/* A picture instead of the initials, cropped to the circle: the middle is
 * the picture's, the corners are clear. */
static void
test_image (Fixture       *f,
            gconstpointer  data)
{
  GtkWidget *avatar = duet_avatar_new (40);
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 60, 40);
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree guint32 *pixels = NULL;
  g_autofree guint32 *initials = NULL;
  int width, height;
  guint notified = 0;

  gdk_pixbuf_fill (pixbuf, 0xff0000ff);
  texture = gdk_texture_new_for_pixbuf (pixbuf);
  duet_avatar_set_text (DUET_AVATAR (avatar), "Alice");
  gtk_box_append (f->box, avatar);
  g_assert_true (duet_test_wait_until (duet_ui_test_mapped, avatar, DUET_TEST_TIMEOUT_MS));
  initials = duet_ui_test_render (avatar, &width, &height);

  g_signal_connect_swapped (avatar, "notify::custom-image", G_CALLBACK (g_atomic_int_inc), &notified);
  duet_avatar_set_custom_image (DUET_AVATAR (avatar), GDK_PAINTABLE (texture));
  duet_avatar_set_custom_image (DUET_AVATAR (avatar), GDK_PAINTABLE (texture));
  g_assert_cmpuint (notified, ==, 1);
  g_assert_true (duet_avatar_get_custom_image (DUET_AVATAR (avatar)) == GDK_PAINTABLE (texture));

  pixels = duet_ui_test_render (avatar, &width, &height);
  g_assert_cmpint (width, ==, 40);
  g_assert_cmphex (pixels[20 * width + 20], ==, 0xffff0000);
  /* A wide picture covers the circle: red at its left and right edges. */
  g_assert_cmphex (pixels[20 * width + 1], ==, 0xffff0000);
  g_assert_cmphex (pixels[20 * width + 38], ==, 0xffff0000);
  g_assert_cmphex (pixels[0], ==, 0);
  g_assert_cmphex (pixels[width * height - 1], ==, 0);

  /* And back to the initials, as they were. */
  duet_avatar_set_custom_image (DUET_AVATAR (avatar), NULL);
  g_clear_pointer (&pixels, g_free);
  pixels = duet_ui_test_render (avatar, &width, &height);
  g_assert_cmpmem (pixels, width * height * 4, initials, width * height * 4);
  g_assert_cmpuint (notified, ==, 2);
}

typedef struct {
  guint layouts;
  guint paints;
} FrameCount;

static void
layout_cb (GdkFrameClock *clock,
           FrameCount    *count)
{
  count->layouts++;
}

static void
paint_cb (GdkFrameClock *clock,
          FrameCount    *count)
{
  count->paints++;
}

/* What a new text costs the window in its next frames. */
static FrameCount
frames_after_text (Fixture    *f,
                   GtkWidget  *avatar,
                   const char *text)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (f->window));
  FrameCount count = { 0, 0 };
  gulong layout_id, paint_id;

  duet_test_run_for (100);
  layout_id = g_signal_connect (clock, "layout", G_CALLBACK (layout_cb), &count);
  paint_id = g_signal_connect (clock, "paint", G_CALLBACK (paint_cb), &count);
  g_object_set (avatar, "text", text, NULL);
  duet_test_run_for (100);
  g_signal_handler_disconnect (clock, layout_id);
  g_signal_handler_disconnect (clock, paint_id);
  return count;
}

/* A new name redraws the avatar but never lays the window out again: in a
 * list row, that is a new layout of the row and the list.  (AdwAvatar's
 * does, as it sizes its initials' label anew.) */
static void
test_text_keeps_size (Fixture       *f,
                      gconstpointer  data)
{
  GtkWidget *avatar = duet_avatar_new (40);
  GtkWidget *reference = adw_avatar_new (40, "Someone", TRUE);
  FrameCount count;
  guint notified = 0;
  int minimum, natural;

  duet_avatar_set_text (DUET_AVATAR (avatar), "Someone");
  gtk_box_append (f->box, avatar);
  gtk_box_append (f->box, reference);
  g_assert_true (duet_test_wait_until (duet_ui_test_mapped, avatar, DUET_TEST_TIMEOUT_MS));

  g_signal_connect_swapped (avatar, "notify::text", G_CALLBACK (g_atomic_int_inc), &notified);
  count = frames_after_text (f, avatar, "Someone Else");
  g_assert_cmpuint (count.paints, >=, 1);
  g_assert_cmpuint (count.layouts, ==, 0);
  duet_avatar_set_text (DUET_AVATAR (avatar), "Someone Else");
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpstr (duet_avatar_get_text (DUET_AVATAR (avatar)), ==, "Someone Else");

  count = frames_after_text (f, reference, "Someone Else");
  g_assert_cmpuint (count.layouts, >=, 1);

  gtk_widget_measure (avatar, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, &natural, NULL, NULL);
  g_assert_cmpint (minimum, ==, 40);
  g_assert_cmpint (natural, ==, 40);
  gtk_widget_measure (avatar, GTK_ORIENTATION_VERTICAL, -1, &minimum, &natural, NULL, NULL);
  g_assert_cmpint (minimum, ==, 40);
  g_assert_cmpint (natural, ==, 40);

  duet_avatar_set_size (DUET_AVATAR (avatar), 64);
  g_assert_cmpint (duet_avatar_get_size (DUET_AVATAR (avatar)), ==, 64);
  gtk_widget_measure (avatar, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, &natural, NULL, NULL);
  g_assert_cmpint (natural, ==, 64);
}

/* A screen reader hears "Avatar of NAME", as for AdwAvatar. */
static void
test_accessible (Fixture       *f,
                 gconstpointer  data)
{
  GtkWidget *avatar = g_object_ref_sink (duet_avatar_new (40));

  gtk_box_append (f->box, avatar);
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (avatar), GTK_ACCESSIBLE_ROLE_IMG);
  duet_avatar_set_text (DUET_AVATAR (avatar), "Alice");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (avatar), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Avatar of Alice");
  duet_avatar_set_text (DUET_AVATAR (avatar), "Bob Smith");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (avatar), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Avatar of Bob Smith");
  duet_avatar_set_text (DUET_AVATAR (avatar), NULL);
  g_assert_false (gtk_test_accessible_has_property (GTK_ACCESSIBLE (avatar), GTK_ACCESSIBLE_PROPERTY_LABEL));
  gtk_box_remove (f->box, avatar);
  g_assert_finalize_object (avatar);
}

int
main (int   argc,
      char *argv[])
{
  /* GTK's test accessibility backend: it keeps what a screen reader
   * would be told, for gtk_test_accessible_assert_property (). */
  g_setenv ("GTK_A11Y", "test", TRUE);
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();

#define ADD(path, func) g_test_add ("/ui/avatar/" path, Fixture, NULL, setup, func, teardown)

  ADD ("initials-and-colors", test_initials_and_colors);
  ADD ("pixels", test_pixels);
  ADD ("image", test_image);
  ADD ("text-keeps-size", test_text_keeps_size);
  ADD ("accessible", test_accessible);

#undef ADD

  return g_test_run ();
}
