/* mp-mailbox-session.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-mailbox"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mp-check.h"
#include "mp-mailbox-private.h"
#include "mp-message-private.h"
#include "mp-poller-private.h"
#include "mp-secrets.h"
#include "mp-transfer.h"

/* The sessions of one account, one at a time, in the order asked for.
 *
 * Every job (poll, snippet, download, delete) waits in the mailbox's queue
 * and then for one of the poller's session slots, which all mailboxes
 * share. A session counts as over only when its client is gone, that is
 * when the server answered QUIT (or the connection died): a check
 * completes as soon as its snapshot is complete while its QUIT is still on
 * the way, and a delete that started then could meet `[IN-USE]`.
 *
 * Polls that are asked for while one waits in the queue join it; a poll
 * that is running does not take new waiters (what they want to see may
 * have arrived after its LIST).
 *
 * Snippets: the poll sends `TOP n 0`, not `TOP n 10`. Ten lines would make
 * most snippets free, but they multiply what the first poll of a large
 * maildrop transfers (the headers of a message are typically a few KiB,
 * ten body lines of a MIME message mostly reach only the preamble and the
 * headers of its first part, so the snippet would often still need a
 * second look), and the first poll's time is one of the figures the issue
 * holds us to. Instead, snippets are fetched on demand (`TOP n 50`, by
 * UID, all snippets asked for meanwhile in one session) and cached in the
 * state, so each message costs one look at most.
 */

#define AFTER_CHANGE       1
#define AFTER_NETWORK      3


/* May run in the thread that cancels the caller's cancellable. */
static void
forward_cancel_cb (GCancellable *caller,
                   GCancellable *job_cancellable)
{
  g_cancellable_cancel (job_cancellable);
}

MpMailboxJob *
mp_mailbox_job_new (MpMailboxJobKind  kind,
                    GTask            *task)
{
  MpMailboxJob *job = g_new0 (MpMailboxJob, 1);

  job->kind = kind;
  job->tasks = g_ptr_array_new_with_free_func (g_object_unref);
  job->messages = g_ptr_array_new_with_free_func (g_object_unref);
  job->cancellable = g_cancellable_new ();
  if (task != NULL)
    {
      GCancellable *caller = g_task_get_cancellable (task);

      g_ptr_array_add (job->tasks, g_object_ref (task));
      /* A poll is shared by whoever joins it: one caller's cancellable
       * ends only that caller's wait (GTask returns it cancelled), not the
       * poll.
       */
      if (caller != NULL && kind != MP_MAILBOX_JOB_POLL)
        {
          job->caller_cancellable = g_object_ref (caller);
          job->caller_cancel_id = g_cancellable_connect (caller,
                                                         G_CALLBACK (forward_cancel_cb),
                                                         g_object_ref (job->cancellable),
                                                         g_object_unref);
        }
    }
  return job;
}

void
mp_mailbox_job_free (MpMailboxJob *job)
{
  if (job == NULL)
    return;
  if (job->caller_cancellable != NULL)
    g_cancellable_disconnect (job->caller_cancellable, job->caller_cancel_id);
  g_clear_object (&job->caller_cancellable);
  g_clear_object (&job->cancellable);
  g_clear_pointer (&job->tasks, g_ptr_array_unref);
  g_clear_pointer (&job->messages, g_ptr_array_unref);
  g_free (job->directory);
  g_clear_object (&job->client);
  g_clear_pointer (&job->known, mp_check_known_unref);
  g_clear_error (&job->early_error);
  if (job->password != NULL)
    mp_secrets_free_password (g_steal_pointer (&job->password));
  g_free (job);
}

void
mp_mailbox_job_fail (MpMailboxJob *job,
          const GError *error)
{
  for (guint i = 0; i < job->tasks->len; i++)
    g_task_return_error (g_ptr_array_index (job->tasks, i), g_error_copy (error));
  g_ptr_array_set_size (job->tasks, 0);
}

void
mp_mailbox_job_cancelled (MpMailboxJob *job)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                 _("The operation was cancelled"));

  mp_mailbox_job_fail (job, error);
}

/* The queue */

static void run_job (MpMailbox    *self,
                     MpMailboxJob *job);
