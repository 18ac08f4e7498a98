/* mp-account-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "mp-account.h"

G_BEGIN_DECLS

void mp_account_unbind_settings (MpAccount *self);

G_END_DECLS
