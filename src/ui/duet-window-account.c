/* duet-window-account.c: the account behind the window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * keyring → store → session, as duetctl does it: the access token comes
 * from the Secret Service (one item per data folder), the store holds
 * the cache, and the session shows the cache before it syncs.  Signing
 * out undoes it in the same order: the server, the keyring, the cache.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "duet-secret-store.h"
#include "duet-sync-loop.h"
#include "duet-window-private.h"

/* One step of the chain: the window, the run it belongs to (a cancelled
 * run's answers are no one's), and the client being set up. */
typedef struct {
  DuetWindow   *self;
  GCancellable *cancellable;
  DuetClient   *client;
} Step;

static Step *
step_new (DuetWindow *self,
          DuetClient *client)
{
  Step *step = g_new0 (Step, 1);

  step->self = g_object_ref (self);
  step->cancellable = g_object_ref (self->cancellable);
  step->client = client != NULL ? g_object_ref (client) : NULL;
  return step;
}

static void
step_free (Step *step)
{
  g_clear_object (&step->self);
  g_clear_object (&step->cancellable);
  g_clear_object (&step->client);
  g_free (step);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Step, step_free)

static gboolean
step_cancelled (Step *step)
{
  return g_cancellable_is_cancelled (step->cancellable);
}

static void show_error (DuetWindow *self,
                        const char *format,
                        ...) G_GNUC_PRINTF (2, 3);

static void
show_error (DuetWindow *self,
            const char *format,
            ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  duet_window_show_message (self, message);
}

static void
new_run (DuetWindow *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
}

/* Drops the session without signing anything out. */
static void
drop_session (DuetWindow *self)
{
  if (self->session == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->session, self);
  g_signal_handlers_disconnect_by_data (duet_session_get_sync_loop (self->session), self);
  duet_session_stop (self->session);
  g_clear_object (&self->session);
}

/* --- Running ------------------------------------------------------------- */

static void forget_account (DuetWindow *self);

static void
soft_logout (DuetWindow *self)
{
  DuetClient *client = duet_session_get_client (self->session);
  g_autofree char *homeserver = g_strdup (duet_client_get_homeserver (client));
  g_autofree char *user_id = g_strdup (duet_client_get_user_id (client));
  g_autofree char *device_id = g_strdup (duet_client_get_device_id (client));

  /* The cache stays: signing in again picks up where it was. */
  drop_session (self);
  _duet_window_clear_session (self);
  duet_login_page_set_reauth (self->login_page, homeserver, user_id, device_id);
  _duet_window_show_login (self);
}

static void
sync_error_cb (DuetWindow   *self,
               const GError *error,
               DuetSyncLoop *loop)
{
  /* A passing failure: the offline bar shows the retry. */
  if (duet_sync_loop_get_state (loop) != DUET_SYNC_STATE_STOPPED || self->signing_out)
    return;

  if (duet_session_get_state (self->session) == DUET_SESSION_STATE_SOFT_LOGGED_OUT)
    {
      soft_logout (self);
      return;
    }

  /* The token is gone for good (signed out elsewhere, account closed):
   * what is kept here belongs to no session any more. */
  g_debug ("Sync stopped: %s", error->message);
  duet_window_show_message (self, _("The server signed this device out. Sign in again to continue."));
  self->signing_out = TRUE;
  _duet_window_show_loading (self);
  forget_account (self);
}

static void
session_state_cb (DuetWindow  *self,
                  GParamSpec  *pspec,
                  DuetSession *session)
{
  _duet_window_update_status (self);
}

static void
store_error_cb (DuetWindow   *self,
                const GError *error,
                DuetSession  *session)
{
  _duet_window_store_error (self, error);
}

static void
cache_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  DuetWindow *self = step->self;
  g_autoptr(GError) error = NULL;

  if (!duet_session_load_cache_finish (DUET_SESSION (object), result, &error) &&
      !step_cancelled (step))
    show_error (self, _("Your chats could not be read from this computer: %s"), error->message);
  if (step_cancelled (step))
    return;

  duet_session_start (self->session);
  duet_login_page_reset (self->login_page);
  _duet_window_show_session (self);
}

static void
start_session (DuetWindow *self,
               DuetClient *client)
{
  g_assert (self->session == NULL);

  self->session = duet_session_new (client);
  if (self->store != NULL)
    duet_session_set_store (self->session, self->store);

  g_settings_bind (self->settings, "invite-policy", self->session, "invite-policy",
                   G_SETTINGS_BIND_GET);
  g_signal_connect_swapped (self->session, "store-error", G_CALLBACK (store_error_cb), self);
  g_signal_connect_swapped (self->session, "notify::state", G_CALLBACK (session_state_cb), self);
  /* After the session's own handler, so its state already tells a soft
   * logout from the rest. */
  g_signal_connect_swapped (duet_session_get_sync_loop (self->session), "error",
                            G_CALLBACK (sync_error_cb), self);

  duet_session_load_cache_async (self->session, self->cancellable, cache_loaded_cb,
                                 step_new (self, NULL));
}

