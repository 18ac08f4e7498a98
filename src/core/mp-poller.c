/* mp-poller.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-poller"

#include "config.h"

#include <string.h>

#include "mp-mailbox-private.h"
#include "mp-poller-private.h"
#include "mp-secrets.h"

#define DEFAULT_MAX_SESSIONS   3
#define BACKOFF_BASE           30
#define BACKOFF_CAP            (30 * 60)
#define IN_USE_BASE            60
#define LOGIN_DELAY_BASE       (5 * 60)
#define LOGIN_DELAY_CAP        (60 * 60)

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

struct _MpPoller
{
  GObject          parent_instance;

  GPtrArray       *mailboxes;     /* the list model's items */
  GHashTable      *from_store;    /* MpMailbox set: those the store gave */
  MpAccountStore  *store;
  gulong           store_id;

  GQueue           waiting;       /* MpMailbox (ref) that want a session */
  guint            active;
  guint            max_sessions;
  gboolean         in_run_queue;
  gboolean         scheduling;
  guint            session_timeout;
  gboolean         no_pipelining;

  MpClock         *clock;
  GNetworkMonitor *monitor;
  gulong           monitor_id;
  gboolean         online;
  char          *(*password_func) (MpAccount *account,
                                   gpointer   user_data);
  gpointer         password_data;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MpPoller, mp_poller, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  ACCOUNT_POLLED,
  ACCOUNT_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GType
mp_poller_get_item_type (GListModel *model)
{
  return MP_TYPE_MAILBOX;
}

static guint
mp_poller_get_n_items (GListModel *model)
{
  return MP_POLLER (model)->mailboxes->len;
}

static gpointer
mp_poller_get_item (GListModel *model,
                    guint       position)
{
  MpPoller *self = MP_POLLER (model);

  if (position >= self->mailboxes->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->mailboxes, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = mp_poller_get_item_type;
  iface->get_n_items = mp_poller_get_n_items;
  iface->get_item = mp_poller_get_item;
}

/* Session slots, shared by all mailboxes */

static void
run_queue (MpPoller *self)
{
  if (self->in_run_queue)
    return;

  self->in_run_queue = TRUE;
  while (self->active < self->max_sessions && !g_queue_is_empty (&self->waiting))
    {
      g_autoptr(MpMailbox) mailbox = g_queue_pop_head (&self->waiting);

      self->active++;
      mp_mailbox_run_session (mailbox);
    }
  self->in_run_queue = FALSE;
}

void
mp_poller_request_session (MpPoller  *self,
                           MpMailbox *mailbox)
{
  g_queue_push_tail (&self->waiting, g_object_ref (mailbox));
  run_queue (self);
}

void
mp_poller_withdraw_request (MpPoller  *self,
                            MpMailbox *mailbox)
{
  GList *link = g_queue_find (&self->waiting, mailbox);

  if (link == NULL)
    return;
  g_queue_delete_link (&self->waiting, link);
  g_object_unref (mailbox);
}

void
mp_poller_release_session (MpPoller *self)
{
  g_return_if_fail (self->active > 0);

  self->active--;
  run_queue (self);
}

gboolean
mp_poller_is_online (MpPoller *self)
{
  return self->online;
}

/**
 * mp_poller_get_pipelining_allowed:
 *
 * Whether the sessions of its mailboxes may pipeline commands when the
 * server offers PIPELINING (`mailpeek --no-pipelining` says no).
 */
gboolean
mp_poller_get_pipelining_allowed (MpPoller *self)
{
  g_return_val_if_fail (MP_IS_POLLER (self), TRUE);
  return !self->no_pipelining;
}

void
mp_poller_set_pipelining_allowed (MpPoller *self,
                                  gboolean  allowed)
{
  g_return_if_fail (MP_IS_POLLER (self));
  self->no_pipelining = !allowed;
}

guint
mp_poller_get_session_timeout (MpPoller *self)
{
  return self->session_timeout;
}

static void
secrets_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *password = mp_secrets_lookup_password_finish (result, &error);

  if (password == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, password, (GDestroyNotify) mp_secrets_free_password);
}

void
mp_poller_lookup_password_async (MpPoller            *self,
                                 MpAccount           *account,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, mp_poller_lookup_password_async);
  if (self->password_func != NULL)
    {
      char *password = self->password_func (account, self->password_data);

      g_task_return_pointer (task, password ? password : g_strdup (""),
                             (GDestroyNotify) mp_secrets_free_password);
      return;
    }

  mp_secrets_lookup_password_async (account, cancellable, secrets_cb, g_steal_pointer (&task));
}

