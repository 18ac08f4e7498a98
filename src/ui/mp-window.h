/* mp-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "mp-mailbox.h"
#include "mp-message.h"

G_BEGIN_DECLS

#define MP_TYPE_WINDOW (mp_window_get_type ())

G_DECLARE_FINAL_TYPE (MpWindow, mp_window, MP, WINDOW, GtkApplicationWindow)

/**
 * MpWindow:
 *
 * The preview window: a sidebar of accounts ("All accounts" first), the
 * message list and the details pane, over a #GListModel of #MpMailbox
 * (the poller's). Everything it does to messages goes through the
 * mailboxes (fetch_snippet, download, delete, mark_seen, check_now).
 *
 * Actions it provides (`win.`): check-now (F5), delete (Delete), download
 * (Ctrl+S), open (Enter in the list), mark-read, find (Ctrl+F), close
 * (Ctrl+W), about.
 *
 * Actions the application must provide (`app.`): dnd (boolean state, the
 * header's Do not disturb toggle), accounts (the menu's Accounts… and the
 * "No accounts yet" button), preferences, quit (Ctrl+Q; the window sets
 * the accelerator). Optional: account-password and account-certificate
 * (s: account id), shown as fix buttons on accounts in error once they
 * exist.
 *
 * Properties: mailboxes (construct), undo-timeout (milliseconds the
 * "N messages deleted · Undo" bar waits before the server session; 5000).
 *
 * Accessible names (stable; the AT-SPI tests find controls by them):
 * header bar: "Check now", "Search" (toggle), "Do not disturb" (toggle),
 * "Main menu" (items "Accounts…", "Preferences…", "About Mailpeek",
 * "Quit"); the no-tray bar's "Close"; sidebar list "Accounts" with rows
 * "All accounts" and one per account named by the account's name (the
 * counts and any error are in the row's description), its hidden "Fix
 * this account" button; search entry "Search messages" and "Close
 * search"; the tree view "Messages" with columns "Unseen", "From",
 * "Subject", "Account" (All accounts only), "Date", "Size"; details pane
 * "Message details" with "Open in mail client", "Download", "Delete";
 * the notification bar's "Undo", "Dismiss" and "Download progress"; the
 * empty state's button "Add an Account…".
 */

GtkWidget  *mp_window_new                 (GtkApplication *application,
                                           GListModel     *mailboxes);
GListModel *mp_window_get_mailboxes       (MpWindow       *self);
void        mp_window_show_no_tray_notice (MpWindow       *self);
void        mp_window_say_no_dialog       (MpWindow       *self,
                                           const char     *which);
void        mp_window_show                (MpWindow       *self,
                                           MpMailbox      *mailbox,
                                           MpMessage      *message);
void        mp_window_set_undo_timeout    (MpWindow       *self,
                                           guint           msec);
const char *mp_window_get_notice          (MpWindow       *self);
void        mp_window_set_seen_delay      (MpWindow       *self,
                                           guint           msec);

G_END_DECLS
