/* tray-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <signal.h>

#include "mp-test-util.h"
#include "tray-test-util.h"

/**
 * tray_test_connect:
 *
 * A connection of its own to the session bus (the test's private one),
 * not the shared singleton, so the test can drop it before the bus goes.
 *
 * Returns: (transfer full): the connection
 */
GDBusConnection *
tray_test_connect (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  GDBusConnection *connection;

  g_assert_no_error (error);
  connection = g_dbus_connection_new_for_address_sync (address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (connection, FALSE);

  return connection;
}

/* Asynchronous underneath: the object called may live in this process,
 * and answers only while the main context runs. */
GVariant *
tray_test_call (GDBusConnection  *connection,
                const char       *dest,
                const char       *path,
                const char       *interface,
                const char       *method,
                GVariant         *parameters,
                const char       *reply_type,
                GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_dbus_connection_call (connection, dest, path, interface, method, parameters,
                          reply_type != NULL ? G_VARIANT_TYPE (reply_type) : NULL,
                          G_DBUS_CALL_FLAGS_NONE, TRAY_TEST_GUARD_MSEC - 1000, NULL,
                          mp_test_result_cb, &result);
  mp_test_await (&result, TRAY_TEST_GUARD_MSEC / 1000);

  return g_dbus_connection_call_finish (connection, result, error);
}

static void read_next_line (TrayTestWatcher *watcher);

static void
line_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                          result, NULL, &error);
  TrayTestWatcher *watcher;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  watcher = user_data;
  if (line == NULL)
    {
      watcher->eof = TRUE;
      return;
    }
  g_test_message ("watcher: %s", line);
  g_ptr_array_add (watcher->lines, line);
  read_next_line (watcher);
}

static void
read_next_line (TrayTestWatcher *watcher)
{
  g_data_input_stream_read_line_async (watcher->out, G_PRIORITY_DEFAULT,
                                       watcher->cancellable, line_cb, watcher);
}

/**
 * tray_test_watcher_start:
 * @extra_arg: (nullable): one more argument for sni-watcher.py
 *
 * Starts tests/ui/sni-watcher.py on the session bus and waits until it
 * owns the watcher name.
 *
 * Returns: (transfer full): the watcher
 */
TrayTestWatcher *
tray_test_watcher_start (const char *extra_arg)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "ui", "sni-watcher.py", NULL);
  TrayTestWatcher *watcher = g_new0 (TrayTestWatcher, 1);

  /* stdin is a pipe that closes when this process dies, however it dies:
   * the watcher then exits instead of outliving the test */
  watcher->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDIN_PIPE,
                                       &error, script, "--exit-on-eof", extra_arg, NULL);
  g_assert_no_error (error);
  watcher->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (watcher->process));
  watcher->cancellable = g_cancellable_new ();
  watcher->lines = g_ptr_array_new_with_free_func (g_free);
  read_next_line (watcher);
  tray_test_watcher_wait_line (watcher, "READY ");

  return watcher;
}

typedef struct
{
  TrayTestWatcher *watcher;
  const char      *prefix;
} LineWait;

static gboolean
has_line (gpointer user_data)
{
  LineWait *wait = user_data;

  for (guint i = 0; i < wait->watcher->lines->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (wait->watcher->lines, i), wait->prefix))
      return TRUE;
  if (wait->watcher->eof)
    g_error ("sni-watcher.py ended before printing “%s”", wait->prefix);
  return FALSE;
}

/**
 * tray_test_watcher_wait_line:
 * @watcher: a running watcher
 * @prefix: how the awaited line starts
 *
 * Waits (guarded) until the watcher printed a line starting with @prefix.
 */
void
tray_test_watcher_wait_line (TrayTestWatcher *watcher,
                             const char      *prefix)
{
  LineWait wait = { watcher, prefix };
  g_autofree char *what = g_strdup_printf ("the watcher line “%s…”", prefix);

  mp_test_wait_until (has_line, &wait, TRAY_TEST_GUARD_MSEC, what);
}

