/* duet-preferences-window.h: Duet's preferences
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define DUET_TYPE_PREFERENCES_WINDOW (duet_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (DuetPreferencesWindow, duet_preferences_window, DUET, PREFERENCES_WINDOW, AdwPreferencesWindow)

/* Edits @settings (the io.github.duet_chat.Duet schema) directly. */
DuetPreferencesWindow *duet_preferences_window_new (GtkWindow *parent,
                                                    GSettings *settings);

G_END_DECLS
