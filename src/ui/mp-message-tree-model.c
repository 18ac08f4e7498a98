/* mp-message-tree-model.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-message-tree-model"

#include "config.h"

#include "mp-mailbox.h"
#include "mp-message-tree-model.h"

/* One row: the message and what sorting and searching need, computed the
 * first time it is asked for and dropped when the message changes, so that
 * sorting 10,000 rows compares cached collation keys instead of collating
 * UTF-8 strings 140,000 times. */
typedef struct
{
  MpMessage *message;
  gulong     notify_id;
  char      *from_key;
  char      *subject_key;
  char      *account_key;
  char      *search_text;
} Row;

struct _MpMessageTreeModel
{
  GObject     parent_instance;

  GListModel *messages;
  gulong      items_changed_id;
  /* of Row*: a GSequence gives O(log n) positions and insertions, and
   * GSequenceIters stay valid while their row exists (ITERS_PERSIST) */
  GSequence  *rows;
  /* MpMessage* -> GSequenceIter* */
  GHashTable *index;
  int         stamp;
};

static void mp_message_tree_model_tree_model_init (GtkTreeModelIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MpMessageTreeModel, mp_message_tree_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_TREE_MODEL,
                                                      mp_message_tree_model_tree_model_init))

enum {
  PROP_0,
  PROP_MESSAGES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
row_clear_keys (Row *row)
{
  g_clear_pointer (&row->from_key, g_free);
  g_clear_pointer (&row->subject_key, g_free);
  g_clear_pointer (&row->account_key, g_free);
  g_clear_pointer (&row->search_text, g_free);
}

static void
row_free (gpointer data)
{
  Row *row = data;

  g_clear_signal_handler (&row->notify_id, row->message);
  g_clear_object (&row->message);
  row_clear_keys (row);
  g_free (row);
}

char *
mp_message_dup_account_name (MpMessage *message)
{
  MpMailbox *mailbox = mp_message_get_mailbox (message);
  MpAccount *account;

  if (mailbox == NULL)
    return NULL;
  account = mp_mailbox_get_account (mailbox);
  if (account == NULL)
    return NULL;
  if (mp_account_get_name (account) != NULL && *mp_account_get_name (account) != '\0')
    return g_strdup (mp_account_get_name (account));
  return mp_account_dup_label (account);
}

static const char *
row_get_from_key (Row *row)
{
  if (row->from_key == NULL)
    {
      const char *from = mp_message_get_from_name (row->message);

      /* sort by what the eye reads first: the name, else the address */
      if (from == NULL || *from == '\0')
        from = mp_message_get_from (row->message);
      row->from_key = g_utf8_collate_key (from != NULL ? from : "", -1);
    }
  return row->from_key;
}

static const char *
row_get_subject_key (Row *row)
{
  if (row->subject_key == NULL)
    {
      const char *subject = mp_message_get_subject (row->message);

      row->subject_key = g_utf8_collate_key (subject != NULL ? subject : "", -1);
    }
  return row->subject_key;
}

static const char *
row_get_account_key (Row *row)
{
  if (row->account_key == NULL)
    {
      g_autofree char *name = mp_message_dup_account_name (row->message);

      row->account_key = g_utf8_collate_key (name != NULL ? name : "", -1);
    }
  return row->account_key;
}

static const char *
row_get_search_text (Row *row)
{
  if (row->search_text == NULL)
    {
      const char *from = mp_message_get_from (row->message);
      const char *subject = mp_message_get_subject (row->message);
      g_autofree char *joined = g_strconcat (from != NULL ? from : "", "\n",
                                             subject != NULL ? subject : "", NULL);
      g_autofree char *normalized = g_utf8_normalize (joined, -1, G_NORMALIZE_ALL);

      row->search_text = g_utf8_casefold (normalized != NULL ? normalized : joined, -1);
    }
  return row->search_text;
}

static gboolean
iter_from_seq (MpMessageTreeModel *self,
               GSequenceIter      *seq,
               GtkTreeIter        *iter)
{
  if (seq == NULL || g_sequence_iter_is_end (seq))
    {
      iter->stamp = 0;
      return FALSE;
    }
  iter->stamp = self->stamp;
  iter->user_data = seq;
  iter->user_data2 = NULL;
  iter->user_data3 = NULL;
  return TRUE;
}

static Row *
row_from_iter (MpMessageTreeModel *self,
               GtkTreeIter        *iter)
{
  g_return_val_if_fail (iter != NULL, NULL);
  g_return_val_if_fail (iter->stamp == self->stamp, NULL);

  return g_sequence_get (iter->user_data);
}

static void
message_notify_cb (MpMessage          *message,
                   GParamSpec         *pspec,
                   MpMessageTreeModel *self)
{
  GSequenceIter *seq = g_hash_table_lookup (self->index, message);
  g_autoptr(GtkTreePath) path = NULL;
  GtkTreeIter iter;
  Row *row;

  /* number, announced and mailbox do not change what a row shows */
  if (seq == NULL
      || g_strcmp0 (pspec->name, "number") == 0
      || g_strcmp0 (pspec->name, "announced") == 0)
    return;

  row = g_sequence_get (seq);
  row_clear_keys (row);
  iter_from_seq (self, seq, &iter);
  path = gtk_tree_path_new_from_indices (g_sequence_iter_get_position (seq), -1);
  gtk_tree_model_row_changed (GTK_TREE_MODEL (self), path, &iter);
}

static GSequenceIter *
insert_row (MpMessageTreeModel *self,
            GSequenceIter      *before,
            MpMessage          *message)
{
  Row *row = g_new0 (Row, 1);
  GSequenceIter *seq;

  row->message = g_object_ref (message);
  row->notify_id = g_signal_connect_object (message, "notify",
                                            G_CALLBACK (message_notify_cb), self, 0);
  seq = g_sequence_insert_before (before, row);
  g_hash_table_insert (self->index, message, seq);
  return seq;
}

static void
items_changed_cb (GListModel         *model,
                  guint               position,
                  guint               removed,
                  guint               added,
                  MpMessageTreeModel *self)
{
  GSequenceIter *seq = g_sequence_get_iter_at_pos (self->rows, position);

  for (guint i = 0; i < removed; i++)
    {
      g_autoptr(GtkTreePath) path = gtk_tree_path_new_from_indices (position, -1);
      GSequenceIter *next = g_sequence_iter_next (seq);
      Row *row = g_sequence_get (seq);

      /* a message moved within the list may already be indexed at its
       * new place; only drop the entry that points at this row */
      if (g_hash_table_lookup (self->index, row->message) == seq)
        g_hash_table_remove (self->index, row->message);
      g_sequence_remove (seq);
      seq = next;
      gtk_tree_model_row_deleted (GTK_TREE_MODEL (self), path);
    }

  for (guint i = 0; i < added; i++)
    {
      g_autoptr(MpMessage) message = g_list_model_get_item (model, position + i);
      g_autoptr(GtkTreePath) path = gtk_tree_path_new_from_indices (position + i, -1);
      GSequenceIter *inserted = insert_row (self, seq, message);
      GtkTreeIter iter;

      iter_from_seq (self, inserted, &iter);
      gtk_tree_model_row_inserted (GTK_TREE_MODEL (self), path, &iter);
    }
}

static void
mp_message_tree_model_set_messages (MpMessageTreeModel *self,
                                    GListModel         *messages)
{
  guint n;

  g_return_if_fail (self->messages == NULL);

  if (messages == NULL)
    messages = G_LIST_MODEL (g_list_store_new (MP_TYPE_MESSAGE));
  else
    g_object_ref (messages);
  self->messages = messages;

  n = g_list_model_get_n_items (messages);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MpMessage) message = g_list_model_get_item (messages, i);

