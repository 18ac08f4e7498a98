/* test-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The preview window under a real X server (Xvfb, see tests/meson.build):
 * the tree model over a list of messages and its signals, the model that
 * concatenates mailboxes, the message list's rows, sorting, filtering and
 * hiding, the date column, and that every control has an accessible name.
 */

#define G_LOG_DOMAIN "test-window"

#include "config.h"

#include <gtk/gtk.h>

#include "mp-message-list.h"
#include "mp-message-list-model.h"
#include "mp-message-private.h"
#include "mp-message-tree-model.h"

/* ---- helpers ----------------------------------------------------------- */

static MpMessage *
make_message (const char *uid,
              const char *from_name,
              const char *subject,
              gint64      unix_time,
              guint64     size)
{
  g_autoptr(MpHeaders) headers = mp_headers_new ();

  headers->from_name = g_strdup (from_name);
  headers->from_address = g_strdup_printf ("%s@example.org", uid);
  headers->from = g_strdup_printf ("%s <%s>", from_name, headers->from_address);
  headers->subject = g_strdup (subject);
  headers->date = unix_time > 0 ? g_date_time_new_from_unix_utc (unix_time) : NULL;
  return mp_message_new (uid, uid, 1, size, headers);
}

static GListStore *
make_store (void)
{
  GListStore *store = g_list_store_new (MP_TYPE_MESSAGE);
  g_autoptr(MpMessage) a = make_message ("a", "Zoë Young", "Quarterly report", 1700000300, 5000);
  g_autoptr(MpMessage) b = make_message ("b", "Борис Петров", "Отчёт за неделю", 1700000100, 120);
  g_autoptr(MpMessage) c = make_message ("c", "alice Martin", "Holiday photos", 1700000200, 3000000);

  g_list_store_append (store, a);
  g_list_store_append (store, b);
  g_list_store_append (store, c);
  return store;
}

static void
iterate (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static char *
visible_uids (MpMessageList *list)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < mp_message_list_get_n_visible (list); i++)
    g_string_append (s, mp_message_get_uid (mp_message_list_get_visible_message (list, i)));
  return g_string_free (s, FALSE);
}

/* ---- MpMessageTreeModel ------------------------------------------------ */

typedef struct
{
  GString *log;
} Events;

static void
row_inserted_cb (GtkTreeModel *model,
                 GtkTreePath  *path,
                 GtkTreeIter  *iter,
                 Events       *events)
{
  MpMessage *message = mp_message_tree_model_get_message (MP_MESSAGE_TREE_MODEL (model), iter);

  g_string_append_printf (events->log, "+%d%s ", gtk_tree_path_get_indices (path)[0],
                          mp_message_get_uid (message));
}

static void
row_deleted_cb (GtkTreeModel *model,
                GtkTreePath  *path,
                Events       *events)
{
  g_string_append_printf (events->log, "-%d ", gtk_tree_path_get_indices (path)[0]);
}

static void
row_changed_cb (GtkTreeModel *model,
                GtkTreePath  *path,
                GtkTreeIter  *iter,
                Events       *events)
{
  g_string_append_printf (events->log, "~%d ", gtk_tree_path_get_indices (path)[0]);
}

