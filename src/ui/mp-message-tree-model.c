/* mp-message-tree-model.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-message-tree-model"

#include "config.h"

#include <string.h>

#include "mp-account.h"
#include "mp-message-tree-model.h"

/* A refilter that changes more rows than this tells the view "all rows
 * went, these came" instead of editing the array row by row, which would
 * move the tail of a 10,000-row array once per change. */
#define RESET_THRESHOLD 64

/* One row: the message and what sorting and searching need, computed the
 * first time it is asked for and dropped when the message changes, so that
 * sorting 10,000 rows compares cached collation keys instead of collating
 * UTF-8 strings 140,000 times. */
typedef struct
{
  MpMessage *message;
  gulong     notify_id;
  /* position among the shown rows, valid while < self->dirty_from;
   * G_MAXUINT when hidden */
  guint      pos;
  /* order in the underlying list at the time it came, the last tie-break */
  guint64    serial;
  gint64     date;
  char      *from_key;
  char      *subject_key;
  char      *account_key;
  char      *search_text;
} Row;

struct _MpMessageTreeModel
{
  GObject                       parent_instance;

  GListModel                   *messages;
  gulong                        items_changed_id;
  /* of Row*, owning: every message, in the list's order */
  GPtrArray                    *all;
  /* of Row*: the shown ones, in display order */
  GPtrArray                    *shown;
  /* MpMessage* -> Row* */
  GHashTable                   *index;
  guint                         dirty_from;
  guint64                       next_serial;
  int                           stamp;

  int                           sort_column;
  GtkSortType                   sort_order;

  MpMessageTreeModelFilterFunc  filter_func;
  gpointer                      filter_data;
  GDestroyNotify                filter_destroy;
};

static void mp_message_tree_model_tree_model_init (GtkTreeModelIface *iface);
static void mp_message_tree_model_sortable_init (GtkTreeSortableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MpMessageTreeModel, mp_message_tree_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_TREE_MODEL,
                                                      mp_message_tree_model_tree_model_init)
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_TREE_SORTABLE,
                                                      mp_message_tree_model_sortable_init))

enum {
  PROP_0,
  PROP_MESSAGES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/**
 * mp_message_dup_account_name:
 *
 * Returns: (transfer full) (nullable): the name of the account @message
 *   belongs to, for the Account column
 */
char *
mp_message_dup_account_name (MpMessage *message)
{
  GObject *mailbox = mp_message_get_mailbox (message);
  g_autoptr(MpAccount) account = NULL;

  if (mailbox == NULL)
    return NULL;
  /* by property, so that the list and its tests need no more of the
   * mailbox than its account */
  g_object_get (mailbox, "account", &account, NULL);
  if (account == NULL)
    return NULL;
  if (mp_account_get_name (account) != NULL && *mp_account_get_name (account) != '\0')
    return g_strdup (mp_account_get_name (account));
  return mp_account_dup_label (account);
}

/**
 * mp_message_tree_model_fold:
 *
 * Returns: (transfer full): @text as mp_message_tree_model_matches()
 *   compares it: normalized (compatibility decomposition) and case-folded
 */
char *
mp_message_tree_model_fold (const char *text)
{
  g_autofree char *normalized = g_utf8_normalize (text, -1, G_NORMALIZE_ALL);

  return g_utf8_casefold (normalized != NULL ? normalized : text, -1);
}

/* Case-folded first: in the C locale (and some others) collation is by
 * code point, and "alice" must still sort next to "Alice", not after "Zoë". */
static char *
sort_key (const char *text)
{
  g_autofree char *folded = g_utf8_casefold (text != NULL ? text : "", -1);

  return g_utf8_collate_key (folded, -1);
}

static void
row_free_keys (Row *row)
{
  g_clear_pointer (&row->from_key, g_free);
  g_clear_pointer (&row->subject_key, g_free);
  g_clear_pointer (&row->account_key, g_free);
  g_clear_pointer (&row->search_text, g_free);
}

/* after the message changed: drop what was derived from it */
static void
row_clear_keys (Row *row)
{
  GDateTime *date = mp_message_get_date (row->message);

  row->date = date != NULL ? g_date_time_to_unix (date) : 0;
  row_free_keys (row);
}

static void
row_free (gpointer data)
{
  Row *row = data;

  g_clear_signal_handler (&row->notify_id, row->message);
  g_clear_object (&row->message);
  row_free_keys (row);
  g_free (row);
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
      row->from_key = sort_key (from);
    }
  return row->from_key;
}

