/* mp-mailbox.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-mailbox"

#include "config.h"

#include <string.h>

#include "mp-core-enums.h"
#include "mp-mailbox-private.h"
#include "mp-message-private.h"
#include "mp-poller-private.h"

/* The object, its list and counts (the other parts are named in
 * mp-mailbox-private.h).
 *
 * The list is rebuilt after each poll from the snapshot's keys with the
 * smallest edit: POP3 never reorders a maildrop (messages go away, new
 * ones arrive at the end), so the messages present before and after, in
 * order, are the longest common subsequence, and the edit is the runs of
 * removed and added messages between them. Each run is one
 * ::items-changed, emitted as the array is spliced, so a view always sees
 * a list consistent with the signals so far.
 */

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MpMailbox, mp_mailbox, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_N_MESSAGES,
  PROP_N_NEW,
  PROP_N_UNSEEN,
  PROP_SIZE,
  PROP_STATUS,
  PROP_ERROR,
  PROP_CERTIFICATE,
  PROP_CERTIFICATE_ERRORS,
  PROP_UIDL_SUPPORTED,
  PROP_TOP_SUPPORTED,
  PROP_PIPELINING,
  PROP_CAPABILITIES,
  PROP_LAST_CHECKED,
  PROP_NEXT_CHECK,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