/**
 * tray_test_watcher_stop:
 * @watcher: (transfer full): a running watcher
 * @crash: %TRUE for SIGKILL (a crashed panel), %FALSE for SIGTERM
 *
 * Stops the watcher and waits until it has exited.
 */
void
tray_test_watcher_stop (TrayTestWatcher *watcher,
                        gboolean         crash)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (crash)
    g_subprocess_force_exit (watcher->process);
  else
    g_subprocess_send_signal (watcher->process, SIGTERM);
  g_subprocess_wait_async (watcher->process, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, TRAY_TEST_GUARD_MSEC / 1000);
  g_assert_true (g_subprocess_wait_finish (watcher->process, result, &error));
  g_assert_no_error (error);
  if (!crash)
    g_assert_true (g_subprocess_get_if_exited (watcher->process));

  g_cancellable_cancel (watcher->cancellable);
  g_object_unref (watcher->cancellable);
  g_object_unref (watcher->out);
  g_object_unref (watcher->process);
  g_ptr_array_unref (watcher->lines);
  g_free (watcher);
}

static void
signal_cb (GDBusConnection *connection,
           const char      *sender,
           const char      *path,
           const char      *interface,
           const char      *name,
           GVariant        *parameters,
           gpointer         user_data)
{
  TrayTestSignalLog *log = user_data;

  g_ptr_array_add (log->names, g_strdup (name));
  g_ptr_array_add (log->params, g_variant_ref (parameters));
}

/**
 * tray_test_signal_log_new:
 * @connection: where to listen
 * @sender: (nullable): the sender's bus name
 * @interface: the interface
 * @path: the object path
 *
 * Records every signal matching, in order.
 *
 * Returns: (transfer full): the log
 */
TrayTestSignalLog *
tray_test_signal_log_new (GDBusConnection *connection,
                          const char      *sender,
                          const char      *interface,
                          const char      *path)
{
  TrayTestSignalLog *log = g_new0 (TrayTestSignalLog, 1);

  log->connection = g_object_ref (connection);
  log->names = g_ptr_array_new_with_free_func (g_free);
  log->params = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  log->subscription = g_dbus_connection_signal_subscribe (connection, sender, interface, NULL, path,
                                                          NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                          signal_cb, log, NULL);
  /* AddMatch goes out asynchronously; the bus handles a connection's
   * messages in order, so once this answers, no signal can be missed */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = tray_test_call (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                "org.freedesktop.DBus", "GetId", NULL, "(s)", &error);

    g_assert_no_error (error);
  }
  return log;
}

typedef struct
{
  TrayTestSignalLog *log;
  guint              from;
  const char        *name;
  guint              found;
} SignalWait;

static gboolean
has_signal (gpointer user_data)
{
  SignalWait *wait = user_data;

  for (guint i = wait->from; i < wait->log->names->len; i++)
    if (g_str_equal (g_ptr_array_index (wait->log->names, i), wait->name))
      {
        wait->found = i;
        return TRUE;
      }
  return FALSE;
}

/**
 * tray_test_signal_log_wait:
 * @log: a log
 * @from: the first index to look at
 * @name: the signal name
 *
 * Waits (guarded) for a signal @name at index @from or later.
 *
 * Returns: its index in the log
 */
guint
tray_test_signal_log_wait (TrayTestSignalLog *log,
                           guint              from,
                           const char        *name)
{
  SignalWait wait = { log, from, name, 0 };
  g_autofree char *what = g_strdup_printf ("the D-Bus signal %s", name);

  mp_test_wait_until (has_signal, &wait, TRAY_TEST_GUARD_MSEC, what);
  return wait.found;
}

void
tray_test_signal_log_free (TrayTestSignalLog *log)
{
  g_dbus_connection_signal_unsubscribe (log->connection, log->subscription);
  g_object_unref (log->connection);
  g_ptr_array_unref (log->names);
  g_ptr_array_unref (log->params);
  g_free (log);
}