static const char *
row_get_subject_key (Row *row)
{
  if (row->subject_key == NULL)
    row->subject_key = sort_key (mp_message_get_subject (row->message));
  return row->subject_key;
}

static const char *
row_get_account_key (Row *row)
{
  if (row->account_key == NULL)
    {
      g_autofree char *name = mp_message_dup_account_name (row->message);

      row->account_key = sort_key (name);
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

      row->search_text = mp_message_tree_model_fold (joined);
    }
  return row->search_text;
}

static int
compare_int64 (gint64 a,
               gint64 b)
{
  return a < b ? -1 : a > b ? 1 : 0;
}

/* Rows equal by @column are ordered by date, then by arrival, so that the
 * order is total and a sort never shuffles equal rows. */
static int
compare_rows (const Row *ra,
              const Row *rb,
              int        column)
{
  int result = 0;

  switch ((MpMessageTreeModelColumn) column)
    {
    case MP_MESSAGE_TREE_MODEL_COLUMN_UNSEEN:
      /* unseen first when ascending */
      result = (int) mp_message_get_unseen (rb->message) - (int) mp_message_get_unseen (ra->message);
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_FROM:
      result = strcmp (row_get_from_key ((Row *) ra), row_get_from_key ((Row *) rb));
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_SUBJECT:
      result = strcmp (row_get_subject_key ((Row *) ra), row_get_subject_key ((Row *) rb));
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_SIZE:
      result = compare_int64 (mp_message_get_size (ra->message), mp_message_get_size (rb->message));
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_ACCOUNT:
      result = strcmp (row_get_account_key ((Row *) ra), row_get_account_key ((Row *) rb));
      break;
    case MP_MESSAGE_TREE_MODEL_COLUMN_DATE:
    case MP_MESSAGE_TREE_MODEL_COLUMN_MESSAGE:
    case MP_MESSAGE_TREE_MODEL_N_COLUMNS:
    default:
      break;
    }

  if (result == 0)
    result = compare_int64 (ra->date, rb->date);
  if (result == 0)
    result = ra->serial < rb->serial ? -1 : ra->serial > rb->serial ? 1 : 0;
  return result;
}

static int
compare_shown (MpMessageTreeModel *self,
               const Row          *ra,
               const Row          *rb)
{
  int result = compare_rows (ra, rb, self->sort_column);

  return self->sort_order == GTK_SORT_DESCENDING ? -result : result;
}

static int
qsort_cb (gconstpointer a,
          gconstpointer b,
          gpointer      user_data)
{
  return compare_shown (user_data, *(Row * const *) a, *(Row * const *) b);
}

static void
renumber (MpMessageTreeModel *self)
{
  for (guint i = self->dirty_from; i < self->shown->len; i++)
    ((Row *) g_ptr_array_index (self->shown, i))->pos = i;
  self->dirty_from = self->shown->len;
}

static guint
row_pos (MpMessageTreeModel *self,
         Row                *row)
{
  /* a row is only ever shifted from a place at or after the first
   * change, so a stored position before it is still right */
  if (row->pos >= self->dirty_from && row->pos != G_MAXUINT)
    renumber (self);
  return row->pos;
}

static void
set_iter (MpMessageTreeModel *self,
          Row                *row,
          GtkTreeIter        *iter)
{
  iter->stamp = self->stamp;
  iter->user_data = row;
  iter->user_data2 = NULL;
  iter->user_data3 = NULL;
}

static gboolean
iter_at (MpMessageTreeModel *self,
         guint               pos,
         GtkTreeIter        *iter)
{
  if (pos >= self->shown->len)
    {
      iter->stamp = 0;
      return FALSE;
    }
  set_iter (self, g_ptr_array_index (self->shown, pos), iter);
  return TRUE;
}

static Row *
row_from_iter (MpMessageTreeModel *self,
               GtkTreeIter        *iter)
{
  g_return_val_if_fail (iter != NULL, NULL);
  g_return_val_if_fail (iter->stamp == self->stamp, NULL);

  return iter->user_data;
}

static gboolean
row_passes (MpMessageTreeModel *self,
            Row                *row)
{
  GtkTreeIter iter;

  if (self->filter_func == NULL)
    return TRUE;
  set_iter (self, row, &iter);
  return self->filter_func (self, &iter, row->message, self->filter_data);
}