static void
store_opened_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  DuetWindow *self = step->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(DuetStore) store = duet_store_open_finish (result, &error);

  if (step_cancelled (step))
    return;

  if (g_error_matches (error, DUET_STORE_ERROR, DUET_STORE_ERROR_LOCKED))
    {
      duet_login_page_reset (self->login_page);
      _duet_window_show_locked (self);
      return;
    }

  if (store == NULL)
    {
      /* Duet still works, only without a cache: say so and go on. */
      show_error (self, _("Duet cannot keep a copy of your chats on this computer: %s"), error->message);
    }
  else
    {
      if (duet_store_get_was_reset (store))
        duet_window_show_message (self, _("The copy of your chats on this computer was damaged and starts afresh"));
      self->store = g_steal_pointer (&store);
    }

  start_session (self, step->client);
}

/* The store is opened once per window and kept across sign-out, so that
 * signing in again never races its own lock. */
static void
open_account (DuetWindow *self,
              DuetClient *client)
{
  if (self->store != NULL)
    {
      start_session (self, client);
      return;
    }

  duet_store_open_async (self->data_dir, self->cancellable, store_opened_cb,
                         step_new (self, client));
}

/* --- Starting ------------------------------------------------------------ */

static void
maybe_demo_sign_in (DuetWindow *self)
{
  const char *server = g_getenv ("DUET_DEMO_HOMESERVER");
  const char *user = g_getenv ("DUET_DEMO_USER");
  const char *password = g_getenv ("DUET_DEMO_PASSWORD");

  /* Once: after signing out, the demo stays signed out. */
  if (self->demo_sign_in_done || server == NULL || user == NULL || password == NULL)
    return;

  self->demo_sign_in_done = TRUE;
  duet_login_page_sign_in (self->login_page, server, user, password);
}

static void
account_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  DuetWindow *self = step->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(DuetStoredAccount) account = duet_secret_store_load_finish (result, &error);
  g_autoptr(DuetClient) client = NULL;

  if (step_cancelled (step))
    return;

  if (error != NULL)
    show_error (self, _("Duet could not read the keyring: %s"), error->message);

  if (account == NULL)
    {
      _duet_window_show_login (self);
      maybe_demo_sign_in (self);
      return;
    }

  client = duet_client_new (account->homeserver);
  duet_client_set_session (client, account->user_id, account->device_id, account->access_token);
  open_account (self, client);
}

void
_duet_window_account_start (DuetWindow *self)
{
  new_run (self);
  _duet_window_show_loading (self);
  duet_secret_store_load_async (self->data_dir, self->cancellable, account_loaded_cb,
                                step_new (self, NULL));
}

/* --- Signing in ---------------------------------------------------------- */

static void
account_saved_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_secret_store_save_finish (result, &error) && !step_cancelled (step))
    show_error (step->self,
                _("Duet could not keep the sign-in in the keyring, so it will ask again next time: %s"),
                error->message);
  if (step_cancelled (step))
    return;

  open_account (step->self, step->client);
}

void
_duet_window_account_signed_in (DuetWindow *self,
                                DuetClient *client)
{
  new_run (self);
  duet_secret_store_save_async (self->data_dir,
                                duet_client_get_homeserver (client),
                                duet_client_get_user_id (client),
                                duet_client_get_device_id (client),
                                duet_client_get_access_token (client),
                                self->cancellable, account_saved_cb,
                                step_new (self, client));
}

/* --- Signing out --------------------------------------------------------- */

static void
finish_sign_out (DuetWindow *self)
{
  drop_session (self);
  _duet_window_clear_session (self);
  duet_login_page_reset (self->login_page);
  self->signing_out = FALSE;
  _duet_window_show_login (self);
}

static void
store_cleared_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  g_autoptr(GError) error = NULL;

  if (!duet_store_clear_finish (DUET_STORE (object), result, &error) && !step_cancelled (step))
    show_error (step->self, _("The copy of your chats on this computer could not be removed: %s"), error->message);
  if (step_cancelled (step))
    return;

  finish_sign_out (step->self);
}

static void
keyring_cleared_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  DuetWindow *self = step->self;
  g_autoptr(GError) error = NULL;

  if (!duet_secret_store_clear_finish (result, &error) && !step_cancelled (step))
    show_error (self, _("Duet could not remove the sign-in from the keyring: %s"), error->message);
  if (step_cancelled (step))
    return;

  if (self->store == NULL)
    {
      finish_sign_out (self);
      return;
    }
  duet_store_clear_async (self->store, store_cleared_cb, g_steal_pointer (&step));
}

/* Forgets what this computer keeps: the keyring item and the cache. */
static void
forget_account (DuetWindow *self)
{
  duet_session_stop (self->session);
  duet_secret_store_clear_async (self->data_dir, self->cancellable, keyring_cleared_cb,
                                 step_new (self, NULL));
}

static void
server_logout_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  g_autoptr(GError) error = NULL;

  /* Forget the token even when the server could not be told: it is ours
   * to drop, and an unreachable server should not keep us signed in. */
  if (!duet_client_logout_finish (DUET_CLIENT (object), result, &error) && !step_cancelled (step))
    show_error (step->self, _("The server could not be told that you signed out: %s"), error->message);
  if (step_cancelled (step))
    return;

  forget_account (step->self);
}

void
_duet_window_account_sign_out (DuetWindow *self)
{
  if (self->session == NULL || self->signing_out)
    return;

  self->signing_out = TRUE;
  new_run (self);
  _duet_window_show_loading (self);
  duet_session_stop (self->session);
  duet_client_logout_async (duet_session_get_client (self->session), self->cancellable,
                            server_logout_cb, step_new (self, NULL));
}

void
_duet_window_account_stop (DuetWindow *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  drop_session (self);
  g_clear_object (&self->store);
}