static void
test_tree_model_follows_list (void)
{
  g_autoptr(GListStore) store = make_store ();
  g_autoptr(MpMessageTreeModel) model = mp_message_tree_model_new (G_LIST_MODEL (store));
  g_autoptr(MpMessage) d = make_message ("d", "Dora", "New one", 1700000400, 10);
  Events events = { g_string_new (NULL) };
  GtkTreeIter iter;
  g_autofree char *subject = NULL;
  gint64 date = 0;
  guint64 size = 0;
  gboolean unseen = TRUE;

  g_assert_cmpint (gtk_tree_model_iter_n_children (GTK_TREE_MODEL (model), NULL), ==, 3);
  g_assert_true (gtk_tree_model_get_iter_first (GTK_TREE_MODEL (model), &iter));
  g_assert_true (gtk_tree_model_iter_next (GTK_TREE_MODEL (model), &iter));
  gtk_tree_model_get (GTK_TREE_MODEL (model), &iter,
                      MP_MESSAGE_TREE_MODEL_COLUMN_SUBJECT, &subject,
                      MP_MESSAGE_TREE_MODEL_COLUMN_DATE, &date,
                      MP_MESSAGE_TREE_MODEL_COLUMN_SIZE, &size,
                      MP_MESSAGE_TREE_MODEL_COLUMN_UNSEEN, &unseen,
                      -1);
  /* newest first until told otherwise */
  g_assert_cmpstr (subject, ==, "Holiday photos");
  g_assert_cmpint (date, ==, 1700000200);
  g_assert_cmpuint (size, ==, 3000000);
  g_assert_false (unseen);

  g_signal_connect (model, "row-inserted", G_CALLBACK (row_inserted_cb), &events);
  g_signal_connect (model, "row-deleted", G_CALLBACK (row_deleted_cb), &events);
  g_signal_connect (model, "row-changed", G_CALLBACK (row_changed_cb), &events);

  g_list_store_insert (store, 1, d);
  g_list_store_remove (store, 0);
  {
    g_autoptr(MpMessage) c = g_list_model_get_item (G_LIST_MODEL (store), 2);

    mp_message_set_unseen (c, TRUE);
    /* a property the list does not show changes no row */
    mp_message_set_announced (c, TRUE);
  }
  /* the newest goes first; "a" was second by then */
  g_assert_cmpstr (events.log->str, ==, "+0d -1 ~1 ");

  /* iterators persist: the row of "d" is found at its place */
  g_assert_true (mp_message_tree_model_find (model, d, &iter));
  {
    g_autoptr(GtkTreePath) path = gtk_tree_model_get_path (GTK_TREE_MODEL (model), &iter);

    g_assert_cmpint (gtk_tree_path_get_indices (path)[0], ==, 0);
  }
  g_assert_cmpint (gtk_tree_model_iter_n_children (GTK_TREE_MODEL (model), NULL), ==, 3);

  g_string_free (events.log, TRUE);
}

static void
test_tree_model_compare_and_match (void)
{
  g_autoptr(GListStore) store = make_store ();
  g_autoptr(MpMessageTreeModel) model = mp_message_tree_model_new (G_LIST_MODEL (store));
  GtkTreeIter a, b, c;
  g_autofree char *needle = mp_message_tree_model_fold ("ОТЧЁТ");

  g_autoptr(MpMessage) ma = g_list_model_get_item (G_LIST_MODEL (store), 0);
  g_autoptr(MpMessage) mb = g_list_model_get_item (G_LIST_MODEL (store), 1);
  g_autoptr(MpMessage) mc = g_list_model_get_item (G_LIST_MODEL (store), 2);

  g_assert_true (mp_message_tree_model_find (model, ma, &a));
  g_assert_true (mp_message_tree_model_find (model, mb, &b));
  g_assert_true (mp_message_tree_model_find (model, mc, &c));

  /* collation, not bytes: "alice" sorts before "Zoë" whatever the case */
  g_assert_cmpint (mp_message_tree_model_compare (model, &c, &a, MP_MESSAGE_TREE_MODEL_COLUMN_FROM), <, 0);
  g_assert_cmpint (mp_message_tree_model_compare (model, &b, &c, MP_MESSAGE_TREE_MODEL_COLUMN_DATE), <, 0);
  g_assert_cmpint (mp_message_tree_model_compare (model, &b, &a, MP_MESSAGE_TREE_MODEL_COLUMN_SIZE), <, 0);
  g_assert_cmpint (mp_message_tree_model_compare (model, &a, &a, MP_MESSAGE_TREE_MODEL_COLUMN_SUBJECT), ==, 0);

  g_assert_true (mp_message_tree_model_matches (model, &b, needle));
  g_assert_false (mp_message_tree_model_matches (model, &a, needle));
  /* From is searched too, including the address */
  g_assert_true (mp_message_tree_model_matches (model, &c, "c@example"));
  g_assert_true (mp_message_tree_model_matches (model, &a, NULL));
}

/* ---- MpMessageListModel ------------------------------------------------ */

typedef struct
{
  guint position, removed, added;
  guint count;
} Change;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Change     *change)
{
  change->position = position;
  change->removed = removed;
  change->added = added;
  change->count++;
}