char *
mp_poller_lookup_password_finish (MpPoller      *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
mp_poller_mailbox_polled (MpPoller     *self,
                          MpMailbox    *mailbox,
                          MpPollResult *result,
                          gboolean      changed)
{
  MpAccount *account = mp_mailbox_get_account (mailbox);

  g_signal_emit (self, signals[ACCOUNT_POLLED], 0, account, result);
  if (changed)
    g_signal_emit (self, signals[ACCOUNT_CHANGED], 0, account);
}

static void
network_changed_cb (GNetworkMonitor *monitor,
                    gboolean         available,
                    MpPoller        *self)
{
  if (available == self->online)
    return;

  self->online = available;
  g_debug ("Network %s", available ? "back" : "gone");
  for (guint i = 0; i < self->mailboxes->len; i++)
    mp_mailbox_network_changed (g_ptr_array_index (self->mailboxes, i), available);
}

/* The list */

static MpMailbox *
find_by_account (MpPoller  *self,
                 MpAccount *account,
                 guint     *position)
{
  for (guint i = 0; i < self->mailboxes->len; i++)
    {
      MpMailbox *mailbox = g_ptr_array_index (self->mailboxes, i);

      if (mp_mailbox_get_account (mailbox) == account)
        {
          if (position != NULL)
            *position = i;
          return mailbox;
        }
    }
  return NULL;
}

/* Replaces the list with @wanted, as one ::items-changed over the part
 * between the common head and tail (an account added, removed or moved
 * is one such range).
 */
static void
replace_list (MpPoller  *self,
              GPtrArray *wanted)
{
  guint n_old = self->mailboxes->len, n_new = wanted->len;
  guint head = 0, tail = 0;
  g_autoptr(GPtrArray) old = NULL;

  while (head < n_old && head < n_new &&
         g_ptr_array_index (self->mailboxes, head) == g_ptr_array_index (wanted, head))
    head++;
  while (tail < n_old - head && tail < n_new - head &&
         g_ptr_array_index (self->mailboxes, n_old - 1 - tail) ==
         g_ptr_array_index (wanted, n_new - 1 - tail))
    tail++;

  if (head == n_old && head == n_new)
    return;

  old = g_steal_pointer (&self->mailboxes);
  self->mailboxes = g_ptr_array_ref (wanted);

  /* What left the list stops, its work cancelled. */
  for (guint i = 0; i < old->len; i++)
    {
      MpMailbox *mailbox = g_ptr_array_index (old, i);

      if (!g_ptr_array_find (wanted, mailbox, NULL))
        {
          g_hash_table_remove (self->from_store, mailbox);
          mp_mailbox_shutdown (mailbox);
        }
    }

  g_list_model_items_changed (G_LIST_MODEL (self), head,
                              n_old - head - tail, n_new - head - tail);

  for (guint i = 0; i < wanted->len; i++)
    {
      MpMailbox *mailbox = g_ptr_array_index (wanted, i);

      if (!g_ptr_array_find (old, mailbox, NULL))
        mp_mailbox_start (mailbox);
    }
}

static void
sync_store (MpPoller *self)
{
  g_autoptr(GPtrArray) wanted = g_ptr_array_new_with_free_func (g_object_unref);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MpAccount) account = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      MpMailbox *mailbox = find_by_account (self, account, NULL);

      if (mailbox == NULL)
        {
          mailbox = mp_mailbox_new (self, account);
          g_hash_table_add (self->from_store, mailbox);
          g_ptr_array_add (wanted, mailbox);
        }
      else
        g_ptr_array_add (wanted, g_object_ref (mailbox));
    }

  for (guint i = 0; i < self->mailboxes->len; i++)
    {
      MpMailbox *mailbox = g_ptr_array_index (self->mailboxes, i);

      if (!g_hash_table_contains (self->from_store, mailbox))
        g_ptr_array_add (wanted, g_object_ref (mailbox));
    }

  replace_list (self, wanted);
}

static void
store_changed_cb (GListModel *store,
                  guint       position,
                  guint       removed,
                  guint       added,
                  MpPoller   *self)
{
  sync_store (self);
}

