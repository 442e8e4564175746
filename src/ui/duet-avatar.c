/* duet-avatar.c: a round avatar drawn in one widget, for long lists
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Looks like AdwAvatar (libadwaita 1.2): the same initials, colours and
 * text size, or a picture cropped to the circle.  AdwAvatar is a tree of
 * five widgets (itself, a "gizmo", a label and two images) whose colour is
 * a CSS class changed with its text, so every bind of a recycled list row
 * restyled and resized that tree.  This one is a single widget of a fixed
 * size: a new text or picture only redraws it, and it lays out the
 * initials when it is drawn, not when it is bound.
 *
 * Its CSS node is named "avatar", so the theme's font for avatars (bold)
 * applies; the colours are AdwAvatar's, which libadwaita 1.2 sets in CSS
 * classes color1..color14: test-ui-avatars compares the two pixel by pixel.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "duet-avatar.h"

struct _DuetAvatar
{
  GtkWidget     parent_instance;

  int           size;
  char         *text;
  GdkPaintable *custom_image;

  /* Made when drawn, dropped when what it shows or its font changes. */
  PangoLayout  *initials_layout;
};

G_DEFINE_FINAL_TYPE (DuetAvatar, duet_avatar, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SIZE,
  PROP_TEXT,
  PROP_CUSTOM_IMAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* libadwaita 1.2's avatar.colorN: a gradient from top to bottom, and the
 * initials' colour. */
static const struct {
  guint32 top;
  guint32 bottom;
  guint32 initials;
} palette[DUET_AVATAR_N_COLORS] = {
  { 0x83b6ec, 0x337fdc, 0xcfe1f5 },
  { 0x7ad9f1, 0x0f9ac8, 0xcaeaf2 },
  { 0x8de6b1, 0x29ae74, 0xcef8d8 },
  { 0xb5e98a, 0x6ab85b, 0xe6f9d7 },
  { 0xf8e359, 0xd29d09, 0xf9f4e1 },
  { 0xffcb62, 0xd68400, 0xffead1 },
  { 0xffa95a, 0xed5b00, 0xffe5c5 },
  { 0xf78773, 0xe62d42, 0xf8d2ce },
  { 0xe973ab, 0xe33b6a, 0xfac7de },
  { 0xcb78d4, 0x9945b5, 0xe7c2e8 },
  { 0x9e91e8, 0x7a59ca, 0xd5d2f5 },
  { 0xe3cf9c, 0xb08952, 0xf2eade },
  { 0xbe916d, 0x785336, 0xe5d6ca },
  { 0xc0bfbc, 0x6e6d71, 0xd8d7d3 },
};

/* The colour for no text: AdwAvatar picks one at random, a grey is calmer. */
#define NO_TEXT_COLOR DUET_AVATAR_N_COLORS

static GdkRGBA
rgba_from_hex (guint32 rgb)
{
  return (GdkRGBA) { ((rgb >> 16) & 0xff) / 255.f, ((rgb >> 8) & 0xff) / 255.f, (rgb & 0xff) / 255.f, 1.f };
}

guint
duet_avatar_color_for_text (const char *text)
{
  if (text == NULL || *text == '\0')
    return 0;
  return g_str_hash (text) % DUET_AVATAR_N_COLORS + 1;
}

char *
duet_avatar_initials_for_text (const char *text)
{
  g_autofree char *upper = NULL;
  g_autofree char *composed = NULL;
  const char *last_space;
  GString *initials;
  gunichar first;

  if (text == NULL || *text == '\0')
    return NULL;

  upper = g_utf8_strup (text, -1);
  composed = g_utf8_normalize (g_strstrip (upper), -1, G_NORMALIZE_DEFAULT_COMPOSE);
  if (composed == NULL)
    return NULL;

  initials = g_string_new (NULL);
  first = g_utf8_get_char (composed);
  if (first != 0)
    g_string_append_unichar (initials, first);
  /* The first letter of the last word: "Ada B. Lovelace" is "AL". */
  last_space = strrchr (composed, ' ');
  if (last_space != NULL && last_space[1] != '\0')
    g_string_append_unichar (initials, g_utf8_get_char (last_space + 1));
  return g_string_free (initials, FALSE);
}

static void
drop_layout (DuetAvatar *self)
{
  g_clear_object (&self->initials_layout);
}

/* AdwAvatar's rule: the initials fill the biggest square inside the
 * circle, less a padding that grows with the size. */
static PangoLayout *
ensure_initials_layout (DuetAvatar *self)
{
  g_autofree char *initials = NULL;
  PangoAttrList *attributes;
  double inner, padding, room, font_size;
  int width, height;

  if (self->initials_layout != NULL)
    return self->initials_layout;

  initials = duet_avatar_initials_for_text (self->text);
  if (initials == NULL || *initials == '\0' || self->size <= 0)
    return NULL;

  self->initials_layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), initials);
  pango_layout_get_pixel_size (self->initials_layout, &width, &height);
  if (width <= 0 || height <= 0)
    return self->initials_layout;

  inner = self->size / 1.4142;
  padding = MAX (self->size * 0.4 - 5, 0);
  room = inner - padding;
  font_size = CLAMP (height * (room / width), 0, room);

  attributes = pango_attr_list_new ();
  pango_attr_list_insert (attributes, pango_attr_size_new_absolute (font_size * PANGO_SCALE));
  pango_layout_set_attributes (self->initials_layout, attributes);
  pango_attr_list_unref (attributes);
  return self->initials_layout;
}