static void
test_list_model_concatenates (void)
{
  g_autoptr(GListStore) mailboxes = g_list_store_new (G_TYPE_LIST_MODEL);
  g_autoptr(GListStore) first = make_store ();
  g_autoptr(GListStore) second = g_list_store_new (MP_TYPE_MESSAGE);
  g_autoptr(MpMessageListModel) all = NULL;
  g_autoptr(MpMessage) x = make_message ("x", "X", "x", 1, 1);
  g_autoptr(MpMessage) item = NULL;
  Change change = { 0 };

  g_list_store_append (mailboxes, first);
  all = mp_message_list_model_new (G_LIST_MODEL (mailboxes));
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (all)) == MP_TYPE_MESSAGE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (all)), ==, 3);
  g_signal_connect (all, "items-changed", G_CALLBACK (items_changed_cb), &change);

  g_list_store_append (mailboxes, second);
  /* an empty mailbox adds nothing, so nothing is emitted */
  g_assert_cmpuint (change.count, ==, 0);

  g_list_store_append (second, x);
  g_assert_cmpuint (change.count, ==, 1);
  g_assert_cmpuint (change.position, ==, 3);
  g_assert_cmpuint (change.added, ==, 1);
  item = g_list_model_get_item (G_LIST_MODEL (all), 3);
  g_assert_true (item == x);

  g_list_store_remove (first, 1);
  g_assert_cmpuint (change.position, ==, 1);
  g_assert_cmpuint (change.removed, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (all)), ==, 3);

  g_list_store_remove (mailboxes, 0);
  g_assert_cmpuint (change.position, ==, 0);
  g_assert_cmpuint (change.removed, ==, 2);
  g_assert_cmpuint (change.added, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (all)), ==, 1);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (all), 1));
}

/* ---- MpMessageList ----------------------------------------------------- */

static void
test_list_rows_sort_filter (void)
{
  g_autoptr(GListStore) store = make_store ();
  GtkWidget *window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  GtkWidget *widget = mp_message_list_new ();
  MpMessageList *list = MP_MESSAGE_LIST (widget);
  g_autoptr(MpMessage) late = make_message ("e", "Eve", "Late report", 1700000500, 1);
  g_autofree char *uids = NULL;

  gtk_container_add (GTK_CONTAINER (window), widget);
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 400);
  gtk_widget_show_all (window);

  mp_message_list_set_messages (list, G_LIST_MODEL (store));
  iterate ();
  g_assert_cmpuint (mp_message_list_get_n_visible (list), ==, 3);

  /* the default: newest first */
  g_assert_cmpint (mp_message_list_get_sort_column (list), ==, MP_MESSAGE_TREE_MODEL_COLUMN_DATE);
  uids = visible_uids (list);
  g_assert_cmpstr (uids, ==, "acb");
  g_clear_pointer (&uids, g_free);

  mp_message_list_set_sort (list, MP_MESSAGE_TREE_MODEL_COLUMN_FROM, FALSE);
  uids = visible_uids (list);
  g_assert_cmpstr (uids, ==, "cab");
  g_clear_pointer (&uids, g_free);
  g_assert_false (mp_message_list_get_sort_descending (list));

  mp_message_list_set_sort (list, MP_MESSAGE_TREE_MODEL_COLUMN_SIZE, TRUE);
  uids = visible_uids (list);
  g_assert_cmpstr (uids, ==, "cab");
  g_clear_pointer (&uids, g_free);

  /* a message that arrives goes to its sorted place */
  g_list_store_append (store, late);
  uids = visible_uids (list);
  g_assert_cmpstr (uids, ==, "cabe");
  g_clear_pointer (&uids, g_free);

  /* type-to-search filters From and Subject, case- and accent-folded
   * the way GLib folds case */
  mp_message_list_set_search_text (list, "REPORT");
  uids = visible_uids (list);
  g_assert_cmpstr (uids, ==, "ae");
  g_clear_pointer (&uids, g_free);
  mp_message_list_set_search_text (list, "борис");
  uids = visible_uids (list);
  g_assert_cmpstr (uids, ==, "b");
  g_clear_pointer (&uids, g_free);
  mp_message_list_set_search_text (list, "nothing like this");
  g_assert_cmpuint (mp_message_list_get_n_visible (list), ==, 0);
  mp_message_list_set_search_mode (list, FALSE);
  g_assert_cmpuint (mp_message_list_get_n_visible (list), ==, 4);

  /* select, hide (a pending deletion), unhide */
  g_assert_true (mp_message_list_select_message (list, late));
  {
    g_autoptr(GPtrArray) selected = mp_message_list_get_selected (list);

    g_assert_cmpuint (selected->len, ==, 1);
    g_assert_true (g_ptr_array_index (selected, 0) == late);
    mp_message_list_hide_messages (list, selected);
    g_assert_cmpuint (mp_message_list_get_n_visible (list), ==, 3);
    g_assert_false (mp_message_list_select_message (list, late));
    mp_message_list_unhide_messages (list, selected);
    g_assert_cmpuint (mp_message_list_get_n_visible (list), ==, 4);
  }

  /* a removed message leaves the list */
  g_list_store_remove (store, 0);
  uids = visible_uids (list);
  g_assert_cmpstr (uids, ==, "cbe");
  g_clear_pointer (&uids, g_free);

  gtk_widget_destroy (window);
  iterate ();
}

