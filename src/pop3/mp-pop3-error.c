/* mp-pop3-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "mp-pop3-error.h"

G_DEFINE_QUARK (mp-pop3-error-quark, mp_pop3_error)