      insert_row (self, g_sequence_get_end_iter (self->rows), message);
    }
  self->items_changed_id = g_signal_connect (messages, "items-changed",
                                             G_CALLBACK (items_changed_cb), self);
}

/* GtkTreeModel */

static GtkTreeModelFlags
mp_message_tree_model_get_flags (GtkTreeModel *model)
{
  return GTK_TREE_MODEL_LIST_ONLY | GTK_TREE_MODEL_ITERS_PERSIST;
}

static int
mp_message_tree_model_get_n_columns (GtkTreeModel *model)
{
  return MP_MESSAGE_TREE_MODEL_N_COLUMNS;
}

static GType
mp_message_tree_model_get_column_type (GtkTreeModel *model,
                                       int           column)
{
  switch ((MpMessageTreeModelColumn) column)
    {
    case MP_MESSAGE_TREE_MODEL_COLUMN_MESSAGE:
      return MP_TYPE_MESSAGE;
    case MP_MESSAGE_TREE_MODEL_COLUMN_UNSEEN:
      return G_TYPE_BOOLEAN;
    case MP_MESSAGE_TREE_MODEL_COLUMN_FROM:
    case MP_MESSAGE_TREE_MODEL_COLUMN_SUBJECT:
    case MP_MESSAGE_TREE_MODEL_COLUMN_ACCOUNT:
      return G_TYPE_STRING;
    case MP_MESSAGE_TREE_MODEL_COLUMN_DATE:
      return G_TYPE_INT64;
    case MP_MESSAGE_TREE_MODEL_COLUMN_SIZE:
      return G_TYPE_UINT64;
    case MP_MESSAGE_TREE_MODEL_N_COLUMNS:
    default:
      g_return_val_if_reached (G_TYPE_INVALID);
    }
}

