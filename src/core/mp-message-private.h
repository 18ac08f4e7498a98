/* mp-message-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What only the core may do to a message: make it and change it. Each
 * setter notifies only when the value really changed.
 */

#pragma once

#include "mp-message.h"

G_BEGIN_DECLS

MpMessage *mp_message_new           (const char   *key,
                                     const char   *uid,
                                     guint         number,
                                     guint64       size,
                                     MpHeaders    *headers);
void       mp_message_set_mailbox   (MpMessage    *self,
                                     gpointer      mailbox);
void       mp_message_set_number    (MpMessage    *self,
                                     guint         number);
void       mp_message_set_size      (MpMessage    *self,
                                     guint64       size);
void       mp_message_set_headers   (MpMessage    *self,
                                     MpHeaders    *headers);
void       mp_message_set_announced (MpMessage    *self,
                                     gboolean      announced);
void       mp_message_set_unseen    (MpMessage    *self,
                                     gboolean      unseen);
void       mp_message_set_snippet   (MpMessage    *self,
                                     const char   *snippet);
void       mp_message_set_error     (MpMessage    *self,
                                     const GError *error);

G_END_DECLS
