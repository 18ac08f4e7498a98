/* mp-mailbox-state-shim.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TEMPORARY. The seen-state calls declared at the end of
 * mp-mailbox-state.h are being written on the `state` branch; until they
 * land, the mailbox calls these stand-ins, which have the same signatures
 * and names with "_shim" added, so the switch is a rename. Limits of the
 * stand-ins: load runs mp_mailbox_state_load() in a worker thread, save
 * runs mp_mailbox_state_save() on the main thread (no merge with other
 * processes), and "unseen" and snippets live only in memory.
 * Delete this file (and mp-mailbox-state-shim.c) once `state` is merged.
 */

#pragma once

#include "mp-mailbox-state.h"

G_BEGIN_DECLS

void            mp_mailbox_state_shim_load_async     (const char          *state_key,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
MpMailboxState *mp_mailbox_state_shim_load_finish    (GAsyncResult        *result,
                                                      GError             **error);
void            mp_mailbox_state_shim_save_async     (MpMailboxState      *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean        mp_mailbox_state_shim_save_finish    (MpMailboxState      *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);
gboolean        mp_mailbox_state_shim_is_unseen      (MpMailboxState      *self,
                                                      const char          *key);
void            mp_mailbox_state_shim_mark_seen      (MpMailboxState      *self,
                                                      const char          *key);
const char     *mp_mailbox_state_shim_get_snippet    (MpMailboxState      *self,
                                                      const char          *key);
void            mp_mailbox_state_shim_set_snippet    (MpMailboxState      *self,
                                                      const char          *key,
                                                      const char          *snippet);
void            mp_mailbox_state_shim_forget_deleted (MpMailboxState      *self,
                                                      const char          *key);
gboolean        mp_mailbox_state_shim_delete_files   (const char          *state_key,
                                                      GError             **error);

G_END_DECLS
