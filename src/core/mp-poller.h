/* mp-poller.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "mp-account.h"
#include "mp-account-store.h"
#include "mp-check.h"
#include "mp-clock.h"
#include "mp-mailbox.h"
#include "mp-mailbox-state.h"

G_BEGIN_DECLS

/**
 * MpPollResult:
 * @snapshot: (nullable): what the server holds, headers filled from the
 *   cache for known messages; %NULL when the poll failed
 * @n_new: messages the user has not been told about yet
 * @error: (nullable): why the poll failed
 * @save_error: (nullable): the state could not be written (the poll itself
 *   worked; the same messages may be announced again)
 * @login_delay: the LOGIN-DELAY the server advertised, in seconds, or 0
 * @top_sent: the TOP commands the session sent (0 for an unchanged
 *   mailbox whose headers are all cached)
 */
typedef struct
{
  MpMailboxSnapshot *snapshot;
  guint              n_new;
  GError            *error;
  GError            *save_error;
  guint              login_delay;
  guint              top_sent;
} MpPollResult;

void          mp_poll_result_free          (MpPollResult        *result);

void          mp_poll_account_async        (MpAccount           *account,
                                            MpMailboxState      *state,
                                            const char          *password,
                                            guint                timeout,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
MpPollResult *mp_poll_account_finish       (GAsyncResult        *result);

/**
 * MpRetryKind:
 * @MP_RETRY_NORMAL: poll again after the account's interval
 * @MP_RETRY_BACKOFF: a transient failure: retry sooner, then less often
 * @MP_RETRY_LOGIN_DELAY: the server wants fewer logins
 * @MP_RETRY_IN_USE: another client holds the maildrop
 * @MP_RETRY_NEVER: the user must act (password, certificate, TLS): no
 *   automatic retry until the account changes or a check is asked for
 */
typedef enum
{
  MP_RETRY_NORMAL,
  MP_RETRY_BACKOFF,
  MP_RETRY_LOGIN_DELAY,
  MP_RETRY_IN_USE,
  MP_RETRY_NEVER,
} MpRetryKind;

MpRetryKind   mp_poller_classify_error     (const GError        *error);
guint         mp_poller_next_delay         (MpRetryKind          kind,
                                            guint                failures,
                                            guint                interval_seconds,
                                            guint                login_delay_seconds);

#define MP_TYPE_POLLER (mp_poller_get_type ())

G_DECLARE_FINAL_TYPE (MpPoller, mp_poller, MP, POLLER, GObject)

/**
 * MpPoller:
 *
 * Owns one #MpMailbox per account and is a #GListModel of them: with
 * mp_poller_new_for_store(), the accounts of the store in its order (an
 * account added, changed, disabled or removed in GSettings, by this
 * process or another, appears, is polled again, stops, or disappears with
 * its work cancelled), followed by the accounts given to
 * mp_poller_add_account() (`--url`).
 *
 * It polls each enabled account on its own schedule, with a bounded
 * number of sessions at once shared by all mailboxes (polls, snippets,
 * downloads and deletes alike), exponential back-off on errors, respect
 * for `[LOGIN-DELAY]` and `[IN-USE]`, and no scheduled polls while
 * #GNetworkMonitor says the network is down (a poll soon after it
 * returns). With mp_poller_set_scheduling() %FALSE it polls only when
 * asked (mp_mailbox_check_async()), as `mailpeek --check` does.
 *
 * The schedule runs on an #MpClock (mp_poller_set_clock()), which tests
 * replace with a fake one.
 *
 * Signals (kept for the command line of before; new code binds to the
 * mailboxes): "account-polled" (MpAccount *account, MpPollResult *result)
 * after every poll, "account-changed" (MpAccount *account) when what a
 * front end shows of an account changed (new messages, gone messages,
 * error or recovery).
 */

MpPoller     *mp_poller_new                (void);
MpPoller     *mp_poller_new_for_store      (MpAccountStore      *store);
MpMailbox    *mp_poller_add_account        (MpPoller            *self,
                                            MpAccount           *account);
void          mp_poller_remove_account     (MpPoller            *self,
                                            MpAccount           *account);
MpMailbox    *mp_poller_lookup_mailbox     (MpPoller            *self,
                                            const char          *account_id);
MpMailbox    *mp_poller_find_mailbox       (MpPoller            *self,
                                            MpAccount           *account);
void          mp_poller_check_now          (MpPoller            *self,
                                            MpAccount           *account);
void          mp_poller_set_scheduling     (MpPoller            *self,
                                            gboolean             scheduling);
gboolean      mp_poller_get_scheduling     (MpPoller            *self);
void          mp_poller_set_clock          (MpPoller            *self,
                                            MpClock             *clock);
MpClock      *mp_poller_get_clock          (MpPoller            *self);
void          mp_poller_set_max_sessions   (MpPoller            *self,
                                            guint                max_sessions);
void          mp_poller_set_time_scale     (MpPoller            *self,
                                            double               scale);
void          mp_poller_set_network_monitor (MpPoller           *self,
                                             GNetworkMonitor    *monitor);
void          mp_poller_set_pipelining_allowed (MpPoller        *self,
                                                gboolean         allowed);
gboolean      mp_poller_get_pipelining_allowed (MpPoller        *self);
void          mp_poller_set_session_timeout (MpPoller           *self,
                                             guint               seconds);
void          mp_poller_set_password_func  (MpPoller            *self,
                                            char              *(*func) (MpAccount *account,
                                                                        gpointer   user_data),
                                            gpointer             user_data);
guint         mp_poller_get_next_delay     (MpPoller            *self,
                                            MpAccount           *account);
MpMailboxState *mp_poller_get_state        (MpPoller            *self,
                                            MpAccount           *account);
const MpPollResult *mp_poller_get_last_result (MpPoller         *self,
                                               MpAccount        *account);
guint         mp_poller_get_active_sessions (MpPoller           *self);

G_END_DECLS
