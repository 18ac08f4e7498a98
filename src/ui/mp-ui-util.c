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

/**
 * mp_dbus_clear_registration:
 * @registration_id: (inout): an id from g_dbus_connection_register_object()
 *   on @connection, or 0
 *
 * Unregisters the object, if registered, and sets *@registration_id to 0.
 */
void
mp_dbus_clear_registration (GDBusConnection *connection,
                            guint           *registration_id)
{
  if (*registration_id == 0)
    return;
  g_dbus_connection_unregister_object (connection, *registration_id);
  *registration_id = 0;
}

/**
 * mp_watch_items:
 * @watched: (element-type GObject): the items @handler is connected to;
 *   its free function must be g_object_unref()
 * @model: the list whose items to watch
 * @detailed_signal: the items' signal
 *
 * Connects @handler (with @user_data) to @detailed_signal of every item
 * of @model, after disconnecting it from the items in @watched, which
 * then holds @model's items. A handful of accounts: reconnecting to all on
 * every items-changed is simpler than splicing.
 */
void
mp_watch_items (GPtrArray  *watched,
                GListModel *model,
                const char *detailed_signal,
                GCallback   handler,
                gpointer    user_data)
{
  guint n = g_list_model_get_n_items (model);

  mp_unwatch_items (watched, handler, user_data);
  for (guint i = 0; i < n; i++)
    {
      GObject *item = g_list_model_get_item (model, i);

      g_signal_connect (item, detailed_signal, handler, user_data);
      g_ptr_array_add (watched, item);
    }
}

/**
 * mp_unwatch_items:
 *
 * Disconnects @handler (with @user_data) from the items in @watched and
 * empties it.
 */
void
mp_unwatch_items (GPtrArray *watched,
                  GCallback  handler,
                  gpointer   user_data)
{
  for (guint i = 0; i < watched->len; i++)
    g_signal_handlers_disconnect_by_func (g_ptr_array_index (watched, i), handler, user_data);
  g_ptr_array_set_size (watched, 0);
}
