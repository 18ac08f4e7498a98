/* mp-account-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-account-store"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "mp-account-private.h"
#include "mp-account-store.h"
#include "mp-mailbox-state.h"
#include "mp-secrets.h"

/* The list of accounts is the `accounts` key of the main schema; each id
 * names a relocatable io.github.mailpeek.Mailpeek.Account at
 * /io/github/mailpeek/Mailpeek/accounts/ID/. The model always mirrors that
 * key, whoever changed it (this process, `mailpeek --add-account` in
 * another one, dconf-editor): every change goes through sync_accounts(),
 * which keeps the MpAccount objects of ids that stay, so a UI bound to
 * them does not flicker.
 *
 * An account's keys are written before its id is listed, and its id is
 * unlisted before its keys are reset, so a reader never sees a listed
 * account without its settings.
 */

#define ACCOUNTS_KEY   "accounts"
#define ACCOUNTS_PATH  APP_PATH "/accounts/"

struct _MpAccountStore
{
  GObject    parent_instance;

  GSettings *settings;
  GPtrArray *accounts;  /* MpAccount, in the order of the key */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MpAccountStore, mp_account_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
mp_account_store_get_item_type (GListModel *model)
{
  return MP_TYPE_ACCOUNT;
}

static guint
mp_account_store_get_n_items (GListModel *model)
{
  MpAccountStore *self = MP_ACCOUNT_STORE (model);

  return self->accounts->len;
}

static gpointer
mp_account_store_get_item (GListModel *model,
                           guint       position)
{
  MpAccountStore *self = MP_ACCOUNT_STORE (model);

  if (position >= self->accounts->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->accounts, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = mp_account_store_get_item_type;
  iface->get_n_items = mp_account_store_get_n_items;
  iface->get_item = mp_account_store_get_item;
}

/* The account settings use the backend of the main settings, so a store
 * made for a private backend (tests) keeps everything there.
 */
static GSettings *
account_settings_new (MpAccountStore *self,
                      const char     *id)
{
  g_autofree char *path = g_strconcat (ACCOUNTS_PATH, id, "/", NULL);
  g_autoptr(GSettingsBackend) backend = NULL;

  g_object_get (self->settings, "backend", &backend, NULL);
  return g_settings_new_with_backend_and_path (MP_ACCOUNT_SCHEMA_ID, backend, path);
}

static MpAccount *
lookup_id (GPtrArray  *accounts,
           const char *id)
{
  for (guint i = 0; i < accounts->len; i++)
    {
      MpAccount *account = g_ptr_array_index (accounts, i);

      if (g_strcmp0 (mp_account_get_id (account), id) == 0)
        return account;
    }
  return NULL;
}

/* Brings the model in line with the `accounts` key and emits one
 * items-changed for the span between the common head and tail.
 */
static void
sync_accounts (MpAccountStore *self)
{
  g_auto(GStrv) ids = g_settings_get_strv (self->settings, ACCOUNTS_KEY);
  g_autoptr(GPtrArray) next = g_ptr_array_new_with_free_func (g_object_unref);
  guint old_len = self->accounts->len;
  guint head = 0;
  guint tail = 0;

  for (guint i = 0; ids[i] != NULL; i++)
    {
      MpAccount *account;

      /* The key is user-editable (dconf-editor); a bad id must not reach
       * g_settings_new_with_path(), which aborts on an invalid path.
       */
      if (!mp_account_id_is_valid (ids[i]))
        {
          g_warning ("Ignoring the account id “%s” in the settings: not a valid id", ids[i]);
          continue;
        }
      if (lookup_id (next, ids[i]) != NULL)
        {
          g_warning ("Ignoring the account id “%s” listed twice in the settings", ids[i]);
          continue;
        }

      account = lookup_id (self->accounts, ids[i]);
      if (account != NULL)
        g_ptr_array_add (next, g_object_ref (account));
      else
        {
          g_autoptr(GSettings) settings = account_settings_new (self, ids[i]);

          g_ptr_array_add (next, mp_account_new_for_settings (ids[i], settings));
        }
    }

  while (head < old_len && head < next->len &&
         g_ptr_array_index (self->accounts, head) == g_ptr_array_index (next, head))
    head++;
  while (tail < old_len - head && tail < next->len - head &&
         g_ptr_array_index (self->accounts, old_len - 1 - tail) ==
         g_ptr_array_index (next, next->len - 1 - tail))
    tail++;

  if (head == old_len && head == next->len)
    return;

  /* An account that left the list keeps its last values for whoever still
   * holds it, instead of following its keys back to the defaults.
   */
  for (guint i = 0; i < old_len; i++)
    {
      MpAccount *account = g_ptr_array_index (self->accounts, i);

      if (!g_ptr_array_find (next, account, NULL))
        mp_account_unbind_settings (account);
    }

  g_ptr_array_unref (self->accounts);
  self->accounts = g_steal_pointer (&next);

  g_list_model_items_changed (G_LIST_MODEL (self), head,
                              old_len - head - tail,
                              self->accounts->len - head - tail);
}

static void
accounts_changed_cb (MpAccountStore *self,
                     const char     *key,
                     GSettings      *settings)
{
  sync_accounts (self);
}

static void
mp_account_store_dispose (GObject *object)
{
  MpAccountStore *self = MP_ACCOUNT_STORE (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  if (self->accounts != NULL)
    g_ptr_array_set_size (self->accounts, 0);

  G_OBJECT_CLASS (mp_account_store_parent_class)->dispose (object);
}

static void
mp_account_store_finalize (GObject *object)
{
  MpAccountStore *self = MP_ACCOUNT_STORE (object);

  g_clear_pointer (&self->accounts, g_ptr_array_unref);

  G_OBJECT_CLASS (mp_account_store_parent_class)->finalize (object);
}

static void
mp_account_store_class_init (MpAccountStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mp_account_store_dispose;
  object_class->finalize = mp_account_store_finalize;
}

static void
mp_account_store_init (MpAccountStore *self)
{
  self->accounts = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * mp_account_store_check_schemas:
 *
 * GSettings aborts the program when a schema is missing, so the CLI asks
 * first and can print a useful error instead.
 *
 * Returns: %TRUE when both the main and the account schema are installed
 */
gboolean
mp_account_store_check_schemas (GError **error)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  const char * const ids[] = { APP_ID, MP_ACCOUNT_SCHEMA_ID };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr(GSettingsSchema) schema = NULL;

      if (source != NULL)
        schema = g_settings_schema_source_lookup (source, ids[i], TRUE);
      if (schema == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       _("The settings schema “%s” is not installed (when running from "
                         "the build directory, set GSETTINGS_SCHEMA_DIR to its data/ "
                         "directory)"),
                       ids[i]);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * mp_account_store_new:
 *
 * Returns: (transfer full): the store of the configured accounts, read
 *   from the io.github.mailpeek.Mailpeek settings
 */
MpAccountStore *
mp_account_store_new (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  return mp_account_store_new_for_settings (settings);
}

/**
 * mp_account_store_new_for_settings:
 * @settings: io.github.mailpeek.Mailpeek settings; the accounts' settings
 *   are made with the same backend (tests pass a memory backend)
 *
 * Returns: (transfer full): a store listing the accounts of @settings
 */
MpAccountStore *
mp_account_store_new_for_settings (GSettings *settings)
{
  MpAccountStore *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (MP_TYPE_ACCOUNT_STORE, NULL);
  self->settings = g_object_ref (settings);

  /* Connect before the first read: GSettings only promises changed:: for
   * keys read while a handler was connected.
   */
  g_signal_connect_object (self->settings, "changed::" ACCOUNTS_KEY,
                           G_CALLBACK (accounts_changed_cb), self, G_CONNECT_SWAPPED);
  sync_accounts (self);

  return self;
}

static void
copy_account (MpAccount *from,
              MpAccount *to)
{
  mp_account_set_name (to, mp_account_get_name (from));
  mp_account_set_host (to, mp_account_get_host (from));
  mp_account_set_port (to, mp_account_get_effective_port (from));
  mp_account_set_security (to, mp_account_get_security (from));
  mp_account_set_user (to, mp_account_get_user (from));
  mp_account_set_auth (to, mp_account_get_auth (from));
  mp_account_set_interval (to, mp_account_get_interval (from));
  mp_account_set_timeout (to, mp_account_get_timeout (from));
  mp_account_set_enabled (to, mp_account_get_enabled (from));
  mp_account_set_pinned_fingerprint (to, mp_account_get_pinned_fingerprint (from));
  mp_account_set_cafile (to, mp_account_get_cafile (from));
  mp_account_set_notify (to, mp_account_get_notify (from));
  mp_account_set_download_folder (to, mp_account_get_download_folder (from));
}

/* The name an added account gets: its own, or else its label. */
static char *
dup_new_name (MpAccount *account)
{
  const char *name = mp_account_get_name (account);

  if (*name != '\0')
    return g_strdup (name);
  return mp_account_dup_label (account);
}

/**
 * mp_account_store_validate_new:
 * @account: a template for mp_account_store_add()
 *
 * Tells whether mp_account_store_add() would take @account, without
 * writing anything: a front end asks before it prompts for a password
 * that would be typed in vain.
 *
 * Returns: %TRUE, or %FALSE with %MP_ACCOUNT_ERROR_EXISTS (the name or id
 *   is taken) or %MP_ACCOUNT_ERROR_INVALID (no host or user, or a bad id)
 */
gboolean
mp_account_store_validate_new (MpAccountStore  *self,
                               MpAccount       *account,
                               GError         **error)
{
  g_autoptr(MpAccount) existing = NULL;
  g_autofree char *name = NULL;
  g_auto(GStrv) ids = NULL;
  const char *template_id;

  g_return_val_if_fail (MP_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (MP_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (*mp_account_get_host (account) == '\0')
    {
      g_set_error_literal (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_INVALID,
                           _("The account needs a server name"));
      return FALSE;
    }
  if (*mp_account_get_user (account) == '\0')
    {
      g_set_error_literal (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_INVALID,
                           _("The account needs a user name"));
      return FALSE;
    }

  template_id = mp_account_get_id (account);
  if (template_id != NULL && !mp_account_id_is_valid (template_id))
    {
      g_set_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_INVALID,
                   _("“%s” is not a valid account id"), template_id);
      return FALSE;
    }

  /* A name that equals another account's id would make find() ambiguous.
   * The model is brought in line with the key first, so a name another
   * process took a moment ago counts even before its changed:: arrives.
   */
  sync_accounts (self);
  name = dup_new_name (account);
  existing = mp_account_store_find (self, name);
  if (existing != NULL)
    {
      g_set_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_EXISTS,
                   _("An account named “%s” already exists"), name);
      return FALSE;
    }

  ids = g_settings_get_strv (self->settings, ACCOUNTS_KEY);
  if (template_id != NULL && g_strv_contains ((const char * const *) ids, template_id))
    {
      g_set_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_EXISTS,
                   _("An account with the id “%s” already exists"), template_id);
      return FALSE;
    }
  return TRUE;
}

/**
 * mp_account_store_add:
 * @account: a template, usually detached; its id is used when it has a
 *   valid unused one (so a password can be stored under the id before the
 *   account appears), otherwise a new id is made
 *
 * Writes a new account with the template's values. An empty name becomes
 * the label ("user@host:port").
 *
 * Returns: (transfer full): the new account, as listed in the store, or
 *   %NULL with %MP_ACCOUNT_ERROR_EXISTS (the name or id is taken) or
 *   %MP_ACCOUNT_ERROR_INVALID (no host or user, or a bad id)
 */
MpAccount *
mp_account_store_add (MpAccountStore  *self,
                      MpAccount       *account,
                      GError         **error)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(MpAccount) writer = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  MpAccount *added;
  g_auto(GStrv) ids = NULL;
  g_auto(GStrv) new_ids = NULL;
  g_autofree char *id = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (MP_IS_ACCOUNT_STORE (self), NULL);
  g_return_val_if_fail (MP_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!mp_account_store_validate_new (self, account, error))
    return NULL;

  name = dup_new_name (account);
  id = g_strdup (mp_account_get_id (account));
  if (id == NULL)
    id = mp_account_generate_id ();

  /* Write every key of the new account in one go, then list it. */
  settings = account_settings_new (self, id);
  g_settings_delay (settings);
  writer = mp_account_new_for_settings (id, settings);
  copy_account (account, writer);
  mp_account_set_name (writer, name);
  g_settings_apply (settings);
  g_clear_object (&writer);

  ids = g_settings_get_strv (self->settings, ACCOUNTS_KEY);
  builder = g_strv_builder_new ();
  g_strv_builder_addv (builder, (const char **) ids);
  g_strv_builder_add (builder, id);
  new_ids = g_strv_builder_end (builder);
  if (!g_settings_set_strv (self->settings, ACCOUNTS_KEY, (const char * const *) new_ids))
    {
      g_set_error_literal (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_INVALID,
                           _("The list of accounts cannot be changed (it is locked down)"));
      return NULL;
    }

  /* changed:: may be delivered later (or never, with some backends, for
   * our own write), so do not wait for it.
   */
  sync_accounts (self);

  added = lookup_id (self->accounts, id);
  if (added == NULL)
    {
      g_set_error_literal (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_INVALID,
                           _("The new account did not appear in the settings"));
      return NULL;
    }
  return g_object_ref (added);
}

/**
 * mp_account_store_remove:
 * @account: an account of this store
 *
 * Unlists the account and resets its keys. The password and the mailbox
 * state are the caller's business (mp_secrets_clear_password_async(),
 * the state file).
 *
 * Returns: %TRUE, or %FALSE with %MP_ACCOUNT_ERROR_NOT_FOUND
 */
gboolean
mp_account_store_remove (MpAccountStore  *self,
                         MpAccount       *account,
                         GError         **error)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) ids = NULL;
  g_auto(GStrv) new_ids = NULL;
  g_auto(GStrv) keys = NULL;
  const char *id;
  gboolean found = FALSE;

