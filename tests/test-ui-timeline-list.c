/* test-ui-timeline-list.c: DuetTimelineList under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The list's promises: a row is made once for its item and never shows
 * another; only rows on screen are drawn; the end stays in view as items
 * come; a row stays where it is on screen when items come or go above it
 * (even when the item at the viewport's top is the one that goes); a drag
 * over thousands of items makes rows only where it lands; the arrow keys
 * walk the rows and bring the focused one into view.
 */
#include "config.h"

#include <stdlib.h>
#include <adwaita.h>

#include "duet-test-utils.h"
#include "duet-timeline-list.h"

#define VIEW_HEIGHT 400

typedef struct {
  GtkWindow         *window;
  GtkScrolledWindow *scroller;
  DuetTimelineList  *list;
  GListStore        *store;
  guint              made;      /* rows made so far */
} Fixture;

/* Items are strings "NAME HEIGHT"; a row is a box of that height with
 * the string in it (a box, as a plain label does not take the focus). */
static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  Fixture *f = user_data;
  const char *text = gtk_string_object_get_string (item);
  const char *space = strchr (text, ' ');
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  f->made++;
  gtk_box_append (GTK_BOX (box), gtk_label_new (text));
  gtk_widget_set_size_request (box, -1, space != NULL ? atoi (space + 1) : 30);
  g_object_set_data (G_OBJECT (box), "item", item);
  return box;
}

static GtkStringObject *
new_item (const char *name,
          int         height)
{
  g_autofree char *text = g_strdup_printf ("%s %d", name, height);

  return gtk_string_object_new (text);
}

static void
append_items (Fixture    *f,
              const char *prefix,
              guint       count,
              guint       position)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s%u", prefix, i);

      /* Heights of 30 to 90: rows of different sizes. */
      g_ptr_array_add (items, new_item (name, 30 + (i * 37) % 61));
    }
  g_list_store_splice (f->store, position, 0, items->pdata, items->len);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->store = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 320, VIEW_HEIGHT);
  f->scroller = GTK_SCROLLED_WINDOW (gtk_scrolled_window_new ());
  gtk_scrolled_window_set_policy (f->scroller, GTK_POLICY_NEVER, GTK_POLICY_EXTERNAL);
  f->list = DUET_TIMELINE_LIST (duet_timeline_list_new ());
  duet_timeline_list_set_create_func (f->list, create_row, f, NULL);
  gtk_scrolled_window_set_child (f->scroller, GTK_WIDGET (f->list));
  gtk_window_set_child (f->window, GTK_WIDGET (f->scroller));
  gtk_window_present (f->window);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  gtk_window_destroy (f->window);
  g_clear_object (&f->store);
  duet_test_run_for (50);
}

static GtkAdjustment *
vadj (Fixture *f)
{
  return gtk_scrolled_window_get_vadjustment (f->scroller);
}

/* The row shown for @item, or NULL when it is not on screen. */
static GtkWidget *
shown_row (Fixture  *f,
           gpointer  item)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (f->list)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (g_object_get_data (G_OBJECT (child), "item") == item && gtk_widget_get_child_visible (child))
      return child;
  return NULL;
}

static double
row_y (Fixture   *f,
       GtkWidget *row)
{
  graphene_point_t point;

  g_assert_true (gtk_widget_compute_point (row, GTK_WIDGET (f->scroller), &GRAPHENE_POINT_INIT (0, 0), &point));
  return point.y;
}

/* Layouts are done when rows are shown (a layout that lacked rows shows
 * none: they are made before the next one) and every shown row has its
 * size. */
static gboolean
laid_out (gpointer data)
{
  Fixture *f = data;
  guint shown = 0;

  if (gtk_widget_get_height (GTK_WIDGET (f->list)) <= 0)
    return FALSE;
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (f->list)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_get_child_visible (child))
      {
        if (gtk_widget_get_height (child) <= 0)
          return FALSE;
        shown++;
      }
  return shown > 0 || g_list_model_get_n_items (G_LIST_MODEL (f->store)) == 0;
}