enum {
  MESSAGES_ARRIVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* GListModel */

static GType
mp_mailbox_get_item_type (GListModel *model)
{
  return MP_TYPE_MESSAGE;
}

static guint
mp_mailbox_get_n_items (GListModel *model)
{
  return MP_MAILBOX (model)->messages->len;
}

static gpointer
mp_mailbox_get_item (GListModel *model,
                     guint       position)
{
  MpMailbox *self = MP_MAILBOX (model);

  if (position >= self->messages->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->messages, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = mp_mailbox_get_item_type;
  iface->get_n_items = mp_mailbox_get_n_items;
  iface->get_item = mp_mailbox_get_item;
}

/* The object */

/* Messages point back at their mailbox without a reference (see
 * mp_message_set_mailbox()); those that leave are let go here.
 */
static void
release_messages (MpMailbox *self,
                  guint      position,
                  guint      n)
{
  for (guint i = position; i < position + n; i++)
    mp_message_set_mailbox (g_ptr_array_index (self->messages, i), NULL);
}

static void
mp_mailbox_dispose (GObject *object)
{
  MpMailbox *self = (MpMailbox *)object;

  mp_mailbox_shutdown (self);
  if (self->messages != NULL)
    release_messages (self, 0, self->messages->len);
  g_clear_signal_handler (&self->account_notify_id, self->account);
  g_clear_signal_handler (&self->state_changed_id, self->state);
  g_clear_weak_pointer (&self->poller);

  G_OBJECT_CLASS (mp_mailbox_parent_class)->dispose (object);
}

static void
mp_mailbox_finalize (GObject *object)
{
  MpMailbox *self = (MpMailbox *)object;

  g_clear_object (&self->account);
  g_clear_object (&self->state);
  g_clear_object (&self->cancellable);
  g_free (self->state_key);
  g_clear_pointer (&self->messages, g_ptr_array_unref);
  g_clear_error (&self->error);
  g_clear_object (&self->certificate);
  g_clear_pointer (&self->capabilities, g_strfreev);
  g_clear_pointer (&self->last_checked, g_date_time_unref);
  g_clear_pointer (&self->next_check, g_date_time_unref);
  g_clear_pointer (&self->last, mp_poll_result_free);
  g_clear_pointer (&self->save_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->save_queued, g_ptr_array_unref);

  G_OBJECT_CLASS (mp_mailbox_parent_class)->finalize (object);
}

static void
mp_mailbox_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  MpMailbox *self = MP_MAILBOX (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    case PROP_N_MESSAGES:
      g_value_set_uint (value, self->messages->len);
      break;
    case PROP_N_NEW:
      g_value_set_uint (value, self->n_new);
      break;
    case PROP_N_UNSEEN:
      g_value_set_uint (value, self->n_unseen);
      break;
    case PROP_SIZE:
      g_value_set_uint64 (value, self->size);
      break;
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_CERTIFICATE:
      g_value_set_object (value, self->certificate);
      break;
    case PROP_CERTIFICATE_ERRORS:
      g_value_set_flags (value, self->certificate_errors);
      break;
    case PROP_UIDL_SUPPORTED:
      g_value_set_boolean (value, self->uidl_supported);
      break;
    case PROP_TOP_SUPPORTED:
      g_value_set_boolean (value, self->top_supported);
      break;
    case PROP_PIPELINING:
      g_value_set_boolean (value, self->pipelining);
      break;
    case PROP_CAPABILITIES:
      g_value_set_boxed (value, self->capabilities);
      break;
    case PROP_LAST_CHECKED:
      g_value_set_boxed (value, self->last_checked);
      break;
    case PROP_NEXT_CHECK:
      g_value_set_boxed (value, self->next_check);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_mailbox_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  MpMailbox *self = MP_MAILBOX (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      self->account = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_mailbox_class_init (MpMailboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = mp_mailbox_dispose;
  object_class->finalize = mp_mailbox_finalize;
  object_class->get_property = mp_mailbox_get_property;
  object_class->set_property = mp_mailbox_set_property;

  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, MP_TYPE_ACCOUNT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_MESSAGES] =
    g_param_spec_uint ("n-messages", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_N_NEW] =
    g_param_spec_uint ("n-new", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_N_UNSEEN] =
    g_param_spec_uint ("n-unseen", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_SIZE] =
    g_param_spec_uint64 ("size", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL, MP_TYPE_MAILBOX_STATUS,
                       MP_MAILBOX_STATUS_IDLE, flags);
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, flags);
  properties[PROP_CERTIFICATE] =
    g_param_spec_object ("certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE, flags);
  properties[PROP_CERTIFICATE_ERRORS] =
    g_param_spec_flags ("certificate-errors", NULL, NULL, G_TYPE_TLS_CERTIFICATE_FLAGS,
                        0, flags);
  properties[PROP_UIDL_SUPPORTED] =
    g_param_spec_boolean ("uidl-supported", NULL, NULL, FALSE, flags);
  properties[PROP_TOP_SUPPORTED] =
    g_param_spec_boolean ("top-supported", NULL, NULL, TRUE, flags);
  properties[PROP_PIPELINING] =
    g_param_spec_boolean ("pipelining", NULL, NULL, FALSE, flags);
  properties[PROP_CAPABILITIES] =
    g_param_spec_boxed ("capabilities", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_LAST_CHECKED] =
    g_param_spec_boxed ("last-checked", NULL, NULL, G_TYPE_DATE_TIME, flags);
  properties[PROP_NEXT_CHECK] =
    g_param_spec_boxed ("next-check", NULL, NULL, G_TYPE_DATE_TIME, flags);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MpMailbox::messages-arrived:
   * @messages: (element-type MpMessage): the messages never announced
   *
   * See the class documentation.
   */
  signals[MESSAGES_ARRIVED] =
    g_signal_new ("messages-arrived",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);
}

static void
mp_mailbox_init (MpMailbox *self)
{
  self->messages = g_ptr_array_new_with_free_func (g_object_unref);
  self->cancellable = g_cancellable_new ();
  self->status = MP_MAILBOX_STATUS_IDLE;
  self->top_supported = TRUE;
  g_queue_init (&self->jobs);
}

/**
 * mp_mailbox_new: (skip)
 * @poller: the owner, held weakly
 *
 * Returns: (transfer full): a mailbox for @account; it loads its state at
 *   once (off the main thread) and polls only after mp_mailbox_start()
 */
MpMailbox *
mp_mailbox_new (MpPoller  *poller,
                MpAccount *account)
{
  MpMailbox *self;

  g_return_val_if_fail (MP_IS_POLLER (poller), NULL);
  g_return_val_if_fail (MP_IS_ACCOUNT (account), NULL);

  self = g_object_new (MP_TYPE_MAILBOX, "account", account, NULL);
  g_set_weak_pointer (&self->poller, poller);
  self->state_key = mp_account_dup_state_key (account);
  self->account_notify_id = g_signal_connect_swapped (account, "notify",
                                                      G_CALLBACK (mp_mailbox_account_changed),
                                                      self);
  return self;
}

/* Getters */

/**
 * mp_mailbox_get_account:
 *
 * Returns: (transfer none): the account
 */
MpAccount *
mp_mailbox_get_account (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), NULL);
  return self->account;
}

guint
mp_mailbox_get_n_messages (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), 0);
  return self->messages->len;
}

