/* mp-mailbox-transfer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-mailbox"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "mp-mailbox-private.h"
#include "mp-message-private.h"
#include "mp-transfer.h"

/* The sessions that act on chosen messages: snippets (TOP by UID),
 * downloads and deletes, each a job in the account's queue (see
 * mp-mailbox-session.c for the queue and for why the poll sends TOP n 0).
 */

#define SNIPPET_LINES      50
#define SNIPPET_MAX_CHARS  300

/* Snippets */

static void
snippets_done (MpMailbox    *self,
               MpMailboxJob *job,
               GPtrArray    *outcomes,
               const GError *error)
{
  gboolean changed = FALSE;

  for (guint i = 0; outcomes != NULL && i < outcomes->len; i++)
    {
      MpTransferOutcome *outcome = g_ptr_array_index (outcomes, i);
      g_autofree char *snippet = NULL;
      gsize len = 0;
      const char *data;

      if (outcome->data == NULL)
        continue;
      data = g_bytes_get_data (outcome->data, &len);
      snippet = mp_headers_snippet_from_message (data ? data : "", len, SNIPPET_MAX_CHARS);
      /* "" for a message without text, so it is not asked for again. */
      if (snippet == NULL)
        snippet = g_strdup ("");

      for (guint k = 0; k < job->messages->len; k++)
        {
          MpMessage *message = g_ptr_array_index (job->messages, k);

          if (g_strcmp0 (mp_message_get_uid (message), outcome->uid) == 0)
            {
              mp_mailbox_state_set_snippet (self->state, mp_message_get_key (message), snippet);
              mp_message_set_snippet (message, snippet);
              changed = TRUE;
            }
        }
    }

  if (changed)
    mp_mailbox_save (self, NULL);

  for (guint k = 0; k < job->tasks->len; k++)
    {
      GTask *task = g_ptr_array_index (job->tasks, k);
      MpMessage *message = g_ptr_array_index (job->messages, k);
      const GError *failure = error;

      if (mp_message_get_snippet (message) != NULL)
        {
          g_task_return_pointer (task, g_strdup (mp_message_get_snippet (message)), g_free);
          continue;
        }

      for (guint i = 0; failure == NULL && outcomes != NULL && i < outcomes->len; i++)
        {
          MpTransferOutcome *outcome = g_ptr_array_index (outcomes, i);

          if (g_strcmp0 (mp_message_get_uid (message), outcome->uid) == 0)
            failure = outcome->error;
        }
      if (failure != NULL)
        g_task_return_error (task, g_error_copy (failure));
      else
        g_task_return_new_error (task, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_NOT_FOUND,
                                 _("No message with UID %s is on the server"),
                                 mp_message_get_uid (message));
    }
  g_ptr_array_set_size (job->tasks, 0);
  mp_mailbox_end_job (self, job);
}

static GStrv
job_uids (MpMailboxJob *job)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < job->messages->len; i++)
    {
      const char *uid = mp_message_get_uid (g_ptr_array_index (job->messages, i));

      if (uid != NULL)
        g_strv_builder_add (builder, uid);
    }
  return g_strv_builder_end (builder);
}

/* The session's callback finds its mailbox on the client, which keeps
 * it alive until the session ends.
 */
static void
hold_mailbox (MpMailboxJob *job,
              MpMailbox    *self)
{
  g_object_set_data_full (G_OBJECT (job->client), "mp-mailbox", g_object_ref (self), g_object_unref);
}

static MpMailbox *
dup_held_mailbox (GObject *client)
{
  return g_object_ref (g_object_get_data (client, "mp-mailbox"));
}

static void
top_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  MpMailboxJob *job = user_data;
  g_autoptr(MpMailbox) self = dup_held_mailbox (object);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;

  outcomes = mp_top_messages_finish (MP_POP3_CLIENT (object), result, &error);
  snippets_done (self, job, outcomes, error);
}

static void
snippet_with_client (MpMailbox    *self,
                     MpMailboxJob *job,
                     const GError *error)
{
  g_auto(GStrv) uids = NULL;

  if (error != NULL)
    {
      snippets_done (self, job, NULL, error);
      return;
    }

  uids = job_uids (job);
  hold_mailbox (job, self);
  mp_top_messages_async (job->client, mp_account_get_user (self->account), job->password,
                         mp_account_get_auth (self->account), (const char * const *) uids,
                         SNIPPET_LINES, job->cancellable, top_cb, job);
}

