/* mp-mailbox-frontend.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-mailbox"

#include "config.h"

#include "mp-mailbox-private.h"
#include "mp-message-private.h"

/* What a front end that is handed UIDs rather than list items needs
 * (`mailpeek --download UID…` runs without a poll first), and a way to
 * wait for the state to reach the disk before the process ends.
 */

/**
 * mp_mailbox_dup_messages_for_uids:
 * @uids: (array zero-terminated=1): UIDL unique-ids
 *
 * The messages to give mp_mailbox_download_async() or
 * mp_mailbox_delete_async() for @uids, each UID once, in order: the
 * mailbox's own message where the list has it, else a message that only
 * carries the UID (not added to the list). Either way the session names
 * it by UID after its own UIDL, and a UID the server does not list is
 * reported as not found.
 *
 * Returns: (transfer full) (element-type MpMessage): the messages
 */
GPtrArray *
mp_mailbox_dup_messages_for_uids (MpMailbox          *self,
                                  const char * const *uids)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *messages = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (MP_IS_MAILBOX (self), messages);
  g_return_val_if_fail (uids != NULL, messages);

  for (guint i = 0; uids[i] != NULL; i++)
    {
      MpMessage *message;

      if (!g_hash_table_add (seen, (gpointer) uids[i]))
        continue;
      message = mp_mailbox_find_message (self, uids[i]);
      if (message != NULL && g_strcmp0 (mp_message_get_uid (message), uids[i]) == 0)
        g_ptr_array_add (messages, g_object_ref (message));
      else
        g_ptr_array_add (messages, mp_message_new (uids[i], uids[i], 0, 0, NULL));
    }
  return messages;
}

/**
 * mp_mailbox_sync_async:
 *
 * Completes once the state saves started so far (after a poll, a delete,
 * a mark) have reached the disk, with the error of the last one; at once
 * when none is running. Starts no save of its own.
 */
void
mp_mailbox_sync_async (MpMailbox           *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MP_IS_MAILBOX (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_mailbox_sync_async);

  if (!self->saving)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* With a save queued behind the running one, wait for that (it adds
   * no write); else for the running one.
   */
  if (self->save_again)
    {
      mp_mailbox_save (self, task);
      return;
    }
  if (self->save_waiters == NULL)
    self->save_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->save_waiters, g_object_ref (task));
}

gboolean
mp_mailbox_sync_finish (MpMailbox     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
