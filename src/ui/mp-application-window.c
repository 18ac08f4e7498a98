/* mp-application-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The application's side of the preview window. Until MpWindow (src/ui/
 * mp-window.c, the `window` branch) is merged, a plain stand-in window
 * with a header bar takes its place, so that activation, the no-tray
 * notice and closing can be exercised; only this file changes when it is.
 */

#define G_LOG_DOMAIN "mp-application"

#include "config.h"

#include <glib/gi18n.h>

#include "mp-application-private.h"

GtkWidget *
mp_app_window_new (MpApplication *application)
{
  GtkWidget *window = gtk_application_window_new (GTK_APPLICATION (application));
  GtkWidget *header = gtk_header_bar_new ();
  GtkWidget *label = gtk_label_new (_("No messages"));

  gtk_header_bar_set_show_close_button (GTK_HEADER_BAR (header), TRUE);
  gtk_header_bar_set_title (GTK_HEADER_BAR (header), _("Mailpeek"));
  gtk_window_set_titlebar (GTK_WINDOW (window), header);
  gtk_container_add (GTK_CONTAINER (window), label);
  gtk_window_set_default_size (GTK_WINDOW (window), 720, 480);
  g_object_set_data (G_OBJECT (window), "mp-header", header);
  gtk_widget_show_all (header);
  gtk_widget_show (label);

  return window;
}

void
mp_app_window_say_no_tray (GtkWidget *window)
{
  GtkHeaderBar *header = g_object_get_data (G_OBJECT (window), "mp-header");

  if (header != NULL)
    gtk_header_bar_set_subtitle (header, _("No system tray: Mailpeek keeps running in this window"));
}

void
mp_app_window_show (GtkWidget *window,
                    MpMailbox *mailbox,
                    MpMessage *message)
{
}

void
mp_app_window_open_dialog (GtkWidget  *window,
                           const char *which)
{
  /* The setup dialogs (accounts, preferences) belong to another issue;
   * until they exist the window itself is as far as these actions go.
   */
  g_debug ("no %s dialog yet", which);
}
