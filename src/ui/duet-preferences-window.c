/* duet-preferences-window.c: Duet's preferences
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Writes GSettings only; the window binds the settings to the session, so
 * a change applies at once and to the next session too.
 */
#include "config.h"

#include "duet-a11y.h"
#include "duet-preferences-window.h"

struct _DuetPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template widgets */
  GtkSwitch            *notifications_switch;
  GtkCheckButton       *policy_ask_check;
  GtkCheckButton       *policy_always_check;
  GtkCheckButton       *policy_never_check;
};

G_DEFINE_FINAL_TYPE (DuetPreferencesWindow, duet_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* Each radio is bound to "invite-policy" being its nick: active when the
 * setting says so, and activating it writes the nick. */
static gboolean
policy_to_active (GValue   *value,
                  GVariant *variant,
                  gpointer  user_data)
{
  g_value_set_boolean (value, g_str_equal (g_variant_get_string (variant, NULL), user_data));
  return TRUE;
}

static GVariant *
active_to_policy (const GValue       *value,
                  const GVariantType *expected_type,
                  gpointer            user_data)
{
  /* Turning one off is the group's echo of another turning on. */
  if (!g_value_get_boolean (value))
    return NULL;
  return g_variant_new_string (user_data);
}

static void
bind_policy (GSettings      *settings,
             GtkCheckButton *check,
             const char     *nick)
{
  g_settings_bind_with_mapping (settings, "invite-policy", check, "active",
                                G_SETTINGS_BIND_DEFAULT,
                                policy_to_active, active_to_policy,
                                (gpointer) nick, NULL);
}

static void
duet_preferences_window_class_init (DuetPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/duet_chat/Duet/duet-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DuetPreferencesWindow, notifications_switch);
  gtk_widget_class_bind_template_child (widget_class, DuetPreferencesWindow, policy_ask_check);
  gtk_widget_class_bind_template_child (widget_class, DuetPreferencesWindow, policy_always_check);
  gtk_widget_class_bind_template_child (widget_class, DuetPreferencesWindow, policy_never_check);
}

static void
duet_preferences_window_init (DuetPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  duet_a11y_name_internal_controls (GTK_WIDGET (self), NULL);
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
  bind_policy (settings, self->policy_ask_check, "ask");
  bind_policy (settings, self->policy_always_check, "always");
  bind_policy (settings, self->policy_never_check, "never");
  g_settings_bind (settings, "notifications", self->notifications_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  return self;
}
