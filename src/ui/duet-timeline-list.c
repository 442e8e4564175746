/* duet-timeline-list.c: a scrolling list of rows that stay where they are
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Why not GtkListView: GTK 4.8's list view keeps 200 rows around an anchor
 * row and slides that window with the anchor's place on screen, so every
 * frame of scrolling hands several items to other rows.  Whatever a bind
 * costs, moving a row to another parent costs more: a label laid out
 * under a new root throws its layout away (GtkLabel's root handler), so
 * the text is shaped again.  A chat of long messages then spends most of
 * a frame shaping text it has already shown.
 *
 * Here a row is made for an item once and stays a child of the list while
 * the item is in the model, up to ROW_CACHE_SIZE rows (the least recently
 * shown go first).  Rows outside the viewport are not child-visible, so
 * they are neither measured, allocated nor drawn.  A frame of scrolling
 * only moves the rows on screen, and makes the one or two that come in.
 *
 * The scroll position is kept as an anchor: the item at the top of the
 * viewport and how far the viewport's top is below that item's top.  Rows
 * measured above it, or items that come or go above it, move the
 * adjustment's value, not what the user sees.  When the viewport's bottom
 * is at the end of the list, it stays there as rows come in (the chat's
 * newest message stays in view).  Items not measured yet count as the
 * average height of those that were.
 */
#include "config.h"

#include <math.h>

#include "duet-timeline-list.h"

/* Rows kept for items off screen. */
#define ROW_CACHE_SIZE 400
/* Space under the last row. */
#define END_SPACING 8
/* An item's height before it was ever measured, when none was. */
#define FIRST_ESTIMATE 48
/* Rows made and measured ahead, between frames, on each side of the
 * viewport, and the time that may take at once. */
#define PREFETCH_ROWS 10
#define PREFETCH_BUDGET_US (3 * G_TIME_SPAN_MILLISECOND)

struct _DuetTimelineList
{
  GtkWidget                   parent_instance;

  GListModel                 *model;
  GPtrArray                  *items;          /* the model's items by position (owned) */
  GArray                     *heights;        /* int by position: last measured, or -1 */
  GHashTable                 *rows;           /* item → Row */
  GQueue                      lru;            /* Row, the most recently shown first */

  DuetTimelineListCreateFunc  create_func;
  gpointer                    create_data;
  GDestroyNotify              create_destroy;

  GtkAdjustment              *hadjustment;
  GtkAdjustment              *vadjustment;
  guint                       hscroll_policy : 1;
  guint                       vscroll_policy : 1;

  guint                       anchor;         /* the item at the viewport's top */
  double                      anchor_offset;  /* the viewport's top below that item's top */
  gboolean                    at_end;         /* the viewport's bottom held at the end */
  gboolean                    configuring;    /* the adjustment's change is our own */
  double                      last_value;     /* the value the anchor stands for */
  guint                       first_shown;    /* the items on screen at the last layout */
  guint                       last_shown;
  int                         direction;      /* the last scroll's: -1 up, 1 down */
  guint                       prefetch_id;
  guint                       resize_id;
  guint                       prepare_id;
  int                         height;         /* the viewport's, at the last layout */
  gboolean                    allocating;     /* no row is made now (see measure_at) */
  gboolean                    missing;        /* the layout lacked rows */
  guint                       layout;         /* counts the layouts */
  int                         width;          /* the width the heights were measured at */
  int                         min_width;      /* the widest row's minimum */
  gint64                      measured_sum;
  guint                       measured_count;
};

typedef struct {
  gpointer   item;
  GtkWidget *widget;
  GList      link;     /* in lru */
  guint      shown;    /* the layout that last placed it */
} Row;

enum {
  PROP_0,
  PROP_HADJUSTMENT,
  PROP_VADJUSTMENT,
  PROP_HSCROLL_POLICY,
  PROP_VSCROLL_POLICY,
  N_PROPS
};

G_DEFINE_FINAL_TYPE_WITH_CODE (DuetTimelineList, duet_timeline_list, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SCROLLABLE, NULL))

static void prepare (DuetTimelineList *self);

/* --- Rows ------------------------------------------------------------------ */

