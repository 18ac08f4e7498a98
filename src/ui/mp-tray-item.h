/* mp-tray-item.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * MpTrayStatus:
 * @MP_TRAY_STATUS_PASSIVE: nothing to see (no mail); hosts may hide it
 * @MP_TRAY_STATUS_ACTIVE: something to see (mail)
 * @MP_TRAY_STATUS_NEEDS_ATTENTION: something new (unseen mail)
 *
 * The StatusNotifierItem Status, shared by every tray backend.
 */
typedef enum
{
  MP_TRAY_STATUS_PASSIVE,
  MP_TRAY_STATUS_ACTIVE,
  MP_TRAY_STATUS_NEEDS_ATTENTION,
} MpTrayStatus;

#define MP_TYPE_TRAY_STATUS (mp_tray_status_get_type ())
GType mp_tray_status_get_type (void) G_GNUC_CONST;

#define MP_TRAY_ITEM_OBJECT_PATH "/StatusNotifierItem"
#define MP_TRAY_ITEM_MENU_PATH   "/MenuBar"

#define MP_TYPE_TRAY_ITEM (mp_tray_item_get_type ())

G_DECLARE_FINAL_TYPE (MpTrayItem, mp_tray_item, MP, TRAY_ITEM, GObject)

MpTrayItem   *mp_tray_item_new                     (GDBusConnection  *connection,
                                                    const char       *id,
                                                    GError          **error);

GDBusConnection *mp_tray_item_get_connection       (MpTrayItem       *self);
const char   *mp_tray_item_get_bus_name            (MpTrayItem       *self);
const char   *mp_tray_item_get_id                  (MpTrayItem       *self);
gboolean      mp_tray_item_get_registered          (MpTrayItem       *self);

void          mp_tray_item_set_title               (MpTrayItem       *self,
                                                    const char       *title);
const char   *mp_tray_item_get_title               (MpTrayItem       *self);
void          mp_tray_item_set_status              (MpTrayItem       *self,
                                                    MpTrayStatus      status);
MpTrayStatus  mp_tray_item_get_status              (MpTrayItem       *self);
void          mp_tray_item_set_icon_name           (MpTrayItem       *self,
                                                    const char       *icon_name);
const char   *mp_tray_item_get_icon_name           (MpTrayItem       *self);
void          mp_tray_item_set_attention_icon_name (MpTrayItem       *self,
                                                    const char       *icon_name);
const char   *mp_tray_item_get_attention_icon_name (MpTrayItem       *self);
void          mp_tray_item_set_icon_theme_path     (MpTrayItem       *self,
                                                    const char       *path);
const char   *mp_tray_item_get_icon_theme_path     (MpTrayItem       *self);
void          mp_tray_item_set_tooltip             (MpTrayItem       *self,
                                                    const char       *title,
                                                    const char       *body_markup);
const char   *mp_tray_item_get_tooltip_title       (MpTrayItem       *self);
const char   *mp_tray_item_get_tooltip_body        (MpTrayItem       *self);
void          mp_tray_item_set_menu                (MpTrayItem       *self,
                                                    GMenuModel       *model,
                                                    const char       *action_namespace,
                                                    GActionGroup     *actions);
char         *mp_tray_item_take_activation_token   (MpTrayItem       *self);

G_END_DECLS