static void poll_finished (MpMailbox         *self,
                           MpMailboxJob      *job,
                           MpMailboxSnapshot *snapshot,
                           GError            *error);

/* The state is loaded (off the main thread) by the first session, which
 * holds its slot meanwhile.
 */
static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(MpMailbox) self = user_data;
  g_autoptr(MpMailboxState) state = NULL;
  g_autoptr(GError) error = NULL;
  MpMailboxJob *job = self->running;

  self->loading = FALSE;
  state = mp_mailbox_state_load_finish (result, &error);
  if (state == NULL || self->shut_down)
    {
      if (error == NULL)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                     _("The account was removed"));
      /* A poll under way ends through its session (see run_job()). */
      if (job->known != NULL && job->ended_early)
        poll_finished (self, job, NULL, g_steal_pointer (&job->early_error));
      else if (job->known != NULL)
        mp_check_known_fail (job->known, error);
      else
        {
          mp_mailbox_job_fail (job, error);
          mp_mailbox_end_job (self, job);
        }
      return;
    }

  self->state = g_steal_pointer (&state);
  /* Another process's marks, merged in by a save (once the state can). */
  if (g_signal_lookup ("changed", MP_TYPE_MAILBOX_STATE) != 0)
    self->state_changed_id = g_signal_connect_swapped (self->state, "changed",
                                                       G_CALLBACK (mp_mailbox_sync_flags),
                                                       self);
  if (job->known != NULL && job->ended_early)
    poll_finished (self, job, NULL, g_steal_pointer (&job->early_error));
  else if (job->known != NULL)
    {
      g_autoptr(GHashTable) known = mp_mailbox_state_dup_known_uids (self->state);

      mp_check_known_resolve (job->known, known);
    }
  else
    run_job (self, job);
}

/**
 * mp_mailbox_enqueue:
 * @job: (nullable) (transfer full): a job for the end of the queue, or
 *   %NULL to look whether the queue can move on
 */
void
mp_mailbox_enqueue (MpMailbox    *self,
                    MpMailboxJob *job)
{
  if (job != NULL)
    {
      if (self->shut_down)
        {
          mp_mailbox_job_cancelled (job);
          mp_mailbox_job_free (job);
          return;
        }
      g_queue_push_tail (&self->jobs, job);
    }
  mp_mailbox_update_busy (self);

  if (self->shut_down || self->running != NULL || self->in_session ||
      self->requested || g_queue_is_empty (&self->jobs))
    return;

  if (self->poller == NULL)
    return;
  self->requested = TRUE;
  mp_poller_request_session (self->poller, self);
}

/* The session slot is the poller's; called by it when one is free. */
void
mp_mailbox_run_session (MpMailbox *self)
{
  MpMailboxJob *job;

  self->requested = FALSE;
  job = g_queue_pop_head (&self->jobs);
  if (job == NULL || self->shut_down)
    {
      if (job != NULL)
        {
          mp_mailbox_job_cancelled (job);
          mp_mailbox_job_free (job);
        }
      if (self->poller != NULL)
        mp_poller_release_session (self->poller);
      mp_mailbox_update_busy (self);
      return;
    }

  self->running = job;
  self->in_session = TRUE;
  mp_mailbox_update_busy (self);
  run_job (self, job);
}

static void
session_over (MpMailbox *self)
{
  self->in_session = FALSE;
  if (self->poller != NULL)
    mp_poller_release_session (self->poller);
  mp_mailbox_update_busy (self);
  mp_mailbox_enqueue (self, NULL);
}

static void
client_gone_cb (gpointer  data,
                GObject  *where_the_object_was)
{
  g_autoptr(MpMailbox) self = data;

  session_over (self);
}

/* The job's tasks have been completed; the session ends with its client. */
void
mp_mailbox_end_job (MpMailbox    *self,
         MpMailboxJob *job)
{
  g_autoptr(MpPop3Client) client = g_steal_pointer (&job->client);

  g_assert (self->running == job);
  self->running = NULL;
  mp_mailbox_job_free (job);

  if (client != NULL)
    {
      /* A client is kept alive by its operations in flight (the QUIT of a
       * check); the weak reference fires once the last one is done.
       */
      g_object_weak_ref (G_OBJECT (client), client_gone_cb, g_object_ref (self));
      return;
    }
  session_over (self);
}

