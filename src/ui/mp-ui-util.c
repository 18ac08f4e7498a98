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

/* Whether mp_ui_disable_gl() set GDK_GL (a user's own value is theirs). */
static gboolean gl_disabled_here;

/**
 * mp_ui_disable_gl:
 *
 * GDK 3 on X11 opens GLX as it opens the display, to choose its visuals,
 * although nothing here draws with OpenGL: that loads Mesa (with
 * llvmpipe, libLLVM and its relocated data), about 11 MiB of private
 * memory for the applet's whole life. GDK_GL=disable avoids it; a user's
 * own GDK_GL is respected. Call before gtk_init(), while the process has
 * one thread (the environment is not changed again afterwards: unsetenv()
 * races with the threads GTK starts); what the applet launches does not
 * inherit it (see mp_ui_new_launch_context()).
 */
void
mp_ui_disable_gl (void)
{
  if (g_getenv ("GDK_GL") != NULL)
    return;
  g_setenv ("GDK_GL", "disable", TRUE);
  gl_disabled_here = TRUE;
}

/**
 * mp_ui_new_launch_context:
 * @widget: the widget whose display the launched program opens on
 *
 * Returns: (transfer full): a launch context for @widget's display, with
 *   the environment the user gave the applet (see mp_ui_disable_gl())
 */
GAppLaunchContext *
mp_ui_new_launch_context (GtkWidget *widget)
{
  GAppLaunchContext *context =
    G_APP_LAUNCH_CONTEXT (gdk_display_get_app_launch_context (gtk_widget_get_display (widget)));

  if (gl_disabled_here)
    g_app_launch_context_unsetenv (context, "GDK_GL");
  return context;
}
