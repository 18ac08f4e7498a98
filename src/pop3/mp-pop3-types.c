/* mp-pop3-types.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "mp-pop3-types.h"

static const char * const security_names[] = { "tls", "starttls", "none" };
static const char * const auth_names[] = { "auto", "user", "apop", "plain", "login", "cram-md5" };

const char *
mp_pop3_security_to_string (MpPop3Security security)
{
  g_return_val_if_fail (security <= MP_POP3_SECURITY_NONE, NULL);
  return security_names[security];
}

gboolean
mp_pop3_security_from_string (const char     *str,
                              MpPop3Security *security)
{
  for (guint i = 0; i < G_N_ELEMENTS (security_names); i++)
    {
      if (str != NULL && g_ascii_strcasecmp (str, security_names[i]) == 0)
        {
          *security = i;
          return TRUE;
        }
    }
  return FALSE;
}

guint16
mp_pop3_security_default_port (MpPop3Security security)
{
  return security == MP_POP3_SECURITY_TLS ? 995 : 110;
}

const char *
mp_pop3_auth_method_to_string (MpPop3AuthMethod method)
{
  g_return_val_if_fail (method <= MP_POP3_AUTH_CRAM_MD5, NULL);
  return auth_names[method];
}

gboolean
mp_pop3_auth_method_from_string (const char       *str,
                                 MpPop3AuthMethod *method)
{
  for (guint i = 0; i < G_N_ELEMENTS (auth_names); i++)
    {
      if (str != NULL && g_ascii_strcasecmp (str, auth_names[i]) == 0)
        {
          *method = i;
          return TRUE;
        }
    }
  return FALSE;
}
