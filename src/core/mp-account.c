/* mp-account.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-account"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mp-account.h"
#include "mp-account-private.h"
#include "mp-mailbox-state.h"

/* An account is a plain GObject whose properties, when it comes from the
 * store, are bound both ways to its relocatable GSettings: the UI can bind
 * widgets to the properties (or to the settings) and the poller can watch
 * notify:: signals, and a change made by another process (the CLI, dconf)
 * reaches both. Detached accounts (mp_account_new()) keep the same
 * properties in memory only.
 *
 * String properties are never NULL: GSettings has no NULL string, and an
 * empty string is how the schema says "unset".
 */

struct _MpAccount
{
  GObject    parent_instance;

  char      *id;
  GSettings *settings;

  char      *name;
  char      *host;
  /* Numbers, enums and booleans (0 or 1) alike are guint, so one
   * setter serves them all.
   */
  guint      port;
  guint      security;  /* MpPop3Security */
  char      *user;
  guint      auth;      /* MpPop3AuthMethod */
  guint      interval;
  guint      timeout;
  guint      enabled;
  char      *pinned_fingerprint;
  char      *cafile;
  guint      notify;
  char      *download_folder;
};

G_DEFINE_FINAL_TYPE (MpAccount, mp_account, G_TYPE_OBJECT)

G_DEFINE_QUARK (mp-account-error-quark, mp_account_error)

enum {
  PROP_0,
  PROP_ID,
  PROP_SETTINGS,
  PROP_NAME,
  PROP_HOST,
  PROP_PORT,
  PROP_SECURITY,
  PROP_USER,
  PROP_AUTH,
  PROP_INTERVAL,
  PROP_TIMEOUT,
  PROP_ENABLED,
  PROP_PINNED_FINGERPRINT,
  PROP_CAFILE,
  PROP_NOTIFY,
  PROP_DOWNLOAD_FOLDER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Property → settings key, for every property that is bound. The property
 * and key names are the same on purpose; the table only lists them.
 */
static const guint bound_props[] = {
  PROP_NAME, PROP_HOST, PROP_PORT, PROP_SECURITY, PROP_USER, PROP_AUTH,
  PROP_INTERVAL, PROP_TIMEOUT, PROP_ENABLED, PROP_PINNED_FINGERPRINT, PROP_CAFILE,
  PROP_NOTIFY, PROP_DOWNLOAD_FOLDER,
};

/* The schema keeps security and auth as enum nicks; the properties are ints
 * holding MpPop3Security and MpPop3AuthMethod (the schema's enum values are
 * the same numbers, but g_settings_bind() only maps nicks to registered
 * GEnum types, which the engine does not have).
 */
static gboolean
security_get_mapping (GValue   *value,
                      GVariant *variant,
                      gpointer  user_data)
{
  MpPop3Security security;

  if (!mp_pop3_security_from_string (g_variant_get_string (variant, NULL), &security))
    return FALSE;
  g_value_set_int (value, security);
  return TRUE;
}

static GVariant *
security_set_mapping (const GValue       *value,
                      const GVariantType *expected_type,
                      gpointer            user_data)
{
  const char *nick = mp_pop3_security_to_string (g_value_get_int (value));

  return nick != NULL ? g_variant_new_string (nick) : NULL;
}

static gboolean
auth_get_mapping (GValue   *value,
                  GVariant *variant,
                  gpointer  user_data)
{
  MpPop3AuthMethod auth;

  if (!mp_pop3_auth_method_from_string (g_variant_get_string (variant, NULL), &auth))
    return FALSE;
  g_value_set_int (value, auth);
  return TRUE;
}

static GVariant *
auth_set_mapping (const GValue       *value,
                  const GVariantType *expected_type,
                  gpointer            user_data)
{
  const char *nick = mp_pop3_auth_method_to_string (g_value_get_int (value));

  return nick != NULL ? g_variant_new_string (nick) : NULL;
}

/* The setters: each stores the value in its field and notifies its
 * property when the value changed.
 */
static void
set_string (MpAccount   *self,
            char       **field,
            const char  *value,
            guint        prop_id)
{
  if (value == NULL)
    value = "";
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
set_uint (MpAccount *self,
          guint     *field,
          guint      value,
          guint      prop_id)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
mp_account_constructed (GObject *object)
{
  MpAccount *self = MP_ACCOUNT (object);

  G_OBJECT_CLASS (mp_account_parent_class)->constructed (object);

  if (self->settings == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (bound_props); i++)
    {
      const char *name = g_param_spec_get_name (properties[bound_props[i]]);

      if (bound_props[i] == PROP_SECURITY)
        g_settings_bind_with_mapping (self->settings, name, self, name,
                                      G_SETTINGS_BIND_DEFAULT,
                                      security_get_mapping, security_set_mapping,
                                      NULL, NULL);
      else if (bound_props[i] == PROP_AUTH)
        g_settings_bind_with_mapping (self->settings, name, self, name,
                                      G_SETTINGS_BIND_DEFAULT,
                                      auth_get_mapping, auth_set_mapping,
                                      NULL, NULL);
      else
        g_settings_bind (self->settings, name, self, name, G_SETTINGS_BIND_DEFAULT);
    }
}

/**
 * mp_account_unbind_settings:
 *
 * Cuts the account loose from its settings and keeps the current values
 * in memory. The store calls this before it resets the keys of a removed
 * account, so that whoever still holds the object sees the account as it
 * was rather than the schema defaults.
 */
void
mp_account_unbind_settings (MpAccount *self)
{
  g_return_if_fail (MP_IS_ACCOUNT (self));

  if (self->settings == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (bound_props); i++)
    g_settings_unbind (self, g_param_spec_get_name (properties[bound_props[i]]));
  g_clear_object (&self->settings);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTINGS]);
}

