/* mp-poller.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-poller"

#include "config.h"

#include <string.h>

#include "mp-poller.h"
#include "mp-secrets.h"

#define DEFAULT_MAX_SESSIONS   3
#define BACKOFF_BASE           30
#define BACKOFF_CAP            (30 * 60)
#define IN_USE_BASE            60
#define LOGIN_DELAY_BASE       (5 * 60)
#define LOGIN_DELAY_CAP        (60 * 60)
#define AFTER_NETWORK_RETURNS  3

/* One poll */

void
mp_poll_result_free (MpPollResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->snapshot, mp_mailbox_snapshot_free);
  g_clear_error (&result->error);
  g_clear_error (&result->save_error);
  g_free (result);
}

typedef struct
{
  MpMailboxState *state;
  MpPop3Client   *client;
} PollData;

static void
poll_data_free (PollData *data)
{
  g_clear_object (&data->state);
  g_clear_object (&data->client);
  g_free (data);
}

static guint
parse_login_delay (MpPop3Client *client)
{
  const char * const *caps = mp_pop3_client_get_capabilities (client);

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

static void
poll_check_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PollData *data = g_task_get_task_data (task);
  MpPollResult *poll = g_new0 (MpPollResult, 1);

  poll->snapshot = mp_check_mailbox_finish (MP_POP3_CLIENT (object), result, &poll->error);
  poll->login_delay = parse_login_delay (MP_POP3_CLIENT (object));
  poll->top_sent = mp_pop3_client_get_command_count (MP_POP3_CLIENT (object), "TOP");

  if (poll->snapshot != NULL)
    {
      poll->n_new = mp_mailbox_state_merge (data->state, poll->snapshot);
      mp_mailbox_state_save (data->state, &poll->save_error);
    }

  g_task_return_pointer (task, poll, (GDestroyNotify) mp_poll_result_free);
}

/**
 * mp_poll_account_async:
 * @state: the account's seen-state; updated and saved by the poll
 * @password: the password (the caller looked it up)
 * @timeout: seconds for each network step
 *
 * One poll: a read-only session that sends TOP only for messages the state
 * has no headers for, then merges what the server holds into @state and
 * saves it. Never fails as a whole: the result carries the error.
 */
void
mp_poll_account_async (MpAccount           *account,
                       MpMailboxState      *state,
                       const char          *password,
                       guint                timeout,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) known = NULL;
  g_autoptr(GError) error = NULL;
  PollData *data;

  g_return_if_fail (MP_IS_ACCOUNT (account));
  g_return_if_fail (MP_IS_MAILBOX_STATE (state));
  g_return_if_fail (password != NULL);

  task = g_task_new (account, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_poll_account_async);
  /* The result carries a cancellation like any other error; GTask would
   * otherwise drop it and hand the caller NULL instead.
   */
  g_task_set_check_cancellable (task, FALSE);

  data = g_new0 (PollData, 1);
  data->state = g_object_ref (state);
  g_task_set_task_data (task, data, (GDestroyNotify) poll_data_free);

  data->client = mp_account_create_client (account, timeout, &error);
  if (data->client == NULL)
    {
      MpPollResult *poll = g_new0 (MpPollResult, 1);

      poll->error = g_steal_pointer (&error);
      g_task_return_pointer (task, poll, (GDestroyNotify) mp_poll_result_free);
      return;
    }

  known = mp_mailbox_state_dup_known_uids (state);
  mp_check_mailbox_async (data->client,
                          mp_account_get_user (account),
                          password,
                          mp_account_get_auth (account),
                          known,
                          cancellable,
                          poll_check_cb,
                          g_steal_pointer (&task));
}

/**
 * mp_poll_account_finish:
 *
 * Returns: (transfer full): the result
 */
MpPollResult *
mp_poll_account_finish (GAsyncResult *result)
{
  MpPollResult *poll;
  GError *error = NULL;

  g_return_val_if_fail (G_IS_TASK (result), NULL);

  poll = g_task_propagate_pointer (G_TASK (result), &error);
  if (poll == NULL)
    {
      poll = g_new0 (MpPollResult, 1);
      poll->error = error;
    }
  return poll;
}

/* Retry policy */

/**
 * mp_poller_classify_error:
 *
 * Returns: how to go on after @error: a wrong password, an untrusted
 *   certificate or a server without STLS will not mend themselves, and
 *   retrying a wrong password can get an account locked
 */
