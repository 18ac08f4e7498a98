/* mp-pop3-sasl.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The messages of the POP3 login methods as pure functions: no I/O, no
 * session, so each can be tested alone against the RFCs' examples.
 * Everything returned that holds or derives from a password is the
 * caller's to wipe (explicit_bzero) and free.
 */

#pragma once

#include <glib.h>

#include "mp-pop3-error.h"

G_BEGIN_DECLS

/* RFC 5034 §4: the AUTH command with its initial response must fit in
 * 255 octets, CRLF included.
 */
#define MP_POP3_SASL_MAX_LINE 255

gboolean  mp_pop3_sasl_is_base64          (const char  *text);
char     *mp_pop3_sasl_plain_message      (const char  *user,
                                           const char  *password);
char     *mp_pop3_sasl_login_response     (const char  *secret);
char     *mp_pop3_sasl_cram_md5_response  (const char  *user,
                                           const char  *password,
                                           const char  *challenge,
                                           GError     **error);
char     *mp_pop3_apop_extract_timestamp  (const char  *greeting);
char     *mp_pop3_apop_digest             (const char  *timestamp,
                                           const char  *password);

G_END_DECLS
