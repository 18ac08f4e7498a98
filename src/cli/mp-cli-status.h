/* mp-cli-status.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean mp_cli_status_wanted (int    argc,
                               char **argv);
int      mp_cli_status_main   (int    argc,
                               char **argv);

G_END_DECLS
