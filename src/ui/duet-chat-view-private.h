/* duet-chat-view-private.h: what the chat view's files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * duet-chat-view.c holds the timeline list (scrolling, back-pagination,
 * read state); duet-chat-composer.c the composer and its draft;
 * duet-chat-room-menu.c the header's menu and the members panel.
 */
#pragma once

#include "duet-chat-view.h"
#include "duet-timeline-list.h"

G_BEGIN_DECLS

struct _DuetChatView
{
  AdwBin                 parent_instance;

  /* Template widgets */
  AdwToastOverlay       *toast_overlay;
  AdwHeaderBar          *header_bar;
  GtkButton             *back_button;
  AdwAvatar             *header_avatar;
  AdwWindowTitle        *title_widget;
  GtkMenuButton         *menu_button;
  GtkToggleButton       *members_button;
  AdwFlap               *flap;
  GtkStack              *content_stack;
  GtkSpinner            *loading_spinner;
  AdwStatusPage         *empty_page;
  GtkScrolledWindow     *scroller;
  DuetTimelineList      *timeline_list;
  GtkRevealer           *jump_revealer;
  GtkButton             *jump_button;
  GtkLabel              *new_count_label;
  GtkRevealer           *typing_revealer;
  GtkLabel              *typing_label;
  GtkTextView           *composer;
  GtkButton             *send_button;
  GtkLabel              *members_title;
  GtkListBox            *members_list;

  /* Owned references */
  DuetSession           *session;
  DuetRoom              *room;
  DuetTimeline          *timeline;
  GCancellable          *cancellable;       /* this room's requests */
  char                  *read_event_id;     /* the newest event we marked read */
  char                  *draft_room_id;     /* the room the composer's text belongs to */

  /* Borrowed references */
  GtkWindow             *window;            /* followed for is-active */

  double                 last_value;
  double                 configured_value;  /* the value a relayout set, NAN when none is pending */
  guint                  bottom_tick_id;
  guint                  bottom_frames;
  guint                  check_idle_id;
  guint                  draft_timeout_id;
  guint                  new_count;
  guint                  shown_count;       /* the count the button's texts show */
  gboolean               folded;
  gboolean               members_visible;
  gboolean               show_sender;
  gboolean               stick_to_bottom;
  gboolean               paginating;
  gboolean               paginate_failed;
  gboolean               loaded;
  gboolean               draft_loaded;      /* the stored draft came back (or there was none) */
  gboolean               restoring_draft;   /* the buffer changes from the store, not the user */
};

/* duet-chat-view.c */
void _duet_chat_view_scroll_to_bottom (DuetChatView *self);
void _duet_chat_view_show_error       (DuetChatView *self,
                                       const char   *what,
                                       const GError *error);

/* duet-chat-composer.c */
void _duet_chat_composer_init         (DuetChatView *self);
void _duet_chat_composer_open         (DuetChatView *self);
void _duet_chat_composer_close        (DuetChatView *self);
void _duet_chat_composer_send         (DuetChatView *self);

/* duet-chat-room-menu.c */
void _duet_chat_room_menu_class_init  (GtkWidgetClass *widget_class);
void _duet_chat_room_menu_update      (DuetChatView *self);
void _duet_chat_members_update        (DuetChatView *self);
/* The other person of a chat (the m.direct partner, else the first other
 * member), or NULL. */
DuetMember *_duet_chat_view_get_partner (DuetChatView *self);

G_END_DECLS
