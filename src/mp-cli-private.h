/* mp-cli-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "mp-cli.h"

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
} CliOptions;

G_END_DECLS
