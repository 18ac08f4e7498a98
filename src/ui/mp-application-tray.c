/* mp-application-tray.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The application's side of the tray item. Until MpTray (the `tray`
 * branch: StatusNotifierItem, dbusmenu, XEmbed fallback) is merged this
 * reports that no tray is available, which makes the application present
 * its window at start, as it must where there is no tray at all.
 */

#define G_LOG_DOMAIN "mp-application"

#include "config.h"

#include "mp-application-private.h"

struct _MpAppTray
{
  MpApplication *application;
};

MpAppTray *
mp_app_tray_new (MpApplication   *application,
                 GDBusConnection *connection,
                 GMenuModel      *menu)
{
  MpAppTray *tray = g_new0 (MpAppTray, 1);

  tray->application = application;

  return tray;
}

void
mp_app_tray_update (MpAppTray            *tray,
                    const MpAppTrayState *state)
{
}

gboolean
mp_app_tray_is_ready (MpAppTray *tray)
{
  return TRUE;
}

gboolean
mp_app_tray_is_available (MpAppTray *tray)
{
  return FALSE;
}

void
mp_app_tray_free (MpAppTray *tray)
{
  g_free (tray);
}