static void
test_format_date (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_local (2026, 6, 15, 14, 30, 0);
  g_autoptr(GDateTime) just_now = g_date_time_add_seconds (now, -20);
  g_autoptr(GDateTime) minutes = g_date_time_add_minutes (now, -5);
  g_autoptr(GDateTime) hours = g_date_time_add_hours (now, -3);
  g_autoptr(GDateTime) yesterday = g_date_time_new_local (2026, 6, 14, 9, 5, 0);
  g_autoptr(GDateTime) march = g_date_time_new_local (2026, 3, 3, 8, 0, 0);
  g_autoptr(GDateTime) old = g_date_time_new_local (2023, 3, 3, 8, 0, 0);
  g_autofree char *s1 = mp_message_list_format_date (just_now, now);
  g_autofree char *s2 = mp_message_list_format_date (minutes, now);
  g_autofree char *s3 = mp_message_list_format_date (hours, now);
  g_autofree char *s4 = mp_message_list_format_date (yesterday, now);
  g_autofree char *s5 = mp_message_list_format_date (march, now);
  g_autofree char *s6 = mp_message_list_format_date (old, now);
  g_autofree char *s7 = mp_message_list_format_date (NULL, now);

  g_assert_cmpstr (s1, ==, "Just now");
  g_assert_cmpstr (s2, ==, "5 minutes ago");
  g_assert_cmpstr (s3, ==, "3 hours ago");
  g_assert_cmpstr (s4, ==, "Yesterday 09:05");
  g_assert_cmpstr (s5, ==, "3 Mar 08:00");
  g_assert_cmpstr (s6, ==, "3 Mar 2023");
  g_assert_cmpstr (s7, ==, "");
}

/* ---- accessibility ----------------------------------------------------- */

static const AtkRole named_roles[] = {
  ATK_ROLE_PUSH_BUTTON, ATK_ROLE_TOGGLE_BUTTON, ATK_ROLE_ENTRY, ATK_ROLE_TEXT,
  ATK_ROLE_TREE_TABLE, ATK_ROLE_TABLE, ATK_ROLE_LIST, ATK_ROLE_LIST_BOX,
  ATK_ROLE_LIST_ITEM, ATK_ROLE_MENU_ITEM, ATK_ROLE_CHECK_BOX,
  ATK_ROLE_PROGRESS_BAR,
};

static gboolean
role_needs_name (AtkRole role)
{
  for (guint i = 0; i < G_N_ELEMENTS (named_roles); i++)
    if (named_roles[i] == role)
      return TRUE;
  return FALSE;
}

/* Walks the accessible tree below @object as a screen reader or AT-SPI
 * sees it, and adds "role (path)" for every control without a name to
 * @missing. A table's cells are its data, not controls; its column
 * headers are checked instead. Editable text with a label would name
 * itself through it; ours have none, so they must be named. */
