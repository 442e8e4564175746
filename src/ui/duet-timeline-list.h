/* duet-timeline-list.h: a scrolling list of rows that stay where they are
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DUET_TYPE_TIMELINE_LIST (duet_timeline_list_get_type ())
G_DECLARE_FINAL_TYPE (DuetTimelineList, duet_timeline_list, DUET, TIMELINE_LIST, GtkWidget)

/**
 * DuetTimelineListCreateFunc:
 * @item: the model's item
 * @user_data: the data given with the function
 *
 * Makes the row that shows @item.  The row is made once for the item and
 * kept while the item is in the model (up to a bounded number of rows
 * off screen): it is never handed another item.
 *
 * Returns: (transfer floating): a new widget
 */
typedef GtkWidget *(*DuetTimelineListCreateFunc) (gpointer item,
                                                  gpointer user_data);

GtkWidget  *duet_timeline_list_new             (void);
void        duet_timeline_list_set_create_func (DuetTimelineList           *self,
                                                DuetTimelineListCreateFunc  func,
                                                gpointer                    user_data,
                                                GDestroyNotify              destroy);
void        duet_timeline_list_set_model       (DuetTimelineList           *self,
                                                GListModel                 *model);
GListModel *duet_timeline_list_get_model       (DuetTimelineList           *self);
void        duet_timeline_list_scroll_to_end   (DuetTimelineList           *self);
void        duet_timeline_list_scroll_to       (DuetTimelineList           *self,
                                                guint                       position);
GtkWidget  *duet_timeline_list_get_row         (DuetTimelineList           *self,
                                                guint                       position);
void        duet_timeline_list_foreach_row     (DuetTimelineList           *self,
                                                GFunc                       func,
                                                gpointer                    user_data);
guint       duet_timeline_list_get_n_rows      (DuetTimelineList           *self);

G_END_DECLS
