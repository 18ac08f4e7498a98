/* mp-pop3-types.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * MpPop3Security:
 * @MP_POP3_SECURITY_TLS: implicit TLS from the first byte (port 995)
 * @MP_POP3_SECURITY_STARTTLS: cleartext greeting, then STLS; the session
 *   stops if STLS is not offered or fails
 * @MP_POP3_SECURITY_NONE: no encryption, chosen explicitly by the user
 */
typedef enum
{
  MP_POP3_SECURITY_TLS,       /*< nick=tls >*/
  MP_POP3_SECURITY_STARTTLS,  /*< nick=starttls >*/
  MP_POP3_SECURITY_NONE,      /*< nick=none >*/
} MpPop3Security;

/**
 * MpPop3AuthMethod:
 * @MP_POP3_AUTH_AUTO: the best method the server offers (see
 *   mp_pop3_client_login_async())
 * @MP_POP3_AUTH_USER: USER/PASS
 * @MP_POP3_AUTH_APOP: APOP (RFC 1939 §7)
 * @MP_POP3_AUTH_PLAIN: SASL PLAIN (RFC 5034, RFC 4616)
 * @MP_POP3_AUTH_LOGIN: SASL LOGIN
 * @MP_POP3_AUTH_CRAM_MD5: SASL CRAM-MD5 (RFC 2195)
 */
typedef enum
{
  MP_POP3_AUTH_AUTO,      /*< nick=auto >*/
  MP_POP3_AUTH_USER,      /*< nick=user >*/
  MP_POP3_AUTH_APOP,      /*< nick=apop >*/
  MP_POP3_AUTH_PLAIN,     /*< nick=plain >*/
  MP_POP3_AUTH_LOGIN,     /*< nick=login >*/
  MP_POP3_AUTH_CRAM_MD5,  /*< nick=cram-md5 >*/
} MpPop3AuthMethod;

const char       *mp_pop3_security_to_string    (MpPop3Security    security);
gboolean          mp_pop3_security_from_string  (const char       *str,
                                                 MpPop3Security   *security);
guint16           mp_pop3_security_default_port (MpPop3Security    security);
const char       *mp_pop3_auth_method_to_string (MpPop3AuthMethod  method);
gboolean          mp_pop3_auth_method_from_string (const char     *str,
                                                   MpPop3AuthMethod *method);

G_END_DECLS

#include "mp-pop3-enums.h"