static gboolean
mp_message_tree_model_get_iter (GtkTreeModel *model,
                                GtkTreeIter  *iter,
                                GtkTreePath  *path)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (model);
  int index;

  if (gtk_tree_path_get_depth (path) != 1)
    {
      iter->stamp = 0;
      return FALSE;
    }
  index = gtk_tree_path_get_indices (path)[0];
  if (index < 0 || index >= g_sequence_get_length (self->rows))
    {
      iter->stamp = 0;
      return FALSE;
    }
  return iter_from_seq (self, g_sequence_get_iter_at_pos (self->rows, index), iter);
}

static GtkTreePath *
mp_message_tree_model_get_path (GtkTreeModel *model,
                                GtkTreeIter  *iter)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (model);

  g_return_val_if_fail (iter->stamp == self->stamp, NULL);

  return gtk_tree_path_new_from_indices (g_sequence_iter_get_position (iter->user_data), -1);
}

static void
mp_message_tree_model_get_value (GtkTreeModel *model,
                                 GtkTreeIter  *iter,
                                 int           column,
                                 GValue       *value)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (model);
  Row *row = row_from_iter (self, iter);
  GDateTime *date;

  g_value_init (value, mp_message_tree_model_get_column_type (model, column));
  g_return_if_fail (row != NULL);

  switch ((MpMessageTreeModelColumn) column)
    {
    case MP_MESSAGE_TREE_MODEL_COLUMN_MESSAGE:
      g_value_set_object (value, row->message);
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_UNSEEN:
      g_value_set_boolean (value, mp_message_get_unseen (row->message));
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_FROM:
      g_value_set_string (value, mp_message_get_from (row->message));
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_SUBJECT:
      g_value_set_string (value, mp_message_get_subject (row->message));
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_DATE:
      date = mp_message_get_date (row->message);
      g_value_set_int64 (value, date != NULL ? g_date_time_to_unix (date) : 0);
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_SIZE:
      g_value_set_uint64 (value, mp_message_get_size (row->message));
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_ACCOUNT:
      g_value_take_string (value, mp_message_dup_account_name (row->message));
      break;
    case MP_MESSAGE_TREE_MODEL_N_COLUMNS:
    default:
      g_return_if_reached ();
    }
}

static gboolean
mp_message_tree_model_iter_next (GtkTreeModel *model,
                                 GtkTreeIter  *iter)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (model);

  g_return_val_if_fail (iter->stamp == self->stamp, FALSE);

  return iter_from_seq (self, g_sequence_iter_next (iter->user_data), iter);
}

static gboolean
mp_message_tree_model_iter_previous (GtkTreeModel *model,
                                     GtkTreeIter  *iter)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (model);
  GSequenceIter *seq;

  g_return_val_if_fail (iter->stamp == self->stamp, FALSE);

  seq = iter->user_data;
  if (g_sequence_iter_is_begin (seq))
    {
      iter->stamp = 0;
      return FALSE;
    }
  return iter_from_seq (self, g_sequence_iter_prev (seq), iter);
}

static gboolean
mp_message_tree_model_iter_children (GtkTreeModel *model,
                                     GtkTreeIter  *iter,
                                     GtkTreeIter  *parent)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (model);

  if (parent != NULL)
    {
      iter->stamp = 0;
      return FALSE;
    }
  return iter_from_seq (self, g_sequence_get_begin_iter (self->rows), iter);
}

