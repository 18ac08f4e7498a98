/* mp-sidebar.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "mp-mailbox.h"

G_BEGIN_DECLS

#define MP_TYPE_SIDEBAR (mp_sidebar_get_type ())

G_DECLARE_FINAL_TYPE (MpSidebar, mp_sidebar, MP, SIDEBAR, GtkBox)

/**
 * MpSidebar:
 *
 * The accounts column of the preview window: "All accounts" first, then
 * one #MpSidebarRow per mailbox of #MpSidebar:mailboxes (the poller), in
 * its order, following its ::items-changed and each mailbox's notify.
 *
 * Properties: mailboxes (GListModel of MpMailbox), selected-mailbox
 * (MpMailbox, nullable: %NULL is "All accounts"), all-selected (boolean).
 */

GtkWidget  *mp_sidebar_new                  (void);
GListModel *mp_sidebar_get_mailboxes        (MpSidebar  *self);
void        mp_sidebar_set_mailboxes        (MpSidebar  *self,
                                             GListModel *mailboxes);
MpMailbox  *mp_sidebar_get_selected_mailbox (MpSidebar  *self);
void        mp_sidebar_select_mailbox       (MpSidebar  *self,
                                             MpMailbox  *mailbox);
GtkWidget  *mp_sidebar_get_row              (MpSidebar  *self,
                                             MpMailbox  *mailbox);

G_END_DECLS
