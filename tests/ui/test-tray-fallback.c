/* test-tray-fallback.c: with no StatusNotifierWatcher on X11, MpTray shows
 * the XEmbed icon and a real system tray (trayer) embeds it; a watcher
 * that comes later takes over.  Runs its own Xvfb and private bus.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gtk/gtk.h>
#include <gdk/gdkx.h>
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

/* Two messages GDK 3 prints about the X windows of XEmbed plugs, which
 * the tray manager maps and reparents as it likes:
 *  - it thaws a toplevel on every MapNotify and freezes it on UnmapNotify;
 *    a tray manager that maps a plug it already mapped (trayer does, when
 *    an icon comes right after another went) makes GDK complain about a
 *    thaw without a freeze;
 *  - a plug's window destroyed by the X server along with the tray
 *    manager's socket, before GTK destroyed it, is "unexpectedly
 *    destroyed".
 * That is GTK's bookkeeping against the embedder, not ours: those two are
 * tolerated, any other GDK warning or critical fails the test.  (GDK logs
 * through the structured API, which g_test_log_set_fatal_handler() never
 * sees, hence a domain handler.) */
static void
gdk_log_cb (const char     *log_domain,
            GLogLevelFlags  log_level,
            const char     *message,
            gpointer        user_data)
{
  if (strstr (message, "gdk_window_thaw_toplevel_updates") != NULL ||
      (g_str_has_prefix (message, "GdkWindow ") && strstr (message, " unexpectedly destroyed") != NULL))
    {
      g_test_message ("tolerated: %s", message);
      return;
    }
  g_error ("%s: %s", log_domain, message);
}