static gboolean
mp_message_tree_model_iter_has_child (GtkTreeModel *model,
                                      GtkTreeIter  *iter)
{
  return FALSE;
}

static int
mp_message_tree_model_iter_n_children (GtkTreeModel *model,
                                       GtkTreeIter  *iter)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (model);

  return iter == NULL ? g_sequence_get_length (self->rows) : 0;
}

static gboolean
mp_message_tree_model_iter_nth_child (GtkTreeModel *model,
                                      GtkTreeIter  *iter,
                                      GtkTreeIter  *parent,
                                      int           n)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (model);

  if (parent != NULL || n < 0 || n >= g_sequence_get_length (self->rows))
    {
      iter->stamp = 0;
      return FALSE;
    }
  return iter_from_seq (self, g_sequence_get_iter_at_pos (self->rows, n), iter);
}

static gboolean
mp_message_tree_model_iter_parent (GtkTreeModel *model,
                                   GtkTreeIter  *iter,
                                   GtkTreeIter  *child)
{
  iter->stamp = 0;
  return FALSE;
}

static void
mp_message_tree_model_tree_model_init (GtkTreeModelIface *iface)
{
  iface->get_flags = mp_message_tree_model_get_flags;
  iface->get_n_columns = mp_message_tree_model_get_n_columns;
  iface->get_column_type = mp_message_tree_model_get_column_type;
  iface->get_iter = mp_message_tree_model_get_iter;
  iface->get_path = mp_message_tree_model_get_path;
  iface->get_value = mp_message_tree_model_get_value;
  iface->iter_next = mp_message_tree_model_iter_next;
  iface->iter_previous = mp_message_tree_model_iter_previous;
  iface->iter_children = mp_message_tree_model_iter_children;
  iface->iter_has_child = mp_message_tree_model_iter_has_child;
  iface->iter_n_children = mp_message_tree_model_iter_n_children;
  iface->iter_nth_child = mp_message_tree_model_iter_nth_child;
  iface->iter_parent = mp_message_tree_model_iter_parent;
}

/* GObject */

static void
mp_message_tree_model_dispose (GObject *object)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (object);

  if (self->messages != NULL)
    g_clear_signal_handler (&self->items_changed_id, self->messages);
  g_clear_object (&self->messages);
  g_hash_table_remove_all (self->index);
  /* rows hold notify handlers on the messages: drop them now, not at
   * finalize, so a message outliving us never calls back into us */
  g_sequence_remove_range (g_sequence_get_begin_iter (self->rows),
                           g_sequence_get_end_iter (self->rows));

  G_OBJECT_CLASS (mp_message_tree_model_parent_class)->dispose (object);
}

static void
mp_message_tree_model_finalize (GObject *object)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (object);

  g_clear_pointer (&self->rows, g_sequence_free);
  g_clear_pointer (&self->index, g_hash_table_unref);

  G_OBJECT_CLASS (mp_message_tree_model_parent_class)->finalize (object);
}

