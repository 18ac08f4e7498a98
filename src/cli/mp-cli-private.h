/* mp-cli-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "mp-cli.h"
#include "mp-account-store.h"
#include "mp-mailbox.h"
#include "mp-poller.h"
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

/* What a command works on: the core's poller and the mailboxes it made
 * for the accounts named. The command line only asks them and prints.
 */
typedef struct
{
  MpPoller       *poller;
  MpAccountStore *store;
  GPtrArray      *mailboxes;
  char           *password;
} CliSession;

/* Which accounts mp_cli_open_session() takes without --account or --url. */
typedef enum
{
  CLI_SCOPE_ONE,       /* none: one of them is required */
  CLI_SCOPE_ENABLED,   /* every enabled account (--check) */
  CLI_SCOPE_STORE,     /* the store, followed live (--watch) */
} CliScope;

void     mp_cli_session_clear   (CliSession      *session);
int      mp_cli_open_session    (CliOptions      *options,
                                 CliScope         scope,
                                 CliSession      *session);
void     mp_cli_wait_until_idle (CliSession      *session,
                                 guint            seconds);
void     mp_cli_usage_error     (const char      *format,
                                 ...) G_GNUC_PRINTF (1, 2);
char    *mp_cli_read_password   (const char      *prompt,
                                 GError         **error);
void     mp_cli_print_json      (JsonNode        *root);
MpAccountStore *mp_cli_open_store (void);
int      mp_cli_run_transfer    (CliOptions      *options);

/* mp-cli-check.c: --check, --watch */
int      mp_cli_run_check       (CliOptions      *options);
int      mp_cli_run_watch       (CliOptions      *options);

/* mp-cli-accounts.c: --add-account, --list-accounts, --remove-account */
int      mp_cli_add_account     (CliOptions      *options);
int      mp_cli_list_accounts   (CliOptions      *options);
int      mp_cli_remove_account  (CliOptions      *options);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliSession, mp_cli_session_clear)

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
                                       MpAccount    **account);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MpCliWait, mp_cli_wait_clear)

G_END_DECLS
