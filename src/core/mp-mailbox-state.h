/* mp-mailbox-state.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "mp-check.h"
#include "mp-headers.h"

G_BEGIN_DECLS

#define MP_TYPE_MAILBOX_STATE (mp_mailbox_state_get_type ())

G_DECLARE_FINAL_TYPE (MpMailboxState, mp_mailbox_state, MP, MAILBOX_STATE, GObject)

/**
 * MpMailboxState:
 *
 * What Mailpeek knows about one account's maildrop: for each message key
 * (its UIDL unique-id, or "sha256:…" of its header block on servers without
 * UIDL) the size, the cached decoded headers and body snippet, whether the
 * user was told about it (announced) and whether it arrived since the user
 * last looked (unseen); and tombstones of keys forgotten after a confirmed
 * delete. Stored as a versioned GVariant (format 3, binary, read without
 * parsing; format 2 is read and upgraded) in
 * g_get_user_state_dir()/mailpeek/KEY.state, written atomically (fsync,
 * rename, mode 0600) and only when something changed; a corrupt,
 * unreadable or newer file is renamed aside (KEY.state.corrupt-TIMESTAMP)
 * with a warning and the state starts empty. Never a crash, never a lost
 * file. (The unreleased format 1 was KEY.json; such files are neither read
 * nor deleted.)
 *
 * Every save, synchronous or not, merges under an advisory lock
 * (flock() on KEY.state.lock) with what another process wrote since this
 * object last read or wrote the file; see mp_mailbox_state_save_async().
 *
 * Signals:
 * - ::changed (const char * const *keys): a save (or a save finishing
 *   asynchronously) brought in from disk what another process did: the
 *   entries of @keys were added, removed, or have other flags, headers or
 *   snippet now. Emitted on the thread that called the save (the main
 *   context for mp_mailbox_state_save_async()), after the state holds the
 *   merged result.
 *
 * State keys: mp_mailbox_state_escape_key() is the one escaper
 * (mp_account_dup_state_key() uses it). Every function here that takes a
 * key uses an escaped key as it is and escapes any other string once. A
 * `--url` state kept under the doubly escaped name of older versions
 * (alice@host%253A11995.state) is renamed when it is loaded.
 *
 * Lifetimes: mp_mailbox_state_get_headers(), _get_first_seen() and
 * _get_snippet() return values owned by the entry; they stay valid until
 * the entry is replaced by a merge or a save that brought in a change to
 * it (take a reference, or copy, to keep them longer).
 */

MpMailboxState *mp_mailbox_state_load             (const char            *state_key);
MpMailboxState *mp_mailbox_state_load_from_file   (GFile                 *file);
gboolean        mp_mailbox_state_save             (MpMailboxState        *self,
                                                   GError               **error);
GFile          *mp_mailbox_state_get_file         (MpMailboxState        *self);
const char     *mp_mailbox_state_get_recovered_from (MpMailboxState      *self);

GHashTable     *mp_mailbox_state_dup_known_uids   (MpMailboxState        *self);
guint           mp_mailbox_state_merge            (MpMailboxState        *self,
                                                   MpMailboxSnapshot     *snapshot);
gboolean        mp_mailbox_state_contains         (MpMailboxState        *self,
                                                   const char            *key);
gboolean        mp_mailbox_state_is_announced     (MpMailboxState        *self,
                                                   const char            *key);
void            mp_mailbox_state_mark_announced   (MpMailboxState        *self,
                                                   const char            *key);
void            mp_mailbox_state_mark_all_announced (MpMailboxState      *self);
gboolean        mp_mailbox_state_remove           (MpMailboxState        *self,
                                                   const char            *key);
guint           mp_mailbox_state_get_n_messages   (MpMailboxState        *self);
const MpHeaders *mp_mailbox_state_get_headers     (MpMailboxState        *self,
                                                   const char            *key);
GDateTime      *mp_mailbox_state_get_first_seen   (MpMailboxState        *self,
                                                   const char            *key);

/* Off the main thread (issue 6). Loading never fails but for
 * cancellation: a missing file is an empty state, a corrupt one is set
 * aside as mp_mailbox_state_load() does. Saving takes a snapshot of memory
 * (a reference per entry) on the calling thread and, in a worker thread,
 * locks the file, reads what another process (the applet and a
 * `mailpeek --check`, two `--watch`) wrote meanwhile, merges it with the
 * snapshot and writes the result: "announced" only grows, "unseen" only
 * clears, a cached header or snippet is never lost, the earlier first-seen
 * time wins, and a message either process forgot as deleted
 * (mp_mailbox_state_forget_deleted()) is not resurrected. A key on disk
 * but not in memory is taken in unless this object removed it since it
 * last read the file, and the other way round. When it finishes, the
 * in-memory state holds the merged result (changes made while the worker
 * ran are kept, and saved by the next save); "changed" is emitted on the
 * main context if the merge brought anything in from disk. A save of an
 * unchanged state whose file nobody touched (same inode, size and mtime)
 * neither reads nor writes; one whose file changed reads it but writes
 * only if memory has something the file lacks. A save cancelled before
 * its worker starts writes nothing; once started it finishes.
 */
void            mp_mailbox_state_load_async       (const char            *state_key,
                                                   GCancellable          *cancellable,
                                                   GAsyncReadyCallback    callback,
                                                   gpointer               user_data);
MpMailboxState *mp_mailbox_state_load_finish      (GAsyncResult          *result,
                                                   GError               **error);
void            mp_mailbox_state_save_async       (MpMailboxState        *self,
                                                   GCancellable          *cancellable,
                                                   GAsyncReadyCallback    callback,
                                                   gpointer               user_data);
gboolean        mp_mailbox_state_save_finish      (MpMailboxState        *self,
                                                   GAsyncResult          *result,
                                                   GError               **error);

gboolean        mp_mailbox_state_is_unseen        (MpMailboxState        *self,
                                                   const char            *key);
void            mp_mailbox_state_mark_seen        (MpMailboxState        *self,
                                                   const char            *key);
const char     *mp_mailbox_state_get_snippet      (MpMailboxState        *self,
                                                   const char            *key);
void            mp_mailbox_state_set_snippet      (MpMailboxState        *self,
                                                   const char            *key,
                                                   const char            *snippet);
/* Drops the entry of a message whose deletion the server confirmed and
 * keeps a tombstone of its key (mp_mailbox_state_remove() does the same):
 * a later merge with a process that still has it, or a poll that began
 * before the delete, does not bring it back. The tombstone goes with the
 * first poll that no longer lists the key once it is 10 minutes old, and
 * after 7 days in any case.
 */
void            mp_mailbox_state_forget_deleted   (MpMailboxState        *self,
                                                   const char            *key);

/* The one escaper for state keys and file names (an account id, or
 * "user@host:port" for --url): letters, digits and "@_-+:." stay, the rest
 * (and a leading dot) becomes %XX, cut to 160 bytes with a hash. An
 * escaped key is used as it is by the functions below;
 * mp_mailbox_state_delete_files() removes KEY.state, its set-aside copies,
 * lock and temporary files, KEY.json* and the files under older names.
 */
char           *mp_mailbox_state_escape_key       (const char            *key);
GFile          *mp_mailbox_state_file_for_key     (const char            *state_key);
gboolean        mp_mailbox_state_delete_files     (const char            *state_key,
                                                   GError               **error);

G_END_DECLS
