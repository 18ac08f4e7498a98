/* mp-secrets.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-secrets"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>
#include <string.h>

#include "mp-secrets.h"

/* Passwords go to the Secret Service (gnome-keyring, KeePassXC, …) through
 * libsecret, and nowhere else. Two things make this more than three
 * libsecret calls:
 *
 * - "No keyring" must be recognisable, because the UI then offers to keep
 *   the password for the session only. libsecret reports it in many
 *   shapes (no session bus, cannot autolaunch one, no service owning
 *   org.freedesktop.secrets, a locked or missing collection), so the bus is
 *   fetched first (any failure there means no keyring) and the other
 *   shapes are folded into MP_SECRETS_ERROR_UNAVAILABLE.
 * - Session passwords live in a table in this process, consulted before
 *   the keyring, and are wiped when replaced or cleared.
 *
 * Passwords are held in SecretValue (non-pageable memory) while an
 * operation runs and are never logged or put into an error message.
 */

G_DEFINE_QUARK (mp-secrets-error-quark, mp_secrets_error)

typedef enum
{
  OP_STORE,
  OP_LOOKUP,
  OP_CLEAR,
} SecretsOpKind;

typedef struct
{
  SecretsOpKind  kind;
  GHashTable    *attributes;
  char          *label;
  char          *session_key;
  SecretValue   *value;
} SecretsOp;

static GHashTable *session_passwords;
G_LOCK_DEFINE_STATIC (session_passwords);

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    "io.github.mailpeek.Mailpeek.Password", SECRET_SCHEMA_NONE,
    {
      { "account-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "host", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };

  return &schema;
}

static void
secrets_op_free (SecretsOp *op)
{
  g_clear_pointer (&op->attributes, g_hash_table_unref);
  g_free (op->label);
  g_free (op->session_key);
  g_clear_pointer (&op->value, secret_value_unref);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SecretsOp, secrets_op_free)

/* A detached account (`--url`) has no id; its state key stands in, so its
 * items never match (and never clear) those of a stored account.
 */
static char *
dup_account_key (MpAccount *account)
{
  const char *id = mp_account_get_id (account);

  if (id != NULL && *id != '\0')
    return g_strdup (id);
  return mp_account_dup_state_key (account);
}

static SecretsOp *
secrets_op_new (SecretsOpKind  kind,
                MpAccount     *account)
{
  SecretsOp *op = g_new0 (SecretsOp, 1);
  g_autofree char *account_key = dup_account_key (account);
  const char *host = mp_account_get_host (account);
  const char *user = mp_account_get_user (account);

  op->kind = kind;
  op->attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (op->attributes, (gpointer) "account-id", g_strdup (account_key));
  g_hash_table_insert (op->attributes, (gpointer) "host", g_strdup (host));
  g_hash_table_insert (op->attributes, (gpointer) "user", g_strdup (user));
  /* Translators: the password's name in the keyring; %s@%s is user@host */
  op->label = g_strdup_printf (_("Mailpeek: %s@%s"), user, host);
  op->session_key = g_strjoin ("\n", account_key, host, user, NULL);
  return op;
}

static void
wipe_and_free (gpointer data)
{
  secret_password_free (data);
}

/* Replaces (or, with %NULL, forgets) the session password under @key. */
static void
set_session_password (const char *key,
                      const char *password)
{
  G_LOCK (session_passwords);
  if (session_passwords == NULL)
    session_passwords = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, wipe_and_free);
  if (password != NULL)
    g_hash_table_replace (session_passwords, g_strdup (key), g_strdup (password));
  else
    g_hash_table_remove (session_passwords, key);
  G_UNLOCK (session_passwords);
}

static char *
dup_session_password (const char *key)
{
  char *password = NULL;

  G_LOCK (session_passwords);
  if (session_passwords != NULL)
    password = g_strdup (g_hash_table_lookup (session_passwords, key));
  G_UNLOCK (session_passwords);
  return password;
}

typedef enum
{
  REASON_NONE,
  REASON_NO_SERVICE,
  REASON_LOCKED,
} Reason;