  g_return_val_if_fail (MP_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (MP_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  id = mp_account_get_id (account);
  ids = g_settings_get_strv (self->settings, ACCOUNTS_KEY);
  builder = g_strv_builder_new ();
  for (guint i = 0; ids[i] != NULL; i++)
    {
      if (g_strcmp0 (ids[i], id) == 0)
        found = TRUE;
      else
        g_strv_builder_add (builder, ids[i]);
    }

  if (!found || !mp_account_id_is_valid (id))
    {
      g_set_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_NOT_FOUND,
                   _("The account “%s” is not in the list of accounts"),
                   mp_account_get_name (account));
      return FALSE;
    }

  /* Keep the caller's object as it is before its keys go back to the
   * defaults.
   */
  mp_account_unbind_settings (account);

  new_ids = g_strv_builder_end (builder);
  if (!g_settings_set_strv (self->settings, ACCOUNTS_KEY, (const char * const *) new_ids))
    {
      g_set_error_literal (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_INVALID,
                           _("The list of accounts cannot be changed (it is locked down)"));
      return FALSE;
    }
  sync_accounts (self);

  settings = account_settings_new (self, id);
  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  g_settings_delay (settings);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (settings, keys[i]);
  g_settings_apply (settings);

  return TRUE;
}

/**
 * mp_account_store_find:
 * @name_or_id: an account's name (exactly as written) or id
 *
 * Names are matched before ids.
 *
 * Returns: (transfer full) (nullable): the account, or %NULL
 */
MpAccount *
mp_account_store_find (MpAccountStore *self,
                       const char     *name_or_id)
{
  MpAccount *account;

  g_return_val_if_fail (MP_IS_ACCOUNT_STORE (self), NULL);
  g_return_val_if_fail (name_or_id != NULL, NULL);

  for (guint i = 0; i < self->accounts->len; i++)
    {
      account = g_ptr_array_index (self->accounts, i);
      if (g_strcmp0 (mp_account_get_name (account), name_or_id) == 0)
        return g_object_ref (account);
    }

  account = lookup_id (self->accounts, name_or_id);
  return account != NULL ? g_object_ref (account) : NULL;
}

/* Deleting an account with everything kept about it */

typedef struct
{
  MpAccount *account;
  char      *state_key;
  GError    *password_error;
} DeleteData;

static void
delete_data_free (DeleteData *data)
{
  g_clear_object (&data->account);
  g_free (data->state_key);
  g_clear_error (&data->password_error);
  g_free (data);
}

static void
delete_files_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  DeleteData *data = task_data;
  GError *error = NULL;

