/* mp-secrets.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "mp-account.h"

G_BEGIN_DECLS

#define MP_SECRETS_ERROR (mp_secrets_error_quark ())

/**
 * MpSecretsError:
 * @MP_SECRETS_ERROR_UNAVAILABLE: no Secret Service on the session bus (or
 *   it refused); the password can only be kept for this session
 * @MP_SECRETS_ERROR_NOT_FOUND: no password stored for the account
 * @MP_SECRETS_ERROR_FAILED: anything else
 */
typedef enum
{
  MP_SECRETS_ERROR_UNAVAILABLE,
  MP_SECRETS_ERROR_NOT_FOUND,
  MP_SECRETS_ERROR_FAILED,
} MpSecretsError;

GQuark  mp_secrets_error_quark            (void);

/* Passwords live in the Secret Service (libsecret, schema
 * "io.github.mailpeek.Mailpeek.Password", attributes account-id, host,
 * user) and nowhere else: never in GSettings, a file, argv or a log.
 */
void     mp_secrets_store_password_async  (MpAccount           *account,
                                           const char          *password,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean mp_secrets_store_password_finish (GAsyncResult        *result,
                                           GError             **error);
void     mp_secrets_lookup_password_async (MpAccount           *account,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
char    *mp_secrets_lookup_password_finish (GAsyncResult       *result,
                                            GError            **error);
void     mp_secrets_clear_password_async  (MpAccount           *account,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean mp_secrets_clear_password_finish (GAsyncResult        *result,
                                           GError             **error);
void     mp_secrets_set_session_password  (MpAccount           *account,
                                           const char          *password);
void     mp_secrets_free_password         (char                *password);

G_END_DECLS
