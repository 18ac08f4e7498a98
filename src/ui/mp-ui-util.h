/* mp-ui-util.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Small pieces several classes of src/ui share. */

GDBusInterfaceInfo *mp_dbus_interface_info_once (gsize               *once,
                                                 const char          *xml);
void                mp_dbus_clear_registration  (GDBusConnection     *connection,
                                                 guint               *registration_id);
void                mp_watch_items              (GPtrArray           *watched,
                                                 GListModel          *model,
                                                 const char          *detailed_signal,
                                                 GCallback            handler,
                                                 gpointer             user_data);
void                mp_unwatch_items            (GPtrArray           *watched,
                                                 GCallback            handler,
                                                 gpointer             user_data);

void                mp_ui_disable_gl            (void);
GAppLaunchContext  *mp_ui_new_launch_context    (GtkWidget           *widget);

G_END_DECLS
