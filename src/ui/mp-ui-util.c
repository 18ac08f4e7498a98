/* mp-ui-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-ui-util"

#include "config.h"

#include "mp-ui-util.h"

/**
 * mp_dbus_interface_info_once:
 * @once: a `static gsize` of the caller, 0 at first
 * @xml: introspection XML whose first interface is wanted
 *
 * Parses @xml the first time and returns the same interface every time
 * after: the interfaces we implement by hand (StatusNotifierItem,
 * dbusmenu) register it with each object.
 *
 * Returns: (transfer none): the interface, kept for the life of the
 *   process like a static table
 */
GDBusInterfaceInfo *
mp_dbus_interface_info_once (gsize      *once,
                             const char *xml)
{
  if (g_once_init_enter (once))
    {
      g_autoptr(GError) error = NULL;
      GDBusNodeInfo *node = g_dbus_node_info_new_for_xml (xml, &error);
      GDBusInterfaceInfo *iface;

      g_assert_no_error (error);
      iface = g_dbus_interface_info_ref (node->interfaces[0]);
      g_dbus_node_info_unref (node);
      g_once_init_leave (once, (gsize) iface);
    }

  return (GDBusInterfaceInfo *) *once;
}
