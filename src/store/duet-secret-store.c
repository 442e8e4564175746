/* duet-secret-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libsecret/secret.h>
#include <string.h>

#include "duet-secret-store.h"

static const SecretSchema *
account_schema (void)
{
  static const SecretSchema schema = {
    "io.github.duet_chat.Duet.Account", SECRET_SCHEMA_NONE,
    {
      { "data-dir", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "homeserver", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "device-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

void
duet_stored_account_free (DuetStoredAccount *account)
{
  if (account == NULL)
    return;

  g_free (account->homeserver);
  g_free (account->user_id);
  g_free (account->device_id);
  /* Leave no copy of the token in freed memory. */
  if (account->access_token != NULL)
    memset (account->access_token, 0, strlen (account->access_token));
  g_free (account->access_token);
  g_free (account);
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

typedef struct {
  char              *data_dir;
  DuetStoredAccount *account;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_free (data->data_dir);
  duet_stored_account_free (data->account);
  g_free (data);
}

static void
clear_before_save_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GTask *task = user_data;
  SaveData *data = g_task_get_task_data (task);
  DuetStoredAccount *account = data->account;
  g_autofree char *label = g_strdup_printf ("Duet: %s", account->user_id);
  GError *error = NULL;

  secret_password_clear_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  secret_password_store (account_schema (), SECRET_COLLECTION_DEFAULT, label,
                         account->access_token, g_task_get_cancellable (task), store_cb, task,
                         "data-dir", data->data_dir,
                         "homeserver", account->homeserver,
                         "user-id", account->user_id,
                         "device-id", account->device_id,
                         NULL);
}

void
duet_secret_store_save_async (const char          *data_dir,
                              const char          *homeserver,
                              const char          *user_id,
                              const char          *device_id,
                              const char          *access_token,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;
  DuetStoredAccount *account;
  SaveData *data;

  g_return_if_fail (data_dir != NULL);
  g_return_if_fail (homeserver != NULL && user_id != NULL);
  g_return_if_fail (device_id != NULL && access_token != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_secret_store_save_async);
  account = g_new0 (DuetStoredAccount, 1);
  account->homeserver = g_strdup (homeserver);
  account->user_id = g_strdup (user_id);
  account->device_id = g_strdup (device_id);
  account->access_token = g_strdup (access_token);
  data = g_new0 (SaveData, 1);
  data->data_dir = g_strdup (data_dir);
  data->account = account;
  g_task_set_task_data (task, data, (GDestroyNotify) save_data_free);

  /* One account per data folder: an older one is replaced, not kept beside. */
  secret_password_clear (account_schema (), cancellable, clear_before_save_cb, task,
                         "data-dir", data_dir, NULL);
}

gboolean
duet_secret_store_save_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
retrieve_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SecretValue) value = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  DuetStoredAccount *account;
  GError *error = NULL;

  value = secret_retrievable_retrieve_secret_finish (SECRET_RETRIEVABLE (object), result, &error);
  if (value == NULL)
    {
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, NULL, NULL);
      return;
    }

  attributes = secret_retrievable_get_attributes (SECRET_RETRIEVABLE (object));
  account = g_new0 (DuetStoredAccount, 1);
  account->homeserver = g_strdup (g_hash_table_lookup (attributes, "homeserver"));
  account->user_id = g_strdup (g_hash_table_lookup (attributes, "user-id"));
  account->device_id = g_strdup (g_hash_table_lookup (attributes, "device-id"));
  account->access_token = g_strdup (secret_value_get_text (value));

  if (account->homeserver == NULL || account->user_id == NULL || account->access_token == NULL)
    {
      duet_stored_account_free (account);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "The stored account is incomplete");
      return;
    }

  g_task_return_pointer (task, account, (GDestroyNotify) duet_stored_account_free);
}

static void
search_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  GList *items;
  GError *error = NULL;

  items = secret_password_search_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  if (items == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      g_object_unref (task);
      return;
    }

  secret_retrievable_retrieve_secret (items->data, g_task_get_cancellable (task), retrieve_cb, task);
  g_list_free_full (items, g_object_unref);
}

void
duet_secret_store_load_async (const char          *data_dir,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (data_dir != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_secret_store_load_async);
  secret_password_search (account_schema (), SECRET_SEARCH_UNLOCK | SECRET_SEARCH_LOAD_SECRETS,
                          cancellable, search_cb, task, "data-dir", data_dir, NULL);
}

DuetStoredAccount *
duet_secret_store_load_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* FALSE without an error: there was nothing to clear, which is fine. */
  secret_password_clear_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
duet_secret_store_clear_async (const char          *data_dir,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (data_dir != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, duet_secret_store_clear_async);
  secret_password_clear (account_schema (), cancellable, clear_cb, task,
                         "data-dir", data_dir, NULL);
}

gboolean
duet_secret_store_clear_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