/* Shutdown */

void
mp_mailbox_shutdown (MpMailbox *self)
{
  MpMailboxJob *job;

  if (self->shut_down)
    return;
  self->shut_down = TRUE;

  if (self->timer_id != 0 && self->poller != NULL)
    mp_clock_remove (mp_poller_get_clock (self->poller), self->timer_id);
  self->timer_id = 0;
  mp_mailbox_set_next_check (self, NULL);

  if (self->requested && self->poller != NULL)
    mp_poller_withdraw_request (self->poller, self);
  self->requested = FALSE;

  g_cancellable_cancel (self->cancellable);
  while ((job = g_queue_pop_head (&self->jobs)) != NULL)
    {
      mp_mailbox_job_cancelled (job);
      mp_mailbox_job_free (job);
    }
  if (self->running != NULL)
    g_cancellable_cancel (self->running->cancellable);
  mp_mailbox_update_busy (self);
}

void
mp_mailbox_detach (MpMailbox *self)
{
  mp_mailbox_shutdown (self);
  g_clear_weak_pointer (&self->poller);
}

/* The schedule */

static gboolean
due_cb (gpointer data)
{
  MpMailbox *self = data;

  self->timer_id = 0;
  mp_mailbox_poll_soon (self, NULL);
  return G_SOURCE_REMOVE;
}

static void
clear_timer (MpMailbox *self)
{
  if (self->timer_id != 0 && self->poller != NULL)
    mp_clock_remove (mp_poller_get_clock (self->poller), self->timer_id);
  self->timer_id = 0;
  mp_mailbox_set_next_check (self, NULL);
}

void
mp_mailbox_schedule_poll (MpMailbox *self,
                          guint      seconds)
{
  MpClock *clock;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) when = NULL;

  if (self->shut_down || self->poller == NULL)
    return;

  clear_timer (self);
  self->next_delay = seconds;
  if (!mp_poller_get_scheduling (self->poller))
    return;

  clock = mp_poller_get_clock (self->poller);
  self->timer_id = mp_clock_add_timeout (clock, seconds, due_cb, self);
  now = mp_clock_dup_now (clock);
  when = g_date_time_add_seconds (now, seconds);
  mp_mailbox_set_next_check (self, when);
}

/**
 * mp_mailbox_start:
 *
 * The first poll, unless the account is disabled or the poller does not
 * schedule.
 */
void
mp_mailbox_start (MpMailbox *self)
{
  if (self->poller == NULL || !mp_poller_get_scheduling (self->poller))
    return;
  mp_mailbox_poll_soon (self, NULL);
}

/* Polls of the schedule stop (the poller stopped scheduling); polls
 * somebody waits for go on.
 */
static void
drop_scheduled_polls (MpMailbox *self)
{
  GList *l = self->jobs.head;

  while (l != NULL)
    {
      GList *next = l->next;
      MpMailboxJob *job = l->data;

      if (job->kind == MP_MAILBOX_JOB_POLL && job->tasks->len == 0)
        {
          g_queue_delete_link (&self->jobs, l);
          mp_mailbox_job_free (job);
        }
      l = next;
    }

  if (self->running != NULL && self->running->kind == MP_MAILBOX_JOB_POLL &&
      self->running->tasks->len == 0)
    g_cancellable_cancel (self->running->cancellable);
  mp_mailbox_update_busy (self);
}

/**
 * mp_mailbox_set_scheduled:
 *
 * Follows mp_poller_set_scheduling(): off, the timer and the polls of the
 * schedule stop; on, a poll soon.
 */
void
mp_mailbox_set_scheduled (MpMailbox *self,
                          gboolean   scheduled)
{
  if (self->shut_down)
    return;

  if (!scheduled)
    {
      clear_timer (self);
      self->waiting_for_network = FALSE;
      drop_scheduled_polls (self);
      return;
    }
  mp_mailbox_poll_soon (self, NULL);
}

