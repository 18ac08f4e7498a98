/* mp-mailbox.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "mp-account.h"
#include "mp-message.h"
#include "mp-transfer.h"
#include "mp-types.h"

G_BEGIN_DECLS

#define MP_TYPE_MAILBOX (mp_mailbox_get_type ())

G_DECLARE_FINAL_TYPE (MpMailbox, mp_mailbox, MP, MAILBOX, GObject)

/**
 * MpMailbox:
 *
 * The live model of one account's maildrop, owned by the #MpPoller: a
 * #GListModel of #MpMessage in server order. The command line and the
 * applet are two front ends over it; everything that decides what is new,
 * what was announced and what a delete changed lives here.
 *
 * - A poll that changes nothing emits no ::items-changed, no notify and
 *   does not rewrite the state file. Otherwise ::items-changed is emitted
 *   with the smallest ranges that turn the old list into the new one, and
 *   #MpMessage objects of messages still on the server are kept (their
 *   properties change, with notify).
 * - Every session of one account (poll, snippet, download, delete) goes
 *   through one queue, in order: a delete waits for the running poll and
 *   never races it. All mailboxes of a poller share its session limit.
 * - The seen-state (announced, unseen, cached headers and snippets) is
 *   loaded and saved off the main thread; saving merges with what another
 *   process wrote meanwhile (see mp-mailbox-state.h).
 *
 * Properties (read-only, with notify):
 * - account (MpAccount, construct-only)
 * - n-messages (uint): messages on the server (the list's length)
 * - n-new (uint): messages never announced
 * - n-unseen (uint): messages arrived since the user last looked
 * - size (uint64): their total size
 * - status (MpMailboxStatus)
 * - error (GError boxed, nullable): why the last session failed; its
 *   domain and code are the engine's (MP_POP3_ERROR, MP_SECRETS_ERROR, …)
 * - certificate (GTlsCertificate, nullable): with status
 *   %MP_MAILBOX_STATUS_UNTRUSTED_CERTIFICATE, the server's certificate
 * - certificate-errors (GTlsCertificateFlags): why it was not trusted
 * - uidl-supported (boolean), pipelining (boolean): what the last session
 *   found
 * - top-supported (boolean): %FALSE when the last session found the
 *   server without TOP (headers of new messages then come from RETR, up
 *   to the retr-header-limit setting); %TRUE until a session says so
 * - capabilities (strv, nullable): the server's CAPA after login
 * - last-checked (GDateTime, nullable): when the last check ended
 * - next-check (GDateTime, nullable): when the poller checks again; %NULL
 *   when it waits for the user (or is not scheduling)
 * - busy (boolean): a session of this account is queued or running; a
 *   session lasts until the server answered its QUIT (or the connection
 *   ended), a poll also until its state was saved
 *
 * Signals:
 * - ::messages-arrived (GPtrArray of MpMessage): once per poll, with
 *   exactly the messages never announced before (empty polls emit
 *   nothing). Handlers that tell the user call
 *   mp_mailbox_mark_announced_async(); the signal is emitted again for the
 *   same messages on a later poll (or in a later process) until they do.
 *   It comes after the list and counts are updated and before
 *   mp_mailbox_check_async() completes.
 *
 * Methods:
 * - mp_mailbox_check_now() polls soon (not a disabled account);
 *   mp_mailbox_check_async() polls also a disabled account and while the
 *   network monitor says offline, and completes once the list, the counts
 *   and the saved state are up to date, with the poll's error (also in
 *   #MpMailbox:error). A check asked for while another waits in the queue
 *   joins it.
 * - mp_mailbox_fetch_snippet_finish() gives "" for a message without
 *   text; snippets asked for while one waits share its session.
 * - mp_mailbox_download_finish() and mp_mailbox_delete_finish() give a
 *   #GPtrArray of #MpTransferOutcome, one per distinct message (a message
 *   without UID gets %MP_TRANSFER_ERROR_NO_UIDL and no session); %NULL and
 *   an error only when no session could be set up (then nothing changed).
 *   Messages the server confirmed deleted leave the list and the state.
 * - mp_mailbox_dup_summary(): the JSON object of `--check --json` as
 *   `a{sv}`, plus "unseen" and "state" (the status nick); see its
 *   documentation in mp-mailbox.c for every member.
 */