guint
mp_mailbox_get_n_new (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), 0);
  return self->n_new;
}

guint
mp_mailbox_get_n_unseen (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), 0);
  return self->n_unseen;
}

guint64
mp_mailbox_get_size (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), 0);
  return self->size;
}

MpMailboxStatus
mp_mailbox_get_status (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), MP_MAILBOX_STATUS_IDLE);
  return self->status;
}

/**
 * mp_mailbox_get_error:
 *
 * Returns: (transfer none) (nullable): why the last check failed
 */
const GError *
mp_mailbox_get_error (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), NULL);
  return self->error;
}

/**
 * mp_mailbox_get_certificate:
 *
 * Returns: (transfer none) (nullable): the untrusted certificate
 */
GTlsCertificate *
mp_mailbox_get_certificate (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), NULL);
  return self->certificate;
}

GTlsCertificateFlags
mp_mailbox_get_certificate_errors (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), 0);
  return self->certificate_errors;
}

gboolean
mp_mailbox_get_uidl_supported (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), FALSE);
  return self->uidl_supported;
}

gboolean
mp_mailbox_get_top_supported (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), TRUE);
  return self->top_supported;
}

gboolean
mp_mailbox_get_pipelining (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), FALSE);
  return self->pipelining;
}

/**
 * mp_mailbox_get_capabilities:
 *
 * Returns: (transfer none) (nullable): the CAPA list after login
 */
const char * const *
mp_mailbox_get_capabilities (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), NULL);
  return (const char * const *) self->capabilities;
}

/**
 * mp_mailbox_get_last_checked:
 *
 * Returns: (transfer none) (nullable): when the last check ended
 */
GDateTime *
mp_mailbox_get_last_checked (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), NULL);
  return self->last_checked;
}

/**
 * mp_mailbox_get_next_check:
 *
 * Returns: (transfer none) (nullable): when the poller checks again
 */
GDateTime *
mp_mailbox_get_next_check (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), NULL);
  return self->next_check;
}

gboolean
mp_mailbox_get_busy (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), FALSE);
  return self->busy;
}

/**
 * mp_mailbox_find_message:
 *
 * Returns: (transfer none) (nullable): the (first) message with @key
 */
MpMessage *
mp_mailbox_find_message (MpMailbox  *self,
                         const char *key)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  for (guint i = 0; i < self->messages->len; i++)
    {
      MpMessage *message = g_ptr_array_index (self->messages, i);

      if (g_str_equal (mp_message_get_key (message), key))
        return message;
    }
  return NULL;
}

MpMailboxState *
mp_mailbox_get_state (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), NULL);
  return self->state;
}

const MpPollResult *
mp_mailbox_get_last_result (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), NULL);
  return self->last;
}

guint
mp_mailbox_get_next_delay (MpMailbox *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX (self), 0);
  return self->next_delay;
}

/* Setters for the session half; each notifies only on a change. */

void
mp_mailbox_set_status (MpMailbox       *self,
                       MpMailboxStatus  status)
{
  if (self->status == status)
    return;
  self->status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

static gboolean
same_error (const GError *a,
            const GError *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return a->domain == b->domain && a->code == b->code &&
         g_strcmp0 (a->message, b->message) == 0;
}

void
mp_mailbox_set_error (MpMailbox            *self,
                      const GError         *error,
                      GTlsCertificate      *certificate,
                      GTlsCertificateFlags  certificate_errors)
{
  g_object_freeze_notify (G_OBJECT (self));

  if (!same_error (self->error, error))
    {
      g_clear_error (&self->error);
      self->error = error ? g_error_copy (error) : NULL;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }

  if (self->certificate != certificate &&
      !(self->certificate != NULL && certificate != NULL &&
        g_tls_certificate_is_same (self->certificate, certificate)))
    {
      g_set_object (&self->certificate, certificate);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CERTIFICATE]);
    }

  if (self->certificate_errors != certificate_errors)
    {
      self->certificate_errors = certificate_errors;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CERTIFICATE_ERRORS]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

