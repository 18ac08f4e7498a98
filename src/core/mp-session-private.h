/* mp-session-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the core's one-session jobs (mp-check.c, mp-transfer.c) share.
 */

#pragma once

#include <gio/gio.h>

#include "mp-pop3-client.h"

G_BEGIN_DECLS

/* The session of @task (whose source object is the client) cannot go
 * on: it is closed at once, since nothing more will be asked of it, and
 * @task fails with @error (taken).
 */
static inline void
mp_session_fail (GTask  *task,
                 GError *error)
{
  mp_pop3_client_close (MP_POP3_CLIENT (g_task_get_source_object (task)));
  g_task_return_error (task, error);
  g_object_unref (task);
}

G_END_DECLS
