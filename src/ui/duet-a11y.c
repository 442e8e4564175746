/* duet-a11y.c: names for the controls libadwaita 1.2 leaves unnamed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tests/test-a11y.c walks the running app over AT-SPI and fails on any
 * control without a name; these are the ones our own .ui files cannot
 * reach because libadwaita builds them inside its widgets.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "duet-a11y.h"

static void
label (GtkWidget  *widget,
       const char *text)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                  -1);
}

/* The first label under @widget. */
static GtkWidget *
find_label (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
name_descendants (GtkWidget  *widget,
                  GtkWidget  *group,
                  GtkWidget  *password_row,
                  GtkWidget  *preferences_window,
                  const char *list_label)
{
  if (ADW_IS_PREFERENCES_GROUP (widget))
    group = widget;
  else if (ADW_IS_PASSWORD_ENTRY_ROW (widget))
    password_row = widget;

  if (GTK_IS_LIST_BOX (widget))
    {
      const char *title = group != NULL ? adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (group)) : NULL;

      /* A group with a title has its list labelled by it already. */
      if (title != NULL && *title != '\0')
        ;
      else if (group != NULL && list_label != NULL)
        label (widget, list_label);
      else if (preferences_window != NULL)
        /* The window's own list: search results. */
        label (widget, _("Search results"));
    }
  else if (GTK_IS_BUTTON (widget) && password_row != NULL)
    {
      label (widget, _("Show or hide the password"));
    }
  else if (GTK_IS_SEARCH_ENTRY (widget) && preferences_window != NULL)
    {
      label (widget, _("Search preferences"));
    }
  else if (GTK_IS_BUTTON (widget) && gtk_button_get_use_underline (GTK_BUTTON (widget)) &&
           gtk_button_get_label (GTK_BUTTON (widget)) != NULL)
    {
      /* "_Cancel": GTK 4.8 names the button after its raw label, mnemonic
       * mark included; named by its label widget instead, it reads
       * "Cancel".  Response buttons of a message dialog are such buttons. */
      GtkWidget *child = find_label (widget);

      if (child != NULL)
        {
          gtk_accessible_reset_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL);
          gtk_accessible_update_relation (GTK_ACCESSIBLE (widget),
                                          GTK_ACCESSIBLE_RELATION_LABELLED_BY, child, NULL,
                                          -1);
        }
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    name_descendants (child, group, password_row, preferences_window, list_label);
}

void
duet_a11y_name_internal_controls (GtkWidget  *root,
                                  const char *list_label)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  name_descendants (root, NULL, NULL,
                    ADW_IS_PREFERENCES_WINDOW (root) ? root : NULL,
                    list_label);
}

void
duet_a11y_label_list_row (GtkWidget  *widget,
                          const char *text,
                          const char *description)
{
  GtkWidget *parent;

  g_return_if_fail (GTK_IS_WIDGET (widget));

  gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);

  /* A GtkListView row (GtkListItemWidget, a private type) is the parent of
   * the factory's child, or of the slot that holds @widget, and the widget
   * that takes the focus. */
  parent = gtk_widget_get_parent (widget);
  if (parent != NULL && !GTK_IS_LIST_VIEW (gtk_widget_get_parent (parent)))
    parent = gtk_widget_get_parent (parent);
  if (parent != NULL && GTK_IS_LIST_VIEW (gtk_widget_get_parent (parent)))
    gtk_accessible_update_property (GTK_ACCESSIBLE (parent),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                    -1);
}
