/* mp-message.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "mp-headers.h"

G_BEGIN_DECLS

#define MP_TYPE_MESSAGE (mp_message_get_type ())

G_DECLARE_FINAL_TYPE (MpMessage, mp_message, MP, MESSAGE, GObject)

/**
 * MpMessage:
 *
 * One message on a POP3 server, as an item of an #MpMailbox. Made and
 * changed only by the core; every property is read-only and notifies.
 *
 * Properties:
 * - key (string): what identifies it across sessions: the UIDL unique-id,
 *   or "sha256:…" on servers without UIDL
 * - uid (string, nullable): the UIDL unique-id
 * - number (uint): its number in the last session that listed it (numbers
 *   shift between sessions: act on messages through the mailbox, which
 *   names them by UID)
 * - size (uint64): the size LIST reported
 * - from, from-name, from-address, to, subject, message-id (strings,
 *   nullable): decoded headers; a header the message lacks is %NULL
 * - date (GDateTime, nullable)
 * - headers (MpHeaders boxed, nullable): all of the above at once; %NULL
 *   until they were fetched
 * - announced (boolean): the user was told about it (a notification or a
 *   `--check` report); never reset
 * - unseen (boolean): arrived since the user last looked at its account;
 *   cleared by mp_mailbox_mark_seen_async()
 * - snippet (string, nullable): the first lines of its text, once fetched
 * - error (GError boxed, nullable): why its headers are not available
 * - mailbox (MpMailbox, nullable): the mailbox it belongs to (a weak
 *   reference: %NULL once the mailbox is gone)
 */

const char      *mp_message_get_key          (MpMessage *self);
const char      *mp_message_get_uid          (MpMessage *self);
guint            mp_message_get_number       (MpMessage *self);
guint64          mp_message_get_size         (MpMessage *self);
const char      *mp_message_get_from         (MpMessage *self);
const char      *mp_message_get_from_name    (MpMessage *self);
const char      *mp_message_get_from_address (MpMessage *self);
const char      *mp_message_get_to           (MpMessage *self);
const char      *mp_message_get_subject      (MpMessage *self);
const char      *mp_message_get_message_id   (MpMessage *self);
GDateTime       *mp_message_get_date         (MpMessage *self);
const MpHeaders *mp_message_get_headers      (MpMessage *self);
gboolean         mp_message_get_announced    (MpMessage *self);
gboolean         mp_message_get_unseen       (MpMessage *self);
const char      *mp_message_get_snippet      (MpMessage *self);
const GError    *mp_message_get_error        (MpMessage *self);
gpointer         mp_message_get_mailbox      (MpMessage *self);

G_END_DECLS