/**
 * MpTransferProgress:
 * @done: messages finished so far
 * @total: messages asked for
 * @bytes: bytes received (downloads) so far
 * @total_bytes: their LIST sizes added up
 *
 * Called on the main context while a download or delete runs: when its
 * session starts (0 done), after each message a download wrote (or
 * failed), and when it ends (all settled; a delete is settled only by
 * QUIT, so it has no steps in between).
 */
typedef void (*MpTransferProgress) (guint    done,
                                    guint    total,
                                    guint64  bytes,
                                    guint64  total_bytes,
                                    gpointer user_data);

MpAccount          *mp_mailbox_get_account             (MpMailbox           *self);
guint               mp_mailbox_get_n_messages          (MpMailbox           *self);
guint               mp_mailbox_get_n_new               (MpMailbox           *self);
guint               mp_mailbox_get_n_unseen            (MpMailbox           *self);
guint64             mp_mailbox_get_size                (MpMailbox           *self);
MpMailboxStatus     mp_mailbox_get_status              (MpMailbox           *self);
const GError       *mp_mailbox_get_error               (MpMailbox           *self);
GTlsCertificate    *mp_mailbox_get_certificate         (MpMailbox           *self);
GTlsCertificateFlags mp_mailbox_get_certificate_errors (MpMailbox           *self);
gboolean            mp_mailbox_get_uidl_supported      (MpMailbox           *self);
gboolean            mp_mailbox_get_top_supported       (MpMailbox           *self);
gboolean            mp_mailbox_get_pipelining          (MpMailbox           *self);
const char * const *mp_mailbox_get_capabilities        (MpMailbox           *self);
GDateTime          *mp_mailbox_get_last_checked        (MpMailbox           *self);
GDateTime          *mp_mailbox_get_next_check          (MpMailbox           *self);
gboolean            mp_mailbox_get_busy                (MpMailbox           *self);
MpMessage          *mp_mailbox_find_message            (MpMailbox           *self,
                                                        const char          *key);

void                mp_mailbox_check_now               (MpMailbox           *self);
void                mp_mailbox_check_async             (MpMailbox           *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean            mp_mailbox_check_finish            (MpMailbox           *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

void                mp_mailbox_mark_announced_async    (MpMailbox           *self,
                                                        const char * const  *keys,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean            mp_mailbox_mark_announced_finish   (MpMailbox           *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);
void                mp_mailbox_mark_seen_async         (MpMailbox           *self,
                                                        const char * const  *keys,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean            mp_mailbox_mark_seen_finish        (MpMailbox           *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

void                mp_mailbox_fetch_snippet_async     (MpMailbox           *self,
                                                        MpMessage           *message,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
char               *mp_mailbox_fetch_snippet_finish    (MpMailbox           *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

void                mp_mailbox_download_async          (MpMailbox           *self,
                                                        GPtrArray           *messages,
                                                        const char          *directory,
                                                        MpDownloadFlags      flags,
                                                        MpTransferProgress   progress,
                                                        gpointer             progress_data,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GPtrArray          *mp_mailbox_download_finish         (MpMailbox           *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);
void                mp_mailbox_delete_async            (MpMailbox           *self,
                                                        GPtrArray           *messages,
                                                        MpTransferProgress   progress,
                                                        gpointer             progress_data,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GPtrArray          *mp_mailbox_delete_finish           (MpMailbox           *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

GVariant           *mp_mailbox_dup_summary             (MpMailbox           *self,
                                                        gboolean             with_headers);

/* mp-mailbox-frontend.c: what a front end holding only UIDs needs */
GPtrArray          *mp_mailbox_dup_messages_for_uids   (MpMailbox           *self,
                                                        const char * const  *uids);
void                mp_mailbox_sync_async              (MpMailbox           *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean            mp_mailbox_sync_finish             (MpMailbox           *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

G_END_DECLS
