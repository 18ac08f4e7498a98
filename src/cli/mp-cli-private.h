/* mp-cli-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "mp-cli.h"
#include "mp-account-store.h"
#include "mp-pop3-client.h"

G_BEGIN_DECLS

/* Every command-line option; each mode (check, accounts, download, …)
 * lives in its own mp-cli-*.c and reads what it needs from here.
 */
typedef struct
{
  gboolean   check;
  char      *url;
  char      *security;
  char      *cafile;
  char      *pin;
  gboolean   json;
  gint       timeout;
  gboolean   no_pipelining;
  gboolean   version;
  gboolean   download;
  gboolean   delete;
  char      *to;
  gboolean   maildir;
  gboolean   delete_after;
  GStrv      rest;
  char      *account;
  gboolean   watch;
  char      *add_account;
  gboolean   list_accounts;
  char      *remove_account;
  char      *interval;
} CliOptions;

/* The mailbox a command works on, with a client ready to connect. */
typedef struct
{
  char             *label;
  char             *user;
  char             *host;
  guint16           port;
  MpPop3AuthMethod  auth;
  char             *state_key;
  MpAccount        *account;
  MpPop3Client     *client;
  char             *password;
} CliTarget;

void     mp_cli_target_clear    (CliTarget       *target);
void     mp_cli_usage_error     (const char      *format,
                                 ...) G_GNUC_PRINTF (1, 2);
gboolean mp_cli_parse_url       (const char      *url,
                                 MpPop3Security   security,
                                 CliTarget       *target,
                                 GError         **error);
char    *mp_cli_read_password   (const char      *prompt,
                                 GError         **error);
int      mp_cli_prepare_target  (CliOptions      *options,
                                 CliTarget       *target);
gboolean mp_cli_prepare_account (CliOptions      *options,
                                 MpAccount       *account,
                                 CliTarget       *target,
                                 GError         **error);
MpAccountStore *mp_cli_open_store (void);
int      mp_cli_run_transfer    (CliOptions      *options);

/* mp-cli-check.c: --check, --watch */
int      mp_cli_run_check       (CliOptions      *options);
int      mp_cli_run_watch       (CliOptions      *options);

/* mp-cli-accounts.c: --add-account, --list-accounts, --remove-account */
int      mp_cli_add_account     (CliOptions      *options);
int      mp_cli_list_accounts   (CliOptions      *options);
int      mp_cli_remove_account  (CliOptions      *options);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliTarget, mp_cli_target_clear)

/* Waiting for one async result on the default main context. */
typedef struct
{
  GMainLoop    *loop;
  GAsyncResult *result;
} MpCliWait;

void          mp_cli_wait_cb          (GObject       *object,
                                       GAsyncResult  *result,
                                       gpointer       user_data);
GAsyncResult *mp_cli_wait_for         (MpCliWait     *wait);
void          mp_cli_wait_clear       (MpCliWait     *wait);
char         *mp_cli_get_password     (const char    *label,
                                       GError       **error);
int           mp_cli_account_from_url (CliOptions    *options,
                                       const char    *id,
                                       CliTarget     *target,
                                       MpAccount    **account);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MpCliWait, mp_cli_wait_clear)

G_END_DECLS