static const char *
unavailable_message (SecretsOpKind kind,
                     Reason        reason)
{
  if (reason == REASON_LOCKED)
    switch (kind)
      {
      case OP_STORE:
        return _("The keyring is locked and could not be unlocked, so the password "
                 "cannot be stored");
      case OP_LOOKUP:
        return _("The keyring is locked and could not be unlocked, so the password "
                 "cannot be read");
      case OP_CLEAR:
        return _("The keyring is locked and could not be unlocked, so the password "
                 "cannot be removed");
      default:
        g_assert_not_reached ();
      }

  switch (kind)
    {
    case OP_STORE:
      return _("No keyring (Secret Service) is running, so the password cannot be stored");
    case OP_LOOKUP:
      return _("No keyring (Secret Service) is running, so the password cannot be read");
    case OP_CLEAR:
      return _("No keyring (Secret Service) is running, so the password cannot be removed");
    default:
      g_assert_not_reached ();
    }
}

/* Whether @error means "there is no usable Secret Service" rather than a
 * failure of this one request, and why.
 */
static Reason
unavailable_reason (const GError *error)
{
  /* A locked collection whose unlock prompt failed or was dismissed, or no
   * default collection (creating one needs a prompt too).
   */
  if (error->domain == SECRET_ERROR)
    return error->code == SECRET_ERROR_IS_LOCKED || error->code == SECRET_ERROR_NO_SUCH_OBJECT ?
           REASON_LOCKED : REASON_NONE;

  if (error->domain == G_DBUS_ERROR)
    {
      /* Nobody owns org.freedesktop.secrets and it cannot be activated,
       * or the owner went away or does not answer.
       */
      static const GDBusError codes[] = {
        G_DBUS_ERROR_SERVICE_UNKNOWN, G_DBUS_ERROR_NAME_HAS_NO_OWNER,
        G_DBUS_ERROR_NO_SERVER, G_DBUS_ERROR_NO_REPLY, G_DBUS_ERROR_TIMEOUT,
        G_DBUS_ERROR_TIMED_OUT, G_DBUS_ERROR_DISCONNECTED,
        G_DBUS_ERROR_FILE_NOT_FOUND, G_DBUS_ERROR_UNKNOWN_OBJECT,
        G_DBUS_ERROR_UNKNOWN_METHOD, G_DBUS_ERROR_UNKNOWN_INTERFACE,
        G_DBUS_ERROR_SPAWN_EXEC_FAILED, G_DBUS_ERROR_SPAWN_FORK_FAILED,
        G_DBUS_ERROR_SPAWN_CHILD_EXITED, G_DBUS_ERROR_SPAWN_CHILD_SIGNALED,
        G_DBUS_ERROR_SPAWN_FAILED, G_DBUS_ERROR_SPAWN_SETUP_FAILED,
        G_DBUS_ERROR_SPAWN_CONFIG_INVALID, G_DBUS_ERROR_SPAWN_SERVICE_INVALID,
        G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND, G_DBUS_ERROR_SPAWN_PERMISSIONS_INVALID,
        G_DBUS_ERROR_SPAWN_FILE_INVALID, G_DBUS_ERROR_SPAWN_NO_MEMORY,
      };

      for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
        if (error->code == (int) codes[i])
          return REASON_NO_SERVICE;
      return REASON_NONE;
    }

  if (error->domain == G_IO_ERROR &&
      (error->code == G_IO_ERROR_NOT_FOUND ||
       error->code == G_IO_ERROR_CONNECTION_REFUSED ||
       error->code == G_IO_ERROR_CLOSED ||
       error->code == G_IO_ERROR_BROKEN_PIPE ||
       error->code == G_IO_ERROR_NOT_CONNECTED ||
       error->code == G_IO_ERROR_TIMED_OUT))
    return REASON_NO_SERVICE;

  return REASON_NONE;
}

/* Hands @error (owned) to @task, as MP_SECRETS_ERROR unless it is a
 * cancellation, which callers must be able to recognise as such.
 */