MpMailboxJob *
mp_mailbox_queued_job (MpMailbox        *self,
            MpMailboxJobKind  kind)
{
  for (GList *l = self->jobs.head; l != NULL; l = l->next)
    {
      MpMailboxJob *job = l->data;

      if (job->kind == kind)
        return job;
    }
  return NULL;
}

/**
 * mp_mailbox_poll_soon:
 * @task: (nullable): a check_async() task, or %NULL for a poll of the
 *   schedule (which waits for the network and for the account to be
 *   enabled)
 */
void
mp_mailbox_poll_soon (MpMailbox *self,
                      GTask     *task)
{
  MpMailboxJob *job;

  if (self->shut_down)
    {
      if (task != NULL)
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                 _("The account was removed"));
      return;
    }

  if (task == NULL)
    {
      if (!mp_account_get_enabled (self->account))
        return;
      /* An explicit check tries anyway: the server may be on this host or
       * the monitor wrong; the schedule waits.
       */
      if (self->poller != NULL && !mp_poller_is_online (self->poller))
        {
          self->waiting_for_network = TRUE;
          clear_timer (self);
          mp_mailbox_set_status (self, MP_MAILBOX_STATUS_OFFLINE);
          return;
        }
    }

  clear_timer (self);
  job = mp_mailbox_queued_job (self, MP_MAILBOX_JOB_POLL);
  if (job != NULL)
    {
      if (task != NULL)
        g_ptr_array_add (job->tasks, g_object_ref (task));
      return;
    }

  mp_mailbox_enqueue (self, mp_mailbox_job_new (MP_MAILBOX_JOB_POLL, task));
}

void
mp_mailbox_network_changed (MpMailbox *self,
                            gboolean   available)
{
  if (!available || self->shut_down)
    return;

  /* Whatever was due while offline, and whatever failed for want of a
   * network, goes soon.
   */
  if (self->waiting_for_network ||
      (self->last != NULL && self->last->error != NULL &&
       mp_poller_classify_error (self->last->error) == MP_RETRY_BACKOFF))
    {
      self->waiting_for_network = FALSE;
      self->failures = 0;
      mp_mailbox_schedule_poll (self, AFTER_NETWORK);
    }
}

void
mp_mailbox_account_changed (MpMailbox  *self,
                            GParamSpec *pspec)
{
  const char *name = g_param_spec_get_name (pspec);

  if (self->shut_down || g_str_equal (name, "name") || g_str_equal (name, "notify") ||
      g_str_equal (name, "download-folder"))
    return;

  /* Any change of connection settings deserves a fresh try; so does a
   * change of interval.
   */
  self->failures = 0;
  if (!mp_account_get_enabled (self->account))
    {
      clear_timer (self);
      self->waiting_for_network = FALSE;
      /* Polls stop; what the user asked for explicitly goes on. */
      drop_scheduled_polls (self);
      return;
    }
  mp_mailbox_schedule_poll (self, AFTER_CHANGE);
}

/* Getting a client: the password, then a client for the account. Jobs go
 * on in @next with job->client set, or fail through @failed.
 */

typedef struct
{
  MpMailbox    *self;
  MpMailboxJob *job;
  MpMailboxJobStep       next;
} ClientRequest;

static void
password_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  ClientRequest *request = user_data;
  g_autoptr(MpMailbox) self = request->self;
  MpMailboxJob *job = request->job;
  MpMailboxJobStep next = request->next;
  g_autoptr(GError) error = NULL;
  guint timeout;

  g_free (request);
  job->password = mp_poller_lookup_password_finish (MP_POLLER (object), result, &error);
  if (job->password == NULL)
    {
      next (self, job, error);
      return;
    }

  timeout = mp_poller_get_session_timeout (MP_POLLER (object));
  if (timeout == 0)
    timeout = mp_account_get_timeout (self->account);
  job->client = mp_account_create_client (self->account, timeout, &error);
  if (job->client != NULL)
    mp_pop3_client_set_pipelining_allowed (job->client,
                                           mp_poller_get_pipelining_allowed (MP_POLLER (object)));
  next (self, job, error);
}

