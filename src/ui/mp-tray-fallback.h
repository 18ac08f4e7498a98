/* mp-tray-fallback.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MP_TYPE_TRAY_FALLBACK (mp_tray_fallback_get_type ())

G_DECLARE_FINAL_TYPE (MpTrayFallback, mp_tray_fallback, MP, TRAY_FALLBACK, GObject)

gboolean        mp_tray_fallback_is_supported        (GdkDisplay     *display);
gboolean        mp_tray_fallback_tray_present        (GdkDisplay     *display);

MpTrayFallback *mp_tray_fallback_new                 (void);
gboolean        mp_tray_fallback_is_embedded         (MpTrayFallback *self);
GObject        *mp_tray_fallback_get_status_icon     (MpTrayFallback *self);
void            mp_tray_fallback_set_icon_name       (MpTrayFallback *self,
                                                      const char     *icon_name);
void            mp_tray_fallback_set_icon_theme_path (MpTrayFallback *self,
                                                      const char     *path);
void            mp_tray_fallback_set_title           (MpTrayFallback *self,
                                                      const char     *title);
void            mp_tray_fallback_set_tooltip         (MpTrayFallback *self,
                                                      const char     *title,
                                                      const char     *body_markup);
void            mp_tray_fallback_set_menu            (MpTrayFallback *self,
                                                      GMenuModel     *model,
                                                      const char     *action_namespace,
                                                      GActionGroup   *actions);

G_END_DECLS
