/* mp-account.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "mp-pop3-client.h"

G_BEGIN_DECLS

#define MP_ACCOUNT_ERROR (mp_account_error_quark ())

/**
 * MpAccountError:
 * @MP_ACCOUNT_ERROR_NOT_FOUND: no such account
 * @MP_ACCOUNT_ERROR_EXISTS: an account with that name (or id) exists
 * @MP_ACCOUNT_ERROR_INVALID: a required field (host, user) is empty, or a
 *   value is out of range
 */
typedef enum
{
  MP_ACCOUNT_ERROR_NOT_FOUND,
  MP_ACCOUNT_ERROR_EXISTS,
  MP_ACCOUNT_ERROR_INVALID,
} MpAccountError;

GQuark mp_account_error_quark (void);

/* The range of the "interval" key in the schema, in minutes. */
#define MP_ACCOUNT_MIN_INTERVAL     1
#define MP_ACCOUNT_MAX_INTERVAL     1440
#define MP_ACCOUNT_DEFAULT_INTERVAL 10

/* The range of the "timeout" key in the schema, in seconds. */
#define MP_ACCOUNT_MIN_TIMEOUT      1
#define MP_ACCOUNT_MAX_TIMEOUT      3600
#define MP_ACCOUNT_DEFAULT_TIMEOUT  30

#define MP_ACCOUNT_SCHEMA_ID   "io.github.mailpeek.Mailpeek.Account"

#define MP_TYPE_ACCOUNT (mp_account_get_type ())

G_DECLARE_FINAL_TYPE (MpAccount, mp_account, MP, ACCOUNT, GObject)

/**
 * MpAccount:
 *
 * One POP3 account. Accounts from the store are backed by a relocatable
 * GSettings schema (io.github.mailpeek.Mailpeek.Account at
 * /io/github/mailpeek/Mailpeek/accounts/ID/) and follow its changes;
 * mp_account_new() makes a detached one (for `--url`), whose properties
 * live only in memory. No password is ever stored here (see mp-secrets.h).
 *
 * Properties: id (construct-only), name, host, port, security
 * (MpPop3Security as int), user, auth (MpPop3AuthMethod as int), interval
 * (minutes), timeout (seconds), enabled, pinned-fingerprint, cafile, notify, download-folder.
 * A port of 0 stands for the default port of the security mode (995 for
 * TLS, 110 otherwise); see mp_account_get_effective_port().
 */

MpAccount        *mp_account_new                  (const char      *id);
MpAccount        *mp_account_new_for_settings     (const char      *id,
                                                   GSettings       *settings);
const char       *mp_account_get_id               (MpAccount       *self);
GSettings        *mp_account_get_settings         (MpAccount       *self);
const char       *mp_account_get_name             (MpAccount       *self);
void              mp_account_set_name             (MpAccount       *self,
                                                   const char      *name);
const char       *mp_account_get_host             (MpAccount       *self);
void              mp_account_set_host             (MpAccount       *self,
                                                   const char      *host);
guint16           mp_account_get_port             (MpAccount       *self);
void              mp_account_set_port             (MpAccount       *self,
                                                   guint16          port);
MpPop3Security    mp_account_get_security         (MpAccount       *self);
void              mp_account_set_security         (MpAccount       *self,
                                                   MpPop3Security   security);
const char       *mp_account_get_user             (MpAccount       *self);
void              mp_account_set_user             (MpAccount       *self,
                                                   const char      *user);
MpPop3AuthMethod  mp_account_get_auth             (MpAccount       *self);
void              mp_account_set_auth             (MpAccount       *self,
                                                   MpPop3AuthMethod auth);
guint             mp_account_get_interval         (MpAccount       *self);
void              mp_account_set_interval         (MpAccount       *self,
                                                   guint            minutes);
guint             mp_account_get_timeout          (MpAccount       *self);
void              mp_account_set_timeout          (MpAccount       *self,
                                                   guint            seconds);
gboolean          mp_account_get_enabled          (MpAccount       *self);
void              mp_account_set_enabled          (MpAccount       *self,
                                                   gboolean         enabled);
const char       *mp_account_get_pinned_fingerprint (MpAccount     *self);
void              mp_account_set_pinned_fingerprint (MpAccount     *self,
                                                     const char    *fingerprint);
const char       *mp_account_get_cafile           (MpAccount       *self);
void              mp_account_set_cafile           (MpAccount       *self,
                                                   const char      *cafile);
gboolean          mp_account_get_notify           (MpAccount       *self);
void              mp_account_set_notify           (MpAccount       *self,
                                                   gboolean         notify);
const char       *mp_account_get_download_folder  (MpAccount       *self);
void              mp_account_set_download_folder  (MpAccount       *self,
                                                   const char      *folder);

guint16           mp_account_get_effective_port   (MpAccount       *self);

char             *mp_account_generate_id          (void);
gboolean          mp_account_id_is_valid          (const char      *id);

char             *mp_account_dup_label            (MpAccount       *self);
char             *mp_account_dup_state_key        (MpAccount       *self);
MpPop3Client     *mp_account_create_client        (MpAccount       *self,
                                                   guint            timeout,
                                                   GError         **error);

G_END_DECLS