static gboolean
same_strv (char       **a,
           const char * const *b)
{
  if (a == NULL || b == NULL)
    return (gpointer) a == (gpointer) b;
  return g_strv_equal ((const char * const *) a, b);
}

/* What a session that logged in found out about the server. */
void
mp_mailbox_set_session_info (MpMailbox         *self,
                             MpPop3Client      *client,
                             MpMailboxSnapshot *snapshot)
{
  const char * const *caps = mp_pop3_client_get_capabilities (client);

  g_object_freeze_notify (G_OBJECT (self));

  if (snapshot != NULL && self->uidl_supported != snapshot->uidl_supported)
    {
      self->uidl_supported = snapshot->uidl_supported;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UIDL_SUPPORTED]);
    }
  if (snapshot != NULL && self->top_supported != snapshot->top_supported)
    {
      self->top_supported = snapshot->top_supported;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOP_SUPPORTED]);
    }
  if (snapshot != NULL && self->pipelining != snapshot->pipelining)
    {
      self->pipelining = snapshot->pipelining;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PIPELINING]);
    }
  if (caps != NULL && !same_strv (self->capabilities, caps))
    {
      g_strfreev (self->capabilities);
      self->capabilities = g_strdupv ((char **) caps);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAPABILITIES]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

static void
set_date (MpMailbox  *self,
          GDateTime **slot,
          GDateTime  *when,
          guint       prop)
{
  if (*slot == when || (*slot != NULL && when != NULL && g_date_time_equal (*slot, when)))
    return;
  g_clear_pointer (slot, g_date_time_unref);
  *slot = when ? g_date_time_ref (when) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
mp_mailbox_set_last_checked (MpMailbox *self,
                             GDateTime *when)
{
  set_date (self, &self->last_checked, when, PROP_LAST_CHECKED);
}

void
mp_mailbox_set_next_check (MpMailbox *self,
                           GDateTime *when)
{
  set_date (self, &self->next_check, when, PROP_NEXT_CHECK);
}

void
mp_mailbox_update_busy (MpMailbox *self)
{
  gboolean busy = self->running != NULL || self->in_session || !g_queue_is_empty (&self->jobs);

  if (self->busy == busy)
    return;
  self->busy = busy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* The list */

/* New means: in the state and not announced. A message without a key
 * (no UIDL, and TOP failed) is not in the state and cannot be marked, so
 * it is never new; otherwise it would be announced on every poll.
 */
gboolean
mp_mailbox_message_is_new (MpMailbox *self,
                           MpMessage *message)
{
  return !mp_message_get_announced (message) && self->state != NULL &&
         mp_mailbox_state_contains (self->state, mp_message_get_key (message));
}

static void
recount (MpMailbox *self,
         guint      old_len)
{
  guint n_new = 0, n_unseen = 0;

  for (guint i = 0; i < self->messages->len; i++)
    {
      MpMessage *message = g_ptr_array_index (self->messages, i);

      n_new += mp_mailbox_message_is_new (self, message);
      n_unseen += mp_message_get_unseen (message);
    }

  g_object_freeze_notify (G_OBJECT (self));
  if (old_len != self->messages->len)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_MESSAGES]);
  if (n_new != self->n_new)
    {
      self->n_new = n_new;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_NEW]);
    }
  if (n_unseen != self->n_unseen)
    {
      self->n_unseen = n_unseen;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_UNSEEN]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
set_size (MpMailbox *self,
          guint64    size)
{
  if (self->size == size)
    return;
  self->size = size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIZE]);
}

