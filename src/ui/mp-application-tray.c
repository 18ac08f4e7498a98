/* mp-application-tray.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The application's side of the tray (MpTray: a StatusNotifierItem, or
 * the XEmbed fallback, or nothing).
 */

#define G_LOG_DOMAIN "mp-application"

#include "config.h"

#include <glib/gi18n.h>

#include "mp-application-private.h"
#include "mp-tray.h"

struct _MpAppTray
{
  MpApplication *application;
  MpTray        *tray;
};

static void
activate_cb (MpTray    *tray,
             int        x,
             int        y,
             MpAppTray *self)
{
  /* On Wayland the host hands a token before Activate: it lets the
   * window take the focus.
   */
  g_autofree char *token = mp_tray_take_activation_token (tray);

  mp_application_tray_activated (self->application, token);
}

static void
secondary_activate_cb (MpTray    *tray,
                       int        x,
                       int        y,
                       MpAppTray *self)
{
  mp_application_tray_secondary_activated (self->application);
}

static void
availability_cb (MpTray     *tray,
                 GParamSpec *pspec,
                 MpAppTray  *self)
{
  mp_application_tray_availability_changed (self->application);
}

MpAppTray *
mp_app_tray_new (MpApplication   *application,
                 GDBusConnection *connection,
                 GMenuModel      *menu)
{
  MpAppTray *self = g_new0 (MpAppTray, 1);
  GtkIconTheme *theme = gtk_icon_theme_get_default ();

  self->application = application;
  self->tray = mp_tray_new (connection);
  mp_tray_set_title (self->tray, _("Mailpeek"));
  /* An uninstalled build: the icons are only in the source tree (which
   * the application adds to our own icon theme, not the host's). */
  if (theme != NULL && g_file_test (MP_SOURCE_ICON_DIR, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GtkIconInfo) info = gtk_icon_theme_lookup_icon (theme, MP_APP_ICON_NEW_MAIL, 22, 0);
      const char *file = info != NULL ? gtk_icon_info_get_filename (info) : NULL;

      if (file == NULL || g_str_has_prefix (file, MP_SOURCE_ICON_DIR))
        mp_tray_set_icon_theme_path (self->tray, MP_SOURCE_ICON_DIR);
    }
  mp_tray_set_attention_icon_name (self->tray, MP_APP_ICON_NEW_MAIL);
  mp_tray_set_menu (self->tray, menu, "app", G_ACTION_GROUP (application));

  g_signal_connect (self->tray, "activate", G_CALLBACK (activate_cb), self);
  g_signal_connect (self->tray, "secondary-activate", G_CALLBACK (secondary_activate_cb), self);
  g_signal_connect (self->tray, "notify::available", G_CALLBACK (availability_cb), self);
  g_signal_connect (self->tray, "notify::ready", G_CALLBACK (availability_cb), self);

  return self;
}

void
mp_app_tray_update (MpAppTray            *self,
                    const MpAppTrayState *state)
{
  static const MpTrayStatus statuses[] = {
    [MP_APP_TRAY_PASSIVE] = MP_TRAY_STATUS_PASSIVE,
    [MP_APP_TRAY_ACTIVE] = MP_TRAY_STATUS_ACTIVE,
    [MP_APP_TRAY_NEEDS_ATTENTION] = MP_TRAY_STATUS_NEEDS_ATTENTION,
  };

  mp_tray_set_status (self->tray, statuses[state->status]);
  /* IconName switches too: waybar ignores AttentionIconName. */
  mp_tray_set_icon_name (self->tray, state->icon_name);
  mp_tray_set_tooltip (self->tray, _("Mailpeek"), state->tooltip_markup);
}

gboolean
mp_app_tray_is_ready (MpAppTray *self)
{
  return mp_tray_get_ready (self->tray);
}

gboolean
mp_app_tray_is_available (MpAppTray *self)
{
  return mp_tray_get_ready (self->tray) && mp_tray_get_available (self->tray);
}

void
mp_app_tray_free (MpAppTray *self)
{
  g_signal_handlers_disconnect_by_data (self->tray, self);
  g_clear_object (&self->tray);
  g_free (self);
}