/* Where @row goes among the shown rows: a binary search. */
static guint
find_insert_pos (MpMessageTreeModel *self,
                 Row                *row)
{
  guint lo = 0, hi = self->shown->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (compare_shown (self, g_ptr_array_index (self->shown, mid), row) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static void
show_row (MpMessageTreeModel *self,
          Row                *row)
{
  guint pos = find_insert_pos (self, row);
  g_autoptr(GtkTreePath) path = gtk_tree_path_new_from_indices (pos, -1);
  GtkTreeIter iter;

  g_ptr_array_insert (self->shown, pos, row);
  row->pos = pos;
  self->dirty_from = MIN (self->dirty_from, pos);
  set_iter (self, row, &iter);
  gtk_tree_model_row_inserted (GTK_TREE_MODEL (self), path, &iter);
}

static void
hide_row (MpMessageTreeModel *self,
          Row                *row)
{
  guint pos = row_pos (self, row);
  g_autoptr(GtkTreePath) path = gtk_tree_path_new_from_indices (pos, -1);

  g_ptr_array_remove_index (self->shown, pos);
  row->pos = G_MAXUINT;
  self->dirty_from = MIN (self->dirty_from, pos);
  gtk_tree_model_row_deleted (GTK_TREE_MODEL (self), path);
}

static void
message_notify_cb (MpMessage          *message,
                   GParamSpec         *pspec,
                   MpMessageTreeModel *self)
{
  Row *row = g_hash_table_lookup (self->index, message);
  gboolean passes;

  /* number, announced and snippet do not change what a row shows */
  if (row == NULL
      || g_strcmp0 (pspec->name, "number") == 0
      || g_strcmp0 (pspec->name, "announced") == 0
      || g_strcmp0 (pspec->name, "snippet") == 0)
    return;

  row_clear_keys (row);
  passes = row_passes (self, row);

  if (row->pos == G_MAXUINT)
    {
      if (passes)
        show_row (self, row);
      return;
    }
  if (!passes)
    {
      hide_row (self, row);
      return;
    }

  {
    guint pos = row_pos (self, row);
    gboolean in_order =
      (pos == 0 || compare_shown (self, g_ptr_array_index (self->shown, pos - 1), row) < 0)
      && (pos + 1 >= self->shown->len || compare_shown (self, row, g_ptr_array_index (self->shown, pos + 1)) < 0);

    if (in_order)
      {
        g_autoptr(GtkTreePath) path = gtk_tree_path_new_from_indices (pos, -1);
        GtkTreeIter iter;

        set_iter (self, row, &iter);
        gtk_tree_model_row_changed (GTK_TREE_MODEL (self), path, &iter);
      }
    else
      {
        /* its sort key changed (headers that came later): move it */
        hide_row (self, row);
        show_row (self, row);
      }
  }
}

static Row *
row_new (MpMessageTreeModel *self,
         MpMessage          *message)
{
  Row *row = g_new0 (Row, 1);

  row->message = g_object_ref (message);
  row->pos = G_MAXUINT;
  row->serial = self->next_serial++;
  row_clear_keys (row);
  row->notify_id = g_signal_connect_object (message, "notify",
                                            G_CALLBACK (message_notify_cb), self, 0);
  g_hash_table_insert (self->index, message, row);
  return row;
}

/* Builds the shown rows from scratch, without signals: only while no view
 * has the model, or between a row-deleted for every row and a
 * row-inserted for every row. */
static void
rebuild_shown (MpMessageTreeModel *self)
{
  g_ptr_array_set_size (self->shown, 0);
  for (guint i = 0; i < self->all->len; i++)
    {
      Row *row = g_ptr_array_index (self->all, i);

      row->pos = G_MAXUINT;
      if (row_passes (self, row))
        g_ptr_array_add (self->shown, row);
    }
  g_ptr_array_sort_with_data (self->shown, qsort_cb, self);
  self->dirty_from = 0;
  renumber (self);
}

/* Tells the view that every shown row went (from the end, so that each
 * removal is O(1)) and that the rows shown now came (in order, each an
 * append): two signals per row instead of moving the tail of the array
 * once per changed row. @change runs in between, with nothing shown. */
static void
reset_shown_with (MpMessageTreeModel *self,
                  void              (*change) (MpMessageTreeModel *self,
                                               gpointer            data),
                  gpointer            data)
{
  g_autoptr(GPtrArray) rows = NULL;

  while (self->shown->len > 0)
    {
      guint last = self->shown->len - 1;
      g_autoptr(GtkTreePath) path = gtk_tree_path_new_from_indices (last, -1);
      Row *row = g_ptr_array_steal_index (self->shown, last);

      row->pos = G_MAXUINT;
      gtk_tree_model_row_deleted (GTK_TREE_MODEL (self), path);
    }
  if (change != NULL)
    change (self, data);
  rebuild_shown (self);

  /* emitted as if they came one by one, so the model agrees with what
   * the view has been told at every emission */
  rows = g_ptr_array_copy (self->shown, NULL, NULL);
  g_ptr_array_set_size (self->shown, 0);
  for (guint i = 0; i < rows->len; i++)
    {
      g_autoptr(GtkTreePath) path = gtk_tree_path_new_from_indices (i, -1);
      Row *row = g_ptr_array_index (rows, i);
      GtkTreeIter iter;

      g_ptr_array_add (self->shown, row);
      row->pos = i;
      self->dirty_from = i + 1;
      set_iter (self, row, &iter);
      gtk_tree_model_row_inserted (GTK_TREE_MODEL (self), path, &iter);
    }
}

static void
reset_shown (MpMessageTreeModel *self)
{
  reset_shown_with (self, NULL, NULL);
}

typedef struct
{
  GListModel *model;
  guint       position, removed, added;
} Splice;

static void
splice_all (MpMessageTreeModel *self,
            gpointer            data)
{
  Splice *splice = data;

  for (guint i = 0; i < splice->removed; i++)
    {
      Row *row = g_ptr_array_index (self->all, splice->position + i);

      if (g_hash_table_lookup (self->index, row->message) == row)
        g_hash_table_remove (self->index, row->message);
    }
  g_ptr_array_remove_range (self->all, splice->position, splice->removed);
  for (guint i = 0; i < splice->added; i++)
    {
      g_autoptr(MpMessage) message = g_list_model_get_item (splice->model, splice->position + i);

      g_ptr_array_insert (self->all, splice->position + i, row_new (self, message));
    }
}

static void
items_changed_cb (GListModel         *model,
                  guint               position,
                  guint               removed,
                  guint               added,
                  MpMessageTreeModel *self)
{
  /* a first poll of a large mailbox, or an account going away */
  if (removed + added > RESET_THRESHOLD)
    {
      Splice splice = { model, position, removed, added };

      reset_shown_with (self, splice_all, &splice);
      return;
    }

  for (guint i = 0; i < removed; i++)
    {
      Row *row = g_ptr_array_index (self->all, position + i);

      if (row->pos != G_MAXUINT)
        hide_row (self, row);
      /* a message moved within the list may already have its new row */
      if (g_hash_table_lookup (self->index, row->message) == row)
        g_hash_table_remove (self->index, row->message);
    }
  g_ptr_array_remove_range (self->all, position, removed);

  for (guint i = 0; i < added; i++)
    {
      g_autoptr(MpMessage) message = g_list_model_get_item (model, position + i);
      Row *row = row_new (self, message);

      g_ptr_array_insert (self->all, position + i, row);
      if (row_passes (self, row))
        show_row (self, row);
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

      g_ptr_array_add (self->all, row_new (self, message));
    }
  rebuild_shown (self);
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
  return iter_at (self, index < 0 ? G_MAXUINT : (guint) index, iter);
}

static GtkTreePath *
mp_message_tree_model_get_path (GtkTreeModel *model,
                                GtkTreeIter  *iter)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (model);
  Row *row = row_from_iter (self, iter);

  g_return_val_if_fail (row != NULL && row->pos != G_MAXUINT, NULL);

  return gtk_tree_path_new_from_indices (row_pos (self, row), -1);
}

static void
mp_message_tree_model_get_value (GtkTreeModel *model,
                                 GtkTreeIter  *iter,
                                 int           column,
                                 GValue       *value)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (model);
  Row *row = row_from_iter (self, iter);

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
      g_value_set_int64 (value, row->date);
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
  Row *row = row_from_iter (self, iter);

  if (row == NULL || row->pos == G_MAXUINT)
    {
      iter->stamp = 0;
      return FALSE;
    }
  return iter_at (self, row_pos (self, row) + 1, iter);
}

