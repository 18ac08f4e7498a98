/* mp-pop3-jobs.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Jobs: many commands of one kind (TOP, DELE) queued at once, pipelined
 * when the server allows, with one result per message.
 */

#define G_LOG_DOMAIN "mp-pop3-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "mp-pop3-client-private.h"

/* Jobs: many commands queued at once, pipelined when the server allows. */

void
mp_pop3_result_free (MpPop3Result *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->data, g_bytes_unref);
  g_clear_error (&result->error);
  g_free (result);
}

typedef struct
{
  GTask     *task;
  GPtrArray *results;
  guint      remaining;
  GError    *error;
  char      *verb;
  gulong     cancel_id;
  /* A TOP job: its items stop once TOP turns out to be refused. */
  gboolean   is_top;
} Job;

typedef struct
{
  Job          *job;
  MpPop3Result *result;
} JobItem;

static void
job_free (Job *job)
{
  g_clear_pointer (&job->results, g_ptr_array_unref);
  g_clear_error (&job->error);
  g_free (job->verb);
  g_free (job);
}

static GError *
item_refused_error (MpPop3Client *self,
                    JobItem      *item,
                    const char   *text)
{
  /* Translators: host, POP3 command (such as DELE), message number */
  g_autofree char *what = g_strdup_printf (_("%s refused %s %u"), self->host,
                                           item->job->verb, item->result->number);

  return _mp_pop3_client_error_from_reply (self, text, MP_POP3_ERROR_FAILED, what);
}

/* One item is over (its result or the job's error is set). */
static void
job_item_finish (JobItem *item)
{
  Job *job = item->job;

  g_free (item);

  if (--job->remaining == 0)
    {
      GTask *task = job->task;

      if (job->error != NULL)
        _mp_pop3_task_return_error (task, &job->cancel_id, job->error);
      else
        {
          _mp_pop3_task_unwatch_cancellable (task, &job->cancel_id);
          g_task_return_pointer (task, g_steal_pointer (&job->results),
                                 (GDestroyNotify) g_ptr_array_unref);
        }
      g_object_unref (task);
    }
}

static void
job_item_done (MpPop3Client *self,
               Reply        *reply,
               const GError *error,
               gpointer      user_data)
{
  JobItem *item = user_data;
  Job *job = item->job;

  if (error != NULL)
    {
      if (job->error == NULL)
        job->error = g_error_copy (error);
    }
  else if (reply == NULL)
    {
      /* Skipped unsent: TOP was refused meanwhile. */
      item->result->error = _mp_pop3_client_top_refused_error (self);
    }
  else if (reply->kind != REPLY_OK)
    {
      item->result->error = item_refused_error (self, item, reply->text);
      if (job->is_top)
        _mp_pop3_client_note_top_refused (self, item->result->number);
    }
  else
    item->result->data = g_steal_pointer (&reply->data);

  job_item_finish (item);
}

static gboolean
job_item_skip (MpPop3Client *self,
               gpointer      user_data)
{
  return mp_pop3_client_get_top_refused (self);
}

static void
run_job (MpPop3Client        *self,
         gpointer             source_tag,
         const char          *verb,
         const guint         *numbers,
         guint                n_numbers,
         guint                lines,
         gboolean             multiline,
         gsize                max_bytes,
         GCancellable        *cancellable,
         GAsyncReadyCallback  callback,
         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (MP_IS_POP3_CLIENT (self));
  g_return_if_fail (numbers != NULL || n_numbers == 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (!_mp_pop3_client_check_transaction (self, task, FALSE))
    return;

  job = g_new0 (Job, 1);
  job->task = task;
  job->results = g_ptr_array_new_full (n_numbers, (GDestroyNotify) mp_pop3_result_free);
  job->verb = g_strdup (verb);
  job->is_top = multiline;
  job->remaining = n_numbers;
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);

  /* TOP is known not to work: every item fails now, nothing is sent. */
  if (job->is_top && mp_pop3_client_get_top_refused (self))
    {
      for (guint i = 0; i < n_numbers; i++)
        {
          MpPop3Result *result = g_new0 (MpPop3Result, 1);

          result->number = numbers[i];
          result->error = _mp_pop3_client_top_refused_error (self);
          g_ptr_array_add (job->results, result);
        }
      n_numbers = 0;
    }

  if (n_numbers == 0)
    {
      g_task_return_pointer (task, g_steal_pointer (&job->results),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  _mp_pop3_client_watch_cancellable (self, task, &job->cancel_id);
  g_steal_pointer (&task);

  for (guint i = 0; i < n_numbers; i++)
    {
      JobItem *item = g_new0 (JobItem, 1);
      g_autofree char *line = NULL;

      item->job = job;
      item->result = g_new0 (MpPop3Result, 1);
      item->result->number = numbers[i];
      g_ptr_array_add (job->results, item->result);

      if (multiline)
        line = g_strdup_printf ("%s %u %u", verb, numbers[i], lines);
      else
        line = g_strdup_printf ("%s %u", verb, numbers[i]);

      _mp_pop3_client_queue_command_full (self, line, multiline ? CMD_MULTILINE : 0, max_bytes,
                                          job->is_top ? job_item_skip : NULL,
                                          job_item_done, item);
    }
}

/**
 * mp_pop3_client_top_many_async:
 * @numbers: (array length=n_numbers): message numbers
 * @lines: body lines wanted after each header
 * @max_bytes: the cap for each reply
 *
 * Sends TOP for every number, pipelined when the server allows it.
 *
 * An item the server answers with `-ERR` gets %MP_POP3_ERROR_FAILED with
 * the server's words, and for a message that exists it makes TOP known not
 * to work in the session (see mp_pop3_client_get_top_refused()): from then
 * on the items not yet sent fail at once with %MP_POP3_ERROR_NOT_SUPPORTED
 * and no more TOP goes out (with PIPELINING, the TOPs already on the wire
 * are still answered).
 */
void
mp_pop3_client_top_many_async (MpPop3Client        *self,
                               const guint         *numbers,
                               guint                n_numbers,
                               guint                lines,
                               gsize                max_bytes,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  run_job (self, mp_pop3_client_top_many_async, "TOP", numbers, n_numbers, lines,
           TRUE, max_bytes, cancellable, callback, user_data);
}

/**
 * mp_pop3_client_top_many_finish:
 *
 * Returns: (transfer full) (element-type MpPop3Result): one result per
 *   number, in order; %NULL if the session failed
 */
GPtrArray *
mp_pop3_client_top_many_finish (MpPop3Client  *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * mp_pop3_client_dele_many_async:
 *
 * Sends DELE for every number, pipelined when the server allows it. The
 * messages are deleted only once mp_pop3_client_quit_async() succeeds.
 */
void
mp_pop3_client_dele_many_async (MpPop3Client        *self,
                                const guint         *numbers,
                                guint                n_numbers,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  run_job (self, mp_pop3_client_dele_many_async, "DELE", numbers, n_numbers, 0,
           FALSE, 0, cancellable, callback, user_data);
}

/**
 * mp_pop3_client_dele_many_finish:
 *
 * Returns: (transfer full) (element-type MpPop3Result): one result per
 *   number; an entry with an error was not marked
 */
GPtrArray *
mp_pop3_client_dele_many_finish (MpPop3Client  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