static void
mp_account_dispose (GObject *object)
{
  MpAccount *self = MP_ACCOUNT (object);

  /* The bindings hold no reference on us, but they would write to a
   * finalized object if the settings outlived it.
   */
  if (self->settings != NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (bound_props); i++)
        g_settings_unbind (self, g_param_spec_get_name (properties[bound_props[i]]));
      g_clear_object (&self->settings);
    }

  G_OBJECT_CLASS (mp_account_parent_class)->dispose (object);
}

static void
mp_account_finalize (GObject *object)
{
  MpAccount *self = MP_ACCOUNT (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->host);
  g_free (self->user);
  g_free (self->pinned_fingerprint);
  g_free (self->cafile);
  g_free (self->download_folder);

  G_OBJECT_CLASS (mp_account_parent_class)->finalize (object);
}

static void
mp_account_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  MpAccount *self = MP_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_SECURITY:
      g_value_set_int (value, self->security);
      break;
    case PROP_USER:
      g_value_set_string (value, self->user);
      break;
    case PROP_AUTH:
      g_value_set_int (value, self->auth);
      break;
    case PROP_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;

    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;
    case PROP_PINNED_FINGERPRINT:
      g_value_set_string (value, self->pinned_fingerprint);
      break;
    case PROP_CAFILE:
      g_value_set_string (value, self->cafile);
      break;
    case PROP_NOTIFY:
      g_value_set_boolean (value, self->notify);
      break;
    case PROP_DOWNLOAD_FOLDER:
      g_value_set_string (value, self->download_folder);
      break;
    case PROP_0:
    case N_PROPS:
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_account_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  MpAccount *self = MP_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    case PROP_NAME:
      mp_account_set_name (self, g_value_get_string (value));
      break;
    case PROP_HOST:
      mp_account_set_host (self, g_value_get_string (value));
      break;
    case PROP_PORT:
      mp_account_set_port (self, g_value_get_uint (value));
      break;
    case PROP_SECURITY:
      mp_account_set_security (self, g_value_get_int (value));
      break;
    case PROP_USER:
      mp_account_set_user (self, g_value_get_string (value));
      break;
    case PROP_AUTH:
      mp_account_set_auth (self, g_value_get_int (value));
      break;
    case PROP_INTERVAL:
      mp_account_set_interval (self, g_value_get_uint (value));
      break;

    case PROP_TIMEOUT:
      mp_account_set_timeout (self, g_value_get_uint (value));
      break;
    case PROP_ENABLED:
      mp_account_set_enabled (self, g_value_get_boolean (value));
      break;
    case PROP_PINNED_FINGERPRINT:
      mp_account_set_pinned_fingerprint (self, g_value_get_string (value));
      break;
    case PROP_CAFILE:
      mp_account_set_cafile (self, g_value_get_string (value));
      break;
    case PROP_NOTIFY:
      mp_account_set_notify (self, g_value_get_boolean (value));
      break;
    case PROP_DOWNLOAD_FOLDER:
      mp_account_set_download_folder (self, g_value_get_string (value));
      break;
    case PROP_0:
    case N_PROPS:
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_account_class_init (MpAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = mp_account_constructed;
  object_class->dispose = mp_account_dispose;
  object_class->finalize = mp_account_finalize;
  object_class->get_property = mp_account_get_property;
  object_class->set_property = mp_account_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, "", flags);
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, "", flags);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0, flags);
  properties[PROP_SECURITY] =
    g_param_spec_int ("security", NULL, NULL,
                      MP_POP3_SECURITY_TLS, MP_POP3_SECURITY_NONE, MP_POP3_SECURITY_TLS, flags);
  properties[PROP_USER] = g_param_spec_string ("user", NULL, NULL, "", flags);
  properties[PROP_AUTH] =
    g_param_spec_int ("auth", NULL, NULL,
                      MP_POP3_AUTH_AUTO, MP_POP3_AUTH_CRAM_MD5, MP_POP3_AUTH_AUTO, flags);
  properties[PROP_INTERVAL] =
    g_param_spec_uint ("interval", NULL, NULL,
                       MP_ACCOUNT_MIN_INTERVAL, MP_ACCOUNT_MAX_INTERVAL,
                       MP_ACCOUNT_DEFAULT_INTERVAL, flags);
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL,
                       MP_ACCOUNT_MIN_TIMEOUT, MP_ACCOUNT_MAX_TIMEOUT,
                       MP_ACCOUNT_DEFAULT_TIMEOUT, flags);
  properties[PROP_ENABLED] = g_param_spec_boolean ("enabled", NULL, NULL, TRUE, flags);
  properties[PROP_PINNED_FINGERPRINT] =
    g_param_spec_string ("pinned-fingerprint", NULL, NULL, "", flags);
  properties[PROP_CAFILE] = g_param_spec_string ("cafile", NULL, NULL, "", flags);
  properties[PROP_NOTIFY] = g_param_spec_boolean ("notify", NULL, NULL, TRUE, flags);
  properties[PROP_DOWNLOAD_FOLDER] =
    g_param_spec_string ("download-folder", NULL, NULL, "", flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mp_account_init (MpAccount *self)
{
  self->name = g_strdup ("");
  self->host = g_strdup ("");
  self->user = g_strdup ("");
  self->pinned_fingerprint = g_strdup ("");
  self->cafile = g_strdup ("");
  self->download_folder = g_strdup ("");
  self->security = MP_POP3_SECURITY_TLS;
  self->auth = MP_POP3_AUTH_AUTO;
  self->interval = MP_ACCOUNT_DEFAULT_INTERVAL;
  self->timeout = MP_ACCOUNT_DEFAULT_TIMEOUT;
  self->enabled = TRUE;
  self->notify = TRUE;
}

/**
 * mp_account_new:
 * @id: (nullable): an id, or %NULL for an account that has none (`--url`)
 *
 * Returns: (transfer full): a detached account, kept in memory only
 */
MpAccount *
mp_account_new (const char *id)
{
  return g_object_new (MP_TYPE_ACCOUNT, "id", id, NULL);
}

/**
 * mp_account_new_for_settings:
 * @id: the account's id
 * @settings: an io.github.mailpeek.Mailpeek.Account settings object
 *
 * Returns: (transfer full): an account whose properties are bound both
 *   ways to @settings
 */
MpAccount *
mp_account_new_for_settings (const char *id,
                             GSettings  *settings)
{
  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (MP_TYPE_ACCOUNT, "id", id, "settings", settings, NULL);
}

const char *
mp_account_get_id (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), NULL);
  return self->id;
}

