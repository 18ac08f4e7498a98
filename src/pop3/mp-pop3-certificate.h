/* mp-pop3-certificate.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "mp-pop3-error.h"

G_BEGIN_DECLS

char                *mp_pop3_certificate_get_fingerprint    (GTlsCertificate      *certificate);
char                *mp_pop3_normalize_fingerprint          (const char           *fingerprint,
                                                             GError              **error);

G_END_DECLS