static void
mp_message_tree_model_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (object);

  switch (prop_id)
    {
    case PROP_MESSAGES:
      g_value_set_object (value, self->messages);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_message_tree_model_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (object);

  switch (prop_id)
    {
    case PROP_MESSAGES:
      mp_message_tree_model_set_messages (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_message_tree_model_class_init (MpMessageTreeModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mp_message_tree_model_dispose;
  object_class->finalize = mp_message_tree_model_finalize;
  object_class->get_property = mp_message_tree_model_get_property;
  object_class->set_property = mp_message_tree_model_set_property;

  properties[PROP_MESSAGES] =
    g_param_spec_object ("messages", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mp_message_tree_model_init (MpMessageTreeModel *self)
{
  self->rows = g_sequence_new (row_free);
  self->index = g_hash_table_new (NULL, NULL);
  /* a stamp of 0 marks an invalid iterator */
  do
    self->stamp = g_random_int ();
  while (self->stamp == 0);
}

/**
 * mp_message_tree_model_new:
 * @messages: (nullable): a #GListModel of #MpMessage
 *
 * Returns: (transfer full): a tree model following @messages
 */
MpMessageTreeModel *
mp_message_tree_model_new (GListModel *messages)
{
  g_return_val_if_fail (messages == NULL || G_IS_LIST_MODEL (messages), NULL);

  return g_object_new (MP_TYPE_MESSAGE_TREE_MODEL, "messages", messages, NULL);
}

/**
 * mp_message_tree_model_get_messages:
 *
 * Returns: (transfer none): the list model it follows
 */
GListModel *
mp_message_tree_model_get_messages (MpMessageTreeModel *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE_TREE_MODEL (self), NULL);

  return self->messages;
}

/**
 * mp_message_tree_model_get_message:
 *
 * Returns: (transfer none): the message of the row at @iter
 */
MpMessage *
mp_message_tree_model_get_message (MpMessageTreeModel *self,
                                   GtkTreeIter        *iter)
{
  Row *row;

  g_return_val_if_fail (MP_IS_MESSAGE_TREE_MODEL (self), NULL);

  row = row_from_iter (self, iter);
  return row != NULL ? row->message : NULL;
}

/**
 * mp_message_tree_model_find:
 * @iter: (out): where to put the row's iterator
 *
 * Returns: %TRUE if @message has a row
 */
gboolean
mp_message_tree_model_find (MpMessageTreeModel *self,
                            MpMessage          *message,
                            GtkTreeIter        *iter)
{
  g_return_val_if_fail (MP_IS_MESSAGE_TREE_MODEL (self), FALSE);

  return iter_from_seq (self, g_hash_table_lookup (self->index, message), iter);
}

static int
compare_int64 (gint64 a,
               gint64 b)
{
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * mp_message_tree_model_compare:
 * @column: a #MpMessageTreeModelColumn
 *
 * Compares two rows by @column, for a #GtkTreeIterCompareFunc. Rows that
 * are equal by @column are ordered by date, then by position, so that
 * the order is total and a sort does not shuffle equal rows.
 *
 * Returns: < 0, 0 or > 0
 */
int
mp_message_tree_model_compare (MpMessageTreeModel *self,
                               GtkTreeIter        *a,
                               GtkTreeIter        *b,
                               int                 column)
{
  Row *ra = row_from_iter (self, a);
  Row *rb = row_from_iter (self, b);
  GDateTime *da, *db;
  int result = 0;

  g_return_val_if_fail (ra != NULL && rb != NULL, 0);

  switch ((MpMessageTreeModelColumn) column)
    {
    case MP_MESSAGE_TREE_MODEL_COLUMN_UNSEEN:
      /* unseen first when ascending */
      result = (int) mp_message_get_unseen (rb->message) - (int) mp_message_get_unseen (ra->message);
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_FROM:
      result = strcmp (row_get_from_key (ra), row_get_from_key (rb));
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_SUBJECT:
      result = strcmp (row_get_subject_key (ra), row_get_subject_key (rb));
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_SIZE:
      result = compare_int64 (mp_message_get_size (ra->message), mp_message_get_size (rb->message));
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_ACCOUNT:
      result = strcmp (row_get_account_key (ra), row_get_account_key (rb));
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_DATE:
    case MP_MESSAGE_TREE_MODEL_COLUMN_MESSAGE:
    case MP_MESSAGE_TREE_MODEL_N_COLUMNS:
    default:
      break;
    }

  if (result == 0)
    {
      da = mp_message_get_date (ra->message);
      db = mp_message_get_date (rb->message);
      result = compare_int64 (da != NULL ? g_date_time_to_unix (da) : 0,
                              db != NULL ? g_date_time_to_unix (db) : 0);
    }
  if (result == 0)
    result = g_sequence_iter_compare (a->user_data, b->user_data);
  return result;
}

/**
 * mp_message_tree_model_matches:
 * @needle: (nullable): what the user typed, normalized and case-folded
 *   (g_utf8_normalize() with %G_NORMALIZE_ALL, then g_utf8_casefold())
 *
 * Returns: %TRUE if the row's From or Subject contains @needle
 */
gboolean
mp_message_tree_model_matches (MpMessageTreeModel *self,
                               GtkTreeIter        *iter,
                               const char         *needle)
{
  Row *row = row_from_iter (self, iter);

  if (row == NULL)
    return FALSE;
  if (needle == NULL || *needle == '\0')
    return TRUE;
  return strstr (row_get_search_text (row), needle) != NULL;
}
