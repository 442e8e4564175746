/* test-secret-store.c: the access token in a real (per-test) keyring
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs inside build-aux/test-env.sh: a private D-Bus session with an
 * unlocked gnome-keyring, so nothing here touches a developer's keyring.
 */
#include "config.h"

#include "duet-secret-store.h"

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for_result (GAsyncResult **slot)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (*slot == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  return *slot;
}

static void
save (const char *data_dir,
      const char *homeserver,
      const char *user_id,
      const char *device_id,
      const char *token)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  duet_secret_store_save_async (data_dir, homeserver, user_id, device_id, token, NULL,
                                store_result_cb, &result);
  g_assert_true (duet_secret_store_save_finish (wait_for_result (&result), &error));
  g_assert_no_error (error);
}

static DuetStoredAccount *
load (const char *data_dir)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DuetStoredAccount *account;

  duet_secret_store_load_async (data_dir, NULL, store_result_cb, &result);
  account = duet_secret_store_load_finish (wait_for_result (&result), &error);
  g_assert_no_error (error);
  return account;
}

static void
clear (const char *data_dir)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  duet_secret_store_clear_async (data_dir, NULL, store_result_cb, &result);
  g_assert_true (duet_secret_store_clear_finish (wait_for_result (&result), &error));
  g_assert_no_error (error);
}

static void
test_secret_store_empty (void)
{
  g_autoptr(DuetStoredAccount) account = load ("/data/one");

  g_assert_null (account);
}

static void
test_secret_store_round_trip (void)
{
  g_autoptr(DuetStoredAccount) account = NULL;
  g_autoptr(DuetStoredAccount) after = NULL;

  save ("/data/one", "https://matrix.example.org", "@alice:example.org", "DEVICEA", "syt_secret_token_1");
  account = load ("/data/one");
  g_assert_nonnull (account);
  g_assert_cmpstr (account->homeserver, ==, "https://matrix.example.org");
  g_assert_cmpstr (account->user_id, ==, "@alice:example.org");
  g_assert_cmpstr (account->device_id, ==, "DEVICEA");
  g_assert_cmpstr (account->access_token, ==, "syt_secret_token_1");

  clear ("/data/one");
  after = load ("/data/one");
  g_assert_null (after);

  /* Clearing again is not an error. */
  clear ("/data/one");
}

static void
test_secret_store_replaces_older_account (void)
{
  g_autoptr(DuetStoredAccount) account = NULL;

  save ("/data/one", "https://one.example", "@one:one.example", "D1", "token-one");
  save ("/data/one", "http://127.0.0.1:8008", "@two:localhost", "D2", "token-two");

  account = load ("/data/one");
  g_assert_nonnull (account);
  g_assert_cmpstr (account->user_id, ==, "@two:localhost");
  g_assert_cmpstr (account->access_token, ==, "token-two");

  clear ("/data/one");
}

static void
test_secret_store_data_dirs_apart (void)
{
  g_autoptr(DuetStoredAccount) one = NULL;
  g_autoptr(DuetStoredAccount) two = NULL;
  g_autoptr(DuetStoredAccount) gone = NULL;
  g_autoptr(DuetStoredAccount) kept = NULL;

  save ("/data/one", "https://one.example", "@one:one.example", "D1", "token-one");
  save ("/data/two", "https://two.example", "@two:two.example", "D2", "token-two");

  one = load ("/data/one");
  two = load ("/data/two");
  g_assert_cmpstr (one->access_token, ==, "token-one");
  g_assert_cmpstr (two->access_token, ==, "token-two");

  /* Signing out of one folder leaves the other signed in. */
  clear ("/data/one");
  gone = load ("/data/one");
  kept = load ("/data/two");
  g_assert_null (gone);
  g_assert_nonnull (kept);
  g_assert_cmpstr (kept->user_id, ==, "@two:two.example");

  clear ("/data/two");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/secret-store/empty", test_secret_store_empty);
  g_test_add_func ("/secret-store/round-trip", test_secret_store_round_trip);
  g_test_add_func ("/secret-store/replaces-older-account", test_secret_store_replaces_older_account);
  g_test_add_func ("/secret-store/data-dirs-apart", test_secret_store_data_dirs_apart);

  return g_test_run ();
}