/**
 * mp_mailbox_fetch_snippet_async:
 * @message: a message of this mailbox
 *
 * The first lines of @message's text: from the cache (the message's
 * #MpMessage:snippet, or the state) without a session, else with `TOP n k`
 * in a session that names the message by its UID (UIDL in the same
 * session), then cached. The result is "" for a message without text.
 */
void
mp_mailbox_fetch_snippet_async (MpMailbox           *self,
                                MpMessage           *message,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  MpMailboxJob *job;
  const char *cached;

  g_return_if_fail (MP_IS_MAILBOX (self));
  g_return_if_fail (MP_IS_MESSAGE (message));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_mailbox_fetch_snippet_async);

  cached = mp_message_get_snippet (message);
  if (cached == NULL && self->state != NULL)
    {
      cached = mp_mailbox_state_get_snippet (self->state, mp_message_get_key (message));
      if (cached != NULL)
        mp_message_set_snippet (message, cached);
    }
  if (cached != NULL)
    {
      g_task_return_pointer (task, g_strdup (cached), g_free);
      return;
    }

  if (mp_message_get_uid (message) == NULL)
    {
      g_task_return_new_error (task, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_NO_UIDL,
                               _("This server has no UIDL, so the message cannot be "
                                 "named safely"));
      return;
    }

  /* Snippets asked for while others wait share their session. */
  job = mp_mailbox_queued_job (self, MP_MAILBOX_JOB_SNIPPET);
  if (job != NULL && cancellable == NULL && job->caller_cancellable == NULL)
    {
      g_ptr_array_add (job->tasks, g_object_ref (task));
      g_ptr_array_add (job->messages, g_object_ref (message));
      return;
    }

  job = mp_mailbox_job_new (MP_MAILBOX_JOB_SNIPPET, task);
  g_ptr_array_add (job->messages, g_object_ref (message));
  mp_mailbox_enqueue (self, job);
}

/**
 * mp_mailbox_fetch_snippet_finish:
 *
 * Returns: (transfer full): the snippet, "" for a message without text
 */
