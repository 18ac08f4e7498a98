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
 * UIDL) the size, the cached decoded headers, and whether the user was told
 * about it. Stored as a versioned GVariant (binary, read without parsing)
 * in g_get_user_state_dir()/mailpeek/KEY.state, written atomically and
 * only when something changed; a corrupt, unreadable or newer file is
 * renamed aside (KEY.state.corrupt-TIMESTAMP) with a warning and the state
 * starts empty. Never a crash, never a lost file. (The unreleased format 1
 * was KEY.json; such files are neither read nor deleted.)
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
 * aside as mp_mailbox_state_load() does. Saving merges, in a worker
 * thread, what is in memory with what another process (the applet and a
 * `mailpeek --check`, two `--watch`) wrote meanwhile: "announced" only
 * grows, "unseen" only clears, a cached header or snippet is never lost,
 * and a message either process forgot as deleted
 * (mp_mailbox_state_forget_deleted()) is not resurrected. When it
 * finishes, the in-memory state holds the merged result; "changed" is
 * emitted on the main context if the merge brought anything in from disk.
 * A save of an unchanged state that nobody else touched writes nothing.
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
void            mp_mailbox_state_forget_deleted   (MpMailboxState        *self,
                                                   const char            *key);

/* The one escaper for state keys and file names (an account id, or
 * "user@host:port" for --url). */
char           *mp_mailbox_state_escape_key       (const char            *key);
GFile          *mp_mailbox_state_file_for_key     (const char            *state_key);
gboolean        mp_mailbox_state_delete_files     (const char            *state_key,
                                                   GError               **error);

G_END_DECLS