static void
sync_message_flags (MpMailbox *self,
                    MpMessage *message)
{
  const char *key = mp_message_get_key (message);
  gboolean known = self->state != NULL && mp_mailbox_state_contains (self->state, key);
  const char *snippet;

  if (!known)
    {
      /* See message_is_new(): keyless messages cannot be announced. */
      mp_message_set_announced (message, TRUE);
      mp_message_set_unseen (message, FALSE);
      return;
    }
  snippet = mp_mailbox_state_get_snippet (self->state, key);
  mp_message_set_announced (message, mp_mailbox_state_is_announced (self->state, key));
  mp_message_set_unseen (message, mp_mailbox_state_is_unseen (self->state, key));
  if (snippet != NULL)
    mp_message_set_snippet (message, snippet);
}

/**
 * mp_mailbox_sync_flags:
 *
 * Takes announced, unseen and snippets from the state again (after
 * another process's changes were merged in, or a caller changed the state
 * directly).
 */
void
mp_mailbox_sync_flags (MpMailbox *self)
{
  for (guint i = 0; i < self->messages->len; i++)
    sync_message_flags (self, g_ptr_array_index (self->messages, i));
  recount (self, self->messages->len);
}

/* Messages of one key are told apart by their order among themselves
 * (only servers with duplicate UIDLs have any). The common case borrows
 * the key; the others are made in @scratch. No allocation per message:
 * this runs on the main loop for every message of every poll.
 */
static const char *
identity (const char *key,
          GHashTable *seen,
          GPtrArray  *scratch)
{
  gpointer value = NULL;
  guint n = 0;

  if (g_hash_table_lookup_extended (seen, key, NULL, &value))
    n = GPOINTER_TO_UINT (value);
  g_hash_table_insert (seen, (gpointer) key, GUINT_TO_POINTER (n + 1));
  if (n == 0)
    return key;
  g_ptr_array_add (scratch, g_strdup_printf ("%s\n%u", key, n));
  return g_ptr_array_index (scratch, scratch->len - 1);
}

static void
update_message (MpMailbox     *self,
                MpMessage     *message,
                MpMessageInfo *info)
{
  /* No freeze/thaw: each setter notifies only a real change, and most
   * polls change nothing.
   */
  mp_message_set_number (message, info->number);
  mp_message_set_size (message, info->size);
  /* A message whose TOP failed this time keeps what it had. */
  if (info->headers != NULL || mp_message_get_headers (message) == NULL)
    mp_message_set_headers (message, info->headers);
  mp_message_set_error (message, info->headers ? NULL : info->error);
  sync_message_flags (self, message);
}

static MpMessage *
make_message (MpMailbox     *self,
              MpMessageInfo *info,
              const char    *key)
{
  MpMessage *message = mp_message_new (key, info->uid, info->number, info->size, info->headers);

  mp_message_set_error (message, info->error);
  mp_message_set_mailbox (message, self);
  sync_message_flags (self, message);
  return message;
}

/**
 * mp_mailbox_apply_snapshot:
 *
 * Turns the list into what @snapshot (already merged into the state)
 * holds, with the smallest ::items-changed, and updates the counts.
 */