static void
settle (Fixture *f)
{
  g_assert_true (duet_test_wait_until (laid_out, f, DUET_TEST_TIMEOUT_MS));
  duet_test_run_for (150);
}

/* The shown rows are their items' rows, in the model's order, touching,
 * covering the viewport; returns how many there are. */
static guint
assert_screen (Fixture *f)
{
  GListModel *model = G_LIST_MODEL (f->store);
  guint n_items = g_list_model_get_n_items (model);
  double last_bottom = G_MAXDOUBLE;
  guint shown = 0;

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);
      GtkWidget *row = shown_row (f, item);
      double y;

      if (row == NULL)
        continue;
      y = row_y (f, row);
      if (last_bottom != G_MAXDOUBLE)
        g_assert_cmpfloat (fabs (y - last_bottom), <, 1.0);
      last_bottom = y + gtk_widget_get_height (row);
      shown++;
    }
  return shown;
}

static void
test_end_stays (Fixture       *f,
                gconstpointer  data)
{
  GtkAdjustment *adj = vadj (f);
  g_autoptr(GtkStringObject) last = NULL;

  duet_timeline_list_set_model (f->list, G_LIST_MODEL (f->store));
  append_items (f, "a", 200, 0);
  settle (f);
  /* A new list starts at its end. */
  g_assert_cmpfloat (gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj), >=,
                     gtk_adjustment_get_upper (adj) - 0.5);
  g_assert_cmpfloat (gtk_adjustment_get_upper (adj), >, VIEW_HEIGHT);
  /* Only what is on screen (and a few ahead) was made. */
  g_assert_cmpuint (f->made, <, 40);
  g_assert_cmpuint (assert_screen (f), >, 3);

  /* Items that come at the end are followed. */
  for (guint round = 0; round < 5; round++)
    {
      g_autofree char *prefix = g_strdup_printf ("b%u-", round);

      append_items (f, prefix, 3, g_list_model_get_n_items (G_LIST_MODEL (f->store)));
      settle (f);
      g_clear_object (&last);
      last = g_list_model_get_item (G_LIST_MODEL (f->store), g_list_model_get_n_items (G_LIST_MODEL (f->store)) - 1);
      g_assert_nonnull (shown_row (f, last));
      g_assert_cmpfloat (gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj), >=,
                         gtk_adjustment_get_upper (adj) - 0.5);
    }
  assert_screen (f);
}

static void
test_position_kept (Fixture       *f,
                    gconstpointer  data)
{
  GtkAdjustment *adj = vadj (f);
  g_autoptr(GObject) watched = NULL;
  GtkWidget *row;
  double y_before;

  duet_timeline_list_set_model (f->list, G_LIST_MODEL (f->store));
  append_items (f, "a", 100, 0);
  settle (f);
  /* Up from the end by a bit more than a screen, as the user would. */
  for (guint i = 0; i < 20; i++)
    {
      gtk_adjustment_set_value (adj, gtk_adjustment_get_value (adj) - 30);
      duet_test_run_for (20);
    }
  settle (f);
  watched = g_list_model_get_item (G_LIST_MODEL (f->store), 80);
  if (shown_row (f, watched) == NULL)
    {
      g_clear_object (&watched);
      for (guint i = 0; i < 100 && watched == NULL; i++)
        {
          g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (f->store), i);

          if (shown_row (f, item) != NULL && row_y (f, shown_row (f, item)) > 50)
            watched = g_steal_pointer (&item);
        }
    }
  g_assert_nonnull (watched);
  row = shown_row (f, watched);
  y_before = row_y (f, row);

  /* Older items come above: the row stays on screen where it was, and it
   * is the same row. */
  append_items (f, "older", 50, 0);
  settle (f);
  g_assert_true (shown_row (f, watched) == row);
  g_assert_cmpfloat (fabs (row_y (f, row) - y_before), <, 1.0);
  assert_screen (f);

  /* Items go above it. */
  g_list_store_splice (f->store, 0, 30, NULL, 0);
  settle (f);
  g_assert_true (shown_row (f, watched) == row);
  g_assert_cmpfloat (fabs (row_y (f, row) - y_before), <, 1.0);
  assert_screen (f);

  /* An item below it comes and goes: nothing moves. */
  append_items (f, "below", 1, g_list_model_get_n_items (G_LIST_MODEL (f->store)) - 2);
  settle (f);
  g_assert_cmpfloat (fabs (row_y (f, row) - y_before), <, 1.0);
}