/**
 * mp_account_get_settings:
 *
 * Returns: (transfer none) (nullable): the settings the account is bound
 *   to, or %NULL for a detached account
 */
GSettings *
mp_account_get_settings (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), NULL);
  return self->settings;
}

const char *
mp_account_get_name (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), NULL);
  return self->name;
}

void
mp_account_set_name (MpAccount  *self,
                     const char *name)
{
  g_return_if_fail (MP_IS_ACCOUNT (self));
  set_string (self, &self->name, name, PROP_NAME);
}

const char *
mp_account_get_host (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), NULL);
  return self->host;
}

void
mp_account_set_host (MpAccount  *self,
                     const char *host)
{
  g_return_if_fail (MP_IS_ACCOUNT (self));
  set_string (self, &self->host, host, PROP_HOST);
}

/**
 * mp_account_get_port:
 *
 * Returns: the configured port; 0 means the default port of the security
 *   mode (see mp_account_get_effective_port())
 */
guint16
mp_account_get_port (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), 0);
  return self->port;
}

void
mp_account_set_port (MpAccount *self,
                     guint16    port)
{
  g_return_if_fail (MP_IS_ACCOUNT (self));
  set_uint (self, &self->port, port, PROP_PORT);
}

/**
 * mp_account_get_effective_port:
 *
 * Returns: the port to connect to: the configured one, or the default of
 *   the security mode when none is configured
 */
