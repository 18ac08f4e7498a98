/* mp-account-store.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "mp-account.h"

G_BEGIN_DECLS

/* MP_ACCOUNT_ERROR and MpAccountError are declared in mp-account.h. */

#define MP_TYPE_ACCOUNT_STORE (mp_account_store_get_type ())

G_DECLARE_FINAL_TYPE (MpAccountStore, mp_account_store, MP, ACCOUNT_STORE, GObject)

/**
 * MpAccountStore:
 *
 * The configured accounts: a #GListModel of #MpAccount kept in step with
 * the `accounts` key (a list of ids) of the main schema.
 *
 * mp_account_store_add(), mp_account_store_add_finish() and
 * mp_account_store_find() return a new reference (transfer full), like
 * g_list_model_get_item().
 */
gboolean        mp_account_store_check_schemas    (GError         **error);
MpAccountStore *mp_account_store_new              (void);
MpAccountStore *mp_account_store_new_for_settings (GSettings       *settings);
gboolean        mp_account_store_validate_new     (MpAccountStore  *self,
                                                   MpAccount       *account,
                                                   GError         **error);
MpAccount      *mp_account_store_add              (MpAccountStore  *self,
                                                   MpAccount       *account,
                                                   GError         **error);
gboolean        mp_account_store_remove           (MpAccountStore  *self,
                                                   MpAccount       *account,
                                                   GError         **error);
MpAccount      *mp_account_store_find             (MpAccountStore  *self,
                                                   const char      *name_or_id);
void            mp_account_store_delete_async     (MpAccountStore      *self,
                                                   MpAccount           *account,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean        mp_account_store_delete_finish    (MpAccountStore      *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
void            mp_account_store_add_async        (MpAccountStore      *self,
                                                   MpAccount           *account,
                                                   const char          *password,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
MpAccount      *mp_account_store_add_finish       (MpAccountStore      *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

G_END_DECLS