/* The item at the viewport's top goes, as a day separator does when
 * older history of the same day comes: the rows below stay put. */
static void
test_top_item_replaced (Fixture       *f,
                        gconstpointer  data)
{
  GtkAdjustment *adj = vadj (f);
  g_autoptr(GObject) top = NULL;
  g_autoptr(GObject) next = NULL;
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
  guint top_position = G_MAXUINT;
  GtkWidget *row;
  double y_before;

  duet_timeline_list_set_model (f->list, G_LIST_MODEL (f->store));
  append_items (f, "a", 60, 0);
  settle (f);
  gtk_adjustment_set_value (adj, 700);
  settle (f);

  /* The item whose row is cut by the viewport's top. */
  for (guint i = 0; i < 60 && top_position == G_MAXUINT; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (f->store), i);
      GtkWidget *shown = shown_row (f, item);

      if (shown != NULL && row_y (f, shown) <= 0 && row_y (f, shown) + gtk_widget_get_height (shown) > 0)
        top_position = i;
    }
  g_assert_cmpuint (top_position, !=, G_MAXUINT);
  top = g_list_model_get_item (G_LIST_MODEL (f->store), top_position);
  next = g_list_model_get_item (G_LIST_MODEL (f->store), top_position + 1);
  row = shown_row (f, next);
  y_before = row_y (f, row);

  /* It goes, and others take its place (more than it). */
  for (guint i = 0; i < 5; i++)
    g_ptr_array_add (added, new_item ("new", 45));
  g_list_store_splice (f->store, top_position, 1, added->pdata, added->len);
  settle (f);
  g_assert_true (shown_row (f, next) == row);
  g_assert_cmpfloat (fabs (row_y (f, row) - y_before), <, 1.0);
  g_assert_null (shown_row (f, top));
  assert_screen (f);
}

/* Each item on screen has the row it had before, if it had one. */
static void
record_rows (Fixture    *f,
             GHashTable *rows)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (f->store));

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (f->store), i);
      GtkWidget *row = shown_row (f, item);
      GtkWidget *known;

      if (row == NULL)
        continue;
      known = g_hash_table_lookup (rows, item);
      if (known == NULL)
        g_hash_table_insert (rows, item, row);
      else
        g_assert_true (known == row);
    }
}

/* Scrolled to the top and back down: each item has its one row, made
 * once, and no row ever shows another item. */
static void
test_rows_made_once (Fixture       *f,
                     gconstpointer  data)
{
  GtkAdjustment *adj = vadj (f);
  g_autoptr(GHashTable) rows = g_hash_table_new (NULL, NULL);
  guint made_after_down;

  duet_timeline_list_set_model (f->list, G_LIST_MODEL (f->store));
  append_items (f, "a", 150, 0);
  settle (f);
  record_rows (f, rows);
  for (int direction = -1; direction <= 1; direction += 2)
    {
      for (guint step = 0; step < 400; step++)
        {
          double bottom = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);
          double value = gtk_adjustment_get_value (adj);

          if ((direction < 0 && value <= 0) || (direction > 0 && value >= bottom - 0.5))
            break;
          gtk_adjustment_set_value (adj, CLAMP (value + direction * 60, 0, bottom));
          g_assert_true (duet_test_wait_until (laid_out, f, DUET_TEST_TIMEOUT_MS));
          duet_test_run_for (5);
          record_rows (f, rows);
          assert_screen (f);
        }
      settle (f);
      record_rows (f, rows);
      if (direction < 0)
        {
          g_assert_cmpfloat (gtk_adjustment_get_value (adj), ==, 0);
          made_after_down = f->made;
          /* All 150 were on screen once, each made once (the cache holds 400). */
          g_assert_cmpuint (g_hash_table_size (rows), ==, 150);
          g_assert_cmpuint (made_after_down, ==, 150);
        }
    }
  g_assert_cmpuint (f->made, ==, 150);
  g_assert_cmpuint (duet_timeline_list_get_n_rows (f->list), ==, 150);
}