guint16
mp_account_get_effective_port (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), 0);
  if (self->port != 0)
    return self->port;
  return mp_pop3_security_default_port (self->security);
}

MpPop3Security
mp_account_get_security (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), MP_POP3_SECURITY_TLS);
  return self->security;
}

void
mp_account_set_security (MpAccount      *self,
                         MpPop3Security  security)
{
  g_return_if_fail (MP_IS_ACCOUNT (self));
  g_return_if_fail (security <= MP_POP3_SECURITY_NONE);
  set_uint (self, &self->security, security, PROP_SECURITY);
}

const char *
mp_account_get_user (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), NULL);
  return self->user;
}

void
mp_account_set_user (MpAccount  *self,
                     const char *user)
{
  g_return_if_fail (MP_IS_ACCOUNT (self));
  set_string (self, &self->user, user, PROP_USER);
}

MpPop3AuthMethod
mp_account_get_auth (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), MP_POP3_AUTH_AUTO);
  return self->auth;
}

void
mp_account_set_auth (MpAccount        *self,
                     MpPop3AuthMethod  auth)
{
  g_return_if_fail (MP_IS_ACCOUNT (self));
  g_return_if_fail (auth <= MP_POP3_AUTH_CRAM_MD5);
  set_uint (self, &self->auth, auth, PROP_AUTH);
}

/**
 * mp_account_get_interval:
 *
 * Returns: the minutes between two checks, within
 *   %MP_ACCOUNT_MIN_INTERVAL … %MP_ACCOUNT_MAX_INTERVAL
 */
guint
mp_account_get_interval (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), MP_ACCOUNT_DEFAULT_INTERVAL);
  return self->interval;
}

void
mp_account_set_interval (MpAccount *self,
                         guint      minutes)
{
  g_return_if_fail (MP_IS_ACCOUNT (self));
  /* The schema has the same range; a value outside it could not be saved. */
  g_return_if_fail (minutes >= MP_ACCOUNT_MIN_INTERVAL && minutes <= MP_ACCOUNT_MAX_INTERVAL);
  set_uint (self, &self->interval, minutes, PROP_INTERVAL);
}

/**
 * mp_account_get_timeout:
 *
 * Returns: the seconds of silence after which a session with the server
 *   gives up, within %MP_ACCOUNT_MIN_TIMEOUT … %MP_ACCOUNT_MAX_TIMEOUT
 */
guint
mp_account_get_timeout (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), MP_ACCOUNT_DEFAULT_TIMEOUT);
  return self->timeout;
}

void
mp_account_set_timeout (MpAccount *self,
                        guint      seconds)
{
  g_return_if_fail (MP_IS_ACCOUNT (self));
  /* The schema has the same range; a value outside it could not be saved. */
  g_return_if_fail (seconds >= MP_ACCOUNT_MIN_TIMEOUT && seconds <= MP_ACCOUNT_MAX_TIMEOUT);
  set_uint (self, &self->timeout, seconds, PROP_TIMEOUT);
}

gboolean
mp_account_get_enabled (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), FALSE);
  return self->enabled;
}

void
mp_account_set_enabled (MpAccount *self,
                        gboolean   enabled)
{
  g_return_if_fail (MP_IS_ACCOUNT (self));
  set_uint (self, &self->enabled, !!enabled, PROP_ENABLED);
}

/**
 * mp_account_get_pinned_fingerprint:
 *
 * Returns: the pinned SHA-256 fingerprint, or "" when none is pinned
 */
const char *
mp_account_get_pinned_fingerprint (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), NULL);
  return self->pinned_fingerprint;
}

void
mp_account_set_pinned_fingerprint (MpAccount  *self,
                                   const char *fingerprint)
{
  g_return_if_fail (MP_IS_ACCOUNT (self));
  set_string (self, &self->pinned_fingerprint, fingerprint, PROP_PINNED_FINGERPRINT);
}

/**
 * mp_account_get_cafile:
 *
 * Returns: the path of an extra CA file, or "" for none
 */
const char *
mp_account_get_cafile (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), NULL);
  return self->cafile;
}

void
mp_account_set_cafile (MpAccount  *self,
                       const char *cafile)
{
  g_return_if_fail (MP_IS_ACCOUNT (self));
  set_string (self, &self->cafile, cafile, PROP_CAFILE);
}