static void
row_destroy (DuetTimelineList *self,
             Row              *row)
{
  g_queue_unlink (&self->lru, &row->link);
  gtk_widget_unparent (row->widget);
  g_object_unref (row->item);
  g_free (row);
}

static void
clear_rows (DuetTimelineList *self)
{
  GHashTableIter iter;
  Row *row;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &row))
    {
      g_hash_table_iter_steal (&iter);
      row_destroy (self, row);
    }
}

static Row *
ensure_row (DuetTimelineList *self,
            guint             position)
{
  gpointer item = g_ptr_array_index (self->items, position);
  Row *row = g_hash_table_lookup (self->rows, item);

  if (row != NULL)
    return row;

  row = g_new0 (Row, 1);
  row->item = g_object_ref (item);
  row->link.data = row;
  row->widget = self->create_func != NULL ? self->create_func (item, self->create_data) : gtk_label_new (NULL);
  /* The rows take the focus, so the arrow keys can walk them. */
  gtk_widget_set_focusable (row->widget, TRUE);
  gtk_widget_set_child_visible (row->widget, FALSE);
  gtk_widget_set_parent (row->widget, GTK_WIDGET (self));
  g_queue_push_head_link (&self->lru, &row->link);
  g_hash_table_insert (self->rows, item, row);
  return row;
}

static GtkWidget *
focus_row (DuetTimelineList *self)
{
  return gtk_widget_get_focus_child (GTK_WIDGET (self));
}

/* The rows least recently shown go, down to the cache's size; not one the
 * last layout placed, nor the focused one. */
static void
trim_rows (DuetTimelineList *self,
           guint             layout)
{
  GtkWidget *focus = focus_row (self);
  GList *link = self->lru.tail;

  while (self->lru.length > ROW_CACHE_SIZE && link != NULL)
    {
      Row *row = link->data;

      link = link->prev;
      if (row->shown == layout || row->widget == focus)
        continue;
      g_hash_table_remove (self->rows, row->item);
      row_destroy (self, row);
    }
}

/* --- Heights --------------------------------------------------------------- */

static int
estimate (DuetTimelineList *self)
{
  return self->measured_count > 0 ? (int) (self->measured_sum / self->measured_count) : FIRST_ESTIMATE;
}

static int
height_at (DuetTimelineList *self,
           guint             position,
           int               fallback)
{
  int height = g_array_index (self->heights, int, position);

  return height >= 0 ? height : fallback;
}

static gboolean
resize_cb (gpointer user_data)
{
  DuetTimelineList *self = user_data;

  self->resize_id = 0;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  return G_SOURCE_REMOVE;
}

/* A wider row asks for a new measure of the list, not during a layout:
 * the frame would then draw widgets whose allocation it just dropped. */
static void
queue_resize_later (DuetTimelineList *self)
{
  if (self->resize_id == 0)
    self->resize_id = g_idle_add (resize_cb, self);
}

/* Measures the item's row at the current width (GTK keeps each widget's
 * measurements, so a row that did not change costs a lookup). */
static int
measure_at (DuetTimelineList *self,
            guint             position)
{
  int *stored = &g_array_index (self->heights, int, position);
  int min_width, min, nat;
  Row *row;

  /* A row made during a layout would queue a resize of every widget above
   * the list, which that frame then draws without an allocation: the
   * layout takes the estimate, and the rows come before the next frame. */
  if (self->allocating &&
      !g_hash_table_contains (self->rows, g_ptr_array_index (self->items, position)))
    {
      self->missing = TRUE;
      return height_at (self, position, estimate (self));
    }
  row = ensure_row (self, position);
  /* About to be shown (or made ahead): the most recently used, so a trim
   * before the layout does not take it. */
  g_queue_unlink (&self->lru, &row->link);
  g_queue_push_head_link (&self->lru, &row->link);

  gtk_widget_measure (row->widget, GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL, NULL, NULL);
  if (min_width > self->min_width)
    {
      self->min_width = min_width;
      queue_resize_later (self);
    }
  gtk_widget_measure (row->widget, GTK_ORIENTATION_VERTICAL, MAX (self->width, min_width),
                      &min, &nat, NULL, NULL);
  nat = MAX (min, nat);
  if (*stored < 0)
    {
      self->measured_sum += nat;
      self->measured_count++;
    }
  *stored = nat;
  return nat;
}

