/* duet-application.h: the Duet application
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define DUET_TYPE_APPLICATION (duet_application_get_type ())
G_DECLARE_FINAL_TYPE (DuetApplication, duet_application, DUET, APPLICATION, AdwApplication)

/* @application_id: APPLICATION_ID for the app; tests pass their own. */
DuetApplication *duet_application_new          (const char        *application_id,
                                                GApplicationFlags  flags);
/* Where the account's cache lives: $DUET_DATA_DIR, else <user data dir>/duet. */
const char      *duet_application_get_data_dir (DuetApplication   *self);
GSettings       *duet_application_get_settings (DuetApplication   *self);

G_END_DECLS