gboolean
mp_account_get_notify (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), FALSE);
  return self->notify;
}

void
mp_account_set_notify (MpAccount *self,
                       gboolean   notify)
{
  g_return_if_fail (MP_IS_ACCOUNT (self));
  set_uint (self, &self->notify, !!notify, PROP_NOTIFY);
}

/**
 * mp_account_get_download_folder:
 *
 * Returns: the account's download folder, or "" for the global one
 */
const char *
mp_account_get_download_folder (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), NULL);
  return self->download_folder;
}

void
mp_account_set_download_folder (MpAccount  *self,
                                const char *folder)
{
  g_return_if_fail (MP_IS_ACCOUNT (self));
  set_string (self, &self->download_folder, folder, PROP_DOWNLOAD_FOLDER);
}

/**
 * mp_account_generate_id:
 *
 * Returns: (transfer full): a new random account id: 32 lowercase hex
 *   digits, usable as a GSettings path element and a file name
 */
char *
mp_account_generate_id (void)
{
  g_autofree char *uuid = g_uuid_string_random ();
  GString *id = g_string_sized_new (32);

  for (const char *p = uuid; *p != '\0'; p++)
    if (*p != '-')
      g_string_append_c (id, *p);
  return g_string_free (id, FALSE);
}

/**
 * mp_account_id_is_valid:
 *
 * Ids name a GSettings path (/io/github/mailpeek/Mailpeek/accounts/ID/)
 * and a state file, so only letters, digits, '-' and '_' are allowed.
 *
 * Returns: whether @id can be an account id
 */
gboolean
mp_account_id_is_valid (const char *id)
{
  gsize len;

  if (id == NULL)
    return FALSE;
  len = strlen (id);
  if (len == 0 || len > 64)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/**
 * mp_account_dup_label:
 *
 * Returns: (transfer full): "user@host:port", with an IPv6 address in
 *   brackets ("user@[::1]:995"), as shown to the user and in JSON output
 */
char *
mp_account_dup_label (MpAccount *self)
{
  g_return_val_if_fail (MP_IS_ACCOUNT (self), NULL);

  if (strchr (self->host, ':') != NULL)
    return g_strdup_printf ("%s@[%s]:%u", self->user, self->host,
                            mp_account_get_effective_port (self));
  return g_strdup_printf ("%s@%s:%u", self->user, self->host,
                          mp_account_get_effective_port (self));
}

/**
 * mp_account_dup_state_key:
 *
 * Returns: (transfer full): the name under which the account's mailbox
 *   state is kept (see mp-mailbox-state.h): the id for a stored account,
 *   the label for a detached one, escaped once by
 *   mp_mailbox_state_escape_key(). Always a safe file name: no '/', no
 *   leading '.', at most 160 bytes. A detached key keeps the label's '@'
 *   and a valid id has none, so the two never meet.
 */
char *
mp_account_dup_state_key (MpAccount *self)
{
  g_autofree char *label = NULL;

  g_return_val_if_fail (MP_IS_ACCOUNT (self), NULL);

  if (self->id != NULL && *self->id != '\0')
    return mp_mailbox_state_escape_key (self->id);

  label = mp_account_dup_label (self);
  return mp_mailbox_state_escape_key (label);
}

/**
 * mp_account_create_client:
 * @timeout: seconds of silence after which a session gives up
 *
 * Returns: (transfer full): a client for the account's server with its
 *   security mode, extra CA file and pinned fingerprint applied, or %NULL
 *   when the account has no host or the CA file or pin cannot be used
 */
MpPop3Client *
mp_account_create_client (MpAccount  *self,
                          guint       timeout,
                          GError    **error)
{
  g_autoptr(MpPop3Client) client = NULL;

  g_return_val_if_fail (MP_IS_ACCOUNT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (*self->host == '\0')
    {
      g_set_error_literal (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_INVALID,
                           _("The account has no server name"));
      return NULL;
    }

  client = mp_pop3_client_new (self->host, mp_account_get_effective_port (self), self->security);
  mp_pop3_client_set_timeout (client, timeout);

  if (*self->cafile != '\0' && !mp_pop3_client_set_ca_file (client, self->cafile, error))
    return NULL;

  if (*self->pinned_fingerprint != '\0' &&
      !mp_pop3_client_set_pinned_fingerprint (client, self->pinned_fingerprint, error))
    return NULL;

  return g_steal_pointer (&client);
}