char *
mp_mailbox_fetch_snippet_finish (MpMailbox     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Download and delete */

static void
report_progress (MpMailboxJob *job,
                 GPtrArray    *outcomes)
{
  guint done = 0;
  guint64 bytes = 0, total_bytes = 0;

  if (job->progress == NULL)
    return;

  for (guint i = 0; i < job->messages->len; i++)
    total_bytes += mp_message_get_size (g_ptr_array_index (job->messages, i));

  for (guint i = 0; outcomes != NULL && i < outcomes->len; i++)
    {
      MpTransferOutcome *outcome = g_ptr_array_index (outcomes, i);

      done++;
      if (outcome->path != NULL)
        {
          for (guint k = 0; k < job->messages->len; k++)
            {
              MpMessage *message = g_ptr_array_index (job->messages, k);

              if (g_strcmp0 (mp_message_get_uid (message), outcome->uid) == 0)
                {
                  bytes += mp_message_get_size (message);
                  break;
                }
            }
        }
    }

  job->progress (done, job->messages->len, bytes, total_bytes, job->progress_data);
}

/* One message of a download is settled. */
static void
download_step_cb (const MpTransferOutcome *outcome,
                  gpointer                 user_data)
{
  MpMailboxJob *job = user_data;
  guint64 total_bytes = 0;

  if (job->progress == NULL)
    return;

  for (guint k = 0; k < job->messages->len; k++)
    {
      MpMessage *message = g_ptr_array_index (job->messages, k);

      total_bytes += mp_message_get_size (message);
      if (outcome->path != NULL && g_strcmp0 (mp_message_get_uid (message), outcome->uid) == 0)
        job->progress_bytes += mp_message_get_size (message);
    }
  job->progress_done++;
  job->progress (MIN (job->progress_done, job->messages->len), job->messages->len,
                 job->progress_bytes, total_bytes, job->progress_data);
}

/* Outcomes for the messages that cannot be named by UID, which no session
 * is asked about.
 */
static void
add_unnamed_outcomes (MpMailboxJob *job,
                      GPtrArray    *outcomes)
{
  for (guint i = 0; i < job->messages->len; i++)
    {
      MpMessage *message = g_ptr_array_index (job->messages, i);
      MpTransferOutcome *outcome;

      if (mp_message_get_uid (message) != NULL)
        continue;
      outcome = g_new0 (MpTransferOutcome, 1);
      outcome->uid = g_strdup (mp_message_get_key (message));
      outcome->error = g_error_new_literal (MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_NO_UIDL,
                                            _("This server has no UIDL, so the message "
                                              "cannot be named safely; nothing was changed"));
      g_ptr_array_add (outcomes, outcome);
    }
}

static void
transfer_done (MpMailbox    *self,
               MpMailboxJob *job,
               GPtrArray    *outcomes,
               const GError *error)
{
  g_autoptr(GHashTable) deleted = g_hash_table_new (g_str_hash, g_str_equal);
  GTask *task = job->tasks->len > 0 ? g_ptr_array_index (job->tasks, 0) : NULL;

  if (outcomes == NULL)
    {
      if (task != NULL)
        g_task_return_error (task, g_error_copy (error));
      g_ptr_array_set_size (job->tasks, 0);
      mp_mailbox_end_job (self, job);
      return;
    }

  /* Deleted only once QUIT said +OK: then the message is gone from the
   * list and from the state (so another process does not bring it back).
   */
  for (guint i = 0; i < outcomes->len; i++)
    {
      MpTransferOutcome *outcome = g_ptr_array_index (outcomes, i);

      if (!outcome->deleted)
        continue;
      for (guint k = 0; k < job->messages->len; k++)
        {
          MpMessage *message = g_ptr_array_index (job->messages, k);

          if (g_strcmp0 (mp_message_get_uid (message), outcome->uid) == 0)
            {
              mp_mailbox_state_forget_deleted (self->state, mp_message_get_key (message));
              g_hash_table_add (deleted, (gpointer) mp_message_get_key (message));
            }
        }
    }

  if (g_hash_table_size (deleted) > 0)
    {
      mp_mailbox_remove_keys (self, deleted);
      mp_mailbox_save (self, NULL);
    }

  add_unnamed_outcomes (job, outcomes);
  report_progress (job, outcomes);
  if (task != NULL)
    g_task_return_pointer (task, g_ptr_array_ref (outcomes), (GDestroyNotify) g_ptr_array_unref);
  g_ptr_array_set_size (job->tasks, 0);
  mp_mailbox_end_job (self, job);
}

static void
transfer_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  MpMailboxJob *job = user_data;
  g_autoptr(MpMailbox) self = dup_held_mailbox (object);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;

  if (job->kind == MP_MAILBOX_JOB_DELETE)
    outcomes = mp_delete_messages_finish (MP_POP3_CLIENT (object), result, &error);
  else
    outcomes = mp_download_messages_finish (MP_POP3_CLIENT (object), result, &error);
  transfer_done (self, job, outcomes, error);
}

static void
transfer_with_client (MpMailbox    *self,
                      MpMailboxJob *job,
                      const GError *error)
{
  g_auto(GStrv) uids = NULL;

  if (error != NULL)
    {
      transfer_done (self, job, NULL, error);
      return;
    }

  uids = job_uids (job);
  report_progress (job, NULL);
  hold_mailbox (job, self);
  if (job->kind == MP_MAILBOX_JOB_DELETE)
    mp_delete_messages_async (job->client, mp_account_get_user (self->account), job->password,
                              mp_account_get_auth (self->account), (const char * const *) uids,
                              job->cancellable, transfer_cb, job);
  else
    mp_download_messages_full_async (job->client, mp_account_get_user (self->account),
                                     job->password, mp_account_get_auth (self->account),
                                     (const char * const *) uids, job->directory, job->flags,
                                     download_step_cb, job, job->cancellable, transfer_cb, job);
}

static gboolean
any_uid (MpMailboxJob *job)
{
  for (guint i = 0; i < job->messages->len; i++)
    if (mp_message_get_uid (g_ptr_array_index (job->messages, i)) != NULL)
      return TRUE;
  return FALSE;
}

