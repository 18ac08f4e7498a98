/* mp-poller-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a mailbox asks of its poller: a session slot (all mailboxes share
 * the poller's limit), the clock, the network, the password.
 */

#pragma once

#include "mp-clock.h"
#include "mp-mailbox.h"
#include "mp-poller.h"

G_BEGIN_DECLS

void      mp_poller_request_session       (MpPoller            *self,
                                           MpMailbox           *mailbox);
void      mp_poller_withdraw_request      (MpPoller            *self,
                                           MpMailbox           *mailbox);
void      mp_poller_release_session       (MpPoller            *self);
gboolean  mp_poller_is_online             (MpPoller            *self);
guint     mp_poller_get_session_timeout   (MpPoller            *self);
void      mp_poller_lookup_password_async (MpPoller            *self,
                                           MpAccount           *account,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
char     *mp_poller_lookup_password_finish (MpPoller           *self,
                                            GAsyncResult       *result,
                                            GError            **error);
void      mp_poller_mailbox_polled        (MpPoller            *self,
                                           MpMailbox           *mailbox,
                                           MpPollResult        *result,
                                           gboolean             changed);

G_END_DECLS