static gboolean
mp_message_tree_model_iter_previous (GtkTreeModel *model,
                                     GtkTreeIter  *iter)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (model);
  Row *row = row_from_iter (self, iter);
  guint pos;

  if (row == NULL || row->pos == G_MAXUINT || (pos = row_pos (self, row)) == 0)
    {
      iter->stamp = 0;
      return FALSE;
    }
  return iter_at (self, pos - 1, iter);
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
  return iter_at (self, 0, iter);
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

  return iter == NULL ? (int) self->shown->len : 0;
}

static gboolean
mp_message_tree_model_iter_nth_child (GtkTreeModel *model,
                                      GtkTreeIter  *iter,
                                      GtkTreeIter  *parent,
                                      int           n)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (model);

  if (parent != NULL || n < 0)
    {
      iter->stamp = 0;
      return FALSE;
    }
  return iter_at (self, n, iter);
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

/* GtkTreeSortable */

static gboolean
mp_message_tree_model_get_sort_column_id (GtkTreeSortable *sortable,
                                          int             *sort_column_id,
                                          GtkSortType     *order)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (sortable);

  if (sort_column_id != NULL)
    *sort_column_id = self->sort_column;
  if (order != NULL)
    *order = self->sort_order;
  return TRUE;
}

static void
mp_message_tree_model_set_sort_column_id (GtkTreeSortable *sortable,
                                          int              sort_column_id,
                                          GtkSortType      order)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (sortable);
  g_autofree int *new_order = NULL;
  g_autoptr(GtkTreePath) root = NULL;

  /* the default and unsorted ids mean nothing here: newest first */
  if (sort_column_id <= MP_MESSAGE_TREE_MODEL_COLUMN_MESSAGE
      || sort_column_id >= MP_MESSAGE_TREE_MODEL_N_COLUMNS)
    {
      sort_column_id = MP_MESSAGE_TREE_MODEL_COLUMN_DATE;
      order = GTK_SORT_DESCENDING;
    }
  if (sort_column_id == self->sort_column && order == self->sort_order)
    return;

  self->sort_column = sort_column_id;
  self->sort_order = order;

  if (self->shown->len > 0)
    {
      renumber (self);
      g_ptr_array_sort_with_data (self->shown, qsort_cb, self);
      /* new_order[new position] = old position, which rows still hold */
      new_order = g_new (int, self->shown->len);
      for (guint i = 0; i < self->shown->len; i++)
        new_order[i] = ((Row *) g_ptr_array_index (self->shown, i))->pos;
      self->dirty_from = 0;
      renumber (self);
      root = gtk_tree_path_new ();
      gtk_tree_model_rows_reordered (GTK_TREE_MODEL (self), root, NULL, new_order);
    }
  gtk_tree_sortable_sort_column_changed (sortable);
}

