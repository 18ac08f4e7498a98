/* mp-transfer-file.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MP_TYPE_TRANSFER_FILE (mp_transfer_file_get_type ())

G_DECLARE_FINAL_TYPE (MpTransferFile, mp_transfer_file, MP, TRANSFER_FILE, GObject)

/**
 * MpTransferFile:
 *
 * One downloaded message on its way to disk: a temporary file that RETR
 * data is streamed into as it arrives, then synced and given its final
 * name. Every blocking file operation (creating folders and the file,
 * writes, fsync, rename) runs on a worker thread, so the main loop never
 * waits for the disk. Unless mp_transfer_file_commit_async() succeeded,
 * the temporary file is removed: an error, a cancel or a dropped
 * connection never leaves a partial message behind.
 *
 * With @maildir the data is written with LF line ends into DIR/tmp and
 * moved into DIR/new; else into DIR as NAME.eml exactly as received
 * (CRLF), NAME made from the UID and made unique with g_file_create(), so
 * two downloads at once can never pick the same name.
 */

void            mp_transfer_file_open_async    (const char          *directory,
                                                const char          *uid,
                                                gboolean             maildir,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
MpTransferFile *mp_transfer_file_open_finish   (GAsyncResult        *result,
                                                GError             **error);
GOutputStream  *mp_transfer_file_get_stream    (MpTransferFile      *self);
void            mp_transfer_file_commit_async  (MpTransferFile      *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
char           *mp_transfer_file_commit_finish (MpTransferFile      *self,
                                                GAsyncResult        *result,
                                                GError             **error);
void            mp_transfer_file_abort         (MpTransferFile      *self);

G_END_DECLS
