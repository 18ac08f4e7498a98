/* mp-test-state.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "mp-test-state.h"

/**
 * mp_test_snapshot_new:
 *
 * Returns: (transfer full): an empty snapshot of a server with UIDL
 */
MpMailboxSnapshot *
mp_test_snapshot_new (void)
{
  MpMailboxSnapshot *snapshot = g_new0 (MpMailboxSnapshot, 1);

  snapshot->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) mp_message_info_free);
  snapshot->uidl_supported = TRUE;
  return snapshot;
}

/**
 * mp_test_snapshot_add:
 * @uid: (nullable): the UID, %NULL for a server without UIDL
 * @key: (nullable): the state key, %NULL for "the UID"
 * @headers: (nullable) (transfer full): the decoded headers
 *
 * Appends a message as the next number of @snapshot.
 *
 * Returns: (transfer none): the message
 */
MpMessageInfo *
mp_test_snapshot_add (MpMailboxSnapshot *snapshot,
                      const char        *uid,
                      const char        *key,
                      guint64            size,
                      MpHeaders         *headers)
{
  MpMessageInfo *info = g_new0 (MpMessageInfo, 1);

  info->number = snapshot->messages->len + 1;
  info->uid = g_strdup (uid);
  info->key = g_strdup (key != NULL ? key : uid);
  info->size = size;
  info->headers = headers;
  g_ptr_array_add (snapshot->messages, info);
  snapshot->count++;
  snapshot->size += size;
  return info;
}
