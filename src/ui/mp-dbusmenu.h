/* mp-dbusmenu.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MP_TYPE_DBUSMENU (mp_dbusmenu_get_type ())

G_DECLARE_FINAL_TYPE (MpDbusmenu, mp_dbusmenu, MP, DBUSMENU, GObject)

MpDbusmenu  *mp_dbusmenu_new              (GDBusConnection  *connection,
                                           const char       *object_path,
                                           GError          **error);
void         mp_dbusmenu_set_menu         (MpDbusmenu       *self,
                                           GMenuModel       *model,
                                           const char       *action_namespace,
                                           GActionGroup     *actions);
const char  *mp_dbusmenu_get_object_path  (MpDbusmenu       *self);
guint        mp_dbusmenu_get_revision     (MpDbusmenu       *self);

char        *mp_dbusmenu_label_from_gtk   (const char       *label);

G_END_DECLS
