/* main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "mp-cli.h"
#include "mp-cli-status.h"
#if HAVE_APPLET
#include "mp-application.h"
#endif

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

#if HAVE_APPLET
  /* No arguments: the tray applet. Every command-line mode runs without
   * a display and never starts the UI.
   */
  if (argc <= 1)
    return mp_application_run_main (argc, argv);
#endif
  if (mp_cli_status_wanted (argc, argv))
    return mp_cli_status_main (argc, argv);

  return mp_cli_main (argc, argv);
}