static void
mp_poller_dispose (GObject *object)
{
  MpPoller *self = (MpPoller *)object;
  MpMailbox *mailbox;

  g_clear_signal_handler (&self->store_id, self->store);
  g_clear_object (&self->store);

  while ((mailbox = g_queue_pop_head (&self->waiting)))
    g_object_unref (mailbox);
  for (guint i = 0; self->mailboxes != NULL && i < self->mailboxes->len; i++)
    mp_mailbox_detach (g_ptr_array_index (self->mailboxes, i));
  g_clear_pointer (&self->mailboxes, g_ptr_array_unref);
  g_clear_pointer (&self->from_store, g_hash_table_unref);

  g_clear_signal_handler (&self->monitor_id, self->monitor);
  g_clear_object (&self->monitor);
  g_clear_object (&self->clock);

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
mp_poller_init (MpPoller *self)
{
  self->mailboxes = g_ptr_array_new_with_free_func (g_object_unref);
  self->from_store = g_hash_table_new (NULL, NULL);
  self->max_sessions = DEFAULT_MAX_SESSIONS;
  self->scheduling = TRUE;
  self->session_timeout = 0;
  self->clock = mp_clock_new ();
  self->online = TRUE;
  g_queue_init (&self->waiting);
}

/**
 * mp_poller_new:
 *
 * Returns: (transfer full): a poller without accounts that follows the
 *   default #GNetworkMonitor
 */
MpPoller *
mp_poller_new (void)
{
  MpPoller *self = g_object_new (MP_TYPE_POLLER, NULL);

  mp_poller_set_network_monitor (self, g_network_monitor_get_default ());
  return self;
}

/**
 * mp_poller_new_for_store:
 *
 * Returns: (transfer full): a poller with a mailbox for each account of
 *   @store, following it (see #MpPoller); they are polled on their
 *   schedule (the first poll at once)
 */
MpPoller *
mp_poller_new_for_store (MpAccountStore *store)
{
  MpPoller *self;

  g_return_val_if_fail (MP_IS_ACCOUNT_STORE (store), NULL);

  self = mp_poller_new ();
  self->store = g_object_ref (store);
  self->store_id = g_signal_connect (store, "items-changed",
                                     G_CALLBACK (store_changed_cb), self);
  sync_store (self);
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
 * Adds a mailbox for @account (one not in the poller's store, such as a
 * `--url` one) at the end of the list, and polls it soon, then on its
 * schedule, while it is enabled. An account already in the poller keeps
 * its mailbox.
 *
 * Returns: (transfer none): the mailbox of @account
 */
MpMailbox *
mp_poller_add_account (MpPoller  *self,
                       MpAccount *account)
{
  MpMailbox *mailbox;
  guint position;

  g_return_val_if_fail (MP_IS_POLLER (self), NULL);
  g_return_val_if_fail (MP_IS_ACCOUNT (account), NULL);

  mailbox = find_by_account (self, account, NULL);
  if (mailbox == NULL && mp_account_get_id (account) != NULL)
    mailbox = mp_poller_lookup_mailbox (self, mp_account_get_id (account));
  if (mailbox != NULL)
    return mailbox;

  mailbox = mp_mailbox_new (self, account);
  position = self->mailboxes->len;
  g_ptr_array_add (self->mailboxes, mailbox);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
  mp_mailbox_start (mailbox);
  return mailbox;
}

/**
 * mp_poller_remove_account:
 *
 * Removes the mailbox of @account, cancelling its work. (An account of the
 * store comes back with the store's next change; remove it from the
 * store instead.)
 */
void
mp_poller_remove_account (MpPoller  *self,
                          MpAccount *account)
{
  MpMailbox *mailbox;
  guint position;

  g_return_if_fail (MP_IS_POLLER (self));

  mailbox = find_by_account (self, account, &position);
  if (mailbox == NULL)
    return;

  g_hash_table_remove (self->from_store, mailbox);
  mp_mailbox_shutdown (mailbox);
  g_ptr_array_remove_index (self->mailboxes, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

/**
 * mp_poller_lookup_mailbox:
 *
 * Returns: (transfer none) (nullable): the mailbox of the account with
 *   the id @account_id
 */
MpMailbox *
mp_poller_lookup_mailbox (MpPoller   *self,
                          const char *account_id)
{
  g_return_val_if_fail (MP_IS_POLLER (self), NULL);
  g_return_val_if_fail (account_id != NULL, NULL);

  for (guint i = 0; i < self->mailboxes->len; i++)
    {
      MpMailbox *mailbox = g_ptr_array_index (self->mailboxes, i);

      if (g_strcmp0 (mp_account_get_id (mp_mailbox_get_account (mailbox)), account_id) == 0)
        return mailbox;
    }
  return NULL;
}

/**
 * mp_poller_find_mailbox:
 *
 * Returns: (transfer none) (nullable): the mailbox of @account
 */
MpMailbox *
mp_poller_find_mailbox (MpPoller  *self,
                        MpAccount *account)
{
  g_return_val_if_fail (MP_IS_POLLER (self), NULL);

  return find_by_account (self, account, NULL);
}

/**
 * mp_poller_check_now:
 * @account: (nullable): one account, or %NULL for all enabled ones
 *
 * Polls at once (as soon as the account's queue and a session are free),
 * also an account that stopped because it needs the user.
 */
void
mp_poller_check_now (MpPoller  *self,
                     MpAccount *account)
{
  g_return_if_fail (MP_IS_POLLER (self));

  for (guint i = 0; i < self->mailboxes->len; i++)
    {
      MpMailbox *mailbox = g_ptr_array_index (self->mailboxes, i);

      if (account == NULL || mp_mailbox_get_account (mailbox) == account)
        mp_mailbox_check_now (mailbox);
    }
}

/**
 * mp_poller_set_scheduling:
 * @scheduling: %FALSE to poll only when asked: no first poll when an
 *   account is added, no timers (`mailpeek --check`, which may call this
 *   right after mp_poller_new_for_store(): the first polls it queued are
 *   dropped before they reach the network); %TRUE again polls every
 *   mailbox soon
 */
void
mp_poller_set_scheduling (MpPoller *self,
                          gboolean  scheduling)
{
  g_return_if_fail (MP_IS_POLLER (self));

  scheduling = !!scheduling;
  if (self->scheduling == scheduling)
    return;
  self->scheduling = scheduling;
  for (guint i = 0; i < self->mailboxes->len; i++)
    mp_mailbox_set_scheduled (g_ptr_array_index (self->mailboxes, i), scheduling);
}

gboolean
mp_poller_get_scheduling (MpPoller *self)
{
  g_return_val_if_fail (MP_IS_POLLER (self), FALSE);
  return self->scheduling;
}

/**
 * mp_poller_set_clock:
 *
 * Replaces the clock of the schedule (tests: mp_clock_new_fake()). Set it
 * before adding accounts.
 */
void
mp_poller_set_clock (MpPoller *self,
                     MpClock  *clock)
{
  g_return_if_fail (MP_IS_POLLER (self));
  g_return_if_fail (MP_IS_CLOCK (clock));

  g_set_object (&self->clock, clock);
}

/**
 * mp_poller_get_clock:
 *
 * Returns: (transfer none): the clock of the schedule
 */
MpClock *
mp_poller_get_clock (MpPoller *self)
{
  g_return_val_if_fail (MP_IS_POLLER (self), NULL);
  return self->clock;
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
 * @scale: how much faster than real time the schedule of a real clock
 *   runs (1000: a minute passes in 60 ms)
 */
void
mp_poller_set_time_scale (MpPoller *self,
                          double    scale)
{
  g_return_if_fail (MP_IS_POLLER (self));
  g_return_if_fail (scale > 0);

  mp_clock_set_scale (self->clock, scale);
}

/**
 * mp_poller_set_session_timeout:
 * @seconds: of silence after which a session gives up; 0 (the default)
 *   for each account's own timeout (mp_account_get_timeout())
 */
void
mp_poller_set_session_timeout (MpPoller *self,
                               guint     seconds)
{
  g_return_if_fail (MP_IS_POLLER (self));

  self->session_timeout = seconds;
}

/**
 * mp_poller_set_password_func:
 *
 * Replaces the libsecret lookup (for tests, and for the session-only
 * passwords of `--url`). The function returns a newly allocated password
 * or %NULL.
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
 * Returns: the seconds (of the clock, before any time scale) the poller
 *   waits after the last poll of @account; 0 when it waits for the user
 */
guint
mp_poller_get_next_delay (MpPoller  *self,
                          MpAccount *account)
{
  MpMailbox *mailbox;

  g_return_val_if_fail (MP_IS_POLLER (self), 0);

  mailbox = find_by_account (self, account, NULL);
  return mailbox ? mp_mailbox_get_next_delay (mailbox) : 0;
}

/**
 * mp_poller_get_state:
 *
 * Returns: (transfer none) (nullable): the seen-state of @account, once
 *   loaded
 */
MpMailboxState *
mp_poller_get_state (MpPoller  *self,
                     MpAccount *account)
{
  MpMailbox *mailbox;

  g_return_val_if_fail (MP_IS_POLLER (self), NULL);

  mailbox = find_by_account (self, account, NULL);
  return mailbox ? mp_mailbox_get_state (mailbox) : NULL;
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
  MpMailbox *mailbox;

  g_return_val_if_fail (MP_IS_POLLER (self), NULL);

  mailbox = find_by_account (self, account, NULL);
  return mailbox ? mp_mailbox_get_last_result (mailbox) : NULL;
}

/**
 * mp_poller_get_active_sessions:
 *
 * Returns: the sessions running now, all mailboxes together
 */
guint
mp_poller_get_active_sessions (MpPoller *self)
{
  g_return_val_if_fail (MP_IS_POLLER (self), 0);
  return self->active;
}
