/* mp-cli-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "mp-cli.h"
#include "mp-pop3-types.h"

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
  char      *add_account;
  gboolean   list_accounts;
  char      *remove_account;
  char      *interval;
} CliOptions;

/* A mailbox named on the command line with --url. */
typedef struct
{
  char           *label;
  char           *user;
  char           *host;
  guint16         port;
  MpPop3Security  security;
} Target;

void      target_clear           (Target          *target);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Target, target_clear)

/* mp-cli.c: helpers shared by the modes */
void      usage_error            (const char      *format,
                                  ...) G_GNUC_PRINTF (1, 2);
gboolean  parse_url              (const char      *url,
                                  MpPop3Security   security,
                                  Target          *target,
                                  GError         **error);
char     *read_password_from_tty (const char      *prompt,
                                  GError         **error);

/* mp-cli-accounts.c: --add-account, --list-accounts, --remove-account */
int       mp_cli_add_account     (CliOptions      *options);
int       mp_cli_list_accounts   (CliOptions      *options);
int       mp_cli_remove_account  (CliOptions      *options);

G_END_DECLS
