/* test-tray-fallback.c: with no StatusNotifierWatcher on X11, MpTray shows
 * the XEmbed icon and a real system tray (trayer) embeds it; a watcher
 * that comes later takes over.  Runs its own Xvfb and private bus.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gtk/gtk.h>
#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <signal.h>
#include <sys/prctl.h>

#include "mp-test-util.h"
#include "mp-tray.h"
#include "mp-tray-fallback.h"
#include "tray-test-util.h"

static GSubprocess *xvfb;
static GSubprocess *tray_manager;

/* Xvfb and the tray manager die with the test, however it ends. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Like G_TEST_OPTION_ISOLATE_DIRS for the user's folders, but keeping
 * the system's XDG_DATA_DIRS: GTK needs the hicolor theme and the MIME
 * database there to load an SVG icon at all. */
static char *
isolate_user_dirs (void)
{
  static const char *vars[] = {
    "HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR",
  };
  g_autoptr(GError) error = NULL;
  char *root = g_dir_make_tmp ("test-tray-fallback-XXXXXX", &error);

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      g_autofree char *dir = g_build_filename (root, vars[i], NULL);

      g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
      g_setenv (vars[i], dir, TRUE);
    }
  return root;
}

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children =
    g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                               G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);

  if (children != NULL)
    {
      GFile *child;

      while (g_file_enumerator_iterate (children, NULL, &child, NULL, NULL) && child != NULL)
        remove_tree (child);
    }
  g_file_delete (file, NULL, NULL);
}

static void
require_program (const char *name,
                 const char *package)
{
  g_autofree char *path = g_find_program_in_path (name);

  /* a missing tool fails: a test that silently skips never runs */
  if (path == NULL)
    g_error ("%s not found (Debian package %s, build-aux/install-deps.sh)", name, package);
}

/* Xvfb on the first free display, told through -displayfd: no guessing
 * of display numbers, no waiting for a socket file. */
static void
start_xvfb (void)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *number = NULL;
  g_autofree char *display = NULL;
  int fds[2];

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, &error));
  g_assert_no_error (error);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  xvfb = g_subprocess_launcher_spawn (launcher, &error, "Xvfb", "-displayfd", "3",
                                      "-screen", "0", "800x600x24", "-nolisten", "tcp", NULL);
  g_assert_no_error (error);

  in = g_unix_input_stream_new (fds[0], TRUE);
  lines = g_data_input_stream_new (in);
  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, TRAY_TEST_GUARD_MSEC / 1000);
  number = g_data_input_stream_read_line_finish_utf8 (lines, result, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (number);

  display = g_strdup_printf (":%s", number);
  g_setenv ("DISPLAY", display, TRUE);
  g_test_message ("Xvfb on %s", display);
}

static void
stop_process (GSubprocess **process)
{
  g_autoptr(GAsyncResult) result = NULL;

  if (*process == NULL)
    return;
  g_subprocess_send_signal (*process, SIGTERM);
  g_subprocess_wait_async (*process, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, TRAY_TEST_GUARD_MSEC / 1000);
  g_clear_object (process);
}

static void
start_tray_manager (void)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  tray_manager = g_subprocess_launcher_spawn (launcher, &error,
                                              "trayer", "--edge", "top", "--align", "right",
                                              "--widthtype", "request", "--height", "32",
                                              "--SetDockType", "false", NULL);
  g_assert_no_error (error);
}

/* GDK 3 on X11 thaws a toplevel on every MapNotify and freezes it on
 * UnmapNotify; a tray manager that maps an XEmbed plug it already mapped
 * (trayer does, when an icon comes right after another went) makes GDK
 * complain about a thaw without a freeze.  That is GTK's bookkeeping, not
 * ours: that one message is tolerated, any other GDK critical fails.
 * (GDK logs through the structured API, which
 * g_test_log_set_fatal_handler() never sees.) */