void
mp_mailbox_get_client (MpMailbox        *self,
            MpMailboxJob *job,
            MpMailboxJobStep       next)
{
  ClientRequest *request;
  g_autoptr(GError) error = NULL;

  if (g_cancellable_set_error_if_cancelled (job->cancellable, &error) || self->poller == NULL)
    {
      if (error == NULL)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The account was removed"));
      next (self, job, error);
      return;
    }

  request = g_new0 (ClientRequest, 1);
  request->self = g_object_ref (self);
  request->job = job;
  request->next = next;
  mp_poller_lookup_password_async (self->poller, self->account, job->cancellable,
                                   password_cb, request);
}

/* The poll */

static guint
parse_login_delay (MpPop3Client *client)
{
  const char * const *caps = client ? mp_pop3_client_get_capabilities (client) : NULL;

  for (guint i = 0; caps != NULL && caps[i] != NULL; i++)
    {
      if (g_ascii_strncasecmp (caps[i], "LOGIN-DELAY ", 12) == 0)
        {
          guint64 value = g_ascii_strtoull (caps[i] + 12, NULL, 10);

          return MIN (value, G_MAXUINT);
        }
    }
  return 0;
}

static MpMailboxStatus
status_for_error (MpMailbox    *self,
                  const GError *error)
{
  if (error == NULL)
    return MP_MAILBOX_STATUS_OK;
  if (error->domain == MP_SECRETS_ERROR ||
      g_error_matches (error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH))
    return MP_MAILBOX_STATUS_NEEDS_PASSWORD;
  if (g_error_matches (error, MP_POP3_ERROR, MP_POP3_ERROR_CERTIFICATE))
    return MP_MAILBOX_STATUS_UNTRUSTED_CERTIFICATE;
  if (g_error_matches (error, MP_POP3_ERROR, MP_POP3_ERROR_LOGIN_DELAY) ||
      g_error_matches (error, MP_POP3_ERROR, MP_POP3_ERROR_IN_USE))
    return MP_MAILBOX_STATUS_LOGIN_DELAY;
  if (self->poller != NULL && !mp_poller_is_online (self->poller))
    return MP_MAILBOX_STATUS_OFFLINE;
  return MP_MAILBOX_STATUS_ERROR;
}

static gboolean
same_messages (const MpMailboxSnapshot *a,
               const MpMailboxSnapshot *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->messages->len != b->messages->len)
    return FALSE;

  for (guint i = 0; i < a->messages->len; i++)
    {
      const MpMessageInfo *x = g_ptr_array_index (a->messages, i);
      const MpMessageInfo *y = g_ptr_array_index (b->messages, i);

      if (g_strcmp0 (x->key, y->key) != 0)
        return FALSE;
    }
  return TRUE;
}

/* For the poller's "account-changed": what a front end shows changed. */
static gboolean
result_changed (const MpPollResult *old,
                const MpPollResult *now)
{
  if (old == NULL)
    return TRUE;
  if ((old->error == NULL) != (now->error == NULL))
    return TRUE;
  if (old->error != NULL)
    return g_strcmp0 (old->error->message, now->error->message) != 0;
  return old->n_new != now->n_new || !same_messages (old->snapshot, now->snapshot);
}

typedef struct
{
  MpMailbox    *self;
  MpMailboxJob *job;
  MpPollResult *poll;
  GPtrArray    *tasks;
} PollDone;

