/* duet-login-page.h: signing in with a Matrix account
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "duet-client.h"

G_BEGIN_DECLS

#define DUET_TYPE_LOGIN_PAGE (duet_login_page_get_type ())
G_DECLARE_FINAL_TYPE (DuetLoginPage, duet_login_page, DUET, LOGIN_PAGE, AdwBin)

/* Finds the server, signs in, and emits DuetLoginPage::signed-in with a
 * signed-in DuetClient; the page stays busy until the window calls
 * duet_login_page_reset() or duet_login_page_show_error().  Property: busy. */
GtkWidget *duet_login_page_new            (void);
gboolean   duet_login_page_get_busy       (DuetLoginPage *self);

/* Back to an empty form (the homeserver stays), not busy. */
void       duet_login_page_reset          (DuetLoginPage *self);
/* The server ended the session but kept the device (soft logout): only
 * the password is asked, and the same device signs in again. */
void       duet_login_page_set_reauth     (DuetLoginPage *self,
                                           const char    *homeserver_url,
                                           const char    *user_id,
                                           const char    *device_id);
/* Fills the form and signs in, as if the user had (the demo does this). */
void       duet_login_page_sign_in        (DuetLoginPage *self,
                                           const char    *server,
                                           const char    *user,
                                           const char    *password);
/* Ends the busy state with @message under the form. */
void       duet_login_page_show_error     (DuetLoginPage *self,
                                           const char    *message);

/* Plain words for why signing in to @server failed. */
char      *duet_login_error_describe      (const GError  *error,
                                           const char    *server) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