MpRetryKind
mp_poller_classify_error (const GError *error)
{
  if (error == NULL)
    return MP_RETRY_NORMAL;

  /* No password, or an account that cannot make a client (no host, a CA
   * file or pin that does not load): only the user can mend these, and any
   * change to the account schedules a poll anyway.
   */
  if (error->domain == MP_SECRETS_ERROR || error->domain == MP_ACCOUNT_ERROR)
    return MP_RETRY_NEVER;

  if (error->domain == MP_POP3_ERROR)
    {
      switch ((MpPop3Error) error->code)
        {
        case MP_POP3_ERROR_AUTH:
        case MP_POP3_ERROR_AUTH_UNSUPPORTED:
        case MP_POP3_ERROR_CERTIFICATE:
        case MP_POP3_ERROR_TLS_UNAVAILABLE:
        case MP_POP3_ERROR_INVALID_ARGUMENT:
        case MP_POP3_ERROR_SYS_PERM:
          return MP_RETRY_NEVER;
        case MP_POP3_ERROR_LOGIN_DELAY:
          return MP_RETRY_LOGIN_DELAY;
        case MP_POP3_ERROR_IN_USE:
          return MP_RETRY_IN_USE;
        case MP_POP3_ERROR_FAILED:
        case MP_POP3_ERROR_PROTOCOL:
        case MP_POP3_ERROR_LINE_TOO_LONG:
        case MP_POP3_ERROR_REPLY_TOO_LARGE:
        case MP_POP3_ERROR_CLOSED:
        case MP_POP3_ERROR_TIMED_OUT:
        case MP_POP3_ERROR_TLS_FAILED:
        case MP_POP3_ERROR_SYS_TEMP:
        case MP_POP3_ERROR_NOT_SUPPORTED:
        case MP_POP3_ERROR_NOT_CONNECTED:
        default:
          return MP_RETRY_BACKOFF;
        }
    }

  return MP_RETRY_BACKOFF;
}

static guint
doubling (guint base,
          guint failures,
          guint cap)
{
  guint64 delay = base;

  for (guint i = 1; i < failures && delay < cap; i++)
    delay *= 2;
  return MIN (delay, cap);
}

/**
 * mp_poller_next_delay:
 * @failures: failures in a row, this one included
 * @interval_seconds: the account's poll interval
 * @login_delay_seconds: the server's LOGIN-DELAY capability, or 0
 *
 * Returns: seconds until the next poll; 0 for never (%MP_RETRY_NEVER)
 */
guint
mp_poller_next_delay (MpRetryKind kind,
                      guint       failures,
                      guint       interval_seconds,
                      guint       login_delay_seconds)
{
  guint interval = MAX (interval_seconds, 1);

  switch (kind)
    {
    case MP_RETRY_NORMAL:
      /* RFC 2449 §6.8: LOGIN-DELAY is the minimum between any two logins,
       * so a short interval would only earn [LOGIN-DELAY] refusals.
       */
      return MAX (interval, login_delay_seconds);

    case MP_RETRY_BACKOFF:
      /* Soon after a blip, then less and less often, but never less often
       * than the user asked for once things are that bad anyway.
       */
      return doubling (BACKOFF_BASE, MAX (failures, 1), MAX (interval, BACKOFF_CAP));

    case MP_RETRY_IN_USE:
      /* Another client is busy with the maildrop: it will be done soon. */
      return doubling (IN_USE_BASE, MAX (failures, 1), MAX (interval, BACKOFF_CAP));

    case MP_RETRY_LOGIN_DELAY:
      /* RFC 2449 §6.8: the server told us the minimum; without it, back
       * off in big steps.
       */
      if (login_delay_seconds > 0)
        return MAX (login_delay_seconds, interval);
      return MAX (interval, doubling (LOGIN_DELAY_BASE, MAX (failures, 1), LOGIN_DELAY_CAP));

    case MP_RETRY_NEVER:
    default:
      return 0;
    }
}

/* The poller */

typedef struct
{
  gatomicrefcount  ref_count;
  MpPoller        *poller;
  MpAccount       *account;
  MpMailboxState  *state;
  MpPollResult    *last;
  GCancellable    *cancellable;
  guint            timeout_id;
  guint            failures;
  guint            next_delay;
  gulong           notify_id;
  gboolean         running;
  gboolean         queued;
  gboolean         removed;
  gboolean         waiting_for_network;
} Entry;

struct _MpPoller
{
  GObject          parent_instance;

  GHashTable      *entries;
  GQueue           queue;
  guint            active;
  guint            max_sessions;
  double           time_scale;
  GNetworkMonitor *monitor;
  gulong           monitor_id;
  gboolean         online;
  char          *(*password_func) (MpAccount *account,
                                   gpointer   user_data);
  gpointer         password_data;
};