static void
gdk_log_cb (const char     *log_domain,
            GLogLevelFlags  log_level,
            const char     *message,
            gpointer        user_data)
{
  if (strstr (message, "gdk_window_thaw_toplevel_updates") != NULL)
    {
      g_test_message ("tolerated: %s", message);
      return;
    }
  g_error ("%s: %s", log_domain, message);
}

static void
tolerate_gdk_thaw (void)
{
  static const char *domains[] = {
    NULL, "GLib", "GLib-GObject", "GLib-GIO", "Gtk", "mp-tray", "mp-tray-fallback",
    "mp-tray-item", "mp-dbusmenu", "mp-test-util",
  };

  /* criticals fatal per domain instead of for all, so Gdk can be left out */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING);
  for (guint i = 0; i < G_N_ELEMENTS (domains); i++)
    g_log_set_fatal_mask (domains[i], G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_log_set_handler ("Gdk", G_LOG_LEVEL_CRITICAL, gdk_log_cb, NULL);
}

static gboolean
is_embedded (gpointer user_data)
{
  GObject *fallback = mp_tray_get_fallback (user_data);

  return fallback != NULL && mp_tray_fallback_is_embedded (MP_TRAY_FALLBACK (fallback));
}

static gboolean
is_not_embedded (gpointer user_data)
{
  return !is_embedded (user_data);
}

static gboolean
backend_is (MpTray        *tray,
            MpTrayBackend  backend)
{
  return mp_tray_get_backend (tray) == backend;
}

static gboolean
backend_is_xembed (gpointer user_data)
{
  return backend_is (user_data, MP_TRAY_BACKEND_XEMBED);
}

static gboolean
backend_is_none (gpointer user_data)
{
  return backend_is (user_data, MP_TRAY_BACKEND_NONE);
}

static gboolean
backend_is_sni (gpointer user_data)
{
  return backend_is (user_data, MP_TRAY_BACKEND_SNI);
}

static MpTray *
new_tray (GDBusConnection *connection)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MpTray *tray;

  mp_tray_new_async (connection, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, TRAY_TEST_GUARD_MSEC / 1000);
  tray = mp_tray_new_finish (result, &error);
  g_assert_no_error (error);
  g_assert_true (mp_tray_get_ready (tray));

  return tray;
}

