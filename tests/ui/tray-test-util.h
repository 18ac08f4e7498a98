/* tray-test-util.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What the tray tests share: a private bus, the Python watcher as a child
 * process whose event lines are read as they come, D-Bus calls and signal
 * logs waited for on the main context with guard timeouts. */

#define TRAY_TEST_GUARD_MSEC 15000

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *out;
  GCancellable     *cancellable;
  GPtrArray        *lines;
  gboolean          eof;
} TrayTestWatcher;

typedef struct
{
  GDBusConnection *connection;
  guint            subscription;
  GPtrArray       *names;    /* char * */
  GPtrArray       *params;   /* GVariant * */
} TrayTestSignalLog;

GDBusConnection   *tray_test_connect          (void);
GVariant          *tray_test_call             (GDBusConnection    *connection,
                                               const char         *dest,
                                               const char         *path,
                                               const char         *interface,
                                               const char         *method,
                                               GVariant           *parameters,
                                               const char         *reply_type,
                                               GError            **error);

TrayTestWatcher   *tray_test_watcher_start    (const char         *extra_arg);
void               tray_test_watcher_wait_line (TrayTestWatcher   *watcher,
                                               const char         *prefix);
void               tray_test_watcher_stop     (TrayTestWatcher    *watcher,
                                               gboolean            crash);

TrayTestSignalLog *tray_test_signal_log_new   (GDBusConnection    *connection,
                                               const char         *sender,
                                               const char         *interface,
                                               const char         *path);
guint              tray_test_signal_log_wait  (TrayTestSignalLog  *log,
                                               guint               from,
                                               const char         *name);
void               tray_test_signal_log_free  (TrayTestSignalLog  *log);

G_END_DECLS