static void
check_names (AtkObject *object,
             GString   *path,
             GString   *missing,
             guint     *n_checked)
{
  AtkRole role = atk_object_get_role (object);
  const char *name = atk_object_get_name (object);
  gsize len = path->len;
  int n;

  g_string_append_printf (path, "/%s", atk_role_get_name (role));
  if (role_needs_name (role))
    {
      (*n_checked)++;
      if (name == NULL || *name == '\0')
        g_string_append_printf (missing, "%s\n", path->str);
    }

  if (role == ATK_ROLE_TREE_TABLE || role == ATK_ROLE_TABLE)
    {
      n = atk_table_get_n_columns (ATK_TABLE (object));
      for (int i = 0; i < n; i++)
        {
          AtkObject *header = atk_table_get_column_header (ATK_TABLE (object), i);

          (*n_checked)++;
          if (header == NULL || atk_object_get_name (header) == NULL
              || *atk_object_get_name (header) == '\0')
            g_string_append_printf (missing, "%s/column-header[%d]\n", path->str, i);
        }
      g_string_truncate (path, len);
      return;
    }

  n = atk_object_get_n_accessible_children (object);
  for (int i = 0; i < n; i++)
    {
      g_autoptr(AtkObject) child = atk_object_ref_accessible_child (object, i);

      if (child != NULL)
        check_names (child, path, missing, n_checked);
    }
  g_string_truncate (path, len);
}

static void
assert_all_named (GtkWidget *toplevel,
                  guint      min_checked)
{
  g_autoptr(GString) path = g_string_new (NULL);
  g_autoptr(GString) missing = g_string_new (NULL);
  guint n_checked = 0;

  check_names (gtk_widget_get_accessible (toplevel), path, missing, &n_checked);
  if (missing->len > 0)
    g_error ("controls without an accessible name:\n%s", missing->str);
  g_assert_cmpuint (n_checked, >=, min_checked);
}

static void
test_list_accessible_names (void)
{
  g_autoptr(GListStore) store = make_store ();
  GtkWidget *window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  GtkWidget *widget = mp_message_list_new ();

  gtk_container_add (GTK_CONTAINER (window), widget);
  mp_message_list_set_messages (MP_MESSAGE_LIST (widget), G_LIST_MODEL (store));
  gtk_widget_show_all (window);
  iterate ();

  /* the search entry and its bar's close button, the tree view and its
   * five visible column headers */
  assert_all_named (window, 8);
  g_assert_cmpstr (atk_object_get_name (gtk_widget_get_accessible (
                     GTK_WIDGET (mp_message_list_get_tree_view (MP_MESSAGE_LIST (widget))))),
                   ==, "Messages");

  gtk_widget_destroy (window);
  iterate ();
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_dirs = g_strdup (g_getenv ("XDG_DATA_DIRS"));

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* the system's data dirs, read-only, are where the icon theme and the
   * MIME database that GdkPixbuf sniffs icons with live; everything the
   * test writes stays in the isolated home */
  g_setenv ("XDG_DATA_DIRS", data_dirs != NULL ? data_dirs : "/usr/local/share:/usr/share", TRUE);
  gtk_init (&argc, &argv);
  {
    /* GLib already resolved the isolated data dirs: point the icon theme
     * at the system's own */
    g_auto(GStrv) dirs = g_strsplit (data_dirs != NULL ? data_dirs : "/usr/local/share:/usr/share", ":", -1);
    g_autoptr(GPtrArray) path = g_ptr_array_new_with_free_func (g_free);

    for (guint i = 0; dirs[i] != NULL; i++)
      if (*dirs[i] != '\0')
        g_ptr_array_add (path, g_build_filename (dirs[i], "icons", NULL));
    gtk_icon_theme_set_search_path (gtk_icon_theme_get_default (),
                                    (const char **) path->pdata, path->len);
  }
  mp_headers_init_library ();

  g_test_add_func ("/window/tree-model/follows-list", test_tree_model_follows_list);
  g_test_add_func ("/window/tree-model/compare-and-match", test_tree_model_compare_and_match);
  g_test_add_func ("/window/list-model/concatenates", test_list_model_concatenates);
  g_test_add_func ("/window/list/rows-sort-filter", test_list_rows_sort_filter);
  g_test_add_func ("/window/list/format-date", test_format_date);
  g_test_add_func ("/window/list/accessible-names", test_list_accessible_names);

  return g_test_run ();
}
