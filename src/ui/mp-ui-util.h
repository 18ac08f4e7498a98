/* mp-ui-util.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Small pieces several classes of src/ui share. */

GDBusInterfaceInfo *mp_dbus_interface_info_once (gsize               *once,
                                                 const char          *xml);

G_END_DECLS