static double
top_of (DuetTimelineList *self,
        guint             position)
{
  int fallback = estimate (self);
  double top = 0;

  for (guint i = 0; i < position; i++)
    top += height_at (self, i, fallback);
  return top;
}

static double
total_height (DuetTimelineList *self)
{
  return self->items->len > 0 ? top_of (self, self->items->len) + END_SPACING : 0;
}

/* --- Where the viewport stands --------------------------------------------- */

/* Moves the anchor down (or up, for a negative offset) until the
 * viewport's top is within the anchor's item, by the heights known (the
 * items passed over are not measured: a drag of the scrollbar over
 * thousands of them makes no rows). */
static void
normalize_anchor (DuetTimelineList *self)
{
  int fallback = estimate (self);

  while (self->anchor_offset < 0 && self->anchor > 0)
    self->anchor_offset += height_at (self, --self->anchor, fallback);
  if (self->anchor_offset < 0)
    self->anchor_offset = 0;
  while (self->anchor + 1 < self->items->len &&
         self->anchor_offset >= height_at (self, self->anchor, fallback))
    self->anchor_offset -= height_at (self, self->anchor++, fallback);
}

/* The anchor that puts the bottom of the item at @position (with the end's
 * spacing after the last) at the viewport's bottom, measuring the items
 * that this brings into view.  Returns FALSE when they do not fill it. */
static gboolean
anchor_bottom_at (DuetTimelineList *self,
                  guint             position,
                  int               view_height)
{
  double filled = position + 1 == self->items->len ? END_SPACING : 0;
  guint i = position + 1;

  while (i > 0 && filled < view_height)
    filled += measure_at (self, --i);
  self->anchor = i;
  self->anchor_offset = MAX (0, filled - view_height);
  return filled >= view_height;
}

/* The user scrolled: the anchor moves by as much as the value did.  Not
 * to the item the new value falls on by the heights known now: a row
 * measured since the last layout changed those above it, and the user
 * would see a jump. */
static void
value_changed_cb (GtkAdjustment    *adjustment,
                  DuetTimelineList *self)
{
  double value = gtk_adjustment_get_value (adjustment);

  if (self->configuring)
    return;
  self->at_end = value + gtk_adjustment_get_page_size (adjustment) >=
                 gtk_adjustment_get_upper (adjustment) - 0.5;
  if (value <= 0)
    {
      self->anchor = 0;
      self->anchor_offset = 0;
    }
  else
    {
      self->anchor_offset += value - self->last_value;
      normalize_anchor (self);
    }
  if (value != self->last_value)
    self->direction = value < self->last_value ? -1 : 1;
  self->last_value = value;
  prepare (self);
}