static void
poll_complete (PollDone *done)
{
  g_autoptr(MpMailbox) self = done->self;
  g_autoptr(GPtrArray) tasks = done->tasks;
  g_autoptr(GDateTime) now = NULL;
  MpMailboxJob *job = done->job;
  MpPollResult *poll = done->poll;
  const GError *error;
  gboolean changed;
  guint delay;

  g_free (done);
  error = poll->error;

  if (self->shut_down)
    {
      /* Removed meanwhile: nothing to schedule or report. */
      for (guint i = 0; i < tasks->len; i++)
        {
          GTask *task = g_ptr_array_index (tasks, i);

          if (error != NULL)
            g_task_return_error (task, g_error_copy (error));
          else
            g_task_return_boolean (task, TRUE);
        }
      mp_poll_result_free (poll);
      mp_mailbox_end_job (self, job);
      return;
    }

  delay = mp_poller_next_delay (mp_poller_classify_error (error), self->failures,
                                mp_account_get_interval (self->account) * 60,
                                poll->login_delay);
  g_object_freeze_notify (G_OBJECT (self));
  if (delay > 0 && mp_account_get_enabled (self->account))
    mp_mailbox_schedule_poll (self, delay);
  else
    {
      clear_timer (self);
      self->next_delay = delay;
    }

  if (self->poller != NULL)
    now = mp_clock_dup_now (mp_poller_get_clock (self->poller));
  else
    now = g_date_time_new_now_utc ();
  mp_mailbox_set_last_checked (self, now);
  g_object_thaw_notify (G_OBJECT (self));

  changed = result_changed (self->last, poll);
  g_clear_pointer (&self->last, mp_poll_result_free);
  self->last = poll;

  if (self->poller != NULL)
    mp_poller_mailbox_polled (self->poller, self, poll, changed);

  for (guint i = 0; i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (poll->error != NULL)
        g_task_return_error (task, g_error_copy (poll->error));
      else
        g_task_return_boolean (task, TRUE);
    }

  mp_mailbox_end_job (self, job);
}

static void
poll_saved_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  PollDone *done = user_data;
  g_autoptr(GError) error = NULL;

  /* A save that failed was reported by mp_mailbox_save(); the poll itself
   * worked (the same messages may be announced again).
   */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    done->poll->save_error = g_steal_pointer (&error);
  poll_complete (done);
}

/* A poll's result reaches the mailbox in steps, each in a main-loop
 * iteration of its own: for a first poll of 10,000 messages, merging them
 * into the state takes about 10 ms, turning them into MpMessage objects in
 * the list as long again (as does every steady poll, whose list is
 * compared message by message), and the announcement and the start of the
 * save a few ms more; one after the other, they kept the window and the
 * tray waiting for 25 ms and more. The job keeps the account's queue
 * meanwhile, so no other session changes the state between two steps, and
 * check_async() callers still learn of the poll only once it is all done
 * and saved. Marks made between two steps (mark_announced() from a
 * notification, another process's save) are taken into account by the
 * steps after them: ::messages-arrived carries the messages that are
 * still not announced when it is emitted.
 */
typedef enum
{
  POLL_STEP_MERGE,
  POLL_STEP_APPLY,
  POLL_STEP_REPORT,
} PollStep;

typedef struct
{
  MpMailbox    *self;
  MpMailboxJob *job;
  MpPollResult *poll;
  PollStep      step;
} PollSteps;

/* The list, the counts and what the session found out. */
static void
poll_apply (MpMailbox    *self,
            MpMailboxJob *job,
            MpPollResult *poll)
{
  MpPop3Client *client = job->client;
  const GError *error = poll->error;

  if (poll->snapshot != NULL)
    mp_mailbox_apply_snapshot (self, poll->snapshot);
  if (client != NULL)
    mp_mailbox_set_session_info (self, client, poll->snapshot);

  g_object_freeze_notify (G_OBJECT (self));
  if (g_error_matches (error, MP_POP3_ERROR, MP_POP3_ERROR_CERTIFICATE) && client != NULL)
    mp_mailbox_set_error (self, error, mp_pop3_client_get_peer_certificate (client),
                          mp_pop3_client_get_peer_certificate_errors (client));
  else
    mp_mailbox_set_error (self, error, NULL, 0);
  mp_mailbox_set_status (self, status_for_error (self, error));
  g_object_thaw_notify (G_OBJECT (self));

  if (error != NULL)
    {
      self->failures++;
      g_debug ("%s: poll failed (%u in a row): %s",
               mp_account_get_id (self->account), self->failures, error->message);
    }
  else
    self->failures = 0;
}

