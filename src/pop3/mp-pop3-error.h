/* mp-pop3-error.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MP_POP3_ERROR (mp_pop3_error_quark ())

/**
 * MpPop3Error:
 * @MP_POP3_ERROR_FAILED: the server answered `-ERR` without a code we know
 * @MP_POP3_ERROR_PROTOCOL: the server broke the protocol (garbage where a
 *   status line belongs, a bad APOP timestamp, an impossible SASL challenge…)
 * @MP_POP3_ERROR_LINE_TOO_LONG: a status line longer than the hard limit
 * @MP_POP3_ERROR_REPLY_TOO_LARGE: a multi-line reply larger than the cap
 *   the caller set
 * @MP_POP3_ERROR_CLOSED: the server closed the connection
 * @MP_POP3_ERROR_TIMED_OUT: no answer within the timeout
 * @MP_POP3_ERROR_TLS_UNAVAILABLE: the server does not offer STLS, or
 *   refused it; the session stops before anything secret is sent
 * @MP_POP3_ERROR_TLS_FAILED: the TLS handshake failed for a reason other
 *   than an untrusted certificate
 * @MP_POP3_ERROR_CERTIFICATE: the server certificate is not trusted; the
 *   client's #MpPop3Client:peer-certificate holds it so the caller can offer
 *   to pin its fingerprint
 * @MP_POP3_ERROR_AUTH: the credentials were refused (`[AUTH]`, or a
 *   refused PASS / AUTH without a code)
 * @MP_POP3_ERROR_AUTH_UNSUPPORTED: no authentication method both sides
 *   accept (or the chosen one is not offered)
 * @MP_POP3_ERROR_IN_USE: `[IN-USE]`: another session holds the maildrop
 * @MP_POP3_ERROR_LOGIN_DELAY: `[LOGIN-DELAY]`: logged in too recently
 * @MP_POP3_ERROR_SYS_TEMP: `[SYS/TEMP]`: a transient server problem
 * @MP_POP3_ERROR_SYS_PERM: `[SYS/PERM]`: a permanent server problem
 * @MP_POP3_ERROR_NOT_SUPPORTED: the server does not support a command
 *   (for example UIDL)
 * @MP_POP3_ERROR_INVALID_ARGUMENT: the caller passed something that cannot
 *   go on the wire (CR or LF in a user name or password, …)
 * @MP_POP3_ERROR_NOT_CONNECTED: the session is closed or not yet logged in
 *
 * Cancellation is reported as %G_IO_ERROR_CANCELLED, as everywhere in GIO.
 */
typedef enum
{
  MP_POP3_ERROR_FAILED,
  MP_POP3_ERROR_PROTOCOL,
  MP_POP3_ERROR_LINE_TOO_LONG,
  MP_POP3_ERROR_REPLY_TOO_LARGE,
  MP_POP3_ERROR_CLOSED,
  MP_POP3_ERROR_TIMED_OUT,
  MP_POP3_ERROR_TLS_UNAVAILABLE,
  MP_POP3_ERROR_TLS_FAILED,
  MP_POP3_ERROR_CERTIFICATE,
  MP_POP3_ERROR_AUTH,
  MP_POP3_ERROR_AUTH_UNSUPPORTED,
  MP_POP3_ERROR_IN_USE,
  MP_POP3_ERROR_LOGIN_DELAY,
  MP_POP3_ERROR_SYS_TEMP,
  MP_POP3_ERROR_SYS_PERM,
  MP_POP3_ERROR_NOT_SUPPORTED,
  MP_POP3_ERROR_INVALID_ARGUMENT,
  MP_POP3_ERROR_NOT_CONNECTED,
} MpPop3Error;

GQuark mp_pop3_error_quark (void);

G_END_DECLS

#include "mp-pop3-enums.h"