static void
tolerate_gdk_xembed_noise (void)
{
  static const char *domains[] = {
    NULL, "GLib", "GLib-GObject", "GLib-GIO", "Gtk", "mp-tray", "mp-tray-fallback",
    "mp-tray-item", "mp-dbusmenu", "mp-test-util",
  };

  /* warnings and criticals fatal per domain instead of for all, so that
   * Gdk's go through gdk_log_cb() */
  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  for (guint i = 0; i < G_N_ELEMENTS (domains); i++)
    g_log_set_fatal_mask (domains[i], G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_log_set_handler ("Gdk", G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING, gdk_log_cb, NULL);
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

static gboolean
pointer_cleared (gpointer user_data)
{
  return *(gpointer *) user_data == NULL;
}

/* A click as the X server delivers it to the icon's plug window.
 * GtkStatusIcon's own getters are deprecated, hence the local silence
 * (test code only; the app uses none of this). */
static void
click_icon (MpTray *tray,
            guint   button)
{
  GObject *icon = mp_tray_fallback_get_status_icon (MP_TRAY_FALLBACK (mp_tray_get_fallback (tray)));
  GdkWindow *window;
  guint32 xid;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  xid = gtk_status_icon_get_x11_window_id (GTK_STATUS_ICON (icon));
  G_GNUC_END_IGNORE_DEPRECATIONS
  window = gdk_x11_window_lookup_for_display (gdk_display_get_default (), xid);
  g_assert_nonnull (window);
  g_assert_true (gdk_test_simulate_button (window, 4, 4, button, 0, GDK_BUTTON_PRESS));
  g_assert_true (gdk_test_simulate_button (window, 4, 4, button, 0, GDK_BUTTON_RELEASE));
}

typedef struct
{
  int activated;
  int secondary;
} Clicks;

static void
activate_cb (MpTray *tray,
             int     x,
             int     y,
             Clicks *clicks)
{
  clicks->activated++;
}

static void
secondary_cb (MpTray *tray,
              int     x,
              int     y,
              Clicks *clicks)
{
  clicks->secondary++;
}

static gboolean
int_positive (gpointer user_data)
{
  return *(int *) user_data > 0;
}

/* The right-click menu: a mapped GtkMenu built from the model. */
static gboolean
menu_shown (gpointer user_data)
{
  const char *label = user_data;
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    {
      GtkWidget *child = gtk_bin_get_child (GTK_BIN (l->data));
      g_autoptr(GList) items = NULL;

      if (!GTK_IS_MENU (child) || !gtk_widget_get_mapped (child))
        continue;
      items = gtk_container_get_children (GTK_CONTAINER (child));
      for (GList *i = items; i != NULL; i = i->next)
        if (GTK_IS_MENU_ITEM (i->data) &&
            g_strcmp0 (gtk_menu_item_get_label (i->data), label) == 0)
          return TRUE;
    }
  return FALSE;
}

static void
popdown_menus (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    {
      GtkWidget *child = gtk_bin_get_child (GTK_BIN (l->data));

      if (GTK_IS_MENU (child) && gtk_widget_get_mapped (child))
        gtk_menu_popdown (GTK_MENU (child));
    }
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
  GObject *status_icon;
  Clicks clicks = { 0, 0 };

  g_menu_append (menu, "_Quit", "app.quit");
  /* our uninstalled icons, as the app does for an uninstalled build */
  gtk_icon_theme_append_search_path (gtk_icon_theme_get_default (), icons);
  /* the status icons of data/icons are found there as hicolor icons */
  g_assert_true (gtk_icon_theme_has_icon (gtk_icon_theme_get_default (), "mailpeek-mail"));
  g_assert_true (gtk_icon_theme_has_icon (gtk_icon_theme_get_default (), "mailpeek-new-mail"));
  g_assert_true (gtk_icon_theme_has_icon (gtk_icon_theme_get_default (), "mailpeek-error"));
  g_assert_true (gtk_icon_theme_has_icon (gtk_icon_theme_get_default (), "mailpeek-new-mail-symbolic"));

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
  /* and gone with its tray: the GtkStatusIcon is ours to release */
  status_icon = mp_tray_fallback_get_status_icon (MP_TRAY_FALLBACK (mp_tray_get_fallback (tray)));
  g_object_add_weak_pointer (status_icon, (gpointer *) &status_icon);
  g_clear_object (&tray);
  mp_test_wait_until (pointer_cleared, &status_icon, TRAY_TEST_GUARD_MSEC, "the GtkStatusIcon finalized");
  second_connection = tray_test_connect ();
  tray = new_tray (second_connection);
  g_assert_cmpint (mp_tray_get_backend (tray), ==, MP_TRAY_BACKEND_XEMBED);
  g_assert_true (mp_tray_get_available (tray));
  mp_tray_set_icon_name (tray, "mailpeek-new-mail");
  mp_test_wait_until (is_embedded, tray, TRAY_TEST_GUARD_MSEC, "the second icon embedded");

  /* left click: activate; middle click: secondary-activate; right click:
   * the menu of the same GMenuModel */
  mp_tray_set_menu (tray, G_MENU_MODEL (menu), "app", G_ACTION_GROUP (actions));
  g_signal_connect (tray, "activate", G_CALLBACK (activate_cb), &clicks);
  g_signal_connect (tray, "secondary-activate", G_CALLBACK (secondary_cb), &clicks);
  click_icon (tray, GDK_BUTTON_PRIMARY);
  mp_test_wait_until (int_positive, &clicks.activated, TRAY_TEST_GUARD_MSEC, "activate on a left click");
  g_assert_cmpint (clicks.secondary, ==, 0);
  click_icon (tray, GDK_BUTTON_MIDDLE);
  mp_test_wait_until (int_positive, &clicks.secondary, TRAY_TEST_GUARD_MSEC, "secondary-activate on a middle click");
  g_assert_cmpint (clicks.activated, ==, 1);
  click_icon (tray, GDK_BUTTON_SECONDARY);
  mp_test_wait_until (menu_shown, (gpointer) "_Quit", TRAY_TEST_GUARD_MSEC, "the menu on a right click");
  popdown_menus ();

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

  status_icon = mp_tray_fallback_get_status_icon (MP_TRAY_FALLBACK (mp_tray_get_fallback (tray)));
  g_object_add_weak_pointer (status_icon, (gpointer *) &status_icon);
  fallback = mp_tray_get_fallback (tray);
  g_object_add_weak_pointer (fallback, (gpointer *) &fallback);
  g_assert_finalize_object (tray);
  tray = NULL;
  mp_test_wait_until (pointer_cleared, &status_icon, TRAY_TEST_GUARD_MSEC, "the last GtkStatusIcon finalized");
  g_assert_null (fallback);
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
  tolerate_gdk_xembed_noise ();
  require_program ("Xvfb", "xvfb");
  require_program ("trayer", "trayer");

  g_unsetenv ("WAYLAND_DISPLAY");
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  /* core X events, not XInput 2: gdk_test_simulate_button() sends core
   * button events, which a window selecting XI2 events never gets */
  g_setenv ("GDK_CORE_DEVICE_EVENTS", "1", TRUE);
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
  /* Xvfb goes while GDK's connection is still open: GDK would exit on
   * the lost connection, but only once it next talks to the server, and
   * nothing runs the main context any more.  (gdk_display_close() is no
   * way out: after a menu was shown GTK 3 warns while closing.)  meson's
   * timeout guards this last wait. */
  g_subprocess_send_signal (xvfb, SIGTERM);
  g_subprocess_wait (xvfb, NULL, NULL);
  g_clear_object (&xvfb);
  remove_tree (user_dirs_file);

  return rc;
}
