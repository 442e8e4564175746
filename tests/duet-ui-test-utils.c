/* duet-ui-test-utils.c: small helpers of the widget tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "duet-ui-test-utils.h"

GtkWidget *
duet_ui_test_find_widget (GtkWidget *root,
                          GType      type)
{
  if (g_type_is_a (G_OBJECT_TYPE (root), type))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = duet_ui_test_find_widget (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

gboolean
duet_ui_test_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_width (data) > 0;
}

guint32 *
duet_ui_test_render (GtkWidget *widget,
                     int       *width,
                     int       *height)
{
  GtkWidget *parent = gtk_widget_get_parent (widget);
  GtkNative *native = gtk_widget_get_native (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  graphene_rect_t bounds;
  guint32 *pixels;

  *width = gtk_widget_get_width (widget);
  *height = gtk_widget_get_height (widget);
  g_assert_cmpint (*width, >, 0);
  g_assert_true (gtk_widget_compute_bounds (widget, parent, &bounds));
  gtk_widget_snapshot_child (parent, widget, snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (native), node, &bounds);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, *width);
  pixels = g_new (guint32, *width * *height);
  gdk_texture_download (texture, (guchar *) pixels, *width * 4);
  return pixels;
}