/* The picture covers the square, centred, as AdwAvatar crops it. */
static void
snapshot_image (DuetAvatar  *self,
                GtkSnapshot *snapshot)
{
  double width = gdk_paintable_get_intrinsic_width (self->custom_image);
  double height = gdk_paintable_get_intrinsic_height (self->custom_image);
  double size = self->size;
  double drawn_width = size, drawn_height = size;

  if (width > 0 && height > 0 && width > height)
    drawn_width = size * width / height;
  else if (width > 0 && height > 0 && height > width)
    drawn_height = size * height / width;

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((size - drawn_width) / 2, (size - drawn_height) / 2));
  if (GDK_IS_TEXTURE (self->custom_image))
    gtk_snapshot_append_texture (snapshot, GDK_TEXTURE (self->custom_image),
                                 &GRAPHENE_RECT_INIT (0, 0, drawn_width, drawn_height));
  else
    gdk_paintable_snapshot (self->custom_image, snapshot, drawn_width, drawn_height);
  gtk_snapshot_restore (snapshot);
}

static void
snapshot_icon (DuetAvatar    *self,
               GtkSnapshot   *snapshot,
               const GdkRGBA *color)
{
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (self)));
  int icon_size = MAX (self->size / 2, 1);
  g_autoptr(GtkIconPaintable) icon =
    gtk_icon_theme_lookup_icon (theme, "avatar-default-symbolic", NULL, icon_size,
                                gtk_widget_get_scale_factor (GTK_WIDGET (self)),
                                gtk_widget_get_direction (GTK_WIDGET (self)), 0);
  double offset = (self->size - icon_size) / 2.0;

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (floor (offset), floor (offset)));
  gtk_symbolic_paintable_snapshot_symbolic (GTK_SYMBOLIC_PAINTABLE (icon), snapshot,
                                            icon_size, icon_size, color, 1);
  gtk_snapshot_restore (snapshot);
}

static void
duet_avatar_snapshot (GtkWidget   *widget,
                      GtkSnapshot *snapshot)
{
  DuetAvatar *self = DUET_AVATAR (widget);
  float size = self->size;
  float x = floorf ((gtk_widget_get_width (widget) - size) / 2);
  float y = floorf ((gtk_widget_get_height (widget) - size) / 2);
  graphene_rect_t bounds = GRAPHENE_RECT_INIT (0, 0, size, size);
  GskRoundedRect circle;
  guint color;
  GdkRGBA initials_color;
  PangoLayout *layout;

  if (self->size <= 0)
    return;

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gsk_rounded_rect_init_from_rect (&circle, &bounds, size / 2);
  gtk_snapshot_push_rounded_clip (snapshot, &circle);

  if (self->custom_image != NULL)
    {
      snapshot_image (self, snapshot);
      gtk_snapshot_pop (snapshot);
      gtk_snapshot_restore (snapshot);
      return;
    }

  color = duet_avatar_color_for_text (self->text);
  if (color == 0)
    color = NO_TEXT_COLOR;
  gtk_snapshot_append_linear_gradient (snapshot, &bounds,
                                       &GRAPHENE_POINT_INIT (size / 2, 0),
                                       &GRAPHENE_POINT_INIT (size / 2, size),
                                       (GskColorStop[]) {
                                         { 0, rgba_from_hex (palette[color - 1].top) },
                                         { 1, rgba_from_hex (palette[color - 1].bottom) },
                                       }, 2);
  initials_color = rgba_from_hex (palette[color - 1].initials);

  layout = ensure_initials_layout (self);
  if (self->text == NULL || *self->text == '\0')
    snapshot_icon (self, snapshot, &initials_color);
  else if (layout != NULL)
    {
      PangoRectangle logical;

      /* Centred as a GtkLabel the size of the avatar places its text. */
      pango_layout_get_pixel_extents (layout, NULL, &logical);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (floorf ((size - logical.width) / 2 - logical.x),
                                                             floorf ((size - logical.height) / 2)));
      gtk_snapshot_append_layout (snapshot, layout, &initials_color);
    }

  gtk_snapshot_pop (snapshot);
  gtk_snapshot_restore (snapshot);
}

static void
duet_avatar_measure (GtkWidget      *widget,
                     GtkOrientation  orientation,
                     int             for_size,
                     int            *minimum,
                     int            *natural,
                     int            *minimum_baseline,
                     int            *natural_baseline)
{
  DuetAvatar *self = DUET_AVATAR (widget);

  *minimum = *natural = MAX (self->size, 0);
}

static void
duet_avatar_css_changed (GtkWidget         *widget,
                         GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (duet_avatar_parent_class)->css_changed (widget, change);
  /* The font may have changed. */
  drop_layout (DUET_AVATAR (widget));
}