G_DEFINE_FINAL_TYPE (MpPoller, mp_poller, G_TYPE_OBJECT)

enum {
  ACCOUNT_POLLED,
  ACCOUNT_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void run_queue (MpPoller *self);

static Entry *
entry_ref (Entry *entry)
{
  g_atomic_ref_count_inc (&entry->ref_count);
  return entry;
}

static void
entry_unref (Entry *entry)
{
  if (!g_atomic_ref_count_dec (&entry->ref_count))
    return;

  g_clear_handle_id (&entry->timeout_id, g_source_remove);
  g_clear_signal_handler (&entry->notify_id, entry->account);
  g_clear_object (&entry->account);
  g_clear_object (&entry->state);
  g_clear_object (&entry->cancellable);
  g_clear_pointer (&entry->last, mp_poll_result_free);
  g_free (entry);
}

static void
enqueue (Entry *entry)
{
  MpPoller *self = entry->poller;

  if (entry->removed || entry->running || entry->queued ||
      !mp_account_get_enabled (entry->account))
    return;

  if (!self->online)
    {
      entry->waiting_for_network = TRUE;
      return;
    }

  entry->queued = TRUE;
  g_queue_push_tail (&self->queue, entry_ref (entry));
  run_queue (self);
}

static gboolean
due_cb (gpointer user_data)
{
  Entry *entry = user_data;

  entry->timeout_id = 0;
  enqueue (entry);
  return G_SOURCE_REMOVE;
}

static void
schedule (Entry *entry,
          guint  seconds)
{
  MpPoller *self = entry->poller;
  double ms = seconds * 1000.0 / self->time_scale;

  g_clear_handle_id (&entry->timeout_id, g_source_remove);
  entry->next_delay = seconds;
  entry->timeout_id = g_timeout_add (MIN (ms, (double) G_MAXUINT), due_cb, entry);
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

static void
poll_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Entry *entry = user_data;
  MpPoller *self = entry->poller;
  MpPollResult *poll = mp_poll_account_finish (result);
  MpRetryKind kind = mp_poller_classify_error (poll->error);
  gboolean changed;
  guint delay;

  entry->running = FALSE;
  self->active--;

  if (entry->removed || g_error_matches (poll->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      mp_poll_result_free (poll);
      entry_unref (entry);
      run_queue (self);
      g_object_unref (self);
      return;
    }

  if (poll->error != NULL)
    {
      entry->failures++;
      g_debug ("%s: poll failed (%u in a row): %s",
               mp_account_get_id (entry->account), entry->failures, poll->error->message);
    }
  else
    entry->failures = 0;

  if (poll->save_error != NULL)
    g_warning ("Could not save what was seen on %s: %s",
               mp_account_get_id (entry->account), poll->save_error->message);

  changed = result_changed (entry->last, poll);
  g_clear_pointer (&entry->last, mp_poll_result_free);
  entry->last = poll;

  delay = mp_poller_next_delay (kind, entry->failures,
                                mp_account_get_interval (entry->account) * 60,
                                poll->login_delay);
  if (delay > 0)
    schedule (entry, delay);
  else
    entry->next_delay = 0;

  g_signal_emit (self, signals[ACCOUNT_POLLED], 0, entry->account, poll);
  if (changed)
    g_signal_emit (self, signals[ACCOUNT_CHANGED], 0, entry->account);

  entry_unref (entry);
  run_queue (self);
  g_object_unref (self);
}

static void
start_poll (Entry      *entry,
            const char *password)
{
  mp_poll_account_async (entry->account, entry->state, password,
                         mp_account_get_timeout (entry->account), entry->cancellable,
                         poll_done_cb, entry);
}

static void
password_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Entry *entry = user_data;
  g_autoptr(GError) error = NULL;
  char *password;

  password = mp_secrets_lookup_password_finish (result, &error);
  if (password == NULL)
    {
      /* Report through the same path as a failed session. */
      g_autoptr(GTask) task = g_task_new (entry->account, NULL, poll_done_cb, entry);
      MpPollResult *poll = g_new0 (MpPollResult, 1);

      poll->error = g_steal_pointer (&error);
      g_task_return_pointer (task, poll, (GDestroyNotify) mp_poll_result_free);
      return;
    }

  start_poll (entry, password);
  mp_secrets_free_password (password);
}

static void
run_queue (MpPoller *self)
{
  while (self->active < self->max_sessions && !g_queue_is_empty (&self->queue))
    {
      Entry *entry = g_queue_pop_head (&self->queue);

      entry->queued = FALSE;
      /* Removed or disabled while it waited for a free session. */
      if (entry->removed || !mp_account_get_enabled (entry->account))
        {
          entry_unref (entry);
          continue;
        }

      entry->running = TRUE;
      self->active++;
      g_object_ref (self);
      g_clear_object (&entry->cancellable);
      entry->cancellable = g_cancellable_new ();

      /* The queue's reference now belongs to the poll in flight. */
      if (self->password_func != NULL)
        {
          char *password = self->password_func (entry->account, self->password_data);

          if (password == NULL)
            password = g_strdup ("");
          start_poll (entry, password);
          mp_secrets_free_password (password);
        }
      else
        mp_secrets_lookup_password_async (entry->account, entry->cancellable,
                                          password_cb, entry);
    }
}

static void
network_changed_cb (GNetworkMonitor *monitor,
                    gboolean         available,
                    MpPoller        *self)
{
  GHashTableIter iter;
  Entry *entry;

  if (available == self->online)
    return;

  self->online = available;
  g_debug ("Network %s", available ? "back" : "gone");
  if (!available)
    return;

  /* Whatever was due while offline, and everything that failed for want
   * of a network, goes soon.
   */
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      if (entry->waiting_for_network ||
          (entry->last != NULL && entry->last->error != NULL &&
           mp_poller_classify_error (entry->last->error) == MP_RETRY_BACKOFF))
        {
          entry->waiting_for_network = FALSE;
          entry->failures = 0;
          schedule (entry, AFTER_NETWORK_RETURNS);
        }
    }
}