static void
test_fallback (void)
{
  g_autoptr(GDBusConnection) connection = tray_test_connect ();
  g_autoptr(GDBusConnection) second_connection = NULL;
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GSimpleActionGroup) actions = g_simple_action_group_new ();
  g_autoptr(MpTray) tray = NULL;
  g_autofree char *icons = g_test_build_filename (G_TEST_DIST, "..", "data", "icons", NULL);
  TrayTestWatcher *watcher;
  GObject *fallback;

  g_menu_append (menu, "_Quit", "app.quit");
  /* our uninstalled icons, as the app does for an uninstalled build */
  gtk_icon_theme_append_search_path (gtk_icon_theme_get_default (), icons);

  /* no watcher, no tray yet: XEmbed is waited for, nothing is visible */
  tray = new_tray (connection);
  g_assert_cmpint (mp_tray_get_backend (tray), ==, MP_TRAY_BACKEND_NONE);
  g_assert_false (mp_tray_get_available (tray));
  fallback = mp_tray_get_fallback (tray);
  g_assert_nonnull (fallback);
  g_assert_false (mp_tray_fallback_is_embedded (MP_TRAY_FALLBACK (fallback)));
  g_assert_false (mp_tray_fallback_tray_present (gdk_display_get_default ()));

  mp_tray_set_icon_theme_path (tray, icons);
  mp_tray_set_icon_name (tray, "mailpeek-mail");
  mp_tray_set_tooltip (tray, "Mailpeek", "<b>work</b>: 2 new");
  mp_tray_set_menu (tray, G_MENU_MODEL (menu), "app", G_ACTION_GROUP (actions));

  /* a system tray appears and embeds the icon */
  start_tray_manager ();
  mp_test_wait_until (is_embedded, tray, TRAY_TEST_GUARD_MSEC, "the icon embedded by trayer");
  g_assert_cmpint (mp_tray_get_backend (tray), ==, MP_TRAY_BACKEND_XEMBED);
  g_assert_true (mp_tray_get_available (tray));
  g_assert_true (mp_tray_fallback_tray_present (gdk_display_get_default ()));

  /* a tray made while the tray manager runs picks XEmbed at once (one
   * icon at a time: GTK 3's XEmbed plugs trip over each other otherwise) */
  g_clear_object (&tray);
  second_connection = tray_test_connect ();
  tray = new_tray (second_connection);
  g_assert_cmpint (mp_tray_get_backend (tray), ==, MP_TRAY_BACKEND_XEMBED);
  g_assert_true (mp_tray_get_available (tray));
  mp_tray_set_icon_name (tray, "mailpeek-new-mail");
  mp_test_wait_until (is_embedded, tray, TRAY_TEST_GUARD_MSEC, "the second icon embedded");

  /* a watcher that comes later takes over: the XEmbed icon goes */
  watcher = tray_test_watcher_start (NULL);
  mp_test_wait_until (backend_is_sni, tray, TRAY_TEST_GUARD_MSEC, "the switch to SNI");
  g_assert_null (mp_tray_get_fallback (tray));
  g_assert_true (mp_tray_get_available (tray));

  /* and when it goes, the XEmbed icon is back */
  tray_test_watcher_stop (watcher, FALSE);
  mp_test_wait_until (backend_is_xembed, tray, TRAY_TEST_GUARD_MSEC, "the switch back to XEmbed");
  mp_test_wait_until (is_embedded, tray, TRAY_TEST_GUARD_MSEC, "the icon embedded again");

  /* the tray manager quits: no icon visible any more */
  stop_process (&tray_manager);
  mp_test_wait_until (is_not_embedded, tray, TRAY_TEST_GUARD_MSEC, "the icon unembedded");
  mp_test_wait_until (backend_is_none, tray, TRAY_TEST_GUARD_MSEC, "the backend becoming none");
  g_assert_false (mp_tray_get_available (tray));

  g_clear_object (&tray);
  g_dbus_connection_close_sync (second_connection, NULL, NULL);
  g_dbus_connection_close_sync (connection, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GTestDBus) bus = NULL;
  g_autofree char *user_dirs = isolate_user_dirs ();
  g_autoptr(GFile) user_dirs_file = g_file_new_for_path (user_dirs);
  g_autofree char *display = NULL;
  g_autofree char *runtime_dir = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  tolerate_gdk_thaw ();
  require_program ("Xvfb", "xvfb");
  require_program ("trayer", "trayer");

  g_unsetenv ("WAYLAND_DISPLAY");
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  /* no accessibility bus in this private session */
  g_setenv ("NO_AT_BRIDGE", "1", TRUE);
  start_xvfb ();
  if (!gtk_init_check (NULL, NULL))
    g_error ("gtk_init_check failed on %s", g_getenv ("DISPLAY"));

  display = g_strdup (g_getenv ("DISPLAY"));
  runtime_dir = g_strdup (g_getenv ("XDG_RUNTIME_DIR"));
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  /* GTestDBus unsets these (against D-Bus autolaunch); the tray manager
   * needs the display */
  g_setenv ("DISPLAY", display, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", runtime_dir, TRUE);

  g_test_add_func ("/tray/fallback/xembed", test_fallback);

  rc = g_test_run ();

  stop_process (&tray_manager);
  g_test_dbus_down (bus);
  /* GDK exits on a lost X connection: close it before Xvfb goes */
  gdk_display_close (gdk_display_get_default ());
  stop_process (&xvfb);
  remove_tree (user_dirs_file);

  return rc;
}