static void
return_error (GTask  *task,
              GError *error)
{
  SecretsOp *op = g_task_get_task_data (task);
  Reason reason;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, error);
      return;
    }

  g_debug ("Secret Service: %s", error->message);
  reason = unavailable_reason (error);
  if (reason != REASON_NONE)
    g_task_return_new_error (task, MP_SECRETS_ERROR, MP_SECRETS_ERROR_UNAVAILABLE,
                             "%s (%s)", unavailable_message (op->kind, reason), error->message);
  else
    g_task_return_new_error (task, MP_SECRETS_ERROR, MP_SECRETS_ERROR_FAILED,
                             _("The keyring failed: %s"), error->message);
  g_error_free (error);
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SecretsOp *op = g_task_get_task_data (task);
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    {
      return_error (task, error);
      return;
    }

  /* The keyring now holds the password; a session one would shadow it. */
  set_session_password (op->session_key, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
search_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SecretsOp *op = g_task_get_task_data (task);
  GError *error = NULL;
  GList *items;

  items = secret_password_search_finish (result, &error);
  if (error != NULL)
    {
      return_error (task, error);
      return;
    }

  if (items != NULL)
    g_task_return_new_error (task, MP_SECRETS_ERROR, MP_SECRETS_ERROR_UNAVAILABLE,
                             "%s", unavailable_message (op->kind, REASON_LOCKED));
  else
    g_task_return_new_error (task, MP_SECRETS_ERROR, MP_SECRETS_ERROR_NOT_FOUND,
                             _("No password is stored for this account"));
  g_list_free_full (items, g_object_unref);
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SecretsOp *op = g_task_get_task_data (task);
  GError *error = NULL;
  char *password;

  password = secret_password_lookup_nonpageable_finish (result, &error);
  if (error != NULL)
    {
      return_error (task, error);
      return;
    }

  if (password == NULL)
    {
      /* libsecret answers "nothing" also when the item is there but its
       * collection is locked and the unlock prompt failed; asking the
       * user for a password the keyring then refuses to store would be
       * wrong, so tell the two apart (without unlocking).
       */
      GCancellable *cancellable = g_task_get_cancellable (task);

      secret_password_searchv (get_schema (), op->attributes, SECRET_SEARCH_NONE,
                               cancellable, search_cb, g_steal_pointer (&task));
      return;
    }
  g_task_return_pointer (task, password, wipe_and_free);
}

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* FALSE without an error only means there was nothing to remove. */
  if (!secret_password_clear_finish (result, &error) && error != NULL)
    {
      return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
bus_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SecretsOp *op = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GDBusConnection) bus = NULL;
  GError *error = NULL;

  bus = g_bus_get_finish (result, &error);
  if (bus == NULL)
    {
      /* No session bus, or none could be autolaunched: no keyring. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_debug ("No session bus: %s", error->message);
          g_task_return_new_error (task, MP_SECRETS_ERROR, MP_SECRETS_ERROR_UNAVAILABLE,
                                   "%s (%s)", unavailable_message (op->kind, REASON_NO_SERVICE),
                                   error->message);
          g_error_free (error);
        }
      else
        g_task_return_error (task, error);
      return;
    }

  switch (op->kind)
    {
    case OP_STORE:
      secret_password_storev_binary (get_schema (), op->attributes, SECRET_COLLECTION_DEFAULT,
                                     op->label, op->value, cancellable,
                                     store_cb, g_steal_pointer (&task));
      break;
    case OP_LOOKUP:
      secret_password_lookupv (get_schema (), op->attributes, cancellable,
                               lookup_cb, g_steal_pointer (&task));
      break;
    case OP_CLEAR:
      secret_password_clearv (get_schema (), op->attributes, cancellable,
                              clear_cb, g_steal_pointer (&task));
      break;
    default:
      g_assert_not_reached ();
    }
}

/* The task of one public call, holding the operation for @account. */
static GTask *
secrets_task_new (SecretsOpKind        kind,
                  MpAccount           *account,
                  gpointer             source_tag,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, secrets_op_new (kind, account), (GDestroyNotify) secrets_op_free);
  return task;
}

/* Checks that @result is the task of the public call @source_tag. */
static gboolean
secrets_task_is_valid (GAsyncResult *result,
                       gpointer      source_tag)
{
  return g_task_is_valid (result, NULL) && g_task_get_source_tag (G_TASK (result)) == source_tag;
}

