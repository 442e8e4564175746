/* duet-a11y.h: names for the controls libadwaita 1.2 leaves unnamed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* Walks @root's widgets and names the internal controls of libadwaita 1.2
 * widgets that come without an accessible name: the list of an
 * AdwPreferencesGroup (after the group's title, else @list_label), the
 * peek button of an AdwPasswordEntryRow, and an AdwPreferencesWindow's
 * search entry and search results; and it names a button with a mnemonic
 * ("_Cancel", the responses of an AdwMessageDialog) after its label widget,
 * which GTK 4.8 would read with the mark.  Call it once the template is
 * built or the responses added. */
void duet_a11y_name_internal_controls (GtkWidget  *root,
                                       const char *list_label);

/* Labels @widget and, when @widget is the child of a list view's row (or
 * the child of that child, a slot), that row too: the row is what takes the
 * focus, and GTK 4.8 gives it no name of its own. */
void duet_a11y_label_list_row (GtkWidget  *widget,
                               const char *label,
                               const char *description);

G_END_DECLS
