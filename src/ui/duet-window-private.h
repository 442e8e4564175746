/* duet-window-private.h: what duet-window.c and duet-window-account.c share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * duet-window.c holds the chrome (pages, leaflet, status bar, actions);
 * duet-window-account.c the account's life: keyring, store, session,
 * signing in and out.
 */
#pragma once

#include "duet-login-page.h"
#include "duet-notifier.h"
#include "duet-room-placeholder.h"
#include "duet-window.h"

G_BEGIN_DECLS

struct _DuetWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  DuetLoginPage        *login_page;
  AdwLeaflet           *leaflet;
  AdwBin               *contacts_bin;
  GtkRevealer          *status_revealer;
  GtkLabel             *status_label;
  AdwWindowTitle       *room_title;
  DuetRoomPlaceholder  *room_placeholder;

  /* Owned references */
  char                 *data_dir;
  GSettings            *settings;
  GCancellable         *cancellable;
  DuetStore            *store;
  DuetSession          *session;
  DuetNotifier         *notifier;
  char                 *pending_chat;   /* "" = the dialog; NULL = nothing waits */

  /* Borrowed references */
  AdwToast             *store_toast;    /* shown, so the next store error waits */

  gint64                retry_deadline; /* monotonic µs of the next sync attempt */
  guint                 retry_tick_id;
  gboolean              synced_from_server;
  gboolean              demo_sign_in_done;
  gboolean              signing_out;
};

/* duet-window.c */
void _duet_window_show_loading  (DuetWindow  *self);
void _duet_window_show_login    (DuetWindow  *self);
void _duet_window_show_locked   (DuetWindow  *self);
void _duet_window_show_session  (DuetWindow  *self);
void _duet_window_clear_session (DuetWindow  *self);
void _duet_window_update_status (DuetWindow  *self);
void _duet_window_store_error   (DuetWindow  *self,
                                 const GError *error);

/* duet-window-account.c */
void _duet_window_account_start   (DuetWindow *self);
void _duet_window_account_sign_out (DuetWindow *self);
void _duet_window_account_signed_in (DuetWindow *self,
                                     DuetClient *client);
void _duet_window_account_stop    (DuetWindow *self);

G_END_DECLS
