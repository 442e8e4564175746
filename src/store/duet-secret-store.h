/* duet-secret-store.h: the account's access token in the Secret Service
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The token is the only secret Duet holds; it lives in the Secret Service
 * (the keyring, or the Secret portal in the Flatpak) and nowhere else: not in
 * a log, not in the SQLite cache.  The homeserver, user and device ids are
 * kept as the item's attributes so the app can open signed in.  One account
 * per data folder: the folder is an attribute too, so `duetctl --data-dir`
 * and tests keep apart from the app.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  char *homeserver;
  char *user_id;
  char *device_id;
  char *access_token;
} DuetStoredAccount;

void               duet_stored_account_free        (DuetStoredAccount    *account);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DuetStoredAccount, duet_stored_account_free)

void               duet_secret_store_save_async    (const char           *data_dir,
                                                    const char           *homeserver,
                                                    const char           *user_id,
                                                    const char           *device_id,
                                                    const char           *access_token,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean           duet_secret_store_save_finish   (GAsyncResult         *result,
                                                    GError              **error);

/* Resolves to the stored account, or NULL without an error when none is. */
void               duet_secret_store_load_async    (const char           *data_dir,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
DuetStoredAccount *duet_secret_store_load_finish   (GAsyncResult         *result,
                                                    GError              **error);

/* Forgets the data folder's account (sign out); no error when there was none. */
void               duet_secret_store_clear_async   (const char           *data_dir,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean           duet_secret_store_clear_finish  (GAsyncResult         *result,
                                                    GError              **error);

G_END_DECLS
