/* mp-application-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The application's side of the preview window (MpWindow).
 */

#define G_LOG_DOMAIN "mp-application"

#include "config.h"

#include "mp-application-private.h"
#include "mp-window.h"

GtkWidget *
mp_app_window_new (MpApplication *application)
{
  return mp_window_new (GTK_APPLICATION (application),
                        mp_application_get_mailboxes (application));
}

void
mp_app_window_say_no_tray (GtkWidget *window)
{
  mp_window_show_no_tray_notice (MP_WINDOW (window));
}

void
mp_app_window_show (GtkWidget *window,
                    MpMailbox *mailbox,
                    MpMessage *message)
{
  mp_window_show (MP_WINDOW (window), mailbox, message);
}

void
mp_app_window_open_dialog (GtkWidget  *window,
                           const char *which)
{
  /* The setup dialogs (accounts, preferences) belong to the setup issue;
   * until they exist the window says how to do without them.
   */
  g_debug ("no %s dialog yet", which);
  mp_window_say_no_dialog (MP_WINDOW (window), which);
}