static void
mp_message_tree_model_set_sort_func (GtkTreeSortable        *sortable,
                                     int                     sort_column_id,
                                     GtkTreeIterCompareFunc  func,
                                     gpointer                data,
                                     GDestroyNotify          destroy)
{
  g_warning ("MpMessageTreeModel sorts by its own columns only");
}

static void
mp_message_tree_model_set_default_sort_func (GtkTreeSortable        *sortable,
                                             GtkTreeIterCompareFunc  func,
                                             gpointer                data,
                                             GDestroyNotify          destroy)
{
  g_warning ("MpMessageTreeModel sorts by its own columns only");
}

static gboolean
mp_message_tree_model_has_default_sort_func (GtkTreeSortable *sortable)
{
  return FALSE;
}

static void
mp_message_tree_model_sortable_init (GtkTreeSortableIface *iface)
{
  iface->get_sort_column_id = mp_message_tree_model_get_sort_column_id;
  iface->set_sort_column_id = mp_message_tree_model_set_sort_column_id;
  iface->set_sort_func = mp_message_tree_model_set_sort_func;
  iface->set_default_sort_func = mp_message_tree_model_set_default_sort_func;
  iface->has_default_sort_func = mp_message_tree_model_has_default_sort_func;
}

/* GObject */

static void
mp_message_tree_model_dispose (GObject *object)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (object);

  if (self->messages != NULL)
    g_clear_signal_handler (&self->items_changed_id, self->messages);
  g_clear_object (&self->messages);
  if (self->filter_destroy != NULL)
    g_clear_pointer (&self->filter_data, self->filter_destroy);
  self->filter_func = NULL;
  g_hash_table_remove_all (self->index);
  g_ptr_array_set_size (self->shown, 0);
  /* rows hold notify handlers on the messages: drop them now, not at
   * finalize, so a message outliving us never calls back into us */
  g_ptr_array_set_size (self->all, 0);

  G_OBJECT_CLASS (mp_message_tree_model_parent_class)->dispose (object);
}