static void
account_notify_cb (MpAccount  *account,
                   GParamSpec *pspec,
                   Entry      *entry)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "name") || g_str_equal (name, "notify") ||
      g_str_equal (name, "download-folder"))
    return;

  /* Any change of connection settings, password prompt included, deserves
   * a fresh try; so does a change of interval.
   */
  entry->failures = 0;
  if (!mp_account_get_enabled (account))
    {
      g_clear_handle_id (&entry->timeout_id, g_source_remove);
      if (entry->cancellable != NULL)
        g_cancellable_cancel (entry->cancellable);
      return;
    }
  schedule (entry, 1);
}

static void
mp_poller_dispose (GObject *object)
{
  MpPoller *self = (MpPoller *)object;
  Entry *entry;

  while ((entry = g_queue_pop_head (&self->queue)))
    entry_unref (entry);
  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_signal_handler (&self->monitor_id, self->monitor);
  g_clear_object (&self->monitor);

  G_OBJECT_CLASS (mp_poller_parent_class)->dispose (object);
}

static void
mp_poller_class_init (MpPollerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mp_poller_dispose;

  signals[ACCOUNT_POLLED] =
    g_signal_new ("account-polled",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, MP_TYPE_ACCOUNT, G_TYPE_POINTER);
  signals[ACCOUNT_CHANGED] =
    g_signal_new ("account-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, MP_TYPE_ACCOUNT);
}

static void
remove_entry (gpointer data)
{
  Entry *entry = data;

  entry->removed = TRUE;
  g_clear_handle_id (&entry->timeout_id, g_source_remove);
  if (entry->cancellable != NULL)
    g_cancellable_cancel (entry->cancellable);
  entry_unref (entry);
}

static void
mp_poller_init (MpPoller *self)
{
  self->entries = g_hash_table_new_full (NULL, NULL, NULL, remove_entry);
  self->max_sessions = DEFAULT_MAX_SESSIONS;
  self->time_scale = 1.0;
  self->online = TRUE;
  g_queue_init (&self->queue);
}

/**
 * mp_poller_new:
 *
 * Returns: (transfer full): a poller that follows the default
 *   #GNetworkMonitor
 */
MpPoller *
mp_poller_new (void)
{
  MpPoller *self = g_object_new (MP_TYPE_POLLER, NULL);

  mp_poller_set_network_monitor (self, g_network_monitor_get_default ());
  return self;
}

void
mp_poller_set_network_monitor (MpPoller        *self,
                               GNetworkMonitor *monitor)
{
  g_return_if_fail (MP_IS_POLLER (self));

  g_clear_signal_handler (&self->monitor_id, self->monitor);
  g_set_object (&self->monitor, monitor);
  if (monitor != NULL)
    {
      self->online = g_network_monitor_get_network_available (monitor);
      self->monitor_id = g_signal_connect (monitor, "network-changed",
                                           G_CALLBACK (network_changed_cb), self);
    }
  else
    self->online = TRUE;
}

/**
 * mp_poller_add_account:
 *
 * Polls @account soon, then on its schedule, while it is enabled.
 */
void
mp_poller_add_account (MpPoller  *self,
                       MpAccount *account)
{
  g_autofree char *key = NULL;
  Entry *entry;

  g_return_if_fail (MP_IS_POLLER (self));
  g_return_if_fail (MP_IS_ACCOUNT (account));

  if (g_hash_table_contains (self->entries, account))
    return;

  key = mp_account_dup_state_key (account);
  entry = g_new0 (Entry, 1);
  g_atomic_ref_count_init (&entry->ref_count);
  entry->poller = self;
  entry->account = g_object_ref (account);
  entry->state = mp_mailbox_state_load (key);
  entry->notify_id = g_signal_connect (account, "notify",
                                       G_CALLBACK (account_notify_cb), entry);
  g_hash_table_insert (self->entries, account, entry);

  if (mp_account_get_enabled (account))
    enqueue (entry);
}

void
mp_poller_remove_account (MpPoller  *self,
                          MpAccount *account)
{
  g_return_if_fail (MP_IS_POLLER (self));

  g_hash_table_remove (self->entries, account);
}

/**
 * mp_poller_check_now:
 * @account: (nullable): one account, or %NULL for all enabled ones
 *
 * Polls at once (as soon as a session is free), also an account that
 * stopped because it needs the user.
 */
void
mp_poller_check_now (MpPoller  *self,
                     MpAccount *account)
{
  GHashTableIter iter;
  Entry *entry;

  g_return_if_fail (MP_IS_POLLER (self));

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      if (account != NULL && entry->account != account)
        continue;
      if (!mp_account_get_enabled (entry->account))
        continue;
      g_clear_handle_id (&entry->timeout_id, g_source_remove);
      enqueue (entry);
    }
}

