/* duet-avatar.h: a round avatar drawn in one widget, for long lists
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DUET_TYPE_AVATAR (duet_avatar_get_type ())
G_DECLARE_FINAL_TYPE (DuetAvatar, duet_avatar, DUET, AVATAR, GtkWidget)

/* How many colours the initials' discs come in, as AdwAvatar's. */
#define DUET_AVATAR_N_COLORS 14

/* Properties: size (pixels), text (whose initials and colour it shows),
 * custom-image (a GdkPaintable shown instead, cropped to the circle). */
GtkWidget    *duet_avatar_new              (int           size);
int           duet_avatar_get_size         (DuetAvatar   *self);
void          duet_avatar_set_size         (DuetAvatar   *self,
                                            int           size);
const char   *duet_avatar_get_text         (DuetAvatar   *self);
void          duet_avatar_set_text         (DuetAvatar   *self,
                                            const char   *text);
GdkPaintable *duet_avatar_get_custom_image (DuetAvatar   *self);
void          duet_avatar_set_custom_image (DuetAvatar   *self,
                                            GdkPaintable *custom_image);

/* What AdwAvatar would show for @text: its initials (upper case, the
 * first character and the one after the last space; NULL for no text) and
 * the number of its colour, 1 to DUET_AVATAR_N_COLORS (0 for no text). */
char         *duet_avatar_initials_for_text (const char *text) G_GNUC_WARN_UNUSED_RESULT;
guint         duet_avatar_color_for_text    (const char *text);

G_END_DECLS
