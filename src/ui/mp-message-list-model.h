/* mp-message-list-model.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MP_TYPE_MESSAGE_LIST_MODEL (mp_message_list_model_get_type ())

G_DECLARE_FINAL_TYPE (MpMessageListModel, mp_message_list_model, MP, MESSAGE_LIST_MODEL, GObject)

/**
 * MpMessageListModel:
 *
 * A #GListModel of #MpMessage that concatenates the lists of several
 * mailboxes, for "All accounts": its items are those of the first
 * mailbox of #MpMessageListModel:mailboxes, then those of the second… It
 * follows ::items-changed of the list of mailboxes and of each mailbox
 * with the matching ranges (as GTK 4's GtkFlattenListModel does), so
 * nothing is copied or re-sorted when one account changes.
 *
 * #MpMessageListModel:mailboxes is any #GListModel whose items are
 * #GListModels of #MpMessage: the #MpPoller (a list of #MpMailbox), or a
 * #GListStore of #GListStores in tests.
 */

MpMessageListModel *mp_message_list_model_new           (GListModel         *mailboxes);
GListModel         *mp_message_list_model_get_mailboxes (MpMessageListModel *self);

G_END_DECLS