/* ::messages-arrived, and the save the poll ends with. */
static void
poll_report (MpMailbox    *self,
             MpMailboxJob *job,
             MpPollResult *poll)
{
  PollDone *done;

  done = g_new0 (PollDone, 1);
  done->self = g_object_ref (self);
  done->poll = poll;
  done->tasks = g_steal_pointer (&job->tasks);
  job->tasks = g_ptr_array_new_with_free_func (g_object_unref);
  /* The job, and with it the account's queue and the session slot, lasts
   * until the state is saved.
   */
  done->job = job;

  /* Notifications need not wait for the disk. */
  if (poll->snapshot != NULL)
    mp_mailbox_emit_arrived (self);

  /* The poll is over once the state is saved: a check that returned has
   * its result on disk, and the next poll is scheduled from then.
   */
  if (poll->snapshot != NULL)
    {
      g_autoptr(GTask) task = g_task_new (self, NULL, poll_saved_cb, done);

      mp_mailbox_save (self, task);
    }
  else
    poll_complete (done);
}

static gboolean
poll_step_cb (gpointer user_data)
{
  PollSteps *steps = user_data;
  g_autoptr(MpMailbox) self = NULL;

  if (steps->self->shut_down)
    {
      /* Removed between two steps: nothing to report. */
      mp_mailbox_set_status (steps->self, steps->job->status_before);
      mp_mailbox_job_cancelled (steps->job);
      mp_poll_result_free (steps->poll);
      mp_mailbox_end_job (steps->self, steps->job);
    }
  else
    {
      switch (steps->step)
        {
        case POLL_STEP_MERGE:
          steps->poll->n_new = mp_mailbox_state_merge (steps->self->state, steps->poll->snapshot);
          steps->step = POLL_STEP_APPLY;
          return G_SOURCE_CONTINUE;
        case POLL_STEP_APPLY:
          poll_apply (steps->self, steps->job, steps->poll);
          steps->step = POLL_STEP_REPORT;
          return G_SOURCE_CONTINUE;
        case POLL_STEP_REPORT:
          poll_report (steps->self, steps->job, steps->poll);
          break;
        default:
          g_assert_not_reached ();
        }
    }

  self = steps->self;
  g_free (steps);
  return G_SOURCE_REMOVE;
}

static void
poll_finished (MpMailbox         *self,
               MpMailboxJob      *job,
               MpMailboxSnapshot *snapshot,
               GError            *error)
{
  MpPollResult *poll = g_new0 (MpPollResult, 1);
  MpPop3Client *client = job->client;
  g_autoptr(GSource) source = NULL;
  g_autoptr(GMainContext) context = NULL;
  PollSteps *steps;

  poll->snapshot = snapshot;
  poll->error = error;
  if (client != NULL)
    {
      poll->login_delay = parse_login_delay (client);
      poll->top_sent = mp_pop3_client_get_command_count (client, "TOP");
    }

  if (self->shut_down || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Removed, disabled or cancelled by the caller: nothing to report. */
      mp_mailbox_set_status (self, job->status_before);
      if (error != NULL)
        mp_mailbox_job_fail (job, error);
      else
        mp_mailbox_job_cancelled (job);
      mp_poll_result_free (poll);
      mp_mailbox_end_job (self, job);
      return;
    }

  if (snapshot == NULL)
    {
      /* A failed poll changes no list: nothing to spread out. */
      poll_apply (self, job, poll);
      poll_report (self, job, poll);
      return;
    }

  /* The first step, too, waits for an iteration of its own: the one that
   * ends the session has just put together the listing of every message.
   */
  steps = g_new0 (PollSteps, 1);
  steps->self = g_object_ref (self);
  steps->job = job;
  steps->poll = poll;
  steps->step = POLL_STEP_MERGE;
  /* Where the session's callbacks run (GTask's thread-default context). */
  context = g_main_context_ref_thread_default ();
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_static_name (source, "[mailpeek] poll steps");
  g_source_set_callback (source, poll_step_cb, steps, NULL);
  g_source_attach (source, context);
}

/* A poll that ends while the state still loads (it failed before it
 * needed the state) is finished by load_cb(): the job, and the session
 * slot with it, lasts until the load is over.
 */
static void
poll_done (MpMailbox         *self,
           MpMailboxJob      *job,
           MpMailboxSnapshot *snapshot,
           GError            *error)
{
  if (self->loading)
    {
      g_assert (snapshot == NULL);
      job->ended_early = TRUE;
      job->early_error = error;
      return;
    }
  poll_finished (self, job, snapshot, error);
}

