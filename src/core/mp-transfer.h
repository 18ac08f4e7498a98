/* mp-transfer.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "mp-pop3-client.h"

G_BEGIN_DECLS

#define MP_TRANSFER_ERROR (mp_transfer_error_quark ())

/**
 * MpTransferError:
 * @MP_TRANSFER_ERROR_NOT_FOUND: no message with that UID is on the server
 *   (any more)
 * @MP_TRANSFER_ERROR_DUPLICATE: the server lists the UID for more than one
 *   message, so which one is meant cannot be known
 * @MP_TRANSFER_ERROR_NO_UIDL: the server has no UIDL, so messages cannot
 *   be named safely
 * @MP_TRANSFER_ERROR_NOT_CONFIRMED: the session ended before QUIT was
 *   answered with +OK; the server deleted nothing
 * @MP_TRANSFER_ERROR_WRITE: the message could not be written to disk
 * @MP_TRANSFER_ERROR_SKIPPED: not deleted because its download failed
 */
typedef enum
{
  MP_TRANSFER_ERROR_NOT_FOUND,
  MP_TRANSFER_ERROR_DUPLICATE,
  MP_TRANSFER_ERROR_NO_UIDL,
  MP_TRANSFER_ERROR_NOT_CONFIRMED,
  MP_TRANSFER_ERROR_WRITE,
  MP_TRANSFER_ERROR_SKIPPED,
} MpTransferError;

GQuark mp_transfer_error_quark (void);

/**
 * MpTransferOutcome:
 * @uid: the UID asked for
 * @path: (nullable): where the message was written (downloads)
 * @deleted: %TRUE only once the server confirmed QUIT after DELE
 * @error: (nullable): what went wrong for this message
 * @data: (nullable): the reply to TOP (mp_top_messages_async())
 *
 * What happened to one requested message.
 */
typedef struct
{
  char     *uid;
  char     *path;
  gboolean  deleted;
  GError   *error;
  GBytes   *data;
} MpTransferOutcome;

/**
 * MpDownloadFlags:
 * @MP_DOWNLOAD_MAILDIR: deliver into a Maildir (tmp/ then new/, LF line
 *   ends as Maildir readers expect) instead of NAME.eml files (CRLF, the
 *   message exactly as the server sends it on the wire)
 * @MP_DOWNLOAD_DELETE_AFTER: in the same session, delete on the server the
 *   messages whose file was completely written and synced
 */
typedef enum
{
  MP_DOWNLOAD_NONE         = 0,
  MP_DOWNLOAD_MAILDIR      = 1 << 0,
  MP_DOWNLOAD_DELETE_AFTER = 1 << 1,
} MpDownloadFlags;

/**
 * MpTransferStepFunc:
 * @outcome: the message just settled (its path or error is set)
 *
 * Reports one message of a download as it is done.
 */
typedef void (*MpTransferStepFunc) (const MpTransferOutcome *outcome,
                                    gpointer                 user_data);

void       mp_transfer_outcome_free   (MpTransferOutcome   *outcome);

void       mp_delete_messages_async   (MpPop3Client        *client,
                                       const char          *user,
                                       const char          *password,
                                       MpPop3AuthMethod     auth,
                                       const char * const  *uids,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
GPtrArray *mp_delete_messages_finish  (MpPop3Client        *client,
                                       GAsyncResult        *result,
                                       GError             **error);
void       mp_download_messages_async (MpPop3Client        *client,
                                       const char          *user,
                                       const char          *password,
                                       MpPop3AuthMethod     auth,
                                       const char * const  *uids,
                                       const char          *directory,
                                       MpDownloadFlags      flags,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void       mp_download_messages_full_async (MpPop3Client        *client,
                                            const char          *user,
                                            const char          *password,
                                            MpPop3AuthMethod     auth,
                                            const char * const  *uids,
                                            const char          *directory,
                                            MpDownloadFlags      flags,
                                            MpTransferStepFunc   step,
                                            gpointer             step_data,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
GPtrArray *mp_download_messages_finish (MpPop3Client        *client,
                                        GAsyncResult        *result,
                                        GError             **error);

void       mp_top_messages_async      (MpPop3Client        *client,
                                       const char          *user,
                                       const char          *password,
                                       MpPop3AuthMethod     auth,
                                       const char * const  *uids,
                                       guint                lines,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
GPtrArray *mp_top_messages_finish     (MpPop3Client        *client,
                                       GAsyncResult        *result,
                                       GError             **error);

G_END_DECLS