static void
set_adjustment (DuetTimelineList  *self,
                GtkAdjustment    **slot,
                GtkAdjustment     *adjustment,
                gboolean           follow)
{
  if (adjustment == NULL)
    adjustment = gtk_adjustment_new (0, 0, 0, 0, 0, 0);
  if (*slot == adjustment)
    return;
  if (*slot != NULL)
    g_signal_handlers_disconnect_by_data (*slot, self);
  g_object_ref_sink (adjustment);
  g_clear_object (slot);
  *slot = adjustment;
  if (follow)
    g_signal_connect (adjustment, "value-changed", G_CALLBACK (value_changed_cb), self);
  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

/* --- Layout ---------------------------------------------------------------- */

static void
duet_timeline_list_measure (GtkWidget      *widget,
                            GtkOrientation  orientation,
                            int             for_size,
                            int            *minimum,
                            int            *natural,
                            int            *minimum_baseline,
                            int            *natural_baseline)
{
  DuetTimelineList *self = DUET_TIMELINE_LIST (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = *natural = self->min_width;
  else
    {
      *minimum = 0;
      *natural = (int) MIN (total_height (self), G_MAXINT / 2);
    }
}

static void
place_row (DuetTimelineList *self,
           Row              *row,
           double            y,
           int               height,
           guint             layout)
{
  int min_width;

  gtk_widget_measure (row->widget, GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL, NULL, NULL);
  gtk_widget_set_child_visible (row->widget, TRUE);
  gtk_widget_size_allocate (row->widget,
                            &(GtkAllocation) { 0, (int) floor (y), MAX (self->width, min_width), height },
                            -1);
  row->shown = layout;
  g_queue_unlink (&self->lru, &row->link);
  g_queue_push_head_link (&self->lru, &row->link);
}

/* Between frames, the rows about to come into view are made and measured,
 * those on the side the user scrolls to first: a frame then only moves
 * rows that are ready. */
static gboolean
prefetch_cb (gpointer user_data)
{
  DuetTimelineList *self = user_data;
  gint64 deadline = g_get_monotonic_time () + PREFETCH_BUDGET_US;
  guint n_items = self->items->len;

  /* Not in the layout: a row that goes queues a resize. */
  trim_rows (self, self->layout);

  if (n_items == 0 || self->width <= 0 || self->last_shown >= n_items)
    goto done;
  for (guint side = 0; side < 2; side++)
    {
      gboolean down = (side == 0) == (self->direction >= 0);

      for (guint i = 1; i <= PREFETCH_ROWS; i++)
        {
          guint position;

          if (down && self->last_shown + i < n_items)
            position = self->last_shown + i;
          else if (!down && self->first_shown >= i)
            position = self->first_shown - i;
          else
            break;
          if (g_hash_table_contains (self->rows, g_ptr_array_index (self->items, position)) &&
              g_array_index (self->heights, int, position) >= 0)
            continue;
          measure_at (self, position);
          if (g_get_monotonic_time () >= deadline)
            return G_SOURCE_CONTINUE;
        }
    }

done:
  self->prefetch_id = 0;
  return G_SOURCE_REMOVE;
}

/* Puts the anchor where the layout will stand and measures (making them
 * unless in a layout) the rows that will be on screen. */
static void
settle_anchor (DuetTimelineList *self,
               int               height)
{
  guint n_items = self->items->len;
  double y;
  guint i;

  if (n_items > 0 && height > 0)
    {
      if (self->anchor >= n_items)
        {
          self->anchor = n_items - 1;
          self->anchor_offset = 0;
        }
      if (self->at_end)
        anchor_bottom_at (self, n_items - 1, height);
      else
        {
          int anchor_height;

          /* Above the anchor (its item went, and others came above): what
           * comes into view is measured. */
          while (self->anchor_offset < 0 && self->anchor > 0)
            self->anchor_offset += measure_at (self, --self->anchor);
          self->anchor_offset = MAX (0, self->anchor_offset);
          anchor_height = measure_at (self, self->anchor);

          /* The offset may have come from estimates: it stays inside its item. */
          while (self->anchor_offset >= anchor_height && self->anchor + 1 < n_items)
            {
              self->anchor_offset -= anchor_height;
              anchor_height = measure_at (self, ++self->anchor);
            }
          /* Down from the anchor; when the end comes first, the end is held. */
          y = -self->anchor_offset;
          for (i = self->anchor; i < n_items && y < height; i++)
            y += measure_at (self, i);
          if (i == n_items && y + END_SPACING < height && !anchor_bottom_at (self, n_items - 1, height))
            {
              self->anchor = 0;
              self->anchor_offset = 0;
            }
        }
    }
}

/* Makes the rows the next layout needs, outside of a layout. */
static void
prepare (DuetTimelineList *self)
{
  if (self->width > 0 && self->height > 0 && !self->allocating)
    {
      settle_anchor (self, self->height);
      /* Here too, not only between frames: a fast scroll leaves none. */
      trim_rows (self, self->layout);
    }
  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

static gboolean
prepare_cb (gpointer user_data)
{
  DuetTimelineList *self = user_data;

  self->prepare_id = 0;
  prepare (self);
  return G_SOURCE_REMOVE;
}

static void
duet_timeline_list_size_allocate (GtkWidget *widget,
                                  int        width,
                                  int        height,
                                  int        baseline)
{
  DuetTimelineList *self = DUET_TIMELINE_LIST (widget);
  guint layout = ++self->layout;
  guint n_items = self->items->len;
  GtkWidget *focus = focus_row (self);
  double value, total, y;
  guint i;

  self->allocating = TRUE;
  self->height = height;
  if (width != self->width)
    {
      /* Every height changes with the width: the old ones are estimates. */
      self->width = width;
      self->measured_sum = 0;
      self->measured_count = 0;
      for (i = 0; i < n_items; i++)
        if (g_array_index (self->heights, int, i) >= 0)
          {
            self->measured_sum += g_array_index (self->heights, int, i);
            self->measured_count++;
          }
    }

  settle_anchor (self, height);

  total = total_height (self);
  value = n_items > 0 ? top_of (self, self->anchor) + self->anchor_offset : 0;
  if (self->at_end || value > total - height)
    value = MAX (0, total - height);

  self->configuring = TRUE;
  gtk_adjustment_configure (self->vadjustment, value, 0, MAX (total, height),
                            height * 0.1, height * 0.9, height);
  gtk_adjustment_configure (self->hadjustment, 0, 0, width, width * 0.1, width * 0.9, width);
  self->configuring = FALSE;
  self->last_value = value;
  /* Held at the end only while the end is in view. */
  self->at_end = value >= total - height - 0.5;

  /* The rows on screen, from the anchor down. */
  y = n_items > 0 ? top_of (self, self->anchor) - value : 0;
  self->first_shown = self->anchor;
  for (i = self->anchor; i < n_items && y < height; i++)
    {
      int row_height = measure_at (self, i);
      Row *row = g_hash_table_lookup (self->rows, g_ptr_array_index (self->items, i));

      if (row != NULL)
        place_row (self, row, y, row_height, layout);
      y += row_height;
      self->last_shown = i;
    }
  /* The focused row stays placed (off screen, clipped) so it keeps the focus. */
  if (focus != NULL)
    for (GList *link = self->lru.head; link != NULL; link = link->next)
      {
        Row *row = link->data;

        if (row->widget == focus && row->shown != layout)
          {
            guint position;

            if (g_ptr_array_find (self->items, row->item, &position))
              place_row (self, row, top_of (self, position) - value, measure_at (self, position), layout);
            break;
          }
      }

  for (GList *link = self->lru.head; link != NULL; link = link->next)
    {
      Row *row = link->data;

      if (row->shown != layout)
        gtk_widget_set_child_visible (row->widget, FALSE);
    }
  self->allocating = FALSE;

  if (self->missing && self->prepare_id == 0)
    self->prepare_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, prepare_cb, self, NULL);
  self->missing = FALSE;
  if (self->prefetch_id == 0 && n_items > 0)
    self->prefetch_id = g_idle_add_full (G_PRIORITY_LOW, prefetch_cb, self, NULL);
}

/* --- The model ------------------------------------------------------------- */

static void
items_changed_cb (GListModel       *model,
                  guint             position,
                  guint             removed,
                  guint             added,
                  DuetTimelineList *self)
{
  g_autoptr(GHashTable) gone = NULL;
  gboolean anchor_removed = self->anchor >= position && self->anchor < position + removed;
  gpointer anchor_item = self->anchor < self->items->len ? g_ptr_array_index (self->items, self->anchor) : NULL;
  double removed_above = 0;

  /* From the anchor's top to the first item after the ones that go. */
  if (anchor_removed)
    {
      int fallback = estimate (self);

      for (guint i = self->anchor; i < position + removed; i++)
        removed_above += height_at (self, i, fallback);
    }

  /* Rows of items that leave, kept aside: an item may come back at once. */
  for (guint i = position; i < position + removed; i++)
    {
      gpointer item = g_ptr_array_index (self->items, i);
      Row *row = g_hash_table_lookup (self->rows, item);

      if (row == NULL)
        continue;
      if (gone == NULL)
        gone = g_hash_table_new (NULL, NULL);
      g_hash_table_steal (self->rows, item);
      g_hash_table_insert (gone, item, row);
    }
  for (guint i = position; i < position + removed; i++)
    {
      int height = g_array_index (self->heights, int, i);

      if (height >= 0 && self->measured_count > 0)
        {
          self->measured_sum -= height;
          self->measured_count--;
        }
    }
  g_ptr_array_remove_range (self->items, position, removed);
  g_array_remove_range (self->heights, position, removed);

  for (guint i = 0; i < added; i++)
    {
      gpointer item = g_list_model_get_item (model, position + i);
      Row *row;

      g_ptr_array_insert (self->items, position + i, item);
      g_array_insert_val (self->heights, position + i, (int) { -1 });
      if (gone != NULL && (row = g_hash_table_lookup (gone, item)) != NULL)
        {
          g_hash_table_steal (gone, item);
          g_hash_table_insert (self->rows, item, row);
        }
    }
  if (gone != NULL)
    {
      GHashTableIter iter;
      Row *row;

      g_hash_table_iter_init (&iter, gone);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &row))
        row_destroy (self, row);
    }

  /* What the user sees stays: the anchor follows its item, or when that
   * went (a day separator that moves up with older history), the first
   * item after those that went, with the viewport's top as far above it
   * as it was (the layout measures what came in between). */
  if (anchor_removed)
    {
      guint found;

      if (anchor_item != NULL && g_ptr_array_find (self->items, anchor_item, &found))
        self->anchor = found;
      else if (position + added < self->items->len)
        {
          self->anchor = position + added;
          self->anchor_offset -= removed_above;
        }
      else
        {
          self->anchor = position;
          self->anchor_offset = 0;
        }
    }
  else if (self->anchor >= position + removed)
    self->anchor = self->anchor + added - removed;
  if (self->anchor >= self->items->len)
    self->anchor = self->items->len > 0 ? self->items->len - 1 : 0;

  prepare (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
duet_timeline_list_set_model (DuetTimelineList *self,
                              GListModel       *model)
{
  g_return_if_fail (DUET_IS_TIMELINE_LIST (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  clear_rows (self);
  g_ptr_array_set_size (self->items, 0);
  g_array_set_size (self->heights, 0);
  self->measured_sum = 0;
  self->measured_count = 0;
  self->min_width = 0;
  self->anchor = 0;
  self->anchor_offset = 0;
  self->at_end = TRUE;
  g_set_object (&self->model, model);
  if (model != NULL)
    {
      g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), self);
      items_changed_cb (model, 0, 0, g_list_model_get_n_items (model), self);
    }
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

GListModel *
duet_timeline_list_get_model (DuetTimelineList *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_LIST (self), NULL);

  return self->model;
}

void
duet_timeline_list_set_create_func (DuetTimelineList           *self,
                                    DuetTimelineListCreateFunc  func,
                                    gpointer                    user_data,
                                    GDestroyNotify              destroy)
{
  g_return_if_fail (DUET_IS_TIMELINE_LIST (self));

  clear_rows (self);
  if (self->create_destroy != NULL)
    self->create_destroy (self->create_data);
  self->create_func = func;
  self->create_data = user_data;
  self->create_destroy = destroy;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

/* --- Scrolling ------------------------------------------------------------- */

void
duet_timeline_list_scroll_to_end (DuetTimelineList *self)
{
  g_return_if_fail (DUET_IS_TIMELINE_LIST (self));

  self->at_end = TRUE;
  prepare (self);
}

/* Scrolls as little as brings the item wholly into view (its top, when it
 * is taller than the viewport). */
void
duet_timeline_list_scroll_to (DuetTimelineList *self,
                              guint             position)
{
  double value, page, top;
  int height;

  g_return_if_fail (DUET_IS_TIMELINE_LIST (self));

  if (position >= self->items->len)
    return;
  value = gtk_adjustment_get_value (self->vadjustment);
  page = gtk_adjustment_get_page_size (self->vadjustment);
  height = measure_at (self, position);
  top = top_of (self, position);
  if (top < value || height > page)
    {
      self->anchor = position;
      self->anchor_offset = 0;
      self->at_end = FALSE;
    }
  else if (top + height > value + page)
    {
      anchor_bottom_at (self, position, (int) page);
      self->at_end = position + 1 == self->items->len;
    }
  prepare (self);
}

GtkWidget *
duet_timeline_list_get_row (DuetTimelineList *self,
                            guint             position)
{
  Row *row;

  g_return_val_if_fail (DUET_IS_TIMELINE_LIST (self), NULL);

  if (position >= self->items->len)
    return NULL;
  row = g_hash_table_lookup (self->rows, g_ptr_array_index (self->items, position));
  return row != NULL ? row->widget : NULL;
}

void
duet_timeline_list_foreach_row (DuetTimelineList *self,
                                GFunc             func,
                                gpointer          user_data)
{
  g_return_if_fail (DUET_IS_TIMELINE_LIST (self));

  for (GList *link = self->lru.head; link != NULL; link = link->next)
    func (((Row *) link->data)->widget, user_data);
}

guint
duet_timeline_list_get_n_rows (DuetTimelineList *self)
{
  g_return_val_if_fail (DUET_IS_TIMELINE_LIST (self), 0);

  return self->lru.length;
}

/* --- Focus ----------------------------------------------------------------- */

static guint
position_of_widget (DuetTimelineList *self,
                    GtkWidget        *widget)
{
  for (GList *link = self->lru.head; link != NULL; link = link->next)
    {
      Row *row = link->data;
      guint position;

      if (row->widget == widget && g_ptr_array_find (self->items, row->item, &position))
        return position;
    }
  return G_MAXUINT;
}

static gboolean
focus_position (DuetTimelineList *self,
                guint             position)
{
  Row *row = ensure_row (self, position);

  duet_timeline_list_scroll_to (self, position);
  /* Shown now, placed by the coming layout. */
  gtk_widget_set_child_visible (row->widget, TRUE);
  return gtk_widget_grab_focus (row->widget);
}

/* Up and Down walk the rows, one item at a time. */
static void
move_focus (DuetTimelineList *self,
            int               delta)
{
  GtkWidget *focus = focus_row (self);
  guint position;

  if (focus == NULL || (position = position_of_widget (self, focus)) == G_MAXUINT)
    return;
  if ((delta < 0 && position == 0) || (delta > 0 && position + 1 >= self->items->len))
    return;
  focus_position (self, position + delta);
}

static void
up_action (GtkWidget  *widget,
           const char *action_name,
           GVariant   *parameter)
{
  move_focus (DUET_TIMELINE_LIST (widget), -1);
}

static void
down_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  move_focus (DUET_TIMELINE_LIST (widget), 1);
}

/* The first or last row whose top is in the viewport. */
static guint
visible_position (DuetTimelineList *self,
                  gboolean          last)
{
  double value = gtk_adjustment_get_value (self->vadjustment);
  double bottom = value + gtk_adjustment_get_page_size (self->vadjustment);
  int fallback = estimate (self);
  double top = top_of (self, self->anchor);
  guint found = self->anchor;

  if (!last)
    return top < value && self->anchor + 1 < self->items->len ? self->anchor + 1 : self->anchor;
  for (guint i = self->anchor; i < self->items->len && top < bottom; i++)
    {
      int height = height_at (self, i, fallback);

      if (top + height <= bottom + 0.5 || i == self->anchor)
        found = i;
      top += height;
    }
  return found;
}

static gboolean
duet_timeline_list_focus (GtkWidget        *widget,
                          GtkDirectionType  direction)
{
  DuetTimelineList *self = DUET_TIMELINE_LIST (widget);
  GtkWidget *focus = focus_row (self);
  gboolean backward;

  /* Within a row (its buttons, links), then out of the list. */
  if (focus != NULL)
    return gtk_widget_child_focus (focus, direction);
  if (self->items->len == 0)
    return FALSE;

  /* Coming in: from below (the composer) at the newest row in view. */
  backward = direction == GTK_DIR_TAB_BACKWARD || direction == GTK_DIR_UP || direction == GTK_DIR_LEFT;
  return focus_position (self, visible_position (self, backward));
}

static gboolean
duet_timeline_list_grab_focus (GtkWidget *widget)
{
  DuetTimelineList *self = DUET_TIMELINE_LIST (widget);

  if (self->items->len == 0)
    return FALSE;
  return focus_position (self, visible_position (self, TRUE));
}

/* --- GObject --------------------------------------------------------------- */

static void
duet_timeline_list_dispose (GObject *object)
{
  DuetTimelineList *self = DUET_TIMELINE_LIST (object);

  g_clear_handle_id (&self->prefetch_id, g_source_remove);
  g_clear_handle_id (&self->resize_id, g_source_remove);
  g_clear_handle_id (&self->prepare_id, g_source_remove);
  duet_timeline_list_set_model (self, NULL);
  clear_rows (self);
  if (self->create_destroy != NULL)
    g_clear_pointer (&self->create_data, self->create_destroy);
  self->create_func = NULL;
  if (self->hadjustment != NULL)
    g_signal_handlers_disconnect_by_data (self->hadjustment, self);
  if (self->vadjustment != NULL)
    g_signal_handlers_disconnect_by_data (self->vadjustment, self);
  g_clear_object (&self->hadjustment);
  g_clear_object (&self->vadjustment);

  G_OBJECT_CLASS (duet_timeline_list_parent_class)->dispose (object);
}

static void
duet_timeline_list_finalize (GObject *object)
{
  DuetTimelineList *self = DUET_TIMELINE_LIST (object);

  g_ptr_array_unref (self->items);
  g_array_unref (self->heights);
  g_hash_table_unref (self->rows);

  G_OBJECT_CLASS (duet_timeline_list_parent_class)->finalize (object);
}

static void
duet_timeline_list_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  DuetTimelineList *self = DUET_TIMELINE_LIST (object);

  switch (prop_id)
    {
    case PROP_HADJUSTMENT:
      g_value_set_object (value, self->hadjustment);
      break;
    case PROP_VADJUSTMENT:
      g_value_set_object (value, self->vadjustment);
      break;
    case PROP_HSCROLL_POLICY:
      g_value_set_enum (value, self->hscroll_policy);
      break;
    case PROP_VSCROLL_POLICY:
      g_value_set_enum (value, self->vscroll_policy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_timeline_list_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  DuetTimelineList *self = DUET_TIMELINE_LIST (object);

  switch (prop_id)
    {
    case PROP_HADJUSTMENT:
      set_adjustment (self, &self->hadjustment, g_value_get_object (value), FALSE);
      break;
    case PROP_VADJUSTMENT:
      set_adjustment (self, &self->vadjustment, g_value_get_object (value), TRUE);
      break;
    case PROP_HSCROLL_POLICY:
      self->hscroll_policy = g_value_get_enum (value);
      gtk_widget_queue_resize (GTK_WIDGET (self));
      break;
    case PROP_VSCROLL_POLICY:
      self->vscroll_policy = g_value_get_enum (value);
      gtk_widget_queue_resize (GTK_WIDGET (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_timeline_list_class_init (DuetTimelineListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = duet_timeline_list_dispose;
  object_class->finalize = duet_timeline_list_finalize;
  object_class->get_property = duet_timeline_list_get_property;
  object_class->set_property = duet_timeline_list_set_property;

  widget_class->measure = duet_timeline_list_measure;
  widget_class->size_allocate = duet_timeline_list_size_allocate;
  widget_class->focus = duet_timeline_list_focus;
  widget_class->grab_focus = duet_timeline_list_grab_focus;

  g_object_class_override_property (object_class, PROP_HADJUSTMENT, "hadjustment");
  g_object_class_override_property (object_class, PROP_VADJUSTMENT, "vadjustment");
  g_object_class_override_property (object_class, PROP_HSCROLL_POLICY, "hscroll-policy");
  g_object_class_override_property (object_class, PROP_VSCROLL_POLICY, "vscroll-policy");

  gtk_widget_class_install_action (widget_class, "timeline.up", NULL, up_action);
  gtk_widget_class_install_action (widget_class, "timeline.down", NULL, down_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up, 0, "timeline.up", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Up, 0, "timeline.up", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down, 0, "timeline.down", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Down, 0, "timeline.down", NULL);

  gtk_widget_class_set_css_name (widget_class, "timelinelist");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LIST);
}

static void
duet_timeline_list_init (DuetTimelineList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->heights = g_array_new (FALSE, FALSE, sizeof (int));
  self->rows = g_hash_table_new (NULL, NULL);
  self->at_end = TRUE;
  self->hadjustment = g_object_ref_sink (gtk_adjustment_new (0, 0, 0, 0, 0, 0));
  self->vadjustment = g_object_ref_sink (gtk_adjustment_new (0, 0, 0, 0, 0, 0));
  g_signal_connect (self->vadjustment, "value-changed", G_CALLBACK (value_changed_cb), self);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
}

GtkWidget *
duet_timeline_list_new (void)
{
  return g_object_new (DUET_TYPE_TIMELINE_LIST, NULL);
}
