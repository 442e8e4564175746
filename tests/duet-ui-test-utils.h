/* duet-ui-test-utils.h: small helpers of the widget tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The first widget of @type in @root's tree (depth first, @root too), or
 * NULL. */
GtkWidget *  duet_ui_test_find_widget     (GtkWidget *root,
                                           GType      type);
/* For duet_test_wait_until(): @data (a GtkWidget) is mapped and has a
 * width. */
gboolean     duet_ui_test_mapped          (gpointer   data);
/* @widget as drawn, on a transparent background, in 0xAARRGGBB pixels
 * (*@width × *@height, the widget's size, which must not be empty). */
guint32 *    duet_ui_test_render          (GtkWidget *widget,
                                           int       *width,
                                           int       *height);

G_END_DECLS
