/* mp-message-tree-model.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "mp-message.h"

G_BEGIN_DECLS

/**
 * MpMessageTreeModelColumn:
 * @MP_MESSAGE_TREE_MODEL_COLUMN_MESSAGE: the #MpMessage itself
 * @MP_MESSAGE_TREE_MODEL_COLUMN_UNSEEN: (gboolean) arrived since the user
 *   last looked at its account
 * @MP_MESSAGE_TREE_MODEL_COLUMN_FROM: (string) the sender for display
 * @MP_MESSAGE_TREE_MODEL_COLUMN_SUBJECT: (string) the subject
 * @MP_MESSAGE_TREE_MODEL_COLUMN_DATE: (gint64) the Date header as a Unix
 *   time, 0 when missing
 * @MP_MESSAGE_TREE_MODEL_COLUMN_SIZE: (guint64) the size LIST reported
 * @MP_MESSAGE_TREE_MODEL_COLUMN_ACCOUNT: (string) the name of the account
 *
 * The columns of #MpMessageTreeModel, which are also the sort column ids
 * that mp_message_tree_model_compare() understands.
 */
typedef enum
{
  MP_MESSAGE_TREE_MODEL_COLUMN_MESSAGE,
  MP_MESSAGE_TREE_MODEL_COLUMN_UNSEEN,
  MP_MESSAGE_TREE_MODEL_COLUMN_FROM,
  MP_MESSAGE_TREE_MODEL_COLUMN_SUBJECT,
  MP_MESSAGE_TREE_MODEL_COLUMN_DATE,
  MP_MESSAGE_TREE_MODEL_COLUMN_SIZE,
  MP_MESSAGE_TREE_MODEL_COLUMN_ACCOUNT,
  MP_MESSAGE_TREE_MODEL_N_COLUMNS,
} MpMessageTreeModelColumn;

#define MP_TYPE_MESSAGE_TREE_MODEL (mp_message_tree_model_get_type ())

G_DECLARE_FINAL_TYPE (MpMessageTreeModel, mp_message_tree_model, MP, MESSAGE_TREE_MODEL, GObject)

/**
 * MpMessageTreeModel:
 *
 * A flat #GtkTreeModel over a #GListModel of #MpMessage, so that a
 * #GtkTreeView can show a 10,000-message mailbox: GTK 3 has no list widget
 * that scales to that over a #GListModel. It follows ::items-changed and
 * every message's notify with row-inserted, row-deleted and row-changed;
 * its iterators persist while their row exists. Sorting and filtering are
 * left to #GtkTreeModelSort and #GtkTreeModelFilter on top, with
 * mp_message_tree_model_compare() and mp_message_tree_model_matches(),
 * which use collation keys cached per row.
 */

MpMessageTreeModel *mp_message_tree_model_new            (GListModel         *messages);
GListModel         *mp_message_tree_model_get_messages   (MpMessageTreeModel *self);
MpMessage          *mp_message_tree_model_get_message    (MpMessageTreeModel *self,
                                                          GtkTreeIter        *iter);
gboolean            mp_message_tree_model_find           (MpMessageTreeModel *self,
                                                          MpMessage          *message,
                                                          GtkTreeIter        *iter);
int                 mp_message_tree_model_compare        (MpMessageTreeModel *self,
                                                          GtkTreeIter        *a,
                                                          GtkTreeIter        *b,
                                                          int                 column);
gboolean            mp_message_tree_model_matches        (MpMessageTreeModel *self,
                                                          GtkTreeIter        *iter,
                                                          const char         *needle);

char               *mp_message_dup_account_name          (MpMessage          *message);

G_END_DECLS