/* The _finish of a call that answers TRUE or an error. */
static gboolean
secrets_task_propagate_boolean (GAsyncResult  *result,
                                gpointer       source_tag,
                                GError       **error)
{
  g_return_val_if_fail (secrets_task_is_valid (result, source_tag), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * mp_secrets_store_password_async:
 * @account: the account (its id, host and user name the item)
 * @password: the password; copied into non-pageable memory, so the caller
 *   may wipe its copy as soon as this returns
 *
 * Stores the password in the default keyring collection, replacing any
 * earlier one for the account, and forgets its session password.
 * Fails with %MP_SECRETS_ERROR_UNAVAILABLE when there is no keyring.
 */
void
mp_secrets_store_password_async (MpAccount           *account,
                                 const char          *password,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SecretsOp *op;

  g_return_if_fail (MP_IS_ACCOUNT (account));
  g_return_if_fail (password != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = secrets_task_new (OP_STORE, account, mp_secrets_store_password_async,
                           cancellable, callback, user_data);
  op = g_task_get_task_data (task);
  op->value = secret_value_new (password, -1, "text/plain");

  g_bus_get (G_BUS_TYPE_SESSION, cancellable, bus_cb, g_steal_pointer (&task));
}

gboolean
mp_secrets_store_password_finish (GAsyncResult  *result,
                                  GError       **error)
{
  return secrets_task_propagate_boolean (result, mp_secrets_store_password_async, error);
}

/**
 * mp_secrets_lookup_password_async:
 *
 * Looks up the account's password: the session password if one is set
 * (mp_secrets_set_session_password()), else the keyring's.
 */
void
mp_secrets_lookup_password_async (MpAccount           *account,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SecretsOp *op;
  char *session_password;

  g_return_if_fail (MP_IS_ACCOUNT (account));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = secrets_task_new (OP_LOOKUP, account, mp_secrets_lookup_password_async,
                           cancellable, callback, user_data);
  op = g_task_get_task_data (task);

  session_password = dup_session_password (op->session_key);
  if (session_password != NULL)
    {
      g_task_return_pointer (task, session_password, wipe_and_free);
      return;
    }

  g_bus_get (G_BUS_TYPE_SESSION, cancellable, bus_cb, g_steal_pointer (&task));
}

/**
 * mp_secrets_lookup_password_finish:
 *
 * Returns: (transfer full): the password, to be released with
 *   mp_secrets_free_password(); or %NULL with %MP_SECRETS_ERROR_NOT_FOUND,
 *   %MP_SECRETS_ERROR_UNAVAILABLE or %MP_SECRETS_ERROR_FAILED
 */
char *
mp_secrets_lookup_password_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (secrets_task_is_valid (result, mp_secrets_lookup_password_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * mp_secrets_clear_password_async:
 *
 * Forgets the account's session password and removes its password from
 * the keyring. Removing a password that is not there is not an error.
 */
void
mp_secrets_clear_password_async (MpAccount           *account,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SecretsOp *op;

  g_return_if_fail (MP_IS_ACCOUNT (account));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = secrets_task_new (OP_CLEAR, account, mp_secrets_clear_password_async,
                           cancellable, callback, user_data);
  op = g_task_get_task_data (task);

  set_session_password (op->session_key, NULL);
  g_bus_get (G_BUS_TYPE_SESSION, cancellable, bus_cb, g_steal_pointer (&task));
}

gboolean
mp_secrets_clear_password_finish (GAsyncResult  *result,
                                  GError       **error)
{
  return secrets_task_propagate_boolean (result, mp_secrets_clear_password_async, error);
}

/**
 * mp_secrets_set_session_password:
 * @password: (nullable): the password, or %NULL to forget it
 *
 * Keeps a password in this process only, for when there is no keyring or
 * the user chose "remember for this session". Lookups return it before
 * asking the keyring; it is wiped when replaced or cleared.
 */
void
mp_secrets_set_session_password (MpAccount  *account,
                                 const char *password)
{
  g_autoptr(SecretsOp) op = NULL;

  g_return_if_fail (MP_IS_ACCOUNT (account));

  op = secrets_op_new (OP_LOOKUP, account);
  set_session_password (op->session_key, password);
}

/**
 * mp_secrets_free_password:
 * @password: (nullable) (transfer full): a password from
 *   mp_secrets_lookup_password_finish()
 *
 * Overwrites the password and frees it.
 */
void
mp_secrets_free_password (char *password)
{
  secret_password_free (password);
}
