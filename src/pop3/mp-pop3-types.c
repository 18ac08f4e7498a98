/* mp-pop3-types.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The strings of the enums are the nicks of their generated GTypes
 * (mp-pop3-enums.h), the same strings the settings schema and the command
 * line use; these wrappers only keep the callers short.
 */

#include "config.h"

#include "mp-pop3-types.h"

static const char *
enum_to_nick (GType type,
              int   value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *found = g_enum_get_value (klass, value);

  /* The class of a static enum type lives as long as the program, so the
   * nick outlives the reference.
   */
  return found ? found->value_nick : NULL;
}

static gboolean
enum_from_nick (GType       type,
                const char *str,
                int        *value)
{
  g_autoptr(GEnumClass) klass = NULL;

  if (str == NULL)
    return FALSE;

  klass = g_type_class_ref (type);
  /* Case-insensitive, as the hand-written tables were, for --security=TLS. */
  for (guint i = 0; i < klass->n_values; i++)
    {
      if (g_ascii_strcasecmp (str, klass->values[i].value_nick) == 0)
        {
          *value = klass->values[i].value;
          return TRUE;
        }
    }
  return FALSE;
}

/**
 * mp_pop3_security_to_string:
 *
 * Returns: (transfer none): "tls", "starttls" or "none"
 */
const char *
mp_pop3_security_to_string (MpPop3Security security)
{
  const char *nick = enum_to_nick (MP_TYPE_POP3_SECURITY, security);

  g_return_val_if_fail (nick != NULL, NULL);
  return nick;
}

/**
 * mp_pop3_security_from_string:
 * @str: (nullable): a nick of #MpPop3Security, in any case
 * @security: (out): the value, set only on success
 */
gboolean
mp_pop3_security_from_string (const char     *str,
                              MpPop3Security *security)
{
  int value;

  if (!enum_from_nick (MP_TYPE_POP3_SECURITY, str, &value))
    return FALSE;
  *security = value;
  return TRUE;
}

guint16
mp_pop3_security_default_port (MpPop3Security security)
{
  return security == MP_POP3_SECURITY_TLS ? 995 : 110;
}

/**
 * mp_pop3_auth_method_to_string:
 *
 * Returns: (transfer none): "auto", "user", "apop", "plain", "login" or
 *   "cram-md5"
 */
const char *
mp_pop3_auth_method_to_string (MpPop3AuthMethod method)
{
  const char *nick = enum_to_nick (MP_TYPE_POP3_AUTH_METHOD, method);

  g_return_val_if_fail (nick != NULL, NULL);
  return nick;
}

/**
 * mp_pop3_auth_method_from_string:
 * @str: (nullable): a nick of #MpPop3AuthMethod, in any case
 * @method: (out): the value, set only on success
 */
gboolean
mp_pop3_auth_method_from_string (const char       *str,
                                 MpPop3AuthMethod *method)
{
  int value;

  if (!enum_from_nick (MP_TYPE_POP3_AUTH_METHOD, str, &value))
    return FALSE;
  *method = value;
  return TRUE;
}