static void
duet_avatar_system_setting_changed (GtkWidget        *widget,
                                    GtkSystemSetting  setting)
{
  GTK_WIDGET_CLASS (duet_avatar_parent_class)->system_setting_changed (widget, setting);
  drop_layout (DUET_AVATAR (widget));
  gtk_widget_queue_draw (widget);
}

static void
duet_avatar_root (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (duet_avatar_parent_class)->root (widget);
  /* Another display, other fonts. */
  drop_layout (DUET_AVATAR (widget));
}

GtkWidget *
duet_avatar_new (int size)
{
  return g_object_new (DUET_TYPE_AVATAR, "size", size, NULL);
}

int
duet_avatar_get_size (DuetAvatar *self)
{
  g_return_val_if_fail (DUET_IS_AVATAR (self), -1);
  return self->size;
}

void
duet_avatar_set_size (DuetAvatar *self,
                      int         size)
{
  g_return_if_fail (DUET_IS_AVATAR (self));
  g_return_if_fail (size >= -1);

  if (self->size == size)
    return;
  self->size = size;
  drop_layout (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIZE]);
}

const char *
duet_avatar_get_text (DuetAvatar *self)
{
  g_return_val_if_fail (DUET_IS_AVATAR (self), NULL);
  return self->text;
}

/* A new text only redraws: the size never depends on it. */
void
duet_avatar_set_text (DuetAvatar *self,
                      const char *text)
{
  g_autofree char *label = NULL;

  g_return_if_fail (DUET_IS_AVATAR (self));

  if (g_strcmp0 (self->text, text) == 0)
    return;
  g_free (self->text);
  self->text = g_strdup (text);
  drop_layout (self);

  if (text != NULL && *text != '\0')
    /* Translators: what a screen reader says for a person's picture. */
    label = g_strdup_printf (_("Avatar of %s"), text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);

  if (self->custom_image == NULL)
    gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

GdkPaintable *
duet_avatar_get_custom_image (DuetAvatar *self)
{
  g_return_val_if_fail (DUET_IS_AVATAR (self), NULL);
  return self->custom_image;
}

static void
invalidate_contents_cb (DuetAvatar *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
duet_avatar_set_custom_image (DuetAvatar   *self,
                              GdkPaintable *custom_image)
{
  g_return_if_fail (DUET_IS_AVATAR (self));
  g_return_if_fail (custom_image == NULL || GDK_IS_PAINTABLE (custom_image));

  if (self->custom_image == custom_image)
    return;

  /* A texture never changes; an animated picture does. */
  if (self->custom_image != NULL && !GDK_IS_TEXTURE (self->custom_image))
    g_signal_handlers_disconnect_by_func (self->custom_image, invalidate_contents_cb, self);
  g_set_object (&self->custom_image, custom_image);
  if (custom_image != NULL && !GDK_IS_TEXTURE (custom_image))
    g_signal_connect_swapped (custom_image, "invalidate-contents", G_CALLBACK (invalidate_contents_cb), self);

  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CUSTOM_IMAGE]);
}

static void
duet_avatar_dispose (GObject *object)
{
  DuetAvatar *self = DUET_AVATAR (object);

  duet_avatar_set_custom_image (self, NULL);
  drop_layout (self);

  G_OBJECT_CLASS (duet_avatar_parent_class)->dispose (object);
}

static void
duet_avatar_finalize (GObject *object)
{
  DuetAvatar *self = DUET_AVATAR (object);

  g_free (self->text);

  G_OBJECT_CLASS (duet_avatar_parent_class)->finalize (object);
}

static void
duet_avatar_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DuetAvatar *self = DUET_AVATAR (object);

  switch (prop_id)
    {
    case PROP_SIZE:
      g_value_set_int (value, self->size);
      break;
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    case PROP_CUSTOM_IMAGE:
      g_value_set_object (value, self->custom_image);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_avatar_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  DuetAvatar *self = DUET_AVATAR (object);

  switch (prop_id)
    {
    case PROP_SIZE:
      duet_avatar_set_size (self, g_value_get_int (value));
      break;
    case PROP_TEXT:
      duet_avatar_set_text (self, g_value_get_string (value));
      break;
    case PROP_CUSTOM_IMAGE:
      duet_avatar_set_custom_image (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_avatar_class_init (DuetAvatarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = duet_avatar_dispose;
  object_class->finalize = duet_avatar_finalize;
  object_class->get_property = duet_avatar_get_property;
  object_class->set_property = duet_avatar_set_property;

  widget_class->snapshot = duet_avatar_snapshot;
  widget_class->measure = duet_avatar_measure;
  widget_class->css_changed = duet_avatar_css_changed;
  widget_class->system_setting_changed = duet_avatar_system_setting_changed;
  widget_class->root = duet_avatar_root;

  properties[PROP_SIZE] =
    g_param_spec_int ("size", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CUSTOM_IMAGE] =
    g_param_spec_object ("custom-image", NULL, NULL, GDK_TYPE_PAINTABLE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "avatar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
duet_avatar_init (DuetAvatar *self)
{
  self->size = -1;
}