/* A drag of the scrollbar to the middle of 5,000 items makes rows only
 * where it lands. */
static void
test_jump_makes_few_rows (Fixture       *f,
                          gconstpointer  data)
{
  GtkAdjustment *adj = vadj (f);
  guint made;

  duet_timeline_list_set_model (f->list, G_LIST_MODEL (f->store));
  append_items (f, "a", 5000, 0);
  settle (f);
  made = f->made;
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) / 2);
  settle (f);
  g_assert_cmpuint (assert_screen (f), >, 3);
  g_assert_cmpuint (f->made - made, <, 50);
  g_assert_cmpuint (duet_timeline_list_get_n_rows (f->list), <=, 400);
}

static GtkWidget *
focused_row (Fixture *f)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));

  while (focus != NULL && gtk_widget_get_parent (focus) != GTK_WIDGET (f->list))
    focus = gtk_widget_get_parent (focus);
  return focus;
}

/* The list's Up and Down, as the key bindings run them. */
static void
press (Fixture    *f,
       const char *action)
{
  g_assert_nonnull (focused_row (f));
  g_assert_true (gtk_widget_activate_action (focused_row (f), action, NULL));
  settle (f);
}

static void
test_keyboard (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GObject) first = NULL;
  g_autoptr(GObject) last = NULL;
  GtkWidget *row;

  duet_timeline_list_set_model (f->list, G_LIST_MODEL (f->store));
  append_items (f, "a", 100, 0);
  settle (f);

  /* Focus comes in at the newest row in view. */
  g_assert_true (gtk_widget_child_focus (GTK_WIDGET (f->list), GTK_DIR_TAB_BACKWARD));
  settle (f);
  last = g_list_model_get_item (G_LIST_MODEL (f->store), 99);
  g_assert_true (focused_row (f) == shown_row (f, last));

  /* Up walks one item at a time, out of the first screen and on. */
  for (guint i = 0; i < 30; i++)
    press (f, "timeline.up");
  {
    g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (f->store), 69);

    row = shown_row (f, item);
    g_assert_nonnull (row);
    g_assert_true (focused_row (f) == row);
    /* Brought into view. */
    g_assert_cmpfloat (row_y (f, row), >=, -0.5);
    g_assert_cmpfloat (row_y (f, row) + gtk_widget_get_height (row), <=, VIEW_HEIGHT + 0.5);
  }
  for (guint i = 0; i < 30; i++)
    press (f, "timeline.down");
  g_assert_true (focused_row (f) == shown_row (f, last));
  /* At the end, Down stays. */
  press (f, "timeline.down");
  g_assert_true (focused_row (f) == shown_row (f, last));

  /* The focused row stays focused when it is scrolled out of view. */
  gtk_adjustment_set_value (vadj (f), 0);
  settle (f);
  first = g_list_model_get_item (G_LIST_MODEL (f->store), 0);
  g_assert_nonnull (shown_row (f, first));
  g_assert_nonnull (focused_row (f));
  g_assert_true (g_object_get_data (G_OBJECT (focused_row (f)), "item") == last);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();

#define ADD(path, func) g_test_add ("/ui/timeline-list/" path, Fixture, NULL, setup, func, teardown)
  ADD ("end-stays", test_end_stays);
  ADD ("position-kept", test_position_kept);
  ADD ("top-item-replaced", test_top_item_replaced);
  ADD ("rows-made-once", test_rows_made_once);
  ADD ("jump-makes-few-rows", test_jump_makes_few_rows);
  ADD ("keyboard", test_keyboard);
#undef ADD

  return g_test_run ();
}