void
mp_poller_set_max_sessions (MpPoller *self,
                            guint     max_sessions)
{
  g_return_if_fail (MP_IS_POLLER (self));

  self->max_sessions = MAX (max_sessions, 1);
  run_queue (self);
}

/**
 * mp_poller_set_time_scale:
 * @scale: how much faster than real time the schedule runs (tests use
 *   1000: a minute passes in 60 ms)
 */
void
mp_poller_set_time_scale (MpPoller *self,
                          double    scale)
{
  g_return_if_fail (MP_IS_POLLER (self));
  g_return_if_fail (scale > 0);

  self->time_scale = scale;
}

/**
 * mp_poller_set_password_func:
 *
 * Replaces the libsecret lookup (for tests, and for the session-only
 * passwords of the UI). The function returns a newly allocated password or
 * %NULL.
 */
void
mp_poller_set_password_func (MpPoller  *self,
                             char     *(*func) (MpAccount *account,
                                                gpointer   user_data),
                             gpointer   user_data)
{
  g_return_if_fail (MP_IS_POLLER (self));

  self->password_func = func;
  self->password_data = user_data;
}

/**
 * mp_poller_get_next_delay:
 *
 * Returns: the seconds (in real time, before scaling) the poller waits
 *   after the last poll of @account; 0 when it waits for the user
 */
guint
mp_poller_get_next_delay (MpPoller  *self,
                          MpAccount *account)
{
  Entry *entry;

  g_return_val_if_fail (MP_IS_POLLER (self), 0);

  entry = g_hash_table_lookup (self->entries, account);
  return entry ? entry->next_delay : 0;
}

/**
 * mp_poller_get_state:
 *
 * Returns: (transfer none) (nullable): the seen-state of @account
 */
MpMailboxState *
mp_poller_get_state (MpPoller  *self,
                     MpAccount *account)
{
  Entry *entry;

  g_return_val_if_fail (MP_IS_POLLER (self), NULL);

  entry = g_hash_table_lookup (self->entries, account);
  return entry ? entry->state : NULL;
}

/**
 * mp_poller_get_last_result:
 *
 * Returns: (transfer none) (nullable): the result of the last poll
 */
const MpPollResult *
mp_poller_get_last_result (MpPoller  *self,
                           MpAccount *account)
{
  Entry *entry;

  g_return_val_if_fail (MP_IS_POLLER (self), NULL);

  entry = g_hash_table_lookup (self->entries, account);
  return entry ? entry->last : NULL;
}

guint
mp_poller_get_active_sessions (MpPoller *self)
{
  g_return_val_if_fail (MP_IS_POLLER (self), 0);
  return self->active;
}
