/* mp-tray.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "mp-tray-item.h"

G_BEGIN_DECLS

/**
 * MpTrayBackend:
 * @MP_TRAY_BACKEND_NONE: no tray: the app must show its window
 * @MP_TRAY_BACKEND_SNI: a StatusNotifierItem a watcher accepted
 * @MP_TRAY_BACKEND_XEMBED: a GtkStatusIcon in an X11 system tray
 */
typedef enum
{
  MP_TRAY_BACKEND_NONE,
  MP_TRAY_BACKEND_SNI,
  MP_TRAY_BACKEND_XEMBED,
} MpTrayBackend;

#define MP_TYPE_TRAY_BACKEND (mp_tray_backend_get_type ())
GType mp_tray_backend_get_type (void) G_GNUC_CONST;

#define MP_TYPE_TRAY (mp_tray_get_type ())

G_DECLARE_FINAL_TYPE (MpTray, mp_tray, MP, TRAY, GObject)

MpTray        *mp_tray_new                     (GDBusConnection      *connection);
void           mp_tray_new_async               (GDBusConnection      *connection,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
MpTray        *mp_tray_new_finish              (GAsyncResult         *result,
                                                GError              **error);

gboolean       mp_tray_get_ready               (MpTray               *self);
gboolean       mp_tray_get_available           (MpTray               *self);
MpTrayBackend  mp_tray_get_backend             (MpTray               *self);

void           mp_tray_set_status              (MpTray               *self,
                                                MpTrayStatus          status);
void           mp_tray_set_icon_name           (MpTray               *self,
                                                const char           *icon_name);
void           mp_tray_set_attention_icon_name (MpTray               *self,
                                                const char           *icon_name);
void           mp_tray_set_icon_theme_path     (MpTray               *self,
                                                const char           *path);
void           mp_tray_set_title               (MpTray               *self,
                                                const char           *title);
void           mp_tray_set_tooltip             (MpTray               *self,
                                                const char           *title,
                                                const char           *body_markup);
void           mp_tray_set_menu                (MpTray               *self,
                                                GMenuModel           *model,
                                                const char           *action_namespace,
                                                GActionGroup         *actions);
char          *mp_tray_take_activation_token   (MpTray               *self);

/* For tests and diagnostics. */
MpTrayItem    *mp_tray_get_item                (MpTray               *self);
GObject       *mp_tray_get_fallback            (MpTray               *self);

G_END_DECLS