static void
poll_check_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  MpMailboxJob *job = user_data;
  MpMailbox *self = g_object_get_data (G_OBJECT (object), "mp-mailbox");
  GError *error = NULL;
  MpMailboxSnapshot *snapshot;

  snapshot = mp_check_mailbox_finish (MP_POP3_CLIENT (object), result, &error);
  poll_done (self, job, snapshot, error);
}

static void
poll_with_client (MpMailbox    *self,
                  MpMailboxJob *job,
                  const GError *error)
{
  g_autoptr(GHashTable) known = NULL;

  if (error != NULL)
    {
      poll_done (self, job, NULL, g_error_copy (error));
      return;
    }

  /* The callback finds the mailbox through the client, which the job
   * keeps alive, and which keeps the mailbox alive in turn.
   */
  g_object_set_data_full (G_OBJECT (job->client), "mp-mailbox",
                          g_object_ref (self), g_object_unref);
  if (job->known != NULL)
    {
      mp_check_mailbox_later_async (job->client,
                                    mp_account_get_user (self->account),
                                    job->password,
                                    mp_account_get_auth (self->account),
                                    job->known,
                                    job->cancellable,
                                    poll_check_cb,
                                    job);
      return;
    }
  known = mp_mailbox_state_dup_known_uids (self->state);
  mp_check_mailbox_async (job->client,
                          mp_account_get_user (self->account),
                          job->password,
                          mp_account_get_auth (self->account),
                          known,
                          job->cancellable,
                          poll_check_cb,
                          job);
}

/* Check */

/**
 * mp_mailbox_check_now:
 *
 * Polls as soon as the queue and a session slot allow (also an account
 * that stopped because it needs the user); nothing for a disabled
 * account.
 */
void
mp_mailbox_check_now (MpMailbox *self)
{
  g_return_if_fail (MP_IS_MAILBOX (self));

  if (!mp_account_get_enabled (self->account))
    return;
  self->waiting_for_network = FALSE;
  clear_timer (self);
  if (mp_mailbox_queued_job (self, MP_MAILBOX_JOB_POLL) == NULL)
    mp_mailbox_enqueue (self, mp_mailbox_job_new (MP_MAILBOX_JOB_POLL, NULL));
}

/**
 * mp_mailbox_check_async:
 *
 * One poll (joining one that waits in the queue), also of a disabled
 * account and while the network monitor says offline. Completes once the
 * list, the counts and the state are up to date (and ::messages-arrived
 * was emitted), with the poll's error, which #MpMailbox:error also holds.
 */
void
mp_mailbox_check_async (MpMailbox           *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MP_IS_MAILBOX (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_mailbox_check_async);
  mp_mailbox_poll_soon (self, task);
}

gboolean
mp_mailbox_check_finish (MpMailbox     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Running a job */

static void
run_job (MpMailbox    *self,
         MpMailboxJob *job)
{
  gboolean poll_now;

  /* A poll need not wait for the state to connect, log in and list: only
   * its choice of the headers to fetch needs it (MpCheckKnown), so it
   * starts while the state loads.
   */
  poll_now = job->kind == MP_MAILBOX_JOB_POLL &&
             (job->tasks->len > 0 || mp_account_get_enabled (self->account));
  if (self->state == NULL)
    {
      self->loading = TRUE;
      mp_mailbox_state_load_async (self->state_key, self->cancellable,
                                        load_cb, g_object_ref (self));
      if (!poll_now)
        return;
      job->known = mp_check_known_new ();
    }

  switch (job->kind)
    {
    case MP_MAILBOX_JOB_POLL:
      job->status_before = self->status;
      if (!poll_now)
        {
          mp_mailbox_end_job (self, job);
          return;
        }
      mp_mailbox_set_status (self, MP_MAILBOX_STATUS_CHECKING);
      mp_mailbox_get_client (self, job, poll_with_client);
      break;
    case MP_MAILBOX_JOB_SNIPPET:
      mp_mailbox_run_snippet (self, job);
      break;
    case MP_MAILBOX_JOB_DOWNLOAD:
    case MP_MAILBOX_JOB_DELETE:
      mp_mailbox_run_transfer (self, job);
      break;
    default:
      g_assert_not_reached ();
    }
}
