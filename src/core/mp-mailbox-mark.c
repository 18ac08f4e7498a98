/* mp-mailbox-mark.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the user did with messages (told about them, looked at them),
 * recorded in the seen-state and saved, one save at a time.
 */

#define G_LOG_DOMAIN "mp-mailbox"

#include "config.h"

#include "mp-mailbox-private.h"

/* Saving: one save at a time; what asks for one while it runs gets the
 * next, which then also carries every change made meanwhile.
 */

static void start_save (MpMailbox *self);

static void
save_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(MpMailbox) self = user_data;
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->save_waiters);
  g_autoptr(GError) error = NULL;

  self->saving = FALSE;
  if (!mp_mailbox_state_save_finish (MP_MAILBOX_STATE (object), result, &error))
    g_warning ("Could not save what was seen on %s: %s",
               mp_account_get_id (self->account), error->message);

  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }

  if (self->save_again)
    start_save (self);
}

static void
start_save (MpMailbox *self)
{
  self->save_again = FALSE;
  self->saving = TRUE;
  self->save_waiters = g_steal_pointer (&self->save_queued);
  /* Not self->cancellable: what was marked must reach the disk even when
   * the account is being removed (its files go afterwards anyway).
   */
  mp_mailbox_state_save_async (self->state, NULL, save_cb, g_object_ref (self));
}

/**
 * mp_mailbox_save:
 * @task: (nullable) (transfer none): completed with the save's outcome
 */
void
mp_mailbox_save (MpMailbox *self,
                 GTask     *task)
{
  if (self->state == NULL)
    {
      if (task != NULL)
        g_task_return_boolean (task, TRUE);
      return;
    }

  /* A removed account's files are about to be deleted: only what the user
   * marked explicitly is still written.
   */
  if (self->shut_down && task == NULL)
    return;

  if (task != NULL)
    {
      if (self->save_queued == NULL)
        self->save_queued = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (self->save_queued, g_object_ref (task));
    }

  if (self->saving)
    self->save_again = TRUE;
  else
    start_save (self);
}

/* Marking */

typedef void (*MarkFunc) (MpMailbox  *self,
                          const char *key);

static void
mark_announced_one (MpMailbox  *self,
                    const char *key)
{
  mp_mailbox_state_mark_announced (self->state, key);
}

static void
mark_seen_one (MpMailbox  *self,
               const char *key)
{
  mp_mailbox_state_mark_seen (self->state, key);
}

static void
mark (MpMailbox           *self,
      const char * const  *keys,
      MarkFunc             func,
      gpointer             source_tag,
      GCancellable        *cancellable,
      GAsyncReadyCallback  callback,
      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);

  if (self->state == NULL)
    {
      /* Nothing listed yet, so there is nothing to mark. */
      g_task_return_boolean (task, TRUE);
      return;
    }

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    func (self, keys[i]);

  mp_mailbox_sync_flags (self);
  mp_mailbox_save (self, task);
}

/**
 * mp_mailbox_mark_announced_async:
 * @keys: (array zero-terminated=1): keys of messages the user was told
 *   about
 *
 * Marks them announced (they stop counting as new and are not in
 * ::messages-arrived again) and saves the state.
 */
void
mp_mailbox_mark_announced_async (MpMailbox           *self,
                                 const char * const  *keys,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (MP_IS_MAILBOX (self));

  mark (self, keys, mark_announced_one, mp_mailbox_mark_announced_async,
        cancellable, callback, user_data);
}

gboolean
mp_mailbox_mark_announced_finish (MpMailbox     *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * mp_mailbox_mark_seen_async:
 * @keys: (array zero-terminated=1): keys of messages the user looked at
 *
 * Clears their "unseen" flag and saves the state.
 */
void
mp_mailbox_mark_seen_async (MpMailbox           *self,
                            const char * const  *keys,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (MP_IS_MAILBOX (self));

  mark (self, keys, mark_seen_one, mp_mailbox_mark_seen_async,
        cancellable, callback, user_data);
}

gboolean
mp_mailbox_mark_seen_finish (MpMailbox     *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