  if (!mp_mailbox_state_delete_files (data->state_key, &error))
    {
      /* The password's error first: it is the more serious leftover. */
      if (data->password_error != NULL)
        {
          g_clear_error (&error);
          g_task_return_error (task, g_steal_pointer (&data->password_error));
        }
      else
        g_task_return_error (task, error);
      return;
    }

  if (data->password_error != NULL)
    g_task_return_error (task, g_steal_pointer (&data->password_error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
clear_password_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DeleteData *data = g_task_get_task_data (task);

  mp_secrets_clear_password_finish (result, &data->password_error);
  /* The files go even if the password could not: the account is gone. */
  g_task_run_in_thread (task, delete_files_thread);
}

/**
 * mp_account_store_delete_async:
 * @account: an account of the store
 *
 * Removes @account from the store (at once, so a poller following the
 * store stops its mailbox and cancels its work), then its password (the
 * keyring's and this process's) and its state files (KEY.state, copies
 * set aside from it, and files of older formats), off the main thread.
 */
void
mp_account_store_delete_async (MpAccountStore      *self,
                               MpAccount           *account,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  DeleteData *data;

  g_return_if_fail (MP_IS_ACCOUNT_STORE (self));
  g_return_if_fail (MP_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_account_store_delete_async);

  data = g_new0 (DeleteData, 1);
  data->account = g_object_ref (account);
  /* Before removal, while the account still has its values. */
  data->state_key = mp_account_dup_state_key (account);
  g_task_set_task_data (task, data, (GDestroyNotify) delete_data_free);

  if (!mp_account_store_remove (self, account, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_settings_sync ();

  mp_secrets_clear_password_async (account, cancellable, clear_password_cb, g_steal_pointer (&task));
}

/**
 * mp_account_store_delete_finish:
 *
 * Returns: %TRUE when everything is gone. %FALSE with
 *   %MP_ACCOUNT_ERROR_NOT_FOUND if the account was not in the store
 *   (nothing was changed); otherwise the account is gone from the store
 *   all the same, and the error says what was left behind: a
 *   %MP_SECRETS_ERROR for the password (reported first), a %G_FILE_ERROR
 *   for a state file.
 */
gboolean
mp_account_store_delete_finish (MpAccountStore  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Adding an account with its password */

typedef struct
{
  MpAccount *account;  /* the template, with the id the password is stored under */
  GError    *add_error;
} AddData;

static void
add_data_free (AddData *data)
{
  g_clear_object (&data->account);
  g_clear_error (&data->add_error);
  g_free (data);
}

static void
undo_password_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AddData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* The add's error is the one to report; a password that could not be
   * removed again is only worth a mention in it.
   */
  if (!mp_secrets_clear_password_finish (result, &error))
    g_task_return_new_error (task, data->add_error->domain, data->add_error->code,
                             "%s (%s)", data->add_error->message, error->message);
  else
    g_task_return_error (task, g_steal_pointer (&data->add_error));
}

static void
store_password_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MpAccountStore *self = g_task_get_source_object (task);
  AddData *data = g_task_get_task_data (task);
  g_autoptr(MpAccount) added = NULL;
  GError *error = NULL;

  if (!mp_secrets_store_password_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* Cancelled while the keyring worked: the password goes again. */
  if (!g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    added = mp_account_store_add (self, data->account, &error);
  if (added == NULL)
    {
      /* Without the task's cancellable, which may be what failed. */
      data->add_error = error;
      mp_secrets_clear_password_async (data->account, NULL, undo_password_cb,
                                       g_steal_pointer (&task));
      return;
    }

  /* The caller may be a process that exits next; the settings backend
   * may still hold the write.
   */
  g_settings_sync ();
  g_task_return_pointer (task, g_steal_pointer (&added), g_object_unref);
}

/**
 * mp_account_store_add_async:
 * @account: a template, as for mp_account_store_add(); without an id, a
 *   new one is chosen
 * @password: the account's password, not empty; copied before this
 *   returns, so the caller may wipe its copy at once
 *
 * Adds an account with its password: checks the template
 * (mp_account_store_validate_new()), stores the password in the keyring
 * (mp_secrets_store_password_async()), then adds the account. The
 * password comes first so the usual failure (no keyring) happens before
 * anything is written, and a poller following the store never sees the
 * account without its password. Should the add fail after all (another
 * process took the name meanwhile) or the call be cancelled, the
 * password is removed again: nothing half-made is left behind. (If the
 * process dies in between, what is left is a keyring item no account
 * refers to, which is harmless, rather than an account that cannot log
 * in.)
 */
void
mp_account_store_add_async (MpAccountStore      *self,
                            MpAccount           *account,
                            const char          *password,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  AddData *data;

  g_return_if_fail (MP_IS_ACCOUNT_STORE (self));
  g_return_if_fail (MP_IS_ACCOUNT (account));
  g_return_if_fail (password != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_account_store_add_async);
  /* The result says what happened: an account added just before a late
   * cancellation is reported as added, not as cancelled.
   */
  g_task_set_check_cancellable (task, FALSE);

  if (*password == '\0')
    {
      g_task_return_new_error (task, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_INVALID,
                               _("The password is empty"));
      return;
    }
  if (!mp_account_store_validate_new (self, account, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  data = g_new0 (AddData, 1);
  if (mp_account_get_id (account) != NULL)
    data->account = g_object_ref (account);
  else
    {
      /* The password is stored under the id, so the id comes first. */
      g_autofree char *id = mp_account_generate_id ();

      data->account = mp_account_new (id);
      copy_account (account, data->account);
    }
  g_task_set_task_data (task, data, (GDestroyNotify) add_data_free);

  mp_secrets_store_password_async (data->account, password, cancellable,
                                   store_password_cb, g_steal_pointer (&task));
}

/**
 * mp_account_store_add_finish:
 *
 * Returns: (transfer full): the new account, as listed in the store; or
 *   %NULL with the error of mp_account_store_validate_new() or
 *   mp_account_store_add() (nothing was stored), a %MP_SECRETS_ERROR
 *   (the keyring refused the password; nothing was added), or
 *   %G_IO_ERROR_CANCELLED
 */
MpAccount *
mp_account_store_add_finish (MpAccountStore  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mp_account_store_add_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