void
mp_mailbox_apply_snapshot (MpMailbox         *self,
                           MpMailboxSnapshot *snapshot)
{
  GPtrArray *infos = snapshot->messages;
  guint n_old = self->messages->len;
  guint n_new = infos->len;
  g_autoptr(GHashTable) old_seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) new_seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) old_index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) scratch = g_ptr_array_new_with_free_func (g_free);
  g_autofree const char **keys = g_new (const char *, MAX (n_new, 1));
  g_autofree int *match_old = g_new (int, MAX (n_old, 1));
  g_autofree int *match_new = g_new (int, MAX (n_new, 1));
  int last = -1;
  guint pos = 0, oi = 0, ni = 0;

  for (guint i = 0; i < n_old; i++)
    {
      MpMessage *message = g_ptr_array_index (self->messages, i);

      match_old[i] = -1;
      g_hash_table_insert (old_index,
                           (gpointer) identity (mp_message_get_key (message), old_seen, scratch),
                           GUINT_TO_POINTER (i + 1));
    }

  /* Matching in order keeps a common subsequence; for a server that does
   * not reorder it is the longest one.
   */
  for (guint i = 0; i < n_new; i++)
    {
      MpMessageInfo *info = g_ptr_array_index (infos, i);
      const char *id;
      guint j;

      if (info->key != NULL)
        keys[i] = info->key;
      else
        {
          g_ptr_array_add (scratch, g_strdup_printf ("#%u", info->number));
          keys[i] = g_ptr_array_index (scratch, scratch->len - 1);
        }
      id = identity (keys[i], new_seen, scratch);
      j = GPOINTER_TO_UINT (g_hash_table_lookup (old_index, id));
      match_new[i] = -1;
      if (j > 0 && (int) (j - 1) > last)
        {
          last = (int) (j - 1);
          match_new[i] = last;
          match_old[last] = (int) i;
        }
    }

  while (oi < n_old || ni < n_new)
    {
      guint removed = 0, added = 0;

      while (oi + removed < n_old && match_old[oi + removed] < 0)
        removed++;
      while (ni + added < n_new && match_new[ni + added] < 0)
        added++;

      if (removed > 0 || added > 0)
        {
          if (removed > 0)
            {
              release_messages (self, pos, removed);
              g_ptr_array_remove_range (self->messages, pos, removed);
            }
          for (guint k = 0; k < added; k++)
            g_ptr_array_insert (self->messages, pos + k,
                                make_message (self, g_ptr_array_index (infos, ni + k),
                                              keys[ni + k]));
          g_list_model_items_changed (G_LIST_MODEL (self), pos, removed, added);
          pos += added;
          oi += removed;
          ni += added;
        }

      if (oi < n_old && ni < n_new)
        {
          g_assert (match_old[oi] == (int) ni);
          update_message (self, g_ptr_array_index (self->messages, pos),
                          g_ptr_array_index (infos, ni));
          pos++;
          oi++;
          ni++;
        }
    }

  self->stat_count = snapshot->count;
  self->have_listing = TRUE;
  set_size (self, snapshot->size);
  recount (self, n_old);
}

/**
 * mp_mailbox_remove_keys:
 * @keys: (element-type utf8): keys of messages the server deleted
 */
void
mp_mailbox_remove_keys (MpMailbox  *self,
                        GHashTable *keys)
{
  guint old_len = self->messages->len;
  guint64 removed_size = 0;

  for (guint i = self->messages->len; i > 0; i--)
    {
      MpMessage *message = g_ptr_array_index (self->messages, i - 1);
      guint end = i;

      if (!g_hash_table_contains (keys, mp_message_get_key (message)))
        continue;

      /* One signal for a run of neighbours. */
      while (i > 1 && g_hash_table_contains (keys, mp_message_get_key (g_ptr_array_index (self->messages, i - 2))))
        i--;
      for (guint k = i - 1; k < end; k++)
        removed_size += mp_message_get_size (g_ptr_array_index (self->messages, k));
      release_messages (self, i - 1, end - (i - 1));
      g_ptr_array_remove_range (self->messages, i - 1, end - (i - 1));
      g_list_model_items_changed (G_LIST_MODEL (self), i - 1, end - (i - 1), 0);
    }

  if (old_len == self->messages->len)
    return;
  self->stat_count -= MIN (self->stat_count, old_len - self->messages->len);
  set_size (self, self->size - MIN (self->size, removed_size));
  recount (self, old_len);
}

/**
 * mp_mailbox_emit_arrived:
 *
 * ::messages-arrived with the messages never announced, if any.
 */
void
mp_mailbox_emit_arrived (MpMailbox *self)
{
  g_autoptr(GPtrArray) arrived = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < self->messages->len; i++)
    {
      MpMessage *message = g_ptr_array_index (self->messages, i);

      if (mp_mailbox_message_is_new (self, message))
        g_ptr_array_add (arrived, g_object_ref (message));
    }

  if (arrived->len > 0)
    g_signal_emit (self, signals[MESSAGES_ARRIVED], 0, arrived);
}