static void
start_transfer (MpMailbox           *self,
                MpMailboxJobKind     kind,
                gpointer             source_tag,
                GPtrArray           *messages,
                const char          *directory,
                MpDownloadFlags      flags,
                MpTransferProgress   progress,
                gpointer             progress_data,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  MpMailboxJob *job;

  g_return_if_fail (MP_IS_MAILBOX (self));
  g_return_if_fail (messages != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  job = mp_mailbox_job_new (kind, task);
  job->directory = g_strdup (directory);
  job->flags = flags;
  job->progress = progress;
  job->progress_data = progress_data;
  for (guint i = 0; i < messages->len; i++)
    {
      MpMessage *message = g_ptr_array_index (messages, i);

      g_return_if_fail (MP_IS_MESSAGE (message));
      g_ptr_array_add (job->messages, g_object_ref (message));
    }

  /* Nothing that can be named: no session at all. */
  if (!any_uid (job))
    {
      g_autoptr(GPtrArray) outcomes =
        g_ptr_array_new_with_free_func ((GDestroyNotify) mp_transfer_outcome_free);

      add_unnamed_outcomes (job, outcomes);
      g_task_return_pointer (task, g_steal_pointer (&outcomes), (GDestroyNotify) g_ptr_array_unref);
      mp_mailbox_job_free (job);
      return;
    }

  mp_mailbox_enqueue (self, job);
}

/* The outcomes of the transfer @source_tag started on @self. */
static GPtrArray *
propagate_outcomes (MpMailbox     *self,
                    GAsyncResult  *result,
                    gpointer       source_tag,
                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * mp_mailbox_download_async:
 * @messages: (element-type MpMessage): messages of this mailbox
 * @directory: the folder for .eml files, or the Maildir
 * @progress: (nullable) (scope notified): called as messages finish
 *
 * Downloads @messages (see mp_download_messages_async()) in this account's
 * queue, after whatever session runs. With %MP_DOWNLOAD_DELETE_AFTER the
 * messages deleted on the server leave the list.
 */
void
mp_mailbox_download_async (MpMailbox           *self,
                           GPtrArray           *messages,
                           const char          *directory,
                           MpDownloadFlags      flags,
                           MpTransferProgress   progress,
                           gpointer             progress_data,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (directory != NULL);

  start_transfer (self, MP_MAILBOX_JOB_DOWNLOAD, mp_mailbox_download_async, messages,
                  directory, flags, progress, progress_data, cancellable, callback, user_data);
}

/**
 * mp_mailbox_download_finish:
 *
 * Returns: (transfer full) (element-type MpTransferOutcome): one outcome
 *   per distinct message (its uid is the message's UID, or its key when
 *   it has none); %NULL with an error when no session could be set up
 */
GPtrArray *
mp_mailbox_download_finish (MpMailbox     *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return propagate_outcomes (self, result, mp_mailbox_download_async, error);
}

/**
 * mp_mailbox_delete_async:
 * @messages: (element-type MpMessage): messages of this mailbox
 * @progress: (nullable) (scope notified): called as messages finish
 *
 * Deletes @messages on the server by UID, in this account's queue (after
 * the running poll, never beside it). A message the server confirmed
 * deleted (QUIT +OK) leaves the list and the state.
 */
void
mp_mailbox_delete_async (MpMailbox           *self,
                         GPtrArray           *messages,
                         MpTransferProgress   progress,
                         gpointer             progress_data,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  start_transfer (self, MP_MAILBOX_JOB_DELETE, mp_mailbox_delete_async, messages,
                  NULL, 0, progress, progress_data, cancellable, callback, user_data);
}

/**
 * mp_mailbox_delete_finish:
 *
 * Returns: (transfer full) (element-type MpTransferOutcome): one outcome
 *   per distinct message; deleted is %TRUE only when the server confirmed
 *   it; %NULL with an error when no session could be set up
 */
GPtrArray *
mp_mailbox_delete_finish (MpMailbox     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  return propagate_outcomes (self, result, mp_mailbox_delete_async, error);
}


void
mp_mailbox_run_snippet (MpMailbox    *self,
                        MpMailboxJob *job)
{
  mp_mailbox_get_client (self, job, snippet_with_client);
}

void
mp_mailbox_run_transfer (MpMailbox    *self,
                         MpMailboxJob *job)
{
  mp_mailbox_get_client (self, job, transfer_with_client);
}
