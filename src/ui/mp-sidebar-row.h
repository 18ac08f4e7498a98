/* mp-sidebar-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "mp-mailbox.h"

G_BEGIN_DECLS

#define MP_TYPE_SIDEBAR_ROW (mp_sidebar_row_get_type ())

G_DECLARE_FINAL_TYPE (MpSidebarRow, mp_sidebar_row, MP, SIDEBAR_ROW, GtkListBoxRow)

/**
 * MpSidebarRow:
 *
 * One row of the sidebar: a mailbox (name, unseen/total counts, a status
 * icon, and when it is in error the reason in words and a button to fix
 * it), or, with no mailbox, "All accounts" with the sums over
 * #MpSidebarRow:mailboxes.
 *
 * The fix button activates `app.account-password` or
 * `app.account-certificate` with the account id as target, and is shown
 * only when the application has that action (the setup dialogs provide
 * them).
 */

GtkWidget  *mp_sidebar_row_new_for_mailbox (MpMailbox    *mailbox);
GtkWidget  *mp_sidebar_row_new_for_all     (GListModel   *mailboxes);
MpMailbox  *mp_sidebar_row_get_mailbox     (MpSidebarRow *self);
const char *mp_sidebar_row_get_status_text (MpSidebarRow *self);
void        mp_sidebar_row_update          (MpSidebarRow *self);

char       *mp_sidebar_row_describe_status (MpMailbox    *mailbox);

G_END_DECLS
