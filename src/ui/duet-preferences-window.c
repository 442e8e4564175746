/* duet-preferences-window.c: Duet's preferences
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Writes GSettings only; the window binds the settings to the session, so
 * a change applies at once and to the next session too.
 */
#include "config.h"

#include "duet-preferences-window.h"

struct _DuetPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template widgets */
  AdwComboRow          *invite_policy_row;
  GtkSwitch            *notifications_switch;
};

G_DEFINE_FINAL_TYPE (DuetPreferencesWindow, duet_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The row's positions follow the schema's enum: ask, always, never. */
static const char * const invite_policies[] = { "ask", "always", "never" };

static gboolean
policy_to_position (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (invite_policies); i++)
    if (g_str_equal (nick, invite_policies[i]))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
position_to_policy (const GValue       *value,
                    const GVariantType *expected_type,
                    gpointer            user_data)
{
  guint position = g_value_get_uint (value);

  if (position >= G_N_ELEMENTS (invite_policies))
    return NULL;
  return g_variant_new_string (invite_policies[position]);
}

static void
duet_preferences_window_class_init (DuetPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/duet_chat/Duet/duet-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DuetPreferencesWindow, invite_policy_row);
  gtk_widget_class_bind_template_child (widget_class, DuetPreferencesWindow, notifications_switch);
}

static void
duet_preferences_window_init (DuetPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

DuetPreferencesWindow *
duet_preferences_window_new (GtkWindow *parent,
                             GSettings *settings)
{
  DuetPreferencesWindow *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (DUET_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       NULL);
  g_settings_bind_with_mapping (settings, "invite-policy",
                                self->invite_policy_row, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                policy_to_position, position_to_policy,
                                NULL, NULL);
  g_settings_bind (settings, "notifications", self->notifications_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  return self;
}
