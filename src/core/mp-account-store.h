/* mp-account-store.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "mp-account.h"

G_BEGIN_DECLS

#define MP_ACCOUNT_ERROR (mp_account_error_quark ())

typedef enum
{
  MP_ACCOUNT_ERROR_NOT_FOUND,
  MP_ACCOUNT_ERROR_EXISTS,
  MP_ACCOUNT_ERROR_INVALID,
} MpAccountError;

GQuark mp_account_error_quark (void);

#define MP_TYPE_ACCOUNT_STORE (mp_account_store_get_type ())

G_DECLARE_FINAL_TYPE (MpAccountStore, mp_account_store, MP, ACCOUNT_STORE, GObject)

/**
 * MpAccountStore:
 *
 * The configured accounts: a #GListModel of #MpAccount kept in step with
 * the `accounts` key (a list of ids) of the main schema.
 */
MpAccountStore *mp_account_store_new    (void);
MpAccount      *mp_account_store_add    (MpAccountStore  *self,
                                         MpAccount       *account,
                                         GError         **error);
gboolean        mp_account_store_remove (MpAccountStore  *self,
                                         MpAccount       *account,
                                         GError         **error);
MpAccount      *mp_account_store_find   (MpAccountStore  *self,
                                         const char      *name_or_id);

G_END_DECLS
