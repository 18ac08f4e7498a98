/* mp-cli.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MP_CLI_EXIT_OK    0
#define MP_CLI_EXIT_ERROR 1
#define MP_CLI_EXIT_USAGE 2

int mp_cli_main (int    argc,
                 char **argv);

G_END_DECLS