static void
mp_message_tree_model_finalize (GObject *object)
{
  MpMessageTreeModel *self = MP_MESSAGE_TREE_MODEL (object);

  g_clear_pointer (&self->shown, g_ptr_array_unref);
  g_clear_pointer (&self->all, g_ptr_array_unref);
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
  self->all = g_ptr_array_new_with_free_func (row_free);
  self->shown = g_ptr_array_new ();
  self->index = g_hash_table_new (NULL, NULL);
  self->sort_column = MP_MESSAGE_TREE_MODEL_COLUMN_DATE;
  self->sort_order = GTK_SORT_DESCENDING;
  /* a stamp of 0 marks an invalid iterator */
  do
    self->stamp = (int) g_random_int ();
  while (self->stamp == 0);
}

/**
 * mp_message_tree_model_new:
 * @messages: (nullable): a #GListModel of #MpMessage
 *
 * Returns: (transfer full): a tree model following @messages, newest first
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
 * Returns: %TRUE if @message is shown
 */
gboolean
mp_message_tree_model_find (MpMessageTreeModel *self,
                            MpMessage          *message,
                            GtkTreeIter        *iter)
{
  Row *row;

  g_return_val_if_fail (MP_IS_MESSAGE_TREE_MODEL (self), FALSE);

  row = g_hash_table_lookup (self->index, message);
  if (row == NULL || row->pos == G_MAXUINT)
    {
      iter->stamp = 0;
      return FALSE;
    }
  set_iter (self, row, iter);
  return TRUE;
}

/**
 * mp_message_tree_model_set_filter_func:
 * @func: (nullable): what decides which messages are shown
 *
 * Sets the filter and applies it at once.
 */
void
mp_message_tree_model_set_filter_func (MpMessageTreeModel          *self,
                                       MpMessageTreeModelFilterFunc func,
                                       gpointer                     user_data,
                                       GDestroyNotify               destroy)
{
  g_return_if_fail (MP_IS_MESSAGE_TREE_MODEL (self));

  if (self->filter_destroy != NULL)
    g_clear_pointer (&self->filter_data, self->filter_destroy);
  self->filter_func = func;
  self->filter_data = user_data;
  self->filter_destroy = destroy;
  mp_message_tree_model_refilter (self);
}

/**
 * mp_message_tree_model_refilter:
 *
 * Asks the filter function again about every message, after what it
 * decides on changed.
 */
void
mp_message_tree_model_refilter (MpMessageTreeModel *self)
{
  g_autoptr(GPtrArray) to_hide = g_ptr_array_new ();
  g_autoptr(GPtrArray) to_show = g_ptr_array_new ();

  g_return_if_fail (MP_IS_MESSAGE_TREE_MODEL (self));

  for (guint i = 0; i < self->all->len; i++)
    {
      Row *row = g_ptr_array_index (self->all, i);
      gboolean passes = row_passes (self, row);

      if (passes && row->pos == G_MAXUINT)
        g_ptr_array_add (to_show, row);
      else if (!passes && row->pos != G_MAXUINT)
        g_ptr_array_add (to_hide, row);
    }

  if (to_hide->len + to_show->len <= RESET_THRESHOLD)
    {
      for (guint i = 0; i < to_hide->len; i++)
        hide_row (self, g_ptr_array_index (to_hide, i));
      for (guint i = 0; i < to_show->len; i++)
        show_row (self, g_ptr_array_index (to_show, i));
      return;
    }

  reset_shown (self);
}

/**
 * mp_message_tree_model_compare:
 * @column: a #MpMessageTreeModelColumn
 *
 * Compares two rows by @column, ascending.
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

  g_return_val_if_fail (ra != NULL && rb != NULL, 0);

  return compare_rows (ra, rb, column);
}

/**
 * mp_message_tree_model_matches:
 * @needle: (nullable): what the user typed, through
 *   mp_message_tree_model_fold()
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
