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
 * MpMessageTreeModelFilterFunc:
 *
 * Returns: %TRUE to show the row of @message
 */
typedef gboolean (*MpMessageTreeModelFilterFunc) (MpMessageTreeModel *model,
                                                  GtkTreeIter        *iter,
                                                  MpMessage          *message,
                                                  gpointer            user_data);

/**
 * MpMessageTreeModel:
 *
 * A flat #GtkTreeModel and #GtkTreeSortable over a #GListModel of
 * #MpMessage, so that a #GtkTreeView can show a 10,000-message mailbox:
 * GTK 3 has no list widget that scales to that over a #GListModel.
 *
 * It shows the messages that pass its filter function, in the order of
 * its sort column, and follows ::items-changed and every message's notify
 * with row-inserted, row-deleted, row-changed and rows-reordered; its
 * iterators persist while their row is shown. Sorting and filtering are
 * done here, on arrays of rows with collation keys cached per row, rather
 * than by a #GtkTreeModelFilter under a #GtkTreeModelSort: that stack
 * spends most of a 10,000-row sort converting iterators between levels.
 */

MpMessageTreeModel *mp_message_tree_model_new            (GListModel         *messages);
GListModel         *mp_message_tree_model_get_messages   (MpMessageTreeModel *self);
MpMessage          *mp_message_tree_model_get_message    (MpMessageTreeModel *self,
                                                          GtkTreeIter        *iter);
gboolean            mp_message_tree_model_find           (MpMessageTreeModel *self,
                                                          MpMessage          *message,
                                                          GtkTreeIter        *iter);
void                mp_message_tree_model_set_filter_func (MpMessageTreeModel          *self,
                                                           MpMessageTreeModelFilterFunc func,
                                                           gpointer                     user_data,
                                                           GDestroyNotify               destroy);
void                mp_message_tree_model_refilter       (MpMessageTreeModel *self);
int                 mp_message_tree_model_compare        (MpMessageTreeModel *self,
                                                          GtkTreeIter        *a,
                                                          GtkTreeIter        *b,
                                                          int                 column);
gboolean            mp_message_tree_model_matches        (MpMessageTreeModel *self,
                                                          GtkTreeIter        *iter,
                                                          const char         *needle);
char               *mp_message_tree_model_fold           (const char         *text);

char               *mp_message_dup_account_name          (MpMessage          *message);

G_END_DECLS
