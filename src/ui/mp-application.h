/* mp-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "mp-account-store.h"
#include "mp-poller.h"

G_BEGIN_DECLS

#define MP_TYPE_APPLICATION (mp_application_get_type ())

G_DECLARE_FINAL_TYPE (MpApplication, mp_application, MP, APPLICATION, GtkApplication)

/**
 * MpApplication:
 *
 * The tray applet: the single-instance #GtkApplication
 * io.github.mailpeek.Mailpeek. The first instance runs in the background
 * (held, no window) with the tray item, the notifier and the D-Bus status
 * object, and polls every enabled account; activating it again (running
 * `mailpeek` or the launcher) presents the preview window. Closing the
 * window keeps it running; app.quit ends it.
 *
 * Actions (also what the tray menu and the window use):
 * - app.show-messages: present the window (All accounts)
 * - app.check-now: check every enabled account now
 * - app.dnd (boolean state): Do not disturb, saved in GSettings
 * - app.show-account (s): present the window on the account with this id
 * - app.show-message ((ss)): account id and message key
 * - app.accounts, app.preferences: the setup dialogs
 * - app.quit
 *
 * The session password: when MAILPEEK_PASSWORD is set at start, it is the
 * password of every account for this process only (the demo and the UI
 * tests use it); it is removed from the environment at once and never
 * written anywhere.
 */

MpApplication  *mp_application_new               (void);
GSettings      *mp_application_get_settings      (MpApplication *self);
MpAccountStore *mp_application_get_account_store (MpApplication *self);
MpPoller       *mp_application_get_poller        (MpApplication *self);
GListModel     *mp_application_get_mailboxes     (MpApplication *self);
gboolean        mp_application_get_tray_available (MpApplication *self);

int             mp_application_run_main          (int            argc,
                                                  char         **argv);

G_END_DECLS
