/* mp-application-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What MpApplication needs from the tray, the window and the poller, each
 * behind a few functions in its own file (mp-application-tray.c,
 * mp-application-window.c, mp-application-poller.c), so that the
 * application logic does not depend on how those parts are built.
 */

#pragma once

#include "mp-application.h"
#include "mp-mailbox.h"
#include "mp-message.h"

G_BEGIN_DECLS

/* Icon names (data/icons/): no mail, mail, new mail, error. */
#define MP_APP_ICON_NO_MAIL  "mailpeek-no-mail"
#define MP_APP_ICON_MAIL     "mailpeek-mail"
#define MP_APP_ICON_NEW_MAIL "mailpeek-new-mail"
#define MP_APP_ICON_ERROR    "mailpeek-error"

typedef enum
{
  MP_APP_TRAY_PASSIVE,
  MP_APP_TRAY_ACTIVE,
  MP_APP_TRAY_NEEDS_ATTENTION,
} MpAppTrayStatus;

typedef struct
{
  MpAppTrayStatus  status;
  const char      *icon_name;
  char            *tooltip_markup;
  guint            total;
  guint            unseen;
} MpAppTrayState;

void        mp_app_tray_state_compute     (GListModel      *mailboxes,
                                           MpAppTrayState  *state);
void        mp_app_tray_state_clear       (MpAppTrayState  *state);

GMenuModel *mp_application_get_menu      (MpApplication   *self);

/* Called by the tray adapter. */
void        mp_application_tray_activated            (MpApplication *self,
                                                      const char    *startup_id);
void        mp_application_tray_secondary_activated  (MpApplication *self);
void        mp_application_tray_availability_changed (MpApplication *self);

/* mp-application-tray.c */
typedef struct _MpAppTray MpAppTray;

MpAppTray  *mp_app_tray_new               (MpApplication   *application,
                                           GDBusConnection *connection,
                                           GMenuModel      *menu);
void        mp_app_tray_update            (MpAppTray       *tray,
                                           const MpAppTrayState *state);
gboolean    mp_app_tray_is_ready          (MpAppTray       *tray);
gboolean    mp_app_tray_is_available      (MpAppTray       *tray);
void        mp_app_tray_free              (MpAppTray       *tray);

/* mp-application-window.c */
GtkWidget  *mp_app_window_new             (MpApplication   *application);
void        mp_app_window_say_no_tray     (GtkWidget       *window);
void        mp_app_window_show            (GtkWidget       *window,
                                           MpMailbox       *mailbox,
                                           MpMessage       *message);
void        mp_app_window_open_dialog     (GtkWidget       *window,
                                           const char      *which);

/* mp-application-poller.c */
MpPoller   *mp_app_poller_new             (MpAccountStore  *store);
GListModel *mp_app_poller_get_mailboxes   (MpPoller        *poller);
void        mp_app_poller_start           (MpPoller        *poller);

G_END_DECLS
