/* mp-test-state.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "mp-mailbox-state-private.h"

G_BEGIN_DECLS

/* What the mailbox-state tests share: building the snapshots a poll
 * hands to the state.
 */

MpMailboxSnapshot *mp_test_snapshot_new (void);
MpMessageInfo     *mp_test_snapshot_add (MpMailboxSnapshot *snapshot,
                                         const char        *uid,
                                         const char        *key,
                                         guint64            size,
                                         MpHeaders         *headers);

G_END_DECLS
