/* mp-test-util.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Helpers the C tests share: waiting on the main context with a guard
 * timeout, checking that objects end, files, and private tmpfs mounts for the tests that need a read-only
 * folder or a full device. GLib, GIO and Linux system calls only.
 *
 * An async call waited for:
 *
 *   g_autoptr(GAsyncResult) result = NULL;
 *
 *   mp_pop3_client_connect_async (client, NULL, mp_test_result_cb, &result);
 *   mp_test_await (&result, GUARD_SECONDS);
 *   mp_pop3_client_connect_finish (client, result, &error);
 */

/**
 * MpTestConditionFunc:
 * @user_data: the data given to mp_test_wait_until()
 *
 * Says whether what a test waits for has happened.
 *
 * Returns: %TRUE to stop waiting
 */
typedef gboolean (*MpTestConditionFunc) (gpointer user_data);

void     mp_test_result_cb           (GObject              *source,
                                      GAsyncResult         *result,
                                      gpointer              user_data);
void     mp_test_await               (GAsyncResult        **slot,
                                      guint                 guard_seconds);
void     mp_test_wait_until          (MpTestConditionFunc   done,
                                      gpointer              user_data,
                                      guint                 guard_msec,
                                      const char           *what);
void     mp_test_run_for             (guint                 msec);

GPtrArray *mp_test_weak_set_new      (void);
void     mp_test_weak_set_add        (GPtrArray            *set,
                                      gpointer              object);
gboolean mp_test_weak_set_empty      (gpointer              set);
void     mp_test_unref_finalizes     (gpointer             *object_slot);

char    *mp_test_state_path          (const char           *key);
void     mp_test_write_file          (const char           *path,
                                      const char           *data,
                                      gssize                len);
gboolean mp_test_need_keyring        (void);

gboolean mp_test_in_mount_subprocess (void);
void     mp_test_mount_private_tmpfs (const char           *dir,
                                      const char           *options);
void     mp_test_remount_tmpfs       (const char           *dir,
                                      const char           *options,
                                      gboolean              read_only);

G_END_DECLS
